// ComputeIndicators on a real (SQLite) civil-status database filled through Store::Apply: the
// event indicators B1, B2, D1, D2, D3, the notice indicator D5, request validation, areas and
// breakdowns. Each fixture is small and its expected numbers are worked out in comments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/reconcile/indicators/test_fixture.h"
#include "tests/support/status_matchers.h"

namespace crvs::reconcile::indicators::testing {
namespace {

using ::crvs::testing::StatusIs;
using ::crvs::testing::ViolatedFields;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class EventIndicatorsTest : public IndicatorsDb {};

// Period 2026-Q1, as of 2027-06-30: every event is mature for 60 and 365 days.
//   C1 born 01-10, registered 03-11 = day 60  → B1 on time, B2 on time
//   C2 born 01-10, registered 03-12 = day 61  → B1 late,    B2 on time
//   C3 born 02-01, registered 2027-02-01 = day 365 (2026 has 365 days) → B1 late, B2 on time
//   C4 born 02-01, registered 2027-02-02 = day 366 → late for both
//   C5 born 03-01, never registered          → late for both
// B1 = 1/5 = 20 %, B2 = 3/5 = 60 %.
TEST_F(EventIndicatorsTest, B1AndB2CountTheDeadlineDayOnTimeAndTheNextDayLate) {
  const std::vector<std::pair<std::string, std::string>> births = {
      {"2026-01-10", "2026-03-11"}, {"2026-01-10", "2026-03-12"}, {"2026-02-01", "2027-02-01"},
      {"2026-02-01", "2027-02-02"}, {"2026-03-01", ""}};
  for (size_t i = 0; i < births.size(); ++i) {
    const std::string no = std::to_string(i + 1);
    auto cert = Birth("C" + no, births[i].first);
    Submit(cert);
    if (!births[i].second.empty()) {
      Submit(Linked(BirthRegistration("R" + no, births[i].first, births[i].second), cert));
    }
  }
  auto report = Report("2026-Q1", "2027-06-30", {"B1", "B2"});
  EXPECT_EQ(CountsOf(report, "B1"), (Counts{1, 5, 0}));
  EXPECT_EQ(CountsOf(report, "B2"), (Counts{3, 5, 0}));
  EXPECT_DOUBLE_EQ(Find(report, "B1")->percent(), 20.0);
  EXPECT_DOUBLE_EQ(Find(report, "B2")->percent(), 60.0);
}

// Period 2026 (a year), as of 2026-03-31.
//   C1 born 01-10, registered 01-20: 01-10 + 60 = 03-11 <= A, mature, on time; B2 open
//   C2 born 01-31, registered 02-05: 01-31 + 60 = 04-01 >  A, open (registered or not)
//   C3 born 01-30, unregistered:      01-30 + 60 = 03-31 =  A, mature (deadline day is A), late
//   C4 born 04-05 (after A; committed early): ignored
// B1 = 1/2, open 1; B2 = 0/0, open 3, no percent and no met.
TEST_F(EventIndicatorsTest, EventsBeforeTheirDeadlineAreOpenNotMature) {
  auto c1 = Birth("C1", "2026-01-10"), c2 = Birth("C2", "2026-01-31");
  Submit(c1);
  Submit(Linked(BirthRegistration("R1", "2026-01-10", "2026-01-20"), c1));
  Submit(c2);
  Submit(Linked(BirthRegistration("R2", "2026-01-31", "2026-02-05"), c2));
  Submit(Birth("C3", "2026-01-30"));
  Submit(Birth("C4", "2026-04-05"), Utc("2026-03-01T00:00:00Z"));

  auto report = Report("2026", "2026-03-31", {"B1", "B2"});
  EXPECT_EQ(CountsOf(report, "B1"), (Counts{1, 2, 1}));
  EXPECT_EQ(CountsOf(report, "B2"), (Counts{0, 0, 3}));
  const rv1::IndicatorValue* b2 = Find(report, "B2");
  ASSERT_NE(b2, nullptr);
  EXPECT_FALSE(b2->has_percent());
  EXPECT_FALSE(b2->has_met_2028());
  EXPECT_TRUE(b2->has_target_2028());
}

// Period 2026-Q1, as of 2026-12-31.
//   C1 born 01-10, voided, no registration             → nothing
//   H1 home registration (event 01-12), voided          → nothing
//   C2 born 01-20: R2a (01-25, day 5) voided, R2b 04-10 (day 80) → late
//   C3 born 02-01, voided; R3 links it (event 02-01, registered 02-10, day 9): the voided
//      certificate counts nowhere, so R3 proves the event under the linked key → on time
// B1 = 1/2.
TEST_F(EventIndicatorsTest, VoidedCertificatesAndRegistrationsCountNowhere) {
  auto c1 = Birth("C1", "2026-01-10");
  Submit(c1);
  Void(c1);
  auto h1 = BirthRegistration("H1", "2026-01-12", "2026-01-15");
  Submit(h1);
  Void(h1);
  auto c2 = Birth("C2", "2026-01-20");
  Submit(c2);
  auto r2a = Linked(BirthRegistration("R2a", "2026-01-20", "2026-01-25"), c2);
  Submit(r2a);
  Void(r2a);
  Submit(Linked(BirthRegistration("R2b", "2026-01-20", "2026-04-10"), c2));
  auto c3 = Birth("C3", "2026-02-01");
  Submit(c3);
  Void(c3);
  Submit(Linked(BirthRegistration("R3", "2026-02-01", "2026-02-10"), c3));

  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-12-31", {"B1"}), "B1"), (Counts{1, 2, 0}));
}

// Period 2026-Q1, as of 2026-12-31, commune breakdown.
//   H1 home birth (no link), event 01-05, registered 01-06 at 26734        → on time, 26734
//   C1 born 02-01 (26734): R1a 05-01 (day 89) and R1b 02-10 (day 9)        → one event, on time
//   X  never arrived: R2a (event 03-01, reg 03-05, office 26734) and R2b (event 02-27, reg
//      05-15, office 26735) → one event dated 02-27 at 26735, registered 03-05 = day 6 → on time
//   C3 born 03-10 (26734), unregistered                                     → late
//   Y  never arrived: R3a (event 2025-12-30) and R3b (event 2026-01-02)    → dated 2025: not in P
//   C4 born 2025-12-20, R4 links it with a wrong event date 2026-01-02      → C4's date: not in P
// B1 = 3/4; 26734: 2/3 (H1, C1, C3); 26735: 1/1 (X).
TEST_F(EventIndicatorsTest, HomeBirthsAndRegistrationsOfOneEventCountOnce) {
  Submit(BirthRegistration("H1", "2026-01-05", "2026-01-06"));
  auto c1 = Birth("C1", "2026-02-01");
  Submit(c1);
  Submit(Linked(BirthRegistration("R1a", "2026-02-01", "2026-05-01"), c1));
  Submit(Linked(BirthRegistration("R1b", "2026-02-01", "2026-02-10"), c1));
  auto x = Birth("X", "2026-02-27");  // linked, never submitted
  Submit(Linked(BirthRegistration("R2a", "2026-03-01", "2026-03-05", "26734"), x));
  Submit(Linked(BirthRegistration("R2b", "2026-02-27", "2026-05-15", "26735"), x));
  Submit(Birth("C3", "2026-03-10"));
  auto y = Birth("Y", "2025-12-30");  // linked, never submitted
  Submit(Linked(BirthRegistration("R3a", "2025-12-30", "2026-01-03"), y));
  Submit(Linked(BirthRegistration("R3b", "2026-01-02", "2026-01-04"), y));
  auto c4 = Birth("C4", "2025-12-20");
  Submit(c4);
  Submit(Linked(BirthRegistration("R4", "2026-01-02", "2026-01-05"), c4));

  auto report = Report("2026-Q1", "2026-12-31", {"B1"}, rv1::BREAKDOWN_COMMUNE);
  EXPECT_EQ(CountsOf(report, "B1"), (Counts{3, 4, 0}));
  EXPECT_EQ(CountsOf(report, "B1", "26734"), (Counts{2, 3, 0}));
  EXPECT_EQ(CountsOf(report, "B1", "26735"), (Counts{1, 1, 0}));
  EXPECT_THAT(RowKeys(report), ElementsAre("B1:", "B1:26734", "B1:26735"));
}

// Period 2026-Q1, as of 2026-12-31. Amends committed after the deadline count (current
// content is the truth):
//   C1 born 01-10; R1 registered 04-01 (day 81, late), amended on 06-01 to 03-01 (day 50)
//   C2 born 02-15, registered 04-20 (day 64, late); C2 amended on 05-01 to born 03-01 (day 50)
//   C3 born 03-30, amended to 04-02: leaves Q1
// B1 = 2/2.
TEST_F(EventIndicatorsTest, LateAmendOfARegistrationOrBirthDateIsTakenAsTheTruth) {
  auto c1 = Birth("C1", "2026-01-10");
  Submit(c1);
  auto r1 = Linked(BirthRegistration("R1", "2026-01-10", "2026-04-01"), c1);
  Submit(r1);
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-12-31", {"B1"}), "B1"), (Counts{0, 1, 0}));
  *r1.mutable_registration_date() = Day("2026-03-01");
  Amend(r1, Utc("2026-06-01T00:00:00Z"));

  auto c2 = Birth("C2", "2026-02-15");
  Submit(c2);
  Submit(Linked(BirthRegistration("R2", "2026-02-15", "2026-04-20"), c2));
  Amend(Birth("C2", "2026-03-01"), Utc("2026-05-01T00:00:00Z"));
  Submit(Birth("C3", "2026-03-30"));
  Amend(Birth("C3", "2026-04-02"), Utc("2026-05-01T00:00:00Z"));

  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-12-31", {"B1"}), "B1"), (Counts{2, 2, 0}));
}

// Period 2026-Q1. Commits (local time = UTC + 7):
//   C1 born 01-10 (committed 01-10); R1 registered 02-01 (committed 02-01)
//   C2 born 01-15; R2 registered 03-01 (day 45) but committed 03-20 12:00
//   C3 born 01-20, committed only 04-05 (late sync), never registered
//   H4 home birth 01-25, registered 03-25 (day 59), committed 03-25
// As of 03-15: C1 mature, on time; C2 open (01-15 + 60 = 03-16); C3 unknown; H4 unknown
//   (registered after A) → 1/1, open 1.
// As of 03-19: C2 mature, R2 not yet committed → late → 1/2.
// As of 03-31: C2 registered; H4 mature (01-25 + 60 = 03-26), on time; C3 unknown → 3/3.
// As of 12-31: C3 known, never registered → 3/4.
class LateArrivalsTest : public EventIndicatorsTest {
 protected:
  void SubmitLateArrivals() {
    auto c1 = Birth("C1", "2026-01-10");
    Submit(c1);
    Submit(Linked(BirthRegistration("R1", "2026-01-10", "2026-02-01"), c1));
    auto c2 = Birth("C2", "2026-01-15");
    Submit(c2);
    Submit(Linked(BirthRegistration("R2", "2026-01-15", "2026-03-01"), c2),
           Utc("2026-03-20T05:00:00Z"));
    Submit(Birth("C3", "2026-01-20"), Utc("2026-04-05T05:00:00Z"));
    Submit(BirthRegistration("H4", "2026-01-25", "2026-03-25"));
  }
};

TEST_F(LateArrivalsTest, AsOfInThePastRecomputesWhatWasKnownThen) {
  SubmitLateArrivals();

  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-03-15", {"B1"}), "B1"), (Counts{1, 1, 1}));
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-03-19", {"B1"}), "B1"), (Counts{1, 2, 0}));
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-03-31", {"B1"}), "B1"), (Counts{3, 3, 0}));
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-12-31", {"B1"}), "B1"), (Counts{3, 4, 0}));
}

// The same records read "as of A with everything known now": late arrivals count, still judged
// at A (maturity at A; registrations dated after A do not register).
// As of 03-15: C1 on time; C2 open (mature 03-16); C3 known now, open (01-20 + 60 = 03-21);
//   H4's only evidence is its registration, dated after A: no event → 1/1, open 2.
// As of 03-19: C2 registered 03-01 (R2 committed 03-20, known now) → on time; C3 open → 2/2,
//   open 1 (as known on 03-19: 1/2, open 0).
TEST_F(LateArrivalsTest, EverythingKnownNowCountsLateArrivalsStillJudgedAtTheAsOfDate) {
  SubmitLateArrivals();

  auto ask = [&](const std::string& as_of, rv1::Knowledge knowledge) {
    rv1::IndicatorsRequest r;
    r.set_period("2026-Q1");
    *r.mutable_as_of() = Day(as_of);
    r.add_indicator_ids("B1");
    r.set_knowledge(knowledge);
    auto report = Compute(r);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : rv1::IndicatorReport();
  };
  auto now = ask("2026-03-15", rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW);
  EXPECT_EQ(now.knowledge(), rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW);
  EXPECT_EQ(CountsOf(now, "B1"), (Counts{1, 1, 2}));
  EXPECT_EQ(CountsOf(ask("2026-03-19", rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW), "B1"),
            (Counts{2, 2, 1}));
  auto then = ask("2026-03-19", rv1::KNOWLEDGE_UNSPECIFIED);
  EXPECT_EQ(then.knowledge(), rv1::KNOWLEDGE_AS_KNOWN_ON_AS_OF) << "the default, echoed";
  EXPECT_EQ(CountsOf(then, "B1"), (Counts{1, 2, 0}));
}

// "As known on A" reproduces the report published on A, whatever was amended or voided
// after A; "everything known now" reads today's content, judged at A. Period 2026-Q1, A =
// 03-31; each record committed an hour after it was issued (before A) unless said:
//   C1 born 01-10, R1 registered 01-20 → on time; R1 amended on 05-01 to registered 04-01
//   C2 born 01-15, unregistered → late; amended on 04-10 to born 04-02 (leaves Q1)
//   C3 born 01-20, unregistered → late; voided on 04-15
//   C4 born 02-01 at 26734, unregistered → open (mature 04-02); amended on 04-20 to 26735
//   H6 home birth 01-20, registered 01-25 → on time; amended on 05-02 to event 2025-12-20
//   C8 born 2025-12-28; R8 links it with event 01-02, registered 01-05 → C8's date: not in
//      P; R8 amended on 05-03 to link nothing (a home birth of 01-02)
//   C9 born 01-05; R9 links it (event 2025-11-01), registered 01-10 → on time; C9 amended on
//      05-04 to born 2025-11-01
// As known on A: B1 = 3/5 (C1, H6, C9 on time; C2, C3 late), open 1 (C4 at 26734).
// Everything known now, as of A: C1 late (R1 dated after A), R8 on time (home birth 01-02,
//   mature 03-03), C4 open at 26735; C2, C3, H6, C9 are gone → 1/2, open 1.
TEST_F(EventIndicatorsTest, AsKnownOnAReproducesThePublishedReportDespiteLaterAmendsAndVoids) {
  auto c1 = Birth("C1", "2026-01-10");
  Submit(c1);
  auto r1 = Linked(BirthRegistration("R1", "2026-01-10", "2026-01-20"), c1);
  Submit(r1);
  Submit(Birth("C2", "2026-01-15"));
  auto c3 = Birth("C3", "2026-01-20");
  Submit(c3);
  Submit(Birth("C4", "2026-02-01", "26734"));
  auto h6 = BirthRegistration("H6", "2026-01-20", "2026-01-25");
  Submit(h6);
  auto c8 = Birth("C8", "2025-12-28");
  Submit(c8);
  Submit(Linked(BirthRegistration("R8", "2026-01-02", "2026-01-05"), c8));
  auto c9 = Birth("C9", "2026-01-05");
  Submit(c9);
  Submit(Linked(BirthRegistration("R9", "2025-11-01", "2026-01-10"), c9));

  auto ask = [&](rv1::Knowledge knowledge) {
    rv1::IndicatorsRequest r;
    r.set_period("2026-Q1");
    *r.mutable_as_of() = Day("2026-03-31");
    r.set_breakdown(rv1::BREAKDOWN_COMMUNE);
    r.set_knowledge(knowledge);
    auto report = Compute(r);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : rv1::IndicatorReport();
  };
  const rv1::IndicatorReport published = ask(rv1::KNOWLEDGE_AS_KNOWN_ON_AS_OF);
  EXPECT_EQ(CountsOf(published, "B1"), (Counts{3, 5, 1}));
  EXPECT_EQ(CountsOf(published, "B1", "26734"), (Counts{3, 5, 1}));

  *r1.mutable_registration_date() = Day("2026-04-01");
  Amend(r1, Utc("2026-05-01T00:00:00Z"));
  Amend(Birth("C2", "2026-04-02"), Utc("2026-04-10T00:00:00Z"));
  Void(c3, Utc("2026-04-15T00:00:00Z"));
  Amend(Birth("C4", "2026-02-01", "26735"), Utc("2026-04-20T00:00:00Z"));
  *h6.mutable_event_date() = Day("2025-12-20");
  Amend(h6, Utc("2026-05-02T00:00:00Z"));
  Amend(BirthRegistration("R8", "2026-01-02", "2026-01-05"), Utc("2026-05-03T00:00:00Z"));
  Amend(Birth("C9", "2025-11-01"), Utc("2026-05-04T00:00:00Z"));

  const rv1::IndicatorReport again = ask(rv1::KNOWLEDGE_AS_KNOWN_ON_AS_OF);
  ASSERT_EQ(again.values_size(), published.values_size());
  for (int i = 0; i < published.values_size(); ++i) {
    EXPECT_EQ(again.values(i).SerializeAsString(), published.values(i).SerializeAsString())
        << "row " << i << ": " << again.values(i).ShortDebugString() << " published as "
        << published.values(i).ShortDebugString();
  }
  const rv1::IndicatorReport now = ask(rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW);
  EXPECT_EQ(CountsOf(now, "B1"), (Counts{1, 2, 1}));
  EXPECT_EQ(CountsOf(now, "B1", "26734"), (Counts{1, 2, 0}));
  EXPECT_EQ(CountsOf(now, "B1", "26735"), (Counts{0, 0, 1}));
}

// D5 as known on A, after the underlying cause of one notice is corrected and another is
// voided. Period 2026-01, A = 01-31:
//   N1 died 01-10, cause R99 → not certified; amended on 02-10 to I21.9
//   N2 died 01-12, cause I21.9 → certified; voided on 02-11
//   N3 died 01-14 at home with a notice; amended on 02-12 to "in a facility", cause I21.9
// As known on A: 1/2 (N2 of N1, N2). Now: 2/2 (N1, N3).
TEST_F(EventIndicatorsTest, D5AsKnownOnAIgnoresLaterCorrectionsAndVoids) {
  Submit(Death("N1", "2026-01-10", "00004", "BV01002", true, "R99"));
  auto n2 = Death("N2", "2026-01-12");
  Submit(n2);
  Submit(Death("N3", "2026-01-14", "00004", "BV01002", false));
  EXPECT_EQ(CountsOf(Report("2026-01", "2026-01-31", {"D5"}), "D5"), (Counts{1, 2, 0}));

  Amend(Death("N1", "2026-01-10"), Utc("2026-02-10T00:00:00Z"));
  Void(n2, Utc("2026-02-11T00:00:00Z"));
  Amend(Death("N3", "2026-01-14"), Utc("2026-02-12T00:00:00Z"));
  EXPECT_EQ(CountsOf(Report("2026-01", "2026-01-31", {"D5"}), "D5"), (Counts{1, 2, 0}));
  EXPECT_EQ(CountsOf(Report("2026-01", "2026-12-31", {"D5"}), "D5"), (Counts{2, 2, 0}));
}

// The end of the as-of day is local midnight, 17:00 UTC. Both certificates are born 01-01, so
// mature exactly on A = 03-02 (01-01 + 60); neither is registered.
//   C1 committed 2026-03-02T16:59:59Z (23:59:59 local, 03-02) → known on A
//   C2 committed 2026-03-02T17:00:00Z (00:00 local, 03-03)     → not yet known
TEST_F(EventIndicatorsTest, RecordsFirstCommittedAfterTheEndOfTheAsOfDayAreIgnored) {
  Submit(Birth("C1", "2026-01-01"), Utc("2026-03-02T16:59:59Z"));
  Submit(Birth("C2", "2026-01-01"), Utc("2026-03-02T17:00:00Z"));
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-03-02", {"B1"}), "B1"), (Counts{0, 1, 0}));
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-03-03", {"B1"}), "B1"), (Counts{0, 2, 0}));
}

// Communes file: 26734 and 26737 in province 79, 00004 in 01; 99999 is not listed.
// Births in 2026-Q1, as of 2026-12-31, registered on day 1 unless stated:
//   C1 26734 on time; C2 26737 unregistered; C3 00004 on time; C4 99999 on time.
// Province breakdown: total 3/4; 01: 1/1; 79: 1/2; ??: 1/1.
// Province 79 with commune breakdown: total 1/2; 26734: 1/1; 26737: 0/1.
// Commune 00004: 1/1. Facility breakdown does not apply to B1: total row only.
class AreaTest : public IndicatorsDb {
 protected:
  void SetUp() override {
    const std::vector<std::pair<std::string, bool>> births = {
        {"26734", true}, {"26737", false}, {"00004", true}, {"99999", true}};
    for (size_t i = 0; i < births.size(); ++i) {
      const std::string no = std::to_string(i + 1);
      auto cert = Birth("C" + no, "2026-01-10", births[i].first);
      Submit(cert);
      if (births[i].second) {
        Submit(Linked(BirthRegistration("R" + no, "2026-01-10", "2026-01-11"), cert));
      }
    }
    areas_ = LoadAreas(
        "commune_code,province_code,name\n"
        "26734,79,Phường Sài Gòn\n26737,79,Phường Tân Định\n00004,01,Phường Ba Đình\n");
  }
  Areas areas_;
};

TEST_F(AreaTest, ProvinceBreakdownGroupsUnlistedCommunesUnderQuestionMarks) {
  auto report = Report("2026-Q1", "2026-12-31", {"B1"}, rv1::BREAKDOWN_PROVINCE, areas_);
  EXPECT_THAT(RowKeys(report), ElementsAre("B1:", "B1:01", "B1:79", "B1:??"));
  EXPECT_EQ(CountsOf(report, "B1"), (Counts{3, 4, 0}));
  EXPECT_EQ(CountsOf(report, "B1", "01"), (Counts{1, 1, 0}));
  EXPECT_EQ(CountsOf(report, "B1", "79"), (Counts{1, 2, 0}));
  EXPECT_EQ(CountsOf(report, "B1", "??"), (Counts{1, 1, 0}));
  EXPECT_EQ(Find(report, "B1", "79")->area(), "VN");
}

TEST_F(AreaTest, ProvinceFilterWithCommuneBreakdown) {
  auto report = Report("2026-Q1", "2026-12-31", {"B1"}, rv1::BREAKDOWN_COMMUNE, areas_, "79");
  EXPECT_THAT(RowKeys(report), ElementsAre("B1:", "B1:26734", "B1:26737"));
  EXPECT_EQ(CountsOf(report, "B1"), (Counts{1, 2, 0}));
  EXPECT_EQ(CountsOf(report, "B1", "26734"), (Counts{1, 1, 0}));
  EXPECT_EQ(CountsOf(report, "B1", "26737"), (Counts{0, 1, 0}));
  EXPECT_EQ(Find(report, "B1")->area(), "79");
}

TEST_F(AreaTest, CommuneFilterNeedsNoCommunesFile) {
  auto report = Report("2026-Q1", "2026-12-31", {"B1"}, rv1::BREAKDOWN_NONE, Areas(), "", "00004");
  EXPECT_THAT(RowKeys(report), ElementsAre("B1:"));
  EXPECT_EQ(CountsOf(report, "B1"), (Counts{1, 1, 0}));
  EXPECT_EQ(Find(report, "B1")->area(), "00004");
}

TEST_F(AreaTest, FacilityAndCourtBreakdownsDoNotApplyToB1) {
  for (auto breakdown : {rv1::BREAKDOWN_FACILITY, rv1::BREAKDOWN_COURT}) {
    auto report = Report("2026-Q1", "2026-12-31", {"B1"}, breakdown);
    EXPECT_THAT(RowKeys(report), ElementsAre("B1:")) << breakdown;
    EXPECT_EQ(CountsOf(report, "B1"), (Counts{3, 4, 0}));
  }
}

TEST_F(AreaTest, ProvinceFilterOrBreakdownWithoutCommunesFileIsFailedPrecondition) {
  rv1::IndicatorsRequest by_province;
  by_province.set_period("2026");
  by_province.set_breakdown(rv1::BREAKDOWN_PROVINCE);
  rv1::IndicatorsRequest in_province;
  in_province.set_period("2026");
  in_province.set_province_code("79");
  for (const auto& request : {by_province, in_province}) {
    auto report = Compute(request);
    EXPECT_THAT(report, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_THAT(std::string(report.status().message()),
                HasSubstr("reconcile.reference_communes_file"));
  }
}

// Period 2026-Q1, as of 2027-06-30 (all mature). Deaths:
//   N1 died 01-10 in facility BV01002, registered 01-25 = day 15 → D1, D2, D3 on time
//   N2 died 01-10 in facility BV01002, registered 01-26 = day 16 → D1 late, D2 on time, D3 late
//   N3 died 02-01 at home with a notice (in_facility false), registered 02-05 → D1, D2 on time;
//      not a facility death
//   H4 home death without notice, died 02-10, registered 03-15 (day 33) → D1 late, D2 on time
//   N5 died 03-01 in facility, voided → nowhere
//   N6 died 03-05 in facility BV01003, unregistered → late everywhere
// D1 = 2/5, D2 = 4/5, D3 = 1/3 (N1, N2, N6); D3 by facility: BV01002 1/2, BV01003 0/1.
TEST_F(EventIndicatorsTest, DeathIndicatorsCountDay15OnTimeAndD3OnlyFacilityDeaths) {
  auto n1 = Death("N1", "2026-01-10"), n2 = Death("N2", "2026-01-10");
  Submit(n1);
  Submit(Linked(DeathRegistration("R1", "2026-01-10", "2026-01-25"), n1));
  Submit(n2);
  Submit(Linked(DeathRegistration("R2", "2026-01-10", "2026-01-26"), n2));
  auto n3 = Death("N3", "2026-02-01", "00004", "BV01002", false);
  Submit(n3);
  Submit(Linked(DeathRegistration("R3", "2026-02-01", "2026-02-05"), n3));
  Submit(DeathRegistration("H4", "2026-02-10", "2026-03-15"));
  auto n5 = Death("N5", "2026-03-01");
  Submit(n5);
  Void(n5);
  Submit(Death("N6", "2026-03-05", "00004", "BV01003"));

  auto report =
      Report("2026-Q1", "2027-06-30", {"D1", "D2", "D3"}, rv1::BREAKDOWN_FACILITY);
  EXPECT_THAT(RowKeys(report),
              ElementsAre("D1:", "D2:", "D3:", "D3:BV01002", "D3:BV01003"));
  EXPECT_EQ(CountsOf(report, "D1"), (Counts{2, 5, 0}));
  EXPECT_EQ(CountsOf(report, "D2"), (Counts{4, 5, 0}));
  EXPECT_EQ(CountsOf(report, "D3"), (Counts{1, 3, 0}));
  EXPECT_EQ(CountsOf(report, "D3", "BV01002"), (Counts{1, 2, 0}));
  EXPECT_EQ(CountsOf(report, "D3", "BV01003"), (Counts{0, 1, 0}));
  const rv1::IndicatorValue* d3 = Find(report, "D3");
  EXPECT_FALSE(d3->has_target_2028());
  EXPECT_FALSE(d3->has_met_2028());
  EXPECT_DOUBLE_EQ(d3->target_2030(), 100);
  EXPECT_FALSE(d3->met_2030());
}

// As of 2026-01-20, deaths of 2026-01:
//   N1 died 01-05: 01-05 + 15 = 01-20 = A → mature, registered 01-10 → on time
//   N2 died 01-06: 01-21 > A → open
// D1 = 1/1, open 1.
TEST_F(EventIndicatorsTest, DeathIsMatureOnDay15) {
  auto n1 = Death("N1", "2026-01-05");
  Submit(n1);
  Submit(Linked(DeathRegistration("R1", "2026-01-05", "2026-01-10"), n1));
  Submit(Death("N2", "2026-01-06"));
  EXPECT_EQ(CountsOf(Report("2026-01", "2026-01-20", {"D1"}), "D1"), (Counts{1, 1, 1}));
}

// Period 2026-Q1, as of 2026-12-31. Death notices by underlying cause and date of death
// (local; each issued the same day unless said):
//   N1 I21.9, 01-10                                              ✓
//   N2 R99 (chapter R, ill-defined)                              ✗
//   N3 no underlying cause                                       ✗
//   N4 "I21.999" (not an ICD-10 code)                            ✗
//   N5 C34, death at home (in_facility false), facility BV01003  nowhere
//   N6 I21.9, voided                                             nowhere
//   N7 I21.9, died 03-31, issued 04-02, facility BV01003         ✓ (the death is in Q1)
//   N8 I21.9, died 2025-12-30, issued 2026-01-03                 not in Q1: in 2025
//   N9 I21.9, died 04-01 00:30 local = 03-31 17:30 UTC           not in Q1
// D5 = 2/5 = 40 %; BV01002: 1/4, BV01003: 1/1. No maturity: open 0.
TEST_F(EventIndicatorsTest, D5CountsFacilityDeathsByDateOfDeathWithACauseOutsideChapterR) {
  Submit(Death("N1", "2026-01-10"));
  Submit(Death("N2", "2026-01-11", "00004", "BV01002", true, "R99"));
  Submit(Death("N3", "2026-01-12", "00004", "BV01002", true, ""));
  Submit(Death("N4", "2026-01-13", "00004", "BV01002", true, "I21.999"));
  Submit(Death("N5", "2026-01-14", "00004", "BV01003", false, "C34"));
  auto n6 = Death("N6", "2026-01-15");
  Submit(n6);
  Void(n6);
  auto n7 = Death("N7", "2026-03-31", "00004", "BV01003");
  *n7.mutable_issued_at() = crvs::testing::At("2026-04-02T05:00:00Z");
  Submit(n7);
  auto n8 = Death("N8", "2025-12-30");
  *n8.mutable_issued_at() = crvs::testing::At("2026-01-03T02:00:00Z");
  Submit(n8);
  auto n9 = Death("N9", "2026-04-01");
  *n9.mutable_died_at() = crvs::testing::LocalTime("2026-03-31T17:30:00Z");
  Submit(n9);

  auto report = Report("2026-Q1", "2026-12-31", {"D5"}, rv1::BREAKDOWN_FACILITY);
  EXPECT_THAT(RowKeys(report), ElementsAre("D5:", "D5:BV01002", "D5:BV01003"));
  EXPECT_EQ(CountsOf(report, "D5"), (Counts{2, 5, 0}));
  EXPECT_EQ(CountsOf(report, "D5", "BV01002"), (Counts{1, 4, 0}));
  EXPECT_EQ(CountsOf(report, "D5", "BV01003"), (Counts{1, 1, 0}));
  EXPECT_DOUBLE_EQ(Find(report, "D5")->percent(), 40.0);
  // Regression: without a breakdown, only the total row (facility rows once leaked in).
  EXPECT_THAT(RowKeys(Report("2026-Q1", "2026-12-31", {"D5"})), ElementsAre("D5:"));

  // The death of 30 December counts in 2025, once its notice is known (committed an hour after
  // issue, 3 January local): a report as of 2 January does not have it yet.
  EXPECT_EQ(CountsOf(Report("2025", "2026-12-31", {"D5"}), "D5"), (Counts{1, 1, 0}));
  EXPECT_EQ(CountsOf(Report("2025", "2026-01-02", {"D5"}), "D5"), (Counts{0, 0, 0}));
  EXPECT_EQ(CountsOf(Report("2025", "2026-01-03", {"D5"}), "D5"), (Counts{1, 1, 0}));
  // The home death is still a death for D1: N1-N5 and N7.
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-12-31", {"D1"}), "D1").denominator, 6);
}

// 20 home births on 2026-01-05, as of 2027-06-30 (mature for 60 and 365 days); 19 registered
// on day 1, one on day 90 (2026-04-05):
// B1 = 19/20 = 95 % exactly → meets the 2028 target (95, percent >= target), not the 2030
// one (98.5). B2 = 20/20 = 100 % → meets both (98, 99).
TEST_F(EventIndicatorsTest, TargetsAreMetWhenThePercentReachesThem) {
  for (int i = 0; i < 20; ++i) {
    Submit(BirthRegistration("H" + std::to_string(i), "2026-01-05",
                             i == 0 ? "2026-04-05" : "2026-01-06"));
  }
  auto report = Report("2026-01", "2027-06-30", {"B1", "B2"});
  const rv1::IndicatorValue* b1 = Find(report, "B1");
  const rv1::IndicatorValue* b2 = Find(report, "B2");
  ASSERT_NE(b1, nullptr);
  ASSERT_NE(b2, nullptr);
  EXPECT_EQ(CountsOf(report, "B1"), (Counts{19, 20, 0}));
  EXPECT_EQ(CountsOf(report, "B2"), (Counts{20, 20, 0}));
  EXPECT_DOUBLE_EQ(b1->percent(), 95.0);
  EXPECT_DOUBLE_EQ(b1->target_2028(), 95.0);
  EXPECT_DOUBLE_EQ(b1->target_2030(), 98.5);
  EXPECT_TRUE(b1->met_2028());
  EXPECT_FALSE(b1->met_2030());
  EXPECT_TRUE(b2->met_2028());
  EXPECT_TRUE(b2->met_2030());
}

class RequestTest : public IndicatorsDb {};

TEST_F(RequestTest, RejectsEveryBadFieldAtOnceNamingIt) {
  rv1::IndicatorsRequest r;
  r.set_period("2026-Q5");
  *r.mutable_as_of() = Day("2027-07-01");  // the clock says 2027-06-30 in Vietnam
  r.set_province_code("7");
  r.set_commune_code("1234");
  r.set_breakdown(static_cast<rv1::Breakdown>(42));
  r.add_indicator_ids("B1");
  r.add_indicator_ids("X9");
  r.add_indicator_ids("d5");  // ids are case-sensitive
  auto report = Compute(r);
  EXPECT_THAT(report, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(report.status()),
              ElementsAre("period", "as_of", "province_code", "commune_code", "breakdown",
                          "indicator_ids[1]", "indicator_ids[2]"));
}

TEST_F(RequestTest, ValidationAloneGivesTheSameErrorsWithoutTheDatabase) {
  rv1::IndicatorsRequest r;
  r.set_period("2026-13");
  r.add_indicator_ids("B9");
  IndicatorOptions options;
  options.now = Utc(kNow);
  absl::Status status = ValidateIndicatorsRequest(r, Areas(), options);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("period", "indicator_ids[0]"));
  r.set_period("2026");
  r.clear_indicator_ids();
  r.set_breakdown(rv1::BREAKDOWN_PROVINCE);
  EXPECT_THAT(ValidateIndicatorsRequest(r, Areas(), options),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  r.set_breakdown(rv1::BREAKDOWN_COMMUNE);
  EXPECT_TRUE(ValidateIndicatorsRequest(r, Areas(), options).ok());
}

TEST_F(RequestTest, RejectsAMissingPeriodAndAnImpossibleAsOfDate) {
  rv1::IndicatorsRequest r;
  r.mutable_as_of()->set_year(2026);
  r.mutable_as_of()->set_month(2);
  r.mutable_as_of()->set_day(29);  // 2026 is not a leap year
  auto report = Compute(r);
  EXPECT_THAT(ViolatedFields(report.status()), ElementsAre("period", "as_of"));
}

// 2027-06-30T18:00Z is 2027-07-01 01:00 in Vietnam.
TEST_F(RequestTest, AsOfDefaultsToTodayInVietnam) {
  rv1::IndicatorsRequest r;
  r.set_period("2027");
  r.add_indicator_ids("B1");
  IndicatorOptions options;
  options.now = Utc("2027-06-30T18:00:00Z");
  auto report = ComputeIndicators(store(), Areas(), r, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->as_of().year(), 2027);
  EXPECT_EQ(report->as_of().month(), 7);
  EXPECT_EQ(report->as_of().day(), 1);
  EXPECT_EQ(report->computed_at().seconds(), absl::ToUnixSeconds(options.now));
  EXPECT_EQ(report->period(), "2027");
}

TEST_F(RequestTest, ReportsEachRequestedIndicatorOnceInIdOrderWithDefinitionAndTargets) {
  auto report = Report("2026-03", "2026-12-31", {"D5", "B1", "B1"});
  EXPECT_THAT(RowKeys(report), ElementsAre("B1:", "D5:"));
  for (const auto& v : report.values()) {
    EXPECT_EQ(v.area(), "VN");
    EXPECT_FALSE(v.definition().empty());
    EXPECT_EQ(v.denominator(), 0);
    EXPECT_FALSE(v.has_percent());
  }
  EXPECT_DOUBLE_EQ(Find(report, "D5")->target_2028(), 75);
  EXPECT_DOUBLE_EQ(Find(report, "D5")->target_2030(), 80);
}

TEST_F(RequestTest, NoIdsMeansEveryIndicator) {
  auto report = Report("2026", "2026-12-31", {});
  EXPECT_THAT(RowKeys(report), ElementsAre("B1:", "B2:", "B3:", "D1:", "D2:", "D3:", "D4:",
                                           "D5:", "V1:", "V2:"));
}

// Period boundaries: a month's last day is in it, the next month's first day is not.
TEST_F(RequestTest, MonthPeriodIncludesItsLastDayOnly) {
  Submit(BirthRegistration("H1", "2026-03-31", "2026-04-01"));
  Submit(BirthRegistration("H2", "2026-04-01", "2026-04-02"));
  Submit(BirthRegistration("H3", "2026-02-28", "2026-03-01"));
  EXPECT_EQ(CountsOf(Report("2026-03", "2026-12-31", {"B1"}), "B1"), (Counts{1, 1, 0}));
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-12-31", {"B1"}), "B1"), (Counts{2, 2, 0}));
  EXPECT_EQ(CountsOf(Report("2026", "2026-12-31", {"B1"}), "B1"), (Counts{3, 3, 0}));
}

}  // namespace
}  // namespace crvs::reconcile::indicators::testing
