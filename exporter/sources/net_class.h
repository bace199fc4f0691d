// Parsers of the attributes of a network device in sysfs, /sys/class/net/<dev>/.
//
// Sources: net/core/net-sysfs.c and Documentation/ABI/testing/sysfs-class-net,
// sysfs-class-net-statistics, sysfs-class-net-queues; Documentation/networking/scaling.rst
// for RPS and RFS. Each attribute is a small file of its own:
//
//   uevent        "KEY=VALUE" lines: DEVTYPE= (only when the driver sets a device type:
//                 wireguard, bridge, bond, vlan, vxlan, ...), INTERFACE=, IFINDEX=
//   type          ARPHRD_* in decimal (1 ether, 772 loopback, 65534 none: wireguard, tun)
//   mtu, tx_queue_len, ifindex, iflink, statistics/*, queues/rx-N/rps_flow_cnt
//                 one decimal number and a newline
//   operstate     one RFC 2863 word: unknown, notpresent, down, lowerlayerdown, testing,
//                 dormant, up (WireGuard and tun devices report "unknown")
//   queues/       one directory per queue: rx-0, rx-1, ..., tx-0, tx-1, ...
//   queues/rx-N/rps_cpus
//                 a CPU mask, comma-separated 32-bit hex words ("ff,ffffffff"); all zeros
//                 when RPS is off; absent on kernels without CONFIG_RPS
//
// The parsers read no file. Each takes `source`, the attribute's path relative to the sysfs
// root ("class/net/eth0/mtu"), only to say in a ParseError which attribute was malformed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cpu_set.h"

namespace wgtune {

// ARPHRD_* values of `type` (include/uapi/linux/if_arp.h) that the exporter looks at.
inline constexpr uint64_t kArphrdEther = 1;
inline constexpr uint64_t kArphrdLoopback = 772;

struct Uevent {
  std::map<std::string, std::string, std::less<>> values;

  // The value of `key`, "" when the key is absent.
  std::string_view Value(std::string_view key) const;
};

// Parses "KEY=VALUE" lines. Throws ParseError on a non-empty line without '=' or with an
// empty key. Blank lines are ignored; a repeated key keeps its last value.
Uevent ParseUevent(std::string_view source, std::string_view text);

// Parses one unsigned decimal number with surrounding whitespace ("1500\n"). Throws
// ParseError when the text is empty, has more than one field or is not a number in range.
uint64_t ParseNetClassNumber(std::string_view source, std::string_view text);

enum class OperState { kUnknown, kNotPresent, kDown, kLowerLayerDown, kTesting, kDormant, kUp };

// Parses the operstate word. Throws ParseError on a word outside RFC 2863's list.
OperState ParseOperState(std::string_view source, std::string_view text);
// The word as the kernel prints it ("lowerlayerdown").
std::string_view OperStateName(OperState state);

// The queues of a device, numbers in ascending numeric order (rx-2 before rx-10).
struct QueueNumbers {
  std::vector<unsigned> receive;
  std::vector<unsigned> transmit;
};

// Parses the entry names of queues/ ("rx-0", "tx-0", ...), in any order. Throws ParseError
// on a name that is not "rx-N" or "tx-N" with N decimal.
QueueNumbers ParseQueueNames(std::string_view source, const std::vector<std::string>& names);

struct RpsCpus {
  std::string mask;  // as read, trimmed: "00000000,00000000,0000000f,fffc0000"
  CpuSet cpus;       // the CPUs RPS steers to; empty when RPS is off
};

// Parses rps_cpus. Throws ParseError when the mask is empty or malformed.
RpsCpus ParseRpsCpus(std::string_view source, std::string_view text);

// What a device's sysfs directory says about its nature; input of InterfaceKind.
struct InterfaceTraits {
  std::optional<uint64_t> type;     // `type`, ARPHRD_*
  std::string devtype{};            // uevent DEVTYPE, "" when none
  bool has_tun_flags = false;       // a `tun_flags` attribute: a tun/tap device
  bool has_device = false;          // a `device` link: backed by a bus device (PCI, VMBus, virtio)
  std::optional<uint64_t> ifindex;  // `ifindex`
  std::optional<uint64_t> iflink;   // `iflink`: the peer's or lower device's ifindex
  bool has_lower = false;           // at least one `lower_*` link
};

// The kind of a device, first match wins:
//   "loopback"   type 772;
//   "wireguard"  DEVTYPE=wireguard (the kernel module);
//   "tun"        has tun_flags (wireguard-go, NetBird in userspace mode, OpenVPN, tap);
//   "physical"   has a device link (a NIC, a VF, Azure's synthetic hv_netvsc NIC);
//   DEVTYPE      any other device type as the driver names it ("bridge", "bond", "vlan", ...);
//   "veth"       an Ethernet device whose iflink names another device while it has no
//                lower device: the veth driver sets no DEVTYPE, and its iflink is its peer
//                (macvlan/ipvlan also point iflink at their lower device but have lower_*);
//   "virtual"    anything else (dummy, ipip, gre, ...).
std::string InterfaceKind(const InterfaceTraits& traits);

}  // namespace wgtune
