// Loading the advisor's rule files.
//
// A rule file is TOML with one [[rule]] table per rule:
//
//   [[rule]]
//   id = "softnet-backlog-drops"      # required, kebab-case, unique across all files
//   severity = "critical"             # critical | warning | info (required)
//   expr = "rate(...) > $threshold"   # required, not parsed here
//   for = "30s"                       # Prometheus duration, default "0s"
//   summary = "..."                   # required
//   description = "..."               # required
//   remediation = "..."               # required
//   verify = "..."                    # optional
//   guide = "§5.2"                    # optional
//   order = 40                        # integer, default 100
//   needs = ["wgtune_sysctl_..."]     # PromQL that must select something, or: not judged
//   [rule.params]                     # numbers or strings
//   threshold = 1
//   [[rule.cannot_judge]]             # any number: series that leave the rule blind
//   when = "wgtune_wireguard_interface_up == 0"
//   reason = "{{ $labels.interface }}: ..."   # a template over each series
//
// and optionally a table of named templates that rule texts call with {{ template "x" . }}:
//
//   [templates]
//   backlog-sysctls = '''sysctl -w net.core.netdev_max_backlog=10000'''
//
// In `expr`, `needs` and `when`, `$name` stands for the rule's param `name` (ExpandParams); `$1`,
// `${1}` stay, for label_replace.
//
// Unknown keys are errors, so that a typo never passes silently. Every error is a RuleError
// whose message starts with "file:line:" (TOML syntax errors: "file:line:column:") and names
// the rule when its id is known:
//   rules/drops.toml:12: rule softnet-backlog-drops: severity must be critical, warning or
//   info, not "high"
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/duration.h"
#include "advisor/rules/rule.h"

namespace wgtune {

class RuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads the files in order; rules keep file order. Throws RuleError on the first error,
// including an id or a template name defined twice (the message names both places).
RuleSet LoadRuleFiles(const std::vector<std::string>& paths);

// A rule file's text and the path its messages name.
struct RuleFileText {
  std::string path;
  std::string text;
};

// LoadRuleFiles without the reading: parses texts already read, with the same checks and errors.
// Pure (the fuzz target tests/fuzz/rule_file_fuzzer.cpp calls it).
RuleSet ParseRuleFiles(const std::vector<RuleFileText>& files);

// Loads every regular *.toml file of `dir`, sorted by name.
RuleSet LoadRuleDirectory(const std::string& dir);

// The rule's expr with every `$name` replaced by its param: numbers in shortest round-trip
// form, strings as they are (they go inside the expression's own quotes, as in
// `name=~"$pattern"`). Throws RuleError ("file:line: rule id: expr uses $x, which is not a
// param") for an unknown name.
std::string ExpandParams(const Rule& rule);
// The same for another of the rule's expressions (`needs`, `when`).
std::string ExpandParams(const Rule& rule, const std::string& expr);

// A param as text: 16777216, 0.8, or the string itself.
std::string ParamText(const RuleParam& param);

// Applies a site override file:
//   [params.softnet-backlog-drops]
//   threshold = 100
// Overriding an unknown rule or an unknown param is an error, and the value's type must
// match the rule's (number for number, string for string). Throws RuleError.
void ApplyParamOverrides(std::vector<Rule>& rules, const std::string& override_toml_path);

// Sets param `name` to `value` in every rule that has it (the others are left alone): how a
// command line applies one setting, such as the window, to the whole rule set.
void SetParamWhereDefined(std::vector<Rule>& rules, const std::string& name, const RuleParam& value);

// ^[a-z][a-z0-9]*(-[a-z0-9]+)*$
bool IsKebabCase(std::string_view id);

}  // namespace wgtune
