// Parser of /proc/net/stat/nf_conntrack: conntrack event counters per CPU.
//
// Source: net/netfilter/nf_conntrack_standalone.c ct_cpu_seq_show(); the counters are
// described in Documentation/networking/nf_conntrack-sysctl.rst and conntrack(8) (-S).
// A header line of column names, then one row per POSSIBLE CPU (offline ones too), every
// field "%08x". The file only exists with CONFIG_NF_CONNTRACK_PROCFS and nf_conntrack
// loaded. The columns differ by kernel, so they are read by name:
//
//   3.x-4.x  entries searched found new invalid ignore delete delete_list insert
//            insert_failed drop early_drop icmp_error expect_new expect_create
//            expect_delete [search_restart, 4.10+]
//   ~5.10    entries clashres found ... delete delete_list insert ...  (searched → clashres)
//   ~5.15+   entries clashres found ... delete chainlength insert ...  (delete_list → chainlength)
//
// Columns that no longer count anything print 0. `entries` is the table's current size,
// global to the network namespace and repeated on every row: it is taken once, not summed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace wgtune {

struct NfConntrackStat {
  std::optional<uint64_t> entries;  // from the first row; absent if no "entries" column
  // Every other column by header name, summed over the CPU rows.
  std::map<std::string, uint64_t, std::less<>> totals;
  size_t cpu_rows = 0;

  // The summed counter, or nullopt when this kernel has no such column.
  std::optional<uint64_t> Total(std::string_view column) const;
};

// Parses the whole file. Throws ParseError ("nf_conntrack line 3: ...") on empty input, a
// header with a repeated or no name, no CPU row, a row whose field count differs from the
// header's, or a field that is not a 32-bit hex number.
NfConntrackStat ParseNfConntrackStat(std::string_view text);

}  // namespace wgtune
