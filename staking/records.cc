// Value encodings of the staking records and the key builders
// (grammar in docs/staking.md).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/status.h"
#include "staking/internal.h"
#include "staking/staking.h"

namespace mesh::staking {
namespace {

constexpr uint64_t kU64Max = ~uint64_t{0};

uint64_t SaturatingPower(Amount tokens, uint64_t power_reduction) {
  if (power_reduction == 0) return 0;
  u128 p = tokens.raw() / power_reduction;
  return p > kU64Max ? kU64Max : static_cast<uint64_t>(p);
}

// Entries are stored as a u32 count followed by the entries.
absl::StatusOr<uint32_t> DecodeCount(Decoder& d) {
  // A count larger than the input fails at the first missing entry, so the
  // decode loop is bounded by the input size.
  return d.U32();
}

}  // namespace

uint64_t Validator::ConsensusPower(uint64_t power_reduction) const {
  return status == BondStatus::kBonded ? SaturatingPower(tokens, power_reduction) : 0;
}

uint64_t Validator::PotentialPower(uint64_t power_reduction) const {
  return SaturatingPower(tokens, power_reduction);
}

void Params::Encode(Encoder& e) const {
  e.Str(bond_denom.value()).U64(unbonding_time_s).U32(max_validators).U32(max_entries);
  e.U64(power_reduction).Decimal(slash_fraction_double_sign).Decimal(slash_fraction_downtime);
  e.U64(downtime_jail_duration_s);
}

absl::StatusOr<Params> Params::Decode(Decoder& d) {
  Params p;
  MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
  p.bond_denom = Denom(std::move(denom));
  MESH_ASSIGN_OR_RETURN(p.unbonding_time_s, d.U64());
  MESH_ASSIGN_OR_RETURN(p.max_validators, d.U32());
  MESH_ASSIGN_OR_RETURN(p.max_entries, d.U32());
  MESH_ASSIGN_OR_RETURN(p.power_reduction, d.U64());
  MESH_ASSIGN_OR_RETURN(p.slash_fraction_double_sign, d.Decimal());
  MESH_ASSIGN_OR_RETURN(p.slash_fraction_downtime, d.Decimal());
  MESH_ASSIGN_OR_RETURN(p.downtime_jail_duration_s, d.U64());
  return p;
}

void Validator::Encode(Encoder& e) const {
  e.Str(operator_address.value()).Str(operator_account.value());
  e.U8(static_cast<uint8_t>(status)).Amt(tokens).Decimal(delegator_shares);
  e.Bool(jailed).Bool(tombstoned).U64(jailed_until_ns).U64(unbonding_height);
  e.U64(unbonding_time_ns).Decimal(commission_rate).Amt(min_self_delegation);
  e.Bytes(consensus_pubkey);
  e.Str(description.moniker).Str(description.identity).Str(description.website);
  e.Str(description.details);
}

absl::Status Description::Validate() const {
  const auto check = [](std::string_view name, const std::string& v,
                        size_t max) -> absl::Status {
    if (v.size() <= max) return absl::OkStatus();
    return absl::InvalidArgumentError("invalid " + std::string(name) + " length; got: " +
                                      std::to_string(v.size()) + ", max: " + std::to_string(max));
  };
  MESH_RETURN_IF_ERROR(check("moniker", moniker, kMaxMonikerLength));
  MESH_RETURN_IF_ERROR(check("identity", identity, kMaxIdentityLength));
  MESH_RETURN_IF_ERROR(check("website", website, kMaxWebsiteLength));
  return check("details", details, kMaxDetailsLength);
}

namespace {

// A validator record's head: the two addresses (views into the record),
// status, tokens and shares, in Encode's order.
struct ValidatorHead {
  std::string_view operator_address;
  std::string_view operator_account;
  BondStatus status = BondStatus::kUnbonded;
  ShareRate rate;
};

absl::StatusOr<ValidatorHead> DecodeHead(Decoder& d) {
  ValidatorHead h;
  MESH_ASSIGN_OR_RETURN(h.operator_address, d.BytesView());
  MESH_ASSIGN_OR_RETURN(h.operator_account, d.BytesView());
  MESH_ASSIGN_OR_RETURN(uint8_t status, d.U8());
  if (status < 1 || status > 3) return absl::DataLossError("staking: bad validator status");
  h.status = static_cast<BondStatus>(status);
  MESH_ASSIGN_OR_RETURN(h.rate.tokens, d.Amt());
  MESH_ASSIGN_OR_RETURN(h.rate.delegator_shares, d.Decimal());
  return h;
}

}  // namespace

absl::StatusOr<ShareRate> Validator::DecodeShareRate(Decoder& d) {
  MESH_ASSIGN_OR_RETURN(ValidatorHead h, DecodeHead(d));
  return h.rate;
}

absl::StatusOr<Validator> Validator::Decode(Decoder& d) {
  Validator v;
  MESH_ASSIGN_OR_RETURN(ValidatorHead h, DecodeHead(d));
  v.operator_address = ValidatorAddress(std::string(h.operator_address));
  v.operator_account = AccountAddress(std::string(h.operator_account));
  v.status = h.status;
  v.tokens = h.rate.tokens;
  v.delegator_shares = h.rate.delegator_shares;
  MESH_ASSIGN_OR_RETURN(v.jailed, d.Bool());
  MESH_ASSIGN_OR_RETURN(v.tombstoned, d.Bool());
  MESH_ASSIGN_OR_RETURN(v.jailed_until_ns, d.U64());
  MESH_ASSIGN_OR_RETURN(v.unbonding_height, d.U64());
  MESH_ASSIGN_OR_RETURN(v.unbonding_time_ns, d.U64());
  MESH_ASSIGN_OR_RETURN(v.commission_rate, d.Decimal());
  MESH_ASSIGN_OR_RETURN(v.min_self_delegation, d.Amt());
  MESH_ASSIGN_OR_RETURN(v.consensus_pubkey, d.Bytes());
  // Records written before descriptions existed end here: empty description.
  if (d.AtEnd()) return v;
  MESH_ASSIGN_OR_RETURN(v.description.moniker, d.Str());
  MESH_ASSIGN_OR_RETURN(v.description.identity, d.Str());
  MESH_ASSIGN_OR_RETURN(v.description.website, d.Str());
  MESH_ASSIGN_OR_RETURN(v.description.details, d.Str());
  return v;
}

void Delegation::Encode(Encoder& e) const {
  e.Str(delegator.value()).Str(validator.value()).Decimal(shares);
}

absl::StatusOr<Delegation> Delegation::Decode(Decoder& d) {
  Delegation out;
  MESH_ASSIGN_OR_RETURN(std::string del, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
  out.delegator = AccountAddress(std::move(del));
  out.validator = ValidatorAddress(std::move(val));
  MESH_ASSIGN_OR_RETURN(out.shares, d.Decimal());
  return out;
}

void UnbondingDelegation::Encode(Encoder& e) const {
  e.Str(delegator.value()).Str(validator.value()).U32(static_cast<uint32_t>(entries.size()));
  for (const UnbondingEntry& en : entries) {
    e.U64(en.creation_height).U64(en.completion_time_ns).Amt(en.initial_balance).Amt(en.balance);
  }
}

absl::StatusOr<UnbondingDelegation> UnbondingDelegation::Decode(Decoder& d) {
  UnbondingDelegation out;
  MESH_ASSIGN_OR_RETURN(std::string del, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
  out.delegator = AccountAddress(std::move(del));
  out.validator = ValidatorAddress(std::move(val));
  MESH_ASSIGN_OR_RETURN(uint32_t n, DecodeCount(d));
  for (uint32_t i = 0; i < n; ++i) {
    UnbondingEntry en;
    MESH_ASSIGN_OR_RETURN(en.creation_height, d.U64());
    MESH_ASSIGN_OR_RETURN(en.completion_time_ns, d.U64());
    MESH_ASSIGN_OR_RETURN(en.initial_balance, d.Amt());
    MESH_ASSIGN_OR_RETURN(en.balance, d.Amt());
    out.entries.push_back(en);
  }
  return out;
}

void Redelegation::Encode(Encoder& e) const {
  e.Str(delegator.value()).Str(src.value()).Str(dst.value());
  e.U32(static_cast<uint32_t>(entries.size()));
  for (const RedelegationEntry& en : entries) {
    e.U64(en.creation_height).U64(en.completion_time_ns).Amt(en.initial_balance);
    e.Decimal(en.shares_dst);
  }
}

absl::StatusOr<Redelegation> Redelegation::Decode(Decoder& d) {
  Redelegation out;
  MESH_ASSIGN_OR_RETURN(std::string del, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string src, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string dst, d.Str());
  out.delegator = AccountAddress(std::move(del));
  out.src = ValidatorAddress(std::move(src));
  out.dst = ValidatorAddress(std::move(dst));
  MESH_ASSIGN_OR_RETURN(uint32_t n, DecodeCount(d));
  for (uint32_t i = 0; i < n; ++i) {
    RedelegationEntry en;
    MESH_ASSIGN_OR_RETURN(en.creation_height, d.U64());
    MESH_ASSIGN_OR_RETURN(en.completion_time_ns, d.U64());
    MESH_ASSIGN_OR_RETURN(en.initial_balance, d.Amt());
    MESH_ASSIGN_OR_RETURN(en.shares_dst, d.Decimal());
    out.entries.push_back(en);
  }
  return out;
}

void ValidatorEvent::Encode(Encoder& e) const {
  e.U8(static_cast<uint8_t>(kind)).Str(validator.value()).U64(height).I64(infraction_height);
  e.U64(power).Amt(amount).Decimal(fraction).Bool(double_sign);
}

absl::StatusOr<ValidatorEvent> ValidatorEvent::Decode(Decoder& d) {
  ValidatorEvent ev;
  MESH_ASSIGN_OR_RETURN(uint8_t kind, d.U8());
  if (kind < 1 || kind > 7) return absl::DataLossError("staking: bad event kind");
  ev.kind = static_cast<Kind>(kind);
  MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
  ev.validator = ValidatorAddress(std::move(val));
  MESH_ASSIGN_OR_RETURN(ev.height, d.U64());
  MESH_ASSIGN_OR_RETURN(ev.infraction_height, d.I64());
  MESH_ASSIGN_OR_RETURN(ev.power, d.U64());
  MESH_ASSIGN_OR_RETURN(ev.amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(ev.fraction, d.Decimal());
  MESH_ASSIGN_OR_RETURN(ev.double_sign, d.Bool());
  return ev;
}

namespace internal {

std::string ValidatorKey(const ValidatorAddress& val) {
  return Encoder(kValidatorPrefix).Str(val.value()).Take();
}

// Inverted power so that an ascending scan yields the highest power first;
// equal powers then sort by ascending operator address.
std::string PowerIndexKey(uint64_t power, const ValidatorAddress& val) {
  return Encoder(kPowerIndexPrefix).U64(kU64Max - power).Str(val.value()).Take();
}

std::string LastPowerKey(const ValidatorAddress& val) {
  return Encoder(kLastPowerPrefix).Str(val.value()).Take();
}

std::string DelegationKey(const AccountAddress& del, const ValidatorAddress& val) {
  return Encoder(kDelegationPrefix).Str(del.value()).Str(val.value()).Take();
}

std::string DelegationByValKey(const ValidatorAddress& val, const AccountAddress& del) {
  return Encoder(kDelegationByValPrefix)
      .Str(val.value())
      .Str(AddressOrderKey(del.value()))
      .Str(del.value())
      .Take();
}

std::string UbdKey(const AccountAddress& del, const ValidatorAddress& val) {
  return Encoder(kUbdPrefix).Str(del.value()).Str(val.value()).Take();
}

std::string UbdByValKey(const ValidatorAddress& val, const AccountAddress& del) {
  return Encoder(kUbdByValPrefix)
      .Str(val.value())
      .Str(AddressOrderKey(del.value()))
      .Str(del.value())
      .Take();
}

std::string EncodeByValShares(Dec shares) { return Encoder().Decimal(shares).Take(); }

absl::StatusOr<Dec> DecodeByValShares(std::string_view value) {
  if (value.empty()) {
    return absl::FailedPreconditionError(
        "staking: a by-validator delegation entry of an earlier layout (without the shares; "
        "state from an earlier build must be regenerated, docs/staking.md)");
  }
  Decoder d(value);
  MESH_ASSIGN_OR_RETURN(Dec shares, d.Decimal());
  MESH_RETURN_IF_ERROR(d.Finish());
  return shares;
}

absl::StatusOr<ByValEntry> DecodeByValEntry(std::string_view rest) {
  Decoder k(rest);
  ByValEntry e;
  MESH_ASSIGN_OR_RETURN(e.order_key, k.BytesView());
  if (k.AtEnd()) {
    return absl::FailedPreconditionError(
        "staking: a by-validator index entry of an earlier layout (without the order key; "
        "state from an earlier build must be regenerated, docs/staking.md)");
  }
  MESH_ASSIGN_OR_RETURN(e.delegator, k.BytesView());
  return e;
}

std::string UbdQueueKey(uint64_t time_ns, const AccountAddress& del, const ValidatorAddress& val) {
  return Encoder(kUbdQueuePrefix).U64(time_ns).Str(del.value()).Str(val.value()).Take();
}

std::string RedKey(const AccountAddress& del, const ValidatorAddress& src,
                   const ValidatorAddress& dst) {
  return Encoder(kRedPrefix).Str(del.value()).Str(src.value()).Str(dst.value()).Take();
}

std::string RedBySrcKey(const ValidatorAddress& src, const AccountAddress& del,
                        const ValidatorAddress& dst) {
  return Encoder(kRedBySrcPrefix).Str(src.value()).Str(del.value()).Str(dst.value()).Take();
}

std::string RedByDstKey(const AccountAddress& del, const ValidatorAddress& dst,
                        const ValidatorAddress& src) {
  return Encoder(kRedByDstPrefix).Str(del.value()).Str(dst.value()).Str(src.value()).Take();
}

std::string RedQueueKey(uint64_t time_ns, const AccountAddress& del, const ValidatorAddress& src,
                        const ValidatorAddress& dst) {
  return Encoder(kRedQueuePrefix)
      .U64(time_ns)
      .Str(del.value())
      .Str(src.value())
      .Str(dst.value())
      .Take();
}

std::string ValQueueKey(uint64_t time_ns, uint64_t height, const ValidatorAddress& val) {
  return Encoder(kValQueuePrefix).U64(time_ns).U64(height).Str(val.value()).Take();
}

std::string TombstoneKey(const ValidatorAddress& val) {
  return Encoder(kTombstonePrefix).Str(val.value()).Take();
}

std::string PowerHistoryKey(const ValidatorAddress& val, uint64_t effective_height) {
  return Encoder(kPowerHistoryPrefix).Str(val.value()).U64(kU64Max - effective_height).Take();
}

std::string PowerHistoryPrefix(const ValidatorAddress& val) {
  return Encoder(kPowerHistoryPrefix).Str(val.value()).Take();
}

std::string PowerPruneKey(uint64_t prune_time_ns, const ValidatorAddress& val,
                          uint64_t effective_height) {
  return Encoder(kPowerPruneQueuePrefix)
      .U64(prune_time_ns)
      .Str(val.value())
      .U64(effective_height)
      .Take();
}

std::string ConsensusKeyIndexKey(std::string_view consensus_pubkey) {
  return Encoder(kConsensusKeyPrefix).Bytes(consensus_pubkey).Take();
}

}  // namespace internal
}  // namespace mesh::staking
