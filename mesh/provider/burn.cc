#include "mesh/provider/burn.h"

#include "core/status.h"

namespace mesh::provider {
namespace {

// Step 1 of both variants: everyone gives min(available, floor(amount / n)).
absl::StatusOr<BurnSplit> EvenSplit(const std::vector<Amount>& available, Amount amount) {
  if (available.empty()) return absl::InvalidArgumentError("burn over an empty delegation list");
  MESH_ASSIGN_OR_RETURN(Amount share, amount.DivFloor(Amount(available.size())));
  BurnSplit split;
  for (Amount a : available) {
    Amount b = Min(a, share);
    split.per_entry.push_back(b);
    MESH_ASSIGN_OR_RETURN(split.burned, split.burned.Add(b));
  }
  return split;
}

}  // namespace

absl::StatusOr<BurnSplit> DistributeBurn(const std::vector<Amount>& available, Amount amount) {
  MESH_ASSIGN_OR_RETURN(BurnSplit split, EvenSplit(available, amount));
  Amount rem = amount.SaturatingSub(split.burned);
  for (size_t i = 0; i < available.size() && !rem.IsZero(); ++i) {
    Amount take = Min(rem, available[i].SaturatingSub(split.per_entry[i]));
    MESH_ASSIGN_OR_RETURN(split.per_entry[i], split.per_entry[i].Add(take));
    MESH_ASSIGN_OR_RETURN(split.burned, split.burned.Add(take));
    rem = rem.SaturatingSub(take);
  }
  return split;
}

absl::StatusOr<BurnSplit> DistributeBurnReference(const std::vector<Amount>& available,
                                                  Amount amount) {
  MESH_ASSIGN_OR_RETURN(BurnSplit split, EvenSplit(available, amount));
  Amount rem = amount.SaturatingSub(split.burned);
  if (rem.IsZero()) return split;
  for (size_t i = 0; i < available.size(); ++i) {
    MESH_ASSIGN_OR_RETURN(Amount want, split.per_entry[i].Add(rem));
    if (want <= available[i]) {
      split.per_entry[i] = want;
      MESH_ASSIGN_OR_RETURN(split.burned, split.burned.Add(rem));
      break;
    }
  }
  return split;
}

}  // namespace mesh::provider
