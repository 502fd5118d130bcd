// Key/value stores: RocksDbStore against MemStore (the baseline of this
// group) for put, get and a 100-key scan over 10000 keys; an Overlay of one
// block's writes committed into each store.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include "benchmark/benchmark.h"
#include "core/codec.h"
#include "core/kv.h"
#include "core/rocksdb_store.h"
#include "core/status.h"

namespace mesh {
namespace {

constexpr uint64_t kKeys = 10000;
constexpr int kScanLength = 100;
const std::string kValue(64, 'v');

std::string Key(uint64_t i) { return Encoder(0x70).U64(i).Take(); }

// Two prefilled stores shared by every benchmark of this file; the RocksDB
// directory is removed at exit.
class Stores {
 public:
  Stores() : dir_(std::filesystem::temp_directory_path() /
                  ("mesh_bench_" + std::to_string(getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    RocksDbStore::Options o;
    o.sync = false;  // single puts: measure the engine, not fsync
    auto rocks = RocksDbStore::Open((dir_ / "kv").string(), o);
    MESH_CHECK_OK(rocks.status());
    rocks_ = std::move(*rocks);
    for (uint64_t i = 0; i < kKeys; ++i) {
      MESH_CHECK_OK(mem_.Put(Key(i), kValue));
      MESH_CHECK_OK(rocks_->Put(Key(i), kValue));
    }
  }
  ~Stores() {
    rocks_.reset();
    std::filesystem::remove_all(dir_);
  }
  DurableStore& mem() { return mem_; }
  DurableStore& rocks() { return *rocks_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  MemStore mem_;
  std::unique_ptr<RocksDbStore> rocks_;
};

Stores& Shared() {
  static Stores stores;
  return stores;
}
DurableStore& Mem() { return Shared().mem(); }
DurableStore& Rocks() { return Shared().rocks(); }

void BM_Put(benchmark::State& state, DurableStore& (*store)()) {
  DurableStore& s = store();
  uint64_t i = 0;
  for (auto _ : state) {
    if (!s.Put(Key(i++ % kKeys), kValue).ok()) state.SkipWithError("put failed");
  }
}
BENCHMARK_CAPTURE(BM_Put, MemStore, Mem);
BENCHMARK_CAPTURE(BM_Put, RocksDb, Rocks);

void BM_Get(benchmark::State& state, DurableStore& (*store)()) {
  DurableStore& s = store();
  uint64_t i = 0;
  for (auto _ : state) {
    // A stride visits the keys out of order.
    auto v = s.Get(Key((i++ * 7919) % kKeys));
    if (!v.ok() || !v->has_value()) state.SkipWithError("get failed");
  }
}
BENCHMARK_CAPTURE(BM_Get, MemStore, Mem);
BENCHMARK_CAPTURE(BM_Get, RocksDb, Rocks);

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
BENCHMARK_CAPTURE(BM_Scan100, MemStore, Mem);
BENCHMARK_CAPTURE(BM_Scan100, RocksDb, Rocks);

// One block: range(0) puts into an Overlay, then Commit() (one atomic
// WriteBatch into the durable store). For RocksDB, range(1) = 1 syncs the
// write like a node's block commit does.
void BM_OverlayCommit(benchmark::State& state, DurableStore& (*store)()) {
  DurableStore& s = store();
  const int64_t writes = state.range(0);
  uint64_t i = 0;
  std::unique_ptr<RocksDbStore> synced;
  DurableStore* target = &s;
  if (state.range(1) == 1) {
    auto opened = RocksDbStore::Open((Shared().dir() / "synced").string());
    MESH_CHECK_OK(opened.status());
    synced = std::move(*opened);
    target = synced.get();
  }
  for (auto _ : state) {
    Overlay block(target);
    for (int64_t k = 0; k < writes; ++k) {
      if (!block.Put(Key(i++ % kKeys), kValue).ok()) state.SkipWithError("put failed");
    }
    if (!block.Commit().ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations() * writes);
}
BENCHMARK_CAPTURE(BM_OverlayCommit, MemStore, Mem)->Args({1000, 0});
BENCHMARK_CAPTURE(BM_OverlayCommit, RocksDb, Rocks)->Args({1000, 0});
BENCHMARK_CAPTURE(BM_OverlayCommit, RocksDbSynced, Rocks)->Args({1000, 1});

}  // namespace
}  // namespace mesh
