// Headline 3 of the performance issue (docs/benchmarks.md, "Headline 3"):
// gRPC delegation queries per second, with p50/p99 latency, from loopback
// clients keeping 1, 16 or 64 calls in flight, while another thread
// produces blocks of signed txs on the same server — against a plain echo
// service on the same grpc::Server, measured in the same process and run.
//
//   BM_Headline3_Query/method:M/inflight:N/users:U
//     Server: node::GrpcServer over a node::Chain on RocksDB (temp dir), 4
//     bonded validators, U delegators each delegating to all 4 (set up
//     before timing; then the bench waits until RocksDB's background
//     compaction of that bulk load is over, counter settle_s). Registered on the same grpc::Server, with the same
//     thread settings (GrpcServerOptions), a trivial unary Echo service
//     (bench/proto/bench_echo.proto) answering a payload of the query's
//     response size to a request of the query's request size.
//     One server at a time (ServerWith stops the previous size's).
//     Block production, all the time the server runs: a feeder thread signs
//     "staking/delegate" txs and broadcasts them over gRPC
//     (meshsec.v1.Tx/BroadcastTx, SYNC) at 400 txs/s; the producer thread
//     calls GrpcServer::ProduceBlock every 50 ms (20 txs per block).
//     Clients: the same async client for both services (grpc::GenericStub
//     with pre-serialized requests, one completion queue per client thread,
//     N calls always in flight, a new call started as soon as one ends).
//     M = 0: cosmos.staking.v1beta1.Query/Delegation (delegator, validator)
//     M = 1: .../DelegatorDelegations, pagination limit 2 (first page of 4).
//     M = 2: .../ValidatorDelegations, pagination limit 10 from a user's key
//            (a page of a validator's U delegators, anywhere in the list).
//     Each iteration runs a window of alternating 0.1-s slices of echo load
//     (untimed) and query load (timed), after a warm-up slice of each, so that
//     both see the same machine load and block production. Counters:
//       qps, p50_us, p99_us           the query
//       echo_qps, echo_p50_us, echo_p99_us   the ceiling
//       ratio                         qps / echo_qps (target >= 0.80)
//       cpu_us_per_query, cpu_us_per_echo   process CPU per call (client,
//                                     server and the producer's share)
//       blocks_per_s                  blocks produced during the query windows
//       txs_per_block                 txs they carried (the feeder's rate)
//       blocks_per_s_idle             the same, producer alone (before the cases)
//       produce_ms_p50/_max(_idle)    ProduceBlock wall time, under query
//                                     load / producer alone
//       errors                        failed calls (must be 0)
//
// Environment: MESH_BENCH_LARGE=1 adds U = 10^5; MESH_BENCH_QUERY_WINDOW
// (seconds per window, default 0.5); MESH_BENCH_IDLE_SECONDS (producer-alone
// baseline, default 2); MESH_QUERY_CLIENT_THREADS (default 1),
// MESH_QUERY_CHANNELS (default 1); MESH_QUERY_NUM_CQS, MESH_QUERY_MIN_POLLERS,
// MESH_QUERY_MAX_POLLERS (GrpcServerOptions, default 0 = gRPC's).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "bench_echo.grpc.pb.h"
#include "benchmark/benchmark.h"
#include "core/crypto.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "cosmos/staking/v1beta1/query.grpc.pb.h"
#include "meshsec/v1/tx.grpc.pb.h"
#include "node/chain.h"
#include "node/grpc_server.h"
#include "node/staking_msgs.h"
#include "node/tx.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

namespace sk = ::cosmos::staking::v1beta1;
namespace eb = ::meshsec::bench;
using Clock = std::chrono::steady_clock;

constexpr char kChainId[] = "headline-3";
constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlockTime = 5 * kNanosPerSecond;
constexpr int kValidators = 4;
constexpr int kTxsPerBlock = 20;
constexpr auto kBlockPeriod = std::chrono::milliseconds(50);
constexpr int kProducerSigners = 1000;  // users 0..999 sign the producer's txs
constexpr int kDistinctRequests = 1024;
constexpr int kValidatorPage = 10;  // delegations per ValidatorDelegations page
constexpr double kSlice = 0.1;  // seconds of one echo or query slice
const char* const kMethods[] = {"/cosmos.staking.v1beta1.Query/Delegation",
                                "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
                                "/cosmos.staking.v1beta1.Query/ValidatorDelegations"};
constexpr char kEchoMethod[] = "/meshsec.bench.Echo/Echo";

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double EnvDouble(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? fallback : std::atof(v);
}
int EnvInt(const char* name, int fallback) {
  return static_cast<int>(EnvDouble(name, fallback));
}

// p in [0, 1] of `v` (reordered); 0 for an empty vector.
double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// CPU seconds used by this process so far (every thread, RocksDB's too).
double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// Waits until the process uses < 5 % of a core over a second: RocksDB's
// background compaction of the setup's bulk writes is over (otherwise it
// competes with the measurement for the cores). At most
// MESH_BENCH_SETTLE_MAX_SECONDS (default 60); returns the seconds waited.
double WaitUntilIdle() {
  const double max_seconds = EnvDouble("MESH_BENCH_SETTLE_MAX_SECONDS", 60);
  const Clock::time_point start = Clock::now();
  while (Seconds(Clock::now() - start) < max_seconds) {
    const double cpu = ProcessCpuSeconds();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (ProcessCpuSeconds() - cpu < 0.05) break;
  }
  return Seconds(Clock::now() - start);
}

grpc::ByteBuffer Serialize(const google::protobuf::Message& m) {
  std::string bytes = m.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// On gRPC's callback API, like the query services (node/chain_query.h): the
// ceiling runs on the same server stack as the queries.
class EchoService final : public eb::Echo::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const eb::EchoRequest* q,
                                 eb::EchoResponse* r) override {
    std::string* p = r->mutable_payload();
    *p = q->payload();
    p->resize(q->response_size(), 'e');
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// ---- the client -------------------------------------------------------------

struct WindowResult {
  uint64_t calls = 0;
  uint64_t errors = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // the whole process's (server, client, producer)
  std::vector<double> latency_us;
  void Add(WindowResult&& o) {
    calls += o.calls;
    errors += o.errors;
    seconds += o.seconds;
    cpu_seconds += o.cpu_seconds;
    latency_us.insert(latency_us.end(), o.latency_us.begin(), o.latency_us.end());
  }
};

// Keeps N unary calls in flight over `channels` channels (separate TCP
// connections) driven by `threads` threads, each with its own completion
// queue. The same client serves the query and its echo ceiling.
class LoadClient {
 public:
  LoadClient(const std::string& address, int channels, int threads) {
    for (int i = 0; i < std::max(1, channels); ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per channel
      args.SetInt("meshsec.bench.channel", i);
      stubs_.push_back(std::make_unique<grpc::GenericStub>(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
    }
    for (int i = 0; i < std::max(1, threads); ++i) {
      cqs_.push_back(std::make_unique<grpc::CompletionQueue>());
    }
  }
  ~LoadClient() {
    for (auto& cq : cqs_) {
      cq->Shutdown();
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) {
      }
    }
  }
  int channels() const { return static_cast<int>(stubs_.size()); }
  int threads() const { return static_cast<int>(cqs_.size()); }

  // Runs `inflight` concurrent calls of `method` (requests used in turn) for
  // `seconds`, then waits for the calls in flight.
  WindowResult Run(const std::string& method, const std::vector<grpc::ByteBuffer>& requests,
                   int inflight, double seconds) {
    const Clock::time_point start = Clock::now();
    const double cpu_start = ProcessCpuSeconds();
    const Clock::time_point deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<WindowResult> parts(cqs_.size());
    std::vector<std::thread> workers;
    for (size_t t = 0; t < cqs_.size(); ++t) {
      workers.emplace_back([&, t] {
        Drive(t, method, requests, inflight, deadline, &parts[t]);
      });
    }
    for (std::thread& w : workers) w.join();
    WindowResult out;
    for (WindowResult& p : parts) out.Add(std::move(p));
    out.seconds = Seconds(Clock::now() - start);
    out.cpu_seconds = ProcessCpuSeconds() - cpu_start;
    return out;
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    grpc::ByteBuffer response;
    grpc::Status status;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
    Clock::time_point start;
    size_t slot = 0;
  };

  void Drive(size_t t, const std::string& method, const std::vector<grpc::ByteBuffer>& requests,
             int inflight, Clock::time_point deadline, WindowResult* out) {
    grpc::CompletionQueue* cq = cqs_[t].get();
    size_t next_request = t * 7919;
    auto start_call = [&](size_t slot) {
      auto* call = new Call;
      call->slot = slot;
      call->start = Clock::now();
      const grpc::ByteBuffer& req = requests[next_request++ % requests.size()];
      call->reader =
          stubs_[slot % stubs_.size()]->PrepareUnaryCall(&call->ctx, method, req, cq);
      call->reader->StartCall();
      call->reader->Finish(&call->response, &call->status, call);
    };
    int outstanding = 0;
    for (size_t slot = t; slot < static_cast<size_t>(inflight); slot += cqs_.size()) {
      start_call(slot);
      ++outstanding;
    }
    out->latency_us.reserve(100000);
    while (outstanding > 0) {
      void* tag;
      bool ok;
      if (!cq->Next(&tag, &ok)) break;
      std::unique_ptr<Call> call(static_cast<Call*>(tag));
      const Clock::time_point now = Clock::now();
      ++out->calls;
      if (!ok || !call->status.ok()) {
        ++out->errors;
      } else {
        out->latency_us.push_back(std::chrono::duration<double, std::micro>(now - call->start)
                                      .count());
      }
      if (now < deadline) {
        start_call(call->slot);
      } else {
        --outstanding;
      }
    }
  }

  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> cqs_;
};

// ---- the server and its block producer ---------------------------------------

struct User {
  PrivateKey key;
  AccountAddress account;
  uint64_t nonce = 0;
  uint64_t account_number = 0;  // read once the chain has its genesis
};

struct ProducedStat {
  Clock::time_point end;
  double produce_ms = 0;
  size_t txs = 0;
};

struct BlockStats {
  double blocks_per_s = 0;
  double produce_ms_p50 = 0;
  double produce_ms_max = 0;
  double txs_per_block = 0;
};

class QueryServer {
 public:
  explicit QueryServer(int users) : users_count_(users) {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("mesh_query_bench_", getpid(), "_", users);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Build();
    settle_seconds_ = WaitUntilIdle();
    producer_ = std::thread([this] { ProduceLoop(); });
    feeder_ = std::thread([this] { FeedLoop(); });
    const Clock::time_point t0 = Clock::now();
    std::this_thread::sleep_for(
        std::chrono::duration<double>(EnvDouble("MESH_BENCH_IDLE_SECONDS", 2.0)));
    idle_ = BlocksBetween({{t0, Clock::now()}});
  }
  ~QueryServer() {
    stop_ = true;
    feeder_.join();
    producer_.join();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  const std::string& address() const { return server_->address(); }
  const BlockStats& idle() const { return idle_; }
  double settle_seconds() const { return settle_seconds_; }
  const std::vector<User>& users() const { return users_; }
  const std::vector<ValidatorAddress>& validators() const { return validators_; }

  // Blocks that ended inside one of `windows` (start, end).
  BlockStats BlocksBetween(
      const std::vector<std::pair<Clock::time_point, Clock::time_point>>& windows) const {
    std::vector<double> ms;
    double seconds = 0;
    size_t txs = 0;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [a, b] : windows) {
      seconds += Seconds(b - a);
      for (const ProducedStat& s : produced_) {
        if (s.end >= a && s.end <= b) {
          ms.push_back(s.produce_ms);
          txs += s.txs;
        }
      }
    }
    BlockStats out;
    out.blocks_per_s = seconds > 0 ? static_cast<double>(ms.size()) / seconds : 0;
    out.produce_ms_max = ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end());
    out.txs_per_block = ms.empty() ? 0 : static_cast<double>(txs) / static_cast<double>(ms.size());
    out.produce_ms_p50 = Percentile(ms, 0.5);
    return out;
  }

 private:
  // Genesis (funds), 4 validators, then every user delegates 1000 to each
  // validator (direct calls, 1000 users per block); then the gRPC server.
  void Build() {
    auto rocks = RocksDbStore::Open((dir_ / "chain").string());
    MESH_CHECK_OK(rocks.status());
    auto chain = Chain::Open(std::move(*rocks), ChainConfig{kChainId, "mesh"});
    MESH_CHECK_OK(chain.status());
    InstallStakingModule(**chain);
    users_.reserve(users_count_);
    for (int i = 0; i < users_count_; ++i) {
      PrivateKey key = PrivateKey::FromSeed(absl::StrCat("user-", i));
      AccountAddress account(AccountAddressOf("mesh", key.PublicKey()));
      users_.push_back(User{std::move(key), std::move(account)});
    }
    std::vector<AccountAddress> operators;
    for (int v = 0; v < kValidators; ++v) {
      PrivateKey key = PrivateKey::FromSeed(absl::StrCat("validator-", v));
      operators.emplace_back(AccountAddressOf("mesh", key.PublicKey()));
      validators_.emplace_back(ValoperAddressOf("mesh", key.PublicKey()));
    }
    const Denom stake("stake");
    MESH_CHECK_OK((*chain)->InitGenesis(kT0, [&](const Context& ctx) -> absl::Status {
      MESH_RETURN_IF_ERROR(staking::Staking::InitGenesis(ctx, staking::Params()));
      for (const AccountAddress& a : operators) {
        MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, a, stake, Amount(1000000000)));
      }
      for (const User& u : users_) {
        MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, u.account, stake, Amount(1ULL << 50)));
      }
      return absl::OkStatus();
    }));
    uint64_t time = kT0;
    MESH_CHECK_OK((*chain)->BeginBlock(time += kBlockTime));
    for (int v = 0; v < kValidators; ++v) {
      MESH_CHECK_OK((*chain)->RunAtomic([&](const Context& ctx) {
        return staking::Staking::CreateValidator(ctx, validators_[v], operators[v],
                                                 Amount(100000000), Dec::Percent(10).value());
      }));
    }
    MESH_CHECK_OK((*chain)->EndBlock());
    MESH_CHECK_OK((*chain)->Commit().status());
    for (size_t first = 0; first < users_.size(); first += 1000) {
      MESH_CHECK_OK((*chain)->BeginBlock(time += kBlockTime));
      for (size_t i = first; i < std::min(users_.size(), first + 1000); ++i) {
        MESH_CHECK_OK((*chain)->RunAtomic([&](const Context& ctx) -> absl::Status {
          for (const ValidatorAddress& v : validators_) {
            MESH_RETURN_IF_ERROR(
                staking::Staking::Delegate(ctx, users_[i].account, v, Amount(1000)).status());
          }
          return absl::OkStatus();
        }));
      }
      MESH_CHECK_OK((*chain)->EndBlock());
      MESH_CHECK_OK((*chain)->Commit().status());
    }
    time_ = time;
    for (size_t i = 0; i < std::min<size_t>(users_.size(), kProducerSigners); ++i) {
      absl::StatusOr<staking::BaseAccount> acc = (*chain)->GetAccount(users_[i].account);
      MESH_CHECK_OK(acc.status());
      users_[i].account_number = acc->account_number;
    }
    GrpcServerOptions options;
    options.extra_services.push_back(&echo_);
    options.num_cqs = EnvInt("MESH_QUERY_NUM_CQS", 0);
    options.min_pollers = EnvInt("MESH_QUERY_MIN_POLLERS", 0);
    options.max_pollers = EnvInt("MESH_QUERY_MAX_POLLERS", 0);
    auto server = GrpcServer::Start(std::move(*chain), std::move(options));
    MESH_CHECK_OK(server.status());
    server_ = std::move(*server);
  }

  // Feeds kTxsPerBlock signed delegations per kBlockPeriod over gRPC
  // (meshsec.v1.Tx/BroadcastTx, SYNC), as clients would.
  void FeedLoop() {
    auto tx_stub = ::meshsec::v1::Tx::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    const auto period = kBlockPeriod / kTxsPerBlock;
    size_t cursor = 0;
    Clock::time_point next = Clock::now();
    while (!stop_) {
      next += period;
      User& u = users_[cursor % std::min<size_t>(users_.size(), kProducerSigners)];
      const ValidatorAddress& v = validators_[cursor % validators_.size()];
      ++cursor;
      TxSpec tx;
      tx.chain_id = kChainId;
      tx.account_number = u.account_number;
      tx.sequence = u.nonce;
      tx.msgs.push_back(DelegateMsg(u.account, v, Denom("stake"), Amount(1)));
      ::meshsec::v1::BroadcastTxRequest req;
      req.set_signed_tx(SignTx(u.key, tx).Encode());
      req.set_mode(::meshsec::v1::BROADCAST_MODE_SYNC);
      ::meshsec::v1::BroadcastTxResponse resp;
      grpc::ClientContext ctx;
      grpc::Status s = tx_stub->BroadcastTx(&ctx, req, &resp);
      if (!s.ok() || resp.code() != 0) {
        fprintf(stderr, "broadcast failed: %s %u %s\n", s.error_message().c_str(), resp.code(),
                resp.log().c_str());
        std::abort();
      }
      ++u.nonce;
      if (Clock::now() < next) {
        std::this_thread::sleep_until(next);
      } else {
        next = Clock::now();
      }
    }
  }

  // One block every kBlockPeriod with the txs queued so far. Takes no lock
  // that a query takes (GrpcServer reads a committed snapshot); measured.
  void ProduceLoop() {
    Clock::time_point next = Clock::now();
    while (!stop_) {
      next += kBlockPeriod;
      const Clock::time_point t0 = Clock::now();
      absl::StatusOr<ProducedBlock> block = server_->ProduceBlock(time_ += kBlockTime);
      const Clock::time_point t1 = Clock::now();
      MESH_CHECK_OK(block.status());
      for (const DeliveredTx& d : block->txs) MESH_CHECK(d.result.ok());
      {
        std::lock_guard<std::mutex> lock(mu_);
        produced_.push_back({t1, std::chrono::duration<double, std::milli>(t1 - t0).count(),
                             block->txs.size()});
      }
      if (Clock::now() < next) {
        std::this_thread::sleep_until(next);
      } else {
        next = Clock::now();
      }
    }
  }

  int users_count_;
  std::filesystem::path dir_;
  std::vector<User> users_;
  std::vector<ValidatorAddress> validators_;
  EchoService echo_;
  std::unique_ptr<GrpcServer> server_;
  uint64_t time_ = 0;
  std::thread producer_;
  std::thread feeder_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<ProducedStat> produced_;
  BlockStats idle_;
  double settle_seconds_ = 0;
};

// The running server and its number of users (at most one: ServerWith).
struct RunningServer {
  int users = 0;
  std::unique_ptr<QueryServer> server;
};
RunningServer& Running() {
  static auto* running = new RunningServer();
  return *running;
}
void CloseServers() { Running().server.reset(); }

// The server of `users` delegators; any other is stopped first. A server's
// producer and feeder threads run for as long as it lives: kept alive, the
// 10^3 server went on producing blocks and signing txs through every 10^5
// case, which then measured two chains' block production beside the load.
// The cases are registered with every 10^3 case before the 10^5 ones, so
// each size is built once.
QueryServer& ServerWith(int users) {
  RunningServer& running = Running();
  if (running.server == nullptr || running.users != users) {
    running.server.reset();
    running.server = std::make_unique<QueryServer>(users);
    running.users = users;
    // Registered after the server exists, so that it runs before the
    // destructors of gRPC's statics that the server's construction made (a
    // hook registered earlier runs after them and crashes).
    std::atexit(CloseServers);
  }
  return *running.server;
}

// kDistinctRequests requests of `method`, spread over every user, each
// checked once with a typed call; *response_size = a typical response's size.
std::vector<grpc::ByteBuffer> MakeRequests(const QueryServer& server, int method,
                                           size_t* request_size, size_t* response_size) {
  auto stub = sk::Query::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  std::vector<grpc::ByteBuffer> out;
  const auto& users = server.users();
  const auto& vals = server.validators();
  for (int i = 0; i < kDistinctRequests; ++i) {
    const size_t u = static_cast<size_t>(i) * users.size() / kDistinctRequests;
    grpc::ClientContext ctx;
    grpc::Status s;
    size_t resp_size = 0;
    if (method == 0) {
      sk::QueryDelegationRequest req;
      req.set_delegator_addr(users[u].account.value());
      req.set_validator_addr(vals[i % vals.size()].value());
      sk::QueryDelegationResponse resp;
      if (i == 0) s = stub->Delegation(&ctx, req, &resp);
      MESH_CHECK(s.ok());
      if (i == 0) {
        MESH_CHECK(Amount::Parse(resp.delegation_response().balance().amount()).value() >=
                   Amount(1000));
        resp_size = resp.ByteSizeLong();
      }
      *request_size = req.ByteSizeLong();
      out.push_back(Serialize(req));
    } else if (method == 2) {
      // A page of a validator's delegators that starts at user u's (as an
      // explorer's "next page" does: the list has every user).
      sk::QueryValidatorDelegationsRequest req;
      req.set_validator_addr(vals[i % vals.size()].value());
      req.mutable_pagination()->set_key(AddressOrderKey(users[u].account.value()));
      req.mutable_pagination()->set_limit(kValidatorPage);
      sk::QueryValidatorDelegationsResponse resp;
      if (i == 0) s = stub->ValidatorDelegations(&ctx, req, &resp);
      MESH_CHECK(s.ok());
      if (i == 0) {
        MESH_CHECK(resp.delegation_responses_size() >= 1);
        MESH_CHECK(resp.delegation_responses(0).delegation().delegator_address() ==
                   users[u].account.value());
        resp_size = resp.ByteSizeLong();
      }
      *request_size = req.ByteSizeLong();
      out.push_back(Serialize(req));
    } else {
      sk::QueryDelegatorDelegationsRequest req;
      req.set_delegator_addr(users[u].account.value());
      req.mutable_pagination()->set_limit(2);
      sk::QueryDelegatorDelegationsResponse resp;
      if (i == 0) s = stub->DelegatorDelegations(&ctx, req, &resp);
      MESH_CHECK(s.ok());
      if (i == 0) {
        MESH_CHECK(resp.delegation_responses_size() == 2);
        MESH_CHECK(!resp.pagination().next_key().empty());
        resp_size = resp.ByteSizeLong();
      }
      *request_size = req.ByteSizeLong();
      out.push_back(Serialize(req));
    }
    if (i == 0) *response_size = resp_size;
  }
  return out;
}

void BM_Headline3_Query(benchmark::State& state) {
  const int method = static_cast<int>(state.range(0));
  const int inflight = static_cast<int>(state.range(1));
  const int users = static_cast<int>(state.range(2));
  const double window = EnvDouble("MESH_BENCH_QUERY_WINDOW", 0.5);
  QueryServer& server = ServerWith(users);
  size_t request_size = 0;
  size_t response_size = 0;
  const std::vector<grpc::ByteBuffer> requests =
      MakeRequests(server, method, &request_size, &response_size);
  eb::EchoRequest echo_req;
  echo_req.set_payload(std::string(request_size > 3 ? request_size - 3 : 1, 'q'));
  echo_req.set_response_size(static_cast<uint32_t>(response_size > 3 ? response_size - 3 : 1));
  const std::vector<grpc::ByteBuffer> echo_requests = {Serialize(echo_req)};
  LoadClient client(server.address(), EnvInt("MESH_QUERY_CHANNELS", 1),
                    EnvInt("MESH_QUERY_CLIENT_THREADS", 1));

  // Warm-up (connections, server threads), then alternating slices of echo
  // and query load so that both see the same machine load.
  client.Run(kEchoMethod, echo_requests, inflight, kSlice);
  client.Run(kMethods[method], requests, inflight, kSlice);
  const int slices = std::max(1, static_cast<int>(window / kSlice + 0.5));
  WindowResult query;
  WindowResult echo;
  std::vector<std::pair<Clock::time_point, Clock::time_point>> query_windows;
  // MESH_PERF_CTL: a profiler records the alternating slices only (both
  // services' load, with block production beside them).
  benchutil::PerfControl("enable\n");
  for (auto _ : state) {
    for (int i = 0; i < slices; ++i) {
      state.PauseTiming();
      echo.Add(client.Run(kEchoMethod, echo_requests, inflight, kSlice));
      state.ResumeTiming();
      const Clock::time_point a = Clock::now();
      query.Add(client.Run(kMethods[method], requests, inflight, kSlice));
      query_windows.emplace_back(a, Clock::now());
    }
  }
  benchutil::PerfControl("disable\n");
  if (query.errors > 0 || echo.errors > 0) {
    state.SkipWithError(absl::StrCat(query.errors, " query / ", echo.errors, " echo calls failed")
                            .c_str());
    return;
  }
  const double qps = static_cast<double>(query.calls) / query.seconds;
  const double echo_qps = static_cast<double>(echo.calls) / echo.seconds;
  const BlockStats blocks = server.BlocksBetween(query_windows);
  state.SetItemsProcessed(static_cast<int64_t>(query.calls));
  state.counters["qps"] = qps;
  state.counters["p50_us"] = Percentile(query.latency_us, 0.50);
  state.counters["p99_us"] = Percentile(query.latency_us, 0.99);
  state.counters["echo_qps"] = echo_qps;
  state.counters["echo_p50_us"] = Percentile(echo.latency_us, 0.50);
  state.counters["echo_p99_us"] = Percentile(echo.latency_us, 0.99);
  state.counters["ratio"] = qps / echo_qps;
  // CPU of the whole process per call (both ends of the call, and the
  // block producer's share): where a ratio below 1 comes from.
  state.counters["cpu_us_per_query"] = 1e6 * query.cpu_seconds / static_cast<double>(query.calls);
  state.counters["cpu_us_per_echo"] = 1e6 * echo.cpu_seconds / static_cast<double>(echo.calls);
  state.counters["blocks_per_s"] = blocks.blocks_per_s;
  state.counters["produce_ms_p50"] = blocks.produce_ms_p50;
  state.counters["produce_ms_max"] = blocks.produce_ms_max;
  state.counters["txs_per_block"] = blocks.txs_per_block;
  state.counters["blocks_per_s_idle"] = server.idle().blocks_per_s;
  state.counters["produce_ms_p50_idle"] = server.idle().produce_ms_p50;
  state.counters["produce_ms_max_idle"] = server.idle().produce_ms_max;
  state.counters["errors"] = static_cast<double>(query.errors + echo.errors);
  state.counters["client_threads"] = client.threads();
  state.counters["settle_s"] = server.settle_seconds();
  state.counters["channels"] = client.channels();
}

int Register() {
  std::vector<int64_t> users = {1000};
  const char* large = std::getenv("MESH_BENCH_LARGE");
  if (large != nullptr && std::string(large) == "1") users.push_back(100000);
  for (int64_t u : users) {
    for (int64_t method : {0, 1, 2}) {
      for (int64_t inflight : {1, 16, 64}) {
        benchmark::RegisterBenchmark("BM_Headline3_Query", BM_Headline3_Query)
            ->Args({method, inflight, u})
            ->ArgNames({"method", "inflight", "users"})
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  return 0;
}
[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace mesh::node
