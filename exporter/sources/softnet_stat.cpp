#include "exporter/sources/softnet_stat.h"

#include <limits>
#include <string>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

constexpr size_t kMinColumns = 9;

[[noreturn]] void Fail(size_t line_number, const std::string& what) {
  throw ParseError("softnet_stat line " + std::to_string(line_number) + ": " + what);
}

SoftnetStatRow ParseRow(const std::vector<std::string_view>& fields, size_t line_number) {
  std::vector<uint32_t> values;
  values.reserve(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    std::optional<uint64_t> value = ParseHex(fields[i]);
    if (!value || *value > std::numeric_limits<uint32_t>::max()) {
      Fail(line_number, "column " + std::to_string(i + 1) + " \"" + std::string(fields[i]) +
                            "\" is not a 32-bit hex number");
    }
    values.push_back(static_cast<uint32_t>(*value));
  }
  auto column = [&](size_t number) -> std::optional<uint32_t> {
    if (number > values.size()) return std::nullopt;
    return values[number - 1];
  };
  SoftnetStatRow row;
  row.columns = values.size();
  row.processed = values[0];
  row.dropped = values[1];
  row.time_squeeze = values[2];
  row.received_rps = column(10);
  row.flow_limit_count = column(11);
  row.backlog_len = column(12);
  row.cpu = column(13);
  row.input_qlen = column(14);
  row.process_qlen = column(15);
  return row;
}

}  // namespace

SoftnetStat ParseSoftnetStat(std::string_view text) {
  SoftnetStat stat;
  size_t line_number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++line_number;
    std::vector<std::string_view> fields = SplitFields(line);
    if (fields.empty()) return;
    if (fields.size() < kMinColumns) {
      Fail(line_number, std::to_string(fields.size()) + " fields, want at least " + std::to_string(kMinColumns));
    }
    stat.rows.push_back(ParseRow(fields, line_number));
  });
  if (stat.rows.empty()) throw ParseError("softnet_stat: no rows (want one per online CPU)");
  return stat;
}

}  // namespace wgtune
