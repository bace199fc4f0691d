// Per-CPU packet processing of the receive softirq: backlog drops and budget squeezes.
//
// The field guide's drop counter #2 (§5.1) and the symptom of §4.5: column 2 of
// /proc/net/softnet_stat climbing means a CPU's backlog overflowed (netdev_max_backlog),
// typically after RPS starts steering packets to it; time_squeeze climbing means the
// softirq ran out of netdev_budget / netdev_budget_usecs with packets left. The counters
// are 32-bit and wrap; the sampler gives no rate for an interval in which one went back.
#include <optional>
#include <string>

#include "common/cpu_set.h"
#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/sources/softnet_stat.h"

namespace wgtune {
namespace {

class SoftnetCollector : public Collector {
 public:
  explicit SoftnetCollector(const CollectorContext& context) : procfs_(context.procfs), sysfs_(context.sysfs) {}

  void Collect(MetricSet& out) override {
    SoftnetStat stat = ParseSoftnetStat(ReadFile(JoinPath(procfs_, "net/softnet_stat")));
    std::vector<std::string> cpus = RowCpus(stat);

    Family processed = out.Counter("wgtune_softnet_processed_total",
                                   "Packets processed by the CPU's network receive softirq.");
    Family dropped = out.Counter("wgtune_softnet_dropped_total",
                                 "Packets dropped because the CPU's backlog queue was full (netdev_max_backlog).");
    Family squeezed =
        out.Counter("wgtune_softnet_times_squeezed_total",
                    "Times the receive softirq ran out of netdev_budget or netdev_budget_usecs with work left.");
    Family received_rps = out.Counter("wgtune_softnet_received_rps_total",
                                      "RPS inter-processor interrupts the CPU received to process steered packets.");
    Family flow_limit = out.Counter("wgtune_softnet_flow_limit_count_total",
                                    "Packets dropped on the CPU by the RPS flow limit.");
    Family backlog = out.Gauge("wgtune_softnet_backlog_len",
                               "Packets waiting in the CPU's backlog queues when sampled.");
    for (size_t i = 0; i < stat.rows.size(); ++i) {
      const SoftnetStatRow& row = stat.rows[i];
      Labels labels = {{"cpu", cpus[i]}};
      processed.Add(labels, row.processed);
      dropped.Add(labels, row.dropped);
      squeezed.Add(labels, row.time_squeeze);
      if (row.received_rps) received_rps.Add(labels, *row.received_rps);
      if (row.flow_limit_count) flow_limit.Add(labels, *row.flow_limit_count);
      // On 6.4+ backlog_len is input_qlen + process_qlen: the sum is the signal.
      if (row.backlog_len) backlog.Add(labels, *row.backlog_len);
    }
  }

  std::vector<RateSpec> Rates() const override {
    return {
        {"wgtune_softnet_processed_total", "wgtune_softnet_processed_per_second",
         "Packets processed per second by the CPU's network receive softirq."},
        {"wgtune_softnet_dropped_total", "wgtune_softnet_dropped_per_second",
         "Packets dropped per second because the CPU's backlog queue was full."},
        {"wgtune_softnet_times_squeezed_total", "wgtune_softnet_times_squeezed_per_second",
         "Times per second the receive softirq ran out of budget with work left."},
    };
  }

 private:
  // The cpu label of each row. Kernels from 5.10 print the CPU in column 13. Older ones
  // print one row per online CPU in ascending order, so the k-th row is the k-th online
  // CPU; if that list is unavailable or disagrees (a CPU went on- or offline between the
  // two reads), the row number is the best remaining guess.
  std::vector<std::string> RowCpus(const SoftnetStat& stat) const {
    std::vector<std::string> cpus;
    cpus.reserve(stat.rows.size());
    if (stat.rows.front().cpu) {
      for (const SoftnetStatRow& row : stat.rows) cpus.push_back(std::to_string(*row.cpu));
      return cpus;
    }
    std::vector<unsigned> online;
    if (std::optional<std::string> list = ReadAttribute(JoinPath(sysfs_, "devices/system/cpu/online"))) {
      online = CpuSet::FromList(*list).Cpus();
    }
    for (size_t i = 0; i < stat.rows.size(); ++i) {
      cpus.push_back(std::to_string(online.size() == stat.rows.size() ? online[i] : i));
    }
    return cpus;
  }

  std::string procfs_;
  std::string sysfs_;
};

}  // namespace

std::unique_ptr<Collector> NewSoftnetCollector(const CollectorContext& context) {
  return std::make_unique<SoftnetCollector>(context);
}

}  // namespace wgtune
