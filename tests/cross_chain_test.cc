// Cross-chain tests: two and three mesh-security chains in one process
// (tests/harness/network.h), each a node::Chain on its own store, driven by
// signed txs and in-process relayers. Invariants are checked after every
// block by the harness.
#include <memory>
#include <string>

#include "core/status.h"
#include "gtest/gtest.h"
#include "mesh/consumer/consumer.h"
#include "mesh/packets/packets.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/vault.h"
#include "tests/harness/network.h"

namespace mesh::harness {
namespace {

template <typename T>
T Must(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}
Dec D(const char* s) { return Must(Dec::Parse(s)); }
Amount A(u128 v) { return Amount(v); }

#define ASSERT_OK(expr)                      \
  do {                                       \
    absl::Status s_ = (expr);                \
    ASSERT_TRUE(s_.ok()) << s_.ToString();   \
  } while (0)

ChainSpec MakeChain(std::string id, std::string prefix, std::string denom) {
  ChainSpec c;
  c.id = std::move(id);
  c.prefix = std::move(prefix);
  c.denom = Denom(denom);
  c.staking.power_reduction = 1;
  c.staking.unbonding_time_s = 3600;
  c.staking.slash_fraction_double_sign = D("0.25");
  c.staking.slash_fraction_downtime = D("0.1");
  c.validators = {{"alice", A(1000000), Dec::Zero()}, {"bob", A(1000000), Dec::Zero()}};
  c.accounts = {{"user", A(100000)}, {"user2", A(100000)}, {"gov", A(1)}, {"oracle", A(1)}};
  c.epoch_length = 5;
  return c;
}

// osmo (provider) -> juno (consumer): price 0.5 juno per osmo, discount 0.4.
NetworkSpec TwoChains() {
  NetworkSpec s;
  s.chains = {MakeChain("osmo", "osmo", "uosmo"), MakeChain("juno", "juno", "ujuno")};
  LinkSpec l;
  l.provider = "osmo";
  l.consumer = "juno";
  l.price = D("0.5");
  l.discount = D("0.4");
  l.unbonding_period_s = 1000;
  s.links = {l};
  return s;
}

class TwoChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = Must(Network::Create(TwoChains()));
    // Block 2: the initial valset update reaches the provider.
    ASSERT_OK(net_->AdvanceBlock());
  }
  provider::Stake Stake(const std::string& user = "user", const std::string& val = "alice") {
    return Must(net_->ExternalStake("osmo", user, "juno", val));
  }
  std::unique_ptr<Network> net_;
};

TEST_F(TwoChainTest, StakeAckCommit) {
  ASSERT_OK(net_->Bond("osmo", "user", A(5000)));
  ASSERT_OK(net_->StakeRemote("osmo", "user", "juno", "alice", A(1000)));
  EXPECT_EQ(Stake().stake.low(), A(0));
  EXPECT_EQ(Stake().stake.high(), A(1000));
  EXPECT_EQ(Must(provider::Vault::Account(net_->ctx("osmo"), net_->Address("osmo", "user")))
                .max_lien.high(),
            A(1000));
  ASSERT_OK(net_->AdvanceBlock());  // packet received and acked in this block
  EXPECT_EQ(Stake().stake.low(), A(1000));
  EXPECT_EQ(Stake().stake.high(), A(1000));
  // 1000 uosmo * 0.5 * (1 - 0.4) = 300 ujuno requested.
  EXPECT_EQ(Must(net_->BondRequest("juno", "osmo", "alice")), A(300));
  EXPECT_TRUE(Must(provider::Vault::AllPendingTxsDesc(net_->ctx("osmo"))).empty());
  // The next epoch delegates the virtual stake.
  ASSERT_OK(net_->AdvanceBlocks(5));
  EXPECT_EQ(Must(net_->VirtualDelegation("juno", "osmo", "alice")), A(300));
}

}  // namespace
}  // namespace mesh::harness
