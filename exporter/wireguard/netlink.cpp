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

constexpr size_t kGenlHeaderSize = 4;  // struct genlmsghdr

// Where in the stream a problem was found, formatted only when one is.
struct Location {
  size_t message = 0;     // 1-based, counted over the whole stream
  size_t peer = 0;        // 1-based within the message's WGDEVICE_A_PEERS; 0 outside a peer
  size_t allowed_ip = 0;  // 1-based within the peer's WGPEER_A_ALLOWEDIPS; 0 outside one
};

std::string LocationText(const Location& at) {
  std::string text = "wireguard netlink message " + std::to_string(at.message);
  if (at.peer != 0) text += ", peer " + std::to_string(at.peer);
  if (at.allowed_ip != 0) text += ", allowed IP " + std::to_string(at.allowed_ip);
  return text;
}

[[noreturn]] void Fail(const Location& at, const std::string& what) {
  NetlinkFail([&] { return LocationText(at); }, what);
}

using NameOf = NetlinkAttributeNamer;
using Attribute = NetlinkAttribute;

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
constexpr NameOf NoName = NoNetlinkAttributeName;

// The framing's walkers and checks (exporter/sources/netlink_framing.h), naming a Location.
template <typename Visit>
void ForEachAttribute(std::span<const uint8_t> area, const Location& at, std::string_view container, NameOf name_of,
                      Visit&& visit) {
  ForEachNetlinkAttribute(area, container, name_of, [&] { return LocationText(at); }, visit);
}

void ExpectSize(const Attribute& attribute, size_t want, const Location& at) {
  ExpectNetlinkSize(attribute, want, [&] { return LocationText(at); });
}

template <typename T>
T Number(const Attribute& attribute, const Location& at) {
  return NetlinkNumber<T>(attribute, [&] { return LocationText(at); });
}

std::string Key(const Attribute& attribute, const Location& at) {
  ExpectSize(attribute, kWireGuardKeyLength, at);
  return EncodeKeyBase64(attribute.payload.first<kWireGuardKeyLength>());
}

std::string InterfaceName(const Attribute& attribute, const Location& at) {
  std::string_view name = NetlinkString(attribute);
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
  auto family = NetlinkLoad<sa_family_t>(bytes.data());
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

std::string_view Hint(int error_number) {
  switch (error_number) {
    case ENODEV: return " (no such interface)";
    case EOPNOTSUPP: return " (the interface is not a kernel WireGuard interface)";
    case EPERM: return " (reading keys and peers needs CAP_NET_ADMIN)";
    default: return {};
  }
}

using MessageHeader = NetlinkMessageHeader;

// Calls visit(header, payload, location) for each message of `bytes`; `message_number` counts
// them across calls so errors name a message of the whole stream.
template <typename Visit>
void ForEachMessage(std::span<const uint8_t> bytes, size_t& message_number, Visit&& visit) {
  ForEachNetlinkMessage(
      bytes, message_number, [](size_t number) { return LocationText(Location{number}); },
      [&](const MessageHeader& header, std::span<const uint8_t> payload, size_t number) {
        visit(header, payload, Location{number});
      });
}

// NLMSG_ERROR: returns for an ACK (error 0), throws NetlinkError for an error.
void CheckErrorMessage(const MessageHeader& header, std::span<const uint8_t> payload, const Location& at,
                       std::string_view request) {
  std::optional<NetlinkErrorAnswer> error = DecodeNetlinkErrorMessage(header, payload, [&] { return LocationText(at); });
  if (!error) return;
  throw NetlinkError(error->error_number, "wireguard netlink: the kernel answered " + std::string(request) + " with " +
                                              error->text + std::string(Hint(error->error_number)));
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
        if (std::optional<NetlinkErrorAnswer> error = DecodeNetlinkDoneMessage(header, payload)) {
          throw NetlinkError(error->error_number, "wireguard netlink: the WG_CMD_GET_DEVICE dump ended with " +
                                                      error->text + std::string(Hint(error->error_number)));
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
        auto seconds = NetlinkLoad<int64_t>(attribute.payload.data());
        auto nanoseconds = NetlinkLoad<int64_t>(attribute.payload.data() + sizeof(int64_t));
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
  std::vector<uint8_t> out = StartNetlinkRequest(type, flags, sequence);
  out.push_back(command);
  out.push_back(version);
  NetlinkStore<uint16_t>(out, 0);
  return out;
}

void AddStringAttribute(std::vector<uint8_t>& out, uint16_t type, std::string_view value) {
  size_t length = kNetlinkAttributeHeaderSize + value.size() + 1;  // with its NUL
  NetlinkStore<uint16_t>(out, static_cast<uint16_t>(length));
  NetlinkStore<uint16_t>(out, type);
  out.insert(out.end(), value.begin(), value.end());
  out.resize(out.size() + 1 + (NetlinkAlign(length) - length), 0);
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
                         std::string_view name = NetlinkString(attribute);
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

std::vector<uint8_t> EncodeGetFamilyRequest(std::string_view family_name, uint32_t sequence) {
  // Version 1 of the controller, as libmnl and iproute2 ask for it.
  std::vector<uint8_t> out = StartRequest(GENL_ID_CTRL, NLM_F_REQUEST, sequence, CTRL_CMD_GETFAMILY, 1);
  AddStringAttribute(out, CTRL_ATTR_FAMILY_NAME, family_name);
  return FinishNetlinkRequest(std::move(out));
}

std::vector<uint8_t> EncodeGetDeviceRequest(uint16_t family_id, uint32_t sequence, std::string_view interface) {
  if (interface.empty() || interface.size() > kIfNameMax || interface.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("WireGuard interface name \"" + std::string(interface) +
                                "\": want 1 to 15 bytes without NUL");
  }
  std::vector<uint8_t> out =
      StartRequest(family_id, NLM_F_REQUEST | NLM_F_DUMP, sequence, kWgCmdGetDevice, kWgGenlVersion);
  AddStringAttribute(out, kDeviceIfname, interface);
  return FinishNetlinkRequest(std::move(out));
}

}  // namespace wgtune
