#include "services/store/record_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/status_matchers.h"

namespace crvs::store::rules {
namespace {

namespace fx = ::crvs::testing;
using ::crvs::store::testing::Envelope;
using ::crvs::testing::StatusIs;
using ::crvs::testing::ViolatedFields;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(LinkedKeyTest, IsTheBusinessKeyOfTheLinkedRecord) {
  auto reg = store::testing::DeathRegistration("12", fx::Date(2026, 10, 25));
  EXPECT_EQ(LinkedKey(reg), "death/BV01002/GBT-2026-000045");
  reg.clear_death_notice();
  EXPECT_EQ(LinkedKey(reg), "");
}

TEST(CheckEnvelopeTest, AcceptsAFixtureEnvelope) {
  EXPECT_TRUE(CheckEnvelope(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m")).ok());
}

TEST(CheckEnvelopeTest, NamesEveryFieldTheStoreCannotDoWithout) {
  auto e = Envelope(fx::BirthCertificate(), v1::ACTION_AMEND, "m");
  e.clear_message_id();
  e.set_kind(v1::RECORD_KIND_DEATH_NOTICE);
  e.set_business_key("birth/BV79001/OTHER");
  e.clear_reason();
  e.set_content_hash("short");
  e.clear_source();
  e.clear_issued_at();
  absl::Status s = CheckEnvelope(e);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s), ElementsAre("message_id", "kind", "business_key", "reason",
                                             "content_hash", "source", "issued_at"));
}

TEST(CheckEnvelopeTest, RejectsAnEnvelopeWithoutRecordOrAction) {
  v1::RecordEnvelope e = Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m");
  e.clear_death_notice();
  e.set_action(v1::ACTION_UNSPECIFIED);
  EXPECT_THAT(ViolatedFields(CheckEnvelope(e)), ElementsAre("record", "action"));
}

TEST(DatesTest, LocalDateUsesTheEventsUtcOffset) {
  // 20:00 UTC is 03:00 the next day in Vietnam (UTC+07:00).
  EXPECT_EQ(LocalDateOf(fx::LocalTime("2026-10-25T20:00:00Z")), "2026-10-26");
  EXPECT_EQ(LocalDateOf(fx::LocalTime("2026-10-25T14:10:00Z")), "2026-10-25");
  EXPECT_EQ(FormatDate(fx::Date(2026, 1, 5)), "2026-01-05");
  EXPECT_EQ(FormatDate(common::v1::LocalDate()), "");
  common::v1::LocalDate d;
  ASSERT_TRUE(ParseDate("2027-02-28", &d));
  EXPECT_EQ(d.year(), 2027);
  EXPECT_EQ(d.month(), 2);
  EXPECT_EQ(d.day(), 28);
  EXPECT_FALSE(ParseDate("2027-2-28", &d));
}

// The names are what the database holds (records.state, persons.*, dead_letters.state): they
// must never change.
TEST(EnumNamesTest, AreTheStoredNamesAndParseBack) {
  const std::pair<RecordState, std::string> states[] = {
      {RecordState::kUnspecified, "UNSPECIFIED"}, {RecordState::kActive, "ACTIVE"},
      {RecordState::kVoided, "VOIDED"},           {RecordState::kPendingEffect, "PENDING_EFFECT"},
      {RecordState::kEffective, "EFFECTIVE"},     {RecordState::kSetAside, "SET_ASIDE"},
      {RecordState::kConflict, "CONFLICT"}};
  for (const auto& [state, name] : states) {
    EXPECT_EQ(StateName(state), name);
    EXPECT_EQ(ParseState(name), state) << name;
  }
  EXPECT_EQ(ParseState("NO_SUCH_STATE"), RecordState::kUnspecified);

  const std::pair<VitalStatus, std::string> vital[] = {{VitalStatus::kUnspecified, "UNSPECIFIED"},
                                                       {VitalStatus::kUnknown, "UNKNOWN"},
                                                       {VitalStatus::kAlive, "ALIVE"},
                                                       {VitalStatus::kDeceased, "DECEASED"}};
  for (const auto& [status, name] : vital) {
    EXPECT_EQ(VitalName(status), name);
    EXPECT_EQ(ParseVital(name), status) << name;
  }
  EXPECT_EQ(ParseVital("ZOMBIE"), VitalStatus::kUnknown);

  const std::pair<MaritalStatus, std::string> marital[] = {
      {MaritalStatus::kUnspecified, "UNSPECIFIED"}, {MaritalStatus::kUnknown, "UNKNOWN"},
      {MaritalStatus::kMarried, "MARRIED"},         {MaritalStatus::kDivorced, "DIVORCED"},
      {MaritalStatus::kWidowed, "WIDOWED"},         {MaritalStatus::kAnnulled, "ANNULLED"}};
  for (const auto& [status, name] : marital) {
    EXPECT_EQ(MaritalName(status), name);
    EXPECT_EQ(ParseMarital(name), status) << name;
  }
  EXPECT_EQ(ParseMarital("ENGAGED"), MaritalStatus::kUnknown);

  const std::pair<DeadLetterState, std::string> letters[] = {
      {DeadLetterState::kUnspecified, "UNSPECIFIED"},
      {DeadLetterState::kOpen, "OPEN"},
      {DeadLetterState::kReplayed, "REPLAYED"},
      {DeadLetterState::kDiscarded, "DISCARDED"}};
  for (const auto& [state, name] : letters) {
    EXPECT_EQ(DeadLetterStateName(state), name);
    EXPECT_EQ(ParseDeadLetterState(name), state) << name;
  }
  EXPECT_EQ(ParseDeadLetterState("LOST"), DeadLetterState::kUnspecified);
}

TEST(StateOfTest, DivorceDecisionStateFollowsEffectAndSetAside) {
  std::string detail;
  auto decision = fx::DivorceDecision();
  EXPECT_EQ(StateOf(Envelope(decision, v1::ACTION_SUBMIT, "m"), &detail),
            RecordState::kEffective);
  decision.clear_legal_effect_date();
  EXPECT_EQ(StateOf(Envelope(decision, v1::ACTION_SUBMIT, "m"), &detail),
            RecordState::kPendingEffect);
  *decision.mutable_legal_effect_date() = fx::Date(2026, 9, 15);
  *decision.mutable_set_aside()->mutable_set_aside_on() = fx::Date(2027, 3, 1);
  decision.mutable_set_aside()->set_by_decision_no("05/2027/GĐT-DS");
  EXPECT_EQ(StateOf(Envelope(decision, v1::ACTION_AMEND, "m"), &detail),
            RecordState::kSetAside);
  EXPECT_EQ(detail, "set aside on 2027-03-01 by 05/2027/GĐT-DS");
  EXPECT_EQ(StateOf(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m"), &detail),
            RecordState::kActive);
}

TEST(FactsOfTest, EachKindStatesWhatItSaysAboutPersons) {
  auto death = Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m");
  EXPECT_THAT(FactsOf(death), ElementsAre(PersonFact{"001052003456", death.business_key(),
                                                     "DEATH_NOTICE", "2026-10-25"}));
  auto birth = Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m");
  EXPECT_THAT(FactsOf(birth),
              ElementsAre(PersonFact{"079194001234", birth.business_key(), "MENTIONED", ""},
                          PersonFact{"001090005678", birth.business_key(), "MENTIONED", ""}));
  auto annulment = fx::DivorceDecision();
  annulment.set_kind(v1::DECISION_KIND_ANNULMENT);
  auto annulled = Envelope(annulment, v1::ACTION_SUBMIT, "m");
  EXPECT_THAT(
      FactsOf(annulled),
      ElementsAre(PersonFact{"001090005678", annulled.business_key(), "ANNULLED", "2026-09-15"},
                  PersonFact{"079194001234", annulled.business_key(), "ANNULLED", "2026-09-15"}));
  auto no_id = fx::DeathNotice();
  no_id.mutable_deceased()->clear_personal_id();
  EXPECT_THAT(FactsOf(Envelope(no_id, v1::ACTION_SUBMIT, "m")), IsEmpty());
}

TEST(DerivePersonTest, NoFactsIsUnknownAndAMentionIsAlive) {
  DerivedPerson none = DerivePerson({});
  EXPECT_EQ(none.vital_status, VitalStatus::kUnknown);
  EXPECT_EQ(none.marital_status, MaritalStatus::kUnknown);
  DerivedPerson mentioned = DerivePerson({{"p", "birth/A/1", "MENTIONED", ""}});
  EXPECT_EQ(mentioned.vital_status, VitalStatus::kAlive);
  EXPECT_EQ(mentioned.marital_status, MaritalStatus::kUnknown);
  EXPECT_THAT(mentioned.evidence_keys, IsEmpty());
}

TEST(DerivePersonTest, DeathRegistrationDateWinsOverTheNotice) {
  DerivedPerson p = DerivePerson({{"p", "death/A/1", "DEATH_NOTICE", "2026-10-25"},
                                  {"p", "registration/1/b/2", "DEATH_REGISTERED", "2026-10-24"}});
  EXPECT_EQ(p.vital_status, VitalStatus::kDeceased);
  EXPECT_EQ(p.date_of_death, "2026-10-24");
  EXPECT_THAT(p.evidence_keys, ElementsAre("registration/1/b/2", "death/A/1"));
}

TEST(DerivePersonTest, LatestDivorceFactDecidesAndSetAsideMeansMarried) {
  DerivedPerson p = DerivePerson({{"p", "divorce/T/old", "DIVORCED", "2010-01-01"},
                                  {"p", "divorce/T/new", "DIVORCE_SET_ASIDE", "2021-05-02"}});
  EXPECT_EQ(p.marital_status, MaritalStatus::kMarried);
  EXPECT_EQ(p.marital_since, "2021-05-02");
  EXPECT_THAT(p.evidence_keys, ElementsAre("divorce/T/new", "divorce/T/old"));
  DerivedPerson q = DerivePerson({{"p", "divorce/T/a", "ANNULLED", "2020-01-01"}});
  EXPECT_EQ(q.marital_status, MaritalStatus::kAnnulled);
}

}  // namespace
}  // namespace crvs::store::rules

namespace crvs::store::rules {
namespace {

TEST(PersonFactsText, RoundTripsEveryFieldWhateverItHolds) {
  std::vector<PersonFact> facts = {
      {"001052003456", "registration/00004/01%2F2026/77", "DEATH_REGISTERED", "2026-10-21"},
      {"001052003456", "death/BV01002/GBT-1", "DEATH_NOTICE", "2026-10-20"},
      {"001052003456", "odd/key\twith\ntabs%25", "MENTIONED", ""},
  };
  const std::string text = FormatFacts(facts);
  // Sorted by key, one line each, the separators escaped inside fields.
  EXPECT_EQ(text,
            "death/BV01002/GBT-1\tDEATH_NOTICE\t2026-10-20\n"
            "odd/key%09with%0Atabs%2525\tMENTIONED\t\n"
            "registration/00004/01%252F2026/77\tDEATH_REGISTERED\t2026-10-21");
  std::vector<PersonFact> back = ParseFacts("001052003456", text);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0], facts[1]);
  EXPECT_EQ(back[1], facts[2]);
  EXPECT_EQ(back[2], facts[0]);
  EXPECT_TRUE(ParseFacts("x", "").empty());
  EXPECT_TRUE(ParseFacts("x", "no tabs here").empty());
}

}  // namespace
}  // namespace crvs::store::rules
