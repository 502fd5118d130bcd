// Internal: the consumer's tables (prefixes 0x70-0x7D) and typed accessors.
//
// Every key is a one-byte table prefix followed by codec fields
// (length-prefixed strings, big-endian integers), so "all entries of provider
// P" and "all entries of (P, validator V)" are prefix scans in key order. The
// layout is documented in docs/consumer.md. Not part of the public API.
#ifndef MESHSEC_MESH_CONSUMER_STATE_H_
#define MESHSEC_MESH_CONSUMER_STATE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "mesh/consumer/types.h"

namespace mesh::consumer::internal {

inline constexpr uint8_t kParamsPrefix = 0x70;          // -> ModuleParams
inline constexpr uint8_t kConfigPrefix = 0x71;          // P -> ProviderConfig
inline constexpr uint8_t kStatePrefix = 0x72;           // P -> ProviderState
inline constexpr uint8_t kPricePrefix = 0x73;           // P -> PriceInfo
inline constexpr uint8_t kBondRequestPrefix = 0x74;     // P, V -> amount
inline constexpr uint8_t kBondedPrefix = 0x75;          // P, V -> amount
inline constexpr uint8_t kRecordPrefix = 0x76;          // P, V, D -> DelegationRecord
inline constexpr uint8_t kValidatorStatusPrefix = 0x77; // V -> ValidatorStatus
inline constexpr uint8_t kPendingRewardPrefix = 0x78;   // P, V -> amount
inline constexpr uint8_t kOutboxPrefix = 0x79;          // P, seq -> OutboxEntry
inline constexpr uint8_t kOutboxSeqPrefix = 0x7A;       // P -> u64 next seq
inline constexpr uint8_t kSlashForwardPrefix = 0x7B;    // P, seq -> ValidatorSlash
inline constexpr uint8_t kSlashForwardSeqPrefix = 0x7C; // P -> u64 next seq
inline constexpr uint8_t kBlockTimePrefix = 0x7D;       // height -> u64 time_s
inline constexpr uint8_t kOutboxFloorPrefix = 0x7E;     // P -> u64: outbox seqs >= it
inline constexpr uint8_t kBlockTimeFloorPrefix = 0x7F;  // -> u64: block-time heights >= it
inline constexpr uint8_t kRecordAdditionPrefix = 0x80;  // P, V, D, u64 height -> RecordAddition
inline constexpr uint8_t kRecordSlashPrefix = 0x81;     // P, V, u64 seq -> RecordSlash
inline constexpr uint8_t kRecordSlashSeqPrefix = 0x82;  // P, V -> u64 last RecordSlash seq

using AmountMap = std::map<ValidatorAddress, Amount>;

absl::StatusOr<ModuleParams> LoadParams(const Context& ctx);

// NotFound for an unregistered provider.
absl::StatusOr<ProviderConfig> LoadConfig(const Context& ctx, const ProviderId& p);
absl::StatusOr<ProviderState> LoadState(const Context& ctx, const ProviderId& p);
absl::Status SaveState(const Context& ctx, const ProviderId& p, const ProviderState& s);
// Registered providers in ascending id order.
absl::StatusOr<std::vector<ProviderId>> AllProviders(const Context& ctx);

// Per-(provider, validator) amounts: bond requests, bonded, pending rewards.
// A missing entry reads as 0. Setting 0 keeps the entry (the reference keeps
// zero entries in bond_requests and bonded).
absl::StatusOr<Amount> GetAmount(const Context& ctx, uint8_t table, const ProviderId& p,
                                 const ValidatorAddress& v);
absl::StatusOr<bool> HasAmount(const Context& ctx, uint8_t table, const ProviderId& p,
                               const ValidatorAddress& v);
absl::Status SetAmount(const Context& ctx, uint8_t table, const ProviderId& p,
                       const ValidatorAddress& v, Amount a);
absl::StatusOr<AmountMap> AllAmounts(const Context& ctx, uint8_t table, const ProviderId& p);
absl::Status ClearAmounts(const Context& ctx, uint8_t table, const ProviderId& p);

// Records and their slashes. A slash of a validator's records is stored as
// one RecordSlash (seq 1, 2, ... per (P, V)); a record remembers the last
// one it reflects (DelegationRecord::slash_seq). LoadRecord and
// ForEachRecord return every record with the later slashes applied, in
// order (ApplyRecordSlash), so each reader sees what cutting every record
// at once would have stored; SaveRecord stores what it is given (a new
// record stamped with the latest seq). docs/consumer.md, "Record slashes".
struct RecordEntry {
  ValidatorAddress validator;
  AccountAddress delegator;
  DelegationRecord record;
};
absl::StatusOr<std::optional<DelegationRecord>> LoadRecord(const Context& ctx,
                                                          const ProviderId& p,
                                                          const ValidatorAddress& v,
                                                          const AccountAddress& d);
absl::Status SaveRecord(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                       const AccountAddress& d, const DelegationRecord& r);
// Deletes the record and its additions.
absl::Status DeleteRecord(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                          const AccountAddress& d);
// A record's stake packets (RecordAddition): the first
// kInlineRecordAdditions live in the record; beyond them, an AmountLog
// (core/amount_log.h) in table 0x80, one key per consumer height, whose
// range the record keeps (DelegationRecord::additions_log). The inline ones
// are always the older.
inline constexpr size_t kInlineRecordAdditions = 4;
// Remembers `a` for `period_s` (the unbonding time: no infraction older than
// that can still be reported), first forgetting the additions received more
// than `period_s` before it (the log's with a grace of period_s / 8); merged
// with an addition of the same height. The caller saves r.
absl::Status AddRecordAddition(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                               const AccountAddress& d, DelegationRecord& r,
                               const RecordAddition& a, uint64_t period_s);
// Σ remote of the record's additions received at or after `height`, inline
// and in the log (no store read when the log ends below it).
absl::StatusOr<Amount> RemoteAddedSince(const Context& ctx, const ProviderId& p,
                                        const ValidatorAddress& v, const AccountAddress& d,
                                        const DelegationRecord& r, uint64_t height);
// r.additions filled with every addition of the record, oldest first.
absl::Status FillAdditions(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                           const AccountAddress& d, DelegationRecord& r);
// Records of provider p (of validator v only, when given), in key order:
// validator, then delegator.
absl::StatusOr<std::vector<RecordEntry>> Records(const Context& ctx, const ProviderId& p,
                                                 const ValidatorAddress* v = nullptr);
// The keys of those records from the page key `from` (core/kv.h VisitFrom,
// over the records of p, or of p's validator v: `key` is the rest of the
// store key), until `visit` returns false. Reads no record.
absl::Status VisitRecordKeys(
    const Context& ctx, const ProviderId& p, const ValidatorAddress* v, std::string_view from,
    bool reverse,
    absl::FunctionRef<absl::StatusOr<bool>(std::string_view key, const ValidatorAddress& val,
                                           const AccountAddress& del)>
        visit);
// The same records, each handed to `visit(validator, delegator, record)`
// (record by value: the visitor may keep it) as it is decoded; stops at the
// first error `visit` returns. `behind`, when given: the positions (in visit
// order) of the records that were more than kRecordSlashesBehind slashes
// behind, which the caller may save to spare later reads the replay.
inline constexpr uint64_t kRecordSlashesBehind = 8;
absl::Status ForEachRecord(
    const Context& ctx, const ProviderId& p, const ValidatorAddress* v,
    const std::function<absl::Status(ValidatorAddress, AccountAddress, DelegationRecord)>& visit,
    std::vector<size_t>* behind = nullptr);
// The same, stopping (OK) where `visit` returns false: the records after it
// are not read.
absl::Status ForEachRecordWhile(
    const Context& ctx, const ProviderId& p, const ValidatorAddress* v,
    const std::function<absl::StatusOr<bool>(ValidatorAddress, AccountAddress,
                                             DelegationRecord)>& visit,
    std::vector<size_t>* behind = nullptr);

// The seq of the last RecordSlash of (p, v); 0 before the first.
absl::StatusOr<uint64_t> LastRecordSlash(const Context& ctx, const ProviderId& p,
                                         const ValidatorAddress& v);
// Stores `s` as the next RecordSlash of (p, v) and returns its seq. The
// caller applies it to every record of (p, v) it keeps in memory
// (ApplyRecordSlash) and sets their slash_seq to it.
absl::StatusOr<uint64_t> AppendRecordSlash(const Context& ctx, const ProviderId& p,
                                           const ValidatorAddress& v, const RecordSlash& s);
// Cuts record (p, v, d) by `s`. `weight`: the record's weight in the split,
// when the caller has it (else the record's remote, or for kCutRemote what
// it held at the infraction, read as RemoteAddedSince does). `remote_part`:
// set to the provider-denom amount cut.
absl::Status ApplyRecordSlash(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                              const AccountAddress& d, const RecordSlash& s, DelegationRecord& r,
                              std::optional<Amount> weight = std::nullopt,
                              Amount* remote_part = nullptr);
// Sets s.split_total = `total`, s.weight_sum = Σ weights and the remainder's
// tail, for the records `delegators` (in key order) with these weights:
// afterwards each record's part (ApplyRecordSlash) is exactly
// SplitByWeight(weights, weights, total)[i].
absl::Status PlanSplit(RecordSlash& s, Amount total, const std::vector<Amount>& weights,
                       const std::vector<const AccountAddress*>& delegators);
// Deletes every RecordSlash of provider p and its seq counters (with its
// records, CloseChannel).
absl::Status DeleteRecordSlashes(const Context& ctx, const ProviderId& p);

absl::StatusOr<ValidatorStatus> GetStatus(const Context& ctx, const ValidatorAddress& v);
absl::Status PutStatus(const Context& ctx, const ValidatorAddress& v, const ValidatorStatus& s);

// Next value of a per-provider sequence stored under `table` (starts at 1).
absl::StatusOr<uint64_t> NextSeq(const Context& ctx, uint8_t table, const ProviderId& p);

// Runs `fn` over a nested Overlay of ctx.store(); commits its writes only if
// it succeeds, and returns its status.
absl::Status RunIsolated(const Context& ctx, const std::function<absl::Status(const Context&)>& fn);

// The staking bond denom (the local denom of virtual stake and rewards).
absl::StatusOr<Denom> LocalDenom(const Context& ctx);

// Key prefix "table ‖ P".
std::string ProviderPrefix(uint8_t table, const ProviderId& p);

}  // namespace mesh::consumer::internal

#endif  // MESHSEC_MESH_CONSUMER_STATE_H_
