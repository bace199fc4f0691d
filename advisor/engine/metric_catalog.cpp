#include "advisor/engine/metric_catalog.h"

#include <algorithm>

#include "common/text.h"

namespace wgtune {
namespace {

constexpr std::string_view kMetricsDoc =
#include "metrics_doc.inc"
    ;

// The cells of a Markdown table row "| a | b |", trimmed.
std::vector<std::string_view> Cells(std::string_view row) {
  std::vector<std::string_view> cells;
  row = Trim(row);
  if (row.size() < 2 || row.front() != '|' || row.back() != '|') return cells;
  row = row.substr(1, row.size() - 2);
  size_t start = 0;
  for (size_t i = 0; i <= row.size(); ++i) {
    if (i == row.size() || row[i] == '|') {
      cells.push_back(Trim(row.substr(start, i - start)));
      start = i + 1;
    }
  }
  return cells;
}

// The sentences of `meaning` that start with "Absent".
std::string AbsentSentences(std::string_view meaning) {
  std::string out;
  for (size_t at = meaning.find("Absent"); at != std::string_view::npos; at = meaning.find("Absent", at + 1)) {
    if (at > 0 && meaning[at - 1] != ' ') continue;
    size_t end = meaning.find(". ", at);
    end = end == std::string_view::npos ? meaning.size() : end + 1;
    if (!out.empty()) out += ' ';
    out += std::string(Trim(meaning.substr(at, end - at)));
  }
  return out;
}

}  // namespace

std::vector<MetricFacts> ParseMetricsDoc(std::string_view markdown) {
  std::vector<MetricFacts> facts;
  std::string collector, source;
  ForEachLine(markdown, [&](std::string_view line) {
    if (StartsWith(line, "## ")) {
      collector.clear();
      source.clear();
      constexpr std::string_view kCollector = "## Collector `";
      if (StartsWith(line, kCollector)) {
        std::string_view rest = line.substr(kCollector.size());
        collector = std::string(rest.substr(0, rest.find('`')));
      }
      return;
    }
    if (StartsWith(line, "Source: ") && source.empty()) {
      std::string_view text = line.substr(8);
      source = std::string(text.substr(0, text.find(". ")));  // the first sentence
      if (EndsWith(source, ".")) source.pop_back();
      return;
    }
    std::vector<std::string_view> cells = Cells(line);
    if (cells.size() != 4 || cells[0].size() < 3 || cells[0].front() != '`' || cells[0].back() != '`') return;
    std::string_view name = cells[0].substr(1, cells[0].size() - 2);
    if (!StartsWith(name, "wgtune_")) return;
    facts.push_back({std::string(name), collector, source, AbsentSentences(cells[3])});
  });
  std::sort(facts.begin(), facts.end(), [](const MetricFacts& a, const MetricFacts& b) { return a.name < b.name; });
  return facts;
}

const std::vector<MetricFacts>& ExporterMetrics() {
  static const std::vector<MetricFacts> facts = ParseMetricsDoc(kMetricsDoc);
  return facts;
}

const MetricFacts* FindMetric(std::string_view name) {
  const std::vector<MetricFacts>& facts = ExporterMetrics();
  auto it = std::lower_bound(facts.begin(), facts.end(), name,
                             [](const MetricFacts& fact, std::string_view wanted) { return fact.name < wanted; });
  return it != facts.end() && it->name == name ? &*it : nullptr;
}

const std::set<std::string, std::less<>>& ExporterMetricNames() {
  static const std::set<std::string, std::less<>> names = [] {
    std::set<std::string, std::less<>> out;
    for (const MetricFacts& fact : ExporterMetrics()) out.insert(fact.name);
    return out;
  }();
  return names;
}

}  // namespace wgtune
