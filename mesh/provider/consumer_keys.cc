#include "mesh/provider/consumer_keys.h"

#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/canonical_vote.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/tables.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

std::string ForwardKey(const ConsumerId& c, const ValidatorAddress& v) {
  return tables::Key(tables::kKeyByValidator, c.value(), v.value());
}
std::string ReverseKey(const ConsumerId& c, std::string_view address) {
  return tables::Key(tables::kKeyByAddress, c.value(), address);
}
std::string PruneKey(uint64_t at_s, const ConsumerId& c, std::string_view address) {
  return Encoder(tables::kKeyPruneQueue).U64(at_s).Str(c.value()).Raw(address).Take();
}

// The provider validator whose own consensus key is `pubkey`, if any.
absl::StatusOr<std::optional<staking::Validator>> ProviderKeyOwner(const Context& ctx,
                                                                   std::string_view pubkey) {
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> all, staking::Staking::AllValidators(ctx));
  for (staking::Validator& v : all) {
    if (v.consensus_pubkey == pubkey) return std::optional<staking::Validator>(std::move(v));
  }
  return std::optional<staking::Validator>();
}

// How long a replaced key stays mapped on `consumer`: a mesh link's
// unbonding period (FailedPrecondition once the link is closed); for a
// replicated / opt-in link, the provider's own unbonding time (ADR-018:
// provider unbonding alone bounds what a consumer can still report). NotFound
// for a consumer with neither.
absl::StatusOr<uint64_t> UnbondingPeriodOf(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> ccv, CcvProvider::Config(ctx, consumer));
  if (ccv.has_value()) {
    MESH_ASSIGN_OR_RETURN(staking::Params params, staking::Staking::GetParams(ctx));
    return params.unbonding_time_s;
  }
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, consumer));
  if (cfg.closed) return absl::FailedPreconditionError(kErrClosed);
  return cfg.unbonding_period_s;
}

}  // namespace

void KeyAssignment::Encode(Encoder& e) const {
  e.Str(provider_validator.value()).Bytes(pubkey).U64(prune_at_s);
}

absl::StatusOr<KeyAssignment> KeyAssignment::Decode(Decoder& d) {
  KeyAssignment k;
  MESH_ASSIGN_OR_RETURN(std::string v, d.Str());
  k.provider_validator = ValidatorAddress(std::move(v));
  MESH_ASSIGN_OR_RETURN(k.pubkey, d.Bytes());
  MESH_ASSIGN_OR_RETURN(k.prune_at_s, d.U64());
  return k;
}

absl::Status ConsumerKeys::Assign(const Context& ctx, const ConsumerId& consumer,
                                  const ValidatorAddress& validator, std::string_view pubkey) {
  MESH_ASSIGN_OR_RETURN(const uint64_t unbonding_period_s, UnbondingPeriodOf(ctx, consumer));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> self,
                        staking::Staking::GetValidator(ctx, validator));
  if (!self.has_value()) return absl::NotFoundError("unknown validator: " + validator.value());
  if (pubkey.size() != 32) return absl::InvalidArgumentError(kErrBadConsumerKey);
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> previous, Assigned(ctx, consumer, validator));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> owner, ProviderKeyOwner(ctx, pubkey));
  if (owner.has_value()) {
    if (owner->operator_address != validator) return absl::InvalidArgumentError(kErrKeyIsProviderKey);
    if (!previous.has_value()) return absl::InvalidArgumentError(kErrDefaultKeyAssignment);
  }
  const std::string address = ConsensusAddress(pubkey);
  MESH_ASSIGN_OR_RETURN(std::optional<KeyAssignment> used,
                        ByConsumerAddress(ctx, consumer, address));
  if (used.has_value()) return absl::AlreadyExistsError(kErrConsumerKeyInUse);
  if (previous.has_value()) {
    // The old key's mapping stays for the unbonding period (header comment).
    const std::string old_address = ConsensusAddress(*previous);
    MESH_ASSIGN_OR_RETURN(std::optional<KeyAssignment> old,
                          ByConsumerAddress(ctx, consumer, old_address));
    if (old.has_value()) {
      old->prune_at_s = ctx.time_seconds() + unbonding_period_s;
      MESH_RETURN_IF_ERROR(PutRecord(ctx.store(), ReverseKey(consumer, old_address), *old));
      MESH_RETURN_IF_ERROR(
          ctx.store().Put(PruneKey(old->prune_at_s, consumer, old_address), ""));
    }
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(ForwardKey(consumer, validator), std::string(pubkey)));
  return PutRecord(ctx.store(), ReverseKey(consumer, address),
                   KeyAssignment{validator, std::string(pubkey), 0});
}

absl::StatusOr<std::optional<std::string>> ConsumerKeys::Assigned(
    const Context& ctx, const ConsumerId& consumer, const ValidatorAddress& validator) {
  return ctx.store().Get(ForwardKey(consumer, validator));
}

absl::StatusOr<std::string> ConsumerKeys::KeyOn(const Context& ctx, const ConsumerId& consumer,
                                                const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> assigned, Assigned(ctx, consumer, validator));
  if (assigned.has_value()) return *assigned;
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        staking::Staking::GetValidator(ctx, validator));
  if (!v.has_value()) return absl::NotFoundError("unknown validator: " + validator.value());
  return v->consensus_pubkey;
}

absl::StatusOr<std::optional<KeyAssignment>> ConsumerKeys::ByConsumerAddress(
    const Context& ctx, const ConsumerId& consumer, std::string_view address) {
  return GetRecord<KeyAssignment>(ctx.store(), ReverseKey(consumer, address));
}

absl::StatusOr<std::vector<std::pair<std::string, KeyAssignment>>> ConsumerKeys::Assignments(
    const Context& ctx, const ConsumerId& consumer) {
  const std::string prefix = tables::Prefix(tables::kKeyByAddress, consumer.value());
  std::vector<std::pair<std::string, KeyAssignment>> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->value());
    MESH_ASSIGN_OR_RETURN(KeyAssignment k, KeyAssignment::Decode(d));
    MESH_RETURN_IF_ERROR(d.Finish());
    out.emplace_back(std::string(it->key().substr(prefix.size())), std::move(k));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::optional<ValidatorAddress>> ConsumerKeys::ProviderValidatorFor(
    const Context& ctx, const ConsumerId& consumer, std::string_view address) {
  MESH_ASSIGN_OR_RETURN(std::optional<KeyAssignment> mapped,
                        ByConsumerAddress(ctx, consumer, address));
  if (mapped.has_value()) return std::optional<ValidatorAddress>(mapped->provider_validator);
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> all, staking::Staking::AllValidators(ctx));
  for (const staking::Validator& v : all) {
    if (v.consensus_pubkey.size() != 32 || ConsensusAddress(v.consensus_pubkey) != address) {
      continue;
    }
    // A validator that assigned another key does not sign with its own here.
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> assigned,
                          Assigned(ctx, consumer, v.operator_address));
    if (assigned.has_value()) return std::optional<ValidatorAddress>();
    return std::optional<ValidatorAddress>(v.operator_address);
  }
  return std::optional<ValidatorAddress>();
}

absl::Status ConsumerKeys::Prune(const Context& ctx, uint64_t limit) {
  const std::string prefix = Encoder(tables::kKeyPruneQueue).Take();
  std::vector<std::string> due;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid() && due.size() < limit; it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t at, d.U64());
    if (at > ctx.time_seconds()) break;
    due.push_back(std::string(it->key()));
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const std::string& key : due) {
    Decoder d(std::string_view(key).substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t at, d.U64());
    MESH_ASSIGN_OR_RETURN(std::string consumer, d.Str());
    const std::string address(d.Rest());
    const ConsumerId c(consumer);
    MESH_ASSIGN_OR_RETURN(std::optional<KeyAssignment> k, ByConsumerAddress(ctx, c, address));
    // Only a replaced mapping with this prune time goes (a current one is
    // never queued).
    if (k.has_value() && k->prune_at_s == at) {
      MESH_RETURN_IF_ERROR(ctx.store().Delete(ReverseKey(c, address)));
    }
    MESH_RETURN_IF_ERROR(ctx.store().Delete(key));
  }
  return absl::OkStatus();
}

absl::Status ConsumerKeys::RemoveConsumer(const Context& ctx, const ConsumerId& consumer) {
  std::vector<std::string> keys;
  for (uint8_t table : {tables::kKeyByValidator, tables::kKeyByAddress}) {
    auto it = ctx.store().ScanPrefix(Encoder(table).Str(consumer.value()).Take());
    for (; it->Valid(); it->Next()) keys.emplace_back(it->key());
    MESH_RETURN_IF_ERROR(it->status());
  }
  const std::string prefix = Encoder(tables::kKeyPruneQueue).Take();
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t at, d.U64());
    (void)at;
    MESH_ASSIGN_OR_RETURN(std::string c, d.Str());
    if (c == consumer.value()) keys.emplace_back(it->key());
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const std::string& k : keys) MESH_RETURN_IF_ERROR(ctx.store().Delete(k));
  return absl::OkStatus();
}

std::string ConsensusAddressOf(std::string_view pubkey) { return ConsensusAddress(pubkey); }

absl::StatusOr<std::string> ConsumerKeyOf(const Context& ctx, const ConsumerId& consumer,
                                          const staking::Validator& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> assigned,
                        ConsumerKeys::Assigned(ctx, consumer, validator.operator_address));
  return assigned.has_value() ? *assigned : validator.consensus_pubkey;
}

absl::StatusOr<std::optional<ValidatorAddress>> ProviderValidatorOf(
    const Context& ctx, const ConsumerId& consumer, std::string_view consumer_address) {
  return ConsumerKeys::ProviderValidatorFor(ctx, consumer, consumer_address);
}

}  // namespace mesh::provider
