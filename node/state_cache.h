// StateCache: a read-through, write-through cache of point reads in front
// of a chain's durable store (docs/benchmarks.md, "Headline 1").
//
// A signed delegation reads the same records block after block (staking
// params, the validator, its reward records, the delegator's balance, nonce
// and delegation); on RocksDB each read walks the memtable skip list and
// the SST levels. The chain writes its store only through this cache, so a
// cached value (or cached absence) is always the store's current value:
// Get results — and therefore every result and the app hash — are exactly
// those of the store alone. Scans go to the store (already current).
//
// Sharded by key hash, one mutex per shard, so that concurrent readers (the
// gRPC queries, all reading the same committed view of a block: a
// Chain::CommittedView is a chain over a snapshot behind its own cache)
// rarely meet on a lock. Bounded: when the cached keys and values of a
// shard exceed its share of `capacity_bytes`, that shard is emptied and
// refills from the store. A small capacity (below kMinShardBytes per shard)
// gets fewer shards, down to one. Thread-safe; a Write updates the cache
// with every shard locked, so no Get sees half a batch. Scan iterators
// follow the wrapped store's rules.
#ifndef MESHSEC_NODE_STATE_CACHE_H_
#define MESHSEC_NODE_STATE_CACHE_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "core/kv.h"

namespace mesh::node {

class StateCache : public DurableStore {
 public:
  static constexpr size_t kDefaultCapacityBytes = size_t{64} << 20;
  static constexpr size_t kMaxShards = 16;
  static constexpr size_t kMinShardBytes = size_t{64} << 10;

  explicit StateCache(std::unique_ptr<DurableStore> store,
                      size_t capacity_bytes = kDefaultCapacityBytes);

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  absl::Status Put(std::string_view key, std::string_view value) override;
  absl::Status Delete(std::string_view key) override;
  // The store's atomic write; the cache learns the batch only once it is
  // durable (a failed write leaves both unchanged).
  absl::Status Write(const WriteBatch& batch) override;
  // Write, then the batch's keys and values move into the cache (no copy).
  absl::Status Consume(WriteBatch& batch) override;
  // The wrapped store's snapshot (the cache is bypassed: it is current).
  std::unique_ptr<DurableStore> Snapshot() const override { return store_->Snapshot(); }
  // The cache's Get locks its shard; the store's reads decide.
  bool ConcurrentReads() const override { return store_->ConcurrentReads(); }

  // The wrapped store, for reads only: a write that bypasses the cache
  // would leave it stale.
  DurableStore* store() const { return store_.get(); }
  size_t cached_bytes() const;
  size_t hits() const;
  size_t misses() const;
  size_t num_shards() const { return num_shards_; }

 private:
  struct Shard {
    std::mutex mu;
    absl::flat_hash_map<std::string, std::optional<std::string>> entries;  // guarded by mu
    size_t bytes = 0;
    size_t hits = 0;
    size_t misses = 0;
  };
  Shard& ShardOf(std::string_view key) const;
  // Records key -> value (nullopt = absent). shard.mu held.
  void Remember(Shard& shard, std::string_view key, std::optional<std::string> value) const;
  static void Forget(Shard& shard, std::string_view key);  // shard.mu held
  void Remember(Shard& shard, std::string&& key, std::optional<std::string>&& value) const;
  template <typename Key>
  void RememberIn(Shard& shard, Key&& key, std::optional<std::string>&& value) const;

  std::unique_ptr<DurableStore> store_;
  const size_t num_shards_;
  const size_t shard_capacity_bytes_;
  const std::unique_ptr<Shard[]> shards_;
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_STATE_CACHE_H_
