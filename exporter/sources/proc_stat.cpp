#include "exporter/sources/proc_stat.h"

#include <limits>
#include <string>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

constexpr size_t kMinValues = 4;

[[noreturn]] void Fail(size_t line_number, const std::string& what) {
  throw ParseError("stat line " + std::to_string(line_number) + ": " + what);
}

CpuTimes ParseTimes(const std::vector<std::string_view>& fields, size_t line_number) {
  const size_t count = fields.size() - 1;  // fields[0] is the "cpuN" label
  if (count < kMinValues) {
    Fail(line_number, std::string(fields[0]) + " has " + std::to_string(count) + " values, want at least " +
                          std::to_string(kMinValues));
  }
  std::vector<uint64_t> values;
  values.reserve(count);
  for (size_t i = 1; i < fields.size(); ++i) {
    std::optional<uint64_t> value = ParseUint(fields[i]);
    if (!value) {
      Fail(line_number, std::string(fields[0]) + " value " + std::to_string(i) + " \"" + std::string(fields[i]) +
                            "\" is not a number");
    }
    values.push_back(*value);
  }
  auto value = [&](size_t number) -> std::optional<uint64_t> {
    if (number > values.size()) return std::nullopt;
    return values[number - 1];
  };
  CpuTimes times;
  times.user = values[0];
  times.nice = values[1];
  times.system = values[2];
  times.idle = values[3];
  times.iowait = value(5);
  times.irq = value(6);
  times.softirq = value(7);
  times.steal = value(8);
  times.guest = value(9);
  times.guest_nice = value(10);
  return times;
}

}  // namespace

ProcStat ParseProcStat(std::string_view text) {
  ProcStat stat;
  bool have_total = false;
  size_t line_number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++line_number;
    if (!StartsWith(line, "cpu")) return;
    std::vector<std::string_view> fields = SplitFields(line);
    std::string_view label = fields[0];
    if (label == "cpu") {
      stat.total = ParseTimes(fields, line_number);
      have_total = true;
      return;
    }
    std::optional<uint64_t> cpu = ParseUint(label.substr(3));
    if (!cpu || *cpu > std::numeric_limits<unsigned>::max()) {
      Fail(line_number, "\"" + std::string(label) + "\" is neither cpu nor cpuN");
    }
    stat.cpus.push_back({static_cast<unsigned>(*cpu), ParseTimes(fields, line_number)});
  });
  if (!have_total) throw ParseError("stat: no aggregate \"cpu\" line");
  return stat;
}

}  // namespace wgtune
