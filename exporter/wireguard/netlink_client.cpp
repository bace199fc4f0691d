#include "exporter/wireguard/netlink_client.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/wireguard/netlink.h"

// Kernel headers older than 4.3 and 4.12 lack these two socket options.
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

namespace wgtune {
namespace {

using Clock = std::chrono::steady_clock;

// Dump skbs are sized after the reader's buffer and capped near 32 KiB (net/netlink/
// af_netlink.c netlink_dump), so this holds any datagram; MSG_TRUNC is checked regardless.
constexpr size_t kReceiveBufferSize = 64 * 1024;

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw IoError("wireguard netlink: " + what + ": " + std::strerror(errno));
}

class Socket {
 public:
  Socket() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC)) {
    if (fd_ < 0) ThrowErrno("socket(NETLINK_GENERIC)");
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

class Conversation {
 public:
  explicit Conversation(Clock::time_point deadline) : deadline_(deadline) {
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;  // nl_pid 0: the kernel assigns the port id
    if (::bind(socket_.fd(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) ThrowErrno("bind");
    socklen_t length = sizeof local;
    if (::getsockname(socket_.fd(), reinterpret_cast<sockaddr*>(&local), &length) != 0) ThrowErrno("getsockname");
    port_id_ = local.nl_pid;
    // Best effort (kernels 4.3+ and 4.12+): errors without the echoed request, and with the kernel's
    // explanation (NLMSGERR_ATTR_MSG), which the parser appends to the errno.
    int on = 1;
    ::setsockopt(socket_.fd(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    ::setsockopt(socket_.fd(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    // Distinct per conversation, so a reply meant for another never matches.
    sequence_ = static_cast<uint32_t>(Clock::now().time_since_epoch().count());
  }

  uint32_t NextSequence() { return ++sequence_; }

  // Sends `request` (whose sequence number is `sequence`) and returns the answer's datagrams.
  std::vector<std::vector<uint8_t>> Ask(const std::vector<uint8_t>& request, uint32_t sequence,
                                        std::string_view what) {
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do {
      sent = ::sendto(socket_.fd(), request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
                      sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) ThrowErrno("send " + std::string(what));

    std::vector<std::vector<uint8_t>> datagrams;
    std::vector<uint8_t> buffer(kReceiveBufferSize);
    // The device's first message carries its private key: leave no copy in freed memory.
    struct Wipe {
      std::vector<uint8_t>& bytes;
      ~Wipe() { explicit_bzero(bytes.data(), bytes.size()); }
    } wipe{buffer};
    // So are the datagrams of an answer abandoned half-way (an error, the deadline).
    struct WipeUnlessAnswered {
      std::vector<std::vector<uint8_t>>& datagrams;
      bool answered = false;
      ~WipeUnlessAnswered() {
        if (!answered) WipeDatagrams(datagrams);
      }
    } unfinished{datagrams};
    for (;;) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) {
        throw IoError("wireguard netlink: timed out waiting for the answer to " + std::string(what) + " after " +
                      std::to_string(datagrams.size()) + " datagrams");
      }
      pollfd ready{socket_.fd(), POLLIN, 0};
      int polled = ::poll(&ready, 1, static_cast<int>(left.count()));
      if (polled < 0 && errno == EINTR) continue;
      if (polled < 0) ThrowErrno("poll");
      if (polled == 0) continue;  // the deadline check above reports it

      sockaddr_nl from{};
      iovec io{buffer.data(), buffer.size()};
      msghdr message{};
      message.msg_name = &from;
      message.msg_namelen = sizeof from;
      message.msg_iov = &io;
      message.msg_iovlen = 1;
      ssize_t received = ::recvmsg(socket_.fd(), &message, 0);
      if (received < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        // ENOBUFS: the socket's receive queue overflowed and part of the answer is lost.
        ThrowErrno("receive the answer to " + std::string(what));
      }
      if (message.msg_flags & MSG_TRUNC) {
        throw IoError("wireguard netlink: a datagram of the answer to " + std::string(what) + " exceeds " +
                      std::to_string(buffer.size()) + " bytes");
      }
      if (from.nl_pid != 0) continue;  // not from the kernel: another process's, ignore it
      datagrams.emplace_back(buffer.begin(), buffer.begin() + received);
      if (DatagramEndsAnswer(datagrams.back(), sequence, port_id_)) {
        unfinished.answered = true;
        return datagrams;
      }
    }
  }

 private:
  Socket socket_;
  Clock::time_point deadline_;
  uint32_t port_id_ = 0;
  uint32_t sequence_ = 0;
};

uint32_t LoadLittleEndian32(std::string_view bytes, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(bytes[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 3])) << 24;
}

}  // namespace

std::vector<std::vector<uint8_t>> WireGuardNetlink::Dump(const std::string& ifname) {
  Conversation conversation(Clock::now() + timeout_);
  uint32_t family_sequence = conversation.NextSequence();
  std::vector<std::vector<uint8_t>> family_answer =
      conversation.Ask(EncodeGetFamilyRequest("wireguard", family_sequence), family_sequence, "CTRL_CMD_GETFAMILY");
  uint16_t family_id = ParseGenlFamilyId(family_answer.front(), "wireguard");
  uint32_t dump_sequence = conversation.NextSequence();
  return conversation.Ask(EncodeGetDeviceRequest(family_id, dump_sequence, ifname), dump_sequence,
                          "WG_CMD_GET_DEVICE " + ifname);
}

std::vector<std::vector<uint8_t>> WireGuardNetlinkReplay::Dump(const std::string& ifname) {
  std::string path = JoinPath(dir_, ifname + ".netlink");
  // A name with a slash is no interface name; it must not reach outside the directory.
  std::optional<std::string> recording;
  if (ifname.find('/') == std::string::npos) recording = ReadFileIfExists(path);
  if (!recording) throw NetlinkError(ENODEV, "wireguard netlink replay: no recording " + path);
  struct Wipe {
    std::string& bytes;
    ~Wipe() { explicit_bzero(bytes.data(), bytes.size()); }
  } wipe{*recording};
  return DecodeNetlinkRecording(*recording, path);
}

std::unique_ptr<WireGuardKernelSource> NewWireGuardKernelSource(const std::string& replay_dir) {
  if (replay_dir.empty()) return std::make_unique<WireGuardNetlink>();
  return std::make_unique<WireGuardNetlinkReplay>(replay_dir);
}

std::string EncodeNetlinkRecording(const std::vector<std::vector<uint8_t>>& datagrams) {
  std::string out;
  for (const std::vector<uint8_t>& datagram : datagrams) {
    auto length = static_cast<uint32_t>(datagram.size());
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((length >> shift) & 0xff));
    out.append(reinterpret_cast<const char*>(datagram.data()), datagram.size());
  }
  return out;
}

std::vector<std::vector<uint8_t>> DecodeNetlinkRecording(std::string_view bytes, std::string_view name) {
  std::vector<std::vector<uint8_t>> datagrams;
  size_t offset = 0;
  while (offset < bytes.size()) {
    size_t left = bytes.size() - offset;
    if (left < 4) {
      throw ParseError(std::string(name) + " offset " + std::to_string(offset) + ": " + std::to_string(left) +
                       " stray bytes, too few for a record length");
    }
    uint32_t length = LoadLittleEndian32(bytes, offset);
    if (length > left - 4) {
      throw ParseError(std::string(name) + " offset " + std::to_string(offset) + ": record of " +
                       std::to_string(length) + " bytes, " + std::to_string(left - 4) + " left");
    }
    const auto* start = reinterpret_cast<const uint8_t*>(bytes.data() + offset + 4);
    datagrams.emplace_back(start, start + length);
    offset += 4 + length;
  }
  return datagrams;
}

void RecordDump(const std::string& path, const std::vector<std::vector<uint8_t>>& datagrams) {
  std::string content = EncodeNetlinkRecording(datagrams);
  // 0600: a recording made with CAP_NET_ADMIN holds the device's private key.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw IoError("open " + path + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      throw IoError("write " + path + ": " + std::strerror(error));
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw IoError("close " + path + ": " + std::strerror(errno));
}

void WipeDatagrams(std::vector<std::vector<uint8_t>>& datagrams) {
  for (std::vector<uint8_t>& datagram : datagrams) explicit_bzero(datagram.data(), datagram.size());
}

WireGuardDevice ReadWireGuardDevice(WireGuardKernelSource& source, const std::string& ifname) {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    try {
      std::vector<std::vector<uint8_t>> datagrams = source.Dump(ifname);
      struct Wipe {
        std::vector<std::vector<uint8_t>>& datagrams;
        ~Wipe() { WipeDatagrams(datagrams); }
      } wipe{datagrams};
      WireGuardDevice device = ParseWireGuardDump(datagrams);
      if (device.name.empty()) device.name = ifname;
      return device;
    } catch (const NetlinkError& error) {
      if (error.error_number() == EINTR && attempt < kAttempts) continue;
      throw NetlinkError(error.error_number(), ifname + ": " + error.what());
    } catch (const ParseError& error) {
      throw ParseError(ifname + ": " + error.what());
    } catch (const IoError& error) {
      throw IoError(ifname + ": " + error.what());
    }
  }
}

}  // namespace wgtune
