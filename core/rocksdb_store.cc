#include "core/rocksdb_store.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/statistics.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace mesh {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// Store failures are internal (they stop block processing); corruption is
// reported as DataLoss so operators can tell it from a transient I/O error.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat("rocksdb ", std::string(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::InternalError(msg);
}

// Owns the bound strings the ReadOptions slices point at, so they outlive
// the RocksDB iterator.
class RocksIterator : public KvIterator {
 public:
  RocksIterator(rocksdb::DB* db, std::string_view begin, std::string_view end, bool reverse,
                const rocksdb::Snapshot* snapshot = nullptr)
      : begin_(begin), end_(end), lower_(begin_), upper_(end_), reverse_(reverse) {
    // An empty or inverted range: no RocksDB iterator (inverted bounds are
    // undefined behaviour for it).
    if (!end_.empty() && end_ <= begin_) return;
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    ro.iterate_lower_bound = &lower_;
    if (!end_.empty()) ro.iterate_upper_bound = &upper_;
    it_.reset(db->NewIterator(ro));
    if (reverse_) {
      it_->SeekToLast();  // honours iterate_upper_bound
    } else {
      it_->Seek(lower_);
    }
  }

  bool Valid() const override { return it_ != nullptr && it_->Valid(); }
  void Next() override {
    if (reverse_) {
      it_->Prev();
    } else {
      it_->Next();
    }
  }
  std::string_view key() const override {
    rocksdb::Slice k = it_->key();
    return std::string_view(k.data(), k.size());
  }
  std::string_view value() const override {
    rocksdb::Slice v = it_->value();
    return std::string_view(v.data(), v.size());
  }
  absl::Status status() const override {
    return it_ == nullptr ? absl::OkStatus() : FromRocks(it_->status(), "iterator");
  }

 private:
  std::string begin_, end_;
  rocksdb::Slice lower_, upper_;
  std::unique_ptr<rocksdb::Iterator> it_;
  bool reverse_;
};

rocksdb::Options Tuned(const RocksDbStore::Options& options) {
  rocksdb::Options ro;
  ro.create_if_missing = options.create_if_missing;
  const unsigned cores = std::max(2u, std::thread::hardware_concurrency());
  ro.IncreaseParallelism(static_cast<int>(cores));  // background flush + compaction threads
  ro.max_background_jobs = static_cast<int>(std::max(2u, cores));
  ro.bytes_per_sync = 1 << 20;  // smooth background SST writes
  // Write-ahead logs are reused, not created and deleted: a block's fsync'd
  // write lands in blocks the file already has (no inode update per sync,
  // no fresh page-cache pages). Recovery stays point-in-time (the default
  // mode, which RocksDB keeps compatible with recycling).
  ro.recycle_log_file_num = 4;
  // A block's batch is written in key order (the block overlay is sorted):
  // each memtable insert starts from where the last one of the same table
  // (first key byte) went, instead of from the top of the skip list. The
  // hint needs the single-writer memtable path, which is what a chain has
  // (one write per block).
  ro.allow_concurrent_memtable_write = false;
  ro.write_buffer_size = options.write_buffer_bytes;
  ro.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(1));
  // Point lookups (most reads of the state machine) first ask the memtable's
  // bloom filter, then each SST's.
  ro.memtable_whole_key_filtering = true;
  ro.memtable_prefix_bloom_size_ratio = 0.02;
  ro.level_compaction_dynamic_level_bytes = true;
  // L0 and the level L0 is compacted into are written uncompressed, the
  // levels below as RocksDB's default (Snappy when built in). Most of a
  // block's keys are rewritten soon after (a packet's commitment and record,
  // a pending tx: deleted a block or two later), so L0 and its compaction
  // are where the write churn is: compressing it cost ~a fifth of the
  // background threads' CPU at 10^5 users (docs/perf-history.md), on a machine
  // where those threads share the cores with the state machine. With dynamic
  // level sizes, entry 1 is that level (the "base level"), whichever it is.
  ro.compression_per_level.assign(static_cast<size_t>(ro.num_levels), ro.compression);
  ro.compression_per_level[0] = rocksdb::kNoCompression;
  ro.compression_per_level[1] = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  // 4 shards, not RocksDB's default 64: a shard holds 1/shards of the cache
  // and an index or filter block larger than its shard is evicted as soon as
  // it is released, so every read of that file fetched and copied it again.
  // Once the state outgrows a few SST files (10^5 delegators) index blocks
  // are ~1 MiB, more than a 2 MiB shard keeps: a gRPC Delegation query took
  // ~1 ms of that (docs/benchmarks.md, "Headline 3").
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes, /*num_shard_bits=*/2);
  if (options.bloom_bits_per_key > 0) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key, false));
    table.whole_key_filtering = true;
  }
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  ro.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return ro;
}

// GetMany through one MultiGet with `ro`: results as Get's (absent =
// nullopt; the first failed key's error).
absl::Status MultiGet(rocksdb::DB* db, const rocksdb::ReadOptions& ro,
                      std::span<const std::string> keys,
                      std::vector<std::optional<std::string>>* out) {
  const size_t n = keys.size();
  out->assign(n, std::nullopt);
  if (n == 0) return absl::OkStatus();
  std::vector<rocksdb::Slice> slices;
  slices.reserve(n);
  for (const std::string& k : keys) slices.push_back(ToSlice(k));
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  const bool sorted = std::is_sorted(keys.begin(), keys.end());
  db->MultiGet(ro, db->DefaultColumnFamily(), n, slices.data(), values.data(), statuses.data(),
               sorted);
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    MESH_RETURN_IF_ERROR(FromRocks(statuses[i], "get"));
    (*out)[i].emplace(values[i].data(), values[i].size());
  }
  return absl::OkStatus();
}

// GetMany of many keys in strictly ascending order (a slash's user records,
// kGetManyChunk at a time) walks one iterator instead: Next from one key to
// the next, Seek over a longer gap. Neighbouring keys share data blocks, and
// a cold MultiGet searches an SST's index block and then its data block for
// every key (most of a 10^6-user slash's reads; docs/perf-history.md, "Stop:
// external stakes ordered by validator"). A walk that has stepped over more
// than kWalkSparseRatio entries per key asked (keys far apart in the store)
// answers the rest with MultiGet. Answers are Get's either way.
constexpr size_t kWalkMinKeys = 128;
constexpr int kWalkMaxSteps = 8;       // Nexts toward a key before a Seek
constexpr size_t kWalkSparseRatio = 4;  // entries stepped over per key asked

bool StrictlyAscending(std::span<const std::string> keys) {
  return std::adjacent_find(keys.begin(), keys.end(), [](const std::string& a,
                                                          const std::string& b) {
           return !(a < b);
         }) == keys.end();
}

absl::Status WalkGet(rocksdb::DB* db, rocksdb::ReadOptions ro, std::span<const std::string> keys,
                     std::vector<std::optional<std::string>>* out) {
  const size_t n = keys.size();
  out->assign(n, std::nullopt);
  const std::string upper = keys.back() + std::string(1, '\0');  // just past the last key
  const rocksdb::Slice lower_slice = ToSlice(keys.front()), upper_slice = ToSlice(upper);
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  it->Seek(lower_slice);
  size_t stepped = 0;
  for (size_t i = 0; i < n; ++i) {
    const rocksdb::Slice key = ToSlice(keys[i]);
    for (int steps = 0; it->Valid() && it->key().compare(key) < 0; ++steps) {
      if (steps == kWalkMaxSteps) {
        it->Seek(key);
        break;
      }
      it->Next();
      ++stepped;
    }
    MESH_RETURN_IF_ERROR(FromRocks(it->status(), "get"));
    if (it->Valid() && it->key() == key) (*out)[i].emplace(it->value().data(), it->value().size());
    if (i + 1 < n && i + 1 >= kWalkMinKeys / 2 && stepped > kWalkSparseRatio * (i + 1)) {
      // Sparse: the rest by MultiGet.
      std::vector<std::optional<std::string>> rest;
      MESH_RETURN_IF_ERROR(MultiGet(db, ro, keys.subspan(i + 1), &rest));
      for (size_t j = 0; j < rest.size(); ++j) (*out)[i + 1 + j] = std::move(rest[j]);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

// GetMany's choice between the two (results are the same either way).
absl::Status ReadMany(rocksdb::DB* db, const rocksdb::ReadOptions& ro,
                      std::span<const std::string> keys,
                      std::vector<std::optional<std::string>>* out) {
  if (keys.size() >= kWalkMinKeys && StrictlyAscending(keys)) return WalkGet(db, ro, keys, out);
  return MultiGet(db, ro, keys, out);
}

// A pinned RocksDB snapshot; reads as RocksDbStore's with ro.snapshot set.
class RocksSnapshot final : public DurableStore {
 public:
  explicit RocksSnapshot(rocksdb::DB* db) : db_(db), snap_(db->GetSnapshot()) {}
  ~RocksSnapshot() override { db_->ReleaseSnapshot(snap_); }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap_;
    std::string value;
    rocksdb::Status s = db_->Get(ro, ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    MESH_RETURN_IF_ERROR(FromRocks(s, "get"));
    return std::optional<std::string>(std::move(value));
  }
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap_;
    return ReadMany(db_, ro, keys, out);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse) const override {
    return std::make_unique<RocksIterator>(db_, begin, end, reverse, snap_);
  }
  absl::Status Put(std::string_view, std::string_view) override { return Refuse(); }
  absl::Status Delete(std::string_view) override { return Refuse(); }
  absl::Status Write(const WriteBatch&) override { return Refuse(); }

 private:
  static absl::Status Refuse() {
    return absl::FailedPreconditionError("write to a read-only store snapshot");
  }
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const std::string& path,
                                                                 Options options) {
  rocksdb::Options ro = Tuned(options);
  if (options.statistics) ro.statistics = rocksdb::CreateDBStatistics();
  rocksdb::DB* raw = nullptr;
  MESH_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(ro, path, &raw), "open " + path));
  std::unique_ptr<RocksDbStore> store(
      new RocksDbStore(std::unique_ptr<rocksdb::DB>(raw), options));
  store->statistics_ = ro.statistics;
  return store;
}

absl::Status RocksDbStore::CompactAll() {
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  MESH_RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions()), "flush"));
  return FromRocks(db_->CompactRange(co, nullptr, nullptr), "compact");
}

RocksDbStore::ReadStats RocksDbStore::read_stats() const {
  ReadStats r;
  if (statistics_ == nullptr) return r;
  const rocksdb::Statistics& st = *statistics_;
  r.block_cache_hits = st.getTickerCount(rocksdb::BLOCK_CACHE_HIT);
  r.block_cache_misses = st.getTickerCount(rocksdb::BLOCK_CACHE_MISS);
  r.bloom_useful = st.getTickerCount(rocksdb::BLOOM_FILTER_USEFUL);
  r.memtable_hits = st.getTickerCount(rocksdb::MEMTABLE_HIT);
  r.get_hits_l0 = st.getTickerCount(rocksdb::GET_HIT_L0);
  r.get_hits_l1 = st.getTickerCount(rocksdb::GET_HIT_L1);
  r.get_hits_l2_up = st.getTickerCount(rocksdb::GET_HIT_L2_AND_UP);
  r.bytes_compacted = st.getTickerCount(rocksdb::COMPACT_WRITE_BYTES);
  return r;
}

uint64_t RocksDbStore::active_memtable_bytes() const {
  uint64_t bytes = 0;
  MESH_CHECK(db_->GetIntProperty("rocksdb.cur-size-active-mem-table", &bytes));
  return bytes;
}

RocksDbStore::RocksDbStore(std::unique_ptr<rocksdb::DB> db, Options options)
    : db_(std::move(db)), options_(options) {}

RocksDbStore::~RocksDbStore() {
  if (db_ == nullptr) return;
  // The WAL already holds every write, so nothing durable depends on this
  // flush; it empties the memtables into SST files so that the next Open
  // replays no WAL: otherwise the reopened process rebuilds up to two full
  // memtables in memory (docs/perf-history.md, "Slashing and memory"). Close()
  // reports background errors; a destructor has nowhere to send them.
  db_->Flush(rocksdb::FlushOptions()).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

absl::StatusOr<std::optional<std::string>> RocksDbStore::Get(std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  MESH_RETURN_IF_ERROR(FromRocks(s, "get"));
  return std::optional<std::string>(std::move(value));
}

absl::Status RocksDbStore::GetMany(std::span<const std::string> keys,
                                   std::vector<std::optional<std::string>>* out) const {
  return ReadMany(db_.get(), rocksdb::ReadOptions(), keys, out);
}

std::unique_ptr<KvIterator> RocksDbStore::Scan(std::string_view begin, std::string_view end,
                                               bool reverse) const {
  return std::make_unique<RocksIterator>(db_.get(), begin, end, reverse);
}

std::unique_ptr<DurableStore> RocksDbStore::Snapshot() const {
  return std::make_unique<RocksSnapshot>(db_.get());
}

absl::Status RocksDbStore::Put(std::string_view key, std::string_view value) {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  return FromRocks(db_->Put(wo, ToSlice(key), ToSlice(value)), "put");
}

absl::Status RocksDbStore::Delete(std::string_view key) {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  return FromRocks(db_->Delete(wo, ToSlice(key)), "delete");
}

absl::Status RocksDbStore::Write(const WriteBatch& batch) {
  size_t bytes = 64;
  batch.ForEachOp([&bytes](const WriteBatch::Op& op) {
    bytes += op.first.size() + (op.second.has_value() ? op.second->size() : 0) + 16;
  });
  rocksdb::WriteBatch wb(bytes);  // one allocation for the whole block
  rocksdb::Status added;
  batch.ForEachOp(
      [&](const WriteBatch::Op& op) {
        added = op.second.has_value() ? wb.Put(op.first, *op.second) : wb.Delete(op.first);
        return added.ok();
      },
      WriteBatch::PrefetchBytes);
  MESH_RETURN_IF_ERROR(FromRocks(added, "batch"));
  // A batch of half a memtable or more (a slash block's: every user's keys)
  // goes into a fresh memtable: written in key order into an empty skip
  // list, each insert lands where the one before it did, where among the
  // memtable's earlier keys each would search the list, cold (most of such
  // a write's time). The memtable it replaces is flushed in the background,
  // as it would be right after the batch filled it. One of under a quarter
  // of the buffer is kept (its list is small enough to search warm, and
  // flushing it would leave a small SST file for compaction to merge; the
  // memtable's size counts its arena blocks, an eighth of an 8 MiB buffer
  // each, so a memtable holding one key counts one block).
  if (bytes >= options_.write_buffer_bytes / 2 &&
      active_memtable_bytes() >= options_.write_buffer_bytes / 4) {
    rocksdb::FlushOptions fo;
    fo.wait = false;
    fo.allow_write_stall = true;
    MESH_RETURN_IF_ERROR(FromRocks(db_->Flush(fo), "memtable switch"));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  return FromRocks(db_->Write(wo, &wb), "write");
}

}  // namespace mesh
