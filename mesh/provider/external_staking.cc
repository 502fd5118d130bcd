// External staking: config, the vault-facing API, user operations, outbox
// and queries. Ack, timeout and receive handlers are in external_ibc.cc.
#include "mesh/provider/external_staking.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/burn.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/rewards.h"
#include "mesh/provider/slash_throttle.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/vault.h"

namespace mesh::provider {
namespace ext_internal {
namespace {

// What a SlashReadScope keeps: per (store, consumer, validator), the stakes
// as read. Ordered map: nothing here is iterated for results anyway.
// Shared, not copied: at 10^6 users copying one validator's stakes was 5-8 %
// of a slash's samples, page faults included (docs/perf.md).
struct KeptStakes {
  std::map<std::tuple<const KvStore*, std::string, std::string>, std::shared_ptr<ValidatorStakes>>
      by_validator;
};
thread_local KeptStakes* kept_stakes = nullptr;

// A stake record is about to change: no kept copy may be handed out.
void DropKeptStakes() {
  if (kept_stakes != nullptr) kept_stakes->by_validator.clear();
}

// The key of `user`'s stake record on `v`: by validator, then user.
std::string StakeKey(const ConsumerId& c, const AccountAddress& user, const ValidatorAddress& v) {
  return tables::Key(tables::kExtStakes, c.value(), v.value(), user.value());
}

// How many stake records `v` has (table 0xF7).
std::string StakeRecordsKey(const ConsumerId& c, const ValidatorAddress& v) {
  return tables::Key(tables::kExtStakeRecords, c.value(), v.value());
}

// The most stakes a validator's read sizes its vectors for up front (a
// count beyond is read as it comes).
constexpr uint64_t kMaxReservedStakes = uint64_t{1} << 22;

std::string StakeSlashSeqKey(const ConsumerId& c, const ValidatorAddress& v) {
  return tables::Key(tables::kExtStakeSlashSeq, c.value(), v.value());
}

// Brings `s` (read with its stamp) up to `last`, the latest stake slash of
// `v`; `slashes` holds those after `from` (read again here only when `s` is
// further behind, so a scan of many stakes reads the list once).
absl::Status CatchUpFrom(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                         const ValidatorAddress& v, uint64_t last, StakeSlashes& slashes,
                         uint64_t& from, Stake& s) {
  if (s.slash_seq >= last) return absl::OkStatus();
  if (s.slash_seq < from) {
    MESH_ASSIGN_OR_RETURN(slashes, StakeSlashesAfter(ctx, c, v, s.slash_seq));
    from = s.slash_seq;
  }
  MESH_RETURN_IF_ERROR(CatchUp(ctx, c, user, v, slashes, s));
  if (s.slash_seq != last) {
    return absl::DataLossError(absl::StrCat("external staking: the stake of ", user.value(),
                                            " on ", v.value(), " reaches stake slash ",
                                            s.slash_seq, " of ", last));
  }
  return absl::OkStatus();
}

}  // namespace

std::string StakeSlashKey(const ConsumerId& c, const ValidatorAddress& v, uint64_t seq) {
  return Encoder()
      .Raw(tables::Prefix(tables::kExtStakeSlashes, c.value(), v.value()))
      .U64(seq)
      .Take();
}

absl::StatusOr<uint64_t> LastStakeSlash(const Context& ctx, const ConsumerId& c,
                                        const ValidatorAddress& v) {
  return tables::CounterOrZero(ctx.store(), StakeSlashSeqKey(c, v));
}

absl::StatusOr<StakeSlashes> StakeSlashesAfter(const Context& ctx, const ConsumerId& c,
                                               const ValidatorAddress& v, uint64_t after) {
  StakeSlashes out;
  MESH_RETURN_IF_ERROR(ForEachU64Keyed(
      ctx.store(), tables::Prefix(tables::kExtStakeSlashes, c.value(), v.value()), after + 1,
      [&](uint64_t seq, std::string_view value) -> absl::StatusOr<bool> {
        MESH_ASSIGN_OR_RETURN(StakeSlash slash, DecodeRecord<StakeSlash>(value));
        out.emplace_back(seq, std::move(slash));
        return true;
      }));
  return out;
}

absl::StatusOr<uint64_t> SaveStakeSlash(const Context& ctx, const ConsumerId& c,
                                        const ValidatorAddress& v, const StakeSlash& slash) {
  DropKeptStakes();  // a kept stake of v no longer reflects every slash
  MESH_ASSIGN_OR_RETURN(uint64_t last, LastStakeSlash(ctx, c, v));
  const uint64_t seq = last + 1;
  MESH_RETURN_IF_ERROR(PutRecord(ctx.store(), StakeSlashKey(c, v, seq), slash));
  MESH_RETURN_IF_ERROR(ctx.store().Put(StakeSlashSeqKey(c, v), Encoder().U64(seq).Take()));
  // No stake of v reads slash seq - K any more (K = kMaxStakeSlashesBehind):
  // one stamped before it is written by this slash (the caller's contract),
  // one stamped at it or after has applied it. So v keeps at most K.
  if (seq > kMaxStakeSlashesBehind) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(StakeSlashKey(c, v, seq - kMaxStakeSlashesBehind)));
  }
  // Every stake it leaves is a user's whose vault record leaves the cut to
  // its next read too (external_ibc.cc): the vault learns it from the count.
  MESH_RETURN_IF_ERROR(
      NextCounter(ctx, tables::Key(tables::kExtDeferringSlashes, c.value()), 1).status());
  return seq;
}

absl::StatusOr<std::optional<Stake>> LoadStake(const Context& ctx, const ConsumerId& c,
                                               const AccountAddress& user,
                                               const ValidatorAddress& v) {
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> s, GetRecord<Stake>(ctx.store(), StakeKey(c, user, v)));
  if (!s.has_value()) return s;
  MESH_ASSIGN_OR_RETURN(uint64_t last, LastStakeSlash(ctx, c, v));
  StakeSlashes slashes;
  uint64_t from = UINT64_MAX;
  MESH_RETURN_IF_ERROR(CatchUpFrom(ctx, c, user, v, last, slashes, from, *s));
  return s;
}

absl::Status SaveStake(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                       const ValidatorAddress& v, const Stake& stake) {
  DropKeptStakes();
  // The by-user index entry comes with the record: without one, the record
  // is new, and the validator counts one more.
  const std::string index_key =
      tables::Key(tables::kExtStakesByUser, c.value(), user.value(), v.value());
  MESH_ASSIGN_OR_RETURN(bool indexed, ctx.store().Has(index_key));
  if (!indexed) {
    MESH_RETURN_IF_ERROR(
        tables::StepCounter(ctx.store(), StakeRecordsKey(c, v), /*up=*/true).status());
    MESH_RETURN_IF_ERROR(ctx.store().Put(index_key, ""));
  }
  // The stake reflects every stake slash stored so far: a new one is
  // concerned by none, a loaded one was caught up by its read.
  Stake stamped = stake;
  MESH_ASSIGN_OR_RETURN(stamped.slash_seq, LastStakeSlash(ctx, c, v));
  return SaveIndexedStake(ctx, c, user, v, stamped);
}

absl::Status SaveIndexedStake(const Context& ctx, const ConsumerId& c,
                              const AccountAddress& user, const ValidatorAddress& v,
                              const Stake& stake) {
  DropKeptStakes();
  return PutRecord(ctx.store(), StakeKey(c, user, v), stake);
}

namespace {

std::string AckedStakesPrefix(const ConsumerId& c, const AccountAddress& user,
                              const ValidatorAddress& v) {
  return Encoder(tables::kExtAckedStakes)
      .Reserve(1 + 12 + c.value().size() + user.value().size() + v.value().size())
      .Str(c.value())
      .Str(user.value())
      .Str(v.value())
      .Take();
}

}  // namespace

absl::Status AddAckedStake(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                           const ValidatorAddress& v, Stake& s, uint64_t consumer_height,
                           uint64_t acked_at_ns, Amount amount) {
  // A user who stakes seldom keeps his few acked stakes inline (no key of
  // his own); the log takes the rest once they fill the list.
  if (s.acked_stakes_log.empty()) {
    const size_t inline_stakes = static_cast<size_t>(std::count_if(
        s.recent.begin(), s.recent.end(), [](const AckedChange& ch) { return !ch.unstake; }));
    if (inline_stakes < kInlineAckedStakes) {
      s.recent.push_back(AckedChange{amount, consumer_height, acked_at_ns, 0, false});
      return absl::OkStatus();
    }
  }
  return AmountLogAdd(ctx.store(), AckedStakesPrefix(c, user, v), s.acked_stakes_log,
                      consumer_height, acked_at_ns, amount);
}

absl::Status ForgetAckedStakes(const Context& ctx, const ConsumerId& c, const AccountAddress& user,
                               const ValidatorAddress& v, Stake& s, uint64_t forget_before_ns,
                               uint64_t grace_ns) {
  return AmountLogForget(ctx.store(), AckedStakesPrefix(c, user, v), s.acked_stakes_log,
                         forget_before_ns, grace_ns);
}

absl::StatusOr<Amount> AckedStakeSince(const Context& ctx, const ConsumerId& c,
                                       const AccountAddress& user, const ValidatorAddress& v,
                                       const Stake& s, uint64_t height) {
  Amount later;
  // The log's key prefix is built only when the log holds a later stake
  // (a slash asks this of every stake it reads).
  if (!s.acked_stakes_log.empty() && s.acked_stakes_log.last >= height) {
    MESH_ASSIGN_OR_RETURN(later, AmountLogSumSince(ctx.store(), AckedStakesPrefix(c, user, v),
                                                   s.acked_stakes_log, height));
  }
  for (const AckedChange& ch : s.recent) {
    if (ch.unstake || ch.consumer_height < height) continue;
    MESH_ASSIGN_OR_RETURN(later, later.Add(ch.amount));
  }
  return later;
}

namespace {

absl::StatusOr<ValidatorStakes> ReadFromStore(const Context& ctx, const ConsumerId& c,
                                              const ValidatorAddress& v) {
  // The records are ordered by validator, then user: one scan, no index.
  ValidatorStakes out;
  // Sized by their count (at 10^5 stakes, growing the vectors as they are
  // read cost a sixth of the slash: every stake moved, twice the memory
  // touched). Only a size: the scan decides what is read.
  MESH_ASSIGN_OR_RETURN(const uint64_t count,
                        tables::CounterOrZero(ctx.store(), StakeRecordsKey(c, v)));
  const size_t expected = static_cast<size_t>(std::min<uint64_t>(count, kMaxReservedStakes));
  out.users.reserve(expected);
  out.stakes.reserve(expected);
  out.stored_seq.reserve(expected);
  MESH_ASSIGN_OR_RETURN(out.last_slash, LastStakeSlash(ctx, c, v));
  StakeSlashes slashes;
  uint64_t from = UINT64_MAX;
  const std::string prefix = tables::Prefix(tables::kExtStakes, c.value(), v.value());
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Stake& s = out.stakes.emplace_back();  // decoded in its place
    Decoder d(it->value());
    MESH_RETURN_IF_ERROR(Stake::DecodeInto(d, s));
    MESH_RETURN_IF_ERROR(d.Finish());
    out.users.emplace_back(it->key().substr(prefix.size()));
    out.stored_seq.push_back(s.slash_seq);
    MESH_RETURN_IF_ERROR(
        CatchUpFrom(ctx, c, out.users.back(), v, out.last_slash, slashes, from, s));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ValidatorStakes>> ViewValidatorStakes(
    const Context& ctx, const ConsumerId& c, const ValidatorAddress& v) {
  if (kept_stakes == nullptr) {
    MESH_ASSIGN_OR_RETURN(ValidatorStakes read, ReadFromStore(ctx, c, v));
    return std::make_shared<const ValidatorStakes>(std::move(read));
  }
  auto key = std::make_tuple(&ctx.store(), c.value(), v.value());
  auto found = kept_stakes->by_validator.find(key);
  if (found == kept_stakes->by_validator.end()) {
    MESH_ASSIGN_OR_RETURN(ValidatorStakes read, ReadFromStore(ctx, c, v));
    found = kept_stakes->by_validator
                .emplace(std::move(key), std::make_shared<ValidatorStakes>(std::move(read)))
                .first;
  }
  return std::shared_ptr<const ValidatorStakes>(found->second);
}

absl::StatusOr<ValidatorStakes> ReadValidatorStakes(const Context& ctx, const ConsumerId& c,
                                                    const ValidatorAddress& v) {
  if (kept_stakes == nullptr) return ReadFromStore(ctx, c, v);
  auto found = kept_stakes->by_validator.find({&ctx.store(), c.value(), v.value()});
  if (found == kept_stakes->by_validator.end()) return ReadFromStore(ctx, c, v);
  std::shared_ptr<ValidatorStakes> kept = std::move(found->second);
  kept_stakes->by_validator.erase(found);
  // Nobody else holds it (a view handed out earlier is gone): taken by move.
  if (kept.use_count() == 1) return std::move(*kept);
  return *kept;
}

absl::StatusOr<std::vector<std::pair<ValidatorAddress, Stake>>> UserStakes(
    const Context& ctx, const ConsumerId& c, const AccountAddress& user) {
  // The user's validators from the index, then their records (one batched read).
  std::vector<ValidatorAddress> validators;
  const std::string prefix = tables::Prefix(tables::kExtStakesByUser, c.value(), user.value());
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) validators.emplace_back(it->key().substr(prefix.size()));
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  std::vector<std::string> keys;
  keys.reserve(validators.size());
  for (const ValidatorAddress& v : validators) keys.push_back(StakeKey(c, user, v));
  std::vector<std::optional<Stake>> stakes;
  MESH_RETURN_IF_ERROR(GetRecords<Stake>(ctx.store(), keys, &stakes));
  std::vector<std::pair<ValidatorAddress, Stake>> out;
  out.reserve(validators.size());
  for (size_t i = 0; i < validators.size(); ++i) {
    if (!stakes[i].has_value()) {
      return absl::InternalError("external staking: a by-user index entry without its stake");
    }
    MESH_ASSIGN_OR_RETURN(uint64_t last, LastStakeSlash(ctx, c, validators[i]));
    StakeSlashes slashes;
    uint64_t from = UINT64_MAX;
    MESH_RETURN_IF_ERROR(
        CatchUpFrom(ctx, c, user, validators[i], last, slashes, from, *stakes[i]));
    out.emplace_back(std::move(validators[i]), *std::move(stakes[i]));
  }
  return out;
}

absl::StatusOr<Distribution> LoadDist(const Context& ctx, const ConsumerId& c,
                                      const ValidatorAddress& v) {
  return GetRecordOr<Distribution>(
      ctx.store(), tables::Key(tables::kExtDistribution, c.value(), v.value()), Distribution{});
}

absl::Status SaveDist(const Context& ctx, const ConsumerId& c, const ValidatorAddress& v,
                      const Distribution& d) {
  return PutRecord(ctx.store(), tables::Key(tables::kExtDistribution, c.value(), v.value()), d);
}

absl::StatusOr<std::optional<ExternalTx>> LoadTx(const Context& ctx, const ConsumerId& c,
                                                 uint64_t id) {
  return GetRecord<ExternalTx>(ctx.store(), tables::KeyU64(tables::kExtTxs, c.value(), id));
}

namespace {

std::string InFlightKey(const ConsumerId& c, const ValidatorAddress& v) {
  return tables::Key(tables::kExtTxsInFlight, c.value(), v.value());
}

bool CountedInFlight(const ExternalTx& tx) { return tx.kind != ExternalTx::Kind::kTransferRewards; }

}  // namespace

absl::Status SaveTx(const Context& ctx, const ConsumerId& c, const ExternalTx& tx) {
  if (CountedInFlight(tx)) {
    MESH_RETURN_IF_ERROR(tables::StepCounter(ctx.store(), InFlightKey(c, tx.validator), true)
                             .status());
  }
  return PutRecord(ctx.store(), tables::KeyU64(tables::kExtTxs, c.value(), tx.id), tx);
}

absl::Status DeleteTx(const Context& ctx, const ConsumerId& c, const ExternalTx& tx) {
  if (CountedInFlight(tx)) {
    MESH_ASSIGN_OR_RETURN(uint64_t before,
                          tables::StepCounter(ctx.store(), InFlightKey(c, tx.validator), false));
    if (before == 0) {
      return absl::InternalError(absl::StrCat("external staking: tx ", tx.id, " on ",
                                              tx.validator.value(), " was not counted in flight"));
    }
  }
  return ctx.store().Delete(tables::KeyU64(tables::kExtTxs, c.value(), tx.id));
}

absl::StatusOr<uint64_t> TxsInFlight(const Context& ctx, const ConsumerId& c,
                                     const ValidatorAddress& v) {
  return tables::CounterOrZero(ctx.store(), InFlightKey(c, v));
}

absl::StatusOr<uint64_t> NextCounter(const Context& ctx, const std::string& key, uint64_t first) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(key));
  uint64_t next = first;
  if (raw.has_value()) {
    Decoder d(*raw);
    MESH_ASSIGN_OR_RETURN(uint64_t last, d.U64());
    next = last + 1;
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(key, Encoder().U64(next).Take()));
  return next;
}

absl::StatusOr<uint64_t> NextOwnTxId(const Context& ctx, const ConsumerId& c) {
  return NextCounter(ctx, tables::Key(tables::kExtTxCount, c.value()), kFirstOwnTxId);
}

absl::Status Enqueue(const Context& ctx, const ConsumerId& c, OutboundPacket p) {
  MESH_ASSIGN_OR_RETURN(uint64_t seq,
                        NextCounter(ctx, tables::Key(tables::kExtOutboxSeq, c.value()), 1));
  p.timeout_ns = ctx.time_ns() + kPacketTimeoutSeconds * kNanosPerSecond;
  return PutRecord(ctx.store(), tables::KeyU64(tables::kExtOutbox, c.value(), seq), p);
}

absl::Status CommittedDecrease(Stake& s, Distribution& d, Amount low_drop) {
  if (low_drop.IsZero()) return absl::OkStatus();
  MESH_RETURN_IF_ERROR(StakeDecreased(s, low_drop, d.points_per_stake));
  d.total_stake = d.total_stake.SaturatingSub(low_drop);
  return absl::OkStatus();
}

}  // namespace ext_internal

using namespace ext_internal;  // NOLINT(build/namespaces): this file's helpers

SlashReadScope::SlashReadScope() : owner_(kept_stakes == nullptr) {
  if (owner_) kept_stakes = new KeptStakes();
}
SlashReadScope::~SlashReadScope() {
  if (!owner_) return;
  delete kept_stakes;
  kept_stakes = nullptr;
}

namespace {

absl::Status CheckRatio(Dec r) {
  if (r.IsNegative() || Dec::One() < r) {
    return absl::InvalidArgumentError("You cannot specify a slash ratio over 1.0 (100%)");
  }
  return absl::OkStatus();
}

absl::StatusOr<ExternalConfig> OpenConfig(const Context& ctx, const ConsumerId& c) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, c));
  if (cfg.closed) return absl::FailedPreconditionError(kErrClosed);
  return cfg;
}

// Burns up to `amount` from the stakes: first from what the consumer has
// confirmed and keeps (the low ends: committed, not being unstaked), even
// split then greedy; only what that cannot cover comes from the parts still
// in flight (high − low), the same way. Returns what was burned. The
// consumer-facing burns go to `burns`.
absl::StatusOr<Amount> BurnFromStakes(const Context& ctx, const ConsumerId& c,
                                      const AccountAddress& user,
                                      std::vector<std::pair<ValidatorAddress, Stake>>& stakes,
                                      Amount amount, BurnAggregator& burns) {
  if (stakes.empty() || amount.IsZero()) return Amount();
  std::vector<Amount> confirmed, in_flight;
  for (const auto& [v, s] : stakes) {
    confirmed.push_back(s.stake.low());
    in_flight.push_back(s.stake.high().SaturatingSub(s.stake.low()));
  }
  MESH_ASSIGN_OR_RETURN(BurnSplit first, DistributeBurn(confirmed, amount));
  std::vector<Amount> per_entry = first.per_entry;
  Amount burned = first.burned;
  if (burned < amount) {
    MESH_ASSIGN_OR_RETURN(BurnSplit rest, DistributeBurn(in_flight, amount.SaturatingSub(burned)));
    for (size_t i = 0; i < stakes.size(); ++i) {
      MESH_ASSIGN_OR_RETURN(per_entry[i], per_entry[i].Add(rest.per_entry[i]));
    }
    MESH_ASSIGN_OR_RETURN(burned, burned.Add(rest.burned));
  }
  for (size_t i = 0; i < stakes.size(); ++i) {
    const Amount b = per_entry[i];
    if (b.IsZero()) continue;
    auto& [v, s] = stakes[i];
    MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, c, v));
    const Amount low_before = s.stake.low();
    s.stake.SubClamped(b);
    MESH_RETURN_IF_ERROR(CommittedDecrease(s, d, low_before.SaturatingSub(s.stake.low())));
    MESH_RETURN_IF_ERROR(SaveDist(ctx, c, v, d));
    MESH_RETURN_IF_ERROR(SaveStake(ctx, c, user, v, s));
    Amount& agg = burns[{c.value(), v.value()}];
    MESH_ASSIGN_OR_RETURN(agg, agg.Add(b));
  }
  return burned;
}

// Whether the matured unbonds of `v` are held: a slash of it reported by
// the consumer waits in the slash meter's queue and may still cut them
// (P-45). Not on a closed link (its queued slashes are dropped).
absl::StatusOr<bool> UnbondsHeld(const Context& ctx, const ConsumerId& c,
                                 const ValidatorAddress& v) {
  MESH_ASSIGN_OR_RETURN(bool waits, SlashThrottle::Waiting(ctx, c, v));
  if (!waits) return false;
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, ExternalStaking::Config(ctx, c));
  return !cfg.closed;
}

// Takes `amount` from the user's pending unbonds, latest entries first (they
// are already unbonded on the consumer, so no packet).
absl::Status BurnFromUnbonds(const Context& ctx, const ConsumerId& c,
                             const AccountAddress& user, Amount amount) {
  MESH_ASSIGN_OR_RETURN(auto stakes, UserStakes(ctx, c, user));
  for (auto& [v, s] : stakes) {
    if (amount.IsZero()) break;
    for (auto e = s.pending_unbonds.rbegin(); e != s.pending_unbonds.rend() && !amount.IsZero();
         ++e) {
      const Amount take = Min(amount, e->amount);
      e->amount = e->amount.SaturatingSub(take);
      amount = amount.SaturatingSub(take);
    }
    std::erase_if(s.pending_unbonds, [](const PendingUnbond& u) { return u.amount.IsZero(); });
    MESH_RETURN_IF_ERROR(SaveStake(ctx, c, user, v, s));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ExternalStaking::Init(const Context& ctx, const ConsumerId& consumer,
                                   const ExternalConfig& config) {
  if (consumer.empty()) return absl::InvalidArgumentError("empty consumer id");
  MESH_RETURN_IF_ERROR(CheckRatio(config.slash_ratio_dsign));
  MESH_RETURN_IF_ERROR(CheckRatio(config.slash_ratio_offline));
  const std::string key = tables::Key(tables::kExtConfig, consumer.value());
  MESH_ASSIGN_OR_RETURN(bool exists, ctx.store().Has(key));
  if (exists) return absl::FailedPreconditionError("consumer already initialised");
  ExternalConfig cfg = config;
  cfg.closed = false;
  return PutRecord(ctx.store(), key, cfg);
}

absl::StatusOr<ExternalConfig> ExternalStaking::Config(const Context& ctx,
                                                       const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<ExternalConfig> cfg,
                        GetRecord<ExternalConfig>(
                            ctx.store(), tables::Key(tables::kExtConfig, consumer.value())));
  if (!cfg.has_value()) return absl::NotFoundError("unknown consumer " + consumer.value());
  return *cfg;
}

absl::Status ExternalStaking::ReceiveVirtualStake(const Context& ctx, const ConsumerId& consumer,
                                                  const ExternalConfig& cfg,
                                                  const AccountAddress& user, Amount amount,
                                                  uint64_t tx_id,
                                                  const ValidatorAddress& validator,
                                                  bool shared) {
  if (cfg.closed) return absl::FailedPreconditionError(kErrClosed);
  MESH_ASSIGN_OR_RETURN(RemoteState state,
                        RemoteValidators::CurrentState(ctx, consumer, validator));
  if (state != RemoteState::kActive) {
    return absl::FailedPreconditionError(
        absl::StrCat("Cannot stake to ", validator.value(), ", ", kErrNotActive));
  }
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> found, LoadStake(ctx, consumer, user, validator));
  Stake stake = found.value_or(Stake{});
  MESH_RETURN_IF_ERROR(stake.stake.PrepareAdd(amount));
  stake.shared = stake.shared || shared;
  // A stake record is never deleted and was saved with its index entry, so
  // only a first stake writes the index (no unchanged key rewritten).
  MESH_RETURN_IF_ERROR(found.has_value()
                           ? SaveIndexedStake(ctx, consumer, user, validator, stake)
                           : SaveStake(ctx, consumer, user, validator, stake));
  MESH_RETURN_IF_ERROR(SaveTx(
      ctx, consumer, ExternalTx{ExternalTx::Kind::kStake, tx_id, amount, user, validator}));
  OutboundPacket p;
  p.kind = OutboundPacket::Kind::kStake;
  p.tx_id = tx_id;
  p.delegator = user;
  p.validators = {validator};
  p.amount = amount;
  p.denom = cfg.denom;
  return Enqueue(ctx, consumer, std::move(p));
}

absl::Status ExternalStaking::MarkShared(const Context& ctx, const ConsumerId& consumer,
                                         const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(auto stakes, UserStakes(ctx, consumer, user));
  for (auto& [v, s] : stakes) {
    if (s.shared) continue;
    s.shared = true;
    MESH_RETURN_IF_ERROR(SaveIndexedStake(ctx, consumer, user, v, s));
  }
  return absl::OkStatus();
}

absl::Status ExternalStaking::BurnVirtualStake(const Context& ctx, const ConsumerId& consumer,
                                               const AccountAddress& user, Amount amount,
                                               const std::optional<ValidatorAddress>& validator,
                                               BurnAggregator& burns) {
  MESH_ASSIGN_OR_RETURN(auto all, UserStakes(ctx, consumer, user));
  std::vector<std::pair<ValidatorAddress, Stake>> first;
  for (const auto& e : all) {
    if (!validator.has_value() || e.first == *validator) first.push_back(e);
  }
  MESH_ASSIGN_OR_RETURN(Amount burned, BurnFromStakes(ctx, consumer, user, first, amount, burns));
  Amount rest = amount.SaturatingSub(burned);
  if (!rest.IsZero() && validator.has_value()) {
    // The slashed validator alone cannot cover it: spread over the others.
    MESH_ASSIGN_OR_RETURN(auto others, UserStakes(ctx, consumer, user));
    MESH_ASSIGN_OR_RETURN(burned, BurnFromStakes(ctx, consumer, user, others, rest, burns));
    rest = rest.SaturatingSub(burned);
  }
  if (rest.IsZero()) return absl::OkStatus();
  return BurnFromUnbonds(ctx, consumer, user, rest);
}

absl::Status ExternalStaking::FlushBurns(const Context& ctx, const BurnAggregator& burns) {
  for (const auto& [key, amount] : burns) {
    if (amount.IsZero()) continue;
    const ConsumerId consumer(key.first);
    MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, Config(ctx, consumer));
    if (cfg.closed) continue;
    OutboundPacket p;
    p.kind = OutboundPacket::Kind::kBurn;
    p.validators = {ValidatorAddress(key.second)};
    p.amount = amount;
    p.denom = cfg.denom;
    MESH_RETURN_IF_ERROR(Enqueue(ctx, consumer, std::move(p)));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ExternalStaking::Unstake(const Context& ctx, const ConsumerId& consumer,
                                                  const AccountAddress& user,
                                                  const ValidatorAddress& validator,
                                                  Amount amount) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, OpenConfig(ctx, consumer));
  if (amount.IsZero()) return absl::InvalidArgumentError("amount must be positive");
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> found, LoadStake(ctx, consumer, user, validator));
  Stake stake = found.value_or(Stake{});
  if (stake.stake.low() < amount) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Not enough tokens staked, up to ", stake.stake.low().ToString(), " can be unbond"));
  }
  // While slashes of the validator wait in the slash meter, the stake keeps
  // what may be the user's share of them (P-45).
  MESH_ASSIGN_OR_RETURN(Amount reserve, SlashThrottle::Reserve(ctx, consumer, validator, user, stake));
  if (stake.stake.low().SaturatingSub(reserve) < amount) {
    return absl::FailedPreconditionError(
        absl::StrCat(kErrUnstakeSlashWaits, ": up to ",
                     stake.stake.low().SaturatingSub(reserve).ToString(), " can be unstaked"));
  }
  MESH_RETURN_IF_ERROR(stake.stake.PrepareSub(amount));
  MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, user, validator, stake));
  MESH_ASSIGN_OR_RETURN(uint64_t id, NextOwnTxId(ctx, consumer));
  MESH_RETURN_IF_ERROR(SaveTx(
      ctx, consumer, ExternalTx{ExternalTx::Kind::kUnstake, id, amount, user, validator}));
  OutboundPacket p;
  p.kind = OutboundPacket::Kind::kUnstake;
  p.tx_id = id;
  p.delegator = user;
  p.validators = {validator};
  p.amount = amount;
  p.denom = cfg.denom;
  MESH_RETURN_IF_ERROR(Enqueue(ctx, consumer, std::move(p)));
  return id;
}

absl::StatusOr<Amount> ExternalStaking::WithdrawUnbonded(const Context& ctx,
                                                         const ConsumerId& consumer,
                                                         const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(auto stakes, UserStakes(ctx, consumer, user));
  Amount total;
  for (auto& [v, s] : stakes) {
    // Every matured entry, wherever it sits in the list (the reference
    // binary-searches a list that is not always sorted).
    Amount released;
    for (const PendingUnbond& u : s.pending_unbonds) {
      if (u.release_at_ns <= ctx.time_ns()) {
        MESH_ASSIGN_OR_RETURN(released, released.Add(u.amount));
      }
    }
    if (released.IsZero()) continue;
    // Held while a slash of the validator waits in the slash meter (P-45).
    MESH_ASSIGN_OR_RETURN(bool held, UnbondsHeld(ctx, consumer, v));
    if (held) continue;
    std::erase_if(s.pending_unbonds,
                  [&](const PendingUnbond& u) { return u.release_at_ns <= ctx.time_ns(); });
    MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, user, v, s));
    MESH_ASSIGN_OR_RETURN(total, total.Add(released));
  }
  if (total.IsZero()) return total;
  MESH_RETURN_IF_ERROR(Vault::Release(ctx, LienHolder::External(consumer), user, total));
  return total;
}

absl::StatusOr<std::vector<ExternalStaking::HeldUnbond>> ExternalStaking::HeldUnbonds(
    const Context& ctx, const ConsumerId& consumer, const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(auto stakes, UserStakes(ctx, consumer, user));
  std::vector<HeldUnbond> out;
  for (const auto& [v, s] : stakes) {
    std::vector<PendingUnbond> matured;
    for (const PendingUnbond& u : s.pending_unbonds) {
      if (u.release_at_ns <= ctx.time_ns()) matured.push_back(u);
    }
    if (matured.empty()) continue;
    MESH_ASSIGN_OR_RETURN(bool held, UnbondsHeld(ctx, consumer, v));
    if (!held) continue;
    for (const PendingUnbond& u : matured) out.push_back(HeldUnbond{v, u, kHeldBySlashInMeter});
  }
  return out;
}

absl::StatusOr<uint64_t> ExternalStaking::WithdrawRewards(const Context& ctx,
                                                          const ConsumerId& consumer,
                                                          const AccountAddress& user,
                                                          const ValidatorAddress& validator,
                                                          const std::string& remote_recipient) {
  MESH_ASSIGN_OR_RETURN(ExternalConfig cfg, OpenConfig(ctx, consumer));
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> found, LoadStake(ctx, consumer, user, validator));
  Stake stake = found.value_or(Stake{});
  MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, validator));
  MESH_ASSIGN_OR_RETURN(Amount amount, PendingReward(stake, d));
  if (amount.IsZero()) return absl::FailedPreconditionError(kErrNoRewards);
  // Reserved until the ack, so a second withdrawal cannot pay it again.
  MESH_ASSIGN_OR_RETURN(stake.withdrawing, stake.withdrawing.Add(amount));
  MESH_RETURN_IF_ERROR(SaveStake(ctx, consumer, user, validator, stake));
  MESH_ASSIGN_OR_RETURN(uint64_t id, NextOwnTxId(ctx, consumer));
  MESH_RETURN_IF_ERROR(SaveTx(ctx, consumer,
                              ExternalTx{ExternalTx::Kind::kTransferRewards, id, amount, user,
                                         validator}));
  OutboundPacket p;
  p.kind = OutboundPacket::Kind::kTransferRewards;
  p.tx_id = id;
  p.delegator = user;
  p.validators = {validator};
  p.amount = amount;
  p.denom = cfg.rewards_denom;
  p.recipient = remote_recipient;
  MESH_RETURN_IF_ERROR(Enqueue(ctx, consumer, std::move(p)));
  return id;
}

namespace {

// The outbox is drained whole at the end of every block, so its live
// entries are those from the floor (0x6C) on: scans start there and never
// walk the entries drained before (deleted keys on RocksDB).
absl::StatusOr<uint64_t> OutboxFloor(const Context& ctx, const ConsumerId& c) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(tables::Key(tables::kExtOutboxFloor, c.value())));
  if (!raw.has_value()) return uint64_t{0};
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t floor, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return floor;
}

// The outbox entries of `c` in sequence order, with their sequences.
absl::StatusOr<std::vector<std::pair<uint64_t, OutboundPacket>>> ReadOutbox(
    const Context& ctx, const ConsumerId& c) {
  MESH_ASSIGN_OR_RETURN(uint64_t floor, OutboxFloor(ctx, c));
  const std::string prefix = tables::Prefix(tables::kExtOutbox, c.value());
  std::vector<std::pair<uint64_t, OutboundPacket>> out;
  auto it = ctx.store().Scan(tables::KeyU64(tables::kExtOutbox, c.value(), floor),
                             PrefixEnd(prefix));
  for (; it->Valid(); it->Next()) {
    Decoder key(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t seq, key.U64());
    MESH_ASSIGN_OR_RETURN(OutboundPacket p, DecodeRecord<OutboundPacket>(it->value()));
    out.emplace_back(seq, std::move(p));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace

absl::StatusOr<std::vector<OutboundPacket>> ExternalStaking::Outbox(const Context& ctx,
                                                                    const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(auto entries, ReadOutbox(ctx, consumer));
  std::vector<OutboundPacket> out;
  out.reserve(entries.size());
  for (auto& [seq, p] : entries) out.push_back(std::move(p));
  return out;
}

absl::StatusOr<std::vector<OutboundPacket>> ExternalStaking::DrainOutbox(
    const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(auto entries, ReadOutbox(ctx, consumer));
  std::vector<OutboundPacket> out;
  out.reserve(entries.size());
  for (auto& [seq, p] : entries) {
    MESH_RETURN_IF_ERROR(
        ctx.store().Delete(tables::KeyU64(tables::kExtOutbox, consumer.value(), seq)));
    out.push_back(std::move(p));
  }
  if (entries.empty()) return out;
  MESH_RETURN_IF_ERROR(ctx.store().Put(tables::Key(tables::kExtOutboxFloor, consumer.value()),
                                       Encoder().U64(entries.back().first + 1).Take()));
  return out;
}

absl::StatusOr<uint64_t> ExternalStaking::DeferringSlashes(const Context& ctx,
                                                          const ConsumerId& consumer) {
  return tables::CounterOrZero(ctx.store(),
                               tables::Key(tables::kExtDeferringSlashes, consumer.value()));
}

absl::StatusOr<Amount> ExternalStaking::VaultCut(const Context& ctx, const ConsumerId& consumer,
                                                 const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(auto stakes, UserStakes(ctx, consumer, user));
  Amount total;
  for (const auto& [v, s] : stakes) {
    MESH_ASSIGN_OR_RETURN(total, total.Add(s.vault_cut));
  }
  return total;
}

absl::StatusOr<Stake> ExternalStaking::GetStake(const Context& ctx, const ConsumerId& consumer,
                                                const AccountAddress& user,
                                                const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<Stake> s, LoadStake(ctx, consumer, user, validator));
  if (!s.has_value()) return Stake();
  return *std::move(s);
}

absl::StatusOr<std::vector<StakeEntry>> ExternalStaking::Stakes(
    const Context& ctx, const ConsumerId& consumer, const AccountAddress& user,
    const std::optional<ValidatorAddress>& start_after, std::optional<uint64_t> limit) {
  MESH_ASSIGN_OR_RETURN(auto stakes, UserStakes(ctx, consumer, user));
  std::vector<StakeEntry> out;
  for (auto& [v, s] : stakes) {
    if (start_after.has_value() && v <= *start_after) continue;
    if (out.size() >= PageLimit(limit)) break;
    out.push_back(StakeEntry{user, v, std::move(s)});
  }
  return out;
}

absl::Status ExternalStaking::CheckStoredLayout(const Context& ctx) {
  return tables::RefuseRetired(
      ctx.store(),
      {tables::kRetiredExtStakes, tables::kRetiredExtStakesByVal, tables::kRetiredUnstampedStakes,
       tables::kRetiredUncountedStakes},
      "external staking: a stake record of an earlier layout (ordered by user, or without the "
      "stake-slash stamp or the vault's deferred cut; state from an earlier build must be "
      "regenerated, docs/provider.md)");
}

absl::Status ExternalStaking::VisitValidatorUsers(
    const Context& ctx, const ConsumerId& consumer, const ValidatorAddress& validator,
    std::string_view from, bool reverse,
    absl::FunctionRef<absl::StatusOr<bool>(const AccountAddress& user)> visit) {
  return VisitFrom(ctx.store(),
                   tables::Prefix(tables::kExtStakes, consumer.value(), validator.value()),
                   from, reverse,
                   [&](std::string_view user, std::string_view) -> absl::StatusOr<bool> {
                     return visit(AccountAddress(std::string(user)));
                   });
}

absl::Status ExternalStaking::VisitStakeKeys(
    const Context& ctx, const ConsumerId& consumer, std::string_view from, bool reverse,
    absl::FunctionRef<absl::StatusOr<bool>(std::string_view key, const AccountAddress& user,
                                           const ValidatorAddress& validator)>
        visit) {
  return VisitFrom(ctx.store(), tables::Prefix(tables::kExtStakesByUser, consumer.value()), from,
                   reverse, [&](std::string_view key, std::string_view) -> absl::StatusOr<bool> {
                     Decoder d(key);
                     MESH_ASSIGN_OR_RETURN(std::string user, d.Str());
                     return visit(key, AccountAddress(std::move(user)),
                                  ValidatorAddress(std::string(d.Rest())));
                   });
}

absl::StatusOr<Amount> ExternalStaking::PendingRewards(const Context& ctx,
                                                       const ConsumerId& consumer,
                                                       const AccountAddress& user,
                                                       const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(Stake s, GetStake(ctx, consumer, user, validator));
  MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, validator));
  return PendingReward(s, d);
}

absl::StatusOr<std::vector<std::pair<ValidatorAddress, Amount>>>
ExternalStaking::AllPendingRewards(const Context& ctx, const ConsumerId& consumer,
                                   const AccountAddress& user) {
  MESH_ASSIGN_OR_RETURN(auto stakes, UserStakes(ctx, consumer, user));
  std::vector<std::pair<ValidatorAddress, Amount>> out;
  for (const auto& [v, s] : stakes) {
    MESH_ASSIGN_OR_RETURN(Distribution d, LoadDist(ctx, consumer, v));
    MESH_ASSIGN_OR_RETURN(Amount r, PendingReward(s, d));
    out.emplace_back(v, r);
  }
  return out;
}

absl::StatusOr<Distribution> ExternalStaking::GetDistribution(const Context& ctx,
                                                              const ConsumerId& consumer,
                                                              const ValidatorAddress& validator) {
  return LoadDist(ctx, consumer, validator);
}

absl::StatusOr<ExternalTx> ExternalStaking::PendingTx(const Context& ctx,
                                                      const ConsumerId& consumer,
                                                      uint64_t tx_id) {
  MESH_ASSIGN_OR_RETURN(std::optional<ExternalTx> tx, LoadTx(ctx, consumer, tx_id));
  if (!tx.has_value()) return absl::NotFoundError(absl::StrCat("tx ", tx_id, " not found"));
  return *tx;
}

absl::StatusOr<std::vector<ExternalTx>> ExternalStaking::AllPendingTxsDesc(
    const Context& ctx, const ConsumerId& consumer, std::optional<uint64_t> start_after,
    std::optional<uint64_t> limit) {
  const std::string prefix = tables::Prefix(tables::kExtTxs, consumer.value());
  const std::string end = start_after
                              ? tables::KeyU64(tables::kExtTxs, consumer.value(), *start_after)
                              : PrefixEnd(prefix);
  std::vector<ExternalTx> out;
  auto it = ctx.store().Scan(prefix, end, /*reverse=*/true);
  for (; it->Valid() && out.size() < PageLimit(limit); it->Next()) {
    MESH_ASSIGN_OR_RETURN(ExternalTx tx, DecodeRecord<ExternalTx>(it->value()));
    out.push_back(std::move(tx));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace mesh::provider
