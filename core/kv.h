// Ordered key/value store interfaces, the in-memory store, write batches and
// discardable overlays.
//
// Keys and values are byte strings; iteration is in ascending (or descending)
// unsigned byte order of keys. All state of a chain lives in one KvStore.
//
// Atomicity model (docs/architecture.md): each tx/packet runs in an Overlay
// over the block's Overlay, which runs over the durable store. A successful tx
// Commit()s its overlay into the parent; a rejected one is simply destroyed.
// At block commit the block overlay's writes become one WriteBatch applied
// atomically with DurableStore::Write.
//
// Thread safety: none of these types is thread-safe; a chain's state machine
// is single-threaded. Deterministic: iteration in key order; the one hash
// (FixedKeyHash, a large batch's key filter) is fixed and never decides a
// result, only whether a lookup may skip the batch.
#ifndef MESHSEC_CORE_KV_H_
#define MESHSEC_CORE_KV_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mesh {

class Encoder;       // core/codec.h
class Sha256Hasher;  // core/crypto.h
class WriteBatch;

// Iterates a key range. Usage:
//   for (auto it = store.Scan(b, e); it->Valid(); it->Next()) { ... }
//   MESH_RETURN_IF_ERROR(it->status());
// The store must not be modified while an iterator over it is alive.
class KvIterator {
 public:
  virtual ~KvIterator() = default;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Non-OK if iteration stopped because of an I/O error.
  virtual absl::Status status() const = 0;
};

class KvReader {
 public:
  virtual ~KvReader() = default;
  // nullopt if absent; a non-OK status only on I/O failure.
  virtual absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const = 0;
  // Keys in [begin, end), ascending; end == "" means unbounded.
  // With reverse = true, the same range in descending order.
  virtual std::unique_ptr<KvIterator> Scan(std::string_view begin,
                                           std::string_view end,
                                           bool reverse = false) const = 0;
  // Convenience: every key starting with `prefix`.
  std::unique_ptr<KvIterator> ScanPrefix(std::string_view prefix,
                                         bool reverse = false) const;
  absl::StatusOr<bool> Has(std::string_view key) const;
  // Point reads of `keys`: (*out)[i] = Get(keys[i]), `out` resized to
  // keys.size(); the same values and errors as the Gets. The default reads
  // one by one. A store that reads many keys for less than as many Gets
  // (RocksDB's MultiGet) overrides it, and the layers in front of it
  // (Overlay, node::StateCache) answer what they hold and pass the rest on
  // in one call. Ascending keys read fastest.
  virtual absl::Status GetMany(std::span<const std::string> keys,
                               std::vector<std::optional<std::string>>* out) const;
};

// Visits the entries whose keys start with `prefix`, in key order, from the
// key prefix + `from`: ascending from the first key >= it, or with
// `reverse` descending from the last key <= it ("" = from the first entry,
// or the last). `visit(suffix, value)` gets each key without `prefix` and
// returns whether to go on. For a page of a list kept in key order (the
// page key is the suffix): it reads the page, not the list.
absl::Status VisitFrom(
    const KvReader& store, std::string_view prefix, std::string_view from, bool reverse,
    absl::FunctionRef<absl::StatusOr<bool>(std::string_view suffix, std::string_view value)>
        visit);

// Keys per GetMany call in a bulk read (a slash's): a chunk bounds the
// memory in flight and the time a node::StateCache stays locked.
inline constexpr size_t kGetManyChunk = 1024;

class KvStore : public KvReader {
 public:
  virtual absl::Status Put(std::string_view key, std::string_view value) = 0;
  // Put, the key and value strings handed over (a store that keeps them,
  // an Overlay, takes them by move instead of copying). The default is Put.
  virtual absl::Status PutOwned(std::string key, std::string value) {
    return Put(key, value);
  }
  virtual absl::Status Delete(std::string_view key) = 0;
  // Convenience: deletes every key starting with `prefix` (all of them are
  // listed first, then deleted one by one with Delete).
  absl::Status DeletePrefix(std::string_view prefix);
  // Applies the ops of `batch` in key order, as Put/Delete would one by one,
  // and leaves `batch` empty; the store may take keys and values by move
  // (an Overlay does: nothing is copied). On error `batch` is unchanged and
  // the store may hold a prefix of its ops (callers discard it). The default
  // is op by op.
  virtual absl::Status Apply(WriteBatch& batch);
};

// An ordered set of puts and deletes (nullopt = delete), applied atomically.
class WriteBatch {
 public:
  using Ops = std::map<std::string, std::optional<std::string>, std::less<>>;

  using Op = Ops::value_type;

  WriteBatch() = default;
  // Copies and moves carry the ops and the filter; the write positions
  // remembered for the next ops start afresh. Moves carry the index (the
  // ops' nodes change hands as they are); copies do not.
  WriteBatch(const WriteBatch& other) : ops_(other.ops_), filter_(other.filter_),
                                        hashes_(other.hashes_), unput_(other.unput_) {}
  WriteBatch(WriteBatch&& other) noexcept
      : ops_(std::move(other.ops_)), filter_(std::move(other.filter_)),
        hashes_(std::move(other.hashes_)), unput_(std::move(other.unput_)),
        index_(std::move(other.index_)), indexed_adds_(other.indexed_adds_) {
    other.Clear();
  }
  WriteBatch& operator=(const WriteBatch& other);
  WriteBatch& operator=(WriteBatch&& other) noexcept;

  void Put(std::string_view key, std::string_view value);
  // The same, the key and value strings taken by move (no copy).
  void PutOwned(std::string key, std::string value);
  void Delete(std::string_view key);
  const Ops& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() {
    ops_.clear();
    filter_.clear();
    hashes_.clear();
    unput_.clear();
    ForgetHints();
    DropIndex();
  }
  // Lists the ops in key order in one array, when the batch holds
  // kIndexFrom ops or more (a block's, at its commit): the walks of its
  // commit (its hash, the state cache's update, the store's write) then
  // read the array, prefetching ahead, instead of stepping the tree node
  // by node, a cache miss each on a large batch. The index follows up to
  // kIndexedAdds ops added later (the commit's meta keys; more drop it),
  // and a new value of an op it holds; an erase, Absorb or Drain drops it.
  void Index();
  static constexpr size_t kIndexFrom = 256;
  static constexpr size_t kIndexedAdds = 16;
  bool indexed() const { return !index_.empty(); }
  // Visits every op in key order, fn(const Op&), from the index when the
  // batch has one; an fn that returns bool stops the walk by returning
  // false. ahead(const Op&) is called for each op kAhead ops before fn, to
  // request what fn will read (the ahead of the first kAhead ops comes
  // before any fn); neither sees an op twice.
  template <typename Fn>
  void ForEachOp(Fn&& fn) const {
    ForEachOp(fn, [](const Op&) {});
  }
  template <typename Fn, typename Ahead>
  void ForEachOp(Fn&& fn, Ahead&& ahead) const;
  static constexpr size_t kAhead = 8;
  // Requests into the cache the bytes of `op`'s key and value held outside
  // its node (an `ahead` for walks that read them).
  static void PrefetchBytes(const Op& op) {
    __builtin_prefetch(op.first.data());
    if (op.second.has_value()) __builtin_prefetch(op.second->data());
  }
  // False when the batch certainly holds no op on `key`; true when it may.
  // A large batch (a block's) keeps a Bloom filter of its keys, so that a
  // read that misses it — most reads of a block — costs a hash instead of a
  // walk down the ordered map; a small one always answers true.
  bool MayContain(std::string_view key) const;
  // The op on `key` (a put's value, nullopt for a delete), or null when the
  // batch has none; the filter answers most misses.
  const std::optional<std::string>* Find(std::string_view key) const;
  // The filter starts at kFilterFrom keys, at about 16 bits a key, and is
  // rebuilt twice as large when the batch passes 8 bits a key (a few per
  // cent of misses then walk the map anyway). Erased keys stay in it.
  static constexpr size_t kFilterFrom = 64;
  // Drops the op on `key`, if any (the batch then neither puts nor deletes it).
  void Erase(std::string_view key);
  // The keys whose put in this batch a delete replaced since the last call
  // (in a Delete, or as an absorbed batch's delete; with those its absorbed
  // batches listed), in no order and possibly repeated; the list is
  // emptied. Such a delete is needed only if the key was there before the
  // batch: Overlay::DropAbsentDeletes asks the store below about these
  // keys only, not about every delete.
  std::vector<std::string> TakeUnput() { return std::exchange(unput_, {}); }
  // Empties the batch, handing each op's key and value (nullopt = delete)
  // to `sink` by move, in key order.
  template <typename Sink>
  void Drain(Sink&& sink) {
    filter_.clear();
    hashes_.clear();
    unput_.clear();
    ForgetHints();
    DropIndex();
    while (!ops_.empty()) {
      auto node = ops_.extract(ops_.begin());
      sink(std::move(node.key()), std::move(node.mapped()));
    }
  }
  // Moves every op of `other` into this batch (an op of `other` replaces
  // this batch's op on the same key) without copying keys or values;
  // `other` is left empty. Into an empty batch, `other`'s ops and filter
  // change hands at once (a tx's nested overlays commit so).
  // When `other` holds more than kAbsorbSwapRatio times this batch's ops,
  // `other`'s ops and filter are taken whole and this batch's ops moved
  // into them instead.
  void Absorb(WriteBatch&& other);
  static constexpr size_t kAbsorbSwapRatio = 4;
  // Canonical bytes of the batch (for state hashing): for each op in key
  // order, u8 kind (1 put, 0 delete), bytes key, [bytes value].
  std::string Serialize() const;
  // The same bytes, appended to `e`.
  void SerializeTo(Encoder& e) const;
  // The same bytes, fed to `h` (no copy of the batch is built).
  void HashTo(Sha256Hasher& h) const;

  // Ops are found from the last few write positions: kWriteHints of them;
  // from kTableHintsFrom ops on (a block's batch), from the last write
  // position in each table (first key byte) instead.
  static constexpr size_t kWriteHints = 4;
  static constexpr size_t kTableHintsFrom = 64;

 private:
  void Noted(std::string_view key);  // after a key was added to ops_
  void RebuildFilter();
  // ops_.lower_bound(key), in constant time when `key` goes right after one
  // of the positions last written (a block writes each table's keys mostly
  // in ascending order, several tables interleaved); `*hint` is the index
  // of the position that matched, or -1.
  //
  // A small batch (a tx's) tries its kWriteHints last positions. A large one
  // (a block's: thousands of ops over about ten tables) keeps one position
  // per table and tries only that of `key`'s table: a key of a table
  // written in order (sequence numbers, ids) lands right after it; a key of
  // a table written at random (by address) costs one comparison before the
  // descent, where trying every recent position cost up to eight.
  Ops::iterator Seek(std::string_view key, int* hint);
  // Remembers `at` as a write position, in place of position `hint` when it
  // matched, else of the oldest (a large batch: as its table's position).
  void Wrote(Ops::iterator at, int hint);
  // Forgets every write position (an op was erased, or the ops changed
  // hands).
  void ForgetHints() {
    hints_used_ = 0;
    if (tables_ != nullptr) tables_->fill(std::nullopt);
  }
  // `at` when it is `key`'s place: at->first == key, or at->first < key and
  // the next op's key is not below it (then the next); else nullopt.
  std::optional<Ops::iterator> PlaceAfter(Ops::iterator at, std::string_view key);
  // The op on `key`: update(op) when the batch has one, else insert(at)
  // adds it with at = where Seek found its place as the hint, and returns it.
  template <typename Update, typename Insert>
  void Write(std::string_view key, Update&& update, Insert&& insert);

  void DropIndex() {
    index_.clear();
    indexed_adds_ = 0;
  }
  // Requests `op`'s node (its key and value: two cache lines).
  static void PrefetchNode(const Op* op) {
    __builtin_prefetch(op);
    __builtin_prefetch(reinterpret_cast<const char*>(op) + 64);
  }
  template <typename Fn>
  static bool Visit(Fn& fn, const Op& op);
  // A new op's node, into the index (when there is one) at its key's place.
  void AddToIndex(const Op* op);

  Ops ops_;
  std::vector<uint64_t> filter_;  // empty: no filter (small batch)
  // FixedKeyHash of each key noted since the filter started (the filter is
  // rebuilt from them, not from the keys), erased keys' included.
  std::vector<uint64_t> hashes_;
  // TakeUnput's list.
  std::vector<std::string> unput_;
  // Recent write positions (elements of ops_; forgotten when any op is
  // erased): hints_[0, hints_used_).
  Ops::iterator hints_[kWriteHints];
  size_t hints_used_ = 0;
  size_t next_hint_ = 0;  // the slot replaced when no position matched
  // The last write position of each table (first key byte), once the batch
  // has kTableHintsFrom ops; not copied or moved with the ops.
  using TableHints = std::array<std::optional<Ops::iterator>, 256>;
  std::unique_ptr<TableHints> tables_;
  // The ops' nodes in key order (Index()); empty when not indexed.
  std::vector<const Op*> index_;
  size_t indexed_adds_ = 0;  // ops added since Index()
};

// fn(op), and whether the walk goes on (fn returns no bool: always).
template <typename Fn>
bool WriteBatch::Visit(Fn& fn, const Op& op) {
  if constexpr (std::is_same_v<std::invoke_result_t<Fn&, const Op&>, bool>) {
    return fn(op);
  } else {
    fn(op);
    return true;
  }
}

template <typename Fn, typename Ahead>
void WriteBatch::ForEachOp(Fn&& fn, Ahead&& ahead) const {
  if (indexed()) {
    // A node is requested 2 × kAhead ops before fn reads it, so that ahead
    // finds it there.
    constexpr size_t kNodeAhead = 2 * kAhead;
    const size_t n = index_.size();
    for (size_t i = 0; i < n && i < kNodeAhead; ++i) PrefetchNode(index_[i]);
    for (size_t i = 0; i < n && i < kAhead; ++i) ahead(*index_[i]);
    for (size_t i = 0; i < n; ++i) {
      if (i + kNodeAhead < n) PrefetchNode(index_[i + kNodeAhead]);
      if (i + kAhead < n) ahead(*index_[i + kAhead]);
      if (!Visit(fn, *index_[i])) return;
    }
    return;
  }
  auto lead = ops_.begin();
  for (size_t i = 0; i < kAhead && lead != ops_.end(); ++i, ++lead) ahead(*lead);
  for (auto it = ops_.begin(); it != ops_.end(); ++it) {
    if (lead != ops_.end()) {
      ahead(*lead);
      ++lead;
    }
    if (!Visit(fn, *it)) return;
  }
}

// A fixed 64-bit hash of a key's bytes (not seeded per process, unlike
// absl::Hash): the same key hashes alike in every run.
uint64_t FixedKeyHash(std::string_view key);

// A store that can apply a WriteBatch atomically (memory, RocksDB).
class DurableStore : public KvStore {
 public:
  virtual absl::Status Write(const WriteBatch& batch) = 0;
  // Write(batch), after which the store may have taken the batch's keys
  // and values by move: on success `batch` is left empty; on error it is
  // unchanged (and so is the store, as for Write). The default writes and
  // clears; a store that keeps copies of what it writes (node::StateCache)
  // moves them instead of copying.
  virtual absl::Status Consume(WriteBatch& batch);
  // A read-only view of the store's current contents that later writes to
  // the store do not change (RocksDB: a native snapshot; MemStore: a copy),
  // or nullptr when the store has none. Put/Delete/Write on the view fail
  // with FailedPrecondition.
  // Thread safety: call Snapshot() where a write cannot run concurrently
  // (the writing thread, or under the writer's lock). The view may then be
  // read from any number of threads while the store is written.
  virtual std::unique_ptr<DurableStore> Snapshot() const { return nullptr; }
  // True when Get may be called from several threads at once while nothing
  // writes the store (RocksDB, MemStore). A block producer then reads the
  // signers' committed accounts on its verification threads
  // (node::Chain::DeliverTxs). Default false: reads only on the calling
  // thread (e.g. a host's callbacks).
  virtual bool ConcurrentReads() const { return false; }
  // True when Get and Scan may run on other threads while one thread's
  // Write is in progress, each read seeing the store before or after the
  // whole write (RocksDB). A chain then hands its block commits to a writer
  // thread (node/pipelined_store.h). Default false (MemStore: a std::map).
  virtual bool ReadsDuringWrite() const { return false; }
};

// An iterator over [begin, end) of `parent` with `batch`'s ops applied on
// top (a put wins over the parent's value, a delete hides the key), in the
// requested direction: what Scan would see after the batch were written.
// `batch` must stay alive and unchanged while the iterator is. With no op
// of `batch` in the range, `parent` itself.
std::unique_ptr<KvIterator> ScanWithBatch(const WriteBatch& batch,
                                          std::unique_ptr<KvIterator> parent,
                                          std::string_view begin, std::string_view end,
                                          bool reverse);

// (*out)[p] = store.Get(keys[p]) for each p of `positions` (ascending,
// each < keys.size(), `out` already sized), through one store.GetMany.
absl::Status GetManyAt(const KvReader& store, std::span<const std::string> keys,
                       std::span<const size_t> positions,
                       std::vector<std::optional<std::string>>* out);

// GetMany of `keys` with `batch`'s ops (may be null) over `parent`: a put
// answers its value, a delete absence; the other keys go to
// parent.GetMany in one call.
absl::Status GetManyWithBatch(const WriteBatch* batch, const KvReader& parent,
                              std::span<const std::string> keys,
                              std::vector<std::optional<std::string>>* out);

// Entries in scan order (key, value), their bytes in one buffer: a list's
// entries read in order are consecutive memory. A kept scan result (node/
// state_cache.h) is read by many queries on other threads than the one that
// read it, its entries cold; as two strings per entry each entry cost two
// cache misses at scattered addresses (docs/perf-history.md, "Kept scan
// results in one buffer"). An entry is a pair of views into the list, valid
// until the list is next changed. A list is shared between threads by
// shared_ptr, whose count every reader changes: it starts a cache line of
// its own, apart from the count (make_shared puts the two together).
class alignas(64) KvList {
 public:
  struct Entry {
    std::string_view first;   // the key
    std::string_view second;  // the value
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  class const_iterator {
   public:
    const_iterator(const KvList* list, size_t i) : list_(list), i_(i) {}
    Entry operator*() const { return (*list_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    friend bool operator==(const const_iterator&, const const_iterator&) = default;

   private:
    const KvList* list_;
    size_t i_;
  };

  KvList() = default;
  KvList(std::initializer_list<std::pair<std::string_view, std::string_view>> entries);

  size_t size() const { return ends_.size() / 2; }
  bool empty() const { return ends_.empty(); }
  // The entries' key and value bytes.
  size_t bytes() const { return buf_.size(); }
  Entry operator[](size_t i) const {
    const size_t begin = i == 0 ? 0 : ends_[2 * i - 1];
    const char* const data = buf_.data();
    return Entry{std::string_view(data + begin, ends_[2 * i] - begin),
                 std::string_view(data + ends_[2 * i], ends_[2 * i + 1] - ends_[2 * i])};
  }
  Entry back() const { return (*this)[size() - 1]; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size()); }

  // `key` and `value` (an Entry) must not view this list's own bytes.
  void emplace_back(std::string_view key, std::string_view value) {
    buf_.append(key);
    ends_.push_back(buf_.size());
    buf_.append(value);
    ends_.push_back(buf_.size());
  }
  void push_back(const Entry& e) { emplace_back(e.first, e.second); }
  // Room for `entries` more entries of `bytes` key and value bytes in all.
  void reserve(size_t entries, size_t bytes) {
    ends_.reserve(ends_.size() + 2 * entries);
    buf_.reserve(buf_.size() + bytes);
  }
  void clear() {
    buf_.clear();
    ends_.clear();
  }
  // The index of the first entry whose key is not below `key` (size() when
  // none is): the entries are in ascending key order.
  size_t LowerBound(std::string_view key) const;
  // A copy of the first `n` entries.
  KvList Head(size_t n) const;
  // `head`'s entries, then this list's.
  void Prepend(const KvList& head);

  friend bool operator==(const KvList& a, const KvList& b) {
    return a.ends_ == b.ends_ && a.buf_ == b.buf_;
  }

 private:
  std::string buf_;           // each entry's key, then its value
  std::vector<size_t> ends_;  // per entry: the key's end, then the value's, in buf_
};
// Test failure messages: the entries as key=value.
void PrintTo(const KvList& list, std::ostream* os);

// An iterator over `entries` (shared: they stay alive while it does).
std::unique_ptr<KvIterator> ListIterator(std::shared_ptr<const KvList> entries);
// `head`'s entries, then those of the iterator `open` makes: called only
// when the caller reads past the head (at once for an empty head), so a
// caller that stops within the head opens nothing; status() is OK until then.
std::unique_ptr<KvIterator> ListThenIterator(std::shared_ptr<const KvList> head,
                                             std::function<std::unique_ptr<KvIterator>()> open);
// `head` (the first entries of a scan, already read from `rest`), then what
// `rest` yields from where it stands; status() is `rest`'s.
std::unique_ptr<KvIterator> ReadAheadIterator(KvList head, std::unique_ptr<KvIterator> rest);
// `it` as it goes, collecting the entries read while there are at most
// `max` of them; once `it` is read to its end (without error) with at most
// `max` entries, they are handed to `keep` (complete = true). A caller that
// stops early reads no entry past where it stopped. With `partial`, what it
// read is handed over too, when the iterator is destroyed on a valid entry
// (without error) with at most `max` entries counting that one: the entries
// up to and including it (complete = false), i.e. every entry of the range
// from its start through that entry's key in scan order.
std::unique_ptr<KvIterator> CollectingIterator(std::unique_ptr<KvIterator> it, size_t max,
                                               std::function<void(KvList, bool complete)> keep,
                                               bool partial = false);

// A read-only DurableStore over `inner` (reads forwarded; Put, Delete and
// Write fail with FailedPrecondition). Const reads are as thread-safe as
// the inner store's.
std::unique_ptr<DurableStore> ReadOnlyStore(std::unique_ptr<DurableStore> inner);

// In-memory ordered store (std::map). Used by tests, simulations, benchmarks.
class MemStore : public DurableStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  absl::Status Put(std::string_view key, std::string_view value) override;
  absl::Status Delete(std::string_view key) override;
  absl::Status Write(const WriteBatch& batch) override;
  // A copy of the map (O(size)), read-only.
  std::unique_ptr<DurableStore> Snapshot() const override;
  bool ConcurrentReads() const override { return true; }  // const std::map reads
  size_t size() const { return data_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> data_;
};

// A discardable layer of writes over a parent store. Reads see the overlay's
// writes first, then the parent. Nothing reaches the parent until Commit().
// Overlays nest: an Overlay's parent may be another Overlay.
// REQUIRES: the parent outlives the overlay and is not written to directly
// while the overlay has pending writes.
class Overlay : public KvStore {
 public:
  explicit Overlay(KvStore* parent) : parent_(parent) {}
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  // The pending writes answer their keys; the rest go to the parent's
  // GetMany in one call.
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  absl::Status Put(std::string_view key, std::string_view value) override;
  absl::Status PutOwned(std::string key, std::string value) override;
  absl::Status Delete(std::string_view key) override;
  // Takes `batch`'s ops by move into the pending writes (never fails).
  absl::Status Apply(WriteBatch& batch) override;

  // Applies the pending writes to the parent and clears them: a DurableStore
  // gets one atomic Consume (it may move them), any other parent its Apply
  // (an Overlay, or a store over one, takes them by move). On error the
  // parent is unchanged (durable parent), the writes stay pending.
  absl::Status Commit();
  // Drops the pending writes.
  void Discard() { batch_.Clear(); }
  // Drops the pending write of `key`, if any.
  void Unstage(std::string_view key) { batch_.Erase(key); }
  // Drops each pending delete of a key that a put earlier in this overlay
  // wrote (WriteBatch::TakeUnput) and the parent does not hold: deleting
  // what is absent changes nothing, and the op would only reach the store
  // as a tombstone (a block's batch: a record put and deleted in the same
  // block, the power index entry each burn of a slash moves). One GetMany
  // of those keys on the parent; on its error nothing is dropped.
  absl::Status DropAbsentDeletes();
  // The pending writes (for the block overlay: the block's write batch).
  const WriteBatch& pending() const { return batch_; }
  // Indexes the pending writes (WriteBatch::Index: a block's, before its
  // commit walks them).
  void IndexPending() { batch_.Index(); }
  KvStore* parent() const { return parent_; }

 private:
  KvStore* parent_;
  WriteBatch batch_;
};

}  // namespace mesh

#endif  // MESHSEC_CORE_KV_H_
