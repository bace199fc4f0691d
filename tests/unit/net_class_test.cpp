// Parsers of /sys/class/net attributes, and the netdev and rps collectors over fixture trees
// (tests/fixtures/netdev/<host>/{sys,proc}, laid out like the real hosts, links included).
#include "exporter/sources/net_class.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.h"
#include "exporter/collector.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewNetdevCollector(const CollectorContext&);
std::unique_ptr<Collector> NewRpsCollector(const CollectorContext&);

namespace {

// Expects a ParseError whose message contains every one of `parts`.
template <typename Call>
void ExpectParseError(Call call, std::initializer_list<std::string> parts) {
  try {
    call();
    ADD_FAILURE() << "no ParseError";
  } catch (const ParseError& error) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
    }
  }
}

// ---- uevent ----

TEST(ParseUeventTest, ReadsKeyValueLines) {
  struct Case {
    const char* name;
    const char* text;
    const char* devtype;
    const char* interface;
  };
  const Case cases[] = {
      {"kernel wireguard", "DEVTYPE=wireguard\nINTERFACE=wt0\nIFINDEX=4\n", "wireguard", "wt0"},
      {"physical NIC has no DEVTYPE", "INTERFACE=eth0\nIFINDEX=2\n", "", "eth0"},
      {"bridge", "DEVTYPE=bridge\nINTERFACE=docker0\nIFINDEX=4\n", "bridge", "docker0"},
      {"vlan, no trailing newline", "DEVTYPE=vlan\nINTERFACE=eth0.100\nIFINDEX=9", "vlan", "eth0.100"},
      {"blank lines ignored", "\nINTERFACE=tun0\n\nIFINDEX=7\n", "", "tun0"},
      {"empty input", "", "", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Uevent uevent = ParseUevent("class/net/x/uevent", c.text);
    EXPECT_EQ(uevent.Value("DEVTYPE"), c.devtype);
    EXPECT_EQ(uevent.Value("INTERFACE"), c.interface);
  }
}

TEST(ParseUeventTest, KeepsValuesContainingEquals) {
  Uevent uevent = ParseUevent("uevent", "INTERFACE=eth0\nX=a=b\n");
  EXPECT_EQ(uevent.Value("X"), "a=b");
  EXPECT_EQ(uevent.values.size(), 2u);
}

TEST(ParseUeventTest, RejectsMalformedLines) {
  ExpectParseError([] { ParseUevent("class/net/eth0/uevent", "INTERFACE=eth0\ngarbage\n"); },
                   {"class/net/eth0/uevent", "line 2", "garbage"});
  ExpectParseError([] { ParseUevent("class/net/eth0/uevent", "=eth0\n"); }, {"line 1"});
}

// ---- decimal attributes ----

TEST(ParseNetClassNumberTest, ReadsOneDecimalNumber) {
  struct Case {
    const char* text;
    uint64_t want;
  };
  const Case cases[] = {
      {"1500\n", 1500}, {"0\n", 0}, {"65536", 65536}, {"  1280 \n", 1280}, {"18446744073709551615\n", UINT64_MAX},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(ParseNetClassNumber("class/net/wt0/mtu", c.text), c.want);
  }
}

TEST(ParseNetClassNumberTest, RejectsEverythingElse) {
  for (const char* text : {"", "\n", "abc\n", "-1\n", "12 34\n", "18446744073709551616\n", "0x10\n", "1.5\n"}) {
    SCOPED_TRACE(text);
    ExpectParseError([&] { ParseNetClassNumber("class/net/eth0/statistics/rx_dropped", text); },
                     {"class/net/eth0/statistics/rx_dropped", "decimal"});
  }
}

// ---- operstate ----

TEST(ParseOperStateTest, ReadsEveryRfc2863Word) {
  struct Case {
    const char* text;
    OperState want;
  };
  const Case cases[] = {
      {"unknown\n", OperState::kUnknown}, {"notpresent\n", OperState::kNotPresent},
      {"down\n", OperState::kDown},       {"lowerlayerdown\n", OperState::kLowerLayerDown},
      {"testing\n", OperState::kTesting}, {"dormant\n", OperState::kDormant},
      {"up\n", OperState::kUp},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    OperState state = ParseOperState("operstate", c.text);
    EXPECT_EQ(state, c.want);
    EXPECT_EQ(std::string(OperStateName(state)) + "\n", c.text);
  }
}

TEST(ParseOperStateTest, RejectsOtherWords) {
  for (const char* text : {"", "UP\n", "up down\n", "running\n"}) {
    SCOPED_TRACE(text);
    ExpectParseError([&] { ParseOperState("class/net/eth0/operstate", text); },
                     {"class/net/eth0/operstate", "operstate"});
  }
}

// ---- queues ----

TEST(ParseQueueNamesTest, SortsNumerically) {
  // ListDirectory sorts by name: rx-10 comes before rx-2.
  QueueNumbers queues = ParseQueueNames("queues", {"rx-0", "rx-1", "rx-10", "rx-2", "tx-0", "tx-1"});
  EXPECT_EQ(queues.receive, (std::vector<unsigned>{0, 1, 2, 10}));
  EXPECT_EQ(queues.transmit, (std::vector<unsigned>{0, 1}));
}

TEST(ParseQueueNamesTest, EmptyDirectoryHasNoQueues) {
  QueueNumbers queues = ParseQueueNames("queues", {});
  EXPECT_TRUE(queues.receive.empty());
  EXPECT_TRUE(queues.transmit.empty());
}

TEST(ParseQueueNamesTest, RejectsOtherNames) {
  for (const char* name : {"rx-", "rx-a", "rx-1x", "foo", "xx-1", "rx--1", "tx-99999999999"}) {
    SCOPED_TRACE(name);
    ExpectParseError([&] { ParseQueueNames("class/net/eth0/queues", {"rx-0", name}); },
                     {"class/net/eth0/queues", name});
  }
}

// ---- rps_cpus ----

TEST(ParseRpsCpusTest, CountsTheCpusOfMasksOfAnyWidth) {
  struct Case {
    const char* name;
    const char* text;
    const char* mask;
    unsigned count;
    const char* list;
  };
  const Case cases[] = {
      {"4 CPUs, RPS off", "0\n", "0", 0, ""},
      {"4 CPUs, all", "f\n", "f", 4, "0-3"},
      {"40 CPUs, all", "ff,ffffffff\n", "ff,ffffffff", 40, "0-39"},
      {"40 CPUs, node 0", "00,000fffff\n", "00,000fffff", 20, "0-19"},
      {"40 CPUs, node 1", "ff,fff00000\n", "ff,fff00000", 20, "20-39"},
      {"40 CPUs, off", "00,00000000\n", "00,00000000", 0, ""},
      {"128 bits, CPUs 18-35", "00000000,00000000,0000000f,fffc0000\n", "00000000,00000000,0000000f,fffc0000", 18,
       "18-35"},
      {"128 bits, 40 CPUs", "00000000,00000000,000000ff,ffffffff\n", "00000000,00000000,000000ff,ffffffff", 40,
       "0-39"},
      {"128 bits, CPU 127", "80000000,00000000,00000000,00000000\n", "80000000,00000000,00000000,00000000", 1,
       "127"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RpsCpus rps = ParseRpsCpus("rps_cpus", c.text);
    EXPECT_EQ(rps.mask, c.mask);
    EXPECT_EQ(rps.cpus.Count(), c.count);
    EXPECT_EQ(rps.cpus.ToList(), c.list);
  }
}

TEST(ParseRpsCpusTest, RejectsMalformedMasks) {
  for (const char* text : {"", "\n", "xyz\n", "123456789\n", "ff,,ff\n", "0-3\n"}) {
    SCOPED_TRACE(text);
    ExpectParseError([&] { ParseRpsCpus("class/net/eth0/queues/rx-0/rps_cpus", text); },
                     {"class/net/eth0/queues/rx-0/rps_cpus", "mask"});
  }
}

// ---- kind ----

TEST(InterfaceKindTest, ClassifiesByWhatSysfsShows) {
  struct Case {
    const char* name;
    InterfaceTraits traits;
    const char* want;
  };
  const Case cases[] = {
      {"loopback", {.type = 772, .ifindex = 1, .iflink = 1}, "loopback"},
      {"kernel wireguard", {.type = 65534, .devtype = "wireguard", .ifindex = 4, .iflink = 4}, "wireguard"},
      {"wireguard-go tun", {.type = 65534, .has_tun_flags = true, .ifindex = 3, .iflink = 3}, "tun"},
      {"tap", {.type = 1, .has_tun_flags = true, .ifindex = 5, .iflink = 5}, "tun"},
      {"Azure VF", {.type = 1, .has_device = true, .ifindex = 3, .iflink = 3}, "physical"},
      {"hv_netvsc with a VF below", {.type = 1, .has_device = true, .ifindex = 2, .iflink = 2, .has_lower = true},
       "physical"},
      {"Wi-Fi", {.type = 1, .devtype = "wlan", .has_device = true, .ifindex = 3, .iflink = 3}, "physical"},
      {"bridge", {.type = 1, .devtype = "bridge", .ifindex = 4, .iflink = 4, .has_lower = true}, "bridge"},
      {"bond", {.type = 1, .devtype = "bond", .ifindex = 5, .iflink = 5, .has_lower = true}, "bond"},
      {"vlan", {.type = 1, .devtype = "vlan", .ifindex = 6, .iflink = 2, .has_lower = true}, "vlan"},
      {"vxlan", {.type = 1, .devtype = "vxlan", .ifindex = 7, .iflink = 7}, "vxlan"},
      {"veth", {.type = 1, .ifindex = 6, .iflink = 5}, "veth"},
      {"macvlan", {.type = 1, .ifindex = 8, .iflink = 2, .has_lower = true}, "virtual"},
      {"dummy", {.type = 1, .ifindex = 9, .iflink = 9}, "virtual"},
      {"ipip tunnel", {.type = 768, .ifindex = 10, .iflink = 0}, "virtual"},
      {"nothing readable", {}, "virtual"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(InterfaceKind(c.traits), c.want);
  }
}

// ---- collectors over fixture trees ----

std::string FixtureRoot(const std::string& host) { return std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/netdev/" + host; }

CollectorContext ContextFor(const std::string& root) { return {root + "/proc", root + "/sys", nullptr}; }

MetricSet Collect(std::unique_ptr<Collector> (*create)(const CollectorContext&), const std::string& root) {
  MetricSet metrics;
  create(ContextFor(root))->Collect(metrics);
  return metrics;
}


// The label sets of a family, in order.
std::vector<Labels> SeriesLabels(const MetricSet& metrics, const std::string& name) {
  std::vector<Labels> series;
  if (const prometheus::MetricFamily* family = metrics.Find(name)) {
    for (const auto& metric : family->metric) series.push_back(metric.label);
  }
  return series;
}

Labels Info(const char* device, const char* kind, const char* driver, const char* operstate, const char* master) {
  return {{"device", device}, {"kind", kind}, {"driver", driver}, {"operstate", operstate}, {"master", master}};
}

Labels Device(const char* device) { return {{"device", device}}; }

TEST(NetdevCollectorTest, AzureAcceleratedNetworkingWithKernelWireGuard) {
  MetricSet m = Collect(NewNetdevCollector, FixtureRoot("azure"));
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_info"),
            (std::vector<Labels>{Info("enP30832s1", "physical", "mlx5_core", "up", "eth0"),
                                 Info("eth0", "physical", "hv_netvsc", "up", ""),
                                 Info("lo", "loopback", "", "unknown", ""),
                                 Info("wt0", "wireguard", "", "unknown", "")}));
  EXPECT_EQ(Value(m, "wgtune_network_info", Info("wt0", "wireguard", "", "unknown", "")), 1);

  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("wt0")), 1280);
  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("eth0")), 1500);
  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("lo")), 65536);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_queue_length", Device("wt0")), 1000);
  EXPECT_EQ(Value(m, "wgtune_network_up", Device("eth0")), 1);
  EXPECT_EQ(Value(m, "wgtune_network_up", Device("wt0")), 0);  // WireGuard reports "unknown"
  EXPECT_EQ(Value(m, "wgtune_network_receive_queues", Device("enP30832s1")), 4);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_queues", Device("enP30832s1")), 4);
  EXPECT_EQ(Value(m, "wgtune_network_receive_queues", Device("wt0")), 1);

  EXPECT_EQ(Value(m, "wgtune_network_receive_bytes_total", Device("enP30832s1")), 9871234567.0);
  EXPECT_EQ(Value(m, "wgtune_network_receive_packets_total", Device("eth0")), 7612345);
  EXPECT_EQ(Value(m, "wgtune_network_receive_drop_total", Device("eth0")), 1523);
  EXPECT_EQ(Value(m, "wgtune_network_receive_errs_total", Device("eth0")), 0);
  EXPECT_EQ(Value(m, "wgtune_network_receive_missed_total", Device("enP30832s1")), 0);
  EXPECT_EQ(Value(m, "wgtune_network_receive_fifo_total", Device("eth0")), 0);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_bytes_total", Device("wt0")), 1987654321.0);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_packets_total", Device("wt0")), 1876543);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_drop_total", Device("wt0")), 87);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_errs_total", Device("wt0")), 12);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_fifo_total", Device("wt0")), 0);
  EXPECT_EQ(m.Find("wgtune_network_receive_drop_total")->type, prometheus::MetricType::Counter);

  // The default route's eth0, and the mlx5 VF below it that carries the traffic.
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_underlay"),
            (std::vector<Labels>{{{"device", "eth0"}, {"role", "route"}}, {{"device", "enP30832s1"}, {"role", "vf"}}}));
  EXPECT_EQ(Value(m, "wgtune_network_underlay", {{"device", "enP30832s1"}, {"role", "vf"}}), 1);
}

TEST(NetdevCollectorTest, GcpVirtioWithWireGuardGoAndDockerBridge) {
  MetricSet m = Collect(NewNetdevCollector, FixtureRoot("gcp"));
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_info"),
            (std::vector<Labels>{Info("docker0", "bridge", "", "up", ""), Info("ens4", "physical", "virtio_net", "up", ""),
                                 Info("lo", "loopback", "", "unknown", ""),
                                 Info("veth3f8a1b2", "veth", "", "up", "docker0"),
                                 Info("wg0", "tun", "", "unknown", "")}));
  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("ens4")), 1460);
  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("wg0")), 1420);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_queue_length", Device("wg0")), 500);
  EXPECT_EQ(Value(m, "wgtune_network_receive_queues", Device("ens4")), 2);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_queues", Device("ens4")), 2);
  EXPECT_EQ(Value(m, "wgtune_network_receive_queues", Device("veth3f8a1b2")), 4);
  EXPECT_EQ(Value(m, "wgtune_network_receive_bytes_total", Device("ens4")), 2147483648123.0);
  EXPECT_EQ(Value(m, "wgtune_network_receive_drop_total", Device("ens4")), 4711);
  // A bridge's lower devices are not a VF: only the route role.
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_underlay"), (std::vector<Labels>{{{"device", "ens4"}, {"role", "route"}}}));
}

TEST(NetdevCollectorTest, BareMetalLowestMetricDefaultRouteAndBondingMasters) {
  MetricSet m = Collect(NewNetdevCollector, FixtureRoot("host40"));
  // bonding_masters is a file in class/net, not a device.
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_info"),
            (std::vector<Labels>{Info("ens1f0np0", "physical", "mlx5_core", "up", ""),
                                 Info("ens1f1np1", "physical", "mlx5_core", "up", ""),
                                 Info("lo", "loopback", "", "unknown", "")}));
  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("ens1f0np0")), 9000);
  EXPECT_EQ(Value(m, "wgtune_network_receive_drop_total", Device("ens1f1np1")), 17);
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_underlay"),
            (std::vector<Labels>{{{"device", "ens1f0np0"}, {"role", "route"}}}));
}

TEST(NetdevCollectorTest, NoDefaultRouteMeansNoUnderlay) {
  MetricSet m = Collect(NewNetdevCollector, FixtureRoot("host128"));
  EXPECT_EQ(Value(m, "wgtune_network_info", Info("ens192", "physical", "vmxnet3", "up", "")), 1);
  EXPECT_TRUE(SeriesLabels(m, "wgtune_network_underlay").empty());
}

// Other projects' fixture trees (procfs, node_exporter) leave attributes out: a device without
// uevent keeps its MTU, state and counters, one with nothing but mtu is still listed.
TEST(NetdevCollectorTest, AbsentOptionalAttributesAreAbsentMetricsNotAbsentDevices) {
  MetricSet m = Collect(NewNetdevCollector, FixtureRoot("no-uevent"));
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_info"),
            (std::vector<Labels>{Info("dummy0", "virtual", "", "", ""), Info("eth0", "virtual", "", "up", "")}));
  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("eth0")), 1500);
  EXPECT_EQ(Value(m, "wgtune_network_up", Device("eth0")), 1);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_queue_length", Device("eth0")), 1000);
  EXPECT_EQ(Value(m, "wgtune_network_receive_queues", Device("eth0")), 1);
  EXPECT_EQ(Value(m, "wgtune_network_receive_bytes_total", Device("eth0")), 123456789);
  EXPECT_EQ(Value(m, "wgtune_network_receive_drop_total", Device("eth0")), 42);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_errs_total", Device("eth0")), 3);
  // Not in the tree: absent, not zero.
  EXPECT_EQ(Value(m, "wgtune_network_receive_missed_total", Device("eth0")), std::nullopt);
  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("dummy0")), 9000);
  EXPECT_EQ(Value(m, "wgtune_network_up", Device("dummy0")), std::nullopt);
  EXPECT_EQ(Value(m, "wgtune_network_receive_bytes_total", Device("dummy0")), std::nullopt);
  EXPECT_EQ(Value(m, "wgtune_network_receive_queues", Device("dummy0")), std::nullopt);
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_underlay"), (std::vector<Labels>{{{"device", "eth0"}, {"role", "route"}}}));
}

TEST(NetdevCollectorTest, RatesCoverDropsErrorsAndBytes) {
  std::vector<RateSpec> rates = NewNetdevCollector(ContextFor(FixtureRoot("azure")))->Rates();
  std::vector<std::pair<std::string, std::string>> names;
  for (const RateSpec& rate : rates) {
    EXPECT_FALSE(rate.help.empty());
    names.emplace_back(rate.counter, rate.rate);
  }
  const std::vector<std::pair<std::string, std::string>> want = {
      {"wgtune_network_receive_bytes_total", "wgtune_network_receive_bytes_per_second"},
      {"wgtune_network_receive_drop_total", "wgtune_network_receive_drop_per_second"},
      {"wgtune_network_receive_errs_total", "wgtune_network_receive_errs_per_second"},
      {"wgtune_network_receive_missed_total", "wgtune_network_receive_missed_per_second"},
      {"wgtune_network_receive_fifo_total", "wgtune_network_receive_fifo_per_second"},
      {"wgtune_network_transmit_bytes_total", "wgtune_network_transmit_bytes_per_second"},
      {"wgtune_network_transmit_drop_total", "wgtune_network_transmit_drop_per_second"},
      {"wgtune_network_transmit_errs_total", "wgtune_network_transmit_errs_per_second"},
  };
  EXPECT_EQ(names, want);
}

TEST(RpsCollectorTest, AzureRpsOffEverywhere) {
  MetricSet m = Collect(NewRpsCollector, FixtureRoot("azure"));
  // lo 1 + eth0 4 + VF 4 + wt0 1 receive queues.
  EXPECT_EQ(SeriesLabels(m, "wgtune_rps_cpus").size(), 10u);
  EXPECT_EQ(Value(m, "wgtune_rps_cpus", {{"device", "enP30832s1"}, {"queue", "3"}}), 0);
  EXPECT_EQ(Value(m, "wgtune_rps_info", {{"device", "wt0"}, {"queue", "0"}, {"mask", "0"}}), 1);
  EXPECT_EQ(Value(m, "wgtune_rps_flow_entries", {{"device", "wt0"}, {"queue", "0"}}), 0);
  EXPECT_EQ(Value(m, "wgtune_rps_sock_flow_entries", {}), 0);
}

TEST(RpsCollectorTest, DevicesWithoutUeventOrQueuesKeepWhatTheyHave) {
  MetricSet m = Collect(NewRpsCollector, FixtureRoot("no-uevent"));
  EXPECT_EQ(SeriesLabels(m, "wgtune_rps_cpus"), (std::vector<Labels>{{{"device", "eth0"}, {"queue", "0"}}}));
  EXPECT_EQ(Value(m, "wgtune_rps_flow_entries", {{"device", "eth0"}, {"queue", "0"}}), 0);
  EXPECT_EQ(SeriesCount(m, "wgtune_rps_sock_flow_entries"), 0u);
}

TEST(RpsCollectorTest, GcpRpsOnFirstQueue) {
  MetricSet m = Collect(NewRpsCollector, FixtureRoot("gcp"));
  EXPECT_EQ(Value(m, "wgtune_rps_cpus", {{"device", "ens4"}, {"queue", "0"}}), 4);
  EXPECT_EQ(Value(m, "wgtune_rps_cpus", {{"device", "ens4"}, {"queue", "1"}}), 0);
  EXPECT_EQ(Value(m, "wgtune_rps_info", {{"device", "ens4"}, {"queue", "0"}, {"mask", "f"}}), 1);
  EXPECT_EQ(Value(m, "wgtune_rps_flow_entries", {{"device", "ens4"}, {"queue", "0"}}), 4096);
  EXPECT_EQ(Value(m, "wgtune_rps_flow_entries", {{"device", "ens4"}, {"queue", "1"}}), 0);
  EXPECT_EQ(Value(m, "wgtune_rps_cpus", {{"device", "wg0"}, {"queue", "0"}}), 0);
  EXPECT_EQ(Value(m, "wgtune_rps_sock_flow_entries", {}), 32768);
}

TEST(RpsCollectorTest, FortyCpuMasks) {
  MetricSet m = Collect(NewRpsCollector, FixtureRoot("host40"));
  const struct {
    const char* queue;
    const char* mask;
    double cpus;
    double flows;
  } want[] = {{"0", "ff,ffffffff", 40, 4096},
              {"1", "00,000fffff", 20, 4096},
              {"2", "ff,fff00000", 20, 4096},
              {"3", "00,00000000", 0, 0}};
  for (const auto& q : want) {
    SCOPED_TRACE(q.queue);
    EXPECT_EQ(Value(m, "wgtune_rps_cpus", {{"device", "ens1f0np0"}, {"queue", q.queue}}), q.cpus);
    EXPECT_EQ(Value(m, "wgtune_rps_info", {{"device", "ens1f0np0"}, {"queue", q.queue}, {"mask", q.mask}}), 1);
    EXPECT_EQ(Value(m, "wgtune_rps_flow_entries", {{"device", "ens1f0np0"}, {"queue", q.queue}}), q.flows);
  }
  for (const Labels& labels : SeriesLabels(m, "wgtune_rps_cpus")) EXPECT_NE(labels[0].value, "bonding_masters");
}

TEST(RpsCollectorTest, FortyOfOneHundredTwentyEightPossibleCpus) {
  MetricSet m = Collect(NewRpsCollector, FixtureRoot("host128"));
  EXPECT_EQ(Value(m, "wgtune_rps_cpus", {{"device", "ens192"}, {"queue", "0"}}), 18);
  EXPECT_EQ(Value(m, "wgtune_rps_cpus", {{"device", "ens192"}, {"queue", "1"}}), 40);
  EXPECT_EQ(Value(m, "wgtune_rps_info",
                  {{"device", "ens192"}, {"queue", "0"}, {"mask", "00000000,00000000,0000000f,fffc0000"}}),
            1);
  EXPECT_EQ(Value(m, "wgtune_rps_flow_entries", {{"device", "ens192"}, {"queue", "1"}}), 2048);
  EXPECT_EQ(Value(m, "wgtune_rps_cpus", {{"device", "lo"}, {"queue", "0"}}), 0);
}

// ---- collectors over trees built by the test: absent, vanished and malformed files ----

class ScratchTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("wgtune_netdev_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(root_);
    Write("proc/net/route",
          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
          "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
    Write("sys/class/net/eth0/uevent", "INTERFACE=eth0\nIFINDEX=2\n");
    Write("sys/class/net/eth0/type", "1\n");
    Write("sys/class/net/eth0/mtu", "1500\n");
    Write("sys/class/net/eth0/operstate", "up\n");
    Write("sys/class/net/eth0/statistics/rx_dropped", "5\n");
    Write("sys/class/net/eth0/queues/rx-0/rps_cpus", "3\n");
    Write("sys/class/net/eth0/queues/tx-0/tx_timeout", "0\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& relative, const std::string& text) {
    std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  std::string root() const { return root_.string(); }

  std::filesystem::path root_;
};

TEST_F(ScratchTree, AbsentFilesAreAbsentMetrics) {
  MetricSet m = Collect(NewNetdevCollector, root());
  EXPECT_EQ(Value(m, "wgtune_network_info", Info("eth0", "virtual", "", "up", "")), 1);
  EXPECT_EQ(Value(m, "wgtune_network_receive_drop_total", Device("eth0")), 5);
  EXPECT_EQ(Value(m, "wgtune_network_receive_bytes_total", Device("eth0")), std::nullopt);
  EXPECT_EQ(Value(m, "wgtune_network_transmit_queue_length", Device("eth0")), std::nullopt);
  EXPECT_EQ(Value(m, "wgtune_network_receive_queues", Device("eth0")), 1);

  // A queue without rps_flow_cnt has no flow count; one without rps_cpus (no CONFIG_RPS) no series.
  Write("sys/class/net/eth0/queues/rx-1/.keep", "");
  MetricSet r = Collect(NewRpsCollector, root());
  EXPECT_EQ(Value(r, "wgtune_rps_cpus", {{"device", "eth0"}, {"queue", "0"}}), 2);
  EXPECT_EQ(Value(r, "wgtune_rps_cpus", {{"device", "eth0"}, {"queue", "1"}}), std::nullopt);
  EXPECT_TRUE(SeriesLabels(r, "wgtune_rps_flow_entries").empty());
  EXPECT_EQ(r.Find("wgtune_rps_sock_flow_entries"), nullptr);
}

TEST_F(ScratchTree, NoRouteFileMeansNoUnderlay) {
  std::filesystem::remove(root_ / "proc/net/route");
  MetricSet m = Collect(NewNetdevCollector, root());
  EXPECT_TRUE(SeriesLabels(m, "wgtune_network_underlay").empty());
  EXPECT_EQ(Value(m, "wgtune_network_mtu_bytes", Device("eth0")), 1500);
}

TEST_F(ScratchTree, VanishedDeviceIsSkipped) {
  // A VF removed between listing class/net and reading it: its link points nowhere.
  std::filesystem::create_directories(root_ / "sys/class/net");
  std::filesystem::create_directory_symlink("../../devices/pci7870:00/7870:00:02.0/net/enP30832s1",
                                            root_ / "sys/class/net/enP30832s1");
  MetricSet m = Collect(NewNetdevCollector, root());
  EXPECT_EQ(SeriesLabels(m, "wgtune_network_info"), (std::vector<Labels>{Info("eth0", "virtual", "", "up", "")}));
  MetricSet r = Collect(NewRpsCollector, root());
  EXPECT_EQ(SeriesLabels(r, "wgtune_rps_cpus"), (std::vector<Labels>{{{"device", "eth0"}, {"queue", "0"}}}));
}

TEST_F(ScratchTree, MalformedFilesMakeCollectThrow) {
  const struct {
    const char* file;
    const char* text;
    const char* message;
  } cases[] = {
      {"sys/class/net/eth0/mtu", "fifteen hundred\n", "class/net/eth0/mtu"},
      {"sys/class/net/eth0/statistics/rx_dropped", "-5\n", "class/net/eth0/statistics/rx_dropped"},
      {"sys/class/net/eth0/operstate", "UP\n", "class/net/eth0/operstate"},
      {"sys/class/net/eth0/uevent", "INTERFACE\n", "class/net/eth0/uevent"},
      {"sys/class/net/eth0/queues/foo/x", "", "class/net/eth0/queues"},
      {"proc/net/route", "garbage\n", "net/route"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    SetUp();
    Write(c.file, c.text);
    ExpectParseError([&] { Collect(NewNetdevCollector, root()); }, {c.message});
  }

  const struct {
    const char* file;
    const char* text;
    const char* message;
  } rps_cases[] = {
      {"sys/class/net/eth0/queues/rx-0/rps_cpus", "zz\n", "class/net/eth0/queues/rx-0/rps_cpus"},
      {"sys/class/net/eth0/queues/rx-0/rps_flow_cnt", "many\n", "class/net/eth0/queues/rx-0/rps_flow_cnt"},
      {"proc/sys/net/core/rps_sock_flow_entries", "\n", "rps_sock_flow_entries"},
      {"sys/class/net/eth0/queues/rx-x/rps_cpus", "0\n", "rx-x"},
  };
  for (const auto& c : rps_cases) {
    SCOPED_TRACE(c.file);
    SetUp();
    Write(c.file, c.text);
    ExpectParseError([&] { Collect(NewRpsCollector, root()); }, {c.message});
  }
}

}  // namespace
}  // namespace wgtune
