#include "node/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#if MESH_GRPC_REFLECTION
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include "grpc/health/v1/health.pb.h"
#endif

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/status.h"
#include "meshsec/v1/query.grpc.pb.h"
#include "meshsec/v1/tx.grpc.pb.h"
#include "node/block_history.h"
#include "node/chain_query.h"
#if MESH_COSMOS_GRPC
#include "node/cosmos_query_services.h"
#include "node/cosmos_staking_service.h"
#include "node/cosmos_tx_service.h"
#endif
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

namespace pb = ::meshsec::v1;
using staking::Bank;
using staking::Staking;

constexpr uint64_t kDefaultPageLimit = 100;
constexpr uint64_t kMaxPageLimit = 1000;
// How often a waiting BLOCK-mode broadcast checks for client cancellation.
constexpr auto kCancelPoll = std::chrono::milliseconds(20);
constexpr uint32_t kCodeInternal = static_cast<uint32_t>(absl::StatusCode::kInternal);
constexpr uint32_t kCodeUnavailable = static_cast<uint32_t>(absl::StatusCode::kUnavailable);

// absl and gRPC share the canonical code numbers.
grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}


std::string TxHash(std::string_view bytes) { return absl::AsciiStrToUpper(ToHex(Sha256(bytes))); }

void SetTime(uint64_t ns, google::protobuf::Timestamp* t) {
  t->set_seconds(static_cast<int64_t>(ns / kNanosPerSecond));
  t->set_nanos(static_cast<int32_t>(ns % kNanosPerSecond));
}

// ---- request parsing ------------------------------------------------------

// Canonical (lower-case) bech32 of `s` under `hrp`; InvalidArgument otherwise.
absl::StatusOr<std::string> Bech32Field(const std::string& field, const std::string& hrp,
                                        const std::string& s) {
  if (s.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  absl::StatusOr<std::string> bytes = AddressFromBech32(hrp, s);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", bytes.status().message()));
  }
  // Decoding is strict (checksum, zero padding, lower-case prefix match), so
  // the canonical encoding is the input lower-cased: no re-encoding.
  return absl::AsciiStrToLower(s);
}

absl::StatusOr<AccountAddress> AccountField(const Chain& chain, const std::string& field,
                                            const std::string& s) {
  MESH_ASSIGN_OR_RETURN(std::string a, Bech32Field(field, chain.config().bech32_prefix, s));
  return AccountAddress(a);
}

absl::StatusOr<ValidatorAddress> ValoperField(const Chain& chain, const std::string& field,
                                              const std::string& s) {
  std::string hrp = chain.config().bech32_prefix + "valoper";
  MESH_ASSIGN_OR_RETURN(std::string a, Bech32Field(field, hrp, s));
  return ValidatorAddress(a);
}

// "" and BOND_STATUS_UNSPECIFIED select every validator.
absl::StatusOr<std::optional<staking::BondStatus>> StatusFilter(const std::string& name) {
  pb::BondStatus s = pb::BOND_STATUS_UNSPECIFIED;
  if (!name.empty() && !pb::BondStatus_Parse(name, &s)) {
    return absl::InvalidArgumentError("unknown validator status " + name);
  }
  if (s == pb::BOND_STATUS_UNSPECIFIED) return std::optional<staking::BondStatus>();
  return std::optional<staking::BondStatus>(static_cast<staking::BondStatus>(s));
}

// ---- pagination -----------------------------------------------------------

// Sorts `items` by key and returns the index range of the page that starts
// at the first key >= req.key; fills `resp` (next_key = key of the first
// item after the page, total = all items).
template <typename T, typename KeyFn>
std::pair<size_t, size_t> Paginate(std::vector<T>& items, KeyFn key_of, const pb::PageRequest& req,
                                   pb::PageResponse* resp) {
  auto less = [&](const T& a, const T& b) { return key_of(a) < key_of(b); };
  std::sort(items.begin(), items.end(), less);
  auto first = std::partition_point(items.begin(), items.end(),
                                    [&](const T& t) { return key_of(t) < req.key(); });
  uint64_t limit = req.limit() == 0 ? kDefaultPageLimit : std::min(req.limit(), kMaxPageLimit);
  size_t begin = static_cast<size_t>(first - items.begin());
  size_t end = begin + static_cast<size_t>(std::min<uint64_t>(limit, items.size() - begin));
  resp->set_total(items.size());
  if (end < items.size()) resp->set_next_key(key_of(items[end]));
  return {begin, end};
}

// ---- state -> proto -------------------------------------------------------

void FillValidator(const staking::Validator& v, const staking::Params& params, pb::Validator* out) {
  out->set_operator_address(v.operator_address.value());
  out->set_operator_account(v.operator_account.value());
  out->set_status(static_cast<pb::BondStatus>(v.status));
  out->set_jailed(v.jailed);
  out->set_tombstoned(v.tombstoned);
  out->set_tokens(v.tokens.ToString());
  out->set_delegator_shares(v.delegator_shares.ToString());
  out->set_commission_rate(v.commission_rate.ToString());
  out->set_min_self_delegation(v.min_self_delegation.ToString());
  out->set_unbonding_height(v.unbonding_height);
  if (v.unbonding_time_ns != 0) SetTime(v.unbonding_time_ns, out->mutable_unbonding_time());
  if (v.jailed_until_ns != 0) SetTime(v.jailed_until_ns, out->mutable_jailed_until());
  out->set_consensus_power(v.ConsensusPower(params.power_reduction));
}

absl::Status FillDelegation(const Context& ctx, const staking::Delegation& d, const Denom& denom,
                            pb::DelegationResponse* out) {
  MESH_ASSIGN_OR_RETURN(staking::ShareRate rate, Staking::GetShareRate(ctx, d.validator));
  MESH_ASSIGN_OR_RETURN(Amount tokens, Staking::DelegationTokens(rate, d));
  pb::Delegation* del = out->mutable_delegation();
  del->set_delegator_address(d.delegator.value());
  del->set_validator_address(d.validator.value());
  del->set_shares(d.shares.ToString());
  out->mutable_balance()->set_denom(denom.value());
  out->mutable_balance()->set_amount(tokens.ToString());
  return absl::OkStatus();
}

void FillUnbonding(const staking::UnbondingDelegation& u, pb::UnbondingDelegation* out) {
  out->set_delegator_address(u.delegator.value());
  out->set_validator_address(u.validator.value());
  for (const staking::UnbondingEntry& e : u.entries) {
    pb::UnbondingDelegationEntry* pe = out->add_entries();
    pe->set_creation_height(e.creation_height);
    SetTime(e.completion_time_ns, pe->mutable_completion_time());
    pe->set_initial_balance(e.initial_balance.ToString());
    pe->set_balance(e.balance.ToString());
  }
}

// Fills `page` from delegations [range) of `all`.
template <typename Resp>
absl::Status FillDelegationPage(const Context& ctx, const std::vector<staking::Delegation>& all,
                                std::pair<size_t, size_t> range, Resp* resp) {
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  for (size_t i = range.first; i < range.second; ++i) {
    MESH_RETURN_IF_ERROR(
        FillDelegation(ctx, all[i], params.bond_denom, resp->add_delegation_responses()));
  }
  return absl::OkStatus();
}

// ---- queries (read the committed state: a Chain::CommittedView) ---------

absl::Status QueryValidator(const Chain& chain, const pb::QueryValidatorRequest& req,
                            pb::QueryValidatorResponse* resp) {
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val,
                        ValoperField(chain, "validator_addr", req.validator_addr()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v, Staking::GetValidator(ctx, val));
  if (!v.has_value()) return absl::NotFoundError("validator " + val.value() + " not found");
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  FillValidator(*v, params, resp->mutable_validator());
  return absl::OkStatus();
}

absl::Status QueryValidators(const Chain& chain, const pb::QueryValidatorsRequest& req,
                             pb::QueryValidatorsResponse* resp) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::BondStatus> filter, StatusFilter(req.status()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> vals, Staking::AllValidators(ctx));
  std::erase_if(
      vals, [&](const staking::Validator& v) { return filter.has_value() && v.status != *filter; });
  auto key = [](const staking::Validator& v) -> const std::string& {
    return v.operator_address.value();
  };
  auto [begin, end] = Paginate(vals, key, req.pagination(), resp->mutable_pagination());
  for (size_t i = begin; i < end; ++i) FillValidator(vals[i], params, resp->add_validators());
  return absl::OkStatus();
}

absl::Status QueryDelegation(const Chain& chain, const pb::QueryDelegationRequest& req,
                             pb::QueryDelegationResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress del,
                        AccountField(chain, "delegator_addr", req.delegator_addr()));
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val,
                        ValoperField(chain, "validator_addr", req.validator_addr()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> d,
                        Staking::GetDelegation(ctx, del, val));
  if (!d.has_value()) {
    return absl::NotFoundError("no delegation of " + del.value() + " to " + val.value());
  }
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  return FillDelegation(ctx, *d, params.bond_denom, resp->mutable_delegation_response());
}

absl::Status QueryDelegatorDelegations(const Chain& chain,
                                       const pb::QueryDelegatorDelegationsRequest& req,
                                       pb::QueryDelegatorDelegationsResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress del,
                        AccountField(chain, "delegator_addr", req.delegator_addr()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Delegation> all,
                        Staking::DelegatorDelegations(ctx, del));
  auto key = [](const staking::Delegation& d) -> const std::string& { return d.validator.value(); };
  auto range = Paginate(all, key, req.pagination(), resp->mutable_pagination());
  return FillDelegationPage(ctx, all, range, resp);
}

// Read from the by-validator index alone (Staking::VisitValidatorDelegations:
// its entries hold the shares), and the index's keys for the total. The
// page key is the delegator's AddressOrderKey (the index's order).
absl::Status QueryValidatorDelegations(const Chain& chain,
                                       const pb::QueryValidatorDelegationsRequest& req,
                                       pb::QueryValidatorDelegationsResponse* resp) {
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val,
                        ValoperField(chain, "validator_addr", req.validator_addr()));
  Context ctx = chain.QueryContext();
  const pb::PageRequest& page = req.pagination();
  const uint64_t limit =
      page.limit() == 0 ? kDefaultPageLimit : std::min(page.limit(), kMaxPageLimit);
  std::vector<staking::Delegation> found;
  MESH_RETURN_IF_ERROR(Staking::VisitValidatorDelegations(
      ctx, val, page.key(), false,
      [&](std::string_view key, std::string_view del, Dec shares) -> absl::StatusOr<bool> {
        if (found.size() == limit) {
          resp->mutable_pagination()->set_next_key(std::string(key));
          return false;
        }
        found.push_back(staking::Delegation{AccountAddress(std::string(del)), val, shares});
        return true;
      }));
  uint64_t total = 0;
  MESH_RETURN_IF_ERROR(Staking::VisitValidatorDelegators(
      ctx, val, "", false, [&](std::string_view, const AccountAddress&) -> absl::StatusOr<bool> {
        ++total;
        return true;
      }));
  resp->mutable_pagination()->set_total(total);
  return FillDelegationPage(ctx, found, {0, found.size()}, resp);
}

absl::Status QueryUnbondingDelegation(const Chain& chain,
                                      const pb::QueryUnbondingDelegationRequest& req,
                                      pb::QueryUnbondingDelegationResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress del,
                        AccountField(chain, "delegator_addr", req.delegator_addr()));
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val,
                        ValoperField(chain, "validator_addr", req.validator_addr()));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::UnbondingDelegation> u,
                        Staking::GetUnbondingDelegation(chain.QueryContext(), del, val));
  if (!u.has_value()) {
    return absl::NotFoundError("no unbonding delegation of " + del.value() + " from " +
                               val.value());
  }
  FillUnbonding(*u, resp->mutable_unbond());
  return absl::OkStatus();
}

// Module accounts ("module/bonded_pool", ...) are accepted by name.
absl::StatusOr<AccountAddress> BalanceAddress(const Chain& chain, const std::string& s) {
  if (s.starts_with("module/") && s.size() > 7) return AccountAddress(s);
  return AccountField(chain, "address", s);
}

absl::Status QueryBalance(const Chain& chain, const pb::QueryBalanceRequest& req,
                          pb::QueryBalanceResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress who, BalanceAddress(chain, req.address()));
  if (req.denom().empty()) return absl::InvalidArgumentError("denom is empty");
  MESH_ASSIGN_OR_RETURN(Amount amount,
                        Bank::Balance(chain.QueryContext(), who, Denom(req.denom())));
  resp->mutable_balance()->set_denom(req.denom());
  resp->mutable_balance()->set_amount(amount.ToString());
  return absl::OkStatus();
}

// ---- queries at a height (x-cosmos-block-height) ----------------------------

absl::StatusOr<std::optional<uint64_t>> RequestedHeight(const grpc::ServerContextBase* call) {
  if (call == nullptr) return std::optional<uint64_t>();
  const auto& md = call->client_metadata();
  auto it = md.find(kBlockHeightHeader);
  if (it == md.end()) return ParseBlockHeight(std::nullopt);
  return ParseBlockHeight(std::string_view(it->second.data(), it->second.size()));
}

void SetServedHeight(grpc::ServerContextBase* call, uint64_t height) {
  if (call != nullptr) call->AddInitialMetadata(kBlockHeightHeader, absl::StrCat(height));
}

// A query over the live chain (caller holds the chain mutex): the latest
// committed height only.
absl::Status LiveQuery(grpc::ServerContextBase* call, const Chain& chain,
                       const std::function<absl::Status()>& fn) {
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> height, RequestedHeight(call));
  if (height.has_value() && *height != chain.height()) {
    return absl::InvalidArgumentError(
        absl::StrCat("this query reads only the latest height ", chain.height(), ", not ", *height));
  }
  SetServedHeight(call, chain.height());
  return fn();
}

// ---- reflection -----------------------------------------------------------

// Per-server control of the reflection plugin (instead of the process-wide
// InitProtoReflectionServerBuilderPlugin, which would affect every server).
class ReflectionOption : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enable) : enable_(enable) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
      return p->name() == "proto_server_reflection";
    });
#if MESH_GRPC_REFLECTION
    if (enable_) {
      plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
      // Reflection describes services from the generated descriptor pool.
      // grpc++'s default health service is not generated code: linking and
      // touching grpc/health/v1/health.proto's descriptor puts it there.
      (void)::grpc::health::v1::HealthCheckRequest::descriptor();
    }
#endif
  }

 private:
  bool enable_;
};

// ---- health ---------------------------------------------------------------

// Copies the names of the services the server registered (the same list
// reflection reports) once BuildAndStart has registered them all.
class ServiceListPlugin : public grpc::ServerBuilderPlugin {
 public:
  explicit ServiceListPlugin(std::vector<std::string>* out) : out_(out) {}
  std::string name() override { return "meshsec_service_list"; }
  void InitServer(grpc::ServerInitializer*) override {}
  void Finish(grpc::ServerInitializer* si) override {
    const std::vector<std::string>* names = si->GetServiceList();
    if (names != nullptr) *out_ = *names;
  }
  void ChangeArguments(const std::string&, void*) override {}

 private:
  std::vector<std::string>* out_;
};

class ServiceListOption : public grpc::ServerBuilderOption {
 public:
  explicit ServiceListOption(std::vector<std::string>* out) : out_(out) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ServiceListPlugin>(out_));
  }

 private:
  std::vector<std::string>* out_;
};

struct PendingTx {
  uint64_t id = 0;
  SignedTx tx;
  std::string txhash;
  std::string signer;
};

struct Outcome {
  TxResult result;
  uint64_t height = 0;
};

}  // namespace

// ---- server state -----------------------------------------------------------

struct GrpcServer::Impl {
  Impl(std::unique_ptr<Chain> c, Chain* borrowed, GrpcServerOptions o)
      : owned(std::move(c)), chain(owned ? owned.get() : borrowed), options(std::move(o)) {}

  absl::Status Listen();
  // Runs `fn` on the committed block `call` asks for (x-cosmos-block-height)
  // and sends the served height back in the same header.
  grpc::Status Query(grpc::ServerContextBase* call,
                     const std::function<absl::Status(const Chain&)>& fn);
  absl::Status Account(const pb::QueryAccountRequest& req, pb::QueryAccountResponse* resp);
  absl::StatusOr<uint64_t> NextSequence(const AccountAddress& who) const;
  // Chain::CheckTx with the signer's queued txs counted; fills *out when OK.
  TxResult CheckTx(std::string_view bytes, std::string txhash, PendingTx* out) const;
  // With BLOCK mode and a non-null `delivered_result`, it also receives the
  // whole DeliverTx result (events included).
  grpc::Status Broadcast(grpc::ServerContext* ctx, const pb::BroadcastTxRequest& req,
                         pb::BroadcastTxResponse* resp, TxResult* delivered_result = nullptr);
  grpc::Status AwaitDelivery(grpc::ServerContext* ctx, std::unique_lock<std::mutex>& lock,
                             uint64_t id, pb::BroadcastTxResponse* resp,
                             TxResult* delivered_result);
  absl::StatusOr<ProducedBlock> Produce(uint64_t time_ns);
  // Publishes chain->CommittedView() for queries (null when the store has
  // no snapshots). mu held, no block open.
  void PublishView();
  absl::Status FinishBlock(Hash256* app_hash);
  void Stop();

  // Guarded by mu: the chain and the queue.
  mutable std::mutex mu;
  std::condition_variable delivered;
  std::unique_ptr<Chain> owned;  // null when the caller owns the chain
  Chain* chain;
  std::deque<PendingTx> queue;
  std::map<std::string, uint64_t> queued_per_signer;
  uint64_t next_id = 1;
  std::set<uint64_t> waiting;            // BLOCK-mode broadcasts still waiting
  std::map<uint64_t, Outcome> outcomes;  // delivered, not yet picked up
  bool stopping = false;

  // Set once by Listen.
  GrpcServerOptions options;
  // The committed views of the last blocks queries read (thread-safe,
  // never locked while waiting for mu). Queries copy a pointer and run
  // without any lock.
  BlockHistory history{options.kept_blocks};
  std::vector<std::unique_ptr<grpc::Service>> mesh_query_services;
  std::unique_ptr<grpc::Service> query_service;
  std::unique_ptr<grpc::Service> tx_service;
  std::unique_ptr<grpc::Service> cosmos_staking_service;  // null without the Cosmos protos
  std::unique_ptr<grpc::Service> cosmos_bank_service;
  std::unique_ptr<grpc::Service> cosmos_auth_service;
  std::unique_ptr<grpc::Service> cosmos_tendermint_service;
#if MESH_COSMOS_GRPC
  // cosmos.tx.v1beta1.Service and its index (node/cosmos_tx_service.h),
  // written by Produce once a block commits.
  std::unique_ptr<TxIndex> tx_index = std::make_unique<TxIndex>(options.tx_index);
  std::unique_ptr<grpc::Service> cosmos_tx_service;
  absl::Status IndexBlock(uint64_t height, const std::deque<PendingTx>& batch,
                          const ProducedBlock& block);
  TxServiceHooks CosmosTxHooks();
#endif
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::string address;
  bool reflection = false;
  // Every service registered on `server` (fully qualified names).
  std::vector<std::string> service_names;
  std::once_flag stop_once;

  class QueryService;
  class TxService;
};

// Callback API (node/chain_query.h): each query runs inline on a gRPC event
// thread over a committed view.
class GrpcServer::Impl::QueryService final : public pb::Query::CallbackService {
 public:
  explicit QueryService(Impl* impl)
      : impl_(impl), query_([impl](grpc::ServerContextBase* call,
                                   const std::function<absl::Status(const Chain&)>& fn) {
          return impl->Query(call, fn);
        }) {}

  using C = grpc::CallbackServerContext;
  using R = grpc::ServerUnaryReactor;
  R* Validator(C* c, const pb::QueryValidatorRequest* q, pb::QueryValidatorResponse* r) override {
    return RunUnaryQuery(query_, c, QueryValidator, q, r);
  }
  R* Validators(C* c, const pb::QueryValidatorsRequest* q,
                pb::QueryValidatorsResponse* r) override {
    return RunUnaryQuery(query_, c, QueryValidators, q, r);
  }
  R* Delegation(C* c, const pb::QueryDelegationRequest* q,
                pb::QueryDelegationResponse* r) override {
    return RunUnaryQuery(query_, c, QueryDelegation, q, r);
  }
  R* DelegatorDelegations(C* c, const pb::QueryDelegatorDelegationsRequest* q,
                          pb::QueryDelegatorDelegationsResponse* r) override {
    return RunUnaryQuery(query_, c, QueryDelegatorDelegations, q, r);
  }
  R* ValidatorDelegations(C* c, const pb::QueryValidatorDelegationsRequest* q,
                          pb::QueryValidatorDelegationsResponse* r) override {
    return RunUnaryQuery(query_, c, QueryValidatorDelegations, q, r);
  }
  R* UnbondingDelegation(C* c, const pb::QueryUnbondingDelegationRequest* q,
                         pb::QueryUnbondingDelegationResponse* r) override {
    return RunUnaryQuery(query_, c, QueryUnbondingDelegation, q, r);
  }
  R* Balance(C* c, const pb::QueryBalanceRequest* q, pb::QueryBalanceResponse* r) override {
    return RunUnaryQuery(query_, c, QueryBalance, q, r);
  }
  // Account reads the live chain (pending nonces): only the latest height.
  // It takes the chain mutex for one lookup, so it may wait for a block
  // being produced (never the other way round).
  R* Account(C* c, const pb::QueryAccountRequest* q, pb::QueryAccountResponse* r) override {
    grpc::Status s;
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      s = ToGrpc(LiveQuery(c, *impl_->chain, [&] { return impl_->Account(*q, r); }));
    }
    if (!s.ok()) r->Clear();
    R* reactor = c->DefaultReactor();
    reactor->Finish(s);
    return reactor;
  }

 private:
  Impl* impl_;
  ChainQueryFn query_;
};

class GrpcServer::Impl::TxService final : public pb::Tx::Service {
 public:
  explicit TxService(Impl* impl) : impl_(impl) {}
  grpc::Status BroadcastTx(grpc::ServerContext* ctx, const pb::BroadcastTxRequest* q,
                           pb::BroadcastTxResponse* r) override {
    return impl_->Broadcast(ctx, *q, r);
  }

 private:
  Impl* impl_;
};

absl::Status GrpcServer::Impl::Listen() {
  if (!options.absl_deadlock_detection) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  query_service = std::make_unique<QueryService>(this);
  tx_service = std::make_unique<TxService>(this);
  reflection = options.enable_reflection && ReflectionAvailable();
  // grpc.health.v1.Health: grpc++'s default service answers SERVING for ""
  // while the server runs; every registered service name is marked SERVING
  // below (unknown names: NOT_FOUND).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<ReflectionOption>(reflection));
  builder.SetOption(std::make_unique<ServiceListOption>(&service_names));
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(query_service.get());
  builder.RegisterService(tx_service.get());
  for (grpc::Service* extra : options.extra_services) builder.RegisterService(extra);
  if (options.num_cqs > 0) builder.SetSyncServerOption(grpc::ServerBuilder::NUM_CQS, options.num_cqs);
  if (options.min_pollers > 0) {
    builder.SetSyncServerOption(grpc::ServerBuilder::MIN_POLLERS, options.min_pollers);
  }
  if (options.max_pollers > 0) {
    builder.SetSyncServerOption(grpc::ServerBuilder::MAX_POLLERS, options.max_pollers);
  }
  if (options.max_threads > 0) {
    grpc::ResourceQuota quota("meshd");
    quota.SetMaxThreads(options.max_threads);
    builder.SetResourceQuota(quota);
  }
#if MESH_COSMOS_GRPC
  ChainQueryFn cosmos_query = [this](grpc::ServerContextBase* call,
                                     const std::function<absl::Status(const Chain&)>& fn) {
    return Query(call, fn);
  };
  cosmos_staking_service = NewCosmosStakingQueryService(cosmos_query);
  builder.RegisterService(cosmos_staking_service.get());
  cosmos_bank_service = NewCosmosBankQueryService(cosmos_query);
  cosmos_auth_service = NewCosmosAuthQueryService(cosmos_query);
  cosmos_tendermint_service = NewCosmosTendermintService(cosmos_query);
  builder.RegisterService(cosmos_bank_service.get());
  builder.RegisterService(cosmos_auth_service.get());
  builder.RegisterService(cosmos_tendermint_service.get());
  cosmos_tx_service = NewCosmosTxService(CosmosTxHooks());
  builder.RegisterService(cosmos_tx_service.get());
#endif
  if (options.query_services) {
    mesh_query_services = options.query_services(
        [this](grpc::ServerContextBase* call,
               const std::function<absl::Status(const Chain&)>& fn) { return Query(call, fn); });
  }
  for (const auto& service : mesh_query_services) builder.RegisterService(service.get());
  server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError("cannot listen on " + options.address);
  }
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    for (const std::string& name : service_names) health->SetServingStatus(name, true);
  }
  std::string host = options.address.substr(0, options.address.rfind(':'));
  address = absl::StrCat(host, ":", port);
  return absl::OkStatus();
}

#if MESH_COSMOS_GRPC
// cosmos.tx.v1beta1.Service goes through the same queue, check and BLOCK
// wait as meshsec.v1.Tx/BroadcastTx; simulations run on the live chain.
TxServiceHooks GrpcServer::Impl::CosmosTxHooks() {
  TxServiceHooks hooks;
  hooks.broadcast = [this](grpc::ServerContext* ctx, const std::string& bytes, bool wait,
                           TxResult* result, uint64_t* height) {
    pb::BroadcastTxRequest q;
    q.set_signed_tx(bytes);
    q.set_mode(wait ? pb::BROADCAST_MODE_BLOCK : pb::BROADCAST_MODE_SYNC);
    pb::BroadcastTxResponse r;
    TxResult delivered_result;
    grpc::Status s = Broadcast(ctx, q, &r, wait ? &delivered_result : nullptr);
    if (s.ok() && wait && r.height() > 0) {
      *result = std::move(delivered_result);  // events and all, for the BLOCK reply
      *height = r.height();
      return s;
    }
    result->code = r.code();
    result->codespace = r.codespace();
    result->log = r.log();
    result->gas_wanted = r.gas_wanted();
    result->gas_used = r.gas_used();
    *height = r.height();
    return s;
  };
  hooks.simulate = [this](const SignedTx& tx) {
    std::lock_guard<std::mutex> lock(mu);
    return chain->SimulateTx(tx);
  };
  hooks.latest_height = [this] {
    std::lock_guard<std::mutex> lock(mu);
    return chain->height();
  };
  hooks.index = tx_index.get();
  return hooks;
}

absl::Status GrpcServer::Impl::IndexBlock(uint64_t height, const std::deque<PendingTx>& batch,
                                          const ProducedBlock& block) {
  std::vector<IndexedTx> txs;
  for (size_t i = 0; i < batch.size(); ++i) {
    txs.push_back({&batch[i].tx, batch[i].txhash, &block.txs[i].result});
  }
  ::tendermint::types::Header header;
  FillBlockHeader(*chain, &header);
  if (static_cast<uint64_t>(header.height()) != height) {
    return absl::InternalError(absl::StrCat("indexing block ", height, " at chain height ",
                                            header.height()));
  }
  return tx_index->RecordBlock(header, txs);
}
#endif

grpc::Status GrpcServer::Impl::Query(grpc::ServerContextBase* call,
                                     const std::function<absl::Status(const Chain&)>& fn) {
  absl::StatusOr<std::optional<uint64_t>> height = RequestedHeight(call);
  if (!height.ok()) return ToGrpc(height.status());
  // One history lookup per query (BlockHistory::At: Unavailable exactly
  // while nothing is kept).
  absl::StatusOr<std::shared_ptr<const Chain>> view = history.At(*height);
  if (absl::IsUnavailable(view.status())) {
    // A store without snapshots: the live chain, latest height only.
    std::lock_guard<std::mutex> lock(mu);
    return ToGrpc(LiveQuery(call, *chain, [&] { return fn(*chain); }));
  }
  if (!view.ok()) return ToGrpc(view.status());
  SetServedHeight(call, (*view)->height());
  return ToGrpc(fn(**view));
}

void GrpcServer::Impl::PublishView() {
  // Linked to the latest view: records it read and this block did not
  // write are not read from the snapshot again.
  absl::StatusOr<std::unique_ptr<Chain>> v = chain->CommittedView(history.Latest());
  std::shared_ptr<const Chain> next;
  if (v.ok()) next = std::move(*v);
  history.Add(std::move(next));
}

absl::StatusOr<uint64_t> GrpcServer::Impl::NextSequence(const AccountAddress& who) const {
  absl::StatusOr<staking::BaseAccount> acc = chain->GetAccount(who);
  if (!acc.ok() && !absl::IsNotFound(acc.status())) return acc.status();
  const uint64_t committed = acc.ok() ? acc->sequence : 0;
  auto it = queued_per_signer.find(who.value());
  return committed + (it == queued_per_signer.end() ? 0 : it->second);
}

absl::Status GrpcServer::Impl::Account(const pb::QueryAccountRequest& req,
                                       pb::QueryAccountResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress who, AccountField(*chain, "address", req.address()));
  MESH_ASSIGN_OR_RETURN(uint64_t seq, NextSequence(who));
  resp->set_address(who.value());
  resp->set_sequence(seq);
  resp->set_height(chain->height());
  return absl::OkStatus();
}

// The SDK's CheckTx (Chain::CheckTx), with the sequence counted past the
// signer's txs already queued. Same codes as DeliverTx's ante checks.
TxResult GrpcServer::Impl::CheckTx(std::string_view bytes, std::string txhash,
                                   PendingTx* out) const {
  absl::StatusOr<SignedTx> stx = SignedTx::Decode(bytes);
  if (!stx.ok()) {
    TxResult r;
    r.code = kSdkTxDecode;
    r.codespace = std::string(kCodespaceSdk);
    r.log = std::string(stx.status().message());
    return r;
  }
  const AccountAddress signer(chain->AddressOf(stx->pubkey));
  auto it = queued_per_signer.find(signer.value());
  const uint64_t pending = it == queued_per_signer.end() ? 0 : it->second;
  TxResult r = chain->CheckTx(*stx, pending);
  if (r.ok()) *out = PendingTx{0, *std::move(stx), std::move(txhash), signer.value()};
  return r;
}

grpc::Status GrpcServer::Impl::Broadcast(grpc::ServerContext* ctx,
                                         const pb::BroadcastTxRequest& req,
                                         pb::BroadcastTxResponse* resp,
                                         TxResult* delivered_result) {
  if (req.signed_tx().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "signed_tx is empty");
  }
  if (!pb::BroadcastMode_IsValid(req.mode())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown broadcast mode");
  }
  resp->set_txhash(TxHash(req.signed_tx()));
  std::unique_lock<std::mutex> lock(mu);
  if (stopping) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
  if (queue.size() >= options.max_pending_txs) {
    resp->set_code(kCodeUnavailable);
    resp->set_log("pending tx queue is full");
    return grpc::Status::OK;
  }
  PendingTx checked;
  TxResult r = CheckTx(req.signed_tx(), resp->txhash(), &checked);
  if (!r.ok()) {
    resp->set_code(r.code);
    resp->set_codespace(r.codespace);
    resp->set_log(r.log);
    resp->set_gas_wanted(r.gas_wanted);
    resp->set_gas_used(r.gas_used);
    return grpc::Status::OK;
  }
  uint64_t id = next_id++;
  checked.id = id;
  ++queued_per_signer[checked.signer];
  queue.push_back(std::move(checked));
  if (req.mode() != pb::BROADCAST_MODE_BLOCK) return grpc::Status::OK;
  waiting.insert(id);
  return AwaitDelivery(ctx, lock, id, resp, delivered_result);
}

grpc::Status GrpcServer::Impl::AwaitDelivery(grpc::ServerContext* ctx,
                                             std::unique_lock<std::mutex>& lock, uint64_t id,
                                             pb::BroadcastTxResponse* resp,
                                             TxResult* delivered_result) {
  while (true) {
    auto it = outcomes.find(id);
    if (it != outcomes.end()) {
      resp->set_code(it->second.result.code);
      resp->set_codespace(it->second.result.codespace);
      resp->set_log(it->second.result.log);
      resp->set_gas_wanted(it->second.result.gas_wanted);
      resp->set_gas_used(it->second.result.gas_used);
      resp->set_height(it->second.height);
      if (delivered_result != nullptr) *delivered_result = std::move(it->second.result);
      outcomes.erase(it);
      return grpc::Status::OK;
    }
    if (stopping || ctx->IsCancelled()) {
      waiting.erase(id);
      // The tx stays queued: it will still be delivered.
      return grpc::Status(stopping ? grpc::StatusCode::UNAVAILABLE : grpc::StatusCode::CANCELLED,
                          "stopped waiting; the tx stays queued");
    }
    delivered.wait_for(lock, kCancelPoll);
  }
}

absl::Status GrpcServer::Impl::FinishBlock(Hash256* app_hash) {
  MESH_RETURN_IF_ERROR(chain->EndBlock());
  MESH_ASSIGN_OR_RETURN(*app_hash, chain->Commit());
  return absl::OkStatus();
}

absl::StatusOr<ProducedBlock> GrpcServer::Impl::Produce(uint64_t time_ns) {
  std::lock_guard<std::mutex> lock(mu);
  MESH_RETURN_IF_ERROR(chain->BeginBlock(time_ns));
  if (options.in_block) {
    absl::Status s = options.in_block(*chain);
    if (!s.ok()) {
      // Nothing was dequeued; the open block is abandoned with its writes.
      MESH_RETURN_IF_ERROR(chain->AbandonBlock());
      PublishView();
      return s;
    }
  }
  std::deque<PendingTx> batch;
  batch.swap(queue);
  queued_per_signer.clear();
  ProducedBlock out;
  out.height = chain->height();
  // Signatures verified on all cores while the txs are applied in order.
  std::vector<const SignedTx*> signed_txs;
  signed_txs.reserve(batch.size());
  for (const PendingTx& p : batch) signed_txs.push_back(&p.tx);
  std::vector<TxResult> results = chain->DeliverTxs(signed_txs);
  for (size_t i = 0; i < batch.size(); ++i) {
    out.txs.push_back({batch[i].txhash, std::move(results[i])});
  }
  absl::Status finished = FinishBlock(&out.app_hash);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!finished.ok()) {
      out.txs[i].result = TxResult{};
      out.txs[i].result.code = kCodeInternal;
      out.txs[i].result.log = absl::StrCat("block not committed: ", finished.message());
    }
    if (waiting.erase(batch[i].id) > 0) outcomes[batch[i].id] = {out.txs[i].result, out.height};
  }
  delivered.notify_all();
  PublishView();
  if (!finished.ok()) return finished;
#if MESH_COSMOS_GRPC
  MESH_RETURN_IF_ERROR(IndexBlock(out.height, batch, out));
#endif
  return out;
}

void GrpcServer::Impl::Stop() {
  std::call_once(stop_once, [this] {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    delivered.notify_all();
    // Waiting broadcasts return within kCancelPoll; give them a short grace.
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server->Wait();
  });
}

// ---- GrpcServer ---------------------------------------------------------------

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(std::unique_ptr<Chain> chain,
                                                              GrpcServerOptions options) {
  if (chain == nullptr) return absl::InvalidArgumentError("no chain");
  if (chain->block_open()) return absl::InvalidArgumentError("the chain has an open block");
  auto impl = std::make_unique<Impl>(std::move(chain), nullptr, std::move(options));
  impl->PublishView();
  MESH_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(Chain* chain,
                                                              GrpcServerOptions options) {
  if (chain == nullptr) return absl::InvalidArgumentError("no chain");
  if (chain->block_open()) return absl::InvalidArgumentError("the chain has an open block");
  auto impl = std::make_unique<Impl>(nullptr, chain, std::move(options));
  impl->PublishView();
  MESH_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

int GrpcServer::port() const { return impl_->port; }
const std::string& GrpcServer::address() const { return impl_->address; }

bool GrpcServer::ReflectionAvailable() {
#if MESH_GRPC_REFLECTION
  return true;
#else
  return false;
#endif
}

bool GrpcServer::reflection_enabled() const { return impl_->reflection; }

absl::StatusOr<ProducedBlock> GrpcServer::ProduceBlock(uint64_t time_ns) {
  return impl_->Produce(time_ns);
}

size_t GrpcServer::PendingTxCount() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->queue.size();
}

absl::Status GrpcServer::WithChain(const std::function<absl::Status(Chain&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  absl::Status s = fn(*impl_->chain);
  if (!impl_->chain->block_open()) impl_->PublishView();
  return s;
}

void GrpcServer::Shutdown() { impl_->Stop(); }

}  // namespace mesh::node
