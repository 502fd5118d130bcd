// The store conformance suite (core/store_conformance.h) over the stacks a
// chain reads through: the state cache over RocksDB, small enough to evict
// and to meet its flood guard, and the state cache over a pipelined RocksDB
// store (meshd's stack).
#include <memory>

#include "core/rocksdb_store.h"
#include "core/store_conformance.h"
#include "node/pipelined_store.h"
#include "node/state_cache.h"

namespace mesh::node {
namespace {

// 4 KiB: a few dozen entries, so the suites' reads evict and pass the flood
// guard's half.
constexpr size_t kSmallCache = 4096;

std::unique_ptr<RocksDbStore> OpenRocks(const testing_internal::TempDir& dir) {
  auto opened = RocksDbStore::Open(dir.path(), testing_internal::FastRocksOptions());
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *std::move(opened) : nullptr;
}

struct CachedRocksDbHarness {
  static constexpr bool kPersistent = false;
  KvStore& store() { return cache; }
  absl::Status Apply(const WriteBatch& b) { return cache.Write(b); }
  absl::Status Flush() { return absl::OkStatus(); }
  absl::Status Reopen() { return absl::OkStatus(); }
  testing_internal::TempDir dir;
  StateCache cache{OpenRocks(dir), kSmallCache};
};

struct CachedPipelinedRocksDbHarness {
  static constexpr bool kPersistent = false;
  CachedPipelinedRocksDbHarness() {
    auto pipelined = std::make_unique<PipelinedStore>(OpenRocks(dir));
    pipeline = pipelined.get();
    cache = std::make_unique<StateCache>(std::move(pipelined), kSmallCache);
  }
  KvStore& store() { return *cache; }
  absl::Status Apply(const WriteBatch& b) {
    WriteBatch copy = b;
    return cache->Consume(copy);  // queued for the writer, as a block commit
  }
  absl::Status Flush() { return pipeline->Flush(); }
  absl::Status Reopen() { return absl::OkStatus(); }
  testing_internal::TempDir dir;
  PipelinedStore* pipeline = nullptr;
  std::unique_ptr<StateCache> cache;
};

}  // namespace

using StackHarnesses = ::testing::Types<CachedRocksDbHarness, CachedPipelinedRocksDbHarness>;
INSTANTIATE_TYPED_TEST_SUITE_P(Node, StoreConformanceTest, StackHarnesses);

}  // namespace mesh::node
