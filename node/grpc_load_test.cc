// Load test of the gRPC server (issue 11: "thousands of concurrent queries
// while blocks are produced: no errors, no stalls, queries never block block
// production"). Not a timing test: it asserts that every query succeeds,
// that every answer is the state of one committed height, and that blocks
// kept being produced during the load; the figures (query rate, longest
// ProduceBlock) are printed and recorded as test properties only. The timed
// version is Headline 3, bench/query_bench.cc.
//
// Chain (RocksDB in a temp dir): validators v0, v1; kWatched delegators who
// delegate kBase to each at genesis. From block h0 + 1 on, every block
// carries one signed tx per watched delegator that delegates 1 more to v0
// AND to v1 (one tx, two messages: atomic). So at committed height h every
// watched delegation is exactly kBase + (h - h0), and a delegator's two
// delegations are always equal in one committed state.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "cosmos/staking/v1beta1/query.grpc.pb.h"
#include "gtest/gtest.h"
#include "meshsec/v1/tx.grpc.pb.h"
#include "node/chain.h"
#include "node/grpc_server.h"
#include "node/staking_msgs.h"
#include "node/tx.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

namespace sk = ::cosmos::staking::v1beta1;
using Clock = std::chrono::steady_clock;

constexpr char kChainId[] = "load-1";
constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlockTime = 5 * kNanosPerSecond;
constexpr int kWatched = 16;
constexpr uint64_t kBase = 1000;
constexpr int kInFlight = 64;
constexpr int kMinQueries = 5000;
constexpr int kMinBlocksDuringLoad = 3;
constexpr auto kMaxLoadTime = std::chrono::seconds(15);

struct Actor {
  PrivateKey key;
  AccountAddress account;
  ValidatorAddress valoper;
  uint64_t nonce = 0;
  uint64_t account_number = 0;  // read from the chain after genesis
};

Actor NewActor(const std::string& seed) {
  PrivateKey key = PrivateKey::FromSeed(seed);
  const std::string pub = key.PublicKey();
  return Actor{key, AccountAddress(AccountAddressOf("mesh", pub)),
               ValidatorAddress(ValoperAddressOf("mesh", pub))};
}

// One async query in flight: the committed height known before it was sent.
struct Call {
  grpc::ClientContext ctx;
  grpc::Status status;
  bool list = false;
  int who = 0;
  uint64_t height_before = 0;
  sk::QueryDelegationResponse one;
  sk::QueryDelegatorDelegationsResponse all;
  std::unique_ptr<grpc::ClientAsyncResponseReader<sk::QueryDelegationResponse>> one_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<sk::QueryDelegatorDelegationsResponse>>
      all_reader;
};

class GrpcLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("mesh_grpc_load_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto rocks = RocksDbStore::Open((dir_ / "chain").string());
    ASSERT_TRUE(rocks.ok()) << rocks.status();
    auto chain = Chain::Open(std::move(*rocks), ChainConfig{kChainId, "mesh"});
    ASSERT_TRUE(chain.ok()) << chain.status();
    InstallStakingModule(**chain);
    for (int v = 0; v < 2; ++v) vals_.push_back(NewActor(absl::StrCat("load-val-", v)));
    for (int i = 0; i < kWatched; ++i) users_.push_back(NewActor(absl::StrCat("load-user-", i)));
    ASSERT_TRUE(Genesis(**chain).ok());
    for (Actor& u : users_) {
      absl::StatusOr<staking::BaseAccount> acc = (*chain)->GetAccount(u.account);
      ASSERT_TRUE(acc.ok()) << acc.status();
      u.account_number = acc->account_number;
    }
    h0_ = (*chain)->height();
    chain_ = std::move(*chain);
    height_ = h0_;
  }

  void StartServer(GrpcServerOptions options) {
    auto server = GrpcServer::Start(std::move(chain_), std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // The load; see the file comment.
  void RunLoad();

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Genesis funds; block h0: v0 and v1 created, every watched user
  // delegates kBase to each.
  absl::Status Genesis(Chain& chain) {
    const Denom stake("stake");
    MESH_RETURN_IF_ERROR(chain.InitGenesis(kT0, [&](const Context& ctx) -> absl::Status {
      MESH_RETURN_IF_ERROR(staking::Staking::InitGenesis(ctx, staking::Params()));
      for (const Actor& a : vals_) {
        MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, a.account, stake, Amount(1000000000)));
      }
      for (const Actor& a : users_) {
        MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, a.account, stake, Amount(1000000000)));
      }
      return absl::OkStatus();
    }));
    MESH_RETURN_IF_ERROR(chain.BeginBlock(time_ += kBlockTime));
    MESH_RETURN_IF_ERROR(chain.RunAtomic([&](const Context& ctx) -> absl::Status {
      for (const Actor& v : vals_) {
        MESH_RETURN_IF_ERROR(staking::Staking::CreateValidator(
            ctx, v.valoper, v.account, Amount(100000000), Dec::Percent(10).value()));
      }
      for (const Actor& u : users_) {
        for (const Actor& v : vals_) {
          MESH_RETURN_IF_ERROR(
              staking::Staking::Delegate(ctx, u.account, v.valoper, Amount(kBase)).status());
        }
      }
      return absl::OkStatus();
    }));
    MESH_RETURN_IF_ERROR(chain.EndBlock());
    return chain.Commit().status();
  }

  // Broadcasts one tx per watched user (+1 to v0 and v1), then produces the
  // block; records how long ProduceBlock took.
  void ProduceOne(::meshsec::v1::Tx::Stub& tx_stub) {
    for (Actor& u : users_) {
      TxSpec tx;
      tx.chain_id = kChainId;
      tx.account_number = u.account_number;
      tx.sequence = u.nonce;
      for (const Actor& v : vals_) {
        tx.msgs.push_back(DelegateMsg(u.account, v.valoper, Denom("stake"), Amount(1)));
      }
      ::meshsec::v1::BroadcastTxRequest req;
      req.set_signed_tx(SignTx(u.key, tx).Encode());
      req.set_mode(::meshsec::v1::BROADCAST_MODE_SYNC);
      ::meshsec::v1::BroadcastTxResponse resp;
      grpc::ClientContext ctx;
      grpc::Status s = tx_stub.BroadcastTx(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ASSERT_EQ(resp.code(), 0u) << resp.log();
      ++u.nonce;
    }
    const Clock::time_point t0 = Clock::now();
    absl::StatusOr<ProducedBlock> block = server_->ProduceBlock(time_ += kBlockTime);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    ASSERT_TRUE(block.ok()) << block.status();
    ASSERT_EQ(block->txs.size(), static_cast<size_t>(kWatched));
    for (const DeliveredTx& d : block->txs) ASSERT_TRUE(d.result.ok()) << d.result.log;
    height_.store(block->height);
    std::lock_guard<std::mutex> lock(mu_);
    produce_ms_.push_back(ms);
  }

  // Amount a watched delegation has at committed height h.
  uint64_t AmountAt(uint64_t h) const { return kBase + (h - h0_); }

  // Whether `amount` is the amount at some height in [lo, hi].
  bool AtSomeHeight(const std::string& amount, uint64_t lo, uint64_t hi) const {
    absl::StatusOr<Amount> a = Amount::Parse(amount);
    if (!a.ok()) return false;
    for (uint64_t h = lo; h <= hi; ++h) {
      if (*a == Amount(AmountAt(h))) return true;
    }
    return false;
  }

  std::filesystem::path dir_;
  std::vector<Actor> vals_;
  std::vector<Actor> users_;
  uint64_t h0_ = 0;
  uint64_t time_ = kT0;
  std::unique_ptr<Chain> chain_;  // until StartServer
  std::unique_ptr<GrpcServer> server_;
  std::atomic<uint64_t> height_{0};  // last height ProduceBlock returned
  std::mutex mu_;
  std::vector<double> produce_ms_;
};

void GrpcLoadTest::RunLoad() {
  // Block producer: runs until the load ends.
  std::atomic<bool> load_done{false};
  std::atomic<int> blocks_during_load{0};
  std::atomic<bool> load_started{false};
  std::thread producer([&] {
    auto tx_stub = ::meshsec::v1::Tx::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    while (!load_done) {
      const bool during = load_started.load();
      ProduceOne(*tx_stub);
      if (::testing::Test::HasFatalFailure()) return;
      if (during && !load_done) ++blocks_during_load;
    }
  });

  // Clients: kInFlight calls always in flight on one channel, alternating
  // Delegation (user, v0 or v1) and DelegatorDelegations (user).
  auto stub = sk::Query::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  grpc::CompletionQueue cq;
  uint64_t sent = 0;
  auto start_call = [&] {
    auto* call = new Call;
    call->who = static_cast<int>(sent % kWatched);
    call->list = sent % 2 == 1;
    call->height_before = height_.load();
    if (call->list) {
      sk::QueryDelegatorDelegationsRequest req;
      req.set_delegator_addr(users_[call->who].account.value());
      call->all_reader = stub->AsyncDelegatorDelegations(&call->ctx, req, &cq);
      call->all_reader->Finish(&call->all, &call->status, call);
    } else {
      sk::QueryDelegationRequest req;
      req.set_delegator_addr(users_[call->who].account.value());
      req.set_validator_addr(vals_[(sent / 2) % 2].valoper.value());
      call->one_reader = stub->AsyncDelegation(&call->ctx, req, &cq);
      call->one_reader->Finish(&call->one, &call->status, call);
    }
    ++sent;
  };

  load_started = true;
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < kInFlight; ++i) start_call();
  uint64_t done = 0;
  uint64_t failed = 0;
  uint64_t inconsistent = 0;
  int outstanding = kInFlight;
  uint64_t saw_later_block = 0;  // answers from a block produced during the load
  while (outstanding > 0) {
    void* tag;
    bool ok;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --outstanding;
    ++done;
    // The view a query read was published before ProduceBlock returned, so
    // its height is in [height before the call, height after it + 1].
    const uint64_t lo = call->height_before;
    const uint64_t hi = height_.load() + 1;
    if (!ok || !call->status.ok()) {
      ++failed;
      ADD_FAILURE() << "query failed: " << call->status.error_message();
    } else if (call->list) {
      const auto& r = call->all.delegation_responses();
      bool good = r.size() == 2 && r[0].balance().amount() == r[1].balance().amount() &&
                  AtSomeHeight(r[0].balance().amount(), lo, hi);
      if (!good) {
        ++inconsistent;
        ADD_FAILURE() << "inconsistent DelegatorDelegations: " << call->all.ShortDebugString()
                      << " heights [" << lo << ", " << hi << "]";
      } else if (r[0].balance().amount() != std::to_string(kBase)) {
        ++saw_later_block;
      }
    } else {
      const std::string& amount = call->one.delegation_response().balance().amount();
      if (!AtSomeHeight(amount, lo, hi)) {
        ++inconsistent;
        ADD_FAILURE() << "inconsistent Delegation: " << amount << " heights [" << lo << ", "
                      << hi << "]";
      } else if (amount != std::to_string(kBase)) {
        ++saw_later_block;
      }
    }
    const bool more = sent < static_cast<uint64_t>(kMinQueries) ||
                      blocks_during_load.load() < kMinBlocksDuringLoad;
    if (more && Clock::now() - start < kMaxLoadTime && failed + inconsistent < 10) {
      start_call();
      ++outstanding;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const int blocks = blocks_during_load.load();
  load_done = true;
  producer.join();
  cq.Shutdown();

  double max_ms = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (double ms : produce_ms_) max_ms = std::max(max_ms, ms);
  }
  printf("load: %llu queries in %.2f s (%.0f/s, %d in flight), %d blocks produced during the "
         "load, longest ProduceBlock %.1f ms, final height %llu\n",
         static_cast<unsigned long long>(done), seconds, static_cast<double>(done) / seconds,
         kInFlight, blocks, max_ms, static_cast<unsigned long long>(height_.load()));
  RecordProperty("queries", static_cast<int>(done));
  RecordProperty("blocks_during_load", blocks);
  RecordProperty("max_produce_block_us", static_cast<int>(max_ms * 1000));

  EXPECT_GE(done, static_cast<uint64_t>(kMinQueries));
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(inconsistent, 0u);
  EXPECT_GT(blocks, 0) << "no block was produced during the load";
  // The answers moved with the chain (no query kept reading an old view).
  EXPECT_GT(saw_later_block, 0u);
}

TEST_F(GrpcLoadTest, ThousandsOfConcurrentQueriesWhileBlocksAreProduced) {
  StartServer(GrpcServerOptions());
  RunLoad();
}

// The same with one completion queue and one polling thread: queries,
// broadcasts and block production share them and still all make progress.
// (No max_threads cap here: calls beyond it fail with RESOURCE_EXHAUSTED.)
TEST_F(GrpcLoadTest, SameLoadWithOneCompletionQueueAndFewThreads) {
  GrpcServerOptions options;
  options.num_cqs = 1;
  options.min_pollers = 1;
  options.max_pollers = 1;
  StartServer(std::move(options));
  RunLoad();
}

}  // namespace
}  // namespace mesh::node
