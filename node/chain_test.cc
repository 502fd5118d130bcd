#include "node/chain.h"

#include <filesystem>

#include "core/codec.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/rocksdb_store.h"
#include "core/status.h"
#include "gtest/gtest.h"
#include "node/staking_msgs.h"
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
}

std::unique_ptr<Chain> NewChain(std::unique_ptr<DurableStore> store) {
  auto chain = Chain::Open(std::move(store), ChainConfig{"test-1", "mesh"});
  EXPECT_TRUE(chain.ok()) << chain.status();
  RegisterTestModule(**chain);
  return std::move(*chain);
}

SignedTx MakeTx(const PrivateKey& key, uint64_t nonce, std::string type, std::string body,
                std::string chain_id = "test-1") {
  Tx tx;
  tx.chain_id = std::move(chain_id);
  tx.nonce = nonce;
  tx.msgs.push_back(Msg{std::move(type), std::move(body)});
  return SignTx(key, std::move(tx));
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
  // Replay of the same nonce is refused.
  TxResult replay = chain->DeliverTx(MakeTx(alice, 0, "test/put", "v2"));
  EXPECT_EQ(replay.code, static_cast<uint32_t>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Read(*chain, addr), "v1");
  EXPECT_TRUE(chain->DeliverTx(MakeTx(alice, 1, "test/put", "v2")).ok());
  EXPECT_EQ(*chain->NextNonce(AccountAddress(addr)), 2u);
}

TEST(ChainTest, RejectsWrongChainBadSignatureAndUnknownMessage) {
  auto chain = NewChain(std::make_unique<MemStore>());
  PrivateKey alice = PrivateKey::FromSeed("alice");
  ASSERT_TRUE(chain->BeginBlock(kT0).ok());
  EXPECT_FALSE(chain->DeliverTx(MakeTx(alice, 0, "test/put", "x", "other-1")).ok());
  SignedTx tampered = MakeTx(alice, 0, "test/put", "x");
  tampered.tx.msgs[0].body = "y";
  EXPECT_FALSE(chain->DeliverTx(tampered).ok());
  EXPECT_EQ(chain->DeliverTx(MakeTx(alice, 0, "nope/nope", "x")).code,
            static_cast<uint32_t>(absl::StatusCode::kInvalidArgument));
  // None of them consumed the nonce.
  EXPECT_EQ(*chain->NextNonce(AccountAddress(chain->AddressOf(alice.PublicKey()))), 0u);
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

// "staking/create_validator" with and without "consensus_pubkey" (hex,
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
  auto body = [](const std::string& key_field) {
    return R"({"amount":"1000000","commission":"0.1")" + key_field + "}";
  };
  auto with_key = [&](const std::string& text) {
    return body(R"(,"consensus_pubkey":")" + text + R"(")");
  };
  auto create = [&](const PrivateKey& op, const std::string& msg_body) {
    return chain->DeliverTx(MakeTx(op, 0, "staking/create_validator", msg_body));
  };
  ASSERT_TRUE(chain->BeginBlock(kT0 + kNanosPerSecond).ok());
  EXPECT_TRUE(create(ops[0], with_key(ToHex(k_hex))).ok());
  EXPECT_TRUE(create(ops[1], with_key(Base64Encode(k_b64))).ok());
  EXPECT_TRUE(create(ops[2], body("")).ok());
  TxResult bad = create(ops[3], with_key(ToHex(k_hex.substr(1))));
  EXPECT_EQ(bad.code, static_cast<uint32_t>(absl::StatusCode::kInvalidArgument)) << bad.log;
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
  uint64_t seq = 0;
  auto tx = [&](const std::string& type, const std::string& body) {
    TxResult r = chain->DeliverTx(MakeTx(op, seq, type, body));
    if (r.ok()) ++seq;
    return r;
  };
  EXPECT_TRUE(tx("staking/create_validator",
                 R"({"amount":"1000000","commission":"0.1","description":{"moniker":"opal"}})")
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
  EXPECT_TRUE(tx("staking/edit_validator",
                 R"({"description":{"website":"https://opal.example","details":"d"}})")
                  .ok());
  EXPECT_EQ(val().description, (staking::Description{"opal", "", "https://opal.example", "d"}));
  EXPECT_EQ(val().commission_rate, Dec::Parse("0.1").value());
  EXPECT_TRUE(tx("staking/edit_validator", R"({"commission":"0.2"})").ok());
  EXPECT_EQ(val().commission_rate, Dec::Parse("0.2").value());
  TxResult bad = tx("staking/edit_validator", R"({"description":{"name":"x"}})");
  EXPECT_EQ(bad.code, static_cast<uint32_t>(absl::StatusCode::kInvalidArgument)) << bad.log;
  TxResult empty = tx("staking/edit_validator", "{}");
  EXPECT_EQ(empty.code, static_cast<uint32_t>(absl::StatusCode::kInvalidArgument)) << empty.log;
  EXPECT_EQ(val().description.moniker, "opal");
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

TEST(ChainTest, BlockTimeCannotGoBackwards) {
  auto chain = NewChain(std::make_unique<MemStore>());
  ASSERT_TRUE(chain->BeginBlock(kT0).ok());
  ASSERT_TRUE(chain->Commit().ok());
  EXPECT_FALSE(chain->BeginBlock(kT0 - 1).ok());
  EXPECT_FALSE(chain->Commit().ok());  // no block open
}

}  // namespace
}  // namespace mesh::node
