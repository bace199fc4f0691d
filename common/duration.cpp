#include "common/duration.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "common/text.h"

namespace wgtune {

std::optional<double> ParsePrometheusDuration(std::string_view text) {
  if (text == "0") return 0.0;
  if (text.empty()) return std::nullopt;
  // Units in the only order Prometheus accepts them, with their length in milliseconds.
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000}, {"h", 3600000},
      {"m", 60000},           {"s", 1000},           {"ms", 1}};
  constexpr size_t kUnitCount = std::size(kUnits);
  size_t next_unit = 0;  // the largest unit still allowed
  int64_t millis = 0;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0) return std::nullopt;
    auto number = ParseUint(text.substr(0, digits));
    if (!number || *number > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    text.remove_prefix(digits);
    size_t unit_length = 0;
    while (unit_length < text.size() && text[unit_length] >= 'a' && text[unit_length] <= 'z') ++unit_length;
    const std::string_view unit = text.substr(0, unit_length);
    size_t index = 0;
    while (index < kUnitCount && kUnits[index].first != unit) ++index;
    if (index == kUnitCount || index < next_unit) return std::nullopt;
    next_unit = index + 1;
    // Prometheus keeps a duration in nanoseconds of an int64 (Go's time.Duration): about 292
    // years at most; anything longer it refuses, and so do we, before any product overflows.
    constexpr int64_t kMaxMillis = INT64_MAX / 1000000;
    if (static_cast<int64_t>(*number) > (kMaxMillis - millis) / kUnits[index].second) return std::nullopt;
    millis += static_cast<int64_t>(*number) * kUnits[index].second;
    text.remove_prefix(unit_length);
  }
  return static_cast<double>(millis) / 1000;
}

std::string FormatPrometheusDuration(double seconds) {
  auto millis = static_cast<int64_t>(std::llround(seconds * 1000));
  if (millis <= 0) return "0s";
  std::string out;
  // Years and weeks only when they divide exactly: 90d reads better than 12w6d.
  static constexpr struct {
    const char* unit;
    int64_t length;
    bool exact;
  } kUnits[] = {{"y", 365LL * 86400000, true}, {"w", 7LL * 86400000, true}, {"d", 86400000, false},
                {"h", 3600000, false},         {"m", 60000, false},         {"s", 1000, false},
                {"ms", 1, false}};
  for (const auto& [unit, length, exact] : kUnits) {
    if (exact && millis % length != 0) continue;
    if (millis >= length) {
      out += std::to_string(millis / length) + unit;
      millis %= length;
    }
  }
  return out;
}

}  // namespace wgtune
