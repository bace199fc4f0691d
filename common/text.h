// Allocation-free helpers for parsing kernel text formats.
//
// The kernel prints fixed-format text: whitespace-separated fields, decimal or hex numbers,
// "key value" or "key=value" lines. These helpers split and convert with std::from_chars
// (no locale, no regex, no exceptions in the fast path) and are shared by every parser in
// exporter/sources/. Conversions return nullopt on anything that is not a complete number, so
// the caller decides whether that is a ParseError (a malformed file) or an absent value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

// Removes leading and trailing ASCII whitespace.
std::string_view Trim(std::string_view text);

// Splits on runs of ASCII whitespace; no empty fields.
std::vector<std::string_view> SplitFields(std::string_view line);

// Splits on a separator character, keeping empty fields ("a,,b" → 3 fields).
std::vector<std::string_view> Split(std::string_view text, char separator);

// Splits text into lines (without the '\n'); a trailing newline does not add an empty line.
std::vector<std::string_view> SplitLines(std::string_view text);

// Calls visit(line) for each line without building a vector: the hot-path form of SplitLines.
template <typename Visitor>
void ForEachLine(std::string_view text, Visitor&& visit) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    visit(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// Whole-field conversions. nullopt unless the entire field is a valid number in range.
std::optional<uint64_t> ParseUint(std::string_view field);
std::optional<int64_t> ParseInt(std::string_view field);
std::optional<uint64_t> ParseHex(std::string_view field);  // no "0x" prefix accepted
std::optional<double> ParseDouble(std::string_view field);

// Appends `value` with backslash, double quote and newline escaped as \\, \" and \n: the
// quoting of Prometheus label values and of logfmt values alike.
void AppendEscaped(std::string& out, std::string_view value);

// `value` in double quotes as Go's strconv.Quote writes ASCII text: \" \\ \a \b \f \n \r
// \t \v, other control bytes as \xNN, everything else (UTF-8 included) as is. PromQL string
// literals read it back, and Prometheus's error messages quote this way.
std::string GoQuote(std::string_view value);

// Appends the UTF-8 encoding of a code point; surrogates and values beyond U+10FFFF become
// U+FFFD, as Go encodes them.
void AppendUtf8(std::string& out, uint32_t code_point);

// A Go interpreted string literal ("...") or rune literal ('x'), read from text[start] (the
// opening quote) with the escapes of Go's strconv.Unquote: \a \b \f \n \r \t \v \\, the
// quote's own \" or \', \xHH, \ooo (up to \377), \uHHHH and \UHHHHHHHH (up to U+10FFFF).
// PromQL strings and template literals are both this syntax; each caller words its errors.
struct GoLiteral {
  enum class Error { kNone, kUnterminated, kBadEscape };
  std::string value;
  size_t end = 0;            // offset just past the closing quote
  Error error = Error::kNone;
  size_t error_offset = 0;   // the bad escape's backslash, or the newline or end that cut it off
  std::string error_detail;  // for a bad escape: what was expected and found
};
GoLiteral ReadGoLiteral(std::string_view text, size_t start);

// A duration as Prometheus flags write it: 5 → "5s", 1.5 → "1.5s".
std::string FormatSeconds(double seconds);

bool StartsWith(std::string_view text, std::string_view prefix);
bool EndsWith(std::string_view text, std::string_view suffix);

}  // namespace wgtune
