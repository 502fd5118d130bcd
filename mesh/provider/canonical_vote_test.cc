// CometBFT canonical vote sign bytes (neighbours.md §4.2), byte for byte,
// and the structural checks of a duplicate vote (§4.1).
#include "mesh/provider/canonical_vote.h"

#include <string>

#include "core/crypto.h"
#include "gtest/gtest.h"

namespace mesh::provider {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string out;
  for (int x : b) out.push_back(static_cast<char>(x));
  return out;
}

// CometBFT's zero time (0001-01-01T00:00:00Z): seconds -62135596800, a
// ten-byte varint.
constexpr int64_t kZeroTimeSeconds = -62135596800;
const std::string kZeroTime =
    Bytes({0x2a, 0x0b, 0x08, 0x80, 0x92, 0xb8, 0xc3, 0x98, 0xfe, 0xff, 0xff, 0xff, 0x01});

TEST(VoteSignBytesTest, EmptyVoteHasOnlyTheTimestamp) {
  Vote v;
  v.timestamp_seconds = kZeroTimeSeconds;
  EXPECT_EQ(VoteSignBytes("", v), Bytes({0x0d}) + kZeroTime);
}

TEST(VoteSignBytesTest, TypeHeightRoundAreVarintAndFixed64) {
  Vote v;
  v.type = kVotePrecommit;
  v.height = 1;
  v.round = 1;
  v.timestamp_seconds = kZeroTimeSeconds;
  const std::string body = Bytes({0x08, 0x02, 0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0x19, 1, 0, 0, 0, 0,
                                  0, 0, 0}) +
                           kZeroTime;
  ASSERT_EQ(body.size(), 33u);
  EXPECT_EQ(VoteSignBytes("", v), Bytes({0x21}) + body);
  // Round 0 is omitted; the chain id comes last.
  v.round = 0;
  v.height = 0x0102030405060708;
  const std::string body2 = Bytes({0x08, 0x02, 0x11, 8, 7, 6, 5, 4, 3, 2, 1}) + kZeroTime +
                            Bytes({0x32, 0x0d}) + "test_chain_id";
  EXPECT_EQ(VoteSignBytes("test_chain_id", v), Bytes({static_cast<int>(body2.size())}) + body2);
}

TEST(VoteSignBytesTest, BlockIdAndTimestampFields) {
  Vote v;
  v.type = kVotePrevote;
  v.height = 10;
  v.block_id.hash = std::string(32, '\xaa');
  v.block_id.part_set_header.total = 1;
  v.block_id.part_set_header.hash = std::string(32, '\xbb');
  v.timestamp_seconds = 300;  // varint 0xac 0x02
  v.timestamp_nanos = 5;
  const std::string psh = Bytes({0x08, 0x01, 0x12, 0x20}) + std::string(32, '\xbb');
  const std::string bid = Bytes({0x0a, 0x20}) + std::string(32, '\xaa') + Bytes({0x12, 0x24}) + psh;
  ASSERT_EQ(bid.size(), 72u);
  const std::string body = Bytes({0x08, 0x01, 0x11, 10, 0, 0, 0, 0, 0, 0, 0, 0x22, 0x48}) + bid +
                           Bytes({0x2a, 0x05, 0x08, 0xac, 0x02, 0x10, 0x05}) +
                           Bytes({0x32, 0x04}) + "juno";
  ASSERT_EQ(body.size(), 13u + 72u + 7u + 6u);
  EXPECT_EQ(VoteSignBytes("juno", v), Bytes({static_cast<int>(body.size())}) + body);
  // A nil vote omits the block id; the timestamp stays even at epoch 0.
  Vote nil;
  nil.type = kVotePrevote;
  nil.height = 10;
  EXPECT_EQ(VoteSignBytes("", nil),
            Bytes({0x0d, 0x08, 0x01, 0x11, 10, 0, 0, 0, 0, 0, 0, 0, 0x2a, 0x00}));
  // Address, index and signature are not signed.
  Vote other = v;
  other.validator_address = std::string(20, 'x');
  other.validator_index = 7;
  other.signature = "sig";
  EXPECT_EQ(VoteSignBytes("juno", other), VoteSignBytes("juno", v));
}

Vote Valid() {
  Vote v;
  v.type = kVotePrecommit;
  v.height = 5;
  v.block_id.hash = std::string(32, '\x01');
  v.block_id.part_set_header = PartSetHeader{1, std::string(32, '\x02')};
  v.validator_address = std::string(20, '\x03');
  v.signature = std::string(64, '\x04');
  return v;
}

TEST(DuplicateVoteTest, ConflictingVotesNeedEverythingButTheBlockIdEqual) {
  Vote a = Valid();
  Vote b = Valid();
  EXPECT_EQ(CheckConflicting(a, b).code(), absl::StatusCode::kInvalidArgument);  // same block
  b.block_id = BlockId{};  // nil vs block: a double sign
  EXPECT_TRUE(CheckConflicting(a, b).ok());
  Vote c = b;
  c.height = 6;
  EXPECT_EQ(CheckConflicting(a, c).message(), "votes at different heights");
  c = b;
  c.round = 1;
  EXPECT_EQ(CheckConflicting(a, c).message(), "votes in different rounds");
  c = b;
  c.type = kVotePrevote;
  EXPECT_EQ(CheckConflicting(a, c).message(), "votes of different types");
  c = b;
  c.validator_address = std::string(20, '\x09');
  EXPECT_EQ(CheckConflicting(a, c).message(), "votes by different validators");
  c = b;
  c.signature.clear();
  EXPECT_EQ(CheckConflicting(a, c).code(), absl::StatusCode::kInvalidArgument);
  c = b;
  c.block_id.hash = std::string(31, '\x01');  // incomplete
  EXPECT_EQ(CheckConflicting(a, c).code(), absl::StatusCode::kInvalidArgument);
  c = b;
  c.type = 32;  // a proposal is not a vote
  EXPECT_EQ(CheckConflicting(a, c).code(), absl::StatusCode::kInvalidArgument);
}

TEST(DuplicateVoteTest, ConsensusAddressIsTheFirst20BytesOfSha256) {
  const std::string pk = Ed25519PrivateKey::FromSeed("k").PublicKey();
  const Hash256 h = Sha256(pk);
  EXPECT_EQ(ConsensusAddress(pk), std::string(reinterpret_cast<const char*>(h.data()), 20));
}

}  // namespace
}  // namespace mesh::provider
