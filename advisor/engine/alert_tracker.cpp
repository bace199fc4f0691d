#include "advisor/engine/alert_tracker.h"

#include <algorithm>
#include <cctype>

namespace wgtune {
namespace {

std::string KeyOf(const Finding& finding) {
  std::string key = finding.rule + '\0' + std::string(SeverityName(finding.severity));
  for (const auto& [name, value] : finding.labels) key += '\0' + name + '=' + value;
  return key;
}

}  // namespace

std::string AlertName(const std::string& rule_id) {
  std::string name;
  bool upper = true;
  for (char c : rule_id) {
    if (c == '-') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name;
}

void AlertTracker::Update(const std::vector<Finding>& findings, const std::set<std::string>& read_instances,
                          const std::map<std::string, double>& for_seconds, double now,
                          const std::set<std::pair<std::string, std::string>>& not_judged) {
  std::set<std::string> seen;
  for (const Finding& finding : findings) {
    if (!read_instances.count(finding.instance)) continue;
    const std::string key = KeyOf(finding);
    seen.insert(key);
    auto [it, inserted] = alerts_.try_emplace(key);
    TrackedAlert& tracked = it->second;
    if (inserted || tracked.state == AlertState::kResolved) {
      tracked = TrackedAlert{finding, AlertState::kPending, now, 0, 0};
    } else {
      tracked.finding = finding;
    }
    auto hold = for_seconds.find(finding.rule);
    const double hold_seconds = hold == for_seconds.end() ? 0 : hold->second;
    if (tracked.state == AlertState::kPending && now - tracked.active_at >= hold_seconds) {
      tracked.state = AlertState::kFiring;
      tracked.fired_at = now;
    }
  }
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    TrackedAlert& tracked = it->second;
    const bool judged = read_instances.count(tracked.finding.instance) > 0 &&
                        !not_judged.count({tracked.finding.instance, tracked.finding.rule});
    if (!judged || seen.count(it->first)) {
      ++it;
      continue;
    }
    if (tracked.state == AlertState::kPending) {
      it = alerts_.erase(it);  // never fired: nobody was told, nothing to resolve
      continue;
    }
    if (tracked.state == AlertState::kFiring) {
      tracked.state = AlertState::kResolved;
      tracked.resolved_at = now;
    }
    if (now - tracked.resolved_at > options_.resolved_retention_seconds) {
      it = alerts_.erase(it);
      continue;
    }
    ++it;
  }
  last_read_ = read_instances;
  last_not_judged_ = not_judged;
}

Alert AlertTracker::ToAlert(const TrackedAlert& tracked, double now) const {
  const Finding& finding = tracked.finding;
  Alert alert;
  alert.labels["alertname"] = AlertName(finding.rule);
  alert.labels["rule"] = finding.rule;
  alert.labels["severity"] = std::string(SeverityName(finding.severity));
  for (const auto& [name, value] : finding.labels) alert.labels.emplace(name, value);
  alert.labels["instance"] = finding.instance;
  alert.annotations["summary"] = finding.summary;
  alert.annotations["description"] = finding.description;
  alert.annotations["remediation"] = finding.remediation;
  if (!finding.verify.empty()) alert.annotations["verify"] = finding.verify;
  if (!finding.guide.empty()) alert.annotations["guide"] = finding.guide;
  if (!options_.runbook_base_url.empty()) alert.annotations["runbook_url"] = options_.runbook_base_url + "#" + finding.rule;
  alert.starts_at = tracked.fired_at;
  // As Prometheus: a firing alert is valid for four intervals; Alertmanager resolves it by
  // itself if we stop sending. A resolved one ends when it cleared.
  alert.ends_at = tracked.state == AlertState::kResolved ? tracked.resolved_at : now + 4 * options_.interval_seconds;
  alert.generator_url = options_.generator_url;
  return alert;
}

std::vector<Alert> AlertTracker::AlertsToSend(double now) const {
  std::vector<Alert> alerts;
  for (const auto& [key, tracked] : alerts_) {
    if (tracked.state == AlertState::kPending || !last_read_.count(tracked.finding.instance) ||
        last_not_judged_.count({tracked.finding.instance, tracked.finding.rule})) {
      continue;
    }
    alerts.push_back(ToAlert(tracked, now));
  }
  return alerts;
}

}  // namespace wgtune
