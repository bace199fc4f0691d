// Exporters the advisor scrapes itself (--target), each with a history of its recent scrapes,
// so that rules over counters see every event of their window without a Prometheus server.
//
// Every scrape is placed at the time its data was sampled: the exporter's own
// wgtune_exporter_sample_timestamp_seconds where it publishes it (a scrape returns the text
// of the exporter's last sample, so two scrapes a sample interval apart can carry one sample
// twice or skip one; placed at the sample time, the same sample is appended once and the
// window between two samples is exactly theirs), otherwise the time the scrape started.
//
// Not thread-safe to share. Targets are scraped one after the other, or, with set_parallel (the
// run daemon), all at once, one thread each, so that a target that hangs costs the others
// nothing and a round costs one timeout at most. One after the other is the default because a
// scrape is placed at the time it started (for exporters that do not publish their sample
// times): many at once against one slow server would place each a little earlier than the data
// it got, and check's rates over a few seconds would be off by that.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "advisor/sources/scrape_history.h"
#include "advisor/sources/target.h"

namespace wgtune {

// When the scrape's data was sampled (see above), in milliseconds, and whether the exporter
// said so (false: the scrape's own time).
std::pair<promql::Timestamp, bool> SampleTime(const ScrapeResult& scrape);

// The exporter's --sample.interval as it publishes it (wgtune_exporter_sample_interval_seconds);
// nullopt for an exporter too old to publish it, or a value that is not a positive number.
std::optional<double> ExporterSampleInterval(const promql::Vector& samples);

struct TargetHost {
  std::string url;       // TargetUrl of what was given
  std::string instance;  // the instance label (the target as given, if its URL is malformed)
  std::unique_ptr<ScrapeHistory> history;
  std::string error;     // why the last scrape failed; "" when it succeeded
  std::optional<double> sample_interval;  // as the exporter publishes it
  bool scraped = false;  // at least one scrape succeeded
  // The exporter publishes its sample times: the history holds one scrape per exporter sample,
  // each at the exact time the exporter took it.
  bool exporter_sample_times = false;

  // Seconds between the oldest and the newest sample of the history (0 without two).
  double HistorySeconds() const;
};

class TargetSet {
 public:
  // `retention` and `keep` as ScrapeHistory takes them, for every target; `http` for every
  // scrape (its timeout is the scrape timeout).
  TargetSet(const std::vector<std::string>& targets, promql::Timestamp retention, ScrapeHistory::Keep keep,
            HttpOptions http);

  // Scrapes every target once (or only those `wanted` accepts) and appends what each returned;
  // returns when every scrape has ended.
  void ScrapeAll();
  void ScrapeIf(const std::function<bool(const TargetHost&)>& wanted);

  // No scrape lasts past `time` (a daemon's next evaluation); nullopt: only the timeout.
  void set_not_after(std::optional<HttpOptions::Clock::time_point> time) { http_.not_after = time; }
  // Scrapes run all at once (see above).
  void set_parallel(bool parallel) { parallel_ = parallel; }

  std::vector<TargetHost>& hosts() { return hosts_; }
  const std::vector<TargetHost>& hosts() const { return hosts_; }

 private:
  void Scrape(TargetHost& host);

  std::vector<TargetHost> hosts_;
  HttpOptions http_;
  bool parallel_ = false;
};

}  // namespace wgtune
