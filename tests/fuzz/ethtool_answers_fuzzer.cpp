// The decoders of ethtool ioctl answers (exporter/ethtool/ethtool.h) over raw bytes, without
// the recording parser's checks in front: what a driver's answer could hold. The first byte
// chooses the decoder (selector % 11: GDRVINFO GRINGPARAM GCHANNELS GSSET_INFO GSTRINGS GSTATS
// GRXFH GRXRINGS GRXFHINDIR GFEATURES, 10 the request-key and answer-length helpers).
#include <linux/ethtool.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/errors.h"
#include "exporter/ethtool/ethtool.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  const fuzz::Selected input = fuzz::Select(data, size);
  const uint8_t selector = input.selector;
  const std::string_view text = input.rest;
  // A copy of exactly the answer's size, so that ASan sees any read past it.
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  const std::span<const uint8_t> answer(bytes);
  fuzz::Parses<ParseError>([&] {
    switch (selector % 11) {
      case 0: DecodeDriverInfo(answer); break;
      case 1: DecodeRingParam(answer); break;
      case 2: DecodeChannels(answer); break;
      case 3:
        for (uint32_t set = 0; set < 64; ++set) DecodeStringSetCount(answer, set);
        break;
      case 4:
        for (const std::string& name : DecodeStrings(answer)) SplitStatisticName(name);
        break;
      case 5: DecodeStatistics(answer); break;
      case 6: FlowHashFields(DecodeRxnfcData(answer, ETHTOOL_GRXFH)); break;
      case 7: DecodeRxnfcData(answer, ETHTOOL_GRXRINGS); break;
      case 8: DecodeIndirectionSize(answer); DecodeIndirection(answer); break;
      case 9: DecodeFeatures(answer); break;
      case 10: {
        fuzz::Check(EthtoolAnswerLength(answer) <= answer.size(), "an answer length past the buffer");
        EthtoolRequestKey(answer);
        break;
      }
    }
  });
  return 0;
}
