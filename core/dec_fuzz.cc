// libFuzzer target for Dec's string form and rounding invariants.
//
// Input: arbitrary bytes. The whole input is parsed with Dec::Parse; when it
// parses, ToString must be canonical and parse back to the same value. The
// input is also split at its first '|' into two operands; when both parse,
// the three multiplications must be ordered as their roundings promise.
//
// Build: cmake -DCMAKE_CXX_COMPILER=clang++ -DMESH_FUZZ=ON ...; ninja dec_fuzz
// Run:   build/core/dec_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/dec.h"

namespace {

void Require(bool cond, const char* what, std::string_view input) {
  if (cond) return;
  std::fprintf(stderr, "dec_fuzz: %s for input \"%.*s\"\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

void CheckRoundTrip(std::string_view s) {
  const absl::StatusOr<mesh::Dec> d = mesh::Dec::Parse(s);
  if (!d.ok()) {
    Require(d.status().code() == absl::StatusCode::kInvalidArgument ||
                d.status().code() == absl::StatusCode::kOutOfRange,
            "unexpected error code", s);
    return;
  }
  const std::string printed = d->ToString();
  const absl::StatusOr<mesh::Dec> back = mesh::Dec::Parse(printed);
  Require(back.ok() && *back == *d, "Parse(ToString(x)) != x", s);
  Require(back->ToString() == printed, "ToString not canonical", s);
}

// floor <= nearest <= ceiling, and truncation never grows the magnitude.
void CheckMulOrdering(std::string_view s) {
  const size_t bar = s.find('|');
  if (bar == std::string_view::npos) return;
  const auto a = mesh::Dec::Parse(s.substr(0, bar));
  const auto b = mesh::Dec::Parse(s.substr(bar + 1));
  if (!a.ok() || !b.ok()) return;
  const auto nearest = a->Mul(*b);
  const auto trunc = a->MulTruncate(*b);
  const auto ceil = a->MulRoundUp(*b);
  if (!nearest.ok() || !trunc.ok() || !ceil.ok()) return;
  Require(*nearest <= *ceil, "Mul > MulRoundUp", s);
  const auto mag = [](mesh::Dec x) {
    const auto r = static_cast<mesh::u128>(x.raw());
    return x.IsNegative() ? mesh::u128{0} - r : r;
  };
  Require(mag(*trunc) <= mag(*nearest), "|MulTruncate| > |Mul|", s);
  const auto q = a->QuoTruncate(*b);
  const auto qup = a->QuoRoundUp(*b);
  // Truncation and ceiling agree for negative quotients; ceiling is never
  // below truncation.
  if (q.ok() && qup.ok()) Require(*q <= *qup, "QuoTruncate > QuoRoundUp", s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  CheckRoundTrip(s);
  CheckMulOrdering(s);
  return 0;
}
