#include "exporter/sources/proc_stat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/errors.h"
#include "exporter/collector.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewCpuCollector(const CollectorContext&);

namespace {

auto Tie(const CpuTimes& t) {
  return std::tie(t.user, t.nice, t.system, t.idle, t.iowait, t.irq, t.softirq, t.steal, t.guest, t.guest_nice);
}

using Opt = std::optional<uint64_t>;

CpuTimes Times(uint64_t user, uint64_t nice, uint64_t system, uint64_t idle, Opt iowait = {}, Opt irq = {},
               Opt softirq = {}, Opt steal = {}, Opt guest = {}, Opt guest_nice = {}) {
  return {user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice};
}

struct ParseCase {
  std::string name;
  std::string input;
  bool ok;
  CpuTimes total = {};
  std::vector<unsigned> cpus = {};
  std::vector<CpuTimes> times = {};
};

TEST(ProcStatParseTest, Table) {
  const std::vector<ParseCase> cases = {
      {"empty input", "", false},
      {"no cpu line", "intr 112871 9 0 0\nctxt 223419\nbtime 1718031211\n", false},
      {"not enough fields", "cpu  8123 12 4511\n", false},
      {"per-CPU line with not enough fields", "cpu  8123 12 4511 99812\ncpu0 8123 12 4511\n", false},
      {"garbage number", "cpu  8123 12 4511 99812 87 0 231 0 0 0\ncpu0 8123 12 4511 99812 87 0 2x1 0 0 0\n", false},
      {"negative number", "cpu  8123 12 4511 99812 87 0 231 0 0 0\ncpu0 8123 12 -4511 99812 87 0 231 0 0 0\n", false},
      {"label neither cpu nor cpuN", "cpu  8123 12 4511 99812 87 0 231 0 0 0\ncpuX 8123 12 4511 99812 87 0 231 0 0 0\n",
       false},
      {"6.5, 10 values",
       "cpu  683015 3456 4856273 29344341 14209 0 4697840 7780 0 0\n"
       "cpu0 218743 1211 1523311 7981234 4211 0 121873 1877 0 0\n"
       "cpu1 12877 203 331208 5410988 1923 0 4318874 2311 0 0\n"
       "intr 351983617 9 0 0 0 1123\n"
       "ctxt 912837461\n"
       "btime 1718031211\n"
       "processes 1187342\n"
       "procs_running 3\n"
       "procs_blocked 0\n"
       "softirq 129861762 3 8129784 127737 99451531 317262 0 3834 11883387 144 9948080\n",
       true,
       Times(683015, 3456, 4856273, 29344341, 14209, 0, 4697840, 7780, 0, 0),
       {0, 1},
       {Times(218743, 1211, 1523311, 7981234, 4211, 0, 121873, 1877, 0, 0),
        Times(12877, 203, 331208, 5410988, 1923, 0, 4318874, 2311, 0, 0)}},
      // 2.6.33+ with nested guests: guest and guest_nice set.
      {"guest time",
       "cpu  88312 412 30211 1201877 812 0 2231 0 41200 120\ncpu0 88312 412 30211 1201877 812 0 2231 0 41200 120\n",
       true,
       Times(88312, 412, 30211, 1201877, 812, 0, 2231, 0, 41200, 120),
       {0},
       {Times(88312, 412, 30211, 1201877, 812, 0, 2231, 0, 41200, 120)}},
      // 2.6.24-2.6.32 (RHEL 6): guest, no guest_nice.
      {"2.6.32, 9 values",
       "cpu  1123 0 2211 981233 311 12 88 0 0\ncpu0 1123 0 2211 981233 311 12 88 0 0\n",
       true,
       Times(1123, 0, 2211, 981233, 311, 12, 88, 0, 0),
       {0},
       {Times(1123, 0, 2211, 981233, 311, 12, 88, 0, 0)}},
      // 2.6.11-2.6.23 (RHEL 5): steal, no guest.
      {"2.6.18, 8 values",
       "cpu  1123 0 2211 981233 311 12 88 5\ncpu0 1123 0 2211 981233 311 12 88 5\n",
       true,
       Times(1123, 0, 2211, 981233, 311, 12, 88, 5),
       {0},
       {Times(1123, 0, 2211, 981233, 311, 12, 88, 5)}},
      // 2.6.0-2.6.10: irq and softirq, no steal.
      {"2.6.9, 7 values",
       "cpu  1123 0 2211 981233 311 12 88\ncpu0 1123 0 2211 981233 311 12 88\n",
       true,
       Times(1123, 0, 2211, 981233, 311, 12, 88),
       {0},
       {Times(1123, 0, 2211, 981233, 311, 12, 88)}},
      // 2.4: four values.
      {"2.4, 4 values", "cpu  1123 0 2211 981233\ncpu0 1123 0 2211 981233\n", true, Times(1123, 0, 2211, 981233), {0},
       {Times(1123, 0, 2211, 981233)}},
      {"values a future kernel appends are ignored",
       "cpu  1 2 3 4 5 6 7 8 9 10 11\ncpu0 1 2 3 4 5 6 7 8 9 10 11\n",
       true,
       Times(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
       {0},
       {Times(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)}},
      // Only online CPUs have a line: CPU2 is offline.
      {"offline CPU",
       "cpu  30 0 30 300 0 0 3 0 0 0\n"
       "cpu0 10 0 10 100 0 0 1 0 0 0\n"
       "cpu1 10 0 10 100 0 0 1 0 0 0\n"
       "cpu3 10 0 10 100 0 0 1 0 0 0\n",
       true,
       Times(30, 0, 30, 300, 0, 0, 3, 0, 0, 0),
       {0, 1, 3},
       {Times(10, 0, 10, 100, 0, 0, 1, 0, 0, 0), Times(10, 0, 10, 100, 0, 0, 1, 0, 0, 0),
        Times(10, 0, 10, 100, 0, 0, 1, 0, 0, 0)}},
      {"64-bit values",
       "cpu  18446744073709551615 0 1 2\n",
       true,
       Times(18446744073709551615u, 0, 1, 2),
       {},
       {}},
      {"no trailing newline", "cpu  1 2 3 4 5 6 7 8 9 10", true, Times(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), {}, {}},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseProcStat(c.input), ParseError);
      continue;
    }
    ProcStat got = ParseProcStat(c.input);
    EXPECT_EQ(Tie(got.total), Tie(c.total));
    ASSERT_EQ(got.cpus.size(), c.cpus.size());
    for (size_t i = 0; i < c.cpus.size(); ++i) {
      EXPECT_EQ(got.cpus[i].cpu, c.cpus[i]);
      EXPECT_EQ(Tie(got.cpus[i].times), Tie(c.times[i])) << "cpu" << c.cpus[i];
    }
  }
}

TEST(ProcStatParseTest, ErrorNamesTheLineAndTheProblem) {
  try {
    ParseProcStat("cpu  8123 12 4511 99812 87 0 231 0 0 0\ncpu0 4061 6 2255 49906 43 0 1x5 0 0 0\n");
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "stat line 2: cpu0 value 7 \"1x5\" is not a number");
  }
}

// The collector over fixture trees laid out like / of the host.

std::unique_ptr<Collector> CollectorFor(const std::string& name) {
  CollectorContext context;
  context.procfs = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/proc_stat/" + name + "/proc";
  context.sysfs = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/proc_stat/" + name + "/sys";
  return NewCpuCollector(context);
}

MetricSet CollectFixture(const std::string& name) {
  MetricSet out;
  CollectorFor(name)->Collect(out);
  return out;
}



const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));

TEST(CpuCollectorTest, SecondsPerCpuAndMode) {
  MetricSet set = CollectFixture("azure-6.5");
  ASSERT_NE(set.Find("wgtune_cpu_seconds_total"), nullptr);
  EXPECT_EQ(set.Find("wgtune_cpu_seconds_total")->type, prometheus::MetricType::Counter);
  // 4 CPUs x 8 modes; the aggregate "cpu" line is not exported.
  EXPECT_EQ(SeriesCount(set, "wgtune_cpu_seconds_total"), 32u);
  EXPECT_DOUBLE_EQ(*Value(set, "wgtune_cpu_seconds_total", {{"cpu", "1"}, {"mode", "softirq"}}),
                   4318874 / kTicksPerSecond);
  EXPECT_DOUBLE_EQ(*Value(set, "wgtune_cpu_seconds_total", {{"cpu", "0"}, {"mode", "system"}}),
                   1523311 / kTicksPerSecond);
  EXPECT_DOUBLE_EQ(*Value(set, "wgtune_cpu_seconds_total", {{"cpu", "3"}, {"mode", "steal"}}), 1802 / kTicksPerSecond);
  EXPECT_DOUBLE_EQ(*Value(set, "wgtune_cpu_seconds_total", {{"cpu", "2"}, {"mode", "idle"}}),
                   7990112 / kTicksPerSecond);
  // Guest time is a family of its own.
  EXPECT_EQ(Value(set, "wgtune_cpu_seconds_total", {{"cpu", "0"}, {"mode", "guest"}}), std::nullopt);
  EXPECT_EQ(SeriesCount(set, "wgtune_cpu_guest_seconds_total"), 8u);
  EXPECT_EQ(Value(set, "wgtune_cpu_guest_seconds_total", {{"cpu", "0"}, {"mode", "user"}}), 0);
}

TEST(CpuCollectorTest, OfflineCpuAndGuestTime) {
  MetricSet set = CollectFixture("offline");
  EXPECT_EQ(SeriesCount(set, "wgtune_cpu_seconds_total"), 24u);
  EXPECT_EQ(Value(set, "wgtune_cpu_seconds_total", {{"cpu", "2"}, {"mode", "idle"}}), std::nullopt);
  EXPECT_DOUBLE_EQ(*Value(set, "wgtune_cpu_seconds_total", {{"cpu", "3"}, {"mode", "user"}}), 87456 / kTicksPerSecond);
  EXPECT_DOUBLE_EQ(*Value(set, "wgtune_cpu_guest_seconds_total", {{"cpu", "1"}, {"mode", "user"}}),
                   43011 / kTicksPerSecond);
  EXPECT_DOUBLE_EQ(*Value(set, "wgtune_cpu_guest_seconds_total", {{"cpu", "3"}, {"mode", "nice"}}),
                   111 / kTicksPerSecond);
}

TEST(CpuCollectorTest, MalformedFileThrows) { EXPECT_THROW(CollectFixture("malformed"), ParseError); }

TEST(CpuCollectorTest, MissingFileThrows) { EXPECT_THROW(CollectFixture("no-such-host"), IoError); }

// DeriveFromRates, fed the way the sampler feeds it: a gauge family named by Rates().

struct ModeRates {
  std::string cpu;
  std::vector<std::pair<std::string, double>> modes;
};

MetricSet Derive(const std::vector<ModeRates>& cpus) {
  std::unique_ptr<Collector> collector = CollectorFor("azure-6.5");
  std::vector<RateSpec> specs = collector->Rates();
  EXPECT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs.at(0).counter, "wgtune_cpu_seconds_total");
  EXPECT_EQ(specs.at(0).rate, "wgtune_cpu_seconds_per_second");
  MetricSet rates;
  Family family = rates.Gauge(specs.at(0).rate, "Seconds per second.");
  for (const ModeRates& cpu : cpus) {
    for (const auto& [mode, rate] : cpu.modes) family.Add({{"cpu", cpu.cpu}, {"mode", mode}}, rate);
  }
  MetricSet out;
  collector->DeriveFromRates(rates, out);
  return out;
}

// The mpstat line of the field guide §3.2: CPU1 at %soft 88 %, the others half idle.
TEST(CpuDeriveTest, ModeRatiosAreMpstatShares) {
  MetricSet out = Derive({
      {"0", {{"user", 0.011}, {"nice", 0}, {"system", 0.4725}, {"idle", 0.4505}, {"iowait", 0}, {"irq", 0},
             {"softirq", 0.0659}, {"steal", 0}}},
      {"1", {{"user", 0}, {"nice", 0}, {"system", 0.0543}, {"idle", 0.0652}, {"iowait", 0}, {"irq", 0},
             {"softirq", 0.8804}, {"steal", 0}}},
  });
  const double total0 = 0.011 + 0.4725 + 0.4505 + 0.0659;
  const double total1 = 0.0543 + 0.0652 + 0.8804;
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_mode_ratio", {{"cpu", "1"}, {"mode", "softirq"}}), 0.8804 / total1);
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_mode_ratio", {{"cpu", "0"}, {"mode", "system"}}), 0.4725 / total0);
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_mode_ratio", {{"cpu", "0"}, {"mode", "steal"}}), 0);
  EXPECT_EQ(SeriesCount(out, "wgtune_cpu_mode_ratio"), 16u);
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_busy_ratio", {{"cpu", "1"}}), 1 - 0.0652 / total1);
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_busy_ratio", {{"cpu", "0"}}), 1 - 0.4505 / total0);
  EXPECT_EQ(out.Find("wgtune_cpu_busy_ratio")->type, prometheus::MetricType::Gauge);
}

// The rates of one interval rarely sum to exactly 1 s/s; the shares still sum to 1.
TEST(CpuDeriveTest, SharesAreOverTheSumNotOverOneSecond) {
  MetricSet out = Derive({{"0", {{"user", 0.3}, {"system", 0.2}, {"idle", 0.2}, {"iowait", 0.1}, {"softirq", 0.2}}}});
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_mode_ratio", {{"cpu", "0"}, {"mode", "user"}}), 0.3 / 1.0);
  out = Derive({{"0", {{"user", 0.15}, {"system", 0.1}, {"idle", 0.1}, {"iowait", 0.05}, {"softirq", 0.1}}}});
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_mode_ratio", {{"cpu", "0"}, {"mode", "user"}}), 0.3);
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_mode_ratio", {{"cpu", "0"}, {"mode", "softirq"}}), 0.2);
  // Busy leaves out idle and iowait: 1 - 0.2 - 0.1.
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_busy_ratio", {{"cpu", "0"}}), 0.7);
}

TEST(CpuDeriveTest, SkipsCpusWithoutTimeOrWithoutIdle) {
  MetricSet out = Derive({
      {"0", {{"user", 0}, {"system", 0}, {"idle", 0}, {"softirq", 0}}},
      // idle went backwards this interval: no rate, so no share is trustworthy.
      {"1", {{"user", 0.1}, {"system", 0.1}, {"softirq", 0.1}}},
      {"2", {{"user", 0.5}, {"idle", 0.5}}},
  });
  EXPECT_EQ(Value(out, "wgtune_cpu_busy_ratio", {{"cpu", "0"}}), std::nullopt);
  EXPECT_EQ(Value(out, "wgtune_cpu_mode_ratio", {{"cpu", "0"}, {"mode", "user"}}), std::nullopt);
  EXPECT_EQ(Value(out, "wgtune_cpu_busy_ratio", {{"cpu", "1"}}), std::nullopt);
  EXPECT_EQ(Value(out, "wgtune_cpu_mode_ratio", {{"cpu", "1"}, {"mode", "softirq"}}), std::nullopt);
  EXPECT_DOUBLE_EQ(*Value(out, "wgtune_cpu_busy_ratio", {{"cpu", "2"}}), 0.5);
  EXPECT_EQ(SeriesCount(out, "wgtune_cpu_mode_ratio"), 2u);
}

TEST(CpuDeriveTest, NothingWithoutTheRateFamily) {
  std::unique_ptr<Collector> collector = CollectorFor("azure-6.5");
  MetricSet rates;
  rates.Gauge("wgtune_softnet_dropped_per_second", "Other.").Add({{"cpu", "0"}}, 1);
  MetricSet out;
  collector->DeriveFromRates(rates, out);
  EXPECT_TRUE(out.families().empty());
}

}  // namespace
}  // namespace wgtune
