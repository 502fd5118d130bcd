// Staking throughput through the node: a block of N delegations delivered as
// signed txs (decode-free: pre-signed SignedTx objects, so the cost is
// signature verification + nonce + JSON message + staking) against the same
// N delegations made by calling staking::Staking::Delegate directly in
// Chain::RunAtomic (the baseline: no signature, no tx machinery). Both run a
// full BeginBlock .. Commit per iteration over a MemStore.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/status.h"
#include "node/chain.h"
#include "node/staking_msgs.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlockTime = 5 * kNanosPerSecond;
const Denom kStake("stake");

struct Delegator {
  PrivateKey key;
  AccountAddress address;
  uint64_t nonce = 0;
};

// A chain with one bonded validator and `n` funded delegators.
struct Bench {
  std::unique_ptr<Chain> chain;
  std::vector<Delegator> delegators;
  ValidatorAddress validator;
};

Bench MakeBench(int n) {
  Bench b;
  auto chain = Chain::Open(std::make_unique<MemStore>(), ChainConfig{"bench-1", "mesh"});
  MESH_CHECK_OK(chain.status());
  b.chain = std::move(*chain);
  InstallStakingModule(*b.chain);
  PrivateKey vkey = PrivateKey::FromSeed("validator");
  AccountAddress vacc(b.chain->AddressOf(vkey.PublicKey()));
  b.validator = ValidatorAddress(ValoperAddressOf("mesh", vkey.PublicKey()));
  for (int i = 0; i < n; ++i) {
    PrivateKey k = PrivateKey::FromSeed(absl::StrCat("delegator-", i));
    b.delegators.push_back(Delegator{k, AccountAddress(b.chain->AddressOf(k.PublicKey()))});
  }
  MESH_CHECK_OK(b.chain->InitGenesis(kT0, [&](const Context& ctx) -> absl::Status {
    MESH_RETURN_IF_ERROR(staking::Staking::InitGenesis(ctx, staking::Params()));
    MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, vacc, kStake, Amount(1000000000)));
    for (const Delegator& d : b.delegators) {
      MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, d.address, kStake, Amount(1ULL << 60)));
    }
    return staking::Staking::CreateValidator(ctx, b.validator, vacc, Amount(1000000000),
                                             Dec::Percent(10).value());
  }));
  return b;
}

void ProduceBlock(Chain& chain, const std::function<void()>& body) {
  MESH_CHECK_OK(chain.BeginBlock(chain.time_ns() + kBlockTime));
  body();
  MESH_CHECK_OK(chain.EndBlock());
  MESH_CHECK_OK(chain.Commit().status());
}

std::string DelegateBody(const ValidatorAddress& val) {
  return absl::StrCat(R"({"validator":")", val.value(), R"(","amount":"1000"})");
}

void BM_BlockOfSignedDelegateTxs(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Bench b = MakeBench(n);
  std::string body = DelegateBody(b.validator);
  std::vector<SignedTx> txs;
  for (auto _ : state) {
    state.PauseTiming();  // signing is the client's cost, not the node's
    txs.clear();
    for (Delegator& d : b.delegators) {
      Tx tx{"bench-1", d.key.PublicKey(), d.nonce++, {Msg{"staking/delegate", body}}};
      txs.push_back(SignTx(d.key, std::move(tx)));
    }
    state.ResumeTiming();
    ProduceBlock(*b.chain, [&] {
      for (const SignedTx& tx : txs) {
        if (!b.chain->DeliverTx(tx).ok()) state.SkipWithError("tx rejected");
      }
    });
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BlockOfSignedDelegateTxs)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_BlockOfDirectDelegates(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Bench b = MakeBench(n);
  for (auto _ : state) {
    ProduceBlock(*b.chain, [&] {
      for (const Delegator& d : b.delegators) {
        absl::Status s = b.chain->RunAtomic([&](const Context& ctx) {
          return staking::Staking::Delegate(ctx, d.address, b.validator, Amount(1000)).status();
        });
        if (!s.ok()) state.SkipWithError("delegate failed");
      }
    });
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BlockOfDirectDelegates)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mesh::node
