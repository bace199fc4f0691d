// Network tuning sysctls (field guide §4.5 backlog and budget, §4.7 socket buffers, §4.8
// congestion control and qdisc, §5.2 conntrack table size) and whether the host forwards (a
// NetBird routing peer or exit node), node_exporter sysctl style.
//
// A numeric sysctl becomes the gauge wgtune_sysctl_<name, dots as underscores>; one with
// several values gets one series per value, labelled by what the value means. The one
// exception is nf_conntrack_count, published as ..._nf_conntrack_entries because a gauge
// must not end in _count (promtool check metrics; node_exporter says node_nf_conntrack_entries). A string
// sysctl becomes a series of wgtune_sysctl_info{name, value} per word, so a rule can ask
// "is bbr available" as well as "is bbr in use". Source: Documentation/admin-guide/sysctl/
// net.rst, Documentation/networking/ip-sysctl.rst, nf_conntrack-sysctl.rst.
//
// A sysctl the kernel does not have here (nf_conntrack not loaded; IPv6 disabled at boot; a
// network namespace that hides it) is an absent metric; one whose value does not parse throws
// ParseError.
#include "exporter/sources/sysctl.h"

#include <string>
#include <vector>

#include "common/files.h"
#include "exporter/collector.h"

namespace wgtune {
namespace {

enum class SysctlKind {
  kNumbers,  // one decimal value, or one per entry of value_labels
  kWord,     // one word, exported as wgtune_sysctl_info
  kWords,    // a space-separated list, one wgtune_sysctl_info series per word
};

struct SysctlSpec {
  const char* name;
  SysctlKind kind;
  std::vector<const char*> value_labels;  // kNumbers with several values: label value="..."
  const char* help;                       // for kNumbers
  const char* metric = nullptr;           // for kNumbers; nullptr: derived from the name
};

const std::vector<SysctlSpec>& Sysctls() {
  // clang-format off
  static const std::vector<SysctlSpec> sysctls = {
      // name                                        kind                  value labels
      {"net.core.netdev_max_backlog",                SysctlKind::kNumbers, {},
       "Per-CPU backlog queue length in packets (net.core.netdev_max_backlog)."},
      {"net.core.netdev_budget",                     SysctlKind::kNumbers, {},
       "Packets one NET_RX softirq run may process (net.core.netdev_budget)."},
      {"net.core.netdev_budget_usecs",               SysctlKind::kNumbers, {},
       "Microseconds one NET_RX softirq run may take (net.core.netdev_budget_usecs)."},
      {"net.core.rmem_max",                          SysctlKind::kNumbers, {},
       "Largest receive buffer a socket may set, in bytes (net.core.rmem_max)."},
      {"net.core.wmem_max",                          SysctlKind::kNumbers, {},
       "Largest send buffer a socket may set, in bytes (net.core.wmem_max)."},
      {"net.core.rmem_default",                      SysctlKind::kNumbers, {},
       "Default socket receive buffer in bytes (net.core.rmem_default)."},
      {"net.core.wmem_default",                      SysctlKind::kNumbers, {},
       "Default socket send buffer in bytes (net.core.wmem_default)."},
      {"net.ipv4.tcp_rmem",                          SysctlKind::kNumbers, {"min", "default", "max"},
       "TCP receive buffer sizes in bytes (net.ipv4.tcp_rmem)."},
      {"net.ipv4.tcp_wmem",                          SysctlKind::kNumbers, {"min", "default", "max"},
       "TCP send buffer sizes in bytes (net.ipv4.tcp_wmem)."},
      {"net.netfilter.nf_conntrack_max",             SysctlKind::kNumbers, {},
       "Size limit of the conntrack table (net.netfilter.nf_conntrack_max)."},
      {"net.netfilter.nf_conntrack_count",           SysctlKind::kNumbers, {},
       "Entries in the conntrack table now (net.netfilter.nf_conntrack_count).",
       "wgtune_sysctl_net_netfilter_nf_conntrack_entries"},
      {"net.ipv4.tcp_congestion_control",            SysctlKind::kWord,    {}, nullptr},
      {"net.ipv4.tcp_available_congestion_control",  SysctlKind::kWords,   {}, nullptr},
      {"net.core.default_qdisc",                     SysctlKind::kWord,    {}, nullptr},
      // Whether the host routes mesh traffic on: a NetBird routing peer or exit node forwards
      // (the interface of the network it routes to is then an underlay too).
      {"net.ipv4.ip_forward",                        SysctlKind::kNumbers, {},
       "Whether the host forwards IPv4 packets between interfaces, 1, or not, 0 (net.ipv4.ip_forward)."},
      {"net.ipv6.conf.all.forwarding",               SysctlKind::kNumbers, {},
       "Whether the host forwards IPv6 packets between interfaces, 1, or not, 0 (net.ipv6.conf.all.forwarding)."},
  };
  // clang-format on
  return sysctls;
}

std::string Replace(std::string text, char from, char to) {
  for (char& c : text) {
    if (c == from) c = to;
  }
  return text;
}

class SysctlCollector : public Collector {
 public:
  explicit SysctlCollector(const CollectorContext& context) : procfs_(context.procfs) {}

  void Collect(MetricSet& out) override {
    Family info =
        out.Gauge("wgtune_sysctl_info", "String-valued network sysctls, one series per word of the value; value 1.");
    for (const SysctlSpec& spec : Sysctls()) {
      std::optional<std::string> text = ReadFileIfExists(JoinPath(procfs_, "sys/" + Replace(spec.name, '.', '/')));
      if (!text) continue;
      switch (spec.kind) {
        case SysctlKind::kNumbers: {
          Family gauge = out.Gauge(
              spec.metric != nullptr ? spec.metric : "wgtune_sysctl_" + Replace(spec.name, '.', '_'), spec.help);
          if (spec.value_labels.empty()) {
            gauge.Add({}, ParseSysctlNumber(spec.name, *text));
            break;
          }
          std::vector<double> values = ParseSysctlNumbers(spec.name, *text, spec.value_labels.size());
          for (size_t i = 0; i < values.size(); ++i) gauge.Add({{"value", spec.value_labels[i]}}, values[i]);
          break;
        }
        case SysctlKind::kWord:
          info.Add({{"name", spec.name}, {"value", ParseSysctlWord(spec.name, *text)}}, 1);
          break;
        case SysctlKind::kWords:
          for (const std::string& word : ParseSysctlWords(spec.name, *text)) {
            info.Add({{"name", spec.name}, {"value", word}}, 1);
          }
          break;
      }
    }
  }

 private:
  std::string procfs_;
};

}  // namespace

std::unique_ptr<Collector> NewSysctlCollector(const CollectorContext& context) {
  return std::make_unique<SysctlCollector>(context);
}

}  // namespace wgtune
