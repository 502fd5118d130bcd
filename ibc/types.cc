#include "ibc/types.h"

#include <string>

#include "core/status.h"

namespace mesh::ibc {

const char* OrderName(Order o) { return o == Order::kOrdered ? "ORDERED" : "UNORDERED"; }

const char* StateName(ChannelState s) {
  switch (s) {
    case ChannelState::kInit: return "INIT";
    case ChannelState::kTryOpen: return "TRYOPEN";
    case ChannelState::kOpen: return "OPEN";
    case ChannelState::kClosed: return "CLOSED";
  }
  return "?";
}

void ChannelEnd::Encode(Encoder& e) const {
  e.U8(static_cast<uint8_t>(state)).U8(static_cast<uint8_t>(order));
  e.Str(connection.value()).Str(counterparty_port.value()).Str(counterparty_channel.value());
  e.Str(version);
}

absl::StatusOr<ChannelEnd> ChannelEnd::Decode(Decoder& d) {
  ChannelEnd c;
  MESH_ASSIGN_OR_RETURN(uint8_t state, d.U8());
  MESH_ASSIGN_OR_RETURN(uint8_t order, d.U8());
  if (state < 1 || state > 4 || order < 1 || order > 2) {
    return absl::DataLossError("ibc: corrupt channel end");
  }
  c.state = static_cast<ChannelState>(state);
  c.order = static_cast<Order>(order);
  MESH_ASSIGN_OR_RETURN(std::string conn, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string port, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string channel, d.Str());
  c.connection = ConnectionId(std::move(conn));
  c.counterparty_port = PortId(std::move(port));
  c.counterparty_channel = ChannelId(std::move(channel));
  MESH_ASSIGN_OR_RETURN(c.version, d.Str());
  return c;
}

void Packet::Encode(Encoder& e) const {
  e.U64(sequence).Str(source_port.value()).Str(source_channel.value());
  e.Str(destination_port.value()).Str(destination_channel.value());
  e.Bytes(data).U64(timeout.height).U64(timeout.timestamp_ns);
}

absl::StatusOr<Packet> Packet::Decode(Decoder& d) {
  Packet p;
  MESH_ASSIGN_OR_RETURN(p.sequence, d.U64());
  MESH_ASSIGN_OR_RETURN(std::string sp, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string sc, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string dp, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string dc, d.Str());
  p.source_port = PortId(std::move(sp));
  p.source_channel = ChannelId(std::move(sc));
  p.destination_port = PortId(std::move(dp));
  p.destination_channel = ChannelId(std::move(dc));
  MESH_ASSIGN_OR_RETURN(p.data, d.Bytes());
  MESH_ASSIGN_OR_RETURN(p.timeout.height, d.U64());
  MESH_ASSIGN_OR_RETURN(p.timeout.timestamp_ns, d.U64());
  return p;
}

Hash256 PacketCommitment(const Packet& p) {
  Hash256 data_hash = Sha256(p.data);
  Encoder e;
  e.U64(p.timeout.timestamp_ns).U64(0).U64(p.timeout.height);
  e.Raw(std::string_view(reinterpret_cast<const char*>(data_hash.data()), data_hash.size()));
  return Sha256(e.data());
}

Hash256 AckCommitment(std::string_view ack) { return Sha256(ack); }

}  // namespace mesh::ibc
