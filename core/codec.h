// Canonical binary codec for store keys and values.
//
// Grammar (docs/state-layout.md):
//   u8     := 1 byte
//   u32    := 4 bytes big-endian
//   u64    := 8 bytes big-endian
//   i64    := u64 of (v XOR 2^63)       -- order-preserving for signed values
//   amount := 16 bytes big-endian (u128)
//   dec    := 16 bytes big-endian of (raw XOR 2^127)  -- order-preserving
//   u256   := 32 bytes big-endian
//   bytes  := u32 length, then the bytes
//   str    := bytes (UTF-8 not checked)
//   bool   := u8 0 or 1 (anything else is an error on decode)
//
// Because every fixed field is big-endian and every variable field is
// length-prefixed, a key built from fields sorts numerically by its leading
// fixed fields, and the encoding of a prefix of fields is a byte prefix of the
// full key (so "all records of user U" is a prefix scan).
//
// Values use the same encoder; Decoder::Finish() rejects trailing bytes.
// Value types; deterministic.
#ifndef MESHSEC_CORE_CODEC_H_
#define MESHSEC_CORE_CODEC_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/dec.h"
#include "core/uint256.h"

namespace mesh {

class Encoder {
 public:
  Encoder() = default;
  explicit Encoder(uint8_t table_prefix) { U8(table_prefix); }
  // Writes into `buffer`, emptied first: its capacity is reused (Take()
  // hands it back, with the bytes).
  explicit Encoder(std::string&& buffer) : out_(std::move(buffer)) { out_.clear(); }

  Encoder& U8(uint8_t v);
  Encoder& U32(uint32_t v);
  Encoder& U64(uint64_t v);
  Encoder& I64(int64_t v);
  Encoder& Bool(bool v);
  Encoder& Amt(Amount v);
  Encoder& Decimal(Dec v);
  Encoder& Big(const U256& v);
  // REQUIRES: v.size() < 2^32 (checked; aborts otherwise).
  Encoder& Bytes(std::string_view v);
  Encoder& Str(std::string_view v) { return Bytes(v); }
  // Appends raw bytes with no length prefix (only as the last key field).
  Encoder& Raw(std::string_view v);

  // Capacity for `n` bytes in all (a caller that knows the encoding's size
  // saves the string's regrowths).
  Encoder& Reserve(size_t n) {
    out_.reserve(n);
    return *this;
  }

  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields in the order they were written. Every getter returns
// DataLoss on truncated or malformed input. The decoder holds a view:
// REQUIRES: the input bytes outlive the Decoder (not a temporary Encoder's
// data()).
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  // The fixed-width fields are read inline (a slash decodes every stake
  // of a validator, a dozen fields each); only their errors are out of line.
  absl::StatusOr<uint8_t> U8() {
    if (in_.empty()) [[unlikely]] return Truncated(1);
    const auto v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  absl::StatusOr<uint32_t> U32() {
    if (in_.size() < 4) [[unlikely]] return Truncated(4);
    const uint32_t v = Load<uint32_t>(in_.data());
    in_.remove_prefix(4);
    return v;
  }
  absl::StatusOr<uint64_t> U64() {
    if (in_.size() < 8) [[unlikely]] return Truncated(8);
    const uint64_t v = Load<uint64_t>(in_.data());
    in_.remove_prefix(8);
    return v;
  }
  absl::StatusOr<int64_t> I64();
  absl::StatusOr<bool> Bool() {
    if (in_.empty()) [[unlikely]] return Truncated(1);
    const auto b = static_cast<uint8_t>(in_[0]);
    if (b > 1) [[unlikely]] return InvalidBool(b);
    in_.remove_prefix(1);
    return b == 1;
  }
  absl::StatusOr<Amount> Amt() {
    if (in_.size() < 16) [[unlikely]] return Truncated(16);
    const Amount v(Load128(in_.data()));
    in_.remove_prefix(16);
    return v;
  }
  absl::StatusOr<Dec> Decimal();
  absl::StatusOr<U256> Big() {
    if (in_.size() < 32) [[unlikely]] return Truncated(32);
    const U256 v(Load128(in_.data()), Load128(in_.data() + 16));
    in_.remove_prefix(32);
    return v;
  }
  absl::StatusOr<std::string> Bytes();
  absl::StatusOr<std::string> Str() { return Bytes(); }
  // A Bytes / Str field as a view into the input (no copy).
  absl::StatusOr<std::string_view> BytesView();
  // The remaining bytes (for a trailing Raw field).
  std::string_view Rest();

  bool AtEnd() const { return in_.empty(); }
  // DataLoss if bytes remain.
  absl::Status Finish() const;

 private:
  absl::StatusOr<std::string_view> Take(size_t n);
  // DataLoss: a field of `n` bytes past the end; a bool byte above 1.
  absl::Status Truncated(size_t n) const;
  static absl::Status InvalidBool(uint8_t b);
  // The big-endian value at `p` (sizeof(T) bytes; the host is
  // little-endian, checked in codec.cc).
  template <typename T>
  static T Load(const char* p) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8);
    T v;
    std::memcpy(&v, p, sizeof(T));
    if constexpr (sizeof(T) == 4) {
      return __builtin_bswap32(v);
    } else {
      return __builtin_bswap64(v);
    }
  }
  static u128 Load128(const char* p) {
    return (static_cast<u128>(Load<uint64_t>(p)) << 64) | Load<uint64_t>(p + 8);
  }
  std::string_view in_;
};

// The smallest key greater than every key that starts with `prefix`
// ("" when no such key exists, i.e. prefix is all 0xff: scan to the end).
std::string PrefixEnd(std::string_view prefix);

}  // namespace mesh

#endif  // MESHSEC_CORE_CODEC_H_
