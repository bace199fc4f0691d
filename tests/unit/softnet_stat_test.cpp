#include "exporter/sources/softnet_stat.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/errors.h"
#include "exporter/collector.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewSoftnetCollector(const CollectorContext&);

namespace {

auto Tie(const SoftnetStatRow& row) {
  return std::tie(row.columns, row.processed, row.dropped, row.time_squeeze, row.received_rps, row.flow_limit_count,
                  row.backlog_len, row.cpu, row.input_qlen, row.process_qlen);
}

SoftnetStatRow Row(size_t columns, uint32_t processed, uint32_t dropped, uint32_t squeeze,
                   std::optional<uint32_t> rps = {}, std::optional<uint32_t> flow_limit = {},
                   std::optional<uint32_t> backlog = {}, std::optional<uint32_t> cpu = {},
                   std::optional<uint32_t> input_qlen = {}, std::optional<uint32_t> process_qlen = {}) {
  return {columns, processed, dropped, squeeze, rps, flow_limit, backlog, cpu, input_qlen, process_qlen};
}

struct ParseCase {
  std::string name;
  std::string input;
  bool ok;
  std::vector<SoftnetStatRow> want = {};
};

const std::vector<ParseCase>& ParseCases() {
  static const std::vector<ParseCase> cases = {
      {"empty input", "", false},
      {"only blank lines", "\n\n", false},
      {"not enough fields", "0016c3f2 00000000 00000012 00000000 00000000 00000000 00000000 00000000\n", false},
      {"garbage number",
       "0016c3f2 0000zz00 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000\n",
       false},
      {"0x prefix",
       "0x16c3f2 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000\n",
       false},
      {"negative number",
       "-016c3f2 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000\n",
       false},
      {"wider than 32 bits",
       "10016c3f2 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000\n",
       false},
      {"a short row among full ones",
       "0016c3f2 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000\n"
       "0016c3f2 00000000 00000012 00000000\n",
       false},
      // RHEL 6, 2.6.32: column 9 was still cpu_collision, no RPS column yet.
      {"9 columns, 2.6.32",
       "00a4c1e2 00000000 00000003 00000000 00000000 00000000 00000000 00000000 00000011\n",
       true, {Row(9, 0x00a4c1e2, 0, 3)}},
      // 2.6.35-3.10: received_rps, no flow limit.
      {"10 columns, 3.10",
       "00a4c1e2 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000000 000001f4\n",
       true, {Row(10, 0x00a4c1e2, 2, 3, 0x1f4)}},
      {"11 columns, 4.19",
       "0a3b5c7d 00000000 0000010f 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n"
       "00f3e2d1 00000004 00000021 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000007\n",
       true, {Row(11, 0x0a3b5c7d, 0, 0x10f, 0, 0), Row(11, 0x00f3e2d1, 4, 0x21, 0, 7)}},
      {"13 columns, 5.15",
       "04c8e1f0 00000000 000000a3 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
       "00000000 00000000\n"
       "00a01c67 0000002e 00000019 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
       "00000003 00000001\n",
       true, {Row(13, 0x04c8e1f0, 0, 0xa3, 0, 0, 0, 0), Row(13, 0x00a01c67, 0x2e, 0x19, 0, 0, 3, 1)}},
      {"15 columns, 6.5",
       "2b6e8a11 00003a7f 000051c4 00000000 00000000 00000000 00000000 00000000 00000000 00000b21 00000000 "
       "0000001f 00000001 00000017 00000008\n",
       true, {Row(15, 0x2b6e8a11, 0x3a7f, 0x51c4, 0xb21, 0, 0x1f, 1, 0x17, 8)}},
      // The CPU index is hex like every other field.
      {"CPU index above 9",
       "0003c80b 00000005 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000013 00000000 "
       "00000000 0000000a\n"
       "0003c80c 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000013 00000000 "
       "00000000 00000010\n",
       true, {Row(13, 0x3c80b, 5, 3, 0x13, 0, 0, 10), Row(13, 0x3c80c, 0, 1, 0x13, 0, 0, 16)}},
      {"columns a future kernel appends are ignored",
       "0016c3f2 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000 "
       "00000000 00000000 00000000 00000000 0000abcd\n",
       true, {Row(16, 0x0016c3f2, 0, 0x12, 0x3a1c4, 0, 0, 0, 0, 0)}},
      // Files gathered from two kernels (fixture trees of other projects): each row by its width.
      {"rows of different widths, each by its own",
       "0016c3f2 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000\n"
       "2b6e8a11 00003a7f 000051c4 00000000 00000000 00000000 00000000 00000000 00000000 00000b21 00000000 "
       "0000001f 00000001\n"
       "00a4c1e2 00000000 00000003 00000000 00000000 00000000 00000000 00000000 00000011\n"
       "2b6e8a11 00003a7f 000051c4 00000000 00000000 00000000 00000000 00000000 00000000 00000b21 00000000 "
       "0000001f 00000003 00000017 00000008\n",
       true,
       {Row(11, 0x0016c3f2, 0, 0x12, 0x3a1c4, 0), Row(13, 0x2b6e8a11, 0x3a7f, 0x51c4, 0xb21, 0, 0x1f, 1),
        Row(9, 0x00a4c1e2, 0, 3), Row(15, 0x2b6e8a11, 0x3a7f, 0x51c4, 0xb21, 0, 0x1f, 3, 0x17, 8)}},
      {"counter at the top of its range",
       "ffffffff 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000\n",
       true, {Row(11, 0xffffffff, 0, 0x12, 0x3a1c4, 0)}},
      {"no trailing newline",
       "00f3e2d1 00000004 00000021 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000007",
       true, {Row(11, 0x00f3e2d1, 4, 0x21, 0, 7)}},
  };
  return cases;
}

TEST(SoftnetStatParseTest, Table) {
  for (const ParseCase& c : ParseCases()) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseSoftnetStat(c.input), ParseError);
      continue;
    }
    SoftnetStat got = ParseSoftnetStat(c.input);
    ASSERT_EQ(got.rows.size(), c.want.size());
    for (size_t i = 0; i < c.want.size(); ++i) EXPECT_EQ(Tie(got.rows[i]), Tie(c.want[i])) << "row " << i;
  }
}

TEST(SoftnetStatParseTest, ErrorNamesTheLineAndTheProblem) {
  try {
    ParseSoftnetStat(
        "0016c3f2 00000000 00000012 00000000 00000000 00000000 00000000 00000000 00000000 0003a1c4 00000000\n"
        "0016c3f2 00000000 00000012\n");
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "softnet_stat line 2: 3 fields, want at least 9");
  }
}

// The collector over fixture trees laid out like / of the host.

std::string FixtureRoot(const std::string& name) {
  return std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/softnet/" + name;
}

MetricSet CollectFixture(const std::string& name, const std::string& sysfs_override = "") {
  CollectorContext context;
  context.procfs = FixtureRoot(name) + "/proc";
  context.sysfs = sysfs_override.empty() ? FixtureRoot(name) + "/sys" : sysfs_override;
  MetricSet out;
  NewSoftnetCollector(context)->Collect(out);
  return out;
}


// The cpu label of every series of a family, in order.
std::vector<std::string> CpuLabels(const MetricSet& set, const std::string& family) {
  std::vector<std::string> cpus;
  const prometheus::MetricFamily* found = set.Find(family);
  if (found == nullptr) return cpus;
  for (const auto& metric : found->metric) {
    for (const Label& label : metric.label) {
      if (label.name == "cpu") cpus.push_back(label.value);
    }
  }
  return cpus;
}


TEST(SoftnetCollectorTest, Azure65FifteenColumnsShowsTheHotCpu) {
  MetricSet set = CollectFixture("azure-6.5");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_processed_total"), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_processed_total", {{"cpu", "1"}}), 0x2b6e8a11);
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "1"}}), 0x3a7f);
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "0"}}), 0);
  EXPECT_EQ(Value(set, "wgtune_softnet_times_squeezed_total", {{"cpu", "1"}}), 0x51c4);
  EXPECT_EQ(Value(set, "wgtune_softnet_received_rps_total", {{"cpu", "2"}}), 0x3b5e0);
  EXPECT_EQ(Value(set, "wgtune_softnet_flow_limit_count_total", {{"cpu", "3"}}), 0);
  // backlog_len is input_qlen + process_qlen (0x17 + 0x8); the parts are not exported.
  EXPECT_EQ(Value(set, "wgtune_softnet_backlog_len", {{"cpu", "1"}}), 0x1f);
  EXPECT_EQ(set.Find("wgtune_softnet_backlog_len")->type, prometheus::MetricType::Gauge);
  EXPECT_EQ(set.Find("wgtune_softnet_dropped_total")->type, prometheus::MetricType::Counter);
}

TEST(SoftnetCollectorTest, Ubuntu515ThirteenColumns) {
  MetricSet set = CollectFixture("ubuntu-5.15");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_dropped_total"), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "2"}}), 0x2e);
  EXPECT_EQ(Value(set, "wgtune_softnet_backlog_len", {{"cpu", "2"}}), 3);
  EXPECT_EQ(Value(set, "wgtune_softnet_times_squeezed_total", {{"cpu", "0"}}), 0xa3);
}

TEST(SoftnetCollectorTest, Debian419ElevenColumnsHasNoBacklogGauge) {
  MetricSet set = CollectFixture("debian-4.19");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_processed_total"), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_processed_total", {{"cpu", "0"}}), 0x0a3b5c7d);
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "1"}}), 4);
  EXPECT_EQ(Value(set, "wgtune_softnet_flow_limit_count_total", {{"cpu", "1"}}), 0);
  EXPECT_EQ(SeriesCount(set, "wgtune_softnet_backlog_len"), 0u);
}

TEST(SoftnetCollectorTest, IndexColumnNamesCpusAroundAnOfflineOne) {
  MetricSet set = CollectFixture("offline-15col");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_processed_total"), (std::vector<std::string>{"0", "1", "3"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "3"}}), 5);
  EXPECT_EQ(Value(set, "wgtune_softnet_backlog_len", {{"cpu", "3"}}), 2);
}

TEST(SoftnetCollectorTest, WithoutIndexRowsMapToOnlineCpus) {
  MetricSet set = CollectFixture("offline-11col");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_processed_total"), (std::vector<std::string>{"0", "1", "3"}));
  // The third row belongs to CPU3, not CPU2.
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "3"}}), 0x13);
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "2"}}), std::nullopt);
}

TEST(SoftnetCollectorTest, RowsAreNumberedWhenTheOnlineListDisagrees) {
  MetricSet set = CollectFixture("hotplug-race-11col");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_processed_total"), (std::vector<std::string>{"0", "1", "2"}));
  // Three rows, four online CPUs: which one is missing cannot be known, and the gauge says so.
  EXPECT_EQ(Value(set, "wgtune_softnet_cpu_unknown_rows", {}), 3);
}

TEST(SoftnetCollectorTest, RowsAreNumberedWhenTheOnlineListIsAbsent) {
  MetricSet set = CollectFixture("offline-11col", FixtureRoot("offline-11col") + "/no-such-sys");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_processed_total"), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "2"}}), 0x13);
  EXPECT_EQ(Value(set, "wgtune_softnet_cpu_unknown_rows", {}), 3);
}

TEST(SoftnetCollectorTest, EveryRowKnownByIndexOrOnlineList) {
  EXPECT_EQ(Value(CollectFixture("azure-6.5"), "wgtune_softnet_cpu_unknown_rows", {}), 0);
  EXPECT_EQ(Value(CollectFixture("offline-11col"), "wgtune_softnet_cpu_unknown_rows", {}), 0);
  // No online list needed when every row has the CPU column.
  EXPECT_EQ(Value(CollectFixture("offline-15col", FixtureRoot("offline-15col") + "/no-such-sys"),
                  "wgtune_softnet_cpu_unknown_rows", {}),
            0);
}

// Rows of 13, 11 and 15 columns with CPU 2 offline: the 13- and 15-column rows name CPUs 0 and
// 3, the 11-column row is the second online CPU, 1.
TEST(SoftnetCollectorTest, RowsOfDifferentWidthsEachByItsOwn) {
  MetricSet set = CollectFixture("mixed-widths");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_processed_total"), (std::vector<std::string>{"0", "1", "3"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "1"}}), 2);
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "3"}}), 0x13);
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_backlog_len"), (std::vector<std::string>{"0", "3"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_backlog_len", {{"cpu", "3"}}), 5);
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_flow_limit_count_total"), (std::vector<std::string>{"0", "1", "3"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_cpu_unknown_rows", {}), 0);
}

// Without an online list, the first row's guess (row 0) is the CPU the second row names: it is
// left out rather than published twice, and both guessed rows count as unknown.
TEST(SoftnetCollectorTest, AGuessThatCollidesWithAnIndexedRowIsLeftOut) {
  MetricSet set = CollectFixture("mixed-collision", FixtureRoot("mixed-collision") + "/no-such-sys");
  EXPECT_EQ(CpuLabels(set, "wgtune_softnet_processed_total"), (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "0"}}), 2);  // the indexed row's
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "2"}}), 0x13);
  EXPECT_EQ(Value(set, "wgtune_softnet_cpu_unknown_rows", {}), 2);
}

TEST(SoftnetCollectorTest, Arm64EightCpus) {
  MetricSet set = CollectFixture("arm64-8cpu");
  EXPECT_EQ(SeriesCount(set, "wgtune_softnet_processed_total"), 8u);
  EXPECT_EQ(Value(set, "wgtune_softnet_dropped_total", {{"cpu", "7"}}), 0x102);
  EXPECT_EQ(Value(set, "wgtune_softnet_backlog_len", {{"cpu", "7"}}), 7);
  EXPECT_EQ(Value(set, "wgtune_softnet_times_squeezed_total", {{"cpu", "6"}}), 0x35);
}

TEST(SoftnetCollectorTest, CounterNearTheWrapIsExportedUnsigned) {
  MetricSet set = CollectFixture("wrapped");
  EXPECT_EQ(Value(set, "wgtune_softnet_processed_total", {{"cpu", "0"}}), 4294967280.0);
  EXPECT_EQ(Value(set, "wgtune_softnet_received_rps_total", {{"cpu", "1"}}), 0x7ffd9876);
  EXPECT_EQ(Value(set, "wgtune_softnet_flow_limit_count_total", {{"cpu", "0"}}), 0x10);
}

TEST(SoftnetCollectorTest, MalformedFileThrows) {
  EXPECT_THROW(CollectFixture("malformed"), ParseError);
}

TEST(SoftnetCollectorTest, MissingFileThrows) {
  CollectorContext context;
  context.procfs = FixtureRoot("no-such-host") + "/proc";
  context.sysfs = FixtureRoot("no-such-host") + "/sys";
  MetricSet out;
  EXPECT_THROW(NewSoftnetCollector(context)->Collect(out), IoError);
}

TEST(SoftnetCollectorTest, DeclaresRatesOfProcessedDroppedAndSqueezed) {
  CollectorContext context;
  std::vector<std::pair<std::string, std::string>> got;
  for (const RateSpec& spec : NewSoftnetCollector(context)->Rates()) got.emplace_back(spec.counter, spec.rate);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"wgtune_softnet_processed_total", "wgtune_softnet_processed_per_second"},
                     {"wgtune_softnet_dropped_total", "wgtune_softnet_dropped_per_second"},
                     {"wgtune_softnet_times_squeezed_total", "wgtune_softnet_times_squeezed_per_second"},
                 }));
}

}  // namespace
}  // namespace wgtune
