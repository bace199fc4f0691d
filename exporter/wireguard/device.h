// One backend-neutral model of a WireGuard device, filled by the kernel (generic netlink)
// and the userspace (UAPI) backends alike, as wireguard-tools' containers.h is.
//
// Private and preshared keys are never part of the model: the parsers skip them, so no
// code path downstream can export, log or print them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wgtune {

enum class WireGuardImplementation { kKernel, kUserspace };

struct WireGuardPeer {
  std::string public_key;  // base64, as `wg show` prints it
  std::string endpoint;    // "192.0.2.1:51820", "[2001:db8::1]:51820"; "" when none
  // Latest handshake, Unix time; nullopt when there has been none.
  std::optional<int64_t> last_handshake_seconds;
  int64_t last_handshake_nanoseconds = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint16_t persistent_keepalive_seconds = 0;  // 0 = off
  std::vector<std::string> allowed_ips;       // "100.64.0.2/32"
  uint32_t protocol_version = 0;              // 0 when not reported
};

struct WireGuardDevice {
  std::string name;  // interface name
  WireGuardImplementation implementation = WireGuardImplementation::kKernel;
  std::string public_key;  // base64; "" when the device has no private key set
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  std::vector<WireGuardPeer> peers;
};

}  // namespace wgtune
