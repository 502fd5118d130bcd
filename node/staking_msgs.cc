#include "node/staking_msgs.h"

#include <optional>
#include <string>
#include <utility>

#include "core/crypto.h"
#include "core/status.h"
#include "cosmos/bank/v1beta1/tx.pb.h"
#include "cosmos/crypto/ed25519/keys.pb.h"
#include "cosmos/distribution/v1beta1/tx.pb.h"
#include "cosmos/slashing/v1beta1/tx.pb.h"
#include "cosmos/staking/v1beta1/tx.pb.h"
#include "node/tx.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

using staking::Bank;
using staking::Staking;
namespace st = ::cosmos::staking::v1beta1;

constexpr std::string_view kDoNotModify = "[do-not-modify]";
constexpr std::string_view kEd25519PubKeyType = "/cosmos.crypto.ed25519.PubKey";

// The amount of `coin`, which must be in the bond denom.
absl::StatusOr<Amount> BondCoin(const Context& ctx, const ::cosmos::base::v1beta1::Coin& coin) {
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  if (coin.denom() != params.bond_denom.value()) {
    return absl::InvalidArgumentError("invalid coin denomination: got " + coin.denom() +
                                      ", expected " + params.bond_denom.value());
  }
  return Amount::Parse(coin.amount());
}

// `s` unless it is the SDK's "[do-not-modify]".
std::optional<std::string> Edited(const std::string& s) {
  if (s == kDoNotModify) return std::nullopt;
  return s;
}

absl::Status BankSend(const Context& ctx, const AccountAddress& signer, std::string_view body) {
  ::cosmos::bank::v1beta1::MsgSend m;
  MESH_RETURN_IF_ERROR(UnpackStrict(body, &m));
  MESH_RETURN_IF_ERROR(RequireSigner("from_address", m.from_address(), signer.value()));
  MESH_RETURN_IF_ERROR(Bech32Decode(m.to_address()).status());
  if (m.amount_size() == 0) return absl::InvalidArgumentError("MsgSend without coins");
  for (const auto& c : m.amount()) {
    MESH_ASSIGN_OR_RETURN(Amount a, Amount::Parse(c.amount()));
    MESH_RETURN_IF_ERROR(Bank::Send(ctx, signer, AccountAddress(m.to_address()), Denom(c.denom()), a));
  }
  return absl::OkStatus();
}

absl::Status CreateValidator(const Context& ctx, const AccountAddress& signer,
                             std::string_view body) {
  st::MsgCreateValidator m;
  MESH_RETURN_IF_ERROR(UnpackStrict(body, &m));
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, ValoperOfAccount(signer));
  MESH_RETURN_IF_ERROR(RequireSigner("validator_address", m.validator_address(), val.value()));
  if (!m.delegator_address().empty()) {
    MESH_RETURN_IF_ERROR(RequireSigner("delegator_address", m.delegator_address(), signer.value()));
  }
  MESH_ASSIGN_OR_RETURN(Amount amount, BondCoin(ctx, m.value()));
  MESH_ASSIGN_OR_RETURN(Dec commission, ParseSdkDec(m.commission().rate()));
  Amount min_self = Amount(1);
  if (!m.min_self_delegation().empty()) {
    MESH_ASSIGN_OR_RETURN(min_self, Amount::Parse(m.min_self_delegation()));
  }
  std::optional<std::string> consensus_pubkey;
  if (m.has_pubkey()) {
    if (m.pubkey().type_url() != kEd25519PubKeyType) {
      return absl::InvalidArgumentError("consensus pubkey must be a " +
                                        std::string(kEd25519PubKeyType));
    }
    ::cosmos::crypto::ed25519::PubKey pk;
    MESH_RETURN_IF_ERROR(UnpackStrict(m.pubkey().value(), &pk));
    if (pk.key().size() != kEd25519PublicKeySize) {
      return absl::InvalidArgumentError("consensus pubkey must be 32 bytes");
    }
    consensus_pubkey = pk.key();
  }
  const st::Description& d = m.description();
  staking::Description description{d.moniker(), d.identity(), d.website(), d.details()};
  return Staking::CreateValidator(ctx, val, signer, amount, commission, min_self,
                                  std::move(consensus_pubkey), description);
}

absl::Status EditValidator(const Context& ctx, const AccountAddress& signer,
                           std::string_view body) {
  st::MsgEditValidator m;
  MESH_RETURN_IF_ERROR(UnpackStrict(body, &m));
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, ValoperOfAccount(signer));
  MESH_RETURN_IF_ERROR(RequireSigner("validator_address", m.validator_address(), val.value()));
  staking::ValidatorEdit edit;
  if (!m.commission_rate().empty()) {
    MESH_ASSIGN_OR_RETURN(edit.commission_rate, ParseSdkDec(m.commission_rate()));
  }
  if (m.has_description()) {
    edit.moniker = Edited(m.description().moniker());
    edit.identity = Edited(m.description().identity());
    edit.website = Edited(m.description().website());
    edit.details = Edited(m.description().details());
  }
  return Staking::EditValidator(ctx, val, edit);
}

absl::Status Delegate(const Context& ctx, const AccountAddress& signer, std::string_view body) {
  st::MsgDelegate m;
  MESH_RETURN_IF_ERROR(UnpackStrict(body, &m));
  MESH_RETURN_IF_ERROR(RequireSigner("delegator_address", m.delegator_address(), signer.value()));
  MESH_ASSIGN_OR_RETURN(Amount amount, BondCoin(ctx, m.amount()));
  return Staking::Delegate(ctx, signer, ValidatorAddress(m.validator_address()), amount).status();
}

absl::Status Undelegate(const Context& ctx, const AccountAddress& signer,
                        std::string_view body) {
  st::MsgUndelegate m;
  MESH_RETURN_IF_ERROR(UnpackStrict(body, &m));
  MESH_RETURN_IF_ERROR(RequireSigner("delegator_address", m.delegator_address(), signer.value()));
  MESH_ASSIGN_OR_RETURN(Amount amount, BondCoin(ctx, m.amount()));
  return Staking::Undelegate(ctx, signer, ValidatorAddress(m.validator_address()), amount)
      .status();
}

absl::Status Redelegate(const Context& ctx, const AccountAddress& signer,
                        std::string_view body) {
  st::MsgBeginRedelegate m;
  MESH_RETURN_IF_ERROR(UnpackStrict(body, &m));
  MESH_RETURN_IF_ERROR(RequireSigner("delegator_address", m.delegator_address(), signer.value()));
  MESH_ASSIGN_OR_RETURN(Amount amount, BondCoin(ctx, m.amount()));
  return Staking::BeginRedelegate(ctx, signer, ValidatorAddress(m.validator_src_address()),
                                  ValidatorAddress(m.validator_dst_address()), amount)
      .status();
}

absl::Status WithdrawRewards(const Context& ctx, const AccountAddress& signer,
                             std::string_view body) {
  ::cosmos::distribution::v1beta1::MsgWithdrawDelegatorReward m;
  MESH_RETURN_IF_ERROR(UnpackStrict(body, &m));
  MESH_RETURN_IF_ERROR(RequireSigner("delegator_address", m.delegator_address(), signer.value()));
  return Staking::WithdrawRewards(ctx, signer, ValidatorAddress(m.validator_address())).status();
}

absl::Status Unjail(const Context& ctx, const AccountAddress& signer, std::string_view body) {
  ::cosmos::slashing::v1beta1::MsgUnjail m;
  MESH_RETURN_IF_ERROR(UnpackStrict(body, &m));
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, ValoperOfAccount(signer));
  MESH_RETURN_IF_ERROR(RequireSigner("validator_addr", m.validator_addr(), val.value()));
  return Staking::Unjail(ctx, val);
}

template <typename M>
std::string UrlOf() {
  return "/" + M::descriptor()->full_name();
}

}  // namespace

absl::StatusOr<Dec> ParseSdkDec(std::string_view s) {
  if (s.empty()) return absl::InvalidArgumentError("empty decimal");
  if (s.find('.') != std::string_view::npos) return Dec::Parse(s);
  for (char c : s) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("bad decimal " + std::string(s));
  }
  std::string digits(s);
  if (digits.size() < 19) digits.insert(0, 19 - digits.size(), '0');
  digits.insert(digits.size() - 18, ".");
  return Dec::Parse(digits);
}

Msg BankSendMsg(const AccountAddress& from, const AccountAddress& to, const Denom& denom,
                Amount amount) {
  ::cosmos::bank::v1beta1::MsgSend m;
  m.set_from_address(from.value());
  m.set_to_address(to.value());
  auto* c = m.add_amount();
  c->set_denom(denom.value());
  c->set_amount(amount.ToString());
  return PackMsg(m);
}

Msg DelegateMsg(const AccountAddress& delegator, const ValidatorAddress& validator,
                const Denom& denom, Amount amount) {
  st::MsgDelegate m;
  m.set_delegator_address(delegator.value());
  m.set_validator_address(validator.value());
  m.mutable_amount()->set_denom(denom.value());
  m.mutable_amount()->set_amount(amount.ToString());
  return PackMsg(m);
}

Msg UndelegateMsg(const AccountAddress& delegator, const ValidatorAddress& validator,
                  const Denom& denom, Amount amount) {
  st::MsgUndelegate m;
  m.set_delegator_address(delegator.value());
  m.set_validator_address(validator.value());
  m.mutable_amount()->set_denom(denom.value());
  m.mutable_amount()->set_amount(amount.ToString());
  return PackMsg(m);
}

std::string SdkDecString(Dec d) {
  if (d.raw() < 0) return "-" + Amount(static_cast<u128>(-d.raw())).ToString();
  return Amount(static_cast<u128>(d.raw())).ToString();
}

absl::Status RequireSigner(std::string_view field_name, std::string_view field,
                           std::string_view signer) {
  if (field == signer) return absl::OkStatus();
  return absl::PermissionDeniedError(std::string(field_name) + " " + std::string(field) +
                                     " is not the tx signer " + std::string(signer));
}

absl::StatusOr<ValidatorAddress> ValoperOfAccount(const AccountAddress& account) {
  MESH_ASSIGN_OR_RETURN(Bech32Decoded d, Bech32Decode(account.value()));
  MESH_ASSIGN_OR_RETURN(std::string valoper, Bech32Encode(d.hrp + "valoper", d.data));
  return ValidatorAddress(valoper);
}

void InstallStakingMsgs(Chain& chain) {
  chain.RegisterMsg(UrlOf<::cosmos::bank::v1beta1::MsgSend>(), BankSend);
  chain.RegisterMsg(UrlOf<st::MsgCreateValidator>(), CreateValidator);
  chain.RegisterMsg(UrlOf<st::MsgEditValidator>(), EditValidator);
  chain.RegisterMsg(UrlOf<st::MsgDelegate>(), Delegate);
  chain.RegisterMsg(UrlOf<st::MsgUndelegate>(), Undelegate);
  chain.RegisterMsg(UrlOf<st::MsgBeginRedelegate>(), Redelegate);
  chain.RegisterMsg(UrlOf<::cosmos::distribution::v1beta1::MsgWithdrawDelegatorReward>(),
                    WithdrawRewards);
  chain.RegisterMsg(UrlOf<::cosmos::slashing::v1beta1::MsgUnjail>(), Unjail);
}

void InstallStakingModule(Chain& chain) {
  InstallStakingMsgs(chain);
  chain.AddEndBlocker(
      [](const Context& ctx) { return Staking::EndBlock(ctx).status(); });
}

}  // namespace mesh::node
