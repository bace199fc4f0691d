// Network interfaces: what each one is, its MTU, state and queues, its traffic and drop
// counters, and which one is the underlay.
//
// The field guide tunes the underlay, never wt0 (§1.2): wt0 has no IRQ and one queue. So the
// exporter names the underlay: the default route's device and, with Azure Accelerated
// Networking, the SR-IOV VF enslaved to it, which carries the traffic and owns the queues
// and IRQs to tune. The kind tells kernel WireGuard from wireguard-go/NetBird userspace (a
// tun device, §3.4); MTU is §4.9's biggest win; the drop counters are §5.1's "interface
// level" layer. Sources: /sys/class/net/<dev>/ (exporter/sources/net_class.h) and
// /proc/net/route (exporter/sources/net_route.h).
#include <optional>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/text.h"
#include "exporter/collector.h"
#include "exporter/sources/net_class.h"
#include "exporter/sources/net_route.h"

namespace wgtune {
namespace {

struct Statistic {
  const char* file;  // under statistics/
  const char* counter;
  const char* help;
  const char* rate;  // nullptr: no per-second rate
  const char* rate_help;
};

constexpr Statistic kStatistics[] = {
    {"rx_bytes", "wgtune_network_receive_bytes_total", "Bytes received by the interface.",
     "wgtune_network_receive_bytes_per_second", "Bytes received by the interface per second."},
    {"rx_packets", "wgtune_network_receive_packets_total", "Packets received by the interface.", nullptr, nullptr},
    {"rx_dropped", "wgtune_network_receive_drop_total",
     "Received packets dropped by the interface or the kernel before a protocol took them (rx_dropped).",
     "wgtune_network_receive_drop_per_second", "Received packets dropped (rx_dropped) per second."},
    {"rx_errors", "wgtune_network_receive_errs_total", "Receive errors of the interface (rx_errors).",
     "wgtune_network_receive_errs_per_second", "Receive errors (rx_errors) per second."},
    {"rx_missed_errors", "wgtune_network_receive_missed_total",
     "Packets the NIC missed for lack of receive buffers (rx_missed_errors).",
     "wgtune_network_receive_missed_per_second", "Packets the NIC missed (rx_missed_errors) per second."},
    {"rx_fifo_errors", "wgtune_network_receive_fifo_total", "Receive FIFO overruns of the interface (rx_fifo_errors).",
     "wgtune_network_receive_fifo_per_second", "Receive FIFO overruns (rx_fifo_errors) per second."},
    {"tx_bytes", "wgtune_network_transmit_bytes_total", "Bytes transmitted by the interface.",
     "wgtune_network_transmit_bytes_per_second", "Bytes transmitted by the interface per second."},
    {"tx_packets", "wgtune_network_transmit_packets_total", "Packets transmitted by the interface.", nullptr,
     nullptr},
    {"tx_dropped", "wgtune_network_transmit_drop_total", "Packets dropped on transmit by the interface (tx_dropped).",
     "wgtune_network_transmit_drop_per_second", "Packets dropped on transmit (tx_dropped) per second."},
    {"tx_errors", "wgtune_network_transmit_errs_total", "Transmit errors of the interface (tx_errors).",
     "wgtune_network_transmit_errs_per_second", "Transmit errors (tx_errors) per second."},
    {"tx_fifo_errors", "wgtune_network_transmit_fifo_total", "Transmit FIFO errors of the interface (tx_fifo_errors).",
     nullptr, nullptr},
};
constexpr size_t kStatisticCount = sizeof kStatistics / sizeof kStatistics[0];

struct Interface {
  std::string name;
  std::string kind;
  std::string driver;  // "" unless physical with a bound driver
  std::string master;  // "" when not enslaved
  std::optional<OperState> operstate;
  std::optional<uint64_t> mtu;
  std::optional<uint64_t> tx_queue_len;
  QueueNumbers queues;
  std::optional<uint64_t> statistics[kStatisticCount];  // parallel to kStatistics
  std::vector<std::string> lowers;                      // names of the lower_* devices
};

class NetdevCollector : public Collector {
 public:
  explicit NetdevCollector(const CollectorContext& context) : procfs_(context.procfs), sysfs_(context.sysfs) {}

  void Collect(MetricSet& out) override {
    std::vector<Interface> interfaces;
    for (const std::string& name : ListDirectory(JoinPath(sysfs_, "class/net"))) {
      if (std::optional<Interface> interface = ReadInterface(name)) interfaces.push_back(std::move(*interface));
    }
    AddInterfaceFamilies(interfaces, out);
    AddUnderlay(interfaces, out);
  }

  std::vector<RateSpec> Rates() const override {
    std::vector<RateSpec> rates;
    for (const Statistic& statistic : kStatistics) {
      if (statistic.rate != nullptr) rates.push_back({statistic.counter, statistic.rate, statistic.rate_help});
    }
    return rates;
  }

 private:
  // nullopt when the entry is not a device (bonding_masters is a file in class/net) or when
  // the device went away while being read: an Azure VF vanishes during host servicing. Every
  // attribute is optional (a container's or another project's sysfs may lack uevent, type or
  // statistics/): an absent one is an absent value and metric, never an absent device.
  std::optional<Interface> ReadInterface(const std::string& name) const {
    const std::string relative = "class/net/" + name;
    const std::string dir = JoinPath(sysfs_, relative);
    if (!IsDirectory(dir)) return std::nullopt;
    auto number = [&](const std::string& attribute) -> std::optional<uint64_t> {
      std::optional<std::string> text = ReadFileIfExists(dir + "/" + attribute);
      if (!text) return std::nullopt;
      return ParseNetClassNumber(relative + "/" + attribute, *text);
    };

    Interface interface;
    interface.name = name;
    InterfaceTraits traits;
    traits.type = number("type");
    if (std::optional<std::string> uevent = ReadFileIfExists(dir + "/uevent")) {
      traits.devtype = std::string(ParseUevent(relative + "/uevent", *uevent).Value("DEVTYPE"));
    }
    traits.ifindex = number("ifindex");
    traits.iflink = number("iflink");
    for (const std::string& entry : ListDirectory(dir)) {
      if (entry == "tun_flags") traits.has_tun_flags = true;
      if (StartsWith(entry, "lower_")) interface.lowers.push_back(entry.substr(6));
    }
    traits.has_lower = !interface.lowers.empty();
    if (ReadLink(dir + "/device")) {
      traits.has_device = true;
      if (std::optional<std::string> driver = ReadLinkBasename(dir + "/device/driver")) interface.driver = *driver;
    }
    interface.kind = InterfaceKind(traits);
    if (std::optional<std::string> master = ReadLinkBasename(dir + "/master")) interface.master = *master;

    if (std::optional<std::string> text = ReadFileIfExists(dir + "/operstate")) {
      interface.operstate = ParseOperState(relative + "/operstate", *text);
    }
    interface.mtu = number("mtu");
    interface.tx_queue_len = number("tx_queue_len");
    interface.queues = ParseQueueNames(relative + "/queues", ListDirectory(dir + "/queues"));
    for (size_t i = 0; i < kStatisticCount; ++i) {
      interface.statistics[i] = number(std::string("statistics/") + kStatistics[i].file);
    }

    if (!PathExists(dir)) return std::nullopt;
    return interface;
  }

  static void AddInterfaceFamilies(const std::vector<Interface>& interfaces, MetricSet& out) {
    Family info = out.Gauge("wgtune_network_info",
                            "Kind, driver, operational state and master of the network interface; value 1.");
    Family up = out.Gauge("wgtune_network_up", "Whether the operational state of the interface is up (1) or not (0).");
    Family mtu = out.Gauge("wgtune_network_mtu_bytes", "MTU of the interface in bytes.");
    Family queue_length =
        out.Gauge("wgtune_network_transmit_queue_length", "Transmit queue length of the interface (tx_queue_len).");
    Family receive_queues = out.Gauge("wgtune_network_receive_queues", "Number of receive queues of the interface.");
    Family transmit_queues =
        out.Gauge("wgtune_network_transmit_queues", "Number of transmit queues of the interface.");
    std::vector<Family> statistics;
    for (const Statistic& statistic : kStatistics) statistics.push_back(out.Counter(statistic.counter, statistic.help));

    for (const Interface& interface : interfaces) {
      Labels device = {{"device", interface.name}};
      std::string operstate(interface.operstate ? OperStateName(*interface.operstate) : "");
      info.Add({{"device", interface.name},
                {"kind", interface.kind},
                {"driver", interface.driver},
                {"operstate", operstate},
                {"master", interface.master}},
               1);
      if (interface.operstate) up.Add(device, *interface.operstate == OperState::kUp ? 1 : 0);
      if (interface.mtu) mtu.Add(device, static_cast<double>(*interface.mtu));
      if (interface.tx_queue_len) queue_length.Add(device, static_cast<double>(*interface.tx_queue_len));
      // Every device has at least one queue of each direction; none means no queues/ directory.
      if (!interface.queues.receive.empty()) receive_queues.Add(device, interface.queues.receive.size());
      if (!interface.queues.transmit.empty()) transmit_queues.Add(device, interface.queues.transmit.size());
      for (size_t i = 0; i < kStatisticCount; ++i) {
        if (interface.statistics[i]) statistics[i].Add(device, static_cast<double>(*interface.statistics[i]));
      }
    }
  }

  void AddUnderlay(const std::vector<Interface>& interfaces, MetricSet& out) const {
    Family underlay = out.Gauge("wgtune_network_underlay",
                                "Interface that carries the tunnel traffic: the default route's device (role route) "
                                "or its SR-IOV virtual function (role vf); value 1.");
    std::optional<std::string> route_text = ReadFileIfExists(JoinPath(procfs_, "net/route"));
    if (!route_text) return;
    std::optional<std::string> route_device = FindDefaultRouteInterface(ParseRoutes(*route_text));
    if (!route_device) return;
    underlay.Add({{"device", *route_device}, {"role", "route"}}, 1);
    for (const Interface& interface : interfaces) {
      if (interface.name != *route_device) continue;
      for (const std::string& lower : interface.lowers) {
        for (const Interface& candidate : interfaces) {
          if (candidate.name == lower && candidate.kind == "physical") {
            underlay.Add({{"device", lower}, {"role", "vf"}}, 1);
          }
        }
      }
    }
  }

  std::string procfs_;
  std::string sysfs_;
};

}  // namespace

std::unique_ptr<Collector> NewNetdevCollector(const CollectorContext& context) {
  return std::make_unique<NetdevCollector>(context);
}

}  // namespace wgtune
