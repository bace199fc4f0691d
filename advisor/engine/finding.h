// A finding: one series of a rule's expression at one instant, with its texts rendered for
// the host it is about (diagnoses.md, "What every finding carries").
#pragma once

#include <cstdint>
#include <string>

#include "advisor/promql/value.h"
#include "advisor/rules/rule.h"

namespace wgtune {

struct Finding {
  std::string rule;          // the rule id, the public contract
  Severity severity = Severity::kWarning;
  int64_t order = 100;       // the rule's expected-gain rank
  std::string instance;      // the host, as Prometheus names the target (host:port)
  promql::Labels labels;     // the series' labels without __name__ (instance and job included)
  double value = 0;          // the series' value: the evidence's headline number
  std::string summary;
  std::string description;
  std::string remediation;   // commands, one per line; lines starting with # are notes
  std::string verify;
  std::string guide;
};

// A rule that could not judge a host, and why. A host with one is never called tuned: what the
// advisor could not see, it says, rather than taking silence for health.
struct NotJudged {
  std::string rule;
  std::string instance;
  // What stood in the way, for machines: "collector-failed" (a collector the rule reads failed
  // in the exporter's last sample), "collector-missing" (the exporter does not run it),
  // "absent" (a series the rule needs is not there), "blind" (one of the rule's cannot_judge
  // conditions holds), "history" (too few samples in the rule's window for a rate, or samples
  // covering less than half of it).
  std::string cause;
  std::string reason;  // for the operator, one or two sentences
};

// The labels that name the object of a finding: its labels without instance and job.
promql::Labels ObjectLabels(const Finding& finding);

// Findings in report order: by expected gain (rule order), then severity, instance and labels.
bool ReportOrder(const Finding& a, const Finding& b);

}  // namespace wgtune
