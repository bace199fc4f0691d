// Test doubles for the WireGuard backends: a UAPI daemon on a real unix socket, stale
// sockets, and a scratch directory to hold them (sockets cannot live in git).
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wgtune {

// Keys of the recorded wireguard-go device (tests/fixtures/wireguard/uapi/README.md). The
// private and preshared ones are there so that tests can prove they never come out.
constexpr char kPrivateHex[] = "a867cbca3e0d6000b5fe7f078af75da24529f03e925ff801ddfbfd233eed7550";
constexpr char kPrivateBase64[] = "qGfLyj4NYAC1/n8HivddokUp8D6SX/gB3fv9Iz7tdVA=";
constexpr char kPresharedHex[] = "f1b7075b3fb613d35d682bf3106858c79ad72b87d45d930b2c54a906e0cf29d2";
constexpr char kPresharedBase64[] = "8bcHWz+2E9NdaCvzEGhYx5rXK4fUXZMLLFSpBuDPKdI=";
constexpr char kDevicePublic[] = "FLp2R3iG1serCmPfNTUaCQ0xUjMp6c5H34Q9e9/fxy4=";
constexpr char kPeerDirect[] = "lGZ3Mlyebr55s6aDskXv/kHl/M/EaiJjUZ+O41/jjk4=";
constexpr char kPeerIpv6[] = "AKzYl4rpz4ieCz4wZrnETQ+pWthf5cRrYLtjezhYdEY=";
constexpr char kPeerRelayed[] = "LohkHJ7kegoZQKVFLzzHsBAgX2T2S5i2x+IjuK+CsSY=";
constexpr char kPeerSilent[] = "1snbHMgLSKv3halDsDt5NW7FBnTRSXScA/QnSaprTGA=";

inline std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "wgtune-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline int BindUnixSocket(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) throw std::runtime_error("socket path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("bind " + path + ": " + std::strerror(errno));
  }
  return fd;
}

// The socket file a daemon leaves behind when it dies: bound, never listening, closed.
// Connecting to it is refused.
inline void MakeStaleSocket(const std::string& path) { ::close(BindUnixSocket(path)); }

// A UAPI daemon on `path`, served by a thread: for each connection it reads the request up to
// its blank line and answers as told, then, like wireguard-go, keeps the connection open
// until the client closes it. Connections are served one after the other.
class FakeUapiServer {
 public:
  enum class Behaviour {
    kAnswer,      // the whole answer, `chunk` bytes per write with a pause in between
    kSilent,      // reads the request and never answers
    kCloseEarly,  // the first half of the answer, then closes the connection
  };

  FakeUapiServer(std::string path, std::string answer, Behaviour behaviour = Behaviour::kAnswer, size_t chunk = 0)
      : path_(std::move(path)), answer_(std::move(answer)), behaviour_(behaviour), chunk_(chunk) {
    listener_ = BindUnixSocket(path_);
    if (::listen(listener_, 8) != 0) throw std::runtime_error("listen failed");
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeUapiServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
    ::unlink(path_.c_str());
  }
  FakeUapiServer(const FakeUapiServer&) = delete;
  FakeUapiServer& operator=(const FakeUapiServer&) = delete;

  // Every request received so far, as sent.
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  // Waits up to 20 ms for `fd` to be readable; false when it is not (or stop was asked).
  bool Readable(int fd) const {
    pollfd entry{fd, POLLIN, 0};
    return !stop_ && ::poll(&entry, 1, 20) > 0;
  }

  void Serve() {
    while (!stop_) {
      if (!Readable(listener_)) continue;
      int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      Converse(connection);
      ::close(connection);
    }
  }

  void Converse(int connection) {
    std::string request;
    char buffer[256];
    while (request.find("\n\n") == std::string::npos) {
      if (stop_) return;
      if (!Readable(connection)) continue;
      ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      request.append(buffer, static_cast<size_t>(n));
    }
    std::string answer;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      answer = answer_;
    }
    if (behaviour_ == Behaviour::kCloseEarly) {
      ::send(connection, answer.data(), answer.size() / 2, MSG_NOSIGNAL);
      return;
    }
    if (behaviour_ == Behaviour::kAnswer) {
      size_t step = chunk_ == 0 ? answer.size() : chunk_;
      for (size_t at = 0; at < answer.size(); at += step) {
        ::send(connection, answer.data() + at, std::min(step, answer.size() - at), MSG_NOSIGNAL);
        if (chunk_ != 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    // Open until the client hangs up, as a real daemon waits for the next request.
    while (!stop_) {
      if (!Readable(connection)) continue;
      if (::recv(connection, buffer, sizeof buffer, 0) <= 0) return;
    }
  }

  std::string path_;
  std::string answer_;
  Behaviour behaviour_;
  size_t chunk_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace wgtune
