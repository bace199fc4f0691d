#include "advisor/sources/scrape_history.h"

#include <algorithm>

namespace wgtune {

ScrapeHistory::ScrapeHistory(promql::Timestamp retention, Keep keep) : retention_(retention), keep_(std::move(keep)) {}

bool ScrapeHistory::Append(promql::Timestamp time, promql::Vector samples) {
  if (!times_.empty() && time <= times_.back()) return false;
  times_.push_back(time);
  for (const promql::Sample& sample : samples) {
    if (!keep_ || keep_(sample.labels)) kept_[sample.labels].push_back(promql::Point{time, sample.value});
  }
  latest_ = std::move(samples);
  const promql::Timestamp cutoff = time - retention_;
  while (times_.front() < cutoff) times_.pop_front();
  for (auto it = kept_.begin(); it != kept_.end();) {
    std::deque<promql::Point>& points = it->second;
    while (!points.empty() && points.front().t < cutoff) points.pop_front();
    it = points.empty() ? kept_.erase(it) : std::next(it);
  }
  return true;
}

std::optional<promql::Timestamp> ScrapeHistory::ScrapeAt(promql::Timestamp time) const {
  auto after = std::upper_bound(times_.begin(), times_.end(), time);
  if (after == times_.begin()) return std::nullopt;
  return *std::prev(after);
}

promql::Vector ScrapeHistory::Select(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time) {
  std::optional<promql::Timestamp> scrape = ScrapeAt(time);
  if (!scrape || time - *scrape > kLookback) return {};
  const promql::MatcherSet wanted(matchers);
  promql::Vector out;
  if (*scrape == times_.back()) {
    for (const promql::Sample& sample : latest_) {
      if (wanted.Matches(sample.labels)) out.push_back(sample);
    }
    return out;
  }
  // An earlier scrape: only the kept series remember it.
  for (const auto& [labels, points] : kept_) {
    if (!wanted.Matches(labels)) continue;
    auto at = std::lower_bound(points.begin(), points.end(), *scrape,
                               [](const promql::Point& point, promql::Timestamp t) { return point.t < t; });
    if (at != points.end() && at->t == *scrape) out.push_back(promql::Sample{labels, at->v});
  }
  return out;
}

promql::Matrix ScrapeHistory::SelectRange(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time,
                                          promql::Timestamp range) {
  const promql::Timestamp start = time - range;
  const promql::MatcherSet wanted(matchers);
  promql::Matrix out;
  for (const auto& [labels, points] : kept_) {
    if (!wanted.Matches(labels)) continue;
    promql::Series series{labels, {}};
    for (const promql::Point& point : points) {
      if (point.t >= start && point.t <= time) series.points.push_back(point);
    }
    if (!series.points.empty()) out.push_back(std::move(series));
  }
  if (keep_ && !times_.empty() && times_.back() >= start && times_.back() <= time) {
    for (const promql::Sample& sample : latest_) {
      if (!keep_(sample.labels) && wanted.Matches(sample.labels)) {
        out.push_back(promql::Series{sample.labels, {promql::Point{times_.back(), sample.value}}});
      }
    }
  }
  return out;
}

}  // namespace wgtune
