#include "ibc/relayer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ibc/state.h"
#include "ibc/test_util.h"

namespace mesh::ibc {
namespace {

using testing::StoreHas;
using testing::TestApp;
using testing::TestChain;

const PortId kPort("app");

class RelayerTest : public ::testing::Test {
 protected:
  RelayerTest() : a_("chain-a"), b_("chain-b") {
    EXPECT_TRUE(a_.host.BindPort(kPort, &app_a_).ok());
    EXPECT_TRUE(b_.host.BindPort(kPort, &app_b_).ok());
    relayer_ = std::make_unique<Relayer>(a_.endpoint(), b_.endpoint());
  }

  void Open(Order order = Order::kUnordered) {
    absl::StatusOr<ChannelPair> pair = relayer_->OpenChannel(Side::kA, kPort, kPort, order, "");
    ASSERT_TRUE(pair.ok()) << pair.status();
    ch_ = *pair;
  }

  uint64_t SendFromA(const std::string& data, Timeout t = Timeout::AtHeight(10000)) {
    absl::StatusOr<uint64_t> seq = a_.host.SendPacket(a_.ctx(), kPort, ch_.a, t, data);
    EXPECT_TRUE(seq.ok()) << seq.status();
    return seq.ok() ? *seq : 0;
  }

  InFlight Pending(size_t i) {
    std::vector<InFlight> p = *relayer_->PendingPackets();
    EXPECT_LT(i, p.size());
    return p[i];
  }

  TestChain a_, b_;
  TestApp app_a_, app_b_;
  std::unique_ptr<Relayer> relayer_;
  ChannelPair ch_;
};

TEST_F(RelayerTest, RelayAllDeliversAndAcknowledges) {
  Open();
  SendFromA("one");
  SendFromA("two");
  ASSERT_TRUE(b_.host.SendPacket(b_.ctx(), kPort, ch_.b, Timeout::AtHeight(10000), "back").ok());
  absl::StatusOr<RelayStats> stats = relayer_->RelayAll();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->received, 3);
  EXPECT_EQ(stats->acknowledged, 3);
  EXPECT_EQ(stats->timed_out, 0);
  EXPECT_EQ(app_b_.received, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(app_a_.received, std::vector<std::string>{"back"});
  ASSERT_EQ(app_a_.acks.size(), 2u);
  EXPECT_EQ(app_a_.acks[1], (std::pair<uint64_t, std::string>{2, "ack:two"}));
  EXPECT_TRUE(relayer_->PendingPackets()->empty());
  EXPECT_TRUE(relayer_->PendingAcks()->empty());
  EXPECT_TRUE(ListUnsettledPackets(a_.store)->empty());
  // Nothing left: a second run does nothing.
  EXPECT_EQ(relayer_->RelayAll()->received, 0);
}

TEST_F(RelayerTest, RelayAllFollowsPacketsSentFromCallbacks) {
  Open();
  // B answers every packet with one of its own (once).
  app_b_.on_recv_hook = [&](const Context& ctx, const Packet& p) -> absl::Status {
    if (p.data.starts_with("reply")) return absl::OkStatus();
    return b_.host.SendPacket(ctx, kPort, ch_.b, Timeout::AtHeight(10000), "reply-" + p.data)
        .status();
  };
  app_a_.on_recv_hook = [&](const Context& ctx, const Packet& p) -> absl::Status {
    return a_.host.SendPacket(ctx, kPort, ch_.a, Timeout::AtHeight(10000), "reply").status();
  };
  SendFromA("ping");
  absl::StatusOr<RelayStats> stats = relayer_->RelayAll();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(app_a_.received, std::vector<std::string>{"reply-ping"});
  EXPECT_EQ(app_b_.received, (std::vector<std::string>{"ping", "reply"}));
  EXPECT_EQ(stats->received, 3);
  EXPECT_EQ(stats->acknowledged, 3);
}

TEST_F(RelayerTest, DuplicateDeliveryIsRefusedAndReceivedOnce) {
  Open();
  SendFromA("once");
  InFlight p = Pending(0);
  EXPECT_EQ(relayer_->RelayPacket(p)->outcome, Outcome::kApplied);
  EXPECT_EQ(relayer_->DeliverDuplicate(p).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(relayer_->RelayPacket(p)->outcome, Outcome::kNoop);
  EXPECT_EQ(app_b_.received.size(), 1u);
  // After the ack settled the packet, a duplicate is still a no-op.
  EXPECT_EQ(*relayer_->RelayAck(p), Outcome::kApplied);
  EXPECT_EQ(relayer_->DeliverDuplicate(p).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(app_b_.received.size(), 1u);
}

TEST_F(RelayerTest, AckIsProcessedAtMostOnce) {
  Open();
  SendFromA("x");
  InFlight p = Pending(0);
  ASSERT_TRUE(relayer_->RelayPacket(p).ok());
  EXPECT_EQ(*relayer_->RelayAck(p), Outcome::kApplied);
  EXPECT_EQ(*relayer_->RelayAck(p), Outcome::kNoop);
  EXPECT_EQ(app_a_.acks.size(), 1u);
  // Neither can it time out afterwards.
  b_.Advance(20000, 0);
  EXPECT_EQ(*relayer_->TimeOut(p), Outcome::kNoop);
  EXPECT_TRUE(app_a_.timeouts.empty());
}

TEST_F(RelayerTest, UnorderedAcceptsAnyOrder) {
  Open();
  SendFromA("1");
  SendFromA("2");
  SendFromA("3");
  absl::StatusOr<std::vector<RecvResult>> r = relayer_->RelayPendingReversed();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(app_b_.received, (std::vector<std::string>{"3", "2", "1"}));
  // Acks out of order too.
  std::vector<InFlight> acks = *relayer_->PendingAcks();
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(*relayer_->RelayAck(acks[2]), Outcome::kApplied);
  EXPECT_EQ(*relayer_->RelayAck(acks[0]), Outcome::kApplied);
  EXPECT_EQ(*relayer_->RelayAck(acks[1]), Outcome::kApplied);
  EXPECT_EQ(app_a_.acks[0].first, 3u);
  EXPECT_EQ(relayer_->RelayPendingReversed()->size(), 0u);
}

// The unsettled floor (0x4A) follows the lowest unsettled sequence: acks
// above it leave it in place, the ack of the floor packet raises it past
// every sequence already settled, up to the next sequence to send. Listing
// reads from the floor on: a record planted below it is never decoded.
TEST_F(RelayerTest, UnsettledFloorSkipsSettledPackets) {
  Open();
  for (const char* d : {"1", "2", "3", "4"}) SendFromA(d);
  EXPECT_EQ(*GetUnsettledFloor(a_.store, kPort, ch_.a), 1u);
  ASSERT_TRUE(relayer_->RelayPendingReversed().ok());
  std::vector<InFlight> acks = *relayer_->PendingAcks();
  ASSERT_EQ(acks.size(), 4u);
  ASSERT_EQ(acks[1].packet.sequence, 2u);
  EXPECT_EQ(*relayer_->RelayAck(acks[1]), Outcome::kApplied);  // 2: above the floor
  EXPECT_EQ(*relayer_->RelayAck(acks[2]), Outcome::kApplied);  // 3
  EXPECT_EQ(*GetUnsettledFloor(a_.store, kPort, ch_.a), 1u);
  std::vector<Packet> left = *ListUnsettledPackets(a_.store);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].sequence, 1u);
  EXPECT_EQ(left[1].sequence, 4u);
  EXPECT_EQ(*relayer_->RelayAck(acks[0]), Outcome::kApplied);  // 1: floor past 2 and 3
  EXPECT_EQ(*GetUnsettledFloor(a_.store, kPort, ch_.a), 4u);
  // Below the floor nothing is read: a corrupt record there goes unseen.
  ASSERT_TRUE(a_.store.Put(PacketKey(kSentPacketTable, kPort, ch_.a, 2), "corrupt").ok());
  left = *ListUnsettledPackets(a_.store);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].sequence, 4u);
  ASSERT_TRUE(a_.store.Delete(PacketKey(kSentPacketTable, kPort, ch_.a, 2)).ok());
  EXPECT_EQ(*relayer_->RelayAck(acks[3]), Outcome::kApplied);  // the last: floor = next send
  EXPECT_EQ(*GetUnsettledFloor(a_.store, kPort, ch_.a), 5u);
  EXPECT_TRUE(ListUnsettledPackets(a_.store)->empty());
  EXPECT_EQ(SendFromA("5"), 5u);
  ASSERT_EQ(ListUnsettledPackets(a_.store)->size(), 1u);
}

TEST_F(RelayerTest, ReversedRelayTimesOutExpiredAndDeliversTheRest) {
  Open();
  SendFromA("expired", Timeout::AtHeight(b_.block.height + 5));
  SendFromA("fresh", Timeout::AtHeight(b_.block.height + 50));
  b_.Advance(5, 0);  // B at the first packet's deadline: it can no longer be received
  RelayStats stats;
  absl::StatusOr<std::vector<RecvResult>> r = relayer_->RelayPendingReversed(&stats);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].outcome, Outcome::kApplied);
  EXPECT_EQ(stats.received, 1);
  EXPECT_EQ(stats.timed_out, 1);
  EXPECT_EQ(stats.acknowledged, 0);
  EXPECT_EQ(app_b_.received, std::vector<std::string>{"fresh"});
  EXPECT_EQ(app_a_.timeouts, std::vector<uint64_t>{1});
  EXPECT_TRUE(StoreHas(a_.store, "app/timeout/expired"));
  EXPECT_FALSE(StoreHas(b_.store, "app/recv/expired"));
  EXPECT_TRUE(relayer_->PendingPackets()->empty());
  // Only the delivered packet's ack is left to relay.
  std::vector<InFlight> acks = *relayer_->PendingAcks();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].packet.sequence, 2u);
  EXPECT_EQ(relayer_->RelayAll()->acknowledged, 1);
  EXPECT_TRUE(ListUnsettledPackets(a_.store)->empty());
}

TEST_F(RelayerTest, ReversedRelayWithEverythingExpiredDeliversNothing) {
  Open();
  SendFromA("a", Timeout::AtHeight(b_.block.height + 5));
  SendFromA("b", Timeout::AtHeight(b_.block.height + 6));
  b_.Advance(6, 0);
  absl::StatusOr<std::vector<RecvResult>> r = relayer_->RelayPendingReversed();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(app_a_.timeouts, (std::vector<uint64_t>{2, 1}));  // descending order
  EXPECT_TRUE(app_b_.received.empty());
  EXPECT_TRUE(relayer_->PendingPackets()->empty());
}

// PendingPackets reads the receipts of a round in one batch per destination:
// what it lists is exactly the packets not received, both directions, in
// order; on an ordered channel a packet below the next receive sequence is
// received.
TEST_F(RelayerTest, PendingPacketsAreExactlyThoseNotReceived) {
  Open();
  for (const char* d : {"a1", "a2", "a3"}) SendFromA(d);
  for (const char* d : {"b1", "b2"}) {
    ASSERT_TRUE(b_.host.SendPacket(b_.ctx(), kPort, ch_.b, Timeout::AtHeight(10000), d).ok());
  }
  std::vector<InFlight> all = *relayer_->PendingPackets();
  ASSERT_EQ(all.size(), 5u);
  ASSERT_EQ(relayer_->RelayPacket(all[1])->outcome, Outcome::kApplied);  // a2
  ASSERT_EQ(relayer_->RelayPacket(all[3])->outcome, Outcome::kApplied);  // b1
  std::vector<std::string> left;
  const std::vector<InFlight> pending = *relayer_->PendingPackets();
  for (const InFlight& p : pending) left.push_back(p.packet.data);
  EXPECT_EQ(left, (std::vector<std::string>{"a1", "a3", "b2"}));
  ASSERT_EQ(relayer_->RelayPacket(all[0])->outcome, Outcome::kApplied);
  ASSERT_EQ(relayer_->RelayPacket(all[2])->outcome, Outcome::kApplied);
  ASSERT_EQ(relayer_->RelayPacket(all[4])->outcome, Outcome::kApplied);
  EXPECT_TRUE(relayer_->PendingPackets()->empty());
}

TEST_F(RelayerTest, PendingOnAnOrderedChannelFollowsTheReceiveSequence) {
  Open(Order::kOrdered);
  SendFromA("1");
  SendFromA("2");
  ASSERT_EQ(relayer_->RelayPacket(Pending(0))->outcome, Outcome::kApplied);
  std::vector<InFlight> left = *relayer_->PendingPackets();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].packet.data, "2");
  ASSERT_EQ(relayer_->RelayPacket(left[0])->outcome, Outcome::kApplied);
  EXPECT_TRUE(relayer_->PendingPackets()->empty());
}

TEST_F(RelayerTest, OrderedRefusesOutOfOrderDeliveryAndAcks) {
  Open(Order::kOrdered);
  SendFromA("1");
  SendFromA("2");
  InFlight p1 = Pending(0), p2 = Pending(1);
  EXPECT_EQ(relayer_->RelayPacket(p2).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(app_b_.received.empty());
  EXPECT_FALSE(relayer_->RelayPendingReversed().ok());
  EXPECT_EQ(relayer_->RelayPacket(p1)->outcome, Outcome::kApplied);
  EXPECT_EQ(relayer_->RelayPacket(p1)->outcome, Outcome::kNoop);  // redundant relay
  EXPECT_EQ(relayer_->RelayPacket(p2)->outcome, Outcome::kApplied);
  EXPECT_EQ(app_b_.received, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(relayer_->RelayAck(p2).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*relayer_->RelayAck(p1), Outcome::kApplied);
  EXPECT_EQ(*relayer_->RelayAck(p2), Outcome::kApplied);
  EXPECT_EQ(*GetSeqCounter(b_.store, kNextSeqRecvTable, kPort, ch_.b), 3u);
  EXPECT_EQ(*GetSeqCounter(a_.store, kNextSeqAckTable, kPort, ch_.a), 3u);
}

TEST_F(RelayerTest, DeliverErrorAckSkipsTheApplication) {
  Open();
  SendFromA("fine");
  InFlight p = Pending(0);
  EXPECT_EQ(*relayer_->DeliverErrorAck(p, absl::FailedPreconditionError("no")), Outcome::kApplied);
  EXPECT_TRUE(app_b_.received.empty());
  ASSERT_EQ(app_a_.acks.size(), 1u);
  EXPECT_EQ(app_a_.acks[0].second,
            R"({"error":"ABCI code: 9: error handling packet: see events for details"})");
  // Received now: a real delivery is refused.
  EXPECT_EQ(relayer_->DeliverDuplicate(p).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(relayer_->DeliverErrorAck(p, absl::InternalError("x")).ok());
}

TEST_F(RelayerTest, TimeoutByHeight) {
  Open();
  SendFromA("late", Timeout::AtHeight(b_.block.height + 5));
  InFlight p = Pending(0);
  EXPECT_EQ(relayer_->TimeOut(p).status().code(), absl::StatusCode::kFailedPrecondition);
  b_.Advance(4, 1000000);  // time does not matter for a height timeout
  EXPECT_EQ(relayer_->TimeOut(p).status().code(), absl::StatusCode::kFailedPrecondition);
  b_.Advance(1, 0);  // destination at the timeout height
  EXPECT_EQ(relayer_->RelayPacket(p).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*relayer_->TimeOut(p), Outcome::kApplied);
  EXPECT_EQ(app_a_.timeouts, std::vector<uint64_t>{1});
  EXPECT_TRUE(StoreHas(a_.store, "app/timeout/late"));
  EXPECT_EQ(*relayer_->TimeOut(p), Outcome::kNoop);
  EXPECT_TRUE(relayer_->PendingPackets()->empty());
  EXPECT_TRUE(app_b_.received.empty());
}

TEST_F(RelayerTest, TimeoutByTimestamp) {
  Open();
  uint64_t deadline = b_.block.time_ns + 600 * kNanosPerSecond;
  SendFromA("late", Timeout::AtTimeNs(deadline));
  InFlight p = Pending(0);
  b_.Advance(1000, 599);  // height does not matter for a time timeout
  EXPECT_EQ(relayer_->TimeOut(p).status().code(), absl::StatusCode::kFailedPrecondition);
  // The SOURCE's clock does not count: only the destination's.
  a_.Advance(1, 100000);
  EXPECT_EQ(relayer_->TimeOut(p).status().code(), absl::StatusCode::kFailedPrecondition);
  b_.Advance(1, 1);
  EXPECT_EQ(relayer_->RelayPacket(p).status().code(), absl::StatusCode::kFailedPrecondition);
  // RelayAll submits the timeout instead of the packet.
  absl::StatusOr<RelayStats> stats = relayer_->RelayAll();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->timed_out, 1);
  EXPECT_EQ(stats->received, 0);
  EXPECT_EQ(app_a_.timeouts, std::vector<uint64_t>{1});
}

TEST_F(RelayerTest, TimeoutRefusedAfterReceipt) {
  Open();
  SendFromA("got-it", Timeout::AtHeight(b_.block.height + 5));
  InFlight p = Pending(0);
  ASSERT_TRUE(relayer_->RelayPacket(p).ok());
  b_.Advance(10, 0);  // deadline passed, but the packet was received
  EXPECT_EQ(relayer_->TimeOut(p).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(app_a_.timeouts.empty());
  EXPECT_EQ(*relayer_->RelayAck(p), Outcome::kApplied);
  EXPECT_EQ(app_a_.acks.size(), 1u);
}

TEST_F(RelayerTest, OrderedTimeoutClosesTheChannel) {
  Open(Order::kOrdered);
  SendFromA("a", Timeout::AtHeight(b_.block.height + 5));
  SendFromA("b", Timeout::AtHeight(b_.block.height + 50));
  b_.Advance(5, 0);
  EXPECT_EQ(*relayer_->TimeOut(Pending(0)), Outcome::kApplied);
  EXPECT_EQ((*GetChannel(a_.store, kPort, ch_.a))->state, ChannelState::kClosed);
  EXPECT_EQ(a_.host.SendPacket(a_.ctx(), kPort, ch_.a, Timeout::AtHeight(10000), "c")
                .status().code(),
            absl::StatusCode::kFailedPrecondition);
  // "b" can never be received (sequence 1 is gone); RelayAll leaves it.
  absl::StatusOr<RelayStats> stats = relayer_->RelayAll();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->received, 0);
  EXPECT_EQ(relayer_->PendingPackets()->size(), 1u);
  // Once B closes its end too, "b" times out on close.
  ASSERT_TRUE(b_.host.ChanCloseConfirm(b_.ctx(), kPort, ch_.b).ok());
  stats = relayer_->RelayAll();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->timed_out, 1);
  EXPECT_EQ(app_a_.timeouts, (std::vector<uint64_t>{1, 2}));
}

TEST_F(RelayerTest, CloseChannelAndTimeoutOnClose) {
  Open();
  SendFromA("in-flight");
  SendFromA("delivered");
  InFlight in_flight = Pending(0), delivered = Pending(1);
  ASSERT_TRUE(relayer_->RelayPacket(delivered).ok());
  // Before the close, the in-flight packet cannot time out early.
  EXPECT_FALSE(relayer_->TimeOut(in_flight).ok());
  ASSERT_TRUE(relayer_->CloseChannel(Side::kB, kPort, ch_.b).ok());
  EXPECT_EQ(app_b_.events.back(), "close-init");
  EXPECT_EQ(app_a_.events.back(), "close-confirm");
  EXPECT_EQ((*GetChannel(a_.store, kPort, ch_.a))->state, ChannelState::kClosed);
  EXPECT_EQ((*GetChannel(b_.store, kPort, ch_.b))->state, ChannelState::kClosed);
  EXPECT_FALSE(relayer_->RelayPacket(in_flight).ok());  // destination closed
  EXPECT_FALSE(a_.host.SendPacket(a_.ctx(), kPort, ch_.a, Timeout::AtHeight(10000), "x").ok());
  EXPECT_FALSE(relayer_->CloseChannel(Side::kB, kPort, ch_.b).ok());  // already closed
  // Settle both: the received packet by its ack (accepted on a closed
  // channel, see docs/compatibility.md), the other by timeout-on-close.
  absl::StatusOr<RelayStats> stats = relayer_->RelayAll();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->timed_out, 1);
  EXPECT_EQ(stats->acknowledged, 1);
  EXPECT_EQ(app_a_.timeouts, std::vector<uint64_t>{1});
  EXPECT_EQ(app_a_.acks.size(), 1u);
  EXPECT_TRUE(ListUnsettledPackets(a_.store)->empty());
}

TEST_F(RelayerTest, RelayClosesConfirmsACloseTheApplicationMade) {
  Open();
  // Nothing closed: nothing to relay.
  EXPECT_EQ(*relayer_->RelayCloses(), 0);
  // A closes its end itself (as the CCV provider does for a stopped consumer).
  ASSERT_TRUE(a_.host.ChanCloseInit(a_.ctx(), kPort, ch_.a).ok());
  EXPECT_EQ((*GetChannel(b_.store, kPort, ch_.b))->state, ChannelState::kOpen);
  absl::StatusOr<int> closed = relayer_->RelayCloses();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(*closed, 1);
  EXPECT_EQ(app_b_.events.back(), "close-confirm");
  EXPECT_EQ((*GetChannel(b_.store, kPort, ch_.b))->state, ChannelState::kClosed);
  EXPECT_EQ(*relayer_->RelayCloses(), 0);  // both CLOSED: done
}

TEST_F(RelayerTest, ApplicationCanRefuseClose) {
  Open();
  app_a_.refuse_close = true;
  EXPECT_EQ(relayer_->CloseChannel(Side::kA, kPort, ch_.a).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*GetChannel(a_.store, kPort, ch_.a))->state, ChannelState::kOpen);
  // B cannot confirm a close A never made.
  EXPECT_EQ(b_.host.ChanCloseConfirm(b_.ctx(), kPort, ch_.b).code(),
            absl::StatusCode::kFailedPrecondition);
  SendFromA("still-works");
  EXPECT_EQ(relayer_->RelayAll()->received, 1);
}

TEST_F(RelayerTest, RelayAllGivesUpOnEndlessTraffic) {
  Open();
  app_b_.on_recv_hook = [&](const Context& ctx, const Packet& p) -> absl::Status {
    return b_.host.SendPacket(ctx, kPort, ch_.b, Timeout::AtHeight(10000), "echo").status();
  };
  app_a_.on_recv_hook = [&](const Context& ctx, const Packet& p) -> absl::Status {
    return a_.host.SendPacket(ctx, kPort, ch_.a, Timeout::AtHeight(10000), "echo").status();
  };
  SendFromA("start");
  EXPECT_EQ(relayer_->RelayAll().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RelayerTest, ThreeChainsKeepConnectionsApart) {
  TestChain c("chain-c");
  TestApp app_c;
  ASSERT_TRUE(c.host.BindPort(kPort, &app_c).ok());
  Relayer ac(a_.endpoint(), c.endpoint());
  EXPECT_EQ(ac.connection(Side::kA).value(), "connection-1");
  Open();
  absl::StatusOr<ChannelPair> to_c = ac.OpenChannel(Side::kA, kPort, kPort, Order::kUnordered, "");
  ASSERT_TRUE(to_c.ok()) << to_c.status();
  EXPECT_EQ(to_c->a.value(), "channel-1");
  SendFromA("to-b");
  ASSERT_TRUE(a_.host.SendPacket(a_.ctx(), kPort, to_c->a, Timeout::AtHeight(10000), "to-c").ok());
  EXPECT_EQ(relayer_->PendingPackets()->size(), 1u);
  EXPECT_EQ(ac.PendingPackets()->size(), 1u);
  ASSERT_TRUE(ac.RelayAll().ok());
  EXPECT_EQ(app_c.received, std::vector<std::string>{"to-c"});
  EXPECT_TRUE(app_b_.received.empty());
  ASSERT_TRUE(relayer_->RelayAll().ok());
  EXPECT_EQ(app_b_.received, std::vector<std::string>{"to-b"});
}

}  // namespace
}  // namespace mesh::ibc
