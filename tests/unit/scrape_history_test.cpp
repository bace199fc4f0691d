// advisor/sources/scrape_history.h: the advisor's own scrapes answer as a Prometheus server
// that scraped at the same instants would: lookback, staleness, ranges, retention, and only
// the series the rules' ranges need kept beyond the latest scrape.
#include "advisor/sources/scrape_history.h"

#include <gtest/gtest.h>

#include "promql_testing.h"

namespace wgtune {
namespace {

using promql::LabelMatcher;
using promql::MatchOp;

const std::vector<LabelMatcher> kCounter = {{"__name__", MatchOp::kEqual, "c", 0}};
const std::vector<LabelMatcher> kGauge = {{"__name__", MatchOp::kEqual, "g", 0}};

TEST(ScrapeHistoryTest, InstantSelectionSeesTheNewestScrapeWithinTheLookback) {
  ScrapeHistory history(60000);
  history.Append(1000, promql::SamplesFrom("c{a=\"1\"} 1\nc{a=\"2\"} 5\n"));
  history.Append(6000, promql::SamplesFrom("c{a=\"1\"} 2\n"));
  // a="2" went missing from the newest scrape: stale, as Prometheus marks it.
  EXPECT_EQ(promql::Render(promql::Value::Of(history.Select(kCounter, 6000))), "c{a=\"1\"} 2");
  EXPECT_EQ(promql::Render(promql::Value::Of(history.Select(kCounter, 5999))), "c{a=\"1\"} 1\nc{a=\"2\"} 5");
  EXPECT_TRUE(history.Select(kCounter, 999).empty());               // before the first scrape
  EXPECT_EQ(history.Select(kCounter, 6000 + 300000).size(), 1u);    // 5 minutes on: still there
  EXPECT_TRUE(history.Select(kCounter, 6000 + 300001).empty());     // beyond the lookback
}

TEST(ScrapeHistoryTest, RangesIncludeBothEndsAndLeaveGapsOut) {
  ScrapeHistory history(60000);
  for (int i = 0; i <= 4; ++i) {
    std::string scrape = "c " + std::to_string(10 * i) + "\n";
    if (i != 2) scrape += "g " + std::to_string(i) + "\n";
    history.Append(1000 + 5000 * i, promql::SamplesFrom(scrape));
  }
  EXPECT_EQ(promql::Render(promql::Value::Of(history.SelectRange(kCounter, 21000, 10000))), "c 20@11 30@16 40@21");
  EXPECT_EQ(promql::Render(promql::Value::Of(history.SelectRange(kGauge, 21000, 20000))), "g 0@1 1@6 3@16 4@21");
  EXPECT_TRUE(history.SelectRange(kCounter, 500, 400).empty());
}

TEST(ScrapeHistoryTest, RetentionAndKeepBoundWhatIsRemembered) {
  // Only c is needed over time; g is kept as the latest scrape has it.
  ScrapeHistory history(10000, [](const promql::Labels& labels) { return promql::LabelValue(labels, "__name__") == "c"; });
  for (int i = 0; i <= 6; ++i) {
    history.Append(5000 * i, promql::SamplesFrom("c " + std::to_string(i) + "\ng " + std::to_string(i) + "\n"));
  }
  EXPECT_EQ(history.times().front(), 20000);  // 30000 - 10000: older scrapes are gone
  EXPECT_EQ(history.times().size(), 3u);
  EXPECT_EQ(promql::Render(promql::Value::Of(history.SelectRange(kCounter, 30000, 60000))), "c 4@20 5@25 6@30");
  EXPECT_EQ(promql::Render(promql::Value::Of(history.SelectRange(kGauge, 30000, 60000))), "g 6@30");
  EXPECT_EQ(promql::Render(promql::Value::Of(history.Select(kGauge, 30000))), "g 6");
  // An earlier scrape remembers only what was kept.
  EXPECT_TRUE(history.Select(kGauge, 25000).empty());
  EXPECT_EQ(promql::Render(promql::Value::Of(history.Select(kCounter, 25000))), "c 5");
}

TEST(ScrapeHistoryTest, AScrapeNotAfterTheNewestIsIgnored) {
  ScrapeHistory history(60000);
  EXPECT_TRUE(history.Append(5000, promql::SamplesFrom("c 1\n")));
  EXPECT_FALSE(history.Append(5000, promql::SamplesFrom("c 2\n")));  // the same exporter sample again
  EXPECT_FALSE(history.Append(4000, promql::SamplesFrom("c 3\n")));
  EXPECT_EQ(promql::Render(promql::Value::Of(history.Select(kCounter, 5000))), "c 1");
  EXPECT_EQ(history.times().size(), 1u);
}

}  // namespace
}  // namespace wgtune
