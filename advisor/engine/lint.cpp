#include "advisor/engine/lint.h"

#include <exception>

#include "advisor/engine/rule_engine.h"
#include "advisor/promql/parser.h"
#include "advisor/rules/loader.h"
#include "common/regex.h"

namespace wgtune {
namespace {

void CollectMetricNames(const promql::Expr& expr, std::vector<std::string>& names, std::vector<std::string>& patterns) {
  promql::ForEachSelector(expr, [&](const promql::VectorSelector& selector, const promql::MatrixSelector*) {
    if (!selector.metric_name.empty()) names.push_back(selector.metric_name);
    for (const promql::LabelMatcher& matcher : selector.matchers) {
      if (matcher.name != "__name__") continue;
      if (matcher.op == promql::MatchOp::kEqual) names.push_back(matcher.value);
      if (matcher.op == promql::MatchOp::kRegexMatch) patterns.push_back(matcher.value);
    }
  });
}

// Problems with the metrics `expr` reads; `where` prefixes each message.
void CheckMetrics(const promql::Expr& expr, const std::string& where, const std::set<std::string, std::less<>>& known,
                  std::vector<std::string>& problems) {
  std::vector<std::string> names, patterns;
  CollectMetricNames(expr, names, patterns);
  for (const std::string& name : names) {
    if (!known.count(name)) problems.push_back(where + "unknown metric " + name + " (not served by wgtune-exporter)");
  }
  for (const std::string& pattern : patterns) {
    bool matches = false;
    try {
      const Regex regex(pattern);
      for (const std::string& name : known) matches = matches || regex.FullMatch(name);
    } catch (const RegexError&) {
      continue;  // compiling the rule reports bad regexes
    }
    if (!matches) problems.push_back(where + "__name__=~\"" + pattern + "\" matches no metric wgtune-exporter serves");
  }
}

// The literal queries of a template: each must parse and read known metrics.
void CheckQueries(const Template& text, const std::string& where, const std::set<std::string, std::less<>>& known,
                  std::vector<std::string>& problems) {
  for (const std::string& query : text.LiteralQueries()) {
    try {
      CheckMetrics(*promql::ParseExpr(query), where + "query \"" + query + "\": ", known, problems);
    } catch (const std::exception& error) {
      problems.push_back(where + "query \"" + query + "\": " + error.what());
    }
  }
}

}  // namespace

std::vector<std::string> LintRules(const RuleSet& set, const std::set<std::string, std::less<>>& known_metrics) {
  std::vector<std::string> problems;
  // The shared templates first, once each under their own file and line; every rule compiles
  // against them, so if one is broken no rule can be checked and its error is the one to tell.
  try {
    RuleEngine library_only(RuleSet{{}, set.templates});
    for (const auto& [name, compiled] : library_only.library()) {
      const NamedTemplate& named = set.templates.at(name);
      CheckQueries(compiled, named.file + ":" + std::to_string(named.line) + ": template " + name + ": ", known_metrics,
                   problems);
    }
  } catch (const std::exception& error) {
    problems.push_back(error.what());
    return problems;
  }
  for (const Rule& rule : set.rules) {
    const std::string where = rule.file + ":" + std::to_string(rule.line) + ": rule " + rule.id + ": ";
    RuleSet single{{rule}, set.templates};
    std::unique_ptr<RuleEngine> engine;
    try {
      engine = std::make_unique<RuleEngine>(single);
    } catch (const std::exception& error) {
      problems.push_back(error.what());
      continue;
    }
    const CompiledRule& compiled = engine->rules().front();
    CheckMetrics(*compiled.tree, where + "expr: ", known_metrics, problems);
    for (const std::string& need : compiled.needs) {
      CheckMetrics(*promql::ParseExpr(need), where + "needs \"" + need + "\": ", known_metrics, problems);
    }
    for (const CompiledRule::Blind& blind : compiled.cannot_judge) {
      CheckMetrics(*promql::ParseExpr(blind.when), where + "cannot_judge \"" + blind.when + "\": ", known_metrics, problems);
      CheckQueries(blind.reason, where, known_metrics, problems);
    }
    for (const Template* text : {&compiled.summary, &compiled.description, &compiled.remediation, &compiled.verify}) {
      CheckQueries(*text, where, known_metrics, problems);
    }
  }
  return problems;
}

}  // namespace wgtune
