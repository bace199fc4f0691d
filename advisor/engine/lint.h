// `wgtune-advisor lint`: every problem of a rule set, not just the first.
//
// Loading (loader.h) already refuses TOML errors with file and line. Lint then compiles each
// rule on its own, so one broken rule does not hide the next: expression errors with rule id
// and position, template errors, calls of undefined named templates; and it checks that
// every metric a rule reads (in its expr, and in the literal queries of its texts) is one
// the exporter serves, so a renamed metric cannot leave a rule silently matching nothing.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/rules/rule.h"

namespace wgtune {

// Messages of the form "file:line: rule id: ...", in rule order; empty when the set is clean.
std::vector<std::string> LintRules(const RuleSet& set, const std::set<std::string, std::less<>>& known_metrics);

}  // namespace wgtune
