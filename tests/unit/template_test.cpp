#include "advisor/rules/template.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <stdexcept>

#include "common/text.h"

// Expected texts for Go builtins and Prometheus functions were produced by Go 1.19's
// text/template running prometheus/template/template.go's functions on the same input.

namespace wgtune {
namespace {

promql::Sample Sample(double value, promql::Labels labels) {
  std::sort(labels.begin(), labels.end());
  return {std::move(labels), value};
}

// A stand-in for the PromQL engine. Series come back in no particular order, as from the
// engine; query sorts them.
promql::Vector FakeQuery(const std::string& expr) {
  if (expr == R"(wgtune_cpus{state="online"})") return {Sample(4, {{"__name__", "wgtune_cpus"}, {"state", "online"}})};
  if (expr == "wgtune_interrupt_affinity_info") {
    promql::Vector v;
    for (int irq : {125, 121, 123, 120, 124, 122}) {
      v.push_back(Sample(1, {{"__name__", "wgtune_interrupt_affinity_info"},
                             {"device", "eth0"},
                             {"irq", std::to_string(irq)},
                             {"queue", std::to_string(irq - 120)}}));
    }
    return v;
  }
  if (expr == "wgtune_queue_info") {  // queue "10" must come after "2"
    return {Sample(10, {{"queue", "10"}}), Sample(2, {{"queue", "2"}}), Sample(1, {{"queue", "1"}}),
            Sample(0, {{"queue", "a"}}), Sample(11, {{"queue", "1.5"}})};
  }
  if (expr == "nums") {
    return {Sample(1e6, {{"a", "z"}}), Sample(0.5, {{"a", "x"}, {"__value__", "sv"}}), Sample(41200, {{"a", "y"}})};
  }
  if (expr == R"(wgtune_ethtool_ring_entries{device="wg0",ring="rx",setting="maximum"})") {
    return {Sample(4096, {{"device", "wg0"}, {"ring", "rx"}, {"setting", "maximum"}})};
  }
  if (StartsWith(expr, "wgtune_ethtool_ring_entries")) return {};
  if (expr == "empty") return {};
  throw std::runtime_error("parse error: unexpected character '!'");
}

TemplateData Data(double value = 0.97) {
  TemplateData data;
  data.labels = {{"device", "wg0"}, {"instance", "host:9586"}, {"queue", "2"}};
  data.value = value;
  data.params = {{"threshold", 0.9}, {"ring", 4096.0}, {"mode", std::string("auto")}};
  return data;
}

std::string Render(std::string_view text, const TemplateData& data = Data()) {
  return Template(text).Execute(data, FakeQuery);
}

// The message of the TemplateError that parsing or executing throws, or "no error".
std::string ErrorOf(std::string_view text, const TemplateData& data = Data()) {
  try {
    Render(text, data);
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "no error";
}

struct RenderCase {
  const char* name;
  const char* text;
  const char* want;
};

std::ostream& operator<<(std::ostream& out, const RenderCase& c) { return out << c.name; }

class TemplateRenderTest : public testing::TestWithParam<RenderCase> {};

TEST_P(TemplateRenderTest, Renders) {
  const RenderCase& c = GetParam();
  EXPECT_EQ(Render(c.text), c.want) << c.text;
}

std::string CaseName(const testing::TestParamInfo<RenderCase>& info) { return info.param.name; }

const RenderCase kSyntaxCases[] = {
    // Text, literals and data.
    {"PlainText", "no actions here", "no actions here"},
    {"Empty", "", ""},
    {"Literals", R"({{ 3 }} {{ -7 }} {{ 1.5 }} {{ true }} {{ "s" }} {{ `raw\n` }})", R"(3 -7 1.5 true s raw\n)"},
    {"NumberForms", "{{ 0x1F }} {{ 017 }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 1e3 }} {{ .5 }} {{ 'a' }}",
     "31 15 15 5 1000 1000 0.5 97"},
    {"StringEscapes", R"({{ "\x41\101\u00e9\t\"\\" }})", "AA\xc3\xa9\t\"\\"},
    {"DelimitersInStrings", R"({{ "}}" }}{{ "{{" }})", "}}{{"},
    {"LabelsAndValue", "{{ $labels.device }} {{ .Labels.instance }} {{ $value }} {{ .Value }}",
     "wg0 host:9586 0.97 0.97"},
    {"MissingLabelIsEmpty", "[{{ $labels.missing }}][{{ .Labels.missing }}][{{ index $labels \"nope\" }}]", "[][][]"},
    {"RootVariable", "{{ $.Labels.device }}", "wg0"},
    {"LabelMap", "{{ $labels }}", "map[device:wg0 instance:host:9586 queue:2]"},
    {"ExternalLabelsAndUrlEmpty", "{{ $externalLabels }}{{ len .ExternalLabels }}[{{ $externalURL }}{{ .ExternalURL }}]", "map[]0[]"},
    {"Params", "{{ $params.threshold }} {{ $params.ring }} {{ $params.mode }} {{ .Params.mode }}", "0.9 4096 auto auto"},
    {"MissingParamIsNoValue", "{{ $params.nope }}", "<no value>"},
    // Comments and trim markers.
    {"Comment", "a{{/* note */}}b", "ab"},
    {"MultiLineComment", "x {{/* multi\nline */}} y", "x  y"},
    {"TrimBoth", "a  {{- 1 -}}  b", "a1b"},
    {"TrimNewlines", "a\n\n  {{- 1 -}}\n\t\r\n b", "a1b"},
    {"TrimComment", "a {{- /* c */ -}} b", "ab"},
    {"TrimOnlyLeft", "a  {{- 1 }}  b", "a1  b"},
    {"TrimOnlyRight", "a  {{ 1 -}}  b", "a  1b"},
    {"MinusNumberIsNotTrim", "{{-3}} {{ 3 -}} x", "-3 3x"},
    {"TrimAroundBlocks", "a\n{{- if true }}\n  b\n{{- else }}\n  c\n{{- end }}\nd", "a\n  b\nd"},
    {"TrimInRange", "{{ range $i, $e := query \"nums\" -}}\n  {{ $i }}\n{{ end -}}\nEND", "0\n1\n2\nEND"},
    {"MultiLineAction", "{{ printf \"%s-%s\"\n   \"a\"\n   \"b\" }}", "a-b"},
    // Pipelines.
    {"PipeAppendsLastArgument", R"({{ "a" | printf "%s%s" "b" }})", "ba"},
    {"LongPipeline", R"({{ "x" | printf "%s" | printf "[%s]" | printf "<%s>" }})", "<[x]>"},
    {"Parenthesized", R"({{ print (1) }}|{{ ("a" | printf "%s!") }})", "1|a!"},
    {"FieldOfParenthesized", R"({{ (query "nums" | first).Labels.a }})", "x"},
    {"PipeIntoComparison", "{{ 1 | eq 1 }}", "true"},
    // Variables.
    {"Declare", "{{ $x := 5 }}{{ $x }}", "5"},
    {"DeclareRendersNothing", "[{{ $x := 5 }}]", "[]"},
    {"Redeclare", R"({{ $x := 1 }}{{ $x }}{{ $x := "re" }}{{ $x }})", "1re"},
    {"AssignInIfPersists", "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"},
    {"AssignInRangePersists", R"({{ $x := 0.0 }}{{ range query "nums" }}{{ $x = .Value }}{{ end }}{{ $x }})", "1e+06"},
    {"ShadowInWith", R"({{ $x := "outer" }}{{ with $x := "inner" }}{{ $x }}{{ end }} {{ $x }})", "inner outer"},
    {"ShadowInIfPipeline", "{{ $x := 1 }}{{ if $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21"},
    {"CopyIsAValue", "{{ $a := 3 }}{{ $b := $a }}{{ $a = 4 }}{{ $a }}{{ $b }}", "43"},
    {"WithDeclarationInElse", "{{ with $x := 0 }}a{{ else }}{{ $x }}{{ end }}", "0"},
    // if / else if / else.
    {"IfElse", "{{ if true }}y{{ else }}n{{ end }}{{ if false }}y{{ else }}n{{ end }}", "yn"},
    {"ElseIfChain", R"({{ if 0 }}a{{ else if "" }}b{{ else if 0.0 }}c{{ else }}d{{ end }})", "d"},
    {"ElseIfTakesFirstTrue", "{{ if 1 }}a{{ else if 1 }}b{{ end }}|{{ if false }}a{{ else if true }}b{{ else }}c{{ end }}",
     "a|b"},
    {"NestedIf", "{{ if true }}{{ if false }}x{{ else if true }}{{ if 1 }}deep{{ end }}{{ end }}{{ end }}", "deep"},
    {"Truthiness",
     R"({{ if 0 }}1{{ end }}{{ if 0.0 }}2{{ end }}{{ if "" }}3{{ end }}{{ if false }}4{{ end }}{{ if query "empty" }}5{{ end }}{{ if $params.nope }}6{{ end }}{{ if 1 }}a{{ end }}{{ if -0.5 }}b{{ end }}{{ if "0" }}c{{ end }}{{ if query "nums" }}d{{ end }}{{ if $labels }}e{{ end }})",
     "abcde"},
    // with.
    {"WithSetsDot", "{{ with $labels.device }}[{{ . }}]{{ end }}", "[wg0]"},
    {"WithElse", "{{ with $labels.nope }}x{{ else }}none{{ end }}", "none"},
    {"WithQuery",
     R"({{ with printf "wgtune_ethtool_ring_entries{device=%q,ring=\"rx\",setting=\"maximum\"}" $labels.device | query }}{{ . | first | value }}{{ else }}1024{{ end }})",
     "4096"},
    {"WithQueryEmpty", R"({{ with query "empty" }}{{ . | first | value }}{{ else }}1024{{ end }})", "1024"},
    {"NestedWith", R"({{ with query "nums" | first }}{{ .Labels.a }}{{ with .Labels }}{{ .a }}{{ end }}{{ end }})", "xx"},
    // range.
    {"RangeDot", R"({{ range query "nums" }}{{ .Labels.a }}={{ .Value }};{{ end }})", "x=0.5;y=41200;z=1e+06;"},
    {"RangeIndexAndElement", R"({{ range $i, $s := query "nums" }}{{ $i }}:{{ $s.Labels.a }} {{ end }})", "0:x 1:y 2:z "},
    {"RangeElementOnly", R"({{ range $s := query "nums" }}{{ $s.Value }} {{ end }})", "0.5 41200 1e+06 "},
    {"RangeElse", R"({{ range query "empty" }}x{{ else }}none{{ end }})", "none"},
    {"RangeEmptyNoElse", R"([{{ range query "empty" }}x{{ end }}])", "[]"},
    {"RangeSeq", "{{ range seq 3 }}{{ . }}{{ end }}", "012"},
    {"RangeMap", "{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}", "device=wg0,instance=host:9586,queue=2,"},
    {"RangeAssignsOuterVariables", R"({{ $i := 9 }}{{ $e := 8 }}{{ range $i, $e = query "nums" }}{{ end }}{{ $i }} {{ $e.Value }})",
     "2 1e+06"},
    {"RangeWithIfElseIf",
     R"({{ range $i, $s := query "wgtune_interrupt_affinity_info" }}{{ if eq $i 2 }}{{ $s.Labels.irq }}{{ else if gt $i 3 }}-{{ $s.Labels.queue }}{{ else }}.{{ end }}{{ end }})",
     "..122.-4-5"},
};
INSTANTIATE_TEST_SUITE_P(Syntax, TemplateRenderTest, testing::ValuesIn(kSyntaxCases), CaseName);

const RenderCase kBuiltinCases[] = {
    // Comparisons.
    {"Eq", R"({{ eq 1 1 }} {{ eq 1 2 }} {{ eq "a" "a" }} {{ eq 0.5 0.5 }} {{ eq true true }})", "true false true true true"},
    {"EqAnyOf", R"({{ eq "c" "a" "b" "c" }} {{ eq "d" "a" "b" "c" }})", "true false"},
    {"EqNil", "{{ eq nil nil }} {{ eq 1 nil }}", "true false"},
    {"Ne", R"({{ ne 1 2 }} {{ ne "a" "a" }})", "true false"},
    {"Ordering", R"({{ lt 1 2 }}{{ le 2 2 }}{{ gt 3 2 }}{{ ge 2 2 }}{{ lt "a" "b" }}{{ gt 0.5 0.25 }}{{ lt 2 1 }})",
     "truetruetruetruetruetruefalse"},
    {"CompareValueWithFloat", R"({{ gt $value 0.5 }} {{ eq $labels.device "wg0" }} {{ lt .Value $params.threshold }})",
     "true true false"},
    // and / or / not return the deciding operand and short-circuit.
    {"AndOr", R"({{ and 1 0 2 }}|{{ and 1 2 }}|{{ or 0 "" "x" }}|{{ or 0 "" }})", "0|2|x|"},
    {"AndOrShortCircuit", R"({{ and 0 (query "fail") }}|{{ or 1 (query "fail") }})", "0|1"},
    {"AndOrPiped", "{{ 1 | and 1 }}|{{ 0 | and 1 }}|{{ 1 | and 0 }}|{{ 0 | or 0 }}|{{ 2 | or 0 }}", "1|0|0|0|2"},
    {"Not", R"({{ not 0 }} {{ not 1 }} {{ not "" }} {{ not (query "empty") }})", "true false true true"},
    // len and index.
    {"Len", R"({{ len "abc" }} {{ len (query "nums") }} {{ len $labels }} {{ len (args 1 2 3) }} {{ len (seq 5) }})",
     "3 3 3 3 5"},
    {"IndexList", R"({{ (index (query "nums") 1).Value }} {{ index (seq 4) 3 }})", "41200 3"},
    {"IndexMaps", R"({{ index $labels "instance" }} {{ index (args 1 "x") "arg1" }} {{ index (args (args 1 2)) "arg0" "arg1" }})",
     "host:9586 x 2"},
    {"IndexString", R"({{ index "abc" 1 }})", "98"},
    // print, println.
    {"Print", R"({{ print 1 2 "a" "b" 3 nil 4.5 }})", "1 2ab3 <nil> 4.5"},
    {"PrintFloats", R"({{ print 1.0 2.5 "s" 1e6 }})", "1 2.5s1e+06"},
    {"Println", R"({{ println 1 "a" 2 }}|{{ println }}|{{ println nil 1.5 }})", "1 a 2\n|\n|<nil> 1.5\n"},
    {"PrintNothing", "[{{ print }}]", "[]"},
    {"PrintSample", R"({{ query "nums" | first }}|{{ print (query "nums" | first) }})",
     "{map[__value__:sv a:x] 0.5}|&{map[__value__:sv a:x] 0.5}"},
    // Bare function names are zero-argument calls.
    {"BareFunctionArgument", "{{ print args }}", "map[]"},
};
INSTANTIATE_TEST_SUITE_P(GoBuiltins, TemplateRenderTest, testing::ValuesIn(kBuiltinCases), CaseName);

const RenderCase kPrintfCases[] = {
    {"Integers", R"({{ printf "%d|%5d|%-5d|%05d|%+d|%x|%X|%#x|%o|%b|%c" 42 42 42 -42 42 255 255 255 8 5 65 }})",
     "42|   42|42   |-0042|+42|ff|FF|0xff|10|101|A"},
    {"IntegerEdges", R"({{ printf "%x" -255 }} {{ printf "%+08d" 42 }} {{ printf "%-08d|" 42 }} {{ printf "%.3d" 7 }} {{ printf "%#o" 8 }})",
     "-ff +0000042 42      | 007 010"},
    {"IntegerPrecision", R"({{ printf "%5.3d|%-5.3d|%+.3d|%.0d|%3d" 7 7 7 0 1234 }})", "  007|007  |+007||1234"},
    {"Runes", R"({{ printf "%c|%c" 233 128512 }})", "\xc3\xa9|\xf0\x9f\x98\x80"},
    {"Floats",
     R"({{ printf "%f|%.2f|%8.3f|%-8.2f|%e|%.3e|%g|%.4g|%G|%E|%v|%08.3f|%+.1f|% .1f" 3.14159 3.14159 3.14159 3.14159 314159.0 314159.0 314159.0 314159.0 1e-7 1e-7 0.97 -3.14159 2.0 2.0 }})",
     "3.141590|3.14|   3.142|3.14    |3.141590e+05|3.142e+05|314159|3.142e+05|1E-07|1.000000E-07|0.97|-003.142|+2.0| 2.0"},
    {"FloatG", R"({{ printf "%g|%g|%g|%g|%G" 1e6 1e-5 100000.0 0.0001 1e21 }})", "1e+06|1e-05|100000|0.0001|1E+21"},
    {"FloatGPrecision", R"({{ printf "%.0g|%.1g|%.3g|%.10g|%.2g" 123.0 123.0 0.000012345 1.0 100.0 }})",
     "1e+02|1e+02|1.23e-05|1|1e+02"},
    {"FloatSharp", R"({{ printf "%#g|%#.3g|%#e|%#f|%#.0f" 1.0 2.0 3.0 4.0 1.0 }})", "1.00000|2.00|3.000000e+00|4.000000|1."},
    {"FloatHex", R"({{ printf "%x|%X" 3.5 -0.1 }})", "0x1.cp+01|-0X1.999999999999AP-04"},
    {"FloatRounding", R"({{ printf "%.0f %.0f %.1f %.1f %.2f" 2.5 3.5 0.05 0.25 -0.001 }})", "2 4 0.1 0.2 -0.00"},
    {"FloatWidthVerbV", R"({{ printf "%10.3v|%-10v|%010v" 3.14159 2.5 -1.5 }})", "      3.14|2.5       |-0000001.5"},
    {"Percent", R"({{ printf "%6.2f%%" 97.123 }}|{{ printf "100%%" }})", " 97.12%|100%"},
    {"Strings", R"({{ printf "%s|%q|%v|%10s|%-10s|%.2s|%x|%X|%5.1s|%05s" "abc" "a\"b\n" "v" "r" "l" "trunc" "hi" "hi" "xyz" "ab" }})",
     R"(abc|"a\"b\n"|v|         r|l         |tr|6869|6869|    x|000ab)"},
    {"StringsCountRunes", R"({{ printf "%.3s|%5s|" "h\u00e9llo" "\u00e9" }})", "h\xc3\xa9l|    \xc3\xa9|"},
    {"QuoteEscapes", R"({{ printf "%q" "tab\there\x01" }})", R"("tab\there\x01")"},
    {"Bools", R"({{ printf "%t %v|%5t|%-6v|" true false true false }})", "true false| true|false |"},
    {"StarWidthAndPrecision", R"({{ printf "%*d|%-*d|%.*f" 5 1 5 1 2 3.14159 }})", "    1|1    |3.14"},
    {"Composite", R"({{ printf "%v|%s|%+v" (query "nums" | first) (query "nums" | first).Labels (query "nums" | first) }})",
     "&{map[__value__:sv a:x] 0.5}|map[__value__:sv a:x]|&{Labels:map[__value__:sv a:x] Value:0.5}"},
    {"CompositeVerbAppliesToElements", R"({{ printf "%d" (args 1 2) }}|{{ printf "%03d" (seq 3) }})",
     "map[%!d(string=arg0):1 %!d(string=arg1):2]|[000 001 002]"},
    // Mistakes print as Go prints them.
    {"WrongVerbs", R"({{ printf "%d %s" "str" 5 }}|{{ printf "%f" 3 }}|{{ printf "%d" 3.0 }}|{{ printf "%d" true }}|{{ printf "%z" 3 }})",
     "%!d(string=str) %!s(int=5)|%!f(int=3)|%!d(float64=3)|%!d(bool=true)|%!z(int=3)"},
    {"MissingAndExtra", R"({{ printf "%d" }}|{{ printf "%d" 1 2 "x" }}|{{ printf "%" }}|{{ printf "%*d" "x" 1 }})",
     "%!d(MISSING)|1%!(EXTRA int=2, string=x)|%!(NOVERB)|%!(BADWIDTH)1"},
    {"Nil", R"({{ printf "%s" nil }}|{{ printf "%v" nil }}|{{ printf "%v" .Labels.nope }})", "%!s(<nil>)|<nil>|"},
};
INSTANTIATE_TEST_SUITE_P(Printf, TemplateRenderTest, testing::ValuesIn(kPrintfCases), CaseName);

const RenderCase kPrometheusCases[] = {
    {"QueryFirstValue", R"({{ query "nums" | first | value }})", "0.5"},
    {"QueryFirstLabel", R"({{ query "nums" | first | label "a" }}|{{ label "nope" (query "nums" | first) }})", "x|"},
    {"StrValue", R"({{ query "nums" | first | strvalue }}|{{ (index (query "nums") 1) | strvalue }})", "sv|"},
    {"QueryLabelsIncludeName", R"({{ (query "wgtune_cpus{state=\"online\"}" | first).Labels.__name__ }})", "wgtune_cpus"},
    {"QueryOrdersNumerically", R"({{ range query "wgtune_queue_info" }}{{ .Labels.queue }} {{ end }})", "1 1.5 2 10 a "},
    {"SortByLabelIsStringOrder", R"({{ range query "wgtune_queue_info" | sortByLabel "queue" }}{{ .Labels.queue }} {{ end }})",
     "1 1.5 10 2 a "},
    {"SortByMissingLabelKeepsOrder", R"({{ range sortByLabel "nope" (query "nums") }}{{ .Labels.a }}{{ end }})", "xyz"},
    {"Args", R"({{ (args 1 "two" 3.5).arg1 }}|{{ (args 1).arg9 }}|{{ args }}|{{ args 1 "x" }})",
     "two|<no value>|map[]|map[arg0:1 arg1:x]"},
    {"Humanize",
     R"({{ humanize 0 }} {{ humanize 41200 }} {{ humanize 1234567 }} {{ humanize 0.001234 }} {{ humanize -1500 }} {{ humanize 999.99 }} {{ humanize 1e30 }} {{ humanize 0.5 }} {{ humanize 1 }} {{ humanize "2048" }} {{ humanize 1e-30 }})",
     "0 41.2k 1.235M 1.234m -1.5k 1000 1e+06Y 500m 1 2.048k 1e-06y"},
    {"HumanizeMore", R"({{ humanize 1e-3 }} {{ humanize 0.1 }} {{ humanize -0.0005 }} {{ humanize "1e3" }} {{ humanize "+Inf" }} {{ humanize "NaN" }} {{ humanize "-Inf" }})",
     "1m 100m -500u 1k +Inf NaN -Inf"},
    {"Humanize1024",
     R"({{ humanize1024 0 }} {{ humanize1024 1 }} {{ humanize1024 1024 }} {{ humanize1024 1536.0 }} {{ humanize1024 1073741824 }} {{ humanize1024 -2048 }} {{ humanize1024 0.5 }} {{ humanize1024 1e30 }})",
     "0 1 1ki 1.5ki 1Gi -2ki 0.5 8.272e+05Yi"},
    {"HumanizeDuration",
     R"({{ humanizeDuration 0 }}|{{ humanizeDuration 1.5 }}|{{ humanizeDuration 59.99 }}|{{ humanizeDuration 90 }}|{{ humanizeDuration 3600 }}|{{ humanizeDuration 86400 }}|{{ humanizeDuration 93784.5 }}|{{ humanizeDuration 60 }}|{{ humanizeDuration 1 }})",
     "0s|1.5s|59.99s|1m 30s|1h 0m 0s|1d 0h 0m 0s|1d 2h 3m 4s|1m 0s|1s"},
    {"HumanizeDurationSmallAndNegative",
     R"({{ humanizeDuration 0.5 }}|{{ humanizeDuration 0.0015 }}|{{ humanizeDuration 0.000001 }}|{{ humanizeDuration -90 }}|{{ humanizeDuration -0.25 }}|{{ humanizeDuration "90" }}|{{ humanizeDuration "Inf" }})",
     "500ms|1.5ms|1us|-1m 30s|-250ms|1m 30s|+Inf"},
    {"HumanizePercentage",
     R"({{ humanizePercentage 0.97 }}|{{ humanizePercentage 0.12345 }}|{{ humanizePercentage 1 }}|{{ humanizePercentage 0 }}|{{ humanizePercentage 0.000012 }}|{{ humanizePercentage 12 }}|{{ $value | humanizePercentage }}|{{ humanizePercentage "0.5" }})",
     "97%|12.35%|100%|0%|0.0012%|1200%|97%|50%"},
    {"Title", R"({{ title "hello wORLD foo_bar-baz 9lives" }}|{{ title "a.b,c(d)e" }}|{{ title "" }}|{{ title "\u00e9a b" }})",
     "Hello WORLD Foo_bar-Baz 9lives|A.B,C(D)E||\xc3\x89" "a B"},
    {"UpperLower", R"({{ toUpper "abcXyz-1\u00e9" }}|{{ toLower "ABCxYZ-1\u00c9" }}|{{ .Labels.device | toUpper | printf "%q" }})",
     "ABCXYZ-1\xc3\x89|abcxyz-1\xc3\xa9|\"WG0\""},
    {"Match", R"({{ match "^wg[0-9]+$" "wg0" }} {{ match "^wg[0-9]+$" "eth0" }} {{ match "g0" "wg0" }} {{ match "(?i)WG" "wg0" }})",
     "true false true true"},
    {"ReReplaceAll", R"t({{ reReplaceAll "(.*):.*" "$1" "host:9586" }}|{{ reReplaceAll "a" "b" "banana" }}|{{ reReplaceAll "(\\w+)@(\\w+)" "${2}_$1" "joe@host bob@box" }})t",
     "host|bbnbnb|host_joe box_bob"},
    {"ReReplaceAllEmptyMatches", R"({{ reReplaceAll "a*" "-" "baaac" }}|{{ reReplaceAll "x*" "-" "abc" }}|{{ reReplaceAll "" "-" "" }}|{{ reReplaceAll "" "-" "\u00e9" }})",
     "-b-c-|-a-b-c-|-|-\xc3\xa9-"},
    {"ReReplaceAllAnchors", R"({{ reReplaceAll "^" "P" "abc" }}|{{ reReplaceAll "$" "S" "abc" }}|{{ reReplaceAll "\\b" "|" "ab cd" }})",
     "Pabc|abcS||ab| |cd|"},
    {"ReReplaceAllExpansion", R"t({{ reReplaceAll "(a)(n)" "${2}$1x$$" "banana" }}|{{ reReplaceAll "(a)" "$1x" "banana" }}|{{ reReplaceAll "(x)?y" "<$1>" "y xy" }}|{{ reReplaceAll "a|b" "[$0]" "cab" }})t",
     "bn$n$a|bnn|<> <x>|c[a][b]"},
    {"ReReplaceAllMalformedExpansion", R"t({{ reReplaceAll "(a)" "$" "a" }}|{{ reReplaceAll "(a)" "${1" "a" }}|{{ reReplaceAll "(a)" "$9" "a" }}|{{ reReplaceAll "(a)" "${}" "a" }})t",
     "$|${1||${}"},
};
INSTANTIATE_TEST_SUITE_P(Prometheus, TemplateRenderTest, testing::ValuesIn(kPrometheusCases), CaseName);

const RenderCase kWgtuneCases[] = {
    {"AddInts", "{{ add 1 2 }} {{ sub 1 5 }} {{ mul 6 7 }} {{ div 7 2 }} {{ div -7 2 }}", "3 -4 42 3 -3"},
    {"IntResultsPrintWithD", R"({{ printf "%d" (add 40 2) }} {{ printf "%d" (mod 7 3) }})", "42 1"},
    {"FloatArithmetic", "{{ add 0.5 1 }} {{ sub 1.0 0.25 }} {{ mul 2 0.5 }} {{ div 1.0 4 }} {{ mul $value 100 }}", "1.5 0.75 1 0.25 97"},
    {"FloatResultIsFloat", R"({{ printf "%d" (add 1.0 2) }})", "%!d(float64=3)"},
    {"Mod", "{{ mod 7 3 }} {{ mod -7 3 }} {{ mod 7 -1 }} {{ mod 8.0 3 }} {{ mod 5 4.0 }}", "1 -1 0 2 1"},
    {"ModOfQueryValue", R"({{ $n := query "wgtune_cpus{state=\"online\"}" | first | value }}{{ mod 6 $n }})", "2"},
    {"Int", R"({{ int 3 }} {{ int 3.9 }} {{ int -3.9 }} {{ int "12" }} {{ int "12.7" }} {{ printf "%d" (int $params.ring) }})",
     "3 3 -3 12 12 4096"},
    {"IntOfLabel", R"({{ add (int $labels.queue) 1 }})", "3"},
    {"Seq", "{{ seq 0 }} {{ seq 1 }} {{ seq 4 }} {{ seq 3.0 }}", "[] [0] [0 1 2 3] [0 1 2]"},
    {"Cpumask", "{{ cpumask 0 }} {{ cpumask 1 }} {{ cpumask 4 }} {{ cpumask 16 }} {{ cpumask 32 }} {{ cpumask 40 }}",
     "0 1 f ffff ffffffff ff,ffffffff"},
    {"CpumaskWide", "{{ cpumask 33 }} {{ cpumask 64 }} {{ cpumask 128 }}",
     "1,ffffffff ffffffff,ffffffff ffffffff,ffffffff,ffffffff,ffffffff"},
    {"CpumaskOfQueryValue", R"({{ query "wgtune_cpus{state=\"online\"}" | first | value | cpumask }})", "f"},
    {"Cpubit", "{{ cpubit 0 }} {{ cpubit 3 }} {{ cpubit 31 }} {{ cpubit 32 }} {{ cpubit 35 }} {{ cpubit 64 }} {{ cpubit 2.0 }}",
     "1 8 80000000 1,00000000 8,00000000 1,00000000,00000000 4"},
    {"Join", R"({{ join "," (seq 4) }}|{{ seq 3 | join " " }}|{{ join "," (query "empty") }}|{{ join "-" (args "x").nope }})",
     "0,1,2,3|0 1 2||"},
    {"JoinLabels", R"({{ $irqs := "" }}{{ range query "wgtune_interrupt_affinity_info" }}{{ $irqs = printf "%s %s" $irqs .Labels.irq }}{{ end }}{{ $irqs }})",
     " 120 121 122 123 124 125"},
    {"Default", R"({{ default "none" $labels.nope }}|{{ $labels.device | default "none" }}|{{ default 1 0 }}|{{ default 5 $params.nope }})",
     "none|wg0|1|5"},
};
INSTANTIATE_TEST_SUITE_P(Wgtune, TemplateRenderTest, testing::ValuesIn(kWgtuneCases), CaseName);

// How {{ $value }} prints a float64: Go's %v, i.e. strconv.FormatFloat(v, 'g', -1, 64), which
// switches to an exponent below 1e-4 and from 1e6 (not from 1e21, as JSON does).
TEST(TemplateTest, PrintsFloatsAsGoDoes) {
  const std::pair<double, const char*> cases[] = {
      {0.97, "0.97"},
      {41200, "41200"},
      {100000, "100000"},
      {123456.7, "123456.7"},
      {999999, "999999"},
      {1000000, "1e+06"},
      {1234567, "1.234567e+06"},
      {123456789, "1.23456789e+08"},
      {1e21, "1e+21"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.5e-7, "1.5e-07"},
      {0.1 + 0.2, "0.30000000000000004"},
      {3, "3"},
      {-2.5, "-2.5"},
      {-0.0, "-0"},
      {0, "0"},
      {1e100, "1e+100"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const auto& [value, want] : cases) {
    EXPECT_EQ(Render("{{ $value }}", Data(value)), want) << value;
  }
  EXPECT_EQ(Render("{{ 1000000.0 }} {{ 1000000 }} {{ 1e6 }} {{ 3.0 }}"), "1e+06 1000000 1e+06 3");
  EXPECT_EQ(Render("{{ humanize $value }} {{ printf \"%.1f\" $value }}", Data(std::nan(""))), "NaN NaN");
  EXPECT_EQ(Render("{{ printf \"%f|%e|%5.1f|%+v|% v\" $value $value $value $value $value }}",
                   Data(std::numeric_limits<double>::infinity())),
            "+Inf|+Inf| +Inf|+Inf| Inf");
}

// The IRQ-pinning remediation: round-robin the device's queues over the online CPUs.
TEST(TemplateTest, RendersIrqPinningRemediation) {
  const char* text =
      "{{- $n := query \"wgtune_cpus{state=\\\"online\\\"}\" | first | value -}}\n"
      "{{ range $i, $s := query \"wgtune_interrupt_affinity_info\" }}\n"
      "echo {{ cpubit (mod $i $n) }} > /proc/irq/{{ $s.Labels.irq }}/smp_affinity\n"
      "{{- end }}\n";
  EXPECT_EQ(Render(text),
            "\n"
            "echo 1 > /proc/irq/120/smp_affinity\n"
            "echo 2 > /proc/irq/121/smp_affinity\n"
            "echo 4 > /proc/irq/122/smp_affinity\n"
            "echo 8 > /proc/irq/123/smp_affinity\n"
            "echo 1 > /proc/irq/124/smp_affinity\n"
            "echo 2 > /proc/irq/125/smp_affinity\n");
}

TEST(TemplateTest, RendersRingRemediationWithFallback) {
  const char* text =
      "ethtool -G {{ $labels.device }} rx "
      "{{ with printf \"wgtune_ethtool_ring_entries{device=%q,ring=\\\"rx\\\",setting=\\\"maximum\\\"}\" $labels.device "
      "| query }}{{ . | first | value }}{{ else }}{{ $params.ring }}{{ end }}";
  EXPECT_EQ(Render(text), "ethtool -G wg0 rx 4096");
  TemplateData other = Data();
  other.labels = {{"device", "wg1"}};
  other.params["ring"] = 2048.0;
  EXPECT_EQ(Render(text, other), "ethtool -G wg1 rx 2048");
}

TEST(TemplateTest, ExecutesRepeatedlyWithFreshVariables) {
  Template t("{{ $x := $value }}{{ if gt $x 0.5 }}high{{ else }}low{{ end }} {{ $labels.device }}");
  TemplateData data = Data(0.9);
  EXPECT_EQ(t.Execute(data, FakeQuery), "high wg0");
  data.value = 0.1;
  data.labels = {{"device", "wg7"}};
  EXPECT_EQ(t.Execute(data, FakeQuery), "low wg7");
  Template moved = std::move(t);
  EXPECT_EQ(moved.Execute(data, FakeQuery), "low wg7");
  Template assigned("x");
  assigned = std::move(moved);
  EXPECT_EQ(assigned.Execute(Data(0.9), FakeQuery), "high wg0");
}

// Found by fuzzing (issue 12, tests/fuzz/regressions/template/): dot was a reference into the
// variables, and a declaration grew them, so the 13-byte `{{$:=0}}{{.}}` read freed memory
// (AddressSanitizer: heap-use-after-free). Declaring or assigning $ leaves dot alone, as in Go.
TEST(TemplateTest, DeclaringVariablesLeavesDotAlone) {
  const std::string dot = Template("{{.}}").Execute(Data(), nullptr);
  EXPECT_NE(dot.find("wg0"), std::string::npos) << dot;
  EXPECT_EQ(Template("{{$:=0}}{{.}}").Execute(Data(), nullptr), dot);
  EXPECT_EQ(Template("{{$ = 0}}{{.}}").Execute(Data(), nullptr), dot);
  EXPECT_EQ(Template("{{$:=0}}{{$}} {{.Labels.device}}").Execute(Data(), nullptr), "0 wg0");
  EXPECT_EQ(Template("{{$a:=1}}{{$b:=2}}{{$c:=3}}{{$d:=4}}{{$e:=5}}{{.Labels.device}}").Execute(Data(), nullptr), "wg0");
}

// The same through a named template, as the bundled rps-writes runs: it declares $mask and
// $queues, then passes dot to rfs-writes, which read freed memory (found by the template fuzz
// target on its first run of that seed, the bundled rules' own text).
TEST(TemplateTest, NamedTemplatesThatDeclareVariablesPassDotOn) {
  TemplateLibrary library;
  library.emplace("inner", Template("{{ .Labels.device }}"));
  library.emplace("outer", Template("{{- $x := 1 }}{{- $y := 2 }}{{- $z := 3 }}{{ template \"inner\" . }} {{ $x }}"));
  EXPECT_EQ(Template("{{ template \"outer\" . }}").Execute(Data(), nullptr, &library), "wg0 1");
}

TEST(TemplateTest, TemplatesWithoutQueriesNeedNoQueryEngine) {
  EXPECT_EQ(Template("{{ $labels.device }}").Execute(Data(), nullptr), "wg0");
  try {
    Template("{{ query \"up\" }}").Execute(Data(), nullptr);
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "line 1 col 4: error executing query \"up\": no query engine");
  }
}

TEST(TemplateTest, QueryFailureNamesQueryAndPosition) {
  EXPECT_EQ(ErrorOf("ok\n  {{ query \"fail{\" }}"),
            "line 2 col 6: error executing query \"fail{\": parse error: unexpected character '!'");
}

TEST(TemplateTest, FunctionNames) {
  Template t(R"({{ $n := query "a" | first | value }}{{ range seq 3 }}{{ printf "%d" (mod . 2) }}{{ end }}{{ if and 1 (eq 1 1) }}{{ end }})");
  EXPECT_EQ(t.FunctionNames(), (std::set<std::string>{"and", "eq", "first", "mod", "printf", "query", "seq", "value"}));
  EXPECT_TRUE(Template("text {{ $labels.device }}").FunctionNames().empty());
}

TEST(TemplateTest, LiteralQueries) {
  Template t(R"({{ query "up" }}{{ "b" | query }}{{ with query (printf "c{d=%q}" "x") }}{{ end }}{{ query "up" }}{{ (query `raw{a="1"}`) }})");
  EXPECT_EQ(t.LiteralQueries(), (std::vector<std::string>{"up", "b", "raw{a=\"1\"}"}));
  EXPECT_TRUE(Template("{{ printf \"%s\" \"q\" }}").LiteralQueries().empty());
}

TEST(TemplateTest, PrometheusFunctionSet) {
  for (const char* name : {"and", "or", "not", "len", "index", "eq", "ne", "lt", "le", "gt", "ge", "print", "printf",
                           "println", "query", "first", "label", "value", "strvalue", "sortByLabel", "humanize",
                           "humanize1024", "humanizePercentage", "humanizeDuration", "title", "toUpper", "toLower",
                           "match", "reReplaceAll", "args", "humanizeTimestamp", "safeHtml", "stripPort",
                           "parseDuration", "urlquery", "slice"}) {
    EXPECT_TRUE(IsPrometheusTemplateFunction(name)) << name;
  }
  for (const char* name : {"add", "sub", "mul", "div", "mod", "int", "seq", "cpumask", "cpubit", "join", "default",
                           "nope", ""}) {
    EXPECT_FALSE(IsPrometheusTemplateFunction(name)) << name;
  }
  // Every function a template can call is either Prometheus's or one of wgtune's own.
  Template t(R"({{ query "nums" | first | value | humanize }}{{ cpumask 4 }})");
  std::set<std::string> names = t.FunctionNames();
  EXPECT_EQ(std::count_if(names.begin(), names.end(), [](const std::string& n) { return !IsPrometheusTemplateFunction(n); }), 1);
}

struct ErrorCase {
  const char* name;
  const char* text;
  const char* want;  // the whole message, or its beginning when it ends with "..."
};

std::ostream& operator<<(std::ostream& out, const ErrorCase& c) { return out << c.name; }

class TemplateErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(TemplateErrorTest, Fails) {
  const ErrorCase& c = GetParam();
  std::string want = c.want;
  std::string got = ErrorOf(c.text);
  if (EndsWith(want, "...")) {
    want.resize(want.size() - 3);
    got.resize(std::min(got.size(), want.size()));
  }
  EXPECT_EQ(got, want) << c.text;
}

std::string ErrorCaseName(const testing::TestParamInfo<ErrorCase>& info) { return info.param.name; }

// Parse errors: found when the rule file loads.
const ErrorCase kParseErrors[] = {
    {"UnclosedAction", "a {{ printf \"%d\" 1", "line 1 col 3: unclosed action"},
    {"UnclosedActionMultiLine", "a\nb {{ if", "line 2 col 3: unclosed action"},
    {"UnclosedComment", "{{ \"a\" }}{{/* no end }}", "line 1 col 10: unclosed comment"},
    {"CommentNotAtDelimiter", "{{ /* c */ }}", "line 1 col 4: unrecognized character in action: '/'"},
    {"CommentBeforeText", "{{/* c */ x }}", "line 1 col 1: comment ends before closing delimiter"},
    {"UnterminatedString", "{{ \"abc }}", "line 1 col 4: unterminated quoted string"},
    {"UnterminatedRawString", "{{ `abc }}", "line 1 col 4: unterminated raw quoted string"},
    {"BadEscape", R"({{ "\q" }})", "line 1 col 4: invalid escape in quoted string"},
    {"BadNumber", "{{ 3x }}", "line 1 col 4: bad number syntax: \"3x\""},
    {"IntegerOverflow", "{{ 9223372036854775808 }}", "line 1 col 4: integer overflow: \"9223372036854775808\""},
    {"FloatOverflow", "{{ 1e400 }}", "line 1 col 4: illegal number syntax: \"1e400\""},
    {"UnknownFunction", "{{ $labels.device | nope }}", "line 1 col 21: function \"nope\" not defined"},
    {"UndefinedVariable", "{{ $undefined }}", "line 1 col 4: undefined variable \"$undefined\""},
    {"AssignUndeclared", "{{ $x = 1 }}", "line 1 col 4: undefined variable \"$x\""},
    {"VariableOutOfIfScope", "{{ if true }}{{ $z := 1 }}{{ end }}{{ $z }}", "line 1 col 39: undefined variable \"$z\""},
    {"VariableOutOfRangeScope", "{{ range $i, $e := query \"nums\" }}{{ end }}{{ $i }}",
     "line 1 col 47: undefined variable \"$i\""},
    {"VariableOutOfWithScope", "{{ with $x := 1 }}{{ end }}{{ $x }}", "line 1 col 31: undefined variable \"$x\""},
    {"MissingEnd", "{{ if 1 }}x", "line 1 col 4: {{if}} has no matching {{end}}"},
    {"MissingEndNested", "{{ range seq 2 }}\n  {{ if 1 }}x{{ end }}", "line 1 col 4: {{range}} has no matching {{end}}"},
    {"UnexpectedEnd", "x {{ end }}", "line 1 col 6: unexpected {{end}}"},
    {"UnexpectedElse", "{{ else }}", "line 1 col 4: unexpected {{else}}"},
    {"TwoElses", "{{ if 1 }}{{ else }}{{ else }}{{ end }}", "line 1 col 24: expected {{end}}; found {{else}}"},
    {"ElseIfOutsideIf", "{{ with 0 }}{{ else if 1 }}{{ end }}", "line 1 col 21: {{else if}} is only allowed in {{if}}, not in {{with}}"},
    {"EmptyIf", "{{ if }}{{ end }}", "line 1 col 7: missing value for if"},
    {"EmptyAction", "{{ }}", "line 1 col 4: missing value for command"},
    {"EndWithArguments", "{{ if 1 }}{{ end x }}", "line 1 col 18: unexpected \"x\" in end"},
    {"NilCommand", "{{ nil }}", "line 1 col 4: nil is not a command"},
    {"NonFunctionInPipeline", "{{ 1 | 2 }}", "line 1 col 8: non executable command in pipeline stage 2"},
    {"ArgumentToNonFunction", "{{ 1 2 }}", "line 1 col 6: can't give argument to non-function"},
    {"TooFewArguments", "{{ cpubit }}", "line 1 col 4: wrong number of args for cpubit: want 1 got 0"},
    {"TooManyArguments", "{{ humanize 1 2 }}", "line 1 col 4: wrong number of args for humanize: want 1 got 2"},
    {"PipedArgumentCounts", "{{ 1 | add 1 2 }}", "line 1 col 8: wrong number of args for add: want 2 got 3"},
    {"TooFewVariadic", "{{ eq 1 }}", "line 1 col 4: wrong number of args for eq: want at least 2 got 1"},
    {"BareFunctionNeedsArguments", "{{ printf \"%s\" toUpper }}", "line 1 col 16: wrong number of args for toUpper: want 1 got 0"},
    {"TooManyDeclarations", "{{ if $a, $b := 1 }}{{ end }}", "line 1 col 9: too many declarations in if"},
    {"ThreeRangeVariables", "{{ range $i, $e, $f := seq 1 }}{{ end }}", "line 1 col 16: too many declarations in range"},
    {"UnclosedParen", "{{ (1 }}", "line 1 col 7: unclosed left paren"},
    {"UnexpectedParen", "{{ 1) }}", "line 1 col 5: unexpected right paren"},
    {"FieldOnLiteral", "{{ \"a\".x }}", "line 1 col 7: unexpected .x after operand"},
    {"Define", "{{ define \"x\" }}{{ end }}",
     "line 1 col 4: {{define}} is not supported: named templates come from the rule files' [templates]"},
    {"Break", "{{ range seq 2 }}{{ break }}{{ end }}", "line 1 col 21: {{break}} is not supported"},
    {"TemplateNameNotString", "{{ template x }}", "line 1 col 13: unexpected \"x\" in template clause"},
    {"TemplateWithoutName", "{{ template }}", "line 1 col 13: unexpected }} in template clause"},
    {"MalformedCharacter", "{{ 'ab' }}", "line 1 col 4: malformed character constant"},
};
INSTANTIATE_TEST_SUITE_P(Parse, TemplateErrorTest, testing::ValuesIn(kParseErrors), ErrorCaseName);

// Execution errors: found when a finding's texts render.
const ErrorCase kExecutionErrors[] = {
    {"FirstOfEmpty", "{{ query \"empty\" | first }}",
     "line 1 col 20: error calling first: first() called on vector with no elements"},
    {"QueryFails", "{{ query \"fail\" }}", "line 1 col 4: error executing query \"fail\": parse error: unexpected character '!'"},
    {"QueryNotString", "{{ query 1 }}", "line 1 col 4: error calling query: wrong type for argument 1; expected string; got int"},
    {"CompareIntWithFloat", "{{ lt $value 1 }}",
     "line 1 col 4: error calling lt: incompatible types for comparison (float64 and int; a float constant needs a decimal point: 0.0)"},
    {"EqIntWithFloat", "{{ eq 1 1.0 }}",
     "line 1 col 4: error calling eq: incompatible types for comparison (int and float64; a float constant needs a decimal point: 0.0)"},
    {"EqStringWithInt", "{{ eq \"a\" 1 }}",
     "line 1 col 4: error calling eq: incompatible types for comparison (string and int; a float constant needs a decimal point: 0.0)"},
    {"CompareBools", "{{ lt true false }}", "line 1 col 4: error calling lt: invalid type for comparison"},
    {"EqLists", "{{ eq (seq 1) (seq 1) }}", "line 1 col 4: error calling eq: non-comparable type []interface {}"},
    {"LenOfInt", "{{ len 3 }}", "line 1 col 4: error calling len: len of type int"},
    {"IndexOutOfRange", "{{ index (query \"nums\") 5 }}", "line 1 col 4: error calling index: index out of range: 5"},
    {"IndexWithFloat", "{{ index (query \"nums\") 1.0 }}",
     "line 1 col 4: error calling index: cannot index slice/array with type float64"},
    {"IndexMapWithInt", "{{ index $labels 1 }}", "line 1 col 4: error calling index: value has type int; should be string"},
    {"IndexNil", "{{ index $params.nope 1 }}", "line 1 col 4: error calling index: index of untyped nil"},
    {"UnknownField", "{{ .Nope }}", "line 1 col 4: can't evaluate field Nope in type struct"},
    {"FieldOfString", "{{ $labels.device.x }}", "line 1 col 4: can't evaluate field x in type string"},
    {"FieldOfNil", "{{ $params.nope.x }}", "line 1 col 4: nil pointer evaluating $params.nope.x"},
    {"SampleField", "{{ (query \"nums\" | first).labels }}", "line 1 col 4: can't evaluate field labels in type *template.sample"},
    {"RangeOverInt", "{{ range 3 }}x{{ end }}", "line 1 col 10: range can't iterate over 3"},
    {"HumanizeString", "{{ humanize \"abc\" }}",
     "line 1 col 4: error calling humanize: strconv.ParseFloat: parsing \"abc\": invalid syntax"},
    {"HumanizeBool", "{{ humanize true }}", "line 1 col 4: error calling humanize: can't convert bool to float"},
    {"ValueOfString", "{{ value \"x\" }}",
     "line 1 col 4: error calling value: wrong type for argument 1; expected *template.sample; got string"},
    {"FirstOfInt", "{{ first 1 }}",
     "line 1 col 4: error calling first: wrong type for argument 1; expected a list (query result); got int"},
    {"ToUpperOfInt", "{{ toUpper 1 }}", "line 1 col 4: error calling toUpper: wrong type for argument 1; expected string; got int"},
    {"BadRegex", "{{ match \"[\" \"x\" }}", "line 1 col 4: error calling match: error parsing regexp: missing ]: [..."},
    {"AddString", "{{ add \"1\" 2 }}", "line 1 col 4: error calling add: wrong type for argument 1; expected number; got string"},
    {"IntegerDivisionByZero", "{{ div 1 0 }}", "line 1 col 4: error calling div: integer division by zero"},
    {"FloatDivisionByZero", "{{ div 1.0 0 }}", "line 1 col 4: error calling div: division by zero"},
    {"ModByZero", "{{ mod 1 0 }}", "line 1 col 4: error calling mod: integer division by zero"},
    {"IntegerOverflow", "{{ mul 9223372036854775807 2 }}", "line 1 col 4: error calling mul: integer overflow"},
    {"ModOfFraction", "{{ mod 7.5 2 }}", "line 1 col 4: error calling mod: argument 1 must be a whole number; got 7.5"},
    {"CpubitOfFraction", "{{ cpubit $value }}", "line 1 col 4: error calling cpubit: argument 1 must be a whole number; got 0.97"},
    {"CpubitOfString", "{{ cpubit \"3\" }}", "line 1 col 4: error calling cpubit: wrong type for argument 1; expected number; got string"},
    {"CpubitNegative", "{{ cpubit -1 }}", "line 1 col 4: error calling cpubit: CPU number must be between 0 and 4194303; got -1"},
    {"CpumaskTooLarge", "{{ cpumask 5000000 }}",
     "line 1 col 4: error calling cpumask: CPU count must be between 0 and 4194304; got 5000000"},
    {"SeqNegative", "{{ seq -1 }}", "line 1 col 4: error calling seq: seq count must be between 0 and 1048576; got -1"},
    {"SeqOfFraction", "{{ seq 1.5 }}", "line 1 col 4: error calling seq: argument 1 must be a whole number; got 1.5"},
    {"IntOfGarbage", "{{ int \"x1\" }}", "line 1 col 4: error calling int: cannot convert \"x1\" to int"},
    {"JoinOfString", "{{ join \",\" \"abc\" }}",
     "line 1 col 4: error calling join: wrong type for argument 2; expected a list (query result); got string"},
    {"SortByLabelOfInts", "{{ sortByLabel \"a\" (seq 2) }}", "line 1 col 4: error calling sortByLabel: sortByLabel: element 0 is not a sample"},
    {"UnsupportedPrintfIndex", "{{ printf \"%[1]d\" 1 }}",
     "line 1 col 4: error calling printf: printf argument indexes ([n]) are not supported"},
    {"UnsupportedPrintfType", "{{ printf \"%T\" 1 }}", "line 1 col 4: error calling printf: printf verb %T is not supported"},
    {"ErrorInNestedLine", "line one\n{{ range seq 2 }}\n  {{ cpubit 1.5 }}\n{{ end }}",
     "line 3 col 6: error calling cpubit: argument 1 must be a whole number; got 1.5"},
};
INSTANTIATE_TEST_SUITE_P(Execution, TemplateErrorTest, testing::ValuesIn(kExecutionErrors), ErrorCaseName);

// Named templates: the rule files' [templates], called with {{ template "name" ARG }}.
class TemplateLibraryTest : public testing::Test {
 protected:
  TemplateLibraryTest() {
    library_.emplace("device", Template("{{ $labels.device }}"));
    library_.emplace("greet", Template("hello {{ template \"device\" }} {{ . }} {{ $ }} {{ $value }}"));
    library_.emplace("root", Template("{{ .Labels.device }}/{{ $.Value }}/{{ $params.mode }}"));
    library_.emplace("noarg", Template("[{{ . }}]"));
    library_.emplace("cpus", Template(R"({{- query "wgtune_cpus{state=\"online\"}" | first | value | cpumask -}})"));
    library_.emplace("sysctl-value", Template(R"({{ with query . }}{{ . | first | value }}{{ else }}unknown{{ end }})"));
    library_.emplace("bad", Template("ok\n {{ cpubit 0.5 }}"));
    library_.emplace("calls-bad", Template("{{ template \"bad\" }}"));
    library_.emplace("loop", Template("x{{ template \"loop\" . }}"));
    library_.emplace("scoped", Template("{{ $x := 1 }}{{ $x }}"));
  }

  std::string Run(std::string_view text) const { return Template(text).Execute(Data(), FakeQuery, &library_); }

  std::string ErrorOf(std::string_view text) const {
    try {
      Run(text);
    } catch (const TemplateError& e) {
      return e.what();
    }
    return "no error";
  }

  TemplateLibrary library_;
};

TEST_F(TemplateLibraryTest, CallsWithArgumentAsDotAndDollar) {
  EXPECT_EQ(Run(R"({{ template "greet" "you" }})"), "hello wg0 you you 0.97");
  EXPECT_EQ(Run(R"({{ template "greet" $labels.instance }})"), "hello wg0 host:9586 host:9586 0.97");
  EXPECT_EQ(Run(R"({{ template "root" . }})"), "wg0/0.97/auto");
  EXPECT_EQ(Run(R"({{ template "noarg" }})"), "[<no value>]");
  EXPECT_EQ(Run(R"(mask {{ template "cpus" . }}!)"), "mask f!");
  EXPECT_EQ(Run(R"({{ template "sysctl-value" "nums" }} {{ template "sysctl-value" "empty" }})"), "0.5 unknown");
}

TEST_F(TemplateLibraryTest, CalleeVariablesStayInTheCallee) {
  EXPECT_EQ(Run(R"({{ $x := 5 }}{{ template "scoped" }}{{ $x }})"), "15");
  EXPECT_EQ(Run(R"({{ range seq 2 }}{{ template "scoped" . }}{{ end }})"), "11");
}

TEST_F(TemplateLibraryTest, TemplateNames) {
  Template t(R"({{ template "greet" . }}{{ if false }}{{ template "root" }}{{ end }}{{ template "greet" "x" }})");
  EXPECT_EQ(t.TemplateNames(), (std::set<std::string>{"greet", "root"}));
  EXPECT_TRUE(t.FunctionNames().empty());
  EXPECT_TRUE(Template("{{ $labels.device }}").TemplateNames().empty());
}

TEST_F(TemplateLibraryTest, Errors) {
  EXPECT_EQ(ErrorOf(R"(x {{ template "nope" . }})"), "line 1 col 6: no template \"nope\" in the library");
  EXPECT_EQ(::wgtune::ErrorOf(R"({{ template "greet" . }})"), "line 1 col 4: no template \"greet\" in the library");
  EXPECT_EQ(ErrorOf(R"({{ template "bad" . }})"),
            "line 1 col 4: in template \"bad\": line 2 col 5: error calling cpubit: argument 1 must be a whole number; got 0.5");
  EXPECT_EQ(ErrorOf("\n {{ template \"calls-bad\" }}"),
            "line 2 col 5: in template \"calls-bad\": line 1 col 4: in template \"bad\": line 2 col 5: error calling "
            "cpubit: argument 1 must be a whole number; got 0.5");
  EXPECT_EQ(ErrorOf(R"({{ template "loop" . }})"),
            "line 1 col 5: template \"loop\" nested more than 32 deep (does it call itself?)");
}

TEST(TemplateTest, ParseErrorsThrowFromTheConstructor) {
  EXPECT_THROW(Template("{{ nope }}"), TemplateError);
  EXPECT_THROW(Template("{{ if 1 }}"), TemplateError);
  EXPECT_NO_THROW(Template("{{ cpubit 1.5 }}"));  // a wrong value shows only when it runs
}

}  // namespace
}  // namespace wgtune
