#include "exporter/sources/cpu_header.h"

#include <limits>
#include <optional>
#include <string>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {

std::vector<unsigned> ParseCpuHeader(std::string_view source, std::string_view line, size_t line_number) {
  auto fail = [&](const std::string& what) {
    throw ParseError(std::string(source) + " line " + std::to_string(line_number) + ": " + what);
  };
  std::vector<unsigned> cpus;
  for (std::string_view field : SplitFields(line)) {
    std::optional<uint64_t> cpu = StartsWith(field, "CPU") ? ParseUint(field.substr(3)) : std::nullopt;
    if (!cpu || *cpu > std::numeric_limits<unsigned>::max()) {
      fail("header field \"" + std::string(field) + "\" is not CPU<n>");
    }
    if (!cpus.empty() && *cpu <= cpus.back()) {
      fail("header CPU" + std::to_string(*cpu) + " after CPU" + std::to_string(cpus.back()));
    }
    cpus.push_back(static_cast<unsigned>(*cpu));
  }
  if (cpus.empty()) fail("header names no CPU");
  return cpus;
}

}  // namespace wgtune
