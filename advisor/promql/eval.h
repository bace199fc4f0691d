// Evaluates a parsed PromQL expression at one instant, with Prometheus's semantics.
//
// The evaluator never reads data itself: every selector is handed to a SeriesSource (a scrape,
// the advisor's history of scrapes, the Prometheus HTTP API, a test table), which returns the
// series that match at the evaluation time, or for a range selector their samples in the range.
// The range functions (rate, increase, ... *_over_time) are computed here, as
// prometheus/promql/functions.go (2.42) computes them: both ends of the range included,
// extrapolation towards its edges, counter resets added back. Semantics follow
// prometheus/promql/engine.go (2.42) for
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

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/promql/ast.h"
#include "advisor/promql/value.h"

namespace wgtune::promql {

// Where the evaluator gets series. Implementations return only series matching every matcher
// (the metric name arrives as a matcher on "__name__", as in Prometheus), with labels in
// Labels form; they may throw std::runtime_error on I/O failure, which the evaluator lets
// through. The order of the returned series does not matter. Times are unix milliseconds.
class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  // Each matching series as of `time`: its latest sample at or before `time`. How far back a
  // sample still counts and when a series has gone stale is the source's storage's to say
  // (Prometheus's 5-minute lookback and staleness markers; the advisor's own scrape history).
  virtual Vector Select(const std::vector<LabelMatcher>& matchers, Timestamp time) = 0;
  // Each matching series with its samples in [time - range, time], both ends included as
  // Prometheus 2.x selects them, oldest first. Series without a sample there are left out.
  virtual Matrix SelectRange(const std::vector<LabelMatcher>& matchers, Timestamp time, Timestamp range) = 0;
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

// `time_seconds` is the evaluation instant, what time() returns, rounded to the millisecond as
// Prometheus keeps instants. The result is a vector, a scalar, a string, or (for an expression
// that is a range selector) a range vector, sorted by labels.
Value Evaluate(const Expr& expr, SeriesSource& source, double time_seconds);

// Whether `labels` satisfy `matcher` (regexes fully anchored, as in Prometheus). Throws
// EvalError on an invalid regex.
bool Matches(const LabelMatcher& matcher, const Labels& labels);

// Matchers compiled once, for a source that filters many series in memory. Throws EvalError
// on an invalid regex. Copies share the compiled form.
class MatcherSet {
 public:
  explicit MatcherSet(const std::vector<LabelMatcher>& matchers);
  bool Matches(const Labels& labels) const;  // every matcher holds

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

// The matchers a selector hands its source: the metric name (as __name__) first, then its own.
std::vector<LabelMatcher> SelectorMatchers(const VectorSelector& selector);

// A SeriesSource over one snapshot held in memory (one scrape, a test table), taken as of
// every evaluation instant: Select returns the matching samples, SelectRange each of them as a
// series of one sample at the evaluation instant (so rate() finds nothing to compute).
class MemorySource : public SeriesSource {
 public:
  explicit MemorySource(Vector samples) : samples_(std::move(samples)) {}
  Vector Select(const std::vector<LabelMatcher>& matchers, Timestamp time) override;
  Matrix SelectRange(const std::vector<LabelMatcher>& matchers, Timestamp time, Timestamp range) override;
  const Vector& samples() const { return samples_; }

 private:
  Vector samples_;
};

}  // namespace wgtune::promql
