// SlashBatch (one pass over a slashed validator's records per block, each
// slash stored as one record slash) against an eager reference: the
// per-slash rules of docs/consumer.md applied one slash at a time to an
// in-memory copy of the records, on randomized stake / unstake / in-flight
// / slash sequences with fixed seeds; unstakes against the same rules on
// every record of the validator. Every record (remote, local, slash debt),
// every returned cut and the request of every validator must be identical.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "mesh/consumer/provider_guard.h"
#include "mesh/consumer/test_fixture.h"

namespace mesh::consumer::testing {
namespace {

// (validator, delegator) in store key order: names have equal lengths, so
// the length-prefixed key order is the byte order.
using Key = std::pair<std::string, std::string>;
using Model = std::map<Key, DelegationRecord>;

const std::vector<std::string> kValidators = {"va", "vb", "vc"};

std::vector<Model::iterator> On(Model& m, const std::string& v) {
  std::vector<Model::iterator> out;
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (it->first.first == v) out.push_back(it);
  }
  return out;
}

// The eager rules, one slash at a time: ApplySlash / ApplyForwardedSlash
// (local side by floor(local x cut / Σ local); remote side by the same
// fraction rounded up, or by SplitByWeight of `remote_cut`).
void RefReduce(Model& m, const std::string& v, Amount cut, std::optional<Amount> remote_cut) {
  auto recs = On(m, v);
  Amount total;
  std::vector<Amount> remotes;
  for (auto it : recs) {
    total = Must(total.Add(it->second.local));
    remotes.push_back(it->second.remote);
  }
  const bool remote_left = remote_cut.has_value() && !remote_cut->IsZero();
  if ((total.IsZero() || cut.IsZero()) && !remote_left) return;
  cut = Min(cut, total);
  std::vector<Amount> parts;
  if (remote_cut.has_value()) parts = Must(SplitByWeight(remotes, remotes, *remote_cut));
  for (size_t i = 0; i < recs.size(); ++i) {
    DelegationRecord& r = recs[i]->second;
    const Amount lc =
        total.IsZero() ? Amount() : Must(MulDiv(r.local, cut, total, Rounding::kDown));
    const Amount rc = remote_cut.has_value()
                          ? parts[i]
                          : Must(MulDiv(r.remote, cut, total, Rounding::kUp));
    r.local = r.local.SaturatingSub(lc);
    r.remote = r.remote.SaturatingSub(rc);
  }
}

// ClipForwardedSlash then CutRecordsRemote: held at the infraction = remote
// less additions at or after it (0 with an internal unstake in flight).
Amount RefCutRemote(Model& m, const std::string& v, Amount remote, uint64_t h,
                    std::optional<Dec> ratio) {
  auto recs = On(m, v);
  if (ratio.has_value()) {
    Amount sum;
    for (auto it : recs) sum = Must(sum.Add(it->second.remote));
    remote = Min(remote, Must(MulCeil(sum, *ratio)));
  }
  std::vector<Amount> held;
  for (auto it : recs) {
    const DelegationRecord& r = it->second;
    Amount later;
    for (const RecordAddition& a : r.additions) {
      if (a.height >= h) later = Must(later.Add(a.remote));
    }
    held.push_back(r.unstake_in_flight ? Amount() : r.remote.SaturatingSub(later));
  }
  std::vector<Amount> parts = Must(SplitByWeight(held, held, remote));
  Amount total;
  for (size_t i = 0; i < recs.size(); ++i) {
    DelegationRecord& r = recs[i]->second;
    r.remote = r.remote.SaturatingSub(parts[i]);
    r.slash_debt = Must(r.slash_debt.Add(parts[i]));
    total = Must(total.Add(parts[i]));
  }
  return total;
}

// RemoveStake's rule on every record of the validator: the own record's
// slash debt covers what it lacks (C-28), then SplitOneFirst (own record
// first, the rest by remote), each record losing its local share. Returns
// (released local, absorbed).
std::pair<Amount, Amount> RefRemoveStake(Model& m, const std::string& v, const std::string& d,
                                         Amount remote) {
  auto recs = On(m, v);
  std::vector<Amount> remotes;
  std::optional<size_t> own;
  Amount absorbed;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (recs[i]->first.second == d) own = i;
  }
  if (own.has_value()) {
    DelegationRecord& r = recs[*own]->second;
    absorbed = Min(remote.SaturatingSub(r.remote), r.slash_debt);
    r.slash_debt = r.slash_debt.SaturatingSub(absorbed);
    remote = remote.SaturatingSub(absorbed);
  }
  for (auto it : recs) remotes.push_back(it->second.remote);
  const std::vector<Amount> cuts = Must(SplitOneFirst(remotes, own, remote));
  Amount release;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (cuts[i].IsZero() && i != own) continue;
    DelegationRecord& r = recs[i]->second;
    const Amount local =
        cuts[i] >= r.remote ? r.local : Must(MulDiv(r.local, cuts[i], r.remote, Rounding::kDown));
    release = Must(release.Add(local));
    r.local = r.local.SaturatingSub(local);
    r.remote = r.remote.SaturatingSub(cuts[i]);
  }
  return {release, absorbed};
}

class SlashBatchTest : public ConsumerTest {
 protected:
  Model Snapshot() {
    Model m;
    for (const auto& e : Must(VirtualStaking::AllRecords(ctx(), prov_))) {
      m[{e.validator.value(), e.delegator.value()}] = e.record;
    }
    return m;
  }

  void ExpectSame(const Model& want, const std::string& where) {
    const Model got = Snapshot();
    ASSERT_EQ(got.size(), want.size()) << where;
    for (const auto& [k, r] : want) {
      auto it = got.find(k);
      ASSERT_NE(it, got.end()) << where << " " << k.first << "/" << k.second;
      EXPECT_EQ(it->second.remote, r.remote) << where << " " << k.first << "/" << k.second;
      EXPECT_EQ(it->second.local, r.local) << where << " " << k.first << "/" << k.second;
      EXPECT_EQ(it->second.slash_debt, r.slash_debt) << where << " " << k.first << "/" << k.second;
    }
  }

  // One randomized run: `steps` operations; each slash block applies 1-4
  // slashes through one SlashBatch and is checked against the reference.
  void Run(uint64_t seed, int steps) {
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
    auto delegator = [&] { return AccountAddress("d" + std::to_string(10 + pick(12))); };
    auto validator = [&] { return ValidatorAddress(kValidators[pick(kValidators.size())]); };
    const std::optional<Dec> ratios[] = {std::nullopt, D("0.1"), D("0.05"), D("1")};
    for (int step = 0; step < steps; ++step) {
      const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
      const uint64_t op = pick(10);
      if (op < 4) {  // a stake, in this block or the next
        if (pick(2) == 0) NextBlock(5);
        const Amount remote(1 + pick(1000));
        const Amount local(pick(static_cast<uint64_t>(remote.raw()) + 1));
        Must(VirtualStaking::AddStake(ctx(), prov_, delegator(), validator(), remote, local));
      } else if (op < 6) {  // an unstake, possibly beyond the record
        const AccountAddress d = delegator();
        const ValidatorAddress v = validator();
        auto rec = Must(VirtualStaking::GetRecord(ctx(), prov_, d, v));
        const uint64_t have = rec.has_value() ? static_cast<uint64_t>(rec->remote.raw()) : 0;
        const Amount amount(1 + pick(have + 60));
        Model ref = Snapshot();
        const Amount request = Must(VirtualStaking::BondRequest(ctx(), prov_, v));
        const auto [release, absorbed] = RefRemoveStake(ref, v.value(), d.value(), amount);
        Amount got_absorbed;
        const Amount freed =
            Must(VirtualStaking::RemoveStake(ctx(), prov_, d, v, amount, &got_absorbed));
        EXPECT_EQ(freed, Min(release, request)) << where;
        EXPECT_EQ(got_absorbed, absorbed) << where;
        ExpectSame(ref, where);
      } else if (op < 7) {  // an internal unstake goes in flight or comes back
        const AccountAddress d = delegator();
        const ValidatorAddress v = validator();
        auto rec = Must(VirtualStaking::GetRecord(ctx(), prov_, d, v));
        if (!rec.has_value()) continue;
        rec->unstake_in_flight = !rec->unstake_in_flight;
        Must(internal::SaveRecord(ctx(), prov_, v, d, *rec));
      } else {  // a block of slashes
        Model ref = Snapshot();
        std::map<std::string, Amount> ref_requests;
        for (const auto& v : kValidators) {
          ref_requests[v] = Must(VirtualStaking::BondRequest(ctx(), prov_, V(v.c_str())));
        }
        SlashBatch batch(ctx(), prov_);
        const uint64_t n = 1 + pick(4);
        for (uint64_t i = 0; i < n; ++i) {
          const ValidatorAddress v = validator();
          const uint64_t kind = pick(3);
          if (kind < 2) {
            const Amount share(pick(400));
            const bool forwarded = kind == 0;
            if (forwarded) {
              Must(batch.ApplyForwardedSlash(v, share));
              RefReduce(ref, v.value(), share, Amount());
            } else {
              Must(batch.ApplySlash(v, share));
              RefReduce(ref, v.value(), share, std::nullopt);
            }
            ref_requests[v.value()] = ref_requests[v.value()].SaturatingSub(share);
          } else {
            const Amount remote(pick(500));
            const uint64_t h = block_.height - pick(12);
            const std::optional<Dec> ratio = ratios[pick(4)];
            const Amount got = Must(batch.CutRemote(v, remote, h, ratio));
            EXPECT_EQ(got, RefCutRemote(ref, v.value(), remote, h, ratio)) << where;
          }
        }
        ExpectSame(ref, where);
        for (const auto& v : kValidators) {
          EXPECT_EQ(Must(VirtualStaking::BondRequest(ctx(), prov_, V(v.c_str()))),
                    ref_requests[v])
              << where << " " << v;
        }
        NextBlock(5);
      }
    }
  }
};

TEST_F(SlashBatchTest, MatchesTheEagerRulesOnRandomSequences) {
  for (uint64_t seed = 1; seed <= 40; ++seed) Run(seed, 300);
}

// A record's stake packets beyond the first four are kept one key per height
// (table 0x80), not in the record: however often its delegator stakes, the
// record's value stops growing, the additions past the unbonding time are deleted, and a slash
// still leaves out exactly what came at or after its infraction.
TEST_F(SlashBatchTest, RecordAdditionsLiveOutsideTheRecordAndExpire) {
  const AccountAddress alice("alice"), bob("bob");
  const ValidatorAddress v(kValidators[0]);
  const uint64_t unbonding = Must(staking::Staking::GetParams(ctx())).unbonding_time_s;
  const std::string record_key =
      Encoder(internal::kRecordPrefix).Str(prov_.value()).Str(v.value()).Str("alice").Take();
  const std::string additions =
      Encoder(internal::kRecordAdditionPrefix).Str(prov_.value()).Str(v.value()).Str("alice").Take();
  auto count_additions = [&] {
    size_t n = 0;
    for (auto it = store_.ScanPrefix(additions); it->Valid(); it->Next()) ++n;
    return n;
  };
  Must(VirtualStaking::AddStake(ctx(), prov_, bob, v, A(1000), A(500)));
  size_t first_size = 0;
  const uint64_t start = block_.height;
  for (int i = 0; i < 200; ++i) {
    NextBlock(5);
    Must(VirtualStaking::AddStake(ctx(), prov_, alice, v, A(10), A(5)));
    if (i == 9) first_size = Must(store_.Get(record_key))->size();
  }
  // Two stakes in one block make one key.
  Must(VirtualStaking::AddStake(ctx(), prov_, alice, v, A(10), A(5)));
  EXPECT_EQ(Must(store_.Get(record_key))->size(), first_size);
  EXPECT_EQ(count_additions(), 196u);  // the first 4 are inline
  const DelegationRecord pub = *Must(VirtualStaking::GetRecord(ctx(), prov_, alice, v));
  ASSERT_EQ(pub.additions.size(), 200u);
  EXPECT_EQ(pub.additions.front().height, start + 1);
  EXPECT_EQ(pub.additions.back().remote, A(20));
  EXPECT_EQ(pub.remote, A(2010));
  // Infraction 10 blocks before the last: alice held 2010 - 11 × 10 - 10 =
  // 1890, bob 1000; a cut of 289 splits 189 / 100 (SplitByWeight).
  const Amount cut = Must(VirtualStaking::CutRecordsRemote(ctx(), prov_, v, A(289),
                                                           block_.height - 10));
  EXPECT_EQ(cut, A(289));
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, alice, v))->remote, A(2010 - 189));
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, bob, v))->remote, A(900));
  // Past the unbonding time, a stake forgets the older additions once the
  // first is an eighth of it past due (one scan per grace period), and a
  // single expired one at once.
  NextBlock(unbonding + 1);
  Must(VirtualStaking::AddStake(ctx(), prov_, alice, v, A(7), A(3)));
  EXPECT_EQ(count_additions(), 197u);
  NextBlock(unbonding / 8);
  Must(VirtualStaking::AddStake(ctx(), prov_, alice, v, A(7), A(3)));
  EXPECT_EQ(count_additions(), 2u);  // the previous one (an eighth ago) is not due
  NextBlock(unbonding + 1);
  Must(VirtualStaking::AddStake(ctx(), prov_, alice, v, A(7), A(3)));
  EXPECT_EQ(count_additions(), 0u);  // the table emptied: inline again
  EXPECT_EQ(Must(VirtualStaking::GetRecord(ctx(), prov_, alice, v))->additions,
            (std::vector<RecordAddition>{{block_.height, block_.time_ns / kNanosPerSecond, A(7)}}));
  // A record read back the old way (its list inline, no table range) still
  // counts its list.
  DelegationRecord legacy;
  legacy.remote = A(50);
  legacy.additions = {{block_.height, 1, A(30)}};
  EXPECT_EQ(Must(internal::RemoteAddedSince(ctx(), prov_, v, bob, legacy, block_.height)), A(30));
  EXPECT_EQ(Must(internal::RemoteAddedSince(ctx(), prov_, v, bob, legacy, block_.height + 1)),
            A(0));
}

// A slash writes one RecordSlash and its seq, not the records it cuts: the
// stored records keep their bytes, and every read applies the slash.
TEST_F(SlashBatchTest, ASlashWritesOneRecordSlashNotTheRecords) {
  const AccountAddress d10("d10"), d11("d11");
  Must(VirtualStaking::AddStake(ctx(), prov_, d10, V("va"), A(300), A(300)));
  Must(VirtualStaking::AddStake(ctx(), prov_, d11, V("va"), A(100), A(100)));
  NextBlock(5);
  auto raw = [&](const AccountAddress& d) {
    return Must(ctx().store().Get(
        Encoder(internal::kRecordPrefix).Str(prov_.value()).Str("va").Str(d.value()).Take()));
  };
  const auto raw10 = raw(d10), raw11 = raw(d11);
  ASSERT_TRUE(raw10.has_value());
  SlashBatch batch(ctx(), prov_);
  Must(batch.ApplyForwardedSlash(V("va"), A(40)));
  EXPECT_EQ(Must(batch.CutRemote(V("va"), A(40), block_.height, D("0.1"))), A(40));
  EXPECT_EQ(raw(d10), raw10);
  EXPECT_EQ(raw(d11), raw11);
  EXPECT_EQ(Must(internal::LastRecordSlash(ctx(), prov_, V("va"))), 2u);
  EXPECT_EQ(Must(internal::LastRecordSlash(ctx(), prov_, V("vb"))), 0u);
  auto r10 = Must(VirtualStaking::GetRecord(ctx(), prov_, d10, V("va")));
  auto r11 = Must(VirtualStaking::GetRecord(ctx(), prov_, d11, V("va")));
  EXPECT_EQ(r10->remote, A(270));
  EXPECT_EQ(r10->local, A(270));
  EXPECT_EQ(r10->slash_debt, A(30));
  EXPECT_EQ(r11->remote, A(90));
  EXPECT_EQ(r11->local, A(90));
  EXPECT_EQ(r11->slash_debt, A(10));
  // A record written after the slashes is stamped with them: it is not cut.
  Must(VirtualStaking::AddStake(ctx(), prov_, AccountAddress("d12"), V("va"), A(50), A(50)));
  auto r12 = Must(VirtualStaking::GetRecord(ctx(), prov_, AccountAddress("d12"), V("va")));
  EXPECT_EQ(r12->remote, A(50));
  EXPECT_EQ(r12->slash_seq, std::optional<uint64_t>(2));
  // A record saved after a read keeps what the slashes left, and reads the
  // same afterwards (the slashes are not applied twice).
  Must(VirtualStaking::AddStake(ctx(), prov_, d10, V("va"), A(10), A(10)));
  r10 = Must(VirtualStaking::GetRecord(ctx(), prov_, d10, V("va")));
  EXPECT_EQ(r10->remote, A(280));
  EXPECT_EQ(r10->slash_debt, A(30));
  // Closing the channel drops the slashes with the records.
  Must(VirtualStaking::CloseChannel(ctx(), prov_));
  EXPECT_EQ(Must(internal::LastRecordSlash(ctx(), prov_, V("va"))), 0u);
}

// A record left untouched while its validator is slashed again and again
// is saved once a slash finds it more than kRecordSlashesBehind behind:
// later reads replay only the slashes since, and read the same amounts as
// the eager rules.
TEST_F(SlashBatchTest, ARecordFarBehindIsSavedWhenASlashReadsIt) {
  const AccountAddress d10("d10"), d11("d11");
  Must(VirtualStaking::AddStake(ctx(), prov_, d10, V("va"), A(3000), A(3000)));
  Must(VirtualStaking::AddStake(ctx(), prov_, d11, V("va"), A(1000), A(700)));
  NextBlock(5);
  Model ref = Snapshot();
  auto stored_seq = [&](const AccountAddress& d) {
    auto raw = Must(ctx().store().Get(
        Encoder(internal::kRecordPrefix).Str(prov_.value()).Str("va").Str(d.value()).Take()));
    return Must(DecodeRecord<DelegationRecord>(*raw)).slash_seq.value_or(0);
  };
  const uint64_t slashes = internal::kRecordSlashesBehind + 2;
  for (uint64_t k = 1; k <= slashes; ++k) {
    Must(VirtualStaking::ApplySlash(ctx(), prov_, V("va"), A(7)));
    RefReduce(ref, "va", A(7), std::nullopt);
    // Until a load finds them more than kRecordSlashesBehind behind, the
    // records stay as staked.
    EXPECT_EQ(stored_seq(d10), k <= internal::kRecordSlashesBehind + 1 ? 0u : k - 1) << k;
  }
  EXPECT_EQ(Must(internal::LastRecordSlash(ctx(), prov_, V("va"))), slashes);
  EXPECT_EQ(stored_seq(d11), slashes - 1);
  ExpectSame(ref, "after the slashes");
}

// PlanSplit and each record's part reproduce SplitByWeight exactly, for
// every remainder tail (none, up to a record, all), on random weights and
// totals (below, at and above Σ weights), with delegators of unequal
// lengths in key order.
TEST_F(SlashBatchTest, PlannedSplitEqualsSplitByWeight) {
  std::mt19937_64 rng(7);
  std::map<RecordSlash::Tail, int> tails;
  for (int round = 0; round < 3000; ++round) {
    const size_t n = 1 + rng() % 9;
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) {
      names.push_back(std::string(1 + rng() % 3, 'a') + std::to_string(i));
    }
    // Key order: length first, then bytes.
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    std::vector<AccountAddress> delegators;
    std::vector<Amount> weights;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; ++i) {
      delegators.emplace_back(names[i]);
      const uint64_t w = rng() % 4 == 0 ? 0 : rng() % 50;
      weights.emplace_back(w);
      sum += w;
    }
    std::vector<const AccountAddress*> keys;
    for (const auto& d : delegators) keys.push_back(&d);
    const Amount total(rng() % (sum + 20));
    RecordSlash s;
    s.kind = RecordSlash::Kind::kCutRemote;
    Must(internal::PlanSplit(s, total, weights, keys));
    ++tails[s.tail];
    const std::vector<Amount> want = Must(SplitByWeight(weights, weights, total));
    for (size_t i = 0; i < n; ++i) {
      DelegationRecord r;
      r.remote = Amount(1000);
      Amount part;
      Must(internal::ApplyRecordSlash(ctx(), prov_, V("va"), delegators[i], s, r, weights[i],
                                      &part));
      EXPECT_EQ(part, want[i]) << "round " << round << " record " << i;
      EXPECT_EQ(r.remote, Amount(1000 - static_cast<uint64_t>(want[i].raw())));
    }
  }
  EXPECT_GT(tails[RecordSlash::Tail::kNone], 0);
  EXPECT_GT(tails[RecordSlash::Tail::kUpTo], 0);
  EXPECT_GT(tails[RecordSlash::Tail::kAll], 0);
}

// Encoding: a record with a slash seq and no additions log round-trips, and
// a record stored before the field reads as seq 0.
TEST_F(SlashBatchTest, RecordSlashSeqRoundTrips) {
  DelegationRecord r;
  r.remote = A(5);
  r.slash_seq = 3;
  auto back = Must(DecodeRecord<DelegationRecord>(EncodeRecord(r)));
  EXPECT_EQ(back.slash_seq, std::optional<uint64_t>(3));
  EXPECT_TRUE(back.additions_log.empty());
  r.additions_log = AmountLogRange{4, 9, 100};
  back = Must(DecodeRecord<DelegationRecord>(EncodeRecord(r)));
  EXPECT_EQ(back.slash_seq, std::optional<uint64_t>(3));
  EXPECT_EQ(back.additions_log, r.additions_log);
  r.slash_seq.reset();
  back = Must(DecodeRecord<DelegationRecord>(EncodeRecord(r)));
  EXPECT_EQ(back.slash_seq, std::optional<uint64_t>(0));
  RecordSlash slash;
  slash.kind = RecordSlash::Kind::kCutRemote;
  slash.tail = RecordSlash::Tail::kUpTo;
  slash.tail_key = "d11";
  slash.tail_extra = A(2);
  slash.split_total = A(9);
  slash.weight_sum = A(30);
  EXPECT_EQ(Must(DecodeRecord<RecordSlash>(EncodeRecord(slash))), slash);
}

// The delegation records list of the queries, read a page at a time: the
// keys from VisitRecordKeys (all of the provider's, or one validator's,
// from a page key, either way) and each record by GetRecord give the list
// AllRecords gives, records settled with the record slashes they missed.
TEST_F(SlashBatchTest, RecordKeysFromAPageKeyListTheSettledRecords) {
  Run(7, 300);  // stakes, unstakes and slashes over three validators
  const auto all = Must(VirtualStaking::AllRecords(ctx(), prov_));
  ASSERT_GT(all.size(), 6u);
  std::vector<std::string> keys;
  size_t i = 0;
  ASSERT_TRUE(VirtualStaking::VisitRecordKeys(
                  ctx(), prov_, std::nullopt, "", false,
                  [&](std::string_view key, const ValidatorAddress& v,
                      const AccountAddress& d) -> absl::StatusOr<bool> {
                    keys.emplace_back(key);
                    EXPECT_LT(i, all.size());
                    if (i >= all.size()) return false;
                    EXPECT_EQ(v, all[i].validator);
                    EXPECT_EQ(d, all[i].delegator);
                    const auto r = Must(VirtualStaking::GetRecord(ctx(), prov_, d, v));
                    EXPECT_TRUE(r.has_value());
                    if (r.has_value()) {
                      EXPECT_EQ(r->remote, all[i].record.remote);
                      EXPECT_EQ(r->local, all[i].record.local);
                      EXPECT_EQ(r->slash_debt, all[i].record.slash_debt);
                    }
                    ++i;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(i, all.size());
  // Backwards from the fourth key: the first four, last first.
  std::vector<std::string> back;
  ASSERT_TRUE(VirtualStaking::VisitRecordKeys(
                  ctx(), prov_, std::nullopt, keys[3], true,
                  [&](std::string_view key, const ValidatorAddress&,
                      const AccountAddress&) -> absl::StatusOr<bool> {
                    back.emplace_back(key);
                    return true;
                  })
                  .ok());
  EXPECT_EQ(back, (std::vector<std::string>{keys[3], keys[2], keys[1], keys[0]}));
  // One validator's, from its second delegator on.
  const ValidatorAddress vb("vb");
  std::vector<std::string> of_vb;
  for (const auto& e : all) {
    if (e.validator == vb) of_vb.push_back(e.delegator.value());
  }
  ASSERT_GT(of_vb.size(), 2u);
  std::vector<std::string> got;
  ASSERT_TRUE(VirtualStaking::VisitRecordKeys(
                  ctx(), prov_, vb, Encoder().Str(of_vb[1]).Take(), false,
                  [&](std::string_view, const ValidatorAddress& v,
                      const AccountAddress& d) -> absl::StatusOr<bool> {
                    EXPECT_EQ(v, vb);
                    got.push_back(d.value());
                    return true;
                  })
                  .ok());
  EXPECT_EQ(got, std::vector<std::string>(of_vb.begin() + 1, of_vb.end()));
}

}  // namespace
}  // namespace mesh::consumer::testing
