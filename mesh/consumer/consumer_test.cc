// The consumer end to end through its public entry points: epochs on
// schedule, slash forwarding, zero max cap, channel close, rewards, caps.
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/provider_guard.h"

#include <gtest/gtest.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "mesh/consumer/outbox.h"
#include "mesh/consumer/rewards.h"
#include "mesh/consumer/state.h"
#include "mesh/consumer/test_fixture.h"
#include "mesh/consumer/validator_events.h"

namespace mesh::consumer::testing {
namespace {

using Vals = std::vector<ValidatorAddress>;
const AccountAddress kUser("user");

class ConsumerFlowTest : public ConsumerTest {
 protected:
  // val1 (self 50) and val2 (self 100) bonded; channel open, outbox empty.
  void Start() {
    CreateValidator("val1", 50);
    CreateValidator("val2", 100);
    EndBlock();
    Must(Consumer::OnChannelOpen(ctx(), prov_));
    Must(Consumer::TakeOutbox(ctx(), prov_));
  }
  Amount Stake(const char* v, u128 remote) {
    return Must(Consumer::HandleStake(ctx(), prov_, {kUser, V(v), {kJuno, A(remote)}, 1}));
  }
  std::vector<ConsumerPacket> Outbox() {
    std::vector<ConsumerPacket> out;
    for (auto& e : Must(Consumer::TakeOutbox(ctx(), prov_))) out.push_back(std::move(e.packet));
    return out;
  }
};

TEST_F(ConsumerFlowTest, ChannelOpenSendsTheBondedSet) {
  CreateValidator("val1", 50);
  CreateValidator("val2", 100);
  EndBlock();
  EXPECT_TRUE(Outbox().empty());  // no channel: nothing queued (reference 7-A A4)
  Must(Consumer::OnChannelOpen(ctx(), prov_));
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  const auto& p = std::get<ValsetUpdatePacket>(out[0]);
  EXPECT_EQ(p.additions, (Vals{V("val2"), V("val1")}));  // staking order: power desc
  EXPECT_EQ(p.height, block_.height);
}

// The outbox is read from its floor (0x7E): each Take moves the floor past
// what it took, so later reads never pass the taken (deleted) entries — a
// record planted below the floor is never decoded.
TEST_F(ConsumerFlowTest, OutboxIsReadFromItsFloor) {
  Start();
  ValsetUpdatePacket u;
  u.removals = {V("val1")};
  Must(Outbox::Append(ctx(), prov_, u));
  Must(Outbox::Append(ctx(), prov_, u));
  std::vector<OutboxEntry> taken = Must(Outbox::Take(ctx(), prov_));
  ASSERT_EQ(taken.size(), 2u);
  const std::string floor_key = internal::ProviderPrefix(internal::kOutboxFloorPrefix, prov_);
  EXPECT_EQ(*Decoder(*Must(ctx().store().Get(floor_key))).U64(), taken[1].seq + 1);
  const std::string below =
      Encoder().Raw(internal::ProviderPrefix(internal::kOutboxPrefix, prov_)).U64(taken[1].seq)
          .Take();
  Must(ctx().store().Put(below, "corrupt"));
  EXPECT_TRUE(Must(Outbox::Peek(ctx(), prov_)).empty());
  Must(Outbox::Append(ctx(), prov_, u));
  std::vector<OutboxEntry> next = Must(Outbox::Take(ctx(), prov_));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].seq, taken[1].seq + 1);
  Must(ctx().store().Delete(below));
}

TEST_F(ConsumerFlowTest, EpochsRunEveryEpochLengthBlocks) {
  Start();
  EXPECT_EQ(Stake("val1", 1000), A(300));
  SetCap(1000);  // at height 101: first epoch at 111
  EXPECT_EQ(Must(Consumer::GetState(ctx(), prov_)).next_epoch_height, 111u);
  while (block_.height < 111) EXPECT_TRUE(EndBlock().epochs.empty());
  EndBlockReport r = EndBlock();
  ASSERT_EQ(r.epochs.size(), 1u);
  EXPECT_TRUE(r.epochs[0].status.ok());
  EXPECT_EQ(r.epochs[0].report.bonds, (ValidatorAmounts{{V("val1"), A(300)}}));
  EXPECT_EQ(Must(Consumer::GetState(ctx(), prov_)).next_epoch_height, 121u);
  ExpectInvariants(true);
}

// consumer-ibc §5.4 example: 5 local slashed at P 0.5, A 0.6 -> 16 uosmo.
TEST_F(ConsumerFlowTest, DowntimeSlashIsForwardedAtOnceInProviderDenom) {
  Start();
  EXPECT_EQ(Stake("val1", 168), A(50));
  EndBlock();  // the stake precedes the infraction (C-28)
  EndBlock();
  SetCap(1000);
  Epoch();
  uint64_t infraction = block_.height - 1;
  uint64_t infraction_time = Must(ValidatorEvents::BlockTime(ctx(), infraction));
  ASSERT_NE(infraction_time, 0u);
  Must(staking::Staking::HandleDowntime(ctx(), V("val1"), static_cast<int64_t>(infraction), 100));
  EndBlock();  // power 100 x 0.1 = 10 burned, 5 of it virtual
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  const auto& p = std::get<ValsetUpdatePacket>(out[0]);
  EXPECT_EQ(p.removals, (Vals{V("val1")}));
  EXPECT_EQ(p.updated, (Vals{V("val1")}));
  EXPECT_EQ(p.jailed, (Vals{V("val1")}));
  ASSERT_EQ(p.slashed.size(), 1u);
  EXPECT_EQ(p.slashed[0], (SlashInfoPacket{V("val1"), infraction, infraction_time, 100,
                                           Coin{kJuno, A(16)}, "0.100000000000000000"}));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(45));
  ExpectInvariants(false);
}

TEST_F(ConsumerFlowTest, SlashWaitsForAValidPriceInsteadOfAWrongOne) {
  Start();
  Stake("val1", 168);
  EndBlock();  // the stake precedes the infraction (C-28)
  SetCap(1000);
  Epoch();
  block_.time_ns += 600 * kNanosPerSecond;  // price stale
  Must(staking::Staking::Slash(ctx(), V("val1"), static_cast<int64_t>(block_.height), 100,
                               D("0.1")));
  EndBlock();
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);  // the `updated` entry goes now, the slash waits
  EXPECT_EQ(std::get<ValsetUpdatePacket>(out[0]).updated, (Vals{V("val1")}));
  EXPECT_TRUE(std::get<ValsetUpdatePacket>(out[0]).slashed.empty());
  EndBlock();
  EXPECT_TRUE(Outbox().empty());
  Must(PriceFeed::SetPrice(ctx(), kOracle, prov_, D("0.5")));
  EndBlock();
  out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  const auto& p = std::get<ValsetUpdatePacket>(out[0]);
  ASSERT_EQ(p.slashed.size(), 1u);
  EXPECT_EQ(p.slashed[0].slash_amount, (Coin{kJuno, A(16)}));
  EXPECT_TRUE(p.updated.empty());
}

// C-19: the record is cut by exactly the reported provider amount. After a
// price fall 5 local at P 0.25, A 0.6 would be floor(5 / 0.15) = 33 ujuno,
// but a slash reports at most the ratio of what the provider holds there
// (C-26, the provider's own bound P-31): ceil(0.1 x 168) = 17, so the
// record keeps 168 - 17 = 151, as the provider does.
TEST_F(ConsumerFlowTest, ForwardedSlashCutsRecordsByTheReportedProviderAmount) {
  Start();
  EXPECT_EQ(Stake("val1", 168), A(50));
  EndBlock();  // the stake precedes the infraction (C-28)
  EndBlock();
  SetCap(1000);
  Epoch();
  Must(PriceFeed::SetPrice(ctx(), kOracle, prov_, D("0.25")));
  Must(staking::Staking::HandleDowntime(ctx(), V("val1"),
                                        static_cast<int64_t>(block_.height - 1), 100));
  EndBlock();  // 10 burned, 5 of it virtual
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  const auto& p = std::get<ValsetUpdatePacket>(out[0]);
  ASSERT_EQ(p.slashed.size(), 1u);
  EXPECT_EQ(p.slashed[0].slash_amount, (Coin{kJuno, A(17)}));  // not 33
  auto record = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  EXPECT_EQ(record.remote, A(151));
  EXPECT_EQ(record.local, A(45));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(45));
}

// Zero max cap (consumer-ibc §3.7): the InternalUnstake carries the stake the
// provider recorded (1000), not invert(300) = 999, and is sent once.
TEST_F(ConsumerFlowTest, ZeroCapUnstakesThroughTheProvider) {
  Start();
  Stake("val1", 1000);
  SetCap(1000);
  Epoch();
  SetCap(0);
  EpochReport r = Epoch();
  ASSERT_EQ(r.internal_unstakes.size(), 1u);
  InternalUnstakePacket expected{kUser, V("val1"), Coin{kStake, A(300)}, Coin{kJuno, A(1000)}};
  EXPECT_EQ(r.internal_unstakes[0], expected);
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(Epoch().internal_unstakes.empty());  // in flight: not re-sent
  Must(Consumer::OnAcknowledgement(ctx(), prov_, out[0], /*success=*/false));
  EXPECT_EQ(Epoch().internal_unstakes.size(), 1u);  // error ack: sent again
  Must(Consumer::OnAcknowledgement(ctx(), prov_, out[0], /*success=*/true));
  EXPECT_EQ(Must(VirtualStaking::ActualDelegation(ctx(), prov_, V("val1"))), A(0));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(0));
  EXPECT_FALSE(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1"))).has_value());
  ExpectInvariants(false);
  // A second success ack (or one for an unknown record) is a no-op.
  EXPECT_TRUE(Consumer::OnAcknowledgement(ctx(), prov_, out[0], true).ok());
}

// A zero-cap epoch sends max_retrieve (50) internal unstakes: the first
// records in key order that are neither in flight nor empty. The next epoch
// sends the rest, never one still in flight.
TEST_F(ConsumerFlowTest, ZeroCapSendsTheFirstMaxRetrieveRecordsInKeyOrder) {
  Start();
  auto name = [](int i) { return AccountAddress(absl::StrCat("d", i < 10 ? "0" : "", i)); };
  for (int i = 0; i < 55; ++i) {
    const Amount amount(i == 2 ? 0 : 10);
    Must(VirtualStaking::AddStake(ctx(), prov_, name(i), V("val1"), amount, amount));
  }
  DelegationRecord r = *Must(internal::LoadRecord(ctx(), prov_, V("val1"), name(1)));
  r.unstake_in_flight = true;
  Must(internal::SaveRecord(ctx(), prov_, V("val1"), name(1), r));
  SetCap(0);
  std::vector<AccountAddress> want;
  for (int i = 0; i < 55; ++i) {
    if (i != 1 && i != 2) want.push_back(name(i));
  }
  EpochReport first = Epoch();
  ASSERT_EQ(first.internal_unstakes.size(), 50u);
  for (size_t k = 0; k < 50; ++k) EXPECT_EQ(first.internal_unstakes[k].delegator, want[k]) << k;
  EpochReport second = Epoch();
  ASSERT_EQ(second.internal_unstakes.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(second.internal_unstakes[k].delegator, want[50 + k]) << k;
  }
  EXPECT_TRUE(Epoch().internal_unstakes.empty());
}

// Regression (zero-cap race, examples/10_zero_cap_restake_race.json): the
// success ack of an internal unstake removes only what that packet carried;
// a stake that arrived while it was in flight stays and is sent next epoch.
TEST_F(ConsumerFlowTest, ZeroCapAckKeepsAStakeAddedWhileInFlight) {
  Start();
  Stake("val1", 1000);
  SetCap(1000);
  Epoch();
  SetCap(0);
  ASSERT_EQ(Epoch().internal_unstakes.size(), 1u);
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Stake("val1", 500), A(150));  // newer stake while in flight
  Must(Consumer::OnAcknowledgement(ctx(), prov_, out[0], /*success=*/true));
  std::optional<DelegationRecord> rec =
      Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->remote, A(500));
  EXPECT_EQ(rec->local, A(150));
  EXPECT_FALSE(rec->unstake_in_flight);
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(150));
  EXPECT_EQ(Must(VirtualStaking::ActualDelegation(ctx(), prov_, V("val1"))), A(0));
  ExpectInvariants(false);
  EpochReport r = Epoch();
  ASSERT_EQ(r.internal_unstakes.size(), 1u);
  InternalUnstakePacket expected{kUser, V("val1"), Coin{kStake, A(150)}, Coin{kJuno, A(500)}};
  EXPECT_EQ(r.internal_unstakes[0], expected);
}

// Regression (burn cut the records by ceil(remote x local_cut / local)): a
// burn cuts the records by exactly the packet's provider amount, split by
// their remote (floor, remainder to the first record in key order).
TEST_F(ConsumerFlowTest, BurnCutsRecordsByThePacketsProviderAmount) {
  Start();
  Stake("val1", 1000);  // user: 300 local
  Must(Consumer::HandleStake(ctx(), prov_, {AccountAddress("user2"), V("val1"),
                                            {kJuno, A(500)}, 2}));  // 150 local
  // 100 ujuno -> 30 local: records -20/-10 local; remote 66 + 1 and 33
  // (the old rule cut ceil(1000*30/450) + ceil(500*30/450) = 67 + 34 = 101).
  EXPECT_EQ(Must(Consumer::HandleBurn(ctx(), prov_, {{V("val1")}, {kJuno, A(100)}})), A(30));
  auto user = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  auto user2 = *Must(VirtualStaking::GetRecord(ctx(), prov_, AccountAddress("user2"), V("val1")));
  EXPECT_EQ(user.remote, A(933));
  EXPECT_EQ(user.local, A(280));
  EXPECT_EQ(user2.remote, A(467));
  EXPECT_EQ(user2.local, A(140));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(420));
}

// C-20: a burn names no delegator, so the consumer spreads it over every
// record on the validator while the provider cut one user. When that user
// then unstakes its whole provider stake, the shortfall of its record comes
// from the other records: the validator's total still drops by exactly the
// unstaked amount.
TEST_F(ConsumerFlowTest, UnstakeShortfallComesFromTheValidatorsOtherRecords) {
  Start();
  Stake("val1", 1000);  // user: 300 local
  Must(Consumer::HandleStake(ctx(), prov_, {AccountAddress("user2"), V("val1"),
                                            {kJuno, A(500)}, 2}));  // 150 local
  // The provider burnt 100 of user2's stake (user2 now 400 there); the
  // consumer cuts user 67 (remote 933) and user2 33 (remote 467).
  Must(Consumer::HandleBurn(ctx(), prov_, {{V("val1")}, {kJuno, A(100)}}));
  // user unstakes its provider stake, 1000: 933 from its record, 67 from user2.
  EXPECT_EQ(Must(Consumer::HandleUnstake(ctx(), prov_, {kUser, V("val1"), {kJuno, A(1000)}, 3})),
            A(280 + 20));  // its 280 local + floor(140 * 67 / 467) = 20
  auto user = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  auto user2 = *Must(VirtualStaking::GetRecord(ctx(), prov_, AccountAddress("user2"), V("val1")));
  EXPECT_EQ(user.remote, A(0));
  EXPECT_EQ(user.local, A(0));
  EXPECT_EQ(user2.remote, A(400));  // = user2's stake on the provider
  EXPECT_EQ(user2.local, A(120));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(120));
  // user2 can unstake all it has on the provider.
  EXPECT_EQ(Must(Consumer::HandleUnstake(ctx(), prov_, {AccountAddress("user2"), V("val1"),
                                                        {kJuno, A(400)}, 4})),
            A(120));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(0));
}

// C-21: the provider has already cut its stakes when its burn packet
// arrives and never undoes that, so the packet's burn does not fail when the
// requests cannot cover the local amount (here after a price rise): it burns
// what there is and still cuts the records by the packet's provider amount.
TEST_F(ConsumerFlowTest, BurnPacketBeyondTheRequestsBurnsWhatThereIs) {
  Start();
  Stake("val1", 1000);  // 300 local
  Must(PriceFeed::SetPrice(ctx(), kOracle, prov_, D("2")));  // 1000 ujuno -> 1200 local now
  EXPECT_EQ(Must(Consumer::HandleBurn(ctx(), prov_, {{V("val1")}, {kJuno, A(500)}})), A(300));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(0));
  auto user = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  EXPECT_EQ(user.remote, A(500));
  EXPECT_EQ(user.local, A(0));
  // The reference burn (no provider amount) still refuses a shortfall.
  EXPECT_EQ(VirtualStaking::Burn(ctx(), prov_, {V("val1")}, A(1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// C-21: DistributeBurn's single-absorber remainder rule leaves 24 of 91
// unburned over requests 29/30/31/1 although they hold 91; a burn packet
// takes the rest from the requests in order.
TEST_F(ConsumerFlowTest, BurnPacketTopsUpWhatTheRemainderRuleLeaves) {
  Start();
  const char* vals[] = {"val1", "val2", "val3", "val4"};
  const u128 locals[] = {29, 30, 31, 1};
  CreateValidator("val3", 100);
  CreateValidator("val4", 100);
  for (int i = 0; i < 4; ++i) {
    Must(VirtualStaking::AddStake(ctx(), prov_, kUser, V(vals[i]), A(locals[i] * 10), A(locals[i])));
  }
  std::vector<ValidatorAddress> vs = {V("val1"), V("val2"), V("val3"), V("val4")};
  EXPECT_EQ(VirtualStaking::Burn(ctx(), prov_, vs, A(91)).status().code(),
            absl::StatusCode::kFailedPrecondition);  // the reference rule alone
  EXPECT_EQ(Must(VirtualStaking::Burn(ctx(), prov_, vs, A(91), A(910))), A(91));
  for (const auto& v : vs) {
    EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, v)), A(0));
    EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, v))->remote, A(0));
  }
}

// C-24: a stake naming no delegator is refused and records nothing.
TEST_F(ConsumerFlowTest, StakeWithoutDelegatorIsRefused) {
  Start();
  absl::StatusOr<Amount> r =
      Consumer::HandleStake(ctx(), prov_, {AccountAddress(""), V("val1"), {kJuno, A(100)}, 1});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), kErrEmptyDelegator);
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(0));
}

// C-25: an unstake may take up to the validator's total held from the
// provider (C-20 takes a shortfall from the other records), not more.
TEST_F(ConsumerFlowTest, UnstakeAboveWhatIsHeldIsRefused) {
  Start();
  Stake("val1", 1000);  // user: 300 local
  Must(Consumer::HandleStake(ctx(), prov_, {AccountAddress("user2"), V("val1"),
                                            {kJuno, A(500)}, 2}));  // 150 local
  absl::StatusOr<Amount> r =
      Consumer::HandleUnstake(ctx(), prov_, {kUser, V("val1"), {kJuno, A(1501)}, 3});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "unstake of 1501 exceeds the 1500 held on " + V("val1").value() +
                " for this provider");
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")))->remote, A(1000));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(450));
  // Exactly the total is fine: all of it is released.
  EXPECT_EQ(Must(Consumer::HandleUnstake(ctx(), prov_, {kUser, V("val1"), {kJuno, A(1500)}, 4})),
            A(450));
}

// C-27: a burn that could change nothing is refused, never acknowledged.
TEST_F(ConsumerFlowTest, ImpossibleBurnsAreRefused) {
  Start();
  Stake("val1", 1000);  // 300 local
  auto burn = [&](std::vector<ValidatorAddress> vs, u128 amount) {
    return Consumer::HandleBurn(ctx(), prov_, {std::move(vs), {kJuno, A(amount)}}).status();
  };
  EXPECT_EQ(burn({}, 10).message(), "burn names no validator");
  EXPECT_EQ(burn({V("val1")}, 0).message(), "burn of 0");
  absl::Status unknown = burn({V("val1"), V("nobody")}, 10);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.message(), "burn names unknown validator " + V("nobody").value());
  absl::Status empty = burn({V("val2")}, 10);  // a validator, nothing of this provider
  EXPECT_EQ(empty.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(empty.message(), "burn of 10 on validators where this provider holds nothing");
  // Nothing changed.
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")))->remote, A(1000));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V("val1"))), A(300));
  // Above what is held burns what is there (C-21), with a success.
  EXPECT_EQ(Must(Consumer::HandleBurn(ctx(), prov_, {{V("val1"), V("val2")}, {kJuno, A(2000)}})),
            A(300));
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")))->remote, A(0));
}

TEST_F(ConsumerFlowTest, BurnOverTwoValidatorsSplitsTheProviderAmountExactly) {
  Start();
  Stake("val1", 1000);
  Stake("val2", 1000);
  // 99 ujuno -> 29 local: val1 15, val2 14 (DistributeBurn); remote
  // floor(99*15/29) = 51 + 1 remainder = 52 and floor(99*14/29) = 47.
  EXPECT_EQ(Must(Consumer::HandleBurn(ctx(), prov_,
                                      {{V("val1"), V("val2")}, {kJuno, A(99)}})),
            A(29));
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")))->remote, A(948));
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val2")))->remote, A(953));
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")))->local, A(285));
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val2")))->local, A(286));
}

TEST_F(ConsumerFlowTest, ZeroCapUnbondsStakeAlreadyUnstaked) {
  Start();
  Stake("val1", 1000);
  SetCap(1000);
  Epoch();
  SetCap(0);
  Must(Consumer::HandleUnstake(ctx(), prov_, {kUser, V("val1"), {kJuno, A(1000)}, 2}));
  EpochReport r = Epoch();
  EXPECT_EQ(r.unbonds, (ValidatorAmounts{{V("val1"), A(300)}}));
  EXPECT_TRUE(r.internal_unstakes.empty());
}

TEST_F(ConsumerFlowTest, ChannelCloseUnbondsEverything) {
  Start();
  Stake("val1", 1000);
  Stake("val2", 2000);
  SetCap(10000);
  Epoch();
  Must(Consumer::OnChannelClose(ctx(), prov_));
  EXPECT_TRUE(Must(VirtualStaking::ActualDelegations(ctx(), prov_)).empty());
  EXPECT_TRUE(Must(VirtualStaking::AllBondRequests(ctx(), prov_)).empty());
  ProviderState st = Must(Consumer::GetState(ctx(), prov_));
  EXPECT_FALSE(st.channel_open);
  EXPECT_EQ(st.total_delegated, A(0));
  EXPECT_EQ(st.minted, A(900));
  EXPECT_EQ(st.burned, A(900));
  ExpectInvariants(false);
}

TEST_F(ConsumerFlowTest, RewardsAreBatchedAndAFailedBatchIsAnnouncedAgain) {
  Start();
  Stake("val1", 1000);
  Stake("val2", 1000);
  SetCap(10000);
  Epoch();
  AccountAddress funder("funder");
  Must(staking::Bank::Mint(ctx(), funder, kStake, A(1000000)));
  external_supply_ = Must(external_supply_.Add(A(1000000)));
  Must(staking::Staking::AllocateRewards(ctx(), funder, kStake, A(1000000)));
  EpochReport r = Epoch();
  EXPECT_EQ(r.reward_validators, (Vals{V("val1"), V("val2")}));
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  const DistributeBatchPacket batch = std::get<DistributeBatchPacket>(out[0]);
  ASSERT_EQ(batch.rewards.size(), 2u);
  EXPECT_EQ(batch.denom, kStake);
  Amount sum = Must(batch.rewards[0].reward.Add(batch.rewards[1].reward));
  EXPECT_GT(sum, A(0));
  AccountAddress reserve = Rewards::ReserveAccount(prov_);
  EXPECT_EQ(Must(staking::Bank::Balance(ctx(), reserve, kStake)), sum);
  Must(Consumer::OnAcknowledgement(ctx(), prov_, out[0], /*success=*/false));
  EXPECT_EQ(Must(Rewards::Pending(ctx(), prov_)), batch.rewards);
  Epoch();
  out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<DistributeBatchPacket>(out[0]).rewards, batch.rewards);
  // The provider releases the rewards to a user.
  AccountAddress alice("alice");
  Must(Consumer::HandleTransferRewards(ctx(), prov_, {{kStake, sum}, alice, 7}));
  EXPECT_EQ(Must(staking::Bank::Balance(ctx(), alice, kStake)), sum);
  EXPECT_EQ(Consumer::HandleTransferRewards(ctx(), prov_, {{kStake, A(1)}, alice, 8}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Consumer::HandleTransferRewards(ctx(), prov_, {{kJuno, A(1)}, alice, 9}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ConsumerFlowTest, TimedOutPacketsAreQueuedAgain) {
  Start();
  ConsumerPacket p = DistributeBatchPacket{{RewardInfo{V("val1"), A(3)}}, kStake};
  Must(Consumer::OnTimeout(ctx(), prov_, p));
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0] == p);
}

// C-22: the reference only logs an error ack of a validator-set update, so
// the slashes and jails it carried are lost for good; here it is sent again
// (a success ack sends nothing).
TEST_F(ConsumerFlowTest, RefusedValsetUpdateIsQueuedAgain) {
  Start();
  ValsetUpdatePacket u;
  u.jailed = {V("val1")};
  ConsumerPacket p = u;
  Must(Consumer::OnAcknowledgement(ctx(), prov_, p, true));
  EXPECT_TRUE(Outbox().empty());
  Must(Consumer::OnAcknowledgement(ctx(), prov_, p, false));
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0] == p);
}

TEST_F(ConsumerFlowTest, CapsAreGovernedAndBoundedInTotal) {
  ProviderId other("other");
  RegisterProvider(other, "0.1");
  EXPECT_EQ(Consumer::SetMaxCap(ctx(), kUser, prov_, A(1)).code(),
            absl::StatusCode::kPermissionDenied);
  Must(Consumer::SetMaxCap(ctx(), kGov, prov_, A(6000000000)));
  absl::Status s = Consumer::SetMaxCap(ctx(), kGov, other, A(5000000000));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "amount exceeds total available max cap (used 6000000000 of 10000000000)");
  Must(Consumer::SetMaxCap(ctx(), kGov, other, A(4000000000)));
  Must(Consumer::SetMaxCap(ctx(), kGov, prov_, A(0)));  // lowering is always fine
  EXPECT_TRUE(Must(Consumer::GetState(ctx(), prov_)).has_max_cap);
  ProviderSetup bad{kJuno, D("1"), kOracle, 600, 50};
  EXPECT_EQ(Consumer::RegisterProvider(ctx(), kGov, ProviderId("x"), bad).code(),
            absl::StatusCode::kInvalidArgument);
  ProviderSetup ok{kJuno, D("0.1"), kOracle, 600, 50};
  EXPECT_EQ(Consumer::RegisterProvider(ctx(), kGov, other, ok).code(),
            absl::StatusCode::kFailedPrecondition);
}


// C-28 (issue 9): a forwarded slash cuts each record by what it held at the
// infraction height. user's 400 arrived at 100, user2's 300 at 103; an
// infraction at 102 cuts 40 from user alone (seed-404 shape), one at 104
// cuts user2's bond received before it too (the 300/30 of a bond delivered
// but not yet acked).
TEST_F(ConsumerFlowTest, ForwardedSlashCutsByWhatEachRecordHeldAtTheInfraction) {
  Start();
  const uint64_t first = block_.height;
  Stake("val1", 400);
  NextBlock(5);
  NextBlock(5);
  NextBlock(5);
  Must(Consumer::HandleStake(ctx(), prov_, {AccountAddress("user2"), V("val1"),
                                            {kJuno, A(300)}, 2}));
  EXPECT_EQ(Must(VirtualStaking::CutRecordsRemote(ctx(), prov_, V("val1"), A(40), first + 2)),
            A(40));
  auto user = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  auto user2 = *Must(VirtualStaking::GetRecord(ctx(), prov_, AccountAddress("user2"), V("val1")));
  EXPECT_EQ(user.remote, A(360));
  EXPECT_EQ(user.slash_debt, A(40));
  EXPECT_EQ(user2.remote, A(300));  // received after the infraction: not cut
  // An infraction after user2's bond: 10 % of 360 + 300 = 66, by 360 : 300.
  EXPECT_EQ(Must(VirtualStaking::CutRecordsRemote(ctx(), prov_, V("val1"), A(66), first + 4)),
            A(66));
  user = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  user2 = *Must(VirtualStaking::GetRecord(ctx(), prov_, AccountAddress("user2"), V("val1")));
  EXPECT_EQ(user.remote, A(324));
  EXPECT_EQ(user2.remote, A(270));
  // Nothing held at an infraction before both: nothing cut, 0 reported.
  EXPECT_EQ(Must(VirtualStaking::CutRecordsRemote(ctx(), prov_, V("val1"), A(50), first)), A(0));
}

// C-28 (issue 9): user's unstake of 400 was sent before the provider knew
// of the slash that cut its record to 360 (user2: 500 -> 450). The 40 the
// record lacks is the slash's (its debt), not user2's: user2 keeps 450 and
// the ack reports 40 absorbed.
TEST_F(ConsumerFlowTest, UnstakeInFlightDuringASlashDoesNotTakeFromOthers) {
  Start();
  Stake("val1", 400);
  Must(Consumer::HandleStake(ctx(), prov_, {AccountAddress("user2"), V("val1"),
                                            {kJuno, A(500)}, 2}));
  NextBlock(5);
  EXPECT_EQ(Must(VirtualStaking::CutRecordsRemote(ctx(), prov_, V("val1"), A(90),
                                                  block_.height)),
            A(90));
  Amount absorbed;
  Must(Consumer::HandleUnstake(ctx(), prov_, {kUser, V("val1"), {kJuno, A(400)}, 3}, &absorbed));
  EXPECT_EQ(absorbed, A(40));
  auto user = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  auto user2 = *Must(VirtualStaking::GetRecord(ctx(), prov_, AccountAddress("user2"), V("val1")));
  EXPECT_EQ(user.remote, A(0));
  EXPECT_EQ(user.slash_debt, A(0));
  EXPECT_EQ(user2.remote, A(450));
}

// Issue 9 (a): the only record on the validator, 400, is cut by 40 while
// the delegator's unstake of all 400 is in flight. The unstake is honest:
// it is accepted and the cut is absorbed (the provider unbonds 360); one
// unit more is refused.
TEST_F(ConsumerFlowTest, UnstakeOfTheWholePreSlashStakeIsAcceptedWhenAlone) {
  Start();
  Stake("val1", 400);
  NextBlock(5);
  EXPECT_EQ(Must(VirtualStaking::CutRecordsRemote(ctx(), prov_, V("val1"), A(40),
                                                  block_.height)),
            A(40));
  EXPECT_EQ(Consumer::HandleUnstake(ctx(), prov_, {kUser, V("val1"), {kJuno, A(401)}, 3}, nullptr)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  Amount absorbed;
  Must(Consumer::HandleUnstake(ctx(), prov_, {kUser, V("val1"), {kJuno, A(400)}, 4}, &absorbed));
  EXPECT_EQ(absorbed, A(40));
  auto user = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  EXPECT_EQ(user.remote, A(0));
  EXPECT_EQ(user.slash_debt, A(0));
}

}  // namespace
}  // namespace mesh::consumer::testing

namespace mesh::consumer::testing {
namespace {

// C-30 (random seed 14): user's record is leaving through a zero-cap
// internal unstake still in flight when the slash is forwarded; the
// provider may already have force-unbonded it, so it takes no share: the
// 60 is cut from user2's record only.
TEST_F(ConsumerFlowTest, RecordWithAnInternalUnstakeInFlightTakesNoShareOfASlash) {
  Start();
  Stake("val1", 400);
  Must(Consumer::HandleStake(ctx(), prov_, {AccountAddress("user2"), V("val1"),
                                            {kJuno, A(600)}, 2}));
  SetCap(1000);
  Epoch();
  SetCap(0);
  ASSERT_EQ(Epoch().internal_unstakes.size(), 2u);  // one per record, both in flight
  // user2's unstake is refused (error ack): only user's stays in flight.
  std::vector<ConsumerPacket> out = Outbox();
  ASSERT_EQ(out.size(), 2u);
  for (const ConsumerPacket& p : out) {
    const auto* u = std::get_if<InternalUnstakePacket>(&p);
    ASSERT_NE(u, nullptr);
    if (u->delegator == AccountAddress("user2")) {
      Must(Consumer::OnAcknowledgement(ctx(), prov_, p, /*success=*/false));
    }
  }
  NextBlock(5);
  EXPECT_EQ(Must(VirtualStaking::CutRecordsRemote(ctx(), prov_, V("val1"), A(60), block_.height)),
            A(60));
  auto user = *Must(VirtualStaking::GetRecord(ctx(), prov_, kUser, V("val1")));
  auto user2 = *Must(VirtualStaking::GetRecord(ctx(), prov_, AccountAddress("user2"), V("val1")));
  EXPECT_EQ(user.remote, A(400));
  EXPECT_EQ(user2.remote, A(540));
}

}  // namespace
}  // namespace mesh::consumer::testing
