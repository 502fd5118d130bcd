#include "node/grpc_server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/status.h"
#include "gtest/gtest.h"
#include "meshsec/v1/query.grpc.pb.h"
#include "meshsec/v1/tx.grpc.pb.h"
#include "node/staking_msgs.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

namespace pb = ::meshsec::v1;

constexpr char kChainId[] = "grpc-1";
constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlock = 5 * kNanosPerSecond;
constexpr uint64_t kFunds = 100000000;
constexpr int kValidators = 5;
constexpr int kUsers = 4;

struct Actor {
  PrivateKey key;
  AccountAddress account;
  ValidatorAddress valoper;
  uint64_t nonce = 0;
  uint64_t account_number = 0;  // read from the chain after genesis
};

Actor NewActor(const std::string& seed) {
  PrivateKey key = PrivateKey::FromSeed(seed);
  std::string pub = key.PublicKey();
  return Actor{key, AccountAddress(AccountAddressOf("mesh", pub)),
               ValidatorAddress(ValoperAddressOf("mesh", pub))};
}

// `body`: one message in the protobuf JSON mapping with "@type" (its empty
// signer field is the actor's address); `type` names it in logs only.
SignedTx MakeTx(const Actor& a, uint64_t nonce, const std::string& type, const std::string& body,
                const std::string& chain_id = kChainId) {
  TxSpec tx;
  tx.chain_id = chain_id;
  tx.account_number = a.account_number;
  tx.sequence = nonce;
  absl::StatusOr<Msg> msg = MsgFromJson(body, a.account.value());
  EXPECT_TRUE(msg.ok()) << type << ": " << msg.status();
  if (msg.ok()) tx.msgs.push_back(*msg);
  return SignTx(a.key, tx);
}

std::string DelegateBody(const ValidatorAddress& val, uint64_t amount) {
  return absl::StrCat(R"({"@type":"/cosmos.staking.v1beta1.MsgDelegate","validator_address":")",
                      val.value(), R"(","amount":{"denom":"stake","amount":")", amount, R"("}})");
}

// `tx` with another body, keeping its signature.
SignedTx Tampered(const SignedTx& tx, const SignedTx& other) {
  return other.WithSignature(tx.signature);
}

// Genesis funds validators val-0..4 and users user-0..3; block 1 creates the
// validators (self bond 10M * (i+1)), user-0 delegates 1M/2M/3M to
// val-0/val-1/val-3 and user-j delegates 100000 * (j+1) to val-2.
class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kValidators; ++i) vals_.push_back(NewActor(absl::StrCat("val-", i)));
    for (int j = 0; j < kUsers; ++j) users_.push_back(NewActor(absl::StrCat("user-", j)));
    auto chain = Chain::Open(std::make_unique<MemStore>(), ChainConfig{kChainId, "mesh"});
    ASSERT_TRUE(chain.ok()) << chain.status();
    InstallStakingModule(**chain);
    ASSERT_TRUE(Genesis(**chain).ok());
    for (std::vector<Actor>* group : {&vals_, &users_}) {
      for (Actor& a : *group) {
        absl::StatusOr<staking::BaseAccount> acc = (*chain)->GetAccount(a.account);
        ASSERT_TRUE(acc.ok()) << acc.status();
        a.account_number = acc->account_number;
      }
    }
    ASSERT_TRUE(FirstBlock(**chain).ok());
    auto server = GrpcServer::Start(std::move(*chain), Options());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    query_ = pb::Query::NewStub(channel_);
    tx_ = pb::Tx::NewStub(channel_);
  }

  virtual GrpcServerOptions Options() { return GrpcServerOptions(); }

  absl::Status Genesis(Chain& chain) {
    return chain.InitGenesis(kT0, [&](const Context& ctx) -> absl::Status {
      MESH_RETURN_IF_ERROR(staking::Staking::InitGenesis(ctx, staking::Params()));
      for (const std::vector<Actor>* group : {&vals_, &users_}) {
        for (const Actor& a : *group) {
          MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, a.account, Denom("stake"), Amount(kFunds)));
        }
      }
      return absl::OkStatus();
    });
  }

  absl::Status Deliver(Chain& chain, Actor& a, const std::string& type, const std::string& body) {
    TxResult r = chain.DeliverTx(MakeTx(a, a.nonce, type, body));
    if (!r.ok()) return absl::InternalError(type + ": " + r.log);
    ++a.nonce;
    return absl::OkStatus();
  }

  absl::Status FirstBlock(Chain& chain) {
    MESH_RETURN_IF_ERROR(chain.BeginBlock(kT0 + kBlock));
    for (int i = 0; i < kValidators; ++i) {
      std::string body = absl::StrCat(
          R"({"@type":"/cosmos.staking.v1beta1.MsgCreateValidator","commission":{"rate":"0.1"},)",
          R"("validator_address":")", vals_[i].valoper.value(),
          R"(","value":{"denom":"stake","amount":")", 10000000 * (i + 1), R"("}})");
      MESH_RETURN_IF_ERROR(Deliver(chain, vals_[i], "staking/create_validator", body));
    }
    const int targets[] = {0, 1, 3};
    for (int k = 0; k < 3; ++k) {
      MESH_RETURN_IF_ERROR(Deliver(chain, users_[0], "staking/delegate",
                                   DelegateBody(vals_[targets[k]].valoper, 1000000 * (k + 1))));
    }
    for (int j = 0; j < kUsers; ++j) {
      MESH_RETURN_IF_ERROR(Deliver(chain, users_[j], "staking/delegate",
                                   DelegateBody(vals_[2].valoper, 100000 * (j + 1))));
    }
    MESH_RETURN_IF_ERROR(chain.EndBlock());
    return chain.Commit().status();
  }

  pb::BroadcastTxResponse Broadcast(const SignedTx& tx,
                                    pb::BroadcastMode mode = pb::BROADCAST_MODE_SYNC) {
    pb::BroadcastTxRequest req;
    req.set_signed_tx(tx.Encode());
    req.set_mode(mode);
    pb::BroadcastTxResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = tx_->BroadcastTx(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status GetDelegation(const AccountAddress& del, const ValidatorAddress& val,
                             pb::QueryDelegationResponse* resp) {
    pb::QueryDelegationRequest req;
    req.set_delegator_addr(del.value());
    req.set_validator_addr(val.value());
    grpc::ClientContext ctx;
    return query_->Delegation(&ctx, req, resp);
  }

  std::string BalanceOf(const std::string& address) {
    pb::QueryBalanceRequest req;
    req.set_address(address);
    req.set_denom("stake");
    pb::QueryBalanceResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = query_->Balance(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.balance().amount();
  }

  uint64_t Sequence(const Actor& a) {
    pb::QueryAccountRequest req;
    req.set_address(a.account.value());
    pb::QueryAccountResponse resp;
    grpc::ClientContext ctx;
    EXPECT_TRUE(query_->Account(&ctx, req, &resp).ok());
    return resp.sequence();
  }

  std::vector<Actor> vals_;
  std::vector<Actor> users_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Query::Stub> query_;
  std::unique_ptr<pb::Tx::Stub> tx_;
};

TEST_F(GrpcServerTest, ListensOnTheChosenLocalPort) {
  EXPECT_GT(server_->port(), 0);
  EXPECT_EQ(server_->address(), absl::StrCat("127.0.0.1:", server_->port()));
}

TEST_F(GrpcServerTest, ValidatorsPaginateAcrossPages) {
  std::vector<std::string> seen;
  std::string key;
  std::vector<size_t> page_sizes;
  do {
    pb::QueryValidatorsRequest req;
    req.mutable_pagination()->set_limit(2);
    req.mutable_pagination()->set_key(key);
    pb::QueryValidatorsResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(query_->Validators(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.pagination().total(), 5u);
    page_sizes.push_back(resp.validators_size());
    for (const pb::Validator& v : resp.validators()) seen.push_back(v.operator_address());
    key = resp.pagination().next_key();
  } while (!key.empty());
  EXPECT_EQ(page_sizes, (std::vector<size_t>{2, 2, 1}));
  std::vector<std::string> expected;
  for (const Actor& v : vals_) expected.push_back(v.valoper.value());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);  // every validator once, in address order
}

TEST_F(GrpcServerTest, ValidatorShowsStakeAndStatusFilterWorks) {
  pb::QueryValidatorRequest req;
  req.set_validator_addr(vals_[2].valoper.value());
  pb::QueryValidatorResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(query_->Validator(&ctx, req, &resp).ok());
  // 30M self bond + 100k + 200k + 300k + 400k from users.
  EXPECT_EQ(resp.validator().tokens(), "31000000");
  EXPECT_EQ(resp.validator().delegator_shares(), "31000000");
  EXPECT_EQ(resp.validator().commission_rate(), "0.1");
  EXPECT_EQ(resp.validator().status(), pb::BOND_STATUS_BONDED);
  EXPECT_EQ(resp.validator().consensus_power(), 31u);
  EXPECT_EQ(resp.validator().operator_account(), vals_[2].account.value());

  for (auto [status, count] : {std::pair<const char*, int>{"BOND_STATUS_BONDED", 5},
                               {"BOND_STATUS_UNBONDED", 0},
                               {"", 5}}) {
    pb::QueryValidatorsRequest all;
    all.set_status(status);
    pb::QueryValidatorsResponse page;
    grpc::ClientContext c;
    ASSERT_TRUE(query_->Validators(&c, all, &page).ok());
    EXPECT_EQ(page.validators_size(), count) << status;
  }
}

TEST_F(GrpcServerTest, DelegationsPaginateAcrossPages) {
  std::vector<std::string> amounts;
  std::string key;
  int pages = 0;
  do {
    pb::QueryDelegatorDelegationsRequest req;
    req.set_delegator_addr(users_[0].account.value());
    req.mutable_pagination()->set_limit(2);
    req.mutable_pagination()->set_key(key);
    pb::QueryDelegatorDelegationsResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(query_->DelegatorDelegations(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.pagination().total(), 4u);  // val-0, val-1, val-2, val-3
    for (const pb::DelegationResponse& d : resp.delegation_responses()) {
      EXPECT_EQ(d.delegation().delegator_address(), users_[0].account.value());
      amounts.push_back(d.delegation().validator_address() + "=" + d.balance().amount());
    }
    key = resp.pagination().next_key();
    ++pages;
  } while (!key.empty());
  EXPECT_EQ(pages, 2);
  std::vector<std::string> expected = {
      vals_[0].valoper.value() + "=1000000", vals_[1].valoper.value() + "=2000000",
      vals_[2].valoper.value() + "=100000", vals_[3].valoper.value() + "=3000000"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(amounts, expected);
}

// Pages are read from the by-validator index: in the order of the
// delegators' AddressOrderKey (address bytes), with the total of all pages.
TEST_F(GrpcServerTest, ValidatorDelegationsPaginateAcrossPages) {
  std::set<std::string> delegators;
  std::vector<std::string> order_keys;
  std::string key;
  std::vector<int> sizes;
  do {
    pb::QueryValidatorDelegationsRequest req;
    req.set_validator_addr(vals_[2].valoper.value());
    req.mutable_pagination()->set_limit(2);
    req.mutable_pagination()->set_key(key);
    pb::QueryValidatorDelegationsResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(query_->ValidatorDelegations(&ctx, req, &resp).ok());
    sizes.push_back(resp.delegation_responses_size());
    if (!key.empty()) {  // the next key is the order key of the page's first
      ASSERT_GT(resp.delegation_responses_size(), 0);
      EXPECT_EQ(key,
                AddressOrderKey(resp.delegation_responses(0).delegation().delegator_address()));
    }
    for (const auto& d : resp.delegation_responses()) {
      delegators.insert(d.delegation().delegator_address());
      order_keys.push_back(AddressOrderKey(d.delegation().delegator_address()));
    }
    EXPECT_EQ(resp.pagination().total(), 5u);
    key = resp.pagination().next_key();
  } while (!key.empty());
  EXPECT_TRUE(std::is_sorted(order_keys.begin(), order_keys.end()));
  EXPECT_EQ(sizes, (std::vector<int>{2, 2, 1}));  // self-delegation + 4 users
  EXPECT_EQ(delegators.size(), 5u);
  EXPECT_TRUE(delegators.count(vals_[2].account.value()));
}

TEST_F(GrpcServerTest, BroadcastDelegateProduceBlockQueryDelegation) {
  Actor& bob = users_[1];
  pb::QueryDelegationResponse before;
  EXPECT_EQ(GetDelegation(bob.account, vals_[4].valoper, &before).error_code(),
            grpc::StatusCode::NOT_FOUND);
  uint64_t nonce = Sequence(bob);
  EXPECT_EQ(nonce, 1u);  // bob delegated once in block 1
  pb::BroadcastTxResponse r =
      Broadcast(MakeTx(bob, nonce, "staking/delegate", DelegateBody(vals_[4].valoper, 2500000)));
  EXPECT_EQ(r.code(), 0u) << r.log();
  EXPECT_EQ(r.height(), 0u);  // queued, not yet in a block
  EXPECT_EQ(r.txhash().size(), 64u);
  EXPECT_EQ(server_->PendingTxCount(), 1u);
  EXPECT_EQ(Sequence(bob), 2u);  // counts the queued tx
  // Nothing changes before the block.
  EXPECT_EQ(GetDelegation(bob.account, vals_[4].valoper, &before).error_code(),
            grpc::StatusCode::NOT_FOUND);

  absl::StatusOr<ProducedBlock> block = server_->ProduceBlock(kT0 + 2 * kBlock);
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ(block->height, 2u);
  ASSERT_EQ(block->txs.size(), 1u);
  EXPECT_TRUE(block->txs[0].result.ok()) << block->txs[0].result.log;
  EXPECT_EQ(block->txs[0].txhash, r.txhash());
  EXPECT_EQ(server_->PendingTxCount(), 0u);

  pb::QueryDelegationResponse after;
  ASSERT_TRUE(GetDelegation(bob.account, vals_[4].valoper, &after).ok());
  EXPECT_EQ(after.delegation_response().delegation().shares(), "2500000");
  EXPECT_EQ(after.delegation_response().balance().amount(), "2500000");
  EXPECT_EQ(after.delegation_response().balance().denom(), "stake");
  // 100M - 200k (block 1) - 2.5M.
  EXPECT_EQ(BalanceOf(bob.account.value()), "97300000");
}

// A broadcast tx's signature is verified once: the mempool's CheckTx keeps
// its verdict, and the block that delivers the tx takes it
// (node/verify_ahead.h).
TEST_F(GrpcServerTest, BroadcastTxSignatureIsVerifiedOnceForItsBlock) {
  Actor& bob = users_[1];
  pb::BroadcastTxResponse r = Broadcast(
      MakeTx(bob, Sequence(bob), "staking/delegate", DelegateBody(vals_[4].valoper, 1000)));
  ASSERT_EQ(r.code(), 0u) << r.log();
  ASSERT_TRUE(server_->WithChain([](Chain& c) {
                EXPECT_EQ(c.verdicts().size(), 1u);
                EXPECT_EQ(c.verdicts().hits(), 0u);
                return absl::OkStatus();
              }).ok());
  absl::StatusOr<ProducedBlock> block = server_->ProduceBlock(kT0 + 2 * kBlock);
  ASSERT_TRUE(block.ok()) << block.status();
  ASSERT_EQ(block->txs.size(), 1u);
  EXPECT_TRUE(block->txs[0].result.ok()) << block->txs[0].result.log;
  ASSERT_TRUE(server_->WithChain([](Chain& c) {
                EXPECT_EQ(c.verdicts().hits(), 1u);
                EXPECT_EQ(c.verdicts().size(), 0u);
                return absl::OkStatus();
              }).ok());
}

TEST_F(GrpcServerTest, BadTxsReturnNonZeroCodesAndAreNotQueued) {
  Actor& carol = users_[2];
  std::string body = DelegateBody(vals_[0].valoper, 1);
  pb::BroadcastTxRequest garbage;
  garbage.set_signed_tx("not a tx");
  pb::BroadcastTxResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(tx_->BroadcastTx(&ctx, garbage, &resp).ok());
  EXPECT_EQ(resp.code(), kSdkTxDecode);  // undecodable
  EXPECT_EQ(resp.codespace(), "sdk");

  EXPECT_EQ(Broadcast(MakeTx(carol, 7, "staking/delegate", body)).code(), kSdkWrongSequence);
  EXPECT_EQ(Broadcast(MakeTx(carol, 1, "staking/delegate", body, "other-1")).code(),
            kSdkUnauthorized);  // the chain id is signed over in the SignDoc
  SignedTx tampered = Tampered(MakeTx(carol, 1, "staking/delegate", body),
                               MakeTx(carol, 1, "staking/delegate",
                                      DelegateBody(vals_[0].valoper, 2)));
  EXPECT_EQ(Broadcast(tampered).code(), kSdkUnauthorized);
  EXPECT_EQ(server_->PendingTxCount(), 0u);
  EXPECT_EQ(Sequence(carol), 1u);
}

TEST_F(GrpcServerTest, QueuedTxsOfOneSignerTakeConsecutiveNonces) {
  Actor& dave = users_[3];
  std::string body = DelegateBody(vals_[1].valoper, 1000);
  EXPECT_EQ(Broadcast(MakeTx(dave, 1, "staking/delegate", body)).code(), 0u);
  EXPECT_EQ(Broadcast(MakeTx(dave, 2, "staking/delegate", body)).code(), 0u);
  EXPECT_EQ(Broadcast(MakeTx(dave, 2, "staking/delegate", body)).code(),
            kSdkWrongSequence);  // replay
  absl::StatusOr<ProducedBlock> block = server_->ProduceBlock(kT0 + 2 * kBlock);
  ASSERT_TRUE(block.ok());
  ASSERT_EQ(block->txs.size(), 2u);
  EXPECT_TRUE(block->txs[0].result.ok());
  EXPECT_TRUE(block->txs[1].result.ok());
  pb::QueryDelegationResponse d;
  ASSERT_TRUE(GetDelegation(dave.account, vals_[1].valoper, &d).ok());
  EXPECT_EQ(d.delegation_response().balance().amount(), "2000");
  EXPECT_EQ(Sequence(dave), 3u);
}

TEST_F(GrpcServerTest, BlockModeWaitsForDeliveryAndReportsItsResult) {
  Actor& bob = users_[1];
  // Passes the check (signature, nonce) but fails in delivery: bob holds
  // 99.8M, not 500M.
  SignedTx tx = MakeTx(bob, 1, "staking/delegate", DelegateBody(vals_[0].valoper, 500000000));
  pb::BroadcastTxResponse resp;
  std::thread client([&] { resp = Broadcast(tx, pb::BROADCAST_MODE_BLOCK); });
  while (server_->PendingTxCount() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  absl::StatusOr<ProducedBlock> block = server_->ProduceBlock(kT0 + 2 * kBlock);
  client.join();
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(resp.height(), 2u);
  EXPECT_EQ(resp.code(), static_cast<uint32_t>(absl::StatusCode::kFailedPrecondition))
      << resp.log();
  EXPECT_EQ(resp.code(), block->txs[0].result.code);
  EXPECT_EQ(BalanceOf(bob.account.value()), "99800000");  // unchanged
  EXPECT_EQ(resp.codespace(), "meshsec");
  // A failed message still consumes the sequence (the SDK keeps the ante).
  EXPECT_EQ(Sequence(bob), 2u);
}

TEST_F(GrpcServerTest, UnbondingDelegationAfterUndelegate) {
  Actor& alice = users_[0];
  std::string body = absl::StrCat(
      R"({"@type":"/cosmos.staking.v1beta1.MsgUndelegate","validator_address":")",
      vals_[3].valoper.value(), R"(","amount":{"denom":"stake","amount":"1200000"}})");
  EXPECT_EQ(Broadcast(MakeTx(alice, Sequence(alice), "staking/undelegate", body)).code(), 0u);
  ASSERT_TRUE(server_->ProduceBlock(kT0 + 2 * kBlock).ok());
  pb::QueryUnbondingDelegationRequest req;
  req.set_delegator_addr(alice.account.value());
  req.set_validator_addr(vals_[3].valoper.value());
  pb::QueryUnbondingDelegationResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(query_->UnbondingDelegation(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.unbond().entries_size(), 1);
  const pb::UnbondingDelegationEntry& e = resp.unbond().entries(0);
  EXPECT_EQ(e.creation_height(), 2u);
  EXPECT_EQ(e.balance(), "1200000");
  EXPECT_EQ(e.initial_balance(), "1200000");
  // Block time + 21 days (default unbonding time).
  EXPECT_EQ(static_cast<uint64_t>(e.completion_time().seconds()), 1700000010ULL + 1814400ULL);
  pb::QueryDelegationResponse d;
  ASSERT_TRUE(GetDelegation(alice.account, vals_[3].valoper, &d).ok());
  EXPECT_EQ(d.delegation_response().balance().amount(), "1800000");
}

TEST_F(GrpcServerTest, MalformedRequestsAreInvalidArgument) {
  pb::QueryDelegationResponse d;
  const ValidatorAddress& val = vals_[0].valoper;
  EXPECT_EQ(GetDelegation(AccountAddress(""), val, &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetDelegation(AccountAddress("not-bech32"), val, &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A validator address where an account address is expected (wrong prefix).
  EXPECT_EQ(GetDelegation(AccountAddress(val.value()), val, &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetDelegation(users_[0].account, ValidatorAddress(users_[0].account.value()), &d)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  pb::QueryValidatorsRequest vreq;
  vreq.set_status("BOND_STATUS_SLEEPY");
  pb::QueryValidatorsResponse vresp;
  grpc::ClientContext c1;
  EXPECT_EQ(query_->Validators(&c1, vreq, &vresp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  pb::QueryBalanceRequest breq;
  breq.set_address(users_[0].account.value());  // denom missing
  pb::QueryBalanceResponse bresp;
  grpc::ClientContext c2;
  EXPECT_EQ(query_->Balance(&c2, breq, &bresp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  pb::BroadcastTxRequest empty;
  pb::BroadcastTxResponse tresp;
  grpc::ClientContext c3;
  EXPECT_EQ(tx_->BroadcastTx(&c3, empty, &tresp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  pb::BroadcastTxRequest bad_mode;
  bad_mode.set_signed_tx("x");
  bad_mode.set_mode(static_cast<pb::BroadcastMode>(42));
  grpc::ClientContext c4;
  EXPECT_EQ(tx_->BroadcastTx(&c4, bad_mode, &tresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcServerTest, MissingRecordsAreNotFound) {
  pb::QueryValidatorRequest req;
  req.set_validator_addr(users_[0].valoper.value());  // valid address, no validator
  pb::QueryValidatorResponse resp;
  grpc::ClientContext ctx;
  EXPECT_EQ(query_->Validator(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  pb::QueryUnbondingDelegationRequest ureq;
  ureq.set_delegator_addr(users_[0].account.value());
  ureq.set_validator_addr(vals_[0].valoper.value());
  pb::QueryUnbondingDelegationResponse uresp;
  grpc::ClientContext c2;
  EXPECT_EQ(query_->UnbondingDelegation(&c2, ureq, &uresp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Balances: an unfunded account holds 0; module accounts by name.
  EXPECT_EQ(BalanceOf(NewActor("nobody").account.value()), "0");
  // Bonded pool: 150M self bonds + 6M (user-0) + 1M (users to val-2).
  EXPECT_EQ(BalanceOf("module/bonded_pool"), "157000000");
}

TEST_F(GrpcServerTest, BlockTimeGoingBackwardsKeepsTheQueue) {
  Actor& bob = users_[1];
  EXPECT_EQ(Broadcast(MakeTx(bob, 1, "staking/delegate", DelegateBody(vals_[0].valoper, 5))).code(),
            0u);
  EXPECT_FALSE(server_->ProduceBlock(kT0).ok());
  EXPECT_EQ(server_->PendingTxCount(), 1u);
  absl::StatusOr<ProducedBlock> block = server_->ProduceBlock(kT0 + 2 * kBlock);
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ(block->txs.size(), 1u);
}

TEST_F(GrpcServerTest, ShutdownReleasesWaitingBroadcasts) {
  Actor& bob = users_[1];
  SignedTx tx = MakeTx(bob, 1, "staking/delegate", DelegateBody(vals_[0].valoper, 5));
  grpc::Status status;
  std::thread client([&] {
    pb::BroadcastTxRequest req;
    req.set_signed_tx(tx.Encode());
    req.set_mode(pb::BROADCAST_MODE_BLOCK);
    pb::BroadcastTxResponse resp;
    grpc::ClientContext ctx;
    status = tx_->BroadcastTx(&ctx, req, &resp);
  });
  while (server_->PendingTxCount() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_->Shutdown();
  client.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

// One grpc.reflection.v1alpha exchange with a hand-encoded
// ServerReflectionRequest, as the reflection protos are not installed.
// Returns the raw response bytes, or the status.
absl::StatusOr<std::string> ReflectRaw(const std::shared_ptr<grpc::Channel>& channel,
                                       const std::string& request_bytes) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok = false;
  auto step = [&](int id) { return cq.Next(&tag, &ok) && tag == reinterpret_cast<void*>(id); };
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1) || !ok) return absl::UnavailableError("start failed");
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  if (!step(2)) return absl::UnavailableError("write failed");
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  bool read_ok = step(3) && ok;
  call->WritesDone(reinterpret_cast<void*>(5));
  step(5);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  step(4);
  if (!read_ok)
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// ServerReflectionRequest{list_services: ""} (field 7).
absl::StatusOr<std::string> ListServicesRaw(const std::shared_ptr<grpc::Channel>& channel) {
  return ReflectRaw(channel, std::string("\x3a\x00", 2));
}

TEST_F(GrpcServerTest, ReflectionListsTheServicesWhenAvailable) {
  if (!GrpcServer::ReflectionAvailable()) GTEST_SKIP() << "built without grpc++_reflection";
  EXPECT_TRUE(server_->reflection_enabled());
  absl::StatusOr<std::string> raw = ListServicesRaw(channel_);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_NE(raw->find("meshsec.v1.Query"), std::string::npos);
  EXPECT_NE(raw->find("meshsec.v1.Tx"), std::string::npos);
  // The mesh queries come from the composition root (options.query_services,
  // app/mesh_query_service.h); a node server alone has none.
  EXPECT_EQ(raw->find("meshsec.v1.ProviderQuery"), std::string::npos);
  EXPECT_EQ(raw->find("meshsec.v1.ConsumerQuery"), std::string::npos);
}

// grpc++'s default health service has no generated code of its own: the
// server registers grpc/health/v1/health.proto so that reflection can
// describe it (ServerReflectionRequest{file_containing_symbol}, field 4).
TEST_F(GrpcServerTest, ReflectionDescribesTheHealthService) {
  if (!GrpcServer::ReflectionAvailable()) GTEST_SKIP() << "built without grpc++_reflection";
  absl::StatusOr<std::string> list = ListServicesRaw(channel_);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_NE(list->find("grpc.health.v1.Health"), std::string::npos);
  const std::string symbol = "grpc.health.v1.Health";
  absl::StatusOr<std::string> raw =
      ReflectRaw(channel_, std::string("\x22") + static_cast<char>(symbol.size()) + symbol);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_NE(raw->find("grpc/health/v1/health.proto"), std::string::npos);
  EXPECT_NE(raw->find("HealthCheckResponse"), std::string::npos);
  EXPECT_EQ(raw->find("Symbol not found"), std::string::npos);
}

class GrpcServerNoReflectionTest : public GrpcServerTest {
 protected:
  GrpcServerOptions Options() override {
    GrpcServerOptions o;
    o.enable_reflection = false;
    return o;
  }
};

TEST_F(GrpcServerNoReflectionTest, ReflectionCanBeTurnedOff) {
  EXPECT_FALSE(server_->reflection_enabled());
  absl::StatusOr<std::string> raw = ListServicesRaw(channel_);
  EXPECT_EQ(raw.status().code(), absl::StatusCode::kUnimplemented);
}

// Block 2 is held open by its in_block hook (after it minted 5 stake to
// user-3) until the test releases it.
class GrpcServerHeldBlockTest : public GrpcServerTest {
 protected:
  GrpcServerOptions Options() override {
    GrpcServerOptions o;
    o.in_block = [this](Chain& chain) -> absl::Status {
      MESH_RETURN_IF_ERROR(chain.RunAtomic([&](const Context& ctx) {
        return staking::Bank::Mint(ctx, users_[3].account, Denom("stake"), Amount(5));
      }));
      std::unique_lock<std::mutex> lock(gate_mu_);
      held_ = true;
      gate_.notify_all();
      gate_.wait(lock, [&] { return released_; });
      return absl::OkStatus();
    };
    return o;
  }
  void WaitHeld() {
    std::unique_lock<std::mutex> lock(gate_mu_);
    gate_.wait(lock, [&] { return held_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(gate_mu_);
    released_ = true;
    gate_.notify_all();
  }
  grpc::Status Balance(const Actor& a, std::string* amount) {
    pb::QueryBalanceRequest req;
    req.set_address(a.account.value());
    req.set_denom("stake");
    pb::QueryBalanceResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = query_->Balance(&ctx, req, &resp);
    *amount = resp.balance().amount();
    return s;
  }

  std::mutex gate_mu_;
  std::condition_variable gate_;
  bool held_ = false;
  bool released_ = false;
};

TEST_F(GrpcServerHeldBlockTest, QueriesReadTheCommittedBlockWithoutWaitingForTheOpenOne) {
  std::thread producer([&] {
    absl::StatusOr<ProducedBlock> b = server_->ProduceBlock(kT0 + 2 * kBlock);
    EXPECT_TRUE(b.ok()) << b.status();
  });
  WaitHeld();
  std::string during;
  grpc::Status s = Balance(users_[3], &during);
  pb::QueryValidatorsResponse vals;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status vs = query_->Validators(&ctx, pb::QueryValidatorsRequest(), &vals);
  Release();
  producer.join();
  // Answered while block 2 was open, from block 1: 100M - 400k, no mint.
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(during, "99600000");
  ASSERT_TRUE(vs.ok()) << vs.error_message();
  EXPECT_EQ(vals.validators_size(), kValidators);
  std::string after;
  ASSERT_TRUE(Balance(users_[3], &after).ok());
  EXPECT_EQ(after, "99600005");
}

TEST(GrpcServerStartTest, RejectsAnUnusableAddressAndAnOpenBlock) {
  auto chain = Chain::Open(std::make_unique<MemStore>(), ChainConfig{kChainId, "mesh"});
  ASSERT_TRUE(chain.ok());
  GrpcServerOptions bad;
  bad.address = "192.0.2.1:0";  // TEST-NET-1: not an address of this host
  EXPECT_FALSE(GrpcServer::Start(std::move(*chain), bad).ok());
  auto open = Chain::Open(std::make_unique<MemStore>(), ChainConfig{kChainId, "mesh"});
  ASSERT_TRUE((*open)->BeginBlock(kT0).ok());
  EXPECT_EQ(GrpcServer::Start(std::move(*open)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GrpcServer::Start(nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mesh::node
