// Durations as Prometheus writes them (model.Duration): "30s", "5m", "1h30m", "1d", "500ms".
//
// One definition for the range of a selector (`x[5m]`), a rule's `for`, and the advisor's
// duration flags, so that whatever a user writes in one place means the same in the others.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wgtune {

// A Prometheus duration in seconds, exact to the millisecond; nullopt when malformed (units
// y w d h m s ms, in decreasing order, each at most once; "0" alone is allowed) or longer than
// Prometheus takes (its int64 nanoseconds: 292 years and a half).
std::optional<double> ParsePrometheusDuration(std::string_view text);

// The inverse, as Prometheus prints durations: 330 → "5m30s", 5.001 → "5s1ms", 604800 →
// "1w", 90 days → "90d" (years and weeks only when exact), 0 → "0s". Rounds to milliseconds.
std::string FormatPrometheusDuration(double seconds);

}  // namespace wgtune
