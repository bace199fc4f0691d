// The web configuration file, exporter-toolkit's YAML (common/web_config.h), through Debian's
// yaml-cpp (not instrumented: coverage steers by the checks of ParseWebConfig).
#include "common/web_config.h"

#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  WebConfig config;
  if (!fuzz::Parses<ParseError>([&] { config = ParseWebConfig(fuzz::Text(data, size), "/etc/wgtune"); })) return 0;
  for (const auto& [user, hash] : config.basic_auth_users) fuzz::Check(!hash.empty(), "a user without a hash");
  return 0;
}
