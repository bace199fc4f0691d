// /proc/stat (exporter/sources/proc_stat.h).
#include "exporter/sources/proc_stat.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  fuzz::Parses<ParseError>([&] { ParseProcStat(fuzz::Text(data, size)); });
  return 0;
}
