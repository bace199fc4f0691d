// Parser of /proc/softirqs: how many times each softirq ran on each CPU.
//
// Source: fs/proc/softirqs.c show_softirqs(); names from kernel/softirq.c softirq_to_name;
// Documentation/filesystems/proc.rst ("softirqs"). The header names every POSSIBLE CPU,
// offline ones included ("CPU%-8d" each), so columns map to CPUs by the header, never by
// position. Each row is "%12s:" then one " %10u" per header column; the counts are
// unsigned int and wrap at 2^32. Rows since 4.x: HI TIMER NET_TX NET_RX BLOCK IRQ_POLL
// TASKLET SCHED HRTIMER RCU; 2.6 kernels print BLOCK_IOPOLL, and the very first ones
// (2.6.31) a narrower "%8s:" label. Rows are kept generically, by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

struct SoftirqsRow {
  std::string name;             // "NET_RX"
  std::vector<uint64_t> counts;  // one per Softirqs::cpus entry, same order
};

struct Softirqs {
  std::vector<unsigned> cpus;  // CPU numbers from the header, in column order
  std::vector<SoftirqsRow> rows;

  // The row with that name, or nullptr.
  const SoftirqsRow* Find(std::string_view name) const;
};

// Parses the whole file. Throws ParseError ("softirqs line 4: ...") when the header is
// missing or is not a list of CPUn names, when a row has no "NAME:" label, a count that is
// not a decimal number, or not one count per header CPU.
Softirqs ParseSoftirqs(std::string_view text);

}  // namespace wgtune
