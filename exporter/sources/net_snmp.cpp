#include "exporter/sources/net_snmp.h"

#include <vector>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

[[noreturn]] void ThrowLineError(std::string_view file, size_t line_number, const std::string& what) {
  throw ParseError(std::string(file) + " line " + std::to_string(line_number) + ": " + what);
}

// Splits "Udp: InDatagrams NoPorts" into the protocol "Udp" and its fields.
std::string_view SplitProtocol(std::string_view line, size_t line_number, std::vector<std::string_view>& fields) {
  fields = SplitFields(line);
  if (fields.empty() || fields.front().size() < 2 || fields.front().back() != ':') {
    ThrowLineError("snmp", line_number, "want \"Proto: ...\", got \"" + std::string(line) + "\"");
  }
  std::string_view protocol = fields.front().substr(0, fields.front().size() - 1);
  fields.erase(fields.begin());
  return protocol;
}

}  // namespace

std::optional<int64_t> NetSnmp::Get(std::string_view protocol, std::string_view name) const {
  auto counters = protocols.find(protocol);
  if (counters == protocols.end()) return std::nullopt;
  auto counter = counters->second.find(name);
  if (counter == counters->second.end()) return std::nullopt;
  return counter->second;
}

NetSnmp ParseNetSnmp(std::string_view text) {
  std::vector<std::string_view> lines = SplitLines(text);
  if (lines.empty()) throw ParseError("snmp: empty file");
  NetSnmp snmp;
  std::vector<std::string_view> names;
  std::vector<std::string_view> values;
  for (size_t i = 0; i < lines.size(); i += 2) {
    std::string_view protocol = SplitProtocol(lines[i], i + 1, names);
    if (i + 1 == lines.size())
      ThrowLineError("snmp", i + 1, "\"" + std::string(protocol) + ":\" header without values line");
    std::string_view value_protocol = SplitProtocol(lines[i + 1], i + 2, values);
    if (value_protocol != protocol) {
      ThrowLineError(
          "snmp", i + 2,
          "values of \"" + std::string(value_protocol) + "\" after header of \"" + std::string(protocol) + "\"");
    }
    if (values.size() != names.size()) {
      ThrowLineError("snmp", i + 2,
                     std::string(protocol) + " has " + std::to_string(values.size()) + " values for " +
                         std::to_string(names.size()) + " names");
    }
    auto& counters = snmp.protocols[std::string(protocol)];
    for (size_t k = 0; k < names.size(); ++k) {
      std::optional<int64_t> value = ParseInt(values[k]);
      if (!value) {
        ThrowLineError("snmp", i + 2,
                       std::string(protocol) + " " + std::string(names[k]) + " \"" + std::string(values[k]) +
                           "\" is not an integer");
      }
      counters[std::string(names[k])] = *value;
    }
  }
  return snmp;
}

NetSnmp ParseNetSnmp6(std::string_view text) {
  NetSnmp snmp;
  size_t line_number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++line_number;
    std::vector<std::string_view> fields = SplitFields(line);
    if (fields.size() != 2) {
      ThrowLineError("snmp6", line_number, std::to_string(fields.size()) + " fields, want \"name value\"");
    }
    std::string_view name = fields[0];
    size_t six = name.find('6');
    if (six == std::string_view::npos || six == 0 || six + 1 == name.size()) {
      ThrowLineError("snmp6", line_number, "\"" + std::string(name) + "\" does not start with a protocol such as Udp6");
    }
    std::optional<int64_t> value = ParseInt(fields[1]);
    if (!value)
      ThrowLineError("snmp6", line_number, std::string(name) + " \"" + std::string(fields[1]) + "\" is not an integer");
    snmp.protocols[std::string(name.substr(0, six + 1))][std::string(name.substr(six + 1))] = *value;
  });
  if (line_number == 0) throw ParseError("snmp6: empty file");
  return snmp;
}

}  // namespace wgtune
