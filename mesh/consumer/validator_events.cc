#include "mesh/consumer/validator_events.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/codec.h"
#include "core/status.h"
#include "mesh/consumer/state.h"

namespace mesh::consumer {

using staking::Staking;
using staking::ValidatorEvent;

namespace {

// Reference operation codes (mesh-chain-module.md §1.2): their order is the
// order of operations of one validator in the report.
enum Op : uint8_t {
  kOpBonded = 1,
  kOpUnbonded = 2,
  kOpJailed = 3,
  kOpTombstoned = 4,
  kOpUnjailed = 5,
  kOpModified = 6,
  kOpSlashed = 7,
};

Op OpOf(ValidatorEvent::Kind kind) {
  switch (kind) {
    case ValidatorEvent::Kind::kBonded: return kOpBonded;
    case ValidatorEvent::Kind::kBeginUnbonding: return kOpUnbonded;
    case ValidatorEvent::Kind::kJailed: return kOpJailed;
    case ValidatorEvent::Kind::kTombstoned: return kOpTombstoned;
    case ValidatorEvent::Kind::kUnjailed: return kOpUnjailed;
    case ValidatorEvent::Kind::kModified: return kOpModified;
    case ValidatorEvent::Kind::kSlashed: return kOpSlashed;
  }
  return kOpModified;
}

// (address length, address, op, slash index): the reference's key order,
// with slashes kept apart by their position in the block.
using OpKey = std::tuple<size_t, std::string, uint8_t, size_t>;

std::string BlockTimeKey(uint64_t height) {
  return Encoder(internal::kBlockTimePrefix).U64(height).Take();
}

absl::StatusOr<std::optional<ValidatorInfo>> InfoOf(const Context& ctx,
                                                    const ValidatorAddress& v) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val, Staking::GetValidator(ctx, v));
  if (!val.has_value()) return std::optional<ValidatorInfo>();
  return std::optional<ValidatorInfo>(ValidatorInfo{v, val->commission_rate});
}

absl::StatusOr<ValidatorSlash> SlashOf(const Context& ctx, const ValidatorEvent& ev) {
  ValidatorSlash s;
  s.address = ev.validator;
  s.height = ctx.height();
  s.time_s = ctx.time_seconds();
  const uint64_t infraction =
      ev.infraction_height < 0 ? 0 : static_cast<uint64_t>(ev.infraction_height);
  MESH_ASSIGN_OR_RETURN(s.infraction_height,
                        ValidatorEvents::ReportedInfractionHeight(ctx, ev.validator, infraction));
  MESH_ASSIGN_OR_RETURN(s.infraction_time_s, ValidatorEvents::BlockTime(ctx, s.infraction_height));
  s.power = ev.power;
  s.slash_amount = ev.amount;
  s.slash_ratio = ev.fraction;
  s.is_tombstoned = ev.double_sign;
  return s;
}

absl::Status AddToReport(const Context& ctx, uint8_t op, const ValidatorEvent& ev,
                         ValsetUpdate* out) {
  switch (op) {
    case kOpBonded:
    case kOpModified: {
      MESH_ASSIGN_OR_RETURN(std::optional<ValidatorInfo> info, InfoOf(ctx, ev.validator));
      if (info.has_value()) (op == kOpBonded ? out->additions : out->updated).push_back(*info);
      return absl::OkStatus();
    }
    case kOpUnbonded: out->removals.push_back(ev.validator); return absl::OkStatus();
    case kOpJailed: out->jailed.push_back(ev.validator); return absl::OkStatus();
    case kOpTombstoned: out->tombstoned.push_back(ev.validator); return absl::OkStatus();
    case kOpUnjailed: out->unjailed.push_back(ev.validator); return absl::OkStatus();
    default: {
      MESH_ASSIGN_OR_RETURN(ValidatorSlash s, SlashOf(ctx, ev));
      out->slashed.push_back(std::move(s));
      return absl::OkStatus();
    }
  }
}

}  // namespace

absl::StatusOr<ValsetUpdate> ValidatorEvents::Build(const Context& ctx,
                                                    const std::vector<ValidatorEvent>& events) {
  std::map<OpKey, const ValidatorEvent*> ops;
  for (size_t i = 0; i < events.size(); ++i) {
    const ValidatorEvent& ev = events[i];
    uint8_t op = OpOf(ev.kind);
    const std::string& addr = ev.validator.value();
    ops.emplace(OpKey{addr.size(), addr, op, op == kOpSlashed ? i : 0}, &ev);
  }
  // Jailed and unjailed in the same block with no change of the active set
  // (both before the end block): the validator ends the block in the state
  // it started it, so neither is reported. Reported, the provider would
  // mark it jailed (it ignores `unjailed`; only an addition re-activates)
  // and keep it so while it signs (C-23).
  auto has = [&](const std::string& addr, uint8_t op) {
    return ops.contains(OpKey{addr.size(), addr, op, 0});
  };
  std::set<std::string> net_unchanged;
  for (const auto& [key, ev] : ops) {
    const std::string& addr = std::get<1>(key);
    if (std::get<2>(key) == kOpJailed && has(addr, kOpUnjailed) && !has(addr, kOpBonded) &&
        !has(addr, kOpUnbonded)) {
      net_unchanged.insert(addr);
    }
  }
  ValsetUpdate out;
  for (const auto& [key, ev] : ops) {
    const uint8_t op = std::get<2>(key);
    if ((op == kOpJailed || op == kOpUnjailed) && net_unchanged.contains(std::get<1>(key))) {
      continue;
    }
    MESH_RETURN_IF_ERROR(AddToReport(ctx, op, *ev, &out));
  }
  return out;
}

absl::StatusOr<uint64_t> ValidatorEvents::ReportedInfractionHeight(const Context& ctx,
                                                                  const ValidatorAddress& v,
                                                                  uint64_t infraction_height) {
  // Active at h in the providers' history <=> in the set at the end of
  // block h <=> consensus power at h + 1.
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> last,
                        Staking::LastHeightWithPower(ctx, v, infraction_height + 1));
  if (!last.has_value() || *last == 0) return infraction_height;
  return *last - 1;
}

absl::StatusOr<ValsetUpdate> ValidatorEvents::Capture(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::vector<ValidatorEvent> events, Staking::DrainEvents(ctx));
  return Build(ctx, events);
}

absl::StatusOr<Amount> ValidatorEvents::SlashShare(const Context& ctx,
                                                   const AccountAddress& delegator,
                                                   const ValidatorAddress& validator,
                                                   Amount total) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val,
                        Staking::GetValidator(ctx, validator));
  if (!val.has_value() || !val->delegator_shares.IsPositive()) return Amount::Zero();
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> del,
                        Staking::GetDelegation(ctx, delegator, validator));
  if (!del.has_value() || !del->shares.IsPositive()) return Amount::Zero();
  // Quo rounds half-even at 18 decimals; "x T" is exact on that decimal and
  // RoundInt is half-even: one MulDiv over the raw ratio does both.
  MESH_ASSIGN_OR_RETURN(Dec ratio, del->shares.Quo(val->delegator_shares));
  return MulDiv(Amount(static_cast<u128>(ratio.raw())), total,
                Amount(static_cast<u128>(Dec::kOne)), Rounding::kHalfEven);
}

absl::Status ValidatorEvents::RecordBlockTime(const Context& ctx) {
  MESH_RETURN_IF_ERROR(
      ctx.store().Put(BlockTimeKey(ctx.height()), Encoder().U64(ctx.time_seconds()).Take()));
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  // Pruned heights are always the lowest ones: the scan starts at the
  // floor (0x7F), past every height pruned before (deleted keys on RocksDB).
  const std::string floor_key(1, static_cast<char>(internal::kBlockTimeFloorPrefix));
  uint64_t floor = 0;
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(floor_key));
  if (raw.has_value()) {
    Decoder d(*raw);
    MESH_ASSIGN_OR_RETURN(floor, d.U64());
    MESH_RETURN_IF_ERROR(d.Finish());
  }
  std::vector<std::string> old;
  uint64_t next_floor = floor;
  std::string prefix(1, static_cast<char>(internal::kBlockTimePrefix));
  auto it = ctx.store().Scan(BlockTimeKey(floor), PrefixEnd(prefix));
  for (; it->Valid(); it->Next()) {
    Decoder d(it->value());
    MESH_ASSIGN_OR_RETURN(uint64_t t, d.U64());
    if (t + params.unbonding_time_s >= ctx.time_seconds()) break;
    old.emplace_back(it->key());
    Decoder key(it->key().substr(1));
    MESH_ASSIGN_OR_RETURN(uint64_t height, key.U64());
    next_floor = height + 1;
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const auto& k : old) MESH_RETURN_IF_ERROR(ctx.store().Delete(k));
  if (next_floor == floor) return absl::OkStatus();
  return ctx.store().Put(floor_key, Encoder().U64(next_floor).Take());
}

absl::StatusOr<uint64_t> ValidatorEvents::BlockTime(const Context& ctx, uint64_t height) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(BlockTimeKey(height)));
  if (!raw.has_value()) return uint64_t{0};
  Decoder d(*raw);
  return d.U64();
}

}  // namespace mesh::consumer
