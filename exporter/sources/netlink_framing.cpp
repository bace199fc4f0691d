#include "exporter/sources/netlink_framing.h"

#include <linux/netlink.h>

#include <cerrno>
#include <system_error>

namespace wgtune {
namespace {

// include/uapi/linux/netlink.h; the extended-ACK flags arrived in 4.12's headers.
constexpr uint16_t kFlagCapped = 0x100;                             // NLM_F_CAPPED
constexpr uint16_t kFlagAckTlvs = 0x200;                            // NLM_F_ACK_TLVS
constexpr uint16_t kErrorAttributeMessage = 1;                      // NLMSGERR_ATTR_MSG
constexpr size_t kErrorHeaderSize = 4 + kNetlinkMessageHeaderSize;  // struct nlmsgerr
constexpr int64_t kMaxErrno = 4095;                                 // include/linux/err.h

}  // namespace

std::string NetlinkAttribute::Name() const {
  std::string_view name = name_of(type);
  return name.empty() ? "attribute type " + std::to_string(type) : std::string(name);
}

std::string_view NetlinkString(const NetlinkAttribute& attribute) {
  std::string_view text(reinterpret_cast<const char*>(attribute.payload.data()), attribute.payload.size());
  return text.substr(0, text.find('\0'));
}

NetlinkErrorAnswer NetlinkErrorAnswerOf(int32_t code, std::span<const uint8_t> payload, size_t tlv_offset,
                                        uint16_t flags) {
  NetlinkErrorAnswer answer;
  // Negated in 64 bits: -INT_MIN does not fit an int (undefined behaviour, found by fuzzing).
  const int64_t magnitude = code < 0 ? -int64_t{code} : int64_t{code};
  if (magnitude > kMaxErrno) {
    answer.error_number = EPROTO;
    answer.text = "error code " + std::to_string(code) + ", not an errno";
  } else {
    answer.error_number = static_cast<int>(magnitude);
    answer.text = "errno " + std::to_string(answer.error_number) + " (" +
                  std::system_category().message(answer.error_number) + ")";
  }
  std::string& text = answer.text;
  if ((flags & kFlagAckTlvs) == 0 || tlv_offset > payload.size()) return answer;
  try {
    ForEachNetlinkAttribute(payload.subspan(tlv_offset), "extended ACK", NoNetlinkAttributeName,
                            [] { return std::string("extended ACK"); }, [&](const NetlinkAttribute& tlv) {
                              if (tlv.type != kErrorAttributeMessage) return;
                              std::string_view explanation = NetlinkString(tlv);
                              if (!explanation.empty()) text += ": " + std::string(explanation);
                            });
  } catch (const ParseError&) {
    // The explanation is a courtesy: a malformed one does not hide the errno.
  }
  return answer;
}

size_t NetlinkErrorAttributesOffset(const NetlinkMessageHeader& header, std::span<const uint8_t> payload) {
  if ((header.flags & kFlagCapped) == 0 && payload.size() >= kErrorHeaderSize) {
    return sizeof(int32_t) + NetlinkAlign(NetlinkLoad<uint32_t>(payload.data() + sizeof(int32_t)));
  }
  return kErrorHeaderSize;
}

std::optional<NetlinkErrorAnswer> DecodeNetlinkDoneMessage(const NetlinkMessageHeader& header,
                                                           std::span<const uint8_t> payload) {
  if (payload.size() < sizeof(int32_t)) return std::nullopt;
  auto error = NetlinkLoad<int32_t>(payload.data());
  if (error == 0) return std::nullopt;
  return NetlinkErrorAnswerOf(error, payload, sizeof(int32_t), header.flags);
}

bool NetlinkDatagramEndsAnswer(std::span<const uint8_t> datagram, uint32_t sequence, uint32_t port_id) {
  bool ends = false;
  size_t message_count = 0;
  ForEachNetlinkMessage(
      datagram, message_count, [](size_t number) { return "netlink message " + std::to_string(number); },
      [&](const NetlinkMessageHeader& header, std::span<const uint8_t>, size_t number) {
        if (header.sequence != sequence || header.port_id != port_id) {
          throw IoError("netlink message " + std::to_string(number) + " answers sequence " +
                        std::to_string(header.sequence) + " on port " + std::to_string(header.port_id) + ", want " +
                        std::to_string(sequence) + " on port " + std::to_string(port_id));
        }
        if (header.type == NLMSG_DONE || header.type == NLMSG_ERROR || (header.flags & NLM_F_MULTI) == 0) ends = true;
      });
  return ends;
}

std::vector<uint8_t> StartNetlinkRequest(uint16_t type, uint16_t flags, uint32_t sequence) {
  std::vector<uint8_t> out;
  NetlinkStore<uint32_t>(out, 0);  // length, set by FinishNetlinkRequest
  NetlinkStore<uint16_t>(out, type);
  NetlinkStore<uint16_t>(out, flags);
  NetlinkStore<uint32_t>(out, sequence);
  NetlinkStore<uint32_t>(out, 0);
  return out;
}

std::vector<uint8_t> FinishNetlinkRequest(std::vector<uint8_t> request) {
  auto length = static_cast<uint32_t>(request.size());
  std::memcpy(request.data(), &length, sizeof length);
  return request;
}

}  // namespace wgtune
