#include "exporter/sources/kernel_modules.h"

#include "common/text.h"

namespace wgtune {

std::string NormalizeModuleName(std::string_view name) {
  std::string normalized(name);
  for (char& c : normalized) {
    if (c == '-') c = '_';
  }
  return normalized;
}

std::optional<std::string> ModuleNameOfPath(std::string_view path, bool compressed_allowed) {
  size_t slash = path.rfind('/');
  std::string_view file = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (std::string_view suffix : {".ko", ".ko.gz", ".ko.xz", ".ko.zst"}) {
    if (suffix != ".ko" && !compressed_allowed) break;
    if (EndsWith(file, suffix) && file.size() > suffix.size()) {
      return NormalizeModuleName(file.substr(0, file.size() - suffix.size()));
    }
  }
  return std::nullopt;
}

std::optional<bool> DecideKernelModuleAvailable(const KernelModuleEvidence& evidence) {
  if (evidence.loaded || evidence.in_sysfs || evidence.builtin == true || evidence.installed == true) return true;
  if (evidence.module_support) {
    if (evidence.builtin && evidence.installed) return false;
    return std::nullopt;
  }
  if (evidence.builtin) return false;
  return std::nullopt;
}

}  // namespace wgtune
