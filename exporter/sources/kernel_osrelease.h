// Parser of /proc/sys/kernel/osrelease: the running kernel's release, as uname -r prints it.
//
// Source: kernel/utsname_sysctl.c (the UTS release, set at build time from the Makefile's
// VERSION.PATCHLEVEL.SUBLEVEL and CONFIG_LOCALVERSION / EXTRAVERSION) and
// Documentation/admin-guide/sysctl/kernel.rst. One word and a newline: "6.1.0-18-amd64",
// "5.15.0-1057-azure", "6.8.0-1015-aws", "3.10.0-1160.el7.x86_64", "6.10.3-arch1-2". The
// release names the directory of the kernel's modules, /lib/modules/<release>.
//
// What a release starts with, major.minor, is the version rules compare: UDP segmentation
// offload on tun (TUN_F_USO4/6, what wireguard-go asks for) needs 6.2, UDP GRO forwarding
// 5.12. Vendors put anything after it, and RHEL backports features without changing it, so it
// is a floor, not a feature test.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wgtune {

struct KernelRelease {
  std::string release;  // "6.1.0-18-amd64"
  // major * 1000 + minor: 6.1 → 6001, 6.10 → 6010, so that 6.10 > 6.9 compares numerically.
  // nullopt when the release does not start with <major>.<minor> (digits), or the minor is
  // 1000 or more.
  std::optional<int> version;
};

// Throws ParseError ("osrelease: ...") unless the text is one word (and a newline).
KernelRelease ParseKernelRelease(std::string_view text);

}  // namespace wgtune
