// Burn distribution (mesh-consumer-ibc.md §3.6): spreads a burn over a list
// of (validator, delegated) pairs.
//
//  1. p = floor(amount / n) for n pairs;
//  2. each validator in list order burns min(delegated, p);
//  3. if short, the remainder goes whole to the first validator (list order)
//     that can absorb it on top of what it already burns; otherwise nothing.
// The result may burn less than `amount` (e.g. [(29),(30),(31),(1)], 91
// burns 67): the caller decides whether that is an error. Pure; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_BURN_H_
#define MESHSEC_MESH_CONSUMER_BURN_H_

#include <map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/ids.h"

namespace mesh::consumer {

struct BurnResult {
  Amount burned;
  std::map<ValidatorAddress, Amount> per_validator;  // only non-zero burns
};

// InvalidArgument for an empty list (the reference divides by zero).
// REQUIRES: validators in `delegations` are distinct.
absl::StatusOr<BurnResult> DistributeBurn(
    const std::vector<std::pair<ValidatorAddress, Amount>>& delegations, Amount amount);

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_BURN_H_
