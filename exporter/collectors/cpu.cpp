// Per-CPU time by mode, and the mpstat view of it (field guide §3.2, §6.1).
//
// The counters are node_exporter's node_cpu_seconds_total; the shares are what
// `mpstat -P ALL 1` prints: for each CPU, the rate of each mode over the rate of all eight
// modes, so ratio{mode="softirq"} is mpstat's %soft (a core pinned at ~0.9 while the others
// idle is the signal of §3.2). guest and guest_nice are already inside user and nice, as in
// /proc/stat, so they are a family of their own and stay out of the sum.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/sources/proc_stat.h"

namespace wgtune {
namespace {

// USER_HZ of every kernel built for x86 and arm64; used when sysconf cannot tell.
constexpr long kDefaultTicksPerSecond = 100;

std::optional<std::string> LabelValue(const prometheus::ClientMetric& metric, const std::string& name) {
  for (const Label& label : metric.label) {
    if (label.name == name) return label.value;
  }
  return std::nullopt;
}

class CpuCollector : public Collector {
 public:
  explicit CpuCollector(const CollectorContext& context) : procfs_(context.procfs) {
    long ticks = ::sysconf(_SC_CLK_TCK);
    ticks_per_second_ = static_cast<double>(ticks > 0 ? ticks : kDefaultTicksPerSecond);
  }

  void Collect(MetricSet& out) override {
    ProcStat stat = ParseProcStat(ReadFile(JoinPath(procfs_, "stat")));
    Family seconds = out.Counter("wgtune_cpu_seconds_total", "Seconds the CPU spent in each mode since boot.");
    Family guest = out.Counter("wgtune_cpu_guest_seconds_total",
                               "Seconds the CPU spent running guests, already included in the user and nice modes.");
    for (const ProcStatCpu& cpu : stat.cpus) {
      const std::string number = std::to_string(cpu.cpu);
      const CpuTimes& times = cpu.times;
      const std::pair<const char*, std::optional<uint64_t>> modes[] = {
          {"user", times.user},       {"nice", times.nice}, {"system", times.system},   {"idle", times.idle},
          {"iowait", times.iowait}, {"irq", times.irq},   {"softirq", times.softirq}, {"steal", times.steal},
      };
      for (const auto& [mode, ticks] : modes) {
        if (ticks) seconds.Add({{"cpu", number}, {"mode", mode}}, *ticks / ticks_per_second_);
      }
      if (times.guest) guest.Add({{"cpu", number}, {"mode", "user"}}, *times.guest / ticks_per_second_);
      if (times.guest_nice) guest.Add({{"cpu", number}, {"mode", "nice"}}, *times.guest_nice / ticks_per_second_);
    }
  }

  std::vector<RateSpec> Rates() const override {
    return {{"wgtune_cpu_seconds_total", "wgtune_cpu_seconds_per_second",
             "Seconds per second the CPU spent in each mode."}};
  }

  // A mode without a rate this interval (its counter went backwards, as iowait can on
  // NO_HZ kernels) contributes nothing, as in mpstat. A CPU without an idle rate is left
  // out: every share of it would be inflated, and a false hot core is worse than none.
  void DeriveFromRates(const MetricSet& rates, MetricSet& out) const override {
    const prometheus::MetricFamily* seconds = rates.Find("wgtune_cpu_seconds_per_second");
    if (seconds == nullptr) return;

    struct CpuRates {
      std::string cpu;
      std::vector<std::pair<std::string, double>> modes;
      double total = 0;
    };
    std::vector<CpuRates> cpus;  // in exposition order of the rates
    std::map<std::string, size_t> index;
    for (const auto& metric : seconds->metric) {
      std::optional<std::string> cpu = LabelValue(metric, "cpu");
      std::optional<std::string> mode = LabelValue(metric, "mode");
      if (!cpu || !mode) continue;
      auto [it, inserted] = index.emplace(*cpu, cpus.size());
      if (inserted) cpus.push_back({*cpu, {}, 0});
      double rate = ValueOf(*seconds, metric);
      cpus[it->second].modes.emplace_back(*mode, rate);
      cpus[it->second].total += rate;
    }

    Family ratio = out.Gauge("wgtune_cpu_mode_ratio",
                             "Share of the CPU's time spent in each mode over the last interval, as in mpstat.");
    Family busy = out.Gauge("wgtune_cpu_busy_ratio",
                            "Share of the CPU's time spent neither idle nor waiting for I/O over the last interval.");
    for (const CpuRates& cpu : cpus) {
      const bool has_idle = std::any_of(cpu.modes.begin(), cpu.modes.end(), [](const auto& m) { return m.first == "idle"; });
      if (cpu.total <= 0 || !has_idle) continue;
      double not_busy = 0;
      for (const auto& [mode, rate] : cpu.modes) {
        ratio.Add({{"cpu", cpu.cpu}, {"mode", mode}}, rate / cpu.total);
        if (mode == "idle" || mode == "iowait") not_busy += rate;
      }
      busy.Add({{"cpu", cpu.cpu}}, std::clamp(1 - not_busy / cpu.total, 0.0, 1.0));
    }
  }

 private:
  std::string procfs_;
  double ticks_per_second_;
};

}  // namespace

std::unique_ptr<Collector> NewCpuCollector(const CollectorContext& context) {
  return std::make_unique<CpuCollector>(context);
}

}  // namespace wgtune
