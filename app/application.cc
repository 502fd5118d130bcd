#include "app/application.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "app/liveness.h"
#include "core/crypto.h"
#include "core/status.h"
#include "mesh/app/ccv_app.h"
#include "mesh/app/consumer_app.h"
#include "mesh/app/native_slashing.h"
#include "mesh/app/node_module.h"
#include "mesh/app/provider_app.h"
#include "mesh/consumer/ccv.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/governance.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/slash_throttle.h"
#include "mesh/provider/vault.h"
#include "node/staking_msgs.h"
#include "staking/auth.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::app {
namespace {

using consumer::ccv::CcvConsumer;
using provider::LinkMode;
using staking::Bank;
using staking::Staking;

bool HasCcvConsumerLink(const GenesisDoc& g) {
  if (!g.provider.has_value()) return false;
  for (const ConsumerLink& l : g.provider->consumers) {
    if (l.mode != LinkMode::kMesh) return true;
  }
  return false;
}

const ProviderLink* CcvProviderLink(const GenesisDoc& g) {
  if (!g.consumer.has_value()) return nullptr;
  for (const ProviderLink& l : g.consumer->providers) {
    if (l.mode != LinkMode::kMesh) return &l;
  }
  return nullptr;
}

// Liveness records of the provider-supplied consensus set are kept under
// this name of the consensus address (never a bech32 operator address).
ValidatorAddress CcvLivenessName(std::string_view address) {
  return ValidatorAddress("ccv/" + ToHex(address));
}

}  // namespace

struct Application::Roles {
  std::unique_ptr<ProviderApp> provider_app;
  std::unique_ptr<ConsumerApp> consumer_app;
  std::unique_ptr<CcvProviderApp> ccv_provider_app;
  std::unique_ptr<CcvConsumerApp> ccv_consumer_app;
  std::vector<staking::ValidatorUpdate> updates;  // of the last EndBlock
  consumer::ccv::Applied ccv_applied;             // of the last EndBlock
};

Application::Application(GenesisDoc genesis, std::unique_ptr<node::Chain> chain)
    : genesis_(std::move(genesis)),
      chain_(std::move(chain)),
      host_(std::make_unique<ibc::Host>()),
      roles_(std::make_unique<Roles>()) {}

Application::~Application() = default;

absl::StatusOr<std::unique_ptr<Application>> Application::Open(
    GenesisDoc genesis, std::unique_ptr<DurableStore> store, size_t state_cache_bytes,
    bool pipelined_commit) {
  MESH_RETURN_IF_ERROR(genesis.Validate());
  genesis.staking.bond_denom = genesis.denom;
  node::ChainConfig config{genesis.chain_id, genesis.bech32_prefix};
  config.state_cache_bytes = state_cache_bytes;
  config.pipelined_commit = pipelined_commit;
  MESH_ASSIGN_OR_RETURN(std::unique_ptr<node::Chain> chain,
                        node::Chain::Open(std::move(store), std::move(config)));
  // A store written by an earlier build with another layout is refused
  // here, not by the first block or query that reads it.
  MESH_RETURN_IF_ERROR(Staking::CheckStoredLayout(chain->QueryContext()));
  MESH_RETURN_IF_ERROR(provider::Vault::CheckStoredLayout(chain->QueryContext()));
  MESH_RETURN_IF_ERROR(provider::ExternalStaking::CheckStoredLayout(chain->QueryContext()));
  std::unique_ptr<Application> app(new Application(std::move(genesis), std::move(chain)));
  MESH_RETURN_IF_ERROR(app->Install());
  return app;
}

// Modules in the order their end blockers must run: native staking first
// (the consumer role reads its validator events), then the consumer role,
// then the provider role.
absl::Status Application::Install() {
  node::InstallStakingMsgs(*chain_);
  chain_->AddEndBlocker([roles = roles_.get()](const Context& ctx) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(roles->updates, Staking::EndBlock(ctx));
    return absl::OkStatus();
  });
  if (is_consumer()) {
    roles_->consumer_app = std::make_unique<ConsumerApp>(host_.get());
    MESH_RETURN_IF_ERROR(host_->BindPort(roles_->consumer_app->port(), roles_->consumer_app.get()));
    InstallConsumer(*chain_, *roles_->consumer_app);
  }
  if (is_provider()) {
    roles_->provider_app = std::make_unique<ProviderApp>(host_.get());
    MESH_RETURN_IF_ERROR(host_->BindPort(roles_->provider_app->port(), roles_->provider_app.get()));
    InstallProvider(*chain_, *roles_->provider_app);
  }
  if (HasCcvConsumerLink(genesis_)) {
    roles_->ccv_provider_app = std::make_unique<CcvProviderApp>(host_.get());
    MESH_RETURN_IF_ERROR(
        host_->BindPort(roles_->ccv_provider_app->port(), roles_->ccv_provider_app.get()));
    InstallCcvProvider(*chain_, *roles_->ccv_provider_app);
  }
  if (CcvProviderLink(genesis_) != nullptr) {
    roles_->ccv_consumer_app = std::make_unique<CcvConsumerApp>(host_.get());
    MESH_RETURN_IF_ERROR(
        host_->BindPort(roles_->ccv_consumer_app->port(), roles_->ccv_consumer_app.get()));
    InstallCcvConsumer(*chain_, *roles_->ccv_consumer_app);
    // Last: the provider's updates received in this block become the
    // consensus set at its end.
    chain_->AddEndBlocker([roles = roles_.get()](const Context& ctx) -> absl::Status {
      MESH_ASSIGN_OR_RETURN(roles->ccv_applied, CcvConsumer::EndBlock(ctx));
      return absl::OkStatus();
    });
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- genesis

bool Application::initialized() const { return chain_->height() > 0 || chain_->time_ns() > 0; }

absl::Status Application::InitChain() {
  if (initialized()) return absl::OkStatus();
  if (genesis_.state.has_value()) return RestoreState(*genesis_.state);
  return chain_->InitGenesis(genesis_.genesis_time_ns,
                             [this](const Context& ctx) { return Genesis(ctx); });
}

absl::StatusOr<Json> Application::ExportState() const {
  if (chain_->block_open()) return absl::FailedPreconditionError("export: a block is open");
  Json entries = Json::Array();
  auto it = chain_->durable()->Scan("", "");
  for (; it->Valid(); it->Next()) {
    Json e = Json::Array();
    e.Push(Json::Str(ToHex(it->key())));
    e.Push(Json::Str(ToHex(it->value())));
    entries.Push(std::move(e));
  }
  MESH_RETURN_IF_ERROR(it->status());
  Json state = Json::Object();
  state.Add("height", Json::Str(absl::StrCat(chain_->height())));
  state.Add("time_ns", Json::Str(absl::StrCat(chain_->time_ns())));
  state.Add("app_hash", Json::Str(ToHex(chain_->app_hash())));
  state.Add("entries", std::move(entries));
  return state;
}

absl::Status Application::RestoreState(const Json& state) {
  const Json* entries = state.Find("entries");
  if (entries == nullptr) return absl::InvalidArgumentError("genesis state: missing entries");
  MESH_ASSIGN_OR_RETURN(const std::vector<Json>* items, entries->AsArray());
  WriteBatch batch;
  for (const Json& e : *items) {
    MESH_ASSIGN_OR_RETURN(const std::vector<Json>* kv, e.AsArray());
    if (kv->size() != 2) return absl::InvalidArgumentError("genesis state: entry is not [key, value]");
    MESH_ASSIGN_OR_RETURN(std::string k, (*kv)[0].AsString());
    MESH_ASSIGN_OR_RETURN(std::string v, (*kv)[1].AsString());
    MESH_ASSIGN_OR_RETURN(std::string key, FromHex(k));
    MESH_ASSIGN_OR_RETURN(std::string value, FromHex(v));
    batch.Put(key, value);
  }
  MESH_RETURN_IF_ERROR(chain_->Restore(batch));
  // The restored meta must be the one the export announced.
  const Json* hash = state.Find("app_hash");
  if (hash == nullptr) return absl::InvalidArgumentError("genesis state: missing app_hash");
  MESH_ASSIGN_OR_RETURN(std::string hex, hash->AsString());
  if (hex != ToHex(chain_->app_hash())) {
    return absl::DataLossError("genesis state: the entries do not hold the announced app hash");
  }
  return absl::OkStatus();
}

absl::Status Application::Genesis(const Context& ctx) {
  const GenesisDoc& g = genesis_;
  MESH_RETURN_IF_ERROR(Staking::InitGenesis(ctx, g.staking));
  // Every genesis account exists (account numbers in genesis order), funded
  // or not; so do the consumer's authority and oracles (they sign txs).
  for (const GenesisAccount& a : g.accounts) {
    MESH_RETURN_IF_ERROR(staking::Auth::Ensure(ctx, a.address).status());
    MESH_RETURN_IF_ERROR(Bank::Mint(ctx, a.address, g.denom, a.balance));
  }
  if (g.consumer.has_value()) {
    MESH_RETURN_IF_ERROR(staking::Auth::Ensure(ctx, g.consumer->authority).status());
    for (const auto& p : g.consumer->providers) {
      if (!p.oracle.value().empty()) {
        MESH_RETURN_IF_ERROR(staking::Auth::Ensure(ctx, p.oracle).status());
      }
    }
  }
  for (const GenesisValidator& v : g.validators) {
    MESH_ASSIGN_OR_RETURN(ValidatorAddress valoper, node::ValoperOfAccount(v.operator_account));
    MESH_RETURN_IF_ERROR(Bank::Mint(ctx, v.operator_account, g.denom, v.self_bond));
    std::optional<std::string> key;
    if (!v.consensus_pubkey.empty()) key = v.consensus_pubkey;
    MESH_RETURN_IF_ERROR(Staking::CreateValidator(ctx, valoper, v.operator_account, v.self_bond,
                                                  v.commission, Amount(1), key));
  }
  // Genesis validators are bonded from the start.
  MESH_ASSIGN_OR_RETURN(roles_->updates, Staking::EndBlock(ctx));
  MESH_RETURN_IF_ERROR(GenesisProvider(ctx));
  return GenesisConsumer(ctx);
}

absl::Status Application::GenesisProvider(const Context& ctx) {
  if (!is_provider()) return absl::OkStatus();
  const ProviderRole& r = *genesis_.provider;
  std::optional<provider::LocalStakingConfig> local;
  if (r.local_staking) {
    local = provider::LocalStakingConfig{genesis_.denom, r.local_slash_dsign,
                                         r.local_slash_offline};
  }
  MESH_RETURN_IF_ERROR(provider::Vault::Init(ctx, genesis_.denom, local));
  provider::ThrottleParams meter;
  meter.replenish_fraction = r.slash_meter_fraction;
  meter.replenish_period_s = r.slash_meter_period_s;
  MESH_RETURN_IF_ERROR(provider::SlashThrottle::SetParams(ctx, meter));
  provider::GovParams gov;
  gov.voting_period_s = r.gov_voting_period_s;
  gov.min_deposit = r.gov_min_deposit;
  MESH_RETURN_IF_ERROR(provider::Governance::SetParams(ctx, gov));
  for (const ConsumerLink& l : r.consumers) {
    const provider::ConsumerId c(l.consumer);
    if (l.mode != LinkMode::kMesh) {
      MESH_RETURN_IF_ERROR(provider::CcvProvider::Init(ctx, c, l.Ccv(), l.connection, l.opted_in));
      continue;
    }
    provider::ExternalConfig cfg{genesis_.denom, l.remote_denom, l.unbonding_period_s,
                                 l.slash_dsign, l.slash_offline, false};
    cfg.require_verified_evidence = l.require_verified_evidence;
    MESH_RETURN_IF_ERROR(provider::ExternalStaking::Init(ctx, c, cfg));
    MESH_RETURN_IF_ERROR(ProviderApp::AuthorizeConsumer(
        ctx, c, RemoteContact{l.connection, PortId(kConsumerPort)}));
  }
  return absl::OkStatus();
}

absl::Status Application::GenesisConsumer(const Context& ctx) {
  if (!is_consumer()) return absl::OkStatus();
  const ConsumerRole& r = *genesis_.consumer;
  consumer::ModuleParams mp;
  mp.authority = r.authority;
  mp.total_max_cap = r.total_max_cap;
  mp.epoch_length = r.epoch_length;
  // The virtual-staking accounts are module addresses under the chain's own
  // account prefix (Cosmos SDK address.Module; docs/consumer.md).
  mp.account_prefix = genesis_.bech32_prefix;
  MESH_RETURN_IF_ERROR(consumer::Consumer::InitGenesis(ctx, mp));
  for (const ProviderLink& l : r.providers) {
    if (l.mode != LinkMode::kMesh) {
      MESH_RETURN_IF_ERROR(CcvConsumer::Init(ctx, l.provider, l.connection, l.retry_delay_s));
      if (l.unbonding_waits_for_maturity) {
        MESH_ASSIGN_OR_RETURN(staking::Params sp, staking::Staking::GetParams(ctx));
        MESH_RETURN_IF_ERROR(CcvConsumer::EnableMaturity(ctx, sp.unbonding_time_s));
      }
      continue;
    }
    const consumer::ProviderId p(l.provider);
    consumer::ProviderSetup setup{l.remote_denom, l.discount, l.oracle, l.price_ttl_s,
                                  l.max_retrieve};
    MESH_RETURN_IF_ERROR(consumer::Consumer::RegisterProvider(ctx, r.authority, p, setup));
    MESH_RETURN_IF_ERROR(consumer::PriceFeed::SetPrice(ctx, r.authority, p, l.price));
    MESH_RETURN_IF_ERROR(consumer::Consumer::SetMaxCap(ctx, r.authority, p, l.max_cap));
    MESH_RETURN_IF_ERROR(ConsumerApp::RegisterProviderConnection(ctx, p, l.connection));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- blocks

absl::Status Application::BeginBlock(const BlockRequest& req) {
  MESH_RETURN_IF_ERROR(chain_->BeginBlock(req.time_ns));
  return ApplyConsensusInputs(req);
}

absl::Status Application::ApplyConsensusInputs(const BlockRequest& req) {
  MESH_RETURN_IF_ERROR(
      chain_->RunAtomic([&](const Context& ctx) { return ApplyVotes(ctx, req.decided_last_commit); }));
  for (const Misbehavior& m : req.misbehavior) {
    absl::StatusOr<ValidatorAddress> v = ValidatorByConsensusAddress(m.validator_address);
    // Evidence about a validator this chain does not know is ignored, as the
    // SDK's evidence module does; it cannot name anyone to slash.
    if (!v.ok()) continue;
    // Evidence older than the unbonding period can no longer be punished:
    // the stake it could reach has left (SDK: max evidence age).
    const uint64_t now = chain_->time_ns();
    const uint64_t max_age_ns = genesis_.staking.unbonding_time_s * kNanosPerSecond;
    if (now > max_age_ns && m.time_ns < now - max_age_ns) continue;
    if (m.height < 0 || static_cast<uint64_t>(m.height) >= chain_->height()) continue;
    MESH_RETURN_IF_ERROR(HandleDoubleSign(*v, m.height, m.power));
  }
  return absl::OkStatus();
}

absl::Status Application::ApplyFullParticipation() {
  BlockRequest req;
  req.time_ns = chain_->time_ns();
  MESH_ASSIGN_OR_RETURN(req.decided_last_commit, AllSignedVotes());
  return ApplyConsensusInputs(req);
}

absl::Status Application::ApplyVotes(const Context& ctx, const std::vector<VoteInfo>& votes) {
  if (votes.empty()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(bool ccv, ProviderSuppliesSet(ctx));
  if (ccv) return ApplyCcvVotes(ctx, votes);
  // Consensus address -> operator, once per block (ordered map: no hash
  // iteration in the state machine).
  std::map<std::string, ValidatorAddress> by_address;
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> all, Staking::AllValidators(ctx));
  for (const staking::Validator& val : all) {
    by_address.emplace(ConsensusAddress(val.consensus_pubkey), val.operator_address);
  }
  for (const VoteInfo& vote : votes) {
    auto found = by_address.find(vote.validator_address);
    if (found == by_address.end()) continue;  // left the set since; nothing to record
    const ValidatorAddress* v = &found->second;
    MESH_ASSIGN_OR_RETURN(bool down,
                          Liveness::HandleVote(ctx, genesis_.liveness, *v, vote.signed_last_block));
    if (!down) continue;
    // The SDK slashes downtime at the distribution height: the block whose
    // votes were missed, minus the validator-update delay.
    const int64_t h = static_cast<int64_t>(ctx.height());
    MESH_RETURN_IF_ERROR(NativeDowntime(ctx, *v, h > 2 ? h - 2 : 0, vote.power));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Application::ProviderSuppliesSet(const Context& ctx) const {
  if (roles_->ccv_consumer_app == nullptr) return false;
  MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::State> st, CcvConsumer::Get(ctx));
  return st.has_value() && st->applied;
}

// The provider-supplied set's liveness: a validator down on this chain is
// reported to the provider (one outstanding request per address); this
// chain neither slashes nor jails it (its stake is on the provider).
absl::Status Application::ApplyCcvVotes(const Context& ctx, const std::vector<VoteInfo>& votes) {
  MESH_ASSIGN_OR_RETURN(std::vector<consumer::ccv::Update> set, CcvConsumer::CurrentSet(ctx));
  std::map<std::string, int64_t> power_of;
  for (const consumer::ccv::Update& u : set) power_of[ConsensusAddress(u.pub_key)] = u.power;
  for (const VoteInfo& vote : votes) {
    auto found = power_of.find(vote.validator_address);
    if (found == power_of.end()) continue;
    const ValidatorAddress name = CcvLivenessName(vote.validator_address);
    MESH_ASSIGN_OR_RETURN(bool down,
                          Liveness::HandleVote(ctx, genesis_.liveness, name, vote.signed_last_block));
    if (!down) continue;
    const uint64_t h = ctx.height();
    MESH_RETURN_IF_ERROR(
        CcvConsumer::OnDowntime(ctx, vote.validator_address, found->second, h > 2 ? h - 2 : 0)
            .status());
    MESH_RETURN_IF_ERROR(Liveness::Reset(ctx, name));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ConsensusUpdate>> Application::ConsensusValidators() const {
  const Context ctx = chain_->QueryContext();
  std::vector<ConsensusUpdate> out;
  MESH_ASSIGN_OR_RETURN(bool ccv, ProviderSuppliesSet(ctx));
  if (ccv) {
    MESH_ASSIGN_OR_RETURN(std::vector<consumer::ccv::Update> set, CcvConsumer::CurrentSet(ctx));
    for (const consumer::ccv::Update& u : set) out.push_back(ConsensusUpdate{u.pub_key, u.power});
    return out;
  }
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> bonded, Staking::BondedValidators(ctx));
  for (const staking::Validator& v : bonded) {
    out.push_back(ConsensusUpdate{v.consensus_pubkey,
                                  static_cast<int64_t>(v.ConsensusPower(params.power_reduction))});
  }
  return out;
}

node::TxResult Application::DeliverTx(const node::SignedTx& tx) { return chain_->DeliverTx(tx); }

absl::StatusOr<std::vector<ConsensusUpdate>> Application::EndBlock() {
  roles_->updates.clear();
  roles_->ccv_applied = {};
  // The native set as consensus knew it, for the switch to the provider's.
  std::vector<ConsensusUpdate> native_before;
  if (roles_->ccv_consumer_app != nullptr) {
    MESH_ASSIGN_OR_RETURN(bool ccv, ProviderSuppliesSet(chain_->QueryContext()));
    if (!ccv) {
      MESH_ASSIGN_OR_RETURN(native_before, ConsensusValidators());
    }
  }
  MESH_RETURN_IF_ERROR(chain_->EndBlock());
  std::vector<ConsensusUpdate> out;
  const consumer::ccv::Applied& applied = roles_->ccv_applied;
  MESH_ASSIGN_OR_RETURN(bool ccv, ProviderSuppliesSet(chain_->QueryContext()));
  if (!ccv) {
    for (const staking::ValidatorUpdate& u : roles_->updates) {
      out.push_back(ConsensusUpdate{u.consensus_pubkey, static_cast<int64_t>(u.power)});
    }
    return out;
  }
  // From the first applied VSC on, consensus follows the provider: at the
  // switch every native validator (as consensus last knew it, including
  // this block's native changes) not in the provider's set is removed.
  std::map<std::string, int64_t> updates;
  if (applied.first) {
    std::map<std::string, int64_t> native;
    for (const ConsensusUpdate& u : native_before) native[u.pub_key] = u.power;
    for (const staking::ValidatorUpdate& u : roles_->updates) {
      native[u.consensus_pubkey] = static_cast<int64_t>(u.power);
    }
    for (const auto& [key, power] : native) {
      if (power > 0) updates[key] = 0;
    }
  }
  for (const consumer::ccv::Update& u : applied.updates) updates[u.pub_key] = u.power;
  for (const auto& [key, power] : updates) out.push_back(ConsensusUpdate{key, power});
  return out;
}

absl::StatusOr<Hash256> Application::Commit() { return chain_->Commit(); }

absl::StatusOr<BlockResponse> Application::FinalizeBlock(const BlockRequest& req,
                                                         const std::vector<node::SignedTx>& txs) {
  MESH_RETURN_IF_ERROR(BeginBlock(req));
  BlockResponse out;
  // Signatures verified on all cores while the txs are applied in order.
  out.tx_results = chain_->DeliverTxs(txs);
  MESH_ASSIGN_OR_RETURN(out.validator_updates, EndBlock());
  return out;
}

// ---------------------------------------------------------------- misbehaviour

absl::Status Application::HandleDoubleSign(const ValidatorAddress& v, int64_t infraction_height,
                                           uint64_t power) {
  return chain_->RunAtomic([&](const Context& ctx) {
    return NativeDoubleSign(ctx, v, infraction_height, power);
  });
}

absl::Status Application::HandleDowntime(const ValidatorAddress& v, int64_t infraction_height,
                                         uint64_t power) {
  return chain_->RunAtomic([&](const Context& ctx) {
    return NativeDowntime(ctx, v, infraction_height, power);
  });
}

absl::Status Application::NativeDoubleSign(const Context& ctx, const ValidatorAddress& v,
                                           int64_t infraction_height, uint64_t power) {
  return HandleNativeDoubleSign(ctx, v, infraction_height, power);
}

absl::Status Application::NativeDowntime(const Context& ctx, const ValidatorAddress& v,
                                         int64_t infraction_height, uint64_t power) {
  MESH_RETURN_IF_ERROR(HandleNativeDowntime(ctx, v, infraction_height, power));
  return Liveness::Reset(ctx, v);
}

// ---------------------------------------------------------------- identities

absl::StatusOr<std::string> Application::ConsensusPubkey(const ValidatorAddress& v) const {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val,
                        Staking::GetValidator(chain_->QueryContext(), v));
  if (!val.has_value()) return absl::NotFoundError("no validator " + v.value());
  return val->consensus_pubkey;
}

std::string Application::ConsensusAddress(std::string_view pubkey32) {
  const Hash256 h = Sha256(pubkey32);
  return std::string(reinterpret_cast<const char*>(h.data()), 20);
}

absl::StatusOr<ValidatorAddress> Application::ValidatorByConsensusAddress(
    std::string_view address) const {
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> all,
                        Staking::AllValidators(chain_->QueryContext()));
  for (const staking::Validator& v : all) {
    if (ConsensusAddress(v.consensus_pubkey) == address) return v.operator_address;
  }
  return absl::NotFoundError("no validator with consensus address " + ToHex(address));
}

absl::StatusOr<std::vector<VoteInfo>> Application::AllSignedVotes() const {
  const Context ctx = chain_->QueryContext();
  MESH_ASSIGN_OR_RETURN(bool ccv, ProviderSuppliesSet(ctx));
  if (ccv) {
    MESH_ASSIGN_OR_RETURN(std::vector<ConsensusUpdate> set, ConsensusValidators());
    std::vector<VoteInfo> out;
    for (const ConsensusUpdate& u : set) {
      out.push_back(VoteInfo{ConsensusAddress(u.pub_key), static_cast<uint64_t>(u.power), true});
    }
    return out;
  }
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> bonded, Staking::BondedValidators(ctx));
  std::vector<VoteInfo> out;
  for (const staking::Validator& v : bonded) {
    out.push_back(VoteInfo{ConsensusAddress(v.consensus_pubkey),
                           v.PotentialPower(params.power_reduction), true});
  }
  return out;
}

}  // namespace mesh::app
