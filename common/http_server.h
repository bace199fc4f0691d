// The connection side of both programs' HTTP servers: a server that idle and slow clients
// cannot stall.
//
// cpp-httplib's own server gives each connection a worker thread for as long as the client
// keeps it: 200 clients that connect and never finish a request hold every worker, and a real
// scrape waits. Here one "waiting room" thread (epoll) owns every connection that is not being
// answered: it accepts, drives TLS handshakes, and reads until a request's headers are
// complete; only then does a worker get the connection, serve exactly that request (whose
// bytes are already here, so the worker never waits for the client to send), and hand a
// kept-alive connection back. The waiting room enforces:
//   - a deadline for a request's headers (and the TLS handshake), from the first byte or accept;
//   - a keep-alive idle timeout and a maximum of requests per connection;
//   - a maximum of connections: when full, the connection that has waited longest is closed
//     to make room (the newcomer is more likely a scraper than the oldest idle socket);
//   - a maximum size of a request's headers (431 beyond it).
// A worker writing a response to a client that does not read is bounded by a write timeout.
//
// Thread safety: Bind before Serve, from one thread; Serve runs the waiting room on the calling
// thread until Stop, which any thread may call (a signal watcher). The request callback runs
// on the worker threads, concurrently.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/tls_server_context.h"

namespace wgtune {

struct ListenAddress {
  std::string host;  // "" for ":10050" (every address), "::" for "[::]:10050"
  int port = 0;
};

// Parses node_exporter-style listen addresses: ":10050", "127.0.0.1:10050", "[::1]:10050",
// "[::]:10050", "localhost:10050". Throws std::invalid_argument naming the address when
// malformed.
ListenAddress ParseListenAddress(std::string_view address);

struct HttpLimits {
  double header_timeout_seconds = 10;  // Go's ReadHeaderTimeout, TLS handshake included
  double idle_timeout_seconds = 60;    // a kept-alive connection between two requests
  double write_timeout_seconds = 10;   // writing one response
  size_t max_connections = 256;        // below FD_SETSIZE, which cpp-httplib's parser needs
  size_t max_header_bytes = 16 * 1024;
  size_t max_requests_per_connection = 1000;
  int workers = 2;  // a scrape copies a prepared string: two serve any scrape rate
};

// Serves one request read from `stream`. `last` says the connection closes after it (the
// response should say "Connection: close"). Returns whether the connection may stay open.
using ServeRequest = std::function<bool(httplib::Stream& stream, bool last)>;

// The TLS context for a new connection; null refuses the connection (a broken configuration).
using TlsContextSource = std::function<SslContext()>;

class HttpServer {
 public:
  // Without `tls`, connections are plain HTTP.
  HttpServer(HttpLimits limits, ServeRequest serve, TlsContextSource tls = nullptr);
  ~HttpServer();

  // Listens on one more address. As Go's listener: an empty host and [::] are every IPv6 and
  // IPv4 address (dual-stack), an empty host falling back to IPv4 alone on a host without
  // IPv6. Throws
  // std::runtime_error naming the address when it cannot. Returns the bound port (for port 0).
  int Bind(const ListenAddress& address);
  void Serve();
  void Stop();

  struct Connection;  // defined in http_server.cpp

 private:
  void Accept(int listener);
  void Progress(Connection* connection);
  void Dispatch(Connection* connection);
  void Close(Connection* connection);
  bool CloseLongestWaiting();
  void Watch(Connection* connection, uint32_t events);
  void TakeBackReturned();
  void ExpireDeadlines();
  void Work();

  const HttpLimits limits_;
  const ServeRequest serve_;
  const TlsContextSource tls_;
  std::vector<int> listeners_;
  int epoll_ = -1;
  int wake_ = -1;  // eventfd: Stop, or a worker returned a connection
  std::atomic<bool> stopping_{false};
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;  // the waiting room's

  std::mutex queue_mutex_;
  std::condition_variable ready_signal_;
  std::deque<Connection*> ready_;                      // headers complete, for a worker
  std::deque<std::pair<Connection*, bool>> returned_;  // served; whether it stays open
  std::vector<std::thread> workers_;
};

}  // namespace wgtune
