#include "exporter/sources/sysctl.h"

#include <optional>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

[[noreturn]] void ThrowSysctlError(std::string_view name, const std::string& what) {
  throw ParseError("sysctl " + std::string(name) + ": " + what);
}

std::optional<double> ParseSysctlInteger(std::string_view field) {
  if (auto value = ParseInt(field)) return static_cast<double>(*value);
  // proc_doulongvec_minmax values can exceed INT64_MAX.
  if (auto value = ParseUint(field)) return static_cast<double>(*value);
  return std::nullopt;
}

}  // namespace

std::vector<double> ParseSysctlNumbers(std::string_view name, std::string_view text, size_t count) {
  std::vector<std::string_view> fields = SplitFields(text);
  if (fields.size() != count) {
    ThrowSysctlError(name, std::to_string(fields.size()) + " values, want " + std::to_string(count));
  }
  std::vector<double> values;
  values.reserve(count);
  for (std::string_view field : fields) {
    std::optional<double> value = ParseSysctlInteger(field);
    if (!value) ThrowSysctlError(name, "\"" + std::string(field) + "\" is not an integer");
    values.push_back(*value);
  }
  return values;
}

double ParseSysctlNumber(std::string_view name, std::string_view text) {
  return ParseSysctlNumbers(name, text, 1).front();
}

std::string ParseSysctlWord(std::string_view name, std::string_view text) {
  std::vector<std::string_view> fields = SplitFields(text);
  if (fields.size() != 1) ThrowSysctlError(name, std::to_string(fields.size()) + " words, want 1");
  return std::string(fields.front());
}

std::vector<std::string> ParseSysctlWords(std::string_view name, std::string_view text) {
  std::vector<std::string_view> fields = SplitFields(text);
  if (fields.empty()) ThrowSysctlError(name, "empty value");
  return {fields.begin(), fields.end()};
}

}  // namespace wgtune
