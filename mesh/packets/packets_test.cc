#include "mesh/packets/packets.h"

#include <string>

#include "gtest/gtest.h"

namespace mesh::packets {
namespace {

Coin C(const char* denom, u128 amount) { return Coin{Denom(denom), Amount(amount)}; }
ValidatorAddress V(const char* v) { return ValidatorAddress(v); }
AccountAddress A(const char* a) { return AccountAddress(a); }

// Golden check: the reference bytes decode to `expected` and `expected`
// encodes to exactly the reference bytes.
void ExpectProviderGolden(std::string_view bytes, const ProviderPacket& expected) {
  absl::StatusOr<ProviderPacket> decoded = DecodeProviderPacket(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == expected) << bytes;
  EXPECT_EQ(EncodeProviderPacket(expected), bytes);
}

void ExpectConsumerGolden(std::string_view bytes, const ConsumerPacket& expected) {
  absl::StatusOr<ConsumerPacket> decoded = DecodeConsumerPacket(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == expected) << bytes;
  EXPECT_EQ(EncodeConsumerPacket(expected), bytes);
}

// ---------------------------------------------------------------- §5.3 examples

TEST(PacketsGoldenTest, Stake) {
  ExpectProviderGolden(
      R"({"stake":{"delegator":"osmo1qqxyz0user","validator":"junovaloper1abcdef","stake":{"denom":"uosmo","amount":"1000"},"tx_id":17}})",
      StakePacket{A("osmo1qqxyz0user"), V("junovaloper1abcdef"), C("uosmo", 1000), 17});
}

TEST(PacketsGoldenTest, StakeWithIdAboveTwoToThe53) {
  ExpectProviderGolden(
      R"({"stake":{"delegator":"osmo1qqxyz0user","validator":"junovaloper1abcdef","stake":{"denom":"uosmo","amount":"4000"},"tx_id":9223372036854775808}})",
      StakePacket{A("osmo1qqxyz0user"), V("junovaloper1abcdef"), C("uosmo", 4000),
                  9223372036854775808ULL});
}

TEST(PacketsGoldenTest, Unstake) {
  ExpectProviderGolden(
      R"({"unstake":{"delegator":"osmo1qqxyz0user","validator":"junovaloper1abcdef","unstake":{"denom":"uosmo","amount":"2000"},"tx_id":9223372036854775809}})",
      UnstakePacket{A("osmo1qqxyz0user"), V("junovaloper1abcdef"), C("uosmo", 2000),
                    9223372036854775809ULL});
}

TEST(PacketsGoldenTest, Burn) {
  ExpectProviderGolden(
      R"({"burn":{"validators":["junovaloper1abcdef","junovaloper1ghijkl"],"burn":{"denom":"uosmo","amount":"500"}}})",
      BurnPacket{{V("junovaloper1abcdef"), V("junovaloper1ghijkl")}, C("uosmo", 500)});
}

TEST(PacketsGoldenTest, TransferRewards) {
  ExpectProviderGolden(
      R"({"transfer_rewards":{"rewards":{"denom":"ujuno","amount":"1234"},"recipient":"juno1recipient0addr","tx_id":9223372036854775810}})",
      TransferRewardsPacket{C("ujuno", 1234), A("juno1recipient0addr"), 9223372036854775810ULL});
}

// mesh-provider.md §7.2 example bytes (the elided address kept as written).
TEST(PacketsGoldenTest, ProviderDocStakeExample) {
  ExpectProviderGolden(
      "{\"stake\":{\"delegator\":\"cosmwasm1\xE2\x80\xA6\",\"validator\":\"validator1\","
      "\"stake\":{\"denom\":\"osmo\",\"amount\":\"100\"},\"tx_id\":3}}",
      StakePacket{A("cosmwasm1\xE2\x80\xA6"), V("validator1"), C("osmo", 100), 3});
}

// ---------------------------------------------------------------- §5.4 examples

TEST(PacketsGoldenTest, InitialValset) {
  ValsetUpdatePacket p;
  p.height = 12345;
  p.time = 1571797419;
  p.additions = {{V("junovaloper1abcdef"), "TODO"}, {V("junovaloper1ghijkl"), "TODO"}};
  ExpectConsumerGolden(
      R"({"valset_update":{"height":12345,"time":1571797419,"additions":[{"valoper":"junovaloper1abcdef","pub_key":"TODO"},{"valoper":"junovaloper1ghijkl","pub_key":"TODO"}],"removals":[],"updated":[],"jailed":[],"unjailed":[],"tombstoned":[],"slashed":[]}})",
      p);
}

TEST(PacketsGoldenTest, JailAndSlash) {
  ValsetUpdatePacket p;
  p.height = 20000;
  p.time = 1700000000;
  p.removals = {V("junovaloper1abcdef")};
  p.jailed = {V("junovaloper1abcdef")};
  p.slashed = {{V("junovaloper1abcdef"), 19990, 1699999940, 100, C("uosmo", 16), "0.1"}};
  ExpectConsumerGolden(
      R"({"valset_update":{"height":20000,"time":1700000000,"additions":[],"removals":["junovaloper1abcdef"],"updated":[],"jailed":["junovaloper1abcdef"],"unjailed":[],"tombstoned":[],"slashed":[{"address":"junovaloper1abcdef","infraction_height":19990,"infraction_time":1699999940,"power":100,"slash_amount":{"denom":"uosmo","amount":"16"},"slash_ratio":"0.1"}]}})",
      p);
}

TEST(PacketsGoldenTest, Tombstone) {
  ValsetUpdatePacket p;
  p.height = 20100;
  p.time = 1700000600;
  p.tombstoned = {V("junovaloper1ghijkl")};
  p.slashed = {{V("junovaloper1ghijkl"), 20050, 1700000300, 50, C("uosmo", 33), "0.25"}};
  ExpectConsumerGolden(
      R"({"valset_update":{"height":20100,"time":1700000600,"additions":[],"removals":[],"updated":[],"jailed":[],"unjailed":[],"tombstoned":["junovaloper1ghijkl"],"slashed":[{"address":"junovaloper1ghijkl","infraction_height":20050,"infraction_time":1700000300,"power":50,"slash_amount":{"denom":"uosmo","amount":"33"},"slash_ratio":"0.25"}]}})",
      p);
}

TEST(PacketsGoldenTest, InternalUnstake) {
  ExpectConsumerGolden(
      R"({"internal_unstake":{"delegator":"osmo1qqxyz0user","validator":"junovaloper1abcdef","normalize_amount":{"denom":"ujuno","amount":"300"},"inverted_amount":{"denom":"uosmo","amount":"999"}}})",
      InternalUnstakePacket{A("osmo1qqxyz0user"), V("junovaloper1abcdef"), C("ujuno", 300),
                            C("uosmo", 999)});
}

TEST(PacketsGoldenTest, Distribute) {
  ExpectConsumerGolden(
      R"({"distribute":{"validator":"junovaloper1abcdef","rewards":{"denom":"ujuno","amount":"250"}}})",
      DistributePacket{V("junovaloper1abcdef"), C("ujuno", 250)});
}

TEST(PacketsGoldenTest, DistributeBatch) {
  ExpectConsumerGolden(
      R"({"distribute_batch":{"rewards":[{"validator":"junovaloper1abcdef","reward":"33"},{"validator":"junovaloper1ghijkl","reward":"53"}],"denom":"ujuno"}})",
      DistributeBatchPacket{{{V("junovaloper1abcdef"), Amount(33)}, {V("junovaloper1ghijkl"), Amount(53)}},
                            Denom("ujuno")});
}

// A slash report built from the Go module: 18-decimal ratio string, forwarded
// verbatim (§5.4 closing note).
TEST(PacketsGoldenTest, SlashRatioStringKeptVerbatim) {
  ValsetUpdatePacket p;
  p.slashed = {{V("v"), 1, 2, 3, C("uosmo", 0), "0.100000000000000000"}};
  std::string bytes = EncodeConsumerPacket(p);
  EXPECT_NE(bytes.find(R"("slash_ratio":"0.100000000000000000")"), std::string::npos) << bytes;
  EXPECT_TRUE(*DecodeConsumerPacket(bytes) == ConsumerPacket(p));
}

TEST(PacketsGoldenTest, MaxValuesRoundTrip) {
  StakePacket p{A("a"), V("v"), Coin{Denom("d"), Amount::Max()}, UINT64_MAX};
  std::string bytes = EncodeProviderPacket(p);
  EXPECT_EQ(bytes,
            R"({"stake":{"delegator":"a","validator":"v","stake":{"denom":"d","amount":"340282366920938463463374607431768211455"},"tx_id":18446744073709551615}})");
  EXPECT_TRUE(*DecodeProviderPacket(bytes) == ProviderPacket(p));
}

// Heights and times above 2^63 - 1 still decode (wire compatibility) but
// are refused by CheckSignedRange before any handler sees them.
TEST(PacketsRangeTest, HeightsAndTimesMustFitSigned64) {
  ValsetUpdatePacket u;
  u.height = kMaxSigned64;
  u.time = kMaxSigned64;
  u.slashed.push_back(ValidatorSlashInfo{V("v"), kMaxSigned64, kMaxSigned64, 1, C("d", 5), "0.1"});
  EXPECT_TRUE(CheckSignedRange(u).ok());
  for (uint64_t bad : {uint64_t{1} << 63, UINT64_MAX}) {
    ValsetUpdatePacket h = u;
    h.height = bad;
    absl::Status st = CheckSignedRange(h);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("valset_update height"), std::string::npos) << st;
    ValsetUpdatePacket t = u;
    t.time = bad;
    EXPECT_NE(CheckSignedRange(t).message().find("valset_update time"), std::string::npos);
    ValsetUpdatePacket ih = u;
    ih.slashed[0].infraction_height = bad;
    EXPECT_NE(CheckSignedRange(ih).message().find("infraction_height"), std::string::npos);
    ValsetUpdatePacket it = u;
    it.slashed[0].infraction_time = bad;
    EXPECT_NE(CheckSignedRange(it).message().find("infraction_time"), std::string::npos);
    // It decodes: the wire keeps the u64 range.
    absl::StatusOr<ConsumerPacket> back = DecodeConsumerPacket(EncodeConsumerPacket(ih));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_FALSE(CheckSignedRange(*back).ok());
  }
  EXPECT_TRUE(CheckSignedRange(InternalUnstakePacket{}).ok());
}

TEST(PacketsTest, PacketTypeNames) {
  EXPECT_EQ(PacketType(ProviderPacket(StakePacket{})), "stake");
  EXPECT_EQ(PacketType(ProviderPacket(UnstakePacket{})), "unstake");
  EXPECT_EQ(PacketType(ProviderPacket(BurnPacket{})), "burn");
  EXPECT_EQ(PacketType(ProviderPacket(TransferRewardsPacket{})), "transfer_rewards");
  EXPECT_EQ(PacketType(ConsumerPacket(ValsetUpdatePacket{})), "valset_update");
  EXPECT_EQ(PacketType(ConsumerPacket(InternalUnstakePacket{})), "internal_unstake");
  EXPECT_EQ(PacketType(ConsumerPacket(DistributePacket{})), "distribute");
  EXPECT_EQ(PacketType(ConsumerPacket(DistributeBatchPacket{})), "distribute_batch");
}

// ---------------------------------------------------------------- strictness (§0.1)

constexpr std::string_view kStake =
    R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":1}})";

TEST(PacketsStrictTest, ReferenceStakeParses) { EXPECT_TRUE(DecodeProviderPacket(kStake).ok()); }

TEST(PacketsStrictTest, RejectsMalformedProviderPackets) {
  for (const char* bad : {
           // unknown field in a strict struct
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":1,"memo":""}})",
           // missing field
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"}}})",
           // null for a required field
           R"({"stake":{"delegator":null,"validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":1}})",
           // tx_id as string / float / negative / above u64
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":"1"}})",
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":1.0}})",
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":-1}})",
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":18446744073709551616}})",
           // Uint128 as a JSON number, negative, fractional, empty, above 2^128-1
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":1},"tx_id":1}})",
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"-1"},"tx_id":1}})",
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1.0"},"tx_id":1}})",
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":""},"tx_id":1}})",
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"340282366920938463463374607431768211456"},"tx_id":1}})",
           // unknown variant, two variants, unit variant, not an object
           R"({"restake":{}})",
           R"({"stake":{},"burn":{}})",
           R"("stake")",
           R"([])",
           // a consumer packet on the provider's decoder
           R"({"distribute":{"validator":"v","rewards":{"denom":"ujuno","amount":"1"}}})",
           // list of validators with a non-string
           R"({"burn":{"validators":["a",1],"burn":{"denom":"uosmo","amount":"1"}}})",
           R"({"burn":{"validators":"a","burn":{"denom":"uosmo","amount":"1"}}})",
           // duplicate key, trailing bytes, not JSON
           R"({"burn":{"validators":[],"validators":[],"burn":{"denom":"uosmo","amount":"1"}}})",
           R"({"burn":{"validators":[],"burn":{"denom":"uosmo","amount":"1"}}} x)",
           "",
       }) {
    absl::StatusOr<ProviderPacket> p = DecodeProviderPacket(bad);
    EXPECT_FALSE(p.ok()) << "accepted: " << bad;
    if (!p.ok()) {
      EXPECT_TRUE(p.status().code() == absl::StatusCode::kInvalidArgument ||
                  p.status().code() == absl::StatusCode::kOutOfRange)
          << p.status();
    }
  }
}

TEST(PacketsStrictTest, RejectsMalformedConsumerPackets) {
  for (const char* bad : {
           R"({"valset_update":{"height":1,"time":2,"additions":[],"removals":[],"updated":[],"jailed":[],"unjailed":[],"tombstoned":[]}})",
           R"({"valset_update":{"height":1,"time":2,"additions":[{"valoper":"v","pub_key":"TODO","start_height":1}],"removals":[],"updated":[],"jailed":[],"unjailed":[],"tombstoned":[],"slashed":[]}})",
           R"({"valset_update":{"height":1,"time":2,"additions":null,"removals":[],"updated":[],"jailed":[],"unjailed":[],"tombstoned":[],"slashed":[]}})",
           R"({"valset_update":{"height":1,"time":2,"additions":[],"removals":[],"updated":[],"jailed":[],"unjailed":[],"tombstoned":[],"slashed":[{"address":"v","infraction_height":1,"infraction_time":1,"power":1,"slash_amount":{"denom":"u","amount":"1"},"slash_ratio":0.1}]}})",
           R"({"distribute_batch":{"rewards":[{"validator":"v","reward":33}],"denom":"ujuno"}})",
           R"({"distribute_batch":{"rewards":[{"validator":"v","reward":"33","x":1}],"denom":"ujuno"}})",
           R"({"internal_unstake":{"delegator":"d","validator":"v","normalize_amount":{"denom":"u","amount":"1"}}})",
           R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":1}})",
       }) {
    EXPECT_FALSE(DecodeConsumerPacket(bad).ok()) << "accepted: " << bad;
  }
}

TEST(PacketsStrictTest, ErrorMessagesNameTheProblem) {
  absl::Status st = DecodeProviderPacket(
      R"({"stake":{"delegator":"d","validator":"v","stake":{"denom":"uosmo","amount":"1"},"tx_id":1,"memo":""}})")
                        .status();
  EXPECT_NE(st.message().find("unknown field `memo`"), absl::string_view::npos) << st;
  st = DecodeProviderPacket(R"({"restake":{}})").status();
  EXPECT_NE(st.message().find("unknown variant `restake`"), absl::string_view::npos) << st;
}

TEST(PacketsStrictTest, Uint128IsLenientOnInput) {
  // Rust's integer parser: leading '+' and zeros accepted; output canonical.
  absl::StatusOr<ProviderPacket> p = DecodeProviderPacket(
      R"({"burn":{"validators":[],"burn":{"denom":"uosmo","amount":"+007"}}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(std::get<BurnPacket>(*p).burn.amount, Amount(7));
  EXPECT_EQ(EncodeProviderPacket(*p),
            R"({"burn":{"validators":[],"burn":{"denom":"uosmo","amount":"7"}}})");
  EXPECT_EQ(*ParseUint128("0"), Amount(0));
  EXPECT_EQ(*ParseUint128("+5"), Amount(5));
  EXPECT_EQ(*ParseUint128("340282366920938463463374607431768211455"), Amount::Max());
  for (const char* bad : {"", "+", "-0", "-5", " 5", "5 ", "1_000", "0x10", "++5", "1e3"}) {
    EXPECT_FALSE(ParseUint128(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseUint128("340282366920938463463374607431768211456").status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(PacketsStrictTest, CoinIgnoresUnknownFields) {
  absl::StatusOr<ProviderPacket> p = DecodeProviderPacket(
      R"({"burn":{"validators":["v"],"burn":{"amount":"5","extra":{"x":1},"denom":"uosmo"}}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(std::get<BurnPacket>(*p).burn == C("uosmo", 5));
  EXPECT_FALSE(DecodeProviderPacket(R"({"burn":{"validators":["v"],"burn":{"denom":"uosmo"}}})").ok());
}

TEST(PacketsStrictTest, FieldOrderOnInputIsFree) {
  absl::StatusOr<ProviderPacket> p = DecodeProviderPacket(
      R"({"stake": {"tx_id": 17, "stake": {"amount": "1000", "denom": "uosmo"}, "validator": "junovaloper1abcdef", "delegator": "osmo1qqxyz0user"}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(EncodeProviderPacket(*p),
            R"({"stake":{"delegator":"osmo1qqxyz0user","validator":"junovaloper1abcdef","stake":{"denom":"uosmo","amount":"1000"},"tx_id":17}})");
}

// ---------------------------------------------------------------- acks (§5.5)

TEST(AckTest, SuccessAckIsExactlyReferenceBytes) {
  EXPECT_EQ(Ack::Success().Encode(), kSuccessAckBytes);
  EXPECT_EQ(kSuccessAckBytes, R"({"result":"e30="})");
  absl::StatusOr<Ack> a = Ack::Decode(kSuccessAckBytes);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(a->payload(), "{}");
  EXPECT_TRUE(DecodeEmptyAckPayload(a->payload()).ok());
  EXPECT_FALSE(DecodeEmptyAckPayload(R"({"x":1})").ok());
  EXPECT_FALSE(DecodeEmptyAckPayload("null").ok());
}

TEST(AckTest, ErrorAcksFromContractAndChain) {
  for (const char* text : {"Sent wrong denom over IBC: uatom, expected uosmo",
                           "ABCI code: 5: error handling packet: see events for details"}) {
    std::string bytes = std::string(R"({"error":")") + text + "\"}";
    EXPECT_EQ(Ack::Error(text).Encode(), bytes);
    absl::StatusOr<Ack> a = Ack::Decode(bytes);
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(a->ok());
    EXPECT_EQ(a->error(), text);
  }
  EXPECT_EQ(Ack::Error("say \"no\"").Encode(), R"({"error":"say \"no\""})");
}

TEST(AckTest, StrictEnvelope) {
  for (const char* bad : {R"({"result":"e30"})", R"({"result":{}})", R"({"error":5})",
                          R"({"result":"e30=","error":"x"})", R"({"ok":"e30="})", R"({})",
                          R"("e30=")", "", R"({"result":null})"}) {
    EXPECT_FALSE(Ack::Decode(bad).ok()) << "accepted: " << bad;
  }
  // Any payload round-trips through base64.
  Ack a = Ack::Success(std::string("\x00\xff{}", 4));
  EXPECT_TRUE(*Ack::Decode(a.Encode()) == a);
}

}  // namespace

// C-28: receipts in stake / unstake success acks; the reference's `{}` and
// anything else decode to "no receipt", never to an error.
TEST(AckTest, ReceiptAckRoundTripAndLenientDecode) {
  EXPECT_EQ(EncodeReceiptAck(ReceiptAck{1234, Amount()}), R"({"height":1234})");
  EXPECT_EQ(EncodeReceiptAck(ReceiptAck{7, Amount(40)}), R"({"height":7,"absorbed":"40"})");
  EXPECT_EQ(DecodeReceiptAck(R"({"height":7,"absorbed":"40"})"), (ReceiptAck{7, Amount(40)}));
  EXPECT_EQ(DecodeReceiptAck(R"({"height":1234})"), (ReceiptAck{1234, Amount()}));
  EXPECT_FALSE(DecodeReceiptAck("{}").has_value());
  EXPECT_FALSE(DecodeReceiptAck(R"({"height":1,"x":2})").has_value());
  EXPECT_FALSE(DecodeReceiptAck(R"({"height":"1"})").has_value());
  EXPECT_FALSE(DecodeReceiptAck("not json").has_value());
}

}  // namespace mesh::packets
