// ProviderApp: the provider's end of the mesh-security control channel (the
// reference's external-staking contract as an IBC application;
// mesh-provider.md §7, mesh-consumer-ibc.md §5).
//
// One port serves every consumer. Each consumer (mesh::provider::ConsumerId,
// one ExternalStaking instance) is authorised for exactly one remote contact
// (the provider-side connection and the consumer's port, reference
// `remote_contact`) and gets exactly one channel, ever: the channel <->
// consumer mapping is stored at OpenConfirm and never deleted.
//
// Handshake (the consumer initiates; §5.2, §7.1): OpenInit is refused; at
// OpenTry the order must be UNORDERED, (connection, counterparty port) must
// be a consumer's authorised contact with no channel yet, and the proposed
// version is negotiated with packets::ProtocolVersion::BuildResponse;
// OpenConfirm stores the channel. Close: only CloseInit of the stored
// channel (ExternalStaking::CloseChannel); CloseConfirm is refused.
//
// Packets: OnRecvPacket decodes a ConsumerPacket and runs the matching
// ExternalStaking handler; success returns `{"result":"e30="}`, any error
// is returned (the host writes the error ack and discards the writes).
// Acks and timeouts commit or roll back the ExternalStaking tx named by the
// original packet's tx id; they never fail for a packet this app sent.
// EndBlock runs the slash meter (provider::SlashThrottle::EndBlock: queued
// consumer slashes handled as it replenishes) and prunes replaced consumer
// keys (provider::ConsumerKeys::Prune), then drains every consumer's outbox
// onto its channel with the provider timeout (block time + 600 s, carried
// by the OutboundPacket).
//
// The object holds only wiring (the host and port); all state is in the
// store (tables 0x90-0x92, mesh/app/tables.h). Deterministic.
#ifndef MESHSEC_MESH_APP_PROVIDER_APP_H_
#define MESHSEC_MESH_APP_PROVIDER_APP_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "ibc/application.h"
#include "ibc/host.h"
#include "mesh/packets/packets.h"
#include "mesh/provider/types.h"

namespace mesh::app {

inline constexpr std::string_view kProviderPort = "mesh-provider";
inline constexpr std::string_view kConsumerPort = "mesh-consumer";

// Reference error texts of the handshake (mesh-provider.md §7.1).
inline constexpr char kErrChannelAlreadyOpen[] = "IBC channel already open";
inline constexpr char kErrOpenInitDisallowed[] = "Only open-try is allowed on the provider";
inline constexpr char kErrOpenTryDisallowed[] = "Only open-init is allowed on the consumer";
inline constexpr char kErrInvalidOrder[] = "Channel must be unordered";
inline constexpr char kErrUnauthorized[] = "Unauthorized";
inline constexpr char kErrCloseConfirmDisallowed[] =
    "Closing the channel from the counterparty is not allowed";
inline constexpr char kErrChannelNotMatch[] = "IBC channel does not match the stored one";

// The consumer's remote contact as authorised on the provider.
struct RemoteContact {
  ConnectionId connection;  // provider-side connection id
  PortId port;              // the consumer app's port
};

class ProviderApp : public ibc::Application {
 public:
  // REQUIRES: `host` outlives the app. The caller binds the app to `port`.
  explicit ProviderApp(ibc::Host* host, PortId port = PortId(kProviderPort))
      : host_(host), port_(std::move(port)) {}

  const PortId& port() const { return port_; }

  // Authorises `consumer` (whose ExternalStaking is initialised separately)
  // to open its channel from `contact`. InvalidArgument for an empty field;
  // FailedPrecondition if the consumer or the contact is already registered.
  static absl::Status AuthorizeConsumer(const Context& ctx, const provider::ConsumerId& consumer,
                                        const RemoteContact& contact);
  static absl::StatusOr<std::optional<RemoteContact>> ContactOf(
      const Context& ctx, const provider::ConsumerId& consumer);
  // The consumer's channel once the handshake completed (never cleared).
  static absl::StatusOr<std::optional<ChannelId>> ChannelOf(const Context& ctx,
                                                            const provider::ConsumerId& consumer);
  static absl::StatusOr<std::optional<provider::ConsumerId>> ConsumerOf(const Context& ctx,
                                                                        const ChannelId& channel);

  // Sends every queued OutboundPacket of every consumer whose channel is
  // OPEN. Errors only on store failure or a broken host.
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

  // OutboundPacket <-> wire packet (exposed for tests).
  static packets::ProviderPacket ToWire(const provider::OutboundPacket& p);
  static provider::OutboundPacket FromWire(const packets::ProviderPacket& p);

 private:
  // The consumer authorised for (connection, counterparty port), if any.
  static absl::StatusOr<std::optional<provider::ConsumerId>> ConsumerForContact(
      const Context& ctx, const ConnectionId& connection, const PortId& port);
  absl::StatusOr<provider::ConsumerId> RequireConsumer(const Context& ctx,
                                                       const ChannelId& channel) const;
  absl::Status SendOutbox(const Context& ctx, const provider::ConsumerId& consumer,
                          const ChannelId& channel) const;
  // Applies the ack (or timeout, `ack` == nullptr) of a packet we sent.
  absl::Status Resolve(const Context& ctx, const ibc::Packet& packet, const packets::Ack* ack);

  ibc::Host* host_;
  PortId port_;
};

}  // namespace mesh::app

#endif  // MESHSEC_MESH_APP_PROVIDER_APP_H_
