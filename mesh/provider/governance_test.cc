// Governance: the consumer-fault slash proposal (neighbours.md §2.9,
// ADR-022): a vote by bonded stake (Cosmos SDK tally, quorum 0.334,
// threshold 0.5, veto 0.334), then the slash of verified evidence.
//
// Setup: three provider validators val1..val3 with 1,000,000 OSMO each
// (total bonded 3,000,000); alice's 1,000 OSMO collateral is staked on the
// consumer validator junovaloper1 of link "juno" (double-sign ratio 10 %,
// unbonding 86,400 s); carol deposits the minimum 10,000,000 OSMO.
#include "mesh/provider/governance.h"

#include <string>

#include "core/crypto.h"
#include "core/json.h"
#include "gtest/gtest.h"
#include "mesh/provider/consumer_evidence.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/test_util.h"
#include "mesh/provider/vault.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)
using Answer = ConsumerStub::Answer;

const Denom kOsmo("OSMO");
const ConsumerId kJuno("juno");
const ValidatorAddress kJunoVal("junovaloper1");
const ValidatorAddress kOldVal("junovaloper2");
const Ed25519PrivateKey kConsKey = Ed25519PrivateKey::FromSeed("juno-consensus-1");
const AccountAddress kCarol("carol");

class GovernanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitNativeStaking(h_, "OSMO", 86400, {"val1", "val2", "val3"});
    ASSERT_TRUE(h_.Run([&](const Context& c) { return Vault::Init(c, kOsmo, std::nullopt); }).ok());
    ExternalConfig cfg = ExtConfig("OSMO", "star", 86400, 10);
    ASSERT_TRUE(h_.Run([&](const Context& c) { return ExternalStaking::Init(c, kJuno, cfg); }).ok());
    const uint64_t now = h_.ctx().time_seconds();
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return RemoteValidators::Apply(c, kJuno, kJunoVal, RemoteValidators::Op::kAdd,
                                                   100, now - 1000,
                                                   Base64Encode(kConsKey.PublicKey()));
                  }).ok());
    // A validator that left the consumer's set two unbonding periods ago.
    ASSERT_TRUE(h_.Run([&](const Context& c) -> absl::Status {
                    MESH_RETURN_IF_ERROR(RemoteValidators::Apply(
                        c, kJuno, kOldVal, RemoteValidators::Op::kAdd, 10, now - 300000, "k"));
                    return RemoteValidators::Apply(c, kJuno, kOldVal,
                                                   RemoteValidators::Op::kRemove, 20,
                                                   now - 172800);
                  }).ok());
    h_.Fund(Addr("alice"), kOsmo, A(1000));
    ASSERT_TRUE(h_.Bond(Addr("alice"), A(1000)).ok());
    absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, Addr("alice"), kJuno, A(1000), kJunoVal);
    });
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(stub_.Reply(*tx, Answer::kAck).ok());
    GovParams p;
    p.voting_period_s = 3600;
    ASSERT_TRUE(h_.Run([&](const Context& c) { return Governance::SetParams(c, p); }).ok());
    h_.Fund(kCarol, kOsmo, A(10000000));
  }

  absl::StatusOr<uint64_t> Propose(const std::string& validator, uint64_t height,
                                   const char* fraction = "0.05",
                                   Amount deposit = A(10000000)) {
    SlashProposalMsg m;
    m.consumer = kJuno;
    m.validator = validator;
    m.infraction_height = height;
    m.fraction = *Dec::Parse(fraction);
    m.deposit = deposit;
    return h_.RunOr<uint64_t>(
        [&](const Context& c) { return Governance::Submit(c, kCarol, m); });
  }
  absl::Status Vote(const char* voter, uint64_t id, VoteOption o) {
    return h_.Run(
        [&](const Context& c) { return Governance::Vote(c, AccountAddress(voter), id, o); });
  }
  void EndVoting(const NativeSlasher& slasher = {}) {
    h_.AdvanceSeconds(3600);
    absl::Status s = h_.RunSlash(
        [&](const Context& c) { return Governance::EndBlock(c, slasher).status(); });
    ASSERT_TRUE(s.ok()) << s;
  }
  Amount Stake() {
    return (*ExternalStaking::Stakes(h_.ctx(), kJuno, Addr("alice"))).front().stake.stake.low();
  }
  SlashProposal Get(uint64_t id) { return *Governance::Get(h_.ctx(), id); }
  Amount CarolOsmo() { return h_.Balance(kCarol, kOsmo); }

  Harness h_;
  ConsumerStub stub_{&h_, kJuno};
};

// 2,000,000 yes of 3,000,000 bonded (all voted): passes; 5 % of the 1,000
// committed = 50 is cut: stake, lien and collateral 950, a burn of 50 to the
// consumer, tombstoned and recorded punished; the deposit comes back.
TEST_F(GovernanceTest, PassingProposalSlashesLikeEvidence) {
  absl::StatusOr<uint64_t> id = Propose("junovaloper1", 150);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 1u);
  EXPECT_EQ(CarolOsmo(), A(0));
  EXPECT_EQ(h_.Balance(kGovModule, kOsmo), A(10000000));
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val2", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val3", *id, VoteOption::kNo).ok());
  EXPECT_EQ(Stake(), A(1000));
  EndVoting();
  const SlashProposal p = Get(*id);
  EXPECT_EQ(p.status, ProposalStatus::kPassed);
  EXPECT_EQ(p.tally.yes, A(2000000));
  EXPECT_EQ(p.tally.no, A(1000000));
  EXPECT_EQ(p.tally.total_bonded, A(3000000));
  EXPECT_EQ(p.slashed, A(50));
  EXPECT_EQ(Stake(), A(950));
  EXPECT_EQ(h_.Account(Addr("alice")).bonded, A(950));
  std::vector<OutboundPacket> burns = stub_.TakeBurns();
  ASSERT_EQ(burns.size(), 1u);
  EXPECT_EQ(burns[0].amount, A(50));
  EXPECT_EQ(*RemoteValidators::CurrentState(h_.ctx(), kJuno, kJunoVal), RemoteState::kTombstoned);
  EXPECT_TRUE(*ConsumerEvidence::Punished(h_.ctx(), kJuno, kJunoVal));
  EXPECT_EQ(CarolOsmo(), A(10000000));
  EXPECT_EQ(h_.Balance(kGovModule, kOsmo), A(0));
  // Voting is over.
  EXPECT_EQ(Vote("op/val1", *id, VoteOption::kNo).code(), absl::StatusCode::kFailedPrecondition);
  // Any further proposal against the validator is refused (tombstone cap).
  EXPECT_EQ(Propose("junovaloper1", 160).status().code(), absl::StatusCode::kFailedPrecondition);
}

// 1,000,000 of 3,000,000 voted: 0.333… < 0.334 → rejected for quorum, no
// slash, deposit refunded.
TEST_F(GovernanceTest, FailingQuorumSlashesNothingAndRefunds) {
  absl::StatusOr<uint64_t> id = Propose("junovaloper1", 150);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("nobody", *id, VoteOption::kYes).ok());  // no stake, no power
  EndVoting();
  EXPECT_EQ(Get(*id).status, ProposalStatus::kRejectedQuorum);
  EXPECT_EQ(Get(*id).tally.yes, A(1000000));
  EXPECT_EQ(Stake(), A(1000));
  EXPECT_TRUE(stub_.TakeBurns().empty());
  EXPECT_EQ(CarolOsmo(), A(10000000));
  EXPECT_EQ(*RemoteValidators::CurrentState(h_.ctx(), kJuno, kJunoVal), RemoteState::kActive);
  // A rejected proposal may be made again.
  EXPECT_TRUE(Propose("junovaloper1", 150).ok());
}

// dave delegates 500,000 to val1 and votes no_with_veto, overriding val1's
// yes for his shares: yes 1,000,000, veto 500,000 + 1,000,000 (val2) of
// 2,500,000 voted (bonded 3,500,000) → veto 0.6 > 0.334: vetoed, the
// deposit is burned, nothing slashed.
TEST_F(GovernanceTest, VetoedProposalBurnsTheDeposit) {
  h_.Fund(AccountAddress("dave"), kOsmo, A(500000));
  ASSERT_TRUE(h_.Run([](const Context& c) {
                  return staking::Staking::Delegate(c, AccountAddress("dave"),
                                                    ValidatorAddress("val1"), A(500000))
                      .status();
                }).ok());
  EndBlock(h_);
  const Amount supply = *staking::Bank::Supply(h_.ctx(), kOsmo);
  absl::StatusOr<uint64_t> id = Propose("junovaloper1", 150);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("dave", *id, VoteOption::kNoWithVeto).ok());
  ASSERT_TRUE(Vote("op/val2", *id, VoteOption::kNoWithVeto).ok());
  absl::StatusOr<TallyResult> live = Governance::Tally(h_.ctx(), *id);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->yes, A(1000000));
  EXPECT_EQ(live->no_with_veto, A(1500000));
  EXPECT_EQ(live->total_bonded, A(3500000));
  EndVoting();
  EXPECT_EQ(Get(*id).status, ProposalStatus::kVetoed);
  EXPECT_EQ(Stake(), A(1000));
  EXPECT_EQ(CarolOsmo(), A(0));
  EXPECT_EQ(h_.Balance(kGovModule, kOsmo), A(0));
  EXPECT_EQ(*staking::Bank::Supply(h_.ctx(), kOsmo), supply.SaturatingSub(A(10000000)));
}

// Yes 1,000,000 against no 1,000,000 and abstain 1,000,000: 0.5 is not
// above the threshold → rejected, refunded.
TEST_F(GovernanceTest, HalfYesIsRejected) {
  absl::StatusOr<uint64_t> id = Propose("junovaloper1", 150);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val2", *id, VoteOption::kNo).ok());
  ASSERT_TRUE(Vote("op/val3", *id, VoteOption::kAbstain).ok());
  EndVoting();
  EXPECT_EQ(Get(*id).status, ProposalStatus::kRejected);
  EXPECT_EQ(Stake(), A(1000));
  EXPECT_EQ(CarolOsmo(), A(10000000));
}

// ICS #2242: junovaloper2 left the set 172,800 s ago (unbonding period
// 86,400 s): refused, though it was Active at height 15. A height before a
// validator joined is refused too. Nothing is taken from the proposer.
TEST_F(GovernanceTest, NotRecentlyAValidatorIsRefused) {
  absl::StatusOr<uint64_t> id = Propose("junovaloper2", 15);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(id.status().message().find(kErrGovNotRecentValidator), std::string::npos);
  id = Propose("junovaloper1", 50);
  EXPECT_NE(id.status().message().find(kErrGovNotValidatorAtHeight), std::string::npos);
  EXPECT_EQ(Propose("junovaloper9", 150).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CarolOsmo(), A(10000000));
}

// One infraction, one slash: the same infraction again while voting is
// refused; two proposals for different heights that both pass slash once
// (the second finds the validator tombstoned: slashed 0).
TEST_F(GovernanceTest, DoubleProposalSlashesOnce) {
  absl::StatusOr<uint64_t> a = Propose("junovaloper1", 150);
  ASSERT_TRUE(a.ok()) << a.status();
  h_.Fund(kCarol, kOsmo, A(20000000));
  EXPECT_EQ(Propose("junovaloper1", 150).status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<uint64_t> b = Propose("junovaloper1", 160);
  ASSERT_TRUE(b.ok()) << b.status();
  for (uint64_t id : {*a, *b}) {
    ASSERT_TRUE(Vote("op/val1", id, VoteOption::kYes).ok());
    ASSERT_TRUE(Vote("op/val2", id, VoteOption::kYes).ok());
  }
  EndVoting();
  EXPECT_EQ(Get(*a).status, ProposalStatus::kPassed);
  EXPECT_EQ(Get(*b).status, ProposalStatus::kPassed);
  EXPECT_EQ(Get(*a).slashed, A(50));
  EXPECT_EQ(Get(*b).slashed, A(0));
  EXPECT_EQ(Stake(), A(950));
  EXPECT_EQ(CarolOsmo(), A(30000000));
}

// Deposit below 10,000,000, a fraction above the link's 10 %, or zero:
// refused, nothing moves.
TEST_F(GovernanceTest, DepositTooSmallOrBadFractionIsRefused) {
  absl::StatusOr<uint64_t> id = Propose("junovaloper1", 150, "0.05", A(9999999));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find(kErrGovDepositTooSmall), std::string::npos);
  EXPECT_EQ(Propose("junovaloper1", 150, "0.11").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Propose("junovaloper1", 150, "0").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CarolOsmo(), A(10000000));
  EXPECT_TRUE(Governance::All(h_.ctx())->empty());
}

// The validator may be named by its consumer consensus key; evidence for
// the same validator after the governance slash is refused.
TEST_F(GovernanceTest, ConsensusKeyNamesTheValidator) {
  absl::StatusOr<uint64_t> id = Propose(Base64Encode(kConsKey.PublicKey()), 150, "0.1");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(Get(*id).validator, kJunoVal);
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val2", *id, VoteOption::kYes).ok());
  EndVoting();
  EXPECT_EQ(Get(*id).slashed, A(100));
  EXPECT_EQ(Stake(), A(900));
}

}  // namespace
}  // namespace mesh::provider

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

// A validator nobody on the provider stakes on: the proposal passes and
// cuts nothing (floor(0.05 × 0) = 0), the validator is tombstoned; alice's
// stake on another validator is untouched.
TEST_F(GovernanceTest, ValidatorWithoutProviderStakeLosesNothing) {
  const ValidatorAddress empty("junovaloper3");
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return RemoteValidators::Apply(c, kJuno, empty, RemoteValidators::Op::kAdd,
                                                 100, h_.ctx().time_seconds() - 500, "k3");
                }).ok());
  absl::StatusOr<uint64_t> id = Propose("junovaloper3", 150);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val2", *id, VoteOption::kYes).ok());
  EndVoting();
  EXPECT_EQ(Get(*id).status, ProposalStatus::kPassed);
  EXPECT_EQ(Get(*id).slashed, A(0));
  EXPECT_EQ(Stake(), A(1000));
  EXPECT_EQ(*RemoteValidators::CurrentState(h_.ctx(), kJuno, empty), RemoteState::kTombstoned);
  EXPECT_EQ(CarolOsmo(), A(10000000));
}

// ---------------------------------------------------------------- link proposals

// An opt-in link "neutron" (top N 0, jail only) next to the mesh link.
class LinkProposalTest : public GovernanceTest {
 protected:
  void SetUp() override {
    GovernanceTest::SetUp();
    CcvConfig cfg;
    cfg.mode = LinkMode::kOptIn;
    cfg.shaping.top_n = 0;
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return CcvProvider::Init(c, kNeutron, cfg, ConnectionId("connection-9"), {});
                  }).ok());
  }
  absl::StatusOr<uint64_t> ProposeLink(const LinkProposalMsg& m) {
    return h_.RunOr<uint64_t>([&](const Context& c) { return Governance::SubmitLink(c, kCarol, m); });
  }
  LinkProposalMsg CapUpdate() {
    LinkProposalMsg m;
    m.consumer = kNeutron;
    m.update.shaping = PowerShaping{};
    m.update.shaping->top_n = 0;
    m.update.shaping->validators_power_cap = 50;
    m.update.shaping->prioritylist = {ValidatorAddress("val2")};
    m.update.infraction = LinkUpdate::Infraction{*Dec::Parse("0.1"), 1200};
    m.deposit = A(10000000);
    return m;
  }
  CcvConfig Config() { return *CcvProvider::Config(h_.ctx(), kNeutron).value(); }
  const ConsumerId kNeutron{"neutron"};
};

// 2,000,000 yes of 3,000,000: passes; the power shaping is in force at once
// (the next epoch follows it), the infraction parameters from
// t + 86,400 s (the provider's unbonding time); the deposit comes back.
TEST_F(LinkProposalTest, PassedUpdateSetsShapingAndSchedulesInfraction) {
  absl::StatusOr<uint64_t> id = ProposeLink(CapUpdate());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(CarolOsmo(), A(0));
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val2", *id, VoteOption::kYes).ok());
  EXPECT_EQ(Config().shaping.validators_power_cap, 0u);  // not before the tally
  EndVoting();
  const SlashProposal p = Get(*id);
  EXPECT_EQ(p.status, ProposalStatus::kPassed);
  EXPECT_EQ(p.kind, ProposalKind::kLinkUpdate);
  EXPECT_TRUE(p.applied);
  EXPECT_EQ(p.tally.yes, A(2000000));
  // Pending until neutron's next set computation (CcvProvider's end block).
  EXPECT_EQ(Config().shaping.validators_power_cap, 0u);
  ASSERT_TRUE(h_.Run([](const Context& c) { return CcvProvider::EndBlock(c); }).ok());
  EXPECT_EQ(Config().shaping.validators_power_cap, 50u);
  EXPECT_EQ(Config().shaping.prioritylist, std::vector<ValidatorAddress>{ValidatorAddress("val2")});
  EXPECT_EQ(Config().downtime_slash_fraction, Dec::Zero());
  std::optional<PendingInfraction> pending = *CcvProvider::PendingInfractionOf(h_.ctx(), kNeutron);
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->effective_s, h_.ctx().time_seconds() + 86400);
  EXPECT_EQ(pending->params.downtime_jail_s, 1200u);
  EXPECT_EQ(CarolOsmo(), A(10000000));
  h_.AdvanceSeconds(86400);
  ASSERT_TRUE(h_.Run([](const Context& c) { return CcvProvider::ApplyDue(c); }).ok());
  EXPECT_EQ(Config().downtime_slash_fraction, *Dec::Parse("0.1"));
  EXPECT_EQ(Config().downtime_jail_s, 1200u);
}

TEST_F(LinkProposalTest, RejectedUpdateChangesNothing) {
  absl::StatusOr<uint64_t> id = ProposeLink(CapUpdate());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());  // 1/3 < quorum 0.334
  EndVoting();
  EXPECT_EQ(Get(*id).status, ProposalStatus::kRejectedQuorum);
  EXPECT_FALSE(Get(*id).applied);
  EXPECT_EQ(Config().shaping.validators_power_cap, 0u);
  EXPECT_FALSE(CcvProvider::PendingShapingOf(h_.ctx(), kNeutron)->has_value());
  EXPECT_FALSE(CcvProvider::PendingInfractionOf(h_.ctx(), kNeutron)->has_value());
  EXPECT_EQ(CarolOsmo(), A(10000000));
}

TEST_F(LinkProposalTest, RemovalStopsNowAndRemovesAfterTheUnbondingTime) {
  LinkProposalMsg m;
  m.consumer = kNeutron;
  m.kind = ProposalKind::kConsumerRemoval;
  m.deposit = A(10000000);
  absl::StatusOr<uint64_t> id = ProposeLink(m);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val3", *id, VoteOption::kYes).ok());
  EndVoting();
  EXPECT_EQ(Get(*id).status, ProposalStatus::kPassed);
  EXPECT_TRUE(Get(*id).applied);
  EXPECT_TRUE(CcvProvider::State(h_.ctx(), kNeutron)->stopped);
  const uint64_t removal = h_.ctx().time_seconds() + 86400;
  EXPECT_EQ(*CcvProvider::RemovalTime(h_.ctx(), kNeutron), std::optional<uint64_t>(removal));
  // A second removal or an update of a stopped consumer is refused.
  EXPECT_EQ(ProposeLink(m).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ProposeLink(CapUpdate()).status().code(), absl::StatusCode::kFailedPrecondition);
  h_.AdvanceSeconds(86400);
  ASSERT_TRUE(h_.Run([](const Context& c) { return CcvProvider::ApplyDue(c); }).ok());
  EXPECT_FALSE(CcvProvider::Config(h_.ctx(), kNeutron)->has_value());
  EXPECT_EQ(*CcvProvider::Consumers(h_.ctx()), std::vector<ConsumerId>{});
}

TEST_F(LinkProposalTest, Refusals) {
  LinkProposalMsg m = CapUpdate();
  m.consumer = ConsumerId("nope");
  EXPECT_EQ(ProposeLink(m).status().code(), absl::StatusCode::kNotFound);
  m = CapUpdate();
  m.update.shaping->top_n = 49;
  EXPECT_EQ(ProposeLink(m).status().code(), absl::StatusCode::kInvalidArgument);
  m = CapUpdate();
  m.update = LinkUpdate{};
  EXPECT_EQ(ProposeLink(m).status().code(), absl::StatusCode::kInvalidArgument);
  m = CapUpdate();
  m.deposit = A(9999999);
  EXPECT_EQ(ProposeLink(m).status().code(), absl::StatusCode::kInvalidArgument);
  m = CapUpdate();
  m.consumer = kJuno;  // a mesh link has no CCV parameters
  EXPECT_EQ(ProposeLink(m).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CarolOsmo(), A(10000000));  // nothing taken
}

// ------------------------------------------------- provider validators

// Slash proposals against provider validators: on the opt-in link neutron
// val2 signs with an assigned key; a block later (height 12346) each of
// val1..val3 has power 1 (10^6 tokens). The slasher stands in for the
// application's native path (mesh/app HandleGovernanceSlash): staking slash
// at the order's height, then tombstone or jail.
class ProviderValidatorSlashTest : public LinkProposalTest {
 protected:
  void SetUp() override {
    LinkProposalTest::SetUp();
    h_.AdvanceSeconds(5);
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return ConsumerKeys::Assign(c, kNeutron, ValidatorAddress("val2"),
                                                kVal2Key.PublicKey());
                  }).ok());
    slasher_ = [this](const Context& c, const NativeSlashOrder& o) -> absl::StatusOr<Amount> {
      orders_.push_back(o);
      MESH_ASSIGN_OR_RETURN(uint64_t power, staking::Staking::PowerAtHeight(
                                                c, o.validator, o.infraction_height));
      MESH_ASSIGN_OR_RETURN(Amount burned,
                            staking::Staking::Slash(c, o.validator,
                                                    static_cast<int64_t>(o.infraction_height),
                                                    power, o.fraction, o.tombstone));
      if (o.tombstone) MESH_RETURN_IF_ERROR(staking::Staking::Tombstone(c, o.validator));
      return burned;
    };
  }
  absl::StatusOr<uint64_t> ProposeOn(const ConsumerId& consumer, const std::string& validator,
                                     uint64_t height, const char* fraction = "0.1",
                                     bool jail_only = false) {
    SlashProposalMsg m;
    m.consumer = consumer;
    m.validator = validator;
    m.infraction_height = height;
    m.fraction = *Dec::Parse(fraction);
    m.deposit = A(10000000);
    m.jail_only = jail_only;
    return h_.RunOr<uint64_t>([&](const Context& c) { return Governance::Submit(c, kCarol, m); });
  }
  staking::Validator Val(const char* v) {
    return *staking::Staking::GetValidator(h_.ctx(), ValidatorAddress(v)).value();
  }
  const Ed25519PrivateKey kVal2Key = Ed25519PrivateKey::FromSeed("val2-on-neutron");
  const uint64_t kHeight = 12346;
  NativeSlasher slasher_;
  std::vector<NativeSlashOrder> orders_;
};

// The assigned key maps back to val2; 2 of 3 vote yes: passed, val2 is
// slashed floor(0.1 x 1,000,000) = 100,000 at height 12346 and tombstoned,
// recorded punished on neutron; a second proposal is refused.
TEST_F(ProviderValidatorSlashTest, AssignedKeyOnReplicatedLinkSlashesTheProviderValidator) {
  absl::StatusOr<uint64_t> id =
      ProposeOn(kNeutron, Base64Encode(kVal2Key.PublicKey()), kHeight);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(Get(*id).native);
  EXPECT_EQ(Get(*id).validator, ValidatorAddress("val2"));
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val3", *id, VoteOption::kYes).ok());
  EndVoting(slasher_);
  const SlashProposal p = Get(*id);
  EXPECT_EQ(p.status, ProposalStatus::kPassed);
  EXPECT_EQ(p.tally.yes, A(2000000));
  EXPECT_EQ(p.slashed, A(100000));
  ASSERT_EQ(orders_.size(), 1u);
  EXPECT_EQ(orders_[0].proposal_id, *id);
  EXPECT_EQ(orders_[0].consumer, kNeutron);
  EXPECT_EQ(orders_[0].infraction_height, kHeight);
  EXPECT_EQ(orders_[0].fraction, *Dec::Parse("0.1"));
  EXPECT_TRUE(orders_[0].tombstone);
  EXPECT_EQ(Val("val2").tokens, A(900000));
  EXPECT_TRUE(Val("val2").tombstoned);
  EXPECT_EQ(*Governance::NativeBurned(h_.ctx()), A(100000));  // the supply fell by it
  EXPECT_TRUE(*ConsumerEvidence::Punished(h_.ctx(), kNeutron, ValidatorAddress("val2")));
  EXPECT_EQ(CarolOsmo(), A(10000000));
  EXPECT_EQ(ProposeOn(kNeutron, "val2", kHeight).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A provider valoper names the validator directly, the 20-byte consensus
// address (hex) of the assigned key names val2; jail_only jails without a
// tombstone.
TEST_F(ProviderValidatorSlashTest, ValoperOrAddressAndJailOnly) {
  absl::StatusOr<uint64_t> by_address =
      ProposeOn(kNeutron, ToHex(ConsensusAddressOf(kVal2Key.PublicKey())), kHeight);
  ASSERT_TRUE(by_address.ok()) << by_address.status();
  EXPECT_EQ(Get(*by_address).validator, ValidatorAddress("val2"));
  h_.Fund(kCarol, kOsmo, A(10000000));
  absl::StatusOr<uint64_t> id = ProposeOn(kNeutron, "val3", kHeight, "0.5", /*jail_only=*/true);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(Get(*id).jail_only);
  ASSERT_TRUE(Vote("op/val1", *id, VoteOption::kYes).ok());
  ASSERT_TRUE(Vote("op/val2", *id, VoteOption::kYes).ok());
  EndVoting(slasher_);
  EXPECT_EQ(Get(*id).status, ProposalStatus::kPassed);
  EXPECT_EQ(Get(*id).slashed, A(500000));
  ASSERT_EQ(orders_.size(), 1u);  // the proposal by address had no votes
  EXPECT_FALSE(orders_[0].tombstone);
  EXPECT_FALSE(Val("val3").tombstoned);
  EXPECT_FALSE(*ConsumerEvidence::Punished(h_.ctx(), kNeutron, ValidatorAddress("val3")));
  EXPECT_EQ(Get(*by_address).status, ProposalStatus::kRejectedQuorum);
  EXPECT_FALSE(Val("val2").tombstoned);
}

TEST_F(ProviderValidatorSlashTest, Refusals) {
  const std::string key = Base64Encode(kVal2Key.PublicKey());
  EXPECT_EQ(ProposeOn(ConsumerId("nope"), key, kHeight).status().code(),
            absl::StatusCode::kNotFound);
  const std::string stranger =
      Base64Encode(Ed25519PrivateKey::FromSeed("nobody").PublicKey());
  absl::Status unknown = ProposeOn(kNeutron, stranger, kHeight).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.message().find(kErrGovUnknownValidator), std::string::npos);
  EXPECT_EQ(ProposeOn(kNeutron, "valX", kHeight).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ProposeOn(kNeutron, key, kHeight, "0").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProposeOn(kNeutron, key, kHeight, "1.5").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProposeOn(kNeutron, key, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProposeOn(kNeutron, key, kHeight + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status no_power = ProposeOn(kNeutron, key, kHeight - 1).status();
  EXPECT_EQ(no_power.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(no_power.message().find(kErrGovNoPowerAtHeight), std::string::npos);
  ASSERT_TRUE(h_.Run([](const Context& c) {
                  return staking::Staking::Tombstone(c, ValidatorAddress("val3"));
                }).ok());
  absl::Status tomb = ProposeOn(kNeutron, "val3", kHeight).status();
  EXPECT_EQ(tomb.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(tomb.message().find(kErrGovAlreadyPunished), std::string::npos);
  // jail_only is for provider validators only.
  EXPECT_EQ(ProposeOn(kJuno, "junovaloper1", 150, "0.05", true).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CarolOsmo(), A(10000000));  // nothing taken
  EXPECT_TRUE(Governance::All(h_.ctx())->empty());
}

// Without the application's slasher a passed proposal slashes nothing
// (the end block does not fail); a validator tombstoned while the vote ran
// is not slashed again.
TEST_F(ProviderValidatorSlashTest, NoSlasherOrTombstonedMeanwhileSlashesNothing) {
  absl::StatusOr<uint64_t> a = ProposeOn(kNeutron, "val2", kHeight);
  h_.Fund(kCarol, kOsmo, A(10000000));
  absl::StatusOr<uint64_t> b = ProposeOn(kNeutron, "val1", kHeight);
  ASSERT_TRUE(a.ok() && b.ok());
  for (uint64_t id : {*a, *b}) {
    ASSERT_TRUE(Vote("op/val2", id, VoteOption::kYes).ok());
    ASSERT_TRUE(Vote("op/val3", id, VoteOption::kYes).ok());
  }
  ASSERT_TRUE(h_.Run([](const Context& c) {
                  return staking::Staking::Tombstone(c, ValidatorAddress("val1"));
                }).ok());
  h_.AdvanceSeconds(3600);
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return Governance::EndBlock(c).status();
                }).ok());
  EXPECT_EQ(Get(*a).status, ProposalStatus::kPassed);
  EXPECT_EQ(Get(*a).slashed, A(0));
  EXPECT_EQ(Val("val2").tokens, A(1000000));
  EXPECT_FALSE(Val("val2").tombstoned);
  EXPECT_EQ(Get(*b).status, ProposalStatus::kPassed);
  EXPECT_EQ(Get(*b).slashed, A(0));
  EXPECT_TRUE(orders_.empty());
}

// On a mesh link a key that no consumer validator signs with but that a
// provider validator assigned there names that provider validator.
TEST_F(ProviderValidatorSlashTest, AssignedKeyOnMeshLinkNamesTheProviderValidator) {
  const Ed25519PrivateKey k = Ed25519PrivateKey::FromSeed("val1-on-juno");
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ConsumerKeys::Assign(c, kJuno, ValidatorAddress("val1"), k.PublicKey());
                }).ok());
  absl::StatusOr<uint64_t> id = ProposeOn(kJuno, Base64Encode(k.PublicKey()), kHeight, "0.05");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(Get(*id).native);
  EXPECT_EQ(Get(*id).validator, ValidatorAddress("val1"));
  // The consumer validator path is unchanged.
  h_.Fund(kCarol, kOsmo, A(10000000));
  absl::StatusOr<uint64_t> mesh = ProposeOn(kJuno, "junovaloper1", 150, "0.05");
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  EXPECT_FALSE(Get(*mesh).native);
}

}  // namespace
}  // namespace mesh::provider
