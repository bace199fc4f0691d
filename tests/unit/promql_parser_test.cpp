#include "advisor/promql/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <ostream>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune::promql {
namespace {

struct ParseCase {
  const char* name;
  const char* input;
  bool ok;
  const char* want;  // ok: the canonical Format output; otherwise a substring of the error
};

std::ostream& operator<<(std::ostream& out, const ParseCase& c) { return out << c.name; }

const ParseCase kCases[] = {
    // Literals.
    {"Integer", "42", true, "42"},
    {"Float", "1.5", true, "1.5"},
    {"LeadingDot", ".5", true, "0.5"},
    {"Exponent", "1e3", true, "1000"},
    {"NegativeExponent", "2.5E-3", true, "0.0025"},
    {"Hex", "0x1f", true, "31"},
    {"Inf", "Inf", true, "Inf"},
    {"InfLowercase", "inf", true, "Inf"},
    {"NaN", "NaN", true, "NaN"},
    {"NegativeInf", "-Inf", true, "(-Inf)"},
    {"DoubleQuoted", R"("a\"b\n")", true, R"("a\"b\n")"},
    {"SingleQuoted", R"('it\'s')", true, R"("it's")"},
    {"HexAndUnicodeEscapes", R"("\x41\u00e9\101")", true, "\"A\xc3\xa9" "A\""},
    {"RawStringKeepsBackslashes", R"(`a\d+`)", true, R"("a\\d+")"},
    {"Comment", "1 # the threshold\n+ 2", true, "(1 + 2)"},
    // Selectors.
    {"BareMetric", "up", true, "up"},
    {"MetricWithColons", "job:rate:sum", true, "job:rate:sum"},
    {"AllMatchers", R"(m{a="1", b!="2", c=~"x.*", d!~'y'})", true,
     R"(m{a="1", b!="2", c=~"x.*", d!~"y"})"},
    {"TrailingCommaInMatchers", R"(m{a="1",})", true, R"(m{a="1"})"},
    {"NameMatcherOnly", R"({__name__="up"})", true, R"({__name__="up"})"},
    {"KeywordAsLabelName", R"(m{on="x"})", true, R"(m{on="x"})"},
    // Precedence and associativity.
    {"MulBeforeAdd", "a + b * c", true, "(a + (b * c))"},
    {"LeftAssociativeSub", "a - b - c", true, "((a - b) - c)"},
    {"RightAssociativePow", "2 ^ 3 ^ 2", true, "(2 ^ (3 ^ 2))"},
    {"PowBeforeMul", "a * b ^ c", true, "(a * (b ^ c))"},
    {"ModAndDivLeft", "a / b % c", true, "((a / b) % c)"},
    {"ComparisonBelowAdd", "a + 1 > b", true, "((a + 1) > b)"},
    {"AndAboveOr", "a or b and c", true, "(a or (b and c))"},
    {"UnlessWithAnd", "a and b unless c", true, "((a and b) unless c)"},
    {"ComparisonAboveAnd", "a > 1 and b < 2", true, "((a > 1) and (b < 2))"},
    {"AllComparisons", "a == b != c <= d < e >= f > g", true,
     "((((((a == b) != c) <= d) < e) >= f) > g)"},
    {"Parentheses", "(a + b) * c", true, "((a + b) * c)"},
    {"UnaryBelowPow", "-2 ^ 2", true, "(-(2 ^ 2))"},
    {"UnaryAboveMul", "-a * b", true, "((-a) * b)"},
    {"UnaryInPowExponent", "2 ^ -1", true, "(2 ^ (-1))"},
    {"UnaryPlus", "+a", true, "(+a)"},
    {"CaseInsensitiveKeywords", "a AND b Or c", true, "((a and b) or c)"},
    // Checked against generated_parser.y: %left LOR < %left LAND LUNLESS < %left comparisons <
    // %left ADD SUB < %left MUL DIV MOD < %right POW, and unary_expr is %prec MUL.
    {"AddSubLeftAssociative", "a - b + c", true, "((a - b) + c)"},
    {"MulDivLeftAssociative", "a / b * c", true, "((a / b) * c)"},
    {"UnlessThenOr", "a unless b or c", true, "((a unless b) or c)"},
    {"OrThenUnless", "a or b unless c", true, "(a or (b unless c))"},
    {"BoolOperandIsSum", "a == bool b + 1", true, "(a == bool (b + 1))"},
    {"UnaryBelowComparison", "-a > b", true, "((-a) > b)"},
    {"UnaryOperandOfMul", "a + -b * c", true, "(a + ((-b) * c))"},
    {"UnaryAroundPowChain", "-a ^ b ^ c", true, "(-(a ^ (b ^ c)))"},
    {"UnaryInPowExponentThenMul", "2 ^ -1 * 3", true, "((2 ^ (-1)) * 3)"},
    {"UnaryInPowExponentChain", "a ^ -b ^ c", true, "(a ^ (-(b ^ c)))"},
    {"DoubleUnary", "- -a", true, "(-(-a))"},
    // Modifiers.
    {"Bool", "a > bool 1", true, "(a > bool 1)"},
    {"BoolOnGroupLeft", "a > bool on(x) group_left(y) b", true,
     "(a > bool on(x) group_left(y) b)"},
    {"IgnoringGroupRightNoLabels", "a * ignoring(x, y) group_right b", true,
     "(a * ignoring(x, y) group_right() b)"},
    {"OnEmpty", "a / on() b", true, "(a / on() b)"},
    {"SetOperatorWithOn", "a and on(job) b", true, "(a and on(job) b)"},
    // Aggregations.
    {"Sum", "sum(rate_x)", true, "sum(rate_x)"},
    {"SumByBefore", "sum by (job, instance) (x)", true, "sum by(job, instance) (x)"},
    {"SumByAfter", "sum(x) by (job)", true, "sum by(job) (x)"},
    {"AvgWithout", "avg without(cpu) (x)", true, "avg without(cpu) (x)"},
    {"Topk", "topk(5, x)", true, "topk(5, x)"},
    {"BottomkWithoutAfter", "bottomk(3, x) without (a)", true, "bottomk without(a) (3, x)"},
    {"AggregationUppercase", "MAX(x) BY (a)", true, "max by(a) (x)"},
    {"AggregationInExpression", "count(x) > 1 + min(y)", true, "(count(x) > (1 + min(y)))"},
    {"KeywordGroupingLabel", "sum by (on, bool) (x)", true, "sum by(on, bool) (x)"},
    {"Quantile", "quantile(0.9, x)", true, "quantile(0.9, x)"},
    {"QuantileWithoutAfter", "quantile(0.5, x) without (a)", true, "quantile without(a) (0.5, x)"},
    {"Group", "group by (job) (up)", true, "group by(job) (up)"},
    {"GroupUppercase", "GROUP(up)", true, "group(up)"},
    {"GroupAsLabelName", "sum by (group) (x{group=\"a\"})", true, "sum by(group) (x{group=\"a\"})"},
    {"GroupAsIncludeLabel", "a * on(b) group_left(group) c", true, "(a * on(b) group_left(group) c)"},
    // Functions.
    {"Time", "time()", true, "time()"},
    {"NestedCalls", "abs(clamp_min(x, 0))", true, "abs(clamp_min(x, 0))"},
    {"LabelReplace", R"x(label_replace(up, "dst", "$1", "src", "(.*)"))x", true,
     R"x(label_replace(up, "dst", "$1", "src", "(.*)"))x"},
    {"RoundOptionalArg", "round(x, 0.5)", true, "round(x, 0.5)"},
    {"AbsentVectorScalar", "absent(x) or vector(scalar(y))", true,
     "(absent(x) or vector(scalar(y)))"},
    {"SortFunctions", "sort_desc(sort(sgn(x)))", true, "sort_desc(sort(sgn(x)))"},
    {"LabelJoinVariadic", R"x(label_join(up, "dst", ",", "a", "b", "c"))x", true,
     R"x(label_join(up, "dst", ",", "a", "b", "c"))x"},
    {"LabelJoinNoSources", R"x(label_join(up, "dst", ","))x", true, R"x(label_join(up, "dst", ","))x"},
    // Errors.
    {"Empty", "", false, "position 0: expected an expression, found end of input"},
    {"UnclosedParen", "(a + b", false, "position 6: expected ')' to close the '(' at position 0"},
    {"ExtraCloseParen", "a + b)", false, "position 5: expected end of input, found unbalanced ')'"},
    {"TrailingGarbage", "a b", false, "position 2: expected a binary operator or end of input, found 'b'"},
    {"BoolOnArithmetic", "a + bool b", false, "position 4: expected an operand after '+' (bool is only"},
    {"GroupLeftWithoutOn", "a * group_left b", false,
     "position 4: expected on(...) or ignoring(...) before group_left, found 'group_left'"},
    {"GroupingOnSetOperator", "a and on(x) group_left b", false, "allow no grouping"},
    {"LabelInOnAndGroup", "a * on(x) group_left(x) b", false, "'x' is in both"},
    {"UnknownAggregationModifierBefore", "sum on(a) (x)", false,
     "position 4: expected 'by', 'without' or '(' as aggregation modifier, found 'on'"},
    {"UnknownAggregationModifierAfter", "sum(x) ignoring(a)", false,
     "position 7: expected 'by' or 'without' as aggregation modifier, found 'ignoring'"},
    {"GroupingTwice", "sum by (a) (x) by (b)", false, "expected one grouping clause"},
    {"TopkNeedsParam", "topk(x)", false, "expected 2 argument(s) to topk, found 1"},
    {"SumTakesOneArg", "sum(1, x)", false, "expected 1 argument(s) to sum, found 2"},
    {"QuantileNeedsParam", "quantile(x)", false, "position 0: expected 2 argument(s) to quantile, found 1"},
    {"GroupTakesOneArg", "group(1, x)", false, "position 0: expected 1 argument(s) to group, found 2"},
    {"LabelJoinTooFew", R"x(label_join(up, "dst"))x", false,
     "position 0: expected at least 3 argument(s) to label_join(), found 2"},
    {"SortArity", "sort(x, y)", false, "position 0: expected 1 argument(s) to sort(), found 2"},
    {"AggregationWithoutParens", "sum", false, "position 3: expected 'by', 'without' or '(' after sum"},
    {"UnknownFunction", "predict_linear(x[5m], 60)", false,
     "position 0: expected a supported function name, found 'predict_linear'"},
    {"WrongArity", "clamp_min(x)", false, "expected 2 argument(s) to clamp_min(), found 1"},
    {"EmptySelector", "{}", false, "position 0: expected a metric name or a matcher"},
    {"SelectorMatchingEmpty", R"({a=""})", false, "matches every series"},
    {"NameTwice", R"(up{__name__="x"})", false, "found a second __name__ matcher"},
    {"MissingMatcherValue", "m{a=}", false, "position 4: expected a quoted label value, found '}'"},
    {"BadMatcherOperator", R"(m{a=="1"})", false, "position 3: expected '=', '!=', '=~' or '!~'"},
    {"UnclosedBrace", R"(m{a="1")", false, "expected ',' or '}' to close the '{' at position 1"},
    {"ColonInLabelName", R"(m{a:b="1"})", false, "expected a label name"},
    {"UnterminatedString", R"("abc)", false, "position 0: expected a closing \", found end of input"},
    {"BadEscape", R"("\q")", false, "position 1: expected a valid escape sequence, found '\\q'"},
    {"Duration", "5m", false,
     "position 0: expected a number, found '5m' (a duration is only allowed as the range of a selector, x[5m])"},
    // Range vectors: only on a selector, a duration Prometheus accepts, no subqueries.
    {"RangeVector", "x[5m]", true, "x[5m]"},
    {"RangeOnSelectorWithMatchers", R"(rate(x{a="1"}[1h30m]))", true, R"(rate(x{a="1"}[1h30m]))"},
    {"RangeInMilliseconds", "x[5001ms]", true, "x[5s1ms]"},
    {"RangeNormalised", "x[90s]", true, "x[1m30s]"},
    {"RangeInsideArithmetic", "rate(a[1m]) * 8 + irate(b[30s])", true, "((rate(a[1m]) * 8) + irate(b[30s]))"},
    {"RangeOnAggregate", "sum(x)[5m]", false,
     "position 6: expected an operator (ranges only allowed for vector selectors), found '['"},
    {"RangeOnParens", "(x)[5m]", false, "ranges only allowed for vector selectors"},
    {"RangeTwice", "x[5m][5m]", false, "position 5: expected an operator (ranges only allowed for vector selectors)"},
    {"RangeWithoutDuration", "x[]", false, "position 2: expected a duration such as 5m in the range, found ']'"},
    {"RangeBadUnit", "x[5q]", false, "position 2: expected a duration such as 30s, 5m or 1h30m, found '5q'"},
    {"RangeUnitsOutOfOrder", "x[5s1m]", false, "found '5s1m'"},
    {"RangeZero", "x[0s]", false, "position 2: expected a range greater than zero, found '0s'"},
    {"RangeUnclosed", "x[5m", false, "position 4: expected ']' after the range, found end of input"},
    {"Subquery", "x[5m:1m]", false, "position 4: expected ']' after the range, found ':' (subqueries are not supported)"},
    {"LoneBang", "a ! b", false, "position 2: expected '!=' or '!~'"},
    {"MissingOperand", "a +", false, "position 3: expected an expression, found end of input"},
    {"KeywordAsOperand", "by + 1", false, "position 0: expected an expression, found 'by'"},
    {"UnclosedCall", "abs(x", false, "position 5: expected ',' or ')' to close the '(' at position 3"},
    {"UnclosedLabelList", "sum by (a (x)", false, "expected ',' or ')' to close the '(' at position 7"},
};

class PromqlParserTest : public testing::TestWithParam<ParseCase> {};

TEST_P(PromqlParserTest, ParsesOrRejects) {
  const ParseCase& c = GetParam();
  if (c.ok) {
    std::unique_ptr<Expr> expr;
    ASSERT_NO_THROW(expr = ParseExpr(c.input)) << c.input;
    EXPECT_EQ(Format(*expr), c.want);
    // The canonical form is itself valid input with the same meaning.
    EXPECT_EQ(Format(*ParseExpr(Format(*expr))), c.want);
  } else {
    try {
      ParseExpr(c.input);
      FAIL() << "parsed " << c.input << " without error";
    } catch (const ParseError& error) {
      EXPECT_NE(std::string(error.what()).find(c.want), std::string::npos)
          << "error: " << error.what() << "\nwant substring: " << c.want;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, PromqlParserTest, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<ParseCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(PromqlParserTest, NodesCarryByteOffsets) {
  std::unique_ptr<Expr> expr = ParseExpr("  sum by (a) (x) > bool on(a) -y");
  ASSERT_EQ(expr->kind, ExprKind::kBinary);
  const auto& binary = expr->As<BinaryExpr>();
  EXPECT_EQ(binary.position, 2u);
  EXPECT_EQ(binary.operator_position, 17u);
  EXPECT_EQ(binary.lhs->position, 2u);
  EXPECT_EQ(binary.lhs->As<AggregateExpr>().operand->position, 14u);
  ASSERT_EQ(binary.rhs->kind, ExprKind::kUnary);
  EXPECT_EQ(binary.rhs->position, 30u);
  EXPECT_EQ(binary.rhs->As<UnaryExpr>().operand->position, 31u);
}

TEST(PromqlParserTest, MatcherPositionsAndValues) {
  std::unique_ptr<Expr> expr = ParseExpr(R"(m{a="1", b=~`x\d`})");
  const auto& selector = expr->As<VectorSelector>();
  ASSERT_EQ(selector.matchers.size(), 2u);
  EXPECT_EQ(selector.matchers[0].position, 2u);
  EXPECT_EQ(selector.matchers[1].position, 9u);
  EXPECT_EQ(selector.matchers[1].op, MatchOp::kRegexMatch);
  EXPECT_EQ(selector.matchers[1].value, R"(x\d)");
}

TEST(PromqlParserTest, NaNIsANumber) {
  std::unique_ptr<Expr> expr = ParseExpr("NaN");
  ASSERT_EQ(expr->kind, ExprKind::kNumber);
  EXPECT_TRUE(std::isnan(expr->As<NumberLiteral>().value));
}

}  // namespace
}  // namespace wgtune::promql

namespace wgtune::promql {
namespace {

// Issue 15: deep nesting overflowed the stack. Every kind of nesting is bounded at kMaxNesting.
std::string Nested(size_t depth, const std::string& open, const std::string& inner, const std::string& close) {
  std::string out;
  for (size_t i = 0; i < depth; ++i) out += open;
  out += inner;
  for (size_t i = 0; i < depth; ++i) out += close;
  return out;
}

TEST(PromqlParserTest, NestingIsBounded) {
  // The expression itself is one level: kMaxNesting - 1 wrappers fit, one more does not.
  const size_t fits = kMaxNesting - 1;
  for (const auto& [open, close] : std::vector<std::pair<std::string, std::string>>{
           {"(", ")"}, {"-", ""}, {"+", ""}, {"abs(", ")"}, {"sum(", ")"}, {"2 ^ ", ""}}) {
    SCOPED_TRACE(open);
    EXPECT_NO_THROW(ParseExpr(Nested(fits, open, "x", close)));
    try {
      ParseExpr(Nested(fits + 1, open, "x", close));
      ADD_FAILURE() << "parsed " << fits + 1 << " levels";
    } catch (const ParseError& error) {
      EXPECT_TRUE(std::string(error.what()).find("expression nested deeper than 256 levels") != std::string::npos)
          << error.what();
      EXPECT_TRUE(StartsWith(error.what(), "position ")) << error.what();
    }
  }
  // The issue's inputs: t, 1,200 signs and w; 5,000 parentheses; and 5,000 right-associative ^.
  EXPECT_THROW(ParseExpr("t" + std::string(1200, '+') + "w"), ParseError);
  EXPECT_THROW(ParseExpr(Nested(5000, "(", "x", ")")), ParseError);
  EXPECT_THROW(ParseExpr(Nested(5000, "2 ^ ", "x", "")), ParseError);
  // A long chain of left-associative operators is not nesting.
  std::string chain = "x";
  for (int i = 0; i < 5000; ++i) chain += " + x";
  EXPECT_NO_THROW(ParseExpr(chain));
}

}  // namespace
}  // namespace wgtune::promql
