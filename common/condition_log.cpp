#include "common/condition_log.h"

#include <utility>

namespace wgtune {

ConditionLog::ConditionLog(Sink sink) : sink_(std::move(sink)) {
  if (!sink_) {
    sink_ = [](spdlog::level::level_enum level, std::string_view message, const LogFields& fields) {
      Log(level, message, fields);
    };
  }
}

bool ConditionLog::Begin(const std::string& key, std::string_view message, const LogFields& fields,
                         const std::string& reason, spdlog::level::level_enum level) {
  auto [it, first] = reasons_.try_emplace(key, reason);
  bool news = first || it->second != reason;
  it->second = reason;
  LogFields all = fields;
  all.emplace_back("err", reason);
  sink_(news ? level : spdlog::level::debug, message, all);
  return news;
}

bool ConditionLog::End(const std::string& key, std::string_view message, const LogFields& fields) {
  if (reasons_.erase(key) == 0) return false;
  sink_(spdlog::level::info, message, fields);
  return true;
}

void ConditionLog::Retain(const std::set<std::string>& present) {
  std::erase_if(reasons_, [&](const auto& entry) { return present.count(entry.first) == 0; });
}

}  // namespace wgtune
