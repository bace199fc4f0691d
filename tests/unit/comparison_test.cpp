// The comparison table of configurations (advisor/workflow/comparison.h): knob changes, the
// steps under load, configuration intervals, the renderings; the run files it reads
// (run_files.h), the time arguments and the range query response of compare --prometheus.
#include "advisor/workflow/comparison.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "advisor/sources/prometheus_api.h"
#include "advisor/workflow/prometheus_history.h"
#include "advisor/workflow/run_files.h"
#include "common/tuning_config.h"

namespace wgtune {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// ---- knob lines and their changes ----------------------------------------------------------

TEST(ParseKnobLine, SplitsWhatTuningKnobLineWrites) {
  const std::string line = *TuningKnobLine("wgtune_sysctl_info", {{"value", "a \"b\"\\c\nd"}, {"name", "x.y"}}, 1);
  std::optional<KnobLineParts> parts = ParseKnobLine(line);
  ASSERT_TRUE(parts) << line;
  EXPECT_EQ(parts->family, "wgtune_sysctl_info");
  EXPECT_EQ(parts->labels, (std::vector<std::pair<std::string, std::string>>{{"name", "x.y"}, {"value", "a \"b\"\\c\nd"}}));
  EXPECT_EQ(parts->value, "1");

  parts = ParseKnobLine("wgtune_sysctl_net_core_netdev_max_backlog{} 1e+06");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->family, "wgtune_sysctl_net_core_netdev_max_backlog");
  EXPECT_TRUE(parts->labels.empty());
  EXPECT_EQ(parts->value, "1e+06");
}

TEST(ParseKnobLine, RefusesOtherShapes) {
  for (const char* line : {"", "no_braces 1", "{} 1", "f{} ", "f{}", "f{a=\"1\"}1", "f{a=\"1} 1", "f{a=1} 1",
                           "f{=\"1\"} 1", "f{} 1 2"}) {
    EXPECT_FALSE(ParseKnobLine(line)) << line;
  }
}

TEST(KnobName, DropsThePrefixesButKeepsTheKind) {
  EXPECT_EQ(KnobName("wgtune_sysctl_net_core_netdev_budget"), "net_core_netdev_budget");
  EXPECT_EQ(KnobName("wgtune_sysctl_info"), "sysctl_info");
  EXPECT_EQ(KnobName("wgtune_rps_cpus"), "rps_cpus");
  EXPECT_EQ(KnobName("other_family"), "other_family");
}

const std::vector<std::string> kDefaults = {
    R"(wgtune_rps_cpus{device="eth0",queue="rx-0"} 0)",
    R"(wgtune_rps_info{device="eth0",mask="0",queue="rx-0"} 1)",
    R"(wgtune_sysctl_info{name="net.ipv4.tcp_congestion_control",value="cubic"} 1)",
    R"(wgtune_sysctl_net_core_netdev_max_backlog{} 1000)",
    R"(wgtune_qdisc_info{device="eth0",kind="pfifo_fast"} 1)",
};

TEST(DiffKnobs, ValuesLabelChangesAdditionsAndRemovals) {
  const std::vector<std::string> tuned = {
      R"(wgtune_rps_cpus{device="eth0",queue="rx-0"} 4)",
      R"(wgtune_rps_info{device="eth0",mask="f",queue="rx-0"} 1)",
      R"(wgtune_sysctl_info{name="net.ipv4.tcp_congestion_control",value="bbr"} 1)",
      R"(wgtune_sysctl_net_core_netdev_max_backlog{} 10000)",
      R"(wgtune_qdisc_info{device="eth0",kind="fq"} 1)",  // one label apart too: a label change
      R"(wgtune_network_mtu_bytes{device="wt0"} 1420)",   // new
  };
  std::vector<KnobChange> changes = DiffKnobs(kDefaults, tuned);
  EXPECT_EQ(changes, (std::vector<KnobChange>{
                         {"net_core_netdev_max_backlog", "1000", "10000"},
                         {"network_mtu_bytes{device=wt0}", std::nullopt, "1420"},
                         {"qdisc_info{device=eth0} kind", "pfifo_fast", "fq"},
                         {"rps_cpus{device=eth0,queue=rx-0}", "0", "4"},
                         {"rps_info{device=eth0,queue=rx-0} mask", "0", "f"},
                         {"sysctl_info{name=net.ipv4.tcp_congestion_control} value", "cubic", "bbr"},
                     }));
  EXPECT_EQ(ChangesText(changes, 10),
            "net_core_netdev_max_backlog 1000→10000; +network_mtu_bytes{device=wt0} 1420; qdisc_info{device=eth0} kind pfifo_fast→fq; "
            "rps_cpus{device=eth0,queue=rx-0} 0→4; rps_info{device=eth0,queue=rx-0} mask 0→f; sysctl_info{name=net.ipv4.tcp_congestion_control} value "
            "cubic→bbr");
  EXPECT_EQ(ChangesText(changes),
            "net_core_netdev_max_backlog 1000→10000; +network_mtu_bytes{device=wt0} 1420; qdisc_info{device=eth0} kind pfifo_fast→fq; "
            "rps_cpus{device=eth0,queue=rx-0} 0→4; and 2 more");
  // The reverse direction, and nothing for equal sets in any order.
  EXPECT_EQ(DiffKnobs(tuned, kDefaults)[1], (KnobChange{"network_mtu_bytes{device=wt0}", "1420", std::nullopt}));
  std::vector<std::string> shuffled(kDefaults.rbegin(), kDefaults.rend());
  EXPECT_TRUE(DiffKnobs(kDefaults, shuffled).empty());
}

TEST(DiffKnobs, InfoSeriesWithoutPartnerAreShownWithoutTheirValue) {
  // Two labels differ: not one change, but one series gone and one new.
  std::vector<KnobChange> changes = DiffKnobs({R"(wgtune_interrupt_affinity_info{affinity="0-3",irq="25"} 1)"},
                                              {R"(wgtune_interrupt_affinity_info{affinity="1",irq="26"} 1)"});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(ChangeText(changes[0]), "-interrupt_affinity_info{affinity=0-3,irq=25}");
  EXPECT_EQ(ChangeText(changes[1]), "+interrupt_affinity_info{affinity=1,irq=26}");
  // A line that is not a knob line is compared whole.
  changes = DiffKnobs({"garbage"}, {});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(ChangeText(changes[0]), "-garbage");
}

ComparisonRow Row(std::string host, std::optional<std::string> fingerprint, std::optional<std::vector<std::string>> knobs) {
  ComparisonRow row;
  row.host = std::move(host);
  row.fingerprint = std::move(fingerprint);
  row.knobs = std::move(knobs);
  return row;
}

TEST(AssignChanges, ComparesEachRowWithTheRowBeforeOfItsHost) {
  std::vector<std::string> backlog = kDefaults;
  backlog[3] = R"(wgtune_sysctl_net_core_netdev_max_backlog{} 10000)";
  std::vector<ComparisonRow> rows = {
      Row("a", "f1", kDefaults),       Row("b", "f1", kDefaults),  Row("a", "f1", kDefaults),
      Row("a", "f2", backlog),         Row("b", std::nullopt, std::nullopt),
      Row("b", "f1", kDefaults),       Row("a", "f2", std::nullopt),  // knobs unknown, fingerprint equal
  };
  AssignChanges(rows);
  EXPECT_EQ(rows[0].change_state, ChangeState::kFirst);
  EXPECT_EQ(rows[1].change_state, ChangeState::kFirst);
  EXPECT_EQ(rows[2].change_state, ChangeState::kSame);
  EXPECT_EQ(rows[3].change_state, ChangeState::kChanged);
  EXPECT_EQ(rows[3].changes, (std::vector<KnobChange>{{"net_core_netdev_max_backlog", "1000", "10000"}}));
  EXPECT_EQ(rows[4].change_state, ChangeState::kUnknown);
  EXPECT_EQ(rows[5].change_state, ChangeState::kUnknown);  // the row before it is unknown
  EXPECT_EQ(rows[6].change_state, ChangeState::kSame);
}

// ---- Prometheus history: intervals and the steps under load ----------------------------------

promql::Series Series(const std::string& instance, const std::string& fingerprint, const TimePoints& points) {
  promql::Series series{{{"fingerprint", fingerprint}, {"instance", instance}, {"job", "wgtune"}}, {}};
  for (const auto& [seconds, value] : points) series.points.push_back({promql::ToTimestamp(seconds), value});
  return series;
}

TEST(ConfigIntervals, TheNewestSampleWinsAndGapsDoNotSplit) {
  // Host a: A until 30 (sample times lag the steps), then B; A lingers in the lookback until 60.
  // Host b: A with a gap (no series at 30..40), then A again: one interval.
  promql::Matrix matrix = {
      Series("b", "A", {{0, 0}, {10, 10}, {20, 20}, {50, 50}, {60, 60}}),
      Series("a", "B", {{40, 35}, {50, 45}, {60, 55}, {70, 65}}),
      Series("a", "A", {{0, 0}, {10, 5}, {20, 15}, {30, 25}, {40, 25}, {50, 25}, {60, 25}}),
  };
  std::vector<ConfigInterval> intervals = ConfigIntervals(matrix);
  ASSERT_EQ(intervals.size(), 3u);
  EXPECT_EQ(intervals[0].instance, "a");
  EXPECT_EQ(intervals[0].job, "wgtune");
  EXPECT_EQ(intervals[0].fingerprint, "A");
  EXPECT_EQ(intervals[0].start, 0);
  EXPECT_EQ(intervals[0].end, 30);
  EXPECT_EQ(intervals[0].steps, 4u);
  EXPECT_EQ(intervals[0].target, (promql::Labels{{"instance", "a"}, {"job", "wgtune"}}));
  EXPECT_EQ(intervals[1].fingerprint, "B");
  EXPECT_EQ(intervals[1].start, 40);
  EXPECT_EQ(intervals[1].end, 70);
  EXPECT_EQ(intervals[2].instance, "b");
  EXPECT_EQ(intervals[2].start, 0);
  EXPECT_EQ(intervals[2].end, 60);
  EXPECT_EQ(intervals[2].steps, 5u);
  EXPECT_TRUE(ConfigIntervals({}).empty());
}

TEST(SelectUnderLoad, AveragesTheStepsAtHalfThePeakOrMore) {
  std::array<TimePoints, kLoadViewColumns.size()> columns;
  // Throughput: ramp, load, a dip below half the peak, load; outside the span a higher peak.
  columns[0] = {{0, 900}, {10, 10}, {20, 300}, {30, 800}, {40, 600}, {50, 350}, {60, 700}, {70, 5}};
  columns[1] = {{20, 0.1}, {30, 0.9}, {40, 0.5}, {50, kNaN}, {60, 0.7}};
  columns[2] = {{30, 30}, {60, 0}};   // no value at step 40: the mean is over 30 and 60
  columns[3] = {{10, 99}, {50, 99}};  // values only at steps not under load
  LoadSelection selection = SelectUnderLoad(columns, 10, 70);
  EXPECT_EQ(selection.state, LoadState::kUnderLoad);
  EXPECT_EQ(selection.samples, 3u);  // 30, 40, 60: at least 400 of the peak 800
  EXPECT_DOUBLE_EQ(*selection.values[0], (800 + 600 + 700) / 3.0);
  EXPECT_DOUBLE_EQ(*selection.values[1], (0.9 + 0.5 + 0.7) / 3.0);
  EXPECT_DOUBLE_EQ(*selection.values[2], 15);
  EXPECT_FALSE(selection.values[3]);

  // No traffic: idle, whatever the other columns say.
  columns[0] = {{10, 0}, {20, 0}, {30, kNaN}};
  selection = SelectUnderLoad(columns, 10, 70);
  EXPECT_EQ(selection.state, LoadState::kIdle);
  EXPECT_EQ(selection.samples, 0u);
  EXPECT_FALSE(selection.values[1]);
  EXPECT_EQ(SelectUnderLoad({}, 0, 100).state, LoadState::kIdle);
}

// ---- rendering -------------------------------------------------------------------------------

TEST(Format, HumanNumbers) {
  EXPECT_EQ(FormatBitsPerSecond(943.2e6), "943 Mbit/s");
  EXPECT_EQ(FormatBitsPerSecond(94.32e6), "94.3 Mbit/s");
  EXPECT_EQ(FormatBitsPerSecond(1.234e9), "1.23 Gbit/s");
  EXPECT_EQ(FormatBitsPerSecond(512e3), "512 kbit/s");
  EXPECT_EQ(FormatBitsPerSecond(12), "12 bit/s");
  EXPECT_EQ(FormatPercent(0.96), "96%");
  EXPECT_EQ(FormatPercent(0.035), "3.5%");
  EXPECT_EQ(FormatPercent(0), "0%");
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(2.5), "2.5");
  EXPECT_EQ(FormatCount(3.0), "3");
  EXPECT_EQ(FormatCount(12345.4), "12345");
  EXPECT_EQ(FormatSpan(1764072000, 1764074385), "2025-11-25 12:00:00–12:39:45 UTC");
  EXPECT_EQ(FormatSpan(1764111600, 1764118800), "2025-11-25 23:00:00–2025-11-26 01:00:00 UTC");
}

std::vector<ComparisonRow> RunRows() {
  ComparisonRow defaults = Row("", "00000000000000aa", kDefaults);
  defaults.config = "defaults";
  defaults.scenario = "tcp_fwd";
  defaults.throughput = 943e6;
  defaults.load_state = LoadState::kUnderLoad;
  defaults.load = {950e6, 0.96, 0, 0};
  defaults.load_samples = 28;
  ComparisonRow rps = defaults;
  rps.config = "rps|rfs";  // a pipe must not split the cell
  rps.fingerprint = "00000000000000bb";
  rps.knobs->at(0) = R"(wgtune_rps_cpus{device="eth0",queue="rx-0"} 4)";
  rps.throughput = 1.5e9;
  rps.load = {1.52e9, 0.35, 1234.4, std::nullopt};
  ComparisonRow no_exporter = Row("", std::nullopt, std::nullopt);
  no_exporter.config = "bare";
  no_exporter.scenario = "udp_64";
  no_exporter.throughput = 80e6;
  std::vector<ComparisonRow> rows = {defaults, rps, no_exporter};
  AssignChanges(rows);
  return rows;
}

TEST(MarkdownComparison, TheGuidesTable) {
  EXPECT_EQ(MarkdownComparison(RunRows()),
            "| config | changes | scenario | throughput | WireGuard throughput | top core %soft | softnet drops/30s | NIC drops/30s |\n"
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n"
            "| defaults `00000000000000aa` | (first) | tcp_fwd | 943 Mbit/s | 950 Mbit/s | 96% | 0 | 0 |\n"
            "| rps\\|rfs `00000000000000bb` | rps_cpus{device=eth0,queue=rx-0} 0→4 | tcp_fwd | 1.50 Gbit/s | 1.52 Gbit/s | 35% | 1234 | — |\n"
            "| bare | ? | udp_64 | 80.0 Mbit/s | — | — | — | — |\n");
}

TEST(MarkdownComparison, HistoryRowsPerHostWithSpansAndNoLoad) {
  ComparisonRow loaded = Row("10.0.0.1:10050", "00000000000000aa", kDefaults);
  loaded.job = "wgtune";
  loaded.start = 1764072000;
  loaded.end = 1764074385;
  loaded.load_state = LoadState::kUnderLoad;
  loaded.load = {800e6, 0.5, 30, 3};
  loaded.load_samples = 80;
  loaded.load_seconds = 1200;
  ComparisonRow idle = loaded;
  idle.start = 1764074400;
  idle.end = 1764075000;
  idle.load_state = LoadState::kIdle;
  idle.load_seconds.reset();
  ComparisonRow other = loaded;
  other.host = "10.0.0.2:10050";
  std::vector<ComparisonRow> rows = {loaded, idle, other};
  AssignChanges(rows);
  EXPECT_EQ(MarkdownComparison(rows),
            "### 10.0.0.1:10050 (wgtune)\n\n"
            "| config | changes | span | WireGuard throughput | top core %soft | softnet drops/30s | NIC drops/30s |\n"
            "| --- | --- | --- | ---: | ---: | ---: | ---: |\n"
            "| `00000000000000aa` | (first) | 2025-11-25 12:00:00–12:39:45 UTC (39m45s, 20m under load) | 800 Mbit/s | 50% | 30 | 3 |\n"
            "| `00000000000000aa` | same | 2025-11-25 12:40:00–12:50:00 UTC (10m) | no load | — | — | — |\n"
            "\n"
            "### 10.0.0.2:10050 (wgtune)\n\n"
            "| config | changes | span | WireGuard throughput | top core %soft | softnet drops/30s | NIC drops/30s |\n"
            "| --- | --- | --- | ---: | ---: | ---: | ---: |\n"
            "| `00000000000000aa` | (first) | 2025-11-25 12:00:00–12:39:45 UTC (39m45s, 20m under load) | 800 Mbit/s | 50% | 30 | 3 |\n");
}

TEST(JsonComparison, EveryValueAndNullForTheUnknown) {
  nlohmann::json json = nlohmann::json::parse(JsonComparison(RunRows()));
  ASSERT_EQ(json["rows"].size(), 3u);
  const nlohmann::json& rps = json["rows"][1];
  EXPECT_EQ(rps["config"], "rps|rfs");
  EXPECT_EQ(rps["fingerprint"], "00000000000000bb");
  EXPECT_EQ(rps["knobs_fingerprint"], TuningFingerprint(*RunRows()[1].knobs));
  EXPECT_EQ(rps["changes"]["state"], "changed");
  EXPECT_EQ(rps["changes"]["text"], "rps_cpus{device=eth0,queue=rx-0} 0→4");
  EXPECT_EQ(rps["changes"]["list"], nlohmann::json::parse(R"([{"knob":"rps_cpus{device=eth0,queue=rx-0}","before":"0","after":"4"}])"));
  EXPECT_EQ(rps["throughput_bits_per_second"], 1.5e9);
  EXPECT_EQ(rps["exporter"]["load"], "under_load");
  EXPECT_EQ(rps["exporter"]["samples"], 28);
  EXPECT_EQ(rps["exporter"]["throughput_bits_per_second"], 1.52e9);
  EXPECT_EQ(rps["exporter"]["softnet_drops_per_30s"], 1234.4);
  EXPECT_TRUE(rps["exporter"]["nic_drops_per_30s"].is_null());
  const nlohmann::json& bare = json["rows"][2];
  EXPECT_TRUE(bare["fingerprint"].is_null());
  EXPECT_TRUE(bare["knobs_fingerprint"].is_null());
  EXPECT_TRUE(bare["exporter"].is_null());
  EXPECT_EQ(bare["changes"]["state"], "unknown");
}

// ---- run files -------------------------------------------------------------------------------

std::string RunFile(const std::string& scenario, const std::string& patch = "{}") {
  nlohmann::json file = {
      {"format", "wgtune-baseline/1"},
      {"scenario", scenario},
      {"iperf3_args", {"-u", "-b", "0", "-l", "1200"}},
      {"server", "100.64.0.2"},
      {"started", 1764079000.5},
      {"seconds", 30},
      {"fingerprint", "0f3c9a0000000001"},
      {"knobs", {R"(wgtune_sysctl_net_core_netdev_max_backlog{} 1000)"}},
      {"throughput_bits_per_second", 123.4e6},
      {"iperf3", {{"end", {}}}},
      {"exporter",
       {{"target", "http://127.0.0.1:10050/metrics"},
        {"samples", 28},
        {"throughput_bits_per_second", 1.3e8},
        {"top_core_softirq_ratio", 0.41},
        {"softnet_drops_per_30s", 0},
        {"nic_drops_per_30s", nullptr}}},
  };
  file.merge_patch(nlohmann::json::parse(patch));
  return file.dump();
}

TEST(ParseRunFile, ReadsTheBaselineContract) {
  ComparisonRow row = ParseRunFile(RunFile("udp_1200"), "run/udp_1200.json", "run");
  EXPECT_EQ(row.config, "run");
  EXPECT_EQ(row.source, "run/udp_1200.json");
  EXPECT_EQ(row.scenario, "udp_1200");
  EXPECT_EQ(row.start, 1764079000.5);
  EXPECT_EQ(row.end, 1764079030.5);
  EXPECT_EQ(row.fingerprint, "0f3c9a0000000001");
  EXPECT_EQ(row.knobs, (std::vector<std::string>{R"(wgtune_sysctl_net_core_netdev_max_backlog{} 1000)"}));
  EXPECT_EQ(row.throughput, 123.4e6);
  EXPECT_EQ(row.load_state, LoadState::kUnderLoad);
  EXPECT_EQ(row.load_samples, 28u);
  EXPECT_EQ(row.load[0], 1.3e8);
  EXPECT_EQ(row.load[1], 0.41);
  EXPECT_EQ(row.load[2], 0);
  EXPECT_FALSE(row.load[3]);

  // Without an exporter (merge_patch removes members set to null, so they are set here).
  nlohmann::json bare = nlohmann::json::parse(RunFile("tcp_fwd", R"({"knobs": []})"));
  bare["fingerprint"] = nullptr;
  bare["exporter"] = nullptr;
  row = ParseRunFile(bare.dump(), "p", "c");
  EXPECT_FALSE(row.fingerprint);
  EXPECT_FALSE(row.knobs);
  EXPECT_EQ(row.load_state, LoadState::kAbsent);
}

TEST(ParseRunFile, RefusesMalformedFilesWithPathAndProblem) {
  struct Case {
    std::string text;
    std::string want;
  };
  const Case cases[] = {
      {"{", "not JSON"},
      {"[1]", "not a JSON object"},
      {RunFile("x", R"({"format": "wgtune-baseline/2"})"), R"(format "wgtune-baseline/2", want "wgtune-baseline/1")"},
      {RunFile("x", R"({"format": null})"), R"(no "format")"},  // merge_patch: null removes
      {RunFile("x", R"({"scenario": 5})"), R"("scenario" is not a string)"},
      {RunFile("", "{}"), R"("scenario" is empty)"},
      {RunFile("x", R"({"started": "now"})"), R"("started" is not a number)"},
      {RunFile("x", R"({"seconds": -1})"), R"("seconds" is negative)"},
      {RunFile("x", R"({"throughput_bits_per_second": null})"), R"(no "throughput_bits_per_second")"},
      {RunFile("x", R"({"throughput_bits_per_second": "fast"})"), R"("throughput_bits_per_second" is neither a number nor null)"},
      {RunFile("x", R"({"fingerprint": "XYZ"})"), R"("fingerprint" is neither null nor 16 lower-case hex digits: "XYZ")"},
      {RunFile("x", R"({"knobs": "a"})"), R"("knobs" is not an array)"},
      {RunFile("x", R"({"knobs": [1]})"), R"("knobs" has a member that is not a string: 1)"},
      {RunFile("x", R"({"exporter": 3})"), R"("exporter" is neither an object nor null)"},
      {RunFile("x", R"({"exporter": {"samples": null}})"), R"(no "exporter.samples")"},
      {RunFile("x", R"({"exporter": {"top_core_softirq_ratio": "high"}})"),
       R"("exporter.top_core_softirq_ratio" is neither a number nor null)"},
  };
  for (const Case& c : cases) {
    try {
      ParseRunFile(c.text, "runs/a/x.json", "a");
      ADD_FAILURE() << "accepted, want: " << c.want;
    } catch (const RunFileError& error) {
      EXPECT_EQ(std::string(error.what()), "runs/a/x.json: " + c.want);
    }
  }
}

class RunDirectoriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("wgtune-compare-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string Write(const std::string& relative, const std::string& text) {
    std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  std::string Dir(const std::string& relative) { return (root_ / relative).string(); }

  std::filesystem::path root_;
};

TEST_F(RunDirectoriesTest, DirectoriesInOrderScenariosInTheGuidesOrder) {
  for (const char* scenario : {"udp_64", "custom", "tcp_single", "tcp_fwd", "udp_1200", "tcp_rev"}) {
    Write(std::string("b/") + scenario + ".json", RunFile(scenario));
  }
  Write("b/notes.txt", "not a run file");
  Write("a/tcp_fwd.json", RunFile("tcp_fwd"));
  std::vector<ComparisonRow> rows = ReadRunDirectories({Dir("b"), Dir("a") + "/"});
  std::vector<std::string> order;
  for (const ComparisonRow& row : rows) order.push_back(row.config + ":" + row.scenario);
  EXPECT_EQ(order, (std::vector<std::string>{"b:tcp_fwd", "b:tcp_rev", "b:udp_1200", "b:udp_64", "b:tcp_single",
                                             "b:custom", "a:tcp_fwd"}));
}

TEST_F(RunDirectoriesTest, RefusesMissingEmptyAndMalformed) {
  auto error_of = [](const std::vector<std::string>& dirs) {
    try {
      ReadRunDirectories(dirs);
    } catch (const RunFileError& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  };
  EXPECT_TRUE(Contains(error_of({Dir("missing")}), Dir("missing") + ": cannot read the directory"));
  std::filesystem::create_directories(root_ / "empty");
  EXPECT_EQ(error_of({Dir("empty")}), Dir("empty") + ": no run files (*.json)");
  Write("bad/tcp_fwd.json", RunFile("tcp_fwd"));
  std::string bad = Write("bad/udp_64.json", R"({"format": "wgtune-baseline/1"})");
  EXPECT_EQ(error_of({Dir("bad")}), bad + R"(: no "scenario")");
}

// ---- compare --prometheus: time arguments and range query responses ------------------------

TEST(ParseTimeArgument, UnixSecondsAndRfc3339) {
  EXPECT_EQ(ParseTimeArgument("1764079000"), 1764079000);
  EXPECT_EQ(ParseTimeArgument("1764079000.5"), 1764079000.5);
  EXPECT_EQ(ParseTimeArgument("2025-11-25T14:00:00Z"), 1764079200);
  EXPECT_EQ(ParseTimeArgument("2025-11-25t14:00:00z"), 1764079200);
  EXPECT_EQ(ParseTimeArgument("2025-11-25T15:00:00.250+01:00"), 1764079200.25);
  EXPECT_EQ(ParseTimeArgument("2025-11-25T09:30:00-04:30"), 1764079200);
  for (const char* bad : {"", "now", "2025-11-25", "2025-11-25T14:00:00", "2025-11-25 14:00:00Z", "2025-13-01T00:00:00Z",
                          "2025-02-30T00:00:00Z", "2025-11-25T14:00:00.Z", "2025-11-25T14:00:00+0100", "inf"}) {
    EXPECT_FALSE(ParseTimeArgument(bad)) << bad;
  }
}

TEST(ParseRangeQueryResponse, Matrix) {
  promql::Matrix matrix = ParseRangeQueryResponse(R"({"status":"success","data":{"resultType":"matrix","result":[
      {"metric":{"instance":"a","job":"j","empty":""},"values":[[1764079000,"1"],[1764079015.5,"NaN"],[1764079030,"+Inf"]]},
      {"metric":{},"values":[]}]}})");
  ASSERT_EQ(matrix.size(), 2u);
  EXPECT_EQ(matrix[0].labels, (promql::Labels{{"instance", "a"}, {"job", "j"}}));
  ASSERT_EQ(matrix[0].points.size(), 3u);
  EXPECT_EQ(matrix[0].points[1].t, 1764079015500);
  EXPECT_TRUE(std::isnan(matrix[0].points[1].v));
  EXPECT_EQ(matrix[0].points[2].v, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(matrix[1].points.empty());

  auto error_of = [](std::string_view body) {
    try {
      ParseRangeQueryResponse(body);
    } catch (const PrometheusApiError& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error_of(R"({"status":"error","errorType":"bad_data","error":"exceeded maximum resolution"})"),
            "bad_data: exceeded maximum resolution");
  EXPECT_TRUE(Contains(error_of(R"({"status":"success","data":{"resultType":"vector","result":[]}})"),
                       "result type \"vector\", want matrix"));
  EXPECT_TRUE(Contains(error_of(R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["x","1"]]}]}})"),
                       "a range point must be [time, \"value\"]"));
  EXPECT_TRUE(Contains(error_of("<html>"), "not JSON"));
}

}  // namespace
}  // namespace wgtune
