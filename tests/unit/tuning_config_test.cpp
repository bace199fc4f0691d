// The tuning configuration fingerprint: which series are knobs (common/tuning_config.h), and
// how the sampler publishes the fingerprint and counts its changes (exporter/sampler.h).
#include "common/tuning_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "common/errors.h"
#include "exporter/sampler.h"

namespace wgtune {
namespace {

// Families as the collectors publish them, knobs and (unless `knobs_only`) others: counters,
// rates and gauges of load.
MetricSet HostFamilies(double budget = 300, const std::string& rps_mask = "0", double counter = 1,
                       bool knobs_only = false) {
  MetricSet set;
  set.Gauge("wgtune_sysctl_net_core_netdev_budget", "B.").Add({}, budget);
  if (!knobs_only) set.Gauge("wgtune_sysctl_net_netfilter_nf_conntrack_entries", "E.").Add({}, 431 + counter);
  set.Gauge("wgtune_sysctl_info", "I.")
      .Add({{"name", "net.core.default_qdisc"}, {"value", "fq"}}, 1)
      .Add({{"name", "net.ipv4.tcp_congestion_control"}, {"value", "bbr"}}, 1);
  set.Gauge("wgtune_rps_info", "R.").Add({{"device", "eth0"}, {"queue", "0"}, {"mask", rps_mask}}, 1);
  if (!knobs_only) {
    set.Counter("wgtune_softnet_dropped_total", "D.").Add({{"cpu", "0"}}, counter);
    set.Gauge("wgtune_softnet_dropped_per_second", "D/s.").Add({{"cpu", "0"}}, counter / 5);
  }
  set.Gauge("wgtune_ethtool_ring_entries", "Ring.")
      .Add({{"device", "eth0"}, {"ring", "rx"}, {"setting", "current"}}, 1024)
      .Add({{"device", "eth0"}, {"ring", "rx"}, {"setting", "maximum"}}, 8192);
  set.Gauge("wgtune_interrupt_affinity_info", "A.")
      .Add({{"irq", "25"}, {"name", "mlx5_comp0"}, {"device", "eth0"}, {"affinity", "0-3"},
            {"effective_affinity", "1"}},
           1);
  set.Gauge("wgtune_process_running", "P.").Add({{"name", "irqbalance"}}, 1).Add({{"name", "wireguard-go"}}, 0);
  set.Gauge("wgtune_wireguard_interface_info", "W.")
      .Add({{"interface", "wt0"}, {"implementation", "kernel"}, {"public_key", "hSDw...="}}, 1);
  set.Gauge("wgtune_qdisc_info", "Q.").Add({{"device", "eth0"}, {"kind", "fq"}, {"handle", "0:"}, {"parent", "root"}}, 1);
  if (!knobs_only) set.Counter("wgtune_qdisc_drops_total", "QD.").Add({{"device", "eth0"}}, counter);
  return set;
}

TEST(TuningKnobLines, KeepsTheKnobsWithTheirOwnLabelsOnly) {
  EXPECT_EQ(TuningKnobLines(HostFamilies()),
            (std::vector<std::string>{
                R"(wgtune_ethtool_ring_entries{device="eth0",ring="rx",setting="current"} 1024)",
                R"(wgtune_interrupt_affinity_info{affinity="0-3",irq="25"} 1)",
                R"(wgtune_process_running{name="irqbalance"} 1)",
                R"(wgtune_qdisc_info{device="eth0",kind="fq"} 1)",
                R"(wgtune_rps_info{device="eth0",mask="0",queue="0"} 1)",
                R"(wgtune_sysctl_info{name="net.core.default_qdisc",value="fq"} 1)",
                R"(wgtune_sysctl_info{name="net.ipv4.tcp_congestion_control",value="bbr"} 1)",
                R"(wgtune_sysctl_net_core_netdev_budget{} 300)",
                R"(wgtune_wireguard_interface_info{implementation="kernel",interface="wt0"} 1)",
            }));
}

// The same lines from series read elsewhere (a scrape, Prometheus), labels in any order, as the
// advisor's comparison of configurations reads them.
TEST(TuningKnobLine, ClassifiesOneSeriesAsTheExporterDoes) {
  EXPECT_EQ(TuningKnobLine("wgtune_interrupt_affinity_info",
                           {{"name", "mlx5_comp0"}, {"irq", "25"}, {"affinity", "0-3"}, {"effective_affinity", "1"}}, 1),
            R"(wgtune_interrupt_affinity_info{affinity="0-3",irq="25"} 1)");
  EXPECT_EQ(TuningKnobLine("wgtune_ethtool_ring_entries", {{"setting", "current"}, {"ring", "rx"}, {"device", "eth0"}}, 1024),
            R"(wgtune_ethtool_ring_entries{device="eth0",ring="rx",setting="current"} 1024)");
  EXPECT_EQ(TuningKnobLine("wgtune_ethtool_ring_entries", {{"setting", "maximum"}, {"ring", "rx"}, {"device", "eth0"}}, 8192),
            std::nullopt);
  EXPECT_EQ(TuningKnobLine("wgtune_process_running", {{"name", "wireguard-go"}}, 1), std::nullopt);
  // ethtool -K sets a feature; whether it can be set is the driver's.
  EXPECT_EQ(TuningKnobLine("wgtune_ethtool_feature_enabled", {{"feature", "rx-udp-gro-forwarding"}, {"device", "eth0"}}, 0),
            R"(wgtune_ethtool_feature_enabled{device="eth0",feature="rx-udp-gro-forwarding"} 0)");
  EXPECT_EQ(TuningKnobLine("wgtune_ethtool_feature_changeable", {{"feature", "rx-gro-hw"}, {"device", "eth0"}}, 0),
            std::nullopt);
  EXPECT_EQ(TuningKnobLine("wgtune_sysctl_net_netfilter_nf_conntrack_entries", {}, 12), std::nullopt);
  EXPECT_EQ(TuningKnobLine("wgtune_softnet_dropped_total", {{"cpu", "0"}}, 3), std::nullopt);
  EXPECT_EQ(TuningKnobLine("wgtune_sysctl_net_core_netdev_max_backlog", {}, 10000),
            "wgtune_sysctl_net_core_netdev_max_backlog{} 10000");
  // An empty value is an absent label to Prometheus: the exporter's line must be the one a
  // reader of its scrape (or of Prometheus) rebuilds, or the fingerprints differ.
  EXPECT_EQ(TuningKnobLine("wgtune_ethtool_udp4_hash_fields_info", {{"device", "eth0"}, {"fields", ""}}, 1),
            R"(wgtune_ethtool_udp4_hash_fields_info{device="eth0"} 1)");
}

TEST(TuningKnobLines, EscapesLabelValuesSoThatNoTwoSeriesRunTogether) {
  MetricSet set;
  set.Gauge("wgtune_rps_info", "R.").Add({{"device", "a\",mask=\"b"}, {"queue", "0"}}, 1);
  EXPECT_EQ(TuningKnobLines(set), std::vector<std::string>{R"(wgtune_rps_info{device="a\",mask=\"b",queue="0"} 1)"});
}

TEST(TuningFingerprint, IsFnv1a64OfTheSortedLinesInHex) {
  // Pinned: a fingerprint must not change between versions for the same configuration.
  EXPECT_EQ(TuningFingerprint({}), "cbf29ce484222325");
  EXPECT_EQ(TuningFingerprint({"wgtune_sysctl_net_core_netdev_budget{} 600"}), "c10494b0f068bac6");
  EXPECT_EQ(TuningFingerprint({"b", "a", "c"}), TuningFingerprint({"c", "b", "a"}));
  EXPECT_NE(TuningFingerprint({"ab", "c"}), TuningFingerprint({"a", "bc"}));
}

// `tc qdisc replace dev eth0 root mq` numbers the mq from a kernel counter: the same
// configuration shows other handles on another host, or after the same command again.
TEST(TuningFingerprint, DoesNotDependOnKernelAssignedQdiscHandles) {
  auto qdiscs = [](const std::string& major) {
    MetricSet set;
    set.Gauge("wgtune_qdisc_info", "Q.")
        .Add({{"device", "eth0"}, {"kind", "mq"}, {"handle", major + ":"}, {"parent", "root"}}, 1)
        .Add({{"device", "eth0"}, {"kind", "fq_codel"}, {"handle", "0:"}, {"parent", major + ":1"}}, 1)
        .Add({{"device", "eth0"}, {"kind", "fq_codel"}, {"handle", "0:"}, {"parent", major + ":2"}}, 1);
    set.Gauge("wgtune_qdisc_limit_packets", "L.")
        .Add({{"device", "eth0"}, {"kind", "fq_codel"}, {"handle", "0:"}, {"parent", major + ":1"}}, 10240)
        .Add({{"device", "eth0"}, {"kind", "fq_codel"}, {"handle", "0:"}, {"parent", major + ":2"}}, 10240);
    return TuningFingerprint(TuningKnobLines(set));
  };
  EXPECT_EQ(qdiscs("8001"), qdiscs("8059"));
  // One child fewer is another configuration.
  MetricSet fewer;
  fewer.Gauge("wgtune_qdisc_info", "Q.")
      .Add({{"device", "eth0"}, {"kind", "mq"}, {"handle", "8001:"}, {"parent", "root"}}, 1)
      .Add({{"device", "eth0"}, {"kind", "fq_codel"}, {"handle", "0:"}, {"parent", "8001:1"}}, 1);
  fewer.Gauge("wgtune_qdisc_limit_packets", "L.")
      .Add({{"device", "eth0"}, {"kind", "fq_codel"}, {"handle", "0:"}, {"parent", "8001:1"}}, 10240);
  EXPECT_NE(TuningFingerprint(TuningKnobLines(fewer)), qdiscs("8001"));
}

TEST(TuningFingerprint, DoesNotDependOnTheOrderOfFamiliesOrSeries) {
  MetricSet forward;
  forward.Gauge("wgtune_network_mtu_bytes", "M.").Add({{"device", "eth0"}}, 1500).Add({{"device", "wt0"}}, 1280);
  forward.Gauge("wgtune_sysctl_net_core_rmem_max", "R.").Add({}, 212992);
  MetricSet backward;
  backward.Gauge("wgtune_sysctl_net_core_rmem_max", "R.").Add({}, 212992);
  backward.Gauge("wgtune_network_mtu_bytes", "M.").Add({{"device", "wt0"}}, 1280).Add({{"device", "eth0"}}, 1500);
  EXPECT_EQ(TuningFingerprint(TuningKnobLines(forward)), TuningFingerprint(TuningKnobLines(backward)));
}

// A collector that publishes HostFamilies() from a script, one entry per sample; nullopt fails
// the sample.
struct HostSample {
  double budget = 300;
  std::string rps_mask = "0";
  double counter = 1;
};

class ScriptedHost : public Collector {
 public:
  ScriptedHost(std::deque<std::optional<HostSample>>* script, bool knobs_only)
      : script_(script), knobs_only_(knobs_only) {}
  void Collect(MetricSet& out) override {
    std::optional<HostSample> sample = script_->front();
    script_->pop_front();
    if (!sample) throw IoError("scripted failure");
    MetricSet families = HostFamilies(sample->budget, sample->rps_mask, sample->counter, knobs_only_);
    out.Append(std::move(families));
  }
  std::vector<RateSpec> Rates() const override {
    return {{"wgtune_qdisc_drops_total", "wgtune_qdisc_drops_per_second", "Drops per second."}};
  }

 private:
  std::deque<std::optional<HostSample>>* script_;
  bool knobs_only_;
};

struct Published {
  std::optional<std::string> fingerprint;
  double changes = -1;
};

Published Parse(const std::string& exposition) {
  Published out;
  std::smatch match;
  if (std::regex_search(exposition, match, std::regex(R"re(wgtune_tuning_config_info\{fingerprint="([0-9a-f]{16})"\} 1\n)re"))) {
    out.fingerprint = match[1];
  }
  if (std::regex_search(exposition, match, std::regex(R"(\nwgtune_tuning_config_changes_total (\d+)\n)"))) {
    out.changes = std::stod(match[1]);
  }
  return out;
}

struct SamplerHost {
  std::deque<std::optional<HostSample>> script;
  double now = 0;
  Sampler sampler;

  explicit SamplerHost(bool knobs_only = false) : sampler(Collectors(&script, knobs_only), [this] { return now += 1; }, 5) {}

  static std::vector<NamedCollector> Collectors(std::deque<std::optional<HostSample>>* script, bool knobs_only) {
    std::vector<NamedCollector> collectors;
    collectors.push_back({"host", std::make_unique<ScriptedHost>(script, knobs_only)});
    return collectors;
  }
  Published Sample(std::optional<HostSample> sample) {
    script.push_back(std::move(sample));
    sampler.SampleOnce();
    return Parse(*sampler.Exposition());
  }
};

TEST(SamplerTuningConfig, SameConfigurationSameFingerprintWhileCountersMove) {
  SamplerHost host;
  Published first = host.Sample(HostSample{300, "0", 10});
  ASSERT_TRUE(first.fingerprint);
  EXPECT_EQ(first.changes, 0);
  Published second = host.Sample(HostSample{300, "0", 5000});
  EXPECT_TRUE(host.sampler.Exposition()->find("wgtune_qdisc_drops_per_second") != std::string::npos);
  EXPECT_EQ(second.fingerprint, first.fingerprint);
  EXPECT_EQ(second.changes, 0);
}

TEST(SamplerTuningConfig, ASysctlOrAnRpsMaskChangesItAndIsCounted) {
  SamplerHost host;
  Published start = host.Sample(HostSample{300, "0", 1});
  Published budget = host.Sample(HostSample{600, "0", 2});
  EXPECT_NE(budget.fingerprint, start.fingerprint);
  EXPECT_EQ(budget.changes, 1);
  Published rps = host.Sample(HostSample{600, "f", 3});
  EXPECT_NE(rps.fingerprint, budget.fingerprint);
  EXPECT_NE(rps.fingerprint, start.fingerprint);
  EXPECT_EQ(rps.changes, 2);
  Published steady = host.Sample(HostSample{600, "f", 4});
  EXPECT_EQ(steady.fingerprint, rps.fingerprint);
  EXPECT_EQ(steady.changes, 2);
  // Back to the start: the fingerprint is a function of the configuration, not of its history.
  Published back = host.Sample(HostSample{300, "0", 5});
  EXPECT_EQ(back.fingerprint, start.fingerprint);
  EXPECT_EQ(back.changes, 3);
}

TEST(SamplerTuningConfig, CountersAndRatesNeverEnterIt) {
  SamplerHost full;
  SamplerHost knobs_only(true);
  full.Sample(HostSample{300, "0", 1});
  knobs_only.Sample(HostSample{300, "0", 1});
  Published with_rates = full.Sample(HostSample{300, "0", 999});
  Published without = knobs_only.Sample(HostSample{300, "0", 999});
  ASSERT_TRUE(full.sampler.Exposition()->find("wgtune_qdisc_drops_per_second") != std::string::npos);
  EXPECT_EQ(with_rates.fingerprint, without.fingerprint);
}

TEST(SamplerTuningConfig, AFailedSampleKeepsTheLastKnownKnobs) {
  SamplerHost host;
  Published before = host.Sample(HostSample{300, "0", 1});
  Published failed = host.Sample(std::nullopt);
  EXPECT_EQ(failed.fingerprint, before.fingerprint);
  EXPECT_EQ(failed.changes, 0);
  Published after = host.Sample(HostSample{300, "0", 3});
  EXPECT_EQ(after.fingerprint, before.fingerprint);
  EXPECT_EQ(after.changes, 0);
  // A change made while the collector could not read is counted when it reads again.
  Published changed = host.Sample(std::nullopt);
  changed = host.Sample(HostSample{600, "0", 4});
  EXPECT_NE(changed.fingerprint, before.fingerprint);
  EXPECT_EQ(changed.changes, 1);
}

TEST(SamplerTuningConfig, NoFingerprintBeforeTheFirstSuccessAndThatSuccessIsNoChange) {
  SamplerHost host;
  Published failed = host.Sample(std::nullopt);
  EXPECT_FALSE(failed.fingerprint);
  EXPECT_EQ(failed.changes, 0);
  Published first = host.Sample(HostSample{});
  EXPECT_TRUE(first.fingerprint);
  EXPECT_EQ(first.changes, 0);
}

}  // namespace
}  // namespace wgtune
