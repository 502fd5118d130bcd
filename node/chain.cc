#include "node/chain.h"

#include <utility>

#include "core/codec.h"
#include "core/record.h"
#include "core/status.h"
#include "node/state_cache.h"

namespace mesh::node {
namespace {

// Table prefixes 0x01-0x0F (docs/state-layout.md).
constexpr uint8_t kMetaPrefix = 0x01;   // 0x01 u8(field) -> value
constexpr uint8_t kNoncePrefix = 0x02;  // 0x02 str(address) -> u64 next nonce
constexpr uint8_t kMetaHeight = 1;
constexpr uint8_t kMetaTime = 2;
constexpr uint8_t kMetaAppHash = 3;

std::string MetaKey(uint8_t field) { return Encoder(kMetaPrefix).U8(field).Take(); }
std::string NonceKey(const AccountAddress& a) {
  return Encoder(kNoncePrefix).Str(a.value()).Take();
}

absl::StatusOr<uint64_t> ReadU64(const KvReader& s, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, s.Get(key));
  if (!raw.has_value()) return uint64_t{0};
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t v, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return v;
}

std::string U64Bytes(uint64_t v) { return Encoder().U64(v).Take(); }

TxResult ResultOf(const absl::Status& s) {
  if (s.ok()) return TxResult{};
  return TxResult{static_cast<uint32_t>(s.code()), std::string(s.message())};
}

}  // namespace

Chain::Chain(std::unique_ptr<DurableStore> store, ChainConfig config)
    : store_(std::make_unique<StateCache>(std::move(store))), config_(std::move(config)) {
  info_.chain_id = config_.chain_id;
}

absl::StatusOr<std::unique_ptr<Chain>> Chain::Open(std::unique_ptr<DurableStore> store,
                                                   ChainConfig config) {
  if (config.chain_id.empty()) return absl::InvalidArgumentError("chain id is empty");
  std::unique_ptr<Chain> chain(new Chain(std::move(store), std::move(config)));
  MESH_RETURN_IF_ERROR(chain->LoadMeta());
  return chain;
}

absl::Status Chain::LoadMeta() {
  MESH_ASSIGN_OR_RETURN(info_.height, ReadU64(*store_, MetaKey(kMetaHeight)));
  MESH_ASSIGN_OR_RETURN(info_.time_ns, ReadU64(*store_, MetaKey(kMetaTime)));
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> hash, store_->Get(MetaKey(kMetaAppHash)));
  if (hash.has_value()) {
    if (hash->size() != app_hash_.size()) return absl::DataLossError("corrupt app hash");
    std::copy(hash->begin(), hash->end(), app_hash_.begin());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Chain>> Chain::CommittedView() const {
  std::unique_ptr<DurableStore> snapshot = store_->Snapshot();
  if (snapshot == nullptr) return absl::UnimplementedError("the store has no snapshots");
  std::unique_ptr<Chain> view(new Chain(std::move(snapshot), config_));
  MESH_RETURN_IF_ERROR(view->LoadMeta());
  return view;
}

void Chain::RegisterMsg(std::string type, MsgHandler handler) {
  handlers_[std::move(type)] = std::move(handler);
}

std::string Chain::AddressOf(std::string_view pubkey33) const {
  return AccountAddressOf(config_.bech32_prefix, pubkey33);
}

KvStore* Chain::top() const {
  if (block_.has_value()) return const_cast<Overlay*>(&*block_);
  return store_.get();
}

Context Chain::QueryContext() const { return Context(top(), &info_); }

absl::StatusOr<uint64_t> Chain::NextNonce(const AccountAddress& who) const {
  return ReadU64(*top(), NonceKey(who));
}

absl::Status Chain::InitGenesis(uint64_t genesis_time_ns, const Blocker& init) {
  if (info_.height != 0 || block_.has_value()) {
    return absl::FailedPreconditionError("genesis on a chain that already has blocks");
  }
  info_.time_ns = genesis_time_ns;
  block_.emplace(store_.get());
  absl::Status s = init(Context(&*block_, &info_));
  if (!s.ok()) {
    block_.reset();
    return s;
  }
  return Commit().status();
}

absl::Status Chain::BeginBlock(uint64_t time_ns) {
  if (block_.has_value()) return absl::FailedPreconditionError("a block is already open");
  if (time_ns < info_.time_ns) return absl::InvalidArgumentError("block time goes backwards");
  info_.height += 1;
  info_.time_ns = time_ns;
  block_.emplace(store_.get());
  return RunBlockers(begin_blockers_);
}

absl::Status Chain::RunBlockers(const std::vector<Blocker>& blockers) {
  Context ctx(&*block_, &info_);
  for (const Blocker& b : blockers) MESH_RETURN_IF_ERROR(b(ctx));
  return absl::OkStatus();
}

// The checks in their historical order: chain id, signature (precomputed in
// `verdict`), messages present, nonce; then the messages.
absl::Status Chain::ExecuteTx(const Context& ctx, const SignedTx& stx, const TxVerdict& verdict) {
  const Tx& tx = stx.tx;
  if (tx.chain_id != config_.chain_id) {
    return absl::PermissionDeniedError("tx for chain " + tx.chain_id);
  }
  MESH_RETURN_IF_ERROR(verdict.signature);
  if (tx.msgs.empty()) return absl::InvalidArgumentError("tx has no messages");
  const AccountAddress signer(verdict.signer);
  MESH_ASSIGN_OR_RETURN(uint64_t expected, ReadU64(ctx.store(), NonceKey(signer)));
  if (tx.nonce != expected) {
    return absl::PermissionDeniedError("bad nonce: expected " + std::to_string(expected) +
                                       ", got " + std::to_string(tx.nonce));
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(NonceKey(signer), U64Bytes(expected + 1)));
  for (const Msg& m : tx.msgs) {
    auto it = handlers_.find(m.type);
    if (it == handlers_.end()) return absl::InvalidArgumentError("unknown message " + m.type);
    MESH_RETURN_IF_ERROR(it->second(ctx, signer, m.body));
  }
  return absl::OkStatus();
}

TxResult Chain::DeliverTx(const SignedTx& tx) {
  if (!block_.has_value()) return ResultOf(absl::FailedPreconditionError("no open block"));
  return DeliverTx(tx, VerifyTx(tx, config_.bech32_prefix));
}

TxResult Chain::DeliverTx(const SignedTx& tx, const TxVerdict& verdict) {
  if (!block_.has_value()) return ResultOf(absl::FailedPreconditionError("no open block"));
  return ResultOf(RunAtomic([&](const Context& ctx) { return ExecuteTx(ctx, tx, verdict); }));
}

std::vector<TxResult> Chain::DeliverTxs(const std::vector<SignedTx>& txs, WorkerPool* pool) {
  std::vector<TxResult> out;
  out.reserve(txs.size());
  if (!block_.has_value()) {
    out.assign(txs.size(), ResultOf(absl::FailedPreconditionError("no open block")));
    return out;
  }
  std::vector<const SignedTx*> ptrs;
  ptrs.reserve(txs.size());
  for (const SignedTx& tx : txs) ptrs.push_back(&tx);
  DeliverVerified(
      ptrs, config_.bech32_prefix,
      [&](size_t i, const TxVerdict& verdict) { out.push_back(DeliverTx(txs[i], verdict)); },
      pool);
  return out;
}

absl::Status Chain::RunAtomic(const std::function<absl::Status(const Context&)>& fn) {
  if (!block_.has_value()) return absl::FailedPreconditionError("no open block");
  Overlay tx_overlay(&*block_);
  MESH_RETURN_IF_ERROR(fn(Context(&tx_overlay, &info_)));
  return tx_overlay.Commit();
}

absl::Status Chain::EndBlock() {
  if (!block_.has_value()) return absl::FailedPreconditionError("no open block");
  return RunBlockers(end_blockers_);
}

absl::Status Chain::Restore(const WriteBatch& batch) {
  if (block_.has_value()) return absl::FailedPreconditionError("a block is open");
  auto it = store_->Scan("", "");
  if (it->Valid()) return absl::FailedPreconditionError("restore needs an empty store");
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  MESH_RETURN_IF_ERROR(store_->Write(batch));
  return LoadMeta();
}

absl::Status Chain::AbandonBlock() {
  if (!block_.has_value()) return absl::FailedPreconditionError("no open block");
  block_.reset();
  MESH_RETURN_IF_ERROR(LoadMeta());
  return absl::OkStatus();
}

// The block's writes are hashed where they lie (no copy of the batch), the
// meta keys are then staged in the block overlay, and the overlay's batch
// goes to the store as one atomic write. On a failed write the meta keys
// are unstaged again: the open block is as it was before the call.
absl::StatusOr<Hash256> Chain::Commit() {
  if (!block_.has_value()) return absl::FailedPreconditionError("no open block");
  Encoder h;
  h.Raw(std::string_view(reinterpret_cast<const char*>(app_hash_.data()), app_hash_.size()))
      .U64(info_.height)
      .U64(info_.time_ns);
  block_->pending().SerializeTo(h);
  const Hash256 next = Sha256(h.data());
  const std::string meta[3] = {MetaKey(kMetaHeight), MetaKey(kMetaTime), MetaKey(kMetaAppHash)};
  MESH_RETURN_IF_ERROR(block_->Put(meta[0], U64Bytes(info_.height)));
  MESH_RETURN_IF_ERROR(block_->Put(meta[1], U64Bytes(info_.time_ns)));
  MESH_RETURN_IF_ERROR(block_->Put(
      meta[2], std::string_view(reinterpret_cast<const char*>(next.data()), next.size())));
  absl::Status written = block_->Commit();
  if (!written.ok()) {
    // Only Commit writes the meta table, so the block held none of these.
    for (const std::string& k : meta) block_->Unstage(k);
    return written;
  }
  block_.reset();
  app_hash_ = next;
  return next;
}

}  // namespace mesh::node
