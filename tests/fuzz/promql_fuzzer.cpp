// The advisor's PromQL lexer and parser (advisor/promql/parser.h). An expression that parses
// prints (Format) as one that parses and prints the same: the printed form is canonical. The
// parser bounds nesting (kMaxNesting, issue 15: 5,000 parentheses overflowed the stack), and
// Format parenthesises every operation, so a printed form may nest deeper than its source: only
// then may it be refused, and only for its nesting.
#include "advisor/promql/parser.h"

#include "advisor/promql/lexer.h"
#include "common/errors.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  const std::string_view source = fuzz::Text(data, size);
  fuzz::Parses<ParseError>([&] { promql::Lex(source); });
  std::unique_ptr<promql::Expr> expr;
  if (!fuzz::Parses<ParseError>([&] { expr = promql::ParseExpr(source); })) return 0;
  const std::string printed = promql::Format(*expr);
  try {
    std::string again = promql::Format(*promql::ParseExpr(printed));
    fuzz::Check(again == printed, "Format is not canonical: " + printed + " prints as " + again);
  } catch (const ParseError& error) {
    fuzz::Check(std::string_view(error.what()).find("nested deeper than") != std::string_view::npos,
                "a printed expression does not parse: " + printed + ": " + error.what());
  }
  return 0;
}
