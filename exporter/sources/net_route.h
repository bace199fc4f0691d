// Parser of /proc/net/route: the IPv4 main routing table, and the default route's device.
//
// Source: net/ipv4/fib_trie.c fib_route_seq_show(); flags from include/uapi/linux/route.h.
// A header line padded with spaces to 127 columns, then one line per route, fields separated
// by TABs and the line padded the same way:
//
//   Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
//   eth0	00000000	0100000A	0003	0	0	100	00000000	0	0	0
//
// Destination, Gateway and Mask are the network-order address printed "%08X" as a host
// integer, so 10.0.0.1 reads 0100000A on a little-endian host; 0 is 0 either way. Flags is
// "%04X" (RTF_UP, RTF_GATEWAY, RTF_HOST, RTF_REJECT for unreachable/prohibit routes, whose
// Iface is "*"). Metric is the route priority, a u32 printed "%d": priorities above 2^31
// print negative. Only unicast and reject routes of the main table appear (no policy tables,
// no IPv6). Columns are found by their header name, so a reordered or extended header parses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

inline constexpr uint32_t kRtfUp = 0x0001;
inline constexpr uint32_t kRtfGateway = 0x0002;
inline constexpr uint32_t kRtfHost = 0x0004;
inline constexpr uint32_t kRtfReject = 0x0200;

struct Route {
  std::string interface;     // "*" when the route has no device
  uint32_t destination = 0;  // as printed: see above
  uint32_t gateway = 0;
  uint32_t flags = 0;  // RTF_*
  uint32_t metric = 0;
  uint32_t mask = 0;
};

using Routes = std::vector<Route>;

// Parses the whole file, routes in file order. Throws ParseError ("net/route line 3: ...")
// when the header is missing or lacks Iface, Destination, Gateway, Flags, Metric or Mask,
// when a line has a different number of fields than the header, or when a field is not a
// number of its column's format.
Routes ParseRoutes(std::string_view text);

// An IPv4 address in network order: 192.0.2.1 is {192, 0, 2, 1}.
using Ipv4Address = std::array<uint8_t, 4>;

// Parses a dotted quad ("192.0.2.1"); nullopt for anything else.
std::optional<Ipv4Address> ParseIpv4Address(std::string_view text);

// The device through which the main table routes `address`, as the kernel's lookup picks
// it: among RTF_UP routes whose prefix holds the address, the longest prefix, then the
// lowest metric, then the first in file order. nullopt when no route holds the address or
// the best one is a reject route or has no device (the kernel would not send). The table
// has no local routes: loopback addresses find no route here (or the default route).
std::optional<std::string> FindRouteInterface(const Routes& routes, Ipv4Address address);

// The device of the IPv4 default route: destination and mask 0, RTF_UP, not a reject route,
// with a device. Of several, the lowest metric wins, then the first in file order (the
// kernel prints a prefix's routes by ascending priority). nullopt when there is none.
std::optional<std::string> FindDefaultRouteInterface(const Routes& routes);

}  // namespace wgtune
