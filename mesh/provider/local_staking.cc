#include "mesh/provider/local_staking.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/burn.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/vault.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

constexpr char kProxyPrefix[] = "meshproxy/";

using staking::Bank;
using staking::Staking;

std::string UserKey(const AccountAddress& user) {
  return tables::Key(tables::kLocalUsers, user.value());
}

absl::Status CheckRatio(Dec r) {
  if (r.IsNegative() || Dec::One() < r) {
    return absl::InvalidArgumentError("You cannot specify a slash ratio over 1.0 (100%)");
  }
  return absl::OkStatus();
}

absl::StatusOr<LocalUser> LoadExisting(const Context& ctx, const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(std::optional<LocalUser> u, GetRecord<LocalUser>(ctx.store(), UserKey(user)));
  if (!u.has_value()) {
    return absl::NotFoundError(absl::StrCat("Missing proxy contract for ", user.value()));
  }
  return *u;
}

// (validator, tokens) of the proxy's delegations among `candidates`
// (ascending as their keys), skipping any that no longer exists.
absl::StatusOr<std::vector<std::pair<ValidatorAddress, Amount>>> DelegationsAmong(
    const Context& ctx, const AccountAddress& proxy,
    const std::vector<ValidatorAddress>& candidates) {
  std::vector<std::pair<ValidatorAddress, Amount>> out;
  for (const ValidatorAddress& v : candidates) {
    MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> d,
                          Staking::GetDelegation(ctx, proxy, v));
    if (!d.has_value()) continue;
    MESH_ASSIGN_OR_RETURN(staking::ShareRate rate, Staking::GetShareRate(ctx, v));
    MESH_ASSIGN_OR_RETURN(Amount tokens, Staking::DelegationTokens(rate, *d));
    out.emplace_back(v, tokens);
  }
  return out;
}

// The validators of the proxy's delegations, by a scan of them (for a
// record from before the list).
absl::StatusOr<std::vector<ValidatorAddress>> ScannedValidators(const Context& ctx,
                                                                const AccountAddress& proxy) {
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Delegation> dels,
                        Staking::DelegatorDelegations(ctx, proxy));
  std::vector<ValidatorAddress> out;
  for (staking::Delegation& d : dels) out.push_back(std::move(d.validator));
  return out;
}

// The user's delegations: from the record's list (point reads), or, for a
// record from before the list, a scan of the proxy's delegations.
absl::StatusOr<std::vector<std::pair<ValidatorAddress, Amount>>> DelegationsOf(
    const Context& ctx, const AccountAddress& user, const LocalUser& u) {
  const AccountAddress proxy = LocalStaking::ProxyAccount(user);
  if (u.validators.has_value()) return DelegationsAmong(ctx, proxy, *u.validators);
  MESH_ASSIGN_OR_RETURN(std::vector<ValidatorAddress> all, ScannedValidators(ctx, proxy));
  return DelegationsAmong(ctx, proxy, all);
}

// Brings u's list of validators up to date after an operation that may
// have started or ended the proxy's delegations to `touched`; whether the
// list changed.
absl::StatusOr<bool> TrackValidators(const Context& ctx, const AccountAddress& user,
                                     LocalUser& u,
                                     const std::vector<const ValidatorAddress*>& touched) {
  const AccountAddress proxy = LocalStaking::ProxyAccount(user);
  if (!u.validators.has_value()) {  // a record from before the list: all of them
    MESH_ASSIGN_OR_RETURN(u.validators, ScannedValidators(ctx, proxy));
    return true;
  }
  std::vector<ValidatorAddress>& list = *u.validators;
  bool changed = false;
  for (const ValidatorAddress* v : touched) {
    MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> d,
                          Staking::GetDelegation(ctx, proxy, *v));
    auto at = std::lower_bound(list.begin(), list.end(), *v, LocalUser::KeyOrder);
    const bool listed = at != list.end() && *at == *v;
    if (d.has_value() && !listed) list.insert(at, *v);
    if (!d.has_value() && listed) list.erase(at);
    changed = changed || d.has_value() != listed;
  }
  return changed;
}

// TrackValidators, and the record written if the list changed.
absl::Status KeepTracked(const Context& ctx, const AccountAddress& user, LocalUser& u,
                         const std::vector<const ValidatorAddress*>& touched) {
  MESH_ASSIGN_OR_RETURN(bool changed, TrackValidators(ctx, user, u, touched));
  if (!changed) return absl::OkStatus();
  return PutRecord(ctx.store(), UserKey(user), u);
}

using Balances = std::vector<std::pair<Denom, Amount>>;

// Forwards to the user whatever the proxy holds above `before` (after the
// principal the operation legitimately moved: `principal_out` left,
// `principal_in` arrived, in `denom`).
absl::Status SweepRewards(const Context& ctx, const AccountAddress& user, const Denom& denom,
                          const Balances& before_list, Amount principal_out, Amount principal_in) {
  const AccountAddress proxy = LocalStaking::ProxyAccount(user);
  std::map<std::string, Amount> before;
  for (const auto& [d, a] : before_list) before[d.value()] = a;
  MESH_ASSIGN_OR_RETURN(Balances after, Bank::Balances(ctx, proxy));
  for (const auto& [d, a] : after) {
    Amount expected = before[d.value()];
    if (d == denom) {
      MESH_ASSIGN_OR_RETURN(expected, expected.SaturatingSub(principal_out).Add(principal_in));
    }
    if (expected < a) {
      MESH_RETURN_IF_ERROR(Bank::Send(ctx, proxy, user, d, a.SaturatingSub(expected)));
    }
  }
  return absl::OkStatus();
}

// Runs a native staking operation on the user's proxy account and forwards
// to the user whatever rewards native staking paid out on the way (an SDK
// delegation change withdraws rewards), so the proxy's liquid balance stays
// pure principal. `principal_out` is what `op` legitimately took away; `op`
// returns the principal it paid into the proxy.
template <typename Op>
absl::Status WithRewardSweep(const Context& ctx, const AccountAddress& user, const Denom& denom,
                             Amount principal_out, Op op) {
  MESH_ASSIGN_OR_RETURN(Balances before, Bank::Balances(ctx, LocalStaking::ProxyAccount(user)));
  MESH_ASSIGN_OR_RETURN(Amount principal_in, op());
  return SweepRewards(ctx, user, denom, before, principal_out, principal_in);
}

// For operations that pay no principal into the proxy.
absl::StatusOr<Amount> NothingIn(const absl::Status& s) {
  if (!s.ok()) return s;
  return Amount();
}

std::optional<AccountAddress> UserOfProxy(const AccountAddress& delegator) {
  const std::string_view prefix(kProxyPrefix);
  const std::string& who = delegator.value();
  if (who.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  return AccountAddress(who.substr(prefix.size()));
}

// Tokens of the proxy's delegations and unbonding entries at `reach`.
absl::StatusOr<Amount> Held(const Context& ctx, const AccountAddress& proxy,
                            const std::vector<ValidatorAddress>& reach) {
  Amount held;
  for (const ValidatorAddress& v : reach) {
    MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val, Staking::GetValidator(ctx, v));
    if (val.has_value()) {
      MESH_ASSIGN_OR_RETURN(Amount tokens, Staking::DelegationTokens(ctx, proxy, v));
      MESH_ASSIGN_OR_RETURN(held, held.Add(tokens));
    }
    MESH_ASSIGN_OR_RETURN(auto ubd, Staking::GetUnbondingDelegation(ctx, proxy, v));
    if (!ubd.has_value()) continue;
    for (const staking::UnbondingEntry& e : ubd->entries) {
      MESH_ASSIGN_OR_RETURN(held, held.Add(e.balance));
    }
  }
  return held;
}

// Every local staker within reach of a slash of `validator`, with the
// validators to measure: user -> reach (ordered, `validator` included).
using Reach = std::map<std::string, std::map<std::string, ValidatorAddress>>;

absl::StatusOr<Reach> StakersInReach(const Context& ctx, const ValidatorAddress& validator) {
  Reach reach;
  auto add = [&](const AccountAddress& delegator, const ValidatorAddress& v) {
    std::optional<AccountAddress> user = UserOfProxy(delegator);
    if (!user.has_value()) return;
    reach[user->value()].emplace(validator.value(), validator);
    reach[user->value()].emplace(v.value(), v);
  };
  MESH_ASSIGN_OR_RETURN(auto dels, Staking::ValidatorDelegations(ctx, validator));
  for (const staking::Delegation& d : dels) add(d.delegator, validator);
  MESH_ASSIGN_OR_RETURN(auto ubds, Staking::ValidatorUnbondingDelegations(ctx, validator));
  for (const staking::UnbondingDelegation& u : ubds) add(u.delegator, validator);
  MESH_ASSIGN_OR_RETURN(auto reds, Staking::RedelegationsFrom(ctx, validator));
  for (const staking::Redelegation& r : reds) add(r.delegator, r.dst);
  return reach;
}

// The unstake of a jailed, tombstoned or not bonded validator: undelegates
// the shares worth `amount` and pays the tokens to the proxy at once.
absl::StatusOr<bool> UnbondsImmediately(const Context& ctx, const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        Staking::GetValidator(ctx, validator));
  if (!v.has_value()) return false;  // the ordinary path reports it
  return v->jailed || v->tombstoned || !v->IsBonded();
}

absl::StatusOr<std::vector<SlashInfo>> SlashesFor(const Context& ctx,
                                                  const ValidatorAddress& validator, Dec ratio) {
  std::vector<SlashInfo> out;
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Delegation> dels,
                        Staking::ValidatorDelegations(ctx, validator));
  const std::string_view prefix(kProxyPrefix);
  for (const staking::Delegation& del : dels) {
    const std::string& who = del.delegator.value();
    if (who.compare(0, prefix.size(), prefix) != 0) continue;
    MESH_ASSIGN_OR_RETURN(Amount tokens,
                          Staking::DelegationTokens(ctx, del.delegator, validator));
    MESH_ASSIGN_OR_RETURN(Amount slash, MulFloor(tokens, ratio));
    if (slash.IsZero()) continue;
    out.push_back(SlashInfo{AccountAddress(who.substr(prefix.size())), slash});
  }
  return out;
}

}  // namespace

AccountAddress LocalStaking::ProxyAccount(const AccountAddress& user) {
  return AccountAddress(kProxyPrefix + user.value());
}

absl::Status LocalStaking::Init(const Context& ctx, const LocalStakingConfig& config) {
  MESH_RETURN_IF_ERROR(CheckRatio(config.slash_ratio_dsign));
  MESH_RETURN_IF_ERROR(CheckRatio(config.slash_ratio_offline));
  return PutRecord(ctx.store(), tables::Key(tables::kLocalConfig), config);
}

absl::StatusOr<LocalStakingConfig> LocalStaking::Config(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(auto cfg,
                        GetRecord<LocalStakingConfig>(ctx.store(), tables::Key(tables::kLocalConfig)));
  if (!cfg.has_value()) return absl::FailedPreconditionError("local staking not initialised");
  return *cfg;
}

absl::StatusOr<bool> LocalStaking::Enabled(const Context& ctx) {
  return ctx.store().Has(tables::Key(tables::kLocalConfig));
}

absl::Status LocalStaking::ReceiveStake(const Context& ctx, const AccountAddress& user,
                                        Amount amount, const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(LocalStakingConfig cfg, Config(ctx));
  MESH_ASSIGN_OR_RETURN(LocalUser u,
                        GetRecordOr<LocalUser>(ctx.store(), UserKey(user), LocalUser{}));
  MESH_RETURN_IF_ERROR(WithRewardSweep(ctx, user, cfg.denom, amount, [&]() {
    return NothingIn(Staking::Delegate(ctx, ProxyAccount(user), validator, amount).status());
  }));
  MESH_RETURN_IF_ERROR(TrackValidators(ctx, user, u, {&validator}).status());
  return PutRecord(ctx.store(), UserKey(user), u);
}

absl::Status LocalStaking::BurnStake(const Context& ctx, const AccountAddress& user,
                                     Amount amount, const std::optional<ValidatorAddress>& validator) {
  MESH_RETURN_IF_ERROR(Config(ctx).status());
  MESH_ASSIGN_OR_RETURN(LocalUser u, LoadExisting(ctx, user));
  MESH_ASSIGN_OR_RETURN(auto dels, DelegationsOf(ctx, user, u));
  std::vector<std::pair<ValidatorAddress, Amount>> candidates;
  for (auto& d : dels) {
    if (!validator.has_value() || d.first == *validator) candidates.push_back(d);
  }
  if (!candidates.empty()) {
    std::vector<Amount> available;
    for (const auto& c : candidates) available.push_back(c.second);
    MESH_ASSIGN_OR_RETURN(BurnSplit split, DistributeBurn(available, amount));
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (split.per_entry[i].IsZero()) continue;
      // The undelegation credits the proxy with nothing but the rewards it
      // pays: those go on to the user, as WithRewardSweep would find them
      // (without reading the proxy's balances before and after).
      Balances rewards;
      MESH_RETURN_IF_ERROR(Staking::UndelegateInDiscardedScope(ctx, ProxyAccount(user),
                                                               candidates[i].first,
                                                               split.per_entry[i], nullptr,
                                                               &rewards)
                               .status());
      for (const auto& [denom, paid] : rewards) {
        MESH_RETURN_IF_ERROR(Bank::Send(ctx, ProxyAccount(user), user, denom, paid));
      }
    }
  }
  // The whole amount is withheld from future releases, including any part
  // that was already unbonding rather than delegated.
  MESH_ASSIGN_OR_RETURN(u.burned, u.burned.Add(amount));
  // Every listed validator (one that native staking ended is dropped too).
  const std::vector<ValidatorAddress> listed =
      u.validators.value_or(std::vector<ValidatorAddress>());
  std::vector<const ValidatorAddress*> touched;
  for (const ValidatorAddress& v : listed) touched.push_back(&v);
  MESH_RETURN_IF_ERROR(TrackValidators(ctx, user, u, touched).status());
  return PutRecord(ctx.store(), UserKey(user), u);
}

absl::Status LocalStaking::PrefetchBurns(const Context& ctx,
                                         std::span<const AccountAddress> users) {
  std::vector<std::string> keys;
  keys.reserve(users.size());
  for (const AccountAddress& user : users) keys.push_back(UserKey(user));
  std::vector<std::optional<LocalUser>> records;
  MESH_RETURN_IF_ERROR(GetRecords<LocalUser>(ctx.store(), keys, &records));
  std::vector<std::pair<AccountAddress, ValidatorAddress>> delegations;
  for (size_t i = 0; i < users.size(); ++i) {
    // A record of the earlier layout lists nothing: its burn scans.
    if (!records[i].has_value() || !records[i]->validators.has_value()) continue;
    const AccountAddress proxy = ProxyAccount(users[i]);
    for (const ValidatorAddress& v : *records[i]->validators) delegations.emplace_back(proxy, v);
  }
  return Staking::PrefetchUndelegations(ctx, delegations);
}

absl::Status LocalStaking::Unstake(const Context& ctx, const AccountAddress& user,
                                   const ValidatorAddress& validator, Amount amount) {
  if (amount.IsZero()) return absl::InvalidArgumentError("amount must be positive");
  MESH_ASSIGN_OR_RETURN(LocalStakingConfig cfg, Config(ctx));
  MESH_ASSIGN_OR_RETURN(LocalUser u, LoadExisting(ctx, user));
  MESH_ASSIGN_OR_RETURN(bool immediate, UnbondsImmediately(ctx, validator));
  const AccountAddress proxy = ProxyAccount(user);
  if (immediate) {
    MESH_RETURN_IF_ERROR(
        WithRewardSweep(ctx, user, cfg.denom, Amount(), [&]() -> absl::StatusOr<Amount> {
          MESH_ASSIGN_OR_RETURN(Dec shares,
                                Staking::ValidateUnbondAmount(ctx, proxy, validator, amount));
          return Staking::InstantUndelegate(ctx, proxy, validator, shares);
        }));
  } else {
    MESH_RETURN_IF_ERROR(WithRewardSweep(ctx, user, cfg.denom, Amount(), [&]() {
      return NothingIn(Staking::Undelegate(ctx, proxy, validator, amount).status());
    }));
  }
  return KeepTracked(ctx, user, u, {&validator});
}

absl::Status LocalStaking::Restake(const Context& ctx, const AccountAddress& user,
                                   const ValidatorAddress& src, const ValidatorAddress& dst,
                                   Amount amount) {
  if (amount.IsZero()) return absl::InvalidArgumentError("amount must be positive");
  MESH_ASSIGN_OR_RETURN(LocalStakingConfig cfg, Config(ctx));
  MESH_ASSIGN_OR_RETURN(LocalUser u, LoadExisting(ctx, user));
  MESH_RETURN_IF_ERROR(WithRewardSweep(ctx, user, cfg.denom, Amount(), [&]() {
    return NothingIn(Staking::BeginRedelegate(ctx, ProxyAccount(user), src, dst, amount).status());
  }));
  return KeepTracked(ctx, user, u, {&src, &dst});
}

absl::StatusOr<Amount> LocalStaking::ReleaseUnbonded(const Context& ctx,
                                                     const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(LocalStakingConfig cfg, Config(ctx));
  MESH_ASSIGN_OR_RETURN(LocalUser u, LoadExisting(ctx, user));
  const AccountAddress proxy = ProxyAccount(user);
  MESH_ASSIGN_OR_RETURN(Amount balance, Bank::Balance(ctx, proxy, cfg.denom));
  const Amount amount = balance.SaturatingSub(u.burned);
  if (amount.IsZero()) return amount;
  MESH_RETURN_IF_ERROR(Bank::Send(ctx, proxy, kVaultAccount, cfg.denom, amount));
  MESH_RETURN_IF_ERROR(Vault::Release(ctx, LienHolder::Local(), user, amount));
  return amount;
}

absl::StatusOr<std::vector<std::pair<Denom, Amount>>> LocalStaking::WithdrawRewards(
    const Context& ctx, const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(LocalUser u, LoadExisting(ctx, user));
  const AccountAddress proxy = ProxyAccount(user);
  MESH_ASSIGN_OR_RETURN(auto dels, DelegationsOf(ctx, user, u));
  std::map<std::string, Amount> total;
  for (const auto& [validator, tokens] : dels) {
    MESH_ASSIGN_OR_RETURN(auto paid, Staking::WithdrawRewards(ctx, proxy, validator));
    for (const auto& [denom, amount] : paid) {
      MESH_RETURN_IF_ERROR(Bank::Send(ctx, proxy, user, denom, amount));
      MESH_ASSIGN_OR_RETURN(total[denom.value()], total[denom.value()].Add(amount));
    }
  }
  std::vector<std::pair<Denom, Amount>> out;
  for (const auto& [d, a] : total) out.emplace_back(Denom(d), a);
  return out;
}

absl::StatusOr<NativeSlashRecord> LocalStaking::RecordJailing(const Context& ctx,
                                                              const ValidatorAddress& validator) {
  NativeSlashRecord record{validator, {}};
  MESH_ASSIGN_OR_RETURN(bool enabled, Enabled(ctx));
  if (!enabled) return record;
  MESH_ASSIGN_OR_RETURN(Reach reach, StakersInReach(ctx, validator));
  for (const auto& [user, vals] : reach) {
    NativeSlashRecord::Holding h;
    h.user = AccountAddress(user);
    for (const auto& [name, v] : vals) h.reach.push_back(v);
    const AccountAddress proxy = ProxyAccount(h.user);
    MESH_ASSIGN_OR_RETURN(h.held, Held(ctx, proxy, h.reach));
    MESH_ASSIGN_OR_RETURN(h.liquid, Bank::Balances(ctx, proxy));
    record.holdings.push_back(std::move(h));
  }
  return record;
}

absl::Status LocalStaking::SettleNativeSlash(const Context& ctx, const NativeSlashRecord& record) {
  if (record.holdings.empty()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(LocalStakingConfig cfg, Config(ctx));
  std::vector<SlashInfo> slashes;
  for (const NativeSlashRecord::Holding& h : record.holdings) {
    // A native slash pays no principal into the proxy: anything new there
    // is rewards withdrawn on the way (a redelegation's dst unbond).
    MESH_RETURN_IF_ERROR(SweepRewards(ctx, h.user, cfg.denom, h.liquid, Amount(), Amount()));
    MESH_ASSIGN_OR_RETURN(Amount after, Held(ctx, ProxyAccount(h.user), h.reach));
    const Amount lost = h.held.SaturatingSub(after);
    if (!lost.IsZero()) slashes.push_back(SlashInfo{h.user, lost});
  }
  if (slashes.empty()) return absl::OkStatus();
  return Vault::Slash(ctx, LienHolder::Local(), record.validator, slashes);
}

absl::Status LocalStaking::Jailing(const Context& ctx, const std::vector<ValidatorAddress>& jailed,
                                   const std::vector<ValidatorAddress>& tombstoned) {
  MESH_ASSIGN_OR_RETURN(LocalStakingConfig cfg, Config(ctx));
  for (const ValidatorAddress& v : tombstoned) {
    MESH_RETURN_IF_ERROR(SlashValidator(ctx, v, cfg.slash_ratio_dsign));
  }
  for (const ValidatorAddress& v : jailed) {
    MESH_RETURN_IF_ERROR(SlashValidator(ctx, v, cfg.slash_ratio_offline));
  }
  return absl::OkStatus();
}

absl::Status LocalStaking::SlashValidator(const Context& ctx, const ValidatorAddress& validator,
                                          Dec ratio) {
  MESH_ASSIGN_OR_RETURN(std::vector<SlashInfo> slashes, SlashesFor(ctx, validator, ratio));
  if (slashes.empty()) return absl::OkStatus();
  return Vault::Slash(ctx, LienHolder::Local(), validator, slashes);
}

absl::StatusOr<std::vector<std::pair<ValidatorAddress, Amount>>> LocalStaking::Delegations(
    const Context& ctx, const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(std::optional<LocalUser> u,
                        GetRecord<LocalUser>(ctx.store(), UserKey(user)));
  if (!u.has_value()) return std::vector<std::pair<ValidatorAddress, Amount>>();
  return DelegationsOf(ctx, user, *u);
}

absl::StatusOr<LocalUser> LocalStaking::User(const Context& ctx, const AccountAddress& user) {
  return LoadExisting(ctx, user);
}

}  // namespace mesh::provider
