// ValueRange<T>: the two-phase-commit primitive of the provider
// (mesh-provider.md §0.5).
//
// A pair (low, high), low <= high, spanning every outcome of the in-flight
// transactions that may still change a quantity: low is the value if every
// pending addition is rolled back and every pending subtraction committed,
// high the value if every pending addition commits and every pending
// subtraction is rolled back. New operations are checked against the
// pessimistic end (high for additions against a maximum, low for
// subtractions against a minimum), so every in-flight operation can always be
// committed or rolled back.
//
// Two families of operations:
//  - the reference operations (PrepareAdd, CommitAdd, RollbackAdd, Add,
//    PrepareSub, CommitSub, RollbackSub, Sub). Each returns a non-OK status
//    where the reference aborts: OutOfRange "Overflow maximum value" /
//    "Underflow minimum value" for the checked prepares, Internal when a
//    commit/rollback would break low <= high (a broken invariant).
//  - "clamped" operations used by ack/timeout and slash paths, which must
//    never fail on valid state: they keep low <= high by clamping the moving
//    end to the other one and never go below zero (docs/compatibility.md).
//
// T must provide Add/Sub returning absl::StatusOr<T>, SaturatingSub, Zero()
// and a total order (Amount does). Value type; deterministic.
#ifndef MESHSEC_MESH_PROVIDER_VALUE_RANGE_H_
#define MESHSEC_MESH_PROVIDER_VALUE_RANGE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/codec.h"
#include "core/dec.h"
#include "core/status.h"

namespace mesh::provider {

inline constexpr char kRangeOverflow[] = "Overflow maximum value";
inline constexpr char kRangeUnderflow[] = "Underflow minimum value";
inline constexpr char kRangeNotOneValue[] = "Range is not one value";

template <typename T>
class ValueRange {
 public:
  ValueRange() = default;
  explicit ValueRange(T v) : low_(v), high_(v) {}
  // InvalidArgument if low > high.
  static absl::StatusOr<ValueRange> Make(T low, T high) {
    if (high < low) return absl::InvalidArgumentError("value range low > high");
    ValueRange r;
    r.low_ = low;
    r.high_ = high;
    return r;
  }

  T low() const { return low_; }
  T high() const { return high_; }
  bool IsOneValue() const { return low_ == high_; }
  bool IsZero() const { return high_ == T::Zero(); }
  // The single value; FailedPrecondition "Range is not one value" otherwise.
  absl::StatusOr<T> Value() const {
    if (!IsOneValue()) return absl::FailedPreconditionError(kRangeNotOneValue);
    return low_;
  }
  bool IsUnderMax(T max) const { return !(max < high_); }
  bool IsOverMin(T min) const { return !(low_ < min); }

  // high += v; OutOfRange "Overflow maximum value" if high + v > max.
  absl::Status PrepareAdd(T v, std::optional<T> max = std::nullopt) {
    MESH_ASSIGN_OR_RETURN(T h, high_.Add(v));
    if (max.has_value() && *max < h) return absl::OutOfRangeError(kRangeOverflow);
    high_ = h;
    return absl::OkStatus();
  }
  // low += v; Internal if that passes high.
  absl::Status CommitAdd(T v) {
    MESH_ASSIGN_OR_RETURN(T l, low_.Add(v));
    if (high_ < l) return absl::InternalError("value range commit_add above high");
    low_ = l;
    return absl::OkStatus();
  }
  // high -= v; Internal if that passes low.
  absl::Status RollbackAdd(T v) {
    if (high_ < v || high_.SaturatingSub(v) < low_) {
      return absl::InternalError("value range rollback_add below low");
    }
    high_ = high_.SaturatingSub(v);
    return absl::OkStatus();
  }
  // Both ends += v; OutOfRange if high + v > max.
  absl::Status Add(T v, std::optional<T> max = std::nullopt) {
    MESH_RETURN_IF_ERROR(PrepareAdd(v, max));
    return CommitAdd(v);
  }
  // low -= v; OutOfRange "Underflow minimum value" if low < min + v (min
  // defaults to zero).
  absl::Status PrepareSub(T v, T min = T::Zero()) {
    MESH_ASSIGN_OR_RETURN(T floor, min.Add(v));
    if (low_ < floor) return absl::OutOfRangeError(kRangeUnderflow);
    low_ = low_.SaturatingSub(v);
    return absl::OkStatus();
  }
  // high -= v; Internal if that passes low.
  absl::Status CommitSub(T v) {
    if (high_ < v || high_.SaturatingSub(v) < low_) {
      return absl::InternalError("value range commit_sub below low");
    }
    high_ = high_.SaturatingSub(v);
    return absl::OkStatus();
  }
  // low += v; Internal if that passes high.
  absl::Status RollbackSub(T v) { return CommitAdd(v); }
  // Both ends -= v; OutOfRange "Underflow minimum value" if low < min + v.
  absl::Status Sub(T v, T min = T::Zero()) {
    MESH_RETURN_IF_ERROR(PrepareSub(v, min));
    high_ = high_.SaturatingSub(v);
    return absl::OkStatus();
  }

  // Clamped operations: never fail, keep 0 <= low <= high.
  // Commit of a pending addition: low = min(low + v, high).
  void CommitAddClamped(T v) { low_ = Min(high_, AddCapped(low_, v)); }
  // Rollback of a pending addition: high = max(high - v, low).
  void RollbackAddClamped(T v) { high_ = Max(low_, high_.SaturatingSub(v)); }
  // Commit of a pending subtraction: high = max(high - v, low).
  void CommitSubClamped(T v) { RollbackAddClamped(v); }
  // Rollback of a pending subtraction: low = min(low + v, high).
  void RollbackSubClamped(T v) { CommitAddClamped(v); }
  // An unconditional loss (slash, burn) of v on every outcome:
  // (low - v, high - v), each saturating at zero.
  void SubClamped(T v) {
    low_ = low_.SaturatingSub(v);
    high_ = high_.SaturatingSub(v);
  }

  // Component-wise helpers (reference max_range / min_range / spread / sum).
  static ValueRange MaxRange(const ValueRange& a, const ValueRange& b) {
    return Unchecked(Max(a.low_, b.low_), Max(a.high_, b.high_));
  }
  static ValueRange MinRange(const ValueRange& a, const ValueRange& b) {
    return Unchecked(Min(a.low_, b.low_), Min(a.high_, b.high_));
  }
  static ValueRange Spread(const ValueRange& a, const ValueRange& b) {
    return Unchecked(Min(a.low_, b.low_), Max(a.high_, b.high_));
  }
  static absl::StatusOr<ValueRange> Sum(const std::vector<ValueRange>& rs) {
    ValueRange acc;
    for (const ValueRange& r : rs) {
      MESH_ASSIGN_OR_RETURN(acc.low_, acc.low_.Add(r.low_));
      MESH_ASSIGN_OR_RETURN(acc.high_, acc.high_.Add(r.high_));
    }
    return acc;
  }

  friend bool operator==(const ValueRange&, const ValueRange&) = default;

  std::string ToString() const {
    return "(" + low_.ToString() + ", " + high_.ToString() + ")";
  }

 private:
  static ValueRange Unchecked(T low, T high) {
    ValueRange r;
    r.low_ = low;
    r.high_ = high;
    return r;
  }
  static T AddCapped(T a, T b) {
    absl::StatusOr<T> s = a.Add(b);
    return s.ok() ? *s : T::Max();
  }

  T low_{};
  T high_{};
};

using AmountRange = ValueRange<Amount>;

// (floor(low * d), floor(high * d)) -- reference `mul_floor` on a range.
absl::StatusOr<AmountRange> MulFloor(const AmountRange& r, Dec d);

void EncodeRange(Encoder& e, const AmountRange& r);
absl::StatusOr<AmountRange> DecodeRange(Decoder& d);

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_VALUE_RANGE_H_
