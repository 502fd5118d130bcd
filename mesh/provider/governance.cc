#include "mesh/provider/governance.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kv.h"
#include "core/status.h"
#include "mesh/provider/canonical_vote.h"
#include "core/crypto.h"
#include "mesh/provider/consumer_evidence.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/tables.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

std::string ProposalKey(uint64_t id) { return tables::KeyU64(tables::kGovProposals, id); }

// Under the counter's prefix: the total burned by native governance slashes.
std::string NativeBurnedKey() { return Encoder(tables::kGovCount).U8(1).Take(); }

std::string VotePrefix(uint64_t id) { return Encoder(tables::kGovVotes).U64(id).Take(); }

std::string QueueKey(uint64_t end_s, uint64_t id) {
  return Encoder(tables::kGovVotingQueue).U64(end_s).U64(id).Take();
}

std::string InfractionKey(const ConsumerId& c, const ValidatorAddress& v, uint64_t height) {
  return Encoder(tables::kGovByInfraction).Str(c.value()).Str(v.value()).U64(height).Take();
}

absl::Status Put(const Context& ctx, const SlashProposal& p) {
  Encoder e;
  p.Encode(e);
  return ctx.store().Put(ProposalKey(p.id), e.Take());
}

// The end of every submission: `deposit` (at least the minimum) moves from
// `proposer` to the governance module, and `p` gets the next id, its
// proposer, deposit and voting period, and is stored and queued for the end
// of its vote. Returns the id.
absl::StatusOr<uint64_t> Enqueue(const Context& ctx, const AccountAddress& proposer,
                                 Amount deposit, SlashProposal& p) {
  MESH_ASSIGN_OR_RETURN(GovParams params, Governance::Params(ctx));
  if (deposit < params.min_deposit) {
    return absl::InvalidArgumentError(absl::StrCat(kErrGovDepositTooSmall, " (",
                                                   params.min_deposit.ToString(), ")"));
  }
  MESH_ASSIGN_OR_RETURN(staking::Params sp, staking::Staking::GetParams(ctx));
  MESH_RETURN_IF_ERROR(staking::Bank::Send(ctx, proposer, kGovModule, sp.bond_denom, deposit));
  MESH_ASSIGN_OR_RETURN(p.id, ext_internal::NextCounter(ctx, tables::Key(tables::kGovCount), 1));
  p.proposer = proposer;
  p.deposit = deposit;
  p.submit_time_s = ctx.time_seconds();
  p.voting_end_s = p.submit_time_s + params.voting_period_s;
  MESH_RETURN_IF_ERROR(Put(ctx, p));
  MESH_RETURN_IF_ERROR(ctx.store().Put(QueueKey(p.voting_end_s, p.id), ""));
  return p.id;
}

absl::Status CheckFraction(std::string_view name, Dec d) {
  if (d.IsNegative() || d > Dec::One()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), " must be in [0, 1]"));
  }
  return absl::OkStatus();
}

// The consumer valoper the proposal names (header comment).
absl::StatusOr<ValidatorAddress> ResolveTarget(const Context& ctx, const ConsumerId& c,
                                               const std::string& target, uint64_t height) {
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, RemoteValidators::Get(ctx, c, ValidatorAddress(target)));
  if (!h.entries.empty()) return ValidatorAddress(target);
  std::optional<std::string> key = DecodeConsensusKey(target);
  if (key.has_value()) {
    MESH_ASSIGN_OR_RETURN(auto found, ConsumerSignerAt(ctx, c, ConsensusAddress(*key), height));
    if (found.has_value()) return found->first;
  }
  return absl::NotFoundError(absl::StrCat(kErrGovUnknownValidator, ": ", target));
}

// The provider validator a proposal names on `c` (header comment): its
// valoper, or the consensus key / address it signs with there; nullopt if
// none.
absl::StatusOr<std::optional<ValidatorAddress>> ResolveProvider(const Context& ctx,
                                                                const ConsumerId& c,
                                                                const std::string& target) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        staking::Staking::GetValidator(ctx, ValidatorAddress(target)));
  if (v.has_value()) return std::optional<ValidatorAddress>(v->operator_address);
  std::optional<std::string> address;
  if (std::optional<std::string> key = DecodeConsensusKey(target)) {
    address = ConsensusAddressOf(*key);
  } else if (target.size() == 40) {
    absl::StatusOr<std::string> raw = FromHex(target);
    if (raw.ok() && raw->size() == 20) address = *raw;
  }
  if (!address.has_value()) return std::optional<ValidatorAddress>();
  return ProviderValidatorOf(ctx, c, *address);
}

// Whether an Active span of the history reaches into [cutoff, now]: the
// current entry Active, or an Active entry whose successor began at or
// after `cutoff`.
bool ActiveSince(const ValidatorHistory& h, uint64_t cutoff) {
  for (size_t i = 0; i < h.entries.size(); ++i) {
    if (h.entries[i].state != RemoteState::kActive) continue;
    if (i == 0 || h.entries[i - 1].start_time >= cutoff) return true;
  }
  return false;
}

struct DecTally {
  Dec yes, abstain, no, veto, total, bonded;
};

absl::Status AddTo(DecTally& t, VoteOption o, Dec power) {
  Dec* slot = &t.yes;
  switch (o) {
    case VoteOption::kYes: slot = &t.yes; break;
    case VoteOption::kAbstain: slot = &t.abstain; break;
    case VoteOption::kNo: slot = &t.no; break;
    case VoteOption::kNoWithVeto: slot = &t.veto; break;
  }
  MESH_ASSIGN_OR_RETURN(*slot, slot->Add(power));
  MESH_ASSIGN_OR_RETURN(t.total, t.total.Add(power));
  return absl::OkStatus();
}

// shares × tokens / delegator_shares (SDK: MulInt then Quo).
absl::StatusOr<Dec> SharesPower(Dec shares, const staking::Validator& v) {
  if (!v.delegator_shares.IsPositive()) return Dec::Zero();
  MESH_ASSIGN_OR_RETURN(Dec tokens, Dec::FromAmount(v.tokens));
  MESH_ASSIGN_OR_RETURN(Dec product, shares.Mul(tokens));
  return product.Quo(v.delegator_shares);
}

// Cosmos SDK x/gov v1 tally (header comment).
absl::StatusOr<DecTally> Count(const Context& ctx, uint64_t id) {
  struct ValTally {
    staking::Validator v;
    Dec deductions;
    std::optional<VoteOption> vote;
  };
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> bonded,
                        staking::Staking::BondedValidators(ctx));
  std::map<std::string, ValTally> vals;
  std::map<std::string, std::string> by_operator;
  DecTally t;
  for (staking::Validator& v : bonded) {
    MESH_ASSIGN_OR_RETURN(Dec tokens, Dec::FromAmount(v.tokens));
    MESH_ASSIGN_OR_RETURN(t.bonded, t.bonded.Add(tokens));
    by_operator[v.operator_account.value()] = v.operator_address.value();
    std::string key = v.operator_address.value();
    vals.emplace(std::move(key), ValTally{std::move(v), Dec::Zero(), std::nullopt});
  }
  std::vector<std::pair<AccountAddress, VoteOption>> votes;
  const std::string prefix = VotePrefix(id);
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    if (it->value().size() != 1) return absl::DataLossError("bad governance vote record");
    votes.emplace_back(AccountAddress(std::string(it->key().substr(prefix.size()))),
                       static_cast<VoteOption>(static_cast<uint8_t>(it->value()[0])));
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const auto& [voter, option] : votes) {
    auto op = by_operator.find(voter.value());
    if (op != by_operator.end()) vals[op->second].vote = option;
    MESH_ASSIGN_OR_RETURN(std::vector<staking::Delegation> dels,
                          staking::Staking::DelegatorDelegations(ctx, voter));
    for (const staking::Delegation& d : dels) {
      auto val = vals.find(d.validator.value());
      if (val == vals.end()) continue;  // not bonded: no voting power
      MESH_ASSIGN_OR_RETURN(val->second.deductions, val->second.deductions.Add(d.shares));
      MESH_ASSIGN_OR_RETURN(Dec power, SharesPower(d.shares, val->second.v));
      MESH_RETURN_IF_ERROR(AddTo(t, option, power));
    }
  }
  for (const auto& [address, val] : vals) {
    if (!val.vote.has_value()) continue;
    MESH_ASSIGN_OR_RETURN(Dec rest, val.v.delegator_shares.Sub(val.deductions));
    MESH_ASSIGN_OR_RETURN(Dec power, SharesPower(rest, val.v));
    MESH_RETURN_IF_ERROR(AddTo(t, *val.vote, power));
  }
  return t;
}

absl::StatusOr<TallyResult> ToResult(const DecTally& t) {
  TallyResult r;
  MESH_ASSIGN_OR_RETURN(r.yes, t.yes.TruncateAmount());
  MESH_ASSIGN_OR_RETURN(r.abstain, t.abstain.TruncateAmount());
  MESH_ASSIGN_OR_RETURN(r.no, t.no.TruncateAmount());
  MESH_ASSIGN_OR_RETURN(r.no_with_veto, t.veto.TruncateAmount());
  MESH_ASSIGN_OR_RETURN(r.total_bonded, t.bonded.TruncateAmount());
  return r;
}

// The SDK's decision (header comment).
absl::StatusOr<ProposalStatus> Decide(const DecTally& t, const GovParams& p) {
  if (!t.bonded.IsPositive()) return ProposalStatus::kRejectedQuorum;
  MESH_ASSIGN_OR_RETURN(Dec turnout, t.total.Quo(t.bonded));
  if (turnout < p.quorum) return ProposalStatus::kRejectedQuorum;
  MESH_ASSIGN_OR_RETURN(Dec non_abstain, t.total.Sub(t.abstain));
  if (!non_abstain.IsPositive()) return ProposalStatus::kRejected;
  MESH_ASSIGN_OR_RETURN(Dec veto_share, t.veto.Quo(t.total));
  if (veto_share > p.veto_threshold) return ProposalStatus::kVetoed;
  MESH_ASSIGN_OR_RETURN(Dec yes_share, t.yes.Quo(non_abstain));
  if (yes_share > p.threshold) return ProposalStatus::kPassed;
  return ProposalStatus::kRejected;
}

// A passed proposal's slash, unless the validator was punished since.
absl::StatusOr<Amount> Execute(const Context& ctx, const SlashProposal& p) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, p.consumer));
  if (cfg.closed) return Amount::Zero();
  MESH_ASSIGN_OR_RETURN(RemoteState state,
                        RemoteValidators::CurrentState(ctx, p.consumer, p.validator));
  MESH_ASSIGN_OR_RETURN(bool punished,
                        ConsumerEvidence::Punished(ctx, p.consumer, p.validator));
  if (state == RemoteState::kTombstoned || punished) return Amount::Zero();
  MESH_ASSIGN_OR_RETURN(Amount cut, ConsumerEvidence::PunishConsumerValidator(
                                        ctx, p.consumer, p.validator, p.fraction,
                                        p.infraction_height, p.infraction_time));
  MESH_RETURN_IF_ERROR(ConsumerEvidence::RecordPunished(
      ctx, p.consumer, p.validator, static_cast<int64_t>(p.infraction_height),
      p.infraction_time));
  return cut;
}

// A passed slash of a provider validator, through the application's
// native slash path (header comment).
absl::StatusOr<Amount> ExecuteNative(const Context& ctx, const SlashProposal& p,
                                     const NativeSlasher& slasher) {
  if (!slasher) return absl::FailedPreconditionError("no native slash path");
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        staking::Staking::GetValidator(ctx, p.validator));
  if (!v.has_value() || v->tombstoned) return Amount::Zero();
  NativeSlashOrder order{p.id,     p.consumer, p.validator, p.infraction_height,
                         p.fraction, !p.jail_only};
  MESH_ASSIGN_OR_RETURN(staking::Params sp, staking::Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(Amount supply_before, staking::Bank::Supply(ctx, sp.bond_denom));
  MESH_ASSIGN_OR_RETURN(Amount burned, slasher(ctx, order));
  // Everything the slash burned (the validator, unbondings, redelegations).
  MESH_ASSIGN_OR_RETURN(Amount supply_after, staking::Bank::Supply(ctx, sp.bond_denom));
  MESH_ASSIGN_OR_RETURN(Amount total, Governance::NativeBurned(ctx));
  MESH_ASSIGN_OR_RETURN(total, total.Add(supply_before.SaturatingSub(supply_after)));
  MESH_RETURN_IF_ERROR(ctx.store().Put(NativeBurnedKey(), Encoder().Amt(total).Take()));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> now,
                        staking::Staking::GetValidator(ctx, p.validator));
  if (now.has_value() && now->tombstoned) {  // not when the native handler ignored it
    MESH_RETURN_IF_ERROR(ConsumerEvidence::RecordPunished(
        ctx, p.consumer, p.validator, static_cast<int64_t>(p.infraction_height),
        ctx.time_seconds()));
  }
  return burned;
}

// A passed link proposal's effect (header comment).
absl::Status ExecuteLink(const Context& ctx, const SlashProposal& p) {
  if (p.kind == ProposalKind::kLinkUpdate) return CcvProvider::ApplyUpdate(ctx, p.consumer, p.update);
  MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, p.consumer));
  if (st.stopped) return absl::FailedPreconditionError("ccv: consumer already stopped");
  return CcvProvider::Stop(ctx, p.consumer);
}

absl::Status Finish(const Context& ctx, SlashProposal& p, const NativeSlasher& slasher) {
  MESH_ASSIGN_OR_RETURN(GovParams params, Governance::Params(ctx));
  MESH_ASSIGN_OR_RETURN(DecTally t, Count(ctx, p.id));
  MESH_ASSIGN_OR_RETURN(p.tally, ToResult(t));
  MESH_ASSIGN_OR_RETURN(p.status, Decide(t, params));
  MESH_ASSIGN_OR_RETURN(staking::Params sp, staking::Staking::GetParams(ctx));
  if (p.status == ProposalStatus::kVetoed) {
    MESH_RETURN_IF_ERROR(staking::Bank::Burn(ctx, kGovModule, sp.bond_denom, p.deposit));
  } else {
    MESH_RETURN_IF_ERROR(
        staking::Bank::Send(ctx, kGovModule, p.proposer, sp.bond_denom, p.deposit));
  }
  if (p.status == ProposalStatus::kPassed && p.kind != ProposalKind::kSlash) {
    Overlay overlay(&ctx.store());
    absl::Status s = ExecuteLink(ctx.WithStore(&overlay), p);
    if (s.ok()) {
      MESH_RETURN_IF_ERROR(overlay.Commit());
      p.applied = true;
    } else if (absl::IsDataLoss(s) || absl::IsInternal(s)) {
      return s;
    }
  } else if (p.status == ProposalStatus::kPassed) {
    // The end block must not fail on valid state: a slash the modules
    // refuse is discarded whole (slashed stays 0); corrupt state still stops.
    Overlay overlay(&ctx.store());
    const Context c = ctx.WithStore(&overlay);
    absl::StatusOr<Amount> cut = p.native ? ExecuteNative(c, p, slasher) : Execute(c, p);
    if (cut.ok()) {
      MESH_RETURN_IF_ERROR(overlay.Commit());
      p.slashed = *cut;
    } else if (absl::IsDataLoss(cut.status()) || absl::IsInternal(cut.status())) {
      return cut.status();
    }
  }
  // Votes are kept for queries only while voting; drop them.
  MESH_RETURN_IF_ERROR(ctx.store().DeletePrefix(VotePrefix(p.id)));
  return Put(ctx, p);
}

}  // namespace

// ------------------------------------------------------------------ records

void GovParams::Encode(Encoder& e) const {
  e.Amt(min_deposit).U64(voting_period_s).Decimal(quorum).Decimal(threshold).Decimal(
      veto_threshold);
}

absl::StatusOr<GovParams> GovParams::Decode(Decoder& d) {
  GovParams p;
  MESH_ASSIGN_OR_RETURN(p.min_deposit, d.Amt());
  MESH_ASSIGN_OR_RETURN(p.voting_period_s, d.U64());
  MESH_ASSIGN_OR_RETURN(p.quorum, d.Decimal());
  MESH_ASSIGN_OR_RETURN(p.threshold, d.Decimal());
  MESH_ASSIGN_OR_RETURN(p.veto_threshold, d.Decimal());
  return p;
}

void TallyResult::Encode(Encoder& e) const {
  e.Amt(yes).Amt(abstain).Amt(no).Amt(no_with_veto).Amt(total_bonded);
}

absl::StatusOr<TallyResult> TallyResult::Decode(Decoder& d) {
  TallyResult r;
  MESH_ASSIGN_OR_RETURN(r.yes, d.Amt());
  MESH_ASSIGN_OR_RETURN(r.abstain, d.Amt());
  MESH_ASSIGN_OR_RETURN(r.no, d.Amt());
  MESH_ASSIGN_OR_RETURN(r.no_with_veto, d.Amt());
  MESH_ASSIGN_OR_RETURN(r.total_bonded, d.Amt());
  return r;
}

void SlashProposal::Encode(Encoder& e) const {
  e.U64(id).Str(proposer.value()).Str(consumer.value()).Str(validator.value());
  e.U64(infraction_height).U64(infraction_time).Decimal(fraction).Amt(deposit);
  e.U64(submit_time_s).U64(voting_end_s).U8(static_cast<uint8_t>(status));
  tally.Encode(e);
  e.Amt(slashed);
  e.U8(static_cast<uint8_t>(kind));
  update.Encode(e);
  e.Bool(applied);
  e.Bool(native).Bool(jail_only);
}

absl::StatusOr<SlashProposal> SlashProposal::Decode(Decoder& d) {
  SlashProposal p;
  MESH_ASSIGN_OR_RETURN(p.id, d.U64());
  MESH_ASSIGN_OR_RETURN(std::string proposer, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string consumer, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string validator, d.Str());
  p.proposer = AccountAddress(std::move(proposer));
  p.consumer = ConsumerId(std::move(consumer));
  p.validator = ValidatorAddress(std::move(validator));
  MESH_ASSIGN_OR_RETURN(p.infraction_height, d.U64());
  MESH_ASSIGN_OR_RETURN(p.infraction_time, d.U64());
  MESH_ASSIGN_OR_RETURN(p.fraction, d.Decimal());
  MESH_ASSIGN_OR_RETURN(p.deposit, d.Amt());
  MESH_ASSIGN_OR_RETURN(p.submit_time_s, d.U64());
  MESH_ASSIGN_OR_RETURN(p.voting_end_s, d.U64());
  MESH_ASSIGN_OR_RETURN(uint8_t status, d.U8());
  if (status < 1 || status > 5) return absl::DataLossError("bad proposal status");
  p.status = static_cast<ProposalStatus>(status);
  MESH_ASSIGN_OR_RETURN(p.tally, TallyResult::Decode(d));
  MESH_ASSIGN_OR_RETURN(p.slashed, d.Amt());
  if (d.AtEnd()) return p;  // written before link proposals: a slash
  MESH_ASSIGN_OR_RETURN(uint8_t kind, d.U8());
  if (kind < 1 || kind > 3) return absl::DataLossError("bad proposal kind");
  p.kind = static_cast<ProposalKind>(kind);
  MESH_ASSIGN_OR_RETURN(p.update, LinkUpdate::Decode(d));
  MESH_ASSIGN_OR_RETURN(p.applied, d.Bool());
  if (d.AtEnd()) return p;  // written before provider-validator slashes
  MESH_ASSIGN_OR_RETURN(p.native, d.Bool());
  MESH_ASSIGN_OR_RETURN(p.jail_only, d.Bool());
  return p;
}

absl::StatusOr<VoteOption> ParseVoteOption(std::string_view s) {
  if (s == "yes") return VoteOption::kYes;
  if (s == "abstain") return VoteOption::kAbstain;
  if (s == "no") return VoteOption::kNo;
  if (s == "no_with_veto") return VoteOption::kNoWithVeto;
  return absl::InvalidArgumentError(
      absl::StrCat("vote option must be yes, abstain, no or no_with_veto, not ", std::string(s)));
}

const char* ProposalKindName(ProposalKind k) {
  switch (k) {
    case ProposalKind::kSlash: return "slash";
    case ProposalKind::kLinkUpdate: return "link_update";
    case ProposalKind::kConsumerRemoval: return "consumer_removal";
  }
  return "unknown";
}

const char* ProposalStatusName(ProposalStatus s) {
  switch (s) {
    case ProposalStatus::kVoting: return "voting";
    case ProposalStatus::kPassed: return "passed";
    case ProposalStatus::kRejected: return "rejected";
    case ProposalStatus::kRejectedQuorum: return "rejected_quorum";
    case ProposalStatus::kVetoed: return "vetoed";
  }
  return "unknown";
}

// ------------------------------------------------------------------ module

absl::Status Governance::SetParams(const Context& ctx, const GovParams& params) {
  if (params.voting_period_s == 0) {
    return absl::InvalidArgumentError("voting_period_s must be positive");
  }
  MESH_RETURN_IF_ERROR(CheckFraction("quorum", params.quorum));
  MESH_RETURN_IF_ERROR(CheckFraction("threshold", params.threshold));
  MESH_RETURN_IF_ERROR(CheckFraction("veto_threshold", params.veto_threshold));
  Encoder e;
  params.Encode(e);
  return ctx.store().Put(tables::Key(tables::kGovParams), e.Take());
}

absl::StatusOr<GovParams> Governance::Params(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(tables::Key(tables::kGovParams)));
  if (!raw.has_value()) return GovParams{};
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(GovParams p, GovParams::Decode(d));
  MESH_RETURN_IF_ERROR(d.Finish());
  return p;
}

absl::StatusOr<uint64_t> Governance::Submit(const Context& ctx, const AccountAddress& proposer,
                                            const SlashProposalMsg& msg) {
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> ccv, CcvProvider::Config(ctx, msg.consumer));
  if (ccv.has_value()) {
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, msg.consumer));
    if (st.stopped) return absl::FailedPreconditionError("ccv: consumer already stopped");
    MESH_ASSIGN_OR_RETURN(std::optional<ValidatorAddress> val,
                          ResolveProvider(ctx, msg.consumer, msg.validator));
    if (!val.has_value()) {
      return absl::NotFoundError(absl::StrCat(kErrGovUnknownValidator, ": ", msg.validator));
    }
    return SubmitNative(ctx, proposer, msg, *val);
  }
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, msg.consumer));
  if (cfg.closed) return absl::FailedPreconditionError(kErrClosed);
  if (!msg.fraction.IsPositive() || msg.fraction > cfg.slash_ratio_dsign) {
    return absl::InvalidArgumentError(kErrGovBadFraction);
  }
  absl::StatusOr<ValidatorAddress> resolved =
      ResolveTarget(ctx, msg.consumer, msg.validator, msg.infraction_height);
  if (absl::IsNotFound(resolved.status())) {
    // Not a consumer validator: a provider validator signing there?
    MESH_ASSIGN_OR_RETURN(std::optional<ValidatorAddress> native,
                          ResolveProvider(ctx, msg.consumer, msg.validator));
    if (native.has_value()) return SubmitNative(ctx, proposer, msg, *native);
  }
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, std::move(resolved));
  if (msg.jail_only) return absl::InvalidArgumentError(kErrGovJailOnlyMesh);
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, RemoteValidators::Get(ctx, msg.consumer, val));
  if (history::Current(h) == RemoteState::kTombstoned) {
    return absl::FailedPreconditionError(kErrGovAlreadyPunished);
  }
  MESH_ASSIGN_OR_RETURN(bool punished, ConsumerEvidence::Punished(ctx, msg.consumer, val));
  if (punished) return absl::FailedPreconditionError(kErrGovAlreadyPunished);
  std::optional<ValState> at = history::AtHeight(h, msg.infraction_height);
  if (!at.has_value() || at->state != RemoteState::kActive) {
    return absl::FailedPreconditionError(kErrGovNotValidatorAtHeight);
  }
  const uint64_t now = ctx.time_seconds();
  const uint64_t cutoff = now > cfg.unbonding_period_s ? now - cfg.unbonding_period_s : 0;
  if (!ActiveSince(h, cutoff)) return absl::FailedPreconditionError(kErrGovNotRecentValidator);
  SlashProposal p;
  p.consumer = msg.consumer;
  p.validator = val;
  p.infraction_height = msg.infraction_height;
  p.infraction_time = at->start_time;  // rounded down: more unbonds reached
  return Open(ctx, proposer, msg, std::move(p));
}

absl::StatusOr<uint64_t> Governance::SubmitNative(const Context& ctx,
                                                  const AccountAddress& proposer,
                                                  const SlashProposalMsg& msg,
                                                  const ValidatorAddress& val) {
  if (!msg.fraction.IsPositive() || msg.fraction > Dec::One()) {
    return absl::InvalidArgumentError(kErrGovBadNativeFraction);
  }
  if (msg.infraction_height == 0 || msg.infraction_height > ctx.height()) {
    return absl::InvalidArgumentError(absl::StrCat(kErrGovBadHeight, " (current ", ctx.height(),
                                                   ")"));
  }
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        staking::Staking::GetValidator(ctx, val));
  if (!v.has_value()) {
    return absl::NotFoundError(absl::StrCat(kErrGovUnknownValidator, ": ", msg.validator));
  }
  MESH_ASSIGN_OR_RETURN(bool punished, ConsumerEvidence::Punished(ctx, msg.consumer, val));
  if (v->tombstoned || punished) return absl::FailedPreconditionError(kErrGovAlreadyPunished);
  MESH_ASSIGN_OR_RETURN(uint64_t power,
                        staking::Staking::PowerAtHeight(ctx, val, msg.infraction_height));
  if (power == 0) return absl::FailedPreconditionError(kErrGovNoPowerAtHeight);
  SlashProposal p;
  p.consumer = msg.consumer;
  p.validator = val;
  p.infraction_height = msg.infraction_height;
  p.native = true;
  p.jail_only = msg.jail_only;
  return Open(ctx, proposer, msg, std::move(p));
}

absl::StatusOr<uint64_t> Governance::Open(const Context& ctx, const AccountAddress& proposer,
                                          const SlashProposalMsg& msg, SlashProposal p) {
  const std::string infraction = InfractionKey(msg.consumer, p.validator, p.infraction_height);
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> earlier, ctx.store().Get(infraction));
  if (earlier.has_value()) {
    Decoder d(*earlier);
    MESH_ASSIGN_OR_RETURN(uint64_t earlier_id, d.U64());
    MESH_ASSIGN_OR_RETURN(SlashProposal e, Get(ctx, earlier_id));
    if (e.status == ProposalStatus::kVoting || e.status == ProposalStatus::kPassed) {
      return absl::AlreadyExistsError(absl::StrCat(kErrGovDuplicate, " (proposal ", e.id, ")"));
    }
  }
  p.fraction = msg.fraction;
  MESH_ASSIGN_OR_RETURN(uint64_t id, Enqueue(ctx, proposer, msg.deposit, p));
  MESH_RETURN_IF_ERROR(ctx.store().Put(infraction, Encoder().U64(id).Take()));
  return id;
}

absl::StatusOr<uint64_t> Governance::SubmitLink(const Context& ctx,
                                                const AccountAddress& proposer,
                                                const LinkProposalMsg& msg) {
  if (msg.kind == ProposalKind::kLinkUpdate) {
    MESH_RETURN_IF_ERROR(CcvProvider::ValidateUpdate(ctx, msg.consumer, msg.update));
  } else if (msg.kind == ProposalKind::kConsumerRemoval) {
    MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, CcvProvider::Config(ctx, msg.consumer));
    if (!cfg.has_value()) {
      return absl::NotFoundError("ccv: unknown consumer " + msg.consumer.value());
    }
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, msg.consumer));
    if (st.stopped) return absl::FailedPreconditionError("ccv: consumer already stopped");
  } else {
    return absl::InvalidArgumentError("not a link proposal");
  }
  SlashProposal p;
  p.consumer = msg.consumer;
  p.kind = msg.kind;
  if (msg.kind == ProposalKind::kLinkUpdate) p.update = msg.update;
  return Enqueue(ctx, proposer, msg.deposit, p);
}

absl::Status Governance::Vote(const Context& ctx, const AccountAddress& voter, uint64_t id,
                              VoteOption option) {
  if (static_cast<uint8_t>(option) < 1 || static_cast<uint8_t>(option) > 4) {
    return absl::InvalidArgumentError("bad vote option");
  }
  MESH_ASSIGN_OR_RETURN(SlashProposal p, Get(ctx, id));
  if (p.status != ProposalStatus::kVoting || ctx.time_seconds() >= p.voting_end_s) {
    return absl::FailedPreconditionError(kErrGovNotVoting);
  }
  return ctx.store().Put(Encoder(tables::kGovVotes).U64(id).Raw(voter.value()).Take(),
                         std::string(1, static_cast<char>(option)));
}

absl::StatusOr<std::vector<uint64_t>> Governance::EndBlock(const Context& ctx,
                                                           const NativeSlasher& slasher) {
  const uint64_t now = ctx.time_seconds();
  std::vector<std::pair<std::string, uint64_t>> due;
  const std::string prefix = tables::Key(tables::kGovVotingQueue);
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t end_s, d.U64());
    MESH_ASSIGN_OR_RETURN(uint64_t id, d.U64());
    if (end_s > now) break;
    due.emplace_back(std::string(it->key()), id);
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  std::vector<uint64_t> done;
  for (const auto& [key, id] : due) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(key));
    MESH_ASSIGN_OR_RETURN(SlashProposal p, Get(ctx, id));
    MESH_RETURN_IF_ERROR(Finish(ctx, p, slasher));
    done.push_back(id);
  }
  return done;
}

absl::StatusOr<TallyResult> Governance::Tally(const Context& ctx, uint64_t id) {
  MESH_ASSIGN_OR_RETURN(SlashProposal p, Get(ctx, id));
  if (p.status != ProposalStatus::kVoting) return p.tally;
  MESH_ASSIGN_OR_RETURN(DecTally t, Count(ctx, id));
  return ToResult(t);
}

absl::StatusOr<Amount> Governance::NativeBurned(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(NativeBurnedKey()));
  if (!raw.has_value()) return Amount::Zero();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(Amount a, d.Amt());
  MESH_RETURN_IF_ERROR(d.Finish());
  return a;
}

absl::StatusOr<SlashProposal> Governance::Get(const Context& ctx, uint64_t id) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(ProposalKey(id)));
  if (!raw.has_value()) return absl::NotFoundError(absl::StrCat("unknown proposal ", id));
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(SlashProposal p, SlashProposal::Decode(d));
  MESH_RETURN_IF_ERROR(d.Finish());
  return p;
}

absl::StatusOr<std::vector<SlashProposal>> Governance::All(const Context& ctx) {
  std::vector<SlashProposal> out;
  auto it = ctx.store().ScanPrefix(tables::Key(tables::kGovProposals));
  for (; it->Valid(); it->Next()) {
    Decoder d(it->value());
    MESH_ASSIGN_OR_RETURN(SlashProposal p, SlashProposal::Decode(d));
    MESH_RETURN_IF_ERROR(d.Finish());
    out.push_back(std::move(p));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace mesh::provider
