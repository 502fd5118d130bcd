// Cross-chain tests: two and three mesh-security chains in one process
// (tests/harness/network.h), each a node::Chain on its own store, driven by
// signed txs and in-process relayers. Invariants are checked after every
// block by the harness.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "gtest/gtest.h"
#include "mesh/provider/slash_throttle.h"
#include "mesh/app/consumer_app.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/packets/packets.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/vault.h"
#include "staking/staking.h"
#include "tests/harness/network.h"

namespace mesh::harness {
namespace {

template <typename T>
T Must(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}
Dec D(const char* s) { return Must(Dec::Parse(s)); }
Amount A(u128 v) { return Amount(v); }

#define ASSERT_OK(expr)                      \
  do {                                       \
    absl::Status s_ = (expr);                \
    ASSERT_TRUE(s_.ok()) << s_.ToString();   \
  } while (0)

ChainSpec MakeChain(std::string id, std::string prefix, std::string denom) {
  ChainSpec c;
  c.id = std::move(id);
  c.prefix = std::move(prefix);
  c.denom = Denom(denom);
  c.staking.power_reduction = 1;
  c.staking.unbonding_time_s = 3600;
  c.staking.slash_fraction_double_sign = D("0.25");
  c.staking.slash_fraction_downtime = D("0.1");
  c.validators = {{"alice", A(1000000), Dec::Zero()}, {"bob", A(1000000), Dec::Zero()}};
  c.accounts = {{"user", A(100000)}, {"user2", A(100000)}, {"gov", A(1)}, {"oracle", A(1)}};
  c.epoch_length = 5;
  return c;
}

// osmo (provider) -> juno (consumer): price 0.5 juno per osmo, discount
// 0.5, so 1000 uosmo stand for 250 ujuno and back exactly (inv(0.5) = 2).
LinkSpec Link(std::string provider, std::string consumer, const char* price = "0.5",
              const char* discount = "0.5") {
  LinkSpec l;
  l.provider = std::move(provider);
  l.consumer = std::move(consumer);
  l.price = D(price);
  l.discount = D(discount);
  l.unbonding_period_s = 1000;
  // The link's fractions are the consumer's slashing parameters: the
  // provider refuses a ratio above them (docs/security.md).
  l.slash_dsign = D("0.25");
  l.slash_offline = D("0.1");
  return l;
}

NetworkSpec TwoChains() {
  NetworkSpec s;
  s.chains = {MakeChain("osmo", "osmo", "uosmo"), MakeChain("juno", "juno", "ujuno")};
  s.links = {Link("osmo", "juno")};
  return s;
}

using provider::LienHolder;
using provider::Vault;

class MeshTest : public ::testing::Test {
 protected:
  void Start(NetworkSpec spec) {
    net_ = Must(Network::Create(std::move(spec)));
    // Block 2: the initial valset updates reach the providers.
    ASSERT_OK(net_->AdvanceBlock());
  }
  provider::Stake Stake(const std::string& consumer = "juno", const std::string& val = "alice",
                        const std::string& user = "user", const std::string& prov = "osmo") {
    return Must(net_->ExternalStake(prov, user, consumer, val));
  }
  provider::AccountInfo Account(const std::string& user = "user",
                                const std::string& chain = "osmo") {
    return Must(Vault::Account(net_->ctx(chain), net_->Address(chain, user)));
  }
  provider::Lien Lien(const LienHolder& holder, const std::string& user = "user",
                      const std::string& chain = "osmo") {
    return Must(Vault::GetClaim(net_->ctx(chain), net_->Address(chain, user), holder));
  }
  // Bonds `collateral` and stakes `amount` on juno/alice, committed.
  void StakeCommitted(Amount collateral, Amount amount, const std::string& consumer = "juno",
                      const std::string& val = "alice") {
    ASSERT_OK(net_->Bond("osmo", "user", collateral));
    ASSERT_OK(net_->StakeRemote("osmo", "user", consumer, val, amount));
    ASSERT_OK(net_->AdvanceBlock());
    ASSERT_EQ(Stake(consumer, val).stake.low(), amount);
  }
  // Runs blocks until the consumers' next epoch has delegated.
  void Epoch() { ASSERT_OK(net_->AdvanceBlocks(5)); }
  std::vector<ibc::InFlight> Pending(const std::string& from, const std::string& to) {
    return Must(net_->Pending(from, to));
  }

  std::unique_ptr<Network> net_;
};

class TwoChainTest : public MeshTest {
 protected:
  void SetUp() override { Start(TwoChains()); }
};

TEST_F(TwoChainTest, StakeAckCommit) {
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  EXPECT_EQ(Stake().stake.low(), A(0));
  EXPECT_EQ(Stake().stake.high(), A(1000));
  EXPECT_EQ(Account().max_lien.high(), A(1000));
  EXPECT_EQ(Account().max_lien.low(), A(0));
  ASSERT_OK(net_->AdvanceBlock());  // received and acked in this block
  EXPECT_EQ(Stake().stake.low(), A(1000));
  EXPECT_EQ(Stake().stake.high(), A(1000));
  EXPECT_EQ(Account().max_lien.low(), A(1000));
  // 1000 uosmo * 0.5 * (1 - 0.5) = 250 ujuno requested.
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(250));
  EXPECT_TRUE(Must(Vault::AllPendingTxsDesc(net_->ctx("osmo"))).empty());
  Epoch();
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(250));
}

TEST_F(TwoChainTest, ErrorAckRollsBack) {
  net_->set_auto_relay(false);
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());  // the packet is sent at the end of the block
  std::vector<ibc::InFlight> p = Pending("osmo", "juno");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(Must(net_->relayer("osmo", "juno")
                     .DeliverErrorAck(p[0], absl::FailedPreconditionError("refused"))),
            ibc::Outcome::kApplied);
  EXPECT_EQ(Stake().stake.high(), A(0));
  EXPECT_EQ(Account().max_lien.high(), A(0));
  EXPECT_EQ(Account().free.low(), A(5000));
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(0));
  EXPECT_TRUE(Must(Vault::AllPendingTxsDesc(net_->ctx("osmo"))).empty());
  ASSERT_OK(net_->CheckInvariants());
  // The collateral is free again: the user can take it all out.
  ASSERT_OK(net_->Unbond("osmo", "user", A(5000)));
  EXPECT_EQ(Must(net_->UserBalance("osmo", "user")), A(100000));
}

// The consumer refuses a stake when its price is stale: its receive fails,
// the host writes an error ack, and the provider rolls back.
TEST_F(MeshTest, ConsumerRejectionBecomesErrorAckAndRollback) {
  NetworkSpec spec = TwoChains();
  spec.links[0].price_ttl_s = 100;
  Start(spec);
  ASSERT_OK(net_->AdvanceTime(100));
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  net_->set_auto_relay(false);
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> p = Pending("osmo", "juno");
  ASSERT_EQ(p.size(), 1u);
  ibc::RecvResult r = Must(net_->relayer("osmo", "juno").RelayPacket(p[0]));
  EXPECT_EQ(r.app_status.code(), absl::StatusCode::kFailedPrecondition);
  // The deterministic ICS-04 error ack: the numeric code only, never the
  // status text (docs/mesh-ibc.md, deviation 1).
  EXPECT_EQ(r.ack, R"({"error":"ABCI code: 9: error handling packet: see events for details"})");
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(0));
  Must(net_->relayer("osmo", "juno").RelayAck(p[0]));
  EXPECT_EQ(Stake().stake.high(), A(0));
  EXPECT_EQ(Account().max_lien.high(), A(0));
  // A fresh price makes the same request succeed.
  ASSERT_OK(net_->SetPrice("juno", "osmo", D("0.5")));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  net_->set_auto_relay(true);
  ASSERT_OK(net_->AdvanceBlocks(2));
  EXPECT_EQ(Stake().stake.low(), A(1000));
}

TEST_F(TwoChainTest, TimeoutRollsBack) {
  net_->set_auto_relay(false);
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> p = Pending("osmo", "juno");
  ASSERT_EQ(p.size(), 1u);
  // Not yet due: the host refuses the timeout.
  EXPECT_FALSE(net_->relayer("osmo", "juno").TimeOut(p[0]).ok());
  ASSERT_OK(net_->AdvanceTime(600));
  EXPECT_EQ(Must(net_->relayer("osmo", "juno").TimeOut(p[0])), ibc::Outcome::kApplied);
  EXPECT_EQ(Stake().stake.high(), A(0));
  EXPECT_EQ(Account().max_lien.high(), A(0));
  // The late packet can no longer be delivered.
  EXPECT_FALSE(net_->relayer("osmo", "juno").RelayPacket(p[0]).ok());
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(0));
  ASSERT_OK(net_->CheckInvariants());
}

TEST_F(TwoChainTest, UnstakeUsesUnbondingClockFromAckThenWithdraw) {
  StakeCommitted(A(5000), A(1000));
  Epoch();
  net_->set_auto_relay(false);
  ASSERT_OK(net_->UnstakeRemote("osmo", "user", "juno", "alice", A(400)));
  EXPECT_EQ(Stake().stake.low(), A(600));
  EXPECT_EQ(Stake().stake.high(), A(1000));
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> p = Pending("osmo", "juno");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].packet.data.substr(0, 11), R"({"unstake":)");
  Must(net_->relayer("osmo", "juno").RelayPacket(p[0]));
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(150));
  // The ack is relayed 100 s later: the unbonding period starts then.
  ASSERT_OK(net_->AdvanceTime(100));
  const uint64_t ack_time = net_->chain("osmo").time_ns();
  Must(net_->relayer("osmo", "juno").RelayAck(p[0]));
  provider::Stake s = Stake();
  EXPECT_EQ(s.stake.low(), A(600));
  EXPECT_EQ(s.stake.high(), A(600));
  ASSERT_EQ(s.pending_unbonds.size(), 1u);
  EXPECT_EQ(s.pending_unbonds[0].amount, A(400));
  EXPECT_EQ(s.pending_unbonds[0].release_at_ns, ack_time + 1000 * kNanosPerSecond);
  net_->set_auto_relay(true);
  // One second before release: nothing to withdraw, the lien stays.
  ASSERT_OK(net_->AdvanceTime(999));
  ASSERT_OK(net_->WithdrawUnbonded("osmo", "user", "juno"));
  EXPECT_EQ(Lien(LienHolder::External(provider::ConsumerId("juno"))).amount.high(), A(1000));
  ASSERT_OK(net_->AdvanceTime(1));
  ASSERT_OK(net_->WithdrawUnbonded("osmo", "user", "juno"));
  EXPECT_EQ(Lien(LienHolder::External(provider::ConsumerId("juno"))).amount.high(), A(600));
  EXPECT_TRUE(Stake().pending_unbonds.empty());
  ASSERT_OK(net_->Unbond("osmo", "user", A(4400)));
  EXPECT_FALSE(net_->Unbond("osmo", "user", A(1)).ok());
  EXPECT_EQ(Must(net_->UserBalance("osmo", "user")), A(100000 - 600));
  Epoch();
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(150));
}

TEST_F(TwoChainTest, UnstakeErrorAckRestoresStake) {
  StakeCommitted(A(5000), A(1000));
  net_->set_auto_relay(false);
  ASSERT_OK(net_->UnstakeRemote("osmo", "user", "juno", "alice", A(400)));
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> p = Pending("osmo", "juno");
  ASSERT_EQ(p.size(), 1u);
  Must(net_->relayer("osmo", "juno").DeliverErrorAck(p[0], absl::InternalError("x")));
  EXPECT_EQ(Stake().stake.low(), A(1000));
  EXPECT_EQ(Stake().stake.high(), A(1000));
  EXPECT_TRUE(Stake().pending_unbonds.empty());
  ASSERT_OK(net_->CheckInvariants());
}

TEST_F(TwoChainTest, JailOnConsumerBlocksNewStakeWithoutSlash) {
  StakeCommitted(A(5000), A(1000));
  Epoch();
  ASSERT_OK(net_->Jail("juno", "alice"));
  ASSERT_OK(net_->AdvanceBlocks(2));  // removal captured, sent, applied
  EXPECT_EQ(Stake().stake.high(), A(1000));  // jailing alone slashes nothing
  EXPECT_EQ(Account().bonded, A(5000));
  EXPECT_FALSE(net_->StakeRemote("osmo", "user", "juno", "alice", A(10)).ok());
  // Unjailed and bonded again: the provider re-activates it.
  ASSERT_OK(net_->Unjail("juno", "alice"));
  ASSERT_OK(net_->AdvanceBlocks(3));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(10)));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Stake().stake.low(), A(1010));
}

// A downtime slash on the consumer: 10% of the 250 ujuno virtual delegation
// is 25 ujuno = 100 uosmo at the inverted price; the provider cuts the
// user's stake and collateral by 100, and the local lien (above the new
// collateral) is burned by 100 as well (mesh-provider.md §4.4 case A).
TEST_F(TwoChainTest, DowntimeSlashCrossSlashesAndPropagatesToLocalStake) {
  ASSERT_OK(net_->Bond("osmo", "user", A(1000)));
  ASSERT_OK(net_->StakeLocal("osmo", "user", "alice", A(1000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());
  Epoch();
  ASSERT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(250));
  ASSERT_OK(net_->Downtime("juno", "alice", net_->chain("juno").height()));
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(225));
  ASSERT_OK(net_->AdvanceBlock());  // valset update with the slash delivered
  EXPECT_EQ(Stake().stake.low(), A(900));
  EXPECT_EQ(Stake().stake.high(), A(900));
  EXPECT_EQ(Account().bonded, A(900));
  EXPECT_EQ(Lien(LienHolder::Local()).amount.high(), A(900));
  EXPECT_EQ(Lien(LienHolder::External(provider::ConsumerId("juno"))).amount.high(), A(900));
  EXPECT_EQ(Must(provider::LocalStaking::User(net_->ctx("osmo"), net_->Address("osmo", "user")))
                .burned,
            A(100));
  // The consumer's records followed its own slash: both sides agree.
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(225));
  ASSERT_OK(net_->CheckInvariants());
  // Jailed on the provider's view: no new stake there.
  EXPECT_FALSE(net_->StakeRemote("osmo", "user", "juno", "alice", A(1)).ok());
}

// Double sign on the consumer: 25% of 250 = 62 ujuno slashed from the
// virtual delegation (62.5 truncated by staking), 248 uosmo at the inverted
// price; the validator is tombstoned, the consumer unbonds the rest at its
// next epoch and the provider releases unstakes from it at once.
TEST_F(TwoChainTest, DoubleSignTombstonesSlashesAndAutoUnbonds) {
  StakeCommitted(A(1000), A(1000));
  Epoch();
  const uint64_t h = net_->chain("juno").height();
  ASSERT_OK(net_->DoubleSign("juno", "alice", h));
  ASSERT_OK(net_->AdvanceBlock());
  // The report is held until verified evidence (P-38, the default); a
  // watcher's two conflicting votes apply it with juno's amounts.
  EXPECT_EQ(Stake().stake.high(), A(1000));
  ASSERT_OK(net_->SubmitConsumerDoubleVote("osmo", "juno", "alice", "user", h, "alice"));
  provider::Stake s = Stake();
  EXPECT_EQ(s.stake.high(), A(752));
  EXPECT_EQ(Account().bonded, s.stake.high());
  Epoch();
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(0));
  // Unstake from a tombstoned validator is released immediately.
  const Amount rest = Stake().stake.high();
  ASSERT_OK(net_->UnstakeRemote("osmo", "user", "juno", "alice", rest));
  ASSERT_OK(net_->AdvanceBlock());
  ASSERT_OK(net_->WithdrawUnbonded("osmo", "user", "juno"));
  EXPECT_EQ(Account().max_lien.high(), A(0));
  ASSERT_OK(net_->Unbond("osmo", "user", rest));
}

// P-43 / P-45 (random seeds 4, 12, 15 with link modes; issue 13): osmo's
// slash meter (allowance 30 power) is drained by a slash of juno's bob, so
// the report of alice's downtime waits in the queue. The consumer cut its
// records at once: user 1000 -> 900, user2 800 -> 720. While the report
// waits, user2's stake on osmo keeps his share of the 180 by the weights
// stored when it was queued, rounded up, + 1: ceil(180 × 800 / 1800) + 1 =
// 81, so his unstake of 720 is refused and one of 719 goes through (juno:
// 720 -> 1; the coarse reserve, min(800, 180), let only 620 through).
// Before P-45 he unstaked 800 and then his last 80, which juno took from
// user's record: user paid user2's share and ended at 820. One meter period
// later the provider handles the report: user2 pays his own 80 from the 81
// he kept: user 900 and user2 1 on both ends; then user2 unstakes his 1.
// The harness checks the agreement after every block.
TEST_F(MeshTest, QueuedSlashAfterTheLendersUnstakedKeepsTheLinkInAgreement) {
  NetworkSpec spec = TwoChains();
  spec.chains[0].slash_meter_fraction = D("0.000015");  // 2,000,000 power -> 30
  Start(spec);
  ASSERT_OK(net_->Bond("osmo", "user", A(2000)));
  ASSERT_OK(net_->Bond("osmo", "user2", A(2000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user2", "juno", "alice", A(800)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "bob", A(40)));
  ASSERT_OK(net_->AdvanceBlock());
  Epoch();
  ASSERT_OK(net_->Downtime("juno", "bob", net_->chain("juno").height()));
  ASSERT_OK(net_->AdvanceBlock());  // handled: the meter is 30 - 40 = -10
  EXPECT_EQ(Must(provider::SlashThrottle::State(net_->ctx("osmo"))).meter, -10);
  ASSERT_OK(net_->Downtime("juno", "alice", net_->chain("juno").height()));
  ASSERT_OK(net_->AdvanceBlock());
  ASSERT_EQ(Must(provider::SlashThrottle::Queue(net_->ctx("osmo"))).size(), 1u);
  EXPECT_EQ(Stake("juno", "alice", "user").stake.high(), A(1000));
  // user2's stake keeps his share of the 180 (80) + 1 while the slash waits.
  absl::Status refused = net_->UnstakeRemote("osmo", "user2", "juno", "alice", A(720));
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_NE(std::string(refused.message()).find("up to 719 can be unstaked"), std::string::npos)
      << refused;
  ASSERT_OK(net_->UnstakeRemote("osmo", "user2", "juno", "alice", A(719)));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Stake("juno", "alice", "user2").stake.high(), A(81));
  // One meter period later (the block after the time jump ends past the
  // candidate): -10 + 30 = 20, and the report is handled.
  ASSERT_OK(net_->AdvanceTime(3600));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_TRUE(Must(provider::SlashThrottle::Queue(net_->ctx("osmo"))).empty());
  EXPECT_EQ(Stake("juno", "alice", "user").stake.high(), A(900));   // was 820
  EXPECT_EQ(Stake("juno", "alice", "user2").stake.high(), A(1));  // paid his own 80
  ASSERT_OK(net_->UnstakeRemote("osmo", "user2", "juno", "alice", A(1)));
  ASSERT_OK(net_->AdvanceBlocks(2));
  EXPECT_EQ(Stake("juno", "alice", "user").stake.high(), A(900));
  EXPECT_EQ(Stake("juno", "alice", "user2").stake.high(), A(0));
  ASSERT_OK(net_->CheckInvariants());
}

// neighbours.md §5.5: two pieces of evidence for the same validator in one
// block, then downtime evidence for the tombstoned validator: one slash.
TEST_F(TwoChainTest, RepeatedEvidenceSlashesOnce) {
  StakeCommitted(A(1000), A(1000));
  Epoch();
  const uint64_t h = net_->chain("juno").height();
  ASSERT_OK(net_->DoubleSign("juno", "alice", h));
  ASSERT_OK(net_->DoubleSign("juno", "alice", h));
  ASSERT_OK(net_->Downtime("juno", "alice", h));
  ASSERT_OK(net_->AdvanceBlocks(2));
  EXPECT_EQ(Stake().stake.high(), A(1000));  // held for evidence (P-38)
  ASSERT_OK(net_->SubmitConsumerDoubleVote("osmo", "juno", "alice", "user", h, "alice"));
  EXPECT_FALSE(net_->SubmitConsumerDoubleVote("osmo", "juno", "alice", "user", h, "alice").ok());
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Stake().stake.high(), A(752));
  EXPECT_EQ(Account().bonded, A(752));
}

TEST_F(TwoChainTest, ZeroMaxCapSendsInternalUnstake) {
  StakeCommitted(A(5000), A(1000));
  Epoch();
  ASSERT_OK(net_->SetMaxCap("juno", "osmo", A(0)));
  net_->set_auto_relay(false);
  for (int i = 0; i < 5 && Pending("juno", "osmo").empty(); ++i) ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> p = Pending("juno", "osmo");
  ASSERT_EQ(p.size(), 1u);
  const std::string expected = absl::StrCat(
      R"({"internal_unstake":{"delegator":")", net_->Address("osmo", "user").value(),
      R"(","validator":")", net_->Valoper("juno", "alice").value(),
      R"(","normalize_amount":{"denom":"ujuno","amount":"250"},)"
      R"("inverted_amount":{"denom":"uosmo","amount":"1000"}}})");
  EXPECT_EQ(p[0].packet.data, expected);
  // The consumer keeps the stake until the success ack.
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(250));
  Must(net_->relayer("juno", "osmo").RelayPacket(p[0]));
  EXPECT_EQ(Stake().stake.high(), A(0));
  ASSERT_EQ(Stake().pending_unbonds.size(), 1u);
  EXPECT_EQ(Stake().pending_unbonds[0].release_at_ns, net_->chain("osmo").time_ns());
  Must(net_->relayer("juno", "osmo").RelayAck(p[0]));
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(0));
  net_->set_auto_relay(true);
  ASSERT_OK(net_->WithdrawUnbonded("osmo", "user", "juno"));
  EXPECT_EQ(Account().max_lien.high(), A(0));
  ASSERT_OK(net_->AdvanceBlock());
}

TEST_F(TwoChainTest, RewardsRoundTrip) {
  StakeCommitted(A(5000), A(1000));
  Epoch();
  ASSERT_OK(net_->AllocateRewards("juno", A(2000000000)));
  Epoch();  // withdrawn by the virtual account, announced, credited
  const Amount pending = Must(provider::ExternalStaking::PendingRewards(
      net_->ctx("osmo"), provider::ConsumerId("juno"), net_->Address("osmo", "user"),
      net_->Valoper("juno", "alice")));
  ASSERT_GT(pending, A(0));
  EXPECT_EQ(Must(net_->UserBalance("juno", "user")), A(100000));
  ASSERT_OK(net_->WithdrawRewards("osmo", "user", "juno", "alice"));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Must(net_->UserBalance("juno", "user")), Must(A(100000).Add(pending)));
  EXPECT_EQ(Must(provider::ExternalStaking::PendingRewards(
                net_->ctx("osmo"), provider::ConsumerId("juno"), net_->Address("osmo", "user"),
                net_->Valoper("juno", "alice"))),
            A(0));
  // Nothing left to withdraw.
  EXPECT_FALSE(net_->WithdrawRewards("osmo", "user", "juno", "alice").ok());
}

// ---------------------------------------------------------------- adversarial delivery

TEST_F(TwoChainTest, DuplicateDeliveryAndDuplicateAckAreRefused) {
  net_->set_auto_relay(false);
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> p = Pending("osmo", "juno");
  ASSERT_EQ(p.size(), 1u);
  ibc::Relayer& r = net_->relayer("osmo", "juno");
  Must(r.RelayPacket(p[0]));
  EXPECT_EQ(r.DeliverDuplicate(p[0]).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(250));
  EXPECT_EQ(Must(r.RelayAck(p[0])), ibc::Outcome::kApplied);
  absl::StatusOr<ibc::Outcome> again = r.RelayAck(p[0]);
  EXPECT_TRUE(!again.ok() || *again == ibc::Outcome::kNoop);
  EXPECT_EQ(Stake().stake.low(), A(1000));
  EXPECT_EQ(Stake().stake.high(), A(1000));
  ASSERT_OK(net_->CheckInvariants());
}

TEST_F(TwoChainTest, ReorderedPacketsAndAcksConverge) {
  net_->set_auto_relay(false);
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->Bond("osmo", "user2", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user2", "juno", "alice", A(600)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "bob", A(400)));
  ASSERT_OK(net_->AdvanceBlock());
  ibc::Relayer& r = net_->relayer("osmo", "juno");
  std::vector<ibc::InFlight> p = Pending("osmo", "juno");
  ASSERT_EQ(p.size(), 3u);
  Must(r.RelayPendingReversed());
  // Acks in yet another order: middle, last, first.
  for (int i : {1, 2, 0}) EXPECT_EQ(Must(r.RelayAck(p[i])), ibc::Outcome::kApplied);
  EXPECT_EQ(Stake("juno", "alice", "user").stake.low(), A(1000));
  EXPECT_EQ(Stake("juno", "alice", "user2").stake.low(), A(600));
  EXPECT_EQ(Stake("juno", "bob", "user").stake.low(), A(400));
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(400));
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "bob")), A(100));
  ASSERT_OK(net_->CheckInvariants());
}

// A reversed relay of two stake packets whose first one expired on the way:
// the expired stake is timed out and rolled back on the provider, the other
// is delivered and committed (ibc::Relayer::RelayPendingReversed).
TEST_F(TwoChainTest, ReversedRelayTimesOutTheExpiredPacket) {
  net_->set_auto_relay(false);
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());  // the first stake packet is sent
  std::vector<ibc::InFlight> first = Pending("osmo", "juno");
  ASSERT_EQ(first.size(), 1u);
  // Let juno pass the first packet's deadline, then send the second stake.
  const ibc::Timeout deadline = first[0].packet.timeout;
  while (!deadline.Expired(net_->ctx("juno").height(), net_->ctx("juno").time_ns())) {
    ASSERT_OK(net_->AdvanceTime(600));
  }
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "bob", A(400)));
  ASSERT_OK(net_->AdvanceBlock());
  ASSERT_EQ(Pending("osmo", "juno").size(), 2u);
  ibc::RelayStats stats;
  std::vector<ibc::RecvResult> got =
      Must(net_->relayer("osmo", "juno").RelayPendingReversed(&stats));
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(stats.received, 1);
  EXPECT_EQ(stats.timed_out, 1);
  EXPECT_TRUE(Pending("osmo", "juno").empty());
  EXPECT_EQ(Stake("juno", "alice").stake.high(), A(0));  // rolled back by the timeout
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(0));
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "bob")), A(100));
  net_->set_auto_relay(true);
  ASSERT_OK(net_->AdvanceBlock());  // the delivered packet's ack commits it
  EXPECT_EQ(Stake("juno", "bob").stake.low(), A(400));
  EXPECT_EQ(Stake("juno", "bob").stake.high(), A(400));
  EXPECT_EQ(Account().max_lien.high(), A(400));
}

// A stake is in flight while the consumer reports a slash (P-33): the slash
// waits for the stake's ack, whose receipt shows the consumer received the
// stake after the infraction; so only the committed 1000 is cut (100), on
// both ends, and they agree exactly afterwards.
TEST_F(TwoChainTest, StakeInFlightDuringSlashCommitsOnSlashedRange) {
  StakeCommitted(A(5000), A(1000));
  Epoch();
  net_->set_auto_relay(false);
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->Downtime("juno", "alice", net_->chain("juno").height()));
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> stake = Pending("osmo", "juno");
  std::vector<ibc::InFlight> valset = Pending("juno", "osmo");
  ASSERT_EQ(stake.size(), 1u);
  ASSERT_EQ(valset.size(), 1u);
  ibc::Relayer& r = net_->relayer("osmo", "juno");
  Must(r.RelayPacket(valset[0]));  // the slash arrives first and waits
  EXPECT_EQ(Stake().stake.low(), A(1000));
  EXPECT_EQ(Stake().stake.high(), A(2000));
  EXPECT_EQ(Must(provider::ExternalStaking::WaitingSlashes(net_->ctx("osmo"), provider::ConsumerId("juno"),
                                                 net_->Valoper("juno", "alice")))
                .size(),
            1u);
  Must(r.RelayPacket(stake[0]));
  Must(r.RelayAck(stake[0]));  // the ack resolves it: the stake is not cut
  Must(r.RelayAck(valset[0]));
  EXPECT_EQ(Stake().stake.low(), A(1900));
  EXPECT_EQ(Stake().stake.high(), A(1900));
  EXPECT_EQ(Account().bonded, A(4900));
  ASSERT_OK(net_->CheckInvariants());
}

// Issue 9: an unstake in flight when the consumer cuts. The slash waits
// for the unstake's ack; the consumer processed it after its cut (1000 ->
// 900, then 500 out), so the provider cuts the user's 1000 it held: 100
// from the committed 500. Both ends keep 400.
TEST_F(TwoChainTest, UnstakeInFlightDuringSlash) {
  StakeCommitted(A(5000), A(1000));
  Epoch();
  net_->set_auto_relay(false);
  ASSERT_OK(net_->UnstakeRemote("osmo", "user", "juno", "alice", A(500)));
  ASSERT_OK(net_->Downtime("juno", "alice", net_->chain("juno").height()));
  ASSERT_OK(net_->AdvanceBlock());
  ibc::Relayer& r = net_->relayer("osmo", "juno");
  std::vector<ibc::InFlight> unstake = Pending("osmo", "juno");
  std::vector<ibc::InFlight> valset = Pending("juno", "osmo");
  ASSERT_EQ(unstake.size(), 1u);
  ASSERT_EQ(valset.size(), 1u);
  Must(r.RelayPacket(valset[0]));  // waits for the unstake's ack
  EXPECT_EQ(Stake().stake.low(), A(500));
  EXPECT_EQ(Stake().stake.high(), A(1000));
  Must(r.RelayPacket(unstake[0]));
  Must(r.RelayAck(unstake[0]));
  Must(r.RelayAck(valset[0]));
  EXPECT_EQ(Stake().stake.low(), A(400));
  EXPECT_EQ(Stake().stake.high(), A(400));
  ASSERT_OK(net_->CheckInvariants());
}

// Issue 9's numbers: juno slashes 10 % for downtime and for a double sign,
// the link is configured with the same fractions, price 1 and no discount,
// so provider and consumer amounts are equal.
NetworkSpec TenPercentChains() {
  NetworkSpec s = TwoChains();
  s.chains[1].staking.slash_fraction_double_sign = D("0.1");
  s.chains[1].staking.slash_fraction_downtime = D("0.1");
  s.links = {Link("osmo", "juno", "1", "0")};
  s.links[0].slash_dsign = D("0.1");
  s.links[0].slash_offline = D("0.1");
  return s;
}

class InFlightSlashTest : public MeshTest {
 protected:
  // Reported double signs are applied on juno's word (the reference's
  // behaviour, P-38): these cases test the slash's timing against packets
  // in flight.
  void SetUp() override {
    NetworkSpec spec = TenPercentChains();
    for (LinkSpec& l : spec.links) l.require_verified_evidence = false;
    Start(std::move(spec));
  }
  // The consumer's record (provider denom) of `user` on alice.
  Amount Remote(const std::string& user) {
    auto rec = Must(consumer::VirtualStaking::GetRecord(
        net_->ctx("juno"), consumer::ProviderId("osmo"), net_->Address("osmo", user),
        net_->Valoper("juno", "alice")));
    return rec.has_value() ? rec->remote : A(0);
  }
  Amount Unbonding(const std::string& user) {
    Amount sum;
    for (const auto& u : Stake("juno", "alice", user).pending_unbonds) sum = Must(sum.Add(u.amount));
    return sum;
  }
  // `user` bonds `collateral` and stakes `amount` on alice: committed and
  // delegated by juno's epoch.
  void Staked(const std::string& user, Amount collateral, Amount amount) {
    ASSERT_OK(net_->Bond("osmo", user, collateral));
    ASSERT_OK(net_->StakeRemote("osmo", user, "juno", "alice", amount));
    ASSERT_OK(net_->AdvanceBlock());
    Epoch();
    ASSERT_EQ(Stake("juno", "alice", user).stake, provider::AmountRange(amount));
  }
  // Relays every packet juno has for osmo (the valset update carrying the
  // slash) and its ack.
  void RelayValset() {
    std::vector<ibc::InFlight> valset = Pending("juno", "osmo");
    ASSERT_FALSE(valset.empty());
    ibc::Relayer& r = net_->relayer("juno", "osmo");
    for (const auto& p : valset) {
      Must(r.RelayPacket(p));
      Must(r.RelayAck(p));
    }
  }
  // The unstake of `amount` by `user` in flight while juno slashes alice
  // for downtime (10 %) and the slash reaches osmo, where it waits.
  ibc::InFlight UnstakeInFlightDuringDowntime(const std::string& user, Amount amount) {
    net_->set_auto_relay(false);
    MESH_CHECK_OK(net_->UnstakeRemote("osmo", user, "juno", "alice", amount));
    MESH_CHECK_OK(net_->AdvanceBlock());
    std::vector<ibc::InFlight> unstake = Pending("osmo", "juno");
    MESH_CHECK(unstake.size() == 1u);
    MESH_CHECK_OK(net_->Downtime("juno", "alice", net_->chain("juno").height()));
    MESH_CHECK_OK(net_->AdvanceBlock());
    RelayValset();
    return unstake[0];
  }
};

// (a) 400 committed; the unstake of 400 is undelivered when juno cuts 10 %;
// the unstake is refused: both ends keep 360.
TEST_F(InFlightSlashTest, UnstakeInFlightDuringSlashThenErrorAckKeeps360OnBothEnds) {
  Staked("user", A(1000), A(400));
  ibc::InFlight unstake = UnstakeInFlightDuringDowntime("user", A(400));
  EXPECT_EQ(Remote("user"), A(360));
  EXPECT_EQ(Stake().stake, provider::AmountRange::Make(A(0), A(400)).value());
  Must(net_->relayer("osmo", "juno").DeliverErrorAck(unstake, absl::FailedPreconditionError("no")));
  EXPECT_EQ(Stake().stake, provider::AmountRange(A(360)));
  EXPECT_EQ(Remote("user"), A(360));
  EXPECT_EQ(Account().bonded, A(960));
  ASSERT_OK(net_->CheckInvariants());
}

// (a) the same, the unstake timing out.
TEST_F(InFlightSlashTest, UnstakeInFlightDuringSlashThenTimeoutKeeps360OnBothEnds) {
  Staked("user", A(1000), A(400));
  ibc::InFlight unstake = UnstakeInFlightDuringDowntime("user", A(400));
  ASSERT_OK(net_->AdvanceTime(600));
  EXPECT_EQ(Must(net_->relayer("osmo", "juno").TimeOut(unstake)), ibc::Outcome::kApplied);
  EXPECT_EQ(Stake().stake, provider::AmountRange(A(360)));
  EXPECT_EQ(Remote("user"), A(360));
  EXPECT_EQ(Account().bonded, A(960));
  ASSERT_OK(net_->CheckInvariants());
}

// (a) the same, the consumer processing the unstake after its cut: the user
// unbonds 360, not 400.
TEST_F(InFlightSlashTest, UnstakeInFlightDuringSlashThenSuccessUnbonds360) {
  Staked("user", A(1000), A(400));
  ibc::InFlight unstake = UnstakeInFlightDuringDowntime("user", A(400));
  ibc::Relayer& r = net_->relayer("osmo", "juno");
  ibc::RecvResult got = Must(r.RelayPacket(unstake));
  ASSERT_TRUE(got.app_status.ok()) << got.app_status;
  Must(r.RelayAck(unstake));
  EXPECT_EQ(Stake().stake, provider::AmountRange(A(0)));
  EXPECT_EQ(Unbonding("user"), A(360));
  EXPECT_EQ(Remote("user"), A(0));
  EXPECT_EQ(Account().bonded, A(960));
  ASSERT_OK(net_->CheckInvariants());
}

// (b) 300 delivered and delegated with its ack held; alice double signs
// (10 %): the consumer's record is 270, and after the ack the provider's.
TEST_F(InFlightSlashTest, BondDeliveredButUnackedDuringDoubleSignCommits270) {
  ASSERT_OK(net_->Bond("osmo", "user", A(1000)));
  net_->set_auto_relay(false);
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(300)));
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> stake = Pending("osmo", "juno");
  ASSERT_EQ(stake.size(), 1u);
  ibc::Relayer& r = net_->relayer("osmo", "juno");
  Must(r.RelayPacket(stake[0]));
  Epoch();
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(300));
  ASSERT_OK(net_->DoubleSign("juno", "alice", net_->chain("juno").height()));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Remote("user"), A(270));
  RelayValset();
  EXPECT_EQ(Stake().stake, provider::AmountRange::Make(A(0), A(300)).value());
  Must(r.RelayAck(stake[0]));
  EXPECT_EQ(Stake().stake, provider::AmountRange(A(270)));
  EXPECT_EQ(Account().bonded, A(970));
  ASSERT_OK(net_->CheckInvariants());
}

// (c) two users on alice: user committed 500, user2's unstake of its 400 in
// flight; the cut of 90 is 50 for user and 40 for user2.
TEST_F(InFlightSlashTest, TwoUsersEachLoseTheirOwnShareWithAnUnstakeInFlight) {
  Staked("user", A(2000), A(500));
  Staked("user2", A(2000), A(400));
  ibc::InFlight unstake = UnstakeInFlightDuringDowntime("user2", A(400));
  EXPECT_EQ(Remote("user"), A(450));
  ibc::Relayer& r = net_->relayer("osmo", "juno");
  Must(r.RelayPacket(unstake));
  Must(r.RelayAck(unstake));
  EXPECT_EQ(Stake().stake, provider::AmountRange(A(450)));
  EXPECT_EQ(Stake("juno", "alice", "user2").stake, provider::AmountRange(A(0)));
  EXPECT_EQ(Unbonding("user2"), A(360));
  EXPECT_EQ(Remote("user"), A(450));
  EXPECT_EQ(Remote("user2"), A(0));
  EXPECT_EQ(Account("user").bonded, A(1950));
  EXPECT_EQ(Account("user2").bonded, A(1960));
  ASSERT_OK(net_->CheckInvariants());
}

// (c) two users on alice: user committed 500, user2's stake of 400
// delivered and delegated with its ack held; the cut of 90 is 50 and 40.
TEST_F(InFlightSlashTest, TwoUsersEachLoseTheirOwnShareWithABondInFlight) {
  Staked("user", A(2000), A(500));
  ASSERT_OK(net_->Bond("osmo", "user2", A(2000)));
  net_->set_auto_relay(false);
  ASSERT_OK(net_->StakeRemote("osmo", "user2", "juno", "alice", A(400)));
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> stake = Pending("osmo", "juno");
  ASSERT_EQ(stake.size(), 1u);
  ibc::Relayer& r = net_->relayer("osmo", "juno");
  Must(r.RelayPacket(stake[0]));
  Epoch();
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(900));
  ASSERT_OK(net_->DoubleSign("juno", "alice", net_->chain("juno").height()));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Remote("user"), A(450));
  EXPECT_EQ(Remote("user2"), A(360));
  RelayValset();
  Must(r.RelayAck(stake[0]));
  EXPECT_EQ(Stake().stake, provider::AmountRange(A(450)));
  EXPECT_EQ(Stake("juno", "alice", "user2").stake, provider::AmountRange(A(360)));
  EXPECT_EQ(Account("user").bonded, A(1950));
  EXPECT_EQ(Account("user2").bonded, A(1960));
  ASSERT_OK(net_->CheckInvariants());
}

TEST_F(TwoChainTest, ValsetUpdateTimeoutIsResent) {
  net_->set_auto_relay(false);
  ASSERT_OK(net_->Jail("juno", "alice"));
  ASSERT_OK(net_->AdvanceBlock());  // removal captured at the end of the block
  ASSERT_OK(net_->AdvanceBlock());
  std::vector<ibc::InFlight> p = Pending("juno", "osmo");
  ASSERT_FALSE(p.empty());
  ASSERT_OK(net_->AdvanceTime(86400));
  ibc::Relayer& r = net_->relayer("juno", "osmo");
  for (const auto& x : p) EXPECT_EQ(Must(r.TimeOut(x)), ibc::Outcome::kApplied);
  std::vector<ibc::InFlight> again = Pending("juno", "osmo");
  ASSERT_EQ(again.size(), p.size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(again[i].packet.data, p[i].packet.data);
  Must(r.RelayAll());
  ASSERT_OK(net_->Bond("osmo", "user", A(10)));
  EXPECT_FALSE(net_->StakeRemote("osmo", "user", "juno", "alice", A(10)).ok());
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "bob", A(10)));
}

// The provider closes the channel while a stake is in flight: every stake
// becomes an immediately releasable unbond, the consumer unbonds all its
// virtual stake, and the in-flight packet times out on close and is rolled
// back without error (neighbours.md §5.5: a packet whose counterparty went
// away).
TEST_F(TwoChainTest, ProviderClosesChannelWithPacketInFlight) {
  StakeCommitted(A(5000), A(1000));
  Epoch();
  net_->set_auto_relay(false);
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(500)));
  ASSERT_OK(net_->AdvanceBlock());
  ASSERT_EQ(Pending("osmo", "juno").size(), 1u);
  const ChannelId ch = Must(net_->ProviderChannel("osmo", "juno"));
  ASSERT_OK(net_->relayer("osmo", "juno")
                .CloseChannel(net_->SideOf("osmo", "juno"), PortId(app::kProviderPort), ch));
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(0));
  ibc::RelayStats stats = Must(net_->RelayAll());
  EXPECT_EQ(stats.timed_out, 1);
  EXPECT_TRUE(Pending("osmo", "juno").empty());
  EXPECT_EQ(Stake().stake.high(), A(0));
  ASSERT_OK(net_->WithdrawUnbonded("osmo", "user", "juno"));
  EXPECT_EQ(Account().max_lien.high(), A(0));
  EXPECT_FALSE(net_->StakeRemote("osmo", "user", "juno", "alice", A(1)).ok());
  ASSERT_OK(net_->CheckInvariants());
  // The channel can never be opened again.
  EXPECT_FALSE(net_->relayer("juno", "osmo")
                   .OpenChannel(net_->SideOf("juno", "osmo"), PortId(app::kConsumerPort),
                                PortId(app::kProviderPort), ibc::Order::kUnordered, "")
                   .ok());
}

// ---------------------------------------------------------------- three chains

// osmo provides to juno and stars. One user's collateral of 1000 backs a
// local stake and both remote stakes of 1000. A downtime slash on juno cuts
// 100; the local lien and the stars lien are above the new collateral (900)
// and are burned by 100 each: a burn packet of 100 uosmo reaches stars.
TEST_F(MeshTest, SlashPropagatesToEveryAffectedConsumer) {
  NetworkSpec spec = TwoChains();
  spec.chains.push_back(MakeChain("stars", "stars", "ustars"));
  spec.links.push_back(Link("osmo", "stars", "2", "0.5"));  // 1000 uosmo = 1000 ustars
  Start(spec);
  ASSERT_OK(net_->Bond("osmo", "user", A(1000)));
  ASSERT_OK(net_->StakeLocal("osmo", "user", "alice", A(1000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "stars", "bob", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());
  Epoch();
  ASSERT_EQ(Must(net_->VirtualDelegation("stars", "osmo", "bob")), A(1000));
  ASSERT_OK(net_->Downtime("juno", "alice", net_->chain("juno").height()));
  ASSERT_OK(net_->AdvanceBlock());  // slash reaches osmo; burn queued for stars
  EXPECT_EQ(Account().bonded, A(900));
  EXPECT_EQ(Stake("juno", "alice").stake.high(), A(900));
  EXPECT_EQ(Stake("stars", "bob").stake.high(), A(900));
  EXPECT_EQ(Lien(LienHolder::Local()).amount.high(), A(900));
  ASSERT_OK(net_->AdvanceBlock());  // burn delivered to stars
  EXPECT_EQ(Must(net_->BondRequest("stars", "osmo", "bob")), A(900));
  Epoch();
  EXPECT_EQ(Must(net_->VirtualDelegation("stars", "osmo", "bob")), A(900));
  ASSERT_OK(net_->CheckInvariants());
}

// Issue 9: a 10 % native double-sign slash on the provider of a validator
// with 1000 locally staked (power 1,001,000 at the infraction: 100,100
// burned). The node's hook records the jailing, slashes, and takes from the
// user exactly what the delegation lost: delegation 900, local lien 900,
// collateral 900 (the old wiring took floor(900 x ratio) after the slash
// and left the lien at 910). The tombstoned validator leaves osmo's set for
// good, and the user's stake on it is released at once.
TEST_F(MeshTest, NativeDoubleSignSlashesLocalStakersByWhatTheDelegationLost) {
  NetworkSpec spec = TwoChains();
  spec.chains[0].staking.slash_fraction_double_sign = D("0.1");
  spec.chains[0].local_slash_dsign = D("0.1");
  Start(spec);
  ASSERT_OK(net_->Bond("osmo", "user", A(1000)));
  ASSERT_OK(net_->StakeLocal("osmo", "user", "alice", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());  // signing with the new power from here
  const ValidatorAddress alice = net_->Valoper("osmo", "alice");
  const AccountAddress proxy =
      provider::LocalStaking::ProxyAccount(net_->Address("osmo", "user"));
  auto delegation = [&] {
    return Must(staking::Staking::DelegationTokens(net_->ctx("osmo"), proxy, alice));
  };
  ASSERT_EQ(delegation(), A(1000));
  const uint64_t h = net_->chain("osmo").height();
  ASSERT_EQ(Must(staking::Staking::PowerAtHeight(net_->ctx("osmo"), alice, h)), 1001000u);
  ASSERT_OK(net_->DoubleSign("osmo", "alice", h));
  EXPECT_EQ(Must(net_->Validator("osmo", "alice")).tokens, A(900900));
  EXPECT_EQ(delegation(), A(900));
  EXPECT_EQ(Lien(LienHolder::Local()).amount.low(), A(900));
  EXPECT_EQ(Lien(LienHolder::Local()).amount.high(), A(900));
  EXPECT_EQ(Account().bonded, A(900));
  EXPECT_EQ(Must(provider::LocalStaking::User(net_->ctx("osmo"), net_->Address("osmo", "user")))
                .burned,
            A(0));
  ASSERT_OK(net_->AdvanceBlock());
  staking::Validator v = Must(net_->Validator("osmo", "alice"));
  EXPECT_TRUE(v.jailed);
  EXPECT_TRUE(v.tombstoned);
  EXPECT_FALSE(v.IsBonded());
  EXPECT_FALSE(net_->Unjail("osmo", "alice").ok());
  // Unstaking from the tombstoned validator is released at once.
  ASSERT_OK(net_->TxJson("osmo", "user",
                         absl::StrCat(R"({"@type":"/meshsec.v1.MsgLocalUnstake","validator":")",
                                      alice.value(), R"(","amount":"900"})")));
  ASSERT_OK(net_->TxJson("osmo", "user", R"({"@type":"/meshsec.v1.MsgLocalWithdrawUnbonded"})"));
  EXPECT_EQ(Account().max_lien.high(), A(0));
  ASSERT_OK(net_->Unbond("osmo", "user", A(900)));
  ASSERT_OK(net_->AdvanceBlocks(2));
  EXPECT_FALSE(Must(net_->Validator("osmo", "alice")).IsBonded());
  ASSERT_OK(net_->CheckInvariants());
}

// A slash for an infraction at a past height uses the power at that height
// (evidence semantics): downtime of osmo's alice at a height before the
// user's 1000 arrived burns 10 % of 1,000,000 = 100,000 from 1,001,000
// tokens; the user's delegation falls to floor(1000 x 901,000 / 1,001,000)
// = 900 and the lien with it.
TEST_F(MeshTest, NativeDowntimeAtAPastHeightUsesThePowerThen) {
  Start(TwoChains());
  const uint64_t before = net_->chain("osmo").height();
  ASSERT_OK(net_->Bond("osmo", "user", A(1000)));
  ASSERT_OK(net_->StakeLocal("osmo", "user", "alice", A(1000)));
  ASSERT_OK(net_->AdvanceBlocks(2));
  ASSERT_OK(net_->Downtime("osmo", "alice", before));
  EXPECT_EQ(Must(net_->Validator("osmo", "alice")).tokens, A(901000));
  EXPECT_EQ(Lien(LienHolder::Local()).amount.high(), A(900));
  EXPECT_EQ(Account().bonded, A(900));
  ASSERT_OK(net_->CheckInvariants());
}

// The same flow with every chain on RocksDB.
TEST_F(MeshTest, StakeAckCommitOnRocksDb) {
  NetworkSpec spec = TwoChains();
  const std::string dir = ::testing::TempDir() + "/meshapp_cross_chain_" +
                          std::to_string(reinterpret_cast<uintptr_t>(this));
  spec.chains[0].rocksdb_dir = dir + "_osmo";
  spec.chains[1].rocksdb_dir = dir + "_juno";
  Start(spec);
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Stake().stake.low(), A(1000));
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(250));
  net_.reset();
  std::filesystem::remove_all(dir + "_osmo");
  std::filesystem::remove_all(dir + "_juno");
}

// Two consumers report slashes of the same user in the same block
// (neighbours.md §5.5: evidence from two foreign chains at once).
TEST_F(MeshTest, SlashesFromTwoConsumersInOneBlock) {
  NetworkSpec spec = TwoChains();
  spec.chains.push_back(MakeChain("stars", "stars", "ustars"));
  spec.links.push_back(Link("osmo", "stars", "2", "0.5"));
  Start(spec);
  ASSERT_OK(net_->Bond("osmo", "user", A(1000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "stars", "bob", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());
  Epoch();
  net_->set_check_invariants(false);
  ASSERT_OK(net_->Downtime("juno", "alice", net_->chain("juno").height()));
  ASSERT_OK(net_->Downtime("stars", "bob", net_->chain("stars").height()));
  ASSERT_OK(net_->AdvanceBlocks(3));
  // juno's slash (100) first: collateral 900, the stars lien burned to 900;
  // then stars' slash of 100 over the remaining 900 cuts exactly the
  // reported 100 (P-23; the reference's floored effective ratio
  // 0.111111111111111111 cut 99, leaving the provider 1 above the consumer):
  // collateral 800, and the juno lien is burned by 100 to 800.
  EXPECT_EQ(Account().bonded, A(800));
  EXPECT_EQ(Stake("juno", "alice").stake.high(), A(800));
  EXPECT_EQ(Stake("stars", "bob").stake.high(), A(800));
  // stars: 1000 ustars - 100 slashed - 100 burned (100 uosmo at 2 x 0.5).
  EXPECT_EQ(Must(net_->BondRequest("stars", "osmo", "bob")), A(800));
  // juno: 250 - 25 slashed - 25 burned (100 uosmo normalise to 25 ujuno).
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(200));
  // Both ends agree exactly on the provider-denom stake: the consumers cut
  // their records by the reported slash and by the burn packet's amount.
  auto remote = [&](const std::string& consumer, const std::string& val) {
    auto rec = Must(consumer::VirtualStaking::GetRecord(
        net_->ctx(consumer), consumer::ProviderId("osmo"), net_->Address("osmo", "user"),
        net_->Valoper(consumer, val)));
    return rec.has_value() ? rec->remote : A(0);
  };
  EXPECT_EQ(remote("stars", "bob"), A(800));
  EXPECT_EQ(remote("juno", "alice"), A(800));
  net_->set_link_agreement_tolerance(Amount(0));
  absl::Status exact = net_->CheckInvariants();
  EXPECT_TRUE(exact.ok()) << exact.message();
}

// Every chain provides to and consumes from the other two.
TEST_F(MeshTest, ThreeChainFullMesh) {
  NetworkSpec spec;
  spec.chains = {MakeChain("osmo", "osmo", "uosmo"), MakeChain("juno", "juno", "ujuno"),
                 MakeChain("stars", "stars", "ustars")};
  for (const char* p : {"osmo", "juno", "stars"}) {
    for (const char* c : {"osmo", "juno", "stars"}) {
      if (std::string(p) != c) spec.links.push_back(Link(p, c));
    }
  }
  Start(spec);
  for (const char* p : {"osmo", "juno", "stars"}) {
    ASSERT_OK(net_->Bond(p, "user", A(2000)));
    for (const char* c : {"osmo", "juno", "stars"}) {
      if (std::string(p) == c) continue;
      ASSERT_OK(net_->StakeRemote(p, "user", c, "alice", A(2000)));
    }
  }
  ASSERT_OK(net_->AdvanceBlock());
  Epoch();
  for (const char* p : {"osmo", "juno", "stars"}) {
    for (const char* c : {"osmo", "juno", "stars"}) {
      if (std::string(p) == c) continue;
      EXPECT_EQ(Must(net_->ExternalStake(p, "user", c, "alice")).stake.low(), A(2000));
      EXPECT_EQ(Must(net_->VirtualDelegation(c, p, "alice")), A(500)) << p << "->" << c;
    }
  }
  // juno's alice double-signs: 25% of each 500 ujuno virtual delegation is
  // 125 ujuno = 500 uosmo/ustars; osmo and stars cut their user's juno stake
  // and collateral to 1500, and burn 500 on the user's other consumer.
  const uint64_t h = net_->chain("juno").height();
  ASSERT_OK(net_->DoubleSign("juno", "alice", h));
  ASSERT_OK(net_->AdvanceBlock());  // the report reaches osmo and stars: held (P-38)
  for (const char* p : {"osmo", "stars"}) {
    EXPECT_EQ(Must(net_->ExternalStake(p, "user", "juno", "alice")).stake.high(), A(2000)) << p;
    ASSERT_OK(net_->SubmitConsumerDoubleVote(p, "juno", "alice", "user", h, "alice"));
  }
  ASSERT_OK(net_->AdvanceBlocks(3));
  for (const char* p : {"osmo", "stars"}) {
    const std::string other = std::string(p) == "osmo" ? "stars" : "osmo";
    EXPECT_EQ(Must(net_->ExternalStake(p, "user", "juno", "alice")).stake.high(), A(1500)) << p;
    EXPECT_EQ(Must(net_->ExternalStake(p, "user", other, "alice")).stake.high(), A(1500)) << p;
    EXPECT_EQ(Account("user", p).bonded, A(1500)) << p;
    EXPECT_EQ(Must(net_->BondRequest(other, p, "alice")), A(375)) << p << "->" << other;
  }
  // juno's own users are untouched.
  EXPECT_EQ(Must(net_->ExternalStake("juno", "user", "osmo", "alice")).stake.high(), A(2000));
  EXPECT_EQ(Account("user", "juno").bonded, A(2000));
  Epoch();
  ASSERT_OK(net_->CheckInvariants());
}

// ---------------------------------------------------------------- seeded random

// Random users' actions and relayer behaviour (reordering, error acks,
// timeouts, jailing without slashes) on the three-chain mesh; the harness
// checks every invariant after every block. MESH_SEED=<n> replays a seed.
// Validators joining and leaving the consumer's active set (max 3): a new
// validator with a larger self-bond enters, pushing the weakest (carol) out;
// the consumer's valset update carries the addition and the removal to the
// provider, which records dave Active and carol Unbonded. Staking on carol
// is then refused, and an unstake from her is released at its ack instead
// of after the 1000 s unbonding period (mesh-provider.md §3.3 commit_unstake).
// Raising max_validators brings carol back, and the provider re-activates her.
TEST_F(MeshTest, ValidatorsJoinAndLeaveTheActiveSet) {
  NetworkSpec spec = TwoChains();
  ChainSpec& juno = spec.chains[1];
  juno.staking.max_validators = 3;
  juno.validators.push_back({"carol", A(500000), Dec::Zero()});
  Start(std::move(spec));
  const provider::ConsumerId cid("juno");
  auto state = [&](const std::string& v) {
    return provider::RemoteStateName(Must(provider::RemoteValidators::CurrentState(
        net_->ctx("osmo"), cid, net_->Valoper("juno", v))));
  };
  auto history = [&](const std::string& v) {
    return Must(provider::RemoteValidators::Get(net_->ctx("osmo"), cid, net_->Valoper("juno", v)))
        .entries;
  };
  EXPECT_EQ(std::string(state("carol")), "active");
  StakeCommitted(A(5000), A(1000), "juno", "carol");
  Epoch();
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "carol")), A(250));

  // dave joins with 2,000,000: top 3 are dave, alice, bob; carol leaves.
  ASSERT_OK(net_->CreateValidator("juno", "dave", A(2000000), D("0.1")));
  EXPECT_EQ(Must(net_->Validator("juno", "dave")).status, staking::BondStatus::kUnbonded);
  EXPECT_EQ(std::string(state("dave")), "unknown");
  const uint64_t joined_at = net_->chain("juno").height();
  ASSERT_OK(net_->AdvanceBlock());  // end block: set change, valset update relayed
  EXPECT_EQ(Must(net_->Validator("juno", "dave")).status, staking::BondStatus::kBonded);
  EXPECT_EQ(Must(net_->Validator("juno", "dave")).tokens, A(2000000));
  EXPECT_EQ(Must(net_->Validator("juno", "carol")).status, staking::BondStatus::kUnbonding);
  EXPECT_EQ(std::string(state("dave")), "active");
  EXPECT_EQ(std::string(state("carol")), "unbonded");
  ASSERT_EQ(history("dave").size(), 1u);
  EXPECT_EQ(history("dave")[0].start_height, joined_at);
  ASSERT_EQ(history("carol").size(), 2u);
  EXPECT_EQ(history("carol")[0].state, provider::RemoteState::kUnbonded);
  EXPECT_EQ(history("carol")[0].start_height, joined_at);
  EXPECT_EQ(history("carol")[1].state, provider::RemoteState::kActive);
  // The harness knows dave by name (link agreement covers him too).
  EXPECT_EQ(net_->chain_spec("juno").validators.back().name, "dave");
  EXPECT_EQ(net_->CreateValidator("juno", "dave", A(1), Dec::Zero()).code(),
            absl::StatusCode::kInvalidArgument);

  // New stake: refused on carol, accepted on dave.
  EXPECT_FALSE(net_->StakeRemote("osmo", "user", "juno", "carol", A(10)).ok());
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "dave", A(400)));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Stake("juno", "dave").stake.low(), A(400));

  // Unstake from the unbonded carol: released at the ack.
  ASSERT_OK(net_->UnstakeRemote("osmo", "user", "juno", "carol", A(1000)));
  ASSERT_OK(net_->AdvanceBlock());
  provider::Stake s = Stake("juno", "carol");
  EXPECT_EQ(s.stake.high(), A(0));
  ASSERT_EQ(s.pending_unbonds.size(), 1u);
  EXPECT_EQ(s.pending_unbonds[0].release_at_ns, net_->chain("osmo").time_ns());
  ASSERT_OK(net_->WithdrawUnbonded("osmo", "user", "juno"));
  EXPECT_TRUE(Stake("juno", "carol").pending_unbonds.empty());
  EXPECT_EQ(Lien(LienHolder::External(cid)).amount.high(), A(400));
  EXPECT_EQ(Account().max_lien.high(), A(400));
  Epoch();
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "carol")), A(0));
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "dave")), A(100));

  // A validator too small to rank stays out: nothing reaches the provider.
  ASSERT_OK(net_->CreateValidator("juno", "erin", A(10), Dec::Zero()));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Must(net_->Validator("juno", "erin")).status, staking::BondStatus::kUnbonded);
  EXPECT_EQ(std::string(state("erin")), "unknown");

  // Room for four: carol (500,000) re-enters, erin still does not.
  ASSERT_OK(net_->SetMaxValidators("juno", 4));
  const uint64_t back_at = net_->chain("juno").height();
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Must(net_->Validator("juno", "carol")).status, staking::BondStatus::kBonded);
  EXPECT_EQ(std::string(state("carol")), "active");
  EXPECT_EQ(history("carol")[0].start_height, back_at);
  EXPECT_EQ(std::string(state("erin")), "unknown");
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "carol", A(10)));
  ASSERT_OK(net_->AdvanceBlock());
  EXPECT_EQ(Stake("juno", "carol").stake.low(), A(10));
  EXPECT_EQ(net_->SetMaxValidators("juno", 0).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_OK(net_->CheckInvariants());
}

void RunRandomMesh(bool with_slashes) {
  uint64_t seed = 20261123;
  if (const char* env = std::getenv("MESH_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::cout << "MESH_SEED=" << seed << std::endl;
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> chains = {"juno", "osmo", "stars"};
  const std::vector<std::string> users = {"user", "user2"};
  const std::vector<std::string> vals = {"alice", "bob"};
  NetworkSpec spec;
  for (const auto& c : chains) spec.chains.push_back(MakeChain(c, c, "u" + c));
  for (const auto& p : chains) {
    for (const auto& c : chains) {
      if (p != c) spec.links.push_back(Link(p, c));
    }
  }
  std::unique_ptr<Network> net = Must(Network::Create(spec));
  ASSERT_OK(net->AdvanceBlock());
  for (const auto& c : chains) {
    for (const auto& u : users) ASSERT_OK(net->Bond(c, u, A(50000)));
  }
  int ok_stakes = 0;
  int ok_unstakes = 0;
  for (int block = 0; block < 150; ++block) {
    SCOPED_TRACE(testing::Message() << "seed " << seed << " block " << block);
    const size_t pi = pick(3);
    const std::string p = chains[pi];
    const std::string c = chains[(pi + 1 + pick(2)) % 3];
    const std::string u = users[pick(2)];
    const std::string v = vals[pick(2)];
    // User actions; rejections (insufficient collateral, inactive validator,
    // nothing to withdraw...) are fine, they must just leave no trace.
    switch (pick(6)) {
      case 0:
      case 1:
        ok_stakes += net->StakeRemote(p, u, c, v, A(1 + pick(3000))).ok();
        break;
      case 2: {
        const Amount low = Must(net->ExternalStake(p, u, c, v)).stake.low();
        if (!low.IsZero()) {
          ok_unstakes += net->UnstakeRemote(p, u, c, v, A(1 + pick(low.raw()))).ok();
        }
        break;
      }
      case 3:
        (void)net->WithdrawUnbonded(p, u, c);
        break;
      case 4:
        (void)net->StakeLocal(p, u, v, A(1 + pick(500)));
        break;
      case 5:
        (void)net->Unbond(p, u, A(1 + pick(1000)));
        break;
    }
    // Relayer behaviour for this block.
    const size_t mode = pick(10);
    net->set_auto_relay(mode >= 4);
    if (mode == 0) {
      // Refused (as it must be) when a packet has already timed out.
      (void)net->relayer(p, c).RelayPendingReversed();
    } else if (mode == 1) {
      auto pending = Must(net->relayer(p, c).PendingPackets());
      if (!pending.empty()) {
        (void)net->relayer(p, c).DeliverErrorAck(pending[pick(pending.size())],
                                                 absl::UnavailableError("relayer says no"));
      }
    } else if (mode == 2) {
      ASSERT_OK(net->AdvanceTime(700));  // provider packets in flight time out
    } else if (mode == 3 && pick(4) == 0) {
      const std::string jc = chains[pick(3)];
      const staking::Validator val = Must(net->Validator(jc, v));
      if (val.jailed) {
        (void)net->Unjail(jc, v);
      } else if (!with_slashes) {
        ASSERT_OK(net->Jail(jc, v));
      } else if (pick(2) == 0) {
        ASSERT_OK(net->Downtime(jc, v, net->chain(jc).height()));
      } else if (!val.tombstoned) {
        ASSERT_OK(net->DoubleSign(jc, v, net->chain(jc).height()));
      }
    }
    ASSERT_OK(net->AdvanceBlock());
  }
  net->set_auto_relay(true);
  ASSERT_OK(net->AdvanceTime(90000));  // every timeout due, every resend delivered
  ASSERT_OK(net->AdvanceBlocks(10));
  for (const auto& l : spec.links) {
    EXPECT_TRUE(Must(net->Pending(l.provider, l.consumer)).empty());
  }
  // The run did exercise the protocol.
  std::cout << "stakes " << ok_stakes << ", unstakes " << ok_unstakes << std::endl;
  EXPECT_GE(ok_stakes, 10);
  EXPECT_GE(ok_unstakes, 1);
}

TEST(RandomMeshTest, SeededActionsKeepInvariants) { RunRandomMesh(false); }

// With downtime and double-sign slashes injected: supply, staking and vault
// invariants after every block, and exact provider/consumer agreement on
// every validator of every quiet link.
TEST(RandomMeshTest, SeededActionsWithSlashesKeepInvariants) { RunRandomMesh(true); }

// A hostile consumer (issue 9): hand-built valset updates sent through the
// consumer's IBC host. A 100 % cut (ratio 1, above the link's fraction) is
// refused; a slash of a validator never reported is refused and leaves
// nothing behind; the whole stake reported under a 10 % ratio cuts 10 %
// (P-30 .. P-32).
TEST_F(TwoChainTest, HostileSlashReportsAreRefusedOrClipped) {
  StakeCommitted(A(1000), A(1000));
  const ChannelId ch = Must(net_->ConsumerChannel("juno", "osmo"));
  const std::string alice = net_->Valoper("juno", "alice").value();
  auto send = [&](const std::string& tombstoned, const std::string& v, const char* amount,
                  const char* ratio) {
    const std::string data =
        R"({"valset_update":{"height":3,"time":3,"additions":[],"removals":[],"updated":[],)"
        R"("jailed":[],"unjailed":[],"tombstoned":[)" + tombstoned + R"(],"slashed":[)"
        R"({"address":")" + v + R"(","infraction_height":2,"infraction_time":2,"power":1,)"
        R"("slash_amount":{"denom":"uosmo","amount":")" + amount + R"("},"slash_ratio":")" +
        ratio + R"("}]}})";
    Context ctx = net_->ctx("juno");
    Must(net_->host("juno").SendPacket(ctx, PortId(app::kConsumerPort), ch,
                                       ibc::Timeout::AtTimeNs(ctx.time_ns() + 3600 * kNanosPerSecond),
                                       data));
    std::vector<ibc::InFlight> p = Pending("juno", "osmo");
    EXPECT_FALSE(p.empty());
    return Must(net_->relayer("juno", "osmo").RelayPacket(p.back()));
  };
  // 100 % with ratio 1: above the link's double-sign fraction 0.25.
  ibc::RecvResult r = send("\"" + alice + "\"", alice, "1000", "1");
  EXPECT_EQ(r.app_status.message(), "slash ratio 1 exceeds the configured double-sign fraction 0.25");
  EXPECT_EQ(Stake().stake.high(), A(1000));
  // A validator the provider never heard of: refused, nothing deferred.
  r = send("", net_->Valoper("juno", "nobody").value(), "1", "0.1");
  EXPECT_EQ(r.app_status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(net_->ctx("osmo")
                   .store()
                   .ScanPrefix(provider::tables::Prefix(provider::tables::kExtDeferredSlashes, "juno"))
                   ->Valid());
  // The whole stake reported under the downtime fraction 0.1: 10 % cut.
  r = send("", alice, "1000", "0.1");
  EXPECT_TRUE(r.app_status.ok()) << r.app_status;
  EXPECT_EQ(Stake().stake.high(), A(900));
}

}  // namespace
}  // namespace mesh::harness
