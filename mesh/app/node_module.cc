#include "mesh/app/node_module.h"

#include <functional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/status.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/vault.h"

namespace mesh::app {
namespace {

using consumer::Consumer;
using consumer::PriceFeed;
using consumer::ProviderId;
using provider::ConsumerId;
using provider::ExternalStaking;
using provider::LocalStaking;
using provider::Vault;

using Body = std::function<absl::Status(const Context&, const AccountAddress&, JsonFields&)>;

// A message handler parsing a strict JSON object and handing it to `body`.
node::MsgHandler Strict(std::string type, Body body) {
  return [type = std::move(type), body = std::move(body)](
             const Context& ctx, const AccountAddress& signer,
             std::string_view text) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Json json, Json::Parse(text));
    MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(json, type));
    MESH_RETURN_IF_ERROR(body(ctx, signer, f));
    return f.Finish();
  };
}

absl::StatusOr<Amount> AmountField(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String(key));
  return Amount::Parse(s);
}

absl::StatusOr<ValidatorAddress> ValidatorField(JsonFields& f) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String("validator"));
  return ValidatorAddress(s);
}

absl::StatusOr<ConsumerId> ConsumerField(JsonFields& f) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String("consumer"));
  return ConsumerId(s);
}

absl::StatusOr<ProviderId> ProviderField(JsonFields& f) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String("provider"));
  return ProviderId(s);
}

void InstallVaultMsgs(node::Chain& chain) {
  chain.RegisterMsg("vault/bond", Strict("vault/bond", [](auto& ctx, auto& user, auto& f)
                                             -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return Vault::Bond(ctx, user, amount);
  }));
  chain.RegisterMsg("vault/unbond", Strict("vault/unbond", [](auto& ctx, auto& user, auto& f)
                                               -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return Vault::Unbond(ctx, user, amount);
  }));
  chain.RegisterMsg("vault/stake_local", Strict("vault/stake_local", [](auto& ctx, auto& user,
                                                                        auto& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ValidatorAddress v, ValidatorField(f));
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return Vault::StakeLocal(ctx, user, amount, v);
  }));
  chain.RegisterMsg("vault/stake_remote", Strict("vault/stake_remote", [](auto& ctx, auto& user,
                                                                          auto& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ConsumerId c, ConsumerField(f));
    MESH_ASSIGN_OR_RETURN(ValidatorAddress v, ValidatorField(f));
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return Vault::StakeRemote(ctx, user, c, amount, v).status();
  }));
}

void InstallLocalMsgs(node::Chain& chain) {
  chain.RegisterMsg("local/unstake", Strict("local/unstake", [](auto& ctx, auto& user, auto& f)
                                                -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ValidatorAddress v, ValidatorField(f));
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return LocalStaking::Unstake(ctx, user, v, amount);
  }));
  chain.RegisterMsg("local/withdraw_unbonded",
                    Strict("local/withdraw_unbonded", [](auto& ctx, auto& user, auto&) {
                      return LocalStaking::ReleaseUnbonded(ctx, user).status();
                    }));
  chain.RegisterMsg("local/withdraw_rewards",
                    Strict("local/withdraw_rewards", [](auto& ctx, auto& user, auto&) {
                      return LocalStaking::WithdrawRewards(ctx, user).status();
                    }));
}

void InstallExternalMsgs(node::Chain& chain) {
  chain.RegisterMsg("external/unstake", Strict("external/unstake", [](auto& ctx, auto& user,
                                                                      auto& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ConsumerId c, ConsumerField(f));
    MESH_ASSIGN_OR_RETURN(ValidatorAddress v, ValidatorField(f));
    MESH_ASSIGN_OR_RETURN(Amount amount, AmountField(f, "amount"));
    return ExternalStaking::Unstake(ctx, c, user, v, amount).status();
  }));
  chain.RegisterMsg("external/withdraw_unbonded",
                    Strict("external/withdraw_unbonded", [](auto& ctx, auto& user, auto& f)
                               -> absl::Status {
                      MESH_ASSIGN_OR_RETURN(ConsumerId c, ConsumerField(f));
                      return ExternalStaking::WithdrawUnbonded(ctx, c, user).status();
                    }));
  chain.RegisterMsg("external/withdraw_rewards",
                    Strict("external/withdraw_rewards", [](auto& ctx, auto& user, auto& f)
                               -> absl::Status {
                      MESH_ASSIGN_OR_RETURN(ConsumerId c, ConsumerField(f));
                      MESH_ASSIGN_OR_RETURN(ValidatorAddress v, ValidatorField(f));
                      MESH_ASSIGN_OR_RETURN(std::string to, f.String("remote_recipient"));
                      return ExternalStaking::WithdrawRewards(ctx, c, user, v, to).status();
                    }));
}

void InstallConsumerMsgs(node::Chain& chain) {
  chain.RegisterMsg("consumer/set_price", Strict("consumer/set_price", [](auto& ctx, auto& who,
                                                                          auto& f) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ProviderId p, ProviderField(f));
    MESH_ASSIGN_OR_RETURN(std::string text, f.String("price"));
    MESH_ASSIGN_OR_RETURN(Dec price, Dec::Parse(text));
    return PriceFeed::SetPrice(ctx, who, p, price);
  }));
  chain.RegisterMsg("consumer/set_max_cap", Strict("consumer/set_max_cap", [](auto& ctx, auto& who,
                                                                              auto& f)
                                                                               -> absl::Status {
    MESH_ASSIGN_OR_RETURN(ProviderId p, ProviderField(f));
    MESH_ASSIGN_OR_RETURN(Amount cap, AmountField(f, "cap"));
    return Consumer::SetMaxCap(ctx, who, p, cap);
  }));
}

}  // namespace

void InstallProvider(node::Chain& chain, const ProviderApp& app) {
  InstallVaultMsgs(chain);
  InstallLocalMsgs(chain);
  InstallExternalMsgs(chain);
  chain.AddEndBlocker([&app](const Context& ctx) { return app.EndBlock(ctx); });
}

void InstallConsumer(node::Chain& chain, const ConsumerApp& app) {
  InstallConsumerMsgs(chain);
  chain.AddEndBlocker([](const Context& ctx) { return Consumer::EndBlock(ctx).status(); });
  chain.AddEndBlocker([&app](const Context& ctx) { return app.EndBlock(ctx); });
}

}  // namespace mesh::app
