#include "common/web_config.h"

#include <algorithm>
#include <set>

#include "common/errors.h"
#include "common/files.h"
#include "common/yaml_mapping.h"

namespace wgtune {
namespace {

// exporter-toolkit's extraHTTPHeaders: the headers a site may set, with the allowed values
// where the header has a fixed set (empty: any value).
const std::map<std::string, std::vector<std::string>>& AllowedHeaders() {
  static const std::map<std::string, std::vector<std::string>> headers = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return headers;
}

ClientAuth ClientAuthType(const YamlMapping& tls, std::string_view key) {
  static const std::map<std::string, ClientAuth> types = {
      {"", ClientAuth::kNoClientCert},
      {"NoClientCert", ClientAuth::kNoClientCert},
      {"RequestClientCert", ClientAuth::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
      {"RequireClientCert", ClientAuth::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
  };
  std::string name = tls.String(key);
  auto found = types.find(name);
  if (found == types.end()) tls.Fail(key, "invalid client_auth_type " + name);
  return found->second;
}

// What bcrypt.Cost accepts: $2a$/$2b$/$2y$, a two-digit cost 04..31, 22 salt and 31 hash
// characters of bcrypt's base64.
bool IsBcryptHash(std::string_view hash) {
  if (hash.size() != 60 || hash.substr(0, 2) != "$2" || hash[3] != '$' || hash[6] != '$') return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return false;
  int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (char c : hash.substr(7)) {
    bool base64 = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
    if (!base64) return false;
  }
  return true;
}

void ParseTls(const YamlMapping& node, std::string_view directory, TlsServerConfig& tls) {
  node.Allow({"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file", "cipher_suites",
              "curve_preferences", "min_version", "max_version", "prefer_server_cipher_suites"},
             {"client_allowed_sans"});
  tls.cert = node.String("cert");
  tls.key = node.String("key");
  tls.client_ca = node.String("client_ca");
  tls.cert_file = ConfigRelativePath(directory, node.String("cert_file"));
  tls.key_file = ConfigRelativePath(directory, node.String("key_file"));
  tls.client_ca_file = ConfigRelativePath(directory, node.String("client_ca_file"));
  tls.client_auth = ClientAuthType(node, "client_auth_type");
  tls.cipher_suites = node.Strings("cipher_suites");
  tls.curve_preferences = node.Strings("curve_preferences");
  tls.min_version = node.TlsVersion("min_version").value_or(tls.min_version);
  tls.max_version = node.TlsVersion("max_version").value_or(tls.max_version);
  tls.prefer_server_cipher_suites = node.Bool("prefer_server_cipher_suites").value_or(tls.prefer_server_cipher_suites);
  static const std::set<std::string> curves = {"CurveP256", "CurveP384", "CurveP521", "X25519"};
  for (const std::string& curve : tls.curve_preferences) {
    if (!curves.count(curve)) node.Fail("curve_preferences", "unknown curve " + curve);
  }
  if (!tls.enabled()) return;
  // exporter-toolkit's validateTLSPaths and ConfigToTLSConfig checks, in its words.
  if (tls.cert.empty() && tls.cert_file.empty()) node.Fail("missing one of cert or cert_file");
  if (tls.key.empty() && tls.key_file.empty()) node.Fail("missing one of key or key_file");
  if (!tls.cert.empty() && !tls.cert_file.empty()) node.Fail("cert and cert_file are both given");
  if (!tls.key.empty() && !tls.key_file.empty()) node.Fail("key and key_file are both given");
  if (!tls.client_ca.empty() && !tls.client_ca_file.empty()) node.Fail("client_ca and client_ca_file are both given");
  bool has_ca = !tls.client_ca.empty() || !tls.client_ca_file.empty();
  if (has_ca && tls.client_auth == ClientAuth::kNoClientCert) {
    node.Fail("client CA's have been configured without a Client Auth Policy");
  }
  if (tls.min_version > tls.max_version) node.Fail("min_version is above max_version");
}

}  // namespace

bool TlsServerConfig::enabled() const {
  return !cert.empty() || !cert_file.empty() || !key.empty() || !key_file.empty() || !client_ca.empty() ||
         !client_ca_file.empty() || client_auth != ClientAuth::kNoClientCert;
}

WebConfig ParseWebConfig(std::string_view text, std::string_view directory) {
  WebConfig config;
  YamlMapping top(LoadYaml(text), "", "web configuration keys");
  top.Allow({"tls_server_config", "http_server_config", "basic_auth_users"}, {"rate_limit"});
  if (auto tls = top.Child("tls_server_config")) ParseTls(*tls, directory, config.tls);
  if (auto server = top.Child("http_server_config")) {
    server->Allow({"http2", "headers"});
    config.http2 = server->Bool("http2").value_or(config.http2);
    if (auto headers = server->Child("headers")) {
      for (const std::string& name : headers->Keys()) {
        auto allowed = AllowedHeaders().find(name);
        if (allowed == AllowedHeaders().end()) headers->Fail(name, "this HTTP header can not be configured");
        std::string header_value = headers->String(name);
        const auto& values = allowed->second;
        if (!values.empty() && std::find(values.begin(), values.end(), header_value) == values.end()) {
          std::string expected;
          for (const auto& v : values) expected += (expected.empty() ? "" : ", ") + v;
          headers->Fail(name, "invalid value " + header_value + ", expected one of: " + expected);
        }
        config.headers.emplace_back(name, header_value);
      }
    }
  }
  if (auto users = top.Child("basic_auth_users")) {
    for (const std::string& user : users->Keys()) {
      std::string hash = users->String(user);
      if (!IsBcryptHash(hash)) users->Fail(user, "not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31)");
      config.basic_auth_users[user] = hash;
    }
  }
  return config;
}

WebConfig ReadWebConfig(const std::string& path) {
  std::string text = ReadFile(path);
  try {
    return ParseWebConfig(text, ConfigDirectory(path));
  } catch (const ParseError& error) {
    throw ParseError(path + ": " + error.what());
  }
}

}  // namespace wgtune
