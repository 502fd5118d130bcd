// Cross-chain delegation throughput: a provider and a consumer chain in one
// process (tests/harness/network.h: node::Chain on MemStore, in-process
// relayer), driven by signed txs.
//
//  - BM_CrossChainStakeRoundTrip/N: N users' signed "vault/stake_remote" txs
//    in one provider block; the block is committed, the relayer delivers the
//    N packets to the consumer (bond requests recorded in its next block)
//    and the N acks back to the provider (stakes committed); one more block
//    commits both chains. items = N stakes committed end to end.
//  - BM_LocalStake/N (baseline): the same N users' "vault/stake_local" txs
//    (native delegation through the vault) in one provider block, then one
//    block on both chains. items = N.
//  - BM_CrossChainEpoch/N: the consumer block whose epoch bonds the virtual
//    stake requested on N validators (one new request each), with its
//    BM_CrossChainIdleEpoch/N baseline: the same network's block whose epoch
//    finds nothing to bond. items = N validators.
//
// The network is set up once per benchmark run, outside the timed loop;
// signing is the client's cost and runs with the timer paused (as in
// chain_bench.cc). Invariant checks are off while timing; after the loop
// each benchmark checks that the work really landed (stakes committed on
// both sides, virtual delegations made) and the harness invariants, and
// fails the run otherwise.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/amount.h"
#include "core/status.h"
#include "node/tx.h"
#include "tests/harness/network.h"

namespace mesh::harness {
namespace {

constexpr char kProvider[] = "osmo";
constexpr char kConsumer[] = "juno";
constexpr char kProviderValidator[] = "pval";
// Epochs this far apart never run during a benchmark.
constexpr uint64_t kNoEpoch = 1000000000;
const Amount kStakePerTx(1000);
const Amount kUserFunds(1ULL << 52);
const Amount kCollateral(1ULL << 50);

std::string UserName(int i) { return absl::StrCat("user-", i); }
std::string ValidatorName(int i) { return absl::StrCat("cval-", i); }

ChainSpec MakeChain(const std::string& id, const std::string& denom) {
  ChainSpec c;
  c.id = id;
  c.prefix = id;
  c.denom = Denom(denom);
  c.staking.power_reduction = 1;
  return c;
}

// `users` funded provider users, one provider validator, `validators`
// consumer validators; price 1, no discount, caps far above any run.
NetworkSpec MakeSpec(int users, int validators, uint64_t epoch_length) {
  ChainSpec p = MakeChain(kProvider, "uosmo");
  p.validators = {{kProviderValidator, Amount(1000000), Dec::Zero()}};
  for (int i = 0; i < users; ++i) p.accounts.emplace_back(UserName(i), kUserFunds);
  ChainSpec c = MakeChain(kConsumer, "ujuno");
  c.staking.max_validators = static_cast<uint32_t>(validators) + 1;
  for (int i = 0; i < validators; ++i) {
    c.validators.push_back({ValidatorName(i), Amount(1000000), Dec::Zero()});
  }
  c.accounts = {{"gov", Amount(1)}, {"oracle", Amount(1)}};
  c.epoch_length = epoch_length;
  c.total_max_cap = Amount(1ULL << 62);
  LinkSpec l;
  l.provider = kProvider;
  l.consumer = kConsumer;
  l.max_cap = Amount(1ULL << 61);
  NetworkSpec s;
  s.chains = {p, c};
  s.links = {l};
  s.check_invariants = false;
  return s;
}

// The network after the consumer's valset reached the provider and every
// user bonded kCollateral in the vault (committed).
std::unique_ptr<Network> Start(int users, int validators, uint64_t epoch_length) {
  absl::StatusOr<std::unique_ptr<Network>> net =
      Network::Create(MakeSpec(users, validators, epoch_length));
  MESH_CHECK_OK(net.status());
  MESH_CHECK_OK((*net)->AdvanceBlock());
  for (int i = 0; i < users; ++i) MESH_CHECK_OK((*net)->Bond(kProvider, UserName(i), kCollateral));
  MESH_CHECK_OK((*net)->AdvanceBlock());
  return *std::move(net);
}

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

// Proto JSON ("@type") of the messages; the sender is filled per user.
std::string StakeRemoteBody(Network& net, const std::string& validator) {
  return absl::StrCat(R"({"@type":"/meshsec.v1.MsgVaultStakeRemote","consumer":)",
                      Quoted(kConsumer), R"(,"validator":)",
                      Quoted(net.Valoper(kConsumer, validator).value()), R"(,"amount":")",
                      kStakePerTx.ToString(), "\"}");
}

std::string StakeLocalBody(Network& net) {
  const std::string val = net.Valoper(kProvider, kProviderValidator).value();
  return absl::StrCat(R"({"@type":"/meshsec.v1.MsgVaultStakeLocal","validator":)", Quoted(val),
                      R"(,"amount":")", kStakePerTx.ToString(), "\"}");
}

// One signed tx per user i carrying message `type` with bodies[i], at the
// user's next nonce on the provider.
std::vector<node::SignedTx> SignBlock(Network& net, const std::string& type,
                                      const std::vector<std::string>& bodies) {
  std::vector<node::SignedTx> txs;
  for (size_t i = 0; i < bodies.size(); ++i) {
    const std::string user = UserName(static_cast<int>(i));
    const PrivateKey key = net.Key(kProvider, user);
    const AccountAddress who = net.Address(kProvider, user);
    absl::StatusOr<staking::BaseAccount> acc = net.chain(kProvider).GetAccount(who);
    MESH_CHECK_OK(acc.status());
    absl::StatusOr<node::Msg> msg = node::MsgFromJson(bodies[i], who.value());
    MESH_CHECK_OK(msg.status());
    node::TxSpec tx;
    tx.chain_id = kProvider;
    tx.account_number = acc->account_number;
    tx.sequence = acc->sequence;
    tx.msgs.push_back(*std::move(msg));
    txs.push_back(node::SignTx(key, tx));
  }
  return txs;
}

// Delivers `txs` in the provider's open block; false (and the run marked
// failed) at the first rejection.
bool DeliverAll(benchmark::State& state, Network& net, const std::vector<node::SignedTx>& txs) {
  for (const node::SignedTx& tx : txs) {
    node::TxResult r = net.chain(kProvider).DeliverTx(tx);
    if (!r.ok()) {
      state.SkipWithError(absl::StrCat("tx rejected: ", r.log).c_str());
      return false;
    }
  }
  return true;
}

bool Ok(benchmark::State& state, const absl::Status& s) {
  if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  return s.ok();
}

// After `rounds` committed round trips of kStakePerTx per user on `val`:
// every user's stake is committed (low == high == expected), the consumer
// requests the whole sum on `val`, and the harness invariants hold.
void CheckRoundTrips(benchmark::State& state, Network& net, int users, uint64_t rounds,
                     const std::string& val) {
  const Amount per_user(static_cast<u128>(kStakePerTx.raw()) * rounds);
  for (int i = 0; i < users; ++i) {
    absl::StatusOr<provider::Stake> s = net.ExternalStake(kProvider, UserName(i), kConsumer, val);
    if (!Ok(state, s.status())) return;
    if (s->stake.low() != per_user || s->stake.high() != per_user) {
      state.SkipWithError(absl::StrCat(UserName(i), " stake not committed: low ",
                                       s->stake.low().ToString(), " high ",
                                       s->stake.high().ToString(), " want ",
                                       per_user.ToString()).c_str());
      return;
    }
  }
  absl::StatusOr<Amount> requested = net.BondRequest(kConsumer, kProvider, val);
  if (!Ok(state, requested.status())) return;
  if (*requested != Amount(per_user.raw() * static_cast<u128>(users))) {
    state.SkipWithError(absl::StrCat("consumer requests ", requested->ToString()).c_str());
    return;
  }
  Ok(state, net.CheckInvariants());
}

void BM_CrossChainStakeRoundTrip(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::unique_ptr<Network> net = Start(n, 1, kNoEpoch);
  const std::vector<std::string> bodies(n, StakeRemoteBody(*net, ValidatorName(0)));
  for (auto _ : state) {
    state.PauseTiming();
    const std::vector<node::SignedTx> txs = SignBlock(*net, "vault/stake_remote", bodies);
    state.ResumeTiming();
    if (!DeliverAll(state, *net, txs)) break;
    // Commits the txs' block; relays the packets (consumer block k+1) and
    // the acks (provider block k+1).
    if (!Ok(state, net->AdvanceBlock())) break;
    // Commits both chains' block k+1.
    if (!Ok(state, net->AdvanceBlock())) break;
  }
  state.SetItemsProcessed(state.iterations() * n);
  if (!state.error_occurred()) {
    CheckRoundTrips(state, *net, n, state.iterations(), ValidatorName(0));
  }
}
BENCHMARK(BM_CrossChainStakeRoundTrip)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_LocalStake(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::unique_ptr<Network> net = Start(n, 1, kNoEpoch);
  const std::vector<std::string> bodies(n, StakeLocalBody(*net));
  for (auto _ : state) {
    state.PauseTiming();
    const std::vector<node::SignedTx> txs = SignBlock(*net, "vault/stake_local", bodies);
    state.ResumeTiming();
    if (!DeliverAll(state, *net, txs)) break;
    if (!Ok(state, net->AdvanceBlock())) break;
  }
  state.SetItemsProcessed(state.iterations() * n);
  if (!state.error_occurred()) Ok(state, net->CheckInvariants());
}
BENCHMARK(BM_LocalStake)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

// Epoch benchmarks: a consumer with N validators and an epoch every block;
// user i stakes on validator i.
void EpochBench(benchmark::State& state, bool with_requests) {
  const int n = static_cast<int>(state.range(0));
  std::unique_ptr<Network> net = Start(n, n, 1);
  std::vector<std::string> bodies;
  for (int i = 0; i < n; ++i) bodies.push_back(StakeRemoteBody(*net, ValidatorName(i)));
  for (auto _ : state) {
    state.PauseTiming();
    if (with_requests) {
      const std::vector<node::SignedTx> txs = SignBlock(*net, "vault/stake_remote", bodies);
      if (!DeliverAll(state, *net, txs)) break;
    }
    // Commits the txs; the consumer records the N requests in block k+1.
    if (!Ok(state, net->AdvanceBlock())) break;
    state.ResumeTiming();
    // Ends block k+1: the consumer's epoch bonds the N requests.
    if (!Ok(state, net->AdvanceBlock())) break;
  }
  state.SetItemsProcessed(state.iterations() * n);
  if (state.error_occurred()) return;
  const u128 rounds = with_requests ? state.iterations() : 0;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Amount> d = net->VirtualDelegation(kConsumer, kProvider, ValidatorName(i));
    if (!Ok(state, d.status())) return;
    if (*d != Amount(kStakePerTx.raw() * rounds)) {
      state.SkipWithError(absl::StrCat(ValidatorName(i), " virtual delegation ",
                                       d->ToString()).c_str());
      return;
    }
  }
  Ok(state, net->CheckInvariants());
}

void BM_CrossChainEpoch(benchmark::State& state) { EpochBench(state, true); }
BENCHMARK(BM_CrossChainEpoch)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_CrossChainIdleEpoch(benchmark::State& state) { EpochBench(state, false); }
BENCHMARK(BM_CrossChainIdleEpoch)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mesh::harness
