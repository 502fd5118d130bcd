// Pieces shared by the RocksDB benchmarks (headline_bench, headline2_bench,
// slash_bench): a self-removing temp directory, a store that records one
// block's write batch, the two same-run ceilings (signature verification on
// all cores, RocksDB write-batch rate), and the setups shared by the cases of
// one size. Benchmark code only; never linked into the engine.
#ifndef MESHSEC_BENCH_BENCH_UTIL_H_
#define MESHSEC_BENCH_BENCH_UTIL_H_

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/kv.h"
#include "core/crypto.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "node/parallel_verify.h"
#include "node/tx.h"

namespace mesh::benchutil {

// With MESH_PERF_CTL=<fifo> (perf record --control fifo:<fifo> -D -1), a
// benchmark has the profiler sample only its timed work: "enable\n" before
// it, "disable\n" after.
inline void PerfControl(const char* command) {
  const char* fifo = std::getenv("MESH_PERF_CTL");
  if (fifo == nullptr) return;
  FILE* f = std::fopen(fifo, "w");
  if (f == nullptr) return;
  std::fputs(command, f);
  std::fclose(f);
}

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
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override {
    return inner_->GetMany(keys, out);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view b, std::string_view e,
                                   bool reverse) const override {
    return inner_->Scan(b, e, reverse);
  }
  absl::Status Put(std::string_view k, std::string_view v) override { return inner_->Put(k, v); }
  absl::Status Delete(std::string_view k) override { return inner_->Delete(k); }
  // On the chain's writer thread when its commits are pipelined: the
  // recording is guarded, and read after the chain's Flush.
  absl::Status Write(const WriteBatch& batch) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (record_next_) {
        recorded_ = batch;
        record_next_ = false;
      }
    }
    return inner_->Write(batch);
  }
  // A synchronous commit (no PipelinedStore) hands its batch over here: the
  // recorded batch is taken by move, so recording adds no copy to a timed
  // commit (the batch is freed later, when the recording is replaced).
  absl::Status Consume(WriteBatch& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!record_next_) return inner_->Consume(batch);
    MESH_RETURN_IF_ERROR(inner_->Write(batch));
    recorded_ = std::move(batch);
    batch.Clear();
    record_next_ = false;
    return absl::OkStatus();
  }
  bool ConcurrentReads() const override { return inner_->ConcurrentReads(); }
  bool ReadsDuringWrite() const override { return inner_->ReadsDuringWrite(); }
  void RecordNextWrite() {
    std::lock_guard<std::mutex> lock(mu_);
    record_next_ = true;
  }
  // REQUIRES: the chain was flushed (node::Chain::Flush) since the write.
  WriteBatch recorded() const {
    std::lock_guard<std::mutex> lock(mu_);
    return recorded_;
  }
  RocksDbStore* rocks() const { return inner_.get(); }

 private:
  mutable std::mutex mu_;
  std::unique_ptr<RocksDbStore> inner_;
  bool record_next_ = false;
  WriteBatch recorded_;
};

// A ChainSpec::open_store (tests/harness/network.h): a RecordingStore over
// RocksDB at `path`, opened with `options`; `*slot` points at it once open.
inline std::function<absl::StatusOr<std::unique_ptr<DurableStore>>()> OpenRecordingStore(
    std::string path, RecordingStore** slot, RocksDbStore::Options options = {}) {
  return [path = std::move(path), slot,
          options]() -> absl::StatusOr<std::unique_ptr<DurableStore>> {
    MESH_ASSIGN_OR_RETURN(std::unique_ptr<RocksDbStore> rocks, RocksDbStore::Open(path, options));
    auto store = std::make_unique<RecordingStore>(std::move(rocks));
    *slot = store.get();
    return std::unique_ptr<DurableStore>(std::move(store));
  };
}

// CPU seconds used by this process so far (every thread, RocksDB's too).
inline double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// Blocks of txs are signed this many at a time, untimed (the clients'
// work), so that consecutive timed blocks run back to back as on a live
// chain: a block's commit is written while the next block runs
// (node/pipelined_store.h). Before each signing pause the blocks committed
// so far are made durable inside the timed region, so no write overlaps
// untimed work; a run's last write is timed the same way.
inline constexpr int64_t kBlocksSignedAhead = 8;

// The timed loop that does so, one block per iteration: `sign()` returns a
// block's txs (untimed), `run(txs, next)` applies and commits it, `next`
// being the following block's txs when they are signed already (null
// before a signing pause: a node verifies a block ahead only while the
// current one runs, node::Chain::VerifyAhead, so none of that work falls in
// the untimed pause), `flush()` waits until every committed block is on
// disk, and `timed(work)` runs `work` and adds its time to the case's.
// Returns the blocks run.
using SignedBlock = std::shared_ptr<const std::vector<node::SignedTx>>;

// Whether the headlines hand each next block to node::Chain::VerifyAhead
// (default yes; MESH_BENCH_VERIFY_AHEAD=0 turns it off, to compare).
inline bool VerifyAheadOn() {
  const char* v = std::getenv("MESH_BENCH_VERIFY_AHEAD");
  return v == nullptr || std::string_view(v) != "0";
}

template <typename Sign, typename Run, typename Flush, typename Timed>
int64_t RunBlocksSignedAhead(benchmark::State& state, const Sign& sign, const Run& run,
                             const Flush& flush, const Timed& timed) {
  std::deque<SignedBlock> ahead;
  int64_t done = 0;
  for (auto _ : state) {
    if (ahead.empty()) {
      timed(flush);
      state.PauseTiming();  // signing is the clients' work
      const int64_t n = std::min(kBlocksSignedAhead, state.max_iterations - done);
      for (int64_t k = 0; k < n; ++k) {
        ahead.push_back(std::make_shared<const std::vector<node::SignedTx>>(sign()));
      }
      state.ResumeTiming();
    }
    const SignedBlock txs = std::move(ahead.front());
    ahead.pop_front();
    const SignedBlock next = ahead.empty() ? nullptr : ahead.front();
    timed([&] { run(*txs, next); });
    ++done;
  }
  timed(flush);
  MESH_CHECK(ahead.empty());
  return done;
}

// Each ceiling runs at least this long.
inline constexpr double kCeilingSeconds = 0.2;

// Signature checks per second of `txs` (each tx's SignBytes for `chain_id`
// and its signer's account number in `account_of`, keyed by public key) on
// every core of the shared worker pool; aborts if one fails.
inline double VerifyRate(std::string_view chain_id,
                         const std::map<std::string, uint64_t>& account_of,
                         const std::vector<node::SignedTx>& txs) {
  node::WorkerPool& pool = node::WorkerPool::Shared();
  std::vector<uint8_t> ok(txs.size());
  size_t done = 0;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration elapsed{};
  do {
    pool.ParallelFor(txs.size(), [&](size_t i) {
      const node::SignedTx& tx = txs[i];
      ok[i] = VerifySignature(tx.pubkey, tx.SignBytes(chain_id, account_of.at(tx.pubkey)),
                              tx.signature)
                  .ok();
    });
    done += txs.size();
    elapsed = std::chrono::steady_clock::now() - start;
  } while (Seconds(elapsed) < kCeilingSeconds);
  for (uint8_t v : ok) MESH_CHECK(v == 1);
  return done / Seconds(elapsed);
}

// Seconds per RocksDbStore::Write of `batch` into a fresh store with the
// default (same) options, under `dir`.
inline double SecondsPerWrite(const WriteBatch& batch, const TempDir& dir) {
  auto rocks = RocksDbStore::Open(dir.Sub("db"));
  MESH_CHECK_OK(rocks.status());
  size_t writes = 0;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration elapsed{};
  do {
    MESH_CHECK_OK((*rocks)->Write(batch));
    ++writes;
    elapsed = std::chrono::steady_clock::now() - start;
  } while (Seconds(elapsed) < kCeilingSeconds);
  return Seconds(elapsed) / writes;
}

// Seconds per forward scan of [begin, end) of `store`, every key and value
// read (their bytes summed), repeated for kCeilingSeconds. `*entries`: the
// keys one scan found.
inline double SecondsPerScan(const KvReader& store, std::string_view begin, std::string_view end,
                             size_t* entries) {
  size_t scans = 0, bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration elapsed{};
  do {
    auto it = store.Scan(begin, end);
    *entries = 0;
    for (; it->Valid(); it->Next(), ++*entries) bytes += it->key().size() + it->value().size();
    MESH_CHECK_OK(it->status());
    ++scans;
    elapsed = std::chrono::steady_clock::now() - start;
  } while (Seconds(elapsed) < kCeilingSeconds);
  benchmark::DoNotOptimize(bytes);
  return Seconds(elapsed) / scans;
}

// One `T` per size, built by `build(n)` on first use and shared by every
// case of that size. All of them are closed at exit — registered after the
// first build, so before the destructors of RocksDB's own statics
// constructed while opening (closing after them crashes).
template <typename T, typename Build>
T& SharedBySize(int n, Build build) {
  static auto* all = new std::map<int, std::unique_ptr<T>>();
  auto it = all->find(n);
  if (it == all->end()) {
    it = all->emplace(n, build(n)).first;
    std::atexit([] { all->clear(); });
  }
  return *it->second;
}

}  // namespace mesh::benchutil

#endif  // MESHSEC_BENCH_BENCH_UTIL_H_
