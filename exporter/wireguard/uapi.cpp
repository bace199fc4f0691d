#include "exporter/wireguard/uapi.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "common/errors.h"
#include "common/files.h"
#include "common/text.h"
#include "exporter/wireguard/keys.h"

namespace wgtune {
namespace {

// wireguard-go answers a get in one write; 64 MiB is far above any real device (a peer
// takes about 400 bytes) and stops a broken daemon from growing the exporter without end.
constexpr size_t kMaxAnswerBytes = size_t{64} << 20;

[[noreturn]] void Fail(size_t line, const std::string& what) {
  throw ParseError("uapi line " + std::to_string(line) + ": " + what);
}

// The device's private key, decoded only to derive its public key (keys.h decodes public
// keys alone, and keeps no bytes).
using Key = std::array<uint8_t, kWireGuardKeyLength>;

// Overwrites memory that held a secret; OPENSSL_cleanse cannot be optimised away.
void WipeSecret(void* data, size_t size) { OPENSSL_cleanse(data, size); }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes into the caller's buffer (no copy of the secret on the way); false, with `key`
// wiped, when `hex` is not 64 hex digits.
bool KeyFromHex(std::string_view hex, Key& key) {
  if (hex.size() != 2 * key.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    int high = HexDigit(hex[2 * i]);
    int low = HexDigit(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      WipeSecret(key.data(), key.size());
      return false;
    }
    key[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// X25519 with the base point (RFC 7748), as wg(8) derives a device's public key; the
// private bytes are wiped before returning. OpenSSL clears its own copy when freed.
Key PublicKeyOf(Key& private_key) {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), private_key.size()));
  WipeSecret(private_key.data(), private_key.size());
  Key public_key{};
  size_t length = public_key.size();
  if (!pkey || EVP_PKEY_get_raw_public_key(pkey.get(), public_key.data(), &length) != 1 ||
      length != public_key.size()) {
    throw IoError("uapi: X25519 failed to derive the device's public key");
  }
  return public_key;
}

// Keys a peer has; seen before the first public_key they mean a malformed answer.
bool IsPeerKey(std::string_view key) {
  for (std::string_view peer_key : {"endpoint", "last_handshake_time_sec", "last_handshake_time_nsec", "rx_bytes",
                                    "tx_bytes", "persistent_keepalive_interval", "allowed_ip", "protocol_version"}) {
    if (key == peer_key) return true;
  }
  return false;
}

template <typename Number>
Number Unsigned(size_t line, std::string_view key, std::string_view value, uint64_t max) {
  std::optional<uint64_t> number = ParseUint(value);
  if (!number || *number > max) {
    Fail(line, std::string(key) + " \"" + std::string(value) + "\" is not a number from 0 to " + std::to_string(max));
  }
  return static_cast<Number>(*number);
}

std::string PublicKeyFromHex(size_t line, std::string_view key, std::string_view value) {
  std::optional<std::string> base64 = HexKeyToBase64(value);
  if (!base64) Fail(line, std::string(key) + " is not 64 hex digits");
  return *base64;
}

std::string DerivePublicKey(size_t line, std::string_view hex) {
  Key private_key;
  // The value is a secret: the message says what is wrong, never what was there.
  if (!KeyFromHex(hex, private_key)) Fail(line, "private_key is not 64 hex digits");
  return EncodeKeyBase64(PublicKeyOf(private_key));
}

[[noreturn]] void ThrowSocketError(const std::string& path, const char* step, int err) {
  std::string message = "uapi " + path + ": " + step + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      message += " (the socket is gone: its daemon exited)";
      break;
    case ECONNREFUSED:
      message += " (nobody listens: a stale socket left by a daemon that exited)";
      break;
    case EACCES:
    case EPERM:
      // wireguard-go creates it under umask 0077 (ipc/uapi_unix.go) and shuts the device down
      // when its attributes change (the inotify watch of ipc/uapi_linux.go), so it cannot be
      // opened to a group: connecting takes its owner or CAP_DAC_OVERRIDE (docs/security.md).
      throw PermissionError(message + " (the socket is mode 0700, its daemon's: needs CAP_DAC_OVERRIDE)");
    case EAGAIN:
      message += " (the daemon accepts no more connections)";
      break;
    default:
      break;
  }
  throw IoError(message);
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

using Clock = std::chrono::steady_clock;

// Waits for `events` on `fd` until `deadline`; throws IoError on timeout.
void WaitFor(int fd, short events, Clock::time_point deadline, const std::string& path, const char* step) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) throw IoError("uapi " + path + ": " + step + ": no answer in time (the daemon hangs?)");
    pollfd entry{fd, events, 0};
    int ready = ::poll(&entry, 1, static_cast<int>(left));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) ThrowSocketError(path, "poll", errno);
  }
}

// Where the errno= line of an answer starts, searching from `from`; npos when not there yet.
size_t FindErrnoLine(std::string_view text, size_t from) {
  if (from == 0 && StartsWith(text, "errno=")) return 0;
  size_t newline = text.find("\nerrno=", from);
  return newline == std::string_view::npos ? newline : newline + 1;
}

// Appends to a string that holds a secret; when it must grow, the old buffer is wiped
// before it is freed, so no copy of the private key stays behind in the heap.
void AppendSecret(std::string& text, const char* data, size_t size) {
  if (text.size() + size > text.capacity()) {
    std::string grown;
    grown.reserve(std::max(2 * text.capacity(), text.size() + size));
    grown.append(text);
    WipeSecret(text.data(), text.size());
    text.swap(grown);
  }
  text.append(data, size);
}

}  // namespace

WireGuardDevice ParseUapiGet(std::string_view answer) {
  WireGuardDevice device;
  device.implementation = WireGuardImplementation::kUserspace;
  WireGuardPeer* peer = nullptr;
  std::optional<int64_t> error_number;
  size_t number = 0;
  while (!answer.empty()) {
    size_t newline = answer.find('\n');
    std::string_view line = answer.substr(0, newline);
    answer.remove_prefix(newline == std::string_view::npos ? answer.size() : newline + 1);
    ++number;
    // Only the errno line may lack its newline; any other line was cut short.
    if (newline == std::string_view::npos && !error_number && !StartsWith(line, "errno=")) {
      Fail(number, "no errno line: the answer is truncated within a line");
    }
    if (error_number) {
      if (!line.empty()) Fail(number, "text after the errno line");
      continue;
    }
    if (line.empty()) Fail(number, "blank line before errno=: the answer ends early");
    size_t equals = line.find('=');
    // The line is not quoted: it could be a mangled key line.
    if (equals == std::string_view::npos) Fail(number, "no '=' in a line of " + std::to_string(line.size()) + " bytes");
    std::string_view key = line.substr(0, equals);
    std::string_view value = line.substr(equals + 1);
    if (key.empty()) Fail(number, "empty key");

    if (key == "errno") {
      std::optional<int64_t> parsed = ParseInt(value);
      if (!parsed) Fail(number, "errno \"" + std::string(value) + "\" is not a number");
      error_number = parsed;
    } else if (key == "private_key") {
      if (peer == nullptr) device.public_key = DerivePublicKey(number, value);
    } else if (key == "preshared_key") {
      // A secret: skipped without a look.
    } else if (key == "public_key") {
      device.peers.emplace_back();
      peer = &device.peers.back();
      peer->public_key = PublicKeyFromHex(number, key, value);
    } else if (peer == nullptr) {
      if (key == "listen_port") {
        device.listen_port = Unsigned<uint16_t>(number, key, value, UINT16_MAX);
      } else if (key == "fwmark") {
        device.fwmark = Unsigned<uint32_t>(number, key, value, UINT32_MAX);
      } else if (key == "own_public_key") {
        device.public_key = PublicKeyFromHex(number, key, value);
      } else if (IsPeerKey(key)) {
        Fail(number, std::string(key) + " before any public_key");
      }
    } else if (key == "endpoint") {
      if (value.empty()) Fail(number, "empty endpoint");
      peer->endpoint = std::string(value);
    } else if (key == "last_handshake_time_sec") {
      int64_t seconds = Unsigned<int64_t>(number, key, value, INT64_MAX);
      peer->last_handshake_seconds = seconds == 0 ? std::nullopt : std::optional<int64_t>(seconds);
    } else if (key == "last_handshake_time_nsec") {
      peer->last_handshake_nanoseconds = Unsigned<int64_t>(number, key, value, 999'999'999);
    } else if (key == "rx_bytes") {
      peer->rx_bytes = Unsigned<uint64_t>(number, key, value, UINT64_MAX);
    } else if (key == "tx_bytes") {
      peer->tx_bytes = Unsigned<uint64_t>(number, key, value, UINT64_MAX);
    } else if (key == "persistent_keepalive_interval") {
      peer->persistent_keepalive_seconds = Unsigned<uint16_t>(number, key, value, UINT16_MAX);
    } else if (key == "allowed_ip") {
      if (value.find('/') == std::string_view::npos) {
        Fail(number, "allowed_ip \"" + std::string(value) + "\" is not an address/prefix length");
      }
      peer->allowed_ips.emplace_back(value);
    } else if (key == "protocol_version") {
      peer->protocol_version = Unsigned<uint32_t>(number, key, value, UINT32_MAX);
    }
    // Any other key is a fork's addition (amneziawg's jc, h1, ...): ignored.
  }
  if (!error_number) {
    throw ParseError("uapi line " + std::to_string(number) + ": no errno line: the answer is truncated");
  }
  if (*error_number != 0) {
    int err = static_cast<int>(std::min<int64_t>(std::llabs(*error_number), INT32_MAX));
    throw IoError("uapi: the daemon refused the request: errno=" + std::to_string(*error_number) + " (" +
                  std::strerror(err) + ")");
  }
  return device;
}

std::string UapiGet(const std::string& socket_path, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    throw IoError("uapi " + socket_path + ": path longer than a unix socket address allows");
  }
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);

  FileDescriptor socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (socket.get() < 0) ThrowSocketError(socket_path, "socket", errno);
  // A unix stream connect completes at once or fails; EAGAIN means a full backlog.
  while (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    if (errno != EINTR) ThrowSocketError(socket_path, "connect", errno);
  }

  std::string_view request = "get=1\n\n";
  while (!request.empty()) {
    // MSG_NOSIGNAL: a daemon that closed the connection must not SIGPIPE the exporter.
    ssize_t sent = ::send(socket.get(), request.data(), request.size(), MSG_NOSIGNAL);
    if (sent >= 0) {
      request.remove_prefix(static_cast<size_t>(sent));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      WaitFor(socket.get(), POLLOUT, deadline, socket_path, "send");
    } else if (errno != EINTR) {
      ThrowSocketError(socket_path, "send", errno);
    }
  }

  std::string answer;
  answer.reserve(size_t{64} << 10);
  char buffer[16384];
  size_t errno_line = std::string::npos;
  size_t end = std::string::npos;
  try {
    while (end == std::string::npos) {
      WaitFor(socket.get(), POLLIN, deadline, socket_path, "receive");
      ssize_t received = ::recv(socket.get(), buffer, sizeof buffer, 0);
      if (received == 0) break;  // closed early: the parser names what is missing
      if (received < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        ThrowSocketError(socket_path, "receive", errno);
      }
      size_t old_size = answer.size();
      AppendSecret(answer, buffer, static_cast<size_t>(received));
      if (answer.size() > kMaxAnswerBytes) {
        throw IoError("uapi " + socket_path + ": answer larger than " + std::to_string(kMaxAnswerBytes) + " bytes");
      }
      // "\nerrno=" and "\n\n" may straddle two reads: look a few bytes back.
      if (errno_line == std::string::npos) errno_line = FindErrnoLine(answer, old_size < 7 ? 0 : old_size - 7);
      if (errno_line != std::string::npos) {
        size_t blank = answer.find("\n\n", std::max(errno_line, old_size == 0 ? 0 : old_size - 1));
        if (blank != std::string::npos) end = blank + 2;
      }
    }
  } catch (...) {
    WipeSecret(buffer, sizeof buffer);
    WipeSecret(answer.data(), answer.size());
    throw;
  }
  WipeSecret(buffer, sizeof buffer);
  if (end != std::string::npos && end < answer.size()) {
    WipeSecret(answer.data() + end, answer.size() - end);
    answer.resize(end);
  }
  return answer;
}

WireGuardDevice ReadUapiDevice(const std::string& uapi_dir, const std::string& interface,
                               std::chrono::milliseconds timeout) {
  const std::string path = JoinPath(uapi_dir, interface + ".sock");
  std::string answer = UapiGet(path, timeout);
  // The answer holds the private key: wiped on every way out.
  struct Wipe {
    std::string& text;
    ~Wipe() { WipeSecret(text.data(), text.size()); }
  } wipe{answer};
  WireGuardDevice device;
  try {
    device = ParseUapiGet(answer);
  } catch (const ParseError& error) {
    throw ParseError(path + ": " + error.what());
  } catch (const IoError& error) {
    throw IoError(path + ": " + error.what());
  }
  device.name = interface;
  return device;
}

}  // namespace wgtune
