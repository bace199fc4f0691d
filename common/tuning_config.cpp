#include "common/tuning_config.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string_view>
#include <utility>

#include "common/fnv1a.h"
#include "common/text.h"

namespace wgtune {
namespace {

struct KnobRule {
  std::string_view family;  // a family name; with `prefix`, the start of family names
  bool prefix = false;
  bool knob = true;  // false: not a knob, although a broader rule after this one matches it
  // The labels that belong to the knob (what it is and its setting); others (derived or
  // live state) are dropped before hashing. Empty: every label.
  std::vector<std::string_view> labels = {};
  // When set, only the series with this label value are knobs.
  std::string_view only_label = {};
  std::string_view only_value = {};
};

// The one list of knobs. First matching rule wins.
const std::vector<KnobRule>& KnobRules() {
  static const std::vector<KnobRule> rules = {
      // A gauge of load the sysctl collector reads from /proc/sys (nf_conntrack_count), not a
      // setting: it changes with every connection.
      {"wgtune_sysctl_net_netfilter_nf_conntrack_entries", false, false},
      // Every other sysctl the exporter reads is one the guide tells to set (§4.5 backlog and
      // budget, §4.7 buffers, §4.8 congestion control and default qdisc, §5.2 conntrack_max);
      // wgtune_sysctl_info also lists the available congestion controls, which change when
      // tcp_bbr is loaded. New sysctls are knobs by default.
      {"wgtune_sysctl_", true},
      // RPS masks and RFS table sizes are written by hand (§4.3); rps_cpus is the mask's count.
      {"wgtune_rps_cpus"},
      {"wgtune_rps_info"},
      {"wgtune_rps_flow_entries"},
      {"wgtune_rps_sock_flow_entries"},
      // `ip link set mtu` (§4.9) and `ip link set txqueuelen`.
      {"wgtune_network_mtu_bytes"},
      {"wgtune_network_transmit_queue_length"},
      // `ethtool -G` (§4.6) and `ethtool -L` (§4.1) set the current values; the maxima are the
      // hardware's.
      {"wgtune_ethtool_ring_entries", false, true, {}, "setting", "current"},
      {"wgtune_ethtool_channels", false, true, {}, "setting", "current"},
      // `ethtool -N rx-flow-hash udp4` (§4.4).
      {"wgtune_ethtool_udp4_hash_fields_info"},
      // `ethtool -K` offloads: GRO, rx-udp-gro-forwarding on a host that forwards, segmentation.
      // Whether one can be changed at all (wgtune_ethtool_feature_changeable) is the driver's.
      {"wgtune_ethtool_feature_enabled"},
      // Where each IRQ may be delivered: smp_affinity, set by hand or by irqbalance (§4.2,
      // §6.3). The effective affinity is the kernel's choice within it, and the names, driver
      // and queue describe the IRQ rather than configure it.
      {"wgtune_interrupt_affinity_info", false, true, {"irq", "affinity"}},
      // `tc qdisc replace` (§4.8): which qdiscs each device has, and their limits. Not their
      // handles and parents: a qdisc added without a handle gets the next of a kernel counter
      // (8001:, 8002:, ... and its children's parents 8002:1, ...), so the same command gives
      // different handles on two hosts, or run twice on one. Each qdisc still counts: an mq
      // root with four fq_codel children is five lines.
      {"wgtune_qdisc_info", false, true, {"device", "kind"}},
      {"wgtune_qdisc_limit_packets", false, true, {"device", "kind"}},
      // Whether irqbalance runs decides who sets the affinities (§6.3: stop it, pin by hand).
      {"wgtune_process_running", false, true, {}, "name", "irqbalance"},
      // The tunnel's MTU (§4.9) and kernel or userspace WireGuard (§3.4, the largest gain); the
      // public key is identity, not tuning.
      {"wgtune_wireguard_mtu_bytes"},
      {"wgtune_wireguard_interface_info", false, true, {"interface", "implementation"}},
  };
  return rules;
}

const KnobRule* RuleFor(std::string_view family) {
  for (const KnobRule& rule : KnobRules()) {
    if (rule.prefix ? StartsWith(family, rule.family) : family == rule.family) return &rule;
  }
  return nullptr;
}

std::string FormatValue(double value) {
  char text[32];
  auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::string Hex16(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

std::optional<std::string> TuningKnobLine(std::string_view family, const KnobLabels& labels, double value) {
  const KnobRule* rule = RuleFor(family);
  if (rule == nullptr || !rule->knob) return std::nullopt;
  KnobLabels kept;
  bool selected = rule->only_label.empty();
  for (const auto& [name, label_value] : labels) {
    if (name == rule->only_label && label_value == rule->only_value) selected = true;
    // A label with an empty value is no label to Prometheus (and to the advisor's reading of a
    // scrape): leaving it out keeps the line, and so the fingerprint, the same for every reader.
    if (label_value.empty()) continue;
    if (rule->labels.empty() || std::find(rule->labels.begin(), rule->labels.end(), name) != rule->labels.end()) {
      kept.emplace_back(name, label_value);
    }
  }
  if (!selected) return std::nullopt;
  std::sort(kept.begin(), kept.end());
  std::string line(family);
  line += "{";
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) line += ",";
    line += kept[i].first + "=\"";
    AppendEscaped(line, kept[i].second);
    line += "\"";
  }
  line += "} " + FormatValue(value);
  return line;
}

std::vector<std::string> TuningKnobLines(const MetricSet& families) {
  std::vector<std::string> lines;
  for (const prometheus::MetricFamily& family : families.families()) {
    const KnobRule* rule = RuleFor(family.name);
    if (rule == nullptr || !rule->knob) continue;  // most families: skip before copying labels
    for (const prometheus::ClientMetric& metric : family.metric) {
      KnobLabels labels;
      labels.reserve(metric.label.size());
      for (const Label& label : metric.label) labels.emplace_back(label.name, label.value);
      if (auto line = TuningKnobLine(family.name, labels, ValueOf(family, metric))) lines.push_back(std::move(*line));
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string TuningFingerprint(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  Fnv1a64 hash;
  for (const std::string& line : lines) hash.Add(line);
  return Hex16(hash.value());
}

}  // namespace wgtune
