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
// where a delete of a key the block put and the store did not hold is not
// among the block's writes (Overlay::DropAbsentDeletes, before the hash).
//
// The chain reads and writes its store through a StateCache
// (node/state_cache.h): point reads of records the chain already read or
// wrote are served from memory, with the store's values exactly.
//
// Modules plug in through message handlers (keyed by the message's type URL)
// and begin/end blockers, called in registration order. Every state change
// comes from a signed Cosmos SDK tx (node/tx.h; secp256k1, low-S, SignDoc
// with chain id and account number, per-account sequence, fee, gas), a
// blocker, or an authenticated packet (RunAtomic by the IBC layer).
//
// A tx runs like the SDK's DeliverTx (docs/transactions.md): the ante checks
// (messages present, timeout height, tx-size gas, fee deducted to the fee
// collector, public key stored, sequence, signature, sequence + 1) in one
// overlay, then the messages in a nested overlay. A failed ante check
// changes nothing; a failed message (or out of gas in the messages) discards
// the messages' writes but keeps the fee and the sequence.
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
#include "core/dec.h"
#include "core/kv.h"
#include "node/parallel_verify.h"
#include "node/tx.h"
#include "node/verify_ahead.h"
#include "staking/auth.h"

namespace mesh::node {

struct ChainConfig {
  std::string chain_id;
  std::string bech32_prefix = "mesh";
  // CheckTx only (like the SDK's mempool minimum gas prices): a tx must pay
  // at least ceil(min_gas_price * gas_limit) of fee_denom. Zero: no minimum.
  std::string fee_denom;
  Dec min_gas_price = Dec::Zero();
  // Bound of the chain's state cache (node/state_cache.h) in bytes; 0: its
  // default (StateCache::kDefaultCapacityBytes). Never changes a result.
  size_t state_cache_bytes = 0;
  // Block commits are written on a writer thread while the next block runs
  // (node/pipelined_store.h), when the store allows reads during a write
  // (DurableStore::ReadsDuringWrite: RocksDB). Never changes a result;
  // Commit returns before the block is on disk, which it is once the next
  // Commit or Flush returns. False: every Commit is durable on return.
  bool pipelined_commit = true;
};

// Codespaces of TxResult.
inline constexpr std::string_view kCodespaceSdk = "sdk";
inline constexpr std::string_view kCodespaceMeshsec = "meshsec";
// Tx-level failures: the Cosmos SDK's "sdk" codespace codes.
inline constexpr uint32_t kSdkTxDecode = 2;
inline constexpr uint32_t kSdkUnauthorized = 4;
inline constexpr uint32_t kSdkInsufficientFunds = 5;
inline constexpr uint32_t kSdkUnknownRequest = 6;
inline constexpr uint32_t kSdkUnknownAddress = 9;
inline constexpr uint32_t kSdkOutOfGas = 11;
inline constexpr uint32_t kSdkInsufficientFee = 13;
inline constexpr uint32_t kSdkInvalidRequest = 18;
inline constexpr uint32_t kSdkTxTimeoutHeight = 30;
inline constexpr uint32_t kSdkWrongSequence = 32;

// An ABCI event: type and ordered (key, value) attributes.
struct Event {
  std::string type;
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Result of one tx. code 0 = success (codespace empty). Tx-level failures
// have codespace "sdk" and the SDK's code (kSdk* above); a failed message has
// codespace "meshsec" and its handler's absl::StatusCode number (a stable,
// documented code: 3 invalid argument, 5 not found, 7 permission denied,
// 9 failed precondition, 11 out of range, ...). Events: the ante's `tx`
// events {fee, fee_payer}, {acc_seq}, {signature} when the ante passed, and
// one `message` event {action = type URL, sender, module} per message when
// the tx succeeded.
struct TxResult {
  uint32_t code = 0;
  std::string codespace;
  std::string log;
  uint64_t gas_wanted = 0;
  uint64_t gas_used = 0;
  std::vector<Event> events;
  bool ok() const { return code == 0; }
};

// The result as an absl::Status (harness, tools): OK on success; a message
// failure keeps its code; an "sdk" code maps to InvalidArgument (2, 6, 18),
// PermissionDenied (4), FailedPrecondition (5, 9, 13, 30, 32) or
// ResourceExhausted (11). The message is "<codespace> code <n>: <log>"
// for sdk codes, the log otherwise.
absl::Status StatusOfResult(const TxResult& r);

// Handles one message of a tx, signed by `signer` (bech32 account address);
// `body` is the serialized proto message (Any.value).
using MsgHandler =
    std::function<absl::Status(const Context& ctx, const AccountAddress& signer,
                               std::string_view body)>;
using Blocker = std::function<absl::Status(const Context& ctx)>;

class PipelinedStore;  // node/pipelined_store.h
class StateCache;      // node/state_cache.h

class Chain {
 public:
  // Opens (or resumes) a chain on `store`. A fresh store starts at height 0.
  static absl::StatusOr<std::unique_ptr<Chain>> Open(std::unique_ptr<DurableStore> store,
                                                     ChainConfig config);

  // `type_url`: "/cosmos.bank.v1beta1.MsgSend", "/meshsec.v1.MsgVaultBond", ...
  void RegisterMsg(std::string type_url, MsgHandler handler);
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
  // The SDK's DeliverTx (see above).
  TxResult DeliverTx(const SignedTx& tx);
  // Decodes `tx_bytes` (TxRaw) first: undecodable → code 2 (sdk).
  TxResult DeliverTxBytes(std::string_view tx_bytes);
  // The same, with the signature possibly verified already: REQUIRES
  // verdict == VerifyTx(tx, {chain_id, prefix}, n) for some n (a block
  // producer's PreVerify); used when n is the signer's account number at
  // apply time, re-verified inline otherwise. Same results as DeliverTx(tx).
  TxResult DeliverTx(const SignedTx& tx, const TxVerdict& verdict);
  // A block's txs: verdicts computed on all cores (DeliverVerified on
  // `pool`, WorkerPool::Shared() when null) against the account numbers as
  // they are before the first tx, while each tx is applied in order on the
  // calling thread as soon as its verdict is ready. Identical results to
  // calling DeliverTx(tx) on each in turn.
  std::vector<TxResult> DeliverTxs(const std::vector<SignedTx>& txs, WorkerPool* pool = nullptr);
  std::vector<TxResult> DeliverTxs(const std::vector<const SignedTx*>& txs,
                                   WorkerPool* pool = nullptr);
  // The SDK's simulate: runs `tx` on a discarded overlay over the current
  // state (open block included; a block at height + 1 when none is open).
  // An empty signature skips the signature check (its gas is still
  // counted, and the tx-size gas counts the 64 signature bytes it lacks). gas_used and the result (events included) are those
  // DeliverTx would give now; nothing is written.
  TxResult SimulateTx(const SignedTx& tx) const;
  // The SDK's CheckTx for a mempool: decoding (by the caller), account,
  // fee affordability and the minimum gas price (code 13), sequence (the
  // stored one + `pending`, for txs already queued by this signer) and the
  // signature; no message runs, nothing is written. Code 0 when the tx may
  // be queued.
  TxResult CheckTx(const SignedTx& tx, uint64_t pending = 0) const;
  // CheckTx of TxRaw bytes; a tx that does not decode gets code 2 (as
  // DeliverTxBytes).
  TxResult CheckTxBytes(std::string_view tx_bytes) const;
  // Starts verifying `txs` — a block's, known before it is delivered: a
  // proposal during its consensus round, the next block of a producer — on
  // a thread of the chain's own (node/verify_ahead.h), against the signers'
  // committed account numbers, and returns at once. DeliverTxs and
  // DeliverTx then take those verdicts instead of verifying the txs again,
  // as they do the verdicts of CheckTx. Results are identical either way
  // (RunTx verifies again a verdict whose account number is not the
  // signer's at apply time). DeliverTxs first stops the verification of
  // what is left (it verifies that on all cores itself), so call this after
  // the current block's txs are delivered. A no-op on a store that does
  // not allow reads from other threads (DurableStore::ConcurrentReads).
  void VerifyAhead(std::shared_ptr<const std::vector<SignedTx>> txs);
  // Verdicts computed before delivery (by CheckTx and VerifyAhead).
  const VerdictCache& verdicts() const { return *verdicts_; }
  // Waits until VerifyAhead has verified every tx handed to it (tests,
  // benchmarks).
  void AwaitVerifiedAhead() {
    if (ahead_ != nullptr) ahead_->Wait();
  }
  // Txs VerifyAhead has verified so far.
  uint64_t verified_ahead() const { return ahead_ == nullptr ? 0 : ahead_->verified(); }
  absl::Status EndBlock();
  // Drops the open block and everything written in it (nothing reached the
  // durable store). FailedPrecondition when no block is open.
  absl::Status AbandonBlock();
  // Commits the block; returns the new app hash. With a pipelined commit
  // (ChainConfig::pipelined_commit) the block is queued for the writer and
  // durable once the next Commit or Flush returns OK; the error of a failed
  // write is returned by the next Commit and Flush (the chain cannot go on).
  absl::StatusOr<Hash256> Commit();
  // Waits until every committed block is durable (no-op without a
  // pipelined commit); the error of a failed write otherwise.
  absl::Status Flush();
  // Whether commits are pipelined on this chain's store.
  bool pipelined() const { return pipeline_ != nullptr; }

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
  // The same, its state cache linked to `previous`'s when that is the view
  // this chain opened last (StateCache::LinkView): a read of a record
  // `previous` holds and no block since has written is answered from
  // memory. Results are those of CommittedView().
  absl::StatusOr<std::unique_ptr<Chain>> CommittedView(
      const std::shared_ptr<const Chain>& previous) const;

  // A committed view's serial number: unique in the process, never reused,
  // so a pure function of a view's state may be remembered under it. Zero
  // for a chain that is not a view (its state changes).
  uint64_t view_serial() const { return view_serial_; }

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
  // The account of `who` in the current state; NotFound when it has none.
  absl::StatusOr<staking::BaseAccount> GetAccount(const AccountAddress& who) const;
  // The fee collector's module account address (bech32 of the first 20
  // bytes of SHA-256("fee_collector"), the SDK's module address).
  AccountAddress FeeCollector() const;
  // The chain's store, behind its StateCache (write through it only).
  DurableStore* durable() const { return store_.get(); }

 private:
  Chain(std::unique_ptr<DurableStore> store, ChainConfig config);
  absl::Status LoadMeta();
  absl::Status RunBlockers(const std::vector<Blocker>& blockers);
  enum class Mode { kDeliver, kSimulate, kCheck };
  // Runs `tx` over `parent` (see the class comment); `verdict` may be null.
  // The ante and (kDeliver, kSimulate) message writes reach `parent` as
  // documented; the caller decides whether `parent` is kept.
  TxResult RunTx(KvStore* parent, const BlockInfo& info, const SignedTx& tx,
                 const TxVerdict* verdict, Mode mode, uint64_t pending) const;
  KvStore* top() const;
  // CommittedView's body; `keep_log` (StateCache::LinkView) only for a
  // caller that links the next view to this one.
  absl::StatusOr<std::unique_ptr<Chain>> OpenView(const std::shared_ptr<const Chain>& previous,
                                                  bool keep_log) const;

  std::unique_ptr<DurableStore> store_;  // a StateCache: `cache_`
  StateCache* cache_ = nullptr;
  PipelinedStore* pipeline_ = nullptr;  // under store_'s cache, when pipelined
  ChainConfig config_;
  // Signers' parsed keys and addresses, shared by the verification threads.
  std::unique_ptr<SignerCache> signers_;
  // Signatures verified before delivery (CheckTx, VerifyAhead).
  std::unique_ptr<VerdictCache> verdicts_;
  BlockInfo info_;
  Hash256 app_hash_{};
  std::optional<Overlay> block_;
  uint64_t view_serial_ = 0;
  std::map<std::string, MsgHandler> handlers_;
  std::vector<Blocker> begin_blockers_;
  std::vector<Blocker> end_blockers_;
  // VerifyAhead's thread, started on first use. Last: it reads store_ and
  // uses signers_ and verdicts_, so it stops before they are destroyed.
  std::unique_ptr<AheadVerifier> ahead_;
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_CHAIN_H_
