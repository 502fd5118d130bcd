// Validator creation, delegation, unbonding and redelegation
// (neighbours.md §1.3, §1.5, §1.6).
#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/record.h"
#include "staking/bank.h"
#include "staking/internal.h"
#include "staking/unbonding_hold.h"

namespace mesh::staking {
namespace internal {
namespace {

// SharesFromTokens for `amount` of the delegation, capped at its shares
// (SDK ValidateUnbondAmount).
// The validator and the delegation an unbond of `amount` changes, as stored.
struct UnbondRecords {
  Validator v;
  Delegation d;
};
absl::StatusOr<UnbondRecords> ReadUnbondRecords(const Context& ctx, const AccountAddress& del,
                                                const ValidatorAddress& val, Amount amount) {
  if (amount.IsZero()) return absl::InvalidArgumentError("amount must be positive");
  MESH_ASSIGN_OR_RETURN(Validator v, MustGetValidator(ctx, val));
  MESH_ASSIGN_OR_RETURN(std::optional<Delegation> d, FindDelegation(ctx, del, val));
  if (!d.has_value()) {
    return absl::NotFoundError("no delegation from " + del.value() + " to " + val.value());
  }
  return UnbondRecords{std::move(v), *std::move(d)};
}

// The shares worth `amount` of `r.d`.
absl::StatusOr<Dec> SharesToUnbond(const UnbondRecords& r, Amount amount) {
  MESH_ASSIGN_OR_RETURN(Dec shares, SharesFromTokens(r.v, amount));
  // SharesFromTokensTruncated yields the same digits, so one comparison
  // stands for both of the SDK's checks.
  if (shares > r.d.shares) return absl::InvalidArgumentError("invalid shares amount");
  return shares;
}

absl::StatusOr<Dec> UnbondShares(const Context& ctx, const AccountAddress& del,
                                 const ValidatorAddress& val, Amount amount) {
  MESH_ASSIGN_OR_RETURN(UnbondRecords r, ReadUnbondRecords(ctx, del, val, amount));
  return SharesToUnbond(r, amount);
}

absl::StatusOr<bool> HasReceivingRedelegation(const Context& ctx, const AccountAddress& del,
                                              const ValidatorAddress& dst) {
  std::string prefix = Encoder(kRedByDstPrefix).Str(del.value()).Str(dst.value()).Take();
  auto it = ctx.store().ScanPrefix(prefix);
  bool found = it->Valid();
  MESH_RETURN_IF_ERROR(it->status());
  return found;
}

// Adds an entry, merging with one of the same creation height and completion
// time (SDK PR #12967); a merged entry needs no new queue key.
// `found`: the pair's unbonding record as stored.
absl::Status AddUbdEntry(const Context& ctx, const AccountAddress& del, const ValidatorAddress& val,
                         uint64_t completion_ns, Amount amount,
                         std::optional<UnbondingDelegation> found) {
  UnbondingDelegation ubd = found.value_or(UnbondingDelegation{del, val, {}});
  bool merged = false;
  for (UnbondingEntry& e : ubd.entries) {
    if (e.creation_height == ctx.height() && e.completion_time_ns == completion_ns) {
      MESH_ASSIGN_OR_RETURN(e.balance, e.balance.Add(amount));
      MESH_ASSIGN_OR_RETURN(e.initial_balance, e.initial_balance.Add(amount));
      merged = true;
      break;
    }
  }
  if (!merged) {
    ubd.entries.push_back(UnbondingEntry{ctx.height(), completion_ns, amount, amount});
    MESH_RETURN_IF_ERROR(ctx.store().Put(UbdQueueKey(completion_ns, del, val), ""));
  }
  MESH_RETURN_IF_ERROR(
      RecordStartedOp(ctx, UndelegationOpId(del, val, ctx.height(), completion_ns)));
  return PutUbd(ctx, ubd);
}

absl::Status CheckRedelegation(const Context& ctx, const Params& p, const AccountAddress& del,
                               const ValidatorAddress& src, const ValidatorAddress& dst) {
  MESH_ASSIGN_OR_RETURN(bool transitive, HasReceivingRedelegation(ctx, del, src));
  if (transitive) {
    return absl::FailedPreconditionError("transitive redelegation: redelegation to " + src.value() +
                                         " has not completed");
  }
  MESH_ASSIGN_OR_RETURN(std::optional<Redelegation> red, FindRed(ctx, del, src, dst));
  if (red.has_value() && red->entries.size() >= p.max_entries) {
    return absl::FailedPreconditionError("too many redelegation entries for (delegator, src, dst)");
  }
  return absl::OkStatus();
}

absl::Status AddRedEntry(const Context& ctx, const AccountAddress& del, const ValidatorAddress& src,
                         const ValidatorAddress& dst, RedelegationEntry entry) {
  MESH_ASSIGN_OR_RETURN(std::optional<Redelegation> found, FindRed(ctx, del, src, dst));
  Redelegation red = found.value_or(Redelegation{del, src, dst, {}});
  red.entries.push_back(entry);
  MESH_RETURN_IF_ERROR(ctx.store().Put(RedQueueKey(entry.completion_time_ns, del, src, dst), ""));
  MESH_RETURN_IF_ERROR(RecordStartedOp(
      ctx, RedelegationOpId(del, src, dst, entry.creation_height, entry.completion_time_ns)));
  return PutRed(ctx, red);
}

}  // namespace

absl::StatusOr<Dec> DelegateInternal(const Context& ctx, const Params& p, const AccountAddress& del,
                                     const ValidatorAddress& val, Amount amount, bool from_account,
                                     bool token_src_bonded) {
  MESH_ASSIGN_OR_RETURN(Validator v, MustGetValidator(ctx, val));
  const StoredPower stored = PowerOf(p, v);
  if (v.tokens.IsZero() && v.delegator_shares.IsPositive()) {
    return absl::FailedPreconditionError("invalid delegator share exchange rate: validator " +
                                         val.value() + " has shares but no tokens");
  }
  MESH_ASSIGN_OR_RETURN(std::optional<Delegation> found, FindDelegation(ctx, del, val));
  if (found.has_value()) {
    MESH_RETURN_IF_ERROR(OnDelegationModifying(ctx, v, *found));
  } else {
    MESH_RETURN_IF_ERROR(OnDelegationCreating(ctx, v));
  }
  if (from_account) {
    MESH_RETURN_IF_ERROR(Bank::Send(ctx, del, PoolFor(v), p.bond_denom, amount));
  } else if (token_src_bonded && !v.IsBonded()) {
    MESH_RETURN_IF_ERROR(MoveBondedToNotBonded(ctx, p, amount));
  } else if (!token_src_bonded && v.IsBonded()) {
    MESH_RETURN_IF_ERROR(MoveNotBondedToBonded(ctx, p, amount));
  }
  MESH_ASSIGN_OR_RETURN(Dec shares, AddTokensFromDel(v, amount));
  if (!shares.IsPositive()) {
    return absl::FailedPreconditionError("delegation too small: it would issue no shares");
  }
  Delegation d = found.value_or(Delegation{del, val, Dec::Zero()});
  MESH_ASSIGN_OR_RETURN(d.shares, d.shares.Add(shares));
  MESH_RETURN_IF_ERROR(PutValidator(ctx, p, v, stored));
  MESH_RETURN_IF_ERROR(PutDelegation(ctx, d));
  MESH_RETURN_IF_ERROR(OnDelegationModified(ctx, v, d));
  return shares;
}

absl::StatusOr<Amount> UnbondInternal(const Context& ctx, const Params& p,
                                      const AccountAddress& del, const ValidatorAddress& val,
                                      Dec shares,
                                      std::vector<std::pair<Denom, Amount>>* rewards_paid) {
  if (!shares.IsPositive()) return absl::InvalidArgumentError("shares must be positive");
  MESH_ASSIGN_OR_RETURN(Validator v, MustGetValidator(ctx, val));
  MESH_ASSIGN_OR_RETURN(std::optional<Delegation> d, FindDelegation(ctx, del, val));
  if (!d.has_value()) {
    return absl::NotFoundError("no delegation from " + del.value() + " to " + val.value());
  }
  return UnbondLoaded(ctx, p, v, *std::move(d), shares, rewards_paid);
}

absl::StatusOr<Amount> UnbondLoaded(const Context& ctx, const Params& p, Validator& v,
                                    Delegation d, Dec shares,
                                    std::vector<std::pair<Denom, Amount>>* rewards_paid) {
  if (!shares.IsPositive()) return absl::InvalidArgumentError("shares must be positive");
  if (d.shares < shares) {
    return absl::FailedPreconditionError("not enough delegation shares");
  }
  const AccountAddress& del = d.delegator;
  const ValidatorAddress& val = v.operator_address;
  StoredPower stored = PowerOf(p, v);
  MESH_RETURN_IF_ERROR(OnDelegationModifying(ctx, v, d, rewards_paid));
  MESH_ASSIGN_OR_RETURN(d.shares, d.shares.Sub(shares));
  if (del == v.operator_account && !v.jailed) {
    MESH_ASSIGN_OR_RETURN(Dec self, TokensFromShares(v, d.shares));
    MESH_ASSIGN_OR_RETURN(Amount self_tokens, self.TruncateAmount());
    if (self_tokens < v.min_self_delegation) {
      MESH_RETURN_IF_ERROR(JailInternal(ctx, v));  // writes v
      stored = PowerOf(p, v);
    }
  }
  if (d.shares.IsZero()) {
    MESH_RETURN_IF_ERROR(DeleteDelegation(ctx, del, val));
    MESH_RETURN_IF_ERROR(OnDelegationRemoved(ctx, val, del));
  } else {
    MESH_RETURN_IF_ERROR(PutDelegation(ctx, d));
  }
  MESH_ASSIGN_OR_RETURN(Amount tokens, RemoveDelShares(v, shares));
  if (v.delegator_shares.IsZero() && v.status == BondStatus::kUnbonded) {
    MESH_RETURN_IF_ERROR(RemoveValidator(ctx, v));
  } else {
    MESH_RETURN_IF_ERROR(PutValidator(ctx, p, v, stored));
  }
  if (!d.shares.IsZero()) MESH_RETURN_IF_ERROR(OnDelegationModified(ctx, v, d));
  return tokens;
}

}  // namespace internal

using internal::Atomically;

std::string DefaultConsensusPubkey(const ValidatorAddress& val) {
  return Ed25519PrivateKey::FromSeed(absl::StrCat("consensus/", val.value())).PublicKey();
}

absl::Status Staking::CreateValidator(const Context& ctx, const ValidatorAddress& val,
                                      const AccountAddress& operator_account, Amount self_bond,
                                      Dec commission_rate, Amount min_self_delegation,
                                      std::optional<std::string> consensus_pubkey,
                                      const Description& description) {
  MESH_RETURN_IF_ERROR(description.Validate());
  if (val.empty() || operator_account.empty()) {
    return absl::InvalidArgumentError("empty validator or operator address");
  }
  if (commission_rate.IsNegative() || commission_rate > Dec::One()) {
    return absl::InvalidArgumentError("commission rate must be in [0, 1]");
  }
  if (min_self_delegation.IsZero() || self_bond < min_self_delegation) {
    return absl::InvalidArgumentError(
        "self bond must be at least min_self_delegation, which must be positive");
  }
  if (consensus_pubkey.has_value() && consensus_pubkey->size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consensus pubkey must be a 32-byte ed25519 key, got ", consensus_pubkey->size(),
        " bytes"));
  }
  const std::string cons_key =
      consensus_pubkey.has_value() ? *std::move(consensus_pubkey) : DefaultConsensusPubkey(val);
  return Atomically(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(std::optional<Validator> existing, internal::FindValidator(c, val));
    if (existing.has_value()) return absl::FailedPreconditionError("validator already exists");
    MESH_ASSIGN_OR_RETURN(bool tombstoned, c.store().Has(internal::TombstoneKey(val)));
    if (tombstoned) return absl::FailedPreconditionError("validator address is tombstoned");
    const std::string index_key = internal::ConsensusKeyIndexKey(cons_key);
    MESH_ASSIGN_OR_RETURN(bool key_used, c.store().Has(index_key));
    if (key_used) {
      return absl::FailedPreconditionError("consensus pubkey is used by another validator");
    }
    MESH_RETURN_IF_ERROR(c.store().Put(index_key, Encoder().Str(val.value()).Take()));
    MESH_ASSIGN_OR_RETURN(Params p, GetParams(c));
    Validator v;
    v.operator_address = val;
    v.operator_account = operator_account;
    v.commission_rate = commission_rate;
    v.min_self_delegation = min_self_delegation;
    v.consensus_pubkey = cons_key;
    v.description = description;
    MESH_RETURN_IF_ERROR(internal::PutValidator(c, v));
    MESH_RETURN_IF_ERROR(internal::InitValidatorRewards(c, val));
    return internal::DelegateInternal(c, p, operator_account, val, self_bond,
                                      /*from_account=*/true, /*token_src_bonded=*/false)
        .status();
  });
}

absl::Status Staking::EditValidator(const Context& ctx, const ValidatorAddress& val,
                                    Dec commission_rate) {
  return EditValidator(ctx, val, ValidatorEdit{.commission_rate = commission_rate});
}

absl::Status Staking::EditValidator(const Context& ctx, const ValidatorAddress& val,
                                    const ValidatorEdit& edit) {
  if (!edit.commission_rate.has_value() && !edit.moniker.has_value() &&
      !edit.identity.has_value() && !edit.website.has_value() && !edit.details.has_value()) {
    return absl::InvalidArgumentError("edit_validator changes nothing");
  }
  if (edit.commission_rate.has_value() &&
      (edit.commission_rate->IsNegative() || *edit.commission_rate > Dec::One())) {
    return absl::InvalidArgumentError("commission rate must be in [0, 1]");
  }
  return Atomically(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(std::optional<Validator> v, internal::FindValidator(c, val));
    if (!v.has_value()) return absl::NotFoundError("no validator " + val.value());
    if (v->tombstoned) return absl::FailedPreconditionError("validator is tombstoned");
    if (edit.commission_rate.has_value()) v->commission_rate = *edit.commission_rate;
    Description& d = v->description;
    if (edit.moniker.has_value()) d.moniker = *edit.moniker;
    if (edit.identity.has_value()) d.identity = *edit.identity;
    if (edit.website.has_value()) d.website = *edit.website;
    if (edit.details.has_value()) d.details = *edit.details;
    MESH_RETURN_IF_ERROR(d.Validate());
    MESH_RETURN_IF_ERROR(internal::PutValidator(c, *v));
    return internal::EmitSimple(c, ValidatorEvent::Kind::kModified, val);
  });
}

absl::StatusOr<Dec> Staking::Delegate(const Context& ctx, const AccountAddress& delegator,
                                      const ValidatorAddress& val, Amount amount) {
  if (amount.IsZero()) return absl::InvalidArgumentError("amount must be positive");
  return Atomically(ctx, [&](const Context& c) -> absl::StatusOr<Dec> {
    MESH_ASSIGN_OR_RETURN(Params p, GetParams(c));
    return internal::DelegateInternal(c, p, delegator, val, amount, /*from_account=*/true,
                                      /*token_src_bonded=*/false);
  });
}

absl::StatusOr<Dec> Staking::ValidateUnbondAmount(const Context& ctx,
                                                  const AccountAddress& delegator,
                                                  const ValidatorAddress& val, Amount amount) {
  return internal::UnbondShares(ctx, delegator, val, amount);
}

absl::StatusOr<uint64_t> Staking::Undelegate(const Context& ctx, const AccountAddress& delegator,
                                             const ValidatorAddress& val, Amount amount,
                                             Amount* tokens,
                                             std::vector<std::pair<Denom, Amount>>* rewards_paid) {
  return Atomically(ctx, [&](const Context& c) {
    return UndelegateInDiscardedScope(c, delegator, val, amount, tokens, rewards_paid);
  });
}

absl::Status Staking::PrefetchUndelegations(
    const Context& ctx,
    std::span<const std::pair<AccountAddress, ValidatorAddress>> delegations) {
  std::vector<std::string> keys;
  keys.reserve(3 * delegations.size());
  for (const auto& [del, val] : delegations) {
    keys.push_back(internal::DelegationKey(del, val));
    keys.push_back(internal::UbdKey(del, val));
    keys.push_back(internal::StartingInfoKey(val, del));
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::optional<std::string>> dropped;
  for (size_t from = 0; from < keys.size(); from += kGetManyChunk) {
    const std::span<const std::string> chunk(keys.data() + from,
                                             std::min(kGetManyChunk, keys.size() - from));
    MESH_RETURN_IF_ERROR(ctx.store().GetMany(chunk, &dropped));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Staking::UndelegateInDiscardedScope(
    const Context& c, const AccountAddress& delegator, const ValidatorAddress& val,
    Amount amount, Amount* tokens, std::vector<std::pair<Denom, Amount>>* rewards_paid) {
  MESH_ASSIGN_OR_RETURN(Params p, GetParams(c));
  // Each record is read once: the validator, the delegation and the
  // unbonding record go from here through the unbond.
  MESH_ASSIGN_OR_RETURN(internal::UnbondRecords r,
                        internal::ReadUnbondRecords(c, delegator, val, amount));
  MESH_ASSIGN_OR_RETURN(Dec shares, internal::SharesToUnbond(r, amount));
  const bool bonded = r.v.IsBonded();
  // Checked before any merge, so a mergeable 8th entry is still rejected.
  MESH_ASSIGN_OR_RETURN(std::optional<UnbondingDelegation> ubd,
                        internal::FindUbd(c, delegator, val));
  if (ubd.has_value() && ubd->entries.size() >= p.max_entries) {
    return absl::FailedPreconditionError("too many unbonding delegation entries");
  }
  MESH_ASSIGN_OR_RETURN(Amount returned, internal::UnbondLoaded(c, p, r.v, std::move(r.d),
                                                                shares, rewards_paid));
  if (bonded) MESH_RETURN_IF_ERROR(internal::MoveBondedToNotBonded(c, p, returned));
  uint64_t completion = c.time_ns() + p.unbonding_time_s * kNanosPerSecond;
  MESH_RETURN_IF_ERROR(
      internal::AddUbdEntry(c, delegator, val, completion, returned, std::move(ubd)));
  if (tokens != nullptr) *tokens = returned;
  return completion;
}

absl::StatusOr<Amount> Staking::InstantUndelegate(const Context& ctx,
                                                  const AccountAddress& delegator,
                                                  const ValidatorAddress& val, Dec shares) {
  return Atomically(ctx, [&](const Context& c) -> absl::StatusOr<Amount> {
    MESH_ASSIGN_OR_RETURN(Params p, GetParams(c));
    MESH_ASSIGN_OR_RETURN(Validator v, internal::MustGetValidator(c, val));
    MESH_ASSIGN_OR_RETURN(Amount returned, internal::UnbondInternal(c, p, delegator, val, shares));
    MESH_RETURN_IF_ERROR(Bank::Send(c, internal::PoolFor(v), delegator, p.bond_denom, returned));
    return returned;
  });
}

absl::StatusOr<uint64_t> Staking::BeginRedelegate(const Context& ctx,
                                                  const AccountAddress& delegator,
                                                  const ValidatorAddress& src,
                                                  const ValidatorAddress& dst, Amount amount) {
  if (src == dst) return absl::InvalidArgumentError("cannot redelegate to the same validator");
  return Atomically(ctx, [&](const Context& c) -> absl::StatusOr<uint64_t> {
    MESH_ASSIGN_OR_RETURN(Params p, GetParams(c));
    MESH_ASSIGN_OR_RETURN(std::optional<Validator> dst_v, internal::FindValidator(c, dst));
    if (!dst_v.has_value()) return absl::NotFoundError("bad redelegation destination");
    MESH_ASSIGN_OR_RETURN(std::optional<Validator> src_v, internal::FindValidator(c, src));
    if (!src_v.has_value()) return absl::NotFoundError("bad redelegation source");
    MESH_ASSIGN_OR_RETURN(Dec shares, internal::UnbondShares(c, delegator, src, amount));
    MESH_RETURN_IF_ERROR(internal::CheckRedelegation(c, p, delegator, src, dst));
    MESH_ASSIGN_OR_RETURN(Amount returned, internal::UnbondInternal(c, p, delegator, src, shares));
    if (returned.IsZero()) return absl::FailedPreconditionError("tiny redelegation amount");
    MESH_ASSIGN_OR_RETURN(Dec dst_shares,
                          internal::DelegateInternal(c, p, delegator, dst, returned,
                                                     /*from_account=*/false, src_v->IsBonded()));
    // Completion follows the source's status (§1.6 rule 6).
    RedelegationEntry entry{c.height(), c.time_ns() + p.unbonding_time_s * kNanosPerSecond,
                            returned, dst_shares};
    if (src_v->status == BondStatus::kUnbonded) return uint64_t{0};  // done, no record
    if (src_v->status == BondStatus::kUnbonding) {
      entry.creation_height = src_v->unbonding_height;
      entry.completion_time_ns = src_v->unbonding_time_ns;
    }
    MESH_RETURN_IF_ERROR(internal::AddRedEntry(c, delegator, src, dst, entry));
    return entry.completion_time_ns;
  });
}

}  // namespace mesh::staking
