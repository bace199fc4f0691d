// What the advisor knows of the metrics wgtune-exporter serves, read from docs/metrics.md (built
// in; a test keeps that file equal to what the exporter serves): which collector publishes each,
// what it reads, and when it is absent on a host where everything works.
//
// Lint checks rule expressions against the names; the rule engine explains, with the rest, why
// a rule could not be judged on a host ("wgtune_sysctl_net_core_netdev_max_backlog is absent:
// the kernel has it only in the initial network namespace ...").
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

struct MetricFacts {
  std::string name;
  std::string collector;    // the --collector.NAME that publishes it; "" for the exporter's own
  std::string source;       // the section's "Source:" text: the files or calls it reads
  std::string absent_when;  // the meaning's "Absent ..." sentences; "" when it says none
};

// Every metric of docs/metrics.md, sorted by name.
const std::vector<MetricFacts>& ExporterMetrics();

// The facts of one metric; nullptr for a name the exporter does not serve.
const MetricFacts* FindMetric(std::string_view name);

// The names alone, for lint.
const std::set<std::string, std::less<>>& ExporterMetricNames();

// The catalog of a metrics document in docs/metrics.md's layout: "## Collector `name`"
// sections with a "Source: ..." paragraph and rows "| `metric` | type | labels | meaning |".
// Sections that are not a collector's ("## Tuning configuration") give collector "".
std::vector<MetricFacts> ParseMetricsDoc(std::string_view markdown);

}  // namespace wgtune
