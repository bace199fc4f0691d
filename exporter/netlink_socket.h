// Where a netlink dump's bytes come from: a socket to the kernel, or a recording.
//
// This side only moves datagrams; the requests are encoded and the answers parsed by pure
// functions (exporter/sources/qdisc.h, ...), so they can be tested and fuzzed without a
// kernel, and fixture hosts can drive a collector end to end from recordings
// (--collector.qdisc.replay-dir). Recordings use the format of exporter/wireguard/
// netlink_client.h: per datagram a 4-byte little-endian length, then its bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/sources/netlink_framing.h"  // NetlinkError

namespace wgtune {

// One conversation with the kernel over a NETLINK_<protocol> socket bound to a port id the
// kernel assigns. Requests are answered in order; every message received must answer the
// request being asked (sequence number, port id) and come from the kernel. All of it gives up
// with IoError at `deadline`. Errors are prefixed with `label` ("rtnetlink").
class NetlinkConversation {
 public:
  using Clock = std::chrono::steady_clock;

  NetlinkConversation(int protocol, std::string label, Clock::time_point deadline);
  ~NetlinkConversation();
  NetlinkConversation(const NetlinkConversation&) = delete;
  NetlinkConversation& operator=(const NetlinkConversation&) = delete;

  // A sequence number for the next request; distinct per conversation, so that a late reply
  // meant for another never matches.
  uint32_t NextSequence() { return ++sequence_; }

  // Sends `request` (whose sequence number is `sequence`) and returns the answer's datagrams,
  // up to the one that completes it (NLMSG_DONE, NLMSG_ERROR, or a single reply). `what` names
  // the request in errors. The receive buffer is wiped after use, and so are the datagrams of an
  // answer abandoned half-way: an answer may hold secrets (a WireGuard private key).
  std::vector<std::vector<uint8_t>> Ask(const std::vector<uint8_t>& request, uint32_t sequence, std::string_view what);

 private:
  int fd_ = -1;
  std::string label_;
  Clock::time_point deadline_;
  uint32_t port_id_ = 0;
  uint32_t sequence_ = 0;
};

// The datagrams answering one dump request, up to and including NLMSG_DONE (or the
// NLMSG_ERROR that refused it). Not thread-safe; use one per thread.
class NetlinkDumpSource {
 public:
  virtual ~NetlinkDumpSource() = default;

  // Throws IoError when the datagrams cannot be had; an error answer is returned as data, for
  // the parser to report.
  virtual std::vector<std::vector<uint8_t>> Dump() = 0;
};

// The kernel: each Dump opens a conversation on NETLINK_<protocol>, sends encode(sequence) and
// returns the answer, within `timeout`. `what` names the request in errors ("RTM_GETQDISC").
class KernelNetlinkDump : public NetlinkDumpSource {
 public:
  using Encoder = std::function<std::vector<uint8_t>(uint32_t sequence)>;

  KernelNetlinkDump(int protocol, std::string label, std::string what, Encoder encode,
                    std::chrono::milliseconds timeout = std::chrono::seconds(2))
      : protocol_(protocol),
        label_(std::move(label)),
        what_(std::move(what)),
        encode_(std::move(encode)),
        timeout_(timeout) {}

  std::vector<std::vector<uint8_t>> Dump() override;

 private:
  int protocol_;
  std::string label_;
  std::string what_;
  Encoder encode_;
  std::chrono::milliseconds timeout_;
};

// A recorded dump: Dump() decodes the file at `path`. Throws IoError when it is missing or
// unreadable, ParseError (naming the file and offset) when it is not in the recording format.
class ReplayNetlinkDump : public NetlinkDumpSource {
 public:
  explicit ReplayNetlinkDump(std::string path) : path_(std::move(path)) {}

  std::vector<std::vector<uint8_t>> Dump() override;

 private:
  std::string path_;
};

// Dumps from `source` and returns parse(datagrams). A dump the kernel marks as interrupted by a
// concurrent change (the parser throws NetlinkError(EINTR) for NLM_F_DUMP_INTR) is asked again,
// up to three times in all, as iproute2 and wg do; any other error propagates.
template <typename Parse>
auto DumpAndParse(NetlinkDumpSource& source, Parse&& parse) {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    try {
      return parse(source.Dump());
    } catch (const NetlinkError& error) {
      if (error.error_number() != EINTR || attempt == kAttempts) throw;
    }
  }
}

}  // namespace wgtune
