// The bundled rules (rules/*.toml) over metrics fixtures: every rule of the catalog
// (diagnoses.md) must fire where its fault is and stay quiet where it is not, and its
// remediation must carry this host's numbers.
//
// Fixtures are overlays on tests/fixtures/advisor/tuned.prom, the guide's host after tuning
// (§10; make_tuned_host.py derives it from the exporter's golden output):
//   fire/<rule-id>[.<variant>].prom    the rule must fire; comments state what it must say:
//     # expect-labels: device="eth0",cpu="1"   a finding of the rule has these labels
//     # expect-value: 0.97                      ... and this value
//     # expect-severity: info
//     # expect-summary|description|remediation: <text>   ... contained in that text
//     # expect-no-remediation: <text>           ... and not this
//   quiet/<rule-id>[.<variant>].prom   the rule must not fire (a near miss).
//   not_judged/<rule-id>[.<variant>].prom   the rule cannot judge the host, and says why:
//     # expect-cause: absent                    its NotJudged cause
//     # expect-reason: <text>                   ... and a reason containing this
// A sample in an overlay replaces the series with the same name and labels, or adds one;
// "# remove: <series>" removes one, "# remove-metrics: <regex>" every series of the metrics
// it matches; "# scrapes: N" makes the history N scrapes long (the last N of it).
//
// The rules count counters over a window, so each host is a history: scrapes every kStep over
// the longest window a rule uses (kHistory), the fixture text being the first, every counter
// X_total climbing from there at the rate its X_per_second of the same labels says, as the
// exporter computed it (0 without one), or at what a "# rate: <series> <per second>" line says.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "advisor/engine/rule_engine.h"
#include "advisor/rules/loader.h"
#include "advisor/sinks/report.h"
#include "advisor/sources/scrape_history.h"
#include "advisor/sources/target.h"
#include "common/exposition.h"
#include "common/regex.h"
#include "common/text.h"

namespace wgtune {
namespace {

namespace fs = std::filesystem;

const std::string kSource = WGTUNE_SOURCE_DIR;
const std::string kFixtures = kSource + "/tests/fixtures/advisor/";
constexpr std::string_view kInstance = "10.0.0.4:10050";
constexpr double kEvaluationTime = 1764050100;
constexpr double kStep = 15;      // seconds between two scrapes of a fixture host
constexpr double kHistory = 600;  // the longest window of a bundled rule (churn_window)

// diagnoses.md: the ids are a public contract.
const std::vector<std::string> kCatalog = {
    "nic-ring-overflow",        "softnet-backlog-drops",   "softnet-budget-squeeze",     "udp-rcvbuf-errors",
    "qdisc-tx-drops",           "conntrack-insert-failed", "irq-single-core",            "irqbalance-collapse",
    "nic-queues-below-cpus",    "softirq-hot-core",        "rps-disabled",               "rfs-disabled",
    "rss-udp-ports-not-hashed", "rss-indirection-uneven",  "wireguard-crypto-wall",      "backlog-too-small-for-rps",
    "tcp-buffers-small",        "tcp-buffers-oversized",   "congestion-control-not-bbr", "wireguard-mtu-low",
    "wireguard-mtu-too-high",   "wireguard-userspace",     "wireguard-handshake-stale",  "wireguard-handshake-churn",
    "wireguard-peer-relayed",   "udp-gro-forwarding-off",
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const RuleEngine& Engine() {
  static const RuleEngine engine(LoadRuleDirectory(kSource + "/rules"));
  return engine;
}

promql::Vector Samples(const std::string& text) {
  return SamplesFromExposition(ParseExposition(text), "wgtune", kInstance);
}

// The tuned host with the overlay applied.
promql::Vector Overlay(const std::string& overlay_text) {
  promql::Vector host = Samples(ReadText(kFixtures + "tuned.prom"));
  ForEachLine(overlay_text, [&](std::string_view line) {
    if (!StartsWith(line, "# remove: ")) return;
    promql::Vector removed = Samples(std::string(line.substr(10)) + " 0\n");
    auto before = host.size();
    std::erase_if(host, [&](const promql::Sample& sample) { return sample.labels == removed.at(0).labels; });
    EXPECT_EQ(host.size(), before - 1) << "nothing to remove: " << line;
  });
  ForEachLine(overlay_text, [&](std::string_view line) {
    if (!StartsWith(line, "# remove-metrics: ")) return;
    const Regex metrics(line.substr(18));
    auto before = host.size();
    std::erase_if(host, [&](const promql::Sample& s) { return metrics.FullMatch(promql::LabelValue(s.labels, "__name__")); });
    EXPECT_LT(host.size(), before) << "nothing to remove: " << line;
  });
  for (promql::Sample& sample : Samples(overlay_text)) {
    auto same = std::find_if(host.begin(), host.end(), [&](const promql::Sample& s) { return s.labels == sample.labels; });
    if (same != host.end()) {
      same->value = sample.value;
    } else {
      host.push_back(std::move(sample));
    }
  }
  return host;
}

// The "# rate: <series> <per second>" lines of an overlay.
std::map<promql::Labels, double> ExplicitRates(const std::string& overlay_text) {
  std::map<promql::Labels, double> rates;
  ForEachLine(overlay_text, [&](std::string_view line) {
    if (!StartsWith(line, "# rate: ")) return;
    promql::Vector parsed = Samples(std::string(line.substr(8)) + "\n");
    EXPECT_EQ(parsed.size(), 1u) << line;
    if (!parsed.empty()) rates[parsed[0].labels] = parsed[0].value;
  });
  return rates;
}

// The fixture as a history of scrapes every kStep over kHistory, ending at kEvaluationTime, or
// only its last `scrapes` scrapes.
ScrapeHistory HostHistory(const promql::Vector& first, const std::map<promql::Labels, double>& explicit_rates = {},
                          size_t scrapes = 0) {
  std::map<promql::Labels, double> gauges;
  for (const promql::Sample& sample : first) gauges[sample.labels] = sample.value;
  std::vector<double> rates(first.size(), 0);
  for (size_t i = 0; i < first.size(); ++i) {
    const std::string name(promql::LabelValue(first[i].labels, "__name__"));
    if (!EndsWith(name, "_total")) continue;
    if (auto it = explicit_rates.find(first[i].labels); it != explicit_rates.end()) {
      rates[i] = it->second;
      continue;
    }
    promql::Labels gauge = first[i].labels;
    for (auto& label : gauge) {
      if (label.first == "__name__") label.second = name.substr(0, name.size() - 6) + "_per_second";
    }
    if (auto it = gauges.find(gauge); it != gauges.end()) rates[i] = it->second;
  }
  ScrapeHistory history(promql::ToTimestamp(kHistory + kStep));
  const double skipped = scrapes == 0 ? 0 : kHistory - kStep * static_cast<double>(scrapes - 1);
  for (double elapsed = skipped; elapsed <= kHistory; elapsed += kStep) {
    promql::Vector scrape = first;
    for (size_t i = 0; i < scrape.size(); ++i) scrape[i].value += rates[i] * elapsed;
    history.Append(promql::ToTimestamp(kEvaluationTime - kHistory + elapsed), std::move(scrape));
  }
  return history;
}

HostEvaluation Evaluate(const promql::Vector& samples, const std::map<promql::Labels, double>& rates = {},
                        const RuleEngine& engine = Engine()) {
  ScrapeHistory history = HostHistory(samples, rates);
  return engine.Evaluate(history, kInstance, kEvaluationTime);
}

HostEvaluation EvaluateOverlay(const std::string& overlay_text) {
  size_t scrapes = 0;
  ForEachLine(overlay_text, [&](std::string_view line) {
    if (StartsWith(line, "# scrapes: ")) scrapes = *ParseUint(line.substr(11));
  });
  ScrapeHistory history = HostHistory(Overlay(overlay_text), ExplicitRates(overlay_text), scrapes);
  return Engine().Evaluate(history, kInstance, kEvaluationTime);
}

std::vector<const Finding*> FindingsOf(const HostEvaluation& result, std::string_view rule) {
  std::vector<const Finding*> found;
  for (const Finding& finding : result.findings) {
    if (finding.rule == rule) found.push_back(&finding);
  }
  return found;
}

std::string Describe(const HostEvaluation& result) {
  std::string out;
  for (const Finding& finding : result.findings) out += "  " + finding.rule + ": " + finding.summary + "\n";
  for (const RuleFailure& failure : result.failures) out += "  FAILED " + failure.rule + ": " + failure.message + "\n";
  return out.empty() ? "  (none)\n" : out;
}

// Fixture files of a directory: rule id → paths.
std::multimap<std::string, std::string> FixturesIn(const std::string& dir) {
  std::multimap<std::string, std::string> fixtures;
  for (const auto& entry : fs::directory_iterator(kFixtures + dir)) {
    std::string name = entry.path().filename().string();
    fixtures.emplace(name.substr(0, name.find('.')), entry.path().string());
  }
  return fixtures;
}

bool HasLabels(const Finding& finding, const std::string& wanted) {
  promql::Vector parsed = Samples("x{" + wanted + "} 0\n");
  for (const auto& [name, value] : parsed.at(0).labels) {
    if (name == "__name__" || name == "job" || name == "instance") continue;
    if (promql::LabelValue(finding.labels, name) != value) return false;
  }
  return true;
}

TEST(AdvisorRulesTest, EveryCatalogRuleIsBundledWithFixtures) {
  std::set<std::string> bundled;
  for (const CompiledRule& compiled : Engine().rules()) bundled.insert(compiled.rule.id);
  std::multimap<std::string, std::string> fire = FixturesIn("fire"), quiet = FixturesIn("quiet");
  for (const std::string& id : kCatalog) {
    EXPECT_TRUE(bundled.count(id)) << id << " is in the catalog but not in rules/";
    EXPECT_TRUE(fire.count(id)) << id << " has no fire fixture";
    EXPECT_TRUE(quiet.count(id)) << id << " has no quiet fixture";
  }
  EXPECT_EQ(bundled.size(), kCatalog.size()) << "rules/ has rules the catalog does not name";
  for (const auto& [id, path] : fire) EXPECT_TRUE(bundled.count(id)) << path << " names no rule";
  for (const auto& [id, path] : quiet) EXPECT_TRUE(bundled.count(id)) << path << " names no rule";
}

TEST(AdvisorRulesTest, TunedHostHasNothingToFix) {
  HostEvaluation result = Evaluate(Samples(ReadText(kFixtures + "tuned.prom")));
  EXPECT_TRUE(result.failures.empty()) << Describe(result);
  EXPECT_TRUE(result.findings.empty()) << "the tuned host of §10 should have no finding at all:\n" << Describe(result);
  HostReport report{std::string(kInstance), result.findings, result.failures, ""};
  EXPECT_TRUE(IsTuned(report));
  EXPECT_NE(TextReport({report}).find("tuning has reached its limit (§10)"), std::string::npos);
}

TEST(AdvisorRulesTest, FireFixtures) {
  for (const auto& fixture : FixturesIn("fire")) {
    const auto& path = fixture.second;
    const auto& rule = fixture.first;  // not a structured binding: clang 14 cannot capture one in a lambda
    SCOPED_TRACE(path);
    const std::string overlay = ReadText(path);
    HostEvaluation result = EvaluateOverlay(overlay);
    EXPECT_TRUE(result.failures.empty()) << Describe(result);
    std::vector<const Finding*> found = FindingsOf(result, rule);
    if (found.empty()) {
      ADD_FAILURE() << rule << " did not fire; findings:\n" << Describe(result);
      continue;  // the next fixture still runs
    }
    // The finding the expectations are about: the one with the expected labels.
    const Finding* finding = found.front();
    ForEachLine(overlay, [&](std::string_view line) {
      if (StartsWith(line, "# expect-labels: ")) {
        const std::string wanted(line.substr(17));
        auto match = std::find_if(found.begin(), found.end(), [&](const Finding* f) { return HasLabels(*f, wanted); });
        ASSERT_NE(match, found.end()) << "no " << rule << " finding with " << wanted << "; findings:\n" << Describe(result);
        finding = *match;
      }
    });
    ForEachLine(overlay, [&](std::string_view line) {
      auto expect = [&](std::string_view key, const std::string& text, bool present) {
        if (!StartsWith(line, key)) return;
        const std::string wanted(line.substr(key.size()));
        EXPECT_EQ(text.find(wanted) != std::string::npos, present)
            << (present ? "missing " : "unwanted ") << "\"" << wanted << "\" in:\n" << text;
      };
      expect("# expect-summary: ", finding->summary, true);
      expect("# expect-description: ", finding->description, true);
      expect("# expect-remediation: ", finding->remediation, true);
      expect("# expect-no-remediation: ", finding->remediation, false);
      if (StartsWith(line, "# expect-value: ")) {
        // Values computed from counters over a window carry rounding: equal to 1e-9 relative.
        const double want = *ParseDouble(line.substr(16));
        EXPECT_NEAR(finding->value, want, std::abs(want) * 1e-9) << line;
      }
      if (StartsWith(line, "# expect-severity: ")) {
        EXPECT_EQ(SeverityName(finding->severity), line.substr(19));
      }
    });
    // Every text rendered: no template left unexpanded, no Go "<no value>".
    for (const std::string* text : {&finding->summary, &finding->description, &finding->remediation, &finding->verify}) {
      EXPECT_EQ(text->find("{{"), std::string::npos) << *text;
      EXPECT_EQ(text->find("<no value>"), std::string::npos) << *text;
      EXPECT_FALSE(text->empty()) << rule;
    }
  }
}

TEST(AdvisorRulesTest, QuietFixtures) {
  for (const auto& [rule, path] : FixturesIn("quiet")) {
    SCOPED_TRACE(path);
    HostEvaluation result = EvaluateOverlay(ReadText(path));
    EXPECT_TRUE(result.failures.empty()) << Describe(result);
    EXPECT_TRUE(FindingsOf(result, rule).empty()) << rule << " fired on its near miss:\n" << Describe(result);
  }
}

TEST(AdvisorRulesTest, NotJudgedFixtures) {
  std::multimap<std::string, std::string> fixtures = FixturesIn("not_judged");
  EXPECT_GE(fixtures.size(), 7u);
  for (const auto& fixture : fixtures) {
    const auto& path = fixture.second;
    const auto& rule = fixture.first;  // not a structured binding: clang 14 cannot capture one in a lambda
    SCOPED_TRACE(path);
    const std::string overlay = ReadText(path);
    HostEvaluation result = EvaluateOverlay(overlay);
    EXPECT_TRUE(result.failures.empty()) << Describe(result);
    EXPECT_TRUE(FindingsOf(result, rule).empty()) << rule << " fired where it cannot judge:\n" << Describe(result);
    auto blind = std::find_if(result.not_judged.begin(), result.not_judged.end(),
                              [&](const NotJudged& n) { return n.rule == rule; });
    if (blind == result.not_judged.end()) {
      ADD_FAILURE() << rule << " is not reported as not judged";
      continue;
    }
    ForEachLine(overlay, [&](std::string_view line) {
      if (StartsWith(line, "# expect-cause: ")) {
        EXPECT_EQ(blind->cause, line.substr(16));
      }
      if (StartsWith(line, "# expect-reason: ")) {
        EXPECT_NE(blind->reason.find(line.substr(17)), std::string::npos) << blind->reason;
      }
    });
    // A host with a rule it could not judge is never called tuned, in any report.
    HostReport report{std::string(kInstance), result.findings, result.failures, "", result.not_judged};
    EXPECT_FALSE(IsTuned(report));
    EXPECT_NE(TextReport({report}).find("  " + rule + " — " + blind->reason), std::string::npos) << TextReport({report});
    EXPECT_NE(MarkdownReport({report}).find("- `" + rule + "`: " + blind->reason), std::string::npos);
    EXPECT_NE(JsonReport({report}).find("\"cause\": \"" + blind->cause + "\""), std::string::npos);
  }
}

// The guide's §3.2 host as the exporter really reports it (the golden end-to-end output):
// what an operator of that host must be told, in numbers and commands.
TEST(AdvisorRulesTest, TheGuidesUntunedHost) {
  HostEvaluation result = Evaluate(Samples(ReadText(kSource + "/tests/fixtures/e2e/golden.prom")));
  EXPECT_TRUE(result.failures.empty()) << Describe(result);
  std::set<std::string> fired;
  for (const Finding& finding : result.findings) fired.insert(finding.rule);
  for (const char* rule : {"irq-single-core", "irqbalance-collapse", "softnet-backlog-drops", "softnet-budget-squeeze",
                           "nic-ring-overflow", "udp-rcvbuf-errors", "qdisc-tx-drops", "wireguard-mtu-low",
                           "rps-disabled", "tcp-buffers-small", "congestion-control-not-bbr", "wireguard-peer-relayed"}) {
    EXPECT_TRUE(fired.count(rule)) << rule << " should fire on the guide's host; findings:\n" << Describe(result);
  }
  for (const char* rule : {"wireguard-userspace", "wireguard-mtu-too-high", "tcp-buffers-oversized",
                           "nic-queues-below-cpus", "wireguard-handshake-stale"}) {
    EXPECT_FALSE(fired.count(rule)) << rule << " should not fire on the guide's host";
  }
  const Finding* irq = FindingsOf(result, "irq-single-core").at(0);
  EXPECT_EQ(promql::LabelValue(irq->labels, "cpu"), "1");
  for (const char* line : {"systemctl stop irqbalance && systemctl disable irqbalance", "echo 1 > /proc/irq/25/smp_affinity",
                           "echo 2 > /proc/irq/26/smp_affinity", "echo 4 > /proc/irq/27/smp_affinity",
                           "echo 8 > /proc/irq/28/smp_affinity"}) {
    EXPECT_NE(irq->remediation.find(line), std::string::npos) << irq->remediation;
  }
  // Findings come ordered by expected gain: the tunnel's MTU and the IRQ spread before buffers.
  auto position = [&](std::string_view rule) {
    return std::find_if(result.findings.begin(), result.findings.end(), [&](const Finding& f) { return f.rule == rule; }) -
           result.findings.begin();
  };
  EXPECT_LT(position("wireguard-mtu-low"), position("irq-single-core"));
  EXPECT_LT(position("irq-single-core"), position("softnet-backlog-drops"));
  EXPECT_LT(position("softnet-backlog-drops"), position("tcp-buffers-small"));
}

TEST(AdvisorRulesTest, SiteParamsChangeThresholds) {
  std::string dir = testing::TempDir() + "/wgtune-site-params";
  fs::create_directories(dir);
  std::ofstream(dir + "/site.toml") << "[params.softnet-backlog-drops]\nrate = 5000\n";
  RuleSet set = LoadRuleDirectory(kSource + "/rules");
  ApplyParamOverrides(set.rules, dir + "/site.toml");
  RuleEngine engine(set);
  HostEvaluation result = Evaluate(Overlay(ReadText(kFixtures + "fire/softnet-backlog-drops.prom")), {}, engine);  // 2500/s
  EXPECT_TRUE(FindingsOf(result, "softnet-backlog-drops").empty()) << Describe(result);
}

}  // namespace
}  // namespace wgtune
