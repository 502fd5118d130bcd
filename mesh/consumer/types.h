// Plain data of the mesh-security consumer role (docs/consumer.md).
//
// Everything the consumer stores, receives from a provider or sends to one is
// one of these value types. Inbound requests (stake, unstake, burn,
// transfer_rewards) and outbound packets (valset update, internal unstake,
// distribute batch) are plain structs: the IBC application (issue 5) maps
// them to and from the reference's JSON packets. Records that live in the
// store have Encode/Decode (core/record.h); the byte layouts are listed in
// docs/consumer.md. Value types; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_TYPES_H_
#define MESHSEC_MESH_CONSUMER_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/amount_log.h"
#include "core/codec.h"
#include "core/dec.h"
#include "core/ids.h"

namespace mesh::consumer {

// Names one provider chain served by this consumer (one converter + virtual
// staking pair in the reference), e.g. the provider's chain id.
using ProviderId = StrongString<struct ProviderIdTag>;

struct Coin {
  Denom denom;
  Amount amount;
  friend bool operator==(const Coin&, const Coin&) = default;
};

// Module-wide parameters (reference chain module Params, §1.3 / §1.11).
struct ModuleParams {
  AccountAddress authority{"module/gov"};        // may register providers, set caps
  Amount total_max_cap = Amount(10000000000);     // Σ caps of all providers
  uint64_t epoch_length = 1000;                   // blocks between epochs
  // The chain's bech32 account prefix (app genesis bech32_prefix): the
  // virtual-staking accounts are module addresses under it
  // (VirtualStaking::VirtualAccount). Lower-case letters and digits.
  std::string account_prefix = "mesh";
  void Encode(Encoder& e) const;
  static absl::StatusOr<ModuleParams> Decode(Decoder& d);
};

// Static configuration of one provider (reference converter Config +
// virtual-staking Config + price-feed parameters).
struct ProviderConfig {
  Denom remote_denom;          // the provider's token as named on the provider
  Dec price_adjustment;        // 1 - discount, in (0, 1]
  AccountAddress oracle;       // account allowed to post prices (besides authority)
  uint64_t price_ttl_s = 600;  // a price older than this is stale
  uint32_t max_retrieve = 50;  // internal unstakes per zero-cap epoch
  void Encode(Encoder& e) const;
  static absl::StatusOr<ProviderConfig> Decode(Decoder& d);
};

// Mutable per-provider state: channel, cap, schedule and supply accounting.
// After every operation total_delegated is the tokens of the provider's
// native virtual delegations and slashed = max(0, minted - burned -
// total_delegated): virtual tokens lost to slashes (and share-rounding dust).
struct ProviderState {
  bool channel_open = false;
  bool has_max_cap = false;       // "authorised" (a zero cap is still authorised)
  Amount max_cap;
  uint64_t next_epoch_height = 0; // 0 = no epoch scheduled
  Amount total_delegated;         // virtual stake counted against the cap
  Amount minted;                  // cumulative virtual tokens minted
  Amount burned;                  // cumulative virtual tokens burned on unbond
  Amount slashed;                 // virtual stake lost to slashes and dust
  void Encode(Encoder& e) const;
  static absl::StatusOr<ProviderState> Decode(Decoder& d);
};

struct PriceInfo {
  uint64_t time_ns = 0;
  Dec native_per_foreign;  // consumer tokens per provider token
  void Encode(Encoder& e) const;
  static absl::StatusOr<PriceInfo> Decode(Decoder& d);
};

// What one provider user has staked on one validator: the provider-denom
// amount the provider sent (remote) and the local virtual amount it was
// converted to (local). Unstakes are converted through this record, not
// through the current price (docs/compatibility.md, round trip).
// A stake packet's addition to a record: the consumer height and time it
// was received at and its provider-denom amount (kept for the unbonding
// time, so a slash can leave out what came after its infraction).
struct RecordAddition {
  uint64_t height = 0;
  uint64_t time_s = 0;
  Amount remote;
  friend bool operator==(const RecordAddition&, const RecordAddition&) = default;
};

struct DelegationRecord {
  Amount remote;
  Amount local;
  bool unstake_in_flight = false;  // an InternalUnstake packet awaits its ack
  // Recent stake packets, oldest first. The record stores up to four inline;
  // the rest are in table 0x80 (one key per height, internal::
  // AddRecordAddition), which VirtualStaking::GetRecord and AllRecords
  // append to this list. Inside the module it holds the inline ones only.
  std::vector<RecordAddition> additions;
  // Provider-denom cut by forwarded slashes that an unstake sent before the
  // provider applied the slash may still ask for (docs/consumer.md, C-28).
  Amount slash_debt;
  // The range of the additions in table 0x80 (positions: consumer heights;
  // times: consumer seconds).
  AmountLogRange additions_log;
  // The last of its validator's record slashes (RecordSlash, table 0x81)
  // this record reflects. A slash writes one RecordSlash, not the records
  // it cuts: every read applies the ones after it (internal::LoadRecord).
  // nullopt: a record not read from the store (a new one), which no earlier
  // slash concerns; internal::SaveRecord stamps it with the latest. A
  // record stored before the field reads as 0.
  std::optional<uint64_t> slash_seq;
  void Encode(Encoder& e) const;
  static absl::StatusOr<DelegationRecord> Decode(Decoder& d);
};

// One slash's cut of the records of one (provider, validator), as its own
// record: applied to a record when the record is next read, with the same
// result as cutting every record at once (docs/consumer.md, "Record
// slashes"). A split of `split_total` by weights (each record's remote, or
// what it held at the infraction) gives each record
// min(floor(split_total x weight / weight_sum), weight), then the remainder
// in key order up to each record's weight (SplitByWeight): every record
// before `tail_key` gets its whole weight, the record at it its share plus
// `tail_extra`, the records after it their share alone (kAll: every record
// its whole weight; kNone: every record its share).
struct RecordSlash {
  enum class Kind : uint8_t {
    // local -= floor(local x cut / total); remote by `remote_rule`.
    kReduce = 1,
    // The forwarded slash's provider-denom cut: a split by what each record
    // held at `infraction_height` (nothing with an unstake in flight); the
    // part is added to the slash debt.
    kCutRemote = 2,
  };
  enum class RemoteRule : uint8_t {
    kNone = 0,
    kFraction = 1,  // ceil(remote x cut / total)
    kSplit = 2,     // a split by remote
  };
  enum class Tail : uint8_t { kNone = 0, kAll = 1, kUpTo = 2 };
  Kind kind = Kind::kReduce;
  Amount cut;
  Amount total;
  RemoteRule remote_rule = RemoteRule::kNone;
  uint64_t infraction_height = 0;
  Amount split_total;
  Amount weight_sum;
  Tail tail = Tail::kNone;
  std::string tail_key;  // a delegator address (kUpTo)
  Amount tail_extra;     // kUpTo
  void Encode(Encoder& e) const;
  static absl::StatusOr<RecordSlash> Decode(Decoder& d);
  friend bool operator==(const RecordSlash&, const RecordSlash&) = default;
};

// The consumer's view of a validator (reference virtual-staking `inactive`).
struct ValidatorStatus {
  bool inactive = false;    // removed from the active set (jailed, unbonded)
  bool tombstoned = false;  // double-signed: auto-unbonded at the next epoch
  void Encode(Encoder& e) const;
  static absl::StatusOr<ValidatorStatus> Decode(Decoder& d);
};

struct ValidatorInfo {
  ValidatorAddress address;
  Dec commission;
  friend bool operator==(const ValidatorInfo&, const ValidatorInfo&) = default;
};

// One slash of a validator as captured in this block. slash_amount is the
// total burned from the validator in the chain-wide update and the share of
// one provider's virtual stake in a per-provider update.
struct ValidatorSlash {
  ValidatorAddress address;
  uint64_t height = 0;             // block in which the slash was processed
  uint64_t time_s = 0;             // its time, Unix seconds
  uint64_t infraction_height = 0;
  uint64_t infraction_time_s = 0;  // 0 when the block time is not known
  uint64_t power = 0;              // validator power at the infraction
  Amount slash_amount;             // local tokens
  Dec slash_ratio;                 // nominal fraction applied by staking
  bool is_tombstoned = false;      // double sign
  friend bool operator==(const ValidatorSlash&, const ValidatorSlash&) = default;
  void Encode(Encoder& e) const;
  static absl::StatusOr<ValidatorSlash> Decode(Decoder& d);
};

// The validator-set changes of one block (reference handle_valset_update).
// Each list is ordered by validator address (length, then bytes).
struct ValsetUpdate {
  std::vector<ValidatorInfo> additions;
  std::vector<ValidatorAddress> removals;
  std::vector<ValidatorInfo> updated;
  std::vector<ValidatorAddress> jailed;
  std::vector<ValidatorAddress> unjailed;
  std::vector<ValidatorAddress> tombstoned;
  std::vector<ValidatorSlash> slashed;
  bool empty() const;
  friend bool operator==(const ValsetUpdate&, const ValsetUpdate&) = default;
};

// ---- Inbound requests from the provider (ProviderPacket) ----

struct StakeRequest {
  AccountAddress delegator;  // provider user, opaque here
  ValidatorAddress validator;
  Coin stake;                // provider denom
  uint64_t tx_id = 0;        // opaque
};

struct UnstakeRequest {
  AccountAddress delegator;
  ValidatorAddress validator;
  Coin unstake;  // provider denom
  uint64_t tx_id = 0;
};

struct BurnRequest {
  std::vector<ValidatorAddress> validators;
  Coin burn;  // provider denom
};

struct TransferRewardsRequest {
  Coin rewards;  // consumer (local) denom
  AccountAddress recipient;
  uint64_t tx_id = 0;
};

// ---- Outbound packets to the provider (ConsumerPacket) ----

struct SlashInfoPacket {
  ValidatorAddress address;
  uint64_t infraction_height = 0;
  uint64_t infraction_time_s = 0;
  uint64_t power = 0;
  Coin slash_amount;        // provider denom
  std::string slash_ratio;  // 18-decimal string, e.g. "0.100000000000000000"
  friend bool operator==(const SlashInfoPacket&, const SlashInfoPacket&) = default;
};

struct ValsetUpdatePacket {
  uint64_t height = 0;
  uint64_t time_s = 0;
  std::vector<ValidatorAddress> additions;  // pub_key is "TODO" on the wire
  std::vector<ValidatorAddress> removals;
  std::vector<ValidatorAddress> updated;
  std::vector<ValidatorAddress> jailed;
  std::vector<ValidatorAddress> unjailed;
  std::vector<ValidatorAddress> tombstoned;
  std::vector<SlashInfoPacket> slashed;
  friend bool operator==(const ValsetUpdatePacket&, const ValsetUpdatePacket&) = default;
};

struct InternalUnstakePacket {
  AccountAddress delegator;
  ValidatorAddress validator;
  Coin normalize_amount;  // local denom: the virtual stake to unbond
  Coin inverted_amount;   // provider denom: the stake the provider releases
  friend bool operator==(const InternalUnstakePacket&, const InternalUnstakePacket&) = default;
};

struct RewardInfo {
  ValidatorAddress validator;
  Amount reward;
  friend bool operator==(const RewardInfo&, const RewardInfo&) = default;
};

struct DistributeBatchPacket {
  std::vector<RewardInfo> rewards;
  Denom denom;  // local denom
  friend bool operator==(const DistributeBatchPacket&, const DistributeBatchPacket&) = default;
};

using ConsumerPacket =
    std::variant<ValsetUpdatePacket, InternalUnstakePacket, DistributeBatchPacket>;

struct OutboxEntry {
  uint64_t seq = 0;
  ConsumerPacket packet;
  void Encode(Encoder& e) const;
  static absl::StatusOr<OutboxEntry> Decode(Decoder& d);
};

// Dec as the reference chain module prints it: always 18 fractional digits
// ("0.100000000000000000"). REQUIRES: d >= 0.
std::string Dec18String(Dec d);

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_TYPES_H_
