// Errors shared by the exporter and the advisor.
//
// Parsers and readers report failure by throwing one of these. A collector lets them
// propagate; the sampler catches them, logs the message and reports the collector as
// failed for that one sample (wgtune_scrape_collector_success 0). Nothing else is lost.
#pragma once

#include <stdexcept>
#include <string>

namespace wgtune {

// The content of a source does not have the shape its kernel documents. The message
// says which source and what was wrong ("softnet_stat line 3: 9 fields, want 11, 13 or 15").
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file or directory could not be read for a reason other than being absent
// (permission, I/O error). The message carries the path and strerror(errno).
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The exporter lacks a capability or permission the source needs (EPERM from the kernel's
// WireGuard netlink dump without CAP_NET_ADMIN, EACCES on a daemon's 0700 UAPI socket, a
// /proc mounted with hidepid). The message names the source and what grants it; callers that
// log it do so once per condition (common/condition_log.h), since it repeats every sample.
class PermissionError : public IoError {
 public:
  using IoError::IoError;
};

}  // namespace wgtune
