#include "mesh/app/consumer_app.h"

#include <utility>
#include <variant>
#include <vector>

#include "core/codec.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/status.h"
#include "ibc/state.h"
#include "mesh/app/tables.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/provider_guard.h"
#include "mesh/packets/version.h"
#include "staking/staking.h"

namespace mesh::app {
namespace {

using consumer::Consumer;
using consumer::ProviderId;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

consumer::Coin Local(const packets::Coin& c) { return consumer::Coin{c.denom, c.amount}; }
packets::Coin Wire(const consumer::Coin& c) { return packets::Coin{c.denom, c.amount}; }

std::vector<packets::AddValidator> WithTodoKeys(const std::vector<ValidatorAddress>& vals) {
  std::vector<packets::AddValidator> out;
  // CosmWasm exposes no consensus key: the reference always sends "TODO".
  for (const auto& v : vals) out.push_back(packets::AddValidator{v, "TODO"});
  return out;
}

std::vector<ValidatorAddress> Valopers(const std::vector<packets::AddValidator>& vals) {
  std::vector<ValidatorAddress> out;
  for (const auto& v : vals) out.push_back(v.valoper);
  return out;
}

// Fills in the consensus key (base64 of the 32-byte ed25519 key) of every
// added or updated validator this chain knows, so the provider can verify
// double-sign evidence against it (docs/shared-security.md; the reference
// sends "TODO", which the provider then treats as no key).
absl::Status FillConsensusKeys(const Context& ctx, packets::ConsumerPacket& packet) {
  auto* vu = std::get_if<packets::ValsetUpdatePacket>(&packet);
  if (vu == nullptr) return absl::OkStatus();
  for (auto* list : {&vu->additions, &vu->updated}) {
    for (packets::AddValidator& a : *list) {
      MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                            staking::Staking::GetValidator(ctx, a.valoper));
      if (v.has_value() && v->consensus_pubkey.size() == kEd25519PublicKeySize) {
        a.pub_key = Base64Encode(v->consensus_pubkey);
      }
    }
  }
  return absl::OkStatus();
}

packets::ValsetUpdatePacket ValsetToWire(const consumer::ValsetUpdatePacket& p) {
  packets::ValsetUpdatePacket w;
  w.height = p.height;
  w.time = p.time_s;
  w.additions = WithTodoKeys(p.additions);
  w.removals = p.removals;
  w.updated = WithTodoKeys(p.updated);
  w.jailed = p.jailed;
  w.unjailed = p.unjailed;
  w.tombstoned = p.tombstoned;
  for (const auto& s : p.slashed) {
    w.slashed.push_back(packets::ValidatorSlashInfo{s.address, s.infraction_height,
                                                    s.infraction_time_s, s.power,
                                                    Wire(s.slash_amount), s.slash_ratio});
  }
  return w;
}

consumer::ValsetUpdatePacket ValsetFromWire(const packets::ValsetUpdatePacket& w) {
  consumer::ValsetUpdatePacket p;
  p.height = w.height;
  p.time_s = w.time;
  p.additions = Valopers(w.additions);
  p.removals = w.removals;
  p.updated = Valopers(w.updated);
  p.jailed = w.jailed;
  p.unjailed = w.unjailed;
  p.tombstoned = w.tombstoned;
  for (const auto& s : w.slashed) {
    p.slashed.push_back(consumer::SlashInfoPacket{s.address, s.infraction_height,
                                                  s.infraction_time, s.power,
                                                  Local(s.slash_amount), s.slash_ratio});
  }
  return p;
}

absl::Status HandleTransferRewards(const Context& ctx, const ProviderId& provider,
                                   const packets::TransferRewardsPacket& p) {
  // The reference validates the recipient as an address of this chain.
  MESH_RETURN_IF_ERROR(Bech32Decode(p.recipient.value()).status());
  return Consumer::HandleTransferRewards(
      ctx, provider, consumer::TransferRewardsRequest{Local(p.rewards), p.recipient, p.tx_id});
}

absl::Status CheckDelegator(const AccountAddress& delegator) {
  if (delegator.empty()) return absl::InvalidArgumentError(consumer::kErrEmptyDelegator);
  absl::Status st = Bech32Decode(delegator.value()).status();
  if (st.ok()) return st;
  return absl::InvalidArgumentError("invalid delegator " + delegator.value() + ": " +
                                    std::string(st.message()));
}

// Handles a provider packet; returns the success ack's payload: the
// receipt (consumer height, and for an unstake what the delegator's slash
// debt covered) for `stake` and `unstake`, `{}` otherwise (ReceiptAck).
absl::StatusOr<std::string> HandleProviderPacket(const Context& ctx, const ProviderId& provider,
                                                 const packets::ProviderPacket& packet) {
  using Result = absl::StatusOr<std::string>;
  const std::string empty = "{}";
  return std::visit(
      Overloaded{
          [&](const packets::StakePacket& p) -> Result {
            // The reference's stake names a provider address: valid bech32.
            MESH_RETURN_IF_ERROR(CheckDelegator(p.delegator));
            MESH_RETURN_IF_ERROR(
                Consumer::HandleStake(ctx, provider,
                                      consumer::StakeRequest{p.delegator, p.validator,
                                                             Local(p.stake), p.tx_id})
                    .status());
            return packets::EncodeReceiptAck(packets::ReceiptAck{ctx.height(), Amount()});
          },
          [&](const packets::UnstakePacket& p) -> Result {
            Amount absorbed;
            MESH_RETURN_IF_ERROR(
                Consumer::HandleUnstake(ctx, provider,
                                        consumer::UnstakeRequest{p.delegator, p.validator,
                                                                 Local(p.unstake), p.tx_id},
                                        &absorbed)
                    .status());
            return packets::EncodeReceiptAck(packets::ReceiptAck{ctx.height(), absorbed});
          },
          [&](const packets::BurnPacket& p) -> Result {
            MESH_RETURN_IF_ERROR(
                Consumer::HandleBurn(ctx, provider,
                                     consumer::BurnRequest{p.validators, Local(p.burn)})
                    .status());
            return empty;
          },
          [&](const packets::TransferRewardsPacket& p) -> Result {
            MESH_RETURN_IF_ERROR(HandleTransferRewards(ctx, provider, p));
            return empty;
          },
      },
      packet);
}

}  // namespace

// ---------------------------------------------------------------- state

absl::Status ConsumerApp::RegisterProviderConnection(const Context& ctx,
                                                     const ProviderId& provider,
                                                     const ConnectionId& connection) {
  if (provider.empty() || connection.empty()) {
    return absl::InvalidArgumentError("provider and connection must not be empty");
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ConnectionId> existing, ConnectionOf(ctx, provider));
  if (existing.has_value()) {
    return absl::FailedPreconditionError("provider " + provider.value() + " already registered");
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ProviderId> other, ProviderForConnection(ctx, connection));
  if (other.has_value()) {
    return absl::FailedPreconditionError("connection already leads to provider " +
                                         other->value());
  }
  return tables::PutString(ctx.store(), tables::kConsumerConnection, provider.value(),
                           connection.value());
}

absl::StatusOr<std::optional<ConnectionId>> ConsumerApp::ConnectionOf(
    const Context& ctx, const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> v,
                        tables::GetString(ctx.store(), tables::kConsumerConnection,
                                          provider.value()));
  if (!v.has_value()) return std::optional<ConnectionId>();
  return std::optional<ConnectionId>(ConnectionId(*v));
}

absl::StatusOr<std::optional<ProviderId>> ConsumerApp::ProviderForConnection(
    const Context& ctx, const ConnectionId& connection) {
  const std::string prefix = Encoder(tables::kConsumerConnection).Take();
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(std::string provider, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string conn, v.Str());
    if (conn == connection.value()) return std::optional<ProviderId>(ProviderId(provider));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return std::optional<ProviderId>();
}

absl::StatusOr<std::optional<ChannelId>> ConsumerApp::ChannelOf(const Context& ctx,
                                                                const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> v,
                        tables::GetString(ctx.store(), tables::kConsumerChannelOf,
                                          provider.value()));
  if (!v.has_value()) return std::optional<ChannelId>();
  return std::optional<ChannelId>(ChannelId(*v));
}

absl::StatusOr<std::optional<ProviderId>> ConsumerApp::ProviderOf(const Context& ctx,
                                                                  const ChannelId& channel) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> v,
                        tables::GetString(ctx.store(), tables::kConsumerProviderOf,
                                          channel.value()));
  if (!v.has_value()) return std::optional<ProviderId>();
  return std::optional<ProviderId>(ProviderId(*v));
}

absl::StatusOr<ProviderId> ConsumerApp::RequireProvider(const Context& ctx,
                                                        const ChannelId& channel) const {
  MESH_ASSIGN_OR_RETURN(std::optional<ProviderId> p, ProviderOf(ctx, channel));
  if (!p.has_value()) return absl::NotFoundError("no provider on channel " + channel.value());
  return *p;
}

absl::StatusOr<bool> ConsumerApp::ChannelIsOpen(const Context& ctx,
                                                const ChannelId& channel) const {
  MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end,
                        ibc::GetChannel(ctx.store(), port_, channel));
  return end.has_value() && end->state == ibc::ChannelState::kOpen;
}

// ---------------------------------------------------------------- handshake

absl::StatusOr<std::string> ConsumerApp::OnChanOpenInit(const Context& ctx,
                                                        const ibc::ChannelInfo& ch,
                                                        std::string_view version) {
  MESH_ASSIGN_OR_RETURN(std::optional<ProviderId> provider,
                        ProviderForConnection(ctx, ch.connection));
  if (!provider.has_value()) {
    return absl::NotFoundError("no provider registered for " + ch.connection.value());
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelId> stored, ChannelOf(ctx, *provider));
  if (stored.has_value()) return absl::FailedPreconditionError(kErrChannelAlreadyOpen);
  if (ch.order != ibc::Order::kUnordered) return absl::InvalidArgumentError(kErrInvalidOrder);
  if (version.empty()) return packets::ProtocolVersion::Supported().Encode();
  MESH_ASSIGN_OR_RETURN(packets::ProtocolVersion proposed,
                        packets::ProtocolVersion::Decode(version));
  MESH_ASSIGN_OR_RETURN(packets::ProtocolVersion answer,
                        proposed.BuildResponse(packets::kSupportedVersion, packets::kMinVersion));
  return answer.Encode();
}

absl::StatusOr<std::string> ConsumerApp::OnChanOpenTry(const Context&, const ibc::ChannelInfo&,
                                                       std::string_view) {
  return absl::FailedPreconditionError(kErrOpenTryDisallowed);
}

absl::Status ConsumerApp::OnChanOpenAck(const Context& ctx, const ibc::ChannelInfo& ch,
                                        std::string_view counterparty_version) {
  MESH_ASSIGN_OR_RETURN(std::optional<ProviderId> provider,
                        ProviderForConnection(ctx, ch.connection));
  if (!provider.has_value()) {
    return absl::NotFoundError("no provider registered for " + ch.connection.value());
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelId> stored, ChannelOf(ctx, *provider));
  if (stored.has_value()) return absl::FailedPreconditionError(kErrChannelAlreadyOpen);
  MESH_ASSIGN_OR_RETURN(packets::ProtocolVersion v,
                        packets::ProtocolVersion::Decode(counterparty_version));
  MESH_RETURN_IF_ERROR(v.VerifyCompatibility(packets::kSupportedVersion, packets::kMinVersion));
  MESH_RETURN_IF_ERROR(tables::PutString(ctx.store(), tables::kConsumerChannelOf,
                                         provider->value(), ch.channel.value()));
  MESH_RETURN_IF_ERROR(tables::PutString(ctx.store(), tables::kConsumerProviderOf,
                                         ch.channel.value(), provider->value()));
  // The channel is OPEN only after this callback: the initial valset update
  // is queued here and sent at the end of the block.
  return Consumer::OnChannelOpen(ctx, *provider);
}

absl::Status ConsumerApp::OnChanOpenConfirm(const Context&, const ibc::ChannelInfo&) {
  return absl::FailedPreconditionError(kErrOpenTryDisallowed);
}

absl::Status ConsumerApp::OnChanClose(const Context& ctx, const ibc::ChannelInfo& ch,
                                      ibc::CloseStep) {
  MESH_ASSIGN_OR_RETURN(std::optional<ProviderId> provider, ProviderOf(ctx, ch.channel));
  // A channel that never finished its handshake has nothing to unwind.
  if (!provider.has_value()) return absl::OkStatus();
  return Consumer::OnChannelClose(ctx, *provider);
}

// ---------------------------------------------------------------- packets

absl::StatusOr<std::string> ConsumerApp::OnRecvPacket(const Context& ctx,
                                                      const ibc::Packet& packet) {
  MESH_ASSIGN_OR_RETURN(ProviderId provider, RequireProvider(ctx, packet.destination_channel));
  MESH_ASSIGN_OR_RETURN(packets::ProviderPacket p, packets::DecodeProviderPacket(packet.data));
  MESH_ASSIGN_OR_RETURN(std::string payload, HandleProviderPacket(ctx, provider, p));
  return packets::Ack::Success(std::move(payload)).Encode();
}

absl::Status ConsumerApp::OnAcknowledgement(const Context& ctx, const ibc::Packet& packet,
                                            std::string_view ack) {
  MESH_ASSIGN_OR_RETURN(ProviderId provider, RequireProvider(ctx, packet.source_channel));
  MESH_ASSIGN_OR_RETURN(packets::Ack decoded, packets::Ack::Decode(ack));
  MESH_ASSIGN_OR_RETURN(packets::ConsumerPacket wire, packets::DecodeConsumerPacket(packet.data));
  std::optional<consumer::ConsumerPacket> sent = FromWire(wire);
  if (!sent.has_value()) return absl::OkStatus();
  return Consumer::OnAcknowledgement(ctx, provider, *sent, decoded.ok());
}

absl::Status ConsumerApp::OnTimeout(const Context& ctx, const ibc::Packet& packet) {
  MESH_ASSIGN_OR_RETURN(bool open, ChannelIsOpen(ctx, packet.source_channel));
  if (!open) return absl::OkStatus();  // nowhere to resend (closed channel)
  const uint64_t timeout_ns =
      ctx.time_ns() + packets::kConsumerResendTimeoutSeconds * kNanosPerSecond;
  return host_
      ->SendPacket(ctx, port_, packet.source_channel, ibc::Timeout::AtTimeNs(timeout_ns),
                   packet.data)
      .status();
}

// ---------------------------------------------------------------- sending

absl::Status ConsumerApp::EndBlock(const Context& ctx) const {
  const std::string prefix = Encoder(tables::kConsumerChannelOf).Take();
  std::vector<std::pair<ProviderId, ChannelId>> channels;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(std::string provider, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string channel, v.Str());
    channels.emplace_back(ProviderId(std::move(provider)), ChannelId(std::move(channel)));
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const auto& [provider, channel] : channels) {
    MESH_RETURN_IF_ERROR(SendOutbox(ctx, provider, channel));
  }
  return absl::OkStatus();
}

absl::Status ConsumerApp::SendOutbox(const Context& ctx, const ProviderId& provider,
                                     const ChannelId& channel) const {
  MESH_ASSIGN_OR_RETURN(bool open, ChannelIsOpen(ctx, channel));
  if (!open) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::vector<consumer::OutboxEntry> queue,
                        Consumer::TakeOutbox(ctx, provider));
  for (const consumer::OutboxEntry& e : queue) {
    const uint64_t timeout_ns = ctx.time_ns() + TimeoutSeconds(e.packet) * kNanosPerSecond;
    packets::ConsumerPacket wire = ToWire(e.packet);
    MESH_RETURN_IF_ERROR(FillConsensusKeys(ctx, wire));
    MESH_RETURN_IF_ERROR(host_->SendPacket(ctx, port_, channel,
                                           ibc::Timeout::AtTimeNs(timeout_ns),
                                           packets::EncodeConsumerPacket(wire))
                             .status());
  }
  return absl::OkStatus();
}

uint64_t ConsumerApp::TimeoutSeconds(const consumer::ConsumerPacket& p) {
  return std::holds_alternative<consumer::ValsetUpdatePacket>(p)
             ? packets::kValsetUpdateTimeoutSeconds
             : packets::kConsumerPacketTimeoutSeconds;
}

packets::ConsumerPacket ConsumerApp::ToWire(const consumer::ConsumerPacket& packet) {
  return std::visit(
      Overloaded{
          [](const consumer::ValsetUpdatePacket& p) -> packets::ConsumerPacket {
            return ValsetToWire(p);
          },
          [](const consumer::InternalUnstakePacket& p) -> packets::ConsumerPacket {
            return packets::InternalUnstakePacket{p.delegator, p.validator,
                                                  Wire(p.normalize_amount),
                                                  Wire(p.inverted_amount)};
          },
          [](const consumer::DistributeBatchPacket& p) -> packets::ConsumerPacket {
            packets::DistributeBatchPacket w;
            for (const auto& r : p.rewards) w.rewards.push_back({r.validator, r.reward});
            w.denom = p.denom;
            return w;
          },
      },
      packet);
}

std::optional<consumer::ConsumerPacket> ConsumerApp::FromWire(
    const packets::ConsumerPacket& wire) {
  return std::visit(
      Overloaded{
          [](const packets::ValsetUpdatePacket& w) -> std::optional<consumer::ConsumerPacket> {
            return ValsetFromWire(w);
          },
          [](const packets::InternalUnstakePacket& w) -> std::optional<consumer::ConsumerPacket> {
            return consumer::InternalUnstakePacket{w.delegator, w.validator,
                                                   Local(w.normalize_amount),
                                                   Local(w.inverted_amount)};
          },
          [](const packets::DistributePacket&) -> std::optional<consumer::ConsumerPacket> {
            return std::nullopt;
          },
          [](const packets::DistributeBatchPacket& w) -> std::optional<consumer::ConsumerPacket> {
            consumer::DistributeBatchPacket p;
            for (const auto& r : w.rewards) p.rewards.push_back({r.validator, r.reward});
            p.denom = w.denom;
            return p;
          },
      },
      wire);
}

}  // namespace mesh::app
