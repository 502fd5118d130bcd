// CcvProvider: the consumer-set computation of the replicated / opt-in link
// modes (top N, caps, allow/deny lists, min stake), opt-in messages, the VSC
// queue with its vscIDs and VSCtoH, and slash-packet judgement.
#include "mesh/provider/ccv.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mesh/provider/consumer_keys.h"
#include "staking/bank.h"
#include "staking/staking.h"
#include "staking/unbonding_hold.h"

namespace mesh::provider {
namespace {

using staking::Bank;
using staking::Staking;

ValidatorAddress V(const char* s) { return ValidatorAddress(s); }
SetCandidate C(const char* v, uint64_t power) { return SetCandidate{V(v), power, Amount(power)}; }
ShapedValidator S(const char* v, uint64_t power) { return ShapedValidator{V(v), power}; }

std::vector<uint64_t> Powers(const std::vector<ShapedValidator>& v) {
  std::vector<uint64_t> out;
  for (const ShapedValidator& s : v) out.push_back(s.power);
  return out;
}

// ---------------------------------------------------------------- top N

TEST(CcvSetTest, MinPowerInTopNAccumulatesDescending) {
  // 40 + 30 = 70 of 100: top 50 and 70 stop at 30; top 71 needs 20.
  EXPECT_EQ(MinPowerInTopN({10, 40, 20, 30}, 50), 30u);
  EXPECT_EQ(MinPowerInTopN({10, 40, 20, 30}, 70), 30u);
  EXPECT_EQ(MinPowerInTopN({10, 40, 20, 30}, 71), 20u);
  EXPECT_EQ(MinPowerInTopN({10, 40, 20, 30}, 100), 10u);
  EXPECT_EQ(MinPowerInTopN({10, 40, 20, 30}, 0), 0u);
  EXPECT_EQ(MinPowerInTopN({}, 100), 0u);
}

TEST(CcvSetTest, ReplicatedTakesEveryBondedValidator) {
  PowerShaping p;  // top_n 100
  NextSet n = ComputeNextSet({C("a", 5), C("b", 3), C("c", 2)}, p, {});
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("a", 5), S("b", 3), S("c", 2)}));
  EXPECT_EQ(n.top_n, (std::vector<ValidatorAddress>{V("a"), V("b"), V("c")}));
  EXPECT_EQ(n.min_power_top_n, 2u);
}

TEST(CcvSetTest, TopNPlusOptIns) {
  PowerShaping p;
  p.top_n = 50;  // 40 + 30 >= 50: threshold 30
  NextSet n = ComputeNextSet({C("a", 40), C("b", 30), C("c", 20), C("d", 10)}, p, {V("d")});
  EXPECT_EQ(n.min_power_top_n, 30u);
  EXPECT_EQ(n.top_n, (std::vector<ValidatorAddress>{V("a"), V("b")}));
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("a", 40), S("b", 30), S("d", 10)}));
}

TEST(CcvSetTest, PureOptInTakesOnlyOptedIn) {
  PowerShaping p;
  p.top_n = 0;
  NextSet n = ComputeNextSet({C("a", 40), C("b", 30)}, p, {V("b")});
  EXPECT_TRUE(n.top_n.empty());
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("b", 30)}));
  EXPECT_TRUE(ComputeNextSet({C("a", 40)}, p, {}).validators.empty());
}

TEST(CcvSetTest, AllowlistDenylistDenyWins) {
  PowerShaping p;
  p.allowlist = {V("a"), V("b")};
  p.denylist = {V("b"), V("c")};
  NextSet n = ComputeNextSet({C("a", 4), C("b", 3), C("c", 2), C("d", 1)}, p, {});
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("a", 4)}));
}

TEST(CcvSetTest, MinStakeExcludesSmallValidators) {
  PowerShaping p;
  p.min_stake = Amount(3);
  NextSet n = ComputeNextSet({C("a", 4), C("b", 3), C("c", 2)}, p, {});
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("a", 4), S("b", 3)}));
}

TEST(CcvSetTest, SetCapKeepsHighestPowersTiesByAddress) {
  PowerShaping p;
  p.validator_set_cap = 2;
  NextSet n = ComputeNextSet({C("d", 5), C("a", 3), C("c", 3), C("b", 1)}, p, {});
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("a", 3), S("d", 5)}));
}

TEST(CcvSetTest, PriorityListIsKeptFirstByTheSetCap) {
  PowerShaping p;
  p.validator_set_cap = 2;
  const std::vector<SetCandidate> c = {C("a", 40), C("b", 30), C("c", 20), C("d", 10)};
  // Without a list: the two highest powers.
  EXPECT_EQ(ComputeNextSet(c, p, {}).validators,
            (std::vector<ShapedValidator>{S("a", 40), S("b", 30)}));
  // d is prioritized: d, then the highest of the rest (a).
  p.prioritylist = {V("d")};
  EXPECT_EQ(ComputeNextSet(c, p, {}).validators,
            (std::vector<ShapedValidator>{S("a", 40), S("d", 10)}));
  // Three prioritized for two seats: the two highest of them (c 20, d 10).
  p.prioritylist = {V("d"), V("c"), V("b")};
  EXPECT_EQ(ComputeNextSet(c, p, {}).validators,
            (std::vector<ShapedValidator>{S("b", 30), S("c", 20)}));
  // The list does not change powers and is ignored without a set cap; the
  // power cap is applied after the set cap: c 20 + d 10 at 60 % → max 18;
  // c capped at 18, d takes the 2 (20 + 10 = 30 kept).
  p.prioritylist = {V("d"), V("c")};
  p.validators_power_cap = 60;
  EXPECT_EQ(ComputeNextSet(c, p, {}).validators,
            (std::vector<ShapedValidator>{S("c", 18), S("d", 12)}));
  p.validator_set_cap = 0;
  p.validators_power_cap = 0;
  EXPECT_EQ(ComputeNextSet(c, p, {}).validators.size(), 4u);
}

TEST(CcvSetTest, InactiveValidatorsOnlyWithAllowInactiveVals) {
  // a, b active (the provider's bonded set); e ranked below it (inactive).
  std::vector<SetCandidate> c = {C("a", 40), C("b", 30), C("e", 5)};
  c[2].active = false;
  PowerShaping p;  // top N 100: over the active powers only (threshold 30)
  NextSet n = ComputeNextSet(c, p, {V("e")});
  EXPECT_EQ(n.min_power_top_n, 30u);
  EXPECT_EQ(n.top_n, (std::vector<ValidatorAddress>{V("a"), V("b")}));
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("a", 40), S("b", 30)}));
  p.allow_inactive_vals = true;
  // Not opted in: an inactive validator is never in the top N.
  n = ComputeNextSet(c, p, {});
  EXPECT_EQ(n.top_n, (std::vector<ValidatorAddress>{V("a"), V("b")}));
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("a", 40), S("b", 30)}));
  // Opted in: eligible with its token power.
  n = ComputeNextSet(c, p, {V("e")});
  EXPECT_EQ(n.validators, (std::vector<ShapedValidator>{S("a", 40), S("b", 30), S("e", 5)}));
  // The other filters still apply.
  p.denylist = {V("e")};
  EXPECT_EQ(ComputeNextSet(c, p, {V("e")}).validators.size(), 2u);
}

// ---------------------------------------------------------------- power cap

TEST(CcvSetTest, PowerCapRedistributesExactly) {
  // Total 100, cap 30 %: max 30. 40 → 30, excess 10 handed out in equal
  // shares largest first: b stays 30 (at the cap), c gets 10/2 = 5, d the
  // remaining 5.
  std::vector<ShapedValidator> v = {S("a", 40), S("b", 30), S("c", 20), S("d", 10)};
  EXPECT_EQ(Powers(CapPowers(v, 30)), (std::vector<uint64_t>{30, 30, 25, 15}));
  // Total 100, cap 30: 60 → 30, excess 30 over three: 25 + 5, then 22 and 18.
  v = {S("a", 60), S("b", 25), S("c", 10), S("d", 5)};
  EXPECT_EQ(Powers(CapPowers(v, 30)), (std::vector<uint64_t>{30, 30, 22, 18}));
  // Integer shares: total 10, cap 40 → max 4; 7 → 4 (excess 3);
  // b gets floor(3 / 2) = 1, c the remaining 2. The total is kept.
  v = {S("a", 7), S("b", 2), S("c", 1)};
  EXPECT_EQ(Powers(CapPowers(v, 40)), (std::vector<uint64_t>{4, 3, 3}));
}

TEST(CcvSetTest, PowerCapInfeasibleGivesEqualPowers) {
  // 3 validators cannot each stay under 20 %: everyone gets 100 / 3 = 33.
  std::vector<ShapedValidator> v = {S("a", 60), S("b", 30), S("c", 10)};
  EXPECT_EQ(Powers(CapPowers(v, 20)), (std::vector<uint64_t>{33, 33, 33}));
  EXPECT_EQ(Powers(CapPowers(v, 0)), (std::vector<uint64_t>{60, 30, 10}));
  EXPECT_EQ(Powers(CapPowers(v, 100)), (std::vector<uint64_t>{60, 30, 10}));
}

TEST(CcvSetTest, PowerCapHoldsInComputeNextSet) {
  PowerShaping p;
  p.validators_power_cap = 30;
  NextSet n = ComputeNextSet({C("a", 40), C("b", 30), C("c", 20), C("d", 10)}, p, {});
  EXPECT_EQ(n.validators,
            (std::vector<ShapedValidator>{S("a", 30), S("b", 30), S("c", 25), S("d", 15)}));
}

TEST(CcvSetTest, ConfigValidation) {
  CcvConfig c;
  EXPECT_TRUE(c.Validate().ok());
  c.shaping.top_n = 49;
  EXPECT_FALSE(c.Validate().ok());  // replicated needs 100; and 49 is never valid
  c.mode = LinkMode::kOptIn;
  EXPECT_FALSE(c.Validate().ok());
  c.shaping.top_n = 0;
  EXPECT_TRUE(c.Validate().ok());
  c.shaping.top_n = 50;
  EXPECT_TRUE(c.Validate().ok());
  c.shaping.validators_power_cap = 101;
  EXPECT_FALSE(c.Validate().ok());
  c.shaping.validators_power_cap = 0;
  c.blocks_per_epoch = 0;
  EXPECT_FALSE(c.Validate().ok());
  EXPECT_FALSE(ParseLinkMode("ccv").ok());
  EXPECT_EQ(*ParseLinkMode("opt_in"), LinkMode::kOptIn);
}

// ---------------------------------------------------------------- module

class CcvProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    block_.height = 10;
    block_.time_ns = 1000ULL * kNanosPerSecond;
    staking::Params p;
    p.power_reduction = 1;
    ASSERT_TRUE(Staking::InitGenesis(ctx(), p).ok());
    for (auto [v, power] : std::vector<std::pair<const char*, uint64_t>>{
             {"a", 40}, {"b", 30}, {"c", 20}, {"d", 10}}) {
      AddValidator(v, power);
    }
    ASSERT_TRUE(Staking::EndBlock(ctx()).ok());
  }
  Context ctx() { return Context(&store_, &block_); }
  void AddValidator(const char* v, uint64_t power) {
    const AccountAddress op(std::string("op/") + v);
    ASSERT_TRUE(Bank::Mint(ctx(), op, Denom("stake"), Amount(power)).ok());
    ASSERT_TRUE(Staking::CreateValidator(ctx(), V(v), op, Amount(power), Dec::Zero()).ok());
  }
  void Register(const CcvConfig& cfg, std::vector<ValidatorAddress> opted = {}) {
    ASSERT_TRUE(CcvProvider::Init(ctx(), c_, cfg, ConnectionId("connection-0"), opted).ok());
  }
  void Block() {
    ASSERT_TRUE(Staking::EndBlock(ctx()).ok());
    absl::Status s = CcvProvider::EndBlock(ctx());
    ASSERT_TRUE(s.ok()) << s;
    block_.height++;
  }
  std::string Key(const char* v) {
    return Staking::GetValidator(ctx(), V(v)).value()->consensus_pubkey;
  }

  MemStore store_;
  BlockInfo block_;
  ConsumerId c_{"neutron"};
};

TEST_F(CcvProviderTest, FirstVscCarriesTheWholeSetThenOnlyEpochDiffs) {
  CcvConfig cfg;
  cfg.blocks_per_epoch = 5;
  Register(cfg);
  Block();  // height 10: launch (not an epoch boundary, but nothing sent yet)
  std::vector<VscRecord> p = CcvProvider::Pending(ctx(), c_).value();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].vsc_id, 1u);
  EXPECT_EQ(p[0].updates.size(), 4u);
  EXPECT_EQ(CcvProvider::CurrentVscId(ctx()).value(), 2u);
  EXPECT_EQ(CcvProvider::VscHeight(ctx(), 1).value(), std::optional<uint64_t>(11));
  ASSERT_TRUE(CcvProvider::ClearPending(ctx(), c_).ok());
  // A power change mid-epoch waits for height 15.
  ASSERT_TRUE(Bank::Mint(ctx(), AccountAddress("op/d"), Denom("stake"), Amount(5)).ok());
  ASSERT_TRUE(Staking::Delegate(ctx(), AccountAddress("op/d"), V("d"), Amount(5)).ok());
  for (int i = 0; i < 4; ++i) Block();  // 11..14
  EXPECT_TRUE(CcvProvider::Pending(ctx(), c_).value().empty());
  EXPECT_EQ(CcvProvider::CurrentVscId(ctx()).value(), 2u);
  Block();  // 15
  p = CcvProvider::Pending(ctx(), c_).value();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].vsc_id, 2u);
  EXPECT_EQ(p[0].updates, (std::vector<KeyPower>{KeyPower{Key("d"), 15}}));
  EXPECT_EQ(CcvProvider::VscHeight(ctx(), 2).value(), std::optional<uint64_t>(16));
  // An epoch without changes queues nothing but still moves the vscID.
  for (int i = 0; i < 5; ++i) Block();  // 16..20
  EXPECT_EQ(CcvProvider::Pending(ctx(), c_).value().size(), 1u);
  EXPECT_EQ(CcvProvider::CurrentVscId(ctx()).value(), 4u);
}

TEST_F(CcvProviderTest, OptInChainLaunchesOnlyWithAValidator) {
  CcvConfig cfg;
  cfg.mode = LinkMode::kOptIn;
  cfg.shaping.top_n = 0;
  cfg.blocks_per_epoch = 100;
  Register(cfg);
  Block();
  EXPECT_TRUE(CcvProvider::Pending(ctx(), c_).value().empty());
  EXPECT_FALSE(CcvProvider::State(ctx(), c_).value().launched);
  ASSERT_TRUE(CcvProvider::OptIn(ctx(), c_, V("c")).ok());
  EXPECT_EQ(CcvProvider::OptIn(ctx(), c_, V("c")).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CcvProvider::OptIn(ctx(), c_, V("zz")).code(), absl::StatusCode::kNotFound);
  Block();
  std::vector<VscRecord> p = CcvProvider::Pending(ctx(), c_).value();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].updates, (std::vector<KeyPower>{KeyPower{Key("c"), 20}}));
  // Pure opt-in: anyone may opt out.
  EXPECT_TRUE(CcvProvider::OptOut(ctx(), c_, V("c")).ok());
  EXPECT_EQ(CcvProvider::OptOut(ctx(), c_, V("c")).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CcvProviderTest, OptOutRefusedInTopN) {
  CcvConfig cfg;
  cfg.mode = LinkMode::kOptIn;
  cfg.shaping.top_n = 50;  // a (40) and b (30)
  Register(cfg, {V("d")});
  Block();
  EXPECT_EQ(CcvProvider::OptedIn(ctx(), c_).value(),
            (std::set<ValidatorAddress>{V("a"), V("b"), V("d")}));
  absl::Status s = CcvProvider::OptOut(ctx(), c_, V("b"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("top N"), std::string::npos);
  EXPECT_TRUE(CcvProvider::OptOut(ctx(), c_, V("d")).ok());
  std::vector<ConsumerValidator> set = CcvProvider::ConsumerSet(ctx(), c_).value();
  ASSERT_EQ(set.size(), 3u);
}

TEST_F(CcvProviderTest, SlashPacketJudgement) {
  CcvConfig cfg;
  cfg.blocks_per_epoch = 5;
  cfg.downtime_slash_fraction = Dec::FromRaw(Dec::kOne / 10);
  cfg.downtime_jail_s = 1200;
  Register(cfg);
  Block();
  const std::string addr_a = ConsensusAddressOf(Key("a"));
  // Unknown vscID → error (error ack); vscID 0 needs the channel's init height.
  EXPECT_EQ(CcvProvider::OnSlashPacket(ctx(), c_, {addr_a, 40, 99, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CcvProvider::OnSlashPacket(ctx(), c_, {addr_a, 40, 0, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CcvProvider::OnSlashPacket(ctx(), c_, {addr_a, 0, 1, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Double sign: V1 result, nobody punished.
  SlashDecision d = CcvProvider::OnSlashPacket(ctx(), c_, {addr_a, 40, 1, true}).value();
  EXPECT_EQ(d.outcome, SlashOutcome::kV1);
  EXPECT_FALSE(d.punish);
  // Downtime of a consumer validator: punish at VSCtoH[1] = 11.
  d = CcvProvider::OnSlashPacket(ctx(), c_, {addr_a, 40, 1, false}).value();
  EXPECT_EQ(d.outcome, SlashOutcome::kHandled);
  EXPECT_TRUE(d.punish);
  EXPECT_EQ(d.validator, V("a"));
  EXPECT_EQ(d.infraction_height, 11);
  EXPECT_EQ(d.power, 40u);
  EXPECT_EQ(d.fraction, cfg.downtime_slash_fraction);
  EXPECT_EQ(d.jail_s, 1200u);
  // An address outside the consumer set: acked, not punished.
  d = CcvProvider::OnSlashPacket(ctx(), c_, {std::string(20, 'x'), 5, 1, false}).value();
  EXPECT_FALSE(d.punish);
  // Acks ride on the next VSC (at the epoch, height 15).
  ASSERT_TRUE(CcvProvider::ClearPending(ctx(), c_).ok());
  for (int i = 0; i < 5; ++i) Block();
  std::vector<VscRecord> p = CcvProvider::Pending(ctx(), c_).value();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].updates.empty());
  EXPECT_EQ(p[0].slash_acks, (std::vector<std::string>{addr_a, std::string(20, 'x')}));
}

TEST_F(CcvProviderTest, OnlyCurrentConsumerValidatorsArePunished) {
  CcvConfig cfg;
  cfg.mode = LinkMode::kOptIn;
  cfg.shaping.top_n = 0;
  Register(cfg, {V("a")});
  Block();
  // b is a provider validator but not on this consumer.
  SlashDecision d =
      CcvProvider::OnSlashPacket(ctx(), c_, {ConsensusAddressOf(Key("b")), 30, 1, false}).value();
  EXPECT_FALSE(d.punish);
  d = CcvProvider::OnSlashPacket(ctx(), c_, {ConsensusAddressOf(Key("a")), 40, 1, false}).value();
  EXPECT_TRUE(d.punish);
}

TEST_F(CcvProviderTest, AllowInactiveValsAddsValidatorsBelowTheActiveSet) {
  // max_validators 4: e (5) ranks fifth and stays out of the active set.
  staking::Params sp = Staking::GetParams(ctx()).value();
  sp.max_validators = 4;
  ASSERT_TRUE(Staking::SetParams(ctx(), sp).ok());
  AddValidator("e", 5);
  ASSERT_TRUE(Staking::EndBlock(ctx()).ok());
  ASSERT_NE(Staking::GetValidator(ctx(), V("e")).value()->status, staking::BondStatus::kBonded);
  CcvConfig cfg;
  cfg.mode = LinkMode::kOptIn;
  cfg.shaping.top_n = 0;
  Register(cfg, {V("a"), V("e")});
  ConsumerId other("stride");
  cfg.shaping.allow_inactive_vals = true;
  ASSERT_TRUE(CcvProvider::Init(ctx(), other, cfg, ConnectionId("connection-1"), {V("a"), V("e")})
                  .ok());
  EXPECT_TRUE(CcvProvider::Config(ctx(), other).value()->shaping.allow_inactive_vals);
  Block();
  EXPECT_EQ(CcvProvider::ConsumerSet(ctx(), c_).value(),
            (std::vector<ConsumerValidator>{{V("a"), Key("a"), 40}}));
  EXPECT_EQ(CcvProvider::ConsumerSet(ctx(), other).value(),
            (std::vector<ConsumerValidator>{{V("a"), Key("a"), 40}, {V("e"), Key("e"), 5}}));
}

TEST_F(CcvProviderTest, StoppedConsumerGetsNothing) {
  CcvConfig cfg;
  Register(cfg);
  Block();
  ASSERT_TRUE(CcvProvider::Stop(ctx(), c_).ok());
  EXPECT_TRUE(CcvProvider::Pending(ctx(), c_).value().empty());
  block_.height = 600;
  Block();
  EXPECT_TRUE(CcvProvider::Pending(ctx(), c_).value().empty());
  EXPECT_EQ(CcvProvider::OptIn(ctx(), c_, V("a")).code(), absl::StatusCode::kFailedPrecondition);
}

// ---------------------------------------------------------------- governance, removal

constexpr uint64_t kUnbondingS = 1814400;  // staking default (21 days)

TEST_F(CcvProviderTest, UpdatedShapingAppliesAtTheNextEpochInfractionAfterUnbonding) {
  CcvConfig cfg;
  cfg.mode = LinkMode::kOptIn;
  cfg.shaping.top_n = 0;
  cfg.blocks_per_epoch = 5;
  Register(cfg, {V("a"), V("b"), V("c"), V("d")});
  Block();  // 10: launch with 40/30/20/10
  ASSERT_TRUE(CcvProvider::ClearPending(ctx(), c_).ok());
  LinkUpdate u;
  u.shaping = cfg.shaping;
  u.shaping->validators_power_cap = 30;
  u.infraction = LinkUpdate::Infraction{Dec::FromRaw(Dec::kOne / 10), 1200};
  ASSERT_TRUE(CcvProvider::ApplyUpdate(ctx(), c_, u).ok());
  // The shaping waits for the next set computation.
  EXPECT_EQ(CcvProvider::Config(ctx(), c_).value()->shaping.validators_power_cap, 0u);
  EXPECT_EQ(CcvProvider::PendingShapingOf(ctx(), c_).value()->validators_power_cap, 30u);
  // Infraction parameters wait one provider unbonding period.
  EXPECT_EQ(CcvProvider::PendingInfractionOf(ctx(), c_).value(),
            (std::optional<PendingInfraction>(PendingInfraction{1000 + kUnbondingS, *u.infraction})));
  EXPECT_EQ(CcvProvider::Config(ctx(), c_).value()->downtime_slash_fraction, Dec::Zero());
  for (int i = 0; i < 4; ++i) Block();  // 11..14: mid-epoch, nothing sent
  EXPECT_TRUE(CcvProvider::Pending(ctx(), c_).value().empty());
  EXPECT_EQ(CcvProvider::Config(ctx(), c_).value()->shaping.validators_power_cap, 0u);
  Block();  // 15: the epoch sends the capped powers 30, 30, 25, 15
  EXPECT_EQ(CcvProvider::Config(ctx(), c_).value()->shaping.validators_power_cap, 30u);
  EXPECT_FALSE(CcvProvider::PendingShapingOf(ctx(), c_).value().has_value());
  std::vector<VscRecord> p = CcvProvider::Pending(ctx(), c_).value();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].updates.size(), 3u);  // a 40 → 30, c 20 → 25, d 10 → 15 (b stays 30)
  EXPECT_EQ(CcvProvider::ConsumerSet(ctx(), c_).value(),
            (std::vector<ConsumerValidator>{{V("a"), Key("a"), 30},
                                            {V("b"), Key("b"), 30},
                                            {V("c"), Key("c"), 25},
                                            {V("d"), Key("d"), 15}}));
  const std::string addr_a = ConsensusAddressOf(Key("a"));
  EXPECT_EQ(CcvProvider::OnSlashPacket(ctx(), c_, {addr_a, 30, 1, false}).value().fraction,
            Dec::Zero());
  block_.time_ns = (1000 + kUnbondingS - 1) * kNanosPerSecond;
  Block();
  EXPECT_EQ(CcvProvider::Config(ctx(), c_).value()->downtime_jail_s, 600u);
  block_.time_ns = (1000 + kUnbondingS) * kNanosPerSecond;
  Block();
  EXPECT_EQ(CcvProvider::Config(ctx(), c_).value()->downtime_slash_fraction, u.infraction->downtime_slash_fraction);
  EXPECT_EQ(CcvProvider::Config(ctx(), c_).value()->downtime_jail_s, 1200u);
  EXPECT_FALSE(CcvProvider::PendingInfractionOf(ctx(), c_).value().has_value());
  SlashDecision d = CcvProvider::OnSlashPacket(ctx(), c_, {ConsensusAddressOf(Key("b")), 30, 1, false}).value();
  EXPECT_TRUE(d.punish);
  EXPECT_EQ(d.fraction, u.infraction->downtime_slash_fraction);
  EXPECT_EQ(d.jail_s, 1200u);
}

TEST_F(CcvProviderTest, UpdateRefusals) {
  Register(CcvConfig{});  // replicated
  LinkUpdate u;
  EXPECT_EQ(CcvProvider::ApplyUpdate(ctx(), c_, u).code(), absl::StatusCode::kInvalidArgument);
  u.shaping = PowerShaping{};
  u.shaping->top_n = 50;  // a replicated link keeps top N 100
  EXPECT_EQ(CcvProvider::ApplyUpdate(ctx(), c_, u).code(), absl::StatusCode::kInvalidArgument);
  u.shaping->top_n = 100;
  u.infraction = LinkUpdate::Infraction{Dec::FromRaw(Dec::kOne * 2), 0};
  EXPECT_EQ(CcvProvider::ApplyUpdate(ctx(), c_, u).code(), absl::StatusCode::kInvalidArgument);
  u.infraction.reset();
  EXPECT_EQ(CcvProvider::ApplyUpdate(ctx(), ConsumerId("nope"), u).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(CcvProvider::Stop(ctx(), c_).ok());
  EXPECT_EQ(CcvProvider::ApplyUpdate(ctx(), c_, u).code(), absl::StatusCode::kFailedPrecondition);
  // An update round-trips through its encoding.
  u.shaping->prioritylist = {V("a")};
  u.infraction = LinkUpdate::Infraction{Dec::FromRaw(Dec::kOne / 100), 60};
  Encoder e;
  u.Encode(e);
  const std::string raw = e.Take();
  Decoder d(raw);
  LinkUpdate back = LinkUpdate::Decode(d).value();
  EXPECT_TRUE(d.AtEnd());
  EXPECT_EQ(back.shaping->prioritylist, u.shaping->prioritylist);
  EXPECT_EQ(back.infraction, u.infraction);
}

// Every key of the store that mentions `needle`.
std::vector<std::string> KeysMentioning(MemStore& store, const std::string& needle) {
  std::vector<std::string> out;
  auto it = store.ScanPrefix("");
  for (; it->Valid(); it->Next()) {
    if (it->key().find(needle) != std::string_view::npos) out.emplace_back(it->key());
  }
  return out;
}

TEST_F(CcvProviderTest, StoppedConsumerIsRemovedOneUnbondingPeriodLater) {
  CcvConfig cfg;
  cfg.mode = LinkMode::kOptIn;
  cfg.shaping.top_n = 0;
  Register(cfg, {V("a"), V("b")});
  const ConsumerId other("stride");
  ASSERT_TRUE(CcvProvider::Init(ctx(), other, cfg, ConnectionId("connection-1"), {V("a")}).ok());
  // a assigns a key, then replaces it: the old mapping is kept for pruning.
  ASSERT_TRUE(ConsumerKeys::Assign(ctx(), c_, V("a"), std::string(32, 'k')).ok());
  ASSERT_TRUE(ConsumerKeys::Assign(ctx(), c_, V("a"), std::string(32, 'm')).ok());
  ASSERT_TRUE(ConsumerKeys::Assign(ctx(), other, V("a"), std::string(32, 'k')).ok());
  Block();
  ASSERT_TRUE(CcvProvider::OnSlashPacket(ctx(), c_, {std::string(20, 'x'), 5, 1, false}).ok());
  LinkUpdate u;
  u.shaping = cfg.shaping;
  u.infraction = LinkUpdate::Infraction{Dec::Zero(), 60};
  ASSERT_TRUE(CcvProvider::ApplyUpdate(ctx(), c_, u).ok());
  EXPECT_FALSE(KeysMentioning(store_, "neutron").empty());
  ASSERT_TRUE(CcvProvider::Stop(ctx(), c_).ok());
  EXPECT_EQ(CcvProvider::RemovalTime(ctx(), c_).value(), std::optional<uint64_t>(1000 + kUnbondingS));
  block_.time_ns = 2000 * kNanosPerSecond;
  ASSERT_TRUE(CcvProvider::Stop(ctx(), c_).ok());  // a second stop keeps the first time
  EXPECT_EQ(CcvProvider::RemovalTime(ctx(), c_).value(), std::optional<uint64_t>(1000 + kUnbondingS));
  block_.time_ns = (1000 + kUnbondingS - 1) * kNanosPerSecond;
  Block();
  EXPECT_TRUE(CcvProvider::Config(ctx(), c_).value().has_value());
  block_.time_ns = (1000 + kUnbondingS) * kNanosPerSecond;
  Block();
  // Nothing of neutron is left: config, state, opt-ins, set, VSC queue,
  // slash acks, the pending infraction update, the removal entry and the
  // key assignments (current and kept for pruning).
  EXPECT_EQ(KeysMentioning(store_, "neutron"), std::vector<std::string>{});
  EXPECT_FALSE(CcvProvider::Config(ctx(), c_).value().has_value());
  EXPECT_EQ(CcvProvider::State(ctx(), c_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CcvProvider::Consumers(ctx()).value(), std::vector<ConsumerId>{other});
  EXPECT_FALSE(ConsumerKeys::Assigned(ctx(), c_, V("a")).value().has_value());
  // stride is untouched: its set and a's key there.
  EXPECT_EQ(CcvProvider::ConsumerSet(ctx(), other).value().size(), 1u);
  EXPECT_EQ(ConsumerKeys::Assigned(ctx(), other, V("a")).value(),
            std::optional<std::string>(std::string(32, 'k')));
  EXPECT_EQ(CcvProvider::Remove(ctx(), c_).code(), absl::StatusCode::kNotFound);
}

// ---------------------------------------------------------------- unbonding waits for maturity

// Blocks as the application runs them: staking, holds, CCV, releases; 5 s each.
class CcvMaturityTest : public CcvProviderTest {
 protected:
  void AppBlock() {
    ASSERT_TRUE(Staking::EndBlock(ctx()).ok());
    absl::Status s = CcvProvider::HoldStartedUnbondings(ctx());
    if (s.ok()) s = CcvProvider::EndBlock(ctx());
    if (s.ok()) s = CcvProvider::ReleaseMaturedHolds(ctx());
    ASSERT_TRUE(s.ok()) << s;
    block_.height++;
    block_.time_ns += 5 * kNanosPerSecond;
  }
  // Launches neutron (VSC 1 at height 10), then at height 11 a's operator
  // undelegates 10 and x delegates 10 to a (no power change). Returns the
  // undelegation's completion time.
  uint64_t LaunchAndUndelegate(bool option) {
    CcvConfig cfg;
    cfg.blocks_per_epoch = 5;
    cfg.unbonding_waits_for_maturity = option;
    Register(cfg);
    AppBlock();  // height 10: launch, vscID -> 2
    uint64_t completion =
        Staking::Undelegate(ctx(), AccountAddress("op/a"), V("a"), Amount(10)).value();
    EXPECT_TRUE(Bank::Mint(ctx(), AccountAddress("x"), Denom("stake"), Amount(10)).ok());
    EXPECT_TRUE(Staking::Delegate(ctx(), AccountAddress("x"), V("a"), Amount(10)).ok());
    op_ = staking::UndelegationOpId(AccountAddress("op/a"), V("a"), 11, completion);
    AppBlock();  // height 11
    return completion;
  }
  Amount Paid() { return Bank::Balance(ctx(), AccountAddress("op/a"), Denom("stake")).value(); }

  std::string op_;
};

TEST_F(CcvMaturityTest, UndelegationWaitsForVscMaturedThenCompletesAtTheNextEndBlock) {
  const uint64_t completion = LaunchAndUndelegate(true);
  EXPECT_EQ(CcvProvider::Holds(ctx(), c_).value(),
            (std::vector<CcvProvider::HoldRecord>{{2, op_}}));
  EXPECT_EQ(staking::UnbondingHolds::Count(ctx(), op_).value(), 1u);
  ASSERT_TRUE(CcvProvider::ClearPending(ctx(), c_).ok());
  for (int i = 0; i < 4; ++i) AppBlock();  // 12..15: the epoch owes neutron a VSC
  std::vector<VscRecord> p = CcvProvider::Pending(ctx(), c_).value();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].vsc_id, 2u);
  EXPECT_TRUE(p[0].updates.empty());  // queued for the hold alone
  // T = completion: due but held; T + 5 s, T + 10 s: still held.
  block_.time_ns = completion;
  for (int i = 0; i < 3; ++i) AppBlock();
  EXPECT_EQ(Paid(), Amount(0));
  EXPECT_TRUE(Staking::GetUnbondingDelegation(ctx(), AccountAddress("op/a"), V("a"))
                  .value()
                  .has_value());
  // VSCMatured{1} does not cover vscID 2.
  ASSERT_TRUE(CcvProvider::OnVscMatured(ctx(), c_, 1).ok());
  AppBlock();
  AppBlock();
  EXPECT_EQ(Paid(), Amount(0));
  // T' = T + 25 s: VSCMatured{2}. The release follows this block's staking
  // end block, so the payout is the next block's.
  EXPECT_EQ(block_.time_ns, completion + 25 * kNanosPerSecond);
  ASSERT_TRUE(CcvProvider::OnVscMatured(ctx(), c_, 2).ok());
  EXPECT_EQ(CcvProvider::MaturedVscId(ctx(), c_).value(), 2u);
  AppBlock();
  EXPECT_EQ(Paid(), Amount(0));
  EXPECT_TRUE(CcvProvider::Holds(ctx(), c_).value().empty());
  EXPECT_EQ(staking::UnbondingHolds::Count(ctx(), op_).value(), 0u);
  AppBlock();  // T + 30 s
  EXPECT_EQ(Paid(), Amount(10));
  EXPECT_FALSE(Staking::GetUnbondingDelegation(ctx(), AccountAddress("op/a"), V("a"))
                   .value()
                   .has_value());
}

TEST_F(CcvMaturityTest, StopReleasesTheHolds) {
  const uint64_t completion = LaunchAndUndelegate(true);
  block_.time_ns = completion;
  AppBlock();
  EXPECT_EQ(Paid(), Amount(0));
  ASSERT_TRUE(CcvProvider::Stop(ctx(), c_).ok());  // error ack / timeout
  AppBlock();  // released after staking's end block
  EXPECT_EQ(Paid(), Amount(0));
  EXPECT_TRUE(CcvProvider::Holds(ctx(), c_).value().empty());
  EXPECT_FALSE(staking::UnbondingHolds::JournalOn(ctx()).value());
  AppBlock();
  EXPECT_EQ(Paid(), Amount(10));
  // Later unbondings are not held.
  ASSERT_TRUE(Staking::Undelegate(ctx(), AccountAddress("op/a"), V("a"), Amount(1)).ok());
  AppBlock();
  EXPECT_TRUE(CcvProvider::Holds(ctx(), c_).value().empty());
}

TEST_F(CcvMaturityTest, OptionOffChangesNothing) {
  const uint64_t completion = LaunchAndUndelegate(false);
  EXPECT_TRUE(CcvProvider::Holds(ctx(), c_).value().empty());
  ASSERT_TRUE(CcvProvider::OnVscMatured(ctx(), c_, 1).ok());  // ignored (ADR-018)
  EXPECT_EQ(CcvProvider::MaturedVscId(ctx(), c_).value(), 0u);
  for (uint8_t t : {0x38, 0x39, 0x3A, 0xEB, 0xEC}) {
    auto it = store_.ScanPrefix(std::string(1, static_cast<char>(t)));
    EXPECT_FALSE(it->Valid()) << int(t);
  }
  block_.time_ns = completion - 1;
  AppBlock();
  EXPECT_EQ(Paid(), Amount(0));
  block_.time_ns = completion;
  AppBlock();
  EXPECT_EQ(Paid(), Amount(10));
  // The config without the option keeps its old encoding.
  EXPECT_FALSE(CcvProvider::Config(ctx(), c_).value()->unbonding_waits_for_maturity);
}

TEST_F(CcvMaturityTest, VscMaturedRefusals) {
  LaunchAndUndelegate(true);
  EXPECT_TRUE(CcvProvider::Config(ctx(), c_).value()->unbonding_waits_for_maturity);
  EXPECT_EQ(CcvProvider::OnVscMatured(ctx(), c_, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CcvProvider::OnVscMatured(ctx(), c_, 2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CcvProvider::OnVscMatured(ctx(), ConsumerId("x"), 1).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(CcvProvider::OnVscMatured(ctx(), c_, 1).ok());
  EXPECT_EQ(CcvProvider::MaturedVscId(ctx(), c_).value(), 1u);
}

// One VSCMatured covering kMaxHoldReleasesPerBlock + 1 held undelegations:
// the first end block after it releases exactly the cap, in operation order,
// the next the last one; each is paid at the staking end block after its
// release.
TEST_F(CcvMaturityTest, OneVscMaturedReleasesAtMostTheCapPerBlock) {
  const size_t cap = CcvProvider::kMaxHoldReleasesPerBlock;
  ASSERT_EQ(cap, 1000u);
  const size_t n = cap + 1;
  CcvConfig cfg;
  cfg.blocks_per_epoch = 5;
  cfg.unbonding_waits_for_maturity = true;
  Register(cfg);
  AppBlock();  // height 10: launch, vscID -> 2
  // Height 11: n delegators (fixed-width names, so op ids sort as the names)
  // each delegate 1 to a and undelegate it.
  std::vector<AccountAddress> dels;
  std::vector<std::string> ops;
  uint64_t completion = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string num = std::to_string(i);
    AccountAddress d("d" + std::string(4 - num.size(), '0') + num);
    ASSERT_TRUE(Bank::Mint(ctx(), d, Denom("stake"), Amount(1)).ok());
    ASSERT_TRUE(Staking::Delegate(ctx(), d, V("a"), Amount(1)).ok());
    absl::StatusOr<uint64_t> c = Staking::Undelegate(ctx(), d, V("a"), Amount(1));
    ASSERT_TRUE(c.ok()) << c.status();
    completion = *c;
    ops.push_back(staking::UndelegationOpId(d, V("a"), 11, completion));
    dels.push_back(std::move(d));
  }
  AppBlock();  // height 11
  std::vector<CcvProvider::HoldRecord> held = CcvProvider::Holds(ctx(), c_).value();
  ASSERT_EQ(held.size(), n);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(held[i], (CcvProvider::HoldRecord{2, ops[i]}));
  auto paid_count = [&] {
    size_t paid = 0;
    for (const AccountAddress& d : dels) {
      Amount b = Bank::Balance(ctx(), d, Denom("stake")).value();
      EXPECT_TRUE(b == Amount(0) || b == Amount(1));
      if (b == Amount(1)) ++paid;
    }
    return paid;
  };
  auto paid = [&](size_t i) {
    return Bank::Balance(ctx(), dels[i], Denom("stake")).value() == Amount(1);
  };
  for (int i = 0; i < 4; ++i) AppBlock();  // 12..15: VSC 2 queued
  block_.time_ns = completion;  // T: all due, all held
  AppBlock();
  EXPECT_EQ(paid_count(), 0u);
  ASSERT_TRUE(CcvProvider::OnVscMatured(ctx(), c_, 2).ok());  // at T + 5 s
  AppBlock();  // T + 5 s: the first `cap` holds go after staking's end block
  EXPECT_EQ(paid_count(), 0u);
  held = CcvProvider::Holds(ctx(), c_).value();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0], (CcvProvider::HoldRecord{2, ops[cap]}));
  EXPECT_EQ(staking::UnbondingHolds::Count(ctx(), ops[cap - 1]).value(), 0u);
  EXPECT_EQ(staking::UnbondingHolds::Count(ctx(), ops[cap]).value(), 1u);
  EXPECT_EQ(block_.time_ns, completion + 10 * kNanosPerSecond);
  AppBlock();  // T + 10 s: the first `cap` are paid; the last hold goes
  EXPECT_EQ(paid_count(), cap);
  EXPECT_TRUE(paid(0));
  EXPECT_TRUE(paid(cap - 1));
  EXPECT_FALSE(paid(cap));
  EXPECT_TRUE(CcvProvider::Holds(ctx(), c_).value().empty());
  EXPECT_EQ(staking::UnbondingHolds::Count(ctx(), ops[cap]).value(), 0u);
  AppBlock();  // T + 15 s: the last is paid
  EXPECT_EQ(paid_count(), n);
  EXPECT_TRUE(paid(cap));
  EXPECT_FALSE(Staking::GetUnbondingDelegation(ctx(), dels[cap], V("a")).value().has_value());
}

// A consumer that acks every VSC but never sends VSCMatured (one that
// ignores the VSC's unbonding_waits_for_maturity field — an older or faulty
// consumer — or a relayer that does not relay VSCMatured; a consumer of this
// engine follows the field, LinkModesTest.ConsumerFollowsTheProvidersMaturityOption):
// the hold outlives its completion time by any number of epochs; only
// removal frees it.
TEST_F(CcvMaturityTest, NoVscMaturedHoldsUntilRemoval) {
  const uint64_t completion = LaunchAndUndelegate(true);
  block_.time_ns = completion;
  for (int i = 0; i < 50; ++i) {  // ten epochs, every VSC acked
    AppBlock();
    ASSERT_TRUE(CcvProvider::ClearPending(ctx(), c_).ok());
  }
  EXPECT_FALSE(CcvProvider::State(ctx(), c_).value().stopped);
  EXPECT_EQ(CcvProvider::MaturedVscId(ctx(), c_).value(), 0u);
  EXPECT_EQ(CcvProvider::Holds(ctx(), c_).value(),
            (std::vector<CcvProvider::HoldRecord>{{2, op_}}));
  EXPECT_EQ(Paid(), Amount(0));
  ASSERT_TRUE(CcvProvider::Remove(ctx(), c_).ok());
  AppBlock();  // released after staking's end block
  EXPECT_EQ(Paid(), Amount(0));
  AppBlock();
  EXPECT_EQ(Paid(), Amount(10));
}

TEST_F(CcvMaturityTest, RemovedConsumerReleasesAndIsForgotten) {
  const uint64_t completion = LaunchAndUndelegate(true);
  ASSERT_TRUE(CcvProvider::Remove(ctx(), c_).ok());
  block_.time_ns = completion;
  AppBlock();
  EXPECT_EQ(Paid(), Amount(0));
  AppBlock();
  EXPECT_EQ(Paid(), Amount(10));
  for (uint8_t t : {0x38, 0x39, 0x3A, 0xEB, 0xEC}) {
    auto it = store_.ScanPrefix(std::string(1, static_cast<char>(t)));
    EXPECT_FALSE(it->Valid()) << int(t);
  }
}

}  // namespace
}  // namespace mesh::provider
