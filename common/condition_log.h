// Logging a lasting condition once: when it starts, when its reason changes, when it ends.
//
// A collector that lacks a capability or permission (kernel WireGuard's netlink dump without
// CAP_NET_ADMIN, a UAPI socket it may not write) fails the same way every sample; a warning per
// sample would bury everything else in the log. ConditionLog remembers, per key (a collector,
// an interface), the reason last logged: Begin() logs at warn (or the level given) only when
// the key was fine before or the reason differs, and at debug otherwise; End() logs at info
// once when a key that was failing works again. The state a reader needs between log lines is
// in the metrics (wgtune_scrape_collector_success, wgtune_wireguard_interface_up), which is why
// repeating the line says nothing new.
//
// The same serves an outage of a peer of the advisor's run daemon (Prometheus, an
// Alertmanager, a scraped exporter), with ConditionLogOptions: a peer that fails with a
// different error text is still the same outage (reason_changes_are_news = false: one "down"
// line, carrying the first error), and the recovery line says how long it lasted
// (duration_field = "down_for").
//
// Thread safety: none; each user (the sampler's loop, one collector, the run loop) owns its own
// instance.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/logging.h"

namespace wgtune {

struct ConditionLogOptions {
  // true: a Begin() with another reason than the one last logged is logged at its level.
  // false: only the start of the condition is; a changed reason goes to debug like a repeat.
  bool reason_changes_are_news = true;
  // When not empty, End() adds this field: how long the condition lasted, from the Begin()
  // that started it, as FormatSeconds writes it ("90s").
  std::string duration_field;
  // Seconds on any monotonic scale, for the duration; std::chrono::steady_clock when empty.
  std::function<double()> clock;
};

class ConditionLog {
 public:
  using Sink = std::function<void(spdlog::level::level_enum, std::string_view, const LogFields&)>;

  // `sink` receives every line (wgtune::Log when empty; a recorder in tests).
  explicit ConditionLog(Sink sink = {}, ConditionLogOptions options = {});

  // The condition `key` holds for `reason` (the error text). Logs `message` with `fields` and
  // err=<reason> at `level` when `key` was not failing or (when reason changes are news)
  // failed for another reason, at debug otherwise. Returns whether it logged at `level`.
  bool Begin(const std::string& key, std::string_view message, const LogFields& fields, const std::string& reason,
             spdlog::level::level_enum level = spdlog::level::warn);

  // `key` works. Logs `message` with `fields` (and the duration field, when configured) at info
  // when it was failing. Returns whether it logged.
  bool End(const std::string& key, std::string_view message, const LogFields& fields);

  // Forgets every failing key not in `present` (an interface that went away), silently: its
  // return is news again.
  void Retain(const std::set<std::string>& present);

  bool Failing(const std::string& key) const { return failing_.count(key) > 0; }

 private:
  struct Condition {
    std::string reason;  // last logged at the Begin level
    double since;        // clock() at the Begin that started it
  };
  Sink sink_;
  ConditionLogOptions options_;
  std::map<std::string, Condition> failing_;
};

}  // namespace wgtune
