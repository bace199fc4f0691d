// The "CPU0 CPU1 CPU3 ..." header of /proc/interrupts and /proc/softirqs.
//
// Both files print one column per CPU (online CPUs for interrupts, possible CPUs for
// softirqs) and name it in the header; numbers can have gaps, so columns are mapped to CPUs
// by this header, never by position.
#pragma once

#include <string_view>
#include <vector>

namespace wgtune {

// The CPU numbers of the header, in column order. Throws ParseError, prefixed with
// "<source> line <n>: ", when a field is not CPU<n>, the numbers do not ascend (the kernel
// walks CPUs in ascending order), or the header names no CPU.
std::vector<unsigned> ParseCpuHeader(std::string_view source, std::string_view line, size_t line_number);

}  // namespace wgtune
