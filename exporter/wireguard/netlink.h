// The kernel WireGuard's generic netlink answer, parsed into the backend-neutral model; and
// the two requests that ask for it. Pure functions over bytes: no socket, no file, so the
// parser runs the same on a live dump, a recording and a fuzzer's input.
//
// Sources: include/uapi/linux/wireguard.h (the attribute tree), drivers/net/wireguard/
// netlink.c (wg_get_device_dump, get_peer: how a dump is split), include/uapi/linux/netlink.h
// and genetlink.h (framing), Documentation/userspace-api/netlink/intro.rst.
//
// A dump (family "wireguard" version 1, WG_CMD_GET_DEVICE with NLM_F_REQUEST|NLM_F_DUMP)
// arrives as datagrams holding netlink messages, each aligned to 4 bytes:
//
//   nlmsghdr  u32 len (incl. header), u16 type (the family id), u16 flags (NLM_F_MULTI), u32
//             seq, u32 port id                                                       16 bytes
//   genlmsghdr u8 cmd (WG_CMD_GET_DEVICE = 0), u8 version, u16 reserved               4 bytes
//   nlattrs   u16 len (incl. header, excl. padding), u16 type, payload padded to 4; the type's
//             top bits are flags (NLA_F_NESTED on nests since Linux 5.2's nla_nest_start,
//             NLA_F_NET_BYTEORDER) and are masked off (NLA_TYPE_MASK). Numbers are host order.
//
// Device attributes: IFINDEX 1 u32, IFNAME 2 NUL-terminated string, PRIVATE_KEY 3 (skipped:
// never read, never copied), PUBLIC_KEY 4 32 bytes, LISTEN_PORT 6 u16, FWMARK 7 u32, PEERS 8
// nest of nests (type = index) of peer attributes: PUBLIC_KEY 1, PRESHARED_KEY 2 (skipped),
// ENDPOINT 4 (struct sockaddr_in, 16 bytes, or sockaddr_in6, 28; the port in network order),
// PERSISTENT_KEEPALIVE_INTERVAL 5 u16, LAST_HANDSHAKE_TIME 6 (struct __kernel_timespec: s64
// seconds, s64 nanoseconds; 0/0 = never), RX_BYTES 7 u64, TX_BYTES 8 u64, ALLOWEDIPS 9 nest of
// nests of {FAMILY 1 u16, IPADDR 2 (4 or 16 bytes), CIDR_MASK 3 u8}, PROTOCOL_VERSION 10 u32.
// The kernel writes LISTEN_PORT, FWMARK, IFINDEX, IFNAME, the keys, then PEERS; u64 values
// may be preceded by a type-0 pad attribute on architectures that need 8-byte alignment.
// Attributes this parser does not know (type 0, FLAGS, future ones) are skipped.
//
// When a device does not fit one message the dump continues in further NLM_F_MULTI messages
// that carry only PEERS; a peer whose allowed IPs do not fit is repeated at the start of the
// next message with only its PUBLIC_KEY and the rest of its ALLOWEDIPS. Adjacent entries with
// the same public key are therefore one peer (wireguard-tools' coalesce_peers does the same).
// The dump ends with NLMSG_DONE, whose payload is an int: 0, or a negative errno when the
// dump failed half-way. A request the kernel refuses up front (no such interface: ENODEV;
// not a WireGuard interface: EOPNOTSUPP) is answered by NLMSG_ERROR instead.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "exporter/sources/netlink_framing.h"  // the framing, NetlinkError
#include "exporter/wireguard/device.h"

namespace wgtune {

// Parses a complete WG_CMD_GET_DEVICE dump: every datagram received for one request, in
// order, up to and including the one holding NLMSG_DONE. Returns the device with its peers
// coalesced, in the kernel's order; implementation is kKernel; name is WGDEVICE_A_IFNAME.
//
// Throws NetlinkError for an error answer (see above) and ParseError, naming the message,
// peer, allowed IP and attribute, for anything malformed: a length that is too short for its
// header or runs past its container, a known attribute of the wrong size, a peer without a
// public key, an allowed IP without family, address or mask, a missing NLMSG_DONE (a
// truncated dump), messages after it, or no device message at all. Never reads past `bytes`.
WireGuardDevice ParseWireGuardDump(const std::vector<std::vector<uint8_t>>& datagrams);

// The same over one buffer of back-to-back messages (a single datagram, or datagrams
// concatenated: every message but the last of a datagram is padded to 4 bytes anyway).
WireGuardDevice ParseWireGuardDump(std::span<const uint8_t> bytes);

// The family id from the answer to CTRL_CMD_GETFAMILY (CTRL_ATTR_FAMILY_ID). Throws
// NetlinkError(ENOENT) saying "the kernel has no <family_name> module" when the kernel does not
// know the family, another NetlinkError for other error answers, ParseError when malformed.
uint16_t ParseGenlFamilyId(std::span<const uint8_t> datagram, std::string_view family_name);

// The request CTRL_CMD_GETFAMILY for `family_name`, addressed to GENL_ID_CTRL.
std::vector<uint8_t> EncodeGetFamilyRequest(std::string_view family_name, uint32_t sequence);

// The request WG_CMD_GET_DEVICE (version 1, NLM_F_REQUEST|NLM_F_DUMP, WGDEVICE_A_IFNAME) for
// `interface`. Throws std::invalid_argument when the name is empty or longer than 15 bytes
// (IFNAMSIZ - 1) or contains a NUL.
std::vector<uint8_t> EncodeGetDeviceRequest(uint16_t family_id, uint32_t sequence, std::string_view interface);

}  // namespace wgtune
