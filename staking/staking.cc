// Genesis, parameters, queries, event draining and invariants.
#include "staking/staking.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/record.h"
#include "staking/bank.h"
#include "staking/internal.h"

namespace mesh::staking {
namespace {

using internal::CollectPrefix;
using internal::KeyValue;

std::string ParamsKey() { return std::string(1, static_cast<char>(internal::kParamsKey)); }

absl::Status ValidateParams(const Params& p) {
  auto in_unit = [](Dec d) { return !d.IsNegative() && d <= Dec::One(); };
  if (p.bond_denom.empty()) return absl::InvalidArgumentError("bond denom must not be empty");
  if (p.unbonding_time_s == 0) return absl::InvalidArgumentError("unbonding time must be > 0");
  if (p.max_validators == 0) return absl::InvalidArgumentError("max validators must be > 0");
  if (p.max_entries == 0) return absl::InvalidArgumentError("max entries must be > 0");
  if (p.power_reduction == 0) return absl::InvalidArgumentError("power reduction must be > 0");
  if (!in_unit(p.slash_fraction_double_sign) || !in_unit(p.slash_fraction_downtime)) {
    return absl::InvalidArgumentError("slash fractions must be in [0, 1]");
  }
  if (p.downtime_jail_duration_s == 0) {
    return absl::InvalidArgumentError("downtime jail duration must be > 0");
  }
  // Times are u64 nanoseconds; keep t + duration far from overflow.
  constexpr uint64_t kMaxSeconds = 100ULL * 365 * 24 * 3600;
  if (p.unbonding_time_s > kMaxSeconds || p.downtime_jail_duration_s > kMaxSeconds) {
    return absl::InvalidArgumentError("durations must be at most 100 years");
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<std::vector<T>> LoadAll(const Context& ctx, std::string_view prefix) {
  // Decoded straight from the scan: no copy of the keys and values.
  std::vector<T> out;
  std::unique_ptr<KvIterator> it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(T v, DecodeRecord<T>(it->value()));
    out.push_back(std::move(v));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status Broken(const std::string& what) {
  return absl::InternalError("staking invariant broken: " + what);
}

absl::Status CheckShares(const Context& ctx, const std::vector<Validator>& vals) {
  std::map<std::string, Dec> sums;
  std::string prefix(1, static_cast<char>(internal::kDelegationPrefix));
  MESH_ASSIGN_OR_RETURN(auto dels, LoadAll<Delegation>(ctx, prefix));
  for (const Delegation& d : dels) {
    if (!d.shares.IsPositive()) return Broken("delegation with non-positive shares");
    MESH_ASSIGN_OR_RETURN(sums[d.validator.value()], sums[d.validator.value()].Add(d.shares));
  }
  for (const Validator& v : vals) {
    auto it = sums.find(v.operator_address.value());
    Dec sum = it == sums.end() ? Dec::Zero() : it->second;
    if (sum != v.delegator_shares) {
      return Broken("delegator shares of " + v.operator_address.value() + " are " +
                    v.delegator_shares.ToString() + ", delegations sum to " + sum.ToString());
    }
    if (it != sums.end()) sums.erase(it);
  }
  if (!sums.empty()) return Broken("delegation to unknown validator " + sums.begin()->first);
  return absl::OkStatus();
}

absl::Status CheckPools(const Context& ctx, const Params& p, const std::vector<Validator>& vals) {
  Amount bonded, not_bonded;
  for (const Validator& v : vals) {
    Amount& sum = v.IsBonded() ? bonded : not_bonded;
    MESH_ASSIGN_OR_RETURN(sum, sum.Add(v.tokens));
  }
  std::string prefix(1, static_cast<char>(internal::kUbdPrefix));
  MESH_ASSIGN_OR_RETURN(auto ubds, LoadAll<UnbondingDelegation>(ctx, prefix));
  for (const UnbondingDelegation& u : ubds) {
    for (const UnbondingEntry& e : u.entries) {
      if (e.balance > e.initial_balance) return Broken("unbonding balance above initial");
      MESH_ASSIGN_OR_RETURN(not_bonded, not_bonded.Add(e.balance));
    }
  }
  MESH_ASSIGN_OR_RETURN(Amount bonded_pool, Bank::Balance(ctx, kBondedPool, p.bond_denom));
  MESH_ASSIGN_OR_RETURN(Amount nb_pool, Bank::Balance(ctx, kNotBondedPool, p.bond_denom));
  if (bonded_pool != bonded) {
    return Broken("bonded pool " + bonded_pool.ToString() + " != bonded tokens " +
                  bonded.ToString());
  }
  if (nb_pool != not_bonded) {
    return Broken("not-bonded pool " + nb_pool.ToString() + " != not-bonded tokens " +
                  not_bonded.ToString());
  }
  return absl::OkStatus();
}

// Every Indexed validator (neither jailed nor tombstoned) has exactly its
// power-index key.
absl::Status CheckPowerIndex(const Context& ctx, const Params& p,
                             const std::vector<Validator>& vals) {
  size_t expected = 0;
  for (const Validator& v : vals) {
    if (!internal::Indexed(v)) continue;
    ++expected;
    std::string key =
        internal::PowerIndexKey(v.PotentialPower(p.power_reduction), v.operator_address);
    MESH_ASSIGN_OR_RETURN(bool has, ctx.store().Has(key));
    if (!has) return Broken("power index missing " + v.operator_address.value());
  }
  std::string prefix(1, static_cast<char>(internal::kPowerIndexPrefix));
  MESH_ASSIGN_OR_RETURN(auto kvs, CollectPrefix(ctx.store(), prefix));
  if (kvs.size() != expected) return Broken("stale power index entries");
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> count, internal::PowerIndexCount(ctx));
  if (count.has_value() && *count != expected) {
    return Broken(absl::StrCat("power index count ", *count, " but ", expected, " entries"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Staking::InitGenesis(const Context& ctx, const Params& params) {
  return SetParams(ctx, params);
}

absl::StatusOr<Params> Staking::GetParams(const Context& ctx) {
  return GetRecordOr<Params>(ctx.store(), ParamsKey(), Params{});
}

absl::Status Staking::SetParams(const Context& ctx, const Params& params) {
  MESH_RETURN_IF_ERROR(ValidateParams(params));
  MESH_ASSIGN_OR_RETURN(std::optional<Params> old, GetRecord<Params>(ctx.store(), ParamsKey()));
  if (old.has_value() && old->power_reduction != params.power_reduction) {
    // The power index is keyed by tokens / power_reduction.
    MESH_ASSIGN_OR_RETURN(std::vector<Validator> vals, AllValidators(ctx));
    if (!vals.empty()) {
      return absl::FailedPreconditionError("power reduction cannot change once validators exist");
    }
  }
  return PutRecord(ctx.store(), ParamsKey(), params);
}

absl::StatusOr<std::optional<Validator>> Staking::GetValidator(const Context& ctx,
                                                               const ValidatorAddress& val) {
  return internal::FindValidator(ctx, val);
}

absl::StatusOr<std::vector<Validator>> Staking::AllValidators(const Context& ctx) {
  return LoadAll<Validator>(ctx, std::string(1, static_cast<char>(internal::kValidatorPrefix)));
}

absl::StatusOr<std::vector<Validator>> Staking::BondedValidators(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(Params p, GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<Validator> all, AllValidators(ctx));
  std::vector<Validator> out;
  for (Validator& v : all) {
    if (v.IsBonded()) out.push_back(std::move(v));
  }
  std::stable_sort(out.begin(), out.end(), [&](const Validator& a, const Validator& b) {
    uint64_t pa = a.PotentialPower(p.power_reduction), pb = b.PotentialPower(p.power_reduction);
    if (pa != pb) return pa > pb;
    return a.operator_address < b.operator_address;
  });
  return out;
}

absl::StatusOr<std::optional<Delegation>> Staking::GetDelegation(const Context& ctx,
                                                                 const AccountAddress& delegator,
                                                                 const ValidatorAddress& val) {
  return internal::FindDelegation(ctx, delegator, val);
}

absl::StatusOr<std::vector<Delegation>> Staking::DelegatorDelegations(
    const Context& ctx, const AccountAddress& delegator) {
  return LoadAll<Delegation>(ctx,
                             Encoder(internal::kDelegationPrefix).Str(delegator.value()).Take());
}

namespace {

// Visits the by-validator index `table` (0x25 or 0x27) of `val` in key order
// (ascending order keys, or descending with `reverse`) from `from` (see
// Staking::VisitValidatorDelegators): `visit(entry, value)`.
template <typename Visit>
absl::Status ScanByVal(const Context& ctx, uint8_t table, const ValidatorAddress& val,
                       std::string_view from, bool reverse, Visit visit) {
  // Each key built in one allocation (a page's query builds two).
  const std::string prefix =
      Encoder(table).Reserve(1 + 4 + val.value().size()).Str(val.value()).Take();
  auto from_key = [&] {
    return Encoder().Reserve(prefix.size() + 4 + from.size()).Raw(prefix).Str(from).Take();
  };
  std::string begin = !from.empty() && !reverse ? from_key() : prefix;
  std::string end = PrefixEnd(!from.empty() && reverse ? from_key() : prefix);
  auto it = ctx.store().Scan(begin, end, reverse);
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(internal::ByValEntry e,
                          internal::DecodeByValEntry(it->key().substr(prefix.size())));
    MESH_ASSIGN_OR_RETURN(bool more, visit(e, it->value()));
    if (!more) break;
  }
  return it->status();
}

absl::Status VisitByVal(const Context& ctx, uint8_t table, const ValidatorAddress& val,
                        std::string_view from, bool reverse, Staking::IndexVisitor visit) {
  return ScanByVal(ctx, table, val, from, reverse,
                   [&](const internal::ByValEntry& e, std::string_view) {
                     return visit(e.order_key, AccountAddress(std::string(e.delegator)));
                   });
}

// Every entry of `val`'s by-validator index `table`, each looked up by
// `find` (the record it indexes; InternalError names a dangling entry).
template <typename T, typename Find>
absl::StatusOr<std::vector<T>> LoadByVal(const Context& ctx, uint8_t table,
                                         const ValidatorAddress& val, Find find) {
  std::vector<T> out;
  MESH_RETURN_IF_ERROR(VisitByVal(
      ctx, table, val, "", false,
      [&](std::string_view, const AccountAddress& del) -> absl::StatusOr<bool> {
        MESH_ASSIGN_OR_RETURN(std::optional<T> t, find(ctx, del, val));
        if (!t.has_value()) {
          return absl::InternalError("staking: dangling by-validator index entry");
        }
        out.push_back(*std::move(t));
        return true;
      }));
  return out;
}

}  // namespace

absl::Status Staking::CheckStoredLayout(const Context& ctx) {
  for (const uint8_t table : {internal::kDelegationByValPrefix, internal::kUbdByValPrefix}) {
    auto it = ctx.store().ScanPrefix(std::string(1, static_cast<char>(table)));
    if (!it->Valid()) {
      MESH_RETURN_IF_ERROR(it->status());
      continue;
    }
    Decoder key(it->key().substr(1));
    MESH_RETURN_IF_ERROR(key.Str().status());  // the validator
    MESH_RETURN_IF_ERROR(internal::DecodeByValEntry(key.Rest()).status());
    if (table == internal::kDelegationByValPrefix) {
      MESH_RETURN_IF_ERROR(internal::DecodeByValShares(it->value()).status());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Delegation>> Staking::ValidatorDelegations(const Context& ctx,
                                                                      const ValidatorAddress& val) {
  std::vector<Delegation> out;
  MESH_RETURN_IF_ERROR(VisitValidatorDelegations(
      ctx, val, "", false,
      [&](std::string_view, std::string_view del, Dec shares) -> absl::StatusOr<bool> {
        out.push_back(Delegation{AccountAddress(std::string(del)), val, shares});
        return true;
      }));
  return out;
}

absl::Status Staking::VisitValidatorDelegations(const Context& ctx, const ValidatorAddress& val,
                                                std::string_view from, bool reverse,
                                                DelegationVisitor visit) {
  return ScanByVal(ctx, internal::kDelegationByValPrefix, val, from, reverse,
                   [&](const internal::ByValEntry& e,
                       std::string_view value) -> absl::StatusOr<bool> {
                     MESH_ASSIGN_OR_RETURN(Dec shares, internal::DecodeByValShares(value));
                     return visit(e.order_key, e.delegator, shares);
                   });
}

absl::Status Staking::VisitValidatorDelegators(const Context& ctx, const ValidatorAddress& val,
                                               std::string_view from, bool reverse,
                                               IndexVisitor visit) {
  return VisitByVal(ctx, internal::kDelegationByValPrefix, val, from, reverse, visit);
}

absl::Status Staking::VisitValidatorUnbonders(const Context& ctx, const ValidatorAddress& val,
                                              std::string_view from, bool reverse,
                                              IndexVisitor visit) {
  return VisitByVal(ctx, internal::kUbdByValPrefix, val, from, reverse, visit);
}

absl::StatusOr<Amount> Staking::DelegationTokens(const Context& ctx,
                                                 const AccountAddress& delegator,
                                                 const ValidatorAddress& val) {
  MESH_ASSIGN_OR_RETURN(Validator v, internal::MustGetValidator(ctx, val));
  MESH_ASSIGN_OR_RETURN(std::optional<Delegation> d, internal::FindDelegation(ctx, delegator, val));
  if (!d.has_value()) return Amount::Zero();
  return DelegationTokens(v.share_rate(), *d);
}

absl::StatusOr<Amount> Staking::DelegationTokens(const ShareRate& rate, const Delegation& d) {
  return DelegationTokens(rate, d.shares);
}

absl::StatusOr<Amount> Staking::DelegationTokens(const ShareRate& rate, Dec shares) {
  return internal::TokenAmountFromShares(rate, shares);
}

absl::StatusOr<ShareRate> Staking::GetShareRate(const Context& ctx, const ValidatorAddress& val) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(internal::ValidatorKey(val)));
  if (!raw.has_value()) return absl::NotFoundError("validator not found: " + val.value());
  Decoder d(*raw);
  return Validator::DecodeShareRate(d);
}

absl::StatusOr<std::optional<UnbondingDelegation>> Staking::GetUnbondingDelegation(
    const Context& ctx, const AccountAddress& delegator, const ValidatorAddress& val) {
  return internal::FindUbd(ctx, delegator, val);
}

absl::StatusOr<std::vector<UnbondingDelegation>> Staking::DelegatorUnbondingDelegations(
    const Context& ctx, const AccountAddress& delegator) {
  return LoadAll<UnbondingDelegation>(ctx,
                                      Encoder(internal::kUbdPrefix).Str(delegator.value()).Take());
}

absl::StatusOr<std::vector<Redelegation>> Staking::DelegatorRedelegations(
    const Context& ctx, const AccountAddress& delegator) {
  return LoadAll<Redelegation>(ctx, Encoder(internal::kRedPrefix).Str(delegator.value()).Take());
}

absl::StatusOr<std::vector<UnbondingDelegation>> Staking::ValidatorUnbondingDelegations(
    const Context& ctx, const ValidatorAddress& val) {
  return LoadByVal<UnbondingDelegation>(ctx, internal::kUbdByValPrefix, val, internal::FindUbd);
}

absl::StatusOr<std::vector<Redelegation>> Staking::RedelegationsFrom(const Context& ctx,
                                                                     const ValidatorAddress& src) {
  std::string prefix = Encoder(internal::kRedBySrcPrefix).Str(src.value()).Take();
  MESH_ASSIGN_OR_RETURN(auto kvs, CollectPrefix(ctx.store(), prefix));
  std::vector<Redelegation> out;
  for (const KeyValue& kv : kvs) {
    Decoder k(std::string_view(kv.key).substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string del, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string dst, k.Str());
    MESH_ASSIGN_OR_RETURN(auto red,
                          internal::FindRed(ctx, AccountAddress(del), src, ValidatorAddress(dst)));
    if (!red.has_value()) return absl::InternalError("staking: dangling redelegation index");
    out.push_back(*std::move(red));
  }
  return out;
}

absl::StatusOr<std::vector<ValidatorEvent>> Staking::DrainEvents(const Context& ctx) {
  return internal::Atomically(
      ctx, [&](const Context& c) -> absl::StatusOr<std::vector<ValidatorEvent>> {
        std::string prefix(1, static_cast<char>(internal::kEventPrefix));
        MESH_ASSIGN_OR_RETURN(auto kvs, CollectPrefix(c.store(), prefix));
        std::vector<ValidatorEvent> out;
        for (const KeyValue& kv : kvs) {
          MESH_ASSIGN_OR_RETURN(ValidatorEvent ev, DecodeRecord<ValidatorEvent>(kv.value));
          out.push_back(std::move(ev));
          MESH_RETURN_IF_ERROR(c.store().Delete(kv.key));
        }
        return out;
      });
}

absl::Status Staking::CheckInvariants(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(Params p, GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<Validator> vals, AllValidators(ctx));
  MESH_RETURN_IF_ERROR(CheckShares(ctx, vals));
  MESH_RETURN_IF_ERROR(CheckPools(ctx, p, vals));
  MESH_RETURN_IF_ERROR(CheckPowerIndex(ctx, p, vals));
  for (const Validator& v : vals) {
    MESH_ASSIGN_OR_RETURN(uint64_t recorded,
                          PowerAtHeight(ctx, v.operator_address, ctx.height() + 1));
    if (recorded != v.ConsensusPower(p.power_reduction)) {
      return Broken("power history of " + v.operator_address.value() + " says " +
                    std::to_string(recorded) + ", consensus power is " +
                    std::to_string(v.ConsensusPower(p.power_reduction)));
    }
    if (v.delegator_shares.IsZero() && !v.tokens.IsZero()) {
      return Broken("validator " + v.operator_address.value() + " has tokens but no shares");
    }
  }
  return absl::OkStatus();
}

}  // namespace mesh::staking
