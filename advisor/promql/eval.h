// Evaluates a parsed PromQL expression at one instant, with Prometheus's semantics.
//
// The evaluator never reads data itself: every vector selector is handed to a SeriesSource
// (a scraped exposition, the Prometheus HTTP API, a test table), which returns the series
// that match at the evaluation time. Semantics follow prometheus/promql/engine.go (2.42) for
// the subset of ast.h: metric names are dropped by arithmetic, by comparisons with `bool` and by
// functions that change the value; filtering comparisons keep the left-hand side's labels and
// value; one-to-one matching fails on duplicate series ("many-to-many matching not allowed");
// aggregations group by the listed labels and drop the metric name; results come out sorted
// by label set so that tests and reports are deterministic.
//
// Result order: a vector result is sorted by label set (lexicographically over the sorted
// (name, value) pairs, as Prometheus's labels.Compare orders them), except when the whole
// expression is a sort() or sort_desc() call, whose value order is kept (ties in label order).
// Prometheus itself returns instant vectors in storage order; compare results as sets.
//
// Regular expressions (selector matchers, label_replace) are RE2, as in Prometheus, fully
// anchored like its ^(?:re)$ (common/regex.h); compiled patterns are cached per thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/promql/ast.h"
#include "advisor/promql/value.h"

namespace wgtune::promql {

// Where the evaluator gets series. Implementations must return only series matching every
// matcher (the metric name arrives as a matcher on "__name__", as in Prometheus), with
// labels in Labels form; they may throw std::runtime_error on I/O failure, which the
// evaluator lets through. The order of the returned series does not matter.
class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  virtual Vector Select(const std::vector<LabelMatcher>& matchers) = 0;
};

// A runtime failure: type errors ("binary expression must contain only scalar and instant
// vector types"), invalid regexes, many-to-many matching. The message starts with
// "position N: ", N the byte offset of the node at fault (for a binary expression, of its
// operator; for a bad regex, of its matcher). After the prefix, messages are Prometheus's.
class EvalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The type checks Prometheus runs while parsing (parser.checkAST): operand types of operators,
// aggregations and function arguments, `bool` on scalar comparisons, regexes that compile,
// selectors with at least one matcher that does not match "". Returns the expression's type.
// Reads no data, so a rule loader can reject a bad expression before it ever runs. Throws
// EvalError. Evaluate runs it first.
ValueType CheckExpr(const Expr& expr);

// `time_seconds` is the evaluation instant, what time() returns. (Prometheus keeps instants in
// milliseconds; pass a whole number of milliseconds to compare results with it.)
Value Evaluate(const Expr& expr, SeriesSource& source, double time_seconds);

// Whether `labels` satisfy `matcher` (regexes fully anchored, as in Prometheus). A source
// that filters in memory uses this. Throws EvalError on an invalid regex.
bool Matches(const LabelMatcher& matcher, const Labels& labels);

// A SeriesSource over samples held in memory (a scraped exposition, a test table).
class MemorySource : public SeriesSource {
 public:
  explicit MemorySource(Vector samples) : samples_(std::move(samples)) {}
  Vector Select(const std::vector<LabelMatcher>& matchers) override;
  const Vector& samples() const { return samples_; }

 private:
  Vector samples_;
};

}  // namespace wgtune::promql
