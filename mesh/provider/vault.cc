#include "mesh/provider/vault.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

std::string LienKey(const AccountAddress& user, const LienHolder& holder) {
  return tables::Key(tables::kLiens, user.value(), holder.Key());
}

std::string UserKey(const AccountAddress& user) { return tables::Key(tables::kUsers, user.value()); }

absl::StatusOr<UserInfo> LoadUser(const Context& ctx, const AccountAddress& user) {
  return GetRecordOr<UserInfo>(ctx.store(), UserKey(user), UserInfo{});
}

absl::Status SaveUser(const Context& ctx, const AccountAddress& user, const UserInfo& info) {
  return PutRecord(ctx.store(), UserKey(user), info);
}

absl::StatusOr<LienList> LoadRecordedLiens(const Context& ctx, const AccountAddress& user,
                                           const UserInfo& info) {
  LienList out;
  for (const std::string& key : *info.holders) {
    MESH_ASSIGN_OR_RETURN(LienHolder h, LienHolder::FromKey(key));
    MESH_ASSIGN_OR_RETURN(std::optional<Lien> lien, GetRecord<Lien>(ctx.store(), LienKey(user, h)));
    if (lien.has_value()) out.emplace_back(std::move(h), *lien);
  }
  return out;
}

absl::StatusOr<LienList> LoadLiens(const Context& ctx, const AccountAddress& user) {
  LienList out;
  const std::string prefix = tables::Prefix(tables::kLiens, user.value());
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(LienHolder holder, LienHolder::FromKey(it->key().substr(prefix.size())));
    MESH_ASSIGN_OR_RETURN(Lien lien, DecodeRecord<Lien>(it->value()));
    out.emplace_back(std::move(holder), lien);
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status SaveLien(const Context& ctx, const AccountAddress& user, const LienHolder& holder,
                      const Lien& lien) {
  // Empty liens are removed (also after slashes, docs/compatibility.md).
  if (lien.amount.IsZero()) return ctx.store().Delete(LienKey(user, holder));
  return PutRecord(ctx.store(), LienKey(user, holder), lien);
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

// The user's liens, ascending by holder key, as LoadLiens returns them, but
// by one point read per possible holder (local, and each consumer ever lent
// to: a lien is only ever created by AddLien, for the local holder or for a
// consumer StakeRemote then marks active in the same tx), so a stake opens
// no store iterator (each RocksDB iterator merges every memtable and L0
// file, and its cost grows with the store). Scans when the list record is
// missing.
absl::StatusOr<LienList> LoadLiensByHolder(const Context& ctx, const AccountAddress& user,
                                           const LienHolder& adding) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::vector<ConsumerId>> consumers, ActiveList(ctx));
  if (!consumers.has_value()) return LoadLiens(ctx, user);
  std::map<std::string, LienHolder> holders;
  holders.emplace(LienHolder::Local().Key(), LienHolder::Local());
  holders.emplace(adding.Key(), adding);
  for (ConsumerId& c : *consumers) {
    LienHolder h = LienHolder::External(std::move(c));
    std::string k = h.Key();
    holders.emplace(std::move(k), std::move(h));
  }
  LienList out;
  for (auto& [key, h] : holders) {
    MESH_ASSIGN_OR_RETURN(std::optional<Lien> lien,
                          GetRecord<Lien>(ctx.store(), LienKey(user, h)));
    if (lien.has_value()) out.emplace_back(std::move(h), *lien);
  }
  return out;
}

// Adds `amount` to the (user, holder) lien -- both ends for local stakes,
// only the high end for remote ones -- and checks the worst case against the
// collateral (mesh-provider.md §2.1.5 steps 2-6).
absl::Status AddLien(const Context& ctx, const AccountAddress& user, const LienHolder& holder,
                     Dec slashable, Amount amount, bool remote) {
  MESH_RETURN_IF_ERROR(RequirePositive(amount));
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, user));
  // The user's liens are read once (point reads, which also yield the
  // holder's); the holder's is updated in that list, which then derives the
  // usage exactly as a re-read after saving would. The holders recorded in
  // the user record say which liens can exist (no read of an absent one);
  // a record from before them: every possible holder, then recorded.
  const bool recorded = info.holders.has_value();
  MESH_ASSIGN_OR_RETURN(LienList liens, recorded ? LoadRecordedLiens(ctx, user, info)
                                                 : LoadLiensByHolder(ctx, user, holder));
  bool user_changed = false;
  if (!recorded) {
    info.holders.emplace();
    for (const auto& [h, lien] : liens) info.holders->push_back(h.Key());
    user_changed = true;
  }
  auto entry = std::find_if(liens.begin(), liens.end(),
                            [&](const auto& e) { return e.first == holder; });
  if (entry == liens.end()) {
    // Keep the list in holder-key order, as LoadLiens returns it.
    const std::string key = holder.Key();
    auto at = std::lower_bound(info.holders->begin(), info.holders->end(), key);
    if (at == info.holders->end() || *at != key) {
      info.holders->insert(at, key);
      user_changed = true;
    }
    entry = std::find_if(liens.begin(), liens.end(),
                         [&](const auto& e) { return key < e.first.Key(); });
    entry = liens.emplace(entry, holder, Lien{AmountRange(), slashable});
  }
  Lien& lien = entry->second;
  absl::Status s = remote ? lien.amount.PrepareAdd(amount, info.collateral)
                          : lien.amount.Add(amount, info.collateral);
  if (!s.ok()) return absl::FailedPreconditionError(kErrInsufficientBalance);
  MESH_RETURN_IF_ERROR(SaveLien(ctx, user, holder, lien));
  if (lien.amount.IsZero()) liens.erase(entry);  // SaveLien deleted it
  MESH_ASSIGN_OR_RETURN(Derived d, Derive(liens));
  if (info.collateral < d.used.high()) {
    return absl::FailedPreconditionError(kErrInsufficientBalance);
  }
  // The user record is rewritten only for a holder new to it.
  return user_changed ? SaveUser(ctx, user, info) : absl::OkStatus();
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
  MESH_ASSIGN_OR_RETURN(std::optional<Lien> lien,
                        GetRecord<Lien>(ctx.store(), LienKey(tx.user, holder)));
  if (lien.has_value()) {
    fn(lien->amount, tx.amount);
    MESH_RETURN_IF_ERROR(SaveLien(ctx, tx.user, holder, *lien));
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
      AddLien(ctx, user, LienHolder::Local(), cfg.local_max_slash, amount, /*remote=*/false));
  MESH_RETURN_IF_ERROR(staking::Bank::Send(ctx, kVaultAccount, LocalStaking::ProxyAccount(user),
                                           cfg.denom, amount));
  return LocalStaking::ReceiveStake(ctx, user, amount, validator);
}

absl::StatusOr<uint64_t> Vault::StakeRemote(const Context& ctx, const AccountAddress& user,
                                            const ConsumerId& consumer, Amount amount,
                                            const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig ext, ExternalStaking::Config(ctx, consumer));
  const LienHolder holder = LienHolder::External(consumer);
  MESH_RETURN_IF_ERROR(AddLien(ctx, user, holder, ext.slash_ratio_dsign, amount, true));
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
      ExternalStaking::ReceiveVirtualStake(ctx, consumer, ext, user, amount, tx_id, validator));
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
  MESH_ASSIGN_OR_RETURN(std::optional<Lien> lien,
                        GetRecord<Lien>(ctx.store(), LienKey(owner, holder)));
  if (!lien.has_value()) return absl::NotFoundError(kErrUnknownLienholder);
  if (!lien->amount.Sub(amount).ok()) return absl::FailedPreconditionError(kErrInsufficientLien);
  return SaveLien(ctx, owner, holder, *lien);
}

absl::StatusOr<AccountInfo> Vault::Account(const Context& ctx, const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(VaultConfig cfg, Config(ctx));
  MESH_ASSIGN_OR_RETURN(UserInfo info, LoadUser(ctx, user));
  MESH_ASSIGN_OR_RETURN(LienList liens, LoadLiens(ctx, user));
  MESH_ASSIGN_OR_RETURN(Derived d, Derive(liens));
  return MakeAccount(cfg.denom, info.collateral, d);
}

absl::StatusOr<Lien> Vault::GetClaim(const Context& ctx, const AccountAddress& user,
                                     const LienHolder& holder) {
  MESH_ASSIGN_OR_RETURN(std::optional<Lien> lien,
                        GetRecord<Lien>(ctx.store(), LienKey(user, holder)));
  if (!lien.has_value()) return absl::NotFoundError(kErrNoClaim);
  return *lien;
}

absl::StatusOr<std::vector<Claim>> Vault::AccountClaims(const Context& ctx,
                                                        const AccountAddress& user,
                                                        const std::optional<LienHolder>& start_after,
                                                        std::optional<uint64_t> limit) {
  MESH_ASSIGN_OR_RETURN(LienList liens, LoadLiens(ctx, user));
  std::vector<Claim> out;
  const uint64_t max = PageLimit(limit);
  for (const auto& [holder, lien] : liens) {
    if (start_after.has_value() && holder.Key() <= start_after->Key()) continue;
    if (out.size() >= max) break;
    out.push_back(Claim{holder, lien.amount});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<AccountAddress, AccountInfo>>> Vault::AllAccounts(
    const Context& ctx, bool with_collateral, const std::optional<AccountAddress>& start_after,
    std::optional<uint64_t> limit) {
  const std::string prefix = tables::Key(tables::kUsers);
  std::string begin =
      start_after ? tables::After(tables::Key(tables::kUsers, start_after->value())) : prefix;
  std::vector<AccountAddress> users;
  auto it = ctx.store().Scan(begin, PrefixEnd(prefix));
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(UserInfo info, DecodeRecord<UserInfo>(it->value()));
    if (with_collateral && info.collateral.IsZero()) continue;
    users.emplace_back(it->key().substr(prefix.size()));
    if (users.size() >= PageLimit(limit)) break;
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  std::vector<std::pair<AccountAddress, AccountInfo>> out;
  for (AccountAddress& u : users) {
    MESH_ASSIGN_OR_RETURN(AccountInfo info, Account(ctx, u));
    out.emplace_back(std::move(u), info);
  }
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
  const std::string prefix = tables::Key(tables::kUsers);
  std::vector<std::pair<AccountAddress, Amount>> users;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(UserInfo info, DecodeRecord<UserInfo>(it->value()));
    users.emplace_back(AccountAddress(it->key().substr(prefix.size())), info.collateral);
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const auto& [user, collateral] : users) {
    MESH_ASSIGN_OR_RETURN(LienList liens, LoadLiens(ctx, user));
    MESH_ASSIGN_OR_RETURN(Derived d, Derive(liens));
    if (collateral < d.max_lien.high() || collateral < d.total_slashable.high()) {
      return absl::InternalError(absl::StrCat(
          "vault invariant broken for ", user.value(), ": collateral ", collateral.ToString(),
          " max_lien ", d.max_lien.ToString(), " slashable ", d.total_slashable.ToString()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Amount> Vault::TotalCollateral(const Context& ctx) {
  Amount total;
  auto it = ctx.store().ScanPrefix(tables::Key(tables::kUsers));
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(UserInfo info, DecodeRecord<UserInfo>(it->value()));
    MESH_ASSIGN_OR_RETURN(total, total.Add(info.collateral));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return total;
}

}  // namespace mesh::provider
