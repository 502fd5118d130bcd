// Tests of the C ABI through its C entry points only (capi/meshsec.h):
// error codes and messages for bad input, NULL pointers and failing store
// callbacks, and a chain driven block by block over a map-backed store.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/test_mutator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "meshsec.h"

namespace {

using ::testing::HasSubstr;

// A host store: std::map, plus a switch that makes every callback fail.
struct MapStore {
  std::map<std::string, std::string> data;
  std::map<uint64_t, std::pair<std::map<std::string, std::string>, bool>> iters;  // snapshot
  uint64_t next_iter = 1;
  int fail_code = 0;  // non-zero: every get/set fails with it
  int sets = 0;
};

uint8_t* Dup(const std::string& s) {
  auto* p = static_cast<uint8_t*>(std::malloc(s.size() + 1));
  std::memcpy(p, s.data(), s.size());
  return p;
}

MapStore* S(void* ctx) { return static_cast<MapStore*>(ctx); }
std::string Str(const uint8_t* p, size_t n) {
  return n == 0 ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

int Get(void* ctx, const uint8_t* k, size_t kl, uint8_t** v, size_t* vl, int* found) {
  if (S(ctx)->fail_code != 0) return S(ctx)->fail_code;
  auto it = S(ctx)->data.find(Str(k, kl));
  *found = it != S(ctx)->data.end();
  if (*found) {
    *v = Dup(it->second);
    *vl = it->second.size();
  }
  return 0;
}
int Set(void* ctx, const uint8_t* k, size_t kl, const uint8_t* v, size_t vl) {
  if (S(ctx)->fail_code != 0) return S(ctx)->fail_code;
  S(ctx)->data[Str(k, kl)] = Str(v, vl);
  ++S(ctx)->sets;
  return 0;
}
int Del(void* ctx, const uint8_t* k, size_t kl) {
  S(ctx)->data.erase(Str(k, kl));
  return 0;
}
int IterOpen(void* ctx, const uint8_t* b, size_t bl, const uint8_t* e, size_t el, int reverse,
             uint64_t* id) {
  if (S(ctx)->fail_code != 0) return S(ctx)->fail_code;
  std::map<std::string, std::string> snap;
  const std::string begin = Str(b, bl), end = Str(e, el);
  for (auto it = S(ctx)->data.lower_bound(begin); it != S(ctx)->data.end(); ++it) {
    if (!end.empty() && it->first >= end) break;
    snap.insert(*it);
  }
  *id = S(ctx)->next_iter++;
  S(ctx)->iters[*id] = {std::move(snap), reverse != 0};
  return 0;
}
int IterNext(void* ctx, uint64_t id, uint8_t** k, size_t* kl, uint8_t** v, size_t* vl, int* valid) {
  auto& [snap, reverse] = S(ctx)->iters.at(id);
  *valid = !snap.empty();
  if (snap.empty()) return 0;
  auto it = reverse ? std::prev(snap.end()) : snap.begin();
  *k = Dup(it->first);
  *kl = it->first.size();
  *v = Dup(it->second);
  *vl = it->second.size();
  snap.erase(it);
  return 0;
}
void IterClose(void* ctx, uint64_t id) { S(ctx)->iters.erase(id); }

meshsec_store StoreOf(MapStore* s) {
  return meshsec_store{s, Get, Set, Del, IterOpen, IterNext, IterClose};
}

std::string Take(meshsec_buf b) {
  std::string s = Str(b.data, b.len);
  meshsec_free(b.data);
  return s;
}

// Returns the message and frees it.
std::string Msg(char* err) {
  std::string s = err == nullptr ? "" : err;
  meshsec_free(err);
  return s;
}

// The account number (decimal text) of the demo account `seed` ("<chain>/<name>",
// prefix = chain id) on `chain`, from the "auth/account" query.
std::string AccountNumber(meshsec_chain* chain, const std::string& seed) {
  char* err = nullptr;
  meshsec_buf out{};
  const std::string prefix = seed.substr(0, seed.find('/'));
  EXPECT_EQ(meshsec_demo_account(seed.c_str(), prefix.c_str(), &out, &err), 0);
  std::string acc = Take(out);
  const size_t a = acc.find(prefix + "1");
  const std::string addr = acc.substr(a, acc.find('"', a) - a);
  const std::string q = R"({"address":")" + addr + R"("})";
  EXPECT_EQ(meshsec_query(chain, "auth/account", q.data(), q.size(), &out, &err), 0);
  const std::string j = Take(out);
  const size_t p = j.find("\"account_number\":") + 17;
  return j.substr(p, j.find(',', p) - p);
}

std::string Genesis(const char* id) {
  meshsec_buf g{};
  char* err = nullptr;
  EXPECT_EQ(meshsec_devnet_genesis(R"(["chaina","chainb"])", id, 1000000000000000000ULL, &g, &err),
            0)
      << Msg(err);
  return Take(g);
}

struct Chain {
  MapStore store;
  meshsec_store cb = StoreOf(&store);
  meshsec_chain* chain = nullptr;
  ~Chain() { meshsec_chain_close(chain); }
  int Open(const std::string& genesis, std::string* message) {
    char* err = nullptr;
    int rc = meshsec_chain_open(genesis.data(), genesis.size(), &cb, &chain, &err);
    *message = Msg(err);
    return rc;
  }
};

TEST(CapiTest, BadGenesisJsonIsInvalidArgumentWithAMessage) {
  Chain c;
  std::string msg;
  EXPECT_EQ(c.Open("{not json", &msg), 3);
  EXPECT_FALSE(msg.empty());
  EXPECT_EQ(c.chain, nullptr);
  EXPECT_EQ(c.Open(R"({"chain_id":"x","bogus":1})", &msg), 3);
  EXPECT_FALSE(msg.empty());
}

// Mutated genesis files (a devnet genesis with bytes edited, JSON tokens
// and boundary numbers put in): each open is a status code with a message,
// or a chain that initialises (or refuses to, with a message) and closes.
TEST(CapiTest, MutatedGenesisIsACodeNeverACrash) {
  const std::string genesis = Genesis("chaina");
  mesh::testing_internal::Mutator m(0x67656e);
  const char* env = std::getenv("MESH_CAPI_FUZZ_ITERATIONS");
  const int n = env == nullptr ? 150 : std::atoi(env);
  int opened = 0;
  for (int i = 0; i < n; ++i) {
    const std::string g = m.MutateJson(genesis, 3);
    Chain c;
    std::string msg;
    const int rc = c.Open(g, &msg);
    ASSERT_GE(rc, 0);
    ASSERT_LE(rc, 16);
    if (rc != 0) {
      EXPECT_FALSE(msg.empty()) << g;
      EXPECT_EQ(c.chain, nullptr);
      continue;
    }
    ++opened;
    char* err = nullptr;
    const int init = meshsec_chain_init(c.chain, &err);
    const std::string message = Msg(err);
    EXPECT_LE(init, 16);
    if (init != 0) EXPECT_FALSE(message.empty()) << g;
  }
  EXPECT_GT(opened, 0);  // some mutations leave a genesis that opens
}

TEST(CapiTest, NullPointersAreErrorsNeverCrashes) {
  char* err = nullptr;
  meshsec_buf out{};
  EXPECT_EQ(meshsec_chain_open(nullptr, 0, nullptr, nullptr, &err), 3);
  EXPECT_THAT(Msg(err), HasSubstr("NULL"));
  EXPECT_EQ(meshsec_chain_init(nullptr, nullptr), 3);  // err may be NULL too
  EXPECT_EQ(meshsec_begin_block(nullptr, "{}", 2, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_deliver_tx(nullptr, nullptr, 0, &out, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_end_block(nullptr, nullptr, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_commit(nullptr, &out, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_query(nullptr, nullptr, nullptr, 0, nullptr, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_ibc_recv_packet(nullptr, nullptr, 0, nullptr, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_ibc_take_outgoing(nullptr, nullptr, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_sign_tx(nullptr, nullptr, 0, nullptr, &err), 3);
  Msg(err);
  EXPECT_EQ(out.data, nullptr);
  meshsec_chain_close(nullptr);

  // A missing store callback is refused at open.
  MapStore s;
  meshsec_store cb = StoreOf(&s);
  cb.iter_next = nullptr;
  meshsec_chain* chain = nullptr;
  const std::string g = Genesis("chaina");
  EXPECT_EQ(meshsec_chain_open(g.data(), g.size(), &cb, &chain, &err), 3);
  EXPECT_THAT(Msg(err), HasSubstr("callback"));
  EXPECT_EQ(chain, nullptr);

  // NULL arguments on an open chain.
  Chain c;
  std::string msg;
  ASSERT_EQ(c.Open(g, &msg), 0) << msg;
  EXPECT_EQ(meshsec_query(c.chain, "chain/info", nullptr, 0, nullptr, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_begin_block(c.chain, nullptr, 0, &err), 3);
  Msg(err);
}

TEST(CapiTest, StoreCallbackErrorIsPropagated) {
  Chain c;
  std::string msg;
  c.store.fail_code = 14;  // UNAVAILABLE from the host's store
  EXPECT_EQ(c.Open(Genesis("chaina"), &msg), 14);
  EXPECT_THAT(msg, HasSubstr("host store"));
  EXPECT_EQ(c.chain, nullptr);

  // A failing commit: the code comes back and the host can see no partial
  // block was reported as committed.
  c.store.fail_code = 0;
  ASSERT_EQ(c.Open(Genesis("chaina"), &msg), 0) << msg;
  meshsec_buf conn{};
  char* err = nullptr;
  ASSERT_EQ(meshsec_ibc_register_connection(c.chain, "connection-0", &conn, &err), 0) << Msg(err);
  EXPECT_EQ(Take(conn), "connection-0");
  c.store.fail_code = 99;  // out of range: reported as INTERNAL
  EXPECT_EQ(meshsec_chain_init(c.chain, &err), 13);
  EXPECT_THAT(Msg(err), HasSubstr("host store"));
  meshsec_buf info{};
  const std::string q = R"({"address":"chaina1xyz"})";
  EXPECT_EQ(meshsec_query(c.chain, "bank/balance", q.data(), q.size(), &info, &err), 13);
  Msg(err);
  EXPECT_EQ(info.data, nullptr);
}

// `c` opened on chaina's genesis, its connection registered, initialised.
void OpenInitialized(Chain& c) {
  std::string msg;
  ASSERT_EQ(c.Open(Genesis("chaina"), &msg), 0) << msg;
  char* err = nullptr;
  meshsec_buf out{};
  ASSERT_EQ(meshsec_ibc_register_connection(c.chain, "connection-0", &out, &err), 0);
  Take(out);
  ASSERT_EQ(meshsec_chain_init(c.chain, &err), 0) << Msg(err);
}

TEST(CapiTest, BadRequestsAreCodesAndMessages) {
  Chain c;
  ASSERT_NO_FATAL_FAILURE(OpenInitialized(c));
  char* err = nullptr;
  meshsec_buf out{};

  EXPECT_EQ(meshsec_query(c.chain, "no/such", "{}", 2, &out, &err), 5);
  EXPECT_THAT(Msg(err), HasSubstr("unknown query path"));
  EXPECT_EQ(meshsec_query(c.chain, "bank/balance", "{", 1, &out, &err), 3);
  Msg(err);
  const std::string extra = R"({"address":"x","extra":1})";
  EXPECT_EQ(meshsec_query(c.chain, "bank/balance", extra.data(), extra.size(), &out, &err), 3);
  EXPECT_THAT(Msg(err), HasSubstr("extra"));
  // Packets and txs need an open block.
  EXPECT_EQ(meshsec_deliver_tx(c.chain, reinterpret_cast<const uint8_t*>("x"), 1, &out, &err), 9);
  EXPECT_THAT(Msg(err), HasSubstr("no open block"));
  const std::string bad_block = R"({"time_ns":"soon"})";
  EXPECT_EQ(meshsec_begin_block(c.chain, bad_block.data(), bad_block.size(), &err), 3);
  Msg(err);
  // The failed begin_block left no block open: a good one opens.
  const std::string block = R"({"time_ns":1000000001000000000,"all_signed":true})";
  ASSERT_EQ(meshsec_begin_block(c.chain, block.data(), block.size(), &err), 0) << Msg(err);
  // A garbage tx is a failed tx result (sdk code 2, tx decode), not a call error.
  ASSERT_EQ(meshsec_deliver_tx(c.chain, reinterpret_cast<const uint8_t*>("x"), 1, &out, &err), 0);
  EXPECT_THAT(Take(out), HasSubstr(R"("code":2,"codespace":"sdk")"));
  // A packet on an unknown channel: NotFound, and a malformed packet: 3.
  const std::string packet =
      R"({"sequence":1,"source_port":"a","source_channel":"channel-0","destination_port":"b",)"
      R"("destination_channel":"channel-9","data":"eyJ9","timeout_height":100})";
  EXPECT_EQ(meshsec_ibc_recv_packet(c.chain, packet.data(), packet.size(), &out, &err), 5);
  Msg(err);
  EXPECT_EQ(meshsec_ibc_recv_packet(c.chain, "[]", 2, &out, &err), 3);
  Msg(err);
  EXPECT_EQ(meshsec_ibc_take_outgoing(c.chain, &out, &err), 9);  // block open
  Msg(err);
  ASSERT_EQ(meshsec_end_block(c.chain, &out, &err), 0) << Msg(err);
  Take(out);
  ASSERT_EQ(meshsec_commit(c.chain, &out, &err), 0) << Msg(err);
  EXPECT_EQ(Take(out).size(), 32u);
  ASSERT_EQ(meshsec_query(c.chain, "chain/info", nullptr, 0, &out, &err), 0) << Msg(err);
  EXPECT_THAT(Take(out), HasSubstr(R"("height":1)"));
}

// Mutated requests (bytes flipped, cut, doubled, JSON tokens and boundary
// numbers put in) to every JSON entry point: each returns a status code
// (0, or 1..16 with a message), never crashes, and leaves the chain able to
// run blocks. MESH_CAPI_FUZZ_ITERATIONS sets how many rounds.
TEST(CapiTest, MutatedRequestsAreCodesNeverCrashes) {
  Chain c;
  ASSERT_NO_FATAL_FAILURE(OpenInitialized(c));
  mesh::testing_internal::Mutator m(0x63617069);
  auto mutate = [&](const std::string& s) { return m.MutateJson(s, 5); };
  auto next = [&m] { return m.Next(); };
  int calls = 0;
  // rc and err are read after the call (check(call(..., &err), err, ...)
  // would read err before the call fills it: argument order is unspecified).
  auto check = [&](int rc, char*& err, const std::string& what, const std::string& request) {
    ++calls;
    EXPECT_GE(rc, 0) << what << " " << request;
    EXPECT_LE(rc, 16) << what << " " << request;
    const std::string message = Msg(err);
    err = nullptr;
    if (rc != 0) EXPECT_FALSE(message.empty()) << what << " " << request;
  };
  const std::string block = R"({"time_ns":1000000001000000000,"all_signed":true})";
  const std::vector<std::string> begin_blocks = {
      block,
      R"({"time_ns":1000000001000000000,"votes":[{"validator_address":)"
      R"("00112233445566778899aabbccddeeff00112233","power":10,"signed":true}],)"
      R"("misbehavior":[{"type":"duplicate_vote","validator_address":)"
      R"("00112233445566778899aabbccddeeff00112233","power":10,"height":1,)"
      R"("time_ns":1000000000000000000}]})"};
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"chain/info", "{}"},
      {"auth/account", R"({"address":"chaina1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a"})"},
      {"bank/balance", R"({"address":"chaina1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a","denom":"uchaina"})"},
      {"staking/validator", R"({"validator":"chainavaloper1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqkh6wxq"})"},
      {"staking/validators", "{}"},
      {"staking/delegation", R"({"delegator":"chaina1qqq","validator":"chainavaloper1qqq"})"},
      {"vault/account", R"({"address":"chaina1qqq"})"},
      {"external/stake", R"({"consumer":"chainb","user":"chaina1qqq","validator":"v"})"},
      {"consumer/bond_request", R"({"provider":"chainb","validator":"v"})"},
      {"ibc/channels", "{}"}};
  const std::string packet =
      R"({"sequence":1,"source_port":"mesh-provider","source_channel":"channel-0",)"
      R"("destination_port":"mesh-consumer","destination_channel":"channel-0","data":"eyJ9",)"
      R"("timeout_height":0,"timeout_timestamp_ns":1700000600000000000})";
  const std::string init = R"({"port":"mesh-consumer","connection":"connection-0",)"
                           R"("counterparty_port":"mesh-provider","order":"unordered","version":""})";
  const std::string try_ = R"({"port":"mesh-provider","connection":"connection-0",)"
                           R"("counterparty_port":"mesh-consumer","counterparty_channel":"channel-0",)"
                           R"("order":"unordered","counterparty_version":"{}"})";
  const std::string ack = R"({"port":"mesh-consumer","channel":"channel-0",)"
                          R"("counterparty_channel":"channel-0","counterparty_version":"{}"})";
  const std::string confirm = R"({"port":"mesh-provider","channel":"channel-0"})";
  const char* env = std::getenv("MESH_CAPI_FUZZ_ITERATIONS");
  const int rounds = env == nullptr ? 200 : std::atoi(env);
  uint64_t time_ns = 0;
  for (int round = 0; round < rounds && !HasFailure(); ++round) {
    char* err = nullptr;
    meshsec_buf out{};
    for (const auto& [path, request] : queries) {
      const std::string q = mutate(request);
      const int rc = meshsec_query(c.chain, path.c_str(), q.data(), q.size(), &out, &err);
      check(rc, err, path, q);
      Take(out);
      out = {};
      err = nullptr;
    }
    std::string b = mutate(begin_blocks[next() % begin_blocks.size()]);
    int rc = meshsec_begin_block(c.chain, b.data(), b.size(), &err);
    check(rc, err, "begin_block", b);
    if (rc != 0) {  // a good block opens after a refused one, a second after the last
      ASSERT_EQ(meshsec_query(c.chain, "chain/info", nullptr, 0, &out, &err), 0) << Msg(err);
      const std::string info = Take(out);
      out = {};
      size_t at = info.find("\"time_ns\":") + 10;
      if (info[at] == '"') ++at;  // a string, or a number
      time_ns = std::min<uint64_t>(std::strtoull(info.c_str() + at, nullptr, 10) + 1000000000ULL,
                                   INT64_MAX);  // a mutated block may have reached the last time
      b = R"({"time_ns":)" + std::to_string(time_ns) + R"(,"all_signed":true})";
      ASSERT_EQ(meshsec_begin_block(c.chain, b.data(), b.size(), &err), 0) << Msg(err) << b;
    }
    for (int k = 0; k < 4; ++k) {
      const std::string p = mutate(packet);
      int rc_recv = meshsec_ibc_recv_packet(c.chain, p.data(), p.size(), &out, &err);
      check(rc_recv, err, "recv", p);
      Take(out);
      out = {};
      err = nullptr;
      const std::string a = mutate(ack + "x");
      rc_recv = meshsec_ibc_acknowledge(c.chain, p.data(), p.size(),
                                        reinterpret_cast<const uint8_t*>(a.data()), a.size(), &err);
      check(rc_recv, err, "acknowledge", p);
      err = nullptr;
      rc_recv = meshsec_ibc_timeout(c.chain, p.data(), p.size(), next(), next(), &err);
      check(rc_recv, err, "timeout", p);
      err = nullptr;
    }
    using Handshake = int (*)(meshsec_chain*, const char*, size_t, meshsec_buf*, char**);
    const std::pair<Handshake, const std::string*> steps[] = {
        {meshsec_ibc_chan_open_init, &init}, {meshsec_ibc_chan_open_try, &try_},
        {meshsec_ibc_chan_open_ack, &ack}, {meshsec_ibc_chan_open_confirm, &confirm},
        {meshsec_ibc_chan_close_init, &confirm}, {meshsec_ibc_chan_close_confirm, &confirm}};
    for (const auto& [step, request] : steps) {
      const std::string h = mutate(*request);
      const int rc_step = step(c.chain, h.data(), h.size(), &out, &err);
      check(rc_step, err, "handshake", h);
      Take(out);
      out = {};
      err = nullptr;
    }
    ASSERT_EQ(meshsec_end_block(c.chain, &out, &err), 0) << Msg(err);
    Take(out);
    ASSERT_EQ(meshsec_commit(c.chain, &out, &err), 0) << Msg(err);
    EXPECT_EQ(Take(out).size(), 32u);
  }
  EXPECT_GT(calls, rounds * 20);
}

// meshsec_check_tx: a mempool's check of TxRaw bytes, with no block open;
// nothing is written (the same tx checks again, and is then delivered).
TEST(CapiTest, CheckTxChecksWithoutWriting) {
  Chain c;
  ASSERT_NO_FATAL_FAILURE(OpenInitialized(c));
  char* err = nullptr;
  meshsec_buf out{};
  auto sign = [&](uint64_t sequence) {
    const std::string tx_json =
        R"({"chain_id":"chaina","bech32_prefix":"chaina","account_number":)" +
        AccountNumber(c.chain, "chaina/alice") + R"(,"sequence":)" + std::to_string(sequence) +
        R"(,"msgs":[{"@type":"/meshsec.v1.MsgVaultBond","amount":"1000"}]})";
    EXPECT_EQ(meshsec_sign_tx("chaina/alice", tx_json.data(), tx_json.size(), &out, &err), 0)
        << Msg(err);
    return Take(out);
  };
  auto check = [&](const std::string& tx) {
    EXPECT_EQ(meshsec_check_tx(c.chain, reinterpret_cast<const uint8_t*>(tx.data()), tx.size(),
                               &out, &err),
              0)
        << Msg(err);
    return Take(out);
  };
  const std::string tx = sign(0);
  EXPECT_THAT(check(tx), HasSubstr(R"({"code":0,)"));
  EXPECT_THAT(check(tx), HasSubstr(R"({"code":0,)"));  // nothing consumed
  EXPECT_THAT(check(sign(3)), HasSubstr(R"({"code":32,)"));  // sequence 0 expected
  EXPECT_THAT(check("x"), HasSubstr(R"({"code":2,)"));       // does not decode
  EXPECT_EQ(meshsec_check_tx(nullptr, nullptr, 0, &out, &err), 3);
  meshsec_free(err);
  err = nullptr;
  const std::string block = R"({"time_ns":1000000001000000000,"all_signed":true})";
  ASSERT_EQ(meshsec_begin_block(c.chain, block.data(), block.size(), &err), 0) << Msg(err);
  ASSERT_EQ(meshsec_deliver_tx(c.chain, reinterpret_cast<const uint8_t*>(tx.data()), tx.size(),
                               &out, &err),
            0);
  EXPECT_THAT(Take(out), HasSubstr(R"({"code":0,)"));
  EXPECT_THAT(check(tx), HasSubstr(R"({"code":32,)"));  // delivered: its sequence is used
}

TEST(CapiTest, SignedTxMovesFundsAndReopenResumes) {
  Chain c;
  std::string msg;
  const std::string g = Genesis("chaina");
  ASSERT_EQ(c.Open(g, &msg), 0) << msg;
  char* err = nullptr;
  meshsec_buf out{};
  ASSERT_EQ(meshsec_ibc_register_connection(c.chain, "connection-0", &out, &err), 0);
  Take(out);
  ASSERT_EQ(meshsec_chain_init(c.chain, &err), 0) << Msg(err);
  ASSERT_EQ(meshsec_demo_account("chaina/alice", "chaina", &out, &err), 0) << Msg(err);
  const std::string alice = Take(out);
  const std::string addr = alice.substr(alice.find("chaina1"), 45);
  ASSERT_EQ(addr.substr(0, 7), "chaina1");
  const std::string tx_json =
      R"({"chain_id":"chaina","bech32_prefix":"chaina","account_number":)" +
      AccountNumber(c.chain, "chaina/alice") +
      R"(,"sequence":0,"msgs":[{"@type":"/meshsec.v1.MsgVaultBond","amount":"1000"}]})";
  ASSERT_EQ(meshsec_sign_tx("chaina/alice", tx_json.data(), tx_json.size(), &out, &err), 0)
      << Msg(err);
  const std::string tx = Take(out);
  const std::string block = R"({"time_ns":1000000001000000000,"all_signed":true})";
  ASSERT_EQ(meshsec_begin_block(c.chain, block.data(), block.size(), &err), 0) << Msg(err);
  ASSERT_EQ(meshsec_deliver_tx(c.chain, reinterpret_cast<const uint8_t*>(tx.data()), tx.size(),
                               &out, &err),
            0);
  EXPECT_THAT(Take(out), HasSubstr(R"({"code":0,"codespace":"","log":"","gas_wanted":10000000,)"));
  ASSERT_EQ(meshsec_end_block(c.chain, &out, &err), 0);
  Take(out);
  ASSERT_EQ(meshsec_commit(c.chain, &out, &err), 0);
  const std::string hash = Take(out);
  const std::string q = R"({"address":")" + addr + R"("})";
  ASSERT_EQ(meshsec_query(c.chain, "vault/account", q.data(), q.size(), &out, &err), 0) << Msg(err);
  EXPECT_THAT(Take(out), HasSubstr(R"("bonded":"1000")"));

  // Reopen on the same host store: the chain resumes at height 1.
  meshsec_chain_close(c.chain);
  c.chain = nullptr;
  ASSERT_EQ(c.Open(g, &msg), 0) << msg;
  ASSERT_EQ(meshsec_ibc_register_connection(c.chain, "connection-0", &out, &err), 0);
  Take(out);
  ASSERT_EQ(meshsec_chain_init(c.chain, &err), 0) << Msg(err);
  ASSERT_EQ(meshsec_query(c.chain, "chain/info", "{}", 2, &out, &err), 0);
  const std::string info = Take(out);
  EXPECT_THAT(info, HasSubstr(R"("height":1)"));
  std::string hex;
  for (unsigned char ch : hash) {
    static const char* d = "0123456789abcdef";
    hex += d[ch >> 4];
    hex += d[ch & 15];
  }
  EXPECT_THAT(info, HasSubstr(hex));
}

// ---- two chains joined by a host relaying through the C entry points ----

constexpr uint64_t kT0 = 1000000000000000000ULL;
constexpr uint64_t kBlock = 5000000000ULL;

struct Net {
  Chain a, b;  // chaina (provider of chainb), chainb
  uint64_t time = kT0;

  void Must(int rc, char* err) { ASSERT_EQ(rc, 0) << Msg(err); }
  void OpenAll() {
    std::string msg;
    for (auto [c, id] : {std::pair{&a, "chaina"}, std::pair{&b, "chainb"}}) {
      ASSERT_EQ(c->Open(Genesis(id), &msg), 0) << msg;
      char* err = nullptr;
      meshsec_buf out{};
      Must(meshsec_ibc_register_connection(c->chain, "connection-0", &out, &err), err);
      Take(out);
      Must(meshsec_chain_init(c->chain, &err), err);
    }
  }
  void Begin(meshsec_chain* c) {
    const std::string req = R"({"time_ns":)" + std::to_string(time) + R"(,"all_signed":true})";
    char* err = nullptr;
    Must(meshsec_begin_block(c, req.data(), req.size(), &err), err);
  }
  void End(meshsec_chain* c) {
    char* err = nullptr;
    meshsec_buf out{};
    Must(meshsec_end_block(c, &out, &err), err);
    Take(out);
    Must(meshsec_commit(c, &out, &err), err);
    Take(out);
  }
  std::string Call(int (*fn)(meshsec_chain*, const char*, size_t, meshsec_buf*, char**),
                   meshsec_chain* c, const std::string& json) {
    char* err = nullptr;
    meshsec_buf out{};
    const int rc = fn(c, json.data(), json.size(), &out, &err);
    EXPECT_EQ(rc, 0) << Msg(err);
    return Take(out);
  }
  // The string member `key` of flat JSON (escapes \" and \\ undone).
  static std::string Field(const std::string& json, const std::string& key) {
    const size_t at = json.find("\"" + key + "\":\"");
    if (at == std::string::npos) return "";
    std::string out;
    for (size_t i = at + key.size() + 4; i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\' && i + 1 < json.size()) ++i;
      out += json[i];
    }
    return out;
  }
  // A JSON string literal's body for `s` (quotes and backslashes escaped).
  static std::string Esc(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  }
  // consumer INIT, provider TRY, consumer ACK, provider CONFIRM.
  void OpenChannel(meshsec_chain* cons, meshsec_chain* prov) {
    const std::string init = Call(
        meshsec_ibc_chan_open_init, cons,
        R"({"port":"mesh-consumer","connection":"connection-0","counterparty_port":"mesh-provider"})");
    const std::string tried = Call(
        meshsec_ibc_chan_open_try, prov,
        R"({"port":"mesh-provider","connection":"connection-0","counterparty_port":"mesh-consumer",)"
        R"("counterparty_channel":")" +
            Field(init, "channel") + R"(","counterparty_version":")" + Esc(Field(init, "version")) +
            R"("})");
    Call(meshsec_ibc_chan_open_ack, cons,
         R"({"port":"mesh-consumer","channel":")" + Field(init, "channel") +
             R"(","counterparty_channel":")" + Field(tried, "channel") +
             R"(","counterparty_version":")" + Esc(Field(tried, "version")) + R"("})");
    Call(meshsec_ibc_chan_open_confirm, prov,
         R"({"port":"mesh-provider","channel":")" + Field(tried, "channel") + R"("})");
  }
  // Relays every outgoing packet of `from` into a block of `to`, then the
  // acks back in a block of `from`.
  void Relay(meshsec_chain* from, meshsec_chain* to);
  std::string Outgoing(meshsec_chain* c) {
    char* err = nullptr;
    meshsec_buf out{};
    EXPECT_EQ(meshsec_ibc_take_outgoing(c, &out, &err), 0) << Msg(err);
    return Take(out);
  }
};

// The packets of a take_outgoing array (objects are flat: split on '}').
std::vector<std::string> Packets(const std::string& arr) {
  std::vector<std::string> out;
  size_t pos = 1;
  while (true) {
    const size_t open = arr.find('{', pos);
    if (open == std::string::npos) break;
    const size_t close = arr.find('}', open);
    out.push_back(arr.substr(open, close - open + 1));
    pos = close + 1;
  }
  return out;
}

void Net::Relay(meshsec_chain* from, meshsec_chain* to) {
  std::vector<std::pair<std::string, std::string>> acks;
  time += kBlock;
  Begin(to);
  for (const std::string& p : Packets(Outgoing(from))) {
    char* err = nullptr;
    meshsec_buf out{};
    ASSERT_EQ(meshsec_ibc_recv_packet(to, p.data(), p.size(), &out, &err), 0) << Msg(err);
    acks.emplace_back(p, Take(out));
  }
  End(to);
  Begin(from);
  for (const auto& [p, ack] : acks) {
    char* err = nullptr;
    ASSERT_EQ(
        meshsec_ibc_acknowledge(from, p.data(), p.size(),
                                reinterpret_cast<const uint8_t*>(ack.data()), ack.size(), &err),
        0)
        << Msg(err);
  }
  End(from);
}

TEST(CapiIbcTest, TrustedEntryPointsKeepTheHostChecks) {
  Net net;
  net.OpenAll();
  net.time += kBlock;
  net.Begin(net.a.chain);
  net.Begin(net.b.chain);
  net.OpenChannel(net.b.chain, net.a.chain);
  net.OpenChannel(net.a.chain, net.b.chain);
  net.End(net.a.chain);
  net.End(net.b.chain);
  // The consumer's first valset update tells the provider val0 is active.
  net.Relay(net.b.chain, net.a.chain);
  net.Relay(net.a.chain, net.b.chain);
  net.Outgoing(net.a.chain);  // what the relay blocks sent: not under test
  net.Outgoing(net.b.chain);

  // alice stakes remotely on chainb's val0.
  char* err = nullptr;
  meshsec_buf out{};
  ASSERT_EQ(meshsec_demo_account("chainb/val0", "chainb", &out, &err), 0) << Msg(err);
  const std::string val0 = Net::Field(Take(out), "valoper");
  const std::string tx_json =
      R"({"chain_id":"chaina","bech32_prefix":"chaina","account_number":)" + AccountNumber(net.a.chain, "chaina/alice") + R"(,"sequence":0,"msgs":[{"@type":"/meshsec.v1.MsgVaultBond","amount":"500"},)"
      R"({"@type":"/meshsec.v1.MsgVaultStakeRemote","consumer":"chainb","validator":")" +
      val0 + R"(","amount":"500"}]})";
  ASSERT_EQ(meshsec_sign_tx("chaina/alice", tx_json.data(), tx_json.size(), &out, &err), 0)
      << Msg(err);
  const std::string tx = Take(out);
  net.time += kBlock;
  net.Begin(net.a.chain);
  ASSERT_EQ(meshsec_deliver_tx(net.a.chain, reinterpret_cast<const uint8_t*>(tx.data()), tx.size(),
                               &out, &err),
            0);
  EXPECT_THAT(Take(out), HasSubstr(R"({"code":0,"codespace":"","log":"","gas_wanted":10000000,)"));
  net.End(net.a.chain);
  const std::vector<std::string> sent = Packets(net.Outgoing(net.a.chain));
  ASSERT_EQ(sent.size(), 1u);
  const std::string& packet = sent[0];
  EXPECT_EQ(net.Outgoing(net.a.chain), "[]");  // handed out once

  // chainb receives it once; a second delivery is a no-op (empty ack).
  net.time += kBlock;
  net.Begin(net.b.chain);
  ASSERT_EQ(meshsec_ibc_recv_packet(net.b.chain, packet.data(), packet.size(), &out, &err), 0)
      << Msg(err);
  const std::string ack = Take(out);
  EXPECT_THAT(ack, HasSubstr("result"));
  ASSERT_EQ(meshsec_ibc_recv_packet(net.b.chain, packet.data(), packet.size(), &out, &err), 0);
  EXPECT_EQ(Take(out), "");
  net.End(net.b.chain);

  net.time += kBlock;
  net.Begin(net.a.chain);
  // A timeout the attested height/time does not justify is refused.
  EXPECT_EQ(meshsec_ibc_timeout(net.a.chain, packet.data(), packet.size(), 1, kT0, &err), 9);
  EXPECT_THAT(Msg(err), HasSubstr("timeout not reached"));
  // The trusted ack must still name the packet this chain committed.
  std::string forged = packet;
  const size_t seq = forged.find(R"("sequence":1)");
  ASSERT_NE(seq, std::string::npos);
  forged.replace(seq, 12, R"("sequence":7)");
  EXPECT_EQ(meshsec_ibc_acknowledge(net.a.chain, forged.data(), forged.size(),
                                    reinterpret_cast<const uint8_t*>(ack.data()), ack.size(), &err),
            0);  // sequence 7 was never sent: nothing to acknowledge (no-op)
  Msg(err);
  std::string tampered = packet;
  const size_t t = tampered.find(R"("timeout_timestamp_ns":)");
  ASSERT_NE(t, std::string::npos);
  tampered.insert(t + 23, "1");  // another deadline: not the committed packet
  EXPECT_EQ(meshsec_ibc_acknowledge(net.a.chain, tampered.data(), tampered.size(),
                                    reinterpret_cast<const uint8_t*>(ack.data()), ack.size(), &err),
            3);
  EXPECT_THAT(Msg(err), HasSubstr("commitment"));
  // The real ack settles the stake; a second one is a no-op.
  ASSERT_EQ(meshsec_ibc_acknowledge(net.a.chain, packet.data(), packet.size(),
                                    reinterpret_cast<const uint8_t*>(ack.data()), ack.size(), &err),
            0)
      << Msg(err);
  ASSERT_EQ(meshsec_ibc_acknowledge(net.a.chain, packet.data(), packet.size(),
                                    reinterpret_cast<const uint8_t*>(ack.data()), ack.size(), &err),
            0)
      << Msg(err);
  net.End(net.a.chain);
  ASSERT_EQ(meshsec_demo_account("chaina/alice", "chaina", &out, &err), 0);
  const std::string alice = Net::Field(Take(out), "address");
  const std::string q =
      R"({"consumer":"chainb","user":")" + alice + R"(","validator":")" + val0 + R"("})";
  ASSERT_EQ(meshsec_query(net.a.chain, "external/stake", q.data(), q.size(), &out, &err), 0)
      << Msg(err);
  EXPECT_THAT(Take(out), HasSubstr(R"("stake":{"low":"500","high":"500"})"));

  // A second stake times out: the host attests chainb passed the deadline
  // without receiving it, and the provider rolls the stake back.
  const std::string tx2_json =
      R"({"chain_id":"chaina","bech32_prefix":"chaina","account_number":)" + AccountNumber(net.a.chain, "chaina/alice") + R"(,"sequence":1,"msgs":[{"@type":"/meshsec.v1.MsgVaultBond","amount":"300"},)"
      R"({"@type":"/meshsec.v1.MsgVaultStakeRemote","consumer":"chainb","validator":")" +
      val0 + R"(","amount":"300"}]})";
  ASSERT_EQ(meshsec_sign_tx("chaina/alice", tx2_json.data(), tx2_json.size(), &out, &err), 0)
      << Msg(err);
  const std::string tx2 = Take(out);
  net.time += kBlock;
  net.Begin(net.a.chain);
  ASSERT_EQ(meshsec_deliver_tx(net.a.chain, reinterpret_cast<const uint8_t*>(tx2.data()),
                               tx2.size(), &out, &err),
            0);
  EXPECT_THAT(Take(out), HasSubstr(R"({"code":0,"codespace":"","log":"","gas_wanted":10000000,)"));
  net.End(net.a.chain);
  const std::vector<std::string> sent2 = Packets(net.Outgoing(net.a.chain));
  ASSERT_EQ(sent2.size(), 1u);
  const std::string& late = sent2[0];
  const size_t tt = late.find(R"("timeout_timestamp_ns":)");
  ASSERT_NE(tt, std::string::npos);
  const uint64_t deadline = std::stoull(late.substr(tt + 23));
  ASSERT_EQ(meshsec_query(net.a.chain, "external/stake", q.data(), q.size(), &out, &err), 0);
  EXPECT_THAT(Take(out), HasSubstr(R"("stake":{"low":"500","high":"800"})"));
  net.time += kBlock;
  net.Begin(net.a.chain);
  EXPECT_EQ(meshsec_ibc_timeout(net.a.chain, late.data(), late.size(), 0, deadline - 1, &err), 9);
  Msg(err);
  ASSERT_EQ(meshsec_ibc_timeout(net.a.chain, late.data(), late.size(), 0, deadline, &err), 0)
      << Msg(err);
  ASSERT_EQ(meshsec_ibc_timeout(net.a.chain, late.data(), late.size(), 0, deadline, &err), 0)
      << Msg(err);  // redundant: a no-op
  net.End(net.a.chain);
  ASSERT_EQ(meshsec_query(net.a.chain, "external/stake", q.data(), q.size(), &out, &err), 0);
  EXPECT_THAT(Take(out), HasSubstr(R"("stake":{"low":"500","high":"500"})"));
  EXPECT_EQ(net.Outgoing(net.a.chain), "[]");  // settled packets are not handed out
}

TEST(CapiIbcTest, ClosedChannelTimesOutInFlightPackets) {
  Net net;
  net.OpenAll();
  net.time += kBlock;
  net.Begin(net.a.chain);
  net.Begin(net.b.chain);
  net.OpenChannel(net.b.chain, net.a.chain);
  net.OpenChannel(net.a.chain, net.b.chain);
  net.End(net.a.chain);
  net.End(net.b.chain);
  net.Relay(net.b.chain, net.a.chain);
  net.Relay(net.a.chain, net.b.chain);
  net.Outgoing(net.a.chain);
  net.Outgoing(net.b.chain);

  char* err = nullptr;
  meshsec_buf out{};
  ASSERT_EQ(meshsec_demo_account("chainb/val0", "chainb", &out, &err), 0) << Msg(err);
  const std::string val0 = Net::Field(Take(out), "valoper");
  ASSERT_EQ(meshsec_demo_account("chaina/alice", "chaina", &out, &err), 0);
  const std::string alice = Net::Field(Take(out), "address");
  const std::string tx_json =
      R"({"chain_id":"chaina","bech32_prefix":"chaina","account_number":)" + AccountNumber(net.a.chain, "chaina/alice") + R"(,"sequence":0,"msgs":[{"@type":"/meshsec.v1.MsgVaultBond","amount":"400"},)"
      R"({"@type":"/meshsec.v1.MsgVaultStakeRemote","consumer":"chainb","validator":")" +
      val0 + R"(","amount":"400"}]})";
  ASSERT_EQ(meshsec_sign_tx("chaina/alice", tx_json.data(), tx_json.size(), &out, &err), 0);
  const std::string tx = Take(out);
  net.time += kBlock;
  net.Begin(net.a.chain);
  ASSERT_EQ(meshsec_deliver_tx(net.a.chain, reinterpret_cast<const uint8_t*>(tx.data()), tx.size(),
                               &out, &err),
            0);
  EXPECT_THAT(Take(out), HasSubstr(R"({"code":0,"codespace":"","log":"","gas_wanted":10000000,)"));
  net.End(net.a.chain);
  const std::vector<std::string> sent = Packets(net.Outgoing(net.a.chain));
  ASSERT_EQ(sent.size(), 1u);
  const std::string packet = sent[0];
  const std::string cons_channel = Net::Field(packet, "destination_channel");
  const std::string prov_channel = Net::Field(packet, "source_channel");

  // The consumer closes its end before the packet arrives.
  net.time += kBlock;
  net.Begin(net.b.chain);
  net.Call(meshsec_ibc_chan_close_init, net.b.chain,
           R"({"port":"mesh-consumer","channel":")" + cons_channel + R"("})");
  net.End(net.b.chain);

  net.time += kBlock;
  net.Begin(net.a.chain);
  // The mesh provider refuses close-confirm (its close is initiated only).
  const std::string close = R"({"port":"mesh-provider","channel":")" + prov_channel + R"("})";
  EXPECT_EQ(meshsec_ibc_chan_close_confirm(net.a.chain, close.data(), close.size(), &out, &err), 9);
  Msg(err);
  // The in-flight stake times out on close and is rolled back.
  ASSERT_EQ(meshsec_ibc_timeout_on_close(net.a.chain, packet.data(), packet.size(), &err), 0)
      << Msg(err);
  net.End(net.a.chain);
  const std::string q =
      R"({"consumer":"chainb","user":")" + alice + R"(","validator":")" + val0 + R"("})";
  ASSERT_EQ(meshsec_query(net.a.chain, "external/stake", q.data(), q.size(), &out, &err), 0)
      << Msg(err);
  EXPECT_THAT(Take(out), HasSubstr(R"("stake":{"low":"0","high":"0"})"));
  ASSERT_EQ(meshsec_query(net.b.chain, "ibc/channels", "{}", 2, &out, &err), 0);
  EXPECT_THAT(Take(out), HasSubstr(R"("channel":")" + cons_channel + R"(","state":"CLOSED")"));
}

}  // namespace
