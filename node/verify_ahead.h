// Signatures verified before their block (docs/architecture.md, "Layers":
// the `node/` row).
//
// A node knows most of a block's txs before the block is delivered: each
// came through its mempool's CheckTx, and a proposal's txs are known for the
// whole consensus round before FinalizeBlock. Their verdicts
// (node/parallel_verify.h: the signer derived from the key, the secp256k1
// signature over the SignDoc for an account number) are pure functions of
// the tx bytes, the chain id, the address prefix and that account number,
// so a verdict computed then is the one delivery would compute:
//
//  - VerdictCache keeps them, by the tx's exact bytes (TxRaw, which hold
//    the key, the body, the auth info and the signature), each taken once;
//  - AheadVerifier computes them on a thread of its own, for txs handed to it
//    ahead of their block, while the state machine runs the current block.
//
// Delivery (node::Chain::DeliverTxs, DeliverTx) takes a remembered verdict
// instead of verifying again. Determinism does not depend on what the cache
// holds or on thread timing: a verdict carries the account number it was
// computed for, and RunTx verifies again inline when the signer's number at
// apply time differs (as for the block's own parallel verdicts); a tx that
// is not found is verified as before.
//
// Threads and hash maps live here, in node/, and nowhere in
// core/staking/ibc/mesh.
#ifndef MESHSEC_NODE_VERIFY_AHEAD_H_
#define MESHSEC_NODE_VERIFY_AHEAD_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "node/parallel_verify.h"
#include "node/tx.h"

namespace mesh::node {

// Verdicts computed ahead, by the txs' bytes. Thread-safe. Bounded: when it
// holds `capacity` verdicts it is emptied and refilled (a verdict never
// taken belongs to a tx no block included).
class VerdictCache {
 public:
  explicit VerdictCache(size_t capacity = kDefaultCapacity);
  VerdictCache(const VerdictCache&) = delete;
  VerdictCache& operator=(const VerdictCache&) = delete;

  // Remembers `verdict` for `tx` (the tx's bytes, tx.wire, are the key).
  // Only a checked verdict whose signature verified is kept: those are the
  // ones delivery can use instead of a verification.
  void Put(const SignedTx& tx, TxVerdict verdict);
  // The verdict remembered for a tx with exactly these bytes, which is then
  // forgotten (a tx is delivered once); nullopt when there is none.
  std::optional<TxVerdict> Take(const SignedTx& tx);

  size_t size() const;
  // Verdicts taken, and lookups that found none, since construction.
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

  // About 400 bytes a verdict (the tx bytes and the signer): 2^15 verdicts
  // are ~13 MiB, a mempool's worth of txs.
  static constexpr size_t kDefaultCapacity = size_t{1} << 15;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, TxVerdict> verdicts_;  // by tx.wire; mu_
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

// Verifies the txs handed to it on a thread of its own, one at a time in
// the order given, and puts each verdict in a VerdictCache. Submit returns
// at once; Cancel drops what is not begun yet. Thread-safe.
class AheadVerifier {
 public:
  // `params.verdicts` must be null (this is what fills the cache);
  // `number_of` is called on the verifier's thread (AccountNumberFn).
  AheadVerifier(VerifyParams params, AccountNumberFn number_of, VerdictCache* cache);
  ~AheadVerifier();  // Cancel(), then the thread ends
  AheadVerifier(const AheadVerifier&) = delete;
  AheadVerifier& operator=(const AheadVerifier&) = delete;

  // Queues `txs` to be verified after those queued before.
  void Submit(std::shared_ptr<const std::vector<SignedTx>> txs);
  // Drops every queued tx not begun yet. The one being verified, if any, is
  // not waited for: its verdict lands in the cache when done, and the block
  // that cancelled verifies it itself if it gets there first (at most one
  // signature checked twice, instead of the block's thread asleep until this
  // one, descheduled on a busy machine, finishes).
  void Cancel();
  // Waits until every queued tx is verified (tests, diagnosis).
  void Wait();
  // Txs verified so far.
  uint64_t verified() const { return verified_.load(std::memory_order_relaxed); }

 private:
  void Loop();

  const VerifyParams params_;
  const AccountNumberFn number_of_;
  VerdictCache* const cache_;
  std::mutex mu_;
  std::condition_variable work_cv_;  // a job queued, or stop_
  std::condition_variable idle_cv_;  // busy_ went false (Wait)
  struct Job {
    std::shared_ptr<const std::vector<SignedTx>> txs;
    size_t next = 0;  // the first tx not taken yet
  };
  std::deque<Job> jobs_;  // mu_
  bool busy_ = false;     // a tx is being verified; mu_
  bool stop_ = false;     // mu_
  std::atomic<uint64_t> verified_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_VERIFY_AHEAD_H_
