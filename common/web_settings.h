// The web configuration file as it is now on disk: exporter-toolkit re-reads the file on every
// request and its certificate on every TLS handshake, so that a changed password or a rotated
// certificate applies at once. WebSettings does the same, cheaply: each call of Current()
// stats the file and the files it names, and parses and rebuilds only when one of them
// changed (inode, size, modification or change time).
//
// A file that turns bad after start is what exporter-toolkit makes of it: requests fail with
// 500 and handshakes are refused until it is mended; the error is logged once per change.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/basic_auth.h"
#include "common/tls_server_context.h"
#include "common/web_config.h"

namespace wgtune {

struct WebSnapshot {
  WebConfig config;
  SslContext tls;  // null when TLS is off
};

class WebSettings {
 public:
  // Reads the file; throws (IoError, ParseError, std::runtime_error) naming it when it is
  // missing or wrong, for the caller to report and exit 2. An empty path: plain HTTP, no
  // authentication, nothing re-read.
  explicit WebSettings(std::string path);

  // The current settings, re-read if a file changed; null when the file is now broken.
  std::shared_ptr<const WebSnapshot> Current();
  // Whether connections are TLS: fixed at start, as exporter-toolkit decides it once.
  bool tls() const { return tls_; }
  const std::string& path() const { return path_; }

  BasicAuthCache& auth_cache() { return auth_cache_; }

 private:
  struct FileStamp {
    unsigned long inode = 0;
    long long size = -1, mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  std::vector<FileStamp> Stamps(const WebConfig* config) const;
  std::shared_ptr<const WebSnapshot> Load() const;

  const std::string path_;
  bool tls_ = false;
  std::mutex mutex_;
  std::vector<FileStamp> stamps_;  // of the file and of the files its config names
  std::shared_ptr<const WebSnapshot> current_;  // the last good settings
  bool broken_ = false;                          // the files on disk are not good now
  BasicAuthCache auth_cache_;
};

}  // namespace wgtune
