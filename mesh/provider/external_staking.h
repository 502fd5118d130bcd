// ExternalStaking: the provider's lien holder for one consumer chain
// (mesh-provider.md §2.4-2.5, §3, §4.2, §5, §6, §7).
//
// Users' virtual stakes per remote validator are value ranges; every change
// that needs the consumer is two-phase: prepared here, queued as an
// OutboundPacket in the consumer's outbox (with the tx id its ack will
// name), committed or rolled back by the On*Ack / OnTimeout handlers the IBC
// layer calls. Those handlers never fail on valid state (they clamp when a
// slash moved a range in between). Receive handlers (valset update with
// slashes, internal unstake, reward distribution) return OK or a rejection;
// the IBC layer then writes an error ack and discards the overlay.
//
// Tx ids: remote stakes use the vault's id; this instance's own txs
// (unstake, transfer rewards) count from 2^63. Burns carry no tx id.
//
// Stateless: state in ctx.store() under its tables of mesh/provider/tables.h
// (0x60-0x6E, 0xEF-0xF3, 0xF5-0xF7), keyed by consumer.
// Deterministic. Rejections: InvalidArgument, NotFound, FailedPrecondition.
#ifndef MESHSEC_MESH_PROVIDER_EXTERNAL_STAKING_H_
#define MESHSEC_MESH_PROVIDER_EXTERNAL_STAKING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/provider/types.h"

namespace mesh::provider {

inline constexpr uint64_t kPacketTimeoutSeconds = 600;
inline constexpr uint64_t kFirstOwnTxId = (~uint64_t{0} >> 1) + 1;  // 2^63

inline constexpr char kErrNotActive[] = "not listed as an active validator on consumer";
inline constexpr char kErrNoRewards[] = "No staking rewards to be withdrawn";
inline constexpr char kErrClosed[] = "the channel to the consumer is closed";
inline constexpr char kErrSlashWaitsInMeter[] =
    "a slash of this validator waits in the slash meter; resend later";
inline constexpr char kErrUnstakeSlashWaits[] =
    "a slash of this validator reported by the consumer waits in the slash meter; "
    "the stake keeps its amount until it is handled";
inline constexpr char kHeldBySlashInMeter[] =
    "held: a slash of this validator reported by the consumer waits in the slash meter";

// Burn amounts collected during one vault slash, per (consumer, validator).
using BurnAggregator = std::map<std::pair<std::string, std::string>, Amount>;

// Plain-data form of the consumer's `valset_update` packet.
struct RemoteSlash {
  ValidatorAddress validator;
  uint64_t infraction_height = 0;
  uint64_t infraction_time = 0;  // unix seconds
  uint64_t power = 0;
  Amount amount;                 // already in provider denom
  std::string slash_ratio;       // decimal string
  uint64_t update_height = 0;    // consumer height of the update carrying it
  // Provider time (ns) the report arrived, set when it waits in the slash
  // meter's queue; 0 = now. Unbonds of the validator that mature while it
  // waits are held (ExternalStaking::HeldUnbonds) and stay slashable as if
  // it had been handled on arrival.
  uint64_t received_at_ns = 0;
};

// The consumer's receipt in a success ack of `stake` / `unstake`
// (packets::ReceiptAck): the consumer height it processed the packet at and,
// for an unstake, what of it a forwarded slash had already cut from the
// delegator's record there (the consumer's validator total dropped by
// amount - absorbed). Absent for a reference consumer (`{}`).
struct AckReceipt {
  uint64_t height = 0;
  Amount absorbed;
};
struct ValsetUpdate {
  uint64_t height = 0;
  uint64_t time = 0;  // unix seconds
  std::vector<std::pair<ValidatorAddress, std::string>> additions;  // (valoper, pub_key)
  std::vector<ValidatorAddress> removals;
  std::vector<std::pair<ValidatorAddress, std::string>> updated;
  std::vector<ValidatorAddress> jailed;
  std::vector<ValidatorAddress> unjailed;
  std::vector<ValidatorAddress> tombstoned;
  std::vector<RemoteSlash> slashed;
};

// What the provider knows of a consumer's clock at a height, from the
// (height, time) of the valset updates it received (table 0xE7; entries
// older than the link's unbonding period are pruned, except the newest of
// them). `known` is false before the first update; `time_at_or_after` is
// the time of the lowest recorded height ≥ the height asked (an upper bound
// of the block's time there), nullopt when the height is above every
// recorded one (the block is newer than the last update).
struct ConsumerTimeBound {
  bool known = false;
  std::optional<uint64_t> time_at_or_after;
};

struct StakeEntry {
  AccountAddress user;
  ValidatorAddress validator;
  Stake stake;
};

// Inside one consumer packet's handling: the stakes of a validator's users
// that SlashGuard::Check reads for its bound are kept and handed to the
// slash of that validator applied in the same packet (ApplyRemoteSlash), so
// a slash reads each user's stake once instead of twice. A copy is used only
// on the store it was read from, once, and only while no stake record was
// written since (every stake write drops the kept copies): a reader gets
// exactly what a store read would return. Open it around the guard and the
// valset update on the same Context; a scope opened inside another is inert
// (the outer one keeps). The state machine is single-threaded; the scope is
// per thread.
class SlashReadScope {
 public:
  SlashReadScope();
  ~SlashReadScope();
  SlashReadScope(const SlashReadScope&) = delete;
  SlashReadScope& operator=(const SlashReadScope&) = delete;

 private:
  bool owner_;
};

class ExternalStaking {
 public:
  // InvalidArgument for a ratio above 1, an empty or reserved consumer id.
  static absl::Status Init(const Context& ctx, const ConsumerId& consumer,
                           const ExternalConfig& config);
  static absl::StatusOr<ExternalConfig> Config(const Context& ctx, const ConsumerId& consumer);

  // --- Called by the vault.
  // Requires the link open (`cfg`: the consumer's Config, as the vault
  // just read it) and the validator Active; stake.high += amount; records
  // the tx under the vault's `tx_id` and queues a `stake` packet. `shared`:
  // the user's vault record holds another lien too (Stake::shared).
  static absl::Status ReceiveVirtualStake(const Context& ctx, const ConsumerId& consumer,
                                          const ExternalConfig& cfg,
                                          const AccountAddress& user, Amount amount,
                                          uint64_t tx_id, const ValidatorAddress& validator,
                                          bool shared);
  // Marks every stake of `user` on `consumer` shared (Stake::shared): the
  // user's vault record gained a second lien.
  static absl::Status MarkShared(const Context& ctx, const ConsumerId& consumer,
                                 const AccountAddress& user);
  // Slash propagation: removes `amount` from the user's stakes (on
  // `validator` or spread over all), then from pending unbonds if the stakes
  // do not cover it; the consumer-facing part is added to `burns`.
  static absl::Status BurnVirtualStake(const Context& ctx, const ConsumerId& consumer,
                                       const AccountAddress& user, Amount amount,
                                       const std::optional<ValidatorAddress>& validator,
                                       BurnAggregator& burns);
  // Queues one `burn` packet per aggregated (consumer, validator).
  static absl::Status FlushBurns(const Context& ctx, const BurnAggregator& burns);
  // Deferred vault cuts (docs/provider.md): how many stake slashes of
  // `consumer` left a cut of their users' vault records to their next read
  // (0 if none); and the sum of Stake::vault_cut over `user`'s stakes on
  // `consumer`, every stake slash applied: what those cuts took, in total,
  // since the user first staked there.
  static absl::StatusOr<uint64_t> DeferringSlashes(const Context& ctx, const ConsumerId& consumer);
  static absl::StatusOr<Amount> VaultCut(const Context& ctx, const ConsumerId& consumer,
                                         const AccountAddress& user);

  // --- User operations.
  // Requires stake.low >= amount > 0; returns the tx id. While slashes of
  // `validator` reported by `consumer` wait in the slash meter's queue, the
  // stake keeps reserve = SlashThrottle::Reserve (the user's share of each,
  // rounded up, + 1; at most stake.low) and an unstake
  // above stake.low − reserve fails with FailedPrecondition
  // kErrUnstakeSlashWaits (": up to X can be unstaked"): the consumer has
  // already cut the user's record by his share (never above a slash's
  // amount), so that part of his stake here still owes it — the consumer
  // would take an unstake of it from the validator's other records (C-20)
  // and the others would pay his share (P-45).
  static absl::StatusOr<uint64_t> Unstake(const Context& ctx, const ConsumerId& consumer,
                                          const AccountAddress& user,
                                          const ValidatorAddress& validator, Amount amount);
  // Releases every matured unbond of the user and the matching lien amount,
  // except those of a validator of which a slash reported by `consumer`
  // waits in the slash meter's queue: they stay pending (HeldUnbonds) until
  // every such slash is handled and may still be cut by it (P-45); the next
  // withdraw after that releases them. One point read per validator with a
  // matured unbond.
  static absl::StatusOr<Amount> WithdrawUnbonded(const Context& ctx, const ConsumerId& consumer,
                                                 const AccountAddress& user);
  // A matured unbond that WithdrawUnbonded holds back, with the reason.
  struct HeldUnbond {
    ValidatorAddress validator;
    PendingUnbond unbond;
    std::string reason;  // kHeldBySlashInMeter
  };
  // The user's matured unbonds held now, ascending by validator.
  static absl::StatusOr<std::vector<HeldUnbond>> HeldUnbonds(const Context& ctx,
                                                             const ConsumerId& consumer,
                                                             const AccountAddress& user);
  // Reserves the pending reward and queues `transfer_rewards`; returns the tx
  // id. FailedPrecondition "No staking rewards to be withdrawn" when zero.
  static absl::StatusOr<uint64_t> WithdrawRewards(const Context& ctx, const ConsumerId& consumer,
                                                  const AccountAddress& user,
                                                  const ValidatorAddress& validator,
                                                  const std::string& remote_recipient);

  // --- Acks and timeouts (never fail on valid state).
  // With a receipt, the commit is remembered with the consumer height
  // (Stake::recent, pruned after the unbonding period); without one the
  // change counts as seen by the consumer before any slash still to come
  // (the rule before receipts). Either resolves the slashes waiting for
  // this tx (docs/provider.md "Slashes and stake in flight").
  static absl::Status OnStakeAck(const Context& ctx, const ConsumerId& consumer, uint64_t tx_id,
                                 bool success,
                                 const std::optional<AckReceipt>& receipt = std::nullopt);
  // A success with a receipt removes amount - absorbed from the stake (the
  // consumer's drop; what a slash already took from this unstake in flight
  // is not removed twice; P-33).
  static absl::Status OnUnstakeAck(const Context& ctx, const ConsumerId& consumer,
                                   uint64_t tx_id, bool success,
                                   const std::optional<AckReceipt>& receipt = std::nullopt);
  static absl::Status OnTransferRewardsAck(const Context& ctx, const ConsumerId& consumer,
                                           uint64_t tx_id, bool success);
  // A refused or timed-out burn is queued again (P-27; the reference only
  // logs it): the provider has already cut the stakes, so the consumer must
  // burn too or the two ends disagree for good. Nothing once the channel
  // is closed.
  static absl::Status OnBurnAck(const Context& ctx, const ConsumerId& consumer,
                                const OutboundPacket& packet, bool success);
  // A timeout is an error ack for the packet's tx.
  static absl::Status OnTimeout(const Context& ctx, const ConsumerId& consumer,
                                const OutboundPacket& packet);
  // Provider-initiated close: resolves every pending tx (stakes rolled back,
  // unstakes and reward transfers dropped), moves every stake to an
  // immediately releasable unbond and refuses further packets.
  static absl::Status CloseChannel(const Context& ctx, const ConsumerId& consumer);
  // FailedPrecondition for a store written by an earlier build whose stake
  // records were ordered by user (tables 0x61, 0x62), lacked the stake-slash
  // stamp (0xEE) or the vault's deferred cut (0xF0): their state would not
  // be read (Application::Open calls it).
  static absl::Status CheckStoredLayout(const Context& ctx);

  // --- Consumer packets.
  static absl::Status OnValsetUpdate(const Context& ctx, const ConsumerId& consumer,
                                     const ValsetUpdate& update);
  // Zero-max-cap / tombstone force unbond, released at once: min(amount,
  // the delegator's stake), and the rest, up to the validator's committed
  // total, from the other users' committed stakes on the validator in
  // proportion to them (P-24). Never NotFound: a delegator with no stake
  // here gives up nothing of its own. FailedPrecondition (error ack; the
  // consumer resends later) while part of the delegator's own share is a
  // stake still in flight, or while a slash of the validator waits in the
  // slash meter (kErrSlashWaitsInMeter: the consumer applied it first).
  static absl::Status OnInternalUnstake(const Context& ctx, const ConsumerId& consumer,
                                        const AccountAddress& delegator,
                                        const ValidatorAddress& validator, Amount amount);
  static absl::Status OnDistribute(const Context& ctx, const ConsumerId& consumer,
                                   const ValidatorAddress& validator, const Denom& denom,
                                   Amount amount);
  static absl::Status OnDistributeBatch(
      const Context& ctx, const ConsumerId& consumer, const Denom& denom,
      const std::vector<std::pair<ValidatorAddress, Amount>>& rewards);
  // Remote slash of `validator` (§4.2 step 3): the consumer's absolute
  // amount becomes an effective ratio over the stakes' high ends (capped at
  // 1); unbonds that started after `infraction_time` lose `ratio`.
  static absl::Status HandleSlashing(const Context& ctx, const ConsumerId& consumer,
                                     const ValidatorAddress& validator, Dec ratio,
                                     Amount slash_amount, uint64_t infraction_time);
  // The slash of a valset update (P-33): once no stake or unstake on the
  // validator that was in flight when it came is pending any more (else it
  // waits, in order, table 0x6A), `slash.amount` is apportioned with
  // SplitByWeight over what the consumer held for each user at the
  // infraction: committed stake, plus unstakes it had not processed by
  // `slash.update_height` (in flight, or acked with a later height), less
  // stakes it received at or after `slash.infraction_height`. Each share is
  // cut from the committed stake first, then from the unstake in flight,
  // then from the unbond of an unstake acked after the update.
  static absl::Status HandleRemoteSlash(const Context& ctx, const ConsumerId& consumer,
                                        const RemoteSlash& slash);
  // One slash entry of a consumer's report, once SlashThrottle lets it
  // through: judged against the validator history at its infraction height
  // (applied through HandleRemoteSlash, deferred, or dropped when the
  // validator was tombstoned then). InvalidArgument for a bad ratio.
  static absl::Status ApplyReportedSlash(const Context& ctx, const ConsumerId& consumer,
                                         const RemoteSlash& slash);
  // Whether ApplyReportedSlash would apply `slash` now (the validator is
  // Active at its infraction height in the history), rather than defer or
  // drop it. The slash meter judges a report when it arrives, before the
  // rest of its packet changes the history.
  static absl::StatusOr<bool> ReportedSlashApplies(const Context& ctx, const ConsumerId& consumer,
                                                   const RemoteSlash& slash);
  // Σ over the validator's users of the P-33 weight HandleRemoteSlash
  // would give each for `slash` now (what the consumer held at the
  // infraction). One pass over the validator's stakes and the consumer's
  // txs, as the slash's own handling does; the slash meter stores it when
  // it queues the slash (P-45).
  static absl::StatusOr<Amount> SlashWeightTotal(const Context& ctx, const ConsumerId& consumer,
                                                 const RemoteSlash& slash);
  // An upper bound of `stake`'s P-33 weight for `slash`: the weight with
  // any stake in flight counted as held. The user's later changes do not
  // raise his weight above it: an unstake moves from the committed stake to
  // the unstake in flight, then (acked after the update) to an acked change
  // that still counts; a stake acked at or after the infraction height is
  // taken off again. Only a slash or burn of his stake lowers it.
  static absl::StatusOr<Amount> SlashWeightBound(const Context& ctx, const ConsumerId& consumer,
                                                 const AccountAddress& user, const Stake& stake,
                                                 const RemoteSlash& slash);
  static absl::StatusOr<ConsumerTimeBound> ConsumerTimeAt(const Context& ctx,
                                                          const ConsumerId& consumer,
                                                          uint64_t height);
  // A slash waiting for in-flight txs (table 0x6A): its position and the
  // ids of the stake / unstake txs it still waits on.
  struct WaitingSlash {
    uint64_t seq = 0;
    RemoteSlash slash;
    std::vector<uint64_t> awaited;
  };
  // Every slash of `consumer` waiting for in-flight txs, by (validator, seq).
  static absl::StatusOr<std::vector<WaitingSlash>> AllWaitingSlashes(const Context& ctx,
                                                                     const ConsumerId& consumer);
  // The slashes waiting on `validator` for in-flight txs, in arrival order.
  static absl::StatusOr<std::vector<RemoteSlash>> WaitingSlashes(
      const Context& ctx, const ConsumerId& consumer, const ValidatorAddress& validator);

  // --- Outbox.
  static absl::StatusOr<std::vector<OutboundPacket>> Outbox(const Context& ctx,
                                                            const ConsumerId& consumer);
  // Returns and removes the queued packets, oldest first.
  static absl::StatusOr<std::vector<OutboundPacket>> DrainOutbox(const Context& ctx,
                                                                 const ConsumerId& consumer);

  // --- Queries.
  static absl::StatusOr<Stake> GetStake(const Context& ctx, const ConsumerId& consumer,
                                        const AccountAddress& user,
                                        const ValidatorAddress& validator);
  // Ascending by validator.
  static absl::StatusOr<std::vector<StakeEntry>> Stakes(
      const Context& ctx, const ConsumerId& consumer, const AccountAddress& user,
      const std::optional<ValidatorAddress>& start_after = std::nullopt,
      std::optional<uint64_t> limit = std::nullopt);
  // Lists of stakes for queries, read from the store from a page key
  // (core/kv.h VisitFrom: ascending from the first key >= `from`, or
  // descending from the last <= it; "" = the start, or the end), until
  // `visit` returns false; keys only, no stake is decoded (GetStake reads a
  // page's).
  // The users staking on `validator`, by user; the page key is the user.
  static absl::Status VisitValidatorUsers(
      const Context& ctx, const ConsumerId& consumer, const ValidatorAddress& validator,
      std::string_view from, bool reverse,
      absl::FunctionRef<absl::StatusOr<bool>(const AccountAddress& user)> visit);
  // Every (user, validator) with a stake, in store order (by user, then
  // validator, users compared by length first); the page key is opaque.
  static absl::Status VisitStakeKeys(
      const Context& ctx, const ConsumerId& consumer, std::string_view from, bool reverse,
      absl::FunctionRef<absl::StatusOr<bool>(std::string_view key, const AccountAddress& user,
                                             const ValidatorAddress& validator)>
          visit);
  static absl::StatusOr<Amount> PendingRewards(const Context& ctx, const ConsumerId& consumer,
                                               const AccountAddress& user,
                                               const ValidatorAddress& validator);
  static absl::StatusOr<std::vector<std::pair<ValidatorAddress, Amount>>> AllPendingRewards(
      const Context& ctx, const ConsumerId& consumer, const AccountAddress& user);
  static absl::StatusOr<Distribution> GetDistribution(const Context& ctx,
                                                      const ConsumerId& consumer,
                                                      const ValidatorAddress& validator);
  static absl::StatusOr<ExternalTx> PendingTx(const Context& ctx, const ConsumerId& consumer,
                                              uint64_t tx_id);
  static absl::StatusOr<std::vector<ExternalTx>> AllPendingTxsDesc(
      const Context& ctx, const ConsumerId& consumer,
      std::optional<uint64_t> start_after = std::nullopt,
      std::optional<uint64_t> limit = std::nullopt);
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_EXTERNAL_STAKING_H_

