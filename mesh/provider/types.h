// Plain-data records of the provider role and their canonical encodings.
//
// Every record here is stored in the chain's KvStore under a table of
// mesh/provider/tables.h and encodes with core/codec.h (grammar in
// docs/provider.md). Value types; deterministic.
#ifndef MESHSEC_MESH_PROVIDER_TYPES_H_
#define MESHSEC_MESH_PROVIDER_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/amount_log.h"
#include "core/codec.h"
#include "core/dec.h"
#include "core/ids.h"
#include "core/split_plan.h"
#include "core/uint256.h"
#include "mesh/provider/value_range.h"

namespace mesh::provider {

// One consumer chain as seen by the provider (one external-staking instance).
using ConsumerId = StrongString<struct ConsumerIdTag>;

// A lien holder: the local staking module or one consumer's external staking.
// Its key string is "local" for local staking and "x/<consumer>" otherwise,
// so liens of a user iterate local first, then consumers by id.
struct LienHolder {
  bool local = false;
  ConsumerId consumer;  // empty when local

  static LienHolder Local() { return LienHolder{true, ConsumerId()}; }
  static LienHolder External(ConsumerId c) { return LienHolder{false, std::move(c)}; }
  std::string Key() const;
  static absl::StatusOr<LienHolder> FromKey(std::string_view key);
  // Key() < other.Key(), without building the keys.
  static bool KeyLess(const LienHolder& a, const LienHolder& b);
  friend bool operator==(const LienHolder&, const LienHolder&) = default;
};

// Vault configuration (mesh-provider.md §1.1).
struct VaultConfig {
  Denom denom;
  bool local_staking = false;  // false: local staking disabled
  Dec local_max_slash;         // slash ratio of local liens
  void Encode(Encoder& e) const;
  static absl::StatusOr<VaultConfig> Decode(Decoder& d);
};

// One lien of a user toward a lien holder.
struct Lien {
  AmountRange amount;
  Dec slashable;  // fixed when the lien is created
  // External liens only (docs/provider.md, "Deferred vault cuts"): the sum
  // of the holder's stakes' Stake::vault_cut this lien has taken, and the
  // holder's count of deferring stake slashes when it was taken (at or
  // above the current count, nothing is left to take).
  Amount absorbed;
  uint64_t settled_at = 0;
  void Encode(Encoder& e) const;
  static absl::StatusOr<Lien> Decode(Decoder& d);
};

// A user's liens, one per holder. Inline up to two (a lone external lien,
// or the usual mesh user's local and one external): a slash decodes every
// user record of a validator, and a heap list each cost an allocation and
// a free per user (docs/perf-history.md).
using LienList = absl::InlinedVector<std::pair<LienHolder, Lien>, 2>;

// Per-user vault record: the collateral and every lien on it, in one
// record (a stake, a slash, an unstake read and write one key per user).
// Max lien and total slashable are derived from the liens (Vault::Account),
// never stored (docs/compatibility.md).
struct UserInfo {
  Amount collateral;
  // Ascending by holder key (LienHolder::Key: local first, then consumers
  // by id), one per holder, none empty (an emptied lien is dropped).
  LienList liens;
  void Encode(Encoder& e) const;
  // DataLoss for holders out of order, repeated, or an empty lien.
  static absl::StatusOr<UserInfo> Decode(Decoder& d);
};

// A remote stake in flight, as recorded by the vault (`in_flight_staking`).
struct VaultTx {
  uint64_t id = 0;
  Amount amount;
  Dec slashable;
  AccountAddress user;
  LienHolder holder;
  void Encode(Encoder& e) const;
  static absl::StatusOr<VaultTx> Decode(Decoder& d);
};

// Local staking configuration (mesh-provider.md §1.4).
struct LocalStakingConfig {
  Denom denom;
  Dec slash_ratio_dsign;
  Dec slash_ratio_offline;
  void Encode(Encoder& e) const;
  static absl::StatusOr<LocalStakingConfig> Decode(Decoder& d);
};

// Per-user local staking record (the reference's per-user proxy contract).
struct LocalUser {
  Amount burned;  // cumulative amount withheld because of slash propagation
  // Every validator the user's proxy delegates to, ascending as the proxy's
  // delegation keys (LocalStaking::Delegations' order), and perhaps some it
  // no longer does: native staking can end a delegation on its own (the
  // slash of a redelegation unbonds from its destination), and only
  // LocalStaking creates them. nullopt in a record written before the list
  // was kept: the proxy's delegations are scanned, and the next write keeps
  // the list.
  std::optional<std::vector<ValidatorAddress>> validators = std::vector<ValidatorAddress>();
  // Whether a's delegation key sorts before b's (for the same delegator).
  static bool KeyOrder(const ValidatorAddress& a, const ValidatorAddress& b);
  void Encode(Encoder& e) const;
  static absl::StatusOr<LocalUser> Decode(Decoder& d);
};

// External staking configuration of one consumer (mesh-provider.md §1.6).
struct ExternalConfig {
  Denom denom;            // provider (vault) denom
  Denom rewards_denom;    // consumer reward denom label
  uint64_t unbonding_period_s = 0;
  Dec slash_ratio_dsign;
  Dec slash_ratio_offline;
  bool closed = false;    // the channel was closed
  // A double-sign slash the consumer reports (an entry for a tombstoned
  // validator) is not applied: the provider slashes a double sign only on
  // verified evidence (ConsumerEvidence; docs/shared-security.md). Stored
  // as a trailing field, absent (false) in records written before it.
  bool require_verified_evidence = false;
  void Encode(Encoder& e) const;
  static absl::StatusOr<ExternalConfig> Decode(Decoder& d);
};

struct PendingUnbond {
  Amount amount;
  uint64_t release_at_ns = 0;
  friend bool operator==(const PendingUnbond&, const PendingUnbond&) = default;
};

// The neutral (zero) value of a stored points alignment: 2^255 - 1.
U256 NeutralAlignment();

// A stake or unstake of a Stake that the consumer acknowledged with its
// receive height (packets::ReceiptAck), kept for the unbonding period so a
// slash can be apportioned by what the consumer held (docs/provider.md).
// (The amount first and the flag last: 48 bytes, not 64 with the padding
// around a leading flag.)
struct AckedChange {
  Amount amount;              // stake: committed; unstake: moved to the unbond
  uint64_t consumer_height = 0;
  uint64_t acked_at_ns = 0;   // provider time of the ack (pruning)
  uint64_t release_at_ns = 0; // unstake: release time of its pending unbond
  bool unstake = false;
  friend bool operator==(const AckedChange&, const AckedChange&) = default;
};

// A user's virtual stake on one remote validator. (The 16-byte fields
// first: a slash holds every stake of a validator in memory, and padding
// between fields of mixed alignment cost 16 bytes a stake.)
struct Stake {
  AmountRange stake;
  U256 points_alignment = NeutralAlignment();  // real value + (2^255 - 1)
  Amount withdrawn_funds;
  Amount withdrawing;  // rewards in flight to the consumer (reserved)
  // Every cut the stake slashes it caught up on took from it, in total:
  // the vault takes them from the user's collateral and lien when it next
  // reads the user's record (Lien::absorbed; docs/provider.md, "Deferred
  // vault cuts"). Bookkeeping between the stake and the vault: == ignores it.
  Amount vault_cut;
  // Changes acked with a consumer height, oldest first: unstakes, and up to
  // four stakes (the rest are in table 0x6E, ext_internal::AddAckedStake).
  // Inline up to one (most stakes hold their last ack alone): a slash
  // decodes every stake of a validator, and a heap list each cost an
  // allocation and a free per stake.
  absl::InlinedVector<AckedChange, 1> recent;
  std::vector<PendingUnbond> pending_unbonds;
  // The range of the acked stakes in table 0x6E (positions: consumer
  // heights; times: provider ns of the ack).
  AmountLogRange acked_stakes_log;
  // The last stake slash of its validator (table 0xF1) this record
  // reflects: the later ones are applied when it is read
  // (ext_internal::LoadStake). Bookkeeping, not state: == ignores it.
  uint64_t slash_seq = 0;
  // Set when the user's vault record may hold a lien other than this
  // consumer's (the vault marks every stake of the user when a record gains
  // a second lien; never cleared): a slash leaves such a stake's cut to its
  // read only when the vault finds that the record's cut can wait
  // (Vault::CutsCanWait: it could propagate). Bookkeeping: == ignores it.
  bool shared = false;
  void Encode(Encoder& e) const;
  static absl::StatusOr<Stake> Decode(Decoder& d);
  // Decode into `s`, a new Stake (a validator's read decodes each stake in
  // its place in the list).
  static absl::Status DecodeInto(Decoder& d, Stake& s);
  friend bool operator==(const Stake& a, const Stake& b) {
    return a.stake == b.stake && a.pending_unbonds == b.pending_unbonds &&
           a.points_alignment == b.points_alignment && a.withdrawn_funds == b.withdrawn_funds &&
           a.withdrawing == b.withdrawing && a.recent == b.recent &&
           a.acked_stakes_log == b.acked_stakes_log;
  }
};

// One remote slash of a validator's stakes, stored once (table 0xF1, seq 1,
// 2, ... per (consumer, validator)) instead of rewriting every stake it
// cuts: a stake that has not reflected it yet (Stake::slash_seq) is cut when
// next read, by exactly what the slash would have cut then
// (docs/provider.md, "Stake slashes"). Only stakes whose whole cut is their
// share of the split, taken from committed stake, are left to it; the
// slash writes the others itself, stamped with its seq.
struct StakeSlash {
  // A stake's weight: what it held at the infraction (external_ibc.cc,
  // HeldAtSlash: committed stake, plus unstakes the consumer processed after
  // the update, less stakes acked for the infraction height or later).
  uint64_t infraction_height = 0;
  uint64_t update_height = 0;
  U256 points_per_stake;  // the validator's, for the stake's reward alignment
  SplitPlan split;        // of the slash over every stake's weight, users in byte order
  void Encode(Encoder& e) const;
  static absl::StatusOr<StakeSlash> Decode(Decoder& d);
};

// Reward accounting of one remote validator (mesh-provider.md §5.1).
struct Distribution {
  Amount total_stake;
  U256 points_per_stake;
  U256 points_leftover;
  void Encode(Encoder& e) const;
  static absl::StatusOr<Distribution> Decode(Decoder& d);
};

// A transaction of one external staking instance waiting for its ack.
struct ExternalTx {
  enum class Kind : uint8_t { kStake = 1, kUnstake = 2, kTransferRewards = 3 };
  Kind kind = Kind::kStake;
  uint64_t id = 0;  // the vault's id for kStake, own id (>= 2^63) otherwise
  Amount amount;
  AccountAddress user;
  ValidatorAddress validator;
  void Encode(Encoder& e) const;
  static absl::StatusOr<ExternalTx> Decode(Decoder& d);
};

// An outbound effect toward a consumer: the IBC layer turns it into a
// ProviderPacket and later calls the matching ack/timeout handler with
// `tx_id` (kBurn has none).
struct OutboundPacket {
  enum class Kind : uint8_t { kStake = 1, kUnstake = 2, kBurn = 3, kTransferRewards = 4 };
  Kind kind = Kind::kStake;
  uint64_t tx_id = 0;
  AccountAddress delegator;               // stake / unstake
  std::vector<ValidatorAddress> validators;  // one entry except for an empty burn
  Amount amount;
  Denom denom;            // provider denom; rewards denom for transfers
  std::string recipient;  // transfer_rewards: consumer address
  uint64_t timeout_ns = 0;
  void Encode(Encoder& e) const;
  static absl::StatusOr<OutboundPacket> Decode(Decoder& d);
};

// Remote validator state (mesh-provider.md §6).
enum class RemoteState : uint8_t {
  kUnknown = 0,
  kActive = 1,
  kUnbonded = 2,
  kJailed = 3,
  kTombstoned = 4,
};
const char* RemoteStateName(RemoteState s);

struct ValState {
  std::string pub_key;
  uint64_t start_height = 0;
  uint64_t start_time = 0;  // unix seconds (consumer clock)
  RemoteState state = RemoteState::kUnknown;
  friend bool operator==(const ValState&, const ValState&) = default;
};

// History of one remote validator, sorted by start_height descending.
struct ValidatorHistory {
  std::vector<ValState> entries;
  void Encode(Encoder& e) const;
  static absl::StatusOr<ValidatorHistory> Decode(Decoder& d);
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_TYPES_H_
