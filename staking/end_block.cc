// End-block processing (neighbours.md §1.4-§1.6): active-set selection, then
// matured validators, unbonding delegations and redelegations.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/record.h"
#include "staking/bank.h"
#include "staking/internal.h"
#include "staking/unbonding_hold.h"

namespace mesh::staking {
namespace internal {
namespace {

using LastPowers = std::map<std::string, uint64_t>;  // ordered by address

absl::StatusOr<LastPowers> LoadLastPowers(const Context& ctx) {
  LastPowers out;
  std::string prefix(1, static_cast<char>(kLastPowerPrefix));
  MESH_ASSIGN_OR_RETURN(auto kvs, CollectPrefix(ctx.store(), prefix));
  for (const KeyValue& kv : kvs) {
    Decoder k(std::string_view(kv.key).substr(1));
    MESH_ASSIGN_OR_RETURN(std::string val, k.Str());
    Decoder v(kv.value);
    MESH_ASSIGN_OR_RETURN(out[val], v.U64());
  }
  return out;
}

absl::Status BondValidator(const Context& ctx, const Params& p, Validator& v) {
  if (v.status == BondStatus::kUnbonding) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(
        ValQueueKey(v.unbonding_time_ns, v.unbonding_height, v.operator_address)));
  }
  MESH_RETURN_IF_ERROR(MoveNotBondedToBonded(ctx, p, v.tokens));
  v.status = BondStatus::kBonded;
  MESH_RETURN_IF_ERROR(PutValidator(ctx, v));
  return EmitSimple(ctx, ValidatorEvent::Kind::kBonded, v.operator_address);
}

absl::Status BeginUnbondingValidator(const Context& ctx, const Params& p, Validator& v) {
  MESH_RETURN_IF_ERROR(MoveBondedToNotBonded(ctx, p, v.tokens));
  v.status = BondStatus::kUnbonding;
  v.unbonding_height = ctx.height();
  v.unbonding_time_ns = ctx.time_ns() + p.unbonding_time_s * kNanosPerSecond;
  MESH_RETURN_IF_ERROR(PutValidator(ctx, v));
  MESH_RETURN_IF_ERROR(ctx.store().Put(
      ValQueueKey(v.unbonding_time_ns, v.unbonding_height, v.operator_address), ""));
  MESH_RETURN_IF_ERROR(RecordStartedOp(
      ctx, ValidatorUnbondingOpId(v.operator_address, v.unbonding_height, v.unbonding_time_ns)));
  return EmitSimple(ctx, ValidatorEvent::Kind::kBeginUnbonding, v.operator_address);
}

// The top max_validators Indexed (neither jailed nor tombstoned) validators
// with power > 0, in power index order (power desc, then operator address
// asc).
absl::StatusOr<std::vector<ValidatorAddress>> SelectActiveSet(const Context& ctx, const Params& p) {
  std::vector<ValidatorAddress> out;
  // The scan stops after the last entry: on RocksDB every entry this index
  // lost since the last compaction (a validator's power changes, its old
  // key is deleted) lies after it, and walking them cost more than the
  // rest of the end block (docs/perf-history.md, "2. Per-block scans over deleted keys").
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> count, PowerIndexCount(ctx));
  if (!count.has_value()) {
    MESH_ASSIGN_OR_RETURN(uint64_t counted, CountPowerIndex(ctx));
    count = counted;
  }
  uint64_t seen = 0;
  const auto wanted = [&] { return seen < *count && out.size() < p.max_validators; };
  std::string prefix(1, static_cast<char>(kPowerIndexPrefix));
  auto it = ctx.store().ScanPrefix(prefix);
  // Checked before each step: the step past the last entry is the one that
  // would walk the deleted keys.
  while (wanted() && it->Valid()) {
    ++seen;
    Decoder k(it->key().substr(1));
    MESH_ASSIGN_OR_RETURN(uint64_t inverted, k.U64());
    if (inverted == ~uint64_t{0}) break;  // power 0: no one below can bond either
    MESH_ASSIGN_OR_RETURN(std::string val, k.Str());
    out.emplace_back(std::move(val));
    if (wanted()) it->Next();
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status ApplySetUpdates(const Context& ctx, const Params& p,
                             std::vector<ValidatorUpdate>& updates) {
  MESH_ASSIGN_OR_RETURN(LastPowers last, LoadLastPowers(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<ValidatorAddress> active, SelectActiveSet(ctx, p));
  for (const ValidatorAddress& addr : active) {
    MESH_ASSIGN_OR_RETURN(Validator v, MustGetValidator(ctx, addr));
    if (!v.IsBonded()) MESH_RETURN_IF_ERROR(BondValidator(ctx, p, v));
    uint64_t power = v.ConsensusPower(p.power_reduction);
    auto it = last.find(addr.value());
    if (it == last.end() || it->second != power) {
      updates.push_back({addr, power, v.consensus_pubkey});
    }
    if (it != last.end()) last.erase(it);
    MESH_RETURN_IF_ERROR(ctx.store().Put(LastPowerKey(addr), Encoder().U64(power).Take()));
  }
  for (const auto& [addr, power] : last) {  // left the set, in address order
    ValidatorAddress val(addr);
    MESH_RETURN_IF_ERROR(ctx.store().Delete(LastPowerKey(val)));
    MESH_ASSIGN_OR_RETURN(std::optional<Validator> v, FindValidator(ctx, val));
    // A validator of the last set is Bonded until here, and only Unbonded
    // validators are ever removed, so it still exists.
    if (!v.has_value()) {
      return absl::InternalError(absl::StrCat("staking: validator of the last set vanished: ", addr));
    }
    updates.push_back({val, 0, v->consensus_pubkey});
    if (v->IsBonded()) MESH_RETURN_IF_ERROR(BeginUnbondingValidator(ctx, p, *v));
  }
  return absl::OkStatus();
}

absl::Status UnbondMatureValidators(const Context& ctx) {
  std::string begin(1, static_cast<char>(kValQueuePrefix));
  std::string end = PrefixEnd(Encoder(kValQueuePrefix).U64(ctx.time_ns()).Take());
  MESH_ASSIGN_OR_RETURN(auto kvs, CollectRange(ctx.store(), begin, end));
  for (const KeyValue& kv : kvs) {
    Decoder k(std::string_view(kv.key).substr(1));
    MESH_ASSIGN_OR_RETURN(uint64_t time_ns, k.U64());
    MESH_ASSIGN_OR_RETURN(uint64_t height, k.U64());
    MESH_ASSIGN_OR_RETURN(std::string addr, k.Str());
    if (height > ctx.height()) continue;
    // On hold: the queue entry stays and is looked at again next block.
    MESH_ASSIGN_OR_RETURN(
        bool held, OnHold(ctx, ValidatorUnbondingOpId(ValidatorAddress(addr), height, time_ns)));
    if (held) continue;
    MESH_RETURN_IF_ERROR(ctx.store().Delete(kv.key));
    MESH_ASSIGN_OR_RETURN(std::optional<Validator> v, FindValidator(ctx, ValidatorAddress(addr)));
    if (!v.has_value() || v->status != BondStatus::kUnbonding) continue;
    if (v->unbonding_time_ns != time_ns || v->unbonding_height != height) continue;  // stale
    v->status = BondStatus::kUnbonded;
    if (v->delegator_shares.IsZero()) {
      MESH_RETURN_IF_ERROR(RemoveValidator(ctx, *v));
    } else {
      MESH_RETURN_IF_ERROR(PutValidator(ctx, *v));
    }
  }
  return absl::OkStatus();
}

// Pays out the mature entries that are not on hold; returns whether a mature
// entry is on hold (its queue entry must stay).
absl::StatusOr<bool> CompleteUnbonding(const Context& ctx, const Params& p,
                                       const AccountAddress& del, const ValidatorAddress& val) {
  MESH_ASSIGN_OR_RETURN(std::optional<UnbondingDelegation> ubd, FindUbd(ctx, del, val));
  if (!ubd.has_value()) return false;
  std::vector<UnbondingEntry> kept;
  bool any_held = false;
  for (const UnbondingEntry& e : ubd->entries) {
    if (e.completion_time_ns > ctx.time_ns()) {
      kept.push_back(e);
      continue;
    }
    MESH_ASSIGN_OR_RETURN(
        bool held, OnHold(ctx, UndelegationOpId(del, val, e.creation_height, e.completion_time_ns)));
    if (held) {
      kept.push_back(e);
      any_held = true;
      continue;
    }
    MESH_RETURN_IF_ERROR(Bank::Send(ctx, kNotBondedPool, del, p.bond_denom, e.balance));
  }
  if (kept.size() == ubd->entries.size()) return any_held;  // nothing completed
  ubd->entries = std::move(kept);
  MESH_RETURN_IF_ERROR(PutUbd(ctx, *ubd));
  return any_held;
}

// Deletes the mature entries that are not on hold; returns whether a mature
// entry is on hold (its queue entry must stay).
absl::StatusOr<bool> CompleteRedelegation(const Context& ctx, const AccountAddress& del,
                                          const ValidatorAddress& src,
                                          const ValidatorAddress& dst) {
  MESH_ASSIGN_OR_RETURN(std::optional<Redelegation> red, FindRed(ctx, del, src, dst));
  if (!red.has_value()) return false;
  std::vector<RedelegationEntry> kept;
  bool any_held = false;
  for (const RedelegationEntry& e : red->entries) {
    if (e.completion_time_ns > ctx.time_ns()) {
      kept.push_back(e);
      continue;
    }
    MESH_ASSIGN_OR_RETURN(bool held, OnHold(ctx, RedelegationOpId(del, src, dst, e.creation_height,
                                                                  e.completion_time_ns)));
    if (held) {
      kept.push_back(e);
      any_held = true;
    }
  }
  if (kept.size() == red->entries.size()) return any_held;  // nothing completed
  red->entries = std::move(kept);
  MESH_RETURN_IF_ERROR(PutRed(ctx, *red));
  return any_held;
}

absl::Status DequeueMature(const Context& ctx, const Params& p) {
  std::string ubd_end = PrefixEnd(Encoder(kUbdQueuePrefix).U64(ctx.time_ns()).Take());
  MESH_ASSIGN_OR_RETURN(auto ubds,
                        CollectRange(ctx.store(), std::string(1, kUbdQueuePrefix), ubd_end));
  for (const KeyValue& kv : ubds) {
    Decoder k(std::string_view(kv.key).substr(9));
    MESH_ASSIGN_OR_RETURN(std::string del, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string val, k.Str());
    MESH_ASSIGN_OR_RETURN(bool held,
                          CompleteUnbonding(ctx, p, AccountAddress(del), ValidatorAddress(val)));
    if (!held) MESH_RETURN_IF_ERROR(ctx.store().Delete(kv.key));
  }
  std::string red_end = PrefixEnd(Encoder(kRedQueuePrefix).U64(ctx.time_ns()).Take());
  MESH_ASSIGN_OR_RETURN(auto reds,
                        CollectRange(ctx.store(), std::string(1, kRedQueuePrefix), red_end));
  for (const KeyValue& kv : reds) {
    Decoder k(std::string_view(kv.key).substr(9));
    MESH_ASSIGN_OR_RETURN(std::string del, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string src, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string dst, k.Str());
    MESH_ASSIGN_OR_RETURN(bool held, CompleteRedelegation(ctx, AccountAddress(del),
                                                          ValidatorAddress(src),
                                                          ValidatorAddress(dst)));
    if (!held) MESH_RETURN_IF_ERROR(ctx.store().Delete(kv.key));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace internal

absl::StatusOr<std::vector<ValidatorUpdate>> Staking::EndBlock(const Context& ctx) {
  return internal::Atomically(
      ctx, [&](const Context& c) -> absl::StatusOr<std::vector<ValidatorUpdate>> {
        MESH_ASSIGN_OR_RETURN(Params p, GetParams(c));
        std::vector<ValidatorUpdate> updates;
        MESH_RETURN_IF_ERROR(internal::ApplySetUpdates(c, p, updates));
        MESH_RETURN_IF_ERROR(internal::UnbondMatureValidators(c));
        MESH_RETURN_IF_ERROR(internal::DequeueMature(c, p));
        MESH_RETURN_IF_ERROR(internal::PrunePowerHistory(c));
        return updates;
      });
}

}  // namespace mesh::staking
