#include "node/parallel_verify.h"

#include <algorithm>
#include <utility>

#include "core/crypto.h"
#include "core/status.h"
#include "node/verify_ahead.h"

namespace mesh::node {

namespace {

// The verdict's signer, and the verdict of `stx` for its account number
// (if any): through the signer cache when there is one and the key parses.
// A key that does not parse takes the uncached path, whose VerifySignature
// reports the same parse error.
TxVerdict Verdict(const SignedTx& stx, const VerifyParams& params,
                  const AccountNumberFn& number_of) {
  TxVerdict v;
  std::optional<ParsedPublicKey> key;
  if (params.signers != nullptr) {
    MESH_CHECK(params.signers->prefix() == params.prefix);
    absl::StatusOr<SignerCache::Signer> signer = params.signers->Get(stx.pubkey);
    if (signer.ok()) {
      v.signer = std::move(signer->address);
      key = signer->key;
    }
  }
  if (!key.has_value()) v.signer = AccountAddressOf(params.prefix, stx.pubkey);
  const std::optional<uint64_t> number = number_of(v.signer);
  if (!number.has_value()) return v;
  v.checked = true;
  v.account_number = *number;
  const std::string sign_bytes = stx.SignBytes(params.chain_id, *number);
  v.signature = key.has_value() ? key->Verify(sign_bytes, stx.signature)
                                : VerifySignature(stx.pubkey, sign_bytes, stx.signature);
  return v;
}

}  // namespace

TxVerdict VerifyTx(const SignedTx& stx, const VerifyParams& params,
                   std::optional<uint64_t> account_number) {
  return Verdict(stx, params, [&](const std::string&) { return account_number; });
}

TxVerdict VerifyTxWithLookup(const SignedTx& stx, const VerifyParams& params,
                             const AccountNumberFn& number_of) {
  return Verdict(stx, params, number_of);
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

namespace {
constexpr uint64_t Pack(uint64_t front, uint64_t back) { return front | (back << 32); }
constexpr size_t FrontOf(uint64_t range) { return static_cast<size_t>(range & 0xffffffffu); }
constexpr size_t BackOf(uint64_t range) { return static_cast<size_t>(range >> 32); }
constexpr size_t kMaxRoundItems = 0xffffffffu;
}  // namespace

std::optional<size_t> WorkerPool::Claim(bool from_back) {
  uint64_t range = range_.load(std::memory_order_relaxed);
  while (FrontOf(range) < BackOf(range)) {
    const size_t front = FrontOf(range);
    const size_t back = BackOf(range);
    if (range_.compare_exchange_weak(range,
                                     from_back ? Pack(front, back - 1) : Pack(front + 1, back))) {
      return from_back ? back - 1 : front;
    }
  }
  return std::nullopt;
}

void WorkerPool::RunItems() {
  // fn_ and done_ are stable for the whole round (set before the round
  // starts, cleared only after every worker has checked out).
  const std::function<void(size_t)>& fn = *fn_;
  std::atomic<uint8_t>* done = done_;
  for (std::optional<size_t> i = Claim(false); i.has_value(); i = Claim(false)) {
    fn(*i);
    if (done != nullptr) done[*i].store(1, std::memory_order_release);
  }
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

void WorkerPool::StartRound(size_t n, const std::function<void(size_t)>* fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = fn;
    range_.store(Pack(0, n));
    busy_ = static_cast<unsigned>(workers_.size());
    ++generation_;
  }
  work_cv_.notify_all();
}

void WorkerPool::FinishRound() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return busy_ == 0; });
  fn_ = nullptr;
  done_ = nullptr;
}

void WorkerPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  // A round counts its items in 32 bits; a larger n runs on this thread.
  if (workers_.empty() || n == 1 || n > kMaxRoundItems) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::lock_guard<std::mutex> call(call_mu_);
  StartRound(n, &fn);
  RunItems();
  FinishRound();
}

void WorkerPool::ParallelForOrdered(size_t n, const std::function<void(size_t)>& fn,
                                    const std::function<void(size_t)>& consume) {
  if (n == 0) return;
  // A round counts its items in 32 bits; a larger n runs on this thread.
  if (workers_.empty() || n == 1 || n > kMaxRoundItems) {
    for (size_t i = 0; i < n; ++i) {
      fn(i);
      consume(i);
    }
    return;
  }
  std::lock_guard<std::mutex> call(call_mu_);
  std::vector<std::atomic<uint8_t>> done(n);
  done_ = done.data();  // published to the workers by StartRound's lock
  StartRound(n, &fn);
  for (size_t i = 0; i < n; ++i) {
    while (done[i].load(std::memory_order_acquire) == 0) {
      // Item i is being computed by a worker. Meanwhile this thread computes
      // an item from the far end of the range: the workers take items from
      // the front, so they keep feeding the consume calls, and this thread's
      // own items are the ones needed last. When none is left, wait.
      const std::optional<size_t> j = Claim(/*from_back=*/true);
      if (j.has_value()) {
        fn(*j);
        done[*j].store(1, std::memory_order_release);
      } else {
        std::this_thread::yield();
      }
    }
    consume(i);
  }
  FinishRound();
}

std::vector<TxVerdict> PreVerify(const std::vector<const SignedTx*>& txs,
                                 const std::vector<std::optional<uint64_t>>& account_numbers,
                                 const VerifyParams& params, WorkerPool* pool) {
  std::vector<TxVerdict> out(txs.size());
  if (pool == nullptr) pool = &WorkerPool::Shared();
  pool->ParallelFor(txs.size(),
                    [&](size_t i) { out[i] = VerifyTx(*txs[i], params, account_numbers[i]); });
  return out;
}

namespace {

// The verdict of `tx` computed before its block, if params.verdicts has one.
bool TakeAhead(const SignedTx& tx, const VerifyParams& params, TxVerdict& out) {
  if (params.verdicts == nullptr) return false;
  std::optional<TxVerdict> v = params.verdicts->Take(tx);
  if (!v.has_value()) return false;
  out = *std::move(v);
  return true;
}

}  // namespace

void DeliverVerified(const std::vector<const SignedTx*>& txs,
                     const std::vector<std::optional<uint64_t>>& account_numbers,
                     const VerifyParams& params,
                     const std::function<void(size_t, const TxVerdict&)>& deliver,
                     WorkerPool* pool) {
  std::vector<TxVerdict> verdicts(txs.size());
  if (pool == nullptr) pool = &WorkerPool::Shared();
  pool->ParallelForOrdered(
      txs.size(),
      [&](size_t i) {
        if (!TakeAhead(*txs[i], params, verdicts[i])) {
          verdicts[i] = VerifyTx(*txs[i], params, account_numbers[i]);
        }
      },
      [&](size_t i) { deliver(i, verdicts[i]); });
}

void DeliverVerified(const std::vector<const SignedTx*>& txs, const AccountNumberFn& number_of,
                     const VerifyParams& params,
                     const std::function<void(size_t, const TxVerdict&)>& deliver,
                     WorkerPool* pool) {
  std::vector<TxVerdict> verdicts(txs.size());
  if (pool == nullptr) pool = &WorkerPool::Shared();
  pool->ParallelForOrdered(
      txs.size(),
      [&](size_t i) {
        if (!TakeAhead(*txs[i], params, verdicts[i])) {
          verdicts[i] = VerifyTxWithLookup(*txs[i], params, number_of);
        }
      },
      [&](size_t i) { deliver(i, verdicts[i]); });
}

}  // namespace mesh::node
