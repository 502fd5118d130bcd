// CometBFT votes, their canonical sign bytes and the checks of a duplicate
// vote (neighbours.md §4.1, §4.2). Pure functions, deterministic.
//
// VoteSignBytes(chain_id, vote) = uvarint(len) ‖ protobuf(CanonicalVote):
//   1 type      varint   tag 0x08  omitted when 0
//   2 height    sfixed64 tag 0x11  omitted when 0
//   3 round     sfixed64 tag 0x19  omitted when 0 (int32 widened to int64)
//   4 block_id  bytes    tag 0x22  omitted when the BlockID is zero (nil vote)
//       CanonicalBlockID: hash (0x0a, omitted if empty), part_set_header
//       (0x12, always present) = {total varint 0x08 omitted if 0, hash 0x12
//       omitted if empty}
//   5 timestamp bytes    tag 0x2a  always present: {seconds varint 0x08,
//       nanos varint 0x10, each omitted when 0}
//   6 chain_id  string   tag 0x32  omitted when empty
// The validator address / index and vote extensions are not signed.
#ifndef MESHSEC_MESH_PROVIDER_CANONICAL_VOTE_H_
#define MESHSEC_MESH_PROVIDER_CANONICAL_VOTE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace mesh::provider {

// SignedMsgType values that a vote may carry.
inline constexpr uint8_t kVotePrevote = 1;
inline constexpr uint8_t kVotePrecommit = 2;

struct PartSetHeader {
  uint32_t total = 0;
  std::string hash;  // raw bytes
  friend bool operator==(const PartSetHeader&, const PartSetHeader&) = default;
};

struct BlockId {
  std::string hash;  // raw bytes; empty with a zero part set header = nil vote
  PartSetHeader part_set_header;
  bool IsZero() const { return hash.empty() && part_set_header == PartSetHeader{}; }
  // Complete: a 32-byte hash and a part set header with total > 0 and a
  // 32-byte hash (CometBFT BlockID.IsComplete).
  bool IsComplete() const;
  // CometBFT BlockID.Key(): hash ‖ protobuf(part set header); evidence
  // canonical order compares these byte-wise.
  std::string Key() const;
  friend bool operator==(const BlockId&, const BlockId&) = default;
};

struct Vote {
  uint8_t type = 0;
  int64_t height = 0;
  int32_t round = 0;
  BlockId block_id;
  int64_t timestamp_seconds = 0;  // google.protobuf.Timestamp, UTC
  int32_t timestamp_nanos = 0;
  std::string validator_address;  // 20 raw bytes
  int32_t validator_index = 0;
  std::string signature;          // 64 raw bytes (ed25519)
};

// The bytes a validator signs for `vote` on chain `chain_id`.
std::string VoteSignBytes(std::string_view chain_id, const Vote& vote);

// CometBFT Vote.ValidateBasic: type prevote or precommit, height > 0,
// round >= 0, BlockID zero or complete, address 20 bytes, index >= 0,
// signature of 1..64 bytes. InvalidArgument naming the first failure.
absl::Status ValidateVote(const Vote& vote);

// The structural checks of a duplicate vote (§4.1 steps 2-4, §2.8): both
// votes valid, same height, round, type and validator address, different
// BlockIDs. InvalidArgument naming the failure. Signatures are not checked.
absl::Status CheckConflicting(const Vote& a, const Vote& b);

// CometBFT address of an ed25519 consensus key: the first 20 bytes of
// SHA-256(pubkey).
std::string ConsensusAddress(std::string_view pubkey32);

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_CANONICAL_VOTE_H_
