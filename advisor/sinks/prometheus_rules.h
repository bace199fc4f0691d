// `wgtune-advisor export prometheus-rules`: the bundled rules as a Prometheus alerting-rules
// file, for sites that would rather have Prometheus evaluate them and Alertmanager route them.
//
// One group per rule file, one alerting rule per advisor rule: alert name in Prometheus's
// CamelCase (AlertName), the expr with its params expanded, `for`, labels rule and severity
// (left out where the expr grades its own findings with a severity label), annotations
// summary, description, remediation, verify, guide and runbook_url.
//
// Texts go over as they are where Prometheus can render them: its own template functions,
// $labels and $value, with $params.x replaced by the value. Texts that need the advisor
// (`query` scoped to the finding's host, wgtune functions such as cpumask, shared named
// templates) are replaced by a pointer to `wgtune-advisor check` on that host, which prints
// the exact commands; so the file always passes `promtool check rules`.
#pragma once

#include <string>

#include "advisor/engine/rule_engine.h"

namespace wgtune {

std::string PrometheusRulesYaml(const RuleEngine& engine, const std::string& runbook_base_url);

// Whether Prometheus renders `text` (see above) once $params are substituted.
bool IsPortableTemplate(const Template& text);

// `text` with every $params.name replaced by the param as a template literal (16777216,
// "rx_.*"). Unknown names stay, for the template parser to report.
std::string SubstituteParams(const std::string& text, const std::map<std::string, RuleParam>& params);

}  // namespace wgtune
