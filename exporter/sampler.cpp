#include "exporter/sampler.h"


#include <cmath>
#include <exception>
#include <map>
#include <sstream>

#include "common/logging.h"

namespace wgtune {
namespace {

std::string FormatSeconds(double seconds) {
  std::ostringstream text;
  text << seconds << "s";
  return text.str();
}

}  // namespace

Sampler::Sampler(std::vector<NamedCollector> collectors, Clock clock, double interval_seconds, MetricSet constant)
    : clock_(std::move(clock)),
      window_text_(" Computed between the last two samples, --sample.interval (" + FormatSeconds(interval_seconds) +
                   ") apart."),
      constant_(std::move(constant)) {
  for (auto& named : collectors) {
    State state;
    state.rates = named.collector->Rates();
    state.named = std::move(named);
    states_.push_back(std::move(state));
  }
}

MetricSet Sampler::ComputeRates(const State& state, const MetricSet& current, double seconds) const {
  MetricSet rates;
  for (const RateSpec& spec : state.rates) {
    const prometheus::MetricFamily* now = current.Find(spec.counter);
    const prometheus::MetricFamily* before = state.last.Find(spec.counter);
    if (now == nullptr || before == nullptr) continue;
    std::map<Labels, double> previous;
    for (const auto& metric : before->metric) previous.emplace(metric.label, ValueOf(*before, metric));
    Family rate = rates.Gauge(spec.rate, spec.help + window_text_);
    for (const auto& metric : now->metric) {
      auto it = previous.find(metric.label);
      if (it == previous.end()) continue;  // a new series: no rate until its second sample
      double delta = ValueOf(*now, metric) - it->second;
      if (delta < 0) continue;  // reset or wrap: unknown this interval
      rate.Add(metric.label, delta / seconds);
    }
  }
  return rates;
}

void Sampler::SampleOnce() {
  MetricSet published;
  Family success = published.Gauge("wgtune_scrape_collector_success",
                                   "Whether the collector succeeded in the last sample (1) or failed (0).");
  Family duration = published.Gauge("wgtune_scrape_collector_duration_seconds",
                                    "Time the collector took to read and parse its sources in the last sample.");
  MetricSet collected;
  for (State& state : states_) {
    const std::string& name = state.named.name;
    double start = clock_();
    MetricSet current;
    bool ok = true;
    try {
      state.named.collector->Collect(current);
    } catch (const std::exception& error) {
      ok = false;
      Log(spdlog::level::err, "collector failed", {{"collector", name}, {"err", error.what()}});
    }
    double end = clock_();
    success.Add({{"collector", name}}, ok ? 1 : 0);
    duration.Add({{"collector", name}}, end - start);
    if (!ok) continue;

    MetricSet derived;
    if (state.has_last && end > state.last_time) {
      MetricSet rates = ComputeRates(state, current, end - state.last_time);
      state.named.collector->DeriveFromRates(rates, derived);
      derived.Append(std::move(rates));
    }
    // Keep a copy of the counters that have rates for the next interval, then hand the
    // families over for publishing.
    state.last = MetricSet();
    for (const RateSpec& spec : state.rates) {
      if (const auto* family = current.Find(spec.counter)) state.last.AppendCopy(*family);
    }
    state.last_time = end;
    state.has_last = true;
    collected.Append(std::move(current));
    collected.Append(std::move(derived));
  }
  MetricSet all = constant_;
  all.Append(std::move(collected));
  all.Append(std::move(published));
  auto text = std::make_shared<const std::string>(RenderText(all.TakeFamilies()));
  std::lock_guard lock(mutex_);
  exposition_ = std::move(text);
}

std::shared_ptr<const std::string> Sampler::Exposition() const {
  std::lock_guard lock(mutex_);
  return exposition_;
}

}  // namespace wgtune
