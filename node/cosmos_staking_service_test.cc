// cosmos.staking.v1beta1.Query through GrpcServer, called with the stubs
// generated from the Cosmos SDK protos (mesh_cosmos_proto). The client test
// with cosmjs-types is tests/cosmos/.
#include "node/cosmos_staking_service.h"

#include <google/protobuf/io/coded_stream.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/status.h"
#include "core/test_mutator.h"
#include "cosmos/crypto/ed25519/keys.pb.h"
#include "cosmos/staking/v1beta1/query.grpc.pb.h"
#include "gtest/gtest.h"
#include "node/block_history.h"
#include "node/chain_query.h"
#include "node/grpc_server.h"
#include "node/grpc_test_util.h"
#include "node/proto_wire.h"
#include "node/staking_msgs.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

// ArenaMessages (node/chain_query.h): a released holder comes back with
// fresh, empty messages on its reset arena, also after the arena outgrew its
// first block; concurrent callers each get their own holder.
TEST(ArenaMessagesTest, HoldersAreReusedWithFreshMessages) {
  using Req = ::cosmos::staking::v1beta1::QueryDelegatorDelegationsRequest;
  using Resp = ::cosmos::staking::v1beta1::QueryDelegatorDelegationsResponse;
  constexpr size_t kBlock = ArenaMessages<Req, Resp>::kBlockBytes;
  ArenaMessages<Req, Resp> messages;
  grpc::MessageHolder<Req, Resp>* a = messages.AllocateMessages();
  ASSERT_NE(a->request()->GetArena(), nullptr);
  EXPECT_EQ(a->request()->GetArena(), a->response()->GetArena());
  a->request()->set_delegator_addr("d");
  for (int i = 0; i < 200; ++i) {  // sub-messages from the arena: it outgrows its first block
    a->response()->add_delegation_responses()->mutable_balance()->set_amount("12345");
  }
  EXPECT_GT(a->request()->GetArena()->SpaceAllocated(), kBlock);
  grpc::MessageHolder<Req, Resp>* b = messages.AllocateMessages();
  EXPECT_NE(a, b);
  EXPECT_TRUE(b->request()->delegator_addr().empty());
  a->Release();
  grpc::MessageHolder<Req, Resp>* again = messages.AllocateMessages();
  EXPECT_EQ(again, a);  // the pooled holder
  EXPECT_TRUE(again->request()->delegator_addr().empty());
  EXPECT_EQ(again->response()->delegation_responses_size(), 0);
  // Its arena was reset: back to the first block (the grown blocks freed).
  EXPECT_LE(again->request()->GetArena()->SpaceAllocated(), kBlock);
  again->request()->set_delegator_addr("v");
  EXPECT_EQ(again->request()->delegator_addr(), "v");
  again->Release();
  b->Release();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        grpc::MessageHolder<Req, Resp>* h = messages.AllocateMessages();
        const std::string mine = absl::StrCat(t, "-", i);
        if (!h->request()->delegator_addr().empty()) ++bad;
        h->request()->set_delegator_addr(mine);
        h->response()->add_delegation_responses()->mutable_balance()->set_denom(mine);
        if (h->request()->delegator_addr() != mine ||
            h->response()->delegation_responses_size() != 1 ||
            h->response()->delegation_responses(0).balance().denom() != mine) {
          ++bad;
        }
        h->Release();
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

namespace sk = ::cosmos::staking::v1beta1;

constexpr char kChainId[] = "cosmos-1";
constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr uint64_t kBlock = 5 * kNanosPerSecond;
constexpr uint64_t kFunds = 100000000;
constexpr int kValidators = 5;

struct Actor {
  PrivateKey key;
  AccountAddress account;
  ValidatorAddress valoper;
  uint64_t nonce = 0;
};

Actor NewActor(const std::string& seed) {
  PrivateKey key = PrivateKey::FromSeed(seed);
  std::string pub = key.PublicKey();
  return Actor{key, AccountAddress(AccountAddressOf("mesh", pub)),
               ValidatorAddress(ValoperAddressOf("mesh", pub))};
}

// node/proto_wire.h's varints are protobuf's, at every width's borders.
TEST(ProtoWireTest, VarintsAreProtobufs) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 300, ~uint64_t{0}};
  for (int bits = 7; bits < 64; bits += 7) {
    values.push_back((uint64_t{1} << bits) - 1);
    values.push_back(uint64_t{1} << bits);
  }
  for (uint64_t v : values) {
    uint8_t expected[10];
    uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(v, expected);
    std::string out = "x";
    wire::PutVarint(out, v);
    EXPECT_EQ(out.substr(1), std::string(reinterpret_cast<char*>(expected),
                                         static_cast<size_t>(end - expected)))
        << v;
    EXPECT_EQ(wire::VarintSize(v), google::protobuf::io::CodedOutputStream::VarintSize64(v)) << v;
  }
  std::string s;
  wire::PutString(s, 3, "");  // proto3: an empty string is left out
  EXPECT_TRUE(s.empty());
  wire::PutString(s, 3, "ab");
  EXPECT_EQ(s, std::string("\x1a\x02" "ab", 4));
  EXPECT_EQ(wire::StringSize(3, "ab"), 4u);
  EXPECT_EQ(wire::LengthDelimitedSize(16, 200), 2u + 2u + 200u);  // field 16: a 2-byte tag

  // The cursor writes what the appending functions write, after what `out` held.
  const std::string long_field(200, 'z');
  std::string appended = "x";
  wire::PutHeader(appended, 16, 300);
  wire::PutString(appended, 3, "ab");
  wire::PutString(appended, 3, "");
  wire::PutString(appended, 16, long_field);
  std::string cursor = "x";
  wire::Append(cursor, appended.size() - 1, [&](wire::Cursor& c) {
    c.Header(16, 300);
    c.String(3, "ab");
    c.String(3, "");
    c.String(16, long_field);
  });
  EXPECT_EQ(cursor, appended);
}

// The view form writes the same characters, a sign too, into the caller's
// buffer, down to the extremes of i128.
TEST(LegacyDecWireTest, CharsAreTheStringsCharacters) {
  for (i128 raw : {i128{0}, i128{1}, i128{-1}, Dec::kOne, -Dec::kOne, Dec::kOne / 10,
                   std::numeric_limits<i128>::max(), std::numeric_limits<i128>::min(),
                   std::numeric_limits<i128>::min() + 1}) {
    char buf[kLegacyDecWireChars];
    EXPECT_EQ(LegacyDecWireChars(Dec::FromRaw(raw), buf), LegacyDecWire(Dec::FromRaw(raw)));
  }
  char buf[kLegacyDecWireChars];
  EXPECT_EQ(LegacyDecWireChars(Dec::FromRaw(std::numeric_limits<i128>::min()), buf),
            "-170141183460469231731687303715884105728");
  EXPECT_EQ(LegacyDecWireChars(Dec::FromRaw(-Dec::kOne / 4), buf), "-250000000000000000");
}

TEST(LegacyDecWireTest, WritesTheIntegerScaledBy1e18) {
  EXPECT_EQ(LegacyDecWire(Dec::FromRaw(Dec::kOne / 10)), "100000000000000000");  // 0.1
  EXPECT_EQ(LegacyDecWire(Dec::One()), "1000000000000000000");
  EXPECT_EQ(LegacyDecWire(Dec::Zero()), "0");
  EXPECT_EQ(LegacyDecWire(Dec::FromRaw(1)), "1");  // 10^-18
  EXPECT_EQ(LegacyDecWire(Dec::FromRaw(-Dec::kOne / 2)), "-500000000000000000");
  __int128 min = static_cast<__int128>(static_cast<unsigned __int128>(1) << 127);
  EXPECT_EQ(LegacyDecWire(Dec::FromRaw(min)), "-170141183460469231731687303715884105728");
}

// Validators val-0..4 (self bond 10M * (i+1), commission 0.1); user
// delegates 2M to val-1 and then undelegates 500000 from it; val-4 is
// jailed in block 2 (Unbonding from then on).
class CosmosStakingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kValidators; ++i) vals_.push_back(NewActor(absl::StrCat("val-", i)));
    auto chain = Chain::Open(std::make_unique<MemStore>(), ChainConfig{kChainId, "mesh"});
    ASSERT_TRUE(chain.ok()) << chain.status();
    InstallStakingModule(**chain);
    ASSERT_TRUE(Genesis(**chain).ok());
    ASSERT_TRUE(Blocks(**chain).ok());
    auto server = GrpcServer::Start(std::move(*chain));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = sk::Query::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  absl::Status Genesis(Chain& chain) {
    return chain.InitGenesis(kT0, [&](const Context& ctx) -> absl::Status {
      MESH_RETURN_IF_ERROR(staking::Staking::InitGenesis(ctx, staking::Params()));
      for (const Actor& a : vals_) {
        MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, a.account, Denom("stake"), Amount(kFunds)));
      }
      return staking::Bank::Mint(ctx, user_.account, Denom("stake"), Amount(kFunds));
    });
  }

  absl::Status Deliver(Chain& chain, Actor& a, const std::string& type, const std::string& body) {
    TxSpec tx;
    tx.chain_id = kChainId;
    MESH_ASSIGN_OR_RETURN(staking::BaseAccount acc, chain.GetAccount(a.account));
    tx.account_number = acc.account_number;
    tx.sequence = a.nonce;
    MESH_ASSIGN_OR_RETURN(Msg msg, MsgFromJson(body, a.account.value()));
    tx.msgs.push_back(std::move(msg));
    TxResult r = chain.DeliverTx(SignTx(a.key, tx));
    if (!r.ok()) return absl::InternalError(type + ": " + r.log);
    ++a.nonce;
    return absl::OkStatus();
  }

  absl::Status Blocks(Chain& chain) {
    MESH_RETURN_IF_ERROR(chain.BeginBlock(kT0 + kBlock));
    for (int i = 0; i < kValidators; ++i) {
      std::string body = absl::StrCat(
          R"({"@type":"/cosmos.staking.v1beta1.MsgCreateValidator","commission":{"rate":"0.1"},)",
          R"("description":{"moniker":"val-)", i, R"(","identity":"ID)", i,
          R"(","website":"https://val)", i, R"(.example","details":"validator )", i, R"("},)",
          R"("validator_address":")", vals_[i].valoper.value(),
          R"(","value":{"denom":"stake","amount":")", 10000000 * (i + 1), R"("}})");
      MESH_RETURN_IF_ERROR(Deliver(chain, vals_[i], "staking/create_validator", body));
    }
    std::string val1 = vals_[1].valoper.value();
    MESH_RETURN_IF_ERROR(
        Deliver(chain, user_, "staking/delegate",
                absl::StrCat(R"({"@type":"/cosmos.staking.v1beta1.MsgDelegate","validator_address":")",
                             val1, R"(","amount":{"denom":"stake","amount":"2000000"}})")));
    MESH_RETURN_IF_ERROR(
        Deliver(chain, user_, "staking/undelegate",
                absl::StrCat(R"({"@type":"/cosmos.staking.v1beta1.MsgUndelegate","validator_address":")",
                             val1, R"(","amount":{"denom":"stake","amount":"500000"}})")));
    MESH_RETURN_IF_ERROR(chain.EndBlock());
    MESH_RETURN_IF_ERROR(chain.Commit().status());
    MESH_RETURN_IF_ERROR(chain.BeginBlock(kT0 + 2 * kBlock));
    MESH_RETURN_IF_ERROR(chain.RunAtomic(
        [&](const Context& ctx) { return staking::Staking::Jail(ctx, vals_[4].valoper); }));
    MESH_RETURN_IF_ERROR(chain.EndBlock());
    return chain.Commit().status();
  }

  sk::QueryValidatorsResponse Validators(const std::string& status,
                                         const ::cosmos::base::query::v1beta1::PageRequest& page,
                                         grpc::Status* st = nullptr) {
    sk::QueryValidatorsRequest req;
    req.set_status(status);
    *req.mutable_pagination() = page;
    sk::QueryValidatorsResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->Validators(&ctx, req, &resp);
    if (st != nullptr)
      *st = s;
    else
      EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  static std::vector<std::string> Addresses(const sk::QueryValidatorsResponse& r) {
    std::vector<std::string> out;
    for (const sk::Validator& v : r.validators()) out.push_back(v.operator_address());
    return out;
  }

  std::vector<Actor> vals_;
  Actor user_ = NewActor("user");
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<sk::Query::Stub> stub_;
};

TEST_F(CosmosStakingTest, ValidatorCarriesTheSdkEncoding) {
  sk::QueryValidatorRequest req;
  req.set_validator_addr(vals_[1].valoper.value());
  sk::QueryValidatorResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->Validator(&ctx, req, &resp).ok());
  const sk::Validator& v = resp.validator();
  EXPECT_EQ(v.operator_address(), vals_[1].valoper.value());
  EXPECT_EQ(v.status(), sk::BOND_STATUS_BONDED);
  EXPECT_FALSE(v.jailed());
  // 20M self bond + 2M - 500000 undelegated.
  EXPECT_EQ(v.tokens(), "21500000");
  EXPECT_EQ(v.delegator_shares(), "21500000000000000000000000");
  EXPECT_EQ(v.commission().commission_rates().rate(), "100000000000000000");
  EXPECT_EQ(v.commission().commission_rates().max_rate(), "1000000000000000000");
  ASSERT_TRUE(v.has_description());
  EXPECT_EQ(v.description().moniker(), "val-1");
  EXPECT_EQ(v.description().identity(), "ID1");
  EXPECT_EQ(v.description().website(), "https://val1.example");
  EXPECT_EQ(v.description().details(), "validator 1");
  EXPECT_EQ(v.description().security_contact(), "");  // not kept (G-2)
  EXPECT_TRUE(v.has_unbonding_time());
  EXPECT_EQ(v.min_self_delegation(), "1");
  EXPECT_EQ(v.consensus_pubkey().type_url(), "/cosmos.crypto.ed25519.PubKey");
  ::cosmos::crypto::ed25519::PubKey pk;
  ASSERT_TRUE(pk.ParseFromString(v.consensus_pubkey().value()));
  EXPECT_EQ(pk.key(), staking::DefaultConsensusPubkey(vals_[1].valoper));
}

TEST_F(CosmosStakingTest, ValidatorsFilterByStatus) {
  ::cosmos::base::query::v1beta1::PageRequest all;
  EXPECT_EQ(Validators("", all).validators_size(), 5);
  EXPECT_EQ(Validators("BOND_STATUS_BONDED", all).validators_size(), 4);
  sk::QueryValidatorsResponse unbonding = Validators("BOND_STATUS_UNBONDING", all);
  ASSERT_EQ(unbonding.validators_size(), 1);
  EXPECT_EQ(unbonding.validators(0).operator_address(), vals_[4].valoper.value());
  EXPECT_TRUE(unbonding.validators(0).jailed());
  EXPECT_EQ(unbonding.validators(0).unbonding_height(), 2);
  EXPECT_EQ(Validators("BOND_STATUS_UNBONDED", all).validators_size(), 0);
  for (const char* bad : {"BOND_STATUS_UNSPECIFIED", "bonded"}) {
    grpc::Status s;
    Validators(bad, all, &s);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
  }
}

TEST_F(CosmosStakingTest, ValidatorsPaginateLikeTheSdk) {
  ::cosmos::base::query::v1beta1::PageRequest page;
  sk::QueryValidatorsResponse everything = Validators("", page);
  EXPECT_EQ(everything.pagination().total(), 5u);  // limit 0: default 100, counted
  std::vector<std::string> order = Addresses(everything);

  // Key pages: no total; the last page has no next_key.
  std::vector<std::string> seen;
  page.set_limit(2);
  std::vector<int> sizes;
  do {
    sk::QueryValidatorsResponse r = Validators("", page);
    EXPECT_EQ(r.pagination().total(), 0u);
    sizes.push_back(r.validators_size());
    for (const std::string& a : Addresses(r)) seen.push_back(a);
    page.set_key(r.pagination().next_key());
  } while (!page.key().empty());
  EXPECT_EQ(sizes, (std::vector<int>{2, 2, 1}));
  EXPECT_EQ(seen, order);

  // Offset with count_total.
  ::cosmos::base::query::v1beta1::PageRequest off;
  off.set_offset(3);
  off.set_limit(1);
  off.set_count_total(true);
  sk::QueryValidatorsResponse r = Validators("", off);
  EXPECT_EQ(Addresses(r), std::vector<std::string>{order[3]});
  EXPECT_EQ(r.pagination().total(), 5u);
  EXPECT_FALSE(r.pagination().next_key().empty());

  // Reverse, then reverse from a key.
  ::cosmos::base::query::v1beta1::PageRequest rev;
  rev.set_reverse(true);
  rev.set_limit(3);
  r = Validators("", rev);
  EXPECT_EQ(Addresses(r), (std::vector<std::string>{order[4], order[3], order[2]}));
  rev.set_key(r.pagination().next_key());
  r = Validators("", rev);
  EXPECT_EQ(Addresses(r), (std::vector<std::string>{order[1], order[0]}));
  EXPECT_TRUE(r.pagination().next_key().empty());

  // Key and offset together are refused.
  off.set_key(rev.key());
  grpc::Status s;
  Validators("", off, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Pages list records in the SDK's store-key order (length-prefixed address
// bytes), not in the order of their bech32 strings; with more addresses than
// the per-thread memo of those keys has slots (slots shared and replaced),
// walked twice (the second walk reads what the first left in the memo); and
// backwards, from an offset, and the unbonding delegations too. Each page is
// read from the by-validator index (Staking::VisitValidatorDelegators).
TEST_F(CosmosStakingTest, PagesFollowTheAddressBytesWithManyAddresses) {
  constexpr int kDelegators = 600;
  const ValidatorAddress val = vals_[2].valoper;
  ASSERT_TRUE(server_
                  ->WithChain([&](Chain& chain) -> absl::Status {
                    MESH_RETURN_IF_ERROR(chain.BeginBlock(kT0 + 3 * kBlock));
                    MESH_RETURN_IF_ERROR(chain.RunAtomic([&](const Context& ctx) -> absl::Status {
                      for (int i = 0; i < kDelegators; ++i) {
                        MESH_ASSIGN_OR_RETURN(std::string a,
                                              ModuleAddress("mesh", absl::StrCat("delegator-", i)));
                        MESH_RETURN_IF_ERROR(staking::Bank::Mint(ctx, AccountAddress(a),
                                                                 Denom("stake"), Amount(100)));
                        MESH_RETURN_IF_ERROR(
                            staking::Staking::Delegate(ctx, AccountAddress(a), val, Amount(100))
                                .status());
                        if (i % 3 == 0) {  // a third also unbond some
                          MESH_RETURN_IF_ERROR(staking::Staking::Undelegate(
                              ctx, AccountAddress(a), val, Amount(40)).status());
                        }
                      }
                      return absl::OkStatus();
                    }));
                    MESH_RETURN_IF_ERROR(chain.EndBlock());
                    return chain.Commit().status();
                  })
                  .ok());
  auto page_of = [&](const ::cosmos::base::query::v1beta1::PageRequest& page) {
    sk::QueryValidatorDelegationsRequest req;
    req.set_validator_addr(val.value());
    *req.mutable_pagination() = page;
    sk::QueryValidatorDelegationsResponse resp;
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub_->ValidatorDelegations(&ctx, req, &resp).ok());
    return resp;
  };
  ::cosmos::base::query::v1beta1::PageRequest all;
  all.set_limit(10000);
  std::vector<std::string> by_bytes;
  const sk::QueryValidatorDelegationsResponse everything = page_of(all);
  for (const sk::DelegationResponse& d : everything.delegation_responses()) {
    by_bytes.push_back(d.delegation().delegator_address());
  }
  ASSERT_EQ(by_bytes.size(), kDelegators + 1u);  // and the operator's own
  auto bytes_of = [](const std::string& a) { return AddressFromBech32("mesh", a).value(); };
  std::vector<std::string> by_string = by_bytes;
  std::sort(by_string.begin(), by_string.end());
  std::sort(by_bytes.begin(), by_bytes.end(),
            [&](const std::string& x, const std::string& y) { return bytes_of(x) < bytes_of(y); });
  ASSERT_NE(by_bytes, by_string);  // the two orders differ: the test can tell them apart
  for (int pass = 0; pass < 2; ++pass) {
    ::cosmos::base::query::v1beta1::PageRequest page;
    page.set_limit(7);
    std::vector<std::string> walked;
    do {
      sk::QueryValidatorDelegationsResponse r = page_of(page);
      for (const sk::DelegationResponse& d : r.delegation_responses()) {
        walked.push_back(d.delegation().delegator_address());
      }
      ASSERT_LE(walked.size(), by_bytes.size()) << "pass " << pass << ": the walk loops";
      page.set_key(r.pagination().next_key());
    } while (!page.key().empty());
    EXPECT_EQ(walked, by_bytes) << "pass " << pass;
  }
  // Backwards from the end, then from a key; an offset; the total counted.
  ::cosmos::base::query::v1beta1::PageRequest rev;
  rev.set_reverse(true);
  rev.set_limit(5);
  sk::QueryValidatorDelegationsResponse r = page_of(rev);
  ASSERT_EQ(r.delegation_responses_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.delegation_responses(i).delegation().delegator_address(),
              by_bytes[by_bytes.size() - 1 - i]);
  }
  rev.set_key(r.pagination().next_key());
  r = page_of(rev);
  ASSERT_EQ(r.delegation_responses_size(), 5);
  EXPECT_EQ(r.delegation_responses(0).delegation().delegator_address(),
            by_bytes[by_bytes.size() - 6]);
  ::cosmos::base::query::v1beta1::PageRequest off;
  off.set_offset(300);
  off.set_limit(3);
  off.set_count_total(true);
  r = page_of(off);
  ASSERT_EQ(r.delegation_responses_size(), 3);
  EXPECT_EQ(r.delegation_responses(0).delegation().delegator_address(), by_bytes[300]);
  EXPECT_EQ(r.pagination().total(), by_bytes.size());

  // The unbonding delegations from the validator page in the same order.
  std::vector<std::string> unbonding;
  for (const std::string& a : by_bytes) {
    for (int i = 0; i < kDelegators; i += 3) {
      if (a == ModuleAddress("mesh", absl::StrCat("delegator-", i)).value()) unbonding.push_back(a);
    }
  }
  ASSERT_EQ(unbonding.size(), (kDelegators + 2u) / 3);
  ::cosmos::base::query::v1beta1::PageRequest upage;
  upage.set_limit(9);
  std::vector<std::string> walked;
  do {
    sk::QueryValidatorUnbondingDelegationsRequest req;
    req.set_validator_addr(val.value());
    *req.mutable_pagination() = upage;
    sk::QueryValidatorUnbondingDelegationsResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ValidatorUnbondingDelegations(&ctx, req, &resp).ok());
    for (const sk::UnbondingDelegation& u : resp.unbonding_responses()) {
      EXPECT_EQ(u.entries(0).balance(), "40");
      walked.push_back(u.delegator_address());
    }
    ASSERT_LE(walked.size(), unbonding.size()) << "the walk loops";
    upage.set_key(resp.pagination().next_key());
  } while (!upage.key().empty());
  EXPECT_EQ(walked, unbonding);
}

// A raw call of `method` whose answer bytes are checked to be what the
// generated serializer writes for the message they parse to (`parsed`);
// a failed call must leave no bytes.
grpc::Status CanonicalAnswer(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& method, const google::protobuf::Message& req,
                             google::protobuf::Message* parsed, std::string* bytes) {
  grpc::Status s = test_util::RawCall(channel, method, req.SerializeAsString(), bytes);
  if (s.ok()) {
    EXPECT_TRUE(parsed->ParseFromString(*bytes));
    EXPECT_EQ(parsed->SerializeAsString(), *bytes);
  } else {
    EXPECT_TRUE(bytes->empty());
  }
  return s;
}

// ValidatorDelegations writes its answer as wire bytes (RunRawQuery): they
// are exactly what the generated serializer writes for the same answer (it
// parsed, then serialized again), for a page with its total, a page of one
// and the next from its key, a reverse page, and an empty page (its
// pagination present and empty, as a message-built answer sets it). A bad
// address or request bytes that do not parse get an error and no answer.
TEST_F(CosmosStakingTest, ValidatorDelegationsBytesAreTheCanonicalEncoding) {
  auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  const std::string method = "/cosmos.staking.v1beta1.Query/ValidatorDelegations";
  auto call = [&](const sk::QueryValidatorDelegationsRequest& req,
                  sk::QueryValidatorDelegationsResponse* parsed) {
    std::string bytes;
    grpc::Status s = CanonicalAnswer(channel, method, req, parsed, &bytes);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return bytes;
  };
  sk::QueryValidatorDelegationsRequest req;
  req.set_validator_addr(vals_[1].valoper.value());
  req.mutable_pagination()->set_count_total(true);
  sk::QueryValidatorDelegationsResponse r;
  call(req, &r);
  ASSERT_EQ(r.delegation_responses_size(), 2);  // self bond + user
  EXPECT_EQ(r.pagination().total(), 2u);
  bool user_seen = false;
  for (const sk::DelegationResponse& d : r.delegation_responses()) {
    EXPECT_EQ(d.delegation().validator_address(), vals_[1].valoper.value());
    EXPECT_EQ(d.balance().denom(), "stake");
    if (d.delegation().delegator_address() != user_.account.value()) continue;
    user_seen = true;
    EXPECT_EQ(d.delegation().shares(), "1500000000000000000000000");
    EXPECT_EQ(d.balance().amount(), "1500000");
  }
  EXPECT_TRUE(user_seen);
  // A page of one, then the next from its key, then backwards.
  req.mutable_pagination()->set_count_total(false);
  req.mutable_pagination()->set_limit(1);
  call(req, &r);
  ASSERT_EQ(r.delegation_responses_size(), 1);
  ASSERT_FALSE(r.pagination().next_key().empty());
  const std::string first = r.delegation_responses(0).delegation().delegator_address();
  req.mutable_pagination()->set_key(r.pagination().next_key());
  call(req, &r);
  ASSERT_EQ(r.delegation_responses_size(), 1);
  EXPECT_NE(r.delegation_responses(0).delegation().delegator_address(), first);
  EXPECT_TRUE(r.pagination().next_key().empty());
  req.mutable_pagination()->clear_key();
  req.mutable_pagination()->set_reverse(true);
  call(req, &r);
  ASSERT_EQ(r.delegation_responses_size(), 1);
  EXPECT_NE(r.delegation_responses(0).delegation().delegator_address(), first);
  // A validator with no delegation: nothing but an empty pagination.
  sk::QueryValidatorDelegationsRequest none;
  none.set_validator_addr(Bech32Encode("meshvaloper", std::string(20, '\x7e')).value());
  EXPECT_EQ(call(none, &r), std::string("\x12\x00", 2));
  EXPECT_EQ(r.delegation_responses_size(), 0);
  // Refused: a bad address; request bytes that do not parse (a truncated
  // length-delimited field).
  std::string bytes = "left over";
  sk::QueryValidatorDelegationsRequest bad;
  bad.set_validator_addr("not-an-address");
  EXPECT_EQ(test_util::RawCall(channel, method, bad.SerializeAsString(), &bytes).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(bytes.empty());
  EXPECT_FALSE(test_util::RawCall(channel, method, std::string("\x0a\x40short", 7), &bytes).ok());
  EXPECT_TRUE(bytes.empty());
  call(req, &r);  // and the server goes on answering
  EXPECT_EQ(r.delegation_responses_size(), 1);
}

// Delegation and DelegatorDelegations write theirs the same way: the same
// bytes as the generated serializer, the same figures as ValidatorDelegations.
TEST_F(CosmosStakingTest, DelegationAnswersAreTheCanonicalEncoding) {
  auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  const std::string svc = "/cosmos.staking.v1beta1.Query/";
  auto call = [&](const std::string& method, const google::protobuf::Message& req,
                  google::protobuf::Message* parsed) {
    std::string bytes;
    return CanonicalAnswer(channel, svc + method, req, parsed, &bytes);
  };
  sk::QueryDelegationRequest dreq;
  dreq.set_delegator_addr(user_.account.value());
  dreq.set_validator_addr(vals_[1].valoper.value());
  sk::QueryDelegationResponse d;
  ASSERT_TRUE(call("Delegation", dreq, &d).ok());
  EXPECT_EQ(d.delegation_response().delegation().delegator_address(), user_.account.value());
  EXPECT_EQ(d.delegation_response().delegation().validator_address(), vals_[1].valoper.value());
  EXPECT_EQ(d.delegation_response().delegation().shares(), "1500000000000000000000000");
  EXPECT_EQ(d.delegation_response().balance().denom(), "stake");
  EXPECT_EQ(d.delegation_response().balance().amount(), "1500000");
  dreq.set_validator_addr(vals_[0].valoper.value());  // the user has none there
  EXPECT_EQ(call("Delegation", dreq, &d).error_code(), grpc::StatusCode::NOT_FOUND);

  sk::QueryDelegatorDelegationsRequest ddreq;
  ddreq.set_delegator_addr(vals_[2].account.value());  // its self bond
  ddreq.mutable_pagination()->set_count_total(true);
  sk::QueryDelegatorDelegationsResponse dd;
  ASSERT_TRUE(call("DelegatorDelegations", ddreq, &dd).ok());
  ASSERT_EQ(dd.delegation_responses_size(), 1);
  EXPECT_EQ(dd.delegation_responses(0).delegation().validator_address(), vals_[2].valoper.value());
  EXPECT_EQ(dd.delegation_responses(0).balance().amount(), "30000000");
  EXPECT_EQ(dd.pagination().total(), 1u);
  // A delegator with none: an empty pagination only.
  ddreq.set_delegator_addr(Bech32Encode("mesh", std::string(20, '\x7e')).value());
  ddreq.mutable_pagination()->set_count_total(false);
  ASSERT_TRUE(call("DelegatorDelegations", ddreq, &dd).ok());
  EXPECT_EQ(dd.delegation_responses_size(), 0);
  EXPECT_EQ(dd.SerializeAsString(), std::string("\x12\x00", 2));
  ddreq.set_delegator_addr("not-an-address");
  EXPECT_EQ(call("DelegatorDelegations", ddreq, &dd).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CosmosStakingTest, DelegationsAndUnbondings) {
  sk::QueryDelegatorDelegationsRequest dreq;
  dreq.set_delegator_addr(user_.account.value());
  sk::QueryDelegatorDelegationsResponse dresp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->DelegatorDelegations(&ctx, dreq, &dresp).ok());
  }
  ASSERT_EQ(dresp.delegation_responses_size(), 1);
  const sk::DelegationResponse& d = dresp.delegation_responses(0);
  EXPECT_EQ(d.delegation().validator_address(), vals_[1].valoper.value());
  EXPECT_EQ(d.delegation().shares(), "1500000000000000000000000");
  EXPECT_EQ(d.balance().denom(), "stake");
  EXPECT_EQ(d.balance().amount(), "1500000");

  sk::QueryValidatorDelegationsRequest vreq;
  vreq.set_validator_addr(vals_[1].valoper.value());
  sk::QueryValidatorDelegationsResponse vresp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ValidatorDelegations(&ctx, vreq, &vresp).ok());
  }
  EXPECT_EQ(vresp.delegation_responses_size(), 2);  // self bond + user
  EXPECT_EQ(vresp.pagination().total(), 2u);

  sk::QueryUnbondingDelegationRequest ureq;
  ureq.set_delegator_addr(user_.account.value());
  ureq.set_validator_addr(vals_[1].valoper.value());
  sk::QueryUnbondingDelegationResponse uresp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->UnbondingDelegation(&ctx, ureq, &uresp).ok());
  }
  ASSERT_EQ(uresp.unbond().entries_size(), 1);
  const sk::UnbondingDelegationEntry& e = uresp.unbond().entries(0);
  EXPECT_EQ(e.creation_height(), 1);
  EXPECT_EQ(e.balance(), "500000");
  EXPECT_EQ(e.initial_balance(), "500000");
  EXPECT_EQ(
      e.completion_time().seconds(),
      static_cast<int64_t>((kT0 + kBlock) / kNanosPerSecond + staking::Params().unbonding_time_s));

  sk::QueryDelegatorUnbondingDelegationsRequest lreq;
  lreq.set_delegator_addr(user_.account.value());
  sk::QueryDelegatorUnbondingDelegationsResponse lresp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->DelegatorUnbondingDelegations(&ctx, lreq, &lresp).ok());
  }
  ASSERT_EQ(lresp.unbonding_responses_size(), 1);
  EXPECT_EQ(lresp.unbonding_responses(0).validator_address(), vals_[1].valoper.value());

  // Missing records and malformed addresses use the SDK's codes.
  ureq.set_validator_addr(vals_[0].valoper.value());
  grpc::ClientContext ctx;
  EXPECT_EQ(stub_->UnbondingDelegation(&ctx, ureq, &uresp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  sk::QueryDelegationRequest bad;
  bad.set_delegator_addr(user_.account.value());
  bad.set_validator_addr(user_.account.value());  // an account, not a valoper
  sk::QueryDelegationResponse bresp;
  grpc::ClientContext ctx2;
  EXPECT_EQ(stub_->Delegation(&ctx2, bad, &bresp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// A thread keeps the bond denom and the share rates of the last committed
// view it read (one per block; never stale): a slash is valued at once, at
// the new height, and the block before it still with its own rate, however
// the heights alternate.
TEST_F(CosmosStakingTest, BalancesFollowTheShareRateOfEachHeight) {
  auto balances = [&](std::optional<uint64_t> height) {
    std::vector<std::string> out;
    for (int i = 0; i < 4; ++i) {
      sk::QueryDelegatorDelegationsRequest dreq;
      dreq.set_delegator_addr(user_.account.value());
      sk::QueryDelegatorDelegationsResponse dresp;
      grpc::ClientContext dctx;
      if (height.has_value()) dctx.AddMetadata(kBlockHeightHeader, absl::StrCat(*height));
      EXPECT_TRUE(stub_->DelegatorDelegations(&dctx, dreq, &dresp).ok());
      out.push_back(dresp.delegation_responses_size() == 1
                        ? dresp.delegation_responses(0).balance().amount()
                        : "none");
      sk::QueryDelegationRequest req;
      req.set_delegator_addr(user_.account.value());
      req.set_validator_addr(vals_[1].valoper.value());
      sk::QueryDelegationResponse resp;
      grpc::ClientContext ctx;
      if (height.has_value()) ctx.AddMetadata(kBlockHeightHeader, absl::StrCat(*height));
      EXPECT_TRUE(stub_->Delegation(&ctx, req, &resp).ok());
      out.push_back(resp.delegation_response().balance().amount());
    }
    return out;
  };
  const std::vector<std::string> before(8, "1500000");
  ASSERT_EQ(balances(std::nullopt), before);
  // val-1: 20 000 000 self-bonded + the user's 1 500 000, power 21. A 10 %
  // slash at the current height burns 21 * 10^6 * 0.1 = 2 100 000 (the
  // user's unbonding began earlier: untouched); the user's 1 500 000 of
  // 21 500 000 shares are then worth trunc(1 500 000 * 19 400 000 / 21 500 000).
  ASSERT_TRUE(server_
                  ->WithChain([&](Chain& chain) -> absl::Status {
                    MESH_RETURN_IF_ERROR(chain.BeginBlock(kT0 + 3 * kBlock));
                    MESH_RETURN_IF_ERROR(chain.RunAtomic([&](const Context& ctx) {
                      return staking::Staking::Slash(ctx, vals_[1].valoper, 3, 21,
                                                     Dec::FromRaw(Dec::kOne / 10))
                          .status();
                    }));
                    MESH_RETURN_IF_ERROR(chain.EndBlock());
                    return chain.Commit().status();
                  })
                  .ok());
  const std::vector<std::string> after(8, "1353488");
  EXPECT_EQ(balances(std::nullopt), after);
  EXPECT_EQ(balances(2), before);
  EXPECT_EQ(balances(3), after);
  EXPECT_EQ(balances(2), before);
}

// Addresses are canonicalised without re-encoding (the input lower-cased
// after a strict decode): an upper-case address answers like the canonical
// one; a mixed-case one or a broken checksum is INVALID_ARGUMENT.
TEST_F(CosmosStakingTest, UpperCaseAddressesAnswerCanonically) {
  sk::QueryDelegationRequest req;
  req.set_delegator_addr(absl::AsciiStrToUpper(user_.account.value()));
  req.set_validator_addr(absl::AsciiStrToUpper(vals_[1].valoper.value()));
  sk::QueryDelegationResponse resp;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->Delegation(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(resp.delegation_response().delegation().delegator_address(), user_.account.value());
  EXPECT_EQ(resp.delegation_response().delegation().validator_address(),
            vals_[1].valoper.value());
  EXPECT_EQ(resp.delegation_response().balance().amount(), "1500000");

  std::string mixed = user_.account.value();
  mixed.back() = static_cast<char>(absl::ascii_toupper(static_cast<unsigned char>(mixed.back())));
  std::string broken = user_.account.value();
  broken.back() = broken.back() == 'q' ? 'p' : 'q';
  for (const std::string& bad : {mixed, broken}) {
    if (bad == user_.account.value()) continue;  // a digit cannot change case
    req.set_delegator_addr(bad);
    req.set_validator_addr(vals_[1].valoper.value());
    grpc::ClientContext ctx;
    EXPECT_EQ(stub_->Delegation(&ctx, req, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << bad;
  }
}

// The query services run on gRPC's callback API: many concurrent calls all
// answer (no thread per call), each with the served height header.
TEST_F(CosmosStakingTest, ManyConcurrentCallsAnswerWithTheHeight) {
  constexpr int kCalls = 200;
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext ctx;
    sk::QueryDelegationResponse resp;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  sk::QueryDelegationRequest req;
  req.set_delegator_addr(user_.account.value());
  req.set_validator_addr(vals_[1].valoper.value());
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<Call>());
    Call* c = calls.back().get();
    auto rpc = stub_->AsyncDelegation(&c->ctx, req, &cq);
    rpc->Finish(&c->resp, &c->status, c);
  }
  for (int i = 0; i < kCalls; ++i) {
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ASSERT_TRUE(ok);
  }
  for (const auto& c : calls) {
    ASSERT_TRUE(c->status.ok()) << c->status.error_message();
    EXPECT_EQ(c->resp.delegation_response().balance().amount(), "1500000");
    auto h = c->ctx.GetServerInitialMetadata().find(kBlockHeightHeader);
    ASSERT_NE(h, c->ctx.GetServerInitialMetadata().end());
    EXPECT_EQ(std::string(h->second.data(), h->second.size()), "2");
  }
}

TEST_F(CosmosStakingTest, DelegatorValidatorsAndValidatorUnbondings) {
  sk::QueryDelegatorValidatorsRequest req;
  req.set_delegator_addr(user_.account.value());
  sk::QueryDelegatorValidatorsResponse resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->DelegatorValidators(&ctx, req, &resp).ok());
  }
  ASSERT_EQ(resp.validators_size(), 1);
  EXPECT_EQ(resp.validators(0).operator_address(), vals_[1].valoper.value());
  EXPECT_EQ(resp.validators(0).tokens(), "21500000");

  sk::QueryDelegatorValidatorRequest one;
  one.set_delegator_addr(user_.account.value());
  one.set_validator_addr(vals_[1].valoper.value());
  sk::QueryDelegatorValidatorResponse one_resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->DelegatorValidator(&ctx, one, &one_resp).ok());
  }
  EXPECT_EQ(one_resp.validator().operator_address(), vals_[1].valoper.value());
  one.set_validator_addr(vals_[0].valoper.value());  // no delegation there
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(stub_->DelegatorValidator(&ctx, one, &one_resp).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  sk::QueryValidatorUnbondingDelegationsRequest ureq;
  ureq.set_validator_addr(vals_[1].valoper.value());
  sk::QueryValidatorUnbondingDelegationsResponse uresp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->ValidatorUnbondingDelegations(&ctx, ureq, &uresp).ok());
  ASSERT_EQ(uresp.unbonding_responses_size(), 1);
  EXPECT_EQ(uresp.unbonding_responses(0).delegator_address(), user_.account.value());
  EXPECT_EQ(uresp.unbonding_responses(0).entries(0).balance(), "500000");
  EXPECT_EQ(uresp.pagination().total(), 1u);
}

TEST_F(CosmosStakingTest, PoolAndParams) {
  sk::QueryPoolResponse pool;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->Pool(&ctx, sk::QueryPoolRequest(), &pool).ok());
  }
  // Bonded: val-0..3 (10M + 21.5M + 30M + 40M); not bonded: the jailed
  // val-4 (50M) and the 500000 unbonding.
  EXPECT_EQ(pool.pool().bonded_tokens(), "101500000");
  EXPECT_EQ(pool.pool().not_bonded_tokens(), "50500000");

  sk::QueryParamsResponse params;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->Params(&ctx, sk::QueryParamsRequest(), &params).ok());
  staking::Params want;
  EXPECT_EQ(params.params().bond_denom(), "stake");
  EXPECT_EQ(params.params().unbonding_time().seconds(),
            static_cast<int64_t>(want.unbonding_time_s));
  EXPECT_EQ(params.params().max_validators(), want.max_validators);
  EXPECT_EQ(params.params().max_entries(), want.max_entries);
  EXPECT_EQ(params.params().min_commission_rate(), "0");
}

TEST_F(CosmosStakingTest, Redelegations) {
  // Block 3: user redelegates 300000 from val-1 to val-2 (30M self bond).
  ASSERT_TRUE(server_
                  ->WithChain([&](Chain& chain) -> absl::Status {
                    MESH_RETURN_IF_ERROR(chain.BeginBlock(kT0 + 3 * kBlock));
                    MESH_RETURN_IF_ERROR(Deliver(
                        chain, user_, "staking/redelegate",
                        absl::StrCat(R"({"@type":"/cosmos.staking.v1beta1.MsgBeginRedelegate",)",
                                     R"("validator_src_address":")", vals_[1].valoper.value(),
                                     R"(","validator_dst_address":")", vals_[2].valoper.value(),
                                     R"(","amount":{"denom":"stake","amount":"300000"}})")));
                    MESH_RETURN_IF_ERROR(chain.EndBlock());
                    return chain.Commit().status();
                  })
                  .ok());
  auto query = [&](const std::string& del, const std::string& src, const std::string& dst,
                   sk::QueryRedelegationsResponse* resp) {
    sk::QueryRedelegationsRequest req;
    req.set_delegator_addr(del);
    req.set_src_validator_addr(src);
    req.set_dst_validator_addr(dst);
    grpc::ClientContext ctx;
    return stub_->Redelegations(&ctx, req, resp);
  };
  const std::string src = vals_[1].valoper.value();
  const std::string dst = vals_[2].valoper.value();
  sk::QueryRedelegationsResponse resp;
  ASSERT_TRUE(query(user_.account.value(), "", "", &resp).ok());
  ASSERT_EQ(resp.redelegation_responses_size(), 1);
  const sk::RedelegationResponse& r = resp.redelegation_responses(0);
  EXPECT_EQ(r.redelegation().delegator_address(), user_.account.value());
  EXPECT_EQ(r.redelegation().validator_src_address(), src);
  EXPECT_EQ(r.redelegation().validator_dst_address(), dst);
  ASSERT_EQ(r.redelegation().entries_size(), 1);
  EXPECT_EQ(r.redelegation().entries(0).creation_height(), 3);
  EXPECT_EQ(r.redelegation().entries(0).initial_balance(), "300000");
  EXPECT_EQ(r.redelegation().entries(0).shares_dst(), "300000000000000000000000");  // 1:1 at dst
  ASSERT_EQ(r.entries_size(), 1);
  EXPECT_EQ(r.entries(0).balance(), "300000");
  EXPECT_EQ(r.entries(0).redelegation_entry().shares_dst(), "300000000000000000000000");
  EXPECT_EQ(resp.pagination().total(), 1u);

  sk::QueryRedelegationsResponse from_src;
  ASSERT_TRUE(query("", src, "", &from_src).ok());
  EXPECT_EQ(from_src.redelegation_responses_size(), 1);
  sk::QueryRedelegationsResponse one;
  ASSERT_TRUE(query(user_.account.value(), src, dst, &one).ok());
  EXPECT_EQ(one.redelegation_responses_size(), 1);
  EXPECT_EQ(query(user_.account.value(), dst, src, &one).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(query("", dst, "", &one).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(one.redelegation_responses_size(), 0);
  EXPECT_EQ(query("", "", "", &one).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Mutated request bytes (edits of valid requests to every method, sent raw
// through a generic stub, so that even bytes protobuf cannot parse reach
// the server): each call ends with a status, the server answers a valid
// query after them all. MESH_GRPC_FUZZ_ITERATIONS sets how many per method.
TEST_F(CosmosStakingTest, MutatedRequestsEndWithAStatus) {
  const std::string val = vals_[1].valoper.value();
  const std::string del = user_.account.value();
  sk::QueryValidatorsRequest validators;
  validators.set_status("BOND_STATUS_BONDED");
  validators.mutable_pagination()->set_limit(2);
  validators.mutable_pagination()->set_count_total(true);
  sk::QueryValidatorRequest validator;
  validator.set_validator_addr(val);
  sk::QueryValidatorDelegationsRequest vdel;
  vdel.set_validator_addr(val);
  vdel.mutable_pagination()->set_key(std::string("\x01\x14", 2) + std::string(20, 'a'));
  vdel.mutable_pagination()->set_reverse(true);
  sk::QueryValidatorUnbondingDelegationsRequest vubd;
  vubd.set_validator_addr(val);
  vubd.mutable_pagination()->set_offset(1);
  sk::QueryDelegationRequest delegation;
  delegation.set_delegator_addr(del);
  delegation.set_validator_addr(val);
  sk::QueryUnbondingDelegationRequest ubd;
  ubd.set_delegator_addr(del);
  ubd.set_validator_addr(val);
  sk::QueryDelegatorDelegationsRequest ddel;
  ddel.set_delegator_addr(del);
  ddel.mutable_pagination()->set_limit(1);
  sk::QueryDelegatorUnbondingDelegationsRequest dubd;
  dubd.set_delegator_addr(del);
  sk::QueryRedelegationsRequest red;
  red.set_delegator_addr(del);
  red.set_src_validator_addr(val);
  sk::QueryDelegatorValidatorsRequest dvals;
  dvals.set_delegator_addr(del);
  sk::QueryDelegatorValidatorRequest dval;
  dval.set_delegator_addr(del);
  dval.set_validator_addr(val);
  sk::QueryHistoricalInfoRequest hist;
  hist.set_height(2);
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"Validators", validators.SerializeAsString()},
      {"Validator", validator.SerializeAsString()},
      {"ValidatorDelegations", vdel.SerializeAsString()},
      {"ValidatorUnbondingDelegations", vubd.SerializeAsString()},
      {"Delegation", delegation.SerializeAsString()},
      {"UnbondingDelegation", ubd.SerializeAsString()},
      {"DelegatorDelegations", ddel.SerializeAsString()},
      {"DelegatorUnbondingDelegations", dubd.SerializeAsString()},
      {"Redelegations", red.SerializeAsString()},
      {"DelegatorValidators", dvals.SerializeAsString()},
      {"DelegatorValidator", dval.SerializeAsString()},
      {"HistoricalInfo", hist.SerializeAsString()},
      {"Pool", ""},
      {"Params", ""}};
  grpc::GenericStub generic(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  grpc::CompletionQueue cq;
  testing_internal::Mutator m(0x67727063);
  const char* env = std::getenv("MESH_GRPC_FUZZ_ITERATIONS");
  const int n = env == nullptr ? 40 : std::atoi(env);
  std::map<int, int> codes;
  for (int i = 0; i < n; ++i) {
    for (const auto& [method, bytes] : seeds) {
      const std::string mutated = m.Mutate(bytes);
      grpc::Slice slice(mutated);
      grpc::ByteBuffer request(&slice, 1);
      grpc::ByteBuffer response;
      grpc::Status status;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      auto call = generic.PrepareUnaryCall(&ctx, "/cosmos.staking.v1beta1.Query/" + method,
                                           request, &cq);
      ASSERT_NE(call, nullptr);
      call->StartCall();
      call->Finish(&response, &status, reinterpret_cast<void*>(1));
      void* tag = nullptr;
      bool ok = false;
      ASSERT_TRUE(cq.Next(&tag, &ok));
      ASSERT_TRUE(ok);
      ++codes[status.error_code()];
      // No call waits out its deadline or finds the server gone. Refusals
      // name what was wrong, but for bytes that do not parse as the
      // request of a method answered through gRPC's message callback API:
      // gRPC C++ answers those UNIMPLEMENTED with no message (compatibility
      // row G-23; HistoricalInfo is unimplemented anyway).
      EXPECT_NE(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << method;
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE) << method;
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNKNOWN) << method;
      if (!status.ok() && status.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
        EXPECT_FALSE(status.error_message().empty()) << method;
      }
      if (status.error_code() == grpc::StatusCode::INTERNAL) {  // the raw methods' parse
        EXPECT_EQ(status.error_message().rfind("grpc: error unmarshalling request: ", 0), 0u)
            << method << ": " << status.error_message();
      }
    }
  }
  cq.Shutdown();
  EXPECT_GT(codes[grpc::StatusCode::OK], 0);
  EXPECT_GT(codes[grpc::StatusCode::INVALID_ARGUMENT], 0);
  sk::QueryPoolResponse pool;
  grpc::ClientContext ctx;
  EXPECT_TRUE(stub_->Pool(&ctx, sk::QueryPoolRequest(), &pool).ok());
}

TEST_F(CosmosStakingTest, UnservedMethodsAreUnimplemented) {
  sk::QueryHistoricalInfoRequest req;
  req.set_height(1);
  sk::QueryHistoricalInfoResponse resp;
  grpc::ClientContext ctx;
  EXPECT_EQ(stub_->HistoricalInfo(&ctx, req, &resp).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace mesh::node
