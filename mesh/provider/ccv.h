// CcvProvider: the provider side of the replicated and opt-in (partial-set)
// link modes (neighbours.md §2.2, §2.4, §2.9; docs/shared-security.md).
//
// For every consumer whose link is replicated or opt-in, the provider
// decides the consumer's consensus validator set and sends its changes:
//   * at each epoch boundary (height % blocks_per_epoch == 0), and at every
//     block until the first set was queued (launch), it computes the next
//     consumer set from the provider's bonded validators (ComputeNextSet:
//     top N, opt-ins, allow/deny lists, min stake, set cap, power cap), with
//     each validator's consumer key (ConsumerKeyOf), diffs it against the
//     stored set and queues a VSC with the current vscID when the diff or the
//     pending slash acks are non-empty; the vscID then increments once;
//   * every end block, before that, records VSCtoH[current vscID] = h + 1.
// Slash packets from a consumer (OnSlashPacket) are judged in ICS order and
// return what to punish; the application layer does the punishment.
// Unbonding follows ADR-018 by default: no VSCMatured pausing, the provider
// unbonding period alone bounds unbonding (VSCMatured packets are
// acknowledged and ignored). A link with unbonding_waits_for_maturity
// restores the ICS v1-v4 rule instead (neighbours.md §2.3; "Unbonding waits
// for maturity" below and docs/shared-security.md).
//
// State (docs/state-layout.md, 0xB0-0xB7, 0xE8-0xEA, 0xEB-0xEC). Stateless
// class; deterministic.
#ifndef MESHSEC_MESH_PROVIDER_CCV_H_
#define MESHSEC_MESH_PROVIDER_CCV_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/codec.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/provider/types.h"

namespace mesh::provider {

enum class LinkMode : uint8_t { kMesh = 0, kReplicated = 1, kOptIn = 2 };
const char* LinkModeName(LinkMode m);
absl::StatusOr<LinkMode> ParseLinkMode(std::string_view s);

// Power shaping of a consumer's set (ICS PowerShapingParameters).
struct PowerShaping {
  uint32_t top_n = 100;                 // 0 (pure opt-in) or [50, 100]
  uint32_t validators_power_cap = 0;    // percent in [1, 100]; 0 = no cap
  uint32_t validator_set_cap = 0;       // most validators; 0 = no cap
  std::vector<ValidatorAddress> allowlist;  // non-empty: only these
  std::vector<ValidatorAddress> denylist;   // never these (wins over the allowlist)
  Amount min_stake;                     // bonded tokens below this are excluded
  // Kept first by validator_set_cap (then by power); no effect on the powers.
  std::vector<ValidatorAddress> prioritylist;
  // false (ICS default): only validators in the provider's active set (status
  // Bonded, the top staking max_validators) are eligible. true: also the
  // unjailed, untombstoned validators ranked below the active set (this
  // engine's stand-in for ICS's bonded-but-inactive validators, status
  // Unbonding / Unbonded here) with their token power; they never count
  // towards the top N (docs/shared-security.md, compatibility.md L-11).
  bool allow_inactive_vals = false;
  absl::Status Validate() const;
};

struct CcvConfig {
  LinkMode mode = LinkMode::kReplicated;
  uint64_t blocks_per_epoch = 600;
  PowerShaping shaping;                 // replicated: top_n is forced to 100
  Dec downtime_slash_fraction;          // ICS default 0
  uint64_t downtime_jail_s = 600;
  // false (ADR-018, default): the provider ignores VSCMatured. true: every
  // provider unbonding started while this consumer runs waits for the
  // consumer's VSCMatured (ICS v1-v4). Fixed at genesis like the mode.
  bool unbonding_waits_for_maturity = false;
  absl::Status Validate() const;
};

// ---- the set computation (pure) ----

struct SetCandidate {
  ValidatorAddress validator;
  uint64_t power = 0;   // provider consensus power (bonded)
  Amount tokens;        // bonded tokens (min_stake)
  bool active = true;   // in the provider's active set (status Bonded)
};

struct ShapedValidator {
  ValidatorAddress validator;
  uint64_t power = 0;   // power on the consumer after shaping
  friend bool operator==(const ShapedValidator&, const ShapedValidator&) = default;
};

struct NextSet {
  std::vector<ShapedValidator> validators;  // ordered by validator address
  std::vector<ValidatorAddress> top_n;      // auto opted in (power >= min_power_top_n)
  uint64_t min_power_top_n = 0;             // 0 when top_n == 0
};

// The smallest power P such that the validators with power >= P hold at
// least top_n % of the total (sum * 100 >= total * top_n, accumulating
// powers in descending order). 0 if top_n == 0 or the total is 0.
uint64_t MinPowerInTopN(std::vector<uint64_t> powers, uint32_t top_n);

// Caps every power at floor(total * cap / 100) (at least 1) and hands the
// excess to the others by equal shares in descending power order without
// lifting anyone over the cap; the integer remainder goes one unit at a time
// in that order. If the cap cannot hold (n * cap < 100) every validator gets
// max(1, floor(total / n)). cap 0 or >= 100 leaves the powers unchanged.
// Input and output in descending (power, then address ascending) order.
std::vector<ShapedValidator> CapPowers(std::vector<ShapedValidator> sorted, uint32_t cap);

// The consumer set from the candidates (any order), opt-ins and shaping:
// top N over the active candidates only; eligible = (opted_in ∪ top N) ∩
// allowlist (if any) \ denylist, tokens >= min_stake, power > 0, active
// unless allow_inactive_vals; then the set cap keeps the prioritylist
// members first, then the highest powers (ties: address ascending); then the
// power cap.
NextSet ComputeNextSet(const std::vector<SetCandidate>& candidates, const PowerShaping& shaping,
                       const std::set<ValidatorAddress>& opted_in);

// ---- the module ----

struct ConsumerValidator {
  ValidatorAddress validator;
  std::string consumer_key;  // 32-byte ed25519 key on the consumer
  uint64_t power = 0;
  friend bool operator==(const ConsumerValidator&, const ConsumerValidator&) = default;
};

struct KeyPower {
  std::string pub_key;
  int64_t power = 0;
  friend bool operator==(const KeyPower&, const KeyPower&) = default;
};

struct VscRecord {
  uint64_t vsc_id = 0;
  std::vector<KeyPower> updates;        // ordered by key
  std::vector<std::string> slash_acks;  // raw consumer consensus addresses
};

struct ConsumerSlash {
  std::string consumer_address;  // raw
  int64_t power = 0;
  uint64_t vsc_id = 0;
  bool double_sign = false;
};

// ---- governance of link parameters and removal ----

// A change of a link's parameters (ICS MsgUpdateConsumer with its
// PowerShapingParameters / InfractionParameters; absent = unchanged). The
// link's mode and epoch length never change.
struct LinkUpdate {
  std::optional<PowerShaping> shaping;    // effective at the next epoch
  struct Infraction {
    Dec downtime_slash_fraction;
    uint64_t downtime_jail_s = 0;
    friend bool operator==(const Infraction&, const Infraction&) = default;
  };
  std::optional<Infraction> infraction;   // effective one unbonding period later (ADR-020)
  void Encode(Encoder& e) const;
  static absl::StatusOr<LinkUpdate> Decode(Decoder& d);
};

// Infraction parameters waiting for their time (ADR-020).
struct PendingInfraction {
  uint64_t effective_s = 0;
  LinkUpdate::Infraction params;
  friend bool operator==(const PendingInfraction&, const PendingInfraction&) = default;
};

enum class SlashOutcome : uint8_t { kV1 = 1, kHandled = 2, kBounced = 3 };

struct SlashDecision {
  SlashOutcome outcome = SlashOutcome::kHandled;
  bool punish = false;                 // jail (and slash) `validator`
  ValidatorAddress validator;
  int64_t infraction_height = 0;       // VSCtoH[vsc_id] (init height for 0)
  uint64_t power = 0;
  Dec fraction;
  uint64_t jail_s = 0;
};

struct CcvConsumerState {
  ConnectionId connection;   // provider-side connection of the consumer
  ChannelId channel;         // empty until the handshake completed
  uint64_t init_height = 0;  // channel establishment height (vscID 0)
  bool launched = false;     // a first VSC was queued
  bool stopped = false;      // error ack or timeout: no more VSCs
};

class CcvProvider {
 public:
  // Registers a replicated / opt-in consumer reachable over `connection`.
  // FailedPrecondition if already registered; InvalidArgument for a bad
  // config. `opted_in` are genesis opt-ins (validators of this chain).
  static absl::Status Init(const Context& ctx, const ConsumerId& consumer, const CcvConfig& cfg,
                           const ConnectionId& connection,
                           const std::vector<ValidatorAddress>& opted_in);
  static absl::StatusOr<std::optional<CcvConfig>> Config(const Context& ctx,
                                                         const ConsumerId& consumer);
  static absl::StatusOr<std::vector<ConsumerId>> Consumers(const Context& ctx);
  static absl::StatusOr<CcvConsumerState> State(const Context& ctx, const ConsumerId& consumer);
  static absl::Status PutState(const Context& ctx, const ConsumerId& consumer,
                               const CcvConsumerState& s);

  // ---- validator messages ----
  // NotFound for an unknown consumer or validator; FailedPrecondition if the
  // consumer stopped, the validator already opted in, or (opt-out) it is in
  // the top N now (ErrCannotOptOutFromTopN) or not opted in.
  static absl::Status OptIn(const Context& ctx, const ConsumerId& consumer,
                            const ValidatorAddress& validator);
  static absl::Status OptOut(const Context& ctx, const ConsumerId& consumer,
                             const ValidatorAddress& validator);
  static absl::StatusOr<std::set<ValidatorAddress>> OptedIn(const Context& ctx,
                                                            const ConsumerId& consumer);

  // ---- blocks ----
  // VSCtoH, then for each running consumer at its epoch: compute, diff,
  // queue. Run after native staking's end block.
  static absl::Status EndBlock(const Context& ctx);
  // Queued VSCs in vscID order, and their removal once sent.
  static absl::StatusOr<std::vector<VscRecord>> Pending(const Context& ctx,
                                                        const ConsumerId& consumer);
  static absl::Status ClearPending(const Context& ctx, const ConsumerId& consumer);
  // The set last queued for the consumer, by validator address.
  static absl::StatusOr<std::vector<ConsumerValidator>> ConsumerSet(const Context& ctx,
                                                                    const ConsumerId& consumer);
  static absl::StatusOr<uint64_t> CurrentVscId(const Context& ctx);
  static absl::StatusOr<std::optional<uint64_t>> VscHeight(const Context& ctx, uint64_t vsc_id);

  // ---- packets ----
  // ICS order: unknown vscID → InvalidArgument (error ack); double sign →
  // kV1, nothing punished (evidence goes to the provider directly); not
  // launched or not a current consumer validator → ack appended, kHandled;
  // unknown / unbonded / tombstoned provider validator → dropped, kHandled;
  // otherwise ack appended and, unless already jailed, punish.
  static absl::StatusOr<SlashDecision> OnSlashPacket(const Context& ctx,
                                                     const ConsumerId& consumer,
                                                     const ConsumerSlash& slash);
  // Consumer-downtime punishments so far (jailings) and the tokens they
  // burned (supply accounting).
  static absl::StatusOr<Amount> Burned(const Context& ctx);
  static absl::StatusOr<uint64_t> Punishments(const Context& ctx);
  static absl::Status RecordPunishment(const Context& ctx, Amount burned);
  // Error ack or timeout of a VSC: the consumer gets no more VSCs, and its
  // state is removed one provider unbonding period later (ICS
  // StopAndPrepareForConsumerRemoval). A second stop keeps the first
  // removal time.
  static absl::Status Stop(const Context& ctx, const ConsumerId& consumer);

  // ---- governance (docs/shared-security.md "Governing a link") ----
  // Checks an update against the link: NotFound for an unknown consumer,
  // FailedPrecondition once stopped, InvalidArgument if it changes nothing
  // or the resulting config is invalid (CcvConfig::Validate: a replicated
  // link keeps top_n 100; fraction in [0, 1]).
  static absl::Status ValidateUpdate(const Context& ctx, const ConsumerId& consumer,
                                     const LinkUpdate& update);
  // ValidateUpdate, then: power shaping stored as pending and put in the
  // config by the consumer's next set computation (its next epoch), so the
  // config always describes the set last computed; infraction parameters
  // stored as pending, effective at t + the provider's unbonding time. A
  // later update replaces a pending one (an infraction one restarts its
  // wait).
  static absl::Status ApplyUpdate(const Context& ctx, const ConsumerId& consumer,
                                  const LinkUpdate& update);
  static absl::StatusOr<std::optional<PendingInfraction>> PendingInfractionOf(
      const Context& ctx, const ConsumerId& consumer);
  static absl::StatusOr<std::optional<PowerShaping>> PendingShapingOf(const Context& ctx,
                                                                      const ConsumerId& consumer);
  // When the stopped consumer's state goes (nullopt while running).
  static absl::StatusOr<std::optional<uint64_t>> RemovalTime(const Context& ctx,
                                                             const ConsumerId& consumer);
  // Deletes every table of the consumer: config, state, opt-ins, set,
  // pending VSCs and slash acks, the pending infraction update, its
  // removal entry and its key assignments (current and kept for pruning:
  // after an unbonding period nothing can refer to them). VSCtoH is
  // provider-wide and stays. NotFound for an unknown consumer.
  static absl::Status Remove(const Context& ctx, const ConsumerId& consumer);
  // Start of the end block: infraction parameters whose time came are put
  // in force; stopped consumers whose removal time came are removed
  // (time order, then consumer id).
  static absl::Status ApplyDue(const Context& ctx);

  // ---- unbonding waits for maturity (mesh/provider/ccv_maturity.cc) ----
  // Only links with unbonding_waits_for_maturity take part; without such a
  // link these write nothing. A "holding" consumer has the option, launched
  // and is not stopped.
  //
  // Before EndBlock: every unbonding operation staking started since the
  // last call (staking::UnbondingHolds journal) is put on hold under
  // (consumer, current vscID) for every holding consumer, which is also
  // marked to get a VSC at its next epoch even with no validator change (so
  // an id >= the hold's always reaches it); then the journal's own hold is
  // released.
  static absl::Status HoldStartedUnbondings(const Context& ctx);
  // After EndBlock: releases, in (consumer, vscID, operation) order and at
  // most kMaxHoldReleasesPerBlock per block (the rest the next blocks), the
  // holds of each consumer with vscID <= the highest id it reported mature,
  // and every hold of a stopped or removed consumer. Then turns staking's
  // journal on iff a holding consumer exists. A released operation completes
  // at the first staking end block at or after its own completion time with
  // no hold left (the next block's at the earliest).
  static absl::Status ReleaseMaturedHolds(const Context& ctx);
  // A VSCMatured packet. Option off: ignored (ADR-018). On: InvalidArgument
  // for vscID 0 or an id not yet assigned (>= the current vscID); otherwise
  // the consumer's matured id becomes max(stored, vsc_id).
  static absl::Status OnVscMatured(const Context& ctx, const ConsumerId& consumer,
                                   uint64_t vsc_id);
  static absl::StatusOr<uint64_t> MaturedVscId(const Context& ctx, const ConsumerId& consumer);
  // The consumer's hold records, in (vscID, operation) order.
  struct HoldRecord {
    uint64_t vsc_id = 0;
    std::string op;  // staking unbonding operation id
    friend bool operator==(const HoldRecord&, const HoldRecord&) = default;
  };
  static absl::StatusOr<std::vector<HoldRecord>> Holds(const Context& ctx,
                                                       const ConsumerId& consumer);
  // Read and cleared by the consumer's set computation (RunEpoch): a VSC is
  // queued even when the diff and the slash acks are empty.
  static absl::StatusOr<bool> TakeHoldVsc(const Context& ctx, const ConsumerId& consumer);
  static constexpr size_t kMaxHoldReleasesPerBlock = 1000;
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_CCV_H_
