// The resolutions an Alertmanager has not received yet, kept until it is back.
//
// AlertTracker sends a firing alert at every evaluation, so an Alertmanager that was down or
// restarted empty gets it again at the first post that succeeds. A resolution is sent for a
// retention period only (15 m); an Alertmanager down for longer would never hear that the
// alert ended, and one with its state on disk would keep it firing until its endsAt. So each
// Alertmanager has a backlog: the resolved alerts of a post that failed, added to the next
// posts until one succeeds. An alert the tracker sends again (it fired again, or is still
// being re-sent) replaces its backlog entry: the tracker's is newer.
//
// Bounded (oldest dropped first), pure, not thread-safe: one per Alertmanager.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "advisor/sinks/alertmanager.h"

namespace wgtune {

class AlertBacklog {
 public:
  explicit AlertBacklog(size_t capacity = 10000) : capacity_(capacity) {}

  // What to post: `due` (the tracker's alerts), then the kept resolutions of alerts `due`
  // does not carry.
  std::vector<Alert> Batch(const std::vector<Alert>& due) const;

  // The post of `batch` succeeded: nothing is owed any more.
  void Delivered() { kept_.clear(); }
  // The post of `batch` failed at `now`: its resolved alerts (endsAt at or before now) are kept.
  void Failed(const std::vector<Alert>& batch, double now);

  size_t size() const { return kept_.size(); }

 private:
  size_t capacity_;
  std::deque<Alert> kept_;  // oldest first; at most one per label set
};

}  // namespace wgtune
