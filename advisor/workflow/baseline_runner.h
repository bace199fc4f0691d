// Running the baseline (baseline.h): iperf3 as a child process per scenario, the exporter
// scraped while it runs, one run file per scenario written.
//
// Per scenario, in the order asked: one scrape for the configuration the scenario starts
// under (fingerprint and knob lines), then `iperf3 -c SERVER -p PORT -t SECONDS -J <args>`,
// and while it runs a scrape every sample interval, each reduced at once to its load view
// (EvaluateLoadView); the means over the scrapes inside the run (MeanLoadView) go into the
// file. iperf3's failure fails that scenario only (its message kept), and the next one runs.
//
// Contracts:
// - RunBaseline throws (before running anything) when iperf3 cannot be found, the output
//   directory cannot be created, or the exporter cannot be scraped; a scenario name it does
//   not know is the caller's error (std::invalid_argument).
// - A failed scenario writes no file. A file is written whole or not at all (a temporary file
//   renamed over DIR/<scenario>.json).
// - A scrape that fails while iperf3 runs is logged and left out of the means; one at the
//   start of a scenario fails the scenario.
// - An iperf3 that runs past SECONDS + 60 s (a server that accepted and went silent) is
//   stopped and the scenario failed.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "advisor/sources/http_client.h"
#include "advisor/workflow/baseline.h"

namespace wgtune {

// wgtune-exporter's default --sample.interval, for exporters that do not publish theirs.
inline constexpr double kDefaultExporterInterval = 5;

struct BaselineOptions {
  std::string server;
  int port = 5201;
  int seconds = 30;
  std::vector<std::string> scenarios;  // names, in the order to run; empty: the guide's five
  std::string out_dir;
  std::string iperf3 = "iperf3";       // a path, or a name looked up in $PATH
  std::optional<std::string> target;   // the exporter: host:port or URL; none: iperf3 only
  std::shared_ptr<const HttpClientConfig> target_http_config;  // its credentials and TLS; null: none
  double sample_interval = 1;          // seconds between scrapes
  // The exporter's --sample.interval; unset: as the exporter publishes it, else kDefaultExporterInterval.
  std::optional<double> exporter_interval;
};

struct ScenarioOutcome {
  std::string scenario;
  std::optional<BaselineRun> run;  // set when it succeeded
  std::string error;               // why it failed
  std::string file;                // the file written
};

// Runs the scenarios; `finished` is called after each, as soon as its file is written.
std::vector<ScenarioOutcome> RunBaseline(const BaselineOptions& options,
                                         const std::function<void(const ScenarioOutcome&)>& finished);

}  // namespace wgtune
