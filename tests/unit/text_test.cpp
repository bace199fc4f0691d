#include "common/text.h"

#include <gtest/gtest.h>

namespace wgtune {
namespace {

TEST(TextTest, SplitFieldsSkipsRunsOfWhitespace) {
  EXPECT_EQ(SplitFields("  34:   154\t 9690  Hyper-V PCIe MSI "),
            (std::vector<std::string_view>{"34:", "154", "9690", "Hyper-V", "PCIe", "MSI"}));
  EXPECT_TRUE(SplitFields("   ").empty());
}

TEST(TextTest, SplitKeepsEmptyFields) {
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string_view>{""}));
}

TEST(TextTest, SplitLinesIgnoresTheFinalNewline) {
  EXPECT_EQ(SplitLines("a\nb\n"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(SplitLines("a\n\nb"), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_TRUE(SplitLines("").empty());
}

TEST(TextTest, NumbersMustBeWholeFields) {
  EXPECT_EQ(ParseUint("18446744073709551615"), 18446744073709551615ull);
  EXPECT_FALSE(ParseUint("18446744073709551616"));
  EXPECT_FALSE(ParseUint("12a"));
  EXPECT_FALSE(ParseUint(""));
  EXPECT_FALSE(ParseUint("-1"));
  EXPECT_EQ(ParseInt("-1"), -1);
  EXPECT_EQ(ParseHex("0000ffff"), 0xffffu);
  EXPECT_FALSE(ParseHex("0x10"));
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_FALSE(ParseDouble("1.5s"));
}

TEST(TextTest, FormatSecondsIsShortest) {
  EXPECT_EQ(FormatSeconds(5), "5s");
  EXPECT_EQ(FormatSeconds(1.5), "1.5s");
  EXPECT_EQ(FormatSeconds(0.1), "0.1s");
}

TEST(TextTest, Trim) {
  EXPECT_EQ(Trim(" \tf\n"), "f");
  EXPECT_EQ(Trim(""), "");
}

TEST(TextTest, GoQuote) {
  EXPECT_EQ(GoQuote("eth0"), "\"eth0\"");
  EXPECT_EQ(GoQuote("a\"b\\c\n\t"), R"("a\"b\\c\n\t")");
  EXPECT_EQ(GoQuote(std::string_view("\x01\x7f\a", 3)), R"("\x01\x7f\a")");
  EXPECT_EQ(GoQuote("µs ✓"), "\"µs ✓\"");  // UTF-8 as is
}

TEST(TextTest, ReadGoLiteral) {
  GoLiteral ok = ReadGoLiteral(R"(x = "a\tb\"\x41\101\u00b5\U0001F600" + 1)", 4);
  EXPECT_EQ(ok.error, GoLiteral::Error::kNone);
  EXPECT_EQ(ok.value, "a\tb\"AAµ😀");
  EXPECT_EQ(ok.end, 36u);  // just past the closing quote
  EXPECT_EQ(ReadGoLiteral(R"('it\'s')", 0).value, "it's");
  struct Bad {
    const char* text;
    GoLiteral::Error error;
    size_t offset;
    const char* detail;
  };
  for (const Bad& bad : std::vector<Bad>{
           {R"("abc)", GoLiteral::Error::kUnterminated, 4, ""},
           {"\"ab\ncd\"", GoLiteral::Error::kUnterminated, 3, ""},
           {R"("\q")", GoLiteral::Error::kBadEscape, 1, "expected a valid escape sequence, found '\\q'"},
           {R"("\'")", GoLiteral::Error::kBadEscape, 1, "expected a valid escape sequence, found '\\''"},
           {R"("\x4g")", GoLiteral::Error::kBadEscape, 1, "expected 2 base-16 digits in escape sequence, found '\\x4g'"},
           {R"("\400")", GoLiteral::Error::kBadEscape, 1, "expected an octal escape up to \\377, found a larger one"},
           {R"("\ud800")", GoLiteral::Error::kBadEscape, 1, "expected a Unicode code point, found an escape beyond U+10FFFF"},
       }) {
    GoLiteral literal = ReadGoLiteral(bad.text, 0);
    EXPECT_EQ(literal.error, bad.error) << bad.text;
    EXPECT_EQ(literal.error_offset, bad.offset) << bad.text;
    EXPECT_EQ(literal.error_detail, bad.detail) << bad.text;
  }
}

}  // namespace
}  // namespace wgtune
