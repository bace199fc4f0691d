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
// Thread safety: none; each user (the sampler's loop, one collector) owns its own instance.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/logging.h"

namespace wgtune {

class ConditionLog {
 public:
  using Sink = std::function<void(spdlog::level::level_enum, std::string_view, const LogFields&)>;

  // `sink` receives every line (wgtune::Log when empty; a recorder in tests).
  explicit ConditionLog(Sink sink = {});

  // The condition `key` holds for `reason` (the error text). Logs `message` with `fields` and
  // err=<reason> at `level` when `key` was not failing or failed for another reason, at debug
  // when it repeats. Returns whether it logged at `level`.
  bool Begin(const std::string& key, std::string_view message, const LogFields& fields, const std::string& reason,
             spdlog::level::level_enum level = spdlog::level::warn);

  // `key` works. Logs `message` with `fields` at info when it was failing. Returns whether it
  // logged.
  bool End(const std::string& key, std::string_view message, const LogFields& fields);

  // Forgets every failing key not in `present` (an interface that went away), silently: its
  // return is news again.
  void Retain(const std::set<std::string>& present);

  bool Failing(const std::string& key) const { return reasons_.count(key) > 0; }

 private:
  Sink sink_;
  std::map<std::string, std::string> reasons_;  // failing key → reason last logged
};

}  // namespace wgtune
