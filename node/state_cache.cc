#include "node/state_cache.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "core/status.h"

namespace mesh::node {
namespace {
// Rough per-entry bookkeeping cost (node, hash slot, string headers).
constexpr size_t kEntryOverhead = 96;

size_t EntryBytes(std::string_view key, const std::optional<std::string>& value) {
  return key.size() + (value.has_value() ? value->size() : 0) + kEntryOverhead;
}

size_t ShardCount(size_t capacity_bytes) {
  return std::clamp<size_t>(capacity_bytes / StateCache::kMinShardBytes, 1, StateCache::kMaxShards);
}
}  // namespace

StateCache::StateCache(std::unique_ptr<DurableStore> store, size_t capacity_bytes)
    : store_(std::move(store)),
      num_shards_(ShardCount(capacity_bytes)),
      shard_capacity_bytes_(capacity_bytes / num_shards_),
      shards_(new Shard[num_shards_]) {}

StateCache::Shard& StateCache::ShardOf(std::string_view key) const {
  if (num_shards_ == 1) return shards_[0];
  return shards_[absl::Hash<std::string_view>{}(key) % num_shards_];
}

// Records key -> value in `shard` (shard.mu held). `key` is a string_view
// (copied into the map only when new) or a std::string&& (moved).
template <typename Key>
void StateCache::RememberIn(Shard& shard, Key&& key, std::optional<std::string>&& value) const {
  const std::string_view k(key);
  auto it = shard.entries.find(absl::string_view(k.data(), k.size()));
  if (it != shard.entries.end()) {
    shard.bytes -= EntryBytes(it->first, it->second);
    shard.bytes += EntryBytes(k, value);
    it->second = std::move(value);
    return;
  }
  const size_t add = EntryBytes(k, value);
  if (shard.bytes + add > shard_capacity_bytes_) {
    shard.entries.clear();
    shard.bytes = 0;
    if (add > shard_capacity_bytes_) return;
  }
  shard.entries.emplace(std::string(std::forward<Key>(key)), std::move(value));
  shard.bytes += add;
}

void StateCache::Remember(Shard& shard, std::string_view key,
                          std::optional<std::string> value) const {
  RememberIn(shard, key, std::move(value));
}

void StateCache::Remember(Shard& shard, std::string&& key,
                          std::optional<std::string>&& value) const {
  RememberIn(shard, std::move(key), std::move(value));
}

void StateCache::Forget(Shard& shard, std::string_view key) {
  auto it = shard.entries.find(absl::string_view(key.data(), key.size()));
  if (it == shard.entries.end()) return;
  shard.bytes -= EntryBytes(it->first, it->second);
  shard.entries.erase(it);
}

absl::StatusOr<std::optional<std::string>> StateCache::Get(std::string_view key) const {
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.entries.find(absl::string_view(key.data(), key.size()));
  if (it != shard.entries.end()) {
    ++shard.hits;
    return it->second;
  }
  ++shard.misses;
  // The store is read under the shard's lock: a concurrent write of this key
  // cannot slip between the read and Remember.
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> value, store_->Get(key));
  Remember(shard, key, value);
  return value;
}

std::unique_ptr<KvIterator> StateCache::Scan(std::string_view begin, std::string_view end,
                                             bool reverse) const {
  return store_->Scan(begin, end, reverse);
}

absl::Status StateCache::Put(std::string_view key, std::string_view value) {
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  absl::Status s = store_->Put(key, value);
  if (s.ok()) {
    Remember(shard, key, std::string(value));
  } else {
    Forget(shard, key);  // unknown outcome: read the store next time
  }
  return s;
}

absl::Status StateCache::Delete(std::string_view key) {
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  absl::Status s = store_->Delete(key);
  if (s.ok()) {
    Remember(shard, key, std::nullopt);
  } else {
    Forget(shard, key);
  }
  return s;
}

absl::Status StateCache::Write(const WriteBatch& batch) {
  // Every shard locked, in index order: readers see the batch whole or not.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(num_shards_);
  for (size_t i = 0; i < num_shards_; ++i) locks.emplace_back(shards_[i].mu);
  absl::Status s = store_->Write(batch);
  if (!s.ok()) {
    // The write is atomic, but its outcome is unknown on some I/O errors:
    // forget everything it touched.
    for (const auto& [key, value] : batch.ops()) Forget(ShardOf(key), key);
    return s;
  }
  for (const auto& [key, value] : batch.ops()) Remember(ShardOf(key), key, value);
  return absl::OkStatus();
}

absl::Status StateCache::Consume(WriteBatch& batch) {
  // As Write: every shard locked, in index order.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(num_shards_);
  for (size_t i = 0; i < num_shards_; ++i) locks.emplace_back(shards_[i].mu);
  absl::Status s = store_->Write(batch);
  if (!s.ok()) {
    for (const auto& [key, value] : batch.ops()) Forget(ShardOf(key), key);
    return s;
  }
  batch.Drain([this](std::string&& key, std::optional<std::string>&& value) {
    Shard& shard = ShardOf(key);
    Remember(shard, std::move(key), std::move(value));
  });
  return absl::OkStatus();
}

size_t StateCache::cached_bytes() const {
  size_t total = 0;
  for (size_t i = 0; i < num_shards_; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    total += shards_[i].bytes;
  }
  return total;
}

size_t StateCache::hits() const {
  size_t total = 0;
  for (size_t i = 0; i < num_shards_; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    total += shards_[i].hits;
  }
  return total;
}

size_t StateCache::misses() const {
  size_t total = 0;
  for (size_t i = 0; i < num_shards_; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    total += shards_[i].misses;
  }
  return total;
}

}  // namespace mesh::node
