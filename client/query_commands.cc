#include "client/query_commands.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/rpc_method.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "core/json.h"
#include "cosmos/auth/v1beta1/auth.pb.h"
#include "cosmos/auth/v1beta1/query.grpc.pb.h"
#include "cosmos/bank/v1beta1/query.grpc.pb.h"
#include "cosmos/base/tendermint/v1beta1/query.pb.h"
#include "cosmos/crypto/ed25519/keys.pb.h"
#include "cosmos/crypto/secp256k1/keys.pb.h"
#include "cosmos/staking/v1beta1/query.grpc.pb.h"

namespace mesh::client {
namespace {

namespace bk = ::cosmos::bank::v1beta1;
namespace au = ::cosmos::auth::v1beta1;
namespace sk = ::cosmos::staking::v1beta1;
namespace tm = ::cosmos::base::tendermint::v1beta1;
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

std::vector<QueryCommand> MakeTable() {
  std::vector<QueryCommand> t;
  auto add = [&t](std::string group, std::string name, std::string usage, std::string help,
                  std::string method, size_t min_args, size_t max_args, bool paginated,
                  QueryCommand::BuildFn build, QueryCommand::CallFn call) {
    t.push_back(QueryCommand{std::move(group), std::move(name), std::move(usage), std::move(help),
                             std::move(method), min_args, max_args, paginated, std::move(build),
                             std::move(call)});
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
  if (group == "tendermint") return "node info, latest block, syncing (cosmos.base.tendermint.v1beta1.Service)";
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
