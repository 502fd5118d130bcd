// cosmos.tx.v1beta1.Service through GrpcServer, called by full method name
// with the messages generated from the Cosmos SDK protos (grpc_cpp_plugin
// cannot generate the "Service" stub).
#include "node/cosmos_tx_service.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "cosmos/base/abci/v1beta1/abci.pb.h"
#include "cosmos/bank/v1beta1/tx.pb.h"
#include "cosmos/tx/v1beta1/service.pb.h"
#include "gtest/gtest.h"
#include "meshsec/v1/cosmos_tx_compat.pb.h"
#include "node/grpc_server.h"
#include "node/grpc_test_util.h"
#include "node/staking_msgs.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

namespace txpb = ::cosmos::tx::v1beta1;
namespace compat = ::meshsec::v1::cosmos_compat;

constexpr char kChainId[] = "txsvc-1";
constexpr char kSvc[] = "/cosmos.tx.v1beta1.Service/";
constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;  // 2023-11-14T22:13:20Z

template <typename Resp>
grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                  const google::protobuf::Message& req, Resp* resp) {
  return test_util::MessageCall(channel, kSvc + method, req, resp);
}

// Genesis: alice holds 1000 stake. The server's tx index lives in
// `index_store` when set (the restart test), in memory otherwise.
class CosmosTxServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto chain = Chain::Open(std::make_unique<MemStore>(), ChainConfig{kChainId, "mesh"});
    ASSERT_TRUE(chain.ok()) << chain.status();
    chain_ = std::move(*chain);
    InstallStakingModule(*chain_);
    ASSERT_TRUE(chain_
                    ->InitGenesis(kT0,
                                  [&](const Context& ctx) -> absl::Status {
                                    MESH_RETURN_IF_ERROR(staking::Staking::InitGenesis(
                                        ctx, staking::Params()));
                                    MESH_RETURN_IF_ERROR(staking::Bank::Mint(
                                        ctx, carol_, Denom("stake"), Amount(1000)));
                                    return staking::Bank::Mint(ctx, alice_, Denom("stake"),
                                                               Amount(1000));
                                  })
                    .ok());
    StartServer(nullptr);
  }
  void TearDown() override { server_.reset(); }

  void StartServer(DurableStore* index) {
    server_.reset();
    GrpcServerOptions o;
    o.tx_index = index;
    auto server = GrpcServer::Start(chain_.get(), std::move(o));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  }

  // alice sends bob `amount` stake with `sequence`; `signature` false leaves
  // the signature empty (a simulation).
  std::string SendTx(uint64_t amount, uint64_t sequence, bool signature = true) {
    return SendTxFrom(alice_key_, alice_, amount, sequence, signature);
  }
  std::string SendTxFrom(const PrivateKey& key, const AccountAddress& from, uint64_t amount,
                         uint64_t sequence, bool signature = true) {
    TxSpec tx;
    tx.chain_id = kChainId;
    tx.account_number = chain_->GetAccount(from)->account_number;
    tx.sequence = sequence;
    tx.gas_limit = 200000;
    tx.msgs.push_back(BankSendMsg(from, bob_, Denom("stake"), Amount(amount)));
    SignedTx signed_tx = SignTx(key, tx);
    if (!signature) signed_tx = signed_tx.WithSignature("");
    return signed_tx.Encode();
  }

  txpb::BroadcastTxResponse Broadcast(const std::string& bytes, txpb::BroadcastMode mode,
                                      grpc::Status* st) {
    txpb::BroadcastTxRequest req;
    req.set_tx_bytes(bytes);
    req.set_mode(mode);
    txpb::BroadcastTxResponse resp;
    *st = Call(channel_, "BroadcastTx", req, &resp);
    return resp;
  }

  txpb::GetTxResponse GetTx(const std::string& hash, grpc::Status* st) {
    txpb::GetTxRequest req;
    req.set_hash(hash);
    txpb::GetTxResponse resp;
    *st = Call(channel_, "GetTx", req, &resp);
    return resp;
  }

  std::string Balance(const AccountAddress& who) {
    return staking::Bank::Balance(chain_->QueryContext(), who, Denom("stake"))->ToString();
  }

  // Queues `bytes` (SYNC, must pass the check); returns its txhash.
  std::string Queue(const std::string& bytes) {
    grpc::Status st;
    txpb::BroadcastTxResponse b = Broadcast(bytes, txpb::BROADCAST_MODE_SYNC, &st);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(b.tx_response().code(), 0u) << b.tx_response().raw_log();
    return b.tx_response().txhash();
  }

  // Block 1: alice#0, carol#0, alice#1; block 2: carol#1, alice#2 (amounts
  // 1..5 in that order). Fills hashes_ in delivery order.
  void ProduceTwoBlocks() {
    hashes_.push_back(Queue(SendTx(1, 0)));
    hashes_.push_back(Queue(SendTxFrom(carol_key_, carol_, 2, 0)));
    hashes_.push_back(Queue(SendTx(3, 1)));
    ASSERT_TRUE(server_->ProduceBlock(kT0 + 5 * kNanosPerSecond).ok());
    hashes_.push_back(Queue(SendTxFrom(carol_key_, carol_, 4, 1)));
    hashes_.push_back(Queue(SendTx(5, 2)));
    ASSERT_TRUE(server_->ProduceBlock(kT0 + 10 * kNanosPerSecond).ok());
  }

  compat::GetTxsEventResponse Search(const std::string& query, grpc::Status* st,
                                     uint64_t page = 0, uint64_t limit = 0,
                                     txpb::OrderBy order = txpb::ORDER_BY_UNSPECIFIED) {
    compat::GetTxsEventRequest req;
    req.set_query(query);
    req.set_page(page);
    req.set_limit(limit);
    req.set_order_by(order);
    compat::GetTxsEventResponse resp;
    *st = Call(channel_, "GetTxsEvent", req, &resp);
    return resp;
  }

  // The txhashes of a GetTxsEvent answer, checking each tx matches its response.
  static std::vector<std::string> Hashes(const compat::GetTxsEventResponse& r) {
    std::vector<std::string> out;
    EXPECT_EQ(r.txs_size(), r.tx_responses_size());
    for (int i = 0; i < r.tx_responses_size(); ++i) {
      ::cosmos::base::abci::v1beta1::TxResponse resp;
      EXPECT_TRUE(resp.ParseFromString(r.tx_responses(i)));
      EXPECT_EQ(resp.tx().value(), r.txs(i));
      out.push_back(resp.txhash());
    }
    return out;
  }

  std::vector<std::string> Pick(std::initializer_list<int> indices) const {
    std::vector<std::string> out;
    for (int i : indices) out.push_back(hashes_[i]);
    return out;
  }

  std::vector<std::string> hashes_;
  PrivateKey alice_key_ = PrivateKey::FromSeed("alice");
  AccountAddress alice_{AccountAddressOf("mesh", alice_key_.PublicKey())};
  PrivateKey carol_key_ = PrivateKey::FromSeed("carol");
  AccountAddress carol_{AccountAddressOf("mesh", carol_key_.PublicKey())};
  AccountAddress bob_{AccountAddressOf("mesh", PrivateKey::FromSeed("bob").PublicKey())};
  std::unique_ptr<Chain> chain_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(CosmosTxServiceTest, SyncBroadcastQueuesAndGetTxReadsTheDeliveredResult) {
  const std::string bytes = SendTx(30, 0);
  grpc::Status st;
  txpb::BroadcastTxResponse b = Broadcast(bytes, txpb::BROADCAST_MODE_SYNC, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(b.tx_response().code(), 0u) << b.tx_response().raw_log();
  EXPECT_EQ(b.tx_response().txhash(), CometTxHash(bytes));
  EXPECT_EQ(b.tx_response().txhash().size(), 64u);
  EXPECT_EQ(server_->PendingTxCount(), 1u);

  GetTx(b.tx_response().txhash(), &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);  // not in a block yet

  auto block = server_->ProduceBlock(kT0 + 5 * kNanosPerSecond);
  ASSERT_TRUE(block.ok()) << block.status();
  ASSERT_EQ(block->txs.size(), 1u);
  EXPECT_EQ(Balance(bob_), "30");

  // Lower-case hex finds it too.
  std::string lower = b.tx_response().txhash();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  txpb::GetTxResponse g = GetTx(lower, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const auto& r = g.tx_response();
  EXPECT_EQ(r.height(), 1);
  EXPECT_EQ(r.txhash(), b.tx_response().txhash());
  EXPECT_EQ(r.code(), 0u);
  EXPECT_EQ(r.codespace(), "");
  EXPECT_EQ(r.gas_wanted(), 200000);
  EXPECT_EQ(r.gas_used(), static_cast<int64_t>(block->txs[0].result.gas_used));
  EXPECT_GT(r.gas_used(), 0);
  EXPECT_EQ(r.timestamp(), "2023-11-14T22:13:25Z");
  EXPECT_EQ(r.tx().type_url(), "/cosmos.tx.v1beta1.Tx");
  // The tx decoded: the MsgSend as signed.
  ASSERT_EQ(g.tx().body().messages_size(), 1);
  EXPECT_EQ(g.tx().body().messages(0).type_url(), "/cosmos.bank.v1beta1.MsgSend");
  ::cosmos::bank::v1beta1::MsgSend send;
  ASSERT_TRUE(send.ParseFromString(g.tx().body().messages(0).value()));
  EXPECT_EQ(send.to_address(), bob_.value());
  EXPECT_EQ(send.amount(0).amount(), "30");
  EXPECT_EQ(g.tx().auth_info().fee().gas_limit(), 200000u);
  EXPECT_EQ(g.tx().signatures_size(), 1);
  EXPECT_EQ(g.tx().signatures(0).size(), 64u);
  // Events as DeliverTx gave them, attributes included.
  ASSERT_EQ(r.events_size(), static_cast<int>(block->txs[0].result.events.size()));
  bool action = false;
  for (const auto& e : r.events()) {
    if (e.type() != "message") continue;
    for (const auto& a : e.attributes()) {
      if (a.key() == "action" && a.value() == "/cosmos.bank.v1beta1.MsgSend") action = true;
    }
  }
  EXPECT_TRUE(action);
}

TEST_F(CosmosTxServiceTest, SyncBroadcastAnswersTheCheckFailureAndQueuesNothing) {
  grpc::Status st;
  txpb::BroadcastTxResponse b = Broadcast(SendTx(30, 7), txpb::BROADCAST_MODE_SYNC, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(b.tx_response().code(), kSdkWrongSequence);
  EXPECT_EQ(b.tx_response().codespace(), "sdk");
  EXPECT_NE(b.tx_response().raw_log(), "");
  EXPECT_EQ(server_->PendingTxCount(), 0u);
}

TEST_F(CosmosTxServiceTest, AsyncAnswersTheHashAndOnlyADecodeFailure) {
  grpc::Status st;
  const std::string bad_seq = SendTx(30, 7);
  txpb::BroadcastTxResponse b = Broadcast(bad_seq, txpb::BROADCAST_MODE_ASYNC, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(b.tx_response().code(), 0u);  // the check result is not reported
  EXPECT_EQ(b.tx_response().txhash(), CometTxHash(bad_seq));
  EXPECT_EQ(server_->PendingTxCount(), 0u);

  b = Broadcast("not a tx", txpb::BROADCAST_MODE_ASYNC, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(b.tx_response().code(), kSdkTxDecode);
  EXPECT_EQ(b.tx_response().codespace(), "sdk");

  b = Broadcast(SendTx(30, 0), txpb::BROADCAST_MODE_ASYNC, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(b.tx_response().code(), 0u);
  EXPECT_EQ(server_->PendingTxCount(), 1u);
}

TEST_F(CosmosTxServiceTest, RejectsAnUnspecifiedModeAndEmptyBytes) {
  grpc::Status st;
  Broadcast(SendTx(30, 0), txpb::BROADCAST_MODE_UNSPECIFIED, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Broadcast("", txpb::BROADCAST_MODE_SYNC, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(server_->PendingTxCount(), 0u);
}

TEST_F(CosmosTxServiceTest, BlockModeWaitsForTheDeliveringBlock) {
  grpc::Status st;
  txpb::BroadcastTxResponse b;
  std::thread client([&] { b = Broadcast(SendTx(1001, 0), txpb::BROADCAST_MODE_BLOCK, &st); });
  while (server_->PendingTxCount() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(server_->ProduceBlock(kT0 + 5 * kNanosPerSecond).ok());
  client.join();
  ASSERT_TRUE(st.ok()) << st.error_message();
  // Passed the check (the fee is 0), failed in the message: 1001 > 1000.
  EXPECT_EQ(b.tx_response().height(), 1);
  EXPECT_NE(b.tx_response().code(), 0u);
  EXPECT_EQ(b.tx_response().codespace(), "meshsec");
  EXPECT_EQ(Balance(bob_), "0");
  txpb::GetTxResponse g = GetTx(b.tx_response().txhash(), &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(g.tx_response().code(), b.tx_response().code());
  EXPECT_EQ(g.tx_response().raw_log(), b.tx_response().raw_log());
}

TEST_F(CosmosTxServiceTest, BlockModeReplyCarriesTheDeliveredEventsAndLogs) {
  grpc::Status st;
  txpb::BroadcastTxResponse b;
  std::thread client([&] { b = Broadcast(SendTx(30, 0), txpb::BROADCAST_MODE_BLOCK, &st); });
  while (server_->PendingTxCount() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(server_->ProduceBlock(kT0 + 5 * kNanosPerSecond).ok());
  client.join();
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(b.tx_response().code(), 0u) << b.tx_response().raw_log();
  // The same events and logs GetTx answers from the index.
  txpb::GetTxResponse g = GetTx(b.tx_response().txhash(), &st);
  ASSERT_TRUE(st.ok());
  ASSERT_GT(g.tx_response().events_size(), 0);
  EXPECT_EQ(b.tx_response().events_size(), g.tx_response().events_size());
  for (int i = 0; i < g.tx_response().events_size(); ++i) {
    EXPECT_EQ(b.tx_response().events(i).SerializeAsString(),
              g.tx_response().events(i).SerializeAsString());
  }
  ASSERT_EQ(b.tx_response().logs_size(), 1);
  EXPECT_EQ(b.tx_response().logs(0).SerializeAsString(),
            g.tx_response().logs(0).SerializeAsString());
  EXPECT_EQ(b.tx_response().gas_used(), g.tx_response().gas_used());
}

TEST_F(CosmosTxServiceTest, GetTxRejectsMalformedAndUnknownHashes) {
  grpc::Status st;
  GetTx("", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  GetTx("XYZ", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  GetTx("ABCD", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  GetTx(std::string(64, 'A'), &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CosmosTxServiceTest, SimulateGivesTheDeliveredGasWithoutASignatureAndWritesNothing) {
  grpc::Status st;
  txpb::SimulateRequest req;
  req.set_tx_bytes(SendTx(30, 0, /*signature=*/false));
  txpb::SimulateResponse sim;
  st = Call(channel_, "Simulate", req, &sim);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(sim.gas_info().gas_wanted(), 200000u);
  EXPECT_GT(sim.gas_info().gas_used(), 0u);
  EXPECT_GT(sim.result().events_size(), 0);
  EXPECT_EQ(Balance(bob_), "0");
  EXPECT_EQ(chain_->GetAccount(alice_)->sequence, 0u);

  // The deprecated `tx` field works the same (used knowingly).
  txpb::SimulateRequest by_tx;
  txpb::TxRaw raw;
  ASSERT_TRUE(raw.ParseFromString(req.tx_bytes()));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  txpb::Tx* legacy = by_tx.mutable_tx();
#pragma GCC diagnostic pop
  ASSERT_TRUE(legacy->mutable_body()->ParseFromString(raw.body_bytes()));
  ASSERT_TRUE(legacy->mutable_auth_info()->ParseFromString(raw.auth_info_bytes()));
  legacy->add_signatures("");
  txpb::SimulateResponse sim2;
  ASSERT_TRUE(Call(channel_, "Simulate", by_tx, &sim2).ok());
  EXPECT_EQ(sim2.gas_info().gas_used(), sim.gas_info().gas_used());

  // Delivering the signed tx uses what the simulation said.
  Broadcast(SendTx(30, 0), txpb::BROADCAST_MODE_SYNC, &st);
  ASSERT_TRUE(st.ok());
  auto block = server_->ProduceBlock(kT0 + 5 * kNanosPerSecond);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(block->txs[0].result.gas_used, sim.gas_info().gas_used());

  // A failing message: UNKNOWN with the gas, as the SDK.
  req.set_tx_bytes(SendTx(5000, 1, false));
  st = Call(channel_, "Simulate", req, &sim);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_NE(st.error_message().find("With gas wanted: '200000'"), std::string::npos)
      << st.error_message();
  req.clear_tx_bytes();
  st = Call(channel_, "Simulate", req, &sim);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CosmosTxServiceTest, TheIndexSurvivesARestartOfTheServer) {
  const std::string dir = ::testing::TempDir() + "/txindex_restart";
  std::filesystem::remove_all(dir);
  std::string hash;
  {
    auto store = RocksDbStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    StartServer(store->get());
    grpc::Status st;
    hash = Broadcast(SendTx(30, 0), txpb::BROADCAST_MODE_SYNC, &st).tx_response().txhash();
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(server_->ProduceBlock(kT0 + 5 * kNanosPerSecond).ok());
    server_.reset();  // before its index store closes
  }
  auto store = RocksDbStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  StartServer(store->get());
  grpc::Status st;
  txpb::GetTxResponse g = GetTx(hash, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(g.tx_response().height(), 1);
  EXPECT_EQ(g.tx_response().code(), 0u);
  // The event index and the block's tx list too.
  compat::GetTxsEventResponse found = Search("message.sender='" + alice_.value() + "'", &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Hashes(found), std::vector<std::string>{hash});
  EXPECT_EQ(found.total(), 1u);
  txpb::GetBlockWithTxsRequest breq;
  breq.set_height(1);
  txpb::GetBlockWithTxsResponse block;
  ASSERT_TRUE(Call(channel_, "GetBlockWithTxs", breq, &block).ok());
  ASSERT_EQ(block.block().data().txs_size(), 1);
  EXPECT_EQ(CometTxHash(block.block().data().txs(0)), hash);
  server_.reset();
}

TEST_F(CosmosTxServiceTest, GetTxsEventByMessageSenderFindsExactlyTheSendersTxsInOrder) {
  ProduceTwoBlocks();
  grpc::Status st;
  compat::GetTxsEventResponse r = Search("message.sender='" + alice_.value() + "'", &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Hashes(r), Pick({0, 2, 4}));
  EXPECT_EQ(r.total(), 3u);
  // Each tx as GetTx gives it.
  for (int i = 0; i < 3; ++i) {
    txpb::GetTxResponse g = GetTx(Pick({0, 2, 4})[i], &st);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(r.tx_responses(i), g.tx_response().SerializeAsString());
    EXPECT_EQ(r.txs(i), g.tx().SerializeAsString());
  }
  txpb::Tx tx;
  ASSERT_TRUE(tx.ParseFromString(r.txs(2)));
  ::cosmos::bank::v1beta1::MsgSend send;
  ASSERT_TRUE(send.ParseFromString(tx.body().messages(0).value()));
  EXPECT_EQ(send.amount(0).amount(), "5");

  // carol's are the others; the deprecated `events` field answers the same.
  compat::GetTxsEventRequest by_events;
  by_events.add_events("message.sender='" + carol_.value() + "'");
  compat::GetTxsEventResponse c;
  ASSERT_TRUE(Call(channel_, "GetTxsEvent", by_events, &c).ok());
  EXPECT_EQ(Hashes(c), Pick({1, 3}));
  // An address that sent nothing: no txs, total 0.
  r = Search("message.sender='" + bob_.value() + "'", &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(r.txs_size(), 0);
  EXPECT_EQ(r.total(), 0u);
}

TEST_F(CosmosTxServiceTest, GetTxsEventJoinsConditionsWithAndAndComparesTxHeight) {
  ProduceTwoBlocks();
  grpc::Status st;
  const std::string alice = "message.sender='" + alice_.value() + "'";
  const std::string carol = "message.sender='" + carol_.value() + "'";
  EXPECT_EQ(Hashes(Search(alice + " AND tx.height=2", &st)), Pick({4}));
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Hashes(Search("tx.height=1", &st)), Pick({0, 1, 2}));
  EXPECT_EQ(Hashes(Search("tx.height='2'", &st)), Pick({3, 4}));
  EXPECT_EQ(Hashes(Search("tx.height>=2", &st)), Pick({3, 4}));
  EXPECT_EQ(Hashes(Search("tx.height > 1", &st)), Pick({3, 4}));
  EXPECT_EQ(Hashes(Search("tx.height<=1", &st)), Pick({0, 1, 2}));
  EXPECT_EQ(Hashes(Search(carol + " AND tx.height<2", &st)), Pick({1}));
  EXPECT_EQ(Hashes(Search("tx.height<1", &st)), std::vector<std::string>{});
  EXPECT_EQ(Hashes(Search("message.action='/cosmos.bank.v1beta1.MsgSend' and " + carol, &st)),
            Pick({1, 3}));
  EXPECT_EQ(Hashes(Search("message.module='bank' AND " + alice + " AND tx.height=1", &st)),
            Pick({0, 2}));
  EXPECT_EQ(Hashes(Search(alice + " AND " + carol, &st)), std::vector<std::string>{});
  // Any indexed attribute: the ante's tx.acc_seq, the hash itself.
  EXPECT_EQ(Hashes(Search("tx.acc_seq='" + carol_.value() + "/1'", &st)), Pick({3}));
  EXPECT_EQ(Hashes(Search("tx.hash='" + hashes_[2] + "'", &st)), Pick({2}));
  ASSERT_TRUE(st.ok()) << st.error_message();
}

TEST_F(CosmosTxServiceTest, GetTxsEventPagesOrdersAndCounts) {
  ProduceTwoBlocks();
  grpc::Status st;
  const std::string q = "message.action='/cosmos.bank.v1beta1.MsgSend'";
  compat::GetTxsEventResponse r = Search(q, &st, 1, 2);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Hashes(r), Pick({0, 1}));
  EXPECT_EQ(r.total(), 5u);
  EXPECT_EQ(Hashes(Search(q, &st, 2, 2)), Pick({2, 3}));
  r = Search(q, &st, 3, 2);
  EXPECT_EQ(Hashes(r), Pick({4}));
  EXPECT_EQ(r.total(), 5u);
  EXPECT_EQ(Hashes(Search(q, &st, 1, 2, txpb::ORDER_BY_DESC)), Pick({4, 3}));
  EXPECT_EQ(Hashes(Search(q, &st, 3, 2, txpb::ORDER_BY_DESC)), Pick({0}));
  EXPECT_EQ(Hashes(Search(q, &st, 0, 0, txpb::ORDER_BY_ASC)), Pick({0, 1, 2, 3, 4}));
  EXPECT_EQ(Hashes(Search(q, &st, 1, 1000)), Pick({0, 1, 2, 3, 4}));  // capped at 100
  ASSERT_TRUE(st.ok()) << st.error_message();
  Search(q, &st, 4, 2);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("page should be within [1, 3] range, given 4"),
            std::string::npos)
      << st.error_message();
  // The deprecated PageRequest: offset 2, limit 2 = page 2.
  compat::GetTxsEventRequest old;
  old.set_query(q);
  ::cosmos::base::query::v1beta1::PageRequest pr;
  pr.set_offset(2);
  pr.set_limit(2);
  old.set_pagination(pr.SerializeAsString());
  compat::GetTxsEventResponse paged;
  ASSERT_TRUE(Call(channel_, "GetTxsEvent", old, &paged).ok());
  EXPECT_EQ(Hashes(paged), Pick({2, 3}));
}

TEST_F(CosmosTxServiceTest, GetTxsEventRejectsBadQueriesWithInvalidArgument) {
  ProduceTwoBlocks();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "query cannot be empty"},
      {"message.sender", "expected =, <, <=, > or >="},
      {"message.sender='abc", "unterminated"},
      {"message.sender=abc", "expected a 'quoted string' or a number"},
      {"message.sender='a' OR tx.height=1", "expected AND"},
      {"message.sender='a' AND", "expected a key"},
      {"message.sender>'a'", "only tx.height can be compared"},
      {"message.sender CONTAINS 'a'", "CONTAINS and EXISTS are not supported"},
      {"tx.height='abc'", "tx.height must be a non-negative integer"},
      {"tx.height=1.5", "tx.height must be a non-negative integer"},
  };
  for (const auto& [query, message] : bad) {
    grpc::Status st;
    Search(query, &st);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << query;
    EXPECT_NE(st.error_message().find(message), std::string::npos)
        << query << ": " << st.error_message();
  }
  compat::GetTxsEventRequest events;
  events.add_events("message.sender");
  compat::GetTxsEventResponse r;
  grpc::Status st = Call(channel_, "GetTxsEvent", events, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("should be of the format"), std::string::npos);
}

TEST(TxQueryTest, ParsesConditionsOperatorsAndValues) {
  auto c = ParseTxQuery(" tx.height >= 5 AND message.sender = 'mesh1x y'  and a.b=7 ");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ((*c)[0].key, "tx.height");
  EXPECT_EQ((*c)[0].op, TxQueryCondition::Op::kGe);
  EXPECT_EQ((*c)[0].value, "5");
  EXPECT_EQ((*c)[1].key, "message.sender");
  EXPECT_EQ((*c)[1].op, TxQueryCondition::Op::kEq);
  EXPECT_EQ((*c)[1].value, "mesh1x y");
  EXPECT_EQ((*c)[2].value, "7");
  EXPECT_FALSE(ParseTxQuery("a.b='1'AND c.d='2'").ok());  // AND needs spaces
  EXPECT_FALSE(ParseTxQuery("a.b='1' c.d='2'").ok());
  EXPECT_FALSE(ParseTxQuery("   ").ok());
}

TEST_F(CosmosTxServiceTest, SuccessfulTxsCarryOneLogPerMessage) {
  ProduceTwoBlocks();
  grpc::Status st;
  txpb::GetTxResponse g = GetTx(hashes_[0], &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(g.tx_response().logs_size(), 1);
  const auto& log = g.tx_response().logs(0);
  EXPECT_EQ(log.msg_index(), 0u);
  ASSERT_EQ(log.events_size(), 1);
  EXPECT_EQ(log.events(0).type(), "message");
  ASSERT_EQ(log.events(0).attributes_size(), 3);
  EXPECT_EQ(log.events(0).attributes(0).key(), "action");
  EXPECT_EQ(log.events(0).attributes(0).value(), "/cosmos.bank.v1beta1.MsgSend");
  EXPECT_EQ(log.events(0).attributes(1).value(), alice_.value());
  // A failed tx has none (as the SDK).
  const std::string failing = Queue(SendTx(100000, 3));
  ASSERT_TRUE(server_->ProduceBlock(kT0 + 15 * kNanosPerSecond).ok());
  g = GetTx(failing, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_NE(g.tx_response().code(), 0u);
  EXPECT_EQ(g.tx_response().logs_size(), 0);
}

TEST_F(CosmosTxServiceTest, GetBlockWithTxsReturnsTheBlocksTxsInOrder) {
  hashes_.push_back(Queue(SendTx(1, 0)));
  hashes_.push_back(Queue(SendTxFrom(carol_key_, carol_, 2, 0)));
  hashes_.push_back(Queue(SendTx(3, 1)));
  ASSERT_TRUE(server_->ProduceBlock(kT0 + 5 * kNanosPerSecond).ok());
  const Hash256 app_hash = chain_->app_hash();
  ASSERT_TRUE(server_->ProduceBlock(kT0 + 10 * kNanosPerSecond).ok());  // empty

  auto get = [&](int64_t height, grpc::Status* st, uint64_t offset = 0, uint64_t limit = 0,
                 bool reverse = false) {
    txpb::GetBlockWithTxsRequest req;
    req.set_height(height);
    req.mutable_pagination()->set_offset(offset);
    req.mutable_pagination()->set_limit(limit);
    req.mutable_pagination()->set_reverse(reverse);
    txpb::GetBlockWithTxsResponse resp;
    *st = Call(channel_, "GetBlockWithTxs", req, &resp);
    return resp;
  };
  auto amounts = [](const txpb::GetBlockWithTxsResponse& r) {
    std::vector<std::string> out;
    for (const txpb::Tx& tx : r.txs()) {
      ::cosmos::bank::v1beta1::MsgSend send;
      EXPECT_TRUE(send.ParseFromString(tx.body().messages(0).value()));
      out.push_back(send.amount(0).amount());
    }
    return out;
  };
  grpc::Status st;
  txpb::GetBlockWithTxsResponse r = get(1, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(amounts(r), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(r.pagination().total(), 3u);
  ASSERT_EQ(r.block().data().txs_size(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(CometTxHash(r.block().data().txs(i)), hashes_[i]);
  // The header as GetLatestBlock gave it after block 1.
  EXPECT_EQ(r.block().header().chain_id(), kChainId);
  EXPECT_EQ(r.block().header().height(), 1);
  EXPECT_EQ(r.block().header().time().seconds(), static_cast<int64_t>(kT0 / kNanosPerSecond) + 5);
  EXPECT_EQ(r.block().header().app_hash(),
            std::string(reinterpret_cast<const char*>(app_hash.data()), app_hash.size()));
  EXPECT_TRUE(r.has_block_id());

  EXPECT_EQ(amounts(get(1, &st, 1, 1)), (std::vector<std::string>{"2"}));
  EXPECT_EQ(amounts(get(1, &st, 0, 2, true)), (std::vector<std::string>{"3", "2"}));
  EXPECT_EQ(amounts(get(1, &st, 1, 0, true)), (std::vector<std::string>{"2", "1"}));
  ASSERT_TRUE(st.ok()) << st.error_message();
  get(1, &st, 3);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("out of range"), std::string::npos);

  r = get(2, &st);  // an empty block
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(r.txs_size(), 0);
  EXPECT_EQ(r.block().header().height(), 2);
  EXPECT_EQ(r.pagination().total(), 0u);

  for (int64_t h : {0, -1, 3, 99}) {
    get(h, &st);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << h;
    EXPECT_NE(st.error_message().find("greater than the current height 2"), std::string::npos)
        << st.error_message();
  }
}

TEST_F(CosmosTxServiceTest, TxDecodeAndTxEncodeRoundTrip) {
  const std::string bytes = SendTx(30, 0);
  compat::TxDecodeRequest dreq;
  dreq.set_tx_bytes(bytes);
  compat::TxDecodeResponse decoded;
  ASSERT_TRUE(Call(channel_, "TxDecode", dreq, &decoded).ok());
  txpb::Tx tx;
  ASSERT_TRUE(tx.ParseFromString(decoded.tx()));
  EXPECT_EQ(tx.body().messages(0).type_url(), "/cosmos.bank.v1beta1.MsgSend");
  EXPECT_EQ(tx.auth_info().fee().gas_limit(), 200000u);
  ASSERT_EQ(tx.signatures_size(), 1);

  compat::TxEncodeRequest ereq;
  ereq.set_tx(decoded.tx());
  compat::TxEncodeResponse encoded;
  ASSERT_TRUE(Call(channel_, "TxEncode", ereq, &encoded).ok());
  EXPECT_EQ(encoded.tx_bytes(), bytes);

  grpc::Status st = Call(channel_, "TxDecode", compat::TxDecodeRequest(), &decoded);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  dreq.set_tx_bytes("\xff\xff garbage");
  st = Call(channel_, "TxDecode", dreq, &decoded);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  st = Call(channel_, "TxEncode", compat::TxEncodeRequest(), &encoded);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The amino forms are not served.
  std::string out;
  st = test_util::RawCall(channel_, std::string(kSvc) + "TxDecodeAmino", "", &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

// Reflection lists the hand-registered service and describes it.
TEST_F(CosmosTxServiceTest, ReflectionDescribesTheService) {
  if (!GrpcServer::ReflectionAvailable()) GTEST_SKIP() << "built without grpc++_reflection";
  grpc::GenericStub stub(channel_);
  for (const std::string& request :
       {std::string("\x3a\x00", 2),  // list_services
        std::string("\x22\x19") + "cosmos.tx.v1beta1.Service"}) {  // file_containing_symbol
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto call = stub.PrepareCall(
        &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    void* tag;
    bool ok = false;
    call->StartCall(reinterpret_cast<void*>(1));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    grpc::Slice slice(request);
    grpc::ByteBuffer buf(&slice, 1);
    call->Write(buf, reinterpret_cast<void*>(2));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    grpc::ByteBuffer response;
    call->Read(&response, reinterpret_cast<void*>(3));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    call->WritesDone(reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    cq.Next(&tag, &ok);
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    std::string out;
    for (const grpc::Slice& s : slices)
      out.append(reinterpret_cast<const char*>(s.begin()), s.size());
    if (request[0] == '\x3a') {
      EXPECT_NE(out.find("cosmos.tx.v1beta1.Service"), std::string::npos);
    } else {
      EXPECT_NE(out.find("cosmos/tx/v1beta1/service.proto"), std::string::npos);
      EXPECT_NE(out.find("BroadcastTxRequest"), std::string::npos);
      EXPECT_EQ(out.find("Symbol not found"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace mesh::node
