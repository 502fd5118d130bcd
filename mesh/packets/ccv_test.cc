// The CCV wire format: round trips and strict decoding (a malformed packet
// must be refused so the receiver writes an error ack).
#include "mesh/packets/ccv.h"

#include <string>

#include "gtest/gtest.h"

namespace mesh::packets::ccv {
namespace {

TEST(CcvWireTest, VscRoundTripAndShape) {
  VscPacket p{{{std::string(32, '\x01'), 10}, {std::string(32, '\x02'), 0}}, 7,
              {std::string(20, '\xab')}};
  const std::string bytes = EncodeVsc(p);
  EXPECT_NE(bytes.find(R"("valset_update_id":"7")"), std::string::npos);
  EXPECT_NE(bytes.find(R"("power":"10")"), std::string::npos);
  // Slash acks travel as upper-case hex consensus addresses.
  std::string hex;
  for (int i = 0; i < 20; ++i) hex += "AB";
  EXPECT_NE(bytes.find(R"("slash_acks":[")" + hex + R"("])"), std::string::npos);
  EXPECT_EQ(DecodeVsc(bytes).value(), p);
}

TEST(CcvWireTest, VscRejectsMalformed) {
  EXPECT_FALSE(DecodeVsc("not json").ok());
  EXPECT_FALSE(DecodeVsc(R"({"validator_updates":[],"valset_update_id":"0"})").ok());
  EXPECT_FALSE(DecodeVsc(R"({"valset_update_id":"1"})").ok());
  EXPECT_FALSE(DecodeVsc(
      R"({"validator_updates":[{"pub_key":{"ed25519":"AAAA"},"power":"1"}],"valset_update_id":"1"})")
                   .ok());
  EXPECT_FALSE(DecodeVsc(R"({"validator_updates":[],"valset_update_id":"1","extra":1})").ok());
  EXPECT_TRUE(DecodeVsc(R"({"validator_updates":[],"valset_update_id":"1"})").ok());
}

// L-13: the provider's unbonding_waits_for_maturity travels in the VSC,
// encoded only when set; a packet without it (ICS, or this engine's before
// the field) decodes with the field absent, and its bytes are unchanged.
TEST(CcvWireTest, VscMaturityFieldIsOptional) {
  VscPacket p{{{std::string(32, '\x01'), 10}}, 7, {}};
  const std::string old_bytes = EncodeVsc(p);
  EXPECT_EQ(old_bytes.find("unbonding_waits_for_maturity"), std::string::npos);
  EXPECT_EQ(old_bytes,
            R"({"validator_updates":[{"pub_key":{"ed25519":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="},"power":"10"}],"valset_update_id":"7","slash_acks":[]})");
  EXPECT_EQ(DecodeVsc(old_bytes).value().unbonding_waits_for_maturity, std::nullopt);
  // An old packet without slash_acks either.
  absl::StatusOr<VscPacket> bare = DecodeVsc(R"({"validator_updates":[],"valset_update_id":"3"})");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->unbonding_waits_for_maturity, std::nullopt);
  for (const bool on : {true, false}) {
    p.unbonding_waits_for_maturity = on;
    const std::string bytes = EncodeVsc(p);
    EXPECT_NE(bytes.find(on ? R"("unbonding_waits_for_maturity":true)"
                            : R"("unbonding_waits_for_maturity":false)"),
              std::string::npos);
    EXPECT_EQ(DecodeVsc(bytes).value(), p);
  }
  // Strict: a non-boolean value is refused (error ack).
  EXPECT_FALSE(DecodeVsc(
                   R"({"validator_updates":[],"valset_update_id":"1","unbonding_waits_for_maturity":"true"})")
                   .ok());
  EXPECT_FALSE(DecodeVsc(
                   R"({"validator_updates":[],"valset_update_id":"1","unbonding_waits_for_maturity":1})")
                   .ok());
}

TEST(CcvWireTest, SlashRoundTripAndValidation) {
  SlashPacket s{std::string(20, 'z'), 25, 3, Infraction::kDowntime};
  EXPECT_EQ(std::get<SlashPacket>(DecodeConsumerPacket(EncodeConsumerPacket(s)).value()), s);
  // The v1 infraction names are accepted too.
  auto v1 = DecodeConsumerPacket(
      R"({"type":"CONSUMER_PACKET_TYPE_SLASH","slashPacketData":{"validator":{"address":"AQ==","power":"1"},"valset_update_id":"0","infraction":"INFRACTION_TYPE_DOUBLE_SIGN"}})");
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(std::get<SlashPacket>(*v1).infraction, Infraction::kDoubleSign);
  // Power 0, empty address, unknown type or infraction: refused.
  EXPECT_FALSE(DecodeConsumerPacket(
                   R"({"type":"CONSUMER_PACKET_TYPE_SLASH","slashPacketData":{"validator":{"address":"AQ==","power":"0"},"valset_update_id":"0","infraction":"INFRACTION_DOWNTIME"}})")
                   .ok());
  EXPECT_FALSE(DecodeConsumerPacket(
                   R"({"type":"CONSUMER_PACKET_TYPE_SLASH","slashPacketData":{"validator":{"address":"","power":"1"},"valset_update_id":"0","infraction":"INFRACTION_DOWNTIME"}})")
                   .ok());
  EXPECT_FALSE(DecodeConsumerPacket(
                   R"({"type":"CONSUMER_PACKET_TYPE_SLASH","slashPacketData":{"validator":{"address":"AQ==","power":"1"},"valset_update_id":"0","infraction":"INFRACTION_X"}})")
                   .ok());
  EXPECT_FALSE(DecodeConsumerPacket(R"({"type":"X"})").ok());
  VscMaturedPacket m{9};
  EXPECT_EQ(std::get<VscMaturedPacket>(DecodeConsumerPacket(EncodeConsumerPacket(m)).value()), m);
}

TEST(CcvWireTest, ResultAcks) {
  EXPECT_EQ(ResultAck(1), R"({"result":"AQ=="})");
  EXPECT_EQ(DecodeResultAck(ResultAck(3)).value(), 3);
  EXPECT_FALSE(DecodeResultAck(R"({"result":"e30="})").ok());  // "{}" is not one byte
  EXPECT_FALSE(DecodeResultAck(R"({"error":"x"})").ok());
}

}  // namespace
}  // namespace mesh::packets::ccv
