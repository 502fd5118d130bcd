#include "apps/scenario/scenario.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "core/context.h"
#include "core/status.h"

namespace mesh::scenario {
namespace {

using harness::ChainSpec;
using harness::LinkSpec;
using harness::NetworkSpec;
using harness::ValidatorSpec;

// Bounds that keep times and counts inside the engine's integer types:
// block times are at most kMaxBlockTimeNs (int64 nanoseconds, as Cosmos
// times), so any duration is at most 100 years and the genesis time at most
// the last whole second of that range (the year 2262).
constexpr uint64_t kMaxSeconds = 100ULL * 365 * 86400;
constexpr uint64_t kMaxGenesisTime = kMaxBlockTimeNs / kNanosPerSecond;
constexpr uint64_t kMaxAdvanceBlocks = 1000000;
// A bech32 prefix must leave room for "valoper" and the 39 characters of a
// 20-byte address within bech32's 90.
constexpr size_t kMaxPrefixLength = 44;

enum class FieldType { kString, kAmount, kDec, kU64, kBool, kAny };

// The type of a step field, from its name.
FieldType TypeOf(std::string_view key) {
  static const std::set<std::string_view> kAmounts = {"amount", "cap", "self_bond", "deposit"};
  static const std::set<std::string_view> kU64s = {"blocks", "seconds", "height", "index",
                                                   "max_validators", "power", "time",
                                                   "infraction_height", "proposal_id"};
  if (kAmounts.contains(key)) return FieldType::kAmount;
  if (kU64s.contains(key)) return FieldType::kU64;
  if (key == "price" || key == "commission" || key == "ratio") return FieldType::kDec;
  if (key == "on" || key == "tombstone") return FieldType::kBool;
  if (key == "expect_error" || key == "msg") return FieldType::kAny;
  return FieldType::kString;
}

struct Def {
  std::vector<std::string> required;
  std::vector<std::string> optional;
  std::vector<std::string> fields;  // queries: the reported result fields
};

const std::map<std::string, Def>& Actions() {
  static const auto* kDefs = new std::map<std::string, Def>{
      {"advance", {{}, {"blocks", "seconds"}, {}}},
      {"bond", {{"chain", "user", "amount"}, {}, {}}},
      {"unbond", {{"chain", "user", "amount"}, {}, {}}},
      {"stake_local", {{"chain", "user", "validator", "amount"}, {}, {}}},
      {"unstake_local", {{"chain", "user", "validator", "amount"}, {}, {}}},
      {"withdraw_local_unbonded", {{"chain", "user"}, {}, {}}},
      {"stake_remote", {{"provider", "user", "consumer", "validator", "amount"}, {}, {}}},
      {"unstake", {{"provider", "user", "consumer", "validator", "amount"}, {}, {}}},
      {"withdraw_unbonded", {{"provider", "user", "consumer"}, {}, {}}},
      {"withdraw_rewards", {{"provider", "user", "consumer", "validator"}, {}, {}}},
      {"delegate", {{"chain", "user", "validator", "amount"}, {}, {}}},
      {"undelegate", {{"chain", "user", "validator", "amount"}, {}, {}}},
      {"allocate_rewards", {{"chain", "amount"}, {}, {}}},
      {"set_price", {{"consumer", "provider", "price"}, {}, {}}},
      {"set_max_cap", {{"consumer", "provider", "cap"}, {}, {}}},
      {"jail", {{"chain", "validator"}, {}, {}}},
      {"unjail", {{"chain", "validator"}, {}, {}}},
      {"tombstone", {{"chain", "validator"}, {}, {}}},
      {"double_sign", {{"chain", "validator"}, {"height", "power"}, {}}},
      {"downtime", {{"chain", "validator"}, {"height", "power"}, {}}},
      {"edit_validator",
       {{"chain", "validator"}, {"commission", "moniker", "identity", "website", "details"}, {}}},
      {"tx", {{"chain", "user", "msg"}, {}, {}}},
      {"bank_send", {{"chain", "user", "recipient", "amount"}, {"denom"}, {}}},
      {"deliver", {{"from", "to"}, {"index"}, {}}},
      {"relay_acks", {{"from", "to"}, {"index"}, {}}},
      {"open_channel",
       {{"from", "to", "version", "ordering"}, {"port", "counterparty_port"}, {}}},
      {"inject_slash",
       {{"consumer", "provider", "validator"},
        {"height", "time", "power", "amount", "ratio", "tombstone"},
        {}}},
      {"consumer_double_vote", {{"provider", "consumer", "validator", "user"}, {"height", "signer"}, {}}},
      {"slash_proposal",
       {{"provider", "consumer", "user", "infraction_height", "fraction", "deposit"},
        {"validator", "provider_validator", "key_seed", "jail_only"},
        {}}},
      {"assign_consumer_key", {{"chain", "validator", "consumer", "key_seed"}, {}, {}}},
      {"gov_vote", {{"provider", "user", "proposal_id", "option"}, {}, {}}},
      {"create_validator",
       {{"chain", "validator", "self_bond"},
        {"commission", "moniker", "identity", "website", "details"},
        {}}},
      {"set_max_validators", {{"chain", "max_validators"}, {}, {}}},
      {"auto_relay", {{"on"}, {}, {}}},
      {"relay_all", {{}, {}, {}}},
      {"relay_one", {{"from", "to"}, {"index"}, {}}},
      {"error_ack", {{"from", "to"}, {"index", "error"}, {}}},
      {"timeout", {{"from", "to"}, {"index"}, {}}},
      {"duplicate", {{"from", "to"}, {"index"}, {}}},
      {"reorder", {{"from", "to"}, {}, {}}},
      {"check_invariants", {{}, {}, {}}},
      {"opt_in", {{"chain", "validator", "consumer"}, {}, {}}},
      {"opt_out", {{"chain", "validator", "consumer"}, {}, {}}},
      {"set_signing", {{"chain", "validator", "consumer", "on"}, {}, {}}},
  };
  return *kDefs;
}

const std::map<std::string, Def>& Queries() {
  static const auto* kDefs = new std::map<std::string, Def>{
      {"balance", {{"chain", "user"}, {"denom"}, {"amount"}}},
      {"supply", {{"chain"}, {}, {"amount"}}},
      {"vault_account",
       {{"chain", "user"}, {}, {"collateral", "free", "max_lien", "total_slashable"}}},
      {"lien", {{"chain", "user", "holder"}, {}, {"amount", "slashable"}}},
      {"stake",
       {{"provider", "user", "consumer", "validator"},
        {},
        {"stake", "unbonding", "unbonding_count", "withdrawn"}}},
      {"rewards", {{"provider", "user", "consumer", "validator"}, {}, {"pending"}}},
      {"pending_txs", {{"chain"}, {"consumer", "user"}, {"count", "txs"}}},
      {"virtual_stake",
       {{"consumer", "provider", "validator"}, {}, {"bond_request", "delegation", "remote"}}},
      {"consumer_state",
       {{"consumer", "provider"},
        {},
        {"channel_open", "max_cap", "total_delegated", "minted", "burned", "slashed"}}},
      {"validator",
       {{"chain", "validator"},
        {},
        {"status", "tokens", "jailed", "tombstoned", "commission", "moniker", "identity", "website",
         "details"}}},
      {"remote_validator",
       {{"provider", "consumer", "validator"}, {"height"}, {"state", "history", "state_at"}}},
      {"packets", {{"from", "to"}, {}, {"pending", "acks"}}},
      {"local_delegation", {{"chain", "user", "validator"}, {}, {"amount"}}},
      {"last_ack", {{}, {}, {"result", "error", "sequence"}}},
      {"packet", {{"from", "to"}, {"index"}, {"sequence", "type", "data"}}},
      {"events", {{"chain"}, {}, {"packets", "types", "valset"}}},
      {"delegation", {{"chain", "validator"}, {"user", "provider"}, {"shares", "tokens"}}},
      {"module_balance", {{"chain", "module"}, {"denom"}, {"amount"}}},
      {"unbonding_entries", {{"provider", "user", "consumer", "validator"}, {}, {"entries"}}},
      {"proposal",
       {{"provider", "proposal_id"},
        {},
        {"status", "yes", "no", "abstain", "no_with_veto", "slashed", "voting_end_s", "kind",
         "applied", "native", "validator"}}},
      {"ccv_consumer",
       {{"provider", "consumer"},
        {},
        {"registered", "stopped", "removal_s", "set_size", "opted_in", "validators_power_cap",
         "top_n", "downtime_slash_fraction", "downtime_jail_s", "pending_infraction_s",
         "state_keys"}}},
      {"claims", {{"chain", "user"}, {}, {"claims"}}},
      {"consumer_config",
       {{"consumer", "provider"},
        {},
        {"remote_denom", "price_adjustment", "price", "price_ttl_s", "max_retrieve",
         "epoch_length", "total_max_cap"}}},
      {"targets", {{"consumer", "provider", "validator"}, {}, {"target", "bond_request"}}},
      {"validator_flags", {{"consumer", "validator"}, {}, {"inactive", "tombstoned"}}},
      {"consensus_set", {{"chain"}, {"provider"}, {"validators", "count", "total", "equals_bonded"}}},
      {"key_assignments", {{"provider", "consumer"}, {}, {"current", "replaced"}}},
  };
  return *kDefs;
}

const std::vector<std::string> kCommonOptional = {"note", "expect_error", "expect_code"};

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

absl::Status Bad(const std::string& where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

absl::Status CheckFieldValue(const std::string& where, const std::string& key, const Json& v) {
  absl::Status s;
  switch (TypeOf(key)) {
    case FieldType::kAmount: s = JsonAmount(v).status(); break;
    case FieldType::kDec: s = JsonDec(v).status(); break;
    case FieldType::kU64: s = v.AsU64().status(); break;
    case FieldType::kBool: s = v.AsBool().status(); break;
    case FieldType::kString: s = v.AsString().status(); break;
    case FieldType::kAny: break;
  }
  if (s.ok()) return s;
  return Bad(where, absl::StrCat("field `", key, "`: ", s.message()));
}

// ---------------------------------------------------------------- network

template <typename T>
absl::Status ReadOpt(JsonFields& f, std::string_view key, T& out,
                     absl::StatusOr<T> (*read)(const Json&)) {
  const Json* v = f.Optional(key);
  if (v == nullptr) return absl::OkStatus();
  absl::StatusOr<T> r = read(*v);
  if (!r.ok()) return f.FieldError(key, r.status());
  out = *r;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReadU64(const Json& v) { return v.AsU64(); }
absl::StatusOr<bool> ReadBool(const Json& v) { return v.AsBool(); }
absl::StatusOr<uint64_t> ReadSeconds(const Json& v) {
  MESH_ASSIGN_OR_RETURN(uint64_t x, v.AsU64());
  if (x > kMaxSeconds) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxSeconds, " seconds (100 years)"));
  }
  return x;
}
absl::StatusOr<uint32_t> ReadU32(const Json& v) {
  MESH_ASSIGN_OR_RETURN(uint64_t x, v.AsU64());
  if (x > UINT32_MAX) return absl::InvalidArgumentError("too large");
  return static_cast<uint32_t>(x);
}

absl::Status ParseStaking(const Json& v, staking::Params& p) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(v, "staking"));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "unbonding_time_s", p.unbonding_time_s, ReadSeconds));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "max_validators", p.max_validators, ReadU32));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "max_entries", p.max_entries, ReadU32));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "power_reduction", p.power_reduction, ReadU64));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "slash_fraction_double_sign", p.slash_fraction_double_sign,
                               JsonDec));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "slash_fraction_downtime", p.slash_fraction_downtime, JsonDec));
  MESH_RETURN_IF_ERROR(
      ReadOpt(f, "downtime_jail_duration_s", p.downtime_jail_duration_s, ReadSeconds));
  return f.Finish();
}

absl::StatusOr<ValidatorSpec> ParseValidator(const Json& v) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(v, "validator"));
  ValidatorSpec s;
  MESH_ASSIGN_OR_RETURN(s.name, f.String("name"));
  MESH_ASSIGN_OR_RETURN(const Json* bond, f.Required("self_bond"));
  absl::StatusOr<Amount> a = JsonAmount(*bond);
  if (!a.ok()) return f.FieldError("self_bond", a.status());
  s.self_bond = *a;
  s.commission = Dec::Zero();
  MESH_RETURN_IF_ERROR(ReadOpt(f, "commission", s.commission, JsonDec));
  MESH_RETURN_IF_ERROR(f.Finish());
  return s;
}

absl::Status ParseAccounts(const Json& v, ChainSpec& c) {
  if (v.kind() != Json::Kind::kObject) {
    return absl::InvalidArgumentError("chain `accounts` must be an object {user: amount}");
  }
  for (const auto& [user, funds] : v.members()) {
    absl::StatusOr<Amount> a = JsonAmount(funds);
    if (!a.ok()) return Bad(absl::StrCat("account ", user), a.status().message());
    c.accounts.emplace_back(user, *a);
  }
  return absl::OkStatus();
}

void AddServiceAccounts(ChainSpec& c) {
  for (const char* name : {"gov", "oracle"}) {
    bool present = std::any_of(c.accounts.begin(), c.accounts.end(),
                               [&](const auto& a) { return a.first == name; });
    if (!present) c.accounts.emplace_back(name, Amount(1));
  }
}

}  // namespace

absl::Status CheckBech32Prefix(std::string_view prefix) {
  if (prefix.empty()) return absl::InvalidArgumentError("empty bech32 prefix");
  if (prefix.size() > kMaxPrefixLength) {
    return absl::InvalidArgumentError(absl::StrCat("bech32 prefix too long (", prefix.size(),
                                                   " characters, at most ", kMaxPrefixLength,
                                                   ")"));
  }
  for (char ch : prefix) {
    if (ch >= 'A' && ch <= 'Z') {
      return absl::InvalidArgumentError(
          absl::StrCat("bech32 prefix `", std::string(prefix), "` has upper case; use lower case"));
    }
    if (ch < 33 || ch > 126) {
      return absl::InvalidArgumentError("bech32 prefix has a character outside ASCII 33..126");
    }
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<ChainSpec> ParseChain(const Json& v) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(v, "chain"));
  ChainSpec c;
  MESH_ASSIGN_OR_RETURN(c.id, f.String("id"));
  c.prefix = c.id;
  const Json* prefix = f.Optional("prefix");
  if (prefix != nullptr) {
    MESH_ASSIGN_OR_RETURN(c.prefix, prefix->AsString());
  }
  if (absl::Status s = CheckBech32Prefix(c.prefix); !s.ok()) {
    return Bad(absl::StrCat("chain `", c.id, "`"),
               absl::StrCat("field `prefix`", prefix == nullptr ? " (defaults to `id`)" : "",
                            ": ", s.message()));
  }
  MESH_ASSIGN_OR_RETURN(std::string denom, f.String("denom"));
  c.denom = Denom(denom);
  c.staking.unbonding_time_s = 3600;
  c.staking.power_reduction = 1;
  if (const Json* s = f.Optional("staking")) MESH_RETURN_IF_ERROR(ParseStaking(*s, c.staking));
  MESH_ASSIGN_OR_RETURN(const Json* vals, f.Required("validators"));
  MESH_ASSIGN_OR_RETURN(const std::vector<Json>* val_list, vals->AsArray());
  for (const Json& val : *val_list) {
    MESH_ASSIGN_OR_RETURN(ValidatorSpec vs, ParseValidator(val));
    for (const ValidatorSpec& other : c.validators) {
      if (other.name == vs.name) {
        return Bad(absl::StrCat("chain `", c.id, "`"),
                   absl::StrCat("field `validators`: duplicate name `", vs.name, "`"));
      }
    }
    c.validators.push_back(std::move(vs));
  }
  if (const Json* a = f.Optional("accounts")) MESH_RETURN_IF_ERROR(ParseAccounts(*a, c));
  AddServiceAccounts(c);
  MESH_RETURN_IF_ERROR(ReadOpt(f, "local_staking", c.local_staking, ReadBool));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "local_slash_double_sign", c.local_slash_dsign, JsonDec));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "local_slash_downtime", c.local_slash_offline, JsonDec));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "slash_meter_fraction", c.slash_meter_fraction, JsonDec));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "slash_meter_period_s", c.slash_meter_period_s, ReadSeconds));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "gov_voting_period_s", c.gov_voting_period_s, ReadSeconds));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "gov_min_deposit", c.gov_min_deposit, JsonAmount));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "epoch_length", c.epoch_length, ReadU64));
  MESH_RETURN_IF_ERROR(
      ReadOpt(f, "signed_blocks_window", c.liveness.signed_blocks_window, ReadU64));
  MESH_RETURN_IF_ERROR(
      ReadOpt(f, "min_signed_per_window", c.liveness.min_signed_per_window, JsonDec));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "total_max_cap", c.total_max_cap, JsonAmount));
  MESH_RETURN_IF_ERROR(f.Finish());
  return c;
}

absl::StatusOr<std::vector<std::string>> ReadNames(const Json& v) {
  MESH_ASSIGN_OR_RETURN(const std::vector<Json>* items, v.AsArray());
  std::vector<std::string> out;
  for (const Json& i : *items) {
    MESH_ASSIGN_OR_RETURN(std::string name, i.AsString());
    out.push_back(std::move(name));
  }
  return out;
}

// The link mode and, for replicated / opt_in, its CCV parameters
// (docs/shared-security.md).
absl::Status ParseLinkMode(JsonFields& f, LinkSpec& l) {
  if (const Json* m = f.Optional("mode")) {
    MESH_ASSIGN_OR_RETURN(std::string mode, m->AsString());
    absl::StatusOr<provider::LinkMode> parsed = provider::ParseLinkMode(mode);
    if (!parsed.ok()) return f.FieldError("mode", parsed.status());
    l.mode = *parsed;
  }
  MESH_RETURN_IF_ERROR(ReadOpt(f, "blocks_per_epoch", l.blocks_per_epoch, ReadU64));
  if (const Json* t = f.Optional("top_n")) {
    absl::StatusOr<uint32_t> n = ReadU32(*t);
    if (!n.ok()) return f.FieldError("top_n", n.status());
    l.top_n = *n;
  }
  MESH_RETURN_IF_ERROR(ReadOpt(f, "validators_power_cap", l.validators_power_cap, ReadU32));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "validator_set_cap", l.validator_set_cap, ReadU32));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "allowlist", l.allowlist, ReadNames));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "denylist", l.denylist, ReadNames));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "prioritylist", l.prioritylist, ReadNames));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "allow_inactive_vals", l.allow_inactive_vals, ReadBool));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "opted_in", l.opted_in, ReadNames));
  MESH_RETURN_IF_ERROR(
      ReadOpt(f, "unbonding_waits_for_maturity", l.unbonding_waits_for_maturity, ReadBool));
  if (const Json* b = f.Optional("consumer_unbonding_waits_for_maturity")) {
    absl::StatusOr<bool> v = ReadBool(*b);
    if (!v.ok()) return f.FieldError("consumer_unbonding_waits_for_maturity", v.status());
    l.consumer_unbonding_waits_for_maturity = *v;
  }
  MESH_RETURN_IF_ERROR(ReadOpt(f, "min_stake", l.min_stake, JsonAmount));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "downtime_slash_fraction", l.downtime_slash_fraction, JsonDec));
  return ReadOpt(f, "downtime_jail_s", l.downtime_jail_s, ReadSeconds);
}

absl::StatusOr<LinkSpec> ParseLink(const Json& v) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(v, "link"));
  LinkSpec l;
  MESH_ASSIGN_OR_RETURN(l.provider, f.String("provider"));
  MESH_ASSIGN_OR_RETURN(l.consumer, f.String("consumer"));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "price", l.price, JsonDec));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "discount", l.discount, JsonDec));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "max_cap", l.max_cap, JsonAmount));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "price_ttl_s", l.price_ttl_s, ReadSeconds));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "max_retrieve", l.max_retrieve, ReadU32));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "unbonding_period_s", l.unbonding_period_s, ReadSeconds));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "slash_double_sign", l.slash_dsign, JsonDec));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "slash_downtime", l.slash_offline, JsonDec));
  MESH_RETURN_IF_ERROR(
      ReadOpt(f, "require_verified_evidence", l.require_verified_evidence, ReadBool));
  MESH_RETURN_IF_ERROR(ParseLinkMode(f, l));
  MESH_RETURN_IF_ERROR(f.Finish());
  return l;
}

// ---------------------------------------------------------------- steps

const ChainSpec* FindChain(const NetworkSpec& n, const std::string& id) {
  for (const ChainSpec& c : n.chains) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// Validators created by earlier `create_validator` steps, per chain id.
using CreatedValidators = std::map<std::string, std::set<std::string>>;

bool HasValidator(const ChainSpec& c, const CreatedValidators& created, const std::string& name) {
  for (const ValidatorSpec& v : c.validators) {
    if (v.name == name) return true;
  }
  auto it = created.find(c.id);
  return it != created.end() && it->second.contains(name);
}

// Chain ids must exist; validator names must exist on the chain they belong
// to (`chain`, or `consumer` for remote validators), at genesis or created by
// an earlier step; `create_validator` names a validator that does not exist
// yet (and records it in `created`).
absl::Status CheckReferences(const NetworkSpec& n, const Step& s, const std::string& where,
                             CreatedValidators& created) {
  for (const char* key : {"chain", "provider", "consumer", "from", "to"}) {
    if (s.Has(key) && FindChain(n, s.Str(key)) == nullptr) {
      return Bad(where, absl::StrCat("unknown chain `", s.Str(key), "` in `", key, "`"));
    }
  }
  if (s.Has("from") && s.Has("to") && s.Str("from") == s.Str("to")) {
    return Bad(where, absl::StrCat("fields `from` and `to` name the same chain `", s.Str("from"),
                                   "`; a relayer joins two different chains"));
  }
  if (!s.Has("validator")) return absl::OkStatus();
  const std::string owner = s.Has("chain") ? s.Str("chain") : s.Str("consumer");
  const ChainSpec* c = FindChain(n, owner);
  if (c == nullptr) return absl::OkStatus();
  const std::string name = s.Str("validator");
  const bool exists = HasValidator(*c, created, name);
  if (s.action == "create_validator") {
    if (exists) {
      return Bad(where, absl::StrCat("validator `", name, "` already exists on chain `", owner, "`"));
    }
    if (name.empty()) return Bad(where, "field `validator`: empty name");
    created[owner].insert(name);
    return absl::OkStatus();
  }
  if (exists) return absl::OkStatus();
  return Bad(where, absl::StrCat("no validator `", name, "` on chain `", owner, "`"));
}

absl::Status CheckStepFields(const Step& s, const Def& def, const std::string& where) {
  for (const std::string& key : def.required) {
    if (!s.Has(key)) return Bad(where, absl::StrCat("missing field `", key, "`"));
  }
  bool has_result_field = false;
  for (const auto& [key, value] : s.args.members()) {
    if (key == "action" || key == "expect") continue;
    if (Contains(def.fields, key)) {
      has_result_field = true;
      continue;  // expected values: any scalar, compared as text
    }
    if (!Contains(def.required, key) && !Contains(def.optional, key) &&
        !Contains(kCommonOptional, key)) {
      return Bad(where, absl::StrCat("unknown field `", key, "`"));
    }
    MESH_RETURN_IF_ERROR(CheckFieldValue(where, key, value));
  }
  const bool expects_failure = s.Has("expect_error") || s.Has("expect_code");
  if (!def.fields.empty() && !has_result_field && !expects_failure) {
    return Bad(where, absl::StrCat("expects nothing; give at least one of: ",
                                   absl::StrJoin(def.fields, ", ")));
  }
  return absl::OkStatus();
}

// Value checks beyond the field types: ranges that keep counts and times in
// the engine's integer types, enumerations, and field combinations.
absl::Status CheckStepValues(const Step& s, const std::string& where) {
  if (s.action == "edit_validator" && !s.Has("commission") && !s.Has("moniker") &&
      !s.Has("identity") && !s.Has("website") && !s.Has("details")) {
    return Bad(where,
               "changes nothing; give at least one of: commission, moniker, identity, website, "
               "details");
  }
  if (s.action == "set_max_validators" && s.U64("max_validators") > UINT32_MAX) {
    return Bad(where, "field `max_validators`: too large");
  }
  if (s.action == "advance" && s.U64("blocks", 1) > kMaxAdvanceBlocks) {
    return Bad(where, absl::StrCat("field `blocks`: at most ", kMaxAdvanceBlocks, " per step"));
  }
  if (s.U64("seconds") > kMaxSeconds || s.U64("time") > kMaxGenesisTime) {
    return Bad(where, absl::StrCat("field `", s.Has("seconds") ? "seconds" : "time",
                                   "`: too large (a duration is at most ", kMaxSeconds,
                                   " s, a time at most ", kMaxGenesisTime, ")"));
  }
  if (s.action != "expect" && s.U64("height") > static_cast<uint64_t>(INT64_MAX)) {
    return Bad(where, "field `height`: too large (at most 2^63-1)");
  }
  if (s.Has("ordering") && s.Str("ordering") != "ordered" && s.Str("ordering") != "unordered") {
    return Bad(where, "field `ordering`: `ordered` or `unordered`");
  }
  if (const Json* b = s.args.Find("msg");
      b != nullptr && b->kind() != Json::Kind::kObject && b->kind() != Json::Kind::kString) {
    return Bad(where, "field `msg`: a JSON object (protobuf JSON with \"@type\") or a string");
  }
  if (s.query == "delegation" && s.Has("user") == s.Has("provider")) {
    return Bad(where, "give exactly one of `user` or `provider` (the provider's virtual account)");
  }
  if (s.Has("expect_code")) {
    const std::string code = s.Str("expect_code");
    if (!StatusCodeFromName(code).has_value()) {
      return Bad(where, absl::StrCat("field `expect_code`: unknown status code `", code,
                                     "` (e.g. NOT_FOUND, FAILED_PRECONDITION)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Step> ParseStep(const NetworkSpec& n, const Json& v, int index,
                               CreatedValidators& created) {
  Step s;
  s.index = index;
  s.args = v;
  std::string where = absl::StrCat("steps[", index, "]");
  if (v.kind() != Json::Kind::kObject) return Bad(where, "a step must be an object");
  const Json* action = v.Find("action");
  const Json* expect = v.Find("expect");
  if ((action == nullptr) == (expect == nullptr)) {
    return Bad(where, "a step has exactly one of `action` or `expect`");
  }
  const Def* def = nullptr;
  if (action != nullptr) {
    MESH_ASSIGN_OR_RETURN(s.action, action->AsString());
    auto it = Actions().find(s.action);
    if (it == Actions().end()) return Bad(where, absl::StrCat("unknown action `", s.action, "`"));
    def = &it->second;
  } else {
    s.action = "expect";
    MESH_ASSIGN_OR_RETURN(s.query, expect->AsString());
    auto it = Queries().find(s.query);
    if (it == Queries().end()) return Bad(where, absl::StrCat("unknown query `", s.query, "`"));
    def = &it->second;
  }
  absl::StrAppend(&where, " (", s.action == "expect" ? "expect " + s.query : s.action, ")");
  MESH_RETURN_IF_ERROR(CheckStepFields(s, *def, where));
  if (s.action == "advance" && s.Has("blocks") && s.Has("seconds")) {
    return Bad(where, "give `blocks` or `seconds`, not both");
  }
  MESH_RETURN_IF_ERROR(CheckStepValues(s, where));
  MESH_RETURN_IF_ERROR(CheckReferences(n, s, where, created));
  return s;
}

absl::Status ParseNetwork(JsonFields& f, NetworkSpec& n) {
  uint64_t genesis_s = n.genesis_time_ns / kNanosPerSecond;
  MESH_RETURN_IF_ERROR(ReadOpt(f, "genesis_time", genesis_s, ReadU64));
  if (genesis_s > kMaxGenesisTime) {
    return Bad("scenario", absl::StrCat("field `genesis_time`: at most ", kMaxGenesisTime,
                                        " (unix seconds; block times are int64 nanoseconds)"));
  }
  n.genesis_time_ns = genesis_s * kNanosPerSecond;
  MESH_RETURN_IF_ERROR(ReadOpt(f, "block_seconds", n.block_seconds, ReadU64));
  if (n.block_seconds < 1 || n.block_seconds > kMaxSeconds) {
    return Bad("scenario", absl::StrCat("field `block_seconds`: must be 1..", kMaxSeconds));
  }
  MESH_RETURN_IF_ERROR(ReadOpt(f, "auto_relay", n.auto_relay, ReadBool));
  MESH_RETURN_IF_ERROR(ReadOpt(f, "check_invariants", n.check_invariants, ReadBool));
  if (const Json* t = f.Optional("link_agreement_tolerance")) {
    absl::StatusOr<Amount> a = JsonAmount(*t);
    if (!a.ok()) return f.FieldError("link_agreement_tolerance", a.status());
    n.link_agreement_tolerance = *a;
  }
  MESH_ASSIGN_OR_RETURN(const Json* chains, f.Required("chains"));
  MESH_ASSIGN_OR_RETURN(const std::vector<Json>* chain_list, chains->AsArray());
  for (const Json& c : *chain_list) {
    MESH_ASSIGN_OR_RETURN(ChainSpec cs, ParseChain(c));
    if (FindChain(n, cs.id) != nullptr) return Bad("chains", "duplicate chain id " + cs.id);
    n.chains.push_back(std::move(cs));
  }
  if (const Json* links = f.Optional("links")) {
    MESH_ASSIGN_OR_RETURN(const std::vector<Json>* link_list, links->AsArray());
    for (const Json& l : *link_list) {
      MESH_ASSIGN_OR_RETURN(LinkSpec ls, ParseLink(l));
      if (FindChain(n, ls.provider) == nullptr || FindChain(n, ls.consumer) == nullptr ||
          ls.provider == ls.consumer) {
        return Bad("links", "bad link " + ls.provider + " -> " + ls.consumer);
      }
      n.links.push_back(std::move(ls));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<absl::StatusCode> StatusCodeFromName(std::string_view name) {
  for (int c = 1; c <= 16; ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    if (absl::EqualsIgnoreCase(absl::StatusCodeToString(code), std::string(name))) return code;
  }
  return std::nullopt;
}

absl::StatusOr<Amount> JsonAmount(const Json& v) {
  if (v.kind() != Json::Kind::kString && v.kind() != Json::Kind::kNumber) {
    return absl::InvalidArgumentError("an amount must be a string or an integer");
  }
  return Amount::Parse(v.text());
}

absl::StatusOr<Dec> JsonDec(const Json& v) {
  if (v.kind() != Json::Kind::kString && v.kind() != Json::Kind::kNumber) {
    return absl::InvalidArgumentError("a decimal must be a string or a number");
  }
  return Dec::Parse(v.text());
}

absl::StatusOr<Scenario> ParseScenario(std::string_view json_text) {
  absl::StatusOr<Json> root = Json::Parse(json_text);
  if (!root.ok()) return Bad("scenario is not valid JSON", root.status().message());
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(*root, "scenario"));
  Scenario sc;
  if (const Json* n = f.Optional("name")) {
    MESH_ASSIGN_OR_RETURN(sc.name, n->AsString());
  }
  if (const Json* d = f.Optional("description")) {
    MESH_ASSIGN_OR_RETURN(sc.description, d->AsString());
  }
  MESH_RETURN_IF_ERROR(ParseNetwork(f, sc.network));
  MESH_ASSIGN_OR_RETURN(const Json* steps, f.Required("steps"));
  MESH_ASSIGN_OR_RETURN(const std::vector<Json>* step_list, steps->AsArray());
  CreatedValidators created;
  for (size_t i = 0; i < step_list->size(); ++i) {
    MESH_ASSIGN_OR_RETURN(Step s,
                          ParseStep(sc.network, (*step_list)[i], static_cast<int>(i), created));
    sc.steps.push_back(std::move(s));
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  return sc;
}

std::vector<std::string> ActionNames() {
  std::vector<std::string> out;
  for (const auto& [name, def] : Actions()) out.push_back(name);
  return out;
}

std::vector<std::string> QueryNames() {
  std::vector<std::string> out;
  for (const auto& [name, def] : Queries()) out.push_back(name);
  return out;
}

std::vector<std::string> QueryFields(std::string_view query) {
  auto it = Queries().find(std::string(query));
  return it == Queries().end() ? std::vector<std::string>{} : it->second.fields;
}

// ---------------------------------------------------------------- Step

bool Step::Has(std::string_view key) const { return args.Find(key) != nullptr; }

std::string Step::Str(std::string_view key, std::string_view def) const {
  const Json* v = args.Find(key);
  if (v == nullptr) return std::string(def);
  if (v->kind() == Json::Kind::kBool) return v->AsBool().value() ? "true" : "false";
  if (v->kind() == Json::Kind::kObject || v->kind() == Json::Kind::kArray) return v->Write();
  return v->text();
}

Amount Step::Amt(std::string_view key) const {
  const Json* v = args.Find(key);
  if (v == nullptr) return Amount();
  return JsonAmount(*v).value();
}

Dec Step::Decimal(std::string_view key) const {
  const Json* v = args.Find(key);
  if (v == nullptr) return Dec::Zero();
  return JsonDec(*v).value();
}

uint64_t Step::U64(std::string_view key, uint64_t def) const {
  const Json* v = args.Find(key);
  if (v == nullptr) return def;
  return v->AsU64().value();
}

std::string Step::Describe() const {
  std::string out = action == "expect" ? "expect " + query : action;
  for (const auto& [key, value] : args.members()) {
    if (key == "action" || key == "expect" || key == "note") continue;
    if (action == "expect" && Contains(QueryFields(query), key)) continue;
    absl::StrAppend(&out, " ", key, "=", Str(key));
  }
  return out;
}

}  // namespace mesh::scenario
