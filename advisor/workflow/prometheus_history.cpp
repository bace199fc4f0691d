#include "advisor/workflow/prometheus_history.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>
#include <stdexcept>

#include "common/text.h"
#include "common/tuning_config.h"

namespace wgtune {
namespace {

using HostKey = std::pair<std::string, std::string>;  // (instance, job)

// Each load-view column's points per (instance, job).
using LoadColumns = std::map<HostKey, std::array<TimePoints, kLoadViewColumns.size()>>;

LoadColumns QueryLoadColumns(const HistoryRange& range) {
  LoadColumns columns;
  for (size_t i = 0; i < kLoadViewColumns.size(); ++i) {
    for (const promql::Series& series :
         QueryRange(range.base_url, kLoadViewColumns[i].expr, range.start, range.end, range.step, range.http)) {
      HostKey key{std::string(promql::LabelValue(series.labels, "instance")),
                  std::string(promql::LabelValue(series.labels, "job"))};
      TimePoints& points = columns[key][i];
      // One series per (instance, job) by the expressions' construction; should a server
      // return more, their points are merged in time order rather than one lost.
      for (const promql::Point& point : series.points) points.emplace_back(static_cast<double>(point.t) / 1000, point.v);
      std::sort(points.begin(), points.end());
    }
  }
  return columns;
}

// The host's knob lines at `time`; nullopt when the server has none of its wgtune_* series.
std::optional<std::vector<std::string>> QueryKnobs(const HistoryRange& range, const ConfigInterval& interval) {
  std::vector<promql::LabelMatcher> matchers = {{"__name__", promql::MatchOp::kRegexMatch, "wgtune_.+", 0}};
  for (const auto& [name, value] : interval.target) matchers.push_back({name, promql::MatchOp::kEqual, value, 0});
  promql::Vector series = QueryInstant(range.base_url, FormatSelector(matchers), interval.end, range.http);
  if (series.empty()) return std::nullopt;
  std::vector<std::string> lines;
  for (const promql::Sample& sample : series) {
    KnobLabels labels;
    for (const auto& [name, value] : sample.labels) {
      if (name == "__name__" || promql::LabelValue(interval.target, name) == value) continue;
      labels.emplace_back(name, value);
    }
    if (auto line = TuningKnobLine(promql::LabelValue(sample.labels, "__name__"), labels, sample.value)) {
      lines.push_back(std::move(*line));
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// Digits at text[pos, pos + count) as a number; -1 when they are not all digits.
int Digits(std::string_view text, size_t pos, size_t count) {
  if (pos + count > text.size()) return -1;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::vector<ComparisonRow> ReadPrometheusHistory(const HistoryRange& range) {
  if (!(range.end > range.start)) throw std::invalid_argument("the range's end must be after its start");
  std::vector<ConfigInterval> intervals = ConfigIntervals(QueryRange(
      range.base_url, "timestamp(wgtune_tuning_config_info)", range.start, range.end, range.step, range.http));
  if (!range.instances.empty()) {
    std::erase_if(intervals, [&](const ConfigInterval& interval) {
      return std::find(range.instances.begin(), range.instances.end(), interval.instance) == range.instances.end();
    });
  }
  if (intervals.empty()) {
    throw std::runtime_error("prometheus " + range.base_url + " has no wgtune_tuning_config_info series between " +
                             FormatSpan(range.start, range.end) +
                             (range.instances.empty() ? "" : " for the instances asked for"));
  }
  LoadColumns columns = QueryLoadColumns(range);
  static const std::array<TimePoints, kLoadViewColumns.size()> kNoColumns{};
  std::vector<ComparisonRow> rows;
  for (const ConfigInterval& interval : intervals) {
    ComparisonRow row;
    row.host = interval.instance;
    row.job = interval.job;
    row.fingerprint = interval.fingerprint;
    row.start = interval.start;
    row.end = interval.end;
    row.source = range.base_url;
    auto it = columns.find({interval.instance, interval.job});
    LoadSelection selection = SelectUnderLoad(it == columns.end() ? kNoColumns : it->second, interval.start, interval.end);
    row.load_state = selection.state;
    row.load = selection.values;
    row.load_samples = selection.samples;
    if (selection.state == LoadState::kUnderLoad) row.load_seconds = static_cast<double>(selection.samples) * range.step;
    row.knobs = QueryKnobs(range, interval);
    rows.push_back(std::move(row));
  }
  AssignChanges(rows);
  return rows;
}

std::optional<double> ParseTimeArgument(std::string_view text) {
  if (std::optional<double> unix = ParseDouble(text)) {
    if (std::isfinite(*unix)) return unix;
    return std::nullopt;
  }
  // RFC 3339: 2025-11-25T14:00:00[.fraction](Z|±HH:MM); 't' and 'z' in lower case too.
  const int year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  const int hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  size_t pos = 19;
  double fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    size_t digits_end = pos + 1;
    while (digits_end < text.size() && std::isdigit(static_cast<unsigned char>(text[digits_end]))) ++digits_end;
    if (digits_end == pos + 1) return std::nullopt;
    fraction = *ParseDouble("0" + std::string(text.substr(pos, digits_end - pos)));
    pos = digits_end;
  }
  int offset_seconds = 0;
  std::string_view zone = text.substr(std::min(pos, text.size()));
  if (zone == "Z" || zone == "z") {
    offset_seconds = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const int zone_hour = Digits(zone, 1, 2), zone_minute = Digits(zone, 4, 2);
    if (zone_hour < 0 || zone_hour > 23 || zone_minute < 0 || zone_minute > 59) return std::nullopt;
    offset_seconds = (zone_hour * 3600 + zone_minute * 60) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t utc = timegm(&tm);
  // timegm normalises 2025-02-30 to March 2nd: such a date is not a date.
  std::tm check{};
  gmtime_r(&utc, &check);
  if (check.tm_mday != day && second != 60) return std::nullopt;
  return static_cast<double>(utc) - offset_seconds + fraction;
}

}  // namespace wgtune
