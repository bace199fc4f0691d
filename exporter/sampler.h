// The sampler: reads every enabled collector once per --sample.interval, keeps the last
// successful sample of each, and publishes raw counters, per-second rates and shares.
//
// This is the field guide's "take a delta, not the totals" (§3.3, §6.5) done for the
// operator: rates come from the difference between two successful samples of a collector,
// divided by the time between them. Before a collector's second success its rates are
// absent, not zero. A counter that went backwards (reset, 32-bit wrap) has no rate for
// that interval.
//
// After each sample the sampler also publishes the host's tuning configuration as a fingerprint
// (common/tuning_config.h): wgtune_tuning_config_info{fingerprint} and
// wgtune_tuning_config_changes_total. A collector that fails a sample keeps its knobs of its last
// success: a file that could not be read is not a configuration change. A collector's first
// success adds its knobs to the fingerprint without counting a change (its configuration became
// known); a change of any collector's knobs after that is counted, once per sample.
//
// Each sample also carries wgtune_exporter_sample_timestamp_seconds: the wall-clock time at which
// its last collector finished, so the end of the window of every rate and share in it (each
// collector's window ends when that collector finished, at most the sample's duration earlier).
// A scrape serves the text of the latest sample; two scrapes a sample interval apart can see the
// same sample or two, and this is how a reader tells which.
//
// A collector that fails is logged when it starts failing or its error changes, and once when it
// works again (common/condition_log.h); wgtune_scrape_collector_success says so every sample.
//
// The rendered exposition text is built once per sample and shared with every scrape, so a
// scrape costs no file reads. Thread safety: SampleOnce() is called from one thread (the
// sampling loop); Exposition() may be called concurrently from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/condition_log.h"
#include "exporter/collector.h"

namespace wgtune {

class Sampler {
 public:
  // Monotonic time in seconds (std::chrono::steady_clock in production, scripted in tests).
  using Clock = std::function<double()>;

  // `constant` families (build info) are published with every sample. `interval_seconds`
  // is named in the HELP of rate metrics. `unix_time` is the wall clock, Unix seconds, of the
  // sample timestamp (std::chrono::system_clock when empty; scripted in tests).
  Sampler(std::vector<NamedCollector> collectors, Clock clock, double interval_seconds,
          MetricSet constant = {}, Clock unix_time = {});

  // Runs every collector once, computes rates against each collector's previous success,
  // and publishes the result.
  void SampleOnce();

  // The latest exposition text; never null after the first SampleOnce().
  std::shared_ptr<const std::string> Exposition() const;

 private:
  // What a rate needs of a counter family's previous sample: per series, a hash of its
  // label list and its value. Cheaper to keep than a copy of the family.
  struct PreviousSeries {
    uint64_t labels_hash;
    double value;
  };

  struct State {
    NamedCollector named;
    std::vector<RateSpec> rates;
    // Parallel to `rates`: the counter's series at the last successful sample (nullopt
    // when that sample did not have the family).
    std::vector<std::optional<std::vector<PreviousSeries>>> previous;
    double last_time = 0;  // clock time of the last successful sample
    bool has_last = false;
    // The collector's tuning knobs at its last success (TuningKnobLines); nullopt before it.
    std::optional<std::vector<std::string>> knobs;
  };

  MetricSet ComputeRates(const State& state, const MetricSet& current, double seconds) const;
  // The tuning configuration families, from every collector's latest knobs; `knobs_changed`
  // when a collector's knobs differ from its previous success in this sample.
  MetricSet TuningConfig(bool knobs_changed);

  std::vector<State> states_;
  Clock clock_;
  Clock unix_time_;
  std::string window_text_;
  MetricSet constant_;
  double config_changes_ = 0;  // wgtune_tuning_config_changes_total
  // Collector failures, logged when a collector starts failing or fails for a new reason and
  // when it works again, not every sample.
  ConditionLog failures_;
  mutable std::mutex mutex_;
  std::shared_ptr<const std::string> exposition_;
};

}  // namespace wgtune
