#include "node/parallel_verify.h"

#include <algorithm>
#include <utility>

#include "core/crypto.h"

namespace mesh::node {

TxVerdict VerifyTx(const SignedTx& stx, std::string_view prefix) {
  TxVerdict v;
  v.signature = VerifySignature(stx.tx.pubkey, stx.tx.SignBytes(), stx.signature);
  // A verified signature implies a well-formed 33-byte public key.
  if (v.signature.ok()) v.signer = AccountAddressOf(prefix, stx.tx.pubkey);
  return v;
}

WorkerPool::WorkerPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

WorkerPool& WorkerPool::Shared() {
  static WorkerPool* pool = new WorkerPool();  // lives until exit; never joined late
  return *pool;
}

void WorkerPool::RunItems() {
  // fn_ and n_ are stable for the whole round (set before the round starts,
  // cleared only after every worker has checked out).
  const std::function<void(size_t)>& fn = *fn_;
  const size_t n = n_;
  for (size_t i = next_.fetch_add(1); i < n; i = next_.fetch_add(1)) fn(i);
}

void WorkerPool::WorkerLoop() {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    RunItems();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--busy_ == 0) done_cv_.notify_one();
    }
  }
}

void WorkerPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::lock_guard<std::mutex> call(call_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    next_.store(0);
    busy_ = static_cast<unsigned>(workers_.size());
    ++generation_;
  }
  work_cv_.notify_all();
  RunItems();
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return busy_ == 0; });
  fn_ = nullptr;
  n_ = 0;
}

std::vector<TxVerdict> PreVerify(const std::vector<const SignedTx*>& txs, std::string_view prefix,
                                 WorkerPool* pool) {
  std::vector<TxVerdict> out(txs.size());
  if (pool == nullptr) pool = &WorkerPool::Shared();
  pool->ParallelFor(txs.size(), [&](size_t i) { out[i] = VerifyTx(*txs[i], prefix); });
  return out;
}

std::vector<TxVerdict> PreVerify(const std::vector<SignedTx>& txs, std::string_view prefix,
                                 WorkerPool* pool) {
  std::vector<const SignedTx*> ptrs;
  ptrs.reserve(txs.size());
  for (const SignedTx& tx : txs) ptrs.push_back(&tx);
  return PreVerify(ptrs, prefix, pool);
}

}  // namespace mesh::node
