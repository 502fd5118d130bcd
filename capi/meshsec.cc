// The C ABI (capi/meshsec.h) over app::Application. Every exported
// function runs its body through Guard(): statuses become codes and
// messages, and any C++ exception is caught here and reported as INTERNAL,
// so nothing but an int crosses the boundary.
#include "capi/meshsec.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "app/application.h"
#include "app/genesis.h"
#include "capi/store_adapter.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/status.h"
#include "ibc/state.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/vault.h"
#include "node/staking_msgs.h"
#include "node/tx.h"
#include "staking/bank.h"
#include "staking/staking.h"
#ifdef MESHSEC_CAPI_HAVE_DEVNET
#include "app/devnet.h"
#endif

using mesh::Json;
using mesh::JsonFields;
using mesh::capi::TrustedClient;

struct meshsec_chain {
  // Declared before `app`, so they outlive the host that points at them.
  std::vector<std::unique_ptr<TrustedClient>> clients;
  std::unique_ptr<mesh::app::Application> app;
  // Packets handed out by take_outgoing: (port, channel, sequence).
  std::set<std::tuple<std::string, std::string, uint64_t>> handed_out;
};

namespace mesh::capi {
namespace {

char* CopyString(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) return nullptr;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

absl::Status SetBuf(meshsec_buf* out, std::string_view s) {
  char* p = CopyString(s);
  if (p == nullptr) return absl::ResourceExhaustedError("out of memory");
  out->data = reinterpret_cast<uint8_t*>(p);
  out->len = s.size();
  return absl::OkStatus();
}

// {"channel": id, "version": the version the handshake step settled on}.
absl::Status ChannelReply(const Context& ctx, const PortId& port, const ChannelId& id,
                          meshsec_buf* out) {
  MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end, ibc::GetChannel(ctx.store(), port, id));
  Json r = Json::Object();
  r.Add("channel", Json::Str(id.value()));
  r.Add("version", Json::Str(end.has_value() ? end->version : ""));
  return SetBuf(out, r.Write());
}

int Report(const absl::Status& st, char** err) {
  if (err != nullptr) *err = st.ok() ? nullptr : CopyString(st.ToString());
  return static_cast<int>(st.code());
}

// Runs `fn` (returning absl::Status) with every exception caught.
template <typename Fn>
int Guard(char** err, Fn fn) {
  if (err != nullptr) *err = nullptr;
  try {
    return Report(fn(), err);
  } catch (const std::exception& e) {
    return Report(absl::InternalError(absl::StrCat("meshsec: exception: ", e.what())), err);
  } catch (...) {
    return Report(absl::InternalError("meshsec: unknown exception"), err);
  }
}

absl::Status Null(const char* what) {
  return absl::InvalidArgumentError(absl::StrCat("meshsec: ", what, " is NULL"));
}

void ClearBuf(meshsec_buf* b) {
  if (b != nullptr) *b = meshsec_buf{nullptr, 0};
}

absl::StatusOr<Json> ParseJson(const char* text, size_t len, const char* what) {
  if (text == nullptr) return Null(what);
  absl::StatusOr<Json> j = Json::Parse(std::string_view(text, len));
  if (!j.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", j.status().message()));
  }
  return j;
}

absl::StatusOr<uint64_t> OptionalU64(JsonFields& f, std::string_view key) {
  const Json* v = f.Optional(key);
  if (v == nullptr) return uint64_t{0};
  absl::StatusOr<uint64_t> n = v->AsU64();
  if (!n.ok()) return f.FieldError(key, n.status());
  return n;
}

absl::StatusOr<std::string> OptionalString(JsonFields& f, std::string_view key) {
  const Json* v = f.Optional(key);
  if (v == nullptr) return std::string();
  absl::StatusOr<std::string> s = v->AsString();
  if (!s.ok()) return f.FieldError(key, s.status());
  return s;
}

absl::StatusOr<bool> OptionalBool(JsonFields& f, std::string_view key, bool dflt) {
  const Json* v = f.Optional(key);
  if (v == nullptr) return dflt;
  absl::StatusOr<bool> b = v->AsBool();
  if (!b.ok()) return f.FieldError(key, b.status());
  return b;
}

std::string Hex(std::string_view bytes) { return ToHex(bytes); }

// ---------------------------------------------------------------- packets

absl::StatusOr<ibc::Packet> ParsePacket(const char* text, size_t len) {
  MESH_ASSIGN_OR_RETURN(Json j, ParseJson(text, len, "packet"));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "packet"));
  ibc::Packet p;
  MESH_ASSIGN_OR_RETURN(p.sequence, f.U64("sequence"));
  MESH_ASSIGN_OR_RETURN(std::string sp, f.String("source_port"));
  MESH_ASSIGN_OR_RETURN(std::string sc, f.String("source_channel"));
  MESH_ASSIGN_OR_RETURN(std::string dp, f.String("destination_port"));
  MESH_ASSIGN_OR_RETURN(std::string dc, f.String("destination_channel"));
  MESH_ASSIGN_OR_RETURN(std::string data, f.String("data"));
  MESH_ASSIGN_OR_RETURN(p.timeout.height, OptionalU64(f, "timeout_height"));
  MESH_ASSIGN_OR_RETURN(p.timeout.timestamp_ns, OptionalU64(f, "timeout_timestamp_ns"));
  MESH_RETURN_IF_ERROR(f.Finish());
  absl::StatusOr<std::string> raw = Base64Decode(data);
  if (!raw.ok()) return f.FieldError("data", raw.status());
  p.source_port = PortId(sp);
  p.source_channel = ChannelId(sc);
  p.destination_port = PortId(dp);
  p.destination_channel = ChannelId(dc);
  p.data = *std::move(raw);
  return p;
}

Json PacketJson(const ibc::Packet& p) {
  Json j = Json::Object();
  j.Add("sequence", Json::U64(p.sequence));
  j.Add("source_port", Json::Str(p.source_port.value()));
  j.Add("source_channel", Json::Str(p.source_channel.value()));
  j.Add("destination_port", Json::Str(p.destination_port.value()));
  j.Add("destination_channel", Json::Str(p.destination_channel.value()));
  j.Add("data", Json::Str(Base64Encode(p.data)));
  j.Add("timeout_height", Json::U64(p.timeout.height));
  j.Add("timeout_timestamp_ns", Json::U64(p.timeout.timestamp_ns));
  return j;
}

absl::Status RequireChain(const meshsec_chain* chain) {
  if (chain == nullptr || chain->app == nullptr) return Null("chain");
  return absl::OkStatus();
}

absl::Status RequireOpenBlock(meshsec_chain* chain) {
  MESH_RETURN_IF_ERROR(RequireChain(chain));
  if (!chain->app->chain().block_open()) {
    return absl::FailedPreconditionError("meshsec: no open block (call meshsec_begin_block)");
  }
  return absl::OkStatus();
}

// The trusted client behind this chain's channel end (port, channel).
absl::StatusOr<TrustedClient*> ClientOfChannel(meshsec_chain* chain, const PortId& port,
                                               const ChannelId& channel, ibc::ChannelEnd* end_out) {
  MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end,
                        ibc::GetChannel(chain->app->QueryContext().store(), port, channel));
  if (!end.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("ibc: channel ", port.value(), "/", channel.value(), " not found"));
  }
  if (end_out != nullptr) *end_out = *end;
  MESH_ASSIGN_OR_RETURN(const ibc::CounterpartyClient* c,
                        chain->app->host().Client(end->connection));
  for (auto& mine : chain->clients) {
    if (mine.get() == c) return mine.get();
  }
  return absl::InternalError("meshsec: connection not registered through the C ABI");
}

absl::StatusOr<TrustedClient*> ClientOfConnection(meshsec_chain* chain, const ConnectionId& id) {
  MESH_ASSIGN_OR_RETURN(const ibc::CounterpartyClient* c, chain->app->host().Client(id));
  for (auto& mine : chain->clients) {
    if (mine.get() == c) return mine.get();
  }
  return absl::InternalError("meshsec: connection not registered through the C ABI");
}

// Runs `fn` with the client's attested facts cleared afterwards, whatever
// the outcome: a fact is trusted for exactly one call.
template <typename Fn>
auto WithFacts(TrustedClient* client, Fn fn) -> decltype(fn()) {
  client->Clear();
  auto result = fn();
  client->Clear();
  return result;
}

absl::StatusOr<ibc::Order> ParseOrder(const std::string& s) {
  if (s.empty() || s == "unordered") return ibc::Order::kUnordered;
  if (s == "ordered") return ibc::Order::kOrdered;
  return absl::InvalidArgumentError(absl::StrCat("order: expected unordered|ordered, got ", s));
}

// ---------------------------------------------------------------- blocks

absl::StatusOr<std::string> HexField(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::string hex, f.String(key));
  absl::StatusOr<std::string> raw = FromHex(hex);
  if (!raw.ok()) return f.FieldError(key, raw.status());
  return raw;
}

absl::StatusOr<app::VoteInfo> ParseVote(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "vote"));
  app::VoteInfo v;
  MESH_ASSIGN_OR_RETURN(v.validator_address, HexField(f, "validator_address"));
  MESH_ASSIGN_OR_RETURN(v.power, f.U64("power"));
  MESH_ASSIGN_OR_RETURN(v.signed_last_block, OptionalBool(f, "signed", true));
  MESH_RETURN_IF_ERROR(f.Finish());
  return v;
}

absl::StatusOr<app::Misbehavior> ParseMisbehavior(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "misbehavior"));
  app::Misbehavior m;
  MESH_ASSIGN_OR_RETURN(std::string type, f.String("type"));
  if (type == "duplicate_vote") {
    m.type = app::MisbehaviorType::kDuplicateVote;
  } else if (type == "light_client_attack") {
    m.type = app::MisbehaviorType::kLightClientAttack;
  } else {
    return f.FieldError(
        "type", absl::InvalidArgumentError("expected duplicate_vote or light_client_attack"));
  }
  MESH_ASSIGN_OR_RETURN(m.validator_address, HexField(f, "validator_address"));
  MESH_ASSIGN_OR_RETURN(m.power, f.U64("power"));
  MESH_ASSIGN_OR_RETURN(uint64_t h, f.U64("height"));
  if (h > static_cast<uint64_t>(INT64_MAX)) {
    return f.FieldError("height", absl::OutOfRangeError("above 2^63-1"));
  }
  m.height = static_cast<int64_t>(h);
  MESH_ASSIGN_OR_RETURN(m.time_ns, OptionalU64(f, "time_ns"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return m;
}

struct ParsedBlock {
  app::BlockRequest req;
  bool all_signed = false;
};

absl::StatusOr<ParsedBlock> ParseBlock(const char* text, size_t len) {
  MESH_ASSIGN_OR_RETURN(Json j, ParseJson(text, len, "block request"));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "block request"));
  ParsedBlock out;
  MESH_ASSIGN_OR_RETURN(out.req.time_ns, f.U64("time_ns"));
  MESH_ASSIGN_OR_RETURN(std::string proposer, OptionalString(f, "proposer_address"));
  absl::StatusOr<std::string> p = FromHex(proposer);
  if (!p.ok()) return f.FieldError("proposer_address", p.status());
  out.req.proposer_address = *p;
  MESH_ASSIGN_OR_RETURN(out.all_signed, OptionalBool(f, "all_signed", false));
  if (const Json* votes = f.Optional("votes"); votes != nullptr) {
    absl::StatusOr<const std::vector<Json>*> items = votes->AsArray();
    if (!items.ok()) return f.FieldError("votes", items.status());
    for (const Json& v : **items) {
      absl::StatusOr<app::VoteInfo> vote = ParseVote(v);
      if (!vote.ok()) return f.FieldError("votes", vote.status());
      out.req.decided_last_commit.push_back(*std::move(vote));
    }
  }
  if (const Json* mis = f.Optional("misbehavior"); mis != nullptr) {
    absl::StatusOr<const std::vector<Json>*> items = mis->AsArray();
    if (!items.ok()) return f.FieldError("misbehavior", items.status());
    for (const Json& v : **items) {
      absl::StatusOr<app::Misbehavior> m = ParseMisbehavior(v);
      if (!m.ok()) return f.FieldError("misbehavior", m.status());
      out.req.misbehavior.push_back(*std::move(m));
    }
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  if (out.all_signed && !out.req.decided_last_commit.empty()) {
    return absl::InvalidArgumentError("block request: all_signed and votes are exclusive");
  }
  return out;
}

// ---------------------------------------------------------------- queries

Json RangeJson(const provider::AmountRange& r) {
  Json j = Json::Object();
  j.Add("low", Json::Str(r.low().ToString()));
  j.Add("high", Json::Str(r.high().ToString()));
  return j;
}

const char* StatusName(staking::BondStatus s) {
  switch (s) {
    case staking::BondStatus::kBonded:
      return "bonded";
    case staking::BondStatus::kUnbonding:
      return "unbonding";
    case staking::BondStatus::kUnbonded:
      return "unbonded";
  }
  return "unknown";
}

absl::StatusOr<Json> ValidatorJson(const Context& ctx, const staking::Validator& v) {
  MESH_ASSIGN_OR_RETURN(staking::Params params, staking::Staking::GetParams(ctx));
  Json j = Json::Object();
  j.Add("operator_address", Json::Str(v.operator_address.value()));
  j.Add("operator_account", Json::Str(v.operator_account.value()));
  j.Add("status", Json::Str(StatusName(v.status)));
  j.Add("tokens", Json::Str(v.tokens.ToString()));
  j.Add("delegator_shares", Json::Str(v.delegator_shares.ToString()));
  j.Add("jailed", Json::Bool(v.jailed));
  j.Add("tombstoned", Json::Bool(v.tombstoned));
  j.Add("power", Json::U64(v.ConsensusPower(params.power_reduction)));
  j.Add("consensus_pubkey", Json::Str(Base64Encode(v.consensus_pubkey)));
  j.Add("consensus_address",
        Json::Str(Hex(app::Application::ConsensusAddress(v.consensus_pubkey))));
  return j;
}

using QueryFn = absl::StatusOr<Json> (*)(meshsec_chain*, JsonFields&);

absl::StatusOr<Json> QueryInfo(meshsec_chain* c, JsonFields&) {
  const node::Chain& ch = c->app->chain();
  Json j = Json::Object();
  j.Add("chain_id", Json::Str(c->app->genesis().chain_id));
  j.Add("bech32_prefix", Json::Str(c->app->genesis().bech32_prefix));
  j.Add("denom", Json::Str(c->app->genesis().denom.value()));
  j.Add("height", Json::U64(ch.height()));
  j.Add("time_ns", Json::U64(ch.time_ns()));
  j.Add("app_hash", Json::Str(ToHex(ch.app_hash())));
  j.Add("block_open", Json::Bool(ch.block_open()));
  j.Add("provider", Json::Bool(c->app->is_provider()));
  j.Add("consumer", Json::Bool(c->app->is_consumer()));
  return j;
}

// The signer data of an account (NotFound when it has none).
absl::StatusOr<Json> QueryAccount(meshsec_chain* c, JsonFields& f) {
  MESH_ASSIGN_OR_RETURN(std::string who, f.String("address"));
  MESH_ASSIGN_OR_RETURN(staking::BaseAccount acc,
                        c->app->chain().GetAccount(AccountAddress(who)));
  Json j = Json::Object();
  j.Add("address", Json::Str(acc.address));
  j.Add("account_number", Json::U64(acc.account_number));
  j.Add("sequence", Json::U64(acc.sequence));
  j.Add("pubkey", Json::Str(Base64Encode(acc.pubkey)));
  return j;
}

absl::StatusOr<Json> QueryBalance(meshsec_chain* c, JsonFields& f) {
  MESH_ASSIGN_OR_RETURN(std::string who, f.String("address"));
  MESH_ASSIGN_OR_RETURN(std::string denom, OptionalString(f, "denom"));
  if (denom.empty()) denom = c->app->genesis().denom.value();
  MESH_ASSIGN_OR_RETURN(
      Amount a, staking::Bank::Balance(c->app->QueryContext(), AccountAddress(who), Denom(denom)));
  Json j = Json::Object();
  j.Add("denom", Json::Str(denom));
  j.Add("amount", Json::Str(a.ToString()));
  return j;
}

absl::StatusOr<Json> QueryValidator(meshsec_chain* c, JsonFields& f) {
  MESH_ASSIGN_OR_RETURN(std::string val, f.String("validator"));
  const Context ctx = c->app->QueryContext();
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        staking::Staking::GetValidator(ctx, ValidatorAddress(val)));
  if (!v.has_value()) return absl::NotFoundError(absl::StrCat("validator ", val, " not found"));
  return ValidatorJson(ctx, *v);
}

absl::StatusOr<Json> QueryValidators(meshsec_chain* c, JsonFields&) {
  const Context ctx = c->app->QueryContext();
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> all, staking::Staking::AllValidators(ctx));
  Json arr = Json::Array();
  for (const staking::Validator& v : all) {
    MESH_ASSIGN_OR_RETURN(Json j, ValidatorJson(ctx, v));
    arr.Push(std::move(j));
  }
  return arr;
}

absl::StatusOr<Json> QueryDelegation(meshsec_chain* c, JsonFields& f) {
  MESH_ASSIGN_OR_RETURN(std::string del, f.String("delegator"));
  MESH_ASSIGN_OR_RETURN(std::string val, f.String("validator"));
  const Context ctx = c->app->QueryContext();
  MESH_ASSIGN_OR_RETURN(
      std::optional<staking::Delegation> d,
      staking::Staking::GetDelegation(ctx, AccountAddress(del), ValidatorAddress(val)));
  if (!d.has_value()) return absl::NotFoundError("delegation not found");
  MESH_ASSIGN_OR_RETURN(Amount tokens, staking::Staking::DelegationTokens(ctx, AccountAddress(del),
                                                                          ValidatorAddress(val)));
  Json j = Json::Object();
  j.Add("shares", Json::Str(d->shares.ToString()));
  j.Add("tokens", Json::Str(tokens.ToString()));
  return j;
}

absl::Status RequireProvider(meshsec_chain* c) {
  if (!c->app->is_provider()) return absl::FailedPreconditionError("not a provider chain");
  return absl::OkStatus();
}

absl::StatusOr<Json> QueryVaultAccount(meshsec_chain* c, JsonFields& f) {
  MESH_RETURN_IF_ERROR(RequireProvider(c));
  MESH_ASSIGN_OR_RETURN(std::string who, f.String("address"));
  MESH_ASSIGN_OR_RETURN(provider::AccountInfo a,
                        provider::Vault::Account(c->app->QueryContext(), AccountAddress(who)));
  Json j = Json::Object();
  j.Add("denom", Json::Str(a.denom.value()));
  j.Add("bonded", Json::Str(a.bonded.ToString()));
  j.Add("free", RangeJson(a.free));
  j.Add("max_lien", RangeJson(a.max_lien));
  j.Add("total_slashable", RangeJson(a.total_slashable));
  return j;
}

absl::StatusOr<Json> QueryExternalStake(meshsec_chain* c, JsonFields& f) {
  MESH_RETURN_IF_ERROR(RequireProvider(c));
  MESH_ASSIGN_OR_RETURN(std::string consumer, f.String("consumer"));
  MESH_ASSIGN_OR_RETURN(std::string user, f.String("user"));
  MESH_ASSIGN_OR_RETURN(std::string val, f.String("validator"));
  MESH_ASSIGN_OR_RETURN(
      provider::Stake s,
      provider::ExternalStaking::GetStake(c->app->QueryContext(), provider::ConsumerId(consumer),
                                          AccountAddress(user), ValidatorAddress(val)));
  Json unbonds = Json::Array();
  for (const provider::PendingUnbond& u : s.pending_unbonds) {
    Json e = Json::Object();
    e.Add("amount", Json::Str(u.amount.ToString()));
    e.Add("release_at_ns", Json::U64(u.release_at_ns));
    unbonds.Push(std::move(e));
  }
  Json j = Json::Object();
  j.Add("stake", RangeJson(s.stake));
  j.Add("pending_unbonds", std::move(unbonds));
  j.Add("withdrawn_funds", Json::Str(s.withdrawn_funds.ToString()));
  return j;
}

absl::StatusOr<Json> QueryBondRequest(meshsec_chain* c, JsonFields& f) {
  if (!c->app->is_consumer()) return absl::FailedPreconditionError("not a consumer chain");
  MESH_ASSIGN_OR_RETURN(std::string prov, f.String("provider"));
  MESH_ASSIGN_OR_RETURN(std::string val, f.String("validator"));
  const Context ctx = c->app->QueryContext();
  const consumer::ProviderId id(prov);
  MESH_ASSIGN_OR_RETURN(Amount requested,
                        consumer::VirtualStaking::BondRequest(ctx, id, ValidatorAddress(val)));
  MESH_ASSIGN_OR_RETURN(Amount delegated,
                        consumer::VirtualStaking::ActualDelegation(ctx, id, ValidatorAddress(val)));
  Json j = Json::Object();
  j.Add("bond_request", Json::Str(requested.ToString()));
  j.Add("delegated", Json::Str(delegated.ToString()));
  return j;
}

absl::StatusOr<Json> QueryChannels(meshsec_chain* c, JsonFields&) {
  MESH_ASSIGN_OR_RETURN(auto all, ibc::ListChannels(c->app->QueryContext().store()));
  Json arr = Json::Array();
  for (const auto& [pc, end] : all) {
    Json j = Json::Object();
    j.Add("port", Json::Str(pc.port.value()));
    j.Add("channel", Json::Str(pc.channel.value()));
    j.Add("state", Json::Str(ibc::StateName(end.state)));
    j.Add("order", Json::Str(ibc::OrderName(end.order)));
    j.Add("connection", Json::Str(end.connection.value()));
    j.Add("counterparty_port", Json::Str(end.counterparty_port.value()));
    j.Add("counterparty_channel", Json::Str(end.counterparty_channel.value()));
    j.Add("version", Json::Str(end.version));
    arr.Push(std::move(j));
  }
  return arr;
}

absl::StatusOr<QueryFn> QueryFor(std::string_view path) {
  static const std::pair<std::string_view, QueryFn> kPaths[] = {
      {"chain/info", QueryInfo},
      {"auth/account", QueryAccount},
      {"bank/balance", QueryBalance},
      {"staking/validator", QueryValidator},
      {"staking/validators", QueryValidators},
      {"staking/delegation", QueryDelegation},
      {"vault/account", QueryVaultAccount},
      {"external/stake", QueryExternalStake},
      {"consumer/bond_request", QueryBondRequest},
      {"ibc/channels", QueryChannels},
  };
  for (const auto& [p, fn] : kPaths) {
    if (p == path) return fn;
  }
  return absl::NotFoundError(absl::StrCat("meshsec: unknown query path '", std::string(path), "'"));
}

// Parses {"port","channel"} for the close steps.
absl::Status ParsePortChannel(const char* json, size_t len, const char* what, PortId* port,
                              ChannelId* channel) {
  MESH_ASSIGN_OR_RETURN(Json j, ParseJson(json, len, what));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, what));
  MESH_ASSIGN_OR_RETURN(std::string p, f.String("port"));
  MESH_ASSIGN_OR_RETURN(std::string c, f.String("channel"));
  MESH_RETURN_IF_ERROR(f.Finish());
  *port = PortId(p);
  *channel = ChannelId(c);
  return absl::OkStatus();
}

Json TxResultJson(const node::TxResult& r) {
  Json j = Json::Object();
  j.Add("code", Json::U64(r.code));
  j.Add("codespace", Json::Str(r.codespace));
  j.Add("log", Json::Str(r.log));
  j.Add("gas_wanted", Json::U64(r.gas_wanted));
  j.Add("gas_used", Json::U64(r.gas_used));
  Json events = Json::Array();
  for (const node::Event& e : r.events) {
    Json ej = Json::Object();
    ej.Add("type", Json::Str(e.type));
    Json attrs = Json::Array();
    for (const auto& [k, v] : e.attributes) {
      Json a = Json::Object();
      a.Add("key", Json::Str(k));
      a.Add("value", Json::Str(v));
      attrs.Push(std::move(a));
    }
    ej.Add("attributes", std::move(attrs));
    events.Push(std::move(ej));
  }
  j.Add("events", std::move(events));
  return j;
}

}  // namespace
}  // namespace mesh::capi

// ================================================================== C ABI

using namespace mesh;        // NOLINT: the implementation file of the ABI
using namespace mesh::capi;  // NOLINT

extern "C" {

void meshsec_free(void* p) { std::free(p); }

const char* meshsec_version(void) { return "0.1.0"; }

int meshsec_chain_open(const char* genesis_json, size_t genesis_len, const meshsec_store* store,
                       meshsec_chain** chain, char** err) {
  return Guard(err, [&]() -> absl::Status {
    if (chain == nullptr) return Null("chain out-pointer");
    *chain = nullptr;
    if (store == nullptr) return Null("store");
    if (genesis_json == nullptr) return Null("genesis_json");
    if (store->get == nullptr || store->set == nullptr || store->del == nullptr ||
        store->iter_open == nullptr || store->iter_next == nullptr ||
        store->iter_close == nullptr) {
      return absl::InvalidArgumentError("meshsec: every store callback must be set");
    }
    MESH_ASSIGN_OR_RETURN(app::GenesisDoc doc,
                          app::GenesisDoc::Parse(std::string_view(genesis_json, genesis_len)));
    auto handle = std::make_unique<meshsec_chain>();
    MESH_ASSIGN_OR_RETURN(
        handle->app,
        app::Application::Open(std::move(doc), std::make_unique<CallbackStore>(*store)));
    *chain = handle.release();
    return absl::OkStatus();
  });
}

int meshsec_chain_init(meshsec_chain* chain, char** err) {
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireChain(chain));
    return chain->app->InitChain();
  });
}

void meshsec_chain_close(meshsec_chain* chain) {
  try {
    delete chain;
  } catch (...) {
  }
}

int meshsec_begin_block(meshsec_chain* chain, const char* request_json, size_t request_len,
                        char** err) {
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireChain(chain));
    MESH_ASSIGN_OR_RETURN(ParsedBlock b, ParseBlock(request_json, request_len));
    app::Application& a = *chain->app;
    MESH_RETURN_IF_ERROR(a.chain().BeginBlock(b.req.time_ns));
    absl::Status st = [&]() -> absl::Status {
      if (b.all_signed) {
        MESH_ASSIGN_OR_RETURN(b.req.decided_last_commit, a.AllSignedVotes());
      }
      return a.ApplyConsensusInputs(b.req);
    }();
    // A block whose consensus inputs fail is dropped, so the host may retry.
    if (!st.ok()) (void)a.chain().AbandonBlock();
    return st;
  });
}

namespace {

// meshsec_check_tx / meshsec_deliver_tx: the TxRaw bytes checked (`deliver`
// false: no open block needed, nothing written) or delivered in the open
// block; the result as JSON.
int TxEntry(meshsec_chain* chain, const uint8_t* tx, size_t tx_len, meshsec_buf* result_json,
            char** err, bool deliver) {
  ClearBuf(result_json);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(deliver ? RequireOpenBlock(chain) : RequireChain(chain));
    if (tx == nullptr) return Null("tx");
    if (result_json == nullptr) return Null("result_json");
    const std::string_view bytes(reinterpret_cast<const char*>(tx), tx_len);
    const node::TxResult r = deliver ? chain->app->chain().DeliverTxBytes(bytes)
                                     : chain->app->chain().CheckTxBytes(bytes);
    return SetBuf(result_json, TxResultJson(r).Write());
  });
}

}  // namespace

int meshsec_deliver_tx(meshsec_chain* chain, const uint8_t* tx, size_t tx_len,
                       meshsec_buf* result_json, char** err) {
  return TxEntry(chain, tx, tx_len, result_json, err, /*deliver=*/true);
}

int meshsec_check_tx(meshsec_chain* chain, const uint8_t* tx, size_t tx_len,
                     meshsec_buf* result_json, char** err) {
  return TxEntry(chain, tx, tx_len, result_json, err, /*deliver=*/false);
}

int meshsec_end_block(meshsec_chain* chain, meshsec_buf* updates_json, char** err) {
  ClearBuf(updates_json);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (updates_json == nullptr) return Null("updates_json");
    MESH_ASSIGN_OR_RETURN(std::vector<app::ConsensusUpdate> updates, chain->app->EndBlock());
    Json arr = Json::Array();
    for (const app::ConsensusUpdate& u : updates) {
      Json j = Json::Object();
      j.Add("pub_key", Json::Str(Base64Encode(u.pub_key)));
      j.Add("power", Json::U64(static_cast<uint64_t>(u.power)));
      arr.Push(std::move(j));
    }
    return SetBuf(updates_json, arr.Write());
  });
}

int meshsec_commit(meshsec_chain* chain, meshsec_buf* app_hash, char** err) {
  ClearBuf(app_hash);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireChain(chain));
    if (app_hash == nullptr) return Null("app_hash");
    MESH_ASSIGN_OR_RETURN(Hash256 h, chain->app->Commit());
    return SetBuf(app_hash, std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
  });
}

int meshsec_query(meshsec_chain* chain, const char* path, const char* request_json,
                  size_t request_len, meshsec_buf* response_json, char** err) {
  ClearBuf(response_json);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireChain(chain));
    if (path == nullptr) return Null("path");
    if (response_json == nullptr) return Null("response_json");
    MESH_ASSIGN_OR_RETURN(QueryFn fn, QueryFor(path));
    Json req = Json::Object();
    if (request_json != nullptr && request_len > 0) {
      MESH_ASSIGN_OR_RETURN(req, ParseJson(request_json, request_len, "query request"));
    }
    MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(req, path));
    MESH_ASSIGN_OR_RETURN(Json out, fn(chain, f));
    MESH_RETURN_IF_ERROR(f.Finish());
    return SetBuf(response_json, out.Write());
  });
}

// ---------------------------------------------------------------- IBC

int meshsec_ibc_register_connection(meshsec_chain* chain, const char* counterparty_connection_id,
                                    meshsec_buf* connection_id, char** err) {
  ClearBuf(connection_id);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireChain(chain));
    if (counterparty_connection_id == nullptr) return Null("counterparty_connection_id");
    if (connection_id == nullptr) return Null("connection_id");
    if (*counterparty_connection_id == '\0') {
      return absl::InvalidArgumentError("meshsec: empty counterparty connection id");
    }
    chain->clients.push_back(
        std::make_unique<TrustedClient>(ConnectionId(counterparty_connection_id)));
    const ConnectionId id = chain->app->host().AddConnection(chain->clients.back().get());
    return SetBuf(connection_id, id.value());
  });
}

int meshsec_ibc_chan_open_init(meshsec_chain* chain, const char* json, size_t len, meshsec_buf* out,
                               char** err) {
  ClearBuf(out);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (out == nullptr) return Null("out");
    MESH_ASSIGN_OR_RETURN(Json j, ParseJson(json, len, "chan_open_init"));
    MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "chan_open_init"));
    MESH_ASSIGN_OR_RETURN(std::string port, f.String("port"));
    MESH_ASSIGN_OR_RETURN(std::string conn, f.String("connection"));
    MESH_ASSIGN_OR_RETURN(std::string cp_port, f.String("counterparty_port"));
    MESH_ASSIGN_OR_RETURN(std::string order_s, OptionalString(f, "order"));
    MESH_ASSIGN_OR_RETURN(std::string version, OptionalString(f, "version"));
    MESH_RETURN_IF_ERROR(f.Finish());
    MESH_ASSIGN_OR_RETURN(ibc::Order order, ParseOrder(order_s));
    const Context ctx = chain->app->QueryContext();
    MESH_ASSIGN_OR_RETURN(ChannelId id,
                          chain->app->host().ChanOpenInit(ctx, PortId(port), ConnectionId(conn),
                                                          PortId(cp_port), order, version));
    return ChannelReply(ctx, PortId(port), id, out);
  });
}

int meshsec_ibc_chan_open_try(meshsec_chain* chain, const char* json, size_t len, meshsec_buf* out,
                              char** err) {
  ClearBuf(out);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (out == nullptr) return Null("out");
    MESH_ASSIGN_OR_RETURN(Json j, ParseJson(json, len, "chan_open_try"));
    MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "chan_open_try"));
    MESH_ASSIGN_OR_RETURN(std::string port, f.String("port"));
    MESH_ASSIGN_OR_RETURN(std::string conn, f.String("connection"));
    MESH_ASSIGN_OR_RETURN(std::string cp_port, f.String("counterparty_port"));
    MESH_ASSIGN_OR_RETURN(std::string cp_channel, f.String("counterparty_channel"));
    MESH_ASSIGN_OR_RETURN(std::string order_s, OptionalString(f, "order"));
    MESH_ASSIGN_OR_RETURN(std::string cp_version, OptionalString(f, "counterparty_version"));
    MESH_RETURN_IF_ERROR(f.Finish());
    MESH_ASSIGN_OR_RETURN(ibc::Order order, ParseOrder(order_s));
    MESH_ASSIGN_OR_RETURN(TrustedClient * client, ClientOfConnection(chain, ConnectionId(conn)));
    const Context ctx = chain->app->QueryContext();
    absl::StatusOr<ChannelId> tried = WithFacts(client, [&]() -> absl::StatusOr<ChannelId> {
      // Attested: the counterparty's end is INIT, pointing at our port.
      ibc::ChannelEnd cp{ibc::ChannelState::kInit,
                         order,
                         client->CounterpartyConnection(),
                         PortId(port),
                         ChannelId(),
                         cp_version};
      MESH_RETURN_IF_ERROR(
          ibc::PutChannel(client->facts(), PortId(cp_port), ChannelId(cp_channel), cp));
      return chain->app->host().ChanOpenTry(ctx, PortId(port), ConnectionId(conn), PortId(cp_port),
                                            ChannelId(cp_channel), order, cp_version);
    });
    MESH_ASSIGN_OR_RETURN(ChannelId id, std::move(tried));
    return ChannelReply(ctx, PortId(port), id, out);
  });
}

int meshsec_ibc_chan_open_ack(meshsec_chain* chain, const char* json, size_t len, meshsec_buf* out,
                              char** err) {
  ClearBuf(out);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (out == nullptr) return Null("out");
    MESH_ASSIGN_OR_RETURN(Json j, ParseJson(json, len, "chan_open_ack"));
    MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "chan_open_ack"));
    MESH_ASSIGN_OR_RETURN(std::string port, f.String("port"));
    MESH_ASSIGN_OR_RETURN(std::string channel, f.String("channel"));
    MESH_ASSIGN_OR_RETURN(std::string cp_channel, f.String("counterparty_channel"));
    MESH_ASSIGN_OR_RETURN(std::string cp_version, OptionalString(f, "counterparty_version"));
    MESH_RETURN_IF_ERROR(f.Finish());
    ibc::ChannelEnd mine;
    MESH_ASSIGN_OR_RETURN(TrustedClient * client,
                          ClientOfChannel(chain, PortId(port), ChannelId(channel), &mine));
    const absl::Status acked = WithFacts(client, [&]() -> absl::Status {
      // Attested: the counterparty's end is TRYOPEN, pointing at our channel.
      ibc::ChannelEnd cp{
          ibc::ChannelState::kTryOpen, mine.order, client->CounterpartyConnection(), PortId(port),
          ChannelId(channel),          cp_version};
      MESH_RETURN_IF_ERROR(
          ibc::PutChannel(client->facts(), mine.counterparty_port, ChannelId(cp_channel), cp));
      return chain->app->host().ChanOpenAck(chain->app->QueryContext(), PortId(port),
                                            ChannelId(channel), ChannelId(cp_channel), cp_version);
    });
    MESH_RETURN_IF_ERROR(acked);
    return SetBuf(out, "{}");
  });
}

int meshsec_ibc_chan_open_confirm(meshsec_chain* chain, const char* json, size_t len,
                                  meshsec_buf* out, char** err) {
  ClearBuf(out);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (out == nullptr) return Null("out");
    MESH_ASSIGN_OR_RETURN(Json j, ParseJson(json, len, "chan_open_confirm"));
    MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "chan_open_confirm"));
    MESH_ASSIGN_OR_RETURN(std::string port, f.String("port"));
    MESH_ASSIGN_OR_RETURN(std::string channel, f.String("channel"));
    MESH_RETURN_IF_ERROR(f.Finish());
    ibc::ChannelEnd mine;
    MESH_ASSIGN_OR_RETURN(TrustedClient * client,
                          ClientOfChannel(chain, PortId(port), ChannelId(channel), &mine));
    const absl::Status confirmed = WithFacts(client, [&]() -> absl::Status {
      // Attested: the counterparty's end is OPEN, pointing at our channel.
      ibc::ChannelEnd cp{
          ibc::ChannelState::kOpen, mine.order,  client->CounterpartyConnection(), PortId(port),
          ChannelId(channel),       mine.version};
      MESH_RETURN_IF_ERROR(
          ibc::PutChannel(client->facts(), mine.counterparty_port, mine.counterparty_channel, cp));
      return chain->app->host().ChanOpenConfirm(chain->app->QueryContext(), PortId(port),
                                                ChannelId(channel));
    });
    MESH_RETURN_IF_ERROR(confirmed);
    return SetBuf(out, "{}");
  });
}

int meshsec_ibc_chan_close_init(meshsec_chain* chain, const char* json, size_t len,
                                meshsec_buf* out, char** err) {
  ClearBuf(out);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (out == nullptr) return Null("out");
    PortId port;
    ChannelId channel;
    MESH_RETURN_IF_ERROR(ParsePortChannel(json, len, "chan_close_init", &port, &channel));
    MESH_RETURN_IF_ERROR(
        chain->app->host().ChanCloseInit(chain->app->QueryContext(), port, channel));
    return SetBuf(out, "{}");
  });
}

int meshsec_ibc_chan_close_confirm(meshsec_chain* chain, const char* json, size_t len,
                                   meshsec_buf* out, char** err) {
  ClearBuf(out);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (out == nullptr) return Null("out");
    PortId port;
    ChannelId channel;
    MESH_RETURN_IF_ERROR(ParsePortChannel(json, len, "chan_close_confirm", &port, &channel));
    ibc::ChannelEnd mine;
    MESH_ASSIGN_OR_RETURN(TrustedClient * client, ClientOfChannel(chain, port, channel, &mine));
    const absl::Status closed = WithFacts(client, [&]() -> absl::Status {
      // Attested: the counterparty's end is CLOSED.
      ibc::ChannelEnd cp{ibc::ChannelState::kClosed,
                         mine.order,
                         client->CounterpartyConnection(),
                         port,
                         channel,
                         mine.version};
      MESH_RETURN_IF_ERROR(
          ibc::PutChannel(client->facts(), mine.counterparty_port, mine.counterparty_channel, cp));
      return chain->app->host().ChanCloseConfirm(chain->app->QueryContext(), port, channel);
    });
    MESH_RETURN_IF_ERROR(closed);
    return SetBuf(out, "{}");
  });
}

int meshsec_ibc_recv_packet(meshsec_chain* chain, const char* packet_json, size_t packet_len,
                            meshsec_buf* ack, char** err) {
  ClearBuf(ack);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (ack == nullptr) return Null("ack");
    MESH_ASSIGN_OR_RETURN(ibc::Packet p, ParsePacket(packet_json, packet_len));
    MESH_ASSIGN_OR_RETURN(TrustedClient * client, ClientOfChannel(chain, p.destination_port,
                                                                  p.destination_channel, nullptr));
    absl::StatusOr<ibc::RecvResult> received =
        WithFacts(client, [&]() -> absl::StatusOr<ibc::RecvResult> {
          // Attested: the source committed exactly this packet.
          MESH_RETURN_IF_ERROR(
              ibc::PutHash(client->facts(),
                           ibc::PacketKey(ibc::kPacketCommitmentTable, p.source_port,
                                          p.source_channel, p.sequence),
                           ibc::PacketCommitment(p)));
          return chain->app->host().RecvPacket(chain->app->QueryContext(), p);
        });
    MESH_ASSIGN_OR_RETURN(ibc::RecvResult r, std::move(received));
    return SetBuf(ack, r.outcome == ibc::Outcome::kApplied ? r.ack : "");
  });
}

int meshsec_ibc_acknowledge(meshsec_chain* chain, const char* packet_json, size_t packet_len,
                            const uint8_t* ack, size_t ack_len, char** err) {
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    if (ack == nullptr) return Null("ack");
    MESH_ASSIGN_OR_RETURN(ibc::Packet p, ParsePacket(packet_json, packet_len));
    const std::string_view a(reinterpret_cast<const char*>(ack), ack_len);
    MESH_ASSIGN_OR_RETURN(TrustedClient * client,
                          ClientOfChannel(chain, p.source_port, p.source_channel, nullptr));
    return WithFacts(client, [&]() -> absl::Status {
      // Attested: the destination wrote exactly this acknowledgement.
      MESH_RETURN_IF_ERROR(ibc::PutHash(client->facts(),
                                        ibc::PacketKey(ibc::kAckCommitmentTable, p.destination_port,
                                                       p.destination_channel, p.sequence),
                                        ibc::AckCommitment(a)));
      return chain->app->host().AcknowledgePacket(chain->app->QueryContext(), p, a).status();
    });
  });
}

int meshsec_ibc_timeout(meshsec_chain* chain, const char* packet_json, size_t packet_len,
                        uint64_t counterparty_height, uint64_t counterparty_time_ns, char** err) {
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    MESH_ASSIGN_OR_RETURN(ibc::Packet p, ParsePacket(packet_json, packet_len));
    MESH_ASSIGN_OR_RETURN(TrustedClient * client,
                          ClientOfChannel(chain, p.source_port, p.source_channel, nullptr));
    return WithFacts(client, [&]() -> absl::Status {
      // Attested: the destination reached (height, time) and holds no receipt.
      client->SetLatest(counterparty_height, counterparty_time_ns);
      return chain->app->host().TimeoutPacket(chain->app->QueryContext(), p).status();
    });
  });
}

int meshsec_ibc_timeout_on_close(meshsec_chain* chain, const char* packet_json, size_t packet_len,
                                 char** err) {
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireOpenBlock(chain));
    MESH_ASSIGN_OR_RETURN(ibc::Packet p, ParsePacket(packet_json, packet_len));
    ibc::ChannelEnd mine;
    MESH_ASSIGN_OR_RETURN(TrustedClient * client,
                          ClientOfChannel(chain, p.source_port, p.source_channel, &mine));
    return WithFacts(client, [&]() -> absl::Status {
      // Attested: the destination end is CLOSED and holds no receipt.
      ibc::ChannelEnd dest{
          ibc::ChannelState::kClosed, mine.order,  client->CounterpartyConnection(), p.source_port,
          p.source_channel,           mine.version};
      MESH_RETURN_IF_ERROR(
          ibc::PutChannel(client->facts(), p.destination_port, p.destination_channel, dest));
      return chain->app->host().TimeoutOnClose(chain->app->QueryContext(), p).status();
    });
  });
}

int meshsec_ibc_take_outgoing(meshsec_chain* chain, meshsec_buf* packets_json, char** err) {
  ClearBuf(packets_json);
  return Guard(err, [&]() -> absl::Status {
    MESH_RETURN_IF_ERROR(RequireChain(chain));
    if (packets_json == nullptr) return Null("packets_json");
    if (chain->app->chain().block_open()) {
      return absl::FailedPreconditionError("meshsec: take outgoing packets after commit");
    }
    MESH_ASSIGN_OR_RETURN(std::vector<ibc::Packet> unsettled,
                          ibc::ListUnsettledPackets(chain->app->QueryContext().store()));
    std::set<std::tuple<std::string, std::string, uint64_t>> still;
    Json arr = Json::Array();
    for (const ibc::Packet& p : unsettled) {
      auto key = std::make_tuple(p.source_port.value(), p.source_channel.value(), p.sequence);
      if (!chain->handed_out.contains(key)) arr.Push(PacketJson(p));
      still.insert(std::move(key));
    }
    MESH_RETURN_IF_ERROR(SetBuf(packets_json, arr.Write()));
    chain->handed_out = std::move(still);
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------- helpers

int meshsec_devnet_genesis(const char* chain_ids_json, const char* chain_id,
                           uint64_t genesis_time_ns, meshsec_buf* genesis_json, char** err) {
  ClearBuf(genesis_json);
  return Guard(err, [&]() -> absl::Status {
    if (chain_ids_json == nullptr) return Null("chain_ids_json");
    if (chain_id == nullptr) return Null("chain_id");
    if (genesis_json == nullptr) return Null("genesis_json");
    MESH_ASSIGN_OR_RETURN(Json j,
                          ParseJson(chain_ids_json, std::strlen(chain_ids_json), "chain ids"));
    MESH_ASSIGN_OR_RETURN(const std::vector<Json>* items, j.AsArray());
    std::vector<std::string> ids;
    for (const Json& item : *items) {
      MESH_ASSIGN_OR_RETURN(std::string id, item.AsString());
      ids.push_back(std::move(id));
    }
    if (std::find(ids.begin(), ids.end(), chain_id) == ids.end()) {
      return absl::InvalidArgumentError("meshsec: chain_id is not among chain_ids");
    }
#ifdef MESHSEC_CAPI_HAVE_DEVNET
    app::GenesisDoc doc = app::Devnet::MeshGenesis(ids, chain_id, genesis_time_ns);
    return SetBuf(genesis_json, doc.ToJson().Write());
#else
    (void)genesis_time_ns;
    return absl::UnimplementedError("meshsec: built without the devnet");
#endif
  });
}

int meshsec_demo_account(const char* seed, const char* prefix, meshsec_buf* json, char** err) {
  ClearBuf(json);
  return Guard(err, [&]() -> absl::Status {
    if (seed == nullptr) return Null("seed");
    if (prefix == nullptr) return Null("prefix");
    if (json == nullptr) return Null("json");
    const std::string pub = PrivateKey::FromSeed(seed).PublicKey();
    const AccountAddress addr(AccountAddressOf(prefix, pub));
    MESH_ASSIGN_OR_RETURN(ValidatorAddress valoper, node::ValoperOfAccount(addr));
    Json j = Json::Object();
    j.Add("address", Json::Str(addr.value()));
    j.Add("valoper", Json::Str(valoper.value()));
    j.Add("pubkey", Json::Str(Base64Encode(pub)));
    return SetBuf(json, j.Write());
  });
}

int meshsec_sign_tx(const char* seed, const char* tx_json, size_t tx_len, meshsec_buf* tx,
                    char** err) {
  ClearBuf(tx);
  return Guard(err, [&]() -> absl::Status {
    if (seed == nullptr) return Null("seed");
    if (tx == nullptr) return Null("tx");
    MESH_ASSIGN_OR_RETURN(Json j, ParseJson(tx_json, tx_len, "tx"));
    MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "tx"));
    const PrivateKey key = PrivateKey::FromSeed(seed);
    node::TxSpec t;
    MESH_ASSIGN_OR_RETURN(t.chain_id, f.String("chain_id"));
    MESH_ASSIGN_OR_RETURN(t.account_number, f.U64("account_number"));
    MESH_ASSIGN_OR_RETURN(t.sequence, f.U64("sequence"));
    MESH_ASSIGN_OR_RETURN(const Json* msgs, f.Required("msgs"));
    std::string signer;
    if (const Json* p = f.Optional("bech32_prefix"); p != nullptr) {
      MESH_ASSIGN_OR_RETURN(std::string prefix, p->AsString());
      signer = AccountAddressOf(prefix, key.PublicKey());
    }
    if (const Json* g = f.Optional("gas_limit"); g != nullptr) {
      MESH_ASSIGN_OR_RETURN(t.gas_limit, g->AsU64());
    }
    if (const Json* m = f.Optional("memo"); m != nullptr) {
      MESH_ASSIGN_OR_RETURN(t.memo, m->AsString());
    }
    if (const Json* fee = f.Optional("fee"); fee != nullptr) {
      MESH_ASSIGN_OR_RETURN(const std::vector<Json>* coins, fee->AsArray());
      for (const Json& c : *coins) {
        MESH_ASSIGN_OR_RETURN(JsonFields cf, JsonFields::Of(c, "coin"));
        node::FeeCoin coin;
        MESH_ASSIGN_OR_RETURN(coin.denom, cf.String("denom"));
        MESH_ASSIGN_OR_RETURN(std::string amount, cf.String("amount"));
        MESH_ASSIGN_OR_RETURN(coin.amount, Amount::Parse(amount));
        MESH_RETURN_IF_ERROR(cf.Finish());
        t.fee.push_back(std::move(coin));
      }
    }
    MESH_RETURN_IF_ERROR(f.Finish());
    absl::StatusOr<const std::vector<Json>*> items = msgs->AsArray();
    if (!items.ok()) return f.FieldError("msgs", items.status());
    for (const Json& m : **items) {
      MESH_ASSIGN_OR_RETURN(node::Msg msg, node::MsgFromJson(m.Write(), signer));
      t.msgs.push_back(std::move(msg));
    }
    return SetBuf(tx, node::SignTx(key, t).Encode());
  });
}

}  // extern "C"
