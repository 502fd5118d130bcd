#include "tests/harness/network.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/kv.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "mesh/app/native_slashing.h"
#include "mesh/app/node_module.h"
#include "mesh/consumer/ccv.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/outbox.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/packets/ccv.h"
#include "mesh/packets/packets.h"
#include "mesh/provider/canonical_vote.h"
#include "mesh/provider/consumer_evidence.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/governance.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/slash_throttle.h"
#include "mesh/provider/vault.h"
#include "node/staking_msgs.h"
#include "node/tx.h"
#include "cosmos/bank/v1beta1/tx.pb.h"
#include "cosmos/slashing/v1beta1/tx.pb.h"
#include "cosmos/staking/v1beta1/tx.pb.h"
#include "meshsec/v1/msgs.pb.h"
#include "staking/bank.h"

namespace mesh::harness {
namespace {

using consumer::Consumer;
using consumer::ProviderId;
using provider::ConsumerId;
using provider::ExternalStaking;
using staking::Bank;
using staking::Staking;
namespace meshpb = ::meshsec::v1;

constexpr char kRewardsFunder[] = "rewards-funder";
const Amount kRewardsFunds(1000000000000000ULL);

std::pair<std::string, std::string> PairKey(const std::string& a, const std::string& b) {
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

}  // namespace

struct Network::Node {
  ChainSpec spec;
  std::unique_ptr<app::Application> app;
  std::vector<LinkSpec> provides;  // links where this chain is the provider
  std::vector<LinkSpec> consumes;  // links where this chain is the consumer
  Amount genesis_supply;
  Amount slash_burned;
  std::vector<app::ConsensusUpdate> last_updates;  // of the last EndBlock
};

Network::Network(NetworkSpec spec) : spec_(std::move(spec)) {}
Network::~Network() {
  relayers_.clear();  // they reference the hosts and chains
}

absl::StatusOr<std::unique_ptr<Network>> Network::Create(NetworkSpec spec) {
  std::unique_ptr<Network> net(new Network(std::move(spec)));
  MESH_RETURN_IF_ERROR(net->Build());
  return net;
}

// ---------------------------------------------------------------- building

absl::Status Network::Build() {
  for (const ChainSpec& cs : spec_.chains) {
    auto n = std::make_unique<Node>();
    n->spec = cs;
    n->spec.staking.bond_denom = cs.denom;
    if (!nodes_.emplace(cs.id, std::move(n)).second) {
      return absl::InvalidArgumentError("duplicate chain id " + cs.id);
    }
  }
  for (const LinkSpec& l : spec_.links) {
    if (!nodes_.contains(l.provider) || !nodes_.contains(l.consumer) || l.provider == l.consumer) {
      return absl::InvalidArgumentError("bad link " + l.provider + " -> " + l.consumer);
    }
    nodes_[l.provider]->provides.push_back(l);
    nodes_[l.consumer]->consumes.push_back(l);
  }
  // Every chain is built by the application layer; its genesis names the
  // IBC connections of its links, which the relayers register first.
  for (auto& [id, n] : nodes_) {
    std::unique_ptr<DurableStore> store;
    if (n->spec.open_store) {
      MESH_ASSIGN_OR_RETURN(store, n->spec.open_store());
    } else if (n->spec.rocksdb_dir.empty()) {
      store = std::make_unique<MemStore>();
    } else {
      MESH_ASSIGN_OR_RETURN(store, RocksDbStore::Open(n->spec.rocksdb_dir));
    }
    MESH_ASSIGN_OR_RETURN(n->app, app::Application::Open(GenesisOf(*n), std::move(store),
                                                              /*state_cache_bytes=*/0,
                                                              n->spec.pipelined_commit));
  }
  for (auto a = nodes_.begin(); a != nodes_.end(); ++a) {
    for (auto b = std::next(a); b != nodes_.end(); ++b) {
      app::Application* na = a->second->app.get();
      app::Application* nb = b->second->app.get();
      relayers_[{a->first, b->first}] = std::make_unique<ibc::Relayer>(
          ibc::Endpoint{&na->host(), [na] { return na->QueryContext(); }},
          ibc::Endpoint{&nb->host(), [nb] { return nb->QueryContext(); }});
    }
  }
  for (auto& [id, n] : nodes_) {
    MESH_RETURN_IF_ERROR(n->app->InitChain());
    MESH_ASSIGN_OR_RETURN(n->genesis_supply, Bank::Supply(ctx(id), n->spec.denom));
  }
  MESH_RETURN_IF_ERROR(BeginAll(spec_.block_seconds));
  return OpenChannels();
}

// The connection ids are those the relayers will register: relayers are
// created in chain-id pair order, each registering one connection per side.
ConnectionId Network::ExpectedConnection(const std::string& chain, const std::string& other) const {
  int index = 0;
  for (auto a = nodes_.begin(); a != nodes_.end(); ++a) {
    for (auto b = std::next(a); b != nodes_.end(); ++b) {
      const bool mine = a->first == chain || b->first == chain;
      if (mine && (a->first == other || b->first == other)) {
        return ConnectionId(absl::StrCat("connection-", index));
      }
      if (mine) ++index;
    }
  }
  return ConnectionId("");
}

app::GenesisDoc Network::GenesisOf(const Node& n) const {
  const ChainSpec& cs = n.spec;
  app::GenesisDoc g;
  g.chain_id = cs.id;
  g.bech32_prefix = cs.prefix;
  g.genesis_time_ns = spec_.genesis_time_ns;
  g.denom = cs.denom;
  g.staking = cs.staking;
  g.liveness = cs.liveness;
  for (const auto& [user, funds] : cs.accounts) g.accounts.push_back({Address(cs.id, user), funds});
  g.accounts.push_back({Address(cs.id, kRewardsFunder), kRewardsFunds});
  for (const ValidatorSpec& v : cs.validators) {
    g.validators.push_back({Address(cs.id, "val/" + v.name), v.self_bond, v.commission, ""});
  }
  auto valopers = [&](const std::vector<std::string>& names) {
    std::vector<ValidatorAddress> out;
    for (const std::string& name : names) out.push_back(Valoper(cs.id, name));
    return out;
  };
  if (!n.provides.empty()) {
    app::ProviderRole r;
    r.local_staking = cs.local_staking;
    r.local_slash_dsign = cs.local_slash_dsign;
    r.local_slash_offline = cs.local_slash_offline;
    r.slash_meter_fraction = cs.slash_meter_fraction;
    r.slash_meter_period_s = cs.slash_meter_period_s;
    r.gov_voting_period_s = cs.gov_voting_period_s;
    r.gov_min_deposit = cs.gov_min_deposit;
    for (const LinkSpec& l : n.provides) {
      app::ConsumerLink link;
      link.consumer = l.consumer;
      link.connection = ExpectedConnection(cs.id, l.consumer);
      link.remote_denom = node(l.consumer).spec.denom;
      link.unbonding_period_s = l.unbonding_period_s;
      link.slash_dsign = l.slash_dsign;
      link.slash_offline = l.slash_offline;
      link.require_verified_evidence = l.require_verified_evidence;
      link.mode = l.mode;
      link.blocks_per_epoch = l.blocks_per_epoch;
      link.shaping.top_n = l.top_n.value_or(l.mode == provider::LinkMode::kOptIn ? 0 : 100);
      link.shaping.validators_power_cap = l.validators_power_cap;
      link.shaping.validator_set_cap = l.validator_set_cap;
      link.shaping.allowlist = valopers(l.allowlist);
      link.shaping.denylist = valopers(l.denylist);
      link.shaping.prioritylist = valopers(l.prioritylist);
      link.shaping.allow_inactive_vals = l.allow_inactive_vals;
      link.shaping.min_stake = l.min_stake;
      link.opted_in = valopers(l.opted_in);
      link.downtime_slash_fraction = l.downtime_slash_fraction;
      link.downtime_jail_s = l.downtime_jail_s;
      link.unbonding_waits_for_maturity = l.unbonding_waits_for_maturity;
      r.consumers.push_back(std::move(link));
    }
    g.provider = std::move(r);
  }
  if (!n.consumes.empty()) {
    app::ConsumerRole r;
    r.authority = Address(cs.id, "gov");
    r.total_max_cap = cs.total_max_cap;
    r.epoch_length = cs.epoch_length;
    for (const LinkSpec& l : n.consumes) {
      app::ProviderLink link{l.provider, ExpectedConnection(cs.id, l.provider),
                             node(l.provider).spec.denom, l.price, l.discount,
                             Address(cs.id, "oracle"), l.price_ttl_s, l.max_retrieve, l.max_cap};
      link.mode = l.mode;
      link.unbonding_waits_for_maturity =
          l.consumer_unbonding_waits_for_maturity.value_or(l.unbonding_waits_for_maturity);
      r.providers.push_back(std::move(link));
    }
    g.consumer = std::move(r);
  }
  return g;
}

absl::Status Network::OpenChannels() {
  for (const LinkSpec& l : spec_.links) {
    ibc::Relayer& r = relayer(l.consumer, l.provider);
    const bool ccv = l.mode != provider::LinkMode::kMesh;
    absl::StatusOr<ibc::ChannelPair> ch =
        ccv ? r.OpenChannel(SideOf(l.consumer, l.provider),
                            PortId(std::string(packets::ccv::kConsumerPort)),
                            PortId(std::string(packets::ccv::kProviderPort)), ibc::Order::kOrdered,
                            packets::ccv::kVersion)
            : r.OpenChannel(SideOf(l.consumer, l.provider), PortId(app::kConsumerPort),
                            PortId(app::kProviderPort), ibc::Order::kUnordered, "");
    if (!ch.ok()) {
      return absl::Status(ch.status().code(), absl::StrCat("opening ", l.provider, " -> ",
                                                           l.consumer, ": ", ch.status().message()));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- blocks

absl::Status Network::EndAll() {
  for (auto& [id, n] : nodes_) {
    if (block_hook_) block_hook_(id, true);
    absl::StatusOr<std::vector<app::ConsensusUpdate>> updates = n->app->EndBlock();
    if (!updates.ok()) {
      const absl::Status& s = updates.status();
      return absl::Status(s.code(), absl::StrCat(id, " EndBlock: ", s.message()));
    }
    n->last_updates = *std::move(updates);
    MESH_RETURN_IF_ERROR(n->app->Commit().status());
    if (block_hook_) block_hook_(id, false);
  }
  return absl::OkStatus();
}

absl::Status Network::BeginAll(uint64_t seconds) {
  for (auto& [id, n] : nodes_) {
    if (block_hook_) block_hook_(id, true);
    // Every bonded validator signed the previous block: the liveness window
    // sees full participation unless a test injects downtime.
    app::BlockRequest req;
    req.time_ns = n->app->chain().time_ns() + seconds * kNanosPerSecond;
    MESH_ASSIGN_OR_RETURN(req.decided_last_commit, n->app->AllSignedVotes());
    for (app::VoteInfo& v : req.decided_last_commit) {
      if (absent_.contains({id, v.validator_address})) v.signed_last_block = false;
    }
    MESH_RETURN_IF_ERROR(n->app->BeginBlock(req));
    if (block_hook_) block_hook_(id, false);
  }
  return absl::OkStatus();
}

absl::Status Network::AdvanceTime(uint64_t seconds) {
  MESH_RETURN_IF_ERROR(EndAll());
  MESH_RETURN_IF_ERROR(BeginAll(seconds));
  if (spec_.auto_relay) MESH_RETURN_IF_ERROR(RelayAll().status());
  if (spec_.check_invariants) MESH_RETURN_IF_ERROR(CheckInvariants());
  return absl::OkStatus();
}

absl::Status Network::AdvanceBlock() { return AdvanceTime(spec_.block_seconds); }

absl::Status Network::AdvanceBlocks(int n) {
  for (int i = 0; i < n; ++i) MESH_RETURN_IF_ERROR(AdvanceBlock());
  return absl::OkStatus();
}

// ---------------------------------------------------------------- names

Network::Node& Network::node(const std::string& id) {
  auto it = nodes_.find(id);
  MESH_CHECK(it != nodes_.end());
  return *it->second;
}

const Network::Node& Network::node(const std::string& id) const {
  auto it = nodes_.find(id);
  MESH_CHECK(it != nodes_.end());
  return *it->second;
}

std::vector<std::string> Network::chain_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, n] : nodes_) ids.push_back(id);
  return ids;
}

node::Chain& Network::chain(const std::string& id) { return node(id).app->chain(); }

app::Application& Network::app(const std::string& id) { return *node(id).app; }
ibc::Host& Network::host(const std::string& id) { return node(id).app->host(); }
Context Network::ctx(const std::string& id) { return node(id).app->QueryContext(); }
const ChainSpec& Network::chain_spec(const std::string& id) const { return node(id).spec; }

PrivateKey Network::Key(const std::string& chain, const std::string& user) const {
  return PrivateKey::FromSeed(chain + "/" + user);
}

AccountAddress Network::Address(const std::string& chain, const std::string& user) const {
  auto key = std::make_pair(chain, user);
  auto it = addresses_.find(key);
  if (it == addresses_.end()) {
    it = addresses_
             .emplace(key, AccountAddress(AccountAddressOf(node(chain).spec.prefix,
                                                           Key(chain, user).PublicKey())))
             .first;
  }
  return it->second;
}

ValidatorAddress Network::Valoper(const std::string& chain, const std::string& validator) const {
  absl::StatusOr<ValidatorAddress> v = node::ValoperOfAccount(Address(chain, "val/" + validator));
  MESH_CHECK_OK(v.status());
  return *v;
}

Amount Network::slash_burned(const std::string& chain) const { return node(chain).slash_burned; }

// ---------------------------------------------------------------- user actions

absl::Status Network::Tx(const std::string& chain, const std::string& user,
                         const node::Msg& msg) {
  node::Chain& c = node(chain).app->chain();
  const PrivateKey key = Key(chain, user);
  MESH_ASSIGN_OR_RETURN(staking::BaseAccount acc, c.GetAccount(Address(chain, user)));
  node::TxSpec spec;
  spec.chain_id = chain;
  spec.account_number = acc.account_number;
  spec.sequence = acc.sequence;
  spec.msgs.push_back(msg);
  absl::Status s = node::StatusOfResult(c.DeliverTx(node::SignTx(key, spec)));
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(msg.type_url, ": ", s.message()));
}

absl::Status Network::TxJson(const std::string& chain, const std::string& user,
                             std::string_view json) {
  MESH_ASSIGN_OR_RETURN(node::Msg msg, node::MsgFromJson(json, Address(chain, user).value()));
  return Tx(chain, user, msg);
}

absl::Status Network::Bond(const std::string& chain, const std::string& user, Amount amount) {
  meshpb::MsgVaultBond m;
  m.set_sender(Address(chain, user).value());
  m.set_amount(amount.ToString());
  return Tx(chain, user, node::PackMsg(m));
}

absl::Status Network::Unbond(const std::string& chain, const std::string& user, Amount amount) {
  meshpb::MsgVaultUnbond m;
  m.set_sender(Address(chain, user).value());
  m.set_amount(amount.ToString());
  return Tx(chain, user, node::PackMsg(m));
}

absl::Status Network::StakeLocal(const std::string& chain, const std::string& user,
                                 const std::string& validator, Amount amount) {
  meshpb::MsgVaultStakeLocal m;
  m.set_sender(Address(chain, user).value());
  m.set_validator(Valoper(chain, validator).value());
  m.set_amount(amount.ToString());
  return Tx(chain, user, node::PackMsg(m));
}

absl::Status Network::StakeRemote(const std::string& provider, const std::string& user,
                                  const std::string& consumer, const std::string& validator,
                                  Amount amount) {
  meshpb::MsgVaultStakeRemote m;
  m.set_sender(Address(provider, user).value());
  m.set_consumer(consumer);
  m.set_validator(Valoper(consumer, validator).value());
  m.set_amount(amount.ToString());
  return Tx(provider, user, node::PackMsg(m));
}

absl::Status Network::UnstakeRemote(const std::string& provider, const std::string& user,
                                    const std::string& consumer, const std::string& validator,
                                    Amount amount) {
  meshpb::MsgExternalUnstake m;
  m.set_sender(Address(provider, user).value());
  m.set_consumer(consumer);
  m.set_validator(Valoper(consumer, validator).value());
  m.set_amount(amount.ToString());
  return Tx(provider, user, node::PackMsg(m));
}

absl::Status Network::WithdrawUnbonded(const std::string& provider, const std::string& user,
                                       const std::string& consumer) {
  meshpb::MsgExternalWithdrawUnbonded m;
  m.set_sender(Address(provider, user).value());
  m.set_consumer(consumer);
  return Tx(provider, user, node::PackMsg(m));
}

absl::Status Network::WithdrawRewards(const std::string& provider, const std::string& user,
                                      const std::string& consumer, const std::string& validator) {
  meshpb::MsgExternalWithdrawRewards m;
  m.set_sender(Address(provider, user).value());
  m.set_consumer(consumer);
  m.set_validator(Valoper(consumer, validator).value());
  m.set_remote_recipient(Address(consumer, user).value());
  return Tx(provider, user, node::PackMsg(m));
}

absl::Status Network::SetPrice(const std::string& consumer, const std::string& provider,
                               Dec price) {
  meshpb::MsgConsumerSetPrice m;
  m.set_authority(Address(consumer, "oracle").value());
  m.set_provider(provider);
  m.set_price(price.ToString());
  return Tx(consumer, "oracle", node::PackMsg(m));
}

absl::Status Network::SetMaxCap(const std::string& consumer, const std::string& provider,
                                Amount cap) {
  meshpb::MsgConsumerSetMaxCap m;
  m.set_authority(Address(consumer, "gov").value());
  m.set_provider(provider);
  m.set_cap(cap.ToString());
  return Tx(consumer, "gov", node::PackMsg(m));
}

absl::Status Network::AllocateRewards(const std::string& chain, Amount amount) {
  const AccountAddress funder = Address(chain, kRewardsFunder);
  const Denom denom = node(chain).spec.denom;
  return node(chain).app->chain().RunAtomic([&](const Context& c) {
    return Staking::AllocateRewards(c, funder, denom, amount);
  });
}

// ---------------------------------------------------------------- validator set

absl::Status Network::CreateValidator(const std::string& chain, const std::string& name,
                                      Amount self_bond, Dec commission,
                                      const staking::Description& description) {
  Node& n = node(chain);
  for (const ValidatorSpec& v : n.spec.validators) {
    if (v.name == name) {
      return absl::InvalidArgumentError(
          absl::StrCat("validator ", name, " already exists on ", chain));
    }
  }
  const std::string op_user = "val/" + name;
  MESH_ASSIGN_OR_RETURN(Amount held, UserBalance(chain, op_user));
  if (held < self_bond) {
    MESH_ASSIGN_OR_RETURN(Amount top_up, self_bond.Sub(held));
    MESH_RETURN_IF_ERROR(Tx(chain, kRewardsFunder,
                            node::BankSendMsg(Address(chain, kRewardsFunder), Address(chain, op_user),
                                        n.spec.denom, top_up)));
  }
  cosmos::staking::v1beta1::MsgCreateValidator m;
  m.mutable_description()->set_moniker(description.moniker);
  m.mutable_description()->set_identity(description.identity);
  m.mutable_description()->set_website(description.website);
  m.mutable_description()->set_details(description.details);
  m.mutable_commission()->set_rate(node::SdkDecString(commission));
  m.mutable_commission()->set_max_rate(node::SdkDecString(Dec::One()));
  m.mutable_commission()->set_max_change_rate(node::SdkDecString(Dec::One()));
  m.set_min_self_delegation("1");
  m.set_delegator_address(Address(chain, op_user).value());
  MESH_ASSIGN_OR_RETURN(ValidatorAddress valoper, node::ValoperOfAccount(Address(chain, op_user)));
  m.set_validator_address(valoper.value());
  m.mutable_value()->set_denom(n.spec.denom.value());
  m.mutable_value()->set_amount(self_bond.ToString());
  MESH_RETURN_IF_ERROR(Tx(chain, op_user, node::PackMsg(m)));
  n.spec.validators.push_back(ValidatorSpec{name, self_bond, commission});
  return absl::OkStatus();
}

absl::Status Network::SetMaxValidators(const std::string& chain, uint32_t max_validators) {
  return node(chain).app->chain().RunAtomic([&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(c));
    params.max_validators = max_validators;
    return Staking::SetParams(c, params);
  });
}

// ---------------------------------------------------------------- relayer

ibc::Relayer& Network::relayer(const std::string& a, const std::string& b) {
  auto it = relayers_.find(PairKey(a, b));
  MESH_CHECK(it != relayers_.end());
  return *it->second;
}

ibc::Side Network::SideOf(const std::string& chain, const std::string& other) const {
  return chain < other ? ibc::Side::kA : ibc::Side::kB;
}

absl::StatusOr<ibc::RelayStats> Network::RelayAll() {
  ibc::RelayStats total;
  for (int round = 0; round < 10; ++round) {
    int progress = 0;
    for (auto& [pair, r] : relayers_) {
      absl::StatusOr<ibc::RelayStats> s = r->RelayAll();
      if (!s.ok()) {
        return absl::Status(s.status().code(), absl::StrCat("relaying ", pair.first, "<->",
                                                            pair.second, ": ", s.status().message()));
      }
      progress += s->received + s->acknowledged + s->timed_out;
      // Closes an application made itself (a stopped CCV consumer's channel).
      MESH_ASSIGN_OR_RETURN(int closed, r->RelayCloses());
      progress += closed;
      total.received += s->received;
      total.acknowledged += s->acknowledged;
      total.timed_out += s->timed_out;
    }
    if (progress == 0) break;
  }
  return total;
}

absl::StatusOr<std::vector<ibc::InFlight>> Network::Pending(const std::string& from,
                                                            const std::string& to) {
  MESH_ASSIGN_OR_RETURN(std::vector<ibc::InFlight> all, relayer(from, to).PendingPackets());
  std::vector<ibc::InFlight> out;
  for (auto& p : all) {
    if (p.from == SideOf(from, to)) out.push_back(std::move(p));
  }
  return out;
}

absl::StatusOr<ChannelId> Network::ProviderChannel(const std::string& provider,
                                                   const std::string& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelId> ch,
                        app::ProviderApp::ChannelOf(ctx(provider), ConsumerId(consumer)));
  if (!ch.has_value()) return absl::NotFoundError("no channel " + provider + " -> " + consumer);
  return *ch;
}

absl::StatusOr<ChannelId> Network::ConsumerChannel(const std::string& consumer,
                                                   const std::string& provider) {
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelId> ch,
                        app::ConsumerApp::ChannelOf(ctx(consumer), ProviderId(provider)));
  if (!ch.has_value()) return absl::NotFoundError("no channel " + consumer + " <- " + provider);
  return *ch;
}

// ---------------------------------------------------------------- misbehaviour

absl::Status Network::Misbehave(const std::string& chain, const std::function<absl::Status()>& fn) {
  Node& n = node(chain);
  MESH_ASSIGN_OR_RETURN(Amount before, Bank::Supply(ctx(chain), n.spec.denom));
  MESH_RETURN_IF_ERROR(fn());
  MESH_ASSIGN_OR_RETURN(Amount after, Bank::Supply(ctx(chain), n.spec.denom));
  MESH_ASSIGN_OR_RETURN(Amount burned, before.Sub(after));
  MESH_ASSIGN_OR_RETURN(n.slash_burned, n.slash_burned.Add(burned));
  return absl::OkStatus();
}

absl::Status Network::Jail(const std::string& chain, const std::string& validator) {
  const ValidatorAddress v = Valoper(chain, validator);
  return Misbehave(chain, [&] {
    return node(chain).app->chain().RunAtomic([&](const Context& c) { return Staking::Jail(c, v); });
  });
}

absl::Status Network::Unjail(const std::string& chain, const std::string& validator) {
  cosmos::slashing::v1beta1::MsgUnjail m;
  m.set_validator_addr(Valoper(chain, validator).value());
  return Tx(chain, "val/" + validator, node::PackMsg(m));
}

absl::Status Network::Tombstone(const std::string& chain, const std::string& validator) {
  const ValidatorAddress v = Valoper(chain, validator);
  return Misbehave(chain, [&] {
    return node(chain).app->chain().RunAtomic(
        [&](const Context& c) { return Staking::Tombstone(c, v); });
  });
}

// Evidence heights are int64 in staking: a u64 beyond that range is refused,
// never wrapped to a negative height.
static absl::StatusOr<int64_t> EvidenceHeight(uint64_t h) {
  if (h > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError("infraction height " + std::to_string(h) +
                                      " exceeds the signed 64-bit range");
  }
  return static_cast<int64_t>(h);
}

// The power evidence reports: the given one, or staking's power history
// at the infraction height.
absl::StatusOr<uint64_t> Network::EvidencePower(const std::string& chain, const ValidatorAddress& v,
                                                uint64_t infraction_height,
                                                std::optional<uint64_t> power) {
  if (power.has_value()) return *power;
  return Staking::PowerAtHeight(ctx(chain), v, infraction_height);
}

// Misbehaviour enters through the application's evidence and liveness
// paths, exactly as block inputs from consensus would.
absl::Status Network::DoubleSign(const std::string& chain, const std::string& validator,
                                 uint64_t infraction_height, std::optional<uint64_t> power) {
  const ValidatorAddress v = Valoper(chain, validator);
  MESH_ASSIGN_OR_RETURN(int64_t height, EvidenceHeight(infraction_height));
  MESH_ASSIGN_OR_RETURN(uint64_t at, EvidencePower(chain, v, infraction_height, power));
  return Misbehave(chain, [&] { return node(chain).app->HandleDoubleSign(v, height, at); });
}

absl::Status Network::Downtime(const std::string& chain, const std::string& validator,
                               uint64_t infraction_height, std::optional<uint64_t> power) {
  const ValidatorAddress v = Valoper(chain, validator);
  MESH_ASSIGN_OR_RETURN(int64_t height, EvidenceHeight(infraction_height));
  MESH_ASSIGN_OR_RETURN(uint64_t at, EvidencePower(chain, v, infraction_height, power));
  return Misbehave(chain, [&] { return node(chain).app->HandleDowntime(v, height, at); });
}

// ---------------------------------------------------------------- queries

absl::StatusOr<Amount> Network::Balance(const std::string& chain, const AccountAddress& who) {
  return Bank::Balance(ctx(chain), who, node(chain).spec.denom);
}

absl::StatusOr<Amount> Network::UserBalance(const std::string& chain, const std::string& user) {
  return Balance(chain, Address(chain, user));
}

absl::StatusOr<provider::Stake> Network::ExternalStake(const std::string& provider,
                                                       const std::string& user,
                                                       const std::string& consumer,
                                                       const std::string& validator) {
  return ExternalStaking::GetStake(ctx(provider), ConsumerId(consumer), Address(provider, user),
                                   Valoper(consumer, validator));
}

absl::StatusOr<Amount> Network::BondRequest(const std::string& consumer,
                                            const std::string& provider,
                                            const std::string& validator) {
  return consumer::VirtualStaking::BondRequest(ctx(consumer), ProviderId(provider),
                                               Valoper(consumer, validator));
}

absl::StatusOr<Amount> Network::VirtualDelegation(const std::string& consumer,
                                                  const std::string& provider,
                                                  const std::string& validator) {
  return consumer::VirtualStaking::ActualDelegation(ctx(consumer), ProviderId(provider),
                                                    Valoper(consumer, validator));
}

absl::StatusOr<staking::Validator> Network::Validator(const std::string& chain,
                                                      const std::string& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        Staking::GetValidator(ctx(chain), Valoper(chain, validator)));
  if (!v.has_value()) return absl::NotFoundError("no validator " + validator + " on " + chain);
  return *v;
}

// ---------------------------------------------------------------- invariants

absl::Status Network::CheckInvariants() {
  for (auto& [id, n] : nodes_) MESH_RETURN_IF_ERROR(CheckChain(*n));
  for (const LinkSpec& l : spec_.links) MESH_RETURN_IF_ERROR(CheckLink(l));
  return absl::OkStatus();
}

absl::Status Network::CheckChain(Node& n) {
  const Context c = n.app->chain().QueryContext();
  const std::string& id = n.spec.id;
  MESH_ASSIGN_OR_RETURN(Amount supply, Bank::Supply(c, n.spec.denom));
  MESH_ASSIGN_OR_RETURN(Amount sum, Bank::SumBalances(c, n.spec.denom));
  if (supply != sum) {
    return absl::InternalError(absl::StrCat(id, ": supply ", supply.ToString(),
                                            " != sum of balances ", sum.ToString()));
  }
  Amount expected = n.genesis_supply;
  for (const LinkSpec& l : n.consumes) {
    if (l.mode != provider::LinkMode::kMesh) continue;
    MESH_ASSIGN_OR_RETURN(consumer::ProviderState st, Consumer::GetState(c, ProviderId(l.provider)));
    MESH_ASSIGN_OR_RETURN(expected, expected.Add(st.minted));
    MESH_ASSIGN_OR_RETURN(expected, expected.Sub(st.burned));
  }
  MESH_ASSIGN_OR_RETURN(expected, expected.Sub(n.slash_burned));
  if (!n.provides.empty()) {
    MESH_ASSIGN_OR_RETURN(Amount ccv_burned, provider::CcvProvider::Burned(c));
    MESH_ASSIGN_OR_RETURN(expected, expected.Sub(ccv_burned));
    MESH_ASSIGN_OR_RETURN(Amount gov_burned, provider::Governance::NativeBurned(c));
    MESH_ASSIGN_OR_RETURN(expected, expected.Sub(gov_burned));
  }
  if (supply != expected) {
    return absl::InternalError(absl::StrCat(id, ": supply ", supply.ToString(),
                                            " != genesis + minted - burned - slashed = ",
                                            expected.ToString()));
  }
  MESH_RETURN_IF_ERROR(Staking::CheckInvariants(c));
  if (!n.provides.empty()) MESH_RETURN_IF_ERROR(provider::Vault::CheckInvariants(c));
  return absl::OkStatus();
}

absl::StatusOr<bool> Network::LinkQuiet(const LinkSpec& l) {
  ibc::Relayer& r = relayer(l.provider, l.consumer);
  MESH_ASSIGN_OR_RETURN(std::vector<ibc::InFlight> packets, r.PendingPackets());
  MESH_ASSIGN_OR_RETURN(std::vector<ibc::InFlight> acks, r.PendingAcks());
  if (!packets.empty() || !acks.empty()) return false;
  if (l.mode != provider::LinkMode::kMesh) {
    MESH_ASSIGN_OR_RETURN(auto pending,
                          provider::CcvProvider::Pending(ctx(l.provider), ConsumerId(l.consumer)));
    return pending.empty();
  }
  MESH_ASSIGN_OR_RETURN(auto out_p, ExternalStaking::Outbox(ctx(l.provider), ConsumerId(l.consumer)));
  MESH_ASSIGN_OR_RETURN(auto out_c, consumer::Outbox::Peek(ctx(l.consumer), ProviderId(l.provider)));
  return out_p.empty() && out_c.empty();
}

absl::Status Network::CheckLink(const LinkSpec& l) {
  if (l.mode != provider::LinkMode::kMesh) return CheckCcvLink(l);
  MESH_ASSIGN_OR_RETURN(bool quiet, LinkQuiet(l));
  if (!quiet) return absl::OkStatus();
  const Context pc = ctx(l.provider);
  const Context cc = ctx(l.consumer);
  // A slash the consumer applied may still wait on the provider: in the
  // slash meter's queue, or held for verified evidence. Such a validator is
  // not compared until it is handled (the provider is above the consumer
  // meanwhile, never below).
  std::set<std::string> waiting;
  MESH_ASSIGN_OR_RETURN(std::vector<provider::QueuedSlash> queued,
                        provider::SlashThrottle::Queue(pc));
  for (const provider::QueuedSlash& q : queued) {
    if (q.consumer.value() == l.consumer) waiting.insert(q.slash.validator.value());
  }
  for (const ValidatorSpec& vs : node(l.consumer).spec.validators) {
    const ValidatorAddress v = Valoper(l.consumer, vs.name);
    MESH_ASSIGN_OR_RETURN(std::vector<provider::RemoteSlash> held,
                          provider::ConsumerEvidence::HeldReports(pc, ConsumerId(l.consumer), v));
    if (!held.empty() || waiting.count(v.value())) continue;
    Amount provider_sum, consumer_sum;
    std::string detail;  // per-user figures, shown on a disagreement
    for (const auto& [user, funds] : node(l.provider).spec.accounts) {
      const AccountAddress a = Address(l.provider, user);
      MESH_ASSIGN_OR_RETURN(provider::Stake s,
                            ExternalStaking::GetStake(pc, ConsumerId(l.consumer), a, v));
      if (s.stake.low() != s.stake.high()) {
        return absl::InternalError(absl::StrCat(l.provider, "->", l.consumer, ": stake of ", user,
                                                " on ", vs.name, " in flight with no packet"));
      }
      MESH_ASSIGN_OR_RETURN(provider_sum, provider_sum.Add(s.stake.high()));
      MESH_ASSIGN_OR_RETURN(std::optional<consumer::DelegationRecord> rec,
                            consumer::VirtualStaking::GetRecord(cc, ProviderId(l.provider), a, v));
      if (rec.has_value()) {
        MESH_ASSIGN_OR_RETURN(consumer_sum, consumer_sum.Add(rec->remote));
      }
      const Amount theirs = rec.has_value() ? rec->remote : Amount(0);
      if (theirs != s.stake.high()) {
        absl::StrAppend(&detail, " ", user, " ", s.stake.high().ToString(), "/",
                        theirs.ToString(), ";");
      }
    }
    const Amount excess = provider_sum.SaturatingSub(consumer_sum);
    const bool too_far = spec_.link_agreement_tolerance.has_value() &&
                         excess > *spec_.link_agreement_tolerance;
    if (consumer_sum > provider_sum || too_far) {
      return absl::InternalError(absl::StrCat(
          l.provider, "->", l.consumer, " disagree on ", vs.name, ": provider ",
          provider_sum.ToString(), ", consumer ", consumer_sum.ToString(),
          " (users differing, provider/consumer:", detail, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Network::CheckCcvLink(const LinkSpec& l) {
  const Context pc = ctx(l.provider);
  const ConsumerId c(l.consumer);
  MESH_ASSIGN_OR_RETURN(std::vector<provider::ConsumerValidator> sent,
                        provider::CcvProvider::ConsumerSet(pc, c));
  // The link's parameters as the provider holds them now (governance may
  // have changed them since genesis; a removed consumer has none).
  MESH_ASSIGN_OR_RETURN(std::optional<provider::CcvConfig> cfg,
                        provider::CcvProvider::Config(pc, c));
  if (!cfg.has_value()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(provider::CcvConsumerState pst, provider::CcvProvider::State(pc, c));
  uint64_t total = 0;
  for (const provider::ConsumerValidator& v : sent) total += v.power;
  for (const provider::ConsumerValidator& v : sent) {
    // Backed: a provider validator with stake behind every consumer validator.
    MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val,
                          Staking::GetValidator(pc, v.validator));
    if (!val.has_value() || val->tokens.IsZero()) {
      return absl::InternalError(absl::StrCat(l.provider, "->", l.consumer, ": consumer validator ",
                                              v.validator.value(), " has no stake on the provider"));
    }
    // The power cap holds whenever it is feasible (n * cap >= 100).
    const uint32_t cap = cfg->shaping.validators_power_cap;
    if (cap > 0 && cap < 100 && sent.size() * cap >= 100 &&
        static_cast<unsigned __int128>(v.power) * 100 > static_cast<unsigned __int128>(total) * cap) {
      return absl::InternalError(absl::StrCat(l.provider, "->", l.consumer, ": ",
                                              v.validator.value(), " holds ", v.power, " of ", total,
                                              " over the ", cap, "% cap"));
    }
  }
  if (pst.stopped) return absl::OkStatus();  // no more VSCs: the consumer keeps its last set
  MESH_ASSIGN_OR_RETURN(bool quiet, LinkQuiet(l));
  MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::State> st,
                        consumer::ccv::CcvConsumer::Get(ctx(l.consumer)));
  if (!quiet || !st.has_value() || !st->applied) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(bool waiting, consumer::ccv::CcvConsumer::HasPendingUpdates(ctx(l.consumer)));
  if (waiting) return absl::OkStatus();  // received this block, applied at its end
  // No VSC lost: what the consumer applied is what the provider sent.
  using Powers = std::map<std::string, int64_t>;
  MESH_ASSIGN_OR_RETURN(Powers applied, ConsensusSet(l.consumer));
  std::map<std::string, int64_t> expected;
  for (const provider::ConsumerValidator& v : sent) {
    expected[v.consumer_key] = static_cast<int64_t>(v.power);
  }
  if (applied != expected) {
    return absl::InternalError(absl::StrCat(l.provider, "->", l.consumer, ": consumer set (",
                                            applied.size(), " validators) != the provider's (",
                                            expected.size(), ")"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- replicated / opt-in

absl::StatusOr<std::map<std::string, int64_t>> Network::ConsensusSet(const std::string& chain) {
  MESH_ASSIGN_OR_RETURN(std::vector<app::ConsensusUpdate> set,
                        node(chain).app->ConsensusValidators());
  std::map<std::string, int64_t> out;
  for (const app::ConsensusUpdate& u : set) out[u.pub_key] = u.power;
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> Network::BondedSet(const std::string& provider_chain,
                                                                  const std::string& consumer) {
  const Context c = ctx(provider_chain);
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(c));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> bonded, Staking::BondedValidators(c));
  std::map<std::string, int64_t> out;
  for (const staking::Validator& v : bonded) {
    if (v.jailed) continue;
    MESH_ASSIGN_OR_RETURN(std::string key, provider::ConsumerKeyOf(c, ConsumerId(consumer), v));
    out[key] = static_cast<int64_t>(v.ConsensusPower(params.power_reduction));
  }
  return out;
}

absl::Status Network::OptIn(const std::string& provider_chain, const std::string& validator,
                            const std::string& consumer) {
  ::meshsec::v1::MsgOptIn msg;
  msg.set_sender(Address(provider_chain, "val/" + validator).value());
  msg.set_consumer(consumer);
  return Tx(provider_chain, "val/" + validator, node::PackMsg(msg));
}

absl::Status Network::OptOut(const std::string& provider_chain, const std::string& validator,
                             const std::string& consumer) {
  ::meshsec::v1::MsgOptOut msg;
  msg.set_sender(Address(provider_chain, "val/" + validator).value());
  msg.set_consumer(consumer);
  return Tx(provider_chain, "val/" + validator, node::PackMsg(msg));
}

void Network::SetSigning(const std::string& chain, const std::string& pubkey, bool signing) {
  const auto key = std::make_pair(chain, app::Application::ConsensusAddress(pubkey));
  if (signing) {
    absent_.erase(key);
  } else {
    absent_.insert(key);
  }
}

const std::vector<app::ConsensusUpdate>& Network::LastUpdates(const std::string& chain) const {
  return node(chain).last_updates;
}

absl::Status Network::SubmitConsumerDoubleVote(const std::string& provider,
                                               const std::string& consumer,
                                               const std::string& validator,
                                               const std::string& user, uint64_t height,
                                               const std::string& signer) {
  const Context c = ctx(consumer);
  const ValidatorAddress val = Valoper(consumer, validator);
  const Ed25519PrivateKey key =
      Ed25519PrivateKey::FromSeed("consensus/" + Valoper(consumer, signer).value());
  ::meshsec::v1::MsgSubmitConsumerDoubleVote msg;
  msg.set_sender(Address(provider, user).value());
  msg.set_consumer(consumer);
  for (char b : {'\x01', '\x02'}) {
    provider::Vote v;
    v.type = provider::kVotePrecommit;
    v.height = static_cast<int64_t>(height);
    v.block_id.hash = std::string(32, b);
    v.block_id.part_set_header = provider::PartSetHeader{1, std::string(32, b)};
    v.timestamp_seconds = static_cast<int64_t>(c.time_seconds());
    v.validator_address = provider::ConsensusAddress(staking::DefaultConsensusPubkey(val));
    v.signature = key.Sign(provider::VoteSignBytes(consumer, v));
    ::tendermint::types::Vote* out = b == '\x01' ? msg.mutable_vote_a() : msg.mutable_vote_b();
    out->set_type(static_cast<::tendermint::types::SignedMsgType>(v.type));
    out->set_height(v.height);
    out->set_round(v.round);
    out->mutable_block_id()->set_hash(v.block_id.hash);
    out->mutable_block_id()->mutable_part_set_header()->set_total(v.block_id.part_set_header.total);
    out->mutable_block_id()->mutable_part_set_header()->set_hash(v.block_id.part_set_header.hash);
    out->mutable_timestamp()->set_seconds(v.timestamp_seconds);
    out->set_validator_address(v.validator_address);
    out->set_signature(v.signature);
  }
  return Tx(provider, user, node::PackMsg(msg));
}

absl::StatusOr<std::string> Network::ConsensusKey(const std::string& chain,
                                                  const std::string& validator) {
  return node(chain).app->ConsensusPubkey(Valoper(chain, validator));
}

// ================================================================
// Test controls for the scenario runner (declared last in network.h).
// ================================================================

absl::Status Network::EditValidator(const std::string& chain, const std::string& validator,
                                    Dec commission) {
  staking::ValidatorEdit edit;
  edit.commission_rate = commission;
  return EditValidator(chain, validator, edit);
}

absl::Status Network::EditValidator(const std::string& chain, const std::string& validator,
                                    const staking::ValidatorEdit& edit) {
  cosmos::staking::v1beta1::MsgEditValidator m;
  m.set_validator_address(Valoper(chain, validator).value());
  if (edit.commission_rate.has_value()) {
    m.set_commission_rate(node::SdkDecString(*edit.commission_rate));
  }
  cosmos::staking::v1beta1::Description* d = m.mutable_description();
  auto text = [](const std::optional<std::string>& v) {
    return v.has_value() ? *v : std::string("[do-not-modify]");
  };
  d->set_moniker(text(edit.moniker));
  d->set_identity(text(edit.identity));
  d->set_website(text(edit.website));
  d->set_details(text(edit.details));
  return Tx(chain, "val/" + validator, node::PackMsg(m));
}

absl::StatusOr<ibc::ChannelPair> Network::OpenChannel(const std::string& from,
                                                      const std::string& to, const PortId& port,
                                                      const PortId& counterparty_port,
                                                      ibc::Order order, std::string_view version) {
  return relayer(from, to).OpenChannel(SideOf(from, to), port, counterparty_port, order, version);
}

absl::StatusOr<uint64_t> Network::InjectConsumerPacket(const std::string& consumer,
                                                       const std::string& provider,
                                                       const std::string& data) {
  MESH_ASSIGN_OR_RETURN(ChannelId ch, ConsumerChannel(consumer, provider));
  const Context c = ctx(consumer);
  const ibc::Timeout timeout = ibc::Timeout::AtTimeNs(
      c.time_ns() + packets::kValsetUpdateTimeoutSeconds * kNanosPerSecond);
  return host(consumer).SendPacket(c, PortId(app::kConsumerPort), ch, timeout, data);
}

}  // namespace mesh::harness
