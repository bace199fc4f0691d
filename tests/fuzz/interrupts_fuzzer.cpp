// /proc/interrupts (exporter/sources/interrupts.h).
#include "exporter/sources/interrupts.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  ProcInterrupts parsed;
  if (!fuzz::Parses<ParseError>([&] { parsed = ParseInterrupts(fuzz::Text(data, size)); })) return 0;
  for (const InterruptRow& row : parsed.rows) {
    fuzz::Check(row.counts.size() <= parsed.cpus.size(), "a row has more counts than the header has CPUs");
    fuzz::Check(!row.irq.empty(), "a row without its IRQ");
  }
  return 0;
}
