#include "advisor/workflow/comparison.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <tuple>

#include "advisor/rules/loader.h"
#include "common/text.h"
#include "common/tuning_config.h"

namespace wgtune {
namespace {

std::string Printf(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// 3 significant digits without an exponent: 943, 94.3, 9.43.
std::string ThreeDigits(double value) {
  if (std::fabs(value) >= 99.95) return Printf("%.0f", value);
  if (std::fabs(value) >= 9.995) return Printf("%.1f", value);
  return Printf("%.2f", value);
}

bool IsInfoFamily(std::string_view family) { return EndsWith(family, "_info"); }

// The series' identity in a diff: family and every label.
std::string SeriesKey(const KnobLineParts& parts) {
  std::string key = parts.family;
  for (const auto& [name, value] : parts.labels) key += '\x1f' + name + '\x1e' + value;
  return key;
}

// The knob as `name{label=value,...}` (no quotes: a table cell, not PromQL), which keeps
// "rps_cpus{device=eth0,queue=0} 0→2" from reading as three numbers.
std::string LabelValuesText(const KnobLineParts& parts, size_t skip = static_cast<size_t>(-1)) {
  std::string text = KnobName(parts.family);
  std::string labels;
  for (size_t i = 0; i < parts.labels.size(); ++i) {
    if (i == skip) continue;
    if (!labels.empty()) labels += ',';
    labels += parts.labels[i].first + '=' + (parts.labels[i].second.empty() ? "\"\"" : parts.labels[i].second);
  }
  return labels.empty() ? text : text + '{' + labels + '}';
}

// The one label in which two lines of the same family differ, when they differ in exactly one
// label value and nothing else (same label names, same value).
std::optional<size_t> OneLabelApart(const KnobLineParts& a, const KnobLineParts& b) {
  if (a.family != b.family || a.value != b.value || a.labels.size() != b.labels.size()) return std::nullopt;
  std::optional<size_t> differing;
  for (size_t i = 0; i < a.labels.size(); ++i) {
    if (a.labels[i].first != b.labels[i].first) return std::nullopt;
    if (a.labels[i].second == b.labels[i].second) continue;
    if (differing) return std::nullopt;
    differing = i;
  }
  return differing;
}

std::string_view ChangeStateName(ChangeState state) {
  switch (state) {
    case ChangeState::kFirst: return "first";
    case ChangeState::kSame: return "same";
    case ChangeState::kChanged: return "changed";
    case ChangeState::kUnknown: return "unknown";
  }
  return "unknown";
}

std::string_view LoadStateName(LoadState state) {
  switch (state) {
    case LoadState::kAbsent: return "absent";
    case LoadState::kIdle: return "idle";
    case LoadState::kUnderLoad: return "under_load";
  }
  return "absent";
}

// A Markdown table cell: pipes escaped, no line breaks.
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.empty() ? "—" : out;
}

std::string ChangesCell(const ComparisonRow& row) {
  switch (row.change_state) {
    case ChangeState::kFirst: return "(first)";
    case ChangeState::kSame: return "same";
    case ChangeState::kUnknown: return "?";
    case ChangeState::kChanged: return ChangesText(row.changes);
  }
  return "?";
}

std::string ConfigCell(const ComparisonRow& row) {
  std::string text = row.config;
  if (row.fingerprint) {
    if (!text.empty()) text += ' ';
    text += '`';
    text += *row.fingerprint;
    text += '`';
  }
  return text.empty() ? "?" : text;
}

std::string LoadCell(size_t column, double value) {
  std::string_view key = kLoadViewColumns[column].key;
  if (EndsWith(key, "_bits_per_second")) return FormatBitsPerSecond(value);
  if (EndsWith(key, "_ratio")) return FormatPercent(value);
  return FormatCount(value);
}

std::string SpanCell(const ComparisonRow& row) {
  std::string text = FormatSpan(row.start, row.end) + " (" + FormatPrometheusDuration(std::round(row.end - row.start));
  if (row.load_state == LoadState::kUnderLoad && row.load_seconds) {
    text += ", " + FormatPrometheusDuration(std::round(*row.load_seconds)) + " under load";
  }
  return text + ")";
}

void AppendMarkdownTable(std::string& out, const std::vector<const ComparisonRow*>& rows) {
  bool throughput = false, scenario = true;
  for (const ComparisonRow* row : rows) {
    throughput = throughput || row->throughput.has_value();
    scenario = scenario && !row->scenario.empty();
  }
  std::vector<std::string> header = {"config", "changes", scenario ? "scenario" : "span"};
  if (throughput) header.emplace_back("throughput");
  for (const LoadViewColumn& column : kLoadViewColumns) header.emplace_back(column.header);
  auto append_line = [&out](const std::vector<std::string>& cells) {
    out += '|';
    for (const std::string& cell : cells) out += " " + cell + " |";
    out += '\n';
  };
  append_line(header);
  std::vector<std::string> rule;
  for (size_t i = 0; i < header.size(); ++i) rule.emplace_back(i < 3 ? "---" : "---:");
  append_line(rule);
  for (const ComparisonRow* row : rows) {
    std::vector<std::string> cells = {Cell(ConfigCell(*row)), Cell(ChangesCell(*row)),
                                      Cell(scenario ? row->scenario : SpanCell(*row))};
    if (throughput) cells.push_back(row->throughput ? FormatBitsPerSecond(*row->throughput) : "—");
    for (size_t i = 0; i < kLoadViewColumns.size(); ++i) {
      if (row->load_state == LoadState::kIdle) {
        cells.emplace_back(i == 0 ? "no load" : "—");
      } else if (row->load_state == LoadState::kAbsent || !row->load[i]) {
        cells.emplace_back("—");
      } else {
        cells.push_back(LoadCell(i, *row->load[i]));
      }
    }
    append_line(cells);
  }
}

}  // namespace

std::optional<KnobLineParts> ParseKnobLine(std::string_view line) {
  size_t brace = line.find('{');
  if (brace == std::string_view::npos || brace == 0) return std::nullopt;
  KnobLineParts parts;
  parts.family = std::string(line.substr(0, brace));
  size_t i = brace + 1;
  while (i < line.size() && line[i] != '}') {
    size_t equals = line.find("=\"", i);
    if (equals == std::string_view::npos) return std::nullopt;
    std::string name(line.substr(i, equals - i));
    if (name.empty()) return std::nullopt;
    std::string value;
    i = equals + 2;
    for (; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] != '\\') {
        value += line[i];
        continue;
      }
      if (++i >= line.size()) return std::nullopt;
      value += line[i] == 'n' ? '\n' : line[i];  // AppendEscaped's \\ \" \n
    }
    if (i >= line.size()) return std::nullopt;  // unterminated value
    ++i;                                        // the closing quote
    parts.labels.emplace_back(std::move(name), std::move(value));
    if (i < line.size() && line[i] == ',') ++i;
  }
  if (i >= line.size() || i + 1 >= line.size() || line[i + 1] != ' ') return std::nullopt;
  parts.value = std::string(line.substr(i + 2));
  if (parts.value.empty() || parts.value.find(' ') != std::string::npos) return std::nullopt;
  return parts;
}

std::string KnobName(std::string_view family) {
  if (StartsWith(family, "wgtune_")) family.remove_prefix(7);
  if (StartsWith(family, "sysctl_") && family != "sysctl_info") family.remove_prefix(7);
  return std::string(family);
}

std::vector<KnobChange> DiffKnobs(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  // Series key → (parts, the whole line); unparsable lines are their own key and value.
  auto index = [](const std::vector<std::string>& lines) {
    std::map<std::string, KnobLineParts> by_key;
    for (const std::string& line : lines) {
      std::optional<KnobLineParts> parts = ParseKnobLine(line);
      if (!parts) parts = KnobLineParts{line, {}, ""};
      by_key.emplace(SeriesKey(*parts), std::move(*parts));
    }
    return by_key;
  };
  std::map<std::string, KnobLineParts> old_lines = index(before), new_lines = index(after);
  std::vector<KnobChange> changes;
  std::vector<const KnobLineParts*> removed, added;
  for (const auto& [key, parts] : old_lines) {
    auto it = new_lines.find(key);
    if (it == new_lines.end()) {
      removed.push_back(&parts);
    } else if (it->second.value != parts.value) {
      changes.push_back({LabelValuesText(parts), parts.value, it->second.value});
    }
  }
  for (const auto& [key, parts] : new_lines) {
    if (!old_lines.count(key)) added.push_back(&parts);
  }
  // A removed and an added line one label apart are that label's change.
  std::vector<bool> added_used(added.size(), false);
  for (const KnobLineParts* gone : removed) {
    bool paired = false;
    for (size_t j = 0; j < added.size() && !paired; ++j) {
      if (added_used[j]) continue;
      std::optional<size_t> label = OneLabelApart(*gone, *added[j]);
      if (!label) continue;
      added_used[j] = paired = true;
      changes.push_back({LabelValuesText(*gone, *label) + " " + gone->labels[*label].first,
                         gone->labels[*label].second, added[j]->labels[*label].second});
    }
    if (!paired) changes.push_back({LabelValuesText(*gone), gone->value, std::nullopt});
  }
  for (size_t j = 0; j < added.size(); ++j) {
    if (!added_used[j]) changes.push_back({LabelValuesText(*added[j]), std::nullopt, added[j]->value});
  }
  // The knob's family name is the knob text's first word, and families whose name is the
  // value (info series) carry "1": the sort is by knob, then values, for a stable order.
  std::sort(changes.begin(), changes.end(), [](const KnobChange& a, const KnobChange& b) {
    return std::tie(a.knob, a.before, a.after) < std::tie(b.knob, b.before, b.after);
  });
  return changes;
}

std::string ChangeText(const KnobChange& change) {
  // An info series' value is always 1: what appeared or went is said by its labels.
  std::string family = change.knob.substr(0, change.knob.find_first_of(" {"));
  auto value = [&](const std::optional<std::string>& text) {
    return !text || text->empty() || (IsInfoFamily(family) && *text == "1") ? std::string() : " " + *text;
  };
  if (!change.before) return "+" + change.knob + value(change.after);
  if (!change.after) return "-" + change.knob + value(change.before);
  return change.knob + " " + *change.before + "→" + *change.after;
}

std::string ChangesText(const std::vector<KnobChange>& changes, size_t limit) {
  std::string text;
  for (size_t i = 0; i < changes.size() && i < limit; ++i) {
    if (i > 0) text += "; ";
    text += ChangeText(changes[i]);
  }
  if (changes.size() > limit) text += "; and " + std::to_string(changes.size() - limit) + " more";
  return text;
}

void AssignChanges(std::vector<ComparisonRow>& rows) {
  std::map<std::pair<std::string, std::string>, const ComparisonRow*> previous;
  for (ComparisonRow& row : rows) {
    auto [it, first] = previous.try_emplace({row.host, row.job}, &row);
    row.changes.clear();
    if (first) {
      row.change_state = ChangeState::kFirst;
      continue;
    }
    const ComparisonRow& before = *it->second;
    it->second = &row;
    if (before.knobs && row.knobs) {
      row.changes = DiffKnobs(*before.knobs, *row.knobs);
      row.change_state = row.changes.empty() ? ChangeState::kSame : ChangeState::kChanged;
    } else if (before.fingerprint && row.fingerprint && *before.fingerprint == *row.fingerprint) {
      row.change_state = ChangeState::kSame;
    } else {
      row.change_state = ChangeState::kUnknown;
    }
  }
}

std::vector<ConfigInterval> ConfigIntervals(const promql::Matrix& config_timestamps) {
  // target → step → (sample time, fingerprint) of the newest sample.
  std::map<promql::Labels, std::map<double, std::pair<double, std::string>>> targets;
  for (const promql::Series& series : config_timestamps) {
    promql::Labels target;
    for (const auto& label : series.labels) {
      if (label.first != "fingerprint" && label.first != "__name__") target.push_back(label);
    }
    std::string fingerprint(promql::LabelValue(series.labels, "fingerprint"));
    auto& steps = targets[target];
    for (const promql::Point& point : series.points) {
      const double step = static_cast<double>(point.t) / 1000, sample_time = point.v;
      auto [it, inserted] = steps.try_emplace(step, sample_time, fingerprint);
      // Ties (two fingerprints in one scrape cannot happen) go to the greater fingerprint, so
      // that the result does not depend on the order of the series.
      if (!inserted && std::make_pair(sample_time, fingerprint) > it->second) it->second = {sample_time, fingerprint};
    }
  }
  std::vector<ConfigInterval> intervals;
  for (const auto& [target, steps] : targets) {
    const std::string instance(promql::LabelValue(target, "instance")), job(promql::LabelValue(target, "job"));
    bool open = false;
    for (const auto& [step, winner] : steps) {
      if (!open || intervals.back().fingerprint != winner.second) {
        intervals.push_back({target, instance, job, winner.second, step, step, 0});
        open = true;
      }
      intervals.back().end = step;
      intervals.back().steps += 1;
    }
  }
  return intervals;
}

LoadSelection SelectUnderLoad(const std::array<TimePoints, kLoadViewColumns.size()>& columns, double start, double end) {
  LoadSelection selection;
  auto in_span = [&](const TimePoints& points) {
    auto first = std::lower_bound(points.begin(), points.end(), start,
                                  [](const std::pair<double, double>& point, double t) { return point.first < t; });
    auto last = std::upper_bound(points.begin(), points.end(), end,
                                 [](double t, const std::pair<double, double>& point) { return t < point.first; });
    return std::make_pair(first, last);
  };
  auto [first, last] = in_span(columns[0]);
  double peak = 0;
  for (auto it = first; it != last; ++it) {
    if (!std::isnan(it->second)) peak = std::max(peak, it->second);
  }
  if (!(peak > 0)) return selection;
  std::set<double> steps;
  for (auto it = first; it != last; ++it) {
    if (it->second >= peak / 2) steps.insert(it->first);
  }
  selection.state = LoadState::kUnderLoad;
  selection.samples = steps.size();
  for (size_t column = 0; column < columns.size(); ++column) {
    auto [from, to] = in_span(columns[column]);
    double sum = 0;
    size_t count = 0;
    for (auto it = from; it != to; ++it) {
      if (steps.count(it->first) && !std::isnan(it->second)) {
        sum += it->second;
        count += 1;
      }
    }
    if (count > 0) selection.values[column] = sum / static_cast<double>(count);
  }
  return selection;
}

std::string FormatBitsPerSecond(double bits_per_second) {
  if (!std::isfinite(bits_per_second)) return Printf("%g bit/s", bits_per_second);
  const double magnitude = std::fabs(bits_per_second);
  if (magnitude >= 1e9) return ThreeDigits(bits_per_second / 1e9) + " Gbit/s";
  if (magnitude >= 1e6) return ThreeDigits(bits_per_second / 1e6) + " Mbit/s";
  if (magnitude >= 1e3) return ThreeDigits(bits_per_second / 1e3) + " kbit/s";
  return Printf("%.0f", bits_per_second) + " bit/s";
}

std::string FormatPercent(double ratio) {
  const double percent = ratio * 100;
  if (percent == 0) return "0%";
  return Printf(std::fabs(percent) >= 9.95 ? "%.0f%%" : "%.1f%%", percent);
}

std::string FormatCount(double count) {
  if (std::fabs(count) >= 9.95 || !std::isfinite(count)) return Printf("%.0f", count);
  std::string text = Printf("%.1f", count);
  if (EndsWith(text, ".0")) text.resize(text.size() - 2);
  return text == "-0" ? "0" : text;
}

std::string FormatSpan(double start, double end) {
  auto parts = [](double t) {
    std::time_t seconds = static_cast<std::time_t>(std::floor(t));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char date[16], time[16];
    std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
    std::strftime(time, sizeof time, "%H:%M:%S", &tm);
    return std::make_pair(std::string(date), std::string(time));
  };
  auto [start_date, start_time] = parts(start);
  auto [end_date, end_time] = parts(end);
  if (start_date == end_date) return start_date + " " + start_time + "–" + end_time + " UTC";
  return start_date + " " + start_time + "–" + end_date + " " + end_time + " UTC";
}

std::string MarkdownComparison(const std::vector<ComparisonRow>& rows) {
  // Hosts in the order of their first row, each with its rows in order.
  std::vector<std::pair<std::string, std::vector<const ComparisonRow*>>> hosts;
  for (const ComparisonRow& row : rows) {
    std::string host = row.host + (row.job.empty() || row.host.empty() ? "" : " (" + row.job + ")");
    auto it = std::find_if(hosts.begin(), hosts.end(), [&](const auto& entry) { return entry.first == host; });
    if (it == hosts.end()) it = hosts.insert(hosts.end(), {host, {}});
    it->second.push_back(&row);
  }
  std::string out;
  for (const auto& [host, host_rows] : hosts) {
    if (!out.empty()) out += '\n';
    if (!host.empty()) out += "### " + host + "\n\n";
    AppendMarkdownTable(out, host_rows);
  }
  return out;
}

std::string JsonComparison(const std::vector<ComparisonRow>& rows) {
  using Json = nlohmann::ordered_json;  // members in the order written: the row reads as the table
  auto optional = [](const std::optional<double>& value) {
    return value && std::isfinite(*value) ? Json(*value) : Json(nullptr);
  };
  auto text = [](const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); };
  Json list = Json::array();
  for (const ComparisonRow& row : rows) {
    Json changes = Json::array();
    for (const KnobChange& change : row.changes) {
      changes.push_back({{"knob", change.knob}, {"before", text(change.before)}, {"after", text(change.after)}});
    }
    Json exporter = nullptr;
    if (row.load_state != LoadState::kAbsent) {
      exporter = {{"load", LoadStateName(row.load_state)},
                  {"samples", row.load_samples},
                  {"seconds_under_load", optional(row.load_seconds)}};
      for (size_t i = 0; i < kLoadViewColumns.size(); ++i) {
        exporter[std::string(kLoadViewColumns[i].key)] =
            row.load_state == LoadState::kUnderLoad ? optional(row.load[i]) : Json(nullptr);
      }
    }
    list.push_back({
        {"host", row.host},
        {"job", row.job},
        {"config", row.config},
        {"fingerprint", text(row.fingerprint)},
        {"knobs_fingerprint", row.knobs ? Json(TuningFingerprint(*row.knobs)) : Json(nullptr)},
        {"changes",
         {{"state", ChangeStateName(row.change_state)},
          {"text", row.change_state == ChangeState::kChanged ? ChangesText(row.changes) : ""},
          {"list", changes}}},
        {"scenario", row.scenario.empty() ? Json(nullptr) : Json(row.scenario)},
        {"start", row.start},
        {"end", row.end},
        {"throughput_bits_per_second", optional(row.throughput)},
        {"exporter", exporter},
        {"source", row.source},
    });
  }
  return Json{{"rows", list}}.dump(2) + "\n";
}

}  // namespace wgtune
