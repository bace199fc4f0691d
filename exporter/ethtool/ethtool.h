// What NIC drivers tell through the SIOCETHTOOL ioctl, behind a transport that can be replaced.
//
// ethtool(8)'s view of a NIC is the field guide's first layer: the queues it runs (ethtool -l,
// §4.1), how RSS spreads UDP flows over them (ethtool -n rx-flow-hash udp4 and -x, §4.4), its
// ring sizes (ethtool -g, §4.6), the driver's drop counters (ethtool -S, §5.1, §5.2) and its
// offloads (ethtool -k: GRO, UDP GRO forwarding, segmentation offloads).
// These are not files: the kernel answers ioctls on a socket. As node_exporter does with
// collector/ethtool_linux.go, the exporter reaches them through a small interface:
//
//   EthtoolTransport           one call, Ioctl(ifname, struct, size) → 0 or -errno
//     SocketEthtoolTransport   the kernel: an AF_INET datagram socket, ifreq.ifr_data, SIOCETHTOOL
//     ReplayEthtoolTransport   recorded answers from <dir>/<ifname>.ethtool (fixtures, bug reports)
//     RecordingEthtoolTransport  passes calls on to another transport and writes what it answered
//   Ethtool                    typed calls over a transport; absent when the driver does not answer
//   Decode*                    pure functions from the answer bytes to structs
//
// Source: include/uapi/linux/ethtool.h (the structs) and net/ethtool/ioctl.c (what the kernel
// copies back). Every answer is the request struct with the kernel's fields filled in, in host
// byte order; its first u32 repeats the command. The variable-length answers:
//
//   GSSET_INFO  struct ethtool_sset_info {u32 cmd, reserved; u64 sset_mask; u32 data[]}: the
//               kernel keeps a bit of the requested mask only if the driver has that string set,
//               and writes one count per kept bit.
//   GSTRINGS    struct ethtool_gstrings {u32 cmd, string_set, len; u8 data[len * 32]}: names of
//               ETH_GSTRING_LEN (32) bytes, NUL-padded.
//   GSTATS      struct ethtool_stats {u32 cmd, n_stats; u64 data[n_stats]}.
//   GRXFHINDIR  struct ethtool_rxfh_indir {u32 cmd, size; u32 ring_index[size]}: asked with size 0
//               the kernel writes only the table's size; asked with that size, the table.
//   GFEATURES   struct ethtool_gfeatures {u32 cmd, size; ethtool_get_features_block features[]},
//               a block {u32 available, requested, active, never_changed} per 32 features: the
//               kernel writes the size it needs (ETHTOOL_DEV_FEATURE_WORDS) and as many blocks
//               as the caller asked for, at most that many (net/ethtool/ioctl.c).
//   GRXFH, GRXRINGS  struct ethtool_rxnfc (192 bytes): the answer is the u64 `data` at offset 8.
//
// Features have names like statistics, string set ETH_SS_FEATURES: the kernel's
// netdev_features_strings (net/ethtool/common.c), one per feature bit, "" for a bit without a
// feature (removed ones: tx-lockless in 6.12, netns-local later). The table is the kernel's, the
// same for every device, and changes between kernel versions: bits move (6.18 inserted
// tx-tcp-accecn-segmentation) and features appear (rx-udp-gro-forwarding in 5.12), so a
// feature is known by its name, never by its bit; one the kernel does not name is absent.
//
// The statistics counts are the driver's count *now*: GSTRINGS and GSTATS ignore the count the
// caller passes, write as many entries as the driver has at that moment, and report that number.
// Channels, VFs and XDP queues change it between two calls (ethtool -L, an Azure VF coming
// back). So Ethtool::Statistics compares the three counts and, when they differ, reports the
// statistics absent for that sample; it also leaves room in its buffers for the count to grow,
// because the kernel does not stop at the end of the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

// The ethtool commands the exporter sends (ETHTOOL_* in include/uapi/linux/ethtool.h).
inline constexpr uint32_t kEthtoolGetDriverInfo = 0x03;     // ETHTOOL_GDRVINFO
inline constexpr uint32_t kEthtoolGetRingParam = 0x10;      // ETHTOOL_GRINGPARAM
inline constexpr uint32_t kEthtoolGetStrings = 0x1b;        // ETHTOOL_GSTRINGS
inline constexpr uint32_t kEthtoolGetStatistics = 0x1d;     // ETHTOOL_GSTATS
inline constexpr uint32_t kEthtoolGetRxFlowHash = 0x29;     // ETHTOOL_GRXFH
inline constexpr uint32_t kEthtoolGetRxRings = 0x2d;        // ETHTOOL_GRXRINGS
inline constexpr uint32_t kEthtoolGetStringSetInfo = 0x37;  // ETHTOOL_GSSET_INFO
inline constexpr uint32_t kEthtoolGetRxIndirection = 0x38;  // ETHTOOL_GRXFHINDIR
inline constexpr uint32_t kEthtoolGetFeatures = 0x3a;       // ETHTOOL_GFEATURES
inline constexpr uint32_t kEthtoolGetChannels = 0x3c;       // ETHTOOL_GCHANNELS

inline constexpr uint32_t kEthtoolStringSetStatistics = 1;  // ETH_SS_STATS
inline constexpr uint32_t kEthtoolStringSetFeatures = 4;    // ETH_SS_FEATURES
inline constexpr uint32_t kEthtoolUdpV4Flow = 0x02;         // UDP_V4_FLOW
inline constexpr size_t kEthtoolStringLength = 32;          // ETH_GSTRING_LEN

// The short name ethtool.h gives a command without its ETHTOOL_ prefix ("GDRVINFO"); "" when the
// command is not one of the above.
std::string_view EthtoolCommandName(uint32_t command);

// ---------------------------------------------------------------------------------------------
// Transports

class EthtoolTransport {
 public:
  virtual ~EthtoolTransport() = default;

  // Sends one SIOCETHTOOL request for interface `ifname`. `data` points to `size` bytes holding
  // the request struct, its first u32 the command; the answer is written over it, as the kernel
  // does. Returns 0 or a negative errno (-EOPNOTSUPP when the driver lacks the operation,
  // -ENODEV when there is no such interface).
  virtual int Ioctl(const std::string& ifname, void* data, size_t size) = 0;
};

// The kernel's answers. Opens one AF_INET/SOCK_DGRAM socket on first use and keeps it; the
// socket's network namespace is the one whose interfaces are asked. Not thread-safe.
class SocketEthtoolTransport : public EthtoolTransport {
 public:
  SocketEthtoolTransport() = default;
  ~SocketEthtoolTransport() override;
  SocketEthtoolTransport(const SocketEthtoolTransport&) = delete;
  SocketEthtoolTransport& operator=(const SocketEthtoolTransport&) = delete;

  // -errno of socket(2) when no socket can be opened; -ENODEV for a name longer than IFNAMSIZ-1.
  int Ioctl(const std::string& ifname, void* data, size_t size) override;

 private:
  int fd_ = -1;
};

// The recording format, one file per interface, <dir>/<ifname>.ethtool:
//
//   # comment lines and blank lines are ignored
//   GDRVINFO 03000000 6d6c78355f636f7265...
//   GSSET_INFO sset_mask=2 37000000 00000000 0200000000000000 e4000000
//   GCHANNELS errno 95
//
// One line per distinct request: the command's name as in ethtool.h without ETHTOOL_, then for
// the commands whose answer depends on an input field that field as name=decimal (GSSET_INFO
// sset_mask, GSTRINGS string_set, GRXFH flow_type, GRXFHINDIR size, GFEATURES size; nothing for
// the others),
// then either the answer struct as hex bytes in host byte order (whitespace between bytes is
// allowed and ignored) or `errno N`, the positive errno the kernel returned. A later line for
// the same request replaces an earlier one.
struct EthtoolRecordingKey {
  uint32_t command = 0;
  std::optional<uint64_t> selector;  // the input field named above, for commands that have one
  auto operator<=>(const EthtoolRecordingKey&) const = default;
};

struct EthtoolRecordedAnswer {
  std::vector<uint8_t> bytes;  // empty when `error` is set
  int error = 0;               // positive errno, 0 for an answer
};

using EthtoolRecording = std::map<EthtoolRecordingKey, EthtoolRecordedAnswer>;

// The key of a request: its command and, for the commands listed above, its input field.
// Throws ParseError when `request` is too short to hold them.
EthtoolRecordingKey EthtoolRequestKey(std::span<const uint8_t> request);

// Parses a recording. `source` names the file in error messages. Throws ParseError on an
// unknown command name, a missing or unexpected selector, odd or non-hex digits, an errno
// that is not one number from 1 to 4095, a line without an answer, and an answer the kernel
// could not have given: shorter than the command's struct, carrying another command, or with
// fewer entries than its count announces (the size-0 GRXFHINDIR excepted; GFEATURES holds the
// blocks asked for, at most the size it announces).
EthtoolRecording ParseEthtoolRecording(std::string_view source, std::string_view text);

// Writes a recording in the format above, one line per key in key order, after a comment
// header naming the interface.
std::string FormatEthtoolRecording(std::string_view ifname, const EthtoolRecording& recording);

// How many bytes of a buffer are answer: the header plus the entries its count announces for
// the variable-length commands, capped at the buffer's size; the whole buffer otherwise.
size_t EthtoolAnswerLength(std::span<const uint8_t> answer);

// Serves <dir>/<ifname>.ethtool, read on every call so that a test can change it between two
// samples. No file: -ENODEV, as for an interface that does not exist. A request the file does
// not mention: -EINVAL for a GRXFHINDIR of a size not recorded (the kernel's answer to a wrong
// size), -EOPNOTSUPP otherwise. A recorded answer longer than the caller's buffer is cut to
// it (the kernel would have written past it; the decoders then see a count that does not fit).
// Throws ParseError when the file is malformed and IoError when it cannot be read.
class ReplayEthtoolTransport : public EthtoolTransport {
 public:
  explicit ReplayEthtoolTransport(std::string dir) : dir_(std::move(dir)) {}
  int Ioctl(const std::string& ifname, void* data, size_t size) override;

 private:
  std::string dir_;
};

// Passes every call to `inner` and rewrites <dir>/<ifname>.ethtool with every answer seen so
// far for that interface: run the exporter (or a test) with it once to turn a host into a
// fixture, or attach the files to a bug report. `inner` must outlive this object. Throws
// IoError when a file cannot be written.
class RecordingEthtoolTransport : public EthtoolTransport {
 public:
  RecordingEthtoolTransport(EthtoolTransport& inner, std::string dir) : inner_(inner), dir_(std::move(dir)) {}
  int Ioctl(const std::string& ifname, void* data, size_t size) override;

 private:
  EthtoolTransport& inner_;
  std::string dir_;
  std::map<std::string, EthtoolRecording> recordings_;  // ifname → answers seen
};

// ---------------------------------------------------------------------------------------------
// Decoded answers. Each decoder takes the answer bytes of one command, checks that the buffer
// is long enough for what the answer announces and that its first u32 is that command, and
// throws ParseError ("ethtool GSTATS answer: ...") otherwise.

// GDRVINFO, struct ethtool_drvinfo. Strings are NUL-terminated in 32-byte fields; bytes that
// are not printable ASCII are replaced by '?', so that they can be label values.
struct EthtoolDriverInfo {
  std::string driver;            // "mlx5_core", "virtio_net", "ena", "veth"
  std::string version;           // the kernel release since 5.6, unless the driver sets its own ("1.0.0")
  std::string firmware_version;  // "" when none (virtual devices)
  std::string bus_info;          // PCI address "7870:00:02.0", "" for veth
  uint32_t n_stats = 0;          // statistics count when asked; GSSET_INFO is the one relied on
};
EthtoolDriverInfo DecodeDriverInfo(std::span<const uint8_t> answer);

// GRINGPARAM, struct ethtool_ringparam: descriptors per ring, current and the driver's maximum.
struct EthtoolRings {
  uint32_t rx_max = 0;
  uint32_t rx_mini_max = 0;
  uint32_t rx_jumbo_max = 0;
  uint32_t tx_max = 0;
  uint32_t rx = 0;
  uint32_t rx_mini = 0;
  uint32_t rx_jumbo = 0;
  uint32_t tx = 0;
};
EthtoolRings DecodeRingParam(std::span<const uint8_t> answer);

// GCHANNELS, struct ethtool_channels: queue sets (ethtool -l). A maximum of 0 means the driver
// has no such channel type (ethtool prints n/a).
struct EthtoolChannels {
  uint32_t max_rx = 0;
  uint32_t max_tx = 0;
  uint32_t max_other = 0;
  uint32_t max_combined = 0;
  uint32_t rx = 0;
  uint32_t tx = 0;
  uint32_t other = 0;
  uint32_t combined = 0;
};
EthtoolChannels DecodeChannels(std::span<const uint8_t> answer);

// GSSET_INFO: the size of `string_set`; nullopt when the kernel cleared its bit (the driver
// has no such set). Counts for lower set bits come first in data[].
std::optional<uint32_t> DecodeStringSetCount(std::span<const uint8_t> answer, uint32_t string_set);

// GSTRINGS: `len` names. Throws when len × 32 bytes do not follow the header.
std::vector<std::string> DecodeStrings(std::span<const uint8_t> answer);

// GSTATS: `n_stats` counters. Throws when n_stats × 8 bytes do not follow the header.
std::vector<uint64_t> DecodeStatistics(std::span<const uint8_t> answer);

// GRXFH and GRXRINGS, struct ethtool_rxnfc: the `data` field. `command` is the one asked.
// Accepts the 16-byte answer of the struct's original definition (cmd, flow_type, data).
uint64_t DecodeRxnfcData(std::span<const uint8_t> answer, uint32_t command);

// GRXFHINDIR: the table's size as the header says (the whole answer to a size-0 request).
uint32_t DecodeIndirectionSize(std::span<const uint8_t> answer);
// GRXFHINDIR: the table, ring_index[size]. Throws when size × 4 bytes do not follow the header.
std::vector<uint32_t> DecodeIndirection(std::span<const uint8_t> answer);

// GFEATURES: one block of 32 features' masks; feature i is bit i % 32 of block i / 32.
struct EthtoolFeatureBlock {
  uint32_t available = 0;      // changeable on this device (dev->hw_features)
  uint32_t requested = 0;      // asked for (dev->wanted_features)
  uint32_t active = 0;         // on now (dev->features)
  uint32_t never_changed = 0;  // changeable on no device (NETIF_F_NEVER_CHANGE)
};
// GFEATURES: `size` blocks, the size the answer announces. Throws when size × 16 bytes do not
// follow the header.
std::vector<EthtoolFeatureBlock> DecodeFeatures(std::span<const uint8_t> answer);

// The RXH_* bits of a GRXFH answer in ethtool -N's letters, in bit order: m (L2 destination),
// v (VLAN), t (L3 protocol), s (IP source), d (IP destination), f (L4 bytes 0-1, the source
// port), n (L4 bytes 2-3, the destination port), e (GTP TEID), r (discard). "sd" hashes on the
// addresses only; "sdfn" on the 4-tuple. Bits without a letter are left out.
std::string FlowHashFields(uint64_t rxh_bits);
// Whether both port halves are hashed (f and n): only then do flows between the same two hosts
// (WireGuard peers behind one NAT, §4.4) spread over queues.
bool FlowHashIncludesPorts(uint64_t rxh_bits);

// ---------------------------------------------------------------------------------------------
// Statistic names

// A driver statistic split into what it counts and the queue it counts on.
struct StatisticName {
  std::string name;   // queue-free: "rx_drops"; the raw name for a global statistic
  std::string queue;  // decimal queue number, "" for a global statistic
};

// Splits the queue number out of a per-queue statistic name, for the naming schemes of the
// drivers the field guide meets:
//   queue_3_rx_drops      → rx_drops, 3       ENA ("queue_%u_rx_%s", "queue_%u_tx_%s")
//   rx_queue_3_drops      → rx_drops, 3       virtio_net before 6.10, veth, hv_netvsc, Intel
//   tx_queue_0_xdp_xmit   → tx_xdp_xmit, 0    ("<dir>_queue_%u_%s")
//   rx3_drops, ch3_poll   → rx_drops, 3       mlx5 ("rx%d_", "tx%d_", "ch%d_"), virtio_net 6.10+
//   rx_dropped_pkt[3]     → rx_dropped_pkt, 3 gve ("%s[%u]")
// Anything else is global and keeps its name, notably mlx5's tx_queue_dropped (a sum over
// queues), rx_prio0_discards (a priority, not a queue) and hv_netvsc's cpu0_rx_packets (a CPU).
StatisticName SplitStatisticName(std::string_view raw);

// ---------------------------------------------------------------------------------------------
// Typed calls

struct EthtoolStatistic {
  std::string name;  // as the driver names it ("rx_queue_0_drops")
  uint64_t value = 0;
};

// One feature as ethtool -k shows it.
struct EthtoolFeature {
  std::string name;  // the kernel's name: "rx-gro", "rx-udp-gro-forwarding", "tx-udp-segmentation"
  bool available = false;
  bool requested = false;
  bool active = false;  // on (ethtool -k "on")
  bool never_changed = false;
  // Whether ethtool -K can change it: available and not never_changed. ethtool -k prints
  // "[fixed]" for the others.
  bool changeable() const { return available && !never_changed; }
};

// Each call returns nullopt when the operation is absent for this interface: the transport
// answered EOPNOTSUPP, EINVAL, ENODEV (the interface went away) or EPERM. Any other errno
// throws IoError; an answer that is not what the command returns throws ParseError. The
// transport must outlive this object. Not thread-safe.
class Ethtool {
 public:
  explicit Ethtool(EthtoolTransport& transport) : transport_(transport) {}

  std::optional<EthtoolDriverInfo> DriverInfo(const std::string& ifname);
  std::optional<EthtoolRings> Rings(const std::string& ifname);
  std::optional<EthtoolChannels> Channels(const std::string& ifname);

  // ethtool -S: GSSET_INFO for the count, GSTRINGS for the names, GSTATS for the values, in
  // the driver's order. Also nullopt when the three counts disagree (the queues changed during
  // the read): the next sample will read a consistent set. Empty when the driver has none.
  std::optional<std::vector<EthtoolStatistic>> Statistics(const std::string& ifname);

  // GRXFH for UDP over IPv4: the RXH_* bits the NIC hashes on.
  std::optional<uint64_t> UdpV4Hash(const std::string& ifname);
  // GRXRINGS: the number of receive rings RSS can steer to.
  std::optional<uint64_t> RxRings(const std::string& ifname);
  // GRXFHINDIR: the RSS indirection table, entry → receive queue. nullopt also when the table
  // changed size between the two calls.
  std::optional<std::vector<uint32_t>> Indirection(const std::string& ifname);

  // ethtool -k: GSSET_INFO for the number of feature bits, GSTRINGS for their names, GFEATURES
  // for their state, in bit order, bits without a name left out. nullopt also when the counts
  // disagree (GSTRINGS names another number of bits, GFEATURES another number of blocks).
  std::optional<std::vector<EthtoolFeature>> Features(const std::string& ifname);

 private:
  // Sends the request in `buffer`; false when the operation is absent, throws on other errors.
  bool Ask(const std::string& ifname, std::vector<uint8_t>& buffer);

  EthtoolTransport& transport_;
  // Reused between calls: a 64-queue mlx5 has thousands of statistics.
  std::vector<uint8_t> strings_buffer_;
  std::vector<uint8_t> values_buffer_;
};

}  // namespace wgtune
