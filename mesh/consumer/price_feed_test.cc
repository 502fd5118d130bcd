// Price feed (mesh-consumer-ibc.md §1.3, 7-E).
#include "mesh/consumer/price_feed.h"

#include <gtest/gtest.h>

#include "mesh/consumer/test_fixture.h"

namespace mesh::consumer::testing {
namespace {

class PriceFeedTest : public ConsumerTest {
 protected:
  PriceFeedTest() { RegisterProvider(feed_, "0"); }
  uint64_t t0() const { return 1571797419879305533ULL; }
  void At(uint64_t ns) { block_.time_ns = ns; }
  ProviderId feed_{"feed"};
};

TEST_F(PriceFeedTest, E1HappyPath) {
  Must(PriceFeed::Update(ctx(), feed_, t0(), D("1")));
  EXPECT_EQ(Must(PriceFeed::Price(ctx(), feed_)), D("1"));
  At(t0() + 559 * kNanosPerSecond);
  EXPECT_EQ(Must(PriceFeed::Price(ctx(), feed_)), D("1"));
  At(t0() + 599 * kNanosPerSecond);
  EXPECT_EQ(Must(PriceFeed::Price(ctx(), feed_)), D("1"));
  At(t0() + 600 * kNanosPerSecond);
  EXPECT_EQ(PriceFeed::Price(ctx(), feed_).status().message(), "Price data is outdated");
}

TEST_F(PriceFeedTest, E2NoInitialPriceInfo) {
  absl::Status s = PriceFeed::Price(ctx(), feed_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "No price data available");
}

TEST_F(PriceFeedTest, E3OutdatedPriceInfo) {
  Must(PriceFeed::Update(ctx(), feed_, t0(), D("1")));
  At(t0() + 601 * kNanosPerSecond);
  EXPECT_EQ(PriceFeed::Price(ctx(), feed_).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PriceFeedTest, E4UpdateWithOlderPriceInfoIsIgnored) {
  Must(PriceFeed::Update(ctx(), feed_, t0(), D("1")));
  Must(PriceFeed::Update(ctx(), feed_, t0() - kNanosPerSecond, D("0.5")));
  EXPECT_EQ(Must(PriceFeed::Price(ctx(), feed_)), D("1"));
  Must(PriceFeed::Update(ctx(), feed_, t0(), D("0.7")));  // equal time overwrites
  EXPECT_EQ(Must(PriceFeed::Price(ctx(), feed_)), D("0.7"));
}

TEST_F(PriceFeedTest, OnlyOracleOrGovernanceMaySetPositivePrices) {
  EXPECT_EQ(PriceFeed::SetPrice(ctx(), AccountAddress("mallory"), feed_, D("1")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(PriceFeed::SetPrice(ctx(), kOracle, feed_, Dec::Zero()).code(),
            absl::StatusCode::kInvalidArgument);
  Must(PriceFeed::SetPrice(ctx(), kGov, feed_, D("3")));
  EXPECT_EQ(Must(PriceFeed::Price(ctx(), feed_)), D("3"));
  Must(PriceFeed::SetPrice(ctx(), kOracle, feed_, D("4")));
  EXPECT_EQ(Must(PriceFeed::Price(ctx(), feed_)), D("4"));
  EXPECT_EQ(PriceFeed::Price(ctx(), ProviderId("nobody")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mesh::consumer::testing
