// Parallel pre-verification of a block's signed txs (docs/architecture.md,
// "Layers": the `node/` row).
//
// The costly part of a tx's checks — the secp256k1 signature over its
// SignDoc and the signer's account address derived from its public key — is
// a pure function of the tx bytes, the chain id, the address prefix and the
// signer's account number. The chain reads the account numbers as they are
// when the block's txs start (Chain::DeliverTxs); a tx whose signer's
// account number differs at apply time (the account was created earlier in
// the same block) is re-verified inline. A block
// producer computes it for every tx of a block on all cores BEFORE the block
// is applied; the state machine then applies the txs one by one, in order,
// on its own thread, and only consumes the precomputed verdicts
// (Chain::DeliverTxs / Chain::DeliverTx(tx, verdict)). Results, logs and the
// app hash are exactly those of verifying each tx inline: determinism does
// not depend on the number of threads or on their scheduling.
//
// Threads live here, in node/, and nowhere in core/staking/ibc/mesh.
#ifndef MESHSEC_NODE_PARALLEL_VERIFY_H_
#define MESHSEC_NODE_PARALLEL_VERIFY_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "node/signer_cache.h"
#include "node/tx.h"

namespace mesh::node {

class VerdictCache;  // node/verify_ahead.h

// The stateless checks of one signed tx.
struct TxVerdict {
  // The signer's bech32 account address (from the tx's public key).
  std::string signer;
  // True when `signature` was computed, for `account_number`.
  bool checked = false;
  uint64_t account_number = 0;
  // VerifySignature(pubkey, SignBytes(chain_id, account_number), signature).
  absl::Status signature;
};

// Where a tx is verified: chain id, address prefix, and the signer's account
// number if known (nullopt: only the signer is derived, checked = false).
struct VerifyParams {
  std::string_view chain_id;
  std::string_view prefix;
  // The chain's signers already parsed (nullptr: none). Verdicts are the
  // same with or without it. REQUIRES: signers->prefix() == prefix.
  SignerCache* signers = nullptr;
  // Verdicts computed before the block (nullptr: none): DeliverVerified
  // takes a tx's verdict from here instead of verifying it. Results are
  // the same (RunTx verifies again when the verdict's account number is
  // not the signer's at apply time). VerifyTx never reads it.
  VerdictCache* verdicts = nullptr;
};

// Pure: the verdict of `tx`.
TxVerdict VerifyTx(const SignedTx& tx, const VerifyParams& params,
                   std::optional<uint64_t> account_number);

// The account number of a signer (its bech32 address), or nullopt when it
// is unknown; called concurrently from the pool's threads.
using AccountNumberFn = std::function<std::optional<uint64_t>(const std::string& signer)>;

// The verdict of `tx` with the signer's account number from
// number_of(signer), the signer derived first: the same verdict as
// VerifyTx(tx, params, number_of(signer)).
TxVerdict VerifyTxWithLookup(const SignedTx& tx, const VerifyParams& params,
                             const AccountNumberFn& number_of);

// A small fixed pool of worker threads for data-parallel loops. The thread
// calling ParallelFor works too, so a pool of `threads` runs `threads`
// loops at once (threads - 1 workers). ParallelFor calls from several
// threads are serialised. Thread-safe.
class WorkerPool {
 public:
  // threads == 0: std::thread::hardware_concurrency() (at least 1).
  explicit WorkerPool(unsigned threads = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs fn(i) for every i in [0, n), spread over the pool; returns when all
  // are done. fn must be safe to call concurrently for distinct i.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);
  // Pipelined: fn(i) for every i in [0, n) spread over the pool as above,
  // and consume(i) on the calling thread for i = 0, 1, ..., n-1 in that
  // order, each as soon as fn(i) has returned — so consuming item i overlaps
  // with computing the later ones. The workers take items from the front;
  // while fn(i) is still running elsewhere, the caller computes items from
  // the back (the ones consumed last), so its own work delays the serial
  // consume calls as little as possible. Returns when every fn and
  // consume call is done. Neither fn nor consume may call into this pool.
  void ParallelForOrdered(size_t n, const std::function<void(size_t)>& fn,
                          const std::function<void(size_t)>& consume);
  unsigned threads() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // The process-wide pool (hardware_concurrency threads), created on first use.
  static WorkerPool& Shared();

 private:
  void WorkerLoop();
  void RunItems();
  // Claims the first (last, from_back) unclaimed item of the current
  // round, if any.
  std::optional<size_t> Claim(bool from_back);
  // Starts a round over [0, n) on the workers (call_mu_ held).
  void StartRound(size_t n, const std::function<void(size_t)>* fn);
  // Waits for every worker to leave the round (call_mu_ held).
  void FinishRound();

  std::mutex call_mu_;  // one ParallelFor at a time
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  const std::function<void(size_t)>* fn_ = nullptr;  // guarded by mu_
  // The unclaimed items of the round, [front, back): front in the low 32
  // bits, back in the high 32 bits, claimed by compare-and-swap.
  std::atomic<uint64_t> range_{0};
  std::atomic<uint8_t>* done_ = nullptr;  // per item: fn returned; null = not tracked
  unsigned busy_ = 0;        // workers still in the current round; mu_
  uint64_t generation_ = 0;  // bumped per round; mu_
  bool stop_ = false;        // mu_
  std::vector<std::thread> workers_;
};

// The verdicts of `txs` (same order; account_numbers[i] for txs[i]),
// computed on `pool` (WorkerPool::Shared() when null).
std::vector<TxVerdict> PreVerify(const std::vector<const SignedTx*>& txs,
                                 const std::vector<std::optional<uint64_t>>& account_numbers,
                                 const VerifyParams& params, WorkerPool* pool = nullptr);

// Pipelined pre-verification: verdicts of `txs` computed on `pool` (Shared()
// when null) while the calling thread calls deliver(i, verdict of txs[i])
// for i = 0, 1, ... in order, each as soon as its verdict is ready. The
// calls are exactly those of delivering after PreVerify.
void DeliverVerified(const std::vector<const SignedTx*>& txs,
                     const std::vector<std::optional<uint64_t>>& account_numbers,
                     const VerifyParams& params,
                     const std::function<void(size_t, const TxVerdict&)>& deliver,
                     WorkerPool* pool = nullptr);
// The same, with each signer's account number looked up by `number_of` on
// the pool's threads (so the lookups run in parallel with the signature
// checks, not before them). `number_of` must be thread-safe.
void DeliverVerified(const std::vector<const SignedTx*>& txs, const AccountNumberFn& number_of,
                     const VerifyParams& params,
                     const std::function<void(size_t, const TxVerdict&)>& deliver,
                     WorkerPool* pool = nullptr);

}  // namespace mesh::node

#endif  // MESHSEC_NODE_PARALLEL_VERIFY_H_
