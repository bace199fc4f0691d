// CPU topology: how many CPUs are online, present and possible.
//
// The advisor needs the online count to build an RPS / IRQ mask the kernel accepts (§4.3),
// and the lists tell an operator which CPUs the per-CPU series can name. Source:
// Documentation/ABI/testing/sysfs-devices-system-cpu (cpulist format).
#include <optional>

#include "common/cpu_set.h"
#include "common/files.h"
#include "exporter/collector.h"

namespace wgtune {
namespace {

class CpusCollector : public Collector {
 public:
  explicit CpusCollector(const CollectorContext& context) : sysfs_(context.sysfs) {}

  void Collect(MetricSet& out) override {
    Family count = out.Gauge("wgtune_cpus", "Number of CPUs by state (online, present, possible).");
    Family info = out.Gauge("wgtune_cpus_info", "CPU list by state, in the kernel's cpulist format; value 1.");
    for (const char* state : {"online", "present", "possible"}) {
      std::string path = JoinPath(sysfs_, std::string("devices/system/cpu/") + state);
      // online is required (every kernel since 2.6 has it); present/possible may be hidden.
      std::optional<std::string> text = state == std::string("online") ? ReadFile(path) : ReadFileIfExists(path);
      if (!text) continue;
      CpuSet cpus = CpuSet::FromList(*text);
      count.Add({{"state", state}}, cpus.Count());
      info.Add({{"state", state}, {"cpus", cpus.ToList()}}, 1);
    }
  }

 private:
  std::string sysfs_;
};

}  // namespace

std::unique_ptr<Collector> NewCpusCollector(const CollectorContext& context) {
  return std::make_unique<CpusCollector>(context);
}

}  // namespace wgtune
