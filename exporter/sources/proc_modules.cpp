#include "exporter/sources/proc_modules.h"

#include <vector>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {

std::set<std::string> ParseProcModules(std::string_view text) {
  std::set<std::string> names;
  size_t number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++number;
    if (Trim(line).empty()) return;
    std::vector<std::string_view> fields = SplitFields(line);
    auto fail = [&](const std::string& what) {
      throw ParseError("modules line " + std::to_string(number) + ": " + what);
    };
    if (fields.size() < 6) fail(std::to_string(fields.size()) + " fields, want at least 6");
    if (!ParseUint(fields[1])) fail("size \"" + std::string(fields[1]) + "\" is not a number");
    if (fields[4] != "Live" && fields[4] != "Loading" && fields[4] != "Unloading") {
      fail("unknown state \"" + std::string(fields[4]) + "\"");
    }
    names.emplace(fields[0]);
  });
  return names;
}

}  // namespace wgtune
