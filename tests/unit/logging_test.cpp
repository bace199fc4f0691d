#include "common/logging.h"

#include <gtest/gtest.h>

namespace wgtune {
namespace {

TEST(LoggingTest, LogfmtQuotesValuesThatNeedIt) {
  EXPECT_EQ(FormatLogLine("logfmt", "2026-01-01T00:00:00.000Z", spdlog::level::err, "collector failed",
                          {{"collector", "softnet"}, {"err", "line 3: \"x\" bad"}}),
            "ts=2026-01-01T00:00:00.000Z level=error msg=\"collector failed\" collector=softnet "
            "err=\"line 3: \\\"x\\\" bad\"");
}

TEST(LoggingTest, JsonIsOneObjectPerLine) {
  EXPECT_EQ(FormatLogLine("json", "T", spdlog::level::info, "listening", {{"address", ":1"}}),
            R"({"ts":"T","level":"info","msg":"listening","address":":1"})");
}

TEST(LoggingTest, RejectsUnknownSettings) {
  EXPECT_THROW(ConfigureLogging("verbose", "logfmt"), std::invalid_argument);
  EXPECT_THROW(ConfigureLogging("info", "xml"), std::invalid_argument);
}

}  // namespace
}  // namespace wgtune
