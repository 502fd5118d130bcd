// Accounts (the Cosmos SDK's x/auth BaseAccount).
//
// An account is created the first time an address receives funds (Bank::Send
// or Bank::Mint credits a zero balance of an address with no account — at
// genesis too), like the SDK's bank keeper does, and gets the next value of a
// deterministic global counter as its account number (0, 1, 2, ... in
// creation order). The public key is stored by the first signed tx; the
// sequence counts the account's txs (node/chain.cc's ante checks).
//
// State (docs/state-layout.md):
//   0x02 str(address) -> u64 account_number, u64 sequence, bytes pubkey
//   0x03              -> u64 next account number
#ifndef MESHSEC_STAKING_AUTH_H_
#define MESHSEC_STAKING_AUTH_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"

namespace mesh::staking {

struct BaseAccount {
  std::string address;
  std::string pubkey;  // 33-byte compressed secp256k1; empty until the first tx
  uint64_t account_number = 0;
  uint64_t sequence = 0;
};

class Auth {
 public:
  // nullopt when `who` has no account.
  static absl::StatusOr<std::optional<BaseAccount>> Get(const Context& ctx,
                                                        const AccountAddress& who);
  // The account of `who`, created (next account number, sequence 0) if absent.
  static absl::StatusOr<BaseAccount> Ensure(const Context& ctx, const AccountAddress& who);
  // Writes `acc` (its address is the key).
  static absl::Status Set(const Context& ctx, const BaseAccount& acc);
  // The number the next created account gets.
  static absl::StatusOr<uint64_t> NextAccountNumber(const Context& ctx);
};

}  // namespace mesh::staking

#endif  // MESHSEC_STAKING_AUTH_H_
