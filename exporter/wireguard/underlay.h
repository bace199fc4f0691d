// Which network device carries a WireGuard interface's encrypted traffic: its underlay.
//
// The field guide tunes the underlay, never wt0 (§1.2), and the MTU that matters is the
// underlay's minus WireGuard's overhead (§4.9). A WireGuard interface sends each peer's UDP
// to that peer's endpoint, so the underlay is where the routing table sends the endpoints.
// With Azure Accelerated Networking that is eth0 (hv_netvsc), whose MTU is the relevant
// one, not the VF's. Pure functions over the parsed main routing table (net_route.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/sources/net_route.h"
#include "exporter/wireguard/device.h"

namespace wgtune {

inline constexpr std::string_view kLoopbackDevice = "lo";

// The device an endpoint is reached through:
//   "192.0.2.1:51820"            the longest-prefix route of the address (FindRouteInterface);
//   "127.0.0.1:…", "127.1.x.y:…" "lo": NetBird's relay proxy (kernel and userspace mode) is
//   "[::1]:…"                    local, and local routes are not in /proc/net/route;
//   "[2001:db8::1]:51820"        the IPv4 default route's device: the exporter reads no IPv6
//                                table, and clouds route both families through one NIC;
//   "[::ffff:192.0.2.1]:51820"   as its IPv4 address;
//   "[fe80::1%eth0]:51820"       the zone's device.
// nullopt for "" (no endpoint yet), text of another shape, or an address without a route.
std::optional<std::string> EndpointRouteInterface(const Routes& routes, std::string_view endpoint);

// The underlay of one WireGuard interface: the device that most of its peers' endpoints are
// routed through; on a tie the default route's device if it is among the tied, else the
// first by name. Endpoints on loopback do not vote: a relayed peer's traffic leaves through
// whatever carries the relay connection, which the WireGuard side cannot see. With no voting
// peer (no endpoint known yet, or no peers known: an interface whose backend could not be read
// is asked with none), the default route's device, the one the peers' traffic would take;
// nullopt when there is none either.
std::optional<std::string> WireGuardUnderlay(const Routes& routes, const std::vector<WireGuardPeer>& peers);

}  // namespace wgtune
