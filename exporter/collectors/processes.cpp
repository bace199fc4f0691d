// Processes whose presence matters for tuning (field guide §6.3: irqbalance often undoes
// manual IRQ pinning on cloud VMs) and the kernel WireGuard crypt threads (§3.4).
//
// Source: /proc/<pid>/comm for every numeric entry of /proc (fs/proc/base.c), and nothing
// else per pid, so a scan of a few thousand processes stays cheap. A configured name is
// compared with the comm on its first 15 bytes, because the kernel cuts comm to that
// (a name like "netbird-signal-server" still matches). Only thread-group leaders are
// listed in /proc, so threads of a process are not counted; kernel threads are their own
// leaders and are listed. A process that exits during the scan is skipped. Any user may read
// any comm, unless /proc is mounted with hidepid: then pid 1 is missing from the listing
// (invisible) or its comm is refused (noaccess), and the collector fails (PermissionError)
// rather than report processes as not running.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/files.h"
#include "common/text.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/sources/proc_comm.h"

namespace wgtune {
namespace {

constexpr char kHidepidHint[] =
    " (/proc hides other users' processes, hidepid=: mount it with gid= a group the exporter's user is in, or run "
    "it as root)";

class ProcessesCollector : public Collector {
 public:
  explicit ProcessesCollector(const CollectorContext& context) : procfs_(context.procfs) {
    if (context.config == nullptr) return;
    for (const std::string& name : context.config->processes) {
      if (!name.empty() && std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
    }
  }

  void Collect(MetricSet& out) override {
    std::map<std::string, int> count_by_name;
    for (const std::string& name : names_) count_by_name[name] = 0;
    std::map<std::string, int> crypt_workers_by_interface;

    bool saw_pids = false;
    bool saw_init = false;
    for (const std::string& entry : ListDirectory(procfs_)) {
      if (!ParseUint(entry)) continue;
      saw_pids = true;
      if (entry == "1") saw_init = true;
      std::optional<std::string> text = ReadComm(entry);
      if (!text) continue;
      std::string_view comm = ParseComm(*text);
      for (auto& [name, count] : count_by_name) {
        if (comm == std::string_view(name).substr(0, kTaskCommMaxLength)) ++count;
      }
      if (std::optional<std::string_view> interface = WireGuardCryptInterface(comm)) {
        ++crypt_workers_by_interface[std::string(*interface)];
      }
    }

    // Every pid namespace has a pid 1. Not listing it means /proc hides other users' processes
    // (hidepid=invisible) from this user: a "0 running" would then be a guess, not a fact.
    if (saw_pids && !saw_init) {
      throw PermissionError("processes: " + procfs_ + " lists no pid 1" + kHidepidHint);
    }
    Family running = out.Gauge("wgtune_process_running", "Whether a process with this name runs (1) or not (0).");
    // Not wgtune_process_count: a gauge must not end in _count (promtool check metrics).
    Family count = out.Gauge("wgtune_processes", "Number of processes with this name.");
    for (const std::string& name : names_) {
      int matches = count_by_name[name];
      running.Add({{"name", name}}, matches > 0 ? 1 : 0);
      count.Add({{"name", name}}, matches);
    }
    Family crypt = out.Gauge("wgtune_wireguard_crypt_workers",
                             "Kernel WireGuard crypt threads (the wg-crypt workqueue rescuer) per interface.");
    for (const auto& [interface, workers] : crypt_workers_by_interface) crypt.Add({{"interface", interface}}, workers);
  }

 private:
  // The comm of a pid, or nullopt when the process exited since its directory was listed
  // (ENOENT or ESRCH, which ReadFileIfExists reports as absent).
  // PermissionError when /proc is mounted with hidepid=noaccess: pids listed, comms refused.
  std::optional<std::string> ReadComm(const std::string& pid) const {
    try {
      return ReadFileIfExists(JoinPath(JoinPath(procfs_, pid), "comm"));
    } catch (const PermissionError& error) {
      throw PermissionError(std::string("processes: ") + error.what() + kHidepidHint);
    }
  }

  std::string procfs_;
  std::vector<std::string> names_;
};

}  // namespace

std::unique_ptr<Collector> NewProcessesCollector(const CollectorContext& context) {
  return std::make_unique<ProcessesCollector>(context);
}

}  // namespace wgtune
