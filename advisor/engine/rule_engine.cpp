#include "advisor/engine/rule_engine.h"

#include <algorithm>
#include <exception>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "advisor/engine/metric_catalog.h"
#include "common/duration.h"
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

// The collectors that publish the metrics an expression selects: by name, or every metric a
// __name__ regex matches.
std::vector<std::string> CollectorsRead(const promql::Expr& expr) {
  std::set<std::string> collectors;
  promql::ForEachSelector(expr, [&](const promql::VectorSelector& selector, const promql::MatrixSelector*) {
    std::vector<promql::LabelMatcher> names;
    for (const promql::LabelMatcher& matcher : promql::SelectorMatchers(selector)) {
      if (matcher.name == "__name__") names.push_back(matcher);
    }
    if (names.empty()) return;
    const promql::MatcherSet wanted(names);
    for (const MetricFacts& metric : ExporterMetrics()) {
      if (!metric.collector.empty() && wanted.Matches({{"__name__", metric.name}})) collectors.insert(metric.collector);
    }
  });
  return {collectors.begin(), collectors.end()};
}

// The first metric name an expression selects by name, "" when none.
std::string FirstMetricName(const promql::Expr& expr) {
  std::string name;
  promql::ForEachSelector(expr, [&](const promql::VectorSelector& selector, const promql::MatrixSelector*) {
    if (!name.empty()) return;
    for (const promql::LabelMatcher& matcher : promql::SelectorMatchers(selector)) {
      if (matcher.name == "__name__" && matcher.op == promql::MatchOp::kEqual) name = matcher.value;
    }
  });
  return name;
}

// Passes every selection to the host and remembers the range selections that found series but
// too little of their range: no series with the two samples a rate needs, or samples spanning
// less than half the range (a 5 s look at a 10 m window counts 1 % of it, and extrapolates the
// rest).
class RangeRecorder : public promql::SeriesSource {
 public:
  explicit RangeRecorder(promql::SeriesSource& host) : host_(host) {}
  promql::Vector Select(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time) override {
    return host_.Select(matchers, time);
  }
  promql::Matrix SelectRange(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time,
                             promql::Timestamp range) override {
    promql::Matrix result = host_.SelectRange(matchers, time, range);
    size_t most = 0;             // the most samples any series has in the range
    promql::Timestamp span = 0;  // the longest time any series' samples cover
    for (const promql::Series& series : result) {
      most = std::max(most, series.points.size());
      if (!series.points.empty()) span = std::max(span, series.points.back().t - series.points.front().t);
    }
    if (!result.empty() && (most < 2 || 2 * span < range)) {
      short_.push_back({matchers.empty() ? "" : matchers.front().value, range, most, span});
    }
    return result;
  }
  struct Short {
    std::string metric;       // the selection's first matcher value: its metric name, as a rule writes it
    promql::Timestamp range;
    size_t samples;           // the most any series had
    promql::Timestamp span;   // the longest any series' samples covered
  };
  const std::vector<Short>& short_ranges() const { return short_; }

 private:
  promql::SeriesSource& host_;
  std::vector<Short> short_;
};

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
    auto parsed = [&](const std::string& expr, std::string_view what) {
      std::string expanded = ExpandParams(rule, expr);
      try {
        promql::CheckExpr(*promql::ParseExpr(expanded));
      } catch (const std::exception& error) {
        Fail(rule, what, error.what());
      }
      return expanded;
    };
    for (const std::string& need : rule.needs) compiled.needs.push_back(parsed(need, "needs"));
    for (const CannotJudge& blind : rule.cannot_judge) {
      compiled.cannot_judge.push_back({parsed(blind.when, "cannot_judge when"), CompileText(rule, "cannot_judge reason", blind.reason)});
      CheckCalls(compiled.cannot_judge.back().reason, library_, where);
    }
    compiled.collectors = CollectorsRead(*compiled.tree);
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

namespace {

std::string Article(std::string_view collector) { return "the exporter's " + std::string(collector) + " collector"; }

// Why `need` selected nothing on a host whose collectors answered.
std::string AbsenceReason(const std::string& need, const std::string& metric) {
  const MetricFacts* facts = FindMetric(metric);
  std::string reason = (metric.empty() ? need : metric) + " is absent";
  if (facts == nullptr) return reason;
  if (!facts->absent_when.empty()) return reason + ". " + facts->absent_when;
  return reason + ", though " + Article(facts->collector) + " answered (it reads " + facts->source + ")";
}

// Why a rule without findings did not judge the host, or nullopt when it did: `recorded` is what
// its expression's range selections found, `collectors` each collector's success.
std::optional<NotJudged> WhyNotJudged(const CompiledRule& compiled, const RangeRecorder& recorded,
                                      const std::map<std::string, double>& collectors, const TemplateQuery& query,
                                      std::string_view instance, const TemplateLibrary& library) {
  const Rule& rule = compiled.rule;
  auto not_judged = [&](std::string cause, std::string reason) {
    return NotJudged{rule.id, std::string(instance), std::move(cause), std::move(reason)};
  };
  for (const std::string& collector : compiled.collectors) {
    auto it = collectors.find(collector);
    if (it == collectors.end()) {
      return not_judged("collector-missing", Article(collector) + " does not run there (--no-collector." + collector +
                                                 ", or an exporter older than it), and the rule reads its metrics");
    }
    if (it->second != 1) {
      return not_judged("collector-failed", Article(collector) + " failed in its last sample (the exporter's log says "
                                                                  "why), and the rule reads its metrics");
    }
  }
  for (const std::string& need : compiled.needs) {
    if (query(need).empty()) {
      return not_judged("absent", AbsenceReason(need, FirstMetricName(*promql::ParseExpr(need))));
    }
  }
  for (const CompiledRule::Blind& blind : compiled.cannot_judge) {
    promql::Vector series = query(blind.when);
    if (series.empty()) continue;
    std::string reasons;
    for (const promql::Sample& sample : series) {
      promql::Labels labels;
      for (const auto& label : sample.labels) {
        if (label.first != "__name__") labels.push_back(label);
      }
      TemplateData data{labels, sample.value, rule.params};
      std::string reason = Render(blind.reason, data, query, library);
      if (reasons.find(reason) == std::string::npos) reasons += (reasons.empty() ? "" : "; ") + reason;
    }
    return not_judged("blind", reasons);
  }
  const auto& short_ranges = recorded.short_ranges();
  if (!short_ranges.empty()) {
    const auto& first = short_ranges.front();
    const std::string window = FormatPrometheusDuration(static_cast<double>(first.range) / 1000);
    std::string what = first.samples < 2 ? std::to_string(first.samples) + " sample of " + first.metric +
                                               " in the last " + window + ", and a rate needs two"
                                         : "the samples of " + first.metric + " cover " +
                                               FormatPrometheusDuration(static_cast<double>(first.span) / 1000) +
                                               " of the last " + window + ", less than half of it";
    return not_judged("history", what + ": the history is shorter than the rule's window (a just-started exporter "
                                        "or advisor, a check watching less than the window, or a scrape interval "
                                        "longer than it)");
  }
  return std::nullopt;
}

}  // namespace

HostEvaluation RuleEngine::Evaluate(promql::SeriesSource& host, std::string_view instance, double time_seconds) const {
  HostEvaluation result;
  TemplateQuery query = [&](const std::string& expr) { return QueryVector(expr, host, time_seconds); };
  // Which collectors answered in the exporter's last sample: asked once, for every rule.
  std::optional<std::map<std::string, double>> collectors;
  auto collector_state = [&]() -> const std::map<std::string, double>& {
    if (!collectors) {
      collectors.emplace();
      for (const promql::Sample& sample : query("wgtune_scrape_collector_success")) {
        (*collectors)[std::string(promql::LabelValue(sample.labels, "collector"))] = sample.value;
      }
    }
    return *collectors;
  };
  for (const CompiledRule& compiled : rules_) {
    const Rule& rule = compiled.rule;
    try {
      RangeRecorder recorder(host);
      promql::Value value = promql::Evaluate(*compiled.tree, recorder, time_seconds);
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
      if (findings.empty()) {
        if (std::optional<NotJudged> blind = WhyNotJudged(compiled, recorder, collector_state(), query, instance, library_)) {
          result.not_judged.push_back(std::move(*blind));
        }
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
