// External-staking multitest scenarios (mesh-provider.md §8.2) and the
// unit tests of the reference contract (§8.5), with their exact numbers.
#include "mesh/provider/external_staking.h"

#include "core/codec.h"
#include "gtest/gtest.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/test_util.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)
using Answer = ConsumerStub::Answer;

const Denom kDenom("osmo");
const Denom kStar("star");
const AccountAddress kUser1("user1");
const AccountAddress kUser2("user2");

class ExternalStakingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return Vault::Init(c, kDenom, LocalStakingConfig{kDenom, Pct(5), Pct(5)});
                  }).ok());
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return ExternalStaking::Init(c, cs_.id(), ExtConfig("osmo", "star", 100, 10));
                  }).ok());
  }
  const ConsumerId& id() { return cs_.id(); }
  void Valset(const char* v, RemoteValidators::Op op, uint64_t height) {
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return RemoteValidators::Apply(c, id(), Val(v), op, height, 1234,
                                                   "mock-pubkey");
                  }).ok());
  }
  void Activate(const char* v) { Valset(v, RemoteValidators::Op::kAdd, 100); }
  void FundAndBond(const AccountAddress& u, u128 amount) {
    h_.Fund(u, kDenom, A(amount));
    ASSERT_TRUE(h_.Bond(u, A(amount)).ok());
  }
  // vault.stake(contract, user, validator, coin) = stake_remote + commit.
  void Stake(const AccountAddress& u, const char* v, u128 amount) {
    absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, u, id(), A(amount), Val(v));
    });
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(cs_.Reply(*tx, Answer::kAck).ok());
  }
  absl::StatusOr<uint64_t> Unstake(const AccountAddress& u, const char* v, u128 amount) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return ExternalStaking::Unstake(c, id(), u, Val(v), A(amount));
    });
  }
  void UnstakeCommit(const AccountAddress& u, const char* v, u128 amount) {
    absl::StatusOr<uint64_t> tx = Unstake(u, v, amount);
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(cs_.Reply(*tx, Answer::kAck).ok());
  }
  // user1 and user2 bond 300 each and stake 100 and 200 on v1.
  void TwoStakersOnV1() {
    Activate("v1");
    FundAndBond(kUser1, 300);
    FundAndBond(kUser2, 300);
    Stake(kUser1, "v1", 100);
    Stake(kUser2, "v1", 200);
  }
  void WithdrawUnbonded(const AccountAddress& u) {
    ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                    return ExternalStaking::WithdrawUnbonded(c, id(), u);
                  }).ok());
  }
  Amount Claim(const AccountAddress& u) {
    return Vault::GetClaim(h_.ctx(), u, LienHolder::External(id())).value().amount.Value().value();
  }
  AmountRange StakeOf(const AccountAddress& u, const char* v) {
    return ExternalStaking::GetStake(h_.ctx(), id(), u, Val(v)).value().stake;
  }
  absl::Status Distribute(const char* v, u128 amount, const Denom& denom = kStar) {
    return h_.Run([&](const Context& c) {
      return ExternalStaking::OnDistribute(c, id(), Val(v), denom, A(amount));
    });
  }
  absl::Status Batch(const Denom& denom, std::vector<std::pair<ValidatorAddress, Amount>> r) {
    return h_.Run([&](const Context& c) {
      return ExternalStaking::OnDistributeBatch(c, id(), denom, r);
    });
  }
  absl::StatusOr<uint64_t> WithdrawRewards(const AccountAddress& u, const char* v,
                                           const char* recipient) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return ExternalStaking::WithdrawRewards(c, id(), u, Val(v), recipient);
    });
  }
  void WithdrawRewardsCommit(const AccountAddress& u, const char* v, const char* recipient) {
    absl::StatusOr<uint64_t> tx = WithdrawRewards(u, v, recipient);
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(cs_.Reply(*tx, Answer::kAck).ok());
  }
  u128 Rewards(const AccountAddress& u, const char* v) {
    return ExternalStaking::PendingRewards(h_.ctx(), id(), u, Val(v)).value().raw();
  }
  // (u1v1, u2v1, u1v2, u2v2)
  std::vector<u128> AllFour() {
    return {Rewards(kUser1, "v1"), Rewards(kUser2, "v1"), Rewards(kUser1, "v2"),
            Rewards(kUser2, "v2")};
  }
  std::vector<std::pair<std::string, u128>> AllPending(const AccountAddress& u) {
    std::vector<std::pair<std::string, u128>> out;
    auto all = ExternalStaking::AllPendingRewards(h_.ctx(), id(), u).value();
    for (auto& [v, a] : all) {
      out.emplace_back(v.value(), a.raw());
    }
    return out;
  }

  Harness h_;
  ConsumerStub cs_{&h_, ConsumerId("consumer")};
};

using Four = std::vector<u128>;
using Pairs = std::vector<std::pair<std::string, u128>>;

TEST_F(ExternalStakingTest, Instantiate) {
  EXPECT_TRUE(ExternalStaking::Stakes(h_.ctx(), id(), kUser1).value().empty());
  EXPECT_EQ(ExternalStaking::Config(h_.ctx(), id()).value().slash_ratio_dsign, Pct(10));
  ExternalConfig bad = ExtConfig("osmo", "star", 100, 10);
  bad.slash_ratio_dsign = Dec::FromRaw(Dec::kOne + 1);
  EXPECT_EQ(ExternalStaking::Init(h_.ctx(), ConsumerId("other"), bad).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ExternalStakingTest, ParsesLongDecimal) {
  EXPECT_EQ(Dec::Parse("0.100000000000000000").value(), Pct(10));
}

TEST_F(ExternalStakingTest, Staking) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 300);
  FundAndBond(kUser2, 300);
  Stake(kUser1, "v1", 100);
  Stake(kUser1, "v2", 100);
  Stake(kUser1, "v1", 100);
  Stake(kUser2, "v1", 100);
  Stake(kUser2, "v2", 200);
  EXPECT_EQ(h_.Balance(kUser1, kDenom), A(0));
  EXPECT_EQ(h_.Balance(kUser2, kDenom), A(0));
  EXPECT_EQ(h_.Balance(kVaultAccount, kDenom), A(600));
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(200));
  EXPECT_EQ(StakeOf(kUser1, "v2"), R(100));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(100));
  EXPECT_EQ(StakeOf(kUser2, "v2"), R(200));
  auto stakes = ExternalStaking::Stakes(h_.ctx(), id(), kUser1).value();
  ASSERT_EQ(stakes.size(), 2u);
  EXPECT_EQ(stakes[0].validator, Val("v1"));
  EXPECT_EQ(stakes[0].stake, provider::Stake{R(200)});
  EXPECT_EQ(stakes[1].validator, Val("v2"));
  EXPECT_EQ(stakes[1].stake, provider::Stake{R(100)});
  stakes = ExternalStaking::Stakes(h_.ctx(), id(), kUser2).value();
  ASSERT_EQ(stakes.size(), 2u);
  EXPECT_EQ(stakes[0].stake, provider::Stake{R(100)});
  EXPECT_EQ(stakes[1].stake, provider::Stake{R(200)});
  // Staking to an unknown validator is rejected.
  EXPECT_EQ(h_.RunOr<uint64_t>([&](const Context& c) {
                return Vault::StakeRemote(c, kUser1, id(), A(1), Val("nobody"));
              }).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ExternalStakingTest, Unstaking) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 300);
  FundAndBond(kUser2, 300);
  Stake(kUser1, "v1", 200);
  Stake(kUser1, "v2", 100);
  Stake(kUser2, "v1", 300);
  UnstakeCommit(kUser1, "v1", 20);
  UnstakeCommit(kUser1, "v1", 30);
  UnstakeCommit(kUser2, "v1", 60);
  EXPECT_EQ(Unstake(kUser1, "v2", 110).status().message(),
            "Not enough tokens staked, up to 100 can be unbond");
  EXPECT_EQ(Unstake(kUser2, "v1", 300).status().message(),
            "Not enough tokens staked, up to 240 can be unbond");
  EXPECT_EQ(Unstake(kUser2, "v2", 1).status().message(),
            "Not enough tokens staked, up to 0 can be unbond");
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(150));
  EXPECT_EQ(StakeOf(kUser1, "v2"), R(100));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(240));
  EXPECT_EQ(StakeOf(kUser2, "v2"), R(0));
  EXPECT_EQ(Claim(kUser1), A(300));
  EXPECT_EQ(Claim(kUser2), A(300));
  WithdrawUnbonded(kUser1);
  WithdrawUnbonded(kUser2);
  EXPECT_EQ(Claim(kUser1), A(300));
  EXPECT_EQ(Claim(kUser2), A(300));

  h_.AdvanceSeconds(50);
  WithdrawUnbonded(kUser1);
  WithdrawUnbonded(kUser2);
  EXPECT_EQ(Claim(kUser1), A(300));
  EXPECT_EQ(Claim(kUser2), A(300));
  UnstakeCommit(kUser1, "v1", 70);
  UnstakeCommit(kUser1, "v2", 90);
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(80));
  EXPECT_EQ(StakeOf(kUser1, "v2"), R(10));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(240));
  EXPECT_EQ(StakeOf(kUser2, "v2"), R(0));

  h_.AdvanceSeconds(50);
  WithdrawUnbonded(kUser1);
  WithdrawUnbonded(kUser2);
  EXPECT_EQ(Claim(kUser1), A(250));
  EXPECT_EQ(Claim(kUser2), A(240));
  h_.AdvanceSeconds(60);
  EXPECT_EQ(Claim(kUser1), A(250));
  EXPECT_EQ(Claim(kUser2), A(240));
  WithdrawUnbonded(kUser1);
  WithdrawUnbonded(kUser2);
  EXPECT_EQ(Claim(kUser1), A(90));
  EXPECT_EQ(Claim(kUser2), A(240));
}

TEST_F(ExternalStakingTest, ImmediateUnstakeIfUnbondedValidator) {
  Activate("v1");
  FundAndBond(kUser1, 200);
  Stake(kUser1, "v1", 200);
  Valset("v1", RemoteValidators::Op::kRemove, 101);
  UnstakeCommit(kUser1, "v1", 200);
  WithdrawUnbonded(kUser1);
  EXPECT_EQ(Vault::GetClaim(h_.ctx(), kUser1, LienHolder::External(id())).status().message(),
            kErrNoClaim);
}

TEST_F(ExternalStakingTest, ImmediateUnstakeIfTombstonedValidator) {
  Activate("v1");
  FundAndBond(kUser1, 200);
  Stake(kUser1, "v1", 200);
  Valset("v1", RemoteValidators::Op::kTombstone, 101);
  UnstakeCommit(kUser1, "v1", 200);
  WithdrawUnbonded(kUser1);
  EXPECT_EQ(Vault::GetClaim(h_.ctx(), kUser1, LienHolder::External(id())).status().message(),
            kErrNoClaim);
}

TEST_F(ExternalStakingTest, JailedValidatorWaitsFullPeriodAndRejectsStake) {
  Activate("v1");
  FundAndBond(kUser1, 200);
  Stake(kUser1, "v1", 100);
  Valset("v1", RemoteValidators::Op::kJail, 101);
  EXPECT_EQ(h_.RunOr<uint64_t>([&](const Context& c) {
                return Vault::StakeRemote(c, kUser1, id(), A(10), Val("v1"));
              }).status().message(),
            std::string("Cannot stake to v1, ") + kErrNotActive);
  UnstakeCommit(kUser1, "v1", 100);
  WithdrawUnbonded(kUser1);
  EXPECT_EQ(Claim(kUser1), A(100));
  h_.AdvanceSeconds(100);
  WithdrawUnbonded(kUser1);
  EXPECT_FALSE(Vault::GetClaim(h_.ctx(), kUser1, LienHolder::External(id())).ok());
}

// P-22: a burn larger than the committed stake (part of the stake is still
// in flight) lowers the reward bookkeeping by the drop of the committed
// amount (100), not by the nominal burn (120): the reference would leave
// total_stake at 200 - 120 = 80 while 100 is committed, promising user2 less
// than the whole distribution and user1 rewards on stake that is not there.
TEST_F(ExternalStakingTest, BurnBeyondCommittedStakeMovesRewardsByTheCommittedDrop) {
  Activate("v1");
  FundAndBond(kUser1, 300);
  FundAndBond(kUser2, 300);
  Stake(kUser1, "v1", 100);
  Stake(kUser2, "v1", 100);
  absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
    return Vault::StakeRemote(c, kUser1, id(), A(50), Val("v1"));
  });
  ASSERT_TRUE(tx.ok()) << tx.status();
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(100, 150));
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  BurnAggregator burns;
                  return ExternalStaking::BurnVirtualStake(c, id(), kUser1, A(120), Val("v1"),
                                                           burns);
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0, 30));
  EXPECT_EQ(ExternalStaking::GetDistribution(h_.ctx(), id(), Val("v1")).value().total_stake,
            A(100));
  ASSERT_TRUE(Distribute("v1", 200).ok());
  EXPECT_EQ(Rewards(kUser1, "v1"), 0u);
  EXPECT_EQ(Rewards(kUser2, "v1"), 200u);
  // The in-flight 30 that is left lands: it earns from then on.
  ASSERT_TRUE(cs_.Reply(*tx, Answer::kAck).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(30));
  EXPECT_EQ(ExternalStaking::GetDistribution(h_.ctx(), id(), Val("v1")).value().total_stake,
            A(130));
}

// P-34: a burn is taken first from stake the consumer has confirmed (the
// low ends); stake still in flight is cut only for what that cannot cover.
// user1: 100 committed on v1, 100 in flight to v2; a burn of 60 over all
// validators takes the 60 from v1 (the old even split over the high ends
// took 30 from the stake in flight, which the consumer may never hold), a
// further burn of 60 takes v1's last 40 and 20 of the stake in flight.
TEST_F(ExternalStakingTest, BurnTakesConfirmedStakeBeforeStakeInFlight) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 300);
  Stake(kUser1, "v1", 100);
  ASSERT_TRUE(h_.RunOr<uint64_t>([&](const Context& c) {
                  return Vault::StakeRemote(c, kUser1, id(), A(100), Val("v2"));
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v2"), R(0, 100));
  BurnAggregator burns;
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::BurnVirtualStake(c, id(), kUser1, A(60), std::nullopt,
                                                           burns);
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(40));
  EXPECT_EQ(StakeOf(kUser1, "v2"), R(0, 100));
  EXPECT_EQ(burns.size(), 1u);
  EXPECT_EQ((burns[{id().value(), Val("v1").value()}]), A(60));
  BurnAggregator more;
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::BurnVirtualStake(c, id(), kUser1, A(60), std::nullopt,
                                                           more);
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0));
  EXPECT_EQ(StakeOf(kUser1, "v2"), R(0, 80));
  EXPECT_EQ((more[{id().value(), Val("v1").value()}]), A(40));
  EXPECT_EQ((more[{id().value(), Val("v2").value()}]), A(20));
}

TEST_F(ExternalStakingTest, Distribution) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 600);
  FundAndBond(kUser2, 600);
  Stake(kUser1, "v1", 200);
  Stake(kUser1, "v2", 100);
  Stake(kUser2, "v1", 300);

  ASSERT_TRUE(Distribute("v1", 50).ok());
  ASSERT_TRUE(Distribute("v2", 30).ok());
  EXPECT_EQ(AllFour(), (Four{20, 30, 30, 0}));
  EXPECT_EQ(AllPending(kUser1), (Pairs{{"v1", 20}, {"v2", 30}}));
  EXPECT_EQ(AllPending(kUser2), (Pairs{{"v1", 30}}));

  ASSERT_TRUE(Distribute("v1", 71).ok());
  EXPECT_EQ(AllFour(), (Four{48, 72, 30, 0}));
  EXPECT_FALSE(Distribute("v2", 100, kDenom).ok());

  WithdrawRewardsCommit(kUser1, "v1", "remote1");
  WithdrawRewardsCommit(kUser1, "v2", "remote1");
  WithdrawRewardsCommit(kUser2, "v1", "remote2");
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(200));
  EXPECT_EQ(StakeOf(kUser1, "v2"), R(100));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(300));
  EXPECT_EQ(WithdrawRewards(kUser2, "v2", "remote2").status().message(), kErrNoRewards);
  EXPECT_TRUE(ExternalStaking::AllPendingTxsDesc(h_.ctx(), id()).value().empty());
  EXPECT_EQ(StakeOf(kUser2, "v2"), R(0));
  EXPECT_EQ(AllFour(), (Four{0, 0, 0, 0}));

  ASSERT_TRUE(Distribute("v1", 9).ok());
  EXPECT_EQ(Rewards(kUser1, "v1"), 4u);
  EXPECT_EQ(Rewards(kUser2, "v1"), 6u);

  ASSERT_TRUE(Distribute("v1", 11).ok());
  ASSERT_TRUE(Distribute("v2", 11).ok());
  UnstakeCommit(kUser2, "v1", 100);
  Stake(kUser2, "v2", 300);
  EXPECT_EQ(AllFour(), (Four{8, 12, 11, 0}));

  ASSERT_TRUE(Distribute("v1", 20).ok());
  ASSERT_TRUE(Distribute("v2", 40).ok());
  EXPECT_EQ(AllFour(), (Four{18, 22, 21, 30}));
  ASSERT_TRUE(Distribute("v1", 5).ok());
  EXPECT_EQ(Rewards(kUser1, "v1"), 20u);
  EXPECT_EQ(Rewards(kUser2, "v1"), 25u);

  UnstakeCommit(kUser1, "v1", 50);
  UnstakeCommit(kUser2, "v1", 100);
  ASSERT_TRUE(Distribute("v1", 12).ok());
  EXPECT_EQ(Rewards(kUser1, "v1"), 28u);
  EXPECT_EQ(Rewards(kUser2, "v1"), 29u);

  WithdrawRewardsCommit(kUser1, "v1", "remote1");
  WithdrawRewardsCommit(kUser1, "v2", "remote1");
  absl::StatusOr<uint64_t> bad = WithdrawRewards(kUser2, "v1", "bad_value");
  ASSERT_TRUE(bad.ok());
  ASSERT_TRUE(cs_.Reply(*bad, Answer::kError).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(150));
  EXPECT_EQ(StakeOf(kUser1, "v2"), R(100));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(100));
  EXPECT_EQ(StakeOf(kUser2, "v2"), R(300));
  EXPECT_EQ(AllFour(), (Four{0, 29, 0, 30}));

  ASSERT_TRUE(Distribute("v1", 10).ok());
  ASSERT_TRUE(Distribute("v2", 10).ok());
  EXPECT_EQ(AllFour(), (Four{6, 33, 2, 37}));
  EXPECT_EQ(AllPending(kUser1), (Pairs{{"v1", 6}, {"v2", 2}}));
  EXPECT_EQ(AllPending(kUser2), (Pairs{{"v1", 33}, {"v2", 37}}));
  WithdrawRewardsCommit(kUser1, "v1", "r");
  WithdrawRewardsCommit(kUser2, "v1", "r");
  WithdrawRewardsCommit(kUser1, "v2", "r");
  WithdrawRewardsCommit(kUser2, "v2", "r");
  EXPECT_EQ(AllFour(), (Four{0, 0, 0, 0}));
}

TEST_F(ExternalStakingTest, BatchDistribution) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 600);
  FundAndBond(kUser2, 600);
  Stake(kUser1, "v1", 200);
  Stake(kUser1, "v2", 100);
  Stake(kUser2, "v1", 300);
  ASSERT_TRUE(Batch(kStar, {{Val("v1"), A(50)}, {Val("v2"), A(30)}}).ok());
  EXPECT_EQ(AllFour(), (Four{20, 30, 30, 0}));
  ASSERT_TRUE(Batch(kStar, {{Val("v1"), A(100)}, {Val("v2"), A(30)}}).ok());
  EXPECT_EQ(AllFour(), (Four{60, 90, 60, 0}));
}

TEST_F(ExternalStakingTest, BatchDistributionInvalidToken) {
  Activate("v1");
  FundAndBond(kUser1, 600);
  Stake(kUser1, "v1", 200);
  absl::Status s = Batch(Denom("supertoken"), {{Val("v1"), A(50)}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Invalid denom, star expected");
}

// Deviation: rewards for a validator nobody stakes on are rejected with an
// error (an error ack) instead of a division-by-zero panic (no ack at all).
TEST_F(ExternalStakingTest, DistributeToEmptyValidatorIsRejected) {
  Activate("v1");
  absl::Status s = Distribute("v1", 10);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

// Deviation: a reward withdrawal reserves its amount while in flight, so a
// second withdrawal before the ack cannot pay the same rewards twice.
TEST_F(ExternalStakingTest, RewardsWithdrawnTwiceBeforeAckPayOnce) {
  Activate("v1");
  FundAndBond(kUser1, 600);
  Stake(kUser1, "v1", 200);
  ASSERT_TRUE(Distribute("v1", 50).ok());
  absl::StatusOr<uint64_t> first = WithdrawRewards(kUser1, "v1", "r");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Rewards(kUser1, "v1"), 0u);
  EXPECT_EQ(WithdrawRewards(kUser1, "v1", "r").status().message(), kErrNoRewards);
  ASSERT_TRUE(Distribute("v1", 10).ok());
  absl::StatusOr<uint64_t> second = WithdrawRewards(kUser1, "v1", "r");
  ASSERT_TRUE(second.ok());
  std::vector<OutboundPacket> out = cs_.Collect();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].amount, A(50));
  EXPECT_EQ(out[1].amount, A(10));
  EXPECT_EQ(out[1].denom, kStar);
  ASSERT_TRUE(cs_.Reply(*first, Answer::kAck).ok());
  ASSERT_TRUE(cs_.Reply(*second, Answer::kTimeout).ok());
  // The timed-out 10 can be withdrawn again; the paid 50 cannot.
  EXPECT_EQ(Rewards(kUser1, "v1"), 10u);
  provider::Stake s = ExternalStaking::GetStake(h_.ctx(), id(), kUser1, Val("v1")).value();
  EXPECT_EQ(s.withdrawn_funds, A(50));
  EXPECT_EQ(s.withdrawing, A(0));
}

TEST_F(ExternalStakingTest, OwnTxIdsStartAtTwoToThe63) {
  Activate("v1");
  FundAndBond(kUser1, 600);
  Stake(kUser1, "v1", 200);
  absl::StatusOr<uint64_t> tx = Unstake(kUser1, "v1", 10);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(*tx, 9223372036854775808ULL);
  EXPECT_EQ(*Unstake(kUser1, "v1", 10), 9223372036854775809ULL);
  auto pending = ExternalStaking::AllPendingTxsDesc(h_.ctx(), id()).value();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, 9223372036854775809ULL);
  std::vector<OutboundPacket> out = cs_.Collect();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, OutboundPacket::Kind::kUnstake);
  EXPECT_EQ(out[0].timeout_ns, kStartTimeNs + 600 * kNanosPerSecond);
  EXPECT_EQ(out[0].delegator, kUser1);
  EXPECT_EQ(out[0].validators, std::vector<ValidatorAddress>{Val("v1")});
  EXPECT_EQ(out[0].denom, kDenom);
}

// The outbox is read from its floor (0x6C): each drain moves the floor past
// what it took, so later reads never pass the drained (deleted) entries —
// a record planted below the floor is never decoded.
TEST_F(ExternalStakingTest, OutboxIsReadFromItsFloor) {
  Activate("v1");
  FundAndBond(kUser1, 600);
  const std::string floor_key = tables::Key(tables::kExtOutboxFloor, id().value());
  absl::StatusOr<uint64_t> t1 = h_.RunOr<uint64_t>([&](const Context& c) {
    return Vault::StakeRemote(c, kUser1, id(), A(100), Val("v1"));
  });
  ASSERT_TRUE(t1.ok()) << t1.status();
  ASSERT_EQ(ExternalStaking::Outbox(h_.ctx(), id())->size(), 1u);
  ASSERT_EQ(cs_.Collect().size(), 1u);  // drained
  std::optional<std::string> floor = *h_.ctx().store().Get(floor_key);
  ASSERT_TRUE(floor.has_value());
  const uint64_t f = *Decoder(*floor).U64();
  EXPECT_TRUE(ExternalStaking::Outbox(h_.ctx(), id())->empty());
  // A corrupt entry below the floor is never read.
  ASSERT_TRUE(h_.ctx().store().Put(tables::KeyU64(tables::kExtOutbox, id().value(), f - 1),
                                   "corrupt").ok());
  EXPECT_TRUE(ExternalStaking::Outbox(h_.ctx(), id())->empty());
  absl::StatusOr<uint64_t> t2 = h_.RunOr<uint64_t>([&](const Context& c) {
    return Vault::StakeRemote(c, kUser1, id(), A(50), Val("v1"));
  });
  ASSERT_TRUE(t2.ok()) << t2.status();
  std::vector<OutboundPacket> in_flight = cs_.Collect();
  ASSERT_EQ(in_flight.size(), 2u);  // the stake of t1, then only t2's
  EXPECT_EQ(in_flight[1].tx_id, *t2);
  EXPECT_EQ(*Decoder(**h_.ctx().store().Get(floor_key)).U64(), f + 1);
  ASSERT_TRUE(
      h_.ctx().store().Delete(tables::KeyU64(tables::kExtOutbox, id().value(), f - 1)).ok());
}

TEST_F(ExternalStakingTest, StakeErrorAckAndTimeoutRollBack) {
  Activate("v1");
  FundAndBond(kUser1, 300);
  auto stake = [&](u128 a) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, kUser1, id(), A(a), Val("v1"));
    });
  };
  uint64_t a = stake(100).value();
  uint64_t b = stake(50).value();
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0, 150));
  EXPECT_EQ(h_.Account(kUser1).free, R(150, 300));
  ASSERT_TRUE(cs_.Reply(a, Answer::kError).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0, 50));
  ASSERT_TRUE(cs_.Reply(b, Answer::kTimeout).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0));
  EXPECT_EQ(h_.Account(kUser1).free, R(300));
  EXPECT_TRUE(Vault::AllPendingTxsDesc(h_.ctx()).value().empty());
  // A second ack for the same tx is an error (IBC never delivers one).
  EXPECT_EQ(h_.Run([&](const Context& c) {
                return ExternalStaking::OnStakeAck(c, id(), a, true);
              }).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ExternalStakingTest, UnstakeRollbackRestoresLow) {
  Activate("v1");
  FundAndBond(kUser1, 300);
  Stake(kUser1, "v1", 100);
  uint64_t tx = Unstake(kUser1, "v1", 40).value();
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(60, 100));
  ASSERT_TRUE(cs_.Reply(tx, Answer::kTimeout).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(100));
  EXPECT_TRUE(ExternalStaking::GetStake(h_.ctx(), id(), kUser1, Val("v1"))
                  .value()
                  .pending_unbonds.empty());
}

TEST_F(ExternalStakingTest, InternalUnstakeReleasesImmediately) {
  Activate("v1");
  FundAndBond(kUser1, 300);
  Stake(kUser1, "v1", 100);
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnInternalUnstake(c, id(), kUser1, Val("v1"), A(150));
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0));
  WithdrawUnbonded(kUser1);
  EXPECT_FALSE(Vault::GetClaim(h_.ctx(), kUser1, LienHolder::External(id())).ok());
  // Nothing staked on v1 any more: a stranger's internal unstake is a no-op.
  EXPECT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnInternalUnstake(c, id(), kUser2, Val("v1"), A(1));
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0));
}

// P-24: the consumer's record of user1 held more than user1's stake here
// (a burn of user2's stake spread over both records there); the internal
// unstake takes the excess from user2, so the validator's total drops by
// exactly what the consumer unbonded.
TEST_F(ExternalStakingTest, InternalUnstakeShortfallComesFromTheOtherStakes) {
  TwoStakersOnV1();
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnInternalUnstake(c, id(), kUser1, Val("v1"), A(130));
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(170));
  WithdrawUnbonded(kUser2);
  EXPECT_EQ(Claim(kUser2), A(170));
}

// An internal unstake that the delegator's own stake covers takes nothing
// from the others (and reads none of them); one that reaches into the
// delegator's stake still in flight is refused, whichever way it is read.
TEST_F(ExternalStakingTest, InternalUnstakeCoveredByItsOwnStakeLeavesTheOthers) {
  TwoStakersOnV1();
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnInternalUnstake(c, id(), kUser1, Val("v1"), A(60));
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(40));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(200));
  // 50 more of user1 in flight: [40, 90].
  ASSERT_TRUE(h_.RunOr<uint64_t>([&](const Context& c) {
                  return Vault::StakeRemote(c, kUser1, id(), A(50), Val("v1"));
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(40, 90));
  for (u128 amount : {50, 200}) {  // within the high end, and beyond it
    absl::Status st = h_.Run([&](const Context& c) {
      return ExternalStaking::OnInternalUnstake(c, id(), kUser1, Val("v1"), A(amount));
    });
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << A(amount).ToString();
    EXPECT_EQ(st.message(), "internal unstake: the delegator's stake is still in flight");
  }
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(40, 90));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(200));
  // Up to the committed part is fine.
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnInternalUnstake(c, id(), kUser1, Val("v1"), A(40));
                }).ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0, 50));
  EXPECT_EQ(StakeOf(kUser2, "v1"), R(200));
}

// Deviation: matured unbonds are all released even when the list is not
// sorted by release time (an immediate release appended after a longer one);
// the reference binary-searches and can release immature entries or miss
// mature ones.
TEST_F(ExternalStakingTest, UnsortedUnbondsReleaseExactlyTheMatured) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 300);
  Stake(kUser1, "v1", 100);
  UnstakeCommit(kUser1, "v1", 10);  // matures at t0 + 100
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnInternalUnstake(c, id(), kUser1, Val("v1"), A(20));
                }).ok());  // immediate, appended after the immature one
  UnstakeCommit(kUser1, "v1", 30);  // t0 + 100 again
  WithdrawUnbonded(kUser1);
  EXPECT_EQ(Claim(kUser1), A(80));
  h_.AdvanceSeconds(100);
  WithdrawUnbonded(kUser1);
  EXPECT_EQ(Claim(kUser1), A(40));
}

// Deviation: closing the channel resolves in-flight txs (stake rolled back
// with its vault lien, unstake counted as unbonded) so nothing is lost and
// later acks are harmless.
TEST_F(ExternalStakingTest, CloseChannelResolvesInFlightTxs) {
  Activate("v1");
  FundAndBond(kUser1, 300);
  Stake(kUser1, "v1", 100);
  absl::StatusOr<uint64_t> pending_stake = h_.RunOr<uint64_t>([&](const Context& c) {
    return Vault::StakeRemote(c, kUser1, id(), A(50), Val("v1"));
  });
  ASSERT_TRUE(pending_stake.ok());
  uint64_t unstake = Unstake(kUser1, "v1", 30).value();
  cs_.Collect();
  ASSERT_TRUE(h_.Run([&](const Context& c) { return ExternalStaking::CloseChannel(c, id()); })
                  .ok());
  EXPECT_EQ(StakeOf(kUser1, "v1"), R(0));
  EXPECT_TRUE(Vault::AllPendingTxsDesc(h_.ctx()).value().empty());
  EXPECT_EQ(h_.Account(kUser1).max_lien, R(100));
  // Late answers for the resolved packets are no-ops.
  ASSERT_TRUE(cs_.Reply(*pending_stake, Answer::kTimeout).ok());
  ASSERT_TRUE(cs_.Reply(unstake, Answer::kAck).ok());
  WithdrawUnbonded(kUser1);
  EXPECT_FALSE(Vault::GetClaim(h_.ctx(), kUser1, LienHolder::External(id())).ok());
  EXPECT_EQ(h_.Account(kUser1).free, R(300));
  EXPECT_EQ(Unstake(kUser1, "v1", 1).status().message(), kErrClosed);
}

// The stake lists of the queries read from a page key: a validator's
// stakers by user (the page key), every stake in store order (by user
// length, user, then validator), both ways, stopping when told.
TEST_F(ExternalStakingTest, StakeListsAreVisitedFromAPageKey) {
  Activate("v1");
  Activate("v2");
  const std::vector<std::string> users = {"u1", "u10", "u2", "w"};
  for (const std::string& u : users) {
    FundAndBond(AccountAddress(u), 100);
    Stake(AccountAddress(u), "v1", 10);
  }
  Stake(AccountAddress("u2"), "v2", 10);
  auto stakers = [&](std::string_view from, bool reverse, size_t stop_after = 100) {
    std::vector<std::string> got;
    EXPECT_TRUE(ExternalStaking::VisitValidatorUsers(
                    h_.ctx(), id(), Val("v1"), from, reverse,
                    [&](const AccountAddress& u) -> absl::StatusOr<bool> {
                      got.push_back(u.value());
                      return got.size() < stop_after;
                    })
                    .ok());
    return got;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(stakers("", false), users);
  EXPECT_EQ(stakers("u10", false, 2), (V{"u10", "u2"}));
  EXPECT_EQ(stakers("u10", true), (V{"u10", "u1"}));
  EXPECT_EQ(stakers("u11", true), (V{"u10", "u1"}));
  EXPECT_EQ(stakers("", true, 1), (V{"w"}));

  std::vector<std::string> keys;
  V all;
  ASSERT_TRUE(ExternalStaking::VisitStakeKeys(
                  h_.ctx(), id(), "", false,
                  [&](std::string_view key, const AccountAddress& u,
                      const ValidatorAddress& v) -> absl::StatusOr<bool> {
                    keys.emplace_back(key);
                    all.push_back(u.value() + "/" + v.value());
                    return true;
                  })
                  .ok());
  const std::string v1 = Val("v1").value(), v2 = Val("v2").value();
  EXPECT_EQ(all, (V{"w/" + v1, "u1/" + v1, "u2/" + v1, "u2/" + v2, "u10/" + v1}));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  V from_third;
  ASSERT_TRUE(ExternalStaking::VisitStakeKeys(
                  h_.ctx(), id(), keys[2], true,
                  [&](std::string_view, const AccountAddress& u,
                      const ValidatorAddress&) -> absl::StatusOr<bool> {
                    from_third.push_back(u.value());
                    return true;
                  })
                  .ok());
  EXPECT_EQ(from_third, (V{"u2", "u1", "w"}));
}


// The stake records are ordered by validator, then user (a slash reads its
// validator's by one scan of 0xF0), and the by-user index (0xEF) has one
// entry per record: a user's stakes are listed through it, ascending by
// validator, each with its record.
TEST_F(ExternalStakingTest, StakesAreOrderedByValidatorAndIndexedByUser) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 300);
  FundAndBond(kUser2, 300);
  Stake(kUser2, "v2", 30);
  Stake(kUser1, "v2", 20);
  Stake(kUser2, "v1", 10);
  auto keys_of = [&](uint8_t table) {
    std::vector<std::string> out;
    const std::string prefix = tables::Prefix(table, id().value());
    for (auto it = h_.ctx().store().ScanPrefix(prefix); it->Valid(); it->Next()) {
      out.emplace_back(it->key().substr(prefix.size()));
    }
    return out;
  };
  const std::string v1 = Val("v1").value(), v2 = Val("v2").value();
  auto field_then_raw = [](const std::string& a, const std::string& b) {
    return Encoder().Str(a).Raw(b).Take();
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys_of(tables::kExtStakes),
            (V{field_then_raw(v1, kUser2.value()), field_then_raw(v2, kUser1.value()),
               field_then_raw(v2, kUser2.value())}));
  EXPECT_EQ(keys_of(tables::kExtStakesByUser),
            (V{field_then_raw(kUser1.value(), v2), field_then_raw(kUser2.value(), v1),
               field_then_raw(kUser2.value(), v2)}));
  const ext_internal::ValidatorStakes on_v2 =
      ext_internal::ReadValidatorStakes(h_.ctx(), id(), Val("v2")).value();
  ASSERT_EQ(on_v2.users, (std::vector<AccountAddress>{kUser1, kUser2}));
  EXPECT_EQ(on_v2.stakes[0].stake, R(20));
  EXPECT_EQ(on_v2.stakes[1].stake, R(30));
  const std::vector<StakeEntry> user2 = ExternalStaking::Stakes(h_.ctx(), id(), kUser2).value();
  ASSERT_EQ(user2.size(), 2u);
  EXPECT_EQ(user2[0].validator, Val("v1"));
  EXPECT_EQ(user2[0].stake.stake, R(10));
  EXPECT_EQ(user2[1].validator, Val("v2"));
  EXPECT_EQ(user2[1].stake.stake, R(30));
  // An index entry without its record is reported, not skipped.
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return c.store().Put(
                      tables::Key(tables::kExtStakesByUser, id().value(), kUser1.value(),
                                  Val("v3").value()),
                      "");
                }).ok());
  const absl::Status broken = ExternalStaking::Stakes(h_.ctx(), id(), kUser1).status();
  EXPECT_EQ(broken.code(), absl::StatusCode::kInternal) << broken;
}

// The stakes and unstakes in flight on a validator are counted (table
// 0xF6), whatever resolves them (ack, error ack, timeout); rewards in
// flight are not; the count leaves the store at zero. A slash of a
// validator with none reads no tx.
TEST_F(ExternalStakingTest, TxsInFlightAreCountedPerValidator) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 1000);
  auto in_flight = [&](const char* v) {
    return ext_internal::TxsInFlight(h_.ctx(), id(), Val(v)).value();
  };
  auto stake = [&](const char* v, u128 amount) {
    absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, kUser1, id(), A(amount), Val(v));
    });
    EXPECT_TRUE(tx.ok()) << tx.status();
    return tx.value_or(0);
  };
  const uint64_t a = stake("v1", 100);
  const uint64_t b = stake("v1", 50);
  const uint64_t c = stake("v2", 70);
  EXPECT_EQ(in_flight("v1"), 2u);
  EXPECT_EQ(in_flight("v2"), 1u);
  ASSERT_TRUE(cs_.Reply(a, Answer::kAck).ok());
  ASSERT_TRUE(cs_.Reply(b, Answer::kError).ok());
  EXPECT_EQ(in_flight("v1"), 0u);
  EXPECT_FALSE(h_.ctx()
                   .store()
                   .Get(tables::Key(tables::kExtTxsInFlight, id().value(), Val("v1").value()))
                   .value()
                   .has_value());
  ASSERT_TRUE(cs_.Reply(c, Answer::kTimeout).ok());
  EXPECT_EQ(in_flight("v2"), 0u);
  const uint64_t u = Unstake(kUser1, "v1", 30).value();
  EXPECT_EQ(in_flight("v1"), 1u);
  ASSERT_TRUE(cs_.Reply(u, Answer::kAck).ok());
  EXPECT_EQ(in_flight("v1"), 0u);
  ASSERT_TRUE(Distribute("v1", 1000).ok());
  const uint64_t r = WithdrawRewards(kUser1, "v1", "remote").value();
  EXPECT_EQ(in_flight("v1"), 0u);
  ASSERT_TRUE(cs_.Reply(r, Answer::kAck).ok());
  EXPECT_EQ(in_flight("v1"), 0u);
}

// Each validator counts its stake records (table 0xF7): one per user who
// ever staked on it, whatever became of the stake (rolled back, unstaked),
// and a validator's read of them is sized by that count.
TEST_F(ExternalStakingTest, StakeRecordsAreCountedPerValidator) {
  Activate("v1");
  Activate("v2");
  FundAndBond(kUser1, 1000);
  FundAndBond(kUser2, 1000);
  auto count = [&](const char* v) {
    return tables::CounterOrZero(h_.ctx().store(), tables::Key(tables::kExtStakeRecords,
                                                               id().value(), Val(v).value()))
        .value();
  };
  auto stake = [&](const AccountAddress& user, const char* v, u128 amount) {
    absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, user, id(), A(amount), Val(v));
    });
    EXPECT_TRUE(tx.ok()) << tx.status();
    return tx.value_or(0);
  };
  EXPECT_EQ(count("v1"), 0u);
  const uint64_t a = stake(kUser1, "v1", 100);
  EXPECT_EQ(count("v1"), 1u);
  ASSERT_TRUE(cs_.Reply(a, Answer::kAck).ok());
  ASSERT_TRUE(cs_.Reply(stake(kUser1, "v1", 50), Answer::kAck).ok());  // the same record
  ASSERT_TRUE(cs_.Reply(stake(kUser2, "v1", 70), Answer::kError).ok());  // rolled back, kept
  ASSERT_TRUE(cs_.Reply(stake(kUser2, "v2", 70), Answer::kTimeout).ok());
  ASSERT_TRUE(cs_.Reply(Unstake(kUser1, "v1", 150).value(), Answer::kAck).ok());
  EXPECT_EQ(count("v1"), 2u);
  EXPECT_EQ(count("v2"), 1u);
  for (const char* v : {"v1", "v2"}) {
    const ext_internal::ValidatorStakes read =
        ext_internal::ReadValidatorStakes(h_.ctx(), id(), Val(v)).value();
    EXPECT_EQ(read.users.size(), count(v)) << v;
    EXPECT_EQ(read.stakes.capacity(), count(v)) << v;
  }
}

// A store of an earlier layout (stakes ordered by user in 0x61, their
// by-validator index in 0x62; stakes without the stake-slash stamp in 0xEE,
// or without the vault's deferred cut in 0xF0) is refused, not misread as
// one without stakes.
TEST_F(ExternalStakingTest, AStoreOfTheEarlierLayoutIsRefused) {
  std::vector<std::string> old_keys;
  for (const uint8_t table : {tables::kRetiredExtStakes, tables::kRetiredExtStakesByVal,
                              tables::kRetiredUnstampedStakes, tables::kRetiredUncountedStakes}) {
    old_keys.push_back(tables::Key(table, id().value(), kUser1.value(), "v1"));
  }
  ExpectEarlierLayoutRefused(h_, old_keys,
                             [&] { return ExternalStaking::CheckStoredLayout(h_.ctx()); });
}

}  // namespace
}  // namespace mesh::provider
