// Slashing, jailing and tombstoning (neighbours.md §1.7-§1.10).
#include <optional>
#include <string>
#include <vector>

#include "core/record.h"
#include "staking/bank.h"
#include "staking/internal.h"
#include "staking/unbonding_hold.h"

namespace mesh::staking {
namespace internal {
namespace {

// An entry contributes to the infraction if it was created at or after the
// infraction height and is not mature yet (maturity = completion <= t), or is
// mature but on hold (staking/unbonding_hold.h: "mature and not on hold").
// `op` is the entry's unbonding operation id.
absl::StatusOr<bool> Slashable(const Context& ctx, uint64_t creation_height,
                               uint64_t completion_ns, int64_t infraction_height,
                               const std::string& op) {
  if (static_cast<int64_t>(creation_height) < infraction_height) return false;
  if (completion_ns > ctx.time_ns()) return true;
  return OnHold(ctx, op);
}

// Takes up to `want` tokens from the delegator's slashable unbonding entries
// at `val`, in entry order; returns what was taken (tokens stay in the
// not-bonded pool for the caller to burn).
absl::StatusOr<Amount> TakeFromUbd(const Context& ctx, const AccountAddress& del,
                                   const ValidatorAddress& val, int64_t infraction_height,
                                   Amount want) {
  MESH_ASSIGN_OR_RETURN(std::optional<UnbondingDelegation> ubd, FindUbd(ctx, del, val));
  if (!ubd.has_value()) return Amount::Zero();
  Amount taken;
  for (UnbondingEntry& e : ubd->entries) {
    if (want.IsZero()) break;
    MESH_ASSIGN_OR_RETURN(bool slashable,
                          Slashable(ctx, e.creation_height, e.completion_time_ns, infraction_height,
                                    UndelegationOpId(del, val, e.creation_height,
                                                     e.completion_time_ns)));
    if (!slashable) continue;
    Amount cut = Min(want, e.balance);
    e.balance = e.balance.SaturatingSub(cut);
    want = want.SaturatingSub(cut);
    MESH_ASSIGN_OR_RETURN(taken, taken.Add(cut));
  }
  MESH_RETURN_IF_ERROR(PutUbd(ctx, *ubd));
  return taken;
}

// SlashUnbondingDelegation: returns the amount counted against the
// validator's slash (the theoretical factor x initial_balance per entry).
absl::StatusOr<Amount> SlashUbd(const Context& ctx, const Params& p, UnbondingDelegation ubd,
                                int64_t infraction_height, Dec factor) {
  Amount counted, burned;
  for (UnbondingEntry& e : ubd.entries) {
    MESH_ASSIGN_OR_RETURN(
        bool slashable,
        Slashable(ctx, e.creation_height, e.completion_time_ns, infraction_height,
                  UndelegationOpId(ubd.delegator, ubd.validator, e.creation_height,
                                   e.completion_time_ns)));
    if (!slashable) continue;
    MESH_ASSIGN_OR_RETURN(Amount slash, MulFloor(e.initial_balance, factor));
    MESH_ASSIGN_OR_RETURN(counted, counted.Add(slash));
    Amount cut = Min(slash, e.balance);
    e.balance = e.balance.SaturatingSub(cut);
    MESH_ASSIGN_OR_RETURN(burned, burned.Add(cut));
  }
  MESH_RETURN_IF_ERROR(PutUbd(ctx, ubd));
  MESH_RETURN_IF_ERROR(Bank::Burn(ctx, kNotBondedPool, p.bond_denom, burned));
  return counted;
}

// Unbonds from the dst delegation what a redelegation entry still owes after
// the delegator's dst unbonding entries paid `owed_before - owed`.
absl::StatusOr<Amount> SlashDstDelegation(const Context& ctx, const Params& p,
                                          const Redelegation& red, const RedelegationEntry& e,
                                          Dec factor, Amount owed) {
  MESH_ASSIGN_OR_RETURN(Dec shares, factor.Mul(e.shares_dst));  // half-even, as the SDK
  if (shares.IsZero() || owed.IsZero()) return Amount::Zero();
  MESH_ASSIGN_OR_RETURN(std::optional<Delegation> d, FindDelegation(ctx, red.delegator, red.dst));
  if (!d.has_value()) return Amount::Zero();  // gone: nothing to burn (still counted)
  MESH_ASSIGN_OR_RETURN(Validator dst, MustGetValidator(ctx, red.dst));
  // No double slashing (SDK PR #20688): never unbond more than the shares
  // worth what is still owed.
  if (!dst.tokens.IsZero()) {
    MESH_ASSIGN_OR_RETURN(Dec owed_shares, SharesFromTokens(dst, owed));
    if (owed_shares < shares) shares = owed_shares;
  }
  if (shares > d->shares) shares = d->shares;
  if (!shares.IsPositive()) return Amount::Zero();
  MESH_ASSIGN_OR_RETURN(Amount tokens, UnbondInternal(ctx, p, red.delegator, red.dst, shares));
  MESH_RETURN_IF_ERROR(Bank::Burn(ctx, PoolFor(dst), p.bond_denom, tokens));
  return tokens;
}

// SlashRedelegation with the ASA-2024-005 fix: the delegator's slashable
// unbonding entries at dst pay first, then the dst delegation.
absl::StatusOr<Amount> SlashRed(const Context& ctx, const Params& p, Redelegation red,
                                int64_t infraction_height, Dec factor) {
  Amount counted;
  for (const RedelegationEntry& e : red.entries) {
    MESH_ASSIGN_OR_RETURN(
        bool slashable,
        Slashable(ctx, e.creation_height, e.completion_time_ns, infraction_height,
                  RedelegationOpId(red.delegator, red.src, red.dst, e.creation_height,
                                   e.completion_time_ns)));
    if (!slashable) continue;
    MESH_ASSIGN_OR_RETURN(Amount slash, MulFloor(e.initial_balance, factor));
    MESH_ASSIGN_OR_RETURN(counted, counted.Add(slash));
    MESH_ASSIGN_OR_RETURN(Amount from_ubd,
                          TakeFromUbd(ctx, red.delegator, red.dst, infraction_height, slash));
    MESH_RETURN_IF_ERROR(Bank::Burn(ctx, kNotBondedPool, p.bond_denom, from_ubd));
    MESH_RETURN_IF_ERROR(
        SlashDstDelegation(ctx, p, red, e, factor, slash.SaturatingSub(from_ubd)).status());
  }
  return counted;
}

// Slashes every unbonding and redelegation entry that left `val` at or after
// the infraction height; returns the total counted against the validator.
absl::StatusOr<Amount> SlashEntries(const Context& ctx, const Params& p,
                                    const ValidatorAddress& val, int64_t infraction_height,
                                    Dec factor) {
  Amount counted;
  MESH_ASSIGN_OR_RETURN(std::vector<UnbondingDelegation> ubds,
                        Staking::ValidatorUnbondingDelegations(ctx, val));
  for (const UnbondingDelegation& ubd : ubds) {
    MESH_ASSIGN_OR_RETURN(Amount c, SlashUbd(ctx, p, ubd, infraction_height, factor));
    MESH_ASSIGN_OR_RETURN(counted, counted.Add(c));
  }
  std::string red_prefix = Encoder(kRedBySrcPrefix).Str(val.value()).Take();
  MESH_ASSIGN_OR_RETURN(auto reds, CollectPrefix(ctx.store(), red_prefix));
  for (const KeyValue& kv : reds) {
    Decoder k(std::string_view(kv.key).substr(red_prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string del, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string dst, k.Str());
    MESH_ASSIGN_OR_RETURN(auto red, FindRed(ctx, AccountAddress(del), val, ValidatorAddress(dst)));
    if (!red.has_value()) return absl::InternalError("staking: dangling redelegation index");
    MESH_ASSIGN_OR_RETURN(Amount c, SlashRed(ctx, p, *red, infraction_height, factor));
    MESH_ASSIGN_OR_RETURN(counted, counted.Add(c));
  }
  return counted;
}

// Burns `burn` tokens of the validator (ending its reward period first).
absl::Status BurnValidatorTokens(const Context& ctx, const Params& p, const ValidatorAddress& val,
                                 Amount burn) {
  MESH_ASSIGN_OR_RETURN(Validator v, MustGetValidator(ctx, val));  // re-read: entries may touch it
  burn = Min(burn, v.tokens);
  if (burn.IsZero()) return absl::OkStatus();
  // Effective fraction for distribution: burn / tokens rounded up, <= 1.
  MESH_ASSIGN_OR_RETURN(u128 raw, MulDivU128(burn.raw(), static_cast<u128>(Dec::kOne),
                                             v.tokens.raw(), Rounding::kUp));
  MESH_RETURN_IF_ERROR(OnValidatorSlashed(ctx, v, Dec::FromRaw(static_cast<i128>(raw))));
  MESH_ASSIGN_OR_RETURN(v.tokens, v.tokens.Sub(burn));
  MESH_RETURN_IF_ERROR(PutValidator(ctx, v));
  return Bank::Burn(ctx, PoolFor(v), p.bond_denom, burn);
}

absl::StatusOr<Amount> SlashInternal(const Context& ctx, const ValidatorAddress& val,
                                     int64_t infraction_height, uint64_t power, Dec fraction,
                                     bool double_sign) {
  if (fraction.IsNegative() || fraction > Dec::One()) {
    return absl::InvalidArgumentError("slash fraction must be in [0, 1]");
  }
  if (infraction_height > static_cast<int64_t>(ctx.height())) {
    return absl::InvalidArgumentError("cannot slash an infraction in the future");
  }
  MESH_ASSIGN_OR_RETURN(Params p, Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::optional<Validator> v, FindValidator(ctx, val));
  if (!v.has_value()) return Amount::Zero();  // already removed: nothing left to slash
  if (v->status == BondStatus::kUnbonded) {
    return absl::FailedPreconditionError("should not be slashing an unbonded validator");
  }
  MESH_ASSIGN_OR_RETURN(Amount base, Amount(power).Mul(Amount(p.power_reduction)));
  MESH_ASSIGN_OR_RETURN(Amount slash, MulFloor(base, fraction));
  MESH_RETURN_IF_ERROR(EmitSimple(ctx, ValidatorEvent::Kind::kModified, val));
  Amount remaining = slash;
  if (infraction_height < static_cast<int64_t>(ctx.height())) {
    MESH_ASSIGN_OR_RETURN(Amount counted, SlashEntries(ctx, p, val, infraction_height, fraction));
    remaining = remaining.SaturatingSub(counted);
  }
  MESH_ASSIGN_OR_RETURN(Validator now, MustGetValidator(ctx, val));
  Amount burn = Min(remaining, now.tokens);
  MESH_RETURN_IF_ERROR(BurnValidatorTokens(ctx, p, val, burn));
  ValidatorEvent ev{ValidatorEvent::Kind::kSlashed,
                    val,
                    ctx.height(),
                    infraction_height,
                    power,
                    burn,
                    fraction,
                    double_sign};
  MESH_RETURN_IF_ERROR(EmitEvent(ctx, ev));
  return burn;
}

}  // namespace

absl::Status JailInternal(const Context& ctx, Validator& v) {
  v.jailed = true;
  MESH_RETURN_IF_ERROR(PutValidator(ctx, v));
  return EmitSimple(ctx, ValidatorEvent::Kind::kJailed, v.operator_address);
}

}  // namespace internal

using internal::Atomically;

absl::StatusOr<Amount> Staking::Slash(const Context& ctx, const ValidatorAddress& val,
                                      int64_t infraction_height, uint64_t power, Dec fraction,
                                      bool double_sign) {
  return Atomically(ctx, [&](const Context& c) {
    return internal::SlashInternal(c, val, infraction_height, power, fraction, double_sign);
  });
}

absl::Status Staking::Jail(const Context& ctx, const ValidatorAddress& val) {
  return Atomically(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Validator v, internal::MustGetValidator(c, val));
    if (v.jailed) return absl::FailedPreconditionError("validator already jailed");
    return internal::JailInternal(c, v);
  });
}

absl::Status Staking::Unjail(const Context& ctx, const ValidatorAddress& val) {
  return Atomically(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Validator v, internal::MustGetValidator(c, val));
    MESH_ASSIGN_OR_RETURN(std::optional<Delegation> self,
                          internal::FindDelegation(c, v.operator_account, val));
    if (!self.has_value()) return absl::FailedPreconditionError("validator has no self-delegation");
    MESH_ASSIGN_OR_RETURN(Dec self_dec, internal::TokensFromShares(v, self->shares));
    MESH_ASSIGN_OR_RETURN(Amount self_tokens, self_dec.TruncateAmount());
    if (self_tokens < v.min_self_delegation) {
      return absl::FailedPreconditionError("self-delegation too low to unjail");
    }
    if (!v.jailed) return absl::FailedPreconditionError("validator not jailed");
    if (v.tombstoned) return absl::FailedPreconditionError("validator is tombstoned");
    if (c.time_ns() < v.jailed_until_ns) {
      return absl::FailedPreconditionError("validator still jailed: jail period not over");
    }
    v.jailed = false;
    MESH_RETURN_IF_ERROR(internal::PutValidator(c, v));
    return internal::EmitSimple(c, ValidatorEvent::Kind::kUnjailed, val);
  });
}

absl::Status Staking::Tombstone(const Context& ctx, const ValidatorAddress& val) {
  return Atomically(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Validator v, internal::MustGetValidator(c, val));
    if (v.tombstoned) return absl::FailedPreconditionError("validator already tombstoned");
    // Tombstoned implies jailed forever: out of the set at the next EndBlock
    // and never back (Unjail refuses it, the power index skips it).
    if (!v.jailed) MESH_RETURN_IF_ERROR(internal::JailInternal(c, v));
    v.jailed_until_ns = internal::kDoubleSignJailEndNs;
    v.tombstoned = true;
    MESH_RETURN_IF_ERROR(internal::PutValidator(c, v));
    MESH_RETURN_IF_ERROR(c.store().Put(internal::TombstoneKey(val), ""));
    return internal::EmitSimple(c, ValidatorEvent::Kind::kTombstoned, val);
  });
}

namespace {

// Evidence names a block: a negative height (e.g. a u64 wrapped on its way
// to int64) is refused, not read as "every entry is slashable".
absl::Status CheckEvidenceHeight(int64_t infraction_height) {
  if (infraction_height >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError("evidence infraction height " +
                                    std::to_string(infraction_height) + " is negative");
}

}  // namespace

absl::Status Staking::HandleDoubleSign(const Context& ctx, const ValidatorAddress& val,
                                       int64_t infraction_height, uint64_t power) {
  MESH_RETURN_IF_ERROR(CheckEvidenceHeight(infraction_height));
  return Atomically(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(std::optional<Validator> v, internal::FindValidator(c, val));
    if (!v.has_value() || v->status == BondStatus::kUnbonded || v->tombstoned) {
      return absl::OkStatus();  // §1.10 steps 2 and 4: ignored
    }
    MESH_ASSIGN_OR_RETURN(Params p, GetParams(c));
    MESH_RETURN_IF_ERROR(internal::SlashInternal(c, val, infraction_height, power,
                                                 p.slash_fraction_double_sign, true)
                             .status());
    MESH_ASSIGN_OR_RETURN(Validator now, internal::MustGetValidator(c, val));
    if (!now.jailed) MESH_RETURN_IF_ERROR(internal::JailInternal(c, now));
    now.jailed_until_ns = internal::kDoubleSignJailEndNs;
    MESH_RETURN_IF_ERROR(internal::PutValidator(c, now));
    return Tombstone(c, val);
  });
}

absl::Status Staking::HandleDowntime(const Context& ctx, const ValidatorAddress& val,
                                     int64_t infraction_height, uint64_t power) {
  MESH_ASSIGN_OR_RETURN(Params p, GetParams(ctx));
  return HandleDowntimeWith(ctx, val, infraction_height, power, p.slash_fraction_downtime,
                            p.downtime_jail_duration_s);
}

absl::Status Staking::HandleDowntimeWith(const Context& ctx, const ValidatorAddress& val,
                                         int64_t infraction_height, uint64_t power, Dec fraction,
                                         uint64_t jail_duration_s) {
  MESH_RETURN_IF_ERROR(CheckEvidenceHeight(infraction_height));
  return Atomically(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Validator v, internal::MustGetValidator(c, val));
    // Liveness faults do not stack: a jailed validator is out of the set.
    if (v.jailed || v.status == BondStatus::kUnbonded) return absl::OkStatus();
    MESH_RETURN_IF_ERROR(
        internal::SlashInternal(c, val, infraction_height, power, fraction, false).status());
    MESH_ASSIGN_OR_RETURN(Validator now, internal::MustGetValidator(c, val));
    if (!now.jailed) MESH_RETURN_IF_ERROR(internal::JailInternal(c, now));
    now.jailed_until_ns = c.time_ns() + jail_duration_s * kNanosPerSecond;
    return internal::PutValidator(c, now);
  });
}

}  // namespace mesh::staking
