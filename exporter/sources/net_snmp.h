// Parsers of /proc/net/snmp and /proc/net/snmp6: the kernel's SNMP MIB counters.
//
// /proc/net/snmp (net/ipv4/proc.c snmp_seq_show) prints each protocol as a PAIR of lines,
// "Proto: <names>" then "Proto: <values>", for Ip, Icmp, IcmpMsg, Tcp, Udp and UdpLite.
// IcmpMsg is left out while no ICMP type was counted, and holds at most 16 types per pair,
// so it can also come as several pairs (icmpmsg_put); their names are merged. Values are
// decimal, %lu except Tcp MaxConn (%ld, -1 for "no limit"). Which names a protocol has
// depends on the kernel, so everything is looked up by name: Udp InCsumErrors appeared in
// 3.10, IgnoredMulti in 3.19, MemErrors in 5.11; Ip OutTransmits in 6.3.
//
// /proc/net/snmp6 (net/ipv6/proc.c snmp6_seq_show) prints one counter per line,
// "%-32s\t%lu": the protocol and the name run together ("Udp6InErrors"). The protocol is
// everything up to and including the first '6' (Ip6, Icmp6, Udp6, UdpLite6), so both files
// parse into the same model and a Udp6 counter has the name of its Udp twin.
//
// Source: RFC 1213 / RFC 4113 (the MIB objects), Documentation/networking/snmp_counter.rst.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace wgtune {

struct NetSnmp {
  // protocol ("Udp", "Udp6") → counter name ("InErrors") → value. Signed because of
  // Tcp MaxConn; no counter reaches 2^63.
  std::map<std::string, std::map<std::string, int64_t, std::less<>>, std::less<>> protocols;

  // The counter, or nullopt when this kernel does not print it.
  std::optional<int64_t> Get(std::string_view protocol, std::string_view name) const;
};

// Parses /proc/net/snmp. Throws ParseError ("snmp line 12: ...") on empty input, a line
// without a "Proto:" prefix, a values line whose protocol differs from its header line or
// whose value count differs from the header's name count, a header without its values
// line, or a value that is not a decimal integer.
NetSnmp ParseNetSnmp(std::string_view text);

// Parses /proc/net/snmp6. Throws ParseError ("snmp6 line 3: ...") on empty input, a line
// that is not "name value", a name without a protocol ending in '6', or a value that is
// not a decimal integer.
NetSnmp ParseNetSnmp6(std::string_view text);

}  // namespace wgtune
