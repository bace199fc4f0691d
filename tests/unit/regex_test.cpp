// common/regex.h: RE2 with Go's regexp semantics for matching, expansion and ReplaceAllString.
// Expected values are Go's own (the examples of regexp's documentation, and go run output).
#include "common/regex.h"

#include <gtest/gtest.h>

namespace wgtune {
namespace {

TEST(RegexTest, FullMatchIsAnchoredAndSearchIsNot) {
  const Regex regex("eth[0-9]+|wt0");
  EXPECT_TRUE(regex.FullMatch("eth12"));
  EXPECT_TRUE(regex.FullMatch("wt0"));
  EXPECT_FALSE(regex.FullMatch("xeth1"));  // the alternation stays whole: ^(?:eth[0-9]+|wt0)$
  EXPECT_FALSE(regex.FullMatch("wt01"));
  EXPECT_TRUE(regex.Search("xeth1"));
  EXPECT_FALSE(regex.Search("lo"));
}

TEST(RegexTest, InvalidPatternsAreRefusedWithRe2sReason) {
  EXPECT_THROW(Regex("("), RegexError);
  EXPECT_THROW(Regex("(?=x)"), RegexError);  // lookahead: Go refuses it too
  try {
    Regex("a[");
    FAIL();
  } catch (const RegexError& error) {
    EXPECT_STREQ(error.what(), "missing ]: [");
  }
}

TEST(RegexTest, ExpandFullMatchFollowsGoExpand) {
  const Regex regex("(?P<dev>[a-z]+)([0-9]+)");
  EXPECT_EQ(regex.ExpandFullMatch("eth0", "$dev-$2"), "eth-0");
  EXPECT_EQ(regex.ExpandFullMatch("eth0", "${1}x"), "ethx");
  EXPECT_EQ(regex.ExpandFullMatch("eth0", "$1x"), "");       // the group named "1x": none
  EXPECT_EQ(regex.ExpandFullMatch("eth0", "$$1 $ ${"), "$1 $ ${");  // literal dollars
  EXPECT_EQ(regex.ExpandFullMatch("eth0", "$9"), "");         // no such group
  EXPECT_EQ(regex.ExpandFullMatch("eth0x", "$1"), std::nullopt);
  EXPECT_EQ(Regex("(a)|(b)").ExpandFullMatch("b", "[$1][$2]"), "[][b]");  // unmatched group: empty
}

TEST(RegexTest, ReplaceAllFollowsGoReplaceAllString) {
  // From regexp's documentation.
  const Regex axb("a(x*)b");
  EXPECT_EQ(axb.ReplaceAll("-ab-axxb-", "T"), "-T-T-");
  EXPECT_EQ(axb.ReplaceAll("-ab-axxb-", "$1"), "--xx-");
  EXPECT_EQ(axb.ReplaceAll("-ab-axxb-", "$1W"), "---");
  EXPECT_EQ(axb.ReplaceAll("-ab-axxb-", "${1}W"), "-W-xxW-");
  // Empty matches: none right after a match, one at every other position.
  EXPECT_EQ(Regex("a*").ReplaceAll("baaac", "X"), "XbXcX");
  EXPECT_EQ(Regex("").ReplaceAll("hé", "-"), "-h-é-");  // advances by runes, not bytes
  // ^ is the start of the text, not of each search.
  EXPECT_EQ(Regex("^a").ReplaceAll("aaa", "b"), "baa");
  EXPECT_EQ(Regex(":[0-9]+$").ReplaceAll("[fd00::1]:51820", ""), "[fd00::1]");
}

}  // namespace
}  // namespace wgtune
