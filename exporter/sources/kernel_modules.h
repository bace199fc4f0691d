// Kernel module names, and what the module files together say about one module: whether the
// running kernel can use it (loaded, built in, or installed to be loaded) or cannot, or
// whether the host does not show enough to tell.
//
// Facts, and where they are read (under --path.procfs, --path.sysfs, --path.rootfs):
//   modules                           the loaded modules (proc_modules.h); absent on a kernel
//                                     without module support, where everything is built in
//   module/<name>                     a loaded module, or a built-in one with parameters or a
//                                     version (/sys/module/wireguard exists when built in)
//   lib/modules/<release>/modules.builtin  the built-in ones (modules_builtin.h)
//   lib/modules/<release>/modules.dep      the installed, loadable ones (modules_dep.h)
// A container usually sees the host's /proc and /sys but not its /lib/modules; a monolithic
// kernel (CONFIG_MODULES=n) has no /proc/modules, and its modules.builtin only where the
// image ships it. So absence of evidence is often not evidence of absence, and the decision
// says so.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wgtune {

// A module name as the kernel knows it: '-' and '_' are the same to modprobe, and the kernel
// names every module with '_' (KBUILD_MODNAME), so '-' becomes '_'.
std::string NormalizeModuleName(std::string_view name);

// The module a path in modules.dep or modules.builtin names: "kernel/net/sched/sch_fq.ko.zst"
// → "sch_fq", "kernel/arch/x86/crypto/chacha-x86_64.ko" → "chacha_x86_64". The file ends in
// .ko, or, for modules.dep, .ko.gz, .ko.xz or .ko.zst (compressed modules); nullopt
// otherwise or for an empty name.
std::optional<std::string> ModuleNameOfPath(std::string_view path, bool compressed_allowed);

struct KernelModuleEvidence {
  bool module_support = false;  // <procfs>/modules exists
  bool loaded = false;          // <procfs>/modules lists the module
  bool in_sysfs = false;        // <sysfs>/module/<name> exists
  // Whether modules.builtin / modules.dep list the module; nullopt when the file is not there
  // to read (no /lib/modules/<release> in a container, a monolithic kernel's image without it).
  std::optional<bool> builtin;
  std::optional<bool> installed;
};

// true: loaded, in sysfs, built in or installed. false only when the files say it is not
// there: with module support, modules.dep and modules.builtin both read and listing it
// nowhere (a module neither installed nor built in); without module support, modules.builtin
// read and not listing it (all there is is built in). nullopt (unknown) otherwise.
std::optional<bool> DecideKernelModuleAvailable(const KernelModuleEvidence& evidence);

}  // namespace wgtune
