// Vault slashing and slash propagation (mesh-provider.md §4.3-4.4).
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/vault.h"
#include "mesh/provider/vault_internal.h"

namespace mesh::provider {

using namespace vault_internal;  // NOLINT(build/namespaces): this file's helpers

namespace {

// Lien reductions of one user's propagation, per holder key.
using Cuts = std::map<std::string, Amount>;

constexpr int kMaxProportionalRounds = 16;

absl::Status AddCut(Cuts& cuts, const LienHolder& h, Amount x) {
  if (x.IsZero()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(cuts[h.Key()], cuts[h.Key()].Add(x));
  return absl::OkStatus();
}

absl::StatusOr<Amount> SlashableHigh(const LienList& liens) {
  MESH_ASSIGN_OR_RETURN(Derived d, Derive(liens));
  return d.total_slashable.high();
}

// Case A: every lien above the new collateral is clipped to it.
absl::Status ClipLiens(LienList& liens, Amount new_collateral, Cuts& cuts) {
  for (auto& [holder, lien] : liens) {
    if (lien.amount.high() <= new_collateral) continue;
    const Amount cut = lien.amount.high().SaturatingSub(new_collateral);
    MESH_ASSIGN_OR_RETURN(lien.amount,
                          AmountRange::Make(Min(lien.amount.low(), new_collateral), new_collateral));
    MESH_RETURN_IF_ERROR(AddCut(cuts, holder, cut));
  }
  return absl::OkStatus();
}

// One round of case B: k = ceil(need * inv(R)) off every non-empty lien,
// R = sum of their ratios (the reference's formula), clamped at each lien.
absl::StatusOr<bool> CutRound(LienList& liens, Amount need, Cuts& cuts) {
  Dec ratios = Dec::Zero();
  for (const auto& [holder, lien] : liens) {
    if (lien.amount.IsZero()) continue;
    MESH_ASSIGN_OR_RETURN(ratios, ratios.Add(lien.slashable));
  }
  if (!ratios.IsPositive()) return false;
  MESH_ASSIGN_OR_RETURN(Dec inv, ratios.Inv());
  MESH_ASSIGN_OR_RETURN(Amount k, MulCeil(need, inv));
  if (k.IsZero()) k = Amount(1);
  for (auto& [holder, lien] : liens) {
    if (lien.amount.IsZero()) continue;
    const Amount cut = Min(k, lien.amount.high());
    lien.amount.SubClamped(cut);
    MESH_RETURN_IF_ERROR(AddCut(cuts, holder, cut));
  }
  return true;
}

// Case B: proportional cuts until the total slashable fits the collateral.
// The reference makes one round and aborts when a lien is smaller than k;
// here small liens are emptied and further rounds take the rest.
absl::Status CutProportionally(LienList& liens, Amount new_collateral, Cuts& cuts) {
  for (int round = 0; round < kMaxProportionalRounds; ++round) {
    MESH_ASSIGN_OR_RETURN(Amount slashable, SlashableHigh(liens));
    if (slashable <= new_collateral) return absl::OkStatus();
    MESH_ASSIGN_OR_RETURN(bool progressed,
                          CutRound(liens, slashable.SaturatingSub(new_collateral), cuts));
    if (!progressed) break;
  }
  // Rounding kept us above: empty slashable liens in order until it fits.
  for (auto& [holder, lien] : liens) {
    MESH_ASSIGN_OR_RETURN(Amount slashable, SlashableHigh(liens));
    if (slashable <= new_collateral) break;
    if (!lien.slashable.IsPositive()) continue;
    MESH_RETURN_IF_ERROR(AddCut(cuts, holder, lien.amount.high()));
    lien.amount.SubClamped(lien.amount.high());
  }
  return absl::OkStatus();
}

// Sends every cut to its holder as a burn. The slashing holder burns on the
// slashed validator, every other holder over all of the user's validators.
absl::Status RouteBurns(const Context& ctx, const AccountAddress& user, const Cuts& cuts,
                        const LienHolder& slasher, const ValidatorAddress& validator,
                        BurnAggregator& burns) {
  for (const auto& [key, amount] : cuts) {
    MESH_ASSIGN_OR_RETURN(LienHolder holder, LienHolder::FromKey(key));
    std::optional<ValidatorAddress> target;
    if (holder == slasher) target = validator;
    if (holder.local) {
      MESH_RETURN_IF_ERROR(LocalStaking::BurnStake(ctx, user, amount, target));
    } else {
      MESH_RETURN_IF_ERROR(
          ExternalStaking::BurnVirtualStake(ctx, holder.consumer, user, amount, target, burns));
    }
  }
  return absl::OkStatus();
}

// Reduces the user's other liens after collateral fell to `new_collateral`:
// `liens` (the user's, after PlanOne's cut) in place, and what each holder
// lost into `cuts`.
absl::Status Propagate(LienList& liens, Amount new_collateral, Cuts& cuts) {
  MESH_ASSIGN_OR_RETURN(Derived d, Derive(liens));
  if (d.max_lien.high() < d.total_slashable.high()) {
    MESH_RETURN_IF_ERROR(CutProportionally(liens, new_collateral, cuts));
  }
  // Case A, and after case B the guarantee max_lien <= collateral.
  MESH_RETURN_IF_ERROR(ClipLiens(liens, new_collateral, cuts));
  // Emptied liens are removed (docs/compatibility.md).
  DropEmptyLiens(liens);
  return absl::OkStatus();
}

// The user records of `items` as stored, read by one batched read
// (KvReader::GetMany): each holds the user's collateral and every lien, so
// a slash of N users reads N keys and opens no store iterator.
absl::StatusOr<std::vector<UserInfo>> ReadStoredUsers(const Context& ctx,
                                                      std::vector<std::string> keys) {
  std::vector<std::optional<UserInfo>> infos;
  MESH_RETURN_IF_ERROR(GetRecords<UserInfo>(ctx.store(), keys, &infos));
  std::vector<UserInfo> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (infos[i].has_value()) out[i] = *std::move(infos[i]);
  }
  return out;
}
absl::StatusOr<std::vector<UserInfo>> ReadStoredUsers(const Context& ctx,
                                                      std::span<const SlashInfo> items) {
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (const SlashInfo& item : items) keys.push_back(UserKey(item.user));
  return ReadStoredUsers(ctx, std::move(keys));
}

// ReadStoredUsers, each record of several liens settled (docs/provider.md,
// "Deferred vault cuts"): its pending cut is taken before this slash's, in
// the order the slashes came. A lone lien's record is left as stored: its
// pending cuts and this one add up in any order.
absl::StatusOr<std::vector<UserInfo>> ReadUsers(const Context& ctx,
                                                std::span<const SlashInfo> items) {
  MESH_ASSIGN_OR_RETURN(std::vector<UserInfo> out, ReadStoredUsers(ctx, items));
  for (size_t i = 0; i < items.size(); ++i) {
    if (out[i].liens.size() > 1) MESH_RETURN_IF_ERROR(Settle(ctx, items[i].user, out[i]));
  }
  return out;
}

// Takes the plain cut of `slash` from `holder`'s lien `lien` in `liens`
// (at most the lien: a holder cannot take more) and returns it.
Amount CutLien(LienList& liens, const LienHolder& holder, Lien lien, Amount slash) {
  const Amount cut = Min(slash, lien.amount.high());
  lien.amount.SubClamped(cut);
  SetLien(liens, holder, lien);
  return cut;
}

// Whether the usage of `liens` (the slasher's lien already cut by `cut`)
// leaves `cut` free in `collateral`, the collateral before the cut (§4.3
// step 6): then the cut propagates nothing.
absl::StatusOr<bool> CutCovered(const LienList& liens, Amount collateral, Amount cut) {
  if (collateral < cut) return false;
  return UsageWithin(liens, collateral.SaturatingSub(cut));
}

// One user's slash as planned from its record, before anything is written.
struct PlannedSlash {
  bool cut = false;  // false: nothing to cut (no lien to the holder, or a zero slash)
  UserInfo info;     // the record after the cut
  Cuts cuts;         // what the cut propagates to each other holder
};

// `info` = `item`'s user record as ReadUsers read it: the slasher's lien is
// cut in its list, which then derives the user's usage as a re-read would.
// Reads nothing: the record is written once, by ApplyOne.
absl::StatusOr<PlannedSlash> PlanOne(const LienHolder& slasher, const SlashInfo& item,
                                     UserInfo info) {
  PlannedSlash plan;
  LienList& liens = info.liens;
  const Lien* lien = FindLien(liens, slasher);
  if (lien == nullptr) return plan;  // nothing pledged to this holder
  // A holder cannot take more than its lien; the reference also requires
  // lien.low >= slash and aborts otherwise (e.g. a stake still in flight).
  const Amount slash = Min(item.slash, lien->amount.high());
  if (slash.IsZero()) return plan;
  // With the slasher's lien alone, and within the collateral, the free
  // collateral after its cut (C − (L − slash)) always covers the slash: no
  // propagation, and nothing to derive (most users of a large slash).
  const bool alone = LoneLienWithin(info, *lien);
  CutLien(liens, slasher, *lien, slash);
  const Amount new_collateral = info.collateral.SaturatingSub(slash);
  Cuts cuts;
  if (!alone) {
    MESH_ASSIGN_OR_RETURN(bool covered, CutCovered(liens, info.collateral, slash));
    if (!covered) MESH_RETURN_IF_ERROR(Propagate(liens, new_collateral, cuts));
  }
  info.collateral = new_collateral;
  plan.cut = true;
  plan.info = std::move(info);
  plan.cuts = std::move(cuts);
  return plan;
}

absl::Status ApplyOne(const Context& ctx, const LienHolder& slasher,
                      const ValidatorAddress& validator, const SlashInfo& item,
                      const PlannedSlash& plan, BurnAggregator& burns) {
  if (!plan.cut) return absl::OkStatus();
  MESH_RETURN_IF_ERROR(SaveUser(ctx, item.user, plan.info));
  // The burns change the holders' stakes, not the vault record just written.
  return RouteBurns(ctx, item.user, plan.cuts, slasher, validator, burns);
}

// Whether no user comes twice in `slashes`: at once for a list in ascending
// order (a validator's stakes, as the callers build it), else by sorting.
bool DistinctUsers(const std::vector<SlashInfo>& slashes) {
  auto not_before = [](const SlashInfo& a, const SlashInfo& b) { return !(a.user < b.user); };
  if (std::adjacent_find(slashes.begin(), slashes.end(), not_before) == slashes.end()) return true;
  std::vector<std::string_view> users;
  users.reserve(slashes.size());
  for (const SlashInfo& item : slashes) users.push_back(item.user.value());
  std::sort(users.begin(), users.end());
  return std::adjacent_find(users.begin(), users.end()) == users.end();
}

}  // namespace

absl::StatusOr<std::vector<bool>> Vault::CutsCanWait(const Context& ctx,
                                                     const LienHolder& holder,
                                                     std::span<const SlashInfo> cuts) {
  std::vector<std::string_view> users;
  std::vector<Amount> amounts;
  users.reserve(cuts.size());
  amounts.reserve(cuts.size());
  for (const SlashInfo& c : cuts) {
    users.push_back(c.user.value());
    amounts.push_back(c.slash);
  }
  return CutsCanWait(ctx, holder, users, amounts);
}

absl::StatusOr<std::vector<bool>> Vault::CutsCanWait(const Context& ctx,
                                                     const LienHolder& holder,
                                                     std::span<const std::string_view> users,
                                                     std::span<const Amount> cuts) {
  if (users.size() != cuts.size()) {
    return absl::InvalidArgumentError(absl::StrCat("vault: ", users.size(), " users and ",
                                                   cuts.size(), " cuts"));
  }
  std::vector<bool> out;
  out.reserve(cuts.size());
  // Per consumer: its stake slashes so far.
  std::map<std::string, uint64_t, std::less<>> counts;
  for (size_t from = 0; from < cuts.size(); from += kGetManyChunk) {
    const size_t n = std::min(kGetManyChunk, cuts.size() - from);
    std::vector<std::string> keys;
    keys.reserve(n);
    for (size_t i = 0; i < n; ++i) keys.push_back(UserKey(users[from + i]));
    MESH_ASSIGN_OR_RETURN(std::vector<UserInfo> read, ReadStoredUsers(ctx, std::move(keys)));
    const std::span<const Amount> chunk = cuts.subspan(from, n);
    for (size_t i = 0; i < n; ++i) {
      UserInfo& info = read[i];
      const Lien* own = FindLien(info.liens, holder);
      // No lien: nothing to cut. The holder's lien alone within the
      // collateral: its cuts add up in any order (as PlanOne's `alone`).
      if (own == nullptr || LoneLienWithin(info, *own)) {
        out.push_back(true);
        continue;
      }
      bool owes = false;
      for (const auto& [h, lien] : info.liens) {
        if (h.local) continue;
        auto it = counts.find(h.consumer.value());
        if (it == counts.end()) {
          MESH_ASSIGN_OR_RETURN(uint64_t count,
                                ExternalStaking::DeferringSlashes(ctx, h.consumer));
          it = counts.emplace(h.consumer.value(), count).first;
        }
        owes = owes || lien.settled_at < it->second;
      }
      if (owes) {
        out.push_back(false);
        continue;
      }
      // As PlanOne would cut it (in the record read here, which is
      // discarded after).
      const Amount cut = CutLien(info.liens, holder, *own, chunk[i]);
      MESH_ASSIGN_OR_RETURN(bool covered, CutCovered(info.liens, info.collateral, cut));
      out.push_back(covered);
    }
  }
  return out;
}

absl::Status Vault::Slash(const Context& ctx, const LienHolder& holder,
                          const ValidatorAddress& validator,
                          const std::vector<SlashInfo>& slashes) {
  BurnAggregator burns;
  // The users' records are read a chunk at a time, before the chunk is
  // slashed. A user's slash writes only that user's vault records (its
  // burns go to the holders' stakes), so each read is still current when
  // its user is slashed, provided no user comes twice: a list of distinct
  // users is read kGetManyChunk users at a time, any other one user at a
  // time.
  const size_t chunk_size = DistinctUsers(slashes) ? kGetManyChunk : 1;
  for (size_t from = 0; from < slashes.size(); from += chunk_size) {
    const std::span<const SlashInfo> chunk(slashes.data() + from,
                                           std::min(chunk_size, slashes.size() - from));
    MESH_ASSIGN_OR_RETURN(std::vector<UserInfo> read, ReadUsers(ctx, chunk));
    // Each user's cut planned from its record first: the chunk's users
    // whose cut burns local stake have what those burns read fetched
    // together (LocalStaking::PrefetchBurns), then each cut is applied.
    std::vector<PlannedSlash> plans;
    plans.reserve(chunk.size());
    std::vector<AccountAddress> burning;
    const std::string local = LienHolder::Local().Key();
    for (size_t i = 0; i < chunk.size(); ++i) {
      MESH_ASSIGN_OR_RETURN(PlannedSlash plan, PlanOne(holder, chunk[i], std::move(read[i])));
      if (plan.cuts.contains(local)) burning.push_back(chunk[i].user);
      plans.push_back(std::move(plan));
    }
    if (burning.size() > 1) MESH_RETURN_IF_ERROR(LocalStaking::PrefetchBurns(ctx, burning));
    for (size_t i = 0; i < chunk.size(); ++i) {
      MESH_RETURN_IF_ERROR(ApplyOne(ctx, holder, validator, chunk[i], plans[i], burns));
    }
  }
  return ExternalStaking::FlushBurns(ctx, burns);
}

}  // namespace mesh::provider
