#include "core/split_plan.h"

#include "core/status.h"

namespace mesh {

int ByteOrder(std::string_view a, std::string_view b) {
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

absl::StatusOr<SplitPlan> PlanSplit(Amount total, const std::vector<Amount>& weights,
                                    const std::vector<std::string_view>& keys,
                                    std::vector<Amount>* parts) {
  if (weights.size() != keys.size()) {
    return absl::InvalidArgumentError("PlanSplit: weights and keys differ in length");
  }
  SplitPlan plan;
  plan.total = total;
  for (const Amount& w : weights) {
    MESH_ASSIGN_OR_RETURN(plan.weight_sum, plan.weight_sum.Add(w));
  }
  std::vector<Amount> floored;
  std::vector<Amount>& out = parts != nullptr ? *parts : floored;
  out.assign(weights.size(), Amount());
  if (plan.weight_sum.IsZero()) return plan;
  // SplitByWeight's two passes: the floored parts, then the remainder to the
  // entries in order, each up to its weight.
  Amount left = total;
  for (size_t i = 0; i < weights.size(); ++i) {
    MESH_ASSIGN_OR_RETURN(Amount share, MulDiv(total, weights[i], plan.weight_sum, Rounding::kDown));
    out[i] = Min(share, weights[i]);
    left = left.SaturatingSub(out[i]);
  }
  if (left.IsZero()) return plan;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Amount room = weights[i].SaturatingSub(out[i]);
    if (room.IsZero()) continue;
    if (left <= room) {
      plan.tail = SplitTail::kUpTo;
      plan.tail_key = std::string(keys[i]);
      plan.tail_extra = left;
      MESH_ASSIGN_OR_RETURN(out[i], out[i].Add(left));
      return plan;
    }
    out[i] = weights[i];
    left = left.SaturatingSub(room);
  }
  plan.tail = SplitTail::kAll;
  return plan;
}

absl::StatusOr<Amount> SplitPart(const SplitPlan& plan, std::string_view key, Amount weight,
                                 KeyOrder order) {
  return SplitPart(plan.total, plan.weight_sum, plan.tail, plan.tail_key, plan.tail_extra, key,
                   weight, order);
}

absl::StatusOr<Amount> SplitPart(Amount total, Amount weight_sum, SplitTail tail,
                                 std::string_view tail_key, Amount tail_extra,
                                 std::string_view key, Amount weight, KeyOrder order) {
  if (weight_sum.IsZero()) return Amount();
  MESH_ASSIGN_OR_RETURN(Amount share, MulDiv(total, weight, weight_sum, Rounding::kDown));
  const Amount part = Min(share, weight);
  switch (tail) {
    case SplitTail::kNone:
      return part;
    case SplitTail::kAll:
      return weight;
    case SplitTail::kUpTo: {
      const int at = order(key, tail_key);
      if (at < 0) return weight;
      if (at > 0) return part;
      MESH_ASSIGN_OR_RETURN(Amount filled, part.Add(tail_extra));  // planned <= weight
      return Min(weight, filled);
    }
  }
  return absl::DataLossError("SplitPlan: unknown tail");
}

}  // namespace mesh
