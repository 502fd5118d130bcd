// A SplitByWeight (core/amount.h) planned once over entries in key order, so
// that each entry's part can be computed later from its own key and weight
// alone: the slash records of both roles store a plan instead of rewriting
// every entry (docs/consumer.md, "Record slashes"; docs/provider.md,
// "Stake slashes").
//
// SplitByWeight with caps = weights gives entry i
//   part_i = min(floor(total * w_i / W), w_i)        (W = Σ w)
// then the units left, in entry order, each entry filled up to its weight.
// So every entry before the first one the remainder does not fill (the
// tail) gets its whole weight, the tail its part plus `tail_extra`, and the
// entries after it their part alone.
#ifndef MESHSEC_CORE_SPLIT_PLAN_H_
#define MESHSEC_CORE_SPLIT_PLAN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"

namespace mesh {

enum class SplitTail : uint8_t {
  kNone = 0,  // the floored parts sum to the total: no remainder
  kAll = 1,   // every entry gets its whole weight
  kUpTo = 2,  // entries before tail_key their weight, tail_key part + extra
};

struct SplitPlan {
  Amount total;
  Amount weight_sum;
  SplitTail tail = SplitTail::kNone;
  std::string tail_key;  // kUpTo
  Amount tail_extra;     // kUpTo
};

// The order of the entries' keys: < 0, 0, > 0 as a is before, at or after b.
using KeyOrder = int (*)(std::string_view a, std::string_view b);
// Byte order (std::string_view::compare), the order of a raw key suffix.
int ByteOrder(std::string_view a, std::string_view b);

// Plans SplitByWeight(weights, weights, total) over entries whose keys are
// `keys` (ascending in the order later given to SplitPart). With `parts`,
// also gives every entry's part, SplitByWeight's result, from the same pass
// (a slash that plans its split needs both).
absl::StatusOr<SplitPlan> PlanSplit(Amount total, const std::vector<Amount>& weights,
                                    const std::vector<std::string_view>& keys,
                                    std::vector<Amount>* parts = nullptr);

// The part of the entry with `key` and `weight`: exactly what SplitByWeight
// gave it when the plan was made.
absl::StatusOr<Amount> SplitPart(const SplitPlan& plan, std::string_view key, Amount weight,
                                 KeyOrder order = ByteOrder);
// The same for a plan whose fields a record keeps as its own (the
// consumer's RecordSlash), read in place.
absl::StatusOr<Amount> SplitPart(Amount total, Amount weight_sum, SplitTail tail,
                                 std::string_view tail_key, Amount tail_extra,
                                 std::string_view key, Amount weight, KeyOrder order);

}  // namespace mesh

#endif  // MESHSEC_CORE_SPLIT_PLAN_H_
