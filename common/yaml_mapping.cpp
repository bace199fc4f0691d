#include "common/yaml_mapping.h"

#include <openssl/tls1.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/errors.h"
#include "common/files.h"

namespace wgtune {

YAML::Node LoadYaml(std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    // yaml-cpp's marks count from 0.
    throw ParseError("line " + std::to_string(error.mark.line + 1) + ", column " + std::to_string(error.mark.column + 1) +
                     ": " + error.msg);
  }
}

YamlMapping::YamlMapping(const YAML::Node& node, std::string path, std::string_view contents)
    : node_(node), path_(std::move(path)) {
  if (node_.IsNull()) node_ = YAML::Node(YAML::NodeType::Map);
  if (!node_.IsMap()) Fail("must be a mapping" + (contents.empty() ? std::string() : " of " + std::string(contents)));
}

std::vector<std::string> YamlMapping::Keys() const {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) Fail("keys must be strings");
    std::string key = entry.first.Scalar();
    if (!seen.insert(key).second) Fail(key, "given twice");
    keys.push_back(std::move(key));
  }
  return keys;
}

void YamlMapping::Allow(std::initializer_list<std::string_view> known,
                        std::initializer_list<std::string_view> unsupported) const {
  for (const std::string& key : Keys()) {
    if (std::find(unsupported.begin(), unsupported.end(), key) != unsupported.end()) Fail(key, "not supported by wgtune");
    if (std::find(known.begin(), known.end(), key) == known.end()) Fail(key, "unknown key");
  }
}

std::string YamlMapping::String(std::string_view key) const {
  YAML::Node value = node_[std::string(key)];
  if (!value || value.IsNull()) return "";
  if (!value.IsScalar()) Fail(key, "must be a string");
  return value.Scalar();
}

std::optional<bool> YamlMapping::Bool(std::string_view key) const {
  YAML::Node value = node_[std::string(key)];
  if (!value || value.IsNull()) return std::nullopt;
  bool result = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result)) Fail(key, "must be true or false");
  return result;
}

std::vector<std::string> YamlMapping::Strings(std::string_view key) const {
  YAML::Node value = node_[std::string(key)];
  std::vector<std::string> out;
  if (!value || value.IsNull()) return out;
  if (!value.IsSequence()) Fail(key, "must be a list of strings");
  for (const auto& item : value) {
    if (!item.IsScalar()) Fail(key, "must be a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

std::optional<int> YamlMapping::TlsVersion(std::string_view key) const {
  static const std::map<std::string, int, std::less<>> kVersions = {
      {"TLS10", TLS1_VERSION}, {"TLS11", TLS1_1_VERSION}, {"TLS12", TLS1_2_VERSION}, {"TLS13", TLS1_3_VERSION}};
  YAML::Node value = node_[std::string(key)];
  if (!value || value.IsNull()) return std::nullopt;
  const std::string name = String(key);
  auto found = kVersions.find(name);
  if (found == kVersions.end()) Fail(key, "unknown TLS version " + name + " (TLS10, TLS11, TLS12, TLS13)");
  return found->second;
}

std::optional<YamlMapping> YamlMapping::Child(std::string_view key) const {
  YAML::Node value = node_[std::string(key)];
  if (!value || value.IsNull()) return std::nullopt;
  return YamlMapping(value, Path(key));
}

std::string YamlMapping::Path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void YamlMapping::Fail(const std::string& why) const { throw ParseError(path_.empty() ? why : path_ + ": " + why); }

void YamlMapping::Fail(std::string_view key, const std::string& why) const { throw ParseError(Path(key) + ": " + why); }

std::string ConfigRelativePath(std::string_view directory, const std::string& path) {
  if (path.empty() || path[0] == '/' || directory.empty()) return path;
  return JoinPath(directory, path);
}

std::string ConfigDirectory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return path.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace wgtune
