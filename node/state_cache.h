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
// rarely meet on a lock. A small capacity (below kMinShardBytes per shard)
// gets fewer shards, down to one. Thread-safe; a Write updates the cache
// with every shard locked, so no Get sees half a batch. A written key is
// cached with its new value; a deleted one is dropped (its next read asks
// the store: the keys a block deletes are seldom read again, and keeping
// their absence would only fill the cache).
//
// Scans of the chain's own cache: a block reads the same small ranges
// again and again (the validator set, the unbonding queues up to now, the
// channels, a channel's unsettled packets), and on RocksDB every scan opens
// an iterator that merges each memtable and level. The cache keeps the
// result of a forward scan of at most kMaxCachedScanEntries entries (at
// most kMaxOwnScans results, one per start key; from the second scan from
// that key on, so that a range read once is not copied) until a write
// reaches its range. A range found longer is read through, as its caller
// goes, by the next kLongScanReadThroughs scans from the same start key
// (a block that reads the head of a long range, such as the oldest of a
// window of block times, does not read the bound's entries ahead each
// time); a scan with the same start and an end within the
// kept range is answered from it. The kept range reaches past the scan's end when the
// scan runs from a prefix to a point inside it ([P, P + x): an unbonding
// queue up to the block's time): up to the prefix's next key after the
// end, so that the next block's scan up to its own time is answered too.
// A batch write (Write, Consume: a block commit) applies its puts and
// deletes to the kept results whose range it reaches (at most
// kMaxMergedOps of them; a range it writes more of is dropped), so a range
// the blocks keep rewriting a little of (the validators) is still answered
// from memory; a Put or Delete, or a failed write, drops them. A scan that raced a write
// is not kept. Reverse scans, and scans longer than the bound, read the
// store.
//
// Bounded, evicting gradually (CLOCK, i.e. second chance): a shard keeps
// its entries in a ring of slots and a hand. A Get that hits, or a write of
// a cached key, marks the entry referenced. To make room for a new entry
// the hand sweeps the ring: a referenced entry loses its mark and stays, an
// unmarked one is evicted. The new entry takes the evicted slot, whose one
// buffer (key and value bytes together) is kept: no allocation when the new
// key and value fit in it. The shard's hash table keeps its capacity: a
// shard is never emptied whole. cached_bytes() — Σ (key size + value size +
// kEntryOverhead) over the cached entries — never exceeds the capacity
// (kEntryOverhead covers the slot, its hash-table slot and the allocator's
// header). A slot's kept buffer is at most 2 × the size of what it holds
// + 64 bytes (a larger one is released when the slot is rewritten). A hit
// touches the hash table and that buffer only: the table's entry holds the
// value's size (or that the key is absent), the value follows the key the
// table views, and the marks are a dense byte per slot.
//
// Flood guard: a block that reads or writes more than the cache holds (a
// slash of 10^6 cross-delegators reads and rewrites three records each)
// would otherwise evict everything for entries it never reads again, paying
// an eviction per key. Between two batch writes (Write, Consume: a block
// commit) a shard admits new entries (read misses, written keys not cached)
// of at most half its capacity; beyond that a miss is answered from the
// store without being kept. A batch whose entries would take more than half
// the capacity updates only the keys already cached (in place, or dropped
// when the new value does not fit there). Results never change either way.
//
// Deterministic: the shard of a key is a fixed function of its bytes (not
// the process-seeded absl::Hash), and the eviction order depends only on
// the sequence of calls per shard. It never changes a result either way.
//
// Committed views (Chain::CommittedView; the gRPC server opens one per
// block): a view's cache starts empty, so every query of a new block would
// read the snapshot again for records the previous block's view already
// held. LinkView links a new view's cache to the cache of the view opened
// just before it on the same chain (and to up to kMaxLinks - 1 views that
// one was linked to): a miss in the new view first looks in those caches,
// newest first, for a key not written through this (the chain's) cache
// since that earlier view was opened, and copies what it finds. A view reads
// a scan from its snapshot as the caller goes (a page of a long index reads
// the page) and keeps, within kMaxCachedScanEntries entries, the result of
// a scan read to its end, or of a forward scan as far as the caller read
// (through the entry it stopped on: a page and its next key). The same scan
// again reads a partial result from memory and, only past it, the rest from
// the snapshot (then kept as read). A view takes a scan result from the
// linked view when no key in the part of the range it holds was written
// since. LinkView also hands the previous view's recently used scan
// results to the new view (CarryScans): those whose part the block did not
// touch as they are, those it wrote a few keys of (at most kMaxMergedOps)
// with its puts and deletes applied, each written key read in the new view
// (Patched; a reverse scan's result is not patched). A range read every few
// blocks is not read from a snapshot again, and neither is a page of a
// validator's delegators after a block rewrote one of them. The written keys are logged (copies, from the first LinkView
// on; a log longer than kMaxLoggedWrites keys or kMaxLoggedBytes bytes is
// dropped and the next view starts cold). Only the newest view keeps its
// links (opening the next one drops them), so at most kMaxLinks earlier
// views are kept alive by links.
#ifndef MESHSEC_NODE_STATE_CACHE_H_
#define MESHSEC_NODE_STATE_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "core/kv.h"

namespace mesh::node {

class StateCache : public DurableStore {
 public:
  // Per chain. Sized to hold the working set of 10^5 active users (docs/
  // perf-history.md, "State cache: gradual eviction", and "Earlier stop: scan
  // results kept across blocks, per-view valuation, the state cache's bound":
  // a provider user's records take 1.5-2 kB counted); a bound, not an
  // allocation. Full, it is 201 B per user at 10^6.
  static constexpr size_t kDefaultCapacityBytes = size_t{192} << 20;
  static constexpr size_t kMaxShards = 16;
  static constexpr size_t kMinShardBytes = size_t{64} << 10;
  // Bytes counted per entry on top of its key and value: the slot (40 B),
  // its hash-table slot at 7/8 load (≈ 28 B with the control byte), the
  // buffer's allocator header and rounding (≈ 24 B).
  static constexpr size_t kEntryOverhead = 96;

  explicit StateCache(std::unique_ptr<DurableStore> store,
                      size_t capacity_bytes = kDefaultCapacityBytes);

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  // Cached keys answered here, the misses read by one GetMany of the store
  // (RocksDB: a MultiGet) and kept as a Get's would be. Every shard is
  // locked meanwhile, as for a write (callers read in chunks).
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  absl::Status Put(std::string_view key, std::string_view value) override;
  absl::Status Delete(std::string_view key) override;
  // The store's atomic write; the cache learns the batch only once it is
  // durable (a failed write leaves both unchanged).
  absl::Status Write(const WriteBatch& batch) override;
  // Write, then the batch is emptied as its keys and values enter the cache
  // (copied into the slots' kept buffers: no allocation when they fit).
  absl::Status Consume(WriteBatch& batch) override;
  // The wrapped store's snapshot (the cache is bypassed: it is current).
  std::unique_ptr<DurableStore> Snapshot() const override { return store_->Snapshot(); }
  // The cache's Get locks its shard; the store's reads decide.
  bool ConcurrentReads() const override { return store_->ConcurrentReads(); }

  // The wrapped store, for reads only: a write that bypasses the cache
  // would leave it stale.
  DurableStore* store() const { return store_.get(); }
  size_t capacity_bytes() const { return shard_capacity_bytes_ * num_shards_; }
  size_t cached_bytes() const;
  size_t cached_entries() const;
  size_t hits() const;
  size_t misses() const;
  size_t evictions() const;
  size_t num_shards() const { return num_shards_; }
  // Whether `key` is cached now (no store read, no reference mark): for tests.
  bool Contains(std::string_view key) const;

  // `view` is a new cache over this cache's Snapshot(), taken just now (no
  // write in between); `previous` is the cache of the view this cache was
  // given last (null for none), kept alive by `owner`. Links `view` to
  // `previous` when it is that view and the write log is whole (see the
  // class comment); otherwise `view` starts cold. With `keep_log` the write
  // log runs from now on (so that the next view can be linked to `view`);
  // without, a chain whose views are never linked logs nothing.
  // Call it where no write to this cache can run concurrently.
  void LinkView(StateCache& view, std::shared_ptr<const void> owner,
                const StateCache* previous, bool keep_log = true);
  // Misses answered from the linked earlier view (counted in misses() too).
  size_t linked_hits() const;
  // Scans answered from kept results: a view's own or its linked view's,
  // and for the chain's own cache its kept results (class comment).
  size_t scan_hits() const;
  // Bounds of the write log between two views (beyond them the next view
  // starts cold) and of a view's kept scan results.
  static constexpr size_t kMaxLoggedWrites = size_t{1} << 20;
  static constexpr size_t kMaxLoggedBytes = size_t{64} << 20;
  static constexpr size_t kMaxCachedScanEntries = 256;
  // Scan results the chain's own cache keeps, and the most ops of one
  // batch applied to one of them (beyond, it is dropped; class comment).
  static constexpr size_t kMaxOwnScans = 256;
  static constexpr size_t kMaxMergedOps = 16;
  static constexpr size_t kMaxOwnSeen = 4096;
  // A start key whose range was found longer than kMaxCachedScanEntries is
  // read through (no read-ahead) by this many scans, then tried again.
  static constexpr uint32_t kLongScanReadThroughs = 64;
  // Scan results a new view starts with (LinkView): those of the view
  // before it that were used in the last kScanCarryViews views (patched
  // with the block's writes in their range), at most kMaxCarriedScans.
  static constexpr uint64_t kScanCarryViews = 8;
  static constexpr size_t kMaxCarriedScans = 4096;
  // Earlier views a new view is linked to (the previous one, and those it
  // was linked to): a view nobody read is passed over.
  static constexpr size_t kMaxLinks = 4;

 private:
  // One cached entry: key and value bytes in one buffer (one allocation,
  // kept when the slot is reused).
  struct Slot {
    std::string data;  // key bytes, then value bytes
    uint32_t key_size = 0;
    bool live = false;  // holds a cached key (else free, buffer kept)
    std::string_view key() const { return std::string_view(data).substr(0, key_size); }
  };
  // What the index holds of a live slot: a hit reads the value from the
  // bytes after the key the index views, and never touches the slot (one
  // cache miss less on a large cache).
  struct Entry {
    static constexpr uint32_t kAbsent = ~uint32_t{0};
    uint32_t slot = 0;
    uint32_t value_size = kAbsent;  // kAbsent: the store has no such key
    bool present() const { return value_size != kAbsent; }
  };
  struct Shard {
    std::mutex mu;
    // Everything below guarded by mu. `slots` is a deque so that a slot's
    // key bytes (viewed by `index`) never move while it is live.
    std::deque<Slot> slots;
    // CLOCK marks, one per slot (used since the hand last passed): dense,
    // so that marking a hit touches a byte of a small array, not the slot.
    std::vector<uint8_t> referenced;
    absl::flat_hash_map<absl::string_view, Entry> index;  // key -> slot
    std::vector<uint32_t> free;                            // free slots
    size_t hand = 0;
    size_t bytes = 0;
    size_t hits = 0;
    size_t misses = 0;
    size_t evictions = 0;
    size_t admitted = 0;  // new entries' bytes since the last batch write
  };
  Shard& ShardOf(std::string_view key) const;
  // The index's value size of `value` (nullopt: Entry::kAbsent); Remember
  // keeps no value of kAbsent bytes or more.
  static uint32_t ValueSize(std::optional<std::string_view> value) {
    return value.has_value() ? static_cast<uint32_t>(value->size()) : Entry::kAbsent;
  }
  // The value an index element records (nullopt inside: the store has no
  // such key), read from the bytes after the key it views.
  static std::optional<std::optional<std::string>> ValueOf(
      const std::pair<const absl::string_view, Entry>& e) {
    if (!e.second.present()) return std::optional<std::string>();
    const char* value = e.first.data() + e.first.size();
    return std::optional<std::string>(std::string(value, e.second.value_size));
  }
  // `key`'s value from this cache (a hit, marked referenced) or from a
  // linked view (then kept here), counting the hit or miss; nullopt when
  // neither has it. shard.mu held.
  std::optional<std::optional<std::string>> Lookup(Shard& shard, std::string_view key) const;
  // Records key -> value (nullopt = absent). A key not cached yet is
  // admitted only when `admit_new` and within the shard's flood guard (class
  // comment). shard.mu held.
  void Remember(Shard& shard, std::string_view key, std::optional<std::string_view> value,
                bool admit_new = true) const;
  // A written batch's keys and values (deleted keys dropped; the flood guard
  // applied), then every shard's admission count restarts. Every shard
  // locked.
  void RememberBatch(const WriteBatch& batch) const;
  // fn(shard of the key, element) for each element of [first, last) in
  // order, the hash-table slots of the next few keys (key_of(element))
  // already asked for: a block's keys are mostly cold in the CPU's caches.
  // The caller holds every shard's lock.
  template <typename It, typename KeyOf, typename Fn>
  void ForEachPrefetched(It first, It last, KeyOf key_of, Fn fn) const;
  // The shards of keys asked for ahead of their use (each key's table group
  // requested), handed back in the order asked: the ring of
  // ForEachPrefetched and of RememberBatch's walk.
  class ShardsAhead;
  // Evicts (CLOCK) until `need` more bytes fit; false if they never can.
  bool MakeRoom(Shard& shard, size_t need) const;
  static void Drop(Shard& shard, uint32_t slot);             // shard.mu held
  // Frees a slot whose index entry is already erased. shard.mu held.
  static void Release(Shard& shard, uint32_t slot);
  static void Forget(Shard& shard, std::string_view key);   // shard.mu held
  // The view links (LinkView): earlier views, newest first, each with the
  // keys written since it (one sorted list per block, shared between links).
  using BlockWrites = std::shared_ptr<const std::vector<std::string>>;
  struct Link {
    std::shared_ptr<const void> owner;  // keeps `cache` alive
    const StateCache* cache = nullptr;
    std::vector<BlockWrites> written;   // the blocks since `cache`'s view
    bool Written(std::string_view key) const;
    bool WrittenIn(std::string_view begin, std::string_view end) const;
  };
  using Links = std::vector<Link>;
  static std::string ScanKey(std::string_view begin, std::string_view end, bool reverse);
  // ScanKey's range back: [begin, end) (views into `scan_key`).
  static std::pair<std::string_view, std::string_view> ScanRange(std::string_view scan_key);
  // ScanKey's first byte for a reverse scan.
  static constexpr char kReverseMark = 'r';
  static bool ScanIsReverse(std::string_view scan_key) { return scan_key.front() == kReverseMark; }
  // A kept scan result: its ScanKey, the entries, their bytes as counted
  // against the budget, and the number of the newest view that used it.
  // Shared by the views it is carried to (the map's key views `key`).
  // A forward scan the caller stopped early is kept too, as far as it
  // read: `covered_end` is then the end of the part its entries are all of
  // ([begin, covered_end): just past the last entry); "" for a whole range.
  // What every query reads (the key, the result) starts a cache line of its
  // own: the shared_ptr's count, which every query changes, and last_used,
  // which a view's first use changes, lie on others.
  struct KeptScan {
    alignas(64) std::string key;
    std::shared_ptr<const KvList> result;
    std::string covered_end;
    size_t bytes = 0;
    alignas(64) mutable std::atomic<uint64_t> last_used{0};
  };
  using KeptScanPtr = std::shared_ptr<const KeptScan>;
  KeptScanPtr CachedScan(std::string_view scan_key) const;
  // Keeps `kept`, in place of a partial result of the same scan (never of a
  // whole one).
  void KeepScan(KeptScanPtr kept) const;
  // The end of the part of its scan's range `kept` holds all entries of.
  static std::string_view CoveredEnd(const KeptScan& kept);
  // Kept (or carried) entries of scan `scan_key` as an iterator: a whole
  // result as a list; a partial one as its entries, then the rest of the
  // range read from the store (and kept as the scan then reads it).
  std::unique_ptr<KvIterator> FromKept(KeptScanPtr kept) const;
  // A store scan as the caller goes, kept (KeepScan) once read to its end or,
  // forward, where the caller stops, within kMaxCachedScanEntries entries
  // after `head` (entries of the same scan already kept).
  std::unique_ptr<KvIterator> Collecting(std::string scan_key, std::string_view begin,
                                         std::string_view end, bool reverse,
                                         std::shared_ptr<const KvList> head) const;
  // Copies into `view` the results of this (the previous) view, patched
  // with `block`'s writes where it wrote in them (LinkView).
  void CarryScans(const std::vector<std::string>& block, StateCache& view) const;
  // `kept` with `block`'s writes in the part of its range it holds applied,
  // each written key read in `view` (opened after the block); null when it
  // is not carried (a reverse scan's, more than kMaxMergedOps keys written
  // in that part, a read error, grown past kMaxCachedScanEntries).
  static KeptScanPtr Patched(const KeptScan& kept, const std::vector<std::string>& block,
                             const StateCache& view);
  std::shared_ptr<const Links> CurrentLinks() const;
  // The chain's own cache's scans (view_number_ == 0; class comment).
  std::unique_ptr<KvIterator> OwnScan(std::string_view begin, std::string_view end) const;
  // Every write counts as begun before it reaches the store and again once
  // it did (a scan that read the store in between is not kept). A written
  // batch's ops are merged into the kept results whose range they reach
  // (a result that grows past kMaxCachedScanEntries, one the batch writes
  // more than kMaxMergedOps keys of, or one over the budget, is dropped); a
  // Put or Delete, or a failed write, drops them.
  void BumpOwnWrites() const;
  void MergeIntoOwnScans(const WriteBatch::Ops& ops) const;
  void DropOwnScans(const WriteBatch::Ops& ops) const;
  void DropOwnScans(std::string_view key) const;
  // `key`'s entry in this cache's shards only (nullopt: not cached); no
  // store read, no reference mark.
  std::optional<std::optional<std::string>> Cached(std::string_view key) const;
  // What the linked view holds for `key` (nullopt: nothing usable).
  std::optional<std::optional<std::string>> FromLink(std::string_view key) const;
  // Adds the keys to the write log, if it runs.
  void LogWrites(const WriteBatch& batch);
  void LogWrite(std::string_view key);
  void LogLocked(std::string_view key);  // log_mu_ held

  std::unique_ptr<DurableStore> store_;
  const size_t num_shards_;
  const size_t shard_capacity_bytes_;
  const std::unique_ptr<Shard[]> shards_;

  // The chain's side of LinkView: the write log since the last view.
  mutable std::mutex log_mu_;
  bool logging_ = false;         // guarded by log_mu_
  bool log_overflow_ = false;    // guarded by log_mu_
  std::vector<std::string> log_;  // guarded by log_mu_
  size_t log_bytes_ = 0;           // guarded by log_mu_
  uint64_t views_opened_ = 0;    // guarded by log_mu_
  // A view's side: which chain cache opened it, as its n-th view.
  const StateCache* origin_ = nullptr;
  uint64_t view_number_ = 0;
  mutable std::mutex link_mu_;
  std::shared_ptr<const Links> links_;  // guarded by link_mu_
  mutable std::atomic<size_t> linked_hits_{0};
  // A view's kept scan results, by ScanKey; emptied whole when over
  // capacity / 8 bytes.
  mutable std::mutex scan_mu_;
  mutable absl::flat_hash_map<absl::string_view, KeptScanPtr> scans_;
  mutable size_t scan_bytes_ = 0;
  mutable std::atomic<size_t> scan_hits_{0};
  // The chain's own kept scans by start key: entries of the store in
  // [start, covered_end) ("" = unbounded). Guarded by scan_mu_, as is
  // own_writes_ (writes begun; a scan is kept only if none began while it
  // read the store).
  struct OwnKept {
    std::string covered_end;
    std::shared_ptr<const KvList> result;
    size_t bytes = 0;
    uint64_t used = 0;  // own_writes_ when last read
  };
  using OwnScans = std::map<std::string, OwnKept, std::less<>>;
  // Whether `key` (at or after the start) lies in `kept`'s range.
  static bool Covers(const OwnKept& kept, std::string_view key) {
    return kept.covered_end.empty() || key < kept.covered_end;
  }
  // Erases a kept result and its bytes (scan_mu_ held); the next one.
  OwnScans::iterator EraseOwn(OwnScans::iterator k) const;
  mutable OwnScans own_scans_;
  // Start keys scanned before, each with the scans from it still to read
  // through (0, or up to kLongScanReadThroughs for a range found too long to
  // keep); emptied when it reaches kMaxOwnSeen.
  mutable absl::flat_hash_map<std::string, uint32_t> own_seen_;
  mutable uint64_t own_writes_ = 0;
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_STATE_CACHE_H_
