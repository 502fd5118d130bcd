// Link modes across chains (docs/shared-security.md): replicated and opt-in
// (partial-set) links beside mesh links, on the same engine. Two and three
// chains in one process (tests/harness/network.h); the harness checks after
// every block that a quiet replicated / opt-in link's consumer runs exactly
// the set its provider last sent, that every consumer validator has stake on
// the provider and that power caps hold.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/crypto.h"
#include "core/status.h"
#include "ibc/state.h"
#include "gtest/gtest.h"
#include "mesh/consumer/ccv.h"
#include "mesh/packets/ccv.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/consumer_keys.h"
#include "meshsec/v1/msgs.pb.h"
#include "node/staking_msgs.h"
#include "node/tx.h"
#include "staking/bank.h"
#include "staking/staking.h"
#include "tests/harness/network.h"

namespace mesh::harness {
namespace {

using consumer::ccv::CcvConsumer;
using provider::CcvProvider;
using provider::LinkMode;
using Powers = std::map<std::string, int64_t>;

template <typename T>
T Must(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}
Dec D(const char* s) { return Must(Dec::Parse(s)); }

#define ASSERT_OK(expr)                    \
  do {                                     \
    absl::Status s_ = (expr);              \
    ASSERT_TRUE(s_.ok()) << s_.ToString(); \
  } while (0)

// Powers are tokens / 1000: alice 40, bob 30, carol 20, dave 10.
ChainSpec Hub() {
  ChainSpec c;
  c.id = "hub";
  c.prefix = "hub";
  c.denom = Denom("uhub");
  c.staking.power_reduction = 1000;
  c.staking.unbonding_time_s = 3600;
  c.validators = {{"alice", Amount(40000), Dec::Zero()},
                  {"bob", Amount(30000), Dec::Zero()},
                  {"carol", Amount(20000), Dec::Zero()},
                  {"dave", Amount(10000), Dec::Zero()}};
  c.accounts = {{"user", Amount(100000)}, {"gov", Amount(1)}};
  return c;
}

ChainSpec Consumer(std::string id) {
  ChainSpec c;
  c.id = id;
  c.prefix = id;
  c.denom = Denom("u" + id);
  c.staking.power_reduction = 1000;
  c.validators = {{"n1", Amount(10000), Dec::Zero()}, {"n2", Amount(10000), Dec::Zero()}};
  c.accounts = {{"user", Amount(100000)}, {"gov", Amount(1)}, {"oracle", Amount(1)}};
  c.epoch_length = 2;
  c.liveness.signed_blocks_window = 10;
  c.liveness.min_signed_per_window = D("0.5");
  return c;
}

LinkSpec Ccv(std::string consumer, LinkMode mode) {
  LinkSpec l;
  l.provider = "hub";
  l.consumer = std::move(consumer);
  l.mode = mode;
  l.blocks_per_epoch = 5;
  return l;
}

class LinkModesTest : public ::testing::Test {
 protected:
  void Start(NetworkSpec spec) { net_ = Must(Network::Create(std::move(spec))); }
  Network& net() { return *net_; }
  std::string Key(const std::string& chain, const std::string& v) {
    return Must(net().ConsensusKey(chain, v));
  }
  Powers Set(const std::string& chain) { return Must(net().ConsensusSet(chain)); }
  Powers Bonded() { return Must(net().BondedSet("hub", "neutron")); }
  uint64_t HubHeight() { return net().chain("hub").height(); }
  // Advances until the hub's open block is at `mod` modulo the epoch (5).
  void AdvanceToHubPhase(uint64_t mod) {
    while (HubHeight() % 5 != mod) ASSERT_OK(net().AdvanceBlock());
  }
  std::unique_ptr<Network> net_;
};

TEST_F(LinkModesTest, ReplicatedConsumerRunsOnTheProviderBondedSet) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  const Powers native = Set("neutron");
  ASSERT_EQ(native.size(), 2u);
  ASSERT_OK(net().AdvanceBlocks(2));  // VSC 1 sent at the end of block 1, applied in block 2
  const Powers set = Set("neutron");
  EXPECT_EQ(set, Bonded());
  EXPECT_EQ(set, (Powers{{Key("hub", "alice"), 40},
                         {Key("hub", "bob"), 30},
                         {Key("hub", "carol"), 20},
                         {Key("hub", "dave"), 10}}));
  for (const auto& [key, power] : native) EXPECT_FALSE(set.contains(key));
  // HtoVSC on the consumer / VSCtoH on the provider.
  const Context cc = net().ctx("neutron");
  EXPECT_EQ(Must(CcvConsumer::VscIdAt(cc, 2)), 0u);
  EXPECT_EQ(Must(CcvConsumer::VscIdAt(cc, 3)), 1u);
  EXPECT_EQ(Must(CcvProvider::VscHeight(net().ctx("hub"), 1)), std::optional<uint64_t>(2));
  // The consumer's own native staking still runs but no longer sets consensus.
  ASSERT_OK(net().AdvanceBlocks(5));
  EXPECT_EQ(Set("neutron"), Bonded());
}

// What the consumer's application returns to consensus: nothing from the
// provider before the first VSC; at the switch, power 0 for its native
// validators and the provider's set; afterwards only the provider's changes.
TEST_F(LinkModesTest, ConsumerEndBlockSwitchesConsensusToTheProvider) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  ASSERT_OK(net().AdvanceBlock());  // block 1: VSC sent by the hub, received in block 2
  EXPECT_TRUE(net().LastUpdates("neutron").empty());
  ASSERT_OK(net().AdvanceBlock());  // block 2 ends: the VSC is applied
  Powers got;
  for (const app::ConsensusUpdate& u : net().LastUpdates("neutron")) got[u.pub_key] = u.power;
  EXPECT_EQ(got, (Powers{{Key("neutron", "n1"), 0},
                         {Key("neutron", "n2"), 0},
                         {Key("hub", "alice"), 40},
                         {Key("hub", "bob"), 30},
                         {Key("hub", "carol"), 20},
                         {Key("hub", "dave"), 10}}));
  // A native change on the consumer no longer reaches consensus.
  ASSERT_OK(net().CreateValidator("neutron", "n3", Amount(50000), Dec::Zero()));
  ASSERT_OK(net().AdvanceBlock());
  EXPECT_TRUE(net().LastUpdates("neutron").empty());
  EXPECT_EQ(Set("neutron"), Bonded());
}

TEST_F(LinkModesTest, HandshakeFollowsTheCcvRules) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  const PortId consumer_port(std::string(packets::ccv::kConsumerPort));
  const PortId provider_port(std::string(packets::ccv::kProviderPort));
  // A second CCV channel, an UNORDERED one, a wrong version, or a channel
  // opened by the provider: all refused.
  EXPECT_FALSE(net().OpenChannel("neutron", "hub", consumer_port, provider_port,
                                 ibc::Order::kOrdered, "1").ok());
  EXPECT_FALSE(net().OpenChannel("neutron", "hub", consumer_port, provider_port,
                                 ibc::Order::kUnordered, "1").ok());
  EXPECT_FALSE(net().OpenChannel("neutron", "hub", consumer_port, provider_port,
                                 ibc::Order::kOrdered, "2").ok());
  EXPECT_FALSE(net().OpenChannel("hub", "neutron", provider_port, consumer_port,
                                 ibc::Order::kOrdered, "1").ok());
  ASSERT_OK(net().AdvanceBlocks(2));
  EXPECT_EQ(Set("neutron"), Bonded());
}

TEST_F(LinkModesTest, OneProviderMeshToOneChainReplicatedToAnother) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("juno"), Consumer("neutron")};
  LinkSpec mesh;
  mesh.provider = "hub";
  mesh.consumer = "juno";
  spec.links = {mesh, Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));  // juno's validators reach the hub
  ASSERT_OK(net().Bond("hub", "user", Amount(5000)));
  ASSERT_OK(net().StakeRemote("hub", "user", "juno", "n1", Amount(3000)));
  ASSERT_OK(net().AdvanceBlocks(6));
  // Mesh: juno holds the lent stake as virtual delegation; its consensus set
  // is its own (native validators).
  EXPECT_EQ(Must(net().BondRequest("juno", "hub", "n1")), Amount(3000));
  EXPECT_EQ(Must(net().VirtualDelegation("juno", "hub", "n1")), Amount(3000));
  const Powers juno = Set("juno");
  EXPECT_TRUE(juno.contains(Key("juno", "n1")));
  EXPECT_EQ(juno.at(Key("juno", "n1")), 13);  // 10000 own + 3000 virtual
  // Replicated: neutron runs on the hub's validators.
  EXPECT_EQ(Set("neutron"), Bonded());
  EXPECT_FALSE(Set("neutron").contains(Key("neutron", "n1")));
}

TEST_F(LinkModesTest, ProviderSetChangesReachTheConsumerAtTheNextEpoch) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  AdvanceToHubPhase(1);
  ASSERT_OK(net().CreateValidator("hub", "erin", Amount(50000), Dec::Zero()));
  ASSERT_OK(net().AdvanceBlock());
  EXPECT_FALSE(Set("neutron").contains(Key("hub", "erin")));  // mid-epoch: not yet
  AdvanceToHubPhase(0);     // the epoch block is open
  ASSERT_OK(net().AdvanceBlock());  // ...ends, VSC sent and received
  ASSERT_OK(net().AdvanceBlock());  // ...applied
  EXPECT_EQ(Set("neutron").at(Key("hub", "erin")), 50);
  EXPECT_EQ(Set("neutron"), Bonded());
  // A jailed provider validator leaves the consumer at the next epoch.
  ASSERT_OK(net().Jail("hub", "bob"));
  ASSERT_OK(net().AdvanceBlocks(7));
  EXPECT_FALSE(Set("neutron").contains(Key("hub", "bob")));
  EXPECT_EQ(Set("neutron"), Bonded());
  EXPECT_EQ(Set("neutron").size(), 4u);
}

// L-13: the ends agree by construction. The provider has
// unbonding_waits_for_maturity, the consumer's genesis does not: the
// provider's VSCs carry the setting, the consumer follows it (maturity with
// its own unbonding period, 7,200 s) and sends VSCMatured, so a hub
// undelegation (due after hub's 3,600 s) is held past its completion and
// paid once the VSC covering it matured on neutron — not held until removal,
// as when the consumer followed only its own setting.
TEST_F(LinkModesTest, ConsumerFollowsTheProvidersMaturityOption) {
  NetworkSpec spec;
  ChainSpec neutron = Consumer("neutron");
  neutron.staking.unbonding_time_s = 7200;
  spec.chains = {Hub(), neutron};
  LinkSpec link = Ccv("neutron", LinkMode::kReplicated);
  link.unbonding_waits_for_maturity = true;
  link.consumer_unbonding_waits_for_maturity = false;
  spec.links = {link};
  Start(spec);
  const provider::ConsumerId c("neutron");
  EXPECT_EQ(Must(CcvConsumer::MaturityPeriod(net().ctx("neutron"))), std::nullopt);  // genesis: off
  ASSERT_OK(net().AdvanceBlocks(2));
  // The first VSC asked for maturity: on, with neutron's unbonding period.
  EXPECT_EQ(Must(CcvConsumer::MaturityPeriod(net().ctx("neutron"))), std::optional<uint64_t>(7200));
  EXPECT_FALSE(Must(CcvConsumer::Maturities(net().ctx("neutron"))).empty());
  const AccountAddress user = net().Address("hub", "user");
  const ValidatorAddress bob = net().Valoper("hub", "bob");
  auto balance = [&] {
    return Must(staking::Bank::Balance(net().ctx("hub"), user, Denom("uhub")));
  };
  ASSERT_OK(net().Tx("hub", "user", node::DelegateMsg(user, bob, Denom("uhub"), Amount(5000))));
  ASSERT_OK(net().AdvanceBlock());
  ASSERT_OK(net().Tx("hub", "user", node::UndelegateMsg(user, bob, Denom("uhub"), Amount(3000))));
  ASSERT_OK(net().AdvanceBlock());
  EXPECT_EQ(balance(), Amount(95000));
  ASSERT_FALSE(Must(CcvProvider::Holds(net().ctx("hub"), c)).empty());
  ASSERT_OK(net().AdvanceBlocks(6));  // the next epoch's VSC reaches neutron
  // Past hub's unbonding period: held (neutron has not matured it yet).
  ASSERT_OK(net().AdvanceTime(3700));
  ASSERT_OK(net().AdvanceBlocks(3));
  EXPECT_EQ(balance(), Amount(95000));
  EXPECT_FALSE(Must(CcvProvider::Holds(net().ctx("hub"), c)).empty());
  // Past neutron's: VSCMatured came back, the hold is released and paid.
  ASSERT_OK(net().AdvanceTime(3600));
  ASSERT_OK(net().AdvanceBlocks(4));
  EXPECT_GT(Must(CcvProvider::MaturedVscId(net().ctx("hub"), c)), 1u);
  EXPECT_TRUE(Must(CcvProvider::Holds(net().ctx("hub"), c)).empty());
  EXPECT_EQ(balance(), Amount(98000));
  EXPECT_FALSE(Must(CcvProvider::State(net().ctx("hub"), c)).stopped);
}

// Key assignment (docs/shared-security.md, part 2) feeds the replicated
// link: after an epoch the consumer runs the assigned key instead of the
// provider key, and the provider maps the consumer key back.
TEST_F(LinkModesTest, AssignedConsumerKeyReplacesTheProviderKeyAtTheNextEpoch) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  const std::string assigned = Ed25519PrivateKey::FromSeed("alice-on-neutron").PublicKey();
  ::meshsec::v1::MsgAssignConsumerKey m;
  m.set_sender(net().Address("hub", "val/alice").value());
  m.set_consumer("neutron");
  m.set_validator(net().Valoper("hub", "alice").value());
  m.set_key(assigned);
  ASSERT_OK(net().Tx("hub", "val/alice", node::PackMsg(m)));
  ASSERT_OK(net().AdvanceBlock());
  EXPECT_TRUE(Set("neutron").contains(Key("hub", "alice")));  // until the next epoch
  AdvanceToHubPhase(0);
  ASSERT_OK(net().AdvanceBlock());  // the epoch ends: VSC sent and received
  ASSERT_OK(net().AdvanceBlock());  // ...applied
  const Powers set = Set("neutron");
  EXPECT_EQ(set.at(assigned), 40);
  EXPECT_FALSE(set.contains(Key("hub", "alice")));
  EXPECT_EQ(set.size(), 4u);
  EXPECT_EQ(set, Bonded());
  EXPECT_EQ(Must(provider::ProviderValidatorOf(net().ctx("hub"), provider::ConsumerId("neutron"),
                                               provider::ConsensusAddressOf(assigned))),
            std::optional<ValidatorAddress>(net().Valoper("hub", "alice")));
}

TEST_F(LinkModesTest, DowntimeOnReplicatedConsumerJailsAndSlashesOnTheProvider) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  LinkSpec l = Ccv("neutron", LinkMode::kReplicated);
  l.downtime_slash_fraction = D("0.1");
  l.downtime_jail_s = 1200;
  spec.links = {l};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  const std::string carol = Key("hub", "carol");
  const std::string carol_addr = provider::ConsensusAddressOf(carol);
  net().SetSigning("neutron", carol, false);
  int blocks = 0;
  while (!Must(net().Validator("hub", "carol")).jailed && blocks < 40) {
    ASSERT_OK(net().AdvanceBlock());
    ++blocks;
  }
  const staking::Validator v = Must(net().Validator("hub", "carol"));
  ASSERT_TRUE(v.jailed) << "carol not jailed after " << blocks << " blocks";
  // Slashed 10 % of its reported power 20 (x 1000 tokens): 2000 of 20000.
  EXPECT_EQ(v.tokens, Amount(18000));
  EXPECT_EQ(Must(CcvProvider::Burned(net().ctx("hub"))), Amount(2000));
  EXPECT_EQ(Must(CcvProvider::Punishments(net().ctx("hub"))), 1u);
  EXPECT_EQ(v.jailed_until_ns, net().chain("hub").time_ns() + 1200 * kNanosPerSecond);
  // Other validators are untouched; the consumer jails no one natively.
  EXPECT_FALSE(Must(net().Validator("hub", "alice")).jailed);
  EXPECT_FALSE(Must(net().Validator("neutron", "n1")).jailed);
  // The next epoch removes carol from the consumer and acks the slash.
  ASSERT_OK(net().AdvanceBlocks(7));
  EXPECT_FALSE(Set("neutron").contains(carol));
  EXPECT_EQ(Set("neutron"), Bonded());
  EXPECT_FALSE(Must(CcvConsumer::Outstanding(net().ctx("neutron"), carol_addr)));
  EXPECT_TRUE(Must(CcvConsumer::Queue(net().ctx("neutron"))).empty());
  // Once back and unjailed, carol returns to the consumer.
  net().SetSigning("neutron", carol, true);
  ASSERT_OK(net().AdvanceTime(1300));
  ASSERT_OK(net().Unjail("hub", "carol"));
  ASSERT_OK(net().AdvanceBlocks(7));
  EXPECT_EQ(Set("neutron").at(carol), 18);
}

// A replicated consumer's downtime slash lands, through VSCtoH, on a provider
// height at which the validator was jailed natively (jailed in the block right
// after the VSC was sent, unjailed before the delayed slash packet arrives).
// The provider chain is also a mesh consumer of osmo: its mesh role reports
// the slash of the lent stake to osmo, and both ends must cut the same.
TEST_F(LinkModesTest, ReplicatedDowntimeSlashAtAJailedHeightKeepsTheMeshLinkInAgreement) {
  NetworkSpec spec;
  ChainSpec osmo = Consumer("osmo");
  spec.chains = {Hub(), Consumer("neutron"), osmo};
  LinkSpec rep = Ccv("neutron", LinkMode::kReplicated);
  rep.downtime_slash_fraction = D("0.01");
  rep.downtime_jail_s = 60;
  LinkSpec mesh;
  mesh.provider = "osmo";
  mesh.consumer = "hub";
  spec.links = {rep, mesh};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  ASSERT_OK(net().Bond("osmo", "user", Amount(5000)));
  ASSERT_OK(net().StakeRemote("osmo", "user", "hub", "carol", Amount(3000)));
  ASSERT_OK(net().AdvanceBlocks(12));  // the hub's mesh epoch delegates the lent stake
  ASSERT_EQ(Must(net().VirtualDelegation("hub", "osmo", "carol")), Amount(3000));
  const std::string carol = Key("hub", "carol");
  // A new validator makes the hub send a VSC at the end of the epoch's last
  // block B; VSCtoH of that VSC is B + 1, and carol is jailed natively in
  // block B + 1.
  AdvanceToHubPhase(1);
  ASSERT_OK(net().CreateValidator("hub", "erin", Amount(5000), Dec::Zero()));
  ASSERT_OK(net().AdvanceBlock());
  AdvanceToHubPhase(1);
  const uint64_t jailed_at = HubHeight();
  ASSERT_OK(net().Jail("hub", "carol"));
  ASSERT_OK(net().AdvanceBlocks(2));  // neutron has received that VSC
  net().SetSigning("neutron", carol, false);
  net().set_auto_relay(false);
  ASSERT_OK(net().AdvanceBlocks(12));
  // neutron reports carol down with the vscID of that VSC: the hub will
  // slash her at the height she was jailed in.
  const auto queue = Must(CcvConsumer::Queue(net().ctx("neutron")));
  ASSERT_EQ(queue.size(), 1u);
  ASSERT_EQ(Must(CcvProvider::VscHeight(net().ctx("hub"), queue[0].vsc_id)),
            std::optional<uint64_t>(jailed_at));
  // carol is unjailed on the hub and back in its bonded set before the
  // packet arrives; the hub sends her to neutron again.
  ASSERT_OK(net().Unjail("hub", "carol"));
  ASSERT_OK(net().AdvanceBlocks(6));
  ASSERT_FALSE(Must(net().Validator("hub", "carol")).jailed);
  net().SetSigning("neutron", carol, true);
  net().set_auto_relay(true);
  ASSERT_EQ(Must(net().Validator("hub", "carol")).tokens, Amount(23000));  // 20000 + 3000 lent
  // Before the fix the hub's mesh role cut the lent stake by 1 % and reported
  // the slash at the jailed height, where osmo's history of carol says
  // jailed: osmo dropped it (provider 3000, consumer 2970). The harness
  // checks the osmo → hub agreement after every block.
  ASSERT_OK(net().AdvanceBlocks(20));
  EXPECT_EQ(Must(CcvProvider::Punishments(net().ctx("hub"))), 1u);
  EXPECT_EQ(Must(net().Validator("hub", "carol")).tokens, Amount(22770));  // 1 % of 23 power
  EXPECT_EQ(Must(net().VirtualDelegation("hub", "osmo", "carol")), Amount(2970));
  EXPECT_EQ(Must(net().ExternalStake("osmo", "user", "hub", "carol")).stake.low(), Amount(2970));
}

TEST_F(LinkModesTest, OptInConsumerSetWithPowerCap) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  LinkSpec l = Ccv("neutron", LinkMode::kOptIn);
  l.validators_power_cap = 30;
  l.opted_in = {"alice", "bob", "carol"};
  spec.links = {l};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  // Three validators cannot stay under 30 % each: equal powers, 90 / 3.
  EXPECT_EQ(Set("neutron"), (Powers{{Key("hub", "alice"), 30},
                                    {Key("hub", "bob"), 30},
                                    {Key("hub", "carol"), 30}}));
  // dave opts in: 40/30/20/10 capped at 30 → 30, 30, 25, 15.
  ASSERT_OK(net().OptIn("hub", "dave", "neutron"));
  ASSERT_OK(net().AdvanceBlocks(7));
  EXPECT_EQ(Set("neutron"), (Powers{{Key("hub", "alice"), 30},
                                    {Key("hub", "bob"), 30},
                                    {Key("hub", "carol"), 25},
                                    {Key("hub", "dave"), 15}}));
  // Pure opt-in (top N 0): alice may leave; 30/20/10 is infeasible again → 20 each.
  ASSERT_OK(net().OptOut("hub", "alice", "neutron"));
  ASSERT_OK(net().AdvanceBlocks(7));
  EXPECT_EQ(Set("neutron"), (Powers{{Key("hub", "bob"), 20},
                                    {Key("hub", "carol"), 20},
                                    {Key("hub", "dave"), 20}}));
}

TEST_F(LinkModesTest, TopNValidatorsCannotOptOutAndDenylistWins) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  LinkSpec l = Ccv("neutron", LinkMode::kOptIn);
  l.top_n = 50;  // alice + bob hold 70 %
  l.denylist = {"bob"};
  spec.links = {l};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  // bob is in the top N but denylisted: only alice validates.
  EXPECT_EQ(Set("neutron"), (Powers{{Key("hub", "alice"), 40}}));
  absl::Status s = net().OptOut("hub", "alice", "neutron");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("top N"), std::string::npos) << s;
  ASSERT_OK(net().OptIn("hub", "dave", "neutron"));
  ASSERT_OK(net().AdvanceBlocks(7));
  EXPECT_EQ(Set("neutron"), (Powers{{Key("hub", "alice"), 40}, {Key("hub", "dave"), 10}}));
  // dave is not in the top N: he may leave again.
  ASSERT_OK(net().OptOut("hub", "dave", "neutron"));
}

TEST_F(LinkModesTest, MalformedVscGetsAnErrorAckAndStopsTheConsumer) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  const Powers before = Set("neutron");
  const Context hc = net().ctx("hub");
  const ChannelId ch = Must(CcvProvider::State(hc, provider::ConsumerId("neutron"))).channel;
  ASSERT_TRUE(net()
                  .host("hub")
                  .SendPacket(hc, PortId(std::string(packets::ccv::kProviderPort)), ch,
                              ibc::Timeout::AtTimeNs(hc.time_ns() + 3600 * kNanosPerSecond),
                              R"({"validator_updates":[],"valset_update_id":"0"})")
                  .ok());
  ASSERT_OK(net().AdvanceBlock());
  EXPECT_TRUE(Must(CcvProvider::State(net().ctx("hub"), provider::ConsumerId("neutron"))).stopped);
  // No more VSCs: a new provider validator never reaches the consumer.
  ASSERT_OK(net().CreateValidator("hub", "erin", Amount(50000), Dec::Zero()));
  ASSERT_OK(net().AdvanceBlocks(8));
  EXPECT_EQ(Set("neutron"), before);
}

// ICS closes a stopped consumer's channel: a passed removal proposal makes
// the provider CloseInit its end at its next end block, and the relayer's
// CloseConfirm closes the consumer's end (which stops sending there).
TEST_F(LinkModesTest, RemovalProposalClosesTheCcvChannelOnBothEnds) {
  NetworkSpec spec;
  ChainSpec hub = Hub();
  hub.gov_voting_period_s = 100;
  hub.gov_min_deposit = Amount(1000);
  spec.chains = {hub, Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  const PortId provider_port(std::string(packets::ccv::kProviderPort));
  const PortId consumer_port(std::string(packets::ccv::kConsumerPort));
  const ChannelId ch = Must(CcvProvider::State(net().ctx("hub"), provider::ConsumerId("neutron"))).channel;
  auto state = [&](const std::string& chain, const PortId& port, const ChannelId& id) {
    std::optional<ibc::ChannelEnd> end = Must(ibc::GetChannel(net().ctx(chain).store(), port, id));
    EXPECT_TRUE(end.has_value());
    return end.has_value() ? end->state : ibc::ChannelState::kInit;
  };
  const ibc::ChannelEnd hub_end =
      *Must(ibc::GetChannel(net().ctx("hub").store(), provider_port, ch));
  ASSERT_EQ(hub_end.state, ibc::ChannelState::kOpen);
  ASSERT_EQ(state("neutron", consumer_port, hub_end.counterparty_channel),
            ibc::ChannelState::kOpen);
  ASSERT_OK(net().TxJson(
      "hub", "user",
      R"({"@type":"/meshsec.v1.MsgSubmitConsumerRemovalProposal","consumer":"neutron","deposit":"1000"})"));
  for (const char* v : {"val/alice", "val/bob"}) {
    ASSERT_OK(net().TxJson(
        "hub", v, R"({"@type":"/meshsec.v1.MsgVoteSlashProposal","proposal_id":"1","option":"yes"})"));
  }
  // Still open while the proposal is being voted on.
  ASSERT_OK(net().AdvanceBlock());
  EXPECT_EQ(state("hub", provider_port, ch), ibc::ChannelState::kOpen);
  ASSERT_OK(net().AdvanceTime(100));
  ASSERT_OK(net().AdvanceBlocks(2));
  EXPECT_TRUE(Must(CcvProvider::State(net().ctx("hub"), provider::ConsumerId("neutron"))).stopped);
  EXPECT_EQ(state("hub", provider_port, ch), ibc::ChannelState::kClosed);
  EXPECT_EQ(state("neutron", consumer_port, hub_end.counterparty_channel),
            ibc::ChannelState::kClosed);
  // Later blocks run with the closed channel (no close retried, no error).
  ASSERT_OK(net().AdvanceBlocks(3));
}

// A consumer stopped and removed in the same block (unbonding time 0): the
// provider's end block closes the channel before it deletes the consumer, so
// both ends are CLOSED once relayed. Staking refuses a zero unbonding period,
// so the stop is written into the hub's open block as if made one unbonding
// period (3,600 s) earlier: its removal is due at this block's end block, the
// one that first sees the consumer stopped — as with a period of 0.
TEST_F(LinkModesTest, StopAndRemovalInOneBlockClosesTheCcvChannelOnBothEnds) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  const provider::ConsumerId neutron("neutron");
  const PortId provider_port(std::string(packets::ccv::kProviderPort));
  const Context hc = net().ctx("hub");
  const ChannelId ch = Must(CcvProvider::State(hc, neutron)).channel;
  const ibc::ChannelEnd hub_end = *Must(ibc::GetChannel(hc.store(), provider_port, ch));
  ASSERT_EQ(hub_end.state, ibc::ChannelState::kOpen);
  const BlockInfo earlier{hc.block().chain_id, hc.height(), hc.time_ns() - 3600 * kNanosPerSecond};
  ASSERT_OK(CcvProvider::Stop(Context(&hc.store(), &earlier), neutron));
  EXPECT_EQ(Must(CcvProvider::RemovalTime(hc, neutron)), hc.time_seconds());
  ASSERT_OK(net().AdvanceBlock());
  EXPECT_EQ(Must(CcvProvider::Config(net().ctx("hub"), neutron)), std::nullopt);  // removed
  const ibc::ChannelEnd closed = *Must(ibc::GetChannel(net().ctx("hub").store(), provider_port, ch));
  EXPECT_EQ(closed.state, ibc::ChannelState::kClosed);
  const std::optional<ibc::ChannelEnd> cp = Must(ibc::GetChannel(
      net().ctx("neutron").store(), hub_end.counterparty_port, hub_end.counterparty_channel));
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->state, ibc::ChannelState::kClosed);
  EXPECT_TRUE(Must(CcvConsumer::Get(net().ctx("neutron")))->closed);
  ASSERT_OK(net().AdvanceBlocks(3));
}

// An error ack on a VSC stops the consumer; its channel is still open and
// the provider closes it (both ends CLOSED once relayed).
TEST_F(LinkModesTest, ErrorAckStopsTheConsumerAndClosesTheCcvChannel) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  spec.links = {Ccv("neutron", LinkMode::kReplicated)};
  Start(spec);
  ASSERT_OK(net().AdvanceBlocks(2));
  const Context hc = net().ctx("hub");
  const PortId provider_port(std::string(packets::ccv::kProviderPort));
  const ChannelId ch = Must(CcvProvider::State(hc, provider::ConsumerId("neutron"))).channel;
  ASSERT_TRUE(net()
                  .host("hub")
                  .SendPacket(hc, provider_port, ch,
                              ibc::Timeout::AtTimeNs(hc.time_ns() + 3600 * kNanosPerSecond),
                              R"({"validator_updates":[],"valset_update_id":"0"})")
                  .ok());
  ASSERT_OK(net().AdvanceBlocks(3));
  const ibc::ChannelEnd end = *Must(ibc::GetChannel(net().ctx("hub").store(), provider_port, ch));
  EXPECT_EQ(end.state, ibc::ChannelState::kClosed);
  const std::optional<ibc::ChannelEnd> cp =
      Must(ibc::GetChannel(net().ctx("neutron").store(), end.counterparty_port,
                           end.counterparty_channel));
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->state, ibc::ChannelState::kClosed);
}

TEST_F(LinkModesTest, GenesisRejectsBadLinkModes) {
  NetworkSpec spec;
  spec.chains = {Hub(), Consumer("neutron")};
  LinkSpec l = Ccv("neutron", LinkMode::kOptIn);
  l.top_n = 40;  // neither 0 nor in [50, 100]
  spec.links = {l};
  EXPECT_FALSE(Network::Create(spec).ok());
  l.top_n.reset();
  l.mode = LinkMode::kReplicated;
  l.top_n = 90;  // replicated is top N 100
  spec.links = {l};
  EXPECT_FALSE(Network::Create(spec).ok());
}

}  // namespace
}  // namespace mesh::harness
