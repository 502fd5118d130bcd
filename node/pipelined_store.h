// PipelinedStore: block commits written on a writer thread, so that the
// durable write of block N overlaps the execution of block N + 1
// (docs/perf-history.md, "1. Pipelined commit").
//
// A chain's Commit hands its block's batch to Consume, which returns as
// soon as the batch is queued: the writer thread then applies it to the
// wrapped store (one atomic Write, fsync'd as the store is configured).
// Until that write has finished, the batch stays visible to every read
// through this store: Get looks in it first, Scan merges it over the
// store's iterator, and Snapshot returns the store's snapshot with the
// batch on top (once the batch is written, the writer moves such a view to a
// snapshot taken right after the write, so a kept view does not keep the
// batch in memory). So every read — and every result and app hash — is exactly
// what it would be had the write been synchronous.
//
// One write in flight at a time: Consume, Write, Put, Delete, Flush and the
// destructor first wait for the previous write. A failed write is kept:
// its batch stays visible (the chain's state is what its last Commit
// reported) and every later write and Flush returns the error, so the chain
// cannot commit past it.
//
// Durability: when Consume returns, the block is not yet on disk; it is
// when the next Consume, or Flush, returns OK. A crash in between loses at
// most that last block, whole (the write is atomic); the chain reopens at
// the block before, which a consensus engine replays (ABCI handshake).
//
// REQUIRES: the wrapped store's ReadsDuringWrite() (reads on other threads
// while a write runs). Thread-safe as the wrapped store is for reads;
// writes from one thread (the chain's).
#ifndef MESHSEC_NODE_PIPELINED_STORE_H_
#define MESHSEC_NODE_PIPELINED_STORE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/kv.h"

namespace mesh::node {

class PipelinedStore : public DurableStore {
 public:
  explicit PipelinedStore(std::unique_ptr<DurableStore> store);
  ~PipelinedStore() override;  // waits for the write in flight
  PipelinedStore(const PipelinedStore&) = delete;
  PipelinedStore& operator=(const PipelinedStore&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  // The batch in flight answers its keys, the store's GetMany the rest.
  absl::Status GetMany(std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* out) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  // These wait for the write in flight, then write synchronously.
  absl::Status Put(std::string_view key, std::string_view value) override;
  absl::Status Delete(std::string_view key) override;
  absl::Status Write(const WriteBatch& batch) override;
  // Waits for the write in flight (returning its error, `batch` unchanged),
  // then takes `batch` (left empty) and queues it for the writer thread.
  absl::Status Consume(WriteBatch& batch) override;
  // The wrapped store's snapshot with the batch in flight, if any, on top.
  std::unique_ptr<DurableStore> Snapshot() const override;
  bool ConcurrentReads() const override { return store_->ConcurrentReads(); }

  // Waits until every queued batch is durable; the first failed write's
  // error otherwise.
  absl::Status Flush();
  // Batches written by the writer thread so far (tests, diagnosis).
  uint64_t writes() const;
  // Snapshot views moved off their batch so far (tests, diagnosis).
  uint64_t moved_views() const;

  // A snapshot view's shared state (pipelined_store.cc).
  struct ViewState;
  class ViewCore;

 private:
  // The batch in flight (nullptr when none), shared with readers.
  std::shared_ptr<const WriteBatch> InFlight() const;
  // Waits until no batch is in flight; the kept error, if any. mu_ held.
  absl::Status WaitIdle(std::unique_lock<std::mutex>& lock);
  void WriterLoop();

  std::unique_ptr<DurableStore> store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::shared_ptr<const WriteBatch> in_flight_;
  bool writing_ = false;  // the writer has taken in_flight_ and not finished
  bool stop_ = false;
  absl::Status failed_;   // the first failed write (kept: the chain halts)
  uint64_t writes_ = 0;
  // Views taken while the batch in flight was (they read it on top of their
  // snapshot); moved to a later snapshot once it is written.
  mutable std::vector<std::weak_ptr<ViewCore>> pinned_;
  uint64_t moved_views_ = 0;
  std::thread writer_;    // last: started once everything above exists
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_PIPELINED_STORE_H_
