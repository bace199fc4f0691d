#include "exporter/exporter_info.h"

namespace wgtune {

MetricSet ExporterInfo(double sample_interval_seconds) {
  MetricSet info;
  info.Gauge("wgtune_exporter_build_info",
             "A metric with a constant value 1 labeled by version, revision and compiler of wgtune-exporter.")
      .Add({{"version", WGTUNE_VERSION}, {"revision", WGTUNE_REVISION}, {"compiler", __VERSION__}}, 1);
  info.Gauge("wgtune_exporter_sample_interval_seconds",
             "The exporter's --sample.interval: the window over which every rate and share it serves is computed.")
      .Add({}, sample_interval_seconds);
  return info;
}

}  // namespace wgtune
