// The Prometheus text exposition format (common/exposition.h), as the advisor reads scrapes,
// and the samples the advisor makes of it (advisor/sources/target.h).
#include "common/exposition.h"

#include <algorithm>

#include "advisor/sources/target.h"
#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  Exposition exposition;
  if (!fuzz::Parses<ParseError>([&] { exposition = ParseExposition(fuzz::Text(data, size)); })) return 0;
  for (const ExpositionSample& sample : exposition.samples) {
    fuzz::Check(!sample.name.empty(), "a sample without a name");
    fuzz::Check(std::is_sorted(sample.labels.begin(), sample.labels.end()), "labels not sorted by name");
  }
  const promql::Vector samples = SamplesFromExposition(exposition, "wgtune", "host:10050");
  fuzz::Check(samples.size() <= exposition.samples.size(), "more samples than the exposition holds");
  return 0;
}
