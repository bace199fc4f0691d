#include "advisor/sinks/report.h"

#include <nlohmann/json.hpp>

#include <map>
#include <sstream>

#include "common/text.h"

namespace wgtune {
namespace {

// The §10 text for a host with nothing to fix.
constexpr std::string_view kTunedText =
    "Nothing to fix: no drops climbing, no core doing the work of all, settings as the guide recommends. "
    "If throughput still falls short, tuning has reached its limit (§10); the next gains are architectural: "
    "more peers to break per-peer crypto serialization, a larger underlay MTU (jumbo frames where the "
    "network has them), faster CPUs or more vCPUs, or terminating tunnels on dedicated hosts.";

std::string Plural(size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

// "3 findings (1 critical, 2 warning)"
std::string CountLine(const std::vector<Finding>& findings) {
  std::map<Severity, size_t> by_severity;
  for (const Finding& finding : findings) ++by_severity[finding.severity];
  std::string line = Plural(findings.size(), "finding");
  if (findings.empty()) return line;
  std::string parts;
  for (const auto& [severity, count] : by_severity) {
    if (!parts.empty()) parts += ", ";
    parts += std::to_string(count) + " " + std::string(SeverityName(severity));
  }
  return line + " (" + parts + ")";
}

// Continuation lines of a multi-line field, aligned under its first line.
void AppendField(std::string& out, std::string_view name, const std::string& text) {
  if (Trim(text).empty()) return;
  std::string label = "  " + std::string(name) + ":";
  label.resize(12, ' ');
  bool first = true;
  ForEachLine(text, [&](std::string_view line) {
    out += first ? label : std::string(12, ' ');
    out += line;
    out += '\n';
    first = false;
  });
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

}  // namespace

bool IsTuned(const HostReport& host) {
  if (!host.error.empty() || !host.not_judged.empty()) return false;
  for (const Finding& finding : host.findings) {
    if (finding.severity != Severity::kInfo) return false;
  }
  return true;
}

std::string TextReport(const std::vector<HostReport>& hosts) {
  std::string out;
  for (const HostReport& host : hosts) {
    if (!out.empty()) out += '\n';
    if (!host.error.empty()) {
      out += "wgtune-advisor: " + host.instance + " — not checked: " + host.error + "\n";
      continue;
    }
    out += "wgtune-advisor: " + host.instance + " — " + CountLine(host.findings);
    if (!host.not_judged.empty()) out += ", " + Plural(host.not_judged.size(), "rule") + " not judged";
    out += IsTuned(host) ? ": tuned\n" : host.findings.empty() ? "\n" : ", ordered by expected gain\n";
    if (IsTuned(host)) {
      out += '\n';
      AppendField(out, "tuned", std::string(kTunedText));
    }
    for (const Finding& finding : host.findings) {
      out += "\n[" + std::string(SeverityName(finding.severity)) + "] " + finding.rule + " — " + finding.summary + "\n";
      AppendField(out, "evidence", finding.description);
      AppendField(out, "fix", finding.remediation);
      AppendField(out, "persist", Join(PersistHints(finding.remediation)));
      AppendField(out, "verify", finding.verify);
      AppendField(out, "guide", finding.guide);
    }
    if (!host.not_judged.empty()) {
      out += "\nNot judged (what the advisor could not see on this host; not called tuned while any remain):\n";
      for (const NotJudged& blind : host.not_judged) out += "  " + blind.rule + " — " + blind.reason + "\n";
    }
    for (const RuleFailure& failure : host.failures) {
      out += "\n[error] " + failure.rule + " could not be evaluated: " + failure.message + "\n";
    }
  }
  return out;
}

std::string MarkdownReport(const std::vector<HostReport>& hosts) {
  std::string out;
  for (const HostReport& host : hosts) {
    if (!out.empty()) out += '\n';
    out += "## " + host.instance + "\n\n";
    if (!host.error.empty()) {
      out += "Not checked: " + host.error + "\n";
      continue;
    }
    out += CountLine(host.findings) + (IsTuned(host) ? ": **tuned**.\n\n" + std::string(kTunedText) + "\n" : ", ordered by expected gain.\n");
    for (const Finding& finding : host.findings) {
      out += "\n### " + std::string(SeverityName(finding.severity)) + ": `" + finding.rule + "` — " + finding.summary + "\n\n";
      out += finding.description + "\n\n";
      if (!finding.remediation.empty()) out += "Fix:\n\n```sh\n" + finding.remediation + "\n```\n\n";
      std::vector<std::string> persist = PersistHints(finding.remediation);
      if (!persist.empty()) out += "Persist:\n\n```sh\n" + Join(persist) + "```\n\n";
      if (!finding.verify.empty()) out += "Verify: " + finding.verify + "\n\n";
      if (!finding.guide.empty()) out += "Guide: " + finding.guide + "\n";
    }
    if (!host.not_judged.empty()) {
      out += "\n### Not judged\n\nWhat the advisor could not see on this host (not called tuned while any remain):\n\n";
      for (const NotJudged& blind : host.not_judged) out += "- `" + blind.rule + "`: " + blind.reason + "\n";
    }
    for (const RuleFailure& failure : host.failures) {
      out += "\n> **error**: `" + failure.rule + "` could not be evaluated: " + failure.message + "\n";
    }
  }
  return out;
}

std::string JsonReport(const std::vector<HostReport>& hosts) {
  nlohmann::json findings = nlohmann::json::array();
  nlohmann::json host_list = nlohmann::json::array();
  for (const HostReport& host : hosts) {
    nlohmann::json failures = nlohmann::json::array();
    for (const RuleFailure& failure : host.failures) failures.push_back({{"rule", failure.rule}, {"message", failure.message}});
    nlohmann::json not_judged = nlohmann::json::array();
    for (const NotJudged& blind : host.not_judged) {
      not_judged.push_back({{"rule", blind.rule}, {"cause", blind.cause}, {"reason", blind.reason}});
    }
    host_list.push_back({{"instance", host.instance},
                         {"tuned", IsTuned(host)},
                         {"error", host.error},
                         {"failures", failures},
                         {"not_judged", not_judged}});
    for (const Finding& finding : host.findings) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [name, value] : ObjectLabels(finding)) labels[name] = value;
      findings.push_back({{"rule", finding.rule},
                          {"severity", SeverityName(finding.severity)},
                          {"instance", finding.instance},
                          {"labels", labels},
                          {"value", finding.value},
                          {"summary", finding.summary},
                          {"description", finding.description},
                          {"remediation", finding.remediation},
                          {"verify", finding.verify},
                          {"persist", PersistHints(finding.remediation)},
                          {"guide", finding.guide}});
    }
  }
  nlohmann::json report = {{"findings", findings}, {"hosts", host_list}};
  return report.dump(2) + "\n";
}

}  // namespace wgtune
