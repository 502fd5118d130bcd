#include "mesh/app/node_module.h"

#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/json.h"
#include "core/status.h"
#include "mesh/consumer/consumer.h"
#include "mesh/app/shared_security.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/governance.h"
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

absl::StatusOr<std::string> HexField(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String(key));
  return FromHex(s);
}

// A CometBFT vote as the evidence message carries it (flat; bytes in hex,
// the signature in base64).
absl::StatusOr<provider::Vote> VoteField(JsonFields& outer, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(const Json* json, outer.Required(key));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(*json, "vote"));
  provider::Vote v;
  MESH_ASSIGN_OR_RETURN(uint64_t type, f.U64("type"));
  MESH_ASSIGN_OR_RETURN(uint64_t height, f.U64("height"));
  MESH_ASSIGN_OR_RETURN(uint64_t round, f.U64("round"));
  MESH_ASSIGN_OR_RETURN(v.block_id.hash, HexField(f, "block_hash"));
  MESH_ASSIGN_OR_RETURN(uint64_t total, f.U64("part_total"));
  MESH_ASSIGN_OR_RETURN(v.block_id.part_set_header.hash, HexField(f, "part_hash"));
  MESH_ASSIGN_OR_RETURN(uint64_t seconds, f.U64("timestamp_seconds"));
  MESH_ASSIGN_OR_RETURN(uint64_t nanos, f.U64("timestamp_nanos"));
  MESH_ASSIGN_OR_RETURN(v.validator_address, HexField(f, "validator_address"));
  MESH_ASSIGN_OR_RETURN(uint64_t index, f.U64("validator_index"));
  MESH_ASSIGN_OR_RETURN(std::string sig, f.String("signature"));
  MESH_ASSIGN_OR_RETURN(v.signature, Base64Decode(sig));
  MESH_RETURN_IF_ERROR(f.Finish());
  if (type > 255 || height > INT64_MAX || round > INT32_MAX || total > UINT32_MAX ||
      seconds > INT64_MAX || nanos > INT32_MAX || index > INT32_MAX) {
    return absl::InvalidArgumentError("vote field out of range");
  }
  v.type = static_cast<uint8_t>(type);
  v.height = static_cast<int64_t>(height);
  v.round = static_cast<int32_t>(round);
  v.block_id.part_set_header.total = static_cast<uint32_t>(total);
  v.timestamp_seconds = static_cast<int64_t>(seconds);
  v.timestamp_nanos = static_cast<int32_t>(nanos);
  v.validator_index = static_cast<int32_t>(index);
  return v;
}

void InstallSharedSecurityMsgs(node::Chain& chain) {
  chain.RegisterMsg("provider/assign_consumer_key",
                    Strict("provider/assign_consumer_key", [](auto& ctx, auto& signer, auto& f)
                               -> absl::Status {
                      MESH_ASSIGN_OR_RETURN(ConsumerId c, ConsumerField(f));
                      MESH_ASSIGN_OR_RETURN(ValidatorAddress v, ValidatorField(f));
                      MESH_ASSIGN_OR_RETURN(std::string key, f.String("key"));
                      MESH_ASSIGN_OR_RETURN(std::string raw, Base64Decode(key));
                      return AssignConsumerKey(ctx, signer, c, v, raw);
                    }));
  chain.RegisterMsg("provider/submit_consumer_double_vote",
                    Strict("provider/submit_consumer_double_vote",
                           [](auto& ctx, auto&, auto& f) -> absl::Status {
                             MESH_ASSIGN_OR_RETURN(ConsumerId c, ConsumerField(f));
                             provider::DoubleVoteEvidence e;
                             MESH_ASSIGN_OR_RETURN(e.vote_a, VoteField(f, "vote_a"));
                             MESH_ASSIGN_OR_RETURN(e.vote_b, VoteField(f, "vote_b"));
                             return SubmitConsumerDoubleVote(ctx, c, e).status();
                           }));
  chain.RegisterMsg("provider/submit_slash_proposal",
                    Strict("provider/submit_slash_proposal",
                           [](auto& ctx, auto& signer, auto& f) -> absl::Status {
                             provider::SlashProposalMsg m;
                             MESH_ASSIGN_OR_RETURN(m.consumer, ConsumerField(f));
                             MESH_ASSIGN_OR_RETURN(m.validator, f.String("validator"));
                             MESH_ASSIGN_OR_RETURN(m.infraction_height,
                                                   f.U64("infraction_height"));
                             MESH_ASSIGN_OR_RETURN(std::string fraction, f.String("fraction"));
                             MESH_ASSIGN_OR_RETURN(m.fraction, Dec::Parse(fraction));
                             MESH_ASSIGN_OR_RETURN(m.deposit, AmountField(f, "deposit"));
                             return provider::Governance::Submit(ctx, signer, m).status();
                           }));
  chain.RegisterMsg("provider/vote", Strict("provider/vote", [](auto& ctx, auto& voter, auto& f)
                                                                 -> absl::Status {
    MESH_ASSIGN_OR_RETURN(uint64_t id, f.U64("proposal_id"));
    MESH_ASSIGN_OR_RETURN(std::string option, f.String("option"));
    MESH_ASSIGN_OR_RETURN(provider::VoteOption o, provider::ParseVoteOption(option));
    return provider::Governance::Vote(ctx, voter, id, o);
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
  InstallSharedSecurityMsgs(chain);
  chain.AddEndBlocker([&app](const Context& ctx) { return app.EndBlock(ctx); });
}

void InstallConsumer(node::Chain& chain, const ConsumerApp& app) {
  InstallConsumerMsgs(chain);
  chain.AddEndBlocker([](const Context& ctx) { return Consumer::EndBlock(ctx).status(); });
  chain.AddEndBlocker([&app](const Context& ctx) { return app.EndBlock(ctx); });
}

}  // namespace mesh::app
