// The values a PromQL evaluation works on: scalars, strings, instant vectors and range vectors.
//
// Times are unix milliseconds, as Prometheus stores and compares them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgtune::promql {

// A series' label set, sorted by label name, without empty values (Prometheus treats a label
// with an empty value as absent). The metric name is the label "__name__".
using Labels = std::vector<std::pair<std::string, std::string>>;

// The value of `name` in `labels`, or "" when absent.
std::string_view LabelValue(const Labels& labels, std::string_view name);

// One series at the evaluation instant.
struct Sample {
  Labels labels;
  double value = 0;
};

using Vector = std::vector<Sample>;

using Timestamp = int64_t;  // unix milliseconds

// The evaluation instant of `seconds` (unix seconds) in milliseconds, rounded.
Timestamp ToTimestamp(double seconds);

struct Point {
  Timestamp t = 0;
  double v = 0;
};

// One series of a range vector: its samples inside the range, oldest first.
struct Series {
  Labels labels;
  std::vector<Point> points;
};

using Matrix = std::vector<Series>;

enum class ValueType { kScalar, kString, kVector, kMatrix };

struct Value {
  ValueType type = ValueType::kVector;
  double scalar = 0;    // kScalar
  std::string string;   // kString
  Vector vector;        // kVector
  Matrix matrix;        // kMatrix

  static Value Scalar(double value) { return Value{ValueType::kScalar, value, {}, {}, {}}; }
  static Value String(std::string value) { return Value{ValueType::kString, 0, std::move(value), {}, {}}; }
  static Value Of(Vector vector) { return Value{ValueType::kVector, 0, {}, std::move(vector), {}}; }
  static Value Of(Matrix matrix) { return Value{ValueType::kMatrix, 0, {}, {}, std::move(matrix)}; }
};

// "scalar", "string", "instant vector" or "range vector", as Prometheus names them in errors.
std::string_view ValueTypeName(ValueType type);

}  // namespace wgtune::promql
