// The queueing discipline of every interface and its counters, what `tc -s qdisc show` prints
// (field guide §4.8: fq with BBR; §5.2: transmit drops in a full qdisc).
//
// The qdiscs come from rtnetlink's RTM_GETQDISC dump (exporter/sources/qdisc.h), or from a
// recording of one (--collector.qdisc.replay-dir, <dir>/qdisc.netlink) on fixture hosts. The dump
// names devices by ifindex; the names come from /sys/class/net/*/ifindex under --path.sysfs. A
// qdisc whose device is not there (removed between the dump and the listing) is left out of
// that sample.
//
// Naming follows node_exporter's qdisc collector (node_qdisc_*), which keeps only root qdiscs
// and labels them device and kind. Here every qdisc is published, because the children of an
// mq root are where the drops of each transmit queue show; those children share handle 0:, so
// the series carry the parent too (device, kind, handle, parent identify a qdisc). Every packet
// a device sends passes its root qdisc, so its parent="root" series are the device's totals
// (an mq root reports the sums of its children); summing all of a device's series counts twice.
#include <linux/netlink.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/logging.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/netlink_socket.h"
#include "exporter/sources/net_class.h"
#include "exporter/sources/qdisc.h"

namespace wgtune {
namespace {

constexpr char kDropsCounter[] = "wgtune_qdisc_drops_total";

std::unique_ptr<NetlinkDumpSource> NewQdiscSource(const std::string& replay_dir) {
  if (!replay_dir.empty()) return std::make_unique<ReplayNetlinkDump>(JoinPath(replay_dir, "qdisc.netlink"));
  return std::make_unique<KernelNetlinkDump>(NETLINK_ROUTE, "rtnetlink", "RTM_GETQDISC", EncodeGetQdiscRequest);
}

class QdiscCollector : public Collector {
 public:
  explicit QdiscCollector(const CollectorContext& context)
      : sysfs_(context.sysfs),
        source_(NewQdiscSource(context.config != nullptr ? context.config->qdisc_replay_dir : "")) {}

  void Collect(MetricSet& out) override {
    std::vector<Qdisc> qdiscs = DumpAndParse(
        *source_, [](const std::vector<std::vector<uint8_t>>& datagrams) { return ParseQdiscDump(datagrams); });
    std::map<int64_t, std::string> names = DeviceNames();

    Family info = out.Gauge("wgtune_qdisc_info",
                            "Queueing discipline of the interface (kind) with its handle and parent, as tc prints "
                            "them; value 1.");
    Family limit_packets =
        out.Gauge("wgtune_qdisc_limit_packets",
                  "Queue limit of the qdisc in packets (pfifo, pfifo_head_drop, fq_codel, codel, fq).");
    Family packets = out.Counter("wgtune_qdisc_packets_total", "Packets sent by the qdisc.");
    Family bytes = out.Counter("wgtune_qdisc_bytes_total", "Bytes sent by the qdisc.");
    Family drops = out.Counter(kDropsCounter, "Packets dropped by the qdisc.");
    Family requeues = out.Counter("wgtune_qdisc_requeues_total",
                                  "Packets the qdisc dequeued but the driver could not take, and queued again.");
    Family overlimits = out.Counter("wgtune_qdisc_overlimits_total",
                                    "Times the qdisc held back or dropped a packet for exceeding a limit.");
    Family backlog_packets = out.Gauge("wgtune_qdisc_backlog_packets", "Packets queued in the qdisc when sampled.");
    Family backlog_bytes = out.Gauge("wgtune_qdisc_backlog_bytes", "Bytes queued in the qdisc when sampled.");

    for (const Qdisc& qdisc : qdiscs) {
      auto name = names.find(qdisc.ifindex);
      if (name == names.end()) {
        Log(spdlog::level::debug, "qdisc of an unknown device left out",
            {{"ifindex", std::to_string(qdisc.ifindex)}, {"kind", qdisc.kind}});
        continue;
      }
      Labels labels = {{"device", name->second},
                       {"kind", qdisc.kind},
                       {"handle", QdiscHandleText(qdisc.handle)},
                       {"parent", QdiscParentText(qdisc.parent)}};
      info.Add(labels, 1);
      if (qdisc.limit_packets) limit_packets.Add(labels, *qdisc.limit_packets);
      const QdiscStats& stats = qdisc.stats;
      auto add = [&labels](Family& family, const std::optional<uint64_t>& value) {
        if (value) family.Add(labels, static_cast<double>(*value));
      };
      add(packets, stats.packets);
      add(bytes, stats.bytes);
      add(drops, stats.drops);
      add(requeues, stats.requeues);
      add(overlimits, stats.overlimits);
      add(backlog_packets, stats.backlog_packets);
      add(backlog_bytes, stats.backlog_bytes);
    }
  }

  std::vector<RateSpec> Rates() const override {
    return {{kDropsCounter, "wgtune_qdisc_drops_per_second", "Packets dropped by the qdisc per second."}};
  }

 private:
  // ifindex → interface name. Entries of class/net without an ifindex (bonding_masters is a
  // file) are not devices.
  std::map<int64_t, std::string> DeviceNames() const {
    std::map<int64_t, std::string> names;
    for (const std::string& device : ListDirectory(JoinPath(sysfs_, "class/net"))) {
      const std::string relative = "class/net/" + device + "/ifindex";
      std::optional<std::string> text = ReadFileIfExists(JoinPath(sysfs_, relative));
      if (!text) continue;
      names[static_cast<int64_t>(ParseNetClassNumber(relative, *text))] = device;
    }
    return names;
  }

  std::string sysfs_;
  std::unique_ptr<NetlinkDumpSource> source_;
};

}  // namespace

std::unique_ptr<Collector> NewQdiscCollector(const CollectorContext& context) {
  return std::make_unique<QdiscCollector>(context);
}

}  // namespace wgtune
