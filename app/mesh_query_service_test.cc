// meshsec.v1.ProviderQuery / ConsumerQuery and queries at a height, over a
// real two-chain devnet (app::Devnet: chaina and chainb, each provider and
// consumer of the other) served on loopback gRPC.
#include "app/mesh_query_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "app/devnet.h"
#include "core/crypto.h"
#include "cosmos/bank/v1beta1/query.grpc.pb.h"
#include "gtest/gtest.h"
#include "meshsec/v1/mesh_query.grpc.pb.h"
#include "meshsec/v1/msgs.pb.h"
#include "meshsec/v1/query.grpc.pb.h"
#include "meshsec/v1/tx.grpc.pb.h"
#include "node/block_history.h"
#include "node/staking_msgs.h"
#include "node/tx.h"

namespace mesh::node {
namespace {

namespace pb = ::meshsec::v1;
using app::Devnet;

const std::vector<std::string> kIds = {"chaina", "chainb"};
constexpr uint64_t kGenesis = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlockSeconds = 5;

AccountAddress Alice() {
  return AccountAddress(
      AccountAddressOf("chaina", PrivateKey::FromSeed("chaina/alice").PublicKey()));
}
// chainb's validator val0, a remote validator for chaina.
ValidatorAddress RemoteVal0() {
  return *ValoperOfAccount(Devnet::DemoKeys("chainb", "chainb")[5].address);
}

// alice bonds `amount` in chaina's vault and stakes it on chainb's val0.
SignedTx BondAndStakeRemote(Devnet& net, const std::string& amount) {
  app::Application& a = net.app("chaina");
  const PrivateKey key = PrivateKey::FromSeed("chaina/alice");
  const staking::BaseAccount acc = *a.chain().GetAccount(Alice());
  TxSpec tx;
  tx.chain_id = "chaina";
  tx.account_number = acc.account_number;
  tx.sequence = acc.sequence;
  ::meshsec::v1::MsgVaultBond bond;
  bond.set_sender(Alice().value());
  bond.set_amount(amount);
  tx.msgs.push_back(PackMsg(bond));
  ::meshsec::v1::MsgVaultStakeRemote stake;
  stake.set_sender(Alice().value());
  stake.set_consumer("chainb");
  stake.set_validator(RemoteVal0().value());
  stake.set_amount(amount);
  tx.msgs.push_back(PackMsg(stake));
  return SignTx(key, tx);
}

// One unary call with an optional x-cosmos-block-height; `served` receives
// the height header of the answer.
template <typename Stub, typename Req, typename Resp>
grpc::Status Call(Stub* stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                  const Req& req, Resp* resp, std::optional<uint64_t> height = std::nullopt,
                  std::string* served = nullptr) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (height.has_value()) ctx.AddMetadata(kBlockHeightHeader, absl::StrCat(*height));
  grpc::Status s = (stub->*method)(&ctx, req, resp);
  if (served != nullptr) {
    served->clear();
    auto md = ctx.GetServerInitialMetadata();
    auto it = md.find(kBlockHeightHeader);
    if (it != md.end()) served->assign(it->second.data(), it->second.size());
  }
  return s;
}

class MeshQueryTest : public ::testing::Test {
 protected:
  static constexpr size_t kKept = 6;

  void SetUp() override {
    std::vector<app::GenesisDoc> docs;
    std::vector<std::unique_ptr<DurableStore>> stores;
    for (const std::string& id : kIds) {
      docs.push_back(Devnet::MeshGenesis(kIds, id, kGenesis));
      stores.push_back(std::make_unique<MemStore>());
    }
    auto net = Devnet::Open(std::move(docs), std::move(stores));
    ASSERT_TRUE(net.ok()) << net.status();
    net_ = *std::move(net);
    ASSERT_TRUE(net_->ProduceRound(kBlockSeconds).ok());
    // The cross-stake: chaina delivers the tx and sends the stake packet;
    // chainb receives it in its block of the same round; the ack is in
    // flight back to chaina.
    net_->Queue("chaina", BondAndStakeRemote(*net_, "1000"));
    ASSERT_TRUE(net_->ProduceRound(kBlockSeconds).ok());
    ASSERT_EQ(net_->last_results("chaina").size(), 1u);
    ASSERT_TRUE(net_->last_results("chaina")[0].ok()) << net_->last_results("chaina")[0].log;
    auto addrs = net_->Serve("127.0.0.1", 0, kKept);
    ASSERT_TRUE(addrs.ok()) << addrs.status();
    a_ = grpc::CreateChannel(addrs->at(0), grpc::InsecureChannelCredentials());
    b_ = grpc::CreateChannel(addrs->at(1), grpc::InsecureChannelCredentials());
    provider_ = pb::ProviderQuery::NewStub(a_);
    consumer_ = pb::ConsumerQuery::NewStub(b_);
    staked_height_ = net_->app("chaina").chain().height();
  }
  void TearDown() override {
    if (net_ != nullptr) net_->StopServing();
  }

  // Rounds until chainb ran an epoch for provider chaina (epoch_length 10).
  void RunEpoch() {
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(net_->ProduceRound(kBlockSeconds).ok());
  }

  pb::QueryExternalStakesResponse Stakes(std::optional<uint64_t> height = std::nullopt,
                                         std::string* served = nullptr) {
    pb::QueryExternalStakesRequest req;
    req.set_consumer("chainb");
    req.set_user(Alice().value());
    pb::QueryExternalStakesResponse resp;
    grpc::Status s = Call(provider_.get(), &pb::ProviderQuery::Stub::ExternalStakes, req, &resp,
                          height, served);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::unique_ptr<Devnet> net_;
  std::shared_ptr<grpc::Channel> a_, b_;
  std::unique_ptr<pb::ProviderQuery::Stub> provider_;
  std::unique_ptr<pb::ConsumerQuery::Stub> consumer_;
  uint64_t staked_height_ = 0;
};

TEST_F(MeshQueryTest, ProviderStateWhileTheStakeIsInFlight) {
  pb::QueryVaultParamsResponse params;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::VaultParams,
                   pb::QueryVaultParamsRequest(), &params).ok());
  EXPECT_EQ(params.denom(), "uchaina");
  EXPECT_TRUE(params.local_staking());
  EXPECT_EQ(params.local_max_slash(), "0.050000000000000000");
  EXPECT_EQ(params.total_collateral(), "1000");
  ASSERT_EQ(params.consumers_size(), 1);
  EXPECT_EQ(params.consumers(0), "chainb");

  pb::QueryVaultAccountRequest areq;
  areq.set_user(Alice().value());
  pb::QueryVaultAccountResponse acc;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::VaultAccount, areq, &acc).ok());
  EXPECT_EQ(acc.account().user(), Alice().value());
  EXPECT_EQ(acc.account().denom(), "uchaina");
  EXPECT_EQ(acc.account().collateral(), "1000");
  // The lien is reserved on its high end only until the ack commits it.
  EXPECT_EQ(acc.account().max_lien().low(), "0");
  EXPECT_EQ(acc.account().max_lien().high(), "1000");
  EXPECT_EQ(acc.account().free().low(), "0");
  EXPECT_EQ(acc.account().free().high(), "1000");
  EXPECT_EQ(acc.account().total_slashable().low(), "0");
  EXPECT_EQ(acc.account().total_slashable().high(), "100");  // 1000 * 0.1

  pb::QueryVaultClaimsRequest creq;
  creq.set_user(Alice().value());
  pb::QueryVaultClaimsResponse claims;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::VaultClaims, creq, &claims).ok());
  ASSERT_EQ(claims.claims_size(), 1);
  EXPECT_EQ(claims.claims(0).lien_holder(), "x/chainb");
  EXPECT_EQ(claims.claims(0).amount().low(), "0");
  EXPECT_EQ(claims.claims(0).amount().high(), "1000");
  EXPECT_EQ(claims.claims(0).slash_ratio(), "0.100000000000000000");

  pb::QueryVaultPendingTxsResponse vtx;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::VaultPendingTxs,
                   pb::QueryVaultPendingTxsRequest(), &vtx).ok());
  ASSERT_EQ(vtx.txs_size(), 1);
  EXPECT_EQ(vtx.txs(0).id(), 1u);
  EXPECT_EQ(vtx.txs(0).user(), Alice().value());
  EXPECT_EQ(vtx.txs(0).lien_holder(), "x/chainb");
  EXPECT_EQ(vtx.txs(0).amount(), "1000");
  EXPECT_EQ(vtx.pagination().total(), 1u);

  pb::QueryExternalPendingTxsRequest ereq;
  ereq.set_consumer("chainb");
  pb::QueryExternalPendingTxsResponse etx;
  ASSERT_TRUE(
      Call(provider_.get(), &pb::ProviderQuery::Stub::ExternalPendingTxs, ereq, &etx).ok());
  ASSERT_EQ(etx.txs_size(), 1);
  EXPECT_EQ(etx.txs(0).id(), 1u);
  EXPECT_EQ(etx.txs(0).kind(), "stake");
  EXPECT_EQ(etx.txs(0).validator(), RemoteVal0().value());
  EXPECT_EQ(etx.txs(0).amount(), "1000");

  pb::QueryExternalStakesResponse stakes = Stakes();
  ASSERT_EQ(stakes.stakes_size(), 1);
  EXPECT_EQ(stakes.stakes(0).consumer(), "chainb");
  EXPECT_EQ(stakes.stakes(0).validator(), RemoteVal0().value());
  EXPECT_EQ(stakes.stakes(0).stake().low(), "0");
  EXPECT_EQ(stakes.stakes(0).stake().high(), "1000");
  EXPECT_EQ(stakes.stakes(0).unbonding_size(), 0);
  EXPECT_EQ(stakes.stakes(0).pending_rewards(), "0");

  pb::QueryLinkRequest lreq;
  lreq.set_consumer("chainb");
  pb::QueryLinkResponse link;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::Link, lreq, &link).ok());
  EXPECT_EQ(link.link().consumer(), "chainb");
  EXPECT_EQ(link.link().denom(), "uchaina");
  EXPECT_EQ(link.link().rewards_denom(), "uchainb");
  EXPECT_EQ(link.link().unbonding_period_seconds(), 3600u);
  EXPECT_EQ(link.link().slash_ratio_double_sign(), "0.100000000000000000");
  EXPECT_EQ(link.link().slash_ratio_offline(), "0.010000000000000000");
  EXPECT_FALSE(link.link().closed());
  EXPECT_EQ(link.link().connection_id(), "connection-0");
  EXPECT_EQ(link.link().counterparty_port(), "mesh-consumer");
  EXPECT_EQ(link.link().port_id(), "mesh-provider");
  EXPECT_EQ(link.link().channel_state(), "OPEN");
  EXPECT_FALSE(link.link().channel_id().empty());
  EXPECT_EQ(link.link().outbox_packets(), 0u);

  // The stake packet is the one packet chaina's provider port waits on.
  pb::QueryPacketsInFlightResponse packets;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::PacketsInFlight,
                   pb::QueryPacketsInFlightRequest(), &packets).ok());
  int stake_packets = 0;
  for (const pb::PacketInFlight& p : packets.packets()) {
    if (p.source_port() != "mesh-provider") continue;
    ++stake_packets;
    EXPECT_EQ(p.source_channel(), link.link().channel_id());
    EXPECT_EQ(p.destination_port(), "mesh-consumer");
    EXPECT_NE(p.data().find("stake"), std::string::npos);
    // Provider packets time out 600 s after the block that sent them.
    EXPECT_EQ(static_cast<uint64_t>(p.timeout_timestamp().seconds()),
              net_->app("chaina").chain().time_ns() / kNanosPerSecond + 600);
  }
  EXPECT_EQ(stake_packets, 1);

  pb::QueryRemoteValidatorsRequest rreq;
  rreq.set_consumer("chainb");
  pb::QueryRemoteValidatorsResponse vals;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::RemoteValidators, rreq, &vals).ok());
  ASSERT_EQ(vals.validators_size(), 3);  // chainb's val0..val2
  EXPECT_EQ(vals.pagination().total(), 3u);
  bool found = false;
  for (const pb::RemoteValidator& v : vals.validators()) {
    EXPECT_EQ(v.state(), "active");
    ASSERT_EQ(v.history_size(), 1);
    EXPECT_EQ(v.history(0).state(), "active");
    if (v.validator() == RemoteVal0().value()) {
      found = true;
      EXPECT_EQ(v.total_stake(), "0");  // nothing committed yet
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(MeshQueryTest, CommittedStakeRewardsAndConsumerRecords) {
  RunEpoch();
  pb::QueryExternalStakesResponse stakes = Stakes();
  ASSERT_EQ(stakes.stakes_size(), 1);
  EXPECT_EQ(stakes.stakes(0).stake().low(), "1000");
  EXPECT_EQ(stakes.stakes(0).stake().high(), "1000");

  pb::QueryVaultPendingTxsResponse vtx;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::VaultPendingTxs,
                   pb::QueryVaultPendingTxsRequest(), &vtx).ok());
  EXPECT_EQ(vtx.txs_size(), 0);

  // The stakes of one validator, and of the whole consumer.
  pb::QueryExternalStakesRequest byval;
  byval.set_consumer("chainb");
  byval.set_validator(RemoteVal0().value());
  pb::QueryExternalStakesResponse sv;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::ExternalStakes, byval, &sv).ok());
  ASSERT_EQ(sv.stakes_size(), 1);
  EXPECT_EQ(sv.stakes(0).user(), Alice().value());
  pb::QueryExternalStakesRequest all;
  all.set_consumer("chainb");
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::ExternalStakes, all, &sv).ok());
  ASSERT_EQ(sv.stakes_size(), 1);
  EXPECT_EQ(sv.stakes(0).stake().low(), "1000");

  // chainb's view of provider chaina: price 1, discount 0.1, so 1000
  // provider tokens are 900 virtual tokens; the epoch bonded them.
  pb::QueryProviderRequest preq;
  preq.set_provider("chaina");
  pb::QueryProviderResponse prov;
  ASSERT_TRUE(Call(consumer_.get(), &pb::ConsumerQuery::Stub::Provider, preq, &prov).ok());
  const pb::ProviderRecord& r = prov.provider();
  EXPECT_EQ(r.remote_denom(), "uchaina");
  EXPECT_EQ(r.discount(), "0.100000000000000000");
  EXPECT_EQ(r.price_adjustment(), "0.900000000000000000");
  EXPECT_EQ(r.max_cap(), "1000000000000");
  EXPECT_TRUE(r.has_max_cap());
  EXPECT_TRUE(r.channel_open());
  EXPECT_EQ(r.total_delegated(), "900");
  EXPECT_EQ(r.minted(), "900");
  EXPECT_EQ(r.burned(), "0");
  EXPECT_EQ(r.price().native_per_foreign(), "1.000000000000000000");
  EXPECT_TRUE(r.price().valid());
  EXPECT_EQ(r.price().time().seconds(), static_cast<int64_t>(kGenesis / kNanosPerSecond));
  EXPECT_GT(r.next_epoch_height(), net_->app("chainb").chain().height());
  EXPECT_EQ(r.connection_id(), "connection-0");
  EXPECT_FALSE(r.channel_id().empty());

  pb::QueryVirtualStakesRequest vreq;
  vreq.set_provider("chaina");
  pb::QueryVirtualStakesResponse vs;
  ASSERT_TRUE(Call(consumer_.get(), &pb::ConsumerQuery::Stub::VirtualStakes, vreq, &vs).ok());
  bool found = false;
  for (const pb::VirtualStake& v : vs.stakes()) {
    if (v.validator() != RemoteVal0().value()) continue;
    found = true;
    EXPECT_EQ(v.bond_request(), "900");
    EXPECT_EQ(v.bonded(), "900");
    EXPECT_EQ(v.actual_delegation(), "900");
  }
  EXPECT_TRUE(found);

  pb::QueryDelegationRecordsRequest dreq;
  dreq.set_provider("chaina");
  dreq.set_validator(RemoteVal0().value());
  pb::QueryDelegationRecordsResponse recs;
  ASSERT_TRUE(
      Call(consumer_.get(), &pb::ConsumerQuery::Stub::DelegationRecords, dreq, &recs).ok());
  ASSERT_EQ(recs.records_size(), 1);
  EXPECT_EQ(recs.records(0).delegator(), Alice().value());
  EXPECT_EQ(recs.records(0).remote(), "1000");
  EXPECT_EQ(recs.records(0).local(), "900");
  EXPECT_FALSE(recs.records(0).unstake_in_flight());
  EXPECT_EQ(recs.records(0).slash_debt(), "0");

  pb::QueryConsumerParamsResponse cp;
  ASSERT_TRUE(Call(consumer_.get(), &pb::ConsumerQuery::Stub::Params,
                   pb::QueryConsumerParamsRequest(), &cp).ok());
  EXPECT_EQ(cp.epoch_length(), 10u);
  ASSERT_EQ(cp.providers_size(), 1);
  EXPECT_EQ(cp.providers(0), "chaina");

  // Rewards owed: the sum of the per-validator entries.
  pb::QueryPendingRewardsRequest wreq;
  wreq.set_consumer("chainb");
  wreq.set_user(Alice().value());
  pb::QueryPendingRewardsResponse owed;
  ASSERT_TRUE(Call(provider_.get(), &pb::ProviderQuery::Stub::PendingRewards, wreq, &owed).ok());
  EXPECT_EQ(owed.rewards_denom(), "uchainb");
  Amount sum;
  for (const pb::RewardOwed& o : owed.rewards()) sum = *sum.Add(*Amount::Parse(o.amount()));
  EXPECT_EQ(sum.ToString(), owed.total());
  EXPECT_EQ(owed.total(), Stakes().stakes(0).pending_rewards());
  // The devnet allocates no staking rewards: one entry (val0), nothing owed.
  ASSERT_EQ(owed.rewards_size(), 1);
  EXPECT_EQ(owed.rewards(0).validator(), RemoteVal0().value());
  EXPECT_EQ(owed.total(), "0");
}

TEST_F(MeshQueryTest, UnstakeInFlightThenAnUnbondingEntry) {
  RunEpoch();
  // alice unstakes 400 of her 1000, broadcast through chaina's server.
  const PrivateKey key = PrivateKey::FromSeed("chaina/alice");
  const staking::BaseAccount acc = *net_->app("chaina").chain().GetAccount(Alice());
  TxSpec tx;
  tx.chain_id = "chaina";
  tx.account_number = acc.account_number;
  tx.sequence = acc.sequence;
  ::meshsec::v1::MsgExternalUnstake unstake;
  unstake.set_sender(Alice().value());
  unstake.set_consumer("chainb");
  unstake.set_validator(RemoteVal0().value());
  unstake.set_amount("400");
  tx.msgs.push_back(PackMsg(unstake));
  pb::BroadcastTxRequest breq;
  breq.set_signed_tx(SignTx(key, tx).Encode());
  pb::BroadcastTxResponse bresp;
  auto txs = pb::Tx::NewStub(a_);
  ASSERT_TRUE(Call(txs.get(), &pb::Tx::Stub::BroadcastTx, breq, &bresp).ok());
  ASSERT_EQ(bresp.code(), 0u) << bresp.log();
  ASSERT_TRUE(net_->ProduceRound(kBlockSeconds).ok());
  const uint64_t unstake_time_s = net_->app("chaina").chain().time_ns() / kNanosPerSecond;

  // Delivered on chaina, received by chainb; the ack is in flight.
  pb::QueryExternalPendingTxsRequest ereq;
  ereq.set_consumer("chainb");
  pb::QueryExternalPendingTxsResponse etx;
  ASSERT_TRUE(
      Call(provider_.get(), &pb::ProviderQuery::Stub::ExternalPendingTxs, ereq, &etx).ok());
  ASSERT_EQ(etx.txs_size(), 1);
  EXPECT_EQ(etx.txs(0).kind(), "unstake");
  EXPECT_EQ(etx.txs(0).id(), uint64_t{1} << 63);  // own ids count from 2^63
  EXPECT_EQ(etx.txs(0).amount(), "400");
  pb::QueryExternalStakesResponse mid = Stakes();
  ASSERT_EQ(mid.stakes_size(), 1);
  EXPECT_EQ(mid.stakes(0).stake().low(), "600");
  EXPECT_EQ(mid.stakes(0).stake().high(), "1000");

  for (int i = 0; i < 2; ++i) ASSERT_TRUE(net_->ProduceRound(kBlockSeconds).ok());
  const uint64_t latest_s = net_->app("chaina").chain().time_ns() / kNanosPerSecond;
  pb::QueryExternalStakesResponse done = Stakes();
  ASSERT_EQ(done.stakes_size(), 1);
  EXPECT_EQ(done.stakes(0).stake().low(), "600");
  EXPECT_EQ(done.stakes(0).stake().high(), "600");
  ASSERT_EQ(done.stakes(0).unbonding_size(), 1);
  EXPECT_EQ(done.stakes(0).unbonding(0).amount(), "400");
  // Released one unbonding period (3600 s) after the ack's block.
  const uint64_t release_s = done.stakes(0).unbonding(0).release_time().seconds();
  EXPECT_GT(release_s, unstake_time_s + 3600);
  EXPECT_LE(release_s, latest_s + 3600);
  // The consumer's record dropped to 600 remote / 540 local.
  pb::QueryDelegationRecordsRequest dreq;
  dreq.set_provider("chaina");
  pb::QueryDelegationRecordsResponse recs;
  ASSERT_TRUE(
      Call(consumer_.get(), &pb::ConsumerQuery::Stub::DelegationRecords, dreq, &recs).ok());
  ASSERT_EQ(recs.records_size(), 1);
  EXPECT_EQ(recs.records(0).remote(), "600");
  EXPECT_EQ(recs.records(0).local(), "540");
}

TEST_F(MeshQueryTest, Errors) {
  pb::QueryLinkRequest lreq;
  lreq.set_consumer("nochain");
  pb::QueryLinkResponse link;
  EXPECT_EQ(Call(provider_.get(), &pb::ProviderQuery::Stub::Link, lreq, &link).error_code(),
            grpc::StatusCode::NOT_FOUND);
  pb::QueryVaultAccountResponse acc;
  EXPECT_EQ(Call(provider_.get(), &pb::ProviderQuery::Stub::VaultAccount,
                 pb::QueryVaultAccountRequest(), &acc)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pb::QueryProviderRequest preq;
  preq.set_provider("nochain");
  pb::QueryProviderResponse prov;
  EXPECT_EQ(Call(consumer_.get(), &pb::ConsumerQuery::Stub::Provider, preq, &prov).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(MeshQueryTest, Pagination) {
  // chainb's three validators as remote validators on chaina.
  auto list = [&](pb::MeshPageRequest page, pb::QueryRemoteValidatorsResponse* out) {
    pb::QueryRemoteValidatorsRequest req;
    req.set_consumer("chainb");
    *req.mutable_pagination() = page;
    return Call(provider_.get(), &pb::ProviderQuery::Stub::RemoteValidators, req, out);
  };
  pb::QueryRemoteValidatorsResponse all;
  ASSERT_TRUE(list(pb::MeshPageRequest(), &all).ok());
  ASSERT_EQ(all.validators_size(), 3);
  EXPECT_EQ(all.pagination().total(), 3u);  // limit 0: counted
  EXPECT_TRUE(all.pagination().next_key().empty());
  std::vector<std::string> names;
  for (const auto& v : all.validators()) names.push_back(v.validator());
  ASSERT_TRUE(std::is_sorted(names.begin(), names.end()));

  pb::MeshPageRequest page;
  page.set_limit(2);
  pb::QueryRemoteValidatorsResponse first;
  ASSERT_TRUE(list(page, &first).ok());
  ASSERT_EQ(first.validators_size(), 2);
  EXPECT_EQ(first.validators(1).validator(), names[1]);
  EXPECT_EQ(first.pagination().next_key(), names[2]);
  EXPECT_EQ(first.pagination().total(), 0u);  // not asked for

  page.set_key(first.pagination().next_key());
  pb::QueryRemoteValidatorsResponse second;
  ASSERT_TRUE(list(page, &second).ok());
  ASSERT_EQ(second.validators_size(), 1);
  EXPECT_EQ(second.validators(0).validator(), names[2]);
  EXPECT_TRUE(second.pagination().next_key().empty());

  pb::MeshPageRequest off;
  off.set_offset(1);
  off.set_limit(1);
  off.set_count_total(true);
  pb::QueryRemoteValidatorsResponse mid;
  ASSERT_TRUE(list(off, &mid).ok());
  ASSERT_EQ(mid.validators_size(), 1);
  EXPECT_EQ(mid.validators(0).validator(), names[1]);
  EXPECT_EQ(mid.pagination().total(), 3u);
  EXPECT_EQ(mid.pagination().next_key(), names[2]);

  pb::MeshPageRequest rev;
  rev.set_reverse(true);
  rev.set_limit(2);
  pb::QueryRemoteValidatorsResponse back;
  ASSERT_TRUE(list(rev, &back).ok());
  ASSERT_EQ(back.validators_size(), 2);
  EXPECT_EQ(back.validators(0).validator(), names[2]);
  EXPECT_EQ(back.validators(1).validator(), names[1]);
  EXPECT_EQ(back.pagination().next_key(), names[0]);

  pb::MeshPageRequest both;
  both.set_offset(1);
  both.set_key(names[0]);
  pb::QueryRemoteValidatorsResponse bad;
  EXPECT_EQ(list(both, &bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.validators_size(), 0);  // no partial response
}

TEST_F(MeshQueryTest, QueriesAtAHeight) {
  const uint64_t h0 = staked_height_;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(net_->ProduceRound(kBlockSeconds).ok());
  const uint64_t latest = net_->app("chaina").chain().height();
  ASSERT_EQ(latest, h0 + 3);

  // Latest: the ack committed the stake. Absent header -> latest, echoed.
  std::string served;
  pb::QueryExternalStakesResponse now = Stakes(std::nullopt, &served);
  EXPECT_EQ(served, absl::StrCat(latest));
  ASSERT_EQ(now.stakes_size(), 1);
  EXPECT_EQ(now.stakes(0).stake().low(), "1000");
  // At the height of the stake block: still in flight.
  pb::QueryExternalStakesResponse before = Stakes(h0, &served);
  EXPECT_EQ(served, absl::StrCat(h0));
  ASSERT_EQ(before.stakes_size(), 1);
  EXPECT_EQ(before.stakes(0).stake().low(), "0");
  EXPECT_EQ(before.stakes(0).stake().high(), "1000");

  // The Cosmos and meshsec.v1 services honour the header too.
  auto bank = ::cosmos::bank::v1beta1::Query::NewStub(a_);
  ::cosmos::bank::v1beta1::QueryBalanceRequest breq;
  breq.set_address(Alice().value());
  breq.set_denom("uchaina");
  ::cosmos::bank::v1beta1::QueryBalanceResponse bal;
  ASSERT_TRUE(Call(bank.get(), &::cosmos::bank::v1beta1::Query::Stub::Balance, breq, &bal,
                   h0, &served).ok());
  EXPECT_EQ(served, absl::StrCat(h0));
  EXPECT_EQ(bal.balance().amount(), "999999999000");
  auto mq = pb::Query::NewStub(a_);
  pb::QueryBalanceRequest mreq;
  mreq.set_address(Alice().value());
  mreq.set_denom("uchaina");
  pb::QueryBalanceResponse mbal;
  ASSERT_TRUE(Call(mq.get(), &pb::Query::Stub::Balance, mreq, &mbal, h0, &served).ok());
  EXPECT_EQ(served, absl::StrCat(h0));
  EXPECT_EQ(mbal.balance().amount(), "999999999000");
  // The history starts with the block the server started on.
  grpc::Status early = Call(mq.get(), &pb::Query::Stub::Balance, mreq, &mbal, h0 - 1);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(early.error_message().find(absl::StrCat("oldest kept height is ", h0)),
            std::string::npos)
      << early.error_message();

  // A future height and a garbage header are InvalidArgument.
  pb::QueryExternalStakesRequest req;
  req.set_consumer("chainb");
  req.set_user(Alice().value());
  pb::QueryExternalStakesResponse resp;
  grpc::Status future = Call(provider_.get(), &pb::ProviderQuery::Stub::ExternalStakes, req,
                             &resp, latest + 1);
  EXPECT_EQ(future.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(future.error_message().find(absl::StrCat("latest height ", latest)),
            std::string::npos)
      << future.error_message();
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kBlockHeightHeader, "ten");
    EXPECT_EQ(provider_->ExternalStakes(&ctx, req, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }

  // Past the kept window (6 blocks): pruned, naming the oldest kept height.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(net_->ProduceRound(kBlockSeconds).ok());
  const uint64_t newest = net_->app("chaina").chain().height();
  const uint64_t oldest = newest - kKept + 1;
  ASSERT_GT(oldest, h0);
  grpc::Status pruned =
      Call(provider_.get(), &pb::ProviderQuery::Stub::ExternalStakes, req, &resp, h0);
  EXPECT_EQ(pruned.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(pruned.error_message().find(absl::StrCat("oldest kept height is ", oldest)),
            std::string::npos)
      << pruned.error_message();
  Stakes(oldest, &served);
  EXPECT_EQ(served, absl::StrCat(oldest));
}

TEST(BlockHistoryTest, ParsesTheHeader) {
  EXPECT_EQ(*ParseBlockHeight(std::nullopt), std::nullopt);
  EXPECT_EQ(*ParseBlockHeight(""), std::nullopt);
  EXPECT_EQ(*ParseBlockHeight("0"), std::nullopt);
  EXPECT_EQ(*ParseBlockHeight("42"), std::optional<uint64_t>(42));
  EXPECT_EQ(ParseBlockHeight("-1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBlockHeight("1e3").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBlockHeight("99999999999999999999").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Views of blocks 1..5 of a bare chain, kept 3 at a time.
TEST(BlockHistoryTest, KeepsTheLastBlocksAndReplacesRepublishedOnes) {
  auto chain = Chain::Open(std::make_unique<MemStore>(), ChainConfig{"solo", "mesh"});
  ASSERT_TRUE(chain.ok()) << chain.status();
  BlockHistory history(3);
  EXPECT_EQ(history.At(std::nullopt).status().code(), absl::StatusCode::kUnavailable);
  std::vector<std::shared_ptr<const Chain>> views;
  for (uint64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE((*chain)->BeginBlock(kGenesis + i * kNanosPerSecond).ok());
    ASSERT_TRUE((*chain)->EndBlock().ok());
    ASSERT_TRUE((*chain)->Commit().ok());
    auto view = (*chain)->CommittedView();
    ASSERT_TRUE(view.ok()) << view.status();
    views.push_back(std::shared_ptr<const Chain>(*std::move(view)));
    history.Add(views.back());
  }
  EXPECT_EQ(history.size(), 3u);
  EXPECT_EQ((*history.At(std::nullopt))->height(), 5u);
  EXPECT_EQ((*history.At(3))->height(), 3u);
  EXPECT_EQ((*history.At(3))->time_ns(), kGenesis + 3 * kNanosPerSecond);
  EXPECT_EQ(history.At(2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(history.At(6).status().code(), absl::StatusCode::kInvalidArgument);
  // The same block published again replaces its view.
  history.Add(views[4]);
  EXPECT_EQ(history.size(), 3u);
  // A lower height (a store restored under the server) drops the newer ones.
  history.Add(views[3]);
  EXPECT_EQ(history.size(), 2u);
  EXPECT_EQ(history.Latest()->height(), 4u);
  EXPECT_EQ(history.At(5).status().code(), absl::StatusCode::kInvalidArgument);
  // A store without snapshots clears it.
  history.Add(nullptr);
  EXPECT_EQ(history.Latest(), nullptr);
}

}  // namespace
}  // namespace mesh::node
