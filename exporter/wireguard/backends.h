// Which WireGuard interfaces a host has, and which backend serves each: the kernel module
// (generic netlink) or a userspace daemon (the UAPI socket).
//
// wireguard-tools decides the same way (src/ipc.h): a UAPI socket for the interface means a
// userspace daemon answers for it, otherwise the kernel does, and the interface list merges
// both. The implementation matters to the field guide (§3.4: userspace is 3-5x slower, and
// no tuning recovers that), so the decision is made from every fact the host offers and kept
// a pure function of them (DecideWireGuardImplementation), table-tested apart from the reads.
//
// Facts, and where they are read (under --path.sysfs, --path.procfs, --wireguard.uapi-dir):
//   <uapi-dir>/<name>.sock       a unix socket: a userspace daemon (wireguard-go, NetBird in
//                                userspace mode, boringtun) serves, or served, <name>
//   class/net/<name>/uevent      DEVTYPE=wireguard: a kernel WireGuard device (only the
//                                module gives a device that type; tun devices have none)
//   class/net/<name>/tun_flags   a tun device, which is what userspace daemons create
//   module/wireguard             the module is loaded or built in
//   <pid>/comm                   a "wg-crypt-<name>" kernel thread (exporter/sources/proc_comm.h)
//
// The sockets of every network namespace land in one /var/run/wireguard, so a socket can
// name an interface this namespace does not have; its daemon still answers and the interface
// is listed, without sysfs attributes (MTU). NetBird's netstack mode has no device at all.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/wireguard/device.h"

namespace wgtune {

class WireGuardKernelSource;

// What the host says about one interface name.
struct WireGuardEvidence {
  bool uapi_socket = false;  // <uapi-dir>/<name>.sock exists and is a socket
  bool net_device = false;   // class/net/<name> exists in the exporter's network namespace
  // uevent DEVTYPE, "" when the device has none; nullopt when there is no uevent to read.
  std::optional<std::string> devtype;
  bool tun_flags = false;      // class/net/<name>/tun_flags exists
  bool kernel_module = false;  // module/wireguard exists
  // A wg-crypt-<name> kernel thread runs. Looked for only when it can decide (rule 3 below):
  // scanning /proc costs a read per process.
  bool crypt_thread = false;
};

// The implementation serving an interface, first rule that applies:
//   1. DEVTYPE=wireguard: kernel. A socket of the same name is stale (a userspace daemon
//      that once ran under that name), since no daemon can serve a kernel device.
//   2. A UAPI socket: userspace, as wg(8) decides.
//   3. A device without uevent, not a tun, with the module present and a wg-crypt-<name>
//      thread: kernel (a sysfs that hides uevent).
//   Otherwise nullopt: not a WireGuard interface.
std::optional<WireGuardImplementation> DecideWireGuardImplementation(const WireGuardEvidence& evidence);

// Whether a task's comm is a kernel WireGuard crypt thread of `interface`. A comm is cut to
// 15 bytes before 6.10, so "wg-crypt-netbir" serves "netbird0" (and any name starting so).
bool CryptThreadServes(std::string_view comm, std::string_view interface);

struct WireGuardInterface {
  std::string name;
  WireGuardImplementation implementation = WireGuardImplementation::kKernel;
};

// Every WireGuard interface, sorted by name: sysfs devices with DEVTYPE=wireguard, every
// socket in `uapi_dir`, and the devices rule 3 finds. An absent directory contributes
// nothing. Throws IoError when a directory exists but cannot be read, ParseError when a
// uevent is malformed.
std::vector<WireGuardInterface> DiscoverWireGuardInterfaces(const std::string& procfs, const std::string& sysfs,
                                                            const std::string& uapi_dir);

// Reads one interface's device from one backend. Read throws IoError or ParseError (with
// the interface in the message) when the backend cannot answer: the daemon is gone, the
// kernel refused, the answer is malformed. Not thread-safe.
class WireGuardDeviceSource {
 public:
  virtual ~WireGuardDeviceSource() = default;
  virtual WireGuardDevice Read(const std::string& interface) = 0;
};

// How long one UAPI exchange may take before the daemon counts as hung.
inline constexpr std::chrono::milliseconds kUapiTimeout{1000};

// The userspace backend: get=1 on <uapi_dir>/<interface>.sock (exporter/wireguard/uapi.h).
std::unique_ptr<WireGuardDeviceSource> NewUapiDeviceSource(std::string uapi_dir,
                                                           std::chrono::milliseconds timeout = kUapiTimeout);

// The kernel backend: a generic netlink dump from `source` (the kernel, or recordings),
// parsed by exporter/wireguard/netlink.h.
std::unique_ptr<WireGuardDeviceSource> NewKernelDeviceSource(std::unique_ptr<WireGuardKernelSource> source);

}  // namespace wgtune
