#include "app/mesh_query_service.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "app/mesh_query_internal.h"
#include "core/codec.h"
#include "core/status.h"
#include "ibc/state.h"
#include "mesh/app/consumer_app.h"
#include "mesh/app/provider_app.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/consumer/rewards.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/vault.h"
#include "meshsec/v1/mesh_query.grpc.pb.h"
#include "node/pagination.h"

namespace mesh::app {
namespace {

using namespace ::mesh::node;  // NOLINT(build/namespaces): the node types this service reads

namespace pb = ::meshsec::v1;
namespace pv = ::mesh::provider;
namespace cs = ::mesh::consumer;

using namespace ::mesh::app::mq;  // NOLINT(build/namespaces): the shared query helpers

// ---- formatting -------------------------------------------------------------

void SetRange(const pv::AmountRange& r, pb::AmountRange* out) {
  out->set_low(r.low().ToString());
  out->set_high(r.high().ToString());
}

// ---- provider ---------------------------------------------------------------

absl::StatusOr<pv::ExternalConfig> RequireConsumerLink(const Context& ctx,
                                                       const std::string& consumer) {
  MESH_RETURN_IF_ERROR(Required("consumer", consumer));
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  MESH_ASSIGN_OR_RETURN(std::vector<pv::ConsumerId> all, pv::Vault::ActiveExternalStaking(ctx));
  if (std::find(all.begin(), all.end(), pv::ConsumerId(consumer)) == all.end()) {
    return absl::NotFoundError("unknown consumer " + consumer);
  }
  return pv::ExternalStaking::Config(ctx, pv::ConsumerId(consumer));
}

void FillAccount(const AccountAddress& user, const pv::AccountInfo& info, pb::VaultAccount* out) {
  out->set_user(user.value());
  out->set_denom(info.denom.value());
  out->set_collateral(info.bonded.ToString());
  SetRange(info.free, out->mutable_free());
  SetRange(info.max_lien, out->mutable_max_lien());
  SetRange(info.total_slashable, out->mutable_total_slashable());
}

absl::Status VaultParams(const Chain& chain, const pb::QueryVaultParamsRequest&,
                         pb::QueryVaultParamsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(pv::VaultConfig cfg, RequireProvider(ctx));
  MESH_ASSIGN_OR_RETURN(Amount total, pv::Vault::TotalCollateral(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<pv::ConsumerId> consumers,
                        pv::Vault::ActiveExternalStaking(ctx));
  resp->set_denom(cfg.denom.value());
  resp->set_local_staking(cfg.local_staking);
  resp->set_local_max_slash(DecText(cfg.local_max_slash));
  resp->set_total_collateral(total.ToString());
  for (const pv::ConsumerId& c : consumers) resp->add_consumers(c.value());
  return absl::OkStatus();
}

absl::Status VaultAccount(const Chain& chain, const pb::QueryVaultAccountRequest& req,
                          pb::QueryVaultAccountResponse* resp) {
  MESH_RETURN_IF_ERROR(Required("user", req.user()));
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  AccountAddress user(req.user());
  MESH_ASSIGN_OR_RETURN(pv::AccountInfo info, pv::Vault::Account(ctx, user));
  FillAccount(user, info, resp->mutable_account());
  return absl::OkStatus();
}

absl::Status VaultAccounts(const Chain& chain, const pb::QueryVaultAccountsRequest& req,
                           pb::QueryVaultAccountsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  return FillOrderedPage<AccountAddress>(
      req, resp,
      [&](std::string_view from, bool reverse, const auto& visit) {
        return pv::Vault::VisitUsers(ctx, from, reverse, [&](const AccountAddress& user) {
          return visit(user.value(), user);
        });
      },
      [&](const AccountAddress& user) -> absl::Status {
        MESH_ASSIGN_OR_RETURN(pv::AccountInfo info, pv::Vault::Account(ctx, user));
        FillAccount(user, info, resp->add_accounts());
        return absl::OkStatus();
      });
}

absl::Status VaultClaims(const Chain& chain, const pb::QueryVaultClaimsRequest& req,
                         pb::QueryVaultClaimsResponse* resp) {
  MESH_RETURN_IF_ERROR(Required("user", req.user()));
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  AccountAddress user(req.user());
  std::vector<pv::Claim> all;
  std::optional<pv::LienHolder> after;
  while (true) {
    MESH_ASSIGN_OR_RETURN(std::vector<pv::Claim> batch,
                          pv::Vault::AccountClaims(ctx, user, after, kReadBatch));
    if (batch.empty()) break;
    after = batch.back().holder;
    for (pv::Claim& c : batch) all.push_back(std::move(c));
  }
  return FillPage(
      all, [](const pv::Claim& c) { return c.holder.Key(); }, req, resp,
      [&](const pv::Claim& c) -> absl::Status {
        MESH_ASSIGN_OR_RETURN(pv::Lien lien, pv::Vault::GetClaim(ctx, user, c.holder));
        pb::VaultClaim* out = resp->add_claims();
        out->set_lien_holder(c.holder.Key());
        SetRange(c.amount, out->mutable_amount());
        out->set_slash_ratio(DecText(lien.slashable));
        return absl::OkStatus();
      });
}

absl::Status VaultPendingTxs(const Chain& chain, const pb::QueryVaultPendingTxsRequest& req,
                             pb::QueryVaultPendingTxsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  std::vector<pv::VaultTx> all;
  std::optional<uint64_t> before;
  while (true) {
    MESH_ASSIGN_OR_RETURN(std::vector<pv::VaultTx> batch,
                          pv::Vault::AllPendingTxsDesc(ctx, before, kReadBatch));
    if (batch.empty()) break;
    before = batch.back().id;
    for (pv::VaultTx& t : batch) all.push_back(std::move(t));
  }
  return FillPage(
      all, [](const pv::VaultTx& t) { return IdKey(t.id); }, req, resp,
      [&](const pv::VaultTx& t) {
        pb::VaultPendingTx* out = resp->add_txs();
        out->set_id(t.id);
        out->set_user(t.user.value());
        out->set_lien_holder(t.holder.Key());
        out->set_amount(t.amount.ToString());
        out->set_slash_ratio(DecText(t.slashable));
        return absl::OkStatus();
      });
}

absl::Status FillLink(const Context& ctx, const pv::ConsumerId& consumer, pb::MeshLink* out) {
  MESH_ASSIGN_OR_RETURN(pv::ExternalConfig cfg, pv::ExternalStaking::Config(ctx, consumer));
  out->set_consumer(consumer.value());
  out->set_denom(cfg.denom.value());
  out->set_rewards_denom(cfg.rewards_denom.value());
  out->set_unbonding_period_seconds(cfg.unbonding_period_s);
  out->set_slash_ratio_double_sign(DecText(cfg.slash_ratio_dsign));
  out->set_slash_ratio_offline(DecText(cfg.slash_ratio_offline));
  out->set_closed(cfg.closed);
  MESH_ASSIGN_OR_RETURN(std::optional<app::RemoteContact> contact,
                        app::ProviderApp::ContactOf(ctx, consumer));
  if (contact.has_value()) {
    out->set_connection_id(contact->connection.value());
    out->set_counterparty_port(contact->port.value());
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelId> channel,
                        app::ProviderApp::ChannelOf(ctx, consumer));
  if (channel.has_value()) {
    const PortId port(app::kProviderPort);
    out->set_port_id(port.value());
    out->set_channel_id(channel->value());
    MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end,
                          ibc::GetChannel(ctx.store(), port, *channel));
    if (end.has_value()) {
      out->set_channel_state(ibc::StateName(end->state));
      out->set_counterparty_channel_id(end->counterparty_channel.value());
      out->set_version(end->version);
    }
  }
  MESH_ASSIGN_OR_RETURN(std::vector<pv::OutboundPacket> outbox,
                        pv::ExternalStaking::Outbox(ctx, consumer));
  out->set_outbox_packets(outbox.size());
  return absl::OkStatus();
}

absl::Status Links(const Chain& chain, const pb::QueryLinksRequest& req,
                   pb::QueryLinksResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  MESH_ASSIGN_OR_RETURN(std::vector<pv::ConsumerId> all, pv::Vault::ActiveExternalStaking(ctx));
  return FillPage(
      all, [](const pv::ConsumerId& c) { return c.value(); }, req, resp,
      [&](const pv::ConsumerId& c) { return FillLink(ctx, c, resp->add_links()); });
}

absl::Status Link(const Chain& chain, const pb::QueryLinkRequest& req,
                  pb::QueryLinkResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireConsumerLink(ctx, req.consumer()).status());
  return FillLink(ctx, pv::ConsumerId(req.consumer()), resp->mutable_link());
}

const char* TxKindName(pv::ExternalTx::Kind k) {
  switch (k) {
    case pv::ExternalTx::Kind::kStake: return "stake";
    case pv::ExternalTx::Kind::kUnstake: return "unstake";
    case pv::ExternalTx::Kind::kTransferRewards: return "transfer_rewards";
  }
  return "unknown";
}

absl::Status ExternalPendingTxs(const Chain& chain, const pb::QueryExternalPendingTxsRequest& req,
                                pb::QueryExternalPendingTxsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireConsumerLink(ctx, req.consumer()).status());
  const pv::ConsumerId consumer(req.consumer());
  std::vector<pv::ExternalTx> all;
  std::optional<uint64_t> before;
  while (true) {
    MESH_ASSIGN_OR_RETURN(std::vector<pv::ExternalTx> batch,
                          pv::ExternalStaking::AllPendingTxsDesc(ctx, consumer, before, kReadBatch));
    if (batch.empty()) break;
    before = batch.back().id;
    for (pv::ExternalTx& t : batch) all.push_back(std::move(t));
  }
  return FillPage(
      all, [](const pv::ExternalTx& t) { return IdKey(t.id); }, req, resp,
      [&](const pv::ExternalTx& t) {
        pb::ExternalPendingTx* out = resp->add_txs();
        out->set_id(t.id);
        out->set_kind(TxKindName(t.kind));
        out->set_user(t.user.value());
        out->set_validator(t.validator.value());
        out->set_amount(t.amount.ToString());
        return absl::OkStatus();
      });
}

absl::Status ExternalStakes(const Chain& chain, const pb::QueryExternalStakesRequest& req,
                            pb::QueryExternalStakesResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireConsumerLink(ctx, req.consumer()).status());
  const pv::ConsumerId consumer(req.consumer());
  auto fill_stake = [&](const AccountAddress& user, const ValidatorAddress& validator,
                        const pv::Stake& stake) -> absl::Status {
    pb::ExternalStake* out = resp->add_stakes();
    out->set_consumer(consumer.value());
    out->set_user(user.value());
    out->set_validator(validator.value());
    SetRange(stake.stake, out->mutable_stake());
    for (const pv::PendingUnbond& u : stake.pending_unbonds) {
      pb::UnbondingEntry* pu = out->add_unbonding();
      pu->set_amount(u.amount.ToString());
      SetTime(u.release_at_ns, pu->mutable_release_time());
    }
    out->set_withdrawn_rewards(stake.withdrawn_funds.ToString());
    out->set_withdrawing_rewards(stake.withdrawing.ToString());
    MESH_ASSIGN_OR_RETURN(Amount owed,
                          pv::ExternalStaking::PendingRewards(ctx, consumer, user, validator));
    out->set_pending_rewards(owed.ToString());
    return absl::OkStatus();
  };
  // A stake of a page read from a list of keys.
  auto fill = [&](const AccountAddress& user, const ValidatorAddress& validator) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(pv::Stake stake,
                          pv::ExternalStaking::GetStake(ctx, consumer, user, validator));
    return fill_stake(user, validator, stake);
  };
  using Key = std::pair<AccountAddress, ValidatorAddress>;
  auto fill_key = [&](const Key& k) { return fill(k.first, k.second); };
  if (!req.validator().empty()) {
    const ValidatorAddress validator(req.validator());
    if (!req.user().empty()) {
      // One stake at most: a list of it, paged as any other.
      std::vector<Key> one;
      MESH_RETURN_IF_ERROR(pv::ExternalStaking::VisitValidatorUsers(
          ctx, consumer, validator, req.user(), false,
          [&](const AccountAddress& user) -> absl::StatusOr<bool> {
            if (user.value() == req.user()) one.emplace_back(user, validator);
            return false;
          }));
      return FillPage(
          one, [](const Key& k) { return PairKey(k.first.value(), k.second.value()); }, req, resp,
          fill_key);
    }
    // A validator's stakers, from the validator's index: by user.
    return FillOrderedPage<AccountAddress>(
        req, resp,
        [&](std::string_view from, bool reverse, const auto& visit) {
          return pv::ExternalStaking::VisitValidatorUsers(
              ctx, consumer, validator, from, reverse,
              [&](const AccountAddress& user) { return visit(user.value(), user); });
        },
        [&](const AccountAddress& user) { return fill(user, validator); });
  }
  if (!req.user().empty()) {
    std::vector<pv::StakeEntry> all;
    std::optional<ValidatorAddress> after;
    while (true) {
      MESH_ASSIGN_OR_RETURN(std::vector<pv::StakeEntry> batch,
                            pv::ExternalStaking::Stakes(ctx, consumer, AccountAddress(req.user()),
                                                        after, kReadBatch));
      if (batch.empty()) break;
      after = batch.back().validator;
      for (pv::StakeEntry& e : batch) all.push_back(std::move(e));
    }
    return FillPage(
        all, [](const pv::StakeEntry& e) { return PairKey(e.user.value(), e.validator.value()); },
        req, resp,
        [&](const pv::StakeEntry& e) { return fill_stake(e.user, e.validator, e.stake); });
  }
  // Every stake of the consumer, in store order (opaque page keys).
  return FillOrderedPage<Key>(
      req, resp,
      [&](std::string_view from, bool reverse, const auto& visit) {
        return pv::ExternalStaking::VisitStakeKeys(
            ctx, consumer, from, reverse,
            [&](std::string_view key, const AccountAddress& user, const ValidatorAddress& v) {
              return visit(key, Key(user, v));
            });
      },
      fill_key);
}

absl::Status PendingRewards(const Chain& chain, const pb::QueryPendingRewardsRequest& req,
                            pb::QueryPendingRewardsResponse* resp) {
  MESH_RETURN_IF_ERROR(Required("user", req.user()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(pv::ExternalConfig cfg, RequireConsumerLink(ctx, req.consumer()));
  MESH_ASSIGN_OR_RETURN(auto all, pv::ExternalStaking::AllPendingRewards(
                                      ctx, pv::ConsumerId(req.consumer()),
                                      AccountAddress(req.user())));
  Amount total;
  for (const auto& [v, a] : all) {
    MESH_ASSIGN_OR_RETURN(total, total.Add(a));
  }
  resp->set_total(total.ToString());
  resp->set_rewards_denom(cfg.rewards_denom.value());
  return FillPage(
      all, [](const auto& e) { return e.first.value(); }, req, resp, [&](const auto& e) {
        pb::RewardOwed* out = resp->add_rewards();
        out->set_validator(e.first.value());
        out->set_amount(e.second.ToString());
        return absl::OkStatus();
      });
}

absl::Status RemoteValidators(const Chain& chain, const pb::QueryRemoteValidatorsRequest& req,
                              pb::QueryRemoteValidatorsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireConsumerLink(ctx, req.consumer()).status());
  const pv::ConsumerId consumer(req.consumer());
  std::vector<std::pair<ValidatorAddress, pv::RemoteState>> all;
  std::optional<ValidatorAddress> after;
  while (true) {
    MESH_ASSIGN_OR_RETURN(auto batch,
                          pv::RemoteValidators::List(ctx, consumer, after, kReadBatch));
    if (batch.empty()) break;
    after = batch.back().first;
    for (auto& e : batch) all.push_back(std::move(e));
  }
  return FillPage(
      all, [](const auto& e) { return e.first.value(); }, req, resp,
      [&](const auto& e) -> absl::Status {
        MESH_ASSIGN_OR_RETURN(pv::ValidatorHistory h,
                              pv::RemoteValidators::Get(ctx, consumer, e.first));
        MESH_ASSIGN_OR_RETURN(pv::Distribution d,
                              pv::ExternalStaking::GetDistribution(ctx, consumer, e.first));
        pb::RemoteValidator* out = resp->add_validators();
        out->set_validator(e.first.value());
        out->set_state(pv::RemoteStateName(e.second));
        for (const pv::ValState& s : h.entries) {
          pb::RemoteValidatorState* ps = out->add_history();
          ps->set_pub_key(s.pub_key);
          ps->set_start_height(s.start_height);
          SetTime(s.start_time * kNanosPerSecond, ps->mutable_start_time());
          ps->set_state(pv::RemoteStateName(s.state));
        }
        out->set_total_stake(d.total_stake.ToString());
        return absl::OkStatus();
      });
}

// Both roles: the IBC packets this chain sent and still waits on.
absl::Status PacketsInFlight(const Chain& chain, const pb::QueryPacketsInFlightRequest& req,
                             pb::QueryPacketsInFlightResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::vector<ibc::Packet> all, ibc::ListUnsettledPackets(ctx.store()));
  auto key = [](const ibc::Packet& p) {
    return PairKey(PairKey(p.source_port.value(), p.source_channel.value()), IdKey(p.sequence));
  };
  return FillPage(all, key, req, resp, [&](const ibc::Packet& p) {
    pb::PacketInFlight* out = resp->add_packets();
    out->set_source_port(p.source_port.value());
    out->set_source_channel(p.source_channel.value());
    out->set_sequence(p.sequence);
    out->set_destination_port(p.destination_port.value());
    out->set_destination_channel(p.destination_channel.value());
    out->set_timeout_height(p.timeout.height);
    if (p.timeout.timestamp_ns != 0) {
      SetTime(p.timeout.timestamp_ns, out->mutable_timeout_timestamp());
    }
    out->set_data(p.data);
    return absl::OkStatus();
  });
}

// ---- consumer ---------------------------------------------------------------

absl::StatusOr<cs::ModuleParams> RequireConsumer(const Context& ctx) {
  absl::StatusOr<cs::ModuleParams> params = cs::Consumer::GetParams(ctx);
  if (absl::IsNotFound(params.status())) {
    return absl::FailedPreconditionError("this chain has no consumer role");
  }
  return params;
}

absl::Status RequireProviderLink(const Context& ctx, const std::string& provider) {
  MESH_RETURN_IF_ERROR(Required("provider", provider));
  MESH_RETURN_IF_ERROR(RequireConsumer(ctx).status());
  MESH_ASSIGN_OR_RETURN(std::vector<cs::ProviderId> all, cs::Consumer::Providers(ctx));
  if (std::find(all.begin(), all.end(), cs::ProviderId(provider)) == all.end()) {
    return absl::NotFoundError("unknown provider " + provider);
  }
  return absl::OkStatus();
}

absl::Status ConsumerParams(const Chain& chain, const pb::QueryConsumerParamsRequest&,
                            pb::QueryConsumerParamsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(cs::ModuleParams params, RequireConsumer(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<cs::ProviderId> providers, cs::Consumer::Providers(ctx));
  resp->set_authority(params.authority.value());
  resp->set_total_max_cap(params.total_max_cap.ToString());
  resp->set_epoch_length(params.epoch_length);
  for (const cs::ProviderId& p : providers) resp->add_providers(p.value());
  return absl::OkStatus();
}

absl::Status FillProvider(const Context& ctx, const cs::ProviderId& p, pb::ProviderRecord* out) {
  MESH_ASSIGN_OR_RETURN(cs::ProviderConfig cfg, cs::Consumer::GetConfig(ctx, p));
  MESH_ASSIGN_OR_RETURN(cs::ProviderState st, cs::Consumer::GetState(ctx, p));
  MESH_ASSIGN_OR_RETURN(std::optional<cs::PriceInfo> price, cs::PriceFeed::Stored(ctx, p));
  out->set_provider(p.value());
  out->set_remote_denom(cfg.remote_denom.value());
  MESH_ASSIGN_OR_RETURN(Dec discount, Dec::One().Sub(cfg.price_adjustment));
  out->set_discount(DecText(discount));
  out->set_price_adjustment(DecText(cfg.price_adjustment));
  out->set_oracle(cfg.oracle.value());
  out->set_price_ttl_seconds(cfg.price_ttl_s);
  out->set_max_retrieve(cfg.max_retrieve);
  out->set_channel_open(st.channel_open);
  out->set_has_max_cap(st.has_max_cap);
  out->set_max_cap(st.max_cap.ToString());
  out->set_next_epoch_height(st.next_epoch_height);
  out->set_total_delegated(st.total_delegated.ToString());
  out->set_minted(st.minted.ToString());
  out->set_burned(st.burned.ToString());
  out->set_slashed(st.slashed.ToString());
  if (price.has_value()) {
    pb::ProviderPrice* pp = out->mutable_price();
    pp->set_native_per_foreign(DecText(price->native_per_foreign));
    SetTime(price->time_ns, pp->mutable_time());
    // The validity rule of PriceFeed::Price at the served block's time.
    pp->set_valid(cs::PriceFeed::Price(ctx, p).ok());
  }
  MESH_ASSIGN_OR_RETURN(AccountAddress virt, cs::VirtualStaking::VirtualAccount(ctx, p));
  out->set_virtual_account(virt.value());
  MESH_ASSIGN_OR_RETURN(std::optional<ConnectionId> conn, app::ConsumerApp::ConnectionOf(ctx, p));
  if (conn.has_value()) out->set_connection_id(conn->value());
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelId> channel, app::ConsumerApp::ChannelOf(ctx, p));
  if (channel.has_value()) out->set_channel_id(channel->value());
  return absl::OkStatus();
}

absl::Status Providers(const Chain& chain, const pb::QueryProvidersRequest& req,
                       pb::QueryProvidersResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireConsumer(ctx).status());
  MESH_ASSIGN_OR_RETURN(std::vector<cs::ProviderId> all, cs::Consumer::Providers(ctx));
  return FillPage(
      all, [](const cs::ProviderId& p) { return p.value(); }, req, resp,
      [&](const cs::ProviderId& p) { return FillProvider(ctx, p, resp->add_providers()); });
}

absl::Status Provider(const Chain& chain, const pb::QueryProviderRequest& req,
                      pb::QueryProviderResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProviderLink(ctx, req.provider()));
  return FillProvider(ctx, cs::ProviderId(req.provider()), resp->mutable_provider());
}

absl::Status VirtualStakes(const Chain& chain, const pb::QueryVirtualStakesRequest& req,
                           pb::QueryVirtualStakesResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProviderLink(ctx, req.provider()));
  const cs::ProviderId p(req.provider());
  MESH_ASSIGN_OR_RETURN(cs::ValidatorAmounts requests, cs::VirtualStaking::AllBondRequests(ctx, p));
  MESH_ASSIGN_OR_RETURN(cs::ValidatorAmounts bonded, cs::VirtualStaking::GetAllStake(ctx, p));
  MESH_ASSIGN_OR_RETURN(auto actual, cs::VirtualStaking::ActualDelegations(ctx, p));
  MESH_ASSIGN_OR_RETURN(std::vector<cs::RewardInfo> rewards, cs::Rewards::Pending(ctx, p));
  std::map<std::string, pb::VirtualStake> rows;
  auto row = [&](const ValidatorAddress& v) -> pb::VirtualStake& {
    pb::VirtualStake& r = rows[v.value()];
    if (r.validator().empty()) {
      r.set_validator(v.value());
      r.set_bond_request("0");
      r.set_bonded("0");
      r.set_actual_delegation("0");
      r.set_pending_rewards("0");
    }
    return r;
  };
  for (const auto& [v, a] : requests) row(v).set_bond_request(a.ToString());
  for (const auto& [v, a] : bonded) row(v).set_bonded(a.ToString());
  for (const auto& [v, a] : actual) row(v).set_actual_delegation(a.ToString());
  for (const cs::RewardInfo& r : rewards) row(r.validator).set_pending_rewards(r.reward.ToString());
  std::vector<const pb::VirtualStake*> all;
  for (const auto& [v, r] : rows) all.push_back(&r);
  return FillPage(
      all, [](const pb::VirtualStake* r) { return r->validator(); }, req, resp,
      [&](const pb::VirtualStake* r) {
        *resp->add_stakes() = *r;
        return absl::OkStatus();
      });
}

absl::Status DelegationRecords(const Chain& chain, const pb::QueryDelegationRecordsRequest& req,
                               pb::QueryDelegationRecordsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProviderLink(ctx, req.provider()));
  const cs::ProviderId provider(req.provider());
  std::optional<ValidatorAddress> only;
  if (!req.validator().empty()) only = ValidatorAddress(req.validator());
  using Key = std::pair<ValidatorAddress, AccountAddress>;
  return FillOrderedPage<Key>(
      req, resp,
      [&](std::string_view from, bool reverse, const auto& visit) {
        return cs::VirtualStaking::VisitRecordKeys(
            ctx, provider, only, from, reverse,
            [&](std::string_view key, const ValidatorAddress& v, const AccountAddress& d) {
              return visit(key, Key(v, d));
            });
      },
      [&](const Key& k) -> absl::Status {
        MESH_ASSIGN_OR_RETURN(std::optional<cs::DelegationRecord> r,
                              cs::VirtualStaking::GetRecord(ctx, provider, k.second, k.first));
        if (!r.has_value()) return absl::InternalError("a listed delegation record is missing");
        pb::DelegationRecord* out = resp->add_records();
        out->set_validator(k.first.value());
        out->set_delegator(k.second.value());
        out->set_remote(r->remote.ToString());
        out->set_local(r->local.ToString());
        out->set_unstake_in_flight(r->unstake_in_flight);
        out->set_slash_debt(r->slash_debt.ToString());
        for (const cs::RecordAddition& a : r->additions) {
          pb::RecordAddition* pa = out->add_additions();
          pa->set_height(a.height);
          SetTime(a.time_s * kNanosPerSecond, pa->mutable_time());
          pa->set_remote(a.remote.ToString());
        }
        return absl::OkStatus();
      });
}

// ---- the services -------------------------------------------------------------

using C = grpc::CallbackServerContext;

#define MESH_QUERY_METHOD(Name, Fn)                                                      \
  grpc::ServerUnaryReactor* Name(C* call, const pb::Query##Name##Request* q,             \
                                 pb::Query##Name##Response* r) override {                \
    return RunUnaryQuery(query_, call, ::mesh::app::Fn, q, r);                           \
  }

class ProviderQueryService final : public pb::ProviderQuery::CallbackService {
 public:
  explicit ProviderQueryService(ChainQueryFn query) : query_(std::move(query)) {}
  MESH_QUERY_METHOD(VaultParams, VaultParams)
  MESH_QUERY_METHOD(VaultAccount, VaultAccount)
  MESH_QUERY_METHOD(VaultAccounts, VaultAccounts)
  MESH_QUERY_METHOD(VaultClaims, VaultClaims)
  MESH_QUERY_METHOD(VaultPendingTxs, VaultPendingTxs)
  MESH_QUERY_METHOD(Links, Links)
  MESH_QUERY_METHOD(Link, Link)
  MESH_QUERY_METHOD(ExternalPendingTxs, ExternalPendingTxs)
  MESH_QUERY_METHOD(ExternalStakes, ExternalStakes)
  MESH_QUERY_METHOD(PendingRewards, PendingRewards)
  MESH_QUERY_METHOD(RemoteValidators, RemoteValidators)
  MESH_QUERY_METHOD(PacketsInFlight, PacketsInFlight)

 private:
  ChainQueryFn query_;
};

class ConsumerQueryService final : public pb::ConsumerQuery::CallbackService {
 public:
  explicit ConsumerQueryService(ChainQueryFn query) : query_(std::move(query)) {}
  grpc::ServerUnaryReactor* Params(C* call, const pb::QueryConsumerParamsRequest* q,
                                   pb::QueryConsumerParamsResponse* r) override {
    return RunUnaryQuery(query_, call, ::mesh::app::ConsumerParams, q, r);
  }
  MESH_QUERY_METHOD(Providers, Providers)
  MESH_QUERY_METHOD(Provider, Provider)
  MESH_QUERY_METHOD(VirtualStakes, VirtualStakes)
  MESH_QUERY_METHOD(DelegationRecords, DelegationRecords)
  MESH_QUERY_METHOD(PacketsInFlight, PacketsInFlight)

 private:
  ChainQueryFn query_;
};

#undef MESH_QUERY_METHOD

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> NewMeshQueryServices(ChainQueryFn query) {
  std::vector<std::unique_ptr<grpc::Service>> out;
  out.push_back(std::make_unique<ProviderQueryService>(query));
  out.push_back(std::make_unique<ConsumerQueryService>(query));
  out.push_back(mq::NewSharedSecurityQueryService(std::move(query)));
  return out;
}

}  // namespace mesh::app
