#include "mesh/provider/vault.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/vault_internal.h"
#include "staking/bank.h"

namespace mesh::provider {

uint64_t PageLimit(std::optional<uint64_t> limit) {
  return std::min<uint64_t>(limit.value_or(10), 30);
}

namespace vault_internal {

std::string UserKey(std::string_view user) { return tables::Key(tables::kUsers, user); }

absl::Status Settle(const Context& ctx, const AccountAddress& user, UserInfo& info) {
  bool owed_any = false;
  for (auto& [holder, lien] : info.liens) {
    if (holder.local) continue;
    MESH_ASSIGN_OR_RETURN(uint64_t count,
                          ExternalStaking::DeferringSlashes(ctx, holder.consumer));
    if (lien.settled_at >= count) continue;
    MESH_ASSIGN_OR_RETURN(Amount total, ExternalStaking::VaultCut(ctx, holder.consumer, user));
    if (total < lien.absorbed) {
      return absl::InternalError(absl::StrCat("vault: ", user.value(), "'s stakes on ",
                                              holder.consumer.value(), " took ", total.ToString(),
                                              ", less than the lien absorbed ",
                                              lien.absorbed.ToString()));
    }
    const Amount owed = total.SaturatingSub(lien.absorbed);
    lien.absorbed = total;
    lien.settled_at = count;
    if (owed.IsZero()) continue;
    // A cut is left to the record only where it cannot propagate: a lien
    // alone within the collateral (its cuts add up in any order), or, with
    // several liens, one cut that leaves the usage within the collateral
    // (Vault::CutsCanWait). Either way the slash would have cut exactly this
    // much from the lien and the collateral, and nothing more.
    const Amount cut = Min(owed, lien.amount.high());
    lien.amount.SubClamped(cut);
    info.collateral = info.collateral.SaturatingSub(cut);
    owed_any = true;
  }
  if (owed_any && info.liens.size() > 1) {
    MESH_ASSIGN_OR_RETURN(bool within, UsageWithin(info.liens, info.collateral));
    if (!within) {
      return absl::InternalError(absl::StrCat("vault: ", user.value(),
                                              "'s deferred cuts leave a usage above the "
                                              "collateral ",
                                              info.collateral.ToString()));
    }
  }
  // A lien cut to zero leaves the record (as after a slash).
  DropEmptyLiens(info.liens);
  return absl::OkStatus();
}

absl::StatusOr<UserInfo> LoadUser(const Context& ctx, const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(UserInfo info,
                        GetRecordOr<UserInfo>(ctx.store(), UserKey(user), UserInfo{}));
  MESH_RETURN_IF_ERROR(Settle(ctx, user, info));
  return info;
}

absl::Status SaveUser(const Context& ctx, const AccountAddress& user, const UserInfo& info) {
  return PutRecord(ctx.store(), UserKey(user), info);
}

const Lien* FindLien(const LienList& liens, const LienHolder& holder) {
  for (const auto& [h, lien] : liens) {
    if (h == holder) return &lien;
  }
  return nullptr;
}

void DropEmptyLiens(LienList& liens) {
  liens.erase(std::remove_if(liens.begin(), liens.end(),
                             [](const auto& entry) { return entry.second.amount.IsZero(); }),
              liens.end());
}

void SetLien(LienList& liens, const LienHolder& holder, const Lien& lien) {
  auto at = std::find_if(liens.begin(), liens.end(),
                         [&](const auto& e) { return !LienHolder::KeyLess(e.first, holder); });
  const bool found = at != liens.end() && at->first == holder;
  // Empty liens are removed (also after slashes, docs/compatibility.md).
  if (lien.amount.IsZero()) {
    if (found) liens.erase(at);
  } else if (found) {
    at->second = lien;
  } else {
    liens.emplace(at, holder, lien);
  }
}

absl::StatusOr<Derived> Derive(const LienList& liens) {
  Derived d;
  for (const auto& [holder, lien] : liens) {
    d.max_lien = AmountRange::MaxRange(d.max_lien, lien.amount);
    MESH_ASSIGN_OR_RETURN(AmountRange s, MulFloor(lien.amount, lien.slashable));
    MESH_ASSIGN_OR_RETURN(d.total_slashable, AmountRange::Sum({d.total_slashable, s}));
  }
  d.used = AmountRange::MaxRange(d.max_lien, d.total_slashable);
  return d;
}

absl::StatusOr<bool> UsageWithin(const LienList& liens, Amount limit) {
  Amount sum;
  bool summed = true;
  for (const auto& [holder, lien] : liens) {
    absl::StatusOr<Amount> next = sum.Add(lien.amount.high());
    summed = next.ok() && lien.slashable <= Dec::One();
    if (!summed) break;
    sum = *next;
  }
  if (summed && sum <= limit) return true;
  MESH_ASSIGN_OR_RETURN(Derived d, Derive(liens));
  return d.used.high() <= limit;
}

bool LoneLienWithin(const UserInfo& info, const Lien& lien) {
  return info.liens.size() == 1 && lien.amount.high() <= info.collateral;
}

}  // namespace vault_internal

using namespace vault_internal;  // NOLINT(build/namespaces): this file's helpers

namespace {

absl::Status RequirePositive(Amount a) {
  if (a.IsZero()) return absl::InvalidArgumentError("amount must be positive");
  return absl::OkStatus();
}

AccountInfo MakeAccount(const Denom& denom, Amount collateral, const Derived& d) {
  AccountInfo info;
  info.denom = denom;
  info.bonded = collateral;
  info.free = AmountRange::Make(collateral.SaturatingSub(d.used.high()),
                                collateral.SaturatingSub(d.used.low()))
                  .value();
  info.max_lien = d.max_lien;
  info.total_slashable = d.total_slashable;
  return info;
}

// Visits the users' records in key order from `begin` (a key of the users
// table), each settled as a read of it would be, until `visit` returns false.
absl::Status ForEachSettledUser(
    const Context& ctx, std::string_view begin,
    absl::FunctionRef<absl::StatusOr<bool>(AccountAddress user, const UserInfo& info)> visit) {
  const std::string prefix = tables::Key(tables::kUsers);
  auto it = ctx.store().Scan(begin, PrefixEnd(prefix));
  for (; it->Valid(); it->Next()) {
    AccountAddress user(std::string(it->key().substr(prefix.size())));
    MESH_ASSIGN_OR_RETURN(UserInfo info, DecodeRecord<UserInfo>(it->value()));
    MESH_RETURN_IF_ERROR(Settle(ctx, user, info));
    MESH_ASSIGN_OR_RETURN(bool more, visit(std::move(user), info));
    if (!more) break;
  }
  return it->status();
}

// The consumers of the active-external table (0x53) as kept in one record
// (0x6F, ascending), or nullopt when the record was never written (a state
// from before it: callers then scan).
absl::StatusOr<std::optional<std::vector<ConsumerId>>> ActiveList(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(tables::Key(tables::kActiveExternalList)));
  if (!raw.has_value()) return std::optional<std::vector<ConsumerId>>();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  std::vector<ConsumerId> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    MESH_ASSIGN_OR_RETURN(std::string c, d.Str());
    out.emplace_back(std::move(c));
  }
  MESH_RETURN_IF_ERROR(d.Finish());
  return std::optional<std::vector<ConsumerId>>(std::move(out));
}

// Records `consumer` in the active-external table and its one-record list
// (both never pruned). The list is built from the table when it is missing.
absl::Status MarkActive(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::vector<ConsumerId>> list, ActiveList(ctx));
  // A consumer in the list is in the table too (the list is built from it).
  if (list.has_value() && std::find(list->begin(), list->end(), consumer) != list->end()) {
    return absl::OkStatus();
  }
  const std::string key = tables::Key(tables::kActiveExternal, consumer.value());
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> active, ctx.store().Get(key));
  if (!active.has_value()) MESH_RETURN_IF_ERROR(ctx.store().Put(key, ""));
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> all, Vault::ActiveExternalStaking(ctx));
  Encoder e;
  e.U32(static_cast<uint32_t>(all.size()));
  for (const ConsumerId& c : all) e.Str(c.value());
  return ctx.store().Put(tables::Key(tables::kActiveExternalList), e.Take());
}

// Adds `amount` to the (user, holder) lien -- both ends for local stakes,
// only the high end for remote ones -- and checks the worst case against the
// collateral (mesh-provider.md §2.1.5 steps 2-6). One read and one write of
// the user's record, which holds every lien the check counts. Returns
// whether the record now holds more than one lien. A record that gains its
// second lien (or a further one) has its external liens' stakes marked
// shared, so no slash leaves their cuts to reads any more (Stake::shared).
absl::StatusOr<bool> AddLien(const Context& ctx, const AccountAddress& user,
                             const LienHolder& holder, Dec slashable, Amount amount, bool remote) {
  MESH_RETURN_IF_ERROR(RequirePositive(amount));
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, user));
  const Lien* found = FindLien(info.liens, holder);
  Lien lien = found != nullptr ? *found : Lien{AmountRange(), slashable};
  if (found == nullptr && !holder.local) {
    // A new lien absorbs what the user's stakes there took before it (a
    // lien cut to zero left the record with all of it absorbed).
    MESH_ASSIGN_OR_RETURN(lien.settled_at, ExternalStaking::DeferringSlashes(ctx, holder.consumer));
    if (lien.settled_at > 0) {
      MESH_ASSIGN_OR_RETURN(lien.absorbed, ExternalStaking::VaultCut(ctx, holder.consumer, user));
    }
  }
  absl::Status s = remote ? lien.amount.PrepareAdd(amount, info.collateral)
                          : lien.amount.Add(amount, info.collateral);
  if (!s.ok()) return absl::FailedPreconditionError(kErrInsufficientBalance);
  SetLien(info.liens, holder, lien);
  MESH_ASSIGN_OR_RETURN(Derived d, Derive(info.liens));
  if (info.collateral < d.used.high()) {
    return absl::FailedPreconditionError(kErrInsufficientBalance);
  }
  const bool shared = info.liens.size() > 1;
  if (found == nullptr && shared) {
    for (const auto& [h, l] : info.liens) {
      if (!h.local) MESH_RETURN_IF_ERROR(ExternalStaking::MarkShared(ctx, h.consumer, user));
    }
  }
  MESH_RETURN_IF_ERROR(SaveUser(ctx, user, info));
  return shared;
}

absl::StatusOr<VaultTx> LoadTx(const Context& ctx, const LienHolder& holder, uint64_t tx_id) {
  MESH_ASSIGN_OR_RETURN(std::optional<VaultTx> tx,
                        GetRecord<VaultTx>(ctx.store(), tables::KeyU64(tables::kVaultTxs, tx_id)));
  if (!tx.has_value()) return absl::NotFoundError(absl::StrCat("tx ", tx_id, " not found"));
  if (!(tx->holder == holder)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "The tx ", tx_id, " exists but comes from the wrong address: ", holder.Key()));
  }
  return *tx;
}

// Applies `fn` to the tx's lien (if it still exists) and removes the tx.
template <typename Fn>
absl::Status ResolveTx(const Context& ctx, const LienHolder& holder, uint64_t tx_id, Fn fn) {
  MESH_ASSIGN_OR_RETURN(VaultTx tx, LoadTx(ctx, holder, tx_id));
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, tx.user));
  if (const Lien* found = FindLien(info.liens, holder); found != nullptr) {
    Lien lien = *found;
    fn(lien.amount, tx.amount);
    SetLien(info.liens, holder, lien);
    MESH_RETURN_IF_ERROR(SaveUser(ctx, tx.user, info));
  }
  return ctx.store().Delete(tables::KeyU64(tables::kVaultTxs, tx_id));
}

}  // namespace

absl::Status Vault::Init(const Context& ctx, const Denom& denom,
                         const std::optional<LocalStakingConfig>& local) {
  VaultConfig cfg;
  cfg.denom = denom;
  if (local.has_value()) {
    MESH_RETURN_IF_ERROR(LocalStaking::Init(ctx, *local));
    cfg.local_staking = true;
    cfg.local_max_slash = local->slash_ratio_dsign;
  }
  return PutRecord(ctx.store(), tables::Key(tables::kVaultConfig), cfg);
}

absl::StatusOr<VaultConfig> Vault::Config(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<VaultConfig> cfg,
                        GetRecord<VaultConfig>(ctx.store(), tables::Key(tables::kVaultConfig)));
  if (!cfg.has_value()) return absl::FailedPreconditionError("vault not initialised");
  return *cfg;
}

absl::Status Vault::Bond(const Context& ctx, const AccountAddress& user, Amount amount) {
  if (amount.IsZero()) return absl::InvalidArgumentError("No funds sent");
  MESH_ASSIGN_OR_RETURN(VaultConfig cfg, Config(ctx));
  MESH_RETURN_IF_ERROR(staking::Bank::Send(ctx, user, kVaultAccount, cfg.denom, amount));
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, user));
  MESH_ASSIGN_OR_RETURN(info.collateral, info.collateral.Add(amount));
  return SaveUser(ctx, user, info);
}

absl::Status Vault::Unbond(const Context& ctx, const AccountAddress& user, Amount amount) {
  MESH_RETURN_IF_ERROR(RequirePositive(amount));
  MESH_ASSIGN_OR_RETURN(VaultConfig cfg, Config(ctx));
  MESH_ASSIGN_OR_RETURN(AccountInfo acct, Account(ctx, user));
  if (acct.free.low() < amount) {
    return absl::FailedPreconditionError(
        absl::StrCat("Claim is locked, only ", acct.free.ToString(), " can be unbonded"));
  }
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, user));
  MESH_ASSIGN_OR_RETURN(info.collateral, info.collateral.Sub(amount));
  MESH_RETURN_IF_ERROR(SaveUser(ctx, user, info));
  return staking::Bank::Send(ctx, kVaultAccount, user, cfg.denom, amount);
}

absl::Status Vault::StakeLocal(const Context& ctx, const AccountAddress& user, Amount amount,
                               const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(VaultConfig cfg, Config(ctx));
  if (!cfg.local_staking) return absl::FailedPreconditionError(kErrNoLocalStaking);
  MESH_RETURN_IF_ERROR(
      AddLien(ctx, user, LienHolder::Local(), cfg.local_max_slash, amount, /*remote=*/false)
          .status());
  MESH_RETURN_IF_ERROR(staking::Bank::Send(ctx, kVaultAccount, LocalStaking::ProxyAccount(user),
                                           cfg.denom, amount));
  return LocalStaking::ReceiveStake(ctx, user, amount, validator);
}

absl::StatusOr<uint64_t> Vault::StakeRemote(const Context& ctx, const AccountAddress& user,
                                            const ConsumerId& consumer, Amount amount,
                                            const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig ext, ExternalStaking::Config(ctx, consumer));
  const LienHolder holder = LienHolder::External(consumer);
  MESH_ASSIGN_OR_RETURN(bool shared,
                        AddLien(ctx, user, holder, ext.slash_ratio_dsign, amount, true));
  const std::string count_key = tables::Key(tables::kVaultTxCount);
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(count_key));
  uint64_t tx_id = 1;
  if (raw.has_value()) {
    Decoder d(*raw);
    MESH_ASSIGN_OR_RETURN(uint64_t last, d.U64());
    tx_id = last + 1;
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(count_key, Encoder().U64(tx_id).Take()));
  VaultTx tx{tx_id, amount, ext.slash_ratio_dsign, user, holder};
  MESH_RETURN_IF_ERROR(PutRecord(ctx.store(), tables::KeyU64(tables::kVaultTxs, tx_id), tx));
  // Written once per consumer (never removed); later stakes only read it.
  MESH_RETURN_IF_ERROR(MarkActive(ctx, consumer));
  MESH_RETURN_IF_ERROR(
      ExternalStaking::ReceiveVirtualStake(ctx, consumer, ext, user, amount, tx_id, validator,
                                           shared));
  return tx_id;
}

absl::Status Vault::CommitTx(const Context& ctx, const LienHolder& holder, uint64_t tx_id) {
  return ResolveTx(ctx, holder, tx_id,
                   [](AmountRange& r, Amount a) { r.CommitAddClamped(a); });
}

absl::Status Vault::RollbackTx(const Context& ctx, const LienHolder& holder, uint64_t tx_id) {
  return ResolveTx(ctx, holder, tx_id,
                   [](AmountRange& r, Amount a) { r.RollbackAddClamped(a); });
}

absl::Status Vault::Release(const Context& ctx, const LienHolder& holder,
                            const AccountAddress& owner, Amount amount) {
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, owner));
  const Lien* found = FindLien(info.liens, holder);
  if (found == nullptr) return absl::NotFoundError(kErrUnknownLienholder);
  Lien lien = *found;
  if (!lien.amount.Sub(amount).ok()) return absl::FailedPreconditionError(kErrInsufficientLien);
  SetLien(info.liens, holder, lien);
  return SaveUser(ctx, owner, info);
}

absl::StatusOr<AccountInfo> Vault::Account(const Context& ctx, const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(VaultConfig cfg, Config(ctx));
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, user));
  MESH_ASSIGN_OR_RETURN(Derived d, Derive(info.liens));
  return MakeAccount(cfg.denom, info.collateral, d);
}

absl::StatusOr<Lien> Vault::GetClaim(const Context& ctx, const AccountAddress& user,
                                     const LienHolder& holder) {
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, user));
  const Lien* lien = FindLien(info.liens, holder);
  if (lien == nullptr) return absl::NotFoundError(kErrNoClaim);
  return *lien;
}

absl::StatusOr<std::vector<Claim>> Vault::AccountClaims(const Context& ctx,
                                                        const AccountAddress& user,
                                                        const std::optional<LienHolder>& start_after,
                                                        std::optional<uint64_t> limit) {
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, user));
  std::vector<Claim> out;
  const uint64_t max = PageLimit(limit);
  for (const auto& [holder, lien] : info.liens) {
    if (start_after.has_value() && holder.Key() <= start_after->Key()) continue;
    if (out.size() >= max) break;
    out.push_back(Claim{holder, lien.amount});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<AccountAddress, AccountInfo>>> Vault::AllAccounts(
    const Context& ctx, bool with_collateral, const std::optional<AccountAddress>& start_after,
    std::optional<uint64_t> limit) {
  const std::string begin = start_after
                                ? tables::After(tables::Key(tables::kUsers, start_after->value()))
                                : tables::Key(tables::kUsers);
  std::optional<VaultConfig> cfg;  // read with the first account listed
  std::vector<std::pair<AccountAddress, AccountInfo>> out;
  MESH_RETURN_IF_ERROR(ForEachSettledUser(
      ctx, begin, [&](AccountAddress user, const UserInfo& info) -> absl::StatusOr<bool> {
        if (with_collateral && info.collateral.IsZero()) return true;
        if (!cfg.has_value()) {
          MESH_ASSIGN_OR_RETURN(cfg, Config(ctx));
        }
        MESH_ASSIGN_OR_RETURN(Derived d, Derive(info.liens));
        out.emplace_back(std::move(user), MakeAccount(cfg->denom, info.collateral, d));
        return out.size() < PageLimit(limit);
      }));
  return out;
}

absl::Status Vault::VisitUsers(
    const Context& ctx, std::string_view from, bool reverse,
    absl::FunctionRef<absl::StatusOr<bool>(const AccountAddress& user)> visit) {
  return VisitFrom(ctx.store(), tables::Key(tables::kUsers), from, reverse,
                   [&](std::string_view user, std::string_view) -> absl::StatusOr<bool> {
                     return visit(AccountAddress(std::string(user)));
                   });
}

absl::StatusOr<std::vector<ConsumerId>> Vault::ActiveExternalStaking(const Context& ctx) {
  const std::string prefix = tables::Key(tables::kActiveExternal);
  std::vector<ConsumerId> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) out.emplace_back(it->key().substr(prefix.size()));
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<VaultTx> Vault::PendingTx(const Context& ctx, uint64_t tx_id) {
  MESH_ASSIGN_OR_RETURN(std::optional<VaultTx> tx,
                        GetRecord<VaultTx>(ctx.store(), tables::KeyU64(tables::kVaultTxs, tx_id)));
  if (!tx.has_value()) return absl::NotFoundError(absl::StrCat("tx ", tx_id, " not found"));
  return *tx;
}

absl::StatusOr<std::vector<VaultTx>> Vault::AllPendingTxsDesc(const Context& ctx,
                                                              std::optional<uint64_t> start_after,
                                                              std::optional<uint64_t> limit) {
  const std::string prefix = tables::Key(tables::kVaultTxs);
  std::string end = start_after ? tables::KeyU64(tables::kVaultTxs, *start_after)
                                : PrefixEnd(prefix);
  std::vector<VaultTx> out;
  auto it = ctx.store().Scan(prefix, end, /*reverse=*/true);
  for (; it->Valid() && out.size() < PageLimit(limit); it->Next()) {
    MESH_ASSIGN_OR_RETURN(VaultTx tx, DecodeRecord<VaultTx>(it->value()));
    out.push_back(std::move(tx));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status Vault::CheckInvariants(const Context& ctx) {
  return ForEachSettledUser(
      ctx, tables::Key(tables::kUsers),
      [&](AccountAddress user, const UserInfo& info) -> absl::StatusOr<bool> {
        MESH_ASSIGN_OR_RETURN(Derived d, Derive(info.liens));
        if (info.collateral < d.max_lien.high() || info.collateral < d.total_slashable.high()) {
          return absl::InternalError(absl::StrCat(
              "vault invariant broken for ", user.value(), ": collateral ",
              info.collateral.ToString(), " max_lien ", d.max_lien.ToString(), " slashable ",
              d.total_slashable.ToString()));
        }
        return true;
      });
}

absl::Status Vault::CheckStoredLayout(const Context& ctx) {
  return tables::RefuseRetired(
      ctx.store(), {tables::kRetiredLiens, tables::kRetiredUsers, tables::kRetiredUnsettledUsers},
      "vault: a record of an earlier layout (a lien apart from its user record, or without the "
      "deferred cuts' accounting; state from an earlier build must be regenerated, "
      "docs/provider.md)");
}

absl::StatusOr<Amount> Vault::TotalCollateral(const Context& ctx) {
  Amount total;
  MESH_RETURN_IF_ERROR(ForEachSettledUser(
      ctx, tables::Key(tables::kUsers),
      [&](AccountAddress, const UserInfo& info) -> absl::StatusOr<bool> {
        MESH_ASSIGN_OR_RETURN(total, total.Add(info.collateral));
        return true;
      }));
  return total;
}

}  // namespace mesh::provider
