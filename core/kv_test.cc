#include "core/kv.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "core/store_conformance.h"
#include "gtest/gtest.h"

extern char** environ;

namespace mesh {

using StoreHarnesses = ::testing::Types<MemStoreHarness, RocksDbHarness, OverlayOverMemHarness,
                                        OverlayOverlayRocksDbHarness>;
INSTANTIATE_TYPED_TEST_SUITE_P(Core, StoreConformanceTest, StoreHarnesses);

namespace {

using testing_internal::Collect;
using testing_internal::Entries;

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    out.push_back(kDigits[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kDigits[static_cast<uint8_t>(c) & 0xf]);
  }
  return out;
}

// A snapshot keeps the contents of the moment it was taken (gets and
// scans, both directions) while the store is written, and refuses writes.
void ExpectSnapshotIsFrozen(DurableStore& store) {
  WriteBatch first;
  first.Put("a", "1");
  first.Put("b", "2");
  ASSERT_TRUE(store.Write(first).ok());
  std::unique_ptr<DurableStore> snap = store.Snapshot();
  ASSERT_NE(snap, nullptr);
  WriteBatch second;
  second.Put("a", "9");
  second.Delete("b");
  second.Put("c", "3");
  ASSERT_TRUE(store.Write(second).ok());
  ASSERT_TRUE(store.Put("d", "4").ok());
  EXPECT_EQ(*snap->Get("a"), std::optional<std::string>("1"));
  EXPECT_EQ(*snap->Get("b"), std::optional<std::string>("2"));
  EXPECT_EQ(*snap->Get("c"), std::nullopt);
  EXPECT_EQ(Collect(snap->Scan("", "")), (Entries{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(Collect(snap->Scan("", "", /*reverse=*/true)), (Entries{{"b", "2"}, {"a", "1"}}));
  EXPECT_EQ(*store.Get("a"), std::optional<std::string>("9"));
  EXPECT_EQ(snap->Put("x", "y").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(snap->Delete("a").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(snap->Write(first).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store.Get("x"), std::nullopt);
}

// VisitFrom: the entries under a prefix from a key, either way, exactly
// (a raw last field: "abc" and "abcd" are two keys, the second above the
// first), stopping when told; nothing outside the prefix.
TEST(VisitFromTest, WalksFromAKeyEitherWayAndStops) {
  MemStore store;
  for (const char* k : {"a/abc", "a/abcd", "a/b", "a/c", "a0", "Z"}) {
    ASSERT_TRUE(store.Put(k, std::string("v") + k).ok());
  }
  auto walk = [&](std::string_view from, bool reverse, size_t stop_after = 100) {
    std::vector<std::string> got;
    EXPECT_TRUE(VisitFrom(store, "a/", from, reverse,
                          [&](std::string_view suffix, std::string_view value)
                              -> absl::StatusOr<bool> {
                            EXPECT_EQ(value, "va/" + std::string(suffix));
                            got.emplace_back(suffix);
                            return got.size() < stop_after;
                          })
                    .ok());
    return got;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(walk("", false), (V{"abc", "abcd", "b", "c"}));
  EXPECT_EQ(walk("", true), (V{"c", "b", "abcd", "abc"}));
  EXPECT_EQ(walk("abc", false), (V{"abc", "abcd", "b", "c"}));
  EXPECT_EQ(walk("abc", true), (V{"abc"}));  // "abcd" is above "abc"
  EXPECT_EQ(walk("abca", true), (V{"abc"}));
  EXPECT_EQ(walk("abd", false), (V{"b", "c"}));
  EXPECT_EQ(walk("bb", true), (V{"b", "abcd", "abc"}));
  EXPECT_EQ(walk("d", false), V{});
  EXPECT_EQ(walk("abc", false, 2), (V{"abc", "abcd"}));
}

// CollectingIterator hands over what was read only when the range was read
// to its end within the bound (without `partial`), and a partial read up to
// and including the entry the caller stopped on (with it).
TEST(CollectingIteratorTest, HandsOverAWholeShortRangeOnly) {
  MemStore store;
  for (const char* k : {"a", "b", "c"}) ASSERT_TRUE(store.Put(k, "v").ok());
  for (bool partial : {false, true}) {
    for (size_t max : {2, 3}) {
      for (size_t read : {0, 1, 2, 3}) {
        std::optional<KvList> kept;
        bool complete = false;
        {
          auto it = CollectingIterator(
              store.Scan("", ""), max,
              [&](KvList entries, bool whole) {
                ASSERT_FALSE(kept.has_value());  // handed over once
                kept = std::move(entries);
                complete = whole;
              },
              partial);
          for (size_t i = 0; i < read; ++i, it->Next()) ASSERT_TRUE(it->Valid());
          const bool whole = read == 3 && max >= 3;
          ASSERT_EQ(kept.has_value(), whole) << "max " << max << " read " << read;
          if (whole) {
            EXPECT_TRUE(complete);
            EXPECT_EQ(kept->size(), 3u);
          }
        }
        // Destroyed: a partial read within the bound (counting the entry it
        // stopped on) is handed over with `partial`.
        const bool early = partial && read < 3 && read + 1 <= max;
        if (read == 3 && max >= 3) continue;
        ASSERT_EQ(kept.has_value(), early) << "partial " << partial << " max " << max
                                           << " read " << read;
        if (!early) continue;
        EXPECT_FALSE(complete);
        KvList want;
        for (size_t i = 0; i <= read; ++i) want.emplace_back(std::string(1, 'a' + i), "v");
        EXPECT_EQ(*kept, want);
      }
    }
  }
  std::optional<KvList> empty;
  auto none = CollectingIterator(store.Scan("x", "y"), 2,
                                 [&](KvList e, bool) { empty = std::move(e); });
  EXPECT_FALSE(none->Valid());
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(SnapshotTest, MemStoreSnapshotIsFrozen) {
  MemStore mem;
  ExpectSnapshotIsFrozen(mem);
}

TEST(SnapshotTest, RocksDbSnapshotIsFrozen) {
  testing_internal::TempDir dir;
  auto db = RocksDbStore::Open(dir.path(), testing_internal::FastRocksOptions());
  ASSERT_TRUE(db.ok()) << db.status();
  ExpectSnapshotIsFrozen(**db);
}

TEST(WriteBatchTest, SerializeIsCanonicalKeyOrder) {
  WriteBatch a;
  a.Put("b", "xy");
  a.Delete("a");
  WriteBatch b;  // same final ops, different insertion order and history
  b.Put("a", "zzz");
  b.Delete("a");
  b.Put("b", "xy");
  // 00 | len 1 "a" | 01 | len 1 "b" | len 2 "xy"
  EXPECT_EQ(Hex(a.Serialize()),
            "0000000001610100000001620000000278"
            "79");
  EXPECT_EQ(a.Serialize(), b.Serialize());
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(WriteBatch().Serialize(), "");
  a.Clear();
  EXPECT_TRUE(a.empty());
}

TEST(WriteBatchTest, ConsumeWritesAndEmptiesTheBatch) {
  MemStore store;
  WriteBatch b;
  b.Put("k", "v");
  ASSERT_TRUE(store.Consume(b).ok());
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(*store.Get("k"), "v");
  b.Put("x", "1");
  b.Delete("k");
  std::vector<std::pair<std::string, std::optional<std::string>>> drained;
  b.Drain([&](std::string&& k, std::optional<std::string>&& v) {
    drained.emplace_back(std::move(k), std::move(v));
  });
  EXPECT_TRUE(b.empty());
  ASSERT_EQ(drained.size(), 2u);
  EXPECT_EQ(drained[0].first, "k");
  EXPECT_EQ(drained[0].second, std::nullopt);
  EXPECT_EQ(drained[1].first, "x");
  EXPECT_EQ(drained[1].second, "1");
}

// HashTo streams exactly the bytes of Serialize() (the app hash of a block
// is defined over them, node/chain.h).
TEST(WriteBatchTest, HashToHashesTheSerializedBytes) {
  WriteBatch a;
  a.Put("b", "xy");
  a.Delete("a");
  a.Put(std::string(5000, 'k'), std::string(70000, 'v'));  // beyond the hasher's buffer
  for (int i = 0; i < 300; ++i) a.Put("key" + std::to_string(i), std::string(i, 'x'));
  Sha256Hasher h;
  h.Update("prefix");
  a.HashTo(h);
  EXPECT_EQ(h.Finish(), Sha256("prefix" + a.Serialize()));
  Sha256Hasher empty;
  WriteBatch().HashTo(empty);
  EXPECT_EQ(empty.Finish(), Sha256(""));
  a.Clear();
  EXPECT_TRUE(a.empty());
}

// A durable store that records how it was written to and can fail Write.
class RecordingStore : public DurableStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    return mem_.Get(key);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view b, std::string_view e,
                                   bool reverse) const override {
    return mem_.Scan(b, e, reverse);
  }
  absl::Status Put(std::string_view k, std::string_view v) override {
    ++single_writes;
    return mem_.Put(k, v);
  }
  absl::Status Delete(std::string_view k) override {
    ++single_writes;
    return mem_.Delete(k);
  }
  absl::Status Write(const WriteBatch& batch) override {
    ++batch_writes;
    if (fail_writes) return absl::InternalError("injected write failure");
    return mem_.Write(batch);
  }
  int single_writes = 0;
  int batch_writes = 0;
  bool fail_writes = false;

 private:
  MemStore mem_;
};

// Absorb inserts each key right after the one before it when it can: the
// result is the same as op-by-op whatever the two batches' keys interleave.
// Rounds vary the sizes so that a small batch absorbs a large one
// (WriteBatch::kAbsorbSwapRatio: the large one's ops are taken whole and
// the small one's moved in, where the large one has no op on the key) as
// well as batches of a size; the large ones pass the filter's size, and
// the merged filter answers "may contain" for every key.
TEST(WriteBatchTest, AbsorbEqualsOpByOpOverInterleavedKeys) {
  uint64_t x = 12345;
  auto next = [&x] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL; };
  int swapped = 0;
  for (int round = 0; round < 120; ++round) {
    const int na = round % 4 == 0 ? 3 : round % 4 == 1 ? 300 : 40;
    const int nb = round % 3 == 0 ? 300 : round % 3 == 1 ? 2 : 40;
    const uint64_t space = round % 5 == 0 ? 60 : 1000;
    WriteBatch a;
    WriteBatch b;
    WriteBatch expected;
    for (int i = 0; i < na; ++i) {  // keys drawn from one space: overlaps and gaps
      const std::string k = "k" + std::to_string(next() % space);
      if (next() % 4 == 0) {
        a.Delete(k);
        expected.Delete(k);
      } else {
        a.Put(k, "a" + std::to_string(i));
        expected.Put(k, "a" + std::to_string(i));
      }
    }
    for (int i = 0; i < nb; ++i) {
      const std::string k = "k" + std::to_string(next() % space);
      if (next() % 4 == 0) {
        b.Delete(k);
      } else {
        b.Put(k, "b" + std::to_string(i));
      }
    }
    for (const auto& [k, v] : b.ops()) {
      if (v.has_value()) {
        expected.Put(k, *v);
      } else {
        expected.Delete(k);
      }
    }
    if (a.size() * WriteBatch::kAbsorbSwapRatio < b.size()) ++swapped;
    a.Absorb(std::move(b));
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(a.Serialize(), expected.Serialize()) << "round " << round;
    for (const auto& [k, v] : a.ops()) ASSERT_TRUE(a.MayContain(k)) << "round " << round << " " << k;
    // The merged batch goes on taking writes (positions and filter intact).
    a.Put("k0", "after");
    expected.Put("k0", "after");
    a.Delete("k999999");
    expected.Delete("k999999");
    EXPECT_EQ(a.Serialize(), expected.Serialize()) << "round " << round;
  }
  EXPECT_GE(swapped, 20);  // the swap path ran
}

// Put, PutOwned and Delete find their place from the last write positions
// (WriteBatch::kWriteHints of them; from kTableHintsFrom ops on, each
// table's last one): the batch is the same as a plain map model whatever
// the keys' order — several tables written in ascending order, interleaved
// (the hints' case), keys at random, repeats — and through Erase, copies,
// moves and Absorb, which forget the positions. Each round passes from the
// first kind of positions to the second.
TEST(WriteBatchTest, WritesFromRecentPositionsEqualAMapModel) {
  uint64_t x = 4242;
  auto next = [&x] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (int round = 0; round < 30; ++round) {
    WriteBatch b;
    std::map<std::string, std::optional<std::string>> model;
    uint64_t cursor[6] = {0, 0, 0, 0, 0, 0};  // one ascending stream per table
    std::string last[6];                      // each table's last key written
    for (int i = 0; i < 600; ++i) {
      const int table = static_cast<int>(next() % 6);
      std::string k;
      switch (next() % 4) {
        case 0:  // at random
          k = std::string(1, static_cast<char>('a' + table)) + std::to_string(next() % 500);
          break;
        case 1: {  // a key written before: at random, or the one right after
                   // (or at) the table's last write, where its position points
          if (model.empty()) {
            k = "a0";
          } else if (next() % 2 == 0) {
            k = std::next(model.begin(), next() % model.size())->first;
          } else {
            auto at = next() % 2 == 0 ? model.upper_bound(last[table]) : model.find(last[table]);
            k = at != model.end() ? at->first : model.begin()->first;
          }
          break;
        }
        default:  // the table's next key, ascending (with gaps)
          cursor[table] += 1 + next() % 3;
          k = std::string(1, static_cast<char>('a' + table)) + std::to_string(1000 + cursor[table]);
      }
      const std::string v = "v" + std::to_string(i);
      last[table] = k;
      switch (next() % 6) {
        case 0:
          b.Delete(k);
          model[k] = std::nullopt;
          break;
        case 1:
          b.PutOwned(k, v);
          model[k] = v;
          break;
        case 2:
          if (next() % 8 == 0) {  // forgets the positions
            b.Erase(k);
            model.erase(k);
            break;
          }
          [[fallthrough]];
        default:
          b.Put(k, v);
          model[k] = v;
      }
      if (i % 150 == 149) {  // copies and moves carry the ops, not the positions
        WriteBatch copy = b;
        WriteBatch moved = std::move(b);
        EXPECT_TRUE(b.empty());
        b = (i % 300 == 299) ? std::move(moved) : copy;
        WriteBatch tail;
        tail.Put("z" + std::to_string(i), "absorbed");
        model["z" + std::to_string(i)] = "absorbed";
        b.Absorb(std::move(tail));
        tail.Put("z-after", "reused");  // the emptied batch is usable
        EXPECT_EQ(tail.size(), 1u);
      }
    }
    ASSERT_EQ(b.size(), model.size()) << "round " << round;
    auto it = b.ops().begin();
    for (const auto& [k, v] : model) {
      ASSERT_EQ(it->first, k) << "round " << round;
      ASSERT_EQ(it->second, v) << k;
      ASSERT_TRUE(b.MayContain(k)) << k;
      ++it;
    }
  }
}

// A batch's index (WriteBatch::Index) lists the tree's ops in order through
// every later change it follows: a new op's place, a new value, a delete of
// an op it holds; an erase, an Absorb into a batch with ops, the
// (kIndexedAdds + 1)th op added and a copy drop it; a move carries it. The
// walk (ForEachOp) always visits exactly the tree's ops in order.
TEST(WriteBatchTest, IndexedWalksVisitTheTreesOpsInOrder) {
  uint64_t x = 777;
  auto next = [&x](uint64_t n) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (x >> 33) % n;
  };
  auto walked = [](const WriteBatch& b) {
    std::vector<std::pair<std::string, std::optional<std::string>>> out;
    b.ForEachOp([&out](const WriteBatch::Op& op) { out.emplace_back(op.first, op.second); });
    return out;
  };
  auto tree = [](const WriteBatch& b) {
    return std::vector<std::pair<std::string, std::optional<std::string>>>(b.ops().begin(),
                                                                           b.ops().end());
  };
  WriteBatch small;
  for (size_t i = 0; i + 1 < WriteBatch::kIndexFrom; ++i) small.Put(absl::StrCat("k", i), "v");
  small.Index();
  EXPECT_FALSE(small.indexed());  // below kIndexFrom: walked as a tree
  for (int round = 0; round < 20; ++round) {
    WriteBatch b;
    for (int i = 0; i < 400; ++i) b.Put(absl::StrCat("k", next(1000)), absl::StrCat("v", i));
    b.Index();
    ASSERT_TRUE(b.indexed());
    size_t adds = 0;
    for (int step = 0; step < 60 && b.indexed(); ++step) {
      const std::string key = absl::StrCat("k", next(1200));  // some new, some held
      const bool is_new = b.Find(key) == nullptr;
      switch (next(8)) {
        case 0:
          b.Delete(key);
          break;
        case 1:
          if (next(4) == 0) {
            b.Erase(key);  // of an op held: drops the index; else changes nothing
            EXPECT_EQ(b.indexed(), is_new);
            ASSERT_EQ(walked(b), tree(b));
            continue;
          }
          [[fallthrough]];
        default:
          b.Put(key, absl::StrCat("w", step));
      }
      if (is_new) ++adds;
      EXPECT_EQ(b.indexed(), adds <= WriteBatch::kIndexedAdds) << "adds " << adds;
      ASSERT_EQ(walked(b), tree(b)) << "round " << round << " step " << step;
    }
    ASSERT_EQ(walked(b), tree(b));
    b.Index();  // again from the tree
    ASSERT_TRUE(b.indexed());
    const WriteBatch copy = b;
    EXPECT_FALSE(copy.indexed());
    EXPECT_EQ(walked(copy), tree(b));
    WriteBatch moved = std::move(b);
    EXPECT_TRUE(moved.indexed());
    EXPECT_FALSE(b.indexed());
    EXPECT_EQ(walked(moved), tree(copy));
    WriteBatch into;
    into.Absorb(std::move(moved));  // into an empty batch: taken whole, index and all
    EXPECT_TRUE(into.indexed());
    WriteBatch tail;
    tail.Put("k5000", "absorbed");
    into.Absorb(std::move(tail));
    EXPECT_FALSE(into.indexed());
    into.Index();
    WriteBatch many;
    for (int i = 0; i < 2000; ++i) many.Put(absl::StrCat("m", i), "x");
    into.Absorb(std::move(many));  // many into few: the ops change hands
    EXPECT_FALSE(into.indexed());
    EXPECT_EQ(walked(into), tree(into));
  }
}

// ForEachOp's ahead sees each op once, kAhead ops before fn sees it (all of
// the first kAhead before the first fn), in the tree and from the index; an
// fn returning false ends the walk.
TEST(WriteBatchTest, WalksCallAheadOnceAndEarlyAndStopOnFalse) {
  for (size_t n : {size_t{3}, WriteBatch::kAhead, size_t{300}}) {
    for (bool index : {false, true}) {
      WriteBatch b;
      for (size_t i = 0; i < n; ++i) b.Put(absl::StrCat("key", 1000 + i), "v");
      if (index) b.Index();
      ASSERT_EQ(b.indexed(), index && n >= WriteBatch::kIndexFrom);
      std::vector<std::string> events;
      b.ForEachOp([&](const WriteBatch::Op& op) { events.push_back("fn " + op.first); },
                  [&](const WriteBatch::Op& op) { events.push_back("ahead " + op.first); });
      ASSERT_EQ(events.size(), 2 * n);
      size_t fns = 0, aheads = 0;
      for (const std::string& e : events) {
        if (e.starts_with("fn ")) {
          // fn of op `fns`: the ahead of every op up to fns + kAhead came first.
          EXPECT_EQ(e, absl::StrCat("fn key", 1000 + fns));
          EXPECT_EQ(aheads, std::min(n, fns + WriteBatch::kAhead + 1)) << e;
          ++fns;
        } else {
          EXPECT_EQ(e, absl::StrCat("ahead key", 1000 + aheads));
          ++aheads;
        }
      }
      size_t visited = 0;
      b.ForEachOp([&](const WriteBatch::Op&) { return ++visited < 2; });
      EXPECT_EQ(visited, std::min<size_t>(n, 2));
    }
  }
}

// The position cases one by one: a key equal to a remembered position, the
// existing key right after one (updated, not inserted again), a new key
// between a position and the next key, and a key before every position.
TEST(WriteBatchTest, WritePositionCases) {
  WriteBatch b;
  b.Put("k2", "old");
  b.Put("x", "1");   // the position k2 is followed: now x
  b.Put("k1", "1");  // before x: a second position, k1
  b.Put("k2", "new");       // right after k1, and present: updated in place
  b.Put("k15", "between");  // after k1, before k2: inserted there
  b.Delete("k15");          // at a position: the same op, now a delete
  b.PutOwned("a", "first");  // before every position
  b.Put("x", "2");           // equal to a position
  EXPECT_EQ(b.Serialize(), [] {
    WriteBatch want;  // the same ops, written in key order
    want.Put("a", "first");
    want.Put("k1", "1");
    want.Delete("k15");
    want.Put("k2", "new");
    want.Put("x", "2");
    return want.Serialize();
  }());
}

// A large batch's per-table positions, case by case: a key at its table's
// position, the existing key right after it, a new key between, a key
// before the table's position (found by the descent), a table never
// written, the empty key, and an erase (which forgets every position).
TEST(WriteBatchTest, TablePositionCases) {
  WriteBatch b;
  std::map<std::string, std::optional<std::string>> model;
  auto put = [&](const std::string& k, const std::string& v) {
    b.Put(k, v);
    model[k] = v;
  };
  for (int i = 0; i < static_cast<int>(WriteBatch::kTableHintsFrom) + 8; ++i) {
    put(std::string(1, static_cast<char>('a' + i % 4)) + std::to_string(100 + 2 * i), "x");
  }
  const std::string last = "d" + std::to_string(100 + 2 * 71);  // the table d's position
  put(last, "same");                                             // at the position
  put("d" + std::to_string(100 + 2 * 71 + 1), "between");        // after it, before nothing
  put("d" + std::to_string(100 + 2 * 71 + 1), "again");          // at the new position
  put("d105", "before");                                         // before it: descent
  put("d107", "after-descent");                                  // right after d105
  put("q1", "new table");
  put("", "empty key");
  b.Delete("a100");
  model["a100"] = std::nullopt;
  b.Erase("b101");  // never written: nothing to erase
  b.Erase("d105");
  model.erase("d105");
  put("d106", "after erase");
  b.PutOwned("d1", "owned");
  model["d1"] = "owned";
  ASSERT_EQ(b.size(), model.size());
  auto it = b.ops().begin();
  for (const auto& [k, v] : model) {
    ASSERT_EQ(it->first, k);
    ASSERT_EQ(it->second, v) << k;
    ++it;
  }
}

// Absorbed into an empty batch, a batch's ops and filter change hands
// whole; the emptied batch is reusable, and the receiver goes on merging.
TEST(WriteBatchTest, AbsorbIntoAnEmptyBatchTakesTheOpsWhole) {
  WriteBatch big;
  for (int i = 0; i < 300; ++i) {
    if (i % 7 == 0) {
      big.Delete("k" + std::to_string(i));
    } else {
      big.Put("k" + std::to_string(i), "v" + std::to_string(i));
    }
  }
  const std::string expected = big.Serialize();
  WriteBatch empty;
  empty.Absorb(std::move(big));
  EXPECT_TRUE(big.empty());
  EXPECT_EQ(empty.Serialize(), expected);
  for (const auto& [k, v] : empty.ops()) EXPECT_TRUE(empty.MayContain(k)) << k;
  big.Put("again", "1");
  EXPECT_EQ(big.size(), 1u);
  empty.Absorb(std::move(big));  // not empty now: merged
  EXPECT_EQ(empty.size(), 301u);
  EXPECT_EQ(*empty.ops().at("again"), "1");
}

// A block-sized batch keeps a filter of its keys: never a false "no" for
// a key it holds, through Put, Delete, Absorb (into a batch with and
// without a filter), Erase, Clear and Drain, and an overlay's reads are
// those of a plain map model; and it does filter (most absent keys answer
// "no"), so a read that misses the batch skips the map.
TEST(WriteBatchTest, LargeBatchesFilterTheirKeysWithoutFalseNegatives) {
  uint64_t x = 777;
  auto next = [&x] {  // the high bits (an LCG's low bits cycle)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  MemStore parent;
  ASSERT_TRUE(parent.Put("k100", "parent").ok());
  Overlay block(&parent);
  std::map<std::string, std::optional<std::string>> model;
  auto check_all = [&](const WriteBatch& b) {
    for (const auto& [k, v] : b.ops()) ASSERT_TRUE(b.MayContain(k)) << k;
  };
  for (int round = 0; round < 40; ++round) {
    WriteBatch tx;  // a tx's writes: below the filter's size until late rounds
    const int n = round < 30 ? 20 : 400;
    for (int i = 0; i < n; ++i) {
      const std::string k = "k" + std::to_string(next() % 20000);
      if (next() % 5 == 0) {
        tx.Delete(k);
        model[k] = std::nullopt;
      } else {
        tx.Put(k, "v" + std::to_string(round) + "." + std::to_string(i));
        model[k] = "v" + std::to_string(round) + "." + std::to_string(i);
      }
    }
    check_all(tx);
    ASSERT_TRUE(block.Apply(tx).ok());
    check_all(block.pending());
    if (round % 10 == 9) {  // an erased key is gone from the batch (the filter may keep it)
      const std::string k = block.pending().ops().begin()->first;
      block.Unstage(k);
      model.erase(k);
    }
  }
  ASSERT_GT(block.pending().size(), WriteBatch::kFilterFrom);
  for (int i = 0; i < 20000; ++i) {
    const std::string k = "k" + std::to_string(i);
    auto want = model.find(k);
    std::optional<std::string> expected =
        want != model.end() ? want->second
                            : (k == "k100" ? std::optional<std::string>("parent") : std::nullopt);
    ASSERT_EQ(*block.Get(k), expected) << k;
  }
  int maybe = 0;
  for (int i = 0; i < 10000; ++i) maybe += block.pending().MayContain("absent" + std::to_string(i));
  EXPECT_LT(maybe, 1000);  // about 1-5 % with 8-16 bits a key
  // A copy filters alike; Clear and Drain drop the filter with the keys.
  WriteBatch copy = block.pending();
  check_all(copy);
  copy.Clear();
  EXPECT_TRUE(copy.empty());
  copy.Put("after-clear", "1");
  EXPECT_TRUE(copy.MayContain("after-clear"));
  WriteBatch drained = block.pending();
  drained.Drain([](std::string, std::optional<std::string>) {});
  drained.Put("after-drain", "1");
  EXPECT_TRUE(drained.MayContain("after-drain"));
  // Small batches answer "maybe" for everything.
  WriteBatch small;
  small.Put("a", "1");
  EXPECT_TRUE(small.MayContain("zzz"));
}

TEST(WriteBatchTest, AbsorbMovesOpsAndTheNewerOpWins) {
  WriteBatch a;
  a.Put("k1", "old");
  a.Put("k2", "keep");
  a.Delete("k3");
  WriteBatch b;
  b.Delete("k1");
  b.Put("k3", "back");
  b.Put("k4", "new");
  a.Absorb(std::move(b));
  EXPECT_TRUE(b.empty());
  WriteBatch expected;
  expected.Delete("k1");
  expected.Put("k2", "keep");
  expected.Put("k3", "back");
  expected.Put("k4", "new");
  EXPECT_EQ(a.Serialize(), expected.Serialize());
  a.Erase("k2");
  a.Erase("absent");
  expected.Erase("k2");
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.Serialize(), expected.Serialize());
  Encoder e;
  e.U8(7);
  a.SerializeTo(e);
  EXPECT_EQ(e.data(), std::string(1, '\x07') + a.Serialize());
}

TEST(WriteBatchTest, PutAndDeleteOnAKeyInTheBatchReplaceItsOp) {
  WriteBatch b;
  b.Put("k", "a much longer first value than the second");
  b.Put("k", "v2");
  b.Delete("d");
  b.Put("d", "back");
  b.Put("x", "gone");
  b.Delete("x");
  WriteBatch expected;
  expected.Put("d", "back");
  expected.Put("k", "v2");
  expected.Delete("x");
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.Serialize(), expected.Serialize());
}

// A parent that is neither an overlay nor durable, with the default Apply.
class ForwardingStore : public KvStore {
 public:
  explicit ForwardingStore(KvStore* inner) : inner_(inner) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_->Get(key);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse) const override {
    return inner_->Scan(begin, end, reverse);
  }
  absl::Status Put(std::string_view key, std::string_view value) override {
    ++puts;
    return inner_->Put(key, value);
  }
  absl::Status Delete(std::string_view key) override {
    ++deletes;
    return inner_->Delete(key);
  }
  int puts = 0;
  int deletes = 0;

 private:
  KvStore* inner_;
};

TEST(OverlayTest, CommitIntoAnotherStoreGoesOpByOpThroughItsApply) {
  MemStore base;
  ASSERT_TRUE(base.Put("gone", "x").ok());
  Overlay block(&base);
  ForwardingStore fwd(&block);
  Overlay inner(&fwd);
  ASSERT_TRUE(inner.Put("a", "1").ok());
  ASSERT_TRUE(inner.Put("b", "2").ok());
  ASSERT_TRUE(inner.Delete("gone").ok());
  ASSERT_TRUE(inner.Commit().ok());
  EXPECT_TRUE(inner.pending().empty());
  EXPECT_EQ(fwd.puts, 2);
  EXPECT_EQ(fwd.deletes, 1);
  EXPECT_EQ(*block.Get("a"), "1");
  EXPECT_EQ(*block.Get("gone"), std::nullopt);
  // Overlay::Apply takes a batch by move.
  WriteBatch batch;
  batch.Put("c", "3");
  ASSERT_TRUE(block.Apply(batch).ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(*block.Get("c"), "3");
  EXPECT_EQ(block.pending().size(), 4u);
}

TEST(OverlayTest, CommitIntoOverlayParentMovesEveryOp) {
  MemStore base;
  ASSERT_TRUE(base.Put("gone", "x").ok());
  Overlay block(&base);
  ASSERT_TRUE(block.Put("a", "block").ok());
  Overlay tx(&block);
  ASSERT_TRUE(tx.Put("a", "tx").ok());
  ASSERT_TRUE(tx.Put("b", "tx").ok());
  ASSERT_TRUE(tx.Delete("gone").ok());
  ASSERT_TRUE(tx.Commit().ok());
  EXPECT_TRUE(tx.pending().empty());
  EXPECT_EQ(*block.Get("a"), "tx");
  EXPECT_EQ(*block.Get("b"), "tx");
  EXPECT_EQ(*block.Get("gone"), std::nullopt);
  EXPECT_EQ(block.pending().size(), 3u);
  block.Unstage("b");
  EXPECT_EQ(*block.Get("b"), std::nullopt);
}

TEST(OverlayTest, CommitIntoDurableParentIsOneAtomicWrite) {
  RecordingStore parent;
  Overlay ov(&parent);
  ASSERT_TRUE(ov.Put("a", "1").ok());
  ASSERT_TRUE(ov.Delete("b").ok());
  ASSERT_TRUE(ov.Commit().ok());
  EXPECT_EQ(parent.batch_writes, 1);
  EXPECT_EQ(parent.single_writes, 0);
  EXPECT_EQ(*parent.Get("a"), "1");
}

TEST(OverlayTest, FailedCommitKeepsPendingAndParentUnchanged) {
  RecordingStore parent;
  ASSERT_TRUE(parent.Put("a", "old").ok());
  Overlay ov(&parent);
  ASSERT_TRUE(ov.Put("a", "new").ok());
  ASSERT_TRUE(ov.Put("b", "2").ok());
  parent.fail_writes = true;
  EXPECT_EQ(ov.Commit().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(*parent.Get("a"), "old");
  EXPECT_EQ(*parent.Get("b"), std::nullopt);
  EXPECT_EQ(ov.pending().size(), 2u);  // can be retried
  parent.fail_writes = false;
  ASSERT_TRUE(ov.Commit().ok());
  EXPECT_EQ(*parent.Get("a"), "new");
  EXPECT_TRUE(ov.pending().empty());
}

// Yields "a" and then fails, as a disk read error would.
class FailingIterator : public KvIterator {
 public:
  bool Valid() const override { return !failed_; }
  void Next() override { failed_ = true; }
  std::string_view key() const override { return "a"; }
  std::string_view value() const override { return "va"; }
  absl::Status status() const override {
    return failed_ ? absl::InternalError("injected read error") : absl::OkStatus();
  }

 private:
  bool failed_ = false;
};

class FailingScanStore : public MemStore {
 public:
  std::unique_ptr<KvIterator> Scan(std::string_view, std::string_view, bool) const override {
    return std::make_unique<FailingIterator>();
  }
};

// A KvList keeps its entries' bytes apart (an empty key or value too), finds
// a key's place, copies its head, and takes another list in front.
TEST(KvListTest, EntriesStayApartInOneBuffer) {
  KvList list{{"a", ""}, {"b", "22"}, {"", "x"}};
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0], (KvList::Entry{"a", ""}));
  EXPECT_EQ(list[1], (KvList::Entry{"b", "22"}));
  EXPECT_EQ(list.back(), (KvList::Entry{"", "x"}));
  EXPECT_EQ(list.bytes(), 5u);
  std::vector<std::string> seen;
  for (const auto& [k, v] : list) seen.push_back(std::string(k) + "=" + std::string(v));
  EXPECT_EQ(seen, (std::vector<std::string>{"a=", "b=22", "=x"}));
  EXPECT_NE(list, (KvList{{"a", ""}, {"b2", "2"}, {"", "x"}}));  // same bytes, other split

  KvList sorted{{"b", "1"}, {"d", "2"}, {"f", "3"}};
  EXPECT_EQ(sorted.LowerBound(""), 0u);
  EXPECT_EQ(sorted.LowerBound("b"), 0u);
  EXPECT_EQ(sorted.LowerBound("c"), 1u);
  EXPECT_EQ(sorted.LowerBound("f"), 2u);
  EXPECT_EQ(sorted.LowerBound("g"), 3u);
  EXPECT_EQ(sorted.Head(0), KvList());
  EXPECT_EQ(sorted.Head(2), (KvList{{"b", "1"}, {"d", "2"}}));
  EXPECT_EQ(sorted.Head(3), sorted);

  KvList tail{{"x", "9"}};
  tail.Prepend(sorted.Head(2));
  EXPECT_EQ(tail, (KvList{{"b", "1"}, {"d", "2"}, {"x", "9"}}));
  tail.Prepend(KvList());
  EXPECT_EQ(tail.size(), 3u);
  KvList into;
  into.Prepend(tail);
  EXPECT_EQ(into, tail);
  into.push_back(sorted[2]);
  EXPECT_EQ(into.back(), (KvList::Entry{"f", "3"}));
  into.clear();
  EXPECT_TRUE(into.empty());
  EXPECT_EQ(into.bytes(), 0u);
}

// ListThenIterator yields its head, and opens the rest only when the caller
// reads past it (at once for an empty head); the rest's error is reported.
TEST(KvIteratorTest, ListThenIteratorOpensTheRestOnlyPastTheHead) {
  MemStore store;
  for (const char* k : {"k3", "k4"}) ASSERT_TRUE(store.Put(k, k).ok());
  auto head = std::make_shared<const KvList>(KvList{{"k1", "1"}, {"k2", "2"}});
  int opened = 0;
  auto open = [&] {
    ++opened;
    return store.Scan("k3", "l");
  };
  {
    auto it = ListThenIterator(head, open);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), "k1");
    it->Next();
    EXPECT_EQ(it->key(), "k2");
    EXPECT_EQ(it->value(), "2");
    EXPECT_TRUE(it->status().ok());
  }
  EXPECT_EQ(opened, 0);  // stopped within the head
  std::vector<std::string> seen;
  for (auto it = ListThenIterator(head, open); it->Valid(); it->Next()) {
    seen.push_back(std::string(it->key()) + "=" + std::string(it->value()));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"k1=1", "k2=2", "k3=k3", "k4=k4"}));
  EXPECT_EQ(opened, 1);
  seen.clear();
  auto empty = std::make_shared<const KvList>();
  for (auto it = ListThenIterator(empty, open); it->Valid(); it->Next()) seen.emplace_back(it->key());
  EXPECT_EQ(seen, (std::vector<std::string>{"k3", "k4"}));
  EXPECT_EQ(opened, 2);
  auto failing = ListThenIterator(head, [] { return std::make_unique<FailingIterator>(); });
  failing->Next();
  failing->Next();  // into the rest: "a", then its error
  ASSERT_TRUE(failing->Valid());
  EXPECT_EQ(failing->key(), "a");
  failing->Next();
  EXPECT_FALSE(failing->Valid());
  EXPECT_EQ(failing->status().code(), absl::StatusCode::kInternal);
}

// ListIterator walks its shared list; ReadAheadIterator yields the head,
// then the rest of the scan it was read from, and reports that scan's error.
TEST(KvIteratorTest, ListAndReadAheadIterators) {
  auto list = std::make_shared<const KvList>(KvList{{"a", "1"}, {"b", "2"}});
  std::vector<std::string> seen;
  for (auto it = ListIterator(list); it->Valid(); it->Next()) {
    seen.push_back(std::string(it->key()) + "=" + std::string(it->value()));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a=1", "b=2"}));
  MemStore store;
  for (const char* k : {"k1", "k2", "k3", "k4"}) ASSERT_TRUE(store.Put(k, k).ok());
  auto rest = store.Scan("k", "l");
  KvList head;
  for (; rest->Valid() && head.size() < 2; rest->Next()) {
    head.emplace_back(std::string(rest->key()), std::string(rest->value()));
  }
  seen.clear();
  auto it = ReadAheadIterator(std::move(head), std::move(rest));
  for (; it->Valid(); it->Next()) seen.emplace_back(it->key());
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"k1", "k2", "k3", "k4"}));
  auto failing = ReadAheadIterator(KvList{{"0", "x"}}, std::make_unique<FailingIterator>());
  ASSERT_TRUE(failing->Valid());
  EXPECT_EQ(failing->key(), "0");
  failing->Next();
  ASSERT_TRUE(failing->Valid());
  EXPECT_EQ(failing->key(), "a");
  failing->Next();
  EXPECT_FALSE(failing->Valid());
  EXPECT_FALSE(failing->status().ok());
}

TEST(OverlayTest, MergedIteratorStopsOnParentError) {
  FailingScanStore parent;
  Overlay ov(&parent);
  ASSERT_TRUE(ov.Put("z", "own").ok());
  auto it = ov.Scan("", "");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Next();
  // The pending "z" must not be reported as if the scan had completed.
  EXPECT_FALSE(it->Valid());
  EXPECT_EQ(it->status().code(), absl::StatusCode::kInternal);
}

TEST(OverlayTest, ReadsThroughAndShadowsParent) {
  MemStore base;
  ASSERT_TRUE(base.Put("a", "base").ok());
  ASSERT_TRUE(base.Put("b", "base").ok());
  Overlay ov(&base);
  EXPECT_EQ(*ov.Get("a"), "base");
  ASSERT_TRUE(ov.Delete("a").ok());
  ASSERT_TRUE(ov.Put("b", "ov").ok());
  EXPECT_EQ(*ov.Get("a"), std::nullopt);
  EXPECT_FALSE(*ov.Has("a"));
  EXPECT_EQ(*ov.Get("b"), "ov");
  EXPECT_EQ(ov.parent(), &base);
  EXPECT_EQ(base.size(), 2u);
  EXPECT_EQ(Collect(ov.Scan("", "")), (Entries{{"b", "ov"}}));
  ASSERT_TRUE(ov.Commit().ok());
  EXPECT_EQ(base.size(), 1u);
}

TEST(OverlayTest, DeepNestingCommitsLayerByLayer) {
  MemStore base;
  std::vector<std::unique_ptr<Overlay>> layers;
  KvStore* parent = &base;
  for (int i = 0; i < 5; ++i) {
    layers.push_back(std::make_unique<Overlay>(parent));
    parent = layers.back().get();
    ASSERT_TRUE(parent->Put("k" + std::to_string(i), std::to_string(i)).ok());
    ASSERT_TRUE(parent->Delete("k" + std::to_string(i - 1)).ok());
  }
  EXPECT_EQ(Collect(parent->Scan("", "")), (Entries{{"k4", "4"}}));
  EXPECT_EQ(Collect(layers[2]->Scan("", "", true)), (Entries{{"k2", "2"}}));
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) ASSERT_TRUE((*it)->Commit().ok());
  EXPECT_EQ(Collect(base.Scan("", "")), (Entries{{"k4", "4"}}));
}

// A delete of a key an overlay put, where the parent holds nothing, leaves
// the batch at DropAbsentDeletes; every other op stays: a delete of a key
// the parent holds, a blind delete (never put), a key put again after its
// delete. The put and delete may meet in one batch or in an absorbed one
// (a tx's delete of what its block put; a large batch taking a small one
// whole, the swap path).
TEST(OverlayTest, DropAbsentDeletesDropsOnlyDeletesOfKeysPutHereAndAbsentBelow) {
  MemStore base;
  ASSERT_TRUE(base.Put("held", "1").ok());
  Overlay block(&base);
  ASSERT_TRUE(block.Put("held", "2").ok());
  ASSERT_TRUE(block.Delete("held").ok());  // held below: the delete is needed
  ASSERT_TRUE(block.Put("gone", "x").ok());
  ASSERT_TRUE(block.Delete("gone").ok());  // put and deleted here, absent below
  ASSERT_TRUE(block.Put("back", "x").ok());
  ASSERT_TRUE(block.Delete("back").ok());
  ASSERT_TRUE(block.Put("back", "y").ok());  // put again: stays
  ASSERT_TRUE(block.Delete("blind").ok());  // never put: stays
  ASSERT_TRUE(block.Put("by-tx", "x").ok());
  {
    Overlay tx(&block);  // the delete meets the put when the tx joins
    ASSERT_TRUE(tx.Delete("by-tx").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  ASSERT_TRUE(block.Put("by-big-tx", "x").ok());
  {
    Overlay tx(&block);  // many ops absorbing a few: the swap path
    for (int i = 0; i < 64; ++i) ASSERT_TRUE(tx.Put("t" + std::to_string(100 + i), "v").ok());
    ASSERT_TRUE(tx.Delete("by-big-tx").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  {
    Overlay tx(&block);  // put and deleted within a tx, then joined
    ASSERT_TRUE(tx.Put("in-tx", "x").ok());
    ASSERT_TRUE(tx.Delete("in-tx").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  {
    Overlay tx(&block);  // discarded: nothing of it counts
    ASSERT_TRUE(tx.Put("discarded", "x").ok());
    ASSERT_TRUE(tx.Delete("discarded").ok());
  }
  const std::string before = Hex(block.pending().Serialize());
  ASSERT_TRUE(block.DropAbsentDeletes().ok());
  std::map<std::string, std::optional<std::string>> ops(block.pending().ops().begin(),
                                                        block.pending().ops().end());
  for (const char* dropped : {"gone", "by-tx", "by-big-tx", "in-tx", "discarded"}) {
    EXPECT_FALSE(ops.contains(dropped)) << dropped;
  }
  EXPECT_EQ(ops.at("held"), std::nullopt);
  EXPECT_EQ(ops.at("blind"), std::nullopt);
  EXPECT_EQ(ops.at("back"), std::optional<std::string>("y"));
  EXPECT_EQ(ops.size(), 3u + 64u);
  EXPECT_NE(Hex(block.pending().Serialize()), before);
  // The list was taken: a second call has nothing to drop.
  ASSERT_TRUE(block.DropAbsentDeletes().ok());
  EXPECT_EQ(block.pending().size(), ops.size());
  ASSERT_TRUE(block.Commit().ok());
  EXPECT_EQ(Collect(base.Scan("", "t")), (Entries{{"back", "y"}}));
}

// Random writes through nested overlays (txs committed or discarded) over a
// store with random contents: dropping the absent deletes leaves the store
// after the commit exactly as without, and no delete of a key absent below
// that a committed write put is left.
TEST(OverlayTest, DropAbsentDeletesChangesNoCommittedState) {
  uint64_t x = 777;
  auto next = [&x] {  // the high bits (an LCG's low bits cycle)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  size_t dropped = 0;
  for (int round = 0; round < 40; ++round) {
    MemStore with;
    MemStore without;
    for (int k = 0; k < 30; ++k) {
      if (next() % 2 == 0) continue;
      ASSERT_TRUE(with.Put("k" + std::to_string(k), "base").ok());
      ASSERT_TRUE(without.Put("k" + std::to_string(k), "base").ok());
    }
    Overlay block(&with);
    std::set<std::string> put;  // by writes that reached the block
    for (int t = 0; t < 20; ++t) {
      Overlay tx(&block);
      std::set<std::string> tx_put;
      const int n = next() % 3 == 0 ? 80 : 1 + static_cast<int>(next() % 6);
      for (int i = 0; i < n; ++i) {
        const std::string k = "k" + std::to_string(next() % 30);
        if (next() % 2 == 0) {
          ASSERT_TRUE(tx.Put(k, "v" + std::to_string(i)).ok());
          tx_put.insert(k);
        } else {
          ASSERT_TRUE(tx.Delete(k).ok());
        }
      }
      if (next() % 4 == 0) continue;  // discarded
      ASSERT_TRUE(tx.Commit().ok());
      put.insert(tx_put.begin(), tx_put.end());
    }
    WriteBatch copy = block.pending();
    ASSERT_TRUE(without.Write(copy).ok());
    const size_t ops_before = block.pending().size();
    ASSERT_TRUE(block.DropAbsentDeletes().ok());
    dropped += ops_before - block.pending().size();
    for (const auto& [k, v] : block.pending().ops()) {
      if (v.has_value() || !put.contains(k)) continue;
      EXPECT_TRUE(*with.Has(k)) << "round " << round << ": a delete of " << k << " is left";
    }
    ASSERT_TRUE(block.Commit().ok());
    EXPECT_EQ(Collect(with.Scan("", "")), Collect(without.Scan("", ""))) << "round " << round;
  }
  EXPECT_GE(dropped, 100u);  // the rounds had deletes to drop
}

TEST(RocksDbStoreTest, OpenMissingWithoutCreateFails) {
  testing_internal::TempDir dir;
  RocksDbStore::Options o;
  o.create_if_missing = false;
  EXPECT_FALSE(RocksDbStore::Open(dir.path() + "/absent", o).ok());
  EXPECT_TRUE(RocksDbStore::Open(dir.path() + "/created").ok());
}

// CompactAll keeps every key (the benches call it between setup and
// timing); with statistics on, reads from SST files are counted.
TEST(RocksDbStoreTest, CompactAllKeepsDataAndStatisticsCountReads) {
  testing_internal::TempDir dir;
  RocksDbStore::Options o;
  o.sync = false;
  o.statistics = true;
  auto db = RocksDbStore::Open(dir.path(), o);
  ASSERT_TRUE(db.ok()) << db.status();
  WriteBatch b;
  for (int i = 0; i < 200; ++i) b.Put("key" + std::to_string(i), "value" + std::to_string(i));
  ASSERT_TRUE((*db)->Write(b).ok());
  ASSERT_TRUE((*db)->Delete("key7").ok());
  ASSERT_TRUE((*db)->CompactAll().ok());
  const RocksDbStore::ReadStats before = (*db)->read_stats();
  EXPECT_EQ(*(*db)->Get("key3"), "value3");
  EXPECT_EQ(*(*db)->Get("key7"), std::nullopt);
  EXPECT_EQ(*(*db)->Get("key199"), "value199");
  const RocksDbStore::ReadStats after = (*db)->read_stats();
  // Flushed and compacted: the reads are answered by SST files, not the memtable.
  EXPECT_EQ(after.memtable_hits, before.memtable_hits);
  EXPECT_EQ(after.get_hits_l0 + after.get_hits_l1 + after.get_hits_l2_up -
                (before.get_hits_l0 + before.get_hits_l1 + before.get_hits_l2_up),
            2u);
  EXPECT_GT(after.block_cache_hits + after.block_cache_misses, 0u);
  int n = 0;
  for (auto it = (*db)->Scan("", ""); it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 199);
  // Without statistics every counter stays zero.
  testing_internal::TempDir plain_dir;
  auto plain = RocksDbStore::Open(plain_dir.path());
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE((*plain)->Put("a", "b").ok());
  EXPECT_EQ(*(*plain)->Get("a"), "b");
  EXPECT_EQ((*plain)->read_stats().memtable_hits, 0u);
}

// GetMany of many ascending keys walks one iterator (docs/perf-history.md,
// "Stop: external stakes ordered by validator"): every answer is Get's, for
// keys next to each other, keys with absent ones between, keys far apart
// (Seeks, then the rest by MultiGet), across the memtable, SST files, keys
// deleted or overwritten since, a bound at the table's last key, and in a
// snapshot taken before later writes.
TEST(RocksDbStoreTest, GetManyOfAscendingKeysEqualsGets) {
  testing_internal::TempDir dir;
  RocksDbStore::Options o;
  o.sync = false;
  auto db = RocksDbStore::Open(dir.path(), o);
  ASSERT_TRUE(db.ok()) << db.status();
  auto key = [](int i) { return Encoder(0x70).U64(static_cast<uint64_t>(i)).Take(); };
  WriteBatch b;
  for (int i = 0; i < 6000; i += 2) b.Put(key(i), "v" + std::to_string(i));
  b.Put(Encoder(0x71).Take(), "next table");
  ASSERT_TRUE((*db)->Write(b).ok());
  ASSERT_TRUE((*db)->CompactAll().ok());
  WriteBatch later;  // in the memtable, above the SST files
  for (int i = 0; i < 6000; i += 14) later.Put(key(i), "w" + std::to_string(i));
  for (int i = 4; i < 6000; i += 22) later.Delete(key(i));
  later.Put(key(3), "odd");
  ASSERT_TRUE((*db)->Write(later).ok());
  std::unique_ptr<DurableStore> snapshot = (*db)->Snapshot();
  WriteBatch after_snapshot;
  for (int i = 0; i < 6000; i += 6) after_snapshot.Put(key(i), "x");
  ASSERT_TRUE((*db)->Write(after_snapshot).ok());
  auto ascending = [&](int from, int to, int stride) {
    std::vector<std::string> keys;
    for (int i = from; i < to; i += stride) keys.push_back(key(i));
    return keys;
  };
  const std::vector<std::vector<std::string>> lists = {
      ascending(0, 6000, 2),     // every stored key
      ascending(1, 3000, 1),     // present and absent alternating
      ascending(0, 6000, 40),    // far apart: Seeks, then MultiGet for the rest
      ascending(5800, 6200, 1),  // past the last key of the table
      ascending(100, 240, 1),    // below the walk's size: MultiGet
  };
  for (const KvReader* reader : {static_cast<const KvReader*>(db->get()),
                                 static_cast<const KvReader*>(snapshot.get())}) {
    for (const std::vector<std::string>& keys : lists) {
      std::vector<std::optional<std::string>> got{std::string("stale")};
      ASSERT_TRUE(reader->GetMany(keys, &got).ok());
      ASSERT_EQ(got.size(), keys.size());
      size_t present = 0;
      for (size_t i = 0; i < keys.size(); ++i) {
        absl::StatusOr<std::optional<std::string>> want = reader->Get(keys[i]);
        ASSERT_TRUE(want.ok());
        EXPECT_EQ(got[i], *want) << i;
        present += want->has_value() ? 1 : 0;
      }
      EXPECT_GT(present, 0u);
    }
  }
  std::vector<std::optional<std::string>> got;
  ASSERT_TRUE((*db)->GetMany(ascending(0, 300, 1), &got).ok());
  EXPECT_EQ(got[0], "x");
  EXPECT_EQ(got[3], "odd");
  EXPECT_EQ(got[4], std::nullopt);  // deleted
  EXPECT_EQ(got[14], "w14");
  ASSERT_TRUE(snapshot->GetMany(ascending(0, 300, 1), &got).ok());
  EXPECT_EQ(got[0], "w0");
  EXPECT_EQ(got[2], "v2");
}

// A RocksDB store in `dir` with a write buffer of `write_buffer_bytes` and
// no fsync (the memtable tests below).
absl::StatusOr<std::unique_ptr<RocksDbStore>> OpenUnsynced(const std::string& dir,
                                                          size_t write_buffer_bytes) {
  RocksDbStore::Options options;
  options.sync = false;
  options.write_buffer_bytes = write_buffer_bytes;
  return RocksDbStore::Open(dir, options);
}

size_t CountEntries(const KvReader& store) {
  size_t n = 0;
  for (auto it = store.Scan("", ""); it->Valid(); it->Next()) ++n;
  return n;
}

// Options::write_buffer_bytes bounds the memtable that takes writes: once
// it is full the next write goes to a fresh one (the full one is flushed in
// the background), and nothing written is lost on the way.
TEST(RocksDbStoreTest, WriteBufferBytesBoundsTheActiveMemtable) {
  const auto fill = [](RocksDbStore& db) {
    const std::string value(4096, 'v');
    for (int block = 0; block < 32; ++block) {  // 32 blocks of 64 x 4 KiB: 8 MiB in all
      WriteBatch b;
      for (int i = 0; i < 64; ++i) b.Put(absl::StrCat("key", block, "/", i), value);
      MESH_CHECK_OK(db.Write(b));
    }
  };
  testing_internal::TempDir small_dir;
  auto db = OpenUnsynced(small_dir.path(), size_t{1} << 20);
  ASSERT_TRUE(db.ok()) << db.status();
  fill(**db);
  EXPECT_LT((*db)->active_memtable_bytes(), uint64_t{3} << 19);  // < 1.5 MiB
  EXPECT_EQ(CountEntries(**db), 32u * 64u);
  EXPECT_EQ((*(*db)->Get("key31/63"))->size(), 4096u);
  // A buffer larger than all of it keeps all of it in one memtable.
  testing_internal::TempDir large_dir;
  auto big = OpenUnsynced(large_dir.path(), size_t{64} << 20);
  ASSERT_TRUE(big.ok()) << big.status();
  fill(**big);
  EXPECT_GT((*big)->active_memtable_bytes(), uint64_t{8} << 20);
}

// An indexed batch (a block's, at its commit) writes exactly its ops: the
// puts and deletes of the tree, those added after the index included.
TEST(RocksDbStoreTest, IndexedBatchWritesItsOps) {
  testing_internal::TempDir dir;
  auto db = RocksDbStore::Open(dir.path(), testing_internal::FastRocksOptions());
  ASSERT_TRUE(db.ok());
  for (int i = 0; i < 600; i += 2) ASSERT_TRUE((*db)->Put(absl::StrCat("k", 1000 + i), "old").ok());
  WriteBatch b;
  for (int i = 0; i < 600; ++i) {
    if (i % 3 == 0) {
      b.Delete(absl::StrCat("k", 1000 + i));
    } else {
      b.Put(absl::StrCat("k", 1000 + i), absl::StrCat("new", i));
    }
  }
  b.Index();
  ASSERT_TRUE(b.indexed());
  b.Put("a-first", "added");  // after the index, at either end and between
  b.Put("z-last", "added");
  b.Put("k1000x", "added");
  b.Delete("k1002");
  ASSERT_TRUE(b.indexed());
  ASSERT_TRUE((*db)->Write(b).ok());
  for (const auto& [key, value] : b.ops()) {
    absl::StatusOr<std::optional<std::string>> got = (*db)->Get(key);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, value) << key;
  }
  std::vector<std::string> keys;
  for (auto it = (*db)->Scan("", ""); it->Valid(); it->Next()) keys.emplace_back(it->key());
  EXPECT_EQ(keys.size(), 3 + 600 - 200 - 1);  // a third deleted, k1002 too
}

// A batch of half the write buffer or more starts a fresh memtable (the
// keys before it are flushed in the background) when the active one holds
// a quarter of the buffer or more: it is inserted into an empty skip list,
// not searched into the earlier keys. Nothing is lost.
TEST(RocksDbStoreTest, LargeBatchStartsAFreshMemtable) {
  testing_internal::TempDir dir;
  auto db = OpenUnsynced(dir.path(), size_t{1} << 20);
  ASSERT_TRUE(db.ok()) << db.status();
  const auto batch = [](const std::string& tag, int n) {
    WriteBatch b;
    for (int i = 0; i < n; ++i) b.Put(absl::StrCat(tag, "/", 1000 + i), std::string(4096, 'v'));
    return b;
  };
  WriteBatch small = batch("a", 100);  // 400 KiB: under half the buffer
  ASSERT_TRUE((*db)->Write(small).ok());
  const uint64_t after_small = (*db)->active_memtable_bytes();
  EXPECT_GT(after_small, uint64_t{400} << 10);
  WriteBatch large = batch("b", 150);  // 600 KiB: half the buffer or more
  ASSERT_TRUE((*db)->Write(large).ok());
  const uint64_t after_large = (*db)->active_memtable_bytes();
  // The large batch alone: without the switch it would share the memtable
  // with the small one (a write is never split), over 1000 KiB.
  EXPECT_GT(after_large, uint64_t{600} << 10);
  EXPECT_LT(after_large, uint64_t{800} << 10);
  // A second small batch joins the large one's memtable.
  WriteBatch more = batch("c", 10);
  ASSERT_TRUE((*db)->Write(more).ok());
  EXPECT_GT((*db)->active_memtable_bytes(), after_large);
  EXPECT_EQ(CountEntries(**db), 260u);
  EXPECT_EQ((*(*db)->Get("a/1099"))->size(), 4096u);
  EXPECT_EQ((*(*db)->Get("b/1149"))->size(), 4096u);
  // A memtable of under a quarter of the buffer is kept: the large batch
  // joins it.
  testing_internal::TempDir kept_dir;
  auto kept = OpenUnsynced(kept_dir.path(), size_t{1} << 20);
  ASSERT_TRUE(kept.ok()) << kept.status();
  WriteBatch few = batch("d", 20);  // 80 KiB
  ASSERT_TRUE((*kept)->Write(few).ok());
  WriteBatch large_too = batch("e", 150);
  ASSERT_TRUE((*kept)->Write(large_too).ok());
  // More than the same large batch alone (after_large) by most of the 80 KiB.
  EXPECT_GT((*kept)->active_memtable_bytes(), after_large + (uint64_t{40} << 10));
  EXPECT_EQ(CountEntries(**kept), 170u);
}

TEST(RocksDbStoreTest, SecondOpenOfLockedDirFails) {
  testing_internal::TempDir dir;
  auto first = RocksDbStore::Open(dir.path());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = RocksDbStore::Open(dir.path());
  EXPECT_FALSE(second.ok());
}

TEST(RocksDbStoreTest, SyncedWriteSurvivesReopen) {
  testing_internal::TempDir dir;
  {
    auto db = RocksDbStore::Open(dir.path(), RocksDbStore::Options{true, true});
    ASSERT_TRUE(db.ok()) << db.status();
    WriteBatch batch;
    batch.Put(std::string("\x00k", 2), std::string("\xff\x00", 2));
    ASSERT_TRUE((*db)->Write(batch).ok());
  }
  auto db = RocksDbStore::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(*(*db)->Get(std::string("\x00k", 2)), std::string("\xff\x00", 2));
}

// ---- Crash atomicity: a process killed while writing batches leaves each
// batch wholly applied or not at all. The child is this test binary re-run
// with a filter and an environment variable naming the database.

constexpr char kCrashDirEnv[] = "MESH_KV_CRASH_CHILD_DIR";
constexpr int kKeysPerBatch = 200;

std::string CrashKey(int i) { return "k" + std::to_string(1000 + i); }

TEST(RocksDbCrashChild, WriteBatchesUntilKilled) {
  const char* dir = std::getenv(kCrashDirEnv);
  if (dir == nullptr) GTEST_SKIP() << "helper for RocksDbCrashTest; runs only as its child";
  auto db = RocksDbStore::Open(std::string(dir) + "/db", testing_internal::FastRocksOptions());
  ASSERT_TRUE(db.ok()) << db.status();
  for (int round = 1;; ++round) {
    WriteBatch batch;
    for (int i = 0; i < kKeysPerBatch; ++i) batch.Put(CrashKey(i), std::to_string(round));
    ASSERT_TRUE((*db)->Write(batch).ok());
    if (round == 1) std::ofstream(std::string(dir) + "/started") << "1";
  }
}

pid_t SpawnCrashChild(const std::string& dir) {
  std::string filter = "--gtest_filter=RocksDbCrashChild.*";
  std::string env_var = std::string(kCrashDirEnv) + "=" + dir;
  std::vector<char*> argv = {const_cast<char*>("/proc/self/exe"), filter.data(), nullptr};
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  envp.push_back(env_var.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

TEST(RocksDbCrashTest, KilledWriterLeavesWholeBatches) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    testing_internal::TempDir dir;
    pid_t pid = SpawnCrashChild(dir.path());
    ASSERT_GT(pid, 0);
    for (int i = 0; i < 2000 && !std::filesystem::exists(dir.path() + "/started"); ++i) {
      usleep(5000);
    }
    ASSERT_TRUE(std::filesystem::exists(dir.path() + "/started")) << "child never wrote";
    usleep(20000 + 30000 * attempt);  // let it get some batches into the WAL
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited on its own";

    auto db = RocksDbStore::Open(dir.path() + "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    Entries all = Collect((*db)->Scan("", ""));
    ASSERT_EQ(all.size(), static_cast<size_t>(kKeysPerBatch));
    for (const auto& [key, value] : all) ASSERT_EQ(value, all.front().second) << key;
  }
}

}  // namespace
}  // namespace mesh
