// External staking: the handlers the IBC layer calls -- acks, timeouts,
// channel close and the consumer's packets (valset update with slashes,
// internal unstake, reward distribution).
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/consumer_evidence.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/rewards.h"
#include "mesh/provider/slash_throttle.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/vault.h"

namespace mesh::provider {

using namespace ext_internal;  // NOLINT(build/namespaces): this file's helpers

namespace {

// Loads the tx an ack names. nullopt (ack ignored) when the channel was
// closed, which already resolved every pending tx.
absl::StatusOr<std::optional<ExternalTx>> AckedTx(const Context& ctx, const ConsumerId& c,
                                                  uint64_t id, ExternalTx::Kind kind) {
  MESH_ASSIGN_OR_RETURN(std::optional<ExternalTx> tx, LoadTx(ctx, c, id));
  if (!tx.has_value()) {
    MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, c));
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
                                    uint64_t infraction_time, uint64_t now_ns,
                                    const std::set<uint64_t>& skip = {}) {
  Amount total;
  for (PendingUnbond& e : s.pending_unbonds) {
    if (skip.count(e.release_at_ns)) continue;  // already cut by its share (P-33)
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
      .U64(e.update_height)
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
  MESH_ASSIGN_OR_RETURN(e.update_height, d.U64());
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
  return ExternalStaking::HandleRemoteSlash(ctx, c, e);
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

// ---- Slashes waiting for txs in flight (P-33).

struct Waiting {
  std::string key;
  RemoteSlash slash;
  std::vector<uint64_t> awaited;  // tx ids still unresolved
};

std::string EncodeWaiting(const Waiting& w) {
  Encoder e;
  e.U64(w.slash.infraction_height).U64(w.slash.infraction_time).U64(w.slash.power);
  e.Amt(w.slash.amount).Str(w.slash.slash_ratio).U64(w.slash.update_height);
  e.U32(static_cast<uint32_t>(w.awaited.size()));
  for (uint64_t id : w.awaited) e.U64(id);
  e.U64(w.slash.received_at_ns);
  return e.Take();
}

absl::StatusOr<Waiting> DecodeWaiting(std::string_view key, std::string_view value,
                                      const ValidatorAddress& v) {
  Decoder d(value);
  Waiting w;
  w.key = std::string(key);
  w.slash.validator = v;
  MESH_ASSIGN_OR_RETURN(w.slash.infraction_height, d.U64());
  MESH_ASSIGN_OR_RETURN(w.slash.infraction_time, d.U64());
  MESH_ASSIGN_OR_RETURN(w.slash.power, d.U64());
  MESH_ASSIGN_OR_RETURN(w.slash.amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(w.slash.slash_ratio, d.Str());
  MESH_ASSIGN_OR_RETURN(w.slash.update_height, d.U64());
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  for (uint32_t i = 0; i < n; ++i) {
    MESH_ASSIGN_OR_RETURN(uint64_t id, d.U64());
    w.awaited.push_back(id);
  }
  if (!d.AtEnd()) {  // absent in entries written before it: 0 (= now)
    MESH_ASSIGN_OR_RETURN(w.slash.received_at_ns, d.U64());
  }
  MESH_RETURN_IF_ERROR(d.Finish());
  return w;
}

absl::StatusOr<std::vector<Waiting>> LoadWaiting(const Context& ctx, const ConsumerId& c,
                                                 const ValidatorAddress& v) {
  std::vector<Waiting> out;
  auto it = ctx.store().ScanPrefix(tables::Prefix(tables::kExtWaitingSlashes, c.value(),
                                                  v.value()));
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(Waiting w, DecodeWaiting(it->key(), it->value(), v));
    out.push_back(std::move(w));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

// The stake / unstake txs of `v` still waiting for their ack: their ids and
// the pending stake amount per user.
struct InFlight {
  std::vector<uint64_t> ids;
  std::map<std::string, Amount> stake_by_user;
};
absl::StatusOr<InFlight> InFlightOn(const Context& ctx, const ConsumerId& c,
                                    const ValidatorAddress& v) {
  InFlight out;
  MESH_ASSIGN_OR_RETURN(uint64_t counted, TxsInFlight(ctx, c, v));
  if (counted == 0) return out;
  auto it = ctx.store().ScanPrefix(tables::Prefix(tables::kExtTxs, c.value()));
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(ExternalTx tx, DecodeRecord<ExternalTx>(it->value()));
    if (tx.validator != v || tx.kind == ExternalTx::Kind::kTransferRewards) continue;
    out.ids.push_back(tx.id);
    if (tx.kind == ExternalTx::Kind::kStake) {
      Amount& a = out.stake_by_user[tx.user.value()];
      MESH_ASSIGN_OR_RETURN(a, a.Add(tx.amount));
    }
  }
  MESH_RETURN_IF_ERROR(it->status());
  if (out.ids.size() != counted) {
    return absl::InternalError(absl::StrCat("external staking: ", counted,
                                            " txs counted in flight on ", v.value(), ", ",
                                            out.ids.size(), " found"));
  }
  return out;
}

// What the consumer held for `s` at the slash (see HandleRemoteSlash), and
// the parts it is taken from.
struct Held {
  Amount weight;
  Amount in_flight_unstake;  // of the range: unstakes not acked yet
};
absl::StatusOr<Held> HeldAtSlash(const Context& ctx, const ConsumerId& c,
                                 const AccountAddress& user, const Stake& s,
                                 Amount pending_stake, const RemoteSlash& e) {
  Held h;
  const Amount spread = s.stake.high().SaturatingSub(s.stake.low());
  h.in_flight_unstake = spread.SaturatingSub(pending_stake);
  MESH_ASSIGN_OR_RETURN(Amount held, s.stake.low().Add(h.in_flight_unstake));
  for (const AckedChange& ch : s.recent) {
    if (ch.unstake && ch.consumer_height > e.update_height) {
      MESH_ASSIGN_OR_RETURN(held, held.Add(ch.amount));
    }
  }
  MESH_ASSIGN_OR_RETURN(Amount later, AckedStakeSince(ctx, c, user, e.validator, s,
                                                      e.infraction_height));
  h.weight = held.SaturatingSub(later);
  return h;
}

// Takes up to `cut` from `s`'s stake range: committed stake, then the
// unstake in flight. Returns what it took (every unit of it lowers the
// range's high end, i.e. the provider's figure for the validator).
absl::StatusOr<Amount> TakeFromStake(Stake& s, Distribution& d, Amount cut, const Held& h) {
  const Amount from_low = Min(cut, s.stake.low());
  s.stake.SubClamped(from_low);
  MESH_RETURN_IF_ERROR(CommittedDecrease(s, d, from_low));
  const Amount from_flight = Min(cut.SaturatingSub(from_low), h.in_flight_unstake);
  s.stake.CommitSubClamped(from_flight);
  MESH_RETURN_IF_ERROR(CommittedDecrease(s, d, from_flight));
  return from_low.Add(from_flight);
}

// Takes up to `cut` from the unbonds of `s`'s unstakes the consumer
// processed after the update; `skip` gets the unbonds so cut. Returns what
// it took.
Amount TakeFromLaterUnbonds(Stake& s, Amount cut, const RemoteSlash& e,
                            std::set<uint64_t>& skip) {
  Amount rest = cut;
  for (auto c = s.recent.rbegin(); c != s.recent.rend(); ++c) {
    if (!c->unstake || c->consumer_height <= e.update_height) continue;
    skip.insert(c->release_at_ns);
    for (PendingUnbond& u : s.pending_unbonds) {
      if (rest.IsZero()) break;
      if (u.release_at_ns != c->release_at_ns) continue;
      const Amount t = Min(Min(rest, c->amount), u.amount);
      u.amount = u.amount.SaturatingSub(t);
      c->amount = c->amount.SaturatingSub(t);
      rest = rest.SaturatingSub(t);
    }
  }
  return cut.SaturatingSub(rest);
}

// A share its user no longer has on the validator (its stake left after the
// consumer cut — the consumer then took that unstake from the validator's
// other records, C-20 — or the unbond it would come from was withdrawn or
// forgotten, as for a slash handled long after it was reported, e.g. from
// the slash meter's queue) is taken from the committed stake the users have
// left, by that stake, so the validator totals still agree (P-43). Adds each
// cut to `taken`; returns what nobody's committed stake covered.
absl::StatusOr<Amount> CoverFromOthers(std::vector<Stake>& stakes, Distribution& d,
                                       Amount shortfall, std::vector<Amount>& taken) {
  if (shortfall.IsZero()) return shortfall;
  std::vector<Amount> rest_low;
  for (const Stake& s : stakes) rest_low.push_back(s.stake.low());
  MESH_ASSIGN_OR_RETURN(std::vector<Amount> extra, SplitByWeight(rest_low, rest_low, shortfall));
  for (size_t i = 0; i < stakes.size(); ++i) {
    if (extra[i].IsZero()) continue;
    stakes[i].stake.SubClamped(extra[i]);
    MESH_RETURN_IF_ERROR(CommittedDecrease(stakes[i], d, extra[i]));
    MESH_ASSIGN_OR_RETURN(taken[i], taken[i].Add(extra[i]));
    shortfall = shortfall.SaturatingSub(extra[i]);
  }
  return shortfall;
}

}  // namespace

absl::Status ext_internal::CatchUp(const Context& ctx, const ConsumerId& c,
                                   const AccountAddress& user, const ValidatorAddress& v,
                                   const StakeSlashes& slashes, Stake& s) {
  for (const auto& [seq, slash] : slashes) {
    if (seq <= s.slash_seq) continue;
    if (seq != s.slash_seq + 1) {  // a slash the stake needs is gone
      return absl::DataLossError(absl::StrCat("external staking: the stake of ", user.value(),
                                              " on ", v.value(), " is at stake slash ",
                                              s.slash_seq, " and the next stored is ", seq));
    }
    // The stake is as it was when the slash was applied (every write of it
    // since would have caught up first): its weight is what it was then,
    // with nothing in flight (the slash left only such stakes to this).
    RemoteSlash e;
    e.validator = v;
    e.infraction_height = slash.infraction_height;
    e.update_height = slash.update_height;
    MESH_ASSIGN_OR_RETURN(Held h, HeldAtSlash(ctx, c, user, s, Amount(), e));
    MESH_ASSIGN_OR_RETURN(Amount part, SplitPart(slash.split, user.value(), h.weight));
    Distribution d;  // only its points per stake (the total was cut with the slash)
    d.points_per_stake = slash.points_per_stake;
    MESH_ASSIGN_OR_RETURN(Amount taken, TakeFromStake(s, d, part, h));
    if (taken != part) {
      return absl::InternalError(absl::StrCat("external staking: stake slash ", seq, " of ",
                                              v.value(), " cuts ", part.ToString(), " from ",
                                              user.value(), ", whose stake covers ",
                                              taken.ToString()));
    }
    // The user's vault record takes the same cut when it is next read.
    MESH_ASSIGN_OR_RETURN(s.vault_cut, s.vault_cut.Add(part));
    s.slash_seq = seq;
  }
  return absl::OkStatus();
}

namespace {

// Applies a slash whose in-flight txs have all resolved (P-33).
// `known_flight`: the txs in flight on the validator, when the caller has
// just listed them (nullptr: listed here).
absl::Status ApplyRemoteSlash(const Context& ctx, const ConsumerId& c, const RemoteSlash& e,
                              const InFlight* known_flight = nullptr) {
  MESH_ASSIGN_OR_RETURN(Dec ratio, SlashRatio(e));
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, c));
  // Inside a SlashReadScope, the stakes SlashGuard::Check read for this
  // packet (unchanged since): one pass over the users.
  MESH_ASSIGN_OR_RETURN(ValidatorStakes read,
                        ReadValidatorStakes(ctx, c, e.validator));
  const std::vector<AccountAddress>& users = read.users;
  InFlight read_flight;
  if (known_flight == nullptr) {
    MESH_ASSIGN_OR_RETURN(read_flight, InFlightOn(ctx, c, e.validator));
  }
  const InFlight& flight = known_flight != nullptr ? *known_flight : read_flight;
  // The stakes are cut where they were read (no copy of 10^6 records).
  std::vector<Stake>& stakes = read.stakes;
  std::vector<Held> held;
  std::vector<Amount> weights;
  held.reserve(users.size());
  weights.reserve(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    const AccountAddress& u = users[i];
    auto p = flight.stake_by_user.find(u.value());
    const Amount pending = p == flight.stake_by_user.end() ? Amount() : p->second;
    MESH_ASSIGN_OR_RETURN(Held h, HeldAtSlash(ctx, c, u, stakes[i], pending, e));
    held.push_back(h);
    weights.push_back(h.weight);
  }
  // The split (SplitByWeight's) and its plan, for the stake slash, in one pass.
  std::vector<std::string_view> keys;
  keys.reserve(users.size());
  for (const AccountAddress& u : users) keys.push_back(u.value());
  std::vector<Amount> cuts;
  MESH_ASSIGN_OR_RETURN(SplitPlan plan, PlanSplit(e.amount, weights, keys, &cuts));
  // A stake whose whole cut is its share, taken from committed stake, with
  // nothing in flight and no unbond, is left to a stake slash (applied when
  // it is next read, ext_internal::CatchUp) instead of being written here.
  // The stake's cut is left to its read only with the vault's (the user's
  // record takes it when next read, docs/provider.md, "Deferred vault
  // cuts"): at once for a user whose record holds this lien alone (the
  // stake is not marked shared), and otherwise as the vault finds below.
  // A stake kMaxStakeSlashesBehind behind is written (SaveStakeSlash then
  // deletes the oldest slash it keeps).
  std::vector<bool> deferrable(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    const Stake& s = stakes[i];
    deferrable[i] = !flight.stake_by_user.contains(users[i].value()) &&
                    s.stake.high() == s.stake.low() && s.pending_unbonds.empty() &&
                    cuts[i] <= s.stake.low() &&
                    read.stored_seq[i] + kMaxStakeSlashesBehind > read.last_slash;
  }
  // The consumer cut exactly e.amount; should its per-user view have
  // drifted from this one (burns name no delegator, C-20), the rest comes
  // from the committed stake left, so the validator totals still agree.
  Amount given;
  std::vector<Amount> left;
  left.reserve(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    MESH_ASSIGN_OR_RETURN(given, given.Add(cuts[i]));
    left.push_back(stakes[i].stake.low().SaturatingSub(cuts[i]));
  }
  const bool drifted = given < e.amount;
  if (drifted) {
    MESH_ASSIGN_OR_RETURN(std::vector<Amount> extra,
                          SplitByWeight(left, left, e.amount.SaturatingSub(given)));
    for (size_t i = 0; i < users.size(); ++i) {
      MESH_ASSIGN_OR_RETURN(cuts[i], cuts[i].Add(extra[i]));
    }
  }
  MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, c, e.validator));
  // 1. Each share from its user's stake range.
  std::vector<Amount> taken(users.size());
  std::vector<Amount> short_by(users.size());
  Amount shortfall;
  for (size_t i = 0; i < users.size(); ++i) {
    MESH_ASSIGN_OR_RETURN(taken[i], TakeFromStake(stakes[i], d, cuts[i], held[i]));
    short_by[i] = cuts[i].SaturatingSub(taken[i]);
    MESH_ASSIGN_OR_RETURN(shortfall, shortfall.Add(short_by[i]));
  }
  // Stakes are left to a stake slash only when every cut is the split's
  // share alone: no drift, and no share the others must cover.
  const bool deferring = !drifted && shortfall.IsZero();
  // 2. A share its user no longer has on the validator comes from the
  // committed stake the others have left (P-43).
  MESH_ASSIGN_OR_RETURN(shortfall, CoverFromOthers(stakes, d, shortfall, taken));
  // 3. What nobody's committed stake covers comes from the unbonds of the
  // short users' unstakes the consumer processed after the update.
  // Unbonds count as matured by the time the report arrived: those that
  // matured while it waited in the slash meter were held (P-45).
  const uint64_t matured_by = e.received_at_ns != 0 && e.received_at_ns < ctx.time_ns()
                                  ? e.received_at_ns
                                  : ctx.time_ns();
  // The stake slash: its plan gives each deferred stake exactly its cut
  // (SplitPart gives what PlanSplit gave, core/split_plan.h); a stake whose
  // cut did not come whole from its committed stake is written.
  uint64_t stamp = read.last_slash;
  size_t deferred = 0;
  if (deferring) {
    StakeSlash slash;
    slash.infraction_height = e.infraction_height;
    slash.update_height = e.update_height;
    slash.points_per_stake = d.points_per_stake;
    slash.split = std::move(plan);
    // A user whose record holds several liens: the vault decides whether
    // the cut can wait (it owes none yet, and this one cannot propagate).
    std::vector<size_t> ask;
    std::vector<std::string_view> asked;
    std::vector<Amount> asked_cuts;
    for (size_t i = 0; i < users.size(); ++i) {
      if (!deferrable[i]) continue;
      deferrable[i] = taken[i] == cuts[i];
      if (deferrable[i] && stakes[i].shared) {
        ask.push_back(i);
        asked.push_back(users[i].value());
        asked_cuts.push_back(cuts[i]);
      }
    }
    if (!ask.empty()) {
      MESH_ASSIGN_OR_RETURN(std::vector<bool> can_wait,
                            Vault::CutsCanWait(ctx, LienHolder::External(c), asked, asked_cuts));
      for (size_t k = 0; k < ask.size(); ++k) deferrable[ask[k]] = can_wait[k];
    }
    for (size_t i = 0; i < users.size(); ++i) {
      if (deferrable[i]) ++deferred;
    }
    if (deferred > 0) {
      MESH_ASSIGN_OR_RETURN(stamp, SaveStakeSlash(ctx, c, e.validator, slash));
    }
  }
  std::vector<SlashInfo> slashes;
  slashes.reserve(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    Stake& s = stakes[i];
    std::set<uint64_t> skip;
    if (!shortfall.IsZero() && !short_by[i].IsZero()) {
      const Amount t = TakeFromLaterUnbonds(s, Min(shortfall, short_by[i]), e, skip);
      shortfall = shortfall.SaturatingSub(t);
      MESH_ASSIGN_OR_RETURN(taken[i], taken[i].Add(t));
    } else {
      for (const AckedChange& ch : s.recent) {
        if (ch.unstake && ch.consumer_height > e.update_height) skip.insert(ch.release_at_ns);
      }
    }
    MESH_ASSIGN_OR_RETURN(Amount unbond_cut, SlashUnbonds(s, ratio, cfg.unbonding_period_s,
                                                          e.infraction_time, matured_by, skip));
    if (deferred > 0 && deferrable[i]) continue;  // its stake and vault cuts wait for reads
    s.slash_seq = stamp;
    MESH_RETURN_IF_ERROR(SaveIndexedStake(ctx, c, users[i], e.validator, s));
    MESH_ASSIGN_OR_RETURN(Amount cut, taken[i].Add(unbond_cut));
    if (!cut.IsZero()) slashes.push_back(SlashInfo{users[i], cut});
  }
  MESH_RETURN_IF_ERROR(SaveDist(ctx, c, e.validator, d));
  if (slashes.empty()) return absl::OkStatus();
  return Vault::Slash(ctx, LienHolder::External(c), e.validator, slashes);
}

// Tx `tx_id` on `v` was resolved: drops it from the waiting slashes of `v`
// and applies, in order, those that wait for nothing any more.
absl::Status ResolveWaiting(const Context& ctx, const ConsumerId& c, const ValidatorAddress& v,
                            uint64_t tx_id) {
  // The waiting-slash counter (0x6B) is created with the consumer's first
  // waiting slash and never removed: without it there is nothing to scan
  // (one cached point read per ack instead of a store iterator).
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> seq,
                        ctx.store().Get(tables::Key(tables::kExtWaitingSeq, c.value())));
  if (!seq.has_value()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::vector<Waiting> queue, LoadWaiting(ctx, c, v));
  bool blocked = false;
  for (Waiting& w : queue) {
    std::erase(w.awaited, tx_id);
    if (!blocked && w.awaited.empty()) {
      MESH_RETURN_IF_ERROR(ctx.store().Delete(w.key));
      MESH_RETURN_IF_ERROR(ApplyRemoteSlash(ctx, c, w.slash));
      continue;
    }
    blocked = true;
    MESH_RETURN_IF_ERROR(ctx.store().Put(w.key, EncodeWaiting(w)));
  }
  return absl::OkStatus();
}

// Forgets the acked changes older than the unbonding period.
void PruneRecent(Stake& s, uint64_t period_s, uint64_t now_ns) {
  s.recent.erase(std::remove_if(s.recent.begin(), s.recent.end(),
                                [&](const AckedChange& c) {
                                  return c.acked_at_ns + period_s * kNanosPerSecond < now_ns;
                                }),
                 s.recent.end());
}

// PruneRecent, except while a slash of `v` waits in the slash meter: its
// weights (P-33) read these changes however long it waits (P-45).
absl::Status MaybePruneRecent(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                              const ValidatorAddress& v, Stake& s, const ExternalConfig& cfg) {
  MESH_ASSIGN_OR_RETURN(bool waits, SlashThrottle::Waiting(ctx, c, v));
  if (waits) return absl::OkStatus();
  PruneRecent(s, cfg.unbonding_period_s, ctx.time_ns());
  const uint64_t period_ns = cfg.unbonding_period_s * kNanosPerSecond;
  return ForgetAckedStakes(ctx, c, user, v, s,
                           ctx.time_ns() > period_ns ? ctx.time_ns() - period_ns : 0,
                           period_ns / 8);
}

}  // namespace

absl::Status ExternalStaking::HandleRemoteSlash(const Context& ctx, const ConsumerId& consumer,
                                                const RemoteSlash& slash) {
  MESH_RETURN_IF_ERROR(SlashRatio(slash).status());
  MESH_ASSIGN_OR_RETURN(InFlight flight, InFlightOn(ctx, consumer, slash.validator));
  MESH_ASSIGN_OR_RETURN(std::vector<Waiting> queue,
                        LoadWaiting(ctx, consumer, slash.validator));
  if (flight.ids.empty() && queue.empty()) return ApplyRemoteSlash(ctx, consumer, slash, &flight);
  // Whether the consumer had these txs when it cut is told by their acks.
  MESH_ASSIGN_OR_RETURN(uint64_t seq,
                        NextCounter(ctx, tables::Key(tables::kExtWaitingSeq, consumer.value()),
                                    1));
  Waiting w{"", slash, flight.ids};
  return ctx.store().Put(Encoder()
                             .Raw(tables::Prefix(tables::kExtWaitingSlashes, consumer.value(),
                                                 slash.validator.value()))
                             .U64(seq)
                             .Take(),
                         EncodeWaiting(w));
}

absl::StatusOr<Amount> ExternalStaking::SlashWeightTotal(const Context& ctx,
                                                         const ConsumerId& consumer,
                                                         const RemoteSlash& slash) {
  MESH_ASSIGN_OR_RETURN(std::shared_ptr<const ext_internal::ValidatorStakes> view,
                        ViewValidatorStakes(ctx, consumer, slash.validator));
  const ext_internal::ValidatorStakes& read = *view;
  MESH_ASSIGN_OR_RETURN(InFlight flight, InFlightOn(ctx, consumer, slash.validator));
  Amount total;
  for (size_t i = 0; i < read.users.size(); ++i) {
    auto p = flight.stake_by_user.find(read.users[i].value());
    const Amount pending = p == flight.stake_by_user.end() ? Amount() : p->second;
    MESH_ASSIGN_OR_RETURN(Held h,
                          HeldAtSlash(ctx, consumer, read.users[i], read.stakes[i], pending, slash));
    MESH_ASSIGN_OR_RETURN(total, total.Add(h.weight));
  }
  return total;
}

absl::StatusOr<Amount> ExternalStaking::SlashWeightBound(const Context& ctx,
                                                         const ConsumerId& consumer,
                                                         const AccountAddress& user,
                                                         const Stake& stake,
                                                         const RemoteSlash& slash) {
  // A stake in flight counted as held: never below the weight.
  MESH_ASSIGN_OR_RETURN(Held h, HeldAtSlash(ctx, consumer, user, stake, Amount(), slash));
  return h.weight;
}

absl::StatusOr<bool> ExternalStaking::ReportedSlashApplies(const Context& ctx,
                                                          const ConsumerId& consumer,
                                                          const RemoteSlash& slash) {
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, RemoteValidators::Get(ctx, consumer, slash.validator));
  return Judge(h, slash) == SlashVerdict::kApply;
}

absl::Status ExternalStaking::ApplyReportedSlash(const Context& ctx, const ConsumerId& consumer,
                                                const RemoteSlash& slash) {
  return ApplySlashEntry(ctx, consumer, slash);
}

absl::StatusOr<std::vector<ExternalStaking::WaitingSlash>> ExternalStaking::AllWaitingSlashes(
    const Context& ctx, const ConsumerId& consumer) {
  const std::string prefix = tables::Prefix(tables::kExtWaitingSlashes, consumer.value());
  std::vector<WaitingSlash> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string validator, k.Str());
    MESH_ASSIGN_OR_RETURN(uint64_t seq, k.U64());
    MESH_RETURN_IF_ERROR(k.Finish());
    MESH_ASSIGN_OR_RETURN(Waiting w,
                          DecodeWaiting(it->key(), it->value(), ValidatorAddress(validator)));
    out.push_back(WaitingSlash{seq, std::move(w.slash), std::move(w.awaited)});
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<RemoteSlash>> ExternalStaking::WaitingSlashes(
    const Context& ctx, const ConsumerId& consumer, const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::vector<Waiting> queue, LoadWaiting(ctx, consumer, validator));
  std::vector<RemoteSlash> out;
  for (const Waiting& w : queue) out.push_back(w.slash);
  return out;
}

absl::Status ExternalStaking::OnStakeAck(const Context& ctx, const ConsumerId& consumer,
                                         uint64_t tx_id, bool success,
                                         const std::optional<AckReceipt>& receipt) {
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
    MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
    MESH_RETURN_IF_ERROR(MaybePruneRecent(ctx, consumer, tx->user, tx->validator, stake, cfg));
    if (receipt.has_value() && !gained.IsZero()) {
      MESH_RETURN_IF_ERROR(AddAckedStake(ctx, consumer, tx->user, tx->validator, stake,
                                         receipt->height, ctx.time_ns(), gained));
    }
  } else {
    stake.stake.RollbackAddClamped(tx->amount);
    MESH_RETURN_IF_ERROR(Vault::RollbackTx(ctx, holder, tx_id));
  }
  MESH_RETURN_IF_ERROR(SaveDist(ctx, consumer, tx->validator, d));
  // The stake sent saved the record and its index entry (never deleted).
  MESH_RETURN_IF_ERROR(found.has_value()
                           ? SaveIndexedStake(ctx, consumer, tx->user, tx->validator, stake)
                           : SaveStake(ctx, consumer, tx->user, tx->validator, stake));
  MESH_RETURN_IF_ERROR(DeleteTx(ctx, consumer, *tx));
  return ResolveWaiting(ctx, consumer, tx->validator, tx_id);
}

absl::Status ExternalStaking::OnUnstakeAck(const Context& ctx, const ConsumerId& consumer,
                                           uint64_t tx_id, bool success,
                                           const std::optional<AckReceipt>& receipt) {
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
    Amount removed = high_before.SaturatingSub(stake.stake.high());
    if (receipt.has_value()) {
      // The consumer's validator total dropped by amount - absorbed (what a
      // slash it forwarded had already cut from this unstake, P-33): the
      // stake follows it, so the two ends keep agreeing.
      const Amount target = tx->amount.SaturatingSub(receipt->absorbed);
      if (target < removed) {
        const Amount back = removed.SaturatingSub(target);
        MESH_RETURN_IF_ERROR(StakeIncreased(stake, back, d.points_per_stake));
        MESH_ASSIGN_OR_RETURN(Amount low, stake.stake.low().Add(back));
        MESH_ASSIGN_OR_RETURN(Amount high, stake.stake.high().Add(back));
        MESH_ASSIGN_OR_RETURN(stake.stake, AmountRange::Make(low, high));
        removed = target;
      } else if (removed < target) {
        const Amount extra = Min(target.SaturatingSub(removed), stake.stake.low());
        stake.stake.SubClamped(extra);
        MESH_RETURN_IF_ERROR(StakeDecreased(stake, extra, d.points_per_stake));
        MESH_ASSIGN_OR_RETURN(removed, removed.Add(extra));
      }
    }
    MESH_RETURN_IF_ERROR(MaybePruneRecent(ctx, consumer, tx->user, tx->validator, stake, cfg));
    if (!removed.IsZero()) {
      MESH_ASSIGN_OR_RETURN(uint64_t release_at, UnbondReleaseTime(ctx, consumer, tx->validator,
                                                                   cfg.unbonding_period_s));
      stake.pending_unbonds.push_back(PendingUnbond{removed, release_at});
      MESH_RETURN_IF_ERROR(CommittedDecrease(stake, d, removed));
      MESH_RETURN_IF_ERROR(SaveDist(ctx, consumer, tx->validator, d));
      if (receipt.has_value()) {
        stake.recent.push_back(
            AckedChange{removed, receipt->height, ctx.time_ns(), release_at, true});
      }
    }
  } else {
    stake.stake.RollbackSubClamped(tx->amount);
  }
  MESH_RETURN_IF_ERROR(found.has_value()
                           ? SaveIndexedStake(ctx, consumer, tx->user, tx->validator, stake)
                           : SaveStake(ctx, consumer, tx->user, tx->validator, stake));
  MESH_RETURN_IF_ERROR(DeleteTx(ctx, consumer, *tx));
  return ResolveWaiting(ctx, consumer, tx->validator, tx_id);
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
  MESH_RETURN_IF_ERROR(found.has_value()
                           ? SaveIndexedStake(ctx, consumer, tx->user, tx->validator, stake)
                           : SaveStake(ctx, consumer, tx->user, tx->validator, stake));
  return DeleteTx(ctx, consumer, *tx);
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
  const std::string prefix = tables::Prefix(tables::kExtStakesByUser, consumer.value());
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

namespace {

// Table 0xE7: the update's (height, time); entries older than `cutoff` are
// dropped except the newest of them (it still proves that lower heights
// are older than the window).
absl::Status RecordConsumerTime(const Context& ctx, const ConsumerId& consumer, uint64_t height,
                                uint64_t time, uint64_t cutoff) {
  const std::string prefix = tables::Prefix(tables::kConsumerTimes, consumer.value());
  MESH_RETURN_IF_ERROR(
      ctx.store().Put(Encoder().Raw(prefix).U64(height).Take(), Encoder().U64(time).Take()));
  std::vector<std::string> old;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(uint64_t t, v.U64());
    if (t >= cutoff) break;
    old.emplace_back(it->key());
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  if (!old.empty()) old.pop_back();  // keep the newest entry older than the window
  for (const std::string& k : old) MESH_RETURN_IF_ERROR(ctx.store().Delete(k));
  return absl::OkStatus();
}

}  // namespace

absl::Status ExternalStaking::OnValsetUpdate(const Context& ctx, const ConsumerId& consumer,
                                             const ValsetUpdate& update) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
  std::set<std::string> touched;
  // Slashes first (§6.3), each against the history at its infraction height,
  // through the slash meter (SlashThrottle: handled now or queued in order).
  std::set<std::string> tombstoned_here;
  for (const auto& v : update.tombstoned) tombstoned_here.insert(v.value());
  for (RemoteSlash e : update.slashed) {
    touched.insert(e.validator.value());
    e.update_height = update.height;
    MESH_RETURN_IF_ERROR(SlashRatio(e).status());
    if (cfg.require_verified_evidence) {
      // A reported double sign (the validator is tombstoned) waits for
      // verified evidence (ConsumerEvidence); the tombstone itself is kept.
      MESH_ASSIGN_OR_RETURN(RemoteState state,
                            RemoteValidators::CurrentState(ctx, consumer, e.validator));
      if (tombstoned_here.count(e.validator.value()) || state == RemoteState::kTombstoned) {
        MESH_ASSIGN_OR_RETURN(bool punished, ConsumerEvidence::Punished(ctx, consumer, e.validator));
        if (!punished) MESH_RETURN_IF_ERROR(ConsumerEvidence::HoldReport(ctx, consumer, e));
        continue;
      }
    }
    MESH_RETURN_IF_ERROR(SlashThrottle::Submit(ctx, consumer, e).status());
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
  return RecordConsumerTime(ctx, consumer, update.height, update.time, cutoff);
}

absl::StatusOr<ConsumerTimeBound> ExternalStaking::ConsumerTimeAt(const Context& ctx,
                                                                  const ConsumerId& consumer,
                                                                  uint64_t height) {
  ConsumerTimeBound out;
  const std::string prefix = tables::Prefix(tables::kConsumerTimes, consumer.value());
  {
    auto any = ctx.store().ScanPrefix(prefix);
    out.known = any->Valid();
    MESH_RETURN_IF_ERROR(any->status());
  }
  if (!out.known) return out;
  auto it = ctx.store().Scan(Encoder().Raw(prefix).U64(height).Take(), PrefixEnd(prefix));
  if (it->Valid()) {
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(uint64_t t, v.U64());
    out.time_at_or_after = t;
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
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
  // The consumer cut its records by a slash that still waits in the slash
  // meter: the unstake must come after it, as it did on the consumer.
  MESH_ASSIGN_OR_RETURN(bool waiting, SlashThrottle::Waiting(ctx, consumer, validator));
  if (waiting) return absl::FailedPreconditionError(kErrSlashWaitsInMeter);
  // Part of the delegator's share still in flight (its ack not processed
  // yet): refuse, so the consumer sends the unstake again later (as the
  // reference does).
  auto in_flight = [&](const AmountRange& r) -> absl::Status {
    if (r.low() < Min(amount, r.high())) {
      return absl::FailedPreconditionError(
          "internal unstake: the delegator's stake is still in flight");
    }
    return absl::OkStatus();
  };
  // The delegator's own stake first: when it covers the amount, no other
  // stake of the validator is read (it may have 10^5).
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> mine, LoadStake(ctx, consumer, delegator, validator));
  if (mine.has_value()) {
    MESH_RETURN_IF_ERROR(in_flight(mine->stake));
    if (amount <= mine->stake.high()) {
      MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, validator));
      if (!amount.IsZero()) {
        MESH_RETURN_IF_ERROR(ForceUnbond(*mine, d, amount, ctx.time_ns()));
        MESH_RETURN_IF_ERROR(SaveIndexedStake(ctx, consumer, delegator, validator, *mine));
      }
      return SaveDist(ctx, consumer, validator, d);
    }
  }
  MESH_ASSIGN_OR_RETURN(ValidatorStakes read, ReadValidatorStakes(ctx, consumer, validator));
  const std::vector<AccountAddress>& users = read.users;
  std::vector<Stake>& stakes = read.stakes;
  std::vector<Amount> caps;  // the delegator's whole stake, the others' committed
  std::optional<size_t> own;
  for (size_t i = 0; i < users.size(); ++i) {
    const AmountRange& r = stakes[i].stake;
    if (users[i] == delegator) {
      own = i;
      MESH_RETURN_IF_ERROR(in_flight(r));
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
    MESH_RETURN_IF_ERROR(SaveIndexedStake(ctx, consumer, users[i], validator, stakes[i]));
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
  MESH_ASSIGN_OR_RETURN(ValidatorStakes read, ReadValidatorStakes(ctx, consumer, validator));
  const std::vector<AccountAddress>& users = read.users;
  std::vector<Stake>& stakes = read.stakes;
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
  slashes.reserve(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    Stake& s = stakes[i];
    const Amount bonded_cut = bonded_cuts[i];
    const Amount low_before = s.stake.low();
    s.stake.SubClamped(bonded_cut);
    MESH_RETURN_IF_ERROR(CommittedDecrease(s, d, low_before.SaturatingSub(s.stake.low())));
    MESH_ASSIGN_OR_RETURN(Amount unbond_cut, SlashUnbonds(s, ratio, cfg.unbonding_period_s,
                                                          infraction_time, ctx.time_ns()));
    MESH_RETURN_IF_ERROR(SaveIndexedStake(ctx, consumer, users[i], validator, s));
    MESH_ASSIGN_OR_RETURN(Amount cut, bonded_cut.Add(unbond_cut));
    if (!cut.IsZero()) slashes.push_back(SlashInfo{users[i], cut});
  }
  MESH_RETURN_IF_ERROR(SaveDist(ctx, consumer, validator, d));
  if (slashes.empty()) return absl::OkStatus();
  return Vault::Slash(ctx, LienHolder::External(consumer), validator, slashes);
}

}  // namespace mesh::provider
