// wgtune-exporter: flags → collectors → sampler thread → HTTP server.
#include <malloc.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <stdexcept>
#include <mutex>
#include <thread>

#include "common/cli.h"
#include "common/logging.h"
#include "common/metrics_server.h"
#include "common/stop_signals.h"
#include "common/text.h"
#include "exporter/collector.h"
#include "exporter/exporter_info.h"
#include "exporter/config.h"
#include "exporter/sampler.h"

namespace wgtune {
namespace {

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int Run(int argc, char** argv) {
  ExporterConfig config;
  if (int code = ParseExporterConfig(argc, argv, config); code >= 0) return code;
  ConfigureLogging(config.log_level, config.log_format);

  StopSignals stop_signals;  // before any thread starts

  // A value that parsed but cannot be used (a regex that does not compile, a peer-names file
  // with a mistake, a listen address without a port, a bad web configuration) is the operator's
  // to fix: one line, exit 2.
  std::vector<NamedCollector> collectors;
  try {
    collectors = CreateEnabledCollectors(config);
  } catch (const std::invalid_argument& error) {
    return ExitForBadValue("wgtune-exporter", error.what());
  }
  std::string enabled;
  for (const auto& named : collectors) enabled += (enabled.empty() ? "" : ",") + named.name;
  Sampler sampler(std::move(collectors), SteadySeconds, config.sample_interval_seconds,
                  ExporterInfo(config.sample_interval_seconds));
  std::unique_ptr<MetricsServer> server;
  try {
    server = StartMetricsServer(
        config.listen_addresses, [&sampler] { return sampler.Exposition(); },
        {config.telemetry_path, "wgtune exporter", "WireGuard / NetBird network-tuning signals for Prometheus.",
         config.web_config_file, HttpLimits{}},
        {{"telemetry_path", config.telemetry_path}, {"collectors", enabled},
         {"sample_interval", FormatSeconds(config.sample_interval_seconds)}});
  } catch (const std::invalid_argument& error) {
    return ExitForBadValue("wgtune-exporter", error.what());
  }
  // The first sample is taken before serving, so /metrics is never empty (and after the web
  // configuration is known good, so that a bad one is the only line printed).
  sampler.SampleOnce();

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread sampling([&] {
    auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(config.sample_interval_seconds));
    auto next = std::chrono::steady_clock::now() + period;
    std::unique_lock lock(mutex);
    while (!wake.wait_until(lock, next, [&] { return stopping; })) {
      lock.unlock();
      sampler.SampleOnce();
      // A sample allocates and frees a few MB on a large host; hand the freed pages back
      // instead of letting glibc keep them, so the exporter stays small between samples.
      malloc_trim(0);
      lock.lock();
      // Fixed cadence; after a stall, start again from now rather than sampling in a burst.
      next += period;
      if (next < std::chrono::steady_clock::now()) next = std::chrono::steady_clock::now() + period;
    }
  });
  stop_signals.Watch([&] {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    server->Stop();
  });

  server->Serve();
  // Serve() also returns when the server fails: stop the sampler in any case.
  stop_signals.StopAndJoin();
  sampling.join();
  return 0;
}

}  // namespace
}  // namespace wgtune

int main(int argc, char** argv) {
  try {
    return wgtune::Run(argc, argv);
  } catch (const std::exception& error) {
    wgtune::Log(spdlog::level::err, "fatal", {{"err", error.what()}});
    return 1;
  }
}
