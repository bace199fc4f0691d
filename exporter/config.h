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
  std::string listen_address = ":10050";
  std::string telemetry_path = "/metrics";
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string wireguard_uapi_dir = "/var/run/wireguard";
  double sample_interval_seconds = 5;
  std::map<std::string, bool> collectors;  // name → enabled, for every known collector
  // ECMAScript regex over an IRQ's action name ("mlx5_comp3@pci:0000:00:02.0"): which
  // IRQs are exported per CPU as NIC queue interrupts.
  std::string interrupts_include;
  // Processes whose presence is exported (irqbalance matters for §6.3).
  std::vector<std::string> processes = {"irqbalance"};
  std::string log_level = "info";
  std::string log_format = "logfmt";
};

// Parses argv (and the TOML file it names). Returns the exit code to stop with when the
// arguments ask for --help/--version or are wrong (the message is printed), else -1.
int ParseExporterConfig(int argc, char** argv, ExporterConfig& config);

}  // namespace wgtune
