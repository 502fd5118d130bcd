#include "node/chain.h"

#include <atomic>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/record.h"
#include "core/status.h"
#include "node/gas.h"
#include "node/pipelined_store.h"
#include "node/state_cache.h"
#include "staking/bank.h"

namespace mesh::node {
namespace {

// A time past kMaxBlockTimeNs (core/context.h) would also leave no block
// after it.
absl::Status CheckBlockTime(uint64_t time_ns, const char* what) {
  if (time_ns <= kMaxBlockTimeNs) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " ", time_ns, " ns exceeds the signed 64-bit range"));
}

// Table prefixes 0x01-0x0F (docs/state-layout.md).
// 0x02/0x03 (accounts) belong to staking/auth.cc.
constexpr uint8_t kMetaPrefix = 0x01;   // 0x01 u8(field) -> value
constexpr uint8_t kMetaHeight = 1;
constexpr uint8_t kMetaTime = 2;
constexpr uint8_t kMetaAppHash = 3;

std::string MetaKey(uint8_t field) { return Encoder(kMetaPrefix).U8(field).Take(); }

// The signers' account numbers as `committed` holds them (nullopt: no
// account), for verification threads: `committed` must allow concurrent
// reads (the chain's state cache over such a store).
AccountNumberFn CommittedAccountNumbers(DurableStore* committed) {
  return [committed](const std::string& signer) -> std::optional<uint64_t> {
    const BlockInfo info;  // an account read needs no block
    absl::StatusOr<std::optional<staking::BaseAccount>> acc =
        staking::Auth::Get(Context(committed, &info), AccountAddress(signer));
    if (!acc.ok() || !acc->has_value()) return std::nullopt;
    return (*acc)->account_number;
  };
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
  TxResult r;
  if (s.ok()) return r;
  r.code = static_cast<uint32_t>(s.code());
  r.codespace = std::string(kCodespaceMeshsec);
  r.log = std::string(s.message());
  return r;
}

TxResult SdkError(uint32_t code, std::string log) {
  TxResult r;
  r.code = code;
  r.codespace = std::string(kCodespaceSdk);
  r.log = std::move(log);
  return r;
}

// "bank" for /cosmos.bank.v1beta1.MsgSend, "meshsec" for /meshsec.v1.X.
std::string ModuleOf(std::string_view type_url) {
  std::string_view name = type_url.substr(type_url.rfind('/') + 1);
  if (name.substr(0, 7) == "cosmos.") name.remove_prefix(7);
  return std::string(name.substr(0, name.find('.')));
}

std::string FeeString(const std::vector<FeeCoin>& fee) {
  std::string out;
  for (const FeeCoin& c : fee) {
    if (!out.empty()) out += ",";
    out += c.amount.ToString() + c.denom;
  }
  return out;
}

}  // namespace

absl::Status StatusOfResult(const TxResult& r) {
  if (r.ok()) return absl::OkStatus();
  if (r.codespace != kCodespaceSdk) {
    return absl::Status(static_cast<absl::StatusCode>(r.code), r.log);
  }
  absl::StatusCode code = absl::StatusCode::kFailedPrecondition;
  switch (r.code) {
    case kSdkTxDecode:
    case kSdkUnknownRequest:
    case kSdkInvalidRequest:
      code = absl::StatusCode::kInvalidArgument;
      break;
    case kSdkUnauthorized:
      code = absl::StatusCode::kPermissionDenied;
      break;
    case kSdkOutOfGas:
      code = absl::StatusCode::kResourceExhausted;
      break;
    default:
      break;
  }
  return absl::Status(code, r.codespace + " code " + std::to_string(r.code) + ": " + r.log);
}

Chain::Chain(std::unique_ptr<DurableStore> store, ChainConfig config) : config_(std::move(config)) {
  if (config_.pipelined_commit && store->ReadsDuringWrite()) {
    auto pipeline = std::make_unique<PipelinedStore>(std::move(store));
    pipeline_ = pipeline.get();
    store = std::move(pipeline);
  }
  auto cache = std::make_unique<StateCache>(std::move(store), config_.state_cache_bytes != 0
                                                                ? config_.state_cache_bytes
                                                                : StateCache::kDefaultCapacityBytes);
  cache_ = cache.get();
  store_ = std::move(cache);
  info_.chain_id = config_.chain_id;
  signers_ = std::make_unique<SignerCache>(config_.bech32_prefix);
  verdicts_ = std::make_unique<VerdictCache>();
}

absl::Status Chain::Flush() {
  if (pipeline_ == nullptr) return absl::OkStatus();
  return pipeline_->Flush();
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
  return OpenView(nullptr, /*keep_log=*/false);
}

absl::StatusOr<std::unique_ptr<Chain>> Chain::CommittedView(
    const std::shared_ptr<const Chain>& previous) const {
  return OpenView(previous, /*keep_log=*/true);
}

absl::StatusOr<std::unique_ptr<Chain>> Chain::OpenView(const std::shared_ptr<const Chain>& previous,
                                                       bool keep_log) const {
  std::unique_ptr<DurableStore> snapshot = store_->Snapshot();
  if (snapshot == nullptr) return absl::UnimplementedError("the store has no snapshots");
  std::unique_ptr<Chain> view(new Chain(std::move(snapshot), config_));
  static std::atomic<uint64_t> views_opened{0};
  view->view_serial_ = views_opened.fetch_add(1, std::memory_order_relaxed) + 1;
  cache_->LinkView(*view->cache_, previous, previous ? previous->cache_ : nullptr, keep_log);
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

absl::StatusOr<staking::BaseAccount> Chain::GetAccount(const AccountAddress& who) const {
  BlockInfo info = info_;
  MESH_ASSIGN_OR_RETURN(std::optional<staking::BaseAccount> acc,
                        staking::Auth::Get(Context(top(), &info), who));
  if (!acc.has_value()) {
    return absl::NotFoundError("account " + who.value() + " does not exist");
  }
  return *std::move(acc);
}

AccountAddress Chain::FeeCollector() const {
  absl::StatusOr<std::string> a = ModuleAddress(config_.bech32_prefix, "fee_collector");
  MESH_CHECK_OK(a.status());
  return AccountAddress(*a);
}

absl::Status Chain::InitGenesis(uint64_t genesis_time_ns, const Blocker& init) {
  if (info_.height != 0 || block_.has_value()) {
    return absl::FailedPreconditionError("genesis on a chain that already has blocks");
  }
  MESH_RETURN_IF_ERROR(CheckBlockTime(genesis_time_ns, "genesis time"));
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
  MESH_RETURN_IF_ERROR(CheckBlockTime(time_ns, "block time"));
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

// The ante checks in the SDK's order, then the messages (class comment).
TxResult Chain::RunTx(KvStore* parent, const BlockInfo& info, const SignedTx& tx,
                      const TxVerdict* verdict, Mode mode, uint64_t pending) const {
  GasMeter meter(tx.gas_limit);
  auto finish = [&](TxResult r) {
    r.gas_wanted = tx.gas_limit;
    r.gas_used = meter.used();
    return r;
  };
  auto out_of_gas = [&]() {
    return finish(SdkError(kSdkOutOfGas, "out of gas: gas wanted " +
                                             std::to_string(tx.gas_limit) + ", gas used " +
                                             std::to_string(meter.used())));
  };
  if (tx.msgs.empty()) {
    return finish(SdkError(kSdkInvalidRequest, "must contain at least one message"));
  }
  // Like the SDK's tx decoder: a message type nobody handles is a decode
  // error, before the ante (nothing is charged or consumed).
  for (const Msg& m : tx.msgs) {
    if (handlers_.find(m.type_url) == handlers_.end()) {
      return finish(SdkError(kSdkTxDecode, "unable to resolve type URL " + m.type_url +
                                               ": tx parse error"));
    }
  }
  if (tx.timeout_height != 0 && info.height > tx.timeout_height) {
    return finish(SdkError(kSdkTxTimeoutHeight,
                           "block height " + std::to_string(info.height) +
                               " is past the tx's timeout height " +
                               std::to_string(tx.timeout_height)));
  }
  Overlay ante(parent);
  GasStore ante_gas(&ante, &meter);
  const Context ctx(&ante_gas, &info);
  // A simulation without a signature is charged for the 64 signature bytes
  // the signed tx will carry (as the SDK's simulate charges a placeholder
  // signature), so its gas_used is what delivery will use.
  const uint64_t simulated_sig = mode == Mode::kSimulate && tx.signature.empty() ? 64 : 0;
  meter.Consume(kTxSizeCostPerByte * (tx.wire.size() + simulated_sig));
  if (meter.exceeded()) return out_of_gas();
  const AccountAddress signer(verdict != nullptr ? verdict->signer : AddressOf(tx.pubkey));
  absl::StatusOr<std::optional<staking::BaseAccount>> found = staking::Auth::Get(ctx, signer);
  if (!found.ok()) {
    if (meter.exceeded()) return out_of_gas();
    return finish(ResultOf(found.status()));
  }
  if (!found->has_value()) {
    return finish(SdkError(kSdkUnknownAddress,
                           "account " + signer.value() + " does not exist: unknown address"));
  }
  staking::BaseAccount acc = **std::move(found);
  if (mode == Mode::kCheck && !config_.min_gas_price.IsZero()) {
    absl::StatusOr<Amount> required = MulCeil(Amount(tx.gas_limit), config_.min_gas_price);
    Amount paid = Amount::Zero();
    for (const FeeCoin& c : tx.fee) {
      if (c.denom == config_.fee_denom) paid = c.amount;
    }
    if (!required.ok() || paid < *required) {
      return finish(SdkError(kSdkInsufficientFee,
                             "insufficient fees; got: " + FeeString(tx.fee) + " required: " +
                                 (required.ok() ? required->ToString() : std::string("?")) +
                                 config_.fee_denom + ": insufficient fee"));
    }
  }
  // Derived (SHA-256 + bech32) only when a fee is paid.
  const AccountAddress collector = tx.fee.empty() ? AccountAddress() : FeeCollector();
  for (const FeeCoin& c : tx.fee) {
    absl::Status paid = staking::Bank::Send(ctx, signer, collector, Denom(c.denom), c.amount);
    if (meter.exceeded()) return out_of_gas();
    if (absl::IsFailedPrecondition(paid)) {
      return finish(SdkError(kSdkInsufficientFunds,
                             std::string(paid.message()) + ": insufficient funds"));
    }
    if (!paid.ok()) return finish(ResultOf(paid));
  }
  acc.pubkey = tx.pubkey;
  meter.Consume(kSigVerifyCostSecp256k1);
  if (meter.exceeded()) return out_of_gas();
  const uint64_t expected = acc.sequence + pending;
  if (tx.sequence != expected) {
    return finish(SdkError(kSdkWrongSequence, "account sequence mismatch, expected " +
                                                  std::to_string(expected) + ", got " +
                                                  std::to_string(tx.sequence) +
                                                  ": incorrect account sequence"));
  }
  if (!(mode == Mode::kSimulate && tx.signature.empty())) {
    absl::Status sig;
    if (verdict != nullptr && verdict->checked &&
        verdict->account_number == acc.account_number) {
      sig = verdict->signature;
    } else {
      TxVerdict inline_verdict =
          VerifyTx(tx, VerifyParams{config_.chain_id, config_.bech32_prefix, signers_.get()},
                   acc.account_number);
      sig = inline_verdict.signature;
      // Kept for the tx's delivery (a mempool's txs are checked first).
      if (mode == Mode::kCheck) verdicts_->Put(tx, std::move(inline_verdict));
    }
    if (!sig.ok()) {
      return finish(SdkError(kSdkUnauthorized,
                             "signature verification failed; please verify account number (" +
                                 std::to_string(acc.account_number) + ") and chain-id (" +
                                 config_.chain_id + "): unauthorized"));
    }
  }
  acc.sequence += 1;
  absl::Status stored = staking::Auth::Set(ctx, acc);
  if (meter.exceeded()) return out_of_gas();
  if (!stored.ok()) return finish(ResultOf(stored));
  TxResult result;
  result.events.push_back(
      Event{"tx", {{"fee", FeeString(tx.fee)}, {"fee_payer", signer.value()}}});
  result.events.push_back(
      Event{"tx", {{"acc_seq", signer.value() + "/" + std::to_string(tx.sequence)}}});
  result.events.push_back(Event{"tx", {{"signature", Base64Encode(tx.signature)}}});
  if (mode == Mode::kCheck) {
    return finish(std::move(result));
  }
  // The ante's effects (fee, sequence) stay whatever the messages do: they
  // go to the parent now, and the messages run in their own overlay over it
  // (one level less for every read of theirs), discarded on failure.
  if (absl::Status s = ante.Commit(); !s.ok()) return finish(ResultOf(s));
  Overlay msgs(parent);
  GasStore msgs_gas(&msgs, &meter);
  const Context mctx(&msgs_gas, &info);
  absl::Status run = absl::OkStatus();
  bool unknown = false;
  for (const Msg& m : tx.msgs) {
    auto it = handlers_.find(m.type_url);
    if (it == handlers_.end()) {
      unknown = true;
      run = absl::InvalidArgumentError("unrecognized message type " + m.type_url +
                                       ": unknown request");
      break;
    }
    run = it->second(mctx, signer, m.value);
    if (!run.ok()) break;
  }
  if (meter.exceeded()) {
    msgs.Discard();
    TxResult oog = out_of_gas();
    oog.events = std::move(result.events);
    return oog;
  }
  if (!run.ok()) {
    msgs.Discard();
    TxResult failed = unknown ? SdkError(kSdkUnknownRequest, std::string(run.message()))
                              : ResultOf(run);
    failed.events = std::move(result.events);
    return finish(std::move(failed));
  }
  for (const Msg& m : tx.msgs) {
    result.events.push_back(Event{
        "message",
        {{"action", m.type_url}, {"sender", signer.value()}, {"module", ModuleOf(m.type_url)}}});
  }
  if (absl::Status s = msgs.Commit(); !s.ok()) return finish(ResultOf(s));
  return finish(std::move(result));
}

TxResult Chain::DeliverTx(const SignedTx& tx) {
  if (!block_.has_value()) return ResultOf(absl::FailedPreconditionError("no open block"));
  // The verdict of a tx verified before its block (CheckTx, VerifyAhead).
  const std::optional<TxVerdict> ahead = verdicts_->Take(tx);
  return RunTx(&*block_, info_, tx, ahead.has_value() ? &*ahead : nullptr, Mode::kDeliver, 0);
}

TxResult Chain::DeliverTxBytes(std::string_view tx_bytes) {
  absl::StatusOr<SignedTx> tx = SignedTx::Decode(tx_bytes);
  if (!tx.ok()) return SdkError(kSdkTxDecode, std::string(tx.status().message()));
  return DeliverTx(*tx);
}

TxResult Chain::CheckTxBytes(std::string_view tx_bytes) const {
  absl::StatusOr<SignedTx> tx = SignedTx::Decode(tx_bytes);
  if (!tx.ok()) return SdkError(kSdkTxDecode, std::string(tx.status().message()));
  return CheckTx(*tx);
}

TxResult Chain::DeliverTx(const SignedTx& tx, const TxVerdict& verdict) {
  if (!block_.has_value()) return ResultOf(absl::FailedPreconditionError("no open block"));
  return RunTx(&*block_, info_, tx, &verdict, Mode::kDeliver, 0);
}

TxResult Chain::SimulateTx(const SignedTx& tx) const {
  BlockInfo info = info_;
  if (!block_.has_value()) info.height += 1;
  Overlay scratch(top());
  return RunTx(&scratch, info, tx, nullptr, Mode::kSimulate, 0);
}

TxResult Chain::CheckTx(const SignedTx& tx, uint64_t pending) const {
  BlockInfo info = info_;
  if (!block_.has_value()) info.height += 1;
  Overlay scratch(top());
  return RunTx(&scratch, info, tx, nullptr, Mode::kCheck, pending);
}

std::vector<TxResult> Chain::DeliverTxs(const std::vector<SignedTx>& txs, WorkerPool* pool) {
  std::vector<const SignedTx*> ptrs;
  ptrs.reserve(txs.size());
  for (const SignedTx& tx : txs) ptrs.push_back(&tx);
  return DeliverTxs(ptrs, pool);
}

std::vector<TxResult> Chain::DeliverTxs(const std::vector<const SignedTx*>& txs,
                                        WorkerPool* pool) {
  std::vector<TxResult> out;
  out.reserve(txs.size());
  if (!block_.has_value()) {
    out.assign(txs.size(), ResultOf(absl::FailedPreconditionError("no open block")));
    return out;
  }
  // What VerifyAhead has not verified yet is verified here, on all cores.
  if (ahead_ != nullptr) ahead_->Cancel();
  const VerifyParams params{config_.chain_id, config_.bech32_prefix, signers_.get(),
                            verdicts_.get()};
  auto deliver = [&](size_t i, const TxVerdict& verdict) {
    out.push_back(DeliverTx(*txs[i], verdict));
  };
  if (store_->ConcurrentReads()) {
    // The signers' committed account numbers, read on the verification
    // threads (nothing writes the store while the block is open). An
    // account created or renumbered in this block is re-verified inline
    // (RunTx compares the verdict's number), so results are those of
    // reading the open block.
    DeliverVerified(txs, CommittedAccountNumbers(store_.get()), params, deliver, pool);
    return out;
  }
  // The signers' account numbers before the first tx (serial reads).
  std::vector<std::optional<uint64_t>> numbers(txs.size());
  const Context ctx(&*block_, &info_);
  for (size_t i = 0; i < txs.size(); ++i) {
    absl::StatusOr<std::optional<staking::BaseAccount>> acc =
        staking::Auth::Get(ctx, AccountAddress(AddressOf(txs[i]->pubkey)));
    if (acc.ok() && acc->has_value()) numbers[i] = (*acc)->account_number;
  }
  DeliverVerified(txs, numbers, params, deliver, pool);
  return out;
}

void Chain::VerifyAhead(std::shared_ptr<const std::vector<SignedTx>> txs) {
  if (!store_->ConcurrentReads()) return;
  if (ahead_ == nullptr) {
    // The committed account numbers, read on the verifier's thread through
    // the state cache (thread-safe; a commit is seen whole or not at all).
    ahead_ = std::make_unique<AheadVerifier>(
        VerifyParams{config_.chain_id, config_.bech32_prefix, signers_.get()},
        CommittedAccountNumbers(store_.get()), verdicts_.get());
  }
  ahead_->Submit(std::move(txs));
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
  // The bytes of the app-hash definition (node/chain.h) are streamed into
  // the hasher op by op: the batch is never serialized into a string.
  Sha256Hasher h;
  h.Update(std::string_view(reinterpret_cast<const char*>(app_hash_.data()), app_hash_.size()))
      .U64(info_.height)
      .U64(info_.time_ns);
  // A delete of what the block put, where the store holds nothing, would
  // only write a tombstone: it leaves the batch before the hash.
  MESH_RETURN_IF_ERROR(block_->DropAbsentDeletes());
  block_->IndexPending();  // walked by the hash, the cache and the store
  block_->pending().HashTo(h);
  const Hash256 next = h.Finish();
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
