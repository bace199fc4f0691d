// Splits PromQL source into tokens.
//
// Follows prometheus/promql/parser/lex.go for the subset the advisor needs: keywords are
// case-insensitive ("AND", "By"), Inf and NaN are numbers, '#' starts a comment to the end of
// the line, quoted strings decode Go-style escapes and backquoted strings are raw. Durations
// exist only between '[' and ']' (the range of a selector, x[5m]); '@', offset and subqueries
// ([5m:1m]) are rejected here, since rules evaluated at one instant have no use for them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune::promql {

enum class TokenKind {
  kEnd,
  kIdentifier,  // metric names, label names, function and aggregation names
  kNumber,
  kString,
  kLeftParen, kRightParen, kLeftBrace, kRightBrace, kComma,
  kLeftBracket, kRightBracket,
  kDuration,  // only between brackets; number holds it in seconds (exact to the millisecond)
  kAssign,        // =  (only inside label matchers)
  kRegexMatch,    // =~
  kRegexNoMatch,  // !~
  kAdd, kSub, kMul, kDiv, kMod, kPow,
  kEqual, kNotEqual, kLessEqual, kLess, kGreaterEqual, kGreater,
  // Keywords.
  kAnd, kOr, kUnless, kBool, kOn, kIgnoring, kGroupLeft, kGroupRight, kBy, kWithout,
};

struct Token {
  TokenKind kind;
  size_t position;      // byte offset of the first character
  std::string_view raw; // the token as written (a view into the source)
  std::string text;     // identifiers: the name; strings: the decoded value
  double number = 0;    // numbers; durations in seconds
};

// Tokenizes the whole source; the last token is always kEnd (positioned at source.size()).
// Throws wgtune::ParseError("position N: ...") on a character or literal that cannot start
// or complete a token.
std::vector<Token> Lex(std::string_view source);

// How error messages name a token: 'raw' in quotes, or "end of input".
std::string DescribeToken(const Token& token);

// True for keywords that may also serve as label names (Prometheus allows `by (on)`).
bool IsKeyword(TokenKind kind);

}  // namespace wgtune::promql
