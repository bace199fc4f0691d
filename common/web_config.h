// The web configuration file of both programs (--web.config.file): exporter-toolkit's format,
// so that a site reuses the file it already has for node_exporter.
//
//   tls_server_config:  cert_file, key_file (or inline cert, key), client_auth_type,
//                       client_ca_file (or inline client_ca), min_version, max_version,
//                       cipher_suites, curve_preferences, prefer_server_cipher_suites
//   http_server_config: headers (the five exporter-toolkit allows), http2 (accepted; HTTP/2
//                       is not served)
//   basic_auth_users:   user → bcrypt hash ($2a$, $2b$, $2y$)
//
// Semantics are exporter-toolkit's (web/tls_config.go, docs/web-configuration.md): keys are
// strict (an unknown or repeated key is an error, as yaml.UnmarshalStrict; common/yaml_mapping.h
// reads them), TLS is on when any
// of cert, key, client CA or client_auth_type is given, a client CA without a client-auth
// policy is an error, relative file names are relative to the configuration file's directory.
// Not supported, and refused by name rather than ignored (each is a security setting):
// client_allowed_sans, rate_limit. docs/web.md is the user's documentation.
//
// ParseWebConfig is pure (text in, struct or ParseError out): it reads no file, so it is
// table-tested and fuzzable; the certificates it names are read by web_tls.h.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgtune {

// Go's crypto/tls ClientAuthType, by exporter-toolkit's names ("RequireClientCert" is
// accepted as the older name of RequireAnyClientCert).
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

struct TlsServerConfig {
  // PEM text given inline, or the path of a file holding it (resolved against the
  // configuration file's directory). At most one of each pair is set.
  std::string cert, cert_file;
  std::string key, key_file;  // a secret: never logged
  std::string client_ca, client_ca_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  // OpenSSL protocol versions (TLS1_2_VERSION = 0x0303 …): exporter-toolkit's defaults.
  int min_version = 0x0303;
  int max_version = 0x0304;
  std::vector<std::string> cipher_suites;      // Go's (IANA) names, TLS 1.2 and below
  std::vector<std::string> curve_preferences;  // CurveP256, CurveP384, CurveP521, X25519
  bool prefer_server_cipher_suites = true;

  // exporter-toolkit's IsEnabled: any certificate, key, client CA or client-auth policy.
  bool enabled() const;
};

struct WebConfig {
  TlsServerConfig tls;
  bool http2 = true;  // parsed for compatibility; only HTTP/1.1 is served
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  std::map<std::string, std::string> basic_auth_users;        // user → bcrypt hash; empty: no auth
};

// Parses the YAML text of a web configuration file. `directory` is the file's directory, for
// relative file names. Throws ParseError with a message naming the key path
// ("tls_server_config.certfile: unknown key", "basic_auth_users.alice: not a bcrypt hash");
// the message never contains a key or password hash's value.
WebConfig ParseWebConfig(std::string_view text, std::string_view directory);

// Reads and parses the file at `path`. Throws IoError when it cannot be read, ParseError
// (prefixed with the path) when it is malformed.
WebConfig ReadWebConfig(const std::string& path);

}  // namespace wgtune
