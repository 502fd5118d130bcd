// F1 rewards: allocation by power, commission, withdrawal, slashes.
#include <gtest/gtest.h>

#include <string>

#include "staking/auth.h"
#include "staking/test_util.h"

namespace mesh::staking::testing {
namespace {

using absl::StatusCode;

constexpr u128 kMillion = 1000000;
const Denom kFee("ufee");

class RewardsTest : public StakingTest {
 protected:
  void Allocate(u128 amount) {
    Must(Bank::Mint(ctx(), AccountAddress("fees"), kFee, Amount(amount)));
    Must(Staking::AllocateRewards(ctx(), AccountAddress("fees"), kFee, Amount(amount)));
  }
  Amount Withdraw(const std::string& who, const ValidatorAddress& v) {
    auto paid = Must(Staking::WithdrawRewards(ctx(), AccountAddress(who), v));
    Amount sum;
    for (const auto& [denom, amount] : paid) {
      EXPECT_EQ(denom, kFee);
      sum = Must(sum.Add(amount));
    }
    return sum;
  }
  Amount FeeBalance(const AccountAddress& who) { return Must(Bank::Balance(ctx(), who, kFee)); }
};

TEST_F(RewardsTest, SplitByPowerWithCommissionIsExact) {
  ValidatorAddress a = CreateVal("a", 2 * kMillion, D("0.1"));
  ValidatorAddress b = CreateVal("b", kMillion);
  DelegateFunded("d", a, kMillion);
  EndBlock();
  Allocate(1000);                                        // a: 750 (power 3), b: 250 (power 1)
  EXPECT_EQ(FeeBalance(AccountAddress("op/a")), A(75));  // 10 % commission, paid at once
  EXPECT_EQ(Withdraw("op/a", a), A(450));                // 675 x 2/3
  EXPECT_EQ(Withdraw("d", a), A(225));                   // 675 x 1/3
  EXPECT_EQ(Withdraw("op/b", b), A(250));
  EXPECT_EQ(FeeBalance(kDistributionPool), A(0));
  EXPECT_EQ(Withdraw("d", a), A(0));  // nothing twice
  ExpectInvariants();
}

TEST_F(RewardsTest, DustStaysInTheDistributionPool) {
  ValidatorAddress a = CreateVal("a", kMillion);
  ValidatorAddress b = CreateVal("b", kMillion);
  ValidatorAddress c = CreateVal("c", kMillion);
  EndBlock();
  Allocate(10);  // 3.333333333333333333 each
  EXPECT_EQ(Withdraw("op/a", a), A(3));
  EXPECT_EQ(Withdraw("op/b", b), A(3));
  EXPECT_EQ(Withdraw("op/c", c), A(3));
  EXPECT_EQ(FeeBalance(kDistributionPool), A(1));
}

TEST_F(RewardsTest, CommissionFractionsCarryOver) {
  ValidatorAddress a = CreateVal("a", kMillion, D("0.1"));
  EndBlock();
  Allocate(5);  // commission 0.5
  EXPECT_EQ(FeeBalance(AccountAddress("op/a")), A(0));
  Allocate(5);  // commission 1.0
  EXPECT_EQ(FeeBalance(AccountAddress("op/a")), A(1));
  EXPECT_EQ(Withdraw("op/a", a), A(9));
  EXPECT_EQ(FeeBalance(kDistributionPool), A(0));
}

TEST_F(RewardsTest, SlashedStakeEarnsLess) {
  ValidatorAddress a = CreateVal("a", 2 * kMillion);
  DelegateFunded("d", a, 2 * kMillion);
  EndBlock();
  Allocate(400);  // 200 each
  EXPECT_EQ(Must(Staking::Slash(ctx(), a, block_.height, 4, D("0.5"))), A(2 * kMillion));
  Allocate(100);  // on 2,000,000 tokens: 50 each
  EXPECT_EQ(Withdraw("d", a), A(250));
  EXPECT_EQ(Withdraw("op/a", a), A(250));
  EXPECT_EQ(FeeBalance(kDistributionPool), A(0));
  ExpectInvariants();
}

TEST_F(RewardsTest, DelegationChangesStartNewIntervals) {
  ValidatorAddress a = CreateVal("a", kMillion);
  EndBlock();
  Allocate(100);  // all to op/a
  DelegateFunded("d", a, kMillion);
  Allocate(200);  // 100 each
  EXPECT_EQ(Withdraw("d", a), A(100));
  Allocate(200);
  // Delegating more pays pending rewards first (SDK hook behaviour).
  DelegateFunded("d", a, kMillion);
  EXPECT_EQ(FeeBalance(AccountAddress("d")), A(200));
  // Undelegating everything pays them too.
  Allocate(300);  // op 100, d 200
  Must(Staking::Undelegate(ctx(), AccountAddress("d"), a, A(2 * kMillion)));
  EXPECT_EQ(FeeBalance(AccountAddress("d")), A(400));
  EXPECT_EQ(StatusOf(Staking::WithdrawRewards(ctx(), AccountAddress("d"), a)).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Withdraw("op/a", a), A(100 + 100 + 100 + 100));
  EXPECT_EQ(FeeBalance(kDistributionPool), A(0));
  ExpectInvariants();
}

TEST_F(RewardsTest, NoBondedValidatorsLeavesEverythingInThePool) {
  CreateVal("a", kMillion);  // not bonded yet
  Allocate(100);
  EXPECT_EQ(FeeBalance(kDistributionPool), A(100));
}

TEST_F(RewardsTest, AllocationCostDoesNotDependOnDelegators) {
  ValidatorAddress a = CreateVal("a", kMillion);
  ValidatorAddress b = CreateVal("b", kMillion);
  for (int i = 0; i < 50; ++i) DelegateFunded("d" + std::to_string(i), a, 1000);
  EndBlock();
  Must(Bank::Mint(ctx(), AccountAddress("fees"), kFee, A(2000)));
  // The pool's account exists already (its creation, on its first receipt
  // of funds, is two writes once per chain).
  Must(staking::Auth::Ensure(ctx(), kDistributionPool));
  auto writes = [&](u128 amount) {
    Overlay overlay(&store_);
    Must(Staking::AllocateRewards(ctx().WithStore(&overlay), AccountAddress("fees"), kFee,
                                  Amount(amount)));
    return overlay.pending().size();
  };
  // Same number of keys touched for a (51 delegators) and b (1 delegator):
  // per validator the current-rewards record and the commission record.
  EXPECT_EQ(writes(1000), 2u + 2u * 2u);
}

}  // namespace
}  // namespace mesh::staking::testing
