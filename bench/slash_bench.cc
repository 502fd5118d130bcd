// Slashing a consumer validator with N cross-delegators (issue 12).
//
//  BM_SlashCrossDelegators/users:N — a provider and a consumer chain, both
//  on RocksDB, composed by the application layer through the multi-chain
//  harness (tests/harness/network.h). N provider users each bond collateral
//  and cross-stake it to one consumer validator (setup: direct module calls
//  in the open block, packets relayed by the in-process relayer, one epoch
//  bonding the virtual stake). Then one liveness slash of that validator:
//    consumer_ms  the consumer's part of the block round that processes it
//                 (slash share, records cut, valset update with the slash
//                 queued; the block ended, committed and the next begun);
//    provider_ms  relaying that packet and the provider's part of the round
//                 that applies it (every user's stake and vault lien cut),
//                 split into provider_apply_ms (packet received) and
//                 provider_commit_ms (block ended and committed, the next
//                 begun);
//    consumer_round_ms, provider_round_ms  the same with the other chain's
//                 idle part of each round too (these were consumer_ms and
//                 provider_ms before 2026-12-07: a round runs both chains);
//  Times are CPU time of the thread that runs both state machines (stable
//  on a shared machine), each chain's part timed by Network's block hook;
//  *_wall_ms are the wall-clock times.
//    packets      packets either chain sent because of the slash;
//    users_per_s_consumer / users_per_s_provider = N / time;
//    ceiling_users_per_s_*  the chain's same-run ceiling: N / the wall
//                 time of what its slash cannot avoid: writing its slash
//                 block's batch alone into a fresh RocksDB store with the
//                 same options (as Headline 2's write ceiling), plus reading
//                 what its exact per-user rules need. The consumer stores
//                 one record slash but reads every record (docs/consumer.md,
//                 "Record slashes"): one scan of the validator's records in
//                 its RocksDB store. The provider stores one stake slash and
//                 leaves the vault cuts to reads (docs/provider.md, "Stake
//                 slashes", "Deferred vault cuts") but reads every user's
//                 stake (the split's weights and remainder; whether the cut
//                 may wait): one scan of the validator's stakes, in its
//                 store as the slash left it. Both scans run after the
//                 slash, so they find the blocks the slash read in the
//                 block cache, where the slash read them cold;
//                 ratio_* = users_per_s_* / ceiling;
//    *_keys_per_user, *_bytes_per_user  what that batch holds per user;
//    read_floor_users_per_s_provider  the provider's reads alone: N / the
//                 wall time of that scan, compacted
//                 (read_floor_uncompacted_*: before compacting, with every
//                 version the setup and the slash left, as in the ceiling);
//  MESH_BENCH_PREFAULT_MB=M: a diagnostic, see PrefaultHeap.
//    setup_cpu_s / setup_wall_s  building the N cross-delegations (thread
//                 CPU / wall): the setup, not the slash, bounds how large
//                 an N a run can afford;
//    provider_cache_*, consumer_cache_*  the chains' state caches
//                 (node/state_cache.h): hit rate, misses and evictions during
//                 the chain's part, bytes (MiB) and entries cached after it.
//  One slash per prepared network: Iterations(1), manual time = both sides.
//  N = 10^2, 10^3, 10^4; 10^5 and 10^6 with MESH_BENCH_LARGE=1.
//
//  BM_SlashSharedCollateral/users:N/propagating:P — the same slash, with
//  every user's collateral also backing a local stake of the same size on
//  the provider's validator (the usual mesh-security user: one collateral,
//  several liens). P = 0: twice the stake bonded, so the cut fits what is
//  left and waits for the record's next read (docs/provider.md, "Deferred
//  vault cuts"). P = 1: the stake bonded once for both, so every cut clips
//  the local lien and burns local stake in the slash's block. The same
//  counters and checks (and each local lien at most the collateral left).
//  N = 10^3, 10^4; 10^5 with MESH_BENCH_LARGE=1.
//  After timing, the run checks that every user lost stake on the provider
//  and that provider and consumer agree on the validator's total.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "core/amount.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/status.h"
#include "ibc/relayer.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/provider_guard.h"
#include "mesh/consumer/state.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/vault.h"
#include "node/state_cache.h"
#include "staking/bank.h"
#include "tests/harness/network.h"
#include "bench/cross_delegators.h"

namespace mesh::harness {
namespace {

using Clock = std::chrono::steady_clock;
// A temp directory of this benchmark (bench_util.h).
class TempDir : public benchutil::TempDir {
 public:
  explicit TempDir(const std::string& name) : benchutil::TempDir("slash", name) {}
};
using namespace bench;  // NOLINT(build/namespaces): the shared setup

// The state machine runs on this thread (RocksDB's WAL and memtable writes
// too; only its background flushes and compactions run elsewhere), so its
// CPU time is the block's cost whatever else the machine runs; the wall
// time is reported beside it.
struct Times {
  double cpu_ms = 0;
  double wall_ms = 0;
};

Times Now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  Times t;
  t.cpu_ms = static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  t.wall_ms = std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
  return t;
}

// Each chain's part of the block rounds (Network::set_block_hook), summed
// from construction until destruction (which clears the hook).
class ChainClocks {
 public:
  explicit ChainClocks(Network& net) : net_(net) {
    net_.set_block_hook([this](const std::string& chain, bool start) {
      if (start) {
        started_ = Now();
        return;
      }
      const Times end = Now();
      Times& sum = sums_[chain];
      sum.cpu_ms += end.cpu_ms - started_.cpu_ms;
      sum.wall_ms += end.wall_ms - started_.wall_ms;
    });
  }
  ~ChainClocks() { net_.set_block_hook(nullptr); }
  ChainClocks(const ChainClocks&) = delete;
  ChainClocks& operator=(const ChainClocks&) = delete;

  // `chain`'s sum so far.
  Times Of(const std::string& chain) const {
    auto it = sums_.find(chain);
    return it == sums_.end() ? Times{} : it->second;
  }

 private:
  Network& net_;
  Times started_;
  std::map<std::string, Times, std::less<>> sums_;
};

int PendingCount(Network& net, const std::string& from, const std::string& to) {
  absl::StatusOr<std::vector<ibc::InFlight>> p = net.Pending(from, to);
  MESH_CHECK_OK(p.status());
  return static_cast<int>(p->size());
}

// A chain's state cache (node/state_cache.h).
const node::StateCache& CacheOf(Network& net, const std::string& chain) {
  const auto* cache = dynamic_cast<const node::StateCache*>(net.chain(chain).durable());
  MESH_CHECK(cache != nullptr);
  return *cache;
}

// MESH_BENCH_PREFAULT_MB=M (a diagnostic, off by default): before the timed
// blocks, M MiB are allocated, every page written, and freed. The programs'
// allocator keeps freed memory (apps/allocator/keep_freed_memory.cc), so
// the slash blocks then reuse pages this process already touched: the run
// shows what the slash costs without first page touches, which on this VM
// are a fresh host allocation each (docs/perf.md).
void PrefaultHeap() {
  const char* v = std::getenv("MESH_BENCH_PREFAULT_MB");
  if (v == nullptr) return;
  const long mb = std::strtol(v, nullptr, 10);
  std::vector<std::unique_ptr<char[]>> chunks;
  for (long i = 0; i < mb; ++i) {
    chunks.emplace_back(new char[1 << 20]);
    for (size_t off = 0; off < (1 << 20); off += 4096) chunks.back()[off] = 1;
  }
}

// gperftools' C entry points (malloc_extension_c.h), weak: absent from a
// program linked without tcmalloc (MESH_TCMALLOC=OFF).
extern "C" void MallocExtension_MarkThreadIdle(void) __attribute__((weak));
extern "C" void MallocExtension_MarkThreadBusy(void) __attribute__((weak));

// MESH_BENCH_FLUSH_THREAD_CACHE=1 (a diagnostic, off by default): after the
// setup, this thread's tcmalloc cache is handed back to the central lists
// (MarkThreadIdle, then MarkThreadBusy). The setup's blocks leave up to a
// few MiB of freed objects in it; the first timed block whose frees pass
// the cache's limit walks them, long cold, back to the central lists
// (tcmalloc::ThreadCache::Scavenge), and so pays for the setup's frees:
// about 0.3–0.5 ms, which is a third of the slash at N = 10^3 and lands on
// whichever chain's block passes the limit first (docs/perf-history.md,
// "The setup's freed objects"). With it, the timed blocks pay for none of
// the setup's frees (and for their own only as far as they pass the limit).
void FlushThreadCache() {
  const char* v = std::getenv("MESH_BENCH_FLUSH_THREAD_CACHE");
  if (v == nullptr || std::string(v) != "1") return;
  if (MallocExtension_MarkThreadIdle == nullptr || MallocExtension_MarkThreadBusy == nullptr) {
    std::fprintf(stderr, "MESH_BENCH_FLUSH_THREAD_CACHE: this program has no tcmalloc\n");
    return;
  }
  MallocExtension_MarkThreadIdle();
  MallocExtension_MarkThreadBusy();
}

// The provider and the consumer (MakeSpec) on RocksDB under `dir`, each
// chain's store recording its next write on request into `stores`
// (provider first).
std::unique_ptr<Network> RecordedNetwork(const TempDir& dir,
                                         benchutil::RecordingStore* stores[2]) {
  NetworkSpec spec = MakeSpec(dir.Sub(""));
  for (int i = 0; i < 2; ++i) {
    ChainSpec& c = spec.chains[i];
    c.open_store = benchutil::OpenRecordingStore(c.rocksdb_dir, &stores[i]);
  }
  absl::StatusOr<std::unique_ptr<Network>> created = Network::Create(spec);
  MESH_CHECK_OK(created.status());
  return *std::move(created);
}

// One slash of kSlashed among `users` users of `shape` (cross_delegators.h).
void SlashCase(benchmark::State& state, int users, const UserShape& shape) {
  TempDir dir(absl::StrCat("n", users));
  using benchutil::RecordingStore;
  RecordingStore* stores[2] = {nullptr, nullptr};
  const std::unique_ptr<Network> network = RecordedNetwork(dir, stores);
  Network& net = *network;
  const Times s0 = Now();
  Prepare(net, users, shape);
  const Times s1 = Now();
  PrefaultHeap();
  FlushThreadCache();
  const ValidatorAddress val = net.Valoper(kConsumer, kSlashed);
  absl::StatusOr<Amount> before = consumer::VirtualStaking::BondRequest(
      net.ctx(kConsumer), consumer::ProviderId(kProvider), val);
  MESH_CHECK_OK(before.status());
  double consumer_ms = 0, provider_ms = 0;
  int packets = 0;
  for (auto _ : state) {
    net.set_auto_relay(false);
    const uint64_t h = net.chain(kConsumer).height();
    MESH_CHECK_OK(net.Downtime(kConsumer, kSlashed, h - 1));
    const node::StateCache& ccache = CacheOf(net, kConsumer);
    const size_t chits0 = ccache.hits(), cmisses0 = ccache.misses(), cev0 = ccache.evictions();
    benchutil::PerfControl("enable\n");  // the timed slash blocks only
    stores[1]->RecordNextWrite();
    const ChainClocks clocks(net);
    const Times t0 = Now();
    MESH_CHECK_OK(net.AdvanceBlock());  // the consumer block with the slash
    const Times t1 = Now();
    const Times consumer_part = clocks.Of(kConsumer);
    const Times provider_idle = clocks.Of(kProvider);
    {
      const size_t hits = ccache.hits() - chits0, misses = ccache.misses() - cmisses0;
      state.counters["consumer_cache_hit_rate"] =
          static_cast<double>(hits) / static_cast<double>(std::max<size_t>(1, hits + misses));
      state.counters["consumer_cache_misses"] = static_cast<double>(misses);
      state.counters["consumer_cache_evictions"] = static_cast<double>(ccache.evictions() - cev0);
      state.counters["consumer_cache_mib"] = static_cast<double>(ccache.cached_bytes()) / (1 << 20);
    }
    packets = PendingCount(net, kConsumer, kProvider);
    const node::StateCache& cache = CacheOf(net, kProvider);
    const size_t hits0 = cache.hits(), misses0 = cache.misses(), ev0 = cache.evictions();
    const Times t2 = Now();
    MESH_CHECK_OK(net.RelayAll().status());  // the provider applies it
    stores[0]->RecordNextWrite();
    const Times t3 = Now();
    MESH_CHECK_OK(net.AdvanceBlock());  // and commits
    const Times t4 = Now();
    Times provider_part = clocks.Of(kProvider);
    provider_part.cpu_ms -= provider_idle.cpu_ms;
    provider_part.wall_ms -= provider_idle.wall_ms;
    benchutil::PerfControl("disable\n");
    const size_t hits = cache.hits() - hits0, misses = cache.misses() - misses0;
    state.counters["provider_cache_hit_rate"] =
        static_cast<double>(hits) / static_cast<double>(std::max<size_t>(1, hits + misses));
    state.counters["provider_cache_evictions"] = static_cast<double>(cache.evictions() - ev0);
    state.counters["provider_cache_misses"] = static_cast<double>(misses);
    state.counters["provider_cache_mib"] = static_cast<double>(cache.cached_bytes()) / (1 << 20);
    state.counters["provider_cache_entries"] = static_cast<double>(cache.cached_entries());
    packets += PendingCount(net, kProvider, kConsumer);
    // The recorded batches were taken by move (RecordingStore::Consume), so
    // the timed commits did not free them: freeing a copy is timed here and
    // added to each chain's commit.
    double free_ms[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
      WriteBatch copy = stores[i]->recorded();
      const Times c0 = Now();
      copy.Clear();
      free_ms[i] = Now().cpu_ms - c0.cpu_ms;
    }
    consumer_ms = consumer_part.cpu_ms + free_ms[1];
    provider_ms = t3.cpu_ms - t2.cpu_ms + provider_part.cpu_ms + free_ms[0];
    state.counters["consumer_round_ms"] = t1.cpu_ms - t0.cpu_ms + free_ms[1];
    state.counters["provider_round_ms"] = t4.cpu_ms - t2.cpu_ms + free_ms[0];
    state.counters["consumer_wall_ms"] = consumer_part.wall_ms;
    state.counters["provider_wall_ms"] = t3.wall_ms - t2.wall_ms + provider_part.wall_ms;
    state.counters["provider_apply_ms"] = t3.cpu_ms - t2.cpu_ms;
    state.counters["provider_commit_ms"] = provider_part.cpu_ms + free_ms[0];
    state.SetIterationTime((consumer_ms + provider_ms) / 1000.0);
    net.set_auto_relay(true);
    MESH_CHECK_OK(net.AdvanceBlocks(2));
  }
  // The provider's reads (docs/perf-history.md, "Deferred vault cuts on the
  // provider"): every user's stake, by one scan of the validator's stakes in
  // the provider's RocksDB store, as users per second: as the slash left it
  // (the setup's and the slash's writes not yet compacted), then compacted
  // (one version of each record).
  double provider_read_s = 0;
  for (const bool compacted : {false, true}) {
    if (compacted) MESH_CHECK_OK(stores[0]->rocks()->CompactAll());
    const std::string stakes =
        provider::tables::Prefix(provider::tables::kExtStakes, kConsumer, val.value());
    size_t stakes_read = 0;
    const double seconds =
        benchutil::SecondsPerScan(*stores[0], stakes, PrefixEnd(stakes), &stakes_read);
    if (stakes_read != static_cast<size_t>(users)) {
      state.SkipWithError(absl::StrCat("the scan found ", stakes_read, " stakes").c_str());
      return;
    }
    if (!compacted) provider_read_s = seconds;
    state.counters[compacted ? "read_floor_users_per_s_provider"
                             : "read_floor_uncompacted_users_per_s_provider"] = users / seconds;
  }
  // Each chain's ceiling: its slash block's batch written into a fresh
  // store with the same options (bench_util.h, as Headline 2's), plus its
  // reads, as users per second.
  double ceiling[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const char* side = i == 0 ? "provider" : "consumer";
    const WriteBatch& batch = stores[i]->recorded();
    size_t bytes = 0;
    for (const auto& [key, value] : batch.ops()) bytes += key.size() + (value ? value->size() : 0);
    state.counters[absl::StrCat(side, "_keys_per_user")] =
        static_cast<double>(batch.size()) / users;
    state.counters[absl::StrCat(side, "_bytes_per_user")] = static_cast<double>(bytes) / users;
    double seconds = benchutil::SecondsPerWrite(batch, TempDir(absl::StrCat(side, "_ceiling")));
    if (i == 0) seconds += provider_read_s;
    if (i == 1) {
      const std::string records = Encoder(consumer::internal::kRecordPrefix)
                                      .Str(kProvider)
                                      .Str(val.value())
                                      .Take();
      size_t scanned = 0;
      seconds += benchutil::SecondsPerScan(*stores[1], records, PrefixEnd(records), &scanned);
      if (scanned != static_cast<size_t>(users)) {
        state.SkipWithError(absl::StrCat("the record scan found ", scanned, " records").c_str());
        return;
      }
    }
    ceiling[i] = users / seconds;
  }
  // The work landed: every user lost stake, and both ends agree.
  Amount provider_total;
  for (int i = 0; i < users; ++i) {
    absl::StatusOr<provider::Stake> s = provider::ExternalStaking::GetStake(
        net.ctx(kProvider), provider::ConsumerId(kConsumer), UserAddress(i), val);
    MESH_CHECK_OK(s.status());
    if (!(s->stake.high() < kStake)) {
      state.SkipWithError(absl::StrCat("user ", i, " was not slashed").c_str());
      return;
    }
    provider_total = *provider_total.Add(s->stake.high());
    // The vault's cut, taken when the record is read.
    absl::StatusOr<provider::AccountInfo> account =
        provider::Vault::Account(net.ctx(kProvider), UserAddress(i));
    MESH_CHECK_OK(account.status());
    const Amount cut = kStake.SaturatingSub(s->stake.high());
    if (account->bonded != shape.collateral.SaturatingSub(cut)) {
      state.SkipWithError(absl::StrCat("user ", i, "'s collateral ", account->bonded.ToString(),
                                       " was not cut as the stake")
                              .c_str());
      return;
    }
    if (!shape.local.IsZero()) {  // a local lien above the collateral left was clipped
      absl::StatusOr<provider::Lien> claim = provider::Vault::GetClaim(
          net.ctx(kProvider), UserAddress(i), provider::LienHolder::Local());
      MESH_CHECK_OK(claim.status());
      if (claim->amount.high() != Min(shape.local, account->bonded)) {
        state.SkipWithError(absl::StrCat("user ", i, "'s local lien ",
                                         claim->amount.high().ToString(), " is not clipped")
                                .c_str());
        return;
      }
    }
  }
  absl::StatusOr<Amount> consumer_total = consumer::ProviderGuard::HeldRemote(
      net.ctx(kConsumer), consumer::ProviderId(kProvider), val);
  MESH_CHECK_OK(consumer_total.status());
  if (*consumer_total != provider_total) {
    state.SkipWithError(absl::StrCat("provider holds ", provider_total.ToString(),
                                     ", consumer records ", consumer_total->ToString())
                            .c_str());
    return;
  }
  state.counters["users"] = users;
  state.counters["consumer_ms"] = consumer_ms;
  state.counters["provider_ms"] = provider_ms;
  state.counters["users_per_s_consumer"] = users / (consumer_ms / 1000.0);
  state.counters["users_per_s_provider"] = users / (provider_ms / 1000.0);
  state.counters["ceiling_users_per_s_consumer"] = ceiling[1];
  state.counters["ceiling_users_per_s_provider"] = ceiling[0];
  state.counters["ratio_consumer"] = users / (consumer_ms / 1000.0) / ceiling[1];
  state.counters["ratio_provider"] = users / (provider_ms / 1000.0) / ceiling[0];
  state.counters["packets"] = packets;
  // What the setup cost (it dominates a run at large N: plan 10^6 with it).
  state.counters["setup_cpu_s"] = (s1.cpu_ms - s0.cpu_ms) / 1000.0;
  state.counters["setup_wall_s"] = (s1.wall_ms - s0.wall_ms) / 1000.0;
}

void BM_SlashCrossDelegators(benchmark::State& state) {
  SlashCase(state, static_cast<int>(state.range(0)), UserShape{});
}

// Every user's collateral also backs a local stake of kStake on the
// provider's validator. propagating:0 — 2 × kStake bonded: the cut fits
// the collateral left, so it waits for the record's next read as a lone
// lien's does. propagating:1 — kStake bonded for both stakes: every cut
// clips the local lien, burning local stake in the slash's block.
void BM_SlashSharedCollateral(benchmark::State& state) {
  const bool propagating = state.range(1) != 0;
  const UserShape shape{propagating ? kStake : kCollateral, kStake};
  SlashCase(state, static_cast<int>(state.range(0)), shape);
}

// Runs `fn` as a timed part (the profiler's window, MESH_PERF_CTL) and
// returns the thread CPU ms it took.
template <typename Fn>
double TimedCpuMs(Fn fn) {
  benchutil::PerfControl("enable\n");
  const Times t0 = Now();
  fn();
  const Times t1 = Now();
  benchutil::PerfControl("disable\n");
  return t1.cpu_ms - t0.cpu_ms;
}

// BM_UnstakeAmongCrossDelegators/users:N — the same N cross-delegators on
// one consumer validator; 100 of them unstake a little in one provider
// block, and the relay that delivers those packets (the consumer's check
// and unstake of each, then the provider's acks) is timed: thread CPU µs
// per unstake (`us_per_unstake`). An unstake that its delegator's own
// record covers reads that record only, so the figure does not grow with
// N (before, each unstake read all N records twice).
void BM_UnstakeAmongCrossDelegators(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  constexpr int kUnstakes = 100;
  CrossDelegators setup("slash", "u", users);
  Network& net = *setup.net;
  const ValidatorAddress& val = setup.val;
  double cpu_ms = 0;
  int received = 0;
  for (auto _ : state) {
    net.set_auto_relay(false);
    const Context ctx = net.ctx(kProvider);
    for (int j = 0; j < kUnstakes; ++j) {
      MESH_CHECK_OK(provider::ExternalStaking::Unstake(ctx, provider::ConsumerId(kConsumer),
                                                       UserAddress(j * (users / kUnstakes)), val,
                                                       Amount(10))
                        .status());
    }
    MESH_CHECK_OK(net.AdvanceBlock());  // the provider's block sends the packets
    absl::StatusOr<ibc::RelayStats> stats;
    const double ms = TimedCpuMs([&] { stats = net.RelayAll(); });
    MESH_CHECK_OK(stats.status());
    received += stats->received;
    cpu_ms += ms;
    state.SetIterationTime(ms / 1000.0);
    net.set_auto_relay(true);
    MESH_CHECK_OK(net.AdvanceBlocks(2));
  }
  if (received != kUnstakes * static_cast<int>(state.iterations())) {
    state.SkipWithError(absl::StrCat(received, " packets delivered").c_str());
    return;
  }
  state.counters["users"] = users;
  state.counters["us_per_unstake"] =
      cpu_ms * 1000.0 / (kUnstakes * static_cast<double>(state.iterations()));
}

// BM_InternalUnstakeAmongCrossDelegators/users:N — the provider's side of
// a zero-cap epoch: 100 of the N cross-delegators' InternalUnstake packets
// handled in one block (ExternalStaking::OnInternalUnstake, called as the
// packet handler does), timed: thread CPU µs per packet
// (`us_per_internal_unstake`). Covered by the delegator's own stake, a
// packet reads that stake only, so the figure does not grow with N.
void BM_InternalUnstakeAmongCrossDelegators(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  constexpr int kUnstakes = 100;
  CrossDelegators setup("slash", "i", users);
  Network& net = *setup.net;
  const ValidatorAddress& val = setup.val;
  double cpu_ms = 0;
  for (auto _ : state) {
    const Context ctx = net.ctx(kProvider);
    const double ms = TimedCpuMs([&] {
      for (int j = 0; j < kUnstakes; ++j) {
        MESH_CHECK_OK(provider::ExternalStaking::OnInternalUnstake(
            ctx, provider::ConsumerId(kConsumer), UserAddress(j * (users / kUnstakes)), val,
            Amount(10)));
      }
    });
    cpu_ms += ms;
    state.SetIterationTime(ms / 1000.0);
    MESH_CHECK_OK(net.AdvanceBlock());
  }
  state.counters["users"] = users;
  state.counters["us_per_internal_unstake"] =
      cpu_ms * 1000.0 / (kUnstakes * static_cast<double>(state.iterations()));
}

// BM_ZeroCapEpochAmongCrossDelegators/users:N — the same N cross-delegators,
// then the provider's max cap set to 0: each zero-cap epoch sends
// max_retrieve (50) internal unstakes, relayed and acked. One epoch's
// blocks on both chains are timed (thread CPU, `ms_per_epoch`): the
// consumer reads its records only up to the last one it sends, so the
// figure does not grow with N (before, each epoch read all N).
void BM_ZeroCapEpochAmongCrossDelegators(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  CrossDelegators setup("slash", "z", users);
  Network& net = *setup.net;
  const NetworkSpec& spec = setup.spec;
  MESH_CHECK_OK(net.SetMaxCap(kConsumer, kProvider, Amount(0)));
  MESH_CHECK_OK(net.AdvanceBlocks(spec.chains[1].epoch_length));  // the first zero-cap epoch
  auto records = [&] {
    absl::StatusOr<std::vector<consumer::VirtualStaking::RecordOf>> all =
        consumer::VirtualStaking::AllRecords(net.ctx(kConsumer), consumer::ProviderId(kProvider),
                                             std::nullopt);
    MESH_CHECK_OK(all.status());
    return static_cast<double>(all->size());
  };
  const double before = records();
  double cpu_ms = 0;
  for (auto _ : state) {
    const double ms =
        TimedCpuMs([&] { MESH_CHECK_OK(net.AdvanceBlocks(spec.chains[1].epoch_length)); });
    cpu_ms += ms;
    state.SetIterationTime(ms / 1000.0);
  }
  const double left_per_epoch = (before - records()) / static_cast<double>(state.iterations());
  if (left_per_epoch <= 0) {
    state.SkipWithError("no record left through the zero-cap epochs");
    return;
  }
  state.counters["users"] = users;
  state.counters["ms_per_epoch"] = cpu_ms / static_cast<double>(state.iterations());
  state.counters["records_left_per_epoch"] = left_per_epoch;
}

// BM_BurnAmongCrossDelegators/users:N — a burn packet on the consumer (what
// the provider sends when a slash elsewhere propagates to this link's
// liens) naming the validator of the same N cross-delegators, handled as
// the packet handler does (Consumer::HandleBurn), timed: thread CPU ms per
// burn (`ms_per_burn`). The burn must read the N records (its split needs
// them): once, not once for the check, once for the split's caps and once
// for the cut as before.
void BM_BurnAmongCrossDelegators(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  CrossDelegators setup("slash", "b", users);
  Network& net = *setup.net;
  const ValidatorAddress& val = setup.val;
  double cpu_ms = 0;
  for (auto _ : state) {
    const Context ctx = net.ctx(kConsumer);
    absl::StatusOr<Amount> burned;
    const double ms = TimedCpuMs([&] {
      burned = consumer::Consumer::HandleBurn(
          ctx, consumer::ProviderId(kProvider),
          consumer::BurnRequest{{val}, consumer::Coin{Denom("uosmo"), Amount(users)}});
    });
    MESH_CHECK_OK(burned.status());
    cpu_ms += ms;
    state.SetIterationTime(ms / 1000.0);
    MESH_CHECK_OK(net.AdvanceBlock());
  }
  state.counters["users"] = users;
  state.counters["ms_per_burn"] = cpu_ms / static_cast<double>(state.iterations());
}

// BM_IdleRound/users:N — what a block costs when it carries nothing: N
// cross-delegators set up as for the slash, then rounds of one empty block
// on each chain (Network::AdvanceBlock: begin, end, commit, a relay of
// nothing), timed: thread CPU µs per round (`us_per_round`) and per block
// (`us_per_block`, half a round; `us_per_block_provider`,
// `us_per_block_consumer`: each chain's own part), and the keys an idle
// block writes on each chain (`provider_keys_per_block`,
// `consumer_keys_per_block`). It is the fixed part of the slash figures at
// small N: each side's part includes its own block's commit.
void BM_IdleRound(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  constexpr int kRounds = 200;
  TempDir dir(absl::StrCat("idle", users));
  benchutil::RecordingStore* stores[2] = {nullptr, nullptr};
  const std::unique_ptr<Network> network = RecordedNetwork(dir, stores);
  Network& net = *network;
  Prepare(net, users);
  MESH_CHECK_OK(net.AdvanceBlocks(10));  // past the setup's epochs and acks
  double cpu_ms = 0;
  double provider_ms = 0, consumer_ms = 0;
  for (auto _ : state) {
    const ChainClocks clocks(net);
    const double ms = TimedCpuMs([&] {
      for (int i = 0; i < kRounds; ++i) MESH_CHECK_OK(net.AdvanceBlock());
    });
    cpu_ms += ms;
    provider_ms += clocks.Of(kProvider).cpu_ms;
    consumer_ms += clocks.Of(kConsumer).cpu_ms;
    state.SetIterationTime(ms / 1000.0);
  }
  for (benchutil::RecordingStore* store : stores) store->RecordNextWrite();
  MESH_CHECK_OK(net.AdvanceBlock());
  const double rounds = kRounds * static_cast<double>(state.iterations());
  state.counters["users"] = users;
  state.counters["us_per_round"] = cpu_ms * 1000.0 / rounds;
  state.counters["us_per_block"] = cpu_ms * 1000.0 / rounds / 2;
  state.counters["us_per_block_provider"] = provider_ms * 1000.0 / rounds;
  state.counters["us_per_block_consumer"] = consumer_ms * 1000.0 / rounds;
  state.counters["provider_keys_per_block"] = static_cast<double>(stores[0]->recorded().size());
  state.counters["consumer_keys_per_block"] = static_cast<double>(stores[1]->recorded().size());
}

bool Large() {
  const char* v = std::getenv("MESH_BENCH_LARGE");
  return v != nullptr && std::string(v) == "1";
}

const bool kRegistered = [] {
  auto* b = benchmark::RegisterBenchmark("BM_SlashCrossDelegators", BM_SlashCrossDelegators);
  b->ArgName("users")->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  for (int n : {100, 1000, 10000}) b->Arg(n);
  if (Large()) b->Arg(100000)->Arg(1000000);
  auto* shared = benchmark::RegisterBenchmark("BM_SlashSharedCollateral", BM_SlashSharedCollateral);
  shared->ArgNames({"users", "propagating"})->Iterations(1)->UseManualTime();
  shared->Unit(benchmark::kMillisecond);
  for (int n : {1000, 10000}) shared->Args({n, 0})->Args({n, 1});
  if (Large()) shared->Args({100000, 0})->Args({100000, 1});
  // The per-operation cases: three iterations each at N = 10^3, 10^4, and
  // 10^5 with MESH_BENCH_LARGE=1.
  const std::pair<const char*, void (*)(benchmark::State&)> per_operation[] = {
      {"BM_UnstakeAmongCrossDelegators", BM_UnstakeAmongCrossDelegators},
      {"BM_InternalUnstakeAmongCrossDelegators", BM_InternalUnstakeAmongCrossDelegators},
      {"BM_ZeroCapEpochAmongCrossDelegators", BM_ZeroCapEpochAmongCrossDelegators},
      {"BM_BurnAmongCrossDelegators", BM_BurnAmongCrossDelegators},
  };
  for (const auto& [name, fn] : per_operation) {
    auto* c = benchmark::RegisterBenchmark(name, fn);
    c->ArgName("users")->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);
    for (int n : {1000, 10000}) c->Arg(n);
    if (Large()) c->Arg(100000);
  }
  // The fixed cost of a block round, beside the slash's smallest N.
  auto* idle = benchmark::RegisterBenchmark("BM_IdleRound", BM_IdleRound);
  idle->ArgName("users")->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);
  idle->Arg(100)->Arg(10000);
  return true;
}();

}  // namespace
}  // namespace mesh::harness
