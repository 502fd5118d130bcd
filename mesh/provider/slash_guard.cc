#include "mesh/provider/slash_guard.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/remote_validators.h"

namespace mesh::provider {
namespace {

// Every validator the packet names outside its slashes.
std::set<std::string> NamedInPacket(const ValsetUpdate& u) {
  std::set<std::string> out;
  for (const auto& [v, key] : u.additions) out.insert(v.value());
  for (const auto& [v, key] : u.updated) out.insert(v.value());
  for (const auto* list : {&u.removals, &u.jailed, &u.unjailed, &u.tombstoned}) {
    for (const ValidatorAddress& v : *list) out.insert(v.value());
  }
  return out;
}

absl::StatusOr<Dec> ParseRatio(const std::string& text) {
  absl::StatusOr<Dec> ratio = Dec::Parse(text);
  if (!ratio.ok() || ratio->IsNegative() || Dec::One() < *ratio) {
    return absl::InvalidArgumentError("Invalid slash ratio");
  }
  return *ratio;
}

}  // namespace

absl::StatusOr<Amount> SlashGuard::Bound(const Context& ctx, const ConsumerId& consumer,
                                         const ValidatorAddress& validator, Dec ratio,
                                         Amount extra) {
  // Kept for the slash of the same packet inside a SlashReadScope.
  MESH_ASSIGN_OR_RETURN(std::shared_ptr<const ext_internal::ValidatorStakes> read,
                        ext_internal::ViewValidatorStakes(ctx, consumer, validator));
  Amount held = extra;
  for (const Stake& s : read->stakes) {
    MESH_ASSIGN_OR_RETURN(held, held.Add(s.stake.high()));
    // Stake the consumer unbonded (an unstake, a zero-cap internal unstake)
    // and the user has not withdrawn: the consumer held it until then, and
    // a slash for an earlier infraction may arrive after the unbond (a
    // reordered delivery; P-35).
    for (const PendingUnbond& pu : s.pending_unbonds) {
      MESH_ASSIGN_OR_RETURN(held, held.Add(pu.amount));
    }
  }
  return MulCeil(held, ratio);  // owed to the consumer: round up
}

absl::StatusOr<std::vector<SlashClip>> SlashGuard::Check(
    const Context& ctx, const ConsumerId& consumer, ValsetUpdate& update,
    const std::map<std::string, Amount>& unsettled_burns) {
  if (update.slashed.empty()) return std::vector<SlashClip>();
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, consumer));
  std::map<std::string, Amount> burns = unsettled_burns;
  MESH_ASSIGN_OR_RETURN(std::vector<OutboundPacket> queued, ExternalStaking::Outbox(ctx, consumer));
  for (const OutboundPacket& p : queued) {
    if (p.kind != OutboundPacket::Kind::kBurn) continue;
    for (const ValidatorAddress& v : p.validators) {
      MESH_ASSIGN_OR_RETURN(burns[v.value()], burns[v.value()].Add(p.amount));
    }
  }
  const std::set<std::string> named = NamedInPacket(update);
  std::set<std::string> tombstoned;
  for (const ValidatorAddress& v : update.tombstoned) tombstoned.insert(v.value());
  std::vector<Amount> allowed;
  for (const RemoteSlash& e : update.slashed) {
    MESH_ASSIGN_OR_RETURN(Dec ratio, ParseRatio(e.slash_ratio));
    MESH_ASSIGN_OR_RETURN(ValidatorHistory h, RemoteValidators::Get(ctx, consumer, e.validator));
    if (h.entries.empty() && !named.count(e.validator.value())) {
      return absl::InvalidArgumentError(kErrSlashUnknownValidator + e.validator.value());
    }
    const bool dsign = tombstoned.count(e.validator.value()) > 0 ||
                       (!h.entries.empty() && history::Current(h) == RemoteState::kTombstoned);
    const Dec limit = dsign ? cfg.slash_ratio_dsign : cfg.slash_ratio_offline;
    if (limit < ratio) {
      return absl::InvalidArgumentError(absl::StrCat(
          "slash ratio ", e.slash_ratio, " exceeds the configured ",
          dsign ? "double-sign" : "downtime", " fraction ", limit.ToString()));
    }
    auto b = burns.find(e.validator.value());
    const Amount extra = b == burns.end() ? Amount() : b->second;
    MESH_ASSIGN_OR_RETURN(Amount bound, Bound(ctx, consumer, e.validator, ratio, extra));
    allowed.push_back(Min(e.amount, bound));
  }
  std::vector<SlashClip> clips;
  for (size_t i = 0; i < update.slashed.size(); ++i) {
    RemoteSlash& e = update.slashed[i];
    if (allowed[i] == e.amount) continue;
    clips.push_back(SlashClip{e.validator, e.amount, allowed[i]});
    e.amount = allowed[i];
  }
  return clips;
}

}  // namespace mesh::provider
