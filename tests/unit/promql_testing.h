// Helpers for tests of the PromQL engine: series from exposition text, Prometheus's "load"
// notation for histories, and results rendered in the notation of Prometheus's .test files.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "advisor/promql/eval.h"
#include "advisor/promql/parser.h"
#include "advisor/sources/scrape_history.h"
#include "common/exposition.h"
#include "common/text.h"

namespace wgtune::promql {

inline Vector SamplesFrom(std::string_view exposition) {
  Vector samples;
  for (ExpositionSample& parsed : ParseExposition(exposition).samples) {
    Sample sample{std::move(parsed.labels), parsed.value};
    sample.labels.emplace_back("__name__", parsed.name);
    std::sort(sample.labels.begin(), sample.labels.end());
    samples.push_back(std::move(sample));
  }
  return samples;
}

// Shortest round-trip digits; fixed notation unless the exponent is extreme.
inline std::string RenderNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  char* end = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific).ptr;
  int exponent = std::stoi(std::string(std::find(buffer, end, 'e') + 1, end));
  if (exponent >= -5 && exponent < 21) {
    end = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed).ptr;
  }
  return std::string(buffer, end);
}

// name{a="1", b="2"}, or {a="1"} without a name.
inline std::string RenderLabels(const Labels& labels) {
  std::string out;
  std::string_view name = LabelValue(labels, "__name__");
  out += name;
  bool has_other_labels = labels.size() > (name.empty() ? 0 : 1);
  if (has_other_labels || name.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (label == "__name__") continue;
      if (!first) out += ", ";
      first = false;
      out += label + "=\"";
      AppendEscaped(out, label_value);
      out += '"';
    }
    out += '}';
  }
  return out;
}

// Prometheus's test notation: name{a="1", b="2"} value, one series a line, in result order; a
// range vector as name{...} value@seconds value@seconds ...
inline std::string Render(const Value& value) {
  std::string out;
  switch (value.type) {
    case ValueType::kScalar: return "scalar " + RenderNumber(value.scalar);
    case ValueType::kString: return "string " + value.string;
    case ValueType::kMatrix:
      for (const Series& series : value.matrix) {
        if (!out.empty()) out += '\n';
        out += RenderLabels(series.labels);
        for (const Point& point : series.points) {
          out += ' ' + RenderNumber(point.v) + '@' + RenderNumber(static_cast<double>(point.t) / 1000);
        }
      }
      return out;
    case ValueType::kVector: break;
  }
  for (const Sample& sample : value.vector) {
    if (!out.empty()) out += '\n';
    out += RenderLabels(sample.labels) + ' ' + RenderNumber(sample.value);
  }
  return out;
}

// Evaluates `expr` over `source` at `time_seconds` and expects Render()'s output `want`, or, when
// `want` is "error: <text>", an EvalError whose message contains <text>.
inline void ExpectEvaluates(std::string_view expr, SeriesSource& source, double time_seconds, std::string_view want) {
  std::unique_ptr<Expr> tree;
  ASSERT_NO_THROW(tree = ParseExpr(expr)) << expr;
  std::string got;
  try {
    got = Render(Evaluate(*tree, source, time_seconds));
  } catch (const EvalError& error) {
    got = std::string("error: ") + error.what();
  }
  if (StartsWith(want, "error: ")) {
    EXPECT_TRUE(StartsWith(got, "error: ") && got.find(want.substr(7)) != std::string::npos)
        << expr << "\ngot:  " << got << "\nwant: " << want;
  } else {
    EXPECT_EQ(got, want) << expr;
  }
}

// One line of a .test file's load block: a series and its values, one per step from time 0:
// numbers, NaN, Inf, "_" for no sample, and "a+bxn" / "a-bxn" for a, a±b, ... (n + 1 values).
struct LoadedSeries {
  std::string series;  // name{labels}
  std::string values;
};

// The series of a load block as a history scraped every `step_seconds` from 0: each step's
// samples appended as one scrape. (Prometheus's test framework does not mark gaps stale; the
// tests here put "_" only where the history's staleness does not matter.)
inline ScrapeHistory LoadHistory(double step_seconds, const std::vector<LoadedSeries>& lines,
                                 double retention_seconds = 86400) {
  std::vector<std::vector<std::optional<double>>> values;
  std::vector<Labels> labels;
  size_t steps = 0;
  for (const LoadedSeries& line : lines) {
    labels.push_back(SamplesFrom(line.series + " 0\n").at(0).labels);
    std::vector<std::optional<double>> series;
    for (std::string_view word : SplitFields(line.values)) {
      size_t x = word.find('x');
      size_t sign = word.find_first_of("+-", 1);
      if (x != std::string_view::npos && sign != std::string_view::npos && sign < x) {
        double start = *ParseDouble(word.substr(0, sign));
        double delta = *ParseDouble(word.substr(sign + 1, x - sign - 1)) * (word[sign] == '-' ? -1 : 1);
        auto count = *ParseUint(word.substr(x + 1));
        for (uint64_t i = 0; i <= count; ++i) series.push_back(start + delta * static_cast<double>(i));
      } else if (word == "_") {
        series.push_back(std::nullopt);
      } else {
        series.push_back(*ParseDouble(word));
      }
    }
    steps = std::max(steps, series.size());
    values.push_back(std::move(series));
  }
  ScrapeHistory history(ToTimestamp(retention_seconds));
  for (size_t step = 0; step < steps; ++step) {
    Vector scrape;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (step < values[i].size() && values[i][step]) scrape.push_back(Sample{labels[i], *values[i][step]});
    }
    history.Append(ToTimestamp(static_cast<double>(step) * step_seconds), std::move(scrape));
  }
  return history;
}

}  // namespace wgtune::promql
