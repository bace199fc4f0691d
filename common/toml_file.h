// Reading a TOML file the operator wrote (the exporter's --config.file and peer names, the
// advisor's rule files and site params), with errors that say where.
//
// toml++'s parse_file reports a missing file as "File could not be opened" at line 0, column 0;
// an operator needs "cannot read /etc/wgtune/x.toml: No such file or directory" instead, and a
// syntax error as "/etc/wgtune/x.toml:3:7: <what>", the form editors and compilers use.
#pragma once

#include <toml++/toml.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace wgtune {

class TomlFileError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Reads and parses `path`. Throws TomlFileError: "cannot read PATH: <strerror>" or
// "PATH:LINE:COLUMN: <description>".
toml::table ParseTomlFile(const std::string& path);

// The two halves of ParseTomlFile, for a caller that parses text it already has (the rule
// loader's ParseRuleFiles, fuzzed): the file's bytes, or TomlFileError "cannot read PATH: ...";
// the text parsed, `path` naming it in "PATH:LINE:COLUMN: <description>".
std::string ReadTomlFile(const std::string& path);
toml::table ParseTomlText(std::string_view text, const std::string& path);

// "PATH:LINE:COLUMN" of a node or error inside the file.
std::string TomlPosition(const std::string& path, const toml::source_region& source);

}  // namespace wgtune
