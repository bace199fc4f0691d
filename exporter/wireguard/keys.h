// WireGuard keys as `wg show` prints them: 32 bytes, standard base64 with padding (44
// characters, the last one "="). The kernel (generic netlink) hands keys over as raw bytes,
// the userspace UAPI as 64 hex digits; both backends print them through here so a peer's
// key reads the same whichever backend served it.
//
// Only public keys come through here: private and preshared keys are never decoded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wgtune {

inline constexpr size_t kWireGuardKeyLength = 32;  // WG_KEY_LEN, include/uapi/linux/wireguard.h

// "hGz8...=" (44 characters) for a 32-byte key.
std::string EncodeKeyBase64(std::span<const uint8_t, kWireGuardKeyLength> key);

// The base64 form of a key given as 64 hex digits (either case); nullopt when `hex` is not
// exactly that.
std::optional<std::string> HexKeyToBase64(std::string_view hex);

}  // namespace wgtune
