#include "common/metric_set.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "exporter/collector.h"
#include "exporter/config.h"

namespace wgtune {
namespace {

std::string SerializeWithPrometheusCpp(const std::vector<prometheus::MetricFamily>& families) {
  std::vector<prometheus::MetricFamily> non_empty;
  for (const auto& family : families) {
    if (!family.metric.empty()) non_empty.push_back(family);
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, non_empty);
  return out.str();
}

TEST(RenderTextTest, MatchesPrometheusCppOnAwkwardValuesAndLabels) {
  MetricSet set;
  set.Counter("x_total", "Counts.")
      .Add({}, 0)
      .Add({{"a", "b\"c\\d"}}, 12345678901234.0)
      .Add({{"cpu", "0"}, {"mode", "idle"}}, 4294967295.0)
      .Add({{"v", ""}}, 0.1)
      .Add({{"v", "1"}}, 1e-7)
      .Add({{"v", "2"}}, 0.05400000000000128)
      .Add({{"v", "3"}}, 1.0 / 3)
      .Add({{"v", "4"}}, 18446744073709551615.0)
      .Add({{"v", "5"}}, 123456789.123456789);
  set.Gauge("y", "Gauges.")
      .Add({{"v", "nan"}}, std::nan(""))
      .Add({{"v", "inf"}}, std::numeric_limits<double>::infinity())
      .Add({{"v", "-inf"}}, -std::numeric_limits<double>::infinity())
      .Add({{"v", "neg"}}, -2.5);
  set.Gauge("empty", "No series: left out.");
  EXPECT_EQ(RenderText(set.families()), SerializeWithPrometheusCpp(set.families()));
  EXPECT_EQ(RenderText(set.families()).find("empty"), std::string::npos);
}

// The exposition format escapes a newline in a label value as \n.
TEST(RenderTextTest, EscapesNewlinesInLabelValues) {
  MetricSet set;
  set.Gauge("z", "Z.").Add({{"l", "a\nb"}}, 1);
  EXPECT_EQ(RenderText(set.families()), "# HELP z Z.\n# TYPE z gauge\nz{l=\"a\\nb\"} 1\n");
}

// Every collector's real output over the fixture host, rendered both ways.
TEST(RenderTextTest, MatchesPrometheusCppOnTheFixtureHost) {
  std::filesystem::path root = std::filesystem::path(WGTUNE_SOURCE_DIR) / "tests/fixtures/e2e/sample1";
  ExporterConfig config;
  config.procfs = (root / "proc").string();
  config.sysfs = (root / "sys").string();
  config.ethtool_replay_dir = (root / "ethtool").string();
  config.wireguard_netlink_replay_dir = (root / "netlink").string();
  config.qdisc_replay_dir = (root / "netlink").string();
  config.wireguard_uapi_dir = (root / "run/wireguard").string();
  MetricSet all;
  for (NamedCollector& named : CreateEnabledCollectors(config)) {
    MetricSet one;
    named.collector->Collect(one);
    all.Append(std::move(one));
  }
  ASSERT_GT(all.families().size(), 50u);
  EXPECT_EQ(RenderText(all.families()), SerializeWithPrometheusCpp(all.families()));
}

}  // namespace
}  // namespace wgtune
