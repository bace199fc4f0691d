// The HTTP side: /metrics serves the sampler's latest exposition, / a landing page.
//
// A scrape never reads a kernel file: it copies the text the sampler rendered at its last
// sample (see sampler.h), so scrapes are cheap however often Prometheus comes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "exporter/sampler.h"

namespace httplib {
class Server;
}

namespace wgtune {

struct ListenAddress {
  std::string host;  // "0.0.0.0" for ":10050", "::" for "[::]:10050"
  int port = 0;
};

// Parses node_exporter-style listen addresses: ":10050", "127.0.0.1:10050", "[::1]:10050",
// "localhost:10050". Throws std::invalid_argument naming the address when malformed.
ListenAddress ParseListenAddress(std::string_view address);

class MetricsServer {
 public:
  // `sampler` must outlive the server.
  MetricsServer(const Sampler& sampler, std::string telemetry_path);
  ~MetricsServer();

  // Binds the address; throws std::runtime_error when it cannot (in use, bad address).
  void Bind(const ListenAddress& address);
  // The bound port (useful with port 0).
  int port() const { return port_; }
  // Serves until Stop() is called from another thread.
  void Serve();
  void Stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
};

}  // namespace wgtune
