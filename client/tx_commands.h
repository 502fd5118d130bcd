// The meshctl tx table: one entry per `meshctl tx <group> <command>`, each a
// name, its usage and help, the command flags it reads, and a message
// builder from the arguments (docs/meshctl.md, "Transactions"). Adding a
// transaction command is one entry in tx_commands.cc.
//
// Builders are pure: positional arguments and flag values in, the tx
// messages (google.protobuf.Any, node::Msg) out, the signer field filled
// with the --from key's address (or its validator operator address).
// A bad argument (amount, coin, address, decimal, key) is InvalidArgument,
// which meshctl reports as a usage error (exit 2).
//
// Also the broadcaster: one function (Broadcast) sends signed TxRaw bytes
// to the node, today through meshsec.v1.Tx/BroadcastTx.
#ifndef MESHSEC_CLIENT_TX_COMMANDS_H_
#define MESHSEC_CLIENT_TX_COMMANDS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/tx.h"

namespace mesh::client {

struct TxArgs {
  std::vector<std::string> args;             // positional, after the command name
  std::map<std::string, std::string> flags;  // command flags given: name -> value
  std::vector<std::string> msg_json;         // --msg-json values, in order (tx raw)
  std::string signer;                        // bech32 account address of --from
  std::string prefix;                        // the chain's account prefix ("chaina")
};

struct TxCommand {
  using BuildFn = std::function<absl::StatusOr<std::vector<node::Msg>>(const TxArgs&)>;
  std::string group;     // "vault"
  std::string name;      // "bond"
  std::string usage;     // "AMOUNT"
  std::string help;      // one line
  std::string msg_type;  // the type URL built ("" for tx raw: any)
  size_t min_args = 0;
  size_t max_args = 0;
  std::vector<std::string> flags;  // command flags (underscore names) the builder reads
  BuildFn build;
};

const std::vector<TxCommand>& TxCommands();
std::vector<std::string> TxGroups();
std::string TxGroupSummary(const std::string& group);
const TxCommand* FindTxCommand(const std::string& group, const std::string& name);

// ---- argument parsing (InvalidArgument on bad input) ----

// A u128 decimal integer ("1000").
absl::StatusOr<std::string> ParseIntAmount(const std::string& s, const std::string& what);
struct Coin {
  std::string denom;
  std::string amount;
};
// "<amount><denom>" ("1000uchaina"); denoms as the SDK's
// [a-zA-Z][a-zA-Z0-9/:._-]{2,127}.
absl::StatusOr<Coin> ParseCoin(const std::string& s);
// Comma-separated coins ("10uatom,5stake"); an empty string is no coin.
absl::StatusOr<std::vector<Coin>> ParseCoins(const std::string& s);
// A decimal ("0.1", "1") as the SDK's cosmos.Dec wire form: the integer
// scaled by 10^18 ("100000000000000000"); at most 18 fractional digits.
absl::StatusOr<std::string> DecToSdkWire(const std::string& s);
// A decimal kept in the 18-place point form ("1.5" -> "1.500000000000000000").
absl::StatusOr<std::string> DecPoint18(const std::string& s);
// A bech32 address whose human-readable part is `hrp` (or ends with
// "valoper" when `hrp` is "*valoper", any when empty).
absl::Status CheckAddress(const std::string& addr, const std::string& hrp, const std::string& what);
// The validator operator address (<prefix>valoper) of an account address.
absl::StatusOr<std::string> ValoperOf(const std::string& account);
// 32 bytes given as hex (64 digits) or base64.
absl::StatusOr<std::string> ParseKey32(const std::string& s, const std::string& what);

// ---- signing and broadcasting ----

enum class BroadcastMode { kSync, kBlock };

struct BroadcastResult {
  grpc::Status rpc;  // transport / server error (not a tx failure)
  uint32_t code = 0;
  std::string codespace;
  std::string log;
  uint64_t height = 0;
  std::string txhash;
  uint64_t gas_wanted = 0;
  uint64_t gas_used = 0;
};

// Sends signed TxRaw bytes. The only place that knows the broadcast
// service: switching to cosmos.tx.v1beta1.Service/BroadcastTx is this one
// function.
BroadcastResult Broadcast(const std::shared_ptr<grpc::Channel>& channel, const std::string& tx_raw,
                          BroadcastMode mode, int timeout_ms);

// The chain id in cosmos.base.tendermint.v1beta1.Service/GetNodeInfo
// (default_node_info.network).
absl::StatusOr<std::string> FetchChainId(const std::shared_ptr<grpc::Channel>& channel,
                                         int timeout_ms);
struct AccountState {
  uint64_t account_number = 0;
  uint64_t sequence = 0;
};
// The account number (cosmos.auth.v1beta1.Query/Account) and the next
// sequence counting the node's queued txs (meshsec.v1.Query/Account).
// NotFound when the chain has no account for `address`.
absl::StatusOr<AccountState> FetchAccount(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& address, int timeout_ms);
// The expected sequence of an "account sequence mismatch, expected N, ..."
// log (code 32), or -1.
int64_t ExpectedSequence(const std::string& log);

// Signs `spec` and sends it with `send` (Broadcast bound to a channel;
// tests pass a fake). When the node refuses the sequence (codespace "sdk",
// code 32) and `may_resign` (the sequence came from the node, not from
// --sequence), signs once more with the sequence its log names and sends
// again; `spec->sequence` is then that one and `*note` says so.
using SendFn = std::function<BroadcastResult(const std::string& tx_raw)>;
BroadcastResult SignAndSend(const PrivateKey& key, node::TxSpec* spec, bool may_resign,
                            const SendFn& send, std::string* note);

// The unsigned tx as the SDK's cosmos.tx.v1beta1.Tx JSON (body with the
// messages, auth_info with the fee, no signer infos or signatures) — what
// `--generate-only` prints.
absl::StatusOr<std::string> UnsignedTxJson(const node::TxSpec& spec);
// A signed TxRaw as cosmos.tx.v1beta1.Tx JSON (for --dry-run).
absl::StatusOr<std::string> SignedTxJson(const std::string& tx_raw);

}  // namespace mesh::client

#endif  // MESHSEC_CLIENT_TX_COMMANDS_H_
