#include "advisor/promql/eval.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/regex.h"
#include "common/text.h"

namespace wgtune::promql {
namespace {

constexpr std::string_view kMetricName = "__name__";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

[[noreturn]] void Fail(size_t position, const std::string& message) {
  throw EvalError("position " + std::to_string(position) + ": " + message);
}

// ---------------------------------------------------------------------------------------------
// Label sets. Labels stay sorted by name and never hold an empty value, so that two equal
// series compare equal and "absent" and "empty" are one state, as in Prometheus.

bool Listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Sets `name` to `value`; an empty value removes the label (labels.Builder.Set does the same).
void SetLabel(Labels& labels, std::string_view name, std::string_view value) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& label, std::string_view wanted) { return label.first < wanted; });
  bool present = it != labels.end() && it->first == name;
  if (value.empty()) {
    if (present) labels.erase(it);
  } else if (present) {
    it->second = std::string(value);
  } else {
    labels.emplace(it, std::string(name), std::string(value));
  }
}

Labels KeepListed(const Labels& labels, const std::vector<std::string>& names) {
  Labels out;
  for (const auto& label : labels) {
    if (Listed(names, label.first)) out.push_back(label);
  }
  return out;
}

Labels DropListed(const Labels& labels, const std::vector<std::string>& names) {
  Labels out;
  for (const auto& label : labels) {
    if (!Listed(names, label.first)) out.push_back(label);
  }
  return out;
}

Labels DropMetricName(Labels labels) {
  SetLabel(labels, kMetricName, "");
  return labels;
}

// The labels that decide which series belong together. With on(...) or by(...) (only_listed)
// they are the listed labels; with ignoring(...) or without(...) all the others except the
// metric name. Vector matching uses this as the match signature, aggregation as the group key
// and the group's output labels, and error messages name it as the "match group".
Labels GroupingLabels(const Labels& labels, bool only_listed, const std::vector<std::string>& names) {
  if (only_listed) return KeepListed(labels, names);
  return DropMetricName(DropListed(labels, names));
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void SortByLabels(Vector& vector) {
  std::sort(vector.begin(), vector.end(),
            [](const Sample& a, const Sample& b) { return a.labels < b.labels; });
}

// Prometheus checks every computed instant vector for this (rangeEval, and unary minus):
// dropping the metric name or rewriting labels can merge two series into one label set.
void CheckUniqueLabelSets(const Vector& vector, size_t position) {
  std::vector<const Labels*> label_sets;
  label_sets.reserve(vector.size());
  for (const Sample& sample : vector) label_sets.push_back(&sample.labels);
  std::sort(label_sets.begin(), label_sets.end(), [](const Labels* a, const Labels* b) { return *a < *b; });
  auto duplicate = std::adjacent_find(label_sets.begin(), label_sets.end(),
                                      [](const Labels* a, const Labels* b) { return *a == *b; });
  if (duplicate != label_sets.end()) Fail(position, "vector cannot contain metrics with the same labelset");
}

// ---------------------------------------------------------------------------------------------
// Go formatting, so that error messages read like Prometheus's.


// labels.Labels.String(): {a="1", b="2"}, the metric name included as __name__.
std::string FormatLabels(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i].first;
    out += '=';
    out += GoQuote(labels[i].second);
  }
  out += '}';
  return out;
}

// fmt's %v for a float64: shortest digits, exponent form below 1e-4 or from 1e6 (Go's %g).
std::string GoFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  char* end = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific).ptr;
  std::string_view text(buffer, static_cast<size_t>(end - buffer));
  size_t e = text.find('e');
  int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  if (exponent >= -4 && exponent < 6) {
    end = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed).ptr;
    return std::string(buffer, end);
  }
  std::string out(text.substr(0, e));
  out += exponent < 0 ? "e-" : "e+";
  int magnitude = std::abs(exponent);
  if (magnitude < 10) out += '0';  // Go writes at least two exponent digits
  out += std::to_string(magnitude);
  return out;
}

// Go's math.Max and math.Min, which clamp() uses: NaN wins over everything but an infinity of
// the favoured sign, unlike std::fmax/std::fmin, which ignore NaN.
double GoMax(double x, double y) {
  if (std::isinf(x) && x > 0) return x;
  if (std::isinf(y) && y > 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}

double GoMin(double x, double y) {
  if (std::isinf(x) && x < 0) return x;
  if (std::isinf(y) && y < 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

// ---------------------------------------------------------------------------------------------
// Regular expressions: RE2, fully anchored like Prometheus's ^(?:re)$ (common/regex.h).

// Compiling is slow next to matching, and rules evaluate the same few patterns over and over,
// so compiled patterns are kept per thread. Throws RegexError.
std::shared_ptr<const Regex> CompileRegex(const std::string& pattern) {
  thread_local std::unordered_map<std::string, std::shared_ptr<const Regex>> cache;
  if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  auto regex = std::make_shared<const Regex>(pattern);
  constexpr size_t kMaxCached = 1024;  // bounds memory if patterns come from user input
  if (cache.size() >= kMaxCached) cache.clear();
  cache.emplace(pattern, regex);
  return regex;
}

// A label matcher ready to test values; the regex is compiled once.
class CompiledMatcher {
 public:
  explicit CompiledMatcher(const LabelMatcher& matcher) : matcher_(matcher) {
    if (matcher.op != MatchOp::kRegexMatch && matcher.op != MatchOp::kRegexNoMatch) return;
    try {
      regex_ = CompileRegex(matcher.value);
    } catch (const RegexError& error) {
      Fail(matcher.position, "invalid regular expression " + GoQuote(matcher.value) + ": " + error.what());
    }
  }

  bool Matches(std::string_view value) const {
    switch (matcher_.op) {
      case MatchOp::kEqual: return value == matcher_.value;
      case MatchOp::kNotEqual: return value != matcher_.value;
      case MatchOp::kRegexMatch: return regex_->FullMatch(value);
      case MatchOp::kRegexNoMatch: return !regex_->FullMatch(value);
    }
    return false;
  }

  bool Matches(const Labels& labels) const { return Matches(LabelValue(labels, matcher_.name)); }

 private:
  const LabelMatcher& matcher_;
  std::shared_ptr<const Regex> regex_;
};

// ---------------------------------------------------------------------------------------------
// Operators.

bool IsArithmetic(BinaryOp op) { return op >= BinaryOp::kPow && op <= BinaryOp::kSub; }

struct ElementResult {
  double value;
  bool keep;  // false: a comparison that filters the element out
};

// vectorElemBinop: arithmetic always keeps its result; a comparison keeps the left value when
// it holds. std::fmod and std::pow have Go's math.Mod and math.Pow special cases (C99 Annex F).
ElementResult ApplyOperator(BinaryOp op, double lhs, double rhs) {
  switch (op) {
    case BinaryOp::kAdd: return {lhs + rhs, true};
    case BinaryOp::kSub: return {lhs - rhs, true};
    case BinaryOp::kMul: return {lhs * rhs, true};
    case BinaryOp::kDiv: return {lhs / rhs, true};
    case BinaryOp::kMod: return {std::fmod(lhs, rhs), true};
    case BinaryOp::kPow: return {std::pow(lhs, rhs), true};
    case BinaryOp::kEqual: return {lhs, lhs == rhs};
    case BinaryOp::kNotEqual: return {lhs, lhs != rhs};
    case BinaryOp::kLess: return {lhs, lhs < rhs};
    case BinaryOp::kLessEqual: return {lhs, lhs <= rhs};
    case BinaryOp::kGreater: return {lhs, lhs > rhs};
    case BinaryOp::kGreaterEqual: return {lhs, lhs >= rhs};
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
    case BinaryOp::kUnless: break;  // set operators never reach element arithmetic
  }
  return {kNaN, false};
}

std::string_view SetOperatorName(BinaryOp op) {
  return op == BinaryOp::kAnd ? "and" : op == BinaryOp::kOr ? "or" : "unless";
}

// and, or, unless: many-to-many, matched on GroupingLabels signatures (VectorAnd/Or/Unless).
Vector ApplySetOperator(BinaryOp op, const VectorMatching& matching, Vector lhs, Vector rhs) {
  auto signature = [&](const Sample& sample) {
    return GroupingLabels(sample.labels, matching.on, matching.labels);
  };
  auto signatures = [&](const Vector& vector) {
    std::set<Labels> out;
    for (const Sample& sample : vector) out.insert(signature(sample));
    return out;
  };
  Vector out;
  switch (op) {
    case BinaryOp::kAnd: {
      if (lhs.empty() || rhs.empty()) return out;
      std::set<Labels> right = signatures(rhs);
      for (Sample& sample : lhs) {
        if (right.count(signature(sample))) out.push_back(std::move(sample));
      }
      return out;
    }
    case BinaryOp::kOr: {
      if (lhs.empty()) return rhs;
      std::set<Labels> left = signatures(lhs);
      out = std::move(lhs);
      for (Sample& sample : rhs) {
        if (!left.count(signature(sample))) out.push_back(std::move(sample));
      }
      return out;
    }
    default: {  // unless
      if (rhs.empty()) return lhs;
      std::set<Labels> right = signatures(rhs);
      for (Sample& sample : lhs) {
        if (!right.count(signature(sample))) out.push_back(std::move(sample));
      }
      return out;
    }
  }
}

// resultMetric: the labels of a vector-vector result. `many` is the series the result is
// built from (the left side, or the right one under group_right), `one` the series it matched.
Labels MatchedResultLabels(const Labels& many, const Labels& one, BinaryOp op, const VectorMatching& matching) {
  Labels out = IsArithmetic(op) ? DropMetricName(many) : many;
  if (matching.group == GroupSide::kNone) {
    out = matching.on ? KeepListed(out, matching.labels) : DropListed(out, matching.labels);
  }
  for (const std::string& name : matching.include) SetLabel(out, name, LabelValue(one, name));
  return out;
}

// VectorBinop: one-to-one, many-to-one (group_left) and one-to-many (group_right) matching
// for arithmetic and comparisons. Errors are reported at `position`, the operator.
Vector MatchVectors(BinaryOp op, bool return_bool, const VectorMatching& matching, Vector lhs, Vector rhs,
                    size_t position) {
  if (lhs.empty() || rhs.empty()) return {};
  // The code below handles the "many" side on the left; group_right swaps the sides and
  // swaps the operands back when computing values.
  bool swapped = matching.group == GroupSide::kRight;
  if (swapped) std::swap(lhs, rhs);

  std::map<Labels, const Sample*> one_side;
  for (const Sample& sample : rhs) {
    Labels signature = GroupingLabels(sample.labels, matching.on, matching.labels);
    auto [it, inserted] = one_side.emplace(signature, &sample);
    if (!inserted) {
      Fail(position, "found duplicate series for the match group " + FormatLabels(signature) + " on the " +
                         (swapped ? "left" : "right") + " hand-side of the operation: [" +
                         FormatLabels(sample.labels) + ", " + FormatLabels(it->second->labels) +
                         "];many-to-many matching not allowed: matching labels must be unique on one side");
    }
  }

  // Per match signature, the result label sets produced so far: one-to-one allows one result
  // per signature, many-to-one one per distinct result label set.
  std::map<Labels, std::set<Labels>> produced;
  Vector out;
  for (const Sample& sample : lhs) {
    Labels signature = GroupingLabels(sample.labels, matching.on, matching.labels);
    auto match = one_side.find(signature);
    if (match == one_side.end()) continue;
    const Sample& other = *match->second;
    double left = swapped ? other.value : sample.value;
    double right = swapped ? sample.value : other.value;
    ElementResult result = ApplyOperator(op, left, right);
    if (return_bool) {
      result.value = result.keep ? 1 : 0;
    } else if (!result.keep) {
      continue;
    }
    Labels labels = MatchedResultLabels(sample.labels, other.labels, op, matching);
    if (return_bool) labels = DropMetricName(std::move(labels));
    auto [seen, first] = produced.try_emplace(std::move(signature));
    if (matching.group == GroupSide::kNone) {
      if (!first) {
        Fail(position, "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
      }
      seen->second.insert(labels);
    } else if (!seen->second.insert(labels).second) {
      Fail(position, "multiple matches for labels: grouping labels must ensure unique matches");
    }
    out.push_back(Sample{std::move(labels), result.value});
  }
  return out;
}

// VectorscalarBinop. `scalar_on_left` records the written order: 1 - v, 1 < v.
Vector ApplyWithScalar(BinaryOp op, bool return_bool, Vector vector, double scalar, bool scalar_on_left) {
  Vector out;
  for (Sample& sample : vector) {
    double left = scalar_on_left ? scalar : sample.value;
    double right = scalar_on_left ? sample.value : scalar;
    ElementResult result = ApplyOperator(op, left, right);
    // A filtering comparison returns the vector element's value whichever side it is on.
    if (IsComparison(op) && scalar_on_left) result.value = right;
    if (return_bool) {
      result.value = result.keep ? 1 : 0;
      result.keep = true;
    }
    if (!result.keep) continue;
    if (IsArithmetic(op) || return_bool) sample.labels = DropMetricName(std::move(sample.labels));
    sample.value = result.value;
    out.push_back(std::move(sample));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Aggregation.

// Go's container/heap over a vector, with the Less of Prometheus's vectorByValueHeap or
// vectorByReverseValueHeap. topk and bottomk keep exactly the series Prometheus keeps when
// values tie, given the same input order.
template <typename Less>
void HeapUp(std::vector<Sample>& heap, size_t j, Less less) {
  while (j > 0) {
    size_t parent = (j - 1) / 2;
    if (!less(heap[j], heap[parent])) break;
    std::swap(heap[parent], heap[j]);
    j = parent;
  }
}

template <typename Less>
void HeapDown(std::vector<Sample>& heap, size_t i, size_t n, Less less) {
  while (true) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && less(heap[child + 1], heap[child])) ++child;
    if (!less(heap[child], heap[i])) break;
    std::swap(heap[i], heap[child]);
    i = child;
  }
}

// The two orders put NaN before every value, so while a heap holds a NaN it sits at the root
// and any real value evicts it: topk and bottomk return NaN only when short of real values.
bool NaNFirstAscending(const Sample& a, const Sample& b) { return std::isnan(a.value) || a.value < b.value; }
bool NaNFirstDescending(const Sample& a, const Sample& b) { return std::isnan(a.value) || a.value > b.value; }

// Offers `sample` to a heap holding the k best samples so far: topk keeps the largest values,
// bottomk the smallest; NaN only when nothing else is left.
template <typename Less>
void OfferToHeap(std::vector<Sample>& heap, size_t k, const Sample& sample, Less less) {
  if (heap.size() == k && !less(heap[0], sample) && !std::isnan(heap[0].value)) return;
  if (heap.size() == k) {
    if (k == 1) {  // Prometheus replaces in place
      heap[0] = sample;
      return;
    }
    std::swap(heap[0], heap.back());
    HeapDown(heap, 0, heap.size() - 1, less);
    heap.pop_back();
  }
  heap.push_back(sample);
  HeapUp(heap, heap.size() - 1, less);
}

// Orders by value with NaN last, whichever the direction (sort(), sort_desc(), topk output).
void SortByValue(Vector& vector, bool descending) {
  std::stable_sort(vector.begin(), vector.end(), [descending](const Sample& a, const Sample& b) {
    if (std::isnan(a.value)) return false;
    if (std::isnan(b.value)) return true;
    return descending ? a.value > b.value : a.value < b.value;
  });
}

// promql/quantile.go quantile(): linear interpolation between the closest ranks.
double Quantile(double q, std::vector<double> values) {
  if (values.empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values.begin(), values.end(), [](double a, double b) {
    return std::isnan(a) ? !std::isnan(b) : a < b;  // NaN first, as vectorByValueHeap sorts
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) + values[static_cast<size_t>(upper)] * weight;
}

struct AggregationGroup {
  Labels labels;
  double value = 0;
  double mean = 0;
  int64_t count = 0;
  std::vector<Sample> heap;     // topk, bottomk
  std::vector<double> values;   // quantile
};

// engine.go aggregation(). `param` is k for topk/bottomk and φ for quantile.
Vector Aggregate(const AggregateExpr& aggregate, double param, const Vector& input) {
  const AggregateOp op = aggregate.op;
  size_t k = 0;
  if (op == AggregateOp::kTopk || op == AggregateOp::kBottomk) {
    // convertibleToInt64: the largest and smallest doubles that survive conversion.
    if (!(param <= 9223372036854774784.0 && param >= -9223372036854775808.0)) {
      Fail(aggregate.position, "Scalar value " + GoFloat(param) + " overflows int64");
    }
    auto count = static_cast<int64_t>(param);  // truncates toward zero, as Go's int64() does
    if (count < 1) return {};
    k = static_cast<size_t>(std::min<int64_t>(count, static_cast<int64_t>(input.size())));
  }

  bool only_listed = aggregate.grouping != Grouping::kWithout;
  std::map<Labels, size_t> group_index;
  std::vector<AggregationGroup> groups;  // in order of first appearance, as Prometheus emits them
  for (const Sample& sample : input) {
    Labels key = GroupingLabels(sample.labels, only_listed, aggregate.grouping_labels);
    auto [it, inserted] = group_index.try_emplace(key, groups.size());
    if (inserted) {
      AggregationGroup& group = groups.emplace_back();
      group.labels = std::move(key);
      group.value = op == AggregateOp::kGroup ? 1 : sample.value;
      group.mean = sample.value;
      group.count = 1;
      if (op == AggregateOp::kTopk || op == AggregateOp::kBottomk) group.heap.push_back(sample);
      if (op == AggregateOp::kQuantile) group.values.push_back(sample.value);
      continue;
    }
    AggregationGroup& group = groups[it->second];
    switch (op) {
      case AggregateOp::kSum: group.value += sample.value; break;
      case AggregateOp::kAvg: {
        ++group.count;
        // An infinite mean stays put unless the new value is the opposite infinity or NaN;
        // the incremental formula below would turn Inf - Inf into NaN.
        if (std::isinf(group.mean)) {
          bool same_infinity = std::isinf(sample.value) && (group.mean > 0) == (sample.value > 0);
          bool finite = !std::isinf(sample.value) && !std::isnan(sample.value);
          if (same_infinity || finite) break;
        }
        // Each term divided separately so that large values do not overflow.
        auto count = static_cast<double>(group.count);
        group.mean += sample.value / count - group.mean / count;
        break;
      }
      case AggregateOp::kMax:
        if (group.value < sample.value || std::isnan(group.value)) group.value = sample.value;
        break;
      case AggregateOp::kMin:
        if (group.value > sample.value || std::isnan(group.value)) group.value = sample.value;
        break;
      case AggregateOp::kCount: ++group.count; break;
      case AggregateOp::kGroup: break;
      case AggregateOp::kTopk: OfferToHeap(group.heap, k, sample, NaNFirstAscending); break;
      case AggregateOp::kBottomk: OfferToHeap(group.heap, k, sample, NaNFirstDescending); break;
      case AggregateOp::kQuantile: group.values.push_back(sample.value); break;
    }
  }

  Vector out;
  for (AggregationGroup& group : groups) {
    switch (op) {
      case AggregateOp::kAvg: group.value = group.mean; break;
      case AggregateOp::kCount: group.value = static_cast<double>(group.count); break;
      case AggregateOp::kQuantile: group.value = Quantile(param, std::move(group.values)); break;
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk: {
        // The selected series keep their own labels; best first, as Prometheus lists them.
        Vector selected(std::make_move_iterator(group.heap.begin()), std::make_move_iterator(group.heap.end()));
        SortByValue(selected, op == AggregateOp::kTopk);
        for (Sample& sample : selected) out.push_back(std::move(sample));
        continue;
      }
      default: break;
    }
    out.push_back(Sample{std::move(group.labels), group.value});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Functions.

struct FunctionArgs {
  const Call& call;
  std::vector<Value> values;  // one per argument, evaluated (string literals as strings)
  Timestamp time;             // the evaluation instant

  const Vector& vector() const { return values[0].vector; }
  const Matrix& matrix() const { return values[0].matrix; }
  // The range of the first argument, a range vector selector (the only range vector there is).
  Timestamp range() const { return ToTimestamp(call.args[0]->As<MatrixSelector>().range_seconds); }
  double scalar(size_t index) const { return values[index].scalar; }
  const std::string& string(size_t index) const { return values[index].string; }
};

// simpleFunc: applies `apply` to every value and drops the metric name.
template <typename Apply>
Value MapValues(const FunctionArgs& args, Apply apply) {
  Vector out;
  out.reserve(args.vector().size());
  for (const Sample& sample : args.vector()) out.push_back(Sample{DropMetricName(sample.labels), apply(sample.value)});
  return Value::Of(std::move(out));
}

// Functions over a range vector: one result per series that has samples in the range, its
// labels without the metric name (only last_over_time keeps it, as an offset would), as
// Prometheus 2.42's rangeEval of matrix functions. A series whose function gives no value
// (rate of a single sample) is left out.
template <typename Apply>
Value OverRange(const FunctionArgs& args, Apply apply, bool keep_metric_name = false) {
  Vector out;
  for (const Series& series : args.matrix()) {
    if (series.points.empty()) continue;
    std::optional<double> value = apply(series.points);
    if (!value) continue;
    out.push_back(Sample{keep_metric_name ? series.labels : DropMetricName(series.labels), *value});
  }
  return Value::Of(std::move(out));
}

// extrapolatedRate (functions.go): the increase between the first and last sample, counter
// resets added back for counters, extrapolated towards the range's edges where the samples end
// within 1.1 average intervals of them (half an interval otherwise), never below a counter's
// zero; per second of the range for rate.
std::optional<double> ExtrapolatedRate(const std::vector<Point>& points, Timestamp time, Timestamp range,
                                       bool is_counter, bool is_rate) {
  if (points.size() < 2) return std::nullopt;
  const Timestamp range_start = time - range, range_end = time;
  const Point& first = points.front();
  const Point& last = points.back();
  double result = last.v - first.v;
  if (is_counter) {
    double previous = 0;
    for (const Point& point : points) {
      if (point.v < previous) result += previous;
      previous = point.v;
    }
  }
  double duration_to_start = static_cast<double>(first.t - range_start) / 1000;
  const double duration_to_end = static_cast<double>(range_end - last.t) / 1000;
  const double sampled_interval = static_cast<double>(last.t - first.t) / 1000;
  const double average_interval = sampled_interval / static_cast<double>(points.size() - 1);
  if (is_counter && result > 0 && first.v >= 0) {
    // A counter cannot have been below zero: extrapolate no further back than its zero point.
    const double duration_to_zero = sampled_interval * (first.v / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }
  const double threshold = average_interval * 1.1;
  double extrapolate_to = sampled_interval;
  extrapolate_to += duration_to_start < threshold ? duration_to_start : average_interval / 2;
  extrapolate_to += duration_to_end < threshold ? duration_to_end : average_interval / 2;
  double factor = extrapolate_to / sampled_interval;
  if (is_rate) factor /= static_cast<double>(range) / 1000;
  return result * factor;
}

// instantValue: the last two samples; irate treats a drop as a counter reset.
std::optional<double> InstantValue(const std::vector<Point>& points, bool is_rate) {
  if (points.size() < 2) return std::nullopt;
  const Point& last = points[points.size() - 1];
  const Point& previous = points[points.size() - 2];
  double result = is_rate && last.v < previous.v ? last.v : last.v - previous.v;
  const Timestamp interval = last.t - previous.t;
  if (interval == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  return result;
}

// kahanSumInc, with Neumaier's improvement: sum_over_time and avg_over_time compensate rounding.
void KahanAdd(double increment, double& sum, double& compensation) {
  const double t = sum + increment;
  if (std::fabs(sum) >= std::fabs(increment)) {
    compensation += (sum - t) + increment;
  } else {
    compensation += (increment - t) + sum;
  }
  sum = t;
}

double SumOverTime(const std::vector<Point>& points) {
  double sum = 0, c = 0;
  for (const Point& point : points) KahanAdd(point.v, sum, c);
  return std::isinf(sum) ? sum : sum + c;
}

// An incremental mean, which does not overflow where the sum would; infinities handled as
// Prometheus does so that Inf + x - Inf does not become NaN.
double AvgOverTime(const std::vector<Point>& points) {
  double mean = 0, count = 0, c = 0;
  for (const Point& point : points) {
    count += 1;
    if (std::isinf(mean)) {
      if (std::isinf(point.v) && (mean > 0) == (point.v > 0)) continue;
      if (!std::isinf(point.v) && !std::isnan(point.v)) continue;
    }
    KahanAdd(point.v / count - mean / count, mean, c);
  }
  return std::isinf(mean) ? mean : mean + c;
}

// min_over_time and max_over_time: a NaN is replaced by any later value.
template <typename Better>
double ExtremeOverTime(const std::vector<Point>& points, Better better) {
  double extreme = points.front().v;
  for (const Point& point : points) {
    if (better(point.v, extreme) || std::isnan(extreme)) extreme = point.v;
  }
  return extreme;
}

// changes (two NaNs in a row are no change) and resets (any decrease).
template <typename Counts>
double CountPairs(const std::vector<Point>& points, Counts counts) {
  double count = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    if (counts(points[i - 1].v, points[i].v)) count += 1;
  }
  return count;
}

// createLabelsForAbsentFunction: the equality matchers of a selector argument, except labels
// matched more than once or also by another kind of matcher.
Labels AbsentLabels(const Expr& argument) {
  Labels out;
  if (argument.kind != ExprKind::kVectorSelector) return out;
  std::vector<std::string> ambiguous;
  for (const LabelMatcher& matcher : argument.As<VectorSelector>().matchers) {
    if (matcher.name == kMetricName) continue;
    if (matcher.op == MatchOp::kEqual && LabelValue(out, matcher.name).empty()) {
      SetLabel(out, matcher.name, matcher.value);
    } else {
      ambiguous.push_back(matcher.name);
    }
  }
  return DropListed(out, ambiguous);
}

Value Absent(const FunctionArgs& args) {
  if (!args.vector().empty()) return Value::Of(Vector{});
  return Value::Of({Sample{AbsentLabels(*args.call.args[0]), 1}});
}

Value LabelReplace(const FunctionArgs& args) {
  const std::string& destination = args.string(1);
  const std::string& replacement = args.string(2);
  const std::string& source = args.string(3);
  const std::string& pattern = args.string(4);
  std::shared_ptr<const Regex> regex;
  try {
    regex = CompileRegex(pattern);
  } catch (const RegexError&) {
    Fail(args.call.position, "invalid regular expression in label_replace(): " + pattern);
  }
  if (!IsValidLabelName(destination)) {
    Fail(args.call.position, "invalid destination label name in label_replace(): " + destination);
  }
  Vector out = args.vector();
  for (Sample& sample : out) {
    std::optional<std::string> value = regex->ExpandFullMatch(LabelValue(sample.labels, source), replacement);
    if (value) SetLabel(sample.labels, destination, *value);  // no match: unchanged
  }
  return Value::Of(std::move(out));
}

Value LabelJoin(const FunctionArgs& args) {
  const std::string& destination = args.string(1);
  const std::string& separator = args.string(2);
  for (size_t i = 3; i < args.values.size(); ++i) {
    if (!IsValidLabelName(args.string(i))) {
      Fail(args.call.position, "invalid source label name in label_join(): " + args.string(i));
    }
  }
  if (!IsValidLabelName(destination)) {
    Fail(args.call.position, "invalid destination label name in label_join(): " + destination);
  }
  Vector out = args.vector();
  for (Sample& sample : out) {
    std::string joined;
    for (size_t i = 3; i < args.values.size(); ++i) {
      if (i > 3) joined += separator;
      joined += LabelValue(sample.labels, args.string(i));
    }
    SetLabel(sample.labels, destination, joined);  // empty: the label is removed
  }
  return Value::Of(std::move(out));
}

Value SortFunction(const FunctionArgs& args, bool descending) {
  Vector out = args.vector();
  SortByLabels(out);  // ties come out in label order
  SortByValue(out, descending);
  return Value::Of(std::move(out));
}

Value Round(const FunctionArgs& args) {
  double to_nearest = args.values.size() > 1 ? args.scalar(1) : 1;
  // Prometheus multiplies by the inverse: fewer floating point surprises than dividing.
  double inverse = 1.0 / to_nearest;
  return MapValues(args, [inverse](double v) { return std::floor(v * inverse + 0.5) / inverse; });
}

Value Clamp(const FunctionArgs& args) {
  double min = args.scalar(1);
  double max = args.scalar(2);
  if (max < min) return Value::Of(Vector{});
  return MapValues(args, [min, max](double v) { return GoMax(min, GoMin(max, v)); });
}

using V = ValueType;

struct Function {
  std::string_view name;
  std::vector<ValueType> arg_types;  // when variadic, the last type repeats
  bool variadic;
  ValueType result;
  Value (*apply)(const FunctionArgs& args);
};

// The functions the parser accepts (kFunctions in parser.cpp), with Prometheus's signatures.
const std::vector<Function>& Functions() {
  static const std::vector<Function> functions = {
      {"abs", {V::kVector}, false, V::kVector,
       [](const FunctionArgs& a) { return MapValues(a, [](double v) { return std::fabs(v); }); }},
      {"absent", {V::kVector}, false, V::kVector, Absent},
      {"ceil", {V::kVector}, false, V::kVector,
       [](const FunctionArgs& a) { return MapValues(a, [](double v) { return std::ceil(v); }); }},
      {"clamp", {V::kVector, V::kScalar, V::kScalar}, false, V::kVector, Clamp},
      {"clamp_max", {V::kVector, V::kScalar}, false, V::kVector,
       [](const FunctionArgs& a) {
         double max = a.scalar(1);
         return MapValues(a, [max](double v) { return GoMin(max, v); });
       }},
      {"clamp_min", {V::kVector, V::kScalar}, false, V::kVector,
       [](const FunctionArgs& a) {
         double min = a.scalar(1);
         return MapValues(a, [min](double v) { return GoMax(min, v); });
       }},
      {"floor", {V::kVector}, false, V::kVector,
       [](const FunctionArgs& a) { return MapValues(a, [](double v) { return std::floor(v); }); }},
      {"label_join", {V::kVector, V::kString, V::kString, V::kString}, true, V::kVector, LabelJoin},
      {"label_replace", {V::kVector, V::kString, V::kString, V::kString, V::kString}, false, V::kVector,
       LabelReplace},
      {"round", {V::kVector, V::kScalar}, false, V::kVector, Round},
      {"scalar", {V::kVector}, false, V::kScalar,
       [](const FunctionArgs& a) {
         return Value::Scalar(a.vector().size() == 1 ? a.vector()[0].value : kNaN);
       }},
      {"sgn", {V::kVector}, false, V::kVector,
       [](const FunctionArgs& a) {
         return MapValues(a, [](double v) { return v < 0 ? -1.0 : v > 0 ? 1.0 : v; });  // keeps ±0, NaN
       }},
      {"sort", {V::kVector}, false, V::kVector, [](const FunctionArgs& a) { return SortFunction(a, false); }},
      {"sort_desc", {V::kVector}, false, V::kVector,
       [](const FunctionArgs& a) { return SortFunction(a, true); }},
      {"time", {}, false, V::kScalar,
       [](const FunctionArgs& a) { return Value::Scalar(static_cast<double>(a.time) / 1000); }},
      {"vector", {V::kScalar}, false, V::kVector,
       [](const FunctionArgs& a) { return Value::Of({Sample{{}, a.scalar(0)}}); }},
      // Over a range vector.
      {"rate", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [&](const auto& p) { return ExtrapolatedRate(p, a.time, a.range(), true, true); });
       }},
      {"increase", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [&](const auto& p) { return ExtrapolatedRate(p, a.time, a.range(), true, false); });
       }},
      {"delta", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [&](const auto& p) { return ExtrapolatedRate(p, a.time, a.range(), false, false); });
       }},
      {"irate", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) { return OverRange(a, [](const auto& p) { return InstantValue(p, true); }); }},
      {"idelta", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) { return OverRange(a, [](const auto& p) { return InstantValue(p, false); }); }},
      {"changes", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [](const auto& p) -> std::optional<double> {
           return CountPairs(p, [](double before, double after) {
             return before != after && !(std::isnan(before) && std::isnan(after));
           });
         });
       }},
      {"resets", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [](const auto& p) -> std::optional<double> {
           return CountPairs(p, [](double before, double after) { return after < before; });
         });
       }},
      {"avg_over_time", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) { return OverRange(a, [](const auto& p) -> std::optional<double> { return AvgOverTime(p); }); }},
      {"sum_over_time", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) { return OverRange(a, [](const auto& p) -> std::optional<double> { return SumOverTime(p); }); }},
      {"min_over_time", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [](const auto& p) -> std::optional<double> {
           return ExtremeOverTime(p, [](double x, double best) { return x < best; });
         });
       }},
      {"max_over_time", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [](const auto& p) -> std::optional<double> {
           return ExtremeOverTime(p, [](double x, double best) { return x > best; });
         });
       }},
      {"count_over_time", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [](const auto& p) -> std::optional<double> { return static_cast<double>(p.size()); });
       }},
      {"last_over_time", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) {
         return OverRange(a, [](const auto& p) -> std::optional<double> { return p.back().v; }, true);
       }},
      {"present_over_time", {V::kMatrix}, false, V::kVector,
       [](const FunctionArgs& a) { return OverRange(a, [](const auto&) -> std::optional<double> { return 1.0; }); }},
  };
  return functions;
}

const Function& FindFunction(const Call& call) {
  for (const Function& function : Functions()) {
    if (function.name == call.name) return function;
  }
  Fail(call.position, "unknown function with name " + GoQuote(call.name));
}

// ---------------------------------------------------------------------------------------------
// Type checking (parser.checkAST).

ValueType TypeOf(const Expr& expr);

void ExpectType(const Expr& expr, ValueType want, const std::string& context) {
  ValueType got = TypeOf(expr);
  if (got != want) {
    Fail(expr.position, "expected type " + std::string(ValueTypeName(want)) + " in " + context + ", got " +
                            std::string(ValueTypeName(got)));
  }
}

ValueType TypeOfSelector(const VectorSelector& selector) {
  // A selector must not match every series; the parser checks literal matchers, this also
  // covers regexes such as {a=~".*"}. Compiling here reports bad regexes before any I/O.
  bool selective = !selector.metric_name.empty();
  for (const LabelMatcher& matcher : selector.matchers) {
    if (!CompiledMatcher(matcher).Matches(std::string_view())) selective = true;
  }
  if (!selective) Fail(selector.position, "vector selector must contain at least one non-empty matcher");
  return ValueType::kVector;
}

ValueType TypeOfBinary(const BinaryExpr& binary) {
  ValueType lhs = TypeOf(*binary.lhs);
  ValueType rhs = TypeOf(*binary.rhs);
  bool scalars = lhs == ValueType::kScalar && rhs == ValueType::kScalar;
  if (IsComparison(binary.op) && !binary.return_bool && scalars) {
    Fail(binary.operator_position, "comparisons between scalars must use BOOL modifier");
  }
  if (lhs == ValueType::kString || lhs == ValueType::kMatrix) {
    Fail(binary.lhs->position, "binary expression must contain only scalar and instant vector types");
  }
  if (rhs == ValueType::kString || rhs == ValueType::kMatrix) {
    Fail(binary.rhs->position, "binary expression must contain only scalar and instant vector types");
  }
  bool vectors = lhs == ValueType::kVector && rhs == ValueType::kVector;
  if (!vectors && binary.matching && !binary.matching->labels.empty()) {
    Fail(binary.operator_position, "vector matching only allowed between instant vectors");
  }
  if (!vectors && IsSetOperator(binary.op)) {
    Fail(binary.operator_position,
         "set operator " + GoQuote(SetOperatorName(binary.op)) + " not allowed in binary scalar expression");
  }
  return scalars ? ValueType::kScalar : ValueType::kVector;
}

ValueType TypeOf(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kNumber: return ValueType::kScalar;
    case ExprKind::kString: return ValueType::kString;
    case ExprKind::kVectorSelector: return TypeOfSelector(expr.As<VectorSelector>());
    case ExprKind::kMatrixSelector:
      TypeOfSelector(*expr.As<MatrixSelector>().selector);
      return ValueType::kMatrix;
    case ExprKind::kUnary: {
      ValueType operand = TypeOf(*expr.As<UnaryExpr>().operand);
      if (operand == ValueType::kString || operand == ValueType::kMatrix) {
        Fail(expr.position, "unary expression only allowed on expressions of type scalar or instant vector, got " +
                                GoQuote(ValueTypeName(operand)));
      }
      return operand;
    }
    case ExprKind::kBinary: return TypeOfBinary(expr.As<BinaryExpr>());
    case ExprKind::kAggregate: {
      const auto& aggregate = expr.As<AggregateExpr>();
      ExpectType(*aggregate.operand, ValueType::kVector, "aggregation expression");
      if (aggregate.param) ExpectType(*aggregate.param, ValueType::kScalar, "aggregation parameter");
      return ValueType::kVector;
    }
    case ExprKind::kCall: {
      const auto& call = expr.As<Call>();
      const Function& function = FindFunction(call);
      for (size_t i = 0; i < call.args.size(); ++i) {
        size_t type_index = std::min(i, function.arg_types.size() - 1);
        ExpectType(*call.args[i], function.arg_types[type_index], "call to function " + GoQuote(call.name));
      }
      return function.result;
    }
  }
  return ValueType::kScalar;
}

// ---------------------------------------------------------------------------------------------
// Evaluation. Types have been checked, so every operand has the type its node needs.

class Evaluator {
 public:
  Evaluator(SeriesSource& source, Timestamp time) : source_(source), time_(time) {}

  Value Eval(const Expr& expr) {
    switch (expr.kind) {
      case ExprKind::kNumber: return Value::Scalar(expr.As<NumberLiteral>().value);
      case ExprKind::kString: return Value::String(expr.As<StringLiteral>().value);
      case ExprKind::kVectorSelector: return Value::Of(Select(expr.As<VectorSelector>()));
      case ExprKind::kMatrixSelector: return Value::Of(SelectRange(expr.As<MatrixSelector>()));
      case ExprKind::kUnary: return Checked(EvalUnary(expr.As<UnaryExpr>()), expr.position);
      case ExprKind::kBinary: {
        const auto& binary = expr.As<BinaryExpr>();
        return Checked(EvalBinary(binary), binary.operator_position);
      }
      case ExprKind::kAggregate: return Checked(EvalAggregate(expr.As<AggregateExpr>()), expr.position);
      case ExprKind::kCall: return Checked(EvalCall(expr.As<Call>()), expr.position);
    }
    return Value::Scalar(kNaN);
  }

 private:
  static Value Checked(Value value, size_t position) {
    if (value.type == ValueType::kVector) CheckUniqueLabelSets(value.vector, position);
    return value;
  }

  Vector Select(const VectorSelector& selector) {
    Vector result = source_.Select(SelectorMatchers(selector), time_);
    // Storage hands Prometheus series in label order; the same input order makes topk and
    // bottomk pick the same series among equal values.
    SortByLabels(result);
    return result;
  }

  Matrix SelectRange(const MatrixSelector& range) {
    Matrix result = source_.SelectRange(SelectorMatchers(*range.selector), time_, ToTimestamp(range.range_seconds));
    std::sort(result.begin(), result.end(), [](const Series& a, const Series& b) { return a.labels < b.labels; });
    return result;
  }

  Value EvalUnary(const UnaryExpr& unary) {
    Value operand = Eval(*unary.operand);
    if (unary.op == UnaryOp::kPlus) return operand;
    if (operand.type == ValueType::kScalar) return Value::Scalar(-operand.scalar);
    for (Sample& sample : operand.vector) {
      sample.labels = DropMetricName(std::move(sample.labels));
      sample.value = -sample.value;
    }
    return operand;
  }

  Value EvalBinary(const BinaryExpr& binary) {
    Value lhs = Eval(*binary.lhs);
    Value rhs = Eval(*binary.rhs);
    if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
      ElementResult result = ApplyOperator(binary.op, lhs.scalar, rhs.scalar);
      if (IsComparison(binary.op)) result.value = result.keep ? 1 : 0;  // always with bool
      return Value::Scalar(result.value);
    }
    if (lhs.type == ValueType::kScalar) {
      return Value::Of(ApplyWithScalar(binary.op, binary.return_bool, std::move(rhs.vector), lhs.scalar, true));
    }
    if (rhs.type == ValueType::kScalar) {
      return Value::Of(ApplyWithScalar(binary.op, binary.return_bool, std::move(lhs.vector), rhs.scalar, false));
    }
    VectorMatching matching = binary.matching.value_or(VectorMatching{});  // default: ignoring()
    if (IsSetOperator(binary.op)) {
      return Value::Of(ApplySetOperator(binary.op, matching, std::move(lhs.vector), std::move(rhs.vector)));
    }
    return Value::Of(MatchVectors(binary.op, binary.return_bool, matching, std::move(lhs.vector),
                                  std::move(rhs.vector), binary.operator_position));
  }

  Value EvalAggregate(const AggregateExpr& aggregate) {
    // Prometheus evaluates the parameter first.
    double param = aggregate.param ? Eval(*aggregate.param).scalar : 0;
    Value input = Eval(*aggregate.operand);
    return Value::Of(Aggregate(aggregate, param, input.vector));
  }

  Value EvalCall(const Call& call) {
    FunctionArgs args{call, {}, time_};
    for (const auto& arg : call.args) args.values.push_back(Eval(*arg));
    return FindFunction(call).apply(args);
  }

  SeriesSource& source_;
  Timestamp time_;
};

bool KeepsValueOrder(const Expr& expr) {
  if (expr.kind != ExprKind::kCall) return false;
  const std::string& name = expr.As<Call>().name;
  return name == "sort" || name == "sort_desc";
}

}  // namespace

ValueType CheckExpr(const Expr& expr) { return TypeOf(expr); }

std::vector<LabelMatcher> SelectorMatchers(const VectorSelector& selector) {
  std::vector<LabelMatcher> matchers;
  if (!selector.metric_name.empty()) {
    matchers.push_back(LabelMatcher{std::string(kMetricName), MatchOp::kEqual, selector.metric_name, selector.position});
  }
  matchers.insert(matchers.end(), selector.matchers.begin(), selector.matchers.end());
  return matchers;
}

Value Evaluate(const Expr& expr, SeriesSource& source, double time_seconds) {
  CheckExpr(expr);
  Value result = Evaluator(source, ToTimestamp(time_seconds)).Eval(expr);
  if (result.type == ValueType::kVector && !KeepsValueOrder(expr)) SortByLabels(result.vector);
  // (a range vector comes sorted from SelectRange)
  return result;
}

bool Matches(const LabelMatcher& matcher, const Labels& labels) { return CompiledMatcher(matcher).Matches(labels); }

struct MatcherSet::Compiled {
  std::vector<LabelMatcher> matchers;
  std::vector<CompiledMatcher> compiled;  // refer to `matchers`, which never grows after
};

MatcherSet::MatcherSet(const std::vector<LabelMatcher>& matchers) {
  auto compiled = std::make_shared<Compiled>();
  compiled->matchers = matchers;
  compiled->compiled.reserve(matchers.size());
  for (const LabelMatcher& matcher : compiled->matchers) compiled->compiled.emplace_back(matcher);
  compiled_ = std::move(compiled);
}

bool MatcherSet::Matches(const Labels& labels) const {
  return std::all_of(compiled_->compiled.begin(), compiled_->compiled.end(),
                     [&](const CompiledMatcher& matcher) { return matcher.Matches(labels); });
}

Vector MemorySource::Select(const std::vector<LabelMatcher>& matchers, Timestamp) {
  const MatcherSet wanted(matchers);
  Vector out;
  for (const Sample& sample : samples_) {
    if (wanted.Matches(sample.labels)) out.push_back(sample);
  }
  return out;
}

Matrix MemorySource::SelectRange(const std::vector<LabelMatcher>& matchers, Timestamp time, Timestamp) {
  Matrix out;
  for (Sample& sample : Select(matchers, time)) out.push_back(Series{std::move(sample.labels), {Point{time, sample.value}}});
  return out;
}

}  // namespace wgtune::promql
