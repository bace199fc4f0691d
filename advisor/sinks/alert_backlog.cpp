#include "advisor/sinks/alert_backlog.h"

#include <algorithm>
#include <set>

namespace wgtune {

std::vector<Alert> AlertBacklog::Batch(const std::vector<Alert>& due) const {
  std::vector<Alert> batch = due;
  std::set<std::map<std::string, std::string>> sent;
  for (const Alert& alert : due) sent.insert(alert.labels);
  for (const Alert& alert : kept_) {
    if (sent.count(alert.labels) == 0) batch.push_back(alert);
  }
  return batch;
}

void AlertBacklog::Failed(const std::vector<Alert>& batch, double now) {
  for (const Alert& alert : batch) {
    auto same = [&](const Alert& kept) { return kept.labels == alert.labels; };
    kept_.erase(std::remove_if(kept_.begin(), kept_.end(), same), kept_.end());
    if (alert.ends_at != 0 && alert.ends_at <= now) kept_.push_back(alert);
  }
  while (kept_.size() > capacity_) kept_.pop_front();
}

}  // namespace wgtune
