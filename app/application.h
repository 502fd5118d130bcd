// Application: the one composition root of a meshsec chain. It builds a
// chain from its GenesisDoc — bank and native staking, liveness (signed
// blocks window), the mesh provider and/or consumer roles, the IBC host with
// the mesh IBC application bound to its ports — and every hook between them
// (native misbehaviour → local-staking lien holder, then the native slash).
// The daemon (meshd), the devnet, the scenario runner, the benchmarks, the
// C ABI and the tests all build chains through it; nothing else wires
// modules together.
//
// The consensus boundary is shaped like ABCI 2.0 (docs/application.md):
//   InitChain                 genesis state, once, on an empty store
//   BeginBlock(BlockRequest)  height/time, last commit votes → liveness,
//                             misbehaviour evidence → double-sign slashing
//   DeliverTx(SignedTx)*      signed transactions
//   EndBlock() → updates      validator-set changes with consensus keys (native
//                             staking's, or on the consumer of a replicated /
//                             opt-in link the provider's VSCs, from the first)
//   Commit() → app hash       one atomic write batch
// FinalizeBlock = BeginBlock + DeliverTx* + EndBlock, as ABCI 2.0 groups
// them; it verifies the block's signatures on all cores while it applies
// the txs in order (node::Chain::DeliverTxs), with the same results. Between BeginBlock and EndBlock the open block also takes IBC
// messages from relayers (host() with chain().RunAtomic).
//
// Not thread-safe: one thread drives a chain. Deterministic: everything
// comes from the genesis document, the store and the block inputs.
#ifndef MESHSEC_APP_APPLICATION_H_
#define MESHSEC_APP_APPLICATION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "app/genesis.h"
#include "core/context.h"
#include "core/ids.h"
#include "core/kv.h"
#include "ibc/host.h"
#include "node/chain.h"

namespace mesh::app {

// ---- consensus boundary (ABCI 2.0 shapes) ----

// One entry of the last commit (ABCI VoteInfo): the validator's consensus
// address (20 raw bytes: the first 20 bytes of SHA-256 of its ed25519 key),
// its power in that block and whether its vote was included.
struct VoteInfo {
  std::string validator_address;
  uint64_t power = 0;
  bool signed_last_block = true;
};

enum class MisbehaviorType : uint8_t { kDuplicateVote = 1, kLightClientAttack = 2 };

// ABCI Misbehavior: evidence carries the validator's power AT the infraction
// height; that power sets the slash amount (Cosmos SDK semantics).
struct Misbehavior {
  MisbehaviorType type = MisbehaviorType::kDuplicateVote;
  std::string validator_address;  // consensus address, 20 raw bytes
  uint64_t power = 0;
  int64_t height = 0;             // infraction height
  uint64_t time_ns = 0;           // infraction time
};

struct BlockRequest {
  uint64_t time_ns = 0;
  std::string proposer_address;
  std::vector<VoteInfo> decided_last_commit;
  std::vector<Misbehavior> misbehavior;
};

// ABCI ValidatorUpdate: ed25519 public key (32 bytes) and power (0 = removed).
struct ConsensusUpdate {
  std::string pub_key;
  int64_t power = 0;
};

struct BlockResponse {
  std::vector<node::TxResult> tx_results;
  std::vector<ConsensusUpdate> validator_updates;
};

class Application {
 public:
  // Builds the chain over `store` (a fresh store starts at height 0; an
  // existing one resumes at its last committed block). Registers every
  // module, message and hook and binds the mesh ports on the IBC host.
  // `state_cache_bytes`: the chain's state-cache bound (0: its default;
  // node::ChainConfig::state_cache_bytes). `pipelined_commit`: block
  // commits written while the next block runs, on a store that allows it
  // (node::ChainConfig::pipelined_commit; Commit is then durable once the
  // next Commit or Flush returns).
  static absl::StatusOr<std::unique_ptr<Application>> Open(GenesisDoc genesis,
                                                           std::unique_ptr<DurableStore> store,
                                                           size_t state_cache_bytes = 0,
                                                           bool pipelined_commit = true);
  ~Application();
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  // Writes the genesis state and commits it as height 0. A no-op on a store
  // that already holds a chain. The links' IBC connections must be
  // registered on host() first (their ids are in the genesis document).
  absl::Status InitChain();
  bool initialized() const;

  // The whole committed state as GenesisDoc::state (see there).
  absl::StatusOr<Json> ExportState() const;

  // ---- blocks ----
  absl::Status BeginBlock(const BlockRequest& req);
  // The consensus inputs of BeginBlock alone, inside an already open block
  // (for block producers that open the block themselves).
  absl::Status ApplyConsensusInputs(const BlockRequest& req);
  // The consensus inputs of a block made by a single-node producer (meshd,
  // the devnet): every bonded validator signed the last commit, no evidence.
  absl::Status ApplyFullParticipation();
  node::TxResult DeliverTx(const node::SignedTx& tx);
  absl::StatusOr<std::vector<ConsensusUpdate>> EndBlock();
  absl::StatusOr<Hash256> Commit();
  // Waits until every committed block is on disk (node::Chain::Flush).
  absl::Status Flush() { return chain_->Flush(); }
  absl::StatusOr<BlockResponse> FinalizeBlock(const BlockRequest& req,
                                              const std::vector<node::SignedTx>& txs);

  // ---- misbehaviour (the paths the block inputs take; atomic in the open
  // block). The validator is named by operator address.
  absl::Status HandleDoubleSign(const ValidatorAddress& validator, int64_t infraction_height,
                                uint64_t power);
  absl::Status HandleDowntime(const ValidatorAddress& validator, int64_t infraction_height,
                              uint64_t power);

  // ---- identities ----
  // The validator's ed25519 consensus public key (32 bytes).
  absl::StatusOr<std::string> ConsensusPubkey(const ValidatorAddress& validator) const;
  static std::string ConsensusAddress(std::string_view pubkey32);
  // The operator of the validator with this consensus address; NotFound.
  absl::StatusOr<ValidatorAddress> ValidatorByConsensusAddress(std::string_view address) const;
  // The last commit a block producer reports when every consensus
  // validator signed: one VoteInfo per validator with its power.
  absl::StatusOr<std::vector<VoteInfo>> AllSignedVotes() const;
  // The chain's consensus validator set (committed state): native staking's
  // bonded validators, or — on a consumer of a replicated / opt-in link,
  // once the provider's first VSC was applied — the provider-supplied set.
  // Ordered by native order / key.
  absl::StatusOr<std::vector<ConsensusUpdate>> ConsensusValidators() const;

  // ---- parts ----
  node::Chain& chain() { return *chain_; }
  const node::Chain& chain() const { return *chain_; }
  ibc::Host& host() { return *host_; }
  const GenesisDoc& genesis() const { return genesis_; }
  bool is_provider() const { return genesis_.provider.has_value(); }
  bool is_consumer() const { return genesis_.consumer.has_value(); }
  Context QueryContext() const { return chain_->QueryContext(); }

 private:
  struct Roles;
  Application(GenesisDoc genesis, std::unique_ptr<node::Chain> chain);
  absl::Status Install();
  absl::Status Genesis(const Context& ctx);
  absl::Status RestoreState(const Json& state);
  absl::Status GenesisProvider(const Context& ctx);
  absl::Status GenesisConsumer(const Context& ctx);
  absl::Status ApplyVotes(const Context& ctx, const std::vector<VoteInfo>& votes);
  absl::Status ApplyCcvVotes(const Context& ctx, const std::vector<VoteInfo>& votes);
  // True once the provider of a replicated / opt-in link sets consensus.
  absl::StatusOr<bool> ProviderSuppliesSet(const Context& ctx) const;
  absl::Status NativeDoubleSign(const Context& ctx, const ValidatorAddress& v,
                                int64_t infraction_height, uint64_t power);
  absl::Status NativeDowntime(const Context& ctx, const ValidatorAddress& v,
                              int64_t infraction_height, uint64_t power);

  GenesisDoc genesis_;
  std::unique_ptr<node::Chain> chain_;
  std::unique_ptr<ibc::Host> host_;
  std::unique_ptr<Roles> roles_;
  std::vector<ConsensusUpdate> last_updates_;
};

}  // namespace mesh::app

#endif  // MESHSEC_APP_APPLICATION_H_
