// The framing every netlink answer shares, whatever the protocol (rtnetlink, generic netlink):
// messages, attributes, error answers, and the header of a request. Pure functions over bytes;
// each protocol's parser (exporter/sources/qdisc.h, ...) adds the meaning of its messages.
//
// Sources: include/uapi/linux/netlink.h, Documentation/userspace-api/netlink/intro.rst,
// lib/nlattr.c. A datagram holds back-to-back messages, each aligned to 4 bytes:
//
//   nlmsghdr  u32 len (incl. header), u16 type, u16 flags, u32 seq, u32 port id   16 bytes
//   payload   the family's fixed header (struct tcmsg, struct genlmsghdr, ...), then attributes
//   nlattr    u16 len (incl. header, excl. padding), u16 type, payload padded to 4; the type's top
//             bits are flags (NLA_F_NESTED, NLA_F_NET_BYTEORDER), masked off here (NLA_TYPE_MASK).
//             Numbers are in host byte order.
//
// A dump answers with NLM_F_MULTI messages and ends with NLMSG_DONE, whose payload is an int: 0,
// or a negative errno when the dump failed half-way (then, with NLM_F_ACK_TLVS, the extended
// ACK attributes). A request refused up front is answered by NLMSG_ERROR: an int (negative
// errno; 0 is an ACK), the request's nlmsghdr (the whole request unless NLM_F_CAPPED), then the
// extended ACK attributes (NLMSGERR_ATTR_MSG: the kernel's explanation, a string).
//
// Errors name where they were found. The walkers below take `where`, a callable returning that
// place as text ("qdisc netlink message 3"), called only when something is wrong; every problem
// throws ParseError("<where>: <what>"). Nothing is read outside the span given.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"

namespace wgtune {

inline constexpr size_t kNetlinkMessageHeaderSize = 16;        // struct nlmsghdr
inline constexpr size_t kNetlinkAttributeHeaderSize = 4;       // struct nlattr
inline constexpr uint16_t kNetlinkAttributeTypeMask = 0x3fff;  // NLA_TYPE_MASK

// NLMSG_ALIGN / NLA_ALIGN.
inline size_t NetlinkAlign(size_t length) { return (length + 3) & ~size_t{3}; }

// A host-order number at an unaligned address.
template <typename T>
T NetlinkLoad(const uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

template <typename T>
void NetlinkStore(std::vector<uint8_t>& out, T value) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

// The kernel answered a request with an error (NLMSG_ERROR, or NLMSG_DONE carrying one).
// error_number() is the positive errno: ENODEV when an interface does not exist, EOPNOTSUPP when
// it is not of the kind asked about, ENOENT when a generic netlink family is unknown, EINTR when
// a dump was interrupted by a concurrent change (NLM_F_DUMP_INTR: ask again).
class NetlinkError : public IoError {
 public:
  NetlinkError(int error_number, const std::string& message) : IoError(message), error_number_(error_number) {}
  int error_number() const { return error_number_; }

 private:
  int error_number_;
};

// Throws ParseError("<where()>: <what>").
template <typename Where>
[[noreturn]] void NetlinkFail(Where&& where, const std::string& what) {
  throw ParseError(std::string(where()) + ": " + what);
}

struct NetlinkMessageHeader {
  uint32_t length = 0;
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t sequence = 0;
  uint32_t port_id = 0;
};

// The name a protocol gives an attribute type ("TCA_KIND"); "" when it has none for it.
using NetlinkAttributeNamer = std::string_view (*)(uint16_t type);
// For nests whose entries are typed by their index (arrays).
inline std::string_view NoNetlinkAttributeName(uint16_t) { return {}; }

// An attribute whose header has been checked to lie within its container.
struct NetlinkAttribute {
  uint16_t type = 0;  // NLA_TYPE_MASK applied
  std::span<const uint8_t> payload;
  NetlinkAttributeNamer name_of = NoNetlinkAttributeName;

  // "TCA_KIND", or "attribute type 9" for a type without a name.
  std::string Name() const;
};

// Calls visit(header, payload, message_number) for each message of `bytes`. `message_number`
// counts messages across calls (1-based), so that errors can name a message of a whole dump;
// where(message_number) names the message in errors. Throws ParseError when a header does not
// fit, is shorter than itself, or runs past the data.
template <typename Where, typename Visit>
void ForEachNetlinkMessage(std::span<const uint8_t> bytes, size_t& message_number, Where&& where, Visit&& visit) {
  size_t offset = 0;
  while (offset < bytes.size()) {
    size_t number = ++message_number;
    auto here = [&] { return where(number); };
    size_t left = bytes.size() - offset;
    if (left < kNetlinkMessageHeaderSize) {
      NetlinkFail(here, std::to_string(left) + " stray bytes, too few for a message header (16)");
    }
    const uint8_t* start = bytes.data() + offset;
    NetlinkMessageHeader header{NetlinkLoad<uint32_t>(start), NetlinkLoad<uint16_t>(start + 4),
                                NetlinkLoad<uint16_t>(start + 6), NetlinkLoad<uint32_t>(start + 8),
                                NetlinkLoad<uint32_t>(start + 12)};
    if (header.length < kNetlinkMessageHeaderSize) {
      NetlinkFail(here, "length " + std::to_string(header.length) + " is shorter than its 16-byte header");
    }
    if (header.length > left) {
      NetlinkFail(here, "length " + std::to_string(header.length) + " runs past the end of the data (" +
                            std::to_string(left) + " bytes left)");
    }
    visit(header, bytes.subspan(offset + kNetlinkMessageHeaderSize, header.length - kNetlinkMessageHeaderSize),
          number);
    // The last message's padding may be missing: nothing follows it.
    offset += std::min<size_t>(NetlinkAlign(header.length), left);
  }
}

// Calls visit(attribute) for each attribute of `area`, the payload of a message or of a nest
// called `container` (named in errors). Checks each header before its payload is touched:
// throws ParseError for stray bytes too few for a header, a length shorter than the header,
// and a length that runs past the container.
template <typename Where, typename Visit>
void ForEachNetlinkAttribute(std::span<const uint8_t> area, std::string_view container, NetlinkAttributeNamer name_of,
                             Where&& where, Visit&& visit) {
  size_t offset = 0;
  while (offset < area.size()) {
    size_t left = area.size() - offset;
    if (left < kNetlinkAttributeHeaderSize) {
      NetlinkFail(where, std::string(container) + ": " + std::to_string(left) +
                             " stray bytes at its end, too few for an attribute header");
    }
    NetlinkAttribute attribute;
    auto length = NetlinkLoad<uint16_t>(area.data() + offset);
    attribute.type = NetlinkLoad<uint16_t>(area.data() + offset + 2) & kNetlinkAttributeTypeMask;
    attribute.name_of = name_of;
    if (length < kNetlinkAttributeHeaderSize) {
      NetlinkFail(where, attribute.Name() + " in " + std::string(container) + ": length " + std::to_string(length) +
                             " is shorter than its 4-byte header");
    }
    if (length > left) {
      NetlinkFail(where, attribute.Name() + " in " + std::string(container) + ": length " + std::to_string(length) +
                             " runs past the end of its container (" + std::to_string(left) + " bytes left)");
    }
    attribute.payload = area.subspan(offset + kNetlinkAttributeHeaderSize, length - kNetlinkAttributeHeaderSize);
    visit(attribute);
    // The last attribute's padding may be cut off by its container: nothing follows it.
    offset += std::min(NetlinkAlign(length), left);
  }
}

// Throws ParseError unless the attribute's payload has exactly `want` bytes.
template <typename Where>
void ExpectNetlinkSize(const NetlinkAttribute& attribute, size_t want, Where&& where) {
  if (attribute.payload.size() != want) {
    NetlinkFail(where, attribute.Name() + " has " + std::to_string(attribute.payload.size()) + " bytes, want " +
                           std::to_string(want));
  }
}

// Throws ParseError unless the attribute's payload has at least `want` bytes: for structs the
// kernel may grow at their end, or pads differently by architecture.
template <typename Where>
void ExpectNetlinkMinimumSize(const NetlinkAttribute& attribute, size_t want, Where&& where) {
  if (attribute.payload.size() < want) {
    NetlinkFail(where, attribute.Name() + " has " + std::to_string(attribute.payload.size()) + " bytes, want " +
                           std::to_string(want) + " or more");
  }
}

// A number attribute (u8 ... u64) of exactly its size.
template <typename T, typename Where>
T NetlinkNumber(const NetlinkAttribute& attribute, Where&& where) {
  ExpectNetlinkSize(attribute, sizeof(T), where);
  return NetlinkLoad<T>(attribute.payload.data());
}

// A string attribute: up to its first NUL (nla_put_string includes one; not required here).
std::string_view NetlinkString(const NetlinkAttribute& attribute);

// What the kernel said when it refused a request or failed a dump.
struct NetlinkErrorAnswer {
  int error_number = 0;  // positive errno
  std::string text;      // "errno 19 (No such device)", plus ": <explanation>" when the kernel sent one
};

// NLMSG_ERROR: nullopt for an ACK (error 0), else the error. Throws ParseError (via `where`)
// when the payload is too short for its error code.
template <typename Where>
std::optional<NetlinkErrorAnswer> DecodeNetlinkErrorMessage(const NetlinkMessageHeader& header,
                                                            std::span<const uint8_t> payload, Where&& where);

// NLMSG_DONE: nullopt when the dump completed (int 0, or a payload too short to say otherwise),
// else the error it ended with.
std::optional<NetlinkErrorAnswer> DecodeNetlinkDoneMessage(const NetlinkMessageHeader& header,
                                                           std::span<const uint8_t> payload);

// The answer for the nonzero error code `code` that starts `payload`: error_number is the
// errno, the kernel's code negated (a positive code is taken as it is); the text is
// "errno N (strerror)", and the kernel's explanation (NLMSGERR_ATTR_MSG) when `flags` has
// NLM_F_ACK_TLVS and the attributes starting at `tlv_offset` of `payload` hold one. A malformed
// explanation is left out, never an error. A code that is no errno (beyond the kernel's
// MAX_ERRNO, 4095, either way; INT_MIN, which has no negation) is EPROTO, its text
// "error code N, not an errno".
NetlinkErrorAnswer NetlinkErrorAnswerOf(int32_t code, std::span<const uint8_t> payload, size_t tlv_offset,
                                        uint16_t flags);

// Where the extended ACK attributes of an NLMSG_ERROR payload start: after the echoed
// request's header when NLM_F_CAPPED, else after the whole echoed request.
size_t NetlinkErrorAttributesOffset(const NetlinkMessageHeader& header, std::span<const uint8_t> payload);

template <typename Where>
std::optional<NetlinkErrorAnswer> DecodeNetlinkErrorMessage(const NetlinkMessageHeader& header,
                                                            std::span<const uint8_t> payload, Where&& where) {
  if (payload.size() < sizeof(int32_t)) {
    NetlinkFail(where, "NLMSG_ERROR has " + std::to_string(payload.size()) + " bytes, too few for its error code");
  }
  auto error = NetlinkLoad<int32_t>(payload.data());
  if (error == 0) return std::nullopt;
  return NetlinkErrorAnswerOf(error, payload, NetlinkErrorAttributesOffset(header, payload), header.flags);
}

// For a transport: checks that every message of a received datagram answers request `sequence`
// on socket `port_id` (throws IoError otherwise: a stale or foreign message) and says whether it
// completes the answer: it holds NLMSG_DONE or NLMSG_ERROR, or a message without NLM_F_MULTI (a
// single-message reply). Throws ParseError when the framing is broken.
bool NetlinkDatagramEndsAnswer(std::span<const uint8_t> datagram, uint32_t sequence, uint32_t port_id);

// A request's nlmsghdr (length 0, set by FinishNetlinkRequest; port id 0: the kernel knows who
// sent it), to which the caller appends its family header and attributes.
std::vector<uint8_t> StartNetlinkRequest(uint16_t type, uint16_t flags, uint32_t sequence);

// Writes the final length into the request's header.
std::vector<uint8_t> FinishNetlinkRequest(std::vector<uint8_t> request);

}  // namespace wgtune
