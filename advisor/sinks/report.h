// The reports `wgtune-advisor check` prints: text for a terminal, JSON for programs,
// Markdown for tickets and pull requests.
//
// All three carry the same content per host: the findings in expected-gain order, each with
// its evidence, the commands for this host, how to make them persistent (§8), how to verify
// (§5.3) and the guide section; a host without warning or critical findings is reported as
// tuned, with the next steps of §10 rather than silence.
#pragma once

#include <string>
#include <vector>

#include "advisor/engine/finding.h"
#include "advisor/engine/rule_engine.h"
#include "advisor/sinks/persistence.h"

namespace wgtune {

// One host's part of a check.
struct HostReport {
  std::string instance;
  std::vector<Finding> findings;      // in ReportOrder
  std::vector<RuleFailure> failures;  // rules that could not be evaluated on this host
  std::string error;                  // the host could not be read at all (scrape failed)
  std::vector<NotJudged> not_judged;  // rules that could not tell, and why
};

// Whether a host has nothing to fix: it was read, every rule judged it, and it has no warning
// or critical finding. A rule that could not judge a host keeps it from being called tuned.
bool IsTuned(const HostReport& host);

std::string TextReport(const std::vector<HostReport>& hosts);
std::string MarkdownReport(const std::vector<HostReport>& hosts);
// {"findings":[{"rule","severity","instance","labels":{…},"value","summary","description",
//  "remediation","verify","persist":[…],"guide"}…], "hosts":[{"instance","tuned","error",
//  "failures":[{"rule","message"}], "not_judged":[{"rule","cause","reason"}]}]}; labels are the
//  object's (without instance and job).
std::string JsonReport(const std::vector<HostReport>& hosts);

}  // namespace wgtune
