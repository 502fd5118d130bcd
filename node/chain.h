// Chain: one chain's block lifecycle over a durable store.
//
//   BeginBlock(time) -> DeliverTx(...)* -> EndBlock() -> Commit()
//
// The block runs in a block Overlay over the DurableStore; each tx (and each
// RunAtomic call, used for IBC packet callbacks) runs in its own Overlay over
// the block's, merged on success and discarded on failure. Commit() turns the
// block overlay into one WriteBatch that also records the height, block time
// and the new app hash, and applies it with DurableStore::Write — a crash
// leaves the whole block or none of it.
//
//   app_hash(h) = SHA-256( app_hash(h-1) || u64 h || u64 time_ns ||
//                          WriteBatch::Serialize() of the block's writes )
//
// The chain reads and writes its store through a StateCache
// (node/state_cache.h): point reads of records the chain already read or
// wrote are served from memory, with the store's values exactly.
//
// Modules plug in through message handlers (keyed by message type) and
// begin/end blockers, called in registration order. Every state change comes
// from a signed tx (secp256k1, low-S, chain id, per-account nonce), a
// blocker, or an authenticated packet (RunAtomic by the IBC layer).
//
// Not thread-safe: a chain is driven by one thread. DeliverTxs verifies a
// block's signatures on a worker pool first (node/parallel_verify.h); the
// state machine itself stays on the calling thread.
#ifndef MESHSEC_NODE_CHAIN_H_
#define MESHSEC_NODE_CHAIN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/kv.h"
#include "node/parallel_verify.h"
#include "node/tx.h"

namespace mesh::node {

struct ChainConfig {
  std::string chain_id;
  std::string bech32_prefix = "mesh";
};

// Result of one tx. code 0 = success; otherwise the absl::StatusCode number
// (a stable, documented code: 3 invalid argument, 5 not found,
// 7 permission denied, 9 failed precondition, 11 out of range, ...).
struct TxResult {
  uint32_t code = 0;
  std::string log;
  bool ok() const { return code == 0; }
};

// Handles one message of a tx, signed by `signer` (bech32 account address).
using MsgHandler =
    std::function<absl::Status(const Context& ctx, const AccountAddress& signer,
                               std::string_view body)>;
using Blocker = std::function<absl::Status(const Context& ctx)>;

class Chain {
 public:
  // Opens (or resumes) a chain on `store`. A fresh store starts at height 0.
  static absl::StatusOr<std::unique_ptr<Chain>> Open(std::unique_ptr<DurableStore> store,
                                                     ChainConfig config);

  void RegisterMsg(std::string type, MsgHandler handler);
  void AddBeginBlocker(Blocker b) { begin_blockers_.push_back(std::move(b)); }
  void AddEndBlocker(Blocker b) { end_blockers_.push_back(std::move(b)); }

  // Restores an exported store: writes `batch` (every key, the chain meta
  // included) in one atomic write and resumes from the meta it holds.
  // FailedPrecondition unless the store is empty and no block is open.
  absl::Status Restore(const WriteBatch& batch);

  // Genesis: runs `init` at height 0 in one overlay and commits it.
  absl::Status InitGenesis(uint64_t genesis_time_ns, const Blocker& init);

  // FailedPrecondition if a block is already open or time goes backwards.
  absl::Status BeginBlock(uint64_t time_ns);
  // Verifies signature, chain id and nonce, then runs every message in one
  // overlay. A rejected tx changes nothing (not even the nonce).
  TxResult DeliverTx(const SignedTx& tx);
  // The same, with the stateless checks already made:
  // REQUIRES verdict == VerifyTx(tx, config().bech32_prefix) (a block
  // producer's PreVerify). Same results, codes and logs as DeliverTx(tx).
  TxResult DeliverTx(const SignedTx& tx, const TxVerdict& verdict);
  // A block's txs: verdicts computed on all cores (DeliverVerified on
  // `pool`, WorkerPool::Shared() when null) while each tx is applied in
  // order on the calling thread as soon as its verdict is ready. Identical
  // results to calling DeliverTx(tx) on each in turn.
  std::vector<TxResult> DeliverTxs(const std::vector<SignedTx>& txs, WorkerPool* pool = nullptr);
  absl::Status EndBlock();
  // Drops the open block and everything written in it (nothing reached the
  // durable store). FailedPrecondition when no block is open.
  absl::Status AbandonBlock();
  // Commits the block; returns the new app hash.
  absl::StatusOr<Hash256> Commit();

  // Runs `fn` in its own overlay over the open block; merged iff fn returns
  // OK. FailedPrecondition when no block is open.
  absl::Status RunAtomic(const std::function<absl::Status(const Context&)>& fn);

  // A read-only chain over a snapshot of the durable store (the last
  // committed block, even while a block is open): height, time, app hash
  // and config of that block, no handlers or blockers; its blocks cannot
  // commit. Unimplemented when the store has no snapshots.
  // Thread safety: call it where no Commit/Restore/InitGenesis can run
  // concurrently. The view is independent of this chain: its const methods
  // may be called from any threads while this chain produces blocks.
  absl::StatusOr<std::unique_ptr<Chain>> CommittedView() const;

  // View of the current state (open block included). For reads only: with no
  // block open it reads the durable store directly.
  Context QueryContext() const;
  bool block_open() const { return block_.has_value(); }
  const BlockInfo& block_info() const { return info_; }
  uint64_t height() const { return info_.height; }
  uint64_t time_ns() const { return info_.time_ns; }
  const Hash256& app_hash() const { return app_hash_; }
  const ChainConfig& config() const { return config_; }
  std::string AddressOf(std::string_view pubkey33) const;
  absl::StatusOr<uint64_t> NextNonce(const AccountAddress& who) const;
  // The chain's store, behind its StateCache (write through it only).
  DurableStore* durable() const { return store_.get(); }

 private:
  Chain(std::unique_ptr<DurableStore> store, ChainConfig config);
  absl::Status LoadMeta();
  absl::Status RunBlockers(const std::vector<Blocker>& blockers);
  absl::Status ExecuteTx(const Context& ctx, const SignedTx& tx, const TxVerdict& verdict);
  KvStore* top() const;

  std::unique_ptr<DurableStore> store_;
  ChainConfig config_;
  BlockInfo info_;
  Hash256 app_hash_{};
  std::optional<Overlay> block_;
  std::map<std::string, MsgHandler> handlers_;
  std::vector<Blocker> begin_blockers_;
  std::vector<Blocker> end_blockers_;
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_CHAIN_H_
