#include "exporter/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace wgtune {
namespace {

int Parse(std::vector<std::string> args, ExporterConfig& config) {
  args.insert(args.begin(), "wgtune-exporter");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  return ParseExporterConfig(static_cast<int>(argv.size()), argv.data(), config);
}

std::string WriteTemp(const std::string& content, const std::string& name = "wgtune-config-test.toml") {
  std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(ExporterConfigTest, DefaultsFollowNodeExporter) {
  ExporterConfig config;
  ASSERT_EQ(Parse({}, config), -1);
  EXPECT_EQ(config.listen_addresses, std::vector<std::string>{":10050"});
  EXPECT_EQ(config.web_config_file, "");
  EXPECT_EQ(config.telemetry_path, "/metrics");
  EXPECT_EQ(config.procfs, "/proc");
  EXPECT_EQ(config.sysfs, "/sys");
  EXPECT_EQ(config.rootfs, "/");
  EXPECT_EQ(config.kernel_modules, "sch_fq,sch_fq_codel,sch_cake,tcp_bbr,wireguard");
  EXPECT_EQ(config.wireguard_uapi_dir, "/var/run/wireguard");
  EXPECT_EQ(config.sample_interval_seconds, 5);
  EXPECT_TRUE(config.collectors.at("softnet"));
  EXPECT_TRUE(config.collectors.at("interrupts"));
}

TEST(ExporterConfigTest, FlagsSetEverySetting) {
  ExporterConfig config;
  ASSERT_EQ(Parse({"--web.listen-address=127.0.0.1:1", "--web.listen-address=[::1]:1", "--web.config.file=/etc/web.yml",
                   "--path.procfs", "/fixture/proc", "--path.sysfs=/fixture/sys",
                   "--path.rootfs=/fixture", "--collector.kernel.modules=wireguard", "--sample.interval=1500ms",
                   "--no-collector.softnet", "--log.format=json"},
                  config),
            -1);
  EXPECT_EQ(config.listen_addresses, (std::vector<std::string>{"127.0.0.1:1", "[::1]:1"}));
  EXPECT_EQ(config.web_config_file, "/etc/web.yml");
  EXPECT_EQ(config.procfs, "/fixture/proc");
  EXPECT_EQ(config.sysfs, "/fixture/sys");
  EXPECT_EQ(config.rootfs, "/fixture");
  EXPECT_EQ(config.kernel_modules, "wireguard");
  EXPECT_EQ(config.sample_interval_seconds, 1.5);
  EXPECT_FALSE(config.collectors.at("softnet"));
  EXPECT_TRUE(config.collectors.at("cpu"));
  EXPECT_EQ(config.log_format, "json");
}

TEST(ExporterConfigTest, TomlFileHoldsTheSameSettingsAndFlagsWin) {
  std::string path = WriteTemp(R"(
[web]
listen-address = "127.0.0.1:2"
telemetry-path = "/m"
[path]
procfs = "/file/proc"
rootfs = "/host"
[sample]
interval = "2s"
[collector]
conntrack = false
[collector.interrupts]
include = "^nic[0-9]+$"
)");
  ExporterConfig config;
  ASSERT_EQ(Parse({"--config.file", path, "--path.procfs=/flag/proc"}, config), -1);
  EXPECT_EQ(config.listen_addresses, std::vector<std::string>{"127.0.0.1:2"});
  EXPECT_EQ(config.telemetry_path, "/m");
  EXPECT_EQ(config.procfs, "/flag/proc");
  EXPECT_EQ(config.sample_interval_seconds, 2);
  EXPECT_FALSE(config.collectors.at("conntrack"));
  EXPECT_EQ(config.interrupts_include, "^nic[0-9]+$");
  EXPECT_EQ(config.rootfs, "/host");
  ExporterConfig modules;
  ASSERT_EQ(Parse({"--config.file", WriteTemp("[collector.kernel]\nmodules = \"sch_fq,tcp_bbr\"\n")}, modules), -1);
  EXPECT_EQ(modules.kernel_modules, "sch_fq,tcp_bbr");
}

TEST(ExporterConfigTest, ListenAddressesAreAListInTomlAndFlagsReplaceIt) {
  std::string path = WriteTemp("[web]\nlisten-address = [\"127.0.0.1:1\", \"[::1]:1\"]\nconfig.file = \"/etc/web.yml\"\n");
  ExporterConfig file;
  ASSERT_EQ(Parse({"--config.file", path}, file), -1);
  EXPECT_EQ(file.listen_addresses, (std::vector<std::string>{"127.0.0.1:1", "[::1]:1"}));
  EXPECT_EQ(file.web_config_file, "/etc/web.yml");
  ExporterConfig flag;
  ASSERT_EQ(Parse({"--config.file", path, "--web.listen-address=[::]:2"}, flag), -1);
  EXPECT_EQ(flag.listen_addresses, std::vector<std::string>{"[::]:2"});
}

TEST(ExporterConfigTest, EthtoolFeaturesIncludeByFlagAndToml) {
  ExporterConfig defaults;
  ASSERT_EQ(Parse({}, defaults), -1);
  EXPECT_EQ(defaults.ethtool_features_include,
            "^(rx-gro|rx-gro-hw|rx-gro-list|rx-udp-gro-forwarding|tx-generic-segmentation|tx-udp-segmentation|"
            "tx-tcp-segmentation)$");
  ExporterConfig flag;
  ASSERT_EQ(Parse({"--collector.ethtool.features-include=^rx-"}, flag), -1);
  EXPECT_EQ(flag.ethtool_features_include, "^rx-");
  ExporterConfig file;
  ASSERT_EQ(Parse({"--config.file", WriteTemp("[collector.ethtool]\nfeatures-include = \"gro\"\n")}, file), -1);
  EXPECT_EQ(file.ethtool_features_include, "gro");
}

// Every bad flag, file or value: exit 2 and one line on stderr, naming what is wrong.
TEST(ExporterConfigTest, BadInputIsOneLineNamingItAndExitTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string said;
  };
  const std::string missing = testing::TempDir() + "/no-such-wgtune-config.toml";
  const std::vector<Case> cases = {
      {{"--no-such-flag"}, "wgtune-exporter: The following argument was not expected: --no-such-flag"},
      {{"--log.format=xml"}, "wgtune-exporter: --log.format: xml not in {logfmt,json}"},
      {{"--log.level=bogus"}, "wgtune-exporter: --log.level: bogus not in {debug,info,warn,error}"},
      {{"--sample.interval=0"}, "wgtune-exporter: --sample.interval: 0 is shorter than 100ms"},
      {{"--sample.interval=2h"}, "wgtune-exporter: --sample.interval: 2h is longer than 1h"},
      {{"--sample.interval=5"}, "wgtune-exporter: --sample.interval: not a duration such as 30s, 5m or 1h: 5"},
      {{"--config.file", missing},
       "wgtune-exporter: --config.file: cannot read " + missing + ": No such file or directory"},
      {{"--config.file", WriteTemp("[web]\nlisten-address = \n", "syntax.toml")},
       "wgtune-exporter: --config.file: " + testing::TempDir() +
           "/syntax.toml:2:18: Error while parsing key-value pair: expected value"},
      {{"--config.file", WriteTemp("[web]\nno-such-setting = 1\n", "unknown.toml")},
       "wgtune-exporter: --config.file: " + testing::TempDir() +
           "/unknown.toml: unknown setting: The following argument was not expected: --web.no-such-setting=1"},
  };
  for (const Case& c : cases) {
    ExporterConfig config;
    testing::internal::CaptureStderr();
    int code = Parse(c.args, config);
    std::string said = testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 2) << c.args[0];
    EXPECT_EQ(said.rfind(c.said, 0), 0u) << "said: " << said;
    EXPECT_EQ(std::count(said.begin(), said.end(), '\n'), 1) << "said: " << said;
  }
}

TEST(ExporterConfigTest, SampleIntervalIsAPrometheusDuration) {
  ExporterConfig config;
  ASSERT_EQ(Parse({"--sample.interval=1m"}, config), -1);
  EXPECT_EQ(config.sample_interval_seconds, 60);
  ASSERT_EQ(Parse({"--sample.interval=250ms"}, config), -1);
  EXPECT_EQ(config.sample_interval_seconds, 0.25);
  ExporterConfig file;
  ASSERT_EQ(Parse({"--config.file", WriteTemp("[sample]\ninterval = \"10s\"\n")}, file), -1);
  EXPECT_EQ(file.sample_interval_seconds, 10);
}

TEST(ExporterConfigTest, HelpAndVersionExitZero) {
  ExporterConfig config;
  EXPECT_EQ(Parse({"--version"}, config), 0);
  EXPECT_EQ(Parse({"--help"}, config), 0);
}

}  // namespace
}  // namespace wgtune
