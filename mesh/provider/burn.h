// Burn distribution over a list of delegations (mesh-provider.md §4.6).
//
// Given what is available on each entry (in a fixed order) and an amount to
// burn, splits the amount evenly: every entry first gives min(available,
// floor(amount / n)); the remainder then goes to entries in list order.
// Pure functions; deterministic.
#ifndef MESHSEC_MESH_PROVIDER_BURN_H_
#define MESHSEC_MESH_PROVIDER_BURN_H_

#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"

namespace mesh::provider {

struct BurnSplit {
  Amount burned;                // sum of `per_entry`
  std::vector<Amount> per_entry;  // same length and order as the input
};

// The engine's split: the remainder after the even split is taken greedily
// from the entries in order, so the whole amount is burned whenever the sum
// available covers it. InvalidArgument on an empty list.
absl::StatusOr<BurnSplit> DistributeBurn(const std::vector<Amount>& available, Amount amount);

// The reference's split, kept for comparison: the whole remainder must fit in
// a single entry (the first that can take it), otherwise it is not burned
// (e.g. [29, 30, 31, 1] burning 91 burns only 67).
absl::StatusOr<BurnSplit> DistributeBurnReference(const std::vector<Amount>& available,
                                                  Amount amount);

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_BURN_H_
