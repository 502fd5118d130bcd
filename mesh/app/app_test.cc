// Tests of the mesh IBC application on two bare in-memory chains joined by
// the in-process relayer (no node): handshake and version rules, the packet
// round trip, error acks, timeouts and the consumer's resend.
#include <cctype>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/status.h"
#include "gtest/gtest.h"
#include "ibc/relayer.h"
#include "ibc/state.h"
#include "mesh/app/consumer_app.h"
#include "mesh/app/provider_app.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/packets/packets.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/vault.h"
#include "mesh/provider/slash_guard.h"
#include "mesh/provider/tables.h"
#include "core/codec.h"
#include "core/test_mutator.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::app {
namespace {

using consumer::Consumer;
using consumer::ProviderId;
using provider::ConsumerId;
using provider::ExternalStaking;
using provider::Vault;

template <typename T>
T Must(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}
void Must(const absl::Status& s) { MESH_CHECK_OK(s); }
Dec D(const char* s) { return Must(Dec::Parse(s)); }

constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
const AccountAddress kGov{"gov"};
const AccountAddress kOracle{"oracle"};
const Denom kOsmo{"uosmo"};
const Denom kJuno{"ujuno"};
const ValidatorAddress kVal1{"junovaloper1aaa"};
const ValidatorAddress kVal2{"junovaloper1bbb"};
// Bech32-valid (the app validates addresses it passes on).
const AccountAddress kUser{Must(Bech32Encode("osmo", std::string(20, '\x01')))};

struct Bare {
  explicit Bare(std::string id) {
    block.chain_id = std::move(id);
    block.height = 1;
    block.time_ns = kT0;
  }
  Context ctx() { return Context(&store, &block); }
  ibc::Endpoint endpoint() { return ibc::Endpoint{&host, [this] { return ctx(); }}; }
  void Advance(uint64_t seconds) {
    block.height += 1;
    block.time_ns += seconds * kNanosPerSecond;
  }
  MemStore store;
  BlockInfo block;
  ibc::Host host;
};

class AppTest : public ::testing::Test {
 protected:
  AppTest() : provider_app_(&osmo_.host), consumer_app_(&juno_.host) {
    Must(osmo_.host.BindPort(provider_app_.port(), &provider_app_));
    Must(juno_.host.BindPort(consumer_app_.port(), &consumer_app_));
    relayer_ = std::make_unique<ibc::Relayer>(osmo_.endpoint(), juno_.endpoint());
    SetUpProvider();
    SetUpConsumer();
  }

  void SetUpProvider() {
    Context ctx = osmo_.ctx();
    Must(Vault::Init(ctx, kOsmo, std::nullopt));
    provider::ExternalConfig cfg{kOsmo, kJuno, 1000, D("0.1"), D("0.01"), false};
    Must(ExternalStaking::Init(ctx, juno_id_, cfg));
    Must(ProviderApp::AuthorizeConsumer(
        ctx, juno_id_, RemoteContact{relayer_->connection(ibc::Side::kA), PortId(kConsumerPort)}));
    Must(staking::Bank::Mint(ctx, kUser, kOsmo, Amount(10000)));
    Must(Vault::Bond(ctx, kUser, Amount(5000)));
  }

  void SetUpConsumer() {
    Context ctx = juno_.ctx();
    staking::Params sp;
    sp.bond_denom = kJuno;
    sp.power_reduction = 1;
    Must(staking::Staking::InitGenesis(ctx, sp));
    for (const auto& v : {kVal1, kVal2}) {
      AccountAddress op("op/" + v.value());
      Must(staking::Bank::Mint(ctx, op, kJuno, Amount(1000)));
      Must(staking::Staking::CreateValidator(ctx, v, op, Amount(1000), Dec::Zero()));
    }
    Must(staking::Staking::EndBlock(ctx).status());
    consumer::ModuleParams mp;
    mp.authority = kGov;
    mp.epoch_length = 10;
    Must(Consumer::InitGenesis(ctx, mp));
    Must(Consumer::RegisterProvider(ctx, kGov, osmo_id_,
                                    consumer::ProviderSetup{kOsmo, D("0.4"), kOracle, 600000, 50}));
    Must(consumer::PriceFeed::SetPrice(ctx, kOracle, osmo_id_, D("0.5")));
    Must(Consumer::SetMaxCap(ctx, kGov, osmo_id_, Amount(1000000)));
    Must(ConsumerApp::RegisterProviderConnection(ctx, osmo_id_,
                                                 relayer_->connection(ibc::Side::kB)));
    // Consumes the genesis bonding events (no channel yet: nothing queued).
    Must(Consumer::EndBlock(ctx).status());
  }

  absl::StatusOr<ibc::ChannelPair> Open(std::string_view version = "") {
    return relayer_->OpenChannel(ibc::Side::kB, consumer_app_.port(), provider_app_.port(),
                                 ibc::Order::kUnordered, version);
  }

  // Opens the channel and delivers the initial valset update.
  void Connect() {
    channels_ = Must(Open());
    Must(Consumer::EndBlock(juno_.ctx()).status());
    Must(consumer_app_.EndBlock(juno_.ctx()));
    ibc::RelayStats s = Must(relayer_->RelayAll());
    ASSERT_EQ(s.received, 1);
    ASSERT_EQ(s.acknowledged, 1);
  }

  std::vector<ibc::InFlight> Pending() { return Must(relayer_->PendingPackets()); }

  Bare osmo_{"osmo"};
  Bare juno_{"juno"};
  ConsumerId juno_id_{"juno"};
  ProviderId osmo_id_{"osmo"};
  ProviderApp provider_app_;
  ConsumerApp consumer_app_;
  std::unique_ptr<ibc::Relayer> relayer_;
  ibc::ChannelPair channels_;
};

TEST_F(AppTest, HandshakeNegotiatesReferenceVersionAndMapsChannels) {
  ibc::ChannelPair ch = Must(Open());
  auto end = Must(ibc::GetChannel(osmo_.store, provider_app_.port(), ch.a));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->version, R"({"protocol":"mesh-security","version":"0.11.0"})");
  EXPECT_EQ(Must(ProviderApp::ChannelOf(osmo_.ctx(), juno_id_)), ch.a);
  EXPECT_EQ(Must(ProviderApp::ConsumerOf(osmo_.ctx(), ch.a)), juno_id_);
  EXPECT_EQ(Must(ConsumerApp::ChannelOf(juno_.ctx(), osmo_id_)), ch.b);
  EXPECT_EQ(Must(ConsumerApp::ProviderOf(juno_.ctx(), ch.b)), osmo_id_);
}

TEST_F(AppTest, HigherSameMajorProposalIsAnsweredWithSupported) {
  ibc::ChannelPair ch = Must(Open(R"({"protocol":"mesh-security","version":"0.12.0"})"));
  auto end = Must(ibc::GetChannel(juno_.store, consumer_app_.port(), ch.b));
  EXPECT_EQ(end->version, R"({"protocol":"mesh-security","version":"0.11.0"})");
}

TEST_F(AppTest, HandshakeRejectsBadVersionsOrderAndSecondChannel) {
  EXPECT_FALSE(Open(R"({"protocol":"mesh-security","version":"1.0.0"})").ok());
  EXPECT_FALSE(Open(R"({"protocol":"mesh-security","version":"0.10.0"})").ok());
  EXPECT_FALSE(Open(R"({"protocol":"other","version":"0.11.0"})").ok());
  EXPECT_FALSE(relayer_
                   ->OpenChannel(ibc::Side::kB, consumer_app_.port(), provider_app_.port(),
                                 ibc::Order::kOrdered, "")
                   .ok());
  ASSERT_TRUE(Open().ok());
  absl::StatusOr<ibc::ChannelPair> again = Open();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), kErrChannelAlreadyOpen);
}

TEST_F(AppTest, ProviderNeverInitiates) {
  absl::StatusOr<ibc::ChannelPair> r = relayer_->OpenChannel(
      ibc::Side::kA, provider_app_.port(), consumer_app_.port(), ibc::Order::kUnordered, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), kErrOpenInitDisallowed);
}

TEST_F(AppTest, ProviderRefusesUnauthorizedPort) {
  Bare evil("evil");
  ConsumerApp evil_app(&evil.host, PortId("evil-port"));
  Must(evil.host.BindPort(evil_app.port(), &evil_app));
  ibc::Relayer r(osmo_.endpoint(), evil.endpoint());
  Must(ConsumerApp::RegisterProviderConnection(evil.ctx(), osmo_id_, r.connection(ibc::Side::kB)));
  absl::StatusOr<ibc::ChannelPair> ch = r.OpenChannel(ibc::Side::kB, evil_app.port(),
                                                      provider_app_.port(),
                                                      ibc::Order::kUnordered, "");
  ASSERT_FALSE(ch.ok());
  EXPECT_EQ(ch.status().message(), kErrUnauthorized);
}

TEST_F(AppTest, InitialValsetActivatesValidatorsOnProvider) {
  Connect();
  // The provider accepts a stake only on an active remote validator.
  EXPECT_TRUE(Vault::StakeRemote(osmo_.ctx(), kUser, juno_id_, Amount(100), kVal1).ok());
  EXPECT_FALSE(
      Vault::StakeRemote(osmo_.ctx(), kUser, juno_id_, Amount(100), ValidatorAddress("nope")).ok());
}

TEST_F(AppTest, StakeAckCommitsOnBothSides) {
  Connect();
  Must(Vault::StakeRemote(osmo_.ctx(), kUser, juno_id_, Amount(100), kVal1));
  Must(provider_app_.EndBlock(osmo_.ctx()));
  std::vector<ibc::InFlight> p = Pending();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].packet.data,
            std::string(R"({"stake":{"delegator":")") + kUser.value() +
                R"(","validator":"junovaloper1aaa","stake":{"denom":"uosmo","amount":"100"},"tx_id":1}})");
  EXPECT_EQ(p[0].packet.timeout.timestamp_ns, kT0 + 600 * kNanosPerSecond);
  EXPECT_EQ(Must(ExternalStaking::GetStake(osmo_.ctx(), juno_id_, kUser, kVal1)).stake.high(),
            Amount(100));
  EXPECT_EQ(Must(ExternalStaking::GetStake(osmo_.ctx(), juno_id_, kUser, kVal1)).stake.low(),
            Amount(0));
  ibc::RecvResult r = Must(relayer_->RelayPacket(p[0]));
  // The success ack carries the consumer's receipt height (C-28).
  EXPECT_EQ(r.ack, packets::Ack::Success(packets::EncodeReceiptAck(
                                             packets::ReceiptAck{juno_.ctx().height(), Amount()}))
                       .Encode());
  // 100 uosmo at price 0.5, discount 0.4 -> floor(floor(100 * 0.5) * 0.6) = 30.
  EXPECT_EQ(Must(consumer::VirtualStaking::BondRequest(juno_.ctx(), osmo_id_, kVal1)),
            Amount(30));
  Must(relayer_->RelayAck(p[0]));
  EXPECT_EQ(Must(ExternalStaking::GetStake(osmo_.ctx(), juno_id_, kUser, kVal1)).stake.low(),
            Amount(100));
  EXPECT_TRUE(Must(Vault::AllPendingTxsDesc(osmo_.ctx())).empty());
}

TEST_F(AppTest, FailedReceiveWritesErrorAckAndProviderRollsBack) {
  Connect();
  // A stale price makes the consumer refuse the stake.
  osmo_.Advance(700000);
  juno_.Advance(700000);
  Must(Vault::StakeRemote(osmo_.ctx(), kUser, juno_id_, Amount(100), kVal1));
  Must(provider_app_.EndBlock(osmo_.ctx()));
  std::vector<ibc::InFlight> p = Pending();
  ASSERT_EQ(p.size(), 1u);
  ibc::RecvResult r = Must(relayer_->RelayPacket(p[0]));
  EXPECT_FALSE(r.app_status.ok());
  EXPECT_EQ(Must(packets::Ack::Decode(r.ack)).ok(), false);
  EXPECT_EQ(Must(consumer::VirtualStaking::BondRequest(juno_.ctx(), osmo_id_, kVal1)), Amount(0));
  Must(relayer_->RelayAck(p[0]));
  EXPECT_EQ(Must(ExternalStaking::GetStake(osmo_.ctx(), juno_id_, kUser, kVal1)).stake.high(),
            Amount(0));
  EXPECT_EQ(Must(Vault::Account(osmo_.ctx(), kUser)).max_lien.high(), Amount(0));
}

TEST_F(AppTest, ProviderTimeoutRollsBack) {
  Connect();
  Must(Vault::StakeRemote(osmo_.ctx(), kUser, juno_id_, Amount(100), kVal1));
  Must(provider_app_.EndBlock(osmo_.ctx()));
  std::vector<ibc::InFlight> p = Pending();
  ASSERT_EQ(p.size(), 1u);
  juno_.Advance(600);
  EXPECT_EQ(Must(relayer_->TimeOut(p[0])), ibc::Outcome::kApplied);
  EXPECT_EQ(Must(ExternalStaking::GetStake(osmo_.ctx(), juno_id_, kUser, kVal1)).stake.high(),
            Amount(0));
  EXPECT_TRUE(Must(Vault::AllPendingTxsDesc(osmo_.ctx())).empty());
  // A second timeout of the same packet is a no-op for the host.
  absl::StatusOr<ibc::Outcome> again = relayer_->TimeOut(p[0]);
  EXPECT_TRUE(!again.ok() || *again == ibc::Outcome::kNoop);
}

TEST_F(AppTest, ConsumerResendsTimedOutPacketWithSameBytesAnd24hTimeout) {
  channels_ = Must(Open());
  Must(Consumer::EndBlock(juno_.ctx()).status());
  Must(consumer_app_.EndBlock(juno_.ctx()));
  std::vector<ibc::InFlight> p = Pending();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].packet.timeout.timestamp_ns, kT0 + 86400 * kNanosPerSecond);
  osmo_.Advance(86400);
  juno_.Advance(86400);
  Must(relayer_->TimeOut(p[0]));
  std::vector<ibc::InFlight> again = Pending();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].packet.data, p[0].packet.data);
  EXPECT_EQ(again[0].packet.sequence, p[0].packet.sequence + 1);
  EXPECT_EQ(again[0].packet.timeout.timestamp_ns, kT0 + 2 * 86400 * kNanosPerSecond);
}

TEST_F(AppTest, ConsumerTimeoutAfterCloseIsDropped) {
  Connect();
  Must(juno_.host.SendPacket(
      juno_.ctx(), consumer_app_.port(), channels_.b,
      ibc::Timeout::AtTimeNs(kT0 + 3600 * kNanosPerSecond),
      R"({"valset_update":{"height":1,"time":1,"additions":[],"removals":[],"updated":[],)"
      R"("jailed":[],"unjailed":[],"tombstoned":[],"slashed":[]}})"));
  Must(relayer_->CloseChannel(ibc::Side::kA, provider_app_.port(), channels_.a));
  std::vector<ibc::InFlight> p = Pending();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(Must(relayer_->TimeOut(p[0])), ibc::Outcome::kApplied);
  EXPECT_TRUE(Pending().empty());  // not resent on a closed channel
}

TEST_F(AppTest, ProviderRefusesCloseFromCounterparty) {
  Connect();
  absl::Status s = relayer_->CloseChannel(ibc::Side::kB, consumer_app_.port(), channels_.b);
  // The consumer's CloseInit succeeds; the provider's CloseConfirm is refused.
  EXPECT_EQ(s.message(), kErrCloseConfirmDisallowed);
}

TEST_F(AppTest, MalformedPacketGetsErrorAck) {
  Connect();
  // A raw packet the provider app never produced: bytes the consumer rejects.
  ibc::Packet raw;
  uint64_t seq = Must(osmo_.host.SendPacket(osmo_.ctx(), provider_app_.port(), channels_.a,
                                            ibc::Timeout::AtTimeNs(kT0 + kNanosPerSecond * 60),
                                            R"({"stake":{"unknown":1}})"));
  std::vector<ibc::InFlight> p = Pending();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].packet.sequence, seq);
  ibc::RecvResult r = Must(relayer_->RelayPacket(p[0]));
  EXPECT_FALSE(Must(packets::Ack::Decode(r.ack)).ok());
}

// Sends raw bytes from `from`'s app port and delivers them; returns the
// receive result (the app's error is in app_status).
class HostileAppTest : public AppTest {
 protected:
  ibc::RecvResult FromConsumer(const std::string& data) {
    Must(juno_.host.SendPacket(juno_.ctx(), consumer_app_.port(), channels_.b,
                               ibc::Timeout::AtTimeNs(kT0 + 3600 * kNanosPerSecond), data));
    return DeliverLast();
  }
  ibc::RecvResult FromProvider(const std::string& data) {
    Must(osmo_.host.SendPacket(osmo_.ctx(), provider_app_.port(), channels_.a,
                               ibc::Timeout::AtTimeNs(kT0 + 600 * kNanosPerSecond), data));
    return DeliverLast();
  }
  ibc::RecvResult DeliverLast() {
    std::vector<ibc::InFlight> p = Pending();
    EXPECT_FALSE(p.empty());
    return Must(relayer_->RelayPacket(p.back()));
  }
  static std::string Valset(const std::string& height, const std::string& time,
                            const std::string& slashed = "") {
    return R"({"valset_update":{"height":)" + height + R"(,"time":)" + time +
           R"(,"additions":[],"removals":[],"updated":[],"jailed":[],"unjailed":[],)"
           R"("tombstoned":[],"slashed":[)" + slashed + "]}}";
  }
  static std::string Slash(const std::string& v, const std::string& height,
                           const std::string& time, const std::string& amount,
                           const std::string& ratio) {
    return R"({"address":")" + v + R"(","infraction_height":)" + height +
           R"(,"infraction_time":)" + time + R"(,"power":1,"slash_amount":{"denom":"uosmo",)"
           R"("amount":")" + amount + R"("},"slash_ratio":")" + ratio + R"("})";
  }
};

// Heights and times beyond int64 are refused with an error ack, not wrapped.
TEST_F(HostileAppTest, ValsetHeightsAndTimesBeyondInt64AreRefused) {
  Connect();
  for (const char* bad : {"9223372036854775808", "18446744073709551615"}) {
    ibc::RecvResult r = FromConsumer(Valset(bad, "1"));
    EXPECT_FALSE(Must(packets::Ack::Decode(r.ack)).ok());
    EXPECT_EQ(r.app_status.message(),
              std::string("valset_update height ") + bad + " exceeds the signed 64-bit range");
    r = FromConsumer(Valset("5", bad));
    EXPECT_NE(r.app_status.message().find("valset_update time"), std::string::npos);
    r = FromConsumer(Valset("5", "5", Slash(kVal1.value(), bad, "1", "1", "0.01")));
    EXPECT_NE(r.app_status.message().find("infraction_height"), std::string::npos);
    r = FromConsumer(Valset("5", "5", Slash(kVal1.value(), "1", bad, "1", "0.01")));
    EXPECT_NE(r.app_status.message().find("infraction_time"), std::string::npos);
  }
  // 2^63 - 1 fits.
  ibc::RecvResult ok = FromConsumer(Valset("9223372036854775807", "9223372036854775807"));
  EXPECT_TRUE(ok.app_status.ok()) << ok.app_status;
}

// A slash of a validator the provider never heard of: error ack, and no
// deferred slash is left behind (P-30).
TEST_F(HostileAppTest, SlashOfAnUnknownValidatorIsRefused) {
  Connect();
  ibc::RecvResult r = FromConsumer(Valset("5", "5", Slash("junovaloper1ghost", "4", "4", "1", "0.01")));
  EXPECT_FALSE(Must(packets::Ack::Decode(r.ack)).ok());
  EXPECT_EQ(r.app_status.message(),
            std::string(provider::kErrSlashUnknownValidator) + "junovaloper1ghost");
  const std::string deferred =
      provider::tables::Prefix(provider::tables::kExtDeferredSlashes, juno_id_.value());
  EXPECT_FALSE(osmo_.ctx().store().ScanPrefix(deferred)->Valid());
}

// A 100 % amount under a 10 % ratio cuts 10 %, never the whole stake.
TEST_F(HostileAppTest, FullAmountUnderATenPercentRatioIsClipped) {
  Connect();
  Must(Vault::StakeRemote(osmo_.ctx(), kUser, juno_id_, Amount(1000), kVal1));
  Must(provider_app_.EndBlock(osmo_.ctx()));
  Must(relayer_->RelayAll());
  ASSERT_EQ(Must(ExternalStaking::GetStake(osmo_.ctx(), juno_id_, kUser, kVal1)).stake.low(),
            Amount(1000));
  // Downtime bound 1 %: a 10 % ratio without a tombstone is refused.
  ibc::RecvResult r = FromConsumer(Valset("5", "5", Slash(kVal1.value(), "4", "4", "1000", "0.1")));
  EXPECT_EQ(r.app_status.message(), "slash ratio 0.1 exceeds the configured downtime fraction 0.01");
  EXPECT_EQ(Must(ExternalStaking::GetStake(osmo_.ctx(), juno_id_, kUser, kVal1)).stake.low(),
            Amount(1000));
  // With the tombstone (double-sign bound 10 %): 1000 reported, 100 taken.
  std::string dsign = Valset("5", "5", Slash(kVal1.value(), "4", "4", "1000", "0.1"));
  dsign.replace(dsign.find(R"("tombstoned":[])"), 15,
                std::string(R"("tombstoned":[")") + kVal1.value() + R"("])");
  r = FromConsumer(dsign);
  EXPECT_TRUE(r.app_status.ok()) << r.app_status;
  EXPECT_EQ(Must(ExternalStaking::GetStake(osmo_.ctx(), juno_id_, kUser, kVal1)).stake.low(),
            Amount(900));
}

// A stake naming an empty or non-bech32 delegator: error ack, nothing staked.
TEST_F(HostileAppTest, StakeWithAnInvalidDelegatorIsRefused) {
  Connect();
  for (const char* who : {"", "not-an-address"}) {
    ibc::RecvResult r = FromProvider(std::string(R"({"stake":{"delegator":")") + who +
                                     R"(","validator":"junovaloper1aaa","stake":{"denom":"uosmo",)"
                                     R"("amount":"100"},"tx_id":77}})");
    EXPECT_FALSE(Must(packets::Ack::Decode(r.ack)).ok());
    EXPECT_EQ(r.app_status.code(), absl::StatusCode::kInvalidArgument) << who;
  }
  EXPECT_EQ(Must(consumer::VirtualStaking::BondRequest(juno_.ctx(), osmo_id_, kVal1)), Amount(0));
}

// Unstakes above what is held and impossible burns: error acks (C-25, C-27).
TEST_F(HostileAppTest, UnstakeAboveHeldAndEmptyBurnAreRefused) {
  Connect();
  ibc::RecvResult r = FromProvider(std::string(R"({"unstake":{"delegator":")") + kUser.value() +
                                   R"(","validator":"junovaloper1aaa","unstake":{"denom":"uosmo",)"
                                   R"("amount":"1"},"tx_id":9223372036854775809}})");
  EXPECT_EQ(r.app_status.code(), absl::StatusCode::kFailedPrecondition);
  r = FromProvider(R"({"burn":{"validators":[],"burn":{"denom":"uosmo","amount":"5"}}})");
  EXPECT_EQ(r.app_status.message(), "burn names no validator");
  r = FromProvider(R"({"burn":{"validators":["junovaloper1zzz"],"burn":{"denom":"uosmo","amount":"5"}}})");
  EXPECT_EQ(r.app_status.code(), absl::StatusCode::kNotFound);
}

// MESH_PACKET_FUZZ_ITERATIONS sets how many packets each way (default 1500;
// long runs under ASan take more), MESH_PACKET_FUZZ_SEED another sequence
// (core/test_mutator.h). Mutations of valid packets: half of them keep the JSON readable (a
// string's text or a number replaced), so that the fields' rules are
// reached; the rest edit bytes and put JSON tokens in.
class PacketMutator {
 public:
  explicit PacketMutator(uint64_t seed) : m_(seed) {}
  size_t Below(size_t n) { return m_.Below(n); }
  std::string Mutate(std::string s) {
    static const char* const kStrings[] = {
        "", "0", "-1", "1", "0.5", "0.1", "1.0", "0.000000000000000001", "1.0000000000000000001",
        "1e3", "18446744073709551616", "340282366920938463463374607431768211455",
        "340282366920938463463374607431768211456", "uosmo", "ujuno", "junovaloper1aaa",
        "junovaloper1bbb", "junovaloper1zzz", "osmo1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du",
        "juno1qgpqyqszqgpqyqszqgpqyqszqgpqyqszhfdlmw", "TODO", "\\u0000", "a\\b", "\\ud800"};
    const bool readable = m_.Below(2) == 0;
    for (size_t n = 1 + m_.Below(3); n > 0; --n) {
      if (!readable) {
        m_.Edit(s, testing_internal::kJsonTokens);
        continue;
      }
      std::vector<std::pair<size_t, size_t>> strings;  // [open quote, close quote]
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '"') continue;
        size_t j = i + 1;
        while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
        if (j >= s.size()) break;
        strings.emplace_back(i, j);
        i = j;
      }
      if (!strings.empty() && m_.Below(2) == 0) {  // a string's text replaced
        const auto [open, close] = strings[m_.Below(strings.size())];
        s.replace(open + 1, close - open - 1, kStrings[m_.Below(std::size(kStrings))]);
      } else {
        m_.ReplaceNumber(s);
      }
    }
    return s;
  }

 private:
  testing_internal::Mutator m_;
};

int PacketFuzzIterations() {
  const char* v = std::getenv("MESH_PACKET_FUZZ_ITERATIONS");
  return v == nullptr ? 1500 : std::atoi(v);
}
uint64_t PacketFuzzSeed() {
  const char* v = std::getenv("MESH_PACKET_FUZZ_SEED");
  return v == nullptr ? 0x6d657368 : std::strtoull(v, nullptr, 10);
}

class PacketFuzzTest : public HostileAppTest {
 protected:
  // Sends `data` from `from`'s app port and delivers it through the hosts
  // (commitment, proof, receipt): whatever the bytes, the receiver writes an
  // ack that decodes, an error ack exactly when the app refused, and the
  // provider's vault keeps its invariants.
  void Deliver(ibc::Side from, const std::string& data) {
    Bare& src = from == ibc::Side::kA ? osmo_ : juno_;
    const PortId& port = from == ibc::Side::kA ? provider_app_.port() : consumer_app_.port();
    const ChannelId& ch = from == ibc::Side::kA ? channels_.a : channels_.b;
    ibc::Packet p;
    ++delivered_;
    absl::StatusOr<uint64_t> seq = src.host.SendPacket(
        src.ctx(), port, ch, ibc::Timeout::AtTimeNs(kT0 + 864000 * kNanosPerSecond), data);
    if (data.empty()) {  // the only bytes a host refuses to send
      EXPECT_FALSE(seq.ok());
      return;
    }
    ASSERT_TRUE(seq.ok()) << seq.status();
    p.sequence = *seq;
    p.source_port = port;
    p.source_channel = ch;
    p.destination_port = from == ibc::Side::kA ? consumer_app_.port() : provider_app_.port();
    p.destination_channel = from == ibc::Side::kA ? channels_.b : channels_.a;
    p.data = data;
    p.timeout = ibc::Timeout::AtTimeNs(kT0 + 864000 * kNanosPerSecond);
    absl::StatusOr<ibc::RecvResult> r = relayer_->RelayPacket(ibc::InFlight{from, p});
    ASSERT_TRUE(r.ok()) << r.status() << " for " << data;
    ASSERT_EQ(r->outcome, ibc::Outcome::kApplied) << data;
    absl::StatusOr<packets::Ack> ack = packets::Ack::Decode(r->ack);
    ASSERT_TRUE(ack.ok()) << ack.status() << " for " << data;
    EXPECT_EQ(ack->ok(), r->app_status.ok()) << r->app_status << " for " << data;
    if (!ack->ok()) {
      EXPECT_FALSE(ack->error().empty()) << data;
    }
    absl::Status inv = Vault::CheckInvariants(osmo_.ctx());
    ASSERT_TRUE(inv.ok()) << inv << " after " << data;
    if (r->app_status.ok()) ++accepted_;
  }
  int delivered_ = 0;
  int accepted_ = 0;
};

TEST_F(PacketFuzzTest, MutatedPacketsGetAnAckAndKeepTheInvariants) {
  Connect();
  Must(Vault::StakeRemote(osmo_.ctx(), kUser, juno_id_, Amount(1000), kVal1));
  Must(provider_app_.EndBlock(osmo_.ctx()));
  Must(relayer_->RelayAll());
  const std::string recipient = Must(Bech32Encode("juno", std::string(20, '\x02')));
  using packets::Coin;
  const std::vector<std::string> to_consumer = {
      packets::EncodeProviderPacket(packets::StakePacket{kUser, kVal1, Coin{kOsmo, Amount(100)}, 77}),
      packets::EncodeProviderPacket(
          packets::UnstakePacket{kUser, kVal1, Coin{kOsmo, Amount(10)}, 9223372036854775809ULL}),
      packets::EncodeProviderPacket(packets::BurnPacket{{kVal1, kVal2}, Coin{kOsmo, Amount(5)}}),
      packets::EncodeProviderPacket(packets::TransferRewardsPacket{
          Coin{kJuno, Amount(3)}, AccountAddress(recipient), 9223372036854775810ULL})};
  packets::ValsetUpdatePacket vu;
  vu.height = 5;
  vu.time = 5;
  vu.additions = {packets::AddValidator{kVal2, "TODO"}};
  vu.updated = {packets::AddValidator{kVal1, "TODO"}};
  vu.jailed = {kVal2};
  vu.unjailed = {kVal2};
  vu.slashed = {packets::ValidatorSlashInfo{kVal1, 4, 4, 1, Coin{kOsmo, Amount(10)}, "0.01"}};
  packets::ValsetUpdatePacket tomb = vu;
  tomb.tombstoned = {kVal1};
  tomb.slashed[0].slash_ratio = "0.1";
  const std::vector<std::string> to_provider = {
      packets::EncodeConsumerPacket(vu), packets::EncodeConsumerPacket(tomb),
      packets::EncodeConsumerPacket(packets::InternalUnstakePacket{
          kUser, kVal1, Coin{kJuno, Amount(4)}, Coin{kOsmo, Amount(8)}}),
      packets::EncodeConsumerPacket(packets::DistributePacket{kVal1, Coin{kJuno, Amount(7)}}),
      packets::EncodeConsumerPacket(packets::DistributeBatchPacket{
          {packets::RewardInfo{kVal1, Amount(6)}, packets::RewardInfo{kVal2, Amount(2)}}, kJuno})};
  PacketMutator mutate(PacketFuzzSeed());
  const int n = PacketFuzzIterations();
  for (int i = 0; i < n && !HasFatalFailure(); ++i) {
    Deliver(ibc::Side::kA, mutate.Mutate(to_consumer[mutate.Below(to_consumer.size())]));
    Deliver(ibc::Side::kB, mutate.Mutate(to_provider[mutate.Below(to_provider.size())]));
  }
  // The seeds themselves are accepted or refused by rule, never by chance:
  // the mutations were not all rejected as unreadable.
  EXPECT_EQ(delivered_, 2 * n);
  EXPECT_GT(accepted_, 0);
}

TEST(AppWireTest, OutboundPacketRoundTrip) {
  provider::OutboundPacket burn{provider::OutboundPacket::Kind::kBurn, 0, AccountAddress(),
                                {kVal1, kVal2}, Amount(500), kOsmo, "", 0};
  EXPECT_EQ(packets::EncodeProviderPacket(ProviderApp::ToWire(burn)),
            R"({"burn":{"validators":["junovaloper1aaa","junovaloper1bbb"],)"
            R"("burn":{"denom":"uosmo","amount":"500"}}})");
  provider::OutboundPacket back = ProviderApp::FromWire(ProviderApp::ToWire(burn));
  EXPECT_EQ(back.validators, burn.validators);
  EXPECT_EQ(back.amount, burn.amount);
  provider::OutboundPacket tr{provider::OutboundPacket::Kind::kTransferRewards,
                              9223372036854775810ULL, AccountAddress(), {}, Amount(1234), kJuno,
                              "juno1recipient0addr", 0};
  EXPECT_EQ(packets::EncodeProviderPacket(ProviderApp::ToWire(tr)),
            R"({"transfer_rewards":{"rewards":{"denom":"ujuno","amount":"1234"},)"
            R"("recipient":"juno1recipient0addr","tx_id":9223372036854775810}})");
}

TEST(AppWireTest, ConsumerPacketsMatchReferenceExamples) {
  consumer::InternalUnstakePacket iu{AccountAddress("osmo1qqxyz0user"),
                                     ValidatorAddress("junovaloper1abcdef"),
                                     consumer::Coin{kJuno, Amount(300)},
                                     consumer::Coin{kOsmo, Amount(999)}};
  EXPECT_EQ(packets::EncodeConsumerPacket(ConsumerApp::ToWire(iu)),
            R"({"internal_unstake":{"delegator":"osmo1qqxyz0user","validator":"junovaloper1abcdef",)"
            R"("normalize_amount":{"denom":"ujuno","amount":"300"},)"
            R"("inverted_amount":{"denom":"uosmo","amount":"999"}}})");
  consumer::ValsetUpdatePacket vu;
  vu.height = 20000;
  vu.time_s = 1700000000;
  vu.removals = {ValidatorAddress("junovaloper1abcdef")};
  vu.jailed = {ValidatorAddress("junovaloper1abcdef")};
  vu.slashed = {consumer::SlashInfoPacket{ValidatorAddress("junovaloper1abcdef"), 19990,
                                          1699999940, 100, consumer::Coin{kOsmo, Amount(16)},
                                          "0.1"}};
  const std::string expected =
      R"({"valset_update":{"height":20000,"time":1700000000,"additions":[],)"
      R"("removals":["junovaloper1abcdef"],"updated":[],"jailed":["junovaloper1abcdef"],)"
      R"("unjailed":[],"tombstoned":[],"slashed":[{"address":"junovaloper1abcdef",)"
      R"("infraction_height":19990,"infraction_time":1699999940,"power":100,)"
      R"("slash_amount":{"denom":"uosmo","amount":"16"},"slash_ratio":"0.1"}]}})";
  EXPECT_EQ(packets::EncodeConsumerPacket(ConsumerApp::ToWire(vu)), expected);
  auto back = ConsumerApp::FromWire(Must(packets::DecodeConsumerPacket(expected)));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(std::get<consumer::ValsetUpdatePacket>(*back), vu);
  EXPECT_EQ(ConsumerApp::TimeoutSeconds(vu), 86400u);
  EXPECT_EQ(ConsumerApp::TimeoutSeconds(iu), 3600u);
}

}  // namespace
}  // namespace mesh::app
