#include "node/cosmos_tx_service.h"

#include <deque>
#include <string>
#include <utility>

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/crypto.h"
#include "core/status.h"
#include "cosmos/base/abci/v1beta1/abci.pb.h"
#include "cosmos/tx/v1beta1/service.pb.h"
#include "cosmos/tx/v1beta1/tx.pb.h"

namespace mesh::node {
namespace {

namespace txpb = ::cosmos::tx::v1beta1;
namespace abci = ::cosmos::base::abci::v1beta1;

constexpr char kTxKeyPrefix[] = "tx/";
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
    if (bytes.empty() && q.has_tx()) bytes = TxRawOf(q.tx());
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

absl::Status TxIndex::RecordBlock(uint64_t height, uint64_t time_ns,
                                  const std::vector<IndexedTx>& txs) {
  if (txs.empty()) return absl::OkStatus();
  WriteBatch batch;
  const std::string timestamp = Rfc3339(time_ns);
  for (const IndexedTx& t : txs) {
    abci::TxResponse resp;
    resp.set_height(static_cast<int64_t>(height));
    resp.set_txhash(t.txhash);
    FillCheck(*t.result, &resp);
    FillEvents(t.result->events, resp.mutable_events());
    resp.set_timestamp(timestamp);
    resp.mutable_tx()->set_type_url(kTxTypeUrl);
    resp.mutable_tx()->set_value(DecodedTx(*t.tx).SerializeAsString());
    batch.Put(absl::StrCat(kTxKeyPrefix, t.txhash), resp.SerializeAsString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  return store_->Write(batch);
}

absl::StatusOr<std::optional<std::string>> TxIndex::Get(std::string_view txhash) const {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->Get(absl::StrCat(kTxKeyPrefix, std::string(txhash)));
}

std::unique_ptr<grpc::Service> NewCosmosTxService(TxServiceHooks hooks) {
  return std::make_unique<CosmosTxService>(std::move(hooks));
}

}  // namespace mesh::node
