// Ethtool recordings (exporter/ethtool/ethtool.h, the format of --collector.ethtool.replay-dir):
// a recording that parses prints as one that parses back to the same answers, and every
// recorded answer goes through the decoder of its command.
#include <linux/ethtool.h>

#include "common/errors.h"
#include "exporter/ethtool/ethtool.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

void Decode(const wgtune::EthtoolRecordingKey& key, std::span<const uint8_t> answer) {
  using namespace wgtune;
  fuzz::Parses<ParseError>([&] {
    switch (key.command) {
      case ETHTOOL_GDRVINFO: DecodeDriverInfo(answer); break;
      case ETHTOOL_GRINGPARAM: DecodeRingParam(answer); break;
      case ETHTOOL_GCHANNELS: DecodeChannels(answer); break;
      case ETHTOOL_GSSET_INFO: DecodeStringSetCount(answer, ETH_SS_STATS); break;
      case ETHTOOL_GSTRINGS: DecodeStrings(answer); break;
      case ETHTOOL_GSTATS: DecodeStatistics(answer); break;
      case ETHTOOL_GRXFH: DecodeRxnfcData(answer, key.command); break;
      case ETHTOOL_GRXRINGS: DecodeRxnfcData(answer, key.command); break;
      case ETHTOOL_GRXFHINDIR: DecodeIndirectionSize(answer); DecodeIndirection(answer); break;
      case ETHTOOL_GFEATURES: DecodeFeatures(answer); break;
      default: break;
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  EthtoolRecording recording;
  if (!fuzz::Parses<ParseError>([&] { recording = ParseEthtoolRecording("fuzz", fuzz::Text(data, size)); })) return 0;
  const std::string printed = FormatEthtoolRecording("eth0", recording);
  EthtoolRecording again;
  fuzz::Check(fuzz::Parses<ParseError>([&] { again = ParseEthtoolRecording("printed", printed); }),
              "a printed recording does not parse");
  fuzz::Check(again.size() == recording.size(), "a printed recording has another number of answers");
  for (const auto& [key, answer] : recording) {
    auto it = again.find(key);
    fuzz::Check(it != again.end() && it->second.bytes == answer.bytes && it->second.error == answer.error,
                "a printed recording answers differently");
    Decode(key, answer.bytes);
    EthtoolCommandName(key.command);
  }
  return 0;
}
