// Reward points per remote validator (mesh-provider.md §5).
//
// Each distribution adds floor((amount * 10^9 + leftover) / total_stake)
// points per staked token; a user's entitlement is
//   floor((points_per_stake * stake.low + alignment) / 10^9) - withdrawn
// where the signed alignment (stored offset by 2^255 - 1) keeps history
// correct across stake changes. The engine also subtracts the rewards already
// in flight to the consumer (docs/compatibility.md). Pure functions on the
// records; rounding always down (what the protocol pays).
#ifndef MESHSEC_MESH_PROVIDER_REWARDS_H_
#define MESHSEC_MESH_PROVIDER_REWARDS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "mesh/provider/types.h"

namespace mesh::provider {

inline constexpr u128 kPointsScale = 1000000000;  // points per reward token

// FailedPrecondition if nobody is staked on the validator (the reference
// divides by zero and writes no acknowledgement).
absl::Status DistributeRewards(Distribution& d, Amount amount);
// Alignment after the committed stake grew / shrank by x at points_per_stake.
absl::Status StakeIncreased(Stake& s, Amount x, const U256& points_per_stake);
absl::Status StakeDecreased(Stake& s, Amount x, const U256& points_per_stake);
// Rewards the user can still withdraw (entitlement - withdrawn - in flight).
absl::StatusOr<Amount> PendingReward(const Stake& s, const Distribution& d);

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_REWARDS_H_
