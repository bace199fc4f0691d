#include "exporter/sources/softirqs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.h"
#include "exporter/collector.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewSoftirqsCollector(const CollectorContext&);

namespace {

// fs/proc/softirqs.c: 20 spaces, "CPU%-8d" per possible CPU; rows "%12s:" then " %10u" each.
const char kAzure65[] =
    "                    CPU0       CPU1       CPU2       CPU3       \n"
    "          HI:          1          0          0          2\n"
    "       TIMER:    2148213    1876452    2093371    2011748\n"
    "      NET_TX:       3021     118734       2877       3105\n"
    "      NET_RX:     412877   98234511     398410     405733\n"
    "       BLOCK:      81234      76511      80097      79420\n"
    "    IRQ_POLL:          0          0          0          0\n"
    "     TASKLET:       1893        742        611        588\n"
    "       SCHED:    3312987    2101844    3278101    3190455\n"
    "     HRTIMER:         57         12         44         31\n"
    "         RCU:    2541877    2387109    2520333    2498761\n";

// RHEL 7 (3.10): BLOCK_IOPOLL instead of IRQ_POLL.
const char kRhel7[] =
    "                    CPU0       CPU1       \n"
    "          HI:          0          0\n"
    "       TIMER:   81233420   79211374\n"
    "      NET_TX:      21187      19342\n"
    "      NET_RX:    4411873    4120997\n"
    "       BLOCK:     912334     887120\n"
    "BLOCK_IOPOLL:          0          0\n"
    "     TASKLET:        312        207\n"
    "       SCHED:   30122871   29877412\n"
    "     HRTIMER:          0          0\n"
    "         RCU:   41233871   40981223\n";

// 2.6.31, the first kernel with the file: 16 spaces and "%8s:" labels.
const char kNarrow2631[] =
    "                CPU0       CPU1       \n"
    "      HI:          0          0\n"
    "   TIMER:     112873     109871\n"
    "  NET_TX:         12          3\n"
    "  NET_RX:       8812       7730\n"
    "   BLOCK:       3310       2987\n"
    " TASKLET:          0          0\n"
    "   SCHED:      41233      40021\n"
    " HRTIMER:          7          4\n"
    "     RCU:      60213      58712\n";

struct ParseCase {
  std::string name;
  std::string input;
  bool ok;
  std::vector<unsigned> cpus = {};
  std::vector<std::string> names = {};
  std::vector<uint64_t> net_rx = {};
};

const std::vector<std::string> kModernNames = {"HI",    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
                                                "IRQ_POLL", "TASKLET", "SCHED",  "HRTIMER", "RCU"};

TEST(SoftirqsParseTest, Table) {
  const std::vector<ParseCase> cases = {
      {"empty input", "", false},
      {"only blank lines", "\n  \n", false},
      {"header without rows", "                    CPU0       CPU1       \n", false},
      {"header field not CPUn", "                    CPU0       CPUx       \n          HI:          0          0\n",
       false},
      {"header in lower case", "                    cpu0       cpu1       \n          HI:          0          0\n",
       false},
      {"row without a label", "                    CPU0       CPU1       \n                   0          0\n", false},
      {"row with an empty label", "                    CPU0       CPU1       \n            :          0          0\n",
       false},
      {"not enough fields",
       "                    CPU0       CPU1       \n          HI:          0          0\n      NET_RX:     412877\n",
       false},
      {"too many fields", "                    CPU0       \n      NET_RX:     412877     398410\n", false},
      {"garbage number", "                    CPU0       CPU1       \n      NET_RX:     4128x7     398410\n", false},
      {"negative number", "                    CPU0       CPU1       \n      NET_RX:     -12877     398410\n", false},
      {"6.5, 4 CPUs", kAzure65, true, {0, 1, 2, 3}, kModernNames, {412877, 98234511, 398410, 405733}},
      {"3.10, BLOCK_IOPOLL",
       kRhel7,
       true,
       {0, 1},
       {"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "BLOCK_IOPOLL", "TASKLET", "SCHED", "HRTIMER", "RCU"},
       {4411873, 4120997}},
      {"2.6.31, narrow labels",
       kNarrow2631,
       true,
       {0, 1},
       {"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "TASKLET", "SCHED", "HRTIMER", "RCU"},
       {8812, 7730}},
      // Columns follow the header's CPU numbers, whatever they are.
      {"CPU numbers with a gap",
       "                    CPU0       CPU2       \n      NET_RX:        100        200\n",
       true,
       {0, 2},
       {"NET_RX"},
       {100, 200}},
      // Counts are unsigned int: the largest one before the wrap.
      {"count at the top of its range",
       "                    CPU0       \n      NET_RX: 4294967295\n",
       true,
       {0},
       {"NET_RX"},
       {4294967295u}},
      {"no trailing newline", "                    CPU0       \n      NET_RX:         17", true, {0}, {"NET_RX"}, {17}},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseSoftirqs(c.input), ParseError);
      continue;
    }
    Softirqs got = ParseSoftirqs(c.input);
    EXPECT_EQ(got.cpus, c.cpus);
    std::vector<std::string> names;
    for (const SoftirqsRow& row : got.rows) names.push_back(row.name);
    EXPECT_EQ(names, c.names);
    const SoftirqsRow* net_rx = got.Find("NET_RX");
    ASSERT_NE(net_rx, nullptr);
    EXPECT_EQ(net_rx->counts, c.net_rx);
  }
}

TEST(SoftirqsParseTest, FindsRowsByName) {
  Softirqs got = ParseSoftirqs(kAzure65);
  ASSERT_NE(got.Find("NET_TX"), nullptr);
  EXPECT_EQ(got.Find("NET_TX")->counts, (std::vector<uint64_t>{3021, 118734, 2877, 3105}));
  EXPECT_EQ(got.Find("BLOCK_IOPOLL"), nullptr);
}

TEST(SoftirqsParseTest, ErrorNamesTheLineAndTheProblem) {
  try {
    ParseSoftirqs("                    CPU0       CPU1       \n          HI:          0          0\n"
                  "      NET_RX:     412877\n");
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "softirqs line 3: NET_RX has 1 counts, want 2 (one per header CPU)");
  }
}

// The collector over fixture trees laid out like / of the host.

MetricSet CollectFixture(const std::string& name) {
  CollectorContext context;
  context.procfs = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/softirqs/" + name + "/proc";
  context.sysfs = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/softirqs/" + name + "/sys";
  MetricSet out;
  NewSoftirqsCollector(context)->Collect(out);
  return out;
}


TEST(SoftirqsCollectorTest, ExportsNetRxAndNetTxPerCpu) {
  MetricSet set = CollectFixture("azure-6.5");
  const prometheus::MetricFamily* total = set.Find("wgtune_softirqs_total");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->type, prometheus::MetricType::Counter);
  // 2 types x 4 CPUs, nothing of TIMER, SCHED, RCU...
  EXPECT_EQ(total->metric.size(), 8u);
  std::vector<std::string> types;
  for (const auto& metric : total->metric) {
    ASSERT_EQ(metric.label.size(), 2u);
    EXPECT_EQ(metric.label[0].name, "cpu");
    EXPECT_EQ(metric.label[1].name, "type");
    types.push_back(metric.label[1].value);
  }
  EXPECT_EQ(std::count(types.begin(), types.end(), "NET_RX"), 4);
  EXPECT_EQ(std::count(types.begin(), types.end(), "NET_TX"), 4);
  EXPECT_EQ(Value(set, "wgtune_softirqs_total", {{"cpu", "1"}, {"type", "NET_RX"}}), 98234511);
  EXPECT_EQ(Value(set, "wgtune_softirqs_total", {{"cpu", "3"}, {"type", "NET_TX"}}), 3105);
  EXPECT_EQ(Value(set, "wgtune_softirqs_total", {{"cpu", "0"}, {"type", "TIMER"}}), std::nullopt);
}

TEST(SoftirqsCollectorTest, OfflinePossibleCpuKeepsItsColumn) {
  MetricSet set = CollectFixture("offline");
  EXPECT_EQ(Value(set, "wgtune_softirqs_total", {{"cpu", "2"}, {"type", "NET_RX"}}), 3);
  EXPECT_EQ(Value(set, "wgtune_softirqs_total", {{"cpu", "3"}, {"type", "NET_RX"}}), 68990);
}

TEST(SoftirqsCollectorTest, MalformedFileThrows) { EXPECT_THROW(CollectFixture("malformed"), ParseError); }

TEST(SoftirqsCollectorTest, MissingFileThrows) { EXPECT_THROW(CollectFixture("no-such-host"), IoError); }

TEST(SoftirqsCollectorTest, DeclaresTheRateOfTheTotal) {
  CollectorContext context;
  std::vector<RateSpec> rates = NewSoftirqsCollector(context)->Rates();
  ASSERT_EQ(rates.size(), 1u);
  EXPECT_EQ(rates[0].counter, "wgtune_softirqs_total");
  EXPECT_EQ(rates[0].rate, "wgtune_softirqs_per_second");
}

}  // namespace
}  // namespace wgtune
