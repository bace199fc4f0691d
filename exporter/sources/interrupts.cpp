#include "exporter/sources/interrupts.h"

#include <limits>
#include <optional>
#include <string>

#include "common/errors.h"
#include "common/text.h"
#include "exporter/sources/cpu_header.h"

namespace wgtune {
namespace {

[[noreturn]] void Fail(size_t line_number, const std::string& what) {
  throw ParseError("interrupts line " + std::to_string(line_number) + ": " + what);
}

// Handler names that 3.10-era kernels print fused to the chip name, without a space
// ("PCI-MSI-edge", "IO-APIC-fasteoi", Xen's "xen-dyn-event", "xen-pirq-msi-x"). Later
// kernels print them after the hwirq ("81921-edge") or alone ("-event"), where any name
// is recognised by its position, so only the fused form needs this list.
constexpr std::string_view kFusedFlows[] = {"edge", "fasteoi", "level", "event", "virq", "ipi", "msi", "msi-x"};

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Offset of `field`, a view into `text`, from the start of `text`.
size_t OffsetIn(std::string_view text, std::string_view field) {
  return static_cast<size_t>(field.data() - text.data());
}

// Where the flow token splits "chip [hwirq] flow  actions".
struct FlowToken {
  size_t chip_end;  // the chip (and hwirq) text ends here, an offset in the description
  size_t actions_begin;
  std::string chip_suffix;  // chip text fused to the flow ("PCI-MSI" of "PCI-MSI-edge")
  std::string hwirq;        // fused to the flow ("81921" of "81921-edge")
  std::string flow;
};

std::optional<FlowToken> FindFlow(std::string_view description) {
  std::vector<std::string_view> tokens = SplitFields(description);
  auto at = [&](std::string_view token, std::string chip_suffix, std::string hwirq, std::string flow) {
    size_t begin = OffsetIn(description, token);
    return FlowToken{begin, begin + token.size(), std::move(chip_suffix), std::move(hwirq), std::move(flow)};
  };
  for (std::string_view token : tokens) {
    if (token == "Edge" || token == "Level") return at(token, "", "", std::string(token));
    if (token.size() > 1 && token.front() == '-') return at(token, "", "", std::string(token.substr(1)));
    size_t dash = token.find('-');
    if (dash != std::string_view::npos && dash + 1 < token.size() && IsDigits(token.substr(0, dash))) {
      return at(token, "", std::string(token.substr(0, dash)), std::string(token.substr(dash + 1)));
    }
  }
  // Only then the fused form, so that a chip whose own name ends in "-msi" cannot hide a
  // hwirq-and-flow token after it.
  for (std::string_view token : tokens) {
    for (std::string_view flow : kFusedFlows) {
      if (token.size() > flow.size() + 1 && EndsWith(token, flow) && token[token.size() - flow.size() - 1] == '-') {
        return at(token, std::string(token.substr(0, token.size() - flow.size() - 1)), "", std::string(flow));
      }
    }
  }
  return std::nullopt;
}

// Sets row.chip from the text before the flow; its last word is the hwirq when it is a
// number and the hwirq was not fused to the flow ("ITS-MSI 81921 Edge", "MIPS   7  timer").
void SetChip(std::string_view chip, InterruptRow& row) {
  chip = Trim(chip);
  std::vector<std::string_view> words = SplitFields(chip);
  if (row.hwirq.empty() && words.size() > 1 && IsDigits(words.back())) {
    row.hwirq = std::string(words.back());
    chip = Trim(chip.substr(0, OffsetIn(chip, words.back())));
  }
  row.chip = std::string(chip);
}

// Fills chip, hwirq, flow and actions of a numbered row from the text after its counts.
void ParseDescription(std::string_view description, InterruptRow& row) {
  if (std::optional<FlowToken> flow = FindFlow(description)) {
    std::string_view chip = Trim(description.substr(0, flow->chip_end));
    if (!flow->chip_suffix.empty()) {
      row.chip = std::string(chip);
      if (!row.chip.empty()) row.chip += ' ';
      row.chip += flow->chip_suffix;
    } else {
      row.hwirq = flow->hwirq;
      SetChip(chip, row);
    }
    row.flow = flow->flow;
    row.actions = std::string(Trim(description.substr(flow->actions_begin)));
    return;
  }
  // No flow printed: the kernel puts two spaces before the action names ("  %s").
  description = Trim(description);
  size_t gap = description.rfind("  ");
  if (gap != std::string_view::npos) row.actions = std::string(Trim(description.substr(gap)));
  SetChip(description.substr(0, gap), row);
}

InterruptRow ParseRow(std::string_view line, size_t cpu_count, size_t line_number) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) Fail(line_number, "no ':' after the IRQ name");
  InterruptRow row;
  row.irq = std::string(Trim(line.substr(0, colon)));
  if (row.irq.empty()) Fail(line_number, "empty IRQ name before ':'");
  // The first colon of a row without one would be inside an action name ("mlx5_comp0@pci:...").
  if (SplitFields(row.irq).size() != 1) Fail(line_number, "no ':' after the IRQ name");
  row.numeric = IsDigits(row.irq);

  std::string_view rest = line.substr(colon + 1);
  std::vector<std::string_view> fields = SplitFields(rest);
  size_t description_begin = 0;
  row.counts.reserve(cpu_count);
  for (size_t i = 0; i < fields.size() && row.counts.size() < cpu_count; ++i) {
    std::optional<uint64_t> count = ParseUint(fields[i]);
    if (!count) {
      // Named rows may carry fewer counts than CPUs (ERR) and their description never
      // starts with a digit; a numbered row has exactly one count per CPU.
      if (!row.numeric && (fields[i][0] < '0' || fields[i][0] > '9')) break;
      Fail(line_number, "IRQ " + row.irq + ": field " + std::to_string(i + 1) + " \"" + std::string(fields[i]) +
                            "\" is not a count");
    }
    row.counts.push_back(*count);
    description_begin = OffsetIn(rest, fields[i]) + fields[i].size();
  }
  if (row.numeric && row.counts.size() < cpu_count) {
    Fail(line_number, "IRQ " + row.irq + ": " + std::to_string(row.counts.size()) + " counts, want " +
                          std::to_string(cpu_count) + " (one per CPU of the header)");
  }
  std::string_view description = rest.substr(description_begin);
  if (row.numeric) {
    ParseDescription(description, row);
  } else {
    row.actions = std::string(Trim(description));
  }
  return row;
}

}  // namespace

ProcInterrupts ParseInterrupts(std::string_view text) {
  ProcInterrupts table;
  table.cpus = ForEachCpuTableRow("interrupts", text, [&](std::string_view line, size_t cpus, size_t line_number) {
    table.rows.push_back(ParseRow(line, cpus, line_number));
  });
  return table;
}

}  // namespace wgtune
