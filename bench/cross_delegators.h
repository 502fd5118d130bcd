// Shared setup of the slashing and memory benchmarks: a provider ("osmo")
// and a consumer ("juno") built by the application layer through the
// multi-chain harness, and N provider users each cross-staking kStake to
// one consumer validator (kSlashed). The setup calls the vault directly in
// the provider's open block (no signing) and lets the in-process relayer
// deliver the packets and acks; an epoch then bonds the virtual stake.
#ifndef MESHSEC_BENCH_CROSS_DELEGATORS_H_
#define MESHSEC_BENCH_CROSS_DELEGATORS_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "core/amount.h"
#include "core/crypto.h"
#include "core/status.h"
#include "mesh/provider/vault.h"
#include "staking/bank.h"
#include "tests/harness/network.h"

namespace mesh::harness::bench {

inline constexpr char kProvider[] = "osmo";
inline constexpr char kConsumer[] = "juno";
inline constexpr char kSlashed[] = "cval-0";
inline constexpr int kUsersPerBlock = 20000;
inline const Amount kCollateral(2000);
inline const Amount kStake(1000);

inline ChainSpec MakeChain(const std::string& id, const std::string& denom,
                           const std::string& dir) {
  ChainSpec c;
  c.id = id;
  c.prefix = id;
  c.denom = Denom(denom);
  c.staking.power_reduction = 1;
  c.rocksdb_dir = dir;
  // Commits written on the chain's own thread: the slash benchmark times a
  // chain by its thread's CPU time, which must include the block's write.
  c.pipelined_commit = false;
  return c;
}

// Both chains on RocksDB under `dir`/provider and `dir`/consumer.
inline NetworkSpec MakeSpec(const std::string& dir) {
  ChainSpec p = MakeChain(kProvider, "uosmo", dir + "/provider");
  p.validators = {{"pval", Amount(1000000), Dec::Zero()}};
  ChainSpec c = MakeChain(kConsumer, "ujuno", dir + "/consumer");
  c.validators = {{kSlashed, Amount(1000000), Dec::Zero()},
                  {"cval-1", Amount(1000000), Dec::Zero()}};
  c.accounts = {{"gov", Amount(1)}, {"oracle", Amount(1)}};
  c.epoch_length = 3;
  c.total_max_cap = Amount(1ULL << 62);
  LinkSpec l;
  l.provider = kProvider;
  l.consumer = kConsumer;
  l.max_cap = Amount(1ULL << 61);
  NetworkSpec s;
  s.chains = {p, c};
  s.links = {l};
  s.check_invariants = false;  // the setup mints collateral outside genesis
  return s;
}

// Provider user i: a bech32 address of 20 bytes derived from i (no key:
// nothing is signed).
inline AccountAddress UserAddress(int i) {
  std::string raw(20, '\0');
  raw[0] = 'u';
  for (int b = 0; b < 8; ++b) {
    raw[12 + b] = static_cast<char>((static_cast<uint64_t>(i) >> (8 * (7 - b))) & 0xff);
  }
  absl::StatusOr<std::string> a = Bech32Encode(kProvider, raw);
  MESH_CHECK_OK(a.status());
  return AccountAddress(*a);
}

// What each user bonds, and stakes locally from the same collateral
// besides its kStake on kSlashed (zero: a lone lien).
struct UserShape {
  Amount collateral = kCollateral;
  Amount local;
};

// `users` users cross-staked kStake each on kSlashed (and `shape.local` on
// the provider's validator first), acked, and the virtual stake bonded on
// the consumer by an epoch.
inline void Prepare(Network& net, int users, const UserShape& shape = {}) {
  MESH_CHECK_OK(net.AdvanceBlock());  // the consumer's valset reaches the provider
  const ValidatorAddress val = net.Valoper(kConsumer, kSlashed);
  const ValidatorAddress local = net.Valoper(kProvider, "pval");
  const Denom denom("uosmo");
  for (int start = 0; start < users; start += kUsersPerBlock) {
    const Context ctx = net.ctx(kProvider);
    for (int i = start; i < std::min(users, start + kUsersPerBlock); ++i) {
      const AccountAddress u = UserAddress(i);
      MESH_CHECK_OK(staking::Bank::Mint(ctx, u, denom, shape.collateral));
      MESH_CHECK_OK(provider::Vault::Bond(ctx, u, shape.collateral));
      if (!shape.local.IsZero()) {
        MESH_CHECK_OK(provider::Vault::StakeLocal(ctx, u, shape.local, local));
      }
      MESH_CHECK_OK(
          provider::Vault::StakeRemote(ctx, u, provider::ConsumerId(kConsumer), kStake, val)
              .status());
    }
    MESH_CHECK_OK(net.AdvanceBlocks(2));  // packets delivered, acks back
  }
  MESH_CHECK_OK(net.AdvanceBlocks(4));  // an epoch bonds the virtual stake
}

// N users cross-staked on one consumer validator (Prepare), both chains on
// RocksDB in a temporary directory of benchmark `bench` named after `tag`
// and N: the setup of the per-operation and list benchmarks.
struct CrossDelegators {
  CrossDelegators(const std::string& bench, const std::string& tag, int users)
      : dir(bench, absl::StrCat(tag, users)), spec(MakeSpec(dir.Sub(""))) {
    absl::StatusOr<std::unique_ptr<Network>> created = Network::Create(spec);
    MESH_CHECK_OK(created.status());
    net = *std::move(created);
    Prepare(*net, users);
    val = net->Valoper(kConsumer, kSlashed);
  }
  benchutil::TempDir dir;  // outlives the network (members are destroyed in reverse)
  NetworkSpec spec;
  std::unique_ptr<Network> net;
  ValidatorAddress val;
};

}  // namespace mesh::harness::bench

#endif  // MESHSEC_BENCH_CROSS_DELEGATORS_H_
