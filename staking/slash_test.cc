// Slashing with infraction height (neighbours.md §1.7, §5.1).
#include <gtest/gtest.h>

#include "staking/test_util.h"

namespace mesh::staking::testing {
namespace {

using absl::StatusCode;
using Kind = ValidatorEvent::Kind;

constexpr u128 kMillion = 1000000;

class SlashTest : public StakingTest {
 protected:
  void SetUp() override {
    StakingTest::SetUp();
    v_ = CreateVal("v", 10 * kMillion);
    w_ = CreateVal("w", kMillion);
    EndBlock();
    Drain();
  }
  void AdvanceTo(uint64_t height) {
    while (block_.height < height) NextBlock();
  }
  Amount UbdBalance(const ValidatorAddress& val, size_t i) {
    auto ubd = Must(Staking::GetUnbondingDelegation(ctx(), d_, val));
    EXPECT_TRUE(ubd.has_value());
    return ubd.has_value() && i < ubd->entries.size() ? ubd->entries[i].balance : Amount();
  }
  ValidatorAddress v_, w_;
  AccountAddress d_{"d"};
};

// The worked example of neighbours.md §1.7, bit-exact.
TEST_F(SlashTest, WorkedExample) {
  Fund("d", 4000);
  Must(Staking::Delegate(ctx(), d_, v_, A(4000)));
  const int64_t hi = 20;
  AdvanceTo(hi - 10);
  Must(Staking::Undelegate(ctx(), d_, v_, A(1000)));  // entry A: before the infraction
  AdvanceTo(hi);
  Must(Staking::Undelegate(ctx(), d_, v_, A(1000)));  // entry B: at the infraction height
  AdvanceTo(hi + 3);
  Must(Staking::BeginRedelegate(ctx(), d_, v_, w_, A(2000)));  // entry C, 1:1 at w
  EXPECT_EQ(SharesOf("d", w_), D("2000"));
  AdvanceTo(hi + 5);
  Drain();
  Amount supply = Supply();
  ASSERT_EQ(Val(v_).tokens, A(10 * kMillion));

  Amount burned = Must(Staking::Slash(ctx(), v_, hi, 10, D("0.05")));
  EXPECT_EQ(burned, A(499850));  // 500,000 - 50 - 100
  EXPECT_EQ(Val(v_).tokens, A(10 * kMillion - 499850));
  EXPECT_EQ(UbdBalance(v_, 0), A(1000));    // A skipped
  EXPECT_EQ(UbdBalance(v_, 1), A(950));     // B lost 50
  EXPECT_EQ(SharesOf("d", w_), D("1900"));  // C: 100 shares = 100 tokens
  EXPECT_EQ(Val(w_).tokens, A(kMillion + 1900));
  EXPECT_EQ(Supply(), Must(supply.Sub(A(500000))));
  auto events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kModified);
  EXPECT_EQ(events[1].kind, Kind::kSlashed);
  EXPECT_EQ(events[1].amount, A(499850));
  EXPECT_EQ(events[1].infraction_height, hi);
  EXPECT_EQ(events[1].power, 10u);
  EXPECT_FALSE(events[1].double_sign);
  ExpectInvariants();
}

TEST_F(SlashTest, InfractionAtCurrentHeightSkipsEntries) {
  Fund("d", 1000);
  Must(Staking::Delegate(ctx(), d_, v_, A(1000)));
  Must(Staking::Undelegate(ctx(), d_, v_, A(1000)));
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, block_.height, 10, D("0.05"))), A(500000));
  EXPECT_EQ(UbdBalance(v_, 0), A(1000));
  ExpectInvariants();
}

TEST_F(SlashTest, MatureEntriesAreNotSlashedEvenBeforeEndBlock) {
  Params p = params_;
  p.unbonding_time_s = 100;
  Must(Staking::SetParams(ctx(), p));
  Fund("d", 1000);
  Must(Staking::Delegate(ctx(), d_, v_, A(1000)));
  const int64_t hi = block_.height;
  NextBlock();
  Must(Staking::Undelegate(ctx(), d_, v_, A(500)));  // completes at t + 100 s
  NextBlock(100);                                    // mature (completion <= t), not yet paid out
  Must(Staking::Undelegate(ctx(), d_, v_, A(500)));  // immature
  NextBlock();
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, hi, 10, D("0.1"))), A(kMillion - 50));
  EXPECT_EQ(UbdBalance(v_, 0), A(500));
  EXPECT_EQ(UbdBalance(v_, 1), A(450));
  ExpectInvariants();
}

TEST_F(SlashTest, NegativeInfractionHeightSlashesAllImmatureEntries) {
  Fund("d", 1000);
  Must(Staking::Delegate(ctx(), d_, v_, A(1000)));
  Must(Staking::Undelegate(ctx(), d_, v_, A(1000)));
  NextBlock();
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, -1, 10, D("0.05"))), A(500000 - 50));
  EXPECT_EQ(UbdBalance(v_, 0), A(950));
  ExpectInvariants();
}

// Evidence heights are block heights: a negative one (a u64 of 2^63 or
// 2^64 - 1 wrapped to int64) is refused and changes nothing.
TEST_F(SlashTest, EvidenceWithNegativeHeightIsRefused) {
  for (int64_t h : {static_cast<int64_t>(UINT64_C(1) << 63), static_cast<int64_t>(UINT64_MAX)}) {
    absl::Status ds = Staking::HandleDoubleSign(ctx(), v_, h, 10);
    EXPECT_EQ(ds.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(ds.message().find("is negative"), std::string::npos) << ds;
    EXPECT_EQ(Staking::HandleDowntime(ctx(), v_, h, 10).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(Val(v_).tombstoned);
  EXPECT_FALSE(Val(v_).jailed);
  ExpectInvariants();
}

TEST_F(SlashTest, Rejections) {
  EXPECT_EQ(StatusOf(Staking::Slash(ctx(), v_, block_.height + 1, 10, D("0.05"))).code(),
            StatusCode::kInvalidArgument);  // future infraction (SDK #2372)
  EXPECT_EQ(StatusOf(Staking::Slash(ctx(), v_, 1, 10, D("-0.05"))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Must(Staking::Slash(ctx(), ValidatorAddress("gone"), 1, 10, D("0.05"))), A(0));
  ValidatorAddress u = CreateVal("u", 10);  // power 0: stays Unbonded
  EndBlock();
  EXPECT_EQ(StatusOf(Staking::Slash(ctx(), u, 1, 10, D("0.05"))).code(),
            StatusCode::kFailedPrecondition);        // ICS #197: never slash unbonded
  Must(Staking::HandleDoubleSign(ctx(), u, 1, 10));  // ignored
  EXPECT_FALSE(Val(u).tombstoned);
  ExpectInvariants();
}

TEST_F(SlashTest, BurnIsCappedAtValidatorTokens) {
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, block_.height, 1000, D("0.5"))), A(10 * kMillion));
  EXPECT_EQ(Val(v_).tokens, A(0));
  ExpectInvariants();
  EndBlock();  // power 0: leaves the set
  EXPECT_EQ(Val(v_).status, BondStatus::kUnbonding);
  ExpectInvariants();
}

TEST_F(SlashTest, UnbondingValidatorBurnsFromNotBondedPool) {
  Must(Staking::Jail(ctx(), v_));
  EndBlock();
  ASSERT_EQ(Val(v_).status, BondStatus::kUnbonding);
  Amount nb = PoolBalance(kNotBondedPool);
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, block_.height - 1, 10, D("0.01"))), A(100000));
  EXPECT_EQ(PoolBalance(kNotBondedPool), Must(nb.Sub(A(100000))));
  ExpectInvariants();
}

// ASA-2024-005: redelegate, then undelegate everything from the destination
// before the source is punished. The dst unbonding entry pays.
TEST_F(SlashTest, RedelegationThenUndelegationCannotEscape) {
  Fund("d", 2000);
  Must(Staking::Delegate(ctx(), d_, v_, A(2000)));
  const int64_t hi = 5;
  AdvanceTo(hi);
  Must(Staking::BeginRedelegate(ctx(), d_, v_, w_, A(2000)));
  NextBlock();
  Must(Staking::Undelegate(ctx(), d_, w_, A(2000)));
  EXPECT_FALSE(Must(Staking::GetDelegation(ctx(), d_, w_)).has_value());
  NextBlock();
  Amount supply = Supply();
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, hi, 10, D("0.05"))), A(499900));
  EXPECT_EQ(UbdBalance(w_, 0), A(1900));
  EXPECT_EQ(Supply(), Must(supply.Sub(A(500000))));
  ExpectInvariants();
}

// SDK PR #20688: the dst unbonding entry and the dst delegation together pay
// factor x initial_balance once, not twice.
TEST_F(SlashTest, RedelegationPlusPartialUnbondIsNotSlashedTwice) {
  Fund("d", 2000);
  Must(Staking::Delegate(ctx(), d_, v_, A(2000)));
  const int64_t hi = 5;
  AdvanceTo(hi);
  Must(Staking::BeginRedelegate(ctx(), d_, v_, w_, A(2000)));
  NextBlock();
  Must(Staking::Undelegate(ctx(), d_, w_, A(60)));
  NextBlock();
  Amount supply = Supply();
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, hi, 10, D("0.05"))), A(499900));
  EXPECT_EQ(UbdBalance(w_, 0), A(0));       // 60 taken first
  EXPECT_EQ(SharesOf("d", w_), D("1900"));  // then 40 (not 100) from the delegation
  EXPECT_EQ(Supply(), Must(supply.Sub(A(500000))));
  ExpectInvariants();
}

// §5.1 item 3, kept from the reference: the theoretical amount is counted
// against the source even when the dst exchange rate fell, so the source is
// under-slashed by the difference (the redelegator does not pay twice).
TEST_F(SlashTest, DstSlashedFirstUnderSlashesSource) {
  Fund("d", 2000);
  Must(Staking::Delegate(ctx(), d_, v_, A(2000)));
  const int64_t hi = 5;
  AdvanceTo(hi);
  Must(Staking::BeginRedelegate(ctx(), d_, v_, w_, A(2000)));
  NextBlock();
  EXPECT_EQ(Must(Staking::Slash(ctx(), w_, block_.height, 1, D("0.5"))), A(500000));
  EXPECT_EQ(Val(w_).tokens, A(502000));
  NextBlock();
  Amount supply = Supply();
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, hi, 10, D("0.05"))), A(499900));
  // 100 dst shares (0.05 x 2000) are worth trunc(100 x 502000 / 1002000) = 50.
  EXPECT_EQ(SharesOf("d", w_), D("1900"));
  EXPECT_EQ(Supply(), Must(supply.Sub(A(499950))));
  ExpectInvariants();
}

TEST_F(SlashTest, RedelegationEntryBeforeInfractionIsNotSlashed) {
  Fund("d", 2000);
  Must(Staking::Delegate(ctx(), d_, v_, A(2000)));
  Must(Staking::BeginRedelegate(ctx(), d_, v_, w_, A(2000)));
  AdvanceTo(10);
  EXPECT_EQ(Must(Staking::Slash(ctx(), v_, 5, 10, D("0.05"))), A(500000));
  EXPECT_EQ(SharesOf("d", w_), D("2000"));
  ExpectInvariants();
}

}  // namespace
}  // namespace mesh::staking::testing
