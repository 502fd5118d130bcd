// Validator event capture and slash shares (mesh-chain-module.md §1.13-1.15,
// §6 T21/T22).
#include "mesh/consumer/validator_events.h"

#include <gtest/gtest.h>

#include "mesh/consumer/state.h"
#include "mesh/consumer/test_fixture.h"

namespace mesh::consumer::testing {
namespace {

using Kind = staking::ValidatorEvent::Kind;
using Vals = std::vector<ValidatorAddress>;

staking::ValidatorEvent Ev(Kind kind, const char* v) {
  staking::ValidatorEvent e;
  e.kind = kind;
  e.validator = V(v);
  return e;
}

class ValidatorEventsTest : public ConsumerTest {
 protected:
  void CreateWithCommission(const char* name, const char* rate) {
    AccountAddress op(std::string("op/") + name);
    Must(staking::Bank::Mint(ctx(), op, kStake, A(10)));
    Must(staking::Staking::CreateValidator(ctx(), V(name), op, A(10), D(rate)));
  }
};

// T22 TestBuildValsetUpdateReport (commission rates 0.1-0.4: the engine's
// staking keeps rates within [0, 1]); duplicates collapse, lists are ordered
// by validator, not by event order.
TEST_F(ValidatorEventsTest, T22BuildReportDeduplicatesAndOrders) {
  CreateWithCommission("v1", "0.1");
  CreateWithCommission("v2", "0.2");
  CreateWithCommission("v3", "0.3");
  CreateWithCommission("v4", "0.4");
  std::vector<staking::ValidatorEvent> events = {
      Ev(Kind::kModified, "v4"),   Ev(Kind::kJailed, "v1"),   Ev(Kind::kUnjailed, "v2"),
      Ev(Kind::kModified, "v2"),   Ev(Kind::kBeginUnbonding, "v3"), Ev(Kind::kJailed, "v3"),
      Ev(Kind::kTombstoned, "v3"), Ev(Kind::kModified, "v3"), Ev(Kind::kBonded, "v4"),
      Ev(Kind::kModified, "v2"),   Ev(Kind::kJailed, "v1")};
  ValsetUpdate u = Must(ValidatorEvents::Build(ctx(), events));
  EXPECT_EQ(u.additions, (std::vector<ValidatorInfo>{{V("v4"), D("0.4")}}));
  EXPECT_EQ(u.removals, (Vals{V("v3")}));
  EXPECT_EQ(u.updated, (std::vector<ValidatorInfo>{
                           {V("v2"), D("0.2")}, {V("v3"), D("0.3")}, {V("v4"), D("0.4")}}));
  EXPECT_EQ(u.jailed, (Vals{V("v1"), V("v3")}));
  EXPECT_EQ(u.unjailed, (Vals{V("v2")}));
  EXPECT_EQ(u.tombstoned, (Vals{V("v3")}));
  EXPECT_TRUE(u.slashed.empty());
}

// C-23: jailed and unjailed in one block with no change of the active set
// (v1) reports neither: the provider ignores `unjailed` and would keep v1
// jailed while it signs. With a set change in the block (v2 left the set)
// both stay, as the reference reports them.
TEST_F(ValidatorEventsTest, JailAndUnjailInOneBlockCancelOut) {
  CreateWithCommission("v1", "0.1");
  CreateWithCommission("v2", "0.2");
  ValsetUpdate u = Must(ValidatorEvents::Build(
      ctx(), {Ev(Kind::kJailed, "v1"), Ev(Kind::kUnjailed, "v1"), Ev(Kind::kJailed, "v2"),
              Ev(Kind::kBeginUnbonding, "v2"), Ev(Kind::kUnjailed, "v2")}));
  EXPECT_EQ(u.jailed, (Vals{V("v2")}));
  EXPECT_EQ(u.unjailed, (Vals{V("v2")}));
  EXPECT_EQ(u.removals, (Vals{V("v2")}));
}

TEST_F(ValidatorEventsTest, ShorterAddressesSortFirst) {
  ValsetUpdate u = Must(ValidatorEvents::Build(
      ctx(), {Ev(Kind::kJailed, "aaa"), Ev(Kind::kJailed, "zz"), Ev(Kind::kJailed, "ab")}));
  EXPECT_EQ(u.jailed, (Vals{V("ab"), V("zz"), V("aaa")}));
}

// The reference swaps power and infraction_height and always sends
// infraction_time 0; identical slashes of one block collapse there.
TEST_F(ValidatorEventsTest, SlashFieldsAreNotSwappedAndIdenticalSlashesStay) {
  Must(ValidatorEvents::RecordBlockTime(ctx()));  // height 100
  uint64_t t100 = block_.time_ns / kNanosPerSecond;
  NextBlock(5);
  staking::ValidatorEvent s = Ev(Kind::kSlashed, "v1");
  s.infraction_height = 100;
  s.power = 77;
  s.amount = A(5);
  s.fraction = D("0.1");
  ValsetUpdate u = Must(ValidatorEvents::Build(ctx(), {s, s}));
  ASSERT_EQ(u.slashed.size(), 2u);
  const ValidatorSlash& got = u.slashed[0];
  EXPECT_EQ(got.infraction_height, 100u);
  EXPECT_EQ(got.power, 77u);
  EXPECT_EQ(got.infraction_time_s, t100);
  EXPECT_EQ(got.height, 101u);
  EXPECT_EQ(got.time_s, t100 + 5);
  EXPECT_EQ(got.slash_amount, A(5));
  EXPECT_FALSE(got.is_tombstoned);
  EXPECT_EQ(u.slashed[1], got);
}

// A slash is reported (and the records cut) at a height where the providers'
// history has the validator Active: that history dates a jail or a removal
// from the block it happened in, while the validator signed that block. A
// replicated consumer's slash packet, mapped through VSCtoH, can name such a
// height, or one while the validator was out of the set (issue 13: the mesh
// provider dropped the slash its consumer had cut).
TEST_F(ValidatorEventsTest, SlashAtAHeightTheValidatorWasNotActiveIsReportedAtItsLastActiveOne) {
  using staking::Staking;
  ValidatorAddress v = CreateValidator("val", 100);  // h100
  auto next = [&] {
    Must(Staking::EndBlock(ctx()).status());
    Must(ValidatorEvents::RecordBlockTime(ctx()));
    NextBlock(5);
  };
  next();  // bonded at the end of h100: Active from h100, signs from h101
  for (int i = 0; i < 3; ++i) next();
  ASSERT_EQ(block_.height, 104u);
  Must(Staking::Jail(ctx(), v));  // jailed in h104: signs h104, out from h105
  for (int i = 0; i < 3; ++i) next();
  ASSERT_EQ(block_.height, 107u);
  Must(Staking::Unjail(ctx(), v));  // back at the end of h107: Active from h107
  for (int i = 0; i < 3; ++i) next();
  auto reported = [&](uint64_t h) {
    return Must(ValidatorEvents::ReportedInfractionHeight(ctx(), v, h));
  };
  EXPECT_EQ(reported(100), 100u);
  EXPECT_EQ(reported(103), 103u);
  EXPECT_EQ(reported(104), 103u);  // the block it was jailed in
  EXPECT_EQ(reported(106), 103u);  // out of the set
  EXPECT_EQ(reported(107), 107u);
  EXPECT_EQ(reported(109), 109u);
  EXPECT_EQ(reported(99), 99u);    // before any power: unchanged
  EXPECT_EQ(Must(ValidatorEvents::ReportedInfractionHeight(ctx(), V("nobody"), 104)), 104u);
  // The report carries that height and its block time.
  staking::ValidatorEvent s = Ev(Kind::kSlashed, "val");
  s.infraction_height = 105;
  s.power = 100;
  s.amount = A(1);
  s.fraction = D("0.01");
  ValsetUpdate u = Must(ValidatorEvents::Build(ctx(), {s}));
  ASSERT_EQ(u.slashed.size(), 1u);
  EXPECT_EQ(u.slashed[0].infraction_height, 103u);
  EXPECT_EQ(u.slashed[0].infraction_time_s, Must(ValidatorEvents::BlockTime(ctx(), 103)));
  EXPECT_NE(u.slashed[0].infraction_time_s, 0u);
}

// Block times are pruned from the bottom after the unbonding time; the
// pruning scan starts at the floor (0x7F) past the heights pruned before,
// so a record planted below it is never read.
TEST_F(ValidatorEventsTest, BlockTimesArePrunedFromTheirFloor) {
  const uint64_t unbonding = Must(staking::Staking::GetParams(ctx())).unbonding_time_s;
  Must(ValidatorEvents::RecordBlockTime(ctx()));  // height 100
  NextBlock(5);
  Must(ValidatorEvents::RecordBlockTime(ctx()));  // height 101
  NextBlock(unbonding);                           // 100 is past the unbonding time, 101 not
  Must(ValidatorEvents::RecordBlockTime(ctx()));  // height 102
  EXPECT_EQ(Must(ValidatorEvents::BlockTime(ctx(), 100)), 0u);
  EXPECT_NE(Must(ValidatorEvents::BlockTime(ctx(), 101)), 0u);
  const std::string floor_key(1, static_cast<char>(internal::kBlockTimeFloorPrefix));
  EXPECT_EQ(*Decoder(*Must(ctx().store().Get(floor_key))).U64(), 101u);
  const std::string below = Encoder(internal::kBlockTimePrefix).U64(100).Take();
  Must(ctx().store().Put(below, "corrupt"));
  NextBlock(5);
  Must(ValidatorEvents::RecordBlockTime(ctx()));  // 101 pruned; 100 never read
  EXPECT_EQ(Must(ValidatorEvents::BlockTime(ctx(), 101)), 0u);
  EXPECT_EQ(*Decoder(*Must(ctx().store().Get(floor_key))).U64(), 102u);
  Must(ctx().store().Delete(below));
}

// §1.15: round_half_even(Quo(S_c, S_v) x T).
TEST_F(ValidatorEventsTest, SlashShareOfADelegation) {
  ValidatorAddress v = CreateValidator("val", 200);
  AccountAddress c("contract");
  Must(staking::Bank::Mint(ctx(), c, kStake, A(100)));
  Must(staking::Staking::Delegate(ctx(), c, v, A(100)));
  EXPECT_EQ(Must(ValidatorEvents::SlashShare(ctx(), c, v, A(30))), A(10));
  EXPECT_EQ(Must(ValidatorEvents::SlashShare(ctx(), c, v, A(3))), A(1));   // 0.999..9 -> 1
  EXPECT_EQ(Must(ValidatorEvents::SlashShare(ctx(), c, v, A(4))), A(1));   // 1.333 -> 1
  EXPECT_EQ(Must(ValidatorEvents::SlashShare(ctx(), c, v, A(5))), A(2));   // 1.666 -> 2
  EXPECT_EQ(Must(ValidatorEvents::SlashShare(ctx(), AccountAddress("x"), v, A(30))), A(0));
  EXPECT_EQ(Must(ValidatorEvents::SlashShare(ctx(), c, V("gone"), A(30))), A(0));
}

TEST_F(ValidatorEventsTest, CaptureDrainsTheStakingEvents) {
  CreateValidator("val", 100);
  Must(staking::Staking::EndBlock(ctx()).status());
  ValsetUpdate first = Must(ValidatorEvents::Capture(ctx()));
  EXPECT_EQ(first.additions, (std::vector<ValidatorInfo>{{V("val"), Dec::Zero()}}));
  EXPECT_TRUE(Must(ValidatorEvents::Capture(ctx())).empty());
}

}  // namespace
}  // namespace mesh::consumer::testing
