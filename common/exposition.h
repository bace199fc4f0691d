// A parser of the Prometheus text exposition format 0.0.4.
//
// The advisor scrapes exporters (wgtune's own and node_exporter) directly rather than going
// through a Prometheus server, so it needs to read what they serve. This is a pure function
// from text to structs, like the kernel-format parsers: no I/O, no regex, numbers through
// std::from_chars. It follows the reference Go parser (prometheus/common expfmt) where the
// format description is vague: blanks (space or tab) are allowed around every token, a
// trailing comma may end a label set, and unknown escape sequences are errors rather than
// being passed through, so a mangled scrape is reported instead of silently misread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgtune {

struct ExpositionSample {
  std::string name;
  // Sorted by label name, so two samples of one series compare equal whatever the order
  // the exporter wrote them in.
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

// What the # HELP and # TYPE lines say about one metric family, in order of first mention.
// A family named only by HELP is "untyped"; samples are not tied to families (a histogram's
// foo_bucket samples belong to family foo, and the caller knows which suffixes to strip).
struct ExpositionFamily {
  std::string name;
  std::string type;  // counter | gauge | histogram | summary | untyped
  std::string help;  // unescaped
};

struct Exposition {
  std::vector<ExpositionSample> samples;  // in the order of the text
  std::vector<ExpositionFamily> families;
};

// Throws ParseError("exposition line N: ...") on the first malformed line.
Exposition ParseExposition(std::string_view text);

}  // namespace wgtune
