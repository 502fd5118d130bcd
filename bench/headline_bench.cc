// Headline 1 of the performance issue (docs/benchmarks.md, "Headline 1"):
// signed delegations applied and committed per second on one chain, on
// RocksDB, against ceilings measured in the same process and run.
//
//   BM_Headline1_SignedDelegations/users:U/block:B
//     A chain built by app::Application over a RocksDbStore (default options:
//     tuned tables, fsync'd block commits) in a temp dir, with one bonded
//     validator and U delegators that already delegate to it. Each iteration
//     is one block of B signed "staking/delegate" txs from B distinct
//     delegators (round robin), signed beforehand (untimed, as a client
//     would; eight blocks at a time, benchutil::kBlocksSignedAhead): the
//     consensus inputs, FinalizeBlock (signatures on all cores, then the txs
//     in order) + Commit, timed on the wall clock. Blocks run back to back
//     between signing pauses, so a block's commit is written while the next
//     block runs (node/pipelined_store.h); before each pause, and at the
//     end, the chain's Flush (every block on disk) is timed too.
//     items_per_second = delegations/s.
//     After the timed loop the same case measures its ceilings:
//       verify_per_s  VerifySignature of B such txs' sign bytes, spread over
//                     every core (node::WorkerPool::Shared()),
//       write_per_s   RocksDbStore::Write of the exact write batch a block of
//                     B such delegations committed (keys, values and the
//                     meta keys), into a fresh store with the same options,
//                     per tx of the block,
//       ceiling_per_s 1 / (1/verify + 1/write): each tx needs both, and
//                     verification already occupies every core,
//       ratio         delegations/s ÷ ceiling_per_s (target ≥ 0.60).
//     And, independent of how much of the shared machine the process gets:
//       cpu_us_per_tx        process CPU time (every thread) per delegation
//                            in the timed blocks,
//       verify_cpu_us_per_tx the same per signature check of the ceiling:
//                            what the engine spends above it is its own
//                            apply and commit work (the write ceiling is
//                            mostly fsync wait, not CPU).
//   BM_BlockVerifiedAhead/ahead:A/block:1000
//     One block of 1000 such delegations (U = 10^3), FinalizeBlock + Commit
//     + Flush timed, its txs verified before it (A = 1, Chain::VerifyAhead,
//     waited for untimed: a proposal verified during its consensus round)
//     or not (A = 0): what verifying ahead takes off a block's latency.
//   BM_Secp256k1VerifyAllCores/block:B, BM_RocksDbWriteBatch/block:B
//     the two ceilings as benchmarks of their own (U = 10^3).
//
// U = 10^3 is registered by default; U = 10^5 (setup ≈ a minute) only when
// the environment sets MESH_BENCH_LARGE=1, so the CI smoke pass
// (--benchmark_min_time=0.01) stays short.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "app/application.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "core/crypto.h"
#include "core/kv.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "node/chain.h"
#include "node/parallel_verify.h"
#include "node/staking_msgs.h"
#include "node/tx.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

using Clock = std::chrono::steady_clock;
using benchutil::Seconds;
using benchutil::RecordingStore;
// A temp directory of this benchmark (bench_util.h).
class TempDir : public benchutil::TempDir {
 public:
  explicit TempDir(const std::string& name) : benchutil::TempDir("headline", name) {}
};

constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlockTime = 5 * kNanosPerSecond;
constexpr char kChainId[] = "headline-1";
const Denom kStake("stake");


struct Delegator {
  PrivateKey key;
  uint64_t nonce = 0;
  uint64_t account_number = 0;  // read once the chain has its genesis
};

// One chain per delegator count, shared by the cases of this file and
// removed at exit (members destroyed in reverse order: the app closes its
// store before the directory goes).
struct HeadlineChain {
  explicit HeadlineChain(int users) : dir(absl::StrCat("users_", users)) {}
  TempDir dir;
  std::unique_ptr<app::Application> app;
  RecordingStore* store = nullptr;
  std::vector<Delegator> delegators;
  ValidatorAddress validator;
  std::map<std::string, uint64_t> account_of;  // pubkey -> account number
  size_t cursor = 0;
};

std::vector<Delegator> MakeDelegators(int users) {
  std::vector<Delegator> out;
  out.reserve(users);
  for (int i = 0; i < users; ++i) {
    out.push_back(Delegator{PrivateKey::FromSeed(absl::StrCat("delegator-", i))});
  }
  return out;
}

app::BlockRequest NextRequest(const HeadlineChain& c) {
  app::BlockRequest req;
  req.time_ns = c.app->chain().time_ns() + kBlockTime;
  auto votes = c.app->AllSignedVotes();
  MESH_CHECK_OK(votes.status());
  req.decided_last_commit = *std::move(votes);
  return req;
}

// The next block's txs, when known, are verified on the chain's VerifyAhead
// thread while this block commits.
void CommitBlock(HeadlineChain& c, const app::BlockRequest& req,
                 const std::vector<SignedTx>& txs, const benchutil::SignedBlock& next = nullptr) {
  auto resp = c.app->FinalizeBlock(req, txs);
  MESH_CHECK_OK(resp.status());
  for (const TxResult& r : resp->tx_results) {
    if (!r.ok()) {
      fprintf(stderr, "delegation rejected: %u %s\n", r.code, r.log.c_str());
      std::abort();
    }
  }
  if (next != nullptr && benchutil::VerifyAheadOn()) c.app->chain().VerifyAhead(next);
  MESH_CHECK_OK(c.app->Commit().status());
}

// Genesis: one validator, `users` funded accounts; then every account
// delegates once (direct calls, 1000 per block) so that the chain holds
// `users` existing delegations before anything is measured.
std::unique_ptr<HeadlineChain> Build(int users) {
  auto c = std::make_unique<HeadlineChain>(users);
  app::GenesisDoc g;
  g.chain_id = kChainId;
  g.genesis_time_ns = kT0;
  g.denom = kStake;
  const PrivateKey vkey = PrivateKey::FromSeed("validator");
  c->validator = ValidatorAddress(ValoperAddressOf("mesh", vkey.PublicKey()));
  g.validators.push_back({AccountAddress(AccountAddressOf("mesh", vkey.PublicKey())),
                          Amount(1000000000), Dec::Percent(10).value(), ""});
  c->delegators = MakeDelegators(users);
  std::vector<AccountAddress> addresses;
  for (const Delegator& d : c->delegators) {
    addresses.emplace_back(AccountAddressOf("mesh", d.key.PublicKey()));
    g.accounts.push_back({addresses.back(), Amount(1ULL << 60)});
  }
  auto rocks = RocksDbStore::Open(c->dir.Sub("chain"));
  MESH_CHECK_OK(rocks.status());
  auto store = std::make_unique<RecordingStore>(std::move(*rocks));
  c->store = store.get();
  auto opened = app::Application::Open(std::move(g), std::move(store));
  MESH_CHECK_OK(opened.status());
  c->app = std::move(*opened);
  MESH_CHECK_OK(c->app->InitChain());
  for (size_t start = 0; start < addresses.size(); start += 1000) {
    const app::BlockRequest req = NextRequest(*c);
    MESH_CHECK_OK(c->app->BeginBlock(req));
    for (size_t i = start; i < std::min(addresses.size(), start + 1000); ++i) {
      MESH_CHECK_OK(c->app->chain().RunAtomic([&](const Context& ctx) {
        return staking::Staking::Delegate(ctx, addresses[i], c->validator, Amount(1000)).status();
      }));
    }
    MESH_CHECK_OK(c->app->EndBlock().status());
    MESH_CHECK_OK(c->app->Commit().status());
  }
  for (Delegator& d : c->delegators) {
    d.account_number = c->app->chain()
                           .GetAccount(AccountAddress(AccountAddressOf("mesh", d.key.PublicKey())))
                           ->account_number;
    c->account_of[d.key.PublicKey()] = d.account_number;
  }
  // The setup's writes are compacted now, not in the timed blocks (a
  // long-running node has compacted its history long ago).
  MESH_CHECK_OK(c->store->rocks()->CompactAll());
  return c;
}

// One chain per delegator count, shared by the cases (bench_util.h).
HeadlineChain& ChainWith(int users) {
  return benchutil::SharedBySize<HeadlineChain>(users, Build);
}

// The next `block` delegations, from distinct delegators (round robin),
// signed with their next nonces. With `consume` false the nonces are not
// advanced (txs for the ceilings, never delivered).
std::vector<SignedTx> SignBlock(HeadlineChain& c, int block, bool consume = true) {
  std::vector<SignedTx> txs;
  txs.reserve(block);
  size_t cursor = c.cursor;
  for (int i = 0; i < block; ++i) {
    Delegator& d = c.delegators[cursor];
    cursor = (cursor + 1) % c.delegators.size();
    TxSpec tx;
    tx.chain_id = kChainId;
    tx.account_number = d.account_number;
    tx.sequence = d.nonce;
    tx.msgs.push_back(DelegateMsg(AccountAddress(AccountAddressOf("mesh", d.key.PublicKey())),
                                  c.validator, Denom(kStake), Amount(1000)));
    txs.push_back(SignTx(d.key, tx));
    if (consume) ++d.nonce;
  }
  if (consume) c.cursor = cursor;
  return txs;
}

// Block writes per second of `batch` into a fresh RocksDbStore with the
// default (same) options.
double BatchWriteRate(const WriteBatch& batch) {
  return 1.0 / benchutil::SecondsPerWrite(batch, TempDir("write_ceiling"));
}

// The write batch a block of `block` signed delegations commits (one extra,
// untimed block on the chain).
WriteBatch RecordBlockBatch(HeadlineChain& c, int block) {
  const std::vector<SignedTx> txs = SignBlock(c, block);
  const app::BlockRequest req = NextRequest(c);
  c.store->RecordNextWrite();
  CommitBlock(c, req, txs);
  MESH_CHECK_OK(c.app->Flush());
  return c.store->recorded();
}

void BM_Headline1_SignedDelegations(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  const int block = static_cast<int>(state.range(1));
  HeadlineChain& c = ChainWith(users);
  Clock::duration busy{};
  double cpu = 0;
  // Timed: the node's work (the consensus inputs are read from the chain
  // here too, a little more than a node does).
  // MESH_PERF_CTL: a profiler records the timed blocks only (as Headline 2).
  const auto timed = [&](const auto& work) {
    benchutil::PerfControl("enable\n");
    const double cpu0 = benchutil::ProcessCpuSeconds();
    const Clock::time_point t0 = Clock::now();
    work();
    busy += Clock::now() - t0;
    cpu += benchutil::ProcessCpuSeconds() - cpu0;
    benchutil::PerfControl("disable\n");
  };
  const double ahead0 = static_cast<double>(c.app->chain().verdicts().hits());
  benchutil::RunBlocksSignedAhead(
      state, [&] { return SignBlock(c, block); },
      [&](const std::vector<SignedTx>& txs, const benchutil::SignedBlock& next) {
        CommitBlock(c, NextRequest(c), txs, next);
      },
      [&] { MESH_CHECK_OK(c.app->Flush()); }, timed);
  const double rate = state.iterations() * block / Seconds(busy);
  // Delegations whose signature VerifyAhead had checked before their block.
  state.counters["verified_ahead"] =
      (static_cast<double>(c.app->chain().verdicts().hits()) - ahead0) /
      static_cast<double>(state.iterations() * block);
  state.SetItemsProcessed(state.iterations() * block);
  state.counters["cpu_us_per_tx"] = 1e6 * cpu / (state.iterations() * block);
  // Ceilings, same process and run.
  const std::vector<SignedTx> ceiling_txs = SignBlock(c, block, /*consume=*/false);
  const double verify_cpu0 = benchutil::ProcessCpuSeconds();
  const Clock::time_point verify_t0 = Clock::now();
  const double verify = benchutil::VerifyRate(kChainId, c.account_of, ceiling_txs);
  const double verified = verify * Seconds(Clock::now() - verify_t0);
  state.counters["verify_cpu_us_per_tx"] = 1e6 * (benchutil::ProcessCpuSeconds() - verify_cpu0) / verified;
  const double write = BatchWriteRate(RecordBlockBatch(c, block)) * block;
  const double ceiling = 1.0 / (1.0 / verify + 1.0 / write);
  state.counters["verify_per_s"] = verify;
  state.counters["write_per_s"] = write;
  state.counters["ceiling_per_s"] = ceiling;
  state.counters["ratio"] = rate / ceiling;
  state.counters["cores"] = WorkerPool::Shared().threads();
}

// One block of B signed delegations, FinalizeBlock + Commit + Flush timed,
// after its txs were verified ahead (ahead = 1: Chain::VerifyAhead, waited
// for untimed, as a proposal is verified during its consensus round) or not
// (ahead = 0: every signature checked inside FinalizeBlock, on all cores).
void BM_BlockVerifiedAhead(benchmark::State& state) {
  const bool ahead = state.range(0) != 0;
  const int block = static_cast<int>(state.range(1));
  HeadlineChain& c = ChainWith(1000);
  const double hits0 = static_cast<double>(c.app->chain().verdicts().hits());
  for (auto _ : state) {
    state.PauseTiming();
    auto txs = std::make_shared<const std::vector<SignedTx>>(SignBlock(c, block));
    if (ahead) {
      c.app->chain().VerifyAhead(txs);
      c.app->chain().AwaitVerifiedAhead();
    }
    const app::BlockRequest req = NextRequest(c);
    state.ResumeTiming();
    CommitBlock(c, req, *txs);
    MESH_CHECK_OK(c.app->Flush());
  }
  const double n = static_cast<double>(state.iterations() * block);
  state.SetItemsProcessed(state.iterations() * block);
  state.counters["verified_ahead"] =
      (static_cast<double>(c.app->chain().verdicts().hits()) - hits0) / n;
}

void BM_Secp256k1VerifyAllCores(benchmark::State& state) {
  const int block = static_cast<int>(state.range(0));
  HeadlineChain& c = ChainWith(1000);
  const std::vector<SignedTx> txs = SignBlock(c, block, /*consume=*/false);
  WorkerPool& pool = WorkerPool::Shared();
  std::vector<uint8_t> ok(txs.size());
  for (auto _ : state) {
    pool.ParallelFor(txs.size(), [&](size_t i) {
      const SignedTx& tx = txs[i];
      ok[i] = VerifySignature(tx.pubkey, tx.SignBytes(kChainId, c.account_of.at(tx.pubkey)),
                              tx.signature)
                  .ok();
    });
  }
  for (uint8_t v : ok) MESH_CHECK(v == 1);
  state.SetItemsProcessed(state.iterations() * block);
}

void BM_RocksDbWriteBatch(benchmark::State& state) {
  const int block = static_cast<int>(state.range(0));
  const WriteBatch batch = RecordBlockBatch(ChainWith(1000), block);
  TempDir dir("write_bench");
  auto rocks = RocksDbStore::Open(dir.Sub("db"));
  MESH_CHECK_OK(rocks.status());
  for (auto _ : state) MESH_CHECK_OK((*rocks)->Write(batch));
  state.SetItemsProcessed(state.iterations() * block);  // delegations committed
  state.counters["keys_per_block"] = static_cast<double>(batch.size());
}

int Register() {
  std::vector<int64_t> users = {1000};
  const char* large = std::getenv("MESH_BENCH_LARGE");
  if (large != nullptr && std::string(large) == "1") users.push_back(100000);
  for (int64_t u : users) {
    for (int64_t b : {10, 100, 1000}) {
      benchmark::RegisterBenchmark("BM_Headline1_SignedDelegations",
                                   BM_Headline1_SignedDelegations)
          ->Args({u, b})
          ->ArgNames({"users", "block"})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (int64_t ahead : {0, 1}) {
    benchmark::RegisterBenchmark("BM_BlockVerifiedAhead", BM_BlockVerifiedAhead)
        ->Args({ahead, 1000})
        ->ArgNames({"ahead", "block"})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (int64_t b : {10, 100, 1000}) {
    benchmark::RegisterBenchmark("BM_Secp256k1VerifyAllCores", BM_Secp256k1VerifyAllCores)
        ->Arg(b)
        ->ArgName("block")
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_RocksDbWriteBatch", BM_RocksDbWriteBatch)
        ->Arg(b)
        ->ArgName("block")
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  return 0;
}
[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace mesh::node
