// NET_RX and NET_TX softirqs per CPU, the field guide's third observation point (§3.1):
// the CPU whose NET_RX count climbs fastest is the one doing the receive work. Only the
// two network softirqs are exported; the others say nothing about network tuning.
//
// The columns are every POSSIBLE CPU, so an offline CPU appears with a flat count.
#include <string>

#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/sources/softirqs.h"

namespace wgtune {
namespace {

constexpr const char* kNetworkSoftirqs[] = {"NET_RX", "NET_TX"};

class SoftirqsCollector : public Collector {
 public:
  explicit SoftirqsCollector(const CollectorContext& context) : procfs_(context.procfs) {}

  void Collect(MetricSet& out) override {
    Softirqs softirqs = ParseSoftirqs(ReadFile(JoinPath(procfs_, "softirqs")));
    Family total = out.Counter("wgtune_softirqs_total", "Network softirqs (NET_RX, NET_TX) run on the CPU.");
    for (const char* type : kNetworkSoftirqs) {
      const SoftirqsRow* row = softirqs.Find(type);
      if (row == nullptr) continue;
      for (size_t i = 0; i < softirqs.cpus.size(); ++i) {
        total.Add({{"cpu", std::to_string(softirqs.cpus[i])}, {"type", type}}, row->counts[i]);
      }
    }
  }

  std::vector<RateSpec> Rates() const override {
    return {{"wgtune_softirqs_total", "wgtune_softirqs_per_second", "Network softirqs run per second on the CPU."}};
  }

 private:
  std::string procfs_;
};

}  // namespace

std::unique_ptr<Collector> NewSoftirqsCollector(const CollectorContext& context) {
  return std::make_unique<SoftirqsCollector>(context);
}

}  // namespace wgtune
