// The advisor's client configuration, Prometheus's http_config YAML
// (advisor/sources/http_config.h), through Debian's yaml-cpp (not instrumented: coverage steers
// by the checks of ParseHttpClientConfig). Its contract checked beyond not crashing: every
// refusal names the file it came from, and what parses is self-consistent.
#include "advisor/sources/http_config.h"

#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  const std::string file = "/etc/wgtune/prometheus-http.yml";
  HttpClientConfig config;
  try {
    config = ParseHttpClientConfig(fuzz::Text(data, size), file);
  } catch (const HttpConfigError& error) {
    fuzz::Check(std::string_view(error.what()).substr(0, file.size()) == file, "a refusal that does not name its file");
    return 0;
  }
  fuzz::Check(!(config.HasBasicAuth() && config.HasAuthorization()), "basic_auth and authorization both set");
  fuzz::Check(config.tls.cert_file.empty() == config.tls.key_file.empty(), "a client certificate without its key");
  return 0;
}
