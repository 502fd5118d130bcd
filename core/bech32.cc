// Bech32 (BIP-173) and the 5<->8 bit regrouping used by Cosmos addresses.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/status.h"

namespace mesh {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr size_t kChecksumLength = 6;
constexpr size_t kMaxHrpLength = 83;
// BIP-173 checksum constant (BIP-350 bech32m would use 0x2bc830a3).
constexpr uint32_t kBech32Const = 1;

// Charset index of each ASCII character (-1 outside the charset); built once
// at compile time from kCharset.
constexpr std::array<int8_t, 128> kCharsetIndex = [] {
  std::array<int8_t, 128> t{};
  for (int8_t& v : t) v = -1;
  for (int i = 0; i < 32; ++i) t[static_cast<unsigned char>(kCharset[i])] = static_cast<int8_t>(i);
  return t;
}();

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Value of a charset character, or -1. Expects a lower-case character.
int CharsetIndex(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 128 ? kCharsetIndex[u] : -1;
}

// BIP-173 checksum polynomial, fed one 5-bit value at a time. The generator
// terms of the 5 bits shifted out are XORed together in advance: one table
// lookup per value instead of five conditional XORs.
constexpr std::array<uint32_t, 32> kGenTable = [] {
  constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  std::array<uint32_t, 32> t{};
  for (uint32_t top = 0; top < 32; ++top) {
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) t[top] ^= kGen[i];
    }
  }
  return t;
}();

class PolyModState {
 public:
  void Feed(uint8_t v) {
    const uint32_t top = chk_ >> 25;
    chk_ = (((chk_ & 0x1ffffff) << 5) ^ v) ^ kGenTable[top];
  }
  uint32_t value() const { return chk_; }

 private:
  uint32_t chk_ = 1;
};

// PolyMod of the checksum input (hrp high bits, a zero, hrp low bits, then
// the data values, then `zeros` zero values), without building it.
uint32_t ChecksumPolyMod(std::string_view hrp, const std::vector<uint8_t>& values,
                         size_t zeros) {
  PolyModState p;
  for (char c : hrp) p.Feed(static_cast<uint8_t>(static_cast<uint8_t>(c) >> 5));
  p.Feed(0);
  for (char c : hrp) p.Feed(static_cast<uint8_t>(static_cast<uint8_t>(c) & 31));
  for (uint8_t v : values) p.Feed(v);
  for (size_t i = 0; i < zeros; ++i) p.Feed(0);
  return p.value();
}

absl::Status CheckHrp(std::string_view hrp) {
  if (hrp.empty() || hrp.size() > kMaxHrpLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("bech32: human-readable part must have 1..83 characters, got ", hrp.size()));
  }
  for (char c : hrp) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) {
      return absl::InvalidArgumentError(
          absl::StrCat("bech32: invalid human-readable part character 0x", absl::Hex(u)));
    }
  }
  return absl::OkStatus();
}

std::vector<uint8_t> BytesOf(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// ConvertBits over values [first, last), each output value handed to `push`
// (a vector or a string, without a copy of the result).
template <typename Push>
absl::Status Regroup(const uint8_t* first, const uint8_t* last, int from_bits, int to_bits,
                     bool pad, Push push) {
  MESH_CHECK(from_bits >= 1 && from_bits <= 8 && to_bits >= 1 && to_bits <= 8);
  const uint32_t max_out = (1u << to_bits) - 1;
  uint32_t acc = 0;
  int bits = 0;
  for (const uint8_t* p = first; p != last; ++p) {
    const uint8_t v = *p;
    if ((v >> from_bits) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("convert bits: value ", v, " does not fit in ", from_bits, " bits"));
    }
    acc = ((acc << from_bits) | v) & 0xffff;  // only the low <16 bits matter
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      push(static_cast<uint8_t>((acc >> bits) & max_out));
    }
  }
  if (pad) {
    if (bits > 0) push(static_cast<uint8_t>((acc << (to_bits - bits)) & max_out));
  } else if (bits >= from_bits) {
    return absl::InvalidArgumentError("convert bits: excess padding");
  } else if (((acc << (to_bits - bits)) & max_out) != 0) {
    return absl::InvalidArgumentError("convert bits: non-zero padding");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ConvertBits(const std::vector<uint8_t>& in, int from_bits,
                                                 int to_bits, bool pad) {
  std::vector<uint8_t> out;
  out.reserve(in.size() * static_cast<size_t>(from_bits) / static_cast<size_t>(to_bits) + 1);
  MESH_RETURN_IF_ERROR(Regroup(in.data(), in.data() + in.size(), from_bits, to_bits, pad,
                               [&out](uint8_t v) { out.push_back(v); }));
  return out;
}

absl::StatusOr<std::string> Bech32EncodeValues(std::string_view hrp,
                                               const std::vector<uint8_t>& values5) {
  MESH_RETURN_IF_ERROR(CheckHrp(hrp));
  for (char c : hrp) {
    if (c >= 'A' && c <= 'Z') {
      return absl::InvalidArgumentError("bech32: human-readable part must be lower case");
    }
  }
  const size_t length = hrp.size() + 1 + values5.size() + kChecksumLength;
  if (length > kBech32MaxLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("bech32: encoding would be ", length, " characters, limit is 90"));
  }
  for (uint8_t v : values5) {
    if (v >= 32) return absl::InvalidArgumentError("bech32: value does not fit in 5 bits");
  }
  const uint32_t mod = ChecksumPolyMod(hrp, values5, kChecksumLength) ^ kBech32Const;
  std::string out(hrp);
  out.push_back('1');
  for (uint8_t v : values5) out.push_back(kCharset[v]);
  for (size_t i = 0; i < kChecksumLength; ++i) {
    out.push_back(kCharset[(mod >> (5 * (kChecksumLength - 1 - i))) & 31]);
  }
  return out;
}

absl::Status Bech32DecodeRaw(std::string_view s, Bech32Raw* out) {
  if (s.size() > kBech32MaxLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("bech32: string has ", s.size(), " characters, limit is 90"));
  }
  // The checks of LowerCaseChecked, without the lower-cased copy.
  bool lower = false;
  bool upper = false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) {
      return absl::InvalidArgumentError(
          absl::StrCat("bech32: invalid character 0x", absl::Hex(u)));
    }
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) return absl::InvalidArgumentError("bech32: mixed-case string");
  const size_t sep = s.rfind('1');
  if (sep == std::string_view::npos) {
    return absl::InvalidArgumentError("bech32: missing separator '1'");
  }
  const std::string_view hrp = s.substr(0, sep);
  MESH_RETURN_IF_ERROR(CheckHrp(hrp));
  const std::string_view rest = s.substr(sep + 1);
  if (rest.size() < kChecksumLength) return absl::InvalidArgumentError("bech32: checksum too short");
  PolyModState p;
  for (char c : hrp) p.Feed(static_cast<uint8_t>(static_cast<uint8_t>(Lower(c)) >> 5));
  p.Feed(0);
  for (char c : hrp) p.Feed(static_cast<uint8_t>(static_cast<uint8_t>(Lower(c)) & 31));
  size_t n = 0;
  for (char c : rest) {
    const int v = CharsetIndex(Lower(c));
    if (v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("bech32: invalid data character '", std::string(1, Lower(c)), "'"));
    }
    p.Feed(static_cast<uint8_t>(v));
    out->values[n++] = static_cast<uint8_t>(v);
  }
  if (p.value() != kBech32Const) return absl::InvalidArgumentError("bech32: invalid checksum");
  out->hrp = hrp;
  out->count = n - kChecksumLength;
  return absl::OkStatus();
}

absl::Status Bech32Raw::AppendBytes(std::string* out) const {
  out->reserve(out->size() + count * 5 / 8);
  return Regroup(values.data(), values.data() + count, 5, 8, /*pad=*/false,
                 [out](uint8_t v) { out->push_back(static_cast<char>(v)); });
}

std::string Bech32Raw::LowerHrp() const {
  std::string out(hrp);
  for (char& c : out) c = Lower(c);
  return out;
}

absl::StatusOr<Bech32DecodedValues> Bech32DecodeValues(std::string_view s) {
  Bech32Raw raw;
  MESH_RETURN_IF_ERROR(Bech32DecodeRaw(s, &raw));
  return Bech32DecodedValues{raw.LowerHrp(),
                             std::vector<uint8_t>(raw.values.begin(),
                                                  raw.values.begin() + raw.count)};
}

absl::StatusOr<std::string> Bech32Encode(std::string_view hrp, std::string_view data) {
  MESH_ASSIGN_OR_RETURN(const std::vector<uint8_t> values, ConvertBits(BytesOf(data), 8, 5, true));
  return Bech32EncodeValues(hrp, values);
}

absl::StatusOr<Bech32Decoded> Bech32Decode(std::string_view s) {
  Bech32Raw raw;
  MESH_RETURN_IF_ERROR(Bech32DecodeRaw(s, &raw));
  Bech32Decoded out{raw.LowerHrp(), {}};
  MESH_RETURN_IF_ERROR(raw.AppendBytes(&out.data));
  return out;
}

std::string AddressOrderKey(std::string_view address) {
  Bech32Raw raw;
  std::string bytes;
  if (!Bech32DecodeRaw(address, &raw).ok() || !raw.AppendBytes(&bytes).ok() || bytes.empty() ||
      bytes.size() > 255) {
    return std::string(address);
  }
  bytes.insert(bytes.begin(), static_cast<char>(bytes.size()));
  return bytes;
}

}  // namespace mesh
