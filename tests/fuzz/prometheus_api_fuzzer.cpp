// Answers of Prometheus's HTTP API (advisor/sources/prometheus_api.h): the first byte chooses
// an instant query's vector (even) or a range query's matrix (odd), the rest is the JSON body.
#include "advisor/sources/prometheus_api.h"

#include <algorithm>

#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  const fuzz::Selected input = fuzz::Select(data, size);
  const uint8_t selector = input.selector;
  const std::string_view json = input.rest;
  if (selector % 2 == 0) {
    promql::Vector vector;
    if (!fuzz::Parses<PrometheusApiError>([&] { vector = ParseQueryResponse(json); })) return 0;
    for (const promql::Sample& sample : vector) {
      fuzz::Check(std::is_sorted(sample.labels.begin(), sample.labels.end()), "labels not sorted");
    }
  } else {
    promql::Matrix matrix;
    if (!fuzz::Parses<PrometheusApiError>([&] { matrix = ParseRangeQueryResponse(json); })) return 0;
    for (const promql::Series& series : matrix) {
      fuzz::Check(std::is_sorted(series.labels.begin(), series.labels.end()), "labels not sorted");
    }
  }
  return 0;
}
