// The HTTP side of both programs: the telemetry path serves a prepared exposition text, /
// a landing page; nothing else (other paths 404, other methods than GET and HEAD 405).
//
// A scrape never computes anything: it copies the text the program rendered last (the
// exporter's sampler at its last sample, the advisor after its last evaluation), so scrapes
// are cheap however often Prometheus comes. Connections are handled by HttpServer
// (http_server.h: idle and slow clients cannot hold the workers); TLS, basic authentication
// and extra headers come from the web configuration file (web_settings.h, docs/web.md).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/http_server.h"
#include "common/logging.h"
#include "common/web_settings.h"

namespace wgtune {

// Returns the text to serve; called on the server's worker threads, so it must be
// thread-safe. Never null.
using ExpositionProvider = std::function<std::shared_ptr<const std::string>()>;

struct MetricsServerOptions {
  std::string telemetry_path = "/metrics";
  std::string title;  // the landing page's: "wgtune exporter"
  std::string blurb;  // what the program does, one sentence
  std::string web_config_file;  // --web.config.file; empty: plain HTTP, no authentication
  HttpLimits limits;
};

class MetricsServer {
 public:
  // Reads the web configuration file; throws naming it when it is missing or wrong.
  MetricsServer(ExpositionProvider exposition, MetricsServerOptions options);
  ~MetricsServer();

  // Listens on one more address (repeatable); throws std::runtime_error when it cannot (in
  // use, bad address). Returns the bound port (useful with port 0).
  int Bind(const ListenAddress& address);
  bool tls() const { return settings_.tls(); }
  // Serves until Stop() is called from another thread.
  void Serve();
  void Stop();

 private:
  class Router;
  ExpositionProvider exposition_;
  MetricsServerOptions options_;
  WebSettings settings_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

// What both programs' mains do: makes the server and binds every --web.listen-address,
// logging "listening" for each with `fields`. A bad --web.config.file or listen address throws
// std::invalid_argument naming the flag (the operator's to fix: the caller exits 2); an address
// that cannot be bound (in use) throws std::runtime_error. Never returns null.
std::unique_ptr<MetricsServer> StartMetricsServer(const std::vector<std::string>& listen_addresses,
                                                  ExpositionProvider exposition, MetricsServerOptions options,
                                                  const LogFields& fields);

}  // namespace wgtune
