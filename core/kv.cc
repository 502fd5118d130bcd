#include "core/kv.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <ostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/codec.h"
#include "core/crypto.h"
#include "core/status.h"

namespace mesh {
namespace {

// Walks the entries of an ordered std::map whose keys lie in [begin, end)
// (end == "" unbounded), ascending or descending. Used directly by MemStore
// and, for the pending writes, inside the Overlay's merging iterator.
template <typename Map>
class MapRange {
 public:
  using Iter = typename Map::const_iterator;

  MapRange(const Map& map, std::string_view begin, std::string_view end, bool reverse)
      : reverse_(reverse) {
    first_ = map.lower_bound(begin);
    last_ = end.empty() ? map.end() : map.lower_bound(end);
    if (!end.empty() && end <= begin) last_ = first_;  // empty range
    if (reverse_) {
      cur_ = last_;
      StepBack();
    } else {
      cur_ = first_;
    }
  }

  bool Valid() const { return valid_ && cur_ != last_; }
  void Next() {
    if (reverse_) {
      StepBack();
    } else {
      ++cur_;
    }
  }
  const typename Map::value_type& entry() const { return *cur_; }

 private:
  // Moves to the previous entry; an empty range ends iteration.
  void StepBack() {
    if (cur_ == first_) {
      valid_ = false;
      return;
    }
    --cur_;
  }

  bool reverse_;
  bool valid_ = true;
  Iter first_, last_, cur_;
};

class MemIterator : public KvIterator {
 public:
  using Map = std::map<std::string, std::string, std::less<>>;
  MemIterator(const Map& map, std::string_view begin, std::string_view end, bool reverse)
      : range_(map, begin, end, reverse) {}

  bool Valid() const override { return range_.Valid(); }
  void Next() override { range_.Next(); }
  std::string_view key() const override { return range_.entry().first; }
  std::string_view value() const override { return range_.entry().second; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  MapRange<Map> range_;
};

// Merges an overlay's pending writes (which win on equal keys and may be
// deletions) with the parent's iterator, in the requested direction.
class OverlayIterator : public KvIterator {
 public:
  using Ops = std::map<std::string, std::optional<std::string>, std::less<>>;

  OverlayIterator(const Ops& ops, std::unique_ptr<KvIterator> parent, std::string_view begin,
                  std::string_view end, bool reverse)
      : own_(ops, begin, end, reverse), parent_(std::move(parent)), reverse_(reverse) {
    Settle();
  }

  bool Valid() const override { return current_ != Source::kNone; }
  void Next() override {
    if (current_ == Source::kOwn) {
      own_.Next();
    } else if (current_ == Source::kParent) {
      parent_->Next();
    }
    Settle();
  }
  std::string_view key() const override {
    return current_ == Source::kOwn ? std::string_view(own_.entry().first) : parent_->key();
  }
  std::string_view value() const override {
    return current_ == Source::kOwn ? std::string_view(*own_.entry().second) : parent_->value();
  }
  absl::Status status() const override { return parent_->status(); }

 private:
  enum class Source { kNone, kOwn, kParent };

  // True if key `a` comes before key `b` in the iteration direction.
  bool Before(std::string_view a, std::string_view b) const { return reverse_ ? a > b : a < b; }

  // Chooses the next visible entry: skips parent entries shadowed by a
  // pending write and pending deletions. Stops on a parent I/O error so the
  // caller never sees a partial merge as complete.
  void Settle() {
    current_ = Source::kNone;
    while (parent_->status().ok()) {
      bool own_ok = own_.Valid();
      bool parent_ok = parent_->Valid();
      if (!own_ok && !parent_ok) return;
      if (!own_ok || (parent_ok && Before(parent_->key(), own_.entry().first))) {
        current_ = Source::kParent;
        return;
      }
      if (parent_ok && parent_->key() == own_.entry().first) {
        parent_->Next();  // shadowed by the pending write
        continue;
      }
      if (own_.entry().second.has_value()) {
        current_ = Source::kOwn;
        return;
      }
      own_.Next();  // pending deletion
    }
  }

  MapRange<Ops> own_;
  std::unique_ptr<KvIterator> parent_;
  bool reverse_;
  Source current_ = Source::kNone;
};

}  // namespace

absl::Status KvStore::Apply(WriteBatch& batch) {
  for (const auto& [key, value] : batch.ops()) {
    MESH_RETURN_IF_ERROR(value.has_value() ? Put(key, *value) : Delete(key));
  }
  batch.Clear();
  return absl::OkStatus();
}

std::unique_ptr<KvIterator> KvReader::ScanPrefix(std::string_view prefix, bool reverse) const {
  return Scan(prefix, PrefixEnd(prefix), reverse);
}

absl::Status VisitFrom(
    const KvReader& store, std::string_view prefix, std::string_view from, bool reverse,
    absl::FunctionRef<absl::StatusOr<bool>(std::string_view suffix, std::string_view value)>
        visit) {
  std::string begin(prefix);
  std::string end = PrefixEnd(prefix);
  if (!from.empty()) {
    std::string at = std::string(prefix).append(from);
    if (reverse) {
      end = std::move(at);
      end.push_back('\0');  // the least key above prefix + from
    } else {
      begin = std::move(at);
    }
  }
  auto it = store.Scan(begin, end, reverse);
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(bool more, visit(it->key().substr(prefix.size()), it->value()));
    if (!more) break;
  }
  return it->status();
}

absl::Status KvStore::DeletePrefix(std::string_view prefix) {
  std::vector<std::string> keys;
  auto it = ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) keys.emplace_back(it->key());
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const std::string& k : keys) MESH_RETURN_IF_ERROR(Delete(k));
  return absl::OkStatus();
}

absl::StatusOr<bool> KvReader::Has(std::string_view key) const {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(key));
  return v.has_value();
}

absl::Status KvReader::GetMany(std::span<const std::string> keys,
                               std::vector<std::optional<std::string>>* out) const {
  out->clear();
  out->reserve(keys.size());
  for (const std::string& key : keys) {
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(key));
    out->push_back(std::move(value));
  }
  return absl::OkStatus();
}

uint64_t FixedKeyHash(std::string_view key) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ key.size();
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, key.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  uint64_t w = 0;
  std::memcpy(&w, key.data() + i, key.size() - i);
  // MurmurHash3's finaliser: every bit of h reaches every other.
  h ^= w;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

namespace {

// Two bit positions of a key in a filter of `words` 64-bit words (a power
// of two), from the two halves of its hash (FixedKeyHash).
std::pair<uint64_t, uint64_t> FilterBits(uint64_t h, size_t words) {
  const uint64_t mask = words * 64 - 1;
  return {h & mask, (h >> 32) & mask};
}

bool TestBit(const std::vector<uint64_t>& f, uint64_t bit) {
  return (f[bit >> 6] >> (bit & 63)) & 1;
}

// The table of a key: its first byte (0 for the empty key).
uint8_t TableOf(std::string_view key) {
  return key.empty() ? 0 : static_cast<uint8_t>(key[0]);
}

void AddToFilter(std::vector<uint64_t>& f, uint64_t hash) {
  const auto [a, b] = FilterBits(hash, f.size());
  f[a >> 6] |= uint64_t{1} << (a & 63);
  f[b >> 6] |= uint64_t{1} << (b & 63);
}

}  // namespace

bool WriteBatch::MayContain(std::string_view key) const {
  if (filter_.empty()) return true;
  const auto [a, b] = FilterBits(FixedKeyHash(key), filter_.size());
  return TestBit(filter_, a) && TestBit(filter_, b);
}

const std::optional<std::string>* WriteBatch::Find(std::string_view key) const {
  if (!MayContain(key)) return nullptr;
  auto it = ops_.find(key);
  return it == ops_.end() ? nullptr : &it->second;
}

WriteBatch& WriteBatch::operator=(const WriteBatch& other) {
  if (this == &other) return *this;
  ops_ = other.ops_;
  filter_ = other.filter_;
  hashes_ = other.hashes_;
  unput_ = other.unput_;
  ForgetHints();
  DropIndex();
  return *this;
}

WriteBatch& WriteBatch::operator=(WriteBatch&& other) noexcept {
  if (this == &other) return *this;
  ops_ = std::move(other.ops_);
  filter_ = std::move(other.filter_);
  hashes_ = std::move(other.hashes_);
  unput_ = std::move(other.unput_);
  index_ = std::move(other.index_);
  indexed_adds_ = other.indexed_adds_;
  ForgetHints();
  other.Clear();
  return *this;
}

void WriteBatch::Index() {
  if (indexed() || ops_.size() < kIndexFrom) return;
  index_.reserve(ops_.size() + kIndexedAdds);
  for (const Op& op : ops_) index_.push_back(&op);
  indexed_adds_ = 0;
}

void WriteBatch::AddToIndex(const Op* op) {
  if (!indexed()) return;
  if (++indexed_adds_ > kIndexedAdds) {
    DropIndex();
    return;
  }
  const auto at = std::lower_bound(
      index_.begin(), index_.end(), std::string_view(op->first),
      [](const Op* a, std::string_view key) { return std::string_view(a->first) < key; });
  index_.insert(at, op);
}

// The filter is sized for 16 bits a key and filled from the keys' hashes,
// each computed once (when the filter starts, or when its key is noted).
void WriteBatch::RebuildFilter() {
  if (hashes_.empty()) {
    hashes_.reserve(ops_.size() * 2);
    for (const auto& [key, value] : ops_) hashes_.push_back(FixedKeyHash(key));
  }
  size_t words = 1;
  while (words * 64 < 16 * ops_.size()) words *= 2;
  filter_.assign(words, 0);
  for (uint64_t h : hashes_) AddToFilter(filter_, h);
}

void WriteBatch::Noted(std::string_view key) {
  if (filter_.empty()) {
    if (ops_.size() >= kFilterFrom) RebuildFilter();
    return;
  }
  hashes_.push_back(FixedKeyHash(key));
  if (ops_.size() * 8 > filter_.size() * 64) {
    RebuildFilter();
    return;
  }
  AddToFilter(filter_, hashes_.back());
}

std::optional<WriteBatch::Ops::iterator> WriteBatch::PlaceAfter(Ops::iterator at,
                                                                 std::string_view key) {
  const int order = std::string_view(at->first).compare(key);
  if (order == 0) return at;
  if (order < 0) {
    const Ops::iterator next = std::next(at);
    if (next == ops_.end() || std::string_view(next->first).compare(key) >= 0) return next;
  }
  return std::nullopt;
}

WriteBatch::Ops::iterator WriteBatch::Seek(std::string_view key, int* hint) {
  *hint = -1;
  if (tables_ != nullptr) {
    if (const std::optional<Ops::iterator>& last = (*tables_)[TableOf(key)]) {
      if (std::optional<Ops::iterator> at = PlaceAfter(*last, key)) return *at;
    }
    return ops_.lower_bound(key);
  }
  for (size_t i = 0; i < hints_used_; ++i) {
    if (std::optional<Ops::iterator> at = PlaceAfter(hints_[i], key)) {
      *hint = static_cast<int>(i);
      return *at;
    }
  }
  return ops_.lower_bound(key);
}

void WriteBatch::Wrote(Ops::iterator at, int hint) {
  if (tables_ == nullptr && ops_.size() >= kTableHintsFrom) {
    tables_ = std::make_unique<TableHints>();
  }
  if (tables_ != nullptr) {
    (*tables_)[TableOf(at->first)] = at;
    return;
  }
  if (hint >= 0) {
    hints_[hint] = at;
  } else if (hints_used_ < kWriteHints) {
    hints_[hints_used_++] = at;
  } else {
    hints_[next_hint_] = at;
    next_hint_ = (next_hint_ + 1) % kWriteHints;
  }
}

template <typename Update, typename Insert>
void WriteBatch::Write(std::string_view key, Update&& update, Insert&& insert) {
  int hint = -1;
  auto it = Seek(key, &hint);
  if (it != ops_.end() && it->first == key) {
    update(it->second);
  } else {
    it = insert(it);
    Noted(it->first);
    AddToIndex(&*it);
  }
  Wrote(it, hint);
}

// A key already in the batch is updated in place (no new key string).
void WriteBatch::Put(std::string_view key, std::string_view value) {
  Write(
      key,
      [&](std::optional<std::string>& op) {
        if (op.has_value()) {
          op->assign(value);
        } else {
          op.emplace(value);
        }
      },
      [&](Ops::iterator at) {
        return ops_.emplace_hint(at, std::string(key),
                                 std::optional<std::string>(std::in_place, value));
      });
}

void WriteBatch::PutOwned(std::string key, std::string value) {
  const std::string_view k = key;
  Write(
      k, [&](std::optional<std::string>& op) { op = std::move(value); },
      [&](Ops::iterator at) {
        return ops_.emplace_hint(at, std::move(key), std::optional<std::string>(std::move(value)));
      });
}

void WriteBatch::Delete(std::string_view key) {
  Write(
      key,
      [&](std::optional<std::string>& op) {
        if (op.has_value()) unput_.emplace_back(key);
        op.reset();
      },
      [&](Ops::iterator at) {
        return ops_.emplace_hint(at, std::string(key), std::optional<std::string>());
      });
}

void WriteBatch::Erase(std::string_view key) {
  auto it = ops_.find(key);
  if (it == ops_.end()) return;
  ForgetHints();  // one of them may be `it`
  DropIndex();
  ops_.erase(it);
}

// `other` is sorted, so each of its keys is tried right after the one
// before it: exact (constant time) whenever this batch has no key in
// between, as when a tx's or a packet's writes join their block; else from
// the batch's write positions (the same records, or the next of a table,
// tx after tx), and only then by a descent of the tree.
void WriteBatch::Absorb(WriteBatch&& other) {
  if (ops_.empty()) {  // nothing to merge with: take `other` whole
    *this = std::move(other);
    return;
  }
  DropIndex();
  if (ops_.size() * kAbsorbSwapRatio < other.ops_.size()) {
    // A few ops absorbing many (a packet's receipt and ack bookkeeping
    // absorbing its callback's writes, a slash's 10^5 users): `other` is
    // taken whole and this batch's ops are moved into it, each kept only
    // where `other` has no op on its key. Moving every op of `other` node
    // by node cost a rebalancing insert each.
    WriteBatch older = std::move(*this);
    *this = std::move(other);
    DropIndex();  // the ops moved in below are not in `other`'s
    unput_.insert(unput_.end(), std::make_move_iterator(older.unput_.begin()),
                  std::make_move_iterator(older.unput_.end()));
    while (!older.ops_.empty()) {
      auto node = older.ops_.extract(older.ops_.begin());
      const Ops::iterator pos = ops_.lower_bound(node.key());
      if (pos != ops_.end() && pos->first == node.key()) {  // the newer op stays
        if (node.mapped().has_value() && !pos->second.has_value()) unput_.push_back(pos->first);
        continue;
      }
      const Ops::iterator at = ops_.insert(pos, std::move(node));
      Noted(at->first);
    }
    return;
  }
  unput_.insert(unput_.end(), std::make_move_iterator(other.unput_.begin()),
                std::make_move_iterator(other.unput_.end()));
  Ops::iterator after = ops_.end();  // right after the op absorbed last
  bool first = true;
  while (!other.ops_.empty()) {
    auto node = other.ops_.extract(other.ops_.begin());
    // lower_bound(key): `after` when nothing lies between the op absorbed
    // last and this one, else from the write positions.
    int hint = -1;
    bool sought = false;  // found from the write positions (then one of them)
    Ops::iterator pos;
    if (!first && (after == ops_.end() || !(after->first < node.key()))) {
      pos = after;
    } else {
      pos = Seek(node.key(), &hint);
      sought = true;
    }
    first = false;
    Ops::iterator at;
    if (pos != ops_.end() && pos->first == node.key()) {
      if (pos->second.has_value() && !node.mapped().has_value()) unput_.push_back(pos->first);
      pos->second = std::move(node.mapped());
      at = pos;
    } else {
      at = ops_.insert(pos, std::move(node));
      Noted(at->first);
    }
    if (sought) Wrote(at, hint);
    after = std::next(at);
  }
  other.Clear();
}

void WriteBatch::SerializeTo(Encoder& e) const {
  for (const auto& [key, value] : ops_) {
    e.U8(value.has_value() ? 1 : 0).Bytes(key);
    if (value.has_value()) e.Bytes(*value);
  }
}

void WriteBatch::HashTo(Sha256Hasher& h) const {
  ForEachOp(
      [&h](const Op& op) {
        const auto& [key, value] = op;
        MESH_CHECK(key.size() <= 0xffffffffu);
        h.U8(value.has_value() ? 1 : 0).U32(static_cast<uint32_t>(key.size())).Update(key);
        if (value.has_value()) {
          MESH_CHECK(value->size() <= 0xffffffffu);
          h.U32(static_cast<uint32_t>(value->size())).Update(*value);
        }
      },
      PrefetchBytes);
}

std::string WriteBatch::Serialize() const {
  Encoder e;
  SerializeTo(e);
  return e.Take();
}

namespace {

class ReadOnly final : public DurableStore {
 public:
  explicit ReadOnly(std::unique_ptr<DurableStore> inner) : inner_(std::move(inner)) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_->Get(key);
  }
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override {
    return inner_->GetMany(keys, out);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse) const override {
    return inner_->Scan(begin, end, reverse);
  }
  absl::Status Put(std::string_view, std::string_view) override { return Refuse(); }
  absl::Status Delete(std::string_view) override { return Refuse(); }
  absl::Status Write(const WriteBatch&) override { return Refuse(); }
  bool ConcurrentReads() const override { return inner_->ConcurrentReads(); }

 private:
  static absl::Status Refuse() {
    return absl::FailedPreconditionError("write to a read-only store snapshot");
  }
  std::unique_ptr<DurableStore> inner_;
};

}  // namespace

absl::Status DurableStore::Consume(WriteBatch& batch) {
  MESH_RETURN_IF_ERROR(Write(batch));
  batch.Clear();
  return absl::OkStatus();
}

std::unique_ptr<DurableStore> ReadOnlyStore(std::unique_ptr<DurableStore> inner) {
  return std::make_unique<ReadOnly>(std::move(inner));
}

std::unique_ptr<DurableStore> MemStore::Snapshot() const {
  auto copy = std::make_unique<MemStore>();
  copy->data_ = data_;
  return ReadOnlyStore(std::move(copy));
}

absl::StatusOr<std::optional<std::string>> MemStore::Get(std::string_view key) const {
  auto it = data_.find(key);
  if (it == data_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

std::unique_ptr<KvIterator> MemStore::Scan(std::string_view begin, std::string_view end,
                                           bool reverse) const {
  return std::make_unique<MemIterator>(data_, begin, end, reverse);
}

absl::Status MemStore::Put(std::string_view key, std::string_view value) {
  data_.insert_or_assign(std::string(key), std::string(value));
  return absl::OkStatus();
}

absl::Status MemStore::Delete(std::string_view key) {
  auto it = data_.find(key);
  if (it != data_.end()) data_.erase(it);
  return absl::OkStatus();
}

absl::Status MemStore::Write(const WriteBatch& batch) {
  for (const auto& [key, value] : batch.ops()) {
    if (value.has_value()) {
      data_.insert_or_assign(key, *value);
    } else {
      data_.erase(key);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Overlay::Get(std::string_view key) const {
  if (const std::optional<std::string>* op = batch_.Find(key)) return *op;
  return parent_->Get(key);
}

absl::Status GetManyAt(const KvReader& store, std::span<const std::string> keys,
                       std::span<const size_t> positions,
                       std::vector<std::optional<std::string>>* out) {
  if (positions.empty()) return absl::OkStatus();
  std::vector<std::optional<std::string>> got;
  if (positions.size() == keys.size()) {  // every key: asked as they are
    MESH_RETURN_IF_ERROR(store.GetMany(keys, &got));
  } else {
    std::vector<std::string> asked;
    asked.reserve(positions.size());
    for (size_t p : positions) asked.push_back(keys[p]);
    MESH_RETURN_IF_ERROR(store.GetMany(asked, &got));
  }
  for (size_t j = 0; j < positions.size(); ++j) (*out)[positions[j]] = std::move(got[j]);
  return absl::OkStatus();
}

absl::Status GetManyWithBatch(const WriteBatch* batch, const KvReader& parent,
                              std::span<const std::string> keys,
                              std::vector<std::optional<std::string>>* out) {
  if (batch == nullptr || batch->empty()) return parent.GetMany(keys, out);
  std::vector<size_t> rest;  // positions the batch does not answer
  rest.reserve(keys.size());
  out->assign(keys.size(), std::nullopt);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (const std::optional<std::string>* op = batch->Find(keys[i])) {
      (*out)[i] = *op;
    } else {
      rest.push_back(i);
    }
  }
  return GetManyAt(parent, keys, rest, out);
}

absl::Status Overlay::GetMany(std::span<const std::string> keys,
                              std::vector<std::optional<std::string>>* out) const {
  return GetManyWithBatch(&batch_, *parent_, keys, out);
}

std::unique_ptr<KvIterator> ScanWithBatch(const WriteBatch& batch,
                                          std::unique_ptr<KvIterator> parent,
                                          std::string_view begin, std::string_view end,
                                          bool reverse) {
  // No op in the range (and the batch stays unchanged while the iterator
  // lives): the parent's entries are the merge. A long scan through nested
  // overlays (a packet's, its block's) then steps the store's iterator
  // alone.
  const auto first = batch.ops().lower_bound(begin);
  if (first == batch.ops().end() || (!end.empty() && std::string_view(first->first) >= end)) {
    return parent;
  }
  return std::make_unique<OverlayIterator>(batch.ops(), std::move(parent), begin, end, reverse);
}

KvList::KvList(std::initializer_list<std::pair<std::string_view, std::string_view>> entries) {
  for (const auto& [key, value] : entries) emplace_back(key, value);
}

size_t KvList::LowerBound(std::string_view key) const {
  size_t lo = 0;
  size_t hi = size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if ((*this)[mid].first < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

KvList KvList::Head(size_t n) const {
  KvList head;
  if (n == 0) return head;
  head.ends_.assign(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(2 * n));
  head.buf_.assign(buf_, 0, head.ends_.back());
  return head;
}

void KvList::Prepend(const KvList& head) {
  if (head.empty()) return;
  const size_t shift = head.buf_.size();
  buf_.insert(0, head.buf_);
  for (size_t& e : ends_) e += shift;
  ends_.insert(ends_.begin(), head.ends_.begin(), head.ends_.end());
}

void PrintTo(const KvList& list, std::ostream* os) {
  *os << "{";
  for (size_t i = 0; i < list.size(); ++i) {
    *os << (i == 0 ? "" : ", ") << list[i].first << "=" << list[i].second;
  }
  *os << "}";
}

namespace {

class ListIter final : public KvIterator {
 public:
  explicit ListIter(std::shared_ptr<const KvList> kvs) : kvs_(std::move(kvs)) {}
  bool Valid() const override { return i_ < kvs_->size(); }
  void Next() override { ++i_; }
  std::string_view key() const override { return (*kvs_)[i_].first; }
  std::string_view value() const override { return (*kvs_)[i_].second; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  std::shared_ptr<const KvList> kvs_;
  size_t i_ = 0;
};

class ReadAheadIter final : public KvIterator {
 public:
  ReadAheadIter(KvList head, std::unique_ptr<KvIterator> rest)
      : head_(std::move(head)), rest_(std::move(rest)) {}
  bool Valid() const override { return i_ < head_.size() || rest_->Valid(); }
  void Next() override {
    if (i_ < head_.size()) {
      ++i_;
    } else {
      rest_->Next();
    }
  }
  std::string_view key() const override {
    return i_ < head_.size() ? std::string_view(head_[i_].first) : rest_->key();
  }
  std::string_view value() const override {
    return i_ < head_.size() ? std::string_view(head_[i_].second) : rest_->value();
  }
  absl::Status status() const override { return rest_->status(); }

 private:
  KvList head_;
  std::unique_ptr<KvIterator> rest_;
  size_t i_ = 0;
};

// `head`'s entries, then the iterator `open` makes once the caller reads
// past them.
class ListThenIter final : public KvIterator {
 public:
  ListThenIter(std::shared_ptr<const KvList> head,
               std::function<std::unique_ptr<KvIterator>()> open)
      : head_(std::move(head)), open_(std::move(open)) {
    if (head_->empty()) rest_ = open_();
  }
  bool Valid() const override { return i_ < head_->size() || rest_->Valid(); }
  void Next() override {
    if (i_ < head_->size()) {
      if (++i_ == head_->size()) rest_ = open_();
      return;
    }
    rest_->Next();
  }
  std::string_view key() const override {
    return i_ < head_->size() ? std::string_view((*head_)[i_].first) : rest_->key();
  }
  std::string_view value() const override {
    return i_ < head_->size() ? std::string_view((*head_)[i_].second) : rest_->value();
  }
  absl::Status status() const override {
    return rest_ == nullptr ? absl::OkStatus() : rest_->status();
  }

 private:
  std::shared_ptr<const KvList> head_;
  std::function<std::unique_ptr<KvIterator>()> open_;
  std::unique_ptr<KvIterator> rest_;
  size_t i_ = 0;
};

}  // namespace

std::unique_ptr<KvIterator> ListThenIterator(std::shared_ptr<const KvList> head,
                                             std::function<std::unique_ptr<KvIterator>()> open) {
  return std::make_unique<ListThenIter>(std::move(head), std::move(open));
}

std::unique_ptr<KvIterator> ListIterator(std::shared_ptr<const KvList> entries) {
  return std::make_unique<ListIter>(std::move(entries));
}

std::unique_ptr<KvIterator> ReadAheadIterator(KvList head, std::unique_ptr<KvIterator> rest) {
  return std::make_unique<ReadAheadIter>(std::move(head), std::move(rest));
}

namespace {
class CollectingIter final : public KvIterator {
 public:
  CollectingIter(std::unique_ptr<KvIterator> it, size_t max,
                 std::function<void(KvList, bool)> keep, bool partial)
      : it_(std::move(it)), max_(max), keep_(std::move(keep)), partial_(partial) {
    KeepIfDone();
  }
  ~CollectingIter() override {
    if (!partial_ || !collecting_ || !it_->Valid() || !it_->status().ok()) return;
    if (entries_.size() >= max_) return;
    entries_.emplace_back(it_->key(), it_->value());
    keep_(std::move(entries_), false);
  }
  bool Valid() const override { return it_->Valid(); }
  void Next() override {
    if (collecting_) {
      if (entries_.size() < max_) {
        entries_.emplace_back(it_->key(), it_->value());
      } else {
        collecting_ = false;
        entries_.clear();
      }
    }
    it_->Next();
    KeepIfDone();
  }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  absl::Status status() const override { return it_->status(); }

 private:
  void KeepIfDone() {
    if (!collecting_ || it_->Valid() || !it_->status().ok()) return;
    collecting_ = false;
    keep_(std::move(entries_), true);
  }
  std::unique_ptr<KvIterator> it_;
  const size_t max_;
  std::function<void(KvList, bool)> keep_;
  const bool partial_;
  KvList entries_;
  bool collecting_ = true;
};

}  // namespace

std::unique_ptr<KvIterator> CollectingIterator(std::unique_ptr<KvIterator> it, size_t max,
                                               std::function<void(KvList, bool)> keep,
                                               bool partial) {
  return std::make_unique<CollectingIter>(std::move(it), max, std::move(keep), partial);
}

std::unique_ptr<KvIterator> Overlay::Scan(std::string_view begin, std::string_view end,
                                          bool reverse) const {
  return ScanWithBatch(batch_, parent_->Scan(begin, end, reverse), begin, end, reverse);
}

absl::Status Overlay::Put(std::string_view key, std::string_view value) {
  batch_.Put(key, value);
  return absl::OkStatus();
}

absl::Status Overlay::PutOwned(std::string key, std::string value) {
  batch_.PutOwned(std::move(key), std::move(value));
  return absl::OkStatus();
}

absl::Status Overlay::Delete(std::string_view key) {
  batch_.Delete(key);
  return absl::OkStatus();
}

absl::Status Overlay::Apply(WriteBatch& batch) {
  batch_.Absorb(std::move(batch));
  return absl::OkStatus();
}

absl::Status Overlay::DropAbsentDeletes() {
  std::vector<std::string> keys = batch_.TakeUnput();
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  // Only those still deleted (a later put may have written the key again).
  std::erase_if(keys, [&](const std::string& key) {
    const std::optional<std::string>* op = batch_.Find(key);
    return op == nullptr || op->has_value();
  });
  if (keys.empty()) return absl::OkStatus();
  std::vector<std::optional<std::string>> below;
  MESH_RETURN_IF_ERROR(parent_->GetMany(keys, &below));
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!below[i].has_value()) batch_.Erase(keys[i]);
  }
  return absl::OkStatus();
}

absl::Status Overlay::Commit() {
  // A durable parent gets the whole batch as one atomic write; another
  // overlay cannot fail half-way, so op-by-op is equally atomic there. The
  // common case (a tx into its block, a module's atomic section into its tx)
  // moves the ops: nothing is copied.
  if (auto* durable = dynamic_cast<DurableStore*>(parent_)) {
    MESH_RETURN_IF_ERROR(durable->Consume(batch_));
  } else {
    MESH_RETURN_IF_ERROR(parent_->Apply(batch_));
  }
  batch_.Clear();
  return absl::OkStatus();
}

}  // namespace mesh
