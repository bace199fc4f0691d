#include "exporter/wireguard/netlink_client.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/netlink_socket.h"
#include "exporter/wireguard/netlink.h"

namespace wgtune {
namespace {

uint32_t LoadLittleEndian32(std::string_view bytes, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(bytes[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 3])) << 24;
}

}  // namespace

std::vector<std::vector<uint8_t>> WireGuardNetlink::Dump(const std::string& ifname) {
  NetlinkConversation conversation(NETLINK_GENERIC, "wireguard netlink", NetlinkConversation::Clock::now() + timeout_);
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
      // WG_CMD_GET_DEVICE is GENL_UNS_ADMIN_PERM (drivers/net/wireguard/netlink.c): the one
      // thing the exporter needs privilege for on a kernel WireGuard host.
      if (error.error_number() == EPERM) {
        throw PermissionError(ifname + ": netlink needs CAP_NET_ADMIN (" + error.what() + ")");
      }
      throw NetlinkError(error.error_number(), ifname + ": " + error.what());
    } catch (const ParseError& error) {
      throw ParseError(ifname + ": " + error.what());
    } catch (const IoError& error) {
      throw IoError(ifname + ": " + error.what());
    }
  }
}

}  // namespace wgtune
