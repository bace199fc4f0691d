// How the advisor authenticates to a peer and verifies it: a client configuration file in
// Prometheus's http_config format (prometheus/common config/http_config.go), the file a site
// already writes for Prometheus's scrape configs, promtool and amtool (--http.config.file):
//
//   basic_auth:    {username | username_file, password | password_file}
//   authorization: {type (default Bearer), credentials | credentials_file}
//   bearer_token | bearer_token_file          (legacy spelling of authorization: Bearer)
//   tls_config:    {ca_file, cert_file, key_file, server_name, insecure_skip_verify,
//                   min_version, max_version}      (TLS10 TLS11 TLS12 TLS13)
//   follow_redirects (default true), enable_http2 (accepted; the advisor speaks HTTP/1.1)
//   http_headers:  {Name: {values: [...], secrets: [...], files: [...]}}
//
// As Prometheus's: the YAML is decoded strictly (an unknown or misspelt key is an error, not
// ignored; common/yaml_mapping.h reads it), the same combinations are refused with Prometheus's messages ("at most one of
// basic_auth password & password_file must be configured"), and relative *_file paths are
// taken from the configuration file's directory. What wgtune does not implement is refused by
// name rather than silently ignored: oauth2, proxies, secret references (*_ref), inline PEM
// (ca, cert, key).
//
// Secrets: passwords, tokens and keys are read from their files at every request (ReadSecrets),
// so a rotated file takes effect without a restart, and its content is trimmed of surrounding
// whitespace as Prometheus trims it. No function here logs, and no error message carries a
// secret's value: only the key or file it came from.
//
// Contracts: ParseHttpClientConfig is pure (text in, struct out) and throws HttpConfigError
// whose message starts with the file name given. LoadHttpClientConfigFile reads the file and
// checks once that every file it names can be read, so that a typo fails at startup. All
// functions are reentrant; an HttpClientConfig is immutable once loaded and may be shared by
// threads.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgtune {

class HttpConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A value given inline or in a file (one of the two, or neither).
struct SecretSource {
  std::string value;  // inline
  std::string file;   // absolute, or relative to the working directory when the config had no directory
  bool IsSet() const { return !value.empty() || !file.empty(); }
};

struct HttpTlsConfig {
  std::string ca_file;    // "": the system CA store
  std::string cert_file;  // client certificate (PEM, may carry its chain); with key_file
  std::string key_file;
  std::string server_name;  // SNI and the name the certificate must carry; "": the URL's host
  bool insecure_skip_verify = false;
  int min_version = 0;  // OpenSSL's TLS1_2_VERSION...; 0: OpenSSL's default
  int max_version = 0;
};

struct HttpHeaderConfig {
  std::string name;
  std::vector<std::string> values;   // sent as they are
  std::vector<std::string> secrets;  // sent as they are, never shown
  std::vector<std::string> files;    // each file's content, read at every request
};

struct HttpClientConfig {
  std::optional<SecretSource> basic_auth_username;  // set when basic_auth is
  SecretSource basic_auth_password;
  std::string authorization_type;  // "Bearer" unless given; "" without authorization
  SecretSource authorization_credentials;
  HttpTlsConfig tls;
  bool follow_redirects = true;
  std::vector<HttpHeaderConfig> headers;
  std::string source;  // the file it was read from, for messages

  bool HasBasicAuth() const { return basic_auth_username.has_value(); }
  bool HasAuthorization() const { return !authorization_type.empty(); }
};

// Parses the YAML `text` of a file named `file_name` (for messages; its directory resolves
// relative *_file paths as Prometheus's SetDirectory does). An empty document is the default
// configuration. Throws HttpConfigError "<file>: <why>".
HttpClientConfig ParseHttpClientConfig(std::string_view text, const std::string& file_name);

// Reads and parses `path`, then opens every file the configuration names (CA, certificate,
// key, secret files) once: HttpConfigError "<path>: tls_config.ca_file /x: No such file or
// directory" when one cannot be read.
HttpClientConfig LoadHttpClientConfigFile(const std::string& path);

// The headers one request sends, secrets read from their files now: Authorization (basic or
// typed credentials) and http_headers. Throws HttpConfigError naming the key and file, never
// the value, when a file cannot be read.
std::vector<std::pair<std::string, std::string>> RequestHeaders(const HttpClientConfig& config);

}  // namespace wgtune
