#include "node/pipelined_store.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/codec.h"
#include "core/rocksdb_store.h"
#include "gtest/gtest.h"
#include "node/chain.h"

namespace mesh::node {
namespace {

// A MemStore whose Write blocks until the test opens the gate, and may
// fail. Reads take the same lock as the write's apply, so they may run on
// other threads while a Write waits (ReadsDuringWrite).
class GatedStore : public DurableStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return inner_.Get(key);
  }
  // The entries are copied out under the lock (a test's scans are small).
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto copy = std::make_unique<MemStore>();
    for (auto it = inner_.Scan(begin, end, reverse); it->Valid(); it->Next()) {
      EXPECT_TRUE(copy->Put(it->key(), it->value()).ok());
    }
    auto* raw = copy.get();
    copies_.push_back(std::move(copy));
    return raw->Scan(begin, end, reverse);
  }
  absl::Status Put(std::string_view k, std::string_view v) override {
    std::lock_guard<std::mutex> lock(mu_);
    return inner_.Put(k, v);
  }
  absl::Status Delete(std::string_view k) override {
    std::lock_guard<std::mutex> lock(mu_);
    return inner_.Delete(k);
  }
  absl::Status Write(const WriteBatch& batch) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_ > 0; });
    --open_;
    --waiting_;
    if (fail_) return absl::UnavailableError("disk gone");
    return inner_.Write(batch);
  }
  std::unique_ptr<DurableStore> Snapshot() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return inner_.Snapshot();
  }
  bool ConcurrentReads() const override { return true; }
  bool ReadsDuringWrite() const override { return true; }

  // Lets one Write through.
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    ++open_;
    cv_.notify_all();
  }
  // Waits until a Write has started and is held at the gate.
  void AwaitWriter() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return waiting_ > 0; });
  }
  void FailWrites() {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = true;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return inner_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  MemStore inner_;
  int open_ = 0;
  int waiting_ = 0;
  bool fail_ = false;
  mutable std::vector<std::unique_ptr<MemStore>> copies_;
};

std::vector<std::string> Keys(const KvReader& r) {
  std::vector<std::string> keys;
  for (auto it = r.Scan("", ""); it->Valid(); it->Next()) keys.emplace_back(it->key());
  return keys;
}

std::optional<std::string> Value(const KvReader& r, std::string_view key) {
  auto v = r.Get(key);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : std::nullopt;
}

// While the writer is held at the gate, the batch is not in the store yet,
// yet every read through the pipeline — Get, Scan both ways, a snapshot —
// sees it (puts over old values, deletes hiding keys); once it is written
// the same reads give the same answers, and the snapshot stays pinned.
TEST(PipelinedStoreTest, ReadsSeeTheBatchInFlightAsIfWritten) {
  auto owned = std::make_unique<GatedStore>();
  GatedStore* gate = owned.get();
  ASSERT_TRUE(gate->Put("a", "1").ok());
  ASSERT_TRUE(gate->Put("b", "2").ok());
  ASSERT_TRUE(gate->Put("d", "4").ok());
  PipelinedStore store(std::move(owned));

  WriteBatch batch;
  batch.Put("b", "20");
  batch.Delete("d");
  batch.Put("c", "3");
  ASSERT_TRUE(store.Consume(batch).ok());
  EXPECT_TRUE(batch.empty());
  gate->AwaitWriter();
  EXPECT_EQ(Value(*gate, "b"), "2");  // not written yet
  EXPECT_EQ(gate->size(), 3u);

  const std::vector<std::string> after = {"a", "b", "c"};
  EXPECT_EQ(Value(store, "a"), "1");
  EXPECT_EQ(Value(store, "b"), "20");
  EXPECT_EQ(Value(store, "c"), "3");
  EXPECT_EQ(Value(store, "d"), std::nullopt);
  EXPECT_EQ(Keys(store), after);
  std::vector<std::string> reversed;
  for (auto it = store.Scan("", "", /*reverse=*/true); it->Valid(); it->Next()) {
    reversed.emplace_back(std::string(it->key()) + "=" + std::string(it->value()));
  }
  EXPECT_EQ(reversed, (std::vector<std::string>{"c=3", "b=20", "a=1"}));
  std::unique_ptr<DurableStore> view = store.Snapshot();
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(Keys(*view), after);
  EXPECT_EQ(Value(*view, "b"), "20");
  EXPECT_FALSE(view->Put("x", "y").ok());

  gate->Open();
  ASSERT_TRUE(store.Flush().ok());
  EXPECT_EQ(store.writes(), 1u);
  EXPECT_EQ(Value(*gate, "b"), "20");
  EXPECT_EQ(Value(*gate, "d"), std::nullopt);
  EXPECT_EQ(Keys(store), after);
  EXPECT_EQ(Value(store, "b"), "20");

  // A later batch does not reach the earlier snapshot.
  WriteBatch next;
  next.Put("a", "10");
  ASSERT_TRUE(store.Consume(next).ok());
  gate->Open();
  ASSERT_TRUE(store.Flush().ok());
  EXPECT_EQ(Value(store, "a"), "10");
  EXPECT_EQ(Value(*view, "a"), "1");
}

// A view taken while a batch is in flight reads it on top of its snapshot;
// once the batch is written the view is moved to a snapshot taken right
// after the write (so a kept view does not hold the batch), and reads the
// same: an iterator opened before the move finishes on what it started on,
// and later writes do not reach the view.
TEST(PipelinedStoreTest, ViewTakenInFlightMovesOffItsBatchOnceWritten) {
  auto owned = std::make_unique<GatedStore>();
  GatedStore* gate = owned.get();
  ASSERT_TRUE(gate->Put("a", "1").ok());
  PipelinedStore store(std::move(owned));
  WriteBatch batch;
  batch.Put("a", "2");
  batch.Put("b", "3");
  ASSERT_TRUE(store.Consume(batch).ok());
  gate->AwaitWriter();
  std::unique_ptr<DurableStore> view = store.Snapshot();
  ASSERT_NE(view, nullptr);
  std::unique_ptr<KvIterator> early = view->Scan("", "");
  ASSERT_TRUE(early->Valid());
  EXPECT_EQ(early->key(), "a");
  EXPECT_EQ(early->value(), "2");
  EXPECT_EQ(store.moved_views(), 0u);
  gate->Open();
  ASSERT_TRUE(store.Flush().ok());
  EXPECT_EQ(store.moved_views(), 1u);
  early->Next();
  ASSERT_TRUE(early->Valid());
  EXPECT_EQ(early->key(), "b");
  EXPECT_EQ(early->value(), "3");
  early->Next();
  EXPECT_FALSE(early->Valid());
  early.reset();
  EXPECT_EQ(Value(*view, "a"), "2");
  EXPECT_EQ(Value(*view, "b"), "3");
  EXPECT_EQ(Keys(*view), (std::vector<std::string>{"a", "b"}));
  WriteBatch later;
  later.Put("a", "9");
  later.Delete("b");
  ASSERT_TRUE(store.Consume(later).ok());
  gate->Open();
  ASSERT_TRUE(store.Flush().ok());
  EXPECT_EQ(store.moved_views(), 1u);  // no view was taken during that write
  EXPECT_EQ(Value(*view, "a"), "2");
  EXPECT_EQ(Value(*view, "b"), "3");
  EXPECT_EQ(Value(store, "a"), "9");
}

// One write in flight at a time: the next Consume waits for the previous
// write, then queues its own; the writes reach the store in order.
TEST(PipelinedStoreTest, NextConsumeWaitsForThePreviousWrite) {
  auto owned = std::make_unique<GatedStore>();
  GatedStore* gate = owned.get();
  PipelinedStore store(std::move(owned));
  WriteBatch one;
  one.Put("k", "1");
  ASSERT_TRUE(store.Consume(one).ok());
  gate->AwaitWriter();
  std::thread opener([gate] { gate->Open(); });  // releases the first write
  WriteBatch two;
  two.Put("k", "2");
  ASSERT_TRUE(store.Consume(two).ok());  // returned only after the first write
  opener.join();
  EXPECT_EQ(store.writes(), 1u);
  EXPECT_EQ(Value(store, "k"), "2");
  gate->Open();
  ASSERT_TRUE(store.Flush().ok());
  EXPECT_EQ(store.writes(), 2u);
  EXPECT_EQ(Value(*gate, "k"), "2");
}

// A failed write is kept: its batch stays visible (the chain's state is
// what it committed), the next Consume refuses with the error and leaves its
// batch unchanged, and Flush, Put and Write return it too. The writer does
// not retry.
TEST(PipelinedStoreTest, FailedWriteHaltsLaterWritesAndStaysVisible) {
  auto owned = std::make_unique<GatedStore>();
  GatedStore* gate = owned.get();
  PipelinedStore store(std::move(owned));
  gate->FailWrites();
  WriteBatch one;
  one.Put("k", "1");
  ASSERT_TRUE(store.Consume(one).ok());
  gate->Open();
  absl::Status flushed = store.Flush();
  EXPECT_EQ(flushed.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(flushed.message().find("the write of a committed block failed: disk gone"),
            std::string::npos)
      << flushed;
  EXPECT_EQ(Value(store, "k"), "1");
  EXPECT_EQ(Value(*gate, "k"), std::nullopt);
  WriteBatch two;
  two.Put("k", "2");
  EXPECT_EQ(store.Consume(two).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(two.size(), 1u);
  EXPECT_EQ(store.Put("x", "y").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.Write(two).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.writes(), 1u);
}

// Readers on other threads take snapshots and read while 300 batches are
// written through a RocksDB store: every snapshot is one whole block (block
// h writes "h" = h, adds "k<h>" and deletes "k<h-2>"), at least the last
// one queued when it was taken (in flight or not), before and after the
// writer moves it off its batch.
TEST(PipelinedStoreTest, ConcurrentSnapshotsAreWholeBlocksOnRocksDb) {
  const std::string dir = ::testing::TempDir() + "/pipelined_concurrent_test";
  std::filesystem::remove_all(dir);
  auto rocks = RocksDbStore::Open(dir);
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  PipelinedStore store(std::move(*rocks));
  const auto k = [](uint64_t h) { return Encoder(0x01).U64(h).Take(); };
  // The block a view shows, or a description of what is wrong with it.
  const auto check = [&](const KvReader& r) -> std::string {
    auto raw = r.Get("h");
    if (!raw.ok()) return raw.status().ToString();
    if (!raw->has_value()) return "";
    const uint64_t h = std::stoull(**raw);
    std::vector<uint64_t> keys;
    for (auto it = r.ScanPrefix(Encoder(0x01).Take()); it->Valid(); it->Next()) {
      Decoder d(it->key().substr(1));
      keys.push_back(d.U64().value());
    }
    std::vector<uint64_t> want;
    for (uint64_t i = h >= 1 ? h - 1 : 0; i <= h; ++i) {
      if (i >= 1) want.push_back(i);
    }
    if (keys != want) return "block " + std::to_string(h) + " shows a wrong key set";
    return "";
  };
  std::atomic<bool> done{false};
  std::atomic<int> views{0};
  std::atomic<uint64_t> queued{0};  // the last block Consume returned for
  std::vector<std::string> errors(2);
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::vector<std::unique_ptr<DurableStore>> kept;
      while (!done.load() && errors[t].empty()) {
        const uint64_t least = queued.load();
        std::unique_ptr<DurableStore> view = store.Snapshot();
        errors[t] = check(*view);
        auto shown = view->Get("h");
        const uint64_t h = shown.ok() && shown->has_value() ? std::stoull(**shown) : 0;
        if (errors[t].empty() && h < least) {
          errors[t] = "snapshot shows block " + std::to_string(h) + " after block " +
                      std::to_string(least) + " was queued";
        }
        kept.push_back(std::move(view));
        if (kept.size() > 8) {  // re-read an older view (possibly moved since)
          if (errors[t].empty()) errors[t] = check(*kept.front());
          kept.erase(kept.begin());
        }
        ++views;
      }
    });
  }
  for (uint64_t h = 1; h <= 300; ++h) {
    WriteBatch b;
    b.Put("h", std::to_string(h));
    b.Put(k(h), "v");
    if (h >= 3) b.Delete(k(h - 2));
    for (int i = 0; i < 50; ++i) b.Put(Encoder(0x02).U64(h).U64(i).Take(), std::string(100, 'x'));
    ASSERT_TRUE(store.Consume(b).ok());
    queued = h;
  }
  ASSERT_TRUE(store.Flush().ok());
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  EXPECT_GT(views.load(), 0);
  EXPECT_EQ(check(store), "");
  EXPECT_EQ(Value(store, "h"), "300");
  std::filesystem::remove_all(dir);
}

constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;

// The same 40 blocks of puts and deletes (each block also scans and reads
// what the previous block wrote, while that block's write may still be in
// flight) on a RocksDB chain with and without a pipelined commit: the same
// reads and app hash after every block; after the pipelined chain is
// destroyed without a Flush, every block is on disk.
TEST(PipelinedStoreTest, PipelinedChainMatchesSynchronousChainAndPersistsOnClose) {
  const std::string base = ::testing::TempDir() + "/pipelined_chain_test";
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  auto open = [&](const std::string& name, bool pipelined) {
    auto rocks = RocksDbStore::Open(base + "/" + name);
    EXPECT_TRUE(rocks.ok()) << rocks.status();
    ChainConfig config;
    config.chain_id = "pipe-1";
    config.pipelined_commit = pipelined;
    auto chain = Chain::Open(std::move(*rocks), config);
    EXPECT_TRUE(chain.ok()) << chain.status();
    return *std::move(chain);
  };
  std::unique_ptr<Chain> piped = open("piped", true);
  std::unique_ptr<Chain> plain = open("plain", false);
  EXPECT_TRUE(piped->pipelined());
  EXPECT_FALSE(plain->pipelined());
  const auto key = [](int i) { return Encoder(0xF1).U64(i % 17).Take(); };
  Hash256 last{};
  for (int h = 1; h <= 40; ++h) {
    std::vector<std::string> seen[2];
    Chain* chains[2] = {piped.get(), plain.get()};
    for (int c = 0; c < 2; ++c) {
      Chain& chain = *chains[c];
      ASSERT_TRUE(chain.BeginBlock(kT0 + h * kNanosPerSecond).ok());
      ASSERT_TRUE(chain
                      .RunAtomic([&](const Context& ctx) -> absl::Status {
                        for (auto it = ctx.store().ScanPrefix(Encoder(0xF1).Take()); it->Valid();
                             it->Next()) {
                          seen[c].emplace_back(std::string(it->key()) + "=" +
                                               std::string(it->value()));
                        }
                        auto v = ctx.store().Get(key(h - 1));
                        if (!v.ok()) return v.status();
                        seen[c].push_back(v->value_or("-"));
                        for (int i = h; i < h + 5; ++i) {
                          absl::Status s = (i + h) % 3 == 0
                                               ? ctx.store().Delete(key(i))
                                               : ctx.store().Put(key(i), std::to_string(h * i));
                          if (!s.ok()) return s;
                        }
                        return absl::OkStatus();
                      })
                      .ok());
      ASSERT_TRUE(chain.EndBlock().ok());
      ASSERT_TRUE(chain.Commit().ok());
    }
    ASSERT_EQ(seen[0], seen[1]) << "block " << h;
    ASSERT_EQ(piped->app_hash(), plain->app_hash()) << "block " << h;
    last = piped->app_hash();
  }
  piped.reset();  // no Flush: the destructor waits for the last write
  std::unique_ptr<Chain> reopened = open("piped", false);
  EXPECT_EQ(reopened->height(), 40u);
  EXPECT_EQ(reopened->app_hash(), last);
  reopened.reset();
  plain.reset();
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace mesh::node
