// Per-CPU packet processing of the receive softirq: backlog drops and budget squeezes.
//
// The field guide's drop counter #2 (§5.1) and the symptom of §4.5: column 2 of
// /proc/net/softnet_stat climbing means a CPU's backlog overflowed (netdev_max_backlog),
// typically after RPS starts steering packets to it; time_squeeze climbing means the
// softirq ran out of netdev_budget / netdev_budget_usecs with packets left. The counters
// are 32-bit and wrap; the sampler gives no rate for an interval in which one went back.
//
// Before 5.10 a row does not say which CPU it is; the collector places it by the online CPU
// list, and where that cannot tell, labels it by row number, counts it in
// wgtune_softnet_cpu_unknown_rows and logs so once while it lasts. That log is the collector's
// only state.
#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include "common/condition_log.h"
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
    RowCpus cpus = CpusOfRows(stat);
    if (cpus.unknown > 0) {
      unknown_log_.Begin("softnet", "softnet: CPU of rows unknown, labelled by row number", {},
                         std::to_string(cpus.unknown) + " of " + std::to_string(stat.rows.size()) +
                             " rows have no CPU column and the online CPU list does not tell");
    } else {
      unknown_log_.End("softnet", "softnet: CPU of every row known again", {});
    }

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
      if (!cpus.labels[i]) continue;
      Labels labels = {{"cpu", *cpus.labels[i]}};
      processed.Add(labels, row.processed);
      dropped.Add(labels, row.dropped);
      squeezed.Add(labels, row.time_squeeze);
      if (row.received_rps) received_rps.Add(labels, *row.received_rps);
      if (row.flow_limit_count) flow_limit.Add(labels, *row.flow_limit_count);
      // On 6.4+ backlog_len is input_qlen + process_qlen: the sum is the signal.
      if (row.backlog_len) backlog.Add(labels, *row.backlog_len);
    }
    out.Gauge("wgtune_softnet_cpu_unknown_rows",
              "Rows of softnet_stat whose CPU is not known: the kernel prints no CPU column (before 5.10) and "
              "the online CPU list is absent or counts other CPUs; they are labelled by row number, or left out where "
              "another row names that CPU.")
        .Add({}, static_cast<double>(cpus.unknown));
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
  struct RowCpus {
    std::vector<std::optional<std::string>> labels;  // per row; nullopt: left out, its CPU is taken
    size_t unknown = 0;                               // rows labelled by guess or left out
  };

  // The cpu label of each row, row by row as the parser reads them. A row with column 13
  // (5.10+) names its CPU. A row without it is the k-th online CPU when the online list has one
  // CPU per row (the kernel prints one row per online CPU, in order); if that list is absent or
  // disagrees (a CPU went on- or offline between the two reads), the row number is the best
  // remaining guess, and the row counts as unknown. A guess that collides with a CPU another row
  // names is left out (one series per CPU), and counts as unknown too.
  RowCpus CpusOfRows(const SoftnetStat& stat) const {
    RowCpus cpus;
    std::vector<unsigned> online;
    bool all_indexed = std::all_of(stat.rows.begin(), stat.rows.end(), [](const auto& row) { return row.cpu; });
    if (!all_indexed) {
      if (std::optional<std::string> list = ReadAttribute(JoinPath(sysfs_, "devices/system/cpu/online"))) {
        online = CpuSet::FromList(*list).Cpus();
      }
    }
    const bool by_online = online.size() == stat.rows.size();
    std::set<std::string> taken;
    for (const SoftnetStatRow& row : stat.rows) {
      if (row.cpu) taken.insert(std::to_string(*row.cpu));
    }
    for (size_t i = 0; i < stat.rows.size(); ++i) {
      const SoftnetStatRow& row = stat.rows[i];
      if (row.cpu) {
        cpus.labels.push_back(std::to_string(*row.cpu));
        continue;
      }
      std::string label = std::to_string(by_online ? online[i] : i);
      if (!by_online) ++cpus.unknown;
      if (!taken.insert(label).second) {
        if (by_online) ++cpus.unknown;
        cpus.labels.push_back(std::nullopt);
        continue;
      }
      cpus.labels.push_back(std::move(label));
    }
    return cpus;
  }

  ConditionLog unknown_log_;  // "the CPU of some rows is unknown", once while it lasts
  std::string procfs_;
  std::string sysfs_;
};

}  // namespace

std::unique_ptr<Collector> NewSoftnetCollector(const CollectorContext& context) {
  return std::make_unique<SoftnetCollector>(context);
}

}  // namespace wgtune
