// The advisor's own recent scrapes of one exporter, as a SeriesSource with Prometheus's
// semantics, so that rules over counters (rate(x[1m])) count every event between evaluations
// without a Prometheus server.
//
// What is kept: the whole latest scrape, for instant selectors and the templates' queries; and,
// of the series `keep` accepts (those the rules' range selectors can select), every sample of
// the last `retention`: the longest range a rule uses, plus one scrape interval so that a
// sample at the range's start is still there. Memory is therefore bounded by the rules, not
// by the exporter: a history of 1 minute of 12 scrapes of the series a handful of rules read.
//
// Semantics, as a Prometheus server that scraped at the same instants would answer:
// - Select(time): the scrape at or before `time` that is newest, if within the 5-minute
//   lookback; a series absent from it is stale (Prometheus writes a staleness marker when a
//   series disappears from a scrape) and not returned, even if an older scrape had it.
// - SelectRange(time, range): each kept series' samples in [time - range, time]; a series not
//   kept has only the latest scrape's sample, if that lies in the range.
// Samples are appended in time order; an Append at or before the newest time is ignored (two
// scrapes of one exporter sample carry the same data: the caller stamps scrapes with the
// exporter's sample time where it publishes one).
//
// Not thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "advisor/promql/eval.h"

namespace wgtune {

class ScrapeHistory : public promql::SeriesSource {
 public:
  using Keep = std::function<bool(const promql::Labels&)>;

  // `keep` null keeps every series.
  ScrapeHistory(promql::Timestamp retention, Keep keep = nullptr);

  // Returns false (and keeps nothing) when `time` is not after the newest scrape.
  bool Append(promql::Timestamp time, promql::Vector samples);

  // Times of the retained scrapes, oldest first: how much history there is.
  const std::deque<promql::Timestamp>& times() const { return times_; }

  promql::Vector Select(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time) override;
  promql::Matrix SelectRange(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time,
                             promql::Timestamp range) override;

 private:
  static constexpr promql::Timestamp kLookback = 5 * 60 * 1000;  // Prometheus's default

  // The newest retained scrape at or before `time`, if any.
  std::optional<promql::Timestamp> ScrapeAt(promql::Timestamp time) const;

  promql::Timestamp retention_;
  Keep keep_;
  std::deque<promql::Timestamp> times_;
  promql::Vector latest_;                                     // the newest scrape, whole
  std::map<promql::Labels, std::deque<promql::Point>> kept_;  // the kept series' samples
};

}  // namespace wgtune
