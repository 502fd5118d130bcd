// SlashGuard: a consumer's slash reports are checked against the link's
// configured fractions and clipped to ratio × what the consumer could hold
// (docs/security.md, P-30 .. P-32).
#include "mesh/provider/slash_guard.h"

#include "gtest/gtest.h"
#include "core/record.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/test_util.h"
#include "mesh/provider/vault.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)
using Answer = ConsumerStub::Answer;

const Denom kOsmo("OSMO");
const ConsumerId kJuno("juno");

class SlashGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Run([&](const Context& c) { return Vault::Init(c, kOsmo, std::nullopt); }).ok());
    ExternalConfig cfg = ExtConfig("OSMO", "star", 100, 10);  // double sign 10 %
    cfg.slash_ratio_offline = Pct(1);                         // downtime 1 %
    ASSERT_TRUE(h_.Run([&](const Context& c) { return ExternalStaking::Init(c, kJuno, cfg); }).ok());
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return RemoteValidators::Apply(c, kJuno, Val("v1"),
                                                   RemoteValidators::Op::kAdd, 100, 1234, "pk");
                  }).ok());
  }
  void Stake(const char* user, u128 amount, bool ack = true) {
    h_.Fund(Addr(user), kOsmo, A(amount));
    ASSERT_TRUE(h_.Bond(Addr(user), A(amount)).ok());
    absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, Addr(user), kJuno, A(amount), Val("v1"));
    });
    ASSERT_TRUE(tx.ok()) << tx.status();
    if (ack) {
      ASSERT_TRUE(stub_.Reply(*tx, Answer::kAck).ok());
    }
  }
  static ValsetUpdate WithSlash(const char* v, u128 amount, const char* ratio) {
    ValsetUpdate u;
    u.height = 200;
    u.time = 2000;
    u.slashed.push_back(RemoteSlash{Val(v), 150, 1500, 10, A(amount), ratio});
    return u;
  }
  absl::StatusOr<std::vector<SlashClip>> Check(ValsetUpdate& u) {
    return SlashGuard::Check(h_.ctx(), kJuno, u);
  }

  Harness h_;
  ConsumerStub stub_{&h_, kJuno};
};

// A 100 % amount with a 10 % ratio is clipped to 10 % of what the consumer
// could hold (Σ stake.high, the stake in flight included), never a full cut.
TEST_F(SlashGuardTest, AmountAboveRatioTimesStakeIsClipped) {
  Stake("alice", 1000);
  Stake("bob", 501, /*ack=*/false);  // in flight: the consumer may have it
  ValsetUpdate u = WithSlash("v1", 1501, "0.1");
  u.tombstoned.push_back(Val("v1"));
  absl::StatusOr<std::vector<SlashClip>> clips = Check(u);
  ASSERT_TRUE(clips.ok()) << clips.status();
  ASSERT_EQ(clips->size(), 1u);
  // ceil(0.1 × 1501) = 151: rounded up, in the consumer's favour.
  EXPECT_EQ((*clips)[0].reported, A(1501));
  EXPECT_EQ((*clips)[0].applied, A(151));
  EXPECT_EQ(u.slashed[0].amount, A(151));
  // An amount within the bound is left alone.
  ValsetUpdate ok = WithSlash("v1", 151, "0.1");
  ok.tombstoned.push_back(Val("v1"));
  ASSERT_TRUE(Check(ok).ok());
  EXPECT_TRUE(Check(ok)->empty());
  EXPECT_EQ(ok.slashed[0].amount, A(151));
}

// Through the real handler: the clipped entry cuts alice by 100, not 1000.
TEST_F(SlashGuardTest, ClippedSlashCutsOnlyTheRatio) {
  Stake("alice", 1000);
  ValsetUpdate u = WithSlash("v1", 1000, "0.1");
  u.tombstoned.push_back(Val("v1"));
  ASSERT_TRUE(Check(u).ok());
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  EXPECT_EQ(ExternalStaking::GetStake(h_.ctx(), kJuno, Addr("alice"), Val("v1"))->stake, R(900));
}

// A validator never seen in a valset update: refused, and nothing deferred.
TEST_F(SlashGuardTest, UnknownValidatorIsRefused) {
  ValsetUpdate u = WithSlash("ghost", 10, "0.01");
  absl::StatusOr<std::vector<SlashClip>> clips = Check(u);
  EXPECT_EQ(clips.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(clips.status().message().find(kErrSlashUnknownValidator), std::string::npos);
  EXPECT_NE(clips.status().message().find("ghost"), std::string::npos);
  EXPECT_EQ(u.slashed[0].amount, A(10));  // untouched
  // Named by another list of the same packet: it is being introduced.
  u.additions.emplace_back(Val("ghost"), "pk");
  EXPECT_TRUE(Check(u).ok());
}

// The ratio is checked against the link: the downtime fraction unless the
// validator is tombstoned (in this packet or already in the history).
TEST_F(SlashGuardTest, RatioAboveTheConfiguredFractionIsRefused) {
  Stake("alice", 1000);
  ValsetUpdate down = WithSlash("v1", 10, "0.01");
  EXPECT_TRUE(Check(down).ok());
  ValsetUpdate too_much = WithSlash("v1", 10, "0.05");
  absl::Status st = Check(too_much).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "slash ratio 0.05 exceeds the configured downtime fraction 0.01");
  // 0.1 with the tombstone in the packet: the double-sign fraction.
  ValsetUpdate dsign = WithSlash("v1", 100, "0.1");
  dsign.tombstoned.push_back(Val("v1"));
  EXPECT_TRUE(Check(dsign).ok());
  ValsetUpdate full = WithSlash("v1", 1000, "1");
  full.tombstoned.push_back(Val("v1"));
  EXPECT_EQ(Check(full).status().message(),
            "slash ratio 1 exceeds the configured double-sign fraction 0.1");
  // A double-sign slash arriving after its tombstone (C-8) keeps its bound.
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return RemoteValidators::Apply(c, kJuno, Val("v1"),
                                                 RemoteValidators::Op::kTombstone, 160, 1600);
                }).ok());
  ValsetUpdate late = WithSlash("v1", 100, "0.1");
  EXPECT_TRUE(Check(late).ok());
  // Unparsable or out of [0, 1]: the reference's error.
  ValsetUpdate bad = WithSlash("v1", 1, "1.5");
  EXPECT_EQ(Check(bad).status().message(), "Invalid slash ratio");
}

// Burns toward the consumer not yet acknowledged still count: the consumer
// holds that stake until the burn arrives, and reported its slash on it.
// P-35 (random seed 12, block 16825): the consumer cut 183 for an infraction
// before its zero-cap epoch, then unbonded the rest of each record in the
// same block; delivered in reverse, the internal unstakes left 183 here
// and the bound ceil(0.01 × 183) = 2 clipped the honest report. Unbonds
// not withdrawn yet count: ceil(0.01 × (183 + 18117)) = 183 covers it.
TEST_F(SlashGuardTest, UnbondsNotWithdrawnCountTowardsTheBound) {
  Stake("alice", 18300);
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnInternalUnstake(c, kJuno, Addr("alice"), Val("v1"),
                                                            A(18117));
                }).ok());
  ValsetUpdate u = WithSlash("v1", 183, "0.01");
  absl::StatusOr<std::vector<SlashClip>> clips = Check(u);
  ASSERT_TRUE(clips.ok()) << clips.status();
  EXPECT_TRUE(clips->empty());
  EXPECT_EQ(u.slashed[0].amount, A(183));
  ValsetUpdate too_much = WithSlash("v1", 200, "0.01");
  clips = Check(too_much);
  ASSERT_TRUE(clips.ok()) << clips.status();
  EXPECT_EQ(too_much.slashed[0].amount, A(183));  // ceil(0.01 × 18300)
}

TEST_F(SlashGuardTest, UnsettledBurnsCountTowardsTheBound) {
  Stake("alice", 900);
  ValsetUpdate u = WithSlash("v1", 100, "0.01");
  ASSERT_TRUE(Check(u).ok());
  EXPECT_EQ(u.slashed[0].amount, A(9));  // ceil(0.01 × 900)
  ValsetUpdate with_burn = WithSlash("v1", 100, "0.01");
  ASSERT_TRUE(SlashGuard::Check(h_.ctx(), kJuno, with_burn, {{"v1", A(100)}}).ok());
  EXPECT_EQ(with_burn.slashed[0].amount, A(10));  // ceil(0.01 × (900 + 100))
}

// A validator nobody stakes on can be slashed by nothing.
TEST_F(SlashGuardTest, NothingHeldBoundsToZero) {
  ValsetUpdate u = WithSlash("v1", 7, "0.01");
  absl::StatusOr<std::vector<SlashClip>> clips = Check(u);
  ASSERT_TRUE(clips.ok());
  EXPECT_EQ(u.slashed[0].amount, A(0));
  EXPECT_EQ(SlashGuard::Bound(h_.ctx(), kJuno, Val("v1"), Pct(10)).value(), A(0));
}

// Inside a SlashReadScope the stakes the guard read for its bound are handed
// to the next reader on the same store, once, and never after a stake write.
TEST_F(SlashGuardTest, ScopeHandsTheGuardsStakeReadsOnOnce) {
  Stake("alice", 1000);
  Stake("bob", 500);
  const std::string alice_key =
      tables::Key(tables::kExtStakes, kJuno.value(), "v1", Addr("alice").value());
  auto read = [&] { return ext_internal::ReadValidatorStakes(h_.ctx(), kJuno, Val("v1")).value(); };
  // What the guard keeps, as it keeps it (the scope hands it to the next read).
  auto keep = [&] { return ext_internal::ViewValidatorStakes(h_.ctx(), kJuno, Val("v1")).value(); };
  auto put_alice = [&](u128 amount) {
    provider::Stake s = ExternalStaking::GetStake(h_.ctx(), kJuno, Addr("alice"), Val("v1")).value();
    s.stake = R(amount);
    ASSERT_TRUE(PutRecord(h_.ctx().store(), alice_key, s).ok());  // behind the scope's back
  };
  {
    SlashReadScope scope;
    ValsetUpdate u = WithSlash("v1", 100, "0.01");
    ASSERT_TRUE(Check(u).ok());
    EXPECT_EQ(u.slashed[0].amount, A(15));  // ceil(0.01 × 1500)
    put_alice(700);
    ext_internal::ValidatorStakes kept = read();  // the guard's read, not the store
    ASSERT_EQ(kept.users.size(), 2u);
    EXPECT_EQ(kept.users[0], Addr("alice"));
    EXPECT_EQ(kept.stakes[0].stake, R(1000));
    EXPECT_EQ(kept.stakes[1].stake, R(500));
    EXPECT_EQ(read().stakes[0].stake, R(700));  // handed on once only
    // A stake write drops what is kept.
    ASSERT_TRUE(Check(u).ok());
    provider::Stake bob = keep()->stakes[1];
    bob.stake = R(400);
    ASSERT_TRUE(ext_internal::SaveIndexedStake(h_.ctx(), kJuno, Addr("bob"), Val("v1"), bob).ok());
    put_alice(600);
    ext_internal::ValidatorStakes after = read();
    EXPECT_EQ(after.stakes[0].stake, R(600));
    EXPECT_EQ(after.stakes[1].stake, R(400));
  }
  // Outside a scope nothing is kept.
  ValsetUpdate u = WithSlash("v1", 100, "0.01");
  ASSERT_TRUE(Check(u).ok());
  EXPECT_EQ(u.slashed[0].amount, A(10));  // ceil(0.01 × 1000)
  put_alice(300);
  EXPECT_EQ(read().stakes[0].stake, R(300));
}

// The guard's read is shared, not copied: views in one scope are one read,
// and the slash that takes it over gets the same vectors (moved).
TEST_F(SlashGuardTest, ScopeSharesTheGuardsReadWithoutCopies) {
  Stake("alice", 1000);
  Stake("bob", 500);
  {
    SlashReadScope scope;
    std::shared_ptr<const ext_internal::ValidatorStakes> first =
        ext_internal::ViewValidatorStakes(h_.ctx(), kJuno, Val("v1")).value();
    std::shared_ptr<const ext_internal::ValidatorStakes> second =
        ext_internal::ViewValidatorStakes(h_.ctx(), kJuno, Val("v1")).value();
    EXPECT_EQ(first.get(), second.get());
    ASSERT_EQ(first->stakes.size(), 2u);
    const void* users = first->users.data();
    const void* stakes = first->stakes.data();
    // Taken while a view is alive: a copy (the view stays as it was).
    ext_internal::ValidatorStakes copied =
        ext_internal::ReadValidatorStakes(h_.ctx(), kJuno, Val("v1")).value();
    EXPECT_NE(static_cast<const void*>(copied.users.data()), users);
    EXPECT_EQ(first->users.size(), 2u);
    // Kept again, then taken once every view is gone: moved.
    first = ext_internal::ViewValidatorStakes(h_.ctx(), kJuno, Val("v1")).value();
    users = first->users.data();
    stakes = first->stakes.data();
    first.reset();
    second.reset();
    ext_internal::ValidatorStakes moved =
        ext_internal::ReadValidatorStakes(h_.ctx(), kJuno, Val("v1")).value();
    EXPECT_EQ(static_cast<const void*>(moved.users.data()), users);
    EXPECT_EQ(static_cast<const void*>(moved.stakes.data()), stakes);
    EXPECT_EQ(moved.stakes[0].stake, R(1000));
  }
  // Outside a scope each view is its own read.
  std::shared_ptr<const ext_internal::ValidatorStakes> a =
      ext_internal::ViewValidatorStakes(h_.ctx(), kJuno, Val("v1")).value();
  std::shared_ptr<const ext_internal::ValidatorStakes> b =
      ext_internal::ViewValidatorStakes(h_.ctx(), kJuno, Val("v1")).value();
  EXPECT_NE(a.get(), b.get());
}

// The guard and the slash in one scope on one store (as the provider app
// runs a valset update): the same cuts as with two reads. Two slashes of
// one validator in one packet: the second sees the first's cuts.
TEST_F(SlashGuardTest, SlashInScopeCutsAsWithTwoReads) {
  Stake("alice", 1000);
  Stake("bob", 500);
  ValsetUpdate u = WithSlash("v1", 15, "0.01");
  u.slashed.push_back(RemoteSlash{Val("v1"), 151, 1510, 10, A(9), "0.01"});
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  SlashReadScope scope;
                  MESH_RETURN_IF_ERROR(SlashGuard::Check(c, kJuno, u).status());
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  // 15 by weight 1000 : 500 → 10 and 5; then 9 by 990 : 495 → 6 and 3.
  EXPECT_EQ(ExternalStaking::GetStake(h_.ctx(), kJuno, Addr("alice"), Val("v1"))->stake, R(984));
  EXPECT_EQ(ExternalStaking::GetStake(h_.ctx(), kJuno, Addr("bob"), Val("v1"))->stake, R(492));
}

}  // namespace
}  // namespace mesh::provider
