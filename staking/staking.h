// Native staking with Cosmos SDK semantics (shared/reference/neighbours.md §1).
//
// One chain's validators, delegations as shares, unbonding and redelegation
// entries, slashing with infraction height, jailing, tombstoning, end-block
// validator-set selection and F1-style rewards. It knows nothing about mesh
// security or IBC: what the mesh layer needs leaves as plain data
// (ValidatorEvent) through DrainEvents().
//
// All state lives in ctx.store() (prefixes and every rounding in
// docs/staking.md); the class holds no state. Every mutating call is atomic on
// its own (it runs in a nested Overlay and commits only on success), so a
// rejected call writes nothing.
// Deterministic: no clocks (time = ctx.time_ns()), no floats, ordered
// iteration only. Tokens of Bonded validators sit in the bonded pool account,
// those of other validators and of unbonding entries in the not-bonded pool.
//
// Error convention: deterministic rejections are InvalidArgument (bad input),
// NotFound (unknown validator/delegation), FailedPrecondition (state does not
// allow it: insufficient funds/shares, max entries, jailed, tombstoned...),
// OutOfRange (arithmetic overflow). Internal = broken invariant.
#ifndef MESHSEC_STAKING_STAKING_H_
#define MESHSEC_STAKING_STAKING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <span>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/codec.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"

namespace mesh::staking {

inline const AccountAddress kBondedPool{"module/bonded_pool"};
inline const AccountAddress kNotBondedPool{"module/not_bonded_pool"};
inline const AccountAddress kDistributionPool{"module/distribution"};

struct Params {
  Denom bond_denom{"stake"};
  uint64_t unbonding_time_s = 1814400;  // 21 days
  uint32_t max_validators = 100;
  uint32_t max_entries = 7;
  uint64_t power_reduction = 1000000;
  Dec slash_fraction_double_sign = Dec::FromRaw(Dec::kOne / 20);  // 0.05
  Dec slash_fraction_downtime = Dec::FromRaw(Dec::kOne / 100);    // 0.01
  uint64_t downtime_jail_duration_s = 600;
  void Encode(Encoder& e) const;
  static absl::StatusOr<Params> Decode(Decoder& d);
};

enum class BondStatus : uint8_t { kUnbonded = 1, kUnbonding = 2, kBonded = 3 };

// A validator's self-description (Cosmos SDK staking `Description`, without
// the security contact). Every field may be empty.
struct Description {
  std::string moniker;   // at most kMaxMonikerLength bytes
  std::string identity;  // at most kMaxIdentityLength bytes
  std::string website;   // at most kMaxWebsiteLength bytes
  std::string details;   // at most kMaxDetailsLength bytes
  static constexpr size_t kMaxMonikerLength = 70;
  static constexpr size_t kMaxIdentityLength = 3000;
  static constexpr size_t kMaxWebsiteLength = 140;
  static constexpr size_t kMaxDetailsLength = 280;
  // InvalidArgument naming the first field over its length.
  absl::Status Validate() const;
  friend bool operator==(const Description&, const Description&) = default;
};

// An edit of a validator: each field present is changed, the others kept.
struct ValidatorEdit {
  std::optional<Dec> commission_rate;
  std::optional<std::string> moniker;
  std::optional<std::string> identity;
  std::optional<std::string> website;
  std::optional<std::string> details;
};

// What a validator's delegation shares are worth: tokens / delegator_shares.
struct ShareRate {
  Amount tokens;
  Dec delegator_shares;
};

struct Validator {
  ValidatorAddress operator_address;
  AccountAddress operator_account;  // the self-delegator
  BondStatus status = BondStatus::kUnbonded;
  Amount tokens;
  Dec delegator_shares;
  bool jailed = false;
  bool tombstoned = false;
  uint64_t jailed_until_ns = 0;
  uint64_t unbonding_height = 0;
  uint64_t unbonding_time_ns = 0;
  Dec commission_rate;
  Amount min_self_delegation;
  // 32-byte ed25519 public key of the validator's consensus (block-signing)
  // key, fixed at creation; unique among existing validators.
  std::string consensus_pubkey;
  Description description;
  // Consensus power = floor(tokens / power_reduction) when bonded, else 0.
  // Saturates at 2^64-1.
  uint64_t ConsensusPower(uint64_t power_reduction) const;
  // floor(tokens / power_reduction) whatever the status (the power-index
  // key, SDK "potential consensus power"). Saturates at 2^64-1.
  uint64_t PotentialPower(uint64_t power_reduction) const;
  bool IsBonded() const { return status == BondStatus::kBonded; }
  ShareRate share_rate() const { return ShareRate{tokens, delegator_shares}; }
  void Encode(Encoder& e) const;
  static absl::StatusOr<Validator> Decode(Decoder& d);
  // The record's leading fields, through delegator_shares (the addresses
  // are skipped, not copied); Decode reads them the same way.
  static absl::StatusOr<ShareRate> DecodeShareRate(Decoder& d);
};

struct Delegation {
  AccountAddress delegator;
  ValidatorAddress validator;
  Dec shares;
  void Encode(Encoder& e) const;
  static absl::StatusOr<Delegation> Decode(Decoder& d);
};

struct UnbondingEntry {
  uint64_t creation_height = 0;
  uint64_t completion_time_ns = 0;
  Amount initial_balance;
  Amount balance;
};

struct UnbondingDelegation {
  AccountAddress delegator;
  ValidatorAddress validator;
  std::vector<UnbondingEntry> entries;
  void Encode(Encoder& e) const;
  static absl::StatusOr<UnbondingDelegation> Decode(Decoder& d);
};

struct RedelegationEntry {
  uint64_t creation_height = 0;
  uint64_t completion_time_ns = 0;
  Amount initial_balance;
  Dec shares_dst;
};

struct Redelegation {
  AccountAddress delegator;
  ValidatorAddress src;
  ValidatorAddress dst;
  std::vector<RedelegationEntry> entries;
  void Encode(Encoder& e) const;
  static absl::StatusOr<Redelegation> Decode(Decoder& d);
};

// What happened to a validator in this block, for the mesh layer.
struct ValidatorEvent {
  enum class Kind : uint8_t {
    kBonded = 1,          // entered the active set
    kBeginUnbonding = 2,  // left the active set
    kModified = 3,        // commission change; also emitted by every slash
    kJailed = 4,
    kUnjailed = 5,
    kTombstoned = 6,
    kSlashed = 7,
  };
  Kind kind;
  ValidatorAddress validator;
  uint64_t height = 0;  // block in which it happened
  // kSlashed only:
  int64_t infraction_height = 0;
  uint64_t power = 0;  // consensus power at the infraction
  Amount amount;       // tokens burned from the validator (T)
  Dec fraction;        // slash fraction applied
  bool double_sign = false;
  void Encode(Encoder& e) const;
  static absl::StatusOr<ValidatorEvent> Decode(Decoder& d);
};

// A change to the consensus validator set, the shape of an ABCI
// ValidatorUpdate {pub_key, power}: power 0 = removed from the set.
struct ValidatorUpdate {
  ValidatorAddress validator;
  uint64_t power = 0;
  std::string consensus_pubkey;  // 32-byte ed25519 public key
};

// The consensus key a validator gets when CreateValidator is given none:
// the ed25519 key whose private key is SHA-256("consensus/" + operator
// address) (Ed25519PrivateKey::FromSeed). Deterministic, so devnets and
// tests can sign with it; a production validator passes its own key.
std::string DefaultConsensusPubkey(const ValidatorAddress& val);

class Staking {
 public:
  // Genesis: stores params. InvalidArgument for invalid params. Before any
  // params are stored, GetParams returns the defaults.
  static absl::Status InitGenesis(const Context& ctx, const Params& params);
  static absl::StatusOr<Params> GetParams(const Context& ctx);
  // OK unless the store holds staking records of an earlier layout this
  // build does not read: FailedPrecondition (a by-validator index entry
  // without its order key, docs/staking.md). Reads the first entry of each
  // index; the application checks it when it opens a store.
  static absl::Status CheckStoredLayout(const Context& ctx);
  static absl::Status SetParams(const Context& ctx, const Params& params);

  // Creates a validator (Unbonded, not jailed) and self-delegates
  // `self_bond` from `operator_account`. InvalidArgument if the commission
  // rate is outside [0, 1], min_self_delegation is 0 or self_bond <
  // min_self_delegation, or `consensus_pubkey` is given and not 32 bytes;
  // FailedPrecondition if the address exists or was tombstoned, the
  // consensus key is used by another validator, or the operator lacks
  // funds. Without `consensus_pubkey` the validator gets
  // DefaultConsensusPubkey(val). The validator joins the set at the next
  // EndBlock if it ranks in the top max_validators with power > 0.
  // `description` (optional) must pass Description::Validate
  // (InvalidArgument).
  static absl::Status CreateValidator(const Context& ctx, const ValidatorAddress& val,
                                      const AccountAddress& operator_account, Amount self_bond,
                                      Dec commission_rate, Amount min_self_delegation = Amount(1),
                                      std::optional<std::string> consensus_pubkey = std::nullopt,
                                      const Description& description = {});
  // Sets the commission rate of an existing validator and records a
  // kModified event (a consumer reports it in `updated`). InvalidArgument if
  // the rate is outside [0, 1]; NotFound for an unknown validator;
  // FailedPrecondition for a tombstoned one.
  static absl::Status EditValidator(const Context& ctx, const ValidatorAddress& val,
                                    Dec commission_rate);
  // Applies every field present in `edit` (commission and/or description
  // fields), then records kModified like the above. InvalidArgument if
  // nothing is given, the rate is outside [0, 1] or a description field is
  // too long; NotFound / FailedPrecondition as above. Nothing changes on
  // error.
  static absl::Status EditValidator(const Context& ctx, const ValidatorAddress& val,
                                    const ValidatorEdit& edit);
  // Moves `amount` bond-denom tokens from `delegator` into the pool of the
  // validator's status; returns the shares issued (first delegation 1:1, else
  // S*amount/T truncated at 18 decimals). Pays pending rewards first.
  // InvalidArgument: amount 0. NotFound: validator. FailedPrecondition:
  // insufficient funds, validator with shares but no tokens, zero shares.
  // Jailed/unbonded/tombstoned validators accept delegations.
  static absl::StatusOr<Dec> Delegate(const Context& ctx, const AccountAddress& delegator,
                                      const ValidatorAddress& val, Amount amount);
  // Undelegates by token amount (ValidateUnbondAmount + Unbond) into an
  // unbonding entry maturing at t + unbonding_time. Returns the entry's
  // completion time (ns); the tokens moved into the entry are in *tokens,
  // and the pending rewards the change paid the delegator (per denom, none
  // zero) in *rewards_paid.
  static absl::StatusOr<uint64_t> Undelegate(
      const Context& ctx, const AccountAddress& delegator, const ValidatorAddress& val,
      Amount amount, Amount* tokens = nullptr,
      std::vector<std::pair<Denom, Amount>>* rewards_paid = nullptr);
  // Reads what an undelegation of each (delegator, validator) reads per
  // delegator (the delegation, the unbonding record, the F1 starting info)
  // in batched reads of ascending keys, and drops the results: the store's
  // caches keep them (LocalStaking::PrefetchBurns). Changes nothing.
  static absl::Status PrefetchUndelegations(
      const Context& ctx,
      std::span<const std::pair<AccountAddress, ValidatorAddress>> delegations);
  // Undelegate without an overlay of its own: on an error, part of the
  // undelegation may be written to ctx. Only for a caller that discards
  // ctx's writes on any error it returns (a slash's burns, whose packet or
  // block fails whole), which saves the overlay's copy per call.
  static absl::StatusOr<uint64_t> UndelegateInDiscardedScope(
      const Context& ctx, const AccountAddress& delegator, const ValidatorAddress& val,
      Amount amount, Amount* tokens = nullptr,
      std::vector<std::pair<Denom, Amount>>* rewards_paid = nullptr);
  // Undelegates `shares` and pays the tokens to the delegator at once (the
  // mesh consumer's "instant undelegate"). Returns the tokens paid:
  // TruncateInt(TokensFromShares(shares)), or every remaining token for the
  // last shares. InvalidArgument: shares <= 0; NotFound: validator or
  // delegation; FailedPrecondition: more shares than delegated.
  static absl::StatusOr<Amount> InstantUndelegate(const Context& ctx,
                                                  const AccountAddress& delegator,
                                                  const ValidatorAddress& val, Dec shares);
  // Shares corresponding to `amount` tokens of `delegator`'s delegation,
  // truncated (SDK ValidateUnbondAmount). Read-only. InvalidArgument: amount
  // 0 or more shares than delegated ("invalid shares amount"); NotFound:
  // validator or delegation; FailedPrecondition: validator has no tokens.
  static absl::StatusOr<Dec> ValidateUnbondAmount(const Context& ctx,
                                                  const AccountAddress& delegator,
                                                  const ValidatorAddress& val, Amount amount);
  // Redelegates by token amount; returns the completion time (ns), 0 when
  // the source was unbonded (no record). Rules in neighbours.md §1.6 order:
  // src == dst (InvalidArgument), unknown dst/src (NotFound), transitive and
  // max entries and tiny amount (FailedPrecondition).
  static absl::StatusOr<uint64_t> BeginRedelegate(const Context& ctx,
                                                  const AccountAddress& delegator,
                                                  const ValidatorAddress& src,
                                                  const ValidatorAddress& dst, Amount amount);

  // Slashes per neighbours.md §1.7 (with the ASA-2024-005 fix, see
  // docs/staking.md); returns tokens burned from the validator (T). Emits
  // kModified and kSlashed. Returns 0 for an unknown validator.
  // InvalidArgument: fraction outside [0, 1] or infraction_height > height;
  // FailedPrecondition: validator Unbonded.
  static absl::StatusOr<Amount> Slash(const Context& ctx, const ValidatorAddress& val,
                                      int64_t infraction_height, uint64_t power, Dec fraction,
                                      bool double_sign = false);
  // Jail: FailedPrecondition if already jailed. Emits kJailed.
  static absl::Status Jail(const Context& ctx, const ValidatorAddress& val);
  // FailedPrecondition unless: it has a self-delegation worth at least
  // min_self_delegation, is jailed, is not tombstoned and t >= jailed_until.
  // Emits kUnjailed; the validator rebonds at EndBlock if it ranks.
  static absl::Status Unjail(const Context& ctx, const ValidatorAddress& val);
  // Permanent: the address can never be used again, and the validator is
  // jailed forever (jails it first if needed, emitting kJailed): it leaves
  // the set at the next EndBlock, Unjail refuses it and set selection never
  // picks it again. FailedPrecondition if already tombstoned. Emits
  // kTombstoned.
  static absl::Status Tombstone(const Context& ctx, const ValidatorAddress& val);
  // Double-sign: slash double-sign fraction at infraction_height, jail
  // forever, tombstone. Ignored (OK) if already tombstoned or unbonded.
  // `power` is the validator's consensus power at the infraction, as the
  // evidence carries it; a caller that only knows the height passes
  // PowerAtHeight(val, infraction_height).
  static absl::Status HandleDoubleSign(const Context& ctx, const ValidatorAddress& val,
                                       int64_t infraction_height, uint64_t power);
  // Downtime: slash downtime fraction at infraction_height, jail until
  // t + downtime_jail_duration. Ignored (OK) if jailed or unbonded; NotFound
  // for an unknown validator. `power` as for HandleDoubleSign.
  static absl::Status HandleDowntime(const Context& ctx, const ValidatorAddress& val,
                                     int64_t infraction_height, uint64_t power);
  // The same with an explicit fraction and jail duration (a consumer's
  // downtime on a replicated / opt-in link; fraction 0 only jails).
  static absl::Status HandleDowntimeWith(const Context& ctx, const ValidatorAddress& val,
                                         int64_t infraction_height, uint64_t power, Dec fraction,
                                         uint64_t jail_duration_s);
  // The consensus power `val` signed with at `height`: a change of its
  // consensus power (tokens while Bonded, or entering / leaving the set) made
  // in block h takes effect from height h + 1, so at the current height this
  // is the power the block began with. 0 when it had none (not in the set,
  // not created yet) or the height is older than the kept history: a record
  // is kept for one unbonding period after the change that superseded it
  // (the evidence age limit), the latest one while the validator exists.
  static absl::StatusOr<uint64_t> PowerAtHeight(const Context& ctx, const ValidatorAddress& val,
                                                uint64_t height);
  // The greatest h <= `height` at which `val` had consensus power
  // (PowerAtHeight(h) > 0), or nullopt if it had none at any height the kept
  // history covers. One scan of its power history.
  static absl::StatusOr<std::optional<uint64_t>> LastHeightWithPower(const Context& ctx,
                                                                     const ValidatorAddress& val,
                                                                     uint64_t height);

  // End of block: active-set selection (top max_validators by power, ties by
  // operator address), then matured validators, unbonding and redelegation
  // entries. Returns the consensus updates: one {validator, power,
  // consensus_pubkey} per validator whose consensus power changed in the
  // block (entering: its power; leaving: 0), entering or changed ones in set
  // order, then leaving ones in address order.
  static absl::StatusOr<std::vector<ValidatorUpdate>> EndBlock(const Context& ctx);

  // Rewards (F1 accumulator). Allocates `amount` of `denom`, held by
  // `from`, to bonded validators pro rata to consensus power (truncated at 18
  // decimals); commission (half-even) is paid to the operator account in
  // whole tokens, its fraction carried; remainder dust stays in the
  // distribution pool. FailedPrecondition if `from` lacks the funds.
  static absl::Status AllocateRewards(const Context& ctx, const AccountAddress& from,
                                      const Denom& denom, Amount amount);
  // Pays `delegator`'s accrued rewards on `val` (every denom, rounded down)
  // to `delegator` and returns the non-zero amounts, ordered by denom.
  // NotFound: validator or delegation.
  static absl::StatusOr<std::vector<std::pair<Denom, Amount>>> WithdrawRewards(
      const Context& ctx, const AccountAddress& delegator, const ValidatorAddress& val);

  // Queries.
  static absl::StatusOr<std::optional<Validator>> GetValidator(const Context& ctx,
                                                               const ValidatorAddress& val);
  static absl::StatusOr<std::vector<Validator>> AllValidators(const Context& ctx);
  // Bonded validators ordered by power desc, then address.
  static absl::StatusOr<std::vector<Validator>> BondedValidators(const Context& ctx);
  static absl::StatusOr<std::optional<Delegation>> GetDelegation(const Context& ctx,
                                                                 const AccountAddress& delegator,
                                                                 const ValidatorAddress& val);
  static absl::StatusOr<std::vector<Delegation>> DelegatorDelegations(
      const Context& ctx, const AccountAddress& delegator);
  // `val`'s delegations in the SDK's order: by the delegator's
  // AddressOrderKey (core/crypto.h), i.e. by address bytes; read from the
  // by-validator index (VisitValidatorDelegations).
  static absl::StatusOr<std::vector<Delegation>> ValidatorDelegations(const Context& ctx,
                                                                      const ValidatorAddress& val);
  // Called with (order key, delegator) of each entry of a by-validator
  // index; returns whether to go on.
  using IndexVisitor =
      absl::FunctionRef<absl::StatusOr<bool>(std::string_view order_key,
                                             const AccountAddress& delegator)>;
  // Visits `val`'s delegators in ValidatorDelegations' order, from the first
  // whose order key is >= `from` (with `reverse`: in descending order, from
  // the last whose order key is <= `from`; "" = from the start, or the end),
  // until `visit` returns false. Reads the index only (one key per
  // delegator, no record): a page of a long list costs the page.
  static absl::Status VisitValidatorDelegators(const Context& ctx, const ValidatorAddress& val,
                                               std::string_view from, bool reverse,
                                               IndexVisitor visit);
  // Called with (order key, delegator address, shares) of each of a
  // validator's delegations, the views valid during the call; returns
  // whether to go on.
  using DelegationVisitor = absl::FunctionRef<absl::StatusOr<bool>(
      std::string_view order_key, std::string_view delegator, Dec shares)>;
  // VisitValidatorDelegators with each delegation's shares, which its
  // index entry holds (written with the record): a page of a validator's
  // delegations is read from the index alone, no record read.
  static absl::Status VisitValidatorDelegations(const Context& ctx, const ValidatorAddress& val,
                                                std::string_view from, bool reverse,
                                                DelegationVisitor visit);
  // Tokens of a delegation: shares * tokens / delegator_shares, truncated.
  static absl::StatusOr<Amount> DelegationTokens(const Context& ctx,
                                                 const AccountAddress& delegator,
                                                 const ValidatorAddress& val);
  // The same for a delegation `d` to a validator of share rate `rate`,
  // both already read (no store access; for queries that have them).
  static absl::StatusOr<Amount> DelegationTokens(const ShareRate& rate, const Delegation& d);
  // The same for `shares` of a delegation to that validator.
  static absl::StatusOr<Amount> DelegationTokens(const ShareRate& rate, Dec shares);
  // `val`'s share rate, decoding only the head of its record (queries that
  // value delegations need nothing else of the validator). NotFound: no
  // such validator.
  static absl::StatusOr<ShareRate> GetShareRate(const Context& ctx, const ValidatorAddress& val);
  static absl::StatusOr<std::optional<UnbondingDelegation>> GetUnbondingDelegation(
      const Context& ctx, const AccountAddress& delegator, const ValidatorAddress& val);
  static absl::StatusOr<std::vector<UnbondingDelegation>> DelegatorUnbondingDelegations(
      const Context& ctx, const AccountAddress& delegator);
  static absl::StatusOr<std::vector<Redelegation>> DelegatorRedelegations(
      const Context& ctx, const AccountAddress& delegator);
  // Unbonding delegations from `val`, in the SDK's order (by the
  // delegator's address bytes, as ValidatorDelegations;
  // GetUnbondingDelegationsFromValidator).
  static absl::StatusOr<std::vector<UnbondingDelegation>> ValidatorUnbondingDelegations(
      const Context& ctx, const ValidatorAddress& val);
  // VisitValidatorDelegators over the delegators unbonding from `val`.
  static absl::Status VisitValidatorUnbonders(const Context& ctx, const ValidatorAddress& val,
                                              std::string_view from, bool reverse,
                                              IndexVisitor visit);
  // Redelegations whose source is `src`, ordered by (delegator, dst) (SDK
  // GetRedelegationsFromSrcValidator).
  static absl::StatusOr<std::vector<Redelegation>> RedelegationsFrom(const Context& ctx,
                                                                     const ValidatorAddress& src);

  // Validator events recorded since the last drain, in the order they
  // happened; clears them.
  static absl::StatusOr<std::vector<ValidatorEvent>> DrainEvents(const Context& ctx);

  // Checks the module invariants (neighbours.md §1.11); Internal on failure.
  static absl::Status CheckInvariants(const Context& ctx);
};

}  // namespace mesh::staking

#endif  // MESHSEC_STAKING_STAKING_H_
