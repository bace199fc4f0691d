#include "exporter/sources/modules_dep.h"

#include <optional>

#include "common/errors.h"
#include "common/text.h"
#include "exporter/sources/kernel_modules.h"

namespace wgtune {

std::set<std::string> ParseModulesDep(std::string_view text) {
  std::set<std::string> names;
  size_t number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++number;
    if (Trim(line).empty()) return;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      throw ParseError("modules.dep line " + std::to_string(number) + ": no ':' after the module's path");
    }
    std::string_view path = Trim(line.substr(0, colon));
    std::optional<std::string> name = ModuleNameOfPath(path, true);
    if (!name) {
      throw ParseError("modules.dep line " + std::to_string(number) + ": \"" + std::string(path) +
                       "\" is not a module file");
    }
    names.insert(std::move(*name));
  });
  return names;
}

}  // namespace wgtune
