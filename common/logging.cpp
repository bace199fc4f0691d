#include "common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/text.h"

namespace wgtune {
namespace {

std::string g_format = "logfmt";

std::string LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    default: return "error";
  }
}

// logfmt quotes a value that is empty or holds a space, quote, '=' or control character.
std::string LogfmtValue(std::string_view value) {
  bool quote = value.empty();
  for (char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\') quote = true;
  }
  if (!quote) return std::string(value);
  std::string out = "\"";
  AppendEscaped(out, value);
  return out + "\"";
}

std::string Now() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ", static_cast<int>(millis));
  return buffer;
}

}  // namespace

void ConfigureLogging(const std::string& level, const std::string& format) {
  if (format != "logfmt" && format != "json") throw std::invalid_argument("unknown log format " + format);
  auto parsed = spdlog::level::from_str(level);
  if (LevelName(parsed) != level) throw std::invalid_argument("unknown log level " + level);
  g_format = format;
  auto logger = std::make_shared<spdlog::logger>("wgtune", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

std::string FormatLogLine(std::string_view format, std::string_view timestamp, spdlog::level::level_enum level,
                          std::string_view message, const LogFields& fields) {
  if (format == "json") {
    nlohmann::ordered_json line;
    line["ts"] = timestamp;
    line["level"] = LevelName(level);
    line["msg"] = message;
    for (const auto& [key, value] : fields) line[key] = value;
    return line.dump();
  }
  std::string line = "ts=" + std::string(timestamp) + " level=" + LevelName(level) + " msg=" + LogfmtValue(message);
  for (const auto& [key, value] : fields) line += " " + key + "=" + LogfmtValue(value);
  return line;
}

void Log(spdlog::level::level_enum level, std::string_view message, const LogFields& fields) {
  if (!spdlog::should_log(level)) return;
  spdlog::log(level, "{}", FormatLogLine(g_format, Now(), level, message, fields));
}

}  // namespace wgtune
