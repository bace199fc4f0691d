#include "common/exposition.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <unordered_map>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLabelNameChar(char c, bool first) { return IsAlpha(c) || c == '_' || (!first && IsDigit(c)); }
bool IsMetricNameChar(char c, bool first) { return IsLabelNameChar(c, first) || c == ':'; }

// A cursor over one line. Every error goes through Fail so that each message carries the
// line number the same way.
class LineParser {
 public:
  LineParser(std::string_view line, size_t number) : line_(line), number_(number) {}

  [[noreturn]] void Fail(const std::string& what) const {
    throw ParseError("exposition line " + std::to_string(number_) + ": " + what);
  }

  bool AtEnd() const { return pos_ >= line_.size(); }
  char Peek() const { return AtEnd() ? '\0' : line_[pos_]; }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(line_[pos_])) ++pos_;
  }
  std::string_view Rest() const { return line_.substr(std::min(pos_, line_.size())); }

  // The longest run of name characters; empty if there is none.
  std::string_view Name(bool metric) {
    size_t start = pos_;
    while (!AtEnd() && (metric ? IsMetricNameChar(line_[pos_], pos_ == start)
                               : IsLabelNameChar(line_[pos_], pos_ == start))) {
      ++pos_;
    }
    return line_.substr(start, pos_ - start);
  }

  // A metric name that must end at a blank or the end of the line (HELP and TYPE lines).
  std::string_view CommentMetricName(std::string_view keyword) {
    SkipBlanks();
    std::string_view name = Name(true);
    if (name.empty() || (!AtEnd() && !IsBlank(Peek()))) {
      Fail("invalid metric name in # " + std::string(keyword) + " line");
    }
    return name;
  }

  // Characters up to the next blank or the end of the line.
  std::string_view Token() {
    size_t start = pos_;
    while (!AtEnd() && !IsBlank(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }

  // Unescapes `text`: \\ and \n always, \" only in label values (HELP text keeps quotes).
  std::string Unescape(std::string_view text, bool quotes) const {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '\\') {
        out += text[i];
        continue;
      }
      if (++i == text.size()) Fail("backslash at the end of the text");
      char c = text[i];
      if (c == '\\' || (quotes && c == '"')) {
        out += c;
      } else if (c == 'n') {
        out += '\n';
      } else {
        Fail(std::string("invalid escape sequence '\\") + c + "'");
      }
    }
    return out;
  }

  // A quoted label value, the opening quote already consumed.
  std::string QuotedValue() {
    size_t start = pos_;
    bool escaped = false;
    for (; !AtEnd(); ++pos_) {
      char c = line_[pos_];
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        std::string value = Unescape(line_.substr(start, pos_ - start), true);
        ++pos_;
        return value;
      }
    }
    Fail("unterminated label value");
  }

  // The label set, the opening brace already consumed; sorted, duplicates rejected.
  std::vector<std::pair<std::string, std::string>> Labels() {
    std::vector<std::pair<std::string, std::string>> labels;
    for (;;) {
      SkipBlanks();
      if (Peek() == '}') break;
      std::string_view name = Name(false);
      if (name.empty()) Fail("invalid label name at column " + std::to_string(pos_ + 1));
      SkipBlanks();
      if (Peek() != '=') Fail("expected '=' after label name \"" + std::string(name) + "\"");
      ++pos_;
      SkipBlanks();
      if (Peek() != '"') Fail("expected '\"' to start the value of label \"" + std::string(name) + "\"");
      ++pos_;
      labels.emplace_back(std::string(name), QuotedValue());
      SkipBlanks();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != '}') {
        Fail(AtEnd() ? "unterminated label set" : "expected ',' or '}' after label \"" + std::string(name) + "\"");
      }
    }
    ++pos_;  // the '}'
    std::sort(labels.begin(), labels.end());
    for (size_t i = 1; i < labels.size(); ++i) {
      if (labels[i].first == labels[i - 1].first) Fail("duplicate label \"" + labels[i].first + "\"");
    }
    return labels;
  }

  // A sample value as Go's strconv.ParseFloat spells it: from_chars already takes "NaN",
  // "Nan", "inf" in any case and exponents; a leading '+' ("+Inf") is the one thing to strip.
  double Value(std::string_view token) const {
    std::string_view number = token;
    if (!number.empty() && number.front() == '+') number.remove_prefix(1);
    bool negative = number == token && !number.empty() && number.front() == '-';
    std::string_view magnitude = number.substr(negative ? 1 : 0);
    // from_chars would also take "nan(chars)", and a second sign after a stripped '+'.
    if (magnitude.empty() || magnitude.front() == '+' || magnitude.front() == '-' ||
        magnitude.find('(') != std::string_view::npos) {
      Fail("invalid value \"" + std::string(token) + "\"");
    }
    double value = 0;
    const char* end = number.data() + number.size();
    auto [ptr, ec] = std::from_chars(number.data(), end, value);
    if (ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      Fail("invalid value \"" + std::string(token) + "\"");
    }
    if (ec == std::errc::result_out_of_range) {
      // Round as IEEE (and strtod) would rather than reject: RenderText's 16 significant
      // digits turn DBL_MAX into 1.797693134862316e+308, which is just past it.
      value = DecimalExponent(magnitude) > 0 ? std::numeric_limits<double>::infinity() : 0.0;
      if (negative) value = -value;
    }
    return value;
  }

  // Roughly log10 of a decimal literal that from_chars found out of range: positive means
  // it overflowed, otherwise it underflowed. Only the sign of the result matters.
  static long DecimalExponent(std::string_view literal) {
    size_t e = literal.find_first_of("eE");
    long exponent = 0;
    if (e != std::string_view::npos) {
      std::string_view digits = literal.substr(e + 1);
      if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
      // An exponent too long for int64 is far out of range either way.
      auto parsed = ParseInt(digits);
      exponent = parsed ? static_cast<long>(std::clamp<int64_t>(*parsed, -1000000, 1000000))
                        : (digits.substr(0, 1) == "-" ? -1000000 : 1000000);
      literal = literal.substr(0, e);
    }
    size_t point = std::min(literal.find('.'), literal.size());
    size_t first = literal.find_first_not_of("0.");
    if (first == std::string_view::npos) return -1;  // all zeros: cannot be out of range anyway
    // Digits before the point, or minus the zeros after it.
    long position = first < point ? static_cast<long>(point - first) : -static_cast<long>(first - point - 1);
    return position + exponent;
  }

  void Advance() { ++pos_; }

 private:
  std::string_view line_;
  size_t number_;
  size_t pos_ = 0;
};

}  // namespace

Exposition ParseExposition(std::string_view text) {
  Exposition exposition;
  // Family index by name, so HELP and TYPE (in either order) land in one entry and a second
  // HELP or TYPE for a family is caught, as the Go parser does.
  std::unordered_map<std::string, size_t> family_index;
  std::vector<std::pair<bool, bool>> seen;  // per family: HELP seen, TYPE seen
  auto family_for = [&](std::string_view name) -> size_t {
    auto [it, inserted] = family_index.try_emplace(std::string(name), exposition.families.size());
    if (inserted) {
      exposition.families.push_back(ExpositionFamily{std::string(name), "untyped", ""});
      seen.emplace_back(false, false);
    }
    return it->second;
  };

  size_t number = 0;
  ForEachLine(text, [&](std::string_view line) {
    LineParser p(line, ++number);
    p.SkipBlanks();
    if (p.AtEnd()) return;

    if (p.Peek() == '#') {
      // Go reads the keyword as the next token after '#' and blanks ("#HELP" counts too).
      p.Advance();
      p.SkipBlanks();
      std::string_view keyword = p.Token();
      if (keyword == "HELP") {
        std::string_view name = p.CommentMetricName(keyword);
        p.SkipBlanks();
        size_t index = family_for(name);
        if (seen[index].first) p.Fail("second HELP line for metric \"" + std::string(name) + "\"");
        seen[index].first = true;
        exposition.families[index].help = p.Unescape(p.Rest(), false);
      } else if (keyword == "TYPE") {
        std::string_view name = p.CommentMetricName(keyword);
        p.SkipBlanks();
        std::string_view type = p.Token();
        p.SkipBlanks();
        if (!p.AtEnd()) p.Fail("unexpected text after the type of \"" + std::string(name) + "\"");
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped") {
          p.Fail("unknown metric type \"" + std::string(type) + "\"");
        }
        size_t index = family_for(name);
        if (seen[index].second) p.Fail("second TYPE line for metric \"" + std::string(name) + "\"");
        seen[index].second = true;
        exposition.families[index].type = std::string(type);
      }
      return;  // any other comment is ignored
    }

    ExpositionSample sample;
    std::string_view name = p.Name(true);
    // Go would read "foo-1 2" as foo with value -1 at time 2; a name must end at a blank or '{'.
    if (name.empty() || (!p.AtEnd() && !IsBlank(p.Peek()) && p.Peek() != '{')) p.Fail("invalid metric name");
    sample.name = std::string(name);
    p.SkipBlanks();
    if (p.Peek() == '{') {
      p.Advance();
      sample.labels = p.Labels();
      p.SkipBlanks();
    }
    if (p.AtEnd()) p.Fail("no value for metric \"" + sample.name + "\"");
    sample.value = p.Value(p.Token());
    p.SkipBlanks();
    if (!p.AtEnd()) {
      std::string_view timestamp = p.Token();
      sample.timestamp_ms = ParseInt(timestamp);
      if (!sample.timestamp_ms) p.Fail("invalid timestamp \"" + std::string(timestamp) + "\"");
      p.SkipBlanks();
      if (!p.AtEnd()) p.Fail("unexpected text after the timestamp: \"" + std::string(p.Rest()) + "\"");
    }
    exposition.samples.push_back(std::move(sample));
  });
  return exposition;
}

}  // namespace wgtune
