// The generated population: deterministic, big enough, valid for the real validators, dated
// inside the current year with no doubt about the sync SLA, and carrying every planted gap.
#include "tests/e2e/reconcile/population.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "services/records/records.h"
#include "services/validation/validators.h"
#include "tests/e2e/reconcile/expected.h"
#include "tests/support/status_matchers.h"

namespace crvs::e2e::population {
namespace {

using ::crvs::testing::StatusIs;
using ::testing::IsEmpty;

// 2026-11-22 14:00 in Vietnam.
const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 22, 7, 0, 0), absl::UTCTimeZone());

Options Small(absl::Time now = kNow, uint64_t seed = 7) {
  Options o;
  o.seed = seed;
  o.now = now;
  o.birth_certificates = 3000;
  o.death_notices = 1500;
  o.divorce_decisions = 1200;
  o.backlog_decisions = 600;
  o.home_births = 300;
  o.home_deaths = 300;
  return o;
}

Population Make(const Options& o) {
  auto p = Generate(o);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : Population{};
}

std::string Serialized(const Population& p) {
  std::string out;
  for (const auto* wave : {&p.submits, &p.changes}) {
    for (const auto& e : *wave) out += e.SerializeAsString();
  }
  for (const auto& m : p.manifests) out += m.SerializeAsString();
  return out + CommunesCsv(p) + SourcesCsv(p);
}

absl::Time Instant(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds());
}

// issued_at of every first version of a certificate, notice or decision.
std::vector<absl::Time> IssuedTimes(const Population& p, bool backlog) {
  std::vector<absl::Time> out;
  for (const auto& e : p.submits) {
    if (e.has_birth_certificate()) out.push_back(Instant(e.birth_certificate().issued_at()));
    if (e.has_death_notice()) out.push_back(Instant(e.death_notice().issued_at()));
    if (e.has_divorce_decision()) {
      const auto& effect = e.divorce_decision().legal_effect_date();
      const bool in_backlog = e.divorce_decision().has_legal_effect_date() && effect.year() <= 2025;
      if (in_backlog == backlog) out.push_back(Instant(e.divorce_decision().issued_at()));
    }
  }
  return out;
}

TEST(Population, SameSeedAndNowGiveTheSamePopulation) {
  EXPECT_EQ(Serialized(Make(Small())), Serialized(Make(Small())));
  EXPECT_NE(Serialized(Make(Small())), Serialized(Make(Small(kNow, 8))));
}

TEST(Population, DefaultSizeSendsMoreThanAHundredThousandBirthsDeathsAndDivorces) {
  Options o;
  o.now = kNow;
  const Population p = Make(o);
  size_t sent = 0;  // certificates, notices and decisions pushed through the pipeline
  for (const auto& e : p.submits) sent += e.has_registration() ? 0 : 1;
  EXPECT_GE(sent, 100000u);
}

// Every submission of `p`, as its source sends it, checked by the gateway's and registry's
// validators a minute after the population's `now`; returns how many were checked.
int ExpectAllValid(const Population& p) {
  validation::Context ctx;
  ctx.now = p.calendar.now + absl::Minutes(1);
  int checked = 0;
  for (const auto* wave : {&p.submits, &p.changes}) {
    for (const auto& e : *wave) {
      std::vector<FieldViolation> v;
      if (e.has_registration()) {
        v = validation::ValidateRecordRegistrationRequest(RegistryRequest(e), ctx);
      } else if (e.has_divorce_decision()) {
        v = validation::ValidateCourtIngestRequest(CourtRequest(e), ctx);
      } else {
        v = validation::ValidateIngestRequest(HealthRequest(e), ctx);
      }
      EXPECT_THAT(v, IsEmpty()) << e.DebugString() << v[0].field << ": " << v[0].description;
      if (!v.empty()) return checked;
      ++checked;
    }
  }
  return checked;
}

TEST(Population, EveryRecordPassesTheValidators) {
  EXPECT_GT(ExpectAllValid(Make(Small())), 10000);
}

TEST(Population, RecordsGeneratedAtTheEdgesOfTheYearAreValidToo) {
  const absl::Time jan1 = absl::FromCivil(absl::CivilSecond(2027, 1, 1, 0, 0, 0), VietnamTime());
  for (absl::Time now :
       {jan1 + kMinTimeIntoYear, jan1 + absl::Hours(49), jan1 - absl::Minutes(1)}) {
    EXPECT_GT(ExpectAllValid(Make(Small(now))), 5000) << now;
  }
}

TEST(Population, KeysAndMessageIdsAreUniqueAndCourtSequencesIncrease) {
  const Population p = Make(Small());
  std::set<std::string> keys, message_ids;
  std::map<std::string, uint64_t> last_sequence;
  for (const auto* wave : {&p.submits, &p.changes}) {
    for (const auto& e : *wave) {
      EXPECT_TRUE(message_ids.insert(e.message_id()).second) << e.message_id();
      const std::string key = records::KeyOf(e).value;
      if (wave == &p.submits) {
        EXPECT_TRUE(keys.insert(key).second) << "submitted twice: " << key;
      } else {
        EXPECT_TRUE(keys.count(key)) << "changed, never submitted: " << key;
      }
      if (e.source().kind() != common::v1::PRINCIPAL_KIND_COURT) continue;
      EXPECT_GT(e.source_sequence(), last_sequence[e.source().code()]);
      last_sequence[e.source().code()] = e.source_sequence();
    }
  }
}

TEST(Population, NoIssuedAtLeavesTheSlaOutcomeInDoubt) {
  const Population p = Make(Small());
  int on_time = 0, late = 0;
  for (absl::Time t : IssuedTimes(p, false)) {
    ASSERT_GE(t, p.calendar.period_start);
    if (t >= p.calendar.now - kOnTimeWindow) {
      ++on_time;
      EXPECT_LT(t, p.calendar.now);
    } else {
      ++late;
      EXPECT_LE(t, p.calendar.now - kLateAge);
    }
  }
  EXPECT_GT(on_time, 10 * late);
  EXPECT_GT(late, 0);
}

// Events are dated in P up to today, but for the planted deaths of the year's last days before
// P, certified in P's first three days (D5's year boundary), and their registrations.
TEST(Population, EventsAreDatedInTheYearUpToTodayButDeathsAcrossTheNewYear) {
  const Population p = Make(Small());
  const absl::CivilDay eve = p.calendar.first_day - 3;  // the earliest planted death
  const auto in_p = [&](absl::CivilDay d) {
    return d >= p.calendar.first_day && d <= p.calendar.today;
  };
  const absl::TimeZone vn = VietnamTime();
  int across = 0, across_at_home = 0;
  for (const auto& e : p.submits) {
    if (e.has_registration()) {
      const auto& d = e.registration().registration_date();
      const absl::CivilDay day(d.year(), d.month(), d.day());
      EXPECT_TRUE(day >= eve && day <= p.calendar.today) << day;
    } else if (e.has_death_notice()) {
      const auto& d = e.death_notice();
      const absl::CivilDay died = absl::ToCivilDay(Instant(d.died_at().instant()), vn);
      if (in_p(died)) continue;
      EXPECT_GE(died, eve);
      EXPECT_LT(died, p.calendar.first_day);
      const absl::CivilDay issued = absl::ToCivilDay(Instant(d.issued_at()), vn);
      EXPECT_TRUE(issued >= p.calendar.first_day && issued < p.calendar.first_day + 4) << issued;
      ++across;
      if (!d.place_of_death().in_facility()) ++across_at_home;
    }
  }
  EXPECT_GT(across, across_at_home);
  EXPECT_GT(across_at_home, 0) << "no notice of a death outside a facility across the new year";
}

TEST(Population, EarlyInTheYearThereIsNoRoomForLateRecords) {
  const absl::Time jan1 = absl::FromCivil(absl::CivilSecond(2027, 1, 1, 0, 0, 0), VietnamTime());
  EXPECT_THAT(Generate(Small(jan1 + kMinTimeIntoYear - absl::Seconds(1))),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  for (absl::Duration into : {kMinTimeIntoYear, absl::Hours(40)}) {
    const Population p = Make(Small(jan1 + into));
    EXPECT_EQ(p.calendar.year, 2027);
    for (absl::Time t : IssuedTimes(p, false)) {
      EXPECT_GE(t, jan1);
      EXPECT_GE(t, p.calendar.now - kOnTimeWindow);
    }
  }
}

TEST(Population, ManifestsCoverEachSourceAndStayWithinTheirPeriods) {
  const std::map<records::v1::RecordKind, std::string> kKeyPrefix = {
      {records::v1::RECORD_KIND_BIRTH_CERTIFICATE, "birth/"},
      {records::v1::RECORD_KIND_DEATH_NOTICE, "death/"},
      {records::v1::RECORD_KIND_DIVORCE_DECISION, "divorce/"}};
  const Population p = Make(Small());
  std::map<std::string, int> per_source;
  for (const auto& m : p.manifests) {
    ++per_source[m.source().code()];
    const auto& end = m.period_end();
    EXPECT_LE(absl::CivilDay(end.year(), end.month(), end.day()), p.calendar.today);
    const std::string prefix = kKeyPrefix.at(m.kind()) + m.source().code() + "/";
    for (const auto& e : m.entries()) {
      EXPECT_THAT(e.business_key(), ::testing::StartsWith(prefix)) << m.manifest_id();
    }
  }
  EXPECT_EQ(per_source["BV79002"], 2 * 11);  // month by month, January to November
  EXPECT_EQ(per_source["BV01001"], 3);       // births, deaths, and births of last December
  EXPECT_EQ(per_source["BV79001"], 2);
  EXPECT_EQ(per_source["TAND79"], 2);  // decisions of P and the backlog inventory
}

TEST(Population, ReferenceFilesLeaveOutTheUnlistedCommuneAndSources) {
  const Population p = Make(Small());
  const std::string communes = CommunesCsv(p);
  const std::string sources = SourcesCsv(p);
  EXPECT_THAT(communes, ::testing::StartsWith("commune_code,province_code,name\n00004,01,"));
  EXPECT_THAT(communes, ::testing::Not(::testing::HasSubstr("17998")));
  EXPECT_THAT(sources, ::testing::HasSubstr("\nfacility:BV79001,26734,"));
  EXPECT_THAT(sources, ::testing::HasSubstr("\ncourt:TAND79,26734,"));
  EXPECT_THAT(sources, ::testing::Not(::testing::HasSubstr("BV56001")));
  EXPECT_THAT(sources, ::testing::Not(::testing::HasSubstr("TANDTC")));
}

TEST(Population, EveryPlantedGapShowsInTheExpectedFigures) {
  const Population p = Make(Small());
  const CoverageCounts year =
      Total(ExpectedCoverage(p, {p.calendar.first_day, p.calendar.today, false}));
  EXPECT_GT(year.missing, 0);
  EXPECT_GT(year.content_mismatch, 0);
  EXPECT_GT(year.extra, 0);
  EXPECT_LT(year.present_on_time, year.present);
  EXPECT_EQ(year.declared - year.present, year.missing);
  const CoverageCounts backlog =
      Total(ExpectedCoverage(p, {kBacklogFirstDay, kBacklogLastDay, true}));
  EXPECT_GT(backlog.missing, backlog.declared / 20);
  EXPECT_GT(backlog.extra, 0);

  const IndicatorTable t = ExpectedIndicators(p);
  for (const char* id : {"B1", "D1", "D3", "D5", "B3", "D4", "V1", "V2"}) {
    const IndicatorCounts& c = t.at(id).at("");
    EXPECT_GT(c.numerator, 0) << id;
    EXPECT_LT(c.numerator, c.denominator) << id;
  }
  EXPECT_GT(t.at("B1").at("??").open_not_mature + t.at("B1").at("??").denominator, 0);
  EXPECT_EQ(t.at("B2").at("").denominator, 0) << "no birth of this year is a year old yet";
  int duplicates = 0;
  for (const auto& m : p.manifests) duplicates += ExpectedAck(m).duplicate_entries;
  EXPECT_GT(duplicates, 0);
}

}  // namespace
}  // namespace crvs::e2e::population
