// Key/value stores: RocksDbStore against MemStore (the baseline of this
// group) for put, get and a 100-key scan over 10000 keys; an Overlay of one
// block's writes (1000 puts) committed into each store.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/amount.h"
#include "core/codec.h"
#include "core/kv.h"
#include "core/record.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "node/state_cache.h"

namespace mesh {
namespace {

constexpr uint64_t kKeys = 10000;
constexpr int kScanLength = 100;
const std::string kValue(64, 'v');

std::string Key(uint64_t i) { return Encoder(0x70).U64(i).Take(); }

// Stores shared by every benchmark of this file: a prefilled pair that is
// only read (so that earlier writes cannot change what reads measure) and a
// pair that puts and commits write into. RocksDB directories are removed at
// exit.
class Stores {
 public:
  Stores()
      : dir_(std::filesystem::temp_directory_path() / ("mesh_bench_" + std::to_string(getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    read_rocks_ = OpenRocks("read");
    write_rocks_ = OpenRocks("write");
    for (uint64_t i = 0; i < kKeys; ++i) {
      MESH_CHECK_OK(read_mem_.Put(Key(i), kValue));
      MESH_CHECK_OK(read_rocks_->Put(Key(i), kValue));
    }
  }
  ~Stores() {
    read_rocks_.reset();
    write_rocks_.reset();
    std::filesystem::remove_all(dir_);
  }
  // sync = false: single puts measure the engine, not fsync.
  std::unique_ptr<RocksDbStore> OpenRocks(const std::string& name, bool sync = false) {
    RocksDbStore::Options o;
    o.sync = sync;
    auto rocks = RocksDbStore::Open((dir_ / name).string(), o);
    MESH_CHECK_OK(rocks.status());
    return std::move(*rocks);
  }
  DurableStore& read_mem() { return read_mem_; }
  DurableStore& read_rocks() { return *read_rocks_; }
  DurableStore& write_mem() { return write_mem_; }
  DurableStore& write_rocks() { return *write_rocks_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  MemStore read_mem_;
  MemStore write_mem_;
  std::unique_ptr<RocksDbStore> read_rocks_;
  std::unique_ptr<RocksDbStore> write_rocks_;
};

Stores& Shared() {
  static Stores stores;
  return stores;
}
DurableStore& ReadMem() { return Shared().read_mem(); }
DurableStore& ReadRocks() { return Shared().read_rocks(); }
DurableStore& WriteMem() { return Shared().write_mem(); }
DurableStore& WriteRocks() { return Shared().write_rocks(); }

void BM_Put(benchmark::State& state, DurableStore& (*store)()) {
  DurableStore& s = store();
  uint64_t i = 0;
  for (auto _ : state) {
    if (!s.Put(Key(i++ % kKeys), kValue).ok()) state.SkipWithError("put failed");
  }
}
BENCHMARK_CAPTURE(BM_Put, MemStore, WriteMem);
BENCHMARK_CAPTURE(BM_Put, RocksDb, WriteRocks);

void BM_Get(benchmark::State& state, DurableStore& (*store)()) {
  DurableStore& s = store();
  uint64_t i = 0;
  for (auto _ : state) {
    // A stride visits the keys out of order.
    auto v = s.Get(Key((i++ * 7919) % kKeys));
    if (!v.ok() || !v->has_value()) state.SkipWithError("get failed");
  }
}
BENCHMARK_CAPTURE(BM_Get, MemStore, ReadMem);
BENCHMARK_CAPTURE(BM_Get, RocksDb, ReadRocks);

void BM_Scan100(benchmark::State& state, DurableStore& (*store)()) {
  DurableStore& s = store();
  uint64_t i = 0;
  for (auto _ : state) {
    uint64_t start = (i++ * 7919) % (kKeys - kScanLength);
    int n = 0;
    for (auto it = s.Scan(Key(start), ""); it->Valid() && n < kScanLength; it->Next()) {
      benchmark::DoNotOptimize(it->value().size());
      ++n;
    }
    if (n != kScanLength) state.SkipWithError("short scan");
  }
  state.SetItemsProcessed(state.iterations() * kScanLength);
}
BENCHMARK_CAPTURE(BM_Scan100, MemStore, ReadMem);
BENCHMARK_CAPTURE(BM_Scan100, RocksDb, ReadRocks);

// One block: range(0) puts into an Overlay, then Commit() (one atomic
// WriteBatch into the durable store).
void CommitBlocks(benchmark::State& state, DurableStore& target) {
  const int64_t writes = state.range(0);
  uint64_t i = 0;
  for (auto _ : state) {
    Overlay block(&target);
    for (int64_t k = 0; k < writes; ++k) {
      if (!block.Put(Key(i++ % kKeys), kValue).ok()) state.SkipWithError("put failed");
    }
    if (!block.Commit().ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations() * writes);
}

void BM_OverlayCommit_MemStore(benchmark::State& state) {
  MemStore store;
  CommitBlocks(state, store);
}
BENCHMARK(BM_OverlayCommit_MemStore)->Arg(1000);

// A fresh database per run; range(1) = 1 syncs each commit, as a node's
// block commit does.
void BM_OverlayCommit_RocksDb(benchmark::State& state) {
  std::string name = state.range(1) == 1 ? "commit-synced" : "commit";
  std::filesystem::remove_all(Shared().dir() / name);
  std::unique_ptr<RocksDbStore> store = Shared().OpenRocks(name, state.range(1) == 1);
  CommitBlocks(state, *store);
}
BENCHMARK(BM_OverlayCommit_RocksDb)->Args({1000, 0})->Args({1000, 1});

// A long scan, as a slash reads a validator's 10^5 stakes: range(0) keys of
// 200 bytes under one prefix, written as a chain writes them (blocks of
// 20000 keys, range(1) times over: a stake's record is written when it is
// sent and again when it is acknowledged), then the whole prefix scanned,
// a fresh iterator per scan. range(2) = 1 compacts the store first (every
// key once, in the last level), the baseline of the others.
void BM_LongScan_RocksDb(benchmark::State& state) {
  const uint64_t keys = static_cast<uint64_t>(state.range(0));
  const std::string name = "longscan";
  std::filesystem::remove_all(Shared().dir() / name);
  std::unique_ptr<RocksDbStore> store = Shared().OpenRocks(name);
  const std::string value(200, 's');
  constexpr uint64_t kBlock = 20000;
  for (int64_t round = 0; round < state.range(1); ++round) {
    for (uint64_t from = 0; from < keys; from += kBlock) {
      WriteBatch batch;
      for (uint64_t i = from; i < std::min(keys, from + kBlock); ++i) batch.Put(Key(i), value);
      MESH_CHECK_OK(store->Write(batch));
    }
  }
  if (state.range(2) == 1) MESH_CHECK_OK(store->CompactAll());
  for (auto _ : state) {
    uint64_t n = 0;
    for (auto it = store->ScanPrefix(Encoder(0x70).Take()); it->Valid(); it->Next()) {
      benchmark::DoNotOptimize(it->value().data());
      ++n;
    }
    if (n != keys) state.SkipWithError("short scan");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(keys));
}
BENCHMARK(BM_LongScan_RocksDb)
    ->ArgNames({"keys", "writes", "compacted"})
    ->Args({100000, 1, 1})
    ->Args({100000, 1, 0})
    ->Args({100000, 2, 0})
    ->Unit(benchmark::kMillisecond);

// BM_StateCacheHit/entries:N — the node's state cache (node/state_cache.h)
// holding N entries (keys of 45 bytes, values of 80, written by one batch
// over a MemStore), then point reads of cached keys in a fixed pseudo-random
// order: the cost of a hit when the cache is larger than the CPU's caches
// (N = 10^6) and when it is not (N = 10^4). Counter ns_per_hit.
void BM_StateCacheHit(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto key_of = [](size_t i) {
    return Encoder(uint8_t{0x24}).U64(i * 0x9E3779B97F4A7C15ULL).Raw(std::string(32, 'k')).Take();
  };
  node::StateCache cache(std::make_unique<MemStore>(), size_t{1} << 30);
  WriteBatch batch;
  for (size_t i = 0; i < n; ++i) batch.Put(key_of(i), std::string(80, static_cast<char>(i)));
  MESH_CHECK_OK(cache.Write(batch));
  std::vector<std::string> order;
  constexpr size_t kReads = 1 << 16;
  order.reserve(kReads);
  uint64_t x = 88172645463325252ULL;  // xorshift64: the same order every run
  for (size_t i = 0; i < kReads; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    order.push_back(key_of(x % n));
  }
  size_t reads = 0;
  for (auto _ : state) {
    for (const std::string& key : order) {
      absl::StatusOr<std::optional<std::string>> v = cache.Get(key);
      benchmark::DoNotOptimize(v);
    }
    reads += order.size();
  }
  state.counters["ns_per_hit"] = benchmark::Counter(
      static_cast<double>(reads), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  if (cache.hits() < reads) state.SkipWithError("a read missed the cache");
}
BENCHMARK(BM_StateCacheHit)->ArgName("entries")->Arg(10000)->Arg(1000000);

// BM_EncodeRecord/fresh:F — a record of about a stake's size (369 bytes:
// an address, 16 amounts, 8 u64s) encoded to its bytes: with F = 1 into a
// fresh Encoder (the baseline: the string regrows at every doubling), with
// F = 0 by EncodeRecord (core/record.h: the thread's buffer, then one
// string of the exact size). Counter ns_per_record.
struct StakeLike {
  std::string owner = std::string(45, 'o');
  uint64_t seed = 0;
  void Encode(Encoder& e) const {
    e.Str(owner);
    for (int i = 0; i < 16; ++i) e.Amt(Amount(static_cast<u128>(seed + i)));
    for (int i = 0; i < 8; ++i) e.U64(seed * 3 + i);
  }
};
void BM_EncodeRecord(benchmark::State& state) {
  const bool fresh = state.range(0) != 0;
  StakeLike r;
  size_t bytes = 0;
  for (auto _ : state) {
    ++r.seed;
    std::string out;
    if (fresh) {
      Encoder e;
      r.Encode(e);
      out = e.Take();
    } else {
      out = EncodeRecord(r);
    }
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_per_record"] =
      static_cast<double>(bytes) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.counters["ns_per_record"] = benchmark::Counter(
      static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EncodeRecord)->ArgName("fresh")->Arg(1)->Arg(0);

// BM_BlockBatch/ops:N — a block's write batch as its txs build it: txs of
// 10 writes each (7 new keys of 45 bytes in random order over 5 tables, 3
// rewrites of keys the batch holds: a hot key such as the fee collector's
// balance and two earlier keys), each preceded by 6 reads through the
// block's overlay (3 of keys it holds, 3 of keys it does not), run in an
// overlay of its own and merged into the block's, until the block holds N
// keys. The cost of finding and placing keys in a large batch (Find,
// Absorb, Put), over a MemStore parent; counter ns_per_tx.
void BM_BlockBatch(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  constexpr int kNew = 7;
  std::vector<std::string> keys;  // every new key, in the order written
  uint64_t x = 0x2545F4914F6CDD1DULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const size_t txs = n / kNew;
  keys.reserve(txs * kNew);
  for (size_t i = 0; i < txs * kNew; ++i) {
    keys.push_back(Encoder(static_cast<uint8_t>(0x20 + next() % 5))
                       .U64(next())
                       .Raw(std::string(36, 'a'))
                       .Take());
  }
  const std::string hot = Encoder(uint8_t{0x10}).Raw("fee_collector").Take();
  MemStore parent;
  size_t done = 0;
  for (auto _ : state) {
    Overlay block(&parent);
    size_t written = 0;
    for (size_t t = 0; t < txs; ++t) {
      for (int r = 0; r < 3; ++r) {
        if (written > 0) benchmark::DoNotOptimize(block.Get(keys[next() % written]));
        benchmark::DoNotOptimize(block.Get(Encoder(uint8_t{0x22}).U64(next()).Take()));
      }
      Overlay tx(&block);
      for (int k = 0; k < kNew; ++k) MESH_CHECK_OK(tx.Put(keys[written + k], kValue));
      MESH_CHECK_OK(tx.Put(hot, kValue));
      if (written > 0) {
        MESH_CHECK_OK(tx.Put(keys[next() % written], kValue));
        MESH_CHECK_OK(tx.Put(keys[next() % written], kValue));
      }
      MESH_CHECK_OK(tx.Commit());
      written += kNew;
    }
    done += txs;
    benchmark::DoNotOptimize(block.pending().size());
  }
  state.counters["ns_per_tx"] = benchmark::Counter(
      static_cast<double>(done), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_BlockBatch)->ArgName("ops")->Arg(1000)->Arg(10000)->Arg(100000);

}  // namespace
}  // namespace mesh
