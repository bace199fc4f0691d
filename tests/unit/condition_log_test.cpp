// ConditionLog: a lasting condition is logged when it starts, when its reason changes and when it
// ends, never once per sample; an outage of one of run's peers when it begins and when it ends,
// with how long it lasted.
#include "common/condition_log.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace wgtune {
namespace {

struct Line {
  spdlog::level::level_enum level;
  std::string message;
  LogFields fields;
};

class Recorder {
 public:
  ConditionLog::Sink Sink() {
    return [this](spdlog::level::level_enum level, std::string_view message, const LogFields& fields) {
      lines.push_back({level, std::string(message), fields});
    };
  }
  // The lines above debug, as "level message".
  std::vector<std::string> Visible() const {
    std::vector<std::string> out;
    for (const Line& line : lines) {
      if (line.level == spdlog::level::debug) continue;
      out.push_back(std::string(spdlog::level::to_string_view(line.level).data()) + " " + line.message);
    }
    return out;
  }
  std::vector<Line> lines;
};

TEST(ConditionLogTest, LogsAFailureOnceOverManySamplesAndItsEndOnce) {
  Recorder recorder;
  ConditionLog log(recorder.Sink());
  const LogFields fields = {{"interface", "wg0"}};
  EXPECT_TRUE(log.Begin("wg0", "wireguard: netlink needs CAP_NET_ADMIN", fields, "wg0: EPERM"));
  for (int sample = 0; sample < 10; ++sample) {
    EXPECT_FALSE(log.Begin("wg0", "wireguard: netlink needs CAP_NET_ADMIN", fields, "wg0: EPERM"));
  }
  EXPECT_TRUE(log.Failing("wg0"));
  EXPECT_TRUE(log.End("wg0", "wireguard: interface readable again", fields));
  EXPECT_FALSE(log.End("wg0", "wireguard: interface readable again", fields));
  EXPECT_FALSE(log.Failing("wg0"));
  EXPECT_EQ(recorder.Visible(), (std::vector<std::string>{"warning wireguard: netlink needs CAP_NET_ADMIN",
                                                          "info wireguard: interface readable again"}));
  // The repeats went to debug, with the reason; the warning carries the fields and the reason.
  EXPECT_EQ(recorder.lines.size(), 12u);
  EXPECT_EQ(recorder.lines[0].fields, (LogFields{{"interface", "wg0"}, {"err", "wg0: EPERM"}}));
  EXPECT_EQ(recorder.lines[1].level, spdlog::level::debug);
  EXPECT_EQ(recorder.lines.back().fields, fields);
}

TEST(ConditionLogTest, ANewReasonIsNewsAndAFreshFailureAfterRecoveryToo) {
  Recorder recorder;
  ConditionLog log(recorder.Sink());
  log.Begin("softnet", "collector failed", {}, "softnet_stat line 2: 3 fields", spdlog::level::err);
  log.Begin("softnet", "collector failed", {}, "softnet_stat line 2: 3 fields", spdlog::level::err);
  log.Begin("softnet", "collector failed", {}, "open /proc/net/softnet_stat: Permission denied", spdlog::level::err);
  log.End("softnet", "collector works again", {});
  log.Begin("softnet", "collector failed", {}, "open /proc/net/softnet_stat: Permission denied", spdlog::level::err);
  EXPECT_EQ(recorder.Visible(), (std::vector<std::string>{"error collector failed", "error collector failed",
                                                          "info collector works again", "error collector failed"}));
}

TEST(ConditionLogTest, KeysAreIndependent) {
  Recorder recorder;
  ConditionLog log(recorder.Sink());
  EXPECT_TRUE(log.Begin("wg0", "wireguard: interface unreadable", {}, "gone"));
  EXPECT_TRUE(log.Begin("wg1", "wireguard: interface unreadable", {}, "gone"));
  EXPECT_FALSE(log.Begin("wg0", "wireguard: interface unreadable", {}, "gone"));
  EXPECT_TRUE(log.End("wg1", "wireguard: interface readable again", {}));
  EXPECT_TRUE(log.Failing("wg0"));
  EXPECT_FALSE(log.End("wg2", "wireguard: interface readable again", {}));
}

TEST(ConditionLogTest, RetainForgetsKeysThatWentAwaySilently) {
  Recorder recorder;
  ConditionLog log(recorder.Sink());
  log.Begin("wg0", "wireguard: interface unreadable", {}, "gone");
  log.Begin("wg1", "wireguard: interface unreadable", {}, "gone");
  log.Retain({"wg1"});
  EXPECT_EQ(recorder.lines.size(), 2u);  // no line for forgetting
  EXPECT_FALSE(log.Failing("wg0"));
  EXPECT_TRUE(log.Failing("wg1"));
  // wg0 back and failing again: news.
  EXPECT_TRUE(log.Begin("wg0", "wireguard: interface unreadable", {}, "gone"));
}

// run's use: a peer's outage, whatever errors it gives while it lasts, is a "down" line with the
// first error and a "recovered" line with how long it was down.
ConditionLogOptions OutageOptions(const double& now) {
  return {.reason_changes_are_news = false, .duration_field = "down_for", .clock = [&now] { return now; }};
}

TEST(ConditionLogTest, AnOutageIsTwoLinesHoweverLongItLasts) {
  Recorder recorder;
  double now = 0;
  ConditionLog log(recorder.Sink(), OutageOptions(now));
  struct Step {
    bool ok;
    double time;
    const char* visible;  // the line above debug it logs, if any
  };
  const Step steps[] = {
      {true, 0, nullptr},  // up from the start: nothing to say
      {true, 30, nullptr},
      {false, 60, "warning prometheus down"},  // the first failure
      {false, 90, nullptr},                    // and not the next ones, though their error differs
      {false, 120, nullptr},
      {true, 150, "info prometheus recovered"},  // back after 90 s
      {true, 180, nullptr},
      {false, 210, "warning prometheus down"},  // a second outage is logged again
  };
  for (const Step& step : steps) {
    now = step.time;
    const size_t before = recorder.Visible().size();
    if (step.ok) {
      log.End("prometheus", "prometheus recovered", {{"prometheus", "http://p:9090"}});
    } else {
      log.Begin("prometheus", "prometheus down", {{"prometheus", "http://p:9090"}}, "refused at " + std::to_string(step.time));
    }
    const std::vector<std::string> visible = recorder.Visible();
    if (step.visible == nullptr) {
      EXPECT_EQ(visible.size(), before) << "at " << step.time;
    } else {
      ASSERT_EQ(visible.size(), before + 1) << "at " << step.time;
      EXPECT_EQ(visible.back(), step.visible) << "at " << step.time;
    }
    EXPECT_EQ(log.Failing("prometheus"), !step.ok) << "at " << step.time;
  }
  std::vector<LogFields> shown;
  for (const Line& line : recorder.lines) {
    if (line.level != spdlog::level::debug) shown.push_back(line.fields);
  }
  ASSERT_EQ(shown.size(), 3u);
  EXPECT_EQ(shown[0], (LogFields{{"prometheus", "http://p:9090"}, {"err", "refused at " + std::to_string(60.0)}}));
  EXPECT_EQ(shown[1], (LogFields{{"prometheus", "http://p:9090"}, {"down_for", "90s"}}));
  EXPECT_EQ(shown[2], (LogFields{{"prometheus", "http://p:9090"}, {"err", "refused at " + std::to_string(210.0)}}));
  // The repeats went to debug, each with its own error.
  EXPECT_EQ(recorder.lines[1].level, spdlog::level::debug);
  EXPECT_EQ(recorder.lines[1].fields.back().second, "refused at " + std::to_string(90.0));
}

TEST(ConditionLogTest, AnOutageFromStartupIsLogged) {
  Recorder recorder;
  double now = 0;
  ConditionLog log(recorder.Sink(), OutageOptions(now));
  EXPECT_TRUE(log.Begin("alertmanager a", "alertmanager down", {{"alertmanager", "a"}}, "refused"));
  now = 5;
  EXPECT_TRUE(log.End("alertmanager a", "alertmanager recovered", {{"alertmanager", "a"}}));
  EXPECT_EQ(recorder.lines.back().fields, (LogFields{{"alertmanager", "a"}, {"down_for", "5s"}}));
}

}  // namespace
}  // namespace wgtune
