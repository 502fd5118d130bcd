// meshsec_demo: one chain on embedded RocksDB, driven by signed transactions.
//
// Genesis funds three validators and two users; the validators create
// themselves, users delegate, one validator double-signs (evidence handled in
// a begin blocker), a user undelegates and the unbonding matures. Every step
// prints what it did and the block's app hash; the run ends by reopening the
// database and checking that height and app hash survived.
//
//   meshsec_demo --data-dir DIR
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/json.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "node/chain.h"
#include "node/staking_msgs.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace {

using mesh::AccountAddress;
using mesh::Amount;
using mesh::Context;
using mesh::Denom;
using mesh::Json;
using mesh::PrivateKey;
using mesh::ValidatorAddress;
using mesh::node::Chain;
namespace staking = mesh::staking;

constexpr uint64_t kGenesisTime = 1700000000ULL * mesh::kNanosPerSecond;
constexpr uint64_t kBlockTime = 5 * mesh::kNanosPerSecond;
const Denom kDenom{"stake"};

struct Actor {
  std::string name;
  PrivateKey key;
  AccountAddress address;
  uint64_t nonce = 0;
};

class Demo {
 public:
  explicit Demo(std::unique_ptr<Chain> chain) : chain_(std::move(chain)) {}

  Actor& NewActor(const std::string& name) {
    PrivateKey key = PrivateKey::FromSeed(name);
    actors_.push_back(Actor{name, key, AccountAddress(chain_->AddressOf(key.PublicKey()))});
    return actors_.back();
  }

  void Tx(Actor& who, const std::string& type, const Json& body) {
    mesh::node::Tx tx;
    tx.chain_id = chain_->config().chain_id;
    tx.nonce = who.nonce;
    tx.msgs.push_back({type, body.Write()});
    mesh::node::TxResult r = chain_->DeliverTx(mesh::node::SignTx(who.key, std::move(tx)));
    if (r.ok()) ++who.nonce;
    std::printf("  tx %-26s by %-6s %s %s\n", type.c_str(), who.name.c_str(),
                r.ok() ? "ok" : "REJECTED", r.ok() ? body.Write().c_str() : r.log.c_str());
  }

  absl::Status Block(const std::function<void()>& txs) {
    MESH_RETURN_IF_ERROR(chain_->BeginBlock(chain_->time_ns() + kBlockTime));
    std::printf("block %llu\n", static_cast<unsigned long long>(chain_->height()));
    txs();
    MESH_RETURN_IF_ERROR(chain_->EndBlock());
    MESH_ASSIGN_OR_RETURN(mesh::Hash256 h, chain_->Commit());
    std::printf("  app hash %s\n", mesh::ToHex(h).substr(0, 16).c_str());
    return absl::OkStatus();
  }

  Chain& chain() { return *chain_; }
  std::vector<Actor>& actors() { return actors_; }

 private:
  std::unique_ptr<Chain> chain_;
  std::vector<Actor> actors_;
};

Json AmountBody(const std::string& key, const std::string& value, uint64_t amount) {
  Json j = Json::Object();
  if (!key.empty()) j.Add(key, Json::Str(value));
  j.Add("amount", Json::Str(std::to_string(amount)));
  return j;
}

void PrintValidators(const Chain& chain) {
  Context ctx = chain.QueryContext();
  auto vals = staking::Staking::AllValidators(ctx);
  if (!vals.ok()) return;
  for (const staking::Validator& v : *vals) {
    std::printf("  validator %s tokens=%s shares=%s %s%s%s\n",
                v.operator_address.value().c_str(), v.tokens.ToString().c_str(),
                v.delegator_shares.ToString().c_str(),
                v.status == staking::BondStatus::kBonded ? "bonded" : "not-bonded",
                v.jailed ? " jailed" : "", v.tombstoned ? " tombstoned" : "");
  }
}

absl::Status Run(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  MESH_ASSIGN_OR_RETURN(auto first_store, mesh::RocksDbStore::Open(dir));
  MESH_ASSIGN_OR_RETURN(auto chain, Chain::Open(std::move(first_store), {"demo-1", "mesh"}));
  mesh::node::InstallStakingModule(*chain);
  Demo demo(std::move(chain));
  for (const char* n : {"val-a", "val-b", "val-c", "alice", "bob"}) demo.NewActor(n);
  auto& a = demo.actors();

  staking::Params params;
  params.unbonding_time_s = 20;  // short, so the demo sees maturity
  MESH_RETURN_IF_ERROR(demo.chain().InitGenesis(kGenesisTime, [&](const Context& ctx) {
    MESH_RETURN_IF_ERROR(staking::Staking::InitGenesis(ctx, params));
    for (const Actor& actor : a) {
      MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, actor.address, kDenom, Amount(100000000)));
    }
    return absl::OkStatus();
  }));
  std::printf("genesis: 5 accounts funded with 100000000 stake each\n");

  MESH_RETURN_IF_ERROR(demo.Block([&] {
    for (int i = 0; i < 3; ++i) {
      Json body = AmountBody("", "", 10000000 * (i + 1));
      body.Add("commission", Json::Str("0.1"));
      demo.Tx(a[i], "staking/create_validator", body);
    }
  }));
  ValidatorAddress val_a = *mesh::node::ValoperOfAccount(a[0].address);
  ValidatorAddress val_b = *mesh::node::ValoperOfAccount(a[1].address);
  MESH_RETURN_IF_ERROR(demo.Block([&] {
    demo.Tx(a[3], "staking/delegate", AmountBody("validator", val_a.value(), 5000000));
    demo.Tx(a[4], "staking/delegate", AmountBody("validator", val_b.value(), 7000000));
    demo.Tx(a[4], "staking/delegate", AmountBody("validator", val_b.value(), 999999999999));
  }));
  PrintValidators(demo.chain());

  // Evidence: val-a double-signed at height 2. Evidence is handled by the
  // chain itself (like x/evidence), not by a user tx.
  MESH_RETURN_IF_ERROR(demo.Block([&] {
    absl::Status s = demo.chain().RunAtomic([&](const Context& ctx) {
      return staking::Staking::HandleDoubleSign(ctx, val_a, 2, 15);
    });
    std::printf("  evidence: %s double-signed at height 2 (power 15): %s\n",
                val_a.value().c_str(), s.ok() ? "slashed, jailed, tombstoned" : s.ToString().c_str());
  }));
  PrintValidators(demo.chain());

  MESH_RETURN_IF_ERROR(demo.Block([&] {
    demo.Tx(a[4], "staking/undelegate", AmountBody("validator", val_b.value(), 3000000));
    demo.Tx(a[0], "slashing/unjail", Json::Object());
  }));
  for (int i = 0; i < 5; ++i) MESH_RETURN_IF_ERROR(demo.Block([] {}));
  {
    Context ctx = demo.chain().QueryContext();
    MESH_ASSIGN_OR_RETURN(Amount alice, staking::Bank::Balance(ctx, a[3].address, kDenom));
    MESH_ASSIGN_OR_RETURN(Amount bob, staking::Bank::Balance(ctx, a[4].address, kDenom));
    std::printf("balances: alice=%s bob=%s (bob's 3000000 unbonding matured after 20s)\n",
                alice.ToString().c_str(), bob.ToString().c_str());
    MESH_RETURN_IF_ERROR(staking::Staking::CheckInvariants(ctx));
    std::printf("staking invariants: ok\n");
  }
  uint64_t height = demo.chain().height();
  mesh::Hash256 hash = demo.chain().app_hash();
  demo = Demo(nullptr);
  MESH_ASSIGN_OR_RETURN(auto store, mesh::RocksDbStore::Open(dir));
  MESH_ASSIGN_OR_RETURN(auto reopened, Chain::Open(std::move(store), {"demo-1", "mesh"}));
  if (reopened->height() != height || reopened->app_hash() != hash) {
    return absl::DataLossError("reopened chain differs from the committed one");
  }
  std::printf("reopened %s: height %llu, app hash %s (matches)\n", dir.c_str(),
              static_cast<unsigned long long>(height), mesh::ToHex(hash).substr(0, 16).c_str());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "data";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc) dir = argv[++i];
  }
  absl::Status s = Run(dir + "/demo-1");
  if (!s.ok()) {
    std::fprintf(stderr, "demo failed: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
