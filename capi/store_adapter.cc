#include "capi/store_adapter.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mesh::capi {
namespace {

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Takes ownership of a malloc'd (ptr, len) from the host.
std::string Adopt(uint8_t* p, size_t len) {
  std::string out;
  if (p != nullptr) {
    out.assign(reinterpret_cast<const char*>(p), len);
    std::free(p);
  }
  return out;
}

class CallbackIterator : public KvIterator {
 public:
  CallbackIterator(const meshsec_store& cb, std::string_view begin, std::string_view end,
                   bool reverse)
      : cb_(cb) {
    if (cb_.iter_open == nullptr || cb_.iter_next == nullptr) {
      status_ = absl::FailedPreconditionError("store: iterator callbacks missing");
      return;
    }
    status_ = CallbackStatus(cb_.iter_open(cb_.ctx, Bytes(begin), begin.size(), Bytes(end),
                                           end.size(), reverse ? 1 : 0, &id_),
                             "iter_open");
    open_ = status_.ok();
    if (open_) Next();
  }
  ~CallbackIterator() override {
    if (open_ && cb_.iter_close != nullptr) cb_.iter_close(cb_.ctx, id_);
  }
  bool Valid() const override { return valid_; }
  void Next() override {
    valid_ = false;
    if (!status_.ok() || !open_) return;
    uint8_t* k = nullptr;
    uint8_t* v = nullptr;
    size_t klen = 0;
    size_t vlen = 0;
    int valid = 0;
    const int rc = cb_.iter_next(cb_.ctx, id_, &k, &klen, &v, &vlen, &valid);
    key_ = Adopt(k, klen);
    value_ = Adopt(v, vlen);
    status_ = CallbackStatus(rc, "iter_next");
    valid_ = status_.ok() && valid != 0;
  }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  absl::Status status() const override { return status_; }

 private:
  meshsec_store cb_;
  uint64_t id_ = 0;
  bool open_ = false;
  bool valid_ = false;
  std::string key_;
  std::string value_;
  absl::Status status_;
};

}  // namespace

absl::Status CallbackStatus(int rc, std::string_view op) {
  if (rc == 0) return absl::OkStatus();
  const absl::StatusCode code =
      rc >= 1 && rc <= 16 ? static_cast<absl::StatusCode>(rc) : absl::StatusCode::kInternal;
  return absl::Status(code, absl::StrCat("host store: ", std::string(op), " failed (", rc, ")"));
}

absl::StatusOr<std::optional<std::string>> CallbackStore::Get(std::string_view key) const {
  if (cb_.get == nullptr) return absl::FailedPreconditionError("store: get callback missing");
  uint8_t* v = nullptr;
  size_t vlen = 0;
  int found = 0;
  const int rc = cb_.get(cb_.ctx, Bytes(key), key.size(), &v, &vlen, &found);
  std::string value = Adopt(v, vlen);
  if (rc != 0) return CallbackStatus(rc, "get");
  if (found == 0) return std::nullopt;
  return value;
}

std::unique_ptr<KvIterator> CallbackStore::Scan(std::string_view begin, std::string_view end,
                                                bool reverse) const {
  return std::make_unique<CallbackIterator>(cb_, begin, end, reverse);
}

absl::Status CallbackStore::Put(std::string_view key, std::string_view value) {
  if (cb_.set == nullptr) return absl::FailedPreconditionError("store: set callback missing");
  return CallbackStatus(cb_.set(cb_.ctx, Bytes(key), key.size(), Bytes(value), value.size()),
                        "set");
}

absl::Status CallbackStore::Delete(std::string_view key) {
  if (cb_.del == nullptr) return absl::FailedPreconditionError("store: del callback missing");
  return CallbackStatus(cb_.del(cb_.ctx, Bytes(key), key.size()), "del");
}

absl::Status CallbackStore::Write(const WriteBatch& batch) {
  for (const auto& [key, value] : batch.ops()) {
    absl::Status st = value.has_value() ? Put(key, *value) : Delete(key);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace mesh::capi
