// The exporter's view of a host under load: the columns of the field guide's comparison table
// (§7.1, "config × throughput × top core %soft × softnet drops/30s × NIC drops/30s"), each one
// PromQL expression over the exporter's own per-second gauges, so that one definition serves
// both places that fill the table:
//   - `wgtune-advisor baseline` evaluates them in-process (advisor/promql) on the scrapes it
//     takes while each iperf3 scenario runs;
//   - `wgtune-advisor compare --prometheus` sends them to Prometheus as range queries over the
//     recorded history.
// Every expression yields one series per host (`instance`, `job`).
#pragma once

#include <array>
#include <string_view>

namespace wgtune {

struct LoadViewColumn {
  std::string_view key;     // JSON key and the name used in code
  std::string_view header;  // Markdown column header
  std::string_view expr;    // instant PromQL, one series per (instance, job)
};

inline constexpr std::array<LoadViewColumn, 4> kLoadViewColumns{{
    // Tunnel throughput: the busier direction of the WireGuard interfaces, in bit/s (a TCP
    // sender transmits the data and receives only ACKs; the receiver the opposite).
    {"throughput_bits_per_second", "WireGuard throughput",
     "8 * max by (instance, job) (sum by (instance, job, direction) ("
     "label_replace(wgtune_wireguard_peer_receive_bytes_per_second, \"direction\", \"rx\", \"\", \"\") or "
     "label_replace(wgtune_wireguard_peer_transmit_bytes_per_second, \"direction\", \"tx\", \"\", \"\")))"},
    // The hottest CPU's softirq share (mpstat's %soft of the top core, §3.1).
    {"top_core_softirq_ratio", "top core %soft",
     "max by (instance, job) (wgtune_cpu_mode_ratio{mode=\"softirq\"})"},
    // Packets dropped at full per-CPU backlogs (softnet_stat column 2, §4.5), per 30 s.
    {"softnet_drops_per_30s", "softnet drops/30s",
     "30 * sum by (instance, job) (wgtune_softnet_dropped_per_second)"},
    // Packets the underlay NIC dropped or missed on receive (rings, §4.6), per 30 s.
    {"nic_drops_per_30s", "NIC drops/30s",
     "30 * sum by (instance, job) ((wgtune_network_receive_drop_per_second + "
     "wgtune_network_receive_missed_per_second) and on (instance, job, device) wgtune_network_underlay)"},
}};

}  // namespace wgtune
