#include "node/cosmos_tx_service.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/status.h"
#include "cosmos/base/abci/v1beta1/abci.pb.h"
#include "cosmos/tx/v1beta1/service.pb.h"
#include "cosmos/base/query/v1beta1/pagination.pb.h"
#include "cosmos/tx/v1beta1/tx.pb.h"
#include "meshsec/v1/cosmos_tx_compat.pb.h"

namespace mesh::node {
namespace {

namespace txpb = ::cosmos::tx::v1beta1;
namespace abci = ::cosmos::base::abci::v1beta1;
namespace compat = ::meshsec::v1::cosmos_compat;

constexpr char kTxKeyPrefix[] = "tx/";
constexpr char kBlockKeyPrefix[] = "blk/";
constexpr char kPosKeyPrefix[] = "pos/";
constexpr char kEventKeyPrefix[] = "ev/";
constexpr size_t kPosSize = 12;  // height (8 bytes BE) + index in block (4 bytes BE)
// The SDK's query.DefaultLimit; CometBFT's TxSearch caps a page at 100.
constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 100;
constexpr char kTxTypeUrl[] = "/cosmos.tx.v1beta1.Tx";

// RFC 3339 in UTC with whole seconds, as the SDK writes TxResponse.timestamp.
std::string Rfc3339(uint64_t time_ns) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixNanos(static_cast<int64_t>(time_ns)), absl::UTCTimeZone());
}

void FillEvents(const std::vector<Event>& events,
                google::protobuf::RepeatedPtrField<::tendermint::abci::Event>* out) {
  for (const Event& e : events) {
    ::tendermint::abci::Event* pe = out->Add();
    pe->set_type(e.type);
    for (const auto& [key, value] : e.attributes) {
      ::tendermint::abci::EventAttribute* a = pe->add_attributes();
      a->set_key(key);
      a->set_value(value);
      a->set_index(true);
    }
  }
}

// SDK < 0.50's ABCIMessageLog per message of a successful tx: the engine
// emits exactly one `message` event per message, in message order, and no
// other event of a message (node/chain.h TxResult), so message i's log holds
// the i-th `message` event. A failed tx has no logs (as the SDK).
void FillLogs(const TxResult& r, abci::TxResponse* out) {
  if (!r.ok()) return;
  uint32_t msg_index = 0;
  for (const Event& e : r.events) {
    if (e.type != "message") continue;
    abci::ABCIMessageLog* log = out->add_logs();
    log->set_msg_index(msg_index++);
    abci::StringEvent* se = log->add_events();
    se->set_type(e.type);
    for (const auto& [key, value] : e.attributes) {
      abci::Attribute* a = se->add_attributes();
      a->set_key(key);
      a->set_value(value);
    }
  }
}

// A big-endian (height, index) position: ordered as the bytes are.
std::string PosBytes(uint64_t height, uint32_t index) {
  std::string out(kPosSize, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(height >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<char>(index >> (24 - 8 * i));
  return out;
}

std::string HeightBytes(uint64_t height) { return PosBytes(height, 0).substr(0, 8); }

std::string EventKeyPrefix(std::string_view composite_key, std::string_view value) {
  std::string out = absl::StrCat(kEventKeyPrefix, std::string(composite_key), "=");
  out.append(value);
  out.push_back('\0');
  return out;
}

// TxRaw bytes as a cosmos.tx.v1beta1.Tx, decoding only the protobuf (no
// signer or signature checks: the SDK's TxDecode).
absl::StatusOr<txpb::Tx> TxFromRaw(const std::string& bytes) {
  txpb::TxRaw raw;
  txpb::Tx tx;
  if (!raw.ParseFromString(bytes) || !tx.mutable_body()->ParseFromString(raw.body_bytes()) ||
      !tx.mutable_auth_info()->ParseFromString(raw.auth_info_bytes())) {
    return absl::InvalidArgumentError(
        "tx parse error: the bytes are not a cosmos.tx.v1beta1.TxRaw");
  }
  for (const std::string& sig : raw.signatures()) tx.add_signatures(sig);
  return tx;
}

// The TxRaw parts as a cosmos.tx.v1beta1.Tx (body and auth info decoded).
txpb::Tx DecodedTx(const SignedTx& tx) {
  txpb::Tx out;
  out.mutable_body()->ParseFromString(tx.body_bytes);
  out.mutable_auth_info()->ParseFromString(tx.auth_info_bytes);
  out.add_signatures(tx.signature);
  return out;
}

// The TxRaw of a (deprecated) SimulateRequest.tx.
std::string TxRawOf(const txpb::Tx& tx) {
  txpb::TxRaw raw;
  raw.set_body_bytes(tx.body().SerializeAsString());
  raw.set_auth_info_bytes(tx.auth_info().SerializeAsString());
  for (const std::string& s : tx.signatures()) raw.add_signatures(s);
  return raw.SerializeAsString();
}

void FillCheck(const TxResult& r, abci::TxResponse* out) {
  out->set_code(r.code);
  out->set_codespace(r.codespace);
  out->set_raw_log(r.log);
  out->set_gas_wanted(static_cast<int64_t>(r.gas_wanted));
  out->set_gas_used(static_cast<int64_t>(r.gas_used));
}

grpc::Status Invalid(std::string msg) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(msg));
}

class CosmosTxService final : public grpc::Service {
 public:
  explicit CosmosTxService(TxServiceHooks hooks) : hooks_(std::move(hooks)) {
    Add<txpb::SimulateRequest, txpb::SimulateResponse>("Simulate", &CosmosTxService::Simulate);
    Add<txpb::GetTxRequest, txpb::GetTxResponse>("GetTx", &CosmosTxService::GetTx);
    Add<txpb::BroadcastTxRequest, txpb::BroadcastTxResponse>("BroadcastTx",
                                                             &CosmosTxService::BroadcastTx);
    Add<compat::GetTxsEventRequest, compat::GetTxsEventResponse>("GetTxsEvent",
                                                                 &CosmosTxService::GetTxsEvent);
    Add<txpb::GetBlockWithTxsRequest, txpb::GetBlockWithTxsResponse>(
        "GetBlockWithTxs", &CosmosTxService::GetBlockWithTxs);
    Add<compat::TxDecodeRequest, compat::TxDecodeResponse>("TxDecode", &CosmosTxService::TxDecode);
    Add<compat::TxEncodeRequest, compat::TxEncodeResponse>("TxEncode", &CosmosTxService::TxEncode);
  }

 private:
  using C = grpc::ServerContext;

  template <typename Req, typename Resp>
  void Add(const char* method, grpc::Status (CosmosTxService::*fn)(C*, const Req&, Resp*)) {
    using Handler = grpc::internal::RpcMethodHandler<CosmosTxService, Req, Resp,
                                                     google::protobuf::MessageLite,
                                                     google::protobuf::MessageLite>;
    names_.push_back(absl::StrCat("/cosmos.tx.v1beta1.Service/", method));
    AddMethod(new grpc::internal::RpcServiceMethod(
        names_.back().c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new Handler(
            [fn](CosmosTxService* self, C* ctx, const Req* q, Resp* r) {
              grpc::Status s = (self->*fn)(ctx, *q, r);
              if (!s.ok()) r->Clear();  // a failed call returns no partial response
              return s;
            },
            this)));
  }

  grpc::Status BroadcastTx(C* ctx, const txpb::BroadcastTxRequest& q,
                           txpb::BroadcastTxResponse* r) {
    if (q.tx_bytes().empty()) return Invalid("invalid empty tx");
    if (q.mode() != txpb::BROADCAST_MODE_SYNC && q.mode() != txpb::BROADCAST_MODE_ASYNC &&
        q.mode() != txpb::BROADCAST_MODE_BLOCK) {
      return Invalid("supported broadcast modes: BROADCAST_MODE_SYNC, BROADCAST_MODE_ASYNC, "
                     "BROADCAST_MODE_BLOCK");
    }
    abci::TxResponse* out = r->mutable_tx_response();
    out->set_txhash(CometTxHash(q.tx_bytes()));
    TxResult result;
    uint64_t height = 0;
    const bool wait = q.mode() == txpb::BROADCAST_MODE_BLOCK;
    grpc::Status s = hooks_.broadcast(ctx, q.tx_bytes(), wait, &result, &height);
    if (!s.ok()) return s;
    if (q.mode() == txpb::BROADCAST_MODE_ASYNC) {
      // Only a decoding failure is reported; the check result is not.
      if (result.code == kSdkTxDecode && result.codespace == kCodespaceSdk) FillCheck(result, out);
      return grpc::Status::OK;
    }
    FillCheck(result, out);
    if (wait) {
      out->set_height(static_cast<int64_t>(height));
      FillEvents(result.events, out->mutable_events());
      FillLogs(result, out);
    }
    return grpc::Status::OK;
  }

  grpc::Status GetTx(C*, const txpb::GetTxRequest& q, txpb::GetTxResponse* r) {
    if (q.hash().empty()) return Invalid("tx hash cannot be empty");
    absl::StatusOr<std::string> raw = FromHex(q.hash());
    if (!raw.ok() || raw->size() != 32) {
      return Invalid(absl::StrCat("invalid tx hash ", q.hash(), ": want 64 hex digits"));
    }
    const std::string hash = absl::AsciiStrToUpper(q.hash());
    absl::StatusOr<std::optional<std::string>> stored = hooks_.index->Get(hash);
    if (!stored.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(stored.status().message()));
    }
    if (!stored->has_value()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("tx not found: ", hash));
    }
    if (!r->mutable_tx_response()->ParseFromString(**stored) ||
        !r->mutable_tx()->ParseFromString(r->tx_response().tx().value())) {
      return grpc::Status(grpc::StatusCode::DATA_LOSS, "tx index entry does not decode: " + hash);
    }
    return grpc::Status::OK;
  }

  grpc::Status Simulate(C*, const txpb::SimulateRequest& q, txpb::SimulateResponse* r) {
    std::string bytes = q.tx_bytes();
    // The deprecated `tx` field is still what older clients send: accepted
    // knowingly, as the SDK does.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    if (bytes.empty() && q.has_tx()) bytes = TxRawOf(q.tx());
#pragma GCC diagnostic pop
    if (bytes.empty()) return Invalid("empty txBytes is not allowed");
    absl::StatusOr<SignedTx> tx = SignedTx::Decode(bytes);
    if (!tx.ok()) return Invalid(std::string(tx.status().message()));
    TxResult result = hooks_.simulate(*tx);
    if (!result.ok()) {
      return grpc::Status(grpc::StatusCode::UNKNOWN,
                          absl::StrCat(result.log, " With gas wanted: '", result.gas_wanted,
                                       "' and gas used: '", result.gas_used, "' "));
    }
    r->mutable_gas_info()->set_gas_wanted(result.gas_wanted);
    r->mutable_gas_info()->set_gas_used(result.gas_used);
    r->mutable_result()->set_log(result.log);
    FillEvents(result.events, r->mutable_result()->mutable_events());
    return grpc::Status::OK;
  }

  grpc::Status GetTxsEvent(C*, const compat::GetTxsEventRequest& q,
                           compat::GetTxsEventResponse* r) {
    std::string query = q.query();
    if (query.empty()) {
      for (const std::string& e : q.events()) {
        if (std::count(e.begin(), e.end(), '=') != 1) {
          return Invalid(
              absl::StrCat("invalid event; event ", e,
                           " should be of the format: {eventType}.{eventAttribute}={value}"));
        }
      }
      query = absl::StrJoin(q.events(), " AND ");
    }
    if (query.empty()) return Invalid("query cannot be empty");
    absl::StatusOr<std::vector<TxQueryCondition>> conditions = ParseTxQuery(query);
    if (!conditions.ok()) return Invalid(std::string(conditions.status().message()));
    uint64_t page = q.page();
    uint64_t limit = q.limit();
    if (page == 0 && limit == 0 && !q.pagination().empty()) {
      // The deprecated PageRequest (SDK 0.46): offset / limit.
      ::cosmos::base::query::v1beta1::PageRequest pr;
      if (!pr.ParseFromString(q.pagination())) return Invalid("pagination does not decode");
      limit = std::min(pr.limit() == 0 ? kDefaultLimit : pr.limit(), kMaxLimit);
      page = pr.offset() / limit + 1;
    }
    if (page == 0) page = 1;
    if (limit == 0) limit = kDefaultLimit;
    limit = std::min(limit, kMaxLimit);
    const bool desc = q.order_by() == txpb::ORDER_BY_DESC;
    absl::StatusOr<TxSearchResult> found = hooks_.index->Search(*conditions, desc, page, limit);
    if (!found.ok()) {
      return grpc::Status(absl::IsInvalidArgument(found.status())
                              ? grpc::StatusCode::INVALID_ARGUMENT
                              : grpc::StatusCode::INTERNAL,
                          std::string(found.status().message()));
    }
    for (const std::string& hash : found->txhashes) {
      absl::StatusOr<std::optional<std::string>> stored = hooks_.index->Get(hash);
      if (!stored.ok()) {
        return grpc::Status(grpc::StatusCode::INTERNAL, std::string(stored.status().message()));
      }
      abci::TxResponse resp;
      if (!stored->has_value() || !resp.ParseFromString(**stored)) {
        return grpc::Status(grpc::StatusCode::DATA_LOSS, "tx index entry does not decode: " + hash);
      }
      r->add_txs(resp.tx().value());
      r->add_tx_responses(**stored);
    }
    r->set_total(found->total);
    return grpc::Status::OK;
  }

  grpc::Status GetBlockWithTxs(C*, const txpb::GetBlockWithTxsRequest& q,
                               txpb::GetBlockWithTxsResponse* r) {
    const uint64_t latest = hooks_.latest_height ? hooks_.latest_height() : 0;
    if (q.height() < 1 || static_cast<uint64_t>(q.height()) > latest) {
      return Invalid(absl::StrCat("requested height ", q.height(),
                                  " but height must not be less than 1 or greater than the "
                                  "current height ",
                                  latest, ": invalid height"));
    }
    const uint64_t height = static_cast<uint64_t>(q.height());
    absl::StatusOr<std::optional<::tendermint::types::Block>> block =
        hooks_.index->GetBlock(height);
    if (!block.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(block.status().message()));
    }
    if (!block->has_value()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("block ", height,
                                       " is not in the tx index (it holds the blocks this node "
                                       "produced with the index)"));
    }
    const auto& raw_txs = (*block)->data().txs();
    const uint64_t n = static_cast<uint64_t>(raw_txs.size());
    const uint64_t offset = q.pagination().offset();
    const uint64_t limit = q.pagination().limit() == 0 ? kDefaultLimit : q.pagination().limit();
    if (offset >= n && n != 0) {
      return Invalid(absl::StrCat("out of range: cannot paginate ", n, " txs with offset ", offset,
                                  " and limit ", limit, ": invalid request"));
    }
    for (uint64_t k = offset; k < n && k - offset < limit; ++k) {
      const uint64_t i = q.pagination().reverse() ? n - 1 - k : k;
      absl::StatusOr<txpb::Tx> tx = TxFromRaw(raw_txs[static_cast<int>(i)]);
      if (!tx.ok()) return grpc::Status(grpc::StatusCode::DATA_LOSS, "block tx does not decode");
      *r->add_txs() = *std::move(tx);
    }
    r->mutable_block_id();  // no consensus engine, no block id (G-9)
    *r->mutable_block() = **std::move(block);
    r->mutable_pagination()->set_total(n);
    return grpc::Status::OK;
  }

  grpc::Status TxDecode(C*, const compat::TxDecodeRequest& q, compat::TxDecodeResponse* r) {
    if (q.tx_bytes().empty()) return Invalid("invalid empty tx bytes");
    absl::StatusOr<txpb::Tx> tx = TxFromRaw(q.tx_bytes());
    if (!tx.ok()) return Invalid(std::string(tx.status().message()));
    r->set_tx(tx->SerializeAsString());
    return grpc::Status::OK;
  }

  grpc::Status TxEncode(C*, const compat::TxEncodeRequest& q, compat::TxEncodeResponse* r) {
    txpb::Tx tx;
    if (q.tx().empty()) return Invalid("invalid empty tx");
    if (!tx.ParseFromString(q.tx())) return Invalid("tx does not decode as cosmos.tx.v1beta1.Tx");
    r->set_tx_bytes(TxRawOf(tx));
    return grpc::Status::OK;
  }

  TxServiceHooks hooks_;
  std::deque<std::string> names_;  // stable storage for the method names
};

}  // namespace

std::string CometTxHash(std::string_view tx_bytes) {
  return absl::AsciiStrToUpper(ToHex(Sha256(tx_bytes)));
}

TxIndex::TxIndex(DurableStore* store) {
  if (store == nullptr) {
    owned_ = std::make_unique<MemStore>();
    store = owned_.get();
  }
  store_ = store;
}

absl::Status TxIndex::RecordBlock(const ::tendermint::types::Header& header,
                                  const std::vector<IndexedTx>& txs) {
  const uint64_t height = static_cast<uint64_t>(header.height());
  WriteBatch batch;
  const std::string timestamp =
      Rfc3339(static_cast<uint64_t>(header.time().seconds()) * kNanosPerSecond +
              static_cast<uint64_t>(header.time().nanos()));
  ::tendermint::types::Block block;
  *block.mutable_header() = header;
  for (size_t i = 0; i < txs.size(); ++i) {
    const IndexedTx& t = txs[i];
    abci::TxResponse resp;
    resp.set_height(static_cast<int64_t>(height));
    resp.set_txhash(t.txhash);
    FillCheck(*t.result, &resp);
    FillLogs(*t.result, &resp);
    FillEvents(t.result->events, resp.mutable_events());
    resp.set_timestamp(timestamp);
    resp.mutable_tx()->set_type_url(kTxTypeUrl);
    resp.mutable_tx()->set_value(DecodedTx(*t.tx).SerializeAsString());
    batch.Put(absl::StrCat(kTxKeyPrefix, t.txhash), resp.SerializeAsString());
    block.mutable_data()->add_txs(t.tx->Encode());
    const std::string pos = PosBytes(height, static_cast<uint32_t>(i));
    batch.Put(absl::StrCat(kPosKeyPrefix, pos), t.txhash);
    for (const Event& e : t.result->events) {
      for (const auto& [key, value] : e.attributes) {
        batch.Put(absl::StrCat(EventKeyPrefix(absl::StrCat(e.type, ".", key), value), pos),
                  t.txhash);
      }
    }
  }
  batch.Put(absl::StrCat(kBlockKeyPrefix, HeightBytes(height)), block.SerializeAsString());
  std::lock_guard<std::mutex> lock(mu_);
  return store_->Write(batch);
}

absl::StatusOr<std::optional<::tendermint::types::Block>> TxIndex::GetBlock(
    uint64_t height) const {
  std::optional<std::string> bytes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    MESH_ASSIGN_OR_RETURN(bytes, store_->Get(absl::StrCat(kBlockKeyPrefix, HeightBytes(height))));
  }
  if (!bytes.has_value()) return std::nullopt;
  ::tendermint::types::Block block;
  if (!block.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("tx index block ", height, " does not decode"));
  }
  return block;
}

namespace {

using PosMap = std::map<std::string, std::string>;  // position -> txhash

// Every (position, txhash) whose key in [begin, end) is `prefix` + a
// position (a longer or shorter key belongs to another value).
absl::Status CollectPositions(const DurableStore& store, std::string_view prefix,
                              std::string_view begin, std::string_view end, PosMap* out) {
  std::unique_ptr<KvIterator> it = store.Scan(begin, end);
  for (; it->Valid(); it->Next()) {
    if (it->key().size() != prefix.size() + kPosSize) continue;
    out->emplace(std::string(it->key().substr(prefix.size())), std::string(it->value()));
  }
  return it->status();
}

absl::StatusOr<uint64_t> HeightValue(const TxQueryCondition& c) {
  uint64_t v = 0;
  if (c.value.empty() || !std::all_of(c.value.begin(), c.value.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(c.value, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tx.height must be a non-negative integer, got '", c.value, "'"));
  }
  return v;
}

// The positions `c` matches (store locked by the caller).
absl::StatusOr<PosMap> Match(const DurableStore& store, const TxQueryCondition& c) {
  PosMap out;
  using Op = TxQueryCondition::Op;
  if (c.key == "tx.height") {
    MESH_ASSIGN_OR_RETURN(uint64_t v, HeightValue(c));
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    uint64_t lo = 0, hi = kMax;  // inclusive
    switch (c.op) {
      case Op::kEq: lo = hi = v; break;
      case Op::kLt: if (v == 0) return out; hi = v - 1; break;
      case Op::kLe: hi = v; break;
      case Op::kGt: if (v == kMax) return out; lo = v + 1; break;
      case Op::kGe: lo = v; break;
    }
    const std::string begin = absl::StrCat(kPosKeyPrefix, HeightBytes(lo));
    const std::string end = hi == kMax ? PrefixEnd(kPosKeyPrefix)
                                       : absl::StrCat(kPosKeyPrefix, HeightBytes(hi + 1));
    MESH_RETURN_IF_ERROR(CollectPositions(store, kPosKeyPrefix, begin, end, &out));
    return out;
  }
  if (c.op != Op::kEq) {
    return absl::InvalidArgumentError(absl::StrCat(
        "only tx.height can be compared with <, <=, >, >=; use ", c.key, "='value'"));
  }
  if (c.key == "tx.hash") {
    const std::string hash = absl::AsciiStrToUpper(c.value);
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                          store.Get(absl::StrCat(kTxKeyPrefix, hash)));
    abci::TxResponse resp;
    if (!stored.has_value() || !resp.ParseFromString(*stored)) return out;
    const std::string prefix =
        absl::StrCat(kPosKeyPrefix, HeightBytes(static_cast<uint64_t>(resp.height())));
    PosMap block;
    MESH_RETURN_IF_ERROR(
        CollectPositions(store, kPosKeyPrefix, prefix, PrefixEnd(prefix), &block));
    for (auto& [pos, h] : block) {
      if (h == hash) out.emplace(pos, h);
    }
    return out;
  }
  const std::string prefix = EventKeyPrefix(c.key, c.value);
  MESH_RETURN_IF_ERROR(CollectPositions(store, prefix, prefix, PrefixEnd(prefix), &out));
  return out;
}

}  // namespace

absl::StatusOr<TxSearchResult> TxIndex::Search(const std::vector<TxQueryCondition>& conditions,
                                               bool desc, uint64_t page, uint64_t limit) const {
  if (conditions.empty()) return absl::InvalidArgumentError("query cannot be empty");
  if (page == 0 || limit == 0) return absl::InvalidArgumentError("page and limit start at 1");
  PosMap hits;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < conditions.size(); ++i) {
      MESH_ASSIGN_OR_RETURN(PosMap m, Match(*store_, conditions[i]));
      if (i == 0) {
        hits = std::move(m);
        continue;
      }
      for (auto it = hits.begin(); it != hits.end();) {
        it = m.count(it->first) > 0 ? std::next(it) : hits.erase(it);
      }
    }
  }
  TxSearchResult out;
  out.total = hits.size();
  const uint64_t pages = out.total == 0 ? 1 : (out.total - 1) / limit + 1;
  if (page > pages) {
    return absl::InvalidArgumentError(
        absl::StrCat("page should be within [1, ", pages, "] range, given ", page));
  }
  const uint64_t skip = (page - 1) * limit;
  std::vector<std::string> ordered;
  ordered.reserve(hits.size());
  for (auto& [pos, hash] : hits) ordered.push_back(std::move(hash));
  if (desc) std::reverse(ordered.begin(), ordered.end());
  for (uint64_t i = skip; i < ordered.size() && i - skip < limit; ++i) {
    out.txhashes.push_back(std::move(ordered[i]));
  }
  return out;
}

namespace {

bool IsKeyChar(char ch) {
  return !absl::ascii_isspace(static_cast<unsigned char>(ch)) &&
         std::string_view("=<>'\"()\\").find(ch) == std::string_view::npos;
}

absl::Status QueryError(std::string_view query, size_t at, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid query \"", std::string(query),
                                                 "\" at position ", at, ": ", std::string(what)));
}

}  // namespace

absl::StatusOr<std::vector<TxQueryCondition>> ParseTxQuery(std::string_view q) {
  std::vector<TxQueryCondition> out;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < q.size() && absl::ascii_isspace(static_cast<unsigned char>(q[i]))) ++i;
  };
  skip_space();
  if (i == q.size()) return absl::InvalidArgumentError("query cannot be empty");
  while (true) {
    TxQueryCondition c;
    skip_space();
    const size_t key_start = i;
    while (i < q.size() && IsKeyChar(q[i])) ++i;
    c.key = std::string(q.substr(key_start, i - key_start));
    if (c.key.empty()) return QueryError(q, i, "expected a key such as message.sender");
    skip_space();
    if (q.substr(i, 2) == "<=") {
      c.op = TxQueryCondition::Op::kLe, i += 2;
    } else if (q.substr(i, 2) == ">=") {
      c.op = TxQueryCondition::Op::kGe, i += 2;
    } else if (i < q.size() && q[i] == '<') {
      c.op = TxQueryCondition::Op::kLt, ++i;
    } else if (i < q.size() && q[i] == '>') {
      c.op = TxQueryCondition::Op::kGt, ++i;
    } else if (i < q.size() && q[i] == '=') {
      c.op = TxQueryCondition::Op::kEq, ++i;
    } else {
      return QueryError(q, i,
                        absl::StrCat("expected =, <, <=, > or >= after ", c.key,
                                     " (CONTAINS and EXISTS are not supported)"));
    }
    skip_space();
    if (i < q.size() && q[i] == '\'') {
      const size_t close = q.find('\'', i + 1);
      if (close == std::string_view::npos) return QueryError(q, i, "unterminated 'string'");
      c.value = std::string(q.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      const size_t value_start = i;
      while (i < q.size() &&
             (absl::ascii_isdigit(static_cast<unsigned char>(q[i])) || q[i] == '.')) {
        ++i;
      }
      c.value = std::string(q.substr(value_start, i - value_start));
      if (c.value.empty()) {
        return QueryError(q, i, "expected a 'quoted string' or a number (TIME and DATE are not "
                                "supported)");
      }
    }
    out.push_back(std::move(c));
    const size_t before_space = i;
    skip_space();
    if (i == q.size()) return out;
    const bool is_and = absl::EqualsIgnoreCase(std::string(q.substr(i, 3)), "AND") &&
                        (i + 3 == q.size() ||
                         absl::ascii_isspace(static_cast<unsigned char>(q[i + 3])));
    if (i == before_space || !is_and) {
      return QueryError(q, i, "expected AND between conditions (OR is not supported)");
    }
    i += 3;
  }
}

absl::StatusOr<std::optional<std::string>> TxIndex::Get(std::string_view txhash) const {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->Get(absl::StrCat(kTxKeyPrefix, std::string(txhash)));
}

std::unique_ptr<grpc::Service> NewCosmosTxService(TxServiceHooks hooks) {
  return std::make_unique<CosmosTxService>(std::move(hooks));
}

}  // namespace mesh::node
