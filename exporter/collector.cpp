#include "exporter/collector.h"

#include "exporter/config.h"

namespace wgtune {

// Defined in exporter/collectors/<name>.cpp.
std::unique_ptr<Collector> NewInterruptsCollector(const CollectorContext&);
std::unique_ptr<Collector> NewSoftnetCollector(const CollectorContext&);
std::unique_ptr<Collector> NewSoftirqsCollector(const CollectorContext&);
std::unique_ptr<Collector> NewCpuCollector(const CollectorContext&);
std::unique_ptr<Collector> NewNetdevCollector(const CollectorContext&);
std::unique_ptr<Collector> NewQdiscCollector(const CollectorContext&);
std::unique_ptr<Collector> NewRpsCollector(const CollectorContext&);
std::unique_ptr<Collector> NewSysctlCollector(const CollectorContext&);
std::unique_ptr<Collector> NewKernelCollector(const CollectorContext&);
std::unique_ptr<Collector> NewUdpCollector(const CollectorContext&);
std::unique_ptr<Collector> NewConntrackCollector(const CollectorContext&);
std::unique_ptr<Collector> NewProcessesCollector(const CollectorContext&);
std::unique_ptr<Collector> NewCpusCollector(const CollectorContext&);
std::unique_ptr<Collector> NewEthtoolCollector(const CollectorContext&);
std::unique_ptr<Collector> NewWireGuardCollector(const CollectorContext&);

const std::vector<CollectorInfo>& AllCollectors() {
  static const std::vector<CollectorInfo> collectors = {
      {"cpus", true, "online, present and possible CPUs (/sys/devices/system/cpu)", NewCpusCollector},
      {"cpu", true, "per-CPU time by mode and its shares, the mpstat view (/proc/stat)", NewCpuCollector},
      {"interrupts", true, "NIC queue interrupts per CPU and IRQ affinity (/proc/interrupts, /proc/irq)",
       NewInterruptsCollector},
      {"softirqs", true, "NET_RX and NET_TX softirqs per CPU (/proc/softirqs)", NewSoftirqsCollector},
      {"softnet", true, "per-CPU packet processing, backlog drops and squeezes (/proc/net/softnet_stat)",
       NewSoftnetCollector},
      {"netdev", true, "interfaces: MTU, state, kind, queues, traffic and drop counters (/sys/class/net)",
       NewNetdevCollector},
      {"qdisc", true, "queueing discipline, limit, drops and backlog of every interface (rtnetlink RTM_GETQDISC)",
       NewQdiscCollector},
      {"rps", true, "RPS masks and RFS flow counts per rx queue (/sys/class/net/*/queues)", NewRpsCollector},
      {"sysctl", true, "network tuning sysctls (/proc/sys/net)", NewSysctlCollector},
      {"kernel", true,
       "kernel release and version, and which tuning modules it can use (/proc/sys/kernel/osrelease, "
       "/proc/modules, /sys/module, /lib/modules)",
       NewKernelCollector},
      {"udp", true, "UDP datagrams and errors (/proc/net/snmp)", NewUdpCollector},
      {"conntrack", true, "conntrack failures summed over CPUs (/proc/net/stat/nf_conntrack)",
       NewConntrackCollector},
      {"ethtool", true,
       "NIC driver, drop and error statistics, rings, channels, RSS hash and indirection (SIOCETHTOOL)",
       NewEthtoolCollector},
      {"wireguard", true,
       "WireGuard interfaces and peers: bytes, handshakes, endpoints, underlay (netlink, UAPI)",
       NewWireGuardCollector},
      {"processes", true, "whether irqbalance and other tuning-relevant processes run (/proc/*/comm)",
       NewProcessesCollector},
  };
  return collectors;
}

std::vector<NamedCollector> CreateEnabledCollectors(const ExporterConfig& config,
                                                    std::function<double()> unix_time) {
  CollectorContext context{config.procfs, config.sysfs, &config, std::move(unix_time), config.rootfs};
  std::vector<NamedCollector> enabled;
  for (const CollectorInfo& info : AllCollectors()) {
    auto it = config.collectors.find(info.name);
    bool on = it == config.collectors.end() ? info.enabled_by_default : it->second;
    if (on) enabled.push_back({info.name, info.create(context)});
  }
  return enabled;
}

}  // namespace wgtune
