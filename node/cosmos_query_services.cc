#include "node/cosmos_query_services.h"

#include "cosmos/crypto/secp256k1/keys.pb.h"

#include <algorithm>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/status.h"
#include "node/cosmos_pagination.h"
#include "cosmos/auth/v1beta1/auth.pb.h"
#include "cosmos/auth/v1beta1/query.grpc.pb.h"
#include "cosmos/bank/v1beta1/query.grpc.pb.h"
#include "cosmos/base/tendermint/v1beta1/query.pb.h"
#include "staking/bank.h"

namespace mesh::node {
namespace {

namespace bk = ::cosmos::bank::v1beta1;
namespace au = ::cosmos::auth::v1beta1;
namespace tm = ::cosmos::base::tendermint::v1beta1;
namespace qpb = ::cosmos::base::query::v1beta1;
using staking::Bank;

constexpr char kBaseAccountType[] = "/cosmos.auth.v1beta1.BaseAccount";

using Coins = std::vector<std::pair<Denom, Amount>>;

// The canonical bech32 account address `s` (chain prefix), or
// INVALID_ARGUMENT.
absl::StatusOr<AccountAddress> Account(const Chain& chain, const std::string& s) {
  if (s.empty()) return absl::InvalidArgumentError("address cannot be empty");
  const std::string& hrp = chain.config().bech32_prefix;
  absl::StatusOr<std::string> bytes = AddressFromBech32(hrp, s);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid address: ", bytes.status().message()));
  }
  MESH_ASSIGN_OR_RETURN(std::string canonical, AddressToBech32(hrp, *bytes));
  return AccountAddress(std::move(canonical));
}

absl::StatusOr<Denom> RequireDenom(const std::string& denom) {
  if (denom.empty()) return absl::InvalidArgumentError("invalid denom");
  return Denom(denom);
}

// One page of `coins` (any order on input), ordered by denom as the SDK's
// store is; fills `resp`.
absl::StatusOr<Coins> PageOfCoins(const Coins& coins, const qpb::PageRequest& req,
                                  qpb::PageResponse* resp) {
  MESH_ASSIGN_OR_RETURN(std::vector<size_t> page,
                        cosmos_page::Paginate(
                            coins, [](const auto& c) { return c.first.value(); }, req, resp));
  Coins out;
  for (size_t i : page) out.push_back(coins[i]);
  return out;
}

void SetCoin(const Denom& denom, Amount amount, ::cosmos::base::v1beta1::Coin* out) {
  out->set_denom(denom.value());
  out->set_amount(amount.ToString());
}

// ---- bank -------------------------------------------------------------------

absl::Status Balance(const Chain& chain, const bk::QueryBalanceRequest& req,
                     bk::QueryBalanceResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress who, Account(chain, req.address()));
  MESH_ASSIGN_OR_RETURN(Denom denom, RequireDenom(req.denom()));
  MESH_ASSIGN_OR_RETURN(Amount a, Bank::Balance(chain.QueryContext(), who, denom));
  SetCoin(denom, a, resp->mutable_balance());
  return absl::OkStatus();
}

absl::Status AllBalances(const Chain& chain, const bk::QueryAllBalancesRequest& req,
                         bk::QueryAllBalancesResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress who, Account(chain, req.address()));
  MESH_ASSIGN_OR_RETURN(Coins all, Bank::Balances(chain.QueryContext(), who));
  MESH_ASSIGN_OR_RETURN(Coins page,
                        PageOfCoins(std::move(all), req.pagination(), resp->mutable_pagination()));
  for (const auto& [denom, amount] : page) SetCoin(denom, amount, resp->add_balances());
  return absl::OkStatus();
}

absl::Status TotalSupply(const Chain& chain, const bk::QueryTotalSupplyRequest& req,
                         bk::QueryTotalSupplyResponse* resp) {
  MESH_ASSIGN_OR_RETURN(Coins all, Bank::Supplies(chain.QueryContext()));
  MESH_ASSIGN_OR_RETURN(Coins page,
                        PageOfCoins(std::move(all), req.pagination(), resp->mutable_pagination()));
  for (const auto& [denom, amount] : page) SetCoin(denom, amount, resp->add_supply());
  return absl::OkStatus();
}

absl::Status SupplyOf(const Chain& chain, const bk::QuerySupplyOfRequest& req,
                      bk::QuerySupplyOfResponse* resp) {
  MESH_ASSIGN_OR_RETURN(Denom denom, RequireDenom(req.denom()));
  MESH_ASSIGN_OR_RETURN(Amount a, Bank::Supply(chain.QueryContext(), denom));
  SetCoin(denom, a, resp->mutable_amount());
  return absl::OkStatus();
}

// ---- auth -------------------------------------------------------------------

absl::Status AccountQuery(const Chain& chain, const au::QueryAccountRequest& req,
                          au::QueryAccountResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress who, Account(chain, req.address()));
  absl::StatusOr<staking::BaseAccount> stored = chain.GetAccount(who);
  if (absl::IsNotFound(stored.status())) {
    return absl::NotFoundError(absl::StrCat("account ", who.value(), " not found"));
  }
  MESH_RETURN_IF_ERROR(stored.status());
  au::BaseAccount acc;
  acc.set_address(who.value());
  acc.set_account_number(stored->account_number);
  acc.set_sequence(stored->sequence);
  if (!stored->pubkey.empty()) {
    ::cosmos::crypto::secp256k1::PubKey pk;
    pk.set_key(stored->pubkey);
    acc.mutable_pub_key()->set_type_url(std::string(kSecp256k1PubKeyType));
    acc.mutable_pub_key()->set_value(pk.SerializeAsString());
  }
  resp->mutable_account()->set_type_url(kBaseAccountType);
  resp->mutable_account()->set_value(acc.SerializeAsString());
  return absl::OkStatus();
}

// ---- tendermint ---------------------------------------------------------------

absl::Status GetNodeInfo(const Chain& chain, const tm::GetNodeInfoRequest&,
                         tm::GetNodeInfoResponse* resp) {
  resp->mutable_node_info()->set_network(chain.config().chain_id);
  resp->mutable_node_info()->set_moniker(kMeshdAppName);
  resp->mutable_application_version()->set_name(kMeshdAppName);
  resp->mutable_application_version()->set_app_name(kMeshdAppName);
  return absl::OkStatus();
}

absl::Status GetSyncing(const Chain&, const tm::GetSyncingRequest&, tm::GetSyncingResponse* resp) {
  resp->set_syncing(false);
  return absl::OkStatus();
}

absl::Status GetLatestBlock(const Chain& chain, const tm::GetLatestBlockRequest&,
                            tm::GetLatestBlockResponse* resp) {
  FillBlockHeader(chain, resp->mutable_block()->mutable_header());
  return absl::OkStatus();
}

// ---- the services ---------------------------------------------------------------

using C = grpc::CallbackServerContext;

#define MESH_BANK_METHODS(X) X(Balance) X(AllBalances) X(TotalSupply) X(SupplyOf)

// Messages on pooled arenas (ArenaMessages), as the staking queries'.
class CosmosBankQuery final : public bk::Query::CallbackService {
 public:
  explicit CosmosBankQuery(ChainQueryFn query) : query_(std::move(query)) {
#define MESH_BANK_ALLOCATOR(Name) SetMessageAllocatorFor_##Name(&Name##_messages_);
    MESH_BANK_METHODS(MESH_BANK_ALLOCATOR)
#undef MESH_BANK_ALLOCATOR
  }
#define MESH_BANK_METHOD(Name)                                                           \
  grpc::ServerUnaryReactor* Name(C* ctx, const bk::Query##Name##Request* q,             \
                                 bk::Query##Name##Response* r) override {                \
    return RunUnaryQuery(query_, ctx, ::mesh::node::Name, q, r);                         \
  }
  MESH_BANK_METHODS(MESH_BANK_METHOD)
#undef MESH_BANK_METHOD

 private:
  ChainQueryFn query_;
#define MESH_BANK_MESSAGES(Name) \
  ArenaMessages<bk::Query##Name##Request, bk::Query##Name##Response> Name##_messages_;
  MESH_BANK_METHODS(MESH_BANK_MESSAGES)
#undef MESH_BANK_MESSAGES
};
#undef MESH_BANK_METHODS

class CosmosAuthQuery final : public au::Query::CallbackService {
 public:
  explicit CosmosAuthQuery(ChainQueryFn query) : query_(std::move(query)) {
    SetMessageAllocatorFor_Account(&messages_);
  }
  grpc::ServerUnaryReactor* Account(C* ctx, const au::QueryAccountRequest* q,
                                    au::QueryAccountResponse* r) override {
    return RunUnaryQuery(query_, ctx, AccountQuery, q, r);
  }

 private:
  ChainQueryFn query_;
  ArenaMessages<au::QueryAccountRequest, au::QueryAccountResponse> messages_;
};

// grpc_cpp_plugin cannot generate a service named "Service" (see
// proto/CMakeLists.txt), so the methods are registered here as the generated
// callback code would: full method name, a callback unary handler over the
// generated messages. Methods not registered (GetBlockByHeight, the
// validator sets, ABCIQuery) answer UNIMPLEMENTED like any unknown method.
class CosmosTendermintService final : public grpc::Service {
 public:
  explicit CosmosTendermintService(ChainQueryFn query) : query_(std::move(query)) {
    Add<tm::GetNodeInfoRequest, tm::GetNodeInfoResponse>("GetNodeInfo", GetNodeInfo);
    Add<tm::GetSyncingRequest, tm::GetSyncingResponse>("GetSyncing", GetSyncing);
    Add<tm::GetLatestBlockRequest, tm::GetLatestBlockResponse>("GetLatestBlock", GetLatestBlock);
  }

 private:
  template <typename Req, typename Resp>
  void Add(const char* method, absl::Status (*fn)(const Chain&, const Req&, Resp*)) {
    names_.push_back(absl::StrCat("/cosmos.base.tendermint.v1beta1.Service/", method));
    AddMethod(new grpc::internal::RpcServiceMethod(
        names_.back().c_str(), grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodCallback(
        num_methods_++,
        new grpc::internal::CallbackUnaryHandler<Req, Resp>(
            [this, fn](C* ctx, const Req* q, Resp* r) {
              return RunUnaryQuery(query_, ctx, fn, q, r);
            }));
  }

  ChainQueryFn query_;
  int num_methods_ = 0;
  std::deque<std::string> names_;  // stable storage for the method names
};

}  // namespace

void FillBlockHeader(const Chain& chain, ::tendermint::types::Header* h) {
  h->set_chain_id(chain.config().chain_id);
  h->set_height(static_cast<int64_t>(chain.height()));
  h->mutable_time()->set_seconds(static_cast<int64_t>(chain.time_ns() / kNanosPerSecond));
  h->mutable_time()->set_nanos(static_cast<int32_t>(chain.time_ns() % kNanosPerSecond));
  const Hash256& app_hash = chain.app_hash();
  h->set_app_hash(std::string(reinterpret_cast<const char*>(app_hash.data()), app_hash.size()));
}

std::unique_ptr<grpc::Service> NewCosmosBankQueryService(ChainQueryFn query) {
  return std::make_unique<CosmosBankQuery>(std::move(query));
}

std::unique_ptr<grpc::Service> NewCosmosAuthQueryService(ChainQueryFn query) {
  return std::make_unique<CosmosAuthQuery>(std::move(query));
}

std::unique_ptr<grpc::Service> NewCosmosTendermintService(ChainQueryFn query) {
  return std::make_unique<CosmosTendermintService>(std::move(query));
}

}  // namespace mesh::node
