// The "CPU0 CPU1 CPU3 ..." header of /proc/interrupts and /proc/softirqs.
//
// Both files print one column per CPU (online CPUs for interrupts, possible CPUs for
// softirqs) and name it in the header; numbers can have gaps, so columns are mapped to CPUs
// by this header, never by position.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {

// The CPU numbers of the header, in column order. Throws ParseError, prefixed with
// "<source> line <n>: ", when a field is not CPU<n>, the numbers do not ascend (the kernel
// walks CPUs in ascending order), or the header names no CPU.
std::vector<unsigned> ParseCpuHeader(std::string_view source, std::string_view line, size_t line_number);

// Walks such a table: the first non-blank line is the CPU header, every further non-blank line
// a row, handed to visit_row(line, number of header CPUs, line number). Returns the header's
// CPUs. Throws ParseError "<source>: no CPU header line" when the text has none.
template <typename RowVisitor>
std::vector<unsigned> ForEachCpuTableRow(std::string_view source, std::string_view text, RowVisitor&& visit_row) {
  std::optional<std::vector<unsigned>> cpus;
  size_t line_number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++line_number;
    if (Trim(line).empty()) return;
    if (!cpus) {
      cpus = ParseCpuHeader(source, line, line_number);
    } else {
      visit_row(line, cpus->size(), line_number);
    }
  });
  if (!cpus) throw ParseError(std::string(source) + ": no CPU header line (want \"CPU0 CPU1 ...\")");
  return std::move(*cpus);
}

}  // namespace wgtune
