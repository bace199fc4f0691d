// Helpers for tests that look at what a collector put into a MetricSet.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/metric_set.h"

namespace wgtune {

// The value of the series of `family` labelled exactly `labels` (same order); nullopt when
// the family or the series is absent.
inline std::optional<double> Value(const MetricSet& set, const std::string& family, const Labels& labels) {
  const prometheus::MetricFamily* found = set.Find(family);
  if (found == nullptr) return std::nullopt;
  for (const auto& metric : found->metric) {
    if (metric.label == labels) return ValueOf(*found, metric);
  }
  return std::nullopt;
}

// Number of series of a family; 0 when it is absent.
inline size_t SeriesCount(const MetricSet& set, const std::string& family) {
  const prometheus::MetricFamily* found = set.Find(family);
  return found == nullptr ? 0 : found->metric.size();
}

// Every series of a family, label list → value.
inline std::map<Labels, double> Series(const MetricSet& set, const std::string& family) {
  std::map<Labels, double> series;
  if (const prometheus::MetricFamily* found = set.Find(family)) {
    for (const auto& metric : found->metric) series[metric.label] = ValueOf(*found, metric);
  }
  return series;
}

}  // namespace wgtune
