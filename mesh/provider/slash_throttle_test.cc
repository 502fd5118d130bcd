// SlashThrottle: the slash meter of ICS ADR-002 (neighbours.md §2.5) over a
// mesh consumer's slash reports, with exact numbers
// (docs/shared-security.md "Slash throttling").
#include "mesh/provider/slash_throttle.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/test_util.h"
#include "mesh/provider/vault.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)
using Answer = ConsumerStub::Answer;

const Denom kOsmo("OSMO");
const ConsumerId kJuno("juno");
constexpr u128 kPower = 1000000;  // staking power_reduction

Dec D(const char* s) { return Dec::Parse(s).value(); }

TEST(SlashMeterTest, AllowanceRoundsHalfEvenWithAFloorOfOne) {
  const Dec f = D("0.05");
  EXPECT_EQ(meter::Allowance(f, 0), 1);
  EXPECT_EQ(meter::Allowance(f, 10), 1);    // 0.5 -> 0 -> 1
  EXPECT_EQ(meter::Allowance(f, 30), 2);    // 1.5 -> 2
  EXPECT_EQ(meter::Allowance(f, 50), 2);    // 2.5 -> 2 (half even)
  EXPECT_EQ(meter::Allowance(f, 70), 4);    // 3.5 -> 4
  EXPECT_EQ(meter::Allowance(f, 1000), 50);
  EXPECT_EQ(meter::Allowance(D("1"), 1000), 1000);
  EXPECT_EQ(meter::Allowance(D("0"), 1000), 1);
}

// ICS worked example: total 1,000, fraction 0.05 -> allowance 50; a 60-power
// validator drives the meter to -10; one period later it is 40.
TEST(SlashMeterTest, ReplenishesOnePeriodAfterTheCandidateAndCapsAtTheAllowance) {
  ThrottleState s;
  meter::Start(s, 50, 1000);
  EXPECT_EQ(s.meter, 50);
  EXPECT_EQ(s.candidate_s, 4600u);
  s.meter -= 60;
  meter::Replenish(s, 50, 4599);  // before the candidate: nothing
  EXPECT_EQ(s.meter, -10);
  meter::Replenish(s, 50, 4600);  // at the candidate: +50
  EXPECT_EQ(s.meter, 40);
  EXPECT_EQ(s.candidate_s, 8200u);
  meter::Replenish(s, 50, 8200);  // min(90, 50): full, candidate pushed again
  EXPECT_EQ(s.meter, 50);
  EXPECT_EQ(s.candidate_s, 11800u);
  // Total power shrank: a meter above the new allowance is clamped at once.
  meter::Replenish(s, 30, 9000);
  EXPECT_EQ(s.meter, 30);
  EXPECT_EQ(s.candidate_s, 12600u);
}

TEST(SlashMeterTest, ParamsAreValidated) {
  Harness h;
  ThrottleParams p;
  p.replenish_fraction = D("1.01");
  EXPECT_EQ(h.Run([&](const Context& c) { return SlashThrottle::SetParams(c, p); }).code(),
            absl::StatusCode::kInvalidArgument);
  p.replenish_fraction = D("0.05");
  p.replenish_period_s = 0;
  EXPECT_EQ(h.Run([&](const Context& c) { return SlashThrottle::SetParams(c, p); }).code(),
            absl::StatusCode::kInvalidArgument);
  p.replenish_period_s = 60;
  EXPECT_TRUE(h.Run([&](const Context& c) { return SlashThrottle::SetParams(c, p); }).ok());
  EXPECT_EQ(SlashThrottle::State(h.ctx())->params.replenish_period_s, 60u);
}

class SlashThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Native staking: one bonded validator of power 1,000 -> allowance 50.
    const AccountAddress op("op");
    h_.Fund(op, Denom("stake"), A(1000 * kPower));
    ASSERT_TRUE(h_.Run([&](const Context& c) -> absl::Status {
                    MESH_RETURN_IF_ERROR(staking::Staking::CreateValidator(
                        c, Val("osmovaloper1"), op, A(1000 * kPower), D("0.1")));
                    return staking::Staking::EndBlock(c).status();
                  }).ok());
    ASSERT_EQ(*SlashThrottle::TotalPower(h_.ctx()), 1000u);
    ASSERT_TRUE(h_.Run([&](const Context& c) { return Vault::Init(c, kOsmo, std::nullopt); }).ok());
    ExternalConfig cfg = ExtConfig("OSMO", "star", 100000, 10);
    ASSERT_TRUE(h_.Run([&](const Context& c) { return ExternalStaking::Init(c, kJuno, cfg); }).ok());
    EndBlock();  // starts the meter at the block time
  }
  // A consumer validator `v` with `power` × 10^6 of committed stake from
  // its own user.
  void Validator(const std::string& v, u128 power) {
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return RemoteValidators::Apply(c, kJuno, Val(v.c_str()),
                                                   RemoteValidators::Op::kAdd, 100, 1000, "pk");
                  }).ok());
    const std::string user = "user-" + v;
    h_.Fund(Addr(user.c_str()), kOsmo, A(power * kPower));
    ASSERT_TRUE(h_.Bond(Addr(user.c_str()), A(power * kPower)).ok());
    absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, Addr(user.c_str()), kJuno, A(power * kPower),
                                Val(v.c_str()));
    });
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(stub_.Reply(*tx, Answer::kAck).ok());
  }
  // 10 % of the validator's stake, reported at infraction height 150.
  static RemoteSlash Slash(const std::string& v, u128 power) {
    return RemoteSlash{Val(v.c_str()), 150, 1500, static_cast<uint64_t>(power),
                       A(power * kPower / 10), "0.1"};
  }
  absl::Status Receive(const std::vector<RemoteSlash>& slashes) {
    ValsetUpdate u;
    u.height = 200;
    u.time = 2000;
    u.slashed = slashes;
    return h_.RunSlash([&](const Context& c) { return ExternalStaking::OnValsetUpdate(c, kJuno, u); });
  }
  // Adds the consumer validator vb (at consumer height 100) and lets each
  // lender bond and cross-stake `amount` on it, acked.
  void LendOnVb(std::initializer_list<std::pair<const char*, int>> lenders) {
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return RemoteValidators::Apply(c, kJuno, Val("vb"),
                                                   RemoteValidators::Op::kAdd, 100, 1000, "pk");
                  }).ok());
    for (const auto& [who, amount] : lenders) {
      h_.Fund(Addr(who), kOsmo, A(amount));
      ASSERT_TRUE(h_.Bond(Addr(who), A(amount)).ok());
      absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
        return Vault::StakeRemote(c, Addr(who), kJuno, A(amount), Val("vb"));
      });
      ASSERT_TRUE(tx.ok()) << tx.status();
      ASSERT_TRUE(stub_.Reply(*tx, Answer::kAck).ok());
    }
  }
  void EndBlock() {
    ASSERT_TRUE(h_.RunSlash([](const Context& c) { return SlashThrottle::EndBlock(c); }).ok());
  }
  int64_t Meter() { return SlashThrottle::State(h_.ctx())->meter; }
  std::vector<std::string> Queued() {
    std::vector<std::string> out;
    // Held here: a range-for over *Queue(...) would outlive the StatusOr.
    const auto queue = SlashThrottle::Queue(h_.ctx());
    EXPECT_TRUE(queue.ok()) << queue.status();
    if (!queue.ok()) return out;
    for (const QueuedSlash& q : *queue) {
      out.push_back(q.slash.validator.value());
    }
    return out;
  }
  Amount StakeOf(const std::string& v) {
    const std::string user = "user-" + v;
    auto stakes = ExternalStaking::Stakes(h_.ctx(), kJuno, Addr(user.c_str()));
    EXPECT_TRUE(stakes.ok());
    return stakes->empty() ? Amount() : stakes->front().stake.stake.low();
  }

  Harness h_;
  ConsumerStub stub_{&h_, kJuno};
};

TEST_F(SlashThrottleTest, WorkedExampleSixtyPowerThenBounceUntilReplenished) {
  Validator("v60", 60);
  Validator("v10", 10);
  EXPECT_EQ(Meter(), 50);
  ASSERT_TRUE(Receive({Slash("v60", 60)}).ok());
  EXPECT_EQ(Meter(), -10);                    // handled at 50, then -60
  EXPECT_EQ(StakeOf("v60"), A(54 * kPower));  // 60 - 10 %
  ASSERT_TRUE(Receive({Slash("v10", 10)}).ok());
  EXPECT_EQ(Queued(), std::vector<std::string>{"v10"});
  EXPECT_EQ(StakeOf("v10"), A(10 * kPower));
  h_.AdvanceSeconds(3599);
  EndBlock();
  EXPECT_EQ(Meter(), -10);
  EXPECT_EQ(Queued().size(), 1u);
  h_.AdvanceSeconds(1);  // one period after the start: -10 + 50 = 40, then -10
  EndBlock();
  EXPECT_EQ(Meter(), 30);
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(StakeOf("v10"), A(9 * kPower));
}

// A burst of 10 reports of 20-power validators: 3 in the block they come,
// then 3, 2, 2 per period (60, 60, 40, 40 power <= the bound (n+1)·50 + 20),
// in arrival order, none lost.
TEST_F(SlashThrottleTest, BurstIsHandledAtTheBoundPerPeriodInOrder) {
  std::vector<RemoteSlash> burst;
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    const std::string v = "v" + std::to_string(i);
    Validator(v, 20);
    burst.push_back(Slash(v, 20));
    names.push_back(v);
  }
  ASSERT_TRUE(Receive(burst).ok());
  EXPECT_EQ(Meter(), -10);  // 50 -> 30 -> 10 -> -10
  EXPECT_EQ(Queued(), std::vector<std::string>(names.begin() + 3, names.end()));
  const std::vector<size_t> handled_after = {6, 8, 10};
  const std::vector<int64_t> meter_after = {-20, -10, 0};
  for (size_t period = 0; period < 3; ++period) {
    h_.AdvanceSeconds(1800, 300);
    EndBlock();  // half a period: nothing replenished
    EXPECT_EQ(Queued().size(), 10 - (period == 0 ? 3 : handled_after[period - 1]));
    h_.AdvanceSeconds(1800, 300);
    EndBlock();
    EXPECT_EQ(Queued(),
              std::vector<std::string>(names.begin() + static_cast<long>(handled_after[period]),
                                       names.end()));
    EXPECT_EQ(Meter(), meter_after[period]);
  }
  for (const std::string& v : names) EXPECT_EQ(StakeOf(v), A(18 * kPower)) << v;
}

// A later report waits behind the queue even when the meter is back >= 0,
// so one consumer's reports keep their order.
TEST_F(SlashThrottleTest, LaterReportQueuesBehindWaitingOnes) {
  Validator("va", 60);
  Validator("vb", 1);
  Validator("vc", 1);
  ASSERT_TRUE(Receive({Slash("va", 60), Slash("vb", 1)}).ok());
  EXPECT_EQ(Queued(), std::vector<std::string>{"vb"});
  ASSERT_TRUE(Receive({Slash("vc", 1)}).ok());
  EXPECT_EQ(Queued(), (std::vector<std::string>{"vb", "vc"}));
  h_.AdvanceSeconds(3600);
  EndBlock();  // 40 -> vb (39) -> vc (38)
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(Meter(), 38);
}

// A queued slash is judged when it arrives, before the rest of its packet:
// the jail of the same validator at the infraction height in that packet
// does not turn it into a deferred slash later.
TEST_F(SlashThrottleTest, QueuedSlashIsJudgedBeforeItsPacketsChanges) {
  Validator("va", 60);
  Validator("vb", 1);
  ValsetUpdate u;
  u.height = 150;
  u.time = 1500;
  u.slashed = {Slash("va", 60), Slash("vb", 1)};
  u.jailed = {Val("vb")};
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  EXPECT_EQ(Queued(), std::vector<std::string>{"vb"});
  EXPECT_EQ(*RemoteValidators::CurrentState(h_.ctx(), kJuno, Val("vb")), RemoteState::kJailed);
  h_.AdvanceSeconds(3600);
  EndBlock();
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(StakeOf("vb"), A(kPower - kPower / 10));
}

// The consumer cut its records by a waiting slash before it sent the
// internal unstake: the unstake is refused (resent later) until the slash
// is handled, so both ends apply them in the same order.
TEST_F(SlashThrottleTest, InternalUnstakeWaitsForAQueuedSlashOfItsValidator) {
  Validator("va", 60);
  Validator("vb", 1);
  ASSERT_TRUE(Receive({Slash("va", 60), Slash("vb", 1)}).ok());
  auto unstake = [&](const Context& c) {
    return ExternalStaking::OnInternalUnstake(c, kJuno, Addr("user-vb"), Val("vb"),
                                              A(kPower - kPower / 10));
  };
  EXPECT_EQ(h_.Run(unstake).message(), kErrSlashWaitsInMeter);
  EXPECT_EQ(StakeOf("vb"), A(kPower));
  h_.AdvanceSeconds(3600);
  EndBlock();
  EXPECT_EQ(StakeOf("vb"), A(kPower - kPower / 10));
  ASSERT_TRUE(h_.Run(unstake).ok());
  EXPECT_EQ(StakeOf("vb"), A(0));
}

// P-43 (random seeds 4, 12, 15 with link modes): a slash handled from the
// queue long after the consumer cut. alice 500 and bob 400 on vb; the
// consumer cut 90 (alice 50, bob 40) and its report waits behind va's.
// Meanwhile bob unstakes 400 (the consumer takes 360 from his record and
// absorbs his 40 of slash debt) and then his last 40, which the consumer, his
// record being empty, takes from alice's record (C-20): the consumer holds
// alice 410, bob 0. When the slash is handled bob has nothing left on vb;
// his 40 used to come out of his unbond, leaving alice at 450 on the
// provider (40 above the consumer). Now it comes from the committed stake
// left on the validator, as on the consumer.
TEST_F(SlashThrottleTest, QueuedSlashShareOfAUserGoneFromTheValidatorComesFromTheOthers) {
  Validator("va", 60);
  LendOnVb({{"alice", 500}, {"bob", 400}});
  auto unstake = [&](u128 amount, AckReceipt receipt) {
    absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
      return ExternalStaking::Unstake(c, kJuno, Addr("bob"), Val("vb"), A(amount));
    });
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                    return ExternalStaking::OnUnstakeAck(c, kJuno, *tx, true, receipt);
                  }).ok());
  };
  unstake(400, AckReceipt{205, A(40)});
  unstake(40, AckReceipt{210, A(0)});
  // The acks came before the report (relayer order): nothing here knew of
  // the slash when bob unstaked his last 40 (P-45 refuses it once it waits).
  ASSERT_TRUE(Receive({Slash("va", 60), RemoteSlash{Val("vb"), 150, 1500, 0, A(90), "0.1"}}).ok());
  ASSERT_EQ(Queued(), std::vector<std::string>{"vb"});
  auto stake = [&](const char* who) {
    return ExternalStaking::GetStake(h_.ctx(), kJuno, Addr(who), Val("vb")).value();
  };
  ASSERT_EQ(stake("bob").stake.high(), A(0));
  h_.AdvanceSeconds(3600);
  EndBlock();
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(stake("alice").stake.low(), A(410));  // was 450
  EXPECT_EQ(stake("alice").stake.high(), A(410));
  Amount unbonding;
  for (const PendingUnbond& u : stake("bob").pending_unbonds) {
    unbonding = unbonding.Add(u.amount).value();
  }
  EXPECT_EQ(unbonding, A(400));  // was 360: his 40 came out of it
  EXPECT_EQ(h_.Account(Addr("alice")).bonded, A(410));
  EXPECT_EQ(h_.Account(Addr("bob")).bonded, A(400));
}

// P-45 (issue 13): while vb's slash waits in the meter, a lender cannot
// leave with the share he owes. alice 500, bob 400, carol 100 on vb; the
// consumer cut 90 at height 200 (alice 50, bob 40). Before the report
// arrived, bob's unstake of 400 was processed after the cut (absorbed 40:
// unbond 360, 40 left here) and carol's unstake of 100 before it (not in
// the cut; her unbond started after the infraction, so it loses 10 %, §4.2).
// The report waits two replenish periods (va's 110 power), longer than the
// unbonding period (100,000 s). Meanwhile each stake on vb keeps the user's
// share of the 90 by the weights stored when it was queued (alice 500, bob
// 400 of the 360 + 40 he held, carol 0: W = 900), rounded up, + 1: bob's
// unstake of his last 40 is refused (ceil(90 × 400 / 900) + 1 = 41 ≥ 40),
// alice may unstake 449 of her 500 (she keeps 50 + 1); the matured unbonds
// are held. When the slash is handled bob pays his 40, alice her 50 and
// nothing more (1 left), carol's unbond loses 10; then they are released.
// Before: bob unstaked the 40 (the consumer took it from alice, C-20: alice
// paid 90) and carol withdrew 100; with the coarse reserve (each stake kept
// min(stake, 90)) alice could unstake only 410.
TEST_F(SlashThrottleTest, LenderWhoUnstakesWhileASlashWaitsStillPaysHisShare) {
  ThrottleParams p;
  p.replenish_period_s = 300000;
  ASSERT_TRUE(h_.Run([&](const Context& c) { return SlashThrottle::SetParams(c, p); }).ok());
  Validator("va", 110);
  LendOnVb({{"alice", 500}, {"bob", 400}, {"carol", 100}});
  auto unstake = [&](const char* who, u128 amount) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return ExternalStaking::Unstake(c, kJuno, Addr(who), Val("vb"), A(amount));
    });
  };
  auto ack = [&](uint64_t tx, AckReceipt receipt) {
    return h_.RunSlash([&](const Context& c) {
      return ExternalStaking::OnUnstakeAck(c, kJuno, tx, true, receipt);
    });
  };
  absl::StatusOr<uint64_t> bob_tx = unstake("bob", 400);
  absl::StatusOr<uint64_t> carol_tx = unstake("carol", 100);
  ASSERT_TRUE(bob_tx.ok() && carol_tx.ok());
  ASSERT_TRUE(ack(*bob_tx, AckReceipt{205, A(40)}).ok());
  ASSERT_TRUE(ack(*carol_tx, AckReceipt{180, A(0)}).ok());
  RemoteSlash vb{Val("vb"), 150, 1500, 0, A(90), "0.1", 200};
  ASSERT_TRUE(Receive({Slash("va", 110), vb}).ok());
  ASSERT_EQ(Queued(), std::vector<std::string>{"vb"});
  EXPECT_EQ(Meter(), -60);
  auto stake = [&](const char* who) {
    return ExternalStaking::GetStake(h_.ctx(), kJuno, Addr(who), Val("vb")).value();
  };
  auto unbonding = [&](const char* who) {
    Amount sum;
    for (const PendingUnbond& u : stake(who).pending_unbonds) sum = sum.Add(u.amount).value();
    return sum;
  };
  auto withdraw = [&](const char* who) {
    return h_.RunOr<Amount>([&](const Context& c) {
      return ExternalStaking::WithdrawUnbonded(c, kJuno, Addr(who));
    });
  };
  // Each stake on vb keeps its share of the 90 (+ 1) while the slash waits.
  ASSERT_EQ(stake("bob").stake.low(), A(40));
  absl::StatusOr<uint64_t> escape = unstake("bob", 40);
  EXPECT_EQ(escape.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(escape.status().message(),
            std::string(kErrUnstakeSlashWaits) + ": up to 0 can be unstaked");
  EXPECT_EQ(unstake("alice", 450).status().message(),
            std::string(kErrUnstakeSlashWaits) + ": up to 449 can be unstaked");
  absl::StatusOr<uint64_t> alice_tx = unstake("alice", 449);
  ASSERT_TRUE(alice_tx.ok()) << alice_tx.status();
  ASSERT_TRUE(ack(*alice_tx, AckReceipt{210, A(0)}).ok());  // the consumer: 450 -> 1
  h_.AdvanceSeconds(3600);
  EndBlock();
  EXPECT_EQ(Meter(), -10);
  h_.AdvanceSeconds(100001);  // both unbonds have matured: held
  EndBlock();
  ASSERT_EQ(Queued(), std::vector<std::string>{"vb"});
  EXPECT_EQ(*withdraw("bob"), A(0));
  EXPECT_EQ(*withdraw("carol"), A(0));
  EXPECT_EQ(*withdraw("alice"), A(0));
  EXPECT_EQ(unbonding("bob"), A(360));
  EXPECT_EQ(unbonding("carol"), A(100));
  auto held = ExternalStaking::HeldUnbonds(h_.ctx(), kJuno, Addr("carol"));
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].validator, Val("vb"));
  EXPECT_EQ((*held)[0].unbond.amount, A(100));
  EXPECT_EQ((*held)[0].reason, kHeldBySlashInMeter);
  h_.AdvanceSeconds(300000);
  EndBlock();  // -10 + 50 = 40: vb handled
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(stake("alice").stake.low(), A(1));  // her own 50, no more
  EXPECT_EQ(stake("alice").stake.high(), A(1));
  EXPECT_EQ(unbonding("alice"), A(449));
  EXPECT_EQ(stake("bob").stake.high(), A(0));     // his 40
  EXPECT_EQ(unbonding("bob"), A(360));
  EXPECT_EQ(unbonding("carol"), A(90));           // 10 % of an unbond after the infraction
  EXPECT_EQ(h_.Account(Addr("alice")).bonded, A(450));
  EXPECT_EQ(h_.Account(Addr("bob")).bonded, A(360));
  EXPECT_EQ(h_.Account(Addr("carol")).bonded, A(90));
  EXPECT_TRUE(ExternalStaking::HeldUnbonds(h_.ctx(), kJuno, Addr("carol"))->empty());
  EXPECT_EQ(*withdraw("bob"), A(360));
  EXPECT_EQ(*withdraw("carol"), A(90));
  EXPECT_EQ(*withdraw("alice"), A(449));
  EXPECT_TRUE(unstake("alice", 1).ok());
}

// P-45, the per-user reserve: alice, bob and carol lend 300 each on vb; the
// consumer cut 100 (SplitByWeight: 34, 33, 33 — the remainder unit to
// alice). While the report waits (W = 900 stored when it was queued), each
// stake keeps ceil(100 × 300 / 900) + 1 = 35, so each may unstake 265 of his
// 300 (coarse rule: 200). When the slash is handled each pays exactly his
// share from the 35 he kept: alice 34 (1 left), bob and carol 33 (2 left).
TEST_F(SlashThrottleTest, LenderMayUnstakeAllButHisShareWhileASlashWaits) {
  Validator("va", 110);
  LendOnVb({{"alice", 300}, {"bob", 300}, {"carol", 300}});
  RemoteSlash vb{Val("vb"), 150, 1500, 0, A(100), "0.1", 200};
  ASSERT_TRUE(Receive({Slash("va", 110), vb}).ok());
  ASSERT_EQ(Queued(), std::vector<std::string>{"vb"});
  auto stake = [&](const char* who) {
    return ExternalStaking::GetStake(h_.ctx(), kJuno, Addr(who), Val("vb")).value();
  };
  auto unstake = [&](const char* who, u128 amount) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return ExternalStaking::Unstake(c, kJuno, Addr(who), Val("vb"), A(amount));
    });
  };
  EXPECT_EQ(*SlashThrottle::Reserve(h_.ctx(), kJuno, Val("vb"), Addr("alice"), stake("alice")), A(35));
  for (const char* who : {"alice", "bob", "carol"}) {
    EXPECT_EQ(unstake(who, 266).status().message(),
              std::string(kErrUnstakeSlashWaits) + ": up to 265 can be unstaked");
    absl::StatusOr<uint64_t> tx = unstake(who, 265);
    ASSERT_TRUE(tx.ok()) << who << ": " << tx.status();
    ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                    return ExternalStaking::OnUnstakeAck(c, kJuno, *tx, true,
                                                         AckReceipt{210, A(0)});
                  }).ok());
    // His weight is what he held at the infraction: the unstake (acked
    // after the update) does not lower it, so the reserve stays.
    EXPECT_EQ(*SlashThrottle::Reserve(h_.ctx(), kJuno, Val("vb"), Addr(who), stake(who)), A(35));
    EXPECT_EQ(stake(who).stake.low(), A(35));
  }
  h_.AdvanceSeconds(3600);
  EndBlock();  // -60 + 50 = -10
  ASSERT_EQ(Queued(), std::vector<std::string>{"vb"});
  h_.AdvanceSeconds(3600);
  EndBlock();  // 40: vb handled
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(stake("alice").stake.high(), A(1));  // paid 34
  EXPECT_EQ(stake("bob").stake.high(), A(2));    // paid 33
  EXPECT_EQ(stake("carol").stake.high(), A(2));  // paid 33
  EXPECT_EQ(h_.Account(Addr("alice")).bonded, A(266));
  EXPECT_EQ(h_.Account(Addr("bob")).bonded, A(267));
  EXPECT_EQ(h_.Account(Addr("carol")).bonded, A(267));
  EXPECT_EQ(ExternalStaking::GetDistribution(h_.ctx(), kJuno, Val("vb"))->total_stake, A(5));
  EXPECT_EQ(*SlashThrottle::Reserve(h_.ctx(), kJuno, Val("vb"), Addr("alice"), stake("alice")), A(0));
}

// Two slashes of vb wait: the second one's weight total (900, stored when it
// was queued) is read less the first one's amount (its handling lowers the
// weights by at most that): alice keeps ceil(90 × 500 / 900) + 1 = 51 for
// the first and ceil(45 × 500 / (900 − 90)) + 1 = 29 for the second, 80 of
// her 500; bob 41 + 24 = 65 of his 400. Handled, she pays 50 and 25, he 40
// and 20 (the second split over 450 / 360), each from what he kept.
TEST_F(SlashThrottleTest, TwoWaitingSlashesOfAValidatorReserveBothShares) {
  Validator("va", 110);
  LendOnVb({{"alice", 500}, {"bob", 400}});
  RemoteSlash first{Val("vb"), 150, 1500, 0, A(90), "0.1", 200};
  RemoteSlash second{Val("vb"), 160, 1600, 0, A(45), "0.05", 200};
  ASSERT_TRUE(Receive({Slash("va", 110), first, second}).ok());
  ASSERT_EQ(Queued(), (std::vector<std::string>{"vb", "vb"}));
  auto stake = [&](const char* who) {
    return ExternalStaking::GetStake(h_.ctx(), kJuno, Addr(who), Val("vb")).value();
  };
  auto unstake = [&](const char* who, u128 amount) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return ExternalStaking::Unstake(c, kJuno, Addr(who), Val("vb"), A(amount));
    });
  };
  EXPECT_EQ(*SlashThrottle::Reserve(h_.ctx(), kJuno, Val("vb"), Addr("alice"), stake("alice")), A(80));
  EXPECT_EQ(*SlashThrottle::Reserve(h_.ctx(), kJuno, Val("vb"), Addr("bob"), stake("bob")), A(65));
  EXPECT_EQ(unstake("alice", 421).status().message(),
            std::string(kErrUnstakeSlashWaits) + ": up to 420 can be unstaked");
  for (const auto& [who, amount] : {std::pair{"alice", 420}, std::pair{"bob", 335}}) {
    absl::StatusOr<uint64_t> tx = unstake(who, amount);
    ASSERT_TRUE(tx.ok()) << who << ": " << tx.status();
    ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                    return ExternalStaking::OnUnstakeAck(c, kJuno, *tx, true,
                                                         AckReceipt{210, A(0)});
                  }).ok());
  }
  for (int i = 0; i < 3 && !Queued().empty(); ++i) {
    h_.AdvanceSeconds(3600);
    EndBlock();
  }
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(stake("alice").stake.high(), A(5));  // 80 - 50 - 25
  EXPECT_EQ(stake("bob").stake.high(), A(5));    // 65 - 40 - 20
  EXPECT_EQ(h_.Account(Addr("alice")).bonded, A(425));
  EXPECT_EQ(h_.Account(Addr("bob")).bonded, A(340));
}

// A (consumer, validator) record of table 0x6D written before the weight
// totals were stored (count and amount only) keeps the coarse rule: each
// stake keeps min(stake, Σ amounts). alice 500, bob 400, cut 90 waits:
// alice may unstake 410, bob 310; handled, alice pays 50 and bob 40, and
// the record is gone.
TEST_F(SlashThrottleTest, OldQueuedRecordWithoutWeightsKeepsTheCoarseReserve) {
  Validator("va", 110);
  LendOnVb({{"alice", 500}, {"bob", 400}});
  RemoteSlash vb{Val("vb"), 150, 1500, 0, A(90), "0.1", 200};
  ASSERT_TRUE(Receive({Slash("va", 110), vb}).ok());
  ASSERT_EQ(Queued(), std::vector<std::string>{"vb"});
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return c.store().Put(
                      tables::Key(tables::kThrottleQueuedByVal, kJuno.value(), "vb"),
                      Encoder().U64(1).Amt(A(90)).Take());
                }).ok());
  auto stake = [&](const char* who) {
    return ExternalStaking::GetStake(h_.ctx(), kJuno, Addr(who), Val("vb")).value();
  };
  auto unstake = [&](const char* who, u128 amount) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return ExternalStaking::Unstake(c, kJuno, Addr(who), Val("vb"), A(amount));
    });
  };
  EXPECT_EQ(*SlashThrottle::Reserve(h_.ctx(), kJuno, Val("vb"), Addr("alice"), stake("alice")), A(90));
  EXPECT_EQ(unstake("alice", 411).status().message(),
            std::string(kErrUnstakeSlashWaits) + ": up to 410 can be unstaked");
  EXPECT_EQ(unstake("bob", 311).status().message(),
            std::string(kErrUnstakeSlashWaits) + ": up to 310 can be unstaked");
  absl::StatusOr<uint64_t> tx = unstake("alice", 410);
  ASSERT_TRUE(tx.ok()) << tx.status();
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::OnUnstakeAck(c, kJuno, *tx, true, AckReceipt{210, A(0)});
                }).ok());
  h_.AdvanceSeconds(3600);
  EndBlock();
  h_.AdvanceSeconds(3600);
  EndBlock();
  EXPECT_TRUE(Queued().empty());
  EXPECT_FALSE(*SlashThrottle::Waiting(h_.ctx(), kJuno, Val("vb")));
  EXPECT_EQ(stake("alice").stake.high(), A(40));
  EXPECT_EQ(stake("bob").stake.high(), A(360));
}

// A rejected packet (bad ratio) leaves neither a queued entry nor a meter
// change behind (the whole overlay is discarded).
TEST_F(SlashThrottleTest, RejectedPacketQueuesNothing) {
  Validator("va", 60);
  Validator("vb", 1);
  ASSERT_TRUE(Receive({Slash("va", 60)}).ok());
  RemoteSlash bad = Slash("vb", 1);
  bad.slash_ratio = "1.5";
  EXPECT_FALSE(Receive({Slash("vb", 1), bad}).ok());
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(Meter(), -10);
}

}  // namespace
}  // namespace mesh::provider

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

// The queue holds at most max_queued_per_consumer (here 2) slashes of one
// consumer: a third report fails its packet (error ack, the consumer resends
// later) and changes nothing; once the queue drains it is accepted.
TEST_F(SlashThrottleTest, QueueIsCappedPerConsumer) {
  ThrottleParams p;
  p.max_queued_per_consumer = 2;
  ASSERT_TRUE(h_.Run([&](const Context& c) { return SlashThrottle::SetParams(c, p); }).ok());
  Validator("v0", 60);
  for (const char* v : {"v1", "v2", "v3"}) Validator(v, 10);
  ASSERT_TRUE(Receive({Slash("v0", 60)}).ok());  // handled: 50 -> -10
  ASSERT_TRUE(Receive({Slash("v1", 10)}).ok());
  ASSERT_TRUE(Receive({Slash("v2", 10)}).ok());
  EXPECT_EQ(*SlashThrottle::QueuedFor(h_.ctx(), kJuno), 2u);
  absl::Status full = Receive({Slash("v3", 10)});
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find(kErrThrottleQueueFull), std::string::npos);
  EXPECT_EQ(Queued(), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(StakeOf("v3"), A(10 * kPower));
  h_.AdvanceSeconds(3600);
  EndBlock();  // -10 + 50 = 40 -> v1 (30) -> v2 (20)
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(*SlashThrottle::QueuedFor(h_.ctx(), kJuno), 0u);
  ASSERT_TRUE(Receive({Slash("v3", 10)}).ok());  // resent: handled at once
  EXPECT_EQ(Meter(), 10);
  EXPECT_EQ(StakeOf("v3"), A(9 * kPower));
  // The parameter survives a round trip; 0 is refused.
  EXPECT_EQ(SlashThrottle::State(h_.ctx())->params.max_queued_per_consumer, 2u);
  p.max_queued_per_consumer = 0;
  EXPECT_EQ(h_.Run([&](const Context& c) { return SlashThrottle::SetParams(c, p); }).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mesh::provider
