// Network: N mesh-security chains in one process, joined by in-process
// relayers — the test bed of the cross-chain tests and of the scenario
// runner.
//
// Each chain is built by the application layer (app::Application, from a
// GenesisDoc derived from its ChainSpec) on its own store (MemStore, or
// RocksDB when ChainSpec::rocksdb_dir is set): native staking, liveness, the
// provider role if it provides to some chain, the consumer role if it
// consumes from some chain, and its IBC host. The harness holds test
// controls only — relayers it drives step by step, fault injection (jail,
// tombstone, evidence), invariant checks — and no wiring between modules.
// One ibc::Relayer joins every pair of chains (one connection per pair;
// chain ids order the pair: the smaller id is side A). For every link the
// consumer opens the channel at start-up.
//
// Block model: every chain ALWAYS has an open block. User transactions,
// relayer steps and misbehaviour happen in the current block of the chains
// they touch. AdvanceBlock() ends and commits the current block on every
// chain, begins the next one (time += block_seconds), relays every pending
// packet, ack and due timeout when auto-relay is on, and checks the
// invariants when that is on. Packets queued by a role are sent at the end
// of the block that queued them, so with auto-relay a packet is received in
// the next block and its ack processed in that same block.
//
// Invariants (CheckInvariants): per chain, the bank supply equals the sum
// of balances and equals genesis supply + virtual tokens minted - burned by
// the consumer role - tokens burned by the misbehaviour this harness
// injected; the vault invariants; and for each link with nothing queued or
// in flight in either direction, provider and consumer agree on every
// validator's stake (Σ users' external stake == Σ the consumer's records'
// provider-denom amounts, up to NetworkSpec::link_agreement_tolerance with
// the consumer never above the provider) and no stake is mid-flight
// (low == high). On a quiet replicated / opt-in link the consumer's
// consensus set equals the set the provider last sent (no VSC lost) and
// every consumer validator is a provider validator with stake (backed); with
// a power cap, no validator holds more than the cap.
//
// Not thread-safe. Deterministic (names, keys and times are derived from
// the spec).
#ifndef MESHSEC_TESTS_HARNESS_NETWORK_H_
#define MESHSEC_TESTS_HARNESS_NETWORK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "app/application.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/crypto.h"
#include "core/dec.h"
#include "core/kv.h"
#include "core/ids.h"
#include "ibc/host.h"
#include "ibc/relayer.h"
#include "mesh/app/consumer_app.h"
#include "mesh/app/provider_app.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/types.h"
#include "node/chain.h"
#include "node/tx.h"
#include "staking/staking.h"

namespace mesh::harness {

struct ValidatorSpec {
  std::string name;      // key seed; the operator is Address(chain, "val/<name>")
  Amount self_bond;      // minted to the operator at genesis and self-delegated
                         // (validators added by CreateValidator: funded at runtime)
  Dec commission;
};

struct ChainSpec {
  std::string id;              // chain id; also its ConsumerId / ProviderId elsewhere
  std::string prefix;          // bech32 prefix of its addresses
  Denom denom;                 // staking, vault and reward denom
  staking::Params staking;     // bond_denom is forced to `denom`
  std::vector<ValidatorSpec> validators;
  std::vector<std::pair<std::string, Amount>> accounts;  // user name, genesis funds
  // Provider role.
  bool local_staking = true;
  Dec local_slash_dsign = Dec::FromRaw(Dec::kOne / 20);
  Dec local_slash_offline = Dec::FromRaw(Dec::kOne / 100);
  Dec slash_meter_fraction = Dec::FromRaw(Dec::kOne / 20);
  uint64_t slash_meter_period_s = 3600;
  uint64_t gov_voting_period_s = 172800;
  Amount gov_min_deposit = Amount(10000000);
  // Consumer role.
  uint64_t epoch_length = 10;
  Amount total_max_cap = Amount(1000000000000);
  app::LivenessParams liveness;  // signed-blocks window (also of a provider-supplied set)
  // Empty: MemStore. Otherwise a fresh RocksDB at this path.
  std::string rocksdb_dir;
  // If set, opens the chain's store instead (rocksdb_dir is ignored): a
  // benchmark wraps its RocksDB store to record block write batches.
  std::function<absl::StatusOr<std::unique_ptr<DurableStore>>()> open_store;
  // node::ChainConfig::pipelined_commit (RocksDB stores only).
  bool pipelined_commit = true;
};

// `provider` lends stake to `consumer`.
struct LinkSpec {
  std::string provider;
  std::string consumer;
  Dec price = Dec::One();   // consumer tokens per provider token
  Dec discount = Dec::Zero();
  Amount max_cap = Amount(1000000000);
  uint64_t price_ttl_s = 100ULL * 365 * 86400;
  uint32_t max_retrieve = 50;
  uint64_t unbonding_period_s = 1000;
  Dec slash_dsign = Dec::FromRaw(Dec::kOne / 10);
  Dec slash_offline = Dec::FromRaw(Dec::kOne / 100);
  bool require_verified_evidence = true;  // app::GenesisLink's default (P-38)
  // Link mode (docs/shared-security.md). For replicated / opt_in the
  // provider supplies the consumer's consensus set over the CCV channel and
  // the mesh fields above are unused.
  provider::LinkMode mode = provider::LinkMode::kMesh;
  uint64_t blocks_per_epoch = 10;
  std::optional<uint32_t> top_n;          // default: replicated 100, opt_in 0
  uint32_t validators_power_cap = 0;
  uint32_t validator_set_cap = 0;
  std::vector<std::string> allowlist;     // provider validator names
  std::vector<std::string> denylist;
  std::vector<std::string> prioritylist;  // kept first by validator_set_cap
  bool allow_inactive_vals = false;
  Amount min_stake;
  std::vector<std::string> opted_in;      // genesis opt-ins (provider validator names)
  Dec downtime_slash_fraction;
  uint64_t downtime_jail_s = 600;
  // Both sides: provider unbondings wait for the consumer's VSCMatured.
  bool unbonding_waits_for_maturity = false;
  // The consumer's genesis setting when it differs from the provider's
  // (nullopt: the same); the consumer follows the provider's VSCs anyway.
  std::optional<bool> consumer_unbonding_waits_for_maturity;
};

struct NetworkSpec {
  std::vector<ChainSpec> chains;
  std::vector<LinkSpec> links;
  uint64_t genesis_time_ns = 1700000000ULL * kNanosPerSecond;
  uint64_t block_seconds = 5;
  bool auto_relay = true;
  bool check_invariants = true;
  // Link agreement on each quiet link: the consumer never holds more
  // provider-denom stake than the provider accounts for, and the provider's
  // excess is at most this tolerance (nullopt: unbounded). 0 by default:
  // both ends cut exactly the same totals on slashes, burns and unstakes
  // (docs/mesh-ibc.md), so any difference is a bug.
  std::optional<Amount> link_agreement_tolerance = Amount(0);
};

class Network {
 public:
  // Builds every chain, runs genesis, begins block 1 everywhere and opens
  // the channel of every link (the initial valset updates are sent at the
  // end of block 1 and delivered by the first AdvanceBlock with auto-relay).
  static absl::StatusOr<std::unique_ptr<Network>> Create(NetworkSpec spec);
  ~Network();

  // ---- blocks ----
  absl::Status AdvanceBlock();
  absl::Status AdvanceBlocks(int n);
  // One block whose time is `seconds` after the previous one.
  absl::Status AdvanceTime(uint64_t seconds);
  void set_auto_relay(bool on) { spec_.auto_relay = on; }
  void set_check_invariants(bool on) { spec_.check_invariants = on; }
  void set_link_agreement_tolerance(std::optional<Amount> t) {
    spec_.link_agreement_tolerance = t;
  }
  // A block round runs each chain's part in turn on the calling thread: its
  // EndBlock and Commit, then (after every chain's) its BeginBlock. `hook`
  // is called around each part, `start` true before it and false after,
  // so that a benchmark can charge each chain with its own part of a round
  // (bench/slash_bench.cc). Empty: no calls.
  using BlockHook = std::function<void(const std::string& chain, bool start)>;
  void set_block_hook(BlockHook hook) { block_hook_ = std::move(hook); }

  // ---- chains and names ----
  // Chain ids in ascending order, and the links as specified.
  std::vector<std::string> chain_ids() const;
  const std::vector<LinkSpec>& links() const { return spec_.links; }
  node::Chain& chain(const std::string& id);
  // The chain's application (its genesis document, for tools that reopen
  // the chain's store without the harness).
  app::Application& app(const std::string& id);
  ibc::Host& host(const std::string& id);
  // Read/write view of the chain's open block (for queries and for setup
  // shortcuts; writes bypass transactions).
  Context ctx(const std::string& id);
  const ChainSpec& chain_spec(const std::string& id) const;
  AccountAddress Address(const std::string& chain, const std::string& user) const;
  ValidatorAddress Valoper(const std::string& chain, const std::string& validator) const;
  PrivateKey Key(const std::string& chain, const std::string& user) const;

  // ---- user actions (signed txs in the current block) ----
  // Signs (SIGN_MODE_DIRECT, the user's account number and sequence, no
  // fee, node::kDefaultGasLimit) and delivers one message; the error is
  // node::StatusOfResult of the result, its message prefixed by the type URL.
  absl::Status Tx(const std::string& chain, const std::string& user, const node::Msg& msg);
  // The same for a message in the protobuf JSON mapping with "@type"; an
  // empty or missing signer field (sender, authority, from_address,
  // delegator_address, ...) is filled with the user's address.
  absl::Status TxJson(const std::string& chain, const std::string& user, std::string_view json);
  absl::Status Bond(const std::string& chain, const std::string& user, Amount amount);
  absl::Status Unbond(const std::string& chain, const std::string& user, Amount amount);
  absl::Status StakeLocal(const std::string& chain, const std::string& user,
                          const std::string& validator, Amount amount);
  // `validator` is a validator name of `consumer`.
  absl::Status StakeRemote(const std::string& provider, const std::string& user,
                           const std::string& consumer, const std::string& validator,
                           Amount amount);
  absl::Status UnstakeRemote(const std::string& provider, const std::string& user,
                             const std::string& consumer, const std::string& validator,
                             Amount amount);
  absl::Status WithdrawUnbonded(const std::string& provider, const std::string& user,
                                const std::string& consumer);
  // Rewards go to Address(consumer, user).
  absl::Status WithdrawRewards(const std::string& provider, const std::string& user,
                               const std::string& consumer, const std::string& validator);
  absl::Status SetPrice(const std::string& consumer, const std::string& provider, Dec price);
  absl::Status SetMaxCap(const std::string& consumer, const std::string& provider, Amount cap);
  // Pays `amount` of the chain's denom as staking rewards to its bonded
  // validators (from a funding account minted at genesis for the purpose).
  absl::Status AllocateRewards(const std::string& chain, Amount amount);

  // ---- relayer ----
  ibc::Relayer& relayer(const std::string& a, const std::string& b);
  // The side of `chain` on relayer(chain, other).
  ibc::Side SideOf(const std::string& chain, const std::string& other) const;
  // Relays everything pending between every pair until quiet, closes made
  // by an application included (ibc::Relayer::RelayCloses).
  absl::StatusOr<ibc::RelayStats> RelayAll();
  // Packets sent by `from` to `to`, not yet received.
  absl::StatusOr<std::vector<ibc::InFlight>> Pending(const std::string& from,
                                                     const std::string& to);
  // The channel of a link on the provider / consumer.
  absl::StatusOr<ChannelId> ProviderChannel(const std::string& provider,
                                            const std::string& consumer);
  absl::StatusOr<ChannelId> ConsumerChannel(const std::string& consumer,
                                            const std::string& provider);

  // ---- validator set changes ----
  // A new validator `name` on `chain`, created in the current block by a
  // signed "staking/create_validator" tx of its operator (key
  // `<chain>/val/<name>`, as for genesis validators) self-bonding
  // `self_bond`. The operator is first topped up to `self_bond` by a signed
  // bank transfer from the harness's funding account (so the supply is
  // unchanged). The validator joins the active set at the end of the block
  // if it ranks in the top max_validators (possibly pushing the weakest one
  // out); on a consumer chain the consumer role reports the addition and
  // any removal to every provider in that block's valset update. Appends
  // the validator to the chain's spec.validators, so every name-keyed
  // helper and the link agreement check know it. InvalidArgument if the
  // name is already a validator of the chain; the staking module's errors
  // otherwise (nothing is recorded then; the top-up stays with the operator).
  // `description` (optional) is sent as the message's `description`.
  absl::Status CreateValidator(const std::string& chain, const std::string& name,
                               Amount self_bond, Dec commission,
                               const staking::Description& description = {});
  // Governance-style update of the chain's staking max_validators, applied
  // atomically in the current block; the active set is re-selected at the
  // end of the block. InvalidArgument for 0 (staking's params validation).
  absl::Status SetMaxValidators(const std::string& chain, uint32_t max_validators);

  // ---- misbehaviour (native staking handlers, atomically in the block) ----
  absl::Status Jail(const std::string& chain, const std::string& validator);
  // Signed "slashing/unjail" by the validator's operator.
  absl::Status Unjail(const std::string& chain, const std::string& validator);
  absl::Status Tombstone(const std::string& chain, const std::string& validator);
  // Evidence of a double sign at `infraction_height` (slash, jail forever,
  // tombstone), with the validator's power at that height, through the
  // node's hook app::HandleNativeDoubleSign (on a provider with local
  // staking the local stakers lose what the slash burned from them).
  // `power`: the validator's power at the infraction as the evidence
  // reports it (default: staking's power history at that height).
  absl::Status DoubleSign(const std::string& chain, const std::string& validator,
                          uint64_t infraction_height,
                          std::optional<uint64_t> power = std::nullopt);
  // Verified evidence of a consumer validator's double sign, as a watcher
  // submits it: two precommits of `validator` (a name on `consumer`) for
  // different blocks at `height`, signed with the default consensus key of
  // `signer` (a validator name on `consumer`; another validator's name
  // forges the evidence) at `consumer`'s current block time, sent by `user`
  // on `provider` as /meshsec.v1.MsgSubmitConsumerDoubleVote.
  absl::Status SubmitConsumerDoubleVote(const std::string& provider, const std::string& consumer,
                                        const std::string& validator, const std::string& user,
                                        uint64_t height, const std::string& signer);
  // Liveness fault at `infraction_height` (slash, jail), the same way
  // through app::HandleNativeDowntime.
  absl::Status Downtime(const std::string& chain, const std::string& validator,
                        uint64_t infraction_height, std::optional<uint64_t> power = std::nullopt);

  // ---- queries ----
  absl::StatusOr<Amount> Balance(const std::string& chain, const AccountAddress& who);
  absl::StatusOr<Amount> UserBalance(const std::string& chain, const std::string& user);
  absl::StatusOr<provider::Stake> ExternalStake(const std::string& provider,
                                                const std::string& user,
                                                const std::string& consumer,
                                                const std::string& validator);
  // The consumer's requested virtual stake from `provider` on `validator`.
  absl::StatusOr<Amount> BondRequest(const std::string& consumer, const std::string& provider,
                                     const std::string& validator);
  // The consumer's actual native virtual delegation.
  absl::StatusOr<Amount> VirtualDelegation(const std::string& consumer,
                                           const std::string& provider,
                                           const std::string& validator);
  absl::StatusOr<staking::Validator> Validator(const std::string& chain,
                                               const std::string& validator);

  // ---- replicated / opt-in links ----
  // The chain's consensus validator set: ed25519 key -> power.
  absl::StatusOr<std::map<std::string, int64_t>> ConsensusSet(const std::string& chain);
  // The provider's bonded validators as their keys on `consumer` -> power.
  absl::StatusOr<std::map<std::string, int64_t>> BondedSet(const std::string& provider,
                                                           const std::string& consumer);
  // Signed MsgOptIn / MsgOptOut by the operator of `validator` (a
  // validator name of `provider`).
  absl::Status OptIn(const std::string& provider, const std::string& validator,
                     const std::string& consumer);
  absl::Status OptOut(const std::string& provider, const std::string& validator,
                      const std::string& consumer);
  // From the next block on, `chain`'s last commits show the consensus key
  // `pubkey` as not signing (`signing` false) or signing again.
  void SetSigning(const std::string& chain, const std::string& pubkey, bool signing);
  // The validator updates `chain`'s application returned at its last EndBlock.
  const std::vector<app::ConsensusUpdate>& LastUpdates(const std::string& chain) const;
  // The consensus key of a validator (name) of `chain`.
  absl::StatusOr<std::string> ConsensusKey(const std::string& chain, const std::string& validator);

  // ---- invariants ----
  absl::Status CheckInvariants();
  // Tokens burned by misbehaviour injected on `chain` so far.
  Amount slash_burned(const std::string& chain) const;

  // ================================================================
  // Test controls for the scenario runner (relayer controls, fault and
  // packet injection). Each only drives existing entry points.
  // ================================================================

  // Signed "staking/edit_validator" by the validator's operator: a new
  // commission rate; on a consumer the block's valset update lists the
  // validator in `updated`.
  absl::Status EditValidator(const std::string& chain, const std::string& validator,
                             Dec commission);
  // The same with any of commission and description fields (a
  // `description` object carries the fields given).
  absl::Status EditValidator(const std::string& chain, const std::string& validator,
                             const staking::ValidatorEdit& edit);
  // A channel handshake started by `from` toward `to` on the given ports
  // with the given ordering and version (the applications may refuse it).
  absl::StatusOr<ibc::ChannelPair> OpenChannel(const std::string& from, const std::string& to,
                                               const PortId& port, const PortId& counterparty_port,
                                               ibc::Order order, std::string_view version);
  // Sends `data` from `consumer`'s consumer port on the channel of its link
  // with `provider`, as if the consumer role had queued it (the payload is
  // not checked here; the provider judges it). Returns the sequence.
  absl::StatusOr<uint64_t> InjectConsumerPacket(const std::string& consumer,
                                                const std::string& provider,
                                                const std::string& data);

 private:
  struct Node;
  explicit Network(NetworkSpec spec);
  absl::Status Build();
  // The chain's genesis document, as the application layer takes it.
  app::GenesisDoc GenesisOf(const Node& n) const;
  ConnectionId ExpectedConnection(const std::string& chain, const std::string& other) const;
  absl::Status OpenChannels();
  absl::Status EndAll();
  absl::Status BeginAll(uint64_t seconds);
  Node& node(const std::string& id);
  const Node& node(const std::string& id) const;
  // Runs `fn` atomically on `chain` and books its supply change as slashing.
  absl::Status Misbehave(const std::string& chain, const std::function<absl::Status()>& fn);
  absl::StatusOr<uint64_t> EvidencePower(const std::string& chain, const ValidatorAddress& v,
                                         uint64_t infraction_height,
                                         std::optional<uint64_t> power);
  absl::Status CheckChain(Node& n);
  absl::Status CheckLink(const LinkSpec& link);
  absl::Status CheckCcvLink(const LinkSpec& link);
  absl::StatusOr<bool> LinkQuiet(const LinkSpec& link);

  NetworkSpec spec_;
  BlockHook block_hook_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  // (chain, user) -> address: deriving a key is an EC multiplication, and the
  // harness names accounts by user on every call.
  mutable std::map<std::pair<std::string, std::string>, AccountAddress> addresses_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ibc::Relayer>> relayers_;
  std::set<std::pair<std::string, std::string>> absent_;  // (chain, consensus address)
};

}  // namespace mesh::harness

#endif  // MESHSEC_TESTS_HARNESS_NETWORK_H_
