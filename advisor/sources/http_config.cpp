#include "advisor/sources/http_config.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "common/errors.h"
#include "common/text.h"
#include "common/yaml_mapping.h"

namespace wgtune {
namespace {

// Prometheus's reservedHeaders: set by the client itself, or by an authentication setting.
bool ReservedHeader(std::string_view name) {
  static const std::set<std::string, std::less<>> kReserved = {
      "authorization", "host", "content-encoding", "content-length", "content-type", "user-agent", "connection",
      "keep-alive", "proxy-authenticate", "proxy-authorization", "www-authenticate", "accept-encoding",
      "x-prometheus-remote-write-version", "x-prometheus-remote-read-version", "x-prometheus-scrape-timeout-seconds",
      "upgrade", "trailer", "te", "transfer-encoding"};
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kReserved.count(lower) > 0 || StartsWith(lower, "sec-websocket-");
}

bool ValidHeaderName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
  });
}

[[noreturn]] void Fail(const std::string& why) { throw ParseError(why); }

std::string ReadSecretFile(const std::string& source, const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  if (in) content << in.rdbuf();
  if (!in || in.bad()) {
    throw HttpConfigError(source + ": " + key + " " + path + ": " + std::strerror(errno ? errno : EIO));
  }
  return std::string(Trim(content.str()));
}

std::string Resolve(const HttpClientConfig& config, const std::string& key, const SecretSource& secret) {
  return secret.file.empty() ? secret.value : ReadSecretFile(config.source, key + "_file", secret.file);
}

std::string Base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  out.resize(static_cast<size_t>(length));
  return out;
}

// An inline value or a file, at most one of them: "at most one of basic_auth password &
// password_file must be configured".
SecretSource ReadSecretPair(const YamlMapping& map, std::string_view key, const std::string& directory) {
  SecretSource secret{map.String(key), ConfigRelativePath(directory, map.String(std::string(key) + "_file"))};
  if (!secret.value.empty() && !secret.file.empty()) {
    Fail("at most one of " + map.Path(key) + " & " + std::string(key) + "_file must be configured");
  }
  return secret;
}

}  // namespace

HttpClientConfig ParseHttpClientConfig(std::string_view text, const std::string& file_name) {
  HttpClientConfig config;
  config.source = file_name;
  const std::string directory = ConfigDirectory(file_name);
  // Every message is "<file>: <key path>: <why>", in HttpConfigError.
  try {
    YamlMapping top(LoadYaml(text), "", "http_config keys");
    top.Allow({"basic_auth", "authorization", "bearer_token", "bearer_token_file", "tls_config", "follow_redirects",
               "enable_http2", "http_headers"},
              {"oauth2", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"});

    if (auto basic = top.Child("basic_auth")) {
      basic->Allow({"username", "username_file", "password", "password_file"}, {"username_ref", "password_ref"});
      config.basic_auth_username = ReadSecretPair(*basic, "username", directory);
      config.basic_auth_password = ReadSecretPair(*basic, "password", directory);
    }
    const SecretSource bearer = ReadSecretPair(top, "bearer_token", directory);
    if (bearer.IsSet() && config.HasBasicAuth()) {
      Fail("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
    }
    if (auto authorization = top.Child("authorization")) {
      authorization->Allow({"type", "credentials", "credentials_file"}, {"credentials_ref"});
      if (bearer.IsSet()) Fail("authorization is not compatible with bearer_token & bearer_token_file");
      config.authorization_credentials = ReadSecretPair(*authorization, "credentials", directory);
      config.authorization_type = std::string(Trim(authorization->String("type")));
      if (config.authorization_type.empty()) config.authorization_type = "Bearer";
      std::string lower = config.authorization_type;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "basic") Fail("authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
      if (config.HasBasicAuth()) Fail("at most one of basic_auth, oauth2 & authorization must be configured");
    } else if (bearer.IsSet()) {
      config.authorization_type = "Bearer";
      config.authorization_credentials = bearer;
    }

    if (auto tls = top.Child("tls_config")) {
      tls->Allow({"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version",
                  "max_version"},
                 {"ca", "cert", "key", "ca_ref", "cert_ref", "key_ref", "next_protos"});
      config.tls.ca_file = ConfigRelativePath(directory, tls->String("ca_file"));
      config.tls.cert_file = ConfigRelativePath(directory, tls->String("cert_file"));
      config.tls.key_file = ConfigRelativePath(directory, tls->String("key_file"));
      config.tls.server_name = tls->String("server_name");
      config.tls.insecure_skip_verify = tls->Bool("insecure_skip_verify").value_or(false);
      config.tls.min_version = tls->TlsVersion("min_version").value_or(0);
      config.tls.max_version = tls->TlsVersion("max_version").value_or(0);
      if (!config.tls.cert_file.empty() && config.tls.key_file.empty()) {
        Fail("exactly one of key or key_file must be configured when a client certificate is configured");
      }
      if (!config.tls.key_file.empty() && config.tls.cert_file.empty()) {
        Fail("exactly one of cert or cert_file must be configured when a client key is configured");
      }
      if (config.tls.min_version != 0 && config.tls.max_version != 0 && config.tls.max_version < config.tls.min_version) {
        Fail("tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified");
      }
    }
    config.follow_redirects = top.Bool("follow_redirects").value_or(true);
    top.Bool("enable_http2");  // checked for its type; HTTP/2 is not spoken either way

    if (auto headers = top.Child("http_headers")) {
      for (const std::string& name : headers->Keys()) {
        HttpHeaderConfig header;
        header.name = name;
        if (!ValidHeaderName(name)) headers->Fail(name, "not a valid header name");
        if (ReservedHeader(name)) Fail("setting header \"" + name + "\" is not allowed");
        if (auto one = headers->Child(name)) {
          one->Allow({"values", "secrets", "files"});
          header.values = one->Strings("values");
          header.secrets = one->Strings("secrets");
          for (const std::string& file : one->Strings("files")) header.files.push_back(ConfigRelativePath(directory, file));
        }
        config.headers.push_back(std::move(header));
      }
    }
  } catch (const ParseError& error) {
    throw HttpConfigError(file_name + ": " + error.what());
  }
  return config;
}

HttpClientConfig LoadHttpClientConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw HttpConfigError(path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  HttpClientConfig config = ParseHttpClientConfig(text.str(), path);
  // Once at startup, so that a wrong path is refused before the first request needs it.
  RequestHeaders(config);
  const std::pair<const char*, const std::string*> tls_files[] = {
      {"tls_config.ca_file", &config.tls.ca_file}, {"tls_config.cert_file", &config.tls.cert_file},
      {"tls_config.key_file", &config.tls.key_file}};
  for (const auto& [key, file] : tls_files) {
    if (!file->empty()) ReadSecretFile(path, key, *file);
  }
  return config;
}

std::vector<std::pair<std::string, std::string>> RequestHeaders(const HttpClientConfig& config) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (config.HasBasicAuth()) {
    const std::string user = Resolve(config, "basic_auth.username", *config.basic_auth_username);
    const std::string password = Resolve(config, "basic_auth.password", config.basic_auth_password);
    headers.emplace_back("Authorization", "Basic " + Base64(user + ":" + password));
  } else if (config.HasAuthorization()) {
    const std::string credentials = Resolve(config, "authorization.credentials", config.authorization_credentials);
    headers.emplace_back("Authorization", config.authorization_type + " " + credentials);
  }
  for (const HttpHeaderConfig& header : config.headers) {
    for (const std::string& value : header.values) headers.emplace_back(header.name, value);
    for (const std::string& value : header.secrets) headers.emplace_back(header.name, value);
    for (const std::string& file : header.files) {
      headers.emplace_back(header.name, ReadSecretFile(config.source, "http_headers." + header.name + ".files", file));
    }
  }
  return headers;
}

}  // namespace wgtune
