// Range vectors and the functions over them, with Prometheus 2.42's semantics. The cases come
// from Prometheus's own promql/testdata/functions.test (load blocks, instants and results);
// the differential test (tests/scripts/advisor_promql_diff_test.py) checks the same functions
// against a real Prometheus over histories with resets, gaps and uneven scrape intervals.
#include <gtest/gtest.h>

#include "advisor/promql/parser.h"
#include "promql_testing.h"

namespace wgtune::promql {
namespace {

struct RangeCase {
  const char* name;
  double step_seconds;  // the load block's interval
  std::vector<LoadedSeries> load;
  double at_seconds;  // eval instant at ...
  const char* expr;
  const char* want;  // Render()'s output, or "error: <part of the message>"
};

const RangeCase kCases[] = {
    // resets() and changes().
    {"Resets5m", 300,
     {{R"(http_requests{path="/foo"})", "1 2 3 0 1 0 0 1 2 0"},
      {R"(http_requests{path="/bar"})", "1 2 3 4 5 1 2 3 4 5"},
      {R"(http_requests{path="/biz"})", "0 0 0 0 0 1 1 1 1 1"}},
     3000, "resets(http_requests[5m])", "{path=\"/bar\"} 0\n{path=\"/biz\"} 0\n{path=\"/foo\"} 0"},
    {"Resets20m", 300,
     {{R"(http_requests{path="/foo"})", "1 2 3 0 1 0 0 1 2 0"},
      {R"(http_requests{path="/bar"})", "1 2 3 4 5 1 2 3 4 5"},
      {R"(http_requests{path="/biz"})", "0 0 0 0 0 1 1 1 1 1"}},
     3000, "resets(http_requests[20m])", "{path=\"/bar\"} 0\n{path=\"/biz\"} 0\n{path=\"/foo\"} 1"},
    {"Resets30m", 300,
     {{R"(http_requests{path="/foo"})", "1 2 3 0 1 0 0 1 2 0"},
      {R"(http_requests{path="/bar"})", "1 2 3 4 5 1 2 3 4 5"},
      {R"(http_requests{path="/biz"})", "0 0 0 0 0 1 1 1 1 1"}},
     3000, "resets(http_requests[30m])", "{path=\"/bar\"} 1\n{path=\"/biz\"} 0\n{path=\"/foo\"} 2"},
    {"Resets50m", 300,
     {{R"(http_requests{path="/foo"})", "1 2 3 0 1 0 0 1 2 0"},
      {R"(http_requests{path="/bar"})", "1 2 3 4 5 1 2 3 4 5"},
      {R"(http_requests{path="/biz"})", "0 0 0 0 0 1 1 1 1 1"}},
     3000, "resets(http_requests[50m])", "{path=\"/bar\"} 1\n{path=\"/biz\"} 0\n{path=\"/foo\"} 3"},
    {"ResetsOfNothing", 300, {{R"(http_requests{path="/foo"})", "1 2"}}, 3000, "resets(nonexistent_metric[50m])", ""},
    {"Changes20m", 300,
     {{R"(http_requests{path="/foo"})", "1 2 3 0 1 0 0 1 2 0"},
      {R"(http_requests{path="/bar"})", "1 2 3 4 5 1 2 3 4 5"},
      {R"(http_requests{path="/biz"})", "0 0 0 0 0 1 1 1 1 1"}},
     3000, "changes(http_requests[20m])", "{path=\"/bar\"} 3\n{path=\"/biz\"} 0\n{path=\"/foo\"} 3"},
    {"Changes30m", 300,
     {{R"(http_requests{path="/foo"})", "1 2 3 0 1 0 0 1 2 0"},
      {R"(http_requests{path="/bar"})", "1 2 3 4 5 1 2 3 4 5"},
      {R"(http_requests{path="/biz"})", "0 0 0 0 0 1 1 1 1 1"}},
     3000, "changes(http_requests[30m])", "{path=\"/bar\"} 5\n{path=\"/biz\"} 1\n{path=\"/foo\"} 4"},
    {"Changes50m", 300,
     {{R"(http_requests{path="/foo"})", "1 2 3 0 1 0 0 1 2 0"},
      {R"(http_requests{path="/bar"})", "1 2 3 4 5 1 2 3 4 5"},
      {R"(http_requests{path="/biz"})", "0 0 0 0 0 1 1 1 1 1"}},
     3000, "changes(http_requests[50m])", "{path=\"/bar\"} 9\n{path=\"/biz\"} 1\n{path=\"/foo\"} 8"},
    {"ChangesNaN", 300, {{R"(x{a="b"})", "NaN NaN NaN"}, {R"(x{a="c"})", "0 NaN 0"}}, 900, "changes(x[15m])",
     "{a=\"b\"} 0\n{a=\"c\"} 2"},

    // increase().
    {"Increase", 300,
     {{R"(http_requests{path="/foo"})", "0+10x10"}, {R"(http_requests{path="/bar"})", "0+10x5 0+10x5"}}, 3000,
     "increase(http_requests[50m])", "{path=\"/bar\"} 90\n{path=\"/foo\"} 100"},
    {"IncreaseLongerThanHistory", 300,
     {{R"(http_requests{path="/foo"})", "0+10x10"}, {R"(http_requests{path="/bar"})", "0+10x5 0+10x5"}}, 3000,
     "increase(http_requests[100m])", "{path=\"/bar\"} 90\n{path=\"/foo\"} 100"},
    // 3 2 is a reset: read as 3 0 1 2.
    {"IncreaseWithReset", 300, {{R"(http_requests{path="/foo"})", "0 1 2 3 2 3 4"}}, 1800,
     "increase(http_requests[30m])", "{path=\"/foo\"} 7"},

    // rate().
    {"RateResetInTheMiddle", 300, {{"testcounter_reset_middle", "0+10x4 0+10x5"}}, 3000,
     "rate(testcounter_reset_middle[50m])", "{} 0.03"},
    // Prometheus 2.x includes the range's start (3.0 leaves it out and finds one sample here).
    {"RateOverTheRangesStart", 300, {{"testcounter_reset_end", "0+10x9 0 10"}}, 3000,
     "rate(testcounter_reset_end[5m])", "{} 0"},
    {"RateOfOneSampleIsNothing", 300, {{"testcounter_reset_end", "0+10x9 0 10"}}, 3000,
     "rate(testcounter_reset_end[4m])", ""},
    {"RateResetAtTheEnd", 300, {{"testcounter_reset_end", "0+10x9 0 10"}}, 3000, "rate(testcounter_reset_end[6m])",
     "{} 0"},
    {"RatePerSecond", 300, {{"calculate_rate_window", "0+80x10"}}, 3000, "rate(calculate_rate_window[50m])",
     "{} 0.26666666666666666"},

    // irate() and idelta().
    {"Irate", 300,
     {{R"(http_requests{path="/foo"})", "0+10x10"}, {R"(http_requests{path="/bar"})", "0+10x5 0+10x5"}}, 3000,
     "irate(http_requests[50m])", "{path=\"/bar\"} 0.03333333333333333\n{path=\"/foo\"} 0.03333333333333333"},
    {"IrateOverAReset", 300,
     {{R"(http_requests{path="/foo"})", "0+10x10"}, {R"(http_requests{path="/bar"})", "0+10x5 0+10x5"}}, 1800,
     "irate(http_requests[50m])", "{path=\"/bar\"} 0\n{path=\"/foo\"} 0.03333333333333333"},
    {"Delta", 300,
     {{R"(http_requests{path="/foo"})", "0 50 100 150 200"}, {R"(http_requests{path="/bar"})", "200 150 100 50 0"}},
     1200, "delta(http_requests[20m])", "{path=\"/bar\"} -200\n{path=\"/foo\"} 200"},
    {"Idelta", 300,
     {{R"(http_requests{path="/foo"})", "0 50 100 150"}, {R"(http_requests{path="/bar"})", "0 50 100 50"}}, 1200,
     "idelta(http_requests[20m])", "{path=\"/bar\"} -50\n{path=\"/foo\"} 50"},

    // *_over_time.
    {"MinOverTime", 10,
     {{R"(data{type="numbers"})", "2 0 3"}, {R"(data{type="some_nan"})", "2 0 NaN"},
      {R"(data{type="some_nan2"})", "2 NaN 1"}, {R"(data{type="some_nan3"})", "NaN 0 1"},
      {R"(data{type="only_nan"})", "NaN NaN NaN"}},
     60, "min_over_time(data[1m])",
     "{type=\"numbers\"} 0\n{type=\"only_nan\"} NaN\n{type=\"some_nan\"} 0\n{type=\"some_nan2\"} 1\n{type=\"some_nan3\"} 0"},
    {"MaxOverTime", 10,
     {{R"(data{type="numbers"})", "2 0 3"}, {R"(data{type="some_nan"})", "2 0 NaN"},
      {R"(data{type="some_nan2"})", "2 NaN 1"}, {R"(data{type="some_nan3"})", "NaN 0 1"},
      {R"(data{type="only_nan"})", "NaN NaN NaN"}},
     60, "max_over_time(data[1m])",
     "{type=\"numbers\"} 3\n{type=\"only_nan\"} NaN\n{type=\"some_nan\"} 2\n{type=\"some_nan2\"} 2\n{type=\"some_nan3\"} 1"},
    {"LastOverTimeKeepsTheName", 10,
     {{R"(data{type="numbers"})", "2 0 3"}, {R"(data{type="some_nan"})", "2 0 NaN"}}, 60, "last_over_time(data[1m])",
     "data{type=\"numbers\"} 3\ndata{type=\"some_nan\"} NaN"},
    {"AvgOverTime", 10, {{"metric", "1 2 3 4 5"}}, 60, "avg_over_time(metric[1m])", "{} 3"},
    {"SumOverCount", 10, {{"metric", "1 2 3 4 5"}}, 60, "sum_over_time(metric[1m]) / count_over_time(metric[1m])",
     "{} 3"},
    {"AvgOverTimeInf", 10, {{"metric2", "1 2 3 4 Inf"}}, 60, "avg_over_time(metric2[1m])", "{} +Inf"},
    {"AvgOverTimeMinusInf", 10, {{"metric3", "1 2 3 4 -Inf"}}, 60, "avg_over_time(metric3[1m])", "{} -Inf"},
    {"AvgOverTimeBothInfs", 10, {{"metric4", "1 2 3 Inf -Inf"}}, 60, "avg_over_time(metric4[1m])", "{} NaN"},
    {"AvgOverTimeInfZeroInf", 10, {{"metric5", "Inf 0 Inf"}}, 60, "avg_over_time(metric5[1m])", "{} +Inf"},
    {"AvgOverTimeNoOverflow", 10, {{"metric8", "9.988465674311579e+307 9.988465674311579e+307"}}, 60,
     "avg_over_time(metric8[1m])", "{} 9.98846567431158e+307"},
    {"AvgOverTimeNoOverflowNegative", 10,
     {{"metric9", "-9.988465674311579e+307 -9.988465674311579e+307 -9.988465674311579e+307"}}, 60,
     "avg_over_time(metric9[1m])", "{} -9.98846567431158e+307"},
    {"AvgOverTimeOpposites", 10, {{"metric10", "-9.988465674311579e+307 9.988465674311579e+307"}}, 60,
     "avg_over_time(metric10[1m])", "{} 0"},
    {"PresentOverTime", 10, {{R"(x{a="1"})", "5 _ _"}, {R"(x{a="2"})", "_ _ 1"}}, 20, "present_over_time(x[15s])",
     "{a=\"2\"} 1"},
    {"CountOverTimeLeavesEmptySeriesOut", 10, {{R"(x{a="1"})", "5 6 _ _ _ _ _"}, {R"(x{a="2"})", "1 1 1 1 1 1 1"}}, 60,
     "count_over_time(x[30s])", "{a=\"2\"} 4"},

    // The range: both ends included (Prometheus 2.x), extrapolation to its edges.
    {"RangeIncludesBothEnds", 10, {{"c", "0 10 20 30"}}, 30, "c[20s]", "c 10@10 20@20 30@30"},
    {"IncreaseExtrapolatesToTheEdges", 10, {{"c", "100 110 120 130"}}, 35, "increase(c[30s])", "{} 30"},
    {"IncreaseStopsAtTheCounterZero", 10, {{"c", "_ _ _ 5 15"}}, 40, "increase(c[30s])", "{} 15"},

    // Types.
    {"RangeNeedsAFunction", 10, {{"c", "0 1"}}, 10, "c[1m] + 1",
     "error: binary expression must contain only scalar and instant vector types"},
    {"FunctionNeedsARange", 10, {{"c", "0 1"}}, 10, "rate(c)",
     R"(error: expected type range vector in call to function "rate", got instant vector)"},
    {"AggregationOfARange", 10, {{"c", "0 1"}}, 10, "sum(c[1m])",
     "error: expected type instant vector in aggregation expression, got range vector"},
    {"UnaryOnARange", 10, {{"c", "0 1"}}, 10, "-c[1m]",
     R"(error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector")"},
    {"SameLabelsetAfterDroppingTheName", 10, {{R"(a{x="1"})", "0 1"}, {R"(b{x="1"})", "0 1"}}, 10,
     R"(rate({__name__=~"a|b"}[1m]))", "error: vector cannot contain metrics with the same labelset"},
};

class PromqlRangeTest : public testing::TestWithParam<RangeCase> {};

TEST_P(PromqlRangeTest, EvaluatesLikePrometheus) {
  const RangeCase& c = GetParam();
  ScrapeHistory history = LoadHistory(c.step_seconds, c.load);
  ExpectEvaluates(c.expr, history, c.at_seconds, c.want);
}

INSTANTIATE_TEST_SUITE_P(Table, PromqlRangeTest, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<RangeCase>& info) { return std::string(info.param.name); });

TEST(PromqlRangeTest, RatesOverOneSnapshotAreNothing) {
  // A single scrape (MemorySource) is one sample per series: nothing to take a rate of.
  MemorySource snapshot(SamplesFrom("c 10\n"));
  EXPECT_EQ(Render(Evaluate(*ParseExpr("rate(c[1m])"), snapshot, 100)), "");
  EXPECT_EQ(Render(Evaluate(*ParseExpr("count_over_time(c[1m])"), snapshot, 100)), "{} 1");
}

TEST(PromqlRangeTest, SourceIsAskedForTheRangeAtTheEvaluationInstant) {
  class Recording : public SeriesSource {
   public:
    Vector Select(const std::vector<LabelMatcher>&, Timestamp) override { return {}; }
    Matrix SelectRange(const std::vector<LabelMatcher>& matchers, Timestamp time, Timestamp range) override {
      name = matchers.at(0).value;
      this->time = time;
      this->range = range;
      return {};
    }
    std::string name;
    Timestamp time = 0, range = 0;
  } source;
  Evaluate(*ParseExpr("rate(c[1m30s])"), source, 1764064800.1234);
  EXPECT_EQ(source.name, "c");
  EXPECT_EQ(source.time, 1764064800123);  // milliseconds, rounded
  EXPECT_EQ(source.range, 90000);
}

}  // namespace
}  // namespace wgtune::promql
