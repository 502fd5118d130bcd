#include "node/gas.h"

#include <string>
#include <utility>

#include "core/status.h"

namespace mesh::node {
namespace {

absl::Status OutOfGas(const GasMeter& m) {
  return absl::ResourceExhaustedError("out of gas: used " + std::to_string(m.used()) +
                                      ", limit " + std::to_string(m.limit()));
}

// Charges each step; an exhausted meter ends the iteration with an error.
class GasIterator : public KvIterator {
 public:
  GasIterator(std::unique_ptr<KvIterator> inner, GasMeter* meter)
      : inner_(std::move(inner)), meter_(meter) {
    Charge();
  }
  bool Valid() const override { return !stopped_ && inner_->Valid(); }
  void Next() override {
    inner_->Next();
    Charge();
  }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  absl::Status status() const override {
    if (stopped_) return OutOfGas(*meter_);
    return inner_->status();
  }

 private:
  void Charge() {
    if (!inner_->Valid()) return;
    meter_->Consume(kIterNextCostFlat +
                    kReadCostPerByte * (inner_->key().size() + inner_->value().size()));
    if (meter_->exceeded()) stopped_ = true;
  }
  std::unique_ptr<KvIterator> inner_;
  GasMeter* meter_;
  bool stopped_ = false;
};

}  // namespace

absl::StatusOr<std::optional<std::string>> GasStore::Get(std::string_view key) const {
  if (meter_->exceeded()) return OutOfGas(*meter_);
  absl::StatusOr<std::optional<std::string>> v = inner_->Get(key);
  if (!v.ok()) return v;
  meter_->Consume(kReadCostFlat +
                  kReadCostPerByte * (key.size() + (v->has_value() ? (*v)->size() : 0)));
  if (meter_->exceeded()) return OutOfGas(*meter_);
  return v;
}

std::unique_ptr<KvIterator> GasStore::Scan(std::string_view begin, std::string_view end,
                                           bool reverse) const {
  meter_->Consume(kReadCostFlat);
  return std::make_unique<GasIterator>(inner_->Scan(begin, end, reverse), meter_);
}

absl::Status GasStore::Put(std::string_view key, std::string_view value) {
  meter_->Consume(kWriteCostFlat + kWriteCostPerByte * (key.size() + value.size()));
  if (meter_->exceeded()) return OutOfGas(*meter_);
  return inner_->Put(key, value);
}

absl::Status GasStore::PutOwned(std::string key, std::string value) {
  meter_->Consume(kWriteCostFlat + kWriteCostPerByte * (key.size() + value.size()));
  if (meter_->exceeded()) return OutOfGas(*meter_);
  return inner_->PutOwned(std::move(key), std::move(value));
}

absl::Status GasStore::Delete(std::string_view key) {
  meter_->Consume(kDeleteCost);
  if (meter_->exceeded()) return OutOfGas(*meter_);
  return inner_->Delete(key);
}

absl::Status GasStore::Apply(WriteBatch& batch) {
  for (auto it = batch.ops().begin(); it != batch.ops().end(); ++it) {
    const auto& [key, value] = *it;
    meter_->Consume(value.has_value()
                        ? kWriteCostFlat + kWriteCostPerByte * (key.size() + value->size())
                        : kDeleteCost);
    if (!meter_->exceeded()) continue;
    for (auto done = batch.ops().begin(); done != it; ++done) {
      MESH_RETURN_IF_ERROR(done->second.has_value() ? inner_->Put(done->first, *done->second)
                                                    : inner_->Delete(done->first));
    }
    return OutOfGas(*meter_);
  }
  return inner_->Apply(batch);
}

}  // namespace mesh::node
