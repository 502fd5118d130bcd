#include "app/devnet.h"

#include <filesystem>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/kv.h"
#include "core/rocksdb_store.h"
#include "gtest/gtest.h"
#include "mesh/provider/external_staking.h"
#include "node/staking_msgs.h"
#include "meshsec/v1/query.grpc.pb.h"
#include "node/tx.h"

namespace mesh::app {
namespace {

const std::vector<std::string> kIds = {"chaina", "chainb"};
constexpr uint64_t kGenesis = 1700000000ULL * kNanosPerSecond;

absl::StatusOr<std::unique_ptr<Devnet>> OpenOn(const std::string& dir) {
  std::vector<GenesisDoc> docs;
  std::vector<std::unique_ptr<DurableStore>> stores;
  for (const std::string& id : kIds) {
    docs.push_back(Devnet::MeshGenesis(kIds, id, kGenesis));
    MESH_ASSIGN_OR_RETURN(auto store, RocksDbStore::Open(dir + "/" + id));
    stores.push_back(std::move(store));
  }
  return Devnet::Open(std::move(docs), std::move(stores));
}

node::SignedTx StakeRemote(Devnet& net, const std::string& amount) {
  Application& a = net.app("chaina");
  const PrivateKey key = PrivateKey::FromSeed("chaina/alice");
  const AccountAddress alice(AccountAddressOf("chaina", key.PublicKey()));
  const AccountAddress val0 = Devnet::DemoKeys("chainb", "chainb")[5].address;
  const staking::BaseAccount acc = *a.chain().GetAccount(alice);
  node::TxSpec tx;
  tx.chain_id = "chaina";
  tx.account_number = acc.account_number;
  tx.sequence = acc.sequence;
  tx.msgs.push_back(*node::MsgFromJson(
      absl::StrCat(R"({"@type":"/meshsec.v1.MsgVaultBond","amount":")", amount, "\"}"),
      alice.value()));
  tx.msgs.push_back(*node::MsgFromJson(
      absl::StrCat(R"({"@type":"/meshsec.v1.MsgVaultStakeRemote","consumer":"chainb","validator":")",
                   node::ValoperOfAccount(val0)->value(), R"(","amount":")", amount, "\"}"),
      alice.value()));
  return node::SignTx(key, tx);
}

provider::Stake StakeOf(Devnet& net) {
  const AccountAddress alice(
      AccountAddressOf("chaina", PrivateKey::FromSeed("chaina/alice").PublicKey()));
  const AccountAddress val0 = Devnet::DemoKeys("chainb", "chainb")[5].address;
  return *provider::ExternalStaking::GetStake(net.app("chaina").QueryContext(),
                                              provider::ConsumerId("chainb"), alice,
                                              *node::ValoperOfAccount(val0));
}

TEST(DevnetTest, ConnectionIdsFollowPairOrder) {
  const std::vector<std::string> ids = {"chainc", "chaina", "chainb"};
  EXPECT_EQ(Devnet::ConnectionFor(ids, "chaina", "chainb").value(), "connection-0");
  EXPECT_EQ(Devnet::ConnectionFor(ids, "chaina", "chainc").value(), "connection-1");
  EXPECT_EQ(Devnet::ConnectionFor(ids, "chainb", "chaina").value(), "connection-0");
  EXPECT_EQ(Devnet::ConnectionFor(ids, "chainb", "chainc").value(), "connection-1");
  EXPECT_EQ(Devnet::ConnectionFor(ids, "chainc", "chainb").value(), "connection-1");
}

TEST(DevnetTest, CrossChainStakeCommitsAndSurvivesARestartMidFlight) {
  const std::string dir = ::testing::TempDir() + "/devnet_restart";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  uint64_t height_a = 0;
  {
    auto net = OpenOn(dir);
    ASSERT_TRUE(net.ok()) << net.status();
    ASSERT_TRUE((*net)->ProduceRound(5).ok());
    (*net)->Queue("chaina", StakeRemote(**net, "1000"));
    ASSERT_TRUE((*net)->ProduceRound(5).ok());
    ASSERT_EQ((*net)->last_results("chaina").size(), 1u);
    ASSERT_TRUE((*net)->last_results("chaina")[0].ok()) << (*net)->last_results("chaina")[0].log;
    // The stake packet went out at the end of chaina's block and chainb
    // received it in its block of the same round; its ack is in flight.
    EXPECT_EQ(StakeOf(**net).stake.low(), Amount(0));
    EXPECT_EQ(StakeOf(**net).stake.high(), Amount(1000));
    EXPECT_EQ(*(*net)->InFlight(), 1u);
    height_a = (*net)->app("chaina").chain().height();
  }
  // Reopened on the same stores: the packet in flight is neither lost nor
  // delivered twice; the stake commits once.
  auto net = OpenOn(dir);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ((*net)->app("chaina").chain().height(), height_a);
  EXPECT_EQ(*(*net)->InFlight(), 1u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*net)->ProduceRound(5).ok());
  EXPECT_EQ(*(*net)->InFlight(), 0u);
  EXPECT_EQ(StakeOf(**net).stake.low(), Amount(1000));
  EXPECT_EQ(StakeOf(**net).stake.high(), Amount(1000));
}

TEST(DevnetTest, ServesGrpcWhileProducingBlocks) {
  const std::string dir = ::testing::TempDir() + "/devnet_grpc";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto net = OpenOn(dir);
  ASSERT_TRUE(net.ok()) << net.status();
  auto addrs = (*net)->Serve("127.0.0.1", 0);
  ASSERT_TRUE(addrs.ok()) << addrs.status();
  ASSERT_EQ(addrs->size(), 2u);
  EXPECT_EQ(addrs->at(0).rfind("127.0.0.1:", 0), 0u);
  const uint64_t before = (*net)->app("chainb").chain().height();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*net)->ProduceRound(5).ok());
  EXPECT_EQ((*net)->app("chainb").chain().height(), before + 3);
  // A real gRPC client on loopback reads chainb's committed state: the
  // demo account alice holds its genesis funds.
  auto channel = grpc::CreateChannel(addrs->at(1), grpc::InsecureChannelCredentials());
  auto query = meshsec::v1::Query::NewStub(channel);
  meshsec::v1::QueryBalanceRequest req;
  req.set_address(Devnet::DemoKeys("chainb", "chainb")[0].address.value());
  req.set_denom("uchainb");
  meshsec::v1::QueryBalanceResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = query->Balance(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.balance().amount(), "1000000000000");
  (*net)->StopServing();
}

// A three-chain devnet where chaina runs chainc's consensus (replicated),
// the other five links staying mesh: chainc's consensus set becomes
// chaina's three validators with their powers. Also the 3-chain MeshGenesis itself (each consumer has room for
// two providers' max caps).
TEST(DevnetTest, ThreeChainsWithAReplicatedLink) {
  const std::vector<std::string> ids = {"chaina", "chainb", "chainc"};
  std::vector<GenesisDoc> docs;
  std::vector<std::unique_ptr<DurableStore>> stores;
  for (const std::string& id : ids) {
    docs.push_back(Devnet::MeshGenesis(ids, id, kGenesis));
    stores.push_back(std::make_unique<MemStore>());
  }
  ASSERT_TRUE(Devnet::SetLinkMode(docs, "chaina", "chainc", provider::LinkMode::kReplicated).ok());
  // At most one replicated / opt-in link per consumer; no mesh "mode"; no
  // such link.
  EXPECT_EQ(Devnet::SetLinkMode(docs, "chainb", "chainc", provider::LinkMode::kOptIn).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Devnet::SetLinkMode(docs, "chainb", "chaina", provider::LinkMode::kMesh).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Devnet::SetLinkMode(docs, "chaina", "chaind", provider::LinkMode::kOptIn).code(),
            absl::StatusCode::kInvalidArgument);
  auto net = Devnet::Open(std::move(docs), std::move(stores));
  ASSERT_TRUE(net.ok()) << net.status();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*net)->ProduceRound(5).ok());
  auto a = (*net)->app("chaina").ConsensusValidators();
  auto c = (*net)->app("chainc").ConsensusValidators();
  ASSERT_TRUE(a.ok() && c.ok());
  std::map<std::string, int64_t> want;
  for (const ConsensusUpdate& u : *a) want[u.pub_key] = u.power;
  std::map<std::string, int64_t> got;
  for (const ConsensusUpdate& u : *c) got[u.pub_key] = u.power;
  EXPECT_EQ(want.size(), 3u);
  EXPECT_EQ(got, want);
  // chainb keeps its own validators (mesh links only).
  auto b = (*net)->app("chainb").ConsensusValidators();
  ASSERT_TRUE(b.ok());
  for (const ConsensusUpdate& u : *b) EXPECT_FALSE(want.contains(u.pub_key));
}

}  // namespace
}  // namespace mesh::app
