#include "advisor/workflow/baseline_runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "advisor/sources/fleet.h"
#include "advisor/sources/target.h"
#include "advisor/workflow/child_process.h"
#include "common/logging.h"
#include "common/text.h"

namespace wgtune {
namespace {

using Clock = std::chrono::steady_clock;

// Past -t, iperf3 still exchanges its results with the server; beyond this it is hung.
constexpr double kIperf3GraceSeconds = 60;

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Clock::duration Duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// The exporter is local or one hop away; a scrape slower than this is a failed one.
HttpOptions ScrapeTimeout(const BaselineOptions& options) {
  return HttpOptions(std::max(1.0, options.sample_interval), options.target_http_config);
}

void WriteWhole(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary);
    out << content;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, path);
}

BaselineRun RunScenario(const BaselineOptions& options, const std::string& iperf3, const BaselineScenario& scenario,
                        const std::optional<std::string>& url, double exporter_interval) {
  BaselineRun run;
  run.scenario = std::string(scenario.name);
  for (std::string_view arg : scenario.args) run.iperf3_args.emplace_back(arg);
  run.server = options.server;
  run.seconds = options.seconds;
  run.exporter_target = url;
  if (url) {
    try {
      run.configuration = ConfigurationOf(Scrape(*url, "wgtune", ScrapeTimeout(options)).samples);
    } catch (const ScrapeError& error) {
      throw std::runtime_error(std::string("exporter: ") + error.what());
    }
  }

  std::vector<std::string> argv = {iperf3, "-c", options.server, "-p", std::to_string(options.port),
                                   "-t", std::to_string(options.seconds), "-J"};
  argv.insert(argv.end(), run.iperf3_args.begin(), run.iperf3_args.end());
  run.started = UnixNow();
  const Clock::time_point started = Clock::now();
  ChildProcess child(argv);

  std::vector<ViewSample> samples;
  const Clock::time_point scrapes_end = started + Duration(options.seconds);
  const Clock::time_point hung = started + Duration(options.seconds + kIperf3GraceSeconds);
  Clock::time_point next = started + Duration(options.sample_interval);
  bool stopped = false;
  while (!child.WaitUntil(url && next < scrapes_end ? next : hung)) {
    if (Clock::now() >= hung) {
      child.Terminate();
      stopped = true;
      break;
    }
    try {
      ScrapeResult scrape = Scrape(*url, "wgtune", ScrapeTimeout(options));
      samples.push_back({scrape.timestamp_seconds, scrape.duration_seconds,
                         EvaluateLoadView(scrape.samples, scrape.timestamp_seconds)});
    } catch (const std::exception& error) {  // a failed scrape, or a view that cannot be evaluated
      Log(spdlog::level::warn, "scrape failed", {{"scenario", run.scenario}, {"err", error.what()}});
    }
    // On the grid from the start; a slow scrape skips ticks rather than bunching them.
    const Clock::time_point now = Clock::now();
    while (next <= now) next += Duration(options.sample_interval);
  }
  const ChildResult result = child.Wait();
  if (stopped) {
    throw Iperf3Error("iperf3 still ran " + std::to_string(static_cast<int>(kIperf3GraceSeconds)) +
                      " s after its -t " + std::to_string(options.seconds) + " s: stopped");
  }
  run.iperf3 = Iperf3Report(result.out, result.err, result.exit_status);
  run.throughput_bits_per_second = ReceivedBitsPerSecond(run.iperf3);
  if (url) {
    run.exporter = MeanLoadView(samples, run.started, options.seconds,
                                WarmupSeconds(options.sample_interval, exporter_interval));
  }
  return run;
}

}  // namespace

std::vector<ScenarioOutcome> RunBaseline(const BaselineOptions& options,
                                         const std::function<void(const ScenarioOutcome&)>& finished) {
  std::vector<const BaselineScenario*> scenarios;
  for (const std::string& name : options.scenarios) {
    const BaselineScenario* scenario = FindBaselineScenario(name);
    if (scenario == nullptr) throw std::invalid_argument("unknown scenario " + name);
    // A second run would overwrite the first's file.
    if (std::find(scenarios.begin(), scenarios.end(), scenario) != scenarios.end()) {
      throw std::invalid_argument("scenario " + name + " given twice");
    }
    scenarios.push_back(scenario);
  }
  if (scenarios.empty()) {
    for (const BaselineScenario& scenario : BaselineScenarios()) scenarios.push_back(&scenario);
  }
  const std::optional<std::string> iperf3 = FindExecutable(options.iperf3);
  if (!iperf3) {
    throw std::runtime_error(options.iperf3 + (options.iperf3.find('/') == std::string::npos
                                                   ? ": not found in PATH (install iperf3, or give --iperf3 PATH)"
                                                   : ": not found or not executable"));
  }
  std::optional<std::string> url;
  double exporter_interval = options.exporter_interval.value_or(kDefaultExporterInterval);
  if (options.target) {
    url = TargetUrl(*options.target);
    // A wrong target fails now, not per scenario.
    const ScrapeResult first = Scrape(*url, "wgtune", ScrapeTimeout(options));
    if (!options.exporter_interval) {
      if (auto published = ExporterSampleInterval(first.samples)) {
        exporter_interval = *published;
      } else {
        Log(spdlog::level::warn, "the exporter does not publish its sample interval; assuming the default",
            {{"interval", FormatSeconds(exporter_interval)}});
      }
    }
  }
  std::filesystem::create_directories(options.out_dir);

  std::vector<ScenarioOutcome> outcomes;
  for (const BaselineScenario* scenario : scenarios) {
    ScenarioOutcome outcome;
    outcome.scenario = std::string(scenario->name);
    try {
      BaselineRun run = RunScenario(options, *iperf3, *scenario, url, exporter_interval);
      const std::filesystem::path file = std::filesystem::path(options.out_dir) / (outcome.scenario + ".json");
      WriteWhole(file, BaselineRunJson(run).dump(1) + "\n");
      outcome.file = file.string();
      outcome.run = std::move(run);
    } catch (const std::exception& error) {
      outcome.error = error.what();
    }
    if (finished) finished(outcome);
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

}  // namespace wgtune
