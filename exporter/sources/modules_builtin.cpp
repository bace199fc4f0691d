#include "exporter/sources/modules_builtin.h"

#include <optional>
#include <vector>

#include "common/errors.h"
#include "common/text.h"
#include "exporter/sources/kernel_modules.h"

namespace wgtune {

std::set<std::string> ParseModulesBuiltin(std::string_view text) {
  std::set<std::string> names;
  size_t number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++number;
    std::vector<std::string_view> fields = SplitFields(line);
    if (fields.empty()) return;
    std::optional<std::string> name = fields.size() == 1 ? ModuleNameOfPath(fields[0], false) : std::nullopt;
    if (!name) {
      throw ParseError("modules.builtin line " + std::to_string(number) + ": \"" + std::string(Trim(line)) +
                       "\" is not one .ko path");
    }
    names.insert(std::move(*name));
  });
  return names;
}

}  // namespace wgtune
