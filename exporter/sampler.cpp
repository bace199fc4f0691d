#include "exporter/sampler.h"


#include <chrono>
#include <exception>
#include <optional>
#include <unordered_map>

#include "common/condition_log.h"
#include "common/logging.h"
#include "common/text.h"
#include "common/fnv1a.h"
#include "common/tuning_config.h"

namespace wgtune {
namespace {

// FNV-1a over the label names and values, with separators so that {a="bc"} and {ab="c"}
// differ. 64 bits make a collision between the series of one family vanishingly unlikely.
uint64_t HashLabels(const Labels& labels) {
  Fnv1a64 hash;
  for (const Label& label : labels) {
    hash.Add(label.name);
    hash.Add(label.value);
  }
  return hash.value();
}

double SystemUnixTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Sampler::Sampler(std::vector<NamedCollector> collectors, Clock clock, double interval_seconds, MetricSet constant,
                 Clock unix_time)
    : clock_(std::move(clock)),
      unix_time_(unix_time ? std::move(unix_time) : SystemUnixTime),
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
  for (size_t r = 0; r < state.rates.size(); ++r) {
    const RateSpec& spec = state.rates[r];
    const prometheus::MetricFamily* now = current.Find(spec.counter);
    const auto& before = state.previous[r];
    if (now == nullptr || !before) continue;
    Family rate = rates.Gauge(spec.rate, spec.help + window_text_);
    // Collectors add series in a stable order, so the previous value is almost always at the
    // same index; the lookup table is only built when a series came or went.
    std::unordered_map<uint64_t, double> by_hash;
    for (size_t i = 0; i < now->metric.size(); ++i) {
      const prometheus::ClientMetric& metric = now->metric[i];
      uint64_t hash = HashLabels(metric.label);
      std::optional<double> before_value;
      if (i < before->size() && (*before)[i].labels_hash == hash) {
        before_value = (*before)[i].value;
      } else {
        if (by_hash.empty()) {
          for (const PreviousSeries& old : *before) by_hash.emplace(old.labels_hash, old.value);
        }
        if (auto it = by_hash.find(hash); it != by_hash.end()) before_value = it->second;
      }
      if (!before_value) continue;  // a new series: no rate until its second sample
      double delta = ValueOf(*now, metric) - *before_value;
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
  bool knobs_changed = false;
  for (State& state : states_) {
    const std::string& name = state.named.name;
    double start = clock_();
    MetricSet current;
    bool ok = true;
    try {
      state.named.collector->Collect(current);
      failures_.End(name, "collector works again", {{"collector", name}});
    } catch (const std::exception& error) {
      ok = false;
      // Once per failure and reason: a collector refused a permission fails alike every sample.
      failures_.Begin(name, "collector failed", {{"collector", name}}, error.what(), spdlog::level::err);
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
    // Keep what the next interval's rates need, then hand the families over for publishing.
    state.previous.assign(state.rates.size(), std::nullopt);
    for (size_t r = 0; r < state.rates.size(); ++r) {
      const prometheus::MetricFamily* family = current.Find(state.rates[r].counter);
      if (family == nullptr) continue;
      auto& series = state.previous[r].emplace();
      series.reserve(family->metric.size());
      for (const auto& metric : family->metric) series.push_back({HashLabels(metric.label), ValueOf(*family, metric)});
    }
    state.last_time = end;
    state.has_last = true;
    std::vector<std::string> knobs = TuningKnobLines(current);
    if (state.knobs && *state.knobs != knobs) knobs_changed = true;
    state.knobs = std::move(knobs);
    collected.Append(std::move(current));
    collected.Append(std::move(derived));
  }
  // After the last collector: every rate window of this sample ends at or before this time.
  published
      .Gauge("wgtune_exporter_sample_timestamp_seconds",
             "Unix time at which the sample being served was taken: the end of the window of every rate and share "
             "it serves.")
      .Add({}, unix_time_());
  MetricSet all = constant_;
  all.Append(std::move(collected));
  all.Append(std::move(published));
  all.Append(TuningConfig(knobs_changed));
  auto text = std::make_shared<const std::string>(RenderText(all.families()));
  std::lock_guard lock(mutex_);
  exposition_ = std::move(text);
}

MetricSet Sampler::TuningConfig(bool knobs_changed) {
  if (knobs_changed) ++config_changes_;
  MetricSet config;
  std::vector<std::string> lines;
  bool known = false;
  for (const State& state : states_) {
    if (!state.knobs) continue;
    known = true;
    lines.insert(lines.end(), state.knobs->begin(), state.knobs->end());
  }
  // Before any collector succeeded there is no configuration to name.
  if (known) {
    config
        .Gauge("wgtune_tuning_config_info",
               "Fingerprint of the host's tuning knobs (sysctls, RPS, MTUs, rings, channels, RSS hash, NIC offloads, "
               "IRQ affinity, qdiscs, irqbalance, WireGuard implementation): equal on hosts configured alike; value 1.")
        .Add({{"fingerprint", TuningFingerprint(std::move(lines))}}, 1);
  }
  config.Counter("wgtune_tuning_config_changes_total",
                 "Samples in which a tuning knob changed since the exporter started.")
      .Add({}, config_changes_);
  return config;
}

std::shared_ptr<const std::string> Sampler::Exposition() const {
  std::lock_guard lock(mutex_);
  return exposition_;
}

}  // namespace wgtune
