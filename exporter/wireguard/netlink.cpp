#include "exporter/wireguard/netlink.h"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "exporter/wireguard/keys.h"

namespace wgtune {
namespace {

// include/uapi/linux/wireguard.h. Spelled out here rather than included: the header only
// ships with 5.6+ kernel headers, and these numbers are ABI that cannot change.
constexpr uint8_t kWgCmdGetDevice = 0;
constexpr uint8_t kWgGenlVersion = 1;

constexpr uint16_t kDeviceIfindex = 1;
constexpr uint16_t kDeviceIfname = 2;
constexpr uint16_t kDevicePrivateKey = 3;
constexpr uint16_t kDevicePublicKey = 4;
constexpr uint16_t kDeviceFlags = 5;
constexpr uint16_t kDeviceListenPort = 6;
constexpr uint16_t kDeviceFwmark = 7;
constexpr uint16_t kDevicePeers = 8;

constexpr uint16_t kPeerPublicKey = 1;
constexpr uint16_t kPeerPresharedKey = 2;
constexpr uint16_t kPeerFlags = 3;
constexpr uint16_t kPeerEndpoint = 4;
constexpr uint16_t kPeerPersistentKeepalive = 5;
constexpr uint16_t kPeerLastHandshakeTime = 6;
constexpr uint16_t kPeerRxBytes = 7;
constexpr uint16_t kPeerTxBytes = 8;
constexpr uint16_t kPeerAllowedIps = 9;
constexpr uint16_t kPeerProtocolVersion = 10;

constexpr uint16_t kAllowedIpFamily = 1;
constexpr uint16_t kAllowedIpAddress = 2;
constexpr uint16_t kAllowedIpCidrMask = 3;

constexpr size_t kIfNameMax = 15;  // IFNAMSIZ - 1

// include/uapi/linux/netlink.h; the extended-ACK flags arrived in 4.12's headers.
constexpr size_t kMessageHeaderSize = 16;    // struct nlmsghdr
constexpr size_t kGenlHeaderSize = 4;        // struct genlmsghdr
constexpr size_t kAttributeHeaderSize = 4;   // struct nlattr
constexpr size_t kErrorHeaderSize = 4 + 16;  // struct nlmsgerr: int error, the request's nlmsghdr
constexpr uint16_t kFlagCapped = 0x100;      // NLM_F_CAPPED
constexpr uint16_t kFlagAckTlvs = 0x200;     // NLM_F_ACK_TLVS
constexpr uint16_t kErrorAttributeMessage = 1;  // NLMSGERR_ATTR_MSG
constexpr uint16_t kAttributeTypeMask = 0x3fff;  // NLA_TYPE_MASK: without NLA_F_NESTED, NLA_F_NET_BYTEORDER

size_t Align4(size_t length) { return (length + 3) & ~size_t{3}; }

template <typename T>
T Load(const uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

template <typename T>
void Store(std::vector<uint8_t>& out, T value) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

// Where in the stream a problem was found, formatted only when one is.
struct Location {
  size_t message = 0;     // 1-based, counted over the whole stream
  size_t peer = 0;        // 1-based within the message's WGDEVICE_A_PEERS; 0 outside a peer
  size_t allowed_ip = 0;  // 1-based within the peer's WGPEER_A_ALLOWEDIPS; 0 outside one
};

[[noreturn]] void Fail(const Location& at, const std::string& what) {
  std::string message = "wireguard netlink message " + std::to_string(at.message);
  if (at.peer != 0) message += ", peer " + std::to_string(at.peer);
  if (at.allowed_ip != 0) message += ", allowed IP " + std::to_string(at.allowed_ip);
  throw ParseError(message + ": " + what);
}

using NameOf = std::string_view (*)(uint16_t type);

std::string_view DeviceAttributeName(uint16_t type) {
  switch (type) {
    case kDeviceIfindex: return "WGDEVICE_A_IFINDEX";
    case kDeviceIfname: return "WGDEVICE_A_IFNAME";
    case kDevicePrivateKey: return "WGDEVICE_A_PRIVATE_KEY";
    case kDevicePublicKey: return "WGDEVICE_A_PUBLIC_KEY";
    case kDeviceFlags: return "WGDEVICE_A_FLAGS";
    case kDeviceListenPort: return "WGDEVICE_A_LISTEN_PORT";
    case kDeviceFwmark: return "WGDEVICE_A_FWMARK";
    case kDevicePeers: return "WGDEVICE_A_PEERS";
    default: return {};
  }
}

std::string_view PeerAttributeName(uint16_t type) {
  switch (type) {
    case kPeerPublicKey: return "WGPEER_A_PUBLIC_KEY";
    case kPeerPresharedKey: return "WGPEER_A_PRESHARED_KEY";
    case kPeerFlags: return "WGPEER_A_FLAGS";
    case kPeerEndpoint: return "WGPEER_A_ENDPOINT";
    case kPeerPersistentKeepalive: return "WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL";
    case kPeerLastHandshakeTime: return "WGPEER_A_LAST_HANDSHAKE_TIME";
    case kPeerRxBytes: return "WGPEER_A_RX_BYTES";
    case kPeerTxBytes: return "WGPEER_A_TX_BYTES";
    case kPeerAllowedIps: return "WGPEER_A_ALLOWEDIPS";
    case kPeerProtocolVersion: return "WGPEER_A_PROTOCOL_VERSION";
    default: return {};
  }
}

std::string_view AllowedIpAttributeName(uint16_t type) {
  switch (type) {
    case kAllowedIpFamily: return "WGALLOWEDIP_A_FAMILY";
    case kAllowedIpAddress: return "WGALLOWEDIP_A_IPADDR";
    case kAllowedIpCidrMask: return "WGALLOWEDIP_A_CIDR_MASK";
    default: return {};
  }
}

std::string_view ControlAttributeName(uint16_t type) {
  switch (type) {
    case CTRL_ATTR_FAMILY_ID: return "CTRL_ATTR_FAMILY_ID";
    case CTRL_ATTR_FAMILY_NAME: return "CTRL_ATTR_FAMILY_NAME";
    default: return {};
  }
}

// Entries of a nested array (peers, allowed IPs) are typed by their index.
std::string_view NoName(uint16_t) { return {}; }

// An attribute whose header has been checked to lie within its container.
struct Attribute {
  uint16_t type = 0;  // NLA_TYPE_MASK applied
  std::span<const uint8_t> payload;
  NameOf name_of = NoName;

  std::string Name() const {
    std::string_view name = name_of(type);
    return name.empty() ? "attribute type " + std::to_string(type) : std::string(name);
  }
};

// Calls visit(attribute) for each attribute of `area`, the payload of a message or nest
// called `container`. Checks each header before the payload is touched.
template <typename Visit>
void ForEachAttribute(std::span<const uint8_t> area, const Location& at, std::string_view container, NameOf name_of,
                      Visit&& visit) {
  size_t offset = 0;
  while (offset < area.size()) {
    size_t left = area.size() - offset;
    if (left < kAttributeHeaderSize) {
      Fail(at, std::string(container) + ": " + std::to_string(left) +
                   " stray bytes at its end, too few for an attribute header");
    }
    Attribute attribute;
    auto length = Load<uint16_t>(area.data() + offset);
    attribute.type = Load<uint16_t>(area.data() + offset + 2) & kAttributeTypeMask;
    attribute.name_of = name_of;
    if (length < kAttributeHeaderSize) {
      Fail(at, attribute.Name() + " in " + std::string(container) + ": length " + std::to_string(length) +
                   " is shorter than its 4-byte header");
    }
    if (length > left) {
      Fail(at, attribute.Name() + " in " + std::string(container) + ": length " + std::to_string(length) +
                   " runs past the end of its container (" + std::to_string(left) + " bytes left)");
    }
    attribute.payload = area.subspan(offset + kAttributeHeaderSize, length - kAttributeHeaderSize);
    visit(attribute);
    // The last attribute's padding may be cut off by its container: nothing follows it.
    offset += std::min(Align4(length), left);
  }
}

void ExpectSize(const Attribute& attribute, size_t want, const Location& at) {
  if (attribute.payload.size() != want) {
    Fail(at, attribute.Name() + " has " + std::to_string(attribute.payload.size()) + " bytes, want " +
                 std::to_string(want));
  }
}

template <typename T>
T Number(const Attribute& attribute, const Location& at) {
  ExpectSize(attribute, sizeof(T), at);
  return Load<T>(attribute.payload.data());
}

std::string Key(const Attribute& attribute, const Location& at) {
  ExpectSize(attribute, kWireGuardKeyLength, at);
  return EncodeKeyBase64(attribute.payload.first<kWireGuardKeyLength>());
}

std::string InterfaceName(const Attribute& attribute, const Location& at) {
  const auto* text = reinterpret_cast<const char*>(attribute.payload.data());
  std::string_view name(text, attribute.payload.size());
  name = name.substr(0, name.find('\0'));
  if (name.empty() || name.size() > kIfNameMax) {
    Fail(at, attribute.Name() + " is " + std::to_string(name.size()) + " bytes long, want 1 to " +
                 std::to_string(kIfNameMax));
  }
  return std::string(name);
}

std::string AddressText(int family, const uint8_t* address) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, address, text, sizeof text);
  return text;
}

// "192.0.2.1:51820", "[2001:db8::1]:51820", "[fe80::1%3]:51820" (scope as an ifindex:
// resolving it to a name would make the parser depend on the host).
std::string Endpoint(const Attribute& attribute, const Location& at) {
  const std::span<const uint8_t> bytes = attribute.payload;
  if (bytes.size() < sizeof(sockaddr)) {
    Fail(at, attribute.Name() + " has " + std::to_string(bytes.size()) + " bytes, less than a struct sockaddr (" +
                 std::to_string(sizeof(sockaddr)) + ")");
  }
  auto family = Load<sa_family_t>(bytes.data());
  if (family == AF_INET) {
    ExpectSize(attribute, sizeof(sockaddr_in), at);
    sockaddr_in address{};
    std::memcpy(&address, bytes.data(), sizeof address);
    return AddressText(AF_INET, reinterpret_cast<const uint8_t*>(&address.sin_addr)) + ":" +
           std::to_string(ntohs(address.sin_port));
  }
  if (family == AF_INET6) {
    ExpectSize(attribute, sizeof(sockaddr_in6), at);
    sockaddr_in6 address{};
    std::memcpy(&address, bytes.data(), sizeof address);
    std::string text = "[" + AddressText(AF_INET6, reinterpret_cast<const uint8_t*>(&address.sin6_addr));
    if (address.sin6_scope_id != 0) text += "%" + std::to_string(address.sin6_scope_id);
    return text + "]:" + std::to_string(ntohs(address.sin6_port));
  }
  // The kernel only sends AF_INET and AF_INET6 endpoints; print none rather than a wrong one.
  return {};
}

// The positive errno of an error answer, and the kernel's own explanation when it sent one
// (NLMSGERR_ATTR_MSG, with NETLINK_EXT_ACK). `tlv_offset` is where the TLVs would start.
std::string ErrorText(int error_number, std::span<const uint8_t> payload, size_t tlv_offset, uint16_t flags) {
  std::string text = "errno " + std::to_string(error_number) + " (" +
                     std::system_category().message(error_number) + ")";
  if ((flags & kFlagAckTlvs) == 0 || tlv_offset > payload.size()) return text;
  try {
    ForEachAttribute(payload.subspan(tlv_offset), Location{}, "extended ACK", NoName, [&](const Attribute& tlv) {
      if (tlv.type != kErrorAttributeMessage) return;
      const auto* message = reinterpret_cast<const char*>(tlv.payload.data());
      std::string_view explanation(message, tlv.payload.size());
      explanation = explanation.substr(0, explanation.find('\0'));
      if (!explanation.empty()) text += ": " + std::string(explanation);
    });
  } catch (const ParseError&) {
    // The explanation is a courtesy: a malformed one does not hide the errno.
  }
  return text;
}

std::string_view Hint(int error_number) {
  switch (error_number) {
    case ENODEV: return " (no such interface)";
    case EOPNOTSUPP: return " (the interface is not a kernel WireGuard interface)";
    case EPERM: return " (reading keys and peers needs CAP_NET_ADMIN)";
    default: return {};
  }
}

struct MessageHeader {
  uint32_t length = 0;
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t sequence = 0;
  uint32_t port_id = 0;
};

// Calls visit(header, payload) for each message of `bytes`; `message_number` counts them
// across calls so errors name a message of the whole stream.
template <typename Visit>
void ForEachMessage(std::span<const uint8_t> bytes, size_t& message_number, Visit&& visit) {
  size_t offset = 0;
  while (offset < bytes.size()) {
    Location at{++message_number};
    size_t left = bytes.size() - offset;
    if (left < kMessageHeaderSize) {
      Fail(at, std::to_string(left) + " stray bytes, too few for a message header (16)");
    }
    const uint8_t* start = bytes.data() + offset;
    MessageHeader header{Load<uint32_t>(start), Load<uint16_t>(start + 4), Load<uint16_t>(start + 6),
                         Load<uint32_t>(start + 8), Load<uint32_t>(start + 12)};
    if (header.length < kMessageHeaderSize) {
      Fail(at, "length " + std::to_string(header.length) + " is shorter than its 16-byte header");
    }
    if (header.length > left) {
      Fail(at, "length " + std::to_string(header.length) + " runs past the end of the data (" +
                   std::to_string(left) + " bytes left)");
    }
    visit(header, bytes.subspan(offset + kMessageHeaderSize, header.length - kMessageHeaderSize), at);
    offset += std::min<size_t>(Align4(header.length), left);
  }
}

// NLMSG_ERROR: returns for an ACK (error 0), throws NetlinkError for an error.
void CheckErrorMessage(const MessageHeader& header, std::span<const uint8_t> payload, const Location& at,
                       std::string_view request) {
  if (payload.size() < sizeof(int32_t)) {
    Fail(at, "NLMSG_ERROR has " + std::to_string(payload.size()) + " bytes, too few for its error code");
  }
  int32_t error = Load<int32_t>(payload.data());
  if (error == 0) return;
  int error_number = error < 0 ? -error : error;
  // The TLVs follow the echoed request: its header only when capped, else all of it.
  size_t tlv_offset = kErrorHeaderSize;
  if ((header.flags & kFlagCapped) == 0 && payload.size() >= kErrorHeaderSize) {
    tlv_offset = sizeof(int32_t) + Align4(Load<uint32_t>(payload.data() + sizeof(int32_t)));
  }
  throw NetlinkError(error_number, "wireguard netlink: the kernel answered " + std::string(request) + " with " +
                                       ErrorText(error_number, payload, tlv_offset, header.flags) +
                                       std::string(Hint(error_number)));
}

// The dump, message by message: device attributes from the first, peers from all.
class DumpParser {
 public:
  void Feed(std::span<const uint8_t> bytes) {
    ForEachMessage(bytes, message_count_, [&](const MessageHeader& header, std::span<const uint8_t> payload,
                                              const Location& at) { OnMessage(header, payload, at); });
  }

  WireGuardDevice Finish() {
    if (!done_) {
      throw ParseError("wireguard netlink dump: no NLMSG_DONE after " + std::to_string(message_count_) +
                       " messages: the dump is truncated");
    }
    if (!seen_device_) throw ParseError("wireguard netlink dump: NLMSG_DONE without a device message");
    device_.implementation = WireGuardImplementation::kKernel;
    return std::move(device_);
  }

 private:
  void OnMessage(const MessageHeader& header, std::span<const uint8_t> payload, const Location& at) {
    if (done_) Fail(at, "a message after NLMSG_DONE");
    at_ = at;
    switch (header.type) {
      case NLMSG_ERROR:
        CheckErrorMessage(header, payload, at, "WG_CMD_GET_DEVICE");
        return;
      case NLMSG_DONE:
        // The int is the dump's outcome; 0 when the dump completed.
        if (payload.size() >= sizeof(int32_t)) {
          int32_t error = Load<int32_t>(payload.data());
          if (error != 0) {
            int error_number = error < 0 ? -error : error;
            throw NetlinkError(error_number, "wireguard netlink: the WG_CMD_GET_DEVICE dump ended with " +
                                                 ErrorText(error_number, payload, sizeof(int32_t), header.flags) +
                                                 std::string(Hint(error_number)));
          }
        }
        done_ = true;
        return;
      default:
        break;
    }
    if (header.type < NLMSG_MIN_TYPE) return;  // NLMSG_NOOP and other control messages carry nothing for us
    if (family_ && *family_ != header.type) {
      Fail(at, "message type " + std::to_string(header.type) + ", earlier messages were " + std::to_string(*family_));
    }
    family_ = header.type;
    if (header.flags & NLM_F_DUMP_INTR) {
      throw NetlinkError(EINTR, "wireguard netlink: the dump was interrupted by a concurrent change of the "
                                "device (NLM_F_DUMP_INTR); ask again");
    }
    if (payload.size() < kGenlHeaderSize) {
      Fail(at, std::to_string(payload.size()) + " bytes of payload, too few for a generic netlink header (4)");
    }
    if (payload[0] != kWgCmdGetDevice) {
      Fail(at, "command " + std::to_string(payload[0]) + ", want WG_CMD_GET_DEVICE (0)");
    }
    seen_device_ = true;
    ForEachAttribute(payload.subspan(kGenlHeaderSize), at_, "device", DeviceAttributeName,
                     [&](const Attribute& attribute) { OnDeviceAttribute(attribute); });
  }

  void OnDeviceAttribute(const Attribute& attribute) {
    switch (attribute.type) {
      case kDeviceIfindex:
        ExpectSize(attribute, sizeof(uint32_t), at_);
        break;
      case kDeviceIfname: {
        std::string name = InterfaceName(attribute, at_);
        if (!device_.name.empty() && device_.name != name) {
          Fail(at_, "interface " + name + ", earlier messages were about " + device_.name);
        }
        device_.name = std::move(name);
        break;
      }
      case kDevicePrivateKey:
        break;  // never read: the model must not be able to hold it
      case kDevicePublicKey:
        device_.public_key = Key(attribute, at_);
        break;
      case kDeviceListenPort:
        device_.listen_port = Number<uint16_t>(attribute, at_);
        break;
      case kDeviceFwmark:
        device_.fwmark = Number<uint32_t>(attribute, at_);
        break;
      case kDevicePeers: {
        size_t index = 0;
        ForEachAttribute(attribute.payload, at_, "WGDEVICE_A_PEERS", NoName, [&](const Attribute& entry) {
          at_.peer = ++index;
          OnPeer(entry.payload);
          at_.peer = 0;
        });
        break;
      }
      default:
        break;
    }
  }

  void OnPeer(std::span<const uint8_t> nest) {
    // The key first: it decides whether this entry continues the peer before it.
    std::optional<std::string> key;
    ForEachAttribute(nest, at_, "peer", PeerAttributeName, [&](const Attribute& attribute) {
      if (attribute.type == kPeerPublicKey) key = Key(attribute, at_);
    });
    if (!key) Fail(at_, "a peer without WGPEER_A_PUBLIC_KEY");
    if (device_.peers.empty() || device_.peers.back().public_key != *key) {
      device_.peers.emplace_back().public_key = std::move(*key);
    }
    WireGuardPeer& peer = device_.peers.back();
    ForEachAttribute(nest, at_, "peer", PeerAttributeName,
                     [&](const Attribute& attribute) { OnPeerAttribute(attribute, peer); });
  }

  void OnPeerAttribute(const Attribute& attribute, WireGuardPeer& peer) {
    switch (attribute.type) {
      case kPeerPresharedKey:
        break;  // never read
      case kPeerEndpoint:
        peer.endpoint = Endpoint(attribute, at_);
        break;
      case kPeerPersistentKeepalive:
        peer.persistent_keepalive_seconds = Number<uint16_t>(attribute, at_);
        break;
      case kPeerLastHandshakeTime: {
        ExpectSize(attribute, 2 * sizeof(int64_t), at_);
        auto seconds = Load<int64_t>(attribute.payload.data());
        auto nanoseconds = Load<int64_t>(attribute.payload.data() + sizeof(int64_t));
        if (nanoseconds < 0 || nanoseconds >= 1'000'000'000) {
          Fail(at_, attribute.Name() + ": " + std::to_string(nanoseconds) + " nanoseconds, want 0 to 999999999");
        }
        // 0/0 is the kernel's "never": walltime_last_handshake starts zeroed.
        if (seconds == 0 && nanoseconds == 0) {
          peer.last_handshake_seconds.reset();
        } else {
          peer.last_handshake_seconds = seconds;
        }
        peer.last_handshake_nanoseconds = nanoseconds;
        break;
      }
      case kPeerRxBytes:
        peer.rx_bytes = Number<uint64_t>(attribute, at_);
        break;
      case kPeerTxBytes:
        peer.tx_bytes = Number<uint64_t>(attribute, at_);
        break;
      case kPeerAllowedIps: {
        size_t index = 0;
        ForEachAttribute(attribute.payload, at_, "WGPEER_A_ALLOWEDIPS", NoName, [&](const Attribute& entry) {
          at_.allowed_ip = ++index;
          peer.allowed_ips.push_back(AllowedIp(entry.payload));
          at_.allowed_ip = 0;
        });
        break;
      }
      case kPeerProtocolVersion:
        peer.protocol_version = Number<uint32_t>(attribute, at_);
        break;
      default:
        break;
    }
  }

  std::string AllowedIp(std::span<const uint8_t> nest) {
    std::optional<uint16_t> family;
    std::optional<uint8_t> cidr;
    std::span<const uint8_t> address;
    bool has_address = false;
    ForEachAttribute(nest, at_, "allowed IP", AllowedIpAttributeName, [&](const Attribute& attribute) {
      switch (attribute.type) {
        case kAllowedIpFamily:
          family = Number<uint16_t>(attribute, at_);
          break;
        case kAllowedIpAddress:
          address = attribute.payload;
          has_address = true;
          break;
        case kAllowedIpCidrMask:
          cidr = Number<uint8_t>(attribute, at_);
          break;
        default:
          break;
      }
    });
    if (!family || !has_address || !cidr) {
      Fail(at_, "an allowed IP without WGALLOWEDIP_A_FAMILY, WGALLOWEDIP_A_IPADDR and WGALLOWEDIP_A_CIDR_MASK");
    }
    size_t want_size = 0;
    unsigned max_cidr = 0;
    if (*family == AF_INET) {
      want_size = sizeof(in_addr);
      max_cidr = 32;
    } else if (*family == AF_INET6) {
      want_size = sizeof(in6_addr);
      max_cidr = 128;
    } else {
      Fail(at_, "WGALLOWEDIP_A_FAMILY " + std::to_string(*family) + ", want AF_INET (2) or AF_INET6 (10)");
    }
    if (address.size() != want_size) {
      Fail(at_, "WGALLOWEDIP_A_IPADDR has " + std::to_string(address.size()) + " bytes, want " +
                    std::to_string(want_size) + " for family " + std::to_string(*family));
    }
    if (*cidr > max_cidr) {
      Fail(at_, "WGALLOWEDIP_A_CIDR_MASK " + std::to_string(*cidr) + " exceeds " + std::to_string(max_cidr));
    }
    return AddressText(*family, address.data()) + "/" + std::to_string(*cidr);
  }

  WireGuardDevice device_;
  Location at_;
  size_t message_count_ = 0;
  std::optional<uint16_t> family_;
  bool seen_device_ = false;
  bool done_ = false;
};

std::vector<uint8_t> StartRequest(uint16_t type, uint16_t flags, uint32_t sequence, uint8_t command,
                                  uint8_t version) {
  std::vector<uint8_t> out;
  Store<uint32_t>(out, 0);  // length, set by FinishRequest
  Store<uint16_t>(out, type);
  Store<uint16_t>(out, flags);
  Store<uint32_t>(out, sequence);
  Store<uint32_t>(out, 0);  // port id: the kernel knows who sent it
  out.push_back(command);
  out.push_back(version);
  Store<uint16_t>(out, 0);
  return out;
}

void AddStringAttribute(std::vector<uint8_t>& out, uint16_t type, std::string_view value) {
  size_t length = kAttributeHeaderSize + value.size() + 1;  // with its NUL
  Store<uint16_t>(out, static_cast<uint16_t>(length));
  Store<uint16_t>(out, type);
  out.insert(out.end(), value.begin(), value.end());
  out.resize(out.size() + 1 + (Align4(length) - length), 0);
}

std::vector<uint8_t> FinishRequest(std::vector<uint8_t> out) {
  auto length = static_cast<uint32_t>(out.size());
  std::memcpy(out.data(), &length, sizeof length);
  return out;
}

}  // namespace

WireGuardDevice ParseWireGuardDump(const std::vector<std::vector<uint8_t>>& datagrams) {
  DumpParser parser;
  for (const std::vector<uint8_t>& datagram : datagrams) parser.Feed(datagram);
  return parser.Finish();
}

WireGuardDevice ParseWireGuardDump(std::span<const uint8_t> bytes) {
  DumpParser parser;
  parser.Feed(bytes);
  return parser.Finish();
}

uint16_t ParseGenlFamilyId(std::span<const uint8_t> datagram, std::string_view family_name) {
  std::optional<uint16_t> id;
  size_t message_count = 0;
  ForEachMessage(datagram, message_count, [&](const MessageHeader& header, std::span<const uint8_t> payload,
                                              const Location& at) {
    if (header.type == NLMSG_ERROR) {
      try {
        CheckErrorMessage(header, payload, at, "CTRL_CMD_GETFAMILY");
      } catch (const NetlinkError& error) {
        if (error.error_number() != ENOENT) throw;
        throw NetlinkError(ENOENT, "the kernel has no " + std::string(family_name) + " module: generic netlink family \"" +
                                       std::string(family_name) + "\" is unknown");
      }
      return;
    }
    if (header.type != GENL_ID_CTRL) return;
    if (payload.size() < kGenlHeaderSize) {
      Fail(at, std::to_string(payload.size()) + " bytes of payload, too few for a generic netlink header (4)");
    }
    ForEachAttribute(payload.subspan(kGenlHeaderSize), at, "family", ControlAttributeName,
                     [&](const Attribute& attribute) {
                       if (attribute.type == CTRL_ATTR_FAMILY_ID) {
                         id = Number<uint16_t>(attribute, at);
                       } else if (attribute.type == CTRL_ATTR_FAMILY_NAME) {
                         const auto* text = reinterpret_cast<const char*>(attribute.payload.data());
                         std::string_view name(text, attribute.payload.size());
                         name = name.substr(0, name.find('\0'));
                         if (name != family_name) {
                           Fail(at, "the answer is about family \"" + std::string(name) + "\", want \"" +
                                        std::string(family_name) + "\"");
                         }
                       }
                     });
  });
  if (!id) {
    throw ParseError("generic netlink: the answer to CTRL_CMD_GETFAMILY \"" + std::string(family_name) +
                     "\" has no CTRL_ATTR_FAMILY_ID");
  }
  return *id;
}

bool DatagramEndsAnswer(std::span<const uint8_t> datagram, uint32_t sequence, uint32_t port_id) {
  bool ends = false;
  size_t message_count = 0;
  ForEachMessage(datagram, message_count, [&](const MessageHeader& header, std::span<const uint8_t>,
                                              const Location& at) {
    if (header.sequence != sequence || header.port_id != port_id) {
      throw IoError("netlink message " + std::to_string(at.message) + " answers sequence " +
                    std::to_string(header.sequence) + " on port " + std::to_string(header.port_id) + ", want " +
                    std::to_string(sequence) + " on port " + std::to_string(port_id));
    }
    if (header.type == NLMSG_DONE || header.type == NLMSG_ERROR || (header.flags & NLM_F_MULTI) == 0) ends = true;
  });
  return ends;
}

std::vector<uint8_t> EncodeGetFamilyRequest(std::string_view family_name, uint32_t sequence) {
  // Version 1 of the controller, as libmnl and iproute2 ask for it.
  std::vector<uint8_t> out = StartRequest(GENL_ID_CTRL, NLM_F_REQUEST, sequence, CTRL_CMD_GETFAMILY, 1);
  AddStringAttribute(out, CTRL_ATTR_FAMILY_NAME, family_name);
  return FinishRequest(std::move(out));
}

std::vector<uint8_t> EncodeGetDeviceRequest(uint16_t family_id, uint32_t sequence, std::string_view interface) {
  if (interface.empty() || interface.size() > kIfNameMax || interface.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("WireGuard interface name \"" + std::string(interface) +
                                "\": want 1 to 15 bytes without NUL");
  }
  std::vector<uint8_t> out =
      StartRequest(family_id, NLM_F_REQUEST | NLM_F_DUMP, sequence, kWgCmdGetDevice, kWgGenlVersion);
  AddStringAttribute(out, kDeviceIfname, interface);
  return FinishRequest(std::move(out));
}

}  // namespace wgtune
