// The answer to generic netlink's CTRL_CMD_GETFAMILY (exporter/wireguard/netlink.h
// ParseGenlFamilyId): one datagram of raw bytes.
#include "exporter/wireguard/netlink.h"

#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  fuzz::Parses<ParseError, NetlinkError>([&] { ParseGenlFamilyId(fuzz::Bytes(data, size), "wireguard"); });
  return 0;
}
