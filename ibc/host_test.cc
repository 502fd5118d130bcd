#include "ibc/host.h"

#include <string>

#include "core/codec.h"
#include "core/crypto.h"
#include "gtest/gtest.h"
#include "ibc/relayer.h"
#include "ibc/state.h"
#include "ibc/test_util.h"

namespace mesh::ibc {
namespace {

using testing::StoreHas;
using testing::TestApp;
using testing::TestChain;

const PortId kPort("app");

class HostTest : public ::testing::Test {
 protected:
  HostTest() : a_("chain-a"), b_("chain-b") {
    EXPECT_TRUE(a_.host.BindPort(kPort, &app_a_).ok());
    EXPECT_TRUE(b_.host.BindPort(kPort, &app_b_).ok());
    relayer_ = std::make_unique<Relayer>(a_.endpoint(), b_.endpoint());
  }

  ChannelPair Open(Order order = Order::kUnordered) {
    absl::StatusOr<ChannelPair> pair = relayer_->OpenChannel(Side::kA, kPort, kPort, order, "");
    EXPECT_TRUE(pair.ok()) << pair.status();
    return pair.ok() ? *pair : ChannelPair{};
  }

  std::optional<ChannelEnd> ChannelOn(TestChain& c, const ChannelId& id) {
    return *GetChannel(c.store, kPort, id);
  }

  TestChain a_, b_;
  TestApp app_a_, app_b_;
  std::unique_ptr<Relayer> relayer_;
};

// The state keys a packet's handling builds several times over are each
// built in one allocation of their exact size, with the fields in order.
TEST(StateKeysTest, BuiltAtTheirExactSize) {
  const PortId port("mesh-provider-port");
  const ChannelId channel("channel-12345");
  const std::string packet = PacketKey(kPacketCommitmentTable, port, channel, 7);
  EXPECT_EQ(packet, Encoder(kPacketCommitmentTable)
                        .Str(port.value())
                        .Str(channel.value())
                        .U64(7)
                        .Take());
  EXPECT_EQ(packet.capacity(), packet.size());
  const std::string counter = SeqCounterKey(kPacketCommitmentTable, port, channel);
  EXPECT_EQ(counter, packet.substr(0, packet.size() - 8));
  EXPECT_EQ(counter.capacity(), counter.size());
  const std::string channel_key = ChannelKey(port, channel);
  EXPECT_EQ(channel_key.substr(1), counter.substr(1));
  EXPECT_EQ(channel_key.capacity(), channel_key.size());
}

TEST_F(HostTest, HandshakeOpensBothEndsWithCountersAtOne) {
  ChannelPair ch = Open();
  EXPECT_EQ(ch.a.value(), "channel-0");
  EXPECT_EQ(ch.b.value(), "channel-0");
  std::optional<ChannelEnd> ea = ChannelOn(a_, ch.a), eb = ChannelOn(b_, ch.b);
  ASSERT_TRUE(ea.has_value() && eb.has_value());
  EXPECT_EQ(ea->state, ChannelState::kOpen);
  EXPECT_EQ(eb->state, ChannelState::kOpen);
  EXPECT_EQ(ea->counterparty_channel, ch.b);
  EXPECT_EQ(eb->counterparty_channel, ch.a);
  EXPECT_EQ(ea->version, "v1");
  EXPECT_EQ(eb->version, "v1");
  EXPECT_EQ(ea->connection, relayer_->connection(Side::kA));
  EXPECT_EQ(app_a_.events, (std::vector<std::string>{"init", "ack"}));
  EXPECT_EQ(app_b_.events, (std::vector<std::string>{"try", "confirm"}));
  // neighbours.md §5.3 #38: all three counters exist and start at 1.
  for (TestChain* c : {&a_, &b_}) {
    for (uint8_t t : {kNextSeqSendTable, kNextSeqRecvTable, kNextSeqAckTable}) {
      EXPECT_TRUE(StoreHas(c->store, SeqCounterKey(t, kPort, ChannelId("channel-0"))));
      EXPECT_EQ(*GetSeqCounter(c->store, t, kPort, ChannelId("channel-0")), 1u);
    }
  }
  // A second channel gets the next id.
  EXPECT_EQ(Open().a.value(), "channel-1");
}

TEST_F(HostTest, VersionNegotiatedDownAtTry) {
  app_a_.supported = {"v1", "v2"};
  app_a_.default_version = "v2";
  app_b_.supported = {"v1"};
  ChannelPair ch = Open();
  EXPECT_EQ(ChannelOn(a_, ch.a)->version, "v1");
  EXPECT_EQ(ChannelOn(b_, ch.b)->version, "v1");
}

TEST_F(HostTest, IncompatibleVersionAbortsTheHandshake) {
  app_a_.supported = {"v0"};
  app_a_.default_version = "v0";
  app_b_.supported = {"v1"};  // v0 < v1: B cannot answer
  absl::StatusOr<ChannelPair> pair = relayer_->OpenChannel(Side::kA, kPort, kPort, Order::kUnordered, "");
  EXPECT_EQ(pair.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ChannelOn(a_, ChannelId("channel-0"))->state, ChannelState::kInit);
  EXPECT_FALSE(ChannelOn(b_, ChannelId("channel-0")).has_value());  // Try wrote nothing
  // The relayer-proposed version is checked at Init.
  pair = relayer_->OpenChannel(Side::kA, kPort, kPort, Order::kUnordered, "v9");
  EXPECT_EQ(pair.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ChannelOn(a_, ChannelId("channel-1")).has_value());
}

TEST_F(HostTest, AckRejectsVersionTheInitiatorCannotUse) {
  app_a_.supported = {"v1", "v2"};  // proposes v1
  app_b_.supported = {"v1"};
  ChannelId init = *a_.host.ChanOpenInit(a_.ctx(), kPort, relayer_->connection(Side::kA), kPort,
                                         Order::kUnordered, "");
  ChannelId tried = *b_.host.ChanOpenTry(b_.ctx(), kPort, relayer_->connection(Side::kB), kPort,
                                         init, Order::kUnordered, "v1");
  app_a_.supported = {"v2"};  // the initiator no longer accepts v1
  EXPECT_FALSE(a_.host.ChanOpenAck(a_.ctx(), kPort, init, tried, "v1").ok());
  EXPECT_EQ(ChannelOn(a_, init)->state, ChannelState::kInit);
  // Confirm on B needs A to be OPEN.
  EXPECT_EQ(b_.host.ChanOpenConfirm(b_.ctx(), kPort, tried).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(HostTest, HandshakeStepsAreCheckedAgainstTheCounterparty) {
  const ConnectionId conn_b = relayer_->connection(Side::kB);
  // Try for a channel that does not exist on A.
  EXPECT_EQ(b_.host.ChanOpenTry(b_.ctx(), kPort, conn_b, kPort, ChannelId("channel-7"),
                                Order::kUnordered, "v1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  ChannelId init = *a_.host.ChanOpenInit(a_.ctx(), kPort, relayer_->connection(Side::kA), kPort,
                                         Order::kUnordered, "");
  // Wrong order, wrong version, wrong port.
  EXPECT_FALSE(b_.host.ChanOpenTry(b_.ctx(), kPort, conn_b, kPort, init, Order::kOrdered, "v1").ok());
  EXPECT_FALSE(b_.host.ChanOpenTry(b_.ctx(), kPort, conn_b, kPort, init, Order::kUnordered, "v2").ok());
  EXPECT_FALSE(b_.host.ChanOpenTry(b_.ctx(), kPort, conn_b, PortId("other"), init,
                                   Order::kUnordered, "v1").ok());
  // Unknown connection / port.
  EXPECT_EQ(b_.host.ChanOpenTry(b_.ctx(), kPort, ConnectionId("connection-9"), kPort, init,
                                Order::kUnordered, "v1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(a_.host.ChanOpenInit(a_.ctx(), PortId("nobody"), relayer_->connection(Side::kA), kPort,
                                 Order::kUnordered, "").status().code(),
            absl::StatusCode::kNotFound);
  // Ack before Try.
  EXPECT_EQ(a_.host.ChanOpenAck(a_.ctx(), kPort, init, ChannelId("channel-0"), "v1").code(),
            absl::StatusCode::kFailedPrecondition);
  // Re-binding a port is refused.
  EXPECT_FALSE(a_.host.BindPort(kPort, &app_b_).ok());
}

TEST_F(HostTest, CommitmentMatchesIbcGoFormula) {
  Packet p;
  p.data = "hello";
  p.timeout = Timeout{42, 1700000000000000000ULL};
  // SHA-256(BE64(ts) || BE64(0) || BE64(height) || SHA-256(data)), computed
  // independently.
  EXPECT_EQ(ToHex(PacketCommitment(p)),
            "a355242b785da9800c404967387d4fc0e6a584d45234db21f9768c9ab96a8eef");
  EXPECT_EQ(ToHex(AckCommitment(R"({"result":"e30="})")),
            "d444b3df79ef2e9ae5c7e34807f69009c942bf0c8f5cb0c47dbe0f4aa1830c78");
  Packet q = p;
  q.timeout.height = 43;
  EXPECT_NE(PacketCommitment(p), PacketCommitment(q));
}

TEST_F(HostTest, SendValidatesAndStoresCommitment) {
  ChannelPair ch = Open();
  Timeout t = Timeout::AtHeight(b_.block.height + 10);
  EXPECT_EQ(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout{}, "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a_.host.SendPacket(a_.ctx(), kPort, ch.a, t, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  // Already passed on the counterparty (B is at height 100).
  EXPECT_EQ(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout::AtHeight(b_.block.height), "x")
                .status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a_.host.SendPacket(a_.ctx(), kPort, ChannelId("channel-9"), t, "x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*a_.host.SendPacket(a_.ctx(), kPort, ch.a, t, "one"), 1u);
  EXPECT_EQ(*a_.host.SendPacket(a_.ctx(), kPort, ch.a, t, "two"), 2u);
  std::vector<Packet> sent = *ListUnsettledPackets(a_.store);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].sequence, 2u);
  EXPECT_EQ(sent[1].destination_channel, ch.b);
  EXPECT_EQ(*GetPacketCommitment(a_.store, kPort, ch.a, 2), PacketCommitment(sent[1]));
}

TEST_F(HostTest, StateLivesInTheContextStore) {
  ChannelPair ch = Open();
  Overlay tx(&a_.store);
  Context ctx = a_.ctx().WithStore(&tx);
  EXPECT_TRUE(a_.host.SendPacket(ctx, kPort, ch.a, Timeout::AtHeight(1000), "x").ok());
  EXPECT_TRUE(GetPacketCommitment(tx, kPort, ch.a, 1)->has_value());
  tx.Discard();
  EXPECT_FALSE(GetPacketCommitment(a_.store, kPort, ch.a, 1)->has_value());
  EXPECT_EQ(*GetSeqCounter(a_.store, kNextSeqSendTable, kPort, ch.a), 1u);
}

TEST_F(HostTest, ForgedPacketsAndAcksAreRefused) {
  ChannelPair ch = Open();
  ASSERT_TRUE(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout::AtHeight(1000), "real").ok());
  Packet real = (*ListUnsettledPackets(a_.store))[0];
  // Altered data / timeout / sequence: no matching commitment on A.
  for (auto alter : std::vector<std::function<void(Packet&)>>{
           [](Packet& p) { p.data = "forged"; }, [](Packet& p) { p.timeout.height = 2000; },
           [](Packet& p) { p.sequence = 2; }}) {
    Packet forged = real;
    alter(forged);
    EXPECT_EQ(b_.host.RecvPacket(b_.ctx(), forged).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  // Wrong source for the destination channel.
  Packet wrong_src = real;
  wrong_src.source_channel = ChannelId("channel-5");
  EXPECT_EQ(b_.host.RecvPacket(b_.ctx(), wrong_src).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(app_b_.received.empty());
  // An ack nobody wrote.
  EXPECT_EQ(a_.host.AcknowledgePacket(a_.ctx(), real, "ack:real").status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(b_.host.RecvPacket(b_.ctx(), real).ok());
  // A different ack than the one B committed to.
  EXPECT_EQ(a_.host.AcknowledgePacket(a_.ctx(), real, "ack:other").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The right ack for an altered packet.
  Packet altered = real;
  altered.data = "forged";
  EXPECT_EQ(a_.host.AcknowledgePacket(a_.ctx(), altered, "ack:real").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*a_.host.AcknowledgePacket(a_.ctx(), real, "ack:real"), Outcome::kApplied);
  EXPECT_EQ(app_a_.acks.size(), 1u);
}

TEST_F(HostTest, ErrorAckDiscardsAppWritesButCountsAsReceived) {
  ChannelPair ch = Open();
  ASSERT_TRUE(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout::AtHeight(1000), "fail-me").ok());
  Packet p = (*ListUnsettledPackets(a_.store))[0];
  absl::StatusOr<RecvResult> r = b_.host.RecvPacket(b_.ctx(), p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, Outcome::kApplied);
  EXPECT_EQ(r->app_status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r->ack, R"({"error":"ABCI code: 3: error handling packet: see events for details"})");
  EXPECT_EQ(app_b_.received, std::vector<std::string>{"fail-me"});
  EXPECT_FALSE(StoreHas(b_.store, "app/recv/fail-me"));  // callback overlay discarded
  EXPECT_TRUE(*HasReceipt(b_.store, kPort, ch.b, 1));
  EXPECT_EQ(**GetAcknowledgement(b_.store, kPort, ch.b, 1), r->ack);
  EXPECT_EQ(*a_.host.AcknowledgePacket(a_.ctx(), p, r->ack), Outcome::kApplied);
  EXPECT_EQ(app_a_.acks[0].second, r->ack);
}

TEST_F(HostTest, SuccessKeepsAppWrites) {
  ChannelPair ch = Open();
  ASSERT_TRUE(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout::AtHeight(1000), "ok").ok());
  Packet p = (*ListUnsettledPackets(a_.store))[0];
  EXPECT_EQ(b_.host.RecvPacket(b_.ctx(), p)->ack, "ack:ok");
  EXPECT_TRUE(StoreHas(b_.store, "app/recv/ok"));
}

TEST_F(HostTest, InternalFailureWritesNothing) {
  ChannelPair ch = Open();
  ASSERT_TRUE(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout::AtHeight(1000), "internal").ok());
  Packet p = (*ListUnsettledPackets(a_.store))[0];
  EXPECT_EQ(b_.host.RecvPacket(b_.ctx(), p).status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(*HasReceipt(b_.store, kPort, ch.b, 1));
  EXPECT_FALSE(GetAcknowledgement(b_.store, kPort, ch.b, 1)->has_value());
}

TEST_F(HostTest, EmptyAckBecomesAnErrorAck) {
  ChannelPair ch = Open();
  ASSERT_TRUE(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout::AtHeight(1000), "async").ok());
  Packet p = (*ListUnsettledPackets(a_.store))[0];
  absl::StatusOr<RecvResult> r = b_.host.RecvPacket(b_.ctx(), p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->app_status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(r->ack, R"({"error":"ABCI code: 12: error handling packet: see events for details"})");
  EXPECT_FALSE(StoreHas(b_.store, "app/recv/async"));
}

TEST_F(HostTest, AckCallbackFailureLeavesPacketUnacknowledged) {
  ChannelPair ch = Open();
  ASSERT_TRUE(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout::AtHeight(1000), "x").ok());
  Packet p = (*ListUnsettledPackets(a_.store))[0];
  std::string ack = b_.host.RecvPacket(b_.ctx(), p)->ack;
  app_a_.fail_ack = true;
  EXPECT_EQ(a_.host.AcknowledgePacket(a_.ctx(), p, ack).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(GetPacketCommitment(a_.store, kPort, ch.a, 1)->has_value());
  EXPECT_FALSE(StoreHas(a_.store, "app/acked/x"));
  app_a_.fail_ack = false;  // retried later, it settles once
  EXPECT_EQ(*a_.host.AcknowledgePacket(a_.ctx(), p, ack), Outcome::kApplied);
  EXPECT_EQ(*a_.host.AcknowledgePacket(a_.ctx(), p, ack), Outcome::kNoop);
  EXPECT_EQ(app_a_.acks.size(), 1u);
}

TEST_F(HostTest, ReentrantTimeoutIsANoop) {
  ChannelPair ch = Open();
  ASSERT_TRUE(a_.host.SendPacket(a_.ctx(), kPort, ch.a, Timeout::AtHeight(105), "x").ok());
  Packet p = (*ListUnsettledPackets(a_.store))[0];
  b_.Advance(5, 5);
  std::vector<Outcome> inner;
  app_a_.on_timeout_hook = [&](const Context& ctx, const Packet& pk) -> absl::Status {
    absl::StatusOr<Outcome> o = a_.host.TimeoutPacket(ctx, pk);  // ASA-2024-007 pattern
    if (!o.ok()) return o.status();
    inner.push_back(*o);
    return absl::OkStatus();
  };
  EXPECT_EQ(*a_.host.TimeoutPacket(a_.ctx(), p), Outcome::kApplied);
  EXPECT_EQ(inner, std::vector<Outcome>{Outcome::kNoop});
  EXPECT_EQ(app_a_.timeouts, std::vector<uint64_t>{1});
}

}  // namespace
}  // namespace mesh::ibc
