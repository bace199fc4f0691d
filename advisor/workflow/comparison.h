// The field guide's comparison table (§7 step 6, §7.1): one row per configuration and scenario
// (benchmark runs) or per configuration and time span (a Prometheus server's history), with
// what changed since the configuration before it, the throughput, and the exporter's view of
// the host under load (the four kLoadViewColumns of load_view.h).
//
// This file is the table's model and every computation on it, all pure: the readable form of
// knob changes, the choice of the steps "under load", the intervals of constant configuration
// in a history, and the Markdown and JSON renderings. Reading the rows is elsewhere:
// run_files.h (the files `wgtune-advisor baseline` writes) and prometheus_history.h (range
// queries).
//
// Knob changes are derived from the knob lines (common/tuning_config.h, the lines the exporter
// fingerprints) and from nothing else, so a knob the exporter learns tomorrow shows up here
// without a line of code: the family name without its wgtune_ (and sysctl_) prefix, the values
// of its labels, old→new. Two lines of one family that differ in exactly one label value are
// shown as that label's change (an info series whose `mask` changed is one change, not a
// removal and an addition).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "advisor/sources/prometheus_api.h"
#include "advisor/workflow/load_view.h"

namespace wgtune {

// The values of the kLoadViewColumns, in their order; nullopt where the exporter has no such
// series (or, from Prometheus, no value at the steps under load).
using LoadValues = std::array<std::optional<double>, kLoadViewColumns.size()>;

// (unix seconds, value) in time order, as a range query returns them.
using TimePoints = std::vector<std::pair<double, double>>;

// Whether a row has the exporter's view of the host, and whether that view saw traffic.
enum class LoadState {
  kAbsent,     // no exporter view: a run without --exporter
  kIdle,       // a configuration interval whose throughput never rose above zero: "no load"
  kUnderLoad,  // the values are means over the scrapes or steps under load
};

// One change of a knob between two configurations. `before` is nullopt when the knob appeared,
// `after` when it disappeared.
struct KnobChange {
  std::string knob;  // "net_core_netdev_max_backlog", "rps_cpus eth0 rx-0", "rps_info eth0 rx-0 mask"
  std::optional<std::string> before;
  std::optional<std::string> after;

  bool operator==(const KnobChange&) const = default;
};

// How a row's configuration relates to the one of the row before it (of the same host).
enum class ChangeState {
  kFirst,    // the host's first row: nothing to compare with
  kSame,     // same knobs
  kChanged,  // `changes` lists what differs
  kUnknown,  // the knobs of this row or of the one before are unknown (no exporter)
};

struct ComparisonRow {
  std::string host;  // Prometheus: the instance label; run files: "" (one sequence)
  std::string job;   // Prometheus: the job label
  std::string config;  // a name for the configuration (a run directory's name); may be empty
  std::optional<std::string> fingerprint;          // wgtune_tuning_config_info's label
  std::optional<std::vector<std::string>> knobs;   // sorted knob lines; nullopt: unknown
  std::string scenario;                            // run files: "tcp_fwd" ...; Prometheus: ""
  double start = 0;                                // unix seconds: the run, or the interval's
  double end = 0;                                  //   first and last step
  std::optional<double> throughput;                // iperf3's received bit/s (run files)
  LoadState load_state = LoadState::kAbsent;
  LoadValues load{};
  size_t load_samples = 0;                         // scrapes, or steps under load
  std::optional<double> load_seconds;              // Prometheus: time under load (steps × step)
  std::string source;                              // the run file, or the Prometheus URL
  ChangeState change_state = ChangeState::kUnknown;  // set by AssignChanges
  std::vector<KnobChange> changes;
};

// A knob line split into its parts: `family{name="value",...} value`, label values unescaped.
struct KnobLineParts {
  std::string family;
  std::vector<std::pair<std::string, std::string>> labels;  // in the line's order (sorted)
  std::string value;
};

// Splits a knob line as TuningKnobLine writes it; nullopt when it does not have that shape.
std::optional<KnobLineParts> ParseKnobLine(std::string_view line);

// A knob family's readable name: without "wgtune_", and without "sysctl_" after it unless
// that leaves the family's bare kind ("info"): wgtune_sysctl_net_core_netdev_budget →
// net_core_netdev_budget, wgtune_sysctl_info → sysctl_info, wgtune_rps_cpus → rps_cpus.
std::string KnobName(std::string_view family);

// What changed from the knob lines `before` to `after` (any order): values of the same series
// (family and labels), label changes (see above), series that appeared or disappeared. Ordered
// by the readable knob name. A line that is not a knob line is compared as an opaque whole.
std::vector<KnobChange> DiffKnobs(const std::vector<std::string>& before, const std::vector<std::string>& after);

// One change as text: "net_core_netdev_max_backlog 1000→10000", "+sysctl_info
// net.ipv4.tcp_congestion_control bbr" (appeared), "-qdisc_info eth0 pfifo_fast" (gone). An
// info series' value 1 is left out.
std::string ChangeText(const KnobChange& change);

// The first `limit` changes joined by "; ", then "; and N more" when there are more.
std::string ChangesText(const std::vector<KnobChange>& changes, size_t limit = 4);

// Sets change_state and changes of every row against the previous row of the same (host, job),
// in the order of `rows`. Knobs are compared when both rows have them; otherwise two equal
// fingerprints still mean kSame.
void AssignChanges(std::vector<ComparisonRow>& rows);

// An interval of one configuration in a Prometheus history: the steps of a range query at which
// the host's latest wgtune_tuning_config_info sample had this fingerprint.
struct ConfigInterval {
  promql::Labels target;  // the series' labels but fingerprint: what Prometheus added (instance, job, ...)
  std::string instance;
  std::string job;
  std::string fingerprint;
  double start = 0;  // first step
  double end = 0;    // last step
  size_t steps = 0;
};

// The intervals from the range query `timestamp(wgtune_tuning_config_info)`: per target (the
// labels but fingerprint) and step, the fingerprint whose sample is the newest wins (in a
// history without staleness markers, such as backfilled data, the old fingerprint's series
// lingers for the lookback after a change); runs of equal winners form intervals. Gaps (no
// series at all for a while: the exporter was down) do not end an interval. Sorted by target,
// then start.
std::vector<ConfigInterval> ConfigIntervals(const promql::Matrix& config_timestamps);

// The exporter's view of one interval [start, end] under load: the steps whose throughput
// (column 0) is at least half of the interval's peak; each column is the mean of its values at
// those steps (NaN ignored). kIdle when the interval has no throughput value above zero.
struct LoadSelection {
  LoadState state = LoadState::kIdle;
  LoadValues values{};
  size_t samples = 0;
};
LoadSelection SelectUnderLoad(const std::array<TimePoints, kLoadViewColumns.size()>& columns, double start, double end);

// Human forms of the table's numbers: 943 Mbit/s, 1.23 Gbit/s; 41%, 3.5%; 0, 2.5, 12345.
std::string FormatBitsPerSecond(double bits_per_second);
std::string FormatPercent(double ratio);
std::string FormatCount(double count);

// "2025-11-25 12:00:00–12:39:45 UTC" (the date once when both ends are on the same day).
std::string FormatSpan(double start, double end);

// The table as Markdown: one table per host (a "### host" heading when rows have one), columns
// config | changes | scenario (run files) or span (Prometheus) | throughput (only when some
// row has one) | the four load-view headers.
std::string MarkdownComparison(const std::vector<ComparisonRow>& rows);

// {"rows":[{"host","job","config","fingerprint","knobs_fingerprint",
//   "changes":{"state":"first|same|changed|unknown","text","list":[{"knob","before","after"}]},
//   "scenario","start","end","throughput_bits_per_second" (iperf3's),
//   "exporter": null (no exporter view) | {"load":"idle|under_load","samples","seconds_under_load",
//               <the four kLoadViewColumns keys>},
//   "source"}]}; unknown values are null. knobs_fingerprint is TuningFingerprint of the row's
// knob lines: equal to fingerprint when the knobs read are the ones the exporter fingerprinted.
std::string JsonComparison(const std::vector<ComparisonRow>& rows);

}  // namespace wgtune
