// F1 rewards: allocation by power, commission, withdrawal, slashes.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/codec.h"
#include "staking/auth.h"
#include "staking/internal.h"
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

// Forwards to `inner` and counts the scans over the slash-event table.
class SlashScanCounter : public KvStore {
 public:
  explicit SlashScanCounter(KvStore* inner) : inner_(inner) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_->Get(key);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse) const override {
    if (!begin.empty() && static_cast<uint8_t>(begin[0]) == internal::kSlashEventPrefix) {
      ++scans;
    }
    return inner_->Scan(begin, end, reverse);
  }
  absl::Status Put(std::string_view key, std::string_view value) override {
    return inner_->Put(key, value);
  }
  absl::Status Delete(std::string_view key) override { return inner_->Delete(key); }
  mutable int scans = 0;

 private:
  KvStore* inner_;
};

std::string CurrentRewardsKey(const ValidatorAddress& v) {
  return Encoder(internal::kCurrentRewardsPrefix).Str(v.value()).Take();
}

TEST_F(RewardsTest, WithdrawalReadsSlashEventsOnlyWhenOneFollowsItsStart) {
  ValidatorAddress a = CreateVal("a", 2 * kMillion);
  DelegateFunded("d", a, 2 * kMillion);
  EndBlock();
  SlashScanCounter counter(&store_);
  auto withdraw = [&]() {
    auto paid = Must(Staking::WithdrawRewards(ctx().WithStore(&counter), AccountAddress("d"), a));
    return paid.empty() ? A(0) : paid[0].second;
  };
  Allocate(400);
  EXPECT_EQ(withdraw(), A(200));
  EXPECT_EQ(counter.scans, 0);  // no slash event at all
  Allocate(400);
  EXPECT_EQ(Must(Staking::Slash(ctx(), a, block_.height, 4, D("0.5"))), A(2 * kMillion));
  Allocate(100);
  EXPECT_EQ(withdraw(), A(200 + 50));  // the slash halves the stake after the first 400
  EXPECT_EQ(counter.scans, 1);
  Allocate(100);
  EXPECT_EQ(withdraw(), A(50));  // started after the slash: nothing to read
  EXPECT_EQ(counter.scans, 1);
  EXPECT_EQ(Withdraw("op/a", a), A(200 + 200 + 50 + 50));
  EXPECT_EQ(FeeBalance(kDistributionPool), A(0));
  ExpectInvariants();
}

// A current-rewards record written before it named the last slash period
// (a state from an older version): the first period change finds the slash
// events and records the period, and the reward is the same.
TEST_F(RewardsTest, RecordWithoutLastSlashPeriodFindsItFromTheSlashEvents) {
  ValidatorAddress a = CreateVal("a", 2 * kMillion);
  DelegateFunded("d", a, 2 * kMillion);
  EndBlock();
  Allocate(400);
  EXPECT_EQ(Must(Staking::Slash(ctx(), a, block_.height, 4, D("0.5"))), A(2 * kMillion));
  Allocate(100);
  const std::string key = CurrentRewardsKey(a);
  const std::string current = *Must(store_.Get(key));
  Decoder tail(std::string_view(current).substr(current.size() - 8));
  const uint64_t slash_period = Must(tail.U64());
  EXPECT_GT(slash_period, 0u);
  Must(store_.Put(key, current.substr(0, current.size() - 8)));  // the old layout
  // Without the slash: 1,000,000 x 1.5e-4 = 150; with it 200 + 50.
  EXPECT_EQ(Withdraw("d", a), A(250));
  const std::string after = *Must(store_.Get(key));
  Decoder again(std::string_view(after).substr(after.size() - 8));
  EXPECT_EQ(Must(again.U64()), slash_period);
  EXPECT_EQ(Withdraw("op/a", a), A(250));
  EXPECT_EQ(FeeBalance(kDistributionPool), A(0));
  ExpectInvariants();
}

// docs/compatibility.md S-1: a period that saw no rewards is not ended by a
// delegation change (the SDK ends one per change): changes in a row share
// one historical record, and every reward is what ending each period pays.
TEST_F(RewardsTest, ChangesWithoutRewardsBetweenThemEndNoPeriod) {
  ValidatorAddress a = CreateVal("a", 2 * kMillion);
  DelegateFunded("d0", a, 2 * kMillion);
  EndBlock();
  auto records = [&]() {
    const std::string prefix = Encoder(internal::kHistoricalRewardsPrefix).Str(a.value()).Take();
    return Must(internal::CollectPrefix(store_, prefix)).size();
  };
  auto period = [&]() {
    const std::string record = *Must(store_.Get(CurrentRewardsKey(a)));
    Decoder d(record);
    return Must(d.U64());
  };
  Allocate(400);  // 200 to each of op/a and d0
  const uint64_t rewarded = period();
  DelegateFunded("d1", a, 2 * kMillion);  // ends the rewarded period
  EXPECT_EQ(period(), rewarded + 1);
  const size_t held = records();
  // Three more changes, no rewards between them: no period ends.
  DelegateFunded("d2", a, 2 * kMillion);
  DelegateFunded("d1", a, 2 * kMillion);
  Must(Staking::Undelegate(ctx(), AccountAddress("d2"), a, A(kMillion)));
  EXPECT_EQ(period(), rewarded + 1);
  EXPECT_EQ(records(), held);
  // op/a 2, d0 2, d1 4, d2 1 (million): 900 shares 200 / 200 / 400 / 100.
  Allocate(900);
  EXPECT_EQ(Withdraw("d0", a), A(200 + 200));
  EXPECT_EQ(Withdraw("d1", a), A(400));
  EXPECT_EQ(Withdraw("d2", a), A(100));
  EXPECT_EQ(period(), rewarded + 2);  // the first withdrawal ended the rewarded one
  // A slash always ends the period, rewards or not.
  EXPECT_EQ(Must(Staking::Slash(ctx(), a, block_.height, 9, D("0.5"))), A(4500000));
  EXPECT_EQ(period(), rewarded + 3);
  Allocate(450);  // stakes halved to 1 / 1 / 2 / 0.5 million (op/a, d0, d1, d2): 100 per million
  EXPECT_EQ(Withdraw("d1", a), A(200));
  EXPECT_EQ(Withdraw("d2", a), A(50));
  EXPECT_EQ(Withdraw("d0", a), A(100));
  EXPECT_EQ(Withdraw("op/a", a), A(200 + 200 + 100));
  EXPECT_EQ(FeeBalance(kDistributionPool), A(0));
  ExpectInvariants();
}

}  // namespace
}  // namespace mesh::staking::testing
