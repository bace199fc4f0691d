#include "common/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <set>

#include "common/errors.h"
#include "common/files.h"

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

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw ParseError(where + ": " + what);
}

// Calls `visit(key, value)` for each entry of a mapping, refusing keys not in `known` and
// repeated keys (yaml.UnmarshalStrict's rules). A null node is an empty mapping.
void ForEachEntry(const YAML::Node& node, const std::string& where, const std::set<std::string>& known,
                  const std::function<void(const std::string&, const YAML::Node&)>& visit) {
  if (node.IsNull()) return;
  if (!node.IsMap()) Fail(where, "must be a mapping");
  std::set<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) Fail(where, "keys must be strings");
    std::string key = entry.first.Scalar();
    if (!known.empty() && !known.count(key)) Fail(where, "unknown key " + key);
    if (!seen.insert(key).second) Fail(where, "key " + key + " given twice");
    visit(key, entry.second);
  }
}

std::string String(const YAML::Node& node, const std::string& where) {
  if (node.IsNull()) return "";
  if (!node.IsScalar()) Fail(where, "must be a string");
  return node.Scalar();
}

bool Bool(const YAML::Node& node, const std::string& where) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) Fail(where, "must be true or false");
  return value;
}

std::vector<std::string> Strings(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> values;
  if (node.IsNull()) return values;
  if (!node.IsSequence()) Fail(where, "must be a list of strings");
  for (const auto& element : node) values.push_back(String(element, where));
  return values;
}

int TlsVersion(const YAML::Node& node, const std::string& where) {
  static const std::map<std::string, int> versions = {
      {"TLS10", 0x0301}, {"TLS11", 0x0302}, {"TLS12", 0x0303}, {"TLS13", 0x0304}};
  std::string name = String(node, where);
  auto found = versions.find(name);
  if (found == versions.end()) Fail(where, "unknown TLS version " + name + " (TLS10, TLS11, TLS12, TLS13)");
  return found->second;
}

ClientAuth ClientAuthType(const YAML::Node& node, const std::string& where) {
  static const std::map<std::string, ClientAuth> types = {
      {"", ClientAuth::kNoClientCert},
      {"NoClientCert", ClientAuth::kNoClientCert},
      {"RequestClientCert", ClientAuth::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
      {"RequireClientCert", ClientAuth::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
  };
  std::string name = String(node, where);
  auto found = types.find(name);
  if (found == types.end()) Fail(where, "invalid client_auth_type " + name);
  return found->second;
}

// A path as exporter-toolkit's config_util.JoinDir: relative to the file's directory.
std::string JoinDirectory(std::string_view directory, const std::string& path) {
  if (path.empty() || path[0] == '/' || directory.empty()) return path;
  return JoinPath(directory, path);
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

void ParseTls(const YAML::Node& node, std::string_view directory, TlsServerConfig& tls) {
  const std::string where = "tls_server_config";
  ForEachEntry(node, where,
               {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file",
                "cipher_suites", "curve_preferences", "min_version", "max_version", "prefer_server_cipher_suites",
                "client_allowed_sans"},
               [&](const std::string& key, const YAML::Node& value) {
                 std::string at = where + "." + key;
                 if (key == "cert") tls.cert = String(value, at);
                 if (key == "key") tls.key = String(value, at);
                 if (key == "client_ca") tls.client_ca = String(value, at);
                 if (key == "cert_file") tls.cert_file = JoinDirectory(directory, String(value, at));
                 if (key == "key_file") tls.key_file = JoinDirectory(directory, String(value, at));
                 if (key == "client_ca_file") tls.client_ca_file = JoinDirectory(directory, String(value, at));
                 if (key == "client_auth_type") tls.client_auth = ClientAuthType(value, at);
                 if (key == "cipher_suites") tls.cipher_suites = Strings(value, at);
                 if (key == "curve_preferences") tls.curve_preferences = Strings(value, at);
                 if (key == "min_version") tls.min_version = TlsVersion(value, at);
                 if (key == "max_version") tls.max_version = TlsVersion(value, at);
                 if (key == "prefer_server_cipher_suites") tls.prefer_server_cipher_suites = Bool(value, at);
                 if (key == "client_allowed_sans") Fail(at, "not supported by wgtune");
               });
  static const std::set<std::string> curves = {"CurveP256", "CurveP384", "CurveP521", "X25519"};
  for (const std::string& curve : tls.curve_preferences) {
    if (!curves.count(curve)) Fail(where + ".curve_preferences", "unknown curve " + curve);
  }
  if (!tls.enabled()) return;
  // exporter-toolkit's validateTLSPaths and ConfigToTLSConfig checks, in its words.
  if (tls.cert.empty() && tls.cert_file.empty()) Fail(where, "missing one of cert or cert_file");
  if (tls.key.empty() && tls.key_file.empty()) Fail(where, "missing one of key or key_file");
  if (!tls.cert.empty() && !tls.cert_file.empty()) Fail(where, "cert and cert_file are both given");
  if (!tls.key.empty() && !tls.key_file.empty()) Fail(where, "key and key_file are both given");
  if (!tls.client_ca.empty() && !tls.client_ca_file.empty()) Fail(where, "client_ca and client_ca_file are both given");
  bool has_ca = !tls.client_ca.empty() || !tls.client_ca_file.empty();
  if (has_ca && tls.client_auth == ClientAuth::kNoClientCert) {
    Fail(where, "client CA's have been configured without a Client Auth Policy");
  }
  if (tls.min_version > tls.max_version) Fail(where, "min_version is above max_version");
}

}  // namespace

bool TlsServerConfig::enabled() const {
  return !cert.empty() || !cert_file.empty() || !key.empty() || !key_file.empty() || !client_ca.empty() ||
         !client_ca_file.empty() || client_auth != ClientAuth::kNoClientCert;
}

WebConfig ParseWebConfig(std::string_view text, std::string_view directory) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    throw ParseError("line " + std::to_string(error.mark.line + 1) + ": " + error.msg);
  }
  WebConfig config;
  ForEachEntry(root, "web configuration", {"tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"},
               [&](const std::string& key, const YAML::Node& value) {
                 if (key == "tls_server_config") ParseTls(value, directory, config.tls);
                 if (key == "rate_limit") Fail(key, "not supported by wgtune");
                 if (key == "http_server_config") {
                   ForEachEntry(value, key, {"http2", "headers"}, [&](const std::string& field, const YAML::Node& node) {
                     if (field == "http2") config.http2 = Bool(node, key + ".http2");
                     if (field != "headers") return;
                     ForEachEntry(node, key + ".headers", {}, [&](const std::string& name, const YAML::Node& header) {
                       std::string at = key + ".headers." + name;
                       auto allowed = AllowedHeaders().find(name);
                       if (allowed == AllowedHeaders().end()) Fail(at, "this HTTP header can not be configured");
                       std::string header_value = String(header, at);
                       const auto& values = allowed->second;
                       if (!values.empty() && std::find(values.begin(), values.end(), header_value) == values.end()) {
                         std::string expected;
                         for (const auto& v : values) expected += (expected.empty() ? "" : ", ") + v;
                         Fail(at, "invalid value " + header_value + ", expected one of: " + expected);
                       }
                       config.headers.emplace_back(name, header_value);
                     });
                   });
                 }
                 if (key == "basic_auth_users") {
                   ForEachEntry(value, key, {}, [&](const std::string& user, const YAML::Node& hash) {
                     std::string at = key + "." + user;
                     std::string text = String(hash, at);
                     if (!IsBcryptHash(text)) Fail(at, "not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31)");
                     config.basic_auth_users[user] = text;
                   });
                 }
               });
  return config;
}

WebConfig ReadWebConfig(const std::string& path) {
  std::string text = ReadFile(path);
  size_t slash = path.rfind('/');
  std::string directory = slash == std::string::npos ? "" : path.substr(0, slash == 0 ? 1 : slash);
  try {
    return ParseWebConfig(text, directory);
  } catch (const ParseError& error) {
    throw ParseError(path + ": " + error.what());
  }
}

}  // namespace wgtune
