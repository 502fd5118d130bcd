// packages/burn examples (mesh-provider.md §4.6, §8.6) and the engine's fix.
#include "mesh/provider/burn.h"

#include "gtest/gtest.h"
#include "mesh/provider/test_util.h"

namespace mesh::provider {
namespace {

using testing::A;

std::vector<Amount> As(std::initializer_list<u128> v) {
  std::vector<Amount> out;
  for (u128 x : v) out.push_back(A(x));
  return out;
}

TEST(BurnTest, ReferenceExamples) {
  for (auto* fn : {&DistributeBurn, &DistributeBurnReference}) {
    BurnSplit s = fn(As({100, 200, 300}), A(100)).value();
    EXPECT_EQ(s.burned, A(100));
    EXPECT_EQ(s.per_entry, As({34, 33, 33}));
    s = fn(As({100}), A(100)).value();
    EXPECT_EQ(s.per_entry, As({100}));
    s = fn(As({100, 1}), A(101)).value();
    EXPECT_EQ(s.per_entry, As({100, 1}));
    s = fn(As({100, 100}), A(15)).value();  // proxy burning_multiple_delegations
    EXPECT_EQ(s.per_entry, As({8, 7}));
    EXPECT_FALSE(fn({}, A(1)).ok());
  }
}

TEST(BurnTest, ReferenceLeavesRemainderThatFitsNowhere) {
  BurnSplit s = DistributeBurnReference(As({100, 1}), A(102)).value();
  EXPECT_EQ(s.burned, A(52));
  EXPECT_EQ(s.per_entry, As({51, 1}));
  s = DistributeBurnReference(As({29, 30, 31, 1}), A(91)).value();
  EXPECT_EQ(s.burned, A(67));
  EXPECT_EQ(s.per_entry, As({22, 22, 22, 1}));
}

// Deviation: the engine burns the whole amount when the sum available covers it.
TEST(BurnTest, EngineBurnsWhateverIsAvailableInAggregate) {
  BurnSplit s = DistributeBurn(As({29, 30, 31, 1}), A(91)).value();
  EXPECT_EQ(s.burned, A(91));
  EXPECT_EQ(s.per_entry, As({29, 30, 31, 1}));
  s = DistributeBurn(As({100, 1}), A(102)).value();
  EXPECT_EQ(s.burned, A(101));  // all there is; the caller handles the rest
}

}  // namespace
}  // namespace mesh::provider
