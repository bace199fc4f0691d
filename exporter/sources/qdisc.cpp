#include "exporter/sources/qdisc.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstdio>
#include <set>
#include <tuple>

#include "exporter/sources/netlink_framing.h"

namespace wgtune {
namespace {

// include/uapi/linux/rtnetlink.h, gen_stats.h and pkt_sched.h, spelled out: ABI numbers that
// cannot change, written once here with the names the kernel gives them.
constexpr uint16_t kAttributeKind = 1;     // TCA_KIND
constexpr uint16_t kAttributeOptions = 2;  // TCA_OPTIONS
constexpr uint16_t kAttributeStats = 3;    // TCA_STATS
constexpr uint16_t kAttributeStats2 = 7;   // TCA_STATS2

constexpr uint16_t kStatsBasic = 1;  // TCA_STATS_BASIC
constexpr uint16_t kStatsQueue = 3;  // TCA_STATS_QUEUE
constexpr uint16_t kStatsPkt64 = 8;  // TCA_STATS_PKT64

constexpr uint16_t kFqCodelLimit = 2;   // TCA_FQ_CODEL_LIMIT
constexpr uint16_t kCodelLimit = 2;     // TCA_CODEL_LIMIT
constexpr uint16_t kFqPacketLimit = 1;  // TCA_FQ_PLIMIT

constexpr size_t kTcmsgSize = 20;        // struct tcmsg
constexpr size_t kStatsBasicSize = 12;   // struct gnet_stats_basic, unpadded
constexpr size_t kStatsQueueSize = 20;   // struct gnet_stats_queue
constexpr size_t kLegacyStatsSize = 36;  // struct tc_stats, unpadded
constexpr size_t kKindMax = 15;          // IFNAMSIZ - 1: Qdisc_ops.id
static_assert(sizeof(tcmsg) == kTcmsgSize);

std::string_view QdiscAttributeName(uint16_t type) {
  switch (type) {
    case kAttributeKind: return "TCA_KIND";
    case kAttributeOptions: return "TCA_OPTIONS";
    case kAttributeStats: return "TCA_STATS";
    case 4: return "TCA_XSTATS";
    case 5: return "TCA_RATE";
    case kAttributeStats2: return "TCA_STATS2";
    case 8: return "TCA_STAB";
    default: return {};
  }
}

std::string_view StatsAttributeName(uint16_t type) {
  switch (type) {
    case kStatsBasic: return "TCA_STATS_BASIC";
    case 2: return "TCA_STATS_RATE_EST";
    case kStatsQueue: return "TCA_STATS_QUEUE";
    case 4: return "TCA_STATS_APP";
    case 5: return "TCA_STATS_RATE_EST64";
    case 6: return "TCA_STATS_PAD";
    case 7: return "TCA_STATS_BASIC_HW";
    case kStatsPkt64: return "TCA_STATS_PKT64";
    default: return {};
  }
}

// The options nest names only what is read; which name depends on the kind.
std::string_view FqCodelOptionName(uint16_t type) { return type == kFqCodelLimit ? "TCA_FQ_CODEL_LIMIT" : ""; }
std::string_view CodelOptionName(uint16_t type) { return type == kCodelLimit ? "TCA_CODEL_LIMIT" : ""; }
std::string_view FqOptionName(uint16_t type) { return type == kFqPacketLimit ? "TCA_FQ_PLIMIT" : ""; }

// The kinds whose limit in packets is read, and how their TCA_OPTIONS hold it.
struct LimitLayout {
  std::string_view kind;
  bool fifo;                      // struct tc_fifo_qopt; else a nest
  uint16_t attribute;             // in the nest
  NetlinkAttributeNamer name_of;  // of the nest's attributes
};

constexpr LimitLayout kLimitLayouts[] = {
    {"pfifo", true, 0, NoNetlinkAttributeName},
    {"pfifo_head_drop", true, 0, NoNetlinkAttributeName},
    {"fq_codel", false, kFqCodelLimit, FqCodelOptionName},
    {"codel", false, kCodelLimit, CodelOptionName},
    {"fq", false, kFqPacketLimit, FqOptionName},
};

class DumpParser {
 public:
  void Feed(std::span<const uint8_t> bytes) {
    ForEachNetlinkMessage(
        bytes, message_count_, [](size_t number) { return "qdisc netlink message " + std::to_string(number); },
        [&](const NetlinkMessageHeader& header, std::span<const uint8_t> payload, size_t number) {
          OnMessage(header, payload, number);
        });
  }

  std::vector<Qdisc> Finish() {
    if (!done_) {
      throw ParseError("qdisc netlink dump: no NLMSG_DONE after " + std::to_string(message_count_) +
                       " messages: the dump is truncated");
    }
    return std::move(qdiscs_);
  }

 private:
  // Names the message in errors; once its tcmsg is read, the qdisc too.
  std::string Where() const {
    std::string where = "qdisc netlink message " + std::to_string(number_);
    if (current_ != nullptr) {
      where += " (ifindex " + std::to_string(current_->ifindex) + ", handle " + QdiscHandleText(current_->handle) +
               ", parent " + QdiscParentText(current_->parent) + ")";
    }
    return where;
  }

  void OnMessage(const NetlinkMessageHeader& header, std::span<const uint8_t> payload, size_t number) {
    number_ = number;
    current_ = nullptr;
    auto where = [this] { return Where(); };
    if (done_) NetlinkFail(where, "a message after NLMSG_DONE");
    switch (header.type) {
      case NLMSG_ERROR:
        if (auto error = DecodeNetlinkErrorMessage(header, payload, where)) {
          throw NetlinkError(error->error_number, "rtnetlink: the kernel answered RTM_GETQDISC with " + error->text);
        }
        return;
      case NLMSG_DONE:
        if (auto error = DecodeNetlinkDoneMessage(header, payload)) {
          throw NetlinkError(error->error_number, "rtnetlink: the RTM_GETQDISC dump ended with " + error->text);
        }
        done_ = true;
        return;
      default:
        break;
    }
    if (header.type < NLMSG_MIN_TYPE) return;  // NLMSG_NOOP and other control messages carry nothing
    if (header.type != RTM_NEWQDISC) {
      NetlinkFail(where, "message type " + std::to_string(header.type) + ", want RTM_NEWQDISC (" +
                             std::to_string(RTM_NEWQDISC) + ")");
    }
    if (header.flags & NLM_F_DUMP_INTR) {
      throw NetlinkError(EINTR, "rtnetlink: the RTM_GETQDISC dump was interrupted by a concurrent change "
                                "(NLM_F_DUMP_INTR); ask again");
    }
    if (payload.size() < kTcmsgSize) {
      NetlinkFail(where, std::to_string(payload.size()) + " bytes of payload, too few for a struct tcmsg (20)");
    }
    Qdisc qdisc;
    qdisc.ifindex = NetlinkLoad<int32_t>(payload.data() + 4);
    qdisc.handle = NetlinkLoad<uint32_t>(payload.data() + 8);
    qdisc.parent = NetlinkLoad<uint32_t>(payload.data() + 12);
    if (qdisc.ifindex <= 0) NetlinkFail(where, "ifindex " + std::to_string(qdisc.ifindex) + ", want 1 or more");
    current_ = &qdisc;

    std::optional<NetlinkAttribute> options;
    std::optional<NetlinkAttribute> legacy_stats;
    ForEachNetlinkAttribute(payload.subspan(kTcmsgSize), "qdisc", QdiscAttributeName, where,
                            [&](const NetlinkAttribute& attribute) {
                              switch (attribute.type) {
                                case kAttributeKind:
                                  qdisc.kind = Kind(attribute);
                                  break;
                                case kAttributeOptions:
                                  options = attribute;  // read once the kind is known
                                  break;
                                case kAttributeStats:
                                  ExpectNetlinkMinimumSize(attribute, kLegacyStatsSize, where);
                                  legacy_stats = attribute;  // fills in after TCA_STATS2, wherever it comes
                                  break;
                                case kAttributeStats2:
                                  ReadStats2(attribute.payload, qdisc.stats);
                                  break;
                                default:
                                  break;
                              }
                            });
    if (qdisc.kind.empty()) NetlinkFail(where, "no TCA_KIND");
    if (options) qdisc.limit_packets = LimitPackets(qdisc.kind, *options);
    if (legacy_stats) FillFromLegacyStats(legacy_stats->payload, qdisc.stats);

    // Two series with one label set would make the whole exposition invalid.
    if (!seen_.emplace(qdisc.ifindex, qdisc.handle, qdisc.parent).second) {
      NetlinkFail(where, "the same qdisc again");
    }
    current_ = nullptr;
    qdiscs_.push_back(std::move(qdisc));
  }

  std::string Kind(const NetlinkAttribute& attribute) const {
    std::string_view kind = NetlinkString(attribute);
    if (kind.empty() || kind.size() > kKindMax) {
      NetlinkFail([this] { return Where(); }, "TCA_KIND is " + std::to_string(kind.size()) + " bytes long, want 1 to " +
                                                  std::to_string(kKindMax));
    }
    return std::string(kind);
  }

  std::optional<uint32_t> LimitPackets(const std::string& kind, const NetlinkAttribute& options) const {
    auto where = [this] { return Where(); };
    for (const LimitLayout& layout : kLimitLayouts) {
      if (layout.kind != kind) continue;
      // struct tc_fifo_qopt is the whole of TCA_OPTIONS.
      if (layout.fifo) return NetlinkNumber<uint32_t>(options, where);
      std::optional<uint32_t> limit;
      ForEachNetlinkAttribute(options.payload, "TCA_OPTIONS", layout.name_of, where,
                              [&](const NetlinkAttribute& option) {
                                if (option.type == layout.attribute) limit = NetlinkNumber<uint32_t>(option, where);
                              });
      return limit;
    }
    return std::nullopt;
  }

  void ReadStats2(std::span<const uint8_t> nest, QdiscStats& stats) const {
    auto where = [this] { return Where(); };
    std::optional<uint64_t> packets64;
    ForEachNetlinkAttribute(nest, "TCA_STATS2", StatsAttributeName, where, [&](const NetlinkAttribute& attribute) {
      const uint8_t* data = attribute.payload.data();
      switch (attribute.type) {
        case kStatsBasic:
          ExpectNetlinkMinimumSize(attribute, kStatsBasicSize, where);
          stats.bytes = NetlinkLoad<uint64_t>(data);
          stats.packets = NetlinkLoad<uint32_t>(data + 8);
          break;
        case kStatsQueue:
          ExpectNetlinkMinimumSize(attribute, kStatsQueueSize, where);
          stats.backlog_packets = NetlinkLoad<uint32_t>(data);
          stats.backlog_bytes = NetlinkLoad<uint32_t>(data + 4);
          stats.drops = NetlinkLoad<uint32_t>(data + 8);
          stats.requeues = NetlinkLoad<uint32_t>(data + 12);
          stats.overlimits = NetlinkLoad<uint32_t>(data + 16);
          break;
        case kStatsPkt64:
          packets64 = NetlinkNumber<uint64_t>(attribute, where);
          break;
        default:
          break;
      }
    });
    // The u32 in TCA_STATS_BASIC has wrapped when the kernel adds this.
    if (packets64) stats.packets = packets64;
  }

  static void FillFromLegacyStats(std::span<const uint8_t> bytes, QdiscStats& stats) {
    // struct tc_stats: u64 bytes; u32 packets, drops, overlimits, bps, pps, qlen, backlog. No requeues.
    const uint8_t* data = bytes.data();
    if (!stats.bytes) stats.bytes = NetlinkLoad<uint64_t>(data);
    if (!stats.packets) stats.packets = NetlinkLoad<uint32_t>(data + 8);
    if (!stats.drops) stats.drops = NetlinkLoad<uint32_t>(data + 12);
    if (!stats.overlimits) stats.overlimits = NetlinkLoad<uint32_t>(data + 16);
    if (!stats.backlog_packets) stats.backlog_packets = NetlinkLoad<uint32_t>(data + 28);
    if (!stats.backlog_bytes) stats.backlog_bytes = NetlinkLoad<uint32_t>(data + 32);
  }

  std::vector<Qdisc> qdiscs_;
  std::set<std::tuple<int32_t, uint32_t, uint32_t>> seen_;
  const Qdisc* current_ = nullptr;  // the qdisc being parsed, for error messages
  size_t number_ = 0;               // of the message being parsed
  size_t message_count_ = 0;
  bool done_ = false;
};

std::string Hex(uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%x", value);
  return text;
}

}  // namespace

std::vector<Qdisc> ParseQdiscDump(const std::vector<std::vector<uint8_t>>& datagrams) {
  DumpParser parser;
  for (const std::vector<uint8_t>& datagram : datagrams) parser.Feed(datagram);
  return parser.Finish();
}

std::vector<Qdisc> ParseQdiscDump(std::span<const uint8_t> bytes) {
  DumpParser parser;
  parser.Feed(bytes);
  return parser.Finish();
}

std::vector<uint8_t> EncodeGetQdiscRequest(uint32_t sequence) {
  std::vector<uint8_t> request = StartNetlinkRequest(RTM_GETQDISC, NLM_F_REQUEST | NLM_F_DUMP, sequence);
  request.resize(request.size() + kTcmsgSize, 0);  // family AF_UNSPEC, ifindex 0: every device
  return FinishNetlinkRequest(std::move(request));
}

std::string QdiscHandleText(uint32_t handle) {
  std::string text = Hex(handle >> 16) + ":";
  if ((handle & 0xffff) != 0) text += Hex(handle & 0xffff);
  return text;
}

std::string QdiscParentText(uint32_t parent) {
  if (parent == kTcHandleRoot) return "root";
  if (parent == 0) return "none";
  if ((parent >> 16) == 0) return ":" + Hex(parent & 0xffff);
  return QdiscHandleText(parent);
}

}  // namespace wgtune
