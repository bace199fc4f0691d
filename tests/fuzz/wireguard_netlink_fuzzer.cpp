// Kernel WireGuard's WG_CMD_GET_DEVICE dump (exporter/wireguard/netlink.h), given as a
// recording (exporter/wireguard/netlink_client.h: each datagram after its u32 length), the
// format of --collector.wireguard.netlink-replay-dir, so the fixtures are the seeds.
#include "exporter/wireguard/netlink.h"

#include "exporter/wireguard/netlink_client.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  std::vector<std::vector<uint8_t>> datagrams;
  if (!fuzz::Parses<ParseError>([&] { datagrams = DecodeNetlinkRecording(fuzz::Text(data, size), "fuzz"); })) return 0;
  fuzz::Check(EncodeNetlinkRecording(datagrams) == fuzz::Text(data, size), "recording does not encode back to itself");
  WireGuardDevice device;
  if (!fuzz::Parses<ParseError, NetlinkError>([&] { device = ParseWireGuardDump(datagrams); })) return 0;
  // Keys are base64 of 32 bytes; the device's own is derived from its private key (never kept).
  fuzz::Check(device.public_key.empty() || device.public_key.size() == 44, "device public key not 44 characters");
  for (const WireGuardPeer& peer : device.peers) {
    fuzz::Check(peer.public_key.size() == 44, "peer public key not 44 characters");
  }
  return 0;
}
