// A conformance suite for KvStore implementations, as a type-parameterized
// GoogleTest suite. Every store the engine uses (memory, RocksDB, overlays,
// overlays of overlays) must pass the same tests, so code above the store
// cannot tell them apart.
//
// Usage, in exactly one test .cc per instantiation:
//   #include "core/store_conformance.h"
//   using MyHarnesses = ::testing::Types<MyHarness>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, StoreConformanceTest, MyHarnesses);
//
// A harness H owns the store under test and is default-constructible:
//   static constexpr bool kPersistent;   // state survives Reopen()
//   KvStore& store();                    // the store under test (fresh, empty)
//   // Applies `batch` atomically: DurableStore::Write for durable stores, a
//   // child Overlay committed in one step for overlays.
//   absl::Status Apply(const WriteBatch& batch);
//   // Pushes the writes made so far down to the bottom store (overlays are
//   // committed layer by layer); a no-op for a plain store. Lets a test spread
//   // its data over several layers before reading it back.
//   absl::Status Flush();
//   // Flushes, closes and reopens the durable store (persistent harnesses).
//   absl::Status Reopen();
// Ready-made harnesses for the engine's own stores are at the end of this
// file. Deterministic; not thread-safe.
#ifndef MESHSEC_CORE_STORE_CONFORMANCE_H_
#define MESHSEC_CORE_STORE_CONFORMANCE_H_

#include <stdlib.h>

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/codec.h"
#include "core/kv.h"
#include "core/rocksdb_store.h"
#include "gtest/gtest.h"

namespace mesh {
namespace testing_internal {

using Entries = std::vector<std::pair<std::string, std::string>>;

// Drains an iterator; fails the test on an iterator error.
inline Entries Collect(std::unique_ptr<KvIterator> it) {
  Entries out;
  for (; it->Valid(); it->Next()) out.emplace_back(it->key(), it->value());
  EXPECT_TRUE(it->status().ok()) << it->status();
  return out;
}

inline Entries Reversed(Entries e) { return Entries(e.rbegin(), e.rend()); }

// A binary key/value from its bytes (string literals stop at "\0").
inline std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// A fresh directory under the test temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "meshsec_store_XXXXXX";
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed for " << tmpl;
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline RocksDbStore::Options FastRocksOptions() {
  RocksDbStore::Options o;
  o.sync = false;  // tests exercise logic, not fsync; the crash test syncs
  return o;
}

}  // namespace testing_internal

template <typename H>
class StoreConformanceTest : public ::testing::Test {
 protected:
  using Entries = testing_internal::Entries;
  KvStore& store() { return harness_.store(); }
  void Put(const std::string& k, const std::string& v) { ASSERT_TRUE(store().Put(k, v).ok()); }
  std::optional<std::string> Get(const std::string& k) {
    auto v = store().Get(k);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::nullopt;
  }
  Entries Scan(const std::string& b, const std::string& e, bool reverse = false) {
    return testing_internal::Collect(store().Scan(b, e, reverse));
  }
  Entries Prefix(const std::string& p, bool reverse = false) {
    return testing_internal::Collect(store().ScanPrefix(p, reverse));
  }
  // Writes `keys` (value = "v" + key), flushing half of them to the bottom
  // layer first so reads merge several layers.
  void Fill(const std::vector<std::string>& keys) {
    for (size_t i = 0; i < keys.size(); ++i) {
      Put(keys[i], "v" + keys[i]);
      if (i == keys.size() / 2) {
        ASSERT_TRUE(harness_.Flush().ok());
      }
    }
  }

  H harness_;
};

TYPED_TEST_SUITE_P(StoreConformanceTest);

TYPED_TEST_P(StoreConformanceTest, GetPutOverwriteDelete) {
  EXPECT_EQ(this->Get("k"), std::nullopt);
  EXPECT_FALSE(*this->store().Has("k"));
  this->Put("k", "one");
  EXPECT_EQ(this->Get("k"), "one");
  EXPECT_TRUE(*this->store().Has("k"));
  this->Put("k", "two");
  EXPECT_EQ(this->Get("k"), "two");
  ASSERT_TRUE(this->harness_.Flush().ok());
  EXPECT_EQ(this->Get("k"), "two");
  ASSERT_TRUE(this->store().Delete("k").ok());
  EXPECT_EQ(this->Get("k"), std::nullopt);
  EXPECT_TRUE(this->store().Delete("never-written").ok());
  EXPECT_EQ(this->Scan("", ""), (testing_internal::Entries{}));
}

TYPED_TEST_P(StoreConformanceTest, EmptyValueIsPresent) {
  this->Put("e", "");
  EXPECT_EQ(this->Get("e"), std::string());
  EXPECT_TRUE(*this->store().Has("e"));
  ASSERT_TRUE(this->harness_.Flush().ok());
  EXPECT_EQ(this->Get("e"), std::string());
  EXPECT_EQ(this->Scan("", ""), (testing_internal::Entries{{"e", ""}}));
}

TYPED_TEST_P(StoreConformanceTest, BinaryKeysOrderUnsigned) {
  using testing_internal::B;
  // Expected ascending unsigned byte order, including the empty key.
  std::vector<std::string> sorted = {"",
                                     B({0x00}),
                                     B({0x00, 0x00}),
                                     B({0x00, 0xff}),
                                     B({0x01}),
                                     B({0x7f}),
                                     B({0x80}),
                                     B({0xfe, 0xff}),
                                     B({0xff}),
                                     B({0xff, 0x00}),
                                     B({0xff, 0xff, 0xff})};
  std::vector<std::string> shuffled = {sorted[8], sorted[0], sorted[5], sorted[10],
                                       sorted[2], sorted[7], sorted[1], sorted[9],
                                       sorted[3], sorted[6], sorted[4]};
  this->Fill(shuffled);
  testing_internal::Entries want;
  for (const auto& k : sorted) {
    want.emplace_back(k, "v" + k);
    EXPECT_EQ(this->Get(k), "v" + k);
  }
  EXPECT_EQ(this->Scan("", ""), want);
  EXPECT_EQ(this->Scan("", "", /*reverse=*/true), testing_internal::Reversed(want));
}

TYPED_TEST_P(StoreConformanceTest, ScanBounds) {
  using E = testing_internal::Entries;
  this->Fill({"b", "d", "f", "h"});
  // [begin, end): begin inclusive, end exclusive, absent bounds fine.
  EXPECT_EQ(this->Scan("b", "f"), (E{{"b", "vb"}, {"d", "vd"}}));
  EXPECT_EQ(this->Scan("c", "g"), (E{{"d", "vd"}, {"f", "vf"}}));
  EXPECT_EQ(this->Scan("c", "g", true), (E{{"f", "vf"}, {"d", "vd"}}));
  EXPECT_EQ(this->Scan("b", "f", true), (E{{"d", "vd"}, {"b", "vb"}}));
  EXPECT_EQ(this->Scan("e", ""), (E{{"f", "vf"}, {"h", "vh"}}));
  EXPECT_EQ(this->Scan("e", "", true), (E{{"h", "vh"}, {"f", "vf"}}));
  EXPECT_EQ(this->Scan("", "c", true), (E{{"b", "vb"}}));
  EXPECT_EQ(this->Scan("h", "h\x01"), (E{{"h", "vh"}}));
  // Empty and inverted ranges are empty in both directions.
  EXPECT_EQ(this->Scan("d", "d"), E{});
  EXPECT_EQ(this->Scan("d", "d", true), E{});
  EXPECT_EQ(this->Scan("f", "b"), E{});
  EXPECT_EQ(this->Scan("f", "b", true), E{});
  EXPECT_EQ(this->Scan("i", ""), E{});
  EXPECT_EQ(this->Scan("i", "", true), E{});
  EXPECT_EQ(this->Scan("", "a", true), E{});
}

TYPED_TEST_P(StoreConformanceTest, PrefixScans) {
  using testing_internal::B;
  using E = testing_internal::Entries;
  std::string p = "a" + B({0xff});  // prefix with a 0xff tail
  std::string in1 = p, in2 = p + B({0x00}), in3 = p + B({0xff, 0xff});
  std::string before = "a" + B({0xfe, 0xff}), after = "b";
  this->Fill({after, in3, before, in1, in2, "a"});
  E want = {{in1, "v" + in1}, {in2, "v" + in2}, {in3, "v" + in3}};
  EXPECT_EQ(PrefixEnd(p), "b");
  EXPECT_EQ(this->Prefix(p), want);
  EXPECT_EQ(this->Prefix(p, true), testing_internal::Reversed(want));
  EXPECT_EQ(this->Prefix("a").size(), 5u);
  EXPECT_EQ(this->Prefix("c"), E{});
  // An all-0xff prefix has no end: the scan runs to the end of the keyspace.
  std::string ff = B({0xff, 0xff});
  this->Put(ff, "x");
  this->Put(ff + "z", "y");
  EXPECT_EQ(PrefixEnd(ff), "");
  EXPECT_EQ(this->Prefix(ff), (E{{ff, "x"}, {ff + "z", "y"}}));
  EXPECT_EQ(this->Prefix(ff, true), (E{{ff + "z", "y"}, {ff, "x"}}));
  EXPECT_EQ(this->Prefix("").size(), 8u);  // "" is everything
}

TYPED_TEST_P(StoreConformanceTest, DeletesAndOverwritesAcrossLayers) {
  using E = testing_internal::Entries;
  this->Fill({"a", "b", "c", "d", "e"});
  ASSERT_TRUE(this->harness_.Flush().ok());
  ASSERT_TRUE(this->store().Delete("a").ok());
  ASSERT_TRUE(this->store().Delete("c").ok());
  ASSERT_TRUE(this->store().Delete("e").ok());
  this->Put("b", "B");
  this->Put("bb", "new");
  ASSERT_TRUE(this->store().Delete("zz").ok());  // deleting an absent key
  E want = {{"b", "B"}, {"bb", "new"}, {"d", "vd"}};
  EXPECT_EQ(this->Scan("", ""), want);
  EXPECT_EQ(this->Scan("", "", true), testing_internal::Reversed(want));
  EXPECT_EQ(this->Get("c"), std::nullopt);
  ASSERT_TRUE(this->harness_.Flush().ok());
  EXPECT_EQ(this->Scan("", ""), want);
}

TYPED_TEST_P(StoreConformanceTest, IteratorEndIsStable) {
  this->Put("k", "v");
  auto it = this->store().Scan("", "");
  ASSERT_TRUE(it->Valid());
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TYPED_TEST_P(StoreConformanceTest, WriteBatchAppliesAllOps) {
  using E = testing_internal::Entries;
  this->Fill({"keep", "gone", "over"});
  WriteBatch batch;
  batch.Put("new", "n");
  batch.Delete("gone");
  batch.Put("over", "O");
  batch.Put("tmp", "t");
  batch.Delete("tmp");  // last op per key wins
  batch.Delete("back");
  batch.Put("back", "b");
  ASSERT_TRUE(this->harness_.Apply(batch).ok());
  E want = {{"back", "b"}, {"keep", "vkeep"}, {"new", "n"}, {"over", "O"}};
  EXPECT_EQ(this->Scan("", ""), want);
  EXPECT_EQ(this->Scan("", "", true), testing_internal::Reversed(want));
  ASSERT_TRUE(this->harness_.Apply(WriteBatch()).ok());  // empty batch: no-op
  EXPECT_EQ(this->Scan("", ""), want);
}

TYPED_TEST_P(StoreConformanceTest, PersistsAcrossReopen) {
  if (!TypeParam::kPersistent) GTEST_SKIP() << "not a persistent store";
  using E = testing_internal::Entries;
  this->Fill({"a", "b", "c"});
  ASSERT_TRUE(this->store().Delete("b").ok());
  WriteBatch batch;
  batch.Put("d", "vd");
  ASSERT_TRUE(this->harness_.Apply(batch).ok());
  ASSERT_TRUE(this->harness_.Reopen().ok());
  E want = {{"a", "va"}, {"c", "vc"}, {"d", "vd"}};
  EXPECT_EQ(this->Scan("", ""), want);
  EXPECT_EQ(this->Get("b"), std::nullopt);
}

TYPED_TEST_P(StoreConformanceTest, OverlayDiscardLeavesStoreUnchanged) {
  this->Fill({"a", "b"});
  auto before = this->Scan("", "");
  Overlay ov(&this->store());
  ASSERT_TRUE(ov.Put("a", "changed").ok());
  ASSERT_TRUE(ov.Delete("b").ok());
  ASSERT_TRUE(ov.Put("c", "added").ok());
  EXPECT_EQ(*ov.Get("a"), "changed");
  EXPECT_EQ(*ov.Get("b"), std::nullopt);
  EXPECT_EQ(this->Scan("", ""), before);  // nothing leaks before Commit
  ov.Discard();
  EXPECT_TRUE(ov.pending().empty());
  EXPECT_EQ(testing_internal::Collect(ov.Scan("", "")), before);
  ASSERT_TRUE(ov.Commit().ok());  // committing nothing changes nothing
  EXPECT_EQ(this->Scan("", ""), before);
}

TYPED_TEST_P(StoreConformanceTest, OverlayCommitMerges) {
  using E = testing_internal::Entries;
  this->Fill({"a", "b", "c"});
  Overlay outer(&this->store());
  Overlay inner(&outer);
  ASSERT_TRUE(inner.Put("a", "A").ok());
  ASSERT_TRUE(inner.Delete("b").ok());
  ASSERT_TRUE(inner.Put("d", "D").ok());
  E want = {{"a", "A"}, {"c", "vc"}, {"d", "D"}};
  EXPECT_EQ(testing_internal::Collect(inner.Scan("", "", true)), testing_internal::Reversed(want));
  ASSERT_TRUE(inner.Commit().ok());
  EXPECT_TRUE(inner.pending().empty());
  EXPECT_EQ(testing_internal::Collect(outer.Scan("", "")), want);
  EXPECT_EQ(this->Scan("", "").size(), 3u);  // outer not yet committed
  EXPECT_EQ(this->Get("b"), "vb");
  ASSERT_TRUE(outer.Commit().ok());
  EXPECT_EQ(this->Scan("", ""), want);
  EXPECT_EQ(this->Scan("", "", true), testing_internal::Reversed(want));
}

// GetMany answers as one Get per key: keys spread over the layers, some
// overwritten or deleted above, absent ones, in ascending order, shuffled
// with repeats, through an overlay with its own writes, and none at all.
TYPED_TEST_P(StoreConformanceTest, GetManyEqualsGets) {
  std::vector<std::string> written;
  for (int i = 0; i < 300; ++i) written.push_back("k" + std::to_string(1000 + 2 * i));
  this->Fill(written);
  ASSERT_TRUE(this->harness_.Flush().ok());
  this->Put("k1000", "over");
  ASSERT_TRUE(this->store().Delete("k1010").ok());
  this->Put("k1001", "new");
  this->Put("k1003", "");
  std::vector<std::string> ascending;
  for (int i = 0; i < 610; ++i) ascending.push_back("k" + std::to_string(995 + i));
  std::vector<std::string> shuffled;
  for (size_t i = 0; i < ascending.size(); ++i) shuffled.push_back(ascending[(i * 7919) % 610]);
  shuffled.push_back("k1000");
  shuffled.push_back("k1010");
  shuffled.push_back("k1000");
  Overlay above(&this->store());
  ASSERT_TRUE(above.Put("k1002", "top").ok());
  ASSERT_TRUE(above.Delete("k1004").ok());
  for (const KvReader* reader : {static_cast<const KvReader*>(&this->store()),
                                 static_cast<const KvReader*>(&above)}) {
    for (const std::vector<std::string>* keys : {&ascending, &shuffled, &written}) {
      std::vector<std::optional<std::string>> got{std::string("stale")};
      ASSERT_TRUE(reader->GetMany(*keys, &got).ok());
      ASSERT_EQ(got.size(), keys->size());
      for (size_t i = 0; i < keys->size(); ++i) {
        auto want = reader->Get((*keys)[i]);
        ASSERT_TRUE(want.ok());
        EXPECT_EQ(got[i], *want) << (*keys)[i];
      }
    }
    std::vector<std::optional<std::string>> none{std::string("stale")};
    ASSERT_TRUE(reader->GetMany({}, &none).ok());
    EXPECT_TRUE(none.empty());
  }
  std::vector<std::optional<std::string>> got;
  ASSERT_TRUE(above.GetMany(std::vector<std::string>{"k1002", "k1004", "k1001", "k1003"}, &got).ok());
  EXPECT_EQ(got, (std::vector<std::optional<std::string>>{"top", std::nullopt, "new", ""}));
}

REGISTER_TYPED_TEST_SUITE_P(StoreConformanceTest, GetPutOverwriteDelete, EmptyValueIsPresent,
                            BinaryKeysOrderUnsigned, ScanBounds, PrefixScans,
                            DeletesAndOverwritesAcrossLayers, IteratorEndIsStable,
                            WriteBatchAppliesAllOps, PersistsAcrossReopen,
                            OverlayDiscardLeavesStoreUnchanged, OverlayCommitMerges,
                            GetManyEqualsGets);

// ---- Harnesses for the engine's own stores ----

// Applies `batch` to a non-durable store through one overlay commit.
inline absl::Status ApplyViaOverlay(KvStore* store, const WriteBatch& batch) {
  Overlay child(store);
  for (const auto& [key, value] : batch.ops()) {
    absl::Status s = value.has_value() ? child.Put(key, *value) : child.Delete(key);
    if (!s.ok()) return s;
  }
  return child.Commit();
}

struct MemStoreHarness {
  static constexpr bool kPersistent = false;
  KvStore& store() { return mem; }
  absl::Status Apply(const WriteBatch& b) { return mem.Write(b); }
  absl::Status Flush() { return absl::OkStatus(); }
  absl::Status Reopen() { return absl::OkStatus(); }
  MemStore mem;
};

struct RocksDbHarness {
  static constexpr bool kPersistent = true;
  RocksDbHarness() { EXPECT_TRUE(Reopen().ok()); }
  KvStore& store() { return *db; }
  absl::Status Apply(const WriteBatch& b) { return db->Write(b); }
  absl::Status Flush() { return absl::OkStatus(); }
  absl::Status Reopen() {
    db.reset();  // close before reopening: RocksDB locks the directory
    auto opened = RocksDbStore::Open(dir.path(), testing_internal::FastRocksOptions());
    if (!opened.ok()) return opened.status();
    db = *std::move(opened);
    return absl::OkStatus();
  }
  testing_internal::TempDir dir;
  std::unique_ptr<RocksDbStore> db;
};

struct OverlayOverMemHarness {
  static constexpr bool kPersistent = false;
  KvStore& store() { return top; }
  absl::Status Apply(const WriteBatch& b) { return ApplyViaOverlay(&top, b); }
  absl::Status Flush() { return top.Commit(); }
  absl::Status Reopen() { return absl::OkStatus(); }
  MemStore mem;
  Overlay top{&mem};
};

struct OverlayOverlayRocksDbHarness {
  static constexpr bool kPersistent = true;
  OverlayOverlayRocksDbHarness() { Stack(); }
  KvStore& store() { return *top; }
  absl::Status Apply(const WriteBatch& b) { return ApplyViaOverlay(top.get(), b); }
  absl::Status Flush() {
    absl::Status s = top->Commit();
    return s.ok() ? mid->Commit() : s;
  }
  absl::Status Reopen() {
    absl::Status s = Flush();
    if (!s.ok()) return s;
    top.reset();
    mid.reset();
    s = rocks.Reopen();
    Stack();
    return s;
  }
  void Stack() {
    mid = std::make_unique<Overlay>(rocks.db.get());
    top = std::make_unique<Overlay>(mid.get());
  }
  RocksDbHarness rocks;
  std::unique_ptr<Overlay> mid, top;
};

}  // namespace mesh

#endif  // MESHSEC_CORE_STORE_CONFORMANCE_H_
