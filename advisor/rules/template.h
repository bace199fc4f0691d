// Finding texts: a subset of Go's text/template, with the data and functions Prometheus
// gives alerting-rule annotations, plus a few wgtune functions for host-specific commands.
//
// What operators already write in Prometheus annotations works here unchanged:
//   {{ $labels.device }}  {{ $value }}  {{ $value | humanizePercentage }}
//   {{ with printf "wgtune_ethtool_ring_entries{device=%q,ring=\"rx\",setting=\"maximum\"}" $labels.device | query }}
//     {{ . | first | value }}{{ else }}4096{{ end }}
//   {{ range $i, $s := query "wgtune_interrupt_affinity_info" }}echo ... {{ $s.Labels.irq }}{{ end }}
//
// Syntax: text and actions {{ ... }} with trim markers {{- and -}} (which remove all
// adjacent whitespace, newlines included); pipelines with |; variables ($x := ..., $x = ...)
// scoped as in Go (declared inside if/range/with, they vanish at its {{end}}); field chains on
// variables, dot and parenthesized pipelines ($labels.device, .Labels.irq, (query "x" |
// first).Value); if / else if / else / end, range (with $i, $e := or $e :=, and else, over
// lists and maps), with (and else); comments {{/* ... */}}; literals: "strings" (Go escapes),
// `raw strings`, numbers (int: 3, 0x1f; float64: 3.0, 1e6), 'c' (an int), true/false, nil.
// {{ template "name" }} and {{ template "name" ARG }} run a named template of the library
// given to Execute (the rule files' [templates]): with dot and $ set to ARG, as in Go, and with
// the calling finding's $labels, $value and $params. Not supported: define/block (the library
// comes from the rule files), break/continue, method calls.
//
// Data: $labels (the finding's labels), $value (its value), $params (the rule's params: a
// float64 or a string each), $externalLabels (empty), $externalURL (""). Dot starts as the
// same data with Labels/ExternalLabels/ExternalURL/Value/Params fields. A missing label reads as "" (Prometheus runs
// templates with missingkey=zero); a missing param prints as <no value>.
//
// Values follow Go's kinds: int (literals without '.' or exponent, len, seq, mod, int) and
// float64 (query values, $value, params). As in Go, eq/lt/... refuse to compare an int with a
// float64 (`gt $value 0` is an error: write 0.0). {{ x }} prints a float64 as Go's %v does
// (strconv 'g', shortest): exponent form below 1e-4 and from 1e6 up, so 0.97, 41200, 1e+06,
// 1.234567e+06, 1e-05, and +Inf, -Inf, NaN. printf follows fmt: %v %d %s %q %t %f %e %g %x %X
// %o %b %c %% with flags (- + # 0 space), width, precision and *, and prints mistakes as fmt
// does (%!d(string=x), %!d(MISSING), %!(EXTRA int=1)); argument indexes (%[1]d), %T and %p
// are errors.
//
// Functions:
//   Go builtins:  and or not len index eq ne lt le gt ge print printf println
//   Prometheus:   query first label value strvalue sortByLabel humanize humanize1024
//                 humanizePercentage humanizeDuration title toUpper toLower match
//                 reReplaceAll args
//   wgtune:       add sub mul div A B (two ints give an int, div truncating; otherwise a
//                 float64; dividing by zero is an error), mod A B (an int), int X, seq N
//                 (ints 0..N-1), cpumask N (hex mask of CPUs 0..N-1, comma-grouped per 32 bits
//                 as the kernel writes it: 4 → f, 40 → ff,ffffffff), cpubit I (mask of CPU I
//                 alone: 35 → 8,00000000), join SEP LIST (elements as {{ }} prints them),
//                 default DEF X (X, or DEF when X is false, 0, "", empty or missing)
// query returns the series in label order with numeric label values compared as numbers
// (queue "2" before "10"), so that round-robin pinning follows queue order (Prometheus leaves
// the order to the engine). Its samples' Labels include __name__. sortByLabel orders by the
// label's string value, stably, as Prometheus does. cpubit, cpumask, seq and mod take ints or
// whole float64s (a query value of 4 is fine, 4.5 is an error); int truncates a float64 and
// parses a string. title/toUpper/toLower change ASCII and Latin-1 letters only; match and
// reReplaceAll run Go's RE2 syntax on std::regex (ECMAScript): the common subset, plus a
// leading (?i), behaves the same; named groups do not exist.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/promql/value.h"
#include "advisor/rules/rule.h"

namespace wgtune {

class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs a PromQL expression for the template's `query` function; throws on error (the error
// becomes a TemplateError naming the template position).
using TemplateQuery = std::function<promql::Vector(const std::string& expr)>;

class Template;

// Named templates, by name, that {{ template "name" ARG }} calls.
using TemplateLibrary = std::map<std::string, Template>;

struct TemplateData {
  promql::Labels labels;  // $labels (no __name__)
  double value = 0;       // $value
  std::map<std::string, RuleParam> params;  // $params
};

// A parsed template. Parse errors throw TemplateError("line L col C: ...") relative to the
// template text (1-based; columns count bytes). Everything Go finds when it parses, and more,
// fails here at parse time, so rule loading catches it: syntax, unknown functions, undefined
// variables (including those used outside the if/range/with that declared them), and wrong
// argument counts.
class Template {
 public:
  explicit Template(std::string_view source);
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Throws TemplateError("line L col C: ...") on execution errors: wrong argument types or
  // values ("error calling cpubit: argument 1 must be a whole number; got 0.5"), comparisons of
  // incompatible types, a missing struct field, first() of an empty result, and a failing query
  // (`line 2 col 9: error executing query "expr": <the callback's exception message>`).
  // `query` may be empty when the template calls no query. `library` holds the named templates
  // {{ template "x" }} calls (none: calling one is an error); an error inside one reads
  // `line L col C: in template "x": line L col C: ...`, the second position in x.
  std::string Execute(const TemplateData& data, const TemplateQuery& query,
                      const TemplateLibrary* library = nullptr) const;

  // Names of every function the template calls, for lint and for deciding whether the
  // template can be exported to Prometheus unchanged.
  std::set<std::string> FunctionNames() const;

  // Names of the named templates the template calls ({{ template "x" . }}), in any branch:
  // for checking that the library has them, and that the template needs no library.
  std::set<std::string> TemplateNames() const;

  // The PromQL strings passed literally to query (`query "x"` or `"x" | query`, not built with
  // printf), for lint: each once, in order of appearance.
  std::vector<std::string> LiteralQueries() const;

 private:
  friend struct TemplateAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Functions Prometheus 2.42 provides to alert templates (Go 1.19 builtins included, and
// those wgtune does not implement, such as humanizeTimestamp); a template whose
// FunctionNames() are all in this set, with no TemplateNames() and no $params, renders in
// Prometheus too.
bool IsPrometheusTemplateFunction(std::string_view name);

}  // namespace wgtune
