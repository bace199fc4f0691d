// What `wgtune-advisor compare` and `baseline` read: a run file (advisor/workflow/run_files.h,
// first byte even) or an iperf3 -J report (advisor/workflow/baseline.h, first byte odd).
#include "advisor/workflow/baseline.h"
#include "advisor/workflow/run_files.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  const fuzz::Selected input = fuzz::Select(data, size);
  const uint8_t selector = input.selector;
  const std::string_view json = input.rest;
  if (selector % 2 == 0) {
    fuzz::Parses<RunFileError>([&] { ParseRunFile(json, "fuzz.json", "fuzz"); });
  } else {
    fuzz::Parses<Iperf3Error>([&] { ReceivedBitsPerSecond(Iperf3Report(json, "", 0)); });
  }
  return 0;
}
