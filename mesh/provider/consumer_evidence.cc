#include "mesh/provider/consumer_evidence.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/tables.h"

namespace mesh::provider {
namespace {

using Offender = EvidenceVerdict::Offender;

std::string PunishedKey(const ConsumerId& c, const ValidatorAddress& v) {
  return tables::Key(tables::kEvidencePunished, c.value(), v.value());
}

std::string HeldPrefix(const ConsumerId& c, const ValidatorAddress& v) {
  return tables::Prefix(tables::kHeldReports, c.value(), v.value());
}

std::string EncodeSlash(const RemoteSlash& s) {
  Encoder e;
  e.U64(s.infraction_height).U64(s.infraction_time).U64(s.power).Amt(s.amount);
  e.Str(s.slash_ratio).U64(s.update_height);
  return e.Take();
}

absl::StatusOr<RemoteSlash> DecodeSlash(const ValidatorAddress& v, std::string_view bytes) {
  Decoder d(bytes);
  RemoteSlash s;
  s.validator = v;
  MESH_ASSIGN_OR_RETURN(s.infraction_height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.infraction_time, d.U64());
  MESH_ASSIGN_OR_RETURN(s.power, d.U64());
  MESH_ASSIGN_OR_RETURN(s.amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.slash_ratio, d.Str());
  MESH_ASSIGN_OR_RETURN(s.update_height, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return s;
}

// The key a consumer validator signed with at `height`: the newest keyed
// entry at or below it, provided the validator was in the set there.
std::optional<std::string> KeyAtHeight(const ValidatorHistory& h, uint64_t height) {
  std::optional<ValState> at = history::AtHeight(h, height);
  if (!at.has_value()) return std::nullopt;
  if (at->state != RemoteState::kActive && at->state != RemoteState::kTombstoned) {
    return std::nullopt;
  }
  for (const ValState& e : h.entries) {
    if (e.start_height > height) continue;
    std::optional<std::string> key = DecodeConsensusKey(e.pub_key);
    if (key.has_value()) return key;
  }
  return std::nullopt;
}

}  // namespace

// Step 4 (b): the consumer validator whose key at `height` has `address`.
absl::StatusOr<std::optional<std::pair<ValidatorAddress, std::string>>> ConsumerSignerAt(
    const Context& ctx, const ConsumerId& c, std::string_view address, uint64_t height) {
  using Found = std::optional<std::pair<ValidatorAddress, std::string>>;
  const std::string prefix = tables::Prefix(tables::kExtValidators, c.value());
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->value());
    MESH_ASSIGN_OR_RETURN(ValidatorHistory h, ValidatorHistory::Decode(d));
    std::optional<std::string> key = KeyAtHeight(h, height);
    if (key.has_value() && ConsensusAddress(*key) == address) {
      return Found(std::make_pair(ValidatorAddress(std::string(it->key().substr(prefix.size()))),
                                  *key));
    }
  }
  MESH_RETURN_IF_ERROR(it->status());
  return Found();
}

namespace {

absl::StatusOr<EvidenceVerdict> ResolveSigner(const Context& ctx, const ConsumerId& c,
                                              const Vote& vote) {
  EvidenceVerdict v;
  v.height = vote.height;
  v.time_s = vote.timestamp_seconds > 0 ? static_cast<uint64_t>(vote.timestamp_seconds) : 0;
  const std::string& address = vote.validator_address;
  MESH_ASSIGN_OR_RETURN(std::optional<KeyAssignment> assigned,
                        ConsumerKeys::ByConsumerAddress(ctx, c, address));
  if (assigned.has_value()) {
    v.offender = Offender::kProviderValidator;
    v.validator = assigned->provider_validator;
    v.pubkey = assigned->pubkey;
    return v;
  }
  MESH_ASSIGN_OR_RETURN(auto consumer_val,
                        ConsumerSignerAt(ctx, c, address, static_cast<uint64_t>(vote.height)));
  if (consumer_val.has_value()) {
    v.offender = Offender::kConsumerValidator;
    v.validator = consumer_val->first;
    v.pubkey = consumer_val->second;
    return v;
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ValidatorAddress> own,
                        ConsumerKeys::ProviderValidatorFor(ctx, c, address));
  if (own.has_value()) {
    v.offender = Offender::kProviderValidator;
    v.validator = *own;
    MESH_ASSIGN_OR_RETURN(v.pubkey, ConsumerKeys::KeyOn(ctx, c, *own));
    return v;
  }
  return absl::NotFoundError(absl::StrCat(kErrUnknownSigner, " (", ToHex(std::string_view(address.data(), address.size())),
                                          " at ", vote.height, ")"));
}

absl::Status VerifyVoteSignature(const ConsumerId& c, const std::string& pubkey,
                                 const Vote& vote, std::string_view which) {
  absl::Status s = VerifyEd25519(pubkey, VoteSignBytes(c.value(), vote), vote.signature);
  if (s.ok()) return s;
  return absl::PermissionDeniedError(absl::StrCat(kErrBadVoteSignature, " (", std::string(which), ")"));
}

}  // namespace

absl::StatusOr<Amount> ConsumerEvidence::PunishConsumerValidator(
    const Context& ctx, const ConsumerId& consumer, const ValidatorAddress& validator,
    Dec fraction, uint64_t tombstone_height, uint64_t infraction_time) {
  MESH_ASSIGN_OR_RETURN(Distribution d, ext_internal::LoadDist(ctx, consumer, validator));
  const Amount committed = d.total_stake;
  MESH_ASSIGN_OR_RETURN(Dec committed_dec, Dec::FromAmount(committed));
  MESH_ASSIGN_OR_RETURN(Dec product, committed_dec.MulTruncate(fraction));
  MESH_ASSIGN_OR_RETURN(Amount amount, product.TruncateAmount());  // slash: rounded down (SDK)
  MESH_RETURN_IF_ERROR(ExternalStaking::HandleSlashing(ctx, consumer, validator, fraction, amount,
                                                       infraction_time));
  const Amount bonded_cut = Min(amount, committed);
  BurnAggregator burns;
  burns[{consumer.value(), validator.value()}] = bonded_cut;
  MESH_RETURN_IF_ERROR(ExternalStaking::FlushBurns(ctx, burns));
  MESH_RETURN_IF_ERROR(RemoteValidators::Apply(ctx, consumer, validator,
                                               RemoteValidators::Op::kTombstone,
                                               tombstone_height, infraction_time));
  return bonded_cut;
}

std::optional<std::string> DecodeConsensusKey(std::string_view text) {
  if (text.size() == 64) {
    absl::StatusOr<std::string> raw = FromHex(text);
    if (raw.ok() && raw->size() == 32) return *raw;
  }
  absl::StatusOr<std::string> raw = Base64Decode(text);
  if (raw.ok() && raw->size() == 32) return *raw;
  return std::nullopt;
}

absl::StatusOr<EvidenceVerdict> ConsumerEvidence::Verify(const Context& ctx,
                                                         const ConsumerId& consumer,
                                                         const DoubleVoteEvidence& evidence) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, consumer));
  MESH_RETURN_IF_ERROR(CheckConflicting(evidence.vote_a, evidence.vote_b));
  // Age by height when the provider knows the consumer's clock there (the
  // signed timestamp is the offender's to choose); else by the timestamp.
  const uint64_t now = ctx.time_seconds();
  MESH_ASSIGN_OR_RETURN(ConsumerTimeBound bound,
                        ExternalStaking::ConsumerTimeAt(
                            ctx, consumer, static_cast<uint64_t>(evidence.vote_a.height)));
  int64_t t = evidence.vote_a.timestamp_seconds;
  if (bound.known) {
    t = bound.time_at_or_after.has_value() ? static_cast<int64_t>(*bound.time_at_or_after)
                                           : static_cast<int64_t>(now);
  }
  if (t < 0 || (static_cast<uint64_t>(t) < now &&
                now - static_cast<uint64_t>(t) > cfg.unbonding_period_s)) {
    return absl::FailedPreconditionError(kErrEvidenceTooOld);
  }
  MESH_ASSIGN_OR_RETURN(EvidenceVerdict v, ResolveSigner(ctx, consumer, evidence.vote_a));
  if (ConsensusAddress(v.pubkey) != evidence.vote_a.validator_address) {
    return absl::NotFoundError(kErrUnknownSigner);
  }
  MESH_RETURN_IF_ERROR(VerifyVoteSignature(consumer, v.pubkey, evidence.vote_a, "vote a"));
  MESH_RETURN_IF_ERROR(VerifyVoteSignature(consumer, v.pubkey, evidence.vote_b, "vote b"));
  MESH_ASSIGN_OR_RETURN(bool punished, Punished(ctx, consumer, v.validator));
  if (punished) return absl::FailedPreconditionError(kErrAlreadyPunished);
  if (v.offender == Offender::kConsumerValidator && !cfg.require_verified_evidence) {
    MESH_ASSIGN_OR_RETURN(RemoteState state,
                          RemoteValidators::CurrentState(ctx, consumer, v.validator));
    if (state == RemoteState::kTombstoned) {
      return absl::FailedPreconditionError(
          absl::StrCat(kErrAlreadyPunished, " (tombstoned by the consumer's report)"));
    }
  }
  return v;
}

absl::StatusOr<EvidenceVerdict> ConsumerEvidence::Submit(const Context& ctx,
                                                         const ConsumerId& consumer,
                                                         const DoubleVoteEvidence& evidence) {
  MESH_ASSIGN_OR_RETURN(EvidenceVerdict v, Verify(ctx, consumer, evidence));
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, consumer));
  if (v.offender == Offender::kConsumerValidator) {
    MESH_ASSIGN_OR_RETURN(std::vector<RemoteSlash> held,
                          HeldReports(ctx, consumer, v.validator));
    if (held.empty()) {
      const uint64_t tomb_height = v.height > 1 ? static_cast<uint64_t>(v.height - 1) : 1;
      MESH_ASSIGN_OR_RETURN(v.slashed,
                            PunishConsumerValidator(ctx, consumer, v.validator,
                                                    cfg.slash_ratio_dsign, tomb_height, v.time_s));
    } else {
      MESH_ASSIGN_OR_RETURN(Distribution before,
                            ext_internal::LoadDist(ctx, consumer, v.validator));
      for (const RemoteSlash& s : held) {
        MESH_RETURN_IF_ERROR(ExternalStaking::ApplyReportedSlash(ctx, consumer, s));
      }
      MESH_ASSIGN_OR_RETURN(Distribution after,
                            ext_internal::LoadDist(ctx, consumer, v.validator));
      v.slashed = before.total_stake.SaturatingSub(after.total_stake);
      MESH_RETURN_IF_ERROR(ctx.store().DeletePrefix(HeldPrefix(consumer, v.validator)));
    }
  }
  MESH_RETURN_IF_ERROR(RecordPunished(ctx, consumer, v.validator, v.height, v.time_s));
  return v;
}

absl::Status ConsumerEvidence::RecordPunished(const Context& ctx, const ConsumerId& consumer,
                                              const ValidatorAddress& validator, int64_t height,
                                              uint64_t time_s) {
  Encoder rec;
  rec.I64(height).U64(time_s).U64(ctx.height());
  return ctx.store().Put(PunishedKey(consumer, validator), rec.Take());
}

absl::StatusOr<bool> ConsumerEvidence::Punished(const Context& ctx, const ConsumerId& consumer,
                                                const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> rec,
                        ctx.store().Get(PunishedKey(consumer, validator)));
  return rec.has_value();
}

absl::StatusOr<std::vector<ConsumerEvidence::Punishment>> ConsumerEvidence::Punishments(
    const Context& ctx, const ConsumerId& consumer) {
  const std::string prefix = tables::Prefix(tables::kEvidencePunished, consumer.value());
  std::vector<Punishment> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Punishment p;
    p.validator = ValidatorAddress(std::string(it->key().substr(prefix.size())));
    Decoder d(it->value());
    MESH_ASSIGN_OR_RETURN(p.height, d.I64());
    MESH_ASSIGN_OR_RETURN(p.time_s, d.U64());
    MESH_ASSIGN_OR_RETURN(p.provider_height, d.U64());
    MESH_RETURN_IF_ERROR(d.Finish());
    out.push_back(std::move(p));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status ConsumerEvidence::HoldReport(const Context& ctx, const ConsumerId& consumer,
                                          const RemoteSlash& slash) {
  MESH_ASSIGN_OR_RETURN(uint64_t seq, ext_internal::NextCounter(
                                          ctx, tables::Key(tables::kThrottleSeq), 1));
  return ctx.store().Put(
      Encoder().Raw(HeldPrefix(consumer, slash.validator)).U64(seq).Take(), EncodeSlash(slash));
}

absl::StatusOr<std::vector<RemoteSlash>> ConsumerEvidence::HeldReports(
    const Context& ctx, const ConsumerId& consumer, const ValidatorAddress& validator) {
  const std::string prefix = HeldPrefix(consumer, validator);
  std::vector<RemoteSlash> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(RemoteSlash s, DecodeSlash(validator, it->value()));
    out.push_back(std::move(s));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace mesh::provider
