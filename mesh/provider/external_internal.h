// Private helpers shared by external_staking.cc and external_ibc.cc. Not
// part of the provider's API.
#ifndef MESHSEC_MESH_PROVIDER_EXTERNAL_INTERNAL_H_
#define MESHSEC_MESH_PROVIDER_EXTERNAL_INTERNAL_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/provider/types.h"

namespace mesh::provider::ext_internal {

absl::StatusOr<std::optional<Stake>> LoadStake(const Context& ctx, const ConsumerId& c,
                                               const AccountAddress& user,
                                               const ValidatorAddress& v);
// Saves the stake, stamped with the latest stake slash of `v`, and its
// by-user index entry ((user, validator); the records themselves are
// ordered by validator, then user).
absl::Status SaveStake(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                       const ValidatorAddress& v, const Stake& stake);
// Saves the stake only. REQUIRES: its index entry exists (the user came
// from a ValidatorStakes read, or LoadStake found the record: a stake record is
// only ever created by SaveStake and neither is ever deleted): a slash, an
// ack or a later stake then writes one key per user, not two.
absl::Status SaveIndexedStake(const Context& ctx, const ConsumerId& c,
                              const AccountAddress& user, const ValidatorAddress& v,
                              const Stake& stake);
// The stakes of a Stake that the consumer acknowledged with its receive
// height (P-33): the first kInlineAckedStakes stay in Stake::recent; beyond
// them, an AmountLog (core/amount_log.h) in table 0x6E, one key per consumer
// height, whose range the Stake keeps (Stake::acked_stakes_log). Unstakes
// stay in Stake::recent (they are cut in place by slashes, P-43).
inline constexpr size_t kInlineAckedStakes = 4;
// Adds a stake acked for `consumer_height` (the caller saves s).
absl::Status AddAckedStake(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                           const ValidatorAddress& v, Stake& s, uint64_t consumer_height,
                           uint64_t acked_at_ns, Amount amount);
// AmountLogForget of the log's stakes acked before `forget_before_ns`.
// Keeping an expired one longer changes no weight: no infraction that old
// can be reported.
absl::Status ForgetAckedStakes(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                               const ValidatorAddress& v, Stake& s, uint64_t forget_before_ns,
                               uint64_t grace_ns);
// Σ amount of the stakes acked for consumer heights at or after `height`,
// inline and in the log (no store read when the log ends below it).
absl::StatusOr<Amount> AckedStakeSince(const Context& ctx, const ConsumerId& c,
                                       const AccountAddress& user, const ValidatorAddress& v,
                                       const Stake& s, uint64_t height);

// Stake slashes (types.h, StakeSlash): stored once per validator, applied
// to each stake when it is read. Every read below returns stakes that
// reflect them all; a write keeps the stamp of what it read (SaveStake
// stamps a new stake with the latest).
using StakeSlashes = std::vector<std::pair<uint64_t, StakeSlash>>;
// The seq of the latest stake slash of (c, v); 0 if none.
absl::StatusOr<uint64_t> LastStakeSlash(const Context& ctx, const ConsumerId& c,
                                        const ValidatorAddress& v);
// The stake slashes of (c, v) after seq `after`, oldest first.
absl::StatusOr<StakeSlashes> StakeSlashesAfter(const Context& ctx, const ConsumerId& c,
                                               const ValidatorAddress& v, uint64_t after);
// The key of stake slash `seq` of (c, v).
std::string StakeSlashKey(const ConsumerId& c, const ValidatorAddress& v, uint64_t seq);
// Stores `slash` as the next stake slash of (c, v) and returns its seq, and
// deletes the one kMaxStakeSlashesBehind before it, which no stake reads
// any more once the caller has written every stake of v stamped before
// that one (the slash that saves this one writes every stake so far behind,
// external_ibc.cc).
absl::StatusOr<uint64_t> SaveStakeSlash(const Context& ctx, const ConsumerId& c,
                                        const ValidatorAddress& v, const StakeSlash& slash);
// Applies to `s`, `user`'s stake on `v`, the slashes of `slashes` after
// s.slash_seq, in order: each cuts the stake by exactly what that slash
// would have cut it by had it written it (external_ibc.cc, with the slash).
absl::Status CatchUp(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                     const ValidatorAddress& v, const StakeSlashes& slashes, Stake& s);
// A stake this many stake slashes behind is written by the next slash that
// reads it, so a read never replays more.
inline constexpr uint64_t kMaxStakeSlashesBehind = 8;

// Every user with a stake record on `v` (ascending) and that record, read
// by one scan of the validator's records.
struct ValidatorStakes {
  std::vector<AccountAddress> users;
  std::vector<Stake> stakes;  // stakes[i] of users[i], every stake slash applied
  std::vector<uint64_t> stored_seq;  // stakes[i]'s stamp as stored
  uint64_t last_slash = 0;           // the latest stake slash of `v`
};
// Reads them, or, inside a SlashReadScope, takes what an earlier
// ViewValidatorStakes on the same store kept, with no stake written since
// (SaveStake / SaveIndexedStake drop everything kept): handed over (by move
// when no view of it is alive) and not kept any more.
absl::StatusOr<ValidatorStakes> ReadValidatorStakes(const Context& ctx, const ConsumerId& c,
                                                    const ValidatorAddress& v);
// The same read for a reader that changes nothing (the slash guard's bound,
// a slash's weight total): inside a scope it is kept and shared, never
// copied; outside, read for this caller alone.
absl::StatusOr<std::shared_ptr<const ValidatorStakes>> ViewValidatorStakes(
    const Context& ctx, const ConsumerId& c, const ValidatorAddress& v);
// All stake records of `user`, ascending by validator.
absl::StatusOr<std::vector<std::pair<ValidatorAddress, Stake>>> UserStakes(
    const Context& ctx, const ConsumerId& c, const AccountAddress& user);
absl::StatusOr<Distribution> LoadDist(const Context& ctx, const ConsumerId& c,
                                      const ValidatorAddress& v);
absl::Status SaveDist(const Context& ctx, const ConsumerId& c, const ValidatorAddress& v,
                      const Distribution& d);
absl::StatusOr<std::optional<ExternalTx>> LoadTx(const Context& ctx, const ConsumerId& c,
                                                 uint64_t id);
// Records a new tx, and deletes a resolved one. A stake or unstake is also
// counted per (consumer, validator) while it lives (table 0xF6): a slash
// finds nothing in flight on its validator without scanning the txs,
// whose deleted keys RocksDB walks until compacted.
absl::Status SaveTx(const Context& ctx, const ConsumerId& c, const ExternalTx& tx);
absl::Status DeleteTx(const Context& ctx, const ConsumerId& c, const ExternalTx& tx);
// The stakes and unstakes in flight on `v` (0 when none).
absl::StatusOr<uint64_t> TxsInFlight(const Context& ctx, const ConsumerId& c,
                                     const ValidatorAddress& v);
// Increments the u64 counter at `key` (first value `first`) and returns it.
absl::StatusOr<uint64_t> NextCounter(const Context& ctx, const std::string& key, uint64_t first);
absl::StatusOr<uint64_t> NextOwnTxId(const Context& ctx, const ConsumerId& c);
// Appends to the consumer's outbox with timeout now + kPacketTimeoutSeconds.
absl::Status Enqueue(const Context& ctx, const ConsumerId& c, OutboundPacket p);

// The committed stake fell by `low_drop` (low end): keep the user's accrued
// rewards (alignment) and shrink the validator's total stake.
absl::Status CommittedDecrease(Stake& s, Distribution& d, Amount low_drop);

}  // namespace mesh::provider::ext_internal

#endif  // MESHSEC_MESH_PROVIDER_EXTERNAL_INTERNAL_H_
