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
#include "cosmos/bank/v1beta1/tx.pb.h"
#include "cosmos/tx/v1beta1/service.pb.h"
#include "gtest/gtest.h"
#include "node/grpc_server.h"
#include "node/staking_msgs.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

namespace txpb = ::cosmos::tx::v1beta1;

constexpr char kChainId[] = "txsvc-1";
constexpr char kSvc[] = "/cosmos.tx.v1beta1.Service/";
constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;  // 2023-11-14T22:13:20Z

grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  grpc::ByteBuffer resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
    std::lock_guard<std::mutex> l(mu);
    status = s;
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done; });
  response->clear();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!resp.Dump(&slices).ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "dump");
  for (const auto& s : slices) response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  return status;
}

template <typename Resp>
grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                  const google::protobuf::Message& req, Resp* resp) {
  std::string bytes;
  grpc::Status s = RawCall(channel, kSvc + method, req.SerializeAsString(), &bytes);
  if (s.ok() && !resp->ParseFromString(bytes)) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS, "cannot parse " + method);
  }
  return s;
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
    TxSpec tx;
    tx.chain_id = kChainId;
    tx.account_number = chain_->GetAccount(alice_)->account_number;
    tx.sequence = sequence;
    tx.gas_limit = 200000;
    tx.msgs.push_back(BankSendMsg(alice_, bob_, Denom("stake"), Amount(amount)));
    SignedTx signed_tx = SignTx(alice_key_, tx);
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

  PrivateKey alice_key_ = PrivateKey::FromSeed("alice");
  AccountAddress alice_{AccountAddressOf("mesh", alice_key_.PublicKey())};
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

  // The deprecated `tx` field works the same.
  txpb::SimulateRequest by_tx;
  txpb::TxRaw raw;
  ASSERT_TRUE(raw.ParseFromString(req.tx_bytes()));
  ASSERT_TRUE(by_tx.mutable_tx()->mutable_body()->ParseFromString(raw.body_bytes()));
  ASSERT_TRUE(by_tx.mutable_tx()->mutable_auth_info()->ParseFromString(raw.auth_info_bytes()));
  by_tx.mutable_tx()->add_signatures("");
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
  server_.reset();
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
    for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
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
