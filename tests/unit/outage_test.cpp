// What run logs about a peer's outage (once when it begins, once when it ends) and what it
// owes an Alertmanager that was down (the resolutions of failed posts, until one succeeds).
#include <gtest/gtest.h>

#include "advisor/engine/peer_status.h"
#include "advisor/sinks/alert_backlog.h"

namespace wgtune {
namespace {

TEST(PeerStatusTest, AnOutageIsTwoChangesHoweverLongItLasts) {
  PeerStatus status;
  // (succeeded?, time, change expected)
  struct Step {
    bool ok;
    double time;
    PeerChange change;
  };
  const Step steps[] = {
      {true, 0, PeerChange::kNone},         // up from the start: nothing to say
      {true, 30, PeerChange::kNone},
      {false, 60, PeerChange::kDown},       // the first failure
      {false, 90, PeerChange::kNone},       // and not the next ones
      {false, 120, PeerChange::kNone},
      {true, 150, PeerChange::kRecovered},  // back after 90 s
      {true, 180, PeerChange::kNone},
      {false, 210, PeerChange::kDown},      // a second outage is logged again
  };
  for (const Step& step : steps) {
    PeerChange change = step.ok ? status.Succeeded(step.time) : status.Failed("refused at " + std::to_string(step.time), step.time);
    EXPECT_EQ(change, step.change) << "at " << step.time;
    EXPECT_EQ(status.down(), !step.ok) << "at " << step.time;
    if (step.change == PeerChange::kRecovered) {
      EXPECT_DOUBLE_EQ(status.last_outage_seconds(), 90);
    }
  }
  // The error and start of the outage are the first failure's.
  EXPECT_DOUBLE_EQ(status.down_since(), 210);
  EXPECT_EQ(status.error(), "refused at " + std::to_string(210.0));
}

TEST(PeerStatusTest, DownAtStartupIsLogged) {
  PeerStatus status;
  EXPECT_EQ(status.Failed("refused", 0), PeerChange::kDown);
  EXPECT_EQ(status.error(), "refused");
  EXPECT_EQ(status.Succeeded(5), PeerChange::kRecovered);
  EXPECT_EQ(status.error(), "");
}

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
