// The host's store callbacks (meshsec_store) as a DurableStore, and the
// trusted counterparty client the C ABI's IBC entry points use.
//
// CallbackStore: Get/Put/Delete/Scan go straight to the callbacks; Write
// applies a WriteBatch as set/del calls in key order. Atomicity of a batch
// is the host's (docs/embedding.md: run the calls in the host's own store
// transaction). A callback's non-zero return becomes a status with that
// code (1..16; anything else is INTERNAL), naming the operation.
//
// TrustedClient: a CounterpartyClient whose "proven" counterparty state is
// exactly the facts the host attests for the one call in progress (a packet
// commitment, an ack commitment, a channel end, the latest height/time).
// The host's own IBC stack verified the real proofs; the C ABI writes the
// fact, calls the ibc::Host entry point, and clears it again, so the host's
// generic checks (channel state, counterparty, replay protection, timeouts)
// all still apply and nothing else is ever trusted.
//
// Not thread-safe.
#ifndef MESHSEC_CAPI_STORE_ADAPTER_H_
#define MESHSEC_CAPI_STORE_ADAPTER_H_

#include <memory>
#include <string>

#include "capi/meshsec.h"
#include "core/kv.h"
#include "ibc/application.h"

namespace mesh::capi {

// Status for a callback's return code (0 = OK).
absl::Status CallbackStatus(int rc, std::string_view op);

class CallbackStore : public DurableStore {
 public:
  explicit CallbackStore(const meshsec_store& cb) : cb_(cb) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  absl::Status Put(std::string_view key, std::string_view value) override;
  absl::Status Delete(std::string_view key) override;
  absl::Status Write(const WriteBatch& batch) override;

 private:
  meshsec_store cb_;
};

class TrustedClient : public ibc::CounterpartyClient {
 public:
  explicit TrustedClient(ConnectionId counterparty) : counterparty_(std::move(counterparty)) {}
  ConnectionId CounterpartyConnection() const override { return counterparty_; }
  uint64_t LatestHeight() const override { return height_; }
  uint64_t LatestTimeNs() const override { return time_ns_; }
  const KvReader& State() const override { return *facts_; }

  // The attested facts, for the call in progress.
  MemStore& facts() { return *facts_; }
  void SetLatest(uint64_t height, uint64_t time_ns) {
    height_ = height;
    time_ns_ = time_ns;
  }
  // Forgets every attested fact.
  void Clear() {
    facts_ = std::make_unique<MemStore>();
    height_ = 0;
    time_ns_ = 0;
  }

 private:
  ConnectionId counterparty_;
  std::unique_ptr<MemStore> facts_ = std::make_unique<MemStore>();
  uint64_t height_ = 0;
  uint64_t time_ns_ = 0;
};

}  // namespace mesh::capi

#endif  // MESHSEC_CAPI_STORE_ADAPTER_H_
