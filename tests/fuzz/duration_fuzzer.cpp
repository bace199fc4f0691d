// Prometheus durations (common/duration.h), as ranges, `for` and flags take them: one
// that parses prints as one that parses back to the same number of seconds. Issue 15:
// "300000000000y" overflowed; the bound is Prometheus's int64 nanoseconds.
#include "common/duration.h"

#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  std::optional<double> seconds = ParsePrometheusDuration(fuzz::Text(data, size));
  if (!seconds) return 0;
  fuzz::Check(*seconds >= 0 && *seconds <= 292.5 * 365.25 * 86400, "a duration beyond int64 nanoseconds");
  const std::string printed = FormatPrometheusDuration(*seconds);
  std::optional<double> again = ParsePrometheusDuration(printed);
  fuzz::Check(again.has_value(), "a printed duration does not parse: " + printed);
  fuzz::Check(*again == *seconds, "a printed duration parses to another: " + printed);
  return 0;
}
