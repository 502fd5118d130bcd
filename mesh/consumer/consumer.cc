#include "mesh/consumer/consumer.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "mesh/consumer/converter.h"
#include "mesh/consumer/outbox.h"
#include "mesh/consumer/provider_guard.h"
#include "mesh/consumer/rewards.h"
#include "mesh/consumer/state.h"
#include "mesh/consumer/validator_events.h"
#include "staking/staking.h"

namespace mesh::consumer {

using staking::Staking;

namespace {

absl::Status RequireAuthority(const Context& ctx, const AccountAddress& sender) {
  MESH_ASSIGN_OR_RETURN(ModuleParams params, internal::LoadParams(ctx));
  if (sender != params.authority) {
    return absl::PermissionDeniedError("invalid authority; expected " +
                                       params.authority.value() + ", got " + sender.value());
  }
  return absl::OkStatus();
}

std::vector<ValidatorAddress> Addresses(const std::vector<ValidatorInfo>& infos) {
  std::vector<ValidatorAddress> out;
  for (const auto& i : infos) out.push_back(i.address);
  return out;
}

std::string SlashForwardKey(const ProviderId& p, uint64_t seq) {
  return Encoder().Raw(internal::ProviderPrefix(internal::kSlashForwardPrefix, p)).U64(seq).Take();
}

absl::Status QueueSlashForward(const Context& ctx, const ProviderId& p, const ValidatorSlash& s) {
  MESH_ASSIGN_OR_RETURN(uint64_t seq,
                        internal::NextSeq(ctx, internal::kSlashForwardSeqPrefix, p));
  return PutRecord(ctx.store(), SlashForwardKey(p, seq), s);
}

// Converts queued slashes in order while a valid price exists; converted
// ones leave the queue and go into `packet`.
absl::Status DrainSlashForwards(const Context& ctx, const ProviderId& p, SlashBatch& batch,
                                ValsetUpdatePacket* packet) {
  std::vector<std::pair<std::string, ValidatorSlash>> queued;
  auto it = ctx.store().ScanPrefix(internal::ProviderPrefix(internal::kSlashForwardPrefix, p));
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(ValidatorSlash s, DecodeRecord<ValidatorSlash>(it->value()));
    queued.emplace_back(std::string(it->key()), std::move(s));
  }
  MESH_RETURN_IF_ERROR(it->status());
  for (const auto& [key, s] : queued) {
    absl::StatusOr<Coin> remote = Converter::ToRemote(ctx, p, s.slash_amount);
    if (!remote.ok()) break;  // no valid price: wait, keep the order
    // At most the ratio of what the provider holds here (its SlashGuard
    // bound, ProviderGuard::ClipForwardedSlash), so both ends cut the same
    // after a price drop. C-19, C-28: the records lose exactly what the
    // provider is told, by what each held at the infraction.
    MESH_ASSIGN_OR_RETURN(Amount cut, batch.CutRemote(s.address, remote->amount,
                                                      s.infraction_height, s.slash_ratio));
    packet->slashed.push_back(SlashInfoPacket{s.address, s.infraction_height,
                                              s.infraction_time_s, s.power,
                                              Coin{remote->denom, cut},
                                              Dec18String(s.slash_ratio)});
    MESH_RETURN_IF_ERROR(ctx.store().Delete(key));
  }
  return absl::OkStatus();
}

// Books provider p's share of every slash and queues its ValsetUpdate.
absl::Status ForwardValidatorEvents(const Context& ctx, const ProviderId& p,
                                    const ValsetUpdate& update) {
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, p));
  MESH_ASSIGN_OR_RETURN(AccountAddress virt, VirtualStaking::VirtualAccount(ctx, p));
  // Every record cut of this block goes through one batch: each slashed
  // validator's records are read once (SlashBatch).
  SlashBatch batch(ctx, p);
  for (ValidatorSlash s : update.slashed) {
    MESH_ASSIGN_OR_RETURN(s.slash_amount,
                          ValidatorEvents::SlashShare(ctx, virt, s.address, s.slash_amount));
    if (!s.slash_amount.IsZero() && st.channel_open) {
      MESH_RETURN_IF_ERROR(batch.ApplyForwardedSlash(s.address, s.slash_amount));
    } else if (!s.slash_amount.IsZero()) {
      MESH_RETURN_IF_ERROR(batch.ApplySlash(s.address, s.slash_amount));
    }
    if (st.channel_open) MESH_RETURN_IF_ERROR(QueueSlashForward(ctx, p, s));
  }
  if (!st.channel_open) return absl::OkStatus();
  ValsetUpdatePacket packet{ctx.height(),        ctx.time_seconds(),      Addresses(update.additions),
                            update.removals,     Addresses(update.updated), update.jailed,
                            update.unjailed,     update.tombstoned,       {}};
  MESH_RETURN_IF_ERROR(DrainSlashForwards(ctx, p, batch, &packet));
  ValsetUpdatePacket empty{packet.height, packet.time_s, {}, {}, {}, {}, {}, {}, {}};
  if (packet == empty) return absl::OkStatus();
  return Outbox::Append(ctx, p, std::move(packet));
}

absl::StatusOr<EpochOutcome> RunEpoch(const Context& ctx, const ProviderId& p,
                                      uint64_t epoch_length) {
  EpochOutcome outcome{p, absl::OkStatus(), {}};
  outcome.status = internal::RunIsolated(ctx, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(outcome.report, VirtualStaking::HandleEpoch(c, p));
    return absl::OkStatus();
  });
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, p));
  st.next_epoch_height = ctx.height() + epoch_length;
  MESH_RETURN_IF_ERROR(internal::SaveState(ctx, p, st));
  return outcome;
}

}  // namespace

absl::Status Consumer::InitGenesis(const Context& ctx, const ModuleParams& params) {
  if (params.epoch_length == 0) return absl::InvalidArgumentError("epoch length must be > 0");
  // Every virtual account is 20 bytes under this prefix: one check covers
  // all providers.
  absl::Status prefix =
      VirtualStaking::VirtualAccountFor(params.account_prefix, ProviderId("")).status();
  if (!prefix.ok()) {
    return absl::InvalidArgumentError("invalid account prefix \"" + params.account_prefix +
                                      "\": " + std::string(prefix.message()));
  }
  return PutRecord(ctx.store(), Encoder(internal::kParamsPrefix).data(), params);
}

absl::StatusOr<ModuleParams> Consumer::GetParams(const Context& ctx) {
  return internal::LoadParams(ctx);
}

absl::Status Consumer::RegisterProvider(const Context& ctx, const AccountAddress& sender,
                                        const ProviderId& provider, const ProviderSetup& setup) {
  MESH_RETURN_IF_ERROR(RequireAuthority(ctx, sender));
  if (setup.discount.IsNegative() || setup.discount >= Dec::One()) {
    return absl::InvalidArgumentError(
        "Invalid discount, must be greater or equal than 0.0 and less than 1.0");
  }
  if (setup.remote_denom.empty()) return absl::InvalidArgumentError("Invalid denom: ");
  if (setup.price_ttl_s == 0 || setup.max_retrieve == 0) {
    return absl::InvalidArgumentError("price ttl and max_retrieve must be > 0");
  }
  if (internal::LoadConfig(ctx, provider).ok()) {
    return absl::FailedPreconditionError("provider already registered: " + provider.value());
  }
  MESH_ASSIGN_OR_RETURN(Dec adjustment, Dec::One().Sub(setup.discount));
  ProviderConfig cfg{setup.remote_denom, adjustment, setup.oracle, setup.price_ttl_s,
                     setup.max_retrieve};
  MESH_RETURN_IF_ERROR(
      PutRecord(ctx.store(), internal::ProviderPrefix(internal::kConfigPrefix, provider), cfg));
  return internal::SaveState(ctx, provider, ProviderState{});
}

absl::Status Consumer::SetMaxCap(const Context& ctx, const AccountAddress& sender,
                                 const ProviderId& provider, Amount cap) {
  MESH_RETURN_IF_ERROR(RequireAuthority(ctx, sender));
  MESH_ASSIGN_OR_RETURN(ModuleParams params, internal::LoadParams(ctx));
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, provider));
  MESH_ASSIGN_OR_RETURN(std::vector<ProviderId> all, internal::AllProviders(ctx));
  Amount used;
  for (const auto& other : all) {
    if (other == provider) continue;
    MESH_ASSIGN_OR_RETURN(ProviderState os, internal::LoadState(ctx, other));
    MESH_ASSIGN_OR_RETURN(used, used.Add(os.max_cap));
  }
  MESH_ASSIGN_OR_RETURN(Amount total, used.Add(cap));
  if (total > params.total_max_cap) {
    return absl::InvalidArgumentError("amount exceeds total available max cap (used " +
                                      used.ToString() + " of " +
                                      params.total_max_cap.ToString() + ")");
  }
  st.has_max_cap = true;
  st.max_cap = cap;
  if (st.next_epoch_height == 0) st.next_epoch_height = ctx.height() + params.epoch_length;
  return internal::SaveState(ctx, provider, st);
}

absl::StatusOr<ProviderConfig> Consumer::GetConfig(const Context& ctx, const ProviderId& provider) {
  return internal::LoadConfig(ctx, provider);
}

absl::StatusOr<ProviderState> Consumer::GetState(const Context& ctx, const ProviderId& provider) {
  return internal::LoadState(ctx, provider);
}

absl::StatusOr<std::vector<ProviderId>> Consumer::Providers(const Context& ctx) {
  return internal::AllProviders(ctx);
}

absl::Status Consumer::OnChannelOpen(const Context& ctx, const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, provider));
  st.channel_open = true;
  MESH_RETURN_IF_ERROR(internal::SaveState(ctx, provider, st));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> bonded, Staking::BondedValidators(ctx));
  ValsetUpdatePacket packet;
  packet.height = ctx.height();
  packet.time_s = ctx.time_seconds();
  for (const auto& v : bonded) packet.additions.push_back(v.operator_address);
  return Outbox::Append(ctx, provider, std::move(packet));
}

absl::Status Consumer::OnChannelClose(const Context& ctx, const ProviderId& provider) {
  return VirtualStaking::CloseChannel(ctx, provider);
}

absl::StatusOr<Amount> Consumer::HandleStake(const Context& ctx, const ProviderId& provider,
                                             const StakeRequest& req) {
  MESH_RETURN_IF_ERROR(ProviderGuard::CheckStake(req));
  MESH_ASSIGN_OR_RETURN(Amount local, Converter::ToLocal(ctx, provider, req.stake));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val,
                        Staking::GetValidator(ctx, req.validator));
  if (!val.has_value()) {
    return absl::NotFoundError("validator not found: " + req.validator.value());
  }
  MESH_ASSIGN_OR_RETURN(ValidatorStatus status,
                        VirtualStaking::GetValidatorStatus(ctx, req.validator));
  if (val->tombstoned || status.tombstoned) {
    return absl::FailedPreconditionError("validator is tombstoned: " + req.validator.value());
  }
  MESH_RETURN_IF_ERROR(VirtualStaking::AddStake(ctx, provider, req.delegator, req.validator,
                                                req.stake.amount, local));
  return local;
}

absl::StatusOr<Amount> Consumer::HandleUnstake(const Context& ctx, const ProviderId& provider,
                                               const UnstakeRequest& req, Amount* absorbed) {
  MESH_ASSIGN_OR_RETURN(ProviderConfig cfg, internal::LoadConfig(ctx, provider));
  if (req.unstake.denom != cfg.remote_denom) {
    return absl::InvalidArgumentError("Sent wrong denom over IBC: " + req.unstake.denom.value() +
                                      ", expected " + cfg.remote_denom.value());
  }
  MESH_RETURN_IF_ERROR(ProviderGuard::CheckUnstake(ctx, provider, req));
  return VirtualStaking::RemoveStake(ctx, provider, req.delegator, req.validator,
                                     req.unstake.amount, absorbed);
}

absl::StatusOr<Amount> Consumer::HandleBurn(const Context& ctx, const ProviderId& provider,
                                            const BurnRequest& req) {
  MESH_RETURN_IF_ERROR(ProviderGuard::CheckBurn(ctx, provider, req));
  MESH_ASSIGN_OR_RETURN(Amount local, Converter::ToLocal(ctx, provider, req.burn));
  return VirtualStaking::Burn(ctx, provider, req.validators, local, req.burn.amount);
}

absl::Status Consumer::HandleTransferRewards(const Context& ctx, const ProviderId& provider,
                                             const TransferRewardsRequest& req) {
  return Rewards::Transfer(ctx, provider, req);
}

absl::Status Consumer::OnAcknowledgement(const Context& ctx, const ProviderId& provider,
                                         const ConsumerPacket& packet, bool success) {
  if (const auto* u = std::get_if<InternalUnstakePacket>(&packet)) {
    if (success) {
      return VirtualStaking::InternalUnbond(ctx, provider, *u).status();
    }
    return VirtualStaking::InternalUnstakeFailed(ctx, provider, u->delegator, u->validator);
  }
  if (const auto* d = std::get_if<DistributeBatchPacket>(&packet); d != nullptr && !success) {
    return Rewards::Requeue(ctx, provider, *d);
  }
  // A refused validator-set update would lose slashes, jails and unjails
  // for good (the provider's state change was discarded): send it again,
  // as on a timeout (C-22).
  if (std::holds_alternative<ValsetUpdatePacket>(packet) && !success) {
    return Outbox::Append(ctx, provider, packet);
  }
  return absl::OkStatus();
}

absl::Status Consumer::OnTimeout(const Context& ctx, const ProviderId& provider,
                                 const ConsumerPacket& packet) {
  return Outbox::Append(ctx, provider, packet);
}

absl::StatusOr<std::vector<OutboxEntry>> Consumer::TakeOutbox(const Context& ctx,
                                                              const ProviderId& provider) {
  return Outbox::Take(ctx, provider);
}

absl::StatusOr<EndBlockReport> Consumer::EndBlock(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(ModuleParams params, internal::LoadParams(ctx));
  MESH_RETURN_IF_ERROR(ValidatorEvents::RecordBlockTime(ctx));
  EndBlockReport report;
  MESH_ASSIGN_OR_RETURN(report.update, ValidatorEvents::Capture(ctx));
  MESH_RETURN_IF_ERROR(VirtualStaking::ApplyValidatorStatus(ctx, report.update));
  MESH_ASSIGN_OR_RETURN(std::vector<ProviderId> providers, internal::AllProviders(ctx));
  for (const auto& p : providers) {
    MESH_RETURN_IF_ERROR(ForwardValidatorEvents(ctx, p, report.update));
  }
  for (const auto& p : providers) {
    MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, p));
    if (st.next_epoch_height == 0 || st.next_epoch_height > ctx.height()) continue;
    MESH_ASSIGN_OR_RETURN(EpochOutcome outcome, RunEpoch(ctx, p, params.epoch_length));
    report.epochs.push_back(std::move(outcome));
  }
  return report;
}

}  // namespace mesh::consumer
