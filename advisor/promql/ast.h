// The syntax tree of the PromQL subset the advisor evaluates.
//
// Alert rules are evaluated at one instant, over the latest samples (instant vector selectors)
// and over the samples of a recent window (range vector selectors, x[5m], which only range
// functions such as rate() take). There are no subqueries, offsets or @ modifiers. Every node
// records the byte offset in the source where it starts, so evaluation errors can point at the
// same place parse errors do.
//
// The parser checks syntax and the few semantic rules Prometheus enforces while parsing
// (operator modifiers, function arity); value types (scalar vs vector) are the evaluator's job
// (CheckExpr in eval.h).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wgtune::promql {

enum class ExprKind { kNumber, kString, kVectorSelector, kMatrixSelector, kUnary, kBinary, kAggregate, kCall };

// Base of all nodes. Nodes are owned through std::unique_ptr<Expr>; use As<T>() to reach the
// concrete node after checking kind.
struct Expr {
  Expr(ExprKind kind, size_t position) : kind(kind), position(position) {}
  virtual ~Expr() = default;

  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*this);
  }

  ExprKind kind;
  size_t position;  // byte offset of the node's first token in the source
};

// 1, 1.5e3, 0x1f, Inf, NaN. Negative numbers are a UnaryExpr around a NumberLiteral.
struct NumberLiteral : Expr {
  NumberLiteral(size_t position, double value) : Expr(ExprKind::kNumber, position), value(value) {}
  double value;
};

// '..', ".." or `..`; value holds the text with escapes already decoded.
struct StringLiteral : Expr {
  StringLiteral(size_t position, std::string value)
      : Expr(ExprKind::kString, position), value(std::move(value)) {}
  std::string value;
};

enum class MatchOp { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };  // = != =~ !~

struct LabelMatcher {
  std::string name;
  MatchOp op;
  std::string value;  // a regex is kept as written; the evaluator compiles it (fully anchored)
  size_t position;
};

// name{l="v", ...}. metric_name is empty for a selector written as {__name__="x", ...}: the
// __name__ matcher then stays in matchers, as Prometheus keeps it.
struct VectorSelector : Expr {
  VectorSelector(size_t position) : Expr(ExprKind::kVectorSelector, position) {}
  std::string metric_name;
  std::vector<LabelMatcher> matchers;
};

// x{...}[5m]: the samples of each selected series in the last `range_seconds` before the
// evaluation instant. Prometheus allows a range only directly on a vector selector.
struct MatrixSelector : Expr {
  MatrixSelector(size_t position, std::unique_ptr<VectorSelector> selector, double range_seconds)
      : Expr(ExprKind::kMatrixSelector, position), selector(std::move(selector)), range_seconds(range_seconds) {}
  std::unique_ptr<VectorSelector> selector;
  double range_seconds;  // whole milliseconds, as Prometheus durations are
};

enum class UnaryOp { kMinus, kPlus };

struct UnaryExpr : Expr {
  UnaryExpr(size_t position, UnaryOp op, std::unique_ptr<Expr> operand)
      : Expr(ExprKind::kUnary, position), op(op), operand(std::move(operand)) {}
  UnaryOp op;
  std::unique_ptr<Expr> operand;
};

enum class BinaryOp {
  kPow,
  kMul, kDiv, kMod,
  kAdd, kSub,
  kEqual, kNotEqual, kLessEqual, kLess, kGreaterEqual, kGreater,
  kAnd, kUnless,
  kOr,
};

bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);  // and, or, unless: many-to-many, so no group_left/right

enum class GroupSide { kNone, kLeft, kRight };  // one-to-one, group_left, group_right

// on(...)/ignoring(...) with an optional group_left(...)/group_right(...).
struct VectorMatching {
  bool on = false;                   // true: on(labels); false: ignoring(labels)
  std::vector<std::string> labels;
  GroupSide group = GroupSide::kNone;
  std::vector<std::string> include;  // the extra labels listed in group_left(...)/group_right(...)
};

struct BinaryExpr : Expr {
  BinaryExpr(size_t position, BinaryOp op, std::unique_ptr<Expr> lhs, std::unique_ptr<Expr> rhs)
      : Expr(ExprKind::kBinary, position), op(op), lhs(std::move(lhs)), rhs(std::move(rhs)) {}
  BinaryOp op;
  std::unique_ptr<Expr> lhs;
  std::unique_ptr<Expr> rhs;
  bool return_bool = false;               // the bool modifier; only on comparisons
  std::optional<VectorMatching> matching;  // absent: default matching on all labels
  size_t operator_position = 0;            // where the operator token is, for evaluation errors
};

// The order matches the parser's spelling table; add new operators at the end.
enum class AggregateOp { kSum, kMin, kMax, kAvg, kCount, kTopk, kBottomk, kQuantile, kGroup };

enum class Grouping { kNone, kBy, kWithout };

// sum by (a) (x), topk(5, x) without (b), quantile(0.9, x). param is set only for topk,
// bottomk and quantile, the operators that take a first argument.
struct AggregateExpr : Expr {
  AggregateExpr(size_t position, AggregateOp op) : Expr(ExprKind::kAggregate, position), op(op) {}
  AggregateOp op;
  Grouping grouping = Grouping::kNone;
  std::vector<std::string> grouping_labels;
  std::unique_ptr<Expr> param;
  std::unique_ptr<Expr> operand;
};

// name(args...). The parser has checked that name is a supported function and the arity fits.
struct Call : Expr {
  Call(size_t position, std::string name) : Expr(ExprKind::kCall, position), name(std::move(name)) {}
  std::string name;
  std::vector<std::unique_ptr<Expr>> args;
};

// Calls `visit` on `root` and every node below it, parents before children, arguments in order.
void ForEachNode(const Expr& root, const std::function<void(const Expr&)>& visit);

// Calls `visit` for every vector selector in the tree, with the range selector around it
// (nullptr for an instant selector).
void ForEachSelector(const Expr& root, const std::function<void(const VectorSelector&, const MatrixSelector*)>& visit);

}  // namespace wgtune::promql
