#include "app/genesis.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/status.h"

namespace mesh::app {
namespace {

// ---- reading: every helper names the field it failed on.

absl::StatusOr<Amount> AmountOf(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String(key));
  absl::StatusOr<Amount> a = Amount::Parse(s);
  if (!a.ok()) return f.FieldError(key, a.status());
  return *a;
}

absl::StatusOr<Dec> DecOf(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String(key));
  absl::StatusOr<Dec> d = Dec::Parse(s);
  if (!d.ok()) return f.FieldError(key, d.status());
  return *d;
}

// u64 values that may exceed 2^53 (times in ns) travel as decimal strings,
// so JavaScript clients read them exactly.
absl::StatusOr<uint64_t> U64StringOf(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(Amount a, AmountOf(f, key));
  if (a > Amount(~uint64_t{0})) {
    return f.FieldError(key, absl::OutOfRangeError("does not fit in 64 bits"));
  }
  return static_cast<uint64_t>(a.raw());
}

absl::StatusOr<uint32_t> U32Of(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(uint64_t v, f.U64(key));
  if (v > 0xffffffffULL) return f.FieldError(key, absl::OutOfRangeError("does not fit in 32 bits"));
  return static_cast<uint32_t>(v);
}

// Optional members keep the default when absent.
template <typename T, typename Read>
absl::Status Opt(JsonFields& f, std::string_view key, T& out, Read read) {
  if (f.Optional(key) == nullptr) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(out, read(f, key));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<const Json*>> ListOf(JsonFields& f, std::string_view key) {
  std::vector<const Json*> out;
  const Json* v = f.Optional(key);
  if (v == nullptr) return out;
  absl::StatusOr<const std::vector<Json>*> items = v->AsArray();
  if (!items.ok()) return f.FieldError(key, items.status());
  for (const Json& j : **items) out.push_back(&j);
  return out;
}

absl::StatusOr<staking::Params> StakingOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "staking"));
  staking::Params p;
  MESH_RETURN_IF_ERROR(Opt(f, "unbonding_time_s", p.unbonding_time_s,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  MESH_RETURN_IF_ERROR(Opt(f, "max_validators", p.max_validators, U32Of));
  MESH_RETURN_IF_ERROR(Opt(f, "max_entries", p.max_entries, U32Of));
  MESH_RETURN_IF_ERROR(Opt(f, "power_reduction", p.power_reduction,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  MESH_RETURN_IF_ERROR(Opt(f, "slash_fraction_double_sign", p.slash_fraction_double_sign, DecOf));
  MESH_RETURN_IF_ERROR(Opt(f, "slash_fraction_downtime", p.slash_fraction_downtime, DecOf));
  MESH_RETURN_IF_ERROR(Opt(f, "downtime_jail_duration_s", p.downtime_jail_duration_s,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

absl::StatusOr<LivenessParams> LivenessOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "liveness"));
  LivenessParams p;
  MESH_RETURN_IF_ERROR(Opt(f, "signed_blocks_window", p.signed_blocks_window,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  MESH_RETURN_IF_ERROR(Opt(f, "min_signed_per_window", p.min_signed_per_window, DecOf));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

absl::StatusOr<GenesisAccount> AccountOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "account"));
  GenesisAccount a;
  MESH_ASSIGN_OR_RETURN(std::string addr, f.String("address"));
  a.address = AccountAddress(std::move(addr));
  MESH_ASSIGN_OR_RETURN(a.balance, AmountOf(f, "balance"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return a;
}

absl::StatusOr<GenesisValidator> ValidatorOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "validator"));
  GenesisValidator v;
  MESH_ASSIGN_OR_RETURN(std::string op, f.String("operator"));
  v.operator_account = AccountAddress(std::move(op));
  MESH_ASSIGN_OR_RETURN(v.self_bond, AmountOf(f, "self_bond"));
  MESH_ASSIGN_OR_RETURN(v.commission, DecOf(f, "commission"));
  if (f.Optional("consensus_pubkey") != nullptr) {
    MESH_ASSIGN_OR_RETURN(std::string hex, f.String("consensus_pubkey"));
    absl::StatusOr<std::string> key = FromHex(hex);
    if (!key.ok() || key->size() != 32) {
      return f.FieldError("consensus_pubkey",
                          absl::InvalidArgumentError("want 32 bytes of hex (ed25519)"));
    }
    v.consensus_pubkey = *key;
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  return v;
}

absl::StatusOr<provider::LinkMode> ModeOf(JsonFields& f) {
  if (f.Optional("mode") == nullptr) return provider::LinkMode::kMesh;
  MESH_ASSIGN_OR_RETURN(std::string m, f.String("mode"));
  absl::StatusOr<provider::LinkMode> mode = provider::ParseLinkMode(m);
  if (!mode.ok()) return f.FieldError("mode", mode.status());
  return *mode;
}

absl::StatusOr<std::vector<ValidatorAddress>> ValopersOf(JsonFields& f, std::string_view key) {
  std::vector<ValidatorAddress> out;
  if (f.Optional(key) == nullptr) return out;
  MESH_ASSIGN_OR_RETURN(std::vector<std::string> list, f.StringList(key));
  for (std::string& v : list) out.emplace_back(std::move(v));
  return out;
}

absl::Status CcvFieldsOf(JsonFields& f, ConsumerLink& l) {
  auto u64 = [](JsonFields& g, std::string_view k) { return g.U64(k); };
  MESH_RETURN_IF_ERROR(Opt(f, "blocks_per_epoch", l.blocks_per_epoch, u64));
  if (l.mode == provider::LinkMode::kOptIn) l.shaping.top_n = 0;
  MESH_RETURN_IF_ERROR(Opt(f, "top_n", l.shaping.top_n, U32Of));
  MESH_RETURN_IF_ERROR(Opt(f, "validators_power_cap", l.shaping.validators_power_cap, U32Of));
  MESH_RETURN_IF_ERROR(Opt(f, "validator_set_cap", l.shaping.validator_set_cap, U32Of));
  MESH_ASSIGN_OR_RETURN(l.shaping.allowlist, ValopersOf(f, "allowlist"));
  MESH_ASSIGN_OR_RETURN(l.shaping.denylist, ValopersOf(f, "denylist"));
  MESH_ASSIGN_OR_RETURN(l.shaping.prioritylist, ValopersOf(f, "prioritylist"));
  if (const Json* b = f.Optional("allow_inactive_vals")) {
    MESH_ASSIGN_OR_RETURN(l.shaping.allow_inactive_vals, b->AsBool());
  }
  MESH_RETURN_IF_ERROR(Opt(f, "min_stake", l.shaping.min_stake, AmountOf));
  MESH_ASSIGN_OR_RETURN(l.opted_in, ValopersOf(f, "opted_in"));
  MESH_RETURN_IF_ERROR(Opt(f, "downtime_slash_fraction", l.downtime_slash_fraction, DecOf));
  if (const Json* b = f.Optional("unbonding_waits_for_maturity")) {
    MESH_ASSIGN_OR_RETURN(l.unbonding_waits_for_maturity, b->AsBool());
  }
  return Opt(f, "downtime_jail_s", l.downtime_jail_s, u64);
}

absl::StatusOr<ConsumerLink> ConsumerLinkOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "consumer_link"));
  ConsumerLink l;
  MESH_ASSIGN_OR_RETURN(l.consumer, f.String("consumer"));
  MESH_ASSIGN_OR_RETURN(std::string conn, f.String("connection"));
  l.connection = ConnectionId(std::move(conn));
  MESH_ASSIGN_OR_RETURN(l.mode, ModeOf(f));
  if (l.mode != provider::LinkMode::kMesh) {
    MESH_RETURN_IF_ERROR(CcvFieldsOf(f, l));
    if (f.Optional("remote_denom") == nullptr) {
      MESH_RETURN_IF_ERROR(f.Finish());
      return l;
    }
  }
  MESH_ASSIGN_OR_RETURN(std::string rd, f.String("remote_denom"));
  l.remote_denom = Denom(std::move(rd));
  MESH_RETURN_IF_ERROR(Opt(f, "unbonding_period_s", l.unbonding_period_s,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  MESH_RETURN_IF_ERROR(Opt(f, "slash_dsign", l.slash_dsign, DecOf));
  MESH_RETURN_IF_ERROR(Opt(f, "slash_offline", l.slash_offline, DecOf));
  if (const Json* b = f.Optional("require_verified_evidence"); b != nullptr) {
    MESH_ASSIGN_OR_RETURN(l.require_verified_evidence, b->AsBool());
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  return l;
}

absl::StatusOr<ProviderLink> ProviderLinkOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "provider_link"));
  ProviderLink l;
  MESH_ASSIGN_OR_RETURN(l.provider, f.String("provider"));
  MESH_ASSIGN_OR_RETURN(std::string conn, f.String("connection"));
  l.connection = ConnectionId(std::move(conn));
  MESH_ASSIGN_OR_RETURN(l.mode, ModeOf(f));
  if (l.mode != provider::LinkMode::kMesh) {
    MESH_RETURN_IF_ERROR(Opt(f, "retry_delay_s", l.retry_delay_s,
                             [](JsonFields& g, std::string_view k) { return g.U64(k); }));
    if (const Json* b = f.Optional("unbonding_waits_for_maturity")) {
      MESH_ASSIGN_OR_RETURN(l.unbonding_waits_for_maturity, b->AsBool());
    }
    MESH_RETURN_IF_ERROR(f.Finish());
    return l;
  }
  MESH_ASSIGN_OR_RETURN(std::string rd, f.String("remote_denom"));
  l.remote_denom = Denom(std::move(rd));
  MESH_RETURN_IF_ERROR(Opt(f, "price", l.price, DecOf));
  MESH_RETURN_IF_ERROR(Opt(f, "discount", l.discount, DecOf));
  MESH_ASSIGN_OR_RETURN(std::string oracle, f.String("oracle"));
  l.oracle = AccountAddress(std::move(oracle));
  MESH_RETURN_IF_ERROR(Opt(f, "price_ttl_s", l.price_ttl_s,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  MESH_RETURN_IF_ERROR(Opt(f, "max_retrieve", l.max_retrieve, U32Of));
  MESH_ASSIGN_OR_RETURN(l.max_cap, AmountOf(f, "max_cap"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return l;
}

absl::StatusOr<ProviderRole> ProviderRoleOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "provider"));
  ProviderRole r;
  if (const Json* b = f.Optional("local_staking"); b != nullptr) {
    MESH_ASSIGN_OR_RETURN(r.local_staking, b->AsBool());
  }
  MESH_RETURN_IF_ERROR(Opt(f, "local_slash_dsign", r.local_slash_dsign, DecOf));
  MESH_RETURN_IF_ERROR(Opt(f, "local_slash_offline", r.local_slash_offline, DecOf));
  MESH_RETURN_IF_ERROR(Opt(f, "slash_meter_fraction", r.slash_meter_fraction, DecOf));
  MESH_RETURN_IF_ERROR(Opt(f, "slash_meter_period_s", r.slash_meter_period_s,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  MESH_RETURN_IF_ERROR(Opt(f, "gov_voting_period_s", r.gov_voting_period_s,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  if (const Json* d = f.Optional("gov_min_deposit"); d != nullptr) {
    MESH_ASSIGN_OR_RETURN(std::string text, d->AsString());
    MESH_ASSIGN_OR_RETURN(r.gov_min_deposit, Amount::Parse(text));
  }
  MESH_ASSIGN_OR_RETURN(std::vector<const Json*> links, ListOf(f, "consumers"));
  for (const Json* l : links) {
    MESH_ASSIGN_OR_RETURN(ConsumerLink link, ConsumerLinkOf(*l));
    r.consumers.push_back(std::move(link));
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  return r;
}

absl::StatusOr<ConsumerRole> ConsumerRoleOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "consumer"));
  ConsumerRole r;
  MESH_ASSIGN_OR_RETURN(std::string auth, f.String("authority"));
  r.authority = AccountAddress(std::move(auth));
  MESH_RETURN_IF_ERROR(Opt(f, "total_max_cap", r.total_max_cap, AmountOf));
  MESH_RETURN_IF_ERROR(Opt(f, "epoch_length", r.epoch_length,
                           [](JsonFields& g, std::string_view k) { return g.U64(k); }));
  MESH_ASSIGN_OR_RETURN(std::vector<const Json*> links, ListOf(f, "providers"));
  for (const Json* l : links) {
    MESH_ASSIGN_OR_RETURN(ProviderLink link, ProviderLinkOf(*l));
    r.providers.push_back(std::move(link));
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  return r;
}

// ---- writing

Json StrJ(std::string_view s) { return Json::Str(s); }
Json AmtJ(Amount a) { return Json::Str(a.ToString()); }
Json DecJ(Dec d) { return Json::Str(d.ToString()); }

Json StakingJson(const staking::Params& p) {
  Json j = Json::Object();
  j.Add("unbonding_time_s", Json::U64(p.unbonding_time_s));
  j.Add("max_validators", Json::U64(p.max_validators));
  j.Add("max_entries", Json::U64(p.max_entries));
  j.Add("power_reduction", Json::U64(p.power_reduction));
  j.Add("slash_fraction_double_sign", DecJ(p.slash_fraction_double_sign));
  j.Add("slash_fraction_downtime", DecJ(p.slash_fraction_downtime));
  j.Add("downtime_jail_duration_s", Json::U64(p.downtime_jail_duration_s));
  return j;
}

Json ValopersJ(const std::vector<ValidatorAddress>& list) {
  Json a = Json::Array();
  for (const ValidatorAddress& v : list) a.Push(StrJ(v.value()));
  return a;
}

void AddCcvFields(const ConsumerLink& l, Json& o) {
  o.Add("mode", StrJ(provider::LinkModeName(l.mode)));
  o.Add("blocks_per_epoch", Json::U64(l.blocks_per_epoch));
  o.Add("top_n", Json::U64(l.shaping.top_n));
  o.Add("validators_power_cap", Json::U64(l.shaping.validators_power_cap));
  o.Add("validator_set_cap", Json::U64(l.shaping.validator_set_cap));
  o.Add("allowlist", ValopersJ(l.shaping.allowlist));
  o.Add("denylist", ValopersJ(l.shaping.denylist));
  o.Add("prioritylist", ValopersJ(l.shaping.prioritylist));
  o.Add("allow_inactive_vals", Json::Bool(l.shaping.allow_inactive_vals));
  o.Add("min_stake", AmtJ(l.shaping.min_stake));
  o.Add("opted_in", ValopersJ(l.opted_in));
  o.Add("downtime_slash_fraction", DecJ(l.downtime_slash_fraction));
  o.Add("downtime_jail_s", Json::U64(l.downtime_jail_s));
  if (l.unbonding_waits_for_maturity) o.Add("unbonding_waits_for_maturity", Json::Bool(true));
}

Json ProviderJson(const ProviderRole& r) {
  Json j = Json::Object();
  j.Add("local_staking", Json::Bool(r.local_staking));
  j.Add("local_slash_dsign", DecJ(r.local_slash_dsign));
  j.Add("local_slash_offline", DecJ(r.local_slash_offline));
  if (r.slash_meter_fraction != ProviderRole{}.slash_meter_fraction ||
      r.slash_meter_period_s != ProviderRole{}.slash_meter_period_s) {
    j.Add("slash_meter_fraction", DecJ(r.slash_meter_fraction));
    j.Add("slash_meter_period_s", Json::U64(r.slash_meter_period_s));
  }
  if (r.gov_voting_period_s != ProviderRole{}.gov_voting_period_s ||
      r.gov_min_deposit != ProviderRole{}.gov_min_deposit) {
    j.Add("gov_voting_period_s", Json::U64(r.gov_voting_period_s));
    j.Add("gov_min_deposit", Json::Str(r.gov_min_deposit.ToString()));
  }
  Json links = Json::Array();
  for (const ConsumerLink& l : r.consumers) {
    Json o = Json::Object();
    o.Add("consumer", StrJ(l.consumer));
    o.Add("connection", StrJ(l.connection.value()));
    o.Add("remote_denom", StrJ(l.remote_denom.value()));
    o.Add("unbonding_period_s", Json::U64(l.unbonding_period_s));
    o.Add("slash_dsign", DecJ(l.slash_dsign));
    o.Add("slash_offline", DecJ(l.slash_offline));
    o.Add("require_verified_evidence", Json::Bool(l.require_verified_evidence));
    if (l.mode != provider::LinkMode::kMesh) AddCcvFields(l, o);
    links.Push(std::move(o));
  }
  j.Add("consumers", std::move(links));
  return j;
}

Json ConsumerJson(const ConsumerRole& r) {
  Json j = Json::Object();
  j.Add("authority", StrJ(r.authority.value()));
  j.Add("total_max_cap", AmtJ(r.total_max_cap));
  j.Add("epoch_length", Json::U64(r.epoch_length));
  Json links = Json::Array();
  for (const ProviderLink& l : r.providers) {
    Json o = Json::Object();
    o.Add("provider", StrJ(l.provider));
    o.Add("connection", StrJ(l.connection.value()));
    if (l.mode != provider::LinkMode::kMesh) {
      o.Add("mode", StrJ(provider::LinkModeName(l.mode)));
      o.Add("retry_delay_s", Json::U64(l.retry_delay_s));
      if (l.unbonding_waits_for_maturity) o.Add("unbonding_waits_for_maturity", Json::Bool(true));
      links.Push(std::move(o));
      continue;
    }
    o.Add("remote_denom", StrJ(l.remote_denom.value()));
    o.Add("price", DecJ(l.price));
    o.Add("discount", DecJ(l.discount));
    o.Add("oracle", StrJ(l.oracle.value()));
    o.Add("price_ttl_s", Json::U64(l.price_ttl_s));
    o.Add("max_retrieve", Json::U64(l.max_retrieve));
    o.Add("max_cap", AmtJ(l.max_cap));
    links.Push(std::move(o));
  }
  j.Add("providers", std::move(links));
  return j;
}

absl::Status CheckFraction(std::string_view what, Dec d) {
  if (d.IsNegative() || Dec::One() < d) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " must be in [0, 1], got ", d.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace

provider::CcvConfig ConsumerLink::Ccv() const {
  provider::CcvConfig c;
  c.mode = mode;
  c.blocks_per_epoch = blocks_per_epoch;
  c.shaping = shaping;
  c.downtime_slash_fraction = downtime_slash_fraction;
  c.downtime_jail_s = downtime_jail_s;
  c.unbonding_waits_for_maturity = unbonding_waits_for_maturity;
  return c;
}

absl::StatusOr<GenesisDoc> GenesisDoc::FromJson(const Json& json) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(json, "genesis"));
  GenesisDoc g;
  MESH_ASSIGN_OR_RETURN(g.chain_id, f.String("chain_id"));
  MESH_RETURN_IF_ERROR(Opt(f, "bech32_prefix", g.bech32_prefix,
                           [](JsonFields& h, std::string_view k) { return h.String(k); }));
  MESH_ASSIGN_OR_RETURN(g.genesis_time_ns, U64StringOf(f, "genesis_time_ns"));
  MESH_ASSIGN_OR_RETURN(std::string denom, f.String("denom"));
  g.denom = Denom(std::move(denom));
  if (const Json* s = f.Optional("staking"); s != nullptr) {
    MESH_ASSIGN_OR_RETURN(g.staking, StakingOf(*s));
  }
  g.staking.bond_denom = g.denom;
  if (const Json* s = f.Optional("liveness"); s != nullptr) {
    MESH_ASSIGN_OR_RETURN(g.liveness, LivenessOf(*s));
  }
  MESH_ASSIGN_OR_RETURN(std::vector<const Json*> accounts, ListOf(f, "accounts"));
  for (const Json* a : accounts) {
    MESH_ASSIGN_OR_RETURN(GenesisAccount acc, AccountOf(*a));
    g.accounts.push_back(std::move(acc));
  }
  MESH_ASSIGN_OR_RETURN(std::vector<const Json*> validators, ListOf(f, "validators"));
  for (const Json* v : validators) {
    MESH_ASSIGN_OR_RETURN(GenesisValidator val, ValidatorOf(*v));
    g.validators.push_back(std::move(val));
  }
  if (const Json* p = f.Optional("provider"); p != nullptr) {
    MESH_ASSIGN_OR_RETURN(g.provider, ProviderRoleOf(*p));
  }
  if (const Json* c = f.Optional("consumer"); c != nullptr) {
    MESH_ASSIGN_OR_RETURN(g.consumer, ConsumerRoleOf(*c));
  }
  if (const Json* st = f.Optional("state"); st != nullptr) {
    if (st->kind() != Json::Kind::kObject) {
      return f.FieldError("state", absl::InvalidArgumentError("must be an object"));
    }
    g.state = *st;
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  MESH_RETURN_IF_ERROR(g.Validate());
  return g;
}

absl::StatusOr<GenesisDoc> GenesisDoc::Parse(std::string_view text) {
  MESH_ASSIGN_OR_RETURN(Json json, Json::Parse(text));
  return FromJson(json);
}

Json GenesisDoc::ToJson() const {
  Json j = Json::Object();
  j.Add("chain_id", StrJ(chain_id));
  j.Add("bech32_prefix", StrJ(bech32_prefix));
  j.Add("genesis_time_ns", Json::Str(absl::StrCat(genesis_time_ns)));
  j.Add("denom", StrJ(denom.value()));
  j.Add("staking", StakingJson(staking));
  Json live = Json::Object();
  live.Add("signed_blocks_window", Json::U64(liveness.signed_blocks_window));
  live.Add("min_signed_per_window", DecJ(liveness.min_signed_per_window));
  j.Add("liveness", std::move(live));
  Json accs = Json::Array();
  for (const GenesisAccount& a : accounts) {
    Json o = Json::Object();
    o.Add("address", StrJ(a.address.value()));
    o.Add("balance", AmtJ(a.balance));
    accs.Push(std::move(o));
  }
  j.Add("accounts", std::move(accs));
  Json vals = Json::Array();
  for (const GenesisValidator& v : validators) {
    Json o = Json::Object();
    o.Add("operator", StrJ(v.operator_account.value()));
    o.Add("self_bond", AmtJ(v.self_bond));
    o.Add("commission", DecJ(v.commission));
    if (!v.consensus_pubkey.empty()) o.Add("consensus_pubkey", StrJ(ToHex(v.consensus_pubkey)));
    vals.Push(std::move(o));
  }
  j.Add("validators", std::move(vals));
  if (provider.has_value()) j.Add("provider", ProviderJson(*provider));
  if (consumer.has_value()) j.Add("consumer", ConsumerJson(*consumer));
  if (state.has_value()) j.Add("state", *state);
  return j;
}

absl::Status GenesisDoc::Validate() const {
  if (chain_id.empty()) return absl::InvalidArgumentError("genesis: empty chain_id");
  if (denom.value().empty()) return absl::InvalidArgumentError("genesis: empty denom");
  constexpr uint64_t kMaxPeriodS = 100ULL * 365 * 86400;  // keeps every ns product in u64
  if (staking.unbonding_time_s > kMaxPeriodS || staking.downtime_jail_duration_s > kMaxPeriodS) {
    return absl::InvalidArgumentError("genesis: staking periods must be at most 100 years");
  }
  if (liveness.signed_blocks_window == 0) {
    return absl::InvalidArgumentError("genesis: liveness.signed_blocks_window must be > 0");
  }
  MESH_RETURN_IF_ERROR(CheckFraction("liveness.min_signed_per_window", liveness.min_signed_per_window));
  std::set<std::string> seen;
  for (const GenesisAccount& a : accounts) {
    if (!seen.insert(a.address.value()).second) {
      return absl::InvalidArgumentError("genesis: duplicate account " + a.address.value());
    }
  }
  seen.clear();
  for (const GenesisValidator& v : validators) {
    if (!seen.insert(v.operator_account.value()).second) {
      return absl::InvalidArgumentError("genesis: duplicate validator " +
                                        v.operator_account.value());
    }
    if (v.self_bond.IsZero()) {
      return absl::InvalidArgumentError("genesis: validator " + v.operator_account.value() +
                                        " has no self bond");
    }
  }
  if (provider.has_value()) {
    MESH_RETURN_IF_ERROR(CheckFraction("provider.local_slash_dsign", provider->local_slash_dsign));
    MESH_RETURN_IF_ERROR(
        CheckFraction("provider.local_slash_offline", provider->local_slash_offline));
    MESH_RETURN_IF_ERROR(
        CheckFraction("provider.slash_meter_fraction", provider->slash_meter_fraction));
    if (provider->slash_meter_period_s == 0) {
      return absl::InvalidArgumentError("provider.slash_meter_period_s must be positive");
    }
    if (provider->gov_voting_period_s == 0) {
      return absl::InvalidArgumentError("provider.gov_voting_period_s must be positive");
    }
    seen.clear();
    for (const ConsumerLink& l : provider->consumers) {
      if (l.consumer.empty() || l.consumer == chain_id || !seen.insert(l.consumer).second) {
        return absl::InvalidArgumentError("genesis: bad or duplicate consumer link '" +
                                          l.consumer + "'");
      }
      MESH_RETURN_IF_ERROR(CheckFraction("consumer link slash_dsign", l.slash_dsign));
      MESH_RETURN_IF_ERROR(CheckFraction("consumer link slash_offline", l.slash_offline));
      if (l.mode != provider::LinkMode::kMesh) {
        absl::Status s = l.Ccv().Validate();
        if (!s.ok()) {
          return absl::InvalidArgumentError("genesis: consumer link '" + l.consumer + "': " +
                                            std::string(s.message()));
        }
      }
    }
  }
  if (consumer.has_value()) {
    seen.clear();
    int ccv_links = 0;
    for (const ProviderLink& l : consumer->providers) {
      if (l.provider.empty() || l.provider == chain_id || !seen.insert(l.provider).second) {
        return absl::InvalidArgumentError("genesis: bad or duplicate provider link '" +
                                          l.provider + "'");
      }
      if (l.mode != provider::LinkMode::kMesh && ++ccv_links > 1) {
        return absl::InvalidArgumentError(
            "genesis: at most one replicated / opt_in provider link (it sets the consensus set)");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mesh::app
