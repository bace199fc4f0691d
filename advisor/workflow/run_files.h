// The run files `wgtune-advisor baseline --out DIR` writes (one JSON file per iperf3 scenario,
// "format": "wgtune-baseline/1"), read back as rows of the comparison table (comparison.h).
//
// A directory of run files is one run: one configuration, the guide's five scenarios or some of
// them. `compare --runs A B C` reads the directories in that order, each directory's rows in
// the guide's scenario order (§2.1: tcp_fwd, tcp_rev, udp_1200, udp_64, tcp_single; other
// names after them, by name), so that each configuration is compared with the one before it.
//
// Contracts: a file that is not a run file of this format (not JSON, another format, a member
// missing or of the wrong type) is refused with RunFileError naming the file and what is wrong;
// nothing is skipped silently. Members this reader does not use (the verbatim iperf3 report)
// are not checked beyond being present where the format requires them.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/workflow/comparison.h"

namespace wgtune {

class RunFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::string_view kRunFileFormat = "wgtune-baseline/1";

// One run file's content as a row: scenario, span (started, started + seconds), fingerprint and
// knobs (nullopt when the run had no exporter: fingerprint null and no knobs), iperf3's
// throughput (may be null), the exporter's means (LoadState::kAbsent when "exporter" is null). `path` goes
// into the row's source and the errors; `config` is the row's configuration name.
// Throws RunFileError("<path>: <what is wrong>").
ComparisonRow ParseRunFile(std::string_view json_text, const std::string& path, const std::string& config);

// The rows of every *.json file of each directory, directories in the given order, each in the
// guide's scenario order. A directory's configuration name is its last path component (the
// whole path when two directories share it). Throws RunFileError for a directory that cannot
// be read or has no *.json file, and for any malformed file.
std::vector<ComparisonRow> ReadRunDirectories(const std::vector<std::string>& directories);

}  // namespace wgtune
