// /proc/net/snmp and /proc/net/netstat (exporter/sources/net_snmp.h).
#include "exporter/sources/net_snmp.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  NetSnmp parsed;
  if (!fuzz::Parses<ParseError>([&] { parsed = ParseNetSnmp(fuzz::Text(data, size)); })) return 0;
  for (const auto& [protocol, counters] : parsed.protocols) {
    for (const auto& [name, value] : counters) {
      fuzz::Check(parsed.Get(protocol, name) == value, "Get does not find a parsed counter");
    }
  }
  return 0;
}
