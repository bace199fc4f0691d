#include "exporter/sources/nf_conntrack_stat.h"

#include <algorithm>
#include <vector>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

[[noreturn]] void ThrowLineError(size_t line_number, const std::string& what) {
  throw ParseError("nf_conntrack line " + std::to_string(line_number) + ": " + what);
}

}  // namespace

std::optional<uint64_t> NfConntrackStat::Total(std::string_view column) const {
  auto total = totals.find(column);
  if (total == totals.end()) return std::nullopt;
  return total->second;
}

NfConntrackStat ParseNfConntrackStat(std::string_view text) {
  std::vector<std::string_view> lines = SplitLines(text);
  if (lines.empty()) throw ParseError("nf_conntrack: empty file");
  std::vector<std::string_view> columns = SplitFields(lines[0]);
  if (columns.empty()) ThrowLineError(1, "empty header");
  for (size_t i = 0; i < columns.size(); ++i) {
    if (std::find(columns.begin(), columns.begin() + i, columns[i]) != columns.begin() + i) {
      ThrowLineError(1, "column \"" + std::string(columns[i]) + "\" repeated");
    }
  }

  NfConntrackStat stat;
  for (std::string_view column : columns) {
    if (column != "entries") stat.totals.emplace(column, 0);
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string_view> fields = SplitFields(lines[i]);
    if (fields.size() != columns.size()) {
      ThrowLineError(i + 1, std::to_string(fields.size()) + " fields, want " + std::to_string(columns.size()) +
                                " as in the header");
    }
    for (size_t k = 0; k < fields.size(); ++k) {
      std::optional<uint64_t> value = ParseHex(fields[k]);
      if (!value || *value > UINT32_MAX) {
        ThrowLineError(i + 1,
                       std::string(columns[k]) + " \"" + std::string(fields[k]) + "\" is not a 32-bit hex number");
      }
      if (columns[k] == "entries") {
        if (!stat.entries) stat.entries = *value;
      } else {
        stat.totals.find(columns[k])->second += *value;
      }
    }
    ++stat.cpu_rows;
  }
  if (stat.cpu_rows == 0) ThrowLineError(1, "header without CPU rows");
  return stat;
}

}  // namespace wgtune
