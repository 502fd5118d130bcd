// Reference scenarios of packages/sync range.rs (mesh-provider.md §8.6).
#include "mesh/provider/value_range.h"

#include "gtest/gtest.h"
#include "mesh/provider/test_util.h"

namespace mesh::provider {
namespace {

using testing::A;
using testing::R;

TEST(ValueRangeTest, Comparisons) {
  AmountRange r(A(50));
  EXPECT_TRUE(r.IsUnderMax(A(50)));
  EXPECT_TRUE(r.IsOverMin(A(50)));
  EXPECT_TRUE(r.IsUnderMax(A(51)));
  EXPECT_FALSE(r.IsOverMin(A(51)));
  EXPECT_FALSE(r.IsUnderMax(A(49)));
  EXPECT_TRUE(r.IsOverMin(A(49)));
  ASSERT_TRUE(r.PrepareAdd(A(30)).ok());
  EXPECT_EQ(r, R(50, 80));
  EXPECT_FALSE(r.IsUnderMax(A(49)));
  EXPECT_TRUE(r.IsOverMin(A(49)));
  EXPECT_TRUE(r.IsUnderMax(A(81)));
  EXPECT_FALSE(r.IsOverMin(A(81)));
  EXPECT_FALSE(r.IsUnderMax(A(60)));
  EXPECT_FALSE(r.IsOverMin(A(60)));
}

TEST(ValueRangeTest, RangesAddition) {
  EXPECT_EQ(AmountRange::Sum({R(80, 120), R(100, 200)}).value(), R(180, 320));
}

TEST(ValueRangeTest, CommittedRangesAddition) {
  AmountRange a = R(80, 120);
  ASSERT_TRUE(a.Add(A(40)).ok());
  EXPECT_EQ(a, R(120, 160));
  AmountRange b = R(100, 200);
  ASSERT_TRUE(b.Sub(A(10)).ok());
  EXPECT_EQ(b, R(90, 190));
  EXPECT_EQ(AmountRange::Sum({a, b}).value(), R(210, 350));
}

TEST(ValueRangeTest, Value) {
  EXPECT_EQ(R(80).Value().value(), A(80));
  EXPECT_EQ(R(200, 200).Value().value(), A(200));
  absl::StatusOr<Amount> v = R(190, 200).Value();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), kRangeNotOneValue);
}

TEST(ValueRangeTest, Sums) {
  EXPECT_EQ(AmountRange::Sum({R(100), R(0, 250), R(200), R(170, 380)}).value(), R(470, 930));
}

TEST(ValueRangeTest, MinMax) {
  AmountRange a = R(40, 100), b = R(200, 380);
  EXPECT_EQ(AmountRange::MaxRange(a, b), R(200, 380));
  EXPECT_EQ(AmountRange::MinRange(a, b), R(40, 100));
  EXPECT_EQ(AmountRange::Spread(a, b), R(40, 380));
}

TEST(ValueRangeTest, RealWorldUsage) {
  const Amount collateral = A(10000);
  AmountRange lien;
  ASSERT_TRUE(lien.PrepareAdd(A(2000), collateral).ok());
  ASSERT_TRUE(lien.PrepareAdd(A(5000), collateral).ok());
  absl::Status over = lien.PrepareAdd(A(3500), collateral);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.message(), kRangeOverflow);
  ASSERT_TRUE(lien.CommitAdd(A(5000)).ok());
  EXPECT_EQ(lien, R(5000, 7000));
  const Amount reduced = A(8000);  // collateral - 2000
  ASSERT_TRUE(lien.PrepareSub(A(3000)).ok());
  EXPECT_FALSE(lien.PrepareAdd(A(1500), reduced).ok());
  ASSERT_TRUE(lien.RollbackAdd(A(2000)).ok());
  EXPECT_EQ(lien, R(2000, 5000));
  EXPECT_TRUE(lien.PrepareAdd(A(1500), reduced).ok());
}

TEST(ValueRangeTest, InvariantsOverSetOfLiens) {
  std::vector<AmountRange> liens = {R(5000, 7000), R(2000, 8000), R(3000, 12000)};
  AmountRange max, spread = liens[0];
  std::vector<AmountRange> slashable;
  for (const AmountRange& l : liens) {
    max = AmountRange::MaxRange(max, l);
    spread = AmountRange::Spread(spread, l);
    slashable.push_back(MulFloor(l, testing::Pct(10)).value());
  }
  EXPECT_EQ(max, R(5000, 12000));
  EXPECT_EQ(AmountRange::Sum(slashable).value(), R(1000, 2700));
  EXPECT_EQ(spread, R(2000, 12000));
}

TEST(ValueRangeTest, UnderflowOfPrepareSub) {
  AmountRange r = R(10, 20);
  absl::Status s = r.PrepareSub(A(11));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), kRangeUnderflow);
  EXPECT_EQ(r, R(10, 20));
  EXPECT_FALSE(r.PrepareSub(A(5), A(6)).ok());
  EXPECT_TRUE(r.PrepareSub(A(5), A(5)).ok());
}

TEST(ValueRangeTest, CheckedCommitsRejectBrokenOrder) {
  AmountRange r = R(10, 20);
  EXPECT_FALSE(r.CommitAdd(A(11)).ok());
  EXPECT_FALSE(r.RollbackAdd(A(11)).ok());
  EXPECT_FALSE(r.CommitSub(A(11)).ok());
  EXPECT_EQ(r, R(10, 20));
}

TEST(ValueRangeTest, ClampedOperationsKeepOrder) {
  AmountRange r = R(0, 25);  // e.g. (0, 50) pending, then slashed by 25
  AmountRange commit = r, rollback = r;
  commit.CommitAddClamped(A(50));
  EXPECT_EQ(commit, R(25, 25));
  rollback.RollbackAddClamped(A(50));
  EXPECT_EQ(rollback, R(0, 0));
  AmountRange unstake = R(10, 40);
  unstake.CommitSubClamped(A(50));
  EXPECT_EQ(unstake, R(10, 10));
  unstake = R(10, 40);
  unstake.RollbackSubClamped(A(50));
  EXPECT_EQ(unstake, R(40, 40));
  AmountRange slash = R(10, 40);
  slash.SubClamped(A(25));
  EXPECT_EQ(slash, R(0, 15));
}

}  // namespace
}  // namespace mesh::provider
