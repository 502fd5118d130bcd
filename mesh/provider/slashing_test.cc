// Slashing and slash propagation (mesh-provider.md §4): the worked doc
// scenarios, our own numbers for the three described without them, slashes
// with txs in flight followed by commit or rollback, and the deviations.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "core/codec.h"
#include "core/record.h"
#include "core/status.h"
#include "gtest/gtest.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/rewards.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/test_util.h"
#include "mesh/provider/vault.h"
#include "mesh/provider/vault_internal.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)
using Answer = ConsumerStub::Answer;

const Denom kOsmo("OSMO");
const AccountAddress kUser("user");
const char kLocalVal[] = "local-val";

class SlashingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitNativeStaking(h_, "OSMO", 60, {kLocalVal});
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return Vault::Init(c, kOsmo, LocalStakingConfig{kOsmo, Pct(10), Pct(10)});
                  }).ok());
  }
  ConsumerStub& Consumer(const char* name, uint64_t percent) {
    auto [it, inserted] = consumers_.try_emplace(name, &h_, ConsumerId(name));
    if (inserted) {
      EXPECT_TRUE(h_.Run([&](const Context& c) {
                      return ExternalStaking::Init(c, ConsumerId(name),
                                                   ExtConfig("OSMO", "star", 100, percent));
                    }).ok());
    }
    return it->second;
  }
  // Docs scenario 4's stakes on 1000 bonded: 600 local, and two 10 %
  // holders with two validators each (e1: v1 400, v2 300; e2: w1 500,
  // w2 400).
  std::pair<ConsumerStub&, ConsumerStub&> Scenario4() {
    ConsumerStub& e1 = Consumer("e1", 10);
    ConsumerStub& e2 = Consumer("e2", 10);
    FundAndBond(kUser, 1000);
    StakeLocal(600);
    StakeRemotely(e1, "v1", 400);
    StakeRemotely(e1, "v2", 300);
    StakeRemotely(e2, "w1", 500);
    StakeRemotely(e2, "w2", 400);
    return {e1, e2};
  }
  void Activate(ConsumerStub& cs, const char* v) {
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return RemoteValidators::Apply(c, cs.id(), Val(v),
                                                   RemoteValidators::Op::kAdd, 100, 1234, "pk");
                  }).ok());
  }
  // A valset update from `cs` at consumer `height` and time `time_s`,
  // filled by `fill`, through the provider's handler.
  absl::Status Update(ConsumerStub& cs, uint64_t height, uint64_t time_s,
                      const std::function<void(ValsetUpdate&)>& fill) {
    ValsetUpdate u;
    u.height = height;
    u.time = time_s;
    fill(u);
    return h_.RunSlash(
        [&](const Context& c) { return ExternalStaking::OnValsetUpdate(c, cs.id(), u); });
  }
  void FundAndBond(const AccountAddress& u, u128 amount) {
    h_.Fund(u, kOsmo, A(amount));
    ASSERT_TRUE(h_.Bond(u, A(amount)).ok());
  }
  absl::StatusOr<uint64_t> StakeRemote(ConsumerStub& cs, const char* v, u128 amount,
                                       const AccountAddress& u = kUser) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, u, cs.id(), A(amount), Val(v));
    });
  }
  void StakeRemotely(ConsumerStub& cs, const char* v, u128 amount,
                     const AccountAddress& u = kUser) {
    if (RemoteValidators::CurrentState(h_.ctx(), cs.id(), Val(v)).value() != RemoteState::kActive) {
      Activate(cs, v);
    }
    absl::StatusOr<uint64_t> tx = StakeRemote(cs, v, amount, u);
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(cs.Reply(*tx, Answer::kAck).ok());
  }
  void StakeLocal(u128 amount) {
    absl::Status s =
        h_.Run([&](const Context& c) { return Vault::StakeLocal(c, kUser, A(amount), Val(kLocalVal)); });
    ASSERT_TRUE(s.ok()) << s;
  }
  // The reference's test_handle_slashing: nominal ratio = the consumer's
  // double-sign ratio, infraction time 0.
  absl::Status Slash(ConsumerStub& cs, const char* v, u128 amount) {
    Dec ratio = ExternalStaking::Config(h_.ctx(), cs.id()).value().slash_ratio_dsign;
    return h_.RunSlash([&](const Context& c) {
      return ExternalStaking::HandleSlashing(c, cs.id(), Val(v), ratio, A(amount), 0);
    });
  }
  AmountRange Lien(const LienHolder& holder, const AccountAddress& u = kUser) {
    absl::StatusOr<provider::Lien> l = Vault::GetClaim(h_.ctx(), u, holder);
    return l.ok() ? l->amount : R(0);
  }
  AmountRange Lien(ConsumerStub& cs, const AccountAddress& u = kUser) {
    return Lien(LienHolder::External(cs.id()), u);
  }
  AmountRange StakeOf(ConsumerStub& cs, const char* v, const AccountAddress& u = kUser) {
    return ExternalStaking::GetStake(h_.ctx(), cs.id(), u, Val(v)).value().stake;
  }
  // Burns queued toward `cs`, as validator -> amount.
  std::map<std::string, u128> Burns(ConsumerStub& cs) {
    std::map<std::string, u128> out;
    for (const OutboundPacket& p : cs.TakeBurns()) {
      EXPECT_EQ(p.validators.size(), 1u);
      out[p.validators[0].value()] += p.amount.raw();
    }
    return out;
  }
  std::map<std::string, u128> LocalDelegations() {
    std::map<std::string, u128> out;
    auto dels = LocalStaking::Delegations(h_.ctx(), kUser).value();
    for (auto& [v, a] : dels) out[v.value()] = a.raw();
    return out;
  }

  // LateReAdditionBelowATombstone... (below).
  void SlashBeforeATombstoneWithTheReAddition(bool reordered);

  Harness h_;
  std::map<std::string, ConsumerStub> consumers_;
};

using Burned = std::map<std::string, u128>;

// Docs scenario 1: the slash fits in the free collateral, no propagation.
TEST_F(SlashingTest, DocScenario1NoPropagation) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 200);
  StakeLocal(190);
  StakeRemotely(e, "v1", 100);
  StakeRemotely(e, "v2", 50);
  AccountInfo a = h_.Account(kUser);
  EXPECT_EQ(a.max_lien, R(190));
  EXPECT_EQ(a.total_slashable, R(34));
  EXPECT_EQ(a.free, R(10));
  ASSERT_TRUE(Slash(e, "v1", 10).ok());
  a = h_.Account(kUser);
  EXPECT_EQ(a.bonded, A(190));
  EXPECT_EQ(a.total_slashable, R(33));
  EXPECT_EQ(a.free, R(0));
  EXPECT_EQ(Lien(LienHolder::Local()), R(190));
  EXPECT_EQ(Lien(e), R(140));
  EXPECT_EQ(StakeOf(e, "v1"), R(90));
  EXPECT_TRUE(Burns(e).empty());
  EXPECT_EQ(LocalDelegations(), (Burned{{kLocalVal, 190}}));
}

// Docs scenario 2: native stake above the new collateral is burned.
TEST_F(SlashingTest, DocScenario2NativeBurned) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 200);
  StakeLocal(200);
  StakeRemotely(e, "v1", 200);
  EXPECT_EQ(h_.Account(kUser).total_slashable, R(40));
  EXPECT_EQ(h_.Account(kUser).free, R(0));
  ASSERT_TRUE(Slash(e, "v1", 20).ok());
  AccountInfo a = h_.Account(kUser);
  EXPECT_EQ(a.bonded, A(180));
  EXPECT_EQ(Lien(LienHolder::Local()), R(180));
  EXPECT_EQ(Lien(e), R(180));
  EXPECT_EQ(a.total_slashable, R(36));
  EXPECT_EQ(a.free, R(0));
  EXPECT_EQ(LocalDelegations(), (Burned{{kLocalVal, 180}}));
  EXPECT_EQ(LocalStaking::User(h_.ctx(), kUser).value().burned, A(20));
  EXPECT_TRUE(Burns(e).empty());
}

// Docs scenario 3 (no numbers in the doc): the cross-staked validator is
// slashed by more than the (non-zero) free collateral.
TEST_F(SlashingTest, DocScenario3SlashAboveFreeCollateral) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 300);
  StakeLocal(250);
  StakeRemotely(e, "v1", 200);
  EXPECT_EQ(h_.Account(kUser).free, R(50));
  ASSERT_TRUE(Slash(e, "v1", 80).ok());  // 40% of 200
  AccountInfo a = h_.Account(kUser);
  EXPECT_EQ(a.bonded, A(220));
  EXPECT_EQ(Lien(LienHolder::Local()), R(220));
  EXPECT_EQ(Lien(e), R(120));
  EXPECT_EQ(a.total_slashable, R(34));
  EXPECT_EQ(a.free, R(0));
  EXPECT_EQ(LocalDelegations(), (Burned{{kLocalVal, 220}}));
  EXPECT_TRUE(Burns(e).empty());
}

// Docs scenario 4 (no numbers in the doc): native plus two lien holders with
// two validators each; the other holder's lien is clipped and its burn is
// spread over the user's validators there.
TEST_F(SlashingTest, DocScenario4SeveralLienHolders) {
  auto [e1, e2] = Scenario4();
  EXPECT_EQ(h_.Account(kUser).total_slashable, R(220));
  EXPECT_EQ(h_.Account(kUser).free, R(100));
  ASSERT_TRUE(Slash(e1, "v1", 200).ok());  // 50% of v1
  AccountInfo a = h_.Account(kUser);
  EXPECT_EQ(a.bonded, A(800));
  EXPECT_EQ(Lien(LienHolder::Local()), R(600));
  EXPECT_EQ(Lien(e1), R(500));
  EXPECT_EQ(Lien(e2), R(800));
  EXPECT_EQ(a.max_lien, R(800));
  EXPECT_EQ(a.total_slashable, R(190));
  EXPECT_EQ(a.free, R(0));
  EXPECT_EQ(StakeOf(e1, "v1"), R(200));
  EXPECT_EQ(StakeOf(e2, "w1"), R(450));
  EXPECT_EQ(StakeOf(e2, "w2"), R(350));
  EXPECT_EQ(Burns(e2), (Burned{{"w1", 50}, {"w2", 50}}));
  EXPECT_TRUE(Burns(e1).empty());
  EXPECT_EQ(LocalDelegations(), (Burned{{kLocalVal, 600}}));
}

// The propagation of scenario 4 works on the liens the slash already read
// (no second read) and writes the user's vault record once: collateral and
// every lien in one key, the local lien unchanged in it, no other vault key.
TEST_F(SlashingTest, PropagationWritesTheUserRecordOnce) {
  auto [e1, e2] = Scenario4();
  Dec ratio = ExternalStaking::Config(h_.ctx(), e1.id()).value().slash_ratio_dsign;
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  Overlay tx(&c.store());  // this slash's writes alone
                  MESH_RETURN_IF_ERROR(ExternalStaking::HandleSlashing(
                      c.WithStore(&tx), e1.id(), Val("v1"), ratio, A(200), 0));
                  const auto& ops = tx.pending().ops();
                  size_t vault_keys = 0;
                  for (const auto& [key, value] : ops) {
                    const auto table = static_cast<uint8_t>(key[0]);
                    EXPECT_NE(table, tables::kRetiredLiens);
                    EXPECT_NE(table, tables::kRetiredUsers);
                    if (table == tables::kUsers) ++vault_keys;
                  }
                  EXPECT_EQ(vault_keys, 1u);
                  auto user = ops.find(vault_internal::UserKey(kUser));
                  EXPECT_TRUE(user != ops.end() && user->second.has_value());
                  if (user == ops.end() || !user->second.has_value()) return tx.Commit();
                  absl::StatusOr<UserInfo> info = DecodeRecord<UserInfo>(*user->second);
                  EXPECT_TRUE(info.ok()) << info.status();
                  if (!info.ok()) return tx.Commit();
                  EXPECT_EQ(info->collateral, A(800));
                  EXPECT_EQ(info->liens.size(), 3u);
                  return tx.Commit();
                }).ok());
  EXPECT_EQ(h_.Account(kUser).bonded, A(800));
  EXPECT_EQ(Lien(LienHolder::Local()), R(600));
  EXPECT_EQ(Lien(e1), R(500));
  EXPECT_EQ(Lien(e2), R(800));
  EXPECT_EQ(Burns(e2), (Burned{{"w1", 50}, {"w2", 50}}));
}

// Docs scenario 5 (no numbers in the doc): cross ratio (80%) well above the
// native one (10%), three lien holders: all liens are cut by the same k.
TEST_F(SlashingTest, DocScenario5ProportionalCut) {
  ConsumerStub& e1 = Consumer("e1", 80);
  ConsumerStub& e2 = Consumer("e2", 80);
  ConsumerStub& e3 = Consumer("e3", 80);
  FundAndBond(kUser, 1000);
  StakeLocal(400);
  StakeRemotely(e1, "v1", 500);
  StakeRemotely(e2, "w1", 400);
  StakeRemotely(e3, "x1", 300);
  EXPECT_EQ(h_.Account(kUser).total_slashable, R(1000));
  ASSERT_TRUE(Slash(e1, "v1", 100).ok());
  // claimed = 20, R = 2.5, k = ceil(20 * 0.4) = 8 off every lien.
  AccountInfo a = h_.Account(kUser);
  EXPECT_EQ(a.bonded, A(900));
  EXPECT_EQ(Lien(LienHolder::Local()), R(392));
  EXPECT_EQ(Lien(e1), R(392));
  EXPECT_EQ(Lien(e2), R(392));
  EXPECT_EQ(Lien(e3), R(292));
  // floor(39.2) + floor(313.6) * 2 + floor(233.6); the reference's
  // incremental flooring would leave 902 > 900 here.
  EXPECT_EQ(a.total_slashable, R(898));
  EXPECT_EQ(Burns(e1), (Burned{{"v1", 8}}));
  EXPECT_EQ(Burns(e2), (Burned{{"w1", 8}}));
  EXPECT_EQ(Burns(e3), (Burned{{"x1", 8}}));
  EXPECT_EQ(StakeOf(e1, "v1"), R(392));
  EXPECT_EQ(LocalDelegations(), (Burned{{kLocalVal, 392}}));
}

// Deviation: in the proportional case a lien smaller than k is emptied and
// further rounds take the rest (the reference aborts the whole slash).
TEST_F(SlashingTest, ProportionalCutWithSmallLienDoesNotAbort) {
  ConsumerStub& e1 = Consumer("e1", 10);
  ConsumerStub& e2 = Consumer("e2", 100);
  ConsumerStub& e3 = Consumer("e3", 100);
  FundAndBond(kUser, 70);
  StakeRemotely(e1, "v1", 60);
  StakeRemotely(e2, "w1", 60);
  StakeRemotely(e3, "x1", 3);
  EXPECT_EQ(h_.Account(kUser).total_slashable, R(69));
  ASSERT_TRUE(Slash(e1, "v1", 30).ok());
  AccountInfo a = h_.Account(kUser);
  EXPECT_EQ(a.bonded, A(40));
  EXPECT_EQ(Lien(e1), R(9));
  EXPECT_EQ(Lien(e2), R(39));
  EXPECT_FALSE(Vault::GetClaim(h_.ctx(), kUser, LienHolder::External(e3.id())).ok());
  EXPECT_EQ(a.total_slashable, R(39));
  EXPECT_EQ(StakeOf(e1, "v1"), R(9));
  EXPECT_EQ(Burns(e1), (Burned{{"v1", 21}}));
  EXPECT_EQ(Burns(e2), (Burned{{"w1", 21}}));
  EXPECT_EQ(Burns(e3), (Burned{{"x1", 3}}));
}

// Burns to another consumer are aggregated per (consumer, validator) for
// one slash, not one packet per user.
TEST_F(SlashingTest, BurnsAggregatedPerConsumerAndValidator) {
  ConsumerStub& e1 = Consumer("e1", 10);
  ConsumerStub& e2 = Consumer("e2", 10);
  const AccountAddress a("alice"), b("bob");
  for (const AccountAddress& u : {a, b}) {
    FundAndBond(u, 100);
    StakeRemotely(e1, "v1", 100, u);
    StakeRemotely(e2, "w1", 100, u);
  }
  ASSERT_TRUE(Slash(e1, "v1", 20).ok());
  std::vector<OutboundPacket> burns = e2.TakeBurns();
  ASSERT_EQ(burns.size(), 1u);
  EXPECT_EQ(burns[0].validators, std::vector<ValidatorAddress>{Val("w1")});
  EXPECT_EQ(burns[0].amount, A(20));
  EXPECT_TRUE(e1.TakeBurns().empty());
  EXPECT_EQ(Lien(e2, a), R(90));
  EXPECT_EQ(Lien(e2, b), R(90));
  EXPECT_EQ(h_.Account(a).bonded, A(90));
}

// Slash while a stake is in flight, then commit or roll back.
TEST_F(SlashingTest, SlashWithStakeInFlightThenCommit) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 300);
  StakeRemotely(e, "v1", 100);
  uint64_t tx = StakeRemote(e, "v1", 50).value();
  ASSERT_TRUE(Slash(e, "v1", 30).ok());  // eff 0.2 of the high end 150
  EXPECT_EQ(StakeOf(e, "v1"), R(70, 120));
  EXPECT_EQ(Lien(e), R(70, 120));
  EXPECT_EQ(h_.Account(kUser).bonded, A(270));
  ASSERT_TRUE(e.Reply(tx, Answer::kAck).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(120));
  EXPECT_EQ(Lien(e), R(120));
}

TEST_F(SlashingTest, SlashWithStakeInFlightThenRollback) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 300);
  StakeRemotely(e, "v1", 100);
  uint64_t tx = StakeRemote(e, "v1", 50).value();
  ASSERT_TRUE(Slash(e, "v1", 30).ok());
  ASSERT_TRUE(e.Reply(tx, Answer::kTimeout).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(70));
  EXPECT_EQ(Lien(e), R(70));
  EXPECT_EQ(h_.Account(kUser).free, R(200));
}

// P-23: a stake still in flight takes no share of a slash (the reference
// cuts the high end and aborts the valset packet when lien.low < slash): the
// share would vanish if the stake were rolled back (it never reached the
// consumer, whose cut covered only the stakes it had), so the committed
// stakes bear it. The user's only stake here is in flight: nothing is cut.
TEST_F(SlashingTest, SlashWhenOnlyStakeInFlight) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 300);
  Activate(e, "v1");
  uint64_t tx = StakeRemote(e, "v1", 50).value();
  ASSERT_TRUE(Slash(e, "v1", 25).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(0, 50));
  EXPECT_EQ(Lien(e), R(0, 50));
  EXPECT_EQ(h_.Account(kUser).bonded, A(300));
  ASSERT_TRUE(e.Reply(tx, Answer::kAck).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(50));
  EXPECT_EQ(Lien(e), R(50));
}

TEST_F(SlashingTest, SlashWhenOnlyStakeInFlightThenRollback) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 300);
  Activate(e, "v1");
  uint64_t tx = StakeRemote(e, "v1", 50).value();
  ASSERT_TRUE(Slash(e, "v1", 25).ok());
  ASSERT_TRUE(e.Reply(tx, Answer::kError).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(0));
  EXPECT_TRUE(Vault::AccountClaims(h_.ctx(), kUser).value().empty());
  EXPECT_EQ(h_.Account(kUser).free, R(300));
}

// P-23: alice's stake is committed, bob's is in flight and is then rolled
// back (the consumer refused it: the validator was tombstoned by the same
// double sign). The reference would cut bob's high end and the rollback
// would take that share away with it; here alice's committed stake bears
// the whole reported 30, so the provider's total matches the consumer's.
TEST_F(SlashingTest, InFlightStakeRolledBackTakesNoShareOfTheSlash) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress a("alice"), b("bob");
  FundAndBond(a, 300);
  FundAndBond(b, 300);
  StakeRemotely(e, "v1", 100, a);
  uint64_t tx = StakeRemote(e, "v1", 200, b).value();
  ASSERT_TRUE(Slash(e, "v1", 30).ok());
  EXPECT_EQ(StakeOf(e, "v1", a), R(70));
  EXPECT_EQ(StakeOf(e, "v1", b), R(0, 200));
  ASSERT_TRUE(e.Reply(tx, Answer::kError).ok());
  EXPECT_EQ(StakeOf(e, "v1", b), R(0));
  EXPECT_EQ(h_.Account(a).bonded, A(270));
  EXPECT_EQ(h_.Account(b).bonded, A(300));
}

// A stake in flight on v1 while v1 is slashed, with the user's other stake
// on v2 committed: nothing of v1 is committed, so nothing is cut; the
// rollback then frees the lien (clamped ranges, reference §9.2 item 6).
TEST_F(SlashingTest, RollbackAfterSlashBelowPendingAmount) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 300);
  StakeRemotely(e, "v2", 100);
  Activate(e, "v1");
  uint64_t tx = StakeRemote(e, "v1", 50).value();
  ASSERT_TRUE(Slash(e, "v1", 25).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(0, 50));
  EXPECT_EQ(Lien(e), R(100, 150));
  ASSERT_TRUE(e.Reply(tx, Answer::kError).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(0));
  EXPECT_EQ(Lien(e), R(100));
}

// Slash while an unstake is in flight, then commit or roll back.
TEST_F(SlashingTest, SlashWithUnstakeInFlightThenCommit) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 300);
  StakeRemotely(e, "v1", 100);
  uint64_t tx = h_.RunOr<uint64_t>([&](const Context& c) {
                   return ExternalStaking::Unstake(c, e.id(), kUser, Val("v1"), A(40));
                 }).value();
  ASSERT_TRUE(Slash(e, "v1", 20).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(40, 80));
  EXPECT_EQ(Lien(e), R(80));
  ASSERT_TRUE(e.Reply(tx, Answer::kAck).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(40));
  h_.AdvanceSeconds(100);
  ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                  return ExternalStaking::WithdrawUnbonded(c, e.id(), kUser);
                }).ok());
  EXPECT_EQ(Lien(e), R(40));
}

TEST_F(SlashingTest, SlashWithUnstakeInFlightThenRollback) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 300);
  StakeRemotely(e, "v1", 100);
  uint64_t tx = h_.RunOr<uint64_t>([&](const Context& c) {
                   return ExternalStaking::Unstake(c, e.id(), kUser, Val("v1"), A(40));
                 }).value();
  ASSERT_TRUE(Slash(e, "v1", 20).ok());
  ASSERT_TRUE(e.Reply(tx, Answer::kTimeout).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(80));
  EXPECT_EQ(Lien(e), R(80));
}

// Deviation: a propagation clip below a pending stake does not make the
// later commit abort (reference §9.2 item 5).
TEST_F(SlashingTest, CommitAfterClipBelowPendingStake) {
  ConsumerStub& e1 = Consumer("e1", 10);
  ConsumerStub& e2 = Consumer("e2", 10);
  FundAndBond(kUser, 200);
  StakeRemotely(e1, "v1", 200);
  Activate(e2, "w1");
  uint64_t tx = StakeRemote(e2, "w1", 200).value();
  ASSERT_TRUE(Slash(e1, "v1", 20).ok());
  EXPECT_EQ(Lien(e2), R(0, 180));
  EXPECT_EQ(StakeOf(e2, "w1"), R(0, 180));
  EXPECT_EQ(Burns(e2), (Burned{{"w1", 20}}));
  ASSERT_TRUE(e2.Reply(tx, Answer::kAck).ok());
  EXPECT_EQ(Lien(e2), R(180));
  EXPECT_EQ(StakeOf(e2, "w1"), R(180));
  EXPECT_EQ(h_.Account(kUser).free, R(0));
}

// Deviation: a burn larger than stake.low (pending unstake) clamps instead
// of aborting the slash (reference §9.2 item 11).
TEST_F(SlashingTest, BurnWithUnstakeInFlight) {
  ConsumerStub& e1 = Consumer("e1", 10);
  ConsumerStub& e2 = Consumer("e2", 10);
  FundAndBond(kUser, 200);
  StakeRemotely(e1, "v1", 200);
  StakeRemotely(e2, "w1", 200);
  uint64_t tx = h_.RunOr<uint64_t>([&](const Context& c) {
                   return ExternalStaking::Unstake(c, e2.id(), kUser, Val("w1"), A(190));
                 }).value();
  ASSERT_TRUE(Slash(e1, "v1", 20).ok());
  EXPECT_EQ(StakeOf(e2, "w1"), R(0, 180));
  EXPECT_EQ(Lien(e2), R(180));
  ASSERT_TRUE(e2.Reply(tx, Answer::kAck).ok());
  EXPECT_EQ(StakeOf(e2, "w1"), R(0));
  h_.AdvanceSeconds(100);
  ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                  return ExternalStaking::WithdrawUnbonded(c, e2.id(), kUser);
                }).ok());
  EXPECT_FALSE(Vault::GetClaim(h_.ctx(), kUser, LienHolder::External(e2.id())).ok());
}

// Deviation: a burn the user's stakes cannot cover is taken from its pending
// unbonds, so the lien and the unbonds stay consistent.
TEST_F(SlashingTest, BurnFallsBackToPendingUnbonds) {
  ConsumerStub& e1 = Consumer("e1", 10);
  ConsumerStub& e2 = Consumer("e2", 10);
  FundAndBond(kUser, 200);
  StakeRemotely(e1, "v1", 200);
  StakeRemotely(e2, "w1", 200);
  uint64_t tx = h_.RunOr<uint64_t>([&](const Context& c) {
                   return ExternalStaking::Unstake(c, e2.id(), kUser, Val("w1"), A(195));
                 }).value();
  ASSERT_TRUE(e2.Reply(tx, Answer::kAck).ok());
  ASSERT_TRUE(Slash(e1, "v1", 20).ok());
  EXPECT_EQ(Lien(e2), R(180));
  EXPECT_EQ(StakeOf(e2, "w1"), R(0));
  EXPECT_EQ(Burns(e2), (Burned{{"w1", 5}}));
  h_.AdvanceSeconds(100);
  ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                  return ExternalStaking::WithdrawUnbonded(c, e2.id(), kUser);
                }).ok());
  EXPECT_FALSE(Vault::GetClaim(h_.ctx(), kUser, LienHolder::External(e2.id())).ok());
}

// Deviation: total slashable is derived from the liens, so staking 5 twice
// at 10% and releasing 10 cannot underflow (reference §9.2 item 3).
TEST_F(SlashingTest, TotalSlashableIsPathIndependent) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 100);
  StakeRemotely(e, "v1", 5);
  StakeRemotely(e, "v1", 5);
  EXPECT_EQ(h_.Account(kUser).total_slashable, R(1));
  uint64_t tx = h_.RunOr<uint64_t>([&](const Context& c) {
                   return ExternalStaking::Unstake(c, e.id(), kUser, Val("v1"), A(10));
                 }).value();
  ASSERT_TRUE(e.Reply(tx, Answer::kAck).ok());
  h_.AdvanceSeconds(100);
  ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                  return ExternalStaking::WithdrawUnbonded(c, e.id(), kUser);
                }).ok());
  EXPECT_EQ(h_.Account(kUser).total_slashable, R(0));
  EXPECT_EQ(h_.Account(kUser).free, R(100));
}

// Deviation: an empty lien is removed after a slash (the reference keeps a
// (0, 0) lien that later breaks proportional propagation).
TEST_F(SlashingTest, EmptyLienRemovedAfterSlash) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 100);
  StakeRemotely(e, "v1", 100);
  ASSERT_TRUE(Slash(e, "v1", 100).ok());
  EXPECT_TRUE(Vault::AccountClaims(h_.ctx(), kUser).value().empty());
  EXPECT_EQ(h_.Account(kUser).bonded, A(0));
}

// Deviation: a slash amount above the validator's total stake is capped at
// the stake (the reference aborts when a user's cut exceeds its stake).
TEST_F(SlashingTest, SlashAmountAboveTotalStakeIsCapped) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress a("alice"), b("bob");
  FundAndBond(a, 100);
  FundAndBond(b, 100);
  StakeRemotely(e, "v1", 100, a);
  StakeRemotely(e, "v1", 100, b);
  ASSERT_TRUE(Slash(e, "v1", 300).ok());
  EXPECT_EQ(StakeOf(e, "v1", a), R(0));
  EXPECT_EQ(h_.Account(a).bonded, A(0));
  EXPECT_EQ(h_.Account(b).bonded, A(0));
}

// P-23: the reference cuts each user by mul_floor(high, from_ratio(amount,
// Σ high)): for 100 over highs 100 and 200 that is 33 + 66 = 99, one unit
// short of what the consumer reported and cut from its own records. Here the
// total cut is exactly the reported 100: floors 33 and 66, the unit left
// goes to the first user in order (alice).
TEST_F(SlashingTest, BondedCutsSumToExactlyTheReportedAmount) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress a("alice"), b("bob");
  FundAndBond(a, 100);
  FundAndBond(b, 200);
  StakeRemotely(e, "v1", 100, a);
  StakeRemotely(e, "v1", 200, b);
  ASSERT_TRUE(Slash(e, "v1", 100).ok());
  EXPECT_EQ(StakeOf(e, "v1", a), R(66));
  EXPECT_EQ(StakeOf(e, "v1", b), R(134));
  EXPECT_EQ(h_.Account(a).bonded, A(66));
  EXPECT_EQ(h_.Account(b).bonded, A(134));
}

// Deviation: users whose stake is only unbonding are slashed too, and a
// validator with no bonded stake does not divide by zero.
TEST_F(SlashingTest, UnbondingOnlyStakeIsSlashed) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 100);
  StakeRemotely(e, "v1", 100);
  uint64_t tx = h_.RunOr<uint64_t>([&](const Context& c) {
                   return ExternalStaking::Unstake(c, e.id(), kUser, Val("v1"), A(100));
                 }).value();
  ASSERT_TRUE(e.Reply(tx, Answer::kAck).ok());
  ASSERT_TRUE(Slash(e, "v1", 50).ok());  // nothing bonded: only the 10% on unbonds
  EXPECT_EQ(h_.Account(kUser).bonded, A(90));
  EXPECT_EQ(Lien(e), R(90));
  h_.AdvanceSeconds(100);
  ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                  return ExternalStaking::WithdrawUnbonded(c, e.id(), kUser);
                }).ok());
  EXPECT_TRUE(Vault::AccountClaims(h_.ctx(), kUser).value().empty());
}

// Valset update: slashes are applied before the tombstone of the same
// packet, and each is judged by the validator's state at its infraction
// height (P-25): a report of an infraction before the tombstone that arrives
// after it (reordered or resent packets) still slashes, as the consumer has
// already slashed its virtual stake for it; one at or after the tombstone
// height is dropped; one at a height the history does not show active is
// deferred, not dropped (see DeferredSlashWaitsForTheHistoryItNeeds).
TEST_F(SlashingTest, SlashesAreJudgedByTheStateAtTheirInfractionHeight) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  // Recent consumer times, so the history is not drained to one entry.
  const uint64_t now_s = h_.ctx().time_seconds();
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return RemoteValidators::Apply(c, e.id(), Val("v1"), RemoteValidators::Op::kAdd,
                                                 100, now_s, "pk");
                }).ok());
  StakeRemotely(e, "v1", 1000);
  auto packet = [&](uint64_t height, uint64_t infraction_height, bool tombstone) {
    ValsetUpdate u;
    u.height = height;
    u.time = now_s;
    u.slashed = {RemoteSlash{Val("v1"), infraction_height, now_s, 10, A(100), "0.1"}};
    if (tombstone) u.tombstoned = {Val("v1")};
    return h_.RunSlash([&](const Context& c) { return ExternalStaking::OnValsetUpdate(c, e.id(), u); });
  };
  ASSERT_TRUE(packet(300, 50, false).ok());  // not active at 50 (added at 100): deferred
  EXPECT_EQ(h_.Account(kUser).bonded, A(1000));
  ASSERT_TRUE(packet(300, 200, true).ok());
  EXPECT_EQ(h_.Account(kUser).bonded, A(900));
  EXPECT_EQ(RemoteValidators::CurrentState(h_.ctx(), e.id(), Val("v1")).value(),
            RemoteState::kTombstoned);
  ASSERT_TRUE(packet(310, 250, false).ok());  // before the tombstone at 300: slashes
  EXPECT_EQ(h_.Account(kUser).bonded, A(800));
  ASSERT_TRUE(packet(320, 300, false).ok());  // at the tombstone: dropped
  ASSERT_TRUE(packet(330, 305, false).ok());
  EXPECT_EQ(h_.Account(kUser).bonded, A(800));
}

// P-25: the provider has v1 jailed at 120 but the update re-adding it at 140
// is still in flight when a slash for an infraction at 150 arrives. The
// reference drops that slash for good (v1 "not active" at 150); here it
// waits, and the late update applies it.
TEST_F(SlashingTest, DeferredSlashWaitsForTheHistoryItNeeds) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  const uint64_t now_s = h_.ctx().time_seconds();
  auto update = [&](uint64_t height, const std::function<void(ValsetUpdate&)>& fill) {
    return Update(e, height, now_s, fill);
  };
  ASSERT_TRUE(update(100, [&](ValsetUpdate& u) { u.additions = {{Val("v1"), "pk"}}; }).ok());
  StakeRemotely(e, "v1", 1000);
  ASSERT_TRUE(update(120, [&](ValsetUpdate& u) { u.jailed = {Val("v1")}; }).ok());
  ASSERT_TRUE(update(160, [&](ValsetUpdate& u) {
                u.slashed = {RemoteSlash{Val("v1"), 150, now_s, 10, A(100), "0.1"}};
              }).ok());
  EXPECT_EQ(h_.Account(kUser).bonded, A(1000));  // deferred
  // An unrelated validator's update does not apply it.
  ASSERT_TRUE(update(165, [&](ValsetUpdate& u) { u.additions = {{Val("v2"), "pk2"}}; }).ok());
  EXPECT_EQ(h_.Account(kUser).bonded, A(1000));
  ASSERT_TRUE(update(140, [&](ValsetUpdate& u) { u.additions = {{Val("v1"), "pk"}}; }).ok());
  EXPECT_EQ(h_.Account(kUser).bonded, A(900));
  // Applied once: a further update of v1 changes nothing.
  ASSERT_TRUE(update(170, [&](ValsetUpdate& u) { u.updated = {{Val("v1"), "pk3"}}; }).ok());
  EXPECT_EQ(h_.Account(kUser).bonded, A(900));
}

// Random seed 9's candidate order (P-44): v1 jailed at 120 and re-added at
// 140 (unjailed), double-signs at 150 and is tombstoned at 160. The
// consumer cut at 150. In order, the slash is judged against a history that
// shows v1 active at 150 and applied. Reordered, the relayer delivers the
// update of 160 (slash and tombstone) before the one of 140: the slash is
// deferred (v1 jailed at 150 in the history the provider has), and the late
// re-addition, below the tombstone's height, must still enter the history so
// the deferred slash is applied (before the fix it was a no-op after the
// tombstone and the slash was dropped with the window: provider 1000,
// consumer 900).
void SlashingTest::SlashBeforeATombstoneWithTheReAddition(bool reordered) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  const uint64_t now_s = h_.ctx().time_seconds();
  auto update = [&](uint64_t height, const std::function<void(ValsetUpdate&)>& fill) {
    return Update(e, height, now_s, fill);
  };
  auto re_add = [&] {
    return update(140, [&](ValsetUpdate& u) { u.additions = {{Val("v1"), "pk"}}; });
  };
  ASSERT_TRUE(update(100, [&](ValsetUpdate& u) { u.additions = {{Val("v1"), "pk"}}; }).ok());
  StakeRemotely(e, "v1", 1000);
  ASSERT_TRUE(update(120, [&](ValsetUpdate& u) { u.jailed = {Val("v1")}; }).ok());
  if (!reordered) {
    ASSERT_TRUE(re_add().ok());
  }
  ASSERT_TRUE(update(160, [&](ValsetUpdate& u) {
                u.slashed = {RemoteSlash{Val("v1"), 150, now_s, 10, A(100), "0.1"}};
                u.tombstoned = {Val("v1")};
              }).ok());
  if (reordered) {
    EXPECT_EQ(h_.Account(kUser).bonded, A(1000));  // deferred: jailed at 150 so far
    ASSERT_TRUE(re_add().ok());
  }
  EXPECT_EQ(h_.Account(kUser).bonded, A(900));
  EXPECT_EQ(RemoteValidators::CurrentState(h_.ctx(), e.id(), Val("v1")).value(),
            RemoteState::kTombstoned);
  const ValidatorHistory hist = RemoteValidators::Get(h_.ctx(), e.id(), Val("v1")).value();
  EXPECT_TRUE(history::ActiveAtHeight(hist, 150));
  EXPECT_FALSE(history::ActiveAtHeight(hist, 130));
  EXPECT_FALSE(history::ActiveAtHeight(hist, 160));
  // Nothing at or after the tombstone's height enters the history, and the
  // slash is not applied twice.
  ASSERT_TRUE(update(170, [&](ValsetUpdate& u) { u.additions = {{Val("v1"), "pk"}}; }).ok());
  ASSERT_TRUE(update(160, [&](ValsetUpdate& u) { u.additions = {{Val("v1"), "pk"}}; }).ok());
  ASSERT_TRUE(re_add().ok());
  EXPECT_EQ(RemoteValidators::Get(h_.ctx(), e.id(), Val("v1")).value().entries, hist.entries);
  EXPECT_EQ(h_.Account(kUser).bonded, A(900));
}

TEST_F(SlashingTest, SlashBeforeATombstoneAppliesWithUpdatesInOrder) {
  SlashBeforeATombstoneWithTheReAddition(false);
}

TEST_F(SlashingTest, LateReAdditionBelowATombstoneStillAppliesTheDeferredSlash) {
  SlashBeforeATombstoneWithTheReAddition(true);
}

// A deferred slash waits one unbonding period (100 s here) for the history
// that shows it; any later update of the consumer drops it past that, even
// one that does not name its validator, so no entry is kept for a
// validator never reported again.
TEST_F(SlashingTest, DeferredSlashIsDroppedPastTheUnbondingPeriod) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  auto update = [&](uint64_t height, const std::function<void(ValsetUpdate&)>& fill) {
    return Update(e, height, h_.ctx().time_seconds(), fill);
  };
  auto deferred = [&] {
    size_t n = 0;
    auto it = h_.ctx().store().ScanPrefix(tables::Prefix(tables::kExtDeferredSlashes, "e1"));
    for (; it->Valid(); it->Next()) ++n;
    return n;
  };
  ASSERT_TRUE(update(100, [&](ValsetUpdate& u) { u.additions = {{Val("v1"), "pk"}}; }).ok());
  StakeRemotely(e, "v1", 1000);
  ASSERT_TRUE(update(120, [&](ValsetUpdate& u) { u.jailed = {Val("v1")}; }).ok());
  const uint64_t infraction_s = h_.ctx().time_seconds();
  ASSERT_TRUE(update(160, [&](ValsetUpdate& u) {
                u.slashed = {RemoteSlash{Val("v1"), 150, infraction_s, 10, A(100), "0.1"}};
              }).ok());
  EXPECT_EQ(deferred(), 1u);
  h_.AdvanceSeconds(100);  // at the edge of the window: kept
  ASSERT_TRUE(update(170, [&](ValsetUpdate& u) { u.additions = {{Val("v2"), "pk2"}}; }).ok());
  EXPECT_EQ(deferred(), 1u);
  h_.AdvanceSeconds(1);  // past it: dropped by an update about v2 only
  ASSERT_TRUE(update(180, [&](ValsetUpdate& u) { u.updated = {{Val("v2"), "pk3"}}; }).ok());
  EXPECT_EQ(deferred(), 0u);
  // The update that would have shown v1 active at 150 comes too late.
  ASSERT_TRUE(update(140, [&](ValsetUpdate& u) { u.additions = {{Val("v1"), "pk"}}; }).ok());
  EXPECT_EQ(h_.Account(kUser).bonded, A(1000));
}

TEST_F(SlashingTest, InvalidSlashRatioRejectsPacket) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 100);
  StakeRemotely(e, "v1", 100);
  ValsetUpdate u;
  u.height = 300;
  u.slashed = {RemoteSlash{Val("v1"), 200, 0, 1, A(10), "abc"}};
  absl::Status s = h_.RunSlash([&](const Context& c) {
    return ExternalStaking::OnValsetUpdate(c, e.id(), u);
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h_.Account(kUser).bonded, A(100));  // overlay discarded
  // Also when the slash would have been deferred (v1 not known at 50): a
  // bad entry is never stored to fail later updates.
  u.slashed = {RemoteSlash{Val("v1"), 50, 0, 1, A(10), "1.5"}};
  s = h_.RunSlash([&](const Context& c) { return ExternalStaking::OnValsetUpdate(c, e.id(), u); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

// Native (local) slashing through Jailing, propagated to a consumer.
TEST_F(SlashingTest, LocalSlashPropagatesToConsumer) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 200);
  StakeLocal(200);
  StakeRemotely(e, "v1", 200);
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return LocalStaking::Jailing(c, {}, {Val(kLocalVal)});
                }).ok());
  AccountInfo a = h_.Account(kUser);
  EXPECT_EQ(a.bonded, A(180));
  EXPECT_EQ(Lien(LienHolder::Local()), R(180));
  EXPECT_EQ(Lien(e), R(180));
  EXPECT_EQ(Burns(e), (Burned{{"v1", 20}}));
  EXPECT_EQ(StakeOf(e, "v1"), R(180));
}

// P-27: the reference only logs a burn that fails or times out, although
// its stakes are already cut here; the engine sends it again (an error ack
// discards the consumer's state change, a timeout never reached it).
TEST_F(SlashingTest, RefusedOrTimedOutBurnIsSentAgain) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 200);
  StakeLocal(200);
  StakeRemotely(e, "v1", 200);
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return LocalStaking::Jailing(c, {}, {Val(kLocalVal)});
                }).ok());
  ASSERT_EQ(e.Collect().size(), 1u);
  ASSERT_TRUE(e.ReplyAll(Answer::kError).ok());
  ASSERT_EQ(e.Collect().size(), 1u);  // queued again, same packet
  EXPECT_EQ(e.Collect()[0].kind, OutboundPacket::Kind::kBurn);
  EXPECT_EQ(e.Collect()[0].amount, A(20));
  ASSERT_TRUE(e.ReplyAll(Answer::kTimeout).ok());
  EXPECT_EQ(Burns(e), (Burned{{"v1", 20}}));  // and again after the timeout
  EXPECT_TRUE(e.Collect().empty());
}


// ---- P-33: slashes apportioned by what the consumer held at the infraction.
// The consumer's update at height 300 reports a 10 % slash of v1 for an
// infraction at 250; acks carry the consumer's receipt height.

class HeldAtInfractionTest : public SlashingTest {
 protected:
  absl::Status ReportSlash(ConsumerStub& e, u128 amount) {
    const uint64_t now_s = h_.ctx().time_seconds();
    return Update(e, 300, now_s, [&](ValsetUpdate& u) {
      u.slashed = {RemoteSlash{Val("v1"), 250, now_s, 10, A(amount), "0.1"}};
    });
  }
  uint64_t Unstake(ConsumerStub& e, u128 amount, const AccountAddress& u = kUser) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
                return ExternalStaking::Unstake(c, e.id(), u, Val("v1"), A(amount));
              }).value();
  }
  absl::Status StakeAck(ConsumerStub& e, uint64_t tx, std::optional<AckReceipt> r) {
    return h_.RunSlash(
        [&](const Context& c) { return ExternalStaking::OnStakeAck(c, e.id(), tx, true, r); });
  }
  absl::Status UnstakeAck(ConsumerStub& e, uint64_t tx, bool ok, std::optional<AckReceipt> r) {
    return h_.RunSlash(
        [&](const Context& c) { return ExternalStaking::OnUnstakeAck(c, e.id(), tx, ok, r); });
  }
  Amount Unbonding(ConsumerStub& e, const AccountAddress& u = kUser) {
    Amount sum;
    const Stake stake = ExternalStaking::GetStake(h_.ctx(), e.id(), u, Val("v1")).value();
    for (const PendingUnbond& p : stake.pending_unbonds) {
      sum = sum.Add(p.amount).value();
    }
    return sum;
  }
  size_t Waiting(ConsumerStub& e) {
    return ExternalStaking::WaitingSlashes(h_.ctx(), e.id(), Val("v1")).value().size();
  }
  // `u`'s vault record as stored (a read settles it, Vault::Account).
  UserInfo StoredUser(const AccountAddress& u) {
    const std::optional<std::string> raw =
        h_.ctx().store().Get(tables::Key(tables::kUsers, u.value())).value();
    EXPECT_TRUE(raw.has_value());
    return DecodeRecord<UserInfo>(raw.value_or("")).value();
  }
  Stake StakeOn(ConsumerStub& e, const AccountAddress& u, const char* v = "v1") {
    return ExternalStaking::GetStake(h_.ctx(), e.id(), u, Val(v)).value();
  }
  // What a slash writes into a plain stake (stake slashes, docs/provider.md):
  // its share off both ends, the alignment keeping what it had earned.
  Stake EagerlyCut(ConsumerStub& e, Stake s, Amount cut) {
    const Distribution d = ExternalStaking::GetDistribution(h_.ctx(), e.id(), Val("v1")).value();
    s.stake.SubClamped(cut);
    EXPECT_TRUE(StakeDecreased(s, cut, d.points_per_stake).ok());
    return s;
  }
  // Reports a slash of v1 by `amount` as ReportSlash does and returns the
  // keys it wrote, by table.
  std::map<uint8_t, size_t> SlashCountingWrites(ConsumerStub& e, u128 amount) {
    std::map<uint8_t, size_t> written;
    const uint64_t now_s = h_.ctx().time_seconds();
    ValsetUpdate u;
    u.height = 300;
    u.time = now_s;
    u.slashed = {RemoteSlash{Val("v1"), 250, now_s, 10, A(amount), "0.1"}};
    EXPECT_TRUE(h_.RunSlash([&](const Context& c) {
                    Overlay tx(&c.store());  // this slash's writes alone
                    MESH_RETURN_IF_ERROR(
                        ExternalStaking::OnValsetUpdate(c.WithStore(&tx), e.id(), u));
                    for (const auto& [key, value] : tx.pending().ops()) {
                      ++written[static_cast<uint8_t>(key[0])];
                    }
                    return tx.Commit();
                  }).ok());
    return written;
  }
};

// Issue 9, unstake in flight: 400 committed, unstake 400 not yet delivered,
// the consumer cuts 40. The error ack leaves 360 on both ends (was 400).
TEST_F(HeldAtInfractionTest, UnstakeInFlightThenErrorAckKeepsTheSlashedStake) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  StakeRemotely(e, "v1", 400);
  const uint64_t tx = Unstake(e, 400);
  ASSERT_TRUE(ReportSlash(e, 40).ok());
  EXPECT_EQ(Waiting(e), 1u);  // did the consumer process the unstake first?
  // The consumer-wide list (what the gRPC WaitingSlashes query reads).
  std::vector<ExternalStaking::WaitingSlash> all =
      ExternalStaking::AllWaitingSlashes(h_.ctx(), e.id()).value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].slash.validator, Val("v1"));
  EXPECT_EQ(all[0].slash.amount, A(40));
  EXPECT_EQ(all[0].awaited, std::vector<uint64_t>{tx});
  EXPECT_GE(all[0].seq, 1u);
  EXPECT_TRUE(ExternalStaking::AllWaitingSlashes(h_.ctx(), ConsumerId("other")).value().empty());
  EXPECT_EQ(StakeOf(e, "v1"), R(0, 400));
  ASSERT_TRUE(UnstakeAck(e, tx, false, std::nullopt).ok());
  EXPECT_EQ(Waiting(e), 0u);
  EXPECT_TRUE(ExternalStaking::AllWaitingSlashes(h_.ctx(), e.id()).value().empty());
  EXPECT_EQ(StakeOf(e, "v1"), R(360));
  EXPECT_EQ(h_.Account(kUser).bonded, A(960));
}

// Same, success: the consumer processed the unstake at 305 (after its cut at
// 300), took 360 from the record and 40 was the slash's (absorbed). The
// user's unbond is 360, not 400.
TEST_F(HeldAtInfractionTest, UnstakeInFlightThenSuccessUnbondsTheSlashedAmount) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  StakeRemotely(e, "v1", 400);
  const uint64_t tx = Unstake(e, 400);
  ASSERT_TRUE(ReportSlash(e, 40).ok());
  ASSERT_TRUE(UnstakeAck(e, tx, true, AckReceipt{305, A(40)}).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(0));
  EXPECT_EQ(Unbonding(e), A(360));
  EXPECT_EQ(h_.Account(kUser).bonded, A(960));
}

// The unstake was processed by the consumer at 290, before its cut: the
// consumer no longer held it, so nothing of it is cut (only the unbond's
// nominal-ratio cut of P-7 would apply, for unbonds started after the
// infraction time; here the infraction time is the provider's now).
TEST_F(HeldAtInfractionTest, UnstakeProcessedBeforeTheCutIsNotCut) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  FundAndBond(AccountAddress("bob"), 1000);
  StakeRemotely(e, "v1", 400);
  StakeRemotely(e, "v1", 100, AccountAddress("bob"));
  const uint64_t tx = Unstake(e, 400);
  ASSERT_TRUE(ReportSlash(e, 10).ok());
  ASSERT_TRUE(UnstakeAck(e, tx, true, AckReceipt{290, A(0)}).ok());
  EXPECT_EQ(StakeOf(e, "v1", AccountAddress("bob")), R(90));
  EXPECT_EQ(StakeOf(e, "v1"), R(0));
  EXPECT_EQ(Unbonding(e), A(400));
}

// Issue 9, bond delivered but not acked: 300 received at consumer height 200
// (before the infraction at 250) and cut to 270 there; after the ack the
// provider has 270 too (was 300).
TEST_F(HeldAtInfractionTest, BondDeliveredBeforeTheInfractionIsCutAfterItsAck) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  Activate(e, "v1");
  const uint64_t tx = StakeRemote(e, "v1", 300).value();
  ASSERT_TRUE(ReportSlash(e, 30).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(0, 300));
  ASSERT_TRUE(StakeAck(e, tx, AckReceipt{200, A(0)}).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(270));
  EXPECT_EQ(h_.Account(kUser).bonded, A(970));
}

// Two users on v1: alice 500 committed, bob's unstake of 400 in flight. The
// consumer cut 90 by 500 : 400 = 50 + 40; bob's unstake is processed after
// the cut. Alice loses 50, bob 40 (his unbond is 360), nobody else's.
TEST_F(HeldAtInfractionTest, TwoUsersEachLoseTheirOwnShareWithAnUnstakeInFlight) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress alice("alice"), bob("bob");
  FundAndBond(alice, 1000);
  FundAndBond(bob, 1000);
  StakeRemotely(e, "v1", 500, alice);
  StakeRemotely(e, "v1", 400, bob);
  const uint64_t tx = Unstake(e, 400, bob);
  ASSERT_TRUE(ReportSlash(e, 90).ok());
  ASSERT_TRUE(UnstakeAck(e, tx, true, AckReceipt{305, A(40)}).ok());
  EXPECT_EQ(StakeOf(e, "v1", alice), R(450));
  EXPECT_EQ(StakeOf(e, "v1", bob), R(0));
  EXPECT_EQ(Unbonding(e, bob), A(360));
  EXPECT_EQ(h_.Account(alice).bonded, A(950));
  EXPECT_EQ(h_.Account(bob).bonded, A(960));
}

// Two users on v1: alice 500 committed, bob's 300 delivered at 200 but not
// acked. The consumer cut 80 by 500 : 300 = 50 + 30.
TEST_F(HeldAtInfractionTest, TwoUsersEachLoseTheirOwnShareWithABondInFlight) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress alice("alice"), bob("bob");
  FundAndBond(alice, 1000);
  FundAndBond(bob, 1000);
  StakeRemotely(e, "v1", 500, alice);
  const uint64_t tx = StakeRemote(e, "v1", 300, bob).value();
  ASSERT_TRUE(ReportSlash(e, 80).ok());
  EXPECT_EQ(StakeOf(e, "v1", alice), R(500));  // waits for bob's ack
  ASSERT_TRUE(StakeAck(e, tx, AckReceipt{200, A(0)}).ok());
  EXPECT_EQ(StakeOf(e, "v1", alice), R(450));
  EXPECT_EQ(StakeOf(e, "v1", bob), R(270));
}

// Seed-404 shape: bob's 300 reached the consumer at 260, after the
// infraction at 250: the consumer cut only alice's 500 (50), and so does the
// provider, whether bob's ack came before the slash or after it.
TEST_F(HeldAtInfractionTest, StakeReceivedAfterTheInfractionIsNotCut) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress alice("alice"), bob("bob"), carol("carol");
  FundAndBond(alice, 1000);
  FundAndBond(bob, 1000);
  FundAndBond(carol, 1000);
  StakeRemotely(e, "v1", 500, alice);
  const uint64_t acked = StakeRemote(e, "v1", 300, bob).value();
  ASSERT_TRUE(StakeAck(e, acked, AckReceipt{260, A(0)}).ok());
  const uint64_t pending = StakeRemote(e, "v1", 200, carol).value();
  ASSERT_TRUE(ReportSlash(e, 50).ok());
  ASSERT_TRUE(StakeAck(e, pending, AckReceipt{280, A(0)}).ok());
  EXPECT_EQ(StakeOf(e, "v1", alice), R(450));
  EXPECT_EQ(StakeOf(e, "v1", bob), R(300));
  EXPECT_EQ(StakeOf(e, "v1", carol), R(200));
}

// Stake slashes (docs/provider.md): a slash writes only the stakes it cannot
// leave to a stake slash (here carol's, who has an unbond); every other
// stake reads exactly as if the slash had written it, reward alignment
// included, through each read, across two slashes and after a later write
// of its own.
TEST_F(HeldAtInfractionTest, PlainStakesAreCutByAStakeSlashWhenNextRead) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress alice("alice"), bob("bob"), carol("carol"), dave("dave");
  const std::vector<AccountAddress> users = {alice, bob, carol, dave};
  const u128 staked[] = {500, 300, 200, 7};
  for (size_t i = 0; i < users.size(); ++i) {
    FundAndBond(users[i], 1000);
    StakeRemotely(e, "v1", staked[i], users[i]);
  }
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnDistribute(c, e.id(), Val("v1"), Denom("star"),
                                                       A(1007));
                }).ok());
  const uint64_t unstake = Unstake(e, 50, carol);
  ASSERT_TRUE(UnstakeAck(e, unstake, true, AckReceipt{200, A(0)}).ok());
  auto reward_of = [&](const AccountAddress& u) {
    return ExternalStaking::PendingRewards(h_.ctx(), e.id(), u, Val("v1")).value();
  };

  // Weights 500, 300, 150 (carol's unstake was processed before the
  // update), 7: a cut of 60 floors to 31, 18, 9, 0, and the 2 units left go
  // to alice.
  std::vector<Stake> before;
  for (const AccountAddress& u : users) before.push_back(StakeOn(e, u));
  const Amount alice_reward = reward_of(alice);
  std::map<uint8_t, size_t> written = SlashCountingWrites(e, 60);
  EXPECT_EQ(written[tables::kExtStakes], 1u);  // carol's
  EXPECT_EQ(written[tables::kExtStakeSlashes], 1u);
  // Carol's vault record: alice's and bob's take their cuts when next read
  // (docs/provider.md, "Deferred vault cuts"); dave's share is 0.
  EXPECT_EQ(written[tables::kUsers], 1u);
  EXPECT_EQ(StoredUser(alice).collateral, A(1000));
  EXPECT_EQ(StakeOn(e, alice), EagerlyCut(e, before[0], A(33)));
  EXPECT_EQ(StakeOn(e, bob), EagerlyCut(e, before[1], A(18)));
  EXPECT_EQ(StakeOn(e, carol).stake, R(141));
  EXPECT_EQ(StakeOn(e, dave), before[3]);
  EXPECT_EQ(reward_of(alice), alice_reward);
  EXPECT_EQ(h_.Account(alice).bonded, A(1000 - 33));
  // The user's own listing reads the same stake.
  const std::vector<StakeEntry> listed =
      ExternalStaking::Stakes(h_.ctx(), e.id(), alice, std::nullopt, std::nullopt).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].stake, StakeOn(e, alice));

  // A second slash reads the cut stakes (weights 467, 282, 141, 7: 20, 12,
  // 6, 0 and 2 left, to alice) and leaves alice and bob two behind.
  before = {StakeOn(e, alice), StakeOn(e, bob), StakeOn(e, carol), StakeOn(e, dave)};
  written = SlashCountingWrites(e, 40);
  EXPECT_EQ(written[tables::kExtStakes], 1u);
  EXPECT_EQ(written[tables::kExtStakeSlashes], 1u);
  EXPECT_EQ(StakeOn(e, alice), EagerlyCut(e, before[0], A(22)));
  EXPECT_EQ(StakeOn(e, bob), EagerlyCut(e, before[1], A(12)));
  EXPECT_EQ(StakeOn(e, carol).stake, R(135));
  EXPECT_EQ(StakeOn(e, dave), before[3]);
  EXPECT_EQ(h_.Account(bob).bonded, A(1000 - 18 - 12));

  // Bob's own unstake writes his stake, caught up and stamped: it reads the
  // same before and after, less the unstake.
  Stake expected = StakeOn(e, bob);
  Unstake(e, 10, bob);
  ASSERT_TRUE(expected.stake.PrepareSub(A(10)).ok());
  EXPECT_EQ(StakeOn(e, bob), expected);
  EXPECT_TRUE(Vault::CheckInvariants(h_.ctx()).ok());

  // Bob's record, still uncut as stored, takes both cuts (18 + 12) with
  // his next vault operation, which writes it settled: the lien records
  // what it absorbed, and a further read takes nothing more.
  EXPECT_EQ(StoredUser(bob).collateral, A(1000));
  FundAndBond(bob, 5);
  const UserInfo settled = StoredUser(bob);
  EXPECT_EQ(settled.collateral, A(1000 - 30 + 5));
  ASSERT_EQ(settled.liens.size(), 1u);
  EXPECT_EQ(settled.liens[0].second.amount, R(300 - 30));
  EXPECT_EQ(settled.liens[0].second.absorbed, A(30));
  EXPECT_EQ(settled.liens[0].second.settled_at, 2u);
  EXPECT_EQ(h_.Account(bob).bonded, A(1000 - 30 + 5));
  EXPECT_EQ(h_.Account(alice).bonded, A(1000 - 33 - 22));
  EXPECT_EQ(Vault::TotalCollateral(h_.ctx()).value(),
            A(4000 - 55 - 30 - (1000 - h_.Account(carol).bonded.raw()) + 5));
}

// Stake slashes are kept K = kMaxStakeSlashesBehind at a time per
// validator: the slash that saves seq n deletes seq n - K, which no stake
// reads any more (one stamped before it is written by that slash). Alice
// and bob are left eight slashes; the ninth writes both stakes (and saves
// none: it leaves no stake); the next eight are left again, and they read
// exactly the eight kept.
TEST_F(HeldAtInfractionTest, AValidatorKeepsItsLastStakeSlashesOnly) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress alice("alice"), bob("bob");
  FundAndBond(alice, 1000);
  FundAndBond(bob, 1000);
  StakeRemotely(e, "v1", 500, alice);
  StakeRemotely(e, "v1", 300, bob);
  const std::string prefix = tables::Prefix(tables::kExtStakeSlashes, "e1", "v1");
  auto kept = [&]() {
    std::vector<uint64_t> seqs;
    for (auto it = h_.ctx().store().ScanPrefix(prefix); it->Valid(); it->Next()) {
      Decoder d(it->key().substr(prefix.size()));
      seqs.push_back(d.U64().value());
    }
    return seqs;
  };
  constexpr uint64_t K = ext_internal::kMaxStakeSlashesBehind;
  ASSERT_EQ(K, 8u);
  // Each slash cuts 8 by 5 : 3 (the stakes stay 5 : 3).
  uint64_t saved = 0;
  for (uint64_t n = 1; n <= 2 * K + 1; ++n) {
    std::map<uint8_t, size_t> written = SlashCountingWrites(e, 8);
    const bool behind = n == K + 1;  // K behind: both written, none saved
    EXPECT_EQ(written[tables::kExtStakes], behind ? 2u : 0u) << "slash " << n;
    EXPECT_EQ(written[tables::kExtStakeSlashes], behind ? 0u : n > K ? 2u : 1u) << "slash " << n;
    if (!behind) ++saved;
    std::vector<uint64_t> expected;
    for (uint64_t seq = saved > K ? saved - K + 1 : 1; seq <= saved; ++seq) {
      expected.push_back(seq);
    }
    EXPECT_EQ(kept(), expected) << "slash " << n;
  }
  EXPECT_EQ(saved, 2 * K);
  EXPECT_EQ(StakeOn(e, alice).stake, R(500 - 5 * (2 * K + 1)));
  EXPECT_EQ(StakeOn(e, bob).stake, R(300 - 3 * (2 * K + 1)));
  EXPECT_EQ(h_.Account(alice).bonded, A(1000 - 5 * (2 * K + 1)));
  EXPECT_EQ(h_.Account(bob).bonded, A(1000 - 3 * (2 * K + 1)));
  EXPECT_TRUE(Vault::CheckInvariants(h_.ctx()).ok());
}

// Deferred vault cuts (docs/provider.md): a lien released to zero leaves
// the record, having absorbed every cut its stakes took; a new lien on the
// same consumer absorbs them too when it is created, so an earlier cut is
// never taken twice.
TEST_F(HeldAtInfractionTest, ANewLienAbsorbsTheCutsTakenBeforeIt) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress alice("alice"), bob("bob");
  FundAndBond(alice, 1000);
  FundAndBond(bob, 1000);
  StakeRemotely(e, "v1", 100, alice);
  StakeRemotely(e, "v1", 300, bob);
  // 40 by 100 : 300 = 10 + 30: no stake and no vault record written.
  std::map<uint8_t, size_t> written = SlashCountingWrites(e, 40);
  EXPECT_EQ(written[tables::kExtStakes], 0u);
  EXPECT_EQ(written[tables::kUsers], 0u);
  EXPECT_EQ(h_.Account(alice).bonded, A(990));
  EXPECT_EQ(StoredUser(alice).collateral, A(1000));
  // Alice unstakes her 90 (processed by the consumer before the update)
  // and withdraws it once matured: the release reads her record settled
  // (lien 90), and the lien released to zero leaves it.
  const uint64_t tx = Unstake(e, 90, alice);
  ASSERT_TRUE(UnstakeAck(e, tx, true, AckReceipt{290, A(0)}).ok());
  h_.AdvanceSeconds(101);
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::WithdrawUnbonded(c, e.id(), alice).status();
                }).ok());
  EXPECT_TRUE(StoredUser(alice).liens.empty());
  EXPECT_EQ(StoredUser(alice).collateral, A(990));
  // Her new lien absorbs the 10 her stake took before it.
  StakeRemotely(e, "v1", 50, alice);
  ASSERT_EQ(StoredUser(alice).liens.size(), 1u);
  EXPECT_EQ(StoredUser(alice).liens[0].second.absorbed, A(10));
  EXPECT_EQ(h_.Account(alice).bonded, A(990));
  // 32 by 50 : 270 = 5 + 27, again left to reads: only the new cut is
  // taken from her collateral.
  written = SlashCountingWrites(e, 32);
  EXPECT_EQ(written[tables::kUsers], 0u);
  EXPECT_EQ(StakeOn(e, alice).stake, R(45));
  EXPECT_EQ(h_.Account(alice).bonded, A(985));
  EXPECT_EQ(h_.Account(bob).bonded, A(1000 - 30 - 27));
  EXPECT_TRUE(Vault::CheckInvariants(h_.ctx()).ok());
}

// Deferred vault cuts with shared collateral (docs/provider.md): a user
// whose record holds a local lien too is left its cut when the record owes
// none yet and the cut cannot propagate (nora: 2000 bonded, 1000 local,
// 1000 remote); one whose cut propagates (pia: 1000 bonded for both) is cut
// in the slash's block, local lien clipped. A local slash settles the
// pending cut before its own, and a remote slash that finds a cut still
// owed takes it eagerly too.
TEST_F(HeldAtInfractionTest, SharedCollateralCutsWaitUnlessTheyPropagate) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress luke("luke"), nora("nora"), pia("pia");
  auto stake_local = [&](const AccountAddress& u, u128 amount) {
    absl::Status s = h_.Run(
        [&](const Context& c) { return Vault::StakeLocal(c, u, A(amount), Val(kLocalVal)); });
    ASSERT_TRUE(s.ok()) << s;
  };
  FundAndBond(luke, 1000);
  FundAndBond(nora, 2000);
  FundAndBond(pia, 1000);
  StakeRemotely(e, "v1", 500, luke);
  stake_local(nora, 1000);
  StakeRemotely(e, "v1", 1000, nora);
  stake_local(pia, 1000);
  StakeRemotely(e, "v1", 1000, pia);
  const LienHolder local = LienHolder::Local();

  // 250 by 500 : 1000 : 1000 = 50 + 100 + 100. Nora's usage after her cut
  // (1000 local) fits 1900: her stake and record wait. Pia's local lien of
  // 1000 would exceed her 900: her record is written, the local lien
  // clipped to 900 (100 burned from her local stake).
  std::map<uint8_t, size_t> written = SlashCountingWrites(e, 250);
  EXPECT_EQ(written[tables::kExtStakes], 1u);  // pia's
  EXPECT_EQ(written[tables::kUsers], 1u);      // pia's
  EXPECT_EQ(StoredUser(nora).collateral, A(2000));
  EXPECT_EQ(StoredUser(pia).collateral, A(900));
  EXPECT_EQ(h_.Account(nora).bonded, A(1900));
  EXPECT_EQ(Lien(e, nora), R(900));
  EXPECT_EQ(Lien(local, nora), R(1000));
  EXPECT_EQ(h_.Account(pia).bonded, A(900));
  EXPECT_EQ(Lien(e, pia), R(900));
  EXPECT_EQ(Lien(local, pia), R(900));
  EXPECT_EQ(h_.Account(luke).bonded, A(950));
  EXPECT_EQ(StakeOn(e, nora).stake, R(900));
  EXPECT_EQ(StakeOn(e, pia).stake, R(900));
  ASSERT_TRUE(Vault::CheckInvariants(h_.ctx()).ok());

  // A local slash (10 %: nora's 1000, pia's 900) reads nora's record
  // settled first: 1900 − 100, written with the remote cut absorbed. Pia's
  // 810 clips her remote lien of 900 (90 burned on e1).
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return LocalStaking::Jailing(c, {}, {Val(kLocalVal)});
                }).ok());
  const UserInfo settled = StoredUser(nora);
  EXPECT_EQ(settled.collateral, A(1800));
  EXPECT_EQ(Lien(local, nora), R(900));
  EXPECT_EQ(Lien(e, nora), R(900));
  for (const auto& [holder, lien] : settled.liens) {
    if (holder.local) continue;
    EXPECT_EQ(lien.absorbed, A(100));
    EXPECT_EQ(lien.settled_at, 1u);
  }
  EXPECT_EQ(h_.Account(pia).bonded, A(810));
  EXPECT_EQ(Lien(e, pia), R(810));
  EXPECT_EQ(StakeOn(e, pia).stake, R(810));
  ASSERT_TRUE(Vault::CheckInvariants(h_.ctx()).ok());

  // 216 by 450 : 900 : 810 = 45 + 90 + 81: nora's record (settled, 1800)
  // waits again; pia's (810 both ways) propagates.
  written = SlashCountingWrites(e, 216);
  EXPECT_EQ(written[tables::kUsers], 1u);
  EXPECT_EQ(StoredUser(nora).collateral, A(1800));
  EXPECT_EQ(h_.Account(nora).bonded, A(1710));
  EXPECT_EQ(h_.Account(pia).bonded, A(729));
  EXPECT_EQ(Lien(local, pia), R(729));

  // Another slash while nora's record still owes 90: her cut is taken in
  // the slash's block, after the one owed (43 by 405 : 810 : 729 floors to
  // 8 + 17 + 16, and luke, first, takes the 2 units left).
  written = SlashCountingWrites(e, 43);
  EXPECT_EQ(written[tables::kUsers], 2u);  // nora's and pia's
  EXPECT_EQ(StoredUser(nora).collateral, A(1710 - 17));
  EXPECT_EQ(h_.Account(nora).bonded, A(1710 - 17));
  EXPECT_EQ(Lien(e, nora), R(810 - 17));
  EXPECT_EQ(Lien(local, nora), R(900));
  EXPECT_EQ(h_.Account(luke).bonded, A(950 - 45 - 10));
  EXPECT_TRUE(Vault::CheckInvariants(h_.ctx()).ok());
}

// Vault::CutsCanWait on its own, with cuts larger than a slash report of
// 10 % makes: a cut waits only if the usage, with that cut taken from the
// holder's lien alone, fits the collateral left.
TEST_F(HeldAtInfractionTest, TheVaultLetsACutWaitOnlyWhereItCannotPropagate) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress ivy("ivy"), jon("jon"), kai("kai");
  for (const auto& [u, bonded] : {std::pair{ivy, 1000}, std::pair{jon, 2000},
                                  std::pair{kai, 1000}}) {
    FundAndBond(u, bonded);
  }
  for (const AccountAddress& u : {ivy, jon}) {
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return Vault::StakeLocal(c, u, A(1000), Val(kLocalVal));
                  }).ok());
    StakeRemotely(e, "v1", 600, u);
  }
  StakeRemotely(e, "v1", 600, kai);  // a lone lien
  auto can_wait = [&](const AccountAddress& u, u128 cut) -> bool {
    const std::vector<SlashInfo> cuts = {SlashInfo{u, A(cut)}};
    const std::vector<bool> out =
        Vault::CutsCanWait(h_.ctx(), LienHolder::External(e.id()), cuts).value();
    EXPECT_EQ(out.size(), 1u);
    // The overload over the caller's users and cuts answers the same.
    const std::vector<std::string_view> users = {u.value()};
    const std::vector<Amount> amounts = {A(cut)};
    EXPECT_EQ(Vault::CutsCanWait(h_.ctx(), LienHolder::External(e.id()), users, amounts).value(),
              out);
    return !out.empty() && out[0];
  };
  // Ivy: 1000 local on 1000 bonded. Any cut leaves less than the local lien.
  EXPECT_FALSE(can_wait(ivy, 1));
  EXPECT_FALSE(can_wait(ivy, 600));  // the remote lien emptied: 1000 local on 400
  // Jon: 2000 bonded. 1000 local and 600 − c remote fit 2000 − c for any c.
  EXPECT_TRUE(can_wait(jon, 1));
  EXPECT_TRUE(can_wait(jon, 600));
  EXPECT_TRUE(can_wait(jon, 5000));  // taken as the lien's 600, as PlanOne takes it
  // Kai's lien alone, and a user with no lien with this holder.
  EXPECT_TRUE(can_wait(kai, 600));
  EXPECT_TRUE(can_wait(AccountAddress("nobody"), 5));
  // Once a slash left Jon's record a cut, no other cut of his waits.
  ASSERT_TRUE(ReportSlash(e, 100).ok());
  EXPECT_EQ(StoredUser(jon).collateral, A(2000));
  EXPECT_FALSE(can_wait(jon, 1));
  // Users and cuts that do not pair up are refused.
  const std::vector<std::string_view> two = {ivy.value(), jon.value()};
  const std::vector<Amount> one = {A(1)};
  EXPECT_EQ(Vault::CutsCanWait(h_.ctx(), LienHolder::External(e.id()), two, one).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Stake slashes against the eager rule on seeded random sequences: stakes,
// unstakes (each acked before the next slash, so it leaves an unbond and the
// stake is written by the slash), rewards and slashes of v1, some users
// also staked on v2. After each slash every stake on v1 must equal its
// pre-slash record cut by SplitByWeight over the committed stakes (what the
// slash would have written), and each user's collateral must have fallen by
// exactly its cut.
TEST_F(HeldAtInfractionTest, StakeSlashesMatchTheEagerCutOnRandomSequences) {
  ConsumerStub& e = Consumer("e1", 10);
  uint64_t state = 12345;
  auto next = [&](uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  };
  // Users with a local lien too: userj has one before his first stake,
  // userb and userf gain one later (their pending cuts settled first).
  auto stake_local = [&](const AccountAddress& u, u128 amount) {
    absl::Status s = h_.Run(
        [&](const Context& c) { return Vault::StakeLocal(c, u, A(amount), Val(kLocalVal)); });
    ASSERT_TRUE(s.ok()) << s;
  };
  std::vector<AccountAddress> users;
  for (int i = 0; i < 12; ++i) {
    users.emplace_back(std::string("user") + static_cast<char>('a' + i));
    FundAndBond(users.back(), 100000);
    if (i == 9) stake_local(users.back(), 30);
    StakeRemotely(e, "v1", 100 + next(900), users.back());
    if (i % 3 == 0) StakeRemotely(e, "v2", 50 + next(200), users.back());
  }
  stake_local(users[1], 40);
  stake_local(users[5], 25);
  // Three users whose collateral backs a local lien too, never chosen for
  // the other steps: usertight's every cut propagates (the local lien of
  // 1000 is clipped to the collateral left); userroomy's never does (300
  // local, 400 remote on 1000), so its cut waits whenever its record owes
  // none; usermid's (1000 local, 1000 remote on 1500) waits while what is
  // left covers the larger lien, though not the two added up.
  const size_t chosen = users.size();
  const AccountAddress tight("usertight"), roomy("userroomy"), mid("usermid");
  FundAndBond(mid, 1500);
  stake_local(mid, 1000);
  StakeRemotely(e, "v1", 1000, mid);
  users.push_back(mid);
  FundAndBond(tight, 1000);
  stake_local(tight, 1000);
  StakeRemotely(e, "v1", 300, tight);
  FundAndBond(roomy, 1000);
  stake_local(roomy, 300);
  StakeRemotely(e, "v1", 400, roomy);
  users.push_back(tight);
  users.push_back(roomy);
  const LienHolder local = LienHolder::Local();
  size_t slashes = 0, left_to_stake_slashes = 0, left_to_vault_reads = 0, roomy_waited = 0,
         mid_waited = 0;
  for (int step = 0; step < 80; ++step) {
    const AccountAddress& who = users[next(chosen)];
    switch (next(6)) {
      case 0:
      case 1: {  // a slash of v1
        std::vector<Stake> before;
        std::vector<Amount> lows;
        Amount total;
        for (const AccountAddress& u : users) {
          before.push_back(StakeOn(e, u));
          lows.push_back(before.back().stake.low());
          total = total.Add(lows.back()).value();
        }
        std::vector<Amount> bonded;
        std::vector<AmountRange> local_liens;
        for (const AccountAddress& u : users) {
          bonded.push_back(h_.Account(u).bonded);
          local_liens.push_back(Lien(local, u));
        }
        const Amount roomy_stored = StoredUser(roomy).collateral;
        const Amount mid_stored = StoredUser(mid).collateral;
        const u128 amount = 1 + next(static_cast<uint64_t>(total.raw() / 20));
        const std::vector<Amount> cuts = SplitByWeight(lows, lows, A(amount)).value();
        std::map<uint8_t, size_t> written = SlashCountingWrites(e, amount);
        ++slashes;
        if (written[tables::kExtStakes] < users.size()) ++left_to_stake_slashes;
        const size_t cut_users = static_cast<size_t>(
            std::count_if(cuts.begin(), cuts.end(), [](Amount a) { return !a.IsZero(); }));
        if (written[tables::kUsers] < cut_users) ++left_to_vault_reads;
        for (size_t i = 0; i < users.size(); ++i) {
          EXPECT_EQ(StakeOn(e, users[i]).stake, EagerlyCut(e, before[i], cuts[i]).stake)
              << "step " << step << " user " << i;
          EXPECT_EQ(StakeOn(e, users[i]), EagerlyCut(e, before[i], cuts[i]))
              << "step " << step << " user " << i;
          EXPECT_EQ(h_.Account(users[i]).bonded, bonded[i].SaturatingSub(cuts[i]))
              << "step " << step << " user " << i;
          // The ratios add up to 20 %: a cut propagates only by clipping
          // the local lien to the collateral left (case A).
          const Amount left = bonded[i].SaturatingSub(cuts[i]);
          EXPECT_EQ(Lien(local, users[i]).high(), Min(local_liens[i].high(), left))
              << "step " << step << " user " << i;
        }
        const size_t r = users.size() - 1;
        if (!cuts[r].IsZero() && StoredUser(roomy).collateral == roomy_stored) ++roomy_waited;
        if (!cuts[chosen].IsZero() && StoredUser(mid).collateral == mid_stored) ++mid_waited;
        if (!cuts[r - 1].IsZero()) {
          EXPECT_EQ(StoredUser(tight).collateral, bonded[r - 1].SaturatingSub(cuts[r - 1]))
              << "step " << step;
        }
        break;
      }
      case 2: {  // an unstake, acked at once: an unbond
        const Amount low = StakeOn(e, who).stake.low();
        if (low.raw() < 3) break;
        const uint64_t tx = Unstake(e, 1 + next(static_cast<uint64_t>(low.raw() / 3)), who);
        ASSERT_TRUE(UnstakeAck(e, tx, true, AckReceipt{200, A(0)}).ok());
        break;
      }
      case 3:  // more stake, on v1 or v2
        StakeRemotely(e, next(4) == 0 ? "v2" : "v1", 1 + next(300), who);
        break;
      case 4:  // rewards on v1
        ASSERT_TRUE(h_.Run([&](const Context& c) {
                        return ExternalStaking::OnDistribute(c, e.id(), Val("v1"),
                                                             Denom("star"), A(1 + next(5000)));
                      }).ok());
        break;
      case 5: {  // a vault operation: it writes the user's record settled
        const Amount bonded = h_.Account(who).bonded;
        if (next(3) == 0) {
          stake_local(who, 1 + next(20));
        } else {
          FundAndBond(who, 1 + next(100));
        }
        EXPECT_EQ(StoredUser(who).collateral, h_.Account(who).bonded) << "step " << step;
        EXPECT_GE(h_.Account(who).bonded, bonded) << "step " << step;
        break;
      }
    }
    ASSERT_TRUE(Vault::CheckInvariants(h_.ctx()).ok()) << "step " << step;
  }
  EXPECT_GT(slashes, 10u);
  EXPECT_GT(left_to_stake_slashes, 5u);  // the sequence did exercise stake slashes
  EXPECT_GT(left_to_vault_reads, 5u);    // and deferred vault cuts
  EXPECT_GT(roomy_waited, 3u);           // with shared collateral too
  EXPECT_GT(mid_waited, 0u);
  EXPECT_LT(Lien(local, tight).high(), A(1000));  // and cuts that propagated
}

// Stakes acked with a receipt beyond the first four are kept one key per
// consumer height (table 0x6E), not in the Stake: however often a user
// stakes, his Stake record stops growing, the acked stakes past the unbonding period are deleted,
// and a slash still leaves out exactly what the consumer received at or
// after its infraction (height 250 here).
TEST_F(HeldAtInfractionTest, AckedStakesLiveOutsideTheStakeAndExpire) {
  ConsumerStub& e = Consumer("e1", 10);
  const AccountAddress alice("alice"), bob("bob");
  FundAndBond(alice, 10000);
  FundAndBond(bob, 10000);
  StakeRemotely(e, "v1", 500, alice);
  const std::string stake_key =
      tables::Key(tables::kExtStakes, e.id().value(), Val("v1").value(), bob.value());
  const std::string acked_prefix = Encoder(tables::kExtAckedStakes)
                                       .Str(e.id().value())
                                       .Str(bob.value())
                                       .Str(Val("v1").value())
                                       .Take();
  auto count_acked = [&] {
    size_t n = 0;
    for (auto it = h_.ctx().store().ScanPrefix(acked_prefix); it->Valid(); it->Next()) ++n;
    return n;
  };
  size_t first_size = 0;
  for (uint64_t height = 201; height <= 300; ++height) {
    const uint64_t tx = StakeRemote(e, "v1", 10, bob).value();
    ASSERT_TRUE(StakeAck(e, tx, AckReceipt{height, A(0)}).ok());
    if (height == 210) first_size = h_.ctx().store().Get(stake_key).value()->size();
  }
  EXPECT_EQ(h_.ctx().store().Get(stake_key).value()->size(), first_size);
  EXPECT_EQ(count_acked(), 96u);  // the first 4 are inline
  // Held at 250: alice 500, bob 49 × 10 = 490; a cut of 99 splits 50 / 49.
  ASSERT_TRUE(ReportSlash(e, 99).ok());
  EXPECT_EQ(StakeOf(e, "v1", alice), R(450));
  EXPECT_EQ(StakeOf(e, "v1", bob), R(951));
  // Past the unbonding period, an ack forgets the older ones once the first
  // is an eighth of the period past due (one scan per grace period), and a
  // single expired one at once.
  const uint64_t period = ExternalStaking::Config(h_.ctx(), e.id()).value().unbonding_period_s;
  uint64_t height = 400;
  auto stake_and_ack = [&] {
    const uint64_t tx = StakeRemote(e, "v1", 10, bob).value();
    ASSERT_TRUE(StakeAck(e, tx, AckReceipt{height++, A(0)}).ok());
  };
  h_.AdvanceSeconds(period + 1);
  stake_and_ack();
  EXPECT_EQ(count_acked(), 97u);
  h_.AdvanceSeconds(period / 8 + 1);
  stake_and_ack();
  EXPECT_EQ(count_acked(), 2u);  // the previous one (an eighth ago) is not due
  h_.AdvanceSeconds(period + 1);
  stake_and_ack();
  EXPECT_EQ(count_acked(), 0u);  // the table emptied: inline again
  EXPECT_EQ(StakeOf(e, "v1", bob), R(981));
}

// A reference consumer acks `{}` (no receipt): the stake counts as held
// since before any slash still to come, as before receipts.
TEST_F(HeldAtInfractionTest, AckWithoutReceiptCountsAsHeldBefore) {
  ConsumerStub& e = Consumer("e1", 10);
  FundAndBond(kUser, 1000);
  Activate(e, "v1");
  const uint64_t tx = StakeRemote(e, "v1", 300).value();
  ASSERT_TRUE(ReportSlash(e, 30).ok());
  ASSERT_TRUE(StakeAck(e, tx, std::nullopt).ok());
  EXPECT_EQ(StakeOf(e, "v1"), R(270));
}

}  // namespace
}  // namespace mesh::provider
