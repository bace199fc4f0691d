// Structured logging for both programs, in the formats Prometheus components use.
//
// --log.format=logfmt (default) prints `ts=… level=info msg="…" key=value`, json prints one
// object per line; both on stderr through spdlog. Messages are short and constant; the
// variable parts go into fields, so that logs can be filtered by key.
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgtune {

using LogFields = std::vector<std::pair<std::string, std::string>>;

// level: debug|info|warn|error; format: logfmt|json. Throws std::invalid_argument otherwise.
void ConfigureLogging(const std::string& level, const std::string& format);

void Log(spdlog::level::level_enum level, std::string_view message, const LogFields& fields = {});

// One log line as text, without the timestamp (exposed for tests).
std::string FormatLogLine(std::string_view format, std::string_view timestamp, spdlog::level::level_enum level,
                          std::string_view message, const LogFields& fields);

}  // namespace wgtune
