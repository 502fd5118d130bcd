// ValidatorEvents: turns the native staking module's validator events of one
// block into a ValsetUpdate (mesh-chain-module.md §1.13-1.15).
//
// De-duplication and order follow the reference's pending-operation store:
// one entry per (validator, operation) per block, lists ordered by validator
// address (shorter first, then bytes), operations ordered Bonded, Unbonded,
// Jailed, Tombstoned, Unjailed, Modified, Slashed. Mapping: Bonded ->
// additions, BeginUnbonding -> removals, Modified -> updated (commission read
// now), Jailed/Unjailed/Tombstoned -> their lists, Slashed -> slashed.
//
// Deviations (docs/compatibility.md): every slash is kept (identical slashes
// of one validator in one block do not collapse); infraction_height and
// power are in their own fields (the reference swaps them); infraction_time
// is the recorded time of the infraction block (0 only when unknown);
// is_tombstoned is the slash's double-sign flag for every provider.
//
// Stateless; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_VALIDATOR_EVENTS_H_
#define MESHSEC_MESH_CONSUMER_VALIDATOR_EVENTS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/consumer/types.h"
#include "staking/staking.h"

namespace mesh::consumer {

class ValidatorEvents {
 public:
  // The chain-wide update of `events`; slashed[i].slash_amount is the total
  // burned from the validator.
  static absl::StatusOr<ValsetUpdate> Build(const Context& ctx,
                                            const std::vector<staking::ValidatorEvent>& events);
  // Drains the staking module's events (Staking::DrainEvents) and builds.
  static absl::StatusOr<ValsetUpdate> Capture(const Context& ctx);

  // The part of `total` slashed from `validator` that falls on `delegator`'s
  // delegation (§1.15): round_half_even(Quo(S_d, S_v) * total), with S_d the
  // delegation's shares and S_v the validator's shares now; 0 without a
  // delegation, for an unknown validator or when S_v = 0.
  static absl::StatusOr<Amount> SlashShare(const Context& ctx, const AccountAddress& delegator,
                                           const ValidatorAddress& validator, Amount total);

  // The infraction height a slash of `v` at `infraction_height` is reported
  // with (and the records are cut by). Providers judge a slash by the
  // validator's state at that height in the history this chain reported:
  // Active from the block that bonded it up to the block that jailed or
  // removed it, which is where its consensus power from the next height on
  // is positive. If it had none at `infraction_height` + 1 (jailed or
  // removed in that block, or out of the set then: a replicated consumer's
  // slash packet mapped through VSCtoH can name such a height), the last
  // earlier height at which it was Active; unchanged if it was Active there
  // or no such height is in the kept power history.
  static absl::StatusOr<uint64_t> ReportedInfractionHeight(const Context& ctx,
                                                           const ValidatorAddress& v,
                                                           uint64_t infraction_height);

  // Remembers this block's time for later infraction times, and forgets
  // times older than the staking unbonding period.
  static absl::Status RecordBlockTime(const Context& ctx);
  // Unix seconds of block `height`, or 0 if not recorded.
  static absl::StatusOr<uint64_t> BlockTime(const Context& ctx, uint64_t height);
};

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_VALIDATOR_EVENTS_H_
