// Resident memory per cross-delegation (issue 12), measured in a process
// that opens the state without the test harness.
//
//   memory_bench [--users N] [--dir D] [--max_bytes B] [--benchmark_... flags]
//
// A Google Benchmark binary (BM_MemoryPerCrossDelegation/users:N, one
// iteration per N), so that scripts/bench.sh runs it with the headlines and
// docs/perf.md tabulates it; the flags it reads itself are listed at Main.
//
// 1. Builds two states on RocksDB with the multi-chain harness (the same
//    setup as BM_SlashCrossDelegators, bench/cross_delegators.h): an empty
//    provider/consumer pair, and a pair with N users each cross-staked to
//    one consumer validator. Each chain's genesis document is written next
//    to its store; then everything is closed.
// 2. For each state, runs itself again (fork/exec, `--open DIR`): that
//    process opens both chains the way meshd does (RocksDbStore::Open with
//    its default options, app::Application::Open, InitChain), makes one
//    query on each (a user's stake on the provider, its record on the
//    consumer) and one block on each (BeginBlock with every validator
//    signing, EndBlock, Commit), and prints VmRSS and VmHWM from
//    /proc/self/status.
// 3. Reports (full - empty) / N as bytes per cross-delegation, for VmRSS
//    and VmHWM. With --max_bytes, exits 1 when the VmHWM figure exceeds it.
// N = 2000 (a smoke size whose per-delegation figure is dominated by
// noise), and 10^5 and 10^6 with MESH_BENCH_LARGE=1.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "app/application.h"
#include "app/genesis.h"
#include "benchmark/benchmark.h"
#include "bench/cross_delegators.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/provider/external_staking.h"
#include "tests/harness/network.h"

namespace mesh::harness::bench {
namespace {

namespace fs = std::filesystem;

struct Memory {
  long rss_kb = 0;
  long hwm_kb = 0;
};

Memory ReadStatus() {
  Memory m;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string key;
    long kb = 0;
    s >> key >> kb;
    if (key == "VmRSS:") m.rss_kb = kb;
    if (key == "VmHWM:") m.hwm_kb = kb;
  }
  return m;
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
  MESH_CHECK(out.good());
}

// Builds the pair with `users` cross-delegations under `dir` and writes
// each chain's genesis document to `dir`/<chain>.genesis.json.
void Build(const fs::path& dir, int users) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  absl::StatusOr<std::unique_ptr<Network>> net = Network::Create(MakeSpec(dir.string()));
  MESH_CHECK_OK(net.status());
  Prepare(**net, users);
  for (const std::string id : {kProvider, kConsumer}) {
    WriteFile(dir / (id + ".genesis.json"), (*net)->app(id).genesis().ToJson().Write());
  }
}

// One block on `app`: every bonded validator signs, nothing else.
void OneBlock(app::Application& app) {
  app::BlockRequest req;
  req.time_ns = app.chain().time_ns() + 5 * kNanosPerSecond;
  absl::StatusOr<std::vector<app::VoteInfo>> votes = app.AllSignedVotes();
  MESH_CHECK_OK(votes.status());
  req.decided_last_commit = *votes;
  MESH_CHECK_OK(app.BeginBlock(req));
  MESH_CHECK_OK(app.EndBlock().status());
  MESH_CHECK_OK(app.Commit().status());
}

// With MESH_MEMORY_STAGES=1 the child also prints VmRSS after each stage
// to stderr (where the memory goes).
void Stage(const char* name) {
  const char* v = std::getenv("MESH_MEMORY_STAGES");
  if (v == nullptr || std::string(v) != "1") return;
  std::cerr << "  " << name << ": VmRSS " << ReadStatus().rss_kb << " kB" << std::endl;
}

std::unique_ptr<app::Application> OpenChain(const fs::path& dir, const std::string& id) {
  std::ifstream in(dir / (id + ".genesis.json"));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<app::GenesisDoc> g = app::GenesisDoc::Parse(text.str());
  MESH_CHECK_OK(g.status());
  absl::StatusOr<std::unique_ptr<RocksDbStore>> store =
      RocksDbStore::Open((dir / (id == kProvider ? "provider" : "consumer")).string());
  MESH_CHECK_OK(store.status());
  Stage("  store opened");
  absl::StatusOr<std::unique_ptr<app::Application>> app =
      app::Application::Open(*std::move(g), *std::move(store));
  MESH_CHECK_OK(app.status());
  Stage("  application opened");
  MESH_CHECK_OK((*app)->InitChain());
  MESH_CHECK((*app)->chain().height() > 0);
  return *std::move(app);
}

// The child: opens both chains as meshd would, one query and one block
// each, prints "rss_kb hwm_kb".
int OpenAndMeasure(const fs::path& dir) {
  Stage("start");
  std::unique_ptr<app::Application> provider = OpenChain(dir, kProvider);
  Stage("provider opened");
  std::unique_ptr<app::Application> consumer = OpenChain(dir, kConsumer);
  Stage("consumer opened");
  absl::StatusOr<std::optional<consumer::DelegationRecord>> rec =
      consumer::VirtualStaking::GetRecord(consumer->QueryContext(),
                                          consumer::ProviderId(kProvider), UserAddress(0),
                                          ValidatorAddress(""));
  MESH_CHECK_OK(rec.status());
  absl::StatusOr<std::vector<provider::ConsumerId>> active =
      provider::Vault::ActiveExternalStaking(provider->QueryContext());
  MESH_CHECK_OK(active.status());
  Stage("queried");
  OneBlock(*provider);
  Stage("provider block");
  OneBlock(*consumer);
  Stage("consumer block");
  const Memory m = ReadStatus();
  std::cout << m.rss_kb << " " << m.hwm_kb << std::endl;
  return 0;
}

Memory RunChild(const std::string& self, const fs::path& dir) {
  const std::string cmd = absl::StrCat("'", self, "' --open '", dir.string(), "'");
  FILE* p = popen(cmd.c_str(), "r");
  MESH_CHECK(p != nullptr);
  Memory m;
  const int n = fscanf(p, "%ld %ld", &m.rss_kb, &m.hwm_kb);
  MESH_CHECK(pclose(p) == 0 && n == 2);
  return m;
}

// One case: builds the empty pair and the pair with N cross-delegations,
// measures each in a child process, and reports (full - empty) / N.
struct Result {
  Memory base, full;
  double rss_per_user = 0, hwm_per_user = 0, build_s = 0;
};

Result Measure(const std::string& self, const fs::path& dir, int users) {
  const auto t0 = std::chrono::steady_clock::now();
  Build(dir / "empty", 0);
  Build(dir / "full", users);
  Result r;
  r.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.base = RunChild(self, dir / "empty");
  r.full = RunChild(self, dir / "full");
  fs::remove_all(dir);
  r.rss_per_user = 1024.0 * static_cast<double>(r.full.rss_kb - r.base.rss_kb) / users;
  r.hwm_per_user = 1024.0 * static_cast<double>(r.full.hwm_kb - r.base.hwm_kb) / users;
  return r;
}

// Set by Main before the cases run.
std::string g_self;
fs::path g_dir;
double g_worst_hwm = 0;  // the largest VmHWM figure of the cases run

// BM_MemoryPerCrossDelegation/users:N (scripts/bench.sh runs it as the
// memory headline). Counters: bytes_per_cross_delegation_hwm (the figure
// the target bounds: 256 B), bytes_per_cross_delegation_rss, the empty and
// full states' VmHWM in MiB, and the seconds the two states took to build.
// The time reported is the build's (manual time); the figure is memory.
void BM_MemoryPerCrossDelegation(benchmark::State& state) {
  const int users = static_cast<int>(state.range(0));
  Result r;
  for (auto _ : state) {
    r = Measure(g_self, g_dir / absl::StrCat("n", users), users);
    state.SetIterationTime(r.build_s);
  }
  std::cout << "users: " << users << "\n"
            << "empty state opened: VmRSS " << r.base.rss_kb << " kB, VmHWM " << r.base.hwm_kb
            << " kB\n"
            << "full state opened:  VmRSS " << r.full.rss_kb << " kB, VmHWM " << r.full.hwm_kb
            << " kB\n"
            << "bytes_per_cross_delegation_rss: " << r.rss_per_user << "\n"
            << "bytes_per_cross_delegation_hwm: " << r.hwm_per_user << std::endl;
  g_worst_hwm = std::max(g_worst_hwm, r.hwm_per_user);
  state.counters["users"] = users;
  state.counters["bytes_per_cross_delegation_hwm"] = r.hwm_per_user;
  state.counters["bytes_per_cross_delegation_rss"] = r.rss_per_user;
  state.counters["empty_hwm_mib"] = static_cast<double>(r.base.hwm_kb) / 1024.0;
  state.counters["full_hwm_mib"] = static_cast<double>(r.full.hwm_kb) / 1024.0;
  state.counters["build_s"] = r.build_s;
}

// memory_bench [--users N] [--dir D] [--max_bytes B] [Google Benchmark flags]
//   --users N      only N cross-delegations (default: 2000, a smoke size
//                  whose figure is mostly noise; with MESH_BENCH_LARGE=1
//                  also 10^5 and 10^6)
//   --max_bytes B  exit 1 when a case's VmHWM figure exceeds B
int Main(int argc, char** argv) {
  std::vector<int> sizes = {2000};
  const char* large = std::getenv("MESH_BENCH_LARGE");
  if (large != nullptr && std::string(large) == "1") sizes = {2000, 100000, 1000000};
  g_dir = fs::temp_directory_path() / absl::StrCat("mesh_memory_", getpid());
  double max_bytes = -1;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--open" && i + 1 < argc) return OpenAndMeasure(argv[++i]);
    if (a == "--users" && i + 1 < argc) {
      sizes = {std::atoi(argv[++i])};
    } else if (a == "--dir" && i + 1 < argc) {
      g_dir = argv[++i];
    } else if (a == "--max_bytes" && i + 1 < argc) {
      max_bytes = std::atof(argv[++i]);
    } else if (a.rfind("--benchmark_", 0) == 0) {
      rest.push_back(argv[i]);
    } else {
      std::cerr << "usage: memory_bench [--users N] [--dir D] [--max_bytes B] "
                   "[--benchmark_... flags]\n";
      return 2;
    }
  }
  for (int n : sizes) {
    if (n <= 0) {
      std::cerr << "memory_bench: --users must be positive\n";
      return 2;
    }
  }
  g_self = fs::read_symlink("/proc/self/exe").string();
  auto* b = benchmark::RegisterBenchmark("BM_MemoryPerCrossDelegation", BM_MemoryPerCrossDelegation);
  b->ArgName("users")->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
  for (int n : sizes) b->Arg(n);
  int bargc = static_cast<int>(rest.size());
  benchmark::Initialize(&bargc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fs::remove_all(g_dir);  // each case removed its own states; this is their parent
  if (max_bytes >= 0 && g_worst_hwm > max_bytes) {
    std::cerr << "over the bound of " << max_bytes << " bytes per cross-delegation\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace mesh::harness::bench

int main(int argc, char** argv) { return mesh::harness::bench::Main(argc, argv); }
