// The host's tuning configuration as one value: a fingerprint of the tuning knobs the collectors
// report, so that a comparison of benchmark runs (the field guide's table, issue 5), a dashboard
// or the advisor can tell "same configuration" from "something was changed" by one label.
//
// A knob is a setting an operator changes to tune the host: a sysctl, an RPS mask, a ring
// size, an IRQ's affinity, a qdisc. Counters, rates, shares and gauges of load (conntrack
// entries, queue backlogs) are not knobs and never enter; nor do identities that are not tuning
// (a WireGuard public key). The list of knob families is in tuning_config.cpp, one place, with
// the reason each is there.
//
// The fingerprint does not depend on the order of collectors, families or series: every knob
// series becomes one line, `family{label="value",...} value` with only the labels that belong to
// the knob and have a value (sorted by name, escaped as in the exposition format) and the value
// in shortest round-trip form; the lines are sorted, then hashed with FNV-1a 64
// (common/fnv1a.h). It is written as 16 lower-case hex digits. Two hosts print the same
// fingerprint when they run the same collectors with the same knob values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metric_set.h"

namespace wgtune {

// A series' labels as (name, value) pairs, without the metric name; any order.
using KnobLabels = std::vector<std::pair<std::string, std::string>>;

// One series as a knob line, or nullopt when the series is not a knob. For readers of a
// scrape or of Prometheus (the advisor's comparison of configurations), who have series, not
// a MetricSet.
std::optional<std::string> TuningKnobLine(std::string_view family, const KnobLabels& labels, double value);

// The knob series among `families` (typically what one collector produced in one sample),
// serialized as above, sorted.
std::vector<std::string> TuningKnobLines(const MetricSet& families);

// The fingerprint of knob lines, in any order: FNV-1a 64 over the sorted lines, 16 hex digits.
std::string TuningFingerprint(std::vector<std::string> lines);

}  // namespace wgtune
