#include "exporter/sources/softirqs.h"

#include <limits>
#include <optional>
#include <string>

#include "common/errors.h"
#include "common/text.h"
#include "exporter/sources/cpu_header.h"

namespace wgtune {
namespace {

[[noreturn]] void Fail(size_t line_number, const std::string& what) {
  throw ParseError("softirqs line " + std::to_string(line_number) + ": " + what);
}

SoftirqsRow ParseRow(std::string_view line, size_t expected_counts, size_t line_number) {
  size_t colon = line.find(':');
  SoftirqsRow row;
  row.name = std::string(Trim(line.substr(0, colon)));
  if (colon == std::string_view::npos || row.name.empty()) Fail(line_number, "no \"NAME:\" label");
  std::vector<std::string_view> fields = SplitFields(line.substr(colon + 1));
  if (fields.size() != expected_counts) {
    Fail(line_number, row.name + " has " + std::to_string(fields.size()) + " counts, want " +
                          std::to_string(expected_counts) + " (one per header CPU)");
  }
  row.counts.reserve(fields.size());
  for (std::string_view field : fields) {
    std::optional<uint64_t> count = ParseUint(field);
    if (!count) Fail(line_number, row.name + " count \"" + std::string(field) + "\" is not a number");
    row.counts.push_back(*count);
  }
  return row;
}

}  // namespace

const SoftirqsRow* Softirqs::Find(std::string_view name) const {
  for (const SoftirqsRow& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

Softirqs ParseSoftirqs(std::string_view text) {
  Softirqs softirqs;
  softirqs.cpus = ForEachCpuTableRow("softirqs", text, [&](std::string_view line, size_t cpus, size_t line_number) {
    softirqs.rows.push_back(ParseRow(line, cpus, line_number));
  });
  if (softirqs.rows.empty()) throw ParseError("softirqs: a CPU header but no softirq rows");
  return softirqs;
}

}  // namespace wgtune
