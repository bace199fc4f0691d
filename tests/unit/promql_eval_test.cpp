#include "advisor/promql/eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>
#include <stdexcept>
#include <string>

#include "advisor/promql/parser.h"
#include "common/exposition.h"
#include "common/text.h"
#include "promql_testing.h"

namespace wgtune::promql {
namespace {

// Most series and expectations come from Prometheus's own test data
// (promql/testdata/{operators,aggregators,functions}.test), evaluated at the instant those
// files use (50m for http_requests), so the expected results are Prometheus's.
constexpr std::string_view kSeries = R"(
http_requests{job="api-server",instance="0",group="production"} 100
http_requests{job="api-server",instance="1",group="production"} 200
http_requests{job="api-server",instance="0",group="canary"} 300
http_requests{job="api-server",instance="1",group="canary"} 400
http_requests{job="app-server",instance="0",group="production"} 500
http_requests{job="app-server",instance="1",group="production"} 600
http_requests{job="app-server",instance="0",group="canary"} 700
http_requests{job="app-server",instance="1",group="canary"} 800
requests_nan{job="api-server",instance="0",group="production"} 100
requests_nan{job="api-server",instance="1",group="production"} 200
requests_nan{job="api-server",instance="2",group="production"} NaN
requests_nan{job="api-server",instance="0",group="canary"} 300
requests_nan{job="api-server",instance="1",group="canary"} 400
requests_nan{job="app-server",instance="0",group="production"} 500
requests_nan{job="app-server",instance="1",group="production"} 600
requests_nan{job="app-server",instance="0",group="canary"} 700
requests_nan{job="app-server",instance="1",group="canary"} 800
foo{job="api-server",instance="0",region="europe"} 900
foo{job="api-server"} 1000
vector_matching_a{l="x"} 10
vector_matching_a{l="y"} 20
vector_matching_b{l="x"} 40
node_var{instance="abc",job="node"} 2
node_role{instance="abc",job="node",role="prometheus"} 1
node_cpu{instance="abc",job="node",mode="idle"} 3
node_cpu{instance="abc",job="node",mode="user"} 1
node_cpu{instance="def",job="node",mode="idle"} 8
node_cpu{instance="def",job="node",mode="user"} 2
random{foo="bar"} 1
threshold{instance="abc",job="node",target="a@b.com"} 0
metricA{baz="meh"} 3
metricB{baz="meh"} 4
metricC{instance="abc",job="node"} 2
testmetric1{src="a",dst="b"} 0
testmetric2{src="a",dst="b"} 1
label_grouping_test{a="aa",b="bb"} 100
label_grouping_test{a="a",b="abb"} 200
minmax{job="api-server",instance="0",group="production"} 1
minmax{job="api-server",instance="1",group="production"} 2
minmax{job="api-server",instance="0",group="canary"} NaN
minmax{job="api-server",instance="1",group="canary"} 3
minmax{job="api-server",instance="2",group="canary"} 4
ties{i="a"} 5
ties{i="b"} 5
ties{i="c"} 7
k_param 3
qdata{test="two samples",point="a"} 0
qdata{test="two samples",point="b"} 1
qdata{test="three samples",point="a"} 0
qdata{test="three samples",point="b"} 1
qdata{test="three samples",point="c"} 2
qdata{test="uneven samples",point="a"} 0
qdata{test="uneven samples",point="b"} 1
qdata{test="uneven samples",point="c"} 4
phi 0.8
avgdata{test="ten",point="a"} 8
avgdata{test="ten",point="b"} 10
avgdata{test="ten",point="c"} 12
avgdata{test="inf",point="a"} 0
avgdata{test="inf",point="b"} +Inf
avgdata{test="inf",point="d"} +Inf
avgdata{test="inf",point="c"} 0
avgdata{test="-inf",point="a"} -Inf
avgdata{test="-inf",point="b"} -Inf
avgdata{test="-inf",point="c"} 0
avgdata{test="inf2",point="a"} +Inf
avgdata{test="inf2",point="b"} 0
avgdata{test="inf2",point="c"} +Inf
avgdata{test="-inf2",point="a"} -Inf
avgdata{test="-inf2",point="b"} 0
avgdata{test="-inf2",point="c"} -Inf
avgdata{test="nan",point="a"} -Inf
avgdata{test="nan",point="b"} 0
avgdata{test="nan",point="c"} +Inf
avgdata{test="big",point="a"} 9.988465674311579e+307
avgdata{test="big",point="b"} 9.988465674311579e+307
avgdata{test="big",point="c"} 9.988465674311579e+307
avgdata{test="big",point="d"} 9.988465674311579e+307
avgdata{test="-big",point="a"} -9.988465674311579e+307
avgdata{test="-big",point="b"} -9.988465674311579e+307
avgdata{test="-big",point="c"} -9.988465674311579e+307
avgdata{test="-big",point="d"} -9.988465674311579e+307
avgdata{test="bigzero",point="a"} -9.988465674311579e+307
avgdata{test="bigzero",point="b"} -9.988465674311579e+307
avgdata{test="bigzero",point="c"} 9.988465674311579e+307
avgdata{test="bigzero",point="d"} 9.988465674311579e+307
testmetric{src="source-value-10",dst="original-destination-value"} 0
testmetric{src="source-value-20",dst="original-destination-value"} 1
joinmetric{src="a",src1="b",src2="c",dst="original-destination-value"} 0
joinmetric{src="d",src1="e",src2="f",dst="original-destination-value"} 1
test_clamp{src="clamp-a"} -50
test_clamp{src="clamp-b"} 0
test_clamp{src="clamp-c"} 100
test_sgn{src="sgn-a"} -Inf
test_sgn{src="sgn-b"} +Inf
test_sgn{src="sgn-c"} NaN
test_sgn{src="sgn-d"} -50
test_sgn{src="sgn-e"} 0
test_sgn{src="sgn-f"} 100
fractional{v="a"} -1.5
fractional{v="b"} 2.5
fractional{v="c"} 0.24
fractional{v="d"} -0.2
)";

constexpr double kEvalTime = 3000;  // 50m, the instant of Prometheus's test files

MemorySource& TestSource() {
  static MemorySource source(SamplesFrom(kSeries));
  return source;
}

struct EvalCase {
  const char* name;
  const char* expr;
  // Render() of the result (vectors in result order), or "error: " and a substring of the
  // EvalError message.
  const char* want;
};

std::ostream& operator<<(std::ostream& out, const EvalCase& c) { return out << c.name; }

const EvalCase kCases[] = {
    // Scalars and strings.
    {"ScalarLiteral", "42", "scalar 42"},
    {"ScalarPrecedence", "1 + 2 * 3", "scalar 7"},
    {"ScalarPowRightAssociative", "2 ^ 3 ^ 2", "scalar 512"},
    {"UnaryMinusBelowPow", "-2 ^ 2", "scalar -4"},
    {"ParenthesisedNegativeBase", "(-2) ^ 2", "scalar 4"},
    {"RepeatedNegation", "- - - 1", "scalar -1"},
    {"ModTakesSignOfDividend", "-7 % 3", "scalar -1"},
    {"ModNegativeDivisor", "7 % -3", "scalar 1"},
    {"ModFraction", "5.5 % 2", "scalar 1.5"},
    {"ModByZero", "1 % 0", "scalar NaN"},
    {"DivByZero", "1 / 0", "scalar +Inf"},
    {"NegativeDivByZero", "-1 / 0", "scalar -Inf"},
    {"ZeroByZero", "0 / 0", "scalar NaN"},
    {"OneToTheNaN", "1 ^ NaN", "scalar 1"},
    {"NaNToTheZero", "NaN ^ 0", "scalar 1"},
    {"ScalarComparisonFalse", "0 == bool 1", "scalar 0"},
    {"ScalarComparisonTrue", "1 == bool 1", "scalar 1"},
    {"NaNNotEqualItself", "NaN != bool NaN", "scalar 1"},
    {"Time", "time()", "scalar 3000"},
    {"TimeArithmetic", "time() - 1000", "scalar 2000"},
    {"String", R"("hello")", "string hello"},

    // Selectors.
    {"SelectorWithMatchers", R"(http_requests{job="api-server", group="canary"})",
     R"(http_requests{group="canary", instance="0", job="api-server"} 300
http_requests{group="canary", instance="1", job="api-server"} 400)"},
    {"RegexIsAnchored", R"(http_requests{job=~"api.*", group=~"can"})", ""},
    {"RegexAlternationAndNegation",
     R"(http_requests{job=~"api-server|app-server", instance!~"1|2", group="production"})",
     R"(http_requests{group="production", instance="0", job="api-server"} 100
http_requests{group="production", instance="0", job="app-server"} 500)"},
    {"AlternationMatchesWholeValue", R"(label_grouping_test{b=~"a|abb"})",
     R"(label_grouping_test{a="a", b="abb"} 200)"},
    {"NameRegex", R"({__name__=~"vector_matching_.*"})",
     R"(vector_matching_a{l="x"} 10
vector_matching_a{l="y"} 20
vector_matching_b{l="x"} 40)"},
    {"CaseInsensitiveFlag", R"(http_requests{group=~"(?i)CANARY", instance="0"})",
     R"(http_requests{group="canary", instance="0", job="api-server"} 300
http_requests{group="canary", instance="0", job="app-server"} 700)"},
    {"BracketStartingWithCloseBracket", R"(vector_matching_a{l=~"[]x]"})", R"(vector_matching_a{l="x"} 10)"},
    {"PosixClass", R"(vector_matching_a{l=~"[[:alpha:]]", l!~"y"})", R"(vector_matching_a{l="x"} 10)"},
    {"MissingMetric", "nonexistent", ""},
    {"SelectorMatchingEverything", R"({job=~".*"})",
     "error: position 0: vector selector must contain at least one non-empty matcher"},
    {"InvalidRegex", R"(x{a=~"("})", R"(error: position 2: invalid regular expression "(")"},
    {"TextAnchorsTranslated", R"(vector_matching_a{l=~"\\Ax\\z"})", R"(vector_matching_a{l="x"} 10)"},
    {"PerlClassEscape", R"~(label_replace(testmetric, "dst", "$1", "src", "\\D+(\\d+)"))~",
     R"(testmetric{dst="10", src="source-value-10"} 0
testmetric{dst="20", src="source-value-20"} 1)"},
    // RE2 itself, as Prometheus: Unicode classes and flag groups work; what Go's regexp refuses
    // (lookaround, backreferences) is refused.
    {"Re2UnicodeClass", R"(vector_matching_a{l=~"\\pL", l!~"y"})", R"(vector_matching_a{l="x"} 10)"},
    {"Re2FlagGroup", R"~(vector_matching_a{l=~"(?i:X)"})~", R"(vector_matching_a{l="x"} 10)"},
    {"LookaheadRefused", R"~(x{a=~"(?=x)"})~", "error: position 2: invalid regular expression"},
    {"BackreferenceRefused", R"~(x{a=~"(x)\\1"})~", "error: position 2: invalid regular expression"},

    // Unary operators.
    {"UnaryMinusDropsName", R"(-http_requests{job="api-server",instance="0",group="production"})",
     R"({group="production", instance="0", job="api-server"} -100)"},
    {"UnaryPlusKeepsName", R"(+http_requests{job="api-server",instance="0",group="production"})",
     R"(http_requests{group="production", instance="0", job="api-server"} 100)"},
    {"RepeatedNegationOfVector", "- - - SUM(http_requests) BY (job)",
     R"({job="api-server"} -1000
{job="app-server"} -2600)"},
    {"UnaryMinusDuplicateLabelsets", R"(-{__name__=~'testmetric1|testmetric2'})",
     "error: position 0: vector cannot contain metrics with the same labelset"},

    // Arithmetic.
    {"VectorMinusVector", "SUM(http_requests) BY (job) - COUNT(http_requests) BY (job)",
     R"({job="api-server"} 996
{job="app-server"} 2596)"},
    {"ScalarMinusVector", "2 - SUM(http_requests) BY (job)",
     R"({job="api-server"} -998
{job="app-server"} -2598)"},
    {"ScalarDividedByVector", "1000 / SUM(http_requests) BY (job)",
     R"({job="api-server"} 1
{job="app-server"} 0.38461538461538464)"},
    {"VectorMod", "SUM(http_requests) BY (job) % 3",
     R"({job="api-server"} 1
{job="app-server"} 2)"},
    {"VectorPow", "SUM(http_requests) BY (job) ^ 2",
     R"({job="api-server"} 1000000
{job="app-server"} 6760000)"},
    {"ModBelowPow", "SUM(http_requests) BY (job) % 3 ^ 2",
     R"({job="api-server"} 1
{job="app-server"} 8)"},
    {"PowParenthesised", "SUM(http_requests) BY (job) % 2 ^ (3 ^ 2)",
     R"({job="api-server"} 488
{job="app-server"} 40)"},
    {"PowChain", "SUM(http_requests) BY (job) % 2 ^ 3 ^ 2",
     R"({job="api-server"} 488
{job="app-server"} 40)"},
    {"LongPowChain", "SUM(http_requests) BY (job) % 2 ^ 3 ^ 2 ^ 2",
     R"({job="api-server"} 1000
{job="app-server"} 2600)"},
    {"VectorPowVector", "COUNT(http_requests) BY (job) ^ COUNT(http_requests) BY (job)",
     R"({job="api-server"} 256
{job="app-server"} 256)"},
    {"VectorDivByZero", "SUM(http_requests) BY (job) / 0",
     R"({job="api-server"} +Inf
{job="app-server"} +Inf)"},
    {"VectorPlusItself", "SUM(http_requests) BY (job) + SUM(http_requests) BY (job)",
     R"({job="api-server"} 2000
{job="app-server"} 5200)"},
    {"VectorTimesScalarDropsName", "vector_matching_a * 2",
     R"({l="x"} 20
{l="y"} 40)"},
    {"OneToOneDefaultMatching", "vector_matching_a - vector_matching_b", R"({l="x"} -30)"},
    {"OnWithScalarAndNoLabels", "1 + on() vector_matching_a",
     R"({l="x"} 11
{l="y"} 21)"},

    // Comparisons.
    {"FilterGreater", "SUM(http_requests) BY (job) > 1000", R"({job="app-server"} 2600)"},
    {"FilterScalarOnLeftKeepsVectorValue", "1000 < SUM(http_requests) BY (job)", R"({job="app-server"} 2600)"},
    {"FilterLessEqual", "SUM(http_requests) BY (job) <= 1000", R"({job="api-server"} 1000)"},
    {"FilterNotEqual", "SUM(http_requests) BY (job) != 1000", R"({job="app-server"} 2600)"},
    {"FilterEqual", "SUM(http_requests) BY (job) == 1000", R"({job="api-server"} 1000)"},
    {"BoolWithScalar", "SUM(http_requests) BY (job) == bool 1000",
     R"({job="api-server"} 1
{job="app-server"} 0)"},
    {"BoolVectorVector", "SUM(http_requests) BY (job) == bool SUM(http_requests) BY (job)",
     R"({job="api-server"} 1
{job="app-server"} 1)"},
    {"BoolVectorVectorFalse", "SUM(http_requests) BY (job) != bool SUM(http_requests) BY (job)",
     R"({job="api-server"} 0
{job="app-server"} 0)"},
    {"BoolDropsName", R"(http_requests{job="api-server", instance="0", group="production"} == bool 100)",
     R"({group="production", instance="0", job="api-server"} 1)"},
    {"FilterKeepsName", R"(http_requests{group="canary"} > 500)",
     R"(http_requests{group="canary", instance="0", job="app-server"} 700
http_requests{group="canary", instance="1", job="app-server"} 800)"},
    {"FilterScalarOnLeftKeepsName", R"(500 < http_requests{group="canary"})",
     R"(http_requests{group="canary", instance="0", job="app-server"} 700
http_requests{group="canary", instance="1", job="app-server"} 800)"},
    {"BoolScalarFilter", R"(http_requests{group="canary"} > bool 500)",
     R"({group="canary", instance="0", job="api-server"} 0
{group="canary", instance="0", job="app-server"} 1
{group="canary", instance="1", job="api-server"} 0
{group="canary", instance="1", job="app-server"} 1)"},
    {"FilterIgnoringDropsIgnoredLabels",
     R"(http_requests{group="canary"} > ignoring(group) http_requests{group="production"})",
     R"(http_requests{instance="0", job="api-server"} 300
http_requests{instance="0", job="app-server"} 700
http_requests{instance="1", job="api-server"} 400
http_requests{instance="1", job="app-server"} 800)"},
    {"FilterOnKeepsOnlyOnLabels", "metricC == on (instance) metricC", R"({instance="abc"} 2)"},

    // Set operators.
    {"And", R"(http_requests{group="canary"} and http_requests{instance="0"})",
     R"(http_requests{group="canary", instance="0", job="api-server"} 300
http_requests{group="canary", instance="0", job="app-server"} 700)"},
    {"AndAfterArithmetic", R"((http_requests{group="canary"} + 1) and http_requests{instance="0"})",
     R"({group="canary", instance="0", job="api-server"} 301
{group="canary", instance="0", job="app-server"} 701)"},
    {"AndOnTwoLabels",
     R"((http_requests{group="canary"} + 1) and on(instance, job) http_requests{instance="0", group="production"})",
     R"({group="canary", instance="0", job="api-server"} 301
{group="canary", instance="0", job="app-server"} 701)"},
    {"AndOnOneLabel",
     R"((http_requests{group="canary"} + 1) and on(instance) http_requests{instance="0", group="production"})",
     R"({group="canary", instance="0", job="api-server"} 301
{group="canary", instance="0", job="app-server"} 701)"},
    {"AndIgnoring",
     R"((http_requests{group="canary"} + 1) and ignoring(group) http_requests{instance="0", group="production"})",
     R"({group="canary", instance="0", job="api-server"} 301
{group="canary", instance="0", job="app-server"} 701)"},
    {"AndIgnoringTwo",
     R"((http_requests{group="canary"} + 1) and ignoring(group, job) http_requests{instance="0", group="production"})",
     R"({group="canary", instance="0", job="api-server"} 301
{group="canary", instance="0", job="app-server"} 701)"},
    {"Or", R"(http_requests{group="canary"} or http_requests{group="production"})",
     R"(http_requests{group="canary", instance="0", job="api-server"} 300
http_requests{group="canary", instance="0", job="app-server"} 700
http_requests{group="canary", instance="1", job="api-server"} 400
http_requests{group="canary", instance="1", job="app-server"} 800
http_requests{group="production", instance="0", job="api-server"} 100
http_requests{group="production", instance="0", job="app-server"} 500
http_requests{group="production", instance="1", job="api-server"} 200
http_requests{group="production", instance="1", job="app-server"} 600)"},
    {"OrDropsOverlappingRight", R"((http_requests{group="canary"} + 1) or http_requests{instance="1"})",
     R"(http_requests{group="production", instance="1", job="api-server"} 200
http_requests{group="production", instance="1", job="app-server"} 600
{group="canary", instance="0", job="api-server"} 301
{group="canary", instance="0", job="app-server"} 701
{group="canary", instance="1", job="api-server"} 401
{group="canary", instance="1", job="app-server"} 801)"},
    {"OrOnMissingLabel",
     R"((http_requests{group="canary"} + 1) or on(instance) (http_requests or cpu_count or vector_matching_a))",
     R"(vector_matching_a{l="x"} 10
vector_matching_a{l="y"} 20
{group="canary", instance="0", job="api-server"} 301
{group="canary", instance="0", job="app-server"} 701
{group="canary", instance="1", job="api-server"} 401
{group="canary", instance="1", job="app-server"} 801)"},
    {"OrIgnoring",
     R"((http_requests{group="canary"} + 1) or ignoring(l, group, job) (http_requests or cpu_count or vector_matching_a))",
     R"(vector_matching_a{l="x"} 10
vector_matching_a{l="y"} 20
{group="canary", instance="0", job="api-server"} 301
{group="canary", instance="0", job="app-server"} 701
{group="canary", instance="1", job="api-server"} 401
{group="canary", instance="1", job="app-server"} 801)"},
    {"Unless", R"(http_requests{group="canary"} unless http_requests{instance="0"})",
     R"(http_requests{group="canary", instance="1", job="api-server"} 400
http_requests{group="canary", instance="1", job="app-server"} 800)"},
    {"UnlessOnJob", R"(http_requests{group="canary"} unless on(job) http_requests{instance="0"})", ""},
    {"UnlessOnJobInstance", R"(http_requests{group="canary"} unless on(job, instance) http_requests{instance="0"})",
     R"(http_requests{group="canary", instance="1", job="api-server"} 400
http_requests{group="canary", instance="1", job="app-server"} 800)"},
    {"UnlessIgnoringTwo",
     R"(http_requests{group="canary"} unless ignoring(group, instance) http_requests{instance="0"})", ""},
    {"UnlessIgnoring", R"(http_requests{group="canary"} unless ignoring(group) http_requests{instance="0"})",
     R"(http_requests{group="canary", instance="1", job="api-server"} 400
http_requests{group="canary", instance="1", job="app-server"} 800)"},
    {"AndOnAbsentLabel", "vector_matching_a AND ON (dummy) vector(1)",
     R"(vector_matching_a{l="x"} 10
vector_matching_a{l="y"} 20)"},
    {"AndIgnoringAll", "vector_matching_a AND IGNORING (l) vector(1)",
     R"(vector_matching_a{l="x"} 10
vector_matching_a{l="y"} 20)"},
    {"SetOperatorWithScalar", "vector_matching_a or 1",
     R"(error: position 18: set operator "or" not allowed in binary scalar expression)"},

    // Vector matching.
    {"DivideOn", R"(http_requests{group="canary"} / on(instance,job) http_requests{group="production"})",
     R"({instance="0", job="api-server"} 3
{instance="0", job="app-server"} 1.4
{instance="1", job="api-server"} 2
{instance="1", job="app-server"} 1.3333333333333333)"},
    {"DivideIgnoring", R"(http_requests{group="canary"} / ignoring(group) http_requests{group="production"})",
     R"({instance="0", job="api-server"} 3
{instance="0", job="app-server"} 1.4
{instance="1", job="api-server"} 2
{instance="1", job="app-server"} 1.3333333333333333)"},
    {"GroupRightCopiesRole", "node_role * on (instance) group_right (role) node_var",
     R"({instance="abc", job="node", role="prometheus"} 2)"},
    {"GroupLeftCopiesRole", "node_var * on (instance) group_left (role) node_role",
     R"({instance="abc", job="node", role="prometheus"} 2)"},
    {"GroupLeftIgnoring", "node_var * ignoring (role) group_left (role) node_role",
     R"({instance="abc", job="node", role="prometheus"} 2)"},
    {"GroupRightIgnoring", "node_role * ignoring (role) group_right (role) node_var",
     R"({instance="abc", job="node", role="prometheus"} 2)"},
    {"GroupLeftManySeries", "node_cpu * ignoring (role, mode) group_left (role) node_role",
     R"({instance="abc", job="node", mode="idle", role="prometheus"} 3
{instance="abc", job="node", mode="user", role="prometheus"} 1)"},
    {"GroupLeftOn", "node_cpu * on (instance) group_left (role) node_role",
     R"({instance="abc", job="node", mode="idle", role="prometheus"} 3
{instance="abc", job="node", mode="user", role="prometheus"} 1)"},
    {"RatioOfTotal", "node_cpu / on (instance) group_left sum by (instance,job)(node_cpu)",
     R"({instance="abc", job="node", mode="idle"} 0.75
{instance="abc", job="node", mode="user"} 0.25
{instance="def", job="node", mode="idle"} 0.8
{instance="def", job="node", mode="user"} 0.2)"},
    {"RatioOfAggregates", "sum by (mode, job)(node_cpu) / on (job) group_left sum by (job)(node_cpu)",
     R"({job="node", mode="idle"} 0.7857142857142857
{job="node", mode="user"} 0.21428571428571427)"},
    {"SumOfRatios", "sum(sum by (mode, job)(node_cpu) / on (job) group_left sum by (job)(node_cpu))", "{} 1"},
    {"RatioIgnoring", "node_cpu / ignoring (mode) group_left sum without (mode)(node_cpu)",
     R"({instance="abc", job="node", mode="idle"} 0.75
{instance="abc", job="node", mode="user"} 0.25
{instance="def", job="node", mode="idle"} 0.8
{instance="def", job="node", mode="user"} 0.2)"},
    {"IncludeMissingOnOneSide", "node_cpu / ignoring (mode) group_left(dummy) sum without (mode)(node_cpu)",
     R"({instance="abc", job="node", mode="idle"} 0.75
{instance="abc", job="node", mode="user"} 0.25
{instance="def", job="node", mode="idle"} 0.8
{instance="def", job="node", mode="user"} 0.2)"},
    {"RatioWithout",
     "sum without (instance)(node_cpu) / ignoring (mode) group_left sum without (instance, mode)(node_cpu)",
     R"({job="node", mode="idle"} 0.7857142857142857
{job="node", mode="user"} 0.21428571428571427)"},
    {"CopyLabelFromUnrelatedSeries", "node_cpu + on(dummy) group_left(foo) random*0",
     R"({foo="bar", instance="abc", job="node", mode="idle"} 3
{foo="bar", instance="abc", job="node", mode="user"} 1
{foo="bar", instance="def", job="node", mode="idle"} 8
{foo="bar", instance="def", job="node", mode="user"} 2)"},
    {"ThresholdFromMetric", "node_cpu > on(job, instance) group_left(target) threshold",
     R"(node_cpu{instance="abc", job="node", mode="idle", target="a@b.com"} 3
node_cpu{instance="abc", job="node", mode="user", target="a@b.com"} 1)"},
    {"ThresholdWithDefault",
     "node_cpu > on(job, instance) group_left(target) "
     "(threshold or on (job, instance) (sum by (job, instance)(node_cpu) * 0 + 1))",
     R"(node_cpu{instance="abc", job="node", mode="idle", target="a@b.com"} 3
node_cpu{instance="abc", job="node", mode="user", target="a@b.com"} 1
node_cpu{instance="def", job="node", mode="idle"} 8
node_cpu{instance="def", job="node", mode="user"} 2)"},
    {"OnNothing", "random + on() metricA", "{} 4"},
    {"IgnoringNothing", "metricA + ignoring() metricB", R"({baz="meh"} 7)"},
    {"DefaultMatching", "metricA + metricB", R"({baz="meh"} 7)"},
    // With group_right the filter returns the left ("one") side's value under the right side's labels.
    {"GroupRightFilterValueFromOneSide", "node_var > on(instance) group_right node_role",
     R"(node_role{instance="abc", job="node", role="prometheus"} 2)"},
    {"IncludedLabelAbsentOnOneSideIsRemoved", "node_var > on(instance) group_right(role) node_role",
     R"(node_role{instance="abc", job="node"} 2)"},
    {"GroupLeftPerJobRatio", "http_requests / on(job) group_left sum by (job) (http_requests)",
     R"({group="canary", instance="0", job="api-server"} 0.3
{group="canary", instance="0", job="app-server"} 0.2692307692307692
{group="canary", instance="1", job="api-server"} 0.4
{group="canary", instance="1", job="app-server"} 0.3076923076923077
{group="production", instance="0", job="api-server"} 0.1
{group="production", instance="0", job="app-server"} 0.19230769230769232
{group="production", instance="1", job="api-server"} 0.2
{group="production", instance="1", job="app-server"} 0.23076923076923078)"},
    {"ManyToManyRight", "http_requests / on(job) http_requests",
     R"(error: position 14: found duplicate series for the match group {job="api-server"} on the right hand-side of the operation: [{__name__="http_requests", group="canary", instance="1", job="api-server"}, {__name__="http_requests", group="canary", instance="0", job="api-server"}];many-to-many matching not allowed: matching labels must be unique on one side)"},
    {"ManyToManyLeft", "http_requests * on(job) group_right http_requests",
     R"(error: position 14: found duplicate series for the match group {job="api-server"} on the left hand-side)"},
    {"ImplicitManyToOne", "http_requests / on(job) sum by (job) (http_requests)",
     "error: position 14: multiple matches for labels: many-to-one matching must be explicit "
     "(group_left/group_right)"},
    {"GroupingLabelsNotUnique",
     R"({__name__=~"testmetric1|testmetric2"} + on(src) group_left label_replace(vector(1), "src", "a", "", ""))",
     "error: position 38: multiple matches for labels: grouping labels must ensure unique matches"},
    {"VectorMatchingWithScalar", "1 + on(l) vector_matching_a",
     "error: position 2: vector matching only allowed between instant vectors"},

    // Aggregations.
    {"SumBy", R"(SUM BY (group) (http_requests{job="api-server"}))",
     R"({group="canary"} 700
{group="production"} 300)"},
    {"AvgBy", R"(avg by (group) (http_requests{job="api-server"}))",
     R"({group="canary"} 350
{group="production"} 150)"},
    {"CountBy", R"(count by (group) (http_requests{job="api-server"}))",
     R"({group="canary"} 2
{group="production"} 2)"},
    {"SumWithout", R"(sum without (instance) (http_requests{job="api-server"}))",
     R"({group="canary", job="api-server"} 700
{group="production", job="api-server"} 300)"},
    {"SumByNothing", R"(sum by () (http_requests{job="api-server"}))", "{} 1000"},
    {"SumEverything", R"(sum(http_requests{job="api-server"}))", "{} 1000"},
    {"SumWithoutNothingDropsName", R"(sum without () (http_requests{job="api-server",group="production"}))",
     R"({group="production", instance="0", job="api-server"} 100
{group="production", instance="1", job="api-server"} 200)"},
    {"WithoutMismatchedLabels", R"(sum without (instance) (http_requests{job="api-server"} or foo))",
     R"({group="canary", job="api-server"} 700
{group="production", job="api-server"} 300
{job="api-server"} 1000
{job="api-server", region="europe"} 900)"},
    {"SumMinMaxAvg",
     "sum(http_requests) by (job) + min(http_requests) by (job) + max(http_requests) by (job) + "
     "avg(http_requests) by (job)",
     R"({job="api-server"} 1750
{job="app-server"} 4550)"},
    {"NestedAggregation", R"(sum(sum by (group) (http_requests{job="api-server"})) by (job))", "{} 1000"},
    {"GroupingKeySeparatesLabels", "sum(label_grouping_test) by (a, b)",
     R"({a="a", b="abb"} 200
{a="aa", b="bb"} 100)"},
    {"ByNameKeepsName", R"(sum by (__name__) ({__name__=~"vector_matching_.*"}))",
     R"(vector_matching_a 30
vector_matching_b 40)"},
    {"WithoutDropsName", R"(count without (l) ({__name__=~"vector_matching_.*"}))", "{} 3"},
    {"AggregateNothing", "count(nonexistent)", ""},
    {"MaxSkipsNaN", "max(minmax)", "{} 4"},
    {"MinSkipsNaN", "min(minmax)", "{} 1"},
    {"MaxBy", "max by (group) (minmax)",
     R"({group="canary"} 4
{group="production"} 2)"},
    {"MinBy", "min by (group) (minmax)",
     R"({group="canary"} 3
{group="production"} 1)"},
    {"Topk", "topk(3, requests_nan)",
     R"(requests_nan{group="canary", instance="0", job="app-server"} 700
requests_nan{group="canary", instance="1", job="app-server"} 800
requests_nan{group="production", instance="1", job="app-server"} 600)"},
    {"TopkMoreThanAvailable", R"(topk(5, requests_nan{group="canary",job="app-server"}))",
     R"(requests_nan{group="canary", instance="0", job="app-server"} 700
requests_nan{group="canary", instance="1", job="app-server"} 800)"},
    {"Bottomk", "bottomk(3, requests_nan)",
     R"(requests_nan{group="canary", instance="0", job="api-server"} 300
requests_nan{group="production", instance="0", job="api-server"} 100
requests_nan{group="production", instance="1", job="api-server"} 200)"},
    {"TopkBy", "topk by (group) (1, requests_nan)",
     R"(requests_nan{group="canary", instance="1", job="app-server"} 800
requests_nan{group="production", instance="1", job="app-server"} 600)"},
    {"BottomkBy", "bottomk by (group) (2, requests_nan)",
     R"(requests_nan{group="canary", instance="0", job="api-server"} 300
requests_nan{group="canary", instance="1", job="api-server"} 400
requests_nan{group="production", instance="0", job="api-server"} 100
requests_nan{group="production", instance="1", job="api-server"} 200)"},
    {"TopkNaNLast", R"(topk(3, requests_nan{job="api-server",group="production"}))",
     R"(requests_nan{group="production", instance="0", job="api-server"} 100
requests_nan{group="production", instance="1", job="api-server"} 200
requests_nan{group="production", instance="2", job="api-server"} NaN)"},
    {"TopkEvictsNaN", R"(topk(2, requests_nan{job="api-server",group="production"}))",
     R"(requests_nan{group="production", instance="0", job="api-server"} 100
requests_nan{group="production", instance="1", job="api-server"} 200)"},
    {"BottomkNaNLast", R"(bottomk(3, requests_nan{job="api-server",group="production"}))",
     R"(requests_nan{group="production", instance="0", job="api-server"} 100
requests_nan{group="production", instance="1", job="api-server"} 200
requests_nan{group="production", instance="2", job="api-server"} NaN)"},
    {"BottomkOne", R"(bottomk(1, requests_nan{job="api-server",group="production"}))",
     R"(requests_nan{group="production", instance="0", job="api-server"} 100)"},
    {"BottomkHugeK", R"(bottomk(9999999999, requests_nan{job="app-server",group="canary"}))",
     R"(requests_nan{group="canary", instance="0", job="app-server"} 700
requests_nan{group="canary", instance="1", job="app-server"} 800)"},
    {"TopkScalarParam", "topk(scalar(k_param), requests_nan)",
     R"(requests_nan{group="canary", instance="0", job="app-server"} 700
requests_nan{group="canary", instance="1", job="app-server"} 800
requests_nan{group="production", instance="1", job="app-server"} 600)"},
    {"TopkTruncatesK", "topk(1.9, vector_matching_a)", R"(vector_matching_a{l="y"} 20)"},
    {"TopkZero", "topk(0, vector_matching_a)", ""},
    {"TopkNegative", "topk(-1, vector_matching_a)", ""},
    // Go's heap evicts the first-seen of two equal values, so the later one stays.
    {"TopkTiesAsPrometheusHeap", "topk(2, ties)",
     R"(ties{i="b"} 5
ties{i="c"} 7)"},
    {"TopkOverflow", "topk(1e20, vector_matching_a)", "error: position 0: Scalar value 1e+20 overflows int64"},
    {"BottomkNaN", "bottomk(NaN, vector_matching_a)", "error: position 0: Scalar value NaN overflows int64"},
    {"Quantile", "quantile without(point)(0.8, qdata)",
     R"({test="three samples"} 1.6
{test="two samples"} 0.8
{test="uneven samples"} 2.8000000000000003)"},
    {"QuantileScalarParam", "quantile without(point)(scalar(phi), qdata)",
     R"({test="three samples"} 1.6
{test="two samples"} 0.8
{test="uneven samples"} 2.8000000000000003)"},
    {"QuantileMedian", "quantile(0.5, qdata)", "{} 1"},
    {"QuantileZero", "quantile(0, qdata)", "{} 0"},
    {"QuantileOne", "quantile(1, qdata)", "{} 4"},
    {"QuantileBelowZero", "quantile(-1, qdata)", "{} -Inf"},
    {"QuantileAboveOne", "quantile(2, qdata)", "{} +Inf"},
    {"QuantileNaN", "quantile(NaN, qdata)", "{} NaN"},
    {"QuantileSortsNaNFirst", "quantile(0.5, minmax)", "{} 2"},
    {"Group", "group without(point)(qdata)",
     R"({test="three samples"} 1
{test="two samples"} 1
{test="uneven samples"} 1)"},
    {"GroupOfOne", "group(phi)", "{} 1"},
    {"AvgInfinitiesAndOverflow", "avg by (test) (avgdata)",
     R"({test="-big"} -9.98846567431158e+307
{test="-inf"} -Inf
{test="-inf2"} -Inf
{test="big"} 9.98846567431158e+307
{test="bigzero"} 0
{test="inf"} +Inf
{test="inf2"} +Inf
{test="nan"} NaN
{test="ten"} 10)"},
    {"AggregateScalar", "sum(1)", "error: position 4: expected type instant vector in aggregation expression, got scalar"},
    {"AggregateString", R"(avg("x"))", "error: position 4: expected type instant vector in aggregation expression, got string"},
    {"TopkVectorParam", "topk(vector_matching_a, vector_matching_a)",
     "error: position 5: expected type scalar in aggregation parameter, got instant vector"},

    // Functions.
    {"LabelReplace", R"~(label_replace(testmetric, "dst", "destination-value-$1", "src", "source-value-(.*)"))~",
     R"(testmetric{dst="destination-value-10", src="source-value-10"} 0
testmetric{dst="destination-value-20", src="source-value-20"} 1)"},
    {"LabelReplaceWholeString", R"~(label_replace(testmetric, "dst", "destination-value-$1", "src", "value-(.*)"))~",
     R"(testmetric{dst="original-destination-value", src="source-value-10"} 0
testmetric{dst="original-destination-value", src="source-value-20"} 1)"},
    {"LabelReplaceTwoGroups", R"~(label_replace(testmetric, "dst", "$1-value-$2", "src", "(.*)-value-(.*)"))~",
     R"(testmetric{dst="source-value-10", src="source-value-10"} 0
testmetric{dst="source-value-20", src="source-value-20"} 1)"},
    {"LabelReplaceMissingSource",
     R"~(label_replace(testmetric, "dst", "value-$1", "nonexistent-src", "source-value-(.*)"))~",
     R"(testmetric{dst="original-destination-value", src="source-value-10"} 0
testmetric{dst="original-destination-value", src="source-value-20"} 1)"},
    {"LabelReplaceEmptySourceMatched", R"~(label_replace(testmetric, "dst", "value-$1", "nonexistent-src", "(.*)"))~",
     R"(testmetric{dst="value-", src="source-value-10"} 0
testmetric{dst="value-", src="source-value-20"} 1)"},
    {"LabelReplaceNoMatch", R"(label_replace(testmetric, "dst", "value-$1", "src", "non-matching-regex"))",
     R"(testmetric{dst="original-destination-value", src="source-value-10"} 0
testmetric{dst="original-destination-value", src="source-value-20"} 1)"},
    {"LabelReplaceEmptyDrops", R"(label_replace(testmetric, "dst", "", "dst", ".*"))",
     R"(testmetric{src="source-value-10"} 0
testmetric{src="source-value-20"} 1)"},
    {"LabelReplaceBracesAndDollar", R"~(label_replace(testmetric, "dst", "${1}x$$", "src", "source-value-(.*)"))~",
     R"(testmetric{dst="10x$", src="source-value-10"} 0
testmetric{dst="20x$", src="source-value-20"} 1)"},
    // "$1x" names a group "1x" (none here), as in Go's Regexp.Expand.
    {"LabelReplaceNamedGroup", R"~(label_replace(testmetric, "dst", "$num-$1x", "src", "source-value-(?P<num>.*)"))~",
     R"(testmetric{dst="10-", src="source-value-10"} 0
testmetric{dst="20-", src="source-value-20"} 1)"},
    {"LabelReplaceMalformedDollar", R"(label_replace(testmetric, "dst", "a$-b", "src", ".*"))",
     R"(testmetric{dst="a$-b", src="source-value-10"} 0
testmetric{dst="a$-b", src="source-value-20"} 1)"},
    {"LabelReplaceMetricName", R"(label_replace(testmetric, "__name__", "renamed", "", ""))",
     R"(renamed{dst="original-destination-value", src="source-value-10"} 0
renamed{dst="original-destination-value", src="source-value-20"} 1)"},
    {"LabelReplaceInvalidRegex", R"(label_replace(testmetric, "dst", "value-$1", "src", "(.*"))",
     "error: position 0: invalid regular expression in label_replace(): (.*"},
    {"LabelReplaceInvalidDestination", R"~(label_replace(testmetric, "invalid-label-name", "", "src", "(.*)"))~",
     "error: position 0: invalid destination label name in label_replace(): invalid-label-name"},
    {"LabelReplaceDuplicates", R"(label_replace(testmetric, "src", "", "", ""))",
     "error: position 0: vector cannot contain metrics with the same labelset"},
    {"LabelJoin", R"(label_join(joinmetric, "dst", "-", "src", "src1", "src2"))",
     R"(joinmetric{dst="a-b-c", src="a", src1="b", src2="c"} 0
joinmetric{dst="d-e-f", src="d", src1="e", src2="f"} 1)"},
    {"LabelJoinMissingSource", R"(label_join(joinmetric, "dst", "-", "src", "src3", "src1"))",
     R"(joinmetric{dst="a--b", src="a", src1="b", src2="c"} 0
joinmetric{dst="d--e", src="d", src1="e", src2="f"} 1)"},
    {"LabelJoinEmptyRemoves", R"(label_join(joinmetric, "dst", "", "emptysrc", "emptysrc1", "emptysrc2"))",
     R"(joinmetric{src="a", src1="b", src2="c"} 0
joinmetric{src="d", src1="e", src2="f"} 1)"},
    {"LabelJoinNoSources", R"(label_join(joinmetric, "dst", ", "))",
     R"(joinmetric{src="a", src1="b", src2="c"} 0
joinmetric{src="d", src1="e", src2="f"} 1)"},
    {"LabelJoinInvalidSource", R"(label_join(joinmetric, "dst", "-", "src", "1bad"))",
     "error: position 0: invalid source label name in label_join(): 1bad"},
    {"LabelJoinInvalidDestination", R"(label_join(joinmetric, "bad-dst", "-", "src"))",
     "error: position 0: invalid destination label name in label_join(): bad-dst"},
    {"Vector", "vector(1)", "{} 1"},
    {"VectorOfTime", "vector(time())", "{} 3000"},
    {"ClampMax", "clamp_max(test_clamp, 75)",
     R"({src="clamp-a"} -50
{src="clamp-b"} 0
{src="clamp-c"} 75)"},
    {"ClampMin", "clamp_min(test_clamp, -25)",
     R"({src="clamp-a"} -25
{src="clamp-b"} 0
{src="clamp-c"} 100)"},
    {"Clamp", "clamp(test_clamp, -25, 75)",
     R"({src="clamp-a"} -25
{src="clamp-b"} 0
{src="clamp-c"} 75)"},
    {"ClampNested", "clamp_max(clamp_min(test_clamp, -20), 70)",
     R"({src="clamp-a"} -20
{src="clamp-b"} 0
{src="clamp-c"} 70)"},
    {"ClampNaNMax", "clamp(test_clamp, 0, NaN)",
     R"({src="clamp-a"} NaN
{src="clamp-b"} NaN
{src="clamp-c"} NaN)"},
    {"ClampNaNMin", "clamp(test_clamp, NaN, 0)",
     R"({src="clamp-a"} NaN
{src="clamp-b"} NaN
{src="clamp-c"} NaN)"},
    {"ClampEmptyRange", "clamp(test_clamp, 5, -5)", ""},
    {"Sgn", "sgn(test_sgn)",
     R"({src="sgn-a"} -1
{src="sgn-b"} 1
{src="sgn-c"} NaN
{src="sgn-d"} -1
{src="sgn-e"} 0
{src="sgn-f"} 1)"},
    {"Abs", "abs(fractional)",
     R"({v="a"} 1.5
{v="b"} 2.5
{v="c"} 0.24
{v="d"} 0.2)"},
    {"Ceil", "ceil(fractional)",
     R"({v="a"} -1
{v="b"} 3
{v="c"} 1
{v="d"} -0)"},
    {"Floor", "floor(fractional)",
     R"({v="a"} -2
{v="b"} 2
{v="c"} 0
{v="d"} -1)"},
    {"RoundHalfUp", "round(fractional)",
     R"({v="a"} -1
{v="b"} 3
{v="c"} 0
{v="d"} 0)"},
    {"RoundToNearest", "round(fractional, 0.1)",
     R"({v="a"} -1.5
{v="b"} 2.5
{v="c"} 0.2
{v="d"} -0.2)"},
    {"FunctionDuplicates", R"(abs({__name__=~"testmetric1|testmetric2"}))",
     "error: position 0: vector cannot contain metrics with the same labelset"},
    {"Sort", "sort(requests_nan)",
     R"(requests_nan{group="production", instance="0", job="api-server"} 100
requests_nan{group="production", instance="1", job="api-server"} 200
requests_nan{group="canary", instance="0", job="api-server"} 300
requests_nan{group="canary", instance="1", job="api-server"} 400
requests_nan{group="production", instance="0", job="app-server"} 500
requests_nan{group="production", instance="1", job="app-server"} 600
requests_nan{group="canary", instance="0", job="app-server"} 700
requests_nan{group="canary", instance="1", job="app-server"} 800
requests_nan{group="production", instance="2", job="api-server"} NaN)"},
    {"SortDesc", "sort_desc(requests_nan)",
     R"(requests_nan{group="canary", instance="1", job="app-server"} 800
requests_nan{group="canary", instance="0", job="app-server"} 700
requests_nan{group="production", instance="1", job="app-server"} 600
requests_nan{group="production", instance="0", job="app-server"} 500
requests_nan{group="canary", instance="1", job="api-server"} 400
requests_nan{group="canary", instance="0", job="api-server"} 300
requests_nan{group="production", instance="1", job="api-server"} 200
requests_nan{group="production", instance="0", job="api-server"} 100
requests_nan{group="production", instance="2", job="api-server"} NaN)"},
    {"SortDescOfTopk", "sort_desc(topk(3, requests_nan))",
     R"(requests_nan{group="canary", instance="1", job="app-server"} 800
requests_nan{group="canary", instance="0", job="app-server"} 700
requests_nan{group="production", instance="1", job="app-server"} 600)"},
    {"SortTiesInLabelOrder", "sort(ties)",
     R"(ties{i="a"} 5
ties{i="b"} 5
ties{i="c"} 7)"},
    {"SortBelowTopLevelIsResorted", "sort_desc(vector_matching_a) + 0",
     R"({l="x"} 10
{l="y"} 20)"},
    {"Absent", "absent(nonexistent)", "{} 1"},
    {"AbsentEqualityLabels", R"(absent(nonexistent{job="testjob", instance="testinstance", method=~".x"}))",
     R"({instance="testinstance", job="testjob"} 1)"},
    {"AbsentRepeatedLabel", R"(absent(nonexistent{job="testjob",job="testjob2",foo="bar"}))", R"({foo="bar"} 1)"},
    {"AbsentLabelAlsoRegex", R"(absent(nonexistent{job="testjob",job=~"testjob2",foo="bar"}))", R"({foo="bar"} 1)"},
    {"AbsentPresent", "absent(http_requests)", ""},
    {"AbsentAggregatePresent", "absent(sum(http_requests))", ""},
    {"AbsentAggregate", R"(absent(sum(nonexistent{job="testjob", instance="testinstance"})))", "{} 1"},
    {"AbsentComparison", "absent(nonexistent > 1)", "{} 1"},
    {"AbsentSetOperator", "absent(a and b)", "{} 1"},
    {"ScalarOfOne", "scalar(vector_matching_b)", "scalar 40"},
    {"ScalarOfMany", "scalar(vector_matching_a)", "scalar NaN"},
    {"ScalarOfNone", "scalar(nonexistent)", "scalar NaN"},
    {"FunctionDropsName", "abs(vector_matching_b)", R"({l="x"} 40)"},
    {"FunctionScalarForVector", "abs(1)",
     R"(error: position 4: expected type instant vector in call to function "abs", got scalar)"},
    {"FunctionVectorForScalar", "clamp_min(test_clamp, test_clamp)",
     R"(error: position 22: expected type scalar in call to function "clamp_min", got instant vector)"},
    {"VectorOfVector", "vector(test_clamp)",
     R"(error: position 7: expected type scalar in call to function "vector", got instant vector)"},
    {"StringArgument", R"(label_replace(testmetric, 1, "", "", ""))",
     R"(error: position 26: expected type string in call to function "label_replace", got scalar)"},
    {"VariadicArgumentType", R"(label_join(joinmetric, "d", "-", "a", 1))",
     R"(error: position 38: expected type string in call to function "label_join", got scalar)"},

    // Other type errors.
    {"ScalarComparisonNeedsBool", "1 == 1", "error: position 2: comparisons between scalars must use BOOL modifier"},
    {"SetOperatorOnScalars", "1 and 1",
     R"(error: position 2: set operator "and" not allowed in binary scalar expression)"},
    {"StringOperandLeft", R"("a" + 1)",
     "error: position 0: binary expression must contain only scalar and instant vector types"},
    {"StringOperandRight", R"(1 + "a")",
     "error: position 4: binary expression must contain only scalar and instant vector types"},
    {"UnaryOnString", R"(-"a")",
     R"(error: position 0: unary expression only allowed on expressions of type scalar or instant vector, got "string")"},
};

class PromqlEvalTest : public testing::TestWithParam<EvalCase> {};

TEST_P(PromqlEvalTest, EvaluatesLikePrometheus) {
  const EvalCase& c = GetParam();
  ExpectEvaluates(c.expr, TestSource(), kEvalTime, c.want);
}

INSTANTIATE_TEST_SUITE_P(Table, PromqlEvalTest, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<EvalCase>& info) { return std::string(info.param.name); });

// Records what it is asked and returns nothing.
class RecordingSource : public SeriesSource {
 public:
  Vector Select(const std::vector<LabelMatcher>& matchers, Timestamp time) override {
    calls.push_back(matchers);
    times.push_back(time);
    return {};
  }
  Matrix SelectRange(const std::vector<LabelMatcher>& matchers, Timestamp time, Timestamp range) override {
    calls.push_back(matchers);
    times.push_back(time);
    ranges.push_back(range);
    return {};
  }
  std::vector<std::vector<LabelMatcher>> calls;
  std::vector<Timestamp> times, ranges;
};

TEST(PromqlEvalTest, SelectorSendsMetricNameAsFirstMatcher) {
  RecordingSource source;
  Evaluate(*ParseExpr(R"(up{job=~"a.*"})"), source, 0);
  ASSERT_EQ(source.calls.size(), 1u);
  const std::vector<LabelMatcher>& matchers = source.calls[0];
  ASSERT_EQ(matchers.size(), 2u);
  EXPECT_EQ(matchers[0].name, "__name__");
  EXPECT_EQ(matchers[0].op, MatchOp::kEqual);
  EXPECT_EQ(matchers[0].value, "up");
  EXPECT_EQ(matchers[1].name, "job");
  EXPECT_EQ(matchers[1].op, MatchOp::kRegexMatch);
}

TEST(PromqlEvalTest, TypeErrorsAreFoundBeforeAnySelect) {
  RecordingSource source;
  EXPECT_THROW(Evaluate(*ParseExpr(R"(sum(up) + on(job) "x")"), source, 0), EvalError);
  EXPECT_TRUE(source.calls.empty());
}

TEST(PromqlEvalTest, SourceErrorsPassThrough) {
  class FailingSource : public SeriesSource {
   public:
    Vector Select(const std::vector<LabelMatcher>&, Timestamp) override { throw std::runtime_error("connection refused"); }
    Matrix SelectRange(const std::vector<LabelMatcher>&, Timestamp, Timestamp) override {
      throw std::runtime_error("connection refused");
    }
  } source;
  try {
    Evaluate(*ParseExpr("sum(up)"), source, 0);
    FAIL() << "no exception";
  } catch (const EvalError&) {
    FAIL() << "source error rewrapped";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "connection refused");
  }
}

TEST(PromqlEvalTest, SelectorResultIsSortedWhateverTheSourceOrder) {
  MemorySource source(SamplesFrom(R"(
m{i="c"} 3
m{i="a"} 1
m{i="b"} 2
)"));
  EXPECT_EQ(Render(Evaluate(*ParseExpr("m"), source, 0)), "m{i=\"a\"} 1\nm{i=\"b\"} 2\nm{i=\"c\"} 3");
}

TEST(PromqlEvalTest, CheckExprReturnsStaticType) {
  EXPECT_EQ(CheckExpr(*ParseExpr("1 + 2")), ValueType::kScalar);
  EXPECT_EQ(CheckExpr(*ParseExpr(R"("s")")), ValueType::kString);
  EXPECT_EQ(CheckExpr(*ParseExpr("up * 2")), ValueType::kVector);
  EXPECT_EQ(CheckExpr(*ParseExpr("scalar(up) - time()")), ValueType::kScalar);
  EXPECT_EQ(CheckExpr(*ParseExpr("-scalar(up)")), ValueType::kScalar);
  EXPECT_EQ(CheckExpr(*ParseExpr("quantile(0.5, up)")), ValueType::kVector);
  EXPECT_THROW(CheckExpr(*ParseExpr("topk(up, up)")), EvalError);
}

// The parser's function list and the evaluator's are separate tables; every function the
// parser accepts must type-check and evaluate.
TEST(PromqlEvalTest, EveryParsedFunctionIsImplemented) {
  const char* calls[] = {
      "abs(up)", "absent(up)", "ceil(up)", "clamp(up, 0, 1)", "clamp_max(up, 1)", "clamp_min(up, 0)",
      "floor(up)", R"(label_join(up, "d", "-", "a", "b"))", R"~(label_replace(up, "d", "$1", "s", "(.*)"))~",
      "round(up)", "round(up, 5)", "scalar(up)", "sgn(up)", "sort(up)", "sort_desc(up)", "time()", "vector(1)",
  };
  MemorySource source(SamplesFrom("up{a=\"x\"} 1\n"));
  for (const char* call : calls) {
    EXPECT_NO_THROW(Evaluate(*ParseExpr(call), source, 0)) << call;
  }
}

TEST(PromqlEvalTest, MatchesFollowsPrometheusMatchers) {
  Labels labels = {{"__name__", "up"}, {"job", "node"}};
  auto matcher = [](const char* name, MatchOp op, const char* value) {
    return LabelMatcher{name, op, value, 7};
  };
  EXPECT_TRUE(Matches(matcher("job", MatchOp::kEqual, "node"), labels));
  EXPECT_FALSE(Matches(matcher("job", MatchOp::kNotEqual, "node"), labels));
  // An absent label has the empty value.
  EXPECT_TRUE(Matches(matcher("instance", MatchOp::kEqual, ""), labels));
  EXPECT_TRUE(Matches(matcher("instance", MatchOp::kRegexMatch, ".*"), labels));
  EXPECT_TRUE(Matches(matcher("instance", MatchOp::kNotEqual, "x"), labels));
  // Regexes are anchored at both ends.
  EXPECT_FALSE(Matches(matcher("job", MatchOp::kRegexMatch, "no"), labels));
  EXPECT_FALSE(Matches(matcher("job", MatchOp::kRegexMatch, "ode"), labels));
  EXPECT_TRUE(Matches(matcher("job", MatchOp::kRegexMatch, "no.e|x"), labels));
  EXPECT_TRUE(Matches(matcher("job", MatchOp::kRegexNoMatch, "no"), labels));
  try {
    Matches(matcher("job", MatchOp::kRegexMatch, "a["), labels);
    FAIL() << "no exception";
  } catch (const EvalError& error) {
    EXPECT_TRUE(StartsWith(error.what(), "position 7: invalid regular expression \"a[\"")) << error.what();
  }
}

TEST(PromqlEvalTest, RegexMatchingNeitherRecursesPerCharacterNorBacktracks) {
  Labels long_value = {{"a", std::string(100000, 'x')}};
  EXPECT_TRUE(Matches(LabelMatcher{"a", MatchOp::kRegexMatch, ".*x", 0}, long_value));
  Labels near_miss = {{"a", std::string(40, 'x')}};
  EXPECT_FALSE(Matches(LabelMatcher{"a", MatchOp::kRegexMatch, "(x+x+)+y", 0}, near_miss));
}

TEST(PromqlEvalTest, MemorySourceSelectsByEveryMatcher) {
  MemorySource source(SamplesFrom(R"(
up{job="node",instance="a"} 1
up{job="node",instance="b"} 0
down{job="node",instance="a"} 1
)"));
  std::vector<LabelMatcher> matchers = {{"__name__", MatchOp::kEqual, "up", 0},
                                        {"instance", MatchOp::kRegexNoMatch, "b|c", 0}};
  Vector selected = source.Select(matchers, 1000);
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(LabelValue(selected[0].labels, "instance"), "a");
  EXPECT_EQ(LabelValue(selected[0].labels, "__name__"), "up");
  EXPECT_EQ(source.samples().size(), 3u);
  // A snapshot is a history of one sample at the evaluation instant.
  Matrix ranged = source.SelectRange(matchers, 5000, 60000);
  ASSERT_EQ(ranged.size(), 1u);
  ASSERT_EQ(ranged[0].points.size(), 1u);
  EXPECT_EQ(ranged[0].points[0].t, 5000);
  EXPECT_EQ(ranged[0].points[0].v, 1);
}

TEST(PromqlEvalTest, LabelValueAndTypeNames) {
  Labels labels = {{"a", "1"}, {"c", "3"}};
  EXPECT_EQ(LabelValue(labels, "a"), "1");
  EXPECT_EQ(LabelValue(labels, "b"), "");
  EXPECT_EQ(LabelValue(labels, "c"), "3");
  EXPECT_EQ(LabelValue({}, "a"), "");
  EXPECT_EQ(ValueTypeName(ValueType::kScalar), "scalar");
  EXPECT_EQ(ValueTypeName(ValueType::kString), "string");
  EXPECT_EQ(ValueTypeName(ValueType::kVector), "instant vector");
}

}  // namespace
}  // namespace wgtune::promql
