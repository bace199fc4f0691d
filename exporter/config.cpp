#include "exporter/config.h"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "common/cli.h"
#include "common/duration.h"
#include "common/toml_file.h"
#include "exporter/collector.h"

namespace wgtune {
namespace {

// The text of a scalar TOML value, as it would be written on the command line.
std::string ScalarText(const toml::node& node, const std::string& name) {
  if (auto text = node.value_exact<std::string>()) return *text;
  if (auto integer = node.value_exact<int64_t>()) return std::to_string(*integer);
  if (auto real = node.value_exact<double>()) {
    std::ostringstream out;
    out << *real;
    return out.str();
  }
  throw CLI::ValidationError("--config.file", "setting " + name + " must be a string, number or boolean");
}

// Turns a TOML document into "--table.key=value" arguments, so that the file and the command
// line share one definition of every setting. Nested tables join with dots
// ([collector.interrupts] include = "…" → --collector.interrupts.include=…).
void FlattenToml(const toml::table& table, const std::string& prefix, std::vector<std::string>& args) {
  for (const auto& [key, node] : table) {
    std::string name = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const toml::table* nested = node.as_table()) {
      FlattenToml(*nested, name, args);
    } else if (const toml::array* array = node.as_array()) {
      for (const auto& element : *array) args.push_back("--" + name + "=" + ScalarText(element, name));
    } else if (auto flag = node.value_exact<bool>()) {
      // A collector switch is a flag: true → --collector.X, false → --no-collector.X.
      args.push_back(*flag ? "--" + name : "--no-" + name);
    } else {
      args.push_back("--" + name + "=" + ScalarText(node, name));
    }
  }
}

}  // namespace

int ParseExporterConfig(int argc, char** argv, ExporterConfig& config) {
  CLI::App app{"wgtune-exporter: WireGuard / NetBird network-tuning signals as Prometheus metrics",
               "wgtune-exporter"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", std::string("wgtune-exporter ") + WGTUNE_VERSION + " (revision " +
                                        WGTUNE_REVISION + ")");
  std::string config_file;
  app.add_option("--config.file", config_file, "TOML file with the same settings as these flags");
  app.add_option("--web.listen-address", config.listen_addresses,
                 "Addresses on which to expose metrics (repeatable; [::]:PORT for IPv6)")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--web.config.file", config.web_config_file,
                 "Path to a configuration file that can enable TLS or authentication (exporter-toolkit's format)");
  app.add_option("--web.telemetry-path", config.telemetry_path, "Path under which to expose metrics")
      ->capture_default_str();
  app.add_option("--path.procfs", config.procfs, "procfs mountpoint")->capture_default_str();
  app.add_option("--path.sysfs", config.sysfs, "sysfs mountpoint")->capture_default_str();
  app.add_option("--path.rootfs", config.rootfs, "rootfs mountpoint (for /lib/modules)")->capture_default_str();
  app.add_option("--wireguard.uapi-dir", config.wireguard_uapi_dir,
                 "Directory of userspace WireGuard UAPI sockets (wireguard-go, NetBird userspace)")
      ->capture_default_str();
  std::string sample_interval = FormatPrometheusDuration(config.sample_interval_seconds);
  app.add_option("--sample.interval", sample_interval,
                 "Time between two samples (100ms to 1h); live rates are computed over this window")
      ->capture_default_str()
      ->check(DurationValidator(0.1, 3600));
  app.add_option("--collector.interrupts.include", config.interrupts_include,
                 "Regex over IRQ names: also export these IRQs as NIC queue interrupts");
  app.add_option("--collector.kernel.modules", config.kernel_modules,
                 "Comma-separated kernel modules whose availability to export")
      ->capture_default_str();
  app.add_option("--collector.processes.names", config.processes,
                 "Process names whose presence is exported (repeatable)")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--collector.ethtool.metrics-include", config.ethtool_metrics_include,
                 "Regex over ethtool statistic names: which NIC statistics to export")
      ->capture_default_str();
  app.add_option("--collector.ethtool.features-include", config.ethtool_features_include,
                 "Regex over NIC feature names (ethtool -k, the kernel's names): which offloads to export")
      ->capture_default_str();
  app.add_option("--collector.ethtool.replay-dir", config.ethtool_replay_dir,
                 "Serve recorded ethtool answers from this directory instead of the kernel (testing)");
  app.add_option("--collector.wireguard.netlink-replay-dir", config.wireguard_netlink_replay_dir,
                 "Serve recorded WireGuard netlink dumps from this directory instead of the kernel (testing)");
  app.add_option("--collector.qdisc.replay-dir", config.qdisc_replay_dir,
                 "Serve the recorded qdisc netlink dump DIR/qdisc.netlink instead of the kernel's (testing)");
  app.add_option("--collector.wireguard.peer-names-file", config.wireguard_peer_names_file,
                 "TOML file naming peers: [peers] \"<public key>\" = \"name\"");
  AddLoggingOptions(app, config.log_level, config.log_format);
  for (const CollectorInfo& info : AllCollectors()) {
    config.collectors[info.name] = info.enabled_by_default;
    std::string name = std::string("--collector.") + info.name + ",!--no-collector." + info.name;
    app.add_flag(name, config.collectors[info.name],
                 std::string("Enable the ") + info.name + " collector: " + info.help +
                     (info.enabled_by_default ? " (default: enabled)" : " (default: disabled)"));
  }

  try {
    app.parse(argc, argv);
    // Listen addresses given on the command line replace the file's rather than add to them.
    const bool listen_on_command_line = app.count("--web.listen-address") > 0;
    const std::vector<std::string> command_line_listen = config.listen_addresses;
    if (!config_file.empty()) {
      toml::table table;
      try {
        table = ParseTomlFile(config_file);
      } catch (const TomlFileError& error) {
        throw CLI::ValidationError("--config.file", error.what());
      }
      // File settings first, then the command line again, so that flags win (TakeLast).
      std::vector<std::string> args;
      FlattenToml(table, "", args);
      args.insert(args.end(), argv + 1, argv + argc);
      std::reverse(args.begin(), args.end());  // CLI11's vector form: reversed, without argv[0]
      try {
        app.parse(args);
      } catch (const CLI::ExtrasError& error) {
        // The command line passed alone, so what is left over came from the file.
        throw CLI::ValidationError("--config.file", config_file + ": unknown setting: " + error.what());
      }
      if (listen_on_command_line) config.listen_addresses = command_line_listen;
    }
  } catch (const CLI::ParseError& error) {
    return ExitForParseError(app, error, "wgtune-exporter");
  }
  config.sample_interval_seconds = *ParsePrometheusDuration(sample_interval);
  return -1;
}

}  // namespace wgtune
