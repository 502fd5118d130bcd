// The devnet's genesis helpers (Devnet::ConnectionFor, DemoKeys,
// MeshGenesis): pure functions of their arguments, kept in mesh_application
// so users without the gRPC front end (the C ABI) can build devnet genesis
// documents too.
#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "app/devnet.h"
#include "core/crypto.h"
#include "core/status.h"
#include "mesh/provider/ccv.h"
#include "node/staking_msgs.h"

namespace mesh::app {
namespace {

constexpr uint64_t kDemoFunds = 1000000000000ULL;  // 10^12 of the chain's denom
constexpr uint64_t kValidatorBond = 10000000000ULL;

std::string PrefixOf(const std::string& chain_id) {
  // bech32 prefixes are lower case letters/digits; chain ids of the devnet
  // ("chaina", ...) qualify as they are.
  std::string p;
  for (char c : chain_id) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) p += c;
  }
  return p.empty() ? "mesh" : p;
}

}  // namespace

ConnectionId Devnet::ConnectionFor(std::vector<std::string> ids, const std::string& chain,
                                   const std::string& other) {
  std::sort(ids.begin(), ids.end());
  int index = 0;
  for (size_t a = 0; a < ids.size(); ++a) {
    for (size_t b = a + 1; b < ids.size(); ++b) {
      const bool mine = ids[a] == chain || ids[b] == chain;
      if (!mine) continue;
      if (ids[a] == other || ids[b] == other) return ConnectionId(absl::StrCat("connection-", index));
      ++index;
    }
  }
  return ConnectionId("");
}

std::vector<DemoKey> Devnet::DemoKeys(const std::string& chain_id, const std::string& prefix) {
  std::vector<DemoKey> out;
  for (const char* name : {"alice", "bob", "carol", "gov", "oracle", "val0", "val1", "val2"}) {
    const std::string seed = chain_id + "/" + name;
    out.push_back(DemoKey{name, seed,
                          AccountAddress(AccountAddressOf(prefix,
                                                          PrivateKey::FromSeed(seed).PublicKey()))});
  }
  return out;
}

GenesisDoc Devnet::MeshGenesis(const std::vector<std::string>& chain_ids,
                               const std::string& chain_id, uint64_t genesis_time_ns) {
  GenesisDoc g;
  g.chain_id = chain_id;
  g.bech32_prefix = PrefixOf(chain_id);
  g.genesis_time_ns = genesis_time_ns;
  g.denom = Denom("u" + g.bech32_prefix);
  g.staking.unbonding_time_s = 3600;
  g.staking.downtime_jail_duration_s = 60;
  std::map<std::string, AccountAddress> keys;
  for (const DemoKey& k : DemoKeys(chain_id, g.bech32_prefix)) keys.emplace(k.name, k.address);
  for (const char* name : {"alice", "bob", "carol", "gov", "oracle"}) {
    g.accounts.push_back({keys.at(name), Amount(kDemoFunds)});
  }
  for (const char* name : {"val0", "val1", "val2"}) {
    g.validators.push_back({keys.at(name), Amount(kValidatorBond), Dec::FromRaw(Dec::kOne / 10), ""});
  }
  ProviderRole provider;
  ConsumerRole consumer;
  consumer.authority = keys.at("gov");
  for (const std::string& other : chain_ids) {
    if (other == chain_id) continue;
    const std::string other_denom = "u" + PrefixOf(other);
    const ConnectionId conn = ConnectionFor(chain_ids, chain_id, other);
    provider.consumers.push_back({other, conn, Denom(other_denom), 3600});
    consumer.providers.push_back({other, conn, Denom(other_denom), Dec::One(),
                                  Dec::FromRaw(Dec::kOne / 10), keys.at("oracle"),
                                  100ULL * 365 * 86400, 50, Amount(kDemoFunds)});
  }
  // Room for every provider's max cap (a consumer refuses caps summing to
  // more than its total).
  consumer.total_max_cap = Amount(kDemoFunds * consumer.providers.size());
  if (!provider.consumers.empty()) g.provider = std::move(provider);
  if (!consumer.providers.empty()) g.consumer = std::move(consumer);
  return g;
}

absl::Status Devnet::SetLinkMode(std::vector<GenesisDoc>& docs, const std::string& provider,
                                 const std::string& consumer, provider::LinkMode mode) {
  if (mode == provider::LinkMode::kMesh) {
    return absl::InvalidArgumentError("link mode: only replicated or opt_in can be set");
  }
  GenesisDoc* p = nullptr;
  GenesisDoc* c = nullptr;
  for (GenesisDoc& d : docs) {
    if (d.chain_id == provider) p = &d;
    if (d.chain_id == consumer) c = &d;
  }
  if (p == nullptr || c == nullptr || p == c || !p->provider.has_value() ||
      !c->consumer.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("link mode: no link ", provider, " -> ", consumer, " in the devnet"));
  }
  ConsumerLink* out = nullptr;
  for (ConsumerLink& l : p->provider->consumers) {
    if (l.consumer == consumer) out = &l;
  }
  ProviderLink* in = nullptr;
  for (ProviderLink& l : c->consumer->providers) {
    if (l.provider == provider) in = &l;
    if (l.mode != provider::LinkMode::kMesh && l.provider != provider) {
      return absl::InvalidArgumentError(
          absl::StrCat("link mode: ", consumer, " already has a ",
                       provider::LinkModeName(l.mode), " link (from ", l.provider,
                       "); a consumer has at most one"));
    }
  }
  if (out == nullptr || in == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("link mode: no link ", provider, " -> ", consumer, " in the devnet"));
  }
  out->mode = mode;
  out->blocks_per_epoch = 10;
  out->shaping.top_n = mode == provider::LinkMode::kReplicated ? 100 : 0;
  out->opted_in.clear();
  if (mode == provider::LinkMode::kOptIn) {
    for (const GenesisValidator& v : p->validators) {
      MESH_ASSIGN_OR_RETURN(ValidatorAddress valoper, node::ValoperOfAccount(v.operator_account));
      out->opted_in.push_back(std::move(valoper));
    }
  }
  in->mode = mode;
  return absl::OkStatus();
}

}  // namespace mesh::app
