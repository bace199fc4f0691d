#include "exporter/wireguard/underlay.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <map>

#include "common/text.h"

namespace wgtune {
namespace {

// The host part of "host:port" or "[host]:port"; nullopt without a numeric port.
std::optional<std::string_view> EndpointHost(std::string_view endpoint, bool& bracketed) {
  size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || !ParseUint(endpoint.substr(colon + 1))) return std::nullopt;
  std::string_view host = endpoint.substr(0, colon);
  bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host.empty()) return std::nullopt;
  return host;
}

std::optional<std::array<uint8_t, 16>> ParseIpv6Address(std::string_view text) {
  // The longest textual IPv6 address (with an embedded IPv4 tail) has 45 characters.
  if (text.size() > 45) return std::nullopt;
  char buffer[46] = {};
  std::memcpy(buffer, text.data(), text.size());
  std::array<uint8_t, 16> address;
  if (inet_pton(AF_INET6, buffer, address.data()) != 1) return std::nullopt;
  return address;
}

}  // namespace

std::optional<std::string> EndpointRouteInterface(const Routes& routes, std::string_view endpoint) {
  bool bracketed = false;
  std::optional<std::string_view> host = EndpointHost(endpoint, bracketed);
  if (!host) return std::nullopt;
  std::optional<Ipv4Address> ipv4;
  if (!bracketed) {
    ipv4 = ParseIpv4Address(*host);
  } else if (size_t percent = host->find('%'); percent != std::string_view::npos) {
    // A link-local address with its zone, "[fe80::1%eth0]": the zone is the device.
    if (percent + 1 == host->size() || !ParseIpv6Address(host->substr(0, percent))) return std::nullopt;
    return std::string(host->substr(percent + 1));
  } else if (std::optional<std::array<uint8_t, 16>> ipv6 = ParseIpv6Address(*host)) {
    static constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static constexpr std::array<uint8_t, 16> kLoopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), ipv6->begin())) {
      ipv4 = Ipv4Address{(*ipv6)[12], (*ipv6)[13], (*ipv6)[14], (*ipv6)[15]};
    } else if (*ipv6 == kLoopback) {
      return std::string(kLoopbackDevice);
    } else {
      return FindDefaultRouteInterface(routes);
    }
  }
  if (!ipv4) return std::nullopt;
  if ((*ipv4)[0] == 127) return std::string(kLoopbackDevice);
  return FindRouteInterface(routes, *ipv4);
}

std::optional<std::string> WireGuardUnderlay(const Routes& routes, const std::vector<WireGuardPeer>& peers) {
  std::map<std::string, size_t> votes;  // by name: ties resolve the same way every sample
  for (const WireGuardPeer& peer : peers) {
    std::optional<std::string> device = EndpointRouteInterface(routes, peer.endpoint);
    if (device && *device != kLoopbackDevice) ++votes[*device];
  }
  std::optional<std::string> default_device = FindDefaultRouteInterface(routes);
  if (votes.empty()) return default_device;
  size_t most = 0;
  for (const auto& [device, count] : votes) most = std::max(most, count);
  if (default_device) {
    auto it = votes.find(*default_device);
    if (it != votes.end() && it->second == most) return default_device;
  }
  for (const auto& [device, count] : votes) {
    if (count == most) return device;
  }
  return default_device;  // not reached: some device has the most votes
}

}  // namespace wgtune
