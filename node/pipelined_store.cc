#include "node/pipelined_store.h"

#include <utility>

#include "core/status.h"

namespace mesh::node {
namespace {

// An iterator over `parent` with `batch` (if any) on top; `keep` owns
// whatever the two read (the batch, a snapshot) while the iterator runs.
class BatchIterator final : public KvIterator {
 public:
  BatchIterator(std::shared_ptr<const void> keep, const WriteBatch* batch,
                std::unique_ptr<KvIterator> parent, std::string_view begin, std::string_view end,
                bool reverse)
      : keep_(std::move(keep)),
        merged_(batch == nullptr ? std::move(parent)
                                 : ScanWithBatch(*batch, std::move(parent), begin, end, reverse)) {}
  bool Valid() const override { return merged_->Valid(); }
  void Next() override { merged_->Next(); }
  std::string_view key() const override { return merged_->key(); }
  std::string_view value() const override { return merged_->value(); }
  absl::Status status() const override { return merged_->status(); }

 private:
  std::shared_ptr<const void> keep_;
  std::unique_ptr<KvIterator> merged_;
};

// The op on `key` in `batch` (may be null), or null.
const std::optional<std::string>* FindIn(const WriteBatch* batch, std::string_view key) {
  return batch == nullptr ? nullptr : batch->Find(key);
}

}  // namespace

// What a snapshot view reads: a snapshot of the wrapped store and the batch
// that was in flight when the view was taken (null once the view has moved
// to a snapshot taken after that batch's write, which holds it).
struct PipelinedStore::ViewState {
  std::shared_ptr<DurableStore> snapshot;
  std::shared_ptr<const WriteBatch> batch;
};

// Shared by a view and the store's list of views to move: the writer swaps
// the state once the batch is written, so kept views (the gRPC server keeps
// one per recent block) do not hold every block's batch in memory.
class PipelinedStore::ViewCore {
 public:
  explicit ViewCore(std::shared_ptr<const ViewState> state) : state_(std::move(state)) {}
  std::shared_ptr<const ViewState> Load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return state_;
  }
  void Set(std::shared_ptr<const ViewState> state) {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = std::move(state);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ViewState> state_;
};

namespace {

// A read-only view: a snapshot of the wrapped store with the batch that was
// in flight when it was taken on top (until the writer moves it, above).
class SnapshotWithBatch final : public DurableStore {
 public:
  using Core = std::shared_ptr<PipelinedStore::ViewCore>;
  explicit SnapshotWithBatch(Core core) : core_(std::move(core)) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    const auto state = core_->Load();
    if (const auto* op = FindIn(state->batch.get(), key)) return *op;
    return state->snapshot->Get(key);
  }
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override {
    const auto state = core_->Load();
    return GetManyWithBatch(state->batch.get(), *state->snapshot, keys, out);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse) const override {
    auto state = core_->Load();
    std::unique_ptr<KvIterator> it = state->snapshot->Scan(begin, end, reverse);
    const WriteBatch* batch = state->batch.get();
    return std::make_unique<BatchIterator>(std::move(state), batch, std::move(it), begin, end,
                                           reverse);
  }
  absl::Status Put(std::string_view, std::string_view) override { return Refuse(); }
  absl::Status Delete(std::string_view) override { return Refuse(); }
  absl::Status Write(const WriteBatch&) override { return Refuse(); }
  bool ConcurrentReads() const override { return core_->Load()->snapshot->ConcurrentReads(); }

 private:
  static absl::Status Refuse() {
    return absl::FailedPreconditionError("write to a read-only store snapshot");
  }
  Core core_;
};

}  // namespace

PipelinedStore::PipelinedStore(std::unique_ptr<DurableStore> store)
    : store_(std::move(store)), writer_([this] { WriterLoop(); }) {}

PipelinedStore::~PipelinedStore() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    WaitIdle(lock).IgnoreError();
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void PipelinedStore::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] {
      return stop_ || (in_flight_ != nullptr && !writing_ && failed_.ok());
    });
    if (stop_) return;
    writing_ = true;
    std::shared_ptr<const WriteBatch> batch = in_flight_;
    lock.unlock();
    absl::Status s = store_->Write(*batch);
    lock.lock();
    writing_ = false;
    ++writes_;
    if (s.ok()) {
      // Views taken while the batch was in flight move to a snapshot taken
      // now: the store holds exactly their snapshot plus the batch (no write
      // can start while in_flight_ is set). Done before the batch is marked
      // written, so after Flush no view holds it. (Lock order: mu_, then a
      // view's own mutex; a view's readers take only the latter.)
      std::shared_ptr<const ViewState> moved;
      for (const std::weak_ptr<ViewCore>& weak : pinned_) {
        std::shared_ptr<ViewCore> view = weak.lock();
        if (view == nullptr) continue;
        if (moved == nullptr) {
          moved = std::make_shared<const ViewState>(ViewState{store_->Snapshot(), nullptr});
        }
        view->Set(moved);
        ++moved_views_;
      }
      pinned_.clear();
      in_flight_.reset();
    } else {
      // Kept in flight: reads still see the state the chain committed, and
      // every later write returns this error.
      failed_ = absl::Status(s.code(), "the write of a committed block failed: " +
                                           std::string(s.message()));
    }
    lock.unlock();
    cv_.notify_all();
    batch.reset();  // the batch's memory is freed here, off the chain's thread
    lock.lock();
  }
}

absl::Status PipelinedStore::WaitIdle(std::unique_lock<std::mutex>& lock) {
  cv_.wait(lock, [this] { return !failed_.ok() || in_flight_ == nullptr; });
  return failed_;
}

std::shared_ptr<const WriteBatch> PipelinedStore::InFlight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

absl::StatusOr<std::optional<std::string>> PipelinedStore::Get(std::string_view key) const {
  // The batch is looked up first: while it is in flight the store may or
  // may not have it yet; once it is gone the store has it.
  const std::shared_ptr<const WriteBatch> batch = InFlight();
  if (const auto* op = FindIn(batch.get(), key)) return *op;
  return store_->Get(key);
}

absl::Status PipelinedStore::GetMany(std::span<const std::string> keys,
                                     std::vector<std::optional<std::string>>* out) const {
  const std::shared_ptr<const WriteBatch> batch = InFlight();  // as Get
  return GetManyWithBatch(batch.get(), *store_, keys, out);
}

std::unique_ptr<KvIterator> PipelinedStore::Scan(std::string_view begin, std::string_view end,
                                                 bool reverse) const {
  std::shared_ptr<const WriteBatch> batch = InFlight();
  // Created after the batch was taken: the store's iterator sees it or not,
  // and the batch on top gives the same entries either way.
  std::unique_ptr<KvIterator> it = store_->Scan(begin, end, reverse);
  if (batch == nullptr) return it;
  const WriteBatch* raw = batch.get();
  return std::make_unique<BatchIterator>(std::move(batch), raw, std::move(it), begin, end, reverse);
}

std::unique_ptr<DurableStore> PipelinedStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<DurableStore> snapshot = store_->Snapshot();
  if (snapshot == nullptr || in_flight_ == nullptr) return snapshot;
  // Registered under mu_: the writer moves every view registered before it
  // marks the batch written (below), and none is registered after.
  auto core = std::make_shared<ViewCore>(std::make_shared<const ViewState>(
      ViewState{std::shared_ptr<DurableStore>(std::move(snapshot)), in_flight_}));
  pinned_.push_back(core);
  return std::make_unique<SnapshotWithBatch>(std::move(core));
}

absl::Status PipelinedStore::Put(std::string_view key, std::string_view value) {
  MESH_RETURN_IF_ERROR(Flush());
  return store_->Put(key, value);
}

absl::Status PipelinedStore::Delete(std::string_view key) {
  MESH_RETURN_IF_ERROR(Flush());
  return store_->Delete(key);
}

absl::Status PipelinedStore::Write(const WriteBatch& batch) {
  MESH_RETURN_IF_ERROR(Flush());
  return store_->Write(batch);
}

absl::Status PipelinedStore::Consume(WriteBatch& batch) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    MESH_RETURN_IF_ERROR(WaitIdle(lock));
    in_flight_ = std::make_shared<const WriteBatch>(std::move(batch));
  }
  batch.Clear();  // a moved-from batch is valid; make it empty
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status PipelinedStore::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  return WaitIdle(lock);
}

uint64_t PipelinedStore::writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

uint64_t PipelinedStore::moved_views() const {
  std::lock_guard<std::mutex> lock(mu_);
  return moved_views_;
}

}  // namespace mesh::node
