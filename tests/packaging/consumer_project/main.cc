// Uses an installed meshsec: checked u128 amounts, a MemStore, SHA-256
// (OpenSSL inside mesh_core) and the staking bank. Prints one line that
// tests/packaging/run_consumer.cmake compares.
#include <iostream>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/crypto.h"
#include "core/kv.h"
#include "staking/bank.h"

int main() {
  mesh::MemStore store;
  const mesh::BlockInfo block{"consumer-1", 1, 0};
  const mesh::Context ctx(&store, &block);
  // 3 * 10^20 does not fit in 64 bits.
  const mesh::Amount big = *mesh::Amount::Parse("300000000000000000000");
  if (!mesh::staking::Bank::Mint(ctx, mesh::AccountAddress("alice"), mesh::Denom("stake"), big)
           .ok()) {
    return 1;
  }
  const absl::StatusOr<mesh::Amount> bal =
      mesh::staking::Bank::Balance(ctx, mesh::AccountAddress("alice"), mesh::Denom("stake"));
  const absl::StatusOr<mesh::Amount> overflow =
      mesh::Amount::Parse("340282366920938463463374607431768211455")->Add(mesh::Amount(1));
  if (!store.Put("k", "v").ok()) return 1;
  const absl::StatusOr<std::optional<std::string>> got = store.Get("k");
  if (!bal.ok() || !got.ok() || !got->has_value()) return 1;
  std::cout << "balance=" << bal->ToString() << " overflow="
            << absl::StatusCodeToString(overflow.status().code()) << " get=" << **got
            << " sha256(abc)=" << mesh::ToHex(mesh::Sha256("abc")) << "\n";
  return 0;
}
