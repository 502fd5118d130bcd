// ConsumerEvidence: double signing on a consumer chain punished on the
// provider on verified evidence only (neighbours.md §1.10, §2.8, §4;
// docs/shared-security.md "Evidence").
//
// Verify(consumer, {vote_a, vote_b}) — no writes — in order:
//  1. the consumer is a configured link (NotFound);
//  2. both votes pass Vote.ValidateBasic and conflict: same height, round,
//     type and validator address, different BlockIDs (InvalidArgument);
//  3. not too old: the consumer's time at the vote height is within the
//     link's unbonding period of the block time (FailedPrecondition
//     kErrEvidenceTooOld). That time is the one of the lowest height ≥ the
//     vote height among the consumer's valset updates
//     (ExternalStaking::ConsumerTimeAt; the block time there or later), or
//     "now" for a height above every update; before the first update, the
//     vote's own signed timestamp (which the offender chooses). ICS has no
//     age limit; the provider keeps the consumer's key history and the old
//     key assignments for exactly that period, and stake that unbonded
//     since cannot be reached anyway;
//  4. the signer: the 20-byte address is looked up (a) in the key
//     assignments of that consumer (current or replaced and not yet pruned)
//     → a provider validator; else (b) in the consumer's validator history
//     learnt from its valset updates: the validator whose consensus key at
//     the vote height (the newest keyed entry at or below it) has that
//     address and that was in the set there (Active, or Tombstoned by the
//     consumer's own report) → a consumer validator; else (c) a provider
//     validator whose own consensus key has that address and that assigned
//     no other key there. None: NotFound kErrUnknownSigner;
//  5. both signatures verify (ed25519) over VoteSignBytes(consumer chain
//     id, vote) with that key (PermissionDenied kErrBadVoteSignature);
//  6. not punished before for this consumer (FailedPrecondition
//     kErrAlreadyPunished) — and for a consumer validator on a link without
//     `require_verified_evidence`, not tombstoned by the consumer's own
//     report (the report already slashed it: tombstone cap).
// The unsigned parts of CometBFT evidence (powers, evidence time) are never
// read: the signed vote timestamp is the evidence time.
//
// Submit = Verify, then punish and record (table 0x5F):
//  - consumer validator (mesh link): if the link held back the consumer's
//    own double-sign report (require_verified_evidence, table 0x57), that
//    report is applied now exactly as it would have been (the consumer cut
//    its records by it already); else the provider slashes itself:
//    amount = floor(slash_ratio_dsign × committed stake on the validator)
//    (ExternalStaking::HandleSlashing: stakes and unbonds started after the
//    vote time lose the ratio, then Vault::Slash propagates to the other
//    lien holders) and queues a burn of the bonded cut to the consumer so
//    both ends keep agreeing; the validator is tombstoned in the history at
//    vote height − 1 (the SDK's double-sign infraction height), so a later
//    report of the same infraction is dropped;
//  - provider validator (assigned or own key): nothing is cut here; the
//    verdict names it and the caller slashes it natively (the application
//    calls the native double-sign handler, which jails and tombstones).
// Not throttled (ICS does not meter evidence).
#ifndef MESHSEC_MESH_PROVIDER_CONSUMER_EVIDENCE_H_
#define MESHSEC_MESH_PROVIDER_CONSUMER_EVIDENCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/provider/canonical_vote.h"
#include "mesh/provider/external_staking.h"

namespace mesh::provider {

inline constexpr char kErrEvidenceTooOld[] = "evidence is older than the unbonding period";
inline constexpr char kErrUnknownSigner[] =
    "no validator of the consumer signs with the votes' address at that height";
inline constexpr char kErrBadVoteSignature[] = "vote signature does not verify";
inline constexpr char kErrAlreadyPunished[] = "validator already punished for double signing";

struct DoubleVoteEvidence {
  Vote vote_a;
  Vote vote_b;
};

struct EvidenceVerdict {
  enum class Offender : uint8_t { kConsumerValidator = 1, kProviderValidator = 2 };
  Offender offender = Offender::kConsumerValidator;
  ValidatorAddress validator;  // consumer valoper, or provider valoper
  std::string pubkey;          // the key that signed both votes
  int64_t height = 0;
  uint64_t time_s = 0;         // vote_a's timestamp
  Amount slashed;              // mesh: bonded stake cut on the provider
};

class ConsumerEvidence {
 public:
  static absl::StatusOr<EvidenceVerdict> Verify(const Context& ctx, const ConsumerId& consumer,
                                                const DoubleVoteEvidence& evidence);
  static absl::StatusOr<EvidenceVerdict> Submit(const Context& ctx, const ConsumerId& consumer,
                                                const DoubleVoteEvidence& evidence);
  // The provider's own slash of a consumer validator (the path of verified
  // evidence without a held report, also taken by a passed governance
  // proposal): amount = floor(fraction × committed stake on the validator)
  // through ExternalStaking::HandleSlashing (unbonds started after
  // `infraction_time` lose `fraction`), Vault::Slash propagation, a burn of
  // the bonded cut queued to the consumer, and a tombstone in the history at
  // `tombstone_height`. Returns the bonded cut. Records nothing in 0x5F
  // (RecordPunished does).
  static absl::StatusOr<Amount> PunishConsumerValidator(const Context& ctx,
                                                        const ConsumerId& consumer,
                                                        const ValidatorAddress& validator,
                                                        Dec fraction, uint64_t tombstone_height,
                                                        uint64_t infraction_time);
  static absl::Status RecordPunished(const Context& ctx, const ConsumerId& consumer,
                                     const ValidatorAddress& validator, int64_t height,
                                     uint64_t time_s);
  // Whether `validator` (consumer or provider valoper) was punished on
  // evidence (or by a passed governance slash) for `consumer`.
  static absl::StatusOr<bool> Punished(const Context& ctx, const ConsumerId& consumer,
                                       const ValidatorAddress& validator);
  // One record of table 0x5F: a validator punished on evidence (or by a
  // passed governance slash) for a consumer.
  struct Punishment {
    ValidatorAddress validator;     // consumer or provider valoper
    int64_t height = 0;             // infraction height (consumer)
    uint64_t time_s = 0;            // infraction time
    uint64_t provider_height = 0;   // the provider block that recorded it
  };
  // Every punishment recorded for `consumer`, by validator address.
  static absl::StatusOr<std::vector<Punishment>> Punishments(const Context& ctx,
                                                             const ConsumerId& consumer);
  // A double-sign report held back by require_verified_evidence (called by
  // ExternalStaking::OnValsetUpdate).
  static absl::Status HoldReport(const Context& ctx, const ConsumerId& consumer,
                                 const RemoteSlash& slash);
  static absl::StatusOr<std::vector<RemoteSlash>> HeldReports(const Context& ctx,
                                                              const ConsumerId& consumer,
                                                              const ValidatorAddress& validator);
};

// The consumer validator whose consensus key at `height` (the newest keyed
// history entry at or below it, the validator Active or Tombstoned there)
// has the 20-byte `address`, with that key; nullopt if none.
absl::StatusOr<std::optional<std::pair<ValidatorAddress, std::string>>> ConsumerSignerAt(
    const Context& ctx, const ConsumerId& consumer, std::string_view address, uint64_t height);

// The raw 32-byte ed25519 key of a consensus key as a valset packet carries
// it (base64, or 64 hex digits); nullopt for anything else (the reference
// consumer sends "TODO").
std::optional<std::string> DecodeConsensusKey(std::string_view text);

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_CONSUMER_EVIDENCE_H_
