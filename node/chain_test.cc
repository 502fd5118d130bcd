#include "node/chain.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "core/stepping_iterator.h"
#include "gtest/gtest.h"
#include "node/parallel_verify.h"
#include "node/signer_cache.h"
#include "node/state_cache.h"
#include "node/staking_msgs.h"
#include "cosmos/crypto/ed25519/keys.pb.h"
#include "cosmos/staking/v1beta1/tx.pb.h"
#include "node/tx.h"
#include "node/verify_ahead.h"
#include "staking/auth.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;

// A tiny test module: "test/put" writes body under a key, "test/fail" writes
// then fails (so the tx must leave no trace).
void RegisterTestModule(Chain& chain) {
  chain.RegisterMsg("test/put", [](const Context& ctx, const AccountAddress& signer,
                                   std::string_view body) {
    return ctx.store().Put(Encoder(0xF0).Str(signer.value()).Take(), body);
  });
  chain.RegisterMsg("test/fail", [](const Context& ctx, const AccountAddress&,
                                    std::string_view body) {
    absl::Status s = ctx.store().Put(Encoder(0xF0).Str("x").Take(), body);
    if (!s.ok()) return s;
    return absl::FailedPreconditionError("always fails");
  });
  chain.RegisterMsg("test/drop", [](const Context& ctx, const AccountAddress& signer,
                                    std::string_view) {
    return ctx.store().Delete(Encoder(0xF0).Str(signer.value()).Take());
  });
  // "test/open" creates the account of the address in body.
  chain.RegisterMsg("test/open", [](const Context& ctx, const AccountAddress&,
                                    std::string_view body) {
    return staking::Auth::Ensure(ctx, AccountAddress(std::string(body))).status();
  });
}

// The signers of these tests; a fresh chain's genesis creates their accounts
// in this order, so the account number of kSeeds[i] is i.
const std::vector<std::string>& Seeds() {
  static const std::vector<std::string> seeds = [] {
    std::vector<std::string> s = {"alice", "op-hex", "op-b64", "op-none", "op-bad", "op-desc"};
    for (int i = 0; i < 8; ++i) s.push_back("signer-" + std::to_string(i));
    return s;
  }();
  return seeds;
}

uint64_t AccountNumberOf(const PrivateKey& key) {
  for (size_t i = 0; i < Seeds().size(); ++i) {
    if (PrivateKey::FromSeed(Seeds()[i]).PublicKey() == key.PublicKey()) return i;
  }
  return 1000;  // no account: the tx is refused (unknown address)
}

std::unique_ptr<Chain> NewChain(std::unique_ptr<DurableStore> store) {
  ChainConfig config;
  config.chain_id = "test-1";
  auto chain = Chain::Open(std::move(store), config);
  EXPECT_TRUE(chain.ok()) << chain.status();
  RegisterTestModule(**chain);
  if ((*chain)->height() == 0 && (*chain)->app_hash() == Hash256{}) {
    Chain* c = chain->get();
    EXPECT_TRUE(c->InitGenesis(kT0, [c](const Context& ctx) -> absl::Status {
                   for (const std::string& seed : Seeds()) {
                     MESH_RETURN_IF_ERROR(
                         staking::Auth::Ensure(ctx, AccountAddress(c->AddressOf(
                                                        PrivateKey::FromSeed(seed).PublicKey())))
                             .status());
                   }
                   return absl::OkStatus();
                 }).ok());
  }
  return std::move(*chain);
}

SignedTx MakeMsgTx(const PrivateKey& key, uint64_t sequence, Msg msg,
                   std::string chain_id = "test-1") {
  TxSpec tx;
  tx.chain_id = std::move(chain_id);
  tx.account_number = AccountNumberOf(key);
  tx.sequence = sequence;
  tx.msgs.push_back(std::move(msg));
  return SignTx(key, tx);
}

SignedTx MakeTx(const PrivateKey& key, uint64_t sequence, std::string type, std::string body,
                std::string chain_id = "test-1") {
  return MakeMsgTx(key, sequence, Msg{std::move(type), std::move(body)}, std::move(chain_id));
}

uint64_t SequenceOf(const Chain& chain, const PrivateKey& key) {
  absl::StatusOr<staking::BaseAccount> acc =
      chain.GetAccount(AccountAddress(chain.AddressOf(key.PublicKey())));
  return acc.ok() ? acc->sequence : 0;
}

// `tx` with its body changed to `other`'s, keeping its signature.
SignedTx Tampered(const SignedTx& tx, const SignedTx& other) {
  return other.WithSignature(tx.signature);
}

std::optional<std::string> Read(const Chain& chain, const std::string& who) {
  auto v = chain.QueryContext().store().Get(Encoder(0xF0).Str(who).Take());
  EXPECT_TRUE(v.ok());
  return *v;
}

TEST(ChainTest, SignedTxAppliesAndBumpsNonce) {
  auto chain = NewChain(std::make_unique<MemStore>());
  PrivateKey alice = PrivateKey::FromSeed("alice");
  std::string addr = chain->AddressOf(alice.PublicKey());
  ASSERT_TRUE(chain->BeginBlock(kT0).ok());
  EXPECT_TRUE(chain->DeliverTx(MakeTx(alice, 0, "test/put", "v1")).ok());
  EXPECT_EQ(Read(*chain, addr), "v1");
  // Replay of the same sequence is refused (sdk code 32).
  TxResult replay = chain->DeliverTx(MakeTx(alice, 0, "test/put", "v2"));
  EXPECT_EQ(replay.code, kSdkWrongSequence);
  EXPECT_EQ(replay.codespace, "sdk");
  EXPECT_EQ(Read(*chain, addr), "v1");
  EXPECT_TRUE(chain->DeliverTx(MakeTx(alice, 1, "test/put", "v2")).ok());
  EXPECT_EQ(SequenceOf(*chain, alice), 2u);
}

TEST(ChainTest, RejectsWrongChainBadSignatureAndUnknownMessage) {
  auto chain = NewChain(std::make_unique<MemStore>());
  PrivateKey alice = PrivateKey::FromSeed("alice");
  ASSERT_TRUE(chain->BeginBlock(kT0).ok());
  // The chain id is in the SignDoc: another chain's tx fails the signature.
  EXPECT_EQ(chain->DeliverTx(MakeTx(alice, 0, "test/put", "x", "other-1")).code,
            kSdkUnauthorized);
  SignedTx tampered =
      Tampered(MakeTx(alice, 0, "test/put", "x"), MakeTx(alice, 0, "test/put", "y"));
  EXPECT_EQ(chain->DeliverTx(tampered).code, kSdkUnauthorized);
  EXPECT_EQ(chain->DeliverTx(MakeTx(alice, 0, "nope/nope", "x")).code, kSdkTxDecode);
  // None of them consumed the sequence.
  EXPECT_EQ(SequenceOf(*chain, alice), 0u);
}

TEST(ChainTest, FailedTxLeavesNoTrace) {
  auto chain = NewChain(std::make_unique<MemStore>());
  PrivateKey alice = PrivateKey::FromSeed("alice");
  ASSERT_TRUE(chain->BeginBlock(kT0).ok());
  TxResult r = chain->DeliverTx(MakeTx(alice, 0, "test/fail", "x"));
  EXPECT_EQ(r.code, static_cast<uint32_t>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(r.log, "always fails");
  EXPECT_EQ(Read(*chain, "x"), std::nullopt);
}

// MsgCreateValidator with and without a consensus pubkey Any (ed25519,
// base64); a malformed key is rejected and creates nothing.
TEST(ChainTest, CreateValidatorMessageTakesAnOptionalConsensusKey) {
  auto chain = NewChain(std::make_unique<MemStore>());
  InstallStakingModule(*chain);
  std::vector<PrivateKey> ops;
  for (const char* seed : {"op-hex", "op-b64", "op-none", "op-bad"}) {
    ops.push_back(PrivateKey::FromSeed(seed));
  }
  ASSERT_TRUE(chain
                  ->InitGenesis(kT0,
                                [&](const Context& ctx) -> absl::Status {
                                  for (const PrivateKey& k : ops) {
                                    MESH_RETURN_IF_ERROR(staking::Bank::Mint(
                                        ctx, AccountAddress(chain->AddressOf(k.PublicKey())),
                                        Denom("stake"), Amount(1000000)));
                                  }
                                  return absl::OkStatus();
                                })
                  .ok());
  const std::string k_hex = Ed25519PrivateKey::FromSeed("k-hex").PublicKey();
  const std::string k_b64 = Ed25519PrivateKey::FromSeed("k-b64").PublicKey();
  auto create = [&](const PrivateKey& op, std::optional<std::string> key) {
    const AccountAddress addr(chain->AddressOf(op.PublicKey()));
    ::cosmos::staking::v1beta1::MsgCreateValidator m;
    m.mutable_commission()->set_rate("100000000000000000");  // 0.1 in the SDK's wire form
    m.set_delegator_address(addr.value());
    m.set_validator_address(ValoperOfAccount(addr)->value());
    m.mutable_value()->set_denom("stake");
    m.mutable_value()->set_amount("1000000");
    if (key.has_value()) {
      ::cosmos::crypto::ed25519::PubKey pk;
      pk.set_key(*key);
      m.mutable_pubkey()->set_type_url("/cosmos.crypto.ed25519.PubKey");
      m.mutable_pubkey()->set_value(pk.SerializeAsString());
    }
    return chain->DeliverTx(MakeMsgTx(op, 0, PackMsg(m)));
  };
  ASSERT_TRUE(chain->BeginBlock(kT0 + kNanosPerSecond).ok());
  EXPECT_TRUE(create(ops[0], k_hex).ok());
  EXPECT_TRUE(create(ops[1], k_b64).ok());
  EXPECT_TRUE(create(ops[2], std::nullopt).ok());
  TxResult bad = create(ops[3], k_hex.substr(1));
  EXPECT_EQ(bad.code, static_cast<uint32_t>(absl::StatusCode::kInvalidArgument)) << bad.log;
  EXPECT_EQ(bad.codespace, "meshsec");
  auto cons_key = [&](const PrivateKey& op) -> std::optional<std::string> {
    std::optional<std::string> out;
    EXPECT_TRUE(chain
                    ->RunAtomic([&](const Context& ctx) -> absl::Status {
                      MESH_ASSIGN_OR_RETURN(
                          ValidatorAddress val,
                          ValoperOfAccount(AccountAddress(chain->AddressOf(op.PublicKey()))));
                      MESH_ASSIGN_OR_RETURN(auto v, staking::Staking::GetValidator(ctx, val));
                      if (v.has_value()) out = v->consensus_pubkey;
                      return absl::OkStatus();
                    })
                    .ok());
    return out;
  };
  EXPECT_EQ(cons_key(ops[0]), k_hex);
  EXPECT_EQ(cons_key(ops[1]), k_b64);
  const ValidatorAddress none_val =
      *ValoperOfAccount(AccountAddress(chain->AddressOf(ops[2].PublicKey())));
  EXPECT_EQ(cons_key(ops[2]), staking::DefaultConsensusPubkey(none_val));
  EXPECT_EQ(cons_key(ops[3]), std::nullopt);
}

// "staking/create_validator" takes an optional "description"; an
// "staking/edit_validator" may give the commission, description fields or
// both (strict: an unknown description key is refused and changes nothing).
TEST(ChainTest, ValidatorMessagesCarryADescription) {
  auto chain = NewChain(std::make_unique<MemStore>());
  InstallStakingModule(*chain);
  const PrivateKey op = PrivateKey::FromSeed("op-desc");
  ASSERT_TRUE(chain
                  ->InitGenesis(kT0,
                                [&](const Context& ctx) -> absl::Status {
                                  return staking::Bank::Mint(
                                      ctx, AccountAddress(chain->AddressOf(op.PublicKey())),
                                      Denom("stake"), Amount(1000000));
                                })
                  .ok());
  ASSERT_TRUE(chain->BeginBlock(kT0 + kNanosPerSecond).ok());
  const AccountAddress addr(chain->AddressOf(op.PublicKey()));
  const std::string valoper = ValoperOfAccount(addr)->value();
  // Messages in the protobuf JSON mapping; a failed message still consumes
  // the sequence (the SDK keeps the ante's writes).
  auto tx = [&](const std::string& json) {
    absl::StatusOr<Msg> m = MsgFromJson(json);
    EXPECT_TRUE(m.ok()) << m.status();
    return chain->DeliverTx(MakeMsgTx(op, SequenceOf(*chain, op), *m));
  };
  auto edit = [&](const std::string& fields) {
    return tx(R"({"@type":"/cosmos.staking.v1beta1.MsgEditValidator","validator_address":")" +
              valoper + "\"" + fields + "}");
  };
  EXPECT_TRUE(tx(R"({"@type":"/cosmos.staking.v1beta1.MsgCreateValidator",)"
                 R"("description":{"moniker":"opal"},"commission":{"rate":"0.1"},)"
                 R"("delegator_address":")" + addr.value() + R"(","validator_address":")" +
                 valoper + R"(","value":{"denom":"stake","amount":"1000000"}})")
                  .ok());
  auto val = [&]() {
    std::optional<staking::Validator> out;
    EXPECT_TRUE(chain
                    ->RunAtomic([&](const Context& ctx) -> absl::Status {
                      MESH_ASSIGN_OR_RETURN(
                          ValidatorAddress v,
                          ValoperOfAccount(AccountAddress(chain->AddressOf(op.PublicKey()))));
                      MESH_ASSIGN_OR_RETURN(out, staking::Staking::GetValidator(ctx, v));
                      return absl::OkStatus();
                    })
                    .ok());
    return *out;
  };
  EXPECT_EQ(val().description, (staking::Description{"opal", "", "", ""}));
  const std::string keep = R"("moniker":"[do-not-modify]","identity":"[do-not-modify]")";
  EXPECT_TRUE(
      edit(R"(,"description":{)" + keep + R"(,"website":"https://opal.example","details":"d"})")
          .ok());
  EXPECT_EQ(val().description, (staking::Description{"opal", "", "https://opal.example", "d"}));
  EXPECT_EQ(val().commission_rate, Dec::Parse("0.1").value());
  EXPECT_TRUE(edit(R"(,"commission_rate":"200000000000000000")").ok());
  EXPECT_EQ(val().commission_rate, Dec::Parse("0.2").value());
  EXPECT_EQ(val().description.moniker, "opal");
  // An unknown field is refused by the JSON builder.
  EXPECT_FALSE(MsgFromJson(R"({"@type":"/cosmos.staking.v1beta1.MsgEditValidator",)"
                           R"("description":{"name":"x"}})")
                   .ok());
  // Another validator's address: refused, changes nothing.
  TxResult other = tx(R"({"@type":"/cosmos.staking.v1beta1.MsgEditValidator",)"
                      R"("validator_address":"meshvaloper1xyz","commission_rate":"1"})");
  EXPECT_EQ(other.code, static_cast<uint32_t>(absl::StatusCode::kPermissionDenied)) << other.log;
  EXPECT_EQ(val().commission_rate, Dec::Parse("0.2").value());
}

TEST(ChainTest, SameBlocksSameAppHashOnMemoryAndRocksDb) {
  std::string dir = ::testing::TempDir() + "/chain_test_rocks";
  std::filesystem::remove_all(dir);
  auto rocks = RocksDbStore::Open(dir);
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  auto a = NewChain(std::make_unique<MemStore>());
  auto b = NewChain(std::move(*rocks));
  PrivateKey alice = PrivateKey::FromSeed("alice");
  for (Chain* c : {a.get(), b.get()}) {
    for (uint64_t h = 0; h < 3; ++h) {
      ASSERT_TRUE(c->BeginBlock(kT0 + h * kNanosPerSecond).ok());
      ASSERT_TRUE(c->DeliverTx(MakeTx(alice, h, "test/put", "v" + std::to_string(h))).ok());
      ASSERT_TRUE(c->EndBlock().ok());
      ASSERT_TRUE(c->Commit().ok());
    }
  }
  EXPECT_EQ(a->app_hash(), b->app_hash());
  EXPECT_EQ(b->height(), 3u);
  Hash256 hash = b->app_hash();
  b.reset();
  // Reopen: height, time and app hash survive; state is there.
  auto reopened = RocksDbStore::Open(dir);
  ASSERT_TRUE(reopened.ok());
  auto c = NewChain(std::move(*reopened));
  EXPECT_EQ(c->height(), 3u);
  EXPECT_EQ(c->app_hash(), hash);
  EXPECT_EQ(Read(*c, c->AddressOf(alice.PublicKey())), "v2");
  std::filesystem::remove_all(dir);
}

TEST(ChainTest, UncommittedBlockIsLostOnReopen) {
  std::string dir = ::testing::TempDir() + "/chain_test_crash";
  std::filesystem::remove_all(dir);
  PrivateKey alice = PrivateKey::FromSeed("alice");
  std::string addr;
  {
    auto chain = NewChain(std::move(*RocksDbStore::Open(dir)));
    addr = chain->AddressOf(alice.PublicKey());
    ASSERT_TRUE(chain->BeginBlock(kT0).ok());
    ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 0, "test/put", "committed")).ok());
    ASSERT_TRUE(chain->Commit().ok());
    ASSERT_TRUE(chain->BeginBlock(kT0 + 1).ok());
    ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 1, "test/put", "lost")).ok());
    // "crash": destroyed without Commit.
  }
  auto chain = NewChain(std::move(*RocksDbStore::Open(dir)));
  EXPECT_EQ(chain->height(), 1u);
  EXPECT_EQ(Read(*chain, addr), "committed");
  std::filesystem::remove_all(dir);
}

// The committed view shows the last committed block (meta and state) while
// the next block is open and after it commits, and cannot commit itself.
TEST(ChainTest, CommittedViewIsTheLastCommittedBlock) {
  std::string dir = ::testing::TempDir() + "/chain_test_view";
  std::filesystem::remove_all(dir);
  PrivateKey alice = PrivateKey::FromSeed("alice");
  auto chain = NewChain(std::move(*RocksDbStore::Open(dir)));
  std::string addr = chain->AddressOf(alice.PublicKey());
  ASSERT_TRUE(chain->BeginBlock(kT0).ok());
  ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 0, "test/put", "one")).ok());
  ASSERT_TRUE(chain->Commit().ok());
  ASSERT_TRUE(chain->BeginBlock(kT0 + 7).ok());
  ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 1, "test/put", "two")).ok());
  auto view = chain->CommittedView();
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ((*view)->height(), 1u);
  EXPECT_EQ((*view)->time_ns(), kT0);
  EXPECT_EQ((*view)->app_hash(), chain->app_hash());
  EXPECT_EQ(Read(**view, addr), "one");
  EXPECT_EQ((*view)->GetAccount(AccountAddress(addr))->sequence, 1u);
  ASSERT_TRUE(chain->Commit().ok());
  EXPECT_EQ(Read(**view, addr), "one");  // pinned
  EXPECT_EQ((*view)->height(), 1u);
  ASSERT_TRUE((*view)->BeginBlock(kT0 + 8).ok());
  EXPECT_FALSE((*view)->Commit().ok());  // read-only store
  auto next = chain->CommittedView();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->height(), 2u);
  EXPECT_EQ(Read(**next, addr), "two");
  view->reset();
  next->reset();
  chain.reset();
  std::filesystem::remove_all(dir);
}

TEST(ChainTest, BlockTimeCannotGoBackwards) {
  auto chain = NewChain(std::make_unique<MemStore>());
  ASSERT_TRUE(chain->BeginBlock(kT0).ok());
  ASSERT_TRUE(chain->Commit().ok());
  EXPECT_FALSE(chain->BeginBlock(kT0 - 1).ok());
  EXPECT_FALSE(chain->Commit().ok());  // no block open
}

// ---- parallel pre-verification (node/parallel_verify.h)

TEST(WorkerPoolTest, RunsEveryIndexExactlyOnceOverManyRounds) {
  for (unsigned threads : {1u, 2u, 5u}) {
    WorkerPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{1000}}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](size_t i) { hits[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << threads << " " << i;
    }
  }
}

TEST(WorkerPoolTest, OrderedConsumesInOrderEachAfterItsItem) {
  for (unsigned threads : {1u, 2u, 4u}) {
    WorkerPool pool(threads);
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{500}}) {
      std::vector<std::atomic<int>> computed(n);
      std::vector<size_t> order;
      bool ready_when_consumed = true;
      pool.ParallelForOrdered(
          n, [&](size_t i) { computed[i].fetch_add(1); },
          [&](size_t i) {
            ready_when_consumed = ready_when_consumed && computed[i].load() == 1;
            order.push_back(i);
          });
      ASSERT_EQ(order.size(), n);
      for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(order[i], i);
        EXPECT_EQ(computed[i].load(), 1);
      }
      EXPECT_TRUE(ready_when_consumed);
    }
  }
}

TEST(WorkerPoolTest, OrderedCallerComputesOnlyTheLastItems) {
  // The workers take items from the front and the caller, while it waits,
  // from the back: whatever the scheduling, the caller's items are a suffix
  // of the range, so its own work never delays the items consumed next.
  WorkerPool pool(2);
  for (int round = 0; round < 20; ++round) {
    const size_t n = 200;
    const std::thread::id caller = std::this_thread::get_id();
    std::vector<uint8_t> by_caller(n, 0);
    std::vector<int> order;
    pool.ParallelForOrdered(
        n,
        [&](size_t i) {
          by_caller[i] = std::this_thread::get_id() == caller;
          // A little work, so that the caller finds items in progress.
          volatile uint64_t x = 0;
          for (int k = 0; k < 2000; ++k) x = x + k;
        },
        [&](size_t i) { order.push_back(static_cast<int>(i)); });
    ASSERT_EQ(order.size(), n);
    size_t first_by_caller = n;
    for (size_t i = 0; i < n; ++i) {
      if (by_caller[i] != 0) {
        first_by_caller = i;
        break;
      }
    }
    for (size_t i = first_by_caller; i < n; ++i) {
      EXPECT_EQ(by_caller[i], 1) << "round " << round << " item " << i;
    }
  }
}

TEST(WorkerPoolTest, ConcurrentCallersAreSerialised) {
  WorkerPool pool(3);
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        pool.ParallelFor(50, [&](size_t) { total.fetch_add(1); });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(total.load(), 4 * 20 * 50);
}

TEST(ParallelVerifyTest, VerdictIsTheInlineCheck) {
  PrivateKey alice = PrivateKey::FromSeed("alice");
  SignedTx good = MakeTx(alice, 0, "test/put", "x");
  const VerifyParams params{"test-1", "mesh"};
  TxVerdict v = VerifyTx(good, params, 0);  // alice's account number
  EXPECT_TRUE(v.checked);
  EXPECT_TRUE(v.signature.ok());
  EXPECT_EQ(v.signer, AccountAddressOf("mesh", alice.PublicKey()));
  SignedTx forged = Tampered(good, MakeTx(alice, 0, "test/put", "y"));
  TxVerdict f = VerifyTx(forged, params, 0);
  EXPECT_EQ(f.signature, VerifySignature(forged.pubkey, forged.SignBytes("test-1", 0),
                                         forged.signature));
  EXPECT_EQ(f.signature.code(), absl::StatusCode::kPermissionDenied);
  // Another account number: another SignDoc.
  EXPECT_FALSE(VerifyTx(good, params, 1).signature.ok());
  // Unknown account number: only the signer is derived.
  TxVerdict unknown = VerifyTx(good, params, std::nullopt);
  EXPECT_FALSE(unknown.checked);
  EXPECT_EQ(unknown.signer, v.signer);
}

// A MemStore that refuses concurrent reads (like a host's callbacks).
class SerialReadStore : public MemStore {
 public:
  bool ConcurrentReads() const override { return false; }
};

// A block of 40 txs from 8 signers, with a forged signature in the middle,
// a malformed public key, a tx for another chain, a replayed nonce and an
// unknown message: delivered one by one with inline verification on one
// chain and with DeliverTxs (signatures on 4 threads first) on another, the
// results (codes and logs), the state and the app hash are identical; the
// forged tx fails exactly as before and the txs after it apply. With
// `concurrent_reads` the parallel chain's store allows reads from several
// threads, so the signers' account numbers are read on the verification
// threads from the committed state; without, serially before them.
// With `ahead` the parallel chain verifies the block first with
// VerifyAhead (node/verify_ahead.h), and DeliverTxs takes those verdicts: the
// results are the same, and every tx with a verdict to keep (a known
// signer, a signature that verifies) was not verified again.
void ExpectPreVerifiedBlockMatchesSequentialDelivery(bool concurrent_reads, bool ahead = false) {
  std::vector<PrivateKey> keys;
  for (int i = 0; i < 8; ++i) keys.push_back(PrivateKey::FromSeed("signer-" + std::to_string(i)));
  std::vector<uint64_t> nonce(keys.size(), 0);
  std::vector<SignedTx> txs;
  for (int i = 0; i < 40; ++i) {
    const size_t k = i % keys.size();
    txs.push_back(MakeTx(keys[k], nonce[k]++, "test/put", "v" + std::to_string(i)));
  }
  const size_t forged = 17;
  // Signature no longer matches (the ante fails: the signer's sequence is
  // not consumed, so its next txs carry a sequence one too high).
  txs[forged] = Tampered(txs[forged], MakeTx(keys[1], 2, "test/put", "forged"));
  txs[3].pubkey[0] = 0x05;  // malformed key: fails the signature check
  txs[5] = MakeTx(keys[5], 0, "test/put", "other chain", "other-1");
  txs[30] = MakeTx(keys[6], 0, "test/put", "replay");  // sequence 0 already used
  txs[33] = MakeTx(keys[1], 4, "nope/nope", "x");
  // An account created inside the block (tx 10) signs tx 11: its account
  // number was unknown when the verdicts were computed, so it is verified
  // at apply time.
  const PrivateKey newcomer = PrivateKey::FromSeed("newcomer");
  const std::string newcomer_addr = AccountAddressOf("mesh", newcomer.PublicKey());
  txs[10] = MakeTx(keys[2], 1, "test/open", newcomer_addr);
  {
    TxSpec spec;
    spec.chain_id = "test-1";
    spec.account_number = Seeds().size();  // the next account number
    spec.msgs.push_back(Msg{"test/put", "newcomer"});
    txs[11] = SignTx(newcomer, spec);
  }

  auto seq = NewChain(std::make_unique<MemStore>());
  auto par = NewChain(concurrent_reads ? std::make_unique<MemStore>()
                                       : std::make_unique<SerialReadStore>());
  ASSERT_EQ(par->DeliverTxs(std::vector<SignedTx>{}).size(), 0u);
  ASSERT_TRUE(seq->BeginBlock(kT0).ok());
  ASSERT_TRUE(par->BeginBlock(kT0).ok());
  std::vector<TxResult> expected;
  for (const SignedTx& tx : txs) expected.push_back(seq->DeliverTx(tx));
  WorkerPool pool(4);
  if (ahead) {
    par->VerifyAhead(std::make_shared<const std::vector<SignedTx>>(txs));
    par->AwaitVerifiedAhead();
    EXPECT_EQ(par->verified_ahead(), txs.size());
    // Not kept: the forged tx, the malformed key, the other chain's tx
    // (their signatures fail) and the newcomer's (no account yet).
    EXPECT_EQ(par->verdicts().size(), txs.size() - 4);
  }
  std::vector<TxResult> got = par->DeliverTxs(txs, &pool);
  EXPECT_EQ(par->verdicts().hits(), ahead ? txs.size() - 4 : 0);
  EXPECT_EQ(par->verdicts().size(), 0u);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < txs.size(); ++i) {
    EXPECT_EQ(got[i].code, expected[i].code) << i;
    EXPECT_EQ(got[i].log, expected[i].log) << i;
  }
  EXPECT_EQ(got[forged].code, kSdkUnauthorized);
  EXPECT_EQ(got[3].code, kSdkUnknownAddress);  // another key: another (unknown) address
  EXPECT_EQ(got[5].code, kSdkUnauthorized);     // another chain id in the SignDoc
  EXPECT_EQ(got[30].code, kSdkWrongSequence);
  EXPECT_EQ(got[33].code, kSdkTxDecode);
  EXPECT_TRUE(got[10].ok()) << got[10].log;
  EXPECT_TRUE(got[11].ok()) << got[11].log;
  EXPECT_EQ(Read(*par, newcomer_addr), "newcomer");
  EXPECT_TRUE(got[forged - 1].ok());
  EXPECT_TRUE(got[forged + 1].ok());
  int applied = 0;
  for (const TxResult& r : got) applied += r.ok() ? 1 : 0;
  EXPECT_GT(applied, 20);
  ASSERT_TRUE(seq->EndBlock().ok());
  ASSERT_TRUE(par->EndBlock().ok());
  auto h1 = seq->Commit();
  auto h2 = par->Commit();
  ASSERT_TRUE(h1.ok() && h2.ok());
  EXPECT_EQ(*h1, *h2);
  for (const PrivateKey& k : keys) {
    const std::string addr = seq->AddressOf(k.PublicKey());
    EXPECT_EQ(Read(*seq, addr), Read(*par, addr)) << addr;
    EXPECT_EQ(SequenceOf(*seq, k), SequenceOf(*par, k));
  }
}

TEST(ParallelVerifyTest, PreVerifiedBlockMatchesSequentialDelivery) {
  ExpectPreVerifiedBlockMatchesSequentialDelivery(/*concurrent_reads=*/true);
}

TEST(ParallelVerifyTest, PreVerifiedBlockMatchesSequentialDeliveryWithSerialReads) {
  ExpectPreVerifiedBlockMatchesSequentialDelivery(/*concurrent_reads=*/false);
}

TEST(VerifyAheadTest, BlockVerifiedAheadMatchesSequentialDelivery) {
  ExpectPreVerifiedBlockMatchesSequentialDelivery(/*concurrent_reads=*/true, /*ahead=*/true);
}

// A store without reads from other threads: VerifyAhead does nothing, and
// delivery verifies as before.
TEST(VerifyAheadTest, NothingIsVerifiedAheadOnAStoreWithSerialReads) {
  auto chain = NewChain(std::make_unique<SerialReadStore>());
  const PrivateKey alice = PrivateKey::FromSeed("alice");
  chain->VerifyAhead(std::make_shared<const std::vector<SignedTx>>(
      std::vector<SignedTx>{MakeTx(alice, 0, "test/put", "x")}));
  chain->AwaitVerifiedAhead();
  EXPECT_EQ(chain->verified_ahead(), 0u);
  EXPECT_EQ(chain->verdicts().size(), 0u);
}

// CheckTx keeps the verdict of a tx it accepts; the tx's delivery takes it
// (one verification for both), with the result and app hash of a chain
// that never saw CheckTx. A tx CheckTx refuses leaves nothing.
TEST(VerifyAheadTest, CheckTxVerdictIsTakenByDelivery) {
  const PrivateKey alice = PrivateKey::FromSeed("alice");
  const SignedTx tx = MakeTx(alice, 0, "test/put", "checked");
  const SignedTx bad = MakeTx(alice, 0, "test/put", "other chain", "other-1");
  auto checked = NewChain(std::make_unique<MemStore>());
  auto plain = NewChain(std::make_unique<MemStore>());
  EXPECT_TRUE(checked->CheckTx(tx).ok());
  EXPECT_EQ(checked->CheckTx(bad).code, kSdkUnauthorized);
  EXPECT_EQ(checked->verdicts().size(), 1u);
  for (Chain* c : {checked.get(), plain.get()}) {
    ASSERT_TRUE(c->BeginBlock(kT0).ok());
    const TxResult r = c->DeliverTx(tx);
    EXPECT_TRUE(r.ok()) << r.log;
    ASSERT_TRUE(c->EndBlock().ok());
  }
  EXPECT_EQ(checked->verdicts().hits(), 1u);
  EXPECT_EQ(checked->verdicts().size(), 0u);
  EXPECT_EQ(plain->verdicts().hits(), 0u);
  auto h1 = checked->Commit();
  auto h2 = plain->Commit();
  ASSERT_TRUE(h1.ok() && h2.ok());
  EXPECT_EQ(*h1, *h2);
  EXPECT_EQ(Read(*checked, checked->AddressOf(alice.PublicKey())), "checked");
}

// A verdict for another account number than the signer's at apply time is
// not trusted (a verdict taken from the cache is handed to RunTx as this
// one): the tx is verified again, so a tx signed for a wrong account number
// fails even when its verdict says the signature verified.
TEST(VerifyAheadTest, VerdictForAnotherAccountNumberIsVerifiedAgain) {
  const PrivateKey alice = PrivateKey::FromSeed("alice");  // account number 0
  TxSpec spec;
  spec.chain_id = "test-1";
  spec.account_number = 7;  // not alice's
  spec.msgs.push_back(Msg{"test/put", "wrong number"});
  const SignedTx tx = SignTx(alice, spec);
  auto chain = NewChain(std::make_unique<MemStore>());
  ASSERT_TRUE(chain->BeginBlock(kT0).ok());
  const TxResult r = chain->DeliverTx(
      tx, TxVerdict{chain->AddressOf(alice.PublicKey()), true, 7, absl::OkStatus()});
  EXPECT_EQ(r.code, kSdkUnauthorized) << r.log;
  EXPECT_EQ(SequenceOf(*chain, alice), 0u);
}

TEST(VerdictCacheTest, KeepsVerifiedVerdictsOnceWithinItsBound) {
  const PrivateKey alice = PrivateKey::FromSeed("alice");
  std::vector<SignedTx> txs;
  for (int i = 0; i < 5; ++i) txs.push_back(MakeTx(alice, i, "test/put", std::to_string(i)));
  VerdictCache cache(3);
  const TxVerdict ok{"addr", true, 0, absl::OkStatus()};
  cache.Put(txs[0], TxVerdict{"addr", false, 0, absl::OkStatus()});  // not checked
  cache.Put(txs[0], TxVerdict{"addr", true, 0, absl::InvalidArgumentError("bad")});
  EXPECT_EQ(cache.size(), 0u);
  cache.Put(txs[0], ok);
  std::optional<TxVerdict> got = cache.Take(txs[0]);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->signer, "addr");
  EXPECT_TRUE(got->checked);
  EXPECT_FALSE(cache.Take(txs[0]).has_value());  // taken once
  EXPECT_FALSE(cache.Take(txs[1]).has_value());
  // The same body under another signature is another tx.
  cache.Put(txs[1], ok);
  EXPECT_FALSE(cache.Take(Tampered(txs[2], txs[1])).has_value());
  EXPECT_TRUE(cache.Take(txs[1]).has_value());
  for (int i = 0; i < 3; ++i) cache.Put(txs[i], ok);
  EXPECT_EQ(cache.size(), 3u);
  cache.Put(txs[3], ok);  // full: emptied, then refilled
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.Take(txs[3]).has_value());
  EXPECT_EQ(cache.hits(), 3u);
  EXPECT_EQ(cache.misses(), 3u);
}

// Cancel drops the txs not begun yet (without waiting for the one being
// verified); those verified keep their verdicts, and a later Submit is
// verified in full.
TEST(VerifyAheadTest, CancelStopsWhatIsLeftAndTheVerifierGoesOn) {
  std::vector<SignedTx> txs;
  for (int i = 0; i < 200; ++i) {
    txs.push_back(MakeTx(PrivateKey::FromSeed("signer-" + std::to_string(i % 8)), i / 8,
                         "test/put", std::to_string(i)));
  }
  auto shared = std::make_shared<const std::vector<SignedTx>>(txs);
  VerdictCache cache;
  AheadVerifier verifier(VerifyParams{"test-1", "mesh", nullptr},
                         [](const std::string&) -> std::optional<uint64_t> { return 0; },
                         &cache);
  verifier.Submit(shared);
  verifier.Cancel();
  verifier.Wait();  // the tx that was being verified, if any, is done
  const uint64_t first = verifier.verified();
  EXPECT_LE(first, txs.size());
  verifier.Submit(shared);
  verifier.Wait();
  EXPECT_EQ(verifier.verified(), first + txs.size());
}

// Cancel does not wait for the tx being verified: a block that starts
// while the helper thread is mid-verification goes on at once (the helper's
// verdict still lands in the cache afterwards).
TEST(VerifyAheadTest, CancelDoesNotWaitForTheTxBeingVerified) {
  const PrivateKey signer = PrivateKey::FromSeed("signer");
  std::vector<SignedTx> txs;
  for (int i = 0; i < 4; ++i) txs.push_back(MakeTx(signer, i, "test/put", std::to_string(i)));
  auto shared = std::make_shared<const std::vector<SignedTx>>(txs);
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, release = false;
  VerdictCache cache;
  AheadVerifier verifier(VerifyParams{"test-1", "mesh", nullptr},
                         [&](const std::string&) -> std::optional<uint64_t> {
                           std::unique_lock<std::mutex> lock(mu);
                           inside = true;
                           cv.notify_all();
                           cv.wait(lock, [&] { return release; });
                           return AccountNumberOf(signer);
                         },
                         &cache);
  verifier.Submit(shared);
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return inside; });  // the first tx is being verified
  }
  verifier.Cancel();  // returns while that verification is blocked
  EXPECT_EQ(verifier.verified(), 0u);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  verifier.Wait();
  EXPECT_EQ(verifier.verified(), 1u);  // the one begun; the rest were dropped
  EXPECT_TRUE(cache.Take(txs[0]).has_value());
  EXPECT_FALSE(cache.Take(txs[1]).has_value());
}

// The account-number lookup variant: the lookup sees the derived signer,
// and its verdict is VerifyTx's with that number.
TEST(ParallelVerifyTest, VerdictWithLookedUpNumberIsTheInlineCheck) {
  PrivateKey alice = PrivateKey::FromSeed("alice");
  SignedTx good = MakeTx(alice, 0, "test/put", "x");
  const VerifyParams params{"test-1", "mesh"};
  std::string asked;
  TxVerdict v = VerifyTxWithLookup(good, params, [&](const std::string& signer) {
    asked = signer;
    return std::optional<uint64_t>(0);
  });
  EXPECT_EQ(asked, AccountAddressOf("mesh", alice.PublicKey()));
  EXPECT_EQ(v.signer, asked);
  EXPECT_TRUE(v.checked);
  EXPECT_TRUE(v.signature.ok());
  TxVerdict other =
      VerifyTxWithLookup(good, params, [](const std::string&) { return std::optional<uint64_t>(1); });
  EXPECT_EQ(other.signature, VerifyTx(good, params, 1).signature);
  EXPECT_FALSE(other.signature.ok());
  TxVerdict unknown =
      VerifyTxWithLookup(good, params, [](const std::string&) { return std::optional<uint64_t>(); });
  EXPECT_FALSE(unknown.checked);
  EXPECT_EQ(unknown.signer, asked);
}

// Verdicts through the signer cache are the verdicts without it: on a
// miss, on a hit, for a wrong account number, and for public keys that do
// not parse (not kept). The cache counts its hits and stays bounded.
TEST(SignerCacheTest, VerdictsAreThoseWithoutTheCache) {
  SignerCache cache("mesh");
  const VerifyParams plain{"test-1", "mesh"};
  const VerifyParams cached{"test-1", "mesh", &cache};
  const auto same = [](const TxVerdict& a, const TxVerdict& b) {
    EXPECT_EQ(a.signer, b.signer);
    EXPECT_EQ(a.checked, b.checked);
    EXPECT_EQ(a.account_number, b.account_number);
    EXPECT_EQ(a.signature, b.signature);
  };
  SignedTx good = MakeTx(PrivateKey::FromSeed("alice"), 0, "test/put", "x");
  for (int round = 0; round < 2; ++round) {  // a miss, then a hit
    same(VerifyTx(good, cached, 0), VerifyTx(good, plain, 0));
    same(VerifyTx(good, cached, 7), VerifyTx(good, plain, 7));
    same(VerifyTx(good, cached, std::nullopt), VerifyTx(good, plain, std::nullopt));
  }
  EXPECT_TRUE(VerifyTx(good, cached, 0).signature.ok());
  EXPECT_FALSE(VerifyTx(good, cached, 7).signature.ok());
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_GE(cache.hits(), 5u);
  // Keys that do not parse: the same InvalidArgument as VerifySignature's.
  for (std::string bad : {std::string(33, '\xff'), std::string("\x02\x01", 2),
                          std::string(1, '\x04') + std::string(32, '\x01')}) {
    if (bad[0] == '\xff') bad[0] = '\x02';  // x >= p: not a point
    SignedTx tx = good;
    tx.pubkey = bad;
    const TxVerdict v = VerifyTx(tx, cached, 0);
    same(v, VerifyTx(tx, plain, 0));
    EXPECT_EQ(v.signature.code(), absl::StatusCode::kInvalidArgument) << v.signature;
    same(VerifyTx(tx, cached, 0), v);
  }
  EXPECT_EQ(cache.size(), 1u);
  // Bounded: 16 shards of one signer each.
  SignerCache small("mesh", 16);
  for (int i = 0; i < 200; ++i) {
    const std::string key = PrivateKey::FromSeed("k" + std::to_string(i)).PublicKey();
    absl::StatusOr<SignerCache::Signer> s = small.Get(key);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->address, AccountAddressOf("mesh", key));
    EXPECT_LE(small.size(), 16u);
  }
  EXPECT_EQ(small.misses(), 200u);
}

// The verification threads share one cache: every thread's verdicts are
// the uncached ones.
TEST(SignerCacheTest, SharedByThreads) {
  SignerCache cache("mesh", 64);
  std::vector<SignedTx> txs;
  for (int i = 0; i < 40; ++i) {
    txs.push_back(MakeTx(PrivateKey::FromSeed("s" + std::to_string(i)), 0, "test/put", "x"));
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < txs.size(); ++i) {
          const uint64_t number = 1000 + i % 2;  // signed for 1000: half verify
          const TxVerdict a = VerifyTx(txs[i], {"test-1", "mesh", &cache}, number);
          const TxVerdict b = VerifyTx(txs[i], {"test-1", "mesh"}, number);
          if (a.signer != b.signer || a.signature != b.signature ||
              a.signature.ok() != (number == 1000)) {
            wrong.fetch_add(1);
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(cache.hits(), 0u);
}

TEST(ParallelVerifyTest, DeliverTxsNeedsAnOpenBlock) {
  auto chain = NewChain(std::make_unique<MemStore>());
  PrivateKey alice = PrivateKey::FromSeed("alice");
  std::vector<TxResult> r = chain->DeliverTxs({MakeTx(alice, 0, "test/put", "x")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code, static_cast<uint32_t>(absl::StatusCode::kFailedPrecondition));
}

// ---- StateCache (node/state_cache.h)

// A MemStore whose Write fails on demand (after applying nothing).
class FlakyStore : public MemStore {
 public:
  absl::Status Write(const WriteBatch& batch) override {
    if (fail) return absl::InternalError("disk on fire");
    return MemStore::Write(batch);
  }
  bool fail = false;
};

TEST(StateCacheTest, ReadsAreTheStoresValuesThroughWritesAndFailures) {
  auto owned = std::make_unique<FlakyStore>();
  FlakyStore* store = owned.get();
  ASSERT_TRUE(store->Put("a", "1").ok());
  StateCache cache(std::move(owned));
  EXPECT_EQ(*cache.Get("a"), "1");
  EXPECT_EQ(*cache.Get("a"), "1");
  EXPECT_EQ(*cache.Get("b"), std::nullopt);  // absence is cached too
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.hits(), 1u);
  WriteBatch batch;
  batch.Put("b", "2");
  batch.Delete("a");
  ASSERT_TRUE(cache.Write(batch).ok());
  EXPECT_EQ(*cache.Get("a"), std::nullopt);
  EXPECT_EQ(*cache.Get("b"), "2");
  EXPECT_EQ(*store->Get("b"), "2");
  // A failed write reaches neither the store nor the cache.
  store->fail = true;
  WriteBatch bad;
  bad.Put("b", "3");
  bad.Put("c", "4");
  EXPECT_FALSE(cache.Write(bad).ok());
  EXPECT_EQ(*cache.Get("b"), "2");
  EXPECT_EQ(*cache.Get("c"), std::nullopt);
  // Single puts and deletes write through.
  ASSERT_TRUE(cache.Put("d", "5").ok());
  EXPECT_EQ(*store->Get("d"), "5");
  ASSERT_TRUE(cache.Delete("d").ok());
  EXPECT_EQ(*cache.Get("d"), std::nullopt);
  EXPECT_EQ(*store->Get("d"), std::nullopt);
  // Scans read the store.
  int n = 0;
  for (auto it = cache.Scan("", ""); it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 1);
}

// Consume (the block commit's path) writes like Write and moves the
// batch's values into the cache; a failed one leaves batch, store and cache
// as they were.
TEST(StateCacheTest, ConsumeWritesMovesAndKeepsTheBatchOnFailure) {
  auto owned = std::make_unique<FlakyStore>();
  FlakyStore* store = owned.get();
  ASSERT_TRUE(store->Put("a", "1").ok());
  StateCache cache(std::move(owned));
  EXPECT_EQ(*cache.Get("a"), "1");  // cached
  WriteBatch batch;
  batch.Put("b", std::string(100, 'v'));
  batch.Delete("a");
  ASSERT_TRUE(cache.Consume(batch).ok());
  EXPECT_TRUE(batch.empty());
  const size_t misses = cache.misses();
  EXPECT_EQ(*cache.Get("b"), std::string(100, 'v'));
  EXPECT_EQ(cache.misses(), misses);  // served by the cache
  // A deleted key's entry is dropped, not kept as a cached absence: its
  // read goes to the store (and the absence is cached from then on).
  EXPECT_FALSE(cache.Contains("a"));
  EXPECT_EQ(*cache.Get("a"), std::nullopt);
  EXPECT_EQ(cache.misses(), misses + 1);
  EXPECT_TRUE(cache.Contains("a"));
  EXPECT_EQ(*store->Get("b"), std::string(100, 'v'));
  EXPECT_EQ(*store->Get("a"), std::nullopt);
  store->fail = true;
  WriteBatch bad;
  bad.Put("b", "3");
  bad.Put("c", "4");
  EXPECT_FALSE(cache.Consume(bad).ok());
  EXPECT_EQ(bad.size(), 2u);
  EXPECT_EQ(*bad.ops().at("b"), "3");
  EXPECT_EQ(*cache.Get("b"), std::string(100, 'v'));
  EXPECT_EQ(*cache.Get("c"), std::nullopt);
  store->fail = false;
  ASSERT_TRUE(cache.Consume(bad).ok());
  EXPECT_EQ(*cache.Get("b"), "3");
  EXPECT_EQ(*store->Get("c"), "4");
}

// A block's batch is indexed before its commit (WriteBatch::Index): the
// cache remembers and forgets exactly what it does for the same batch walked
// as a tree, in the same order (the same entries and bytes kept, under a
// capacity that evicts), and the store gets the same writes.
TEST(StateCacheTest, IndexedBatchesAreConsumedAsTreeWalkedOnes) {
  auto owned_tree = std::make_unique<MemStore>();
  auto owned_indexed = std::make_unique<MemStore>();
  MemStore* tree_store = owned_tree.get();
  MemStore* indexed_store = owned_indexed.get();
  StateCache tree(std::move(owned_tree), /*capacity_bytes=*/60000);
  StateCache indexed(std::move(owned_indexed), /*capacity_bytes=*/60000);
  uint64_t x = 99;
  auto next = [&x](uint64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % n;
  };
  for (int block = 0; block < 12; ++block) {
    WriteBatch batch;
    for (int i = 0; i < 500; ++i) {
      const std::string key = "key-" + std::to_string(next(3000));
      if (next(5) == 0) {
        batch.Delete(key);
      } else {
        batch.Put(key, std::string(next(120), static_cast<char>('a' + block)));
      }
    }
    WriteBatch same = batch;
    batch.Index();
    ASSERT_TRUE(batch.indexed());
    batch.Put("meta-" + std::to_string(block), "added after the index");
    same.Put("meta-" + std::to_string(block), "added after the index");
    ASSERT_TRUE(batch.indexed());
    ASSERT_FALSE(same.indexed());
    ASSERT_TRUE(indexed.Consume(batch).ok());
    ASSERT_TRUE(tree.Consume(same).ok());
    ASSERT_EQ(indexed.cached_bytes(), tree.cached_bytes()) << "block " << block;
    for (int k = 0; k < 3000; ++k) {
      const std::string key = "key-" + std::to_string(k);
      ASSERT_EQ(indexed.Contains(key), tree.Contains(key)) << key;
      ASSERT_EQ(*indexed_store->Get(key), *tree_store->Get(key)) << key;
    }
    for (int k = 0; k < 3000; k += 7) {  // reads, hits and misses alike
      const std::string key = "key-" + std::to_string(k);
      ASSERT_EQ(*indexed.Get(key), *tree.Get(key)) << key;
    }
  }
  EXPECT_GT(tree.evictions(), 0u);
  EXPECT_EQ(indexed.evictions(), tree.evictions());
}

TEST(StateCacheTest, StaysWithinItsCapacityAndStaysCorrect) {
  StateCache cache(std::make_unique<MemStore>(), /*capacity_bytes=*/1000);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 100; ++i) {
      WriteBatch b;
      b.Put("key-" + std::to_string(i), std::to_string(round * 1000 + i));
      ASSERT_TRUE(cache.Write(b).ok());
      EXPECT_LE(cache.cached_bytes(), 1000u);
    }
    for (int i = 0; i < 100; ++i) {
      EXPECT_EQ(*cache.Get("key-" + std::to_string(i)), std::to_string(round * 1000 + i));
      EXPECT_LE(cache.cached_bytes(), 1000u);
    }
  }
}

// Eviction is gradual, CLOCK (second chance): a full cache makes room for a
// new key by evicting the first unmarked entry at the hand; an entry read
// since the hand last passed loses its mark and stays once.
TEST(StateCacheTest, EvictsInClockOrderGivingReadEntriesASecondChance) {
  constexpr size_t kEntry = 2 + 2 + StateCache::kEntryOverhead;  // "kN" -> "vN"
  StateCache cache(std::make_unique<MemStore>(), /*capacity_bytes=*/3 * kEntry);
  ASSERT_EQ(cache.num_shards(), 1u);
  auto put = [&cache](const std::string& k) {
    WriteBatch b;
    b.Put(k, "v" + k.substr(1));
    ASSERT_TRUE(cache.Write(b).ok());
  };
  put("k1");
  put("k2");
  put("k3");
  EXPECT_EQ(cache.cached_bytes(), 3 * kEntry);
  EXPECT_EQ(*cache.Get("k1"), "v1");  // a hit: k1 marked
  put("k4");                          // the hand clears k1, evicts k2
  EXPECT_TRUE(cache.Contains("k1"));
  EXPECT_FALSE(cache.Contains("k2"));
  EXPECT_TRUE(cache.Contains("k3"));
  EXPECT_TRUE(cache.Contains("k4"));
  put("k5");  // evicts k3 (the next unmarked one), not the whole cache
  EXPECT_TRUE(cache.Contains("k1"));
  EXPECT_FALSE(cache.Contains("k3"));
  put("k6");  // the hand wraps to k1, whose mark is spent
  EXPECT_FALSE(cache.Contains("k1"));
  EXPECT_TRUE(cache.Contains("k4"));
  EXPECT_TRUE(cache.Contains("k5"));
  EXPECT_TRUE(cache.Contains("k6"));
  EXPECT_EQ(cache.cached_entries(), 3u);
  EXPECT_EQ(cache.evictions(), 3u);
  EXPECT_EQ(cache.cached_bytes(), 3 * kEntry);
  // Evicted keys read the store's value again (and are cached again, up to
  // the flood guard: half the capacity, here one entry, between writes).
  const size_t misses = cache.misses();
  EXPECT_EQ(*cache.Get("k2"), "v2");
  EXPECT_EQ(*cache.Get("k1"), "v1");
  EXPECT_EQ(cache.misses(), misses + 2);
  EXPECT_TRUE(cache.Contains("k2"));
  EXPECT_FALSE(cache.Contains("k1"));
  put("k7");  // a write restarts the count
  EXPECT_EQ(*cache.Get("k1"), "v1");
  EXPECT_TRUE(cache.Contains("k1"));
}

// A block that reads or writes more than the cache holds does not evict
// what was cached before it: between two batch writes a shard admits new
// entries of at most half its capacity, and a batch larger than half the
// capacity updates only the keys already cached. Every read is still the
// store's value.
TEST(StateCacheTest, FloodGuardKeepsABlockLargerThanTheCacheFromEvictingIt) {
  constexpr size_t kEntry = 3 + 3 + StateCache::kEntryOverhead;  // "aNN" -> "vNN"
  auto owned = std::make_unique<MemStore>();
  MemStore* store = owned.get();
  StateCache cache(std::move(owned), /*capacity_bytes=*/40 * kEntry);
  ASSERT_EQ(cache.num_shards(), 1u);
  auto key = [](char table, int i) { return absl::StrCat(std::string(1, table), i + 10); };
  auto val = [](char tag, int i) { return absl::StrCat(std::string(1, tag), i + 10); };
  WriteBatch small;
  for (int i = 0; i < 10; ++i) small.Put(key('a', i), val('v', i));
  ASSERT_TRUE(cache.Write(small).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(store->Put(key('b', i), val('w', i)).ok());
  // A scan-like read of 100 keys: the first 20 (half of 40 entries) are kept.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(*cache.Get(key('b', i)), val('w', i));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(cache.Contains(key('b', i)), i < 20) << i;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(cache.Contains(key('a', i))) << i;
  EXPECT_EQ(cache.evictions(), 0u);
  EXPECT_EQ(cache.cached_entries(), 30u);
  // A batch of 30 entries (over half the capacity): the cached keys it
  // writes are updated, the new ones stay out, nothing is evicted.
  WriteBatch flood;
  for (int i = 0; i < 25; ++i) flood.Put(key('c', i), val('x', i));
  for (int i = 0; i < 5; ++i) flood.Put(key('a', i), val('y', i));
  ASSERT_TRUE(cache.Write(flood).ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(cache.Contains(key('a', i)));
    EXPECT_EQ(*cache.Get(key('a', i)), val('y', i));
  }
  for (int i = 0; i < 25; ++i) EXPECT_FALSE(cache.Contains(key('c', i))) << i;
  EXPECT_EQ(cache.evictions(), 0u);
  EXPECT_EQ(*cache.Get(key('c', 3)), val('x', 3));  // read from the store, then kept
  EXPECT_TRUE(cache.Contains(key('c', 3)));
  // The next small batch is admitted whole.
  WriteBatch next;
  next.Put(key('d', 0), val('z', 0));
  ASSERT_TRUE(cache.Write(next).ok());
  EXPECT_TRUE(cache.Contains(key('d', 0)));
  EXPECT_LE(cache.cached_bytes(), cache.capacity_bytes());
}

// Under a random mix of reads, writes, deletes and growing or shrinking
// values (deterministic sequence), every read is the store's value, the
// bound is never exceeded, and a full cache stays nearly full (it evicts
// only what the new entry needs: no whole-shard clear).
TEST(StateCacheTest, RandomOpsNeverExceedTheBoundAndReadTheStoresValues) {
  for (size_t capacity : {size_t{3000}, size_t{40000}, size_t{2} << 20}) {
    auto owned = std::make_unique<MemStore>();
    MemStore* store = owned.get();
    StateCache cache(std::move(owned), capacity);
    const size_t bound = cache.capacity_bytes();
    EXPECT_LE(bound, capacity);
    constexpr size_t kMaxEntry = 8 + 300 + StateCache::kEntryOverhead;
    uint64_t x = 12345;
    auto next = [&x](uint64_t n) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      return (x >> 33) % n;
    };
    bool was_full = false;
    for (int op = 0; op < 20000; ++op) {
      const std::string key = "key-" + std::to_string(next(capacity / 40));
      const uint64_t kind = next(10);
      if (kind < 6) {
        absl::StatusOr<std::optional<std::string>> got = cache.Get(key);
        ASSERT_TRUE(got.ok());
        ASSERT_EQ(*got, *store->Get(key)) << key;
      } else if (kind < 9) {
        WriteBatch b;
        b.Put(key, std::string(next(300), static_cast<char>('a' + op % 26)));
        if (kind == 8) b.Delete("key-" + std::to_string(next(capacity / 40)));
        if (op % 2 == 0) {
          ASSERT_TRUE(cache.Write(b).ok());
        } else {
          ASSERT_TRUE(cache.Consume(b).ok());
        }
      } else {
        ASSERT_TRUE(cache.Delete(key).ok());
      }
      const size_t bytes = cache.cached_bytes();
      ASSERT_LE(bytes, bound);
      if (was_full && capacity <= 40000) {
        // What fills the shard stays: eviction frees about one entry at a
        // time (only overwrites with smaller values and deletes shrink it).
        ASSERT_GE(bytes, bound / 2) << "op " << op;
      }
      if (bytes + kMaxEntry >= bound) was_full = true;
    }
    if (capacity <= 40000) {
      EXPECT_TRUE(was_full);
      EXPECT_GT(cache.evictions(), 0u);
    }
    for (int i = 0; i < static_cast<int>(capacity / 40); ++i) {
      const std::string key = "key-" + std::to_string(i);
      ASSERT_EQ(*cache.Get(key), *store->Get(key)) << key;
    }
  }
}

// A value that grows past what its shard can hold is dropped, not kept
// stale; an entry larger than the bound is never cached.
TEST(StateCacheTest, OversizedValuesAreReadFromTheStore) {
  StateCache cache(std::make_unique<MemStore>(), /*capacity_bytes=*/1000);
  ASSERT_TRUE(cache.Put("a", "small").ok());
  EXPECT_TRUE(cache.Contains("a"));
  ASSERT_TRUE(cache.Put("a", std::string(2000, 'x')).ok());
  EXPECT_FALSE(cache.Contains("a"));
  EXPECT_EQ(*cache.Get("a"), std::string(2000, 'x'));
  EXPECT_LE(cache.cached_bytes(), 1000u);
  ASSERT_TRUE(cache.Put("a", "small again").ok());
  EXPECT_EQ(*cache.Get("a"), "small again");
  EXPECT_TRUE(cache.Contains("a"));
}

// The default cache is sharded (one lock per shard) so that queries on one
// committed view do not meet on a lock; readers on several threads get the
// store's values, each key is read from the store once, and a small cache
// keeps one shard and its bound.
TEST(StateCacheTest, ShardedCacheServesConcurrentReadersExactly) {
  auto store = std::make_unique<MemStore>();
  constexpr int kKeys = 1000;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(store->Put("key-" + std::to_string(i), "value-" + std::to_string(i)).ok());
  }
  StateCache cache(std::move(store));
  EXPECT_EQ(cache.num_shards(), StateCache::kMaxShards);
  EXPECT_EQ(StateCache(std::make_unique<MemStore>(), 1000).num_shards(), 1u);
  constexpr int kThreads = 4;
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads; ++t) {
    readers.emplace_back([&cache, &wrong, t] {
      for (int round = 0; round < 2; ++round) {
        for (int j = 0; j < kKeys; ++j) {
          int i = (j + t * 251) % kKeys;
          absl::StatusOr<std::optional<std::string>> v = cache.Get("key-" + std::to_string(i));
          if (!v.ok() || *v != "value-" + std::to_string(i)) ++wrong;
        }
      }
    });
  }
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache.misses(), static_cast<size_t>(kKeys));
  EXPECT_EQ(cache.hits(), static_cast<size_t>(kKeys * (2 * kThreads - 1)));
  // A batch lands in every shard it touches.
  WriteBatch b;
  for (int i = 0; i < kKeys; i += 7) b.Put("key-" + std::to_string(i), "new");
  ASSERT_TRUE(cache.Write(b).ok());
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ(*cache.Get("key-" + std::to_string(i)),
              i % 7 == 0 ? "new" : "value-" + std::to_string(i));
  }
}

// A chain over the cache gives the same app hashes as the store read
// directly: blocks that overwrite and delete keys read back exactly.
TEST(StateCacheTest, ChainReadsItsOwnWritesAcrossBlocks) {
  auto chain = NewChain(std::make_unique<MemStore>());
  PrivateKey alice = PrivateKey::FromSeed("alice");
  const std::string addr = chain->AddressOf(alice.PublicKey());
  for (uint64_t h = 0; h < 4; ++h) {
    ASSERT_TRUE(chain->BeginBlock(kT0 + h).ok());
    ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, h, "test/put", "v" + std::to_string(h))).ok());
    EXPECT_EQ(Read(*chain, addr), "v" + std::to_string(h));
    ASSERT_TRUE(chain->Commit().ok());
    EXPECT_EQ(Read(*chain, addr), "v" + std::to_string(h));
    EXPECT_EQ(SequenceOf(*chain, alice), h + 1);
  }
}

// ---- committed views linked to the previous one (StateCache::LinkView)

// A store counting its point reads (a view's snapshot reads).
class CountingSnapshot : public DurableStore {
 public:
  CountingSnapshot(std::unique_ptr<DurableStore> inner, std::atomic<int>* reads)
      : inner_(std::move(inner)), reads_(reads) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    ++*reads_;
    return inner_->Get(key);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view b, std::string_view e,
                                   bool reverse) const override {
    return inner_->Scan(b, e, reverse);
  }
  absl::Status Put(std::string_view, std::string_view) override {
    return absl::FailedPreconditionError("read-only");
  }
  absl::Status Delete(std::string_view) override {
    return absl::FailedPreconditionError("read-only");
  }
  absl::Status Write(const WriteBatch&) override {
    return absl::FailedPreconditionError("read-only");
  }

 private:
  std::unique_ptr<DurableStore> inner_;
  std::atomic<int>* reads_;
};

// Random blocks of puts and deletes (through Write, Consume, Put and Delete)
// over 40 keys; after each, a view linked to the previous one reads random
// keys: every read is the snapshot's value, the link answers some of them,
// and a key the block wrote is never answered from the link. Every third
// view is never read, so the next one answers from the view before it.
TEST(StateCacheTest, LinkedViewsReadExactlyTheirSnapshot) {
  auto owned = std::make_unique<MemStore>();
  MemStore* store = owned.get();
  StateCache live(std::move(owned));
  std::mt19937 rng(7);
  auto key = [](int k) { return "k" + std::to_string(k); };
  std::atomic<int> snapshot_reads{0};
  std::shared_ptr<const StateCache> previous;
  size_t linked = 0;
  for (int block = 0; block < 60; ++block) {
    std::set<std::string> written;
    const int op = block % 4;
    WriteBatch batch;
    for (int i = 0; i < 5; ++i) {
      const std::string k = key(static_cast<int>(rng() % 40));
      written.insert(k);
      const bool del = rng() % 3 == 0;
      const std::string v = "v" + std::to_string(block) + "_" + std::to_string(i);
      if (op == 2) {
        ASSERT_TRUE((del ? live.Delete(k) : live.Put(k, v)).ok());
      } else if (del) {
        batch.Delete(k);
      } else {
        batch.Put(k, v);
      }
    }
    if (op == 0) {
      ASSERT_TRUE(live.Write(batch).ok());
    }
    if (op == 1 || op == 3) {
      ASSERT_TRUE(live.Consume(batch).ok());
    }
    auto view = std::make_shared<StateCache>(
        std::make_unique<CountingSnapshot>(live.Snapshot(), &snapshot_reads));
    live.LinkView(*view, previous, previous.get());
    const size_t linked_before = view->linked_hits();
    // Every third view is never read: the next one reaches past it.
    const bool unread = block % 3 == 1;
    for (int r = 0; r < (unread ? 0 : 30); ++r) {
      const std::string k = key(static_cast<int>(rng() % 40));
      const bool was_cached = view->Contains(k);
      const size_t hits = view->linked_hits();
      const int reads = snapshot_reads;
      absl::StatusOr<std::optional<std::string>> got = view->Get(k);
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(*got, *store->Get(k)) << "block " << block << " key " << k;
      if (!was_cached && view->linked_hits() > hits) {
        EXPECT_FALSE(written.contains(k)) << "a key the block wrote came from the link";
        EXPECT_EQ(snapshot_reads, reads);  // answered from memory
      }
    }
    // Scans of random ranges (some repeated, some new): the snapshot's entries.
    for (int r = 0; r < (unread ? 0 : 8); ++r) {
      int a = static_cast<int>(rng() % 12);
      std::string begin = key(a), end = r % 4 == 3 ? std::string() : key(a + 1 + rng() % 3);
      const bool reverse = r % 2 == 1;
      // Some callers stop early (kept as far as read: later scans of the
      // range read that part from memory and the rest from the snapshot).
      const size_t stop = rng() % 3 == 0 ? rng() % 4 : SIZE_MAX;
      std::vector<std::pair<std::string, std::string>> got, want;
      for (auto it = view->Scan(begin, end, reverse); it->Valid(); it->Next()) {
        got.emplace_back(it->key(), it->value());
        if (got.size() > stop) break;
      }
      for (auto it = store->Scan(begin, end, reverse); it->Valid(); it->Next()) {
        want.emplace_back(it->key(), it->value());
        if (want.size() > stop) break;
      }
      ASSERT_EQ(got, want) << "block " << block << " scan [" << begin << ", " << end << ")";
    }
    linked += view->linked_hits() - linked_before;
    previous = view;
  }
  EXPECT_GT(linked, 200u);  // the link answered a good part of the reads
  EXPECT_GT(previous->scan_hits(), 0u);
}

// A view's scan longer than kMaxCachedScanEntries reads the rest from the
// snapshot as it goes (and is not kept); a short one is kept.
TEST(StateCacheTest, ViewScansLongerThanTheBoundAreReadThrough) {
  StateCache live(std::make_unique<MemStore>());
  WriteBatch batch;
  const size_t n = StateCache::kMaxCachedScanEntries + 50;
  for (size_t i = 0; i < n; ++i) {
    char k[16];
    std::snprintf(k, sizeof(k), "k%06zu", i);
    batch.Put(k, "v" + std::to_string(i));
  }
  ASSERT_TRUE(live.Write(batch).ok());
  auto view = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*view, nullptr, nullptr);
  for (int pass = 0; pass < 2; ++pass) {
    size_t count = 0;
    std::string last;
    for (auto it = view->Scan("k", "l"); it->Valid(); it->Next()) {
      EXPECT_LT(last, std::string(it->key()));
      last = std::string(it->key());
      ++count;
    }
    EXPECT_EQ(count, n);
  }
  EXPECT_EQ(view->scan_hits(), 0u);  // too long to keep
  for (int pass = 0; pass < 2; ++pass) {
    size_t count = 0;
    for (auto it = view->Scan("k000010", "k000020", true); it->Valid(); it->Next()) ++count;
    EXPECT_EQ(count, 10u);
  }
  EXPECT_EQ(view->scan_hits(), 1u);
}

// A snapshot counting the entries its iterators step over.
class SteppedSnapshot : public DurableStore {
 public:
  explicit SteppedSnapshot(std::unique_ptr<DurableStore> inner) : inner_(std::move(inner)) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_->Get(key);
  }
  std::unique_ptr<KvIterator> Scan(std::string_view b, std::string_view e,
                                   bool reverse) const override {
    return std::make_unique<SteppingIterator<size_t>>(inner_->Scan(b, e, reverse), &steps);
  }
  absl::Status Put(std::string_view k, std::string_view v) override { return inner_->Put(k, v); }
  absl::Status Delete(std::string_view k) override { return inner_->Delete(k); }
  absl::Status Write(const WriteBatch& batch) override { return inner_->Write(batch); }
  mutable size_t steps = 0;

 private:
  std::unique_ptr<DurableStore> inner_;
};

// A view's scan is read from the snapshot as the caller goes: a caller that
// stops after a few entries (a page of a long index) steps over those only.
// What it read is kept, through the entry it stopped on: the same scan
// again reads those from memory and, past them, the rest from the snapshot
// (kept in turn, whole once read to its end within the bound).
TEST(StateCacheTest, ViewScansReadOnlyWhatTheCallerReads) {
  StateCache live(std::make_unique<MemStore>());
  WriteBatch batch;
  for (size_t i = 0; i < 100; ++i) {
    char k[16];
    std::snprintf(k, sizeof(k), "k%06zu", i);
    batch.Put(k, "v" + std::to_string(i));
  }
  ASSERT_TRUE(live.Write(batch).ok());
  auto owned = std::make_unique<SteppedSnapshot>(live.Snapshot());
  SteppedSnapshot* snapshot = owned.get();
  auto view = std::make_shared<StateCache>(std::move(owned));
  live.LinkView(*view, nullptr, nullptr);
  auto read = [&](size_t n) {
    std::vector<std::string> keys;
    auto it = view->Scan("k000050", "l");
    for (; it->Valid() && keys.size() < n; it->Next()) {
      keys.emplace_back(it->key());
      EXPECT_EQ(it->value(), "v" + std::to_string(50 + keys.size() - 1));
    }
    if (it->Valid()) keys.emplace_back(it->key());  // where it stopped
    return keys;
  };
  auto want = [](size_t from, size_t n) {
    std::vector<std::string> keys;
    for (size_t i = from; i < from + n && i < 100; ++i) {
      char k[16];
      std::snprintf(k, sizeof(k), "k%06zu", i);
      keys.emplace_back(k);
    }
    return keys;
  };
  EXPECT_EQ(read(3), want(50, 4));  // 3 read, stopped on the 4th
  EXPECT_EQ(snapshot->steps, 3u);
  EXPECT_EQ(view->scan_hits(), 0u);
  EXPECT_EQ(read(3), want(50, 4));  // from memory: no snapshot step
  EXPECT_EQ(read(2), want(50, 3));
  EXPECT_EQ(snapshot->steps, 3u);
  EXPECT_EQ(view->scan_hits(), 2u);
  EXPECT_EQ(read(10), want(50, 11));  // 4 from memory, 7 from the snapshot
  EXPECT_EQ(snapshot->steps, 3u + 6u);
  EXPECT_EQ(read(10), want(50, 11));  // the longer read was kept
  EXPECT_EQ(snapshot->steps, 3u + 6u);
  EXPECT_EQ(read(100), want(50, 50));  // to the end: 39 steps more
  EXPECT_EQ(snapshot->steps, 3u + 6u + 39u);
  EXPECT_EQ(read(100), want(50, 50));  // kept whole
  EXPECT_EQ(read(3), want(50, 4));
  EXPECT_EQ(snapshot->steps, 3u + 6u + 39u);
  EXPECT_EQ(view->scan_hits(), 7u);
  // A reverse scan stopped early is not kept (it reads the snapshot again).
  for (int pass = 0; pass < 2; ++pass) {
    auto it = view->Scan("k000010", "k000020", true);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), "k000019");
  }
  EXPECT_EQ(view->scan_hits(), 7u);
}

TEST(StateCacheTest, OnlyTheViewOpenedJustBeforeIsLinkedAndOnlyTheNewestKeepsItsLink) {
  StateCache live(std::make_unique<MemStore>());
  ASSERT_TRUE(live.Put("a", "1").ok());
  auto first = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*first, nullptr, nullptr);
  ASSERT_EQ(*first->Get("a"), "1");  // now held by `first`
  auto second = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*second, first, first.get());
  ASSERT_EQ(*second->Get("a"), "1");
  EXPECT_EQ(second->linked_hits(), 1u);
  // A third view linked to `first` (not the last view opened) starts cold.
  auto third = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*third, first, first.get());
  ASSERT_EQ(*third->Get("a"), "1");
  EXPECT_EQ(third->linked_hits(), 0u);
  // Opening `third` dropped `second`'s link: `first` is no longer kept by it.
  std::weak_ptr<const StateCache> first_alive = first;
  first.reset();
  ASSERT_EQ(*second->Get("b"), std::nullopt);
  EXPECT_TRUE(first_alive.expired() || second->linked_hits() == 1u);
  // A view of another chain's cache is never a link.
  StateCache other(std::make_unique<MemStore>());
  auto foreign = std::make_shared<StateCache>(other.Snapshot());
  other.LinkView(*foreign, nullptr, nullptr);
  ASSERT_TRUE(foreign->Get("a").ok());
  auto fourth = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*fourth, foreign, foreign.get());
  ASSERT_EQ(*fourth->Get("a"), "1");
  EXPECT_EQ(fourth->linked_hits(), 0u);
}

// `n` unread views of `live` opened after `from`, then the view that reads
// (each linked to the one before it); returns the last.
std::shared_ptr<StateCache> ViewsAfter(StateCache& live, std::shared_ptr<StateCache> from,
                                       size_t n) {
  for (size_t i = 0; i <= n; ++i) {
    auto next = std::make_shared<StateCache>(live.Snapshot());
    live.LinkView(*next, from, from.get());
    from = next;
  }
  return from;
}

// A view nobody read does not cut the chain: the next view reads what the
// view before it held, unless a block since wrote the key; at most
// kMaxLinks views back.
TEST(StateCacheTest, UnreadViewsArePassedOver) {
  StateCache live(std::make_unique<MemStore>());
  ASSERT_TRUE(live.Put("a", "1").ok());
  ASSERT_TRUE(live.Put("b", "2").ok());
  auto first = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*first, nullptr, nullptr);
  ASSERT_EQ(*first->Get("a"), "1");
  ASSERT_EQ(*first->Get("b"), "2");
  ASSERT_TRUE(live.Put("b", "3").ok());  // written after `first`
  auto reader = ViewsAfter(live, first, StateCache::kMaxLinks - 1);  // unread views in between
  EXPECT_EQ(*reader->Get("a"), "1");
  EXPECT_EQ(reader->linked_hits(), 1u);  // from `first`, kMaxLinks views back
  EXPECT_EQ(*reader->Get("b"), "3");     // written since: from the snapshot
  EXPECT_EQ(reader->linked_hits(), 1u);
  // kMaxLinks unread views after `reader`: it is out of reach.
  auto late = ViewsAfter(live, reader, StateCache::kMaxLinks);
  EXPECT_EQ(*late->Get("a"), "1");
  EXPECT_EQ(late->linked_hits(), 0u);
}

// A view starts with the scan results of the view before it that were used
// in the last kScanCarryViews views (StateCache::CarryScans), a block's
// writes in their range applied (StateCache::Patched): beyond the reach of
// the links, and not once unused for longer.
TEST(StateCacheTest, ScanResultsCarryForwardWhileRecentlyUsed) {
  static_assert(StateCache::kMaxLinks + 2 < StateCache::kScanCarryViews);
  StateCache live(std::make_unique<MemStore>());
  ASSERT_TRUE(live.Put("p/a", "1").ok());
  ASSERT_TRUE(live.Put("q/a", "2").ok());
  auto first = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*first, nullptr, nullptr);
  auto count = [](const StateCache& view, std::string_view begin, std::string_view end) {
    size_t n = 0;
    for (auto it = view.Scan(begin, end); it->Valid(); it->Next()) ++n;
    return n;
  };
  ASSERT_EQ(count(*first, "p/", "p0"), 1u);
  ASSERT_EQ(count(*first, "q/", "q0"), 1u);
  ASSERT_TRUE(live.Put("q/b", "3").ok());  // in q's range, after `first`
  // `first` is out of the links' reach:
  auto reader = ViewsAfter(live, first, StateCache::kMaxLinks + 1);
  EXPECT_EQ(count(*reader, "p/", "p0"), 1u);
  EXPECT_EQ(reader->scan_hits(), 1u);  // carried from `first`
  EXPECT_EQ(count(*reader, "q/", "q0"), 2u);  // written since: carried with the write
  EXPECT_EQ(reader->scan_hits(), 2u);
  // Unused for kScanCarryViews views it is no longer carried (and the views
  // that still carried it are out of the links' reach too).
  auto late = ViewsAfter(live, reader, StateCache::kScanCarryViews + StateCache::kMaxLinks);
  EXPECT_EQ(count(*late, "p/", "p0"), 1u);
  EXPECT_EQ(late->scan_hits(), 0u);
  // Written in the last block: carried with the write.
  ASSERT_EQ(count(*late, "q/", "q0"), 2u);
  ASSERT_TRUE(live.Put("q/c", "4").ok());
  auto next = ViewsAfter(live, late, 0);
  EXPECT_EQ(count(*next, "q/", "q0"), 3u);
  EXPECT_EQ(count(*next, "p/", "p0"), 1u);
  EXPECT_EQ(next->scan_hits(), 2u);
}

// A result a block wrote in is carried with the block's puts and deletes
// in the part it holds applied, each written key's value read in the new
// view; a reverse scan's result, or one the block wrote more than
// kMaxMergedOps keys of, is read from the new view's snapshot instead.
TEST(StateCacheTest, WrittenScanResultsArePatchedIntoTheNextView) {
  StateCache live(std::make_unique<MemStore>());
  for (const char* k : {"p/a", "p/b", "p/c", "p/d", "q/a", "q/b", "r/a"}) {
    ASSERT_TRUE(live.Put(k, std::string("old ") + k).ok());
  }
  auto read = [](const StateCache& view, const std::string& table, size_t n, bool reverse) {
    std::vector<std::string> got;
    auto it = view.Scan(table + "/", table + "0", reverse);
    for (; it->Valid() && got.size() < n; it->Next()) {
      got.push_back(std::string(it->key()) + "=" + std::string(it->value()));
    }
    return got;
  };
  auto from_store = [&](const std::string& table, size_t n, bool reverse) {
    return read(live, table, n, reverse);
  };
  auto view = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*view, nullptr, nullptr);
  ASSERT_EQ(read(*view, "p", 2, false).size(), 2u);  // keeps [p/a, p/c]: two read, stopped on p/c
  ASSERT_EQ(read(*view, "q", 9, false).size(), 2u);  // whole
  ASSERT_EQ(read(*view, "r", 9, true).size(), 1u);   // whole, reverse
  // In p's part: a rewrite, a delete and a new key; past it (p/d) too. In q:
  // more keys than kMaxMergedOps. In r: one.
  WriteBatch batch;
  batch.Put("p/b", "new p/b");
  batch.Delete("p/a");
  batch.Put("p/bb", "new p/bb");
  batch.Put("p/d", "new p/d");
  for (size_t i = 0; i <= StateCache::kMaxMergedOps; ++i) {
    batch.Put("q/b" + std::to_string(i), "new");
  }
  batch.Put("r/b", "new r/b");
  ASSERT_TRUE(live.Write(batch).ok());
  auto next = ViewsAfter(live, view, 0);
  const size_t hits = next->scan_hits();
  EXPECT_EQ(read(*next, "p", 2, false), from_store("p", 2, false));
  EXPECT_EQ(next->scan_hits(), hits + 1);  // carried, patched
  EXPECT_EQ(read(*next, "p", 2, false),
            (std::vector<std::string>{"p/b=new p/b", "p/bb=new p/bb"}));
  EXPECT_EQ(read(*next, "p", 9, false), from_store("p", 9, false));  // the rest from the snapshot
  EXPECT_EQ(next->scan_hits(), hits + 3);
  EXPECT_EQ(read(*next, "q", 99, false), from_store("q", 99, false));
  EXPECT_EQ(read(*next, "r", 9, true), from_store("r", 9, true));
  EXPECT_EQ(next->scan_hits(), hits + 3);  // q and r read from the snapshot
}

// A partial result held by one view serves the next (linked, or carried
// beyond the links); a write past the part it holds leaves it, and the rest
// is read from the new view's snapshot; a write inside it is applied to it.
TEST(StateCacheTest, PartialViewScansCarryWhileTheirPartIsUnwritten) {
  StateCache live(std::make_unique<MemStore>());
  for (const char* k : {"p/a", "p/b", "p/c", "p/d", "q/a", "q/b", "q/c"}) {
    ASSERT_TRUE(live.Put(k, "1").ok());
  }
  auto first = std::make_shared<StateCache>(live.Snapshot());
  live.LinkView(*first, nullptr, nullptr);
  auto page = [](const StateCache& view, size_t n, const std::string& table = "p") {
    std::vector<std::string> keys;
    auto it = view.Scan(table + "/", table + "0");
    for (; it->Valid() && keys.size() < n; it->Next()) keys.emplace_back(it->key());
    return keys;
  };
  using V = std::vector<std::string>;
  ASSERT_EQ(page(*first, 1), (V{"p/a"}));  // keeps [p/a, p/b]
  ASSERT_TRUE(live.Put("p/c2", "2").ok());  // past the part kept
  auto second = ViewsAfter(live, first, 0);
  EXPECT_EQ(page(*second, 2), (V{"p/a", "p/b"}));
  EXPECT_EQ(second->scan_hits(), 1u);  // from `first`
  // The rest comes from this view's snapshot (p/c2 is in it).
  EXPECT_EQ(page(*second, 10), (V{"p/a", "p/b", "p/c", "p/c2", "p/d"}));
  EXPECT_EQ(second->scan_hits(), 2u);
  // Carried beyond the links' reach while its part is unwritten.
  ASSERT_EQ(page(*second, 1), (V{"p/a"}));
  auto far = ViewsAfter(live, second, StateCache::kMaxLinks + 1);
  EXPECT_EQ(page(*far, 10), (V{"p/a", "p/b", "p/c", "p/c2", "p/d"}));
  EXPECT_EQ(far->scan_hits(), 1u);
  // A write inside the part it holds: carried with it.
  auto third = ViewsAfter(live, far, 0);
  ASSERT_EQ(page(*third, 1, "q"), (V{"q/a"}));  // keeps [q/a, q/b]
  ASSERT_TRUE(live.Put("q/aa", "3").ok());
  auto fourth = ViewsAfter(live, third, 0);
  EXPECT_EQ(page(*fourth, 3, "q"), (V{"q/a", "q/aa", "q/b"}));
  EXPECT_EQ(fourth->scan_hits(), 1u);
}

// Views linked while reader threads query the newest and older ones (as the
// gRPC server's event threads do while blocks commit): every read and scan of
// a view is its snapshot's.
TEST(StateCacheTest, LinkedViewsUnderConcurrentReaders) {
  auto owned = std::make_unique<MemStore>();
  StateCache live(std::move(owned));
  auto key = [](int k) {
    char b[8];
    std::snprintf(b, sizeof(b), "k%03d", k);
    return std::string(b);
  };
  for (int k = 0; k < 200; ++k) ASSERT_TRUE(live.Put(key(k), "v0").ok());
  std::mutex mu;
  std::vector<std::shared_ptr<StateCache>> views;  // guarded by mu; newest last
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::atomic<size_t> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      while (!done) {
        std::shared_ptr<StateCache> v;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (views.empty()) continue;
          const size_t back = std::min<size_t>(views.size() - 1, rng() % 3 == 0 ? rng() % 4 : 0);
          v = views[views.size() - 1 - back];
        }
        for (int r = 0; r < 20; ++r) {
          const std::string k = key(static_cast<int>(rng() % 200));
          absl::StatusOr<std::optional<std::string>> got = v->Get(k);
          if (!got.ok() || *got != *v->store()->Get(k)) ++wrong;
          ++reads;
        }
        const int a = static_cast<int>(rng() % 190);
        const size_t stop = rng() % 2 == 0 ? rng() % 3 : SIZE_MAX;  // some stop early
        KvList got, want;
        for (auto it = v->Scan(key(a), key(a + 5)); it->Valid(); it->Next()) {
          got.emplace_back(it->key(), it->value());
          if (got.size() > stop) break;
        }
        for (auto it = v->store()->Scan(key(a), key(a + 5)); it->Valid(); it->Next()) {
          want.emplace_back(it->key(), it->value());
          if (want.size() > stop) break;
        }
        if (got != want) ++wrong;
      }
    });
  }
  std::mt19937 rng(9);
  std::shared_ptr<StateCache> previous;
  for (int block = 1; block <= 150; ++block) {
    WriteBatch batch;
    for (int i = 0; i < 6; ++i) {
      const std::string k = key(static_cast<int>(rng() % 200));
      if (rng() % 4 == 0) {
        batch.Delete(k);
      } else {
        batch.Put(k, "v" + std::to_string(block));
      }
    }
    ASSERT_TRUE(live.Consume(batch).ok());
    auto view = std::make_shared<StateCache>(live.Snapshot());
    live.LinkView(*view, previous, previous.get());
    {
      std::lock_guard<std::mutex> lock(mu);
      views.push_back(view);
      if (views.size() > 8) views.erase(views.begin());
    }
    previous = view;
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  done = true;
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(reads.load(), 1000u);
  size_t linked = 0;
  for (const auto& v : views) linked += v->linked_hits();
  EXPECT_GT(linked, 0u);
}

// Through Chain::CommittedView(previous) on RocksDB: views of consecutive
// blocks read the committed values, and the later one reads an unchanged
// record from its link.
TEST(ChainTest, LinkedCommittedViewsReadTheirBlocks) {
  std::string dir = ::testing::TempDir() + "/chain_test_linked_view";
  std::filesystem::remove_all(dir);
  PrivateKey alice = PrivateKey::FromSeed("alice");
  PrivateKey bob = PrivateKey::FromSeed("signer-0");
  auto chain = NewChain(std::move(*RocksDbStore::Open(dir)));
  const std::string a = chain->AddressOf(alice.PublicKey());
  const std::string b = chain->AddressOf(bob.PublicKey());
  std::shared_ptr<const Chain> previous;
  for (uint64_t h = 0; h < 6; ++h) {
    ASSERT_TRUE(chain->BeginBlock(kT0 + h).ok());
    ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, h, "test/put", "a" + std::to_string(h))).ok());
    if (h == 0) {
      ASSERT_TRUE(chain->DeliverTx(MakeTx(bob, 0, "test/put", "b0")).ok());
    }
    ASSERT_TRUE(chain->Commit().ok());
    auto view = chain->CommittedView(previous);
    ASSERT_TRUE(view.ok()) << view.status();
    EXPECT_EQ((*view)->height(), h + 1);
    EXPECT_EQ(Read(**view, a), "a" + std::to_string(h));
    EXPECT_EQ(Read(**view, b), "b0");
    EXPECT_EQ((*view)->GetAccount(AccountAddress(a))->sequence, h + 1);
    // Bob's record was written in block 1 only: from block 2 on, the link.
    const auto* cache = static_cast<const StateCache*>((*view)->durable());
    EXPECT_EQ(cache->linked_hits() > 0, h > 0) << h;
    previous = std::move(*view);
  }
  previous.reset();
  chain.reset();
  std::filesystem::remove_all(dir);
}

// The app hash definition (docs/architecture.md) computed by hand; and a
// commit whose write fails leaves the block open exactly as it was: the
// retried commit gives the hash of a chain that never failed.
TEST(ChainCommitTest, AppHashDefinitionAndFailedWriteLeavesBlockAsItWas) {
  auto owned = std::make_unique<FlakyStore>();
  FlakyStore* flaky = owned.get();
  auto chain = NewChain(std::move(owned));
  auto clean = NewChain(std::make_unique<MemStore>());
  PrivateKey alice = PrivateKey::FromSeed("alice");
  for (Chain* c : {chain.get(), clean.get()}) {
    ASSERT_TRUE(c->BeginBlock(kT0 + 7).ok());
    ASSERT_TRUE(c->DeliverTx(MakeTx(alice, 0, "test/put", "v")).ok());
  }
  // The block's writes: the message's record and alice's account (account
  // number 0, sequence 1, her public key stored by the ante).
  WriteBatch expected_batch;
  expected_batch.Put(Encoder(0xF0).Str(chain->AddressOf(alice.PublicKey())).Take(), "v");
  expected_batch.Put(Encoder(0x02).Str(chain->AddressOf(alice.PublicKey())).Take(),
                     Encoder().U64(0).U64(1).Bytes(alice.PublicKey()).Take());
  const Hash256 genesis = clean->app_hash();  // NewChain's genesis (the accounts)
  const Hash256 expected = Sha256(
      Encoder()
          .Raw(std::string_view(reinterpret_cast<const char*>(genesis.data()), genesis.size()))
          .U64(1)
          .U64(kT0 + 7)
          .Raw(expected_batch.Serialize())
          .Take());
  flaky->fail = true;
  EXPECT_FALSE(chain->Commit().ok());
  EXPECT_TRUE(chain->block_open());
  EXPECT_EQ(chain->height(), 1u);
  flaky->fail = false;
  auto retried = chain->Commit();
  ASSERT_TRUE(retried.ok()) << retried.status();
  auto direct = clean->Commit();
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(*retried, expected);
  EXPECT_EQ(*direct, expected);
  EXPECT_FALSE(chain->block_open());
}

// Block times are int64 nanoseconds (Cosmos times): a later one is refused
// and opens no block; the last one is taken.
TEST(ChainCommitTest, BlockTimesBeyondInt64AreRefused) {
  auto chain = NewChain(std::make_unique<MemStore>());
  const uint64_t last = 9223372036854775807ULL;
  for (uint64_t t : {last + 1, ~uint64_t{0}}) {
    const absl::Status s = chain->BeginBlock(t);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(),
              "block time " + std::to_string(t) + " ns exceeds the signed 64-bit range");
    EXPECT_FALSE(chain->block_open());
  }
  ASSERT_TRUE(chain->BeginBlock(last).ok());
  ASSERT_TRUE(chain->Commit().ok());
  EXPECT_EQ(chain->time_ns(), last);
}

// A record put and deleted in one block, absent before it, leaves no op in
// the block's batch (Overlay::DropAbsentDeletes): the app hash is that of
// the block's other writes. A record the store held keeps its delete.
TEST(ChainCommitTest, ARecordPutAndDeletedInItsBlockLeavesNoOp) {
  auto owned = std::make_unique<MemStore>();
  const MemStore* store = owned.get();
  auto chain = NewChain(std::move(owned));
  PrivateKey alice = PrivateKey::FromSeed("alice");
  const std::string record = Encoder(0xF0).Str(chain->AddressOf(alice.PublicKey())).Take();
  const std::string account = Encoder(0x02).Str(chain->AddressOf(alice.PublicKey())).Take();
  auto expect_commit = [&](uint64_t height, uint64_t time_ns, const WriteBatch& batch) {
    const Hash256 before = chain->app_hash();
    const Hash256 expected = Sha256(
        Encoder()
            .Raw(std::string_view(reinterpret_cast<const char*>(before.data()), before.size()))
            .U64(height)
            .U64(time_ns)
            .Raw(batch.Serialize())
            .Take());
    absl::StatusOr<Hash256> committed = chain->Commit();
    ASSERT_TRUE(committed.ok()) << committed.status();
    EXPECT_EQ(*committed, expected) << "height " << height;
  };
  ASSERT_TRUE(chain->BeginBlock(kT0 + 7).ok());
  ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 0, "test/put", "v")).ok());
  ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 1, "test/drop", "")).ok());
  WriteBatch only_account;
  only_account.Put(account, Encoder().U64(0).U64(2).Bytes(alice.PublicKey()).Take());
  expect_commit(1, kT0 + 7, only_account);
  EXPECT_FALSE(*store->Has(record));

  ASSERT_TRUE(chain->BeginBlock(kT0 + 8).ok());
  ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 2, "test/put", "w")).ok());
  WriteBatch put;
  put.Put(record, "w");
  put.Put(account, Encoder().U64(0).U64(3).Bytes(alice.PublicKey()).Take());
  expect_commit(2, kT0 + 8, put);

  ASSERT_TRUE(chain->BeginBlock(kT0 + 9).ok());
  ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 3, "test/put", "x")).ok());
  ASSERT_TRUE(chain->DeliverTx(MakeTx(alice, 4, "test/drop", "")).ok());
  WriteBatch held;
  held.Delete(record);
  held.Put(account, Encoder().U64(0).U64(5).Bytes(alice.PublicKey()).Take());
  expect_commit(3, kT0 + 9, held);
  EXPECT_FALSE(*store->Has(record));
}

}  // namespace
}  // namespace mesh::node
