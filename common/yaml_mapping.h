// Strict reading of a YAML configuration file, as Go's yaml.UnmarshalStrict reads one: the one
// reader of both YAML formats wgtune accepts, exporter-toolkit's web configuration
// (common/web_config.h) and Prometheus's http_config (advisor/sources/http_config.h).
//
// A YamlMapping is one mapping of the document and the key path that leads to it
// ("tls_config", "http_headers.X-A"). Allow() refuses a key it does not know and a key given
// twice; the typed getters read one key, absent or null being "not given"; Child() descends.
// Every error is a ParseError whose message starts with the key path it is about
// ("tls_config.cafile: unknown key", "basic_auth.username: must be a string") and never
// contains a value, since values may be secrets. The caller adds the file name, and may
// rethrow the message as its own error type.
//
// Also here, because both formats share them: TLS version names (TLS10..TLS13, Go's
// crypto/tls names as both formats spell them) as OpenSSL's protocol versions, and relative
// file names taken from the configuration file's directory (Prometheus's config.JoinDir).
//
// A YamlMapping holds a reference-counted handle to its node (yaml-cpp's): it may outlive the
// mapping it came from. Reentrant; an instance is not shared between threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

// Parses YAML text. Throws ParseError "line L, column C: <yaml-cpp's reason>".
YAML::Node LoadYaml(std::string_view text);

class YamlMapping {
 public:
  // `node` must be a mapping; null is the empty mapping. `path` is its key path, "" for the
  // document itself; `contents` names what the document maps ("http_config keys"), for the
  // message when it is not a mapping. Throws ParseError "<path>: must be a mapping".
  YamlMapping(const YAML::Node& node, std::string path, std::string_view contents = "");

  // Refuses a key that is not a string, given twice, in `unsupported` ("<path.key>: not
  // supported by wgtune": a setting of the format wgtune does not implement, refused rather
  // than ignored) or not in `known` ("<path.key>: unknown key").
  void Allow(std::initializer_list<std::string_view> known,
             std::initializer_list<std::string_view> unsupported = {}) const;

  // Every key in document order, for a mapping whose keys are names (users, headers). Refuses
  // a key that is not a string or is given twice.
  std::vector<std::string> Keys() const;

  // The scalar at `key`; "" when absent or null. Throws when it is not a scalar.
  std::string String(std::string_view key) const;
  // true/false (and YAML's other spellings yaml-cpp accepts); nullopt when absent or null.
  std::optional<bool> Bool(std::string_view key) const;
  // A list of scalars; empty when absent or null.
  std::vector<std::string> Strings(std::string_view key) const;
  // TLS10, TLS11, TLS12, TLS13 as OpenSSL's TLS1_VERSION..TLS1_3_VERSION; nullopt when absent
  // or null. Any other text, "" included, is refused (as Go's TLSVersion unmarshalling).
  std::optional<int> TlsVersion(std::string_view key) const;
  // The mapping at `key`; nullopt when absent or null. Throws when it is not a mapping.
  std::optional<YamlMapping> Child(std::string_view key) const;

  // "<path>.<key>", or `key` at the top.
  std::string Path(std::string_view key) const;
  // Throws ParseError "<path>: <why>" ("<why>" at the top).
  [[noreturn]] void Fail(const std::string& why) const;
  // Throws ParseError "<path.key>: <why>".
  [[noreturn]] void Fail(std::string_view key, const std::string& why) const;

 private:
  YAML::Node node_;
  std::string path_;
};

// `path` as given when it is absolute, empty, or `directory` is empty; else under `directory`
// (the configuration file's). Prometheus's config.JoinDir, exporter-toolkit's too.
std::string ConfigRelativePath(std::string_view directory, const std::string& path);

// The directory of the file at `path`, for ConfigRelativePath: "" when it has none, "/" for a
// file in the root.
std::string ConfigDirectory(const std::string& path);

}  // namespace wgtune
