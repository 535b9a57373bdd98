// The expected figures on a population small enough to count by hand (as of 2026-11-22):
// each record below says what it is planted for, and each expectation says why it holds.
#include "tests/e2e/reconcile/expected.h"

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/records/records.h"

namespace crvs::e2e::population {
namespace {

namespace common = ::crvs::common::v1;
using reconcile::v1::Manifest;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 22, 7, 0, 0), absl::UTCTimeZone());

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}
absl::Time Local(int month, int day, int hour = 10) {
  return absl::FromCivil(absl::CivilSecond(2026, month, day, hour, 0, 0), VietnamTime());
}
common::DateTime Event(absl::Time t) {
  common::DateTime dt;
  *dt.mutable_instant() = Ts(t);
  dt.set_utc_offset_minutes(420);
  return dt;
}
common::LocalDate Date(int y, int m, int d) {
  common::LocalDate out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

v1::RecordEnvelope From(common::PrincipalKind kind, const std::string& code) {
  v1::RecordEnvelope e;
  e.set_action(v1::ACTION_SUBMIT);
  e.mutable_source()->set_kind(kind);
  e.mutable_source()->set_code(code);
  return e;
}

v1::RecordEnvelope Cert(const std::string& facility, const std::string& no, absl::Time born,
                        const std::string& commune, absl::Time issued) {
  v1::RecordEnvelope e = From(common::PRINCIPAL_KIND_FACILITY, facility);
  auto* c = e.mutable_birth_certificate();
  c->mutable_key()->set_facility_code(facility);
  c->mutable_key()->set_certificate_no(no);
  *c->mutable_child()->mutable_born_at() = Event(born);
  c->mutable_place_of_birth()->set_commune_code(commune);
  c->mutable_place_of_birth()->set_in_facility(true);
  *c->mutable_issued_at() = Ts(issued);
  return e;
}

v1::RecordEnvelope Notice(const std::string& facility, const std::string& no, absl::Time died,
                          const std::string& commune, bool in_facility,
                          const std::string& underlying, absl::Time issued) {
  v1::RecordEnvelope e = From(common::PRINCIPAL_KIND_FACILITY, facility);
  auto* d = e.mutable_death_notice();
  d->mutable_key()->set_facility_code(facility);
  d->mutable_key()->set_notice_no(no);
  *d->mutable_died_at() = Event(died);
  d->mutable_place_of_death()->set_commune_code(commune);
  d->mutable_place_of_death()->set_in_facility(in_facility);
  auto* immediate = d->mutable_cause_of_death()->add_chain();
  immediate->set_role(v1::CAUSE_ROLE_IMMEDIATE);
  immediate->set_icd10_code("I46.9");
  if (!underlying.empty()) {
    auto* line = d->mutable_cause_of_death()->add_chain();
    line->set_role(v1::CAUSE_ROLE_UNDERLYING);
    line->set_icd10_code(underlying);
  }
  *d->mutable_issued_at() = Ts(issued);
  return e;
}

v1::RecordEnvelope Decision(const std::string& court, const std::string& no,
                            std::optional<common::LocalDate> effect) {
  v1::RecordEnvelope e = From(common::PRINCIPAL_KIND_COURT, court);
  auto* v = e.mutable_divorce_decision();
  v->mutable_key()->set_court_code(court);
  v->mutable_key()->set_decision_no(no);
  if (effect) *v->mutable_legal_effect_date() = *effect;
  *v->mutable_issued_at() = Ts(kNow - absl::Hours(1));
  return e;
}

// A registration of `kind` at `office`, of an event on `event` registered on `registered`,
// linked to `link` (a certificate or notice envelope) unless null.
v1::RecordEnvelope Reg(const std::string& office, const std::string& no, v1::RegistrationKind kind,
                       common::LocalDate event, common::LocalDate registered,
                       const v1::RecordEnvelope* link) {
  v1::RecordEnvelope e = From(common::PRINCIPAL_KIND_REGISTRY_OFFICE, office);
  auto* r = e.mutable_registration();
  r->mutable_key()->set_registry_office_code(office);
  r->mutable_key()->set_book("01/2026");
  r->mutable_key()->set_registration_no(no);
  r->set_kind(kind);
  *r->mutable_event_date() = event;
  *r->mutable_registration_date() = registered;
  if (link != nullptr && link->has_birth_certificate()) {
    *r->mutable_birth_certificate() = link->birth_certificate().key();
  }
  if (link != nullptr && link->has_death_notice()) {
    *r->mutable_death_notice() = link->death_notice().key();
  }
  return e;
}

v1::RecordEnvelope Void(v1::RecordEnvelope e) {
  e.set_action(v1::ACTION_VOID);
  return e;
}

reconcile::v1::ManifestEntry Entry(const v1::RecordEnvelope& e, const std::string& hash) {
  reconcile::v1::ManifestEntry entry;
  entry.set_business_key(records::KeyOf(e).value);
  entry.set_content_hash(hash);
  if (e.has_birth_certificate()) *entry.mutable_issued_at() = e.birth_certificate().issued_at();
  if (e.has_death_notice()) *entry.mutable_issued_at() = e.death_notice().issued_at();
  if (e.has_divorce_decision()) *entry.mutable_issued_at() = e.divorce_decision().issued_at();
  return entry;
}
std::string Hash(const v1::RecordEnvelope& e) {
  return records::ContentHash(*records::RecordOf(e));
}

Manifest Declares(common::PrincipalKind kind, const std::string& code, v1::RecordKind what,
                  common::LocalDate first, common::LocalDate last, bool backlog,
                  std::vector<reconcile::v1::ManifestEntry> entries) {
  Manifest m;
  m.set_manifest_id(absl::StrCat(code, "-", what, "-", first.year(), backlog ? "-backlog" : ""));
  m.mutable_source()->set_kind(kind);
  m.mutable_source()->set_code(code);
  m.set_kind(what);
  *m.mutable_period_start() = first;
  *m.mutable_period_end() = last;
  m.set_backlog_inventory(backlog);
  for (auto& e : entries) *m.add_entries() = std::move(e);
  return m;
}

class Expected : public ::testing::Test {
 protected:
  void SetUp() override {
    p_.calendar = Calendar::At(kNow);
    p_.communes = {{"00004", "01", "Ba Đình", true},
                   {"26734", "79", "Bến Thành", true},
                   {"17998", "40", "Nghi Lộc", false}};
    p_.sources = {{"facility:BVA", "BVA", "00004", "A", true},
                  {"facility:BVB", "BVB", "", "B", false},  // located by its events: 26734
                  {"court:TA1", "TA1", "26734", "TA 1", true},
                  {"court:TB", "TB", "", "TB", false}};  // national only
    Births();
    Deaths();
    Divorces();
  }

  void Send(const v1::RecordEnvelope& e) { p_.submits.push_back(e); }
  void Change(const v1::RecordEnvelope& e) { p_.changes.push_back(e); }
  void Facility(const std::string& code, v1::RecordKind what,
                std::vector<reconcile::v1::ManifestEntry> entries) {
    p_.manifests.push_back(Declares(common::PRINCIPAL_KIND_FACILITY, code, what, Date(2026, 1, 1),
                                    Date(2026, 11, 22), false, std::move(entries)));
  }

  void Births() {
    const auto birth = v1::REGISTRATION_KIND_BIRTH;
    const auto c1 = Cert("BVA", "c1", Local(3, 1), "00004", kNow - absl::Hours(1));   // on time
    const auto c2 = Cert("BVA", "c2", Local(3, 1), "00004", Local(3, 1, 12));         // late
    const auto c3 = Cert("BVA", "c3", Local(10, 1), "00004", kNow - absl::Hours(1));  // never sent
    const auto c4 = Cert("BVB", "c4", Local(6, 1), "26734", kNow - absl::Minutes(30));  // extra
    const auto c5 = Cert("BVB", "c5", Local(1, 10), "26734", kNow - absl::Minutes(20));
    const auto c6 = Cert("BVA", "c6", Local(2, 1), "00004", kNow - absl::Hours(1));  // voided
    const auto c7 = Cert("BVA", "c7", Local(4, 1), "00004", kNow - absl::Hours(1));  // voided
    for (const auto* c : {&c1, &c2, &c4, &c5, &c6, &c7}) Send(*c);
    Change(Void(c6));
    Change(Void(c7));
    Send(Reg("00004", "1", birth, Date(2026, 3, 1), Date(2026, 4, 30), &c1));  // day 60
    const auto early = Reg("00004", "2", birth, Date(2026, 3, 1), Date(2026, 3, 5), &c1);
    Send(early);
    Change(Void(early));
    Send(Reg("00004", "3", birth, Date(2026, 3, 1), Date(2026, 5, 1), &c2));       // day 61
    Send(Reg("17998", "4", birth, Date(2026, 10, 1), Date(2026, 10, 5), &c3));     // not mature
    Send(Reg("00004", "5", birth, Date(2026, 2, 1), Date(2026, 2, 10), &c6));      // day 9
    Send(Reg("26734", "6", birth, Date(2026, 9, 1), Date(2026, 9, 20), nullptr));  // home birth
    Facility("BVA", v1::RECORD_KIND_BIRTH_CERTIFICATE,
             {Entry(c1, std::string(32, 'x')), Entry(c1, Hash(c1)), Entry(c2, Hash(c2)),
              Entry(c3, Hash(c3)), Entry(c6, Hash(c6))});
    Facility("BVB", v1::RECORD_KIND_BIRTH_CERTIFICATE, {Entry(c5, std::string(32, 'y'))});
    const auto old = Cert("BVA", "old", Local(1, 1) - absl::Hours(24 * 20), "00004",
                          Local(1, 1) - absl::Hours(24 * 19));
    p_.manifests.push_back(Declares(common::PRINCIPAL_KIND_FACILITY, "BVA",
                                    v1::RECORD_KIND_BIRTH_CERTIFICATE, Date(2025, 12, 1),
                                    Date(2025, 12, 31), false, {Entry(old, "")}));
  }

  void Deaths() {
    const auto death = v1::REGISTRATION_KIND_DEATH;
    const auto n1 =
        Notice("BVA", "n1", Local(11, 1), "00004", true, "I21.9", kNow - absl::Hours(1));
    const auto n2 =
        Notice("BVA", "n2", Local(11, 10), "26734", false, "R99", kNow - absl::Hours(1));
    const auto n3 = Notice("BVB", "n3", Local(7, 1), "26734", true, "", Local(7, 1, 12));
    for (const auto* n : {&n1, &n2, &n3}) Send(*n);
    Send(Reg("00004", "7", death, Date(2026, 11, 1), Date(2026, 11, 16), &n1));    // day 15
    Send(Reg("00004", "8", death, Date(2026, 5, 1), Date(2026, 5, 30), nullptr));  // home, late
    Facility("BVA", v1::RECORD_KIND_DEATH_NOTICE, {Entry(n1, Hash(n1)), Entry(n2, "")});
  }

  void Divorces() {
    const auto d1 = Decision("TA1", "d1", Date(2026, 5, 1));
    const auto d2 = Decision("TA1", "d2", Date(2026, 6, 1));  // never sent
    const auto d3 = Decision("TB", "d3", Date(2026, 7, 1));
    const auto d4 = Decision("TA1", "d4", std::nullopt);  // pending: dated nowhere
    const auto b1 = Decision("TA1", "b1", Date(2020, 5, 1));
    const auto b2 = Decision("TA1", "b2", Date(2021, 1, 1));  // never sent
    const auto b3 = Decision("TA1", "b3", Date(2019, 3, 1));  // not in the inventory
    for (const auto* d : {&d1, &d3, &d4, &b1, &b3}) Send(*d);
    const auto court = common::PRINCIPAL_KIND_COURT;
    const auto kind = v1::RECORD_KIND_DIVORCE_DECISION;
    p_.manifests.push_back(Declares(court, "TA1", kind, Date(2026, 1, 1), Date(2026, 11, 22), false,
                                    {Entry(d1, Hash(d1)), Entry(d2, Hash(d2))}));
    p_.manifests.push_back(Declares(court, "TB", kind, Date(2026, 1, 1), Date(2026, 11, 22), false,
                                    {Entry(d3, Hash(d3))}));
    p_.manifests.push_back(Declares(court, "TA1", kind, Date(2016, 1, 1), Date(2025, 12, 31), true,
                                    {Entry(b1, ""), Entry(b2, "")}));
  }

  Population p_;
};

CoverageCounts Counts(int64_t declared, int64_t present, int64_t on_time, int64_t mismatch,
                      int64_t missing, int64_t extra) {
  return {declared, present, on_time, mismatch, missing, extra};
}
IndicatorCounts Rate(int64_t numerator, int64_t denominator, int64_t open = 0) {
  return {numerator, denominator, open};
}

TEST_F(Expected, CoverageOfTheYearCountsEachPlantedGapOnce) {
  const CoverageRows rows =
      ExpectedCoverage(p_, {absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 11, 22), false});
  using K = std::pair<std::string, v1::RecordKind>;
  // c1 (declared twice, the later hash right), c2 late, c3 never sent, c6 voided yet declared;
  // c7 voided and undeclared counts nowhere; last December's manifest is outside the year.
  EXPECT_EQ(rows.at(K{"facility:BVA", v1::RECORD_KIND_BIRTH_CERTIFICATE}),
            Counts(4, 2, 1, 1, 2, 0));
  // c5 declared with another hash; c4 undeclared.
  EXPECT_EQ(rows.at(K{"facility:BVB", v1::RECORD_KIND_BIRTH_CERTIFICATE}),
            Counts(1, 1, 1, 1, 0, 1));
  EXPECT_EQ(rows.at(K{"facility:BVA", v1::RECORD_KIND_DEATH_NOTICE}), Counts(2, 2, 2, 0, 0, 0));
  // d2 never sent; d4 pending is not dated in the year, so not extra.
  EXPECT_EQ(rows.at(K{"court:TA1", v1::RECORD_KIND_DIVORCE_DECISION}), Counts(2, 1, 1, 0, 1, 0));
  EXPECT_EQ(rows.at(K{"court:TB", v1::RECORD_KIND_DIVORCE_DECISION}), Counts(1, 1, 1, 0, 0, 0));
  EXPECT_EQ(rows.size(), 5u) << "BVB declared no deaths: no row";
  EXPECT_EQ(Total(rows), Counts(10, 7, 6, 2, 3, 1));
}

TEST_F(Expected, BacklogCoverageCountsTheInventoryAndUndeclaredBacklog) {
  const CoverageRows rows = ExpectedCoverage(p_, {kBacklogFirstDay, kBacklogLastDay, true});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.begin()->second, Counts(2, 1, 1, 0, 1, 1));  // b2 missing, b3 extra
}

TEST_F(Expected, BirthIndicatorsDeduplicateThroughLinksAndCountTheDeadlineDayAsOnTime) {
  const IndicatorTable t = ExpectedIndicators(p_);
  // c1 on day 60 (its voided day-4 registration ignored), c6's registration on day 9 (the
  // certificate voided), the home birth on day 19: on time; c2 on day 61, c4 and c5 never;
  // c3 (never sent, known from its registration) born 2026-10-01 is not mature.
  EXPECT_EQ(t.at("B1").at(""), Rate(3, 6, 1));
  EXPECT_EQ(t.at("B1").at("01"), Rate(2, 3));
  EXPECT_EQ(t.at("B1").at("79"), Rate(1, 3));
  EXPECT_EQ(t.at("B1").at("??"), Rate(0, 0, 1)) << "c3's registry office is not in the file";
  EXPECT_EQ(t.at("B2").at(""), Rate(0, 0, 7)) << "no birth of 2026 is 365 days old";
  EXPECT_EQ(t.at("B1").at("").Percent(), 50.0);
}

TEST_F(Expected, DeathIndicatorsTellFacilityDeathsAndCertifiedCauses) {
  const IndicatorTable t = ExpectedIndicators(p_);
  // n1 registered on day 15; the home death on day 29; n3 never; n2 (2026-11-10) not mature.
  EXPECT_EQ(t.at("D1").at(""), Rate(1, 3, 1));
  EXPECT_EQ(t.at("D1").at("01"), Rate(1, 2));
  EXPECT_EQ(t.at("D1").at("79"), Rate(0, 1, 1));
  EXPECT_EQ(t.at("D3").at(""), Rate(1, 2)) << "n2 died outside a facility, the home death too";
  // n1 I21.9 certified; n3 without an underlying line is not; n2 (R99) died outside a
  // facility: not in D5 at all.
  EXPECT_EQ(t.at("D5").at(""), Rate(1, 2));
  EXPECT_EQ(t.at("D5").at("79"), Rate(0, 1));
  EXPECT_EQ(t.at("D4").at(""), Rate(2, 2));
}

TEST_F(Expected, SyncIndicatorsPlaceSourcesByTheirLocation) {
  const IndicatorTable t = ExpectedIndicators(p_);
  EXPECT_EQ(t.at("B3").at(""), Rate(2, 5));
  EXPECT_EQ(t.at("B3").at("01"), Rate(1, 4));
  EXPECT_EQ(t.at("B3").at("79"), Rate(1, 1)) << "BVB sits where its in-facility births were";
  EXPECT_EQ(t.at("V1").at(""), Rate(2, 3));
  EXPECT_EQ(t.at("V1").at("79"), Rate(1, 2)) << "TB has no location: national only";
  EXPECT_EQ(t.at("V1").size(), 2u);
  EXPECT_EQ(t.at("V2").at(""), Rate(1, 2));
}

TEST_F(Expected, AckCountsRepeatedKeysOnce) {
  const AckCounts ack = ExpectedAck(p_.manifests[0]);
  EXPECT_EQ(ack.entries, 4);
  EXPECT_EQ(ack.duplicate_entries, 1);
}

}  // namespace
}  // namespace crvs::e2e::population
