// `wgtune-advisor baseline`: the field guide's multi-scenario throughput baseline (§2.1), each
// iperf3 scenario recorded together with the exporter's view of the host while it ran (the
// columns of the guide's comparison table, §7.1) and the tuning configuration it ran under.
//
// This header holds the pure parts: the scenario table, reading an iperf3 -J report, the load
// view of one scrape, which scrapes describe the run and their means, and the run file (the
// `wgtune-baseline/1` JSON that `wgtune-advisor compare` reads). Running iperf3 and scraping
// the exporter are in baseline_runner.h.
#pragma once

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "advisor/promql/value.h"
#include "advisor/sources/targets.h"  // ExporterSampleInterval
#include "advisor/workflow/load_view.h"

namespace wgtune {

inline constexpr std::string_view kBaselineFormat = "wgtune-baseline/1";

// One scenario of §2.1: the iperf3 client arguments besides -c, -p, -t and -J.
struct BaselineScenario {
  std::string_view name;
  std::vector<std::string_view> args;
};

// The guide's five, in its order: tcp_fwd, tcp_rev, udp_1200, udp_64, tcp_single.
const std::vector<BaselineScenario>& BaselineScenarios();

// The scenario called `name`, or nullptr.
const BaselineScenario* FindBaselineScenario(std::string_view name);

// An iperf3 run that produced no measurement. The message is iperf3's own where it gave one
// ("iperf3: unable to connect to server: Connection refused").
class Iperf3Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The report of `iperf3 -J` from what the process printed and how it ended. iperf3 3.x
// reports its own failures inside the JSON ({"error": "..."}), with exit status 0 for some
// (a refused connection) and 1 for others; it prints no JSON at all for bad options (stderr
// only). Throws Iperf3Error in each case, with iperf3's message, or stderr's first line.
// `exit_status` is the exit code, or 128 + signal for a killed process.
nlohmann::ordered_json Iperf3Report(std::string_view out, std::string_view err, int exit_status);

// What the receiver got: end.sum_received.bits_per_second, present for TCP (also -R: the
// client is then the receiver) and UDP since iperf3 3.x. Throws Iperf3Error when absent.
double ReceivedBitsPerSecond(const nlohmann::ordered_json& report);

// The exporter's view at one scrape: kLoadViewColumns' values, in their order; nullopt where the
// expression yields no series (no such metric, or rates not published yet).
using LoadView = std::array<std::optional<double>, kLoadViewColumns.size()>;

// Evaluates kLoadViewColumns over the samples of one scrape of one exporter (one series per
// column at most) at `time_seconds`. Throws ParseError / promql::EvalError only if the
// expressions themselves are broken.
LoadView EvaluateLoadView(const promql::Vector& samples, double time_seconds);

// The configuration a run started under, from a scrape: the fingerprint the exporter
// publishes (`wgtune_tuning_config_info{fingerprint}`, nullopt when absent) and the knob lines
// of every series (TuningKnobLine, target labels job and instance left out so that the lines
// are the exporter's own), sorted. TuningFingerprint(knobs) equals the fingerprint when the
// exporter's last sample and the scrape agree.
struct RunConfiguration {
  std::optional<std::string> fingerprint;
  std::vector<std::string> knobs;
};
RunConfiguration ConfigurationOf(const promql::Vector& samples);

// One scrape taken while a scenario ran.
struct ViewSample {
  double time = 0;      // unix seconds when the request started
  double duration = 0;  // seconds the request took
  LoadView view;
};

// A scrape at t shows rates the exporter computed between its last two samples: the later one
// taken in (t - E, t], the earlier one E before it (E the exporter's --sample.interval), so the
// window reaches back up to 2E. The warm-up leaves out the first of our sample intervals S
// (connection set-up, TCP ramp) plus the exporter's window after it: max(S, E) + E, which is
// S + E when we scrape no faster than the exporter samples, and 2E otherwise, the least that
// keeps a window from starting before iperf3 did.
double WarmupSeconds(double sample_interval, double exporter_interval);

// Whether a scrape describes the run [started, started + seconds]: taken after the warm-up and
// finished before iperf3's -t elapsed.
bool InsideRun(const ViewSample& sample, double started, double seconds, double warmup);

struct LoadViewMeans {
  int samples = 0;  // scrapes inside the run
  LoadView means;   // per column, the mean over those scrapes where it had a value
};

LoadViewMeans MeanLoadView(const std::vector<ViewSample>& samples, double started, double seconds, double warmup);

// One scenario's run, as written to DIR/<scenario>.json.
struct BaselineRun {
  std::string scenario;
  std::vector<std::string> iperf3_args;
  std::string server;
  double started = 0;
  int seconds = 0;
  double throughput_bits_per_second = 0;  // ReceivedBitsPerSecond(iperf3)
  nlohmann::ordered_json iperf3;          // the report, verbatim (its key order kept)
  // Without an exporter: no target, no fingerprint, no knobs, no view.
  std::optional<std::string> exporter_target;  // the scraped URL
  RunConfiguration configuration;
  LoadViewMeans exporter;
};

// The `wgtune-baseline/1` document (see README.md, "baseline"). Numbers that are not finite
// become null.
nlohmann::ordered_json BaselineRunJson(const BaselineRun& run);

// One line for the terminal: "tcp_fwd: iperf3 941.2 Mbit/s | exporter (12 scrapes): WireGuard
// 960.3 Mbit/s, top core %soft 41.0%, softnet drops/30s 0, NIC drops/30s 0".
std::string BaselineRunLine(const BaselineRun& run);

}  // namespace wgtune
