// Parser of /proc/modules: the loaded kernel modules, what lsmod prints.
//
// Source: kernel/module/procfs.c m_show() (kernel/module.c before 5.19). One line per module:
//   name size refcount users state address [taints]
//   "wireguard 94208 0 - Live 0x0000000000000000"
//   "libcurve25519_generic 49152 2 wireguard,curve25519_x86_64, Live 0xffffffffc0a1b000"
//   "nvidia 35319808 1 - Live 0x0000000000000000 (POE)"
// users is "-" when none, else a list each followed by a comma ("[permanent]," and
// "[unsafe]," too); without CONFIG_MODULE_UNLOAD refcount and users are both "-". state is
// Live, Loading or Unloading; the address reads 0 without CAP_SYSLOG (kptr_restrict). Names
// are the kernel's: '-' in a file name became '_' (chacha-x86_64.ko is chacha_x86_64).
//
// A kernel built without module support (CONFIG_MODULES=n) has no /proc/modules at all: that
// says "everything is built in", which the caller tells apart from an empty file.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace wgtune {

// The names of the listed modules. Throws ParseError ("modules line N: ...") on a line with
// fewer than six fields, a size that is not a number or an unknown state.
std::set<std::string> ParseProcModules(std::string_view text);

}  // namespace wgtune
