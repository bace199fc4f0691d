#include "exporter/sources/sysctl.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "common/metric_set.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewSysctlCollector(const CollectorContext&);

namespace {

struct NumbersCase {
  const char* name;
  std::string text;
  size_t count;
  bool ok;
  std::vector<double> want;
};

TEST(SysctlParseTest, Numbers) {
  const NumbersCase cases[] = {
      {"one value", "1000\n", 1, true, {1000}},
      {"no newline", "212992", 1, true, {212992}},
      {"negative", "-1\n", 1, true, {-1}},
      {"unsigned long beyond int64", "18446744073692774399\n", 1, true, {18446744073692774399.0}},
      {"tcp_rmem as the kernel prints it", "4096\t131072\t6291456\n", 3, true, {4096, 131072, 6291456}},
      {"tcp_rmem written back with spaces", "4096 131072  16777216\n", 3, true, {4096, 131072, 16777216}},
      {"empty input", "", 1, false, {}},
      {"only a newline", "\n", 1, false, {}},
      {"not enough fields", "4096\t131072\n", 3, false, {}},
      {"too many fields", "4096\t131072\t6291456\t1\n", 3, false, {}},
      {"garbage number", "16M\n", 1, false, {}},
      {"hex is not decimal", "0x10\n", 1, false, {}},
      {"a word", "cubic\n", 1, false, {}},
      {"garbage among several", "4096\tdefault\t6291456\n", 3, false, {}},
  };
  for (const NumbersCase& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseSysctlNumbers("net.ipv4.tcp_rmem", c.text, c.count), ParseError);
      continue;
    }
    EXPECT_EQ(ParseSysctlNumbers("net.ipv4.tcp_rmem", c.text, c.count), c.want);
  }
}

TEST(SysctlParseTest, ErrorNamesTheSysctl) {
  try {
    ParseSysctlNumber("net.core.rmem_max", "lots\n");
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_NE(std::string(error.what()).find("net.core.rmem_max"), std::string::npos) << error.what();
  }
}

TEST(SysctlParseTest, OneNumber) {
  EXPECT_EQ(ParseSysctlNumber("net.core.netdev_budget", "300\n"), 300);
  EXPECT_THROW(ParseSysctlNumber("net.core.netdev_budget", "300 600\n"), ParseError);
}

TEST(SysctlParseTest, Words) {
  EXPECT_EQ(ParseSysctlWord("net.core.default_qdisc", "fq_codel\n"), "fq_codel");
  EXPECT_EQ(ParseSysctlWord("net.ipv4.tcp_congestion_control", "bbr"), "bbr");
  EXPECT_THROW(ParseSysctlWord("net.core.default_qdisc", ""), ParseError);
  EXPECT_THROW(ParseSysctlWord("net.core.default_qdisc", "\n"), ParseError);
  EXPECT_THROW(ParseSysctlWord("net.core.default_qdisc", "fq codel\n"), ParseError);

  EXPECT_EQ(ParseSysctlWords("net.ipv4.tcp_available_congestion_control", "reno cubic bbr\n"),
            (std::vector<std::string>{"reno", "cubic", "bbr"}));
  EXPECT_EQ(ParseSysctlWords("net.ipv4.tcp_available_congestion_control", "reno\n"),
            (std::vector<std::string>{"reno"}));
  EXPECT_THROW(ParseSysctlWords("net.ipv4.tcp_available_congestion_control", ""), ParseError);
}


std::optional<double> Scalar(const MetricSet& metrics, const std::string& name) {
  std::map<Labels, double> series = Series(metrics, name);
  if (series.size() != 1 || !series.begin()->first.empty()) return std::nullopt;
  return series.begin()->second;
}

MetricSet CollectSysctl(const std::string& tree) {
  ExporterConfig config;
  CollectorContext context{std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/sysctl/" + tree, "/nonexistent/sys",
                           &config};
  MetricSet metrics;
  NewSysctlCollector(context)->Collect(metrics);
  return metrics;
}

TEST(SysctlCollectorTest, DefaultKernel) {
  MetricSet metrics = CollectSysctl("default");
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_netdev_max_backlog"), 1000);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_netdev_budget"), 300);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_netdev_budget_usecs"), 2000);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_rmem_max"), 212992);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_wmem_max"), 212992);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_rmem_default"), 212992);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_wmem_default"), 212992);
  EXPECT_EQ(Series(metrics, "wgtune_sysctl_net_ipv4_tcp_rmem"),
            (std::map<Labels, double>{
                {{{"value", "min"}}, 4096}, {{{"value", "default"}}, 131072}, {{{"value", "max"}}, 6291456}}));
  EXPECT_EQ(Series(metrics, "wgtune_sysctl_net_ipv4_tcp_wmem"),
            (std::map<Labels, double>{
                {{{"value", "min"}}, 4096}, {{{"value", "default"}}, 16384}, {{{"value", "max"}}, 4194304}}));
  EXPECT_EQ(Series(metrics, "wgtune_sysctl_info"),
            (std::map<Labels, double>{
                {{{"name", "net.ipv4.tcp_congestion_control"}, {"value", "cubic"}}, 1},
                {{{"name", "net.ipv4.tcp_available_congestion_control"}, {"value", "reno"}}, 1},
                {{{"name", "net.ipv4.tcp_available_congestion_control"}, {"value", "cubic"}}, 1},
                {{{"name", "net.core.default_qdisc"}, {"value", "fq_codel"}}, 1},
            }));
  // A host that does not route: neither family forwards.
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_ipv4_ip_forward"), 0);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_ipv6_conf_all_forwarding"), 0);
  // nf_conntrack is not loaded on this host: absent, not zero.
  EXPECT_EQ(metrics.Find("wgtune_sysctl_net_netfilter_nf_conntrack_max"), nullptr);
  EXPECT_EQ(metrics.Find("wgtune_sysctl_net_netfilter_nf_conntrack_entries"), nullptr);
}

TEST(SysctlCollectorTest, TunedKernel) {
  MetricSet metrics = CollectSysctl("tuned");
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_netdev_max_backlog"), 10000);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_netdev_budget"), 600);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_netdev_budget_usecs"), 8000);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_rmem_max"), 16777216);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_core_wmem_max"), 16777216);
  EXPECT_EQ((Series(metrics, "wgtune_sysctl_net_ipv4_tcp_rmem")[{{"value", "max"}}]), 16777216);
  EXPECT_EQ((Series(metrics, "wgtune_sysctl_net_ipv4_tcp_wmem")[{{"value", "max"}}]), 16777216);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_netfilter_nf_conntrack_max"), 262144);
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_netfilter_nf_conntrack_entries"), 4046);
  // A NetBird routing peer booted with ipv6.disable=1: IPv4 forwards, IPv6 has no sysctls at all.
  EXPECT_EQ(Scalar(metrics, "wgtune_sysctl_net_ipv4_ip_forward"), 1);
  EXPECT_EQ(metrics.Find("wgtune_sysctl_net_ipv6_conf_all_forwarding"), nullptr);
  std::map<Labels, double> info = Series(metrics, "wgtune_sysctl_info");
  EXPECT_EQ(info.count({{"name", "net.ipv4.tcp_congestion_control"}, {"value", "bbr"}}), 1u);
  EXPECT_EQ(info.count({{"name", "net.core.default_qdisc"}, {"value", "fq"}}), 1u);
  EXPECT_EQ(info.count({{"name", "net.ipv4.tcp_available_congestion_control"}, {"value", "bbr"}}), 1u);
  EXPECT_EQ(info.size(), 5u);
  const prometheus::MetricFamily* backlog = metrics.Find("wgtune_sysctl_net_core_netdev_max_backlog");
  ASSERT_NE(backlog, nullptr);
  EXPECT_EQ(backlog->type, prometheus::MetricType::Gauge);
}

TEST(SysctlCollectorTest, MalformedValueThrows) {
  try {
    CollectSysctl("malformed");
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_NE(std::string(error.what()).find("net.ipv4.tcp_rmem"), std::string::npos) << error.what();
  }
}

TEST(SysctlCollectorTest, NoSysctlsNoSeries) {
  MetricSet metrics = CollectSysctl("absent");
  for (const auto& family : metrics.families()) EXPECT_TRUE(family.metric.empty()) << family.name;
}

}  // namespace
}  // namespace wgtune
