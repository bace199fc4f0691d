// The comparison table's rows from a Prometheus server's history (`compare --prometheus`):
// every interval of constant tuning configuration of every host in a time range, with the
// exporter's view of the host under load in that interval and what changed since the interval
// before it.
//
// Queries, for the range [start, end] at `step`:
//   1. range: timestamp(wgtune_tuning_config_info) → the configuration intervals
//      (ConfigIntervals in comparison.h);
//   2. range: each kLoadViewColumns expression → the columns per (instance, job), reduced per
//      interval to the steps under load (SelectUnderLoad);
//   3. instant, per interval, at its last step: every wgtune_* series of the host (matched on
//      all its target labels), classified with TuningKnobLine; the target labels (those of
//      wgtune_tuning_config_info but fingerprint) are removed first, since the exporter's lines
//      do not have them. Read at the last step so that a series a change removed has left the
//      lookback window (unless the interval is shorter than the lookback, 5m by default).
//
// Contracts: every failure of the server throws PrometheusApiError (prometheus_api.h); a range
// with no wgtune_tuning_config_info series (for the instances asked for) throws
// std::runtime_error saying so. Hosts are filtered on the client: the load-view expressions
// are sent as they are, one definition for both places that use them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/sources/http_client.h"
#include "advisor/workflow/comparison.h"

namespace wgtune {

struct HistoryRange {
  std::string base_url;
  double start = 0;  // unix seconds
  double end = 0;
  double step = 15;
  std::vector<std::string> instances;  // only these instance labels; empty: every host
  HttpOptions http;                    // per request: timeout, credentials
};

// The rows, by host (instance, job), then time; changes assigned (AssignChanges).
std::vector<ComparisonRow> ReadPrometheusHistory(const HistoryRange& range);

// A time argument: unix seconds ("1764079000", "1764079000.5") or RFC 3339
// ("2025-11-25T14:00:00Z", "2025-11-25T15:00:00.250+01:00"); nullopt when it is neither.
std::optional<double> ParseTimeArgument(std::string_view text);

}  // namespace wgtune
