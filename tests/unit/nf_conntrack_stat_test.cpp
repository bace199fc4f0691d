#include "exporter/sources/nf_conntrack_stat.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "common/metric_set.h"

namespace wgtune {

std::unique_ptr<Collector> NewConntrackCollector(const CollectorContext&);

namespace {

const std::string kRoot = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/conntrack/";

// 3.10: no search_restart column yet; two possible CPUs.
const char kKernel310[] =
    "entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  "
    "expect_new expect_create expect_delete\n"
    "000001a3  0000bc21 00145a0e 000072b1 00000019 000e8f21 00007190 00007031 000072a8 00000000 00000000 00000000 "
    "00000003  00000000 00000000 00000000\n"
    "000001a3  0000a013 0011f30b 00006d02 0000000c 000d11a7 00006b88 00006a90 00006cf1 00000001 00000002 00000000 "
    "00000000  00000000 00000000 00000000\n";

// 5.10: clashres has replaced searched, delete_list is still there.
const char kKernel510[] =
    "entries  clashres found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  "
    "expect_new expect_create expect_delete search_restart\n"
    "00000042  00000001 00000000 00000000 0000000a 00000000 00000000 00000000 00000000 00000002 00000000 00000000 "
    "00000000  00000000 00000000 00000000 00000005\n";

struct ParseCase {
  const char* name;
  std::string text;
  bool ok;
};

TEST(NfConntrackStatParseTest, RejectsMalformedText) {
  const std::string header = "entries  clashres found new invalid\n";
  const ParseCase cases[] = {
      {"empty input", "", false},
      {"only a newline", "\n", false},
      {"header without CPU rows", header, false},
      {"not enough fields", header + "00000fce  00000003 00001a2b 00000000\n", false},
      {"too many fields", header + "00000fce  00000003 00001a2b 00000000 00000004 00000001\n", false},
      {"garbage number", header + "00000fce  00000003 0000zz2b 00000000 00000004\n", false},
      {"wider than 32 bits", header + "00000fce  00000003 100000000 00000000 00000004\n", false},
      {"header repeated", header + header, false},
      {"repeated column", "entries drop drop\n00000001 00000002 00000003\n", false},
      {"blank line after a row", header + "00000fce  00000003 00001a2b 00000000 00000004\n\n", false},
      {"well formed", header + "00000fce  00000003 00001a2b 00000000 00000004\n", true},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.name);
    if (c.ok) {
      EXPECT_NO_THROW(ParseNfConntrackStat(c.text));
    } else {
      EXPECT_THROW(ParseNfConntrackStat(c.text), ParseError);
    }
  }
}

TEST(NfConntrackStatParseTest, ErrorSaysLineAndCounts) {
  try {
    ParseNfConntrackStat(ReadFile(kRoot + "malformed/net/stat/nf_conntrack"));
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "nf_conntrack line 3: 7 fields, want 17 as in the header");
  }
}

TEST(NfConntrackStatParseTest, OldHeaderSumsOverCpusAndTakesEntriesOnce) {
  NfConntrackStat stat = ParseNfConntrackStat(ReadFile(kRoot + "4.19/net/stat/nf_conntrack"));
  EXPECT_EQ(stat.cpu_rows, 4u);
  EXPECT_EQ(stat.entries, 0x3ffd2u);  // 262098, not four times that
  EXPECT_EQ(stat.Total("insert_failed"), 0x4u + 0x6u + 0x2u + 0x7u);
  EXPECT_EQ(stat.Total("drop"), 0x1fu + 0x12u + 0x9u + 0x27u);
  EXPECT_EQ(stat.Total("early_drop"), 0x3au + 0x2bu + 0x19u + 0x44u);
  EXPECT_EQ(stat.Total("invalid"), 0x2cu + 0x31u + 0x1eu + 0x22u);
  EXPECT_EQ(stat.Total("search_restart"), 0x12u + 0x9u + 0x4u + 0x15u);
  EXPECT_EQ(stat.Total("searched"), 0x1b2eu + 0x1a07u + 0x16f9u + 0x1c44u);
  EXPECT_EQ(stat.Total("delete_list"), 0x8e9bu + 0x8a02u + 0x78f1u + 0x9a87u);
  EXPECT_EQ(stat.Total("clashres"), std::nullopt);
  EXPECT_EQ(stat.Total("chainlength"), std::nullopt);
  EXPECT_EQ(stat.Total("entries"), std::nullopt);
  EXPECT_EQ(stat.totals.size(), 16u);
}

TEST(NfConntrackStatParseTest, NewHeader) {
  NfConntrackStat stat = ParseNfConntrackStat(ReadFile(kRoot + "6.1/net/stat/nf_conntrack"));
  EXPECT_EQ(stat.cpu_rows, 4u);
  EXPECT_EQ(stat.entries, 0xfceu);
  EXPECT_EQ(stat.Total("insert_failed"), 364u);
  EXPECT_EQ(stat.Total("drop"), 799u);
  EXPECT_EQ(stat.Total("early_drop"), 9u);
  EXPECT_EQ(stat.Total("clashres"), 6u);
  EXPECT_EQ(stat.Total("chainlength"), 0u);
  EXPECT_EQ(stat.Total("searched"), std::nullopt);
  EXPECT_EQ(stat.Total("delete_list"), std::nullopt);
}

TEST(NfConntrackStatParseTest, IntermediateAndOldestHeaders) {
  NfConntrackStat stat510 = ParseNfConntrackStat(kKernel510);
  EXPECT_EQ(stat510.cpu_rows, 1u);
  EXPECT_EQ(stat510.entries, 0x42u);
  EXPECT_EQ(stat510.Total("clashres"), 1u);
  EXPECT_EQ(stat510.Total("delete_list"), 0u);
  EXPECT_EQ(stat510.Total("search_restart"), 5u);

  NfConntrackStat stat310 = ParseNfConntrackStat(kKernel310);
  EXPECT_EQ(stat310.cpu_rows, 2u);
  EXPECT_EQ(stat310.entries, 0x1a3u);
  EXPECT_EQ(stat310.Total("insert_failed"), 1u);
  EXPECT_EQ(stat310.Total("drop"), 2u);
  EXPECT_EQ(stat310.Total("icmp_error"), 3u);
  EXPECT_EQ(stat310.Total("search_restart"), std::nullopt);
}

// Each CPU row is a u32; the sum of several is not.
TEST(NfConntrackStatParseTest, SumIsWiderThanOneRow) {
  NfConntrackStat stat = ParseNfConntrackStat("entries  drop\n00000001  ffffffff\n00000001  ffffffff\n");
  EXPECT_EQ(stat.Total("drop"), 2 * 0xffffffffull);
}

std::map<std::string, double> Scalars(const MetricSet& metrics) {
  std::map<std::string, double> values;
  for (const auto& family : metrics.families()) {
    for (const auto& metric : family.metric) {
      EXPECT_TRUE(metric.label.empty()) << family.name;
      values[family.name] = ValueOf(family, metric);
    }
  }
  return values;
}

MetricSet CollectConntrack(const std::string& tree) {
  ExporterConfig config;
  CollectorContext context{kRoot + tree, "/nonexistent/sys", &config};
  MetricSet metrics;
  NewConntrackCollector(context)->Collect(metrics);
  return metrics;
}

TEST(ConntrackCollectorTest, OldKernel) {
  MetricSet metrics = CollectConntrack("4.19");
  EXPECT_EQ(Scalars(metrics), (std::map<std::string, double>{
                                  {"wgtune_conntrack_entries", 262098},
                                  {"wgtune_conntrack_insert_failed_total", 19},
                                  {"wgtune_conntrack_drop_total", 97},
                                  {"wgtune_conntrack_early_drop_total", 194},
                                  {"wgtune_conntrack_invalid_total", 157},
                                  {"wgtune_conntrack_search_restart_total", 52},
                              }));
  ASSERT_NE(metrics.Find("wgtune_conntrack_drop_total"), nullptr);
  EXPECT_EQ(metrics.Find("wgtune_conntrack_drop_total")->type, prometheus::MetricType::Counter);
  EXPECT_EQ(metrics.Find("wgtune_conntrack_entries")->type, prometheus::MetricType::Gauge);
}

TEST(ConntrackCollectorTest, NewKernel) {
  MetricSet metrics = CollectConntrack("6.1");
  EXPECT_EQ(Scalars(metrics), (std::map<std::string, double>{
                                  {"wgtune_conntrack_entries", 4046},
                                  {"wgtune_conntrack_insert_failed_total", 364},
                                  {"wgtune_conntrack_drop_total", 799},
                                  {"wgtune_conntrack_early_drop_total", 9},
                                  {"wgtune_conntrack_invalid_total", 14},
                                  {"wgtune_conntrack_search_restart_total", 3},
                              }));
}

TEST(ConntrackCollectorTest, NotLoadedIsNoMetricsAndNoFailure) {
  MetricSet metrics;
  EXPECT_NO_THROW(metrics = CollectConntrack("not_loaded"));
  EXPECT_TRUE(metrics.families().empty());
}

TEST(ConntrackCollectorTest, MalformedFileThrows) { EXPECT_THROW(CollectConntrack("malformed"), ParseError); }

TEST(ConntrackCollectorTest, DeclaresRatesOfItsCounters) {
  MetricSet metrics = CollectConntrack("6.1");
  std::map<std::string, std::string> rates;
  for (const RateSpec& spec : NewConntrackCollector({"", "", nullptr})->Rates()) {
    EXPECT_NE(metrics.Find(spec.counter), nullptr) << spec.counter;
    rates[spec.counter] = spec.rate;
  }
  EXPECT_EQ(rates, (std::map<std::string, std::string>{
                       {"wgtune_conntrack_insert_failed_total", "wgtune_conntrack_insert_failed_per_second"},
                       {"wgtune_conntrack_drop_total", "wgtune_conntrack_drop_per_second"},
                       {"wgtune_conntrack_early_drop_total", "wgtune_conntrack_early_drop_per_second"},
                   }));
}

}  // namespace
}  // namespace wgtune
