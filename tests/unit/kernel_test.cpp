// The kernel collector's parsers (osrelease, /proc/modules, modules.dep, modules.builtin), the
// decision whether a module is available, and the collector over fixture trees: a Debian 12
// host, monolithic kernels with and without modules.builtin, a container without /lib/modules.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/metric_set.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/sources/kernel_modules.h"
#include "exporter/sources/kernel_osrelease.h"
#include "exporter/sources/modules_builtin.h"
#include "exporter/sources/modules_dep.h"
#include "exporter/sources/proc_modules.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewKernelCollector(const CollectorContext&);

namespace {

using Names = std::set<std::string>;

TEST(KernelReleaseParseTest, Table) {
  struct Case {
    const char* name;
    std::string text;
    bool ok;
    std::string release;
    std::optional<int> version;
  };
  const Case cases[] = {
      {"Debian 12", "6.1.0-18-amd64\n", true, "6.1.0-18-amd64", 6001},
      {"Ubuntu on Azure", "5.15.0-1057-azure\n", true, "5.15.0-1057-azure", 5015},
      {"UDP GSO on tun", "6.2.0-39-generic\n", true, "6.2.0-39-generic", 6002},
      {"a two-digit minor", "6.10.3-arch1-2\n", true, "6.10.3-arch1-2", 6010},
      {"RHEL 7", "3.10.0-1160.el7.x86_64\n", true, "3.10.0-1160.el7.x86_64", 3010},
      {"no newline", "6.8.0-1015-aws", true, "6.8.0-1015-aws", 6008},
      {"the development machine's", "6.18.44-fc-v1272\n", true, "6.18.44-fc-v1272", 6018},
      {"major.minor only", "6.12\n", true, "6.12", 6012},
      {"no minor", "6\n", true, "6", std::nullopt},
      {"no minor digits", "6.rc1\n", true, "6.rc1", std::nullopt},
      {"not a version", "custom-kernel\n", true, "custom-kernel", std::nullopt},
      {"a v before it", "v6.1\n", true, "v6.1", std::nullopt},
      {"a minor that would collide", "6.1000\n", true, "6.1000", std::nullopt},
      {"empty input", "", false, "", std::nullopt},
      {"only a newline", "\n", false, "", std::nullopt},
      {"two words", "6.1.0 custom\n", false, "", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseKernelRelease(c.text), ParseError);
      continue;
    }
    KernelRelease release = ParseKernelRelease(c.text);
    EXPECT_EQ(release.release, c.release);
    EXPECT_EQ(release.version, c.version);
  }
  // The point of the encoding: 6.10 is newer than 6.9.
  EXPECT_GT(*ParseKernelRelease("6.10.0\n").version, *ParseKernelRelease("6.9.12\n").version);
}

TEST(ProcModulesParseTest, Table) {
  struct Case {
    const char* name;
    std::string text;
    bool ok;
    Names want;
  };
  const Case cases[] = {
      {"empty input: module support, nothing loaded", "", true, {}},
      {"Debian's wireguard and a dependency",
       "wireguard 94208 0 - Live 0x0000000000000000\n"
       "libcurve25519_generic 49152 2 wireguard,curve25519_x86_64, Live 0x0000000000000000\n",
       true,
       {"wireguard", "libcurve25519_generic"}},
      {"taint flags and a real address", "nvidia 35319808 1 - Live 0xffffffffc0a1b000 (POE)\n", true, {"nvidia"}},
      {"without CONFIG_MODULE_UNLOAD", "sch_fq 20480 - - Live 0x0000000000000000\n", true, {"sch_fq"}},
      {"loading and unloading", "a 1 0 - Loading 0x0\nb 1 0 [permanent], Unloading 0x0\n", true, {"a", "b"}},
      {"blank lines", "\nwireguard 94208 0 - Live 0x0\n\n", true, {"wireguard"}},
      {"not enough fields", "wireguard 94208 0 - Live\n", false, {}},
      {"a name alone", "wireguard\n", false, {}},
      {"garbage size", "wireguard 94k 0 - Live 0x0\n", false, {}},
      {"unknown state", "wireguard 94208 0 - Alive 0x0\n", false, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseProcModules(c.text), ParseError);
      continue;
    }
    EXPECT_EQ(ParseProcModules(c.text), c.want);
  }
}

TEST(ModulesDepParseTest, Table) {
  struct Case {
    const char* name;
    std::string text;
    bool ok;
    Names want;
  };
  const Case cases[] = {
      {"empty input", "", true, {}},
      {"a module without dependencies", "kernel/net/sched/sch_fq.ko:\n", true, {"sch_fq"}},
      {"dependencies are listed by their own lines only",
       "kernel/drivers/net/wireguard/wireguard.ko: kernel/net/ipv4/udp_tunnel.ko kernel/lib/crypto/libchacha.ko\n",
       true,
       {"wireguard"}},
      {"'-' in a file name is '_' in the module's",
       "kernel/arch/x86/crypto/chacha-x86_64.ko: kernel/lib/crypto/libchacha.ko\n", true, {"chacha_x86_64"}},
      {"compressed modules",
       "kernel/net/ipv4/tcp_bbr.ko.zst:\nkernel/net/sched/sch_cake.ko.xz:\nkernel/net/sched/sch_fq.ko.gz:\n", true,
       {"tcp_bbr", "sch_cake", "sch_fq"}},
      {"DKMS and absolute paths",
       "updates/dkms/amneziawg.ko: kernel/net/ipv4/udp_tunnel.ko\n/opt/extra/foo-bar.ko:\n", true,
       {"amneziawg", "foo_bar"}},
      {"blank lines", "\nkernel/net/sched/sch_fq.ko:\n\n", true, {"sch_fq"}},
      {"no colon", "kernel/net/sched/sch_fq.ko\n", false, {}},
      {"not a module file", "kernel/net/sched/sch_fq.o:\n", false, {}},
      {"an empty path", ": kernel/net/sched/sch_fq.ko\n", false, {}},
      {"only the suffix", "kernel/net/sched/.ko:\n", false, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseModulesDep(c.text), ParseError);
      continue;
    }
    EXPECT_EQ(ParseModulesDep(c.text), c.want);
  }
}

TEST(ModulesBuiltinParseTest, Table) {
  struct Case {
    const char* name;
    std::string text;
    bool ok;
    Names want;
  };
  const Case cases[] = {
      {"empty input", "", true, {}},
      {"Debian's", "kernel/net/ipv4/tcp_cubic.ko\nkernel/drivers/char/hw_random/rng-core.ko\n", true,
       {"tcp_cubic", "rng_core"}},
      {"no final newline", "kernel/net/sched/sch_fq_codel.ko", true, {"sch_fq_codel"}},
      {"blank lines", "\nkernel/net/unix/unix.ko\n\n", true, {"unix"}},
      {"never compressed", "kernel/net/ipv4/tcp_bbr.ko.zst\n", false, {}},
      {"not a module file", "kernel/net/ipv4/tcp_bbr\n", false, {}},
      {"two paths on a line", "kernel/net/ipv4/tcp_bbr.ko kernel/net/unix/unix.ko\n", false, {}},
      {"a modules.dep line", "kernel/net/ipv4/tcp_bbr.ko:\n", false, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseModulesBuiltin(c.text), ParseError);
      continue;
    }
    EXPECT_EQ(ParseModulesBuiltin(c.text), c.want);
  }
}

TEST(KernelModuleNameTest, Table) {
  EXPECT_EQ(NormalizeModuleName("chacha-x86_64"), "chacha_x86_64");
  EXPECT_EQ(NormalizeModuleName("sch_fq"), "sch_fq");
  EXPECT_EQ(ModuleNameOfPath("kernel/net/sched/sch_fq.ko", false), "sch_fq");
  EXPECT_EQ(ModuleNameOfPath("sch_fq.ko", false), "sch_fq");
  EXPECT_EQ(ModuleNameOfPath("kernel/net/sched/sch_fq.ko.zst", true), "sch_fq");
  EXPECT_EQ(ModuleNameOfPath("kernel/net/sched/sch_fq.ko.zst", false), std::nullopt);
  EXPECT_EQ(ModuleNameOfPath("kernel/net/sched/sch_fq.ko.bz2", true), std::nullopt);
  EXPECT_EQ(ModuleNameOfPath("kernel/net/sched/", true), std::nullopt);
  EXPECT_EQ(ModuleNameOfPath("", true), std::nullopt);
}

TEST(DecideKernelModuleAvailableTest, Table) {
  struct Case {
    const char* name;
    KernelModuleEvidence evidence;
    std::optional<bool> want;
  };
  //                                   support loaded sysfs  builtin       installed
  const Case cases[] = {
      {"loaded", {true, true, false, std::nullopt, std::nullopt}, true},
      {"in sysfs only (a container's view)", {true, false, true, std::nullopt, std::nullopt}, true},
      {"installed, not loaded", {true, false, false, false, true}, true},
      {"built in, no sysfs entry", {true, false, false, true, false}, true},
      {"installed, modules.builtin unreadable", {true, false, false, std::nullopt, true}, true},
      {"monolithic, built in", {false, false, false, true, std::nullopt}, true},
      {"monolithic, in sysfs", {false, false, true, std::nullopt, std::nullopt}, true},
      {"neither installed nor built in", {true, false, false, false, false}, false},
      {"monolithic, not built in", {false, false, false, false, std::nullopt}, false},
      {"monolithic, not built in, a stray modules.dep", {false, false, false, false, false}, false},
      {"no /lib/modules in a container", {true, false, false, std::nullopt, std::nullopt}, std::nullopt},
      {"modules.dep without modules.builtin", {true, false, false, std::nullopt, false}, std::nullopt},
      {"modules.builtin without modules.dep", {true, false, false, false, std::nullopt}, std::nullopt},
      {"monolithic without modules.builtin", {false, false, false, std::nullopt, std::nullopt}, std::nullopt},
      {"monolithic, only a modules.dep", {false, false, false, std::nullopt, false}, std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DecideKernelModuleAvailable(c.evidence), c.want) << c.name;
  }
}

// ---- The collector over fixture trees.

const std::string kFixtures = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/kernel/";

MetricSet CollectKernel(const std::string& root, const std::string& modules = ExporterConfig().kernel_modules) {
  ExporterConfig config;
  config.kernel_modules = modules;
  CollectorContext context{root + "/proc", root + "/sys", &config, {}, root};
  MetricSet metrics;
  NewKernelCollector(context)->Collect(metrics);
  return metrics;
}

std::map<std::string, double> Modules(const MetricSet& metrics) {
  std::map<std::string, double> found;
  for (const auto& [labels, value] : Series(metrics, "wgtune_kernel_module_available")) {
    found[labels.at(0).value] = value;
  }
  return found;
}

TEST(KernelCollectorTest, Debian12) {
  MetricSet metrics =
      CollectKernel(kFixtures + "debian-6.1", "sch_fq,sch_fq_codel,sch_cake,tcp_bbr,wireguard,af_packet,crc32-pclmul,"
                                              "amneziawg");
  EXPECT_EQ(Series(metrics, "wgtune_kernel_info"),
            (std::map<Labels, double>{{{{"release", "6.1.0-18-amd64"}}, 1}}));
  EXPECT_EQ(Value(metrics, "wgtune_kernel_version", {}), 6001);
  EXPECT_EQ(Modules(metrics), (std::map<std::string, double>{
                                  {"sch_fq", 1},        // installed, not loaded: modprobe sch_fq works
                                  {"sch_fq_codel", 1},  // loaded
                                  {"sch_cake", 1},
                                  {"tcp_bbr", 1},
                                  {"wireguard", 1},
                                  {"af_packet", 1},     // built in, without parameters: only modules.builtin says
                                  {"crc32-pclmul", 1},  // crc32-pclmul.ko in modules.dep, by the name as written
                                  {"amneziawg", 0},     // an out-of-tree module not installed: knowably absent
                              }));
}

TEST(KernelCollectorTest, MonolithicKernelWithModulesBuiltin) {
  MetricSet metrics = CollectKernel(kFixtures + "monolithic");
  EXPECT_EQ(Value(metrics, "wgtune_kernel_version", {}), 6001);
  // No /proc/modules: everything there is is built in, and modules.builtin lists it.
  EXPECT_EQ(Modules(metrics), (std::map<std::string, double>{
                                  {"sch_fq", 0},
                                  {"sch_fq_codel", 1},
                                  {"sch_cake", 0},
                                  {"tcp_bbr", 1},
                                  {"wireguard", 1},
                              }));
}

// The development machine's kind: no /proc/modules, no /lib/modules. Only what /sys/module shows
// is known; sch_fq, absent from it, may still be built in without parameters: unknown.
TEST(KernelCollectorTest, MonolithicKernelWithoutLibModules) {
  MetricSet metrics = CollectKernel(kFixtures + "monolithic-no-lib-modules", ExporterConfig().kernel_modules + ",sch_htb");
  EXPECT_EQ(Value(metrics, "wgtune_kernel_version", {}), 6018);
  EXPECT_EQ(Modules(metrics), (std::map<std::string, double>{{"sch_htb", 1}}));
}

TEST(KernelCollectorTest, ContainerWithoutLibModules) {
  MetricSet metrics = CollectKernel(kFixtures + "container");
  EXPECT_EQ(Series(metrics, "wgtune_kernel_info"),
            (std::map<Labels, double>{{{{"release", "6.8.0-1015-aws"}}, 1}}));
  // The host's /proc/modules shows wireguard loaded; nothing says whether sch_fq is installed.
  EXPECT_EQ(Modules(metrics), (std::map<std::string, double>{{"wireguard", 1}}));
  // With the host's root mounted (--path.rootfs), it would; here there is none.
  EXPECT_EQ(Modules(CollectKernel(kFixtures + "container", "sch_fq")), (std::map<std::string, double>{}));
}

TEST(KernelCollectorTest, FamiliesAndEmptyHost) {
  MetricSet metrics = CollectKernel(kFixtures + "does-not-exist");
  for (const char* family : {"wgtune_kernel_info", "wgtune_kernel_version", "wgtune_kernel_module_available"}) {
    ASSERT_NE(metrics.Find(family), nullptr) << family;
    EXPECT_EQ(metrics.Find(family)->type, prometheus::MetricType::Gauge) << family;
    EXPECT_EQ(SeriesCount(metrics, family), 0u) << family;
  }
}

// A scratch root whose files a test writes.
class ScratchRoot {
 public:
  ScratchRoot() {
    path_ = std::filesystem::temp_directory_path() / ("wgtune-kernel-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
  }
  ~ScratchRoot() { std::filesystem::remove_all(path_); }
  void Write(const std::string& relative, const std::string& text) const {
    std::filesystem::create_directories((path_ / relative).parent_path());
    std::ofstream(path_ / relative) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(KernelCollectorTest, UnparsableReleaseHasNoVersion) {
  ScratchRoot root;
  root.Write("proc/sys/kernel/osrelease", "custom-kernel\n");
  MetricSet metrics = CollectKernel(root.path());
  EXPECT_EQ(Value(metrics, "wgtune_kernel_info", {{"release", "custom-kernel"}}), 1);
  EXPECT_EQ(SeriesCount(metrics, "wgtune_kernel_version"), 0u);
}

TEST(KernelCollectorTest, MalformedFilesFailTheCollector) {
  for (const auto& [file, text] : std::vector<std::pair<std::string, std::string>>{
           {"proc/sys/kernel/osrelease", "\n"},
           {"proc/modules", "wireguard 94208\n"},
           {"lib/modules/6.1.0-18-amd64/modules.dep", "kernel/net/sched/sch_fq.ko\n"},
           {"lib/modules/6.1.0-18-amd64/modules.builtin", "kernel/net/ipv4/tcp_bbr.ko:\n"},
       }) {
    SCOPED_TRACE(file);
    ScratchRoot root;
    root.Write("proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
    root.Write("proc/modules", "wireguard 94208 0 - Live 0x0\n");
    root.Write(file, text);
    EXPECT_THROW(CollectKernel(root.path()), ParseError);
  }
}

TEST(KernelCollectorTest, ModulesFlagIsCheckedAtStart) {
  EXPECT_EQ(Modules(CollectKernel(kFixtures + "debian-6.1", " sch_fq , ,sch-fq,wireguard")),
            (std::map<std::string, double>{{"sch_fq", 1}, {"wireguard", 1}}));  // one series per module
  EXPECT_EQ(Modules(CollectKernel(kFixtures + "debian-6.1", "")), (std::map<std::string, double>{}));
  for (const char* bad : {"../../etc/passwd", "sch_fq,tcp bbr", "wire*"}) {
    try {
      CollectKernel(kFixtures + "debian-6.1", bad);
      ADD_FAILURE() << bad << ": no error";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("--collector.kernel.modules"), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace wgtune
