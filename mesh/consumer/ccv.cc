#include "mesh/consumer/ccv.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/status.h"
#include "staking/staking.h"

namespace mesh::consumer::ccv {
namespace {

constexpr uint8_t kState = 0xB8;      // () -> State
constexpr uint8_t kHtoVsc = 0xB9;     // u64 height -> u64 vscID (change points)
constexpr uint8_t kPendingUpd = 0xBA; // bytes key -> i64 power (this block's VSCs)
constexpr uint8_t kSet = 0xBB;        // bytes key -> i64 power (consensus set)
constexpr uint8_t kOutstanding = 0xBC;// bytes address -> ""
constexpr uint8_t kSlashQueue = 0xBD; // u64 seq -> bytes address, i64 power, u64 vscID
constexpr uint8_t kMaturityPeriod = 0xBE;  // () -> u64 unbonding_s (absent: off)
constexpr uint8_t kMaturing = 0xBF;        // u64 maturity_ns, u64 vscID -> ""

// The VSC just received matures one consumer unbonding period on, when the
// provider asks for it (turning the option on for good if genesis did not,
// with the chain's staking unbonding time) or, without the field, when the
// consumer's own setting is on.
absl::Status RecordMaturity(const Context& ctx, const Vsc& vsc) {
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> period, CcvConsumer::MaturityPeriod(ctx));
  if (vsc.waits_for_maturity == false) return absl::OkStatus();
  if (vsc.waits_for_maturity == true && !period.has_value()) {
    MESH_ASSIGN_OR_RETURN(staking::Params params, staking::Staking::GetParams(ctx));
    MESH_RETURN_IF_ERROR(CcvConsumer::EnableMaturity(ctx, params.unbonding_time_s));
    period = params.unbonding_time_s;
  }
  if (!period.has_value()) return absl::OkStatus();
  const uint64_t at = ctx.time_ns() + *period * kNanosPerSecond;
  return ctx.store().Put(Encoder(kMaturing).U64(at).U64(vsc.vsc_id).Take(), "");
}

std::string StateKey() { return Encoder(kState).Take(); }

absl::StatusOr<std::map<std::string, int64_t>> ReadPowers(const Context& ctx, uint8_t table) {
  const std::string prefix = Encoder(table).Take();
  std::map<std::string, int64_t> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    Decoder v(it->value());
    MESH_ASSIGN_OR_RETURN(std::string key, k.Bytes());
    MESH_ASSIGN_OR_RETURN(out[key], v.I64());
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<State> MustGet(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<State> s, CcvConsumer::Get(ctx));
  if (!s.has_value()) return absl::FailedPreconditionError("ccv: this chain has no CCV provider");
  return *s;
}

}  // namespace

absl::Status CcvConsumer::Init(const Context& ctx, const std::string& provider,
                               const ConnectionId& connection, uint64_t retry_delay_s) {
  MESH_ASSIGN_OR_RETURN(std::optional<State> s, Get(ctx));
  if (s.has_value()) return absl::FailedPreconditionError("ccv: a chain has one CCV provider");
  State st;
  st.provider = provider;
  st.connection = connection;
  st.retry_delay_s = retry_delay_s;
  return Put(ctx, st);
}

absl::StatusOr<std::optional<State>> CcvConsumer::Get(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(StateKey()));
  if (!raw.has_value()) return std::optional<State>();
  Decoder d(*raw);
  State s;
  MESH_ASSIGN_OR_RETURN(s.provider, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string conn, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string ch, d.Str());
  s.connection = ConnectionId(std::move(conn));
  s.channel = ChannelId(std::move(ch));
  MESH_ASSIGN_OR_RETURN(s.retry_delay_s, d.U64());
  MESH_ASSIGN_OR_RETURN(s.received_vsc, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.applied, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.closed, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.waiting, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.last_send_ns, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return std::optional<State>(std::move(s));
}

absl::Status CcvConsumer::Put(const Context& ctx, const State& s) {
  return ctx.store().Put(StateKey(), Encoder()
                                         .Str(s.provider)
                                         .Str(s.connection.value())
                                         .Str(s.channel.value())
                                         .U64(s.retry_delay_s)
                                         .Bool(s.received_vsc)
                                         .Bool(s.applied)
                                         .Bool(s.closed)
                                         .Bool(s.waiting)
                                         .U64(s.last_send_ns)
                                         .Take());
}

absl::Status CcvConsumer::OnVsc(const Context& ctx, const Vsc& vsc) {
  MESH_ASSIGN_OR_RETURN(State st, MustGet(ctx));
  if (vsc.vsc_id == 0) return absl::InvalidArgumentError("ccv: valset_update_id must be > 0");
  for (const Update& u : vsc.updates) {
    if (u.pub_key.size() != 32 || u.power < 0) {
      return absl::InvalidArgumentError("ccv: bad validator update");
    }
  }
  // Later updates within the block replace earlier ones (absolute powers).
  for (const Update& u : vsc.updates) {
    MESH_RETURN_IF_ERROR(ctx.store().Put(Encoder(kPendingUpd).Bytes(u.pub_key).Take(),
                                         Encoder().I64(u.power).Take()));
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(Encoder(kHtoVsc).U64(ctx.height() + 1).Take(),
                                       Encoder().U64(vsc.vsc_id).Take()));
  for (const std::string& a : vsc.slash_acks) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(Encoder(kOutstanding).Bytes(a).Take()));
  }
  st.received_vsc = true;
  MESH_RETURN_IF_ERROR(RecordMaturity(ctx, vsc));
  return Put(ctx, st);
}

absl::StatusOr<Applied> CcvConsumer::EndBlock(const Context& ctx) {
  Applied out;
  MESH_ASSIGN_OR_RETURN(std::optional<State> st, Get(ctx));
  if (!st.has_value()) return out;
  MESH_ASSIGN_OR_RETURN(auto pending, ReadPowers(ctx, kPendingUpd));
  if (pending.empty()) return out;
  for (const auto& [key, power] : pending) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(Encoder(kPendingUpd).Bytes(key).Take()));
    const std::string set_key = Encoder(kSet).Bytes(key).Take();
    if (power == 0) {
      MESH_RETURN_IF_ERROR(ctx.store().Delete(set_key));
    } else {
      MESH_RETURN_IF_ERROR(ctx.store().Put(set_key, Encoder().I64(power).Take()));
    }
    out.updates.push_back(Update{key, power});
  }
  out.first = !st->applied;
  st->applied = true;
  MESH_RETURN_IF_ERROR(Put(ctx, *st));
  return out;
}

absl::StatusOr<bool> CcvConsumer::HasPendingUpdates(const Context& ctx) {
  auto it = ctx.store().ScanPrefix(Encoder(kPendingUpd).Take());
  MESH_RETURN_IF_ERROR(it->status());
  return it->Valid();
}

absl::StatusOr<std::vector<Update>> CcvConsumer::CurrentSet(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(auto set, ReadPowers(ctx, kSet));
  std::vector<Update> out;
  for (const auto& [k, p] : set) out.push_back(Update{k, p});
  return out;
}

absl::StatusOr<uint64_t> CcvConsumer::VscIdAt(const Context& ctx, uint64_t height) {
  const std::string begin = Encoder(kHtoVsc).Take();
  const std::string end = Encoder(kHtoVsc).U64(height + 1).Take();
  auto it = ctx.store().Scan(begin, end, /*reverse=*/true);
  if (!it->Valid()) {
    MESH_RETURN_IF_ERROR(it->status());
    return uint64_t{0};
  }
  Decoder v(it->value());
  return v.U64();
}

absl::StatusOr<bool> CcvConsumer::Outstanding(const Context& ctx, std::string_view address) {
  return ctx.store().Has(Encoder(kOutstanding).Bytes(address).Take());
}

absl::StatusOr<bool> CcvConsumer::OnDowntime(const Context& ctx, std::string_view address,
                                             int64_t power, uint64_t infraction_height) {
  MESH_ASSIGN_OR_RETURN(State st, MustGet(ctx));
  (void)st;
  MESH_ASSIGN_OR_RETURN(bool outstanding, Outstanding(ctx, address));
  if (outstanding) return false;
  MESH_RETURN_IF_ERROR(ctx.store().Put(Encoder(kOutstanding).Bytes(address).Take(), ""));
  MESH_ASSIGN_OR_RETURN(uint64_t vsc, VscIdAt(ctx, infraction_height));
  MESH_ASSIGN_OR_RETURN(std::vector<SlashRequest> q, Queue(ctx));
  const uint64_t seq = q.empty() ? 1 : q.back().seq + 1;
  MESH_RETURN_IF_ERROR(ctx.store().Put(Encoder(kSlashQueue).U64(seq).Take(),
                                       Encoder().Bytes(address).I64(power).U64(vsc).Take()));
  return true;
}

absl::StatusOr<std::vector<SlashRequest>> CcvConsumer::Queue(const Context& ctx) {
  const std::string prefix = Encoder(kSlashQueue).Take();
  std::vector<SlashRequest> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    Decoder v(it->value());
    SlashRequest r;
    MESH_ASSIGN_OR_RETURN(r.seq, k.U64());
    MESH_ASSIGN_OR_RETURN(r.address, v.Bytes());
    MESH_ASSIGN_OR_RETURN(r.power, v.I64());
    MESH_ASSIGN_OR_RETURN(r.vsc_id, v.U64());
    out.push_back(std::move(r));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::optional<SlashRequest>> CcvConsumer::NextToSend(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<State> st, Get(ctx));
  if (!st.has_value() || !st->received_vsc || st->closed || st->channel.empty() || st->waiting) {
    return std::optional<SlashRequest>();
  }
  if (st->last_send_ns != 0 &&
      ctx.time_ns() <= st->last_send_ns + st->retry_delay_s * kNanosPerSecond) {
    return std::optional<SlashRequest>();
  }
  MESH_ASSIGN_OR_RETURN(std::vector<SlashRequest> q, Queue(ctx));
  if (q.empty()) return std::optional<SlashRequest>();
  return std::optional<SlashRequest>(q.front());
}

absl::Status CcvConsumer::MarkSent(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(State st, MustGet(ctx));
  st.waiting = true;
  st.last_send_ns = ctx.time_ns();
  return Put(ctx, st);
}

absl::Status CcvConsumer::OnSlashResult(const Context& ctx, uint8_t result) {
  MESH_ASSIGN_OR_RETURN(State st, MustGet(ctx));
  st.waiting = false;
  if (result == 1 || result == 2) {
    MESH_ASSIGN_OR_RETURN(std::vector<SlashRequest> q, Queue(ctx));
    if (!q.empty()) {
      MESH_RETURN_IF_ERROR(ctx.store().Delete(Encoder(kSlashQueue).U64(q.front().seq).Take()));
    }
    st.last_send_ns = 0;
  }
  return Put(ctx, st);
}

absl::Status CcvConsumer::Close(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(State st, MustGet(ctx));
  st.closed = true;
  st.waiting = false;
  return Put(ctx, st);
}

// ---------------------------------------------------------------- maturity

absl::Status CcvConsumer::EnableMaturity(const Context& ctx, uint64_t unbonding_s) {
  MESH_RETURN_IF_ERROR(MustGet(ctx).status());
  if (unbonding_s == 0) return absl::InvalidArgumentError("ccv: unbonding period must be > 0");
  return ctx.store().Put(Encoder(kMaturityPeriod).Take(), Encoder().U64(unbonding_s).Take());
}

absl::StatusOr<std::optional<uint64_t>> CcvConsumer::MaturityPeriod(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(Encoder(kMaturityPeriod).Take()));
  if (!raw.has_value()) return std::optional<uint64_t>();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t s, d.U64());
  return std::optional<uint64_t>(s);
}

absl::StatusOr<std::vector<CcvConsumer::Maturing>> CcvConsumer::Maturities(const Context& ctx) {
  std::vector<Maturing> out;
  const std::string prefix = Encoder(kMaturing).Take();
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    Maturing m;
    MESH_ASSIGN_OR_RETURN(m.maturity_ns, d.U64());
    MESH_ASSIGN_OR_RETURN(m.vsc_id, d.U64());
    out.push_back(m);
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<uint64_t>> CcvConsumer::TakeMatured(const Context& ctx) {
  std::vector<uint64_t> out;
  MESH_ASSIGN_OR_RETURN(std::optional<State> st, Get(ctx));
  if (!st.has_value() || st->closed) return out;
  MESH_ASSIGN_OR_RETURN(std::vector<SlashRequest> q, Queue(ctx));
  if (!q.empty()) return out;  // a VSCMatured never overtakes a slash packet
  MESH_ASSIGN_OR_RETURN(std::vector<Maturing> all, Maturities(ctx));
  for (const Maturing& m : all) {
    if (m.maturity_ns > ctx.time_ns()) break;
    MESH_RETURN_IF_ERROR(ctx.store().Delete(Encoder(kMaturing).U64(m.maturity_ns).U64(m.vsc_id).Take()));
    out.push_back(m.vsc_id);
  }
  return out;
}

}  // namespace mesh::consumer::ccv
