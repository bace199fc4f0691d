#include "advisor/promql/parser.h"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

#include "common/duration.h"
#include "advisor/promql/lexer.h"
#include "common/errors.h"
#include "common/text.h"

namespace wgtune::promql {

bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEqual && op <= BinaryOp::kGreater; }

void ForEachNode(const Expr& root, const std::function<void(const Expr&)>& visit) {
  visit(root);
  switch (root.kind) {
    case ExprKind::kNumber:
    case ExprKind::kString:
    case ExprKind::kVectorSelector: return;
    case ExprKind::kMatrixSelector: ForEachNode(*root.As<MatrixSelector>().selector, visit); return;
    case ExprKind::kUnary: ForEachNode(*root.As<UnaryExpr>().operand, visit); return;
    case ExprKind::kBinary:
      ForEachNode(*root.As<BinaryExpr>().lhs, visit);
      ForEachNode(*root.As<BinaryExpr>().rhs, visit);
      return;
    case ExprKind::kAggregate: {
      const auto& aggregate = root.As<AggregateExpr>();
      if (aggregate.param) ForEachNode(*aggregate.param, visit);
      ForEachNode(*aggregate.operand, visit);
      return;
    }
    case ExprKind::kCall:
      for (const auto& arg : root.As<Call>().args) ForEachNode(*arg, visit);
      return;
  }
}

void ForEachSelector(const Expr& root, const std::function<void(const VectorSelector&, const MatrixSelector*)>& visit) {
  const MatrixSelector* range = nullptr;
  ForEachNode(root, [&](const Expr& node) {
    if (node.kind == ExprKind::kMatrixSelector) {
      range = &node.As<MatrixSelector>();  // its selector is the very next node visited
    } else if (node.kind == ExprKind::kVectorSelector) {
      visit(node.As<VectorSelector>(), range);
      range = nullptr;
    }
  });
}

bool IsSetOperator(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kUnless || op == BinaryOp::kOr;
}

namespace {

struct OperatorInfo {
  BinaryOp op;
  int precedence;  // higher binds tighter
  std::string_view spelling;
};

// Precedence levels from generated_parser.y. Unary minus sits between * and ^.
constexpr int kPowPrecedence = 6;

std::optional<OperatorInfo> BinaryOperator(TokenKind kind) {
  switch (kind) {
    case TokenKind::kOr: return OperatorInfo{BinaryOp::kOr, 1, "or"};
    case TokenKind::kAnd: return OperatorInfo{BinaryOp::kAnd, 2, "and"};
    case TokenKind::kUnless: return OperatorInfo{BinaryOp::kUnless, 2, "unless"};
    case TokenKind::kEqual: return OperatorInfo{BinaryOp::kEqual, 3, "=="};
    case TokenKind::kNotEqual: return OperatorInfo{BinaryOp::kNotEqual, 3, "!="};
    case TokenKind::kLessEqual: return OperatorInfo{BinaryOp::kLessEqual, 3, "<="};
    case TokenKind::kLess: return OperatorInfo{BinaryOp::kLess, 3, "<"};
    case TokenKind::kGreaterEqual: return OperatorInfo{BinaryOp::kGreaterEqual, 3, ">="};
    case TokenKind::kGreater: return OperatorInfo{BinaryOp::kGreater, 3, ">"};
    case TokenKind::kAdd: return OperatorInfo{BinaryOp::kAdd, 4, "+"};
    case TokenKind::kSub: return OperatorInfo{BinaryOp::kSub, 4, "-"};
    case TokenKind::kMul: return OperatorInfo{BinaryOp::kMul, 5, "*"};
    case TokenKind::kDiv: return OperatorInfo{BinaryOp::kDiv, 5, "/"};
    case TokenKind::kMod: return OperatorInfo{BinaryOp::kMod, 5, "%"};
    case TokenKind::kPow: return OperatorInfo{BinaryOp::kPow, kPowPrecedence, "^"};
    default: return std::nullopt;
  }
}

std::string_view Spelling(BinaryOp op) {
  static constexpr std::array<std::string_view, 15> kSpellings = {
      "^", "*", "/", "%", "+", "-", "==", "!=", "<=", "<", ">=", ">", "and", "unless", "or"};
  return kSpellings[static_cast<size_t>(op)];
}

struct AggregateInfo {
  std::string_view name;
  AggregateOp op;
  bool takes_param;
};
constexpr AggregateInfo kAggregates[] = {
    {"sum", AggregateOp::kSum, false},     {"min", AggregateOp::kMin, false},
    {"max", AggregateOp::kMax, false},     {"avg", AggregateOp::kAvg, false},
    {"count", AggregateOp::kCount, false}, {"topk", AggregateOp::kTopk, true},
    {"bottomk", AggregateOp::kBottomk, true}, {"quantile", AggregateOp::kQuantile, true},
    {"group", AggregateOp::kGroup, false},
};

constexpr bool AggregatesIndexedByOp() {
  for (size_t i = 0; i < std::size(kAggregates); ++i) {
    if (static_cast<size_t>(kAggregates[i].op) != i) return false;
  }
  return true;
}
static_assert(AggregatesIndexedByOp(), "Format() looks up an operator's spelling by its index");

struct FunctionInfo {
  std::string_view name;
  size_t min_args;
  size_t max_args;  // kVariadic: any number from min_args up
};
constexpr size_t kVariadic = static_cast<size_t>(-1);
// The functions the advisor's evaluator implements; anything else is rejected at parse time so
// a typo in a rule fails when the rule is loaded, not when it first fires.
constexpr FunctionInfo kFunctions[] = {
    {"abs", 1, 1},       {"absent", 1, 1},    {"ceil", 1, 1},
    {"clamp", 3, 3},     {"clamp_max", 2, 2}, {"clamp_min", 2, 2},
    {"floor", 1, 1},     {"label_join", 3, kVariadic}, {"label_replace", 5, 5},
    {"round", 1, 2},     {"scalar", 1, 1},    {"sgn", 1, 1},
    {"sort", 1, 1},      {"sort_desc", 1, 1}, {"time", 0, 0},
    {"vector", 1, 1},
    // Over a range vector.
    {"rate", 1, 1},      {"irate", 1, 1},     {"increase", 1, 1},
    {"delta", 1, 1},     {"idelta", 1, 1},    {"changes", 1, 1},
    {"resets", 1, 1},    {"avg_over_time", 1, 1}, {"min_over_time", 1, 1},
    {"max_over_time", 1, 1}, {"sum_over_time", 1, 1}, {"count_over_time", 1, 1},
    {"last_over_time", 1, 1}, {"present_over_time", 1, 1},
};

std::string Lower(std::string_view word) {
  std::string out(word);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view source) : tokens_(Lex(source)) {}

  std::unique_ptr<Expr> ParseAll() {
    std::unique_ptr<Expr> expr = ParseBinary(0);
    if (Peek().kind == TokenKind::kRightParen) {
      Fail(Peek(), "expected end of input, found unbalanced ')'");
    }
    if (Peek().kind != TokenKind::kEnd) Fail(Peek(), "expected a binary operator or end of input");
    return expr;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t index = std::min(next_ + ahead, tokens_.size() - 1);
    return tokens_[index];
  }
  const Token& Take() {
    const Token& token = tokens_[next_];
    if (next_ + 1 < tokens_.size()) ++next_;
    return token;
  }
  bool TakeIf(TokenKind kind) {
    if (Peek().kind != kind) return false;
    Take();
    return true;
  }

  // Every message names the position, what the grammar wanted and the token actually there.
  [[noreturn]] static void Fail(const Token& found, std::string_view expected) {
    throw ParseError("position " + std::to_string(found.position) + ": " + std::string(expected) +
                     ", found " + DescribeToken(found));
  }

  const Token& Expect(TokenKind kind, std::string_view expected) {
    if (Peek().kind != kind) Fail(Peek(), expected);
    return Take();
  }

  // Every nesting of the grammar (parentheses, unary signs, function and aggregation arguments,
  // the right operand of ^) recurses through here, so this is where depth is bounded: the
  // parser, the evaluator and every walk of the tree recurse once per level, and an expression
  // nested without end would overflow the stack.
  std::unique_ptr<Expr> ParseBinary(int min_precedence) {
    if (depth_ == kMaxNesting) {
      throw ParseError("position " + std::to_string(Peek().position) + ": expression nested deeper than " +
                       std::to_string(kMaxNesting) + " levels");
    }
    ++depth_;
    std::unique_ptr<Expr> expr = ParseBinaryAtDepth(min_precedence);
    --depth_;
    return expr;
  }

  // Precedence climbing: parses operators binding at least as tightly as min_precedence.
  std::unique_ptr<Expr> ParseBinaryAtDepth(int min_precedence) {
    std::unique_ptr<Expr> lhs = ParseUnary();
    while (true) {
      std::optional<OperatorInfo> info = BinaryOperator(Peek().kind);
      if (!info || info->precedence < min_precedence) return lhs;
      const Token& op_token = Take();
      bool return_bool = false;
      if (Peek().kind == TokenKind::kBool) {
        if (!IsComparison(info->op)) {
          Fail(Peek(), "expected an operand after '" + std::string(info->spelling) +
                           "' (bool is only allowed on comparison operators)");
        }
        Take();
        return_bool = true;
      }
      std::optional<VectorMatching> matching = ParseVectorMatching(*info);
      // ^ is right-associative: its right operand may itself contain ^.
      int next_min = info->op == BinaryOp::kPow ? info->precedence : info->precedence + 1;
      std::unique_ptr<Expr> rhs = ParseBinary(next_min);
      size_t position = lhs->position;
      auto binary = std::make_unique<BinaryExpr>(position, info->op, std::move(lhs), std::move(rhs));
      binary->return_bool = return_bool;
      binary->matching = std::move(matching);
      binary->operator_position = op_token.position;
      lhs = std::move(binary);
    }
  }

  std::optional<VectorMatching> ParseVectorMatching(const OperatorInfo& info) {
    std::optional<VectorMatching> matching;
    if (Peek().kind == TokenKind::kOn || Peek().kind == TokenKind::kIgnoring) {
      matching.emplace();
      matching->on = Take().kind == TokenKind::kOn;
      matching->labels = ParseLabelList(matching->on ? "on" : "ignoring");
    }
    if (Peek().kind == TokenKind::kGroupLeft || Peek().kind == TokenKind::kGroupRight) {
      const Token& group = Peek();
      if (!matching) {
        Fail(group, "expected on(...) or ignoring(...) before " + std::string(group.raw));
      }
      if (IsSetOperator(info.op)) {
        Fail(group, "expected an operand after '" + std::string(info.spelling) +
                        "' (set operators are many-to-many and allow no grouping)");
      }
      Take();
      matching->group = group.kind == TokenKind::kGroupLeft ? GroupSide::kLeft : GroupSide::kRight;
      if (Peek().kind == TokenKind::kLeftParen) {
        matching->include = ParseLabelList(group.text);
        if (matching->on) {
          for (const std::string& label : matching->include) {
            for (const std::string& on_label : matching->labels) {
              if (label == on_label) {
                Fail(group, "expected disjoint on(...) and " + group.text + "(...) labels, but '" +
                                label + "' is in both");
              }
            }
          }
        }
      }
    }
    return matching;
  }

  // Unary minus binds tighter than * but looser than ^ (`%prec MUL` in the Prometheus grammar).
  std::unique_ptr<Expr> ParseUnary() {
    if (Peek().kind == TokenKind::kSub || Peek().kind == TokenKind::kAdd) {
      const Token& op = Take();
      std::unique_ptr<Expr> operand = ParseBinary(kPowPrecedence);
      return std::make_unique<UnaryExpr>(op.position,
                                         op.kind == TokenKind::kSub ? UnaryOp::kMinus : UnaryOp::kPlus,
                                         std::move(operand));
    }
    return ParseRange(ParsePrimary());
  }

  // A range after a primary expression: x[5m]. Only a vector selector may take one.
  std::unique_ptr<Expr> ParseRange(std::unique_ptr<Expr> expr) {
    if (Peek().kind != TokenKind::kLeftBracket) return expr;
    const Token& open = Peek();
    if (expr->kind != ExprKind::kVectorSelector) Fail(open, "expected an operator (ranges only allowed for vector selectors)");
    Take();
    const Token& duration = Expect(TokenKind::kDuration, "expected a duration such as 5m in the range");
    const double range = duration.number;
    Expect(TokenKind::kRightBracket, "expected ']' after the range");
    if (!(range > 0)) Fail(duration, "expected a range greater than zero");
    const size_t position = expr->position;
    std::unique_ptr<VectorSelector> selector(static_cast<VectorSelector*>(expr.release()));
    auto matrix = std::make_unique<MatrixSelector>(position, std::move(selector), range);
    if (Peek().kind == TokenKind::kLeftBracket) Fail(Peek(), "expected an operator (ranges only allowed for vector selectors)");
    return matrix;
  }

  std::unique_ptr<Expr> ParsePrimary() {
    const Token& token = Peek();
    switch (token.kind) {
      case TokenKind::kNumber:
        Take();
        return std::make_unique<NumberLiteral>(token.position, token.number);
      case TokenKind::kString:
        Take();
        return std::make_unique<StringLiteral>(token.position, token.text);
      case TokenKind::kLeftParen: {
        Take();
        std::unique_ptr<Expr> inner = ParseBinary(0);
        if (Peek().kind != TokenKind::kRightParen) {
          Fail(Peek(), "expected ')' to close the '(' at position " +
                           std::to_string(token.position));
        }
        Take();
        // A range applies to a selector as written, not to a parenthesised one (Prometheus
        // keeps the parentheses as a node of their own and refuses them).
        if (Peek().kind == TokenKind::kLeftBracket) {
          Fail(Peek(), "expected an operator (ranges only allowed for vector selectors)");
        }
        return inner;
      }
      case TokenKind::kLeftBrace:
        return ParseSelector(token.position, "");
      case TokenKind::kIdentifier:
        return ParseIdentifierExpr();
      default:
        Fail(token, "expected an expression");
    }
  }

  std::unique_ptr<Expr> ParseIdentifierExpr() {
    const Token& name = Take();
    std::string lowered = Lower(name.text);
    for (const AggregateInfo& info : kAggregates) {
      if (info.name == lowered) return ParseAggregate(name, info);
    }
    if (Peek().kind == TokenKind::kLeftParen) return ParseCall(name);
    return ParseSelector(name.position, name.text);
  }

  std::unique_ptr<Expr> ParseCall(const Token& name) {
    const FunctionInfo* function = nullptr;
    for (const FunctionInfo& info : kFunctions) {
      if (info.name == name.text) function = &info;
    }
    if (!function) Fail(name, "expected a supported function name");
    auto call = std::make_unique<Call>(name.position, name.text);
    const Token& open = Take();
    call->args = ParseArguments(open);
    if (call->args.size() < function->min_args || call->args.size() > function->max_args) {
      std::string want = std::to_string(function->min_args);
      if (function->max_args == kVariadic) {
        want = "at least " + want;
      } else if (function->max_args != function->min_args) {
        want += " or " + std::to_string(function->max_args);
      }
      throw ParseError("position " + std::to_string(name.position) + ": expected " + want +
                       " argument(s) to " + name.text + "(), found " +
                       std::to_string(call->args.size()));
    }
    return call;
  }

  // After '(' has been taken: comma-separated expressions up to the matching ')'.
  std::vector<std::unique_ptr<Expr>> ParseArguments(const Token& open) {
    std::vector<std::unique_ptr<Expr>> args;
    if (TakeIf(TokenKind::kRightParen)) return args;
    while (true) {
      args.push_back(ParseBinary(0));
      if (TakeIf(TokenKind::kRightParen)) return args;
      if (Peek().kind != TokenKind::kComma) {
        Fail(Peek(), "expected ',' or ')' to close the '(' at position " +
                         std::to_string(open.position));
      }
      Take();
    }
  }

  std::unique_ptr<Expr> ParseAggregate(const Token& name, const AggregateInfo& info) {
    auto aggregate = std::make_unique<AggregateExpr>(name.position, info.op);
    bool grouped = ParseGrouping(*aggregate);
    if (Peek().kind != TokenKind::kLeftParen) {
      Fail(Peek(), grouped ? "expected '(' after the grouping of " + std::string(info.name)
                           : "expected 'by', 'without' or '(' after " + std::string(info.name));
    }
    const Token& open = Take();
    std::vector<std::unique_ptr<Expr>> args = ParseArguments(open);
    size_t want = info.takes_param ? 2 : 1;
    if (args.size() != want) {
      throw ParseError("position " + std::to_string(name.position) + ": expected " +
                       std::to_string(want) + " argument(s) to " + std::string(info.name) +
                       ", found " + std::to_string(args.size()));
    }
    if (info.takes_param) aggregate->param = std::move(args[0]);
    aggregate->operand = std::move(args.back());
    TokenKind after = Peek().kind;
    if (after == TokenKind::kBy || after == TokenKind::kWithout) {
      if (grouped) Fail(Peek(), "expected one grouping clause, found a second");
      ParseGrouping(*aggregate);
    } else if (after == TokenKind::kOn || after == TokenKind::kIgnoring ||
               after == TokenKind::kGroupLeft || after == TokenKind::kGroupRight ||
               after == TokenKind::kBool) {
      // Matching modifiers belong to binary operators; name the real mistake rather than
      // reporting generic trailing input.
      Fail(Peek(), "expected 'by' or 'without' as aggregation modifier");
    }
    return aggregate;
  }

  bool ParseGrouping(AggregateExpr& aggregate) {
    TokenKind kind = Peek().kind;
    if (kind != TokenKind::kBy && kind != TokenKind::kWithout) {
      if (kind == TokenKind::kOn || kind == TokenKind::kIgnoring ||
          kind == TokenKind::kGroupLeft || kind == TokenKind::kGroupRight) {
        Fail(Peek(), "expected 'by', 'without' or '(' as aggregation modifier");
      }
      return false;
    }
    aggregate.grouping = kind == TokenKind::kBy ? Grouping::kBy : Grouping::kWithout;
    aggregate.grouping_labels = ParseLabelList(Take().text);
    return true;
  }

  // "(a, b,)" after by/without/on/ignoring/group_left/group_right. Keywords are valid label
  // names; metric-name colons are not.
  std::vector<std::string> ParseLabelList(const std::string& clause) {
    const Token& open = Expect(TokenKind::kLeftParen, "expected '(' after " + clause);
    std::vector<std::string> labels;
    while (!TakeIf(TokenKind::kRightParen)) {
      labels.push_back(ParseLabelName("a label name or ')' in " + clause + "(...)"));
      if (TakeIf(TokenKind::kRightParen)) break;
      if (Peek().kind != TokenKind::kComma) {
        Fail(Peek(), "expected ',' or ')' to close the '(' at position " +
                         std::to_string(open.position));
      }
      Take();
    }
    return labels;
  }

  std::string ParseLabelName(const std::string& expected) {
    const Token& token = Peek();
    bool label = (token.kind == TokenKind::kIdentifier || IsKeyword(token.kind)) &&
                 token.raw.find(':') == std::string_view::npos;
    if (!label) Fail(token, "expected " + expected);
    Take();
    return std::string(token.raw);
  }

  std::unique_ptr<Expr> ParseSelector(size_t position, std::string metric_name) {
    auto selector = std::make_unique<VectorSelector>(position);
    selector->metric_name = std::move(metric_name);
    if (Peek().kind == TokenKind::kLeftBrace) {
      const Token& open = Take();
      while (!TakeIf(TokenKind::kRightBrace)) {
        selector->matchers.push_back(ParseMatcher());
        if (TakeIf(TokenKind::kRightBrace)) break;
        if (Peek().kind != TokenKind::kComma) {
          Fail(Peek(), "expected ',' or '}' to close the '{' at position " +
                           std::to_string(open.position));
        }
        Take();
      }
    }
    CheckSelector(*selector);
    return selector;
  }

  LabelMatcher ParseMatcher() {
    LabelMatcher matcher;
    matcher.position = Peek().position;
    matcher.name = ParseLabelName("a label name or '}' in a selector");
    const Token& op = Peek();
    switch (op.kind) {
      case TokenKind::kAssign: matcher.op = MatchOp::kEqual; break;
      case TokenKind::kNotEqual: matcher.op = MatchOp::kNotEqual; break;
      case TokenKind::kRegexMatch: matcher.op = MatchOp::kRegexMatch; break;
      case TokenKind::kRegexNoMatch: matcher.op = MatchOp::kRegexNoMatch; break;
      default: Fail(op, "expected '=', '!=', '=~' or '!~' after label " + matcher.name);
    }
    Take();
    matcher.value = Expect(TokenKind::kString, "expected a quoted label value").text;
    return matcher;
  }

  // Prometheus refuses selectors that would select every series. Whether a regex matches ""
  // needs an RE2-compatible engine, so regex matchers are trusted here and left to the evaluator.
  void CheckSelector(const VectorSelector& selector) {
    bool has_name_matcher = false;
    bool selective = !selector.metric_name.empty();
    for (const LabelMatcher& matcher : selector.matchers) {
      if (matcher.name == "__name__") {
        if (!selector.metric_name.empty() || has_name_matcher) {
          throw ParseError("position " + std::to_string(matcher.position) +
                           ": expected the metric name once, found a second __name__ matcher");
        }
        has_name_matcher = true;
      }
      bool matches_empty = (matcher.op == MatchOp::kEqual && matcher.value.empty()) ||
                           (matcher.op == MatchOp::kNotEqual && !matcher.value.empty());
      if (!matches_empty) selective = true;
    }
    if (!selective) {
      throw ParseError("position " + std::to_string(selector.position) +
                       ": expected a metric name or a matcher that does not match the empty "
                       "string, found a selector that matches every series");
    }
  }

  std::vector<Token> tokens_;
  size_t next_ = 0;
  size_t depth_ = 0;  // ParseBinary calls under way
};

void AppendQuoted(std::string& out, std::string_view value) {
  out += '"';
  AppendEscaped(out, value);
  out += '"';
}

void AppendLabels(std::string& out, const std::vector<std::string>& labels) {
  out += '(';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i];
  }
  out += ')';
}

void AppendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "Inf" : "(-Inf)";  // no sign, so the output parses back the same
  } else {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::general);
    out.append(buffer, end);
  }
}

void AppendExpr(std::string& out, const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kNumber:
      AppendNumber(out, expr.As<NumberLiteral>().value);
      return;
    case ExprKind::kString:
      AppendQuoted(out, expr.As<StringLiteral>().value);
      return;
    case ExprKind::kVectorSelector: {
      const auto& selector = expr.As<VectorSelector>();
      out += selector.metric_name;
      if (selector.matchers.empty()) return;
      static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
      out += '{';
      for (size_t i = 0; i < selector.matchers.size(); ++i) {
        const LabelMatcher& matcher = selector.matchers[i];
        if (i > 0) out += ", ";
        out += matcher.name;
        out += kOps[static_cast<size_t>(matcher.op)];
        AppendQuoted(out, matcher.value);
      }
      out += '}';
      return;
    }
    case ExprKind::kMatrixSelector: {
      const auto& matrix = expr.As<MatrixSelector>();
      AppendExpr(out, *matrix.selector);
      out += '[' + FormatPrometheusDuration(matrix.range_seconds) + ']';
      return;
    }
    case ExprKind::kUnary: {
      const auto& unary = expr.As<UnaryExpr>();
      out += unary.op == UnaryOp::kMinus ? "(-" : "(+";
      AppendExpr(out, *unary.operand);
      out += ')';
      return;
    }
    case ExprKind::kBinary: {
      const auto& binary = expr.As<BinaryExpr>();
      out += '(';
      AppendExpr(out, *binary.lhs);
      out += ' ';
      out += Spelling(binary.op);
      out += ' ';
      if (binary.return_bool) out += "bool ";
      if (binary.matching) {
        out += binary.matching->on ? "on" : "ignoring";
        AppendLabels(out, binary.matching->labels);
        out += ' ';
        if (binary.matching->group != GroupSide::kNone) {
          out += binary.matching->group == GroupSide::kLeft ? "group_left" : "group_right";
          AppendLabels(out, binary.matching->include);
          out += ' ';
        }
      }
      AppendExpr(out, *binary.rhs);
      out += ')';
      return;
    }
    case ExprKind::kAggregate: {
      const auto& aggregate = expr.As<AggregateExpr>();
      out += kAggregates[static_cast<size_t>(aggregate.op)].name;
      if (aggregate.grouping != Grouping::kNone) {
        out += aggregate.grouping == Grouping::kBy ? " by" : " without";
        AppendLabels(out, aggregate.grouping_labels);
        out += ' ';
      }
      out += '(';
      if (aggregate.param) {
        AppendExpr(out, *aggregate.param);
        out += ", ";
      }
      AppendExpr(out, *aggregate.operand);
      out += ')';
      return;
    }
    case ExprKind::kCall: {
      const auto& call = expr.As<Call>();
      out += call.name;
      out += '(';
      for (size_t i = 0; i < call.args.size(); ++i) {
        if (i > 0) out += ", ";
        AppendExpr(out, *call.args[i]);
      }
      out += ')';
      return;
    }
  }
}

}  // namespace

std::unique_ptr<Expr> ParseExpr(std::string_view source) { return Parser(source).ParseAll(); }

std::string Format(const Expr& expr) {
  std::string out;
  AppendExpr(out, expr);
  return out;
}

}  // namespace wgtune::promql
