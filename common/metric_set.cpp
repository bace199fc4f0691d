#include "common/metric_set.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/text.h"

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

namespace {

// Appends a sample value as prometheus-cpp's TextSerializer writes it: printf's "%.16g"
// (max_digits10 - 1 significant digits), "Nan", "+Inf", "-Inf".
void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general,
                                std::numeric_limits<double>::max_digits10 - 1);
    out.append(buffer, result.ptr);
  }
}

const char* TypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Histogram: return "histogram";
    default: return "untyped";
  }
}

}  // namespace

std::string RenderText(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  size_t series = 0;
  for (const auto& family : families) series += family.metric.size();
  out.reserve(series * 96);
  for (const auto& family : families) {
    if (family.metric.empty()) continue;
    out.append("# HELP ").append(family.name).append(" ").append(family.help).append("\n");
    out.append("# TYPE ").append(family.name).append(" ").append(TypeName(family.type)).append("\n");
    for (const auto& metric : family.metric) {
      out += family.name;
      if (!metric.label.empty()) {
        char separator = '{';
        for (const Label& label : metric.label) {
          out += separator;
          out.append(label.name).append("=\"");
          AppendEscaped(out, label.value);
          out += '"';
          separator = ',';
        }
        out += '}';
      }
      out += ' ';
      AppendValue(out, ValueOf(family, metric));
      out += '\n';
    }
  }
  return out;
}

}  // namespace wgtune
