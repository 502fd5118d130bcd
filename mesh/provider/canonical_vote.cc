#include "mesh/provider/canonical_vote.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/status.h"

namespace mesh::provider {
namespace {

// Protobuf varint of the 64-bit two's complement (int32/int64 fields are
// sign-extended to 64 bits, so negatives take 10 bytes).
void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutFixed64(std::string& out, int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xFF));
}

void PutBytes(std::string& out, uint8_t tag, std::string_view bytes) {
  out.push_back(static_cast<char>(tag));
  PutVarint(out, bytes.size());
  out.append(bytes);
}

std::string PartSetHeaderBytes(const PartSetHeader& p) {
  std::string out;
  if (p.total != 0) {
    out.push_back(0x08);
    PutVarint(out, p.total);
  }
  if (!p.hash.empty()) PutBytes(out, 0x12, p.hash);
  return out;
}

std::string CanonicalBlockIdBytes(const BlockId& b) {
  std::string out;
  if (!b.hash.empty()) PutBytes(out, 0x0a, b.hash);
  PutBytes(out, 0x12, PartSetHeaderBytes(b.part_set_header));  // always present
  return out;
}

std::string TimestampBytes(int64_t seconds, int32_t nanos) {
  std::string out;
  if (seconds != 0) {
    out.push_back(0x08);
    PutVarint(out, static_cast<uint64_t>(seconds));
  }
  if (nanos != 0) {
    out.push_back(0x10);
    PutVarint(out, static_cast<uint64_t>(static_cast<int64_t>(nanos)));
  }
  return out;
}

}  // namespace

bool BlockId::IsComplete() const {
  return hash.size() == 32 && part_set_header.total > 0 && part_set_header.hash.size() == 32;
}

std::string BlockId::Key() const { return hash + PartSetHeaderBytes(part_set_header); }

std::string VoteSignBytes(std::string_view chain_id, const Vote& vote) {
  std::string body;
  if (vote.type != 0) {
    body.push_back(0x08);
    PutVarint(body, vote.type);
  }
  if (vote.height != 0) {
    body.push_back(0x11);
    PutFixed64(body, vote.height);
  }
  if (vote.round != 0) {
    body.push_back(0x19);
    PutFixed64(body, static_cast<int64_t>(vote.round));
  }
  if (!vote.block_id.IsZero()) PutBytes(body, 0x22, CanonicalBlockIdBytes(vote.block_id));
  PutBytes(body, 0x2a, TimestampBytes(vote.timestamp_seconds, vote.timestamp_nanos));
  if (!chain_id.empty()) PutBytes(body, 0x32, chain_id);
  std::string out;
  PutVarint(out, body.size());
  out += body;
  return out;
}

absl::Status ValidateVote(const Vote& vote) {
  if (vote.type != kVotePrevote && vote.type != kVotePrecommit) {
    return absl::InvalidArgumentError(absl::StrCat("invalid vote type ", vote.type));
  }
  if (vote.height <= 0) return absl::InvalidArgumentError("vote height must be positive");
  if (vote.round < 0) return absl::InvalidArgumentError("vote round must not be negative");
  if (!vote.block_id.IsZero() && !vote.block_id.IsComplete()) {
    return absl::InvalidArgumentError("vote block id is neither zero nor complete");
  }
  if (vote.validator_address.size() != 20) {
    return absl::InvalidArgumentError("vote validator address must be 20 bytes");
  }
  if (vote.validator_index < 0) {
    return absl::InvalidArgumentError("vote validator index must not be negative");
  }
  if (vote.signature.empty() || vote.signature.size() > kEd25519SignatureSize) {
    return absl::InvalidArgumentError("vote signature missing or too long");
  }
  if (vote.timestamp_nanos < 0 || vote.timestamp_nanos >= 1000000000) {
    return absl::InvalidArgumentError("vote timestamp nanos out of range");
  }
  return absl::OkStatus();
}

absl::Status CheckConflicting(const Vote& a, const Vote& b) {
  MESH_RETURN_IF_ERROR(ValidateVote(a));
  MESH_RETURN_IF_ERROR(ValidateVote(b));
  if (a.height != b.height) return absl::InvalidArgumentError("votes at different heights");
  if (a.round != b.round) return absl::InvalidArgumentError("votes in different rounds");
  if (a.type != b.type) return absl::InvalidArgumentError("votes of different types");
  if (a.validator_address != b.validator_address) {
    return absl::InvalidArgumentError("votes by different validators");
  }
  if (a.block_id == b.block_id) {
    return absl::InvalidArgumentError("votes for the same block id are not a double sign");
  }
  return absl::OkStatus();
}

std::string ConsensusAddress(std::string_view pubkey32) {
  const Hash256 h = Sha256(pubkey32);
  return std::string(reinterpret_cast<const char*>(h.data()), 20);
}

}  // namespace mesh::provider
