#include "node/state_cache.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/codec.h"
#include "core/status.h"

namespace mesh::node {
namespace {

size_t EntryBytes(size_t key_size, size_t value_size) {
  return key_size + value_size + StateCache::kEntryOverhead;
}

size_t ShardCount(size_t capacity_bytes) {
  return std::clamp<size_t>(capacity_bytes / StateCache::kMinShardBytes, 1, StateCache::kMaxShards);
}

absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::optional<std::string_view> ViewOf(const std::optional<std::string>& value) {
  if (!value.has_value()) return std::nullopt;
  return std::string_view(*value);
}

}  // namespace

StateCache::StateCache(std::unique_ptr<DurableStore> store, size_t capacity_bytes)
    : store_(std::move(store)),
      num_shards_(ShardCount(capacity_bytes)),
      shard_capacity_bytes_(capacity_bytes / num_shards_),
      shards_(new Shard[num_shards_]) {}

StateCache::Shard& StateCache::ShardOf(std::string_view key) const {
  if (num_shards_ == 1) return shards_[0];
  // FixedKeyHash (core/kv.h), not the process-seeded absl::Hash: the same key
  // lands in the same shard in every run.
  return shards_[FixedKeyHash(key) % num_shards_];
}

void StateCache::Drop(Shard& shard, uint32_t i) {
  shard.index.erase(View(shard.slots[i].key()));
  Release(shard, i);
}

void StateCache::Release(Shard& shard, uint32_t i) {
  Slot& slot = shard.slots[i];
  shard.bytes -= EntryBytes(slot.key_size, slot.data.size() - slot.key_size);
  slot.live = false;
  shard.referenced[i] = 0;
  shard.free.push_back(i);
}

bool StateCache::MakeRoom(Shard& shard, size_t need) const {
  if (need > shard_capacity_bytes_) return false;
  // Each step clears a mark or evicts, so two turns of the ring suffice.
  while (shard.bytes + need > shard_capacity_bytes_) {
    if (shard.hand >= shard.slots.size()) shard.hand = 0;
    const uint32_t i = static_cast<uint32_t>(shard.hand++);
    if (!shard.slots[i].live) continue;
    if (shard.referenced[i] != 0) {
      shard.referenced[i] = 0;
    } else {
      Drop(shard, i);
      ++shard.evictions;
    }
  }
  return true;
}

// Records key -> value in `shard` (shard.mu held): in place when the key is
// cached and its slot's buffer holds the new value, else in a free or
// evicted slot (the index views a live slot's bytes: they never move under
// it).
void StateCache::Remember(Shard& shard, std::string_view key,
                          std::optional<std::string_view> value, bool admit_new) const {
  if (value.has_value() && value->size() >= Entry::kAbsent) {
    Forget(shard, key);  // too large for the index's size field: not kept
    return;
  }
  const size_t size = key.size() + (value.has_value() ? value->size() : 0);
  const size_t now = EntryBytes(key.size(), size - key.size());
  bool referenced = false;
  auto it = shard.index.find(View(key));
  if (it != shard.index.end()) {
    const uint32_t i = it->second.slot;
    Slot& slot = shard.slots[i];
    const size_t old = EntryBytes(slot.key_size, slot.data.size() - slot.key_size);
    const size_t cap = slot.data.capacity();
    if (shard.bytes - old + now <= shard_capacity_bytes_ && size <= cap && cap <= 2 * size + 64) {
      // Within the buffer's capacity: the bytes the index views stay put.
      slot.data.resize(key.size());
      if (value.has_value()) slot.data.append(value->data(), value->size());
      it->second.value_size = ValueSize(value);
      shard.referenced[i] = 1;
      shard.bytes = shard.bytes - old + now;
      return;
    }
    Drop(shard, i);  // placed again below (it must not evict itself)
    referenced = true;
  }
  // The flood guard (class comment): beyond it the key stays out (a key
  // dropped just above is then simply not cached).
  if (!admit_new || shard.admitted + now > shard_capacity_bytes_ / 2) return;
  if (!MakeRoom(shard, now)) return;
  shard.admitted += now;
  uint32_t i;
  if (!shard.free.empty()) {
    i = shard.free.back();
    shard.free.pop_back();
  } else {
    i = static_cast<uint32_t>(shard.slots.size());
    shard.slots.emplace_back();
    shard.referenced.push_back(0);
  }
  Slot& slot = shard.slots[i];
  if (slot.data.capacity() > 2 * size + 64) std::string().swap(slot.data);
  slot.data.reserve(size);
  slot.data.assign(key.data(), key.size());
  if (value.has_value()) slot.data.append(value->data(), value->size());
  slot.key_size = static_cast<uint32_t>(key.size());
  slot.live = true;
  shard.referenced[i] = referenced ? 1 : 0;
  shard.index.emplace(View(slot.key()), Entry{i, ValueSize(value)});
  shard.bytes += now;
}

class StateCache::ShardsAhead {
 public:
  // Keys asked for and not yet taken, at most (WriteBatch::ForEachOp's
  // lookahead and the one being handled).
  static constexpr size_t kMax = WriteBatch::kAhead + 1;
  explicit ShardsAhead(const StateCache& cache) : cache_(cache) {}
  void Ask(std::string_view key) {
    Shard& shard = cache_.ShardOf(key);
    shard.index.prefetch(View(key));
    ring_[asked_++ % kMax] = &shard;
  }
  Shard& Take() { return *ring_[taken_++ % kMax]; }

 private:
  const StateCache& cache_;
  Shard* ring_[kMax];
  size_t asked_ = 0;
  size_t taken_ = 0;
};

// A block's batch, or the keys a slash reads in one GetMany, are mostly keys
// the CPU has not seen lately, so each step waits on memory (the shard's
// hash table, then the slot): the table group of the key kPrefetchAhead
// keys later is requested before this one is handled.
template <typename It, typename KeyOf, typename Fn>
void StateCache::ForEachPrefetched(It first, It last, KeyOf key_of, Fn fn) const {
  constexpr size_t kPrefetchAhead = WriteBatch::kAhead;
  ShardsAhead shards(*this);
  It ahead = first;
  for (size_t n = 0; n < kPrefetchAhead && ahead != last; ++n, ++ahead) shards.Ask(key_of(*ahead));
  for (It it = first; it != last; ++it) {
    Shard& shard = shards.Take();
    if (ahead != last) {
      shards.Ask(key_of(*ahead));
      ++ahead;
    }
    fn(shard, *it);
  }
}

// Deleted keys are dropped (class comment: the keys a block deletes —
// acknowledged packets, settled pending records, sent outbox entries — are
// not read again). Every shard locked.
void StateCache::RememberBatch(const WriteBatch& batch) const {
  // Summed only until it passes the guard's half (a slash's batch of
  // millions of ops is not walked once more for it).
  const size_t half = capacity_bytes() / 2;
  size_t batch_bytes = 0;
  batch.ForEachOp([&](const WriteBatch::Op& op) {
    if (op.second.has_value()) batch_bytes += EntryBytes(op.first.size(), op.second->size());
    return batch_bytes <= half;
  });
  const bool admit_new = batch_bytes <= half;
  // The block's reads no longer count: its own writes are admitted.
  for (size_t s = 0; s < num_shards_; ++s) shards_[s].admitted = 0;
  // Each op's shard found, and its table group and bytes requested,
  // WriteBatch::kAhead ops before it is handled.
  ShardsAhead shards(*this);
  batch.ForEachOp(
      [&](const WriteBatch::Op& op) {
        Shard& shard = shards.Take();
        if (op.second.has_value()) {
          Remember(shard, op.first, std::string_view(*op.second), admit_new);
        } else {
          Forget(shard, op.first);
        }
      },
      [&](const WriteBatch::Op& op) {
        shards.Ask(op.first);
        WriteBatch::PrefetchBytes(op);
      });
  for (size_t s = 0; s < num_shards_; ++s) shards_[s].admitted = 0;  // the next block's count
}

void StateCache::Forget(Shard& shard, std::string_view key) {
  auto it = shard.index.find(View(key));
  if (it == shard.index.end()) return;
  const uint32_t i = it->second.slot;
  shard.index.erase(it);
  Release(shard, i);
}

std::optional<std::optional<std::string>> StateCache::Lookup(Shard& shard,
                                                             std::string_view key) const {
  auto it = shard.index.find(View(key));
  if (it != shard.index.end()) {
    ++shard.hits;
    shard.referenced[it->second.slot] = 1;
    return ValueOf(*it);
  }
  ++shard.misses;
  std::optional<std::optional<std::string>> linked = FromLink(key);
  if (linked.has_value()) Remember(shard, key, ViewOf(*linked));
  return linked;
}

absl::StatusOr<std::optional<std::string>> StateCache::Get(std::string_view key) const {
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (std::optional<std::optional<std::string>> found = Lookup(shard, key)) {
    return *std::move(found);
  }
  // The store is read under the shard's lock: a concurrent write of this key
  // cannot slip between the read and Remember.
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> value, store_->Get(key));
  Remember(shard, key, ViewOf(value));
  return value;
}

absl::Status StateCache::GetMany(std::span<const std::string> keys,
                                 std::vector<std::optional<std::string>>* out) const {
  out->assign(keys.size(), std::nullopt);
  // Every shard locked, in index order (as Write): no write can slip between
  // the store's read of a missed key and its entry.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(num_shards_);
  for (size_t i = 0; i < num_shards_; ++i) locks.emplace_back(shards_[i].mu);
  std::vector<size_t> missed;
  size_t i = 0;
  ForEachPrefetched(
      keys.begin(), keys.end(), [](const std::string& key) { return std::string_view(key); },
      [&](Shard& shard, const std::string& key) {
        if (std::optional<std::optional<std::string>> found = Lookup(shard, key)) {
          (*out)[i] = *std::move(found);
        } else {
          missed.push_back(i);
        }
        ++i;
      });
  MESH_RETURN_IF_ERROR(GetManyAt(*store_, keys, missed, out));
  for (size_t p : missed) Remember(ShardOf(keys[p]), keys[p], ViewOf((*out)[p]));
  return absl::OkStatus();
}

namespace {

// `a` = max(a, v): a kept scan result shared by several views records the
// newest view that used it.
void RaiseTo(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t seen = a.load(std::memory_order_relaxed);
  while (seen < v && !a.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
  }
}

// Whether the sorted `keys` hold one in [begin, end) (end "" = unbounded).
bool AnyIn(const std::vector<std::string>& keys, std::string_view begin, std::string_view end) {
  auto less = [](std::string_view a, std::string_view b) { return a < b; };
  auto it = std::lower_bound(keys.begin(), keys.end(), begin, less);
  return it != keys.end() && (end.empty() || std::string_view(*it) < end);
}

size_t ScanBytes(const KvList& kvs) { return 64 + kvs.bytes() + 64 * kvs.size(); }

// A key written: its new value, or none for a delete.
using KeyWrite = std::pair<std::string_view, std::optional<std::string_view>>;
using KeyWrites = absl::InlinedVector<KeyWrite, StateCache::kMaxMergedOps>;

// A kept result `old` with `writes` (ascending keys) applied, as a new list
// (iterators may still read the old one); nullopt once it would hold more
// than kMaxCachedScanEntries entries.
std::optional<KvList> WithWrites(const KvList& old, const KeyWrites& writes) {
  KvList merged;
  merged.reserve(old.size() + writes.size(), old.bytes());
  size_t i = 0;
  for (const auto& [key, value] : writes) {
    for (; i < old.size() && old[i].first < key; ++i) merged.push_back(old[i]);
    if (i < old.size() && old[i].first == key) ++i;  // rewritten or deleted
    if (value.has_value()) merged.emplace_back(key, *value);
    if (merged.size() > StateCache::kMaxCachedScanEntries) return std::nullopt;
  }
  for (; i < old.size(); ++i) merged.push_back(old[i]);
  if (merged.size() > StateCache::kMaxCachedScanEntries) return std::nullopt;
  return merged;
}

}  // namespace

std::unique_ptr<KvIterator> StateCache::Scan(std::string_view begin, std::string_view end,
                                             bool reverse) const {
  // The chain's own cache keeps forward scans until a write reaches them
  // (OwnScan). A view's store is a snapshot: its scans never change, and
  // are kept.
  if (view_number_ == 0) {
    if (reverse) return store_->Scan(begin, end, reverse);
    return OwnScan(begin, end);
  }
  std::string scan_key = ScanKey(begin, end, reverse);
  if (KeptScanPtr kept = CachedScan(scan_key)) {
    scan_hits_.fetch_add(1, std::memory_order_relaxed);
    return FromKept(std::move(kept));
  }
  if (std::shared_ptr<const Links> links = CurrentLinks()) {
    for (const Link& link : *links) {
      KeptScanPtr kept = link.cache->CachedScan(scan_key);
      // Taken when no key of the part it holds was written since.
      if (kept == nullptr || link.WrittenIn(begin, CoveredEnd(*kept))) continue;
      scan_hits_.fetch_add(1, std::memory_order_relaxed);
      KeepScan(kept);
      return FromKept(std::move(kept));
    }
  }
  // Read as the caller goes; a range read to its end, or (forward) as far
  // as the caller read, within kMaxCachedScanEntries entries is kept.
  return Collecting(std::move(scan_key), begin, end, reverse, nullptr);
}

std::string_view StateCache::CoveredEnd(const KeptScan& kept) {
  return kept.covered_end.empty() ? ScanRange(kept.key).second
                                  : std::string_view(kept.covered_end);
}

std::unique_ptr<KvIterator> StateCache::FromKept(KeptScanPtr kept) const {
  if (kept->covered_end.empty()) return ListIterator(kept->result);
  std::shared_ptr<const KvList> head = kept->result;
  return ListThenIterator(std::move(head), [this, kept = std::move(kept)] {
    return Collecting(kept->key, kept->covered_end, ScanRange(kept->key).second, false,
                      kept->result);
  });
}

std::unique_ptr<KvIterator> StateCache::Collecting(std::string scan_key, std::string_view begin,
                                                   std::string_view end, bool reverse,
                                                   std::shared_ptr<const KvList> head) const {
  const size_t before = head == nullptr ? 0 : head->size();
  if (before >= kMaxCachedScanEntries) return store_->Scan(begin, end, reverse);
  return CollectingIterator(
      store_->Scan(begin, end, reverse), kMaxCachedScanEntries - before,
      [this, scan_key = std::move(scan_key), head = std::move(head)](KvList entries,
                                                                      bool complete) {
        auto kept = std::make_shared<KeptScan>();
        if (head != nullptr) entries.Prepend(*head);
        if (!complete) {
          // Every entry up to the last one read: [begin, last key + "\0").
          kept->covered_end = entries.back().first;
          kept->covered_end.push_back('\0');
        }
        kept->result = std::make_shared<const KvList>(std::move(entries));
        kept->bytes = ScanBytes(*kept->result) + scan_key.size() + kept->covered_end.size();
        kept->key = scan_key;
        KeepScan(std::move(kept));
      },
      /*partial=*/!reverse);
}

std::unique_ptr<KvIterator> StateCache::OwnScan(std::string_view begin,
                                                std::string_view end) const {
  uint64_t writes = 0;
  {
    std::lock_guard<std::mutex> lock(scan_mu_);
    writes = own_writes_;
    auto kept = own_scans_.find(begin);
    if (kept != own_scans_.end() &&
        (kept->second.covered_end.empty() || (!end.empty() && end <= kept->second.covered_end))) {
      kept->second.used = own_writes_;
      scan_hits_.fetch_add(1, std::memory_order_relaxed);
      std::shared_ptr<const KvList> result = kept->second.result;
      const size_t stop = end.empty() ? result->size() : result->LowerBound(end);
      // Entries at or past `end` (the kept range reaches further) are left
      // out in a copy of the rest.
      if (stop != result->size()) result = std::make_shared<const KvList>(result->Head(stop));
      return ListIterator(std::move(result));
    }
  }
  {
    // Kept from the second scan from `begin` on: a range read once (a
    // validator's power at some height) is not copied for nothing.
    std::lock_guard<std::mutex> lock(scan_mu_);
    if (own_seen_.size() >= kMaxOwnSeen) own_seen_.clear();
    auto seen = own_seen_.find(absl::string_view(begin.data(), begin.size()));
    if (seen == own_seen_.end()) {
      own_seen_.emplace(std::string(begin), 0);
      return store_->Scan(begin, end, false);
    }
    // A range found too long: read through until the count runs out.
    if (seen->second > 0 && --seen->second > 0) return store_->Scan(begin, end, false);
  }
  // A scan from a prefix to a point inside it reads on to the prefix's next
  // key: the kept range then ends there.
  const bool reach = !begin.empty() && end.size() > begin.size() && end.starts_with(begin);
  const std::string bound = reach ? PrefixEnd(begin) : std::string(end);
  std::unique_ptr<KvIterator> it = store_->Scan(begin, bound, false);
  KvList head;
  std::string covered = bound;
  for (; it->Valid(); it->Next()) {
    if (reach && it->key() >= end) {
      covered = std::string(it->key());
      break;
    }
    if (head.size() == kMaxCachedScanEntries) break;
    head.emplace_back(it->key(), it->value());
  }
  if (!it->status().ok()) return ReadAheadIterator(std::move(head), std::move(it));  // its error
  if (it->Valid() && covered == bound) {
    // Too long to keep: the rest is read as it goes, up to `end` (`it`
    // reaches further when `reach`; the entry it stands at is below `end`),
    // and so are the next scans from `begin` for a while.
    {
      std::lock_guard<std::mutex> lock(scan_mu_);
      if (own_seen_.size() >= kMaxOwnSeen) own_seen_.clear();
      own_seen_.insert_or_assign(std::string(begin), kLongScanReadThroughs);
    }
    if (!reach) return ReadAheadIterator(std::move(head), std::move(it));
    const std::string from(it->key());
    return ReadAheadIterator(std::move(head), store_->Scan(from, end, false));
  }
  auto result = std::make_shared<const KvList>(std::move(head));
  const size_t bytes = ScanBytes(*result) + begin.size() + covered.size();
  const size_t budget = capacity_bytes() / 8;
  std::lock_guard<std::mutex> lock(scan_mu_);
  if (own_writes_ != writes || bytes > budget) return ListIterator(std::move(result));
  if (auto same = own_scans_.find(begin); same != own_scans_.end()) EraseOwn(same);
  if (own_scans_.size() >= kMaxOwnScans || scan_bytes_ + bytes > budget) {
    // Full: the results not read since the last write go.
    for (auto k = own_scans_.begin(); k != own_scans_.end();) {
      k = k->second.used < own_writes_ ? EraseOwn(k) : std::next(k);
    }
    if (own_scans_.size() >= kMaxOwnScans || scan_bytes_ + bytes > budget) {
      return ListIterator(std::move(result));
    }
  }
  own_scans_.emplace(std::string(begin), OwnKept{std::move(covered), result, bytes, own_writes_});
  scan_bytes_ += bytes;
  return ListIterator(std::move(result));
}

void StateCache::BumpOwnWrites() const {
  std::lock_guard<std::mutex> lock(scan_mu_);
  ++own_writes_;
}

StateCache::OwnScans::iterator StateCache::EraseOwn(OwnScans::iterator k) const {
  scan_bytes_ -= k->second.bytes;
  return own_scans_.erase(k);
}

void StateCache::DropOwnScans(const WriteBatch::Ops& ops) const {
  std::lock_guard<std::mutex> lock(scan_mu_);
  ++own_writes_;
  for (auto k = own_scans_.begin(); k != own_scans_.end();) {
    auto w = ops.lower_bound(std::string_view(k->first));
    k = w != ops.end() && Covers(k->second, w->first) ? EraseOwn(k) : std::next(k);
  }
}

void StateCache::MergeIntoOwnScans(const WriteBatch::Ops& ops) const {
  const size_t budget = capacity_bytes() / 8;
  std::lock_guard<std::mutex> lock(scan_mu_);
  ++own_writes_;
  for (auto k = own_scans_.begin(); k != own_scans_.end();) {
    OwnKept& kept = k->second;
    const auto first = ops.lower_bound(std::string_view(k->first));
    auto in_range = [&](WriteBatch::Ops::const_iterator w) {
      return w != ops.end() && Covers(kept, w->first);
    };
    if (!in_range(first)) {
      ++k;
      continue;
    }
    // A range the batch writes much of (a channel's sent packets: a block's
    // new ones and its acknowledged ones) is read again from the store:
    // rebuilding it costs more than that read.
    KeyWrites writes;
    for (auto w = first; writes.size() <= kMaxMergedOps && in_range(w); ++w) {
      writes.emplace_back(w->first, w->second);
    }
    std::optional<KvList> merged;
    if (writes.size() <= kMaxMergedOps) merged = WithWrites(*kept.result, writes);
    const size_t bytes =
        merged ? ScanBytes(*merged) + k->first.size() + kept.covered_end.size() : 0;
    if (!merged || scan_bytes_ - kept.bytes + bytes > budget) {
      k = EraseOwn(k);
      continue;
    }
    scan_bytes_ = scan_bytes_ - kept.bytes + bytes;
    kept.result = std::make_shared<const KvList>(*std::move(merged));
    kept.bytes = bytes;
    ++k;
  }
}

void StateCache::DropOwnScans(std::string_view key) const {
  std::lock_guard<std::mutex> lock(scan_mu_);
  ++own_writes_;
  const auto last = own_scans_.upper_bound(key);  // the ranges that start at or below it
  for (auto k = own_scans_.begin(); k != last;) {
    k = Covers(k->second, key) ? EraseOwn(k) : std::next(k);
  }
}

std::string StateCache::ScanKey(std::string_view begin, std::string_view end, bool reverse) {
  std::string k(1, reverse ? kReverseMark : 'f');
  const uint32_t n = static_cast<uint32_t>(begin.size());
  k.append(reinterpret_cast<const char*>(&n), sizeof(n));
  k.append(begin);
  k.append(end);
  return k;
}

std::pair<std::string_view, std::string_view> StateCache::ScanRange(std::string_view scan_key) {
  uint32_t n = 0;
  std::memcpy(&n, scan_key.data() + 1, sizeof(n));
  return {scan_key.substr(1 + sizeof(n), n), scan_key.substr(1 + sizeof(n) + n)};
}

StateCache::KeptScanPtr StateCache::CachedScan(std::string_view scan_key) const {
  std::lock_guard<std::mutex> lock(scan_mu_);
  auto it = scans_.find(View(scan_key));
  if (it == scans_.end()) return nullptr;
  RaiseTo(it->second->last_used, view_number_);
  return it->second;
}

void StateCache::KeepScan(KeptScanPtr kept) const {
  const size_t budget = capacity_bytes() / 8;
  if (kept->bytes > budget) return;
  RaiseTo(kept->last_used, view_number_);
  std::lock_guard<std::mutex> lock(scan_mu_);
  if (scan_bytes_ + kept->bytes > budget) {
    scans_.clear();
    scan_bytes_ = 0;
  }
  const size_t bytes = kept->bytes;
  auto it = scans_.find(View(kept->key));
  if (it != scans_.end()) {
    // A whole result stays; a partial one gives way to what read further.
    if (it->second->covered_end.empty() || it->second == kept) return;
    scan_bytes_ -= it->second->bytes;
    scans_.erase(it);
  }
  const absl::string_view key = View(kept->key);
  if (scans_.try_emplace(key, std::move(kept)).second) scan_bytes_ += bytes;
}

// `block` is sorted. The new view is not published yet: only this view's
// lock is contended (by its last queries), for one pass over its results;
// the results the block wrote in are patched after it.
void StateCache::CarryScans(const std::vector<std::string>& block, StateCache& view) const {
  const size_t budget = view.capacity_bytes() / 8;
  std::vector<KeptScanPtr> written_in;
  {
    std::lock_guard<std::mutex> lock(scan_mu_);
    std::lock_guard<std::mutex> view_lock(view.scan_mu_);
    view.scans_.reserve(std::min(scans_.size(), kMaxCarriedScans));
    for (const auto& [scan_key, kept] : scans_) {
      if (view.scans_.size() >= kMaxCarriedScans) break;
      if (kept->last_used.load(std::memory_order_relaxed) + kScanCarryViews < view.view_number_) {
        continue;
      }
      if (view.scan_bytes_ + kept->bytes > budget) continue;
      // The block wrote in the part of the range the result holds.
      if (AnyIn(block, ScanRange(kept->key).first, CoveredEnd(*kept))) {
        written_in.push_back(kept);
        continue;
      }
      if (view.scans_.try_emplace(scan_key, kept).second) view.scan_bytes_ += kept->bytes;
    }
  }
  for (const KeptScanPtr& kept : written_in) {
    KeptScanPtr patched = Patched(*kept, block, view);
    if (patched == nullptr) continue;
    std::lock_guard<std::mutex> view_lock(view.scan_mu_);
    if (view.scans_.size() >= kMaxCarriedScans || view.scan_bytes_ + patched->bytes > budget) {
      continue;
    }
    const absl::string_view key = View(patched->key);
    if (view.scans_.try_emplace(key, patched).second) view.scan_bytes_ += patched->bytes;
  }
}

StateCache::KeptScanPtr StateCache::Patched(const KeptScan& kept,
                                            const std::vector<std::string>& block,
                                            const StateCache& view) {
  if (ScanIsReverse(kept.key)) return nullptr;
  const std::string_view begin = ScanRange(kept.key).first;
  const std::string_view covered = CoveredEnd(kept);
  auto less = [](const std::string& a, std::string_view b) { return std::string_view(a) < b; };
  const auto first = std::lower_bound(block.begin(), block.end(), begin, less);
  const auto last =
      covered.empty() ? block.end() : std::lower_bound(first, block.end(), covered, less);
  if (static_cast<size_t>(last - first) > kMaxMergedOps) return nullptr;
  // Each written key read in the new view (reserved: the writes view them).
  std::vector<std::optional<std::string>> values;
  values.reserve(static_cast<size_t>(last - first));
  KeyWrites writes;
  for (auto w = first; w != last; ++w) {
    absl::StatusOr<std::optional<std::string>> value = view.Get(*w);
    if (!value.ok()) return nullptr;  // read again from the snapshot when asked
    values.push_back(*std::move(value));
    writes.emplace_back(*w, values.back());
  }
  std::optional<KvList> merged = WithWrites(*kept.result, writes);
  if (!merged) return nullptr;
  auto patched = std::make_shared<KeptScan>();
  patched->key = kept.key;
  patched->covered_end = kept.covered_end;
  patched->result = std::make_shared<const KvList>(*std::move(merged));
  patched->bytes = ScanBytes(*patched->result) + patched->key.size() + patched->covered_end.size();
  patched->last_used.store(kept.last_used.load(std::memory_order_relaxed),
                           std::memory_order_relaxed);
  return patched;
}

absl::Status StateCache::Put(std::string_view key, std::string_view value) {
  LogWrite(key);
  DropOwnScans(key);
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  absl::Status s = store_->Put(key, value);
  BumpOwnWrites();  // a scan that read the store meanwhile is not kept
  if (s.ok()) {
    Remember(shard, key, value);
  } else {
    Forget(shard, key);  // unknown outcome: read the store next time
  }
  return s;
}

absl::Status StateCache::Delete(std::string_view key) {
  LogWrite(key);
  DropOwnScans(key);
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  absl::Status s = store_->Delete(key);
  BumpOwnWrites();
  // Either way the entry goes: a deleted key is rarely read again (see
  // RememberBatch), and on failure its outcome is unknown.
  Forget(shard, key);
  return s;
}

absl::Status StateCache::Write(const WriteBatch& batch) {
  LogWrites(batch);
  BumpOwnWrites();  // a scan that reads the store meanwhile is not kept
  // Every shard locked, in index order: readers see the batch whole or not.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(num_shards_);
  for (size_t i = 0; i < num_shards_; ++i) locks.emplace_back(shards_[i].mu);
  absl::Status s = store_->Write(batch);
  if (!s.ok()) {
    // The write is atomic, but its outcome is unknown on some I/O errors:
    // forget everything it touched.
    for (const auto& [key, value] : batch.ops()) Forget(ShardOf(key), key);
    DropOwnScans(batch.ops());
    return s;
  }
  RememberBatch(batch);
  MergeIntoOwnScans(batch.ops());
  return absl::OkStatus();
}

absl::Status StateCache::Consume(WriteBatch& batch) {
  LogWrites(batch);
  // As Write: every shard locked, in index order. The cache takes copies
  // first, then the store takes the batch by move (a PipelinedStore queues
  // it: no copy is made, and its memory is freed on the writer thread).
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(num_shards_);
  for (size_t i = 0; i < num_shards_; ++i) locks.emplace_back(shards_[i].mu);
  RememberBatch(batch);
  MergeIntoOwnScans(batch.ops());
  absl::Status s = store_->Consume(batch);
  BumpOwnWrites();  // a scan that read the store meanwhile is not kept
  if (!s.ok()) {
    // `batch` is unchanged on error; its outcome may be unknown.
    for (const auto& [key, value] : batch.ops()) Forget(ShardOf(key), key);
    DropOwnScans(batch.ops());
    return s;
  }
  return absl::OkStatus();
}

bool StateCache::Contains(std::string_view key) const {
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  return shard.index.contains(View(key));
}

// ---- committed views ---------------------------------------------------------

// Logged before the write is tried: a failed write's keys count as written
// (their outcome is unknown), which is the safe side. log_mu_ held.
void StateCache::LogLocked(std::string_view key) {
  if (!logging_ || log_overflow_) return;
  if (log_.size() >= kMaxLoggedWrites || log_bytes_ + key.size() > kMaxLoggedBytes) {
    log_overflow_ = true;
    std::vector<std::string>().swap(log_);
    log_bytes_ = 0;
    return;
  }
  log_.emplace_back(key);
  log_bytes_ += key.size();
}

void StateCache::LogWrite(std::string_view key) {
  std::lock_guard<std::mutex> lock(log_mu_);
  LogLocked(key);
}

// One lock per batch (the block commit's path).
void StateCache::LogWrites(const WriteBatch& batch) {
  std::lock_guard<std::mutex> lock(log_mu_);
  if (!logging_) return;
  batch.ForEachOp([this](const WriteBatch::Op& op) { LogLocked(op.first); });
}

bool StateCache::Link::Written(std::string_view key) const {
  auto less = [](std::string_view a, std::string_view b) { return a < b; };
  for (const BlockWrites& w : written) {
    if (std::binary_search(w->begin(), w->end(), key, less)) return true;
  }
  return false;
}

// A written key in [begin, end) (end "" = unbounded).
bool StateCache::Link::WrittenIn(std::string_view begin, std::string_view end) const {
  for (const BlockWrites& w : written) {
    if (AnyIn(*w, begin, end)) return true;
  }
  return false;
}

std::shared_ptr<const StateCache::Links> StateCache::CurrentLinks() const {
  std::lock_guard<std::mutex> lock(link_mu_);
  return links_;
}

void StateCache::LinkView(StateCache& view, std::shared_ptr<const void> owner,
                          const StateCache* previous, bool keep_log) {
  std::vector<std::string> written;
  bool whole;
  uint64_t number;
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    number = ++views_opened_;
    written.swap(log_);
    log_bytes_ = 0;
    whole = logging_ && !log_overflow_;
    logging_ = logging_ || keep_log;
    log_overflow_ = false;
  }
  view.origin_ = this;
  view.view_number_ = number;
  if (previous == nullptr || previous->origin_ != this || previous->view_number_ + 1 != number ||
      !whole) {
    return;
  }
  std::sort(written.begin(), written.end());
  written.erase(std::unique(written.begin(), written.end()), written.end());
  auto block = std::make_shared<const std::vector<std::string>>(std::move(written));
  auto links = std::make_shared<Links>();
  links->push_back(Link{std::move(owner), previous, {block}});
  // The views `previous` was linked to, with this block's writes added: a
  // view nobody read (its cache empty) does not cut the chain.
  if (std::shared_ptr<const Links> older = previous->CurrentLinks()) {
    for (const Link& l : *older) {
      if (links->size() >= kMaxLinks) break;
      Link next = l;
      next.written.push_back(block);
      links->push_back(std::move(next));
    }
  }
  {
    std::lock_guard<std::mutex> lock(view.link_mu_);
    view.links_ = std::move(links);
  }
  previous->CarryScans(*block, view);
  // Only the newest view keeps links: `previous` lets go of its own.
  std::lock_guard<std::mutex> lock(previous->link_mu_);
  const_cast<StateCache*>(previous)->links_.reset();
}

std::optional<std::optional<std::string>> StateCache::Cached(std::string_view key) const {
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.index.find(View(key));
  if (it == shard.index.end()) return std::nullopt;
  return ValueOf(*it);
}

// Called with this cache's shard lock of `key` held; takes the linked
// caches' shard locks (older views: a view never links to a newer one).
std::optional<std::optional<std::string>> StateCache::FromLink(std::string_view key) const {
  std::shared_ptr<const Links> links = CurrentLinks();
  if (links == nullptr) return std::nullopt;
  // The linked cache is asked first: most keys a view misses are in none of
  // them (a page read for the first time), and a hash probe costs less than
  // the binary searches of every block's writes since that view.
  for (const Link& link : *links) {
    std::optional<std::optional<std::string>> found = link.cache->Cached(key);
    if (!found.has_value() || link.Written(key)) continue;
    linked_hits_.fetch_add(1, std::memory_order_relaxed);
    return found;
  }
  return std::nullopt;
}

size_t StateCache::linked_hits() const { return linked_hits_.load(std::memory_order_relaxed); }
size_t StateCache::scan_hits() const { return scan_hits_.load(std::memory_order_relaxed); }

namespace {
template <typename Shards, typename Field>
size_t SumOver(const Shards& shards, size_t n, Field field) {
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    std::lock_guard<std::mutex> lock(shards[i].mu);
    total += field(shards[i]);
  }
  return total;
}
}  // namespace

size_t StateCache::cached_bytes() const {
  return SumOver(shards_, num_shards_, [](const Shard& s) { return s.bytes; });
}
size_t StateCache::cached_entries() const {
  return SumOver(shards_, num_shards_, [](const Shard& s) { return s.index.size(); });
}
size_t StateCache::hits() const {
  return SumOver(shards_, num_shards_, [](const Shard& s) { return s.hits; });
}
size_t StateCache::misses() const {
  return SumOver(shards_, num_shards_, [](const Shard& s) { return s.misses; });
}
size_t StateCache::evictions() const {
  return SumOver(shards_, num_shards_, [](const Shard& s) { return s.evictions; });
}

}  // namespace mesh::node
