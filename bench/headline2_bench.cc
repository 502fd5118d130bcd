// Headline 2 of the performance issue (docs/perf.md, "Headline 2"):
// cross-chain delegations per second end to end, two chains on RocksDB,
// against a ceiling measured in the same process and run.
//
//   BM_Headline2_CrossChainStakes/users:U/block:B
//     A provider ("osmo") and a consumer ("juno") chain built by
//     app::Application through the test harness (tests/harness/network.h,
//     in-process relayer, auto-relay on, invariant checks off), each on a
//     RocksDbStore with the default options (tuned tables, fsync'd block
//     commits) in a temp dir. Before anything is timed, U provider users
//     each bonded collateral in the vault and staked once on the consumer's
//     validator (one signed tx each, 1000 per block, every packet acked):
//     the chains carry the history of U cross-chain delegations.
//     Each iteration is one block on both chains in steady state:
//       - B signed "vault/stake_remote" txs from B distinct users (round
//         robin), signed beforehand (untimed, as a client would; eight
//         blocks at a time, benchutil::kBlocksSignedAhead), applied in the
//         provider's block by Chain::DeliverTxs (signatures on all cores,
//         then the txs in order);
//       - both blocks end and commit (provider: the B stakes' packets are
//         sent; consumer: its epoch, every block here, bonds what it was
//         asked in that block);
//       - the next blocks begin and the relayer delivers the B packets to
//         the consumer (bond requests recorded, acks written) and the B
//         acks back to the provider (stakes committed in the vault), which
//         the next iteration's block commits.
//     So every iteration carries B stakes through every stage (pipelined by
//     one block, as on a live network); wall clock of the whole iteration.
//     Each chain's commit is written while the work after it runs
//     (node/pipelined_store.h); before each signing pause, and at the end,
//     both chains' Flush (every block on disk) is timed too.
//     Counters:
//       stakes_per_s   B × iterations / time,
//       us_per_stake   its inverse in µs,
//       provider_reads_per_stake, consumer_reads_per_stake
//                      point reads per stake that reach each chain's state
//                      cache (below the tx and block overlays),
//       provider_misses_per_stake, consumer_misses_per_stake
//                      those the cache did not hold (read from RocksDB),
//     and, measured after the timed loop in the same process:
//       verify_per_s   VerifySignature of B such txs' sign bytes, spread
//                      over every core (node::WorkerPool::Shared()),
//       write_per_s    RocksDbStore::Write of the exact write batches one
//                      steady-state block committed on the provider AND on
//                      the consumer (all keys and values a block of B
//                      cross-stakes writes on both chains, meta keys
//                      included), each into a fresh store with the same
//                      options; B ÷ (t_provider + t_consumer),
//       ceiling_per_s  1 / (1/verify_per_s + 1/write_per_s): each stake
//                      needs its signature checked and its keys committed
//                      on both chains, and verification already occupies
//                      every core; everything else (decoding, the vault,
//                      packets, relaying, the consumer's bookkeeping) is
//                      engine overhead the ratio exposes,
//       ratio          stakes_per_s ÷ ceiling_per_s (target ≥ 0.60),
//       cost_vs_1k     us_per_stake ÷ us_per_stake of users:1000 at the same
//                      block size, when that case ran earlier in the process
//                      (target ≤ 1.3 at U = 10^5).
//     After the timing the case relays what is left and checks that every
//     stake landed: each user's stake committed on the provider (low ==
//     high == what it staked) and the consumer's bond request equals the
//     total; the run fails otherwise.
//
// MESH_PERF_CTL=<fifo> has perf sample only the timed blocks (the signing
// pauses and the setup are left out; benchutil::PerfControl).
//
// U = 10^3 is registered by default; U = 10^5 (setup of a few minutes) only
// when the environment sets MESH_BENCH_LARGE=1, so the CI smoke pass
// (--benchmark_min_time=0.01s) stays short.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "core/crypto.h"
#include "core/kv.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "meshsec/v1/msgs.pb.h"
#include "node/chain.h"
#include "node/parallel_verify.h"
#include "node/state_cache.h"
#include "node/tx.h"
#include "tests/harness/network.h"

namespace mesh::harness {
namespace {

using Clock = std::chrono::steady_clock;
using benchutil::Seconds;
using benchutil::RecordingStore;
// A temp directory of this benchmark (bench_util.h).
class TempDir : public benchutil::TempDir {
 public:
  explicit TempDir(const std::string& name) : benchutil::TempDir("headline2", name) {}
};

constexpr char kProvider[] = "osmo";
constexpr char kConsumer[] = "juno";
constexpr char kConsumerValidator[] = "cval";
constexpr int kSetupBlock = 1000;         // users per setup block
const Amount kStake(1000);                // per stake_remote tx
const Amount kCollateral(1ULL << 50);
const Amount kUserFunds(1ULL << 52);


struct User {
  PrivateKey key;
  std::string address;
  uint64_t account_number = 0;
  uint64_t nonce = 0;
  uint64_t stakes = 0;  // stake_remote txs delivered
};

// Two chains with `users` cross-delegators, shared by the cases of one size
// and removed at exit (members destroyed in reverse order: the network
// closes its stores before the directory goes).
struct XChain {
  explicit XChain(int n_users) : dir(absl::StrCat("users_", n_users)) {}
  TempDir dir;
  RecordingStore* provider_store = nullptr;
  RecordingStore* consumer_store = nullptr;
  std::unique_ptr<Network> net;
  std::vector<User> users;
  std::string stake_validator;  // the consumer validator every user stakes to
  std::map<std::string, uint64_t> account_of;  // public key -> account number
  size_t cursor = 0;
};

std::string UserName(int i) { return absl::StrCat("user-", i); }

// MESH_BENCH_ROCKS_STATS=1: the chains' stores keep RocksDB statistics and
// each case reports read-path counters of its timed blocks (diagnosis; the
// statistics cost a little, so ratios of such a run are not compared).
bool RocksStats() {
  const char* v = std::getenv("MESH_BENCH_ROCKS_STATS");
  return v != nullptr && std::string(v) == "1";
}

ChainSpec MakeChain(const std::string& id, const std::string& denom, RecordingStore** slot,
                    const std::string& path) {
  ChainSpec c;
  c.id = id;
  c.prefix = id;
  c.denom = Denom(denom);
  c.staking.power_reduction = 1;
  RocksDbStore::Options options;
  options.statistics = RocksStats();
  c.open_store = benchutil::OpenRecordingStore(path, slot, options);
  return c;
}

NetworkSpec MakeSpec(XChain& x, int users) {
  ChainSpec p = MakeChain(kProvider, "uosmo", &x.provider_store, x.dir.Sub("provider"));
  p.validators = {{"pval", Amount(1000000), Dec::Zero()}};
  for (int i = 0; i < users; ++i) p.accounts.emplace_back(UserName(i), kUserFunds);
  ChainSpec c = MakeChain(kConsumer, "ujuno", &x.consumer_store, x.dir.Sub("consumer"));
  c.validators = {{kConsumerValidator, Amount(1000000), Dec::Zero()}};
  c.accounts = {{"gov", Amount(1)}, {"oracle", Amount(1)}};
  c.epoch_length = 1;  // the consumer bonds what it was asked every block
  c.total_max_cap = Amount(1ULL << 62);
  LinkSpec l;
  l.provider = kProvider;
  l.consumer = kConsumer;
  l.max_cap = Amount(1ULL << 61);
  NetworkSpec s;
  s.chains = {p, c};
  s.links = {l};
  s.check_invariants = false;
  return s;
}

node::SignedTx Sign(User& u, std::vector<node::Msg> msgs, bool consume = true) {
  node::TxSpec tx;
  tx.chain_id = kProvider;
  tx.account_number = u.account_number;
  tx.sequence = u.nonce;
  tx.msgs = std::move(msgs);
  if (consume) ++u.nonce;
  return node::SignTx(u.key, tx);
}

node::Msg BondMsg(const User& u) {
  ::meshsec::v1::MsgVaultBond m;
  m.set_sender(u.address);
  m.set_amount(kCollateral.ToString());
  return node::PackMsg(m);
}

node::Msg StakeMsg(const User& u, const XChain& x) {
  ::meshsec::v1::MsgVaultStakeRemote m;
  m.set_sender(u.address);
  m.set_consumer(kConsumer);
  m.set_validator(x.stake_validator);
  m.set_amount(kStake.ToString());
  return node::PackMsg(m);
}

// Applies `txs` in the provider's open block; aborts on any rejection
// (setup and timed blocks alike must apply in full).
void Deliver(XChain& x, const std::vector<node::SignedTx>& txs) {
  for (const node::TxResult& r : x.net->chain(kProvider).DeliverTxs(txs)) {
    if (!r.ok()) {
      fprintf(stderr, "headline2: tx rejected: %u %s\n", r.code, r.log.c_str());
      std::abort();
    }
  }
}

// Network, users, and every user's collateral bond plus first cross-stake
// (one tx with both messages), relayed and acked.
std::unique_ptr<XChain> Build(int users) {
  auto x = std::make_unique<XChain>(users);
  absl::StatusOr<std::unique_ptr<Network>> net = Network::Create(MakeSpec(*x, users));
  MESH_CHECK_OK(net.status());
  x->net = *std::move(net);
  MESH_CHECK_OK(x->net->AdvanceBlock());  // the consumer's valset reaches the provider
  x->stake_validator = x->net->Valoper(kConsumer, kConsumerValidator).value();
  x->users.reserve(users);
  for (int i = 0; i < users; ++i) {
    User u{x->net->Key(kProvider, UserName(i)), "", 0, 0, 0};
    u.address = x->net->Address(kProvider, UserName(i)).value();
    absl::StatusOr<staking::BaseAccount> acc =
        x->net->chain(kProvider).GetAccount(AccountAddress(u.address));
    MESH_CHECK_OK(acc.status());
    u.account_number = acc->account_number;
    u.nonce = acc->sequence;
    x->account_of[u.key.PublicKey()] = u.account_number;
    x->users.push_back(std::move(u));
  }
  for (int start = 0; start < users; start += kSetupBlock) {
    std::vector<node::SignedTx> txs;
    for (int i = start; i < std::min(users, start + kSetupBlock); ++i) {
      User& u = x->users[i];
      txs.push_back(Sign(u, {BondMsg(u), StakeMsg(u, *x)}));
      ++u.stakes;
    }
    Deliver(*x, txs);
    MESH_CHECK_OK(x->net->AdvanceBlock());
  }
  MESH_CHECK_OK(x->net->AdvanceBlocks(2));  // the last acks committed
  // The setup's writes are compacted now, not in the timed blocks (a
  // long-running node has compacted its history long ago).
  MESH_CHECK_OK(x->provider_store->rocks()->CompactAll());
  MESH_CHECK_OK(x->consumer_store->rocks()->CompactAll());
  return x;
}

// One pair of chains per user count, shared by the cases (bench_util.h).
XChain& NetworkWith(int users) { return benchutil::SharedBySize<XChain>(users, Build); }

// The next `block` stake_remote txs, from distinct users (round robin).
// With `consume` false nonces and counts are not advanced (txs for the
// verification ceiling, never delivered).
std::vector<node::SignedTx> SignBlock(XChain& x, int block, bool consume = true) {
  std::vector<node::SignedTx> txs;
  txs.reserve(block);
  size_t cursor = x.cursor;
  for (int i = 0; i < block; ++i) {
    User& u = x.users[cursor];
    cursor = (cursor + 1) % x.users.size();
    txs.push_back(Sign(u, {StakeMsg(u, x)}, consume));
    if (consume) ++u.stakes;
  }
  if (consume) x.cursor = cursor;
  return txs;
}

// One steady-state block: the txs applied, both chains committed, the
// packets and acks relayed into the next blocks. The next block's txs, when
// known, are verified meanwhile on the provider's VerifyAhead thread.
void RunBlock(XChain& x, const std::vector<node::SignedTx>& txs,
              const benchutil::SignedBlock& next = nullptr) {
  Deliver(x, txs);
  if (next != nullptr && benchutil::VerifyAheadOn()) x.net->chain(kProvider).VerifyAhead(next);
  MESH_CHECK_OK(x.net->AdvanceBlock());
}

double SecondsPerWrite(const WriteBatch& batch, const std::string& name) {
  return benchutil::SecondsPerWrite(batch, TempDir(name));
}

// Cross-stakes per second the two chains' block commits allow: one more
// steady-state block (untimed) records both batches.
// Also counts, per stake, the keys and bytes (keys + values) the two
// batches hold.
double WriteRate(benchmark::State& state, XChain& x, int block) {
  const std::vector<node::SignedTx> txs = SignBlock(x, block);
  x.provider_store->RecordNextWrite();
  x.consumer_store->RecordNextWrite();
  RunBlock(x, txs);
  MESH_CHECK_OK(x.net->app(kProvider).Flush());
  MESH_CHECK_OK(x.net->app(kConsumer).Flush());
  const WriteBatch provider = x.provider_store->recorded();
  const WriteBatch consumer = x.consumer_store->recorded();
  const auto bytes = [](const WriteBatch& b) {
    size_t n = 0;
    for (const auto& [key, value] : b.ops()) n += key.size() + (value ? value->size() : 0);
    return static_cast<double>(n);
  };
  state.counters["provider_keys_per_stake"] = static_cast<double>(provider.size()) / block;
  state.counters["consumer_keys_per_stake"] = static_cast<double>(consumer.size()) / block;
  state.counters["provider_bytes_per_stake"] = bytes(provider) / block;
  state.counters["consumer_bytes_per_stake"] = bytes(consumer) / block;
  const double t = SecondsPerWrite(provider, "provider_ceiling") +
                   SecondsPerWrite(consumer, "consumer_ceiling");
  return block / t;
}

// Relays what is in flight, then checks every user's stake and the
// consumer's bond request; false with the run's error set otherwise.
bool CheckLanded(benchmark::State& state, XChain& x) {
  MESH_CHECK_OK(x.net->AdvanceBlocks(2));
  u128 total = 0;
  for (size_t i = 0; i < x.users.size(); ++i) {
    const Amount want(static_cast<u128>(kStake.raw()) * x.users[i].stakes);
    total += want.raw();
    absl::StatusOr<provider::Stake> s =
        x.net->ExternalStake(kProvider, UserName(static_cast<int>(i)), kConsumer,
                             kConsumerValidator);
    if (!s.ok() || s->stake.low() != want || s->stake.high() != want) {
      state.SkipWithError(absl::StrCat(UserName(static_cast<int>(i)),
                                       " stake not committed as staked").c_str());
      return false;
    }
  }
  absl::StatusOr<Amount> requested = x.net->BondRequest(kConsumer, kProvider, kConsumerValidator);
  if (!requested.ok() || *requested != Amount(total)) {
    state.SkipWithError("consumer bond request differs from the stakes made");
    return false;
  }
  return true;
}

// us_per_stake of users:1000 by block size, for cost_vs_1k.
std::map<int, double>& BaseCost() {
  static auto* m = new std::map<int, double>();
  return *m;
}

void BM_Headline2_CrossChainStakes(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  const int block = static_cast<int>(state.range(1));
  XChain& x = NetworkWith(users);
  Clock::duration busy{};
  const RocksDbStore::ReadStats p0 = x.provider_store->rocks()->read_stats();
  const RocksDbStore::ReadStats c0 = x.consumer_store->rocks()->read_stats();
  double cpu = 0;  // process CPU seconds in the timed blocks (every thread)
  const auto timed = [&](const auto& work) {
    benchutil::PerfControl("enable\n");
    const Clock::time_point t0 = Clock::now();
    const double cpu0 = benchutil::ProcessCpuSeconds();
    work();
    cpu += benchutil::ProcessCpuSeconds() - cpu0;
    busy += Clock::now() - t0;
    benchutil::PerfControl("disable\n");
  };
  const auto flush = [&] {
    MESH_CHECK_OK(x.net->app(kProvider).Flush());
    MESH_CHECK_OK(x.net->app(kConsumer).Flush());
  };
  // Point reads that reach each chain's state cache (below the overlays).
  const auto reads = [&](const char* chain) {
    auto* cache = dynamic_cast<const node::StateCache*>(x.net->chain(chain).durable());
    MESH_CHECK(cache != nullptr);
    return static_cast<double>(cache->hits() + cache->misses());
  };
  // Those of them the state cache missed (read from RocksDB).
  const auto cache_misses = [&](const char* chain) {
    auto* cache = dynamic_cast<const node::StateCache*>(x.net->chain(chain).durable());
    return static_cast<double>(cache->misses());
  };
  const double provider_reads0 = reads(kProvider), consumer_reads0 = reads(kConsumer);
  const node::VerdictCache& verdicts = x.net->chain(kProvider).verdicts();
  const double ahead0 = static_cast<double>(verdicts.hits());
  const double provider_misses0 = cache_misses(kProvider),
               consumer_misses0 = cache_misses(kConsumer);
  const int64_t done = benchutil::RunBlocksSignedAhead(
      state, [&] { return SignBlock(x, block); },
      [&](const std::vector<node::SignedTx>& txs, const benchutil::SignedBlock& next) {
        RunBlock(x, txs, next);
      },
      flush, timed);
  const double stakes = static_cast<double>(done * block);
  state.counters["provider_reads_per_stake"] = (reads(kProvider) - provider_reads0) / stakes;
  // Stakes whose signature VerifyAhead had checked before their block.
  // Cores busy on average in the timed blocks (process CPU / wall time).
  state.counters["cpu_cores"] = cpu / Seconds(busy);
  state.counters["verified_ahead"] = (static_cast<double>(verdicts.hits()) - ahead0) / stakes;
  state.counters["consumer_reads_per_stake"] = (reads(kConsumer) - consumer_reads0) / stakes;
  state.counters["provider_misses_per_stake"] =
      (cache_misses(kProvider) - provider_misses0) / stakes;
  state.counters["consumer_misses_per_stake"] =
      (cache_misses(kConsumer) - consumer_misses0) / stakes;
  const double rate = state.iterations() * block / Seconds(busy);
  if (RocksStats()) {
    const double n = static_cast<double>(state.iterations() * block);
    for (const auto& [name, store, before] :
         {std::tuple("p_", x.provider_store, p0), std::tuple("c_", x.consumer_store, c0)}) {
      const RocksDbStore::ReadStats now = store->rocks()->read_stats();
      const double hits = now.block_cache_hits - before.block_cache_hits;
      const double misses = now.block_cache_misses - before.block_cache_misses;
      const std::string p = name;
      state.counters[p + "cache_hit_rate"] = hits + misses > 0 ? hits / (hits + misses) : 0;
      state.counters[p + "cache_miss_per_stake"] = misses / n;
      state.counters[p + "bloom_skip_per_stake"] = (now.bloom_useful - before.bloom_useful) / n;
      state.counters[p + "mem_hit_per_stake"] = (now.memtable_hits - before.memtable_hits) / n;
      state.counters[p + "sst_hit_per_stake"] =
          (now.get_hits_l0 + now.get_hits_l1 + now.get_hits_l2_up - before.get_hits_l0 -
           before.get_hits_l1 - before.get_hits_l2_up) / n;
      state.counters[p + "compact_mb"] = (now.bytes_compacted - before.bytes_compacted) / 1e6;
    }
  }
  const double us = 1e6 / rate;
  state.SetItemsProcessed(state.iterations() * block);
  const double verify =
      benchutil::VerifyRate(kProvider, x.account_of, SignBlock(x, block, /*consume=*/false));
  const double write = WriteRate(state, x, block);
  const double ceiling = 1.0 / (1.0 / verify + 1.0 / write);
  state.counters["stakes_per_s"] = rate;
  state.counters["us_per_stake"] = us;
  state.counters["verify_per_s"] = verify;
  state.counters["write_per_s"] = write;
  state.counters["ceiling_per_s"] = ceiling;
  state.counters["ratio"] = rate / ceiling;
  state.counters["cores"] = node::WorkerPool::Shared().threads();
  if (users == 1000) BaseCost()[block] = us;
  auto base = BaseCost().find(block);
  if (users != 1000 && base != BaseCost().end()) state.counters["cost_vs_1k"] = us / base->second;
  CheckLanded(state, x);
}

int Register() {
  std::vector<int64_t> users = {1000};
  const char* large = std::getenv("MESH_BENCH_LARGE");
  if (large != nullptr && std::string(large) == "1") users.push_back(100000);
  for (int64_t u : users) {
    for (int64_t b : {10, 100, 1000}) {
      benchmark::RegisterBenchmark("BM_Headline2_CrossChainStakes",
                                   BM_Headline2_CrossChainStakes)
          ->Args({u, b})
          ->ArgNames({"users", "block"})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return 0;
}
[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace mesh::harness
