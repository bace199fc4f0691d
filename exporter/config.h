// The exporter's settings: command-line flags, optionally a TOML file with the same names.
//
// Flag names follow node_exporter (--web.listen-address, --path.procfs, --collector.NAME).
// A TOML file given with --config.file holds the same settings, the flag name split at its
// first dot ("web.listen-address" is key listen-address of table [web]); a flag given on the
// command line wins over the file.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace wgtune {

struct ExporterConfig {
  // Repeatable (node_exporter's --web.listen-address): ":10050", "[::]:10050", "[::1]:10050".
  std::vector<std::string> listen_addresses = {":10050"};
  // exporter-toolkit's web configuration file (TLS, basic auth, headers); empty: plain HTTP.
  std::string web_config_file;
  std::string telemetry_path = "/metrics";
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";  // node_exporter's --path.rootfs: here for /lib/modules
  std::string wireguard_uapi_dir = "/var/run/wireguard";
  double sample_interval_seconds = 5;
  std::map<std::string, bool> collectors;  // name → enabled, for every known collector
  // RE2 regex over an IRQ's action name ("mlx5_comp3@pci:0000:00:02.0"): which
  // IRQs are exported per CPU as NIC queue interrupts.
  std::string interrupts_include;
  // Modules whose availability the kernel collector reports, comma-separated ('-' and '_' are
  // the same): the qdiscs and congestion control of §4.8 and kernel WireGuard (§3.4).
  std::string kernel_modules = "sch_fq,sch_fq_codel,sch_cake,tcp_bbr,wireguard";
  // Processes whose presence is exported (irqbalance matters for §6.3).
  std::vector<std::string> processes = {"irqbalance"};
  // RE2 regex over ethtool statistic names: which NIC statistics are exported
  // (node_exporter's --collector.ethtool.metrics-include). The default keeps drops and errors,
  // with the cloud NICs' own words for them: ENA's *_allowance_exceeded (the VM's packet,
  // bandwidth and conntrack allowances), hv_netvsc's tx_no_memory/tx_no_space/tx_busy.
  std::string ethtool_metrics_include =
      "drop|miss|discard|no_buffer|out_of_buffer|err|fifo|timeout|allowance_exceeded|no_memory|no_space|busy";
  // RE2 over the kernel's feature names (ethtool -k, as the kernel names them: rx-gro, not
  // generic-receive-offload): which NIC offloads are exported. The default keeps GRO, hardware
  // GRO, GRO lists, UDP GRO forwarding and the segmentation offloads WireGuard traffic meets.
  std::string ethtool_features_include =
      "^(rx-gro|rx-gro-hw|rx-gro-list|rx-udp-gro-forwarding|tx-generic-segmentation|tx-udp-segmentation|"
      "tx-tcp-segmentation)$";
  // A directory of recorded ethtool ioctl answers to serve instead of the kernel's
  // (fixture hosts in tests; a user's recording in a bug report). Empty: the kernel.
  std::string ethtool_replay_dir;
  // A directory of recorded WireGuard generic-netlink dumps to serve instead of the
  // kernel's. Empty: the kernel.
  std::string wireguard_netlink_replay_dir;
  // A directory holding a recorded RTM_GETQDISC dump (qdisc.netlink) to serve instead of the
  // kernel's. Empty: the kernel.
  std::string qdisc_replay_dir;
  // TOML file mapping peer public keys to friendly names ([peers] "<base64 key>" = "name").
  std::string wireguard_peer_names_file;
  std::string log_level = "info";
  std::string log_format = "logfmt";
};

// Parses argv (and the TOML file it names). Returns the exit code to stop with when the
// arguments ask for --help/--version or are wrong (the message is printed), else -1.
int ParseExporterConfig(int argc, char** argv, ExporterConfig& config);

}  // namespace wgtune
