// The netlink framing every answer shares (exporter/sources/netlink_framing.h): messages,
// attributes, error and done answers, over one datagram of raw bytes. Found here first: an
// error answer carrying INT_MIN was negated (undefined behaviour; regressions/netlink_framing/).
#include "exporter/sources/netlink_framing.h"

#include <linux/netlink.h>

#include <cerrno>

#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  const std::span<const uint8_t> bytes = fuzz::Bytes(data, size);
  fuzz::Parses<ParseError, IoError>([&] { NetlinkDatagramEndsAnswer(bytes, 1, 0); });
  size_t messages = 0;
  auto where = [](size_t number) { return "netlink message " + std::to_string(number); };
  fuzz::Parses<ParseError>([&] {
    ForEachNetlinkMessage(bytes, messages, where, [&](const NetlinkMessageHeader& header,
                                                      std::span<const uint8_t> payload, size_t number) {
      fuzz::Check(payload.size() + kNetlinkMessageHeaderSize == header.length, "payload is not the message's length");
      std::optional<NetlinkErrorAnswer> error;
      if (header.type == NLMSG_ERROR) {
        error = DecodeNetlinkErrorMessage(header, payload, [&] { return where(number); });
      } else if (header.type == NLMSG_DONE) {
        error = DecodeNetlinkDoneMessage(header, payload);
      }
      if (error) {
        fuzz::Check(error->error_number > 0 && error->error_number <= 4095, "an errno out of range");
        fuzz::Check(!error->text.empty(), "an error answer without text");
      }
      // Attributes start after the family header; 4 bytes (genlmsghdr) is the shortest one.
      if (payload.size() >= 4) {
        ForEachNetlinkAttribute(payload.subspan(4), "message", NoNetlinkAttributeName, [&] { return where(number); },
                                [&](const NetlinkAttribute& attribute) {
                                  NetlinkString(attribute);
                                  fuzz::Check(attribute.type <= kNetlinkAttributeTypeMask, "type flags not masked");
                                });
      }
    });
  });
  return 0;
}
