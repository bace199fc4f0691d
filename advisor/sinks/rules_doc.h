// `wgtune-advisor export rules-markdown`: the runbook of the rules (docs/rules.md), written
// from the rule files themselves so that it cannot drift from them: per rule its severity,
// guide section, hold time, params with their defaults, condition and fix. Alerts link here
// (runbook_url = docs/rules.md#<rule id>).
#pragma once

#include <string>

#include "advisor/engine/rule_engine.h"

namespace wgtune {

std::string RulesMarkdown(const RuleEngine& engine);

}  // namespace wgtune
