// The chain's own state cache keeps scan results until a write reaches
// their range (node/state_cache.h, class comment: "Scans of the chain's own
// cache").
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/kv.h"
#include "core/stepping_iterator.h"
#include "gtest/gtest.h"
#include "node/state_cache.h"

namespace mesh::node {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// A MemStore counting the scans that reach it.
class CountingStore : public DurableStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_.Get(key);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view b, std::string_view e,
                                   bool reverse) const override {
    ++scans_;
    return std::make_unique<SteppingIterator<int>>(inner_.Scan(b, e, reverse), &steps_);
  }
  absl::Status Put(std::string_view k, std::string_view v) override { return inner_.Put(k, v); }
  absl::Status Delete(std::string_view k) override { return inner_.Delete(k); }
  absl::Status Write(const WriteBatch& batch) override {
    if (fail_writes) return absl::UnavailableError("write failed");
    return inner_.Write(batch);
  }
  std::unique_ptr<DurableStore> Snapshot() const override { return inner_.Snapshot(); }
  bool ConcurrentReads() const override { return true; }
  int scans() const { return scans_; }
  // Entries the store's iterators stepped past (Next).
  int steps() const { return steps_; }
  const MemStore& inner() const { return inner_; }
  bool fail_writes = false;

 private:
  MemStore inner_;
  mutable int scans_ = 0;
  mutable int steps_ = 0;
};

Entries Read(const KvReader& s, std::string_view b, std::string_view e, bool reverse = false) {
  Entries out;
  std::unique_ptr<KvIterator> it = s.Scan(b, e, reverse);
  for (; it->Valid(); it->Next())
    out.emplace_back(std::string(it->key()), std::string(it->value()));
  EXPECT_TRUE(it->status().ok());
  return out;
}

struct Fixture {
  Fixture() {
    auto owned = std::make_unique<CountingStore>();
    store = owned.get();
    cache = std::make_unique<StateCache>(std::move(owned));
  }
  void Put(std::string k, std::string v) {
    WriteBatch b;
    b.Put(k, v);
    ASSERT_TRUE(cache->Consume(b).ok());
  }
  CountingStore* store = nullptr;
  std::unique_ptr<StateCache> cache;
};

TEST(StateCacheOwnScanTest, KeptCurrentThroughBatchWritesAndDroppedByOtherWrites) {
  Fixture f;
  f.Put("a1", "1");
  f.Put("a2", "2");
  f.Put("b1", "3");
  const Entries a = {{"a1", "1"}, {"a2", "2"}};
  // The first scan from a start key reads the store through (nothing kept
  // yet); the counts below start after it.
  EXPECT_EQ(Read(*f.cache, "a", "b"), a);
  const int first = f.store->scans();
  EXPECT_EQ(Read(*f.cache, "a", "b"), a);
  EXPECT_EQ(Read(*f.cache, "a", "b"), a);
  EXPECT_EQ(f.store->scans() - first, 1);
  EXPECT_EQ(f.cache->scan_hits(), 1u);
  // Writes outside [a, b), through every path, leave it as it is.
  f.Put("b2", "4");
  ASSERT_TRUE(f.cache->Put("c", "5").ok());
  ASSERT_TRUE(f.cache->Delete("b1").ok());
  WriteBatch outside;
  outside.Put("0", "x");
  ASSERT_TRUE(f.cache->Write(outside).ok());
  EXPECT_EQ(Read(*f.cache, "a", "b"), a);
  EXPECT_EQ(f.store->scans() - first, 1);
  // A shorter end with the same start is answered from it.
  EXPECT_EQ(Read(*f.cache, "a", "a2"), Entries({{"a1", "1"}}));
  EXPECT_EQ(f.store->scans() - first, 1);
  // Batch writes into the range (Consume, Write) are applied to it.
  f.Put("a3", "6");
  EXPECT_EQ(Read(*f.cache, "a", "b"), Entries({{"a1", "1"}, {"a2", "2"}, {"a3", "6"}}));
  WriteBatch inside;
  inside.Delete("a1");
  inside.Put("a2", "7");
  inside.Put("a0", "8");
  inside.Delete("a9");  // absent: nothing to remove
  ASSERT_TRUE(f.cache->Write(inside).ok());
  EXPECT_EQ(Read(*f.cache, "a", "b"), Entries({{"a0", "8"}, {"a2", "7"}, {"a3", "6"}}));
  EXPECT_EQ(f.store->scans() - first, 1);
  // A Put or Delete into it drops it.
  ASSERT_TRUE(f.cache->Put("a2", "9").ok());
  EXPECT_EQ(Read(*f.cache, "a", "b"), Entries({{"a0", "8"}, {"a2", "9"}, {"a3", "6"}}));
  EXPECT_EQ(f.store->scans() - first, 2);
  ASSERT_TRUE(f.cache->Delete("a3").ok());
  EXPECT_EQ(Read(*f.cache, "a", "b"), Entries({{"a0", "8"}, {"a2", "9"}}));
  EXPECT_EQ(f.store->scans() - first, 3);
  // So does a failed batch write (Write or Consume) into it.
  for (int consume = 0; consume < 2; ++consume) {
    f.store->fail_writes = true;
    WriteBatch failed;
    failed.Put("a5", "10");
    EXPECT_FALSE((consume ? f.cache->Consume(failed) : f.cache->Write(failed)).ok());
    f.store->fail_writes = false;
    EXPECT_EQ(Read(*f.cache, "a", "b"), Entries({{"a0", "8"}, {"a2", "9"}}));
    EXPECT_EQ(f.store->scans() - first, 4 + consume);
  }
  // A longer end than the kept range reads the store; reverse scans always do.
  EXPECT_EQ(Read(*f.cache, "a", "c"), Entries({{"a0", "8"}, {"a2", "9"}, {"b2", "4"}}));
  EXPECT_EQ(f.store->scans() - first, 6);
  EXPECT_EQ(Read(*f.cache, "a", "c", true), Entries({{"b2", "4"}, {"a2", "9"}, {"a0", "8"}}));
  EXPECT_EQ(Read(*f.cache, "a", "c", true), Entries({{"b2", "4"}, {"a2", "9"}, {"a0", "8"}}));
  EXPECT_EQ(f.store->scans() - first, 8);
}

// A scan from a prefix up to a point inside it (a queue up to the block's
// time) keeps the range up to the prefix's next key: a later scan up to a
// later point is answered from it.
TEST(StateCacheOwnScanTest, QueueScanUpToNowReachesTheNextKey) {
  Fixture f;
  f.Put("q05", "a");
  f.Put("q20", "b");
  f.Put("r00", "c");
  // The first scan from a start key reads the store through (nothing kept
  // yet); the counts below start after it.
  EXPECT_EQ(Read(*f.cache, "q", "q01"), Entries());
  const int first = f.store->scans();
  EXPECT_EQ(Read(*f.cache, "q", "q10"), Entries({{"q05", "a"}}));
  EXPECT_EQ(f.store->scans() - first, 1);
  EXPECT_EQ(Read(*f.cache, "q", "q15"), Entries({{"q05", "a"}}));
  EXPECT_EQ(Read(*f.cache, "q", "q20"), Entries({{"q05", "a"}}));
  EXPECT_EQ(Read(*f.cache, "q", "q1"), Entries({{"q05", "a"}}));
  EXPECT_EQ(Read(*f.cache, "q", "q0"), Entries());
  EXPECT_EQ(f.store->scans() - first, 1);
  // Past the next key: the store is read, and the range now reaches the
  // prefix's end (no later key in it).
  EXPECT_EQ(Read(*f.cache, "q", "q25"), Entries({{"q05", "a"}, {"q20", "b"}}));
  EXPECT_EQ(f.store->scans() - first, 2);
  EXPECT_EQ(Read(*f.cache, "q", "q99"), Entries({{"q05", "a"}, {"q20", "b"}}));
  // Keys a block adds anywhere in the kept range are applied to it.
  f.Put("q50", "d");
  f.Put("q12", "e");
  EXPECT_EQ(Read(*f.cache, "q", "q99"),
            Entries({{"q05", "a"}, {"q12", "e"}, {"q20", "b"}, {"q50", "d"}}));
  EXPECT_EQ(Read(*f.cache, "q", "q15"), Entries({{"q05", "a"}, {"q12", "e"}}));
  EXPECT_EQ(f.store->scans() - first, 2);
  // A range kept up to the next key takes a key added between the scan's
  // end and that key.
  ASSERT_TRUE(f.cache->Put("q13", "f").ok());  // drops the kept range
  EXPECT_EQ(Read(*f.cache, "q", "q125"), Entries({{"q05", "a"}, {"q12", "e"}}));
  EXPECT_EQ(f.store->scans() - first, 3);
  f.Put("q126", "g");
  EXPECT_EQ(Read(*f.cache, "q", "q125"), Entries({{"q05", "a"}, {"q12", "e"}}));
  EXPECT_EQ(Read(*f.cache, "q", "q13"), Entries({{"q05", "a"}, {"q12", "e"}, {"q126", "g"}}));
  EXPECT_EQ(f.store->scans() - first, 3);
}

// A kept result that a batch grows past kMaxCachedScanEntries is dropped;
// the scan then reads the store through.
TEST(StateCacheOwnScanTest, ResultGrownPastTheBoundIsDropped) {
  Fixture f;
  auto key = [](size_t i) {
    char k[16];
    std::snprintf(k, sizeof(k), "k%06zu", i);
    return std::string(k);
  };
  WriteBatch batch;
  for (size_t i = 0; i < StateCache::kMaxCachedScanEntries; ++i) batch.Put(key(2 * i), "v");
  ASSERT_TRUE(f.cache->Consume(batch).ok());
  // The first scan from a start key reads the store through (nothing kept
  // yet); the counts below start after it.
  EXPECT_EQ(Read(*f.cache, "k", "l").size(), StateCache::kMaxCachedScanEntries);
  const int first = f.store->scans();
  EXPECT_EQ(Read(*f.cache, "k", "l").size(), StateCache::kMaxCachedScanEntries);
  EXPECT_EQ(Read(*f.cache, "k", "l").size(), StateCache::kMaxCachedScanEntries);
  EXPECT_EQ(f.store->scans() - first, 1);
  f.Put(key(1), "w");
  EXPECT_EQ(Read(*f.cache, "k", "l").size(), StateCache::kMaxCachedScanEntries + 1);
  EXPECT_EQ(Read(*f.cache, "k", "l").size(), StateCache::kMaxCachedScanEntries + 1);
  EXPECT_EQ(f.store->scans() - first, 3);
}

// A batch writing more than kMaxMergedOps keys of a kept range drops it (a
// channel's sent packets: rebuilding the list costs more than reading it);
// up to that many are applied.
TEST(StateCacheOwnScanTest, RangeABatchWritesMuchOfIsReadAgain) {
  Fixture f;
  auto batch_of = [](size_t from, size_t n) {
    WriteBatch b;
    for (size_t i = from; i < from + n; ++i) b.Put("p" + std::to_string(100 + i), "v");
    return b;
  };
  WriteBatch first = batch_of(0, 4);
  ASSERT_TRUE(f.cache->Consume(first).ok());
  // The first scan from a start key reads the store through (nothing kept
  // yet); the counts below start after it.
  EXPECT_EQ(Read(*f.cache, "p", "q").size(), 4u);
  const int first_scans = f.store->scans();
  EXPECT_EQ(Read(*f.cache, "p", "q").size(), 4u);
  WriteBatch small = batch_of(4, StateCache::kMaxMergedOps);
  ASSERT_TRUE(f.cache->Consume(small).ok());
  EXPECT_EQ(Read(*f.cache, "p", "q").size(), 4 + StateCache::kMaxMergedOps);
  EXPECT_EQ(f.store->scans() - first_scans, 1);
  WriteBatch large = batch_of(100, StateCache::kMaxMergedOps + 1);
  ASSERT_TRUE(f.cache->Consume(large).ok());
  EXPECT_EQ(Read(*f.cache, "p", "q").size(), 4 + 2 * StateCache::kMaxMergedOps + 1);
  EXPECT_EQ(f.store->scans() - first_scans, 2);
}

// A scan longer than kMaxCachedScanEntries is read through from the store
// each time (never kept), and still ends at its end.
TEST(StateCacheOwnScanTest, LongScansAreReadThrough) {
  Fixture f;
  WriteBatch batch;
  const size_t n = StateCache::kMaxCachedScanEntries + 10;
  for (size_t i = 0; i < n + 5; ++i) {
    char k[16];
    std::snprintf(k, sizeof(k), "k%06zu", i);
    batch.Put(k, "v");
  }
  ASSERT_TRUE(f.cache->Consume(batch).ok());
  char end[16];
  std::snprintf(end, sizeof(end), "k%06zu", n);
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ(Read(*f.cache, "k", end).size(), n);  // up to a point inside "k"
    EXPECT_EQ(Read(*f.cache, "k", "l").size(), n + 5);
  }
  // Four scans: the second read ahead to keep the range and, finding it too
  // long, read the rest from where it stood; the next two read through.
  EXPECT_EQ(f.store->scans(), 4);
  EXPECT_EQ(f.cache->scan_hits(), 0u);
}

// A block that reads the head of a long range and stops (the consumer's
// oldest block time) reads the bound's entries ahead once, finds the range
// too long to keep, and then reads only what it reads, until after
// kLongScanReadThroughs scans it tries to keep the range again (kept now
// that it is short).
TEST(StateCacheOwnScanTest, ARangeFoundTooLongIsReadThroughForAWhile) {
  Fixture f;
  WriteBatch batch;
  const size_t n = StateCache::kMaxCachedScanEntries + 10;
  for (size_t i = 0; i < n; ++i) {
    char k[16];
    std::snprintf(k, sizeof(k), "k%06zu", i);
    batch.Put(k, "v");
  }
  ASSERT_TRUE(f.cache->Consume(batch).ok());
  auto head = [&] {
    std::unique_ptr<KvIterator> it = f.cache->Scan("k", "l");
    EXPECT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), "k000000");
  };
  head();  // the first scan from "k" reads through
  EXPECT_EQ(f.store->steps(), 0);
  head();  // the second reads ahead to keep the range and finds it too long
  EXPECT_EQ(f.store->steps(), static_cast<int>(StateCache::kMaxCachedScanEntries));
  const int ahead = f.store->steps();
  for (uint32_t i = 1; i < StateCache::kLongScanReadThroughs; ++i) {
    head();
    f.Put("x", "y");  // a write outside the range
  }
  EXPECT_EQ(f.store->steps(), ahead);  // read through: no entry stepped past
  // Shortened to fewer than the bound's entries (read through, an untimed
  // write), the range is kept at the next try.
  WriteBatch prune;
  for (size_t i = 0; i < 20; ++i) {
    char k[16];
    std::snprintf(k, sizeof(k), "k%06zu", i);
    prune.Delete(k);
  }
  ASSERT_TRUE(f.cache->Consume(prune).ok());
  EXPECT_EQ(Read(*f.cache, "k", "l").size(), n - 20);  // tried again: kept
  const int scans = f.store->scans();
  EXPECT_EQ(Read(*f.cache, "k", "l").size(), n - 20);
  EXPECT_EQ(f.store->scans(), scans);
  EXPECT_EQ(f.cache->scan_hits(), 1u);
}

// Random writes (every path) and random forward and reverse scans over a
// small key space with prefixes: every scan equals the store's, and some
// are answered from kept results.
TEST(StateCacheOwnScanTest, RandomScansReadTheStoresEntries) {
  Fixture f;
  uint64_t x = 99;
  auto next = [&x](uint64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % n;
  };
  auto key = [&] {
    return std::string(1, static_cast<char>('a' + next(3))) + std::to_string(next(30));
  };
  for (int op = 0; op < 20000; ++op) {
    const uint64_t kind = next(10);
    if (kind < 4) {
      auto table = [&] { return std::string(1, static_cast<char>('a' + next(3))); };
      std::string b, e;
      switch (next(5)) {
        case 0:  // a prefix up to a point inside it
          b = table();
          e = b + std::to_string(next(30));
          break;
        case 1:  // a whole prefix
          b = table();
          e = std::string(1, static_cast<char>(b[0] + 1));
          break;
        case 2:  // from a key on
          b = key();
          break;
        case 3:
          b = key();
          e = key();
          break;
        default:  // from the start
          e = key();
          break;
      }
      const bool reverse = next(4) == 0;
      ASSERT_EQ(Read(*f.cache, b, e, reverse), Read(f.store->inner(), b, e, reverse))
          << "op " << op << " [" << b << ", " << e << ")";
    } else if (kind < 7) {
      WriteBatch batch;
      for (uint64_t i = 0, n = 1 + next(3); i < n; ++i) {
        if (next(3) == 0) {
          batch.Delete(key());
        } else {
          batch.Put(key(), std::to_string(op));
        }
      }
      ASSERT_TRUE((op % 2 == 0 ? f.cache->Consume(batch) : f.cache->Write(batch)).ok());
    } else if (kind < 9) {
      ASSERT_TRUE(f.cache->Put(key(), std::to_string(op)).ok());
    } else {
      ASSERT_TRUE(f.cache->Delete(key()).ok());
    }
  }
  EXPECT_GT(f.cache->scan_hits(), 200u);
}

}  // namespace
}  // namespace mesh::node
