#include "advisor/engine/rule_engine.h"

#include <algorithm>
#include <exception>
#include <iterator>
#include <tuple>

#include "advisor/promql/parser.h"
#include "advisor/rules/loader.h"
#include "common/errors.h"
#include "common/text.h"

namespace wgtune {

promql::Labels ObjectLabels(const Finding& finding) {
  promql::Labels labels;
  for (const auto& label : finding.labels) {
    if (label.first != "instance" && label.first != "job") labels.push_back(label);
  }
  return labels;
}

bool ReportOrder(const Finding& a, const Finding& b) {
  return std::tie(a.order, a.severity, a.rule, a.instance, a.labels) <
         std::tie(b.order, b.severity, b.rule, b.instance, b.labels);
}

promql::Vector QueryVector(std::string_view expr, promql::SeriesSource& source, double time_seconds) {
  std::unique_ptr<promql::Expr> tree = promql::ParseExpr(expr);
  promql::Value value = promql::Evaluate(*tree, source, time_seconds);
  switch (value.type) {
    case promql::ValueType::kVector: return std::move(value.vector);
    case promql::ValueType::kScalar: return {promql::Sample{{}, value.scalar}};
    case promql::ValueType::kString:
    case promql::ValueType::kMatrix: break;
  }
  throw promql::EvalError("position 0: the result is a " + std::string(promql::ValueTypeName(value.type)) +
                          ", not a vector or scalar");
}

namespace {

[[noreturn]] void Fail(const Rule& rule, std::string_view what, const std::string& message) {
  throw RuleError(rule.file + ":" + std::to_string(rule.line) + ": rule " + rule.id + ": " + std::string(what) + ": " +
                  message);
}

Template CompileText(const Rule& rule, std::string_view field, const std::string& text) {
  try {
    return Template(text);
  } catch (const TemplateError& error) {
    Fail(rule, field, error.what());
  }
}

// Every {{ template "x" }} a text calls must exist, also when the branch that calls it
// never runs in a test.
void CheckCalls(const Template& text, const TemplateLibrary& library, const std::string& where) {
  for (const std::string& name : text.TemplateNames()) {
    if (!library.count(name)) throw RuleError(where + ": calls template \"" + name + "\", which no rule file defines");
  }
}

}  // namespace

RuleEngine::RuleEngine(const RuleSet& set) {
  for (const auto& [name, named] : set.templates) {
    try {
      library_.emplace(name, Template(named.text));
    } catch (const TemplateError& error) {
      throw RuleError(named.file + ":" + std::to_string(named.line) + ": template " + name + ": " + error.what());
    }
  }
  for (const auto& [name, named] : set.templates) {
    CheckCalls(library_.at(name), library_, named.file + ":" + std::to_string(named.line) + ": template " + name);
  }
  for (const Rule& rule : set.rules) {
    CompiledRule compiled{rule,
                          ExpandParams(rule),
                          nullptr,
                          CompileText(rule, "summary", rule.summary),
                          CompileText(rule, "description", rule.description),
                          CompileText(rule, "remediation", rule.remediation),
                          CompileText(rule, "verify", rule.verify)};
    try {
      compiled.tree = promql::ParseExpr(compiled.expr);
    } catch (const ParseError& error) {
      Fail(rule, "expr", error.what());
    }
    const std::string where = rule.file + ":" + std::to_string(rule.line) + ": rule " + rule.id;
    for (const Template* text : {&compiled.summary, &compiled.description, &compiled.remediation, &compiled.verify}) {
      CheckCalls(*text, library_, where);
    }
    rules_.push_back(std::move(compiled));
  }
}

double RuleEngine::LongestRange() const {
  double longest = 0;
  for (const CompiledRule& compiled : rules_) {
    promql::ForEachSelector(*compiled.tree, [&](const promql::VectorSelector&, const promql::MatrixSelector* range) {
      if (range != nullptr) longest = std::max(longest, range->range_seconds);
    });
  }
  return longest;
}

std::function<bool(const promql::Labels&)> RuleEngine::RangeSeriesFilter() const {
  std::vector<promql::MatcherSet> names;
  bool every_series = false;
  for (const CompiledRule& compiled : rules_) {
    promql::ForEachSelector(*compiled.tree, [&](const promql::VectorSelector& selector, const promql::MatrixSelector* range) {
      if (range == nullptr) return;
      std::vector<promql::LabelMatcher> name_matchers;
      for (const promql::LabelMatcher& matcher : promql::SelectorMatchers(selector)) {
        if (matcher.name == "__name__") name_matchers.push_back(matcher);
      }
      if (name_matchers.empty()) every_series = true;
      names.emplace_back(name_matchers);
    });
  }
  if (every_series) return nullptr;
  return [names = std::move(names)](const promql::Labels& labels) {
    return std::any_of(names.begin(), names.end(), [&](const promql::MatcherSet& set) { return set.Matches(labels); });
  };
}

namespace {

// Where a finding's severity comes from: the rule's, unless the series carries a `severity`
// label (a rule that grades its findings, as wireguard-peer-relayed does).
Severity SeverityOf(const Rule& rule, const promql::Labels& labels) {
  std::string_view label = promql::LabelValue(labels, "severity");
  if (label == "critical") return Severity::kCritical;
  if (label == "warning") return Severity::kWarning;
  if (label == "info") return Severity::kInfo;
  return rule.severity;
}

// Rendered texts lose the blank lines and indentation that template actions leave at their
// edges, so that TOML can lay templates out for reading.
std::string Render(const Template& text, const TemplateData& data, const TemplateQuery& query,
                   const TemplateLibrary& library) {
  return std::string(Trim(text.Execute(data, query, &library)));
}

}  // namespace

HostEvaluation RuleEngine::Evaluate(promql::SeriesSource& host, std::string_view instance, double time_seconds) const {
  HostEvaluation result;
  TemplateQuery query = [&](const std::string& expr) { return QueryVector(expr, host, time_seconds); };
  for (const CompiledRule& compiled : rules_) {
    const Rule& rule = compiled.rule;
    try {
      promql::Value value = promql::Evaluate(*compiled.tree, host, time_seconds);
      if (value.type != promql::ValueType::kVector) {
        throw promql::EvalError("position 0: a rule's expr must be an instant vector, not a " +
                                std::string(promql::ValueTypeName(value.type)));
      }
      // Rendered aside and kept only if every series renders: a failure costs the whole rule,
      // never leaves part of its findings behind.
      std::vector<Finding> findings;
      for (const promql::Sample& sample : value.vector) {
        Finding finding;
        finding.rule = rule.id;
        finding.order = rule.order;
        finding.guide = rule.guide;
        finding.instance = std::string(instance);
        finding.severity = SeverityOf(rule, sample.labels);
        for (const auto& label : sample.labels) {
          if (label.first != "__name__" && label.first != "severity") finding.labels.push_back(label);
        }
        finding.value = sample.value;
        TemplateData data{finding.labels, finding.value, rule.params};
        finding.summary = Render(compiled.summary, data, query, library_);
        finding.description = Render(compiled.description, data, query, library_);
        finding.remediation = Render(compiled.remediation, data, query, library_);
        finding.verify = Render(compiled.verify, data, query, library_);
        findings.push_back(std::move(finding));
      }
      std::move(findings.begin(), findings.end(), std::back_inserter(result.findings));
    } catch (const std::exception& error) {
      result.failures.push_back({rule.id, std::string(instance), error.what()});
    }
  }
  std::sort(result.findings.begin(), result.findings.end(), ReportOrder);
  return result;
}

}  // namespace wgtune
