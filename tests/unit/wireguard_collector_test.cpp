#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/logging.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "common/metric_set.h"
#include "exporter/sampler.h"
#include "exporter/sources/net_route.h"
#include "exporter/wireguard/backends.h"
#include "exporter/wireguard/underlay.h"
#include "tests/unit/metric_testing.h"
#include "tests/unit/wireguard_testing.h"

namespace wgtune {

// Defined in exporter/collectors/wireguard.cpp.
std::unique_ptr<Collector> NewWireGuardCollector(const CollectorContext&);
std::unique_ptr<Collector> NewWireGuardCollector(const CollectorContext&, std::unique_ptr<WireGuardDeviceSource> kernel,
                                                 std::unique_ptr<WireGuardDeviceSource> userspace);

namespace {

constexpr auto kKernel = WireGuardImplementation::kKernel;
constexpr auto kUserspace = WireGuardImplementation::kUserspace;

const std::string kFixtures = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/wireguard/";


// Kernel-side peers of the Azure fixture host.
constexpr char kAzurePublic[] = "oKrNOWzmIkFiUJrgnLngRWrbPPAFn7Lle0ouzEjrZ3w=";
constexpr char kAzurePeerInternet[] = "/m0ee0BZh0S/HY6KNpaQ5JS9E78mSjJpp5eTEW9xxDs=";
constexpr char kAzurePeerRelayed[] = "jXO7QIcMzewKTYXGZXGExGd4CEYv6+b3UHVD/FUkOAk=";
constexpr char kAzurePeerVnet[] = "X0ip9mpQl8eJ8wS1pXBVqNiPSPbYVgTcYiQS2Nkwf3c=";
constexpr char kAzurePeerNever[] = "BYWAKgYkTZfrvJFq6pCB0nd4JDlOLGrwhn18CCjewhU=";

// The kernel backend as the collector sees it: devices by interface name, or an error.
class FakeKernelSource : public WireGuardDeviceSource {
 public:
  std::map<std::string, WireGuardDevice> devices;
  std::map<std::string, std::string> errors;
  bool denied = false;  // every read refused as the kernel refuses a dump without CAP_NET_ADMIN

  WireGuardDevice Read(const std::string& interface) override {
    if (denied) throw PermissionError(interface + ": netlink needs CAP_NET_ADMIN (wireguard netlink: EPERM)");
    auto error = errors.find(interface);
    if (error != errors.end()) throw IoError(interface + ": " + error->second);
    auto it = devices.find(interface);
    if (it == devices.end()) throw IoError(interface + ": No such device");
    return it->second;
  }
};

WireGuardPeer Peer(const std::string& key, const std::string& endpoint, std::optional<int64_t> handshake, uint64_t rx,
                   uint64_t tx, uint16_t keepalive, std::vector<std::string> allowed_ips) {
  WireGuardPeer peer;
  peer.public_key = key;
  peer.endpoint = endpoint;
  peer.last_handshake_seconds = handshake;
  peer.rx_bytes = rx;
  peer.tx_bytes = tx;
  peer.persistent_keepalive_seconds = keepalive;
  peer.allowed_ips = std::move(allowed_ips);
  peer.protocol_version = 1;
  return peer;
}

// NetBird in kernel mode on the Azure host: a peer on the internet, one relayed (NetBird's
// local proxy), one in the same VNet, one that never answered.
WireGuardDevice AzureWt0() {
  WireGuardDevice device;
  device.name = "wt0";
  device.public_key = kAzurePublic;
  device.listen_port = 51820;
  device.peers = {
      Peer(kAzurePeerInternet, "20.51.3.7:51820", 1795599600, 7340032000, 912000000, 25, {"100.92.14.7/32"}),
      Peer(kAzurePeerRelayed, "127.0.0.1:37263", 1795599650, 120000, 98000, 25, {"100.92.201.3/32"}),
      Peer(kAzurePeerVnet, "10.0.0.5:51820", 1795599690, 51200, 40960, 0, {"100.92.3.9/32", "10.1.0.0/16"}),
      Peer(kAzurePeerNever, "", std::nullopt, 0, 0, 25, {"100.92.77.1/32"}),
  };
  return device;
}

struct Host {
  std::string root;
  ScratchDir uapi;
  ExporterConfig config;
  double now = 1795599700.5;

  explicit Host(const std::string& name) : root(kFixtures + name) {
    config.procfs = root + "/proc";
    config.sysfs = root + "/sys";
    config.wireguard_uapi_dir = uapi.path();
  }
  CollectorContext Context() {
    return {config.procfs, config.sysfs, &config, [this] { return now; }};
  }
  std::unique_ptr<Collector> MakeCollector(
      std::unique_ptr<FakeKernelSource> kernel = std::make_unique<FakeKernelSource>()) {
    return NewWireGuardCollector(Context(), std::move(kernel),
                                 NewUapiDeviceSource(config.wireguard_uapi_dir, std::chrono::milliseconds(1000)));
  }
};

std::unique_ptr<FakeKernelSource> AzureKernel() {
  auto kernel = std::make_unique<FakeKernelSource>();
  kernel->devices["wt0"] = AzureWt0();
  return kernel;
}

MetricSet CollectOnce(Collector& collector) {
  MetricSet metrics;
  collector.Collect(metrics);
  return metrics;
}

Labels PeerOf(const std::string& interface, const std::string& key) {
  return {{"interface", interface}, {"public_key", key}};
}

// ---- The dispatch decision, a pure function of the host's facts.

TEST(DecideWireGuardImplementationTest, Table) {
  struct Case {
    const char* name;
    WireGuardEvidence evidence;
    std::optional<WireGuardImplementation> want;
  };
  const std::optional<std::string> none = std::nullopt;
  const Case cases[] = {
      {"kernel device", {false, true, "wireguard", false, true, false}, kKernel},
      {"kernel device, crypt thread seen", {false, true, "wireguard", false, true, true}, kKernel},
      {"kernel device, module dir hidden", {false, true, "wireguard", false, false, false}, kKernel},
      {"kernel device beside a stale socket", {true, true, "wireguard", false, true, true}, kKernel},
      {"wireguard-go tun with socket", {true, true, "", true, false, false}, kUserspace},
      {"userspace while the module is loaded", {true, true, "", true, true, false}, kUserspace},
      {"socket, device in another namespace", {true, false, none, false, false, false}, kUserspace},
      {"socket, NetBird netstack (no device)", {true, false, none, false, true, false}, kUserspace},
      {"socket beside a non-tun device", {true, true, "", false, false, false}, kUserspace},
      {"tun without socket (OpenVPN, or another uapi dir)", {false, true, "", true, false, false}, std::nullopt},
      {"uevent hidden, crypt thread, module", {false, true, none, false, true, true}, kKernel},
      {"uevent hidden, crypt thread, no module", {false, true, none, false, false, true}, std::nullopt},
      {"uevent hidden, module, no crypt thread", {false, true, none, false, true, false}, std::nullopt},
      {"uevent hidden, a tun with crypt-like thread", {false, true, none, true, true, true}, std::nullopt},
      {"a bridge", {false, true, "bridge", false, true, false}, std::nullopt},
      {"ethernet without DEVTYPE", {false, true, "", false, true, true}, std::nullopt},
      {"nothing at all", {}, std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DecideWireGuardImplementation(c.evidence), c.want) << c.name;
  }
}

TEST(CryptThreadServesTest, Table) {
  struct Case {
    const char* comm;
    const char* interface;
    bool want;
  };
  const Case cases[] = {
      {"wg-crypt-wt0", "wt0", true},
      {"wg-crypt-wt0", "wt01", false},  // not cut: the name is whole
      {"wg-crypt-netbir", "netbird0", true},
      {"wg-crypt-netbir", "netbir", true},
      {"wg-crypt-netbir", "netbox0", false},
      {"kworker/R-wg-crypt-netbird0", "netbird0", true},  // 6.10+: the full name
      {"kworker/R-wg-cr", "wt0", false},                  // 6.9: the name is lost
      {"kworker/0:3-wg-crypt-wt0", "wt0", false},         // a pool worker
      {"wg-crypt-wt0+wg-crypt-wt0", "wt0", true},
      {"wireguard-go", "wt0", false},
      {"wg-crypt-wt0", "", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CryptThreadServes(c.comm, c.interface), c.want) << c.comm << " / " << c.interface;
  }
}

// ---- Underlay: endpoints to devices.

// A route's Destination or Mask as /proc/net/route prints it on this host.
uint32_t AsPrinted(Ipv4Address address) {
  uint32_t printed;
  std::memcpy(&printed, address.data(), sizeof printed);
  return printed;
}

Route RouteTo(const std::string& device, Ipv4Address destination, Ipv4Address mask, uint32_t flags = kRtfUp) {
  return {device, AsPrinted(destination), 0, flags, 0, AsPrinted(mask)};
}

Routes AzureRoutes() { return ParseRoutes(ReadTestFile(kFixtures + "azure-kernel/proc/net/route")); }

TEST(EndpointRouteInterfaceTest, Table) {
  Routes routes = AzureRoutes();
  routes.push_back(RouteTo("wt0", {192, 168, 0, 0}, {255, 255, 0, 0}));
  routes.push_back(RouteTo("*", {192, 168, 10, 0}, {255, 255, 255, 0}, kRtfUp | kRtfReject));  // unreachable
  struct Case {
    const char* endpoint;
    std::optional<std::string> want;
  };
  const Case cases[] = {
      {"20.51.3.7:51820", "eth0"},           // default route
      {"10.0.0.5:51820", "eth0"},            // the VNet's /24
      {"192.168.3.4:51820", "wt0"},          // a longer prefix than the default
      {"192.168.10.4:51820", std::nullopt},  // an unreachable route wins and stops it
      {"127.0.0.1:37263", "lo"},             // NetBird relay proxy, kernel mode
      {"127.1.0.7:41000", "lo"},             // NetBird relay proxy, userspace mode
      {"[::1]:41000", "lo"},
      {"[2001:db8::5]:51820", "eth0"},      // no IPv6 table: the default route's device
      {"[::ffff:10.0.0.5]:51820", "eth0"},  // IPv4-mapped
      {"[fe80::1%enP30832s1]:51820", "enP30832s1"},
      {"", std::nullopt},           // no endpoint yet
      {"20.51.3.7", std::nullopt},  // no port
      {"20.51.3.7:", std::nullopt},
      {"example.com:51820", std::nullopt},  // never a name: the backends print addresses
      {"[2001:db8::5:51820", std::nullopt},
      {"[fe80::1%]:51820", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EndpointRouteInterface(routes, c.endpoint), c.want) << c.endpoint;
  }
}

TEST(WireGuardUnderlayTest, MostPeersWinLoopbackAbstainsDefaultBreaksTies) {
  Routes routes = AzureRoutes();
  routes.push_back(RouteTo("eth1", {192, 168, 0, 0}, {255, 255, 0, 0}));
  auto peers = [](std::vector<std::string> endpoints) {
    std::vector<WireGuardPeer> list;
    for (const std::string& endpoint : endpoints) list.push_back(Peer("k", endpoint, std::nullopt, 0, 0, 0, {}));
    return list;
  };
  EXPECT_EQ(WireGuardUnderlay(routes, peers({"20.51.3.7:1", "192.168.1.1:1", "192.168.1.2:1"})), "eth1");
  EXPECT_EQ(WireGuardUnderlay(routes, peers({"20.51.3.7:1", "192.168.1.1:1"})), "eth0");  // tie: the default's
  EXPECT_EQ(WireGuardUnderlay(routes, peers({"127.0.0.1:1", "127.0.0.1:2", "192.168.1.1:1"})), "eth1");
  EXPECT_EQ(WireGuardUnderlay(routes, peers({"127.0.0.1:1", ""})), "eth0");  // nobody votes
  EXPECT_EQ(WireGuardUnderlay(routes, {}), "eth0");
  EXPECT_EQ(WireGuardUnderlay({}, peers({"20.51.3.7:1"})), std::nullopt);
  Routes no_default = {RouteTo("eth1", {192, 168, 0, 0}, {255, 255, 0, 0}),
                       RouteTo("eth2", {192, 168, 0, 0}, {255, 255, 0, 0})};
  // Two devices for one prefix: the first in file order; ties without a default: by name.
  EXPECT_EQ(WireGuardUnderlay(no_default, peers({"192.168.1.1:1"})), "eth1");
}

// ---- Discovery over fixture hosts.

std::vector<std::pair<std::string, WireGuardImplementation>> Discover(const Host& host) {
  std::vector<std::pair<std::string, WireGuardImplementation>> found;
  for (const WireGuardInterface& interface :
       DiscoverWireGuardInterfaces(host.config.procfs, host.config.sysfs, host.config.wireguard_uapi_dir)) {
    found.emplace_back(interface.name, interface.implementation);
  }
  return found;
}

using Found = std::vector<std::pair<std::string, WireGuardImplementation>>;

TEST(DiscoverWireGuardInterfacesTest, KernelHost) {
  Host host("azure-kernel");
  EXPECT_EQ(Discover(host), (Found{{"wt0", kKernel}}));
}

TEST(DiscoverWireGuardInterfacesTest, MergesSocketsWithSysfs) {
  Host host("azure-kernel");
  MakeStaleSocket(host.uapi.File("wt0.sock"));  // a userspace daemon once ran as wt0
  FakeUapiServer other(host.uapi.File("wgt-b.sock"), "errno=0\n\n");
  std::ofstream(host.uapi.File("notes.sock")) << "a regular file, not a socket\n";
  std::ofstream(host.uapi.File("README")) << "not a socket either\n";
  MakeStaleSocket(host.uapi.File(".sock"));
  EXPECT_EQ(Discover(host), (Found{{"wgt-b", kUserspace}, {"wt0", kKernel}}));
}

TEST(DiscoverWireGuardInterfacesTest, UserspaceNeedsItsSocket) {
  Host host("gcp-userspace");
  EXPECT_EQ(Discover(host), Found{});  // a tun alone is not known to be WireGuard
  FakeUapiServer daemon(host.uapi.File("wt0.sock"), "errno=0\n\n");
  EXPECT_EQ(Discover(host), (Found{{"wt0", kUserspace}}));
}

TEST(DiscoverWireGuardInterfacesTest, CryptThreadsNameKernelDevicesWithoutUevent) {
  Host host("no-uevent");
  // wg0 and netbird0 ("wg-crypt-netbir"); not eth0, not the tun, not wg1 of another namespace.
  EXPECT_EQ(Discover(host), (Found{{"netbird0", kKernel}, {"wg0", kKernel}}));
}

TEST(DiscoverWireGuardInterfacesTest, AbsentDirectoriesListNothing) {
  Host host("does-not-exist");
  EXPECT_EQ(Discover(host), Found{});
}

TEST(DiscoverWireGuardInterfacesTest, MalformedUeventThrows) {
  Host host("malformed-uevent");
  EXPECT_THROW(Discover(host), ParseError);
}

// ---- The collector.

TEST(WireGuardCollectorTest, KernelHost) {
  Host host("azure-kernel");
  MetricSet metrics = CollectOnce(*host.MakeCollector(AzureKernel()));
  Labels wt0 = {{"interface", "wt0"}};

  EXPECT_EQ(Series(metrics, "wgtune_wireguard_interface_up"), (std::map<Labels, double>{{wt0, 1}}));
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_interface_info"),
            (std::map<Labels, double>{
                {{{"interface", "wt0"}, {"implementation", "kernel"}, {"public_key", kAzurePublic}}, 1}}));
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_listen_port", wt0), 51820);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peers", wt0), 4);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_mtu_bytes", wt0), 1280);
  // Two peers route through eth0 (hv_netvsc: its MTU is the one that counts), the relayed one
  // abstains.
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_underlay_info"),
            (std::map<Labels, double>{{{{"interface", "wt0"}, {"device", "eth0"}}, 1}}));
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_underlay_mtu_bytes", {{"interface", "wt0"}, {"device", "eth0"}}), 1500);

  Labels internet = PeerOf("wt0", kAzurePeerInternet);
  Labels never = PeerOf("wt0", kAzurePeerNever);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_receive_bytes_total", internet), 7340032000.0);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_transmit_bytes_total", internet), 912000000.0);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_last_handshake_seconds", internet), 1795599600);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_handshake_age_seconds", internet), 100.5);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_handshakes_total", internet), 0);  // seen before the start
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_persistent_keepalive_seconds", internet), 25);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_allowed_ips", PeerOf("wt0", kAzurePeerVnet)), 2);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_last_handshake_seconds", never), 0);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_handshake_age_seconds", never), std::nullopt);  // never: absent
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_handshakes_total", never), 0);
  EXPECT_EQ(SeriesCount(metrics, "wgtune_wireguard_peer_receive_bytes_total"), 4u);

  EXPECT_EQ(Series(metrics, "wgtune_wireguard_peer_endpoint_info"),
            (std::map<Labels, double>{
                {{{"interface", "wt0"}, {"public_key", kAzurePeerInternet}, {"endpoint", "20.51.3.7:51820"}}, 1},
                {{{"interface", "wt0"}, {"public_key", kAzurePeerRelayed}, {"endpoint", "127.0.0.1:37263"}}, 1},
                {{{"interface", "wt0"}, {"public_key", kAzurePeerVnet}, {"endpoint", "10.0.0.5:51820"}}, 1},
            }));
  const prometheus::MetricFamily* counter = metrics.Find("wgtune_wireguard_peer_receive_bytes_total");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->type, prometheus::MetricType::Counter);
}

// The production wiring end to end: discovery finds wg0 in sysfs, the kernel backend reads it
// from the recorded netlink dump (--collector.wireguard.netlink-replay-dir), keys and all.
TEST(WireGuardCollectorTest, KernelHostFromTheNetlinkRecording) {
  Host host("replay-kernel");
  host.config.wireguard_netlink_replay_dir = kFixtures + "netlink";
  MetricSet metrics = CollectOnce(*NewWireGuardCollector(host.Context()));
  Labels wg0 = {{"interface", "wg0"}};
  const std::string device_key = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
  const std::string peer = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";

  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_info",
                  {{"interface", "wg0"}, {"implementation", "kernel"}, {"public_key", device_key}}),
            1);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peers", wg0), 3);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_listen_port", wg0), 51820);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_receive_bytes_total", PeerOf("wg0", peer)), 1234567890123.0);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_transmit_bytes_total", PeerOf("wg0", peer)), 987654321.0);
  // AWS-style jumbo frames: the tunnel MTU is the underlay's minus 80 bytes.
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_mtu_bytes", wg0), 8921);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_underlay_mtu_bytes", {{"interface", "wg0"}, {"device", "eth0"}}), 9001);
  std::string text = RenderText(metrics.families());
  // The recording holds the device's private key (RFC 7748 Alice's), as the kernel sends it.
  for (const char* secret : {"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=",
                             "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"}) {
    EXPECT_EQ(text.find(secret), std::string::npos);
  }
}

TEST(WireGuardCollectorTest, UserspaceHostThroughTheUapiSocket) {
  Host host("gcp-userspace");
  FakeUapiServer daemon(host.uapi.File("wt0.sock"), ReadTestFile(kFixtures + "uapi/wireguard-go.get"));
  host.now = 1795599760.567953841;
  MetricSet metrics = CollectOnce(*host.MakeCollector());
  Labels wt0 = {{"interface", "wt0"}};

  EXPECT_EQ(Series(metrics, "wgtune_wireguard_interface_info"),
            (std::map<Labels, double>{
                {{{"interface", "wt0"}, {"implementation", "userspace"}, {"public_key", kDevicePublic}}, 1}}));
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_up", wt0), 1);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peers", wt0), 4);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_mtu_bytes", wt0), 1280);
  // 192.0.2.2 by the default route, 2001:db8::5 falls back to it, the relay abstains.
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_underlay_info"),
            (std::map<Labels, double>{{{{"interface", "wt0"}, {"device", "ens4"}}, 1}}));
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_underlay_mtu_bytes", {{"interface", "wt0"}, {"device", "ens4"}}), 1460);

  Labels direct = PeerOf("wt0", kPeerDirect);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_receive_bytes_total", direct), 124);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_transmit_bytes_total", direct), 728);
  EXPECT_NEAR(*Value(metrics, "wgtune_wireguard_peer_last_handshake_seconds", direct), 1795599700.567953841, 1e-6);
  EXPECT_NEAR(*Value(metrics, "wgtune_wireguard_peer_handshake_age_seconds", direct), 60, 1e-6);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_transmit_bytes_total", PeerOf("wt0", kPeerRelayed)), 296);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_last_handshake_seconds", PeerOf("wt0", kPeerIpv6)), 0);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_endpoint_info",
                  {{"interface", "wt0"}, {"public_key", kPeerIpv6}, {"endpoint", "[2001:db8::5]:51820"}}),
            1);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_allowed_ips", PeerOf("wt0", kPeerSilent)), 1);
  EXPECT_EQ(SeriesCount(metrics, "wgtune_wireguard_peer_endpoint_info"), 3u);  // the silent peer has none
  EXPECT_EQ(daemon.requests(), (std::vector<std::string>{"get=1\n\n"}));
}

TEST(WireGuardCollectorTest, NeverLeaksPrivateOrPresharedKeys) {
  ConfigureLogging("debug", "logfmt");
  Host host("gcp-userspace");
  FakeUapiServer daemon(host.uapi.File("wt0.sock"), ReadTestFile(kFixtures + "uapi/wireguard-go.get"));
  // A second daemon whose answer is malformed right after its private key: the error is logged.
  FakeUapiServer broken(host.uapi.File("wt1.sock"),
                        "private_key=" + std::string(kPrivateHex) + "\nlisten_port=x\nerrno=0\n\n");
  std::unique_ptr<Collector> collector = host.MakeCollector();
  testing::internal::CaptureStderr();
  std::string text;
  for (int sample = 0; sample < 2; ++sample) {
    MetricSet metrics = CollectOnce(*collector);
    text += RenderText(metrics.families());
  }
  std::string log = testing::internal::GetCapturedStderr();
  ConfigureLogging("info", "logfmt");
  ASSERT_NE(text.find(kDevicePublic), std::string::npos);  // the rendering is not empty
  ASSERT_NE(log.find("wt1"), std::string::npos);           // the failure was logged
  for (const char* secret : {kPrivateHex, kPrivateBase64, kPresharedHex, kPresharedBase64}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  }
}

TEST(WireGuardCollectorTest, FailedInterfaceIsDownTheOthersStillServed) {
  Host host("azure-kernel");
  MakeStaleSocket(host.uapi.File("wg-dead.sock"));  // its daemon died
  // A daemon of another network namespace: answers, but has no sysfs device here.
  FakeUapiServer other(host.uapi.File("wgt-b.sock"), ReadTestFile(kFixtures + "uapi/amneziawg.get"));
  MetricSet metrics = CollectOnce(*host.MakeCollector(AzureKernel()));

  EXPECT_EQ(Series(metrics, "wgtune_wireguard_interface_up"), (std::map<Labels, double>{
                                                                  {{{"interface", "wg-dead"}}, 0},
                                                                  {{{"interface", "wgt-b"}}, 1},
                                                                  {{{"interface", "wt0"}}, 1},
                                                              }));
  // Its daemon is gone: the key is unknown, and no label claims one.
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_info", {{"interface", "wg-dead"}, {"implementation", "userspace"}}),
            1);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_info",
                  {{"interface", "wgt-b"},
                   {"implementation", "userspace"},
                   {"public_key", "0XET4MUnpD5i5M1i7gm6oFydHT4YGWetCi0G7rwhawc="}}),
            1);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peers", {{"interface", "wg-dead"}}), std::nullopt);
  // No device of that name here, no peers known: nothing says where its traffic would go.
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_mtu_bytes", {{"interface", "wg-dead"}}), std::nullopt);
  for (const auto& [labels, value] : Series(metrics, "wgtune_wireguard_underlay_info")) {
    EXPECT_NE(labels[0].value, "wg-dead") << labels[1].value;
  }
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_mtu_bytes", {{"interface", "wgt-b"}}), std::nullopt);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peers", {{"interface", "wgt-b"}}), 1);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peers", {{"interface", "wt0"}}), 4);
}

TEST(WireGuardCollectorTest, KernelErrorIsDownWhileUserspaceAnswers) {
  Host host("azure-kernel");
  FakeUapiServer other(host.uapi.File("wgt-b.sock"), ReadTestFile(kFixtures + "uapi/amneziawg.get"));
  auto kernel = std::make_unique<FakeKernelSource>();
  kernel->errors["wt0"] = "wireguard netlink: Operation not permitted";
  MetricSet metrics = CollectOnce(*host.MakeCollector(std::move(kernel)));
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_up", {{"interface", "wt0"}}), 0);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_up", {{"interface", "wgt-b"}}), 1);
  // The MTU is sysfs's, not the backend's: still there; the underlay is the default route's.
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_mtu_bytes", {{"interface", "wt0"}}), 1280);
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_underlay_info"),
            (std::map<Labels, double>{{{{"interface", "wgt-b"}, {"device", "eth0"}}, 1},
                                      {{{"interface", "wt0"}, {"device", "eth0"}}, 1}}));
}

// Kernel WireGuard's netlink dump needs CAP_NET_ADMIN: an exporter run as a user or in a
// container gets EPERM for every interface. What sysfs and the routing table show is still
// published, and the collector does not fail.
TEST(WireGuardCollectorTest, UnreadableKernelBackendStillPublishesWhatTheHostShows) {
  Host host("azure-kernel");
  auto kernel = std::make_unique<FakeKernelSource>();
  kernel->errors["wt0"] = "wireguard netlink dump: Operation not permitted";
  std::unique_ptr<Collector> collector = host.MakeCollector(std::move(kernel));
  MetricSet metrics;
  ASSERT_NO_THROW(collector->Collect(metrics));
  Labels wt0 = {{"interface", "wt0"}};

  EXPECT_EQ(Series(metrics, "wgtune_wireguard_interface_info"),
            (std::map<Labels, double>{{{{"interface", "wt0"}, {"implementation", "kernel"}}, 1}}));
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_interface_up"), (std::map<Labels, double>{{wt0, 0}}));
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_mtu_bytes"), (std::map<Labels, double>{{wt0, 1280}}));
  // No peer is known: the default route's device, eth0, is where their traffic would go.
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_underlay_info"),
            (std::map<Labels, double>{{{{"interface", "wt0"}, {"device", "eth0"}}, 1}}));
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_underlay_mtu_bytes"),
            (std::map<Labels, double>{{{{"interface", "wt0"}, {"device", "eth0"}}, 1500}}));
  // What only the backend knows is absent, not zero.
  for (const char* family : {"wgtune_wireguard_listen_port", "wgtune_wireguard_peers",
                             "wgtune_wireguard_peer_receive_bytes_total", "wgtune_wireguard_peer_transmit_bytes_total",
                             "wgtune_wireguard_peer_last_handshake_seconds", "wgtune_wireguard_peer_handshakes_total",
                             "wgtune_wireguard_peer_endpoint_info", "wgtune_wireguard_peer_allowed_ips"}) {
    EXPECT_EQ(SeriesCount(metrics, family), 0u) << family;
  }
}

// Refused, then granted (the exporter restarted with the capability is another process, but a
// daemon's socket can come and go): down while refused, sample after sample, and up once it
// answers; the collector never fails.
TEST(WireGuardCollectorTest, RefusedBackendIsDownEverySampleAndUpWhenItAnswers) {
  Host host("azure-kernel");
  auto kernel = AzureKernel();
  FakeKernelSource* source = kernel.get();
  source->denied = true;
  std::unique_ptr<Collector> collector = host.MakeCollector(std::move(kernel));
  for (int sample = 0; sample < 3; ++sample) {
    MetricSet metrics;
    ASSERT_NO_THROW(collector->Collect(metrics));
    EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_up", {{"interface", "wt0"}}), 0);
    EXPECT_EQ(SeriesCount(metrics, "wgtune_wireguard_peer_receive_bytes_total"), 0u);
  }
  source->denied = false;
  MetricSet metrics = CollectOnce(*collector);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_up", {{"interface", "wt0"}}), 1);
  EXPECT_EQ(SeriesCount(metrics, "wgtune_wireguard_peer_receive_bytes_total"), 4u);
}

// A userspace daemon that died and left its socket, alone on the host: the same.
TEST(WireGuardCollectorTest, EveryBackendFailingIsNoCollectorFailure) {
  Host host("gcp-userspace");
  MakeStaleSocket(host.uapi.File("wt0.sock"));
  MetricSet metrics;
  ASSERT_NO_THROW(host.MakeCollector()->Collect(metrics));
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_up", {{"interface", "wt0"}}), 0);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_interface_info", {{"interface", "wt0"}, {"implementation", "userspace"}}),
            1);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_mtu_bytes", {{"interface", "wt0"}}), 1280);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_underlay_mtu_bytes", {{"interface", "wt0"}, {"device", "ens4"}}), 1460);
  EXPECT_EQ(SeriesCount(metrics, "wgtune_wireguard_peer_receive_bytes_total"), 0u);
}

TEST(WireGuardCollectorTest, NoWireGuardIsNoSeriesAndNoError) {
  Host host("does-not-exist");
  MetricSet metrics = CollectOnce(*host.MakeCollector());
  EXPECT_EQ(RenderText(metrics.families()), "");
}

TEST(WireGuardCollectorTest, MalformedSourcesThrow) {
  Host route("malformed-route");
  auto kernel = std::make_unique<FakeKernelSource>();
  kernel->devices["wt0"] = AzureWt0();
  EXPECT_THROW(CollectOnce(*route.MakeCollector(std::move(kernel))), ParseError);
  Host uevent("malformed-uevent");
  EXPECT_THROW(CollectOnce(*uevent.MakeCollector(AzureKernel())), ParseError);
}

TEST(WireGuardCollectorTest, CountsHandshakesAcrossSamples) {
  Host host("azure-kernel");
  auto owned = AzureKernel();
  FakeKernelSource* kernel = owned.get();
  FakeUapiServer other(host.uapi.File("wgt-b.sock"), ReadTestFile(kFixtures + "uapi/amneziawg.get"));
  std::unique_ptr<Collector> collector = host.MakeCollector(std::move(owned));
  WireGuardDevice& wt0 = kernel->devices["wt0"];
  Labels internet = PeerOf("wt0", kAzurePeerInternet);
  Labels never = PeerOf("wt0", kAzurePeerNever);
  auto handshakes = [&](const Labels& peer) {
    return Value(CollectOnce(*collector), "wgtune_wireguard_peer_handshakes_total", peer);
  };

  auto interval = [&](const Labels& peer) {
    return Value(CollectOnce(*collector), "wgtune_wireguard_peer_handshake_interval_seconds", peer);
  };

  EXPECT_EQ(handshakes(internet), 0);  // sample 1: the baseline
  EXPECT_EQ(handshakes(internet), 0);  // unchanged
  EXPECT_EQ(interval(internet), std::nullopt);  // one handshake seen: no interval yet
  const int64_t before = *wt0.peers[0].last_handshake_seconds;
  wt0.peers[0].last_handshake_seconds = 1795599720;
  wt0.peers[3].last_handshake_seconds = 1795599721;  // the first handshake ever
  EXPECT_EQ(handshakes(internet), 1);
  EXPECT_NEAR(*interval(internet), 1795599720 - before, 1e-6);
  EXPECT_EQ(handshakes(never), 1);
  EXPECT_EQ(interval(never), std::nullopt);  // its first handshake ever has no predecessor
  wt0.peers[0].last_handshake_nanoseconds = 5;  // same second, another handshake
  EXPECT_EQ(handshakes(internet), 2);
  // wt0's backend fails for a sample: its peers are unknown then, and their counts survive.
  kernel->errors["wt0"] = "Resource temporarily unavailable";
  EXPECT_EQ(handshakes(internet), std::nullopt);
  kernel->errors.clear();
  EXPECT_EQ(handshakes(internet), 2);
  wt0.peers[0].last_handshake_seconds = 1795599840;
  EXPECT_EQ(handshakes(internet), 3);
  EXPECT_NEAR(*interval(internet), 120, 1e-6);
  // Removed, then added again: counting starts over.
  WireGuardPeer removed = wt0.peers[0];
  wt0.peers.erase(wt0.peers.begin());
  EXPECT_EQ(handshakes(internet), std::nullopt);
  wt0.peers.push_back(removed);
  EXPECT_EQ(handshakes(internet), 0);
  // Reset to never (peer re-created by the daemon) is no handshake.
  wt0.peers.back().last_handshake_seconds = std::nullopt;
  EXPECT_EQ(handshakes(internet), 0);
}

TEST(WireGuardCollectorTest, PeerNamesFromTheFile) {
  Host host("gcp-userspace");
  host.config.wireguard_peer_names_file = kFixtures + "peer-names/names.toml";
  FakeUapiServer daemon(host.uapi.File("wt0.sock"), ReadTestFile(kFixtures + "uapi/wireguard-go.get"));
  MetricSet metrics = CollectOnce(*host.MakeCollector());
  Labels named = {{"interface", "wt0"}, {"public_key", kPeerDirect}, {"name", "db-eastus-1"}};
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_receive_bytes_total", named), 124);
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_endpoint_info",
                  {{"interface", "wt0"},
                   {"public_key", kPeerRelayed},
                   {"name", "laptop-alice"},
                   {"endpoint", "127.1.0.7:41000"}}),
            1);
  // An unnamed peer keeps the plain labels.
  EXPECT_EQ(Value(metrics, "wgtune_wireguard_peer_receive_bytes_total", PeerOf("wt0", kPeerIpv6)), 0);
}

TEST(WireGuardCollectorTest, BrokenPeerNamesFileStopsTheConstructor) {
  struct Case {
    const char* file;
    const char* message;
  };
  const Case cases[] = {
      {"syntax-error.toml", "syntax-error.toml:3:"},           {"bad-key.toml", "bad-key.toml:4:"},
      {"not-a-string.toml", "not-a-string.toml:2:"},           {"no-peers.toml", "no [peers] table"},
      {"peers-not-a-table.toml", "peers-not-a-table.toml:1:"}, {"does-not-exist.toml", "does-not-exist.toml"},
  };
  for (const Case& c : cases) {
    Host host("gcp-userspace");
    host.config.wireguard_peer_names_file = kFixtures + "peer-names/" + c.file;
    try {
      host.MakeCollector();
      ADD_FAILURE() << c.file << ": no error";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << c.file << ": " << error.what();
    }
  }
}

TEST(WireGuardCollectorTest, SamplerPublishesPerPeerRates) {
  Host host("azure-kernel");
  auto owned = AzureKernel();
  FakeKernelSource* kernel = owned.get();
  std::vector<NamedCollector> collectors;
  collectors.push_back({"wireguard", host.MakeCollector(std::move(owned))});
  std::deque<double> times = {0, 0.01, 5, 5.01};
  Sampler sampler(
      std::move(collectors),
      [&] {
        double t = times.front();
        times.pop_front();
        return t;
      },
      5);
  sampler.SampleOnce();
  kernel->devices["wt0"].peers[0].rx_bytes += 5000;              // 1,000 bytes per second over 5 s
  kernel->devices["wt0"].peers[0].endpoint = "20.51.3.8:51820";  // roamed: the counters' series stay
  sampler.SampleOnce();
  std::string text = *sampler.Exposition();
  std::string series = std::string("wgtune_wireguard_peer_receive_bytes_per_second{interface=\"wt0\",public_key=\"") +
                       kAzurePeerInternet + "\"} ";
  size_t at = text.find(series);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NEAR(std::stod(text.substr(at + series.size())), 1000, 1e-9);  // 5,000 bytes between 0.01 and 5.01 s
  EXPECT_NE(text.find("wgtune_wireguard_peer_transmit_bytes_per_second{"), std::string::npos);
}

TEST(WireGuardCollectorTest, RatesAreOfItsCounters) {
  std::vector<RateSpec> rates = NewWireGuardCollector(CollectorContext{})->Rates();
  ASSERT_EQ(rates.size(), 2u);
  EXPECT_EQ(rates[0].counter, "wgtune_wireguard_peer_receive_bytes_total");
  EXPECT_EQ(rates[0].rate, "wgtune_wireguard_peer_receive_bytes_per_second");
  EXPECT_EQ(rates[1].counter, "wgtune_wireguard_peer_transmit_bytes_total");
  EXPECT_EQ(rates[1].rate, "wgtune_wireguard_peer_transmit_bytes_per_second");
}

}  // namespace
}  // namespace wgtune
