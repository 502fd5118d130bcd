#include "mesh/provider/rewards.h"

#include "core/status.h"

namespace mesh::provider {

absl::Status DistributeRewards(Distribution& d, Amount amount) {
  if (d.total_stake.IsZero()) {
    return absl::FailedPreconditionError("no stake on the validator to distribute rewards to");
  }
  MESH_ASSIGN_OR_RETURN(U256 points, U256::MulU128(amount.raw(), kPointsScale)
                                         .Add(d.points_leftover));
  U256 per_stake;
  u128 leftover = 0;
  MESH_RETURN_IF_ERROR(U256::DivModU128(points, d.total_stake.raw(), &per_stake, &leftover));
  d.points_leftover = U256::FromU128(leftover);
  MESH_ASSIGN_OR_RETURN(d.points_per_stake, d.points_per_stake.Add(per_stake));
  return absl::OkStatus();
}

absl::Status StakeIncreased(Stake& s, Amount x, const U256& points_per_stake) {
  MESH_ASSIGN_OR_RETURN(U256 delta, points_per_stake.Mul(U256::FromU128(x.raw())));
  MESH_ASSIGN_OR_RETURN(s.points_alignment, s.points_alignment.Sub(delta));
  return absl::OkStatus();
}

absl::Status StakeDecreased(Stake& s, Amount x, const U256& points_per_stake) {
  MESH_ASSIGN_OR_RETURN(U256 delta, points_per_stake.Mul(U256::FromU128(x.raw())));
  MESH_ASSIGN_OR_RETURN(s.points_alignment, s.points_alignment.Add(delta));
  return absl::OkStatus();
}

absl::StatusOr<Amount> PendingReward(const Stake& s, const Distribution& d) {
  MESH_ASSIGN_OR_RETURN(U256 points, d.points_per_stake.Mul(U256::FromU128(s.stake.low().raw())));
  MESH_ASSIGN_OR_RETURN(points, points.Add(s.points_alignment));
  MESH_ASSIGN_OR_RETURN(points, points.Sub(NeutralAlignment()));
  U256 tokens;
  u128 rem = 0;
  MESH_RETURN_IF_ERROR(U256::DivModU128(points, kPointsScale, &tokens, &rem));
  if (!tokens.FitsU128()) return absl::OutOfRangeError("reward does not fit in 128 bits");
  MESH_ASSIGN_OR_RETURN(Amount paid, s.withdrawn_funds.Add(s.withdrawing));
  return Amount(tokens.lo()).SaturatingSub(paid);
}

}  // namespace mesh::provider
