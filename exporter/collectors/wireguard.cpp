// WireGuard interfaces and their peers, from whichever backend serves each (field guide
// §1.2, §3.4, §4.9, §10).
//
// Interfaces and their backend come from exporter/wireguard/backends.h: the kernel module
// over generic netlink (or recorded dumps, --collector.wireguard.netlink-replay-dir), or a
// userspace daemon over its UAPI socket (--wireguard.uapi-dir). Both fill one model
// (exporter/wireguard/device.h). The collector adds what the guide asks of them:
//   - kernel or userspace (§3.4: userspace is 3-5x slower and no tuning recovers it);
//   - per-peer traffic, with live rates from the sampler, and handshakes (§10: "wg show
//     reports steady transfer, no handshake churn");
//   - the underlay each interface sends through and both MTUs (§1.2, §4.9: the WireGuard MTU
//     should be the underlay's minus about 60 bytes).
// Peers are labelled by public key (base64, as `wg show` prints it), and by name when
// --collector.wireguard.peer-names-file names them. Endpoints change (roaming, NetBird
// switching between relay and direct) and live in an info metric of their own, so that a
// change does not break the counters' series.
//
// An interface that was discovered (DEVTYPE=wireguard in its uevent, or a UAPI socket) is always
// published from what the host shows without its backend: wgtune_wireguard_interface_info with
// its implementation, its MTU from sysfs, and its underlay. An interface whose backend fails (a
// daemon that died and left its socket; kernel WireGuard's netlink dump, which needs
// CAP_NET_ADMIN, refused with EPERM to an exporter run as a user or in a container; a daemon's
// 0700 UAPI socket, which needs CAP_DAC_OVERRIDE) is logged once, naming the capability when one
// is missing ("wireguard: netlink needs CAP_NET_ADMIN"), and once when it answers again, and is
// reported with wgtune_wireguard_interface_up 0 every sample: peers unknown. Then there is no public_key
// label, no listen port, no peer count and no peer series, and the underlay is the default
// route's device, the one the peers' traffic would take (when the device is in this network
// namespace: a dead daemon's socket of another has none). The collector does not fail for a
// backend, even when every one fails: what sysfs shows still serves the advisor (userspace or
// kernel, the MTU against the underlay's). Private and preshared keys never reach this file:
// the backends skip them.
//
// This is the one stateful collector. The backends report only the latest handshake's time,
// while handshake churn (§10) needs how many there were; so the collector remembers each
// peer's latest handshake between samples and counts the changes. It counts at most one per
// sample (WireGuard rekeys every two minutes, far slower than a sample interval, unless it
// churns), and the count starts at 0 with the exporter, like any counter.
#include <toml++/toml.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/condition_log.h"
#include "common/errors.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/toml_file.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/sources/net_class.h"
#include "exporter/sources/net_route.h"
#include "exporter/wireguard/backends.h"
#include "exporter/wireguard/device.h"
#include "exporter/wireguard/netlink_client.h"
#include "exporter/wireguard/underlay.h"

namespace wgtune {
namespace {

constexpr char kReceiveCounter[] = "wgtune_wireguard_peer_receive_bytes_total";
constexpr char kTransmitCounter[] = "wgtune_wireguard_peer_transmit_bytes_total";

const char* ImplementationName(WireGuardImplementation implementation) {
  return implementation == WireGuardImplementation::kKernel ? "kernel" : "userspace";
}

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// A public key as `wg show` prints it: 32 bytes in base64, so 43 digits and one '=', the
// last digit's two unused bits zero.
bool IsBase64Key(std::string_view text) {
  if (text.size() != 44 || text[43] != '=') return false;
  for (size_t i = 0; i < 43; ++i) {
    if (Base64Digit(text[i]) < 0) return false;
  }
  return (Base64Digit(text[42]) & 3) == 0;
}

// [peers] "<base64 public key>" = "name". Read once; a mistake stops the exporter at start
// with the file and line, rather than silently naming nobody.
std::map<std::string, std::string> LoadPeerNames(const std::string& path) {
  std::map<std::string, std::string> names;
  if (path.empty()) return names;
  toml::table table;
  try {
    table = ParseTomlFile(path);
  } catch (const TomlFileError& error) {
    throw std::invalid_argument(std::string("--collector.wireguard.peer-names-file: ") + error.what());
  }
  const toml::node* peers = table.get("peers");
  if (peers == nullptr) {
    throw std::invalid_argument("--collector.wireguard.peer-names-file " + path + ": no [peers] table");
  }
  if (!peers->is_table()) {
    throw std::invalid_argument("--collector.wireguard.peer-names-file " + TomlPosition(path, peers->source()) +
                                ": peers is not a table");
  }
  for (const auto& [key, node] : *peers->as_table()) {
    const std::string where = "--collector.wireguard.peer-names-file " + TomlPosition(path, node.source());
    if (!IsBase64Key(key.str())) {
      throw std::invalid_argument(where + ": \"" + std::string(key.str()) +
                                  "\" is not a WireGuard public key (44 base64 characters, as wg show prints it)");
    }
    std::optional<std::string> name = node.value<std::string>();
    if (!node.is_string() || !name || name->empty()) {
      throw std::invalid_argument(where + ": the name of a peer must be a non-empty string");
    }
    names[std::string(key.str())] = *name;
  }
  return names;
}

double SystemUnixTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One interface of one sample: what discovery found and what its backend answered.
struct InterfaceSample {
  WireGuardInterface interface;
  std::optional<WireGuardDevice> device;  // nullopt when the backend failed
};

class WireGuardCollector : public Collector {
 public:
  WireGuardCollector(const CollectorContext& context, std::unique_ptr<WireGuardDeviceSource> kernel,
                     std::unique_ptr<WireGuardDeviceSource> userspace)
      : procfs_(context.procfs),
        sysfs_(context.sysfs),
        uapi_dir_(context.config != nullptr ? context.config->wireguard_uapi_dir : ""),
        unix_time_(context.unix_time ? context.unix_time : SystemUnixTime),
        kernel_(std::move(kernel)),
        userspace_(std::move(userspace)),
        peer_names_(LoadPeerNames(context.config != nullptr ? context.config->wireguard_peer_names_file : "")) {}

  void Collect(MetricSet& out) override {
    std::vector<InterfaceSample> samples = ReadInterfaces();
    std::optional<Routes> routes;
    if (std::optional<std::string> text = ReadFileIfExists(JoinPath(procfs_, "net/route"))) routes = ParseRoutes(*text);
    CountHandshakes(samples);
    AddInterfaceFamilies(samples, routes, out);
    AddPeerFamilies(samples, out);
  }

  std::vector<RateSpec> Rates() const override {
    return {
        {kReceiveCounter, "wgtune_wireguard_peer_receive_bytes_per_second",
         "Bytes received from the WireGuard peer per second."},
        {kTransmitCounter, "wgtune_wireguard_peer_transmit_bytes_per_second",
         "Bytes sent to the WireGuard peer per second."},
    };
  }

 private:
  struct Handshakes {
    std::optional<std::pair<int64_t, int64_t>> latest;  // seconds, nanoseconds
    uint64_t count = 0;
    // Seconds between the latest two handshakes seen, once two have been: the churn signal
    // (§10) a one-shot check can read, where a rate of the count would need a time window.
    std::optional<double> interval;
  };
  using PeerKey = std::pair<std::string, std::string>;  // interface, public key

  std::vector<InterfaceSample> ReadInterfaces() {
    std::vector<InterfaceSample> samples;
    for (WireGuardInterface& interface : DiscoverWireGuardInterfaces(procfs_, sysfs_, uapi_dir_)) {
      InterfaceSample sample{std::move(interface), std::nullopt};
      const std::string& name = sample.interface.name;
      const bool kernel = sample.interface.implementation == WireGuardImplementation::kKernel;
      WireGuardDeviceSource& source = kernel ? *kernel_ : *userspace_;
      const LogFields fields = {{"interface", name},
                                {"implementation", ImplementationName(sample.interface.implementation)}};
      // Logged when an interface starts failing or fails for another reason, and when it is
      // readable again; not every sample while it stays down (interface_up says so).
      try {
        sample.device = source.Read(name);
        failing_.End(name, "wireguard: interface readable again", fields);
      } catch (const PermissionError& error) {
        const char* message =
            kernel ? "wireguard: netlink needs CAP_NET_ADMIN" : "wireguard: UAPI socket needs CAP_DAC_OVERRIDE";
        failing_.Begin(name, message, fields, error.what());
      } catch (const std::exception& error) {
        failing_.Begin(name, "wireguard: interface unreadable", fields, error.what());
      }
      samples.push_back(std::move(sample));
    }
    std::set<std::string> discovered;
    for (const InterfaceSample& sample : samples) discovered.insert(sample.interface.name);
    failing_.Retain(discovered);
    return samples;
  }

  void CountHandshakes(const std::vector<InterfaceSample>& samples) {
    std::set<std::string> discovered;
    std::set<PeerKey> present;
    std::set<std::string> read;
    for (const InterfaceSample& sample : samples) {
      discovered.insert(sample.interface.name);
      if (!sample.device) continue;
      read.insert(sample.interface.name);
      for (const WireGuardPeer& peer : sample.device->peers) {
        std::optional<std::pair<int64_t, int64_t>> latest;
        if (peer.last_handshake_seconds) latest.emplace(*peer.last_handshake_seconds, peer.last_handshake_nanoseconds);
        PeerKey key{sample.interface.name, peer.public_key};
        present.insert(key);
        auto [it, first_seen] = handshakes_.try_emplace(key, Handshakes{latest, 0});
        // A handshake before the first sight happened before the count began.
        if (!first_seen && latest && latest != it->second.latest) {
          ++it->second.count;
          if (it->second.latest) it->second.interval = Seconds(*latest) - Seconds(*it->second.latest);
        }
        if (!latest) it->second.interval.reset();  // the daemon re-created the peer
        it->second.latest = latest;
      }
    }
    // Forget removed peers and interfaces; keep the peers of an interface that failed to
    // answer this time, so that its counts survive an outage of the daemon.
    for (auto it = handshakes_.begin(); it != handshakes_.end();) {
      const std::string& interface = it->first.first;
      bool gone = !discovered.count(interface) || (read.count(interface) && !present.count(it->first));
      it = gone ? handshakes_.erase(it) : std::next(it);
    }
  }

  static double Seconds(const std::pair<int64_t, int64_t>& time) {
    return static_cast<double>(time.first) + static_cast<double>(time.second) * 1e-9;
  }

  // Interface labels first, then the peer's: public_key, and name when the file names it.
  Labels PeerLabels(const std::string& interface, const std::string& public_key) const {
    Labels labels = {{"interface", interface}, {"public_key", public_key}};
    auto it = peer_names_.find(public_key);
    if (it != peer_names_.end()) labels.push_back({"name", it->second});
    return labels;
  }

  std::optional<uint64_t> ReadMtu(const std::string& device) const {
    const std::string relative = "class/net/" + device + "/mtu";
    std::optional<std::string> text = ReadFileIfExists(JoinPath(sysfs_, relative));
    if (!text) return std::nullopt;
    return ParseNetClassNumber(relative, *text);
  }

  void AddInterfaceFamilies(const std::vector<InterfaceSample>& samples, const std::optional<Routes>& routes,
                            MetricSet& out) const {
    Family up = out.Gauge("wgtune_wireguard_interface_up",
                          "Whether the backend of the WireGuard interface answered (1) or not (0: peers unknown).");
    Family info = out.Gauge("wgtune_wireguard_interface_info",
                            "Implementation serving the WireGuard interface (kernel or userspace) and its public "
                            "key when its backend answered; value 1.");
    Family listen_port = out.Gauge("wgtune_wireguard_listen_port", "UDP port the WireGuard interface listens on.");
    Family peers = out.Gauge("wgtune_wireguard_peers", "Number of peers of the WireGuard interface.");
    Family mtu = out.Gauge("wgtune_wireguard_mtu_bytes", "MTU of the WireGuard interface in bytes.");
    Family underlay = out.Gauge("wgtune_wireguard_underlay_info",
                                "Device the WireGuard interface's peers are routed through, its underlay; value 1.");
    Family underlay_mtu = out.Gauge("wgtune_wireguard_underlay_mtu_bytes",
                                    "MTU in bytes of the device the WireGuard interface's peers are routed through.");

    for (const InterfaceSample& sample : samples) {
      const std::string& name = sample.interface.name;
      Labels interface = {{"interface", name}};
      up.Add(interface, sample.device ? 1 : 0);
      Labels info_labels = {{"interface", name}, {"implementation", ImplementationName(sample.interface.implementation)}};
      // A device without a private key has no public key either: the label is left out then, as
      // when the backend did not answer.
      if (sample.device && !sample.device->public_key.empty()) {
        info_labels.push_back({"public_key", sample.device->public_key});
      }
      info.Add(std::move(info_labels), 1);
      // Not in this network namespace (a socket of another one, NetBird's netstack): no MTU.
      std::optional<uint64_t> own_mtu = ReadMtu(name);
      if (own_mtu) mtu.Add(interface, static_cast<double>(*own_mtu));
      if (sample.device) {
        listen_port.Add(interface, sample.device->listen_port);
        peers.Add(interface, static_cast<double>(sample.device->peers.size()));
      }
      if (!routes) continue;
      // Peers unknown (the backend did not answer): no endpoint votes, this namespace's default
      // route decides, for a device that is in this namespace (a stale socket of another one, or
      // of a device gone, routes nothing here).
      if (!sample.device && !own_mtu) continue;
      static const std::vector<WireGuardPeer> kNoPeers;
      std::optional<std::string> device = WireGuardUnderlay(*routes, sample.device ? sample.device->peers : kNoPeers);
      if (!device) continue;
      underlay.Add({{"interface", name}, {"device", *device}}, 1);
      if (std::optional<uint64_t> bytes = ReadMtu(*device)) {
        underlay_mtu.Add({{"interface", name}, {"device", *device}}, static_cast<double>(*bytes));
      }
    }
  }

  void AddPeerFamilies(const std::vector<InterfaceSample>& samples, MetricSet& out) const {
    Family receive = out.Counter(kReceiveCounter, "Bytes received from the WireGuard peer.");
    Family transmit = out.Counter(kTransmitCounter, "Bytes sent to the WireGuard peer.");
    Family last_handshake = out.Gauge("wgtune_wireguard_peer_last_handshake_seconds",
                                      "Unix time of the latest handshake with the WireGuard peer, 0 when none.");
    Family handshake_age = out.Gauge("wgtune_wireguard_peer_handshake_age_seconds",
                                     "Seconds since the latest handshake with the WireGuard peer.");
    Family handshakes = out.Counter("wgtune_wireguard_peer_handshakes_total",
                                    "Handshakes with the WireGuard peer seen since the exporter started.");
    Family interval = out.Gauge("wgtune_wireguard_peer_handshake_interval_seconds",
                                "Seconds between the latest two handshakes with the WireGuard peer that the exporter saw.");
    Family keepalive = out.Gauge("wgtune_wireguard_peer_persistent_keepalive_seconds",
                                 "Persistent keepalive interval of the WireGuard peer in seconds, 0 when off.");
    Family allowed_ips =
        out.Gauge("wgtune_wireguard_peer_allowed_ips", "Number of allowed IP prefixes of the WireGuard peer.");
    Family endpoint =
        out.Gauge("wgtune_wireguard_peer_endpoint_info", "Endpoint (address and port) of the WireGuard peer; value 1.");

    const double now = unix_time_();
    for (const InterfaceSample& sample : samples) {
      if (!sample.device) continue;
      const std::string& interface = sample.interface.name;
      for (const WireGuardPeer& peer : sample.device->peers) {
        Labels labels = PeerLabels(interface, peer.public_key);
        receive.Add(labels, static_cast<double>(peer.rx_bytes));
        transmit.Add(labels, static_cast<double>(peer.tx_bytes));
        if (peer.last_handshake_seconds) {
          double time = static_cast<double>(*peer.last_handshake_seconds) + peer.last_handshake_nanoseconds * 1e-9;
          last_handshake.Add(labels, time);
          handshake_age.Add(labels, std::max(0.0, now - time));  // a clock a little behind the daemon's
        } else {
          last_handshake.Add(labels, 0);
        }
        auto counted = handshakes_.find({interface, peer.public_key});
        handshakes.Add(labels, counted == handshakes_.end() ? 0 : static_cast<double>(counted->second.count));
        if (counted != handshakes_.end() && counted->second.interval) interval.Add(labels, *counted->second.interval);
        keepalive.Add(labels, peer.persistent_keepalive_seconds);
        allowed_ips.Add(labels, static_cast<double>(peer.allowed_ips.size()));
        if (!peer.endpoint.empty()) {
          Labels endpoint_labels = labels;
          endpoint_labels.push_back({"endpoint", peer.endpoint});
          endpoint.Add(std::move(endpoint_labels), 1);
        }
      }
    }
  }

  std::string procfs_;
  std::string sysfs_;
  std::string uapi_dir_;
  std::function<double()> unix_time_;
  std::unique_ptr<WireGuardDeviceSource> kernel_;
  std::unique_ptr<WireGuardDeviceSource> userspace_;
  std::map<std::string, std::string> peer_names_;  // public key → name
  std::map<PeerKey, Handshakes> handshakes_;
  ConditionLog failing_;  // interfaces whose backend failed at the last sample
};

}  // namespace

// For tests: the collector over given backends.
std::unique_ptr<Collector> NewWireGuardCollector(const CollectorContext& context,
                                                 std::unique_ptr<WireGuardDeviceSource> kernel,
                                                 std::unique_ptr<WireGuardDeviceSource> userspace) {
  return std::make_unique<WireGuardCollector>(context, std::move(kernel), std::move(userspace));
}

std::unique_ptr<Collector> NewWireGuardCollector(const CollectorContext& context) {
  const ExporterConfig* config = context.config;
  return NewWireGuardCollector(
      context, NewKernelDeviceSource(NewWireGuardKernelSource(config ? config->wireguard_netlink_replay_dir : "")),
      NewUapiDeviceSource(config ? config->wireguard_uapi_dir : ""));
}

}  // namespace wgtune
