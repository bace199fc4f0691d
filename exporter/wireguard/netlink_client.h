// Where the kernel WireGuard backend gets its bytes: a generic netlink socket, or a recording.
//
// The transport only moves datagrams; exporter/wireguard/netlink.h encodes the requests and
// parses the answer. Keeping raw datagrams on this side of the boundary lets the parser be
// tested and fuzzed without a kernel, and lets fixture hosts drive the kernel backend end to
// end from recordings (--collector.wireguard.netlink-replay-dir).
//
// Recording format (<dir>/<interface>.netlink): the datagrams of one dump in order, each as a
// 4-byte little-endian length followed by that many bytes; nothing else. It holds what the
// kernel sent, private and preshared keys included when the recorder had CAP_NET_ADMIN:
// record only test devices, or scrub the keys before sharing a recording.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/wireguard/device.h"

namespace wgtune {

// The datagrams answering one WG_CMD_GET_DEVICE dump, up to and including NLMSG_DONE (or the
// NLMSG_ERROR that refused it). Implementations are not thread-safe; use one per thread.
class WireGuardKernelSource {
 public:
  virtual ~WireGuardKernelSource() = default;

  // Throws IoError (NetlinkError when the kernel refused a request) when the datagrams cannot
  // be had; an error answer to the dump itself is returned as data, for the parser to report.
  virtual std::vector<std::vector<uint8_t>> Dump(const std::string& ifname) = 0;
};

// The kernel, over NETLINK_GENERIC. Each Dump opens a socket, resolves the "wireguard" family
// (CTRL_CMD_GETFAMILY; NetlinkError(ENOENT) "the kernel has no wireguard module" when it is
// not loaded or built in), sends WG_CMD_GET_DEVICE with NLM_F_REQUEST|NLM_F_DUMP and
// WGDEVICE_A_IFNAME, and receives until the answer is complete, checking that every message
// answers this request (sequence number, port id) and comes from the kernel. The whole call
// gives up with IoError after `timeout`. Reading peers needs CAP_NET_ADMIN (the kernel
// answers EPERM otherwise).
class WireGuardNetlink : public WireGuardKernelSource {
 public:
  explicit WireGuardNetlink(std::chrono::milliseconds timeout = std::chrono::seconds(2)) : timeout_(timeout) {}

  std::vector<std::vector<uint8_t>> Dump(const std::string& ifname) override;

 private:
  std::chrono::milliseconds timeout_;
};

// Recorded dumps: Dump(ifname) decodes <dir>/<ifname>.netlink. A missing recording is
// answered like the kernel answers for a missing interface: NetlinkError(ENODEV). A file
// that is not in the recording format throws ParseError naming it and the offset.
class WireGuardNetlinkReplay : public WireGuardKernelSource {
 public:
  explicit WireGuardNetlinkReplay(std::string dir) : dir_(std::move(dir)) {}

  std::vector<std::vector<uint8_t>> Dump(const std::string& ifname) override;

 private:
  std::string dir_;
};

// The source the exporter uses: the recordings of `replay_dir`, or the kernel when it is empty.
std::unique_ptr<WireGuardKernelSource> NewWireGuardKernelSource(const std::string& replay_dir);

// The recording format both ways. DecodeNetlinkRecording throws ParseError ("<name> offset
// 24: record of 900 bytes, 12 left") for a truncated file; `name` only labels errors.
std::string EncodeNetlinkRecording(const std::vector<std::vector<uint8_t>>& datagrams);
std::vector<std::vector<uint8_t>> DecodeNetlinkRecording(std::string_view bytes, std::string_view name);

// Writes `datagrams` to `path` in the recording format (replacing the file). Throws IoError.
void RecordDump(const std::string& path, const std::vector<std::vector<uint8_t>>& datagrams);

// Overwrites every byte of `datagrams` (explicit_bzero): the first message of a dump read with
// CAP_NET_ADMIN holds the device's private key.
void WipeDatagrams(std::vector<std::vector<uint8_t>>& datagrams);

// Dumps and parses `ifname` from `source`, then wipes the datagrams. A dump the kernel marks as interrupted by a
// concurrent change (NLM_F_DUMP_INTR) is asked again, up to three times, as `wg` does; the
// errors of ParseWireGuardDump otherwise propagate, prefixed with the interface name. The
// device's name falls back to `ifname` when the dump does not carry one.
WireGuardDevice ReadWireGuardDevice(WireGuardKernelSource& source, const std::string& ifname);

}  // namespace wgtune
