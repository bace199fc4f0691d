// The RTM_GETQDISC dump parser (exporter/sources/qdisc.h) over messages laid out as the kernel's
// tc_fill_qdisc writes them, malformed and truncated ones included; the qdisc collector over a
// recording; and the live kernel in a scratch network namespace (root only).
#include "exporter/sources/qdisc.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/netlink_socket.h"
#include "exporter/wireguard/netlink_client.h"
#include "metric_testing.h"
#include "wireguard_testing.h"

#if __has_include(<linux/gen_stats.h>)
#include <linux/gen_stats.h>
#endif

namespace wgtune {
namespace {

using Bytes = std::vector<uint8_t>;
using Datagrams = std::vector<Bytes>;

// include/uapi/linux/rtnetlink.h, gen_stats.h and pkt_sched.h, written out again here (not taken
// from the parser) so that a wrong number in either place fails; checked against the headers.
constexpr uint16_t kKind = 1, kOptions = 2, kStats = 3, kXstats = 4, kStats2 = 7, kHwOffload = 12;
constexpr uint16_t kStatsBasic = 1, kStatsRateEst = 2, kStatsQueue = 3, kStatsApp = 4, kStatsPkt64 = 8;
constexpr uint16_t kFqCodelTarget = 1, kFqCodelLimit = 2, kFqPacketLimit = 1, kCodelLimit = 2;
constexpr uint16_t kNested = 0x8000;  // NLA_F_NESTED
static_assert(TCA_KIND == kKind && TCA_OPTIONS == kOptions && TCA_STATS == kStats && TCA_XSTATS == kXstats &&
              TCA_STATS2 == kStats2);
static_assert(TCA_FQ_CODEL_TARGET == kFqCodelTarget && TCA_FQ_CODEL_LIMIT == kFqCodelLimit &&
              TCA_FQ_PLIMIT == kFqPacketLimit && TCA_CODEL_LIMIT == kCodelLimit);
static_assert(TC_H_ROOT == kTcHandleRoot && TC_H_INGRESS == kTcHandleIngress);
#ifdef TCA_STATS_PKT64
static_assert(TCA_STATS_BASIC == kStatsBasic && TCA_STATS_RATE_EST == kStatsRateEst &&
              TCA_STATS_QUEUE == kStatsQueue && TCA_STATS_APP == kStatsApp && TCA_STATS_PKT64 == kStatsPkt64);
#endif

// Bytes as the kernel lays them out: nlmsghdr, struct tcmsg, nlattrs padded to 4.
class Writer {
 public:
  template <typename T>
  Writer& Append(T value) {
    const auto* raw = reinterpret_cast<const uint8_t*>(&value);
    bytes.insert(bytes.end(), raw, raw + sizeof value);
    return *this;
  }
  Writer& Put(uint16_t type, const Bytes& payload) {
    Append<uint16_t>(static_cast<uint16_t>(4 + payload.size()));
    Append<uint16_t>(type);
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    bytes.resize((bytes.size() + 3) & ~size_t{3}, 0);
    return *this;
  }
  Bytes bytes;
};

template <typename... T>
Bytes Pack(T... values) {
  Writer w;
  (w.Append(values), ...);
  return w.bytes;
}

Bytes Attr(uint16_t type, const Bytes& payload) { return Writer().Put(type, payload).bytes; }
Bytes Str(std::string_view text) {
  Bytes out(text.begin(), text.end());
  out.push_back(0);
  return out;
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes Message(uint16_t type, uint16_t flags, const Bytes& payload) {
  return Cat({Pack<uint32_t, uint16_t, uint16_t, uint32_t, uint32_t>(16 + payload.size(), type, flags, 7, 4242),
              payload});
}
Bytes Tcmsg(int32_t ifindex, uint32_t handle, uint32_t parent) {
  return Pack<uint8_t, uint8_t, uint16_t, int32_t, uint32_t, uint32_t, uint32_t>(0, 0, 0, ifindex, handle, parent, 2);
}
Bytes Done(int32_t error = 0) { return Message(NLMSG_DONE, NLM_F_MULTI, Pack<int32_t>(error)); }

// struct gnet_stats_basic as x86-64 pads it (16 bytes) and struct gnet_stats_queue.
Bytes Basic(uint64_t bytes, uint32_t packets) { return Pack<uint64_t, uint32_t, uint32_t>(bytes, packets, 0); }
Bytes Queue(uint32_t qlen, uint32_t backlog, uint32_t drops, uint32_t requeues, uint32_t overlimits) {
  return Pack(qlen, backlog, drops, requeues, overlimits);
}
// struct tc_stats, 40 bytes on x86-64.
Bytes Legacy(uint64_t bytes, uint32_t packets, uint32_t drops, uint32_t overlimits, uint32_t qlen, uint32_t backlog) {
  return Pack<uint64_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t>(
      bytes, packets, drops, overlimits, 0, 0, qlen, backlog, 0);
}

// One RTM_NEWQDISC as tc_fill_qdisc writes it: kind, options, the offload flag, TCA_STATS2 with
// basic and queue statistics, the legacy TCA_STATS. `extra` replaces everything after the kind.
Bytes Qdisc(int32_t ifindex, std::string_view kind, uint32_t handle, uint32_t parent,
            std::optional<Bytes> options = std::nullopt, std::optional<Bytes> extra = std::nullopt,
            uint16_t flags = NLM_F_MULTI) {
  Bytes body = Cat({Tcmsg(ifindex, handle, parent), Attr(kKind, Str(kind))});
  if (options) body = Cat({body, Attr(kOptions, *options)});
  if (extra) {
    body = Cat({body, *extra});
  } else {
    body = Cat({body, Attr(kHwOffload, {0}),
                Attr(kStats2, Cat({Attr(kStatsBasic, Basic(1000, 10)), Attr(kStatsQueue, Queue(1, 100, 2, 3, 4))})),
                Attr(kStats, Legacy(1000, 10, 2, 4, 1, 100))});
  }
  return Message(RTM_NEWQDISC, flags, body);
}

Bytes Prefix(const Bytes& bytes, size_t size) { return Bytes(bytes.begin(), bytes.begin() + static_cast<long>(size)); }

Bytes Patched(Bytes bytes, size_t offset, std::initializer_list<uint8_t> patch) {
  std::copy(patch.begin(), patch.end(), bytes.begin() + static_cast<long>(offset));
  return bytes;
}

// NLMSG_ERROR for the request, its header echoed (NLM_F_CAPPED), maybe the kernel's explanation.
Bytes ErrorAnswer(int32_t error, uint16_t flags, std::string_view explanation = {}) {
  Bytes payload = Cat({Pack<int32_t>(error), Prefix(EncodeGetQdiscRequest(7), 16)});
  if (!explanation.empty()) payload = Cat({payload, Attr(1 /* NLMSGERR_ATTR_MSG */, Str(explanation))});
  return Message(NLMSG_ERROR, flags, payload);
}

std::string Describe(const std::vector<wgtune::Qdisc>& qdiscs) {
  std::ostringstream out;
  auto number = [&out](const char* name, const std::optional<uint64_t>& value) {
    if (value) out << " " << name << "=" << *value;
  };
  for (const wgtune::Qdisc& q : qdiscs) {
    out << q.ifindex << " " << q.kind << " " << QdiscHandleText(q.handle) << " " << QdiscParentText(q.parent);
    if (q.limit_packets) out << " limit=" << *q.limit_packets << "p";
    number("bytes", q.stats.bytes);
    number("packets", q.stats.packets);
    number("drops", q.stats.drops);
    number("requeues", q.stats.requeues);
    number("overlimits", q.stats.overlimits);
    number("qlen", q.stats.backlog_packets);
    number("backlog", q.stats.backlog_bytes);
    out << "\n";
  }
  return out.str();
}

const Bytes kNoqueue = Qdisc(1, "noqueue", 0, kTcHandleRoot);
const std::string kNoqueueText =
    "1 noqueue 0: root bytes=1000 packets=10 drops=2 requeues=3 overlimits=4 qlen=1 backlog=100\n";

Bytes Nest(uint16_t type, std::initializer_list<Bytes> attributes) { return Attr(type, Cat(attributes)); }
Bytes Stats2Only(std::initializer_list<Bytes> attributes) { return Nest(kStats2, attributes); }

enum class Outcome { kOk, kParseError, kNetlinkError };

struct DumpCase {
  std::string name;
  Datagrams input;
  Outcome outcome;
  std::string want;  // kOk: the whole Describe() text; else a substring of the error
  int error_number = 0;
};

void PrintTo(const DumpCase& c, std::ostream* out) { *out << c.name; }

const std::vector<DumpCase>& DumpCases() {
  static const std::vector<DumpCase> cases = {
      // --- what kernels send
      {"noqueue, the statistics in TCA_STATS2 and TCA_STATS", {Cat({kNoqueue, Done()})}, Outcome::kOk, kNoqueueText},
      {"NLMSG_DONE in a datagram of its own", {kNoqueue, Done()}, Outcome::kOk, kNoqueueText},
      {"no qdisc at all", {Done()}, Outcome::kOk, ""},
      {"pfifo limit in packets", {Qdisc(2, "pfifo", 0x80010000, kTcHandleRoot, Pack<uint32_t>(2), Bytes{}), Done()},
       Outcome::kOk, "2 pfifo 8001: root limit=2p\n"},
      {"bfifo's limit (bytes) is not read", {Qdisc(2, "bfifo", 0x80010000, kTcHandleRoot, Pack<uint32_t>(3000), Bytes{}), Done()},
       Outcome::kOk, "2 bfifo 8001: root\n"},
      {"pfifo_head_drop limit", {Qdisc(2, "pfifo_head_drop", 0x10000, 0x80010001, Pack<uint32_t>(9), Bytes{}), Done()},
       Outcome::kOk, "2 pfifo_head_drop 1: 8001:1 limit=9p\n"},
      {"fq_codel limit in its options nest",
       {Qdisc(2, "fq_codel", 0, 1,
              Cat({Attr(kFqCodelTarget, Pack<uint32_t>(5000)), Attr(kFqCodelLimit, Pack<uint32_t>(10240))}), Bytes{}),
        Done()},
       Outcome::kOk, "2 fq_codel 0: :1 limit=10240p\n"},
      {"fq limit, options flagged NLA_F_NESTED",
       {Message(RTM_NEWQDISC, NLM_F_MULTI,
                Cat({Tcmsg(2, 0x80020000, kTcHandleRoot), Attr(kKind, Str("fq")),
                     Attr(kOptions | kNested, Attr(kFqPacketLimit, Pack<uint32_t>(10000)))})),
        Done()},
       Outcome::kOk, "2 fq 8002: root limit=10000p\n"},
      {"codel limit", {Qdisc(2, "codel", 0x10000, kTcHandleRoot, Attr(kCodelLimit, Pack<uint32_t>(1000)), Bytes{}), Done()},
       Outcome::kOk, "2 codel 1: root limit=1000p\n"},
      {"fq_codel without a limit in its options", {Qdisc(2, "fq_codel", 0, 1, Attr(kFqCodelTarget, Pack<uint32_t>(1)), Bytes{}), Done()},
       Outcome::kOk, "2 fq_codel 0: :1\n"},
      {"options of other kinds are not read (pfifo_fast: struct tc_prio_qopt)",
       {Qdisc(2, "pfifo_fast", 0, kTcHandleRoot, Bytes(20, 1), Bytes{}), Done()}, Outcome::kOk,
       "2 pfifo_fast 0: root\n"},
      {"ingress, an empty options nest", {Qdisc(3, "ingress", 0xffff0000, kTcHandleIngress, Bytes{}, Bytes{}), Done()},
       Outcome::kOk, "3 ingress ffff: ffff:fff1\n"},
      {"TCA_STATS2 wins over the legacy TCA_STATS",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt,
              Cat({Attr(kStats, Legacy(1, 2, 3, 4, 5, 6)),
                   Stats2Only({Attr(kStatsBasic, Basic(10, 20)), Attr(kStatsQueue, Queue(50, 60, 30, 7, 40))})})),
        Done()},
       Outcome::kOk, "2 mq 0: root bytes=10 packets=20 drops=30 requeues=7 overlimits=40 qlen=50 backlog=60\n"},
      {"legacy TCA_STATS alone: no requeues",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt, Attr(kStats, Legacy(1, 2, 3, 4, 5, 6))), Done()},
       Outcome::kOk, "2 mq 0: root bytes=1 packets=2 drops=3 overlimits=4 qlen=5 backlog=6\n"},
      {"legacy TCA_STATS of 36 bytes (i386) fills what TCA_STATS2 lacks",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt,
              Cat({Stats2Only({Attr(kStatsBasic, Basic(10, 20))}),
                   Attr(kStats, Prefix(Legacy(1, 2, 3, 4, 5, 6), 36))})),
        Done()},
       Outcome::kOk, "2 mq 0: root bytes=10 packets=20 drops=3 overlimits=4 qlen=5 backlog=6\n"},
      {"gnet_stats_basic of 12 bytes (i386)",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt, Stats2Only({Attr(kStatsBasic, Pack<uint64_t, uint32_t>(10, 20))})),
        Done()},
       Outcome::kOk, "2 mq 0: root bytes=10 packets=20\n"},
      {"TCA_STATS_PKT64 replaces the wrapped u32 packets",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt,
              Stats2Only({Attr(kStatsBasic, Basic(10, 5)), Attr(kStatsPkt64, Pack<uint64_t>(4294967301ull))})),
        Done()},
       Outcome::kOk, "2 mq 0: root bytes=10 packets=4294967301\n"},
      {"rate estimator, application statistics, padding and unknown attributes are skipped",
       {Qdisc(2, "fq_codel", 0, 1, std::nullopt,
              Cat({Attr(99, Bytes(3, 9)), Attr(kXstats, Bytes(40, 1)),
                   Stats2Only({Attr(kStatsApp, Bytes(40, 1)), Attr(6 /* PAD */, {}), Attr(kStatsBasic, Basic(10, 20)),
                               Attr(kStatsRateEst, Pack<uint32_t, uint32_t>(1, 2)), Attr(77, Bytes(1, 1))})})),
        Done()},
       Outcome::kOk, "2 fq_codel 0: :1 bytes=10 packets=20\n"},
      {"an mq root and its children, last queue first",
       {Cat({Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt, Bytes{}), Qdisc(2, "fq_codel", 0, 2, std::nullopt, Bytes{}),
             Qdisc(2, "fq_codel", 0, 1, std::nullopt, Bytes{})}),
        Done()},
       Outcome::kOk, "2 mq 0: root\n2 fq_codel 0: :2\n2 fq_codel 0: :1\n"},
      {"NLMSG_NOOP and an ACK are skipped",
       {Cat({Message(NLMSG_NOOP, 0, {}), ErrorAnswer(0, NLM_F_CAPPED), kNoqueue}), Done()}, Outcome::kOk,
       kNoqueueText},
      {"the kind without its NUL", {Message(RTM_NEWQDISC, NLM_F_MULTI, Cat({Tcmsg(5, 0, kTcHandleRoot), Attr(kKind, {'m', 'q'})})), Done()},
       Outcome::kOk, "5 mq 0: root\n"},
      {"the last message of a datagram without its padding",
       {Message(RTM_NEWQDISC, NLM_F_MULTI, Cat({Tcmsg(5, 0, kTcHandleRoot), Bytes{7, 0, kKind, 0, 'm', 'q', 0}})),
        Done()},
       Outcome::kOk, "5 mq 0: root\n"},

      // --- framing
      {"empty input", {}, Outcome::kParseError, "no NLMSG_DONE after 0 messages: the dump is truncated"},
      {"no NLMSG_DONE", {kNoqueue}, Outcome::kParseError, "no NLMSG_DONE after 1 messages"},
      {"a message after NLMSG_DONE", {Done(), kNoqueue}, Outcome::kParseError,
       "qdisc netlink message 2: a message after NLMSG_DONE"},
      {"stray bytes after a message", {Cat({kNoqueue, Bytes(7, 0)}), Done()}, Outcome::kParseError,
       "qdisc netlink message 2: 7 stray bytes, too few for a message header (16)"},
      {"message length shorter than its header", {Patched(kNoqueue, 0, {8, 0, 0, 0}), Done()}, Outcome::kParseError,
       "message 1: length 8 is shorter than its 16-byte header"},
      {"message length past the datagram", {Patched(kNoqueue, 0, {0, 1, 0, 0}), Done()}, Outcome::kParseError,
       "message 1: length 256 runs past the end of the data"},
      {"payload shorter than struct tcmsg", {Message(RTM_NEWQDISC, NLM_F_MULTI, Bytes(12, 0)), Done()},
       Outcome::kParseError, "message 1: 12 bytes of payload, too few for a struct tcmsg (20)"},
      {"another message type (RTM_NEWLINK)", {Message(RTM_NEWLINK, NLM_F_MULTI, Tcmsg(1, 0, 0)), Done()},
       Outcome::kParseError, "message 1: message type 16, want RTM_NEWQDISC (36)"},
      {"ifindex 0", {Qdisc(0, "mq", 0, kTcHandleRoot), Done()}, Outcome::kParseError, "ifindex 0, want 1 or more"},
      {"negative ifindex", {Qdisc(-3, "mq", 0, kTcHandleRoot), Done()}, Outcome::kParseError, "ifindex -3, want 1"},
      {"attribute length shorter than its header", {Patched(kNoqueue, 36, {2, 0}), Done()}, Outcome::kParseError,
       "message 1 (ifindex 1, handle 0:, parent root): TCA_KIND in qdisc: length 2 is shorter than its 4-byte header"},
      {"attribute length past its message", {Patched(kNoqueue, 36, {0xf0, 0}), Done()}, Outcome::kParseError,
       "TCA_KIND in qdisc: length 240 runs past the end of its container"},
      {"stray bytes after the attributes",
       {Message(RTM_NEWQDISC, NLM_F_MULTI, Cat({Tcmsg(1, 0, kTcHandleRoot), Attr(kKind, Str("mq")), Bytes(2, 0)})), Done()},
       Outcome::kParseError, "qdisc: 2 stray bytes at its end, too few for an attribute header"},
      {"nested attribute past its nest",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt, Patched(Stats2Only({Attr(kStatsBasic, Basic(1, 1))}), 4, {40, 0})),
        Done()},
       Outcome::kParseError, "TCA_STATS_BASIC in TCA_STATS2: length 40 runs past the end of its container (20 bytes left)"},

      // --- contents
      {"no TCA_KIND", {Message(RTM_NEWQDISC, NLM_F_MULTI, Tcmsg(2, 0, kTcHandleRoot)), Done()}, Outcome::kParseError,
       "message 1 (ifindex 2, handle 0:, parent root): no TCA_KIND"},
      {"empty TCA_KIND", {Qdisc(2, "", 0, kTcHandleRoot), Done()}, Outcome::kParseError,
       "TCA_KIND is 0 bytes long, want 1 to 15"},
      {"TCA_KIND of 16 bytes", {Qdisc(2, "sixteen_bytes_xx", 0, kTcHandleRoot), Done()}, Outcome::kParseError,
       "TCA_KIND is 16 bytes long, want 1 to 15"},
      {"pfifo options of 3 bytes", {Qdisc(2, "pfifo", 0x10000, kTcHandleRoot, Bytes(3, 0), Bytes{}), Done()},
       Outcome::kParseError, "TCA_OPTIONS has 3 bytes, want 4"},
      {"pfifo options of 8 bytes", {Qdisc(2, "pfifo", 0x10000, kTcHandleRoot, Bytes(8, 0), Bytes{}), Done()},
       Outcome::kParseError, "TCA_OPTIONS has 8 bytes, want 4"},
      {"fq_codel limit of 2 bytes",
       {Qdisc(2, "fq_codel", 0, 1, Attr(kFqCodelLimit, Pack<uint16_t>(7)), Bytes{}), Done()}, Outcome::kParseError,
       "TCA_FQ_CODEL_LIMIT has 2 bytes, want 4"},
      {"fq_codel options nest with stray bytes", {Qdisc(2, "fq_codel", 0, 1, Bytes(3, 0), Bytes{}), Done()},
       Outcome::kParseError, "TCA_OPTIONS: 3 stray bytes at its end"},
      {"TCA_STATS_BASIC of 11 bytes",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt, Stats2Only({Attr(kStatsBasic, Bytes(11, 0))})), Done()},
       Outcome::kParseError, "TCA_STATS_BASIC has 11 bytes, want 12 or more"},
      {"TCA_STATS_QUEUE of 16 bytes",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt, Stats2Only({Attr(kStatsQueue, Bytes(16, 0))})), Done()},
       Outcome::kParseError, "TCA_STATS_QUEUE has 16 bytes, want 20 or more"},
      {"TCA_STATS_PKT64 of 4 bytes",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt, Stats2Only({Attr(kStatsPkt64, Bytes(4, 0))})), Done()},
       Outcome::kParseError, "TCA_STATS_PKT64 has 4 bytes, want 8"},
      {"legacy TCA_STATS of 32 bytes",
       {Qdisc(2, "mq", 0, kTcHandleRoot, std::nullopt, Attr(kStats, Bytes(32, 0))), Done()}, Outcome::kParseError,
       "TCA_STATS has 32 bytes, want 36 or more"},
      {"the same qdisc twice", {Cat({kNoqueue, kNoqueue}), Done()}, Outcome::kParseError,
       "message 2 (ifindex 1, handle 0:, parent root): the same qdisc again"},

      // --- error answers
      {"NLMSG_ERROR EPERM with the kernel's explanation",
       {ErrorAnswer(-EPERM, NLM_F_CAPPED | NLM_F_ACK_TLVS, "not allowed here")}, Outcome::kNetlinkError,
       "rtnetlink: the kernel answered RTM_GETQDISC with errno 1 (Operation not permitted): not allowed here", EPERM},
      {"NLMSG_ERROR too short for its error code", {Message(NLMSG_ERROR, 0, Bytes(2, 0))}, Outcome::kParseError,
       "qdisc netlink message 1: NLMSG_ERROR has 2 bytes, too few for its error code"},
      {"NLMSG_DONE carrying an error", {kNoqueue, Done(-ENOBUFS)}, Outcome::kNetlinkError,
       "the RTM_GETQDISC dump ended with errno 105", ENOBUFS},
      // Found by fuzzing (issue 12): -INT_MIN does not fit an int (undefined behaviour).
      {"NLMSG_ERROR with error code INT_MIN", {ErrorAnswer(std::numeric_limits<int32_t>::min(), NLM_F_CAPPED)},
       Outcome::kNetlinkError, "RTM_GETQDISC with error code -2147483648, not an errno", EPROTO},
      {"NLMSG_DONE with error code INT_MIN", {kNoqueue, Done(std::numeric_limits<int32_t>::min())},
       Outcome::kNetlinkError, "dump ended with error code -2147483648, not an errno", EPROTO},
      {"NLMSG_ERROR with a positive errno", {ErrorAnswer(EPERM, NLM_F_CAPPED)}, Outcome::kNetlinkError,
       "RTM_GETQDISC with errno 1 (Operation not permitted)", EPERM},
      {"NLMSG_ERROR with error code -4096, past MAX_ERRNO", {ErrorAnswer(-4096, NLM_F_CAPPED)}, Outcome::kNetlinkError,
       "RTM_GETQDISC with error code -4096, not an errno", EPROTO},
      {"NLMSG_ERROR with error code -4095, MAX_ERRNO", {ErrorAnswer(-4095, NLM_F_CAPPED)}, Outcome::kNetlinkError,
       "RTM_GETQDISC with errno 4095 (", 4095},
      {"dump interrupted by a change (NLM_F_DUMP_INTR)",
       {Qdisc(1, "noqueue", 0, kTcHandleRoot, std::nullopt, std::nullopt, NLM_F_MULTI | NLM_F_DUMP_INTR), Done()},
       Outcome::kNetlinkError, "(NLM_F_DUMP_INTR); ask again", EINTR},
  };
  return cases;
}

class QdiscDumpTest : public testing::TestWithParam<DumpCase> {};

TEST_P(QdiscDumpTest, ParsesOrNamesTheProblem) {
  const DumpCase& c = GetParam();
  auto run = [&] { return Describe(ParseQdiscDump(c.input)); };
  switch (c.outcome) {
    case Outcome::kOk:
      EXPECT_EQ(run(), c.want);
      break;
    case Outcome::kParseError:
      try {
        ADD_FAILURE() << "parsed: " << run();
      } catch (const ParseError& error) {
        EXPECT_NE(std::string(error.what()).find(c.want), std::string::npos) << error.what();
      }
      break;
    case Outcome::kNetlinkError:
      try {
        ADD_FAILURE() << "parsed: " << run();
      } catch (const NetlinkError& error) {
        EXPECT_EQ(error.error_number(), c.error_number);
        EXPECT_NE(std::string(error.what()).find(c.want), std::string::npos) << error.what();
      }
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, QdiscDumpTest, testing::ValuesIn(DumpCases()),
                         [](const testing::TestParamInfo<DumpCase>& info) {
                           std::string name;
                           for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// The recorded fixture dump, cut at every byte: each cut is a ParseError, never a crash or a
// read past the end (run under ASan to see the latter), and never a partial success.
TEST(QdiscDump, EveryTruncationOfARealDumpIsAParseError) {
  std::string recording =
      ReadTestFile(std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/e2e/sample1/netlink/qdisc.netlink");
  Datagrams datagrams = DecodeNetlinkRecording(recording, "qdisc.netlink");
  Bytes whole;
  for (const Bytes& datagram : datagrams) whole.insert(whole.end(), datagram.begin(), datagram.end());
  ASSERT_EQ(ParseQdiscDump(whole).size(), 10u);
  for (size_t size = 0; size < whole.size(); ++size) {
    EXPECT_THROW(ParseQdiscDump(std::span<const uint8_t>(whole.data(), size)), ParseError) << "cut at " << size;
  }
}

TEST(QdiscDump, TheRecordedFixtureHost) {
  std::string recording =
      ReadTestFile(std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/e2e/sample1/netlink/qdisc.netlink");
  std::vector<wgtune::Qdisc> qdiscs = ParseQdiscDump(DecodeNetlinkRecording(recording, "qdisc.netlink"));
  ASSERT_EQ(qdiscs.size(), 10u);
  EXPECT_EQ(Describe({qdiscs[1], qdiscs[2], qdiscs[8]}),
            "2 mq 0: root bytes=712341 packets=8123 drops=0 requeues=0 overlimits=0 qlen=0 backlog=0\n"
            "2 fq_codel 0: :2 limit=10240p bytes=320554 packets=3656 drops=0 requeues=0 overlimits=0 qlen=0 "
            "backlog=0\n"
            "3 fq_codel 0: :1 limit=10240p bytes=48044936449 packets=35249364 drops=1520 requeues=12 overlimits=0 "
            "qlen=7 backlog=10164\n");
}

TEST(QdiscText, HandlesAndParentsAsTcPrintsThem) {
  EXPECT_EQ(QdiscHandleText(0), "0:");
  EXPECT_EQ(QdiscHandleText(0x80010000), "8001:");
  EXPECT_EQ(QdiscHandleText(0xffff0000), "ffff:");
  EXPECT_EQ(QdiscHandleText(0x0001000a), "1:a");
  EXPECT_EQ(QdiscParentText(kTcHandleRoot), "root");
  EXPECT_EQ(QdiscParentText(0), "none");
  EXPECT_EQ(QdiscParentText(1), ":1");
  EXPECT_EQ(QdiscParentText(0x10), ":10");
  EXPECT_EQ(QdiscParentText(0x80040002), "8004:2");
  EXPECT_EQ(QdiscParentText(0x10000), "1:");
  EXPECT_EQ(QdiscParentText(kTcHandleIngress), "ffff:fff1");
}

TEST(QdiscRequest, IsADumpOfEveryDevice) {
  Bytes request = EncodeGetQdiscRequest(0x01020304);
  Bytes want = Cat({Pack<uint32_t, uint16_t, uint16_t, uint32_t, uint32_t>(36, RTM_GETQDISC, NLM_F_REQUEST | NLM_F_DUMP,
                                                                           0x01020304, 0),
                    Bytes(20, 0)});
  EXPECT_EQ(request, want);
}

// A source that answers from a script, to see DumpAndParse ask again after NLM_F_DUMP_INTR.
class ScriptedSource : public NetlinkDumpSource {
 public:
  explicit ScriptedSource(std::deque<Datagrams> answers) : answers_(std::move(answers)) {}
  Datagrams Dump() override {
    ++dumps;
    Datagrams next = answers_.front();
    answers_.pop_front();
    return next;
  }
  int dumps = 0;

 private:
  std::deque<Datagrams> answers_;
};

const Datagrams kInterrupted = {
    Qdisc(1, "noqueue", 0, kTcHandleRoot, std::nullopt, std::nullopt, NLM_F_MULTI | NLM_F_DUMP_INTR), Done()};
auto Parse = [](const Datagrams& datagrams) { return ParseQdiscDump(datagrams); };

TEST(QdiscDumpAndParse, AsksAgainAfterAnInterruptedDump) {
  ScriptedSource source({kInterrupted, kInterrupted, {kNoqueue, Done()}});
  EXPECT_EQ(Describe(DumpAndParse(source, Parse)), kNoqueueText);
  EXPECT_EQ(source.dumps, 3);
}

TEST(QdiscDumpAndParse, GivesUpAfterThreeInterruptedDumps) {
  ScriptedSource source({kInterrupted, kInterrupted, kInterrupted, {kNoqueue, Done()}});
  try {
    DumpAndParse(source, Parse);
    ADD_FAILURE() << "no error";
  } catch (const NetlinkError& error) {
    EXPECT_EQ(error.error_number(), EINTR);
  }
  EXPECT_EQ(source.dumps, 3);
}

TEST(QdiscDumpAndParse, OtherErrorsAreNotRetried) {
  ScriptedSource source({{ErrorAnswer(-EPERM, NLM_F_CAPPED)}, {kNoqueue, Done()}});
  EXPECT_THROW(DumpAndParse(source, Parse), NetlinkError);
  EXPECT_EQ(source.dumps, 1);
}

TEST(ReplayNetlinkDump, AMissingRecordingIsAnIoError) {
  ReplayNetlinkDump replay("/nonexistent/qdisc.netlink");
  EXPECT_THROW(replay.Dump(), IoError);
}

// The collector over a recording and a sysfs tree: names from ifindex, qdiscs of a device the
// tree does not have are left out.
TEST(QdiscCollector, NamesDevicesFromSysfsAndLeavesOutUnknownOnes) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() + "/sys/class/net/eth0");
  std::ofstream(dir.path() + "/sys/class/net/eth0/ifindex") << "2\n";
  std::ofstream(dir.path() + "/sys/class/net/bonding_masters") << "\n";  // a file, not a device
  std::filesystem::create_directories(dir.path() + "/netlink");
  std::ofstream(dir.path() + "/netlink/qdisc.netlink", std::ios::binary)
      << EncodeNetlinkRecording({Cat({kNoqueue, Qdisc(2, "pfifo", 0x80010000, kTcHandleRoot, Pack<uint32_t>(2))}),
                                 Done()});
  ExporterConfig config;
  config.sysfs = dir.path() + "/sys";
  config.qdisc_replay_dir = dir.path() + "/netlink";
  for (const CollectorInfo& info : AllCollectors()) config.collectors[info.name] = info.name == std::string("qdisc");
  std::vector<NamedCollector> collectors = CreateEnabledCollectors(config);
  ASSERT_EQ(collectors.size(), 1u);
  MetricSet out;
  collectors[0].collector->Collect(out);
  Labels labels = {{"device", "eth0"}, {"kind", "pfifo"}, {"handle", "8001:"}, {"parent", "root"}};
  EXPECT_EQ(Series(out, "wgtune_qdisc_info"), (std::map<Labels, double>{{labels, 1}}));
  EXPECT_EQ(Value(out, "wgtune_qdisc_limit_packets", labels), 2);
  EXPECT_EQ(Value(out, "wgtune_qdisc_packets_total", labels), 10);
  EXPECT_EQ(Value(out, "wgtune_qdisc_bytes_total", labels), 1000);
  EXPECT_EQ(Value(out, "wgtune_qdisc_drops_total", labels), 2);
  EXPECT_EQ(Value(out, "wgtune_qdisc_requeues_total", labels), 3);
  EXPECT_EQ(Value(out, "wgtune_qdisc_overlimits_total", labels), 4);
  EXPECT_EQ(Value(out, "wgtune_qdisc_backlog_packets", labels), 1);
  EXPECT_EQ(Value(out, "wgtune_qdisc_backlog_bytes", labels), 100);
  EXPECT_EQ(collectors[0].collector->Rates().at(0).counter, "wgtune_qdisc_drops_total");
}

// --- the live kernel

// Runs a shell command; true when it exits 0.
bool Shell(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

std::string Output(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[256];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    ::pclose(pipe);
  }
  return out;
}

// A network namespace with a veth pair, removed (with the pair) at destruction, whatever happened.
class ScratchNamespace {
 public:
  ScratchNamespace() : name_("wgtune-qdisc-" + std::to_string(::getpid())) {
    Shell("ip netns del " + name_);
    created_ = Shell("ip netns add " + name_);
  }
  ~ScratchNamespace() {
    if (created_) Shell("ip netns del " + name_);
  }
  bool created() const { return created_; }
  const std::string& name() const { return name_; }
  bool Exec(const std::string& command) const { return Shell("ip netns exec " + name_ + " " + command); }
  std::string Output(const std::string& command) const { return wgtune::Output("ip netns exec " + name_ + " " + command); }

  // Runs `work` on a thread that has entered the namespace: setns() changes the calling thread
  // only, so the test process stays where it was.
  template <typename Work>
  auto Inside(Work&& work) const {
    decltype(work()) result{};
    std::exception_ptr failure;
    std::thread([&] {
      try {
        int fd = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("open /run/netns/" + name_ + ": " + std::strerror(errno));
        int entered = ::setns(fd, CLONE_NEWNET);
        ::close(fd);
        if (entered != 0) throw std::runtime_error(std::string("setns: ") + std::strerror(errno));
        result = work();
      } catch (...) {
        failure = std::current_exception();
      }
    }).join();
    if (failure) std::rethrow_exception(failure);
    return result;
  }

 private:
  std::string name_;
  bool created_ = false;
};

// Sends `count` Ethernet frames of `size` bytes out of interface `ifindex` through its qdisc (a
// packet socket without PACKET_QDISC_BYPASS), on the calling thread's network namespace.
void SendFrames(int ifindex, int count, size_t size) {
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket(AF_PACKET): ") + std::strerror(errno));
  Bytes frame(size, 0);
  std::fill(frame.begin(), frame.begin() + 6, 0xff);  // broadcast
  frame[6] = 0x02;                                     // a locally administered source
  frame[12] = 0x88;                                    // EtherType 0x88b5: local experimental
  frame[13] = 0xb5;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  std::fill(to.sll_addr, to.sll_addr + 6, 0xff);
  for (int i = 0; i < count; ++i) {
    if (::sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) !=
        static_cast<ssize_t>(frame.size())) {
      int error = errno;
      ::close(fd);
      throw std::runtime_error(std::string("sendto: ") + std::strerror(error));
    }
  }
  ::close(fd);
}

TEST(QdiscLive, PfifoLimitOnAVethInAScratchNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (ip netns add, tc)";
  if (!Shell("command -v ip") || !Shell("command -v tc")) GTEST_SKIP() << "needs ip and tc (iproute2)";
  ScratchNamespace ns;
  ASSERT_TRUE(ns.created()) << "ip netns add failed";
  // No IPv6 autoconfiguration traffic (router solicitations, DAD): the only packets are the
  // test's. Best effort: a kernel without IPv6 sends none anyway.
  ns.Exec("sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
  ASSERT_TRUE(ns.Exec("ip link add wgq0 type veth peer name wgq1"));
  ASSERT_TRUE(ns.Exec("tc qdisc replace dev wgq0 root handle 8001: pfifo limit 2"));
  ASSERT_TRUE(ns.Exec("tc qdisc replace dev wgq1 root bfifo limit 3000"));  // a limit not read
  ASSERT_TRUE(ns.Exec("ip link set wgq0 up"));
  ASSERT_TRUE(ns.Exec("ip link set wgq1 up"));
  // The ifindex as the namespace's own sysfs tells it (ip netns exec mounts it).
  int wgq0 = std::atoi(ns.Output("cat /sys/class/net/wgq0/ifindex").c_str());
  int wgq1 = std::atoi(ns.Output("cat /sys/class/net/wgq1/ifindex").c_str());
  ASSERT_GT(wgq0, 0);

  std::vector<wgtune::Qdisc> qdiscs = ns.Inside([wgq0] {
    SendFrames(wgq0, 5, 60);
    KernelNetlinkDump kernel(NETLINK_ROUTE, "rtnetlink", "RTM_GETQDISC", EncodeGetQdiscRequest);
    return DumpAndParse(kernel, [](const Datagrams& datagrams) { return ParseQdiscDump(datagrams); });
  });
  const wgtune::Qdisc* pfifo = nullptr;
  const wgtune::Qdisc* bfifo = nullptr;
  for (const wgtune::Qdisc& q : qdiscs) {
    if (q.ifindex == wgq0) pfifo = &q;
    if (q.ifindex == wgq1) bfifo = &q;
  }
  ASSERT_NE(pfifo, nullptr) << Describe(qdiscs);
  EXPECT_EQ(pfifo->kind, "pfifo");
  EXPECT_EQ(QdiscHandleText(pfifo->handle), "8001:");
  EXPECT_EQ(pfifo->parent, kTcHandleRoot);
  EXPECT_EQ(pfifo->limit_packets, 2u);
  EXPECT_EQ(pfifo->stats.packets, 5u) << Describe(qdiscs);
  EXPECT_EQ(pfifo->stats.bytes, 300u);
  EXPECT_EQ(pfifo->stats.drops, 0u);
  EXPECT_EQ(pfifo->stats.backlog_packets, 0u);
  EXPECT_TRUE(pfifo->stats.requeues && pfifo->stats.overlimits && pfifo->stats.backlog_bytes);
  ASSERT_NE(bfifo, nullptr) << Describe(qdiscs);
  EXPECT_EQ(bfifo->kind, "bfifo");
  EXPECT_FALSE(bfifo->limit_packets);

  // What tc says of the same qdisc.
  std::string tc = ns.Output("tc -s qdisc show dev wgq0");
  EXPECT_NE(tc.find("qdisc pfifo 8001: root"), std::string::npos) << tc;
  EXPECT_NE(tc.find("limit 2p"), std::string::npos) << tc;
  EXPECT_NE(tc.find("Sent 300 bytes 5 pkt (dropped 0, overlimits 0 requeues 0)"), std::string::npos) << tc;
}

}  // namespace
}  // namespace wgtune
