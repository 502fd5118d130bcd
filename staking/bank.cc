#include "staking/bank.h"

#include <string>
#include <utility>
#include <vector>

#include "core/codec.h"
#include "core/status.h"
#include "staking/auth.h"

namespace mesh::staking {
namespace {

constexpr uint8_t kBalancePrefix = 0x10;
constexpr uint8_t kSupplyPrefix = 0x11;

std::string BalanceKey(const AccountAddress& who, const Denom& denom) {
  return Encoder(kBalancePrefix).Str(who.value()).Str(denom.value()).Take();
}

std::string SupplyKey(const Denom& denom) {
  return Encoder(kSupplyPrefix).Str(denom.value()).Take();
}

absl::StatusOr<Amount> ReadAmount(const KvReader& store, const std::string& key) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, store.Get(key));
  if (!raw.has_value()) return Amount::Zero();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(Amount a, d.Amt());
  MESH_RETURN_IF_ERROR(d.Finish());
  return a;
}

// A zero amount deletes the key, so absent and zero are the same state.
absl::Status WriteAmount(KvStore& store, const std::string& key, Amount a) {
  if (a.IsZero()) return store.Delete(key);
  return store.Put(key, Encoder().Amt(a).Take());
}

}  // namespace

absl::StatusOr<Amount> Bank::Balance(const Context& ctx, const AccountAddress& who,
                                     const Denom& denom) {
  return ReadAmount(ctx.store(), BalanceKey(who, denom));
}

namespace {

// (denom, amount) of every key under `prefix` whose rest is str(denom).
absl::StatusOr<std::vector<std::pair<Denom, Amount>>> DenomAmounts(const Context& ctx,
                                                                   const std::string& prefix) {
  std::vector<std::pair<Denom, Amount>> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string denom, k.Str());
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(Amount a, v.Amt());
    out.emplace_back(Denom(std::move(denom)), a);
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::pair<Denom, Amount>>> Bank::Balances(const Context& ctx,
                                                                     const AccountAddress& who) {
  return DenomAmounts(ctx, Encoder(kBalancePrefix).Str(who.value()).Take());
}

absl::StatusOr<std::vector<std::pair<Denom, Amount>>> Bank::Supplies(const Context& ctx) {
  return DenomAmounts(ctx, Encoder(kSupplyPrefix).Take());
}

absl::Status Bank::Send(const Context& ctx, const AccountAddress& from, const AccountAddress& to,
                        const Denom& denom, Amount amount) {
  if (amount.IsZero()) return absl::OkStatus();
  std::string from_key = BalanceKey(from, denom);
  MESH_ASSIGN_OR_RETURN(Amount from_bal, ReadAmount(ctx.store(), from_key));
  if (from_bal < amount) {
    return absl::FailedPreconditionError("insufficient funds: " + from.value() + " has " +
                                         from_bal.ToString() + denom.value() + ", needs " +
                                         amount.ToString() + denom.value());
  }
  if (from == to) return absl::OkStatus();
  std::string to_key = BalanceKey(to, denom);
  MESH_ASSIGN_OR_RETURN(Amount to_bal, ReadAmount(ctx.store(), to_key));
  // First receipt (of this denom): the recipient gets an account if it has none.
  if (to_bal.IsZero()) MESH_RETURN_IF_ERROR(Auth::Ensure(ctx, to).status());
  MESH_ASSIGN_OR_RETURN(Amount new_to, to_bal.Add(amount));
  MESH_ASSIGN_OR_RETURN(Amount new_from, from_bal.Sub(amount));
  MESH_RETURN_IF_ERROR(WriteAmount(ctx.store(), from_key, new_from));
  return WriteAmount(ctx.store(), to_key, new_to);
}

absl::Status Bank::Mint(const Context& ctx, const AccountAddress& to, const Denom& denom,
                        Amount amount) {
  if (amount.IsZero()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(Amount supply, Supply(ctx, denom));
  MESH_ASSIGN_OR_RETURN(Amount new_supply, supply.Add(amount));
  std::string key = BalanceKey(to, denom);
  MESH_ASSIGN_OR_RETURN(Amount bal, ReadAmount(ctx.store(), key));
  if (bal.IsZero()) MESH_RETURN_IF_ERROR(Auth::Ensure(ctx, to).status());
  // Supply bounds every balance, so this cannot overflow once supply did not.
  MESH_ASSIGN_OR_RETURN(Amount new_bal, bal.Add(amount));
  MESH_RETURN_IF_ERROR(WriteAmount(ctx.store(), SupplyKey(denom), new_supply));
  return WriteAmount(ctx.store(), key, new_bal);
}

absl::Status Bank::Burn(const Context& ctx, const AccountAddress& from, const Denom& denom,
                        Amount amount) {
  if (amount.IsZero()) return absl::OkStatus();
  std::string key = BalanceKey(from, denom);
  MESH_ASSIGN_OR_RETURN(Amount bal, ReadAmount(ctx.store(), key));
  if (bal < amount) {
    return absl::FailedPreconditionError("insufficient funds to burn: " + from.value() + " has " +
                                         bal.ToString() + denom.value());
  }
  MESH_ASSIGN_OR_RETURN(Amount supply, Supply(ctx, denom));
  MESH_ASSIGN_OR_RETURN(Amount new_supply, supply.Sub(amount));
  MESH_ASSIGN_OR_RETURN(Amount new_bal, bal.Sub(amount));
  MESH_RETURN_IF_ERROR(WriteAmount(ctx.store(), SupplyKey(denom), new_supply));
  return WriteAmount(ctx.store(), key, new_bal);
}

absl::StatusOr<Amount> Bank::Supply(const Context& ctx, const Denom& denom) {
  return ReadAmount(ctx.store(), SupplyKey(denom));
}

absl::StatusOr<Amount> Bank::SumBalances(const Context& ctx, const Denom& denom) {
  Amount sum;
  std::string prefix(1, static_cast<char>(kBalancePrefix));
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(1));
    MESH_ASSIGN_OR_RETURN(std::string who, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string d, k.Str());
    if (d != denom.value()) continue;
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(Amount a, v.Amt());
    MESH_ASSIGN_OR_RETURN(sum, sum.Add(a));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return sum;
}

}  // namespace mesh::staking
