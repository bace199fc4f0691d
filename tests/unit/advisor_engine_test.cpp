// The advisor's parts around the rules: the rule engine's error handling, reports and their
// persistence hints, the alert lifecycle, the Prometheus export, lint, and the sources.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "advisor/engine/alert_tracker.h"
#include "advisor/engine/lint.h"
#include "advisor/engine/metric_catalog.h"
#include "advisor/engine/rule_engine.h"
#include "advisor/rules/loader.h"
#include "advisor/sinks/prometheus_rules.h"
#include "advisor/sinks/persistence.h"
#include "advisor/sinks/report.h"
#include "advisor/sinks/rules_doc.h"
#include "advisor/sources/fleet.h"

namespace wgtune {
namespace {

Rule MakeRule(std::string id, std::string expr, std::string remediation = "echo fix") {
  Rule rule;
  rule.id = std::move(id);
  rule.expr = std::move(expr);
  rule.summary = "{{ $labels.device }} at {{ $value }}";
  rule.description = "d";
  rule.remediation = std::move(remediation);
  rule.file = "rules/test.toml";
  rule.line = 3;
  return rule;
}

promql::Sample S(promql::Labels labels, double value) { return {std::move(labels), value}; }

promql::MemorySource HostWith(promql::Vector samples) { return promql::MemorySource(std::move(samples)); }

TEST(RuleEngineTest, CompileErrorsNameFileLineAndRule) {
  EXPECT_THROW(RuleEngine(RuleSet{{MakeRule("bad-expr", "x >")}, {}}), RuleError);
  try {
    RuleEngine engine(RuleSet{{MakeRule("bad-expr", "x >")}, {}});
  } catch (const RuleError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("rules/test.toml:3: rule bad-expr: expr: position 3:", 0), 0u) << error.what();
  }
  try {
    RuleEngine engine(RuleSet{{MakeRule("bad-text", "x", "{{ if }}")}, {}});
    ADD_FAILURE();
  } catch (const RuleError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("rules/test.toml:3: rule bad-text: remediation: ", 0), 0u) << error.what();
  }
  try {
    RuleEngine engine(RuleSet{{MakeRule("missing-template", "x", "{{ template \"nope\" . }}")}, {}});
    ADD_FAILURE();
  } catch (const RuleError& error) {
    EXPECT_NE(std::string(error.what()).find("calls template \"nope\", which no rule file defines"), std::string::npos);
  }
}

TEST(RuleEngineTest, FindingsCarryLabelsValueAndRenderedTexts) {
  Rule rule = MakeRule("hot", "m > $limit", "{{ template \"fix\" . }}");
  rule.params = {{"limit", 5.0}};
  rule.order = 7;
  RuleEngine engine(RuleSet{{rule}, {{"fix", {"fix", "ip link set {{ $labels.device }} mtu {{ sub 1500 80 }}", "t.toml", 1}}}});
  auto host = HostWith({S({{"__name__", "m"}, {"device", "eth0"}, {"instance", "h:1"}, {"job", "wgtune"}}, 9),
                        S({{"__name__", "m"}, {"device", "eth1"}, {"instance", "h:1"}, {"job", "wgtune"}}, 2)});
  HostEvaluation result = engine.Evaluate(host, "h:1", 1000);
  ASSERT_EQ(result.findings.size(), 1u);
  const Finding& finding = result.findings[0];
  EXPECT_EQ(finding.rule, "hot");
  EXPECT_EQ(finding.order, 7);
  EXPECT_EQ(finding.instance, "h:1");
  EXPECT_EQ(finding.value, 9);
  EXPECT_EQ(finding.summary, "eth0 at 9");
  EXPECT_EQ(finding.remediation, "ip link set eth0 mtu 1420");
  EXPECT_EQ(promql::LabelValue(finding.labels, "__name__"), "");
  EXPECT_EQ(ObjectLabels(finding), (promql::Labels{{"device", "eth0"}}));
}

TEST(RuleEngineTest, SeverityLabelGradesFindings) {
  RuleEngine engine(RuleSet{{MakeRule("graded", R"(label_replace(m, "severity", "info", "", ""))")}, {}});
  auto host = HostWith({S({{"__name__", "m"}, {"device", "eth0"}}, 1)});
  HostEvaluation result = engine.Evaluate(host, "h:1", 0);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity, Severity::kInfo);
  EXPECT_EQ(promql::LabelValue(result.findings[0].labels, "severity"), "");
}

TEST(RuleEngineTest, AFailingRuleCostsOnlyThatRule) {
  RuleEngine engine(RuleSet{{MakeRule("broken", "m + on(device) n"), MakeRule("fine", "m")}, {}});
  // Two n series for one device: many-to-many matching, a runtime error of the first rule.
  auto host = HostWith({S({{"__name__", "m"}, {"device", "eth0"}}, 1), S({{"__name__", "n"}, {"device", "eth0"}, {"q", "0"}}, 1),
                        S({{"__name__", "n"}, {"device", "eth0"}, {"q", "1"}}, 1)});
  HostEvaluation result = engine.Evaluate(host, "h:1", 0);
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].rule, "broken");
  EXPECT_NE(result.failures[0].message.find("many-to-many"), std::string::npos) << result.failures[0].message;
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].rule, "fine");
}

TEST(RuleEngineTest, ARuleThatFailsOnOneSeriesLeavesNoFindingBehind) {
  // cpubit takes whole numbers: eth0's 2 renders, eth1's 1.5 fails, after eth0's was rendered.
  RuleEngine engine(RuleSet{{MakeRule("half", "m", "echo {{ cpubit $value }}")}, {}});
  auto host = HostWith({S({{"__name__", "m"}, {"device", "eth0"}}, 2), S({{"__name__", "m"}, {"device", "eth1"}}, 1.5)});
  HostEvaluation result = engine.Evaluate(host, "h:1", 0);
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].rule, "half");
  EXPECT_TRUE(result.findings.empty()) << result.findings[0].remediation;
}

TEST(ReportTest, PersistHintsFollowTheCommands) {
  EXPECT_EQ(PersistHints("sysctl -w net.core.rmem_max=16777216\nsysctl -w net.ipv4.tcp_rmem=\"4096 131072 16777216\""),
            (std::vector<std::string>{"echo 'net.core.rmem_max = 16777216' >> /etc/sysctl.d/99-netbird-tuning.conf",
                                      "echo 'net.ipv4.tcp_rmem = 4096 131072 16777216' >> /etc/sysctl.d/99-netbird-tuning.conf",
                                      "sysctl --system"}));
  EXPECT_EQ(PersistHints("# a note\nip link set wt0 mtu 1420\nnetbird up --mtu 1420"),
            (std::vector<std::string>{"netbird up --mtu 1420 (and --mtu 1420 in the NetBird service, §8.3)"}));
  std::vector<std::string> script = PersistHints("echo f > /sys/class/net/eth0/queues/rx-0/rps_cpus\nethtool -G eth0 rx 4096");
  ASSERT_EQ(script.size(), 1u);
  EXPECT_NE(script[0].find("/usr/local/sbin/network-tune.sh"), std::string::npos);
  EXPECT_NE(script[0].find("2 commands"), std::string::npos);
  EXPECT_TRUE(PersistHints("ping -c 3 10.0.0.1\nnetbird status -d").empty());
}

Finding MakeFinding(std::string rule, Severity severity, promql::Labels labels = {{"device", "eth0"}, {"instance", "h:1"}}) {
  Finding finding;
  finding.rule = std::move(rule);
  finding.severity = severity;
  finding.instance = "h:1";
  finding.labels = std::move(labels);
  finding.value = 0.97;
  finding.summary = "CPU1 handles 97% of NIC interrupts";
  finding.description = "evidence";
  finding.remediation = "systemctl stop irqbalance\necho 1 > /proc/irq/45/smp_affinity";
  finding.verify = "IRQs spread";
  finding.guide = "§4.2";
  return finding;
}

TEST(ReportTest, TextJsonAndMarkdown) {
  HostReport host{"h:1", {MakeFinding("irq-single-core", Severity::kCritical), MakeFinding("rfs-disabled", Severity::kInfo)}, {}, ""};
  EXPECT_FALSE(IsTuned(host));
  std::string text = TextReport({host});
  EXPECT_EQ(text.rfind("wgtune-advisor: h:1 — 2 findings (1 critical, 1 info), ordered by expected gain\n", 0), 0u) << text;
  EXPECT_NE(text.find("[critical] irq-single-core — CPU1 handles 97% of NIC interrupts\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  fix:      systemctl stop irqbalance\n            echo 1 > /proc/irq/45/smp_affinity\n"),
            std::string::npos)
      << text;
  nlohmann::json json = nlohmann::json::parse(JsonReport({host}));
  ASSERT_EQ(json["findings"].size(), 2u);
  EXPECT_EQ(json["findings"][0]["rule"], "irq-single-core");
  EXPECT_EQ(json["findings"][0]["severity"], "critical");
  EXPECT_EQ(json["findings"][0]["instance"], "h:1");
  EXPECT_EQ(json["findings"][0]["labels"], nlohmann::json({{"device", "eth0"}}));
  EXPECT_EQ(json["findings"][0]["value"], 0.97);
  for (const char* key : {"summary", "description", "remediation", "verify", "guide", "persist"}) {
    EXPECT_TRUE(json["findings"][0].contains(key)) << key;
  }
  EXPECT_EQ(json["hosts"][0]["tuned"], false);
  std::string markdown = MarkdownReport({host});
  EXPECT_NE(markdown.find("```sh\nsystemctl stop irqbalance\necho 1 > /proc/irq/45/smp_affinity\n```"), std::string::npos);

  HostReport tuned{"h:2", {MakeFinding("rfs-disabled", Severity::kInfo)}, {}, ""};
  EXPECT_TRUE(IsTuned(tuned));
  EXPECT_NE(TextReport({tuned}).find("h:2 — 1 finding (1 info): tuned"), std::string::npos) << TextReport({tuned});
  HostReport unread{"h:3", {}, {}, "connection refused"};
  EXPECT_FALSE(IsTuned(unread));
  EXPECT_NE(TextReport({unread}).find("h:3 — not checked: connection refused"), std::string::npos);
}

TEST(PersistenceTest, PlanTakesEachSettingAndCommandOnceInFindingOrder) {
  Finding drops = MakeFinding("softnet-backlog-drops", Severity::kCritical);
  drops.remediation = "sysctl -w net.core.netdev_max_backlog=10000\nsysctl -w net.core.netdev_budget=600";
  Finding backlog = MakeFinding("backlog-too-small-for-rps", Severity::kWarning);
  backlog.remediation = "sysctl -w net.core.netdev_max_backlog=20000";
  Finding irq = MakeFinding("irq-single-core", Severity::kCritical);  // systemctl + one echo
  Finding collapse = MakeFinding("irqbalance-collapse", Severity::kWarning);
  Finding mtu = MakeFinding("wireguard-mtu-low", Severity::kWarning);
  mtu.remediation = "ping -M do -c 3 -s 1472 203.0.113.10\nip link set wt0 mtu 1420\nnetbird up --mtu 1420";
  PersistencePlan plan = PlanPersistence({drops, irq, backlog, collapse, mtu});
  EXPECT_EQ(plan.sysctls, (std::vector<std::pair<std::string, std::string>>{
                              {"net.core.netdev_max_backlog", "10000"}, {"net.core.netdev_budget", "600"}}));
  EXPECT_EQ(plan.boot_commands, std::vector<std::string>{"echo 1 > /proc/irq/45/smp_affinity"});
  EXPECT_EQ(plan.once_commands, std::vector<std::string>{"systemctl stop irqbalance"});
  EXPECT_EQ(plan.netbird_mtu, "1420");
  auto files = PersistenceFiles(plan, "h:1");
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0].first, "/etc/sysctl.d/99-netbird-tuning.conf");
  EXPECT_NE(files[0].second.find("\nnet.core.netdev_max_backlog = 10000\nnet.core.netdev_budget = 600\n"), std::string::npos);
  EXPECT_EQ(files[1].first, "/usr/local/sbin/network-tune.sh");
  EXPECT_EQ(files[2].first, "/etc/systemd/system/network-tuning.service");
  EXPECT_NE(files[2].second.find("ExecStart=/usr/local/sbin/network-tune.sh\n"), std::string::npos);
  EXPECT_NE(files[3].second.find("netbird up --mtu 1420\n"), std::string::npos);
  EXPECT_TRUE(PersistenceFiles(PlanPersistence({}), "h:1").empty());
}

// The boot script really runs: every line, quoting intact, failures reported and counted.
TEST(PersistenceTest, BootScriptRunsEveryLineAndReportsFailures) {
  const std::string dir = testing::TempDir() + "/wgtune-persist-script";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Finding finding = MakeFinding("x", Severity::kWarning);
  finding.remediation = "echo 'it''s' > " + dir + "/a\nethtool --no-such-flag-for-test 2>/dev/null\necho f > " + dir + "/b";
  auto files = PersistenceFiles(PlanPersistence({finding}), "h:1");
  ASSERT_EQ(files.at(0).first, "/usr/local/sbin/network-tune.sh");
  const std::string script = dir + "/network-tune.sh";
  std::ofstream(script) << files.at(0).second;
  const int status = std::system(("sh " + script + " 2> " + dir + "/err").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);  // the ethtool line failed (or ethtool is absent)
  auto read = [&](const std::string& name) {
    std::ifstream in(dir + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  EXPECT_EQ(read("a"), "its\n");
  EXPECT_EQ(read("b"), "f\n");  // after the failure, the rest still ran
  EXPECT_NE(read("err").find("network-tune: failed: ethtool --no-such-flag-for-test"), std::string::npos) << read("err");
}

TEST(AlertTrackerTest, PendingFiringResolvedAsPrometheus) {
  AlertTracker tracker({10, 60, "https://docs/rules.md", "http://advisor:10051"});
  const std::map<std::string, double> hold = {{"irq-single-core", 25}};
  const std::set<std::string> read = {"h:1"};
  std::vector<Finding> findings = {MakeFinding("irq-single-core", Severity::kCritical)};

  tracker.Update(findings, read, hold, 100);
  EXPECT_TRUE(tracker.AlertsToSend(100).empty());  // pending: held 0 of 25 s
  tracker.Update(findings, read, hold, 120);
  EXPECT_TRUE(tracker.AlertsToSend(120).empty());
  tracker.Update(findings, read, hold, 130);
  std::vector<Alert> alerts = tracker.AlertsToSend(130);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels.at("alertname"), "IrqSingleCore");
  EXPECT_EQ(alerts[0].labels.at("rule"), "irq-single-core");
  EXPECT_EQ(alerts[0].labels.at("severity"), "critical");
  EXPECT_EQ(alerts[0].labels.at("device"), "eth0");
  EXPECT_EQ(alerts[0].labels.at("instance"), "h:1");
  EXPECT_EQ(alerts[0].annotations.at("remediation"), findings[0].remediation);
  EXPECT_EQ(alerts[0].annotations.at("runbook_url"), "https://docs/rules.md#irq-single-core");
  EXPECT_EQ(alerts[0].starts_at, 130);
  EXPECT_EQ(alerts[0].ends_at, 130 + 4 * 10);
  EXPECT_EQ(alerts[0].generator_url, "http://advisor:10051");

  // The host cannot be read: nothing is sent for it, nothing resolved.
  tracker.Update({}, {}, hold, 140);
  EXPECT_TRUE(tracker.AlertsToSend(140).empty());
  EXPECT_EQ(tracker.alerts().begin()->second.state, AlertState::kFiring);
  // Read again, still there: re-sent with a later endsAt, same startsAt.
  tracker.Update(findings, read, hold, 150);
  alerts = tracker.AlertsToSend(150);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].starts_at, 130);
  EXPECT_EQ(alerts[0].ends_at, 190);
  // Cleared: resolved with endsAt = when it cleared, re-sent until the retention ends.
  tracker.Update({}, read, hold, 160);
  alerts = tracker.AlertsToSend(160);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].ends_at, 160);
  tracker.Update({}, read, hold, 210);
  ASSERT_EQ(tracker.AlertsToSend(210).size(), 1u);
  EXPECT_EQ(tracker.AlertsToSend(210)[0].ends_at, 160);
  tracker.Update({}, read, hold, 230);
  EXPECT_TRUE(tracker.AlertsToSend(230).empty());
  EXPECT_TRUE(tracker.alerts().empty());
}

TEST(AlertTrackerTest, APendingFindingThatClearsIsForgotten) {
  AlertTracker tracker({10, 60, "", ""});
  tracker.Update({MakeFinding("x", Severity::kWarning)}, {"h:1"}, {{"x", 60}}, 0);
  tracker.Update({}, {"h:1"}, {{"x", 60}}, 10);
  EXPECT_TRUE(tracker.alerts().empty());
  EXPECT_TRUE(tracker.AlertsToSend(10).empty());
}

TEST(AlertTrackerTest, AlertName) {
  EXPECT_EQ(AlertName("softnet-backlog-drops"), "SoftnetBacklogDrops");
  EXPECT_EQ(AlertName("rss-udp-ports-not-hashed"), "RssUdpPortsNotHashed");
}

TEST(PrometheusRulesTest, PortableTextsGoOverWithParamsAndOthersPointAtTheAdvisor) {
  Rule rule = MakeRule("mtu-low", "wgtune_wireguard_mtu_bytes < $mtu", "ip link set {{ $labels.interface }} mtu {{ cpumask 4 }}");
  rule.summary = "{{ $labels.interface }} below {{ $params.mtu }} ({{ $params.name }})";
  rule.params = {{"mtu", 1420.0}, {"name", std::string("wt")}};
  rule.for_seconds = 330;
  Rule graded = MakeRule("graded", R"(label_replace(m, "severity", "info", "", ""))");
  RuleEngine engine(RuleSet{{rule, graded}, {}});
  std::string yaml = PrometheusRulesYaml(engine, "https://docs/rules.md");
  EXPECT_NE(yaml.find("  - name: \"wgtune-test\"\n    rules:\n      - alert: MtuLow\n        expr: \"wgtune_wireguard_mtu_bytes < 1420\"\n"
                      "        for: 5m30s\n        labels:\n          rule: \"mtu-low\"\n          severity: warning\n"),
            std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find(R"x(summary: "{{ $labels.interface }} below {{ 1420 }} ({{ \"wt\" }})")x"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("remediation: \"The exact commands for this host: wgtune-advisor check --target {{ $labels.instance }}\""),
            std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("runbook_url: \"https://docs/rules.md#mtu-low\""), std::string::npos);
  // The graded rule keeps the severity its expression gives.
  size_t graded_at = yaml.find("alert: Graded");
  ASSERT_NE(graded_at, std::string::npos);
  EXPECT_EQ(yaml.find("severity:", graded_at), std::string::npos) << yaml.substr(graded_at);
}

TEST(LintTest, ReportsEveryProblemWithFileLineAndRule) {
  RuleSet set{{MakeRule("unknown-metric", "wgtune_no_such_metric > 1"), MakeRule("bad-expr", "sum by (a (x)"),
               MakeRule("bad-query", "wgtune_cpus", "{{ query \"wgtune_nope\" }}"),
               MakeRule("bad-regex-name", R"({__name__=~"wgtune_zzz.*"})"), MakeRule("clean", "wgtune_cpus > 1")},
              {}};
  std::vector<std::string> problems = LintRules(set, {"wgtune_cpus"});
  ASSERT_EQ(problems.size(), 4u) << testing::PrintToString(problems);
  EXPECT_EQ(problems[0], "rules/test.toml:3: rule unknown-metric: expr: unknown metric wgtune_no_such_metric (not served by wgtune-exporter)");
  EXPECT_EQ(problems[1].rfind("rules/test.toml:3: rule bad-expr: expr: position ", 0), 0u) << problems[1];
  EXPECT_EQ(problems[2], "rules/test.toml:3: rule bad-query: query \"wgtune_nope\": unknown metric wgtune_nope (not served by wgtune-exporter)");
  EXPECT_EQ(problems[3], "rules/test.toml:3: rule bad-regex-name: expr: __name__=~\"wgtune_zzz.*\" matches no metric wgtune-exporter serves");
}

TEST(LintTest, ABrokenSharedTemplateIsReportedOnce) {
  RuleSet set{{MakeRule("a", "wgtune_cpus", "{{ template \"fix\" . }}"), MakeRule("b", "wgtune_cpus")},
              {{"fix", {"fix", "{{ if }}", "rules/templates.toml", 7}}}};
  std::vector<std::string> problems = LintRules(set, {"wgtune_cpus"});
  ASSERT_EQ(problems.size(), 1u) << testing::PrintToString(problems);
  EXPECT_EQ(problems[0].rfind("rules/templates.toml:7: template fix: ", 0), 0u) << problems[0];
}

TEST(LintTest, BundledRulesAreClean) {
  RuleSet set = LoadRuleDirectory(std::string(WGTUNE_SOURCE_DIR) + "/rules");
  EXPECT_EQ(LintRules(set, ExporterMetricNames()), std::vector<std::string>{});
  EXPECT_TRUE(ExporterMetricNames().count("wgtune_softnet_dropped_per_second"));
  EXPECT_TRUE(ExporterMetricNames().count("wgtune_wireguard_peer_handshake_interval_seconds"));
}

TEST(FleetTest, TargetUrls) {
  EXPECT_EQ(TargetUrl("10.0.0.4:10050"), "http://10.0.0.4:10050/metrics");
  EXPECT_EQ(TargetUrl("http://10.0.0.4:10050"), "http://10.0.0.4:10050/metrics");
  EXPECT_EQ(TargetUrl("https://h/exporter/metrics"), "https://h/exporter/metrics");
  EXPECT_EQ(TargetUrl("[::1]:10050"), "http://[::1]:10050/metrics");
}

class CountingSource : public promql::SeriesSource {
 public:
  promql::Vector Select(const std::vector<promql::LabelMatcher>&, promql::Timestamp) override {
    ++calls;
    return {S({{"__name__", "m"}, {"instance", "a:1"}}, 1), S({{"__name__", "m"}, {"instance", "b:1"}}, 2)};
  }
  promql::Matrix SelectRange(const std::vector<promql::LabelMatcher>&, promql::Timestamp time,
                             promql::Timestamp range) override {
    ++calls;
    return {promql::Series{{{"__name__", "m"}, {"instance", "a:1"}}, {{time - range, 1}, {time, 3}}}};
  }
  int calls = 0;
};

TEST(FleetTest, HostsShareOneCachedAnswerPerSelection) {
  CountingSource fleet;
  FleetCache cache(fleet);
  HostScope a(cache, "a:1"), b(cache, "b:1"), c(cache, "c:1");
  promql::LabelMatcher name{"__name__", promql::MatchOp::kEqual, "m", 0};
  EXPECT_EQ(a.Select({name}, 1000).at(0).value, 1);
  EXPECT_EQ(b.Select({name}, 1000).size(), 1u);
  EXPECT_EQ(b.Select({name}, 1000).at(0).value, 2);
  EXPECT_TRUE(c.Select({name}, 1000).empty());
  EXPECT_EQ(fleet.calls, 1);
  // Another time or a range is another selection; each is asked for once.
  EXPECT_EQ(a.Select({name}, 2000).size(), 1u);
  EXPECT_EQ(fleet.calls, 2);
  EXPECT_EQ(a.SelectRange({name}, 2000, 500).at(0).points.size(), 2u);
  EXPECT_TRUE(b.SelectRange({name}, 2000, 500).empty());
  EXPECT_EQ(fleet.calls, 3);
}

// docs/rules.md is what `export rules-markdown` writes from the bundled rules; regenerate it
// with build/wgtune-advisor export rules-markdown --rules rules > docs/rules.md.
TEST(RulesDocTest, DocsRulesMdIsGeneratedFromTheRules) {
  RuleEngine engine(LoadRuleDirectory(std::string(WGTUNE_SOURCE_DIR) + "/rules"));
  std::ifstream in(std::string(WGTUNE_SOURCE_DIR) + "/docs/rules.md");
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), RulesMarkdown(engine))
      << "docs/rules.md is stale: build/wgtune-advisor export rules-markdown --rules rules > docs/rules.md";
  for (const CompiledRule& compiled : engine.rules()) {
    EXPECT_NE(doc.str().find("\n## " + compiled.rule.id + "\n"), std::string::npos) << compiled.rule.id;
  }
}

}  // namespace
}  // namespace wgtune

namespace wgtune {
namespace {

// What `run --target` keeps of its scrapes: the series the bundled rules' ranges can select,
// for as long as their longest range.
TEST(RuleEngineTest, RangeSeriesFilterAndLongestRangeOfTheBundledRules) {
  RuleEngine engine(LoadRuleDirectory(std::string(WGTUNE_SOURCE_DIR) + "/rules"));
  EXPECT_EQ(engine.LongestRange(), 600);  // wireguard-handshake-churn's 10m
  auto keep = engine.RangeSeriesFilter();
  ASSERT_TRUE(keep);
  auto series = [](const std::string& name) { return promql::Labels{{"__name__", name}, {"cpu", "0"}}; };
  EXPECT_TRUE(keep(series("wgtune_softnet_dropped_total")));
  EXPECT_TRUE(keep(series("wgtune_cpu_seconds_total")));
  EXPECT_TRUE(keep(series("wgtune_udp_rcvbuf_errors_total")));
  EXPECT_FALSE(keep(series("wgtune_cpus")));  // read at one instant only
  EXPECT_FALSE(keep(series("wgtune_softnet_dropped_per_second")));
  EXPECT_FALSE(keep(series("wgtune_interrupt_affinity_info")));
}

}  // namespace
}  // namespace wgtune
