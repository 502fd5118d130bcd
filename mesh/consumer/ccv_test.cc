// CcvConsumer: accumulation of VSCs per block (latest update per key),
// application at end block, HtoVSC, outstanding-downtime flags and the
// slash queue's send / ack / bounce / retry rules.
#include "mesh/consumer/ccv.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "staking/staking.h"

namespace mesh::consumer::ccv {
namespace {

std::string K(char c) { return std::string(32, c); }

class CcvConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    block_.height = 5;
    block_.time_ns = 1000ULL * kNanosPerSecond;
    ASSERT_TRUE(CcvConsumer::Init(ctx(), "hub", ConnectionId("connection-0"), 60).ok());
    State s = *CcvConsumer::Get(ctx()).value();
    s.channel = ChannelId("channel-0");
    ASSERT_TRUE(CcvConsumer::Put(ctx(), s).ok());
  }
  Context ctx() { return Context(&store_, &block_); }
  void Next(uint64_t seconds = 5) {
    block_.height++;
    block_.time_ns += seconds * kNanosPerSecond;
  }
  MemStore store_;
  BlockInfo block_;
};

TEST_F(CcvConsumerTest, AccumulatesLatestUpdatePerKeyAndAppliesAtEndBlock) {
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{1, {{K('a'), 10}, {K('b'), 5}}, {}}).ok());
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{2, {{K('a'), 7}, {K('c'), 3}}, {}}).ok());
  Applied a = CcvConsumer::EndBlock(ctx()).value();
  EXPECT_TRUE(a.first);
  EXPECT_EQ(a.updates, (std::vector<Update>{{K('a'), 7}, {K('b'), 5}, {K('c'), 3}}));
  EXPECT_EQ(CcvConsumer::CurrentSet(ctx()).value(), a.updates);
  Next();
  // Nothing received: nothing applied.
  EXPECT_TRUE(CcvConsumer::EndBlock(ctx()).value().updates.empty());
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{3, {{K('b'), 0}, {K('a'), 9}}, {}}).ok());
  a = CcvConsumer::EndBlock(ctx()).value();
  EXPECT_FALSE(a.first);
  EXPECT_EQ(CcvConsumer::CurrentSet(ctx()).value(),
            (std::vector<Update>{{K('a'), 9}, {K('c'), 3}}));
}

TEST_F(CcvConsumerTest, RejectsMalformedVsc) {
  EXPECT_EQ(CcvConsumer::OnVsc(ctx(), Vsc{0, {}, {}}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CcvConsumer::OnVsc(ctx(), Vsc{1, {{"short", 1}}, {}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CcvConsumer::OnVsc(ctx(), Vsc{1, {{K('a'), -1}}, {}}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CcvConsumerTest, HeightToVscIdMapsFromTheNextBlock) {
  EXPECT_EQ(CcvConsumer::VscIdAt(ctx(), 5).value(), 0u);
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{4, {{K('a'), 1}}, {}}).ok());  // at 5
  EXPECT_EQ(CcvConsumer::VscIdAt(ctx(), 5).value(), 0u);
  EXPECT_EQ(CcvConsumer::VscIdAt(ctx(), 6).value(), 4u);
  EXPECT_EQ(CcvConsumer::VscIdAt(ctx(), 50).value(), 4u);
  block_.height = 20;
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{7, {}, {}}).ok());
  EXPECT_EQ(CcvConsumer::VscIdAt(ctx(), 20).value(), 4u);
  EXPECT_EQ(CcvConsumer::VscIdAt(ctx(), 21).value(), 7u);
}

TEST_F(CcvConsumerTest, OneOutstandingRequestPerAddressUntilAcked) {
  const std::string addr(20, 'v');
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{2, {{K('a'), 1}}, {}}).ok());
  Next();
  EXPECT_TRUE(CcvConsumer::OnDowntime(ctx(), addr, 10, 6).value());
  EXPECT_FALSE(CcvConsumer::OnDowntime(ctx(), addr, 10, 6).value());
  std::vector<SlashRequest> q = CcvConsumer::Queue(ctx()).value();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].vsc_id, 2u);
  EXPECT_EQ(q[0].power, 10);
  // A VSC acking the address clears the flag.
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{3, {}, {addr}}).ok());
  EXPECT_FALSE(CcvConsumer::Outstanding(ctx(), addr).value());
  EXPECT_TRUE(CcvConsumer::OnDowntime(ctx(), addr, 10, 6).value());
}

TEST_F(CcvConsumerTest, NothingSentBeforeTheFirstVsc) {
  EXPECT_TRUE(CcvConsumer::OnDowntime(ctx(), std::string(20, 'v'), 1, 3).value());
  EXPECT_FALSE(CcvConsumer::NextToSend(ctx()).value().has_value());
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{1, {}, {}}).ok());
  EXPECT_TRUE(CcvConsumer::NextToSend(ctx()).value().has_value());
}

TEST_F(CcvConsumerTest, HeadWaitsForItsAckAndBouncesRetryAfterTheDelay) {
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{1, {}, {}}).ok());
  ASSERT_TRUE(CcvConsumer::OnDowntime(ctx(), std::string(20, 'x'), 1, 3).ok());
  ASSERT_TRUE(CcvConsumer::OnDowntime(ctx(), std::string(20, 'y'), 2, 3).ok());
  std::optional<SlashRequest> next = CcvConsumer::NextToSend(ctx()).value();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->address, std::string(20, 'x'));
  ASSERT_TRUE(CcvConsumer::MarkSent(ctx()).ok());
  EXPECT_FALSE(CcvConsumer::NextToSend(ctx()).value().has_value());  // waiting
  ASSERT_TRUE(CcvConsumer::OnSlashResult(ctx(), 3).ok());            // bounced
  Next(60);                                                           // not strictly after
  EXPECT_FALSE(CcvConsumer::NextToSend(ctx()).value().has_value());
  Next(1);
  next = CcvConsumer::NextToSend(ctx()).value();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->address, std::string(20, 'x'));
  ASSERT_TRUE(CcvConsumer::MarkSent(ctx()).ok());
  ASSERT_TRUE(CcvConsumer::OnSlashResult(ctx(), 2).ok());  // handled: pop
  next = CcvConsumer::NextToSend(ctx()).value();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->address, std::string(20, 'y'));
  ASSERT_TRUE(CcvConsumer::Close(ctx()).ok());
  EXPECT_FALSE(CcvConsumer::NextToSend(ctx()).value().has_value());
}

// ---------------------------------------------------------------- maturity

TEST_F(CcvConsumerTest, MaturityOffRecordsNothing) {
  EXPECT_EQ(CcvConsumer::MaturityPeriod(ctx()).value(), std::nullopt);
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{1, {}, {}}).ok());
  EXPECT_TRUE(CcvConsumer::Maturities(ctx()).value().empty());
  Next(1000000);
  EXPECT_TRUE(CcvConsumer::TakeMatured(ctx()).value().empty());
}

TEST_F(CcvConsumerTest, EachVscMaturesOneUnbondingPeriodAfterReceipt) {
  ASSERT_TRUE(CcvConsumer::EnableMaturity(ctx(), 100).ok());
  EXPECT_EQ(CcvConsumer::EnableMaturity(ctx(), 0).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{1, {}, {}}).ok());  // t = 1000 s
  Next(5);
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{3, {}, {}}).ok());  // t = 1005 s
  const uint64_t s = kNanosPerSecond;
  EXPECT_EQ(CcvConsumer::Maturities(ctx()).value(),
            (std::vector<CcvConsumer::Maturing>{{1100 * s, 1}, {1105 * s, 3}}));
  block_.time_ns = 1100 * s - 1;
  EXPECT_TRUE(CcvConsumer::TakeMatured(ctx()).value().empty());
  block_.time_ns = 1100 * s;
  EXPECT_EQ(CcvConsumer::TakeMatured(ctx()).value(), std::vector<uint64_t>{1});
  EXPECT_TRUE(CcvConsumer::TakeMatured(ctx()).value().empty());  // sent once
  // A queued slash request holds VSCMatured back until its ack.
  ASSERT_TRUE(CcvConsumer::OnDowntime(ctx(), std::string(20, 'x'), 1, 6).value());
  block_.time_ns = 1200 * s;
  EXPECT_TRUE(CcvConsumer::TakeMatured(ctx()).value().empty());
  ASSERT_TRUE(CcvConsumer::MarkSent(ctx()).ok());
  EXPECT_TRUE(CcvConsumer::TakeMatured(ctx()).value().empty());
  ASSERT_TRUE(CcvConsumer::OnSlashResult(ctx(), 2).ok());
  EXPECT_EQ(CcvConsumer::TakeMatured(ctx()).value(), std::vector<uint64_t>{3});
  // A closed link sends nothing more.
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), Vsc{4, {}, {}}).ok());
  ASSERT_TRUE(CcvConsumer::Close(ctx()).ok());
  block_.time_ns = 2000 * s;
  EXPECT_TRUE(CcvConsumer::TakeMatured(ctx()).value().empty());
}

// L-13: the provider's setting, carried by its VSCs, wins over the
// consumer's genesis. true turns maturity on for the link's life (period:
// the chain's staking unbonding time); false records nothing; a VSC without
// the field follows what the consumer has (older providers).
TEST_F(CcvConsumerTest, ProviderRequestTurnsMaturityOnWithoutTheGenesisSetting) {
  const uint64_t s = kNanosPerSecond;
  const uint64_t period = staking::Staking::GetParams(ctx()).value().unbonding_time_s;
  ASSERT_GT(period, 0u);
  Vsc old{1, {}, {}};  // no field, genesis off: nothing recorded (as before)
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), old).ok());
  EXPECT_TRUE(CcvConsumer::Maturities(ctx()).value().empty());
  Next(5);
  Vsc asks{2, {}, {}, true};
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), asks).ok());  // t = 1005 s
  EXPECT_EQ(CcvConsumer::MaturityPeriod(ctx()).value(), std::optional<uint64_t>(period));
  Next(5);
  Vsc no_field{3, {}, {}};  // on for good now
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), no_field).ok());  // t = 1010 s
  Next(5);
  Vsc says_off{4, {}, {}, false};
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), says_off).ok());
  EXPECT_EQ(CcvConsumer::Maturities(ctx()).value(),
            (std::vector<CcvConsumer::Maturing>{{(1005 + period) * s, 2}, {(1010 + period) * s, 3}}));
  block_.time_ns = (1010 + period) * s;
  EXPECT_EQ(CcvConsumer::TakeMatured(ctx()).value(), (std::vector<uint64_t>{2, 3}));
}

TEST_F(CcvConsumerTest, GenesisPeriodIsKeptWhenTheProviderAsks) {
  ASSERT_TRUE(CcvConsumer::EnableMaturity(ctx(), 100).ok());
  Vsc asks{1, {}, {}, true};
  ASSERT_TRUE(CcvConsumer::OnVsc(ctx(), asks).ok());
  EXPECT_EQ(CcvConsumer::MaturityPeriod(ctx()).value(), std::optional<uint64_t>(100));
  EXPECT_EQ(CcvConsumer::Maturities(ctx()).value(),
            (std::vector<CcvConsumer::Maturing>{{1100 * kNanosPerSecond, 1}}));
}

}  // namespace
}  // namespace mesh::consumer::ccv
