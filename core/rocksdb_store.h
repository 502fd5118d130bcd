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

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/kv.h"

namespace rocksdb {
class DB;
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
  };
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(const std::string& path,
                                                            Options options);
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(const std::string& path) {
    return Open(path, Options());
  }
  ~RocksDbStore() override;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  absl::Status Put(std::string_view key, std::string_view value) override;
  absl::Status Delete(std::string_view key) override;
  absl::Status Write(const WriteBatch& batch) override;
  // A RocksDB snapshot (DB::GetSnapshot), released when the view is
  // destroyed. REQUIRES: the view does not outlive this store.
  std::unique_ptr<DurableStore> Snapshot() const override;

 private:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, Options options);
  std::unique_ptr<rocksdb::DB> db_;
  Options options_;
};

}  // namespace mesh

#endif  // MESHSEC_CORE_ROCKSDB_STORE_H_
