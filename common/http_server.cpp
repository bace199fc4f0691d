#include "common/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "common/text.h"

namespace wgtune {

using Clock = std::chrono::steady_clock;

struct HttpServer::Connection {
  int fd = -1;
  SSL* ssl = nullptr;
  bool handshake_done = false;
  std::string buffer;           // bytes received and not yet consumed by a request
  Clock::time_point waiting_since;  // entered the waiting room: accepted, or answered
  Clock::time_point deadline;
  size_t requests = 0;
  uint32_t events = 0;  // epoll events registered; 0 while a worker has it

  ~Connection() {
    if (ssl != nullptr) {
      SSL_shutdown(ssl);  // best effort: a close_notify if the socket takes it at once
      SSL_free(ssl);
      ERR_clear_error();  // the queue is per thread, and SSL_get_error reads it
    }
    if (fd >= 0) close(fd);
  }
  bool HeadersComplete() const { return buffer.find("\r\n\r\n") != std::string::npos; }
};

namespace {

std::chrono::nanoseconds Seconds(double seconds) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
}

// The errno of a socket call that would block, or of SSL's equivalent, as poll events to wait
// for; 0 when the call failed for good.
short WouldBlock(SSL* ssl, int result) {
  if (ssl == nullptr) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? POLLIN | POLLOUT : 0;
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      return POLLIN;
    case SSL_ERROR_WANT_WRITE:
      return POLLOUT;
    default:
      ERR_clear_error();
      return 0;
  }
}

// The waiting room's single read: what is there now, never blocking.
ssize_t ReadSome(HttpServer::Connection& connection, char* data, size_t size);

std::string FormatAddress(const sockaddr_storage& address, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  return text;
}

// One request's view of a connection for cpp-httplib's parser and writer: the bytes the
// waiting room already read first, then the socket (or TLS over it), each wait bounded.
class ConnectionStream : public httplib::Stream {
 public:
  ConnectionStream(HttpServer::Connection& connection, const HttpLimits& limits)
      : connection_(connection), limits_(limits) {}
  // What the request did not consume (a pipelined next request) stays for the next one.
  ~ConnectionStream() override { connection_.buffer.erase(0, offset_); }

  bool is_readable() const override {
    return offset_ < connection_.buffer.size() || (connection_.ssl && SSL_pending(connection_.ssl) > 0) ||
           Wait(POLLIN, limits_.header_timeout_seconds);
  }
  bool is_writable() const override { return Wait(POLLOUT, limits_.write_timeout_seconds); }

  ssize_t read(char* data, size_t size) override {
    if (offset_ < connection_.buffer.size()) {
      size_t n = std::min(size, connection_.buffer.size() - offset_);
      std::memcpy(data, connection_.buffer.data() + offset_, n);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    // Only a request body gets here (the headers were read before dispatch); it is bounded
    // like the headers.
    auto deadline = Clock::now() + Seconds(limits_.header_timeout_seconds);
    ERR_clear_error();
    for (;;) {
      ssize_t n = connection_.ssl ? SSL_read(connection_.ssl, data, static_cast<int>(size))
                                  : recv(connection_.fd, data, size, 0);
      if (n > 0) return n;
      if (n == 0 && !connection_.ssl) return 0;
      short events = WouldBlock(connection_.ssl, static_cast<int>(n));
      if (events == 0 || !WaitUntil(events, deadline)) return -1;
    }
  }

  ssize_t write(const char* data, size_t size) override {
    auto deadline = Clock::now() + Seconds(limits_.write_timeout_seconds);
    ERR_clear_error();
    for (;;) {
      ssize_t n = connection_.ssl ? SSL_write(connection_.ssl, data, static_cast<int>(size))
                                  : send(connection_.fd, data, size, MSG_NOSIGNAL);
      if (n > 0) return n;
      short events = WouldBlock(connection_.ssl, static_cast<int>(n));
      if (events == 0 || !WaitUntil(events == (POLLIN | POLLOUT) ? POLLOUT : events, deadline)) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getpeername(connection_.fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) ip = FormatAddress(address, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getsockname(connection_.fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) ip = FormatAddress(address, port);
  }
  socket_t socket() const override { return connection_.fd; }

 private:
  bool Wait(short events, double seconds) const { return WaitUntil(events, Clock::now() + Seconds(seconds)); }
  bool WaitUntil(short events, Clock::time_point deadline) const {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left < 0) return false;
      pollfd watched{connection_.fd, events, 0};
      int ready = poll(&watched, 1, static_cast<int>(left));
      if (ready > 0) return true;
      if (ready == 0 || errno != EINTR) return false;
    }
  }

  HttpServer::Connection& connection_;
  const HttpLimits& limits_;
  size_t offset_ = 0;
};

ssize_t ReadSome(HttpServer::Connection& connection, char* data, size_t size) {
  if (connection.ssl) return SSL_read(connection.ssl, data, static_cast<int>(size));
  return recv(connection.fd, data, size, 0);
}

// Written straight from the waiting room, best effort, before closing: the client gets a
// reason rather than a reset.
void SendAndForget(HttpServer::Connection& connection, std::string_view response) {
  if (connection.ssl) {
    SSL_write(connection.ssl, response.data(), static_cast<int>(response.size()));
    ERR_clear_error();
  } else {
    send(connection.fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
}

// epoll tags: listeners and the wake eventfd are small numbers, connections are pointers.
constexpr uint64_t kWakeTag = 0;
constexpr uint64_t kListenerTagBase = 1;  // + index; fewer listeners than a page's worth

}  // namespace

ListenAddress ParseListenAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("listen address without port: " + std::string(address));
  std::string_view host = address.substr(0, colon);
  auto port = ParseUint(address.substr(colon + 1));
  if (!port || *port > 65535) throw std::invalid_argument("bad port in listen address: " + std::string(address));
  if (StartsWith(host, "[")) {
    if (!EndsWith(host, "]")) throw std::invalid_argument("bad IPv6 listen address: " + std::string(address));
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    throw std::invalid_argument("IPv6 listen address needs brackets: " + std::string(address));
  }
  return {std::string(host), static_cast<int>(*port)};
}

HttpServer::HttpServer(HttpLimits limits, ServeRequest serve, TlsContextSource tls)
    : limits_(limits), serve_(std::move(serve)), tls_(std::move(tls)) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wake_ < 0) throw std::runtime_error(std::string("cannot create the server's epoll: ") + strerror(errno));
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeTag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event);
}

HttpServer::~HttpServer() {
  connections_.clear();
  for (int listener : listeners_) close(listener);
  close(wake_);
  close(epoll_);
}

namespace {

// A listening socket on host:port, or -1 with errno set (EAFNOSUPPORT without IPv6).
int ListenSocket(const std::string& host, int port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int failed = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); failed != 0) {
    error = gai_strerror(failed);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = strerror(errno);
    return -1;
  }
  int yes = 1, no = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  // [::] takes IPv4 too, as Go's net.Listen does; [::1] is IPv6 only anyway.
  if (found->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
    error = strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int HttpServer::Bind(const ListenAddress& address) {
  std::string name = (address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host) + ":" +
                     std::to_string(address.port);
  std::string error;
  int fd = ListenSocket(address.host.empty() ? "::" : address.host, address.port, error);
  if (fd < 0 && address.host.empty()) fd = ListenSocket("0.0.0.0", address.port, error);  // no IPv6 here
  if (fd < 0) throw std::runtime_error("cannot listen on " + name + ": " + error);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  int bound_port = 0;
  FormatAddress(bound, bound_port);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kListenerTagBase + listeners_.size();
  epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  listeners_.push_back(fd);
  return bound_port;
}

void HttpServer::Stop() {
  stopping_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(wake_, &one, sizeof one);
  ready_signal_.notify_all();
}

void HttpServer::Watch(Connection* connection, uint32_t events) {
  if (connection->events == events) return;
  epoll_event event{};
  event.events = events;
  event.data.ptr = connection;
  epoll_ctl(epoll_, connection->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, connection->fd, &event);
  connection->events = events;
}

void HttpServer::Close(Connection* connection) { connections_.erase(connection); }  // closing removes it from epoll

bool HttpServer::CloseLongestWaiting() {
  Connection* longest = nullptr;
  for (auto& [key, connection] : connections_) {
    if (connection->events != 0 && (longest == nullptr || connection->waiting_since < longest->waiting_since)) {
      longest = key;
    }
  }
  if (longest == nullptr) return false;
  Close(longest);
  return true;
}

void HttpServer::Accept(int listener) {
  for (;;) {
    int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors: make room from the waiting room and try again, else leave the
      // backlog to the kernel until a connection closes.
      if ((errno == EMFILE || errno == ENFILE) && CloseLongestWaiting()) continue;
      return;
    }
    if (connections_.size() >= limits_.max_connections && !CloseLongestWaiting()) {
      close(fd);  // every connection is being answered: the newcomer waits for none of them
      continue;
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    connection->waiting_since = Clock::now();
    connection->deadline = connection->waiting_since + Seconds(limits_.header_timeout_seconds);
    if (tls_) {
      SslContext context = tls_();
      if (!context) continue;  // the connection closes with `connection`
      connection->ssl = SSL_new(context.get());
      SSL_set_fd(connection->ssl, fd);
      SSL_set_accept_state(connection->ssl);
    }
    Connection* key = connection.get();
    connections_.emplace(key, std::move(connection));
    Watch(key, EPOLLIN);
    if (tls_) Progress(key);  // a handshake may already be there
  }
}

void HttpServer::Progress(Connection* connection) {
  ERR_clear_error();  // SSL_get_error is only reliable on an empty error queue
  if (connection->ssl && !connection->handshake_done) {
    int result = SSL_do_handshake(connection->ssl);
    if (result != 1) {
      short events = WouldBlock(connection->ssl, result);
      if (events == 0) return Close(connection);  // plain HTTP, a refused certificate, garbage
      return Watch(connection, events == POLLOUT ? EPOLLOUT : EPOLLIN);
    }
    connection->handshake_done = true;
    Watch(connection, EPOLLIN);
  }
  char chunk[4096];
  for (;;) {
    if (connection->buffer.empty()) {
      // The first byte of a request starts its header deadline (an idle kept-alive connection
      // had the idle timeout until now).
      connection->deadline = Clock::now() + Seconds(limits_.header_timeout_seconds);
    }
    if (connection->buffer.size() >= limits_.max_header_bytes) break;
    // Read a little past the limit, so that headers ending right at it are still taken.
    size_t room = limits_.max_header_bytes + 4 - connection->buffer.size();
    ssize_t n = ReadSome(*connection, chunk, std::min(room, sizeof chunk));
    if (n > 0) {
      connection->buffer.append(chunk, static_cast<size_t>(n));
      size_t end = connection->buffer.find("\r\n\r\n");
      if (end != std::string::npos) {
        if (end + 4 > limits_.max_header_bytes) break;
        return Dispatch(connection);
      }
      if (connection->buffer.size() >= limits_.max_header_bytes) break;
      continue;
    }
    if (n == 0 && !connection->ssl) return Close(connection);  // the client closed
    short events = WouldBlock(connection->ssl, static_cast<int>(n));
    if (events == 0) return Close(connection);
    return Watch(connection, events == POLLOUT ? EPOLLOUT : EPOLLIN);
  }
  SendAndForget(*connection,
                "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  Close(connection);
}

void HttpServer::Dispatch(Connection* connection) {
  if (connection->events != 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, connection->fd, nullptr);
  connection->events = 0;
  {
    std::lock_guard lock(queue_mutex_);
    ready_.push_back(connection);
  }
  ready_signal_.notify_one();
}

void HttpServer::Work() {
  for (;;) {
    Connection* connection;
    {
      std::unique_lock lock(queue_mutex_);
      ready_signal_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (stopping_) return;
      connection = ready_.front();
      ready_.pop_front();
    }
    bool last = connection->requests + 1 >= limits_.max_requests_per_connection;
    bool keep;
    {
      ConnectionStream stream(*connection, limits_);
      keep = serve_(stream, last) && !last;
    }
    ++connection->requests;
    {
      std::lock_guard lock(queue_mutex_);
      returned_.emplace_back(connection, keep);
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t written = write(wake_, &one, sizeof one);
  }
}

void HttpServer::TakeBackReturned() {
  std::deque<std::pair<Connection*, bool>> returned;
  {
    std::lock_guard lock(queue_mutex_);
    returned.swap(returned_);
  }
  for (auto [connection, keep] : returned) {
    if (!keep) {
      Close(connection);
      continue;
    }
    connection->waiting_since = Clock::now();
    if (connection->HeadersComplete()) {  // pipelined: the next request is already here
      Dispatch(connection);
      continue;
    }
    connection->deadline = connection->waiting_since + Seconds(connection->buffer.empty()
                                                                   ? limits_.idle_timeout_seconds
                                                                   : limits_.header_timeout_seconds);
    Watch(connection, EPOLLIN);
    // TLS may hold decrypted bytes that epoll cannot see.
    if (connection->ssl && SSL_pending(connection->ssl) > 0) Progress(connection);
  }
}

void HttpServer::ExpireDeadlines() {
  auto now = Clock::now();
  std::vector<Connection*> expired;
  for (auto& [key, connection] : connections_) {
    if (connection->events != 0 && connection->deadline <= now) expired.push_back(key);
  }
  for (Connection* connection : expired) Close(connection);
}

void HttpServer::Serve() {
  for (int i = 0; i < limits_.workers; ++i) workers_.emplace_back([this] { Work(); });
  epoll_event events[64];
  while (!stopping_) {
    // Wake for the nearest deadline (at most a second away, so a clock change cannot strand us).
    auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& [key, connection] : connections_) {
      if (connection->events != 0 && connection->deadline < next) next = connection->deadline;
    }
    int timeout = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count()) + 1;
    int count = epoll_wait(epoll_, events, 64, std::max(timeout, 0));
    for (int i = 0; i < count; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t value;
        [[maybe_unused]] ssize_t read_bytes = read(wake_, &value, sizeof value);
      } else if (tag < kListenerTagBase + listeners_.size()) {
        Accept(listeners_[tag - kListenerTagBase]);
      } else {
        auto* connection = static_cast<Connection*>(events[i].data.ptr);
        // An earlier event of this round may have closed it (the longest waiting, to make room).
        if (connections_.count(connection) && connection->events != 0) Progress(connection);
      }
    }
    TakeBackReturned();
    ExpireDeadlines();
  }
  ready_signal_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  connections_.clear();
}

}  // namespace wgtune
