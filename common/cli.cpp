#include "common/cli.h"

#include <iostream>

#include "common/duration.h"

namespace wgtune {

int ExitForParseError(const CLI::App& app, const CLI::ParseError& error, std::string_view program) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    // --help, --help-all or --version: CLI11 prints them, to standard output.
    app.exit(error, std::cout, std::cerr);
    return 0;
  }
  return ExitForBadValue(program, error.what());
}

int ExitForBadValue(std::string_view program, std::string_view message) {
  std::string line(message);
  // One line, whatever the message holds (CLI11 joins some with newlines).
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << program << ": " << line << "\n";
  return kExitUsage;
}

void AddLoggingOptions(CLI::App& app, std::string& level, std::string& format) {
  app.add_option("--log.level", level, "Only log messages with the given severity or above: debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--log.format", format, "Output format of log messages: logfmt or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"logfmt", "json"}));
}

CLI::Validator DurationValidator(double minimum_seconds, double maximum_seconds) {
  return CLI::Validator(
      [minimum_seconds, maximum_seconds](std::string& text) -> std::string {
        std::optional<double> seconds = ParsePrometheusDuration(text);
        if (!seconds) return "not a duration such as 30s, 5m or 1h: " + text;
        if (*seconds < minimum_seconds) return text + " is shorter than " + FormatPrometheusDuration(minimum_seconds);
        if (maximum_seconds > 0 && *seconds > maximum_seconds) {
          return text + " is longer than " + FormatPrometheusDuration(maximum_seconds);
        }
        return "";
      },
      "DURATION");
}

}  // namespace wgtune
