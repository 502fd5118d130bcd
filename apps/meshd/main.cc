// meshd: the meshsec daemon.
//
//   meshd init   --home DIR --chain-id ID [--overwrite]
//   meshd start  --home DIR [--grpc-address 127.0.0.1:9090] [--block-interval-ms 1000]
//                [--max-blocks N] [--grpc-kept-blocks 100] [--state-cache-mb 192]
//   meshd export --home DIR [--out FILE]
//   meshd devnet --home DIR --chains 2|3 [--grpc-port 9090] [--block-interval-ms 1000]
//                [--max-blocks N] [--link-modes chaina:chainc:replicated,...]
//
// Everything a chain is made of comes from app::Application; this file only
// reads files, flags and signals and drives blocks on a timer (the one
// place with a clock: block times come from it and go into the block).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "app/application.h"
#include "app/devnet.h"
#include "app/mesh_query_service.h"
#include "core/crypto.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "mesh/provider/ccv.h"
#include "glog/logging.h"
#include "node/grpc_server.h"

ABSL_FLAG(std::string, home, "", "node home directory (config/ and data/ inside)");
ABSL_FLAG(std::string, chain_id, "", "chain id (init)");
ABSL_FLAG(bool, overwrite, false, "init: replace an existing config");
ABSL_FLAG(std::string, grpc_address, "", "start: gRPC listen address (default from config: 127.0.0.1:9090)");
ABSL_FLAG(int, grpc_port, 9090, "devnet: gRPC port of the first chain (the next chains count up; 0 = any free)");
ABSL_FLAG(int64_t, block_interval_ms, 1000, "time between blocks");
ABSL_FLAG(int64_t, grpc_kept_blocks, 100,
          "start/devnet: committed blocks kept for queries at a height (x-cosmos-block-height)");
ABSL_FLAG(int64_t, max_blocks, 0, "stop after this many blocks (0 = run until SIGINT/SIGTERM)");
ABSL_FLAG(int64_t, state_cache_mb, 0,
          "start/export: the chain's state-cache bound in MiB (0 = the engine's default, 192)");
ABSL_FLAG(bool, pipelined_commit, false,
          "start/devnet: write each block's commit while the next block runs; a crash can then "
          "lose the last block produced, which this node (its own block producer, no consensus "
          "engine to replay it) would not get back. Default false: a block is on disk before it "
          "is announced");
ABSL_FLAG(int, chains, 2, "devnet: number of chains (2 or 3)");
ABSL_FLAG(std::vector<std::string>, link_modes, {},
          "devnet: links made replicated or opt-in when the devnet home is created, as "
          "provider:consumer:mode (mode replicated or opt_in; a consumer has at most one), "
          "comma-separated; e.g. chaina:chainc:replicated");
ABSL_FLAG(std::string, out, "", "export: output file (default: standard output)");

namespace {

using mesh::app::Application;
using mesh::app::Devnet;
using mesh::app::GenesisDoc;

constexpr char kUsage[] =
    "meshd: the meshsec daemon\n\n"
    "  meshd init   --home DIR --chain-id ID [--overwrite]\n"
    "  meshd start  --home DIR [--grpc-address HOST:PORT] [--block-interval-ms MS] [--max-blocks N]\n"
    "               [--grpc-kept-blocks N] [--state-cache-mb MB]\n"
    "  meshd export --home DIR [--out FILE]\n"
    "  meshd devnet --home DIR --chains 2|3 [--grpc-port PORT] [--block-interval-ms MS] [--max-blocks N]\n"
    "               [--link-modes PROVIDER:CONSUMER:MODE,...]\n\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n"
    "Memory: built with tcmalloc (the default), meshd keeps the memory it frees for its next\n"
    "blocks (its resident size is its peak); TCMALLOC_RELEASE_RATE=1 hands it back to the kernel.";

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int Fail(int code, const std::string& msg) {
  std::cerr << "meshd: " << msg << "\n";
  return code;
}

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return absl::NotFoundError("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  const std::filesystem::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return absl::InternalError("cannot write " + tmp.string());
    out << text << "\n";
    if (!out.flush()) return absl::InternalError("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, p);
  return absl::OkStatus();
}

std::string KeysJson(const std::string& chain_id, const std::string& prefix) {
  mesh::Json keys = mesh::Json::Array();
  for (const auto& k : Devnet::DemoKeys(chain_id, prefix)) {
    mesh::Json o = mesh::Json::Object();
    o.Add("name", mesh::Json::Str(k.name));
    o.Add("address", mesh::Json::Str(k.address.value()));
    o.Add("private_key_hex",
          mesh::Json::Str(mesh::ToHex(mesh::PrivateKey::FromSeed(k.seed).bytes())));
    keys.Push(std::move(o));
  }
  return keys.Write();
}

absl::StatusOr<GenesisDoc> LoadGenesis(const std::filesystem::path& home) {
  MESH_ASSIGN_OR_RETURN(std::string text, ReadFile(home / "config" / "genesis.json"));
  return GenesisDoc::Parse(text);
}

int Init(const std::filesystem::path& home) {
  const std::string id = absl::GetFlag(FLAGS_chain_id);
  if (id.empty()) return Fail(2, "init: --chain-id is required");
  const auto genesis_path = home / "config" / "genesis.json";
  if (std::filesystem::exists(genesis_path) && !absl::GetFlag(FLAGS_overwrite)) {
    return Fail(2, "init: " + genesis_path.string() + " exists (use --overwrite)");
  }
  GenesisDoc g = Devnet::MeshGenesis({id}, id, NowNs());
  absl::Status s = WriteFile(genesis_path, g.ToJson().Write());
  if (s.ok()) {
    mesh::Json cfg = mesh::Json::Object();
    cfg.Add("grpc_address", mesh::Json::Str("127.0.0.1:9090"));
    cfg.Add("block_interval_ms", mesh::Json::U64(1000));
    s = WriteFile(home / "config" / "config.json", cfg.Write());
  }
  if (s.ok()) s = WriteFile(home / "config" / "keys.json", KeysJson(id, g.bech32_prefix));
  if (!s.ok()) return Fail(1, std::string(s.message()));
  std::cout << "initialised chain " << id << " in " << home.string()
            << " (config/genesis.json, config/config.json, config/keys.json)\n";
  return 0;
}

absl::StatusOr<std::unique_ptr<Application>> OpenApp(const std::filesystem::path& home) {
  MESH_ASSIGN_OR_RETURN(GenesisDoc g, LoadGenesis(home));
  std::filesystem::create_directories(home / "data");
  MESH_ASSIGN_OR_RETURN(auto store, mesh::RocksDbStore::Open((home / "data").string()));
  const int64_t cache_mb = std::max<int64_t>(0, absl::GetFlag(FLAGS_state_cache_mb));
  MESH_ASSIGN_OR_RETURN(auto app, Application::Open(std::move(g), std::move(store),
                                                    static_cast<size_t>(cache_mb) << 20,
                                                    absl::GetFlag(FLAGS_pipelined_commit)));
  MESH_RETURN_IF_ERROR(app->InitChain());
  return app;
}

std::string ShortHash(const mesh::Hash256& h) { return mesh::ToHex(h).substr(0, 16); }

// Block time: the wall clock, never before the previous block.
uint64_t NextTime(uint64_t prev_ns) { return std::max(NowNs(), prev_ns + 1); }

int Start(const std::filesystem::path& home) {
  auto app = OpenApp(home);
  if (!app.ok()) return Fail(1, "start: " + std::string(app.status().message()));
  std::string address = absl::GetFlag(FLAGS_grpc_address);
  if (address.empty()) {
    auto cfg_text = ReadFile(home / "config" / "config.json");
    auto cfg = cfg_text.ok() ? mesh::Json::Parse(*cfg_text) : absl::StatusOr<mesh::Json>(cfg_text.status());
    const mesh::Json* a = cfg.ok() ? cfg->Find("grpc_address") : nullptr;
    address = a != nullptr && a->AsString().ok() ? *a->AsString() : "127.0.0.1:9090";
  }
  Application* a = app->get();
  mesh::node::GrpcServerOptions opts;
  opts.address = address;
  opts.kept_blocks = static_cast<size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_grpc_kept_blocks)));
  opts.in_block = [a](mesh::node::Chain&) { return a->ApplyFullParticipation(); };
  opts.query_services = mesh::app::NewMeshQueryServices;
  // The tx index (GetTx): a store of its own, not consensus state.
  auto tx_index = mesh::RocksDbStore::Open((home / "txindex").string());
  if (!tx_index.ok()) return Fail(1, "start: tx index: " + std::string(tx_index.status().message()));
  opts.tx_index = tx_index->get();
  auto server = mesh::node::GrpcServer::Start(&a->chain(), opts);
  if (!server.ok()) return Fail(1, "start: gRPC: " + std::string(server.status().message()));
  std::cout << "meshd: chain " << a->genesis().chain_id << " at height " << a->chain().height()
            << ", gRPC on " << (*server)->address() << std::endl;
  const int64_t interval = absl::GetFlag(FLAGS_block_interval_ms);
  const int64_t max_blocks = absl::GetFlag(FLAGS_max_blocks);
  for (int64_t n = 0; !g_stop && (max_blocks == 0 || n < max_blocks); ++n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interval));
    if (g_stop) break;
    auto block = (*server)->ProduceBlock(NextTime(a->chain().time_ns()));
    if (!block.ok()) return Fail(1, "block failed: " + std::string(block.status().message()));
    LOG(INFO) << "block " << block->height << " txs " << block->txs.size() << " app_hash "
              << ShortHash(block->app_hash);
  }
  (*server)->Shutdown();
  // The last block's pipelined write (--pipelined_commit) reaches the disk.
  if (absl::Status s = a->Flush(); !s.ok()) return Fail(1, "stop: " + std::string(s.message()));
  std::cout << "meshd: stopped at height " << a->chain().height() << std::endl;
  return 0;
}

int Export(const std::filesystem::path& home) {
  auto app = OpenApp(home);
  if (!app.ok()) return Fail(1, "export: " + std::string(app.status().message()));
  auto state = (*app)->ExportState();
  if (!state.ok()) return Fail(1, "export: " + std::string(state.status().message()));
  GenesisDoc doc = (*app)->genesis();
  doc.state = *state;
  const std::string text = doc.ToJson().Write();
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::cout << text << "\n";
    return 0;
  }
  absl::Status s = WriteFile(out, text);
  return s.ok() ? 0 : Fail(1, std::string(s.message()));
}

// Writes every chain's genesis.json and keys.json under `home` when none
// exists yet: full-mesh devnet genesis, with the --link-modes links made
// replicated / opt-in. With existing genesis files nothing is written, and
// --link-modes is refused (it would be silently ignored).
absl::Status CreateDevnetGenesis(const std::filesystem::path& home,
                                 const std::vector<std::string>& ids) {
  const std::vector<std::string> modes = absl::GetFlag(FLAGS_link_modes);
  bool any = false;
  for (const std::string& id : ids) {
    any = any || std::filesystem::exists(home / id / "config" / "genesis.json");
  }
  if (any) {
    if (modes.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        "--link-modes applies only when the devnet home is created; this home already has "
        "genesis files (edit their link \"mode\" fields, or start from an empty --home)");
  }
  std::vector<GenesisDoc> docs;
  const uint64_t genesis_time = NowNs();
  for (const std::string& id : ids) docs.push_back(Devnet::MeshGenesis(ids, id, genesis_time));
  for (const std::string& m : modes) {
    std::vector<std::string> parts = absl::StrSplit(m, ':');
    if (parts.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--link-modes: expected provider:consumer:mode, got \"", m, "\""));
    }
    absl::StatusOr<mesh::provider::LinkMode> mode = mesh::provider::ParseLinkMode(parts[2]);
    if (!mode.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--link-modes: ", mode.status().message()));
    }
    MESH_RETURN_IF_ERROR(Devnet::SetLinkMode(docs, parts[0], parts[1], *mode));
  }
  for (const GenesisDoc& g : docs) {
    const auto dir = home / g.chain_id;
    MESH_RETURN_IF_ERROR(WriteFile(dir / "config" / "genesis.json", g.ToJson().Write()));
    MESH_RETURN_IF_ERROR(WriteFile(dir / "config" / "keys.json", KeysJson(g.chain_id, g.bech32_prefix)));
  }
  return absl::OkStatus();
}

int RunDevnet(const std::filesystem::path& home) {
  const int n = absl::GetFlag(FLAGS_chains);
  if (n < 2 || n > 3) return Fail(2, "devnet: --chains must be 2 or 3");
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(std::string("chain") + static_cast<char>('a' + i));
  std::vector<GenesisDoc> docs;
  std::vector<std::unique_ptr<mesh::DurableStore>> stores;
  absl::Status created = CreateDevnetGenesis(home, ids);
  if (!created.ok()) return Fail(created.code() == absl::StatusCode::kInvalidArgument ? 2 : 1,
                                 "devnet: " + std::string(created.message()));
  for (const std::string& id : ids) {
    const auto dir = home / id;
    auto g = LoadGenesis(dir);
    if (!g.ok()) return Fail(1, "devnet: " + id + ": " + std::string(g.status().message()));
    std::filesystem::create_directories(dir / "data");
    auto store = mesh::RocksDbStore::Open((dir / "data").string());
    if (!store.ok()) return Fail(1, "devnet: " + std::string(store.status().message()));
    docs.push_back(*std::move(g));
    stores.push_back(*std::move(store));
  }
  auto net = Devnet::Open(std::move(docs), std::move(stores),
                          absl::GetFlag(FLAGS_pipelined_commit));
  if (!net.ok()) return Fail(1, "devnet: " + std::string(net.status().message()));
  for (const std::string& id : ids) {
    auto tx_index = mesh::RocksDbStore::Open((home / id / "txindex").string());
    if (!tx_index.ok()) return Fail(1, "devnet: tx index: " + std::string(tx_index.status().message()));
    (*net)->SetTxIndexStore(id, *std::move(tx_index));
  }
  auto addrs = (*net)->Serve(
      "127.0.0.1", absl::GetFlag(FLAGS_grpc_port),
      static_cast<size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_grpc_kept_blocks))));
  if (!addrs.ok()) return Fail(1, "devnet: gRPC: " + std::string(addrs.status().message()));
  for (size_t i = 0; i < ids.size(); ++i) {
    std::cout << "meshd devnet: " << ids[i] << " at height " << (*net)->app(ids[i]).chain().height()
              << ", gRPC on " << (*addrs)[i] << ", keys in " << (home / ids[i] / "config/keys.json").string()
              << std::endl;
  }
  const int64_t interval = absl::GetFlag(FLAGS_block_interval_ms);
  const int64_t max_blocks = absl::GetFlag(FLAGS_max_blocks);
  for (int64_t b = 0; !g_stop && (max_blocks == 0 || b < max_blocks); ++b) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interval));
    if (g_stop) break;
    const uint64_t seconds = static_cast<uint64_t>(std::max<int64_t>(1, interval / 1000));
    absl::Status s = (*net)->ProduceRound(seconds);
    if (!s.ok()) return Fail(1, "devnet: " + std::string(s.message()));
    auto in_flight = (*net)->InFlight();
    std::string line = "round";
    for (const std::string& id : ids) {
      absl::StrAppend(&line, " ", id, "@", (*net)->app(id).chain().height(), ":",
                      ShortHash((*net)->app(id).chain().app_hash()).substr(0, 8));
    }
    LOG(INFO) << line << " in_flight " << (in_flight.ok() ? *in_flight : 0);
  }
  (*net)->StopServing();
  for (const std::string& id : ids) {
    if (absl::Status s = (*net)->app(id).Flush(); !s.ok()) {
      return Fail(1, "devnet: " + id + ": " + std::string(s.message()));
    }
  }
  std::cout << "meshd devnet: stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> args(argv, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h" || a == "help") {
      std::cout << kUsage << "\n";
      return 0;
    }
  }
  if (argc < 2) return Fail(2, std::string("missing command\n") + kUsage);
  const std::string cmd = args[1];
  // Flags are written with dashes (--chain-id); absl names use underscores.
  std::vector<std::string> flag_args = {args[0]};
  for (size_t i = 2; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.rfind("--", 0) == 0) {
      const size_t eq = a.find('=');
      for (size_t j = 2; j < (eq == std::string::npos ? a.size() : eq); ++j) {
        if (a[j] == '-') a[j] = '_';
      }
    }
    flag_args.push_back(a);
  }
  std::vector<char*> cargs;
  for (std::string& a : flag_args) cargs.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (rest.size() > 1) return Fail(2, std::string("unexpected argument ") + rest[1]);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const std::string home = absl::GetFlag(FLAGS_home);
  if (home.empty()) return Fail(2, "--home is required");
  if (cmd == "init") return Init(home);
  if (cmd == "start") return Start(home);
  if (cmd == "export") return Export(home);
  if (cmd == "devnet") return RunDevnet(home);
  return Fail(2, "unknown command " + cmd + "\n" + kUsage);
}
