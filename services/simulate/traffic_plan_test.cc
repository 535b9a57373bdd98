#include "services/simulate/traffic_plan.h"

#include <cmath>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/reconcile/manifest_store.h"
#include "services/records/records.h"
#include "services/validation/field_checks.h"
#include "services/validation/validators.h"

namespace crvs::simulate {
namespace {

namespace v1 = ::crvs::records::v1;
using ::testing::Contains;
using ::testing::IsEmpty;

// 2026-11-22 14:00 in Vietnam.
const absl::Time kStart = absl::FromUnixSeconds(1795330800);

std::vector<Step> Take(TrafficPlan& plan, absl::Duration until) {
  std::vector<Step> steps;
  for (;;) {
    Step s = plan.Next();
    if (s.at >= until) return steps;
    steps.push_back(std::move(s));
  }
}

std::string Bytes(const Step& s) {
  const std::string payload =
      std::visit([](const auto& r) { return r.SerializeAsString(); }, s.request);
  return absl::StrCat(absl::ToInt64Nanoseconds(s.at), "|", s.principal, "|", s.planted_field,
                      "|", payload);
}

// The validators' verdict on a step sent at its planned time (manifests: the reconciler's).
std::vector<std::string> ViolatedFields(const Step& s, const TrafficPlan& plan) {
  validation::Context ctx;
  ctx.now = plan.start() + s.at;
  std::vector<FieldViolation> violations;
  if (const auto* r = std::get_if<ingest::v1::IngestRequest>(&s.request)) {
    violations = validation::ValidateIngestRequest(*r, ctx);
  } else if (const auto* r = std::get_if<ingest::v1::CourtIngestRequest>(&s.request)) {
    violations = validation::ValidateCourtIngestRequest(*r, ctx);
  } else if (const auto* r = std::get_if<registry::v1::RecordRegistrationRequest>(&s.request)) {
    violations = validation::ValidateRecordRegistrationRequest(*r, ctx);
  } else {
    const auto& m = std::get<reconcile::v1::Manifest>(s.request);
    std::vector<reconcile::v1::ManifestEntry> entries(m.entries().begin(), m.entries().end());
    violations = FieldViolations(reconcile::ValidateManifest(m, entries, VietnamDay(ctx.now)));
  }
  std::vector<std::string> fields;
  for (const auto& v : violations) fields.push_back(v.field + ": " + v.description);
  return fields;
}

// The code the step's record belongs to, as its principal must name it.
std::string OwnerOf(const Step& s) {
  if (const auto* r = std::get_if<ingest::v1::IngestRequest>(&s.request)) {
    return "facility:" + (r->has_birth_certificate() ? r->birth_certificate().key().facility_code()
                                                     : r->death_notice().key().facility_code());
  }
  if (const auto* r = std::get_if<ingest::v1::CourtIngestRequest>(&s.request)) {
    return "court:" + r->decision().key().court_code();
  }
  if (const auto* r = std::get_if<registry::v1::RecordRegistrationRequest>(&s.request)) {
    return "registry_office:" + r->registration().key().registry_office_code();
  }
  return records::FormatPrincipal(std::get<reconcile::v1::Manifest>(s.request).source());
}

std::string KeyOf(const ingest::v1::IngestRequest& r) {
  return r.has_birth_certificate() ? records::KeyOf(r.birth_certificate().key()).value
                                   : records::KeyOf(r.death_notice().key()).value;
}

PlanOptions Options() {
  PlanOptions o;
  o.seed = 7;
  return o;
}

TEST(TrafficPlan, IsDeterministicForASeed) {
  TrafficPlan a(Options(), kStart), b(Options(), kStart);
  PlanOptions other = Options();
  other.seed = 8;
  TrafficPlan c(other, kStart);
  std::vector<Step> sa = Take(a, absl::Minutes(3)), sb = Take(b, absl::Minutes(3)),
                    sc = Take(c, absl::Minutes(3));
  ASSERT_GT(sa.size(), 1000u);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) ASSERT_EQ(Bytes(sa[i]), Bytes(sb[i])) << "step " << i;
  size_t same = 0;
  for (size_t i = 0; i < std::min(sa.size(), sc.size()); ++i) same += Bytes(sa[i]) == Bytes(sc[i]);
  EXPECT_LT(same, sa.size() / 10) << "another seed gives other traffic";
  EXPECT_NE(a.run_id(), TrafficPlan(Options(), kStart + absl::Seconds(1)).run_id());
}

TEST(TrafficPlan, StepsComeInTimeOrderFromTheirOwnSource) {
  TrafficPlan plan(Options(), kStart);
  absl::Duration last = absl::ZeroDuration();
  for (const Step& s : Take(plan, absl::Minutes(5))) {
    ASSERT_GE(s.at, last);
    last = s.at;
    ASSERT_EQ(s.principal, OwnerOf(s));
  }
}

// Every record passes the real validators at its planned time, except the planted ones, which
// fail naming the planted field. Also across a new year (and so a new month: the old month's
// manifests get their final declaration).
class TrafficPlanValidity : public ::testing::TestWithParam<absl::Time> {};

INSTANTIATE_TEST_SUITE_P(Starts, TrafficPlanValidity,
                         ::testing::Values(kStart,
                                           // 2026-12-31 23:58 in Vietnam
                                           absl::FromUnixSeconds(1798736280)));

TEST_P(TrafficPlanValidity, RecordsAreValidExceptThePlantedErrors) {
  PlanOptions o = Options();
  o.invalid_percent = 10;
  o.late_percent = 20;
  o.amend_percent = 10;
  o.void_percent = 5;
  o.time_scale = 86400;  // a simulated day per second: registrations, effects, amends all come
  o.manifest_interval = absl::Seconds(10);
  TrafficPlan plan(o, GetParam());
  std::map<Channel, int> valid, planted;
  std::set<std::string> planted_fields;
  std::map<v1::Action, int> actions;
  std::map<v1::RegistrationKind, int> registrations;
  for (const Step& s : Take(plan, absl::Minutes(4))) {
    std::vector<std::string> fields = ViolatedFields(s, plan);
    if (s.planted_field.empty()) {
      ASSERT_THAT(fields, IsEmpty()) << ChannelName(s.channel) << " at " << s.at;
      ++valid[s.channel];
    } else {
      std::vector<std::string> named;
      for (const auto& f : fields) named.push_back(f.substr(0, f.find(':')));
      ASSERT_THAT(named, Contains(s.planted_field));
      ++planted[s.channel];
      planted_fields.insert(s.planted_field);
    }
    if (const auto* r = std::get_if<ingest::v1::IngestRequest>(&s.request)) ++actions[r->action()];
    if (const auto* r = std::get_if<ingest::v1::CourtIngestRequest>(&s.request)) {
      ++actions[r->action()];
    }
    if (const auto* r = std::get_if<registry::v1::RecordRegistrationRequest>(&s.request)) {
      ++registrations[r->registration().kind()];
    }
  }
  for (Channel c : {Channel::kBirth, Channel::kDeath, Channel::kDivorce, Channel::kRegistration,
                    Channel::kManifest}) {
    EXPECT_GT(valid[c], 10) << ChannelName(c);
  }
  for (Channel c : {Channel::kBirth, Channel::kDeath, Channel::kDivorce}) {
    EXPECT_GT(planted[c], 3) << ChannelName(c);
  }
  EXPECT_GE(planted_fields.size(), 8u);  // every kind of planted error shows up
  EXPECT_GT(actions[v1::ACTION_AMEND], 10);
  EXPECT_GT(actions[v1::ACTION_VOID], 3);
  for (auto kind : {v1::REGISTRATION_KIND_BIRTH, v1::REGISTRATION_KIND_DEATH,
                    v1::REGISTRATION_KIND_DIVORCE_NOTED}) {
    EXPECT_GT(registrations[kind], 10) << v1::RegistrationKind_Name(kind);
  }
}

// A registration linked to a certificate or notice comes D / time_scale after it, dated
// event + D days (never after the day it is recorded); births mostly within 60 days, deaths
// mostly within 15, some late.
TEST(TrafficPlan, RegistrationsComeDaysLaterOnTheCompressedClock) {
  PlanOptions o = Options();
  o.time_scale = 1440;  // one day per minute
  o.invalid_percent = 0;
  o.rate = 1;
  o.manifest_interval = absl::Minutes(10);
  TrafficPlan plan(o, kStart);
  std::map<std::string, absl::Duration> first_sent;  // certificate / notice key → step time
  std::vector<double> birth_days, death_days;
  for (const Step& s : Take(plan, absl::Hours(5))) {
    if (const auto* r = std::get_if<ingest::v1::IngestRequest>(&s.request)) {
      first_sent.emplace(KeyOf(*r), s.at);
      continue;
    }
    const auto* rr = std::get_if<registry::v1::RecordRegistrationRequest>(&s.request);
    if (rr == nullptr) continue;
    const v1::Registration& r = rr->registration();
    std::string linked;
    if (r.has_birth_certificate()) linked = records::KeyOf(r.birth_certificate()).value;
    if (r.has_death_notice()) linked = records::KeyOf(r.death_notice()).value;
    auto it = first_sent.find(linked);
    if (it == first_sent.end()) continue;  // home events, divorces, never-sent certificates
    const double days = absl::ToDoubleSeconds(s.at - it->second) * o.time_scale / 86400;
    const absl::CivilDay event = validation::internal::DayOf(r.event_date());
    const absl::CivilDay registered = validation::internal::DayOf(r.registration_date());
    const absl::CivilDay today = VietnamDay(plan.start() + s.at);
    ASSERT_LE(registered, today);
    ASSERT_GE(registered, event);
    const int64_t whole = static_cast<int64_t>(std::floor(days + 1e-6));
    const int64_t expected = std::min<int64_t>(whole, today - event);
    ASSERT_LE(std::abs((registered - event) - expected), whole == std::floor(days - 1e-6) ? 0 : 1)
        << "delay " << days << " days";
    (r.has_birth_certificate() ? birth_days : death_days).push_back(days);
  }
  auto share_within = [](const std::vector<double>& v, double limit) {
    return static_cast<double>(std::count_if(v.begin(), v.end(),
                                             [&](double d) { return d <= limit; })) /
           static_cast<double>(v.size());
  };
  ASSERT_GT(birth_days.size(), 500u);
  ASSERT_GT(death_days.size(), 200u);
  EXPECT_GT(share_within(birth_days, 60), 0.85);
  EXPECT_LT(share_within(birth_days, 60), 0.99);  // some late
  EXPECT_GT(share_within(death_days, 15), 0.80);
  EXPECT_LT(share_within(death_days, 15), 0.97);
}

TEST(TrafficPlan, TheSilentFacilityStopsAfterSilentAfter) {
  PlanOptions o = Options();
  o.silent_after = absl::Seconds(60);
  o.manifest_interval = absl::Seconds(10);
  o.time_scale = 86400;
  TrafficPlan plan(o, kStart);
  ASSERT_EQ(plan.silent_facility(), plan.facilities().back().code);
  const std::string silent = "facility:" + plan.silent_facility();
  int before = 0, manifests_before = 0, after = 0, others_after = 0;
  for (const Step& s : Take(plan, absl::Minutes(4))) {
    if (s.principal == silent) {
      (s.at < absl::Seconds(60) ? before : after) += 1;
      if (s.channel == Channel::kManifest && s.at < absl::Seconds(60)) ++manifests_before;
    } else if (s.at >= absl::Seconds(60) && s.principal.rfind("facility:", 0) == 0) {
      ++others_after;
    }
  }
  EXPECT_GT(before, 15);
  EXPECT_GT(manifests_before, 0);
  EXPECT_EQ(after, 0) << "no records, amends, corrections or manifests once quiet";
  EXPECT_GT(others_after, 500);

  o.silent_after = absl::ZeroDuration();
  EXPECT_EQ(TrafficPlan(o, kStart).silent_facility(), "");
}

// Manifests declare what the facility issued: what it sent, the records it never sent
// (missing), not what it voided; late records miss the 24 h SLA.
TEST(TrafficPlan, ManifestsDeclareIssuedRecordsIncludingTheUnsent) {
  PlanOptions o = Options();
  o.missing_percent = 10;
  o.late_percent = 30;
  o.manifest_interval = absl::Seconds(20);
  TrafficPlan plan(o, kStart);
  std::set<std::string> sent, voided;
  int late = 0, certificates = 0, manifests = 0;
  std::map<std::string, std::set<std::string>> declared;  // source + manifest id → keys
  for (const Step& s : Take(plan, absl::Minutes(2))) {
    if (const auto* r = std::get_if<ingest::v1::IngestRequest>(&s.request)) {
      if (r->action() == v1::ACTION_VOID) voided.insert(KeyOf(*r));
      if (r->action() != v1::ACTION_SUBMIT) continue;
      sent.insert(KeyOf(*r));
      ++certificates;
      const auto& issued = r->has_birth_certificate() ? r->birth_certificate().issued_at()
                                                      : r->death_notice().issued_at();
      late += plan.start() + s.at - absl::FromUnixSeconds(issued.seconds()) > absl::Hours(24);
    }
    if (const auto* m = std::get_if<reconcile::v1::Manifest>(&s.request)) {
      ++manifests;
      auto& keys = declared[s.principal + "/" + m->manifest_id()];
      keys.clear();
      for (const auto& e : m->entries()) {
        keys.insert(e.business_key());
        EXPECT_EQ(voided.count(e.business_key()), 0u) << "voided, yet declared";
      }
    }
  }
  // Every 20 s, each facility for 2 kinds and each court; the silent one only before 60 s.
  EXPECT_EQ(manifests, 5 * (11 * 2 + 3) + 2 * 2);
  std::set<std::string> all;
  for (const auto& [id, keys] : declared) all.insert(keys.begin(), keys.end());
  int missing = 0;
  for (const std::string& k : all) missing += sent.count(k) == 0;
  EXPECT_GT(missing, 10);
  EXPECT_LT(missing, static_cast<int>(all.size()) / 4);
  EXPECT_NEAR(static_cast<double>(late) / certificates, 0.30, 0.08);
}

}  // namespace
}  // namespace crvs::simulate
