// Transactions in the Cosmos SDK format (docs/transactions.md).
//
// Wire form: cosmos.tx.v1beta1.TxRaw{body_bytes, auth_info_bytes,
// signatures}, with
//   TxBody   {messages: repeated Any, memo, timeout_height}
//   AuthInfo {signer_infos: [1]{public_key: Any(/cosmos.crypto.secp256k1.PubKey),
//             mode_info: single SIGN_MODE_DIRECT, sequence},
//             fee {amount, gas_limit}}
// using the C++ generated from the Cosmos SDK's own .proto files. One signer
// per tx. SIGN_MODE_DIRECT: the signature is a 64-byte low-S compact
// secp256k1 signature over SHA-256 of the serialized
//   SignDoc{body_bytes, auth_info_bytes, chain_id, account_number}
// where body_bytes and auth_info_bytes are the bytes received (never
// re-serialized). The signer's address is bech32(prefix,
// RIPEMD160(SHA256(compressed pubkey))).
//
// Messages are google.protobuf.Any values keyed by type URL
// ("/cosmos.bank.v1beta1.MsgSend", "/meshsec.v1.MsgVaultBond", ...).
// MsgFromJson builds one from the protobuf JSON mapping with "@type".
#ifndef MESHSEC_NODE_TX_H_
#define MESHSEC_NODE_TX_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/crypto.h"

namespace google::protobuf {
class Message;
}

namespace mesh::node {

inline constexpr std::string_view kSecp256k1PubKeyType = "/cosmos.crypto.secp256k1.PubKey";
// Gas limit of SignTx when the spec leaves it at 0 (tests, harness, runner).
inline constexpr uint64_t kDefaultGasLimit = 10'000'000;

// A message: a google.protobuf.Any.
struct Msg {
  std::string type_url;
  std::string value;  // the serialized message
};

struct FeeCoin {
  std::string denom;
  Amount amount;
};

// What a client signs (SignTx).
struct TxSpec {
  std::string chain_id;
  uint64_t account_number = 0;
  uint64_t sequence = 0;
  std::vector<Msg> msgs;
  std::vector<FeeCoin> fee;
  uint64_t gas_limit = 0;  // 0: kDefaultGasLimit
  std::string memo;
  uint64_t timeout_height = 0;
};

// A decoded tx: the received bytes and the fields the chain checks.
struct SignedTx {
  std::string wire;             // the TxRaw bytes
  std::string body_bytes;       // TxRaw.body_bytes, as received
  std::string auth_info_bytes;  // TxRaw.auth_info_bytes, as received
  std::string signature;        // TxRaw.signatures[0] (64 bytes when well-formed)
  std::vector<Msg> msgs;
  std::string memo;
  uint64_t timeout_height = 0;
  std::string pubkey;  // 33-byte compressed secp256k1
  uint64_t sequence = 0;
  std::vector<FeeCoin> fee;
  uint64_t gas_limit = 0;

  // The SignDoc bytes for `chain_id` and `account_number`.
  std::string SignBytes(std::string_view chain_id, uint64_t account_number) const;
  // The TxRaw bytes (`wire`).
  const std::string& Encode() const { return wire; }
  // The same tx with another signature (`wire` re-encoded); an empty one
  // is what SimulateTx accepts without a signature check.
  SignedTx WithSignature(std::string signature) const;
  // Strict decoding (unknown fields, several signers, another sign mode or
  // key type, fee payer/granter, extension options: InvalidArgument).
  static absl::StatusOr<SignedTx> Decode(std::string_view wire);
};

// Serialized cosmos.tx.v1beta1.SignDoc.
std::string SignDocBytes(std::string_view body_bytes, std::string_view auth_info_bytes,
                         std::string_view chain_id, uint64_t account_number);

// Builds, signs (SIGN_MODE_DIRECT) and returns the decoded form of `spec`.
SignedTx SignTx(const PrivateKey& key, const TxSpec& spec);

// An Any holding `msg` (type URL "/" + full name).
Msg PackMsg(const google::protobuf::Message& msg);
// A message from the protobuf JSON mapping with "@type" (any Cosmos or
// meshsec.v1 message compiled into mesh_cosmos_proto), e.g.
//   {"@type":"/cosmos.bank.v1beta1.MsgSend","from_address":"...",...}
// Unknown fields are an error. When `default_signer` is not empty, the
// message's empty account signer field (sender, authority, from_address or
// delegator_address, whichever it has) is set to it. A message builder
// only: the result is signed like any other message.
absl::StatusOr<Msg> MsgFromJson(std::string_view json, std::string_view default_signer = "");
// The protobuf JSON (with "@type") of a message; for logs and tools.
absl::StatusOr<std::string> MsgToJson(const Msg& msg);

// Strict decoding of a message body: unknown fields (at any depth) are an
// InvalidArgument error, like the SDK's unknown-field rejection.
absl::Status UnpackStrict(std::string_view bytes, google::protobuf::Message* out);

}  // namespace mesh::node

#endif  // MESHSEC_NODE_TX_H_
