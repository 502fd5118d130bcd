// Benchmark baseline only: the former hand-written SHA-256 of the engine
// (see bench/sha256_reference.cc). Not part of any library.
#ifndef MESHSEC_BENCH_SHA256_REFERENCE_H_
#define MESHSEC_BENCH_SHA256_REFERENCE_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace mesh::bench {

std::array<uint8_t, 32> Sha256Reference(std::string_view data);

}  // namespace mesh::bench

#endif  // MESHSEC_BENCH_SHA256_REFERENCE_H_
