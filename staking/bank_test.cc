#include "staking/bank.h"

#include <gtest/gtest.h>

#include "core/kv.h"
#include "staking/test_util.h"

namespace mesh::staking::testing {
namespace {

using absl::StatusCode;

class BankTest : public ::testing::Test {
 protected:
  Context ctx() { return Context(&store_, &block_); }
  MemStore store_;
  BlockInfo block_{"bank", 1, 0};
  AccountAddress alice_{"alice"}, bob_{"bob"};
  Denom atom_{"atom"}, osmo_{"osmo"};
};

TEST_F(BankTest, MintSendBurnAndSupply) {
  Must(Bank::Mint(ctx(), alice_, atom_, A(100)));
  Must(Bank::Mint(ctx(), alice_, osmo_, A(7)));
  Must(Bank::Send(ctx(), alice_, bob_, atom_, A(30)));
  EXPECT_EQ(Must(Bank::Balance(ctx(), alice_, atom_)), A(70));
  EXPECT_EQ(Must(Bank::Balance(ctx(), bob_, atom_)), A(30));
  Must(Bank::Burn(ctx(), bob_, atom_, A(10)));
  EXPECT_EQ(Must(Bank::Supply(ctx(), atom_)), A(90));
  EXPECT_EQ(Must(Bank::SumBalances(ctx(), atom_)), A(90));
  auto all = Must(Bank::Balances(ctx(), alice_));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, atom_);  // ordered by denom
  EXPECT_EQ(all[1].second, A(7));
}

TEST_F(BankTest, SuppliesListsEveryDenomWithSupply) {
  EXPECT_TRUE(Must(Bank::Supplies(ctx())).empty());
  Must(Bank::Mint(ctx(), alice_, osmo_, A(7)));
  Must(Bank::Mint(ctx(), bob_, atom_, A(100)));
  Must(Bank::Mint(ctx(), alice_, atom_, A(5)));
  auto all = Must(Bank::Supplies(ctx()));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, atom_);
  EXPECT_EQ(all[0].second, A(105));
  EXPECT_EQ(all[1].first, osmo_);
  EXPECT_EQ(all[1].second, A(7));
  Must(Bank::Burn(ctx(), alice_, osmo_, A(7)));  // zero supply: no longer listed
  all = Must(Bank::Supplies(ctx()));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].first, atom_);
}

TEST_F(BankTest, InsufficientFundsAndZeroAmounts) {
  Must(Bank::Mint(ctx(), alice_, atom_, A(5)));
  EXPECT_EQ(Bank::Send(ctx(), alice_, bob_, atom_, A(6)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Bank::Burn(ctx(), alice_, atom_, A(6)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Bank::Send(ctx(), bob_, alice_, atom_, A(1)).code(), StatusCode::kFailedPrecondition);
  Must(Bank::Send(ctx(), bob_, alice_, atom_, A(0)));  // zero: no-op
  Must(Bank::Send(ctx(), alice_, alice_, atom_, A(5)));
  EXPECT_EQ(Must(Bank::Balance(ctx(), alice_, atom_)), A(5));
  // Spending everything removes the record (absent == zero).
  Must(Bank::Send(ctx(), alice_, bob_, atom_, A(5)));
  EXPECT_TRUE(Must(Bank::Balances(ctx(), alice_)).empty());
}

TEST_F(BankTest, OverflowIsAnError) {
  Must(Bank::Mint(ctx(), alice_, atom_, Amount::Max()));
  EXPECT_EQ(Bank::Mint(ctx(), bob_, atom_, A(1)).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(Must(Bank::Balance(ctx(), bob_, atom_)), A(0));
  EXPECT_EQ(Must(Bank::Supply(ctx(), atom_)), Amount::Max());
}

}  // namespace
}  // namespace mesh::staking::testing
