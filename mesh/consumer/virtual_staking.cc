#include "mesh/consumer/virtual_staking.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/status.h"
#include "mesh/consumer/burn.h"
#include "mesh/consumer/outbox.h"
#include "mesh/consumer/provider_guard.h"
#include "mesh/consumer/rewards.h"
#include "mesh/consumer/state.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::consumer {

using internal::AmountMap;
using internal::kBondedPrefix;
using internal::kBondRequestPrefix;
using staking::Bank;
using staking::Staking;

namespace {

ValidatorAmounts ToVector(const AmountMap& m) { return ValidatorAmounts(m.begin(), m.end()); }

absl::StatusOr<bool> ValidatorBondable(const Context& ctx, const ValidatorAddress& v) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val, Staking::GetValidator(ctx, v));
  if (!val.has_value()) return false;
  MESH_ASSIGN_OR_RETURN(ValidatorStatus status, internal::GetStatus(ctx, v));
  return !status.tombstoned && !val->tombstoned;
}

// Mints and delegates up to `amount`, limited by the cap head-room (the
// reference fails the whole epoch instead; here dust from share rounding can
// never push the virtual stake over the cap). Returns the amount bonded.
absl::StatusOr<Amount> ChainBond(const Context& ctx, const ProviderId& p, ProviderState& st,
                                 const ValidatorAddress& v, Amount amount) {
  Amount bond = Min(amount, st.max_cap.SaturatingSub(st.total_delegated));
  if (bond.IsZero()) return bond;
  MESH_RETURN_IF_ERROR(Rewards::Collect(ctx, p, v).status());
  MESH_ASSIGN_OR_RETURN(AccountAddress virt, VirtualStaking::VirtualAccount(ctx, p));
  MESH_ASSIGN_OR_RETURN(Denom denom, internal::LocalDenom(ctx));
  MESH_RETURN_IF_ERROR(Bank::Mint(ctx, virt, denom, bond));
  MESH_RETURN_IF_ERROR(Staking::Delegate(ctx, virt, v, bond).status());
  MESH_ASSIGN_OR_RETURN(st.total_delegated, st.total_delegated.Add(bond));
  MESH_ASSIGN_OR_RETURN(st.minted, st.minted.Add(bond));
  return bond;
}

// Instantly undelegates `amount` (everything when `all` or when the
// delegation holds no more) and burns what comes back. No delegation is a
// no-op, as in the reference module. Returns the tokens burned.
absl::StatusOr<Amount> ChainUnbond(const Context& ctx, const ProviderId& p, ProviderState& st,
                                   const ValidatorAddress& v, Amount amount, bool all) {
  MESH_ASSIGN_OR_RETURN(AccountAddress virt, VirtualStaking::VirtualAccount(ctx, p));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> del,
                        Staking::GetDelegation(ctx, virt, v));
  if (!del.has_value() || (amount.IsZero() && !all)) return Amount::Zero();
  MESH_RETURN_IF_ERROR(Rewards::Collect(ctx, p, v).status());
  MESH_ASSIGN_OR_RETURN(Amount tokens, Staking::DelegationTokens(ctx, virt, v));
  Dec shares = del->shares;
  if (!all && amount < tokens) {
    MESH_ASSIGN_OR_RETURN(shares, Staking::ValidateUnbondAmount(ctx, virt, v, amount));
  }
  MESH_ASSIGN_OR_RETURN(Amount returned, Staking::InstantUndelegate(ctx, virt, v, shares));
  MESH_ASSIGN_OR_RETURN(Denom denom, internal::LocalDenom(ctx));
  MESH_RETURN_IF_ERROR(Bank::Burn(ctx, virt, denom, returned));
  MESH_ASSIGN_OR_RETURN(st.burned, st.burned.Add(returned));
  st.total_delegated = st.total_delegated.SaturatingSub(returned);
  return returned;
}

using Entries = SlashBatch::Entries;

// The records of (p, v), each with every slash applied (internal::
// ForEachRecord). A record more than kRecordSlashesBehind slashes behind
// is saved as read, so that a validator slashed again and again does not
// make each read replay all its slashes.
absl::StatusOr<Entries> LoadEntries(const Context& ctx, const ProviderId& p,
                                    const ValidatorAddress& v) {
  // Straight from the scan: a validator's records are materialised once.
  Entries out;
  std::vector<size_t> behind;
  MESH_RETURN_IF_ERROR(internal::ForEachRecord(
      ctx, p, &v,
      [&](ValidatorAddress, AccountAddress delegator, DelegationRecord record) {
        out.push_back(SlashBatch::Entry{std::move(delegator), std::move(record)});
        return absl::OkStatus();
      },
      &behind));
  for (size_t i : behind) {
    MESH_RETURN_IF_ERROR(internal::SaveRecord(ctx, p, v, out[i].delegator, out[i].record));
  }
  return out;
}

// Stores `slash` as the next slash of (p, v) and applies it to `records`
// (all of them, as LoadEntries read them) with the weights the caller
// planned it with. Returns the provider-denom total cut.
absl::StatusOr<Amount> Apply(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                             Entries& records, const RecordSlash& slash,
                             const std::vector<Amount>& weights) {
  MESH_ASSIGN_OR_RETURN(uint64_t seq, internal::AppendRecordSlash(ctx, p, v, slash));
  Amount total;
  for (size_t i = 0; i < records.size(); ++i) {
    Amount part;
    MESH_RETURN_IF_ERROR(internal::ApplyRecordSlash(ctx, p, v, records[i].delegator, slash,
                                                    records[i].record, weights[i], &part));
    records[i].record.slash_seq = seq;
    MESH_ASSIGN_OR_RETURN(total, total.Add(part));
  }
  return total;
}

// The delegators of `records`, in their order.
std::vector<const AccountAddress*> Delegators(const Entries& records) {
  std::vector<const AccountAddress*> out;
  out.reserve(records.size());
  for (const auto& e : records) out.push_back(&e.delegator);
  return out;
}

// Lowers every record by the fraction cut / Σ local of the records: local
// rounds down (records keep covering the request). The provider-denom
// side: with `remote_cut` (a burn, or a forwarded slash: the provider-denom
// amount the provider itself books) exactly that amount, split over the
// records by their remote (SplitByWeight; cut may then be zero); without it
// (an unforwarded slash) by the same fraction, rounded up. Stored as one
// RecordSlash of kind kReduce.
absl::Status ReduceEntries(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                           Entries& records, Amount cut,
                           std::optional<Amount> remote_cut = std::nullopt) {
  Amount total;
  std::vector<Amount> remotes;
  remotes.reserve(records.size());
  for (const auto& e : records) {
    MESH_ASSIGN_OR_RETURN(total, total.Add(e.record.local));
    remotes.push_back(e.record.remote);
  }
  bool remote_left = remote_cut.has_value() && !remote_cut->IsZero();
  if ((total.IsZero() || cut.IsZero()) && !remote_left) return absl::OkStatus();
  if (records.empty()) return absl::OkStatus();  // nothing to cut
  RecordSlash slash;
  slash.kind = RecordSlash::Kind::kReduce;
  slash.cut = Min(cut, total);
  slash.total = total;
  if (!remote_cut.has_value()) {
    slash.remote_rule = RecordSlash::RemoteRule::kFraction;
  } else if (remote_left) {
    slash.remote_rule = RecordSlash::RemoteRule::kSplit;
    MESH_RETURN_IF_ERROR(internal::PlanSplit(slash, *remote_cut, remotes, Delegators(records)));
  }
  return Apply(ctx, p, v, records, slash, remotes).status();
}

// Cuts `remote` provider tokens from the records by what each held at the
// infraction (see VirtualStaking::CutRecordsRemote), after clipping it to
// ceil(ratio x Σ remote) when `clip_ratio` is given (ProviderGuard::
// ClipForwardedSlash). Stored as one RecordSlash of kind kCutRemote.
// Returns the total cut.
absl::StatusOr<Amount> CutEntriesRemote(const Context& ctx, const ProviderId& p,
                                        const ValidatorAddress& v, Entries& records,
                                        Amount remote, uint64_t infraction_height,
                                        std::optional<Dec> clip_ratio) {
  if (clip_ratio.has_value()) {
    Amount sum;
    for (const auto& e : records) {
      MESH_ASSIGN_OR_RETURN(sum, sum.Add(e.record.remote));
    }
    MESH_ASSIGN_OR_RETURN(Amount bound, MulCeil(sum, *clip_ratio));  // owed: round up
    remote = Min(remote, bound);
  }
  // Each record's weight: what it held at the infraction, i.e. its remote
  // less the stake packets received at or after the infraction height.
  std::vector<Amount> held;
  held.reserve(records.size());
  for (const auto& e : records) {
    // A record whose internal unstake is in flight is leaving: the provider
    // force-unbonds it when the packet arrives, possibly before this slash,
    // so it takes no share here (compatibility.md C-30); the validator totals
    // still agree whichever arrives first (P-24 takes any shortfall from the
    // others).
    if (e.record.unstake_in_flight) {
      held.push_back(Amount());
      continue;
    }
    MESH_ASSIGN_OR_RETURN(
        Amount later, internal::RemoteAddedSince(ctx, p, v, e.delegator, e.record, infraction_height));
    held.push_back(e.record.remote.SaturatingSub(later));
  }
  RecordSlash slash;
  slash.kind = RecordSlash::Kind::kCutRemote;
  slash.infraction_height = infraction_height;
  MESH_RETURN_IF_ERROR(internal::PlanSplit(slash, remote, held, Delegators(records)));
  if (slash.weight_sum.IsZero()) return Amount();  // nothing held: no record is cut
  return Apply(ctx, p, v, records, slash, held);
}

// Provider-denom share of each listed validator's burn: `remote` split in
// proportion to the local burns (SplitByWeight, capped by the records'
// remote, `records[v]`; a validator with records but no local burn can still
// take the remainder).
absl::StatusOr<std::map<ValidatorAddress, Amount>> SplitRemoteBurn(
    const std::vector<ValidatorAddress>& validators,
    const std::map<ValidatorAddress, Entries>& records, const BurnResult& result, Amount remote) {
  std::vector<Amount> weights, caps;
  for (const ValidatorAddress& v : validators) {
    auto it = result.per_validator.find(v);
    weights.push_back(it == result.per_validator.end() ? Amount() : it->second);
    Amount cap;
    for (const auto& e : records.at(v)) {
      MESH_ASSIGN_OR_RETURN(cap, cap.Add(e.record.remote));
    }
    caps.push_back(cap);
  }
  MESH_ASSIGN_OR_RETURN(std::vector<Amount> parts, SplitByWeight(weights, caps, remote));
  std::map<ValidatorAddress, Amount> out;
  for (size_t i = 0; i < validators.size(); ++i) out[validators[i]] = parts[i];
  return out;
}

// What DistributeBurn left unburned (its single-absorber remainder rule),
// taken from the requests in list order while they have room (C-21).
absl::Status TopUpBurn(const std::vector<std::pair<ValidatorAddress, Amount>>& bonds,
                       Amount local, BurnResult& result) {
  for (const auto& [v, request] : bonds) {
    const Amount left = local.SaturatingSub(result.burned);
    if (left.IsZero()) break;
    Amount& b = result.per_validator[v];
    const Amount extra = Min(left, request.SaturatingSub(b));
    if (extra.IsZero()) continue;
    MESH_ASSIGN_OR_RETURN(b, b.Add(extra));
    MESH_ASSIGN_OR_RETURN(result.burned, result.burned.Add(extra));
  }
  std::erase_if(result.per_validator, [](const auto& e) { return e.second.IsZero(); });
  return absl::OkStatus();
}

absl::Status SubtractSaturating(const Context& ctx, uint8_t table, const ProviderId& p,
                                const ValidatorAddress& v, Amount amount) {
  MESH_ASSIGN_OR_RETURN(bool has, internal::HasAmount(ctx, table, p, v));
  if (!has) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(Amount current, internal::GetAmount(ctx, table, p, v));
  return internal::SetAmount(ctx, table, p, v, current.SaturatingSub(amount));
}

// Makes total_delegated the tokens of the native delegations themselves, so
// slashes and share-rounding dust can never keep using cap head-room; what
// was minted and not burned but is gone is written off as `slashed`.
absl::Status SyncDelegated(const Context& ctx, const ProviderId& p, ProviderState& st) {
  MESH_ASSIGN_OR_RETURN(AmountMap actual, VirtualStaking::ActualDelegations(ctx, p));
  Amount total;
  for (const auto& [v, a] : actual) {
    MESH_ASSIGN_OR_RETURN(total, total.Add(a));
  }
  st.total_delegated = total;
  st.slashed = st.minted.SaturatingSub(st.burned).SaturatingSub(total);
  return internal::SaveState(ctx, p, st);
}

// Epoch step 1: validators bonded at the last epoch, non-zero, still active.
absl::Status WithdrawEpochRewards(const Context& ctx, const ProviderId& p, EpochReport* report) {
  MESH_ASSIGN_OR_RETURN(AmountMap bonded, internal::AllAmounts(ctx, kBondedPrefix, p));
  for (const auto& [v, amount] : bonded) {
    if (amount.IsZero()) continue;
    MESH_ASSIGN_OR_RETURN(ValidatorStatus status, internal::GetStatus(ctx, v));
    if (status.inactive) continue;
    report->reward_validators.push_back(v);
    // A failed withdrawal only skips this validator (reference: rewards_error).
    internal::RunIsolated(ctx, [&](const Context& c) {
      return Rewards::Collect(c, p, v).status();
    }).IgnoreError();
  }
  return absl::OkStatus();
}

// Epoch steps 3-5: scaled requests, zero for tombstoned validators (whose
// request is zeroed too); saved as `bonded`.
absl::StatusOr<AmountMap> DesiredAmounts(const Context& ctx, const ProviderId& p, Amount cap) {
  MESH_ASSIGN_OR_RETURN(AmountMap targets, internal::AllAmounts(ctx, kBondRequestPrefix, p));
  Amount total;
  for (const auto& [v, q] : targets) {
    MESH_ASSIGN_OR_RETURN(total, total.Add(q));
  }
  for (auto& [v, q] : targets) {
    if (total > cap) {
      MESH_ASSIGN_OR_RETURN(q, MulDiv(q, cap, total, Rounding::kDown));
    }
    MESH_ASSIGN_OR_RETURN(ValidatorStatus status, internal::GetStatus(ctx, v));
    if (status.tombstoned && !q.IsZero()) {
      q = Amount::Zero();
      MESH_RETURN_IF_ERROR(internal::SetAmount(ctx, kBondRequestPrefix, p, v, q));
    }
  }
  MESH_RETURN_IF_ERROR(internal::ClearAmounts(ctx, kBondedPrefix, p));
  for (const auto& [v, q] : targets) {
    MESH_RETURN_IF_ERROR(internal::SetAmount(ctx, kBondedPrefix, p, v, q));
  }
  return targets;
}

// Epoch step 6: native delegations -> targets; all unbonds, then all bonds.
absl::Status Rebalance(const Context& ctx, const ProviderId& p, const AmountMap& targets,
                       EpochReport* report) {
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, p));
  MESH_ASSIGN_OR_RETURN(AmountMap actual, VirtualStaking::ActualDelegations(ctx, p));
  for (const auto& [v, current] : actual) {
    auto it = targets.find(v);
    Amount target = it == targets.end() ? Amount::Zero() : it->second;
    if (target >= current) continue;
    MESH_RETURN_IF_ERROR(ChainUnbond(ctx, p, st, v, current.SaturatingSub(target),
                                     target.IsZero()).status());
    report->unbonds.emplace_back(v, current.SaturatingSub(target));
  }
  for (const auto& [v, target] : targets) {
    auto it = actual.find(v);
    Amount current = it == actual.end() ? Amount::Zero() : it->second;
    if (target <= current) continue;
    MESH_ASSIGN_OR_RETURN(bool bondable, ValidatorBondable(ctx, v));
    if (!bondable) continue;
    MESH_ASSIGN_OR_RETURN(Amount bonded, ChainBond(ctx, p, st, v, target.SaturatingSub(current)));
    if (!bonded.IsZero()) report->bonds.emplace_back(v, bonded);
  }
  return SyncDelegated(ctx, p, st);
}

// Zero cap (mesh-consumer-ibc.md §3.7): one InternalUnstake per record not
// already in flight, then unbond whatever exceeds the requests.
absl::Status ZeroCapEpoch(const Context& ctx, const ProviderId& p, EpochReport* report) {
  MESH_ASSIGN_OR_RETURN(ProviderConfig cfg, internal::LoadConfig(ctx, p));
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, p));
  MESH_ASSIGN_OR_RETURN(Denom denom, internal::LocalDenom(ctx));
  // The first max_retrieve records in key order not in flight and not
  // empty: the scan stops at the last of them (the records behind it wait
  // for the next epochs; those sent are deleted when their acks come back).
  std::vector<internal::RecordEntry> records;
  if (st.channel_open && cfg.max_retrieve > 0) {
    MESH_RETURN_IF_ERROR(internal::ForEachRecordWhile(
        ctx, p, nullptr,
        [&](ValidatorAddress v, AccountAddress d, DelegationRecord r) -> absl::StatusOr<bool> {
          if (r.unstake_in_flight || (r.local.IsZero() && r.remote.IsZero())) return true;
          records.push_back(internal::RecordEntry{std::move(v), std::move(d), std::move(r)});
          return records.size() < cfg.max_retrieve;
        }));
  }
  for (auto& e : records) {
    InternalUnstakePacket pkt{e.delegator, e.validator, Coin{denom, e.record.local},
                              Coin{cfg.remote_denom, e.record.remote}};
    MESH_RETURN_IF_ERROR(Outbox::Append(ctx, p, pkt));
    report->internal_unstakes.push_back(std::move(pkt));
    e.record.unstake_in_flight = true;
    MESH_RETURN_IF_ERROR(internal::SaveRecord(ctx, p, e.validator, e.delegator, e.record));
  }
  MESH_ASSIGN_OR_RETURN(AmountMap requests, internal::AllAmounts(ctx, kBondRequestPrefix, p));
  MESH_ASSIGN_OR_RETURN(AmountMap actual, VirtualStaking::ActualDelegations(ctx, p));
  for (const auto& [v, current] : actual) {
    Amount request = requests.count(v) ? requests[v] : Amount::Zero();
    if (current <= request) continue;
    MESH_RETURN_IF_ERROR(
        ChainUnbond(ctx, p, st, v, current.SaturatingSub(request), request.IsZero()).status());
    report->unbonds.emplace_back(v, current.SaturatingSub(request));
    MESH_RETURN_IF_ERROR(internal::SetAmount(ctx, kBondedPrefix, p, v, request));
  }
  return SyncDelegated(ctx, p, st);
}

}  // namespace

std::string VirtualStaking::VirtualModuleName(const ProviderId& provider) {
  return "mesh_virtual/" + provider.value();
}

absl::StatusOr<AccountAddress> VirtualStaking::VirtualAccountFor(std::string_view prefix,
                                                                 const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(std::string a, ModuleAddress(prefix, VirtualModuleName(provider)));
  return AccountAddress(std::move(a));
}

absl::StatusOr<AccountAddress> VirtualStaking::VirtualAccount(const Context& ctx,
                                                              const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(ModuleParams params, internal::LoadParams(ctx));
  return VirtualAccountFor(params.account_prefix, provider);
}

absl::Status VirtualStaking::AddStake(const Context& ctx, const ProviderId& provider,
                                      const AccountAddress& delegator,
                                      const ValidatorAddress& validator, Amount remote,
                                      Amount local) {
  MESH_RETURN_IF_ERROR(internal::LoadState(ctx, provider).status());
  MESH_ASSIGN_OR_RETURN(Amount request,
                        internal::GetAmount(ctx, kBondRequestPrefix, provider, validator));
  MESH_ASSIGN_OR_RETURN(request, request.Add(local));
  MESH_ASSIGN_OR_RETURN(std::optional<DelegationRecord> rec,
                        internal::LoadRecord(ctx, provider, validator, delegator));
  DelegationRecord r = rec.value_or(DelegationRecord{});
  MESH_ASSIGN_OR_RETURN(r.remote, r.remote.Add(remote));
  MESH_ASSIGN_OR_RETURN(r.local, r.local.Add(local));
  // The addition is remembered for the unbonding time: no infraction older
  // than that can still be reported (evidence expires with it).
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  MESH_RETURN_IF_ERROR(internal::AddRecordAddition(
      ctx, provider, validator, delegator, r,
      RecordAddition{ctx.height(), ctx.time_seconds(), remote}, params.unbonding_time_s));
  MESH_RETURN_IF_ERROR(internal::SetAmount(ctx, kBondRequestPrefix, provider, validator, request));
  return internal::SaveRecord(ctx, provider, validator, delegator, r);
}

namespace {

// The local share a record gives up with `cut` of its remote: all of it when
// the cut empties the remote side, else floor(local * cut / remote).
absl::StatusOr<Amount> LocalShare(const DelegationRecord& r, Amount cut) {
  if (cut >= r.remote) return r.local;
  return MulDiv(r.local, cut, r.remote, Rounding::kDown);
}

}  // namespace

absl::StatusOr<Amount> VirtualStaking::RemoveStake(const Context& ctx, const ProviderId& provider,
                                                   const AccountAddress& delegator,
                                                   const ValidatorAddress& validator,
                                                   Amount remote, Amount* absorbed) {
  if (absorbed != nullptr) *absorbed = Amount();
  // Each record loses `cut` of its remote and its local share of it.
  Amount release;
  auto take = [&](const AccountAddress& d, DelegationRecord& r, Amount cut) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount local, LocalShare(r, cut));
    MESH_ASSIGN_OR_RETURN(release, release.Add(local));
    r.local = r.local.SaturatingSub(local);
    r.remote = r.remote.SaturatingSub(cut);
    return internal::SaveRecord(ctx, provider, validator, d, r);
  };
  // The delegator's own record first. When it covers the unstake, no other
  // record is read (the validator may have 10^5).
  MESH_ASSIGN_OR_RETURN(std::optional<DelegationRecord> mine,
                        internal::LoadRecord(ctx, provider, validator, delegator));
  if (mine.has_value()) {
    // What the own record lacks because a forwarded slash already cut it
    // (the provider sent this unstake before it applied that slash) is not
    // taken from the others: the provider takes that cut from this unstake
    // (C-28).
    const Amount covered = Min(remote.SaturatingSub(mine->remote), mine->slash_debt);
    mine->slash_debt = mine->slash_debt.SaturatingSub(covered);
    remote = remote.SaturatingSub(covered);
    if (absorbed != nullptr) *absorbed = covered;
  }
  if (mine.has_value() && remote <= mine->remote) {
    MESH_RETURN_IF_ERROR(take(delegator, *mine, remote));
  } else {
    // The shortfall (burns name no delegator, so a record can hold less than
    // the provider's stake; C-20) from the other records on the validator in
    // proportion to their remote.
    MESH_ASSIGN_OR_RETURN(std::vector<internal::RecordEntry> records,
                          internal::Records(ctx, provider, &validator));
    std::vector<Amount> remotes;
    std::optional<size_t> own;
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].delegator == delegator && mine.has_value()) {
        own = i;
        records[i].record = *mine;  // its debt already covered
      }
      remotes.push_back(records[i].record.remote);
    }
    MESH_ASSIGN_OR_RETURN(std::vector<Amount> cuts, SplitOneFirst(remotes, own, remote));
    for (size_t i = 0; i < records.size(); ++i) {
      if (cuts[i].IsZero() && i != own) continue;
      MESH_RETURN_IF_ERROR(take(records[i].delegator, records[i].record, cuts[i]));
    }
  }
  MESH_ASSIGN_OR_RETURN(Amount request,
                        internal::GetAmount(ctx, kBondRequestPrefix, provider, validator));
  Amount freed = Min(release, request);
  MESH_RETURN_IF_ERROR(internal::SetAmount(ctx, kBondRequestPrefix, provider, validator,
                                           request.SaturatingSub(freed)));
  return freed;
}

namespace {

// Burn with or without the provider-denom amount (see Burn / ReduceEntries).
// Without it (the reference's burn) a shortfall is an error and changes
// nothing; with it (a burn packet: the provider has already cut its stakes
// and will not undo that) the burn never fails for a shortfall: it burns
// what the requests hold and still cuts the records by `remote` (C-21).
absl::StatusOr<Amount> BurnImpl(const Context& ctx, const ProviderId& provider,
                                const std::vector<ValidatorAddress>& validators, Amount local,
                                std::optional<Amount> remote) {
  std::vector<std::pair<ValidatorAddress, Amount>> bonds;
  std::vector<ValidatorAddress> distinct;
  std::set<ValidatorAddress> seen;
  for (const auto& v : validators) {
    if (!seen.insert(v).second) continue;
    distinct.push_back(v);
    MESH_ASSIGN_OR_RETURN(Amount request, internal::GetAmount(ctx, kBondRequestPrefix, provider, v));
    if (!request.IsZero()) bonds.emplace_back(v, request);
  }
  MESH_ASSIGN_OR_RETURN(AccountAddress virt, VirtualStaking::VirtualAccount(ctx, provider));
  auto insufficient = absl::FailedPreconditionError("Virtual staking " + virt.value() +
                                                    " has not enough delegated funds: " +
                                                    local.ToString());
  BurnResult result;
  if (!bonds.empty()) {
    MESH_ASSIGN_OR_RETURN(result, DistributeBurn(bonds, local));
  }
  if (result.burned < local) {
    if (!remote.has_value()) return insufficient;
    MESH_RETURN_IF_ERROR(TopUpBurn(bonds, local, result));
  }
  // Each validator's records, read once: they bound the remote split and
  // take the cut.
  std::map<ValidatorAddress, Entries> records;
  for (const ValidatorAddress& v : distinct) {
    MESH_ASSIGN_OR_RETURN(records[v], LoadEntries(ctx, provider, v));
  }
  std::map<ValidatorAddress, Amount> remote_cuts;
  if (remote.has_value()) {
    MESH_ASSIGN_OR_RETURN(remote_cuts, SplitRemoteBurn(distinct, records, result, *remote));
  }
  for (const ValidatorAddress& v : distinct) {
    auto it = result.per_validator.find(v);
    const Amount b = it == result.per_validator.end() ? Amount() : it->second;
    if (!b.IsZero()) {
      MESH_ASSIGN_OR_RETURN(Amount request,
                            internal::GetAmount(ctx, kBondRequestPrefix, provider, v));
      MESH_ASSIGN_OR_RETURN(request, request.Sub(b));
      MESH_RETURN_IF_ERROR(internal::SetAmount(ctx, kBondRequestPrefix, provider, v, request));
    }
    std::optional<Amount> remote_cut;
    if (remote.has_value()) remote_cut = remote_cuts[v];
    MESH_RETURN_IF_ERROR(ReduceEntries(ctx, provider, v, records[v], b, remote_cut));
  }
  return result.burned;
}

}  // namespace

absl::StatusOr<Amount> VirtualStaking::Burn(const Context& ctx, const ProviderId& provider,
                                            const std::vector<ValidatorAddress>& validators,
                                            Amount local) {
  return BurnImpl(ctx, provider, validators, local, std::nullopt);
}

absl::StatusOr<Amount> VirtualStaking::Burn(const Context& ctx, const ProviderId& provider,
                                            const std::vector<ValidatorAddress>& validators,
                                            Amount local, Amount remote) {
  return BurnImpl(ctx, provider, validators, local, remote);
}

absl::StatusOr<Amount> VirtualStaking::BondRequest(const Context& ctx, const ProviderId& provider,
                                                   const ValidatorAddress& validator) {
  return internal::GetAmount(ctx, kBondRequestPrefix, provider, validator);
}

absl::StatusOr<ValidatorAmounts> VirtualStaking::AllBondRequests(const Context& ctx,
                                                                 const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(AmountMap m, internal::AllAmounts(ctx, kBondRequestPrefix, provider));
  return ToVector(m);
}

absl::StatusOr<Amount> VirtualStaking::GetStake(const Context& ctx, const ProviderId& provider,
                                                const ValidatorAddress& validator) {
  return internal::GetAmount(ctx, kBondedPrefix, provider, validator);
}

absl::StatusOr<ValidatorAmounts> VirtualStaking::GetAllStake(const Context& ctx,
                                                             const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(AmountMap m, internal::AllAmounts(ctx, kBondedPrefix, provider));
  return ToVector(m);
}

absl::StatusOr<std::optional<DelegationRecord>> VirtualStaking::GetRecord(
    const Context& ctx, const ProviderId& provider, const AccountAddress& delegator,
    const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<DelegationRecord> r,
                        internal::LoadRecord(ctx, provider, validator, delegator));
  if (r.has_value()) {
    MESH_RETURN_IF_ERROR(internal::FillAdditions(ctx, provider, validator, delegator, *r));
  }
  return r;
}

absl::Status VirtualStaking::VisitRecordKeys(
    const Context& ctx, const ProviderId& provider,
    const std::optional<ValidatorAddress>& validator, std::string_view from, bool reverse,
    absl::FunctionRef<absl::StatusOr<bool>(std::string_view key, const ValidatorAddress&,
                                           const AccountAddress&)>
        visit) {
  return internal::VisitRecordKeys(ctx, provider, validator.has_value() ? &*validator : nullptr,
                                   from, reverse, visit);
}

absl::StatusOr<std::vector<VirtualStaking::RecordOf>> VirtualStaking::AllRecords(
    const Context& ctx, const ProviderId& provider,
    const std::optional<ValidatorAddress>& validator) {
  MESH_ASSIGN_OR_RETURN(std::vector<internal::RecordEntry> entries,
                        internal::Records(ctx, provider,
                                          validator.has_value() ? &*validator : nullptr));
  std::vector<RecordOf> out;
  out.reserve(entries.size());
  for (internal::RecordEntry& e : entries) {
    MESH_RETURN_IF_ERROR(internal::FillAdditions(ctx, provider, e.validator, e.delegator, e.record));
    out.push_back({std::move(e.validator), std::move(e.delegator), std::move(e.record)});
  }
  return out;
}

absl::StatusOr<Amount> VirtualStaking::ActualDelegation(const Context& ctx,
                                                        const ProviderId& provider,
                                                        const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(AccountAddress virt, VirtualAccount(ctx, provider));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> del,
                        Staking::GetDelegation(ctx, virt, validator));
  if (!del.has_value()) return Amount::Zero();
  return Staking::DelegationTokens(ctx, virt, validator);
}

absl::StatusOr<std::map<ValidatorAddress, Amount>> VirtualStaking::ActualDelegations(
    const Context& ctx, const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(AccountAddress virt, VirtualAccount(ctx, provider));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Delegation> dels,
                        Staking::DelegatorDelegations(ctx, virt));
  std::map<ValidatorAddress, Amount> out;
  for (const auto& d : dels) {
    MESH_ASSIGN_OR_RETURN(out[d.validator], Staking::DelegationTokens(ctx, virt, d.validator));
  }
  return out;
}

absl::Status VirtualStaking::ApplyValidatorStatus(const Context& ctx, const ValsetUpdate& update) {
  const ValidatorStatus kTombstoned{true, true};
  for (const auto& v : update.tombstoned) MESH_RETURN_IF_ERROR(internal::PutStatus(ctx, v, kTombstoned));
  for (const auto& s : update.slashed) {
    if (s.is_tombstoned) MESH_RETURN_IF_ERROR(internal::PutStatus(ctx, s.address, kTombstoned));
  }
  for (const auto& v : update.removals) {
    MESH_ASSIGN_OR_RETURN(ValidatorStatus status, internal::GetStatus(ctx, v));
    status.inactive = true;
    MESH_RETURN_IF_ERROR(internal::PutStatus(ctx, v, status));
  }
  for (const auto& a : update.additions) {
    MESH_RETURN_IF_ERROR(internal::PutStatus(ctx, a.address, ValidatorStatus{}));
  }
  return absl::OkStatus();
}

absl::StatusOr<ValidatorStatus> VirtualStaking::GetValidatorStatus(
    const Context& ctx, const ValidatorAddress& validator) {
  return internal::GetStatus(ctx, validator);
}

absl::Status VirtualStaking::ApplySlash(const Context& ctx, const ProviderId& provider,
                                        const ValidatorAddress& validator, Amount share) {
  return SlashBatch(ctx, provider).ApplySlash(validator, share);
}

absl::Status VirtualStaking::ApplyForwardedSlash(const Context& ctx, const ProviderId& provider,
                                                 const ValidatorAddress& validator, Amount share) {
  return SlashBatch(ctx, provider).ApplyForwardedSlash(validator, share);
}

absl::StatusOr<Amount> VirtualStaking::CutRecordsRemote(const Context& ctx,
                                                        const ProviderId& provider,
                                                        const ValidatorAddress& validator,
                                                        Amount remote,
                                                        uint64_t infraction_height) {
  return SlashBatch(ctx, provider).CutRemote(validator, remote, infraction_height);
}

SlashBatch::SlashBatch(const Context& ctx, ProviderId provider)
    : ctx_(ctx), provider_(std::move(provider)) {}

absl::StatusOr<SlashBatch::Entries*> SlashBatch::Load(
    const ValidatorAddress& validator) {
  auto it = records_.find(validator);
  if (it == records_.end()) {
    MESH_ASSIGN_OR_RETURN(Entries loaded, LoadEntries(ctx_, provider_, validator));
    it = records_.emplace(validator, std::move(loaded)).first;
  }
  return &it->second;
}

absl::Status SlashBatch::ApplySlash(const ValidatorAddress& validator, Amount share) {
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx_, provider_));
  MESH_RETURN_IF_ERROR(SubtractSaturating(ctx_, kBondRequestPrefix, provider_, validator, share));
  MESH_RETURN_IF_ERROR(SubtractSaturating(ctx_, kBondedPrefix, provider_, validator, share));
  MESH_ASSIGN_OR_RETURN(Entries * records, Load(validator));
  MESH_RETURN_IF_ERROR(ReduceEntries(ctx_, provider_, validator, *records, share));
  return SyncDelegated(ctx_, provider_, st);
}

absl::Status SlashBatch::ApplyForwardedSlash(const ValidatorAddress& validator, Amount share) {
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx_, provider_));
  MESH_RETURN_IF_ERROR(SubtractSaturating(ctx_, kBondRequestPrefix, provider_, validator, share));
  MESH_RETURN_IF_ERROR(SubtractSaturating(ctx_, kBondedPrefix, provider_, validator, share));
  MESH_ASSIGN_OR_RETURN(Entries * records, Load(validator));
  MESH_RETURN_IF_ERROR(ReduceEntries(ctx_, provider_, validator, *records, share, Amount()));
  return SyncDelegated(ctx_, provider_, st);
}

absl::StatusOr<Amount> SlashBatch::CutRemote(const ValidatorAddress& validator, Amount remote,
                                             uint64_t infraction_height,
                                             std::optional<Dec> clip_ratio) {
  MESH_ASSIGN_OR_RETURN(Entries * records, Load(validator));
  return CutEntriesRemote(ctx_, provider_, validator, *records, remote, infraction_height,
                          clip_ratio);
}

absl::StatusOr<EpochReport> VirtualStaking::HandleEpoch(const Context& ctx,
                                                        const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, provider));
  EpochReport report;
  MESH_RETURN_IF_ERROR(WithdrawEpochRewards(ctx, provider, &report));
  if (!st.has_max_cap || st.max_cap.IsZero()) {
    report.zero_cap = true;
    MESH_RETURN_IF_ERROR(ZeroCapEpoch(ctx, provider, &report));
  } else {
    MESH_ASSIGN_OR_RETURN(AmountMap targets, DesiredAmounts(ctx, provider, st.max_cap));
    MESH_RETURN_IF_ERROR(Rebalance(ctx, provider, targets, &report));
  }
  MESH_RETURN_IF_ERROR(Rewards::Flush(ctx, provider));
  return report;
}

absl::StatusOr<Amount> VirtualStaking::InternalUnbond(const Context& ctx,
                                                      const ProviderId& provider,
                                                      const InternalUnstakePacket& packet) {
  const ValidatorAddress& validator = packet.validator;
  MESH_ASSIGN_OR_RETURN(std::optional<DelegationRecord> rec,
                        internal::LoadRecord(ctx, provider, validator, packet.delegator));
  if (!rec.has_value()) return Amount::Zero();
  // Only what the packet carried leaves the record: stake added while it
  // was in flight stays (and is sent at the next zero-cap epoch).
  Amount acked = Min(packet.normalize_amount.amount, rec->local);
  rec->local = rec->local.SaturatingSub(acked);
  rec->remote = rec->remote.SaturatingSub(packet.inverted_amount.amount);
  rec->unstake_in_flight = false;
  if (rec->local.IsZero() && rec->remote.IsZero()) {
    MESH_RETURN_IF_ERROR(internal::DeleteRecord(ctx, provider, validator, packet.delegator));
  } else {
    MESH_RETURN_IF_ERROR(internal::SaveRecord(ctx, provider, validator, packet.delegator, *rec));
  }
  MESH_ASSIGN_OR_RETURN(Amount request,
                        internal::GetAmount(ctx, kBondRequestPrefix, provider, validator));
  Amount release = Min(acked, request);
  MESH_RETURN_IF_ERROR(internal::SetAmount(ctx, kBondRequestPrefix, provider, validator,
                                           request.SaturatingSub(release)));
  MESH_RETURN_IF_ERROR(SubtractSaturating(ctx, kBondedPrefix, provider, validator, release));
  // Unbond at once (reference internal_unbond); if the chain refuses, the
  // next epoch unbonds the excess instead, so the ack never fails.
  internal::RunIsolated(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(c, provider));
    MESH_RETURN_IF_ERROR(ChainUnbond(c, provider, st, validator, release, false).status());
    return SyncDelegated(c, provider, st);
  }).IgnoreError();
  return release;
}

absl::Status VirtualStaking::InternalUnstakeFailed(const Context& ctx, const ProviderId& provider,
                                                   const AccountAddress& delegator,
                                                   const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<DelegationRecord> rec,
                        internal::LoadRecord(ctx, provider, validator, delegator));
  if (!rec.has_value()) return absl::OkStatus();
  rec->unstake_in_flight = false;
  return internal::SaveRecord(ctx, provider, validator, delegator, *rec);
}

absl::Status VirtualStaking::CloseChannel(const Context& ctx, const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(std::vector<internal::RecordEntry> records,
                        internal::Records(ctx, provider));
  for (const auto& e : records) {
    MESH_RETURN_IF_ERROR(internal::DeleteRecord(ctx, provider, e.validator, e.delegator));
  }
  MESH_RETURN_IF_ERROR(internal::DeleteRecordSlashes(ctx, provider));
  MESH_RETURN_IF_ERROR(internal::ClearAmounts(ctx, kBondRequestPrefix, provider));
  MESH_RETURN_IF_ERROR(internal::ClearAmounts(ctx, kBondedPrefix, provider));
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, provider));
  MESH_ASSIGN_OR_RETURN(AmountMap actual, ActualDelegations(ctx, provider));
  for (const auto& [v, tokens] : actual) {
    MESH_RETURN_IF_ERROR(ChainUnbond(ctx, provider, st, v, tokens, true).status());
  }
  st.channel_open = false;
  return SyncDelegated(ctx, provider, st);
}

}  // namespace mesh::consumer
