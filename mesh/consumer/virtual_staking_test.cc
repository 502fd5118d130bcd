// Virtual staking: reference unit tests 7-C and multitests 7-A
// (mesh-consumer-ibc.md §7) with their exact numbers, run against the native
// staking module, plus the fixed reference bugs (docs/compatibility.md).
#include "mesh/consumer/virtual_staking.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

#include "mesh/consumer/test_fixture.h"

namespace mesh::consumer::testing {
namespace {

using Amounts = ValidatorAmounts;
using Vals = std::vector<ValidatorAddress>;

class VirtualStakingTest : public ConsumerTest {
 protected:
  // val1 and val2 with self-bonds 90 and 80, bonded.
  void TwoValidators() {
    CreateValidator("val1", 90);
    CreateValidator("val2", 80);
    EndBlock();
  }
  // Reference jail(v, 10 %, ...): a real downtime slash at the validator's
  // current power, then the block ends (jail -> removal).
  void Jail(const char* v) {
    auto val = Must(staking::Staking::GetValidator(ctx(), V(v)));
    Must(staking::Staking::HandleDowntime(ctx(), V(v), static_cast<int64_t>(block_.height),
                                          val->tokens.raw()));
    EndBlock();
  }
  void Status(ValsetUpdate u) { Must(VirtualStaking::ApplyValidatorStatus(ctx(), u)); }
};

TEST_F(VirtualStakingTest, C1NoBondWithZeroCap) {
  TwoValidators();
  SetCap(0);
  Bond("val1", 5);
  EpochReport r = Epoch();
  EXPECT_TRUE(r.zero_cap);
  EXPECT_TRUE(r.bonds.empty());
  EXPECT_TRUE(r.reward_validators.empty());
  EXPECT_EQ(Must(VirtualStaking::ActualDelegation(ctx(), prov_, V("val1"))), A(0));
}

TEST_F(VirtualStakingTest, C2SimpleBond) {
  TwoValidators();
  SetCap(10);
  Bond("val1", 5);
  EpochReport r = Epoch();
  EXPECT_EQ(r.bonds, (Amounts{{V("val1"), A(5)}}));
  EXPECT_TRUE(r.reward_validators.empty());
  EXPECT_EQ(Must(VirtualStaking::ActualDelegation(ctx(), prov_, V("val1"))), A(5));
}

TEST_F(VirtualStakingTest, C3SimpleBond2) {
  TwoValidators();
  SetCap(10);
  Bond("val1", 6);
  Bond("val2", 4);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val1"), A(6)}, {V("val2"), A(4)}}));
}

TEST_F(VirtualStakingTest, C4BondRebalanceScalesToCap) {
  TwoValidators();
  SetCap(5);
  Bond("val1", 10);
  Bond("val2", 40);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val1"), A(1)}, {V("val2"), A(4)}}));
  EXPECT_EQ(Must(VirtualStaking::GetAllStake(ctx(), prov_)),
            (Amounts{{V("val1"), A(1)}, {V("val2"), A(4)}}));
}

TEST_F(VirtualStakingTest, C5Unbond) {
  TwoValidators();
  SetCap(10);
  Bond("val1", 5);
  EpochReport first = Epoch();
  EXPECT_EQ(first.bonds, (Amounts{{V("val1"), A(5)}}));
  EXPECT_TRUE(first.reward_validators.empty());
  EXPECT_EQ(Must(VirtualStaking::RemoveStake(ctx(), prov_, AccountAddress("owner"), V("val1"),
                                             A(5))),
            A(5));
  EpochReport second = Epoch();
  EXPECT_EQ(second.unbonds, (Amounts{{V("val1"), A(5)}}));
  EXPECT_TRUE(second.bonds.empty());
  EXPECT_EQ(second.reward_validators, (Vals{V("val1")}));
}

TEST_F(VirtualStakingTest, C6Burn) {
  TwoValidators();
  SetCap(10);
  Bond("val1", 5);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val1"), A(5)}}));
  EXPECT_EQ(Must(VirtualStaking::Burn(ctx(), prov_, {V("val1")}, A(5))), A(5));
  EpochReport r = Epoch();
  EXPECT_EQ(r.unbonds, (Amounts{{V("val1"), A(5)}}));
  EXPECT_EQ(r.reward_validators, (Vals{V("val1")}));
}

TEST_F(VirtualStakingTest, C7MultipleValidatorsBurn) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 5);
  Bond("val2", 20);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val1"), A(5)}, {V("val2"), A(20)}}));
  Must(VirtualStaking::Burn(ctx(), prov_, {V("val1"), V("val2")}, A(5)));
  EpochReport r = Epoch();
  EXPECT_EQ(Sorted(r.unbonds), (Amounts{{V("val1"), A(3)}, {V("val2"), A(2)}}));
  EXPECT_EQ(r.reward_validators, (Vals{V("val1"), V("val2")}));
}

TEST_F(VirtualStakingTest, C8SomeUnbondedValidatorsBurn) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 5);
  Bond("val2", 10);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val1"), A(5)}, {V("val2"), A(10)}}));
  Must(VirtualStaking::Burn(ctx(), prov_, {V("val1"), V("val2")}, A(15)));
  EpochReport r = Epoch();
  EXPECT_EQ(Sorted(r.unbonds), (Amounts{{V("val1"), A(5)}, {V("val2"), A(10)}}));
  EXPECT_EQ(r.reward_validators, (Vals{V("val1"), V("val2")}));
}

TEST_F(VirtualStakingTest, C9UnbondedValidatorsBurnFailsAndChangesNothing) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 5);
  Bond("val2", 10);
  Epoch();
  absl::Status s = VirtualStaking::Burn(ctx(), prov_, {V("val1"), V("val2")}, A(20)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "Virtual staking mesh1h5uq8p0mdwntw2mshy5efvy2da2suqp2p5238n has not enough delegated "
            "funds: 20");
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(5));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val2"))), A(10));
}

// G-21: the virtual account is the Cosmos SDK module address of
// "mesh_virtual/<provider>" (SHA-256(name)[:20]) in bech32 under the chain's
// account prefix (consumer params), so the Cosmos staking queries that take
// a delegator address accept it. The literal was computed independently.
TEST_F(VirtualStakingTest, VirtualAccountIsTheBech32ModuleAddress) {
  EXPECT_EQ(VirtualStaking::VirtualModuleName(prov_), "mesh_virtual/prov");
  const AccountAddress virt = Must(VirtualStaking::VirtualAccount(ctx(), prov_));
  EXPECT_EQ(virt.value(), "mesh1h5uq8p0mdwntw2mshy5efvy2da2suqp2p5238n");
  Bech32Decoded d = Must(Bech32Decode(virt.value()));
  EXPECT_EQ(d.hrp, "mesh");
  const Hash256 h = Sha256("mesh_virtual/prov");
  EXPECT_EQ(d.data, std::string(reinterpret_cast<const char*>(h.data()), 20));
  // Another provider, another account; the native delegation is held there.
  EXPECT_NE(Must(VirtualStaking::VirtualAccount(ctx(), ProviderId("prov2"))), virt);
  TwoValidators();
  SetCap(10);
  Bond("val1", 5);
  Epoch();
  EXPECT_EQ(Must(staking::Staking::DelegationTokens(ctx(), virt, V("val1"))), A(5));
}

TEST_F(VirtualStakingTest, VirtualAccountFollowsTheChainPrefix) {
  MemStore other;
  Context c(&other, &block_);
  ModuleParams mp;
  mp.authority = kGov;
  mp.account_prefix = "osmo";
  Must(Consumer::InitGenesis(c, mp));
  EXPECT_EQ(Must(Consumer::GetParams(c)).account_prefix, "osmo");
  EXPECT_EQ(Must(VirtualStaking::VirtualAccount(c, prov_)).value(),
            "osmo1h5uq8p0mdwntw2mshy5efvy2da2suqp2r84k56");
  EXPECT_EQ(Must(VirtualStaking::VirtualAccountFor("osmo", prov_)).value(),
            "osmo1h5uq8p0mdwntw2mshy5efvy2da2suqp2r84k56");
  // A prefix bech32 cannot use is refused at genesis, not at the first bond.
  for (const char* bad : {"", "Osmo", "os mo"}) {
    MemStore s;
    mp.account_prefix = bad;
    EXPECT_EQ(Consumer::InitGenesis(Context(&s, &block_), mp).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  // Before genesis there is no prefix, hence no account.
  MemStore empty;
  EXPECT_EQ(VirtualStaking::VirtualAccount(Context(&empty, &block_), prov_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(VirtualStakingTest, C10ValidatorJailUnjail) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 10);
  Bond("val2", 20);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val1"), A(10)}, {V("val2"), A(20)}}));
  Jail("val1");  // 10 % of power 100: 10 burned, 1 of it virtual
  EpochReport r = Epoch();
  EXPECT_TRUE(r.bonds.empty());
  EXPECT_TRUE(r.unbonds.empty());
  EXPECT_EQ(r.reward_validators, (Vals{V("val2")}));
  EXPECT_EQ(Must(VirtualStaking::GetAllStake(ctx(), prov_)),
            (Amounts{{V("val1"), A(9)}, {V("val2"), A(20)}}));
  EXPECT_EQ(Epoch().reward_validators, (Vals{V("val2")}));
  Status(ValsetUpdate{.unjailed = {V("val1")}});
  r = Epoch();
  EXPECT_TRUE(r.bonds.empty() && r.unbonds.empty());
  EXPECT_EQ(r.reward_validators, (Vals{V("val2")}));
  Status(ValsetUpdate{.removals = {V("val1")}});
  r = Epoch();
  EXPECT_TRUE(r.bonds.empty() && r.unbonds.empty());
  EXPECT_EQ(r.reward_validators, (Vals{V("val2")}));
  Status(ValsetUpdate{.additions = {ValidatorInfo{V("val1"), Dec::Zero()}}});
  r = Epoch();
  EXPECT_TRUE(r.bonds.empty() && r.unbonds.empty());
  EXPECT_EQ(r.reward_validators, (Vals{V("val1"), V("val2")}));
}

TEST_F(VirtualStakingTest, C11ValidatorJailPendingBond) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 10);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val1"), A(10)}}));
  Bond("val1", 20);
  Jail("val1");
  EpochReport r = Epoch();
  EXPECT_EQ(r.bonds, (Amounts{{V("val1"), A(20)}}));
  EXPECT_TRUE(r.unbonds.empty());
  EXPECT_TRUE(r.reward_validators.empty());
  EXPECT_EQ(Must(VirtualStaking::GetAllStake(ctx(), prov_)), (Amounts{{V("val1"), A(29)}}));
}

// 7-A A2 ibc_stake_and_unstake, through the inbound handlers.
TEST_F(VirtualStakingTest, A2IbcStakeAndUnstake) {
  ValidatorAddress val1 = CreateValidator("Val Kilmer", 100);
  ValidatorAddress val2 = CreateValidator("Valley Girl", 100);
  EndBlock();
  SetCap(1000000);
  EXPECT_TRUE(Must(VirtualStaking::GetAllStake(ctx(), prov_)).empty());
  EXPECT_EQ(Must(VirtualStaking::GetStake(ctx(), prov_, val1)), A(0));
  AccountAddress sunny("sunny");
  EXPECT_EQ(Must(Consumer::HandleStake(ctx(), prov_, {sunny, val1, {kJuno, A(1000)}, 1})), A(300));
  EXPECT_EQ(Must(Consumer::HandleStake(ctx(), prov_, {sunny, val2, {kJuno, A(4000)}, 2})),
            A(1200));
  EXPECT_EQ(Must(Consumer::HandleUnstake(ctx(), prov_, {sunny, val2, {kJuno, A(2000)}, 3})),
            A(600));
  Epoch();
  EXPECT_EQ(Must(VirtualStaking::GetStake(ctx(), prov_, val1)), A(300));
  EXPECT_EQ(Must(VirtualStaking::GetStake(ctx(), prov_, val2)), A(600));
  EXPECT_EQ(Must(VirtualStaking::GetAllStake(ctx(), prov_)),
            (Amounts{{val1, A(300)}, {val2, A(600)}}));
}

// 7-A A3 ibc_stake_and_burn.
TEST_F(VirtualStakingTest, A3IbcStakeAndBurn) {
  ValidatorAddress val1 = CreateValidator("Val Kilmer", 100);
  ValidatorAddress val2 = CreateValidator("Valley Girl", 100);
  EndBlock();
  SetCap(1000000);
  AccountAddress sunny("sunny");
  Must(Consumer::HandleStake(ctx(), prov_, {sunny, val1, {kJuno, A(1000)}, 1}));
  Must(Consumer::HandleStake(ctx(), prov_, {sunny, val2, {kJuno, A(4000)}, 2}));
  EXPECT_EQ(Must(Consumer::HandleBurn(ctx(), prov_, {{val2}, {kJuno, A(2000)}})), A(600));
  Epoch();
  EXPECT_EQ(Must(VirtualStaking::GetAllStake(ctx(), prov_)),
            (Amounts{{val1, A(300)}, {val2, A(600)}}));
}

// Reference chain-module §1.7 quirk: slashed tokens stay in total_delegated
// and use cap head-room for ever, so this bond would exceed the cap there.
TEST_F(VirtualStakingTest, SlashFreesCapHeadroom) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 90);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val1"), A(90)}}));
  Jail("val1");  // power 180, 18 burned, 9 of it virtual
  ProviderState st = Must(Consumer::GetState(ctx(), prov_));
  EXPECT_EQ(st.total_delegated, A(81));
  EXPECT_EQ(st.slashed, A(9));
  Bond("val2", 19);
  EXPECT_EQ(Epoch().bonds, (Amounts{{V("val2"), A(19)}}));
  EXPECT_EQ(Must(Consumer::GetState(ctx(), prov_)).total_delegated, A(100));
}

// The reference rebalance emits bonds and unbonds in validator order, so a
// bond can hit the cap before the unbond that makes room for it.
TEST_F(VirtualStakingTest, UnbondsRunBeforeBondsAtTheCap) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 50);
  Bond("val2", 50);
  Epoch();
  Must(VirtualStaking::RemoveStake(ctx(), prov_, AccountAddress("owner"), V("val2"), A(30)));
  Bond("val1", 30);
  EpochReport r = Epoch();
  EXPECT_EQ(r.unbonds, (Amounts{{V("val2"), A(30)}}));
  EXPECT_EQ(r.bonds, (Amounts{{V("val1"), A(30)}}));
}

// Reference §8.3 C4 (only the last slash of an epoch counted) and C5 (a slash
// above the bonded amount aborts every later epoch).
TEST_F(VirtualStakingTest, EverySlashCountsAndOversizedSlashesSaturate) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 10);
  Epoch();
  Must(staking::Staking::Slash(ctx(), V("val1"), static_cast<int64_t>(block_.height), 100,
                               D("0.1")));
  Must(staking::Staking::Slash(ctx(), V("val1"), static_cast<int64_t>(block_.height) - 1, 90,
                               D("0.1")));
  EndBlock();  // shares of 10 and 9 burned: 1 and round(0.1 * 9) = 1 virtual
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(8));
  Epoch();
  Must(VirtualStaking::ApplySlash(ctx(), prov_, V("val1"), A(1000)));
  EXPECT_EQ(Must(VirtualStaking::GetStake(ctx(), prov_, V("val1"))), A(0));
  EXPECT_TRUE(VirtualStaking::HandleEpoch(ctx(), prov_).ok());
}

TEST_F(VirtualStakingTest, TombstonedValidatorIsUnbondedAndGetsNoNewStake) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 10);
  Bond("val2", 10);
  Epoch();
  Must(staking::Staking::HandleDoubleSign(ctx(), V("val1"), static_cast<int64_t>(block_.height),
                                          100));
  EndBlock();  // 25 of 100 burned, 2.5 -> 2 (half-even) virtual
  EXPECT_TRUE(Must(VirtualStaking::GetValidatorStatus(ctx(), V("val1"))).tombstoned);
  Bond("val1", 5);  // a request that reached the tombstoned validator anyway
  EpochReport r = Epoch();
  ASSERT_EQ(r.unbonds.size(), 1u);
  EXPECT_EQ(r.unbonds[0].first, V("val1"));
  EXPECT_TRUE(r.bonds.empty());
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(0));
  EXPECT_EQ(Must(VirtualStaking::ActualDelegation(ctx(), prov_, V("val1"))), A(0));
  EXPECT_TRUE(Epoch().unbonds.empty());
  absl::Status s =
      Consumer::HandleStake(ctx(), prov_, {AccountAddress("u"), V("val1"), {kJuno, A(100)}, 1})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Consumer::HandleStake(ctx(), prov_, {AccountAddress("u"), V("nope"), {kJuno, A(1)}, 1})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(VirtualStakingTest, CapLoweredScalesEveryValidatorAtTheNextEpoch) {
  TwoValidators();
  SetCap(100);
  Bond("val1", 30);
  Bond("val2", 60);
  Epoch();
  SetCap(45);
  EpochReport r = Epoch();
  EXPECT_EQ(r.unbonds, (Amounts{{V("val1"), A(15)}, {V("val2"), A(30)}}));
  EXPECT_EQ(Must(VirtualStaking::GetAllStake(ctx(), prov_)),
            (Amounts{{V("val1"), A(15)}, {V("val2"), A(30)}}));
}

}  // namespace
}  // namespace mesh::consumer::testing
