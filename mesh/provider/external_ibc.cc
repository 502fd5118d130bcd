// External staking: the handlers the IBC layer calls -- acks, timeouts,
// channel close and the consumer's packets (valset update with slashes,
// internal unstake, reward distribution).
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/rewards.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/vault.h"

namespace mesh::provider {

using namespace ext_internal;  // NOLINT(build/namespaces): this file's helpers

namespace {

// Loads the tx an ack names. nullopt (ack ignored) when the channel was
// closed, which already resolved every pending tx.
absl::StatusOr<std::optional<ExternalTx>> AckedTx(const Context& ctx, const ConsumerId& c,
                                                  uint64_t id, ExternalTx::Kind kind) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, c));
  MESH_ASSIGN_OR_RETURN(std::optional<ExternalTx> tx, LoadTx(ctx, c, id));
  if (!tx.has_value()) {
    if (cfg.closed) return tx;
    return absl::NotFoundError(absl::StrCat("tx ", id, " not found"));
  }
  if (tx->kind != kind) {
    return absl::FailedPreconditionError(
        absl::StrCat("The tx ", id, " exists but is of the wrong type"));
  }
  return tx;
}

absl::StatusOr<uint64_t> UnbondReleaseTime(const Context& ctx, const ConsumerId& c,
                                           const ValidatorAddress& v, uint64_t period_s) {
  MESH_ASSIGN_OR_RETURN(RemoteState state, RemoteValidators::CurrentState(ctx, c, v));
  if (state == RemoteState::kUnbonded || state == RemoteState::kTombstoned) {
    return ctx.time_ns();
  }
  return ctx.time_ns() + period_s * kNanosPerSecond;
}

// Cuts the unbonds that started after the infraction and have not matured
// by `ratio`; returns the total cut.
absl::StatusOr<Amount> SlashUnbonds(Stake& s, Dec ratio, uint64_t period_s,
                                    uint64_t infraction_time, uint64_t now_ns) {
  Amount total;
  for (PendingUnbond& e : s.pending_unbonds) {
    const uint64_t release_s = e.release_at_ns / kNanosPerSecond;
    const uint64_t started_s = release_s > period_s ? release_s - period_s : 0;
    if (started_s <= infraction_time || e.release_at_ns <= now_ns) continue;
    MESH_ASSIGN_OR_RETURN(Amount cut, MulFloor(e.amount, ratio));
    e.amount = e.amount.SaturatingSub(cut);
    MESH_ASSIGN_OR_RETURN(total, total.Add(cut));
  }
  return total;
}

// Resolves every pending tx of the consumer as an error ack would (used on
// channel close).
absl::Status RollbackAll(const Context& ctx, const ConsumerId& c) {
  MESH_ASSIGN_OR_RETURN(std::vector<ExternalTx> txs,
                        ExternalStaking::AllPendingTxsDesc(ctx, c, std::nullopt, 30));
  while (!txs.empty()) {
    for (const ExternalTx& tx : txs) {
      switch (tx.kind) {
        case ExternalTx::Kind::kStake:
          MESH_RETURN_IF_ERROR(ExternalStaking::OnStakeAck(ctx, c, tx.id, false));
          break;
        case ExternalTx::Kind::kUnstake:
          MESH_RETURN_IF_ERROR(ExternalStaking::OnUnstakeAck(ctx, c, tx.id, false));
          break;
        case ExternalTx::Kind::kTransferRewards:
          MESH_RETURN_IF_ERROR(ExternalStaking::OnTransferRewardsAck(ctx, c, tx.id, false));
          break;
      }
    }
    MESH_ASSIGN_OR_RETURN(txs, ExternalStaking::AllPendingTxsDesc(ctx, c, std::nullopt, 30));
  }
  return absl::OkStatus();
}

// A deferred slash is kept whole in its key (consumer, validator, then the
// entry's fields), so identical reports collapse and a scan lists them in
// infraction-height order.
std::string DeferredKey(const ConsumerId& c, const RemoteSlash& e) {
  return Encoder()
      .Raw(tables::Prefix(tables::kExtDeferredSlashes, c.value(), e.validator.value()))
      .U64(e.infraction_height)
      .U64(e.infraction_time)
      .U64(e.power)
      .Amt(e.amount)
      .Str(e.slash_ratio)
      .Take();
}
absl::StatusOr<RemoteSlash> DecodeDeferred(const ValidatorAddress& v, std::string_view rest) {
  Decoder d(rest);
  RemoteSlash e;
  e.validator = v;
  MESH_ASSIGN_OR_RETURN(e.infraction_height, d.U64());
  MESH_ASSIGN_OR_RETURN(e.infraction_time, d.U64());
  MESH_ASSIGN_OR_RETURN(e.power, d.U64());
  MESH_ASSIGN_OR_RETURN(e.amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(e.slash_ratio, d.Str());
  MESH_RETURN_IF_ERROR(d.Finish());
  return e;
}

// The deferred slashes of `c`, by validator (ascending), each list in
// infraction-height order.
absl::StatusOr<std::map<std::string, std::vector<RemoteSlash>>> DeferredSlashes(
    const Context& ctx, const ConsumerId& c) {
  const std::string prefix = tables::Prefix(tables::kExtDeferredSlashes, c.value());
  std::map<std::string, std::vector<RemoteSlash>> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder rest(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string v, rest.Str());
    MESH_ASSIGN_OR_RETURN(RemoteSlash e, DecodeDeferred(ValidatorAddress(v), rest.Rest()));
    out[v].push_back(std::move(e));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

enum class SlashVerdict { kApply, kDefer, kDrop };

// The validator's state at the infraction height decides: active → slash;
// tombstoned → dropped (slashed once, with the tombstone); not known to be
// active there (no history yet, jailed or unbonded) → deferred: the update
// that would show it active may still be in flight (reordered or resent
// packets), so the slash waits for later updates (P-25).
SlashVerdict Judge(const ValidatorHistory& h, const RemoteSlash& e) {
  std::optional<ValState> at = history::AtHeight(h, e.infraction_height);
  if (at.has_value() && at->state == RemoteState::kActive) return SlashVerdict::kApply;
  if (at.has_value() && at->state == RemoteState::kTombstoned) return SlashVerdict::kDrop;
  return SlashVerdict::kDefer;
}

// The entry's ratio, InvalidArgument "Invalid slash ratio" unless it parses
// and lies in [0, 1].
absl::StatusOr<Dec> SlashRatio(const RemoteSlash& e) {
  absl::StatusOr<Dec> ratio = Dec::Parse(e.slash_ratio);
  if (!ratio.ok() || ratio->IsNegative() || Dec::One() < *ratio) {
    return absl::InvalidArgumentError("Invalid slash ratio");
  }
  return *ratio;
}

absl::Status ApplySlashNow(const Context& ctx, const ConsumerId& c, const RemoteSlash& e) {
  MESH_ASSIGN_OR_RETURN(Dec ratio, SlashRatio(e));
  return ExternalStaking::HandleSlashing(ctx, c, e.validator, ratio, e.amount,
                                         e.infraction_time);
}

absl::Status ApplySlashEntry(const Context& ctx, const ConsumerId& c, const RemoteSlash& e) {
  // A bad ratio fails the whole packet whatever the verdict (reference
  // §6.3), so a deferred entry is always valid when it is retried.
  MESH_RETURN_IF_ERROR(SlashRatio(e).status());
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, RemoteValidators::Get(ctx, c, e.validator));
  switch (Judge(h, e)) {
    case SlashVerdict::kApply:
      return ApplySlashNow(ctx, c, e);
    case SlashVerdict::kDefer:
      return ctx.store().Put(DeferredKey(c, e), "");
    case SlashVerdict::kDrop:
      break;
  }
  return absl::OkStatus();
}

// Re-judges the deferred slashes of `v` (its history may have changed);
// drops those still undecided whose infraction is older than `cutoff_s`
// (outside the unbonding window the history itself keeps).
absl::Status RetryDeferred(const Context& ctx, const ConsumerId& c, const ValidatorAddress& v,
                           const std::vector<RemoteSlash>& deferred, uint64_t cutoff_s) {
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, RemoteValidators::Get(ctx, c, v));
  for (const RemoteSlash& e : deferred) {
    const SlashVerdict verdict = Judge(h, e);
    if (verdict == SlashVerdict::kDefer && e.infraction_time >= cutoff_s) continue;
    MESH_RETURN_IF_ERROR(ctx.store().Delete(DeferredKey(c, e)));
    if (verdict == SlashVerdict::kApply) MESH_RETURN_IF_ERROR(ApplySlashNow(ctx, c, e));
  }
  return absl::OkStatus();
}

absl::Status ApplyValsetChanges(const Context& ctx, const ConsumerId& c, const ValsetUpdate& u,
                                std::set<std::string>& touched) {
  using Op = RemoteValidators::Op;
  auto apply = [&](const ValidatorAddress& v, Op op, const std::string& key) {
    touched.insert(v.value());
    return RemoteValidators::Apply(ctx, c, v, op, u.height, u.time, key);
  };
  for (const auto& v : u.tombstoned) MESH_RETURN_IF_ERROR(apply(v, Op::kTombstone, ""));
  for (const auto& [v, key] : u.additions) MESH_RETURN_IF_ERROR(apply(v, Op::kAdd, key));
  std::set<std::string> jailed;
  for (const auto& v : u.jailed) {
    jailed.insert(v.value());
    MESH_RETURN_IF_ERROR(apply(v, Op::kJail, ""));
  }
  std::set<std::string> removed;
  for (const auto& v : u.removals) {
    if (jailed.count(v.value()) || !removed.insert(v.value()).second) continue;
    MESH_RETURN_IF_ERROR(apply(v, Op::kRemove, ""));
  }
  for (const auto& [v, key] : u.updated) MESH_RETURN_IF_ERROR(apply(v, Op::kUpdate, key));
  return absl::OkStatus();
}

}  // namespace

absl::Status ExternalStaking::OnStakeAck(const Context& ctx, const ConsumerId& consumer,
                                         uint64_t tx_id, bool success) {
  MESH_ASSIGN_OR_RETURN(auto tx, AckedTx(ctx, consumer, tx_id, ExternalTx::Kind::kStake));
  if (!tx.has_value()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> found,
                        LoadStake(ctx, consumer, tx->user, tx->validator));
  Stake stake = found.value_or(Stake{});
  MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, tx->validator));
  const LienHolder holder = LienHolder::External(consumer);
  if (success) {
    const Amount low_before = stake.stake.low();
    stake.stake.CommitAddClamped(tx->amount);
    const Amount gained = stake.stake.low().SaturatingSub(low_before);
    MESH_RETURN_IF_ERROR(StakeIncreased(stake, gained, d.points_per_stake));
    MESH_ASSIGN_OR_RETURN(d.total_stake, d.total_stake.Add(gained));
    MESH_RETURN_IF_ERROR(Vault::CommitTx(ctx, holder, tx_id));
  } else {
    stake.stake.RollbackAddClamped(tx->amount);
    MESH_RETURN_IF_ERROR(Vault::RollbackTx(ctx, holder, tx_id));
  }
  MESH_RETURN_IF_ERROR(SaveDist(ctx, consumer, tx->validator, d));
  MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, tx->user, tx->validator, stake));
  return DeleteTx(ctx, consumer, tx_id);
}

absl::Status ExternalStaking::OnUnstakeAck(const Context& ctx, const ConsumerId& consumer,
                                           uint64_t tx_id, bool success) {
  MESH_ASSIGN_OR_RETURN(auto tx, AckedTx(ctx, consumer, tx_id, ExternalTx::Kind::kUnstake));
  if (!tx.has_value()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> found,
                        LoadStake(ctx, consumer, tx->user, tx->validator));
  Stake stake = found.value_or(Stake{});
  if (success) {
    MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, tx->validator));
    const Amount high_before = stake.stake.high();
    stake.stake.CommitSubClamped(tx->amount);
    const Amount removed = high_before.SaturatingSub(stake.stake.high());
    if (!removed.IsZero()) {
      MESH_ASSIGN_OR_RETURN(uint64_t release_at, UnbondReleaseTime(ctx, consumer, tx->validator,
                                                                   cfg.unbonding_period_s));
      stake.pending_unbonds.push_back(PendingUnbond{removed, release_at});
      MESH_RETURN_IF_ERROR(CommittedDecrease(stake, d, removed));
      MESH_RETURN_IF_ERROR(SaveDist(ctx, consumer, tx->validator, d));
    }
  } else {
    stake.stake.RollbackSubClamped(tx->amount);
  }
  MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, tx->user, tx->validator, stake));
  return DeleteTx(ctx, consumer, tx_id);
}

absl::Status ExternalStaking::OnTransferRewardsAck(const Context& ctx, const ConsumerId& consumer,
                                                   uint64_t tx_id, bool success) {
  MESH_ASSIGN_OR_RETURN(auto tx,
                        AckedTx(ctx, consumer, tx_id, ExternalTx::Kind::kTransferRewards));
  if (!tx.has_value()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> found,
                        LoadStake(ctx, consumer, tx->user, tx->validator));
  Stake stake = found.value_or(Stake{});
  stake.withdrawing = stake.withdrawing.SaturatingSub(tx->amount);
  if (success) {
    MESH_ASSIGN_OR_RETURN(stake.withdrawn_funds, stake.withdrawn_funds.Add(tx->amount));
  }
  MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, tx->user, tx->validator, stake));
  return DeleteTx(ctx, consumer, tx_id);
}

absl::Status ExternalStaking::OnBurnAck(const Context& ctx, const ConsumerId& consumer,
                                        const OutboundPacket& packet, bool success) {
  if (success) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
  if (cfg.closed) return absl::OkStatus();
  return Enqueue(ctx, consumer, packet);
}

absl::Status ExternalStaking::OnTimeout(const Context& ctx, const ConsumerId& consumer,
                                        const OutboundPacket& packet) {
  switch (packet.kind) {
    case OutboundPacket::Kind::kStake:
      return OnStakeAck(ctx, consumer, packet.tx_id, false);
    case OutboundPacket::Kind::kUnstake:
      return OnUnstakeAck(ctx, consumer, packet.tx_id, false);
    case OutboundPacket::Kind::kTransferRewards:
      return OnTransferRewardsAck(ctx, consumer, packet.tx_id, false);
    case OutboundPacket::Kind::kBurn:
      return OnBurnAck(ctx, consumer, packet, false);
  }
  return absl::OkStatus();
}

absl::Status ExternalStaking::CloseChannel(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
  if (cfg.closed) return absl::OkStatus();
  MESH_RETURN_IF_ERROR(RollbackAll(ctx, consumer));
  // Every stake (now all committed values) becomes an immediate unbond.
  const std::string prefix = tables::Prefix(tables::kExtStakes, consumer.value());
  std::vector<std::pair<AccountAddress, ValidatorAddress>> keys;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder rest(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string user, rest.Str());
    keys.emplace_back(AccountAddress(std::move(user)), ValidatorAddress(rest.Rest()));
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const auto& [user, v] : keys) {
    MESH_ASSIGN_OR_RETURN(std::optional<Stake> s, LoadStake(ctx, consumer, user, v));
    const Amount amount = s->stake.low();
    if (amount.IsZero()) continue;
    MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, v));
    s->pending_unbonds.push_back(PendingUnbond{amount, ctx.time_ns()});
    s->stake.SubClamped(s->stake.high());
    MESH_RETURN_IF_ERROR(CommittedDecrease(*s, d, amount));
    MESH_RETURN_IF_ERROR(SaveDist(ctx, consumer, v, d));
    MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, user, v, *s));
  }
  cfg.closed = true;
  return PutRecord(ctx.store(), tables::Key(tables::kExtConfig, consumer.value()), cfg);
}

absl::Status ExternalStaking::OnValsetUpdate(const Context& ctx, const ConsumerId& consumer,
                                             const ValsetUpdate& update) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
  std::set<std::string> touched;
  // Slashes first (§6.3), each against the history at its infraction height.
  for (const RemoteSlash& e : update.slashed) {
    touched.insert(e.validator.value());
    MESH_RETURN_IF_ERROR(ApplySlashEntry(ctx, consumer, e));
  }
  MESH_RETURN_IF_ERROR(ApplyValsetChanges(ctx, consumer, update, touched));
  const uint64_t now_s = ctx.time_seconds();
  const uint64_t cutoff = now_s > cfg.unbonding_period_s ? now_s - cfg.unbonding_period_s : 0;
  // Every deferred slash of the consumer is re-judged: a touched
  // validator's history changed; for the others only the window moved, so
  // entries past it are dropped even for a validator never reported again.
  MESH_ASSIGN_OR_RETURN(auto deferred, DeferredSlashes(ctx, consumer));
  for (const auto& [v, entries] : deferred) {
    MESH_RETURN_IF_ERROR(RetryDeferred(ctx, consumer, ValidatorAddress(v), entries, cutoff));
  }
  for (const std::string& v : touched) {
    MESH_RETURN_IF_ERROR(RemoteValidators::DrainOlder(ctx, consumer, ValidatorAddress(v), cutoff));
  }
  return absl::OkStatus();
}

namespace {

// Moves `take` of the committed stake to an immediately releasable unbond.
absl::Status ForceUnbond(Stake& stake, Distribution& d, Amount take, uint64_t now_ns) {
  if (take.IsZero()) return absl::OkStatus();
  MESH_RETURN_IF_ERROR(stake.stake.Sub(take));
  stake.pending_unbonds.push_back(PendingUnbond{take, now_ns});
  return CommittedDecrease(stake, d, take);
}

}  // namespace

absl::Status ExternalStaking::OnInternalUnstake(const Context& ctx, const ConsumerId& consumer,
                                                const AccountAddress& delegator,
                                                const ValidatorAddress& validator,
                                                Amount amount) {
  MESH_ASSIGN_OR_RETURN(std::vector<AccountAddress> users,
                        ValidatorUsers(ctx, consumer, validator));
  std::vector<Stake> stakes;
  std::vector<Amount> caps;  // the delegator's whole stake, the others' committed
  std::optional<size_t> own;
  for (size_t i = 0; i < users.size(); ++i) {
    MESH_ASSIGN_OR_RETURN(std::optional<Stake> s, LoadStake(ctx, consumer, users[i], validator));
    stakes.push_back(*std::move(s));
    const AmountRange& r = stakes.back().stake;
    if (users[i] == delegator) {
      own = i;
      // Part of its share still in flight (its ack not processed yet):
      // refuse, so the consumer sends the unstake again later (as the
      // reference does).
      if (r.low() < Min(amount, r.high())) {
        return absl::FailedPreconditionError(
            "internal unstake: the delegator's stake is still in flight");
      }
    }
    caps.push_back(users[i] == delegator ? r.high() : r.low());
  }
  // The consumer unbonded `amount` of the validator's virtual stake in the
  // delegator's name; what its record held beyond the delegator's stake here
  // (a burn names no delegator, C-20) comes from the validator's other
  // stakes in proportion to their committed amounts (P-24).
  MESH_ASSIGN_OR_RETURN(std::vector<Amount> takes, SplitOneFirst(caps, own, amount));
  MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, validator));
  for (size_t i = 0; i < users.size(); ++i) {
    const Amount take = takes[i];
    if (take.IsZero()) continue;
    MESH_RETURN_IF_ERROR(ForceUnbond(stakes[i], d, take, ctx.time_ns()));
    MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, users[i], validator, stakes[i]));
  }
  return SaveDist(ctx, consumer, validator, d);
}

absl::Status ExternalStaking::OnDistribute(const Context& ctx, const ConsumerId& consumer,
                                           const ValidatorAddress& validator, const Denom& denom,
                                           Amount amount) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
  if (!(denom == cfg.rewards_denom)) {
    return absl::InvalidArgumentError("Must send reserve token '" + denom.value() + "'");
  }
  MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, validator));
  MESH_RETURN_IF_ERROR(DistributeRewards(d, amount));
  return SaveDist(ctx, consumer, validator, d);
}

absl::Status ExternalStaking::OnDistributeBatch(
    const Context& ctx, const ConsumerId& consumer, const Denom& denom,
    const std::vector<std::pair<ValidatorAddress, Amount>>& rewards) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
  if (!(denom == cfg.rewards_denom)) {
    return absl::InvalidArgumentError("Invalid denom, " + cfg.rewards_denom.value() +
                                      " expected");
  }
  for (const auto& [v, amount] : rewards) {
    MESH_RETURN_IF_ERROR(OnDistribute(ctx, consumer, v, denom, amount));
  }
  return absl::OkStatus();
}

absl::Status ExternalStaking::HandleSlashing(const Context& ctx, const ConsumerId& consumer,
                                             const ValidatorAddress& validator, Dec ratio,
                                             Amount slash_amount, uint64_t infraction_time) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
  MESH_ASSIGN_OR_RETURN(std::vector<AccountAddress> users,
                        ValidatorUsers(ctx, consumer, validator));
  std::vector<Stake> stakes;
  for (const AccountAddress& u : users) {
    MESH_ASSIGN_OR_RETURN(std::optional<Stake> s, LoadStake(ctx, consumer, u, validator));
    stakes.push_back(*std::move(s));
  }
  // The bonded cut is exactly min(slash_amount, Σ committed), apportioned
  // over the users in proportion to their committed stake (the range's low
  // end; SplitByWeight: floor, the units left by the floors to the first
  // users in order). The consumer cuts its records by the same total, so
  // both ends keep agreeing; a stake still in flight takes no share, so a
  // rollback cannot take a share of the slash away with it (P-23).
  std::vector<Amount> committed;
  Amount committed_total;
  for (const Stake& s : stakes) {
    committed.push_back(s.stake.low());
    MESH_ASSIGN_OR_RETURN(committed_total, committed_total.Add(s.stake.low()));
  }
  MESH_ASSIGN_OR_RETURN(std::vector<Amount> bonded_cuts,
                        SplitByWeight(committed, committed, Min(slash_amount, committed_total)));
  MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, validator));
  std::vector<SlashInfo> slashes;
  for (size_t i = 0; i < users.size(); ++i) {
    Stake& s = stakes[i];
    const Amount bonded_cut = bonded_cuts[i];
    const Amount low_before = s.stake.low();
    s.stake.SubClamped(bonded_cut);
    MESH_RETURN_IF_ERROR(CommittedDecrease(s, d, low_before.SaturatingSub(s.stake.low())));
    MESH_ASSIGN_OR_RETURN(Amount unbond_cut, SlashUnbonds(s, ratio, cfg.unbonding_period_s,
                                                          infraction_time, ctx.time_ns()));
    MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, users[i], validator, s));
    MESH_ASSIGN_OR_RETURN(Amount cut, bonded_cut.Add(unbond_cut));
    if (!cut.IsZero()) slashes.push_back(SlashInfo{users[i], cut});
  }
  MESH_RETURN_IF_ERROR(SaveDist(ctx, consumer, validator, d));
  if (slashes.empty()) return absl::OkStatus();
  return Vault::Slash(ctx, LienHolder::External(consumer), validator, slashes);
}

}  // namespace mesh::provider
