// The exporter's self-description: what stays the same for the process's life.
#pragma once

#include "common/metric_set.h"

namespace wgtune {

// wgtune_exporter_build_info and wgtune_exporter_sample_interval_seconds. Readers of the rates
// need the interval: wgtune-advisor baseline leaves out scrapes whose rate window reaches back
// before a run started.
MetricSet ExporterInfo(double sample_interval_seconds);

}  // namespace wgtune
