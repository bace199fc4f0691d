// UDP datagrams and errors, IPv4 and IPv6 (field guide §4.7 and §5.1: the WireGuard
// underlay is UDP, and a full socket receive buffer shows up here before anywhere else).
//
// Source: /proc/net/snmp "Udp:" and /proc/net/snmp6 "Udp6*" (see exporter/sources/
// net_snmp.h). Every family carries protocol="udp" or "udp6". InErrors already includes
// RcvbufErrors and MemErrors (net/ipv4/udp.c __udp_queue_rcv_skb), so they are not summed.
// A counter this kernel does not print (MemErrors before 5.11) is an absent series;
// /proc/net/snmp6 is absent when IPv6 is disabled.
#include <optional>
#include <string>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/sources/net_snmp.h"

namespace wgtune {
namespace {

struct UdpCounter {
  const char* snmp_name;
  const char* metric;
  const char* help;
};

constexpr UdpCounter kUdpCounters[] = {
    {"InDatagrams", "wgtune_udp_in_datagrams_total", "UDP datagrams delivered to sockets."},
    {"NoPorts", "wgtune_udp_no_ports_total", "UDP datagrams received for a port without a socket."},
    {"InErrors", "wgtune_udp_in_errors_total",
     "UDP datagrams that could not be delivered, receive buffer and memory errors included."},
    {"OutDatagrams", "wgtune_udp_out_datagrams_total", "UDP datagrams sent."},
    {"RcvbufErrors", "wgtune_udp_rcvbuf_errors_total",
     "UDP datagrams dropped because the socket receive buffer was full."},
    {"SndbufErrors", "wgtune_udp_sndbuf_errors_total",
     "UDP datagrams not sent because the socket send buffer was full."},
    {"MemErrors", "wgtune_udp_mem_errors_total",
     "UDP datagrams dropped because UDP memory (net.ipv4.udp_mem) was exhausted."},
};

class UdpCollector : public Collector {
 public:
  explicit UdpCollector(const CollectorContext& context) : procfs_(context.procfs) {}

  void Collect(MetricSet& out) override {
    // Every kernel with IPv4 has /proc/net/snmp: its absence is an error, not a zero.
    NetSnmp snmp = ParseNetSnmp(ReadFile(JoinPath(procfs_, "net/snmp")));
    if (!snmp.protocols.contains("Udp")) throw ParseError("snmp: no Udp counters");
    Add(snmp, "Udp", "udp", out);
    if (std::optional<std::string> text = ReadFileIfExists(JoinPath(procfs_, "net/snmp6"))) {
      Add(ParseNetSnmp6(*text), "Udp6", "udp6", out);
    }
  }

  std::vector<RateSpec> Rates() const override {
    return {
        {"wgtune_udp_in_errors_total", "wgtune_udp_in_errors_per_second", "UDP datagrams not delivered per second."},
        {"wgtune_udp_rcvbuf_errors_total", "wgtune_udp_rcvbuf_errors_per_second",
         "UDP datagrams dropped for a full socket receive buffer per second."},
        {"wgtune_udp_in_datagrams_total", "wgtune_udp_in_datagrams_per_second", "UDP datagrams delivered per second."},
    };
  }

 private:
  static void Add(const NetSnmp& snmp, const char* snmp_protocol, const char* label, MetricSet& out) {
    for (const UdpCounter& counter : kUdpCounters) {
      std::optional<int64_t> value = snmp.Get(snmp_protocol, counter.snmp_name);
      if (!value) continue;
      out.Counter(counter.metric, counter.help).Add({{"protocol", label}}, static_cast<double>(*value));
    }
  }

  std::string procfs_;
};

}  // namespace

std::unique_ptr<Collector> NewUdpCollector(const CollectorContext& context) {
  return std::make_unique<UdpCollector>(context);
}

}  // namespace wgtune
