// What the libFuzzer targets of tests/fuzz/ share (docs/fuzzing.md).
//
// A target feeds libFuzzer's input to one parser. A parser's documented answer to bad input (a
// ParseError, a RuleError, ...) is a correct outcome, and the target returns; anything else is a
// finding: a sanitizer report (memory error, undefined behaviour), an exception the parser does
// not document (it escapes LLVMFuzzerTestOneInput, std::terminate aborts), or a property the
// target checks that does not hold (Check aborts with a message). libFuzzer keeps the input of
// each as a crash file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <string_view>

namespace wgtune::fuzz {

inline std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline std::span<const uint8_t> Bytes(const uint8_t* data, size_t size) { return {data, size}; }

// Aborts with `what` unless `holds`: a property of the parser failed on this input.
inline void Check(bool holds, std::string_view what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz check failed: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

namespace internal {
template <typename First, typename... Rest>
bool IsOneOf(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const First&) {
    return true;
  } catch (...) {
    if constexpr (sizeof...(Rest) > 0) return IsOneOf<Rest...>(error);
    return false;
  }
}
}  // namespace internal

// Runs parse(): true when it returned, false when it threw one of `Expected` (the errors its
// header documents for bad input). Any other exception is rethrown, and so reported as a crash.
template <typename... Expected, typename Parse>
bool Parses(Parse&& parse) {
  try {
    parse();
    return true;
  } catch (...) {
    std::exception_ptr error = std::current_exception();
    if (internal::IsOneOf<Expected...>(error)) return false;
    std::rethrow_exception(error);
  }
}

// Splits off the first byte, which some targets use to choose among the parsers of one source
// (the seeds carry it: tests/fuzz/make_seeds.py).
struct Selected {
  uint8_t selector = 0;
  std::string_view rest;
};
inline Selected Select(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  return {data[0], Text(data + 1, size - 1)};
}

}  // namespace wgtune::fuzz
