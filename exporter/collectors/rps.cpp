// RPS and RFS settings per receive queue (field guide §4.3).
//
// A single WireGuard UDP flow lands on one NIC queue and one CPU; RPS spreads its softirq
// work over the CPUs of the queue's rps_cpus mask, RFS (rps_flow_cnt and the global
// rps_sock_flow_entries) keeps each flow on its consumer's CPU. The mask is published as read,
// so a rule can tell "off" (all zeros) from "some CPUs" and an operator sees what to rewrite.
// Sources: /sys/class/net/<dev>/queues/rx-N/{rps_cpus,rps_flow_cnt}
// (exporter/sources/net_class.h) and /proc/sys/net/core/rps_sock_flow_entries; see
// Documentation/networking/scaling.rst.
#include <optional>
#include <string>
#include <vector>

#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/sources/net_class.h"

namespace wgtune {
namespace {

struct ReceiveQueue {
  std::string queue;  // the decimal queue number
  RpsCpus rps;
  std::optional<uint64_t> flow_count;
};

class RpsCollector : public Collector {
 public:
  explicit RpsCollector(const CollectorContext& context) : procfs_(context.procfs), sysfs_(context.sysfs) {}

  void Collect(MetricSet& out) override {
    Family cpus = out.Gauge("wgtune_rps_cpus",
                            "Number of CPUs to which RPS steers the packets of the receive queue, 0 when RPS is off.");
    Family info = out.Gauge("wgtune_rps_info", "RPS CPU mask of the receive queue as the kernel prints it; value 1.");
    Family flow_count = out.Gauge("wgtune_rps_flow_entries",
                                  "Entries of the RFS flow table of the receive queue (rps_flow_cnt), 0 when off.");
    for (const std::string& device : ListDirectory(JoinPath(sysfs_, "class/net"))) {
      for (const ReceiveQueue& queue : ReadReceiveQueues(device)) {
        cpus.Add({{"device", device}, {"queue", queue.queue}}, queue.rps.cpus.Count());
        info.Add({{"device", device}, {"queue", queue.queue}, {"mask", queue.rps.mask}}, 1);
        if (queue.flow_count) {
          flow_count.Add({{"device", device}, {"queue", queue.queue}}, static_cast<double>(*queue.flow_count));
        }
      }
    }

    const char* sock_flow_path = "sys/net/core/rps_sock_flow_entries";
    if (std::optional<std::string> text = ReadFileIfExists(JoinPath(procfs_, sock_flow_path))) {
      out.Gauge("wgtune_rps_sock_flow_entries",
                "Size of the global RFS socket flow table (net.core.rps_sock_flow_entries), 0 when RFS is off.")
          .Add({}, static_cast<double>(ParseNetClassNumber(sock_flow_path, *text)));
    }
  }

 private:
  // Empty for an entry that is not a device (bonding_masters) and for a device that went
  // away while being read (an Azure VF during host servicing). A queue without rps_cpus (a
  // kernel without CONFIG_RPS) is left out.
  std::vector<ReceiveQueue> ReadReceiveQueues(const std::string& device) const {
    const std::string relative = "class/net/" + device + "/queues";
    const std::string dir = JoinPath(sysfs_, relative);
    std::vector<ReceiveQueue> queues;
    for (unsigned number : ParseQueueNames(relative, ListDirectory(dir)).receive) {
      const std::string queue_relative = relative + "/rx-" + std::to_string(number);
      std::optional<std::string> mask = ReadFileIfExists(JoinPath(sysfs_, queue_relative + "/rps_cpus"));
      if (!mask) continue;
      ReceiveQueue queue;
      queue.queue = std::to_string(number);
      queue.rps = ParseRpsCpus(queue_relative + "/rps_cpus", *mask);
      if (std::optional<std::string> text = ReadFileIfExists(JoinPath(sysfs_, queue_relative + "/rps_flow_cnt"))) {
        queue.flow_count = ParseNetClassNumber(queue_relative + "/rps_flow_cnt", *text);
      }
      queues.push_back(std::move(queue));
    }
    if (!PathExists(dir)) return {};
    return queues;
  }

  std::string procfs_;
  std::string sysfs_;
};

}  // namespace

std::unique_ptr<Collector> NewRpsCollector(const CollectorContext& context) {
  return std::make_unique<RpsCollector>(context);
}

}  // namespace wgtune
