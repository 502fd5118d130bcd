#include "mesh/app/provider_app.h"

#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/codec.h"
#include "core/crypto.h"
#include "core/status.h"
#include "ibc/state.h"
#include "mesh/app/native_slashing.h"
#include "mesh/app/tables.h"
#include "mesh/packets/version.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/governance.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/slash_guard.h"
#include "mesh/provider/slash_throttle.h"

namespace mesh::app {
namespace {

using provider::ConsumerId;
using provider::ExternalStaking;
using provider::OutboundPacket;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

provider::ValsetUpdate ToValsetUpdate(const packets::ValsetUpdatePacket& p) {
  provider::ValsetUpdate u;
  u.height = p.height;
  u.time = p.time;
  for (const auto& a : p.additions) u.additions.emplace_back(a.valoper, a.pub_key);
  u.removals = p.removals;
  for (const auto& a : p.updated) u.updated.emplace_back(a.valoper, a.pub_key);
  u.jailed = p.jailed;
  u.unjailed = p.unjailed;
  u.tombstoned = p.tombstoned;
  for (const auto& s : p.slashed) {
    u.slashed.push_back(provider::RemoteSlash{s.address, s.infraction_height, s.infraction_time,
                                              s.power, s.slash_amount.amount, s.slash_ratio});
  }
  return u;
}

// Burns sent toward a consumer and not yet resolved, per validator
// (table 0x93): what the consumer may still hold beyond the provider's
// stakes, so its slash reports are bounded on it too (SlashGuard).
std::string BurnKey(const ConsumerId& c, const ValidatorAddress& v) {
  return Encoder(tables::kProviderBurnsInFlight).Str(c.value()).Str(v.value()).Take();
}

absl::Status AddBurnInFlight(const Context& ctx, const ConsumerId& c, const OutboundPacket& p,
                             bool add) {
  for (const ValidatorAddress& v : p.validators) {
    const std::string key = BurnKey(c, v);
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(key));
    Amount now;
    if (raw.has_value()) {
      Decoder d(*raw);
      MESH_ASSIGN_OR_RETURN(now, d.Amt());
    }
    if (add) {
      MESH_ASSIGN_OR_RETURN(now, now.Add(p.amount));
    } else {
      now = now.SaturatingSub(p.amount);
    }
    if (now.IsZero()) {
      MESH_RETURN_IF_ERROR(ctx.store().Delete(key));
    } else {
      MESH_RETURN_IF_ERROR(ctx.store().Put(key, Encoder().Amt(now).Take()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, Amount>> BurnsInFlight(const Context& ctx,
                                                           const ConsumerId& c) {
  const std::string prefix = Encoder(tables::kProviderBurnsInFlight).Str(c.value()).Take();
  std::map<std::string, Amount> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(std::string val, k.Str());
    MESH_ASSIGN_OR_RETURN(out[val], v.Amt());
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status HandleInternalUnstake(const Context& ctx, const ConsumerId& consumer,
                                   const packets::InternalUnstakePacket& p) {
  // The reference validates the delegator as a provider address.
  MESH_RETURN_IF_ERROR(Bech32Decode(p.delegator.value()).status());
  return ExternalStaking::OnInternalUnstake(ctx, consumer, p.delegator, p.validator,
                                            p.inverted_amount.amount);
}

absl::Status HandleConsumerPacket(const Context& ctx, const ConsumerId& consumer,
                                  const packets::ConsumerPacket& packet) {
  return std::visit(
      Overloaded{
          [&](const packets::ValsetUpdatePacket& p) -> absl::Status {
            // A consumer is trusted for slashes only as far as the link
            // allows (docs/security.md): refused or clipped first.
            provider::ValsetUpdate u = ToValsetUpdate(p);
            // The stakes the guard reads go on to the slashes applied now.
            provider::SlashReadScope one_read;
            MESH_ASSIGN_OR_RETURN(auto burns, BurnsInFlight(ctx, consumer));
            MESH_RETURN_IF_ERROR(provider::SlashGuard::Check(ctx, consumer, u, burns).status());
            return ExternalStaking::OnValsetUpdate(ctx, consumer, u);
          },
          [&](const packets::InternalUnstakePacket& p) {
            return HandleInternalUnstake(ctx, consumer, p);
          },
          [&](const packets::DistributePacket& p) {
            return ExternalStaking::OnDistribute(ctx, consumer, p.validator, p.rewards.denom,
                                                 p.rewards.amount);
          },
          [&](const packets::DistributeBatchPacket& p) {
            std::vector<std::pair<ValidatorAddress, Amount>> rewards;
            for (const auto& r : p.rewards) rewards.emplace_back(r.validator, r.reward);
            return ExternalStaking::OnDistributeBatch(ctx, consumer, p.denom, rewards);
          },
      },
      packet);
}

absl::Status CheckOpenChannel(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelId> ch, ProviderApp::ChannelOf(ctx, consumer));
  if (ch.has_value()) return absl::FailedPreconditionError(kErrChannelAlreadyOpen);
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------- state

absl::Status ProviderApp::AuthorizeConsumer(const Context& ctx, const ConsumerId& consumer,
                                            const RemoteContact& contact) {
  if (consumer.empty() || contact.connection.empty() || contact.port.empty()) {
    return absl::InvalidArgumentError("Invalid authorized endpoint: empty field");
  }
  MESH_ASSIGN_OR_RETURN(std::optional<RemoteContact> existing, ContactOf(ctx, consumer));
  if (existing.has_value()) {
    return absl::FailedPreconditionError("consumer " + consumer.value() + " already authorized");
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> other,
                        ConsumerForContact(ctx, contact.connection, contact.port));
  if (other.has_value()) {
    return absl::FailedPreconditionError("remote contact already authorized for " +
                                         other->value());
  }
  std::string value =
      Encoder().Str(contact.connection.value()).Str(contact.port.value()).Take();
  return ctx.store().Put(tables::Key(tables::kProviderEndpoint, consumer.value()), value);
}

absl::StatusOr<std::optional<RemoteContact>> ProviderApp::ContactOf(const Context& ctx,
                                                                    const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(tables::Key(tables::kProviderEndpoint, consumer.value())));
  if (!raw.has_value()) return std::optional<RemoteContact>();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(std::string connection, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string port, d.Str());
  MESH_RETURN_IF_ERROR(d.Finish());
  return std::optional<RemoteContact>(
      RemoteContact{ConnectionId(std::move(connection)), PortId(std::move(port))});
}

absl::StatusOr<std::optional<ConsumerId>> ProviderApp::ConsumerForContact(
    const Context& ctx, const ConnectionId& connection, const PortId& port) {
  const std::string prefix = Encoder(tables::kProviderEndpoint).Take();
  std::vector<ConsumerId> consumers;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string id, k.Str());
    consumers.emplace_back(std::move(id));
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const ConsumerId& c : consumers) {
    MESH_ASSIGN_OR_RETURN(std::optional<RemoteContact> contact, ContactOf(ctx, c));
    if (contact->connection == connection && contact->port == port) {
      return std::optional<ConsumerId>(c);
    }
  }
  return std::optional<ConsumerId>();
}

absl::StatusOr<std::optional<ChannelId>> ProviderApp::ChannelOf(const Context& ctx,
                                                                const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> v,
                        tables::GetString(ctx.store(), tables::kProviderChannelOf,
                                          consumer.value()));
  if (!v.has_value()) return std::optional<ChannelId>();
  return std::optional<ChannelId>(ChannelId(*v));
}

absl::StatusOr<std::optional<ConsumerId>> ProviderApp::ConsumerOf(const Context& ctx,
                                                                  const ChannelId& channel) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> v,
                        tables::GetString(ctx.store(), tables::kProviderConsumerOf,
                                          channel.value()));
  if (!v.has_value()) return std::optional<ConsumerId>();
  return std::optional<ConsumerId>(ConsumerId(*v));
}

absl::StatusOr<ConsumerId> ProviderApp::RequireConsumer(const Context& ctx,
                                                        const ChannelId& channel) const {
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c, ConsumerOf(ctx, channel));
  if (!c.has_value()) return absl::NotFoundError("no consumer on channel " + channel.value());
  return *c;
}

// ---------------------------------------------------------------- handshake

absl::StatusOr<std::string> ProviderApp::OnChanOpenInit(const Context& ctx,
                                                        const ibc::ChannelInfo& ch,
                                                        std::string_view) {
  // The reference runs the "already open" check first for every open step.
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c,
                        ConsumerForContact(ctx, ch.connection, ch.counterparty_port));
  if (c.has_value()) MESH_RETURN_IF_ERROR(CheckOpenChannel(ctx, *c));
  return absl::FailedPreconditionError(kErrOpenInitDisallowed);
}

absl::StatusOr<std::string> ProviderApp::OnChanOpenTry(const Context& ctx,
                                                       const ibc::ChannelInfo& ch,
                                                       std::string_view counterparty_version) {
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c,
                        ConsumerForContact(ctx, ch.connection, ch.counterparty_port));
  if (c.has_value()) MESH_RETURN_IF_ERROR(CheckOpenChannel(ctx, *c));
  if (ch.order != ibc::Order::kUnordered) return absl::InvalidArgumentError(kErrInvalidOrder);
  if (!c.has_value()) return absl::PermissionDeniedError(kErrUnauthorized);
  MESH_ASSIGN_OR_RETURN(packets::ProtocolVersion proposed,
                        packets::ProtocolVersion::Decode(counterparty_version));
  MESH_ASSIGN_OR_RETURN(packets::ProtocolVersion answer,
                        proposed.BuildResponse(packets::kSupportedVersion, packets::kMinVersion));
  return answer.Encode();
}

absl::Status ProviderApp::OnChanOpenAck(const Context&, const ibc::ChannelInfo&,
                                        std::string_view) {
  return absl::FailedPreconditionError(kErrOpenInitDisallowed);
}

absl::Status ProviderApp::OnChanOpenConfirm(const Context& ctx, const ibc::ChannelInfo& ch) {
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c,
                        ConsumerForContact(ctx, ch.connection, ch.counterparty_port));
  if (!c.has_value()) return absl::PermissionDeniedError(kErrUnauthorized);
  MESH_RETURN_IF_ERROR(CheckOpenChannel(ctx, *c));
  MESH_RETURN_IF_ERROR(tables::PutString(ctx.store(), tables::kProviderChannelOf, c->value(),
                                         ch.channel.value()));
  return tables::PutString(ctx.store(), tables::kProviderConsumerOf, ch.channel.value(),
                           c->value());
}

absl::Status ProviderApp::OnChanClose(const Context& ctx, const ibc::ChannelInfo& ch,
                                      ibc::CloseStep step) {
  if (step == ibc::CloseStep::kConfirm) {
    return absl::FailedPreconditionError(kErrCloseConfirmDisallowed);
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c, ConsumerOf(ctx, ch.channel));
  if (!c.has_value()) return absl::NotFoundError(kErrChannelNotMatch);
  return ExternalStaking::CloseChannel(ctx, *c);
}

// ---------------------------------------------------------------- packets

absl::StatusOr<std::string> ProviderApp::OnRecvPacket(const Context& ctx,
                                                      const ibc::Packet& packet) {
  MESH_ASSIGN_OR_RETURN(ConsumerId consumer, RequireConsumer(ctx, packet.destination_channel));
  MESH_ASSIGN_OR_RETURN(packets::ConsumerPacket p, packets::DecodeConsumerPacket(packet.data));
  MESH_RETURN_IF_ERROR(packets::CheckSignedRange(p));
  MESH_RETURN_IF_ERROR(HandleConsumerPacket(ctx, consumer, p));
  return std::string(packets::kSuccessAckBytes);
}

absl::Status ProviderApp::OnAcknowledgement(const Context& ctx, const ibc::Packet& packet,
                                            std::string_view ack) {
  // An undecodable ack fails the relayer's ack tx, as in the reference.
  MESH_ASSIGN_OR_RETURN(packets::Ack decoded, packets::Ack::Decode(ack));
  return Resolve(ctx, packet, &decoded);
}

absl::Status ProviderApp::OnTimeout(const Context& ctx, const ibc::Packet& packet) {
  return Resolve(ctx, packet, nullptr);
}

absl::Status ProviderApp::Resolve(const Context& ctx, const ibc::Packet& packet,
                                  const packets::Ack* ack) {
  MESH_ASSIGN_OR_RETURN(ConsumerId consumer, RequireConsumer(ctx, packet.source_channel));
  MESH_ASSIGN_OR_RETURN(packets::ProviderPacket p, packets::DecodeProviderPacket(packet.data));
  const OutboundPacket out = FromWire(p);
  if (out.kind == OutboundPacket::Kind::kBurn) {
    MESH_RETURN_IF_ERROR(AddBurnInFlight(ctx, consumer, out, /*add=*/false));
  }
  if (ack == nullptr) return ExternalStaking::OnTimeout(ctx, consumer, out);
  const bool success = ack->ok();
  // This engine's consumer reports where it processed a stake or unstake
  // (packets::ReceiptAck); the reference's `{}` carries nothing.
  std::optional<provider::AckReceipt> receipt;
  if (success) {
    if (std::optional<packets::ReceiptAck> r = packets::DecodeReceiptAck(ack->payload())) {
      receipt = provider::AckReceipt{r->height, r->absorbed};
    }
  }
  switch (out.kind) {
    case OutboundPacket::Kind::kStake:
      return ExternalStaking::OnStakeAck(ctx, consumer, out.tx_id, success, receipt);
    case OutboundPacket::Kind::kUnstake:
      return ExternalStaking::OnUnstakeAck(ctx, consumer, out.tx_id, success, receipt);
    case OutboundPacket::Kind::kTransferRewards:
      return ExternalStaking::OnTransferRewardsAck(ctx, consumer, out.tx_id, success);
    case OutboundPacket::Kind::kBurn:
      return ExternalStaking::OnBurnAck(ctx, consumer, out, success);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- sending

absl::Status ProviderApp::EndBlock(const Context& ctx) const {
  // Shared security first, so the slashes the meter lets through this block
  // and their burns leave with this block's packets.
  MESH_RETURN_IF_ERROR(provider::SlashThrottle::EndBlock(ctx));
  MESH_RETURN_IF_ERROR(provider::ConsumerKeys::Prune(ctx));
  // Governance slashes take the evidence path (their burns leave below),
  // or the native slash path for a provider validator.
  MESH_RETURN_IF_ERROR(provider::Governance::EndBlock(ctx, HandleGovernanceSlash).status());
  const std::string prefix = Encoder(tables::kProviderChannelOf).Take();
  std::vector<std::pair<ConsumerId, ChannelId>> channels;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(std::string consumer, k.Str());
    MESH_ASSIGN_OR_RETURN(std::string channel, v.Str());
    channels.emplace_back(ConsumerId(std::move(consumer)), ChannelId(std::move(channel)));
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const auto& [consumer, channel] : channels) {
    MESH_RETURN_IF_ERROR(SendOutbox(ctx, consumer, channel));
  }
  return absl::OkStatus();
}

absl::Status ProviderApp::SendOutbox(const Context& ctx, const ConsumerId& consumer,
                                     const ChannelId& channel) const {
  MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end,
                        ibc::GetChannel(ctx.store(), port_, channel));
  // A closed channel keeps its queue; ExternalStaking refuses new packets.
  if (!end.has_value() || end->state != ibc::ChannelState::kOpen) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::vector<OutboundPacket> queue,
                        ExternalStaking::DrainOutbox(ctx, consumer));
  for (const OutboundPacket& p : queue) {
    if (p.kind == OutboundPacket::Kind::kBurn) {
      MESH_RETURN_IF_ERROR(AddBurnInFlight(ctx, consumer, p, /*add=*/true));
    }
    const uint64_t timeout_ns =
        p.timeout_ns != 0 ? p.timeout_ns
                          : ctx.time_ns() + packets::kProviderPacketTimeoutSeconds * kNanosPerSecond;
    MESH_RETURN_IF_ERROR(host_->SendPacket(ctx, port_, channel, ibc::Timeout::AtTimeNs(timeout_ns),
                                           packets::EncodeProviderPacket(ToWire(p)))
                             .status());
  }
  return absl::OkStatus();
}

packets::ProviderPacket ProviderApp::ToWire(const OutboundPacket& p) {
  const packets::Coin coin{p.denom, p.amount};
  const ValidatorAddress validator = p.validators.empty() ? ValidatorAddress() : p.validators[0];
  switch (p.kind) {
    case OutboundPacket::Kind::kStake:
      return packets::StakePacket{p.delegator, validator, coin, p.tx_id};
    case OutboundPacket::Kind::kUnstake:
      return packets::UnstakePacket{p.delegator, validator, coin, p.tx_id};
    case OutboundPacket::Kind::kBurn:
      return packets::BurnPacket{p.validators, coin};
    case OutboundPacket::Kind::kTransferRewards:
      return packets::TransferRewardsPacket{coin, AccountAddress(p.recipient), p.tx_id};
  }
  return packets::BurnPacket{p.validators, coin};
}

OutboundPacket ProviderApp::FromWire(const packets::ProviderPacket& wire) {
  OutboundPacket out;
  std::visit(Overloaded{
                 [&](const packets::StakePacket& p) {
                   out = OutboundPacket{OutboundPacket::Kind::kStake, p.tx_id, p.delegator,
                                        {p.validator}, p.stake.amount, p.stake.denom, "", 0};
                 },
                 [&](const packets::UnstakePacket& p) {
                   out = OutboundPacket{OutboundPacket::Kind::kUnstake, p.tx_id, p.delegator,
                                        {p.validator}, p.unstake.amount, p.unstake.denom, "", 0};
                 },
                 [&](const packets::BurnPacket& p) {
                   out = OutboundPacket{OutboundPacket::Kind::kBurn, 0, AccountAddress(),
                                        p.validators, p.burn.amount, p.burn.denom, "", 0};
                 },
                 [&](const packets::TransferRewardsPacket& p) {
                   out = OutboundPacket{OutboundPacket::Kind::kTransferRewards, p.tx_id,
                                        AccountAddress(), {}, p.rewards.amount,
                                        p.rewards.denom, p.recipient.value(), 0};
                 },
             },
             wire);
  return out;
}

}  // namespace mesh::app
