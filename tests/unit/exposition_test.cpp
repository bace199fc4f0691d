#include "common/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "common/errors.h"
#include "common/text.h"
#include "common/metric_set.h"

namespace wgtune {
namespace {

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

std::string ReadFixture(const std::string& relative) {
  std::ifstream in(std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/" + relative);
  EXPECT_TRUE(in) << relative;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The single sample of a one-line exposition.
ExpositionSample ParseOne(std::string_view line) {
  Exposition exposition = ParseExposition(line);
  EXPECT_EQ(exposition.samples.size(), 1u) << line;
  return exposition.samples.empty() ? ExpositionSample{} : exposition.samples.front();
}

struct ValidCase {
  const char* line;
  const char* name;
  LabelPairs labels;
  double value;
  std::optional<int64_t> timestamp_ms;
};

TEST(ExpositionTest, ValidSampleLines) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<ValidCase> cases = {
      {"up 1", "up", {}, 1, std::nullopt},
      {"up{} 1", "up", {}, 1, std::nullopt},
      {"a:b_c9 -2", "a:b_c9", {}, -2, std::nullopt},
      {":colon 0", ":colon", {}, 0, std::nullopt},
      {"_x 1e-07", "_x", {}, 1e-07, std::nullopt},
      {"x 1.445225e+06", "x", {}, 1445225, std::nullopt},
      {"x 18446744073709551615", "x", {}, 18446744073709551615.0, std::nullopt},
      {"x -0.5", "x", {}, -0.5, std::nullopt},
      {"x +3", "x", {}, 3, std::nullopt},
      {"x .5", "x", {}, 0.5, std::nullopt},
      {"x +Inf", "x", {}, inf, std::nullopt},
      {"x -Inf", "x", {}, -inf, std::nullopt},
      {"x 1.797693134862316e+308", "x", {}, inf, std::nullopt},
      {"x -2e400", "x", {}, -inf, std::nullopt},
      {"x 1000e306", "x", {}, inf, std::nullopt},
      {"x 1e-400", "x", {}, 0, std::nullopt},
      {"x 0.0001e-330", "x", {}, 0, std::nullopt},
      {"x Inf", "x", {}, inf, std::nullopt},
      {"x{a=\"b\"} 1", "x", {{"a", "b"}}, 1, std::nullopt},
      {"x{b=\"2\",a=\"1\"} 1", "x", {{"a", "1"}, {"b", "2"}}, 1, std::nullopt},
      {"x{a=\"1\",} 1", "x", {{"a", "1"}}, 1, std::nullopt},
      {"x { a = \"1\" , b=\"\" , } 7", "x", {{"a", "1"}, {"b", ""}}, 7, std::nullopt},
      {"  \tx{a=\"1\"}\t7\t ", "x", {{"a", "1"}}, 7, std::nullopt},
      {"x{a=\"1\"}7", "x", {{"a", "1"}}, 7, std::nullopt},
      {"x{a=\"} {,=#\"} 1", "x", {{"a", "} {,=#"}}, 1, std::nullopt},
      {"x{_A9=\"é\"} 1", "x", {{"_A9", "é"}}, 1, std::nullopt},
      {"x 1 1395066363000", "x", {}, 1, 1395066363000},
      {"x{a=\"b\"} 1 -5", "x", {{"a", "b"}}, 1, -5},
      {"x 1 0 ", "x", {}, 1, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    ExpositionSample sample = ParseOne(c.line);
    EXPECT_EQ(sample.name, c.name);
    EXPECT_EQ(sample.labels, c.labels);
    EXPECT_EQ(sample.value, c.value);
    EXPECT_EQ(sample.timestamp_ms, c.timestamp_ms);
  }
}

TEST(ExpositionTest, NaNSpellings) {
  for (const char* line : {"x NaN", "x Nan", "x nan", "x{a=\"b\"} NaN 12"}) {
    SCOPED_TRACE(line);
    EXPECT_TRUE(std::isnan(ParseOne(line).value));
  }
}

TEST(ExpositionTest, LabelValueEscapes) {
  ExpositionSample sample = ParseOne(R"(x{a="back\\slash",b="quo\"te",c="new\nline",d="\\n",e="\\\"",f="\\"} 1)");
  EXPECT_EQ(sample.labels, (LabelPairs{{"a", "back\\slash"},
                                       {"b", "quo\"te"},
                                       {"c", "new\nline"},
                                       {"d", "\\n"},
                                       {"e", "\\\""},
                                       {"f", "\\"}}));
}

TEST(ExpositionTest, HelpAndType) {
  Exposition exposition = ParseExposition(
      "# HELP a_total Counts \\\\ things\\nover lines; \"quotes\" stay.\n"
      "# TYPE a_total counter\n"
      "a_total 3\n"
      "# TYPE b gauge\n"
      "#\tHELP b   Leading blanks go, trailing stay. \n"
      "# HELP c\n"
      "#HELP d glued\n"
      "# TYPE h histogram\n"
      "# TYPE s summary\n"
      "# TYPE u untyped\n"
      "# just a comment: HELP TYPE\n"
      "#\n"
      "# HELPING not a help line\n");
  ASSERT_EQ(exposition.families.size(), 7u);
  const auto& f = exposition.families;
  EXPECT_EQ(f[0].name, "a_total");
  EXPECT_EQ(f[0].type, "counter");
  EXPECT_EQ(f[0].help, "Counts \\ things\nover lines; \"quotes\" stay.");
  EXPECT_EQ(f[1].name, "b");
  EXPECT_EQ(f[1].type, "gauge");
  EXPECT_EQ(f[1].help, "Leading blanks go, trailing stay. ");
  EXPECT_EQ(f[2].name, "c");
  EXPECT_EQ(f[2].type, "untyped");
  EXPECT_EQ(f[2].help, "");
  EXPECT_EQ(f[3].name, "d");
  EXPECT_EQ(f[3].help, "glued");
  EXPECT_EQ(f[4].type, "histogram");
  EXPECT_EQ(f[5].type, "summary");
  EXPECT_EQ(f[6].type, "untyped");
  ASSERT_EQ(exposition.samples.size(), 1u);
  EXPECT_EQ(exposition.samples[0].value, 3);
}

TEST(ExpositionTest, BlankLinesAndNoTrailingNewline) {
  Exposition exposition = ParseExposition("\n  \n\t\na 1\n\nb 2");
  ASSERT_EQ(exposition.samples.size(), 2u);
  EXPECT_EQ(exposition.samples[1].name, "b");
  EXPECT_EQ(exposition.samples[1].value, 2);
  EXPECT_TRUE(ParseExposition("").samples.empty());
}

struct InvalidCase {
  const char* text;
  const char* message;  // the whole ParseError message
};

TEST(ExpositionTest, InvalidLines) {
  const std::vector<InvalidCase> cases = {
      {"9x 1", "exposition line 1: invalid metric name"},
      {"x-y 1", "exposition line 1: invalid metric name"},
      {"{a=\"b\"} 1", "exposition line 1: invalid metric name"},
      {"x", "exposition line 1: no value for metric \"x\""},
      {"x{a=\"b\"}", "exposition line 1: no value for metric \"x\""},
      {"x abc", "exposition line 1: invalid value \"abc\""},
      {"x 1,5", "exposition line 1: invalid value \"1,5\""},
      {"x ++1", "exposition line 1: invalid value \"++1\""},
      {"x +-1", "exposition line 1: invalid value \"+-1\""},
      {"x --1", "exposition line 1: invalid value \"--1\""},
      {"x nan(1)", "exposition line 1: invalid value \"nan(1)\""},
      {"x -", "exposition line 1: invalid value \"-\""},
      {"x +", "exposition line 1: invalid value \"+\""},
      {"x 1e", "exposition line 1: invalid value \"1e\""},
      {"x 0x10", "exposition line 1: invalid value \"0x10\""},
      {"x 1 1.5", "exposition line 1: invalid timestamp \"1.5\""},
      {"x 1 +5", "exposition line 1: invalid timestamp \"+5\""},
      {"x 1 99999999999999999999", "exposition line 1: invalid timestamp \"99999999999999999999\""},
      {"x 1 2 3", "exposition line 1: unexpected text after the timestamp: \"3\""},
      {"x{9a=\"b\"} 1", "exposition line 1: invalid label name at column 3"},
      {"x{a:b=\"c\"} 1", "exposition line 1: expected '=' after label name \"a\""},
      {"x{,} 1", "exposition line 1: invalid label name at column 3"},
      {"x{a=\"b\",,} 1", "exposition line 1: invalid label name at column 9"},
      {"x{a} 1", "exposition line 1: expected '=' after label name \"a\""},
      {"x{a=b} 1", "exposition line 1: expected '\"' to start the value of label \"a\""},
      {"x{a=\"b\" c=\"d\"} 1", "exposition line 1: expected ',' or '}' after label \"a\""},
      {"x{a=\"b\"", "exposition line 1: unterminated label set"},
      {"x{a=\"b", "exposition line 1: unterminated label value"},
      {"x{a=\"b\\\"} 1", "exposition line 1: unterminated label value"},
      {"x{a=\"\\t\"} 1", "exposition line 1: invalid escape sequence '\\t'"},
      {"x{a=\"1\",a=\"2\"} 1", "exposition line 1: duplicate label \"a\""},
      {"x{b=\"1\",a=\"2\",b=\"3\"} 1", "exposition line 1: duplicate label \"b\""},
      {"# HELP", "exposition line 1: invalid metric name in # HELP line"},
      {"# HELP 1x text", "exposition line 1: invalid metric name in # HELP line"},
      {"# HELP x-y text", "exposition line 1: invalid metric name in # HELP line"},
      {"# HELP x bad \\t escape", "exposition line 1: invalid escape sequence '\\t'"},
      {"# HELP x ends in \\", "exposition line 1: backslash at the end of the text"},
      {"# TYPE x", "exposition line 1: unknown metric type \"\""},
      {"# TYPE x Counter", "exposition line 1: unknown metric type \"Counter\""},
      {"# TYPE x gauge extra", "exposition line 1: unexpected text after the type of \"x\""},
      {"# TYPE", "exposition line 1: invalid metric name in # TYPE line"},
      {"# HELP x a\n# HELP x b", "exposition line 2: second HELP line for metric \"x\""},
      {"# TYPE x gauge\n# TYPE x gauge", "exposition line 2: second TYPE line for metric \"x\""},
      {"a 1\n\n# comment\nb", "exposition line 4: no value for metric \"b\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      ParseExposition(c.text);
      ADD_FAILURE() << "no ParseError";
    } catch (const ParseError& error) {
      EXPECT_STREQ(error.what(), c.message);
    }
  }
}

// What the exporter renders, the advisor must read back exactly: every label value, and
// every value to the 16 significant digits RenderText writes.
TEST(ExpositionTest, RoundTripsRenderText) {
  const std::vector<std::string> awkward = {
      "", "plain", "back\\slash", "quo\"te", "new\nline", "\\n", "\\\"", "trailing\\", "}", "{a=\"b\"}",
      ",", "=", "# HELP x y", " spaced  out ", "\ttab", "ünïcødé ✓", "\\\\\\", "\"\"",
  };
  const std::vector<double> values = {
      0, -0.0, 1, -1, 1e-07, 0.1, 1.0 / 3, 123456789012345, 1.5e308, -2.5e-310, 5e-324,
      std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(),
  };
  MetricSet set;
  Family counter = set.Counter("wgtune_test_total", "A counter with awkward labels.");
  Family gauge = set.Gauge("wgtune_test:gauge", "A gauge with awkward values.");
  set.Gauge("wgtune_empty", "Left out: no series.");
  for (size_t i = 0; i < awkward.size(); ++i) {
    // Labels deliberately out of name order; the parser sorts them.
    counter.Add({{"z", awkward[i]}, {"a", awkward[awkward.size() - 1 - i]}, {"index", std::to_string(i)}},
                static_cast<double>(i));
  }
  for (size_t i = 0; i < values.size(); ++i) gauge.Add({{"index", std::to_string(i)}}, values[i]);

  Exposition exposition = ParseExposition(RenderText(set.families()));

  ASSERT_EQ(exposition.families.size(), 2u);
  EXPECT_EQ(exposition.families[0].name, "wgtune_test_total");
  EXPECT_EQ(exposition.families[0].type, "counter");
  EXPECT_EQ(exposition.families[0].help, "A counter with awkward labels.");
  EXPECT_EQ(exposition.families[1].name, "wgtune_test:gauge");
  EXPECT_EQ(exposition.families[1].type, "gauge");
  EXPECT_EQ(exposition.families[1].help, "A gauge with awkward values.");

  ASSERT_EQ(exposition.samples.size(), awkward.size() + values.size());
  for (size_t i = 0; i < awkward.size(); ++i) {
    SCOPED_TRACE(awkward[i]);
    const ExpositionSample& sample = exposition.samples[i];
    EXPECT_EQ(sample.name, "wgtune_test_total");
    EXPECT_EQ(sample.labels, (LabelPairs{{"a", awkward[awkward.size() - 1 - i]},
                                         {"index", std::to_string(i)},
                                         {"z", awkward[i]}}));
    EXPECT_EQ(sample.value, static_cast<double>(i));
    EXPECT_FALSE(sample.timestamp_ms);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const ExpositionSample& sample = exposition.samples[awkward.size() + i];
    SCOPED_TRACE(i);
    EXPECT_EQ(sample.name, "wgtune_test:gauge");
    EXPECT_EQ(sample.labels, (LabelPairs{{"index", std::to_string(i)}}));
    double want = values[i];
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(sample.value));
    } else if (std::isinf(want) || want == 0) {
      EXPECT_EQ(sample.value, want);
      EXPECT_EQ(std::signbit(sample.value), std::signbit(want));
    } else {
      // 16 significant digits: within one unit in the 16th digit.
      EXPECT_NEAR(sample.value, want, std::abs(want) * 1e-15);
    }
  }
}

// RenderText writes 16 significant digits, which rounds DBL_MAX up past itself; it reads back
// as +Inf (as strtod would read it) rather than failing the whole scrape.
TEST(ExpositionTest, RenderedDoubleMaxReadsBackAsInfinity) {
  MetricSet set;
  set.Gauge("g", "h").Add({}, std::numeric_limits<double>::max()).Add({}, std::numeric_limits<double>::lowest());
  Exposition exposition = ParseExposition(RenderText(set.families()));
  ASSERT_EQ(exposition.samples.size(), 2u);
  EXPECT_EQ(exposition.samples[0].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(exposition.samples[1].value, -std::numeric_limits<double>::infinity());
}

size_t CountSampleLines(std::string_view text) {
  size_t count = 0;
  ForEachLine(text, [&](std::string_view line) {
    line = Trim(line);
    if (!line.empty() && line.front() != '#') ++count;
  });
  return count;
}

const ExpositionSample* FindSample(const Exposition& exposition, std::string_view name, const LabelPairs& labels) {
  for (const auto& sample : exposition.samples) {
    if (sample.name == name && sample.labels == labels) return &sample;
  }
  return nullptr;
}

TEST(ExpositionTest, ParsesTheGoldenExposition) {
  std::string text = ReadFixture("e2e/golden.prom");
  Exposition exposition = ParseExposition(text);
  EXPECT_EQ(exposition.samples.size(), CountSampleLines(text));
  EXPECT_GT(exposition.samples.size(), 100u);

  const ExpositionSample* dropped = FindSample(exposition, "wgtune_softnet_dropped_total", {{"cpu", "1"}});
  ASSERT_NE(dropped, nullptr);
  EXPECT_EQ(dropped->value, 1570);
  const ExpositionSample* cpus = FindSample(exposition, "wgtune_cpus_info", {{"cpus", "0-3"}, {"state", "online"}});
  ASSERT_NE(cpus, nullptr);
  EXPECT_EQ(cpus->value, 1);
  const ExpositionSample* user =
      FindSample(exposition, "wgtune_cpu_seconds_total", {{"cpu", "2"}, {"mode", "user"}});
  ASSERT_NE(user, nullptr);
  EXPECT_DOUBLE_EQ(user->value, 998.18);

  // wgtune writes HELP and TYPE for every family it serves.
  for (const auto& family : exposition.families) {
    SCOPED_TRACE(family.name);
    EXPECT_NE(family.type, "untyped");
    EXPECT_FALSE(family.help.empty());
  }
}

// A real node_exporter 1.5 scrape (cpu, softnet and netstat collectors plus the Go and
// process metrics): summaries, exponents, empty label values, long HELP texts.
TEST(ExpositionTest, ParsesNodeExporterOutput) {
  std::string text = ReadFixture("exposition/node_exporter-1.5.prom");
  Exposition exposition = ParseExposition(text);
  EXPECT_EQ(exposition.samples.size(), CountSampleLines(text));
  EXPECT_GT(exposition.samples.size(), 200u);

  size_t type_lines = 0;
  ForEachLine(text, [&](std::string_view line) { type_lines += StartsWith(line, "# TYPE ") ? 1 : 0; });
  EXPECT_EQ(exposition.families.size(), type_lines);
  std::set<std::string> types;
  for (const auto& family : exposition.families) {
    EXPECT_FALSE(family.help.empty()) << family.name;
    types.insert(family.type);
  }
  EXPECT_TRUE(types.count("counter"));
  EXPECT_TRUE(types.count("gauge"));
  EXPECT_TRUE(types.count("summary"));

  const ExpositionSample* alloc = FindSample(exposition, "go_memstats_buck_hash_sys_bytes", {});
  ASSERT_NE(alloc, nullptr);
  EXPECT_EQ(alloc->value, 1.445225e+06);
  const ExpositionSample* quantile = FindSample(exposition, "go_gc_duration_seconds", {{"quantile", "0.5"}});
  ASSERT_NE(quantile, nullptr);
  EXPECT_EQ(quantile->value, 0);

  // The softnet collector is the one the advisor reads from node_exporter.
  bool saw_softnet = false;
  for (const auto& sample : exposition.samples) saw_softnet |= StartsWith(sample.name, "node_softnet_");
  EXPECT_TRUE(saw_softnet);
}

}  // namespace
}  // namespace wgtune
