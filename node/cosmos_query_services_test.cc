// cosmos.bank.v1beta1.Query, cosmos.auth.v1beta1.Query,
// cosmos.base.tendermint.v1beta1.Service and grpc.health.v1.Health through
// GrpcServer, called with the stubs generated from the Cosmos SDK protos.
#include "node/cosmos_query_services.h"

#include "cosmos/crypto/secp256k1/keys.pb.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/status.h"
#include "cosmos/auth/v1beta1/auth.pb.h"
#include "cosmos/auth/v1beta1/query.grpc.pb.h"
#include "cosmos/bank/v1beta1/query.grpc.pb.h"
#include "cosmos/base/tendermint/v1beta1/query.pb.h"
#include "gtest/gtest.h"
#include "node/grpc_server.h"
#include "node/grpc_test_util.h"
#include "node/staking_msgs.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

namespace bk = ::cosmos::bank::v1beta1;
namespace au = ::cosmos::auth::v1beta1;
namespace tm = ::cosmos::base::tendermint::v1beta1;

constexpr char kChainId[] = "query-1";
constexpr char kTm[] = "/cosmos.base.tendermint.v1beta1.Service/";


// A tendermint Service method with the generated messages.
template <typename Resp>
grpc::Status TmCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                    const google::protobuf::Message& req, Resp* resp) {
  return test_util::MessageCall(channel, kTm + method, req, resp);
}
constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlock = 5 * kNanosPerSecond + 250;

// Genesis: alice holds 5 denoms (a0..a4, amounts 100..500) and 1000 stake;
// bob holds 70 stake. Block 1: alice sends bob 30 stake (alice nonce 1).
class CosmosQueryServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto chain = Chain::Open(std::make_unique<MemStore>(), ChainConfig{kChainId, "mesh"});
    ASSERT_TRUE(chain.ok()) << chain.status();
    InstallStakingModule(**chain);
    ASSERT_TRUE((*chain)
                    ->InitGenesis(kT0,
                                  [&](const Context& ctx) -> absl::Status {
                                    MESH_RETURN_IF_ERROR(staking::Staking::InitGenesis(
                                        ctx, staking::Params()));
                                    for (int i = 4; i >= 0; --i) {
                                      MESH_RETURN_IF_ERROR(staking::Bank::Mint(
                                          ctx, alice_, Denom(absl::StrCat("a", i)),
                                          Amount(100 * (i + 1))));
                                    }
                                    MESH_RETURN_IF_ERROR(staking::Bank::Mint(
                                        ctx, alice_, Denom("stake"), Amount(1000)));
                                    return staking::Bank::Mint(ctx, bob_, Denom("stake"),
                                                               Amount(70));
                                  })
                    .ok());
    Chain& c = **chain;
    ASSERT_TRUE(c.BeginBlock(kT0 + kBlock).ok());
    TxSpec tx;
    tx.chain_id = kChainId;
    tx.account_number = c.GetAccount(alice_)->account_number;
    tx.sequence = 0;
    tx.msgs.push_back(BankSendMsg(alice_, bob_, Denom("stake"), Amount(30)));
    TxResult r = c.DeliverTx(SignTx(alice_key_, tx));
    ASSERT_TRUE(r.ok()) << r.log;
    ASSERT_TRUE(c.EndBlock().ok());
    auto hash = c.Commit();
    ASSERT_TRUE(hash.ok());
    app_hash_ = std::string(reinterpret_cast<const char*>(hash->data()), hash->size());
    auto server = GrpcServer::Start(std::move(*chain));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    bank_ = bk::Query::NewStub(channel_);
    auth_ = au::Query::NewStub(channel_);
  }

  bk::QueryAllBalancesResponse AllBalances(const std::string& addr, const std::string& key,
                                           uint64_t offset, uint64_t limit, bool reverse,
                                           grpc::Status* st) {
    bk::QueryAllBalancesRequest req;
    req.set_address(addr);
    req.mutable_pagination()->set_key(key);
    req.mutable_pagination()->set_offset(offset);
    req.mutable_pagination()->set_limit(limit);
    req.mutable_pagination()->set_reverse(reverse);
    bk::QueryAllBalancesResponse resp;
    grpc::ClientContext ctx;
    *st = bank_->AllBalances(&ctx, req, &resp);
    return resp;
  }

  static std::vector<std::string> Denoms(const bk::QueryAllBalancesResponse& r) {
    std::vector<std::string> out;
    for (const auto& c : r.balances()) out.push_back(c.denom() + "=" + c.amount());
    return out;
  }

  PrivateKey alice_key_ = PrivateKey::FromSeed("alice");
  AccountAddress alice_{AccountAddressOf("mesh", alice_key_.PublicKey())};
  AccountAddress bob_{AccountAddressOf("mesh", PrivateKey::FromSeed("bob").PublicKey())};
  std::string app_hash_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<bk::Query::Stub> bank_;
  std::unique_ptr<au::Query::Stub> auth_;
};

TEST_F(CosmosQueryServicesTest, BalanceOfHeldAndUnheldDenoms) {
  bk::QueryBalanceRequest req;
  req.set_address(bob_.value());
  req.set_denom("stake");
  bk::QueryBalanceResponse resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(bank_->Balance(&ctx, req, &resp).ok());
  }
  EXPECT_EQ(resp.balance().denom(), "stake");
  EXPECT_EQ(resp.balance().amount(), "100");  // 70 + 30
  req.set_denom("a0");
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(bank_->Balance(&ctx, req, &resp).ok());
  }
  EXPECT_EQ(resp.balance().denom(), "a0");
  EXPECT_EQ(resp.balance().amount(), "0");
}

TEST_F(CosmosQueryServicesTest, BalanceRejectsBadAddressAndEmptyDenom) {
  bk::QueryBalanceRequest req;
  bk::QueryBalanceResponse resp;
  req.set_denom("stake");
  for (const std::string& addr :
       {std::string(), std::string("mesh1notanaddress"),
        AccountAddressOf("cosmos", alice_key_.PublicKey())}) {
    req.set_address(addr);
    grpc::ClientContext ctx;
    EXPECT_EQ(bank_->Balance(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << addr;
  }
  req.set_address(alice_.value());
  req.set_denom("");
  grpc::ClientContext ctx;
  EXPECT_EQ(bank_->Balance(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CosmosQueryServicesTest, AllBalancesPaginatesByDenom) {
  grpc::Status st;
  auto all = AllBalances(alice_.value(), "", 0, 0, false, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Denoms(all), (std::vector<std::string>{"a0=100", "a1=200", "a2=300", "a3=400",
                                                   "a4=500", "stake=970"}));
  EXPECT_EQ(all.pagination().total(), 6u);  // limit 0 counts
  EXPECT_EQ(all.pagination().next_key(), "");

  auto p1 = AllBalances(alice_.value(), "", 0, 4, false, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(Denoms(p1), (std::vector<std::string>{"a0=100", "a1=200", "a2=300", "a3=400"}));
  EXPECT_EQ(p1.pagination().next_key(), "a4");
  EXPECT_EQ(p1.pagination().total(), 0u);  // no count_total
  auto p2 = AllBalances(alice_.value(), p1.pagination().next_key(), 0, 4, false, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(Denoms(p2), (std::vector<std::string>{"a4=500", "stake=970"}));
  EXPECT_EQ(p2.pagination().next_key(), "");

  auto off = AllBalances(alice_.value(), "", 2, 2, false, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(Denoms(off), (std::vector<std::string>{"a2=300", "a3=400"}));
  EXPECT_EQ(off.pagination().next_key(), "a4");

  auto rev = AllBalances(alice_.value(), "", 0, 2, true, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(Denoms(rev), (std::vector<std::string>{"stake=970", "a4=500"}));
  EXPECT_EQ(rev.pagination().next_key(), "a3");

  AllBalances(alice_.value(), "a1", 1, 2, false, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // key and offset
  AllBalances("mesh1xyz", "", 0, 0, false, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  std::string nobody = AccountAddressOf("mesh", PrivateKey::FromSeed("nobody").PublicKey());
  auto none = AllBalances(nobody, "", 0, 0, false, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(none.balances_size(), 0);
}

TEST_F(CosmosQueryServicesTest, TotalSupplyAndSupplyOf) {
  bk::QueryTotalSupplyRequest req;
  req.mutable_pagination()->set_limit(3);
  req.mutable_pagination()->set_count_total(true);
  bk::QueryTotalSupplyResponse resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(bank_->TotalSupply(&ctx, req, &resp).ok());
  }
  ASSERT_EQ(resp.supply_size(), 3);
  EXPECT_EQ(resp.supply(0).denom(), "a0");
  EXPECT_EQ(resp.supply(2).amount(), "300");
  EXPECT_EQ(resp.pagination().total(), 6u);
  EXPECT_EQ(resp.pagination().next_key(), "a3");

  bk::QuerySupplyOfRequest sreq;
  bk::QuerySupplyOfResponse sresp;
  sreq.set_denom("stake");
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(bank_->SupplyOf(&ctx, sreq, &sresp).ok());
  }
  EXPECT_EQ(sresp.amount().denom(), "stake");
  EXPECT_EQ(sresp.amount().amount(), "1070");
  sreq.set_denom("nothing");
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(bank_->SupplyOf(&ctx, sreq, &sresp).ok());
  }
  EXPECT_EQ(sresp.amount().amount(), "0");
  sreq.set_denom("");
  grpc::ClientContext ctx;
  EXPECT_EQ(bank_->SupplyOf(&ctx, sreq, &sresp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// account_number in creation order (alice first funded at genesis: 0, bob:
// 1); the sequence counts txs; pub_key is stored by the first tx.
TEST_F(CosmosQueryServicesTest, AccountIsABaseAccountWithNumberSequenceAndPubKey) {
  au::QueryAccountRequest req;
  au::QueryAccountResponse resp;
  req.set_address(alice_.value());
  {
    grpc::ClientContext ctx;
    grpc::Status st = auth_->Account(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_EQ(resp.account().type_url(), "/cosmos.auth.v1beta1.BaseAccount");
  au::BaseAccount acc;
  ASSERT_TRUE(acc.ParseFromString(resp.account().value()));
  EXPECT_EQ(acc.address(), alice_.value());
  EXPECT_EQ(acc.sequence(), 1u);
  EXPECT_EQ(acc.account_number(), 0u);
  ASSERT_TRUE(acc.has_pub_key());
  EXPECT_EQ(acc.pub_key().type_url(), "/cosmos.crypto.secp256k1.PubKey");
  ::cosmos::crypto::secp256k1::PubKey pk;
  ASSERT_TRUE(pk.ParseFromString(acc.pub_key().value()));
  EXPECT_EQ(pk.key(), alice_key_.PublicKey());

  req.set_address(bob_.value());  // funded, never signed
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(auth_->Account(&ctx, req, &resp).ok());
  }
  ASSERT_TRUE(acc.ParseFromString(resp.account().value()));
  EXPECT_EQ(acc.sequence(), 0u);
  EXPECT_EQ(acc.account_number(), 1u);
  EXPECT_FALSE(acc.has_pub_key());

  req.set_address(AccountAddressOf("mesh", PrivateKey::FromSeed("nobody").PublicKey()));
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(auth_->Account(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  req.set_address("");
  grpc::ClientContext ctx;
  EXPECT_EQ(auth_->Account(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CosmosQueryServicesTest, TendermintNodeInfoSyncingAndLatestBlock) {
  tm::GetNodeInfoResponse info;
  ASSERT_TRUE(TmCall(channel_, "GetNodeInfo", tm::GetNodeInfoRequest(), &info).ok());
  EXPECT_EQ(info.node_info().network(), kChainId);
  EXPECT_EQ(info.application_version().name(), "meshd");
  EXPECT_EQ(info.application_version().app_name(), "meshd");

  tm::GetSyncingResponse sync;
  ASSERT_TRUE(TmCall(channel_, "GetSyncing", tm::GetSyncingRequest(), &sync).ok());
  EXPECT_FALSE(sync.syncing());

  tm::GetLatestBlockResponse block;
  ASSERT_TRUE(TmCall(channel_, "GetLatestBlock", tm::GetLatestBlockRequest(), &block).ok());
  const auto& h = block.block().header();
  EXPECT_EQ(h.chain_id(), kChainId);
  EXPECT_EQ(h.height(), 1);
  EXPECT_EQ(h.time().seconds(), static_cast<int64_t>((kT0 + kBlock) / kNanosPerSecond));
  EXPECT_EQ(h.time().nanos(), 250);
  EXPECT_EQ(h.app_hash(), app_hash_);
  EXPECT_EQ(h.app_hash().size(), 32u);
}

TEST_F(CosmosQueryServicesTest, UnservedMethodsAreUnimplemented) {
  tm::GetBlockByHeightResponse resp;
  EXPECT_EQ(TmCall(channel_, "GetBlockByHeight", tm::GetBlockByHeightRequest(), &resp).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

// grpc.health.v1.Health/Check over the raw wire: HealthCheckRequest{service
// = ""} is empty; the response must be HealthCheckResponse{status = SERVING
// (1)} = bytes 08 01.
TEST_F(CosmosQueryServicesTest, HealthCheckIsServing) {
  std::string bytes;
  grpc::Status st = test_util::RawCall(channel_, "/grpc.health.v1.Health/Check", "", &bytes);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

// HealthCheckRequest{service = name} (field 1, length-delimited).
std::string HealthRequest(const std::string& name) {
  return std::string("\x0a", 1) + static_cast<char>(name.size()) + name;
}

// Every service the server registered answers SERVING by its full name (as
// grpc-health-probe -service and Cosmos tooling ask); a name it does not
// serve is NOT_FOUND.
TEST_F(CosmosQueryServicesTest, HealthCheckServesEveryRegisteredServiceByName) {
  for (const char* name : {"cosmos.staking.v1beta1.Query", "cosmos.bank.v1beta1.Query",
                           "cosmos.auth.v1beta1.Query", "cosmos.base.tendermint.v1beta1.Service",
                           "cosmos.tx.v1beta1.Service", "meshsec.v1.Query", "meshsec.v1.Tx",
                           "grpc.health.v1.Health"}) {
    std::string bytes;
    grpc::Status st =
        test_util::RawCall(channel_, "/grpc.health.v1.Health/Check", HealthRequest(name), &bytes);
    ASSERT_TRUE(st.ok()) << name << ": " << st.error_message();
    EXPECT_EQ(bytes, std::string("\x08\x01", 2)) << name;
  }
  for (const char* name : {"cosmos.staking.v1beta1.Nope", "meshsec.v1", "Query"}) {
    std::string bytes;
    EXPECT_EQ(test_util::RawCall(channel_, "/grpc.health.v1.Health/Check", HealthRequest(name), &bytes)
                  .error_code(),
              grpc::StatusCode::NOT_FOUND)
        << name;
  }
}

}  // namespace
}  // namespace mesh::node
