// Evaluates the loaded rules over one host's series and renders their findings.
//
// Construction compiles everything once: each rule's expr (params expanded, then parsed) and
// its texts (Go templates, with the rule files' [templates] as the library that
// {{ template "name" . }} calls). Any error there is a RuleError naming file, line and rule,
// so a broken rule file is refused before anything runs.
//
// Evaluation is per host: the source passed in must hold (or scope to) that host's series
// only, so that a rule's expr and its templates' `query` calls see one machine, whatever
// the source (a direct scrape, or a Prometheus server with a fleet behind it). A rule that
// fails at run time (a type error, a query a template sends failing) costs that rule only:
// its error is reported and the other rules go on.
//
// A rule without findings on a host has either judged it fine or could not judge it; the
// engine tells which, in this order: a collector whose metrics the expression reads (by the
// metric catalog) failed or does not run on that exporter; a series of the rule's `needs` is
// absent (said with the catalog's note on when that metric is absent); one of its
// `cannot_judge` conditions holds; or a range of its expression found series but none with
// the two samples a rate needs, or samples covering less than half the range (the history is
// shorter than the window).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/engine/finding.h"
#include "advisor/promql/ast.h"
#include "advisor/promql/eval.h"
#include "advisor/rules/rule.h"
#include "advisor/rules/template.h"

namespace wgtune {

struct CompiledRule {
  Rule rule;
  std::string expr;                     // with params expanded
  std::unique_ptr<promql::Expr> tree;
  Template summary;
  Template description;
  Template remediation;
  Template verify;
  std::vector<std::string> needs;       // with params expanded, each checked to parse
  struct Blind {
    std::string when;                   // with params expanded
    Template reason;
  };
  std::vector<Blind> cannot_judge;
  std::vector<std::string> collectors;  // the exporter's collectors whose metrics expr reads
};

struct RuleFailure {
  std::string rule;
  std::string instance;
  std::string message;
};

struct HostEvaluation {
  std::vector<Finding> findings;  // in ReportOrder
  std::vector<RuleFailure> failures;
  std::vector<NotJudged> not_judged;  // in rule order; only rules without findings
};

class RuleEngine {
 public:
  // Throws RuleError on the first rule whose expr or texts do not compile, and on a
  // {{ template "x" }} call of a template no file defines.
  explicit RuleEngine(const RuleSet& rules);

  // Evaluates every rule at `time_seconds` over `host`, whose series belong to `instance`.
  HostEvaluation Evaluate(promql::SeriesSource& host, std::string_view instance, double time_seconds) const;

  const std::vector<CompiledRule>& rules() const { return rules_; }
  const TemplateLibrary& library() const { return library_; }

  // The longest range any rule's expression selects (x[5m]), in seconds; 0 when none does.
  double LongestRange() const;
  // Whether a series can be selected by a range selector of some rule (by its metric name
  // matchers): what a history of scrapes must keep. Null when every series can.
  std::function<bool(const promql::Labels&)> RangeSeriesFilter() const;

 private:
  TemplateLibrary library_;
  std::vector<CompiledRule> rules_;
};

// Evaluates a PromQL expression text at `time_seconds`; the result as a vector (a scalar
// becomes one series without labels, as the Prometheus API's query endpoint would not, but
// templates and `query` want a list). Throws ParseError or promql::EvalError.
promql::Vector QueryVector(std::string_view expr, promql::SeriesSource& source, double time_seconds);

}  // namespace wgtune
