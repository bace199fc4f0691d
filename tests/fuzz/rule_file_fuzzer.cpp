// Rule files (advisor/rules/loader.h ParseRuleFiles: TOML through toml++, then the rules'
// checks), and what `wgtune-advisor lint` does with the rules loaded (advisor/engine/lint.h):
// their PromQL, with params expanded, and their templates parsed. Covers issue 15's `for`
// ("300000000000y") and the PromQL nesting bound through the rule file.
#include "advisor/rules/loader.h"

#include "advisor/engine/lint.h"
#include "advisor/engine/metric_catalog.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  RuleSet set;
  const std::vector<RuleFileText> files = {{"fuzz.toml", std::string(fuzz::Text(data, size))}};
  if (!fuzz::Parses<RuleError>([&] { set = ParseRuleFiles(files); })) return 0;
  for (const Rule& rule : set.rules) {
    fuzz::Check(IsKebabCase(rule.id), "a rule id that is not kebab-case");
    fuzz::Check(rule.for_seconds >= 0, "a negative for");
  }
  LintRules(set, ExporterMetricNames());
  return 0;
}
