// Burn distribution, reference package tests 7-H (mesh-consumer-ibc.md).
#include "mesh/consumer/burn.h"

#include <gtest/gtest.h>

#include "mesh/consumer/test_fixture.h"

namespace mesh::consumer::testing {
namespace {

using List = std::vector<std::pair<ValidatorAddress, Amount>>;

TEST(DistributeBurn, H1SpreadsEvenlyRemainderToFirst) {
  BurnResult r = Must(DistributeBurn(
      List{{V("validator1"), A(100)}, {V("validator2"), A(200)}, {V("validator3"), A(300)}},
      A(100)));
  EXPECT_EQ(r.burned, A(100));
  EXPECT_EQ(r.per_validator[V("validator1")], A(34));
  EXPECT_EQ(r.per_validator[V("validator2")], A(33));
  EXPECT_EQ(r.per_validator[V("validator3")], A(33));
}

TEST(DistributeBurn, H2EmptyListIsAnError) {
  EXPECT_EQ(DistributeBurn(List{}, A(100)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DistributeBurn, H3OneValidator) {
  BurnResult r = Must(DistributeBurn(List{{V("validator1"), A(100)}}, A(100)));
  EXPECT_EQ(r.burned, A(100));
  EXPECT_EQ(r.per_validator[V("validator1")], A(100));
}

TEST(DistributeBurn, H4UnfundedValidator) {
  BurnResult r = Must(DistributeBurn(List{{V("v1"), A(100)}, {V("v2"), A(1)}}, A(101)));
  EXPECT_EQ(r.burned, A(101));
  EXPECT_EQ(r.per_validator[V("v1")], A(100));
  EXPECT_EQ(r.per_validator[V("v2")], A(1));
}

TEST(DistributeBurn, H5InsufficientDelegations) {
  BurnResult r = Must(DistributeBurn(List{{V("v1"), A(100)}, {V("v2"), A(1)}}, A(102)));
  EXPECT_EQ(r.burned, A(52));
  EXPECT_EQ(r.per_validator[V("v1")], A(51));
  EXPECT_EQ(r.per_validator[V("v2")], A(1));
}

TEST(DistributeBurn, H6InsufficientWholeDelegationLimitation) {
  BurnResult r = Must(DistributeBurn(
      List{{V("v1"), A(29)}, {V("v2"), A(30)}, {V("v3"), A(31)}, {V("v4"), A(1)}}, A(91)));
  EXPECT_EQ(r.burned, A(67));
  EXPECT_EQ(r.per_validator[V("v1")], A(22));
  EXPECT_EQ(r.per_validator[V("v2")], A(22));
  EXPECT_EQ(r.per_validator[V("v3")], A(22));
  EXPECT_EQ(r.per_validator[V("v4")], A(1));
}

}  // namespace
}  // namespace mesh::consumer::testing
