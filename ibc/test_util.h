// Test helpers for ibc_test: an in-memory chain and a configurable
// application that records every callback. Test-only.
#ifndef MESHSEC_IBC_TEST_UTIL_H_
#define MESHSEC_IBC_TEST_UTIL_H_

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/context.h"
#include "core/kv.h"
#include "ibc/application.h"
#include "ibc/host.h"
#include "ibc/relayer.h"

namespace mesh::ibc::testing {

inline constexpr uint64_t kStartTimeNs = 1700000000ULL * kNanosPerSecond;

struct TestChain {
  explicit TestChain(std::string id) {
    block.chain_id = std::move(id);
    block.height = 100;
    block.time_ns = kStartTimeNs;
  }
  Context ctx() { return Context(&store, &block); }
  Endpoint endpoint() { return Endpoint{&host, [this] { return ctx(); }}; }
  void Advance(uint64_t blocks, uint64_t seconds) {
    block.height += blocks;
    block.time_ns += seconds * kNanosPerSecond;
  }

  MemStore store;
  BlockInfo block;
  Host host;
};

// Versions are "v1", "v2", ...; the app accepts those in `supported`.
// Receive: data starting with "fail" -> InvalidArgument, "internal" ->
// Internal error, "async" -> empty ack, otherwise ack "ack:<data>". Every callback writes a marker
// key into the store so tests can see whether its writes survived.
class TestApp : public Application {
 public:
  std::set<std::string> supported = {"v1"};
  std::string default_version = "v1";
  bool refuse_close = false;
  bool fail_ack = false;
  // Called from OnRecvPacket / OnTimeout when set (to send or re-enter).
  std::function<absl::Status(const Context&, const Packet&)> on_recv_hook;
  std::function<absl::Status(const Context&, const Packet&)> on_timeout_hook;

  std::vector<std::string> received;  // packet data, in delivery order
  std::vector<std::pair<uint64_t, std::string>> acks;  // (sequence, ack bytes)
  std::vector<uint64_t> timeouts;
  std::vector<std::string> events;  // handshake / close callbacks

  absl::StatusOr<std::string> OnChanOpenInit(const Context& ctx, const ChannelInfo& ch,
                                             std::string_view version) override {
    events.push_back("init");
    std::string v = version.empty() ? default_version : std::string(version);
    if (!supported.contains(v)) return absl::InvalidArgumentError("unsupported version " + v);
    return v;
  }
  // Negotiates down: a higher proposal is answered with our best version.
  absl::StatusOr<std::string> OnChanOpenTry(const Context& ctx, const ChannelInfo& ch,
                                            std::string_view cp_version) override {
    events.push_back("try");
    std::string v(cp_version);
    if (supported.contains(v)) return v;
    if (!supported.empty() && v > *supported.rbegin()) return *supported.rbegin();
    return absl::InvalidArgumentError("incompatible version " + v);
  }
  absl::Status OnChanOpenAck(const Context& ctx, const ChannelInfo& ch,
                             std::string_view cp_version) override {
    events.push_back("ack");
    if (!supported.contains(std::string(cp_version))) {
      return absl::InvalidArgumentError("counterparty chose an unsupported version");
    }
    return absl::OkStatus();
  }
  absl::Status OnChanOpenConfirm(const Context& ctx, const ChannelInfo& ch) override {
    events.push_back("confirm");
    return absl::OkStatus();
  }
  absl::Status OnChanClose(const Context& ctx, const ChannelInfo& ch, CloseStep step) override {
    events.push_back(step == CloseStep::kInit ? "close-init" : "close-confirm");
    if (refuse_close) return absl::FailedPreconditionError("close refused");
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> OnRecvPacket(const Context& ctx, const Packet& p) override {
    received.push_back(p.data);
    absl::Status st = ctx.store().Put("app/recv/" + p.data, "1");
    if (!st.ok()) return st;
    if (on_recv_hook) {
      st = on_recv_hook(ctx, p);
      if (!st.ok()) return st;
    }
    if (p.data.starts_with("fail")) return absl::InvalidArgumentError("rejected " + p.data);
    if (p.data.starts_with("internal")) return absl::InternalError("broken invariant");
    if (p.data.starts_with("async")) return std::string();  // no synchronous ack
    return "ack:" + p.data;
  }
  absl::Status OnAcknowledgement(const Context& ctx, const Packet& p,
                                 std::string_view ack) override {
    absl::Status st = ctx.store().Put("app/acked/" + p.data, std::string(ack));
    if (!st.ok()) return st;
    if (fail_ack) return absl::FailedPreconditionError("ack handler failed");
    acks.emplace_back(p.sequence, std::string(ack));
    return absl::OkStatus();
  }
  absl::Status OnTimeout(const Context& ctx, const Packet& p) override {
    timeouts.push_back(p.sequence);
    absl::Status st = ctx.store().Put("app/timeout/" + p.data, "1");
    if (!st.ok()) return st;
    return on_timeout_hook ? on_timeout_hook(ctx, p) : absl::OkStatus();
  }
};

inline bool StoreHas(const KvReader& s, const std::string& key) {
  absl::StatusOr<bool> has = s.Has(key);
  return has.ok() && *has;
}

}  // namespace mesh::ibc::testing

#endif  // MESHSEC_IBC_TEST_UTIL_H_
