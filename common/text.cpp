#include "common/text.h"

#include <algorithm>
#include <charconv>

namespace wgtune {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

template <typename Number>
std::optional<Number> ParseWhole(std::string_view field, int base) {
  Number value{};
  const char* end = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(field.data(), end, value, base);
  if (ec != std::errc() || ptr != end || field.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    size_t pos = text.find(separator);
    parts.push_back(text.substr(0, pos));
    if (pos == std::string_view::npos) break;
    text.remove_prefix(pos + 1);
  }
  return parts;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  ForEachLine(text, [&](std::string_view line) { lines.push_back(line); });
  return lines;
}

std::optional<uint64_t> ParseUint(std::string_view field) { return ParseWhole<uint64_t>(field, 10); }
std::optional<int64_t> ParseInt(std::string_view field) { return ParseWhole<int64_t>(field, 10); }
std::optional<uint64_t> ParseHex(std::string_view field) { return ParseWhole<uint64_t>(field, 16); }

std::optional<double> ParseDouble(std::string_view field) {
  double value = 0;
  const char* end = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(field.data(), end, value);
  if (ec != std::errc() || ptr != end || field.empty()) return std::nullopt;
  return value;
}

void AppendEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string FormatSeconds(double seconds) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, seconds);
  return std::string(buffer, result.ptr) + "s";
}

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string GoQuote(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\x";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void AppendUtf8(std::string& out, uint32_t code_point) {
  if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) code_point = 0xFFFD;
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

GoLiteral ReadGoLiteral(std::string_view text, size_t start) {
  GoLiteral literal;
  const char quote = text[start];
  size_t pos = start + 1;
  auto fail = [&](GoLiteral::Error error, size_t offset, std::string detail = "") {
    literal.error = error;
    literal.error_offset = offset;
    literal.error_detail = std::move(detail);
    return literal;
  };
  // Exactly `count` digits in `base`, or nullopt (the detail names what was found).
  auto digits = [&](size_t escape, int count, int base) -> std::optional<uint32_t> {
    uint32_t value = 0;
    for (int i = 0; i < count; ++i, ++pos) {
      const char c = pos < text.size() ? text[pos] : '\0';
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : 99;
      if (digit >= base) {
        literal.error_detail = "expected " + std::to_string(count) + " base-" + std::to_string(base) +
                               " digits in escape sequence, found '" +
                               std::string(text.substr(escape, std::min(pos + 1, text.size()) - escape)) + "'";
        return std::nullopt;
      }
      value = value * static_cast<uint32_t>(base) + static_cast<uint32_t>(digit);
    }
    return value;
  };
  for (;;) {
    if (pos >= text.size() || text[pos] == '\n') return fail(GoLiteral::Error::kUnterminated, pos);
    const char c = text[pos++];
    if (c == quote) break;
    if (c != '\\') {
      literal.value += c;
      continue;
    }
    const size_t escape = pos - 1;
    const char e = pos < text.size() ? text[pos++] : '\0';
    std::optional<uint32_t> code;
    switch (e) {
      case 'a': literal.value += '\a'; continue;
      case 'b': literal.value += '\b'; continue;
      case 'f': literal.value += '\f'; continue;
      case 'n': literal.value += '\n'; continue;
      case 'r': literal.value += '\r'; continue;
      case 't': literal.value += '\t'; continue;
      case 'v': literal.value += '\v'; continue;
      case '\\': literal.value += '\\'; continue;
      case 'x':
        if (!(code = digits(escape, 2, 16))) return fail(GoLiteral::Error::kBadEscape, escape, literal.error_detail);
        literal.value += static_cast<char>(*code);
        continue;
      case 'u':
      case 'U':
        if (!(code = digits(escape, e == 'u' ? 4 : 8, 16))) {
          return fail(GoLiteral::Error::kBadEscape, escape, literal.error_detail);
        }
        if (*code > 0x10FFFF || (*code >= 0xD800 && *code <= 0xDFFF)) {
          return fail(GoLiteral::Error::kBadEscape, escape, "expected a Unicode code point, found an escape beyond U+10FFFF");
        }
        AppendUtf8(literal.value, *code);
        continue;
      default: break;
    }
    if (e == quote) {
      literal.value += e;
    } else if (e >= '0' && e <= '7') {
      --pos;
      if (!(code = digits(escape, 3, 8))) return fail(GoLiteral::Error::kBadEscape, escape, literal.error_detail);
      if (*code > 255) return fail(GoLiteral::Error::kBadEscape, escape, "expected an octal escape up to \\377, found a larger one");
      literal.value += static_cast<char>(*code);
    } else {
      return fail(GoLiteral::Error::kBadEscape, escape,
                  "expected a valid escape sequence, found '\\" + (e == '\0' ? std::string() : std::string(1, e)) + "'");
    }
  }
  literal.end = pos;
  return literal;
}

}  // namespace wgtune
