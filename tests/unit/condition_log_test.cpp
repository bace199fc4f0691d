// ConditionLog: a lasting condition is logged when it starts, when its reason changes and when it
// ends, never once per sample.
#include "common/condition_log.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace wgtune
