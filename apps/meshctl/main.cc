// meshctl: the command-line client of meshd (docs/meshctl.md).
//
//   meshctl keys add|import|list|show|delete ...   local keys (BIP-39/32/44)
//   meshctl query <group> <command> [args]          Cosmos and meshsec gRPC queries
//
// Commands are table entries: kKeysCommands below and the query table in
// client/query_commands.cc. Flags are Abseil flags, written with dashes
// (--page-key); each command accepts the global flags plus its own.
// Exit codes: 0 ok, 1 error (RPC errors print the gRPC status code and
// message), 2 usage error, 3 not found.
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
#include "core/json.h"

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
ABSL_FLAG(bool, yes, false, "keys delete: do not ask for confirmation");
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
ABSL_FLAG(std::string, validator, "", "mesh queries: the (consumer) validator operator address");
ABSL_FLAG(std::string, status, "",
          "query mesh validators: only this bond status (BOND_STATUS_BONDED, ...)");

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
      "count_total", "reverse", "user", "consumer", "provider", "validator", "status"};
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
    if (head.size() < 14) head.resize(14, ' ');
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
  for (const std::string& g : mesh::client::QueryGroups()) {
    absl::StrAppend(&out, "  ", g, std::string(12 - g.size(), ' '),
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

std::string TopHelp() {
  return absl::StrCat(
      "meshctl: command-line client of meshd\n\n"
      "Usage:\n"
      "  meshctl keys <command> [args] [flags]          local keys (add, import, list, show, delete)\n"
      "  meshctl query <group> <command> [args] [flags] gRPC queries (bank, auth, staking, tendermint,\n"
      "                                                 provider, consumer, mesh)\n"
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
  return Usage("unknown command \"" + group + "\"", "meshctl");
}
