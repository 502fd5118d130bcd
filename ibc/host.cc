#include "ibc/host.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/record.h"
#include "core/status.h"

namespace mesh::ibc {
namespace {

// Runs `fn` on a Context over a fresh Overlay of ctx.store(); the overlay is
// committed only if `fn` succeeds.
template <typename Fn>
auto InOverlay(const Context& ctx, Fn fn) -> decltype(fn(ctx)) {
  Overlay overlay(&ctx.store());
  auto result = fn(ctx.WithStore(&overlay));
  if (result.ok()) {
    absl::Status committed = overlay.Commit();
    if (!committed.ok()) return committed;
  }
  return result;
}

absl::StatusOr<ChannelEnd> RequireChannel(const KvReader& s, const PortId& port,
                                          const ChannelId& channel) {
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> end, GetChannel(s, port, channel));
  if (!end.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("ibc: channel ", port.value(), "/", channel.value(), " not found"));
  }
  return *std::move(end);
}

absl::Status WrongState(const ChannelEnd& end, const char* want) {
  return absl::FailedPreconditionError(absl::StrCat("ibc: channel is ", StateName(end.state),
                                                    ", expected ", want));
}

ChannelInfo InfoOf(const PortId& port, const ChannelId& channel, const ChannelEnd& end) {
  return ChannelInfo{port, channel, end.connection, end.order, end.counterparty_port,
                     end.counterparty_channel};
}

absl::Status InitCounters(KvStore& s, const PortId& port, const ChannelId& channel) {
  for (uint8_t table : {kNextSeqSendTable, kNextSeqRecvTable, kNextSeqAckTable}) {
    MESH_RETURN_IF_ERROR(PutSeqCounter(s, table, port, channel, 1));
  }
  return absl::OkStatus();
}

// The "proof" that the counterparty's end is what a handshake step expects.
absl::Status VerifyCounterpartyEnd(const CounterpartyClient& client, const PortId& cp_port,
                                   const ChannelId& cp_channel, ChannelState want_state,
                                   Order order, const PortId& our_port,
                                   const ChannelId& our_channel) {
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> cp,
                        GetChannel(client.State(), cp_port, cp_channel));
  if (!cp.has_value() || cp->state != want_state || cp->order != order ||
      cp->counterparty_port != our_port || cp->counterparty_channel != our_channel ||
      cp->connection != client.CounterpartyConnection()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ibc: counterparty channel ", cp_port.value(), "/", cp_channel.value(),
                     " is not in the expected ", StateName(want_state), " state"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CounterpartyVersion(const CounterpartyClient& client,
                                                const PortId& port, const ChannelId& channel) {
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> cp, GetChannel(client.State(), port, channel));
  if (!cp.has_value()) return absl::FailedPreconditionError("ibc: counterparty channel missing");
  return cp->version;
}

bool IsInternalFailure(const absl::Status& st) {
  return st.code() == absl::StatusCode::kInternal || st.code() == absl::StatusCode::kDataLoss;
}

}  // namespace

std::string Application::ErrorAcknowledgement(const absl::Status& error) const {
  return StandardErrorAck(static_cast<uint32_t>(error.code()));
}

std::string StandardErrorAck(uint32_t code) {
  Json j = Json::Object();
  j.Add("error",
        Json::Str(absl::StrCat("ABCI code: ", code, ": error handling packet: see events for details")));
  return j.Write();
}

// ---------------------------------------------------------------- wiring

absl::Status Host::BindPort(const PortId& port, Application* app) {
  if (port.empty() || app == nullptr) return absl::InvalidArgumentError("ibc: bad port binding");
  if (!apps_.emplace(port, app).second) {
    return absl::InvalidArgumentError(absl::StrCat("ibc: port ", port.value(), " already bound"));
  }
  return absl::OkStatus();
}

ConnectionId Host::AddConnection(const CounterpartyClient* client) {
  ConnectionId id(absl::StrCat("connection-", clients_.size()));
  clients_.emplace(id, client);
  return id;
}

absl::StatusOr<const CounterpartyClient*> Host::Client(const ConnectionId& connection) const {
  auto it = clients_.find(connection);
  if (it == clients_.end()) {
    return absl::NotFoundError(absl::StrCat("ibc: connection ", connection.value(), " not found"));
  }
  return it->second;
}

absl::StatusOr<Application*> Host::AppFor(const PortId& port) const {
  auto it = apps_.find(port);
  if (it == apps_.end()) {
    return absl::NotFoundError(absl::StrCat("ibc: no application bound to port ", port.value()));
  }
  return it->second;
}

absl::StatusOr<ChannelId> Host::NewChannelId(KvStore& store) const {
  std::string key(1, static_cast<char>(kNextChannelIndexKey));
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, store.Get(key));
  uint64_t next = 0;
  if (raw.has_value()) {
    Decoder d(*raw);
    MESH_ASSIGN_OR_RETURN(next, d.U64());
  }
  MESH_RETURN_IF_ERROR(store.Put(key, Encoder().U64(next + 1).Take()));
  return ChannelId(absl::StrCat("channel-", next));
}

// ---------------------------------------------------------------- handshake

absl::StatusOr<ChannelId> Host::ChanOpenInit(const Context& ctx, const PortId& port,
                                             const ConnectionId& connection,
                                             const PortId& counterparty_port, Order order,
                                             std::string_view version) {
  return InOverlay(ctx, [&](const Context& t) -> absl::StatusOr<ChannelId> {
    MESH_ASSIGN_OR_RETURN(Application * app, AppFor(port));
    MESH_RETURN_IF_ERROR(Client(connection).status());
    MESH_ASSIGN_OR_RETURN(ChannelId id, NewChannelId(t.store()));
    ChannelInfo info{port, id, connection, order, counterparty_port, ChannelId()};
    MESH_ASSIGN_OR_RETURN(std::string chosen, app->OnChanOpenInit(t, info, version));
    ChannelEnd end{ChannelState::kInit, order, connection, counterparty_port, ChannelId(), chosen};
    MESH_RETURN_IF_ERROR(PutChannel(t.store(), port, id, end));
    return id;
  });
}

absl::StatusOr<ChannelId> Host::ChanOpenTry(const Context& ctx, const PortId& port,
                                            const ConnectionId& connection,
                                            const PortId& counterparty_port,
                                            const ChannelId& counterparty_channel, Order order,
                                            std::string_view counterparty_version) {
  return InOverlay(ctx, [&](const Context& t) -> absl::StatusOr<ChannelId> {
    MESH_ASSIGN_OR_RETURN(Application * app, AppFor(port));
    MESH_ASSIGN_OR_RETURN(const CounterpartyClient* client, Client(connection));
    MESH_RETURN_IF_ERROR(VerifyCounterpartyEnd(*client, counterparty_port, counterparty_channel,
                                               ChannelState::kInit, order, port, ChannelId()));
    MESH_ASSIGN_OR_RETURN(std::string cp_version,
                          CounterpartyVersion(*client, counterparty_port, counterparty_channel));
    if (cp_version != counterparty_version) {
      return absl::InvalidArgumentError("ibc: counterparty version does not match its channel end");
    }
    MESH_ASSIGN_OR_RETURN(ChannelId id, NewChannelId(t.store()));
    ChannelInfo info{port, id, connection, order, counterparty_port, counterparty_channel};
    MESH_ASSIGN_OR_RETURN(std::string chosen, app->OnChanOpenTry(t, info, counterparty_version));
    ChannelEnd end{ChannelState::kTryOpen, order, connection, counterparty_port,
                   counterparty_channel, chosen};
    MESH_RETURN_IF_ERROR(PutChannel(t.store(), port, id, end));
    MESH_RETURN_IF_ERROR(InitCounters(t.store(), port, id));
    return id;
  });
}

absl::Status Host::ChanOpenAck(const Context& ctx, const PortId& port, const ChannelId& channel,
                               const ChannelId& counterparty_channel,
                               std::string_view counterparty_version) {
  return InOverlay(ctx, [&](const Context& t) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ChannelEnd end, RequireChannel(t.store(), port, channel));
    if (end.state != ChannelState::kInit) return WrongState(end, "INIT");
    MESH_ASSIGN_OR_RETURN(Application * app, AppFor(port));
    MESH_ASSIGN_OR_RETURN(const CounterpartyClient* client, Client(end.connection));
    MESH_RETURN_IF_ERROR(VerifyCounterpartyEnd(*client, end.counterparty_port,
                                               counterparty_channel, ChannelState::kTryOpen,
                                               end.order, port, channel));
    MESH_ASSIGN_OR_RETURN(std::string cp_version, CounterpartyVersion(*client, end.counterparty_port,
                                                                      counterparty_channel));
    if (cp_version != counterparty_version) {
      return absl::InvalidArgumentError("ibc: counterparty version does not match its channel end");
    }
    end.counterparty_channel = counterparty_channel;
    MESH_RETURN_IF_ERROR(app->OnChanOpenAck(t, InfoOf(port, channel, end), counterparty_version));
    end.state = ChannelState::kOpen;
    end.version = std::string(counterparty_version);
    MESH_RETURN_IF_ERROR(PutChannel(t.store(), port, channel, end));
    return InitCounters(t.store(), port, channel);
  });
}

absl::Status Host::ChanOpenConfirm(const Context& ctx, const PortId& port,
                                   const ChannelId& channel) {
  return InOverlay(ctx, [&](const Context& t) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ChannelEnd end, RequireChannel(t.store(), port, channel));
    if (end.state != ChannelState::kTryOpen) return WrongState(end, "TRYOPEN");
    MESH_ASSIGN_OR_RETURN(Application * app, AppFor(port));
    MESH_ASSIGN_OR_RETURN(const CounterpartyClient* client, Client(end.connection));
    MESH_RETURN_IF_ERROR(VerifyCounterpartyEnd(*client, end.counterparty_port,
                                               end.counterparty_channel, ChannelState::kOpen,
                                               end.order, port, channel));
    MESH_RETURN_IF_ERROR(app->OnChanOpenConfirm(t, InfoOf(port, channel, end)));
    end.state = ChannelState::kOpen;
    return PutChannel(t.store(), port, channel, end);
  });
}

absl::Status Host::ChanCloseInit(const Context& ctx, const PortId& port,
                                 const ChannelId& channel) {
  return Close(ctx, port, channel, CloseStep::kInit);
}

absl::Status Host::ChanCloseConfirm(const Context& ctx, const PortId& port,
                                    const ChannelId& channel) {
  return Close(ctx, port, channel, CloseStep::kConfirm);
}

absl::Status Host::Close(const Context& ctx, const PortId& port, const ChannelId& channel,
                         CloseStep step) {
  return InOverlay(ctx, [&](const Context& t) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ChannelEnd end, RequireChannel(t.store(), port, channel));
    if (end.state == ChannelState::kClosed) return WrongState(end, "not CLOSED");
    MESH_ASSIGN_OR_RETURN(Application * app, AppFor(port));
    if (step == CloseStep::kConfirm) {
      MESH_ASSIGN_OR_RETURN(const CounterpartyClient* client, Client(end.connection));
      MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> cp,
                            GetChannel(client->State(), end.counterparty_port,
                                       end.counterparty_channel));
      if (!cp.has_value() || cp->state != ChannelState::kClosed) {
        return absl::FailedPreconditionError("ibc: counterparty channel end is not CLOSED");
      }
    }
    MESH_RETURN_IF_ERROR(app->OnChanClose(t, InfoOf(port, channel, end), step));
    end.state = ChannelState::kClosed;
    return PutChannel(t.store(), port, channel, end);
  });
}

// ---------------------------------------------------------------- send

absl::StatusOr<uint64_t> Host::SendPacket(const Context& ctx, const PortId& port,
                                          const ChannelId& channel, Timeout timeout,
                                          std::string_view data) {
  return InOverlay(ctx, [&](const Context& t) -> absl::StatusOr<uint64_t> {
    MESH_ASSIGN_OR_RETURN(ChannelEnd end, RequireChannel(t.store(), port, channel));
    if (end.state != ChannelState::kOpen) return WrongState(end, "OPEN");
    if (data.empty()) return absl::InvalidArgumentError("ibc: packet data is empty");
    if (!timeout.IsSet()) return absl::InvalidArgumentError("ibc: packet has no timeout");
    MESH_ASSIGN_OR_RETURN(const CounterpartyClient* client, Client(end.connection));
    if (timeout.Expired(client->LatestHeight(), client->LatestTimeNs())) {
      return absl::InvalidArgumentError("ibc: packet timeout already passed on the counterparty");
    }
    MESH_ASSIGN_OR_RETURN(uint64_t seq, GetSeqCounter(t.store(), kNextSeqSendTable, port, channel));
    MESH_RETURN_IF_ERROR(PutSeqCounter(t.store(), kNextSeqSendTable, port, channel, seq + 1));
    Packet p{seq, port, channel, end.counterparty_port, end.counterparty_channel,
             std::string(data), timeout};
    MESH_RETURN_IF_ERROR(
        PutHash(t.store(), PacketKey(kPacketCommitmentTable, port, channel, seq), PacketCommitment(p)));
    MESH_RETURN_IF_ERROR(PutRecord(t.store(), PacketKey(kSentPacketTable, port, channel, seq), p));
    return seq;
  });
}

// ---------------------------------------------------------------- receive

absl::StatusOr<RecvResult> Host::RecvPacket(const Context& ctx, const Packet& packet) {
  return Receive(ctx, packet, nullptr);
}

absl::StatusOr<RecvResult> Host::RecvPacketAsError(const Context& ctx, const Packet& packet,
                                                   const absl::Status& app_error) {
  if (app_error.ok()) return absl::InvalidArgumentError("ibc: forced error ack needs an error");
  return Receive(ctx, packet, &app_error);
}

absl::StatusOr<RecvResult> Host::Receive(const Context& ctx, const Packet& packet,
                                         const absl::Status* forced_error) {
  return InOverlay(ctx, [&](const Context& t) -> absl::StatusOr<RecvResult> {
    const PortId& port = packet.destination_port;
    const ChannelId& channel = packet.destination_channel;
    MESH_ASSIGN_OR_RETURN(ChannelEnd ch, RequireChannel(t.store(), port, channel));
    if (ch.state != ChannelState::kOpen) return WrongState(ch, "OPEN");
    if (packet.source_port != ch.counterparty_port ||
        packet.source_channel != ch.counterparty_channel) {
      return absl::InvalidArgumentError("ibc: packet source is not the channel's counterparty");
    }
    MESH_ASSIGN_OR_RETURN(Outcome replay, ApplyReplayProtection(t, ch, packet));
    if (replay == Outcome::kNoop) return RecvResult{Outcome::kNoop, "", absl::OkStatus()};
    if (packet.timeout.Expired(t.height(), t.time_ns())) {
      return absl::FailedPreconditionError("ibc: packet timed out on this chain");
    }
    MESH_ASSIGN_OR_RETURN(const CounterpartyClient* client, Client(ch.connection));
    MESH_ASSIGN_OR_RETURN(std::optional<Hash256> commitment,
                          GetPacketCommitment(client->State(), packet.source_port,
                                              packet.source_channel, packet.sequence));
    if (!commitment.has_value() || *commitment != PacketCommitment(packet)) {
      return absl::FailedPreconditionError("ibc: packet commitment not found on the source chain");
    }
    MESH_ASSIGN_OR_RETURN(RecvResult result, RunRecvCallback(t, packet, forced_error));
    // No acknowledgement of this packet can exist yet: acknowledgements are
    // written only here (synchronously), in the same overlay as the receipt
    // or the receive sequence's advance, and replay protection has just
    // found neither. So the key is not read first (on RocksDB that read was a
    // store miss per packet).
    std::string ack_key = PacketKey(kAckCommitmentTable, port, channel, packet.sequence);
    MESH_RETURN_IF_ERROR(PutHash(t.store(), ack_key, AckCommitment(result.ack)));
    MESH_RETURN_IF_ERROR(
        t.store().Put(PacketKey(kAckTable, port, channel, packet.sequence), result.ack));
    return result;
  });
}

// Unordered: a receipt marks the packet received. Ordered: the sequence must
// be exactly nextSequenceRecv (smaller = redundant relay, larger = error).
absl::StatusOr<Outcome> Host::ApplyReplayProtection(const Context& t, const ChannelEnd& ch,
                                                    const Packet& packet) {
  const PortId& port = packet.destination_port;
  const ChannelId& channel = packet.destination_channel;
  if (ch.order == Order::kOrdered) {
    MESH_ASSIGN_OR_RETURN(uint64_t next, GetSeqCounter(t.store(), kNextSeqRecvTable, port, channel));
    if (packet.sequence < next) return Outcome::kNoop;
    if (packet.sequence > next) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ibc: packet sequence ", packet.sequence, " out of order, expected ", next));
    }
    MESH_RETURN_IF_ERROR(PutSeqCounter(t.store(), kNextSeqRecvTable, port, channel, next + 1));
    return Outcome::kApplied;
  }
  std::string key = PacketKey(kReceiptTable, port, channel, packet.sequence);
  MESH_ASSIGN_OR_RETURN(bool received, t.store().Has(key));
  if (received) return Outcome::kNoop;
  MESH_RETURN_IF_ERROR(t.store().Put(key, std::string(1, '\x01')));
  return Outcome::kApplied;
}

absl::StatusOr<RecvResult> Host::RunRecvCallback(const Context& t, const Packet& packet,
                                                 const absl::Status* forced_error) {
  MESH_ASSIGN_OR_RETURN(Application * app, AppFor(packet.destination_port));
  RecvResult result;
  if (forced_error != nullptr) {
    result.app_status = *forced_error;
  } else {
    Overlay callback(&t.store());
    absl::StatusOr<std::string> ack = app->OnRecvPacket(t.WithStore(&callback), packet);
    if (ack.ok() && ack->empty()) {
      ack = absl::UnimplementedError("ibc: empty (asynchronous) acknowledgements are not supported");
    }
    if (ack.ok()) {
      MESH_RETURN_IF_ERROR(callback.Commit());
      result.ack = *std::move(ack);
      return result;
    }
    // Store I/O or broken invariants stop processing instead of becoming
    // an error ack: nothing is written and the packet stays unreceived.
    if (IsInternalFailure(ack.status())) return ack.status();
    result.app_status = ack.status();  // the callback's writes are dropped
  }
  result.ack = app->ErrorAcknowledgement(result.app_status);
  return result;
}

// ---------------------------------------------------------------- ack / timeout

absl::StatusOr<bool> Host::LoadSentCommitment(const Context& t, const ChannelEnd& ch,
                                              const Packet& packet) const {
  if (ch.state != ChannelState::kOpen && ch.state != ChannelState::kClosed) {
    return WrongState(ch, "OPEN or CLOSED");
  }
  if (packet.destination_port != ch.counterparty_port ||
      packet.destination_channel != ch.counterparty_channel) {
    return absl::InvalidArgumentError("ibc: packet destination is not the channel's counterparty");
  }
  MESH_ASSIGN_OR_RETURN(std::optional<Hash256> stored,
                        GetPacketCommitment(t.store(), packet.source_port, packet.source_channel,
                                            packet.sequence));
  if (!stored.has_value()) return false;  // already acknowledged or timed out
  if (*stored != PacketCommitment(packet)) {
    return absl::InvalidArgumentError("ibc: packet does not match the stored commitment");
  }
  return true;
}

absl::Status Host::DeleteSent(KvStore& store, const Packet& packet) const {
  const PortId& port = packet.source_port;
  const ChannelId& channel = packet.source_channel;
  return DeleteSentPacket(store, port, channel, packet.sequence);
}

absl::StatusOr<Outcome> Host::AcknowledgePacket(const Context& ctx, const Packet& packet,
                                                std::string_view ack) {
  return InOverlay(ctx, [&](const Context& t) -> absl::StatusOr<Outcome> {
    MESH_ASSIGN_OR_RETURN(ChannelEnd ch,
                          RequireChannel(t.store(), packet.source_port, packet.source_channel));
    MESH_ASSIGN_OR_RETURN(bool present, LoadSentCommitment(t, ch, packet));
    if (!present) return Outcome::kNoop;
    MESH_ASSIGN_OR_RETURN(const CounterpartyClient* client, Client(ch.connection));
    MESH_ASSIGN_OR_RETURN(std::optional<Hash256> proven,
                          GetAckCommitment(client->State(), packet.destination_port,
                                           packet.destination_channel, packet.sequence));
    if (!proven.has_value() || *proven != AckCommitment(ack)) {
      return absl::FailedPreconditionError(
          "ibc: acknowledgement not found on the destination chain");
    }
    if (ch.order == Order::kOrdered) {
      MESH_ASSIGN_OR_RETURN(uint64_t next, GetSeqCounter(t.store(), kNextSeqAckTable,
                                                         packet.source_port, packet.source_channel));
      if (packet.sequence != next) {
        return absl::FailedPreconditionError(absl::StrCat(
            "ibc: acknowledgement for sequence ", packet.sequence, " out of order, expected ", next));
      }
      MESH_RETURN_IF_ERROR(PutSeqCounter(t.store(), kNextSeqAckTable, packet.source_port,
                                         packet.source_channel, next + 1));
    }
    MESH_RETURN_IF_ERROR(DeleteSent(t.store(), packet));
    MESH_ASSIGN_OR_RETURN(Application * app, AppFor(packet.source_port));
    MESH_RETURN_IF_ERROR(InOverlay(
        t, [&](const Context& c) { return app->OnAcknowledgement(c, packet, ack); }));
    return Outcome::kApplied;
  });
}

absl::StatusOr<Outcome> Host::TimeoutPacket(const Context& ctx, const Packet& packet) {
  return ProcessTimeout(ctx, packet, TimeoutKind::kDeadline);
}

absl::StatusOr<Outcome> Host::TimeoutOnClose(const Context& ctx, const Packet& packet) {
  return ProcessTimeout(ctx, packet, TimeoutKind::kOnClose);
}

absl::StatusOr<Outcome> Host::ProcessTimeout(const Context& ctx, const Packet& packet,
                                      TimeoutKind kind) {
  return InOverlay(ctx, [&](const Context& t) -> absl::StatusOr<Outcome> {
    MESH_ASSIGN_OR_RETURN(ChannelEnd ch,
                          RequireChannel(t.store(), packet.source_port, packet.source_channel));
    MESH_ASSIGN_OR_RETURN(bool present, LoadSentCommitment(t, ch, packet));
    if (!present) return Outcome::kNoop;
    MESH_RETURN_IF_ERROR(CheckTimeoutProof(ch, packet, kind));
    if (ch.order == Order::kOrdered && ch.state != ChannelState::kClosed) {
      ch.state = ChannelState::kClosed;  // one timeout ends an ordered channel
      MESH_RETURN_IF_ERROR(PutChannel(t.store(), packet.source_port, packet.source_channel, ch));
    }
    MESH_RETURN_IF_ERROR(DeleteSent(t.store(), packet));
    MESH_ASSIGN_OR_RETURN(Application * app, AppFor(packet.source_port));
    MESH_RETURN_IF_ERROR(InOverlay(t, [&](const Context& c) { return app->OnTimeout(c, packet); }));
    return Outcome::kApplied;
  });
}

absl::Status Host::CheckTimeoutProof(const ChannelEnd& ch, const Packet& packet,
                                     TimeoutKind kind) const {
  MESH_ASSIGN_OR_RETURN(const CounterpartyClient* client, Client(ch.connection));
  const KvReader& dest = client->State();
  if (kind == TimeoutKind::kDeadline) {
    if (!packet.timeout.Expired(client->LatestHeight(), client->LatestTimeNs())) {
      return absl::FailedPreconditionError("ibc: packet timeout not reached on the destination");
    }
  } else {
    MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> cp,
                          GetChannel(dest, packet.destination_port, packet.destination_channel));
    if (!cp.has_value() || cp->state != ChannelState::kClosed) {
      return absl::FailedPreconditionError("ibc: destination channel end is not CLOSED");
    }
  }
  bool received = false;
  if (ch.order == Order::kOrdered) {
    MESH_ASSIGN_OR_RETURN(uint64_t next, GetSeqCounter(dest, kNextSeqRecvTable,
                                                       packet.destination_port,
                                                       packet.destination_channel));
    received = next > packet.sequence;
  } else {
    MESH_ASSIGN_OR_RETURN(received, HasReceipt(dest, packet.destination_port,
                                               packet.destination_channel, packet.sequence));
  }
  if (received) {
    return absl::FailedPreconditionError("ibc: packet was received on the destination");
  }
  return absl::OkStatus();
}

}  // namespace mesh::ibc
