// Deterministic mutations of valid inputs, for the robustness tests that
// feed an entry point bytes it should refuse cleanly (mutated packets, tx
// bytes, C ABI requests). Header-only; tests only.
//
//   testing_internal::Mutator m(seed);
//   std::string bad = m.Mutate(valid, kJsonTokens);
//
// The sequence is a pure function of the seed (splitmix64), so a failure
// reproduces from the seed and the iteration.
#ifndef MESHSEC_CORE_TEST_MUTATOR_H_
#define MESHSEC_CORE_TEST_MUTATOR_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mesh::testing_internal {

// JSON pieces and boundary numbers worth putting into a JSON request.
inline constexpr const char* kJsonTokens[] = {
    "\"", "\\", "{", "}", "[", "]", ",", ":", "null", "true", "-1", "0", "1e3", "1.5", "\"\"",
    "\"\\u0000\"", "\"\\ud800\"", "[[[[", "{\"a\":1}", "18446744073709551615",
    "18446744073709551616", "9223372036854775808", "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456"};
// The boundary numbers among them (the last five).
inline constexpr std::span<const char* const> kBoundaryNumbers =
    std::span<const char* const>(kJsonTokens).last(5);

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : state_(seed) {}

  uint64_t Next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

  // One edit at a random place: a bit flipped, 1-8 bytes cut, up to 16
  // bytes of the input doubled, a byte overwritten or put in, one of
  // `tokens` put in (when given), the rest cut off.
  void Edit(std::string& s, std::span<const char* const> tokens = {}) {
    const size_t at = Below(s.size() + 1);
    switch (Below(tokens.empty() ? 6 : 7)) {
      case 0:
        if (!s.empty()) s[Below(s.size())] ^= static_cast<char>(1 << Below(8));
        break;
      case 1:
        s.erase(at, 1 + Below(8));
        break;
      case 2:
        s.insert(at, s.substr(Below(s.size() + 1), 1 + Below(16)));
        break;
      case 3:
        if (!s.empty()) s[Below(s.size())] = static_cast<char>(Next());
        break;
      case 4:
        s.insert(at, 1, static_cast<char>(Next()));
        break;
      case 5:
        s.resize(at);
        break;
      default:
        s.insert(at, tokens[Below(tokens.size())]);
    }
  }

  // One to three edits.
  std::string Mutate(std::string s, std::span<const char* const> tokens = {}) {
    for (size_t n = 1 + Below(3); n > 0; --n) Edit(s, tokens);
    return s;
  }

  // One to three edits of a JSON text: each replaces a number (one time in
  // `number_one_in`, ReplaceNumber) or is an Edit with kJsonTokens.
  std::string MutateJson(std::string s, size_t number_one_in) {
    for (size_t n = 1 + Below(3); n > 0; --n) {
      if (Below(number_one_in) == 0) {
        ReplaceNumber(s);
      } else {
        Edit(s, kJsonTokens);
      }
    }
    return s;
  }

  // The first run of decimal digits at or after a random place replaced by
  // one of kBoundaryNumbers (appended when there is none): a JSON number
  // stays a number.
  void ReplaceNumber(std::string& s) {
    size_t b = Below(s.size() + 1);
    while (b < s.size() && (s[b] < '0' || s[b] > '9')) ++b;
    size_t e = b;
    while (e < s.size() && s[e] >= '0' && s[e] <= '9') ++e;
    s.replace(b, e - b, kBoundaryNumbers[Below(kBoundaryNumbers.size())]);
  }

 private:
  uint64_t state_;
};

}  // namespace mesh::testing_internal

#endif  // MESHSEC_CORE_TEST_MUTATOR_H_
