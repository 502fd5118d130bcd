#include "staking/unbonding_hold.h"

#include <optional>

#include "core/codec.h"
#include "core/status.h"

namespace mesh::staking {
namespace {

constexpr uint8_t kHoldPrefix = 0x38;     // bytes op -> u64 count (absent = 0)
constexpr uint8_t kJournalPrefix = 0x39;  // bytes op -> ""
constexpr uint8_t kJournalOnKey = 0x3A;   // () -> "" while on

std::string HoldKey(std::string_view op) { return Encoder(kHoldPrefix).Bytes(op).Take(); }
std::string JournalKey(std::string_view op) { return Encoder(kJournalPrefix).Bytes(op).Take(); }
std::string JournalOnKey() { return Encoder(kJournalOnKey).Take(); }

}  // namespace

std::string UndelegationOpId(const AccountAddress& del, const ValidatorAddress& val,
                             uint64_t creation_height, uint64_t completion_ns) {
  return Encoder(1).Str(del.value()).Str(val.value()).U64(creation_height).U64(completion_ns).Take();
}

std::string RedelegationOpId(const AccountAddress& del, const ValidatorAddress& src,
                             const ValidatorAddress& dst, uint64_t creation_height,
                             uint64_t completion_ns) {
  return Encoder(2)
      .Str(del.value())
      .Str(src.value())
      .Str(dst.value())
      .U64(creation_height)
      .U64(completion_ns)
      .Take();
}

std::string ValidatorUnbondingOpId(const ValidatorAddress& val, uint64_t unbonding_height,
                                   uint64_t unbonding_time_ns) {
  return Encoder(3).Str(val.value()).U64(unbonding_height).U64(unbonding_time_ns).Take();
}

absl::Status UnbondingHolds::SetJournal(const Context& ctx, bool on) {
  MESH_ASSIGN_OR_RETURN(bool now, JournalOn(ctx));
  if (now == on) return absl::OkStatus();
  if (on) return ctx.store().Put(JournalOnKey(), "");
  return ctx.store().Delete(JournalOnKey());
}

absl::StatusOr<bool> UnbondingHolds::JournalOn(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(JournalOnKey()));
  return raw.has_value();
}

absl::StatusOr<std::vector<std::string>> UnbondingHolds::TakeStarted(const Context& ctx) {
  std::vector<std::string> out;
  const std::string prefix = Encoder(kJournalPrefix).Take();
  {
    auto it = ctx.store().ScanPrefix(prefix);
    for (; it->Valid(); it->Next()) {
      Decoder d(it->key().substr(prefix.size()));
      MESH_ASSIGN_OR_RETURN(std::string op, d.Bytes());
      out.push_back(std::move(op));
    }
    MESH_RETURN_IF_ERROR(it->status());
  }
  for (const std::string& op : out) MESH_RETURN_IF_ERROR(ctx.store().Delete(JournalKey(op)));
  return out;
}

absl::StatusOr<uint64_t> UnbondingHolds::Count(const Context& ctx, std::string_view op) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(HoldKey(op)));
  if (!raw.has_value()) return uint64_t{0};
  Decoder d(*raw);
  return d.U64();
}

absl::Status UnbondingHolds::Hold(const Context& ctx, std::string_view op) {
  MESH_ASSIGN_OR_RETURN(uint64_t n, Count(ctx, op));
  return ctx.store().Put(HoldKey(op), Encoder().U64(n + 1).Take());
}

absl::Status UnbondingHolds::Release(const Context& ctx, std::string_view op) {
  MESH_ASSIGN_OR_RETURN(uint64_t n, Count(ctx, op));
  if (n == 0) return absl::OkStatus();
  if (n == 1) return ctx.store().Delete(HoldKey(op));
  return ctx.store().Put(HoldKey(op), Encoder().U64(n - 1).Take());
}

namespace internal {

absl::Status RecordStartedOp(const Context& ctx, std::string_view op) {
  MESH_ASSIGN_OR_RETURN(bool on, UnbondingHolds::JournalOn(ctx));
  if (!on) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> seen, ctx.store().Get(JournalKey(op)));
  if (seen.has_value()) return absl::OkStatus();  // a merge into a journaled entry
  MESH_RETURN_IF_ERROR(ctx.store().Put(JournalKey(op), ""));
  return UnbondingHolds::Hold(ctx, op);
}

absl::StatusOr<bool> OnHold(const Context& ctx, std::string_view op) {
  MESH_ASSIGN_OR_RETURN(uint64_t n, UnbondingHolds::Count(ctx, op));
  return n > 0;
}

}  // namespace internal
}  // namespace mesh::staking
