// Record and outbox encodings round-trip; Dec18String.
#include "mesh/consumer/types.h"

#include <gtest/gtest.h>

#include "core/record.h"
#include "mesh/consumer/test_fixture.h"

namespace mesh::consumer::testing {
namespace {

template <typename T>
T RoundTrip(const T& v) {
  return Must(DecodeRecord<T>(EncodeRecord(v)));
}

TEST(Types, OutboxEntriesRoundTrip) {
  ValsetUpdatePacket valset{20000, 1700000000, {V("a")}, {V("b")}, {V("c")}, {V("d")},
                            {V("e")}, {V("f")},
                            {SlashInfoPacket{V("b"), 19990, 1699999940, 100,
                                             Coin{kJuno, A(16)}, "0.100000000000000000"}}};
  InternalUnstakePacket unstake{AccountAddress("user"), V("v"), Coin{kStake, A(300)},
                                Coin{kJuno, A(1000)}};
  DistributeBatchPacket batch{{RewardInfo{V("a"), A(33)}, RewardInfo{V("b"), A(53)}}, kStake};
  for (const ConsumerPacket& p : {ConsumerPacket(valset), ConsumerPacket(unstake),
                                  ConsumerPacket(batch)}) {
    OutboxEntry e{7, p};
    OutboxEntry back = RoundTrip(e);
    EXPECT_EQ(back.seq, 7u);
    EXPECT_TRUE(back.packet == p);
  }
}

TEST(Types, RecordsRoundTrip) {
  ValidatorSlash s{V("v"), 1, 2, 3, 4, 5, A(6), D("0.25"), true};
  EXPECT_EQ(RoundTrip(s), s);
  DelegationRecord r{A(10), A(3), true};
  DelegationRecord rb = RoundTrip(r);
  EXPECT_EQ(rb.remote, A(10));
  EXPECT_EQ(rb.local, A(3));
  EXPECT_TRUE(rb.unstake_in_flight);
  ProviderState st;
  st.channel_open = true;
  st.max_cap = A(5);
  st.slashed = A(2);
  ProviderState sb = RoundTrip(st);
  EXPECT_TRUE(sb.channel_open);
  EXPECT_EQ(sb.max_cap, A(5));
  EXPECT_EQ(sb.slashed, A(2));
}

TEST(Types, Dec18StringPrintsEighteenDigits) {
  EXPECT_EQ(Dec18String(D("0.1")), "0.100000000000000000");
  EXPECT_EQ(Dec18String(D("0.01")), "0.010000000000000000");
  EXPECT_EQ(Dec18String(D("4")), "4.000000000000000000");
  EXPECT_EQ(Dec18String(D("1.666666666666666666")), "1.666666666666666666");
}

}  // namespace
}  // namespace mesh::consumer::testing
