// VirtualStaking: the virtual stake of each provider on this chain
// (mesh-consumer-ibc.md §3; mesh-chain-module.md §1.3-1.7).
//
// Per provider P there is one virtual account (VirtualAccount(ctx, P): a
// bech32 module account address, "mesh_virtual/<P>" hashed) that holds
// native delegations of minted tokens. Requests from the provider change
// only the *requested* amount per validator (bond_requests) and the
// per-(delegator, validator) records; the native delegations follow at the
// next epoch (HandleEpoch), which
//   1. withdraws the rewards of every validator bonded at the last epoch and
//      still active (Rewards);
//   2. with a zero (or absent) max cap: sends one InternalUnstake per record
//      (at most max_retrieve, never twice while one is in flight) and unbonds
//      any delegation above its request;
//   3. otherwise computes targets = requests, scaled by floor(q * cap / T)
//      when their total T exceeds the cap (256-bit intermediate; the rounding
//      remainder is not redistributed), zero for tombstoned validators (whose
//      request is zeroed too), saves them as `bonded`, and brings the native
//      delegations to the targets: all unbonds first, then the bonds.
// Bond = mint to the virtual account + Staking::Delegate; unbond =
// Staking::InstantUndelegate + burn. A bond never exceeds the cap head-room
// (cap - total_delegated); bonds to unknown or tombstoned validators wait.
// Slashes reduce the requests, the bonded entry, the records and the
// delegated total (so slashed tokens do not keep using cap head-room).
//
// All state is in ctx.store() (docs/consumer.md); stateless; deterministic.
// Errors: NotFound (unknown provider, no record), FailedPrecondition
// (insufficient bond for a burn), OutOfRange (overflow).
#ifndef MESHSEC_MESH_CONSUMER_VIRTUAL_STAKING_H_
#define MESHSEC_MESH_CONSUMER_VIRTUAL_STAKING_H_

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/consumer/types.h"

namespace mesh::consumer {

using ValidatorAmounts = std::vector<std::pair<ValidatorAddress, Amount>>;

// What one epoch did, for callers and tests.
struct EpochReport {
  bool zero_cap = false;
  ValidatorAmounts bonds;    // minted and delegated, ascending validator
  ValidatorAmounts unbonds;  // undelegated and burned (requested amounts)
  std::vector<ValidatorAddress> reward_validators;  // withdrawals, ascending
  std::vector<InternalUnstakePacket> internal_unstakes;
};

class VirtualStaking {
 public:
  // The module name of provider P's virtual-staking account:
  // "mesh_virtual/<P>" (P = the provider's chain id).
  static std::string VirtualModuleName(const ProviderId& provider);
  // That module's account address under bech32 prefix `prefix`, derived as
  // the Cosmos SDK derives module addresses (authtypes.NewModuleAddress):
  // bech32(prefix, SHA-256(VirtualModuleName(P))[:20]). InvalidArgument
  // for a prefix bech32 cannot use.
  static absl::StatusOr<AccountAddress> VirtualAccountFor(std::string_view prefix,
                                                          const ProviderId& provider);
  // The account holding provider P's virtual delegations on this chain:
  // VirtualAccountFor(params.account_prefix, P). FailedPrecondition before
  // InitGenesis.
  static absl::StatusOr<AccountAddress> VirtualAccount(const Context& ctx,
                                                       const ProviderId& provider);

  // ---- Requests (already converted to local tokens) ----

  // Records `local` more virtual stake of `delegator` on `validator`,
  // converted from `remote` provider tokens. Never checks the cap
  // (the epoch does).
  static absl::Status AddStake(const Context& ctx, const ProviderId& provider,
                               const AccountAddress& delegator,
                               const ValidatorAddress& validator, Amount remote, Amount local);
  // Removes `remote` provider tokens of stake from the records on
  // `validator`: from the delegator's own record first, and any shortfall
  // from the validator's other records in proportion to their remote (a
  // burn names no delegator, so the consumer's split of the validator's
  // total over delegators can differ from the provider's; the validator's
  // total is what both sides agree on; C-20). Each record touched releases
  // its local share: all of it when emptied, else floor(local * cut /
  // remote). Saturates at the validator's total; never fails for a missing
  // record (the provider has already checked the stake). Returns the local
  // amount removed from the validator's request (never more than it).
  // What the delegator's record lacks up to its slash debt (a forwarded
  // slash already cut it, C-28) is not taken from the others: it is
  // returned in `absorbed` (when given) and the validator drops by
  // `remote - absorbed`.
  static absl::StatusOr<Amount> RemoveStake(const Context& ctx, const ProviderId& provider,
                                            const AccountAddress& delegator,
                                            const ValidatorAddress& validator, Amount remote,
                                            Amount* absorbed = nullptr);
  // Burns `local` over the requests of `validators` (DistributeBurn; a
  // repeated validator counts once). FailedPrecondition "Virtual staking X
  // has not enough delegated funds: N" if they cannot cover it; nothing is
  // changed then.
  static absl::StatusOr<Amount> Burn(const Context& ctx, const ProviderId& provider,
                                     const std::vector<ValidatorAddress>& validators,
                                     Amount local);
  // As above for a burn packet: the records are also cut by exactly `remote`
  // provider tokens (the packet's own amount), split over the validators in
  // proportion to their local burns and over each validator's records in
  // proportion to their remote (floor; the remainder goes to the first
  // entries, in validator/delegator order, that still hold stake), so the
  // records agree with the provider's accounting.
  static absl::StatusOr<Amount> Burn(const Context& ctx, const ProviderId& provider,
                                     const std::vector<ValidatorAddress>& validators,
                                     Amount local, Amount remote);

  // ---- Queries ----
  static absl::StatusOr<Amount> BondRequest(const Context& ctx, const ProviderId& provider,
                                            const ValidatorAddress& validator);
  static absl::StatusOr<ValidatorAmounts> AllBondRequests(const Context& ctx,
                                                          const ProviderId& provider);
  // The target computed at the last epoch (reference get_stake /
  // get_all_stake, zero entries included).
  static absl::StatusOr<Amount> GetStake(const Context& ctx, const ProviderId& provider,
                                         const ValidatorAddress& validator);
  static absl::StatusOr<ValidatorAmounts> GetAllStake(const Context& ctx,
                                                      const ProviderId& provider);
  static absl::StatusOr<std::optional<DelegationRecord>> GetRecord(
      const Context& ctx, const ProviderId& provider, const AccountAddress& delegator,
      const ValidatorAddress& validator);
  // Every delegation record of the provider (of `validator` only when
  // given), ordered by (validator, delegator); for queries.
  struct RecordOf {
    ValidatorAddress validator;
    AccountAddress delegator;
    DelegationRecord record;
  };
  static absl::StatusOr<std::vector<RecordOf>> AllRecords(
      const Context& ctx, const ProviderId& provider,
      const std::optional<ValidatorAddress>& validator = std::nullopt);
  // A page of that list: the (validator, delegator) of each record from
  // the page key `from` (core/kv.h VisitFrom: ascending from the first key
  // >= `from`, or descending from the last <= it; "" = the start, or the
  // end; `key` is opaque) until `visit` returns false. Reads no record:
  // GetRecord reads those of the page.
  static absl::Status VisitRecordKeys(
      const Context& ctx, const ProviderId& provider,
      const std::optional<ValidatorAddress>& validator, std::string_view from, bool reverse,
      absl::FunctionRef<absl::StatusOr<bool>(std::string_view key, const ValidatorAddress&,
                                             const AccountAddress&)>
          visit);
  // Tokens of the virtual account's native delegation (0 if none).
  static absl::StatusOr<Amount> ActualDelegation(const Context& ctx, const ProviderId& provider,
                                                 const ValidatorAddress& validator);
  static absl::StatusOr<std::map<ValidatorAddress, Amount>> ActualDelegations(
      const Context& ctx, const ProviderId& provider);

  // ---- Validator events ----

  // Chain-wide status (all providers): tombstoned (list or a double-sign
  // slash) -> inactive and tombstoned; removals -> inactive; additions ->
  // active again (reference handle_valset_update step 2).
  static absl::Status ApplyValidatorStatus(const Context& ctx, const ValsetUpdate& update);
  static absl::StatusOr<ValidatorStatus> GetValidatorStatus(const Context& ctx,
                                                            const ValidatorAddress& validator);
  // Books provider P's share of a slash (local tokens) at once.
  static absl::Status ApplySlash(const Context& ctx, const ProviderId& provider,
                                 const ValidatorAddress& validator, Amount share);
  // As ApplySlash for a slash that is forwarded to the provider: the
  // records' local side is cut now, their provider-denom side is left for
  // CutRecordsRemote with the amount the slash packet reports (C-19).
  static absl::Status ApplyForwardedSlash(const Context& ctx, const ProviderId& provider,
                                          const ValidatorAddress& validator, Amount share);
  // Cuts the records on `validator` by `remote` provider tokens for an
  // infraction at `infraction_height`, split over them in proportion to
  // what each held at the infraction (its remote less the stake packets
  // received at or after that height; SplitByWeight, each capped at that),
  // so stake received after the infraction is never cut (C-19, C-28). The
  // cut is added to each record's slash debt. Returns the total cut:
  // min(remote, Σ held).
  static absl::StatusOr<Amount> CutRecordsRemote(const Context& ctx, const ProviderId& provider,
                                                 const ValidatorAddress& validator, Amount remote,
                                                 uint64_t infraction_height);

  // ---- Epoch, zero cap, close ----
  static absl::StatusOr<EpochReport> HandleEpoch(const Context& ctx, const ProviderId& provider);
  // Success ack of an InternalUnstake: subtracts what the packet carried
  // (normalize_amount local, inverted_amount remote; saturating) from the
  // record, clears its in-flight flag and drops it once empty (stake added
  // while the packet was in flight stays), lowers the request and unbonds at
  // once. Returns the local amount released. Never fails except on store
  // errors (a missing record is a no-op).
  static absl::StatusOr<Amount> InternalUnbond(const Context& ctx, const ProviderId& provider,
                                               const InternalUnstakePacket& packet);
  // Error ack or timeout of an InternalUnstake: the next zero-cap epoch
  // sends it again.
  static absl::Status InternalUnstakeFailed(const Context& ctx, const ProviderId& provider,
                                            const AccountAddress& delegator,
                                            const ValidatorAddress& validator);
  // Channel closed: drops all records and requests, unbonds every virtual
  // delegation of the provider at once, marks the channel closed.
  static absl::Status CloseChannel(const Context& ctx, const ProviderId& provider);
};

// The slashes of one block for one provider. The records of each slashed
// validator are read once (on its first slash) and kept in memory; each
// slash is stored as one RecordSlash (internal::AppendRecordSlash), which
// cuts the records when they are next read, and applied to the copies kept
// here. Each method does exactly what the VirtualStaking method of the same
// name does (same arithmetic, same order, same results), so a block with k
// slashes of a validator holding N records costs one scan and k small
// writes instead of 3k scans and 2kN writes (docs/consumer.md, "Record
// slashes"). The per-validator amounts (requests, bonded, delegated total)
// are written through at once. Nothing else may write the provider's
// records while the batch is in use.
class SlashBatch {
 public:
  SlashBatch(const Context& ctx, ProviderId provider);
  SlashBatch(const SlashBatch&) = delete;
  SlashBatch& operator=(const SlashBatch&) = delete;

  // VirtualStaking::ApplySlash.
  absl::Status ApplySlash(const ValidatorAddress& validator, Amount share);
  // VirtualStaking::ApplyForwardedSlash.
  absl::Status ApplyForwardedSlash(const ValidatorAddress& validator, Amount share);
  // ProviderGuard::ClipForwardedSlash (when `clip_ratio` is given: the
  // amount is first clipped to ceil(ratio x Σ remote)), then
  // VirtualStaking::CutRecordsRemote. Returns the total cut.
  absl::StatusOr<Amount> CutRemote(const ValidatorAddress& validator, Amount remote,
                                   uint64_t infraction_height,
                                   std::optional<Dec> clip_ratio = std::nullopt);
  // One record as the batch holds it.
  struct Entry {
    AccountAddress delegator;
    DelegationRecord record;
  };
  // A validator's records, in key order (a deque: loading 10^5 records
  // appends without moving those already loaded).
  using Entries = std::deque<Entry>;

 private:
  absl::StatusOr<Entries*> Load(const ValidatorAddress& validator);

  const Context ctx_;
  const ProviderId provider_;
  std::map<ValidatorAddress, Entries> records_;
};

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_VIRTUAL_STAKING_H_
