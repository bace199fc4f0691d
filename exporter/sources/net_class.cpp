#include "exporter/sources/net_class.h"

#include <algorithm>
#include <array>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

[[noreturn]] void Fail(std::string_view source, const std::string& what) {
  throw ParseError(std::string(source) + ": " + what);
}

struct OperStateWord {
  OperState state;
  std::string_view word;
};

// net/core/net-sysfs.c operstates[], indexed by IF_OPER_*.
constexpr std::array<OperStateWord, 7> kOperStates = {{
    {OperState::kUnknown, "unknown"},
    {OperState::kNotPresent, "notpresent"},
    {OperState::kDown, "down"},
    {OperState::kLowerLayerDown, "lowerlayerdown"},
    {OperState::kTesting, "testing"},
    {OperState::kDormant, "dormant"},
    {OperState::kUp, "up"},
}};

}  // namespace

std::string_view Uevent::Value(std::string_view key) const {
  auto it = values.find(key);
  return it == values.end() ? std::string_view() : std::string_view(it->second);
}

Uevent ParseUevent(std::string_view source, std::string_view text) {
  Uevent uevent;
  size_t number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++number;
    if (Trim(line).empty()) return;
    size_t equals = line.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      Fail(source, "line " + std::to_string(number) + ": want KEY=VALUE, got \"" + std::string(line) + "\"");
    }
    uevent.values.insert_or_assign(std::string(line.substr(0, equals)), std::string(line.substr(equals + 1)));
  });
  return uevent;
}

uint64_t ParseNetClassNumber(std::string_view source, std::string_view text) {
  std::string_view field = Trim(text);
  std::optional<uint64_t> value = ParseUint(field);
  if (!value) Fail(source, "want a decimal number, got \"" + std::string(field) + "\"");
  return *value;
}

OperState ParseOperState(std::string_view source, std::string_view text) {
  std::string_view word = Trim(text);
  for (const auto& entry : kOperStates) {
    if (entry.word == word) return entry.state;
  }
  Fail(source, "unknown operstate \"" + std::string(word) + "\"");
}

std::string_view OperStateName(OperState state) {
  for (const auto& entry : kOperStates) {
    if (entry.state == state) return entry.word;
  }
  return "unknown";
}

QueueNumbers ParseQueueNames(std::string_view source, const std::vector<std::string>& names) {
  QueueNumbers queues;
  for (std::string_view name : names) {
    std::vector<unsigned>* numbers = StartsWith(name, "rx-")   ? &queues.receive
                                     : StartsWith(name, "tx-") ? &queues.transmit
                                                               : nullptr;
    std::optional<uint64_t> number = numbers ? ParseUint(name.substr(3)) : std::nullopt;
    if (!number || *number > UINT32_MAX) Fail(source, "want rx-N or tx-N, got \"" + std::string(name) + "\"");
    numbers->push_back(static_cast<unsigned>(*number));
  }
  std::sort(queues.receive.begin(), queues.receive.end());
  std::sort(queues.transmit.begin(), queues.transmit.end());
  return queues;
}

RpsCpus ParseRpsCpus(std::string_view source, std::string_view text) {
  RpsCpus rps;
  rps.mask = std::string(Trim(text));
  try {
    rps.cpus = CpuSet::FromMask(rps.mask);
  } catch (const ParseError& error) {
    Fail(source, error.what());
  }
  return rps;
}

std::string InterfaceKind(const InterfaceTraits& traits) {
  if (traits.type == kArphrdLoopback) return "loopback";
  if (traits.devtype == "wireguard") return "wireguard";
  if (traits.has_tun_flags) return "tun";
  // Checked before DEVTYPE: a Wi-Fi NIC (DEVTYPE=wlan) is still the hardware to tune.
  if (traits.has_device) return "physical";
  if (!traits.devtype.empty()) return traits.devtype;
  // A veth whose peer lives in another namespace can, by chance, have the same ifindex as
  // its peer there; it is then reported as "virtual", which is the safe side.
  if (traits.type == kArphrdEther && traits.ifindex && traits.iflink && *traits.iflink != *traits.ifindex &&
      !traits.has_lower) {
    return "veth";
  }
  return "virtual";
}

}  // namespace wgtune
