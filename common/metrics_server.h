// The HTTP side of both programs: the telemetry path serves a prepared exposition text, /
// a landing page.
//
// A scrape never computes anything: it copies the text the program rendered last (the
// exporter's sampler at its last sample, the advisor after its last evaluation), so scrapes
// are cheap however often Prometheus comes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

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

// Returns the text to serve; called on the server's worker threads, so it must be
// thread-safe. Never null.
using ExpositionProvider = std::function<std::shared_ptr<const std::string>()>;

class MetricsServer {
 public:
  // `title` and `blurb` fill the landing page ("wgtune exporter", what it does).
  MetricsServer(ExpositionProvider exposition, std::string telemetry_path, std::string title, std::string blurb);
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
