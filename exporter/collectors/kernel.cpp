// The running kernel: its release and version, and whether it can use the modules tuning asks
// for (field guide §3.4: kernel WireGuard, `modprobe wireguard`; §4.8: `default_qdisc=fq`
// needs sch_fq, BBR needs tcp_bbr; cake and fq_codel as the alternatives).
//
// The advisor must not propose what the kernel cannot do, and must say when it cannot tell:
// so wgtune_kernel_module_available is 1 when the module is loaded, built in or installed, 0
// only when the host's files show it is none of these, and absent when they do not show
// enough (exporter/sources/kernel_modules.h: a container without /lib/modules, a monolithic
// kernel whose image has no modules.builtin). wgtune_kernel_version compares releases
// numerically (6.2 as 6002: UDP segmentation offload on tun). Sources, one parser each:
// <procfs>/sys/kernel/osrelease (kernel_osrelease.h), <procfs>/modules (proc_modules.h),
// <sysfs>/module/<name>, <rootfs>/lib/modules/<release>/modules.builtin and modules.dep
// (modules_builtin.h, modules_dep.h). An absent file is evidence missing, never an error; a
// malformed one fails the collector for the sample.
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/text.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/sources/kernel_modules.h"
#include "exporter/sources/kernel_osrelease.h"
#include "exporter/sources/modules_builtin.h"
#include "exporter/sources/modules_dep.h"
#include "exporter/sources/proc_modules.h"

namespace wgtune {
namespace {

// A module as configured and as the kernel names it.
struct WantedModule {
  std::string label;  // as written in --collector.kernel.modules
  std::string name;   // '-' as '_'
};

// The comma-separated list of --collector.kernel.modules. Names are file names under
// /sys/module and /lib/modules: letters, digits, '_' and '-' only.
std::vector<WantedModule> ParseWantedModules(const std::string& list) {
  std::vector<WantedModule> modules;
  std::set<std::string> seen;
  for (std::string_view entry : Split(list, ',')) {
    entry = Trim(entry);
    if (entry.empty()) continue;
    for (char c : entry) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      if (!ok) {
        throw std::invalid_argument("--collector.kernel.modules: \"" + std::string(entry) +
                                    "\" is not a module name (letters, digits, '_' and '-')");
      }
    }
    std::string name = NormalizeModuleName(entry);
    if (seen.insert(name).second) modules.push_back({std::string(entry), std::move(name)});
  }
  return modules;
}

class KernelCollector : public Collector {
 public:
  explicit KernelCollector(const CollectorContext& context)
      : procfs_(context.procfs),
        sysfs_(context.sysfs),
        rootfs_(context.rootfs.empty() ? "/" : context.rootfs),
        modules_(ParseWantedModules(context.config != nullptr ? context.config->kernel_modules
                                                              : ExporterConfig().kernel_modules)) {}

  void Collect(MetricSet& out) override {
    Family info = out.Gauge("wgtune_kernel_info", "Release of the running kernel, as uname -r prints it; value 1.");
    Family version = out.Gauge("wgtune_kernel_version",
                               "Version of the running kernel as major * 1000 + minor (6.2 is 6002), to compare "
                               "numerically; absent when the release does not start with major.minor.");
    Family available = out.Gauge("wgtune_kernel_module_available",
                                 "Whether the running kernel can use the module: 1 loaded, built in or installed, 0 "
                                 "none of these; absent when the host does not show enough to tell.");

    std::optional<KernelRelease> release;
    if (std::optional<std::string> text = ReadFileIfExists(JoinPath(procfs_, "sys/kernel/osrelease"))) {
      release = ParseKernelRelease(*text);
      info.Add({{"release", release->release}}, 1);
      if (release->version) version.Add({}, *release->version);
    }

    KernelModuleEvidence host;
    std::set<std::string> loaded;
    if (std::optional<std::string> text = ReadFileIfExists(JoinPath(procfs_, "modules"))) {
      host.module_support = true;
      loaded = ParseProcModules(*text);
    }
    std::optional<std::set<std::string>> builtin;
    std::optional<std::set<std::string>> installed;
    // A release that is no directory name has no /lib/modules of its own to look in.
    if (release && release->release.find('/') == std::string::npos && release->release != "." &&
        release->release != "..") {
      const std::string dir = JoinPath(rootfs_, "lib/modules/" + release->release);
      if (std::optional<std::string> text = ReadFileIfExists(dir + "/modules.builtin")) {
        builtin = ParseModulesBuiltin(*text);
      }
      if (std::optional<std::string> text = ReadFileIfExists(dir + "/modules.dep")) installed = ParseModulesDep(*text);
    }

    for (const WantedModule& module : modules_) {
      KernelModuleEvidence evidence = host;
      evidence.loaded = loaded.count(module.name) > 0;
      evidence.in_sysfs = PathExists(JoinPath(sysfs_, "module/" + module.name));
      if (builtin) evidence.builtin = builtin->count(module.name) > 0;
      if (installed) evidence.installed = installed->count(module.name) > 0;
      if (std::optional<bool> yes = DecideKernelModuleAvailable(evidence)) {
        available.Add({{"module", module.label}}, *yes ? 1 : 0);
      }
    }
  }

 private:
  std::string procfs_;
  std::string sysfs_;
  std::string rootfs_;
  std::vector<WantedModule> modules_;
};

}  // namespace

std::unique_ptr<Collector> NewKernelCollector(const CollectorContext& context) {
  return std::make_unique<KernelCollector>(context);
}

}  // namespace wgtune
