// Bank: balances per (account, denom), transfers, mint and burn, supply.
//
// Module accounts (pools, the vault, virtual-staking) are ordinary accounts
// whose address is a fixed string such as "module/bonded_pool". All state is
// in ctx.store(): balances under 0x10, supply under 0x11 (docs/staking.md).
// A zero balance is not stored. Every mutation is atomic: on error nothing
// is written.
// Deterministic; stateless (every call takes the Context).
#ifndef MESHSEC_STAKING_BANK_H_
#define MESHSEC_STAKING_BANK_H_

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/ids.h"

namespace mesh::staking {

class Bank {
 public:
  static absl::StatusOr<Amount> Balance(const Context& ctx, const AccountAddress& who,
                                        const Denom& denom);
  // All balances of one account, ordered by denom.
  static absl::StatusOr<std::vector<std::pair<Denom, Amount>>> Balances(const Context& ctx,
                                                                        const AccountAddress& who);
  // FailedPrecondition ("insufficient funds") if `from` holds less than
  // `amount`; a zero amount is a no-op.
  static absl::Status Send(const Context& ctx, const AccountAddress& from, const AccountAddress& to,
                           const Denom& denom, Amount amount);
  // Creates `amount` in `to`; supply grows. OutOfRange on overflow.
  static absl::Status Mint(const Context& ctx, const AccountAddress& to, const Denom& denom,
                           Amount amount);
  // Destroys `amount` held by `from`; supply shrinks.
  static absl::Status Burn(const Context& ctx, const AccountAddress& from, const Denom& denom,
                           Amount amount);
  static absl::StatusOr<Amount> Supply(const Context& ctx, const Denom& denom);
  // Every denom with a non-zero supply and its supply, in store-key order.
  static absl::StatusOr<std::vector<std::pair<Denom, Amount>>> Supplies(const Context& ctx);
  // Sum of every account's balance of `denom` (a full scan: for invariant
  // checks and tests; equals Supply when the ledger is consistent).
  static absl::StatusOr<Amount> SumBalances(const Context& ctx, const Denom& denom);
};

}  // namespace mesh::staking

#endif  // MESHSEC_STAKING_BANK_H_
