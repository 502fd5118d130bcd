// Unbonding holds (staking/unbonding_hold.h): a mature operation on hold
// waits; released, it completes at the next end block; unused, nothing changes.
#include "staking/unbonding_hold.h"

#include <gtest/gtest.h>

#include "staking/test_util.h"

namespace mesh::staking::testing {
namespace {

constexpr u128 kMillion = 1000000;

class UnbondingHoldTest : public StakingTest {};

TEST_F(UnbondingHoldTest, HeldUndelegationWaitsForTheReleaseThenCompletesAtTheNextEndBlock) {
  ValidatorAddress v = CreateVal("a", 10 * kMillion);
  DelegateFunded("d", v, 3 * kMillion);
  EndBlock();
  Must(UnbondingHolds::SetJournal(ctx(), true));
  const uint64_t h = block_.height;
  uint64_t completion = Must(Staking::Undelegate(ctx(), AccountAddress("d"), v, A(kMillion)));
  const std::string op = UndelegationOpId(AccountAddress("d"), v, h, completion);
  EXPECT_EQ(Must(UnbondingHolds::Count(ctx(), op)), 1u);  // the journal's hold
  std::vector<std::string> started = Must(UnbondingHolds::TakeStarted(ctx()));
  ASSERT_EQ(started, std::vector<std::string>{op});
  EXPECT_TRUE(Must(UnbondingHolds::TakeStarted(ctx())).empty());
  Must(UnbondingHolds::Hold(ctx(), op));     // a holder's own hold
  Must(UnbondingHolds::Release(ctx(), op));  // the journal's one
  EXPECT_EQ(Must(UnbondingHolds::Count(ctx(), op)), 1u);
  EndBlock();
  block_.time_ns = completion;  // T: due, but on hold
  EndBlock(100);
  EXPECT_EQ(Balance("d"), A(0));
  EndBlock(100);  // T + 100 s: still waiting
  EXPECT_EQ(Balance("d"), A(0));
  ASSERT_TRUE(Must(Staking::GetUnbondingDelegation(ctx(), AccountAddress("d"), v)).has_value());
  Must(UnbondingHolds::Release(ctx(), op));  // T' = T + 200 s
  EXPECT_EQ(Must(UnbondingHolds::Count(ctx(), op)), 0u);
  EXPECT_EQ(Balance("d"), A(0));
  EndBlock();
  EXPECT_EQ(Balance("d"), A(kMillion));
  EXPECT_FALSE(Must(Staking::GetUnbondingDelegation(ctx(), AccountAddress("d"), v)).has_value());
  ExpectInvariants();
}

TEST_F(UnbondingHoldTest, HeldEntryDoesNotHoldItsNeighbours) {
  ValidatorAddress v = CreateVal("a", 10 * kMillion);
  DelegateFunded("d", v, 3 * kMillion);
  EndBlock();
  Must(UnbondingHolds::SetJournal(ctx(), true));
  const uint64_t h1 = block_.height;
  uint64_t c1 = Must(Staking::Undelegate(ctx(), AccountAddress("d"), v, A(100)));
  Must(UnbondingHolds::SetJournal(ctx(), false));
  EndBlock();
  uint64_t c2 = Must(Staking::Undelegate(ctx(), AccountAddress("d"), v, A(7)));  // not held
  block_.time_ns = c2;
  EndBlock();
  EXPECT_EQ(Balance("d"), A(7));
  auto ubd = Must(Staking::GetUnbondingDelegation(ctx(), AccountAddress("d"), v));
  ASSERT_TRUE(ubd.has_value());
  ASSERT_EQ(ubd->entries.size(), 1u);
  EXPECT_EQ(ubd->entries[0].completion_time_ns, c1);
  Must(UnbondingHolds::Release(ctx(), UndelegationOpId(AccountAddress("d"), v, h1, c1)));
  EndBlock();
  EXPECT_EQ(Balance("d"), A(107));
  ExpectInvariants();
}

TEST_F(UnbondingHoldTest, HeldRedelegationAndValidatorUnbonding) {
  Params p;
  p.max_validators = 1;
  Init(p);
  ValidatorAddress a = CreateVal("a", 10 * kMillion);
  ValidatorAddress b = CreateVal("b", 5 * kMillion);
  DelegateFunded("d", a, kMillion);
  EndBlock();
  Must(UnbondingHolds::SetJournal(ctx(), true));
  const uint64_t h = block_.height;
  uint64_t c = Must(Staking::BeginRedelegate(ctx(), AccountAddress("d"), a, b, A(100)));
  const std::string red = RedelegationOpId(AccountAddress("d"), a, b, h, c);
  Fund("x", 20 * kMillion);  // b overtakes a: a starts unbonding at this end block
  Must(Staking::Delegate(ctx(), AccountAddress("x"), b, A(20 * kMillion)));
  EndBlock();
  const std::string val = ValidatorUnbondingOpId(a, h, c);
  EXPECT_EQ(Val(a).status, BondStatus::kUnbonding);
  EXPECT_EQ(Must(UnbondingHolds::TakeStarted(ctx())), (std::vector<std::string>{val, red}));  // id order
  block_.time_ns = c;
  EndBlock();
  EXPECT_EQ(Val(a).status, BondStatus::kUnbonding);
  EXPECT_EQ(Must(Staking::DelegatorRedelegations(ctx(), AccountAddress("d"))).size(), 1u);
  Must(UnbondingHolds::Release(ctx(), red));
  Must(UnbondingHolds::Release(ctx(), val));
  EndBlock();
  EXPECT_EQ(Val(a).status, BondStatus::kUnbonded);
  EXPECT_TRUE(Must(Staking::DelegatorRedelegations(ctx(), AccountAddress("d"))).empty());
  ExpectInvariants();
}

TEST_F(UnbondingHoldTest, JournalOffWritesNothing) {
  ValidatorAddress v = CreateVal("a", 10 * kMillion);
  DelegateFunded("d", v, 3 * kMillion);
  EndBlock();
  Must(UnbondingHolds::SetJournal(ctx(), false));  // already off: no write
  uint64_t completion = Must(Staking::Undelegate(ctx(), AccountAddress("d"), v, A(kMillion)));
  for (uint8_t t : {0x38, 0x39, 0x3A}) {
    auto it = store_.ScanPrefix(std::string(1, static_cast<char>(t)));
    EXPECT_FALSE(it->Valid()) << int(t);
  }
  block_.time_ns = completion;
  EndBlock();
  EXPECT_EQ(Balance("d"), A(kMillion));
}

// Held past its completion, an entry stays slashable ("mature and not on
// hold", neighbours.md §1.5).
TEST_F(UnbondingHoldTest, HeldMatureEntryStaysSlashable) {
  ValidatorAddress v = CreateVal("a", 10 * kMillion);
  DelegateFunded("d", v, 3 * kMillion);
  EndBlock();
  const uint64_t h = block_.height;
  Must(UnbondingHolds::SetJournal(ctx(), true));
  uint64_t completion = Must(Staking::Undelegate(ctx(), AccountAddress("d"), v, A(kMillion)));
  Must(UnbondingHolds::TakeStarted(ctx()).status());  // keeps the journal's hold
  block_.time_ns = completion;
  EndBlock();
  // Infraction at h (the undelegation's height), 10 % of power 12: the held
  // entry pays 10 % of its 1,000,000.
  Must(Staking::Slash(ctx(), v, static_cast<int64_t>(h), 12, D("0.1")).status());
  auto ubd = Must(Staking::GetUnbondingDelegation(ctx(), AccountAddress("d"), v));
  ASSERT_TRUE(ubd.has_value());
  EXPECT_EQ(ubd->entries[0].balance, A(900000));
  Must(UnbondingHolds::Release(ctx(), UndelegationOpId(AccountAddress("d"), v, h, completion)));
  EndBlock();
  EXPECT_EQ(Balance("d"), A(900000));
  ExpectInvariants();
}

}  // namespace
}  // namespace mesh::staking::testing
