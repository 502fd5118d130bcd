#include "mesh/consumer/burn.h"

#include "core/status.h"

namespace mesh::consumer {

absl::StatusOr<BurnResult> DistributeBurn(
    const std::vector<std::pair<ValidatorAddress, Amount>>& delegations, Amount amount) {
  if (delegations.empty()) return absl::InvalidArgumentError("Empty validators list");
  MESH_ASSIGN_OR_RETURN(Amount per, amount.DivFloor(Amount(delegations.size())));
  BurnResult result;
  for (const auto& [validator, delegated] : delegations) {
    Amount b = Min(delegated, per);
    if (b.IsZero()) continue;
    result.per_validator[validator] = b;
    MESH_ASSIGN_OR_RETURN(result.burned, result.burned.Add(b));
  }
  if (result.burned >= amount) return result;
  MESH_ASSIGN_OR_RETURN(Amount rest, amount.Sub(result.burned));
  for (const auto& [validator, delegated] : delegations) {
    Amount current = result.per_validator.count(validator) ? result.per_validator[validator]
                                                          : Amount::Zero();
    MESH_ASSIGN_OR_RETURN(Amount with_rest, current.Add(rest));
    if (with_rest > delegated) continue;
    result.per_validator[validator] = with_rest;
    result.burned = amount;
    break;
  }
  return result;
}

}  // namespace mesh::consumer
