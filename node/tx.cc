#include "node/tx.h"

#include "core/codec.h"
#include "core/status.h"

namespace mesh::node {
namespace {
constexpr std::string_view kDomain = "meshsec-tx/v1";

absl::StatusOr<Tx> DecodeSignBytes(std::string_view bytes) {
  Decoder d(bytes);
  MESH_ASSIGN_OR_RETURN(std::string domain, d.Str());
  if (domain != kDomain) return absl::InvalidArgumentError("tx: unknown domain " + domain);
  Tx tx;
  MESH_ASSIGN_OR_RETURN(tx.chain_id, d.Str());
  MESH_ASSIGN_OR_RETURN(tx.pubkey, d.Bytes());
  MESH_ASSIGN_OR_RETURN(tx.nonce, d.U64());
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  if (n > 64) return absl::InvalidArgumentError("tx: too many messages");
  for (uint32_t i = 0; i < n; ++i) {
    Msg m;
    MESH_ASSIGN_OR_RETURN(m.type, d.Str());
    MESH_ASSIGN_OR_RETURN(m.body, d.Bytes());
    tx.msgs.push_back(std::move(m));
  }
  MESH_RETURN_IF_ERROR(d.Finish());
  return tx;
}
}  // namespace

std::string Tx::SignBytes() const {
  Encoder e;
  e.Str(kDomain).Str(chain_id).Bytes(pubkey).U64(nonce).U32(static_cast<uint32_t>(msgs.size()));
  for (const Msg& m : msgs) e.Str(m.type).Bytes(m.body);
  return e.Take();
}

std::string SignedTx::Encode() const {
  Encoder e;
  e.Bytes(tx.SignBytes()).Bytes(signature);
  return e.Take();
}

absl::StatusOr<SignedTx> SignedTx::Decode(std::string_view wire) {
  Decoder d(wire);
  MESH_ASSIGN_OR_RETURN(std::string sign_bytes, d.Bytes());
  SignedTx out;
  MESH_ASSIGN_OR_RETURN(out.signature, d.Bytes());
  MESH_RETURN_IF_ERROR(d.Finish());
  MESH_ASSIGN_OR_RETURN(out.tx, DecodeSignBytes(sign_bytes));
  return out;
}

SignedTx SignTx(const PrivateKey& key, Tx tx) {
  tx.pubkey = key.PublicKey();
  SignedTx out;
  out.signature = key.Sign(tx.SignBytes());
  out.tx = std::move(tx);
  return out;
}

}  // namespace mesh::node
