#include "staking/auth.h"

#include <string>

#include "core/codec.h"
#include "core/status.h"

namespace mesh::staking {
namespace {

constexpr uint8_t kAccountPrefix = 0x02;
constexpr uint8_t kNextNumberKey = 0x03;

std::string AccountKey(const AccountAddress& who) {
  return Encoder(kAccountPrefix).Str(who.value()).Take();
}
std::string NextNumberKey() { return Encoder(kNextNumberKey).Take(); }

}  // namespace

absl::StatusOr<std::optional<BaseAccount>> Auth::Get(const Context& ctx,
                                                     const AccountAddress& who) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(AccountKey(who)));
  if (!raw.has_value()) return std::optional<BaseAccount>();
  Decoder d(*raw);
  BaseAccount acc;
  acc.address = who.value();
  MESH_ASSIGN_OR_RETURN(acc.account_number, d.U64());
  MESH_ASSIGN_OR_RETURN(acc.sequence, d.U64());
  MESH_ASSIGN_OR_RETURN(acc.pubkey, d.Bytes());
  MESH_RETURN_IF_ERROR(d.Finish());
  return std::optional<BaseAccount>(std::move(acc));
}

absl::Status Auth::Set(const Context& ctx, const BaseAccount& acc) {
  return ctx.store().Put(AccountKey(AccountAddress(acc.address)),
                         Encoder().U64(acc.account_number).U64(acc.sequence).Bytes(acc.pubkey).Take());
}

absl::StatusOr<uint64_t> Auth::NextAccountNumber(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(NextNumberKey()));
  if (!raw.has_value()) return uint64_t{0};
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t n, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return n;
}

absl::StatusOr<BaseAccount> Auth::Ensure(const Context& ctx, const AccountAddress& who) {
  MESH_ASSIGN_OR_RETURN(std::optional<BaseAccount> existing, Get(ctx, who));
  if (existing.has_value()) return *std::move(existing);
  MESH_ASSIGN_OR_RETURN(uint64_t next, NextAccountNumber(ctx));
  BaseAccount acc;
  acc.address = who.value();
  acc.account_number = next;
  MESH_RETURN_IF_ERROR(ctx.store().Put(NextNumberKey(), Encoder().U64(next + 1).Take()));
  MESH_RETURN_IF_ERROR(Set(ctx, acc));
  return acc;
}

}  // namespace mesh::staking
