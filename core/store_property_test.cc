// Property test: random sequences of puts, deletes, reads, scans and nested
// overlay begin/commit/discard, applied to every store configuration and to a
// trivially correct model (a stack of std::map snapshots). Every read must
// agree with the model. rapidcheck prints the seed of every run;
// reproduce it with RC_PARAMS="reproduce=..." (printed) or "seed=N".
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/kv.h"
#include "core/store_conformance.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"

namespace mesh {
namespace {

using testing_internal::Collect;
using testing_internal::Entries;

enum OpKind {
  kPut,
  kPut2,
  kDelete,
  kGet,
  kScan,
  kPrefix,
  kBegin,
  kCommit,
  kDiscard,
  kFlushOrReopen,
  kNumOpKinds
};
// (kind, key or scan begin, value or scan end, reverse)
using Op = std::tuple<int, std::string, std::string, bool>;

// Short keys over a few boundary bytes (156 possible keys), so operations
// collide often and scans hit the 0x00 / 0x7f / 0x80 / 0xff edges.
rc::Gen<std::string> KeyGen() {
  return rc::gen::mapcat(rc::gen::inRange(0, 4), [](int n) {
    return rc::gen::container<std::string>(static_cast<size_t>(n),
                                           rc::gen::element('\x00', 'a', '\x7f', '\x80', '\xff'));
  });
}

rc::Gen<Op> OpGen() {
  return rc::gen::tuple(rc::gen::inRange(0, static_cast<int>(kNumOpKinds)), KeyGen(), KeyGen(),
                        rc::gen::arbitrary<bool>());
}

// The model: the top map is what the outermost overlay sees.
class Model {
 public:
  Model() : stack_(1) {}
  std::map<std::string, std::string>& top() { return stack_.back(); }
  size_t depth() const { return stack_.size() - 1; }
  void Begin() { stack_.push_back(stack_.back()); }
  void Commit() {
    auto m = std::move(stack_.back());
    stack_.pop_back();
    stack_.back() = std::move(m);
  }
  void Discard() { stack_.pop_back(); }
  Entries Scan(const std::string& b, const std::string& e, bool reverse) {
    Entries out;
    for (const auto& [k, v] : top()) {
      if (k >= b && (e.empty() || k < e)) out.emplace_back(k, v);
    }
    return reverse ? testing_internal::Reversed(out) : out;
  }

 private:
  std::vector<std::map<std::string, std::string>> stack_;
};

// One store configuration plus the overlays the op sequence has opened.
class AnySubject {
 public:
  virtual ~AnySubject() = default;
  virtual const char* name() const = 0;
  virtual KvStore& base() = 0;
  // Commits the configuration's fixed overlays into its bottom store; with
  // `reopen`, also closes and reopens a persistent store.
  virtual absl::Status FlushOrReopen(bool reopen) = 0;
  KvStore& top() { return stack_.empty() ? base() : *stack_.back(); }
  void Begin() { stack_.push_back(std::make_unique<Overlay>(&top())); }
  absl::Status Commit() {
    absl::Status s = stack_.back()->Commit();
    stack_.pop_back();
    return s;
  }
  void Discard() { stack_.pop_back(); }  // destroying an overlay drops it

 private:
  std::vector<std::unique_ptr<Overlay>> stack_;
};

// Deletes every key of a durable store in one batch.
absl::Status WipeStore(DurableStore& store) {
  WriteBatch batch;
  for (auto it = store.Scan("", ""); it->Valid(); it->Next()) batch.Delete(it->key());
  return store.Write(batch);
}

// A configuration over harness H. RocksDB-backed harnesses are shared by all
// cases of a run and wiped per case: opening a database costs ~20 ms of
// fsyncs (far more on a busy machine), and hundreds of cases would add up.
template <typename H>
class Subject : public AnySubject {
 public:
  Subject(const char* name, H* shared) : name_(name), harness_(shared) {
    if (harness_ == nullptr) {
      owned_ = std::make_unique<H>();
      harness_ = owned_.get();
    }
  }
  const char* name() const override { return name_; }
  KvStore& base() override { return harness_->store(); }
  absl::Status FlushOrReopen(bool reopen) override {
    return H::kPersistent && reopen ? harness_->Reopen() : harness_->Flush();
  }

 private:
  const char* name_;
  H* harness_;
  std::unique_ptr<H> owned_;
};

struct SharedRocks {
  RocksDbHarness plain;
  OverlayOverlayRocksDbHarness layered;
  // Empties both (a failed case, replayed while shrinking, may leave data).
  absl::Status Wipe() {
    layered.top->Discard();
    layered.mid->Discard();
    absl::Status s = WipeStore(*layered.rocks.db);
    return s.ok() ? WipeStore(*plain.db) : s;
  }
};

std::vector<std::unique_ptr<AnySubject>> AllSubjects(SharedRocks& shared) {
  std::vector<std::unique_ptr<AnySubject>> s;
  s.push_back(std::make_unique<Subject<MemStoreHarness>>("MemStore", nullptr));
  s.push_back(std::make_unique<Subject<RocksDbHarness>>("RocksDb", &shared.plain));
  s.push_back(std::make_unique<Subject<OverlayOverMemHarness>>("Overlay/MemStore", nullptr));
  s.push_back(std::make_unique<Subject<OverlayOverlayRocksDbHarness>>("Overlay/Overlay/RocksDb",
                                                                      &shared.layered));
  return s;
}

std::string Show(const Entries& e) {
  std::string out;
  for (const auto& [k, v] : e)
    absl::StrAppend(&out, "[", absl::CEscape(k), "=", absl::CEscape(v), "]");
  return out;
}

void CheckScan(AnySubject& s, const Entries& want, std::unique_ptr<KvIterator> it,
               const std::string& what) {
  Entries got = Collect(std::move(it));
  if (got != want) {
    RC_FAIL(absl::StrCat(s.name(), " ", what, ": got ", Show(got), " want ", Show(want)));
  }
}

// Applies one op to the model and every subject; checks reads.
void Step(const Op& op, Model& model, std::vector<std::unique_ptr<AnySubject>>& subjects) {
  const auto& [kind, a, b, reverse] = op;
  if ((kind == kCommit || kind == kDiscard) && model.depth() == 0) return;
  if (kind == kFlushOrReopen && model.depth() != 0) return;  // only with no open overlays
  std::string end = b.empty() || b > a ? b : "";             // mostly non-empty ranges
  // Reopening a RocksDB costs ~20 ms (fsyncs), so only 1 flush in 32 does.
  bool reopen = reverse && a.empty() && b.empty();
  for (auto& s : subjects) {
    KvStore& st = s->top();
    switch (kind) {
      case kPut:
      case kPut2:
        RC_ASSERT(st.Put(a, b).ok());
        break;
      case kDelete:
        RC_ASSERT(st.Delete(a).ok());
        break;
      case kGet: {
        auto got = st.Get(a);
        RC_ASSERT(got.ok());
        auto it = model.top().find(a);
        std::optional<std::string> want;
        if (it != model.top().end()) want = it->second;
        if (*got != want) RC_FAIL(absl::StrCat(s->name(), " Get ", absl::CEscape(a)));
        break;
      }
      case kScan:
        CheckScan(*s, model.Scan(a, end, reverse), st.Scan(a, end, reverse),
                  absl::StrCat("Scan ", absl::CEscape(a), "..", absl::CEscape(end)));
        break;
      case kPrefix:
        CheckScan(*s, model.Scan(a, PrefixEnd(a), reverse), st.ScanPrefix(a, reverse),
                  absl::StrCat("ScanPrefix ", absl::CEscape(a)));
        break;
      case kBegin:
        s->Begin();
        break;
      case kCommit:
        RC_ASSERT(s->Commit().ok());
        break;
      case kDiscard:
        s->Discard();
        break;
      case kFlushOrReopen:
        RC_ASSERT(s->FlushOrReopen(reopen).ok());
        break;
    }
  }
  switch (kind) {
    case kPut:
    case kPut2:
      model.top()[a] = b;
      break;
    case kDelete:
      model.top().erase(a);
      break;
    case kBegin:
      model.Begin();
      break;
    case kCommit:
      model.Commit();
      break;
    case kDiscard:
      model.Discard();
      break;
    default:
      break;
  }
}

TEST(StoreProperty, AllStoresAgreeWithModel) {
  SharedRocks shared;
  EXPECT_TRUE(rc::check("every store agrees with the model", [&shared] {
    // Scaled up: short sequences rarely nest overlays deep enough to matter.
    const auto ops = *rc::gen::scale(4.0, rc::gen::container<std::vector<Op>>(OpGen()));
    RC_ASSERT(shared.Wipe().ok());
    Model model;
    auto subjects = AllSubjects(shared);
    for (const Op& op : ops) Step(op, model, subjects);
    // Close every open overlay by committing, then compare whole contents.
    while (model.depth() > 0) Step(Op{kCommit, "", "", false}, model, subjects);
    Step(Op{kFlushOrReopen, "x", "", false}, model, subjects);  // flush, no reopen
    Step(Op{kScan, "", "", false}, model, subjects);
    Step(Op{kScan, "", "", true}, model, subjects);
  }));
}

}  // namespace
}  // namespace mesh
