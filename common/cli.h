// What both programs' command lines share: how a bad flag is reported, the logging flags, and
// flags that take a Prometheus duration.
//
// The contract of both programs (the operator's, and systemd's view of them): --help and
// --version print to standard output and exit 0; any bad flag, file or value prints one line
// naming it on standard error ("wgtune-exporter: --log.level: bogus not in {debug,info,warn,error}")
// and exits 2. CLI11's own exit codes (105, 109, ...) and its second line ("Run with --help for
// more information.") never reach the operator.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

namespace wgtune {

constexpr int kExitUsage = 2;

// The exit code for a CLI11 parse outcome: 0 after printing the help or version CLI11 was asked
// for, else kExitUsage after printing "<program>: <what is wrong>" on one line.
int ExitForParseError(const CLI::App& app, const CLI::ParseError& error, std::string_view program);

// One line for a bad value found after parsing (a file that cannot be read, a regex that does
// not compile): "<program>: <message>", exit kExitUsage.
int ExitForBadValue(std::string_view program, std::string_view message);

// --log.level (debug, info, warn, error) and --log.format (logfmt, json), validated at parse time.
void AddLoggingOptions(CLI::App& app, std::string& level, std::string& format);

// A validator for flags taking a Prometheus duration ("30s", "5m", "1h30m", "500ms"), with
// optional bounds in seconds that its message names when crossed.
CLI::Validator DurationValidator(double minimum_seconds = 0, double maximum_seconds = 0);

}  // namespace wgtune
