// Alert lifecycle of `wgtune-advisor run`, as Prometheus's alerting rules have it
// (rules/alerting.go): a finding is pending until it has held for its rule's `for`, then
// firing; while firing it is sent at every evaluation with endsAt a few intervals ahead, so
// an Alertmanager that restarted empty gets it back and one that stops hearing from us lets
// it expire; when the finding clears it is sent resolved (endsAt = the time it cleared) at
// every evaluation for a retention period, so that every Alertmanager of an HA pair, and one
// that was down for a moment, learns that it ended.
//
// Hosts that could not be read in an evaluation keep their alerts as they were and are not
// sent for; their firing alerts expire in Alertmanager at endsAt, as Prometheus's do when a
// target disappears, instead of being resolved on no evidence. So do the alerts of a rule that
// could not judge a host it read (NotJudged). Not thread-safe.
#pragma once

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "advisor/engine/finding.h"
#include "advisor/sinks/alertmanager.h"

namespace wgtune {

struct AlertTrackerOptions {
  double interval_seconds = 30;            // the evaluation interval
  double resolved_retention_seconds = 900;  // how long a resolved alert is re-sent (Prometheus: 15m)
  std::string runbook_base_url;            // runbook_url = base + "#" + rule id
  std::string generator_url;               // where the alert came from (the advisor's page)
};

enum class AlertState { kPending, kFiring, kResolved };

struct TrackedAlert {
  Finding finding;           // the latest rendering
  AlertState state = AlertState::kPending;
  double active_at = 0;      // first evaluation that saw it
  double fired_at = 0;       // when it became firing (its startsAt)
  double resolved_at = 0;
};

class AlertTracker {
 public:
  explicit AlertTracker(AlertTrackerOptions options) : options_(std::move(options)) {}

  // One evaluation at `now`: `findings` of the hosts in `read_instances`; `for_seconds` gives
  // each rule's hold time (rules without an entry fire at once); `not_judged` the rules that
  // could not judge a host read, as (instance, rule).
  void Update(const std::vector<Finding>& findings, const std::set<std::string>& read_instances,
              const std::map<std::string, double>& for_seconds, double now,
              const std::set<std::pair<std::string, std::string>>& not_judged = {});

  // The alerts to post after the evaluation at `now`: firing and recently resolved ones of
  // the hosts read at the last Update.
  std::vector<Alert> AlertsToSend(double now) const;

  const std::map<std::string, TrackedAlert>& alerts() const { return alerts_; }

 private:
  Alert ToAlert(const TrackedAlert& tracked, double now) const;

  AlertTrackerOptions options_;
  std::map<std::string, TrackedAlert> alerts_;  // by rule id and labels
  std::set<std::string> last_read_;
  std::set<std::pair<std::string, std::string>> last_not_judged_;  // (instance, rule)
};

// "softnet-backlog-drops" → "SoftnetBacklogDrops": Prometheus's alert-name convention.
std::string AlertName(const std::string& rule_id);

}  // namespace wgtune
