#include "exporter/sources/proc_comm.h"

#include <string>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {

std::string_view ParseComm(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    throw ParseError("comm: \"" + std::string(text) + "\" does not end in a newline");
  }
  text.remove_suffix(1);
  return text;
}

std::optional<std::string_view> WireGuardCryptInterface(std::string_view comm) {
  constexpr std::string_view kWorkqueuePrefix = "wg-crypt-";
  if (StartsWith(comm, "kworker/R-") || StartsWith(comm, "kworker/R+")) comm.remove_prefix(10);
  if (!StartsWith(comm, kWorkqueuePrefix)) return std::nullopt;
  std::string_view interface = comm.substr(kWorkqueuePrefix.size());
  for (std::string_view repeat : {"+wg-crypt-", "-wg-crypt-"}) {
    size_t at = interface.find(repeat);
    if (at != std::string_view::npos) interface = interface.substr(0, at);
  }
  if (interface.empty()) return std::nullopt;
  return interface;
}

}  // namespace wgtune
