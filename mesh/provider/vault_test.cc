// Vault multitest scenarios (mesh-provider.md §8.1) with their exact numbers.
#include "mesh/provider/vault.h"

#include <set>
#include <vector>

#include "core/codec.h"
#include "core/kv.h"
#include "core/record.h"
#include "gtest/gtest.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/tables.h"
#include "mesh/provider/test_util.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)
using Answer = ConsumerStub::Answer;

const Denom kOsmo("OSMO");
const AccountAddress kUser1("user1");
const AccountAddress kUser2("user2");

class VaultTest : public ::testing::Test {
 protected:
  // The reference's setup(owner, slash_percent, unbond_period): local liens at
  // 10%, cross liens at slash_percent.
  void Setup(uint64_t slash_percent, uint64_t period, bool local = true) {
    std::optional<LocalStakingConfig> lc;
    if (local) lc = LocalStakingConfig{kOsmo, Pct(10), Pct(10)};
    ASSERT_TRUE(h_.Run([&](const Context& c) { return Vault::Init(c, kOsmo, lc); }).ok());
    AddConsumer(cs1_, slash_percent, period);
  }
  void AddConsumer(const ConsumerStub& cs, uint64_t slash_percent, uint64_t period) {
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return ExternalStaking::Init(c, cs.id(),
                                                 ExtConfig("OSMO", "star", period, slash_percent));
                  }).ok());
  }
  // `n` users "u100", "u101", ... each funded with and bonding 1.
  void BondUsers(int n) {
    for (int i = 0; i < n; ++i) {
      AccountAddress u("u" + std::to_string(100 + i));
      h_.Fund(u, kOsmo, A(1));
      ASSERT_TRUE(h_.Bond(u, A(1)).ok());
    }
  }
  void Activate(const ConsumerStub& cs, const char* v) {
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return RemoteValidators::Apply(c, cs.id(), Val(v),
                                                   RemoteValidators::Op::kAdd, 100, 1234,
                                                   "mock-pubkey");
                  }).ok());
  }
  absl::StatusOr<uint64_t> StakeRemote(const ConsumerStub& cs, const AccountAddress& u,
                                       u128 amount, const char* v = "validator") {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, u, cs.id(), A(amount), Val(v));
    });
  }
  // stake_remote + commit.
  void StakeRemotely(ConsumerStub& cs, const AccountAddress& u, u128 amount,
                     const char* v = "validator") {
    absl::StatusOr<uint64_t> id = StakeRemote(cs, u, amount, v);
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(cs.Reply(*id, Answer::kAck).ok());
  }
  absl::Status StakeLocal(const AccountAddress& u, u128 amount, const char* v = "validator") {
    return h_.Run([&](const Context& c) { return Vault::StakeLocal(c, u, A(amount), Val(v)); });
  }
  std::vector<Claim> Claims(const AccountAddress& u) {
    return Vault::AccountClaims(h_.ctx(), u).value();
  }
  std::vector<VaultTx> Pending() { return Vault::AllPendingTxsDesc(h_.ctx()).value(); }
  void ExpectAccount(const AccountAddress& u, u128 bonded, AmountRange free) {
    AccountInfo a = h_.Account(u);
    EXPECT_EQ(a.denom, kOsmo);
    EXPECT_EQ(a.bonded, A(bonded));
    EXPECT_EQ(a.free, free) << a.free.ToString();
  }
  // Claims compared as a set keyed by holder (reference order came from
  // address hashing).
  void ExpectClaims(const AccountAddress& u, std::map<std::string, AmountRange> want) {
    std::map<std::string, AmountRange> got;
    for (const Claim& c : Claims(u)) got[c.holder.Key()] = c.amount;
    EXPECT_EQ(got, want);
  }

  Harness h_;
  ConsumerStub cs1_{&h_, ConsumerId("cs1")};
  ConsumerStub cs2_{&h_, ConsumerId("cs2")};
};

TEST_F(VaultTest, Instantiation) {
  Setup(0, 100);
  EXPECT_EQ(Vault::Config(h_.ctx()).value().denom, kOsmo);
  EXPECT_TRUE(Vault::AllAccounts(h_.ctx(), false).value().empty());
}

TEST_F(VaultTest, Bonding) {
  h_.Fund(kUser1, kOsmo, A(300));
  Setup(0, 100);
  ExpectAccount(kUser1, 0, R(0));
  EXPECT_TRUE(Claims(kUser1).empty());
  ASSERT_TRUE(h_.Bond(kUser1, A(100)).ok());
  ExpectAccount(kUser1, 100, R(100));
  EXPECT_TRUE(Claims(kUser1).empty());
  EXPECT_EQ(h_.Balance(kUser1, kOsmo), A(200));
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(100));
  ASSERT_TRUE(h_.Bond(kUser1, A(150)).ok());
  ExpectAccount(kUser1, 250, R(250));
  EXPECT_EQ(h_.Balance(kUser1, kOsmo), A(50));
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(250));
  ASSERT_TRUE(h_.Unbond(kUser1, A(200)).ok());
  ExpectAccount(kUser1, 50, R(50));
  EXPECT_EQ(h_.Balance(kUser1, kOsmo), A(250));
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(50));
  ASSERT_TRUE(h_.Unbond(kUser1, A(20)).ok());
  ExpectAccount(kUser1, 30, R(30));
  EXPECT_EQ(h_.Balance(kUser1, kOsmo), A(270));
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(30));
  absl::Status s = h_.Unbond(kUser1, A(100));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "Claim is locked, only (30, 30) can be unbonded");
}

TEST_F(VaultTest, LocalStakingDisabled) {
  h_.Fund(kUser1, kOsmo, A(300));
  InitNativeStaking(h_, "OSMO", 60, {"local"});
  Setup(10, 100, /*local=*/false);
  Activate(cs1_, "remote");
  ASSERT_TRUE(h_.Bond(kUser1, A(300)).ok());
  absl::Status s = StakeLocal(kUser1, 100, "local");
  EXPECT_EQ(s.message(), kErrNoLocalStaking);
  EXPECT_FALSE(Vault::Config(h_.ctx()).value().local_staking);
  ASSERT_TRUE(StakeRemote(cs1_, kUser1, 100, "remote").ok());
  ExpectAccount(kUser1, 300, R(200, 300));
}

TEST_F(VaultTest, StakeLocal) {
  h_.Fund(kUser1, kOsmo, A(300));
  InitNativeStaking(h_, "OSMO", 60, {"validator"});
  Setup(10, 100);
  ASSERT_TRUE(h_.Bond(kUser1, A(300)).ok());
  const AccountAddress proxy = LocalStaking::ProxyAccount(kUser1);
  ExpectAccount(kUser1, 300, R(300));
  EXPECT_TRUE(Claims(kUser1).empty());
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(300));
  EXPECT_EQ(h_.Balance(proxy, kOsmo), A(0));

  ASSERT_TRUE(StakeLocal(kUser1, 100).ok());
  ExpectAccount(kUser1, 300, R(200));
  ExpectClaims(kUser1, {{"local", R(100)}});
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(200));
  ASSERT_TRUE(StakeLocal(kUser1, 150).ok());
  ExpectAccount(kUser1, 300, R(50));
  ExpectClaims(kUser1, {{"local", R(250)}});
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(50));
  EXPECT_EQ(StakeLocal(kUser1, 150).message(), kErrInsufficientBalance);
  EXPECT_EQ(h_.Unbond(kUser1, A(100)).message(),
            "Claim is locked, only (50, 50) can be unbonded");

  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Unstake(c, kUser1, Val("validator"), A(50));
                }).ok());
  h_.AdvanceSeconds(61, 13);
  EndBlock(h_);
  ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                  return LocalStaking::ReleaseUnbonded(c, kUser1);
                }).ok());
  ExpectAccount(kUser1, 300, R(100));
  ExpectClaims(kUser1, {{"local", R(200)}});
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(100));

  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return LocalStaking::Unstake(c, kUser1, Val("validator"), A(100));
                }).ok());
  h_.AdvanceSeconds(61, 13);
  EndBlock(h_);
  ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                  return LocalStaking::ReleaseUnbonded(c, kUser1);
                }).ok());
  ExpectAccount(kUser1, 300, R(200));
  ExpectClaims(kUser1, {{"local", R(100)}});
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(200));
}

TEST_F(VaultTest, StakeCross) {
  h_.Fund(kUser1, kOsmo, A(300));
  Setup(10, 100);
  Activate(cs1_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(300)).ok());
  ExpectAccount(kUser1, 300, R(300));
  EXPECT_TRUE(Claims(kUser1).empty());
  EXPECT_TRUE(Vault::ActiveExternalStaking(h_.ctx()).value().empty());

  absl::StatusOr<uint64_t> tx = StakeRemote(cs1_, kUser1, 100);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(Vault::ActiveExternalStaking(h_.ctx()).value(), std::vector<ConsumerId>{cs1_.id()});
  ExpectAccount(kUser1, 300, R(200, 300));
  ASSERT_TRUE(cs1_.Reply(*tx, Answer::kAck).ok());
  ExpectAccount(kUser1, 300, R(200));
  ExpectClaims(kUser1, {{"x/cs1", R(100)}});
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(300));

  tx = StakeRemote(cs1_, kUser1, 150);
  ASSERT_TRUE(tx.ok());
  ExpectAccount(kUser1, 300, R(50, 200));
  ASSERT_TRUE(cs1_.Reply(*tx, Answer::kAck).ok());
  ExpectAccount(kUser1, 300, R(50));
  ExpectClaims(kUser1, {{"x/cs1", R(250)}});
  EXPECT_EQ(StakeRemote(cs1_, kUser1, 150).status().message(), kErrInsufficientBalance);
  ExpectAccount(kUser1, 300, R(50));
  EXPECT_EQ(h_.Unbond(kUser1, A(100)).message(),
            "Claim is locked, only (50, 50) can be unbonded");

  auto unstake = [&](u128 amount, const char* v) {
    return h_.RunOr<uint64_t>([&](const Context& c) {
      return ExternalStaking::Unstake(c, cs1_.id(), kUser1, Val(v), A(amount));
    });
  };
  auto withdraw = [&] {
    ASSERT_TRUE(h_.RunOr<Amount>([&](const Context& c) {
                    return ExternalStaking::WithdrawUnbonded(c, cs1_.id(), kUser1);
                  }).ok());
  };
  ASSERT_TRUE(unstake(50, "validator").ok());
  ExpectAccount(kUser1, 300, R(50));
  ExpectClaims(kUser1, {{"x/cs1", R(250)}});
  h_.AdvanceSeconds(100);
  ASSERT_TRUE(cs1_.ReplyLast(Answer::kAck).ok());  // releases at now + 100
  h_.AdvanceSeconds(99);
  withdraw();
  ExpectAccount(kUser1, 300, R(50));
  h_.AdvanceSeconds(1);
  withdraw();
  ExpectAccount(kUser1, 300, R(100));
  ExpectClaims(kUser1, {{"x/cs1", R(200)}});
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(300));

  ASSERT_TRUE(unstake(100, "validator").ok());
  ASSERT_TRUE(cs1_.ReplyLast(Answer::kAck).ok());
  h_.AdvanceSeconds(100);
  withdraw();
  ExpectAccount(kUser1, 300, R(200));
  ExpectClaims(kUser1, {{"x/cs1", R(100)}});

  // Unstaking from a "validator" named like the user, by another account.
  absl::StatusOr<uint64_t> bad = h_.RunOr<uint64_t>([&](const Context& c) {
    return ExternalStaking::Unstake(c, cs1_.id(), Addr("owner"), Val("user1"), A(300));
  });
  EXPECT_EQ(bad.status().message(), "Not enough tokens staked, up to 0 can be unbond");
}

// A repeated stake writes only what changes: the user record (its liens
// are in it) and the stake, no unchanged stake index entry (0xEF),
// active-external entry (0x53) or consumer list (0x6F); the lien check
// counts every lien of the user record it read.
TEST_F(VaultTest, RepeatedStakeRemoteWritesOnlyWhatChanges) {
  h_.Fund(kUser1, kOsmo, A(1000));
  InitNativeStaking(h_, "OSMO", 60, {"validator"});
  Setup(100, 100);  // remote liens 100 % slashable, local ones 10 %
  AddConsumer(cs2_, 100, 100);
  Activate(cs1_, "validator");
  Activate(cs2_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(1000)).ok());
  ASSERT_TRUE(StakeLocal(kUser1, 100).ok());
  StakeRemotely(cs1_, kUser1, 100);
  StakeRemotely(cs2_, kUser1, 200);
  EXPECT_EQ(Vault::ActiveExternalStaking(h_.ctx()).value(),
            (std::vector<ConsumerId>{cs1_.id(), cs2_.id()}));

  Context base = h_.ctx();
  Overlay tx(&base.store());
  const Context c = base.WithStore(&tx);
  ASSERT_TRUE(Vault::StakeRemote(c, kUser1, cs1_.id(), A(50), Val("validator")).ok());
  std::set<uint8_t> tables_written;
  for (const auto& [key, value] : tx.pending().ops()) {
    tables_written.insert(static_cast<uint8_t>(key[0]));
  }
  EXPECT_EQ(tables_written.count(tables::kUsers), 1u);
  EXPECT_EQ(tables_written.count(tables::kExtStakesByUser), 0u);
  EXPECT_EQ(tables_written.count(tables::kRetiredExtStakes), 0u);
  EXPECT_EQ(tables_written.count(tables::kRetiredExtStakesByVal), 0u);
  EXPECT_EQ(tables_written.count(tables::kActiveExternal), 0u);
  EXPECT_EQ(tables_written.count(tables::kActiveExternalList), 0u);
  EXPECT_EQ(tables_written.count(tables::kRetiredLiens), 0u);
  EXPECT_EQ(tables_written.count(tables::kRetiredUsers), 0u);
  EXPECT_EQ(tables_written.count(tables::kExtStakes), 1u);
  // Every lien counts in the check of the next stake: slashable 10 (local
  // 100 at 10 %) + 150 (cs1 up to 150) + 200 (cs2), so 640 more fit in the
  // collateral of 1000 and 641 do not (without either of the first two
  // liens 641 would fit).
  {
    Overlay failing(&tx);  // discarded, as a failed message's writes are
    EXPECT_EQ(Vault::StakeRemote(base.WithStore(&failing), kUser1, cs2_.id(), A(641),
                                 Val("validator"))
                  .status()
                  .message(),
              kErrInsufficientBalance);
  }
  absl::StatusOr<uint64_t> fits = Vault::StakeRemote(c, kUser1, cs2_.id(), A(640), Val("validator"));
  ASSERT_TRUE(fits.ok()) << fits.status();
  ASSERT_TRUE(tx.Commit().ok());
  ExpectClaims(kUser1, {{"local", R(100)}, {"x/cs1", R(100, 150)}, {"x/cs2", R(200, 840)}});
}

// A state written before the consumer list record (0x6F) existed: the next
// stake writes the list from the table (0x53), and its lien check still
// counts the liens toward the consumers of the table.
TEST_F(VaultTest, StakeRemoteRebuildsMissingConsumerList) {
  h_.Fund(kUser1, kOsmo, A(1000));
  Setup(100, 100);  // remote liens 100 % slashable
  AddConsumer(cs2_, 100, 100);
  Activate(cs1_, "validator");
  Activate(cs2_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(1000)).ok());
  StakeRemotely(cs1_, kUser1, 300);
  ASSERT_TRUE(h_.Run([](const Context& c) {
                  return c.store().Delete(tables::Key(tables::kActiveExternalList));
                }).ok());
  // The cs1 lien still counts: 700 left, not 1000.
  EXPECT_EQ(StakeRemote(cs2_, kUser1, 701).status().message(), kErrInsufficientBalance);
  StakeRemotely(cs2_, kUser1, 700);
  std::optional<std::string> list =
      h_.ctx().store().Get(tables::Key(tables::kActiveExternalList)).value();
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(*list, Encoder().U32(2).Str("cs1").Str("cs2").Take());
  ExpectClaims(kUser1, {{"x/cs1", R(300)}, {"x/cs2", R(700)}});
}

// The user record holds the collateral and every lien (ascending by holder
// key, none empty): a stake, a release or a slash reads and writes that one
// key.
TEST_F(VaultTest, UserRecordHoldsItsLiens) {
  h_.Fund(kUser1, kOsmo, A(1000));
  InitNativeStaking(h_, "OSMO", 60, {"validator"});
  Setup(100, 100);  // remote liens 100 % slashable, local ones 10 %
  AddConsumer(cs2_, 100, 100);
  Activate(cs1_, "validator");
  Activate(cs2_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(1000)).ok());
  auto user_record = [&] {
    return h_.ctx().store().Get(tables::Key(tables::kUsers, kUser1.value())).value().value();
  };
  EXPECT_EQ(user_record(), Encoder().Amt(A(1000)).U32(0).Take());
  StakeRemotely(cs2_, kUser1, 100);
  ASSERT_TRUE(StakeLocal(kUser1, 100).ok());
  StakeRemotely(cs1_, kUser1, 100);
  const Dec full = Pct(100);
  const Dec tenth = Pct(10);
  auto lien = [](Encoder& e, std::string_view key, uint64_t low, uint64_t high, Dec slashable) {
    // Nothing absorbed: no stake slash left a cut to the record.
    e.Str(key).Amt(A(low)).Amt(A(high)).Decimal(slashable).Amt(A(0)).U64(0);
  };
  Encoder three;
  three.Amt(A(1000)).U32(3);
  lien(three, "local", 100, 100, tenth);
  lien(three, "x/cs1", 100, 100, full);
  lien(three, "x/cs2", 100, 100, full);
  EXPECT_EQ(user_record(), three.Take());
  // A lien released to zero leaves the record.
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return Vault::Release(c, LienHolder::External(cs2_.id()), kUser1, A(100));
                }).ok());
  ExpectClaims(kUser1, {{"local", R(100)}, {"x/cs1", R(100)}});
  Encoder two;
  two.Amt(A(1000)).U32(2);
  lien(two, "local", 100, 100, tenth);
  lien(two, "x/cs1", 100, 100, full);
  EXPECT_EQ(user_record(), two.Take());
  StakeRemotely(cs2_, kUser1, 50);
  ExpectClaims(kUser1, {{"local", R(100)}, {"x/cs1", R(100)}, {"x/cs2", R(50)}});
}

// LienHolder::KeyLess orders holders as their keys, which a user record's
// liens follow.
TEST(LienHolderTest, KeyLessIsTheOrderOfTheKeys) {
  const std::vector<LienHolder> holders = {
      LienHolder::Local(),
      LienHolder::External(ConsumerId("a")),
      LienHolder::External(ConsumerId("ab")),
      LienHolder::External(ConsumerId("b")),
      LienHolder::External(ConsumerId("B")),
      LienHolder::External(ConsumerId("-")),
      LienHolder::External(ConsumerId("a-very-long-consumer-id-beyond-small-strings")),
  };
  for (const LienHolder& a : holders) {
    for (const LienHolder& b : holders) {
      EXPECT_EQ(LienHolder::KeyLess(a, b), a.Key() < b.Key()) << a.Key() << " " << b.Key();
    }
  }
}

// A user record is read back only in the form it is written in: holders
// ascending and distinct, no empty lien; anything else is DataLoss.
TEST_F(VaultTest, MalformedUserRecordsAreRefused) {
  auto decode = [](const std::string& bytes) { return DecodeRecord<UserInfo>(bytes).status(); };
  auto record = [](std::vector<std::pair<std::string, uint64_t>> liens) {
    Encoder e;
    e.Amt(A(1000)).U32(static_cast<uint32_t>(liens.size()));
    for (const auto& [key, amount] : liens) {
      e.Str(key).Amt(A(amount)).Amt(A(amount)).Decimal(Pct(100)).Amt(A(0)).U64(0);
    }
    return e.Take();
  };
  EXPECT_TRUE(decode(record({{"local", 5}, {"x/a", 5}, {"x/b", 5}})).ok());
  EXPECT_EQ(decode(record({{"x/b", 5}, {"x/a", 5}})).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(decode(record({{"x/a", 5}, {"x/a", 5}})).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(decode(record({{"x/a", 0}})).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(decode(record({{"bogus", 5}})).code(), absl::StatusCode::kDataLoss);
  // The earlier layout's record (collateral, then holder keys alone).
  EXPECT_EQ(decode(Encoder().Amt(A(1000)).U32(1).Str("x/a").Take()).code(),
            absl::StatusCode::kDataLoss);
}

// A store of an earlier layout (liens in 0x51, users in 0x52; users without
// the deferred cuts' accounting in 0xED) is refused, not misread as a vault
// without users.
TEST_F(VaultTest, AStoreOfTheEarlierLayoutIsRefused) {
  Setup(100, 100);
  ExpectEarlierLayoutRefused(h_,
                             {tables::Key(tables::kRetiredLiens, kUser1.value()),
                              tables::Key(tables::kRetiredUsers, kUser1.value()),
                              tables::Key(tables::kRetiredUnsettledUsers, kUser1.value())},
                             [&] { return Vault::CheckStoredLayout(h_.ctx()); });
}

// A slash reads its users' records a chunk at a time before slashing them;
// a user listed twice is slashed twice, the second time from what the first
// wrote (a list with a repeated user is read one user at a time).
TEST_F(VaultTest, SlashListingAUserTwiceActsAsTwoSlashes) {
  h_.Fund(kUser1, kOsmo, A(1000));
  h_.Fund(kUser2, kOsmo, A(1000));
  Setup(100, 100);  // remote liens 100 % slashable
  Activate(cs1_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(1000)).ok());
  ASSERT_TRUE(h_.Bond(kUser2, A(1000)).ok());
  StakeRemotely(cs1_, kUser1, 300);
  StakeRemotely(cs1_, kUser2, 300);
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return Vault::Slash(c, LienHolder::External(cs1_.id()), Val("validator"),
                                      {SlashInfo{kUser1, A(100)}, SlashInfo{kUser2, A(50)},
                                       SlashInfo{kUser1, A(60)}});
                }).ok());
  ExpectClaims(kUser1, {{"x/cs1", R(140)}});
  ExpectClaims(kUser2, {{"x/cs1", R(250)}});
  const auto collateral = [&](const AccountAddress& u) {
    return Decoder(h_.ctx().store().Get(tables::Key(tables::kUsers, u.value())).value().value())
        .Amt()
        .value();
  };
  EXPECT_EQ(collateral(kUser1), A(840));
  EXPECT_EQ(collateral(kUser2), A(950));
}

TEST_F(VaultTest, StakeCrossTxs) {
  h_.Fund(kUser1, kOsmo, A(300));
  h_.Fund(kUser2, kOsmo, A(500));
  Setup(10, 100);
  Activate(cs1_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(300)).ok());
  ExpectAccount(kUser1, 300, R(300));
  ASSERT_TRUE(h_.Bond(kUser2, A(500)).ok());
  ExpectAccount(kUser2, 500, R(500));
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(800));
  EXPECT_TRUE(Pending().empty());
  EXPECT_EQ(Vault::AllAccounts(h_.ctx(), false).value().size(), 2u);

  uint64_t first = StakeRemote(cs1_, kUser1, 100).value();
  EXPECT_EQ(Pending().size(), 1u);
  uint64_t second = StakeRemote(cs1_, kUser1, 50).value();
  uint64_t third = StakeRemote(cs1_, kUser2, 100).value();
  EXPECT_EQ(Pending().size(), 3u);

  // The lien holder commits the newest tx directly on the vault.
  const LienHolder ext = LienHolder::External(cs1_.id());
  ASSERT_TRUE(h_.Run([&](const Context& c) { return Vault::CommitTx(c, ext, third); }).ok());
  std::vector<VaultTx> pending = Pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, second);
  EXPECT_EQ(pending[1].id, first);
  EXPECT_EQ(pending[0].user, kUser1);
  EXPECT_EQ(pending[0].amount, A(50));

  ExpectAccount(kUser1, 300, R(150, 300));
  ExpectClaims(kUser1, {{"x/cs1", R(0, 150)}});
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(800));
  auto all = Vault::AllAccounts(h_.ctx(), false).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, kUser1);
  EXPECT_EQ(all[0].second.bonded, A(300));
  EXPECT_EQ(all[0].second.free, R(150, 300));
  EXPECT_EQ(all[1].first, kUser2);
  EXPECT_EQ(all[1].second.bonded, A(500));
  EXPECT_EQ(all[1].second.free, R(400));
  ExpectAccount(kUser2, 500, R(400));
  ExpectClaims(kUser2, {{"x/cs1", R(100)}});

  ASSERT_TRUE(h_.Run([&](const Context& c) { return Vault::CommitTx(c, ext, first); }).ok());
  ExpectAccount(kUser1, 300, R(150, 200));
  ExpectClaims(kUser1, {{"x/cs1", R(100, 150)}});
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(800));
  // Another holder cannot resolve the tx.
  EXPECT_EQ(h_.Run([&](const Context& c) {
                return Vault::CommitTx(c, LienHolder::Local(), second);
              }).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(VaultTest, StakeCrossRollbackTx) {
  h_.Fund(kUser1, kOsmo, A(300));
  Setup(10, 100);
  Activate(cs1_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(300)).ok());
  ExpectAccount(kUser1, 300, R(300));
  uint64_t tx = StakeRemote(cs1_, kUser1, 100).value();
  EXPECT_EQ(Pending().size(), 1u);
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return Vault::RollbackTx(c, LienHolder::External(cs1_.id()), tx);
                }).ok());
  EXPECT_TRUE(Pending().empty());
  ExpectAccount(kUser1, 300, R(300));
  EXPECT_TRUE(Claims(kUser1).empty());
  EXPECT_EQ(h_.Balance(kVaultAccount, kOsmo), A(300));
}

TEST_F(VaultTest, MultipleStakes) {
  h_.Fund(kUser1, kOsmo, A(1000));
  InitNativeStaking(h_, "OSMO", 60, {"local"});
  Setup(60, 100);
  AddConsumer(cs2_, 60, 100);
  Activate(cs1_, "validator");
  Activate(cs2_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(1000)).ok());
  ASSERT_TRUE(StakeLocal(kUser1, 300, "local").ok());
  StakeRemotely(cs1_, kUser1, 200);
  StakeRemotely(cs2_, kUser1, 100);
  ExpectAccount(kUser1, 1000, R(700));
  ExpectClaims(kUser1, {{"x/cs2", R(100)}, {"x/cs1", R(200)}, {"local", R(300)}});
  EXPECT_EQ(h_.Account(kUser1).total_slashable, R(210));
  StakeRemotely(cs1_, kUser1, 200);
  StakeRemotely(cs2_, kUser1, 400);
  ExpectAccount(kUser1, 1000, R(430));
  ExpectClaims(kUser1, {{"x/cs2", R(500)}, {"x/cs1", R(400)}, {"local", R(300)}});
  EXPECT_EQ(h_.Account(kUser1).total_slashable, R(570));
  StakeRemotely(cs1_, kUser1, 500);
  EXPECT_EQ(h_.Account(kUser1).max_lien, R(900));
  EXPECT_EQ(h_.Account(kUser1).total_slashable, R(870));
  EXPECT_EQ(StakeRemote(cs2_, kUser1, 400).status().message(), kErrInsufficientBalance);
}

TEST_F(VaultTest, AllUsersFetching) {
  h_.Fund(kUser1, kOsmo, A(300));
  h_.Fund(kUser2, kOsmo, A(300));
  Setup(0, 100);
  auto accounts = [&](bool with_collateral) {
    std::vector<std::tuple<std::string, u128, AmountRange>> out;
    auto all = Vault::AllAccounts(h_.ctx(), with_collateral).value();
    for (auto& [u, a] : all) {
      out.emplace_back(u.value(), a.bonded.raw(), a.free);
    }
    return out;
  };
  using Row = std::tuple<std::string, u128, AmountRange>;
  EXPECT_TRUE(accounts(false).empty());
  EXPECT_TRUE(accounts(true).empty());
  ASSERT_TRUE(h_.Bond(kUser1, A(100)).ok());
  EXPECT_EQ(accounts(false), (std::vector<Row>{{"user1", 100, R(100)}}));
  EXPECT_EQ(accounts(true), accounts(false));
  ASSERT_TRUE(h_.Bond(kUser2, A(200)).ok());
  EXPECT_EQ(accounts(false), (std::vector<Row>{{"user1", 100, R(100)}, {"user2", 200, R(200)}}));
  EXPECT_EQ(accounts(true), accounts(false));
  ASSERT_TRUE(h_.Unbond(kUser1, A(50)).ok());
  EXPECT_EQ(accounts(false), (std::vector<Row>{{"user1", 50, R(50)}, {"user2", 200, R(200)}}));
  EXPECT_EQ(accounts(true), accounts(false));
  ASSERT_TRUE(h_.Unbond(kUser2, A(200)).ok());
  EXPECT_EQ(accounts(false), (std::vector<Row>{{"user1", 50, R(50)}, {"user2", 0, R(0)}}));
  EXPECT_EQ(accounts(true), (std::vector<Row>{{"user1", 50, R(50)}}));
}

// Deviation: pages hold at most 30 entries (the reference clamps with max,
// so a page is at least 30 long).
TEST_F(VaultTest, PaginationClampsToThirty) {
  Setup(0, 100);
  ASSERT_NO_FATAL_FAILURE(BondUsers(40));
  EXPECT_EQ(Vault::AllAccounts(h_.ctx(), false).value().size(), 10u);
  EXPECT_EQ(Vault::AllAccounts(h_.ctx(), false, std::nullopt, 5).value().size(), 5u);
  EXPECT_EQ(Vault::AllAccounts(h_.ctx(), false, std::nullopt, 100).value().size(), 30u);
  auto page = Vault::AllAccounts(h_.ctx(), false, AccountAddress("u129"), 30).value();
  ASSERT_EQ(page.size(), 10u);
  EXPECT_EQ(page.front().first, AccountAddress("u130"));
}

// Deviation: zero amounts are rejected (the reference accepts a zero unbond
// and a zero unstake, which creates a tx and a packet).
TEST_F(VaultTest, ZeroAmountsRejected) {
  h_.Fund(kUser1, kOsmo, A(300));
  Setup(10, 100);
  Activate(cs1_, "validator");
  ASSERT_TRUE(h_.Bond(kUser1, A(300)).ok());
  EXPECT_EQ(h_.Unbond(kUser1, A(0)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h_.Bond(kUser1, A(0)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StakeRemote(cs1_, kUser1, 0).status().code(), absl::StatusCode::kInvalidArgument);
  StakeRemotely(cs1_, kUser1, 100);
  absl::StatusOr<uint64_t> zero = h_.RunOr<uint64_t>([&](const Context& c) {
    return ExternalStaking::Unstake(c, cs1_.id(), kUser1, Val("validator"), A(0));
  });
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(cs1_.Collect().empty());
}

// The users of the vault accounts list, read from a page key (the user):
// the same order as AllAccounts, either way, stopping when told.
TEST_F(VaultTest, UsersAreVisitedFromAPageKey) {
  Setup(0, 100);
  ASSERT_NO_FATAL_FAILURE(BondUsers(12));
  auto walk = [&](std::string_view from, bool reverse, size_t stop_after = 100) {
    std::vector<std::string> got;
    EXPECT_TRUE(Vault::VisitUsers(h_.ctx(), from, reverse,
                                  [&](const AccountAddress& u) -> absl::StatusOr<bool> {
                                    got.push_back(u.value());
                                    return got.size() < stop_after;
                                  })
                    .ok());
    return got;
  };
  std::vector<std::string> listed;
  const auto accounts = Vault::AllAccounts(h_.ctx(), false, std::nullopt, 30).value();
  for (const auto& [u, info] : accounts) listed.push_back(u.value());
  EXPECT_EQ(walk("", false), listed);
  using V = std::vector<std::string>;
  EXPECT_EQ(walk("u105", false, 3), (V{"u105", "u106", "u107"}));
  EXPECT_EQ(walk("u1055", false, 1), (V{"u106"}));
  EXPECT_EQ(walk("u102", true), (V{"u102", "u101", "u100"}));
  EXPECT_EQ(walk("", true, 2), (V{"u111", "u110"}));
}

}  // namespace
}  // namespace mesh::provider
