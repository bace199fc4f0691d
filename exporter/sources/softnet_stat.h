// Parser of /proc/net/softnet_stat: per-CPU counters of the network receive softirq.
//
// Source: net/core/net-procfs.c softnet_seq_show() (net/core/dev.c before 3.11);
// Documentation/networking/scaling.rst (RPS, flow limit). One row per ONLINE CPU, in
// ascending CPU order, every field printed "%08x" (a u32 that wraps). Columns:
//
//    1 processed        packets taken off the backlog / NAPI poll by this CPU
//    2 dropped          packets dropped because the backlog was full (netdev_max_backlog)
//    3 time_squeeze     net_rx_action ran out of netdev_budget / _usecs with work left
//  4-8 zero             (were fastroute counters)
//    9 zero             (was cpu_collision; a real counter before 4.x)
//   10 received_rps     RPS inter-processor interrupts received          (2.6.35+)
//   11 flow_limit_count packets dropped by the RPS flow limit            (3.11+)
//   12 backlog_len      input_pkt_queue + process_queue lengths, now     (5.10+)
//   13 cpu index        the CPU this row belongs to                      (5.10+)
//   14 input_qlen       input_pkt_queue length, now                      (6.4+)
//   15 process_qlen     process_queue length, now                        (6.4+)
//
// So 9 columns on 2.6.32, 10 up to 3.10, 11 on 3.11-5.9, 13 on 5.10-6.3 (and RHEL 8.5's
// 4.18), 15 on 6.4+. The layout is decided by the column count, never by kernel version, and
// row by row, as prometheus/procfs (net_softnet.go) does: one kernel prints one width, but
// files gathered from several hosts or kernels (other projects' fixture trees) mix them, and a
// row is no less readable for its neighbour's width. Columns beyond 15 (a future kernel
// appends) are checked to be hex and otherwise ignored. Without column 13 a row's CPU is
// implicit: the k-th row is the k-th online CPU, which only the online CPU list can tell once
// a CPU is offline (the collector decides, exporter/collectors/softnet.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wgtune {

struct SoftnetStatRow {
  size_t columns = 0;  // fields of this row
  uint32_t processed = 0;
  uint32_t dropped = 0;
  uint32_t time_squeeze = 0;
  std::optional<uint32_t> received_rps;      // 10+ columns
  std::optional<uint32_t> flow_limit_count;  // 11+ columns
  std::optional<uint32_t> backlog_len;       // 13+ columns
  std::optional<uint32_t> cpu;               // 13+ columns
  std::optional<uint32_t> input_qlen;        // 15+ columns
  std::optional<uint32_t> process_qlen;      // 15+ columns
};

struct SoftnetStat {
  std::vector<SoftnetStatRow> rows;  // in file order
};

// Parses the whole file, each row by its own width. Throws ParseError ("softnet_stat line 3:
// ...") when there is no row, when a row has fewer than 9 fields, or when a field is not a
// 32-bit hex number.
SoftnetStat ParseSoftnetStat(std::string_view text);

}  // namespace wgtune
