#include "client/query_commands.h"

#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/rpc_method.h>

#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "core/json.h"
#include "cosmos/auth/v1beta1/auth.pb.h"
#include "cosmos/auth/v1beta1/query.grpc.pb.h"
#include "cosmos/bank/v1beta1/query.grpc.pb.h"
#include "cosmos/base/tendermint/v1beta1/query.pb.h"
#include "cosmos/crypto/ed25519/keys.pb.h"
#include "cosmos/crypto/secp256k1/keys.pb.h"
#include "cosmos/staking/v1beta1/query.grpc.pb.h"
#include "cosmos/tx/v1beta1/service.pb.h"
#include "meshsec/v1/cosmos_tx_compat.pb.h"
#include "meshsec/v1/mesh_query.grpc.pb.h"
#include "meshsec/v1/query.grpc.pb.h"

namespace mesh::client {
namespace {

namespace bk = ::cosmos::bank::v1beta1;
namespace au = ::cosmos::auth::v1beta1;
namespace sk = ::cosmos::staking::v1beta1;
namespace tm = ::cosmos::base::tendermint::v1beta1;
namespace ms = ::meshsec::v1;
namespace txs = ::cosmos::tx::v1beta1;
namespace compat = ::meshsec::v1::cosmos_compat;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The Any payloads meshd returns, so that the JSON printer (generated pool)
// can expand them and the linker keeps their descriptors.
void LinkAnyTypes() {
  (void)au::BaseAccount::descriptor();
  (void)::cosmos::crypto::ed25519::PubKey::descriptor();
  (void)::cosmos::crypto::secp256k1::PubKey::descriptor();
}

// A request builder from a typed fill function.
template <typename Req, typename Fill>
QueryCommand::BuildFn Build(Fill fill) {
  return [fill](const QueryArgs& a) -> absl::StatusOr<std::unique_ptr<Message>> {
    auto r = std::make_unique<Req>();
    fill(a, r.get());
    return std::unique_ptr<Message>(std::move(r));
  };
}

// The generated stub's blocking method.
template <typename Stub, typename Req, typename Resp>
QueryCommand::CallFn StubCall(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*)) {
  return [method](const Message& req, const std::shared_ptr<grpc::Channel>& channel,
                  grpc::ClientContext* ctx) {
    Stub stub(channel);
    auto resp = std::make_unique<Resp>();
    grpc::Status s = (stub.*method)(ctx, static_cast<const Req&>(req), resp.get());
    return RpcResult{std::move(s), std::move(resp)};
  };
}

// A unary call by full method name, for services grpc_cpp_plugin cannot
// generate a stub for (cosmos.base.tendermint.v1beta1.Service, see
// proto/CMakeLists.txt): what a generated stub does.
template <typename Req, typename Resp>
QueryCommand::CallFn RawCall(const char* full_method) {
  return [full_method](const Message& req, const std::shared_ptr<grpc::Channel>& channel,
                       grpc::ClientContext* ctx) {
    grpc::internal::RpcMethod m(full_method, grpc::internal::RpcMethod::NORMAL_RPC, channel);
    auto resp = std::make_unique<Resp>();
    grpc::Status s = grpc::internal::BlockingUnaryCall<Req, Resp, google::protobuf::MessageLite,
                                                       google::protobuf::MessageLite>(
        channel.get(), m, ctx, static_cast<const Req&>(req), resp.get());
    return RpcResult{std::move(s), std::move(resp)};
  };
}

void SetPage(const PageFlags& p, ::cosmos::base::query::v1beta1::PageRequest* out) {
  out->set_limit(p.limit);
  out->set_offset(p.offset);
  out->set_key(p.key);
  out->set_count_total(p.count_total);
  out->set_reverse(p.reverse);
}

const std::string& Arg(const QueryArgs& a, size_t i) {
  static const std::string kEmpty;
  return i < a.args.size() ? a.args[i] : kEmpty;
}

// How a request field of a mesh query is given on the command line.
enum class FieldKind {
  kArg,        // required, positional only
  kArgOrFlag,  // required, positional or --<field> (not both)
  kFlag,       // optional, --<field> only
};
struct FieldArg {
  const char* name;  // proto field name (a string field of the request)
  FieldKind kind;
};

// Fills the PageRequest of `req` (meshsec.v1.MeshPageRequest, or the
// key/limit-only meshsec.v1.PageRequest) from the flags, by field name.
void SetPageFields(const PageFlags& p, Message* page) {
  const auto* d = page->GetDescriptor();
  const auto* r = page->GetReflection();
  auto set_u64 = [&](const char* name, uint64_t v) {
    if (const FieldDescriptor* f = d->FindFieldByName(name); f != nullptr) r->SetUInt64(page, f, v);
  };
  auto set_bool = [&](const char* name, bool v) {
    if (const FieldDescriptor* f = d->FindFieldByName(name); f != nullptr) r->SetBool(page, f, v);
  };
  r->SetString(page, d->FindFieldByName("key"), p.key);
  set_u64("limit", p.limit);
  set_u64("offset", p.offset);
  set_bool("count_total", p.count_total);
  set_bool("reverse", p.reverse);
}

// A request builder that sets the string fields `specs` by name: positional
// arguments fill the kArg / kArgOrFlag fields in order, flags the kArgOrFlag
// / kFlag ones; then the pagination, if the request has one.
template <typename Req>
QueryCommand::BuildFn FieldBuild(std::vector<FieldArg> specs) {
  return [specs](const QueryArgs& a) -> absl::StatusOr<std::unique_ptr<Message>> {
    auto req = std::make_unique<Req>();
    const auto* d = req->GetDescriptor();
    const auto* r = req->GetReflection();
    size_t next_arg = 0;
    for (const FieldArg& s : specs) {
      const FieldDescriptor* f = d->FindFieldByName(s.name);
      if (f == nullptr || f->is_repeated() ||
          (f->type() != FieldDescriptor::TYPE_STRING && f->type() != FieldDescriptor::TYPE_UINT64)) {
        return absl::InternalError(
            absl::StrCat(d->full_name(), " has no string or uint64 field ", s.name));
      }
      std::optional<std::string> value;
      if (s.kind != FieldKind::kFlag && next_arg < a.args.size()) value = a.args[next_arg++];
      if (s.kind != FieldKind::kArg) {
        auto it = a.fields.find(s.name);
        if (it != a.fields.end()) {
          if (value.has_value()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "give ", s.name, " as an argument or as --", s.name, ", not both"));
          }
          value = it->second;
        }
      }
      if (!value.has_value() && s.kind != FieldKind::kFlag) {
        return absl::InvalidArgumentError(absl::StrCat("missing ", s.name, " (argument",
                                                       s.kind == FieldKind::kArgOrFlag
                                                           ? absl::StrCat(" or --", s.name)
                                                           : "",
                                                       ")"));
      }
      if (value.has_value() && f->type() == FieldDescriptor::TYPE_UINT64) {
        uint64_t n = 0;
        if (!absl::SimpleAtoi(*value, &n)) {
          return absl::InvalidArgumentError(
              absl::StrCat(s.name, " must be a non-negative integer, got '", *value, "'"));
        }
        r->SetUInt64(req.get(), f, n);
      } else if (value.has_value()) {
        r->SetString(req.get(), f, *value);
      }
    }
    if (const FieldDescriptor* page = d->FindFieldByName("pagination"); page != nullptr) {
      SetPageFields(a.page, r->MutableMessage(req.get(), page));
    }
    return std::unique_ptr<Message>(std::move(req));
  };
}

// A table entry of a meshsec.v1 query: arguments and flags from `specs`
// (FieldBuild); paginated when the request has a `pagination` field.
template <typename Req>
void AddFields(std::vector<QueryCommand>& t, std::string group, std::string name,
               std::string usage, std::string help, std::string method,
               std::vector<FieldArg> specs, QueryCommand::CallFn call) {
  const FieldDescriptor* page = Req::descriptor()->FindFieldByName("pagination");
  QueryCommand c;
  c.group = std::move(group);
  c.name = std::move(name);
  c.usage = std::move(usage);
  c.help = std::move(help);
  c.method = std::move(method);
  c.paginated = page != nullptr;
  c.build = FieldBuild<Req>(specs);
  c.call = std::move(call);
  for (const FieldArg& s : specs) {
    if (s.kind == FieldKind::kArg) ++c.min_args;
    if (s.kind != FieldKind::kFlag) ++c.max_args;
    if (s.kind != FieldKind::kArg) c.fields.push_back(s.name);
  }
  c.page_key_limit_only =
      page != nullptr && page->message_type()->FindFieldByName("offset") == nullptr;
  t.push_back(std::move(c));
}

// `query tx search`: the SDK 0.50 GetTxsEvent request (query, page, limit;
// meshsec/v1/cosmos_tx_compat.proto, wire-identical) from the arguments and
// the offset-paging flags: --limit is the page size, --offset a multiple of
// it, --reverse the descending order.
absl::StatusOr<std::unique_ptr<Message>> BuildTxSearch(const QueryArgs& a) {
  auto r = std::make_unique<compat::GetTxsEventRequest>();
  r->set_query(Arg(a, 0));
  if (r->query().empty()) return absl::InvalidArgumentError("the query is empty");
  if (!a.page.key.empty()) {
    return absl::InvalidArgumentError("tx search pages by --offset and --limit, not --page-key");
  }
  const uint64_t limit = a.page.limit == 0 ? 100 : a.page.limit;
  if (a.page.offset % limit != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--offset (", a.page.offset, ") must be a multiple of the page size (", limit,
                     ")"));
  }
  r->set_limit(limit);
  r->set_page(a.page.offset / limit + 1);
  r->set_order_by(a.page.reverse ? txs::ORDER_BY_DESC : txs::ORDER_BY_ASC);
  return std::unique_ptr<Message>(std::move(r));
}

// The answer read as the pinned SDK's GetTxsEventResponse (fields 1 and 2
// are the same bytes as Tx and TxResponse messages), so the output shows the
// txs decoded; the 0.50 `total` (field 4, unknown to the pinned proto) goes
// into pagination.total.
RpcResult CallTxSearch(const Message& req, const std::shared_ptr<grpc::Channel>& channel,
                       grpc::ClientContext* ctx) {
  RpcResult res = RawCall<compat::GetTxsEventRequest, txs::GetTxsEventResponse>(
      "/cosmos.tx.v1beta1.Service/GetTxsEvent")(req, channel, ctx);
  if (!res.status.ok()) return res;
  auto* r = static_cast<txs::GetTxsEventResponse*>(res.response.get());
  google::protobuf::UnknownFieldSet* unknown =
      r->GetReflection()->MutableUnknownFields(r);
  for (int i = 0; i < unknown->field_count(); ++i) {
    const google::protobuf::UnknownField& f = unknown->field(i);
    if (f.number() == 4 && f.type() == google::protobuf::UnknownField::TYPE_VARINT) {
      r->mutable_pagination()->set_total(f.varint());
    }
  }
  unknown->Clear();
  return res;
}

std::vector<QueryCommand> MakeTable() {
  std::vector<QueryCommand> t;
  auto add = [&t](std::string group, std::string name, std::string usage, std::string help,
                  std::string method, size_t min_args, size_t max_args, bool paginated,
                  QueryCommand::BuildFn build, QueryCommand::CallFn call) {
    QueryCommand c;
    c.group = std::move(group);
    c.name = std::move(name);
    c.usage = std::move(usage);
    c.help = std::move(help);
    c.method = std::move(method);
    c.min_args = min_args;
    c.max_args = max_args;
    c.paginated = paginated;
    c.build = std::move(build);
    c.call = std::move(call);
    t.push_back(std::move(c));
  };
  // ---- bank ----
  add("bank", "balance", "ADDRESS DENOM", "balance of one denom of an account",
      "/cosmos.bank.v1beta1.Query/Balance", 2, 2, false,
      Build<bk::QueryBalanceRequest>([](const QueryArgs& a, bk::QueryBalanceRequest* r) {
        r->set_address(Arg(a, 0));
        r->set_denom(Arg(a, 1));
      }),
      StubCall(&bk::Query::Stub::Balance));
  add("bank", "balances", "ADDRESS", "all balances of an account",
      "/cosmos.bank.v1beta1.Query/AllBalances", 1, 1, true,
      Build<bk::QueryAllBalancesRequest>([](const QueryArgs& a, bk::QueryAllBalancesRequest* r) {
        r->set_address(Arg(a, 0));
        SetPage(a.page, r->mutable_pagination());
      }),
      StubCall(&bk::Query::Stub::AllBalances));
  add("bank", "total-supply", "", "total supply of every denom",
      "/cosmos.bank.v1beta1.Query/TotalSupply", 0, 0, true,
      Build<bk::QueryTotalSupplyRequest>([](const QueryArgs& a, bk::QueryTotalSupplyRequest* r) {
        SetPage(a.page, r->mutable_pagination());
      }),
      StubCall(&bk::Query::Stub::TotalSupply));
  add("bank", "supply-of", "DENOM", "total supply of one denom",
      "/cosmos.bank.v1beta1.Query/SupplyOf", 1, 1, false,
      Build<bk::QuerySupplyOfRequest>([](const QueryArgs& a, bk::QuerySupplyOfRequest* r) {
        r->set_denom(Arg(a, 0));
      }),
      StubCall(&bk::Query::Stub::SupplyOf));
  // ---- auth ----
  add("auth", "account", "ADDRESS", "an account (address, sequence)",
      "/cosmos.auth.v1beta1.Query/Account", 1, 1, false,
      Build<au::QueryAccountRequest>([](const QueryArgs& a, au::QueryAccountRequest* r) {
        r->set_address(Arg(a, 0));
      }),
      StubCall(&au::Query::Stub::Account));
  // ---- staking ----
  add("staking", "validators", "", "all validators",
      "/cosmos.staking.v1beta1.Query/Validators", 0, 0, true,
      Build<sk::QueryValidatorsRequest>([](const QueryArgs& a, sk::QueryValidatorsRequest* r) {
        SetPage(a.page, r->mutable_pagination());
      }),
      StubCall(&sk::Query::Stub::Validators));
  add("staking", "validator", "VALOPER_ADDRESS", "one validator",
      "/cosmos.staking.v1beta1.Query/Validator", 1, 1, false,
      Build<sk::QueryValidatorRequest>([](const QueryArgs& a, sk::QueryValidatorRequest* r) {
        r->set_validator_addr(Arg(a, 0));
      }),
      StubCall(&sk::Query::Stub::Validator));
  add("staking", "delegation", "DELEGATOR VALOPER_ADDRESS", "one delegation",
      "/cosmos.staking.v1beta1.Query/Delegation", 2, 2, false,
      Build<sk::QueryDelegationRequest>([](const QueryArgs& a, sk::QueryDelegationRequest* r) {
        r->set_delegator_addr(Arg(a, 0));
        r->set_validator_addr(Arg(a, 1));
      }),
      StubCall(&sk::Query::Stub::Delegation));
  add("staking", "delegations", "DELEGATOR", "all delegations of a delegator",
      "/cosmos.staking.v1beta1.Query/DelegatorDelegations", 1, 1, true,
      Build<sk::QueryDelegatorDelegationsRequest>(
          [](const QueryArgs& a, sk::QueryDelegatorDelegationsRequest* r) {
            r->set_delegator_addr(Arg(a, 0));
            SetPage(a.page, r->mutable_pagination());
          }),
      StubCall(&sk::Query::Stub::DelegatorDelegations));
  add("staking", "unbonding-delegation", "DELEGATOR VALOPER_ADDRESS",
      "one unbonding delegation (all its entries)",
      "/cosmos.staking.v1beta1.Query/UnbondingDelegation", 2, 2, false,
      Build<sk::QueryUnbondingDelegationRequest>(
          [](const QueryArgs& a, sk::QueryUnbondingDelegationRequest* r) {
            r->set_delegator_addr(Arg(a, 0));
            r->set_validator_addr(Arg(a, 1));
          }),
      StubCall(&sk::Query::Stub::UnbondingDelegation));
  add("staking", "unbonding-delegations", "DELEGATOR", "all unbonding delegations of a delegator",
      "/cosmos.staking.v1beta1.Query/DelegatorUnbondingDelegations", 1, 1, true,
      Build<sk::QueryDelegatorUnbondingDelegationsRequest>(
          [](const QueryArgs& a, sk::QueryDelegatorUnbondingDelegationsRequest* r) {
            r->set_delegator_addr(Arg(a, 0));
            SetPage(a.page, r->mutable_pagination());
          }),
      StubCall(&sk::Query::Stub::DelegatorUnbondingDelegations));
  add("staking", "redelegations", "DELEGATOR [SRC_VALOPER DST_VALOPER]",
      "redelegations of a delegator (or the one from SRC to DST)",
      "/cosmos.staking.v1beta1.Query/Redelegations", 1, 3, true,
      Build<sk::QueryRedelegationsRequest>([](const QueryArgs& a, sk::QueryRedelegationsRequest* r) {
        r->set_delegator_addr(Arg(a, 0));
        r->set_src_validator_addr(Arg(a, 1));
        r->set_dst_validator_addr(Arg(a, 2));
        SetPage(a.page, r->mutable_pagination());
      }),
      StubCall(&sk::Query::Stub::Redelegations));
  add("staking", "validator-delegations", "VALOPER_ADDRESS", "all delegations to a validator",
      "/cosmos.staking.v1beta1.Query/ValidatorDelegations", 1, 1, true,
      Build<sk::QueryValidatorDelegationsRequest>(
          [](const QueryArgs& a, sk::QueryValidatorDelegationsRequest* r) {
            r->set_validator_addr(Arg(a, 0));
            SetPage(a.page, r->mutable_pagination());
          }),
      StubCall(&sk::Query::Stub::ValidatorDelegations));
  add("staking", "validator-unbonding-delegations", "VALOPER_ADDRESS",
      "all unbonding delegations from a validator",
      "/cosmos.staking.v1beta1.Query/ValidatorUnbondingDelegations", 1, 1, true,
      Build<sk::QueryValidatorUnbondingDelegationsRequest>(
          [](const QueryArgs& a, sk::QueryValidatorUnbondingDelegationsRequest* r) {
            r->set_validator_addr(Arg(a, 0));
            SetPage(a.page, r->mutable_pagination());
          }),
      StubCall(&sk::Query::Stub::ValidatorUnbondingDelegations));
  add("staking", "delegator-validators", "DELEGATOR", "the validators a delegator is bonded to",
      "/cosmos.staking.v1beta1.Query/DelegatorValidators", 1, 1, true,
      Build<sk::QueryDelegatorValidatorsRequest>(
          [](const QueryArgs& a, sk::QueryDelegatorValidatorsRequest* r) {
            r->set_delegator_addr(Arg(a, 0));
            SetPage(a.page, r->mutable_pagination());
          }),
      StubCall(&sk::Query::Stub::DelegatorValidators));
  add("staking", "pool", "", "bonded and not-bonded token totals",
      "/cosmos.staking.v1beta1.Query/Pool", 0, 0, false,
      Build<sk::QueryPoolRequest>([](const QueryArgs&, sk::QueryPoolRequest*) {}),
      StubCall(&sk::Query::Stub::Pool));
  add("staking", "params", "", "staking parameters",
      "/cosmos.staking.v1beta1.Query/Params", 0, 0, false,
      Build<sk::QueryParamsRequest>([](const QueryArgs&, sk::QueryParamsRequest*) {}),
      StubCall(&sk::Query::Stub::Params));
  // ---- tendermint ----
  add("tendermint", "node-info", "", "node and application version (chain id in network)",
      "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo", 0, 0, false,
      Build<tm::GetNodeInfoRequest>([](const QueryArgs&, tm::GetNodeInfoRequest*) {}),
      RawCall<tm::GetNodeInfoRequest, tm::GetNodeInfoResponse>(
          "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo"));
  add("tendermint", "latest-block", "", "the latest committed block (header)",
      "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock", 0, 0, false,
      Build<tm::GetLatestBlockRequest>([](const QueryArgs&, tm::GetLatestBlockRequest*) {}),
      RawCall<tm::GetLatestBlockRequest, tm::GetLatestBlockResponse>(
          "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock"));
  add("tendermint", "syncing", "", "whether the node is catching up",
      "/cosmos.base.tendermint.v1beta1.Service/GetSyncing", 0, 0, false,
      Build<tm::GetSyncingRequest>([](const QueryArgs&, tm::GetSyncingRequest*) {}),
      RawCall<tm::GetSyncingRequest, tm::GetSyncingResponse>(
          "/cosmos.base.tendermint.v1beta1.Service/GetSyncing"));
  // ---- tx (cosmos.tx.v1beta1.Service) ----
  add("tx", "get", "HASH", "a tx and its result by hash (64 hex digits)",
      "/cosmos.tx.v1beta1.Service/GetTx", 1, 1, false,
      Build<txs::GetTxRequest>([](const QueryArgs& a, txs::GetTxRequest* r) {
        r->set_hash(Arg(a, 0));
      }),
      RawCall<txs::GetTxRequest, txs::GetTxResponse>("/cosmos.tx.v1beta1.Service/GetTx"));
  add("tx", "search", "QUERY",
      "txs matching events, e.g. \"message.sender='mesh1...' AND tx.height>=5\" "
      "(pages: --limit, --offset, --reverse)",
      "/cosmos.tx.v1beta1.Service/GetTxsEvent", 1, 1, true, BuildTxSearch, CallTxSearch);
  add("tx", "block", "HEIGHT", "a block's header and its txs in order",
      "/cosmos.tx.v1beta1.Service/GetBlockWithTxs", 1, 1, true,
      [](const QueryArgs& a) -> absl::StatusOr<std::unique_ptr<Message>> {
        auto r = std::make_unique<txs::GetBlockWithTxsRequest>();
        int64_t h = 0;
        if (!absl::SimpleAtoi(Arg(a, 0), &h) || h <= 0) {
          return absl::InvalidArgumentError("HEIGHT must be a positive integer, got \"" +
                                            Arg(a, 0) + "\"");
        }
        r->set_height(h);
        SetPage(a.page, r->mutable_pagination());
        return std::unique_ptr<Message>(std::move(r));
      },
      RawCall<txs::GetBlockWithTxsRequest, txs::GetBlockWithTxsResponse>(
          "/cosmos.tx.v1beta1.Service/GetBlockWithTxs"));
  // ---- provider (meshsec.v1.ProviderQuery) ----
  constexpr FieldKind kArg = FieldKind::kArg;
  constexpr FieldKind kArgOrFlag = FieldKind::kArgOrFlag;
  constexpr FieldKind kFlag = FieldKind::kFlag;
  using PQ = ms::ProviderQuery::Stub;
  const std::string pq = "/meshsec.v1.ProviderQuery/";
  AddFields<ms::QueryVaultParamsRequest>(
      t, "provider", "vault-params", "", "vault denom, local staking, total collateral, consumers",
      pq + "VaultParams", {}, StubCall(&PQ::VaultParams));
  AddFields<ms::QueryVaultAccountRequest>(
      t, "provider", "vault-account", "USER", "one user's collateral, free, max lien, slashable",
      pq + "VaultAccount", {{"user", kArgOrFlag}}, StubCall(&PQ::VaultAccount));
  AddFields<ms::QueryVaultAccountsRequest>(t, "provider", "vault-accounts", "",
                                           "every vault account", pq + "VaultAccounts", {},
                                           StubCall(&PQ::VaultAccounts));
  AddFields<ms::QueryVaultClaimsRequest>(
      t, "provider", "vault-claims", "USER", "a user's liens (local, x/<consumer>)",
      pq + "VaultClaims", {{"user", kArgOrFlag}}, StubCall(&PQ::VaultClaims));
  AddFields<ms::QueryVaultPendingTxsRequest>(
      t, "provider", "vault-pending-txs", "", "remote stakes reserved, waiting for their ack",
      pq + "VaultPendingTxs", {}, StubCall(&PQ::VaultPendingTxs));
  AddFields<ms::QueryLinksRequest>(t, "provider", "links", "", "every consumer link",
                                   pq + "Links", {}, StubCall(&PQ::Links));
  AddFields<ms::QueryLinkRequest>(
      t, "provider", "link", "CONSUMER", "one consumer link (config, channel, outbox)",
      pq + "Link", {{"consumer", kArgOrFlag}}, StubCall(&PQ::Link));
  AddFields<ms::QueryExternalPendingTxsRequest>(
      t, "provider", "external-pending-txs", "CONSUMER",
      "external-staking txs waiting for the consumer's ack", pq + "ExternalPendingTxs",
      {{"consumer", kArgOrFlag}}, StubCall(&PQ::ExternalPendingTxs));
  AddFields<ms::QueryExternalStakesRequest>(
      t, "provider", "external-stakes", "CONSUMER [--user USER] [--validator VALOPER]",
      "stakes on a consumer (of one user and/or validator)", pq + "ExternalStakes",
      {{"consumer", kArgOrFlag}, {"user", kFlag}, {"validator", kFlag}},
      StubCall(&PQ::ExternalStakes));
  AddFields<ms::QueryPendingRewardsRequest>(
      t, "provider", "pending-rewards", "CONSUMER USER",
      "rewards owed to a user on a consumer, per validator", pq + "PendingRewards",
      {{"consumer", kArgOrFlag}, {"user", kArgOrFlag}}, StubCall(&PQ::PendingRewards));
  AddFields<ms::QueryRemoteValidatorsRequest>(
      t, "provider", "remote-validators", "CONSUMER",
      "a consumer's validators (state, history, total stake)", pq + "RemoteValidators",
      {{"consumer", kArgOrFlag}}, StubCall(&PQ::RemoteValidators));
  AddFields<ms::QueryPacketsInFlightRequest>(
      t, "provider", "packets-in-flight", "", "IBC packets sent, not acknowledged or timed out",
      pq + "PacketsInFlight", {}, StubCall(&PQ::PacketsInFlight));
  // ---- consumer (meshsec.v1.ConsumerQuery) ----
  using CQ = ms::ConsumerQuery::Stub;
  const std::string cq = "/meshsec.v1.ConsumerQuery/";
  AddFields<ms::QueryConsumerParamsRequest>(
      t, "consumer", "params", "", "authority, total max cap, epoch length, providers",
      cq + "Params", {}, StubCall(&CQ::Params));
  AddFields<ms::QueryProvidersRequest>(t, "consumer", "providers", "", "every provider record",
                                       cq + "Providers", {}, StubCall(&CQ::Providers));
  AddFields<ms::QueryProviderRequest>(
      t, "consumer", "provider", "PROVIDER",
      "one provider (price, discount, cap, minted, epoch, channel)", cq + "Provider",
      {{"provider", kArgOrFlag}}, StubCall(&CQ::Provider));
  AddFields<ms::QueryVirtualStakesRequest>(
      t, "consumer", "virtual-stakes", "PROVIDER",
      "a provider's virtual stake per validator", cq + "VirtualStakes",
      {{"provider", kArgOrFlag}}, StubCall(&CQ::VirtualStakes));
  AddFields<ms::QueryDelegationRecordsRequest>(
      t, "consumer", "delegation-records", "PROVIDER [--validator VALOPER]",
      "a provider's delegation records (of one validator)", cq + "DelegationRecords",
      {{"provider", kArgOrFlag}, {"validator", kFlag}}, StubCall(&CQ::DelegationRecords));
  AddFields<ms::QueryPacketsInFlightRequest>(
      t, "consumer", "packets-in-flight", "", "IBC packets sent, not acknowledged or timed out",
      cq + "PacketsInFlight", {}, StubCall(&CQ::PacketsInFlight));
  // ---- shared-security (meshsec.v1.SharedSecurityQuery) ----
  using SQ = ms::SharedSecurityQuery::Stub;
  const std::string sq = "/meshsec.v1.SharedSecurityQuery/";
  const std::string ss = "shared-security";
  AddFields<ms::QueryCcvConsumersRequest>(
      t, ss, "ccv-consumers", "", "replicated / opt-in consumers (mode, power shaping, state)",
      sq + "CcvConsumers", {}, StubCall(&SQ::CcvConsumers));
  AddFields<ms::QueryCcvConsumerRequest>(
      t, ss, "ccv-consumer", "CONSUMER", "one replicated / opt-in consumer", sq + "CcvConsumer",
      {{"consumer", kArgOrFlag}}, StubCall(&SQ::CcvConsumer));
  AddFields<ms::QueryCcvConsumerSetRequest>(
      t, ss, "ccv-consumer-set", "CONSUMER",
      "the validator set last sent to a consumer (consumer keys, powers)", sq + "CcvConsumerSet",
      {{"consumer", kArgOrFlag}}, StubCall(&SQ::CcvConsumerSet));
  AddFields<ms::QueryCcvPendingVscsRequest>(
      t, ss, "ccv-pending-vscs", "CONSUMER", "validator-set changes queued, not yet sent",
      sq + "CcvPendingVscs", {{"consumer", kArgOrFlag}}, StubCall(&SQ::CcvPendingVscs));
  AddFields<ms::QueryCcvOptInsRequest>(
      t, ss, "ccv-opt-ins", "CONSUMER", "validators opted in to a consumer", sq + "CcvOptIns",
      {{"consumer", kArgOrFlag}}, StubCall(&SQ::CcvOptIns));
  AddFields<ms::QueryKeyAssignmentsRequest>(
      t, ss, "key-assignments", "CONSUMER",
      "consumer address -> provider validator (current and awaiting pruning)",
      sq + "KeyAssignments", {{"consumer", kArgOrFlag}}, StubCall(&SQ::KeyAssignments));
  AddFields<ms::QueryValidatorConsumerKeyRequest>(
      t, ss, "validator-consumer-key", "CONSUMER VALOPER_ADDRESS",
      "the key a provider validator uses on a consumer", sq + "ValidatorConsumerKey",
      {{"consumer", kArgOrFlag}, {"validator", kArgOrFlag}}, StubCall(&SQ::ValidatorConsumerKey));
  AddFields<ms::QueryValidatorByConsumerAddressRequest>(
      t, ss, "validator-by-consumer-address", "CONSUMER HEX_ADDRESS",
      "the provider validator signing with a consumer consensus address",
      sq + "ValidatorByConsumerAddress", {{"consumer", kArgOrFlag}, {"consumer_address", kArgOrFlag}},
      StubCall(&SQ::ValidatorByConsumerAddress));
  AddFields<ms::QuerySlashProposalsRequest>(
      t, ss, "slash-proposals", "", "governance slash proposals (status, tally)",
      sq + "SlashProposals", {}, StubCall(&SQ::SlashProposals));
  AddFields<ms::QuerySlashProposalRequest>(
      t, ss, "slash-proposal", "ID", "one governance slash proposal", sq + "SlashProposal",
      {{"id", kArgOrFlag}}, StubCall(&SQ::SlashProposal));
  AddFields<ms::QuerySlashMeterRequest>(
      t, ss, "slash-meter", "", "slash meter, allowance, next replenish time, queue size",
      sq + "SlashMeter", {}, StubCall(&SQ::SlashMeter));
  AddFields<ms::QueryThrottledSlashesRequest>(
      t, ss, "throttled-slashes", "", "reported slashes waiting in the slash meter's queue",
      sq + "ThrottledSlashes", {}, StubCall(&SQ::ThrottledSlashes));
  AddFields<ms::QueryWaitingSlashesRequest>(
      t, ss, "waiting-slashes", "CONSUMER",
      "reported slashes waiting for stake / unstake acks (mesh link)", sq + "WaitingSlashes",
      {{"consumer", kArgOrFlag}}, StubCall(&SQ::WaitingSlashes));
  AddFields<ms::QueryEvidencePunishmentsRequest>(
      t, ss, "evidence-punishments", "CONSUMER",
      "validators punished on consumer evidence or by a passed slash proposal",
      sq + "EvidencePunishments", {{"consumer", kArgOrFlag}}, StubCall(&SQ::EvidencePunishments));
  AddFields<ms::QueryConsumerCcvStateRequest>(
      t, ss, "consumer-ccv-state", "", "this chain's end of a replicated / opt-in link",
      sq + "ConsumerCcvState", {}, StubCall(&SQ::ConsumerCcvState));
  AddFields<ms::QueryConsumerCcvValidatorsRequest>(
      t, ss, "consumer-ccv-validators", "", "the consensus set received from the provider",
      sq + "ConsumerCcvValidators", {}, StubCall(&SQ::ConsumerCcvValidators));
  AddFields<ms::QueryConsumerCcvSlashRequestsRequest>(
      t, ss, "consumer-ccv-slash-requests", "", "downtime slash packets queued for the provider",
      sq + "ConsumerCcvSlashRequests", {}, StubCall(&SQ::ConsumerCcvSlashRequests));
  // ---- mesh (meshsec.v1.Query: the node's own staking and bank shapes) ----
  using MQ = ms::Query::Stub;
  const std::string mq = "/meshsec.v1.Query/";
  AddFields<ms::QueryValidatorRequest>(t, "mesh", "validator", "VALOPER_ADDRESS",
                                       "one validator (engine fields)", mq + "Validator",
                                       {{"validator_addr", kArg}}, StubCall(&MQ::Validator));
  AddFields<ms::QueryValidatorsRequest>(
      t, "mesh", "validators", "[--status BOND_STATUS_BONDED|...]",
      "validators in operator-address order (of one bond status)", mq + "Validators",
      {{"status", kFlag}}, StubCall(&MQ::Validators));
  AddFields<ms::QueryDelegationRequest>(
      t, "mesh", "delegation", "DELEGATOR VALOPER_ADDRESS", "one delegation", mq + "Delegation",
      {{"delegator_addr", kArg}, {"validator_addr", kArg}}, StubCall(&MQ::Delegation));
  AddFields<ms::QueryDelegatorDelegationsRequest>(
      t, "mesh", "delegations", "DELEGATOR", "all delegations of a delegator",
      mq + "DelegatorDelegations", {{"delegator_addr", kArg}},
      StubCall(&MQ::DelegatorDelegations));
  AddFields<ms::QueryValidatorDelegationsRequest>(
      t, "mesh", "validator-delegations", "VALOPER_ADDRESS", "all delegations to a validator",
      mq + "ValidatorDelegations", {{"validator_addr", kArg}},
      StubCall(&MQ::ValidatorDelegations));
  AddFields<ms::QueryUnbondingDelegationRequest>(
      t, "mesh", "unbonding-delegation", "DELEGATOR VALOPER_ADDRESS",
      "one unbonding delegation (all its entries)", mq + "UnbondingDelegation",
      {{"delegator_addr", kArg}, {"validator_addr", kArg}}, StubCall(&MQ::UnbondingDelegation));
  AddFields<ms::QueryBalanceRequest>(t, "mesh", "balance", "ADDRESS DENOM",
                                     "balance of one denom (also module/<name> accounts)",
                                     mq + "Balance", {{"address", kArg}, {"denom", kArg}},
                                     StubCall(&MQ::Balance));
  AddFields<ms::QueryAccountRequest>(t, "mesh", "account", "ADDRESS",
                                     "an account's next tx nonce (sequence) and the height",
                                     mq + "Account", {{"address", kArg}}, StubCall(&MQ::Account));
  return t;
}

bool IsScalar(const Json& v) {
  return v.kind() != Json::Kind::kObject && v.kind() != Json::Kind::kArray;
}

std::string ScalarText(const Json& v) {
  switch (v.kind()) {
    case Json::Kind::kNull:
      return "null";
    case Json::Kind::kBool:
      return *v.AsBool() ? "true" : "false";
    case Json::Kind::kString: {
      const std::string& s = v.text();
      // Quote what a YAML reader would not take as the same plain string.
      // A string that reads as a number, bool or null is quoted too, as the
      // SDK's YAML output does ("30000000000" stays a string).
      const bool numeric = s.find_first_of("0123456789") != std::string::npos &&
                           s.find_first_not_of("0123456789.eE+-") == std::string::npos;
      const bool reserved = s == "true" || s == "false" || s == "null" || s == "~" ||
                            s == "yes" || s == "no";
      const bool plain = !s.empty() && !numeric && !reserved && s.find_first_of(":#{}[]&*!|>'\"%@`,\n") == std::string::npos &&
                         s.front() != ' ' && s.back() != ' ' && s.front() != '-' && s.front() != '@';
      if (plain) return s;
      std::string out;
      WriteJsonString(s, out);
      return out;
    }
    default:
      return v.text();
  }
}

void WriteText(const Json& v, int indent, std::string& out);

void WriteMembers(const Json& v, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  for (const auto& [raw_key, val] : v.members()) {
    const std::string key = ScalarText(Json::Str(raw_key));  // "@type" is quoted
    if (IsScalar(val)) {
      absl::StrAppend(&out, pad, key, ": ", ScalarText(val), "\n");
    } else if (val.kind() == Json::Kind::kObject && val.members().empty()) {
      absl::StrAppend(&out, pad, key, ": {}\n");
    } else if (val.kind() == Json::Kind::kArray && val.items().empty()) {
      absl::StrAppend(&out, pad, key, ": []\n");
    } else {
      absl::StrAppend(&out, pad, key, ":\n");
      WriteText(val, val.kind() == Json::Kind::kArray ? indent : indent + 2, out);
    }
  }
}

void WriteText(const Json& v, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (IsScalar(v)) {
    absl::StrAppend(&out, pad, ScalarText(v), "\n");
  } else if (v.kind() == Json::Kind::kObject) {
    WriteMembers(v, indent, out);
  } else {
    for (const Json& item : v.items()) {
      std::string sub;
      WriteText(item, indent + 2, sub);
      if (IsScalar(item) || (item.kind() == Json::Kind::kObject && !item.members().empty())) {
        // "  x" -> "- x": the first line of the item carries the dash.
        sub.replace(static_cast<size_t>(indent), 2, "- ");
        out += sub;
      } else {
        absl::StrAppend(&out, pad, "-\n", sub);
      }
    }
  }
}

}  // namespace

const std::vector<QueryCommand>& QueryCommands() {
  static const auto* table = [] {
    LinkAnyTypes();
    return new std::vector<QueryCommand>(MakeTable());
  }();
  return *table;
}

std::vector<std::string> QueryGroups() {
  std::vector<std::string> groups;
  for (const QueryCommand& c : QueryCommands()) {
    if (groups.empty() || groups.back() != c.group) groups.push_back(c.group);
  }
  return groups;
}

std::string QueryGroupSummary(const std::string& group) {
  if (group == "bank") return "balances and supply (cosmos.bank.v1beta1.Query)";
  if (group == "auth") return "accounts (cosmos.auth.v1beta1.Query)";
  if (group == "staking") return "validators, delegations, pool, params (cosmos.staking.v1beta1.Query)";
  if (group == "tx") return "txs by hash, by events, by block (cosmos.tx.v1beta1.Service)";
  if (group == "tendermint") return "node info, latest block, syncing (cosmos.base.tendermint.v1beta1.Service)";
  if (group == "provider") return "vault, links, external stakes, rewards, remote validators (meshsec.v1.ProviderQuery)";
  if (group == "consumer") return "providers, virtual stakes, delegation records (meshsec.v1.ConsumerQuery)";
  if (group == "shared-security") return "link modes, key assignment, slash proposals, slash meter (meshsec.v1.SharedSecurityQuery)";
  if (group == "mesh") return "validators, delegations, balance, account nonce (meshsec.v1.Query)";
  return "";
}

const QueryCommand* FindQueryCommand(const std::string& group, const std::string& name) {
  for (const QueryCommand& c : QueryCommands()) {
    if (c.group == group && c.name == name) return &c;
  }
  return nullptr;
}

absl::StatusOr<std::string> ToProtoJson(const google::protobuf::Message& m) {
  LinkAnyTypes();
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  opts.preserve_proto_field_names = true;
  // Cosmos type URLs have an empty host ("/cosmos.crypto.ed25519.PubKey"),
  // which the default resolver ("type.googleapis.com/...") refuses.
  static google::protobuf::util::TypeResolver* resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "", google::protobuf::DescriptorPool::generated_pool());
  std::string out;
  auto s = google::protobuf::util::BinaryToJsonString(
      resolver, "/" + m.GetDescriptor()->full_name(), m.SerializeAsString(), &out, opts);
  if (!s.ok()) return absl::InternalError(absl::StrCat("JSON encoding: ", s.ToString()));
  return out;
}

absl::StatusOr<std::string> JsonToText(const std::string& json) {
  absl::StatusOr<Json> v = Json::Parse(json);
  if (!v.ok()) return v.status();
  std::string out;
  WriteText(*v, 0, out);
  return out;
}

absl::StatusOr<std::string> FetchBech32Prefix(const std::shared_ptr<grpc::Channel>& channel,
                                              int timeout_ms) {
  auto deadline = [timeout_ms](grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  };
  {
    au::Query::Stub stub(channel);
    grpc::ClientContext ctx;
    deadline(&ctx);
    au::Bech32PrefixResponse resp;
    grpc::Status s = stub.Bech32Prefix(&ctx, au::Bech32PrefixRequest(), &resp);
    if (s.ok() && !resp.bech32_prefix().empty()) return resp.bech32_prefix();
    if (s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      return absl::UnavailableError(absl::StrCat("Bech32Prefix: ", s.error_message()));
    }
  }
  sk::Query::Stub stub(channel);
  grpc::ClientContext ctx;
  deadline(&ctx);
  sk::QueryValidatorsRequest req;
  req.mutable_pagination()->set_limit(1);
  sk::QueryValidatorsResponse resp;
  grpc::Status s = stub.Validators(&ctx, req, &resp);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("Validators: ", s.error_message()));
  if (resp.validators().empty()) return absl::NotFoundError("the node has no validators");
  const std::string& op = resp.validators(0).operator_address();
  const size_t at = op.rfind("valoper1");
  if (at == std::string::npos || at == 0) {
    return absl::NotFoundError("cannot read a prefix from operator address " + op);
  }
  return op.substr(0, at);
}

}  // namespace mesh::client
