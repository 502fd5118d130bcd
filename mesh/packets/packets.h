// The mesh-security control-channel wire format: every packet and ack the
// reference contracts exchange (mesh-consumer-ibc.md §0.1, §5.3-5.5;
// mesh-provider.md §0.6, §7), with JSON encode/decode byte-compatible with
// the reference so that a chain running the reference contracts can be the
// other end of the channel.
//
// Encoding rules (mesh-consumer-ibc.md §0.1):
//  - enums are externally tagged with snake_case variant names:
//    {"stake":{...}}; fields are written in declaration order, compactly;
//  - u64 (heights, times, tx ids, power) are JSON numbers, exact to 2^64-1;
//  - Uint128 amounts are JSON strings; printed canonically ("1000"); parsed
//    leniently like Rust's integer parser ("+5", "007" accepted; a JSON
//    number, "", "-1", "1.0" rejected);
//  - Coin is {"denom":...,"amount":"..."} and, like cosmwasm-std's Coin,
//    ignores unknown fields on input;
//  - every other type here is strict: unknown fields, missing fields, wrong
//    JSON types, null for a required field and a second variant key are all
//    errors.
// Addresses and denoms are carried as given; validating them is the
// application's job. Decode errors are InvalidArgument with a message in the
// spirit of the reference's ("Error parsing into type ...").
//
// Value types; deterministic; thread-compatible.
#ifndef MESHSEC_MESH_PACKETS_PACKETS_H_
#define MESHSEC_MESH_PACKETS_PACKETS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/ids.h"
#include "core/json.h"

namespace mesh::packets {

// Packet timeouts in seconds of the sender's block time (timestamp only, no
// height timeout; mesh-consumer-ibc.md §5.7).
inline constexpr uint64_t kProviderPacketTimeoutSeconds = 600;
inline constexpr uint64_t kValsetUpdateTimeoutSeconds = 86400;
inline constexpr uint64_t kConsumerPacketTimeoutSeconds = 3600;  // internal_unstake, distribute*
inline constexpr uint64_t kConsumerResendTimeoutSeconds = 86400;  // any consumer resend
// External staking's own tx ids (unstake, transfer_rewards) start above this.
inline constexpr uint64_t kExternalStakingTxIdBase = 9223372036854775807ULL;  // 2^63 - 1

// Uint128 as a JSON string.
Json Uint128ToJson(Amount v);
absl::StatusOr<Amount> Uint128FromJson(const Json& v);
// Rust-style unsigned parse: optional '+', then one or more ASCII digits
// (leading zeros allowed); OutOfRange above 2^128-1, InvalidArgument else.
absl::StatusOr<Amount> ParseUint128(std::string_view s);

struct Coin {
  Denom denom;
  Amount amount;
  Json ToJson() const;
  static absl::StatusOr<Coin> FromJson(const Json& v);  // not strict
  friend bool operator==(const Coin&, const Coin&) = default;
};

// ---------------------------------------------------------------- provider -> consumer

struct StakePacket {
  AccountAddress delegator;  // provider user
  ValidatorAddress validator;  // consumer valoper
  Coin stake;  // provider denom
  uint64_t tx_id = 0;  // vault tx id
  friend bool operator==(const StakePacket&, const StakePacket&) = default;
};

struct UnstakePacket {
  AccountAddress delegator;
  ValidatorAddress validator;
  Coin unstake;  // provider denom
  uint64_t tx_id = 0;  // external staking tx id (> 2^63 - 1)
  friend bool operator==(const UnstakePacket&, const UnstakePacket&) = default;
};

struct BurnPacket {
  std::vector<ValidatorAddress> validators;
  Coin burn;  // provider denom
  friend bool operator==(const BurnPacket&, const BurnPacket&) = default;
};

struct TransferRewardsPacket {
  Coin rewards;  // consumer denom
  AccountAddress recipient;  // consumer address
  uint64_t tx_id = 0;
  friend bool operator==(const TransferRewardsPacket&, const TransferRewardsPacket&) = default;
};

using ProviderPacket =
    std::variant<StakePacket, UnstakePacket, BurnPacket, TransferRewardsPacket>;

// ---------------------------------------------------------------- consumer -> provider

struct AddValidator {
  ValidatorAddress valoper;
  std::string pub_key;  // always "TODO" in the reference
  friend bool operator==(const AddValidator&, const AddValidator&) = default;
};

struct ValidatorSlashInfo {
  ValidatorAddress address;
  uint64_t infraction_height = 0;
  uint64_t infraction_time = 0;  // unix seconds
  uint64_t power = 0;
  Coin slash_amount;  // already in the provider denom
  std::string slash_ratio;  // decimal text, forwarded verbatim by the consumer
  friend bool operator==(const ValidatorSlashInfo&, const ValidatorSlashInfo&) = default;
};

struct ValsetUpdatePacket {
  uint64_t height = 0;  // consumer block height
  uint64_t time = 0;  // consumer block time, unix seconds
  std::vector<AddValidator> additions;
  std::vector<ValidatorAddress> removals;
  std::vector<AddValidator> updated;
  std::vector<ValidatorAddress> jailed;
  std::vector<ValidatorAddress> unjailed;
  std::vector<ValidatorAddress> tombstoned;
  std::vector<ValidatorSlashInfo> slashed;
  friend bool operator==(const ValsetUpdatePacket&, const ValsetUpdatePacket&) = default;
};

struct InternalUnstakePacket {
  AccountAddress delegator;
  ValidatorAddress validator;
  Coin normalize_amount;  // consumer denom
  Coin inverted_amount;  // provider denom
  friend bool operator==(const InternalUnstakePacket&, const InternalUnstakePacket&) = default;
};

struct DistributePacket {
  ValidatorAddress validator;
  Coin rewards;  // consumer denom
  friend bool operator==(const DistributePacket&, const DistributePacket&) = default;
};

struct RewardInfo {
  ValidatorAddress validator;
  Amount reward;
  friend bool operator==(const RewardInfo&, const RewardInfo&) = default;
};

struct DistributeBatchPacket {
  std::vector<RewardInfo> rewards;
  Denom denom;  // consumer denom
  friend bool operator==(const DistributeBatchPacket&, const DistributeBatchPacket&) = default;
};

using ConsumerPacket = std::variant<ValsetUpdatePacket, InternalUnstakePacket, DistributePacket,
                                    DistributeBatchPacket>;

// Packet bytes (compact JSON) and back.
std::string EncodeProviderPacket(const ProviderPacket& p);
absl::StatusOr<ProviderPacket> DecodeProviderPacket(std::string_view bytes);
std::string EncodeConsumerPacket(const ConsumerPacket& p);
absl::StatusOr<ConsumerPacket> DecodeConsumerPacket(std::string_view bytes);

// The heights and times a consumer packet carries (a valset_update's height
// and time, each slash's infraction_height and infraction_time) must fit the
// signed 64-bit range the chains use (Cosmos heights and unix times are
// int64): InvalidArgument "<field> <value> exceeds the signed 64-bit range"
// above 2^63 - 1. Decoding keeps the whole u64 range (wire compatibility);
// the application calls this before acting, so such a value is refused with
// an error ack instead of wrapping where it meets an int64.
absl::Status CheckSignedRange(const ConsumerPacket& p);
inline constexpr uint64_t kMaxSigned64 = (~uint64_t{0}) >> 1;  // 2^63 - 1

// The JSON variant name ("stake", "valset_update", ...), e.g. for the
// packet_type attribute.
std::string_view PacketType(const ProviderPacket& p);
std::string_view PacketType(const ConsumerPacket& p);

// ---------------------------------------------------------------- acknowledgements

// The ack envelope (AckWrapper): {"result":"<base64 payload>"} or
// {"error":"<text>"}. Strict. It is the ICS-04 JSON acknowledgement, so acks
// written by a chain for a failed receive parse with it too.
class Ack {
 public:
  // A success ack carrying `payload` (every reference success payload is the
  // empty struct "{}": StakeAck, UnstakeAck, TransferRewardsAck,
  // ValsetUpdateAck, DistributeAck).
  static Ack Success(std::string payload = "{}");
  static Ack Error(std::string message);

  bool ok() const { return ok_; }
  const std::string& payload() const { return payload_; }  // ok() only
  const std::string& error() const { return error_; }  // !ok() only

  std::string Encode() const;
  static absl::StatusOr<Ack> Decode(std::string_view bytes);

  friend bool operator==(const Ack&, const Ack&) = default;

 private:
  bool ok_ = true;
  std::string payload_;
  std::string error_;
};

// Exactly the bytes of every success ack in the reference.
inline constexpr std::string_view kSuccessAckBytes = R"({"result":"e30="})";

// Checks a success payload is one of the (strict, field-less) reference ack
// structs: a JSON object with no members.
absl::Status DecodeEmptyAckPayload(std::string_view payload);

// What this engine's consumer writes in the success ack of `stake` and
// `unstake` (docs/mesh-ibc.md): the consumer height the packet was processed
// at and, for an unstake, the provider-denom amount of it that a forwarded
// slash had already cut from the delegator's record (compatibility.md
// C-28, P-33). Payload `{"height":N}` or `{"height":N,"absorbed":"X"}`
// (absorbed only when non-zero). The reference writes `{}` and its provider
// ignores the payload (mesh-consumer-ibc.md §5.5), so this stays compatible.
struct ReceiptAck {
  uint64_t height = 0;
  Amount absorbed;
  friend bool operator==(const ReceiptAck&, const ReceiptAck&) = default;
};
std::string EncodeReceiptAck(const ReceiptAck& r);
// Lenient on purpose (an ack handler never fails): nullopt for the
// reference's `{}` and for any payload that is not exactly one of the two
// shapes above.
std::optional<ReceiptAck> DecodeReceiptAck(std::string_view payload);

}  // namespace mesh::packets

#endif  // MESHSEC_MESH_PACKETS_PACKETS_H_
