// Private to staking/: key layout, typed store accessors, exchange-rate
// arithmetic, F1 rewards hooks and the building blocks shared by the .cc
// files. Not part of the module's API (mesh/ must not include it).
//
// Key grammar (docs/staking.md): every key is a one-byte table prefix
// followed by codec fields (str = u32 length + bytes, u64 big-endian).
// Deterministic; no state outside ctx.store().
#ifndef MESHSEC_STAKING_INTERNAL_H_
#define MESHSEC_STAKING_INTERNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/codec.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "core/kv.h"
#include "core/status.h"
#include "staking/staking.h"

namespace mesh::staking::internal {

// ---- Table prefixes (0x20-0x3F; bank uses 0x10-0x1F) ----
inline constexpr uint8_t kParamsKey = 0x20;
inline constexpr uint8_t kValidatorPrefix = 0x21;
inline constexpr uint8_t kPowerIndexPrefix = 0x22;
inline constexpr uint8_t kLastPowerPrefix = 0x23;
inline constexpr uint8_t kDelegationPrefix = 0x24;
inline constexpr uint8_t kDelegationByValPrefix = 0x25;
inline constexpr uint8_t kUbdPrefix = 0x26;
inline constexpr uint8_t kUbdByValPrefix = 0x27;
inline constexpr uint8_t kUbdQueuePrefix = 0x28;
inline constexpr uint8_t kRedPrefix = 0x29;
inline constexpr uint8_t kRedBySrcPrefix = 0x2A;
inline constexpr uint8_t kRedByDstPrefix = 0x2B;
inline constexpr uint8_t kRedQueuePrefix = 0x2C;
inline constexpr uint8_t kValQueuePrefix = 0x2D;
inline constexpr uint8_t kTombstonePrefix = 0x2E;
inline constexpr uint8_t kEventSeqKey = 0x2F;
inline constexpr uint8_t kEventPrefix = 0x30;
inline constexpr uint8_t kCurrentRewardsPrefix = 0x31;
inline constexpr uint8_t kHistoricalRewardsPrefix = 0x32;
inline constexpr uint8_t kStartingInfoPrefix = 0x33;
inline constexpr uint8_t kSlashEventPrefix = 0x34;
inline constexpr uint8_t kCommissionPrefix = 0x35;
inline constexpr uint8_t kPowerHistoryPrefix = 0x36;
inline constexpr uint8_t kPowerPruneQueuePrefix = 0x37;
// u64: the number of power-index entries (absent in a store written before
// it: counted by the next end block).
inline constexpr uint8_t kPowerIndexCountKey = 0x3B;
// 0x38-0x3A: staking/unbonding_hold.cc. Allocated from the top of the range
// down (0x36.. grow upwards).
inline constexpr uint8_t kConsensusKeyPrefix = 0x3F;

// Double-sign jail end: 9999-12-31T23:59:59Z (SDK DoubleSignJailEndTime).
inline constexpr uint64_t kDoubleSignJailEndNs = 253402300799ULL * kNanosPerSecond;

// ---- Keys ----
std::string ValidatorKey(const ValidatorAddress& val);
std::string PowerIndexKey(uint64_t power, const ValidatorAddress& val);
std::string LastPowerKey(const ValidatorAddress& val);
std::string DelegationKey(const AccountAddress& del, const ValidatorAddress& val);
std::string DelegationByValKey(const ValidatorAddress& val, const AccountAddress& del);
std::string UbdKey(const AccountAddress& del, const ValidatorAddress& val);
std::string UbdByValKey(const ValidatorAddress& val, const AccountAddress& del);
// The rest of a by-validator index key (0x25, 0x27) after `prefix ‖ str(val)`:
// str(AddressOrderKey(delegator)) str(delegator). The order key puts a
// validator's delegators in the SDK's order (by address bytes), so a page
// of them is a range of the index.
// Views into the key decoded (valid while it is).
struct ByValEntry {
  std::string_view order_key;
  std::string_view delegator;
};
absl::StatusOr<ByValEntry> DecodeByValEntry(std::string_view rest);
// The value of a delegation's by-validator entry (0x25): its shares, as
// the record holds them (PutDelegation writes both), so a page of a
// validator's delegations is read from the index alone. (0x27's entries
// are empty.)
std::string EncodeByValShares(Dec shares);
absl::StatusOr<Dec> DecodeByValShares(std::string_view value);
std::string UbdQueueKey(uint64_t time_ns, const AccountAddress& del, const ValidatorAddress& val);
std::string RedKey(const AccountAddress& del, const ValidatorAddress& src,
                   const ValidatorAddress& dst);
std::string RedBySrcKey(const ValidatorAddress& src, const AccountAddress& del,
                        const ValidatorAddress& dst);
std::string RedByDstKey(const AccountAddress& del, const ValidatorAddress& dst,
                        const ValidatorAddress& src);
std::string RedQueueKey(uint64_t time_ns, const AccountAddress& del, const ValidatorAddress& src,
                        const ValidatorAddress& dst);
std::string ValQueueKey(uint64_t time_ns, uint64_t height, const ValidatorAddress& val);
std::string TombstoneKey(const ValidatorAddress& val);
// Inverted height, so that a scan from PowerHistoryKey(val, h) finds the
// latest record effective at or before h first.
std::string PowerHistoryKey(const ValidatorAddress& val, uint64_t effective_height);
std::string PowerHistoryPrefix(const ValidatorAddress& val);
std::string PowerPruneKey(uint64_t prune_time_ns, const ValidatorAddress& val,
                          uint64_t effective_height);
std::string ConsensusKeyIndexKey(std::string_view consensus_pubkey);

// Collects the keys (and values) of a prefix before the caller mutates the
// store (iterators must not outlive a write).
struct KeyValue {
  std::string key;
  std::string value;
};
absl::StatusOr<std::vector<KeyValue>> CollectRange(const KvReader& store, std::string_view begin,
                                                   std::string_view end);
absl::StatusOr<std::vector<KeyValue>> CollectPrefix(const KvReader& store, std::string_view prefix);

// ---- Typed accessors ----
absl::StatusOr<std::optional<Validator>> FindValidator(const Context& ctx,
                                                       const ValidatorAddress& val);
// NotFound if absent.
absl::StatusOr<Validator> MustGetValidator(const Context& ctx, const ValidatorAddress& val);
// Whether the validator is in the power index (a candidate for the active
// set): neither jailed nor tombstoned.
inline bool Indexed(const Validator& v) { return !v.jailed && !v.tombstoned; }
// The number of power-index entries; nullopt in a store written before the
// count was kept (CountPowerIndex then writes it).
absl::StatusOr<std::optional<uint64_t>> PowerIndexCount(const Context& ctx);
// Counts the power-index entries (a full scan) and stores the count.
absl::StatusOr<uint64_t> CountPowerIndex(const Context& ctx);
// Writes the validator and keeps the power index (Indexed validators only),
// its entry count and the power history in step.
absl::Status PutValidator(const Context& ctx, const Validator& v);
// What PutValidator compares a validator's new version with: the stored
// version's power-index entry and consensus power.
struct StoredPower {
  bool indexed = false;
  uint64_t potential = 0;
  uint64_t consensus = 0;
};
StoredPower PowerOf(const Params& p, const Validator& v);
// PutValidator for a caller that holds the stored version's StoredPower
// (read in this context and not written since): it is not read again.
absl::Status PutValidator(const Context& ctx, const Params& p, const Validator& v,
                          const StoredPower& stored);
// Deletes the validator, its index entries and its distribution state.
absl::Status RemoveValidator(const Context& ctx, const Validator& v);

absl::StatusOr<std::optional<Delegation>> FindDelegation(const Context& ctx,
                                                         const AccountAddress& del,
                                                         const ValidatorAddress& val);
absl::Status PutDelegation(const Context& ctx, const Delegation& d);
absl::Status DeleteDelegation(const Context& ctx, const AccountAddress& del,
                              const ValidatorAddress& val);

absl::StatusOr<std::optional<UnbondingDelegation>> FindUbd(const Context& ctx,
                                                           const AccountAddress& del,
                                                           const ValidatorAddress& val);
// Writes the UBD, or deletes it (and its index) when it has no entries.
absl::Status PutUbd(const Context& ctx, const UnbondingDelegation& ubd);

absl::StatusOr<std::optional<Redelegation>> FindRed(const Context& ctx, const AccountAddress& del,
                                                    const ValidatorAddress& src,
                                                    const ValidatorAddress& dst);
// Writes the redelegation, or deletes it (and its indexes) when empty.
absl::Status PutRed(const Context& ctx, const Redelegation& red);

absl::Status EmitEvent(const Context& ctx, ValidatorEvent ev);
// Plain event for `kind` at the current height.
absl::Status EmitSimple(const Context& ctx, ValidatorEvent::Kind kind, const ValidatorAddress& val);

// ---- Pools ----
const AccountAddress& PoolFor(const Validator& v);
// Moves bond-denom tokens between the bonded and not-bonded pools.
absl::Status MoveBondedToNotBonded(const Context& ctx, const Params& p, Amount amount);
absl::Status MoveNotBondedToBonded(const Context& ctx, const Params& p, Amount amount);

// ---- Exchange rate (neighbours.md §1.3) ----
// trunc(S * amt / T) at 18 decimals; FailedPrecondition if T == 0.
absl::StatusOr<Dec> SharesFromTokens(const Validator& v, Amount amt);
// LegacyDec Quo of (s * T) by S: half-even at 18 decimals. Zero if S == 0.
absl::StatusOr<Dec> TokensFromShares(const ShareRate& rate, Dec s);
inline absl::StatusOr<Dec> TokensFromShares(const Validator& v, Dec s) {
  return TokensFromShares(v.share_rate(), s);
}
// TruncateInt(TokensFromShares(rate, s)) as an Amount: the same value and
// errors, without the second 256-bit division (the fraction matters only
// where its rounding carries into the integer part; a comparison decides).
absl::StatusOr<Amount> TokenAmountFromShares(const ShareRate& rate, Dec s);
// QuoTruncate variant: trunc(s * T / S) at 18 decimals.
absl::StatusOr<Dec> TokensFromSharesTruncated(const Validator& v, Dec s);
// Issues shares for `amount` (1:1 when the validator has no shares), adds
// tokens and shares. FailedPrecondition on an invalid exchange rate.
absl::StatusOr<Dec> AddTokensFromDel(Validator& v, Amount amount);
// Removes `s` shares; returns the tokens they are worth (the last holder
// gets every remaining token; otherwise TruncateInt(TokensFromShares)).
absl::StatusOr<Amount> RemoveDelShares(Validator& v, Dec s);

// ---- Building blocks (no atomicity of their own) ----
// SDK Delegate. `from_account` = pay from the delegator's account into the
// pool of the validator's status; otherwise the tokens already sit in the
// pool of `token_src_bonded` and move only if bonded-ness differs.
absl::StatusOr<Dec> DelegateInternal(const Context& ctx, const Params& p, const AccountAddress& del,
                                     const ValidatorAddress& val, Amount amount, bool from_account,
                                     bool token_src_bonded);
// SDK Unbond: removes shares, may jail (MinSelfDelegation) or delete the
// validator, returns tokens (which stay in the pool; callers move them).
// `rewards_paid` (optional) receives what the delegator's pending rewards
// paid it (OnDelegationModifying).
absl::StatusOr<Amount> UnbondInternal(const Context& ctx, const Params& p,
                                      const AccountAddress& del, const ValidatorAddress& val,
                                      Dec shares,
                                      std::vector<std::pair<Denom, Amount>>* rewards_paid = nullptr);
// UnbondInternal on the records in hand: `v` and `d` as stored (read in
// this context and not written since); `v` ends as written.
absl::StatusOr<Amount> UnbondLoaded(const Context& ctx, const Params& p, Validator& v,
                                    Delegation d, Dec shares,
                                    std::vector<std::pair<Denom, Amount>>* rewards_paid);
absl::Status JailInternal(const Context& ctx, Validator& v);

// ---- Power history (power_history.cc) ----
// Records a change of the validator's consensus power made in this block; it
// takes effect from the next height (the power the validator signs with at
// height h is the one it had when block h began). Called by PutValidator.
absl::Status RecordPowerChange(const Context& ctx, const Params& p, const ValidatorAddress& val,
                               uint64_t power);
// Schedules the validator's latest record for pruning (validator removed).
absl::Status RetirePowerHistory(const Context& ctx, const Params& p, const ValidatorAddress& val);
// Deletes the records superseded (or retired) more than unbonding_time ago.
absl::Status PrunePowerHistory(const Context& ctx);

// ---- F1 rewards hooks (rewards.cc) ----
// The key of `del`'s F1 starting info with `val` (read by every change of
// the delegation).
std::string StartingInfoKey(const ValidatorAddress& val, const AccountAddress& del);
absl::Status InitValidatorRewards(const Context& ctx, const ValidatorAddress& val);
// Ends the current period (before a delegation is created).
absl::Status OnDelegationCreating(const Context& ctx, const Validator& v);
// Pays pending rewards (before a delegation's shares change); what it paid
// the delegator, per denom, in *paid when given.
absl::Status OnDelegationModifying(const Context& ctx, const Validator& v, const Delegation& d,
                                   std::vector<std::pair<Denom, Amount>>* paid = nullptr);
// Starts a new reward interval for the (changed) delegation.
absl::Status OnDelegationModified(const Context& ctx, const Validator& v, const Delegation& d);
absl::Status OnDelegationRemoved(const Context& ctx, const ValidatorAddress& val,
                                 const AccountAddress& del);
// Ends the current period and records a slash of effective `fraction`.
absl::Status OnValidatorSlashed(const Context& ctx, const Validator& v, Dec fraction);
absl::Status RemoveValidatorRewards(const Context& ctx, const ValidatorAddress& val);

// Runs `f` in an Overlay over ctx.store() and commits only on success, so a
// rejected call leaves no partial write even if the caller does not discard.
template <typename F>
auto Atomically(const Context& ctx, F&& f) -> decltype(f(ctx)) {
  Overlay overlay(&ctx.store());
  Context inner = ctx.WithStore(&overlay);
  auto result = f(inner);
  if (result.ok()) {
    absl::Status st = overlay.Commit();
    if (!st.ok()) return st;
  }
  return result;
}

}  // namespace mesh::staking::internal

#endif  // MESHSEC_STAKING_INTERNAL_H_
