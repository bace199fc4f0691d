// Conntrack failures summed over CPUs (field guide §5.2: "Conntrack insert_failed —
// conntrack table full → nf_conntrack_max"), and the table's size.
//
// Source: /proc/net/stat/nf_conntrack (see exporter/sources/nf_conntrack_stat.h). Counters
// are read by column name, so a counter this kernel's header lacks is an absent series.
// The file is absent without CONFIG_NF_CONNTRACK_PROCFS or while nf_conntrack is not
// loaded (a host without NAT or stateful rules): then there are no metrics, and that is
// not a failure. The per-CPU rows are u32 and wrap; the sum does too, and the sampler
// publishes no rate for an interval in which a counter went backwards.
#include <optional>
#include <string>

#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/sources/nf_conntrack_stat.h"

namespace wgtune {
namespace {

struct ConntrackCounter {
  const char* column;
  const char* metric;
  const char* help;
};

constexpr ConntrackCounter kConntrackCounters[] = {
    {"insert_failed", "wgtune_conntrack_insert_failed_total",
     "Conntrack entries whose insertion into the table failed."},
    {"drop", "wgtune_conntrack_drop_total",
     "Packets dropped because conntrack failed for them (no entry could be allocated, or a helper dropped them)."},
    {"early_drop", "wgtune_conntrack_early_drop_total",
     "Conntrack entries evicted early to make room in a full table."},
    {"invalid", "wgtune_conntrack_invalid_total", "Packets conntrack could not track (invalid state or headers)."},
    {"search_restart", "wgtune_conntrack_search_restart_total",
     "Conntrack table lookups restarted because the table was resized or changed under them."},
};

class ConntrackCollector : public Collector {
 public:
  explicit ConntrackCollector(const CollectorContext& context) : procfs_(context.procfs) {}

  void Collect(MetricSet& out) override {
    std::optional<std::string> text = ReadFileIfExists(JoinPath(procfs_, "net/stat/nf_conntrack"));
    if (!text) return;
    NfConntrackStat stat = ParseNfConntrackStat(*text);
    if (stat.entries) {
      out.Gauge("wgtune_conntrack_entries", "Entries in the conntrack table.")
          .Add({}, static_cast<double>(*stat.entries));
    }
    for (const ConntrackCounter& counter : kConntrackCounters) {
      std::optional<uint64_t> total = stat.Total(counter.column);
      if (!total) continue;
      out.Counter(counter.metric, counter.help).Add({}, static_cast<double>(*total));
    }
  }

  std::vector<RateSpec> Rates() const override {
    return {
        {"wgtune_conntrack_insert_failed_total", "wgtune_conntrack_insert_failed_per_second",
         "Failed conntrack insertions per second."},
        {"wgtune_conntrack_drop_total", "wgtune_conntrack_drop_per_second", "Packets dropped by conntrack per second."},
        {"wgtune_conntrack_early_drop_total", "wgtune_conntrack_early_drop_per_second",
         "Conntrack entries evicted early per second."},
    };
  }

 private:
  std::string procfs_;
};

}  // namespace

std::unique_ptr<Collector> NewConntrackCollector(const CollectorContext& context) {
  return std::make_unique<ConntrackCollector>(context);
}

}  // namespace wgtune
