#include "node/state_cache.h"

#include <utility>

#include "core/status.h"

namespace mesh::node {
namespace {
// Rough per-entry bookkeeping cost (node, hash slot, string headers).
constexpr size_t kEntryOverhead = 96;

size_t EntryBytes(std::string_view key, const std::optional<std::string>& value) {
  return key.size() + (value.has_value() ? value->size() : 0) + kEntryOverhead;
}
}  // namespace

StateCache::StateCache(std::unique_ptr<DurableStore> store, size_t capacity_bytes)
    : store_(std::move(store)), capacity_bytes_(capacity_bytes) {}

void StateCache::Remember(std::string_view key, std::optional<std::string> value) const {
  auto it = entries_.find(absl::string_view(key.data(), key.size()));
  if (it != entries_.end()) {
    bytes_ -= EntryBytes(it->first, it->second);
    bytes_ += EntryBytes(key, value);
    it->second = std::move(value);
    return;
  }
  const size_t add = EntryBytes(key, value);
  if (bytes_ + add > capacity_bytes_) {
    entries_.clear();
    bytes_ = 0;
    if (add > capacity_bytes_) return;
  }
  entries_.emplace(std::string(key), std::move(value));
  bytes_ += add;
}

void StateCache::Remember(std::string&& key, std::optional<std::string>&& value) const {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    bytes_ -= EntryBytes(it->first, it->second);
    bytes_ += EntryBytes(key, value);
    it->second = std::move(value);
    return;
  }
  const size_t add = EntryBytes(key, value);
  if (bytes_ + add > capacity_bytes_) {
    entries_.clear();
    bytes_ = 0;
    if (add > capacity_bytes_) return;
  }
  entries_.emplace(std::move(key), std::move(value));
  bytes_ += add;
}

void StateCache::Forget(std::string_view key) {
  auto it = entries_.find(absl::string_view(key.data(), key.size()));
  if (it == entries_.end()) return;
  bytes_ -= EntryBytes(it->first, it->second);
  entries_.erase(it);
}

absl::StatusOr<std::optional<std::string>> StateCache::Get(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(absl::string_view(key.data(), key.size()));
  if (it != entries_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> value, store_->Get(key));
  Remember(key, value);
  return value;
}

std::unique_ptr<KvIterator> StateCache::Scan(std::string_view begin, std::string_view end,
                                             bool reverse) const {
  return store_->Scan(begin, end, reverse);
}

absl::Status StateCache::Put(std::string_view key, std::string_view value) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status s = store_->Put(key, value);
  if (s.ok()) {
    Remember(key, std::string(value));
  } else {
    Forget(key);  // unknown outcome: read the store next time
  }
  return s;
}

absl::Status StateCache::Delete(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status s = store_->Delete(key);
  if (s.ok()) {
    Remember(key, std::nullopt);
  } else {
    Forget(key);
  }
  return s;
}

absl::Status StateCache::Write(const WriteBatch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status s = store_->Write(batch);
  if (!s.ok()) {
    // The write is atomic, but its outcome is unknown on some I/O errors:
    // forget everything it touched.
    for (const auto& [key, value] : batch.ops()) Forget(key);
    return s;
  }
  for (const auto& [key, value] : batch.ops()) Remember(key, value);
  return absl::OkStatus();
}

absl::Status StateCache::Consume(WriteBatch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status s = store_->Write(batch);
  if (!s.ok()) {
    for (const auto& [key, value] : batch.ops()) Forget(key);
    return s;
  }
  batch.Drain([this](std::string&& key, std::optional<std::string>&& value) {
    Remember(std::move(key), std::move(value));
  });
  return absl::OkStatus();
}

size_t StateCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}
size_t StateCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}
size_t StateCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace mesh::node
