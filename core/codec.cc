#include "core/codec.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace mesh {
namespace {

constexpr uint64_t kI64SignFlip = uint64_t{1} << 63;
constexpr u128 kI128SignFlip = u128{1} << 127;

// Big-endian (most significant byte first) words: a byte swap and one
// copy, not a loop of shifts (a 128-bit shift per byte showed in slash
// profiles). The host is little-endian (checked below); u128 is two u64s.
static_assert(std::endian::native == std::endian::little, "codec assumes a little-endian host");

inline uint32_t SwapBytes(uint32_t v) { return __builtin_bswap32(v); }
inline uint64_t SwapBytes(uint64_t v) { return __builtin_bswap64(v); }

// Appends the sizeof(T) bytes of `v`, most significant first: built on the
// stack and appended once (one capacity check, not one per byte).
template <typename T>
void PutBigEndian(std::string& out, T v) {
  char b[sizeof(T)];
  if constexpr (sizeof(T) == 16) {
    const uint64_t hi = SwapBytes(static_cast<uint64_t>(v >> 64));
    const uint64_t lo = SwapBytes(static_cast<uint64_t>(v));
    std::memcpy(b, &hi, 8);
    std::memcpy(b + 8, &lo, 8);
  } else {
    const T swapped = SwapBytes(v);
    std::memcpy(b, &swapped, sizeof(T));
  }
  out.append(b, sizeof(T));
}

}  // namespace

Encoder& Encoder::U8(uint8_t v) {
  out_.push_back(static_cast<char>(v));
  return *this;
}

Encoder& Encoder::U32(uint32_t v) {
  PutBigEndian(out_, v);
  return *this;
}

Encoder& Encoder::U64(uint64_t v) {
  PutBigEndian(out_, v);
  return *this;
}

Encoder& Encoder::I64(int64_t v) { return U64(static_cast<uint64_t>(v) ^ kI64SignFlip); }

Encoder& Encoder::Bool(bool v) { return U8(v ? 1 : 0); }

Encoder& Encoder::Amt(Amount v) {
  PutBigEndian(out_, v.raw());
  return *this;
}

Encoder& Encoder::Decimal(Dec v) {
  PutBigEndian(out_, static_cast<u128>(v.raw()) ^ kI128SignFlip);
  return *this;
}

Encoder& Encoder::Big(const U256& v) {
  PutBigEndian(out_, v.hi());
  PutBigEndian(out_, v.lo());
  return *this;
}

Encoder& Encoder::Bytes(std::string_view v) {
  // Lengths above u32 cannot be encoded; no store key or value comes close,
  // so this is a programming error rather than an input error.
  MESH_CHECK(v.size() <= 0xffffffffu);
  U32(static_cast<uint32_t>(v.size()));
  out_.append(v);
  return *this;
}

Encoder& Encoder::Raw(std::string_view v) {
  out_.append(v);
  return *this;
}

absl::Status Decoder::Truncated(size_t n) const {
  return absl::DataLossError(
      absl::StrCat("codec: truncated input: need ", n, " bytes, have ", in_.size()));
}

absl::Status Decoder::InvalidBool(uint8_t b) {
  return absl::DataLossError(absl::StrCat("codec: invalid bool byte ", static_cast<int>(b)));
}

absl::StatusOr<std::string_view> Decoder::Take(size_t n) {
  if (in_.size() < n) return Truncated(n);
  std::string_view head = in_.substr(0, n);
  in_.remove_prefix(n);
  return head;
}

absl::StatusOr<int64_t> Decoder::I64() {
  MESH_ASSIGN_OR_RETURN(uint64_t u, U64());
  return static_cast<int64_t>(u ^ kI64SignFlip);
}

absl::StatusOr<Dec> Decoder::Decimal() {
  MESH_ASSIGN_OR_RETURN(std::string_view b, Take(16));
  return Dec::FromRaw(static_cast<i128>(Load128(b.data()) ^ kI128SignFlip));
}

absl::StatusOr<std::string> Decoder::Bytes() {
  MESH_ASSIGN_OR_RETURN(std::string_view b, BytesView());
  return std::string(b);
}

absl::StatusOr<std::string_view> Decoder::BytesView() {
  MESH_ASSIGN_OR_RETURN(uint32_t n, U32());
  return Take(n);
}

std::string_view Decoder::Rest() {
  std::string_view rest = in_;
  in_ = std::string_view();
  return rest;
}

absl::Status Decoder::Finish() const {
  if (in_.empty()) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("codec: ", in_.size(), " trailing bytes after the last field"));
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return end;
  end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

}  // namespace mesh
