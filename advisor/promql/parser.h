// Parses the PromQL subset of ast.h, with Prometheus precedence and associativity.
//
// Binary operators, loosest to tightest (all left-associative except ^):
//   or  <  and unless  <  == != <= < >= >  <  + -  <  * / %  <  unary - +  <  ^ (right)
// so `-2 ^ 2` is -(2 ^ 2), `2 ^ 3 ^ 2` is 2 ^ (3 ^ 2) and `a - b - c` is (a - b) - c, as in
// prometheus/promql/parser/generated_parser.y.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "advisor/promql/ast.h"

namespace wgtune::promql {

// How deeply an expression may nest (parentheses, unary signs, function and aggregation
// arguments, chains of ^): far beyond any rule, and far within the stack of every thread that
// parses, evaluates or walks one.
inline constexpr size_t kMaxNesting = 256;

// Parses one complete expression. Throws wgtune::ParseError("position N: expected X, found Y")
// where N is the 0-based byte offset of the offending token: unknown tokens, unbalanced
// parentheses or braces, misplaced modifiers (bool on a non-comparison, group_left without
// on/ignoring, grouping on and/or/unless), unknown functions or aggregation modifiers, wrong
// argument counts, selectors that could match every series, nesting deeper than kMaxNesting,
// and anything after the expression.
std::unique_ptr<Expr> ParseExpr(std::string_view source);

// A canonical, fully parenthesised rendering: every binary and unary expression is wrapped in
// parentheses, numbers are printed in shortest round-trip form (0x1f → 31, 1e3 → 1000, inf → Inf) and
// strings in double quotes. Parsing the output yields an equivalent tree, so tests use it to
// check precedence: `a + b * c` → `(a + (b * c))`.
std::string Format(const Expr& expr);

}  // namespace wgtune::promql
