// Parser of /lib/modules/<release>/modules.builtin: the modules built into a kernel image.
//
// Source: kbuild, which writes it with the image (Documentation/kbuild/kbuild.rst,
// "modules.builtin"), installed beside modules.dep by make modules_install and by distribution
// kernel packages: one path per line, relative to /lib/modules/<release>, of the .ko file the
// module would have been, never compressed:
//   "kernel/net/ipv4/tcp_cubic.ko"
//   "kernel/net/sched/sch_fq_codel.ko"
// modprobe reads it (as modules.builtin.bin) to say "builtin" instead of failing. A built-in
// module shows in /sys/module only when it has parameters or a version, so this file is what
// tells that tcp_bbr is built in.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace wgtune {

// The names of the built-in modules (kernel_modules.h NormalizeModuleName). Throws
// ParseError ("modules.builtin line N: ...") on a line that is not one .ko path.
std::set<std::string> ParseModulesBuiltin(std::string_view text);

}  // namespace wgtune
