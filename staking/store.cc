// Typed accessors over the staking tables, keeping every secondary index
// (power index, by-validator indexes, queues are written by their users) in
// step with the primary record.
#include <optional>
#include <string>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "staking/bank.h"
#include "staking/internal.h"

namespace mesh::staking::internal {
namespace {

// Deletes the power-index entry a validator's stored version has, if any.
absl::Status DeletePowerIndex(const Context& ctx, const StoredPower& stored,
                              const ValidatorAddress& val) {
  if (!stored.indexed) return absl::OkStatus();
  return ctx.store().Delete(PowerIndexKey(stored.potential, val));
}

std::string PowerIndexCountKey() { return std::string(1, static_cast<char>(kPowerIndexCountKey)); }

// Adds `delta` to a kept count (an absent one stays absent: the next end
// block counts the entries).
absl::Status AdjustPowerIndexCount(const Context& ctx, int delta) {
  if (delta == 0) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> count, PowerIndexCount(ctx));
  if (!count.has_value()) return absl::OkStatus();
  if (delta < 0 && *count == 0) {
    return absl::InternalError("staking: power index count below zero");
  }
  return ctx.store().Put(PowerIndexCountKey(),
                         Encoder().U64(delta < 0 ? *count - 1 : *count + 1).Take());
}

}  // namespace

absl::StatusOr<std::optional<uint64_t>> PowerIndexCount(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(PowerIndexCountKey()));
  if (!raw.has_value()) return std::optional<uint64_t>();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t count, d.U64());
  return std::optional<uint64_t>(count);
}

absl::StatusOr<uint64_t> CountPowerIndex(const Context& ctx) {
  uint64_t count = 0;
  auto it = ctx.store().ScanPrefix(std::string(1, static_cast<char>(kPowerIndexPrefix)));
  for (; it->Valid(); it->Next()) ++count;
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  MESH_RETURN_IF_ERROR(ctx.store().Put(PowerIndexCountKey(), Encoder().U64(count).Take()));
  return count;
}

absl::StatusOr<std::vector<KeyValue>> CollectRange(const KvReader& store, std::string_view begin,
                                                   std::string_view end) {
  std::vector<KeyValue> out;
  auto it = store.Scan(begin, end);
  for (; it->Valid(); it->Next()) {
    out.push_back(KeyValue{std::string(it->key()), std::string(it->value())});
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<KeyValue>> CollectPrefix(const KvReader& store,
                                                    std::string_view prefix) {
  return CollectRange(store, prefix, PrefixEnd(prefix));
}

absl::StatusOr<std::optional<Validator>> FindValidator(const Context& ctx,
                                                       const ValidatorAddress& val) {
  return GetRecord<Validator>(ctx.store(), ValidatorKey(val));
}

absl::StatusOr<Validator> MustGetValidator(const Context& ctx, const ValidatorAddress& val) {
  MESH_ASSIGN_OR_RETURN(std::optional<Validator> v, FindValidator(ctx, val));
  if (!v.has_value()) return absl::NotFoundError("validator not found: " + val.value());
  return *std::move(v);
}

StoredPower PowerOf(const Params& p, const Validator& v) {
  return StoredPower{Indexed(v), v.PotentialPower(p.power_reduction),
                     v.ConsensusPower(p.power_reduction)};
}

absl::Status PutValidator(const Context& ctx, const Validator& v) {
  MESH_ASSIGN_OR_RETURN(Params p, Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::optional<Validator> old, FindValidator(ctx, v.operator_address));
  return PutValidator(ctx, p, v, old.has_value() ? PowerOf(p, *old) : StoredPower{});
}

absl::Status PutValidator(const Context& ctx, const Params& p, const Validator& v,
                          const StoredPower& stored) {
  const uint64_t potential = v.PotentialPower(p.power_reduction);
  // An entry that stays as it is is not rewritten (a new version of the
  // same key would only lengthen the store's scans of the index).
  if (!stored.indexed || !Indexed(v) || stored.potential != potential) {
    MESH_RETURN_IF_ERROR(DeletePowerIndex(ctx, stored, v.operator_address));
    if (Indexed(v)) {
      MESH_RETURN_IF_ERROR(ctx.store().Put(PowerIndexKey(potential, v.operator_address), ""));
    }
    MESH_RETURN_IF_ERROR(
        AdjustPowerIndexCount(ctx, (Indexed(v) ? 1 : 0) - (stored.indexed ? 1 : 0)));
  }
  const uint64_t new_power = v.ConsensusPower(p.power_reduction);
  if (stored.consensus != new_power) {
    MESH_RETURN_IF_ERROR(RecordPowerChange(ctx, p, v.operator_address, new_power));
  }
  return PutRecord(ctx.store(), ValidatorKey(v.operator_address), v);
}

absl::Status RemoveValidator(const Context& ctx, const Validator& v) {
  MESH_ASSIGN_OR_RETURN(Params p, Staking::GetParams(ctx));
  MESH_RETURN_IF_ERROR(DeletePowerIndex(ctx, PowerOf(p, v), v.operator_address));
  MESH_RETURN_IF_ERROR(AdjustPowerIndexCount(ctx, Indexed(v) ? -1 : 0));
  MESH_RETURN_IF_ERROR(ctx.store().Delete(LastPowerKey(v.operator_address)));
  MESH_RETURN_IF_ERROR(RemoveValidatorRewards(ctx, v.operator_address));
  MESH_RETURN_IF_ERROR(RetirePowerHistory(ctx, p, v.operator_address));
  MESH_RETURN_IF_ERROR(ctx.store().Delete(ConsensusKeyIndexKey(v.consensus_pubkey)));
  return ctx.store().Delete(ValidatorKey(v.operator_address));
}

absl::StatusOr<std::optional<Delegation>> FindDelegation(const Context& ctx,
                                                         const AccountAddress& del,
                                                         const ValidatorAddress& val) {
  return GetRecord<Delegation>(ctx.store(), DelegationKey(del, val));
}

absl::Status PutDelegation(const Context& ctx, const Delegation& d) {
  MESH_RETURN_IF_ERROR(
      ctx.store().Put(DelegationByValKey(d.validator, d.delegator), EncodeByValShares(d.shares)));
  return PutRecord(ctx.store(), DelegationKey(d.delegator, d.validator), d);
}

absl::Status DeleteDelegation(const Context& ctx, const AccountAddress& del,
                              const ValidatorAddress& val) {
  MESH_RETURN_IF_ERROR(ctx.store().Delete(DelegationByValKey(val, del)));
  return ctx.store().Delete(DelegationKey(del, val));
}

absl::StatusOr<std::optional<UnbondingDelegation>> FindUbd(const Context& ctx,
                                                           const AccountAddress& del,
                                                           const ValidatorAddress& val) {
  return GetRecord<UnbondingDelegation>(ctx.store(), UbdKey(del, val));
}

absl::Status PutUbd(const Context& ctx, const UnbondingDelegation& ubd) {
  if (ubd.entries.empty()) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(UbdByValKey(ubd.validator, ubd.delegator)));
    return ctx.store().Delete(UbdKey(ubd.delegator, ubd.validator));
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(UbdByValKey(ubd.validator, ubd.delegator), ""));
  return PutRecord(ctx.store(), UbdKey(ubd.delegator, ubd.validator), ubd);
}

absl::StatusOr<std::optional<Redelegation>> FindRed(const Context& ctx, const AccountAddress& del,
                                                    const ValidatorAddress& src,
                                                    const ValidatorAddress& dst) {
  return GetRecord<Redelegation>(ctx.store(), RedKey(del, src, dst));
}

absl::Status PutRed(const Context& ctx, const Redelegation& red) {
  std::string by_src = RedBySrcKey(red.src, red.delegator, red.dst);
  std::string by_dst = RedByDstKey(red.delegator, red.dst, red.src);
  if (red.entries.empty()) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(by_src));
    MESH_RETURN_IF_ERROR(ctx.store().Delete(by_dst));
    return ctx.store().Delete(RedKey(red.delegator, red.src, red.dst));
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(by_src, ""));
  MESH_RETURN_IF_ERROR(ctx.store().Put(by_dst, ""));
  return PutRecord(ctx.store(), RedKey(red.delegator, red.src, red.dst), red);
}

absl::Status EmitEvent(const Context& ctx, ValidatorEvent ev) {
  std::string seq_key(1, static_cast<char>(kEventSeqKey));
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(seq_key));
  uint64_t seq = 0;
  if (raw.has_value()) {
    Decoder d(*raw);
    MESH_ASSIGN_OR_RETURN(seq, d.U64());
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(seq_key, Encoder().U64(seq + 1).Take()));
  return PutRecord(ctx.store(), Encoder(kEventPrefix).U64(seq).Take(), ev);
}

absl::Status EmitSimple(const Context& ctx, ValidatorEvent::Kind kind,
                        const ValidatorAddress& val) {
  ValidatorEvent ev;
  ev.kind = kind;
  ev.validator = val;
  ev.height = ctx.height();
  return EmitEvent(ctx, std::move(ev));
}

const AccountAddress& PoolFor(const Validator& v) {
  return v.IsBonded() ? kBondedPool : kNotBondedPool;
}

absl::Status MoveBondedToNotBonded(const Context& ctx, const Params& p, Amount amount) {
  return Bank::Send(ctx, kBondedPool, kNotBondedPool, p.bond_denom, amount);
}

absl::Status MoveNotBondedToBonded(const Context& ctx, const Params& p, Amount amount) {
  return Bank::Send(ctx, kNotBondedPool, kBondedPool, p.bond_denom, amount);
}

}  // namespace mesh::staking::internal
