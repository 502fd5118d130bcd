// Wire format of the replicated / opt-in link modes: the CCV-like channel
// between a provider and a consumer whose consensus validator set the
// provider supplies (neighbours.md §2.2, §2.4; docs/shared-security.md).
//
// Provider → consumer: ValidatorSetChangePacketData
//   {"validator_updates":[{"pub_key":{"ed25519":"<base64 32 bytes>"},"power":"<int64>"}...],
//    "valset_update_id":"<u64>","slash_acks":["<hex consensus address>"...],
//    "unbonding_waits_for_maturity":<bool>}   (optional; this engine only)
// Consumer → provider: ConsumerPacketData
//   {"type":"CONSUMER_PACKET_TYPE_SLASH","slashPacketData":{"validator":{"address":
//    "<base64 20 bytes>","power":"<int64>"},"valset_update_id":"<u64>",
//    "infraction":"INFRACTION_DOWNTIME"}}
//   {"type":"CONSUMER_PACKET_TYPE_VSCM","vscMaturedPacketData":{"valset_update_id":"<u64>"}}
// Acks: the ICS-04 JSON envelope (packets::Ack); a success result for a VSC
// is the one byte 0x01, for a slash packet one of the SlashResult bytes.
//
// Decoding is strict (unknown members, bad numbers, a key that is not 32
// bytes, power 0 in a slash, a vscID of 0 in a VSC are InvalidArgument) so
// the receiver answers a malformed packet with an error ack. Deterministic.
#ifndef MESHSEC_MESH_PACKETS_CCV_H_
#define MESHSEC_MESH_PACKETS_CCV_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace mesh::packets::ccv {

// Ports and version of the channel (ICS: ports "provider" / "consumer",
// version "1"; ORDERED).
inline constexpr std::string_view kProviderPort = "provider";
inline constexpr std::string_view kConsumerPort = "consumer";
inline constexpr std::string_view kVersion = "1";

struct ValidatorUpdate {
  std::string pub_key;  // 32 bytes ed25519
  int64_t power = 0;    // absolute; 0 removes
  friend bool operator==(const ValidatorUpdate&, const ValidatorUpdate&) = default;
};

struct VscPacket {
  std::vector<ValidatorUpdate> validator_updates;
  uint64_t valset_update_id = 0;
  std::vector<std::string> slash_acks;  // raw 20-byte consumer consensus addresses
  // The provider's unbonding_waits_for_maturity (L-13), so both ends agree.
  // Absent (nullopt; ICS packets and this engine's before the field) keeps
  // the old meaning: the consumer follows its own genesis setting. Encoded
  // only when set; a provider sets it (true) only on links with the option,
  // so the packets of other links are byte for byte as before.
  std::optional<bool> unbonding_waits_for_maturity;
  friend bool operator==(const VscPacket&, const VscPacket&) = default;
};

enum class Infraction : uint8_t { kDoubleSign = 1, kDowntime = 2 };

struct SlashPacket {
  std::string address;  // raw consumer consensus address (1..255 bytes)
  int64_t power = 0;    // consumer power at the infraction, != 0
  uint64_t valset_update_id = 0;  // may be 0 (before the first VSC)
  Infraction infraction = Infraction::kDowntime;
  friend bool operator==(const SlashPacket&, const SlashPacket&) = default;
};

// Legacy maturity notice: accepted and ignored by the provider (ADR-018).
struct VscMaturedPacket {
  uint64_t valset_update_id = 0;
  friend bool operator==(const VscMaturedPacket&, const VscMaturedPacket&) = default;
};

using ConsumerPacket = std::variant<SlashPacket, VscMaturedPacket>;

std::string EncodeVsc(const VscPacket& p);
absl::StatusOr<VscPacket> DecodeVsc(std::string_view bytes);
std::string EncodeConsumerPacket(const ConsumerPacket& p);
absl::StatusOr<ConsumerPacket> DecodeConsumerPacket(std::string_view bytes);

// Result bytes of a slash packet's success ack (ICS).
enum class SlashResult : uint8_t { kV1 = 1, kHandled = 2, kBounced = 3 };
inline constexpr char kVscResult = 0x01;

// The success ack carrying one result byte, and its decoding (NotFound-free:
// InvalidArgument unless exactly one byte in a success envelope).
std::string ResultAck(uint8_t result);
absl::StatusOr<uint8_t> DecodeResultAck(std::string_view ack);

// Consensus addresses travel as upper-case hex (CometBFT's textual form).
std::string AddressText(std::string_view raw);
absl::StatusOr<std::string> AddressFromText(std::string_view text);

}  // namespace mesh::packets::ccv

#endif  // MESHSEC_MESH_PACKETS_CCV_H_
