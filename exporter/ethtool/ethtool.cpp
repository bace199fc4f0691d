#include "exporter/ethtool/ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/errors.h"
#include "common/files.h"
#include "common/text.h"

namespace wgtune {

// The decoders read the kernel's structs at the offsets of the uapi header this is built with.
static_assert(kEthtoolGetDriverInfo == ETHTOOL_GDRVINFO && kEthtoolGetRingParam == ETHTOOL_GRINGPARAM &&
              kEthtoolGetStrings == ETHTOOL_GSTRINGS && kEthtoolGetStatistics == ETHTOOL_GSTATS &&
              kEthtoolGetRxFlowHash == ETHTOOL_GRXFH && kEthtoolGetRxRings == ETHTOOL_GRXRINGS &&
              kEthtoolGetStringSetInfo == ETHTOOL_GSSET_INFO && kEthtoolGetRxIndirection == ETHTOOL_GRXFHINDIR &&
              kEthtoolGetFeatures == ETHTOOL_GFEATURES && kEthtoolGetChannels == ETHTOOL_GCHANNELS);
static_assert(kEthtoolStringSetStatistics == ETH_SS_STATS && kEthtoolStringSetFeatures == ETH_SS_FEATURES &&
              kEthtoolUdpV4Flow == UDP_V4_FLOW && kEthtoolStringLength == ETH_GSTRING_LEN);
static_assert(sizeof(ethtool_drvinfo) == 196 && sizeof(ethtool_ringparam) == 36 && sizeof(ethtool_channels) == 36 &&
              sizeof(ethtool_rxnfc) == 192 && sizeof(ethtool_gstrings) == 12 && sizeof(ethtool_stats) == 8 &&
              sizeof(ethtool_sset_info) == 16 && sizeof(ethtool_rxfh_indir) == 8 &&
              sizeof(ethtool_gfeatures) == 8 && sizeof(ethtool_get_features_block) == 16);

namespace {

// Bounds on counts, far above any driver's, so that a corrupt answer or recording cannot make
// the exporter allocate gigabytes. The kernel itself refuses more than S32_MAX / 8 statistics.
constexpr uint32_t kMaxStatistics = 1 << 20;
constexpr uint32_t kMaxIndirectionEntries = 1 << 16;
// The kernel has 64 feature bits (NETDEV_FEATURE_COUNT, a u64 of features).
constexpr uint32_t kMaxFeatures = 1 << 12;

// What a command's answer looks like: how its input field is named in a recording, and for the
// variable-length answers the header size, where the count is and how big an entry is.
struct CommandShape {
  uint32_t command;
  std::string_view name;
  std::string_view selector;  // "" when the answer does not depend on an input field
  size_t selector_offset;
  size_t selector_width;  // bytes: 4 or 8
  size_t header;          // bytes before the entries; the whole struct for fixed-size answers
  size_t count_offset;    // where the entry count is; 0 when the answer has no entries
  size_t entry;           // bytes per entry
};

constexpr CommandShape kShapes[] = {
    {kEthtoolGetDriverInfo, "GDRVINFO", "", 0, 0, sizeof(ethtool_drvinfo), 0, 0},
    {kEthtoolGetRingParam, "GRINGPARAM", "", 0, 0, sizeof(ethtool_ringparam), 0, 0},
    {kEthtoolGetStrings, "GSTRINGS", "string_set", offsetof(ethtool_gstrings, string_set), 4, sizeof(ethtool_gstrings),
     offsetof(ethtool_gstrings, len), ETH_GSTRING_LEN},
    {kEthtoolGetStatistics, "GSTATS", "", 0, 0, sizeof(ethtool_stats), offsetof(ethtool_stats, n_stats), 8},
    {kEthtoolGetRxFlowHash, "GRXFH", "flow_type", offsetof(ethtool_rxnfc, flow_type), 4, sizeof(ethtool_rxnfc), 0, 0},
    {kEthtoolGetRxRings, "GRXRINGS", "", 0, 0, sizeof(ethtool_rxnfc), 0, 0},
    // The count of GSSET_INFO is the popcount of the mask; EthtoolAnswerLength handles it.
    {kEthtoolGetStringSetInfo, "GSSET_INFO", "sset_mask", offsetof(ethtool_sset_info, sset_mask), 8,
     sizeof(ethtool_sset_info), 0, 4},
    {kEthtoolGetRxIndirection, "GRXFHINDIR", "size", offsetof(ethtool_rxfh_indir, size), 4, sizeof(ethtool_rxfh_indir),
     offsetof(ethtool_rxfh_indir, size), 4},
    // The blocks written are the fewer of those asked for (the selector) and those announced.
    {kEthtoolGetFeatures, "GFEATURES", "size", offsetof(ethtool_gfeatures, size), 4, sizeof(ethtool_gfeatures),
     offsetof(ethtool_gfeatures, size), sizeof(ethtool_get_features_block)},
    {kEthtoolGetChannels, "GCHANNELS", "", 0, 0, sizeof(ethtool_channels), 0, 0},
};

const CommandShape* FindShape(uint32_t command) {
  for (const CommandShape& shape : kShapes) {
    if (shape.command == command) return &shape;
  }
  return nullptr;
}

const CommandShape* FindShape(std::string_view name) {
  for (const CommandShape& shape : kShapes) {
    if (shape.name == name) return &shape;
  }
  return nullptr;
}

uint32_t Read32(std::span<const uint8_t> bytes, size_t offset) {
  uint32_t value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

uint64_t Read64(std::span<const uint8_t> bytes, size_t offset) {
  uint64_t value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

void Write32(std::vector<uint8_t>& bytes, size_t offset, uint32_t value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

void Write64(std::vector<uint8_t>& bytes, size_t offset, uint64_t value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

std::string CommandLabel(uint32_t command) {
  std::string_view name = EthtoolCommandName(command);
  return name.empty() ? "command " + std::to_string(command) : std::string(name);
}

// Throws unless `answer` holds at least `needed` bytes and starts with `command`.
void CheckAnswer(std::span<const uint8_t> answer, uint32_t command, size_t needed) {
  if (answer.size() < needed) {
    throw ParseError("ethtool " + CommandLabel(command) + " answer: " + std::to_string(answer.size()) +
                     " bytes, want at least " + std::to_string(needed));
  }
  uint32_t echoed = Read32(answer, 0);
  if (echoed != command) {
    throw ParseError("ethtool " + CommandLabel(command) + " answer: carries command " + std::to_string(echoed));
  }
}

// Throws unless `count` entries of `entry` bytes follow a `header`-byte header in `answer`.
void CheckEntries(std::span<const uint8_t> answer, uint32_t command, size_t header, uint64_t count, size_t entry,
                  std::string_view what) {
  uint64_t needed = header + count * entry;
  if (needed > answer.size()) {
    throw ParseError("ethtool " + CommandLabel(command) + " answer: " + std::to_string(count) + " " +
                     std::string(what) + " announced, " + std::to_string(answer.size()) + " bytes hold " +
                     std::to_string((answer.size() - header) / entry));
  }
}

// A NUL-terminated string in a fixed-width field, made safe for a label value.
std::string FixedString(std::span<const uint8_t> bytes, size_t offset, size_t width) {
  std::string text;
  for (size_t i = offset; i < offset + width && bytes[i] != 0; ++i) {
    text.push_back(bytes[i] >= 0x20 && bytes[i] < 0x7f ? static_cast<char>(bytes[i]) : '?');
  }
  return text;
}

std::optional<uint8_t> HexDigit(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
  return std::nullopt;
}

void AppendHex(std::string& out, std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (uint8_t byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
}

// The entries' count of a variable-length answer; 0 for fixed-size answers.
uint64_t EntryCount(const CommandShape& shape, std::span<const uint8_t> answer) {
  if (shape.entry == 0 || answer.size() < shape.header) return 0;
  if (shape.command == kEthtoolGetStringSetInfo) {
    return std::popcount(Read64(answer, offsetof(ethtool_sset_info, sset_mask)));
  }
  return Read32(answer, shape.count_offset);
}

[[noreturn]] void FailLine(std::string_view source, size_t number, const std::string& what) {
  throw ParseError(std::string(source) + " line " + std::to_string(number) + ": " + what);
}

// A recorded answer must be one the kernel could give: the whole struct, its command, and the
// entries its count announces (except the size-0 GRXFHINDIR, which announces without them).
void CheckRecordedAnswer(const CommandShape& shape, const EthtoolRecordingKey& key, std::span<const uint8_t> bytes,
                         std::string_view source, size_t number) {
  std::string what = std::string(shape.name) + " answer: ";
  if (bytes.size() < shape.header) {
    FailLine(source, number,
             what + std::to_string(bytes.size()) + " bytes, want at least " + std::to_string(shape.header));
  }
  if (Read32(bytes, 0) != shape.command) {
    FailLine(source, number, what + "carries command " + std::to_string(Read32(bytes, 0)));
  }
  bool probe = shape.command == kEthtoolGetRxIndirection && key.selector == 0u;
  uint64_t count = EntryCount(shape, bytes);
  if (shape.command == kEthtoolGetFeatures && key.selector) count = std::min<uint64_t>(count, *key.selector);
  if (!probe && shape.header + count * shape.entry > bytes.size()) {
    FailLine(source, number,
             what + std::to_string(count) + " entries announced, " +
                 std::to_string((bytes.size() - shape.header) / shape.entry) + " present");
  }
}

}  // namespace

std::string_view EthtoolCommandName(uint32_t command) {
  const CommandShape* shape = FindShape(command);
  return shape == nullptr ? std::string_view() : shape->name;
}

// ---------------------------------------------------------------------------------------------
// Transports

SocketEthtoolTransport::~SocketEthtoolTransport() {
  if (fd_ >= 0) close(fd_);
}

int SocketEthtoolTransport::Ioctl(const std::string& ifname, void* data, size_t size) {
  (void)size;  // the kernel knows each command's size; see the header on GSTRINGS and GSTATS
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return -ENODEV;
  if (fd_ < 0) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return -errno;
  }
  ifreq request{};
  std::memcpy(request.ifr_name, ifname.data(), ifname.size());
  request.ifr_data = static_cast<char*>(data);
  if (ioctl(fd_, SIOCETHTOOL, &request) < 0) return -errno;
  return 0;
}

EthtoolRecordingKey EthtoolRequestKey(std::span<const uint8_t> request) {
  if (request.size() < sizeof(uint32_t)) throw ParseError("ethtool request: shorter than a command");
  EthtoolRecordingKey key;
  key.command = Read32(request, 0);
  const CommandShape* shape = FindShape(key.command);
  if (shape == nullptr || shape->selector.empty()) return key;
  if (request.size() < shape->selector_offset + shape->selector_width) {
    throw ParseError("ethtool " + CommandLabel(key.command) + " request: " + std::to_string(request.size()) +
                     " bytes, too short for its " + std::string(shape->selector));
  }
  key.selector =
      shape->selector_width == 8 ? Read64(request, shape->selector_offset) : Read32(request, shape->selector_offset);
  return key;
}

EthtoolRecording ParseEthtoolRecording(std::string_view source, std::string_view text) {
  EthtoolRecording recording;
  size_t number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++number;
    line = Trim(line);
    if (line.empty() || line.front() == '#') return;
    std::vector<std::string_view> fields = SplitFields(line);
    const CommandShape* shape = FindShape(fields[0]);
    if (shape == nullptr) FailLine(source, number, "unknown command \"" + std::string(fields[0]) + "\"");
    EthtoolRecordingKey key{shape->command, std::nullopt};
    size_t next = 1;
    if (!shape->selector.empty()) {
      std::string prefix = std::string(shape->selector) + "=";
      if (fields.size() < 2 || !StartsWith(fields[1], prefix)) {
        FailLine(source, number, std::string(fields[0]) + " needs " + prefix + "N");
      }
      key.selector = ParseUint(fields[1].substr(prefix.size()));
      if (!key.selector) {
        FailLine(source, number, "bad " + std::string(shape->selector) + " \"" + std::string(fields[1]) + "\"");
      }
      next = 2;
    }
    if (next == fields.size()) FailLine(source, number, "no answer after " + std::string(fields[next - 1]));

    EthtoolRecordedAnswer answer;
    if (fields[next] == "errno") {
      std::optional<uint64_t> error = fields.size() == next + 2 ? ParseUint(fields[next + 1]) : std::nullopt;
      if (!error || *error == 0 || *error > 4095) FailLine(source, number, "errno needs one number from 1 to 4095");
      answer.error = static_cast<int>(*error);
    } else {
      for (size_t i = next; i < fields.size(); ++i) {
        if (fields[i].size() % 2 != 0) {
          FailLine(source, number, "odd number of hex digits in \"" + std::string(fields[i]) + "\"");
        }
        for (size_t j = 0; j < fields[i].size(); j += 2) {
          std::optional<uint8_t> high = HexDigit(fields[i][j]);
          std::optional<uint8_t> low = HexDigit(fields[i][j + 1]);
          if (!high || !low) FailLine(source, number, "not hex: \"" + std::string(fields[i]) + "\"");
          answer.bytes.push_back(static_cast<uint8_t>(*high << 4 | *low));
        }
      }
      CheckRecordedAnswer(*shape, key, answer.bytes, source, number);
    }
    recording[key] = std::move(answer);
  });
  return recording;
}

std::string FormatEthtoolRecording(std::string_view ifname, const EthtoolRecording& recording) {
  std::string out = "# ethtool answers of " + std::string(ifname) +
                    ", recorded by wgtune-exporter; format in exporter/ethtool/ethtool.h\n";
  for (const auto& [key, answer] : recording) {
    const CommandShape* shape = FindShape(key.command);
    if (shape == nullptr) continue;  // never recorded: the recorder only keeps known commands
    out += shape->name;
    if (key.selector) out += " " + std::string(shape->selector) + "=" + std::to_string(*key.selector);
    if (answer.error != 0) {
      out += " errno " + std::to_string(answer.error) + "\n";
      continue;
    }
    // Grouped for a reader: the header, then one group per entry (a name, a counter).
    std::span<const uint8_t> bytes(answer.bytes);
    size_t group = shape->entry == 0 ? bytes.size() : std::min(shape->header, bytes.size());
    for (size_t at = 0; at < bytes.size();) {
      out += ' ';
      AppendHex(out, bytes.subspan(at, group));
      at += group;
      group = std::min(shape->entry == 0 ? bytes.size() : shape->entry, bytes.size() - at);
    }
    out += '\n';
  }
  return out;
}

size_t EthtoolAnswerLength(std::span<const uint8_t> answer) {
  if (answer.size() < sizeof(uint32_t)) return answer.size();
  const CommandShape* shape = FindShape(Read32(answer, 0));
  if (shape == nullptr || shape->entry == 0 || answer.size() < shape->header) return answer.size();
  uint64_t length = shape->header + EntryCount(*shape, answer) * shape->entry;
  return length < answer.size() ? static_cast<size_t>(length) : answer.size();
}

int ReplayEthtoolTransport::Ioctl(const std::string& ifname, void* data, size_t size) {
  std::string path = JoinPath(dir_, ifname + ".ethtool");
  std::optional<std::string> text = ReadFileIfExists(path);
  if (!text) return -ENODEV;
  EthtoolRecording recording = ParseEthtoolRecording(path, *text);
  std::span<uint8_t> buffer(static_cast<uint8_t*>(data), size);
  EthtoolRecordingKey key = EthtoolRequestKey(buffer);
  auto found = recording.find(key);
  if (found == recording.end()) return key.command == kEthtoolGetRxIndirection ? -EINVAL : -EOPNOTSUPP;
  if (found->second.error != 0) return -found->second.error;
  const std::vector<uint8_t>& bytes = found->second.bytes;
  std::memcpy(buffer.data(), bytes.data(), std::min(bytes.size(), buffer.size()));
  return 0;
}

int RecordingEthtoolTransport::Ioctl(const std::string& ifname, void* data, size_t size) {
  std::span<uint8_t> buffer(static_cast<uint8_t*>(data), size);
  // The key comes from the request: the kernel overwrites the input fields (GRXFHINDIR's size,
  // GSSET_INFO's mask) with its answer.
  EthtoolRecordingKey key = EthtoolRequestKey(buffer);
  int result = inner_.Ioctl(ifname, data, size);
  if (FindShape(key.command) == nullptr) return result;

  EthtoolRecordedAnswer answer;
  if (result < 0) {
    answer.error = -result;
  } else {
    answer.bytes.assign(buffer.begin(), buffer.begin() + EthtoolAnswerLength(buffer));
  }
  EthtoolRecording& recording = recordings_[ifname];
  recording[key] = std::move(answer);

  std::string path = JoinPath(dir_, ifname + ".ethtool");
  std::ofstream out(path, std::ios::trunc);
  out << FormatEthtoolRecording(ifname, recording);
  out.close();
  if (!out) throw IoError("write " + path + ": " + std::strerror(errno));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Decoders

EthtoolDriverInfo DecodeDriverInfo(std::span<const uint8_t> answer) {
  CheckAnswer(answer, kEthtoolGetDriverInfo, sizeof(ethtool_drvinfo));
  EthtoolDriverInfo info;
  info.driver = FixedString(answer, offsetof(ethtool_drvinfo, driver), sizeof(ethtool_drvinfo::driver));
  info.version = FixedString(answer, offsetof(ethtool_drvinfo, version), sizeof(ethtool_drvinfo::version));
  info.firmware_version =
      FixedString(answer, offsetof(ethtool_drvinfo, fw_version), sizeof(ethtool_drvinfo::fw_version));
  info.bus_info = FixedString(answer, offsetof(ethtool_drvinfo, bus_info), sizeof(ethtool_drvinfo::bus_info));
  info.n_stats = Read32(answer, offsetof(ethtool_drvinfo, n_stats));
  return info;
}

EthtoolRings DecodeRingParam(std::span<const uint8_t> answer) {
  CheckAnswer(answer, kEthtoolGetRingParam, sizeof(ethtool_ringparam));
  EthtoolRings rings;
  rings.rx_max = Read32(answer, offsetof(ethtool_ringparam, rx_max_pending));
  rings.rx_mini_max = Read32(answer, offsetof(ethtool_ringparam, rx_mini_max_pending));
  rings.rx_jumbo_max = Read32(answer, offsetof(ethtool_ringparam, rx_jumbo_max_pending));
  rings.tx_max = Read32(answer, offsetof(ethtool_ringparam, tx_max_pending));
  rings.rx = Read32(answer, offsetof(ethtool_ringparam, rx_pending));
  rings.rx_mini = Read32(answer, offsetof(ethtool_ringparam, rx_mini_pending));
  rings.rx_jumbo = Read32(answer, offsetof(ethtool_ringparam, rx_jumbo_pending));
  rings.tx = Read32(answer, offsetof(ethtool_ringparam, tx_pending));
  return rings;
}

EthtoolChannels DecodeChannels(std::span<const uint8_t> answer) {
  CheckAnswer(answer, kEthtoolGetChannels, sizeof(ethtool_channels));
  EthtoolChannels channels;
  channels.max_rx = Read32(answer, offsetof(ethtool_channels, max_rx));
  channels.max_tx = Read32(answer, offsetof(ethtool_channels, max_tx));
  channels.max_other = Read32(answer, offsetof(ethtool_channels, max_other));
  channels.max_combined = Read32(answer, offsetof(ethtool_channels, max_combined));
  channels.rx = Read32(answer, offsetof(ethtool_channels, rx_count));
  channels.tx = Read32(answer, offsetof(ethtool_channels, tx_count));
  channels.other = Read32(answer, offsetof(ethtool_channels, other_count));
  channels.combined = Read32(answer, offsetof(ethtool_channels, combined_count));
  return channels;
}

std::optional<uint32_t> DecodeStringSetCount(std::span<const uint8_t> answer, uint32_t string_set) {
  CheckAnswer(answer, kEthtoolGetStringSetInfo, sizeof(ethtool_sset_info));
  uint64_t mask = Read64(answer, offsetof(ethtool_sset_info, sset_mask));
  uint64_t bit = uint64_t{1} << string_set;
  if ((mask & bit) == 0) return std::nullopt;
  size_t index = std::popcount(mask & (bit - 1));
  CheckEntries(answer, kEthtoolGetStringSetInfo, sizeof(ethtool_sset_info), std::popcount(mask), sizeof(uint32_t),
               "string set sizes");
  return Read32(answer, sizeof(ethtool_sset_info) + index * sizeof(uint32_t));
}

std::vector<std::string> DecodeStrings(std::span<const uint8_t> answer) {
  CheckAnswer(answer, kEthtoolGetStrings, sizeof(ethtool_gstrings));
  uint32_t count = Read32(answer, offsetof(ethtool_gstrings, len));
  CheckEntries(answer, kEthtoolGetStrings, sizeof(ethtool_gstrings), count, ETH_GSTRING_LEN, "names");
  std::vector<std::string> names;
  names.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    names.push_back(FixedString(answer, sizeof(ethtool_gstrings) + size_t{i} * ETH_GSTRING_LEN, ETH_GSTRING_LEN));
  }
  return names;
}

std::vector<uint64_t> DecodeStatistics(std::span<const uint8_t> answer) {
  CheckAnswer(answer, kEthtoolGetStatistics, sizeof(ethtool_stats));
  uint32_t count = Read32(answer, offsetof(ethtool_stats, n_stats));
  CheckEntries(answer, kEthtoolGetStatistics, sizeof(ethtool_stats), count, sizeof(uint64_t), "counters");
  std::vector<uint64_t> values(count);
  for (uint32_t i = 0; i < count; ++i) values[i] = Read64(answer, sizeof(ethtool_stats) + size_t{i} * 8);
  return values;
}

uint64_t DecodeRxnfcData(std::span<const uint8_t> answer, uint32_t command) {
  CheckAnswer(answer, command, offsetof(ethtool_rxnfc, data) + sizeof(ethtool_rxnfc::data));
  return Read64(answer, offsetof(ethtool_rxnfc, data));
}

uint32_t DecodeIndirectionSize(std::span<const uint8_t> answer) {
  CheckAnswer(answer, kEthtoolGetRxIndirection, sizeof(ethtool_rxfh_indir));
  return Read32(answer, offsetof(ethtool_rxfh_indir, size));
}

std::vector<uint32_t> DecodeIndirection(std::span<const uint8_t> answer) {
  uint32_t size = DecodeIndirectionSize(answer);
  CheckEntries(answer, kEthtoolGetRxIndirection, sizeof(ethtool_rxfh_indir), size, sizeof(uint32_t), "entries");
  std::vector<uint32_t> table(size);
  for (uint32_t i = 0; i < size; ++i) table[i] = Read32(answer, sizeof(ethtool_rxfh_indir) + size_t{i} * 4);
  return table;
}

std::vector<EthtoolFeatureBlock> DecodeFeatures(std::span<const uint8_t> answer) {
  CheckAnswer(answer, kEthtoolGetFeatures, sizeof(ethtool_gfeatures));
  uint32_t size = Read32(answer, offsetof(ethtool_gfeatures, size));
  CheckEntries(answer, kEthtoolGetFeatures, sizeof(ethtool_gfeatures), size, sizeof(ethtool_get_features_block),
               "feature blocks");
  std::vector<EthtoolFeatureBlock> blocks(size);
  for (uint32_t i = 0; i < size; ++i) {
    size_t at = sizeof(ethtool_gfeatures) + size_t{i} * sizeof(ethtool_get_features_block);
    blocks[i].available = Read32(answer, at + offsetof(ethtool_get_features_block, available));
    blocks[i].requested = Read32(answer, at + offsetof(ethtool_get_features_block, requested));
    blocks[i].active = Read32(answer, at + offsetof(ethtool_get_features_block, active));
    blocks[i].never_changed = Read32(answer, at + offsetof(ethtool_get_features_block, never_changed));
  }
  return blocks;
}

std::string FlowHashFields(uint64_t rxh_bits) {
  // Spelled out rather than RXH_*: RXH_DISCARD is (1 << 31), a negative int that would widen
  // to the upper 33 bits; RXH_GTP_TEID (1 << 8) is newer than most uapi headers.
  static constexpr std::pair<uint64_t, char> kLetters[] = {
      {uint64_t{1} << 1, 'm'}, {uint64_t{1} << 2, 'v'}, {uint64_t{1} << 3, 't'},
      {uint64_t{1} << 4, 's'}, {uint64_t{1} << 5, 'd'}, {uint64_t{1} << 6, 'f'},
      {uint64_t{1} << 7, 'n'}, {uint64_t{1} << 8, 'e'}, {uint64_t{1} << 31, 'r'},
  };
  static_assert(RXH_L2DA == 1 << 1 && RXH_IP_SRC == 1 << 4 && RXH_L4_B_2_3 == 1 << 7);
  std::string fields;
  for (const auto& [bit, letter] : kLetters) {
    if (rxh_bits & bit) fields.push_back(letter);
  }
  return fields;
}

bool FlowHashIncludesPorts(uint64_t rxh_bits) {
  constexpr uint64_t kPorts = uint64_t{RXH_L4_B_0_1} | uint64_t{RXH_L4_B_2_3};
  return (rxh_bits & kPorts) == kPorts;
}

// ---------------------------------------------------------------------------------------------
// Statistic names

namespace {

// The end of the run of decimal digits starting at `at`.
size_t DigitsEnd(std::string_view text, size_t at) {
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
  return at;
}

// "3" for "3" or "03"; nullopt for no digits or a number beyond u32.
std::optional<std::string> QueueNumber(std::string_view digits) {
  std::optional<uint64_t> number = ParseUint(digits);
  if (!number || *number > UINT32_MAX) return std::nullopt;
  return std::to_string(*number);
}

}  // namespace

StatisticName SplitStatisticName(std::string_view raw) {
  // queue_<N>_<rest>
  constexpr std::string_view kQueue = "queue_";
  if (StartsWith(raw, kQueue)) {
    size_t end = DigitsEnd(raw, kQueue.size());
    if (end + 1 < raw.size() && raw[end] == '_') {
      if (std::optional<std::string> queue = QueueNumber(raw.substr(kQueue.size(), end - kQueue.size()))) {
        return {std::string(raw.substr(end + 1)), *queue};
      }
    }
  }
  // <dir>_queue_<N>_<rest>
  constexpr std::string_view kInnerQueue = "_queue_";
  for (size_t at = raw.find(kInnerQueue); at != std::string_view::npos && at > 0; at = raw.find(kInnerQueue, at + 1)) {
    size_t start = at + kInnerQueue.size();
    size_t end = DigitsEnd(raw, start);
    if (end + 1 < raw.size() && raw[end] == '_') {
      if (std::optional<std::string> queue = QueueNumber(raw.substr(start, end - start))) {
        return {std::string(raw.substr(0, at)) + "_" + std::string(raw.substr(end + 1)), *queue};
      }
    }
  }
  // rx<N>_<rest>, tx<N>_<rest>, ch<N>_<rest>
  for (std::string_view prefix : {"rx", "tx", "ch"}) {
    if (!StartsWith(raw, prefix)) continue;
    size_t end = DigitsEnd(raw, prefix.size());
    if (end + 1 < raw.size() && raw[end] == '_') {
      if (std::optional<std::string> queue = QueueNumber(raw.substr(prefix.size(), end - prefix.size()))) {
        return {std::string(prefix) + "_" + std::string(raw.substr(end + 1)), *queue};
      }
    }
  }
  // <name>[<N>]
  if (EndsWith(raw, "]")) {
    size_t open = raw.rfind('[');
    if (open != std::string_view::npos && open > 0) {
      if (std::optional<std::string> queue = QueueNumber(raw.substr(open + 1, raw.size() - open - 2))) {
        return {std::string(raw.substr(0, open)), *queue};
      }
    }
  }
  return {std::string(raw), ""};
}

// ---------------------------------------------------------------------------------------------
// Typed calls

bool Ethtool::Ask(const std::string& ifname, std::vector<uint8_t>& buffer) {
  int result = transport_.Ioctl(ifname, buffer.data(), buffer.size());
  if (result == 0) return true;
  int error = -result;
  if (error == EOPNOTSUPP || error == EINVAL || error == ENODEV || error == EPERM) return false;
  throw IoError("ethtool " + CommandLabel(Read32(buffer, 0)) + " on " + ifname + ": " + std::strerror(error));
}

namespace {

std::vector<uint8_t> Request(uint32_t command, size_t size) {
  std::vector<uint8_t> buffer(size);
  Write32(buffer, 0, command);
  return buffer;
}

}  // namespace

std::optional<EthtoolDriverInfo> Ethtool::DriverInfo(const std::string& ifname) {
  std::vector<uint8_t> buffer = Request(kEthtoolGetDriverInfo, sizeof(ethtool_drvinfo));
  if (!Ask(ifname, buffer)) return std::nullopt;
  return DecodeDriverInfo(buffer);
}

std::optional<EthtoolRings> Ethtool::Rings(const std::string& ifname) {
  std::vector<uint8_t> buffer = Request(kEthtoolGetRingParam, sizeof(ethtool_ringparam));
  if (!Ask(ifname, buffer)) return std::nullopt;
  return DecodeRingParam(buffer);
}

std::optional<EthtoolChannels> Ethtool::Channels(const std::string& ifname) {
  std::vector<uint8_t> buffer = Request(kEthtoolGetChannels, sizeof(ethtool_channels));
  if (!Ask(ifname, buffer)) return std::nullopt;
  return DecodeChannels(buffer);
}

std::optional<std::vector<EthtoolStatistic>> Ethtool::Statistics(const std::string& ifname) {
  std::vector<uint8_t> info = Request(kEthtoolGetStringSetInfo, sizeof(ethtool_sset_info) + sizeof(uint32_t));
  Write64(info, offsetof(ethtool_sset_info, sset_mask), uint64_t{1} << ETH_SS_STATS);
  if (!Ask(ifname, info)) return std::nullopt;
  std::optional<uint32_t> count = DecodeStringSetCount(info, ETH_SS_STATS);
  if (!count) return std::nullopt;
  if (*count == 0) return std::vector<EthtoolStatistic>();
  if (*count > kMaxStatistics) {
    throw ParseError("ethtool GSSET_INFO answer: " + std::to_string(*count) + " statistics on " + ifname +
                     ", more than any driver has");
  }
  // The kernel writes the driver's current count whatever the buffer holds: room for the
  // count to double, and then some, covers a NIC going from 1 to 64 channels between calls.
  size_t capacity = size_t{*count} * 2 + 4096;

  strings_buffer_.assign(sizeof(ethtool_gstrings) + capacity * ETH_GSTRING_LEN, 0);
  Write32(strings_buffer_, 0, kEthtoolGetStrings);
  Write32(strings_buffer_, offsetof(ethtool_gstrings, string_set), ETH_SS_STATS);
  Write32(strings_buffer_, offsetof(ethtool_gstrings, len), *count);
  if (!Ask(ifname, strings_buffer_)) return std::nullopt;
  std::vector<std::string> names = DecodeStrings(strings_buffer_);
  if (names.size() != *count) return std::nullopt;

  values_buffer_.assign(sizeof(ethtool_stats) + capacity * sizeof(uint64_t), 0);
  Write32(values_buffer_, 0, kEthtoolGetStatistics);
  Write32(values_buffer_, offsetof(ethtool_stats, n_stats), *count);
  if (!Ask(ifname, values_buffer_)) return std::nullopt;
  std::vector<uint64_t> values = DecodeStatistics(values_buffer_);
  if (values.size() != *count) return std::nullopt;

  std::vector<EthtoolStatistic> statistics(*count);
  for (size_t i = 0; i < *count; ++i) statistics[i] = {std::move(names[i]), values[i]};
  return statistics;
}

std::optional<std::vector<EthtoolFeature>> Ethtool::Features(const std::string& ifname) {
  std::vector<uint8_t> info = Request(kEthtoolGetStringSetInfo, sizeof(ethtool_sset_info) + sizeof(uint32_t));
  Write64(info, offsetof(ethtool_sset_info, sset_mask), uint64_t{1} << ETH_SS_FEATURES);
  if (!Ask(ifname, info)) return std::nullopt;
  std::optional<uint32_t> count = DecodeStringSetCount(info, ETH_SS_FEATURES);
  if (!count) return std::nullopt;
  if (*count == 0) return std::vector<EthtoolFeature>();
  if (*count > kMaxFeatures) {
    throw ParseError("ethtool GSSET_INFO answer: " + std::to_string(*count) + " features on " + ifname +
                     ", more than any kernel has");
  }
  // As for statistics, the kernel writes its own count of names whatever the buffer holds.
  size_t capacity = size_t{*count} * 2 + 64;
  std::vector<uint8_t> strings(sizeof(ethtool_gstrings) + capacity * ETH_GSTRING_LEN, 0);
  Write32(strings, 0, kEthtoolGetStrings);
  Write32(strings, offsetof(ethtool_gstrings, string_set), ETH_SS_FEATURES);
  Write32(strings, offsetof(ethtool_gstrings, len), *count);
  if (!Ask(ifname, strings)) return std::nullopt;
  std::vector<std::string> names = DecodeStrings(strings);
  if (names.size() != *count) return std::nullopt;

  // The kernel writes at most the blocks asked for, so the buffer is exactly that big.
  const uint32_t words = (*count + 31) / 32;
  std::vector<uint8_t> state =
      Request(kEthtoolGetFeatures, sizeof(ethtool_gfeatures) + size_t{words} * sizeof(ethtool_get_features_block));
  Write32(state, offsetof(ethtool_gfeatures, size), words);
  if (!Ask(ifname, state)) return std::nullopt;
  // A kernel that needs another number of blocks than its names fill does not describe them.
  if (Read32(state, offsetof(ethtool_gfeatures, size)) != words) return std::nullopt;
  std::vector<EthtoolFeatureBlock> blocks = DecodeFeatures(state);

  std::vector<EthtoolFeature> features;
  for (uint32_t i = 0; i < *count; ++i) {
    if (names[i].empty()) continue;  // a bit without a feature
    const EthtoolFeatureBlock& block = blocks[i / 32];
    const uint32_t bit = uint32_t{1} << (i % 32);
    features.push_back({std::move(names[i]), (block.available & bit) != 0, (block.requested & bit) != 0,
                        (block.active & bit) != 0, (block.never_changed & bit) != 0});
  }
  return features;
}

std::optional<uint64_t> Ethtool::UdpV4Hash(const std::string& ifname) {
  std::vector<uint8_t> buffer = Request(kEthtoolGetRxFlowHash, sizeof(ethtool_rxnfc));
  Write32(buffer, offsetof(ethtool_rxnfc, flow_type), UDP_V4_FLOW);
  if (!Ask(ifname, buffer)) return std::nullopt;
  return DecodeRxnfcData(buffer, kEthtoolGetRxFlowHash);
}

std::optional<uint64_t> Ethtool::RxRings(const std::string& ifname) {
  std::vector<uint8_t> buffer = Request(kEthtoolGetRxRings, sizeof(ethtool_rxnfc));
  if (!Ask(ifname, buffer)) return std::nullopt;
  return DecodeRxnfcData(buffer, kEthtoolGetRxRings);
}

std::optional<std::vector<uint32_t>> Ethtool::Indirection(const std::string& ifname) {
  std::vector<uint8_t> probe = Request(kEthtoolGetRxIndirection, sizeof(ethtool_rxfh_indir));
  if (!Ask(ifname, probe)) return std::nullopt;
  uint32_t size = DecodeIndirectionSize(probe);
  if (size == 0) return std::nullopt;
  if (size > kMaxIndirectionEntries) {
    throw ParseError("ethtool GRXFHINDIR answer: " + std::to_string(size) + " entries on " + ifname +
                     ", more than any NIC has");
  }
  std::vector<uint8_t> table = Request(kEthtoolGetRxIndirection, sizeof(ethtool_rxfh_indir) + size_t{size} * 4);
  Write32(table, offsetof(ethtool_rxfh_indir, size), size);
  // EINVAL (absent) when the table was resized in between: the kernel wants the exact size.
  if (!Ask(ifname, table)) return std::nullopt;
  if (DecodeIndirectionSize(table) != size) return std::nullopt;
  return DecodeIndirection(table);
}

}  // namespace wgtune
