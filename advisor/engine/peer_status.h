// Whether a peer of the run daemon (the Prometheus server, an Alertmanager, a scraped exporter)
// is up, so that an outage is logged twice, when it begins and when it ends, not at every
// evaluation it lasts: a Prometheus restart of a minute at a 30 s interval is two lines, and
// the recovery line says how long the peer was gone.
//
// Pure bookkeeping (the caller logs and passes the time), so the logging rule is unit-tested.
// Not thread-safe.
#pragma once

#include <string>

namespace wgtune {

enum class PeerChange {
  kNone,       // as it was: nothing to log
  kDown,       // the first failure after a success, or at startup
  kRecovered,  // the first success after a failure
};

class PeerStatus {
 public:
  // A request to the peer failed at `now` (unix seconds) with `error`.
  PeerChange Failed(const std::string& error, double now);
  // A request to the peer succeeded.
  PeerChange Succeeded(double now);

  bool down() const { return down_; }
  const std::string& error() const { return error_; }  // the failure that began the outage
  double down_since() const { return down_since_; }
  // Seconds the last outage lasted, when Succeeded has just returned kRecovered.
  double last_outage_seconds() const { return last_outage_seconds_; }

 private:
  bool down_ = false;
  std::string error_;
  double down_since_ = 0;
  double last_outage_seconds_ = 0;
};

}  // namespace wgtune
