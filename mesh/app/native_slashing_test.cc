// The node's native slashing hook (issue 9): record the jailing for local
// staking, slash natively with the power at the infraction height, settle the
// local stakers by exactly what their delegations lost; all or nothing.
#include "mesh/app/native_slashing.h"

#include "core/status.h"
#include "gtest/gtest.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/vault.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::app {
namespace {

using provider::LienHolder;
using provider::LocalStaking;
using provider::Vault;
using staking::Bank;
using staking::Staking;

template <typename T>
T Must(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}
void Must(const absl::Status& s) { MESH_CHECK_OK(s); }
Dec D(const char* s) { return Must(Dec::Parse(s)); }
Amount A(u128 v) { return Amount(v); }

const Denom kOsmo{"uosmo"};
const ValidatorAddress kVal{"osmovaloper1alice"};
const AccountAddress kOp{"op/alice"};
const AccountAddress kUser{"user"};

class NativeSlashingTest : public ::testing::Test {
 protected:
  NativeSlashingTest() {
    block_.chain_id = "osmo";
    block_.height = 1;
    block_.time_ns = 1700000000ULL * kNanosPerSecond;
    staking::Params p;
    p.bond_denom = kOsmo;
    p.power_reduction = 1;
    p.unbonding_time_s = 3600;
    p.slash_fraction_double_sign = D("0.1");
    p.slash_fraction_downtime = D("0.1");
    Must(Staking::InitGenesis(ctx(), p));
    Must(Bank::Mint(ctx(), kOp, kOsmo, A(1000000)));
    Must(Staking::CreateValidator(ctx(), kVal, kOp, A(1000000), Dec::Zero()));
    Must(Staking::EndBlock(ctx()).status());
    Next();
  }
  Context ctx() { return Context(&store_, &block_); }
  void Next() {
    block_.height += 1;
    block_.time_ns += 5 * kNanosPerSecond;
  }
  // The provider role with local staking and `amount` locally staked.
  void StakeLocally(u128 amount) {
    Must(Vault::Init(ctx(), kOsmo, provider::LocalStakingConfig{kOsmo, D("0.1"), D("0.1")}));
    Must(Bank::Mint(ctx(), kUser, kOsmo, A(amount)));
    Must(Vault::Bond(ctx(), kUser, A(amount)));
    Must(Vault::StakeLocal(ctx(), kUser, A(amount), kVal));
    Must(Staking::EndBlock(ctx()).status());
    Next();
  }
  uint64_t PowerNow() { return Must(Staking::PowerAtHeight(ctx(), kVal, block_.height)); }
  Amount Delegation() {
    return Must(Staking::DelegationTokens(ctx(), LocalStaking::ProxyAccount(kUser), kVal));
  }
  Amount LocalLien() {
    return Must(Vault::GetClaim(ctx(), kUser, LienHolder::Local())).amount.high();
  }

  MemStore store_;
  BlockInfo block_;
};

TEST_F(NativeSlashingTest, DoubleSignTakesFromLocalStakersWhatTheDelegationLost) {
  StakeLocally(1000);
  ASSERT_EQ(PowerNow(), 1001000u);
  Must(HandleNativeDoubleSign(ctx(), kVal, static_cast<int64_t>(block_.height), PowerNow()));
  staking::Validator v = *Must(Staking::GetValidator(ctx(), kVal));
  EXPECT_EQ(v.tokens, A(900900));
  EXPECT_TRUE(v.jailed);
  EXPECT_TRUE(v.tombstoned);
  EXPECT_EQ(Delegation(), A(900));
  EXPECT_EQ(LocalLien(), A(900));
  EXPECT_EQ(Must(Vault::Account(ctx(), kUser)).bonded, A(900));
  Must(Vault::CheckInvariants(ctx()));
  Must(Staking::CheckInvariants(ctx()));
}

TEST_F(NativeSlashingTest, DowntimeAtAPastHeightUsesThePowerThen) {
  const uint64_t before = block_.height;  // power 1,000,000
  StakeLocally(1000);
  Must(HandleNativeDowntime(ctx(), kVal, static_cast<int64_t>(before),
                            Must(Staking::PowerAtHeight(ctx(), kVal, before))));
  EXPECT_EQ(Must(Staking::GetValidator(ctx(), kVal))->tokens, A(901000));
  EXPECT_EQ(Delegation(), A(900));  // floor(1000 x 901,000 / 1,001,000)
  EXPECT_EQ(LocalLien(), A(900));
  // A second downtime while jailed slashes no one.
  Must(HandleNativeDowntime(ctx(), kVal, static_cast<int64_t>(block_.height), PowerNow()));
  EXPECT_EQ(LocalLien(), A(900));
  Must(Vault::CheckInvariants(ctx()));
}

TEST_F(NativeSlashingTest, WithoutLocalStakingOnlyTheNativeSlashRuns) {
  Must(HandleNativeDowntime(ctx(), kVal, static_cast<int64_t>(block_.height), PowerNow()));
  EXPECT_EQ(Must(Staking::GetValidator(ctx(), kVal))->tokens, A(900000));
  EXPECT_FALSE(Must(LocalStaking::Enabled(ctx())));
}

TEST_F(NativeSlashingTest, RejectedEvidenceChangesNothing) {
  StakeLocally(1000);
  const int64_t future = static_cast<int64_t>(block_.height) + 1;
  EXPECT_EQ(HandleNativeDoubleSign(ctx(), kVal, future, PowerNow()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HandleNativeDowntime(ctx(), ValidatorAddress("nobody"), 1, 1).code(),
            absl::StatusCode::kNotFound);
  staking::Validator v = *Must(Staking::GetValidator(ctx(), kVal));
  EXPECT_EQ(v.tokens, A(1001000));
  EXPECT_FALSE(v.jailed);
  EXPECT_EQ(LocalLien(), A(1000));
}

// A passed governance slash (tombstone): 20 % at the height before the
// local stake (power 1,000,000): 200,000 burned, 1,001,000 -> 801,000; the
// local staker's delegation floor(1000 x 801,000 / 1,001,000) = 800.
TEST_F(NativeSlashingTest, GovernanceSlashTombstonesAndSettlesLocalStakers) {
  const uint64_t before = block_.height;
  StakeLocally(1000);
  provider::NativeSlashOrder o{1, provider::ConsumerId("neutron"), kVal, before, D("0.2"), true};
  EXPECT_EQ(Must(HandleGovernanceSlash(ctx(), o)), A(200000));
  staking::Validator v = *Must(Staking::GetValidator(ctx(), kVal));
  EXPECT_EQ(v.tokens, A(801000));
  EXPECT_TRUE(v.jailed);
  EXPECT_TRUE(v.tombstoned);
  EXPECT_EQ(Delegation(), A(800));
  EXPECT_EQ(LocalLien(), A(800));
  EXPECT_EQ(Must(Vault::Account(ctx(), kUser)).bonded, A(800));
  // Tombstoned: a second order slashes nothing.
  EXPECT_EQ(Must(HandleGovernanceSlash(ctx(), o)), A(0));
  EXPECT_EQ(Must(Staking::GetValidator(ctx(), kVal))->tokens, A(801000));
  Must(Vault::CheckInvariants(ctx()));
  Must(Staking::CheckInvariants(ctx()));
}

// jail_only: slashed and jailed for the downtime jail duration (SDK default
// 600 s), not tombstoned; an already jailed validator is slashed again but
// its jail end stays.
TEST_F(NativeSlashingTest, GovernanceJailOnlyJailsForTheDowntimeDuration) {
  StakeLocally(1000);
  provider::NativeSlashOrder o{2, provider::ConsumerId("neutron"), kVal, block_.height,
                               D("0.1"), false};
  EXPECT_EQ(Must(HandleGovernanceSlash(ctx(), o)), A(100100));
  staking::Validator v = *Must(Staking::GetValidator(ctx(), kVal));
  EXPECT_EQ(v.tokens, A(900900));
  EXPECT_TRUE(v.jailed);
  EXPECT_FALSE(v.tombstoned);
  const staking::Params p = Must(Staking::GetParams(ctx()));
  EXPECT_EQ(v.jailed_until_ns, block_.time_ns + p.downtime_jail_duration_s * kNanosPerSecond);
  EXPECT_EQ(Delegation(), A(900));
  EXPECT_EQ(LocalLien(), A(900));
  Next();
  EXPECT_EQ(Must(HandleGovernanceSlash(ctx(), o)), A(100100));  // the power then
  EXPECT_EQ(Must(Staking::GetValidator(ctx(), kVal))->jailed_until_ns, v.jailed_until_ns);
  Must(Vault::CheckInvariants(ctx()));
}

}  // namespace
}  // namespace mesh::app
