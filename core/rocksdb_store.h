// RocksDB-backed DurableStore. The only file in the engine that includes
// RocksDB headers. Write() applies a WriteBatch as one atomic RocksDB write
// (sync'd when Options::sync is true), so a crash leaves all of a block's
// writes or none of them. Store failures map to absl codes: corruption is
// DataLoss, other I/O errors Internal (they stop block processing).
// Thread safety: the wrapper holds no mutable state, so concurrent Get/Scan
// are as safe as RocksDB's (they are); the state machine alone writes. Each
// Scan iterator reads the consistent snapshot taken when it was created.
#ifndef MESHSEC_CORE_ROCKSDB_STORE_H_
#define MESHSEC_CORE_ROCKSDB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/kv.h"

namespace rocksdb {
class DB;
class Statistics;
}

namespace mesh {

class RocksDbStore : public DurableStore {
 public:
  // Tuning (docs/benchmarks.md, "Headline 1"): block-based tables with a
  // whole-key bloom filter (point reads of absent keys skip the SST files),
  // index and filter blocks held in a shared LRU block cache, a memtable
  // bloom filter, and background flush/compaction threads sized to the
  // machine. None of them changes what is durable: every Write is one
  // atomic, WAL-logged RocksDB write, fsync'd when `sync` is set.
  struct Options {
    bool create_if_missing = true;
    bool sync = true;  // fsync each Write (block commit); also single Put/Delete
    size_t block_cache_bytes = size_t{128} << 20;
    int bloom_bits_per_key = 10;  // 0 = no bloom filter
    // The memtable's size before it is switched and flushed (RocksDB's
    // write_buffer_size; its default is 64 MiB). A chain writes one batch
    // per block into it, each key inserted into a skip list: at 64 MiB the
    // list outgrows the CPU caches, and a block's inserts were most of its
    // writer thread's time (docs/perf-history.md, "Earlier stop: a smaller memtable").
    // A single batch larger than this still goes into one memtable.
    size_t write_buffer_bytes = size_t{8} << 20;
    // Keep RocksDB's ticker statistics (small overhead; diagnosis only).
    bool statistics = false;
  };
  // Read-path counters since Open (all zero unless Options::statistics).
  struct ReadStats {
    uint64_t block_cache_hits = 0;
    uint64_t block_cache_misses = 0;
    uint64_t bloom_useful = 0;       // SST lookups a bloom filter skipped
    uint64_t memtable_hits = 0;      // Gets answered by a memtable
    uint64_t get_hits_l0 = 0;        // ... by level 0, 1, 2 and deeper
    uint64_t get_hits_l1 = 0;
    uint64_t get_hits_l2_up = 0;
    uint64_t bytes_compacted = 0;    // written by compactions
  };
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(const std::string& path,
                                                            Options options);
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(const std::string& path) {
    return Open(path, Options());
  }
  ~RocksDbStore() override;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  // One batched RocksDB MultiGet (shared index, filter and block lookups).
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  absl::Status Put(std::string_view key, std::string_view value) override;
  absl::Status Delete(std::string_view key) override;
  absl::Status Write(const WriteBatch& batch) override;
  // A RocksDB snapshot (DB::GetSnapshot), released when the view is
  // destroyed. REQUIRES: the view does not outlive this store.
  std::unique_ptr<DurableStore> Snapshot() const override;
  bool ConcurrentReads() const override { return true; }  // DB::Get is thread-safe
  // A write is atomic to readers (sequence numbers); DB is thread-safe.
  bool ReadsDuringWrite() const override { return true; }
  // Compacts the whole key range to the last level now (blocking). The
  // engine never calls it; benchmarks do after their setup so that the
  // compaction of the setup's writes does not run during timed blocks.
  absl::Status CompactAll();
  ReadStats read_stats() const;
  // Bytes in the memtable that takes writes now (RocksDB's
  // "rocksdb.cur-size-active-mem-table"): at most about
  // Options::write_buffer_bytes plus the last batch, as the memtable is
  // switched for a fresh one once full.
  uint64_t active_memtable_bytes() const;

 private:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, Options options);
  std::unique_ptr<rocksdb::DB> db_;
  Options options_;
  std::shared_ptr<rocksdb::Statistics> statistics_;  // null unless Options::statistics
};

}  // namespace mesh

#endif  // MESHSEC_CORE_ROCKSDB_STORE_H_
