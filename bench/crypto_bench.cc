// Signature cost: verifying one tx signature against hashing its sign bytes
// (BM_Sha256SignBytes, the baseline of this group).
// Hash cost: the engine's SHA-256 (OpenSSL) against the former hand-written
// one kept in bench/sha256_reference.cc (BM_Sha256Reference, the baseline of
// that pair), on 64 B and 1 KiB inputs.
#include <string>

#include "bench/sha256_reference.h"
#include "benchmark/benchmark.h"
#include "core/crypto.h"
#include "node/staking_msgs.h"
#include "node/tx.h"

namespace mesh::node {
namespace {

SignedTx SampleTx() {
  const PrivateKey key = PrivateKey::FromSeed("bench");
  TxSpec tx;
  tx.chain_id = "bench-1";
  tx.account_number = 7;
  tx.sequence = 42;
  tx.msgs.push_back(DelegateMsg(AccountAddress(AccountAddressOf("mesh", key.PublicKey())),
                                ValidatorAddress("meshvaloper1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"),
                                Denom("stake"), Amount(1000000)));
  return SignTx(key, tx);
}

std::string HashInput(benchmark::State& state) {
  return std::string(static_cast<size_t>(state.range(0)), '\x5a');
}

void BM_Sha256Reference(benchmark::State& state) {
  std::string in = HashInput(state);
  for (auto _ : state) benchmark::DoNotOptimize(bench::Sha256Reference(in));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256Reference)->Arg(64)->Arg(1024);

void BM_Sha256OpenSsl(benchmark::State& state) {
  std::string in = HashInput(state);
  if (Sha256(in) != bench::Sha256Reference(in)) state.SkipWithError("digests differ");
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(in));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256OpenSsl)->Arg(64)->Arg(1024);

void BM_Ripemd160(benchmark::State& state) {
  std::string in = HashInput(state);
  for (auto _ : state) benchmark::DoNotOptimize(Ripemd160(in));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Ripemd160)->Arg(64)->Arg(1024);

void BM_Sha256SignBytes(benchmark::State& state) {
  std::string bytes = SampleTx().SignBytes("bench-1", 7);
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(bytes));
}
BENCHMARK(BM_Sha256SignBytes);

void BM_SignTx(benchmark::State& state) {
  PrivateKey key = PrivateKey::FromSeed("bench");
  std::string bytes = SampleTx().SignBytes("bench-1", 7);
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(bytes));
}
BENCHMARK(BM_SignTx);

void BM_VerifySignature(benchmark::State& state) {
  SignedTx stx = SampleTx();
  std::string bytes = stx.SignBytes("bench-1", 7);
  for (auto _ : state) {
    absl::Status s = VerifySignature(stx.pubkey, bytes, stx.signature);
    if (!s.ok()) state.SkipWithError("signature does not verify");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_VerifySignature);

// Wire decoding of a signed tx (what the node does before verifying).
void BM_SignedTxDecode(benchmark::State& state) {
  std::string wire = SampleTx().Encode();
  for (auto _ : state) benchmark::DoNotOptimize(SignedTx::Decode(wire));
}
BENCHMARK(BM_SignedTxDecode);

}  // namespace
}  // namespace mesh::node
