// ConsumerApp: the consumer's end of the mesh-security control channel (the
// reference's converter contract as an IBC application;
// mesh-consumer-ibc.md §4, §5, §6).
//
// One port serves every provider. A provider (mesh::consumer::ProviderId,
// registered with Consumer::RegisterProvider) is reached over one
// connection (RegisterProviderConnection); the consumer opens its channel
// and keeps it forever (the mapping is never deleted).
//
// Handshake (§5.2): OpenInit on a registered provider's connection with no
// stored channel, UNORDERED, version negotiated with BuildResponse (an empty
// proposal becomes {"protocol":"mesh-security","version":"0.11.0"});
// OpenTry is refused; OpenAck verifies the counterparty version, stores the
// channel and calls Consumer::OnChannelOpen (which queues the initial
// ValsetUpdate, sent at the end of the block). Any close calls
// Consumer::OnChannelClose.
//
// Packets: OnRecvPacket decodes a ProviderPacket and runs Consumer::Handle*;
// success returns `{"result":"e30="}`, any error is returned (error ack,
// writes discarded). Acks go to Consumer::OnAcknowledgement. A timeout
// resends the same bytes at once with a new timeout of block time + 86400 s
// (§5.7), unconditionally, while the channel is open. EndBlock drains every
// provider's outbox onto its channel: valset updates with an 86400 s
// timeout, internal unstakes and reward batches with 3600 s.
//
// Holds only wiring; state in the store (tables 0x98-0x9A). Deterministic.
#ifndef MESHSEC_MESH_APP_CONSUMER_APP_H_
#define MESHSEC_MESH_APP_CONSUMER_APP_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "ibc/application.h"
#include "ibc/host.h"
#include "mesh/app/provider_app.h"
#include "mesh/consumer/types.h"
#include "mesh/packets/packets.h"

namespace mesh::app {

class ConsumerApp : public ibc::Application {
 public:
  // REQUIRES: `host` outlives the app. The caller binds the app to `port`.
  explicit ConsumerApp(ibc::Host* host, PortId port = PortId(kConsumerPort))
      : host_(host), port_(std::move(port)) {}

  const PortId& port() const { return port_; }

  // The connection leading to `provider`'s chain. InvalidArgument for an
  // empty field; FailedPrecondition if the provider or the connection is
  // already registered.
  static absl::Status RegisterProviderConnection(const Context& ctx,
                                                 const consumer::ProviderId& provider,
                                                 const ConnectionId& connection);
  static absl::StatusOr<std::optional<ConnectionId>> ConnectionOf(
      const Context& ctx, const consumer::ProviderId& provider);
  static absl::StatusOr<std::optional<ChannelId>> ChannelOf(const Context& ctx,
                                                            const consumer::ProviderId& provider);
  static absl::StatusOr<std::optional<consumer::ProviderId>> ProviderOf(const Context& ctx,
                                                                        const ChannelId& channel);

  // Sends every queued packet of every provider whose channel is OPEN.
  absl::Status EndBlock(const Context& ctx) const;

  // ---- ibc::Application ----
  absl::StatusOr<std::string> OnChanOpenInit(const Context& ctx, const ibc::ChannelInfo& ch,
                                             std::string_view version) override;
  absl::StatusOr<std::string> OnChanOpenTry(const Context& ctx, const ibc::ChannelInfo& ch,
                                            std::string_view counterparty_version) override;
  absl::Status OnChanOpenAck(const Context& ctx, const ibc::ChannelInfo& ch,
                             std::string_view counterparty_version) override;
  absl::Status OnChanOpenConfirm(const Context& ctx, const ibc::ChannelInfo& ch) override;
  absl::Status OnChanClose(const Context& ctx, const ibc::ChannelInfo& ch,
                           ibc::CloseStep step) override;
  absl::StatusOr<std::string> OnRecvPacket(const Context& ctx, const ibc::Packet& packet) override;
  absl::Status OnAcknowledgement(const Context& ctx, const ibc::Packet& packet,
                                 std::string_view ack) override;
  absl::Status OnTimeout(const Context& ctx, const ibc::Packet& packet) override;

  // consumer::ConsumerPacket <-> wire packet (exposed for tests). `FromWire`
  // returns nullopt for `distribute`, which this consumer never sends.
  static packets::ConsumerPacket ToWire(const consumer::ConsumerPacket& p);
  static std::optional<consumer::ConsumerPacket> FromWire(const packets::ConsumerPacket& p);
  // The send timeout of a fresh packet, in seconds (§5.7).
  static uint64_t TimeoutSeconds(const consumer::ConsumerPacket& p);

 private:
  static absl::StatusOr<std::optional<consumer::ProviderId>> ProviderForConnection(
      const Context& ctx, const ConnectionId& connection);
  absl::StatusOr<consumer::ProviderId> RequireProvider(const Context& ctx,
                                                       const ChannelId& channel) const;
  absl::StatusOr<bool> ChannelIsOpen(const Context& ctx, const ChannelId& channel) const;
  absl::Status SendOutbox(const Context& ctx, const consumer::ProviderId& provider,
                          const ChannelId& channel) const;

  ibc::Host* host_;
  PortId port_;
};

}  // namespace mesh::app

#endif  // MESHSEC_MESH_APP_CONSUMER_APP_H_
