// A deterministic gas meter (docs/transactions.md, "Gas"), with the Cosmos
// SDK's default KV gas costs (store/types/gas.go KVGasConfig) and ante costs:
//   read:   1000 flat + 3 per byte of key and value
//   write:  2000 flat + 30 per byte of key and value
//   delete: 1000 flat
//   iterator step: 30 flat + 3 per byte of key and value
//   tx size: 10 per byte of the TxRaw; secp256k1 verification: 1000
// GasStore counts every access of a tx's overlay on its meter; once the
// meter passes its limit every further access fails with ResourceExhausted
// ("out of gas"), which the chain turns into SDK code 11.
#ifndef MESHSEC_NODE_GAS_H_
#define MESHSEC_NODE_GAS_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/kv.h"

namespace mesh::node {

inline constexpr uint64_t kReadCostFlat = 1000;
inline constexpr uint64_t kReadCostPerByte = 3;
inline constexpr uint64_t kWriteCostFlat = 2000;
inline constexpr uint64_t kWriteCostPerByte = 30;
inline constexpr uint64_t kDeleteCost = 1000;
inline constexpr uint64_t kIterNextCostFlat = 30;
inline constexpr uint64_t kTxSizeCostPerByte = 10;
inline constexpr uint64_t kSigVerifyCostSecp256k1 = 1000;

class GasMeter {
 public:
  explicit GasMeter(uint64_t limit) : limit_(limit) {}
  void Consume(uint64_t amount) {
    used_ = amount > UINT64_MAX - used_ ? UINT64_MAX : used_ + amount;
  }
  bool exceeded() const { return used_ > limit_; }
  uint64_t used() const { return used_; }
  uint64_t limit() const { return limit_; }

 private:
  uint64_t limit_;
  uint64_t used_ = 0;
};

// A KvStore that charges `meter` for each access of `inner`.
class GasStore : public KvStore {
 public:
  GasStore(KvStore* inner, GasMeter* meter) : inner_(inner), meter_(meter) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override;
  std::unique_ptr<KvIterator> Scan(std::string_view begin, std::string_view end,
                                   bool reverse = false) const override;
  absl::Status Put(std::string_view key, std::string_view value) override;
  // Charged as Put; the strings go on to the inner store's PutOwned.
  absl::Status PutOwned(std::string key, std::string value) override;
  absl::Status Delete(std::string_view key) override;
  // Charges each op as Put/Delete would, in key order, then hands the batch
  // to the inner store's Apply (an Overlay takes it by move). Out of gas at
  // op i: ops before i reach the inner store, as with Put/Delete one by one.
  absl::Status Apply(WriteBatch& batch) override;

 private:
  KvStore* inner_;
  GasMeter* meter_;
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_GAS_H_
