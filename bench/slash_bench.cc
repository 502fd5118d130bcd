// Slashing a consumer validator with N cross-delegators (issue 12).
//
//  BM_SlashCrossDelegators/users:N — a provider and a consumer chain, both
//  on RocksDB, composed by the application layer through the multi-chain
//  harness (tests/harness/network.h). N provider users each bond collateral
//  and cross-stake it to one consumer validator (setup: direct module calls
//  in the open block, packets relayed by the in-process relayer, one epoch
//  bonding the virtual stake). Then one liveness slash of that validator:
//    consumer_ms  the block that processes it on the consumer (slash share,
//                 records cut, valset update with the slash queued);
//    provider_ms  relaying that packet and the provider block that applies
//                 it (every user's stake and vault lien cut);
//    packets      packets either chain sent because of the slash;
//    users_per_s_consumer / users_per_s_provider = N / time.
//  One slash per prepared network: Iterations(1), manual time = both sides.
//  N = 10^2, 10^3, 10^4; 10^5 and 10^6 with MESH_BENCH_LARGE=1.
//  After timing, the run checks that every user lost stake on the provider
//  and that provider and consumer agree on the validator's total.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/amount.h"
#include "core/crypto.h"
#include "core/status.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/provider_guard.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/vault.h"
#include "staking/bank.h"
#include "tests/harness/network.h"
#include "bench/cross_delegators.h"

namespace mesh::harness {
namespace {

using Clock = std::chrono::steady_clock;
using namespace bench;  // NOLINT(build/namespaces): the shared setup

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              absl::StrCat("mesh_slash_", getpid(), "_", name)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

int PendingCount(Network& net, const std::string& from, const std::string& to) {
  absl::StatusOr<std::vector<ibc::InFlight>> p = net.Pending(from, to);
  MESH_CHECK_OK(p.status());
  return static_cast<int>(p->size());
}

void BM_SlashCrossDelegators(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  TempDir dir(absl::StrCat("n", users));
  absl::StatusOr<std::unique_ptr<Network>> created = Network::Create(MakeSpec(dir.Sub("")));
  MESH_CHECK_OK(created.status());
  Network& net = **created;
  Prepare(net, users);
  const ValidatorAddress val = net.Valoper(kConsumer, kSlashed);
  absl::StatusOr<Amount> before = consumer::VirtualStaking::BondRequest(
      net.ctx(kConsumer), consumer::ProviderId(kProvider), val);
  MESH_CHECK_OK(before.status());
  double consumer_ms = 0, provider_ms = 0;
  int packets = 0;
  for (auto _ : state) {
    net.set_auto_relay(false);
    const uint64_t h = net.chain(kConsumer).height();
    MESH_CHECK_OK(net.Downtime(kConsumer, kSlashed, h - 1));
    const Clock::time_point t0 = Clock::now();
    MESH_CHECK_OK(net.AdvanceBlock());  // the consumer block with the slash
    const Clock::time_point t1 = Clock::now();
    packets = PendingCount(net, kConsumer, kProvider);
    const Clock::time_point t2 = Clock::now();
    MESH_CHECK_OK(net.RelayAll().status());  // the provider applies it
    const Clock::time_point t2b = Clock::now();
    MESH_CHECK_OK(net.AdvanceBlock());       // and commits
    const Clock::time_point t3 = Clock::now();
    state.counters["provider_relay_ms"] = Ms(t2b - t2);
    packets += PendingCount(net, kProvider, kConsumer);
    consumer_ms = Ms(t1 - t0);
    provider_ms = Ms(t3 - t2);
    state.SetIterationTime((consumer_ms + provider_ms) / 1000.0);
    net.set_auto_relay(true);
    MESH_CHECK_OK(net.AdvanceBlocks(2));
  }
  // The work landed: every user lost stake, and both ends agree.
  Amount provider_total;
  for (int i = 0; i < users; ++i) {
    absl::StatusOr<provider::Stake> s = provider::ExternalStaking::GetStake(
        net.ctx(kProvider), provider::ConsumerId(kConsumer), UserAddress(i), val);
    MESH_CHECK_OK(s.status());
    if (!(s->stake.high() < kStake)) {
      state.SkipWithError(absl::StrCat("user ", i, " was not slashed").c_str());
      return;
    }
    provider_total = *provider_total.Add(s->stake.high());
  }
  absl::StatusOr<Amount> consumer_total = consumer::ProviderGuard::HeldRemote(
      net.ctx(kConsumer), consumer::ProviderId(kProvider), val);
  MESH_CHECK_OK(consumer_total.status());
  if (*consumer_total != provider_total) {
    state.SkipWithError(absl::StrCat("provider holds ", provider_total.ToString(),
                                     ", consumer records ", consumer_total->ToString())
                            .c_str());
    return;
  }
  state.counters["users"] = users;
  state.counters["consumer_ms"] = consumer_ms;
  state.counters["provider_ms"] = provider_ms;
  state.counters["users_per_s_consumer"] = users / (consumer_ms / 1000.0);
  state.counters["users_per_s_provider"] = users / (provider_ms / 1000.0);
  state.counters["packets"] = packets;
}

bool Large() {
  const char* v = std::getenv("MESH_BENCH_LARGE");
  return v != nullptr && std::string(v) == "1";
}

const bool kRegistered = [] {
  auto* b = benchmark::RegisterBenchmark("BM_SlashCrossDelegators", BM_SlashCrossDelegators);
  b->ArgName("users")->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  for (int n : {100, 1000, 10000}) b->Arg(n);
  if (Large()) b->Arg(100000)->Arg(1000000);
  return true;
}();

}  // namespace
}  // namespace mesh::harness
