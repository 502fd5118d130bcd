// cosmos.tx.v1beta1.Service served by a node's GrpcServer, wire-identical to
// the Cosmos SDK (messages generated from cosmos/tx/v1beta1/service.proto;
// user guide in docs/grpc.md "cosmos.tx.v1beta1.Service").
//
//   BroadcastTx  SYNC: the node's CheckTx result (TxResponse txhash, code,
//                codespace, raw_log); the tx is queued when code is 0.
//                ASYNC: the tx is checked and queued the same way, but the
//                answer carries only the txhash (and code 2 when the bytes
//                do not decode): a client learns the outcome from GetTx.
//                BLOCK (deprecated in the SDK, which now refuses it): waits
//                for the block that delivers the tx and answers its
//                DeliverTx result with the height (G-18).
//                UNSPECIFIED or empty tx_bytes: INVALID_ARGUMENT.
//   GetTx        by hash (hex, any case): the tx decoded (Tx) and its
//                TxResponse {height, txhash, code, codespace, raw_log,
//                gas_wanted, gas_used, tx (Any of Tx), timestamp (block time,
//                RFC 3339), events}, from the tx index. NOT_FOUND for an
//                unknown hash, INVALID_ARGUMENT for a malformed one.
//   Simulate     tx_bytes (or the deprecated tx): Chain::SimulateTx on the
//                live state; an empty signature skips the signature check.
//                GasInfo + Result{log, events}. A failing tx answers UNKNOWN
//                "<log> With gas wanted: 'W' and gas used: 'U' " as the SDK.
//   GetTxsEvent, GetBlockWithTxs: UNIMPLEMENTED (G-19).
//
// The txhash of a tx is the upper-case hex SHA-256 of its TxRaw bytes (as
// CometBFT computes it).
//
// TxIndex: txhash -> the tx's TxResponse, written by the server when a block
// commits, in a store of its own that is not consensus state (no app hash
// covers it; docs/state-layout.md "Tx index"): meshd keeps it in
// <home>/txindex (devnet: <home>/<chain>/txindex; a separate RocksDB), so it survives a restart.
#ifndef MESHSEC_NODE_COSMOS_TX_SERVICE_H_
#define MESHSEC_NODE_COSMOS_TX_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/kv.h"
#include "node/chain.h"
#include "node/tx.h"

namespace mesh::node {

// One delivered tx of a committed block, as the index records it.
struct IndexedTx {
  const SignedTx* tx = nullptr;  // its wire bytes are what the index keeps
  std::string txhash;            // upper-case hex
  const TxResult* result = nullptr;
};

// The tx index (see above). Thread-safe: Get may run on query threads while
// RecordBlock runs on the block producer's.
class TxIndex {
 public:
  // Over `store` (not owned; must outlive the index), or over an in-memory
  // store of its own when `store` is null (lost on restart).
  explicit TxIndex(DurableStore* store);

  // Records the txs of committed block `height` (block time `time_ns`) in one
  // atomic write. Key "tx/" + txhash; value: a serialized
  // cosmos.base.abci.v1beta1.TxResponse (tx as an Any of cosmos.tx.v1beta1.Tx).
  absl::Status RecordBlock(uint64_t height, uint64_t time_ns, const std::vector<IndexedTx>& txs);
  // The serialized TxResponse of `txhash` (upper-case hex), or nullopt.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view txhash) const;

 private:
  std::unique_ptr<DurableStore> owned_;
  DurableStore* store_;
  mutable std::mutex mu_;
};

// What the service needs from its server.
struct TxServiceHooks {
  // Checks `tx_bytes` (CheckTx, counting the signer's queued txs) and queues
  // it when code is 0; with `wait`, until the block that delivers it, then
  // `*result` is the DeliverTx result and `*height` that block's height.
  // A non-OK status: the call failed (shutdown, cancelled, empty bytes).
  std::function<grpc::Status(grpc::ServerContext* ctx, const std::string& tx_bytes, bool wait,
                             TxResult* result, uint64_t* height)>
      broadcast;
  // Chain::SimulateTx on the live chain (the server serializes access).
  std::function<TxResult(const SignedTx& tx)> simulate;
  const TxIndex* index = nullptr;  // not owned
};

// The hash CometBFT gives `tx_bytes`: upper-case hex SHA-256.
std::string CometTxHash(std::string_view tx_bytes);

// cosmos.tx.v1beta1.Service, registered by hand (grpc_cpp_plugin cannot
// generate a service named "Service").
std::unique_ptr<grpc::Service> NewCosmosTxService(TxServiceHooks hooks);

}  // namespace mesh::node

#endif  // MESHSEC_NODE_COSMOS_TX_SERVICE_H_
