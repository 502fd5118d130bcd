#include "node/staking_msgs.h"

#include <optional>
#include <string>
#include <utility>

#include "core/crypto.h"
#include "core/json.h"
#include "core/status.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

using staking::Bank;
using staking::Staking;

absl::StatusOr<Amount> AmountField(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String(key));
  return Amount::Parse(s);
}

// Parses `body` as a strict JSON object and hands its fields to `fn`.
template <typename Fn>
absl::Status WithFields(std::string_view body, std::string_view type, Fn fn) {
  MESH_ASSIGN_OR_RETURN(Json json, Json::Parse(body));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(json, type));
  MESH_RETURN_IF_ERROR(fn(f));
  return f.Finish();
}

absl::Status BankSend(const Context& ctx, const AccountAddress& signer, std::string_view body) {
  return WithFields(body, "bank/send", [&](JsonFields& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(std::string to, f.String("to"));
    MESH_ASSIGN_OR_RETURN(std::string denom, f.String("denom"));
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    MESH_RETURN_IF_ERROR(Bech32Decode(to).status());
    return Bank::Send(ctx, signer, AccountAddress(to), Denom(denom), amount);
  });
}

// A 32-byte key as 64 hex digits or as standard base64 (44 characters).
absl::StatusOr<std::string> ConsensusKeyBytes(std::string_view text) {
  absl::StatusOr<std::string> bytes =
      text.size() == 2 * kEd25519PublicKeySize ? FromHex(text) : Base64Decode(text);
  if (!bytes.ok() || bytes->size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError(
        "consensus_pubkey must be 32 bytes as 64 hex digits or base64");
  }
  return bytes;
}

// The optional string `key` of a description object.
absl::StatusOr<std::optional<std::string>> OptionalString(JsonFields& f, std::string_view key) {
  const Json* v = f.Optional(key);
  if (v == nullptr) return std::optional<std::string>();
  absl::StatusOr<std::string> s = v->AsString();
  if (!s.ok()) return f.FieldError(key, s.status());
  return std::optional<std::string>(*std::move(s));
}

// Reads the optional `description` object {moniker?, identity?, website?,
// details?} (strict: no other keys) into `edit`'s description fields.
absl::Status DescriptionField(JsonFields& f, staking::ValidatorEdit& edit) {
  const Json* d = f.Optional("description");
  if (d == nullptr) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(JsonFields df, JsonFields::Of(*d, "description"));
  MESH_ASSIGN_OR_RETURN(edit.moniker, OptionalString(df, "moniker"));
  MESH_ASSIGN_OR_RETURN(edit.identity, OptionalString(df, "identity"));
  MESH_ASSIGN_OR_RETURN(edit.website, OptionalString(df, "website"));
  MESH_ASSIGN_OR_RETURN(edit.details, OptionalString(df, "details"));
  return df.Finish();
}

absl::Status CreateValidator(const Context& ctx, const AccountAddress& signer,
                             std::string_view body) {
  return WithFields(body, "staking/create_validator", [&](JsonFields& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    MESH_ASSIGN_OR_RETURN(std::string rate, f.String("commission"));
    MESH_ASSIGN_OR_RETURN(Dec commission, Dec::Parse(rate));
    std::optional<std::string> consensus_pubkey;
    if (const Json* key = f.Optional("consensus_pubkey"); key != nullptr) {
      MESH_ASSIGN_OR_RETURN(std::string text, key->AsString());
      MESH_ASSIGN_OR_RETURN(consensus_pubkey, ConsensusKeyBytes(text));
    }
    staking::ValidatorEdit edit;
    MESH_RETURN_IF_ERROR(DescriptionField(f, edit));
    staking::Description description{edit.moniker.value_or(""), edit.identity.value_or(""),
                                     edit.website.value_or(""), edit.details.value_or("")};
    MESH_ASSIGN_OR_RETURN(ValidatorAddress val, ValoperOfAccount(signer));
    return Staking::CreateValidator(ctx, val, signer, amount, commission, Amount(1),
                                    std::move(consensus_pubkey), description);
  });
}

absl::Status EditValidator(const Context& ctx, const AccountAddress& signer,
                           std::string_view body) {
  return WithFields(body, "staking/edit_validator", [&](JsonFields& f) -> absl::Status {
    staking::ValidatorEdit edit;
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> rate, OptionalString(f, "commission"));
    if (rate.has_value()) {
      MESH_ASSIGN_OR_RETURN(edit.commission_rate, Dec::Parse(*rate));
    }
    MESH_RETURN_IF_ERROR(DescriptionField(f, edit));
    MESH_ASSIGN_OR_RETURN(ValidatorAddress val, ValoperOfAccount(signer));
    return Staking::EditValidator(ctx, val, edit);
  });
}

absl::Status Delegate(const Context& ctx, const AccountAddress& signer, std::string_view body) {
  return WithFields(body, "staking/delegate", [&](JsonFields& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(std::string val, f.String("validator"));
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return Staking::Delegate(ctx, signer, ValidatorAddress(val), amount).status();
  });
}

absl::Status Undelegate(const Context& ctx, const AccountAddress& signer,
                        std::string_view body) {
  return WithFields(body, "staking/undelegate", [&](JsonFields& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(std::string val, f.String("validator"));
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return Staking::Undelegate(ctx, signer, ValidatorAddress(val), amount).status();
  });
}

absl::Status Redelegate(const Context& ctx, const AccountAddress& signer,
                        std::string_view body) {
  return WithFields(body, "staking/redelegate", [&](JsonFields& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(std::string src, f.String("src"));
    MESH_ASSIGN_OR_RETURN(std::string dst, f.String("dst"));
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return Staking::BeginRedelegate(ctx, signer, ValidatorAddress(src), ValidatorAddress(dst),
                                    amount)
        .status();
  });
}

absl::Status WithdrawRewards(const Context& ctx, const AccountAddress& signer,
                             std::string_view body) {
  return WithFields(body, "staking/withdraw_rewards", [&](JsonFields& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(std::string val, f.String("validator"));
    return Staking::WithdrawRewards(ctx, signer, ValidatorAddress(val)).status();
  });
}

absl::Status Unjail(const Context& ctx, const AccountAddress& signer, std::string_view body) {
  return WithFields(body, "slashing/unjail", [&](JsonFields&) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ValidatorAddress val, ValoperOfAccount(signer));
    return Staking::Unjail(ctx, val);
  });
}

}  // namespace

absl::StatusOr<ValidatorAddress> ValoperOfAccount(const AccountAddress& account) {
  MESH_ASSIGN_OR_RETURN(Bech32Decoded d, Bech32Decode(account.value()));
  MESH_ASSIGN_OR_RETURN(std::string valoper, Bech32Encode(d.hrp + "valoper", d.data));
  return ValidatorAddress(valoper);
}

void InstallStakingMsgs(Chain& chain) {
  chain.RegisterMsg("bank/send", BankSend);
  chain.RegisterMsg("staking/create_validator", CreateValidator);
  chain.RegisterMsg("staking/edit_validator", EditValidator);
  chain.RegisterMsg("staking/delegate", Delegate);
  chain.RegisterMsg("staking/undelegate", Undelegate);
  chain.RegisterMsg("staking/redelegate", Redelegate);
  chain.RegisterMsg("staking/withdraw_rewards", WithdrawRewards);
  chain.RegisterMsg("slashing/unjail", Unjail);
}

void InstallStakingModule(Chain& chain) {
  InstallStakingMsgs(chain);
  chain.AddEndBlocker(
      [](const Context& ctx) { return Staking::EndBlock(ctx).status(); });
}

}  // namespace mesh::node
