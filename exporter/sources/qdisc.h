// The queueing disciplines of every interface, from rtnetlink's RTM_GETQDISC dump (what
// `tc -s qdisc show` prints), and the request that asks for it. Pure functions over bytes: no
// socket, no file, so the parser runs the same on a live dump, a recording and a fuzzer's input.
//
// Sources: include/uapi/linux/rtnetlink.h (struct tcmsg, TCA_*), include/uapi/linux/gen_stats.h
// (TCA_STATS_*, struct gnet_stats_basic, struct gnet_stats_queue), include/uapi/linux/pkt_sched.h
// (TC_H_*, struct tc_stats, struct tc_fifo_qopt, TCA_FQ_CODEL_*, TCA_CODEL_*, TCA_FQ_*),
// net/sched/sch_api.c (tc_fill_qdisc, tc_dump_qdisc), net/core/gen_stats.c (the statistics),
// tc/tc_qdisc.c and tc/tc_util.c in iproute2 (how tc prints handles).
//
// The request is an nlmsghdr of type RTM_GETQDISC (38) with NLM_F_REQUEST|NLM_F_DUMP and a zeroed
// struct tcmsg (every device). The answer is one RTM_NEWQDISC (36) message per qdisc, with
// NLM_F_MULTI, then NLMSG_DONE (netlink_framing.h):
//
//   tcmsg        u8 family, u8 pad, u16 pad, s32 ifindex, u32 handle, u32 parent, u32 info  20 bytes
//   TCA_KIND 1   the qdisc's name, NUL-terminated ("fq_codel"), 1 to 15 bytes (IFNAMSIZ - 1)
//   TCA_OPTIONS 2  the kind's own settings. Read here: the limit in packets of pfifo and
//                pfifo_head_drop, a struct tc_fifo_qopt {u32 limit}; of fq_codel, codel and fq, a
//                nest (sent without NLA_F_NESTED) holding TCA_FQ_CODEL_LIMIT 2, TCA_CODEL_LIMIT 2 or
//                TCA_FQ_PLIMIT 1, a u32. Other kinds' options are skipped (bfifo's limit is in
//                bytes; a qdisc the guide never sets on a WireGuard host).
//   TCA_STATS 3  legacy struct tc_stats {u64 bytes; u32 packets, drops, overlimits, bps, pps,
//                qlen, backlog}: 36 bytes, 40 where a u64 is 8-aligned
//   TCA_STATS2 7 a nest: TCA_STATS_BASIC 1 struct gnet_stats_basic {u64 bytes; u32 packets} (12
//                bytes, 16 where padded), TCA_STATS_QUEUE 3 struct gnet_stats_queue {u32 qlen,
//                backlog, drops, requeues, overlimits} (20), TCA_STATS_PKT64 8 u64 packets (sent
//                once the count no longer fits the u32); rate estimators, TCA_STATS_APP and
//                padding are skipped
//
// The kernel sends TCA_STATS2 and the legacy TCA_STATS both; TCA_STATS2 wins (64-bit packets,
// requeues) and TCA_STATS fills in what it lacks. Structs may be longer than the fields read
// (padding, later kernels); numbers must have their exact size. Attributes not listed are skipped.
//
// Handles are major:minor, 16 bits each; a qdisc's minor is 0. The parent is TC_H_ROOT
// (0xffffffff) for a device's root qdisc, TC_H_INGRESS (0xfffffff1) for ingress and clsact, else
// the class it is attached to: the children of an mq root, one per transmit queue, all have
// handle 0: and parents :1, :2, ... The counters of an mq or mqprio root are the sums of its
// children's (mq_dump), so a sum over all qdiscs of a device counts those packets twice.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "exporter/sources/netlink_framing.h"  // NetlinkError

namespace wgtune {

inline constexpr uint32_t kTcHandleRoot = 0xffffffff;     // TC_H_ROOT
inline constexpr uint32_t kTcHandleIngress = 0xfffffff1;  // TC_H_INGRESS, TC_H_CLSACT

// Each field is present when the dump carried it.
struct QdiscStats {
  std::optional<uint64_t> bytes;    // sent
  std::optional<uint64_t> packets;  // sent
  std::optional<uint64_t> drops;
  std::optional<uint64_t> requeues;         // dequeued, not transmitted (driver busy), queued again
  std::optional<uint64_t> overlimits;       // enqueues over a limit (shapers: throttled)
  std::optional<uint64_t> backlog_packets;  // queued now (qlen)
  std::optional<uint64_t> backlog_bytes;    // queued now (backlog)
};

struct Qdisc {
  int32_t ifindex = 0;
  std::string kind;  // "fq_codel", "mq", "noqueue", ...
  uint32_t handle = 0;
  uint32_t parent = 0;
  std::optional<uint32_t> limit_packets;  // for the kinds listed above
  QdiscStats stats;
};

// Parses a complete RTM_GETQDISC dump: every datagram received for one request, in order, up to
// and including the one holding NLMSG_DONE. Returns the qdiscs in the kernel's order.
//
// Throws NetlinkError for an error answer (NLMSG_ERROR, or NLMSG_DONE carrying an errno), and
// NetlinkError(EINTR) when the kernel marks the dump as interrupted by a concurrent change
// (NLM_F_DUMP_INTR: ask again). Throws ParseError, naming the message and attribute, for
// anything malformed: a length too short for its header or running past its container, a
// message shorter than struct tcmsg, an ifindex that is not positive, no TCA_KIND or one of
// the wrong length, a known attribute of the wrong size, a message type other than
// RTM_NEWQDISC, the same qdisc (ifindex, handle, parent) twice, a missing NLMSG_DONE (a
// truncated dump) or messages after it. Never reads past the datagrams.
std::vector<Qdisc> ParseQdiscDump(const std::vector<std::vector<uint8_t>>& datagrams);

// The same over one buffer of back-to-back messages.
std::vector<Qdisc> ParseQdiscDump(std::span<const uint8_t> bytes);

// RTM_GETQDISC with NLM_F_REQUEST|NLM_F_DUMP for every device, sequence number `sequence`.
std::vector<uint8_t> EncodeGetQdiscRequest(uint32_t sequence);

// A qdisc's handle as tc prints it, major in hex and a colon: "0:", "8001:" ("8001:a" if a
// minor were set).
std::string QdiscHandleText(uint32_t handle);

// A parent as tc prints it (sprint_tc_classid): "root", "none" (0), ":1" (major 0),
// "8001:" (minor 0), "ffff:fff1" (ingress), "1:10".
std::string QdiscParentText(uint32_t parent);

}  // namespace wgtune
