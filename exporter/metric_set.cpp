#include "exporter/metric_set.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace wgtune {

Family& Family::Add(Labels labels, double value) {
  prometheus::MetricFamily& family = set_->families_[index_];
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return *this;
}

const prometheus::MetricFamily& Family::family() const { return set_->families_[index_]; }

Family MetricSet::Counter(const std::string& name, const std::string& help) {
  return Start(name, help, prometheus::MetricType::Counter);
}

Family MetricSet::Gauge(const std::string& name, const std::string& help) {
  return Start(name, help, prometheus::MetricType::Gauge);
}

Family MetricSet::Start(const std::string& name, const std::string& help, prometheus::MetricType type) {
  for (size_t i = 0; i < families_.size(); ++i) {
    if (families_[i].name == name) return Family(this, i);
  }
  families_.push_back(prometheus::MetricFamily{name, help, type, {}});
  return Family(this, families_.size() - 1);
}

const prometheus::MetricFamily* MetricSet::Find(const std::string& name) const {
  for (const auto& family : families_) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

void MetricSet::Append(MetricSet&& other) {
  for (auto& family : other.families_) families_.push_back(std::move(family));
  other.families_.clear();
}

double ValueOf(const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric) {
  switch (family.type) {
    case prometheus::MetricType::Counter: return metric.counter.value;
    case prometheus::MetricType::Gauge: return metric.gauge.value;
    default: return metric.untyped.value;
  }
}

std::string RenderText(std::vector<prometheus::MetricFamily> families) {
  std::erase_if(families, [](const prometheus::MetricFamily& family) { return family.metric.empty(); });
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace wgtune
