// /proc/net/stat/nf_conntrack (exporter/sources/nf_conntrack_stat.h).
#include "exporter/sources/nf_conntrack_stat.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  NfConntrackStat parsed;
  if (!fuzz::Parses<ParseError>([&] { parsed = ParseNfConntrackStat(fuzz::Text(data, size)); })) return 0;
  for (const auto& [column, total] : parsed.totals) {
    fuzz::Check(parsed.Total(column) == total, "Total does not find a parsed column");
  }
  return 0;
}
