// The collector interface and the registry of all collectors.
//
// As in node_exporter, each collector reads one kind of source, has a name, and can be
// switched with --collector.NAME / --no-collector.NAME. A collector only turns parsed
// structs (from exporter/sources/) into metric families; it never parses text itself.
//
// Live rates: a collector names the counters whose per-second rate it wants published
// (Rates()); the sampler computes them from the difference of two successful samples, so
// no collector keeps counters between samples for them. (What some do keep: the wireguard
// collector its handshake counts, it and softnet which conditions they have logged.) Shares that need more than one counter (the mpstat view of a
// CPU, the busiest CPU of a NIC) come from DeriveFromRates().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/metric_set.h"

namespace wgtune {

struct ExporterConfig;

// A counter family whose per-second rate the sampler publishes as a gauge.
struct RateSpec {
  std::string counter;  // e.g. wgtune_softnet_dropped_total
  std::string rate;     // e.g. wgtune_softnet_dropped_per_second
  std::string help;     // what is counted per second; the sampler appends the window
};

class Collector {
 public:
  virtual ~Collector() = default;

  // Reads the sources once and adds this collector's families to `out`. Throws
  // ParseError or IoError when a source it needs is malformed or unreadable; the sampler
  // then reports this collector as failed for this sample and publishes nothing of it.
  virtual void Collect(MetricSet& out) = 0;

  virtual std::vector<RateSpec> Rates() const { return {}; }

  // Adds families computed from this collector's rates of the current interval (the
  // families named by Rates(), as gauges). Called only when rates exist.
  virtual void DeriveFromRates(const MetricSet& rates, MetricSet& out) const {
    (void)rates;
    (void)out;
  }
};

// Where the collectors read from, and their settings.
struct CollectorContext {
  std::string procfs;  // --path.procfs
  std::string sysfs;   // --path.sysfs
  const ExporterConfig* config = nullptr;
  // Wall-clock time, Unix seconds: for ages of timestamps the kernel reports (a WireGuard
  // handshake). Scripted in tests; the system clock when empty.
  std::function<double()> unix_time;
  std::string rootfs = "/";  // --path.rootfs: where /lib/modules is
};

struct CollectorInfo {
  const char* name;
  bool enabled_by_default;
  const char* help;
  std::unique_ptr<Collector> (*create)(const CollectorContext&);
};

// Every collector the exporter has, in exposition order. One list, kept in collector.cpp.
const std::vector<CollectorInfo>& AllCollectors();

struct NamedCollector {
  std::string name;
  std::unique_ptr<Collector> collector;
};

// The collectors that `config` enables, created over its procfs/sysfs roots. `config` must
// outlive them. `unix_time` is the wall clock they use (the system clock when empty).
std::vector<NamedCollector> CreateEnabledCollectors(const ExporterConfig& config,
                                                    std::function<double()> unix_time = {});

}  // namespace wgtune
