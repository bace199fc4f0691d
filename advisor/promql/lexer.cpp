#include "advisor/promql/lexer.h"

#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>

#include "common/duration.h"
#include "common/errors.h"
#include "common/text.h"

namespace wgtune::promql {
namespace {

[[noreturn]] void Fail(size_t position, const std::string& message) {
  throw ParseError("position " + std::to_string(position) + ": " + message);
}

bool IsIdentifierStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsIdentifierChar(char c) {
  return IsIdentifierStart(c) || std::isdigit(static_cast<unsigned char>(c));
}
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }
bool IsHexDigit(char c) { return std::isxdigit(static_cast<unsigned char>(c)); }

std::string Lower(std::string_view word) {
  std::string out(word);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<TokenKind> Keyword(std::string_view lowered) {
  struct Entry {
    std::string_view word;
    TokenKind kind;
  };
  static constexpr Entry kKeywords[] = {
      {"and", TokenKind::kAnd},           {"or", TokenKind::kOr},
      {"unless", TokenKind::kUnless},     {"bool", TokenKind::kBool},
      {"on", TokenKind::kOn},             {"ignoring", TokenKind::kIgnoring},
      {"group_left", TokenKind::kGroupLeft}, {"group_right", TokenKind::kGroupRight},
      {"by", TokenKind::kBy},             {"without", TokenKind::kWithout},
  };
  for (const Entry& entry : kKeywords) {
    if (entry.word == lowered) return entry.kind;
  }
  return std::nullopt;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : source_(source) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      if (pos_ >= source_.size()) break;
      tokens.push_back(Next());
    }
    tokens.push_back(Token{TokenKind::kEnd, source_.size(), {}, {}, 0});
    return tokens;
  }

 private:
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < source_.size() ? source_[pos_ + ahead] : '\0';
  }

  void SkipSpaceAndComments() {
    while (pos_ < source_.size()) {
      char c = source_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < source_.size() && source_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  Token Make(TokenKind kind, size_t start) {
    return Token{kind, start, source_.substr(start, pos_ - start), {}, 0};
  }

  Token Next() {
    size_t start = pos_;
    char c = Peek();
    if (in_brackets_) return InBrackets();
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return Number();
    if (IsIdentifierStart(c)) return Word();
    if (c == '"' || c == '\'') return QuotedString(c);
    if (c == '`') return RawString();

    auto single = [&](TokenKind kind) {
      ++pos_;
      return Make(kind, start);
    };
    auto pair = [&](char second, TokenKind two, TokenKind one) {
      if (Peek(1) == second) {
        pos_ += 2;
        return Make(two, start);
      }
      ++pos_;
      return Make(one, start);
    };
    switch (c) {
      case '(': return single(TokenKind::kLeftParen);
      case ')': return single(TokenKind::kRightParen);
      case '{': return single(TokenKind::kLeftBrace);
      case '}': return single(TokenKind::kRightBrace);
      case ',': return single(TokenKind::kComma);
      case '+': return single(TokenKind::kAdd);
      case '-': return single(TokenKind::kSub);
      case '*': return single(TokenKind::kMul);
      case '/': return single(TokenKind::kDiv);
      case '%': return single(TokenKind::kMod);
      case '^': return single(TokenKind::kPow);
      case '<': return pair('=', TokenKind::kLessEqual, TokenKind::kLess);
      case '>': return pair('=', TokenKind::kGreaterEqual, TokenKind::kGreater);
      case '=':
        if (Peek(1) == '=') return pair('=', TokenKind::kEqual, TokenKind::kAssign);
        return pair('~', TokenKind::kRegexMatch, TokenKind::kAssign);
      case '!':
        if (Peek(1) == '=') return pair('=', TokenKind::kNotEqual, TokenKind::kNotEqual);
        if (Peek(1) == '~') return pair('~', TokenKind::kRegexNoMatch, TokenKind::kRegexNoMatch);
        Fail(start, "expected '!=' or '!~', found '!'");
      case '[':
        in_brackets_ = true;
        return single(TokenKind::kLeftBracket);
      case ']': return single(TokenKind::kRightBracket);
      case '@':
        Fail(start, "expected an instant expression, found '@' (the @ modifier is not supported)");
      default:
        Fail(start, std::string("expected a token, found unexpected character '") + c + "'");
    }
  }

  Token Number() {
    size_t start = pos_;
    bool hex = Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X') && IsHexDigit(Peek(2));
    if (hex) {
      pos_ += 2;
      while (IsHexDigit(Peek())) ++pos_;
    } else {
      while (IsDigit(Peek())) ++pos_;
      if (Peek() == '.') {
        ++pos_;
        while (IsDigit(Peek())) ++pos_;
      }
      // Only consume an exponent that has digits, so "1e" is reported as "1" followed by junk.
      if (Peek() == 'e' || Peek() == 'E') {
        size_t digits = (Peek(1) == '+' || Peek(1) == '-') ? 2 : 1;
        if (IsDigit(Peek(digits))) {
          pos_ += digits;
          while (IsDigit(Peek())) ++pos_;
        }
      }
    }
    // A duration outside a range ("5m" after offset, in Prometheus): say so rather than let the
    // letters become a separate, confusing identifier.
    if (IsIdentifierChar(Peek()) || Peek() == '.') {
      size_t end = pos_;
      while (end < source_.size() && (IsIdentifierChar(source_[end]) || source_[end] == '.')) ++end;
      Fail(start, "expected a number, found '" + std::string(source_.substr(start, end - start)) +
                      "' (a duration is only allowed as the range of a selector, x[5m])");
    }
    Token token = Make(TokenKind::kNumber, start);
    std::optional<double> value;
    if (hex) {
      if (auto parsed = ParseHex(token.raw.substr(2))) value = static_cast<double>(*parsed);
    } else {
      value = ParseDouble(token.raw);
    }
    if (!value) Fail(start, "expected a number in range, found '" + std::string(token.raw) + "'");
    token.number = *value;
    return token;
  }

  // Inside [...]: a duration, then ']'. A ':' would start a subquery's step.
  Token InBrackets() {
    const size_t start = pos_;
    const char c = Peek();
    if (c == ']') {
      in_brackets_ = false;
      ++pos_;
      return Make(TokenKind::kRightBracket, start);
    }
    if (c == ':') Fail(start, "expected ']' after the range, found ':' (subqueries are not supported)");
    if (!IsDigit(c)) {
      Fail(start, std::string("expected a duration such as 5m in the range, found '") + c + "'");
    }
    while (IsDigit(Peek()) || std::isalpha(static_cast<unsigned char>(Peek()))) ++pos_;
    Token token = Make(TokenKind::kDuration, start);
    std::optional<double> seconds = ParsePrometheusDuration(token.raw);
    if (!seconds) Fail(start, "expected a duration such as 30s, 5m or 1h30m, found '" + std::string(token.raw) + "'");
    token.number = *seconds;
    return token;
  }

  Token Word() {
    size_t start = pos_;
    while (IsIdentifierChar(Peek())) ++pos_;
    Token token = Make(TokenKind::kIdentifier, start);
    std::string lowered = Lower(token.raw);
    if (auto keyword = Keyword(lowered)) {
      token.kind = *keyword;
      token.text = lowered;
    } else if (lowered == "inf" || lowered == "nan") {
      token.kind = TokenKind::kNumber;
      token.number = lowered == "inf" ? std::numeric_limits<double>::infinity()
                                      : std::numeric_limits<double>::quiet_NaN();
    } else if (lowered == "offset") {
      Fail(start, "expected an instant expression, found 'offset' (offsets are not supported)");
    } else {
      token.text = std::string(token.raw);
    }
    return token;
  }

  Token QuotedString(char quote) {
    const size_t start = pos_;
    GoLiteral literal = ReadGoLiteral(source_, start);
    if (literal.error == GoLiteral::Error::kUnterminated) {
      Fail(start, "expected a closing " + std::string(1, quote) + ", found " +
                      (literal.error_offset >= source_.size() ? "end of input" : "a newline") +
                      " (unterminated quoted string)");
    }
    if (literal.error == GoLiteral::Error::kBadEscape) Fail(literal.error_offset, literal.error_detail);
    pos_ = literal.end;
    Token token = Make(TokenKind::kString, start);
    token.text = std::move(literal.value);
    return token;
  }

  Token RawString() {
    size_t start = pos_++;
    size_t end = source_.find('`', pos_);
    if (end == std::string_view::npos) {
      Fail(start, "expected a closing `, found end of input (unterminated raw string)");
    }
    pos_ = end + 1;
    Token token = Make(TokenKind::kString, start);
    token.text = std::string(source_.substr(start + 1, end - start - 1));
    return token;
  }

  std::string_view source_;
  size_t pos_ = 0;
  bool in_brackets_ = false;  // between '[' and ']', where durations live
};

}  // namespace

std::vector<Token> Lex(std::string_view source) { return Lexer(source).Run(); }

std::string DescribeToken(const Token& token) {
  if (token.kind == TokenKind::kEnd) return "end of input";
  return "'" + std::string(token.raw) + "'";
}

bool IsKeyword(TokenKind kind) { return kind >= TokenKind::kAnd; }

}  // namespace wgtune::promql
