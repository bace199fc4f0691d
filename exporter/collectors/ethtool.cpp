// What ethtool(8) shows of each NIC: driver, queue channels, ring sizes, how RSS hashes UDP and
// spreads it over the queues, the driver's own drop and error counters, and its offloads.
//
// The field guide's NIC layer: channels below the vCPU count leave queues unused (§4.1); an RSS
// hash without ports ("sd") puts every WireGuard flow between two hosts on one queue, and an
// uneven indirection table starves some queues (§4.4); rings far below their maximum overflow
// under bursts, which the driver counts as rx_out_of_buffer (mlx5), rx_queue_N_drops
// (virtio_net) or in its own words (§4.6, §5.1, §5.2); ENA's *_allowance_exceeded counters are
// AWS shaping the instance, not the host dropping. Offloads (ethtool -k) decide how many packets
// the stack handles per batch: GRO, and rx-udp-gro-forwarding, which lets a host that forwards
// (a NetBird routing peer or exit node) aggregate UDP (off by default), and the segmentation
// offloads on the way out; each is on or off, and changeable or fixed. Source: SIOCETHTOOL through
// exporter/ethtool/ethtool.h, asked of every interface with a bus device (a NIC, a VF, Azure's
// synthetic NIC) and of veth pairs; other virtual interfaces (wireguard, tun, bridges) have no
// NIC to describe. Operations a driver lacks are absent series, not errors.
#include "exporter/ethtool/ethtool.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/files.h"
#include "common/regex.h"
#include "exporter/collector.h"
#include "exporter/config.h"

namespace wgtune {
namespace {

constexpr char kStatisticsCounter[] = "wgtune_ethtool_statistics_total";

// What ethtool answered for one interface in this sample.
struct DeviceReport {
  std::optional<EthtoolDriverInfo> driver;
  std::optional<EthtoolRings> rings;
  std::optional<EthtoolChannels> channels;
  std::optional<std::vector<EthtoolStatistic>> statistics;
  std::optional<uint64_t> udp4_hash;
  std::optional<uint64_t> rx_rings;
  std::optional<std::vector<uint32_t>> indirection;
  std::optional<std::vector<EthtoolFeature>> features;
};

// How a statistic's raw name is exported, decided once per name.
struct StatisticSeries {
  bool included = false;
  StatisticName split;
};

class EthtoolCollector : public Collector {
 public:
  EthtoolCollector(const CollectorContext& context, std::unique_ptr<EthtoolTransport> transport)
      : sysfs_(context.sysfs),
        transport_(std::move(transport)),
        ethtool_(*transport_),
        include_(CompileInclude("--collector.ethtool.metrics-include",
                                context.config != nullptr ? context.config->ethtool_metrics_include
                                                          : ExporterConfig().ethtool_metrics_include)),
        features_include_(CompileInclude("--collector.ethtool.features-include",
                                         context.config != nullptr ? context.config->ethtool_features_include
                                                                   : ExporterConfig().ethtool_features_include)) {}

  static Regex CompileInclude(const char* flag, const std::string& include) {
    try {
      return Regex(include);
    } catch (const RegexError& error) {
      throw std::invalid_argument(std::string(flag) + ": invalid regular expression \"" + include +
                                  "\": " + error.what());
    }
  }

  void Collect(MetricSet& out) override {
    Family info = out.Gauge("wgtune_ethtool_info",
                            "Driver, driver version, firmware version and bus address of the interface as ethtool -i "
                            "shows them; value 1.");
    Family statistics = out.Counter(kStatisticsCounter,
                                    "NIC driver statistic as ethtool -S shows it, split by queue where the driver "
                                    "counts per queue and with an empty queue label for device totals.");
    Family rings = out.Gauge("wgtune_ethtool_ring_entries",
                             "Descriptors of the interface's receive or transmit rings, current setting and driver "
                             "maximum (ethtool -g).");
    Family channels = out.Gauge("wgtune_ethtool_channels",
                                "Queue channels of the interface by type, current setting and driver maximum "
                                "(ethtool -l).");
    Family hash_fields = out.Gauge("wgtune_ethtool_udp4_hash_fields_info",
                                   "Header fields the NIC's RSS hash of UDP over IPv4 covers, in ethtool -N letters "
                                   "(sd addresses only, sdfn addresses and ports); value 1.");
    Family hash_ports = out.Gauge("wgtune_ethtool_udp4_hash_includes_ports",
                                  "Whether the NIC's RSS hash of UDP over IPv4 covers both ports (1) or not (0).");
    Family indirection_entries =
        out.Gauge("wgtune_ethtool_rss_indirection_entries", "Entries of the NIC's RSS indirection table (ethtool -x).");
    Family indirection_share = out.Gauge("wgtune_ethtool_rss_indirection_share_ratio",
                                         "Share of the RSS indirection table's entries that steer to the receive "
                                         "queue.");
    Family feature_enabled = out.Gauge("wgtune_ethtool_feature_enabled",
                                       "Whether the interface's offload feature is on (1) or off (0), by the "
                                       "kernel's name of it (ethtool -k).");
    Family feature_changeable = out.Gauge("wgtune_ethtool_feature_changeable",
                                          "Whether ethtool -K can change the interface's offload feature (1) or it "
                                          "is fixed (0, ethtool -k prints [fixed]).");

    for (const std::string& name : ListDirectory(JoinPath(sysfs_, "class/net"))) {
      if (name == "lo") continue;
      std::optional<DeviceReport> report = ReadDevice(name);
      if (!report) continue;
      const Labels device = {{"device", name}};
      if (const auto& driver = report->driver) {
        info.Add({{"device", name},
                  {"driver", driver->driver},
                  {"version", driver->version},
                  {"firmware_version", driver->firmware_version},
                  {"bus_info", driver->bus_info}},
                 1);
      }
      if (report->statistics) AddStatistics(name, *report->statistics, statistics);
      if (const auto& ring = report->rings) {
        AddSettings(name, "ring", "rx", ring->rx, ring->rx_max, rings);
        AddSettings(name, "ring", "tx", ring->tx, ring->tx_max, rings);
      }
      if (const auto& channel = report->channels) {
        AddSettings(name, "type", "combined", channel->combined, channel->max_combined, channels);
        AddSettings(name, "type", "rx", channel->rx, channel->max_rx, channels);
        AddSettings(name, "type", "tx", channel->tx, channel->max_tx, channels);
        AddSettings(name, "type", "other", channel->other, channel->max_other, channels);
      }
      if (report->udp4_hash) {
        hash_fields.Add({{"device", name}, {"fields", FlowHashFields(*report->udp4_hash)}}, 1);
        hash_ports.Add(device, FlowHashIncludesPorts(*report->udp4_hash) ? 1 : 0);
      }
      if (report->indirection && !report->indirection->empty()) {
        AddIndirection(name, *report->indirection, report->rx_rings, indirection_entries, indirection_share);
      }
      if (report->features) {
        for (const EthtoolFeature& feature : *report->features) {
          if (!FeatureIncluded(feature.name)) continue;
          const Labels labels = {{"device", name}, {"feature", feature.name}};
          feature_enabled.Add(labels, feature.active ? 1 : 0);
          feature_changeable.Add(labels, feature.changeable() ? 1 : 0);
        }
      }
    }
  }

  std::vector<RateSpec> Rates() const override {
    return {{kStatisticsCounter, "wgtune_ethtool_statistics_per_second",
             "NIC driver statistic per second, split by queue where the driver counts per queue."}};
  }

 private:
  // nullopt for an interface without a NIC to describe, and for one that went away while being
  // asked: an Azure VF vanishes during host servicing and may come back under the same name, so
  // what was read may mix two devices.
  std::optional<DeviceReport> ReadDevice(const std::string& name) {
    const std::string dir = JoinPath(sysfs_, "class/net/" + name);
    bool has_bus_device = ReadLink(dir + "/device").has_value();
    DeviceReport report;
    report.driver = ethtool_.DriverInfo(name);
    if (!has_bus_device && !(report.driver && report.driver->driver == "veth")) return std::nullopt;
    report.rings = ethtool_.Rings(name);
    report.channels = ethtool_.Channels(name);
    report.statistics = ethtool_.Statistics(name);
    report.udp4_hash = ethtool_.UdpV4Hash(name);
    report.indirection = ethtool_.Indirection(name);
    if (report.indirection) report.rx_rings = ethtool_.RxRings(name);
    report.features = ethtool_.Features(name);
    if (!PathExists(dir)) return std::nullopt;
    return report;
  }

  void AddStatistics(const std::string& device, const std::vector<EthtoolStatistic>& all, Family& family) {
    // Some drivers repeat a name; a repeated series would make the whole exposition invalid.
    std::unordered_set<std::string> seen;
    for (const EthtoolStatistic& statistic : all) {
      if (statistic.name.empty()) continue;
      const StatisticSeries& series = SeriesOf(statistic.name);
      if (!series.included) continue;
      if (!seen.insert(series.split.name + '\n' + series.split.queue).second) continue;
      family.Add({{"device", device}, {"name", series.split.name}, {"queue", series.split.queue}},
                 static_cast<double>(statistic.value));
    }
  }

  // The regex and the split run once per distinct name, not once per sample: a 64-queue mlx5
  // has thousands of statistics. Names only change with the queue count, so the cache stays small.
  const StatisticSeries& SeriesOf(const std::string& raw) {
    auto found = series_.find(raw);
    if (found != series_.end()) return found->second;
    if (series_.size() > 100000) series_.clear();  // a driver inventing names without end
    StatisticSeries series{include_.Search(raw), SplitStatisticName(raw)};
    return series_.emplace(raw, std::move(series)).first->second;
  }

  // The kernel's feature names are the same few dozen on every device: decided once each.
  bool FeatureIncluded(const std::string& name) {
    auto found = features_.find(name);
    if (found != features_.end()) return found->second;
    if (features_.size() > 10000) features_.clear();
    return features_.emplace(name, features_include_.Search(name)).first->second;
  }

  // A current/maximum pair; left out when both are 0, which ethtool prints as n/a.
  static void AddSettings(const std::string& device, const char* kind_label, const char* kind, uint32_t current,
                          uint32_t maximum, Family& family) {
    if (current == 0 && maximum == 0) return;
    family.Add({{"device", device}, {kind_label, kind}, {"setting", "current"}}, current);
    family.Add({{"device", device}, {kind_label, kind}, {"setting", "maximum"}}, maximum);
  }

  // Every receive queue RSS can steer to gets a share, 0 included: a table left at 4 queues
  // after ethtool -L combined 8 shows as four queues with nothing.
  static void AddIndirection(const std::string& device, const std::vector<uint32_t>& table,
                             std::optional<uint64_t> rx_rings, Family& entries, Family& share) {
    uint64_t highest = *std::max_element(table.begin(), table.end());
    uint64_t queues = std::max<uint64_t>(highest + 1, std::min<uint64_t>(rx_rings.value_or(0), 65536));
    std::vector<uint64_t> counts(queues, 0);
    for (uint32_t queue : table) ++counts[queue];
    entries.Add({{"device", device}}, static_cast<double>(table.size()));
    for (uint64_t queue = 0; queue < queues; ++queue) {
      share.Add({{"device", device}, {"queue", std::to_string(queue)}},
                static_cast<double>(counts[queue]) / static_cast<double>(table.size()));
    }
  }

  std::string sysfs_;
  std::unique_ptr<EthtoolTransport> transport_;
  Ethtool ethtool_;
  Regex include_;  // RE2, matched anywhere in the name as node_exporter's flags
  Regex features_include_;
  std::unordered_map<std::string, StatisticSeries> series_;
  std::unordered_map<std::string, bool> features_;  // feature name → published
};

}  // namespace

// The collector over any transport: tests pass a recorded or scripted one.
std::unique_ptr<Collector> NewEthtoolCollector(const CollectorContext& context,
                                               std::unique_ptr<EthtoolTransport> transport) {
  return std::make_unique<EthtoolCollector>(context, std::move(transport));
}

std::unique_ptr<Collector> NewEthtoolCollector(const CollectorContext& context) {
  const std::string replay_dir = context.config != nullptr ? context.config->ethtool_replay_dir : "";
  if (!replay_dir.empty()) return NewEthtoolCollector(context, std::make_unique<ReplayEthtoolTransport>(replay_dir));
  return NewEthtoolCollector(context, std::make_unique<SocketEthtoolTransport>());
}

}  // namespace wgtune
