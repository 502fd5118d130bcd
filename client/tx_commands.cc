#include "client/tx_commands.h"

#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/rpc_method.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/query_commands.h"
#include "core/amount.h"
#include "core/crypto.h"
#include "core/status.h"
#include "cosmos/auth/v1beta1/auth.pb.h"
#include "cosmos/auth/v1beta1/query.grpc.pb.h"
#include "cosmos/bank/v1beta1/tx.pb.h"
#include "cosmos/base/tendermint/v1beta1/query.pb.h"
#include "cosmos/crypto/ed25519/keys.pb.h"
#include "cosmos/crypto/secp256k1/keys.pb.h"
#include "cosmos/distribution/v1beta1/tx.pb.h"
#include "cosmos/slashing/v1beta1/tx.pb.h"
#include "cosmos/staking/v1beta1/tx.pb.h"
#include "cosmos/tx/v1beta1/tx.pb.h"
#include "meshsec/v1/msgs.pb.h"
#include "meshsec/v1/query.grpc.pb.h"
#include "meshsec/v1/tx.grpc.pb.h"

namespace mesh::client {
namespace {

namespace bk = ::cosmos::bank::v1beta1;
namespace sk = ::cosmos::staking::v1beta1;
namespace ds = ::cosmos::distribution::v1beta1;
namespace sl = ::cosmos::slashing::v1beta1;
namespace txpb = ::cosmos::tx::v1beta1;
namespace ms = ::meshsec::v1;

using Msgs = std::vector<node::Msg>;

absl::Status Bad(std::string msg) { return absl::InvalidArgumentError(std::move(msg)); }

const std::string& Arg(const TxArgs& a, size_t i) {
  static const std::string kEmpty;
  return i < a.args.size() ? a.args[i] : kEmpty;
}

std::string Flag(const TxArgs& a, const std::string& name) {
  auto it = a.flags.find(name);
  return it == a.flags.end() ? "" : it->second;
}

bool HasFlag(const TxArgs& a, const std::string& name) { return a.flags.count(name) > 0; }

// A one-message builder from a typed fill function.
template <typename M, typename Fill>
TxCommand::BuildFn One(Fill fill) {
  return [fill](const TxArgs& a) -> absl::StatusOr<Msgs> {
    M m;
    absl::Status s = fill(a, &m);
    if (!s.ok()) return s;
    return Msgs{node::PackMsg(m)};
  };
}

template <typename M>
std::string TypeUrl() {
  return "/" + std::string(M::descriptor()->full_name());
}

absl::Status SetCoin(const std::string& s, ::cosmos::base::v1beta1::Coin* out) {
  absl::StatusOr<Coin> c = ParseCoin(s);
  if (!c.ok()) return c.status();
  out->set_denom(c->denom);
  out->set_amount(c->amount);
  return absl::OkStatus();
}

// A validator on this chain: <prefix>valoper.
absl::Status LocalValoper(const TxArgs& a, const std::string& v) {
  return CheckAddress(v, a.prefix.empty() ? "*valoper" : a.prefix + "valoper", "validator");
}

// The description fields of create/edit-validator; `keep` is the value of
// an edit's field not given ("[do-not-modify]").
void FillDescription(const TxArgs& a, const std::string& keep, sk::Description* d) {
  auto get = [&](const char* name) { return HasFlag(a, name) ? Flag(a, name) : keep; };
  d->set_moniker(get("moniker"));
  d->set_identity(get("identity"));
  d->set_website(get("website"));
  d->set_security_contact(get("security_contact"));
  d->set_details(get("details"));
}

const std::vector<std::string> kDescriptionFlags = {"moniker", "identity", "website",
                                                    "security_contact", "details"};

std::vector<std::string> Plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---- builders ----

absl::Status BankSend(const TxArgs& a, bk::MsgSend* m) {
  m->set_from_address(a.signer);
  MESH_RETURN_IF_ERROR(CheckAddress(Arg(a, 0), a.prefix, "recipient"));
  m->set_to_address(Arg(a, 0));
  absl::StatusOr<std::vector<Coin>> coins = ParseCoins(Arg(a, 1));
  if (!coins.ok()) return coins.status();
  if (coins->empty()) return Bad("send: no coins");
  for (const Coin& c : *coins) {
    auto* out = m->add_amount();
    out->set_denom(c.denom);
    out->set_amount(c.amount);
  }
  return absl::OkStatus();
}

absl::Status CreateValidator(const TxArgs& a, sk::MsgCreateValidator* m) {
  if (!HasFlag(a, "amount")) return Bad("create-validator: --amount is required");
  if (!HasFlag(a, "consensus_key")) return Bad("create-validator: --consensus-key is required");
  MESH_RETURN_IF_ERROR(SetCoin(Flag(a, "amount"), m->mutable_value()));
  absl::StatusOr<std::string> key = ParseKey32(Flag(a, "consensus_key"), "--consensus-key");
  if (!key.ok()) return key.status();
  ::cosmos::crypto::ed25519::PubKey pk;
  pk.set_key(*key);
  m->mutable_pubkey()->PackFrom(pk, "/");
  FillDescription(a, "", m->mutable_description());
  auto dec = [&](const char* name, const char* def, std::string* out) -> absl::Status {
    absl::StatusOr<std::string> d = DecToSdkWire(HasFlag(a, name) ? Flag(a, name) : def);
    if (!d.ok()) return Bad(absl::StrCat("--", name, ": ", d.status().message()));
    *out = *d;
    return absl::OkStatus();
  };
  MESH_RETURN_IF_ERROR(dec("commission_rate", "0.1", m->mutable_commission()->mutable_rate()));
  MESH_RETURN_IF_ERROR(
      dec("commission_max_rate", "0.2", m->mutable_commission()->mutable_max_rate()));
  MESH_RETURN_IF_ERROR(dec("commission_max_change_rate", "0.01",
                           m->mutable_commission()->mutable_max_change_rate()));
  absl::StatusOr<std::string> min_self =
      ParseIntAmount(HasFlag(a, "min_self_delegation") ? Flag(a, "min_self_delegation") : "1",
                     "--min-self-delegation");
  if (!min_self.ok()) return min_self.status();
  m->set_min_self_delegation(*min_self);
  m->set_delegator_address(a.signer);
  absl::StatusOr<std::string> val = ValoperOf(a.signer);
  if (!val.ok()) return val.status();
  m->set_validator_address(*val);
  return absl::OkStatus();
}

absl::Status EditValidator(const TxArgs& a, sk::MsgEditValidator* m) {
  absl::StatusOr<std::string> val = ValoperOf(a.signer);
  if (!val.ok()) return val.status();
  m->set_validator_address(*val);
  bool any = false;
  for (const std::string& f : kDescriptionFlags) any = any || HasFlag(a, f);
  if (any) FillDescription(a, "[do-not-modify]", m->mutable_description());
  if (HasFlag(a, "commission_rate")) {
    absl::StatusOr<std::string> d = DecToSdkWire(Flag(a, "commission_rate"));
    if (!d.ok()) return Bad(absl::StrCat("--commission-rate: ", d.status().message()));
    m->set_commission_rate(*d);
    any = true;
  }
  if (HasFlag(a, "min_self_delegation")) {
    absl::StatusOr<std::string> v =
        ParseIntAmount(Flag(a, "min_self_delegation"), "--min-self-delegation");
    if (!v.ok()) return v.status();
    m->set_min_self_delegation(*v);
    any = true;
  }
  if (!any) return Bad("edit-validator: nothing to edit (give a description or commission flag)");
  return absl::OkStatus();
}

template <typename M>
absl::Status DelegateLike(const TxArgs& a, M* m) {
  m->set_delegator_address(a.signer);
  MESH_RETURN_IF_ERROR(LocalValoper(a, Arg(a, 0)));
  m->set_validator_address(Arg(a, 0));
  return SetCoin(Arg(a, 1), m->mutable_amount());
}

absl::Status Redelegate(const TxArgs& a, sk::MsgBeginRedelegate* m) {
  m->set_delegator_address(a.signer);
  MESH_RETURN_IF_ERROR(LocalValoper(a, Arg(a, 0)));
  MESH_RETURN_IF_ERROR(LocalValoper(a, Arg(a, 1)));
  if (Arg(a, 0) == Arg(a, 1)) return Bad("redelegate: source and destination are the same");
  m->set_validator_src_address(Arg(a, 0));
  m->set_validator_dst_address(Arg(a, 1));
  return SetCoin(Arg(a, 2), m->mutable_amount());
}

absl::Status WithdrawReward(const TxArgs& a, ds::MsgWithdrawDelegatorReward* m) {
  m->set_delegator_address(a.signer);
  MESH_RETURN_IF_ERROR(LocalValoper(a, Arg(a, 0)));
  m->set_validator_address(Arg(a, 0));
  return absl::OkStatus();
}

absl::Status Unjail(const TxArgs& a, sl::MsgUnjail* m) {
  absl::StatusOr<std::string> val = ValoperOf(a.signer);
  if (!val.ok()) return val.status();
  m->set_validator_addr(*val);
  return absl::OkStatus();
}

absl::Status NonEmpty(const std::string& v, const char* what) {
  return v.empty() ? Bad(absl::StrCat(what, " is empty")) : absl::OkStatus();
}

absl::Status VaultBond(const TxArgs& a, ms::MsgVaultBond* m) {
  m->set_sender(a.signer);
  absl::StatusOr<std::string> v = ParseIntAmount(Arg(a, 0), "amount");
  if (!v.ok()) return v.status();
  m->set_amount(*v);
  return absl::OkStatus();
}

absl::Status VaultUnbond(const TxArgs& a, ms::MsgVaultUnbond* m) {
  m->set_sender(a.signer);
  absl::StatusOr<std::string> v = ParseIntAmount(Arg(a, 0), "amount");
  if (!v.ok()) return v.status();
  m->set_amount(*v);
  return absl::OkStatus();
}

// VALOPER AMOUNT on this chain (stake-local, local unstake).
template <typename M>
absl::Status LocalValAmount(const TxArgs& a, M* m) {
  m->set_sender(a.signer);
  MESH_RETURN_IF_ERROR(LocalValoper(a, Arg(a, 0)));
  m->set_validator(Arg(a, 0));
  absl::StatusOr<std::string> v = ParseIntAmount(Arg(a, 1), "amount");
  if (!v.ok()) return v.status();
  m->set_amount(*v);
  return absl::OkStatus();
}

// CONSUMER VALOPER AMOUNT (stake-remote, external unstake); the validator
// is a consumer-chain operator address (any <p>valoper prefix).
template <typename M>
absl::Status RemoteValAmount(const TxArgs& a, M* m) {
  m->set_sender(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "consumer"));
  m->set_consumer(Arg(a, 0));
  MESH_RETURN_IF_ERROR(CheckAddress(Arg(a, 1), "*valoper", "consumer validator"));
  m->set_validator(Arg(a, 1));
  absl::StatusOr<std::string> v = ParseIntAmount(Arg(a, 2), "amount");
  if (!v.ok()) return v.status();
  m->set_amount(*v);
  return absl::OkStatus();
}

template <typename M>
absl::Status SenderOnly(const TxArgs& a, M* m) {
  m->set_sender(a.signer);
  return absl::OkStatus();
}

// CONSUMER (external withdraw-unbonded; opt-in, opt-out: the validator is
// the signer's own).
template <typename M>
absl::Status ConsumerOnly(const TxArgs& a, M* m) {
  m->set_sender(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "consumer"));
  m->set_consumer(Arg(a, 0));
  return absl::OkStatus();
}

absl::Status ExternalWithdrawRewards(const TxArgs& a, ms::MsgExternalWithdrawRewards* m) {
  m->set_sender(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "consumer"));
  m->set_consumer(Arg(a, 0));
  MESH_RETURN_IF_ERROR(CheckAddress(Arg(a, 1), "*valoper", "consumer validator"));
  m->set_validator(Arg(a, 1));
  MESH_RETURN_IF_ERROR(CheckAddress(Arg(a, 2), "", "remote recipient"));
  m->set_remote_recipient(Arg(a, 2));
  return absl::OkStatus();
}

absl::Status SetPrice(const TxArgs& a, ms::MsgConsumerSetPrice* m) {
  m->set_authority(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "provider"));
  m->set_provider(Arg(a, 0));
  absl::StatusOr<std::string> p = DecPoint18(Arg(a, 1));
  if (!p.ok()) return Bad(absl::StrCat("price: ", p.status().message()));
  m->set_price(*p);
  return absl::OkStatus();
}

absl::Status SetMaxCap(const TxArgs& a, ms::MsgConsumerSetMaxCap* m) {
  m->set_authority(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "provider"));
  m->set_provider(Arg(a, 0));
  absl::StatusOr<std::string> v = ParseIntAmount(Arg(a, 1), "cap");
  if (!v.ok()) return v.status();
  m->set_cap(*v);
  return absl::OkStatus();
}

absl::Status AssignConsumerKey(const TxArgs& a, ms::MsgAssignConsumerKey* m) {
  m->set_sender(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "consumer"));
  m->set_consumer(Arg(a, 0));
  MESH_RETURN_IF_ERROR(LocalValoper(a, Arg(a, 1)));
  m->set_validator(Arg(a, 1));
  absl::StatusOr<std::string> key = ParseKey32(Arg(a, 2), "consumer key");
  if (!key.ok()) return key.status();
  m->set_key(*key);
  return absl::OkStatus();
}


absl::StatusOr<uint64_t> ParseU64Arg(const std::string& s, const char* what) {
  uint64_t v = 0;
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(s, &v)) {
    return Bad(absl::StrCat(what, " must be a decimal number: ", s));
  }
  return v;
}

absl::Status SlashProposal(const TxArgs& a, ms::MsgSubmitSlashProposal* m) {
  m->set_sender(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "consumer"));
  m->set_consumer(Arg(a, 0));
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 1), "validator"));
  m->set_validator(Arg(a, 1));
  absl::StatusOr<uint64_t> h = ParseU64Arg(Arg(a, 2), "infraction height");
  if (!h.ok()) return h.status();
  m->set_infraction_height(*h);
  absl::StatusOr<std::string> f = DecPoint18(Arg(a, 3));
  if (!f.ok()) return Bad(absl::StrCat("fraction: ", f.status().message()));
  m->set_fraction(*f);
  absl::StatusOr<std::string> d = ParseIntAmount(Arg(a, 4), "deposit");
  if (!d.ok()) return d.status();
  m->set_deposit(*d);
  if (HasFlag(a, "jail_only")) {
    const std::string v = Flag(a, "jail_only");
    if (v != "true" && v != "false") return Bad("jail_only must be true or false");
    m->set_jail_only(v == "true");
  }
  return absl::OkStatus();
}

const std::vector<std::string> kShapingFlags = {
    "top_n",    "validators_power_cap", "validator_set_cap", "allowlist",
    "denylist", "prioritylist",         "min_stake",         "allow_inactive_vals"};
const std::vector<std::string> kInfractionFlags = {"downtime_slash_fraction", "downtime_jail_s"};

absl::Status U32Flag(const TxArgs& a, const char* name, uint32_t* out) {
  if (!HasFlag(a, name)) return absl::OkStatus();
  absl::StatusOr<uint64_t> v = ParseU64Arg(Flag(a, name), name);
  if (!v.ok()) return v.status();
  if (*v > UINT32_MAX) return Bad(absl::StrCat(name, ": too large"));
  *out = static_cast<uint32_t>(*v);
  return absl::OkStatus();
}

// A comma-separated valoper list flag.
void ListFlag(const TxArgs& a, const char* name,
              ::google::protobuf::RepeatedPtrField<std::string>* out) {
  if (!HasFlag(a, name)) return;
  for (absl::string_view v : absl::StrSplit(Flag(a, name), ',', absl::SkipEmpty())) {
    out->Add(std::string(v));
  }
}

// The whole power-shaping block (flags not given: 0 / empty / false).
absl::Status FillShaping(const TxArgs& a, ms::LinkPowerShaping* s) {
  uint32_t top_n = 0, power_cap = 0, set_cap = 0;
  MESH_RETURN_IF_ERROR(U32Flag(a, "top_n", &top_n));
  MESH_RETURN_IF_ERROR(U32Flag(a, "validators_power_cap", &power_cap));
  MESH_RETURN_IF_ERROR(U32Flag(a, "validator_set_cap", &set_cap));
  s->set_top_n(top_n);
  s->set_validators_power_cap(power_cap);
  s->set_validator_set_cap(set_cap);
  ListFlag(a, "allowlist", s->mutable_allowlist());
  ListFlag(a, "denylist", s->mutable_denylist());
  ListFlag(a, "prioritylist", s->mutable_prioritylist());
  if (HasFlag(a, "min_stake")) {
    absl::StatusOr<std::string> v = ParseIntAmount(Flag(a, "min_stake"), "min_stake");
    if (!v.ok()) return v.status();
    s->set_min_stake(*v);
  }
  if (HasFlag(a, "allow_inactive_vals")) {
    const std::string v = Flag(a, "allow_inactive_vals");
    if (v != "true" && v != "false") return Bad("allow_inactive_vals must be true or false");
    s->set_allow_inactive_vals(v == "true");
  }
  return absl::OkStatus();
}

absl::Status LinkUpdateProposal(const TxArgs& a, ms::MsgSubmitLinkUpdateProposal* m) {
  m->set_sender(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "consumer"));
  m->set_consumer(Arg(a, 0));
  absl::StatusOr<std::string> d = ParseIntAmount(Arg(a, 1), "deposit");
  if (!d.ok()) return d.status();
  m->set_deposit(*d);
  bool shaping = false, infraction = false;
  for (const std::string& f : kShapingFlags) shaping = shaping || HasFlag(a, f);
  for (const std::string& f : kInfractionFlags) infraction = infraction || HasFlag(a, f);
  if (!shaping && !infraction) return Bad("give power-shaping or infraction flags to change");
  if (shaping) MESH_RETURN_IF_ERROR(FillShaping(a, m->mutable_power_shaping()));
  if (infraction) {
    if (!HasFlag(a, "downtime_slash_fraction") || !HasFlag(a, "downtime_jail_s")) {
      return Bad("infraction: give both --downtime-slash-fraction and --downtime-jail-s");
    }
    absl::StatusOr<std::string> f = DecPoint18(Flag(a, "downtime_slash_fraction"));
    if (!f.ok()) return Bad(absl::StrCat("downtime_slash_fraction: ", f.status().message()));
    absl::StatusOr<uint64_t> j = ParseU64Arg(Flag(a, "downtime_jail_s"), "downtime_jail_s");
    if (!j.ok()) return j.status();
    m->mutable_infraction()->set_downtime_slash_fraction(*f);
    m->mutable_infraction()->set_downtime_jail_s(*j);
  }
  return absl::OkStatus();
}

absl::Status RemovalProposal(const TxArgs& a, ms::MsgSubmitConsumerRemovalProposal* m) {
  m->set_sender(a.signer);
  MESH_RETURN_IF_ERROR(NonEmpty(Arg(a, 0), "consumer"));
  m->set_consumer(Arg(a, 0));
  absl::StatusOr<std::string> d = ParseIntAmount(Arg(a, 1), "deposit");
  if (!d.ok()) return d.status();
  m->set_deposit(*d);
  return absl::OkStatus();
}

absl::Status VoteProposal(const TxArgs& a, ms::MsgVoteSlashProposal* m) {
  m->set_sender(a.signer);
  absl::StatusOr<uint64_t> id = ParseU64Arg(Arg(a, 0), "proposal id");
  if (!id.ok()) return id.status();
  m->set_proposal_id(*id);
  const std::string& o = Arg(a, 1);
  if (o != "yes" && o != "abstain" && o != "no" && o != "no_with_veto") {
    return Bad("option must be yes, abstain, no or no_with_veto: " + o);
  }
  m->set_option(o);
  return absl::OkStatus();
}

absl::StatusOr<Msgs> Raw(const TxArgs& a) {
  if (a.msg_json.empty()) return Bad("raw: give at least one --msg-json");
  Msgs out;
  for (size_t i = 0; i < a.msg_json.size(); ++i) {
    absl::StatusOr<node::Msg> m = node::MsgFromJson(a.msg_json[i], a.signer);
    if (!m.ok()) return Bad(absl::StrCat("--msg-json ", i + 1, ": ", m.status().message()));
    out.push_back(*std::move(m));
  }
  return out;
}

std::vector<TxCommand> MakeTable() {
  std::vector<TxCommand> t;
  auto add = [&t](std::string group, std::string name, std::string usage, std::string help,
                  std::string type, size_t nargs, std::vector<std::string> flags,
                  TxCommand::BuildFn build) {
    TxCommand c;
    c.group = std::move(group);
    c.name = std::move(name);
    c.usage = std::move(usage);
    c.help = std::move(help);
    c.msg_type = std::move(type);
    c.min_args = c.max_args = nargs;
    c.flags = std::move(flags);
    c.build = std::move(build);
    t.push_back(std::move(c));
  };
  const std::vector<std::string> commission = {"commission_rate", "commission_max_rate",
                                               "commission_max_change_rate", "min_self_delegation"};
  add("bank", "send", "TO_ADDRESS AMOUNT", "send coins (AMOUNT: 100uchaina or 1a,2b)",
      TypeUrl<bk::MsgSend>(), 2, {}, One<bk::MsgSend>(BankSend));
  add("staking", "create-validator", "",
      "make the --from account a validator (--amount, --consensus-key, description, commission)",
      TypeUrl<sk::MsgCreateValidator>(), 0,
      Plus(Plus({"amount", "consensus_key"}, kDescriptionFlags), commission),
      One<sk::MsgCreateValidator>(CreateValidator));
  add("staking", "edit-validator", "",
      "edit the --from validator's description, commission rate or min self-delegation",
      TypeUrl<sk::MsgEditValidator>(), 0,
      Plus(kDescriptionFlags, {"commission_rate", "min_self_delegation"}),
      One<sk::MsgEditValidator>(EditValidator));
  add("staking", "delegate", "VALOPER AMOUNT", "delegate AMOUNT (100umesh) to a validator",
      TypeUrl<sk::MsgDelegate>(), 2, {}, One<sk::MsgDelegate>(DelegateLike<sk::MsgDelegate>));
  add("staking", "unbond", "VALOPER AMOUNT", "undelegate AMOUNT from a validator",
      TypeUrl<sk::MsgUndelegate>(), 2, {}, One<sk::MsgUndelegate>(DelegateLike<sk::MsgUndelegate>));
  add("staking", "redelegate", "SRC_VALOPER DST_VALOPER AMOUNT", "move AMOUNT of a delegation",
      TypeUrl<sk::MsgBeginRedelegate>(), 3, {}, One<sk::MsgBeginRedelegate>(Redelegate));
  add("distribution", "withdraw-rewards", "VALOPER",
      "withdraw the delegation rewards of a validator", TypeUrl<ds::MsgWithdrawDelegatorReward>(),
      1, {}, One<ds::MsgWithdrawDelegatorReward>(WithdrawReward));
  add("slashing", "unjail", "", "unjail the --from validator", TypeUrl<sl::MsgUnjail>(), 0, {},
      One<sl::MsgUnjail>(Unjail));
  add("vault", "bond", "AMOUNT", "bond AMOUNT of the vault denom as collateral",
      TypeUrl<ms::MsgVaultBond>(), 1, {}, One<ms::MsgVaultBond>(VaultBond));
  add("vault", "unbond", "AMOUNT", "release AMOUNT of free collateral",
      TypeUrl<ms::MsgVaultUnbond>(), 1, {}, One<ms::MsgVaultUnbond>(VaultUnbond));
  add("vault", "stake-local", "VALOPER AMOUNT", "stake collateral with a validator of this chain",
      TypeUrl<ms::MsgVaultStakeLocal>(), 2, {},
      One<ms::MsgVaultStakeLocal>(LocalValAmount<ms::MsgVaultStakeLocal>));
  add("vault", "stake-remote", "CONSUMER VALOPER AMOUNT",
      "lend collateral to a validator of consumer chain CONSUMER",
      TypeUrl<ms::MsgVaultStakeRemote>(), 3, {},
      One<ms::MsgVaultStakeRemote>(RemoteValAmount<ms::MsgVaultStakeRemote>));
  add("local", "unstake", "VALOPER AMOUNT", "unstake local stake from a validator",
      TypeUrl<ms::MsgLocalUnstake>(), 2, {},
      One<ms::MsgLocalUnstake>(LocalValAmount<ms::MsgLocalUnstake>));
  add("local", "withdraw-unbonded", "", "release matured local unbondings to the vault",
      TypeUrl<ms::MsgLocalWithdrawUnbonded>(), 0, {},
      One<ms::MsgLocalWithdrawUnbonded>(SenderOnly<ms::MsgLocalWithdrawUnbonded>));
  add("local", "withdraw-rewards", "", "withdraw local staking rewards",
      TypeUrl<ms::MsgLocalWithdrawRewards>(), 0, {},
      One<ms::MsgLocalWithdrawRewards>(SenderOnly<ms::MsgLocalWithdrawRewards>));
  add("external", "unstake", "CONSUMER VALOPER AMOUNT", "unstake from a consumer-chain validator",
      TypeUrl<ms::MsgExternalUnstake>(), 3, {},
      One<ms::MsgExternalUnstake>(RemoteValAmount<ms::MsgExternalUnstake>));
  add("external", "withdraw-unbonded", "CONSUMER", "release matured unbondings of one consumer",
      TypeUrl<ms::MsgExternalWithdrawUnbonded>(), 1, {},
      One<ms::MsgExternalWithdrawUnbonded>(ConsumerOnly<ms::MsgExternalWithdrawUnbonded>));
  add("external", "withdraw-rewards", "CONSUMER VALOPER REMOTE_RECIPIENT",
      "send rewards to an address on the consumer chain", TypeUrl<ms::MsgExternalWithdrawRewards>(),
      3, {}, One<ms::MsgExternalWithdrawRewards>(ExternalWithdrawRewards));
  add("consumer", "set-price", "PROVIDER PRICE",
      "price of the provider's collateral in native tokens (authority or oracle)",
      TypeUrl<ms::MsgConsumerSetPrice>(), 2, {}, One<ms::MsgConsumerSetPrice>(SetPrice));
  add("consumer", "set-max-cap", "PROVIDER CAP",
      "maximum virtual stake from a provider (authority)", TypeUrl<ms::MsgConsumerSetMaxCap>(), 2,
      {}, One<ms::MsgConsumerSetMaxCap>(SetMaxCap));
  add("provider", "assign-consumer-key", "CONSUMER VALOPER KEY",
      "assign an ed25519 consensus key (hex or base64) on a consumer",
      TypeUrl<ms::MsgAssignConsumerKey>(), 3, {}, One<ms::MsgAssignConsumerKey>(AssignConsumerKey));
  add("provider", "opt-in", "CONSUMER",
      "the signer's validator opts in to an opt-in consumer (from the next epoch)",
      TypeUrl<ms::MsgOptIn>(), 1, {}, One<ms::MsgOptIn>(ConsumerOnly<ms::MsgOptIn>));
  add("provider", "opt-out", "CONSUMER",
      "the signer's validator opts out of a consumer (refused in its top N)",
      TypeUrl<ms::MsgOptOut>(), 1, {}, One<ms::MsgOptOut>(ConsumerOnly<ms::MsgOptOut>));
  add("provider", "slash-proposal", "CONSUMER VALIDATOR INFRACTION_HEIGHT FRACTION DEPOSIT",
      "governance slash of a consumer validator (the subset problem); deposit in the bond denom; "
      "on a replicated / opt-in link VALIDATOR is a provider valoper or the consumer key / "
      "address it signs with, INFRACTION_HEIGHT a provider height, --jail-only true jails "
      "instead of tombstoning",
      TypeUrl<ms::MsgSubmitSlashProposal>(), 5, {"jail_only"},
      One<ms::MsgSubmitSlashProposal>(SlashProposal));
  add("provider", "link-update-proposal", "CONSUMER DEPOSIT",
      "governance update of a replicated / opt-in link: power shaping (whole block; from the "
      "next epoch) and/or infraction parameters (one unbonding period later)",
      TypeUrl<ms::MsgSubmitLinkUpdateProposal>(), 2, Plus(kShapingFlags, kInfractionFlags),
      One<ms::MsgSubmitLinkUpdateProposal>(LinkUpdateProposal));
  add("provider", "consumer-removal-proposal", "CONSUMER DEPOSIT",
      "governance removal of a replicated / opt-in consumer (stopped at once, state removed one "
      "unbonding period later)",
      TypeUrl<ms::MsgSubmitConsumerRemovalProposal>(), 2, {},
      One<ms::MsgSubmitConsumerRemovalProposal>(RemovalProposal));
  add("provider", "vote", "PROPOSAL_ID yes|abstain|no|no_with_veto",
      "vote on a slash or link proposal (weighted by bonded stake at the tally)",
      TypeUrl<ms::MsgVoteSlashProposal>(), 2, {}, One<ms::MsgVoteSlashProposal>(VoteProposal));
  TxCommand raw;
  raw.group = "raw";
  raw.name = "";
  raw.usage = "--msg-json JSON [--msg-json JSON]...";
  raw.help = "any messages, in the protobuf JSON mapping with \"@type\" (empty signer filled)";
  raw.flags = {"msg_json"};
  raw.build = Raw;
  t.push_back(std::move(raw));
  return t;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const std::vector<TxCommand>& TxCommands() {
  static const auto* t = new std::vector<TxCommand>(MakeTable());
  return *t;
}

std::vector<std::string> TxGroups() {
  std::vector<std::string> out;
  for (const TxCommand& c : TxCommands()) {
    if (std::find(out.begin(), out.end(), c.group) == out.end()) out.push_back(c.group);
  }
  return out;
}

std::string TxGroupSummary(const std::string& group) {
  static const std::map<std::string, std::string> kSummary = {
      {"bank", "cosmos.bank MsgSend"},
      {"staking", "cosmos.staking: create/edit validator, delegate, unbond, redelegate"},
      {"distribution", "cosmos.distribution: withdraw delegation rewards"},
      {"slashing", "cosmos.slashing: unjail"},
      {"vault", "meshsec vault: bond, unbond, stake local/remote"},
      {"local", "meshsec local staking: unstake, withdraw"},
      {"external", "meshsec external staking: unstake, withdraw"},
      {"consumer", "meshsec consumer admin: price, max cap"},
      {"provider", "meshsec provider: consumer key assignment"},
      {"raw", "any messages as protobuf JSON (--msg-json, repeatable)"},
  };
  auto it = kSummary.find(group);
  return it == kSummary.end() ? "" : it->second;
}

const TxCommand* FindTxCommand(const std::string& group, const std::string& name) {
  for (const TxCommand& c : TxCommands()) {
    if (c.group == group && c.name == name) return &c;
  }
  return nullptr;
}

absl::StatusOr<std::string> ParseIntAmount(const std::string& s, const std::string& what) {
  if (!IsDigits(s)) {
    return Bad(absl::StrCat("invalid ", what, " \"", s, "\": expected a non-negative integer"));
  }
  absl::StatusOr<Amount> a = Amount::Parse(s);
  if (!a.ok()) return Bad(absl::StrCat("invalid ", what, " \"", s, "\": ", a.status().message()));
  return a->ToString();
}

absl::StatusOr<Coin> ParseCoin(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  const std::string num = s.substr(0, i);
  const std::string denom = s.substr(i);
  auto bad = [&] {
    return Bad(absl::StrCat("invalid coin \"", s, "\": expected <amount><denom>, e.g. 100umesh"));
  };
  if (num.empty() || denom.size() < 3 || denom.size() > 128 || !absl::ascii_isalpha(denom[0])) {
    return bad();
  }
  for (char c : denom) {
    if (!absl::ascii_isalnum(c) && c != '/' && c != ':' && c != '.' && c != '_' && c != '-') {
      return bad();
    }
  }
  absl::StatusOr<std::string> amount = ParseIntAmount(num, "coin amount");
  if (!amount.ok()) return amount.status();
  return Coin{std::string(denom), *amount};
}

absl::StatusOr<std::vector<Coin>> ParseCoins(const std::string& s) {
  std::vector<Coin> out;
  if (s.empty()) return out;
  for (absl::string_view part : absl::StrSplit(s, ',')) {
    absl::StatusOr<Coin> c = ParseCoin(std::string(absl::StripAsciiWhitespace(part)));
    if (!c.ok()) return c.status();
    out.push_back(*std::move(c));
  }
  return out;
}

absl::StatusOr<std::string> DecPoint18(const std::string& s) {
  const size_t dot = s.find('.');
  const std::string ip = s.substr(0, dot);
  const std::string fp = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (!IsDigits(ip) || (dot != std::string::npos && !IsDigits(fp)) || fp.size() > 18) {
    return Bad(absl::StrCat("invalid decimal \"", s, "\" (e.g. 0.1, at most 18 decimals)"));
  }
  std::string frac(fp);
  frac.resize(18, '0');
  std::string whole(ip);
  whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size() - 1));
  return absl::StrCat(whole, ".", frac);
}

absl::StatusOr<std::string> DecToSdkWire(const std::string& s) {
  absl::StatusOr<std::string> p = DecPoint18(s);
  if (!p.ok()) return p.status();
  std::string digits = *p;
  digits.erase(digits.find('.'), 1);
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
  return digits;
}

absl::Status CheckAddress(const std::string& addr, const std::string& hrp,
                          const std::string& what) {
  if (addr.empty()) return Bad(absl::StrCat(what, " address is empty"));
  absl::StatusOr<Bech32Decoded> d = Bech32Decode(addr);
  if (!d.ok()) {
    return Bad(absl::StrCat("invalid ", what, " address \"", addr, "\": ", d.status().message()));
  }
  const bool ok =
      hrp.empty() || (hrp == "*valoper" ? absl::EndsWith(d->hrp, "valoper") : d->hrp == hrp);
  if (!ok) {
    return Bad(absl::StrCat("invalid ", what, " address \"", addr, "\": expected prefix ",
                            hrp == "*valoper" ? "<chain>valoper" : std::string(hrp)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ValoperOf(const std::string& account) {
  absl::StatusOr<Bech32Decoded> d = Bech32Decode(account);
  if (!d.ok()) return Bad(absl::StrCat("invalid account address \"", account, "\""));
  return Bech32Encode(d->hrp + "valoper", d->data);
}

absl::StatusOr<std::string> ParseKey32(const std::string& s, const std::string& what) {
  if (s.size() == 64) {
    absl::StatusOr<std::string> b = FromHex(s);
    if (b.ok()) return *b;
  }
  std::string out;
  if (absl::Base64Unescape(s, &out) && out.size() == 32) return out;
  return Bad(absl::StrCat("invalid ", what, ": expected 32 bytes as 64 hex digits or base64"));
}

// ---- the node ----

namespace {

std::chrono::system_clock::time_point Deadline(int timeout_ms) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms);
}

absl::Status RpcStatus(const grpc::Status& s, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

}  // namespace

BroadcastResult Broadcast(const std::shared_ptr<grpc::Channel>& channel, const std::string& tx_raw,
                          BroadcastMode mode, int timeout_ms) {
  ms::BroadcastTxRequest req;
  req.set_signed_tx(tx_raw);
  req.set_mode(mode == BroadcastMode::kBlock ? ms::BROADCAST_MODE_BLOCK : ms::BROADCAST_MODE_SYNC);
  ms::BroadcastTxResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout_ms));
  BroadcastResult r;
  r.rpc = ms::Tx::NewStub(channel)->BroadcastTx(&ctx, req, &resp);
  r.code = resp.code();
  r.codespace = resp.codespace();
  r.log = resp.log();
  r.height = resp.height();
  r.txhash = resp.txhash();
  r.gas_wanted = resp.gas_wanted();
  r.gas_used = resp.gas_used();
  return r;
}

absl::StatusOr<std::string> FetchChainId(const std::shared_ptr<grpc::Channel>& channel,
                                         int timeout_ms) {
  namespace tm = ::cosmos::base::tendermint::v1beta1;
  const char kMethod[] = "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo";
  grpc::internal::RpcMethod m(kMethod, grpc::internal::RpcMethod::NORMAL_RPC, channel);
  tm::GetNodeInfoRequest req;
  tm::GetNodeInfoResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout_ms));
  grpc::Status s =
      grpc::internal::BlockingUnaryCall<tm::GetNodeInfoRequest, tm::GetNodeInfoResponse,
                                        google::protobuf::MessageLite,
                                        google::protobuf::MessageLite>(channel.get(), m, &ctx, req,
                                                                       &resp);
  if (!s.ok()) return RpcStatus(s, "GetNodeInfo");
  if (resp.node_info().network().empty()) {
    return absl::FailedPreconditionError("GetNodeInfo: the node reports no network (chain id)");
  }
  return resp.node_info().network();
}

absl::StatusOr<AccountState> FetchAccount(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& address, int timeout_ms) {
  namespace au = ::cosmos::auth::v1beta1;
  AccountState out;
  {
    au::QueryAccountRequest req;
    req.set_address(address);
    au::QueryAccountResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(timeout_ms));
    grpc::Status s = au::Query::NewStub(channel)->Account(&ctx, req, &resp);
    if (!s.ok()) return RpcStatus(s, "account " + address);
    au::BaseAccount acc;
    if (!resp.account().UnpackTo(&acc)) return absl::InternalError("Account: not a BaseAccount");
    out.account_number = acc.account_number();
    out.sequence = acc.sequence();
  }
  // The next nonce counting queued txs, where the node serves it.
  ms::QueryAccountRequest req;
  req.set_address(address);
  ms::QueryAccountResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout_ms));
  grpc::Status s = ms::Query::NewStub(channel)->Account(&ctx, req, &resp);
  if (s.ok()) out.sequence = std::max(out.sequence, resp.sequence());
  return out;
}

int64_t ExpectedSequence(const std::string& log) {
  constexpr std::string_view kKey = "expected ";
  const size_t at = log.find(kKey);
  if (at == std::string::npos) return -1;
  size_t end = at + kKey.size();
  while (end < log.size() && log[end] >= '0' && log[end] <= '9') ++end;
  int64_t v = -1;
  if (!absl::SimpleAtoi(log.substr(at + kKey.size(), end - at - kKey.size()), &v)) return -1;
  return v;
}

BroadcastResult SignAndSend(const PrivateKey& key, node::TxSpec* spec, bool may_resign,
                            const SendFn& send, std::string* note) {
  BroadcastResult r = send(node::SignTx(key, *spec).Encode());
  if (!may_resign || !r.rpc.ok() || r.code != 32 || r.codespace != "sdk") return r;
  const int64_t expected = ExpectedSequence(r.log);
  if (expected < 0 || static_cast<uint64_t>(expected) == spec->sequence) return r;
  if (note != nullptr) {
    *note = absl::StrCat("sequence ", spec->sequence, " refused (", r.log, "); signed again with ",
                         expected);
  }
  spec->sequence = static_cast<uint64_t>(expected);
  return send(node::SignTx(key, *spec).Encode());
}

namespace {

void FillBody(const std::vector<node::Msg>& msgs, const std::string& memo, uint64_t timeout_height,
              txpb::TxBody* body) {
  for (const node::Msg& m : msgs) {
    auto* any = body->add_messages();
    any->set_type_url(m.type_url);
    any->set_value(m.value);
  }
  body->set_memo(memo);
  body->set_timeout_height(timeout_height);
}

}  // namespace

absl::StatusOr<std::string> UnsignedTxJson(const node::TxSpec& spec) {
  txpb::Tx tx;
  FillBody(spec.msgs, spec.memo, spec.timeout_height, tx.mutable_body());
  auto* fee = tx.mutable_auth_info()->mutable_fee();
  for (const node::FeeCoin& c : spec.fee) {
    auto* out = fee->add_amount();
    out->set_denom(c.denom);
    out->set_amount(c.amount.ToString());
  }
  fee->set_gas_limit(spec.gas_limit == 0 ? node::kDefaultGasLimit : spec.gas_limit);
  return ToProtoJson(tx);
}

absl::StatusOr<std::string> SignedTxJson(const std::string& tx_raw) {
  txpb::TxRaw raw;
  if (!raw.ParseFromString(tx_raw)) return absl::InternalError("TxRaw does not parse");
  txpb::Tx tx;
  if (!tx.mutable_body()->ParseFromString(raw.body_bytes()) ||
      !tx.mutable_auth_info()->ParseFromString(raw.auth_info_bytes())) {
    return absl::InternalError("TxRaw body does not parse");
  }
  for (const std::string& sig : raw.signatures()) tx.add_signatures(sig);
  (void)::cosmos::crypto::secp256k1::PubKey::descriptor();
  return ToProtoJson(tx);
}

}  // namespace mesh::client
