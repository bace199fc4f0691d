#include "advisor/rules/loader.h"
#include "tests/unit/error_testing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace wgtune {
namespace {

// A fresh directory per test under testing::TempDir().
std::string TestDir() {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / (std::string("wgtune-rules-") + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string Write(const std::string& dir, const std::string& name, const std::string& content) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << content;
  return path;
}

std::string LoadError(const std::string& path) {
  return ErrorOf<RuleError>([&] { LoadRuleFiles({path}); });
}

constexpr const char* kTwoRules = R"([[rule]]
id = "softnet-backlog-drops"
severity = "critical"
expr = "rate(wgtune_softnet_dropped_total[1m]) > $threshold"
for = "1h30m"
summary = "softnet backlog drops"
description = "packets dropped because the backlog queue was full"
remediation = "sysctl -w net.core.netdev_max_backlog=10000"
verify = "wgtune_softnet_dropped_total stops climbing"
guide = "§5.2"
order = 40

[rule.params]
threshold = 1
ratio = 0.8
cpus = "all"

[[rule]]
id = "udp-rcvbuf-errors"
severity = "info"
expr = "rate(wgtune_udp_rcvbuf_errors_total[1m]) > 0"
summary = "s"
description = "d"
remediation = "r"
)";

// A rule with every required field; `extra` is inserted after the id line.
std::string MinimalRule(const std::string& id, const std::string& extra = "") {
  return "[[rule]]\nid = \"" + id + "\"\n" + extra +
         "severity = \"warning\"\nexpr = \"up == 0\"\nsummary = \"s\"\ndescription = \"d\"\nremediation = \"r\"\n";
}

TEST(RuleLoaderTest, LoadsEveryField) {
  std::string dir = TestDir();
  std::string path = Write(dir, "drops.toml", kTwoRules);
  std::vector<Rule> rules = LoadRuleFiles({path}).rules;
  ASSERT_EQ(rules.size(), 2u);

  const Rule& first = rules[0];
  EXPECT_EQ(first.id, "softnet-backlog-drops");
  EXPECT_EQ(first.severity, Severity::kCritical);
  EXPECT_EQ(SeverityName(first.severity), "critical");
  EXPECT_EQ(first.expr, "rate(wgtune_softnet_dropped_total[1m]) > $threshold");
  EXPECT_DOUBLE_EQ(first.for_seconds, 5400);
  EXPECT_EQ(first.summary, "softnet backlog drops");
  EXPECT_EQ(first.description, "packets dropped because the backlog queue was full");
  EXPECT_EQ(first.remediation, "sysctl -w net.core.netdev_max_backlog=10000");
  EXPECT_EQ(first.verify, "wgtune_softnet_dropped_total stops climbing");
  EXPECT_EQ(first.guide, "§5.2");
  EXPECT_EQ(first.order, 40);
  ASSERT_EQ(first.params.size(), 3u);
  EXPECT_EQ(first.params.at("threshold"), RuleParam(1.0));
  EXPECT_EQ(first.params.at("ratio"), RuleParam(0.8));
  EXPECT_EQ(first.params.at("cpus"), RuleParam(std::string("all")));
  EXPECT_EQ(first.file, path);
  EXPECT_EQ(first.line, 1);

  const Rule& second = rules[1];
  EXPECT_EQ(second.id, "udp-rcvbuf-errors");
  EXPECT_EQ(second.severity, Severity::kInfo);
  EXPECT_EQ(second.expr, "rate(wgtune_udp_rcvbuf_errors_total[1m]) > 0");
  EXPECT_DOUBLE_EQ(second.for_seconds, 0);  // default "0s"
  EXPECT_EQ(second.summary, "s");
  EXPECT_EQ(second.description, "d");
  EXPECT_EQ(second.remediation, "r");
  EXPECT_EQ(second.verify, "");
  EXPECT_EQ(second.guide, "");
  EXPECT_EQ(second.order, 100);  // default
  EXPECT_TRUE(second.params.empty());
  EXPECT_EQ(second.line, 18);
}

TEST(RuleLoaderTest, InlineParamsTable) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("a", "params = { limit = 3, mode = \"x\" }\n"));
  std::vector<Rule> rules = LoadRuleFiles({path}).rules;
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].params.at("limit"), RuleParam(3.0));
  EXPECT_EQ(rules[0].params.at("mode"), RuleParam(std::string("x")));
}

TEST(RuleLoaderTest, DirectoryLoadsTomlFilesSorted) {
  std::string dir = TestDir();
  Write(dir, "b.toml", MinimalRule("rule-b"));
  Write(dir, "a.toml", MinimalRule("rule-a"));
  Write(dir, "c.toml.bak", MinimalRule("rule-c"));
  Write(dir, "README.md", "not a rule file");
  std::vector<Rule> rules = LoadRuleDirectory(dir).rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].id, "rule-a");
  EXPECT_EQ(rules[1].id, "rule-b");
}

TEST(RuleLoaderTest, MissingDirectoryAndFileAreRuleErrors) {
  std::string dir = TestDir();
  EXPECT_NE(ErrorOf<RuleError>([&] { LoadRuleDirectory(dir + "/absent"); }).find(dir + "/absent: "), std::string::npos);
  EXPECT_NE(LoadError(dir + "/absent.toml").find("cannot read " + dir + "/absent.toml: "), std::string::npos);
}

TEST(RuleLoaderTest, MissingId) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("ok") + "\n[[rule]]\nseverity = \"info\"\n");
  EXPECT_EQ(LoadError(path), path + ":9: rule has no id");
}

TEST(RuleLoaderTest, BadId) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", "# comment\n" + MinimalRule("Softnet_Drops"));
  EXPECT_EQ(LoadError(path), path +
                                 ":3: id \"Softnet_Drops\" must be kebab-case (lowercase letters and digits "
                                 "joined by single hyphens)");
  for (const char* bad : {"", "-a", "a-", "a--b", "1abc", "a b"}) EXPECT_FALSE(IsKebabCase(bad)) << bad;
  for (const char* good : {"a", "irq-single-core", "nic-queues-below-cpus", "mtu-1420"}) {
    EXPECT_TRUE(IsKebabCase(good)) << good;
  }
}

TEST(RuleLoaderTest, BadSeverity) {
  std::string dir = TestDir();
  std::string path = Write(dir, "drops.toml",
                           "[[rule]]\nid = \"softnet-backlog-drops\"\nexpr = \"x\"\nseverity = \"high\"\n"
                           "summary = \"s\"\ndescription = \"d\"\nremediation = \"r\"\n");
  EXPECT_EQ(LoadError(path),
            path + ":4: rule softnet-backlog-drops: severity must be critical, warning or info, not \"high\"");
}

TEST(RuleLoaderTest, MissingExpr) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml",
                           "\n\n[[rule]]\nid = \"no-expr\"\nseverity = \"info\"\n"
                           "summary = \"s\"\ndescription = \"d\"\nremediation = \"r\"\n");
  EXPECT_EQ(LoadError(path), path + ":3: rule no-expr: missing required key \"expr\"");
}

TEST(RuleLoaderTest, MissingSummary) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml",
                           "[[rule]]\nid = \"no-summary\"\nseverity = \"info\"\nexpr = \"x\"\n"
                           "description = \"d\"\nremediation = \"r\"\n");
  EXPECT_EQ(LoadError(path), path + ":1: rule no-summary: missing required key \"summary\"");
}

TEST(RuleLoaderTest, BadDuration) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("slow", "for = \"5 minutes\"\n"));
  EXPECT_EQ(LoadError(path),
            path + ":3: rule slow: for must be a duration such as \"30s\", \"5m\" or \"1h30m\" (at most 292y), not "
                   "\"5 minutes\"");
}

TEST(RuleLoaderTest, PrometheusDurations) {
  EXPECT_EQ(ParsePrometheusDuration("0"), 0.0);
  EXPECT_EQ(ParsePrometheusDuration("0s"), 0.0);
  EXPECT_EQ(ParsePrometheusDuration("30s"), 30.0);
  EXPECT_EQ(ParsePrometheusDuration("5m"), 300.0);
  EXPECT_EQ(ParsePrometheusDuration("1h30m"), 5400.0);
  EXPECT_EQ(ParsePrometheusDuration("1d"), 86400.0);
  EXPECT_EQ(ParsePrometheusDuration("1w"), 604800.0);
  EXPECT_EQ(ParsePrometheusDuration("1m500ms"), 60.5);
  for (const char* bad : {"", "s", "5", "1.5m", "-5m", "30m1h", "1m1m", "5sec", " 5m", "5M"}) {
    EXPECT_EQ(ParsePrometheusDuration(bad), std::nullopt) << bad;
  }
}

TEST(RuleLoaderTest, UnknownKey) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("typo", "remediaton = \"r\"\n"));
  EXPECT_EQ(LoadError(path), path + ":3: rule typo: unknown key \"remediaton\"");
}

TEST(RuleLoaderTest, UnknownTopLevelKey) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("a") + "[[rules]]\nid = \"b\"\n");
  EXPECT_EQ(LoadError(path), path + ":8: unknown top-level key \"rules\" (rules are [[rule]] tables, shared texts a [templates] table)");
}

TEST(RuleLoaderTest, NamedTemplates) {
  std::string dir = TestDir();
  std::string first = Write(dir, "a.toml", MinimalRule("a") + "[templates]\nfix = '''sysctl -w x=1'''\nhint = \"h\"\n");
  RuleSet set = LoadRuleFiles({first});
  ASSERT_EQ(set.templates.size(), 2u);
  EXPECT_EQ(set.templates.at("fix").text, "sysctl -w x=1");
  EXPECT_EQ(set.templates.at("fix").file, first);
  EXPECT_EQ(set.templates.at("fix").line, 9);
  std::string second = Write(dir, "b.toml", "[templates]\nfix = \"again\"\n");
  EXPECT_EQ(ErrorOf<RuleError>([&] { LoadRuleFiles({first, second}); }),
            second + ":2: template \"fix\" defined twice, first at " + first + ":9");
  std::string number = Write(dir, "c.toml", "[templates]\nfix = 3\n");
  EXPECT_EQ(LoadError(number), number + ":2: template \"fix\" must be a string, not integer");
}

TEST(RuleLoaderTest, FormatPrometheusDuration) {
  EXPECT_EQ(FormatPrometheusDuration(0), "0s");
  EXPECT_EQ(FormatPrometheusDuration(30), "30s");
  EXPECT_EQ(FormatPrometheusDuration(330), "5m30s");
  EXPECT_EQ(FormatPrometheusDuration(5400), "1h30m");
  EXPECT_EQ(FormatPrometheusDuration(90000), "1d1h");
  for (const char* text : {"5m30s", "1h30m", "2d3h4m5s"}) {
    EXPECT_EQ(FormatPrometheusDuration(*ParsePrometheusDuration(text)), text);
  }
}

TEST(RuleLoaderTest, ExpandParams) {
  Rule rule;
  rule.id = "r";
  rule.file = "rules/x.toml";
  rule.line = 4;
  rule.params = {{"rate", 1.0}, {"share", 0.8}, {"bytes", 16777216.0}, {"names", std::string("rx_(a|b)")}};
  rule.expr = R"x(label_replace(x{name=~"$names"} > $rate * $share, "peer", "$1", "k", "(.+)") < ${1} + $bytes)x";
  EXPECT_EQ(ExpandParams(rule),
            R"x(label_replace(x{name=~"rx_(a|b)"} > 1 * 0.8, "peer", "$1", "k", "(.+)") < ${1} + 16777216)x");
  rule.expr = "x > $rat";
  EXPECT_EQ(ErrorOf<RuleError>([&] { ExpandParams(rule); }), "rules/x.toml:4: rule r: expr uses $rat, which is not a param");
}

TEST(RuleLoaderTest, WrongFieldTypes) {
  std::string dir = TestDir();
  EXPECT_EQ(LoadError(Write(dir, "a.toml", MinimalRule("a", "order = \"first\"\n"))),
            dir + "/a.toml:3: rule a: order must be an integer, not string");
  EXPECT_EQ(LoadError(Write(dir, "b.toml", MinimalRule("b", "verify = 3\n"))),
            dir + "/b.toml:3: rule b: verify must be a string, not integer");
  EXPECT_EQ(LoadError(Write(dir, "c.toml", "[[rule]]\nid = 7\n")), dir + "/c.toml:2: id must be a string, not integer");
}

TEST(RuleLoaderTest, DuplicateIdAcrossFiles) {
  std::string dir = TestDir();
  std::string first = Write(dir, "a.toml", MinimalRule("twice"));
  std::string second = Write(dir, "b.toml", MinimalRule("other") + "\n" + MinimalRule("twice"));
  EXPECT_EQ(ErrorOf<RuleError>([&] { LoadRuleFiles({first, second}); }),
            second + ":9: rule twice: duplicate id, first defined at " + first + ":1");
  EXPECT_EQ(ErrorOf<RuleError>([&] { LoadRuleDirectory(dir); }),
            second + ":9: rule twice: duplicate id, first defined at " + first + ":1");
}

// ParseRuleFiles is LoadRuleFiles without the reading (the fuzz target's entry): the same rules,
// the same errors with the paths it is given, duplicates across texts included.
TEST(RuleLoaderTest, ParsesTextsAsLoadingReadsFiles) {
  std::string dir = TestDir();
  RuleSet loaded = LoadRuleFiles({Write(dir, "drops.toml", kTwoRules)});
  RuleSet parsed = ParseRuleFiles({{dir + "/drops.toml", kTwoRules}});
  ASSERT_EQ(parsed.rules.size(), loaded.rules.size());
  for (size_t i = 0; i < parsed.rules.size(); ++i) {
    EXPECT_EQ(parsed.rules[i].id, loaded.rules[i].id);
    EXPECT_EQ(parsed.rules[i].expr, loaded.rules[i].expr);
    EXPECT_EQ(parsed.rules[i].for_seconds, loaded.rules[i].for_seconds);
    EXPECT_EQ(parsed.rules[i].file, loaded.rules[i].file);
    EXPECT_EQ(parsed.rules[i].line, loaded.rules[i].line);
  }
  EXPECT_EQ(ErrorOf<RuleError>([] { ParseRuleFiles({{"a.toml", MinimalRule("twice")}, {"b.toml", MinimalRule("twice")}}); }),
            "b.toml:1: rule twice: duplicate id, first defined at a.toml:1");
  EXPECT_EQ(ErrorOf<RuleError>([] { ParseRuleFiles({{"c.toml", MinimalRule("big", "for = \"300000000000y\"\n")}}); }),
            "c.toml:3: rule big: for must be a duration such as \"30s\", \"5m\" or \"1h30m\" (at most 292y), not "
            "\"300000000000y\"");
}

TEST(RuleLoaderTest, WrongParamType) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("p") + "[rule.params]\nthreshold = 1\nenabled = true\n");
  EXPECT_EQ(LoadError(path), path + ":10: rule p: param \"enabled\" must be a number or a string, not boolean");
  path = Write(dir, "b.toml", MinimalRule("q", "params = 5\n"));
  EXPECT_EQ(LoadError(path), path + ":3: rule q: params must be a table, not integer");
}

TEST(RuleLoaderTest, TomlSyntaxError) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", "[[rule]]\nid = \"a\"\nexpr = \"unterminated\n");
  std::string message = LoadError(path);
  EXPECT_EQ(message.rfind(path + ":3:", 0), 0u) << message;
  // file:line:column: description
  EXPECT_NE(message.find(path + ":3:21: "), std::string::npos) << message;
}

// --- overrides ---------------------------------------------------------------------------

std::vector<Rule> LoadTwoRules(const std::string& dir) { return LoadRuleFiles({Write(dir, "drops.toml", kTwoRules)}).rules; }

TEST(RuleOverrideTest, AppliesOverrides) {
  std::string dir = TestDir();
  std::vector<Rule> rules = LoadTwoRules(dir);
  std::string site = Write(dir, "site.toml",
                           "[params.softnet-backlog-drops]\nthreshold = 100.5\nratio = 1\ncpus = \"0-3\"\n");
  ApplyParamOverrides(rules, site);
  EXPECT_EQ(rules[0].params.at("threshold"), RuleParam(100.5));
  EXPECT_EQ(rules[0].params.at("ratio"), RuleParam(1.0));  // integer for a float param: both numbers
  EXPECT_EQ(rules[0].params.at("cpus"), RuleParam(std::string("0-3")));
}

TEST(RuleOverrideTest, EmptyOverrideFileChangesNothing) {
  std::string dir = TestDir();
  std::vector<Rule> rules = LoadTwoRules(dir);
  ApplyParamOverrides(rules, Write(dir, "site.toml", "# nothing\n"));
  EXPECT_EQ(rules[0].params.at("threshold"), RuleParam(1.0));
}

TEST(RuleOverrideTest, UnknownRule) {
  std::string dir = TestDir();
  std::vector<Rule> rules = LoadTwoRules(dir);
  std::string site = Write(dir, "site.toml", "\n[params.softnet-backlog-drop]\nthreshold = 2\n");
  EXPECT_EQ(ErrorOf<RuleError>([&] { ApplyParamOverrides(rules, site); }),
            site + ":2: override of unknown rule \"softnet-backlog-drop\"");
}

TEST(RuleOverrideTest, UnknownParam) {
  std::string dir = TestDir();
  std::vector<Rule> rules = LoadTwoRules(dir);
  std::string site = Write(dir, "site.toml", "[params.softnet-backlog-drops]\nthreshold = 2\nthreshhold = 3\n");
  EXPECT_EQ(ErrorOf<RuleError>([&] { ApplyParamOverrides(rules, site); }),
            site + ":3: rule softnet-backlog-drops: unknown param \"threshhold\"");
  EXPECT_EQ(rules[0].params.at("threshold"), RuleParam(1.0));  // nothing applied on error
}

TEST(RuleOverrideTest, WrongType) {
  std::string dir = TestDir();
  std::vector<Rule> rules = LoadTwoRules(dir);
  std::string site = Write(dir, "site.toml", "[params.softnet-backlog-drops]\nthreshold = \"high\"\n");
  EXPECT_EQ(ErrorOf<RuleError>([&] { ApplyParamOverrides(rules, site); }),
            site + ":2: rule softnet-backlog-drops: param \"threshold\" must be a number, not string");
  site = Write(dir, "site2.toml", "[params.softnet-backlog-drops]\ncpus = 4\n");
  EXPECT_EQ(ErrorOf<RuleError>([&] { ApplyParamOverrides(rules, site); }),
            site + ":2: rule softnet-backlog-drops: param \"cpus\" must be a string, not integer");
}

TEST(RuleOverrideTest, UnknownTopLevelKeyAndSyntaxError) {
  std::string dir = TestDir();
  std::vector<Rule> rules = LoadTwoRules(dir);
  std::string site = Write(dir, "site.toml", "[param.softnet-backlog-drops]\nthreshold = 2\n");
  EXPECT_EQ(ErrorOf<RuleError>([&] { ApplyParamOverrides(rules, site); }),
            site + ":1: unknown top-level key \"param\" (overrides are [params.<rule-id>])");
  site = Write(dir, "bad.toml", "[params.x\n");
  EXPECT_EQ(ErrorOf<RuleError>([&] { ApplyParamOverrides(rules, site); }).rfind(site + ":1:", 0), 0u);
}

}  // namespace
}  // namespace wgtune

namespace wgtune {
namespace {

TEST(RuleLoaderTest, NeedsAndCannotJudge) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("r", "needs = ['wgtune_cpus', 'x > $min']\n") + R"(
[[rule.cannot_judge]]
when = 'wgtune_wireguard_interface_up == 0'
reason = '{{ $labels.interface }}: down'

[[rule.cannot_judge]]
when = 'y'
reason = 'z'

[rule.params]
min = 3
)");
  std::vector<Rule> rules = LoadRuleFiles({path}).rules;
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].needs, (std::vector<std::string>{"wgtune_cpus", "x > $min"}));
  EXPECT_EQ(ExpandParams(rules[0], rules[0].needs[1]), "x > 3");
  ASSERT_EQ(rules[0].cannot_judge.size(), 2u);
  EXPECT_EQ(rules[0].cannot_judge[0].when, "wgtune_wireguard_interface_up == 0");
  EXPECT_EQ(rules[0].cannot_judge[0].reason, "{{ $labels.interface }}: down");
  EXPECT_EQ(ErrorOf<RuleError>([&] { ExpandParams(rules[0], "q > $nope"); }),
            path + ":1: rule r: \"q > $nope\" uses $nope, which is not a param");
}

TEST(RuleLoaderTest, NeedsAndCannotJudgeErrors) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("r", "needs = 'wgtune_cpus'\n"));
  EXPECT_EQ(LoadError(path), path + ":3: rule r: needs must be an array of PromQL strings, not string");
  path = Write(dir, "b.toml", MinimalRule("r", "needs = [1]\n"));
  EXPECT_EQ(LoadError(path), path + ":3: rule r: each of needs must be a string, not integer");
  path = Write(dir, "c.toml", MinimalRule("r") + "[[rule.cannot_judge]]\nwhen = 'x'\n");
  EXPECT_EQ(LoadError(path), path + ":8: rule r: cannot_judge needs when and reason");
  path = Write(dir, "d.toml", MinimalRule("r") + "[[rule.cannot_judge]]\nwhen = 'x'\nreason = 'y'\nwhy = 'z'\n");
  EXPECT_EQ(LoadError(path), path + ":11: rule r: unknown key \"why\" in cannot_judge");
  path = Write(dir, "e.toml", MinimalRule("r", "cannot_judge = 'x'\n"));
  EXPECT_EQ(LoadError(path), path + ":3: rule r: cannot_judge must be [[rule.cannot_judge]] tables with when and reason");
}

}  // namespace
}  // namespace wgtune

namespace wgtune {
namespace {

// Issue 15: a `for` Prometheus would refuse loaded, and whole seconds of it overflowed.
TEST(RuleLoaderTest, DurationsBeyondPrometheussRangeAreRefused) {
  std::string dir = TestDir();
  std::string path = Write(dir, "a.toml", MinimalRule("huge", "for = \"300000000000y\"\n"));
  EXPECT_EQ(LoadError(path), path + ":3: rule huge: for must be a duration such as \"30s\", \"5m\" or \"1h30m\" "
                                    "(at most 292y), not \"300000000000y\"");
  // Prometheus's bound, int64 nanoseconds: 292 years fit, 293 do not.
  EXPECT_EQ(ParsePrometheusDuration("292y"), 292.0 * 365 * 86400);
  EXPECT_EQ(ParsePrometheusDuration("293y"), std::nullopt);
  EXPECT_EQ(ParsePrometheusDuration("9223372036854ms"), 9223372036.854);
  EXPECT_EQ(ParsePrometheusDuration("9223372036855ms"), std::nullopt);
  EXPECT_EQ(ParsePrometheusDuration("292y24w"), (292.0 * 365 + 24 * 7) * 86400);
  EXPECT_EQ(ParsePrometheusDuration("292y25w"), std::nullopt);  // the sum counts, not each part
  EXPECT_EQ(ParsePrometheusDuration("18446744073709551616s"), std::nullopt);  // beyond uint64
  EXPECT_EQ(FormatPrometheusDuration(*ParsePrometheusDuration("292y")), "292y");
}

}  // namespace
}  // namespace wgtune
