#include "common/cpu_set.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace wgtune {
namespace {

TEST(CpuSetTest, ParsesListsWithRangesAndSingles) {
  CpuSet set = CpuSet::FromList("0-3,8,10-11\n");
  EXPECT_EQ(set.Cpus(), (std::vector<unsigned>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(set.Count(), 7u);
  EXPECT_EQ(set.ToList(), "0-3,8,10-11");
}

TEST(CpuSetTest, EmptyListIsEmptySet) {
  EXPECT_TRUE(CpuSet::FromList("").Empty());
  EXPECT_TRUE(CpuSet::FromList("\n").Empty());
  EXPECT_EQ(CpuSet().ToMask(), "0");
  EXPECT_EQ(CpuSet().ToList(), "");
}

TEST(CpuSetTest, RejectsMalformedLists) {
  for (const char* bad : {"a", "3-1", "1-", ",", "0-3,,4", "-1", "99999999"}) {
    EXPECT_THROW(CpuSet::FromList(bad), ParseError) << bad;
  }
}

TEST(CpuSetTest, ParsesCommaGroupedMasksMostSignificantFirst) {
  // A 128-CPU host's rps_cpus with CPUs 18-35 set.
  CpuSet set = CpuSet::FromMask("00000000,00000000,0000000f,fffc0000\n");
  EXPECT_EQ(set.ToList(), "18-35");
  EXPECT_EQ(set.Count(), 18u);
  EXPECT_TRUE(CpuSet::FromMask("00000000,00000000").Empty());
  EXPECT_EQ(CpuSet::FromMask("f").ToList(), "0-3");
  EXPECT_EQ(CpuSet::FromMask("ff,ffffffff").ToList(), "0-39");
}

TEST(CpuSetTest, RejectsMalformedMasks) {
  for (const char* bad : {"", "g", "123456789", "ff,,ff", "0x1"}) {
    EXPECT_THROW(CpuSet::FromMask(bad), ParseError) << bad;
  }
}

// The masks of diagnoses.md: a mask the kernel accepts for the host's CPU count.
TEST(CpuSetTest, FormatsTheShortestMaskTheKernelAccepts) {
  EXPECT_EQ(CpuSet::FirstN(2).ToMask(), "3");
  EXPECT_EQ(CpuSet::FirstN(4).ToMask(), "f");
  EXPECT_EQ(CpuSet::FirstN(8).ToMask(), "ff");
  EXPECT_EQ(CpuSet::FirstN(16).ToMask(), "ffff");
  EXPECT_EQ(CpuSet::FirstN(32).ToMask(), "ffffffff");
  EXPECT_EQ(CpuSet::FirstN(40).ToMask(), "ff,ffffffff");
  EXPECT_EQ(CpuSet::FirstN(128).ToMask(), "ffffffff,ffffffff,ffffffff,ffffffff");
  EXPECT_EQ(CpuSet::FromList("33").ToMask(), "2,00000000");
}

TEST(CpuSetTest, MaskAndListRoundTrip) {
  for (const char* list : {"0", "1", "0-3,8", "31-32", "0-127", "5,64,100-101"}) {
    CpuSet set = CpuSet::FromList(list);
    EXPECT_EQ(CpuSet::FromMask(set.ToMask()), set) << list;
    EXPECT_EQ(set.ToList(), list);
  }
}

}  // namespace
}  // namespace wgtune
