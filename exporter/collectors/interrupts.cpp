// NIC queue interrupts per CPU, IRQ affinity, and the busiest CPU of each NIC.
//
// The field guide's IRQ delta (§3.3, §6.5) and irqbalance check (§4.2, §6.3): which CPU
// handles a NIC's queue interrupts, and whether one CPU takes nearly all of them ("CPU1
// handled 97% of mlx5_comp IRQs"). Sources: /proc/interrupts (exporter/sources/interrupts.h),
// /proc/irq/<n>/smp_affinity_list and effective_affinity_list
// (Documentation/core-api/irq/irq-affinity.rst), and /sys/class/net/<if>/device to name the
// interface a PCI address or virtio device belongs to.
//
// Only IRQs whose action name classifies as a NIC vector (exporter/sources/irq_names.h) or
// matches --collector.interrupts.include are exported: a 96-CPU host has thousands of
// other IRQ-CPU pairs nobody tunes.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/cpu_set.h"
#include "common/errors.h"
#include "common/files.h"
#include "common/regex.h"
#include "common/text.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/sources/interrupts.h"
#include "exporter/sources/irq_names.h"

namespace wgtune {
namespace {

constexpr const char* kCounter = "wgtune_interrupts_total";
constexpr const char* kRate = "wgtune_interrupts_per_second";

// Classifications kept at most; the IRQ names of a host are stable, this only bounds a
// pathological host whose names keep changing.
constexpr size_t kMaxCachedNames = 4096;

const std::string& LabelValue(const Labels& labels, std::string_view name) {
  static const std::string kEmpty;
  for (const Label& label : labels) {
    if (label.name == name) return label.value;
  }
  return kEmpty;
}

// Network interfaces by the basename of /sys/class/net/<if>/device: "4ea0:00:02.0" for a
// PCI function (an Azure VF), "virtio0" for a virtio device. Read every sample: an Azure VF
// vanishes and comes back under a new name during host servicing.
std::map<std::string, std::string> InterfacesByDevice(const std::string& sysfs) {
  std::map<std::string, std::string> interfaces;
  for (const std::string& name : ListDirectory(JoinPath(sysfs, "class/net"))) {
    if (std::optional<std::string> device = ReadLinkBasename(JoinPath(sysfs, "class/net/" + name + "/device"))) {
      interfaces.emplace(*device, name);  // two ports of one function: keep the first
    }
  }
  return interfaces;
}

std::optional<CpuSet> ReadCpuList(const std::string& path) {
  std::optional<std::string> text = ReadAttribute(path);
  if (!text) return std::nullopt;
  try {
    return CpuSet::FromList(*text);
  } catch (const ParseError& error) {
    throw ParseError(path + ": " + error.what());
  }
}

// The NIC a queue IRQ is summed into by DeriveFromRates().
struct IrqGroup {
  std::string device;  // interface name, else the PCI address or virtio device
  std::string driver;
};

// The key that groups a queue IRQ with its NIC when its interface is not known.
std::string FallbackDevice(const std::optional<NicIrqName>& nic) {
  if (!nic) return "";
  if (nic->pci_address) return *nic->pci_address;
  if (nic->device_hint) return *nic->device_hint;
  return "";
}

class InterruptsCollector : public Collector {
 public:
  explicit InterruptsCollector(const CollectorContext& context) : procfs_(context.procfs), sysfs_(context.sysfs) {
    if (context.config != nullptr && !context.config->interrupts_include.empty()) {
      try {
        include_.emplace(context.config->interrupts_include);
      } catch (const RegexError& error) {
        throw std::invalid_argument("--collector.interrupts.include: invalid regular expression \"" +
                                    context.config->interrupts_include + "\": " + error.what());
      }
    }
  }

  void Collect(MetricSet& out) override {
    ProcInterrupts table = ParseInterrupts(ReadFile(JoinPath(procfs_, "interrupts")));
    std::map<std::string, std::string> interfaces = InterfacesByDevice(sysfs_);
    std::map<std::string, std::string> drivers;  // interface → driver, read once per sample

    Family total = out.Counter(kCounter, "Interrupts of a NIC queue or control IRQ handled by each CPU since boot.");
    Family affinity = out.Gauge("wgtune_interrupt_affinity_info",
                                "CPUs a NIC IRQ may be delivered to (smp_affinity_list) and is delivered to "
                                "(effective_affinity_list), in cpulist form; value 1.");
    Family effective = out.Gauge("wgtune_interrupt_effective_cpus",
                                 "Number of CPUs a NIC IRQ is delivered to (effective_affinity_list, else "
                                 "smp_affinity_list).");

    std::unordered_map<std::string, IrqGroup> groups;
    for (const InterruptRow& row : table.rows) {
      if (!row.numeric) continue;
      std::optional<std::pair<std::string, NicIrqName>> found = FindNicAction(row.actions);
      if (!found) continue;
      const auto& [name, nic] = *found;

      std::string device = ResolveInterface(nic, interfaces);
      if (device.empty() && nic.needs_netdev) continue;  // a virtio block or balloon device
      std::string driver = nic.driver;
      if (driver.empty() && !device.empty()) driver = InterfaceDriver(device, drivers);
      if (driver.empty()) driver = "unknown";
      std::string queue = nic.queue ? std::to_string(*nic.queue) : "";
      // Control vectors (async, cmd, mgmt) are not queue traffic: left out of the per-NIC sums.
      if (nic.role != IrqRole::kControl) groups[row.irq] = {device.empty() ? FallbackDevice(nic) : device, driver};

      // The per-CPU series carry only what tells them apart: a 128-CPU host with a 64-queue
      // NIC has 8,000 of them. The name and driver are in the affinity info and per-NIC sums.
      for (size_t i = 0; i < row.counts.size() && i < table.cpus.size(); ++i) {
        total.Add({{"irq", row.irq}, {"cpu", std::to_string(table.cpus[i])}, {"device", device}, {"queue", queue}},
                  static_cast<double>(row.counts[i]));
      }

      const std::string dir = JoinPath(procfs_, "irq/" + row.irq);
      std::optional<CpuSet> allowed = ReadCpuList(dir + "/smp_affinity_list");
      std::optional<CpuSet> delivered = ReadCpuList(dir + "/effective_affinity_list");
      if (!allowed && !delivered) continue;
      affinity.Add({{"irq", row.irq},
                    {"name", name},
                    {"driver", driver},
                    {"device", device},
                    {"queue", queue},
                    {"affinity", allowed ? allowed->ToList() : ""},
                    {"effective_affinity", delivered ? delivered->ToList() : ""}},
                   1);
      effective.Add({{"irq", row.irq}, {"device", device}, {"queue", queue}},
                    (delivered ? *delivered : *allowed).Count());
    }
    queue_irqs_ = std::move(groups);
  }

  std::vector<RateSpec> Rates() const override {
    return {{kCounter, kRate, "Interrupts per second of a NIC queue or control IRQ on each CPU."}};
  }

  // Sums the queue IRQs of each NIC over CPUs, grouped as the last Collect() found them; an
  // IRQ whose interface is unknown is grouped (and labelled) by its PCI address or virtio
  // device.
  void DeriveFromRates(const MetricSet& rates, MetricSet& out) const override {
    const prometheus::MetricFamily* family = rates.Find(kRate);
    if (family == nullptr) return;
    struct Load {
      std::map<unsigned, double> by_cpu;
      double total = 0;
    };
    std::map<std::pair<std::string, std::string>, Load> loads;  // (device, driver) → load
    for (const auto& metric : family->metric) {
      auto group = queue_irqs_.find(LabelValue(metric.label, "irq"));
      if (group == queue_irqs_.end()) continue;  // a control vector
      std::optional<uint64_t> cpu = ParseUint(LabelValue(metric.label, "cpu"));
      if (!cpu) continue;
      Load& load = loads[{group->second.device, group->second.driver}];
      double rate = ValueOf(*family, metric);
      load.by_cpu[static_cast<unsigned>(*cpu)] += rate;
      load.total += rate;
    }

    Family total = out.Gauge("wgtune_nic_interrupts_per_second",
                             "Interrupts per second of all queue IRQs of a NIC, summed over CPUs.");
    Family busiest = out.Gauge("wgtune_nic_interrupts_busiest_cpu_ratio",
                               "Share of a NIC's queue interrupts handled by its busiest CPU, named by the cpu label.");
    for (const auto& [key, load] : loads) {
      const auto& [device, driver] = key;
      total.Add({{"device", device}, {"driver", driver}}, load.total);
      if (load.total <= 0) continue;
      auto top = load.by_cpu.begin();  // ties go to the lowest CPU number
      for (auto it = load.by_cpu.begin(); it != load.by_cpu.end(); ++it) {
        if (it->second > top->second) top = it;
      }
      busiest.Add({{"device", device}, {"driver", driver}, {"cpu", std::to_string(top->first)}},
                  top->second / load.total);
    }
  }

 private:
  // The first action of a (possibly shared) line that is a NIC vector, with its class.
  std::optional<std::pair<std::string, NicIrqName>> FindNicAction(std::string_view actions) {
    for (std::string_view part : Split(actions, ',')) {
      std::string action(Trim(part));
      if (action.empty()) continue;
      if (const std::optional<NicIrqName>& nic = Classify(action)) return std::make_pair(action, *nic);
    }
    return std::nullopt;
  }

  // ClassifyIrqName, widened by the user's regex, computed once per name.
  const std::optional<NicIrqName>& Classify(const std::string& action) {
    if (auto it = cache_.find(action); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedNames) cache_.clear();
    std::optional<NicIrqName> nic = ClassifyIrqName(action);
    if (include_ && include_->Search(action)) {
      if (!nic) {
        nic.emplace();
        nic->driver = "unknown";
      }
      nic->needs_netdev = false;  // the operator vouches for it
    }
    return cache_.emplace(action, std::move(nic)).first->second;
  }

  // The interface an IRQ belongs to, or "" when unknown. A virtio hint names the virtio
  // device, any other hint the interface itself (ENA, Intel).
  static std::string ResolveInterface(const NicIrqName& nic, const std::map<std::string, std::string>& interfaces) {
    for (const std::optional<std::string>& key : {nic.pci_address, nic.device_hint}) {
      if (!key) continue;
      if (auto it = interfaces.find(*key); it != interfaces.end()) return it->second;
    }
    if (nic.device_hint && nic.driver != "virtio_net") return *nic.device_hint;
    return "";
  }

  std::string InterfaceDriver(const std::string& interface, std::map<std::string, std::string>& drivers) const {
    if (auto it = drivers.find(interface); it != drivers.end()) return it->second;
    std::optional<std::string> driver = ReadLinkBasename(JoinPath(sysfs_, "class/net/" + interface + "/device/driver"));
    return drivers.emplace(interface, driver.value_or("")).first->second;
  }

  std::string procfs_;
  std::string sysfs_;
  std::optional<Regex> include_;  // RE2, matched anywhere in the name as node_exporter's flags
  std::unordered_map<std::string, std::optional<NicIrqName>> cache_;
  // Queue IRQs of the last Collect() by IRQ number, for DeriveFromRates() of the same sample.
  std::unordered_map<std::string, IrqGroup> queue_irqs_;
};

}  // namespace

std::unique_ptr<Collector> NewInterruptsCollector(const CollectorContext& context) {
  return std::make_unique<InterruptsCollector>(context);
}

}  // namespace wgtune
