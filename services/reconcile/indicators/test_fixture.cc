#include "services/reconcile/indicators/test_fixture.h"

#include <stdlib.h>

#include <absl/strings/str_cat.h>

#include <filesystem>
#include <fstream>

#include "services/reconcile/indicators/period.h"
#include "services/platform/status.h"
#include "services/store/sql.h"
#include "tests/support/fixtures.h"

namespace crvs::reconcile::indicators::testing {

using store::sql::Value;

common::v1::LocalDate Day(const std::string& yyyy_mm_dd) {
  std::optional<absl::CivilDay> day = ParseStoredDate(yyyy_mm_dd);
  EXPECT_TRUE(day.has_value()) << yyyy_mm_dd;
  return day ? ToLocalDate(*day) : common::v1::LocalDate();
}

absl::Time Utc(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << rfc3339 << error;
  return t;
}

recv1::BirthCertificate Birth(const std::string& no, const std::string& born,
                              const std::string& commune, const std::string& facility,
                              bool in_facility) {
  recv1::BirthCertificate b = crvs::testing::BirthCertificate(no);
  b.mutable_key()->set_facility_code(facility);
  *b.mutable_child()->mutable_born_at() = crvs::testing::LocalTime(born + "T03:00:00Z");
  b.mutable_place_of_birth()->mutable_facility()->set_facility_code(facility);
  b.mutable_place_of_birth()->set_commune_code(commune);
  b.mutable_place_of_birth()->set_in_facility(in_facility);
  *b.mutable_issued_at() = crvs::testing::At(born + "T05:00:00Z");
  return b;
}

recv1::DeathNotice Death(const std::string& no, const std::string& died,
                         const std::string& commune, const std::string& facility,
                         bool in_facility, const std::string& icd10) {
  recv1::DeathNotice d = crvs::testing::DeathNotice(no);
  d.mutable_key()->set_facility_code(facility);
  *d.mutable_died_at() = crvs::testing::LocalTime(died + "T03:00:00Z");
  d.mutable_place_of_death()->mutable_facility()->set_facility_code(facility);
  d.mutable_place_of_death()->set_commune_code(commune);
  d.mutable_place_of_death()->set_in_facility(in_facility);
  auto* chain = d.mutable_cause_of_death()->mutable_chain();
  for (int i = chain->size() - 1; i >= 0; --i) {
    if (chain->Get(i).role() == recv1::CAUSE_ROLE_UNDERLYING) chain->DeleteSubrange(i, 1);
  }
  if (!icd10.empty()) {
    auto* underlying = d.mutable_cause_of_death()->add_chain();
    underlying->set_role(recv1::CAUSE_ROLE_UNDERLYING);
    underlying->set_description("underlying cause");
    underlying->set_icd10_code(icd10);
  }
  *d.mutable_issued_at() = crvs::testing::At(died + "T05:00:00Z");
  return d;
}

namespace {

recv1::Registration Dated(recv1::Registration r, const std::string& no, const std::string& event,
                          const std::string& registered, const std::string& office) {
  r.mutable_key()->set_registry_office_code(office);
  r.mutable_key()->set_registration_no(no);
  *r.mutable_event_date() = Day(event);
  *r.mutable_registration_date() = Day(registered);
  *r.mutable_recorded_at() = crvs::testing::At(registered + "T05:00:00Z");
  r.clear_linked();
  return r;
}

}  // namespace

recv1::Registration BirthRegistration(const std::string& no, const std::string& event,
                                      const std::string& registered, const std::string& office) {
  return Dated(crvs::testing::BirthRegistration(), no, event, registered, office);
}

recv1::Registration DeathRegistration(const std::string& no, const std::string& event,
                                      const std::string& registered, const std::string& office) {
  return Dated(store::testing::DeathRegistration(no, Day(event)), no, event, registered, office);
}

recv1::Registration Linked(recv1::Registration r, const recv1::BirthCertificate& b) {
  *r.mutable_birth_certificate() = b.key();
  return r;
}

recv1::Registration Linked(recv1::Registration r, const recv1::DeathNotice& d) {
  *r.mutable_death_notice() = d.key();
  return r;
}

const rv1::IndicatorValue* Find(const rv1::IndicatorReport& r, const std::string& id,
                                const std::string& key) {
  for (const auto& v : r.values()) {
    if (v.id() == id && v.breakdown_key() == key) return &v;
  }
  return nullptr;
}

Counts CountsOf(const rv1::IndicatorReport& r, const std::string& id, const std::string& key) {
  const rv1::IndicatorValue* v = Find(r, id, key);
  if (v == nullptr) return {-1, -1, -1};
  return {v->numerator(), v->denominator(), v->open_not_mature()};
}

std::vector<std::string> RowKeys(const rv1::IndicatorReport& r) {
  std::vector<std::string> keys;
  for (const auto& v : r.values()) keys.push_back(v.id() + ":" + v.breakdown_key());
  return keys;
}

IndicatorsDb::IndicatorsDb() {
  char tmpl[] = "/tmp/crvs-indicators-XXXXXX";
  dir_ = mkdtemp(tmpl);
  auto opened = store::Store::Open(TestDatabase(dir_));
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (opened.ok()) store_ = std::move(*opened);
}

IndicatorsDb::~IndicatorsDb() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string IndicatorsDb::NextMessageId() { return absl::StrCat("msg-", offset_); }

void IndicatorsDb::Apply(const recv1::RecordEnvelope& envelope,
                         std::optional<absl::Time> committed) {
  store::ApplyBatch batch;
  batch.records.push_back(store::testing::Inbound(envelope, "crvs.test.v1", 0, offset_++));
  auto result = store_->Apply(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  const store::RecordResult& applied = result->records[0];
  ASSERT_TRUE(applied.outcome == store::ApplyOutcome::kAppliedNew ||
              applied.outcome == store::ApplyOutcome::kAppliedVersion ||
              applied.outcome == store::ApplyOutcome::kVoided)
      << envelope.business_key() << ": " << store::ApplyOutcomeName(applied.outcome) << " "
      << applied.error_message;
  const absl::Time at = committed.value_or(
      absl::FromUnixSeconds(envelope.issued_at().seconds()) + absl::Hours(1));
  // As the sink writes them: the version's commit time, and the record's last change.
  absl::Status updated = store_->Transact([&](store::sql::Connection& c) -> absl::Status {
    const std::vector<Value> params = {Value::Int(absl::ToUnixMicros(at)),
                                       Value::Text(envelope.business_key()),
                                       Value::Int(applied.version)};
    CRVS_RETURN_IF_ERROR(c.Execute("UPDATE record_versions SET committed_at_us = $1 "
                                   "WHERE business_key = $2 AND version = $3",
                                   params)
                             .status());
    return c
        .Execute("UPDATE records SET updated_at_us = $1 WHERE business_key = $2",
                 {params[0], params[1]})
        .status();
  });
  ASSERT_TRUE(updated.ok()) << updated;
}

void IndicatorsDb::Declare(const std::string& source, const std::string& manifest_id,
                           const std::string& kind, const std::string& start,
                           const std::string& end, bool backlog,
                           const std::vector<Entry>& entries) {
  absl::Status declared = store_->Transact([&](store::sql::Connection& c) -> absl::Status {
    auto header = c.Execute(
        "INSERT INTO manifests (source, manifest_id, kind, period_start, period_end, backlog, "
        "entries, declared_at_us, declared_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        {Value::Text(source), Value::Text(manifest_id), Value::Text(kind), Value::Text(start),
         Value::Text(end), Value::Int(backlog ? 1 : 0),
         Value::Int(static_cast<int64_t>(entries.size())),
         Value::Int(absl::ToUnixMicros(Utc("2020-01-01T00:00:00Z"))), Value::Text(source)});
    if (!header.ok()) return header.status();
    for (const Entry& e : entries) {
      auto row = c.Execute(
          "INSERT INTO manifest_entries (source, manifest_id, business_key, content_hash, "
          "issued_at_us) VALUES ($1, $2, $3, $4, $5)",
          {Value::Text(source), Value::Text(manifest_id), Value::Text(e.key), Value::Blob(""),
           Value::Int(e.issued_at.empty() ? 0 : absl::ToUnixMicros(Utc(e.issued_at)))});
      if (!row.ok()) return row.status();
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(declared.ok()) << declared;
}

std::string IndicatorsDb::WriteFile(const std::string& name, const std::string& text) {
  const std::string path = dir_ + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

Areas IndicatorsDb::LoadAreas(const std::string& communes_csv, const std::string& sources_csv) {
  Areas::Files files;
  files.communes = WriteFile("communes.csv", communes_csv);
  files.communes_before_2025 = WriteFile(
      "communes-before-2025.csv",
      "old_commune_code,old_province_code,old_name,commune_code,province_code,counted_here,note\n");
  if (!sources_csv.empty()) files.sources = WriteFile("sources.csv", sources_csv);
  auto areas = Areas::Load(files);
  EXPECT_TRUE(areas.ok()) << areas.status();
  return areas.ok() ? *std::move(areas) : Areas();
}

absl::StatusOr<rv1::IndicatorReport> IndicatorsDb::Compute(const rv1::IndicatorsRequest& request,
                                                           const Areas& areas,
                                                           absl::Duration sla) {
  IndicatorOptions options;
  options.now = Utc(kNow);
  options.sync_sla = sla;
  return ComputeIndicators(*store_, areas, request, options);
}

rv1::IndicatorReport IndicatorsDb::Report(const std::string& period, const std::string& as_of,
                                          const std::vector<std::string>& ids,
                                          rv1::Breakdown breakdown, const Areas& areas,
                                          const std::string& province,
                                          const std::string& commune) {
  rv1::IndicatorsRequest request;
  request.set_period(period);
  if (!as_of.empty()) *request.mutable_as_of() = Day(as_of);
  for (const auto& id : ids) request.add_indicator_ids(id);
  request.set_breakdown(breakdown);
  request.set_province_code(province);
  request.set_commune_code(commune);
  auto report = Compute(request, areas);
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? *report : rv1::IndicatorReport();
}

}  // namespace crvs::reconcile::indicators::testing
