#include "app/devnet.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "app/mesh_query_service.h"
#include "core/crypto.h"
#include "core/status.h"
#include "mesh/app/consumer_app.h"
#include "mesh/app/provider_app.h"
#include "mesh/consumer/ccv.h"
#include "mesh/packets/ccv.h"
#include "node/grpc_server.h"

namespace mesh::app {

Devnet::~Devnet() {
  StopServing();
  relayers_.clear();  // they reference the hosts
}

absl::StatusOr<std::unique_ptr<Devnet>> Devnet::Open(
    std::vector<GenesisDoc> genesis, std::vector<std::unique_ptr<DurableStore>> stores,
    bool pipelined_commit) {
  if (genesis.size() != stores.size() || genesis.empty()) {
    return absl::InvalidArgumentError("devnet: one store per genesis document, at least one");
  }
  std::unique_ptr<Devnet> net(new Devnet());
  for (size_t i = 0; i < genesis.size(); ++i) {
    const std::string id = genesis[i].chain_id;
    MESH_ASSIGN_OR_RETURN(std::unique_ptr<Application> app,
                          Application::Open(std::move(genesis[i]), std::move(stores[i]),
                                            /*state_cache_bytes=*/0, pipelined_commit));
    if (!net->apps_.emplace(id, std::move(app)).second) {
      return absl::InvalidArgumentError("devnet: duplicate chain id " + id);
    }
  }
  for (auto a = net->apps_.begin(); a != net->apps_.end(); ++a) {
    for (auto b = std::next(a); b != net->apps_.end(); ++b) {
      Application* na = a->second.get();
      Application* nb = b->second.get();
      net->relayers_[{a->first, b->first}] = std::make_unique<ibc::Relayer>(
          ibc::Endpoint{&na->host(), [na] { return na->QueryContext(); }},
          ibc::Endpoint{&nb->host(), [nb] { return nb->QueryContext(); }});
    }
  }
  for (auto& [id, app] : net->apps_) MESH_RETURN_IF_ERROR(app->InitChain());
  MESH_RETURN_IF_ERROR(net->OpenChannels());
  return net;
}

std::vector<std::string> Devnet::chain_ids() const {
  std::vector<std::string> out;
  for (const auto& [id, app] : apps_) out.push_back(id);
  return out;
}

Application& Devnet::app(const std::string& id) { return *apps_.at(id); }

ibc::Relayer& Devnet::relayer(const std::string& a, const std::string& b) {
  return *relayers_.at(a < b ? std::make_pair(a, b) : std::make_pair(b, a));
}

// The handshake needs both ends' blocks open at once: one block on every
// chain, once, at first start (the channels are state, kept on restart).
absl::Status Devnet::OpenChannels() {
  struct Todo {
    std::string consumer, provider;
    bool ccv;  // replicated / opt-in link: the ORDERED CCV channel
  };
  std::vector<Todo> todo;
  for (auto& [id, app] : apps_) {
    if (!app->is_consumer()) continue;
    for (const ProviderLink& l : app->genesis().consumer->providers) {
      if (!apps_.contains(l.provider)) continue;
      if (l.mode != provider::LinkMode::kMesh) {
        MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::State> st,
                              consumer::ccv::CcvConsumer::Get(app->QueryContext()));
        if (!st.has_value() || st->channel.empty()) todo.push_back({id, l.provider, true});
        continue;
      }
      MESH_ASSIGN_OR_RETURN(std::optional<ChannelId> ch,
                            ConsumerApp::ChannelOf(app->QueryContext(),
                                                   consumer::ProviderId(l.provider)));
      if (!ch.has_value()) todo.push_back({id, l.provider, false});
    }
  }
  if (todo.empty()) return absl::OkStatus();
  for (auto& [id, app] : apps_) {
    BlockRequest req;
    req.time_ns = app->chain().time_ns() + kNanosPerSecond;
    MESH_ASSIGN_OR_RETURN(req.decided_last_commit, app->AllSignedVotes());
    MESH_RETURN_IF_ERROR(app->BeginBlock(req));
  }
  for (const auto& [consumer_id, provider_id, ccv] : todo) {
    ibc::Relayer& r = relayer(consumer_id, provider_id);
    const ibc::Side side = consumer_id < provider_id ? ibc::Side::kA : ibc::Side::kB;
    absl::StatusOr<ibc::ChannelPair> ch =
        ccv ? r.OpenChannel(side, PortId(std::string(packets::ccv::kConsumerPort)),
                            PortId(std::string(packets::ccv::kProviderPort)),
                            ibc::Order::kOrdered, packets::ccv::kVersion)
            : r.OpenChannel(side, PortId(kConsumerPort), PortId(kProviderPort),
                            ibc::Order::kUnordered, "");
    if (!ch.ok()) {
      return absl::Status(ch.status().code(), absl::StrCat("opening ", provider_id, " -> ",
                                                           consumer_id, ": ", ch.status().message()));
    }
  }
  for (auto& [id, app] : apps_) {
    MESH_RETURN_IF_ERROR(app->EndBlock().status());
    MESH_RETURN_IF_ERROR(app->Commit().status());
  }
  return absl::OkStatus();
}

absl::Status Devnet::RelayInto(const std::string& chain_id) {
  for (auto& [pair, r] : relayers_) {
    if (pair.first != chain_id && pair.second != chain_id) continue;
    const ibc::Side side = pair.first == chain_id ? ibc::Side::kA : ibc::Side::kB;
    absl::StatusOr<ibc::RelayStats> s = r->RelayInto(side);
    if (!s.ok()) {
      return absl::Status(s.status().code(), absl::StrCat("relaying into ", chain_id, ": ",
                                                          s.status().message()));
    }
  }
  return absl::OkStatus();
}

// Inside a chain's open block: full participation, then the relayer
// messages into it.
absl::Status Devnet::InBlock(const std::string& id) {
  MESH_RETURN_IF_ERROR(apps_.at(id)->ApplyFullParticipation());
  return RelayInto(id);
}

absl::Status Devnet::ProduceBlock(const std::string& id, uint64_t time_ns) {
  Application& a = *apps_.at(id);
  auto server = servers_.find(id);
  if (server != servers_.end()) {
    if (!queued_[id].empty()) {
      // A served chain takes txs over gRPC only: refuse rather than drop them.
      return absl::FailedPreconditionError(absl::StrCat(
          queued_[id].size(), " tx(s) queued with Devnet::Queue for ", id,
          ", which is served: broadcast them over gRPC, or queue them before Serve"));
    }
    return server->second->ProduceBlock(time_ns).status();
  }
  MESH_RETURN_IF_ERROR(a.chain().BeginBlock(time_ns));
  MESH_RETURN_IF_ERROR(InBlock(id));
  std::vector<node::SignedTx> txs;
  txs.swap(queued_[id]);
  std::vector<node::TxResult>& results = results_[id];
  results.clear();
  for (const node::SignedTx& tx : txs) results.push_back(a.DeliverTx(tx));
  MESH_RETURN_IF_ERROR(a.EndBlock().status());
  return a.Commit().status();
}

absl::Status Devnet::ProduceRound(uint64_t block_seconds) {
  for (auto& [id, app] : apps_) {
    MESH_RETURN_IF_ERROR(ProduceBlock(id, app->chain().time_ns() + block_seconds * kNanosPerSecond));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Devnet::Serve(const std::string& host, int base_port,
                                                       size_t kept_blocks) {
  std::vector<std::string> out;
  int i = 0;
  for (auto& [id, app] : apps_) {
    node::GrpcServerOptions opts;
    opts.address = absl::StrCat(host, ":", base_port == 0 ? 0 : base_port + i);
    opts.kept_blocks = kept_blocks;
    opts.query_services = NewMeshQueryServices;
    opts.in_block = [this, chain_id = id](node::Chain&) { return InBlock(chain_id); };
    auto index = tx_indexes_.find(id);
    if (index != tx_indexes_.end()) opts.tx_index = index->second.get();
    MESH_ASSIGN_OR_RETURN(std::unique_ptr<node::GrpcServer> s,
                          node::GrpcServer::Start(&app->chain(), std::move(opts)));
    out.push_back(s->address());
    servers_[id] = std::move(s);
    ++i;
  }
  return out;
}

void Devnet::SetTxIndexStore(const std::string& chain_id, std::unique_ptr<DurableStore> store) {
  tx_indexes_[chain_id] = std::move(store);
}

void Devnet::Queue(const std::string& chain_id, node::SignedTx tx) {
  queued_[chain_id].push_back(std::move(tx));
}

void Devnet::StopServing() {
  for (auto& [id, s] : servers_) s->Shutdown();
  servers_.clear();
}

absl::StatusOr<size_t> Devnet::InFlight() const {
  size_t n = 0;
  for (const auto& [pair, r] : relayers_) {
    MESH_ASSIGN_OR_RETURN(std::vector<ibc::InFlight> p, r->PendingPackets());
    MESH_ASSIGN_OR_RETURN(std::vector<ibc::InFlight> acks, r->PendingAcks());
    n += p.size() + acks.size();
  }
  return n;
}

}  // namespace mesh::app
