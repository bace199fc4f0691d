#include "exporter/wireguard/backends.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "common/errors.h"
#include "common/files.h"
#include "common/text.h"
#include "exporter/sources/net_class.h"
#include "exporter/sources/proc_comm.h"
#include "exporter/wireguard/netlink_client.h"
#include "exporter/wireguard/uapi.h"

namespace wgtune {
namespace {

constexpr std::string_view kSocketSuffix = ".sock";
constexpr std::string_view kCryptPrefix = "wg-crypt-";

// True when `path` is a unix socket; false when it is absent or anything else (wg(8) skips
// a <name>.sock that is not a socket as well).
bool IsSocket(const std::string& path) {
  struct stat status;
  if (::stat(path.c_str(), &status) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw IoError("stat " + path + ": " + std::strerror(errno));
  }
  return S_ISSOCK(status.st_mode);
}

// The comms of the kernel WireGuard crypt threads in /proc.
std::vector<std::string> ReadCryptThreadComms(const std::string& procfs) {
  std::vector<std::string> comms;
  for (const std::string& entry : ListDirectory(procfs)) {
    if (!ParseUint(entry)) continue;
    // A process that exited since the listing has no comm any more: skipped.
    std::optional<std::string> text = ReadFileIfExists(JoinPath(JoinPath(procfs, entry), "comm"));
    if (!text) continue;
    std::string_view comm = ParseComm(*text);
    if (WireGuardCryptInterface(comm)) comms.emplace_back(comm);
  }
  return comms;
}

class UapiDeviceSource : public WireGuardDeviceSource {
 public:
  UapiDeviceSource(std::string uapi_dir, std::chrono::milliseconds timeout)
      : uapi_dir_(std::move(uapi_dir)), timeout_(timeout) {}

  WireGuardDevice Read(const std::string& interface) override { return ReadUapiDevice(uapi_dir_, interface, timeout_); }

 private:
  std::string uapi_dir_;
  std::chrono::milliseconds timeout_;
};

class KernelDeviceSource : public WireGuardDeviceSource {
 public:
  explicit KernelDeviceSource(std::unique_ptr<WireGuardKernelSource> source) : source_(std::move(source)) {}

  WireGuardDevice Read(const std::string& interface) override {
    WireGuardDevice device = ReadWireGuardDevice(*source_, interface);
    device.name = interface;
    device.implementation = WireGuardImplementation::kKernel;
    return device;
  }

 private:
  std::unique_ptr<WireGuardKernelSource> source_;
};

}  // namespace

std::optional<WireGuardImplementation> DecideWireGuardImplementation(const WireGuardEvidence& evidence) {
  if (evidence.devtype == "wireguard") return WireGuardImplementation::kKernel;
  if (evidence.uapi_socket) return WireGuardImplementation::kUserspace;
  if (evidence.net_device && !evidence.devtype && !evidence.tun_flags && evidence.kernel_module &&
      evidence.crypt_thread) {
    return WireGuardImplementation::kKernel;
  }
  return std::nullopt;
}

bool CryptThreadServes(std::string_view comm, std::string_view interface) {
  std::optional<std::string_view> named = WireGuardCryptInterface(comm);
  if (!named || interface.empty()) return false;
  if (*named == interface) return true;
  // Cut to TASK_COMM_LEN - 1 bytes: only the name's first bytes survive.
  bool cut = comm.size() == kTaskCommMaxLength && StartsWith(comm, kCryptPrefix);
  return cut && StartsWith(interface, *named);
}

std::vector<WireGuardInterface> DiscoverWireGuardInterfaces(const std::string& procfs, const std::string& sysfs,
                                                            const std::string& uapi_dir) {
  std::map<std::string, WireGuardEvidence> evidence_by_name;
  const bool kernel_module = PathExists(JoinPath(sysfs, "module/wireguard"));

  for (const std::string& entry : ListDirectory(uapi_dir)) {
    if (!EndsWith(entry, kSocketSuffix) || entry.size() == kSocketSuffix.size()) continue;
    if (!IsSocket(JoinPath(uapi_dir, entry))) continue;
    evidence_by_name[entry.substr(0, entry.size() - kSocketSuffix.size())].uapi_socket = true;
  }

  // Devices that rule 3 might claim: no uevent, not a tun. Only worth a /proc scan when the
  // module is there.
  std::vector<std::string> without_uevent;
  const std::string net = JoinPath(sysfs, "class/net");
  for (const std::string& name : ListDirectory(net)) {
    const std::string relative = "class/net/" + name;
    const std::string dir = JoinPath(sysfs, relative);
    if (!IsDirectory(dir)) continue;  // bonding_masters is a file; a device may vanish meanwhile
    std::optional<std::string> devtype;
    if (std::optional<std::string> text = ReadFileIfExists(dir + "/uevent")) {
      devtype = std::string(ParseUevent(relative + "/uevent", *text).Value("DEVTYPE"));
    }
    bool tun_flags = PathExists(dir + "/tun_flags");
    auto known = evidence_by_name.find(name);
    if (devtype == "wireguard" || known != evidence_by_name.end()) {
      WireGuardEvidence& evidence = evidence_by_name[name];
      evidence.net_device = true;
      evidence.devtype = devtype;
      evidence.tun_flags = tun_flags;
    } else if (!devtype && !tun_flags && kernel_module) {
      without_uevent.push_back(name);
    }
  }

  if (!without_uevent.empty()) {
    std::vector<std::string> comms = ReadCryptThreadComms(procfs);
    for (const std::string& name : without_uevent) {
      for (const std::string& comm : comms) {
        if (!CryptThreadServes(comm, name)) continue;
        WireGuardEvidence& evidence = evidence_by_name[name];
        evidence.net_device = true;
        evidence.crypt_thread = true;
      }
    }
  }

  std::vector<WireGuardInterface> interfaces;
  for (auto& [name, evidence] : evidence_by_name) {
    evidence.kernel_module = kernel_module;
    if (std::optional<WireGuardImplementation> implementation = DecideWireGuardImplementation(evidence)) {
      interfaces.push_back({name, *implementation});
    }
  }
  return interfaces;
}

std::unique_ptr<WireGuardDeviceSource> NewUapiDeviceSource(std::string uapi_dir, std::chrono::milliseconds timeout) {
  return std::make_unique<UapiDeviceSource>(std::move(uapi_dir), timeout);
}

std::unique_ptr<WireGuardDeviceSource> NewKernelDeviceSource(std::unique_ptr<WireGuardKernelSource> source) {
  return std::make_unique<KernelDeviceSource>(std::move(source));
}

}  // namespace wgtune
