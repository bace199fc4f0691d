// Sets of CPU numbers in the two notations the kernel uses.
//
//  - lists ("cpulist"): "0-3,8,10-11", as in /sys/devices/system/cpu/online,
//    /proc/irq/N/smp_affinity_list and effective_affinity_list;
//  - masks ("cpumask"): comma-separated 32-bit hex words, most significant first, as in
//    rps_cpus and /proc/irq/N/smp_affinity: "00000000,00000000,0000000f,fffc0000".
//
// Masks of any width are supported (hosts with hundreds of CPUs). FormatMask writes the
// shortest mask the kernel accepts for a host, so a remediation never asks the operator to
// write bits above nr_cpu_ids (EOVERFLOW, "Value too large for defined data type").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

class CpuSet {
 public:
  CpuSet() = default;

  // Parses "0-3,8"; empty text is the empty set. Throws ParseError on malformed input.
  static CpuSet FromList(std::string_view list);
  // Parses "ff,ffffffff" (words of at most 8 hex digits). Throws ParseError on malformed input.
  static CpuSet FromMask(std::string_view mask);
  // CPUs 0..count-1.
  static CpuSet FirstN(unsigned count);

  void Add(unsigned cpu);
  bool Contains(unsigned cpu) const;
  unsigned Count() const;
  bool Empty() const { return Count() == 0; }
  // The CPUs in ascending order.
  std::vector<unsigned> Cpus() const;

  // "0-3,8" (the kernel's cpulist format); "" for the empty set.
  std::string ToList() const;
  // Hex words, most significant first, without leading zero words: {0-3} → "f",
  // {0-39} → "ff,ffffffff". The empty set is "0".
  std::string ToMask() const;

  bool operator==(const CpuSet& other) const;

 private:
  std::vector<uint64_t> words_;  // bit i of words_[i / 64] is CPU i
};

}  // namespace wgtune
