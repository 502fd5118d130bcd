// Price normalisation and its inverse (mesh-consumer-ibc.md §2, 7-A), and the
// round-trip fix (§8.3 C2).
#include "mesh/consumer/converter.h"

#include <gtest/gtest.h>

#include "mesh/consumer/test_fixture.h"

namespace mesh::consumer::testing {
namespace {

TEST(ConverterMath, NormalizeFloorsTwicePriceFirst) {
  EXPECT_EQ(Must(Converter::Normalize(A(9), D("0.5"), D("0.9"))), A(3));  // single step: 4
  EXPECT_EQ(Must(Converter::Normalize(A(1000), D("0.5"), D("0.6"))), A(300));
  EXPECT_EQ(Must(Converter::Normalize(A(4000), D("0.5"), D("0.6"))), A(1200));
  EXPECT_EQ(Must(Converter::Normalize(A(2000), D("0.5"), D("0.6"))), A(600));
  EXPECT_EQ(Must(Converter::Normalize(A(1000), D("0.4"), D("0.9"))), A(360));
  EXPECT_EQ(Must(Converter::Normalize(A(100), D("18"), D("0.6"))), A(1080));
  EXPECT_EQ(Must(Converter::Normalize(A(5), D("0.5"), D("0.6"))), A(1));
}

TEST(ConverterMath, InvertUsesTruncatedInversesAndTwoFloors) {
  EXPECT_EQ(Must(Converter::Invert(A(300), D("0.5"), D("0.6"))), A(999));
  EXPECT_EQ(Must(Converter::Invert(A(10), D("0.5"), D("0.6"))), A(33));
  EXPECT_EQ(Must(Converter::Invert(A(5), D("0.5"), D("0.6"))), A(16));
  EXPECT_EQ(Must(Converter::Invert(A(360), D("0.4"), D("0.9"))), A(999));
  EXPECT_EQ(Must(Converter::Invert(A(36), D("0.4"), D("0.9"))), A(99));
  EXPECT_EQ(Converter::Invert(A(1), Dec::Zero(), D("0.6")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

class ConverterTest : public ConsumerTest {};

TEST_F(ConverterTest, ToLocalChecksDenomThenPrice) {
  EXPECT_EQ(Must(Converter::ToLocal(ctx(), prov_, Coin{kJuno, A(1000)})), A(300));
  absl::Status wrong = Converter::ToLocal(ctx(), prov_, Coin{Denom("uatom"), A(1)}).status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong.message(), "Sent wrong denom over IBC: uatom, expected ujuno");
  EXPECT_EQ(Must(Converter::ToRemote(ctx(), prov_, A(300))), (Coin{kJuno, A(999)}));
}

TEST_F(ConverterTest, StaleOrMissingPriceNeverConverts) {
  ProviderId other("other");
  RegisterProvider(other, "0.1");
  EXPECT_EQ(Converter::ToLocal(ctx(), other, Coin{kJuno, A(1)}).status().message(),
            "No price data available");
  block_.time_ns += 600 * kNanosPerSecond;
  absl::Status stale = Converter::ToLocal(ctx(), prov_, Coin{kJuno, A(1)}).status();
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale.message(), "Price data is outdated");
}

// Reference §8.3 C2: at P 0.5, discount 0.4, staking 5 twice gives 1 + 1 = 2
// local tokens and unstaking 10 (normalised to 3) fails with InsufficientBond.
// Here the unstake releases what the two stakes recorded.
TEST_F(ConverterTest, StakeFiveTwiceThenUnstakeTenSucceeds) {
  ValidatorAddress v = CreateValidator("val1", 100);
  StakeRequest stake{AccountAddress("user"), v, Coin{kJuno, A(5)}, 1};
  EXPECT_EQ(Must(Consumer::HandleStake(ctx(), prov_, stake)), A(1));
  EXPECT_EQ(Must(Consumer::HandleStake(ctx(), prov_, stake)), A(1));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, v)), A(2));
  UnstakeRequest unstake{AccountAddress("user"), v, Coin{kJuno, A(10)}, 2};
  EXPECT_EQ(Must(Consumer::HandleUnstake(ctx(), prov_, unstake)), A(2));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, v)), A(0));
}

TEST_F(ConverterTest, UnstakeIgnoresPriceMovesAndStalePrices) {
  ValidatorAddress v = CreateValidator("val1", 100);
  StakeRequest stake{AccountAddress("user"), v, Coin{kJuno, A(1000)}, 1};
  EXPECT_EQ(Must(Consumer::HandleStake(ctx(), prov_, stake)), A(300));
  Must(PriceFeed::SetPrice(ctx(), kOracle, prov_, D("2")));  // would normalise 1000 -> 1200
  UnstakeRequest half{AccountAddress("user"), v, Coin{kJuno, A(500)}, 2};
  EXPECT_EQ(Must(Consumer::HandleUnstake(ctx(), prov_, half)), A(150));
  block_.time_ns += 3600 * kNanosPerSecond;  // price now stale: unstake still works
  EXPECT_EQ(Must(Consumer::HandleUnstake(ctx(), prov_, half)), A(150));
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, v)), A(0));
  // Nothing left on the validator: more than this provider holds there is
  // refused (C-25), not acknowledged as an unstake that released nothing.
  UnstakeRequest stranger{AccountAddress("mallory"), v, Coin{kJuno, A(1)}, 3};
  EXPECT_EQ(Consumer::HandleUnstake(ctx(), prov_, stranger).status().message(),
            "unstake of 1 exceeds the 0 held on " + v.value() + " for this provider");
  EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, v)), A(0));
}

}  // namespace
}  // namespace mesh::consumer::testing
