#include "app/liveness.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/status.h"

namespace mesh::app {
namespace {

constexpr uint8_t kSigningInfo = 0xA0;
constexpr uint8_t kMissed = 0xA1;

std::string InfoKey(const ValidatorAddress& v) {
  return Encoder().U8(kSigningInfo).Str(v.value()).Take();
}
std::string MissedPrefix(const ValidatorAddress& v) {
  return Encoder().U8(kMissed).Str(v.value()).Take();
}
std::string MissedKey(const ValidatorAddress& v, uint64_t index) {
  return Encoder().Raw(MissedPrefix(v)).U64(index).Take();
}

absl::Status Save(const Context& ctx, const ValidatorAddress& v, const SigningInfo& s) {
  return ctx.store().Put(InfoKey(v),
                         Encoder().U64(s.start_height).U64(s.index_offset).U64(s.missed).Take());
}

}  // namespace

absl::StatusOr<std::optional<SigningInfo>> Liveness::Get(const Context& ctx,
                                                         const ValidatorAddress& v) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(InfoKey(v)));
  if (!raw.has_value()) return std::optional<SigningInfo>();
  Decoder d(*raw);
  SigningInfo s;
  MESH_ASSIGN_OR_RETURN(s.start_height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.index_offset, d.U64());
  MESH_ASSIGN_OR_RETURN(s.missed, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return std::optional<SigningInfo>(s);
}

absl::StatusOr<uint64_t> Liveness::MaxMissed(const LivenessParams& p) {
  if (p.signed_blocks_window == 0) {
    return absl::InvalidArgumentError("liveness: signed_blocks_window must be > 0");
  }
  // floor(min_signed × window): the SDK truncates.
  MESH_ASSIGN_OR_RETURN(Amount min_signed,
                        MulFloor(Amount(p.signed_blocks_window), p.min_signed_per_window));
  const uint64_t min_signed_u = static_cast<uint64_t>(min_signed.raw());
  return p.signed_blocks_window - std::min(min_signed_u, p.signed_blocks_window);
}

absl::StatusOr<bool> Liveness::HandleVote(const Context& ctx, const LivenessParams& p,
                                          const ValidatorAddress& v, bool signed_block) {
  MESH_ASSIGN_OR_RETURN(uint64_t max_missed, MaxMissed(p));
  MESH_ASSIGN_OR_RETURN(std::optional<SigningInfo> found, Get(ctx, v));
  SigningInfo s = found.value_or(SigningInfo{ctx.height(), 0, 0});
  const uint64_t index = s.index_offset % p.signed_blocks_window;
  s.index_offset++;
  const std::string key = MissedKey(v, index);
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> was, ctx.store().Get(key));
  const bool previous_missed = was.has_value();
  if (!signed_block && !previous_missed) {
    MESH_RETURN_IF_ERROR(ctx.store().Put(key, ""));
    s.missed++;
  } else if (signed_block && previous_missed) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(key));
    s.missed--;
  }
  const uint64_t min_height = s.start_height + p.signed_blocks_window;
  if (ctx.height() > min_height && s.missed > max_missed) {
    MESH_RETURN_IF_ERROR(Reset(ctx, v));
    return true;
  }
  MESH_RETURN_IF_ERROR(Save(ctx, v, s));
  return false;
}

absl::Status Liveness::Reset(const Context& ctx, const ValidatorAddress& v) {
  MESH_RETURN_IF_ERROR(ctx.store().Delete(InfoKey(v)));
  return ctx.store().DeletePrefix(MissedPrefix(v));
}

}  // namespace mesh::app
