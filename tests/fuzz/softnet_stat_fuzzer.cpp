// /proc/net/softnet_stat (exporter/sources/softnet_stat.h).
#include "exporter/sources/softnet_stat.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  fuzz::Parses<ParseError>([&] { ParseSoftnetStat(fuzz::Text(data, size)); });
  return 0;
}
