// /proc/softirqs (exporter/sources/softirqs.h).
#include "exporter/sources/softirqs.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  Softirqs parsed;
  if (!fuzz::Parses<ParseError>([&] { parsed = ParseSoftirqs(fuzz::Text(data, size)); })) return 0;
  for (const SoftirqsRow& row : parsed.rows) {
    fuzz::Check(row.counts.size() == parsed.cpus.size(), "a row's counts are not one per CPU of the header");
    fuzz::Check(parsed.Find(row.name) != nullptr, "Find misses a row that was parsed");
  }
  return 0;
}
