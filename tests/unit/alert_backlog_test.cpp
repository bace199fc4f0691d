// What run owes an Alertmanager that was down: the resolutions of failed posts, until one
// succeeds. What it logs about a peer's outage is ConditionLog's (condition_log_test.cpp).
#include <gtest/gtest.h>

#include "advisor/sinks/alert_backlog.h"

namespace wgtune {
namespace {

Alert MakeAlert(const std::string& name, double ends_at) {
  Alert alert;
  alert.labels = {{"alertname", name}, {"instance", "h:9586"}};
  alert.starts_at = 100;
  alert.ends_at = ends_at;
  return alert;
}

std::vector<std::string> Names(const std::vector<Alert>& alerts) {
  std::vector<std::string> names;
  for (const Alert& alert : alerts) names.push_back(alert.labels.at("alertname") + "@" + std::to_string(static_cast<int>(alert.ends_at)));
  return names;
}

TEST(AlertBacklogTest, ResolutionsOfFailedPostsWaitForTheFirstSuccess) {
  AlertBacklog backlog;
  // Evaluation at 200: A fires (endsAt ahead), B resolved at 190; Alertmanager is down.
  std::vector<Alert> due = {MakeAlert("A", 320), MakeAlert("B", 190)};
  EXPECT_EQ(Names(backlog.Batch(due)), (std::vector<std::string>{"A@320", "B@190"}));
  backlog.Failed(backlog.Batch(due), 200);
  EXPECT_EQ(backlog.size(), 1u);  // B's resolution; A is re-sent by the tracker anyway
  // Long after the tracker stopped re-sending B: only A is due, B is still owed.
  due = {MakeAlert("A", 2000)};
  EXPECT_EQ(Names(backlog.Batch(due)), (std::vector<std::string>{"A@2000", "B@190"}));
  backlog.Failed(backlog.Batch(due), 1900);
  EXPECT_EQ(backlog.size(), 1u);
  // Alertmanager is back: one post carries both, then nothing more is owed.
  EXPECT_EQ(Names(backlog.Batch(due)), (std::vector<std::string>{"A@2000", "B@190"}));
  backlog.Delivered();
  EXPECT_EQ(backlog.size(), 0u);
  EXPECT_EQ(Names(backlog.Batch(due)), (std::vector<std::string>{"A@2000"}));
}

TEST(AlertBacklogTest, TheTrackersNewerAlertReplacesAKeptOne) {
  AlertBacklog backlog;
  backlog.Failed({MakeAlert("B", 190)}, 200);
  // B fired again: the tracker's firing alert goes, not the old resolution.
  std::vector<Alert> due = {MakeAlert("B", 500)};
  EXPECT_EQ(Names(backlog.Batch(due)), (std::vector<std::string>{"B@500"}));
  backlog.Failed(backlog.Batch(due), 300);
  EXPECT_EQ(backlog.size(), 0u);  // firing: not kept, the tracker sends it again
  // An empty evaluation still posts what is owed.
  backlog.Failed({MakeAlert("C", 250)}, 300);
  EXPECT_EQ(Names(backlog.Batch({})), (std::vector<std::string>{"C@250"}));
}

TEST(AlertBacklogTest, BoundedOldestFirst) {
  AlertBacklog backlog(2);
  backlog.Failed({MakeAlert("A", 10), MakeAlert("B", 20), MakeAlert("C", 30)}, 100);
  EXPECT_EQ(Names(backlog.Batch({})), (std::vector<std::string>{"B@20", "C@30"}));
}

}  // namespace
}  // namespace wgtune
