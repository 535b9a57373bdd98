// B3, D4, V1 and V2: sync coverage against manifests (inserted with SQL, as DeclareManifest
// stores them) through ComputeCoverage, with source locations for areas and breakdowns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/records/records.h"
#include "services/reconcile/manifest_store.h"
#include "services/reconcile/indicators/test_fixture.h"
#include "tests/support/fixtures.h"

namespace crvs::reconcile::indicators::testing {
namespace {

using ::testing::ElementsAre;

template <class Key>
std::string KeyOf(const Key& key) {
  return records::KeyOf(key).value;
}

recv1::DivorceDecision Decision(const std::string& no, const std::string& court) {
  recv1::DivorceDecision d = crvs::testing::DivorceDecision(no);
  d.mutable_key()->set_court_code(court);
  return d;
}

// Sources file: facility BV79002 in 00004 (province 01), court TAND79 in 26734 (79). Facility
// BV79001 has no configured location: its in-facility births are in 26734 (79). Court TAND01
// has none: national figures only.
//
// B3 manifests (birth certificates; issued 05:00 UTC on the birth date, SLA 24 h):
//   facility:BV79001, 2026-01: C1 committed after 1 h → on time
//                              C2 committed after 24 h + 1 s → present, late
//                              C3 committed after exactly 24 h → on time
//                              C4 declared, never arrived; C5 arrived but voided
//   facility:BV79002, 2026-02: C6 on time
//   facility:BV79001, 2026-04: C7 (outside 2026-Q1)
// B3 for 2026-Q1 as of 2026-12-31 = 3/6 (C1, C3, C6); BV79001 2/5, BV79002 1/1.
class CoverageIndicatorsTest : public IndicatorsDb {
 protected:
  void SetUp() override {
    areas_ = LoadAreas("commune_code,province_code,name\n26734,79,Sài Gòn\n00004,01,Ba Đình\n",
                       "principal,commune_code,name\n"
                       "facility:BV79002,00004,Bệnh viện B\n"
                       "court:TAND79,26734,TAND TP HCM\n");
    DeclareBirths();
  }

  void DeclareBirths() {
    std::vector<Entry> january;
    const std::vector<std::pair<std::string, std::string>> births = {
        {"C1", "2026-01-10T06:00:00Z"}, {"C2", "2026-01-12T05:00:01Z"},
        {"C3", "2026-01-13T05:00:00Z"}, {"C4", ""}, {"C5", "2026-01-14T06:00:00Z"}};
    for (size_t i = 0; i < births.size(); ++i) {
      auto cert = Birth(births[i].first, "2026-01-1" + std::to_string(i));
      if (!births[i].second.empty()) Submit(cert, Utc(births[i].second));
      january.push_back({KeyOf(cert.key()), "2026-01-1" + std::to_string(i) + "T05:00:00Z"});
    }
    Void(Birth("C5", "2026-01-14"));
    Declare("facility:BV79001", "m-2026-01", "BIRTH_CERTIFICATE", "2026-01-01", "2026-01-31",
            false, january);
    auto c6 = Birth("C6", "2026-02-10", "26734", "BV79002");
    Submit(c6);
    Declare("facility:BV79002", "m-2026-02", "BIRTH_CERTIFICATE", "2026-02-01", "2026-02-28",
            false, {{KeyOf(c6.key()), "2026-02-10T05:00:00Z"}});
    auto c7 = Birth("C7", "2026-04-10");
    Submit(c7);
    Declare("facility:BV79001", "m-2026-04", "BIRTH_CERTIFICATE", "2026-04-01", "2026-04-30",
            false, {{KeyOf(c7.key()), "2026-04-10T05:00:00Z"}});
  }

  Areas areas_;
};

TEST_F(CoverageIndicatorsTest, B3CountsCertificatesCommittedWithinTheSlaOfTheirDeclaration) {
  auto report = Report("2026-Q1", "2026-12-31", {"B3"}, rv1::BREAKDOWN_FACILITY);
  EXPECT_THAT(RowKeys(report), ElementsAre("B3:", "B3:BV79001", "B3:BV79002"));
  EXPECT_EQ(CountsOf(report, "B3"), (Counts{3, 6, 0}));
  EXPECT_EQ(CountsOf(report, "B3", "BV79001"), (Counts{2, 5, 0}));
  EXPECT_EQ(CountsOf(report, "B3", "BV79002"), (Counts{1, 1, 0}));
  const rv1::IndicatorValue* b3 = Find(report, "B3");
  EXPECT_DOUBLE_EQ(b3->percent(), 50);
  EXPECT_FALSE(b3->met_2028());
  EXPECT_FALSE(b3->has_target_2030());
  EXPECT_FALSE(b3->has_met_2030());
}

// With a 48 h SLA, C2 (24 h + 1 s) is on time too: 4/6.
TEST_F(CoverageIndicatorsTest, B3UsesTheConfiguredSla) {
  rv1::IndicatorsRequest r;
  r.set_period("2026-Q1");
  *r.mutable_as_of() = Day("2026-12-31");
  r.add_indicator_ids("B3");
  auto report = Compute(r, Areas(), absl::Hours(48));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(CountsOf(*report, "B3"), (Counts{4, 6, 0}));
}

// As of 2026-01-12 (cut-off 2026-01-12T17:00Z): C1 on time; C2 (committed 01-12 05:00:01Z)
// present but late; C3 (01-13) and C6 (02-10) not yet there → 1/6.
TEST_F(CoverageIndicatorsTest, B3AsOfInThePastCountsOnlyWhatWasCommittedByThen) {
  EXPECT_EQ(CountsOf(Report("2026-Q1", "2026-01-12", {"B3"}), "B3"), (Counts{1, 6, 0}));
}

// BV79001 is located by its in-facility births (26734 → 79), BV79002 by the sources file
// (00004 → 01).
TEST_F(CoverageIndicatorsTest, SourcesAreLocatedForProvinceBreakdownAndFilter) {
  auto report = Report("2026-Q1", "2026-12-31", {"B3"}, rv1::BREAKDOWN_PROVINCE, areas_);
  EXPECT_THAT(RowKeys(report), ElementsAre("B3:", "B3:01", "B3:79"));
  EXPECT_EQ(CountsOf(report, "B3", "01"), (Counts{1, 1, 0}));
  EXPECT_EQ(CountsOf(report, "B3", "79"), (Counts{2, 5, 0}));
  auto in_01 = Report("2026-Q1", "2026-12-31", {"B3"}, rv1::BREAKDOWN_NONE, areas_, "01");
  EXPECT_EQ(CountsOf(in_01, "B3"), (Counts{1, 1, 0}));
}

// D4, facility:BV01002, 2026-01: N1 committed 1 h after issue (on time), N2 30 h after
// (late) → 1/2 = 50 %, below both targets (80, 90).
TEST_F(CoverageIndicatorsTest, D4CountsNoticesCommittedWithinTheSla) {
  auto n1 = Death("N1", "2026-01-10"), n2 = Death("N2", "2026-01-11");
  Submit(n1);
  Submit(n2, Utc("2026-01-12T11:00:00Z"));
  Declare("facility:BV01002", "n-2026-01", "DEATH_NOTICE", "2026-01-01", "2026-01-31", false,
          {{KeyOf(n1.key()), "2026-01-10T05:00:00Z"}, {KeyOf(n2.key()), "2026-01-11T05:00:00Z"}});
  auto report = Report("2026-Q1", "2026-12-31", {"D4"});
  EXPECT_EQ(CountsOf(report, "D4"), (Counts{1, 2, 0}));
  EXPECT_FALSE(Find(report, "D4")->met_2028());
  EXPECT_FALSE(Find(report, "D4")->met_2030());
}

// V1, court:TAND79, manifest 2026-01-01..2026-06-30: V1a recorded, V1b missing → 1/2.
// court:TAND01 declared 2025-12 (before 2026-01-01): never part of V1, so the year 2025 has
// no V1 manifest at all → 0/0. Court breakdown for 2026: TAND79 1/2.
TEST_F(CoverageIndicatorsTest, V1CountsDecisionsEffectiveFrom2026Only) {
  auto a = Decision("V1a", "TAND79"), b = Decision("V1b", "TAND79"), c = Decision("V1c", "TAND01");
  Submit(a);
  Submit(c);
  Declare("court:TAND79", "v-2026-h1", "DIVORCE_DECISION", "2026-01-01", "2026-06-30", false,
          {{KeyOf(a.key()), "2026-09-15T08:00:00Z"}, {KeyOf(b.key()), "2026-09-15T08:00:00Z"}});
  Declare("court:TAND01", "v-2025-12", "DIVORCE_DECISION", "2025-12-01", "2025-12-31", false,
          {{KeyOf(c.key()), "2025-12-15T08:00:00Z"}});

  auto report = Report("2026", "2026-12-31", {"V1"}, rv1::BREAKDOWN_COURT);
  EXPECT_THAT(RowKeys(report), ElementsAre("V1:", "V1:TAND79"));
  EXPECT_EQ(CountsOf(report, "V1"), (Counts{1, 2, 0}));
  auto v2025 = Report("2025", "2026-12-31", {"V1"});
  EXPECT_EQ(CountsOf(v2025, "V1"), (Counts{0, 0, 0}));
  EXPECT_FALSE(Find(v2025, "V1")->has_percent());
}

// V2, every backlog inventory whatever the period: court:TAND79 (2020..2025) with B1, B2
// recorded and B3 missing; court:TAND01 (2024..2025) with B4 recorded → 3/4.
// Court breakdown: TAND01 1/1, TAND79 2/3. TAND79 is in 26734 (79); TAND01 has no location, so
// it counts in the national total only: province breakdown 79 2/3, province 79 → 2/3.
TEST_F(CoverageIndicatorsTest, V2CountsEveryBacklogInventory) {
  std::vector<recv1::DivorceDecision> decisions = {
      Decision("B1", "TAND79"), Decision("B2", "TAND79"), Decision("B3", "TAND79"),
      Decision("B4", "TAND01")};
  for (auto& d : decisions) *d.mutable_legal_effect_date() = Day("2024-05-01");
  Submit(decisions[0]);
  Submit(decisions[1]);
  Submit(decisions[3]);
  Declare("court:TAND79", "backlog", "DIVORCE_DECISION", "2020-01-01", "2025-12-31", true,
          {{KeyOf(decisions[0].key()), ""}, {KeyOf(decisions[1].key()), ""},
           {KeyOf(decisions[2].key()), ""}});
  Declare("court:TAND01", "backlog", "DIVORCE_DECISION", "2024-01-01", "2025-12-31", true,
          {{KeyOf(decisions[3].key()), ""}});

  auto by_court = Report("2026-Q1", "2026-12-31", {"V2"}, rv1::BREAKDOWN_COURT);
  EXPECT_THAT(RowKeys(by_court), ElementsAre("V2:", "V2:TAND01", "V2:TAND79"));
  EXPECT_EQ(CountsOf(by_court, "V2"), (Counts{3, 4, 0}));
  EXPECT_EQ(CountsOf(by_court, "V2", "TAND01"), (Counts{1, 1, 0}));
  EXPECT_EQ(CountsOf(by_court, "V2", "TAND79"), (Counts{2, 3, 0}));
  auto by_province = Report("2026-Q1", "2026-12-31", {"V2"}, rv1::BREAKDOWN_PROVINCE, areas_);
  EXPECT_THAT(RowKeys(by_province), ElementsAre("V2:", "V2:79"));
  EXPECT_EQ(CountsOf(by_province, "V2"), (Counts{3, 4, 0}));
  EXPECT_EQ(CountsOf(by_province, "V2", "79"), (Counts{2, 3, 0}));
  auto in_79 = Report("2026-Q1", "2026-12-31", {"V2"}, rv1::BREAKDOWN_NONE, areas_, "79");
  EXPECT_EQ(CountsOf(in_79, "V2"), (Counts{2, 3, 0}));
  EXPECT_DOUBLE_EQ(Find(by_court, "V2")->percent(), 75);
  EXPECT_FALSE(Find(by_court, "V2")->met_2028());  // 75 < 85
}

// B3 as known on a past day counts the manifests and records as they were then: later
// voids, appends and re-declarations do not move it. Births of 2026-01 (issued 05:00 UTC on
// the birth date, committed an hour later unless said):
//   facility BV79001: C1 (01-10), C2 (01-11), C7 (01-12, voided 02-05); C4, C6 never arrive
//   facility BV79002: C5 (01-15)
// Declarations (through StoreManifest, as the service makes them):
//   01-31 10:00Z  m1 BV79001 2026-01: C1, C2, C7
//   02-10         m1 appended: C2 again, declared issued 01-01 (so committed 10 days late), C4
//   02-12         m2 BV79002 2026-01: C5
//   02-20         m1 declared again, whole: C1, C6
// B3 for 2026-01 as known on 01-31: m1 as first declared → 3/3.
//   on 02-15: m1 as appended (C1 ✓, C2 late, C7 voided, C4 missing) and m2 (C5 ✓) → 2/5.
//   on 12-31: m1 re-declared (C1 ✓, C6 missing) and m2 (C5 ✓) → 2/3.
class ManifestHistoryTest : public IndicatorsDb {
 protected:
  void DeclareAt(const std::string& facility, const std::string& id, bool append,
                 const std::vector<std::pair<std::string, std::string>>& entries,
                 const std::string& at) {
    rv1::Manifest header;
    header.set_manifest_id(id);
    *header.mutable_source() = *records::ParsePrincipal("facility:" + facility);
    header.set_kind(recv1::RECORD_KIND_BIRTH_CERTIFICATE);
    *header.mutable_period_start() = Day("2026-01-01");
    *header.mutable_period_end() = Day("2026-01-31");
    header.set_append(append);
    std::vector<rv1::ManifestEntry> list;
    for (const auto& [key, issued] : entries) {
      rv1::ManifestEntry e;
      e.set_business_key(key);
      *e.mutable_issued_at() = crvs::testing::At(issued);
      list.push_back(std::move(e));
    }
    auto ack = StoreManifest(store(), header, std::move(list), "facility:" + facility, Utc(at),
                             absl::Hours(24));
    ASSERT_TRUE(ack.ok()) << ack.status();
  }
};

TEST_F(ManifestHistoryTest, AsKnownOnAPastDayCountsTheManifestsAndRecordsOfThatDay) {
  auto c1 = Birth("C1", "2026-01-10"), c2 = Birth("C2", "2026-01-11"),
       c7 = Birth("C7", "2026-01-12"), c4 = Birth("C4", "2026-01-20"),
       c6 = Birth("C6", "2026-01-21"), c5 = Birth("C5", "2026-01-15", "26734", "BV79002");
  Submit(c1);
  Submit(c2);
  Submit(c7);
  Submit(c5);
  const std::string k1 = KeyOf(c1.key()), k2 = KeyOf(c2.key()), k7 = KeyOf(c7.key()),
                    k4 = KeyOf(c4.key()), k6 = KeyOf(c6.key()), k5 = KeyOf(c5.key());
  DeclareAt("BV79001", "m1", false,
            {{k1, "2026-01-10T05:00:00Z"}, {k2, "2026-01-11T05:00:00Z"},
             {k7, "2026-01-12T05:00:00Z"}},
            "2026-01-31T10:00:00Z");
  const rv1::IndicatorReport published = Report("2026-01", "2026-01-31", {"B3"});
  EXPECT_EQ(CountsOf(published, "B3"), (Counts{3, 3, 0}));

  Void(c7, Utc("2026-02-05T00:00:00Z"));
  DeclareAt("BV79001", "m1", true, {{k2, "2026-01-01T05:00:00Z"}, {k4, "2026-01-20T05:00:00Z"}},
            "2026-02-10T00:00:00Z");
  DeclareAt("BV79002", "m2", false, {{k5, "2026-01-15T05:00:00Z"}}, "2026-02-12T00:00:00Z");
  DeclareAt("BV79001", "m1", false, {{k1, "2026-01-10T05:00:00Z"}, {k6, "2026-01-21T05:00:00Z"}},
            "2026-02-20T00:00:00Z");

  const rv1::IndicatorReport again = Report("2026-01", "2026-01-31", {"B3"});
  ASSERT_EQ(again.values_size(), published.values_size());
  for (int i = 0; i < published.values_size(); ++i) {
    EXPECT_EQ(again.values(i).SerializeAsString(), published.values(i).SerializeAsString())
        << again.values(i).ShortDebugString();
  }
  EXPECT_EQ(CountsOf(Report("2026-01", "2026-02-15", {"B3"}), "B3"), (Counts{2, 5, 0}));
  EXPECT_EQ(CountsOf(Report("2026-01", "2026-12-31", {"B3"}), "B3"), (Counts{2, 3, 0}));
}

}  // namespace
}  // namespace crvs::reconcile::indicators::testing
