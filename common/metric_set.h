// The exporter's in-memory metric model: what one collector produces in one sample.
//
// A thin builder over prometheus-cpp's MetricFamily (prometheus-cpp core serialises it).
// Collectors only add families and series; they never format text. Families keep the
// order in which they were started and series the order in which they were added, so the
// exposition is deterministic (the golden end-to-end test relies on it).
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace wgtune {

using Label = prometheus::ClientMetric::Label;
using Labels = std::vector<Label>;

class MetricSet;

// A handle on one family of a MetricSet; cheap to copy, valid while the set lives.
class Family {
 public:
  // Adds one series. Labels are kept in the order given; use the same order for every
  // series of a family (the sampler matches series of two samples by their label list).
  Family& Add(Labels labels, double value);

 private:
  friend class MetricSet;
  Family(MetricSet* set, size_t index) : set_(set), index_(index) {}
  MetricSet* set_;
  size_t index_;
};

class MetricSet {
 public:
  // Starts a family. A family started twice with the same name is the same family.
  // Names follow Prometheus conventions: counters end in _total, info metrics in _info.
  Family Counter(const std::string& name, const std::string& help);
  Family Gauge(const std::string& name, const std::string& help);

  // The family with that name, or nullptr.
  const prometheus::MetricFamily* Find(const std::string& name) const;

  const std::vector<prometheus::MetricFamily>& families() const { return families_; }
  // Moves every family of `other` to the end of this set.
  void Append(MetricSet&& other);

 private:
  friend class Family;
  Family Start(const std::string& name, const std::string& help, prometheus::MetricType type);
  std::vector<prometheus::MetricFamily> families_;
};

// The value of a series whatever its type (counter, gauge or untyped).
double ValueOf(const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric);

// Renders counter and gauge families in the Prometheus text exposition format 0.0.4, byte
// for byte as prometheus-cpp's TextSerializer does (a test holds the two together), at a
// fraction of its cost: it appends to one string with std::to_chars where the serializer
// goes through std::ostream and printf for every label and value, which was a third of a
// sample's CPU time on a 128-CPU host. Families without series are left out.
std::string RenderText(const std::vector<prometheus::MetricFamily>& families);

}  // namespace wgtune
