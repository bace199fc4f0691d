// The answer of a userspace WireGuard daemon to get=1 on its UAPI socket
// (exporter/wireguard/uapi.h).
#include "exporter/wireguard/uapi.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  WireGuardDevice device;
  if (!fuzz::Parses<ParseError, IoError>([&] { device = ParseUapiGet(fuzz::Text(data, size)); })) return 0;
  fuzz::Check(device.public_key.empty() || device.public_key.size() == 44, "device public key not 44 characters");
  for (const WireGuardPeer& peer : device.peers) {
    fuzz::Check(peer.public_key.size() == 44, "peer public key not 44 characters");
  }
  return 0;
}
