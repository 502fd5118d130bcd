// BM_MeshListPage/list:L/users:N — a page of one of the mesh queries'
// long lists (meshsec.v1.ProviderQuery / ConsumerQuery, app/
// mesh_query_service.cc) with N cross-delegators on one consumer validator
// (the slash benchmark's setup, bench/cross_delegators.h: a provider and a
// consumer on RocksDB through the multi-chain harness). Each chain's state
// is served by the mesh query services on a loopback grpc::Server; a client
// asks for the second page of 10 (the key the first page returned), as a
// user paging through the list does.
//   L = 0  VaultAccounts                       (provider: N + validators' accounts)
//   L = 1  ExternalStakes of the validator     (provider: N stakes)
//   L = 2  ExternalStakes of the consumer      (provider: N stakes)
//   L = 3  DelegationRecords of the validator  (consumer: N records)
// Counter us_per_page: wall µs per call (client, server and the loopback,
// one call in flight). A page read from the store costs the page; a page cut
// from the whole list in memory costs the list (O(N)).
// N = 10^3, 10^4; MESH_BENCH_LARGE=1 adds 10^5.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "app/mesh_query_service.h"
#include "bench/cross_delegators.h"
#include "benchmark/benchmark.h"
#include "core/status.h"
#include "meshsec/v1/mesh_query.grpc.pb.h"
#include "tests/harness/network.h"

namespace mesh::harness {
namespace {

using namespace bench;  // NOLINT(build/namespaces): the shared setup
namespace pb = ::meshsec::v1;

// One chain's mesh query services on a loopback port, reading the chain's
// committed state.
class ListServer {
 public:
  explicit ListServer(const node::Chain& chain)
      : services_(app::NewMeshQueryServices(
            [&chain](grpc::ServerContextBase*,
                     const std::function<absl::Status(const node::Chain&)>& fn) {
              absl::Status s = fn(chain);
              if (s.ok()) return grpc::Status::OK;
              return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
            })) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    for (const auto& s : services_) builder.RegisterService(s.get());
    server_ = builder.BuildAndStart();
    MESH_CHECK(server_ != nullptr && port != 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
  }
  ~ListServer() { server_->Shutdown(); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The cross-delegators and each chain's services over them.
struct Setup {
  explicit Setup(int users)
      : state("listq", "n", users),
        provider(state.net->chain(kProvider)),
        consumer(state.net->chain(kConsumer)) {}
  CrossDelegators state;
  ListServer provider, consumer;
};

// One page of list `list` from `key` (limit 10): its size and next key.
std::pair<int, std::string> Page(const Setup& s, int list, const std::string& key) {
  grpc::ClientContext ctx;
  grpc::Status status;
  pb::MeshPageRequest page;
  page.set_limit(10);
  page.set_key(key);
  if (list == 0) {
    pb::QueryVaultAccountsRequest req;
    *req.mutable_pagination() = page;
    pb::QueryVaultAccountsResponse resp;
    status = pb::ProviderQuery::NewStub(s.provider.channel())->VaultAccounts(&ctx, req, &resp);
    MESH_CHECK(status.ok());
    return {resp.accounts_size(), resp.pagination().next_key()};
  }
  if (list == 1 || list == 2) {
    pb::QueryExternalStakesRequest req;
    req.set_consumer(kConsumer);
    if (list == 1) req.set_validator(s.state.val.value());
    *req.mutable_pagination() = page;
    pb::QueryExternalStakesResponse resp;
    status = pb::ProviderQuery::NewStub(s.provider.channel())->ExternalStakes(&ctx, req, &resp);
    MESH_CHECK(status.ok());
    return {resp.stakes_size(), resp.pagination().next_key()};
  }
  pb::QueryDelegationRecordsRequest req;
  req.set_provider(kProvider);
  req.set_validator(s.state.val.value());
  *req.mutable_pagination() = page;
  pb::QueryDelegationRecordsResponse resp;
  status = pb::ConsumerQuery::NewStub(s.consumer.channel())->DelegationRecords(&ctx, req, &resp);
  MESH_CHECK(status.ok());
  return {resp.records_size(), resp.pagination().next_key()};
}

// The setup of the last size asked for (the four lists share it).
Setup& SetupWith(int users) {
  static std::unique_ptr<Setup> kept;
  static int kept_users = 0;
  if (kept == nullptr || kept_users != users) {
    kept.reset();
    kept = std::make_unique<Setup>(users);
    kept_users = users;
  }
  return *kept;
}

void BM_MeshListPage(benchmark::State& state) {
  const int list = static_cast<int>(state.range(0));
  const int users = static_cast<int>(state.range(1));
  Setup& s = SetupWith(users);
  const auto [first_size, second_key] = Page(s, list, "");
  MESH_CHECK(first_size == 10 && !second_key.empty());
  int pages = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const auto [size, next] = Page(s, list, second_key);
    MESH_CHECK(size == 10);
    benchmark::DoNotOptimize(next);
    ++pages;
  }
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  state.counters["us_per_page"] = us / pages;
  state.counters["users"] = users;
}

int Register() {
  std::vector<int64_t> users = {1000, 10000};
  const char* large = std::getenv("MESH_BENCH_LARGE");
  if (large != nullptr && std::string(large) == "1") users.push_back(100000);
  for (int64_t u : users) {
    for (int64_t list : {0, 1, 2, 3}) {
      benchmark::RegisterBenchmark("BM_MeshListPage", BM_MeshListPage)
          ->Args({list, u})
          ->ArgNames({"list", "users"})
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return 0;
}
[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace mesh::harness
