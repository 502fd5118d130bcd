// meshctl: the command-line client of meshd (docs/meshctl.md).
//
//   meshctl keys add|import|list|show|delete ...   local keys (BIP-39/32/44)
//   meshctl query <group> <command> [args]          Cosmos and meshsec gRPC queries
//   meshctl tx <group> <command> [args] --from KEY  build, sign, broadcast a tx
//
// Commands are table entries: kKeysCommands below, the query table in
// client/query_commands.cc and the tx table in client/tx_commands.cc. Flags are Abseil flags, written with dashes
// (--page-key); each command accepts the global flags plus its own.
// Exit codes: 0 ok, 1 error (RPC errors print the gRPC status code and
// message; a tx delivered with a non-zero code), 2 usage error, 3 not found
// (queries and keys).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/bip39.h"
#include "client/hd.h"
#include "client/keyring.h"
#include "client/query_commands.h"
#include "client/tx_commands.h"
#include "core/crypto.h"
#include "core/json.h"
#include "node/tx.h"

ABSL_FLAG(std::string, home, "", "meshctl home directory (default: $HOME/.meshctl)");
ABSL_FLAG(std::string, keyring_backend, "test", "keyring backend: test (clear) or file (encrypted)");
ABSL_FLAG(std::string, keyring_passphrase_file, "",
          "file backend: read the keyring passphrase from this file (else "
          "$MESHCTL_KEYRING_PASSPHRASE, else a line of standard input)");
ABSL_FLAG(std::string, node, "127.0.0.1:9090", "gRPC address of the node (host:port)");
ABSL_FLAG(std::string, output, "text", "output format: text or json");
ABSL_FLAG(int64_t, height, 0, "query at this height (0 = latest; sent as x-cosmos-block-height)");
ABSL_FLAG(std::string, prefix, "",
          "bech32 account prefix (default: asked from --node, else \"mesh\")");
ABSL_FLAG(int64_t, timeout_ms, 10000, "gRPC deadline in milliseconds");
ABSL_FLAG(bool, recover, false, "keys add: read an existing mnemonic from standard input");
ABSL_FLAG(int64_t, account, 0, "keys add/import: BIP-44 account (m/44'/118'/ACCOUNT'/0/INDEX)");
ABSL_FLAG(int64_t, index, 0, "keys add/import: BIP-44 address index");
ABSL_FLAG(std::string, hd_path, "", "keys add/import: full HD path (overrides --account/--index)");
ABSL_FLAG(int64_t, words, 24, "keys add: mnemonic length of a new key (12 or 24; also 15, 18, 21)");
ABSL_FLAG(std::string, mnemonic_file, "", "keys import: read the mnemonic from this file");
ABSL_FLAG(bool, yes, false, "keys delete, tx: do not ask for confirmation");
ABSL_FLAG(bool, address, false, "keys show: print the address only");
ABSL_FLAG(bool, pubkey, false, "keys show: print the public key only");
ABSL_FLAG(uint64_t, limit, 0, "pagination: page size (0 = server default, 100, with the total)");
ABSL_FLAG(uint64_t, offset, 0, "pagination: items to skip (not with --page-key)");
ABSL_FLAG(std::string, page_key, "", "pagination: next_key of the previous page (base64)");
ABSL_FLAG(bool, count_total, false, "pagination: count the total (offset paging only)");
ABSL_FLAG(bool, reverse, false, "pagination: descending order");
ABSL_FLAG(std::string, user, "", "mesh queries: the user (provider-chain account address)");
ABSL_FLAG(std::string, consumer, "", "mesh queries: the consumer chain id");
ABSL_FLAG(std::string, provider, "", "mesh queries: the provider chain id");
ABSL_FLAG(std::string, validator, "", "mesh queries: the validator operator address");
ABSL_FLAG(std::string, consumer_address, "",
          "shared-security queries: a consumer consensus address (hex, 20 bytes)");
ABSL_FLAG(std::string, id, "", "shared-security queries: the slash proposal id");
ABSL_FLAG(std::string, status, "",
          "query mesh validators: only this bond status (BOND_STATUS_BONDED, ...)");
ABSL_FLAG(std::string, from, "", "tx: the signing key's name in the keyring");
ABSL_FLAG(std::string, chain_id, "",
          "tx: chain id to sign for (default: the node's GetNodeInfo network)");
ABSL_FLAG(std::string, fees, "", "tx: fee coins, e.g. 500umesh (default: none)");
ABSL_FLAG(uint64_t, gas, 0, "tx: gas limit (0 = 10000000)");
ABSL_FLAG(std::string, memo, "", "tx: memo");
ABSL_FLAG(std::string, broadcast_mode, "block",
          "tx: block (wait for the block that includes it) or sync (return once queued)");
ABSL_FLAG(bool, generate_only, false,
          "tx: print the unsigned tx (cosmos.tx.v1beta1.Tx JSON); no key or node needed");
ABSL_FLAG(bool, dry_run, false, "tx: build and sign, print the signed tx, do not broadcast");
ABSL_FLAG(int64_t, account_number, -1,
          "tx: account number (offline signing; default: from the node)");
ABSL_FLAG(int64_t, sequence, -1, "tx: sequence (offline signing; default: from the node)");
ABSL_FLAG(std::string, amount, "",
          "tx staking create-validator: self-delegation, e.g. 1000000umesh");
ABSL_FLAG(std::string, consensus_key, "",
          "tx staking create-validator: ed25519 consensus public key (hex or base64, 32 bytes)");
ABSL_FLAG(std::string, moniker, "", "tx staking create/edit-validator: moniker");
ABSL_FLAG(std::string, identity, "", "tx staking create/edit-validator: identity");
ABSL_FLAG(std::string, website, "", "tx staking create/edit-validator: website");
ABSL_FLAG(std::string, security_contact, "", "tx staking create/edit-validator: security contact");
ABSL_FLAG(std::string, details, "", "tx staking create/edit-validator: details");
ABSL_FLAG(std::string, commission_rate, "",
          "tx staking create/edit-validator: commission rate (0.1)");
ABSL_FLAG(std::string, commission_max_rate, "",
          "tx staking create-validator: max commission (0.2)");
ABSL_FLAG(std::string, commission_max_change_rate, "",
          "tx staking create-validator: max daily change (0.01)");
ABSL_FLAG(std::string, min_self_delegation, "",
          "tx staking create/edit-validator: minimum self-delegation (1)");
ABSL_FLAG(std::string, msg_json, "",
          "tx raw: a message in the protobuf JSON mapping with \"@type\" (repeatable)");

namespace {

namespace fs = std::filesystem;
using mesh::Json;
using mesh::client::KeyInfo;
using mesh::client::Keyring;
using mesh::client::QueryCommand;

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotFound = 3;

constexpr char kExitCodes[] =
    "Exit codes: 0 ok; 1 error (an RPC error prints its gRPC status code and message);\n"
    "            2 usage error; 3 not found (gRPC NOT_FOUND, unknown key).\n";

const std::vector<std::string> kGlobalFlags = {"output", "home", "node", "timeout_ms"};
const std::vector<std::string> kKeyringFlags = {"keyring_backend", "keyring_passphrase_file",
                                                "prefix"};
const std::vector<std::string> kQueryFlags = {"height"};
const std::vector<std::string> kPageFlags = {"limit", "offset", "page_key", "count_total",
                                             "reverse"};
const std::vector<std::string> kBasicPageFlags = {"limit", "page_key"};

struct Invocation {
  std::vector<std::string> args;  // positional
  std::set<std::string> flags;    // flags given (underscore names)
  std::vector<std::string> msg_json;  // every --msg-json, in order
  bool help = false;
};

std::string Dashed(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

int Fail(int code, const std::string& msg) {
  std::cerr << "meshctl: " << msg << "\n";
  return code;
}

int Usage(const std::string& msg, const std::string& help_hint) {
  return Fail(kExitUsage, msg + "\n(see " + help_hint + " --help)");
}

// ---- flag parsing -----------------------------------------------------------

// Every flag meshctl defines; no other Abseil flag is accepted.
const std::set<std::string>& KnownFlags() {
  static const auto* known = new std::set<std::string>{
      "home", "keyring_backend", "keyring_passphrase_file", "node", "output", "height",
      "prefix", "timeout_ms", "recover", "account", "index", "hd_path", "words",
      "mnemonic_file", "yes", "address", "pubkey", "limit", "offset", "page_key",
      "count_total", "reverse", "user", "consumer", "provider", "validator", "status",
      "consumer_address", "id",
      "from", "chain_id", "fees", "gas", "memo", "broadcast_mode", "generate_only", "dry_run",
      "account_number", "sequence", "amount", "consensus_key", "moniker", "identity", "website",
      "security_contact", "details", "commission_rate", "commission_max_rate",
      "commission_max_change_rate", "min_self_delegation", "msg_json"};
  return *known;
}

// Parses argv into positionals and flags; the error is a usage message.
std::optional<std::string> ParseArgs(int argc, char** argv, Invocation* inv) {
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (only_positional || a.size() < 2 || a[0] != '-') {
      if (a == "help" && !only_positional) {
        inv->help = true;
      } else {
        inv->args.push_back(a);
      }
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "-h" || a == "--help" || a == "-help") {
      inv->help = true;
      continue;
    }
    std::string body(absl::StripPrefix(absl::StripPrefix(a, "-"), "-"));
    std::optional<std::string> value;
    if (const size_t eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body.resize(eq);
    }
    std::string name = body;
    for (char& c : name) {
      if (c == '-') c = '_';
    }
    absl::CommandLineFlag* flag = KnownFlags().count(name) ? absl::FindCommandLineFlag(name) : nullptr;
    if (flag == nullptr) return "unknown flag " + a;
    if (!value.has_value()) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return "flag --" + Dashed(name) + " needs a value";
      }
    }
    std::string err;
    if (!flag->ParseFrom(*value, &err)) {
      return "invalid value \"" + *value + "\" for --" + Dashed(name) + ": " + err;
    }
    inv->flags.insert(name);
    if (name == "msg_json") inv->msg_json.push_back(*value);
  }
  return std::nullopt;
}

// A usage message if a flag outside `allowed` (plus the global ones) was given.
std::optional<std::string> CheckFlags(const Invocation& inv, std::vector<std::string> allowed,
                                      const std::string& where) {
  allowed.insert(allowed.end(), kGlobalFlags.begin(), kGlobalFlags.end());
  for (const std::string& f : inv.flags) {
    if (std::find(allowed.begin(), allowed.end(), f) == allowed.end()) {
      return "flag --" + Dashed(f) + " does not apply to " + where;
    }
  }
  const std::string out = absl::GetFlag(FLAGS_output);
  if (out != "json" && out != "text") return "--output must be json or text, got \"" + out + "\"";
  return std::nullopt;
}

std::string FlagHelp(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    const absl::CommandLineFlag* f = absl::FindCommandLineFlag(n);
    if (f == nullptr) continue;
    std::string def = f->DefaultValue();
    absl::StrAppend(&out, "  --", Dashed(n), f->IsOfType<bool>() ? "" : " VALUE", "\n      ",
                    f->Help(), def.empty() || def == "false" ? "" : " (default " + def + ")", "\n");
  }
  return out;
}

std::string GlobalFlagHelp() { return "Global flags:\n" + FlagHelp(kGlobalFlags) + "\n"; }

// ---- shared helpers ---------------------------------------------------------

std::shared_ptr<grpc::Channel> NodeChannel() {
  return grpc::CreateChannel(absl::GetFlag(FLAGS_node), grpc::InsecureChannelCredentials());
}

fs::path Home() {
  std::string h = absl::GetFlag(FLAGS_home);
  if (!h.empty()) return h;
  const char* env = std::getenv("HOME");
  return fs::path(env != nullptr ? env : ".") / ".meshctl";
}

bool JsonOutput() { return absl::GetFlag(FLAGS_output) == "json"; }

// Prints a JSON document in the chosen output form.
int PrintJson(const std::string& json) {
  if (JsonOutput()) {
    std::cout << json << "\n";
    return kExitOk;
  }
  absl::StatusOr<std::string> text = mesh::client::JsonToText(json);
  if (!text.ok()) return Fail(kExitError, std::string(text.status().message()));
  std::cout << (text->empty() ? "[]\n" : *text);
  return kExitOk;
}

int StatusExit(const absl::Status& s) {
  if (s.ok()) return kExitOk;
  if (absl::IsNotFound(s)) return Fail(kExitNotFound, std::string(s.message()));
  if (absl::IsInvalidArgument(s)) return Fail(kExitUsage, std::string(s.message()));
  return Fail(kExitError, std::string(s.message()));
}

// One line of standard input (shared by the mnemonic and the passphrase).
absl::StatusOr<std::string> ReadStdinLine(const std::string& prompt) {
  if (::isatty(STDIN_FILENO)) std::cerr << prompt << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) return absl::InvalidArgumentError("no input for: " + prompt);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::string> KeyringPassphrase() {
  const std::string file = absl::GetFlag(FLAGS_keyring_passphrase_file);
  if (!file.empty()) {
    absl::StatusOr<std::string> text = ReadTextFile(file);
    if (!text.ok()) return text.status();
    std::string line = text->substr(0, text->find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (const char* env = std::getenv("MESHCTL_KEYRING_PASSPHRASE"); env != nullptr) return env;
  return ReadStdinLine("Enter keyring passphrase: ");
}

absl::StatusOr<Keyring> OpenKeyring() {
  absl::StatusOr<mesh::client::KeyringBackend> b =
      mesh::client::ParseKeyringBackend(absl::GetFlag(FLAGS_keyring_backend));
  if (!b.ok()) return b.status();
  return Keyring(Home(), *b, KeyringPassphrase);
}

// --prefix, else the node's, else meshd's default "mesh" (with a note).
std::string AccountPrefix() {
  const std::string p = absl::GetFlag(FLAGS_prefix);
  if (!p.empty()) return p;
  absl::StatusOr<std::string> fetched = mesh::client::FetchBech32Prefix(NodeChannel(), 3000);
  if (fetched.ok()) return *fetched;
  std::cerr << "meshctl: note: no --prefix and no prefix from " << absl::GetFlag(FLAGS_node)
            << " (" << fetched.status().message() << "): using \"mesh\"\n";
  return "mesh";
}

absl::StatusOr<Json> KeyJson(const KeyInfo& k, const std::string& prefix) {
  absl::StatusOr<std::string> addr = k.Bech32(prefix);
  if (!addr.ok()) return addr.status();
  absl::StatusOr<Json> pub = Json::Parse(k.PubKeyJson());
  if (!pub.ok()) return pub.status();
  Json j = Json::Object();
  j.Add("name", Json::Str(k.name));
  j.Add("type", Json::Str("local"));
  j.Add("address", Json::Str(*addr));
  j.Add("pubkey", *std::move(pub));
  j.Add("hd_path", Json::Str(k.hd_path));
  return j;
}

// ---- keys ---------------------------------------------------------------------

absl::StatusOr<std::string> HdPathFromFlags() {
  const std::string path = absl::GetFlag(FLAGS_hd_path);
  if (!path.empty()) {
    absl::StatusOr<std::vector<uint32_t>> p = mesh::client::ParsePath(path);
    if (!p.ok()) return p.status();
    return path;
  }
  const int64_t account = absl::GetFlag(FLAGS_account);
  const int64_t index = absl::GetFlag(FLAGS_index);
  if (account < 0 || account >= mesh::client::kHardened || index < 0 ||
      index >= mesh::client::kHardened) {
    return absl::InvalidArgumentError("--account and --index must be in [0, 2^31)");
  }
  return mesh::client::CosmosPath(static_cast<uint32_t>(account), static_cast<uint32_t>(index));
}

// Stores `mnemonic` under `name` and prints the key (and the new mnemonic).
int AddKey(const std::string& name, const std::string& mnemonic, bool show_mnemonic) {
  absl::StatusOr<std::string> path = HdPathFromFlags();
  if (!path.ok()) return StatusExit(path.status());
  absl::StatusOr<Keyring> kr = OpenKeyring();
  if (!kr.ok()) return StatusExit(kr.status());
  if (absl::Status n = mesh::client::ValidateKeyName(name); !n.ok()) return StatusExit(n);
  if (kr->Show(name).ok()) return Fail(kExitError, "key \"" + name + "\" already exists");
  absl::StatusOr<KeyInfo> info = kr->Add(name, mnemonic, *path);
  if (!info.ok()) {
    return Fail(absl::IsInvalidArgument(info.status()) ? kExitUsage : kExitError,
                std::string(info.status().message()));
  }
  absl::StatusOr<Json> j = KeyJson(*info, AccountPrefix());
  if (!j.ok()) return StatusExit(j.status());
  if (show_mnemonic && JsonOutput()) j->Add("mnemonic", Json::Str(mnemonic));
  const int rc = PrintJson(j->Write());
  if (show_mnemonic && !JsonOutput()) {
    std::cout << "\n**Important** write this mnemonic phrase in a safe place.\n"
                 "It is the only way to recover your account.\n\n"
              << mnemonic << "\n";
  }
  return rc;
}

int KeysAdd(const Invocation& inv) {
  const std::string& name = inv.args[2];
  if (absl::GetFlag(FLAGS_recover)) {
    absl::StatusOr<std::string> m = ReadStdinLine("Enter your bip39 mnemonic: ");
    if (!m.ok()) return StatusExit(m.status());
    return AddKey(name, *m, false);
  }
  const int64_t words = absl::GetFlag(FLAGS_words);
  if (words < 12 || words > 24 || words % 3 != 0) {
    return Fail(kExitUsage, "--words must be 12, 15, 18, 21 or 24");
  }
  absl::StatusOr<std::string> m = mesh::client::GenerateMnemonic(static_cast<int>(words));
  if (!m.ok()) return StatusExit(m.status());
  return AddKey(name, *m, true);
}

int KeysImport(const Invocation& inv) {
  const std::string file = absl::GetFlag(FLAGS_mnemonic_file);
  absl::StatusOr<std::string> m =
      file.empty() ? ReadStdinLine("Enter your bip39 mnemonic: ") : ReadTextFile(file);
  if (!m.ok()) return StatusExit(m.status());
  return AddKey(inv.args[2], *m, false);
}

// Stores a raw private key (64 hex digits, e.g. a devnet key from
// config/keys.json): no mnemonic, no HD path.
int KeysImportHex(const Invocation& inv) {
  const std::string& name = inv.args[2];
  absl::StatusOr<std::string> bytes = mesh::FromHex(inv.args[3]);
  if (!bytes.ok() || bytes->size() != 32) {
    return Fail(kExitUsage, "keys import-hex: the key must be 64 hex digits (32 bytes)");
  }
  absl::StatusOr<Keyring> kr = OpenKeyring();
  if (!kr.ok()) return StatusExit(kr.status());
  absl::StatusOr<KeyInfo> info = kr->AddPrivateKey(name, *bytes);
  if (!info.ok()) {
    if (absl::IsAlreadyExists(info.status())) {
      return Fail(kExitError, std::string(info.status().message()));
    }
    return StatusExit(info.status());
  }
  absl::StatusOr<Json> j = KeyJson(*info, AccountPrefix());
  if (!j.ok()) return StatusExit(j.status());
  return PrintJson(j->Write());
}

int KeysList(const Invocation&) {
  absl::StatusOr<Keyring> kr = OpenKeyring();
  if (!kr.ok()) return StatusExit(kr.status());
  absl::StatusOr<std::vector<KeyInfo>> keys = kr->List();
  if (!keys.ok()) return StatusExit(keys.status());
  const std::string prefix = keys->empty() ? "" : AccountPrefix();
  Json arr = Json::Array();
  for (const KeyInfo& k : *keys) {
    absl::StatusOr<Json> j = KeyJson(k, prefix);
    if (!j.ok()) return StatusExit(j.status());
    arr.Push(*std::move(j));
  }
  return PrintJson(arr.Write());
}

int KeysShow(const Invocation& inv) {
  if (absl::GetFlag(FLAGS_address) && absl::GetFlag(FLAGS_pubkey)) {
    return Fail(kExitUsage, "--address and --pubkey are exclusive");
  }
  absl::StatusOr<Keyring> kr = OpenKeyring();
  if (!kr.ok()) return StatusExit(kr.status());
  absl::StatusOr<KeyInfo> k = kr->Show(inv.args[2]);
  if (!k.ok()) return StatusExit(k.status());
  if (absl::GetFlag(FLAGS_pubkey)) {
    std::cout << k->PubKeyJson() << "\n";
    return kExitOk;
  }
  const std::string prefix = AccountPrefix();
  if (absl::GetFlag(FLAGS_address)) {
    absl::StatusOr<std::string> a = k->Bech32(prefix);
    if (!a.ok()) return StatusExit(a.status());
    std::cout << *a << "\n";
    return kExitOk;
  }
  absl::StatusOr<Json> j = KeyJson(*k, prefix);
  if (!j.ok()) return StatusExit(j.status());
  return PrintJson(j->Write());
}

int KeysDelete(const Invocation& inv) {
  const std::string& name = inv.args[2];
  absl::StatusOr<Keyring> kr = OpenKeyring();
  if (!kr.ok()) return StatusExit(kr.status());
  if (absl::Status s = kr->Show(name).status(); !s.ok()) return StatusExit(s);
  if (!absl::GetFlag(FLAGS_yes)) {
    if (!::isatty(STDIN_FILENO)) return Fail(kExitUsage, "keys delete: pass --yes to confirm");
    absl::StatusOr<std::string> a = ReadStdinLine("Delete key \"" + name + "\"? [y/N] ");
    if (!a.ok() || (*a != "y" && *a != "Y" && *a != "yes")) return Fail(kExitError, "aborted");
  }
  if (absl::Status s = kr->Delete(name); !s.ok()) return StatusExit(s);
  std::cerr << "Key \"" << name << "\" deleted\n";
  return kExitOk;
}

struct KeysCommand {
  std::string name, usage, help;
  size_t nargs;
  std::vector<std::string> flags;
  int (*run)(const Invocation&);
};

const std::vector<KeysCommand>& KeysCommands() {
  static const auto* t = new std::vector<KeysCommand>{
      {"add", "NAME", "create a key from a new 24-word mnemonic (printed once), or --recover one",
       1, {"recover", "account", "index", "hd_path", "words"}, KeysAdd},
      {"import", "NAME", "store a key from a mnemonic in --mnemonic-file (or standard input)",
       1, {"mnemonic_file", "account", "index", "hd_path"}, KeysImport},
      {"import-hex", "NAME HEX", "store a raw secp256k1 private key (64 hex digits; no mnemonic)",
       2, {}, KeysImportHex},
      {"list", "", "list all keys", 0, {}, KeysList},
      {"show", "NAME", "show a key (or only --address / --pubkey)", 1, {"address", "pubkey"},
       KeysShow},
      {"delete", "NAME", "delete a key (asks unless --yes)", 1, {"yes"}, KeysDelete},
  };
  return *t;
}

std::string KeysHelp() {
  std::string out =
      "meshctl keys: local secp256k1 keys from BIP-39 mnemonics (BIP-44 m/44'/118'/A'/0/I)\n\n"
      "Usage: meshctl keys <command> [args] [flags]\n\nCommands:\n";
  for (const KeysCommand& c : KeysCommands()) {
    std::string head = c.name + (c.usage.empty() ? "" : " " + c.usage);
    if (head.size() < 20) head.resize(20, ' ');
    absl::StrAppend(&out, "  ", head, " ", c.help, "\n");
  }
  absl::StrAppend(&out, "\nKeyring flags:\n", FlagHelp(kKeyringFlags), "\n", GlobalFlagHelp(),
                  "Keys are files under HOME/keyring-<backend>/ (0600).\n", kExitCodes);
  return out;
}

std::string KeysCommandHelp(const KeysCommand& c) {
  return absl::StrCat("meshctl keys ", c.name, ": ", c.help, "\n\nUsage: meshctl keys ", c.name,
                      c.usage.empty() ? "" : " " + c.usage, " [flags]\n\n",
                      c.flags.empty() ? "" : "Flags:\n" + FlagHelp(c.flags) + "\n",
                      "Keyring flags:\n", FlagHelp(kKeyringFlags), "\n", GlobalFlagHelp(), kExitCodes);
}

int RunKeys(const Invocation& inv) {
  if (inv.args.size() < 2) {
    if (inv.help) {
      std::cout << KeysHelp();
      return kExitOk;
    }
    return Usage("keys: missing command", "meshctl keys");
  }
  for (const KeysCommand& c : KeysCommands()) {
    if (c.name != inv.args[1]) continue;
    if (inv.help) {
      std::cout << KeysCommandHelp(c);
      return kExitOk;
    }
    const std::string where = "keys " + c.name;
    if (inv.args.size() - 2 != c.nargs) {
      return Usage(absl::StrCat(where, ": expected ", c.nargs, " argument(s) (", c.usage,
                                "), got ", inv.args.size() - 2),
                   "meshctl " + where);
    }
    std::vector<std::string> allowed = c.flags;
    allowed.insert(allowed.end(), kKeyringFlags.begin(), kKeyringFlags.end());
    if (auto err = CheckFlags(inv, allowed, where)) return Usage(*err, "meshctl " + where);
    return c.run(inv);
  }
  return Usage("keys: unknown command \"" + inv.args[1] + "\"", "meshctl keys");
}

// ---- query ----------------------------------------------------------------------

std::string CodeName(grpc::StatusCode c) {
  static const char* kNames[] = {"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
                                 "NotFound", "AlreadyExists", "PermissionDenied",
                                 "ResourceExhausted", "FailedPrecondition", "Aborted",
                                 "OutOfRange", "Unimplemented", "Internal", "Unavailable",
                                 "DataLoss", "Unauthenticated"};
  const int i = static_cast<int>(c);
  return i >= 0 && i < 17 ? kNames[i] : absl::StrCat("Code(", i, ")");
}

std::string QueryHelp() {
  std::string out =
      "meshctl query: query a node's Cosmos and meshsec gRPC services (alias: q)\n\n"
      "Usage: meshctl query <group> <command> [args] [flags]\n\nGroups:\n";
  // Summaries in one column, two spaces after the longest group name.
  size_t width = 0;
  for (const std::string& g : mesh::client::QueryGroups()) width = std::max(width, g.size() + 2);
  for (const std::string& g : mesh::client::QueryGroups()) {
    absl::StrAppend(&out, "  ", g, std::string(width - g.size(), ' '),
                    mesh::client::QueryGroupSummary(g), "\n");
  }
  absl::StrAppend(&out, "\nQuery flags:\n", FlagHelp(kQueryFlags), "\n", GlobalFlagHelp(), kExitCodes);
  return out;
}

std::string QueryGroupHelp(const std::string& group) {
  std::string out = absl::StrCat("meshctl query ", group, ": ",
                                 mesh::client::QueryGroupSummary(group), "\n\nUsage: meshctl query ", group,
                                 " <command> [args] [flags]\n\nCommands:\n");
  for (const QueryCommand& c : mesh::client::QueryCommands()) {
    if (c.group != group) continue;
    std::string head = c.name + (c.usage.empty() ? "" : " " + c.usage);
    // A long head puts the help on the next line, in the same column.
    head.resize(std::max<size_t>(44, head.size()), ' ');
    const bool wrap = head.size() > 44;
    if (wrap) head = absl::StrCat(absl::StripTrailingAsciiWhitespace(head), "\n", std::string(47, ' '));
    absl::StrAppend(&out, "  ", head, wrap ? "" : " ", c.help, c.paginated ? " [paginated]" : "",
                    "\n");
  }
  absl::StrAppend(&out, "\nQuery flags:\n", FlagHelp(kQueryFlags), "\n", GlobalFlagHelp(), kExitCodes);
  return out;
}

const std::vector<std::string>& PageFlagsOf(const QueryCommand& c) {
  static const std::vector<std::string> kNone;
  if (!c.paginated) return kNone;
  return c.page_key_limit_only ? kBasicPageFlags : kPageFlags;
}

std::string QueryCommandHelp(const QueryCommand& c) {
  return absl::StrCat(
      "meshctl query ", c.group, " ", c.name, ": ", c.help, "\n\nUsage: meshctl query ", c.group,
      " ", c.name, c.usage.empty() ? "" : " " + c.usage, " [flags]\ngRPC method: ", c.method,
      "\n\n",
      c.fields.empty() ? ""
                       : "Request flags (a flag may stand for the argument of its name):\n" +
                             FlagHelp(c.fields) + "\n",
      c.paginated ? "Pagination flags:\n" + FlagHelp(PageFlagsOf(c)) + "\n" : "",
      "Query flags:\n", FlagHelp(kQueryFlags), "\n", GlobalFlagHelp(), kExitCodes);
}

int RunQueryCommand(const QueryCommand& c, const Invocation& inv) {
  const std::string where = "query " + c.group + " " + c.name;
  const size_t n = inv.args.size() - 3;
  if (n < c.min_args || n > c.max_args) {
    return Usage(absl::StrCat(where, ": expected arguments ", c.usage.empty() ? "(none)" : c.usage,
                              ", got ", n),
                 "meshctl " + where);
  }
  std::vector<std::string> allowed = kQueryFlags;
  const std::vector<std::string>& page_flags = PageFlagsOf(c);
  allowed.insert(allowed.end(), page_flags.begin(), page_flags.end());
  allowed.insert(allowed.end(), c.fields.begin(), c.fields.end());
  if (auto err = CheckFlags(inv, allowed, where)) return Usage(*err, "meshctl " + where);
  if (absl::GetFlag(FLAGS_height) < 0) return Usage("--height must be >= 0", "meshctl " + where);
  mesh::client::QueryArgs qa;
  qa.args.assign(inv.args.begin() + 3, inv.args.end());
  for (const std::string& f : c.fields) {
    if (inv.flags.count(f) == 0) continue;
    std::string value;
    if (const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(f); flag != nullptr) {
      value = flag->CurrentValue();
    }
    if (value.empty()) return Usage("--" + Dashed(f) + " is empty", "meshctl " + where);
    qa.fields[f] = value;
  }
  qa.page.limit = absl::GetFlag(FLAGS_limit);
  qa.page.offset = absl::GetFlag(FLAGS_offset);
  qa.page.count_total = absl::GetFlag(FLAGS_count_total);
  qa.page.reverse = absl::GetFlag(FLAGS_reverse);
  const std::string page_key = absl::GetFlag(FLAGS_page_key);
  if (!page_key.empty() && !absl::Base64Unescape(page_key, &qa.page.key)) {
    return Usage("--page-key must be base64 (as next_key is printed)", "meshctl " + where);
  }
  if (!qa.page.key.empty() && qa.page.offset > 0) {
    return Usage("--page-key and --offset are exclusive", "meshctl " + where);
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> req = c.build(qa);
  if (!req.ok()) return Usage(std::string(req.status().message()), "meshctl " + where);

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  if (const int64_t h = absl::GetFlag(FLAGS_height); h > 0) {
    ctx.AddMetadata("x-cosmos-block-height", std::to_string(h));
  }
  mesh::client::RpcResult res = c.call(**req, NodeChannel(), &ctx);
  if (!res.status.ok()) {
    std::cerr << "meshctl: rpc error: code = " << CodeName(res.status.error_code())
              << " desc = " << res.status.error_message() << "\n";
    return res.status.error_code() == grpc::StatusCode::NOT_FOUND ? kExitNotFound : kExitError;
  }
  absl::StatusOr<std::string> json = mesh::client::ToProtoJson(*res.response);
  if (!json.ok()) return Fail(kExitError, std::string(json.status().message()));
  return PrintJson(*json);
}

int RunQuery(const Invocation& inv) {
  if (inv.args.size() < 2) {
    if (inv.help) {
      std::cout << QueryHelp();
      return kExitOk;
    }
    return Usage("query: missing group", "meshctl query");
  }
  const std::string& group = inv.args[1];
  const auto groups = mesh::client::QueryGroups();
  if (std::find(groups.begin(), groups.end(), group) == groups.end()) {
    return Usage("query: unknown group \"" + group + "\"", "meshctl query");
  }
  if (inv.args.size() < 3) {
    if (inv.help) {
      std::cout << QueryGroupHelp(group);
      return kExitOk;
    }
    return Usage("query " + group + ": missing command", "meshctl query " + group);
  }
  const QueryCommand* c = mesh::client::FindQueryCommand(group, inv.args[2]);
  if (c == nullptr) {
    return Usage("query " + group + ": unknown command \"" + inv.args[2] + "\"",
                 "meshctl query " + group);
  }
  if (inv.help) {
    std::cout << QueryCommandHelp(*c);
    return kExitOk;
  }
  return RunQueryCommand(*c, inv);
}

// ---- tx ---------------------------------------------------------------------------

using mesh::client::TxCommand;

const std::vector<std::string> kTxFlags = {"from", "chain_id",       "fees",          "gas",
                                           "memo", "broadcast_mode", "generate_only", "dry_run",
                                           "yes",  "account_number", "sequence"};

constexpr char kTxExitCodes[] =
    "Exit codes: 0 delivered with code 0 (sync: accepted); 1 rpc error, or the tx failed\n"
    "            (code, codespace and log on stderr); 2 usage error (bad argument, flag,\n"
    "            amount, address or key name).\n";

std::string TxName(const TxCommand& c) { return c.name.empty() ? c.group : c.group + " " + c.name; }

std::string TxUsageLine(const TxCommand& c) {
  std::string args = c.usage;
  if (c.group == "bank" && c.name == "send") args = "[FROM_KEY] " + args;
  return absl::StrCat("meshctl tx ", TxName(c), args.empty() ? "" : " " + args,
                      c.group == "bank" && c.name == "send" ? "" : " --from KEY", " [flags]");
}

std::string TxHelp() {
  std::string out =
      "meshctl tx: build, sign (SIGN_MODE_DIRECT) and broadcast a Cosmos SDK transaction\n\n"
      "Usage: meshctl tx <group> <command> [args] --from KEY [flags]\n\nGroups:\n";
  for (const std::string& g : mesh::client::TxGroups()) {
    absl::StrAppend(&out, "  ", g, std::string(14 - g.size(), ' '), mesh::client::TxGroupSummary(g),
                    "\n");
  }
  absl::StrAppend(&out, "\nTx flags:\n", FlagHelp(kTxFlags), "\nKeyring flags:\n",
                  FlagHelp(kKeyringFlags), "\n", GlobalFlagHelp(), kTxExitCodes);
  return out;
}

std::string TxGroupHelp(const std::string& group) {
  std::string out = absl::StrCat("meshctl tx ", group, ": ", mesh::client::TxGroupSummary(group),
                                 "\n\nUsage: meshctl tx ", group,
                                 " <command> [args] --from KEY [flags]\n\nCommands:\n");
  for (const TxCommand& c : mesh::client::TxCommands()) {
    if (c.group != group) continue;
    std::string head = c.name + (c.usage.empty() ? "" : " " + c.usage);
    head.resize(std::max<size_t>(40, head.size()), ' ');
    absl::StrAppend(&out, "  ", head, " ", c.help, "\n");
  }
  absl::StrAppend(&out, "\nTx flags:\n", FlagHelp(kTxFlags), "\n", GlobalFlagHelp(), kTxExitCodes);
  return out;
}

std::string TxCommandHelp(const TxCommand& c) {
  return absl::StrCat("meshctl tx ", TxName(c), ": ", c.help, "\n\nUsage: ", TxUsageLine(c),
                      "\nMessage: ", c.msg_type.empty() ? "(any)" : c.msg_type, "\n\n",
                      c.flags.empty() ? "" : "Command flags:\n" + FlagHelp(c.flags) + "\n",
                      "Tx flags:\n", FlagHelp(kTxFlags), "\nKeyring flags:\n",
                      FlagHelp(kKeyringFlags), "\n", GlobalFlagHelp(), kTxExitCodes);
}

int RpcFail(const absl::Status& s) {
  return Fail(kExitError,
              absl::StrCat("rpc error: code = ", CodeName(static_cast<grpc::StatusCode>(s.code())),
                           " desc = ", s.message()));
}

// The signer: a key of the keyring (its address with the chain's prefix);
// with --generate-only, an account address is accepted too.
struct Signer {
  std::string address;
  std::string prefix;
  std::optional<KeyInfo> key;
};

absl::StatusOr<Signer> ResolveSigner(const std::string& from) {
  Signer s;
  if (absl::GetFlag(FLAGS_generate_only)) {
    if (absl::StatusOr<mesh::Bech32Decoded> d = mesh::Bech32Decode(from); d.ok()) {
      s.address = from;
      s.prefix = d->hrp;
      return s;
    }
  }
  absl::StatusOr<Keyring> kr = OpenKeyring();
  if (!kr.ok()) return kr.status();
  absl::StatusOr<KeyInfo> k = kr->Show(from);
  if (!k.ok()) return absl::InvalidArgumentError(std::string(k.status().message()));
  s.prefix = AccountPrefix();
  absl::StatusOr<std::string> a = k->Bech32(s.prefix);
  if (!a.ok()) return a.status();
  s.address = *a;
  s.key = *std::move(k);
  return s;
}

absl::StatusOr<std::vector<mesh::node::FeeCoin>> FeesFromFlag() {
  absl::StatusOr<std::vector<mesh::client::Coin>> coins =
      mesh::client::ParseCoins(absl::GetFlag(FLAGS_fees));
  if (!coins.ok())
    return absl::InvalidArgumentError(absl::StrCat("--fees: ", coins.status().message()));
  std::vector<mesh::node::FeeCoin> out;
  for (const auto& c : *coins) {
    absl::StatusOr<mesh::Amount> a = mesh::Amount::Parse(c.amount);
    if (!a.ok()) return absl::InvalidArgumentError("--fees: " + std::string(a.status().message()));
    out.push_back({c.denom, *a});
  }
  return out;
}

int PrintTxResult(const mesh::client::BroadcastResult& r) {
  Json j = Json::Object();
  j.Add("code", Json::U64(r.code));
  j.Add("codespace", Json::Str(r.codespace));
  j.Add("log", Json::Str(r.log));
  j.Add("height", Json::Str(std::to_string(r.height)));
  j.Add("txhash", Json::Str(r.txhash));
  j.Add("gas_wanted", Json::Str(std::to_string(r.gas_wanted)));
  j.Add("gas_used", Json::Str(std::to_string(r.gas_used)));
  PrintJson(j.Write());
  if (r.code == 0) return kExitOk;
  return Fail(kExitError, absl::StrCat("tx failed: code = ", r.code, " codespace = ", r.codespace,
                                       " log = ", r.log));
}

// Asks on a terminal unless --yes; never asks when standard input is not a
// terminal (scripts).
bool Confirm(const std::string& tx_json) {
  if (absl::GetFlag(FLAGS_yes) || !::isatty(STDIN_FILENO)) return true;
  std::cerr << tx_json << "\n";
  absl::StatusOr<std::string> a =
      ReadStdinLine("confirm transaction before signing and broadcasting [y/N]: ");
  return a.ok() && (*a == "y" || *a == "Y" || *a == "yes");
}

int RunTxCommand(const TxCommand& c, const Invocation& inv, size_t first_arg) {
  const std::string where = "tx " + TxName(c);
  const std::string hint = "meshctl " + where;
  std::vector<std::string> args(inv.args.begin() + first_arg, inv.args.end());
  std::string from = absl::GetFlag(FLAGS_from);
  const bool send = c.group == "bank" && c.name == "send";
  if (send && args.size() == c.max_args + 1) {
    if (inv.flags.count("from"))
      return Usage("give the sender as FROM_KEY or --from, not both", hint);
    from = args.front();
    args.erase(args.begin());
  }
  if (args.size() < c.min_args || args.size() > c.max_args) {
    return Usage(absl::StrCat(where, ": expected arguments ", c.usage.empty() ? "(none)" : c.usage,
                              ", got ", args.size()),
                 hint);
  }
  std::vector<std::string> allowed = kTxFlags;
  allowed.insert(allowed.end(), c.flags.begin(), c.flags.end());
  allowed.insert(allowed.end(), kKeyringFlags.begin(), kKeyringFlags.end());
  if (auto err = CheckFlags(inv, allowed, where)) return Usage(*err, hint);
  if (from.empty()) return Usage(where + ": --from is required", hint);
  const std::string mode_flag = absl::GetFlag(FLAGS_broadcast_mode);
  if (mode_flag != "block" && mode_flag != "sync") {
    return Usage("--broadcast-mode must be block or sync", hint);
  }
  const auto mode = mode_flag == "block" ? mesh::client::BroadcastMode::kBlock
                                         : mesh::client::BroadcastMode::kSync;
  if (absl::GetFlag(FLAGS_generate_only) && absl::GetFlag(FLAGS_dry_run)) {
    return Usage("--generate-only and --dry-run are exclusive", hint);
  }
  absl::StatusOr<std::vector<mesh::node::FeeCoin>> fees = FeesFromFlag();
  if (!fees.ok()) return Usage(std::string(fees.status().message()), hint);

  absl::StatusOr<Signer> signer = ResolveSigner(from);
  if (!signer.ok()) {
    return absl::IsInvalidArgument(signer.status())
               ? Usage(std::string(signer.status().message()), hint)
               : StatusExit(signer.status());
  }
  mesh::client::TxArgs ta;
  ta.args = args;
  ta.signer = signer->address;
  ta.prefix = signer->prefix;
  ta.msg_json = inv.msg_json;
  for (const std::string& f : c.flags) {
    if (inv.flags.count(f) == 0 || f == "msg_json") continue;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(f);
    ta.flags[f] = flag != nullptr ? flag->CurrentValue() : "";
  }
  absl::StatusOr<std::vector<mesh::node::Msg>> msgs = c.build(ta);
  if (!msgs.ok()) return Usage(where + ": " + std::string(msgs.status().message()), hint);

  mesh::node::TxSpec spec;
  spec.msgs = *std::move(msgs);
  spec.fee = *std::move(fees);
  spec.gas_limit = absl::GetFlag(FLAGS_gas);
  spec.memo = absl::GetFlag(FLAGS_memo);
  if (absl::GetFlag(FLAGS_generate_only)) {
    absl::StatusOr<std::string> json = mesh::client::UnsignedTxJson(spec);
    if (!json.ok()) return Fail(kExitError, std::string(json.status().message()));
    return PrintJson(*json);
  }

  const int timeout = static_cast<int>(absl::GetFlag(FLAGS_timeout_ms));
  auto channel = NodeChannel();
  spec.chain_id = absl::GetFlag(FLAGS_chain_id);
  if (spec.chain_id.empty()) {
    absl::StatusOr<std::string> id = mesh::client::FetchChainId(channel, timeout);
    if (!id.ok()) return RpcFail(id.status());
    spec.chain_id = *id;
  }
  const int64_t acc_flag = absl::GetFlag(FLAGS_account_number);
  const int64_t seq_flag = absl::GetFlag(FLAGS_sequence);
  if (acc_flag < -1 || seq_flag < -1)
    return Usage("--account-number and --sequence must be >= 0", hint);
  if (acc_flag >= 0 && seq_flag >= 0) {
    spec.account_number = static_cast<uint64_t>(acc_flag);
    spec.sequence = static_cast<uint64_t>(seq_flag);
  } else {
    absl::StatusOr<mesh::client::AccountState> acc =
        mesh::client::FetchAccount(channel, signer->address, timeout);
    if (!acc.ok()) return RpcFail(acc.status());
    spec.account_number = acc_flag >= 0 ? static_cast<uint64_t>(acc_flag) : acc->account_number;
    spec.sequence = seq_flag >= 0 ? static_cast<uint64_t>(seq_flag) : acc->sequence;
  }

  absl::StatusOr<Keyring> kr = OpenKeyring();
  if (!kr.ok()) return StatusExit(kr.status());
  absl::StatusOr<std::array<uint8_t, 32>> priv = kr->PrivateKey(signer->key->name);
  if (!priv.ok()) return StatusExit(priv.status());
  absl::StatusOr<mesh::PrivateKey> key = mesh::PrivateKey::FromBytes(
      std::string_view(reinterpret_cast<const char*>(priv->data()), priv->size()));
  if (!key.ok()) return StatusExit(key.status());

  const std::string raw = mesh::node::SignTx(*key, spec).Encode();
  absl::StatusOr<std::string> signed_json = mesh::client::SignedTxJson(raw);
  if (!signed_json.ok()) return Fail(kExitError, std::string(signed_json.status().message()));
  if (absl::GetFlag(FLAGS_dry_run)) {
    std::cerr << "meshctl: dry run: chain " << spec.chain_id << ", account number "
              << spec.account_number << ", sequence " << spec.sequence << "; not broadcast\n";
    return PrintJson(*signed_json);
  }
  if (!Confirm(*signed_json)) return Fail(kExitError, "canceled");

  // A sequence taken from the node can be stale (a tx of the same account
  // queued meanwhile): signed again once with the one the node expects.
  std::string note;
  mesh::client::BroadcastResult r = mesh::client::SignAndSend(
      *key, &spec, seq_flag < 0,
      [&](const std::string& tx_raw) {
        return mesh::client::Broadcast(channel, tx_raw, mode, timeout);
      },
      &note);
  if (!note.empty()) std::cerr << "meshctl: note: " << note << "\n";
  if (!r.rpc.ok()) {
    return Fail(kExitError, absl::StrCat("rpc error: code = ", CodeName(r.rpc.error_code()),
                                         " desc = ", r.rpc.error_message()));
  }
  return PrintTxResult(r);
}

int RunTx(const Invocation& inv) {
  if (inv.args.size() < 2) {
    if (inv.help) {
      std::cout << TxHelp();
      return kExitOk;
    }
    return Usage("tx: missing group", "meshctl tx");
  }
  const std::string& group = inv.args[1];
  const auto groups = mesh::client::TxGroups();
  if (std::find(groups.begin(), groups.end(), group) == groups.end()) {
    return Usage("tx: unknown group \"" + group + "\"", "meshctl tx");
  }
  if (group == "raw") {
    const TxCommand* c = mesh::client::FindTxCommand("raw", "");
    if (inv.help) {
      std::cout << TxCommandHelp(*c);
      return kExitOk;
    }
    return RunTxCommand(*c, inv, 2);
  }
  if (inv.args.size() < 3) {
    if (inv.help) {
      std::cout << TxGroupHelp(group);
      return kExitOk;
    }
    return Usage("tx " + group + ": missing command", "meshctl tx " + group);
  }
  const TxCommand* c = mesh::client::FindTxCommand(group, inv.args[2]);
  if (c == nullptr) {
    return Usage("tx " + group + ": unknown command \"" + inv.args[2] + "\"",
                 "meshctl tx " + group);
  }
  if (inv.help) {
    std::cout << TxCommandHelp(*c);
    return kExitOk;
  }
  return RunTxCommand(*c, inv, 3);
}

std::string TopHelp() {
  return absl::StrCat(
      "meshctl: command-line client of meshd\n\n"
      "Usage:\n"
      "  meshctl keys <command> [args] [flags]          local keys (add, import, import-hex, list,\n"
      "                                                 show, delete)\n"
      "  meshctl query <group> <command> [args] [flags] gRPC queries (bank, auth, staking, tendermint,\n"
      "                                                 provider, consumer, mesh)\n"
      "  meshctl tx <group> <command> [args] --from KEY transactions (bank, staking, distribution,\n"
      "                                                 slashing, vault, local, external, consumer,\n"
      "                                                 provider, raw)\n"
      "  meshctl <anything> --help                      help for that group or command\n\n",
      GlobalFlagHelp(), kExitCodes);
}

}  // namespace

int main(int argc, char** argv) {
  Invocation inv;
  if (auto err = ParseArgs(argc, argv, &inv)) return Usage(*err, "meshctl");
  if (inv.args.empty()) {
    if (inv.help) {
      std::cout << TopHelp();
      return kExitOk;
    }
    return Usage("missing command", "meshctl");
  }
  const std::string& group = inv.args[0];
  if (group == "keys") return RunKeys(inv);
  if (group == "query" || group == "q") return RunQuery(inv);
  if (group == "tx") return RunTx(inv);
  return Usage("unknown command \"" + group + "\"", "meshctl");
}
