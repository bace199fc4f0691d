// Parser of /lib/modules/<release>/modules.dep: the modules installed for a kernel, which
// modprobe can load, each with the modules it needs.
//
// Source: depmod(8) (kmod, tools/depmod.c output_deps) and modules.dep(5). One line per
// module: its path relative to /lib/modules/<release> (absolute when it lives elsewhere), a
// colon, then the paths of its dependencies separated by spaces, possibly none:
//   "kernel/net/sched/sch_fq.ko:"
//   "kernel/drivers/net/wireguard/wireguard.ko: kernel/net/ipv4/udp_tunnel.ko kernel/..."
//   "kernel/net/ipv4/tcp_bbr.ko.zst:"           (Ubuntu 23.10+; Fedora .ko.xz, Arch .ko.gz)
//   "updates/dkms/amneziawg.ko: kernel/net/ipv4/udp_tunnel.ko ..."
// Only the module before the colon is listed by its line; every dependency has a line of its
// own. Built-in modules are not here but in modules.builtin.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace wgtune {

// The names of the installed modules (kernel_modules.h NormalizeModuleName). Throws
// ParseError ("modules.dep line N: ...") on a line without a colon or whose path is not a
// module file (.ko, .ko.gz, .ko.xz, .ko.zst).
std::set<std::string> ParseModulesDep(std::string_view text);

}  // namespace wgtune
