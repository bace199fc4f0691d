#include "exporter/wireguard/netlink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/wireguard/keys.h"
#include "exporter/wireguard/netlink_client.h"

#if __has_include(<linux/wireguard.h>)
#include <linux/wireguard.h>
#define WGTUNE_HAVE_UAPI_WIREGUARD 1
#endif

namespace wgtune {
namespace {

using Bytes = std::vector<uint8_t>;
using Datagrams = std::vector<Bytes>;
using Key = std::array<uint8_t, 32>;

// include/uapi/linux/wireguard.h, written out again here (not taken from the parser) so that a
// wrong number in either place fails; checked against the installed header when there is one.
constexpr uint8_t kCmdGetDevice = 0;
constexpr uint16_t kDeviceIfindex = 1, kDeviceIfname = 2, kDevicePrivateKey = 3, kDevicePublicKey = 4,
                   kDeviceFlags = 5, kDeviceListenPort = 6, kDeviceFwmark = 7, kDevicePeers = 8;
constexpr uint16_t kPeerUnspec = 0, kPeerPublicKey = 1, kPeerPresharedKey = 2, kPeerFlags = 3, kPeerEndpoint = 4,
                   kPeerKeepalive = 5, kPeerLastHandshake = 6, kPeerRxBytes = 7, kPeerTxBytes = 8,
                   kPeerAllowedIps = 9, kPeerProtocolVersion = 10;
constexpr uint16_t kAllowedIpFamily = 1, kAllowedIpAddress = 2, kAllowedIpCidr = 3;
constexpr uint16_t kNested = 0x8000;  // NLA_F_NESTED
constexpr uint16_t kWireGuardFamilyId = 0x1c;
constexpr uint32_t kSequence = 0x65a1b2c3;
constexpr uint32_t kPortId = 0x00001234;

#ifdef WGTUNE_HAVE_UAPI_WIREGUARD
static_assert(WG_CMD_GET_DEVICE == kCmdGetDevice && WG_KEY_LEN == 32);
static_assert(WGDEVICE_A_IFINDEX == kDeviceIfindex && WGDEVICE_A_IFNAME == kDeviceIfname &&
              WGDEVICE_A_PRIVATE_KEY == kDevicePrivateKey && WGDEVICE_A_PUBLIC_KEY == kDevicePublicKey &&
              WGDEVICE_A_FLAGS == kDeviceFlags && WGDEVICE_A_LISTEN_PORT == kDeviceListenPort &&
              WGDEVICE_A_FWMARK == kDeviceFwmark && WGDEVICE_A_PEERS == kDevicePeers);
static_assert(WGPEER_A_PUBLIC_KEY == kPeerPublicKey && WGPEER_A_PRESHARED_KEY == kPeerPresharedKey &&
              WGPEER_A_FLAGS == kPeerFlags && WGPEER_A_ENDPOINT == kPeerEndpoint &&
              WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL == kPeerKeepalive &&
              WGPEER_A_LAST_HANDSHAKE_TIME == kPeerLastHandshake && WGPEER_A_RX_BYTES == kPeerRxBytes &&
              WGPEER_A_TX_BYTES == kPeerTxBytes && WGPEER_A_ALLOWEDIPS == kPeerAllowedIps &&
              WGPEER_A_PROTOCOL_VERSION == kPeerProtocolVersion);
static_assert(WGALLOWEDIP_A_FAMILY == kAllowedIpFamily && WGALLOWEDIP_A_IPADDR == kAllowedIpAddress &&
              WGALLOWEDIP_A_CIDR_MASK == kAllowedIpCidr);
#endif

Key HexKey(std::string_view hex) {
  Key key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  return key;
}

// Deterministic, well-mixed key bytes (splitmix64).
Key TestKey(uint64_t seed) {
  Key key{};
  uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t i = 0; i < key.size(); i += 8) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::memcpy(key.data() + i, &z, 8);
  }
  return key;
}

// RFC 7748 section 6.1: Alice's X25519 pair and Bob's public key, base64 as `wg` prints them.
const Key kAlicePrivate = HexKey("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
const Key kAlicePublic = HexKey("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
const Key kBobPublic = HexKey("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
constexpr char kAlicePublicBase64[] = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
constexpr char kBobPublicBase64[] = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";

// ---------------------------------------------------------------------------------------------
// A netlink encoder that lays bytes out as the kernel does: nlmsghdr (16 bytes), genlmsghdr (4),
// nlattr (4) + payload padded to 4, NLA_F_NESTED on nests, a capacity like an skb's tailroom.

class MessageWriter {
 public:
  MessageWriter(uint16_t type, uint16_t flags, size_t capacity = SIZE_MAX, uint32_t sequence = kSequence,
                uint32_t port_id = kPortId)
      : capacity_(capacity) {
    Append<uint32_t>(0);
    Append<uint16_t>(type);
    Append<uint16_t>(flags);
    Append<uint32_t>(sequence);
    Append<uint32_t>(port_id);
  }

  bool nested_flag = true;  // nla_nest_start sets NLA_F_NESTED since Linux 5.2
  bool pad_u64 = false;     // nla_put_u64_64bit pads on arches without efficient unaligned access

  void Genl(uint8_t command, uint8_t version = 1) {
    bytes_.push_back(command);
    bytes_.push_back(version);
    Append<uint16_t>(0);
  }

  template <typename T>
  void Append(T value) {
    const auto* raw = reinterpret_cast<const uint8_t*>(&value);
    bytes_.insert(bytes_.end(), raw, raw + sizeof value);
  }

  void Raw(const void* data, size_t size) {
    const auto* raw = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), raw, raw + size);
  }

  // nla_put: nothing is written when the padded attribute does not fit.
  bool Put(uint16_t type, const void* data, size_t size) {
    size_t total = Align4(4 + size);
    if (bytes_.size() + total > capacity_) return false;
    Append<uint16_t>(static_cast<uint16_t>(4 + size));
    Append<uint16_t>(type);
    Raw(data, size);
    bytes_.resize(bytes_.size() + (total - 4 - size), 0);
    return true;
  }
  bool Put(uint16_t type, const Bytes& data) { return Put(type, data.data(), data.size()); }
  bool Put(uint16_t type, const Key& key) { return Put(type, key.data(), key.size()); }
  bool PutU8(uint16_t type, uint8_t value) { return Put(type, &value, 1); }
  bool PutU16(uint16_t type, uint16_t value) { return Put(type, &value, 2); }
  bool PutU32(uint16_t type, uint32_t value) { return Put(type, &value, 4); }
  bool PutString(uint16_t type, std::string_view value) {
    std::string with_nul(value);
    return Put(type, with_nul.c_str(), with_nul.size() + 1);
  }
  // nla_put_u64_64bit: a zero-length pad attribute first when the value would not be 8-aligned.
  bool PutU64(uint16_t type, uint64_t value, uint16_t pad_type) {
    bool pad = pad_u64 && (bytes_.size() + 4) % 8 != 0;
    if (bytes_.size() + (pad ? 4 : 0) + 12 > capacity_) return false;
    if (pad) Put(pad_type, nullptr, 0);
    return Put(type, &value, 8);
  }

  std::optional<size_t> Nest(uint16_t type) {
    size_t start = bytes_.size();
    if (!Put(static_cast<uint16_t>(type | (nested_flag ? kNested : 0)), nullptr, 0)) return std::nullopt;
    return start;
  }
  void End(size_t nest) {
    auto length = static_cast<uint16_t>(bytes_.size() - nest);
    std::memcpy(bytes_.data() + nest, &length, 2);
  }
  void Cancel(size_t nest) { bytes_.resize(nest); }

  size_t size() const { return bytes_.size(); }
  Bytes Finish() {
    auto length = static_cast<uint32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &length, 4);
    return bytes_;
  }

 private:
  static size_t Align4(size_t n) { return (n + 3) & ~size_t{3}; }

  size_t capacity_;
  Bytes bytes_;
};

Bytes DoneMessage(int32_t error = 0, uint32_t sequence = kSequence) {
  MessageWriter done(NLMSG_DONE, NLM_F_MULTI, SIZE_MAX, sequence);
  done.Append<int32_t>(error);
  return done.Finish();
}

Bytes ErrorMessage(int32_t error, uint16_t flags = 0, std::string_view explanation = {}) {
  MessageWriter message(NLMSG_ERROR, flags);
  message.Append<int32_t>(error);
  // The request's header, echoed (NETLINK_CAP_ACK: the header only, NLM_F_CAPPED).
  MessageWriter request(kWireGuardFamilyId, NLM_F_REQUEST | NLM_F_DUMP);
  request.Genl(kCmdGetDevice);
  Bytes echoed = request.Finish();
  message.Raw(echoed.data(), 16);
  if (!explanation.empty()) message.PutString(1 /* NLMSGERR_ATTR_MSG */, explanation);
  return message.Finish();
}

Bytes Concat(const Datagrams& datagrams) {
  Bytes out;
  for (const Bytes& datagram : datagrams) out.insert(out.end(), datagram.begin(), datagram.end());
  return out;
}

// The kernel's side of a device, and the text the model must show for it.
struct KernelAllowedIp {
  uint16_t family = AF_INET;
  Bytes address;
  uint8_t cidr = 32;
  std::string text;
};

struct KernelPeer {
  Key public_key{};
  Key preshared_key{};  // all zeros when unset: the kernel sends it regardless
  Bytes endpoint;       // struct sockaddr_in / sockaddr_in6 bytes; empty when none
  std::string endpoint_text;
  uint16_t keepalive = 0;
  int64_t handshake_seconds = 0;
  int64_t handshake_nanoseconds = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  std::vector<KernelAllowedIp> allowed_ips;
};

struct KernelDevice {
  uint32_t ifindex = 4;
  std::string name = "wg0";
  std::optional<Key> private_key;
  std::optional<Key> public_key;
  uint16_t listen_port = 51820;
  uint32_t fwmark = 0;
  std::vector<KernelPeer> peers;
};

Bytes Ipv4Endpoint(const char* address, uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  inet_pton(AF_INET, address, &in.sin_addr);
  const auto* raw = reinterpret_cast<const uint8_t*>(&in);
  return Bytes(raw, raw + sizeof in);
}

Bytes Ipv6Endpoint(const char* address, uint16_t port, uint32_t scope_id = 0) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  in6.sin6_scope_id = scope_id;
  inet_pton(AF_INET6, address, &in6.sin6_addr);
  const auto* raw = reinterpret_cast<const uint8_t*>(&in6);
  return Bytes(raw, raw + sizeof in6);
}

KernelAllowedIp AllowedIp4(std::array<uint8_t, 4> address, uint8_t cidr, std::string text) {
  return {AF_INET, Bytes(address.begin(), address.end()), cidr, std::move(text)};
}

KernelAllowedIp AllowedIp6(const char* address, uint8_t cidr, std::string text) {
  Bytes bytes(16);
  inet_pton(AF_INET6, address, bytes.data());
  return {AF_INET6, bytes, cidr, std::move(text)};
}

struct DumpShape {
  size_t capacity = 32768 - 320;  // about SKB_WITH_OVERHEAD(32768), the kernel's largest dump skb
  bool nested_flag = true;
  bool pad_u64 = false;
};

struct EncodedDump {
  Datagrams datagrams;
  size_t continued_peers = 0;  // peer entries that repeat a peer to carry more allowed IPs
};

bool PutAllowedIp(MessageWriter& m, const KernelAllowedIp& ip) {
  std::optional<size_t> nest = m.Nest(0);
  if (!nest) return false;
  // get_allowedips: CIDR_MASK, FAMILY, IPADDR.
  if (!m.PutU8(kAllowedIpCidr, ip.cidr) || !m.PutU16(kAllowedIpFamily, ip.family) ||
      !m.Put(kAllowedIpAddress, ip.address)) {
    m.Cancel(*nest);
    return false;
  }
  m.End(*nest);
  return true;
}

// drivers/net/wireguard/netlink.c get_peer(): false when the message is full. `resume` is the
// allowed IP to continue from when the peer was cut in the previous message.
bool PutPeer(MessageWriter& m, const KernelPeer& peer, std::optional<size_t>& resume, EncodedDump& out) {
  std::optional<size_t> nest = m.Nest(0);
  if (!nest) return false;
  if (!m.Put(kPeerPublicKey, peer.public_key)) {
    m.Cancel(*nest);
    return false;
  }
  if (!resume) {
    int64_t handshake[2] = {peer.handshake_seconds, peer.handshake_nanoseconds};
    if (!m.Put(kPeerPresharedKey, peer.preshared_key) || !m.Put(kPeerLastHandshake, handshake, sizeof handshake) ||
        !m.PutU16(kPeerKeepalive, peer.keepalive) || !m.PutU64(kPeerTxBytes, peer.tx_bytes, kPeerUnspec) ||
        !m.PutU64(kPeerRxBytes, peer.rx_bytes, kPeerUnspec) || !m.PutU32(kPeerProtocolVersion, 1) ||
        (!peer.endpoint.empty() && !m.Put(kPeerEndpoint, peer.endpoint))) {
      m.Cancel(*nest);
      return false;
    }
  } else {
    ++out.continued_peers;
  }
  size_t first = resume.value_or(0);
  if (first < peer.allowed_ips.size()) {
    std::optional<size_t> ips = m.Nest(kPeerAllowedIps);
    if (!ips) {
      m.Cancel(*nest);
      return false;
    }
    for (size_t i = first; i < peer.allowed_ips.size(); ++i) {
      if (!PutAllowedIp(m, peer.allowed_ips[i])) {
        m.End(*ips);
        m.End(*nest);
        resume = i;
        return false;
      }
    }
    m.End(*ips);
  }
  m.End(*nest);
  resume.reset();
  return true;
}

// wg_get_device_dump(), one call per datagram, then netlink_dump()'s NLMSG_DONE: in the same
// datagram when it still fits, else alone.
EncodedDump EncodeKernelDump(const KernelDevice& device, const DumpShape& shape = {}) {
  EncodedDump out;
  size_t next_peer = 0;
  std::optional<size_t> resume;
  bool first = true;
  for (;;) {
    MessageWriter m(kWireGuardFamilyId, NLM_F_MULTI, shape.capacity);
    m.nested_flag = shape.nested_flag;
    m.pad_u64 = shape.pad_u64;
    m.Genl(kCmdGetDevice);
    if (first) {
      bool fits = m.PutU16(kDeviceListenPort, device.listen_port) && m.PutU32(kDeviceFwmark, device.fwmark) &&
                  m.PutU32(kDeviceIfindex, device.ifindex) && m.PutString(kDeviceIfname, device.name);
      if (device.private_key) fits = fits && m.Put(kDevicePrivateKey, *device.private_key);
      if (device.public_key) fits = fits && m.Put(kDevicePublicKey, *device.public_key);
      if (!fits) throw std::logic_error("capacity too small for the device attributes");
      first = false;
    }
    bool done = true;
    size_t before_peer = next_peer;
    std::optional<size_t> before_resume = resume;
    std::optional<size_t> peers = m.Nest(kDevicePeers);
    if (!peers) throw std::logic_error("capacity too small for WGDEVICE_A_PEERS");
    if (device.peers.empty()) {
      m.Cancel(*peers);
    } else {
      for (size_t i = next_peer; i < device.peers.size(); ++i) {
        if (!PutPeer(m, device.peers[i], resume, out)) {
          done = false;
          break;
        }
        next_peer = i + 1;
      }
      m.End(*peers);
    }
    Bytes datagram = m.Finish();
    if (done) {
      Bytes done_message = DoneMessage();
      if (datagram.size() + done_message.size() <= shape.capacity) {
        datagram.insert(datagram.end(), done_message.begin(), done_message.end());
        out.datagrams.push_back(std::move(datagram));
      } else {
        out.datagrams.push_back(std::move(datagram));
        out.datagrams.push_back(std::move(done_message));
      }
      return out;
    }
    if (next_peer == before_peer && resume == before_resume) throw std::logic_error("capacity too small for a peer");
    out.datagrams.push_back(std::move(datagram));
  }
}

// The model as text, to compare whole devices with a readable difference.
std::string Describe(const WireGuardDevice& device) {
  std::string out = "name=" + device.name +
                    " implementation=" + (device.implementation == WireGuardImplementation::kKernel ? "kernel" : "userspace") +
                    " public_key=" + device.public_key + " listen_port=" + std::to_string(device.listen_port) +
                    " fwmark=" + std::to_string(device.fwmark) + "\n";
  for (const WireGuardPeer& peer : device.peers) {
    out += "peer " + peer.public_key + " endpoint=" + peer.endpoint + " handshake=" +
           (peer.last_handshake_seconds ? std::to_string(*peer.last_handshake_seconds) : "never") + "." +
           std::to_string(peer.last_handshake_nanoseconds) + " rx=" + std::to_string(peer.rx_bytes) +
           " tx=" + std::to_string(peer.tx_bytes) + " keepalive=" + std::to_string(peer.persistent_keepalive_seconds) +
           " version=" + std::to_string(peer.protocol_version) + " allowed_ips=";
    for (const std::string& ip : peer.allowed_ips) out += ip + ",";
    out += "\n";
  }
  return out;
}

WireGuardDevice ExpectedModel(const KernelDevice& device) {
  WireGuardDevice model;
  model.name = device.name;
  model.implementation = WireGuardImplementation::kKernel;
  if (device.public_key) model.public_key = EncodeKeyBase64(*device.public_key);
  model.listen_port = device.listen_port;
  model.fwmark = device.fwmark;
  for (const KernelPeer& kernel : device.peers) {
    WireGuardPeer& peer = model.peers.emplace_back();
    peer.public_key = EncodeKeyBase64(kernel.public_key);
    peer.endpoint = kernel.endpoint_text;
    if (kernel.handshake_seconds != 0 || kernel.handshake_nanoseconds != 0) {
      peer.last_handshake_seconds = kernel.handshake_seconds;
    }
    peer.last_handshake_nanoseconds = kernel.handshake_nanoseconds;
    peer.rx_bytes = kernel.rx_bytes;
    peer.tx_bytes = kernel.tx_bytes;
    peer.persistent_keepalive_seconds = kernel.keepalive;
    for (const KernelAllowedIp& ip : kernel.allowed_ips) peer.allowed_ips.push_back(ip.text);
    peer.protocol_version = 1;
  }
  return model;
}

// wg0 as a NetBird host in kernel mode sees it: a direct IPv4 peer (with a preshared key), a
// peer relayed through NetBird's local proxy (loopback endpoint), an IPv6 peer that never
// completed a handshake.
KernelDevice NetBirdDevice() {
  KernelDevice device;
  device.ifindex = 4;
  device.name = "wg0";
  device.private_key = kAlicePrivate;
  device.public_key = kAlicePublic;
  device.listen_port = 51820;
  device.fwmark = 0x1bd00;

  KernelPeer direct;
  direct.public_key = kBobPublic;
  direct.preshared_key = TestKey(9001);
  direct.endpoint = Ipv4Endpoint("203.0.113.10", 51820);
  direct.endpoint_text = "203.0.113.10:51820";
  direct.keepalive = 25;
  direct.handshake_seconds = 1732521600;
  direct.handshake_nanoseconds = 123456789;
  direct.rx_bytes = 1234567890123;
  direct.tx_bytes = 987654321;
  direct.allowed_ips = {AllowedIp4({100, 64, 0, 2}, 32, "100.64.0.2/32"),
                        AllowedIp4({10, 20, 0, 0}, 16, "10.20.0.0/16")};

  KernelPeer relayed;
  relayed.public_key = TestKey(2);
  relayed.endpoint = Ipv4Endpoint("127.0.0.1", 44231);
  relayed.endpoint_text = "127.0.0.1:44231";
  relayed.keepalive = 25;
  relayed.handshake_seconds = 1732521540;
  relayed.handshake_nanoseconds = 5;
  relayed.rx_bytes = 4096;
  relayed.tx_bytes = 8192;
  relayed.allowed_ips = {AllowedIp4({100, 64, 0, 3}, 32, "100.64.0.3/32")};

  KernelPeer never;
  never.public_key = TestKey(3);
  never.endpoint = Ipv6Endpoint("2001:db8:1::10", 51820);
  never.endpoint_text = "[2001:db8:1::10]:51820";
  never.tx_bytes = 148;  // one handshake initiation sent, no answer
  never.allowed_ips = {AllowedIp4({100, 64, 0, 4}, 32, "100.64.0.4/32"),
                       AllowedIp6("fd00:100::", 64, "fd00:100::/64")};

  device.peers = {direct, relayed, never};
  return device;
}

// 1,000 peers with 1 to 4 allowed IPs each, and three with hundreds, so that peers and
// allowed-IP lists are both cut across messages.
KernelDevice ThousandPeerDevice() {
  KernelDevice device;
  device.name = "wt0";
  device.private_key = TestKey(1'000'000);
  device.public_key = TestKey(1'000'001);
  for (uint32_t i = 0; i < 1000; ++i) {
    KernelPeer peer;
    peer.public_key = TestKey(i);
    peer.preshared_key = TestKey(500'000 + i);
    auto a = static_cast<uint8_t>(i >> 8), b = static_cast<uint8_t>(i & 0xff);
    if (i % 3 == 0) {
      peer.endpoint = Ipv6Endpoint(("2001:db8::" + std::to_string(i + 1)).c_str(), 51820);
      peer.endpoint_text = "[2001:db8::" + std::to_string(i + 1) + "]:51820";
    } else if (i % 7 != 0) {
      peer.endpoint = Ipv4Endpoint(("198.51." + std::to_string(a) + "." + std::to_string(b)).c_str(), 40000 + i);
      peer.endpoint_text = "198.51." + std::to_string(a) + "." + std::to_string(b) + ":" + std::to_string(40000 + i);
    }
    if (i % 5 != 0) {
      peer.handshake_seconds = 1732520000 + i;
      peer.handshake_nanoseconds = i * 1000;
    }
    peer.keepalive = i % 2 ? 25 : 0;
    peer.rx_bytes = uint64_t{i} * 1'000'003;
    peer.tx_bytes = (uint64_t{1} << 40) + i;
    size_t count = (i == 17 || i == 500 || i == 999) ? 300 + i % 7 : 1 + i % 4;
    for (size_t k = 0; k < count; ++k) {
      if (k % 2 == 0) {
        auto c = static_cast<uint8_t>(k >> 8), d = static_cast<uint8_t>(k & 0xff);
        peer.allowed_ips.push_back(AllowedIp4({100, static_cast<uint8_t>(64 + (i % 64)), c, d}, 32,
                                              "100." + std::to_string(64 + i % 64) + "." + std::to_string(c) + "." +
                                                  std::to_string(d) + "/32"));
      } else {
        char group[8];
        std::snprintf(group, sizeof group, "%x", static_cast<unsigned>(i * 1000 + k + 1) & 0xffff);
        std::string address = std::string("fd7a:115c:a1e0:") + group + "::";
        peer.allowed_ips.push_back(AllowedIp6(address.c_str(), 64, address + "/64"));
      }
    }
    device.peers.push_back(std::move(peer));
  }
  return device;
}

std::string Base64(const Key& key) { return EncodeKeyBase64(key); }

std::string Hex(const Key& key) {
  std::string out;
  char digits[3];
  for (uint8_t byte : key) {
    std::snprintf(digits, sizeof digits, "%02x", byte);
    out += digits;
  }
  return out;
}

// Every string the model holds.
std::vector<std::string> StringFields(const WireGuardDevice& device) {
  std::vector<std::string> fields = {device.name, device.public_key};
  for (const WireGuardPeer& peer : device.peers) {
    fields.push_back(peer.public_key);
    fields.push_back(peer.endpoint);
    fields.insert(fields.end(), peer.allowed_ips.begin(), peer.allowed_ips.end());
  }
  return fields;
}

// Every string field of the model, joined by NULs (no field holds one): a copy of a secret in
// any field, or straddling none, shows up as a substring.
std::string AllStrings(const WireGuardDevice& device) {
  std::string all;
  for (const std::string& field : StringFields(device)) all += field + '\0';
  return all;
}

void ExpectSecretAbsent(const std::string& all_strings, const Key& secret, const std::string& what) {
  std::string raw(secret.begin(), secret.end());
  // Any 8 consecutive bytes of the key would betray a copy, even a partial one.
  for (const std::string& needle : {Base64(secret), Hex(secret), raw.substr(0, 8), raw.substr(12, 8),
                                    raw.substr(24, 8), Base64(secret).substr(0, 20)}) {
    size_t at = all_strings.find(needle);
    EXPECT_EQ(at, std::string::npos) << what << " found in the model at " << at;
  }
}

// ---------------------------------------------------------------------------------------------

TEST(WireGuardKeys, Base64AsWgPrintsIt) {
  EXPECT_EQ(EncodeKeyBase64(kAlicePublic), kAlicePublicBase64);
  EXPECT_EQ(EncodeKeyBase64(kBobPublic), kBobPublicBase64);
  EXPECT_EQ(EncodeKeyBase64(Key{}), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  Key ones;
  ones.fill(0xff);
  EXPECT_EQ(EncodeKeyBase64(ones), "//////////////////////////////////////////8=");
}

TEST(WireGuardKeys, HexToBase64) {
  EXPECT_EQ(HexKeyToBase64("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), kAlicePublicBase64);
  EXPECT_EQ(HexKeyToBase64("8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A"), kAlicePublicBase64);
  EXPECT_EQ(HexKeyToBase64(""), std::nullopt);
  EXPECT_EQ(HexKeyToBase64("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6"), std::nullopt);
  EXPECT_EQ(HexKeyToBase64("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6az"), std::nullopt);
  EXPECT_EQ(HexKeyToBase64("zz20f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), std::nullopt);
}

// The encoder above must lay bytes out as the kernel does; this pins it to bytes written by hand.
TEST(WireGuardNetlinkEncoder, SmallDumpIsByteExact) {
  KernelDevice device;
  device.ifindex = 5;
  device.name = "wg0";
  device.listen_port = 51820;
  Datagrams dump = EncodeKernelDump(device).datagrams;
  const Bytes want = {
      // nlmsghdr: len 52, type 0x1c (the family), flags NLM_F_MULTI, seq, port id
      0x34, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x02, 0x00, 0xc3, 0xb2, 0xa1, 0x65, 0x34, 0x12, 0x00, 0x00,
      // genlmsghdr: WG_CMD_GET_DEVICE, version 1
      0x00, 0x01, 0x00, 0x00,
      // WGDEVICE_A_LISTEN_PORT u16 51820, 2 bytes of padding
      0x06, 0x00, 0x06, 0x00, 0x6c, 0xca, 0x00, 0x00,
      // WGDEVICE_A_FWMARK u32 0
      0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
      // WGDEVICE_A_IFINDEX u32 5
      0x08, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00,
      // WGDEVICE_A_IFNAME "wg0\0"
      0x08, 0x00, 0x02, 0x00, 'w', 'g', '0', 0x00,
      // NLMSG_DONE: len 20, type 3, NLM_F_MULTI, seq, port id, error 0
      0x14, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0xc3, 0xb2, 0xa1, 0x65, 0x34, 0x12, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00};
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(dump[0], want);

  WireGuardDevice parsed = ParseWireGuardDump(std::span<const uint8_t>(want));
  EXPECT_EQ(parsed.name, "wg0");
  EXPECT_EQ(parsed.listen_port, 51820);
  EXPECT_EQ(parsed.public_key, "");
  EXPECT_TRUE(parsed.peers.empty());
}

TEST(WireGuardNetlinkEncoder, PeerNestIsByteExact) {
  MessageWriter m(kWireGuardFamilyId, NLM_F_MULTI);
  m.Genl(kCmdGetDevice);
  size_t peers = *m.Nest(kDevicePeers);
  KernelPeer peer;
  peer.allowed_ips = {AllowedIp4({10, 0, 0, 1}, 32, "")};
  std::optional<size_t> resume = 0;  // a continuation: public key and allowed IPs only
  EncodedDump stats;
  ASSERT_TRUE(PutPeer(m, peer, resume, stats));
  m.End(peers);
  Bytes bytes = m.Finish();
  Bytes want_tail = {
      0x4c, 0x00, 0x08, 0x80,  // WGDEVICE_A_PEERS | NLA_F_NESTED, 76 bytes
      0x48, 0x00, 0x00, 0x80,  // peer 0 | NLA_F_NESTED, 72 bytes
      0x24, 0x00, 0x01, 0x00,  // WGPEER_A_PUBLIC_KEY, 36 bytes
  };
  want_tail.resize(want_tail.size() + 32, 0);
  Bytes allowed = {
      0x20, 0x00, 0x09, 0x80,  // WGPEER_A_ALLOWEDIPS | NLA_F_NESTED, 32 bytes
      0x1c, 0x00, 0x00, 0x80,  // allowed IP 0 | NLA_F_NESTED, 28 bytes
      0x05, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x00,  // WGALLOWEDIP_A_CIDR_MASK u8 32, padded
      0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,  // WGALLOWEDIP_A_FAMILY u16 AF_INET, padded
      0x08, 0x00, 0x02, 0x00, 10, 0, 0, 1,            // WGALLOWEDIP_A_IPADDR 10.0.0.1
  };
  want_tail.insert(want_tail.end(), allowed.begin(), allowed.end());
  ASSERT_EQ(bytes.size(), 20 + want_tail.size());
  EXPECT_EQ(Bytes(bytes.begin() + 20, bytes.end()), want_tail);
}

TEST(WireGuardNetlink, DeviceWithTwoKindsOfEndpointAndANeverHandshakedPeer) {
  KernelDevice device = NetBirdDevice();
  WireGuardDevice parsed = ParseWireGuardDump(EncodeKernelDump(device).datagrams);
  EXPECT_EQ(Describe(parsed), Describe(ExpectedModel(device)));
  // Spelled out, independently of ExpectedModel:
  EXPECT_EQ(parsed.name, "wg0");
  EXPECT_EQ(parsed.implementation, WireGuardImplementation::kKernel);
  EXPECT_EQ(parsed.public_key, kAlicePublicBase64);
  EXPECT_EQ(parsed.listen_port, 51820);
  EXPECT_EQ(parsed.fwmark, 0x1bd00u);
  ASSERT_EQ(parsed.peers.size(), 3u);
  EXPECT_EQ(parsed.peers[0].public_key, kBobPublicBase64);
  EXPECT_EQ(parsed.peers[0].endpoint, "203.0.113.10:51820");
  EXPECT_EQ(parsed.peers[0].last_handshake_seconds, 1732521600);
  EXPECT_EQ(parsed.peers[0].last_handshake_nanoseconds, 123456789);
  EXPECT_EQ(parsed.peers[0].rx_bytes, 1234567890123u);
  EXPECT_EQ(parsed.peers[0].tx_bytes, 987654321u);
  EXPECT_EQ(parsed.peers[0].persistent_keepalive_seconds, 25);
  EXPECT_EQ(parsed.peers[0].protocol_version, 1u);
  EXPECT_EQ(parsed.peers[0].allowed_ips, (std::vector<std::string>{"100.64.0.2/32", "10.20.0.0/16"}));
  EXPECT_EQ(parsed.peers[1].endpoint, "127.0.0.1:44231");
  EXPECT_EQ(parsed.peers[2].endpoint, "[2001:db8:1::10]:51820");
  EXPECT_EQ(parsed.peers[2].last_handshake_seconds, std::nullopt);
  EXPECT_EQ(parsed.peers[2].last_handshake_nanoseconds, 0);
  EXPECT_EQ(parsed.peers[2].persistent_keepalive_seconds, 0);
  EXPECT_EQ(parsed.peers[2].allowed_ips, (std::vector<std::string>{"100.64.0.4/32", "fd00:100::/64"}));
}

TEST(WireGuardNetlink, ThousandPeersSplitAcrossMessagesAreCoalesced) {
  KernelDevice device = ThousandPeerDevice();
  WireGuardDevice want = ExpectedModel(device);
  ASSERT_EQ(want.peers.size(), 1000u);
  struct Shape {
    std::string name;
    DumpShape shape;
  };
  const std::vector<Shape> shapes = {
      {"4 KiB messages (NLMSG_GOODSIZE)", {3776, true, false}},
      {"32 KiB messages", {}},
      {"small messages, no NLA_F_NESTED, u64 padding", {1024, false, true}},
  };
  for (const Shape& shape : shapes) {
    SCOPED_TRACE(shape.name);
    EncodedDump dump = EncodeKernelDump(device, shape.shape);
    // The dump really is cut: peers across messages, allowed IPs within a peer too.
    EXPECT_GT(dump.datagrams.size(), 5u);
    EXPECT_GE(dump.continued_peers, 3u);
    WireGuardDevice parsed = ParseWireGuardDump(dump.datagrams);
    ASSERT_EQ(parsed.peers.size(), 1000u);
    EXPECT_EQ(parsed.peers[17].allowed_ips.size(), 303u);
    EXPECT_EQ(parsed.peers[500].allowed_ips.size(), 303u);
    EXPECT_EQ(parsed.peers[999].allowed_ips.size(), 305u);
    EXPECT_EQ(parsed.peers[500].allowed_ips.front(), "100.116.0.0/32");
    EXPECT_EQ(parsed.peers[500].allowed_ips.back(), "100.116.1.46/32");
    EXPECT_EQ(Describe(parsed), Describe(want));
    // One buffer of back-to-back datagrams parses the same.
    EXPECT_EQ(Describe(ParseWireGuardDump(std::span<const uint8_t>(Concat(dump.datagrams)))), Describe(want));
  }
}

TEST(WireGuardNetlink, CoalescesOnlyAdjacentEntriesOfTheSameKey) {
  // Peer A cut in two, then B, then A's key again: the last one is a different entry (the kernel
  // never does this, but coalescing must only ever join neighbours).
  MessageWriter m(kWireGuardFamilyId, NLM_F_MULTI);
  m.Genl(kCmdGetDevice);
  m.PutString(kDeviceIfname, "wg0");
  size_t peers = *m.Nest(kDevicePeers);
  auto entry = [&](const Key& key, std::array<uint8_t, 4> ip) {
    size_t nest = *m.Nest(0);
    m.Put(kPeerPublicKey, key);
    size_t ips = *m.Nest(kPeerAllowedIps);
    PutAllowedIp(m, AllowedIp4(ip, 32, ""));
    m.End(ips);
    m.End(nest);
  };
  entry(TestKey(1), {10, 0, 0, 1});
  entry(TestKey(1), {10, 0, 0, 2});
  entry(TestKey(2), {10, 0, 0, 3});
  entry(TestKey(1), {10, 0, 0, 4});
  m.End(peers);
  WireGuardDevice parsed = ParseWireGuardDump(Datagrams{m.Finish(), DoneMessage()});
  ASSERT_EQ(parsed.peers.size(), 3u);
  EXPECT_EQ(parsed.peers[0].allowed_ips, (std::vector<std::string>{"10.0.0.1/32", "10.0.0.2/32"}));
  EXPECT_EQ(parsed.peers[1].allowed_ips, (std::vector<std::string>{"10.0.0.3/32"}));
  EXPECT_EQ(parsed.peers[2].public_key, Base64(TestKey(1)));
  EXPECT_EQ(parsed.peers[2].allowed_ips, (std::vector<std::string>{"10.0.0.4/32"}));
}

TEST(WireGuardNetlink, PrivateAndPresharedKeysNeverReachTheModel) {
  for (const KernelDevice& device : {NetBirdDevice(), ThousandPeerDevice()}) {
    EncodedDump dump = EncodeKernelDump(device, {3776, true, false});
    // They are in the input...
    Bytes all = Concat(dump.datagrams);
    auto contains = [&](const Key& key) {
      return std::search(all.begin(), all.end(), key.begin(), key.end()) != all.end();
    };
    ASSERT_TRUE(contains(*device.private_key));
    ASSERT_TRUE(contains(device.peers[0].preshared_key));
    // ...and nowhere in the output.
    WireGuardDevice parsed = ParseWireGuardDump(dump.datagrams);
    ASSERT_EQ(parsed.peers.size(), device.peers.size());
    std::string all_strings = AllStrings(parsed);
    ASSERT_NE(all_strings.find(Base64(device.peers[0].public_key)), std::string::npos);  // the search works
    ExpectSecretAbsent(all_strings, *device.private_key, "private key");
    for (const KernelPeer& peer : device.peers) ExpectSecretAbsent(all_strings, peer.preshared_key, "preshared key");
  }
}

// Messages for the table below: a device message holding `attributes` after the genl header.
Bytes DeviceMessage(const std::function<void(MessageWriter&)>& attributes, uint16_t flags = NLM_F_MULTI,
                    uint16_t type = kWireGuardFamilyId, uint8_t command = kCmdGetDevice) {
  MessageWriter m(type, flags);
  m.Genl(command);
  attributes(m);
  return m.Finish();
}

// A device message with one peer holding `attributes` after its public key.
Bytes PeerMessage(const std::function<void(MessageWriter&)>& attributes, bool with_key = true) {
  return DeviceMessage([&](MessageWriter& m) {
    m.PutString(kDeviceIfname, "wg0");
    size_t peers = *m.Nest(kDevicePeers);
    size_t peer = *m.Nest(0);
    if (with_key) m.Put(kPeerPublicKey, kBobPublic);
    attributes(m);
    m.End(peer);
    m.End(peers);
  });
}

// A peer with one allowed IP made of `attributes`.
Bytes AllowedIpMessage(const std::function<void(MessageWriter&)>& attributes) {
  return PeerMessage([&](MessageWriter& m) {
    size_t ips = *m.Nest(kPeerAllowedIps);
    size_t ip = *m.Nest(0);
    attributes(m);
    m.End(ip);
    m.End(ips);
  });
}

// Overwrites bytes at `offset` of a copy.
Bytes Patched(Bytes bytes, size_t offset, std::initializer_list<uint8_t> patch) {
  std::copy(patch.begin(), patch.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset));
  return bytes;
}

Bytes Truncated(Bytes bytes, size_t size) {
  bytes.resize(size);
  return bytes;
}

// A peer whose nest claims 48 bytes inside a WGDEVICE_A_PEERS of 40. The bytes exist (the
// listen port and fwmark follow), so only checking the container catches it.
Bytes NestOverflowMessage() {
  Bytes message = DeviceMessage([](MessageWriter& m) {
    size_t peers = *m.Nest(kDevicePeers);
    size_t peer = *m.Nest(0);
    m.Put(kPeerPublicKey, kBobPublic);
    m.End(peer);
    m.End(peers);
    m.PutU16(kDeviceListenPort, 51820);
    m.PutU32(kDeviceFwmark, 0);
  });
  // nlmsghdr 16 + genlmsghdr 4, WGDEVICE_A_PEERS' header at 20, the peer's at 24.
  return Patched(message, 24, {48, 0});
}

const Bytes kMinimalDevice = DeviceMessage([](MessageWriter& m) { m.PutString(kDeviceIfname, "wg0"); });

enum class Outcome { kOk, kParseError, kNetlinkError };

struct DumpCase {
  std::string name;
  Datagrams input;
  Outcome outcome;
  std::string want;  // a substring of the error message; for kOk, of Describe(model)
  int error_number = 0;
};

const std::vector<DumpCase>& DumpCases() {
  static const std::vector<DumpCase> cases = {
      // --- framing
      {"empty input", {}, Outcome::kParseError, "no NLMSG_DONE after 0 messages"},
      {"empty datagram", {Bytes{}}, Outcome::kParseError, "no NLMSG_DONE"},
      {"only NLMSG_DONE", {DoneMessage()}, Outcome::kParseError, "NLMSG_DONE without a device message"},
      {"no NLMSG_DONE (truncated dump)", {kMinimalDevice}, Outcome::kParseError, "the dump is truncated"},
      {"not enough bytes for a message header", {Truncated(kMinimalDevice, 10)}, Outcome::kParseError,
       "message 1: 10 stray bytes, too few for a message header"},
      {"message length shorter than its header", {Patched(kMinimalDevice, 0, {8, 0, 0, 0}), DoneMessage()},
       Outcome::kParseError, "message 1: length 8 is shorter than its 16-byte header"},
      {"message length past the end", {Patched(kMinimalDevice, 0, {200, 0, 0, 0})}, Outcome::kParseError,
       "message 1: length 200 runs past the end of the data (28 bytes left)"},
      {"no generic netlink header",
       {Patched(Truncated(kMinimalDevice, 18), 0, {18, 0, 0, 0}), DoneMessage()}, Outcome::kParseError,
       "2 bytes of payload, too few for a generic netlink header"},
      {"another command", {DeviceMessage([](MessageWriter&) {}, NLM_F_MULTI, kWireGuardFamilyId, 1), DoneMessage()},
       Outcome::kParseError, "command 1, want WG_CMD_GET_DEVICE (0)"},
      {"messages of two families",
       {kMinimalDevice, DeviceMessage([](MessageWriter&) {}, NLM_F_MULTI, 0x1d), DoneMessage()},
       Outcome::kParseError, "message 2: message type 29, earlier messages were 28"},
      {"a message after NLMSG_DONE", {kMinimalDevice, DoneMessage(), kMinimalDevice}, Outcome::kParseError,
       "message 3: a message after NLMSG_DONE"},
      {"messages of two interfaces",
       {kMinimalDevice, DeviceMessage([](MessageWriter& m) { m.PutString(kDeviceIfname, "wg1"); }), DoneMessage()},
       Outcome::kParseError, "interface wg1, earlier messages were about wg0"},
      // --- attributes
      {"truncated attribute (stray bytes after the last one)",
       {Patched(Truncated(DeviceMessage([](MessageWriter& m) {
                            m.PutString(kDeviceIfname, "wg0");
                            m.PutU16(kDeviceListenPort, 51820);
                          }),
                          31),
                0, {31, 0, 0, 0}),
        DoneMessage()},
       Outcome::kParseError,
       "message 1: device: 3 stray bytes at its end, too few for an attribute header"},
      {"attribute length shorter than its header", {Patched(kMinimalDevice, 20, {2, 0}), DoneMessage()},
       Outcome::kParseError, "WGDEVICE_A_IFNAME in device: length 2 is shorter than its 4-byte header"},
      {"lying attribute length", {Patched(kMinimalDevice, 20, {64, 0}), DoneMessage()}, Outcome::kParseError,
       "WGDEVICE_A_IFNAME in device: length 64 runs past the end of its container (8 bytes left)"},
      {"nested length overflows its nest", {NestOverflowMessage(), DoneMessage()}, Outcome::kParseError,
       "attribute type 0 in WGDEVICE_A_PEERS: length 48 runs past the end of its container (40 bytes left)"},
      {"listen port of 4 bytes",
       {DeviceMessage([](MessageWriter& m) { m.PutU32(kDeviceListenPort, 51820); }), DoneMessage()},
       Outcome::kParseError, "message 1: WGDEVICE_A_LISTEN_PORT has 4 bytes, want 2"},
      {"fwmark of 2 bytes", {DeviceMessage([](MessageWriter& m) { m.PutU16(kDeviceFwmark, 1); }), DoneMessage()},
       Outcome::kParseError, "WGDEVICE_A_FWMARK has 2 bytes, want 4"},
      {"ifindex of 8 bytes",
       {DeviceMessage([](MessageWriter& m) { m.PutU64(kDeviceIfindex, 4, 0); }), DoneMessage()},
       Outcome::kParseError, "WGDEVICE_A_IFINDEX has 8 bytes, want 4"},
      {"public key of 31 bytes",
       {DeviceMessage([](MessageWriter& m) { m.Put(kDevicePublicKey, kAlicePublic.data(), 31); }), DoneMessage()},
       Outcome::kParseError, "WGDEVICE_A_PUBLIC_KEY has 31 bytes, want 32"},
      {"interface name of 16 bytes",
       {DeviceMessage([](MessageWriter& m) { m.PutString(kDeviceIfname, "wireguard-mesh-0"); }), DoneMessage()},
       Outcome::kParseError, "WGDEVICE_A_IFNAME is 16 bytes long, want 1 to 15"},
      {"empty interface name",
       {DeviceMessage([](MessageWriter& m) { m.PutString(kDeviceIfname, ""); }), DoneMessage()},
       Outcome::kParseError, "WGDEVICE_A_IFNAME is 0 bytes long"},
      {"peer without public key", {PeerMessage([](MessageWriter& m) { m.PutU16(kPeerKeepalive, 25); }, false), DoneMessage()},
       Outcome::kParseError, "message 1, peer 1: a peer without WGPEER_A_PUBLIC_KEY"},
      {"peer public key of 33 bytes",
       {PeerMessage([](MessageWriter& m) { m.Put(kPeerPublicKey, Bytes(33, 1)); }, false), DoneMessage()},
       Outcome::kParseError, "peer 1: WGPEER_A_PUBLIC_KEY has 33 bytes, want 32"},
      {"rx bytes of 4 bytes", {PeerMessage([](MessageWriter& m) { m.PutU32(kPeerRxBytes, 7); }), DoneMessage()},
       Outcome::kParseError, "peer 1: WGPEER_A_RX_BYTES has 4 bytes, want 8"},
      {"tx bytes of 2 bytes", {PeerMessage([](MessageWriter& m) { m.PutU16(kPeerTxBytes, 7); }), DoneMessage()},
       Outcome::kParseError, "WGPEER_A_TX_BYTES has 2 bytes, want 8"},
      {"keepalive of 4 bytes", {PeerMessage([](MessageWriter& m) { m.PutU32(kPeerKeepalive, 25); }), DoneMessage()},
       Outcome::kParseError, "WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL has 4 bytes, want 2"},
      {"32-bit timespec handshake",
       {PeerMessage([](MessageWriter& m) {
          int32_t old[2] = {1732521600, 0};
          m.Put(kPeerLastHandshake, old, sizeof old);
        }),
        DoneMessage()},
       Outcome::kParseError, "WGPEER_A_LAST_HANDSHAKE_TIME has 8 bytes, want 16"},
      {"handshake nanoseconds out of range",
       {PeerMessage([](MessageWriter& m) {
          int64_t time[2] = {1732521600, 1'000'000'000};
          m.Put(kPeerLastHandshake, time, sizeof time);
        }),
        DoneMessage()},
       Outcome::kParseError, "1000000000 nanoseconds, want 0 to 999999999"},
      {"endpoint shorter than a sockaddr",
       {PeerMessage([](MessageWriter& m) { m.Put(kPeerEndpoint, Truncated(Ipv4Endpoint("192.0.2.1", 1), 8)); }),
        DoneMessage()},
       Outcome::kParseError, "WGPEER_A_ENDPOINT has 8 bytes, less than a struct sockaddr (16)"},
      {"AF_INET endpoint of sockaddr_in6 size",
       {PeerMessage([](MessageWriter& m) {
          Bytes endpoint = Ipv6Endpoint("2001:db8::1", 1);
          uint16_t inet = AF_INET;
          std::memcpy(endpoint.data(), &inet, 2);
          m.Put(kPeerEndpoint, endpoint);
        }),
        DoneMessage()},
       Outcome::kParseError, "WGPEER_A_ENDPOINT has 28 bytes, want 16"},
      {"AF_INET6 endpoint of sockaddr_in size",
       {PeerMessage([](MessageWriter& m) {
          Bytes endpoint = Ipv4Endpoint("192.0.2.1", 1);
          uint16_t inet6 = AF_INET6;
          std::memcpy(endpoint.data(), &inet6, 2);
          m.Put(kPeerEndpoint, endpoint);
        }),
        DoneMessage()},
       Outcome::kParseError, "WGPEER_A_ENDPOINT has 16 bytes, want 28"},
      {"allowed IP without mask",
       {AllowedIpMessage([](MessageWriter& m) {
          m.PutU16(kAllowedIpFamily, AF_INET);
          m.Put(kAllowedIpAddress, Bytes{10, 0, 0, 1});
        }),
        DoneMessage()},
       Outcome::kParseError, "peer 1, allowed IP 1: an allowed IP without"},
      {"allowed IP of family 7",
       {AllowedIpMessage([](MessageWriter& m) {
          m.PutU8(kAllowedIpCidr, 32);
          m.PutU16(kAllowedIpFamily, 7);
          m.Put(kAllowedIpAddress, Bytes{10, 0, 0, 1});
        }),
        DoneMessage()},
       Outcome::kParseError, "WGALLOWEDIP_A_FAMILY 7, want AF_INET (2) or AF_INET6 (10)"},
      {"IPv4 allowed IP of 16 bytes",
       {AllowedIpMessage([](MessageWriter& m) {
          m.PutU8(kAllowedIpCidr, 32);
          m.PutU16(kAllowedIpFamily, AF_INET);
          m.Put(kAllowedIpAddress, Bytes(16, 1));
        }),
        DoneMessage()},
       Outcome::kParseError, "WGALLOWEDIP_A_IPADDR has 16 bytes, want 4 for family 2"},
      {"IPv4 allowed IP with mask 33",
       {AllowedIpMessage([](MessageWriter& m) {
          m.PutU8(kAllowedIpCidr, 33);
          m.PutU16(kAllowedIpFamily, AF_INET);
          m.Put(kAllowedIpAddress, Bytes{10, 0, 0, 1});
        }),
        DoneMessage()},
       Outcome::kParseError, "WGALLOWEDIP_A_CIDR_MASK 33 exceeds 32"},
      {"mask of 2 bytes",
       {AllowedIpMessage([](MessageWriter& m) { m.PutU16(kAllowedIpCidr, 32); }), DoneMessage()},
       Outcome::kParseError, "WGALLOWEDIP_A_CIDR_MASK has 2 bytes, want 1"},
      // --- error answers
      {"NLMSG_ERROR ENODEV", {ErrorMessage(-ENODEV, NLM_F_CAPPED)}, Outcome::kNetlinkError,
       "answered WG_CMD_GET_DEVICE with errno 19 (No such device) (no such interface)", ENODEV},
      {"NLMSG_ERROR EOPNOTSUPP", {ErrorMessage(-EOPNOTSUPP)}, Outcome::kNetlinkError,
       "(the interface is not a kernel WireGuard interface)", EOPNOTSUPP},
      {"NLMSG_ERROR EPERM with the kernel's explanation",
       {ErrorMessage(-EPERM, NLM_F_CAPPED | NLM_F_ACK_TLVS, "Operation requires CAP_NET_ADMIN")},
       Outcome::kNetlinkError,
       "errno 1 (Operation not permitted): Operation requires CAP_NET_ADMIN (reading keys and peers needs "
       "CAP_NET_ADMIN)",
       EPERM},
      {"NLMSG_ERROR too short for its error code",
       {Patched(Truncated(ErrorMessage(-ENODEV), 18), 0, {18, 0, 0, 0})}, Outcome::kParseError,
       "NLMSG_ERROR has 2 bytes, too few for its error code"},
      {"NLMSG_DONE carrying an error", {kMinimalDevice, DoneMessage(-EMSGSIZE)}, Outcome::kNetlinkError,
       "dump ended with errno 90", EMSGSIZE},
      {"dump interrupted by a change (NLM_F_DUMP_INTR)",
       {DeviceMessage([](MessageWriter& m) { m.PutString(kDeviceIfname, "wg0"); }, NLM_F_MULTI | NLM_F_DUMP_INTR),
        DoneMessage()},
       Outcome::kNetlinkError, "interrupted", EINTR},
      // --- real variants that parse
      {"device without private key nor peers", {Concat(EncodeKernelDump(KernelDevice{}).datagrams)}, Outcome::kOk,
       "name=wg0 implementation=kernel public_key= listen_port=51820 fwmark=0\n"},
      {"NLMSG_DONE in its own datagram", {kMinimalDevice, DoneMessage()}, Outcome::kOk, "name=wg0 "},
      {"NLMSG_DONE without its int (lenient)", {kMinimalDevice, Truncated(Patched(DoneMessage(), 0, {16}), 16)},
       Outcome::kOk, "name=wg0 "},
      {"NLMSG_NOOP and an ACK are skipped",
       {MessageWriter(NLMSG_NOOP, 0).Finish(), kMinimalDevice, ErrorMessage(0), DoneMessage()}, Outcome::kOk,
       "name=wg0 "},
      {"no WGDEVICE_A_IFNAME", {DeviceMessage([](MessageWriter& m) { m.PutU16(kDeviceListenPort, 7); }), DoneMessage()},
       Outcome::kOk, "name= implementation=kernel public_key= listen_port=7 "},
      {"unknown attributes at every level are skipped",
       {DeviceMessage([](MessageWriter& m) {
          m.PutString(kDeviceIfname, "wg0");
          m.PutU32(kDeviceFlags, 0);
          m.PutU32(99, 1);
          size_t peers = *m.Nest(kDevicePeers);
          size_t peer = *m.Nest(0);
          m.Put(kPeerPublicKey, kBobPublic);
          m.PutU32(kPeerFlags, 0);
          m.Put(42, Bytes(13, 0xee));
          m.Put(kPeerUnspec, nullptr, 0);
          size_t ips = *m.Nest(kPeerAllowedIps);
          size_t ip = *m.Nest(0);
          m.PutU8(kAllowedIpCidr, 24);
          m.PutU16(kAllowedIpFamily, AF_INET);
          m.Put(kAllowedIpAddress, Bytes{192, 0, 2, 0});
          m.PutU32(9, 0xdeadbeef);
          m.End(ip);
          m.End(ips);
          m.End(peer);
          m.End(peers);
        }),
        DoneMessage()},
       Outcome::kOk, "peer " + std::string(kBobPublicBase64) + " endpoint= handshake=never.0 rx=0 tx=0 keepalive=0 "
                     "version=0 allowed_ips=192.0.2.0/24,\n"},
      {"link-local IPv6 endpoint with scope id",
       {PeerMessage([](MessageWriter& m) { m.Put(kPeerEndpoint, Ipv6Endpoint("fe80::1", 51820, 3)); }), DoneMessage()},
       Outcome::kOk, "endpoint=[fe80::1%3]:51820 "},
      {"IPv4-mapped IPv6 endpoint",
       {PeerMessage([](MessageWriter& m) { m.Put(kPeerEndpoint, Ipv6Endpoint("::ffff:192.0.2.7", 51820)); }),
        DoneMessage()},
       Outcome::kOk, "endpoint=[::ffff:192.0.2.7]:51820 "},
      {"endpoint of an unknown family is none",
       {PeerMessage([](MessageWriter& m) {
          Bytes endpoint(16, 0);
          endpoint[0] = AF_UNIX;
          m.Put(kPeerEndpoint, endpoint);
        }),
        DoneMessage()},
       Outcome::kOk, "endpoint= handshake"},
      {"IPv6 allowed IP /0 and IPv4 /0",
       {PeerMessage([](MessageWriter& m) {
          size_t ips = *m.Nest(kPeerAllowedIps);
          PutAllowedIp(m, AllowedIp4({0, 0, 0, 0}, 0, ""));
          PutAllowedIp(m, AllowedIp6("::", 0, ""));
          m.End(ips);
        }),
        DoneMessage()},
       Outcome::kOk, "allowed_ips=0.0.0.0/0,::/0,\n"},
  };
  return cases;
}

TEST(WireGuardNetlink, DumpTable) {
  const std::vector<DumpCase>& cases = DumpCases();
  for (const DumpCase& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.want.empty());
    switch (c.outcome) {
      case Outcome::kOk: {
        WireGuardDevice device;
        ASSERT_NO_THROW(device = ParseWireGuardDump(c.input));
        EXPECT_NE(Describe(device).find(c.want), std::string::npos) << Describe(device);
        break;
      }
      case Outcome::kParseError:
        try {
          ParseWireGuardDump(c.input);
          ADD_FAILURE() << "no ParseError";
        } catch (const NetlinkError& error) {
          ADD_FAILURE() << "NetlinkError instead of ParseError: " << error.what();
        } catch (const ParseError& error) {
          EXPECT_NE(std::string(error.what()).find(c.want), std::string::npos) << error.what();
        }
        break;
      case Outcome::kNetlinkError:
        try {
          ParseWireGuardDump(c.input);
          ADD_FAILURE() << "no NetlinkError";
        } catch (const NetlinkError& error) {
          EXPECT_EQ(error.error_number(), c.error_number);
          EXPECT_NE(std::string(error.what()).find(c.want), std::string::npos) << error.what();
        }
        break;
    }
    // The single-buffer form agrees with the datagram form.
    Bytes all = Concat(c.input);
    bool datagram_threw = false, buffer_threw = false;
    std::string datagram_text, buffer_text;
    try {
      datagram_text = Describe(ParseWireGuardDump(c.input));
    } catch (const std::exception& error) {
      datagram_threw = true;
      datagram_text = error.what();
    }
    try {
      buffer_text = Describe(ParseWireGuardDump(std::span<const uint8_t>(all)));
    } catch (const std::exception& error) {
      buffer_threw = true;
      buffer_text = error.what();
    }
    EXPECT_EQ(datagram_threw, buffer_threw);
    if (!datagram_threw) {
      EXPECT_EQ(datagram_text, buffer_text);
    }
  }
}

// Every prefix of a real dump, and every single-byte corruption of its headers, either parses or
// throws ParseError/NetlinkError: never a crash, never a read past the buffer (ASan-clean).
TEST(WireGuardNetlink, PrefixesAndCorruptionsFailCleanly) {
  Bytes dump = Concat(EncodeKernelDump(NetBirdDevice()).datagrams);
  for (size_t size = 0; size < dump.size(); ++size) {
    Bytes prefix(dump.begin(), dump.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_THROW(ParseWireGuardDump(std::span<const uint8_t>(prefix)), ParseError) << "prefix of " << size;
  }
  size_t parsed = 0, refused = 0;
  for (size_t at = 0; at < dump.size(); ++at) {
    for (uint8_t value : {uint8_t{0x00}, uint8_t{0x03}, uint8_t{0xff}}) {
      Bytes corrupt = dump;
      corrupt[at] = value;
      try {
        ParseWireGuardDump(std::span<const uint8_t>(corrupt));
        ++parsed;
      } catch (const ParseError&) {
        ++refused;
      } catch (const IoError&) {
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 100u);
  EXPECT_GT(parsed, 100u);
}

// ---------------------------------------------------------------------------------------------
// Requests and the transport's framing checks.

TEST(WireGuardNetlinkRequests, GetFamilyIsByteExact) {
  const Bytes want = {
      0x24, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,  // len 36, GENL_ID_CTRL, NLM_F_REQUEST
      0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq 7, port id 0
      0x03, 0x01, 0x00, 0x00,                          // CTRL_CMD_GETFAMILY, version 1
      0x0e, 0x00, 0x02, 0x00, 'w', 'i', 'r', 'e', 'g', 'u', 'a', 'r', 'd', 0x00, 0x00, 0x00,  // FAMILY_NAME
  };
  EXPECT_EQ(EncodeGetFamilyRequest("wireguard", 7), want);
}

TEST(WireGuardNetlinkRequests, GetDeviceIsByteExact) {
  const Bytes want = {
      0x1c, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x03,  // len 28, family 0x1c, REQUEST|DUMP (0x301)
      0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq 8, port id 0
      0x00, 0x01, 0x00, 0x00,                          // WG_CMD_GET_DEVICE, version 1
      0x08, 0x00, 0x02, 0x00, 'w', 'g', '0', 0x00,     // WGDEVICE_A_IFNAME "wg0"
  };
  EXPECT_EQ(EncodeGetDeviceRequest(kWireGuardFamilyId, 8, "wg0"), want);
  EXPECT_EQ(EncodeGetDeviceRequest(kWireGuardFamilyId, 8, "wireguard-mesh0").size(), 20u + 4u + 16u);
  EXPECT_THROW(EncodeGetDeviceRequest(kWireGuardFamilyId, 8, ""), std::invalid_argument);
  EXPECT_THROW(EncodeGetDeviceRequest(kWireGuardFamilyId, 8, "wireguard-mesh-0"), std::invalid_argument);
  EXPECT_THROW(EncodeGetDeviceRequest(kWireGuardFamilyId, 8, std::string("wg\0x", 4)), std::invalid_argument);
}

Bytes FamilyReply(std::string_view name, std::optional<uint16_t> id) {
  MessageWriter m(GENL_ID_CTRL, 0);
  m.Genl(CTRL_CMD_NEWFAMILY, 2);
  m.PutString(CTRL_ATTR_FAMILY_NAME, name);
  if (id) m.PutU16(CTRL_ATTR_FAMILY_ID, *id);
  m.PutU32(CTRL_ATTR_VERSION, 1);
  m.PutU32(CTRL_ATTR_HDRSIZE, 0);
  m.PutU32(CTRL_ATTR_MAXATTR, 8);
  size_t ops = *m.Nest(CTRL_ATTR_OPS);
  size_t op = *m.Nest(1);
  m.PutU32(CTRL_ATTR_OP_ID, 0);
  m.PutU32(CTRL_ATTR_OP_FLAGS, 0x1c);
  m.End(op);
  m.End(ops);
  return m.Finish();
}

TEST(WireGuardNetlinkRequests, FamilyId) {
  EXPECT_EQ(ParseGenlFamilyId(FamilyReply("wireguard", 0x1c), "wireguard"), 0x1c);
  EXPECT_EQ(ParseGenlFamilyId(FamilyReply("wireguard", 0x25), "wireguard"), 0x25);
  EXPECT_THROW(ParseGenlFamilyId(FamilyReply("wireguard", std::nullopt), "wireguard"), ParseError);
  EXPECT_THROW(ParseGenlFamilyId(FamilyReply("nl80211", 0x1c), "wireguard"), ParseError);
  EXPECT_THROW(ParseGenlFamilyId(Truncated(FamilyReply("wireguard", 0x1c), 30), "wireguard"), ParseError);
  try {
    ParseGenlFamilyId(ErrorMessage(-ENOENT, NLM_F_CAPPED), "wireguard");
    ADD_FAILURE() << "no NetlinkError";
  } catch (const NetlinkError& error) {
    EXPECT_EQ(error.error_number(), ENOENT);
    EXPECT_NE(std::string(error.what()).find("the kernel has no wireguard module"), std::string::npos) << error.what();
  }
  try {
    ParseGenlFamilyId(ErrorMessage(-EPERM), "wireguard");
    ADD_FAILURE() << "no NetlinkError";
  } catch (const NetlinkError& error) {
    EXPECT_EQ(error.error_number(), EPERM);
  }
}

TEST(WireGuardNetlinkRequests, DatagramEndsAnswer) {
  Datagrams dump = EncodeKernelDump(ThousandPeerDevice(), {3776, true, false}).datagrams;
  ASSERT_GT(dump.size(), 2u);
  EXPECT_FALSE(NetlinkDatagramEndsAnswer(dump.front(), kSequence, kPortId));
  EXPECT_TRUE(NetlinkDatagramEndsAnswer(dump.back(), kSequence, kPortId));  // ends with NLMSG_DONE
  EXPECT_TRUE(NetlinkDatagramEndsAnswer(DoneMessage(), kSequence, kPortId));
  EXPECT_TRUE(NetlinkDatagramEndsAnswer(ErrorMessage(-ENODEV), kSequence, kPortId));
  EXPECT_TRUE(NetlinkDatagramEndsAnswer(FamilyReply("wireguard", 0x1c), kSequence, kPortId));  // not NLM_F_MULTI
  EXPECT_THROW(NetlinkDatagramEndsAnswer(dump.front(), kSequence + 1, kPortId), IoError);
  EXPECT_THROW(NetlinkDatagramEndsAnswer(dump.front(), kSequence, kPortId + 1), IoError);
  EXPECT_THROW(NetlinkDatagramEndsAnswer(Truncated(dump.front(), 12), kSequence, kPortId), ParseError);
}

TEST(WireGuardNetlinkSocket, NoWireGuardFamilyIsReportedQuickly) {
  WireGuardNetlink netlink(std::chrono::milliseconds(3000));
  auto start = std::chrono::steady_clock::now();
  bool module_loaded = PathExists("/sys/module/wireguard");
  try {
    netlink.Dump("wgtune-absent0");
    ADD_FAILURE() << "Dump of a missing interface returned";
  } catch (const NetlinkError& error) {
    if (module_loaded) {
      EXPECT_EQ(error.error_number(), ENODEV) << error.what();
    } else {
      EXPECT_EQ(error.error_number(), ENOENT) << error.what();
      EXPECT_NE(std::string(error.what()).find("the kernel has no wireguard module"), std::string::npos)
          << error.what();
    }
  } catch (const IoError& error) {
    // A sandbox without netlink sockets: the failure must still be a clear IoError.
    EXPECT_NE(std::string(error.what()).find("wireguard netlink"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
}

// ---------------------------------------------------------------------------------------------
// Recordings and replay.

std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "wgtune_netlink_" + name + "_" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

TEST(WireGuardNetlinkReplay, RecordingFormatIsLengthPrefixed) {
  Datagrams datagrams = {Bytes{1, 2, 3}, Bytes{}, Bytes(300, 0xab)};
  std::string encoded = EncodeNetlinkRecording(datagrams);
  ASSERT_EQ(encoded.size(), 4 + 3 + 4 + 0 + 4 + 300u);
  EXPECT_EQ(encoded.substr(0, 7), std::string("\x03\x00\x00\x00\x01\x02\x03", 7));
  EXPECT_EQ(encoded.substr(11, 4), std::string("\x2c\x01\x00\x00", 4));  // 300, little-endian
  EXPECT_EQ(DecodeNetlinkRecording(encoded, "x"), datagrams);
  EXPECT_TRUE(DecodeNetlinkRecording("", "x").empty());
  try {
    DecodeNetlinkRecording(encoded.substr(0, encoded.size() - 1), "wg0.netlink");
    ADD_FAILURE() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "wg0.netlink offset 11: record of 300 bytes, 299 left");
  }
  EXPECT_THROW(DecodeNetlinkRecording(std::string("\x03\x00", 2), "x"), ParseError);
}

TEST(WireGuardNetlinkReplay, RoundTrip) {
  std::string dir = TempDir("roundtrip");
  KernelDevice device = ThousandPeerDevice();
  Datagrams dump = EncodeKernelDump(device, {3776, true, false}).datagrams;
  RecordDump(JoinPath(dir, "wt0.netlink"), dump);
  struct stat status {};
  ASSERT_EQ(::stat(JoinPath(dir, "wt0.netlink").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);  // it holds a private key

  WireGuardNetlinkReplay replay(dir);
  EXPECT_EQ(replay.Dump("wt0"), dump);
  EXPECT_EQ(Describe(ReadWireGuardDevice(replay, "wt0")), Describe(ExpectedModel(device)));

  try {
    replay.Dump("wg9");
    ADD_FAILURE() << "no NetlinkError";
  } catch (const NetlinkError& error) {
    EXPECT_EQ(error.error_number(), ENODEV);
    EXPECT_NE(std::string(error.what()).find("no recording"), std::string::npos);
  }
  EXPECT_THROW(replay.Dump("../wt0"), NetlinkError);

  std::ofstream(JoinPath(dir, "bad.netlink"), std::ios::binary) << std::string("\xff\x00\x00\x00\x01", 5);
  EXPECT_THROW(replay.Dump("bad"), ParseError);
  EXPECT_THROW(RecordDump(JoinPath(dir, "missing/dir/wg0.netlink"), dump), IoError);
}

TEST(WireGuardNetlinkReplay, SourceFactory) {
  std::unique_ptr<WireGuardKernelSource> kernel = NewWireGuardKernelSource("");
  EXPECT_NE(dynamic_cast<WireGuardNetlink*>(kernel.get()), nullptr);
  std::unique_ptr<WireGuardKernelSource> replay = NewWireGuardKernelSource("/nonexistent");
  EXPECT_NE(dynamic_cast<WireGuardNetlinkReplay*>(replay.get()), nullptr);
}

// The recording fixture hosts use (tests/fixtures/wireguard/netlink/wg0.netlink) is exactly the
// NetBird device above. WGTUNE_UPDATE_FIXTURES=1 rewrites it after a deliberate change.
TEST(WireGuardNetlinkReplay, FixtureRecording) {
  std::string dir = JoinPath(WGTUNE_SOURCE_DIR, "tests/fixtures/wireguard/netlink");
  Datagrams dump = EncodeKernelDump(NetBirdDevice()).datagrams;
  if (std::getenv("WGTUNE_UPDATE_FIXTURES") != nullptr) RecordDump(JoinPath(dir, "wg0.netlink"), dump);
  std::optional<std::string> recorded = ReadFileIfExists(JoinPath(dir, "wg0.netlink"));
  ASSERT_TRUE(recorded.has_value()) << "run with WGTUNE_UPDATE_FIXTURES=1 to create it";
  EXPECT_EQ(*recorded, EncodeNetlinkRecording(dump));
  WireGuardNetlinkReplay replay(dir);
  WireGuardDevice device = ReadWireGuardDevice(replay, "wg0");
  EXPECT_EQ(Describe(device), Describe(ExpectedModel(NetBirdDevice())));
  ExpectSecretAbsent(AllStrings(device), kAlicePrivate, "private key");
}

// A source that answers from a script, to test ReadWireGuardDevice's retries and errors.
class ScriptedSource : public WireGuardKernelSource {
 public:
  explicit ScriptedSource(std::vector<Datagrams> answers) : answers_(std::move(answers)) {}
  Datagrams Dump(const std::string&) override {
    ++calls;
    return answers_.at(std::min(calls - 1, answers_.size() - 1));
  }
  size_t calls = 0;

 private:
  std::vector<Datagrams> answers_;
};

Datagrams InterruptedDump() {
  return {DeviceMessage([](MessageWriter& m) { m.PutString(kDeviceIfname, "wg0"); }, NLM_F_MULTI | NLM_F_DUMP_INTR),
          DoneMessage()};
}

TEST(WireGuardNetlinkReplay, ReadAsksAgainAfterAnInterruptedDump) {
  Datagrams good = EncodeKernelDump(NetBirdDevice()).datagrams;
  ScriptedSource twice({InterruptedDump(), InterruptedDump(), good});
  EXPECT_EQ(ReadWireGuardDevice(twice, "wg0").peers.size(), 3u);
  EXPECT_EQ(twice.calls, 3u);

  ScriptedSource always({InterruptedDump()});
  try {
    ReadWireGuardDevice(always, "wg0");
    ADD_FAILURE() << "no NetlinkError";
  } catch (const NetlinkError& error) {
    EXPECT_EQ(error.error_number(), EINTR);
    EXPECT_TRUE(std::string(error.what()).starts_with("wg0: ")) << error.what();
  }
  EXPECT_EQ(always.calls, 3u);
}

TEST(WireGuardNetlinkReplay, ReadNamesTheInterfaceInErrors) {
  ScriptedSource missing({{ErrorMessage(-ENODEV)}});
  try {
    ReadWireGuardDevice(missing, "wg7");
    ADD_FAILURE() << "no NetlinkError";
  } catch (const NetlinkError& error) {
    EXPECT_EQ(error.error_number(), ENODEV);
    EXPECT_TRUE(std::string(error.what()).starts_with("wg7: wireguard netlink: ")) << error.what();
  }
  EXPECT_EQ(missing.calls, 1u);

  ScriptedSource truncated({{kMinimalDevice}});
  try {
    ReadWireGuardDevice(truncated, "wg7");
    ADD_FAILURE() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_TRUE(std::string(error.what()).starts_with("wg7: ")) << error.what();
  }

  // WG_CMD_GET_DEVICE without CAP_NET_ADMIN: the error says which capability, and is a
  // PermissionError, which the collector logs once.
  ScriptedSource refused({{ErrorMessage(-EPERM)}});
  try {
    ReadWireGuardDevice(refused, "wg7");
    ADD_FAILURE() << "no PermissionError";
  } catch (const PermissionError& error) {
    EXPECT_TRUE(std::string(error.what()).starts_with("wg7: netlink needs CAP_NET_ADMIN (")) << error.what();
  }
  EXPECT_EQ(refused.calls, 1u);

  // A dump without WGDEVICE_A_IFNAME: the name asked for.
  ScriptedSource nameless({{DeviceMessage([](MessageWriter& m) { m.PutU16(kDeviceListenPort, 1); }), DoneMessage()}});
  EXPECT_EQ(ReadWireGuardDevice(nameless, "wg7").name, "wg7");
}

}  // namespace
}  // namespace wgtune
