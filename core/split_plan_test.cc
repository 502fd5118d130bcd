#include "core/split_plan.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/amount.h"
#include "gtest/gtest.h"

namespace mesh {
namespace {

// A small deterministic generator (no std::random_device: reproducible).
struct Lcg {
  uint64_t s;
  uint64_t Next(uint64_t bound) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (s >> 33) % bound;
  }
};

// Length-then-bytes order, as a length-prefixed key field sorts.
int LengthFirst(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return ByteOrder(a, b);
}

void ExpectPartsEqualSplitByWeight(KeyOrder order, uint64_t seed) {
  Lcg rng{seed};
  int tails[3] = {0, 0, 0};
  for (int round = 0; round < 2000; ++round) {
    const size_t n = 1 + rng.Next(12);
    std::vector<std::string> keys;
    for (size_t i = 0; i < n; ++i) {
      std::string k(1 + rng.Next(3), 'a');
      for (char& c : k) c = static_cast<char>('a' + rng.Next(4));
      keys.push_back(k);
    }
    std::sort(keys.begin(), keys.end(),
              [&](const std::string& a, const std::string& b) { return order(a, b) < 0; });
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<Amount> weights;
    for (size_t i = 0; i < keys.size(); ++i) {
      weights.push_back(Amount(rng.Next(4) == 0 ? 0 : rng.Next(50)));
    }
    const Amount total(rng.Next(4) == 0 ? rng.Next(400) : rng.Next(60));
    std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<Amount> planned;
    absl::StatusOr<SplitPlan> plan = PlanSplit(total, weights, views, &planned);
    ASSERT_TRUE(plan.ok()) << plan.status();
    ++tails[static_cast<int>(plan->tail)];
    absl::StatusOr<std::vector<Amount>> parts = SplitByWeight(weights, weights, total);
    ASSERT_TRUE(parts.ok());
    // The parts the plan gave with it, too.
    EXPECT_EQ(planned, *parts) << "round " << round;
    for (size_t i = 0; i < keys.size(); ++i) {
      absl::StatusOr<Amount> part = SplitPart(*plan, keys[i], weights[i], order);
      ASSERT_TRUE(part.ok());
      EXPECT_EQ(*part, (*parts)[i]) << "round " << round << " entry " << i;
    }
  }
  // Every kind of tail was planned.
  EXPECT_GT(tails[0], 0);
  EXPECT_GT(tails[1], 0);
  EXPECT_GT(tails[2], 0);
}

TEST(SplitPlanTest, EachPartEqualsSplitByWeightInByteOrder) {
  ExpectPartsEqualSplitByWeight(ByteOrder, 7);
}

TEST(SplitPlanTest, EachPartEqualsSplitByWeightInLengthFirstOrder) {
  ExpectPartsEqualSplitByWeight(LengthFirst, 11);
}

TEST(SplitPlanTest, TheTailGetsItsShareAndTheRemainderLeft) {
  // Weights 3, 3, 3 and total 5: floored parts 1, 1, 1 and 2 left, which
  // fit in a's room (2): a is the tail with 2 extra; b and c keep their part.
  const std::vector<Amount> w = {Amount(3), Amount(3), Amount(3)};
  absl::StatusOr<SplitPlan> plan = PlanSplit(Amount(5), w, {"a", "b", "c"});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->tail, SplitTail::kUpTo);
  EXPECT_EQ(plan->tail_key, "a");
  EXPECT_EQ(plan->tail_extra, Amount(2));
  EXPECT_EQ(*SplitPart(*plan, "a", Amount(3)), Amount(3));
  EXPECT_EQ(*SplitPart(*plan, "b", Amount(3)), Amount(1));
  EXPECT_EQ(*SplitPart(*plan, "c", Amount(3)), Amount(1));
  EXPECT_FALSE(PlanSplit(Amount(5), w, {"a", "b"}).ok());
}

}  // namespace
}  // namespace mesh
