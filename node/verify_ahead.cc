#include "node/verify_ahead.h"

#include <utility>

#include "core/status.h"

namespace mesh::node {

VerdictCache::VerdictCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void VerdictCache::Put(const SignedTx& tx, TxVerdict verdict) {
  if (!verdict.checked || !verdict.signature.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (verdicts_.size() >= capacity_ && !verdicts_.contains(tx.wire)) verdicts_.clear();
  verdicts_.insert_or_assign(tx.wire, std::move(verdict));
}

std::optional<TxVerdict> VerdictCache::Take(const SignedTx& tx) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = verdicts_.find(tx.wire);
  if (it == verdicts_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  std::optional<TxVerdict> out(std::move(it->second));
  verdicts_.erase(it);
  return out;
}

size_t VerdictCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return verdicts_.size();
}

AheadVerifier::AheadVerifier(VerifyParams params, AccountNumberFn number_of,
                             VerdictCache* cache)
    : params_(params), number_of_(std::move(number_of)), cache_(cache) {
  MESH_CHECK(params_.verdicts == nullptr);
  MESH_CHECK(cache_ != nullptr);
  thread_ = std::thread([this] { Loop(); });
}

AheadVerifier::~AheadVerifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.clear();
    stop_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

void AheadVerifier::Submit(std::shared_ptr<const std::vector<SignedTx>> txs) {
  if (txs == nullptr || txs->empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(Job{std::move(txs), 0});
  }
  work_cv_.notify_one();
}

void AheadVerifier::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_.clear();
}

void AheadVerifier::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return !busy_ && jobs_.empty(); });
}

void AheadVerifier::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    // Take the next tx (its job stays alive through `txs`).
    std::shared_ptr<const std::vector<SignedTx>> txs = jobs_.front().txs;
    const size_t i = jobs_.front().next++;
    if (jobs_.front().next == txs->size()) jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    const SignedTx& tx = (*txs)[i];
    cache_->Put(tx, VerifyTxWithLookup(tx, params_, number_of_));
    verified_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    busy_ = false;
    idle_cv_.notify_all();  // Wait (cheap when none waits)
  }
}

}  // namespace mesh::node
