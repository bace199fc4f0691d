#include "exporter/sources/net_snmp.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "common/metric_set.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewUdpCollector(const CollectorContext&);

namespace {

std::string Fixture(const std::string& relative) {
  return ReadFile(std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/net_snmp/" + relative);
}

struct SnmpCase {
  const char* name;
  std::string text;
  bool ok;
};

TEST(NetSnmpParseTest, RejectsMalformedText) {
  const std::string header = "Udp: InDatagrams NoPorts InErrors OutDatagrams\n";
  const SnmpCase cases[] = {
      {"empty input", "", false},
      {"header without values", header, false},
      {"not enough fields", header + "Udp: 10 0 1\n", false},
      {"too many fields", header + "Udp: 10 0 1 12 7\n", false},
      {"garbage number", header + "Udp: 10 0 x 12\n", false},
      {"hex is not decimal", header + "Udp: 10 0 0x1 12\n", false},
      {"values of another protocol", header + "Tcp: 10 0 1 12\n", false},
      {"line without a protocol", "InDatagrams NoPorts\n10 0\n", false},
      {"bare colon", ": a\n: 1\n", false},
      {"blank line between pairs", header + "Udp: 10 0 1 12\n\nIp: Forwarding\nIp: 1\n", false},
      {"well formed", header + "Udp: 10 0 1 12\n", true},
  };
  for (const SnmpCase& c : cases) {
    SCOPED_TRACE(c.name);
    if (c.ok) {
      EXPECT_NO_THROW(ParseNetSnmp(c.text));
    } else {
      EXPECT_THROW(ParseNetSnmp(c.text), ParseError);
    }
  }
}

TEST(NetSnmpParseTest, ErrorSaysLineAndCounts) {
  try {
    ParseNetSnmp(Fixture("malformed/net/snmp"));
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "snmp line 4: Udp has 8 values for 9 names");
  }
}

// The Udp header of each kernel era, read by name.
TEST(NetSnmpParseTest, KernelVariants) {
  struct Variant {
    const char* kernel;
    int64_t in_datagrams;
    int64_t in_errors;
    int64_t rcvbuf_errors;
    std::optional<int64_t> mem_errors;
    std::optional<int64_t> ip_out_transmits;
  };
  const Variant variants[] = {
      {"4.19", 5891227, 3875, 3875, std::nullopt, std::nullopt},
      {"5.15", 688213004, 524871, 524871, 0, std::nullopt},
      {"6.8", 11277391, 90211, 88102, 2109, 12449667},
  };
  for (const Variant& v : variants) {
    SCOPED_TRACE(v.kernel);
    NetSnmp snmp = ParseNetSnmp(Fixture(std::string(v.kernel) + "/net/snmp"));
    EXPECT_EQ(snmp.Get("Udp", "InDatagrams"), v.in_datagrams);
    EXPECT_EQ(snmp.Get("Udp", "InErrors"), v.in_errors);
    EXPECT_EQ(snmp.Get("Udp", "RcvbufErrors"), v.rcvbuf_errors);
    EXPECT_EQ(snmp.Get("Udp", "MemErrors"), v.mem_errors);
    EXPECT_EQ(snmp.Get("Ip", "OutTransmits"), v.ip_out_transmits);
    EXPECT_EQ(snmp.Get("Udp", "IgnoredMulti").has_value(), true);
    EXPECT_EQ(snmp.Get("UdpLite", "InDatagrams"), 0);
    // Negative values exist: MaxConn is -1 when the limit is dynamic.
    EXPECT_EQ(snmp.Get("Tcp", "MaxConn"), -1);
    EXPECT_EQ(snmp.Get("Udp", "NoSuchCounter"), std::nullopt);
    EXPECT_EQ(snmp.Get("Sctp", "InDatagrams"), std::nullopt);
    EXPECT_EQ(snmp.protocols.size(), 6u);
  }
  NetSnmp snmp = ParseNetSnmp(Fixture("6.8/net/snmp"));
  EXPECT_EQ(snmp.Get("Icmp", "OutRateLimitHost"), 81);
  EXPECT_EQ(snmp.Get("IcmpMsg", "OutType3"), 21854);
}

// icmpmsg_put prints at most 16 types per pair: a busy host has several IcmpMsg pairs.
TEST(NetSnmpParseTest, MergesRepeatedProtocolPairs) {
  NetSnmp snmp = ParseNetSnmp(
      "IcmpMsg: InType0 InType3 InType4 InType5 InType8 InType9 InType11 InType12 InType13 InType14 InType15 "
      "InType16 InType17 InType18 InType30 InType40\n"
      "IcmpMsg: 6 1021 1 2 160 3 4 5 6 7 8 9 10 11 12 13\n"
      "IcmpMsg: OutType0 OutType3 OutType8\n"
      "IcmpMsg: 160 1110 6\n");
  EXPECT_EQ(snmp.protocols.size(), 1u);
  EXPECT_EQ(snmp.protocols.at("IcmpMsg").size(), 19u);
  EXPECT_EQ(snmp.Get("IcmpMsg", "InType40"), 13);
  EXPECT_EQ(snmp.Get("IcmpMsg", "OutType3"), 1110);
}

TEST(NetSnmp6ParseTest, SplitsProtocolFromName) {
  NetSnmp snmp = ParseNetSnmp6(Fixture("6.8/net/snmp6"));
  EXPECT_EQ(snmp.Get("Udp6", "InDatagrams"), 402177);
  EXPECT_EQ(snmp.Get("Udp6", "InErrors"), 1207);
  EXPECT_EQ(snmp.Get("Udp6", "RcvbufErrors"), 1207);
  EXPECT_EQ(snmp.Get("Udp6", "MemErrors"), 0);
  EXPECT_EQ(snmp.Get("UdpLite6", "InDatagrams"), 0);
  EXPECT_EQ(snmp.Get("Ip6", "InOctets"), 1937724012);
  EXPECT_EQ(snmp.Get("Icmp6", "OutType143"), 2);
  EXPECT_EQ(snmp.Get("Udp", "InDatagrams"), std::nullopt);
  EXPECT_EQ(snmp.protocols.size(), 4u);
}

TEST(NetSnmp6ParseTest, RejectsMalformedText) {
  const SnmpCase cases[] = {
      {"empty input", "", false},
      {"not enough fields", "Udp6InDatagrams\n", false},
      {"too many fields", "Udp6InDatagrams 1 2\n", false},
      {"garbage number", "Udp6InDatagrams                 \tmany\n", false},
      {"no protocol", "InDatagrams 1\n", false},
      {"protocol only", "Udp6 1\n", false},
      {"blank line", "Udp6InDatagrams 1\n\nUdp6NoPorts 0\n", false},
      {"kernel layout", "Udp6InDatagrams                 \t402177\nUdp6NoPorts                     \t3\n", true},
  };
  for (const SnmpCase& c : cases) {
    SCOPED_TRACE(c.name);
    if (c.ok) {
      EXPECT_NO_THROW(ParseNetSnmp6(c.text));
    } else {
      EXPECT_THROW(ParseNetSnmp6(c.text), ParseError);
    }
  }
}


MetricSet CollectUdp(const std::string& kernel) {
  ExporterConfig config;
  CollectorContext context{std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/net_snmp/" + kernel, "/nonexistent/sys",
                           &config};
  MetricSet metrics;
  NewUdpCollector(context)->Collect(metrics);
  return metrics;
}

const Labels kUdp = {{"protocol", "udp"}};
const Labels kUdp6 = {{"protocol", "udp6"}};

TEST(UdpCollectorTest, Kernel419WithoutMemErrorsOrIpv6) {
  MetricSet metrics = CollectUdp("4.19");
  EXPECT_EQ(Series(metrics, "wgtune_udp_in_datagrams_total"), (std::map<Labels, double>{{kUdp, 5891227}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_no_ports_total"), (std::map<Labels, double>{{kUdp, 1114}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_in_errors_total"), (std::map<Labels, double>{{kUdp, 3875}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_out_datagrams_total"), (std::map<Labels, double>{{kUdp, 6019362}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_rcvbuf_errors_total"), (std::map<Labels, double>{{kUdp, 3875}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_sndbuf_errors_total"), (std::map<Labels, double>{{kUdp, 0}}));
  EXPECT_EQ(metrics.Find("wgtune_udp_mem_errors_total"), nullptr);
  const prometheus::MetricFamily* family = metrics.Find("wgtune_udp_in_errors_total");
  ASSERT_NE(family, nullptr);
  EXPECT_EQ(family->type, prometheus::MetricType::Counter);
}

TEST(UdpCollectorTest, Kernel515HasMemErrors) {
  MetricSet metrics = CollectUdp("5.15");
  EXPECT_EQ(Series(metrics, "wgtune_udp_mem_errors_total"), (std::map<Labels, double>{{kUdp, 0}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_in_datagrams_total"), (std::map<Labels, double>{{kUdp, 688213004}}));
}

TEST(UdpCollectorTest, Kernel68WithIpv6) {
  MetricSet metrics = CollectUdp("6.8");
  EXPECT_EQ(Series(metrics, "wgtune_udp_in_errors_total"), (std::map<Labels, double>{{kUdp, 90211}, {kUdp6, 1207}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_rcvbuf_errors_total"),
            (std::map<Labels, double>{{kUdp, 88102}, {kUdp6, 1207}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_mem_errors_total"), (std::map<Labels, double>{{kUdp, 2109}, {kUdp6, 0}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_in_datagrams_total"),
            (std::map<Labels, double>{{kUdp, 11277391}, {kUdp6, 402177}}));
  EXPECT_EQ(Series(metrics, "wgtune_udp_out_datagrams_total"),
            (std::map<Labels, double>{{kUdp, 11298032}, {kUdp6, 399850}}));
}

TEST(UdpCollectorTest, DeclaresRatesOfItsCounters) {
  MetricSet metrics = CollectUdp("6.8");
  std::map<std::string, std::string> rates;
  for (const RateSpec& spec : NewUdpCollector({"", "", nullptr})->Rates()) {
    EXPECT_NE(metrics.Find(spec.counter), nullptr) << spec.counter;
    rates[spec.counter] = spec.rate;
  }
  EXPECT_EQ(rates, (std::map<std::string, std::string>{
                       {"wgtune_udp_in_errors_total", "wgtune_udp_in_errors_per_second"},
                       {"wgtune_udp_rcvbuf_errors_total", "wgtune_udp_rcvbuf_errors_per_second"},
                       {"wgtune_udp_in_datagrams_total", "wgtune_udp_in_datagrams_per_second"},
                   }));
}

TEST(UdpCollectorTest, MalformedSnmpThrows) { EXPECT_THROW(CollectUdp("malformed"), ParseError); }

TEST(UdpCollectorTest, MissingSnmpThrows) { EXPECT_THROW(CollectUdp("absent"), IoError); }

}  // namespace
}  // namespace wgtune
