// One advisor rule, as loaded from a rule file ([[rule]] table; see loader.h).
//
// A rule is data: a PromQL expression that selects the offending series, how long it must
// hold, the texts a finding carries (the rule catalog, diagnoses.md: "What every finding
// carries") and the thresholds (`params`) that a site file may override.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wgtune {

enum class Severity { kCritical, kWarning, kInfo };

// "critical", "warning" or "info".
inline std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kCritical: return "critical";
    case Severity::kWarning: return "warning";
    case Severity::kInfo: return "info";
  }
  return "unknown";
}

// A threshold: a number (TOML integer or float, kept as double) or a string.
using RuleParam = std::variant<double, std::string>;

// A state of a host in which a rule cannot tell whether its fault is there: `when` (PromQL)
// selects the series that make it so, `reason` (a template, rendered for each with its $labels)
// says why, for the operator.
struct CannotJudge {
  std::string when;
  std::string reason;
};

struct Rule {
  std::string id;                    // kebab-case, unique across all loaded files
  Severity severity = Severity::kWarning;
  std::string expr;                  // PromQL, not parsed by the loader
  double for_seconds = 0;            // `for`, a Prometheus duration ("5m") in seconds
  std::string summary;
  std::string description;
  std::string remediation;
  std::string verify;                // optional
  std::string guide;                 // optional: guide section, e.g. "§5.2"
  int64_t order = 100;               // expected-gain rank: findings sort by it, ascending
  std::map<std::string, RuleParam> params;
  // PromQL expressions that must each select something on a host for the rule to judge it (a
  // sysctl that exists only in the initial network namespace, say); "absent" is then reported
  // as not judged, never taken for "fine".
  std::vector<std::string> needs;
  std::vector<CannotJudge> cannot_judge;

  // Where the rule was defined, for error messages ("rules/drops.toml", line of [[rule]]).
  std::string file;
  int64_t line = 0;
};

// A named template of a [templates] table, called from rule texts as {{ template "name" . }}.
struct NamedTemplate {
  std::string name;
  std::string text;
  std::string file;
  int64_t line = 0;
};

// Everything the rule files of one directory define.
struct RuleSet {
  std::vector<Rule> rules;
  std::map<std::string, NamedTemplate> templates;  // by name
};

}  // namespace wgtune
