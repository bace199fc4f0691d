#include "advisor/promql/value.h"

#include <algorithm>
#include <cmath>

namespace wgtune::promql {

std::string_view LabelValue(const Labels& labels, std::string_view name) {
  // Labels are sorted by name, so a binary search finds the label or where it would be.
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& label, std::string_view wanted) { return label.first < wanted; });
  if (it == labels.end() || it->first != name) return {};
  return it->second;
}

Timestamp ToTimestamp(double seconds) { return static_cast<Timestamp>(std::llround(seconds * 1000)); }

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kScalar: return "scalar";
    case ValueType::kString: return "string";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
  }
  return "unknown";
}

}  // namespace wgtune::promql
