// Vault: users' collateral on the provider chain and the liens that lien
// holders (local staking and one external staking per consumer) hold on it
// (mesh-provider.md §1.1-1.2, §2.1, §4.3-4.4).
//
// Per user: collateral C and at most one lien per holder, each a value range
// with the holder's slash ratio r (fixed at creation). Derived:
//   max_lien        = component-wise max over liens,
//   total_slashable = component-wise sum over liens of floor(lien * r),
//   used            = max_range(max_lien, total_slashable),
//   free            = (C - used.high, C - used.low).
// Invariants (CheckInvariants): used.high <= C for every user; they are
// checked on the high end for every new lien and on free.low for every
// withdrawal. Total slashable is recomputed from the liens, not kept
// incrementally, so it cannot drift (docs/compatibility.md).
//
// Remote stakes are two-phase: StakeRemote reserves lien.high (tx id from a
// vault counter starting at 1), CommitTx / RollbackTx resolve it. CommitTx,
// RollbackTx and Slash never fail on valid state: they clamp instead of
// aborting when a slash has moved the range in between.
//
// Stateless: all state in ctx.store() (tables 0x50-0x55, the users in 0xF4);
// tokens move with staking::Bank between the user and kVaultAccount.
// Deterministic.
// Rejections: InvalidArgument (zero amount), NotFound, FailedPrecondition
// (insufficient collateral or claims, local staking disabled).
#ifndef MESHSEC_MESH_PROVIDER_VAULT_H_
#define MESHSEC_MESH_PROVIDER_VAULT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/provider/types.h"
#include "mesh/provider/value_range.h"

namespace mesh::provider {

inline const AccountAddress kVaultAccount{"module/mesh_vault"};

// Reference error texts (mesh-provider.md §2.6).
inline constexpr char kErrInsufficientBalance[] =
    "The address doesn't have sufficient balance for this operation";
inline constexpr char kErrNoLocalStaking[] = "No local staking configured";
inline constexpr char kErrUnknownLienholder[] = "The lienholder doesn't have any claims";
inline constexpr char kErrInsufficientLien[] =
    "The lienholder doesn't have enough claims for the action";
inline constexpr char kErrNoClaim[] = "No claim found";

struct AccountInfo {
  Denom denom;
  Amount bonded;  // collateral
  AmountRange free;
  AmountRange max_lien;
  AmountRange total_slashable;
};

struct Claim {
  LienHolder holder;
  AmountRange amount;
};

struct SlashInfo {
  AccountAddress user;
  Amount slash;
};

// Pagination: at most min(limit or 10, 30) entries (docs/compatibility.md:
// the reference clamps with max).
uint64_t PageLimit(std::optional<uint64_t> limit);

class Vault {
 public:
  // Stores the config. With `local` set, local staking is enabled and
  // initialised with it (its double-sign ratio becomes the local lien ratio).
  // InvalidArgument for a slash ratio above 1.
  static absl::Status Init(const Context& ctx, const Denom& denom,
                           const std::optional<LocalStakingConfig>& local);
  static absl::StatusOr<VaultConfig> Config(const Context& ctx);

  // User operations.
  // Moves `amount` from `user` to the vault; collateral += amount.
  static absl::Status Bond(const Context& ctx, const AccountAddress& user, Amount amount);
  // Requires free.low >= amount (FailedPrecondition "Claim is locked, only
  // (l, h) can be unbonded"); collateral -= amount; pays it back.
  static absl::Status Unbond(const Context& ctx, const AccountAddress& user, Amount amount);
  // Lien (user, local) += amount (both ends), then delegates it to
  // `validator` through local staking.
  static absl::Status StakeLocal(const Context& ctx, const AccountAddress& user, Amount amount,
                                 const ValidatorAddress& validator);
  // Reserves lien (user, consumer).high += amount, records an in-flight tx
  // and hands the stake to the consumer's external staking (which queues the
  // `stake` packet). Returns the tx id.
  static absl::StatusOr<uint64_t> StakeRemote(const Context& ctx, const AccountAddress& user,
                                              const ConsumerId& consumer, Amount amount,
                                              const ValidatorAddress& validator);

  // Lien-holder API.
  // Resolve a remote stake. NotFound for an unknown tx, FailedPrecondition if
  // it belongs to another holder; never fails otherwise.
  static absl::Status CommitTx(const Context& ctx, const LienHolder& holder, uint64_t tx_id);
  static absl::Status RollbackTx(const Context& ctx, const LienHolder& holder, uint64_t tx_id);
  // Releases `amount` of the (owner, holder) lien (both ends); NotFound if
  // there is no lien, FailedPrecondition if lien.low < amount.
  static absl::Status Release(const Context& ctx, const LienHolder& holder,
                              const AccountAddress& owner, Amount amount);
  // Slashes the users' collateral for a slash of `validator` reported by
  // `holder` and propagates it over the users' other liens (§4.3-4.4):
  // outbound burns toward consumers are aggregated per (consumer, validator)
  // for the whole call; local burns go through LocalStaking::BurnStake.
  static absl::Status Slash(const Context& ctx, const LienHolder& holder,
                            const ValidatorAddress& validator,
                            const std::vector<SlashInfo>& slashes);
  // For each of `cuts` (distinct users, the `holder`'s cut of each), whether
  // it may be left to the user's record, taken when the record is next read
  // (docs/provider.md, "Deferred vault cuts"): the record owes no cut yet
  // (each external lien settled at its consumer's count of stake slashes)
  // and this one would not propagate: once cut from the holder's lien and
  // the collateral, the user's usage still fits the collateral. Only reads.
  static absl::StatusOr<std::vector<bool>> CutsCanWait(const Context& ctx,
                                                       const LienHolder& holder,
                                                       std::span<const SlashInfo> cuts);
  // The same, for users[i] cut by cuts[i] (the caller's users, not copied).
  static absl::StatusOr<std::vector<bool>> CutsCanWait(const Context& ctx,
                                                       const LienHolder& holder,
                                                       std::span<const std::string_view> users,
                                                       std::span<const Amount> cuts);

  // Queries.
  static absl::StatusOr<AccountInfo> Account(const Context& ctx, const AccountAddress& user);
  static absl::StatusOr<Lien> GetClaim(const Context& ctx, const AccountAddress& user,
                                       const LienHolder& holder);
  // Ascending by holder key ("local" first, then "x/<consumer>").
  static absl::StatusOr<std::vector<Claim>> AccountClaims(
      const Context& ctx, const AccountAddress& user,
      const std::optional<LienHolder>& start_after = std::nullopt,
      std::optional<uint64_t> limit = std::nullopt);
  static absl::StatusOr<std::vector<std::pair<AccountAddress, AccountInfo>>> AllAccounts(
      const Context& ctx, bool with_collateral,
      const std::optional<AccountAddress>& start_after = std::nullopt,
      std::optional<uint64_t> limit = std::nullopt);
  // The users with a vault record, in AllAccounts' order (by address), read
  // from the store from `from` (core/kv.h VisitFrom: ascending from the
  // first user >= `from`, or descending from the last <= it; "" = the
  // start, or the end) until `visit` returns false: a page of the list
  // reads the page. Reads no account.
  static absl::Status VisitUsers(
      const Context& ctx, std::string_view from, bool reverse,
      absl::FunctionRef<absl::StatusOr<bool>(const AccountAddress& user)> visit);
  static absl::StatusOr<std::vector<ConsumerId>> ActiveExternalStaking(const Context& ctx);
  static absl::StatusOr<VaultTx> PendingTx(const Context& ctx, uint64_t tx_id);
  // Descending by id; start_after is an exclusive upper bound.
  static absl::StatusOr<std::vector<VaultTx>> AllPendingTxsDesc(
      const Context& ctx, std::optional<uint64_t> start_after = std::nullopt,
      std::optional<uint64_t> limit = std::nullopt);

  // Internal if any user breaks max_lien.high <= C or slashable.high <= C.
  static absl::Status CheckInvariants(const Context& ctx);
  // Sum of all users' collateral.
  static absl::StatusOr<Amount> TotalCollateral(const Context& ctx);
  // FailedPrecondition for a store written by an earlier build whose liens
  // were records apart from their user's (tables 0x51, 0x52), or whose user
  // records lacked the deferred cuts' accounting (0xED): their state would
  // not be read (Application::Open calls it).
  static absl::Status CheckStoredLayout(const Context& ctx);
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_VAULT_H_
