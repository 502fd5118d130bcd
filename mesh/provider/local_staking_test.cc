// Native-staking and proxy multitest scenarios (mesh-provider.md §8.3-8.4):
// the reference's per-user proxy contract is a per-user delegator account.
#include "mesh/provider/local_staking.h"

#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/kv.h"
#include "gtest/gtest.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/test_util.h"
#include "mesh/provider/vault.h"
#include "staking/internal.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)
using staking::Staking;

const Denom kUosmo("uosmo");
const AccountAddress kUser1("user1");

class LocalStakingTest : public ::testing::Test {
 protected:
  // The proxy multitest setup: vault + native staking (5%/5%), user1 funded
  // 1000 and bonding 200, then stake_local 100 on each listed validator.
  void Setup(const std::vector<const char*>& validators, const std::vector<const char*>& staked,
             uint64_t unbonding_s = 1468800) {
    InitNativeStaking(h_, "uosmo", unbonding_s, validators);
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return Vault::Init(c, kUosmo, LocalStakingConfig{kUosmo, Pct(5), Pct(5)});
                  }).ok());
    h_.Fund(kUser1, kUosmo, A(1000));
    ASSERT_TRUE(h_.Bond(kUser1, A(200)).ok());
    for (const char* v : staked) ASSERT_TRUE(StakeLocal(100, v).ok());
  }
  absl::Status StakeLocal(u128 amount, const char* v) {
    return h_.Run([&](const Context& c) { return Vault::StakeLocal(c, kUser1, A(amount), Val(v)); });
  }
  u128 Delegation(const char* v) {
    auto dels = LocalStaking::Delegations(h_.ctx(), kUser1).value();
    for (auto& [val, a] : dels) {
      if (val == Val(v)) return a.raw();
    }
    return 0;
  }
  Amount ProxyBalance() { return h_.Balance(LocalStaking::ProxyAccount(kUser1), kUosmo); }
  void ProcessUnbondings(uint64_t seconds = 1468800) {
    h_.AdvanceSeconds(seconds, 293760);
    EndBlock(h_);
  }
  absl::StatusOr<Amount> Release() {
    return h_.RunOr<Amount>(
        [&](const Context& c) { return LocalStaking::ReleaseUnbonded(c, kUser1); });
  }
  absl::Status Burn(u128 amount, std::optional<const char*> v) {
    std::optional<ValidatorAddress> val;
    if (v) val = Val(*v);
    return h_.Run([&](const Context& c) {
      return LocalStaking::BurnStake(c, kUser1, A(amount), val);
    });
  }

  // The node's native slashing (mesh/app/native_slashing.h) with a plain
  // slash of `fraction` at `infraction_height`: record the jailing, slash
  // with the power at that height, settle the local stakers.
  absl::Status NativeSlash(const char* v, uint64_t infraction_height, Dec fraction) {
    return h_.RunSlash([&](const Context& c) -> absl::Status {
      MESH_ASSIGN_OR_RETURN(NativeSlashRecord rec, LocalStaking::RecordJailing(c, Val(v)));
      MESH_ASSIGN_OR_RETURN(uint64_t power,
                            Staking::PowerAtHeight(c, Val(v), infraction_height));
      MESH_RETURN_IF_ERROR(Staking::Slash(c, Val(v), static_cast<int64_t>(infraction_height),
                                          power, fraction)
                               .status());
      return LocalStaking::SettleNativeSlash(c, rec);
    });
  }
  AmountRange LocalLien() {
    return Vault::GetClaim(h_.ctx(), kUser1, LienHolder::Local()).value().amount;
  }
  Amount Unbonding(const char* v) {
    auto ubd = Staking::GetUnbondingDelegation(h_.ctx(), LocalStaking::ProxyAccount(kUser1),
                                               Val(v))
                   .value();
    Amount sum;
    if (ubd.has_value()) {
      for (const auto& e : ubd->entries) sum = sum.Add(e.balance).value();
    }
    return sum;
  }
  absl::Status Unstake(const char* v, u128 amount) {
    return h_.Run([&](const Context& c) {
      return LocalStaking::Unstake(c, kUser1, Val(v), A(amount));
    });
  }

  Harness h_;
};

// The user record lists the validators the proxy delegates to, so a burn
// reads those delegations instead of scanning the proxy's: every operation
// keeps the list to what the proxy holds, and a delegation that native
// staking ended on its own (the slash of a redelegation unbonds at its
// destination) is skipped, then dropped.
TEST_F(LocalStakingTest, TheUserRecordListsTheValidatorsOfTheProxy) {
  Setup({"validator1", "validator2", "validator3"}, {"validator1", "validator2"});
  const AccountAddress proxy = LocalStaking::ProxyAccount(kUser1);
  auto listed = [&]() { return LocalStaking::User(h_.ctx(), kUser1).value().validators.value(); };
  auto held = [&]() {
    const std::vector<staking::Delegation> dels =
        Staking::DelegatorDelegations(h_.ctx(), proxy).value();
    std::vector<ValidatorAddress> out;
    for (const staking::Delegation& d : dels) out.push_back(d.validator);
    return out;
  };
  using Vals = std::vector<ValidatorAddress>;
  EXPECT_EQ(listed(), (Vals{Val("validator1"), Val("validator2")}));
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Restake(c, kUser1, Val("validator1"), Val("validator3"),
                                               A(100));
                }).ok());
  EXPECT_EQ(listed(), (Vals{Val("validator2"), Val("validator3")}));
  ASSERT_TRUE(Unstake("validator2", 100).ok());
  EXPECT_EQ(listed(), (Vals{Val("validator3")}));
  ASSERT_TRUE(h_.Bond(kUser1, A(100)).ok());
  ASSERT_TRUE(StakeLocal(50, "validator1").ok());
  ASSERT_TRUE(StakeLocal(10, "validator2").ok());
  EXPECT_EQ(listed(), held());
  EXPECT_EQ(listed().size(), 3u);
  // Native staking ends the delegation to validator2 by itself.
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return Staking::Undelegate(c, proxy, Val("validator2"), A(10)).status();
                }).ok());
  EXPECT_EQ(listed().size(), 3u);
  EXPECT_EQ(held(), (Vals{Val("validator1"), Val("validator3")}));
  EXPECT_EQ(LocalStaking::Delegations(h_.ctx(), kUser1).value().size(), 2u);
  // [50, 100] burn 150: 50 and 75, the remainder 25 to the first that takes
  // it whole (validator3): both delegations end.
  ASSERT_TRUE(Burn(150, std::nullopt).ok());
  EXPECT_EQ(Unbonding("validator1"), A(50));
  EXPECT_EQ(Unbonding("validator3"), A(100));
  EXPECT_EQ(listed(), Vals{});
  EXPECT_EQ(held(), Vals{});
}

// A user record written before the list was kept: the proxy's delegations
// are scanned, and the next write of the record lists them.
TEST_F(LocalStakingTest, AnEarlierUserRecordIsListedAtItsNextWrite) {
  Setup({"validator1", "validator2"}, {"validator1", "validator2"});
  const std::string key = tables::Key(tables::kLocalUsers, kUser1.value());
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return c.store().Put(key, Encoder().Amt(A(0)).Take());
                }).ok());
  EXPECT_EQ(LocalStaking::User(h_.ctx(), kUser1).value().validators, std::nullopt);
  EXPECT_EQ(Delegation("validator1"), 100u);
  EXPECT_EQ(Delegation("validator2"), 100u);
  ASSERT_TRUE(Burn(20, std::nullopt).ok());  // 10 from each
  EXPECT_EQ(Delegation("validator1"), 90u);
  EXPECT_EQ(Delegation("validator2"), 90u);
  const LocalUser u = LocalStaking::User(h_.ctx(), kUser1).value();
  EXPECT_EQ(u.burned, A(20));
  EXPECT_EQ(u.validators,
            (std::optional<std::vector<ValidatorAddress>>(
                std::vector<ValidatorAddress>{Val("validator1"), Val("validator2")})));
}

// A store that logs the keys read through it and refuses every write.
class ReadLog final : public KvStore {
 public:
  explicit ReadLog(KvStore& under) : under_(under) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    read.emplace(key);
    return under_.Get(key);
  }
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override {
    read.insert(keys.begin(), keys.end());
    return under_.GetMany(keys, out);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse) const override {
    scanned = true;
    return under_.Scan(begin, end, reverse);
  }
  absl::Status Put(std::string_view, std::string_view) override {
    return absl::InternalError("a write");
  }
  absl::Status Delete(std::string_view) override { return absl::InternalError("a write"); }

  mutable std::set<std::string, std::less<>> read;
  mutable bool scanned = false;

 private:
  KvStore& under_;
};

// PrefetchBurns reads, without a scan or a write, the user records and,
// for each validator a record lists, the proxy's delegation, unbonding
// record and F1 starting info: what the burn of a slash then reads first.
TEST_F(LocalStakingTest, PrefetchBurnsReadsWhatEachBurnReadsAndWritesNothing) {
  Setup({"validator1", "validator2", "validator3"}, {"validator1", "validator2"});
  ReadLog log(h_.ctx().store());
  const AccountAddress stranger("stranger");  // no local staking record
  const std::vector<AccountAddress> users = {kUser1, stranger};
  ASSERT_TRUE(LocalStaking::PrefetchBurns(h_.ctx().WithStore(&log), users).ok());
  EXPECT_FALSE(log.scanned);
  const AccountAddress proxy = LocalStaking::ProxyAccount(kUser1);
  EXPECT_TRUE(log.read.contains(tables::Key(tables::kLocalUsers, kUser1.value())));
  EXPECT_TRUE(log.read.contains(tables::Key(tables::kLocalUsers, stranger.value())));
  for (const char* v : {"validator1", "validator2"}) {
    EXPECT_TRUE(log.read.contains(staking::internal::DelegationKey(proxy, Val(v)))) << v;
    EXPECT_TRUE(log.read.contains(staking::internal::UbdKey(proxy, Val(v)))) << v;
    EXPECT_TRUE(log.read.contains(staking::internal::StartingInfoKey(Val(v), proxy))) << v;
  }
  // validator3 is not listed: nothing of it is read.
  EXPECT_FALSE(log.read.contains(staking::internal::DelegationKey(proxy, Val("validator3"))));
  EXPECT_EQ(log.read.size(), 2u + 2u * 3u);
}

TEST_F(LocalStakingTest, Instantiation) {
  Setup({"validator1"}, {"validator1"});
  EXPECT_EQ(LocalStaking::Config(h_.ctx()).value().slash_ratio_dsign, Pct(5));
  EXPECT_EQ(ProxyBalance(), A(0));
  EXPECT_EQ(Delegation("validator1"), 100u);
  LocalStakingConfig bad{kUosmo, Dec::FromRaw(Dec::kOne + 1), Pct(5)};
  EXPECT_EQ(LocalStaking::Init(h_.ctx(), bad).code(), absl::StatusCode::kInvalidArgument);
}

// native-staking multitest receiving_stake / releasing_proxy_stake.
TEST_F(LocalStakingTest, ReceivingAndReleasingStake) {
  // The reference chain unbonds instantly; native staking needs a period > 0.
  InitNativeStaking(h_, "OSMO", 1, {"validator1"});
  const Denom osmo("OSMO");
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return Vault::Init(c, osmo, LocalStakingConfig{osmo, Pct(15), Pct(10)});
                }).ok());
  EXPECT_EQ(Vault::Config(h_.ctx()).value().local_max_slash, Pct(15));
  EXPECT_FALSE(LocalStaking::User(h_.ctx(), kUser1).ok());
  h_.Fund(kUser1, osmo, A(300));
  ASSERT_TRUE(h_.Bond(kUser1, A(200)).ok());
  EXPECT_EQ(h_.Balance(kVaultAccount, osmo), A(200));
  ASSERT_TRUE(StakeLocal(100, "validator1").ok());
  EXPECT_EQ(h_.Balance(kVaultAccount, osmo), A(100));
  EXPECT_EQ(Vault::GetClaim(h_.ctx(), kUser1, LienHolder::Local()).value().amount, R(100));
  EXPECT_EQ(Delegation("validator1"), 100u);
  ASSERT_TRUE(StakeLocal(50, "validator1").ok());
  EXPECT_EQ(Delegation("validator1"), 150u);
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Unstake(c, kUser1, Val("validator1"), A(150));
                }).ok());
  ProcessUnbondings(300);
  ASSERT_TRUE(Release().ok());
  EXPECT_EQ(h_.Balance(kVaultAccount, osmo), A(200));
  EXPECT_TRUE(Vault::AccountClaims(h_.ctx(), kUser1).value().empty());
}

TEST_F(LocalStakingTest, Staking) {
  Setup({"validator1"}, {"validator1"});
  ASSERT_TRUE(StakeLocal(20, "validator1").ok());
  EXPECT_EQ(ProxyBalance(), A(0));
  EXPECT_EQ(Delegation("validator1"), 120u);
}

TEST_F(LocalStakingTest, Restaking) {
  Setup({"validator1", "validator2"}, {"validator1"});
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Restake(c, kUser1, Val("validator1"), Val("validator2"),
                                               A(30));
                }).ok());
  EXPECT_EQ(Delegation("validator1"), 70u);
  EXPECT_EQ(Delegation("validator2"), 30u);
}

TEST_F(LocalStakingTest, Unstaking) {
  Setup({"validator1"}, {"validator1"});
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Unstake(c, kUser1, Val("validator1"), A(50));
                }).ok());
  EXPECT_EQ(Delegation("validator1"), 50u);
  EXPECT_EQ(ProxyBalance(), A(0));
  ProcessUnbondings();
  EXPECT_EQ(ProxyBalance(), A(50));
}

TEST_F(LocalStakingTest, Burning) {
  Setup({"validator1"}, {"validator1"});
  ASSERT_TRUE(Burn(10, "validator1").ok());
  EXPECT_EQ(Delegation("validator1"), 90u);
  EXPECT_EQ(ProxyBalance(), A(0));
  ProcessUnbondings();
  EXPECT_EQ(ProxyBalance(), A(10));
  absl::StatusOr<Amount> released = Release();
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(*released, A(0));
  EXPECT_EQ(ProxyBalance(), A(10));
}

TEST_F(LocalStakingTest, BurningMultipleDelegations) {
  Setup({"validator1", "validator2"}, {"validator1", "validator2"});
  ASSERT_TRUE(Burn(15, std::nullopt).ok());
  EXPECT_EQ(Delegation("validator1"), 92u);
  EXPECT_EQ(Delegation("validator2"), 93u);
  ProcessUnbondings();
  EXPECT_EQ(ProxyBalance(), A(15));
  ASSERT_TRUE(Release().ok());
  EXPECT_EQ(ProxyBalance(), A(15));
}

TEST_F(LocalStakingTest, ReleasingUnbonded) {
  Setup({"validator1"}, {"validator1"});
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Unstake(c, kUser1, Val("validator1"), A(100));
                }).ok());
  EXPECT_EQ(Delegation("validator1"), 0u);
  ProcessUnbondings();
  ASSERT_TRUE(Release().ok());
  EXPECT_EQ(h_.Balance(kVaultAccount, kUosmo), A(200));
  EXPECT_TRUE(Vault::AccountClaims(h_.ctx(), kUser1).value().empty());
}

TEST_F(LocalStakingTest, WithdrawingRewards) {
  Setup({"validator1"}, {"validator1"});
  const Amount user_before = h_.Balance(kUser1, kUosmo);
  const Amount vault_before = h_.Balance(kVaultAccount, kUosmo);
  const AccountAddress payer("rewards-source");
  h_.Fund(payer, kUosmo, A(1000000));
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return Staking::AllocateRewards(c, payer, kUosmo, A(1000000));
                }).ok());
  h_.AdvanceSeconds(123456789, 12345678);
  using Paid = std::vector<std::pair<Denom, Amount>>;
  absl::StatusOr<Paid> paid = h_.RunOr<Paid>(
      [&](const Context& c) { return LocalStaking::WithdrawRewards(c, kUser1); });
  ASSERT_TRUE(paid.ok()) << paid.status();
  EXPECT_GT(h_.Balance(kUser1, kUosmo), user_before);
  EXPECT_EQ(h_.Balance(kVaultAccount, kUosmo), vault_before);
  EXPECT_EQ(ProxyBalance(), A(0));
}

// A burn changes the proxy's delegations, which pays their pending rewards
// to the proxy: they go on to the user at once, so the proxy's liquid
// balance stays pure principal (0 here) and every reward reaches the user
// (exactly what WithdrawRewards would have paid).
TEST_F(LocalStakingTest, BurningForwardsThePendingRewardsToTheUser) {
  Setup({"validator1", "validator2"}, {"validator1", "validator2"});
  const AccountAddress payer("rewards-source");
  h_.Fund(payer, kUosmo, A(1000000));
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return Staking::AllocateRewards(c, payer, kUosmo, A(1000000));
                }).ok());
  // What a withdrawal would pay now, seen on a copy of the state.
  Amount pending;
  {
    Overlay probe(&h_.ctx().store());
    const Context c = h_.ctx().WithStore(&probe);
    const Amount before = staking::Bank::Balance(c, kUser1, kUosmo).value();
    ASSERT_TRUE(LocalStaking::WithdrawRewards(c, kUser1).ok());
    pending = staking::Bank::Balance(c, kUser1, kUosmo).value().SaturatingSub(before);
  }
  ASSERT_FALSE(pending.IsZero());
  const Amount user_before = h_.Balance(kUser1, kUosmo);
  ASSERT_TRUE(Burn(15, std::nullopt).ok());
  EXPECT_EQ(Delegation("validator1"), 92u);
  EXPECT_EQ(Delegation("validator2"), 93u);
  EXPECT_EQ(ProxyBalance(), A(0));
  EXPECT_EQ(h_.Balance(kUser1, kUosmo), user_before.Add(pending).value());
}

// Deviation: a burn larger than the delegations does not fail; the shortfall
// is withheld from the unbonding tokens (the reference fails the whole slash
// with InsufficientDelegations).
TEST_F(LocalStakingTest, BurnBeyondDelegationsIsWithheld) {
  Setup({"validator1"}, {"validator1"});
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Unstake(c, kUser1, Val("validator1"), A(80));
                }).ok());
  ASSERT_TRUE(Burn(50, std::nullopt).ok());
  EXPECT_EQ(Delegation("validator1"), 0u);
  EXPECT_EQ(LocalStaking::User(h_.ctx(), kUser1).value().burned, A(50));
  ProcessUnbondings();
  EXPECT_EQ(ProxyBalance(), A(100));
  absl::StatusOr<Amount> released = Release();
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(*released, A(50));
}

// Deviation: stake moved with Restake is found by native slashing of the new
// validator (the reference's delegators map is not updated on redelegation).
TEST_F(LocalStakingTest, RestakedStakeIsSlashedOnNewValidator) {
  Setup({"validator1", "validator2"}, {"validator1"});
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Restake(c, kUser1, Val("validator1"), Val("validator2"),
                                               A(100));
                }).ok());
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return LocalStaking::Jailing(c, {Val("validator2")}, {});
                }).ok());
  EXPECT_EQ(h_.Account(kUser1).bonded, A(195));
  EXPECT_EQ(Vault::GetClaim(h_.ctx(), kUser1, LienHolder::Local()).value().amount, R(95));
}

// Issue 9: a native slash of 10 % (power 1 = 1,000,000 at the infraction:
// 100,000 burned from 1,000,100 tokens) takes the proxy's delegation of 100
// to 90; the user loses exactly those 10 (lien 90, collateral 190), not a
// configured ratio of the delegation afterwards (the reference's jailing
// would leave the lien at 100 - floor(90 x 5 %) = 96).
TEST_F(LocalStakingTest, NativeSlashTakesExactlyWhatTheDelegationLost) {
  Setup({"validator1"}, {"validator1"});
  h_.AdvanceSeconds(5);  // the set of 12345 signs from 12346
  const uint64_t h = h_.block().height;
  ASSERT_TRUE(NativeSlash("validator1", h, Pct(10)).ok());
  EXPECT_EQ(Delegation("validator1"), 90u);
  EXPECT_EQ(LocalLien(), R(90));
  EXPECT_EQ(h_.Account(kUser1).bonded, A(190));
  EXPECT_EQ(LocalStaking::User(h_.ctx(), kUser1).value().burned, A(0));
  // Nothing was withheld: the whole delegation comes back.
  ASSERT_TRUE(Unstake("validator1", 90).ok());
  ProcessUnbondings();
  EXPECT_EQ(Release().value(), A(90));
  EXPECT_TRUE(Vault::AccountClaims(h_.ctx(), kUser1).value().empty());
}

// The slash also cuts the proxy's unbonding entry created at or after the
// infraction (floor(50 x 10 %) = 5) and counts it against the validator's
// burn: delegation 50 -> 45, entry 50 -> 45, lien 100 -> 90 = 45 + 45.
TEST_F(LocalStakingTest, NativeSlashAlsoCutsTheProxysUnbondingEntries) {
  Setup({"validator1"}, {"validator1"});
  h_.AdvanceSeconds(5);
  const uint64_t infraction = h_.block().height;
  ASSERT_TRUE(Unstake("validator1", 50).ok());
  h_.AdvanceSeconds(5);
  ASSERT_TRUE(NativeSlash("validator1", infraction, Pct(10)).ok());
  EXPECT_EQ(Delegation("validator1"), 45u);
  EXPECT_EQ(Unbonding("validator1"), A(45));
  EXPECT_EQ(LocalLien(), R(90));
  EXPECT_EQ(h_.Account(kUser1).bonded, A(190));
  ProcessUnbondings();
  EXPECT_EQ(Release().value(), A(45));
  EXPECT_EQ(LocalLien(), R(45));
}

// Stake restaked away from the validator after the infraction is cut on the
// destination (theoretical floor(100 x 10 %) = 10): the user loses those 10.
TEST_F(LocalStakingTest, NativeSlashReachesStakeRestakedAfterTheInfraction) {
  Setup({"validator1", "validator2"}, {"validator1"});
  h_.AdvanceSeconds(5);
  const uint64_t infraction = h_.block().height;
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Restake(c, kUser1, Val("validator1"), Val("validator2"),
                                               A(100));
                }).ok());
  h_.AdvanceSeconds(5);
  ASSERT_TRUE(NativeSlash("validator1", infraction, Pct(10)).ok());
  EXPECT_EQ(Delegation("validator1"), 0u);
  EXPECT_EQ(Delegation("validator2"), 90u);
  EXPECT_EQ(LocalLien(), R(90));
  EXPECT_EQ(h_.Account(kUser1).bonded, A(190));
}

// Without local staking the record is empty and settling touches no one.
TEST_F(LocalStakingTest, NativeSlashWithoutLocalStakingSlashesNoUser) {
  InitNativeStaking(h_, "uosmo", 100, {"validator1"});
  EXPECT_FALSE(LocalStaking::Enabled(h_.ctx()).value());
  auto rec = LocalStaking::RecordJailing(h_.ctx(), Val("validator1"));
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(rec->holdings.empty());
  EXPECT_TRUE(LocalStaking::SettleNativeSlash(h_.ctx(), *rec).ok());
}

// Issue 9: unstaking from a jailed or tombstoned validator releases at once
// (the reference's native immediate unbonding); from a bonded one it waits
// the unbonding period.
TEST_F(LocalStakingTest, UnstakeFromJailedOrTombstonedValidatorIsReleasedAtOnce) {
  Setup({"validator1", "validator2", "validator3"}, {"validator1", "validator2"});
  ASSERT_TRUE(h_.Bond(kUser1, A(100)).ok());
  ASSERT_TRUE(StakeLocal(100, "validator3").ok());
  ASSERT_TRUE(h_.Run([](const Context& c) { return Staking::Jail(c, Val("validator1")); }).ok());
  ASSERT_TRUE(
      h_.Run([](const Context& c) { return Staking::Tombstone(c, Val("validator2")); }).ok());
  ASSERT_TRUE(Unstake("validator1", 40).ok());
  EXPECT_EQ(Delegation("validator1"), 60u);
  EXPECT_EQ(ProxyBalance(), A(40));
  EXPECT_EQ(Unbonding("validator1"), A(0));
  ASSERT_TRUE(Unstake("validator2", 100).ok());
  EXPECT_EQ(ProxyBalance(), A(140));
  ASSERT_TRUE(Unstake("validator3", 30).ok());  // bonded: the period applies
  EXPECT_EQ(ProxyBalance(), A(140));
  EXPECT_EQ(Unbonding("validator3"), A(30));
  EXPECT_EQ(Release().value(), A(140));
  EXPECT_EQ(LocalLien(), R(160));
  // Once the jailed validator has left the set (not bonded) it stays so.
  EndBlock(h_);
  ASSERT_TRUE(Unstake("validator1", 60).ok());
  EXPECT_EQ(Release().value(), A(60));
  EXPECT_EQ(LocalLien(), R(100));
}

}  // namespace
}  // namespace mesh::provider
