#include "exporter/netlink_socket.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/sources/netlink_framing.h"
#include "exporter/wireguard/netlink_client.h"  // DecodeNetlinkRecording, WipeDatagrams

// Kernel headers older than 4.3 and 4.12 lack these two socket options.
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

namespace wgtune {
namespace {

// Dump skbs are sized after the reader's buffer and capped near 32 KiB (net/netlink/
// af_netlink.c netlink_dump), so this holds any datagram; MSG_TRUNC is checked regardless.
constexpr size_t kReceiveBufferSize = 64 * 1024;

}  // namespace

NetlinkConversation::NetlinkConversation(int protocol, std::string label, Clock::time_point deadline)
    : label_(std::move(label)), deadline_(deadline) {
  auto fail = [&](const std::string& what) {
    int error = errno;
    if (fd_ >= 0) ::close(fd_);
    throw IoError(label_ + ": " + what + ": " + std::strerror(error));
  };
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd_ < 0) fail("socket(AF_NETLINK, " + std::to_string(protocol) + ")");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;  // nl_pid 0: the kernel assigns the port id
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) fail("bind");
  socklen_t length = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length) != 0) fail("getsockname");
  port_id_ = local.nl_pid;
  // Best effort (kernels 4.3+ and 4.12+): errors without the echoed request, and with the
  // kernel's explanation (NLMSGERR_ATTR_MSG), which the parsers append to the errno.
  int on = 1;
  ::setsockopt(fd_, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  ::setsockopt(fd_, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  sequence_ = static_cast<uint32_t>(Clock::now().time_since_epoch().count());
}

NetlinkConversation::~NetlinkConversation() { ::close(fd_); }

std::vector<std::vector<uint8_t>> NetlinkConversation::Ask(const std::vector<uint8_t>& request, uint32_t sequence,
                                                           std::string_view what) {
  auto fail = [&](const std::string& doing) {
    throw IoError(label_ + ": " + doing + ": " + std::strerror(errno));
  };
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(fd_, request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) fail("send " + std::string(what));

  std::vector<std::vector<uint8_t>> datagrams;
  std::vector<uint8_t> buffer(kReceiveBufferSize);
  struct Wipe {
    std::vector<uint8_t>& bytes;
    ~Wipe() { explicit_bzero(bytes.data(), bytes.size()); }
  } wipe{buffer};
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
      throw IoError(label_ + ": timed out waiting for the answer to " + std::string(what) + " after " +
                    std::to_string(datagrams.size()) + " datagrams");
    }
    pollfd ready{fd_, POLLIN, 0};
    int polled = ::poll(&ready, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    if (polled < 0) fail("poll");
    if (polled == 0) continue;  // the deadline check above reports it

    sockaddr_nl from{};
    iovec io{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    ssize_t received = ::recvmsg(fd_, &message, 0);
    if (received < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // ENOBUFS: the socket's receive queue overflowed and part of the answer is lost.
      fail("receive the answer to " + std::string(what));
    }
    if (message.msg_flags & MSG_TRUNC) {
      throw IoError(label_ + ": a datagram of the answer to " + std::string(what) + " exceeds " +
                    std::to_string(buffer.size()) + " bytes");
    }
    if (from.nl_pid != 0) continue;  // not from the kernel: another process's, ignore it
    datagrams.emplace_back(buffer.begin(), buffer.begin() + received);
    if (NetlinkDatagramEndsAnswer(datagrams.back(), sequence, port_id_)) {
      unfinished.answered = true;
      return datagrams;
    }
  }
}

std::vector<std::vector<uint8_t>> KernelNetlinkDump::Dump() {
  NetlinkConversation conversation(protocol_, label_, NetlinkConversation::Clock::now() + timeout_);
  uint32_t sequence = conversation.NextSequence();
  return conversation.Ask(encode_(sequence), sequence, what_);
}

std::vector<std::vector<uint8_t>> ReplayNetlinkDump::Dump() {
  std::optional<std::string> recording = ReadFileIfExists(path_);
  if (!recording) throw IoError("netlink replay: no recording " + path_);
  return DecodeNetlinkRecording(*recording, path_);
}

}  // namespace wgtune
