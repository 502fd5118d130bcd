// Devnet: several chains in one process, each an Application on its own
// store, joined as a mesh by in-process relayers (one per pair of chains,
// created in chain-id pair order so each chain's connection ids are known
// before genesis: ConnectionFor). What `meshd devnet` runs and what the
// scenario runner and benchmarks can build on.
//
// Block model (as separate chains would run): ProduceRound() has every
// chain, in chain-id order, produce one block at its own time +
// block_seconds: BeginBlock with every bonded validator signing the last
// commit, then the relayer messages into that chain (packets addressed to
// it, acks and timeouts of packets it sent — the other chains' committed
// state is only read), then its queued transactions, EndBlock, Commit.
// When serving gRPC, each chain's block goes through its GrpcServer so
// broadcast transactions are included.
//
// Restart: the relayers keep no state of their own — what is in flight is
// read from the chains' committed packet commitments and receipts — so a
// devnet reopened on the same stores resumes every chain and every packet
// in flight, neither losing nor delivering any twice. Channels are opened
// once, in a handshake block at first start.
//
// Not thread-safe, except that gRPC queries may run while blocks are made.
#ifndef MESHSEC_APP_DEVNET_H_
#define MESHSEC_APP_DEVNET_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "app/application.h"
#include "ibc/relayer.h"

namespace mesh::node {
class GrpcServer;
}

namespace mesh::app {

// A demo account of a devnet chain: its key seed is "<chain>/<name>".
struct DemoKey {
  std::string name;
  std::string seed;
  AccountAddress address;
};

class Devnet {
 public:
  // The connection id `chain` uses towards `other` when relayers join every
  // pair of `chain_ids` (any order) in sorted pair order.
  static ConnectionId ConnectionFor(std::vector<std::string> chain_ids, const std::string& chain,
                                    const std::string& other);
  // A full-mesh devnet genesis for `chain_id` among `chain_ids`: demo keys
  // alice, bob, carol (funded), gov (consumer authority), oracle; three
  // validators val0..val2; every other chain is both a consumer and a
  // provider of this one.
  static GenesisDoc MeshGenesis(const std::vector<std::string>& chain_ids,
                                const std::string& chain_id, uint64_t genesis_time_ns);
  static std::vector<DemoKey> DemoKeys(const std::string& chain_id, const std::string& prefix);
  // Makes the link `provider` -> `consumer` of a set of MeshGenesis
  // documents (`docs`, one per chain) a replicated or opt-in link
  // (docs/shared-security.md) on both ends, with epochs of 10 blocks:
  // replicated runs on all of the provider's bonded validators (top N
  // 100 %); opt_in is pure opt-in (top N 0) with every genesis validator of
  // the provider opted in, so the consumer starts with a non-empty set.
  // InvalidArgument for an unknown chain or link, mode kMesh, or a consumer
  // that already has a replicated / opt-in link (at most one).
  static absl::Status SetLinkMode(std::vector<GenesisDoc>& docs, const std::string& provider,
                                  const std::string& consumer, provider::LinkMode mode);

  // Opens every chain (InitChain on empty stores), joins them with relayers
  // and opens the links' channels that are not open yet. `pipelined_commit`:
  // Application::Open's (off by default: the devnet produces its own blocks,
  // and no consensus engine would replay one lost in a crash).
  static absl::StatusOr<std::unique_ptr<Devnet>> Open(
      std::vector<GenesisDoc> genesis, std::vector<std::unique_ptr<DurableStore>> stores,
      bool pipelined_commit = false);
  ~Devnet();

  // Starts one gRPC server per chain on `host`, ports base_port + i (0: any
  // free port), each keeping the last `kept_blocks` blocks for queries at a
  // height (node::GrpcServerOptions). Returns the addresses in chain order.
  // Keeps `chain_id`'s tx index (cosmos.tx.v1beta1.Service GetTx; not
  // consensus state) in `store` once served; call before Serve. Without it
  // the index is in memory.
  void SetTxIndexStore(const std::string& chain_id, std::unique_ptr<DurableStore> store);
  absl::StatusOr<std::vector<std::string>> Serve(const std::string& host, int base_port,
                                                 size_t kept_blocks = 100);
  absl::Status ProduceRound(uint64_t block_seconds);
  // Queues a signed tx for the chain's next block. Not while the chain is
  // served: then clients broadcast through the server, and a block produced
  // with txs queued here fails (FailedPrecondition) instead of dropping them.
  void Queue(const std::string& chain_id, node::SignedTx tx);
  // Results of the txs delivered by the chain's last block, in order.
  const std::vector<node::TxResult>& last_results(const std::string& chain_id) {
    return results_[chain_id];
  }
  // Stops the gRPC servers (blocks are no longer produced through them).
  void StopServing();

  std::vector<std::string> chain_ids() const;
  Application& app(const std::string& chain_id);
  ibc::Relayer& relayer(const std::string& a, const std::string& b);
  // Packets not yet received plus acks not yet processed, over every pair.
  absl::StatusOr<size_t> InFlight() const;

 private:
  Devnet() = default;
  absl::Status OpenChannels();
  absl::Status RelayInto(const std::string& chain_id);
  absl::Status InBlock(const std::string& chain_id);
  absl::Status ProduceBlock(const std::string& chain_id, uint64_t time_ns);

  std::map<std::string, std::unique_ptr<Application>> apps_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ibc::Relayer>> relayers_;
  std::map<std::string, std::unique_ptr<DurableStore>> tx_indexes_;  // outlive servers_
  std::map<std::string, std::unique_ptr<node::GrpcServer>> servers_;
  std::map<std::string, std::vector<node::SignedTx>> queued_;
  std::map<std::string, std::vector<node::TxResult>> results_;
};

}  // namespace mesh::app

#endif  // MESHSEC_APP_DEVNET_H_
