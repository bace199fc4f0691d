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

namespace wgtune {

class TomlFileError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Reads and parses `path`. Throws TomlFileError: "cannot read PATH: <strerror>" or
// "PATH:LINE:COLUMN: <description>".
toml::table ParseTomlFile(const std::string& path);

// "PATH:LINE:COLUMN" of a node or error inside the file.
std::string TomlPosition(const std::string& path, const toml::source_region& source);

}  // namespace wgtune
