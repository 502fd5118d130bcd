// Pieces shared by the RocksDB benchmarks (headline_bench, headline2_bench,
// slash_bench): a self-removing temp directory, a store that records one
// block's write batch (for the same-run write ceilings), and seconds of a
// steady_clock duration. Benchmark code only; never linked into the engine.
#ifndef MESHSEC_BENCH_BENCH_UTIL_H_
#define MESHSEC_BENCH_BENCH_UTIL_H_

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/kv.h"
#include "core/rocksdb_store.h"

namespace mesh::benchutil {

inline double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// <system temp dir>/mesh_<prefix>_<pid>_<name>, created empty and removed
// with its contents.
class TempDir {
 public:
  TempDir(const std::string& prefix, const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              absl::StrCat("mesh_", prefix, "_", getpid(), "_", name)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Forwards to a RocksDbStore; keeps a copy of the next block write batch
// when asked (outside timed regions only).
class RecordingStore : public DurableStore {
 public:
  explicit RecordingStore(std::unique_ptr<RocksDbStore> inner) : inner_(std::move(inner)) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_->Get(key);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view b, std::string_view e,
                                   bool reverse) const override {
    return inner_->Scan(b, e, reverse);
  }
  absl::Status Put(std::string_view k, std::string_view v) override { return inner_->Put(k, v); }
  absl::Status Delete(std::string_view k) override { return inner_->Delete(k); }
  absl::Status Write(const WriteBatch& batch) override {
    if (record_next_) {
      recorded_ = batch;
      record_next_ = false;
    }
    return inner_->Write(batch);
  }
  void RecordNextWrite() { record_next_ = true; }
  const WriteBatch& recorded() const { return recorded_; }
  RocksDbStore* rocks() const { return inner_.get(); }

 private:
  std::unique_ptr<RocksDbStore> inner_;
  bool record_next_ = false;
  WriteBatch recorded_;
};

}  // namespace mesh::benchutil

#endif  // MESHSEC_BENCH_BENCH_UTIL_H_
