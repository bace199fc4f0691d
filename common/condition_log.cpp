#include "common/condition_log.h"

#include <chrono>
#include <utility>

#include "common/text.h"

namespace wgtune {

ConditionLog::ConditionLog(Sink sink, ConditionLogOptions options) : sink_(std::move(sink)), options_(std::move(options)) {
  if (!sink_) {
    sink_ = [](spdlog::level::level_enum level, std::string_view message, const LogFields& fields) {
      Log(level, message, fields);
    };
  }
  if (!options_.clock) {
    options_.clock = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    };
  }
}

bool ConditionLog::Begin(const std::string& key, std::string_view message, const LogFields& fields,
                         const std::string& reason, spdlog::level::level_enum level) {
  auto [it, first] = failing_.try_emplace(key, Condition{reason, 0});
  if (first) it->second.since = options_.clock();
  bool news = first || (options_.reason_changes_are_news && it->second.reason != reason);
  if (news) it->second.reason = reason;
  LogFields all = fields;
  all.emplace_back("err", reason);
  sink_(news ? level : spdlog::level::debug, message, all);
  return news;
}

bool ConditionLog::End(const std::string& key, std::string_view message, const LogFields& fields) {
  auto it = failing_.find(key);
  if (it == failing_.end()) return false;
  LogFields all = fields;
  if (!options_.duration_field.empty()) {
    all.emplace_back(options_.duration_field, FormatSeconds(options_.clock() - it->second.since));
  }
  failing_.erase(it);
  sink_(spdlog::level::info, message, all);
  return true;
}

void ConditionLog::Retain(const std::set<std::string>& present) {
  std::erase_if(failing_, [&](const auto& entry) { return present.count(entry.first) == 0; });
}

}  // namespace wgtune
