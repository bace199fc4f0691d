#include "advisor/workflow/baseline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "advisor/engine/rule_engine.h"
#include "advisor/promql/eval.h"
#include "common/tuning_config.h"

namespace wgtune {
namespace {

std::string FirstLine(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  text.remove_prefix(start);
  std::string_view line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  return std::string(line);
}

nlohmann::ordered_json OptionalNumber(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return nullptr;
  return *value;
}

std::string Printf(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

}  // namespace

const std::vector<BaselineScenario>& BaselineScenarios() {
  // Field guide §2.1, verbatim apart from -c, -t and -J, which every scenario shares.
  static const std::vector<BaselineScenario> scenarios = {
      {"tcp_fwd", {"-P", "8"}},
      {"tcp_rev", {"-P", "8", "-R"}},  // asymmetric paths, one-direction queue saturation
      {"udp_1200", {"-u", "-b", "0", "-l", "1200"}},  // loss, jitter, MTU problems
      {"udp_64", {"-u", "-b", "0", "-l", "64"}},  // the PPS ceiling: where overlays die
      {"tcp_single", {"-P", "1"}},  // one flow: the per-peer crypto limit of one core
  };
  return scenarios;
}

const BaselineScenario* FindBaselineScenario(std::string_view name) {
  for (const BaselineScenario& scenario : BaselineScenarios()) {
    if (scenario.name == name) return &scenario;
  }
  return nullptr;
}

nlohmann::ordered_json Iperf3Report(std::string_view out, std::string_view err, int exit_status) {
  nlohmann::ordered_json report = nlohmann::ordered_json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded() || !report.is_object()) {
    std::string message = "iperf3 exited with status " + std::to_string(exit_status) + " without a JSON report";
    const std::string why = FirstLine(err).empty() ? FirstLine(out) : FirstLine(err);
    if (!why.empty()) message += ": " + why;
    throw Iperf3Error(message);
  }
  if (auto error = report.find("error"); error != report.end()) {
    throw Iperf3Error("iperf3: " + (error->is_string() ? error->get<std::string>() : error->dump()));
  }
  if (exit_status != 0) {
    std::string message = "iperf3 exited with status " + std::to_string(exit_status);
    if (!FirstLine(err).empty()) message += ": " + FirstLine(err);
    throw Iperf3Error(message);
  }
  return report;
}

double ReceivedBitsPerSecond(const nlohmann::ordered_json& report) {
  const nlohmann::ordered_json* node = &report;
  for (const char* key : {"end", "sum_received", "bits_per_second"}) {
    if (!node->is_object() || !node->contains(key)) {
      throw Iperf3Error("iperf3 report has no end.sum_received.bits_per_second");
    }
    node = &(*node)[key];
  }
  if (!node->is_number()) throw Iperf3Error("iperf3 report: end.sum_received.bits_per_second is not a number");
  return node->get<double>();
}

LoadView EvaluateLoadView(const promql::Vector& samples, double time_seconds) {
  promql::MemorySource source(samples);
  LoadView view;
  for (size_t i = 0; i < kLoadViewColumns.size(); ++i) {
    // One exporter: each expression groups by (instance, job), so one series at most.
    promql::Vector result = QueryVector(kLoadViewColumns[i].expr, source, time_seconds);
    if (!result.empty()) view[i] = result.front().value;
  }
  return view;
}

RunConfiguration ConfigurationOf(const promql::Vector& samples) {
  RunConfiguration configuration;
  for (const promql::Sample& sample : samples) {
    const std::string_view family = promql::LabelValue(sample.labels, "__name__");
    if (family == "wgtune_tuning_config_info") {
      const std::string_view fingerprint = promql::LabelValue(sample.labels, "fingerprint");
      if (!fingerprint.empty()) configuration.fingerprint = std::string(fingerprint);
    }
    // The exporter hashes its series as exposed: without the labels a scraper attaches.
    KnobLabels labels;
    for (const auto& [name, value] : sample.labels) {
      if (name != "__name__" && name != "job" && name != "instance") labels.emplace_back(name, value);
    }
    if (auto line = TuningKnobLine(family, labels, sample.value)) configuration.knobs.push_back(std::move(*line));
  }
  std::sort(configuration.knobs.begin(), configuration.knobs.end());
  return configuration;
}

double WarmupSeconds(double sample_interval, double exporter_interval) {
  return std::max(sample_interval, exporter_interval) + exporter_interval;
}

bool InsideRun(const ViewSample& sample, double started, double seconds, double warmup) {
  return sample.time >= started + warmup && sample.time + sample.duration <= started + seconds;
}

LoadViewMeans MeanLoadView(const std::vector<ViewSample>& samples, double started, double seconds, double warmup) {
  LoadViewMeans result;
  std::array<double, kLoadViewColumns.size()> sums{};
  std::array<int, kLoadViewColumns.size()> counts{};
  for (const ViewSample& sample : samples) {
    if (!InsideRun(sample, started, seconds, warmup)) continue;
    result.samples += 1;
    for (size_t i = 0; i < kLoadViewColumns.size(); ++i) {
      if (!sample.view[i]) continue;
      sums[i] += *sample.view[i];
      counts[i] += 1;
    }
  }
  for (size_t i = 0; i < kLoadViewColumns.size(); ++i) {
    if (counts[i] > 0) result.means[i] = sums[i] / counts[i];
  }
  return result;
}

nlohmann::ordered_json BaselineRunJson(const BaselineRun& run) {
  nlohmann::ordered_json document = {
      {"format", kBaselineFormat},
      {"scenario", run.scenario},
      {"iperf3_args", run.iperf3_args},
      {"server", run.server},
      {"started", run.started},
      {"seconds", run.seconds},
      {"fingerprint", run.configuration.fingerprint ? nlohmann::ordered_json(*run.configuration.fingerprint)
                                                    : nlohmann::ordered_json()},
      {"knobs", run.configuration.knobs},
      {"throughput_bits_per_second", OptionalNumber(run.throughput_bits_per_second)},
      {"iperf3", run.iperf3},
      {"exporter", nullptr},
  };
  if (run.exporter_target) {
    nlohmann::ordered_json exporter = {{"target", *run.exporter_target}, {"samples", run.exporter.samples}};
    for (size_t i = 0; i < kLoadViewColumns.size(); ++i) {
      exporter[std::string(kLoadViewColumns[i].key)] = OptionalNumber(run.exporter.means[i]);
    }
    document["exporter"] = std::move(exporter);
  }
  return document;
}

std::string BaselineRunLine(const BaselineRun& run) {
  auto value = [](const std::optional<double>& v, const char* format, double scale) {
    return v ? Printf(format, *v * scale) : std::string("n/a");
  };
  std::string line = run.scenario + ": iperf3 " + Printf("%.1f Mbit/s", run.throughput_bits_per_second / 1e6);
  if (!run.exporter_target) return line;
  const LoadView& means = run.exporter.means;
  line += " | exporter (" + std::to_string(run.exporter.samples) + " scrapes): ";
  if (run.exporter.samples == 0) return line + "none inside the run (make --seconds longer)";
  static_assert(kLoadViewColumns.size() == 4, "one part of the line per column");
  line += std::string(kLoadViewColumns[0].header) + " " + value(means[0], "%.1f Mbit/s", 1e-6) + ", ";
  line += std::string(kLoadViewColumns[1].header) + " " + value(means[1], "%.1f%%", 100) + ", ";
  line += std::string(kLoadViewColumns[2].header) + " " + value(means[2], "%.1f", 1) + ", ";
  line += std::string(kLoadViewColumns[3].header) + " " + value(means[3], "%.1f", 1);
  return line;
}

}  // namespace wgtune
