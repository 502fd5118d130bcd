// LocalStaking: the vault's local lien holder (mesh-provider.md §2.2-2.3).
//
// Delegates vault collateral to the chain's native staking on a user's
// behalf. Instead of the reference's per-user proxy contract each user gets
// a delegator account ProxyAccount(user) ("meshproxy/<user>") and a small
// record (the cumulative `burned` amount withheld after slash propagation).
// Rewards that native staking pays to the proxy account are forwarded to the
// user at once, so the proxy's liquid balance only ever holds unbonded
// principal.
//
// Stateless: state in ctx.store() (tables 0x58-0x59) and in native staking.
// Deterministic. Rejections: InvalidArgument (zero amount, ratio > 1),
// NotFound (no such user), FailedPrecondition (from native staking).
#ifndef MESHSEC_MESH_PROVIDER_LOCAL_STAKING_H_
#define MESHSEC_MESH_PROVIDER_LOCAL_STAKING_H_

#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/provider/types.h"

namespace mesh::provider {

// What the local stakers held within reach of a native slash of
// `validator`, taken when the chain records the jailing, before the slash.
struct NativeSlashRecord {
  struct Holding {
    AccountAddress user;
    // `validator` and the destinations of the proxy's redelegations from it
    // (a slash also cuts what was redelegated after the infraction).
    std::vector<ValidatorAddress> reach;
    Amount held;  // tokens of the proxy's delegations and unbonding entries at `reach`
    std::vector<std::pair<Denom, Amount>> liquid;  // the proxy's balances
  };
  ValidatorAddress validator;
  std::vector<Holding> holdings;  // ordered by user
};

class LocalStaking {
 public:
  static AccountAddress ProxyAccount(const AccountAddress& user);

  // InvalidArgument if a ratio exceeds 1 ("You cannot specify a slash ratio
  // over 1.0 (100%)").
  static absl::Status Init(const Context& ctx, const LocalStakingConfig& config);
  static absl::StatusOr<LocalStakingConfig> Config(const Context& ctx);
  // Whether local staking is initialised on this chain.
  static absl::StatusOr<bool> Enabled(const Context& ctx);

  // Called by the vault after it moved `amount` to ProxyAccount(user):
  // delegates it to `validator`.
  static absl::Status ReceiveStake(const Context& ctx, const AccountAddress& user, Amount amount,
                                   const ValidatorAddress& validator);
  // Slash propagation: undelegates up to `amount` from `validator` (or spread
  // evenly over all the user's delegations) and adds `amount` to `burned`.
  // Never fails for lack of delegations: a shortfall is withheld from the
  // user's unbonding tokens instead (docs/compatibility.md). On another
  // error, ctx holds part of the burn: the caller discards it (a slash's
  // packet or block fails whole).
  static absl::Status BurnStake(const Context& ctx, const AccountAddress& user, Amount amount,
                                const std::optional<ValidatorAddress>& validator);
  // Reads what BurnStake of each of `users` reads first (the users'
  // records, and for each validator a record lists the proxy's delegation,
  // unbonding record and F1 starting info) in batched reads, and drops the
  // results: the store's caches keep them, so a slash whose cuts burn the
  // local stake of many users reads their cold records together instead of
  // one Get at a time. Changes nothing.
  static absl::Status PrefetchBurns(const Context& ctx, std::span<const AccountAddress> users);

  // User operations on the proxy.
  // Unstake undelegates `amount` tokens. From a Bonded validator that is
  // neither jailed nor tombstoned it is an ordinary undelegation (the chain's
  // unbonding period applies); otherwise (jailed, tombstoned, unbonding or
  // unbonded) the tokens are paid to the proxy at once (the reference's
  // native immediate unbonding) and ReleaseUnbonded returns them to the
  // vault right away.
  static absl::Status Unstake(const Context& ctx, const AccountAddress& user,
                              const ValidatorAddress& validator, Amount amount);
  static absl::Status Restake(const Context& ctx, const AccountAddress& user,
                              const ValidatorAddress& src, const ValidatorAddress& dst,
                              Amount amount);
  // Returns max(0, liquid balance - burned) to the vault, which releases the
  // same amount of the local lien. Returns the amount (0: nothing done).
  static absl::StatusOr<Amount> ReleaseUnbonded(const Context& ctx, const AccountAddress& user);
  // Withdraws native staking rewards of every delegation to the user.
  static absl::StatusOr<std::vector<std::pair<Denom, Amount>>> WithdrawRewards(
      const Context& ctx, const AccountAddress& user);

  // Native slashing as the node does it (mesh/app/native_slashing.h), in
  // two steps around the chain's own slash of `validator`:
  //   1. RecordJailing, before the slash: what every local staker holds
  //      within the slash's reach (empty record if local staking is off);
  //   2. SettleNativeSlash, after it: each user loses, through Vault::Slash
  //      (lien holder Local), exactly what the slash burned from the proxy's
  //      delegations and unbonding entries (held before - held after), so
  //      the local lien and the collateral fall with the delegation. Rewards
  //      the slash paid to a proxy on the way are forwarded to the user.
  static absl::StatusOr<NativeSlashRecord> RecordJailing(const Context& ctx,
                                                         const ValidatorAddress& validator);
  static absl::Status SettleNativeSlash(const Context& ctx, const NativeSlashRecord& record);

  // The reference's sudo `jailing` (kept for its tests; the node uses the
  // two calls above): tombstoned validators with the double-sign ratio
  // first, then jailed ones with the offline ratio.
  static absl::Status Jailing(const Context& ctx, const std::vector<ValidatorAddress>& jailed,
                              const std::vector<ValidatorAddress>& tombstoned);
  // Every user delegating to `validator` (found through native staking, so
  // redelegated stake is included) loses floor(delegation * ratio) of
  // collateral via Vault::Slash.
  static absl::Status SlashValidator(const Context& ctx, const ValidatorAddress& validator,
                                     Dec ratio);

  // Queries.
  // (validator, tokens) of the user's delegations, ascending by validator.
  static absl::StatusOr<std::vector<std::pair<ValidatorAddress, Amount>>> Delegations(
      const Context& ctx, const AccountAddress& user);
  static absl::StatusOr<LocalUser> User(const Context& ctx, const AccountAddress& user);
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_LOCAL_STAKING_H_
