#include "common/toml_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace wgtune {

toml::table ParseTomlFile(const std::string& path) { return ParseTomlText(ReadTomlFile(path), path); }

std::string ReadTomlFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TomlFileError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw TomlFileError("cannot read " + path + ": " + std::strerror(errno));
  return std::move(content).str();
}

toml::table ParseTomlText(std::string_view text, const std::string& path) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    throw TomlFileError(TomlPosition(path, error.source()) + ": " + std::string(error.description()));
  }
}

std::string TomlPosition(const std::string& path, const toml::source_region& source) {
  return path + ":" + std::to_string(source.begin.line) + ":" + std::to_string(source.begin.column);
}

}  // namespace wgtune
