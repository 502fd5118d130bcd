// The IBC host's state tables and read-only queries over them.
//
// All IBC state of a chain lives in its KvStore under prefixes 0x40-0x4F
// (docs/ibc.md has the grammar):
//   0x40 channel      | str port | str channel          -> ChannelEnd
//   0x41 next channel index (no key fields)             -> u64
//   0x42 next seq send | str port | str channel         -> u64
//   0x43 next seq recv | str port | str channel         -> u64
//   0x44 next seq ack  | str port | str channel         -> u64
//   0x45 packet commitment | port | channel | u64 seq   -> 32 bytes
//   0x46 sent packet       | port | channel | u64 seq   -> Packet (for relayers)
//   0x47 receipt           | port | channel | u64 seq   -> 0x01
//   0x48 ack commitment    | port | channel | u64 seq   -> 32 bytes
//   0x49 ack bytes         | port | channel | u64 seq   -> ack (for relayers)
//   0x4A unsettled floor   | str port | str channel     -> u64: every sent
//        packet (0x46) of the channel has a sequence >= it (absent = 1)
// Sequence-keyed tables use the LOCAL end's port/channel: the sender's for
// 0x45/0x46, the receiver's for 0x47-0x49.
//
// The queries take any reader of the chain's state; a counterparty's light
// client stand-in uses them as its "proofs". Deterministic.
#ifndef MESHSEC_IBC_STATE_H_
#define MESHSEC_IBC_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/kv.h"
#include "ibc/types.h"

namespace mesh::ibc {

inline constexpr uint8_t kChannelTable = 0x40;
inline constexpr uint8_t kNextChannelIndexKey = 0x41;
inline constexpr uint8_t kNextSeqSendTable = 0x42;
inline constexpr uint8_t kNextSeqRecvTable = 0x43;
inline constexpr uint8_t kNextSeqAckTable = 0x44;
inline constexpr uint8_t kPacketCommitmentTable = 0x45;
inline constexpr uint8_t kSentPacketTable = 0x46;
inline constexpr uint8_t kReceiptTable = 0x47;
inline constexpr uint8_t kAckCommitmentTable = 0x48;
inline constexpr uint8_t kAckTable = 0x49;
inline constexpr uint8_t kUnsettledFloorTable = 0x4A;

std::string ChannelKey(const PortId& port, const ChannelId& channel);
std::string SeqCounterKey(uint8_t table, const PortId& port, const ChannelId& channel);
std::string PacketKey(uint8_t table, const PortId& port, const ChannelId& channel, uint64_t seq);

struct PortChannel {
  PortId port;
  ChannelId channel;
  friend bool operator==(const PortChannel&, const PortChannel&) = default;
};

// ---- queries (read-only) ----
absl::StatusOr<std::optional<ChannelEnd>> GetChannel(const KvReader& s, const PortId& port,
                                                     const ChannelId& channel);
// Every channel end of the chain, in key order.
absl::StatusOr<std::vector<std::pair<PortChannel, ChannelEnd>>> ListChannels(const KvReader& s);
// A sequence counter (0x42-0x44); 1 if never written.
absl::StatusOr<uint64_t> GetSeqCounter(const KvReader& s, uint8_t table, const PortId& port,
                                       const ChannelId& channel);
absl::StatusOr<std::optional<Hash256>> GetPacketCommitment(const KvReader& s, const PortId& port,
                                                           const ChannelId& channel, uint64_t seq);
absl::StatusOr<bool> HasReceipt(const KvReader& s, const PortId& port, const ChannelId& channel,
                                uint64_t seq);
absl::StatusOr<std::optional<Hash256>> GetAckCommitment(const KvReader& s, const PortId& port,
                                                        const ChannelId& channel, uint64_t seq);
// The ack bytes written for a received packet (on the receiving chain).
absl::StatusOr<std::optional<std::string>> GetAcknowledgement(const KvReader& s, const PortId& port,
                                                              const ChannelId& channel,
                                                              uint64_t seq);
// Packets sent by this chain whose commitment still exists (neither acked
// nor timed out), ordered by (port, channel, sequence). Each channel's sent
// packets are read from its unsettled floor on, so the work is proportional
// to the channels and the packets still unsettled, never to the packets
// settled before (whose deleted keys a RocksDB scan would otherwise walk).
absl::StatusOr<std::vector<Packet>> ListUnsettledPackets(const KvReader& s);
// The channel's unsettled floor (0x4A; 1 if never written).
absl::StatusOr<uint64_t> GetUnsettledFloor(const KvReader& s, const PortId& port,
                                           const ChannelId& channel);

// ---- writes (used by the host) ----
absl::Status PutChannel(KvStore& s, const PortId& port, const ChannelId& channel,
                        const ChannelEnd& end);
absl::Status PutSeqCounter(KvStore& s, uint8_t table, const PortId& port,
                           const ChannelId& channel, uint64_t value);
absl::Status PutHash(KvStore& s, const std::string& key, const Hash256& h);
// Deletes the sent packet `seq` of (port, channel) — its commitment (0x45)
// and record (0x46) — and, when it was the lowest unsettled one, raises the
// channel's floor past it and past every later sequence already settled
// (point reads, each settled sequence passed at most once over the channel's
// life), up to the next sequence to send.
absl::Status DeleteSentPacket(KvStore& s, const PortId& port, const ChannelId& channel,
                              uint64_t seq);

}  // namespace mesh::ibc

#endif  // MESHSEC_IBC_STATE_H_
