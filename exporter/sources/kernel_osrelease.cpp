#include "exporter/sources/kernel_osrelease.h"

#include <vector>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

// The digits at the start of `text`, consumed.
std::string_view TakeDigits(std::string_view& text) {
  size_t end = 0;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  std::string_view digits = text.substr(0, end);
  text.remove_prefix(end);
  return digits;
}

std::optional<int> Version(std::string_view release) {
  std::string_view rest = release;
  std::optional<uint64_t> major = ParseUint(TakeDigits(rest));
  if (!major || rest.empty() || rest.front() != '.') return std::nullopt;
  rest.remove_prefix(1);
  std::optional<uint64_t> minor = ParseUint(TakeDigits(rest));
  if (!minor || *minor >= 1000 || *major > 1000000) return std::nullopt;
  return static_cast<int>(*major * 1000 + *minor);
}

}  // namespace

KernelRelease ParseKernelRelease(std::string_view text) {
  std::vector<std::string_view> fields = SplitFields(text);
  if (fields.size() != 1) {
    throw ParseError("osrelease: " + std::to_string(fields.size()) + " words, want 1");
  }
  return {std::string(fields.front()), Version(fields.front())};
}

}  // namespace wgtune
