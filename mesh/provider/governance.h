// Governance: a minimal provider-side governance module for one kind of
// proposal, the consumer-fault slash (neighbours.md §2.9, ICS ADR-022
// `consumer-fault-resolution`; docs/shared-security.md "Governance
// slashing"). It answers the subset problem: a colluding majority of a
// consumer's validators can misbehave without an attributable equivocation,
// so the provider's bonded stake votes on the fault and, if it passes,
// slashes the offender exactly as verified evidence would.
//
// Submit(proposer, {consumer, validator, infraction_height, fraction, deposit}):
//  - the consumer is a configured, open link (NotFound / FailedPrecondition);
//  - `validator` names a consumer validator: its consumer valoper, or its
//    consumer consensus key (32-byte ed25519, base64 or hex) resolved
//    through the history to the validator that signed with it at the
//    infraction height (NotFound kErrGovUnknownValidator);
//  - 0 < fraction ≤ the link's slash_ratio_dsign (InvalidArgument);
//  - the validator was Active in the consumer history at the infraction
//    height (FailedPrecondition kErrGovNotValidatorAtHeight) and has been a
//    consumer validator within the link's unbonding period before the block
//    time (ICS #2242; FailedPrecondition kErrGovNotRecentValidator);
//  - it is not tombstoned nor punished on evidence (kErrGovAlreadyPunished),
//    and no proposal for the same (consumer, validator, infraction height)
//    is voting or has passed (AlreadyExists kErrGovDuplicate; a rejected or
//    vetoed one may be proposed again);
//  - deposit in the bond denom ≥ min_deposit (InvalidArgument
//    kErrGovDepositTooSmall), moved from the proposer to kGovModule (the
//    bank's error if the proposer cannot pay).
// Returns the proposal id (1, 2, ...). Voting ends at t + voting_period_s.
//
// Vote(voter, id, option): while the proposal is voting (FailedPrecondition
// otherwise, NotFound for an unknown id); a later vote replaces the
// earlier one. Anyone may vote; only bonded stake counts at the tally.
//
// Tally (Cosmos SDK x/gov v1, the rule of delegations and inheritance):
// over the validators bonded at the end of voting, a voter's power is the
// bonded tokens of its delegations, shares × tokens / delegator_shares
// (Dec Mul then Quo, 18 places, the SDK's LegacyDec roundings); a validator
// whose operator account voted also votes the shares of its delegators that
// did not vote (a delegator's own vote overrides the inheritance for its
// shares). Then, with T = the total bonded tokens and V = Σ voting power:
//   V / T < quorum              → kRejectedQuorum (deposit refunded);
//   V − abstain = 0             → kRejected (refunded);
//   no_with_veto / V > veto     → kVetoed (deposit burned);
//   yes / (V − abstain) > threshold → kPassed (refunded, slash applied);
//   otherwise                   → kRejected (refunded).
// SDK defaults: quorum 0.334, threshold 0.5, veto 0.334 (strict > as the
// SDK; quorum is "<").
//
// On pass, the slash takes the verified-evidence path
// (ConsumerEvidence::PunishConsumerValidator): amount =
// floor(fraction × committed stake on the validator) through
// ExternalStaking::HandleSlashing (unbonds started after the infraction
// time lose the fraction too), Vault::Slash propagation to every other lien
// of the users, a burn of the bonded cut to the consumer, tombstone in the
// history at the infraction height, recorded as punished. The infraction
// time is the consumer time at which the validator's state in force at the
// infraction height began (≤ the true time: rounded toward more unbonds
// reached). A proposal that passes after its validator was tombstoned or
// punished in between slashes nothing (slashed = 0): one infraction, one
// slash. A slash the modules refuse is discarded whole and the proposal
// stays passed with slashed = 0 (the end block never fails on valid
// state). Not metered by the slash meter (ICS does not meter evidence or
// governance).
//
// Provider validators (docs/shared-security.md "Governance slashing of a
// provider validator"). On a replicated / opt-in link (CcvProvider::Config)
// the consumer's validators ARE provider validators, and on a mesh link a
// provider validator may sign with an assigned key; there `validator`
// names a provider validator: its provider valoper, or the consensus key
// (32-byte ed25519, base64 or hex) or 20-byte consensus address (40 hex
// digits) it signs with on that consumer, mapped back through key
// assignment (ProviderValidatorOf; a mesh link tries its consumer
// validators first). Submit then checks instead of the mesh rules:
//  - the link is not stopped (FailedPrecondition) / not closed;
//  - 0 < fraction ≤ 1 (InvalidArgument kErrGovBadNativeFraction; a mesh
//    link keeps its double-sign bound);
//  - the infraction height is a provider height, 1 ≤ h ≤ the current height
//    (InvalidArgument kErrGovBadHeight): the provider cannot map a consumer
//    height without a VSC packet naming it;
//  - the validator had consensus power at that height (FailedPrecondition
//    kErrGovNoPowerAtHeight) and is not tombstoned nor punished for this
//    consumer (FailedPrecondition kErrGovAlreadyPunished);
//  - duplicates and deposit as above.
// On pass the module cannot slash natively itself: it hands a
// NativeSlashOrder to the NativeSlasher its caller passes to EndBlock (the
// application's native slash path, mesh/app/native_slashing.h
// HandleGovernanceSlash: staking slash of floor(fraction × power ×
// power_reduction) at the infraction height, then tombstone — or, with
// `jail_only`, jail for the staking downtime jail duration — and the local
// stakers settled, which propagates to every mesh consumer of this chain).
// `slashed` is the tokens burned from the validator; a tombstoned validator
// is recorded punished for the consumer. No slasher, or a validator
// tombstoned meanwhile: nothing is slashed (slashed = 0), as above.
//
// Link proposals (SubmitLink; docs/shared-security.md "Governing a link"):
// the same deposit, vote and tally for a replicated / opt-in link's
// parameters (kLinkUpdate: CcvProvider::ApplyUpdate on pass — power shaping
// from the next epoch, infraction parameters one provider unbonding period
// later, ADR-020) or its removal (kConsumerRemoval: CcvProvider::Stop on
// pass — no more VSCs, state removed one unbonding period later). Refused
// at submission as CcvProvider::ValidateUpdate refuses (NotFound unknown
// consumer, FailedPrecondition stopped, InvalidArgument bad update), or
// for a deposit below min_deposit. An update that no longer applies at the
// tally (the consumer stopped meanwhile) is discarded whole.
//
// Stateless: tables 0xE0-0xE5 (docs/state-layout.md). Deterministic: no
// hash-map iteration; proposals end in (voting_end, id) order.
#ifndef MESHSEC_MESH_PROVIDER_GOVERNANCE_H_
#define MESHSEC_MESH_PROVIDER_GOVERNANCE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/codec.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/types.h"

namespace mesh::provider {

inline const AccountAddress kGovModule{"module/mesh_gov"};

inline constexpr char kErrGovUnknownValidator[] =
    "no validator of the consumer is known by that address or key";
inline constexpr char kErrGovNotValidatorAtHeight[] =
    "the validator was not in the consumer's set at the infraction height";
inline constexpr char kErrGovNotRecentValidator[] =
    "the validator has not been a consumer validator within the unbonding period";
inline constexpr char kErrGovAlreadyPunished[] = "the validator is already tombstoned or punished";
inline constexpr char kErrGovDuplicate[] =
    "a proposal for this infraction is voting or has passed";
inline constexpr char kErrGovDepositTooSmall[] = "deposit is below the minimum deposit";
inline constexpr char kErrGovBadFraction[] =
    "slash fraction must be positive and at most the link's double-sign fraction";
inline constexpr char kErrGovNotVoting[] = "the proposal is not in its voting period";
inline constexpr char kErrGovBadNativeFraction[] =
    "slash fraction of a provider validator must be in (0, 1]";
inline constexpr char kErrGovBadHeight[] =
    "infraction height of a provider validator must be a past provider height";
inline constexpr char kErrGovNoPowerAtHeight[] =
    "the provider validator had no consensus power at the infraction height";
inline constexpr char kErrGovJailOnlyMesh[] =
    "jail_only applies to provider validators only";

struct GovParams {
  Amount min_deposit = Amount(10000000);          // SDK default 10,000,000 bond denom
  uint64_t voting_period_s = 172800;              // SDK default 2 days
  Dec quorum = Dec::FromRaw(Dec::kOne / 1000 * 334);     // 0.334
  Dec threshold = Dec::FromRaw(Dec::kOne / 2);           // 0.5
  Dec veto_threshold = Dec::FromRaw(Dec::kOne / 1000 * 334);  // 0.334
  void Encode(Encoder& e) const;
  static absl::StatusOr<GovParams> Decode(Decoder& d);
};

enum class VoteOption : uint8_t { kYes = 1, kAbstain = 2, kNo = 3, kNoWithVeto = 4 };
// "yes" | "abstain" | "no" | "no_with_veto".
absl::StatusOr<VoteOption> ParseVoteOption(std::string_view s);

enum class ProposalStatus : uint8_t {
  kVoting = 1,
  kPassed = 2,
  kRejected = 3,
  kRejectedQuorum = 4,
  kVetoed = 5,
};
const char* ProposalStatusName(ProposalStatus s);

enum class ProposalKind : uint8_t { kSlash = 1, kLinkUpdate = 2, kConsumerRemoval = 3 };
const char* ProposalKindName(ProposalKind k);

struct LinkProposalMsg {
  ConsumerId consumer;
  ProposalKind kind = ProposalKind::kLinkUpdate;  // kLinkUpdate or kConsumerRemoval
  LinkUpdate update;                              // kLinkUpdate only
  Amount deposit;
};

struct SlashProposalMsg {
  ConsumerId consumer;
  std::string validator;  // consumer / provider valoper, consensus key or address
  uint64_t infraction_height = 0;
  Dec fraction;
  Amount deposit;
  bool jail_only = false;  // provider validator: jail instead of tombstone
};

// A passed proposal's slash of a provider validator, for the application.
struct NativeSlashOrder {
  uint64_t proposal_id = 0;
  ConsumerId consumer;
  ValidatorAddress validator;  // provider valoper
  uint64_t infraction_height = 0;  // provider height
  Dec fraction;
  bool tombstone = true;
};
// Slashes natively; returns the tokens burned from the validator (0 if the
// native handler ignores it). A refusal discards the slash (header comment).
using NativeSlasher =
    std::function<absl::StatusOr<Amount>(const Context&, const NativeSlashOrder&)>;

struct TallyResult {
  Amount yes, abstain, no, no_with_veto;  // truncated to whole tokens
  Amount total_bonded;
  void Encode(Encoder& e) const;
  static absl::StatusOr<TallyResult> Decode(Decoder& d);
};

struct SlashProposal {
  uint64_t id = 0;
  AccountAddress proposer;
  ConsumerId consumer;
  ValidatorAddress validator;  // consumer valoper (resolved)
  uint64_t infraction_height = 0;
  uint64_t infraction_time = 0;  // consumer clock (header comment)
  Dec fraction;
  Amount deposit;
  uint64_t submit_time_s = 0;
  uint64_t voting_end_s = 0;
  ProposalStatus status = ProposalStatus::kVoting;
  TallyResult tally;
  Amount slashed;  // bonded stake cut on the provider, once passed
  // kSlash uses the fields above; a link proposal names `consumer` and, for
  // kLinkUpdate, carries `update` (validator and infraction fields empty).
  ProposalKind kind = ProposalKind::kSlash;
  LinkUpdate update;
  bool applied = false;  // a passed link proposal took effect
  // kSlash of a provider validator (`validator` is its provider valoper and
  // infraction_height a provider height); jail instead of tombstone.
  bool native = false;
  bool jail_only = false;
  void Encode(Encoder& e) const;
  static absl::StatusOr<SlashProposal> Decode(Decoder& d);
};

class Governance {
 public:
  // InvalidArgument unless voting_period_s > 0 and the three fractions are
  // in [0, 1].
  static absl::Status SetParams(const Context& ctx, const GovParams& params);
  // The stored params, defaults when never set.
  static absl::StatusOr<GovParams> Params(const Context& ctx);

  static absl::StatusOr<uint64_t> Submit(const Context& ctx, const AccountAddress& proposer,
                                         const SlashProposalMsg& msg);
  // A link proposal (header comment); returns its id.
  static absl::StatusOr<uint64_t> SubmitLink(const Context& ctx, const AccountAddress& proposer,
                                             const LinkProposalMsg& msg);
  static absl::Status Vote(const Context& ctx, const AccountAddress& voter, uint64_t id,
                           VoteOption option);
  // Tallies every proposal whose voting period has ended (voting_end ≤ t)
  // and applies the outcome (header comment); a passed slash of a provider
  // validator goes to `slasher`. Returns the ids finished.
  static absl::StatusOr<std::vector<uint64_t>> EndBlock(const Context& ctx,
                                                        const NativeSlasher& slasher = {});
  // The current tally of a proposal (what EndBlock would count now).
  static absl::StatusOr<TallyResult> Tally(const Context& ctx, uint64_t id);
  static absl::StatusOr<SlashProposal> Get(const Context& ctx, uint64_t id);
  static absl::StatusOr<std::vector<SlashProposal>> All(const Context& ctx);
  // Total of the bond denom burned by passed slashes of provider validators
  // (supply before − after each native slash; for supply accounting).
  static absl::StatusOr<Amount> NativeBurned(const Context& ctx);

 private:
  // Submit's provider-validator path (header comment) for the resolved `val`.
  static absl::StatusOr<uint64_t> SubmitNative(const Context& ctx, const AccountAddress& proposer,
                                               const SlashProposalMsg& msg,
                                               const ValidatorAddress& val);
  // Duplicate and deposit checks, then records `p` (voting from now).
  static absl::StatusOr<uint64_t> Open(const Context& ctx, const AccountAddress& proposer,
                                       const SlashProposalMsg& msg, SlashProposal p);
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_GOVERNANCE_H_
