// Store tables of the provider role (prefixes 0x50-0x6F, and some of 0xE0-0xF7; grammar in
// docs/provider.md). Keys are a one-byte table prefix followed by fields
// encoded with core/codec.h, so a prefix of the fields is a byte prefix of
// the key and scans are ordered by those fields.
#ifndef MESHSEC_MESH_PROVIDER_TABLES_H_
#define MESHSEC_MESH_PROVIDER_TABLES_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/codec.h"
#include "core/kv.h"

namespace mesh::provider::tables {

// Vault.
inline constexpr uint8_t kVaultConfig = 0x50;     // () -> VaultConfig
// 0x51 (liens) and 0x52 (users): an earlier layout, whose liens were
// records of their own; Vault::CheckStoredLayout refuses a store with them.
inline constexpr uint8_t kRetiredLiens = 0x51;
inline constexpr uint8_t kRetiredUsers = 0x52;
inline constexpr uint8_t kActiveExternal = 0x53;  // (consumer) -> ""
inline constexpr uint8_t kVaultTxCount = 0x54;    // () -> u64
inline constexpr uint8_t kVaultTxs = 0x55;        // (u64 id) -> VaultTx
// Local staking.
inline constexpr uint8_t kLocalConfig = 0x58;     // () -> LocalStakingConfig
inline constexpr uint8_t kLocalUsers = 0x59;      // (user) -> LocalUser
// Shared security (docs/shared-security.md): slash throttling, key
// assignment, verified evidence.
inline constexpr uint8_t kThrottle = 0x5A;        // () -> ThrottleState
inline constexpr uint8_t kThrottleQueue = 0x5B;   // (u64 seq) -> queued slash
inline constexpr uint8_t kThrottleSeq = 0x5C;     // () -> u64 last seq
inline constexpr uint8_t kKeyByValidator = 0x5D;  // (consumer, provider valoper) -> pubkey
inline constexpr uint8_t kKeyByAddress = 0x5E;    // (consumer, consumer addr) -> KeyAssignment
inline constexpr uint8_t kKeyPruneQueue = 0x56;   // (u64 prune_at_s, consumer, addr) -> ""
inline constexpr uint8_t kHeldReports = 0x57;     // (consumer, valoper, u64 seq) -> RemoteSlash
inline constexpr uint8_t kEvidencePunished = 0x5F;  // (consumer, validator) -> punishment
// Governance slashing (docs/shared-security.md; allocated from the high
// unused range, docs/state-layout.md).
inline constexpr uint8_t kGovParams = 0xE0;        // () -> GovParams
inline constexpr uint8_t kGovProposals = 0xE1;     // (u64 id) -> SlashProposal
inline constexpr uint8_t kGovVotes = 0xE2;         // (u64 id, raw voter) -> u8 option
inline constexpr uint8_t kGovCount = 0xE3;         // () -> u64 last id
inline constexpr uint8_t kGovVotingQueue = 0xE4;   // (u64 voting_end_s, u64 id) -> ""
inline constexpr uint8_t kGovByInfraction = 0xE5;  // (consumer, valoper, u64 height) -> u64 id
// Shared security, continued (same range).
inline constexpr uint8_t kThrottleQueued = 0xE6;   // (consumer) -> u64 slashes queued
inline constexpr uint8_t kConsumerTimes = 0xE7;    // (consumer, u64 height) -> u64 time_s
// Vault, continued (same range). 0xED (the users' records without the
// deferred-cut accounting of their external liens): an earlier layout;
// Vault::CheckStoredLayout refuses a store with it (the users are in 0xF4).
inline constexpr uint8_t kRetiredUnsettledUsers = 0xED;
// External staking, continued (same range): the stakes' by-user index.
// 0xEE (the stakes ordered by validator, without the stake-slash stamp): an
// earlier layout; ExternalStaking::CheckStoredLayout refuses a store with it.
inline constexpr uint8_t kRetiredUnstampedStakes = 0xEE;
inline constexpr uint8_t kExtStakesByUser = 0xEF;  // (consumer, user, validator) -> ""
// External staking, continued (from 0xF0): the stakes ordered by validator,
// so that a slash reads a validator's stakes by one scan (a user's own
// stakes through the index), and the stake slashes: a slash stored once
// per validator, applied to each stake when it is next read
// (docs/provider.md, "Stake slashes").
// 0xF0 (the stakes without the vault's deferred cut): an earlier layout;
// ExternalStaking::CheckStoredLayout refuses a store with it.
inline constexpr uint8_t kRetiredUncountedStakes = 0xF0;
inline constexpr uint8_t kExtStakeSlashes = 0xF1;  // (consumer, validator, u64 seq) -> StakeSlash
inline constexpr uint8_t kExtStakeSlashSeq = 0xF2;  // (consumer, validator) -> u64 last seq
inline constexpr uint8_t kExtStakes = 0xF3;        // (consumer, validator, user) -> Stake
// Vault (from 0xF4): a user's collateral with its liens; and, per
// consumer, how many stake slashes left their users' vault cuts to be
// settled when the records are next read (docs/provider.md, "Deferred
// vault cuts").
inline constexpr uint8_t kUsers = 0xF4;            // (user) -> UserInfo
inline constexpr uint8_t kExtDeferringSlashes = 0xF5;  // (consumer) -> u64 count
// External staking: the stakes and unstakes in flight per validator, so a
// slash with none skips the scan of the txs (ext_internal::SaveTx).
inline constexpr uint8_t kExtTxsInFlight = 0xF6;   // (consumer, valoper) -> u64 count
// External staking: the stake records per validator (0xF3 entries, never
// deleted), so a slash's read of them is sized before it starts.
inline constexpr uint8_t kExtStakeRecords = 0xF7;  // (consumer, valoper) -> u64 count
// External staking, every key starts with the consumer id.
inline constexpr uint8_t kExtConfig = 0x60;       // (consumer) -> ExternalConfig
// 0x61 (stakes by user) and 0x62 (their by-validator index): an earlier
// layout; ExternalStaking::CheckStoredLayout refuses a store with them.
inline constexpr uint8_t kRetiredExtStakes = 0x61;
inline constexpr uint8_t kRetiredExtStakesByVal = 0x62;
inline constexpr uint8_t kExtDistribution = 0x63; // (consumer, validator) -> Distribution
inline constexpr uint8_t kExtTxCount = 0x64;      // (consumer) -> u64
inline constexpr uint8_t kExtTxs = 0x65;          // (consumer, u64 id) -> ExternalTx
inline constexpr uint8_t kExtValidators = 0x66;   // (consumer, valoper) -> ValidatorHistory
inline constexpr uint8_t kExtOutboxSeq = 0x67;    // (consumer) -> u64
inline constexpr uint8_t kExtOutbox = 0x68;       // (consumer, u64 seq) -> OutboundPacket
inline constexpr uint8_t kExtDeferredSlashes = 0x69;  // (consumer, valoper, slash bytes) -> ""
inline constexpr uint8_t kExtWaitingSlashes = 0x6A;   // (consumer, valoper, u64 seq) -> waiting slash
inline constexpr uint8_t kExtWaitingSeq = 0x6B;       // (consumer) -> u64 last seq
inline constexpr uint8_t kExtOutboxFloor = 0x6C;      // (consumer) -> u64: outbox seqs >= it
inline constexpr uint8_t kThrottleQueuedByVal = 0x6D; // (consumer, valoper) -> u64 slashes queued
inline constexpr uint8_t kExtAckedStakes = 0x6E;  // (consumer, user, valoper, u64 height) -> acked stake
inline constexpr uint8_t kActiveExternalList = 0x6F;  // () -> u32 n, n x str consumer (0x53's keys)

// Keys: leading string fields are length-prefixed (so they can be scanned as
// a prefix), the last string field is raw (so a scan lists it in plain byte
// order, e.g. validators ascending by address).
inline std::string Key(uint8_t table) { return Encoder(table).Take(); }
// Each built in one allocation (a key past the string's inline capacity
// would otherwise grow once per field).
inline std::string Key(uint8_t table, std::string_view a) {
  return Encoder(table).Reserve(1 + a.size()).Raw(a).Take();
}
inline std::string Key(uint8_t table, std::string_view a, std::string_view b) {
  return Encoder(table).Reserve(1 + 4 + a.size() + b.size()).Str(a).Raw(b).Take();
}
inline std::string Key(uint8_t table, std::string_view a, std::string_view b,
                       std::string_view c) {
  return Encoder(table).Reserve(1 + 8 + a.size() + b.size() + c.size()).Str(a).Str(b).Raw(c).Take();
}
inline std::string KeyU64(uint8_t table, uint64_t id) { return Encoder(table).U64(id).Take(); }
inline std::string KeyU64(uint8_t table, std::string_view a, uint64_t id) {
  return Encoder(table).Reserve(1 + 4 + a.size() + 8).Str(a).U64(id).Take();
}
// Scan prefixes over the leading (length-prefixed) fields.
inline std::string Prefix(uint8_t table, std::string_view a) {
  return Encoder(table).Str(a).Take();
}
inline std::string Prefix(uint8_t table, std::string_view a, std::string_view b) {
  return Encoder(table).Str(a).Str(b).Take();
}
// The smallest key strictly greater than `key` (exclusive pagination start
// when the last field is raw).
inline std::string After(std::string key) {
  key.push_back('\0');
  return key;
}

// FailedPrecondition(`message`) when `store` holds a key of any of the
// `retired` tables (an earlier layout whose state would not be read).
inline absl::Status RefuseRetired(const KvReader& store, std::initializer_list<uint8_t> retired,
                                  const char* message) {
  for (const uint8_t table : retired) {
    auto it = store.ScanPrefix(Key(table));
    if (it->Valid()) return absl::FailedPreconditionError(message);
    if (absl::Status s = it->status(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The u64 counter at `key` (a table's count or last seq), or 0 when it was
// never written.
inline absl::StatusOr<uint64_t> CounterOrZero(const KvReader& store, const std::string& key) {
  absl::StatusOr<std::optional<std::string>> raw = store.Get(key);
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) return uint64_t{0};
  Decoder d(**raw);
  absl::StatusOr<uint64_t> value = d.U64();
  if (!value.ok()) return value.status();
  if (absl::Status s = d.Finish(); !s.ok()) return s;
  return *value;
}

// Adds one to (`up`) or takes one from the u64 counter at `key` (absent =
// 0, never below 0), deleting the key at 0. Returns the count before.
inline absl::StatusOr<uint64_t> StepCounter(KvStore& store, const std::string& key, bool up) {
  absl::StatusOr<uint64_t> before = CounterOrZero(store, key);
  if (!before.ok()) return before.status();
  const uint64_t after = up ? *before + 1 : (*before > 0 ? *before - 1 : 0);
  absl::Status s = after == 0 ? store.Delete(key) : store.Put(key, Encoder().U64(after).Take());
  if (!s.ok()) return s;
  return *before;
}

}  // namespace mesh::provider::tables

#endif  // MESHSEC_MESH_PROVIDER_TABLES_H_
