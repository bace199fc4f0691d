#include "exporter/sources/net_route.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>

#include "common/errors.h"

namespace wgtune {
namespace {

// Lines as fib_route_seq_show prints them: padded with spaces to 127 columns.
std::string RouteFile(std::initializer_list<std::string> rows) {
  auto pad = [](std::string line) {
    if (line.size() < 127) line.append(127 - line.size(), ' ');
    return line + "\n";
  };
  std::string text = pad("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
  for (const std::string& row : rows) text += pad(row);
  return text;
}

TEST(ParseRoutesTest, ReadsEveryColumnOfAzureTable) {
  Routes routes = ParseRoutes(RouteFile({
      "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0",
      "eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",
      "wt0\t00005C64\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
      "eth0\t10813FA8\t0100000A\t0007\t0\t0\t100\tFFFFFFFF\t0\t0\t0",
  }));
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0].interface, "eth0");
  EXPECT_EQ(routes[0].destination, 0u);
  EXPECT_EQ(routes[0].gateway, 0x0100000Au);  // 10.0.0.1, network order read on little endian
  EXPECT_EQ(routes[0].flags, kRtfUp | kRtfGateway);
  EXPECT_EQ(routes[0].metric, 100u);
  EXPECT_EQ(routes[0].mask, 0u);
  EXPECT_EQ(routes[2].interface, "wt0");
  EXPECT_EQ(routes[2].destination, 0x00005C64u);
  EXPECT_EQ(routes[2].mask, 0x0000FFFFu);
  EXPECT_EQ(routes[3].flags, kRtfUp | kRtfGateway | kRtfHost);
}

TEST(ParseRoutesTest, HeaderOnlyIsAnEmptyTable) {
  EXPECT_TRUE(ParseRoutes(RouteFile({})).empty());
}

TEST(ParseRoutesTest, FindsColumnsByHeaderName) {
  Routes routes = ParseRoutes(
      "Destination\tIface\tMask\tMetric\tFlags\tGateway\tExtra\n"
      "00000000\tens4\t00000000\t7\t0003\t0100800A\t0\n");
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].interface, "ens4");
  EXPECT_EQ(routes[0].metric, 7u);
  EXPECT_EQ(routes[0].gateway, 0x0100800Au);
}

TEST(ParseRoutesTest, NegativeMetricIsAPriorityAbove2To31) {
  // "ip route add unreachable default metric 4278198272" prints "%d" of the u32 priority.
  Routes routes = ParseRoutes(RouteFile({"*\t00000000\t00000000\t0201\t0\t0\t-16769024\t00000000\t0\t0\t0"}));
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].interface, "*");
  EXPECT_EQ(routes[0].metric, 4278198272u);
  EXPECT_EQ(routes[0].flags, kRtfUp | kRtfReject);
}

struct BadRoutes {
  const char* name;
  std::string text;
  const char* message;  // a part of the ParseError message
};

TEST(ParseRoutesTest, RejectsMalformedInput) {
  const BadRoutes cases[] = {
      {"empty input", "", "empty"},
      {"blank header", "\n", "no column Iface"},
      {"header without Metric", "Iface\tDestination\tGateway\tFlags\tMask\n", "no column Metric"},
      {"not enough fields", RouteFile({"eth0\t00000000\t0100000A\t0003\t0\t0\t100"}), "line 2: 7 fields, header has 11"},
      {"too many fields", RouteFile({"eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\t0"}),
       "12 fields"},
      {"garbage destination", RouteFile({"eth0\tZZZZZZZZ\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0"}),
       "Destination \"ZZZZZZZZ\""},
      {"gateway wider than 32 bits", RouteFile({"eth0\t00000000\t10100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0"}),
       "Gateway"},
      {"0x prefix in flags", RouteFile({"eth0\t00000000\t0100000A\t0x03\t0\t0\t100\t00000000\t0\t0\t0"}), "Flags"},
      {"garbage metric", RouteFile({"eth0\t00000000\t0100000A\t0003\t0\t0\tabc\t00000000\t0\t0\t0"}), "Metric"},
      {"metric out of range", RouteFile({"eth0\t00000000\t0100000A\t0003\t0\t0\t4294967296\t00000000\t0\t0\t0"}),
       "Metric"},
      {"garbage mask", RouteFile({"eth0\t00000000\t0100000A\t0003\t0\t0\t100\tffff-ff\t0\t0\t0"}), "Mask"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      ParseRoutes(c.text);
      ADD_FAILURE() << "no ParseError";
    } catch (const ParseError& error) {
      EXPECT_NE(std::string(error.what()).find("net/route"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << error.what();
    }
  }
}

struct DefaultRouteCase {
  const char* name;
  std::string text;
  std::optional<std::string> want;
};

TEST(FindDefaultRouteInterfaceTest, PicksTheDefaultRouteDevice) {
  const DefaultRouteCase cases[] = {
      {"default via eth0 (Azure)",
       RouteFile({"eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                  "eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",
                  "wt0\t00005C64\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0"}),
       "eth0"},
      {"two defaults in kernel order, lowest metric first",
       RouteFile({"ens1f0np0\t00000000\t010AA8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                  "ens1f1np1\t00000000\t0114A8C0\t0003\t0\t0\t101\t00000000\t0\t0\t0"}),
       "ens1f0np0"},
      {"two defaults, lowest metric last",
       RouteFile({"wlp2s0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0",
                  "enp3s0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0"}),
       "enp3s0"},
      {"equal metrics: first wins",
       RouteFile({"eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
                  "eth1\t00000000\t0101000A\t0003\t0\t0\t0\t00000000\t0\t0\t0"}),
       "eth0"},
      {"metric printed negative is the highest",
       RouteFile({"eth1\t00000000\t0101000A\t0003\t0\t0\t-1\t00000000\t0\t0\t0",
                  "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0"}),
       "eth0"},
      {"unreachable default is skipped",
       RouteFile({"*\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0",
                  "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0"}),
       "eth0"},
      {"0.0.0.0/1 split route (OpenVPN def1) is not a default route",
       RouteFile({"tun0\t00000000\t0108080A\t0003\t0\t0\t0\t00000080\t0\t0\t0",
                  "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                  "tun0\t00000080\t0108080A\t0003\t0\t0\t0\t00000080\t0\t0\t0"}),
       "eth0"},
      {"route without RTF_UP is skipped",
       RouteFile({"eth1\t00000000\t0101000A\t0002\t0\t0\t0\t00000000\t0\t0\t0",
                  "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0"}),
       "eth0"},
      {"no default route", RouteFile({"ens192\t000510AC\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0"}), std::nullopt},
      {"empty table", RouteFile({}), std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FindDefaultRouteInterface(ParseRoutes(c.text)), c.want);
  }
}

TEST(ParseIpv4AddressTest, DottedQuadOnly) {
  EXPECT_EQ(ParseIpv4Address("192.0.2.1"), (Ipv4Address{192, 0, 2, 1}));
  EXPECT_EQ(ParseIpv4Address("0.0.0.0"), (Ipv4Address{0, 0, 0, 0}));
  EXPECT_EQ(ParseIpv4Address("255.255.255.255"), (Ipv4Address{255, 255, 255, 255}));
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "192.0.2.1.5", "::1", "192.0.2.1:51820", " 192.0.2.1",
                          "example.com", "1922.0.2.1.1.1.1"}) {
    EXPECT_EQ(ParseIpv4Address(bad), std::nullopt) << bad;
  }
}

struct RouteLookupCase {
  const char* address;
  std::optional<std::string> want;
};

TEST(FindRouteInterfaceTest, LongestPrefixThenLowestMetric) {
  // Printed as a little-endian host prints them (as the other tables here).
  Routes routes = ParseRoutes(RouteFile({
      "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0",  // default via 10.0.0.1
      "eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",  // 10.0.0.0/24
      "wt0\t00005C64\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",     // 100.92.0.0/16
      "eth0\t10813FA8\t0100000A\t0007\t0\t0\t100\tFFFFFFFF\t0\t0\t0",  // 168.63.129.16/32
      "eth1\t0000A8C0\t00000000\t0001\t0\t0\t200\t0000FFFF\t0\t0\t0",  // 192.168.0.0/16 metric 200
      "eth2\t0000A8C0\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0",  // the same, metric 100
      "*\t000AA8C0\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0",       // unreachable 192.168.10.0/24
      "eth3\t0014A8C0\t00000000\t0000\t0\t0\t0\t00FFFFFF\t0\t0\t0",    // 192.168.20.0/24, not up
  }));
  const RouteLookupCase cases[] = {
      {"20.51.3.7", "eth0"},           // only the default holds it
      {"10.0.0.5", "eth0"},            // /24 over /0
      {"100.92.14.7", "wt0"},          // /16 over /0
      {"168.63.129.16", "eth0"},       // a host route
      {"192.168.1.1", "eth2"},         // same prefix twice: the lower metric
      {"192.168.10.4", std::nullopt},  // the longest prefix is unreachable: no device sends it
      {"192.168.20.4", "eth2"},        // a route that is not up is no candidate
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FindRouteInterface(routes, *ParseIpv4Address(c.address)), c.want) << c.address;
  }
  EXPECT_EQ(FindRouteInterface({}, {192, 0, 2, 1}), std::nullopt);
  Routes no_default = ParseRoutes(RouteFile({"eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0"}));
  EXPECT_EQ(FindRouteInterface(no_default, {192, 0, 2, 1}), std::nullopt);
}

}  // namespace
}  // namespace wgtune
