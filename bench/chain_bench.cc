// Staking throughput through the node: a block of N delegations delivered as
// signed txs (decode-free: pre-signed SignedTx objects, so the cost is
// signature verification + nonce + JSON message + staking) against the same
// N delegations made by calling staking::Staking::Delegate directly in
// Chain::RunAtomic (the baseline: no signature, no tx machinery). Both run a
// full BeginBlock .. Commit per iteration over a MemStore, on a chain built
// by the application layer (app::Application) as every program builds it.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "bench/bench_util.h"
#include "core/rocksdb_store.h"
#include "app/application.h"
#include "core/status.h"
#include "node/chain.h"
#include "node/staking_msgs.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlockTime = 5 * kNanosPerSecond;
const Denom kStake("stake");

struct Delegator {
  PrivateKey key;
  AccountAddress address;
  uint64_t nonce = 0;
};

// A chain with one bonded validator and `n` funded delegators.
struct Bench {
  std::unique_ptr<app::Application> app;
  std::vector<Delegator> delegators;
  ValidatorAddress validator;
  Chain& chain() { return app->chain(); }
};

Bench MakeBench(int n) {
  Bench b;
  app::GenesisDoc g;
  g.chain_id = "bench-1";
  g.genesis_time_ns = kT0;
  g.denom = kStake;
  PrivateKey vkey = PrivateKey::FromSeed("validator");
  const AccountAddress vacc(AccountAddressOf("mesh", vkey.PublicKey()));
  b.validator = ValidatorAddress(ValoperAddressOf("mesh", vkey.PublicKey()));
  g.validators.push_back({vacc, Amount(1000000000), Dec::Percent(10).value(), ""});
  for (int i = 0; i < n; ++i) {
    PrivateKey k = PrivateKey::FromSeed(absl::StrCat("delegator-", i));
    b.delegators.push_back(Delegator{k, AccountAddress(AccountAddressOf("mesh", k.PublicKey()))});
    g.accounts.push_back({b.delegators.back().address, Amount(1ULL << 60)});
  }
  auto opened = app::Application::Open(std::move(g), std::make_unique<MemStore>());
  MESH_CHECK_OK(opened.status());
  b.app = std::move(*opened);
  MESH_CHECK_OK(b.app->InitChain());
  return b;
}

void ProduceBlock(Bench& b, const std::function<void()>& body) {
  app::BlockRequest req;
  req.time_ns = b.chain().time_ns() + kBlockTime;
  auto votes = b.app->AllSignedVotes();
  MESH_CHECK_OK(votes.status());
  req.decided_last_commit = *std::move(votes);
  MESH_CHECK_OK(b.app->BeginBlock(req));
  body();
  MESH_CHECK_OK(b.app->EndBlock().status());
  MESH_CHECK_OK(b.app->Commit().status());
}


void BM_BlockOfSignedDelegateTxs(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Bench b = MakeBench(n);
  std::vector<SignedTx> txs;
  for (auto _ : state) {
    state.PauseTiming();  // signing is the client's cost, not the node's
    txs.clear();
    for (Delegator& d : b.delegators) {
      TxSpec tx;
      tx.chain_id = "bench-1";
      tx.account_number = b.chain().GetAccount(d.address)->account_number;
      tx.sequence = d.nonce++;
      tx.msgs.push_back(DelegateMsg(d.address, b.validator, Denom(kStake), Amount(1000)));
      txs.push_back(SignTx(d.key, tx));
    }
    state.ResumeTiming();
    ProduceBlock(b, [&] {
      for (const SignedTx& tx : txs) {
        if (!b.chain().DeliverTx(tx).ok()) state.SkipWithError("tx rejected");
      }
    });
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BlockOfSignedDelegateTxs)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_BlockOfDirectDelegates(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Bench b = MakeBench(n);
  for (auto _ : state) {
    ProduceBlock(b, [&] {
      for (const Delegator& d : b.delegators) {
        absl::Status s = b.chain().RunAtomic([&](const Context& ctx) {
          return staking::Staking::Delegate(ctx, d.address, b.validator, Amount(1000)).status();
        });
        if (!s.ok()) state.SkipWithError("delegate failed");
      }
    });
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BlockOfDirectDelegates)->Arg(100)->Unit(benchmark::kMillisecond);

// The block commit alone, on RocksDB: a block of `ops` fresh 100-byte
// records (written by Chain::RunAtomic, untimed), then Chain::Commit
// (timed): the app hash over the batch, the state cache's copy, the queued
// write. The pipelined write is flushed untimed after each block.
void BM_BlockCommit(benchmark::State& state) {
  const int ops = static_cast<int>(state.range(0));
  benchutil::TempDir dir("chain", absl::StrCat("commit_", ops));
  auto rocks = RocksDbStore::Open(dir.Sub("db"));
  MESH_CHECK_OK(rocks.status());
  ChainConfig config;
  config.chain_id = "bench-1";
  auto chain = Chain::Open(*std::move(rocks), config);
  MESH_CHECK_OK(chain.status());
  const std::string value(100, 'v');
  uint64_t time_ns = kT0;
  int64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    MESH_CHECK_OK((*chain)->BeginBlock(time_ns += kBlockTime));
    MESH_CHECK_OK((*chain)->RunAtomic([&](const Context& ctx) -> absl::Status {
      for (int i = 0; i < ops; ++i) {
        MESH_RETURN_IF_ERROR(ctx.store().Put(absl::StrCat("record/", 100000000 + next++), value));
      }
      return absl::OkStatus();
    }));
    MESH_CHECK_OK((*chain)->EndBlock());
    state.ResumeTiming();
    MESH_CHECK_OK((*chain)->Commit().status());
    state.PauseTiming();
    MESH_CHECK_OK((*chain)->Flush());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * ops);
}
BENCHMARK(BM_BlockCommit)->ArgName("ops")->Arg(1000)->Arg(10000)->UseRealTime()->Unit(
    benchmark::kMicrosecond);

}  // namespace
}  // namespace mesh::node
