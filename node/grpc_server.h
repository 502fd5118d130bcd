// GrpcServer: the gRPC front end of one node (services meshsec.v1.Query and
// meshsec.v1.Tx, proto/meshsec/v1/*.proto; user guide in docs/grpc.md).
//
// The server owns a node::Chain. The chain's state machine is
// single-threaded, so every access to it (each broadcast check, the Account
// query, each produced block, WithChain) holds one mutex. Other queries
// read a published Chain::CommittedView() (a store snapshot, refreshed
// after each commit) without that mutex, so they never wait for a block. This layer sits outside the deterministic core: it may use
// threads and clocks, but nothing it does reaches state except through
// Chain::DeliverTx inside ProduceBlock.
//
// Transactions: BroadcastTx checks a tx (decoding, chain id, signature,
// non-empty, nonce = committed nonce + txs of the same signer already
// queued) and appends it to a FIFO queue. Nothing is delivered until the
// owner calls ProduceBlock(time), which runs BeginBlock, delivers every
// queued tx in arrival order, EndBlock and Commit. Blocks are produced on
// demand, never on a timer, so a test (or a devnet loop in apps/) decides
// exactly when and at which block time they happen. A BLOCK-mode broadcast
// waits for the block that delivers its tx.
//
// Queries read the last committed block, also while ProduceBlock has the
// next one open (docs/grpc.md, Threading), or one of the last
// options.kept_blocks blocks named by the request's x-cosmos-block-height
// metadata (node/block_history.h; every query service). The server also
// serves what options.query_services adds (meshsec.v1.ProviderQuery /
// ConsumerQuery from app/mesh_query_service.h)
// and cosmos.tx.v1beta1.Service (node/cosmos_tx_service.h: broadcasts through
// the same queue; GetTx reads a tx index written when a block commits, kept
// in options.tx_index).
// Every read-only query service is on gRPC's callback API: a query runs
// inline on a gRPC event thread, with no thread per call (docs/grpc.md,
// Threading); BroadcastTx (meshsec.v1.Tx and cosmos.tx) stays synchronous.
//
// Thread safety: all public methods are thread-safe.
#ifndef MESHSEC_NODE_GRPC_SERVER_H_
#define MESHSEC_NODE_GRPC_SERVER_H_

#include <grpcpp/impl/service_type.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/crypto.h"
#include "node/chain.h"
#include "node/chain_query.h"

namespace mesh::node {

struct GrpcServerOptions {
  // host:port to listen on; port 0 picks a free port (see GrpcServer::port).
  std::string address = "127.0.0.1:0";
  // Registers grpc.reflection.v1alpha.ServerReflection when the build has
  // grpc++_reflection (GrpcServer::ReflectionAvailable()).
  bool enable_reflection = true;
  // BroadcastTx answers code 14 (unavailable) once this many txs wait.
  size_t max_pending_txs = 10000;
  // Queries can read any of the last `kept_blocks` committed blocks (the
  // request's x-cosmos-block-height header; node/block_history.h). Each
  // kept block holds one store snapshot (cheap for RocksDB, a copy of the
  // map for MemStore).
  size_t kept_blocks = 100;
  // Runs inside ProduceBlock right after BeginBlock, before the queued txs,
  // under the server's lock: the application's consensus inputs (last
  // commit votes, evidence) and relayer messages into this chain. An error
  // fails the block like an EndBlock error.
  std::function<absl::Status(Chain&)> in_block;

  // Thread model of the synchronous part of the gRPC server (BroadcastTx,
  // health, reflection, synchronous extra services); 0 keeps gRPC's
  // default. The query services use gRPC's callback API (inline on gRPC's
  // event threads, node/chain_query.h), which these settings do not touch.
  int num_cqs = 0;      // completion queues (gRPC default: one per core)
  int min_pollers = 0;  // polling threads per completion queue (default 1)
  int max_pollers = 0;  // (default 2)
  // grpc::ResourceQuota thread cap (default none). Beware: a call that
  // arrives when every allowed thread is busy is not queued; it fails with
  // RESOURCE_EXHAUSTED ("Server Threadpool Exhausted").
  int max_threads = 0;
  // Abseil's mutex deadlock detector (absl::SetMutexDeadlockDetectionMode).
  // Debian's libabsl is built with it on: every absl::Mutex gRPC locks on a
  // call's path updates a process-wide lock-order graph, ~2 % of a query's
  // CPU (docs/perf-history.md, "Local burns: fewer keys and no scan").
  // Start turns it off for the process unless this is set (a debugging aid,
  // not a check the node relies on).
  bool absl_deadlock_detection = false;
  // The store of the tx index (cosmos.tx.v1beta1.Service GetTx;
  // node/cosmos_tx_service.h), not consensus state. Not owned; must outlive
  // the server. Null: an in-memory index, lost on restart.
  DurableStore* tx_index = nullptr;
  // Registered on the same grpc::Server beside the node's services (e.g. a
  // benchmark's echo ceiling; sync or callback). Not owned; must outlive
  // the server.
  std::vector<grpc::Service*> extra_services;
  // Query services the composition root adds (app/mesh_query_service.h:
  // meshsec.v1.ProviderQuery / ConsumerQuery), built over this server's
  // committed-view lookup (heights, x-cosmos-block-height) and registered
  // beside the node's own. Empty: none.
  std::function<std::vector<std::unique_ptr<grpc::Service>>(ChainQueryFn)> query_services;
};

// One tx delivered by ProduceBlock.
struct DeliveredTx {
  std::string txhash;  // upper-case hex SHA-256 of the signed tx bytes
  TxResult result;
};

struct ProducedBlock {
  uint64_t height = 0;
  Hash256 app_hash{};
  std::vector<DeliveredTx> txs;  // in delivery order
};

class GrpcServer {
 public:
  // Starts serving `chain` on options.address. The chain must have no open
  // block. Unavailable if the address cannot be bound; InvalidArgument for a
  // null chain or an open block.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(std::unique_ptr<Chain> chain,
                                                           GrpcServerOptions options = {});
  // The same over a chain owned by the caller (e.g. by an application).
  // REQUIRES: `chain` outlives the server and is used only through it
  // (ProduceBlock, WithChain) while the server runs.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(Chain* chain,
                                                           GrpcServerOptions options = {});
  // Shuts down (see Shutdown).
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // The port actually bound (never 0) and "host:port" to dial.
  int port() const;
  const std::string& address() const;
  // Whether the server reflection service was compiled in / is registered.
  static bool ReflectionAvailable();
  bool reflection_enabled() const;

  // Produces one block at `time_ns` from the queued txs. On a BeginBlock
  // error (time going backwards, a block left open) nothing is dequeued and
  // the error is returned. An EndBlock/Commit error is an internal failure:
  // it is returned and the txs of that block are reported with code 13.
  // Once committed, the block's txs are written to the tx index; a failed
  // index write is returned too (the block stays committed).
  absl::StatusOr<ProducedBlock> ProduceBlock(uint64_t time_ns);
  size_t PendingTxCount() const;

  // Runs `fn` with exclusive access to the chain (genesis, tests, tools).
  // REQUIRES: fn leaves no block open.
  absl::Status WithChain(const std::function<absl::Status(Chain&)>& fn);

  // Stops accepting calls, fails waiting BLOCK-mode broadcasts with
  // UNAVAILABLE and waits for running calls to finish. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_GRPC_SERVER_H_
