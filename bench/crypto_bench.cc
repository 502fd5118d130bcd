// Signature cost: verifying one tx signature against hashing its sign bytes
// (BM_Sha256SignBytes, the baseline of this group).
#include <string>

#include "benchmark/benchmark.h"
#include "core/crypto.h"
#include "node/tx.h"

namespace mesh::node {
namespace {

SignedTx SampleTx() {
  Tx tx;
  tx.chain_id = "bench-1";
  tx.nonce = 42;
  tx.msgs.push_back(Msg{"staking/delegate",
                        R"({"validator":"meshvaloper1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",)"
                        R"("amount":"1000000"})"});
  return SignTx(PrivateKey::FromSeed("bench"), std::move(tx));
}

void BM_Sha256SignBytes(benchmark::State& state) {
  std::string bytes = SampleTx().tx.SignBytes();
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(bytes));
}
BENCHMARK(BM_Sha256SignBytes);

void BM_SignTx(benchmark::State& state) {
  PrivateKey key = PrivateKey::FromSeed("bench");
  std::string bytes = SampleTx().tx.SignBytes();
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(bytes));
}
BENCHMARK(BM_SignTx);

void BM_VerifySignature(benchmark::State& state) {
  SignedTx stx = SampleTx();
  std::string bytes = stx.tx.SignBytes();
  for (auto _ : state) {
    absl::Status s = VerifySignature(stx.tx.pubkey, bytes, stx.signature);
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
