// Parser of the CPU lines of /proc/stat: time each CPU spent in each mode since boot.
//
// Source: fs/proc/stat.c show_stat(); Documentation/filesystems/proc.rst (1.8 "Miscellaneous
// kernel statistics in /proc/stat"). First the aggregate line "cpu  user nice ...", then
// one "cpuN ..." line per ONLINE CPU (numbers can have gaps). Values are in USER_HZ ticks
// (sysconf(_SC_CLK_TCK), usually 100 per second):
//
//   user nice system idle iowait(2.5.41+) irq softirq(2.6.0+) steal(2.6.11+)
//   guest(2.6.24+) guest_nice(2.6.33+)
//
// guest and guest_nice are already counted in user and nice. At least 4 values are
// required; the ones an older kernel does not print are absent, and values beyond the 10
// known (a future kernel appends) are checked and ignored. The other lines (intr, ctxt,
// btime, processes, procs_running, procs_blocked, softirq) are not parsed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wgtune {

// One CPU line, in USER_HZ ticks.
struct CpuTimes {
  uint64_t user = 0;
  uint64_t nice = 0;
  uint64_t system = 0;
  uint64_t idle = 0;
  std::optional<uint64_t> iowait;
  std::optional<uint64_t> irq;
  std::optional<uint64_t> softirq;
  std::optional<uint64_t> steal;
  std::optional<uint64_t> guest;
  std::optional<uint64_t> guest_nice;
};

struct ProcStatCpu {
  unsigned cpu = 0;
  CpuTimes times;
};

struct ProcStat {
  CpuTimes total;                // the "cpu" line: every CPU summed
  std::vector<ProcStatCpu> cpus;  // the "cpuN" lines, in file order
};

// Parses the whole file. Throws ParseError ("stat line 2: ...") when the aggregate "cpu"
// line is missing, when a cpu line has fewer than 4 values or a value that is not a decimal
// number, or when a line starting with "cpu" is neither "cpu" nor "cpuN".
ProcStat ParseProcStat(std::string_view text);

}  // namespace wgtune
