#include "ibc/state.h"

#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include "core/codec.h"
#include "core/record.h"
#include "core/status.h"

namespace mesh::ibc {
namespace {

absl::StatusOr<std::optional<Hash256>> GetHash(const KvReader& s, const std::string& key) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, s.Get(key));
  if (!raw.has_value()) return std::optional<Hash256>();
  if (raw->size() != 32) return absl::DataLossError("ibc: corrupt commitment");
  Hash256 h;
  std::memcpy(h.data(), raw->data(), 32);
  return std::optional<Hash256>(h);
}

// table ‖ str(port) ‖ str(channel), with room reserved for `more` bytes
// after it: each key below is built in one allocation (a packet's keys are
// built several times a packet).
Encoder PortChannelKey(uint8_t table, const PortId& port, const ChannelId& channel,
                       size_t more) {
  Encoder e(table);
  e.Reserve(1 + 8 + port.value().size() + channel.value().size() + more)
      .Str(port.value())
      .Str(channel.value());
  return e;
}

}  // namespace

std::string ChannelKey(const PortId& port, const ChannelId& channel) {
  return PortChannelKey(kChannelTable, port, channel, 0).Take();
}

std::string SeqCounterKey(uint8_t table, const PortId& port, const ChannelId& channel) {
  return PortChannelKey(table, port, channel, 0).Take();
}

std::string PacketKey(uint8_t table, const PortId& port, const ChannelId& channel, uint64_t seq) {
  return PortChannelKey(table, port, channel, 8).U64(seq).Take();
}

absl::StatusOr<std::optional<ChannelEnd>> GetChannel(const KvReader& s, const PortId& port,
                                                     const ChannelId& channel) {
  return GetRecord<ChannelEnd>(s, ChannelKey(port, channel));
}

absl::StatusOr<std::vector<std::pair<PortChannel, ChannelEnd>>> ListChannels(const KvReader& s) {
  std::vector<std::pair<PortChannel, ChannelEnd>> out;
  std::string prefix(1, static_cast<char>(kChannelTable));
  auto it = s.ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder key(it->key().substr(1));
    MESH_ASSIGN_OR_RETURN(std::string port, key.Str());
    MESH_ASSIGN_OR_RETURN(std::string channel, key.Str());
    MESH_ASSIGN_OR_RETURN(ChannelEnd end, DecodeRecord<ChannelEnd>(it->value()));
    out.push_back({PortChannel{PortId(std::move(port)), ChannelId(std::move(channel))}, end});
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<uint64_t> GetSeqCounter(const KvReader& s, uint8_t table, const PortId& port,
                                       const ChannelId& channel) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, s.Get(SeqCounterKey(table, port, channel)));
  if (!raw.has_value()) return uint64_t{1};
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t v, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return v;
}

absl::StatusOr<std::optional<Hash256>> GetPacketCommitment(const KvReader& s, const PortId& port,
                                                           const ChannelId& channel, uint64_t seq) {
  return GetHash(s, PacketKey(kPacketCommitmentTable, port, channel, seq));
}

absl::StatusOr<bool> HasReceipt(const KvReader& s, const PortId& port, const ChannelId& channel,
                                uint64_t seq) {
  return s.Has(PacketKey(kReceiptTable, port, channel, seq));
}

absl::StatusOr<std::optional<Hash256>> GetAckCommitment(const KvReader& s, const PortId& port,
                                                        const ChannelId& channel, uint64_t seq) {
  return GetHash(s, PacketKey(kAckCommitmentTable, port, channel, seq));
}

absl::StatusOr<std::optional<std::string>> GetAcknowledgement(const KvReader& s, const PortId& port,
                                                              const ChannelId& channel,
                                                              uint64_t seq) {
  return s.Get(PacketKey(kAckTable, port, channel, seq));
}

absl::StatusOr<uint64_t> GetUnsettledFloor(const KvReader& s, const PortId& port,
                                           const ChannelId& channel) {
  return GetSeqCounter(s, kUnsettledFloorTable, port, channel);
}

absl::StatusOr<std::vector<Packet>> ListUnsettledPackets(const KvReader& s) {
  // Channel ends are never deleted, so the channel table has no deleted
  // keys to walk; sent packets only exist on channels of this table.
  std::vector<PortChannel> channels;
  {
    auto it = s.ScanPrefix(std::string(1, static_cast<char>(kChannelTable)));
    for (; it->Valid(); it->Next()) {
      Decoder key(it->key().substr(1));
      MESH_ASSIGN_OR_RETURN(std::string port, key.Str());
      MESH_ASSIGN_OR_RETURN(std::string channel, key.Str());
      channels.push_back(PortChannel{PortId(std::move(port)), ChannelId(std::move(channel))});
    }
    MESH_RETURN_IF_ERROR(it->status());
  }
  std::vector<Packet> out;
  for (const PortChannel& pc : channels) {
    MESH_ASSIGN_OR_RETURN(uint64_t floor, GetUnsettledFloor(s, pc.port, pc.channel));
    const std::string prefix = SeqCounterKey(kSentPacketTable, pc.port, pc.channel);
    auto it = s.Scan(PacketKey(kSentPacketTable, pc.port, pc.channel, floor), PrefixEnd(prefix));
    for (; it->Valid(); it->Next()) {
      MESH_ASSIGN_OR_RETURN(Packet p, DecodeRecord<Packet>(it->value()));
      out.push_back(std::move(p));
    }
    MESH_RETURN_IF_ERROR(it->status());
  }
  return out;
}

absl::Status PutChannel(KvStore& s, const PortId& port, const ChannelId& channel,
                        const ChannelEnd& end) {
  return PutRecord(s, ChannelKey(port, channel), end);
}

absl::Status PutSeqCounter(KvStore& s, uint8_t table, const PortId& port,
                           const ChannelId& channel, uint64_t value) {
  return s.Put(SeqCounterKey(table, port, channel), Encoder().U64(value).Take());
}

absl::Status PutHash(KvStore& s, const std::string& key, const Hash256& h) {
  return s.Put(key, std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

absl::Status DeleteSentPacket(KvStore& s, const PortId& port, const ChannelId& channel,
                              uint64_t seq) {
  MESH_RETURN_IF_ERROR(s.Delete(PacketKey(kPacketCommitmentTable, port, channel, seq)));
  MESH_RETURN_IF_ERROR(s.Delete(PacketKey(kSentPacketTable, port, channel, seq)));
  MESH_ASSIGN_OR_RETURN(uint64_t floor, GetUnsettledFloor(s, port, channel));
  if (seq != floor) return absl::OkStatus();  // a lower packet is still unsettled
  MESH_ASSIGN_OR_RETURN(uint64_t next_send, GetSeqCounter(s, kNextSeqSendTable, port, channel));
  uint64_t next = seq + 1;
  for (; next < next_send; ++next) {
    MESH_ASSIGN_OR_RETURN(bool live, s.Has(PacketKey(kSentPacketTable, port, channel, next)));
    if (live) break;
  }
  return PutSeqCounter(s, kUnsettledFloorTable, port, channel, next);
}

}  // namespace mesh::ibc
