// Historical consensus power, for slashing an infraction at a past height
// with the power the validator had then (neighbours.md §1.7: evidence carries
// the power at the infraction). Layout in docs/staking.md ("Power history").
#include <optional>
#include <string>

#include "core/codec.h"
#include "core/status.h"
#include "staking/internal.h"

namespace mesh::staking {
namespace internal {
namespace {

constexpr uint64_t kU64Max = ~uint64_t{0};

struct PowerRecord {
  uint64_t effective_height = 0;
  uint64_t power = 0;
};

// The record in effect at `height`: the one with the largest effective
// height <= `height` (kU64Max: the latest record).
absl::StatusOr<std::optional<PowerRecord>> RecordAt(const Context& ctx,
                                                    const ValidatorAddress& val, uint64_t height) {
  const std::string prefix = PowerHistoryPrefix(val);
  auto it = ctx.store().Scan(PowerHistoryKey(val, height), PrefixEnd(prefix));
  std::optional<PowerRecord> out;
  if (it->Valid()) {
    Decoder k(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t inverted, k.U64());
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(uint64_t power, v.U64());
    out = PowerRecord{kU64Max - inverted, power};
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

uint64_t PruneTime(const Context& ctx, const Params& p) {
  return ctx.time_ns() + p.unbonding_time_s * kNanosPerSecond;
}

}  // namespace

absl::Status RecordPowerChange(const Context& ctx, const Params& p, const ValidatorAddress& val,
                               uint64_t power) {
  const uint64_t effective = ctx.height() + 1;
  // No record takes effect later than the next block: one for it is the
  // latest (a point read: the validator's later changes in the block find
  // it so); otherwise the scan finds the latest.
  const std::string key = PowerHistoryKey(val, effective);
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> pending, ctx.store().Get(key));
  std::optional<PowerRecord> latest;
  if (pending.has_value()) {
    Decoder d(*pending);
    MESH_ASSIGN_OR_RETURN(uint64_t pending_power, d.U64());
    latest = PowerRecord{effective, pending_power};
  } else {
    MESH_ASSIGN_OR_RETURN(latest, RecordAt(ctx, val, kU64Max));
  }
  if (latest.has_value() ? latest->power == power : power == 0) return absl::OkStatus();
  if (latest.has_value() && latest->effective_height != effective) {
    // Still needed for infractions before `effective`, for one unbonding
    // period (the evidence age limit).
    MESH_RETURN_IF_ERROR(
        ctx.store().Put(PowerPruneKey(PruneTime(ctx, p), val, latest->effective_height), ""));
  }
  return ctx.store().Put(key, Encoder().U64(power).Take());
}

absl::Status RetirePowerHistory(const Context& ctx, const Params& p, const ValidatorAddress& val) {
  MESH_ASSIGN_OR_RETURN(std::optional<PowerRecord> latest, RecordAt(ctx, val, kU64Max));
  if (!latest.has_value()) return absl::OkStatus();
  return ctx.store().Put(PowerPruneKey(PruneTime(ctx, p), val, latest->effective_height), "");
}

absl::Status PrunePowerHistory(const Context& ctx) {
  const std::string begin(1, static_cast<char>(kPowerPruneQueuePrefix));
  const std::string end = PrefixEnd(Encoder(kPowerPruneQueuePrefix).U64(ctx.time_ns()).Take());
  MESH_ASSIGN_OR_RETURN(auto due, CollectRange(ctx.store(), begin, end));
  for (const KeyValue& kv : due) {
    Decoder k(std::string_view(kv.key).substr(1 + 8));
    MESH_ASSIGN_OR_RETURN(std::string addr, k.Str());
    MESH_ASSIGN_OR_RETURN(uint64_t height, k.U64());
    MESH_RETURN_IF_ERROR(ctx.store().Delete(kv.key));
    const ValidatorAddress val(std::move(addr));
    MESH_ASSIGN_OR_RETURN(std::optional<PowerRecord> latest, RecordAt(ctx, val, kU64Max));
    MESH_ASSIGN_OR_RETURN(std::optional<Validator> v, FindValidator(ctx, val));
    // The latest record of an existing validator is its current power.
    if (v.has_value() && latest.has_value() && latest->effective_height == height) continue;
    MESH_RETURN_IF_ERROR(ctx.store().Delete(PowerHistoryKey(val, height)));
  }
  return absl::OkStatus();
}

}  // namespace internal

absl::StatusOr<uint64_t> Staking::PowerAtHeight(const Context& ctx, const ValidatorAddress& val,
                                                uint64_t height) {
  MESH_ASSIGN_OR_RETURN(std::optional<internal::PowerRecord> rec,
                        internal::RecordAt(ctx, val, height));
  return rec.has_value() ? rec->power : 0;
}

absl::StatusOr<std::optional<uint64_t>> Staking::LastHeightWithPower(const Context& ctx,
                                                                     const ValidatorAddress& val,
                                                                     uint64_t height) {
  // Records from the one in effect at `height` down; `upper` is the highest
  // height the current record covers.
  const std::string prefix = internal::PowerHistoryPrefix(val);
  auto it = ctx.store().Scan(internal::PowerHistoryKey(val, height), PrefixEnd(prefix));
  uint64_t upper = height;
  std::optional<uint64_t> out;
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t inverted, k.U64());
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(uint64_t power, v.U64());
    if (power > 0) {
      out = upper;
      break;
    }
    const uint64_t effective = internal::kU64Max - inverted;
    if (effective == 0) break;
    upper = effective - 1;
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace mesh::staking
