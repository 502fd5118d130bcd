// Signed transactions.
//
// A Tx carries the chain id, the signer's 33-byte compressed secp256k1 public
// key, the signer's next nonce and a list of messages. Each message is a type
// name (e.g. "staking/delegate") and a body whose meaning the message's
// handler defines (JSON text for the built-in messages).
//
// Sign bytes (canonical, never protobuf):
//   "meshsec-tx/v1" str(chain_id) bytes(pubkey) u64(nonce) u32(n)
//   n * ( str(type) bytes(body) )
// using core/codec.h's grammar. The signature is a compact 64-byte low-S
// ECDSA signature over SHA-256(sign bytes).
#ifndef MESHSEC_NODE_TX_H_
#define MESHSEC_NODE_TX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/crypto.h"

namespace mesh::node {

struct Msg {
  std::string type;
  std::string body;
};

struct Tx {
  std::string chain_id;
  std::string pubkey;  // 33 bytes
  uint64_t nonce = 0;
  std::vector<Msg> msgs;
  std::string SignBytes() const;
};

struct SignedTx {
  Tx tx;
  std::string signature;  // 64 bytes
  // Wire form: bytes(sign bytes) bytes(signature).
  std::string Encode() const;
  static absl::StatusOr<SignedTx> Decode(std::string_view wire);
};

SignedTx SignTx(const PrivateKey& key, Tx tx);

}  // namespace mesh::node

#endif  // MESHSEC_NODE_TX_H_
