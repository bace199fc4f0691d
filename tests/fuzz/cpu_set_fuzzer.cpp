// CPU lists and masks (common/cpu_set.h): a list or mask that parses prints as one that parses
// back to the same set; the first byte chooses (even: list, odd: mask).
#include "common/cpu_set.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  const fuzz::Selected input = fuzz::Select(data, size);
  const uint8_t selector = input.selector;
  const std::string_view text = input.rest;
  CpuSet set;
  const bool list = selector % 2 == 0;
  if (!fuzz::Parses<ParseError>([&] { set = list ? CpuSet::FromList(text) : CpuSet::FromMask(text); })) return 0;
  fuzz::Check(CpuSet::FromList(set.ToList()) == set, "ToList does not parse back to the same set");
  fuzz::Check(CpuSet::FromMask(set.ToMask()) == set, "ToMask does not parse back to the same set");
  fuzz::Check(set.Cpus().size() == set.Count(), "Cpus() and Count() disagree");
  for (unsigned cpu : set.Cpus()) fuzz::Check(set.Contains(cpu), "Contains misses a CPU of Cpus()");
  return 0;
}
