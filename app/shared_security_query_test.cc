// meshsec.v1.SharedSecurityQuery over a real three-chain devnet served on
// loopback gRPC: chaina provides to chainb over a mesh link and to chainc
// over an opt-in link. The state is built by txs and packets: an opt-in and
// a key assignment (chainc), a double sign on chainb whose report reaches
// chaina while a stake on the validator is in flight (a slash waiting for
// its ack, table 0x6A) and after the meter ran dry (a throttled slash), and
// a slash proposal with two votes that passes (a punishment record).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "app/devnet.h"
#include "core/crypto.h"
#include "gtest/gtest.h"
#include "mesh/provider/consumer_keys.h"
#include "meshsec/v1/mesh_query.grpc.pb.h"
#include "meshsec/v1/msgs.pb.h"
#include "node/staking_msgs.h"
#include "node/tx.h"

namespace mesh::node {
namespace {

namespace pb = ::meshsec::v1;
using app::Devnet;
using Stub = pb::SharedSecurityQuery::Stub;

const std::vector<std::string> kIds = {"chaina", "chainb", "chainc"};
constexpr uint64_t kGenesis = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlockSeconds = 5;

#define ASSERT_OK(expr)                    \
  do {                                     \
    absl::Status s_ = (expr);              \
    ASSERT_TRUE(s_.ok()) << s_.ToString(); \
  } while (0)

// Demo key `name` of `chain` (Devnet::DemoKeys order).
AccountAddress Key(const std::string& chain, const std::string& name) {
  for (const app::DemoKey& k : Devnet::DemoKeys(chain, chain)) {
    if (k.name == name) return k.address;
  }
  return AccountAddress("");
}
ValidatorAddress Val(const std::string& chain, const std::string& name) {
  return *ValoperOfAccount(Key(chain, name));
}
// The key chaina's val0 assigns itself on chainc.
std::string AssignedKey() { return Ed25519PrivateKey::FromSeed("chainc/val0-assigned").PublicKey(); }
std::string HexAddress(std::string_view pubkey) {
  return absl::AsciiStrToUpper(ToHex(provider::ConsensusAddressOf(pubkey)));
}

SignedTx Sign(Devnet& net, const std::string& chain, const std::string& name,
              std::vector<Msg> msgs) {
  const AccountAddress who = Key(chain, name);
  const staking::BaseAccount acc = *net.app(chain).chain().GetAccount(who);
  TxSpec tx;
  tx.chain_id = chain;
  tx.account_number = acc.account_number;
  tx.sequence = acc.sequence;
  tx.msgs = std::move(msgs);
  return SignTx(PrivateKey::FromSeed(chain + "/" + name), tx);
}

Msg StakeRemote(const std::string& validator, const std::string& amount) {
  pb::MsgVaultStakeRemote m;
  m.set_sender(Key("chaina", "alice").value());
  m.set_consumer("chainb");
  m.set_validator(validator);
  m.set_amount(amount);
  return PackMsg(m);
}

template <typename Req, typename Resp>
grpc::Status Call(Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                  const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return (stub->*method)(&ctx, req, resp);
}

class SharedSecurityQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<app::GenesisDoc> docs;
    std::vector<std::unique_ptr<DurableStore>> stores;
    for (const std::string& id : kIds) {
      docs.push_back(Devnet::MeshGenesis(kIds, id, kGenesis));
      stores.push_back(std::make_unique<MemStore>());
    }
    // chaina: a meter of one unit that never refills during the test,
    // short votes, a small deposit; chainc is an opt-in consumer with val0
    // opted in at genesis.
    app::ProviderRole& pa = *docs[0].provider;
    pa.slash_meter_fraction = Dec::Zero();  // allowance 1 (the minimum)
    pa.slash_meter_period_s = 1000000;
    pa.gov_voting_period_s = 30;  // ends at chaina's block 16
    pa.gov_min_deposit = Amount(1000);
    for (app::ConsumerLink& l : pa.consumers) {
      // chainb's double-sign report is applied on its word (the reference's
      // behaviour, P-38), so it goes through the slash meter and the
      // waiting-slash table these queries show.
      if (l.consumer == "chainb") l.require_verified_evidence = false;
      if (l.consumer != "chainc") continue;
      l.mode = provider::LinkMode::kOptIn;
      l.shaping.top_n = 0;
      l.blocks_per_epoch = 2;
      l.opted_in = {Val("chaina", "val0")};
    }
    for (app::ProviderLink& l : docs[2].consumer->providers) {
      if (l.provider == "chaina") l.mode = provider::LinkMode::kOptIn;
    }
    auto net = Devnet::Open(std::move(docs), std::move(stores));
    ASSERT_TRUE(net.ok()) << net.status();
    net_ = *std::move(net);
    ASSERT_OK(net_->ProduceRound(kBlockSeconds));

    // alice bonds and stakes on chainb's val0 and val1; chaina's val1 opts
    // in to chainc and val0 assigns itself a key there.
    pb::MsgVaultBond bond;
    bond.set_sender(Key("chaina", "alice").value());
    bond.set_amount("20000000");
    net_->Queue("chaina", Sign(*net_, "chaina", "alice",
                               {PackMsg(bond), StakeRemote(Val("chainb", "val0").value(), "5000000"),
                                StakeRemote(Val("chainb", "val1").value(), "5000000")}));
    pb::MsgOptIn opt;
    opt.set_sender(Key("chaina", "val1").value());
    opt.set_consumer("chainc");
    net_->Queue("chaina", Sign(*net_, "chaina", "val1", {PackMsg(opt)}));
    pb::MsgAssignConsumerKey assign;
    assign.set_sender(Key("chaina", "val0").value());
    assign.set_consumer("chainc");
    assign.set_validator(Val("chaina", "val0").value());
    assign.set_key(AssignedKey());
    net_->Queue("chaina", Sign(*net_, "chaina", "val0", {PackMsg(assign)}));
    ASSERT_OK(net_->ProduceRound(kBlockSeconds));
    for (const TxResult& r : net_->last_results("chaina")) ASSERT_TRUE(r.ok()) << r.log;
    for (int i = 0; i < 6; ++i) ASSERT_OK(net_->ProduceRound(kBlockSeconds));

    // A slash proposal against chainb's val2 with two votes (val0's and
    // val1's bonds).
    pb::MsgSubmitSlashProposal prop;
    prop.set_sender(Key("chaina", "alice").value());
    prop.set_consumer("chainb");
    prop.set_validator(Val("chainb", "val2").value());
    infraction_height_ = net_->app("chainb").chain().height() - 1;
    prop.set_infraction_height(infraction_height_);
    prop.set_fraction("0.050000000000000000");
    prop.set_deposit("1000");
    net_->Queue("chaina", Sign(*net_, "chaina", "alice", {PackMsg(prop)}));
    ASSERT_OK(net_->ProduceRound(kBlockSeconds));
    for (const TxResult& r : net_->last_results("chaina")) ASSERT_TRUE(r.ok()) << r.log;
    pb::MsgVoteSlashProposal vote;
    vote.set_sender(Key("chaina", "val0").value());
    vote.set_proposal_id(1);
    vote.set_option("yes");
    net_->Queue("chaina", Sign(*net_, "chaina", "val0", {PackMsg(vote)}));
    vote.set_sender(Key("chaina", "val1").value());
    net_->Queue("chaina", Sign(*net_, "chaina", "val1", {PackMsg(vote)}));
    ASSERT_OK(net_->ProduceRound(kBlockSeconds));
    for (const TxResult& r : net_->last_results("chaina")) ASSERT_TRUE(r.ok()) << r.log;

    // One round made by hand: chaina sends another stake on val0 (no relay
    // into chaina), chainb's val0 and val1 double sign (no relay into chainb:
    // the stake stays in flight), chainc rests.
    app::Application& a = net_->app("chaina");
    ASSERT_OK(a.chain().BeginBlock(a.chain().time_ns() + kBlockSeconds * kNanosPerSecond));
    TxResult r = a.DeliverTx(
        Sign(*net_, "chaina", "alice", {StakeRemote(Val("chainb", "val0").value(), "1000000")}));
    ASSERT_TRUE(r.ok()) << r.log;
    ASSERT_TRUE(a.EndBlock().ok());
    ASSERT_TRUE(a.Commit().ok());
    app::Application& b = net_->app("chainb");
    ASSERT_OK(b.chain().BeginBlock(b.chain().time_ns() + kBlockSeconds * kNanosPerSecond));
    double_sign_height_ = b.chain().height() - 1;
    ASSERT_OK(b.HandleDoubleSign(Val("chainb", "val0"), double_sign_height_, 10000));
    ASSERT_OK(b.HandleDoubleSign(Val("chainb", "val1"), double_sign_height_, 10000));
    ASSERT_TRUE(b.EndBlock().ok());
    ASSERT_TRUE(b.Commit().ok());
    // chaina receives the report: val0's slash is let through the meter
    // (1 → 1 − 5) and waits for the stake in flight; val1's waits in the
    // meter's queue.
    ASSERT_OK(net_->ProduceRound(kBlockSeconds));

    auto addrs = net_->Serve("127.0.0.1", 0, 4);
    ASSERT_TRUE(addrs.ok()) << addrs.status();
    a_ = pb::SharedSecurityQuery::NewStub(
        grpc::CreateChannel(addrs->at(0), grpc::InsecureChannelCredentials()));
    b_ = pb::SharedSecurityQuery::NewStub(
        grpc::CreateChannel(addrs->at(1), grpc::InsecureChannelCredentials()));
    c_ = pb::SharedSecurityQuery::NewStub(
        grpc::CreateChannel(addrs->at(2), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (net_ != nullptr) net_->StopServing();
  }

  std::unique_ptr<Devnet> net_;
  std::unique_ptr<Stub> a_, b_, c_;
  uint64_t infraction_height_ = 0;
  uint64_t double_sign_height_ = 0;
};

TEST_F(SharedSecurityQueryTest, OptInConsumerWithItsSetOptInsAndKeyAssignment) {
  const std::string val0 = Val("chaina", "val0").value();
  const std::string val1 = Val("chaina", "val1").value();
  const std::string own1 = *net_->app("chaina").ConsensusPubkey(Val("chaina", "val1"));

  pb::QueryCcvConsumersResponse list;
  ASSERT_TRUE(Call(a_.get(), &Stub::CcvConsumers, pb::QueryCcvConsumersRequest(), &list).ok());
  ASSERT_EQ(list.consumers_size(), 1);  // chainb is a mesh link
  EXPECT_EQ(list.pagination().total(), 1u);
  const pb::CcvConsumerInfo& c = list.consumers(0);
  EXPECT_EQ(c.consumer(), "chainc");
  EXPECT_EQ(c.mode(), "opt_in");
  EXPECT_EQ(c.blocks_per_epoch(), 2u);
  EXPECT_EQ(c.power_shaping().top_n(), 0u);
  EXPECT_EQ(c.power_shaping().validators_power_cap(), 0u);
  EXPECT_EQ(c.power_shaping().allowlist_size(), 0);
  EXPECT_EQ(c.power_shaping().min_stake(), "0");
  EXPECT_EQ(c.downtime_slash_fraction(), "0.000000000000000000");
  EXPECT_EQ(c.downtime_jail_seconds(), 600u);
  EXPECT_EQ(c.connection_id(), Devnet::ConnectionFor(kIds, "chaina", "chainc").value());
  EXPECT_EQ(c.channel_id(), "channel-3");
  EXPECT_EQ(c.init_height(), 1u);  // the handshake block
  EXPECT_EQ(c.state(), "launched");
  EXPECT_EQ(c.validators(), 2u);
  EXPECT_EQ(c.opted_in(), 2u);
  EXPECT_EQ(c.pending_vscs(), 0u);  // every VSC was sent

  pb::QueryCcvConsumerRequest one;
  one.set_consumer("chainc");
  pb::QueryCcvConsumerResponse got;
  ASSERT_TRUE(Call(a_.get(), &Stub::CcvConsumer, one, &got).ok());
  EXPECT_EQ(got.consumer().SerializeAsString(), c.SerializeAsString());
  one.set_consumer("chainb");
  EXPECT_EQ(Call(a_.get(), &Stub::CcvConsumer, one, &got).error_code(), grpc::NOT_FOUND);
  one.clear_consumer();
  EXPECT_EQ(Call(a_.get(), &Stub::CcvConsumer, one, &got).error_code(),
            grpc::INVALID_ARGUMENT);

  // The set last sent: val0 under its assigned key, val1 under its own.
  pb::QueryCcvConsumerSetRequest sreq;
  sreq.set_consumer("chainc");
  pb::QueryCcvConsumerSetResponse set;
  ASSERT_TRUE(Call(a_.get(), &Stub::CcvConsumerSet, sreq, &set).ok());
  ASSERT_EQ(set.validators_size(), 2);
  std::map<std::string, pb::CcvValidator> by_val;
  for (const pb::CcvValidator& v : set.validators()) by_val[v.validator()] = v;
  EXPECT_EQ(by_val[val0].consumer_key(), AssignedKey());
  EXPECT_EQ(by_val[val0].consumer_address(), "01264BA57B9B3E7606E8DBFADFD74B3DDAE98ECD");
  EXPECT_EQ(by_val[val0].power(), 10000u);
  EXPECT_EQ(by_val[val1].consumer_key(), own1);
  EXPECT_EQ(by_val[val1].consumer_address(), HexAddress(own1));
  EXPECT_EQ(by_val[val1].power(), 10000u);

  pb::QueryCcvPendingVscsRequest preq;
  preq.set_consumer("chainc");
  pb::QueryCcvPendingVscsResponse pending;
  ASSERT_TRUE(Call(a_.get(), &Stub::CcvPendingVscs, preq, &pending).ok());
  EXPECT_EQ(pending.vscs_size(), 0);
  EXPECT_EQ(pending.current_vsc_id(), 8u);

  // Opt-ins, one per page: val0 (genesis) and val1 (MsgOptIn), by address.
  pb::QueryCcvOptInsRequest oreq;
  oreq.set_consumer("chainc");
  oreq.mutable_pagination()->set_limit(1);
  oreq.mutable_pagination()->set_count_total(true);
  pb::QueryCcvOptInsResponse opt;
  ASSERT_TRUE(Call(a_.get(), &Stub::CcvOptIns, oreq, &opt).ok());
  const std::string first = std::min(val0, val1), second = std::max(val0, val1);
  ASSERT_EQ(opt.validators_size(), 1);
  EXPECT_EQ(opt.validators(0), first);
  EXPECT_EQ(opt.pagination().total(), 2u);
  ASSERT_FALSE(opt.pagination().next_key().empty());
  oreq.mutable_pagination()->set_key(opt.pagination().next_key());
  oreq.mutable_pagination()->set_count_total(false);
  ASSERT_TRUE(Call(a_.get(), &Stub::CcvOptIns, oreq, &opt).ok());
  ASSERT_EQ(opt.validators_size(), 1);
  EXPECT_EQ(opt.validators(0), second);
  EXPECT_TRUE(opt.pagination().next_key().empty());

  // Key assignment both ways.
  pb::QueryKeyAssignmentsRequest kreq;
  kreq.set_consumer("chainc");
  pb::QueryKeyAssignmentsResponse keys;
  ASSERT_TRUE(Call(a_.get(), &Stub::KeyAssignments, kreq, &keys).ok());
  ASSERT_EQ(keys.assignments_size(), 1);
  EXPECT_EQ(keys.assignments(0).consumer_address(), "01264BA57B9B3E7606E8DBFADFD74B3DDAE98ECD");
  EXPECT_EQ(keys.assignments(0).validator(), val0);
  EXPECT_EQ(keys.assignments(0).consumer_key(), AssignedKey());
  EXPECT_TRUE(keys.assignments(0).current());
  EXPECT_FALSE(keys.assignments(0).has_prune_time());
  kreq.set_consumer("chainb");  // a mesh link: none assigned
  ASSERT_TRUE(Call(a_.get(), &Stub::KeyAssignments, kreq, &keys).ok());
  EXPECT_EQ(keys.assignments_size(), 0);

  pb::QueryValidatorConsumerKeyRequest vk;
  vk.set_consumer("chainc");
  vk.set_validator(val0);
  pb::QueryValidatorConsumerKeyResponse key;
  ASSERT_TRUE(Call(a_.get(), &Stub::ValidatorConsumerKey, vk, &key).ok());
  EXPECT_EQ(key.consumer_key(), AssignedKey());
  EXPECT_EQ(key.consumer_address(), "01264BA57B9B3E7606E8DBFADFD74B3DDAE98ECD");
  EXPECT_TRUE(key.assigned());
  vk.set_validator(val1);
  ASSERT_TRUE(Call(a_.get(), &Stub::ValidatorConsumerKey, vk, &key).ok());
  EXPECT_EQ(key.consumer_key(), own1);
  EXPECT_FALSE(key.assigned());

  pb::QueryValidatorByConsumerAddressRequest va;
  va.set_consumer("chainc");
  va.set_consumer_address("01264ba57b9b3e7606e8dbfadfd74b3ddae98ecd");  // either case
  pb::QueryValidatorByConsumerAddressResponse who;
  ASSERT_TRUE(Call(a_.get(), &Stub::ValidatorByConsumerAddress, va, &who).ok());
  EXPECT_EQ(who.validator(), val0);
  EXPECT_TRUE(who.assigned());
  EXPECT_TRUE(who.current());
  va.set_consumer_address(HexAddress(own1));
  ASSERT_TRUE(Call(a_.get(), &Stub::ValidatorByConsumerAddress, va, &who).ok());
  EXPECT_EQ(who.validator(), val1);
  EXPECT_FALSE(who.assigned());
  // val0's own key no longer signs for it on chainc.
  va.set_consumer_address(HexAddress(*net_->app("chaina").ConsensusPubkey(Val("chaina", "val0"))));
  EXPECT_EQ(Call(a_.get(), &Stub::ValidatorByConsumerAddress, va, &who).error_code(),
            grpc::NOT_FOUND);
  va.set_consumer_address("zz");
  EXPECT_EQ(Call(a_.get(), &Stub::ValidatorByConsumerAddress, va, &who).error_code(),
            grpc::INVALID_ARGUMENT);
}

TEST_F(SharedSecurityQueryTest, ConsumerEndOfTheOptInLink) {
  pb::QueryConsumerCcvStateResponse st;
  ASSERT_TRUE(
      Call(c_.get(), &Stub::ConsumerCcvState, pb::QueryConsumerCcvStateRequest(), &st).ok());
  EXPECT_TRUE(st.has_link());
  EXPECT_EQ(st.provider(), "chaina");
  EXPECT_EQ(st.connection_id(), Devnet::ConnectionFor(kIds, "chainc", "chaina").value());
  EXPECT_EQ(st.channel_id(), "channel-2");
  EXPECT_EQ(st.retry_delay_seconds(), 3600u);
  EXPECT_TRUE(st.received_vsc());
  EXPECT_TRUE(st.applied());
  EXPECT_FALSE(st.closed());
  EXPECT_FALSE(st.waiting());
  EXPECT_FALSE(st.has_last_send_time());  // no slash packet ever sent
  EXPECT_EQ(st.validators(), 2u);
  EXPECT_EQ(st.slash_requests(), 0u);
  EXPECT_EQ(st.vsc_id(), 3u);

  pb::QueryConsumerCcvValidatorsResponse vals;
  ASSERT_TRUE(Call(c_.get(), &Stub::ConsumerCcvValidators,
                   pb::QueryConsumerCcvValidatorsRequest(), &vals).ok());
  ASSERT_EQ(vals.validators_size(), 2);
  const std::string own1 = *net_->app("chaina").ConsensusPubkey(Val("chaina", "val1"));
  std::map<std::string, int64_t> powers;
  for (const pb::ValidatorUpdate& u : vals.validators()) powers[u.pub_key()] = u.power();
  EXPECT_EQ(powers, (std::map<std::string, int64_t>{{AssignedKey(), 10000}, {own1, 10000}}));

  pb::QueryConsumerCcvSlashRequestsResponse reqs;
  ASSERT_TRUE(Call(c_.get(), &Stub::ConsumerCcvSlashRequests,
                   pb::QueryConsumerCcvSlashRequestsRequest(), &reqs).ok());
  EXPECT_EQ(reqs.requests_size(), 0);

  // chainb has no replicated / opt-in provider: no link, empty lists.
  ASSERT_TRUE(
      Call(b_.get(), &Stub::ConsumerCcvState, pb::QueryConsumerCcvStateRequest(), &st).ok());
  EXPECT_FALSE(st.has_link());
  EXPECT_EQ(st.provider(), "");
  ASSERT_TRUE(Call(b_.get(), &Stub::ConsumerCcvValidators,
                   pb::QueryConsumerCcvValidatorsRequest(), &vals).ok());
  EXPECT_EQ(vals.validators_size(), 0);
  EXPECT_EQ(vals.pagination().total(), 0u);
}

// chainb's val0 and val1 double signed at chainb height 11; the report
// (update at chainb height 12) cut 5 % of their 10,004,500,000 tokens at
// the infraction's 10^10 power tokens: each virtual 4,500,000 loses
// floor(4,500,000 × 5·10^8 / 10,004,500,000) = 224,898, i.e. 249,887 of
// alice's 5,000,000 uchaina at the 0.9 discount.
TEST_F(SharedSecurityQueryTest, SlashMeterThrottledAndWaitingSlashes) {
  pb::QuerySlashMeterResponse meter;
  ASSERT_TRUE(Call(a_.get(), &Stub::SlashMeter, pb::QuerySlashMeterRequest(), &meter).ok());
  EXPECT_EQ(meter.replenish_fraction(), "0.000000000000000000");
  EXPECT_EQ(meter.replenish_period_seconds(), 1000000u);
  EXPECT_EQ(meter.max_per_block(), 100u);
  EXPECT_EQ(meter.max_queued_per_consumer(), 1000u);
  EXPECT_TRUE(meter.started());
  // val0's slash cost its committed 5,000,000 / 10^6 = 5 power: 1 − 5.
  EXPECT_EQ(meter.meter(), -4);
  EXPECT_EQ(meter.allowance(), 1);       // fraction 0 rounds to the minimum
  EXPECT_EQ(meter.total_power(), 30000u);  // 3 × 10^10 / 10^6
  // A full meter restarts its period every block: the last full one was
  // chaina's block 12 (genesis + 1 s + 11 × 5 s), before the report.
  EXPECT_EQ(meter.next_replenish_time().seconds(), 1700000056 + 1000000);
  EXPECT_EQ(meter.queued(), 1u);

  const std::string b0 = Val("chainb", "val0").value();
  const std::string b1 = Val("chainb", "val1").value();
  pb::QueryThrottledSlashesResponse thr;
  ASSERT_TRUE(Call(a_.get(), &Stub::ThrottledSlashes, pb::QueryThrottledSlashesRequest(), &thr)
                  .ok());
  ASSERT_EQ(thr.slashes_size(), 1);
  const pb::ReportedSlash& t = thr.slashes(0);
  EXPECT_EQ(t.consumer(), "chainb");
  EXPECT_EQ(t.validator(), b1);
  EXPECT_EQ(t.infraction_height(), double_sign_height_);
  EXPECT_EQ(t.infraction_height(), 11u);
  EXPECT_EQ(t.infraction_time().seconds(), 1700000051);  // chainb's block 11
  EXPECT_EQ(t.power(), 10000u);
  EXPECT_EQ(t.amount(), "249887");
  EXPECT_EQ(t.slash_ratio(), "0.050000000000000000");
  EXPECT_EQ(t.update_height(), 12u);
  EXPECT_EQ(t.seq(), 1u);
  EXPECT_EQ(t.awaited_tx_ids_size(), 0);

  pb::QueryWaitingSlashesRequest wreq;
  wreq.set_consumer("chainb");
  pb::QueryWaitingSlashesResponse waiting;
  ASSERT_TRUE(Call(a_.get(), &Stub::WaitingSlashes, wreq, &waiting).ok());
  ASSERT_EQ(waiting.slashes_size(), 1);
  const pb::ReportedSlash& w = waiting.slashes(0);
  EXPECT_EQ(w.validator(), b0);
  EXPECT_EQ(w.infraction_height(), 11u);
  EXPECT_EQ(w.amount(), "249887");
  EXPECT_EQ(w.update_height(), 12u);
  EXPECT_EQ(w.seq(), 1u);
  // The third vault tx (the 1,000,000 stake sent in the hand-made block).
  ASSERT_EQ(w.awaited_tx_ids_size(), 1);
  EXPECT_EQ(w.awaited_tx_ids(0), 3u);
  wreq.set_consumer("chainc");  // not a mesh link
  EXPECT_EQ(Call(a_.get(), &Stub::WaitingSlashes, wreq, &waiting).error_code(), grpc::NOT_FOUND);

  // chainb answers the stake; chaina takes the ack in the next round and
  // applies the waiting slash. The meter still holds val1's.
  ASSERT_OK(net_->ProduceRound(kBlockSeconds));
  ASSERT_OK(net_->ProduceRound(kBlockSeconds));
  wreq.set_consumer("chainb");
  ASSERT_TRUE(Call(a_.get(), &Stub::WaitingSlashes, wreq, &waiting).ok());
  EXPECT_EQ(waiting.slashes_size(), 0);
  EXPECT_EQ(waiting.pagination().total(), 0u);
  ASSERT_TRUE(Call(a_.get(), &Stub::ThrottledSlashes, pb::QueryThrottledSlashesRequest(), &thr)
                  .ok());
  EXPECT_EQ(thr.slashes_size(), 1);
}

TEST_F(SharedSecurityQueryTest, SlashProposalWithItsVote) {
  pb::QuerySlashProposalsResponse list;
  ASSERT_TRUE(
      Call(a_.get(), &Stub::SlashProposals, pb::QuerySlashProposalsRequest(), &list).ok());
  ASSERT_EQ(list.proposals_size(), 1);
  EXPECT_EQ(list.pagination().total(), 1u);
  const pb::GovSlashProposal& p = list.proposals(0);
  EXPECT_EQ(p.id(), 1u);
  EXPECT_EQ(p.proposer(), Key("chaina", "alice").value());
  EXPECT_EQ(p.consumer(), "chainb");
  EXPECT_EQ(p.validator(), Val("chainb", "val2").value());
  EXPECT_EQ(p.infraction_height(), infraction_height_);
  EXPECT_EQ(p.infraction_height(), 8u);
  // The start of val2's state in force at height 8: chainb's first set.
  EXPECT_EQ(p.infraction_time().seconds(), 1700000001);
  EXPECT_EQ(p.fraction(), "0.050000000000000000");
  EXPECT_EQ(p.deposit(), "1000");
  EXPECT_EQ(p.submit_time().seconds(), 1700000046);  // chaina's block 10
  EXPECT_EQ(p.voting_end_time().seconds(), 1700000046 + 30);
  EXPECT_EQ(p.status(), "voting");
  // The live tally: val0's and val1's operators voted yes with their 10^10
  // self-bonds.
  EXPECT_EQ(p.tally().yes(), "20000000000");
  EXPECT_EQ(p.tally().abstain(), "0");
  EXPECT_EQ(p.tally().no(), "0");
  EXPECT_EQ(p.tally().no_with_veto(), "0");
  EXPECT_EQ(p.tally().total_bonded(), "30000000000");
  EXPECT_EQ(p.slashed(), "0");
  EXPECT_EQ(p.kind(), "slash");
  EXPECT_FALSE(p.native());  // a consumer validator of the mesh link
  EXPECT_FALSE(p.jail_only());
  EXPECT_FALSE(p.applied());

  pb::QuerySlashProposalRequest one;
  one.set_id(1);
  pb::QuerySlashProposalResponse got;
  ASSERT_TRUE(Call(a_.get(), &Stub::SlashProposal, one, &got).ok());
  EXPECT_EQ(got.proposal().SerializeAsString(), p.SerializeAsString());
  one.set_id(2);
  EXPECT_EQ(Call(a_.get(), &Stub::SlashProposal, one, &got).error_code(), grpc::NOT_FOUND);
  one.set_id(0);
  EXPECT_EQ(Call(a_.get(), &Stub::SlashProposal, one, &got).error_code(),
            grpc::INVALID_ARGUMENT);

  // No punishment yet; the vote ends at chaina's block 16 (t = 76 s) and
  // passes (2/3 voted, all yes): val2 is recorded as punished, with nothing
  // to cut (no stake on it).
  pb::QueryEvidencePunishmentsRequest ereq;
  ereq.set_consumer("chainb");
  pb::QueryEvidencePunishmentsResponse pun;
  ASSERT_TRUE(Call(a_.get(), &Stub::EvidencePunishments, ereq, &pun).ok());
  EXPECT_EQ(pun.punishments_size(), 0);
  for (int i = 0; i < 3; ++i) ASSERT_OK(net_->ProduceRound(kBlockSeconds));
  one.set_id(1);
  ASSERT_TRUE(Call(a_.get(), &Stub::SlashProposal, one, &got).ok());
  EXPECT_EQ(got.proposal().status(), "passed");
  EXPECT_EQ(got.proposal().tally().yes(), "20000000000");
  EXPECT_EQ(got.proposal().tally().no(), "0");
  EXPECT_EQ(got.proposal().tally().total_bonded(), "30000000000");
  EXPECT_EQ(got.proposal().slashed(), "0");
  ASSERT_TRUE(Call(a_.get(), &Stub::EvidencePunishments, ereq, &pun).ok());
  ASSERT_EQ(pun.punishments_size(), 1);
  EXPECT_EQ(pun.pagination().total(), 1u);
  EXPECT_EQ(pun.punishments(0).validator(), Val("chainb", "val2").value());
  EXPECT_EQ(pun.punishments(0).infraction_height(), 8);
  EXPECT_EQ(pun.punishments(0).infraction_time().seconds(), 1700000001);
  EXPECT_EQ(pun.punishments(0).provider_height(), 16u);
  ereq.set_consumer("nochain");
  EXPECT_EQ(Call(a_.get(), &Stub::EvidencePunishments, ereq, &pun).error_code(),
            grpc::NOT_FOUND);
}

// A link-update proposal on chainc: while it waits, the consumer shows the
// pending infraction parameters and their time; the power shaping (priority
// list, allow_inactive_vals) is in force from the consumer's next epoch.
TEST_F(SharedSecurityQueryTest, LinkUpdateProposalShowsPendingParameters) {
  pb::QueryCcvConsumerRequest one;
  one.set_consumer("chainc");
  pb::QueryCcvConsumerResponse got;
  ASSERT_TRUE(Call(a_.get(), &Stub::CcvConsumer, one, &got).ok());
  EXPECT_FALSE(got.consumer().has_pending_power_shaping());
  EXPECT_EQ(got.consumer().pending_downtime_slash_fraction(), "");
  EXPECT_EQ(got.consumer().pending_infraction_time(), 0u);
  EXPECT_EQ(got.consumer().removal_time(), 0u);
  EXPECT_EQ(got.consumer().power_shaping().prioritylist_size(), 0);
  EXPECT_FALSE(got.consumer().power_shaping().allow_inactive_vals());

  // The txs go in with the servers stopped (a served chain takes txs only
  // over gRPC), and the servers come back for each query.
  net_->StopServing();
  auto serve = [&] {
    auto addrs = net_->Serve("127.0.0.1", 0, 4);
    ASSERT_TRUE(addrs.ok()) << addrs.status();
    a_ = pb::SharedSecurityQuery::NewStub(
        grpc::CreateChannel(addrs->at(0), grpc::InsecureChannelCredentials()));
  };
  const std::string val1 = Val("chaina", "val1").value();
  pb::MsgSubmitLinkUpdateProposal prop;
  prop.set_sender(Key("chaina", "alice").value());
  prop.set_consumer("chainc");
  prop.set_deposit("1000");
  prop.mutable_power_shaping()->set_validator_set_cap(1);
  prop.mutable_power_shaping()->add_prioritylist(val1);
  prop.mutable_power_shaping()->set_allow_inactive_vals(true);
  prop.mutable_infraction()->set_downtime_slash_fraction("0.010000000000000000");
  prop.mutable_infraction()->set_downtime_jail_s(1200);
  net_->Queue("chaina", Sign(*net_, "chaina", "alice", {PackMsg(prop)}));
  ASSERT_OK(net_->ProduceRound(kBlockSeconds));
  ASSERT_EQ(net_->last_results("chaina").size(), 1u);
  ASSERT_TRUE(net_->last_results("chaina")[0].ok()) << net_->last_results("chaina")[0].log;
  pb::MsgVoteSlashProposal vote;
  vote.set_sender(Key("chaina", "val0").value());
  vote.set_proposal_id(2);  // after the fixture's slash proposal
  vote.set_option("yes");
  net_->Queue("chaina", Sign(*net_, "chaina", "val0", {PackMsg(vote)}));
  vote.set_sender(Key("chaina", "val1").value());
  net_->Queue("chaina", Sign(*net_, "chaina", "val1", {PackMsg(vote)}));
  ASSERT_OK(net_->ProduceRound(kBlockSeconds));
  ASSERT_EQ(net_->last_results("chaina").size(), 2u);
  for (const TxResult& r : net_->last_results("chaina")) ASSERT_TRUE(r.ok()) << r.log;

  // The vote ends 30 s after the submission; then the infraction parameters
  // wait for their time, one provider unbonding period after the pass.
  serve();
  ASSERT_TRUE(Call(a_.get(), &Stub::CcvConsumer, one, &got).ok());
  EXPECT_EQ(got.consumer().pending_infraction_time(), 0u);  // still voting
  int rounds = 0;
  while (got.consumer().pending_infraction_time() == 0 && ++rounds < 20) {
    ASSERT_OK(net_->ProduceRound(kBlockSeconds));
    ASSERT_TRUE(Call(a_.get(), &Stub::CcvConsumer, one, &got).ok());
  }
  ASSERT_LT(rounds, 20) << "the link update never passed";
  const uint64_t now_s = net_->app("chaina").chain().time_ns() / kNanosPerSecond;
  EXPECT_EQ(got.consumer().pending_downtime_slash_fraction(), "0.010000000000000000");
  EXPECT_EQ(got.consumer().pending_downtime_jail_seconds(), 1200u);
  EXPECT_GT(got.consumer().pending_infraction_time(), now_s + 1000);
  EXPECT_EQ(got.consumer().downtime_slash_fraction(), "0.000000000000000000");  // not yet
  EXPECT_EQ(got.consumer().downtime_jail_seconds(), 600u);

  // The shaping is in force once the consumer's next epoch computed its set.
  rounds = 0;
  while (got.consumer().power_shaping().prioritylist_size() == 0 && ++rounds < 10) {
    ASSERT_OK(net_->ProduceRound(kBlockSeconds));
    ASSERT_TRUE(Call(a_.get(), &Stub::CcvConsumer, one, &got).ok());
  }
  ASSERT_LT(rounds, 10) << "the power shaping never came into force";
  EXPECT_FALSE(got.consumer().has_pending_power_shaping());
  ASSERT_EQ(got.consumer().power_shaping().prioritylist_size(), 1);
  EXPECT_EQ(got.consumer().power_shaping().prioritylist(0), val1);
  EXPECT_TRUE(got.consumer().power_shaping().allow_inactive_vals());
  EXPECT_EQ(got.consumer().power_shaping().validator_set_cap(), 1u);
  EXPECT_EQ(got.consumer().validators(), 1u);  // the cap keeps the prioritized val1
  EXPECT_FALSE(got.consumer().unbonding_waits_for_maturity());

  // The proposal itself, listed with the slash proposals.
  pb::QuerySlashProposalRequest pq;
  pq.set_id(2);
  pb::QuerySlashProposalResponse pr;
  ASSERT_TRUE(Call(a_.get(), &Stub::SlashProposal, pq, &pr).ok());
  EXPECT_EQ(pr.proposal().kind(), "link_update");
  EXPECT_EQ(pr.proposal().consumer(), "chainc");
  EXPECT_EQ(pr.proposal().status(), "passed");
  EXPECT_TRUE(pr.proposal().applied());
}

}  // namespace
}  // namespace mesh::node
