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
//   GetTxsEvent  the txs a CometBFT event query matches (`query`, SDK 0.50;
//                or the deprecated `events`, joined with AND), see
//                ParseTxQuery; ordered by (height, index in block), ASC or
//                DESC (order_by); `page` (1-based, 0 = 1) of `limit` (0 =
//                100, at most 100) txs; `total` = every match. txs and
//                tx_responses as GetTx gives them. A bad query or a page past
//                the last: INVALID_ARGUMENT.
//   GetBlockWithTxs  the block at `height` (block_id empty, header as
//                cosmos.base.tendermint GetLatestBlock builds it, data.txs =
//                the TxRaw bytes) and its txs decoded in block order;
//                pagination offset/limit (0 = 100)/reverse, total = the
//                block's tx count. A height < 1 or above the latest:
//                INVALID_ARGUMENT; a block the index never recorded:
//                NOT_FOUND.
//   TxDecode     TxRaw bytes -> Tx; TxEncode Tx -> TxRaw bytes (SDK >= 0.47).
//   TxDecodeAmino, TxEncodeAmino: UNIMPLEMENTED (no amino codec; G-19).
// Methods and fields newer than the pinned SDK protos (GetTxsEvent page,
// limit, query, total; TxDecode/TxEncode) use the wire-identical messages of
// proto/meshsec/v1/cosmos_tx_compat.proto.
//
// Every delivered tx's TxResponse carries `logs`: one ABCIMessageLog per
// message (msg_index, the message's `message` event) when the tx succeeded,
// as SDK < 0.50 (G-20).
//
// The txhash of a tx is the upper-case hex SHA-256 of its TxRaw bytes (as
// CometBFT computes it).
//
// TxIndex: txhash -> the tx's TxResponse, the per-block tx list and an event
// index, written by the server when a block commits, in a store of its own
// that is not consensus state (no app hash covers it; docs/state-layout.md
// "Tx index"): meshd keeps it in <home>/txindex (devnet:
// <home>/<chain>/txindex; a separate RocksDB), so it survives a restart.
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
#include "tendermint/types/block.pb.h"
#include "tendermint/types/types.pb.h"

namespace mesh::node {

// One delivered tx of a committed block, as the index records it.
struct IndexedTx {
  const SignedTx* tx = nullptr;  // its wire bytes are what the index keeps
  std::string txhash;            // upper-case hex
  const TxResult* result = nullptr;
};

// One condition of a CometBFT tx query: `key op value`. Keys: `tx.height`
// (a number; every operator), `tx.hash` (=), or an event attribute
// `type.attr` (=, compared as a string).
struct TxQueryCondition {
  enum class Op { kEq, kLt, kLe, kGt, kGe };
  std::string key;
  Op op = Op::kEq;
  std::string value;  // unquoted
};

// Parses CometBFT's query syntax, restricted to what the index answers:
// conditions `key=value` joined by AND (any case), value 'quoted' or a bare
// number; `<`, `<=`, `>`, `>=` only on tx.height. CONTAINS, EXISTS, OR,
// TIME/DATE values and anything else: InvalidArgument naming the problem.
absl::StatusOr<std::vector<TxQueryCondition>> ParseTxQuery(std::string_view query);

// A page of matches: txhashes in the requested order, and the match count.
struct TxSearchResult {
  std::vector<std::string> txhashes;
  uint64_t total = 0;
};

// The tx index (see above). Thread-safe: reads may run on query threads while
// RecordBlock runs on the block producer's.
class TxIndex {
 public:
  // Over `store` (not owned; must outlive the index), or over an in-memory
  // store of its own when `store` is null (lost on restart).
  explicit TxIndex(DurableStore* store);

  // Records committed block `header.height()` (FillBlockHeader of the chain
  // after its commit) and its delivered txs, in one atomic write. Keys:
  //   "tx/" + txhash -> a serialized cosmos.base.abci.v1beta1.TxResponse
  //                     (tx as an Any of cosmos.tx.v1beta1.Tx);
  //   "blk/" + height (8 bytes BE) -> a serialized tendermint.types.Block
  //                     (header, data.txs = the TxRaw bytes in block order);
  //   "pos/" + height (8 BE) + index (4 BE) -> txhash;
  //   "ev/" + type.attr + "=" + value + "\0" + height (8 BE) + index (4 BE)
  //                     -> txhash, for every attribute of every event.
  absl::Status RecordBlock(const ::tendermint::types::Header& header,
                           const std::vector<IndexedTx>& txs);
  // The serialized TxResponse of `txhash` (upper-case hex), or nullopt.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view txhash) const;
  // The block recorded at `height`, or nullopt.
  absl::StatusOr<std::optional<::tendermint::types::Block>> GetBlock(uint64_t height) const;
  // The txs matching every condition, ordered by (height, index) ascending
  // (descending with `desc`); page `page` (1-based) of `limit` (> 0).
  // A page past the last (page 1 always exists): InvalidArgument.
  absl::StatusOr<TxSearchResult> Search(const std::vector<TxQueryCondition>& conditions,
                                        bool desc, uint64_t page, uint64_t limit) const;

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
  // The latest committed height (GetBlockWithTxs bounds its request by it).
  std::function<uint64_t()> latest_height;
  const TxIndex* index = nullptr;  // not owned
};

// The hash CometBFT gives `tx_bytes`: upper-case hex SHA-256.
std::string CometTxHash(std::string_view tx_bytes);

// cosmos.tx.v1beta1.Service, registered by hand (grpc_cpp_plugin cannot
// generate a service named "Service").
std::unique_ptr<grpc::Service> NewCosmosTxService(TxServiceHooks hooks);

}  // namespace mesh::node

#endif  // MESHSEC_NODE_COSMOS_TX_SERVICE_H_
