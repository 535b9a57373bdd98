#include "services/store/record_columns.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include <cstdio>
#include <cstdlib>

#include "services/store/record_rules.h"

namespace crvs::store {
namespace {

namespace common = ::crvs::common::v1;
namespace v1 = ::crvs::records::v1;
using rules::Micros;
using sql::Value;

Value PersonalId(const common::Person& p) { return Value::TextOrNull(p.personal_id().number()); }
Value Date(const common::LocalDate& d) { return Value::TextOrNull(rules::FormatDate(d)); }
Value LocalDate(const common::DateTime& at) {
  return Value::TextOrNull(rules::LocalDateOf(at));
}
Value Instant(const common::DateTime& at) {
  return at.has_instant() ? Value::Int(Micros(at.instant())) : Value::Null();
}

// The underlying cause's ICD-10 code ("" when no line is UNDERLYING; the last such line).
std::string UnderlyingCause(const v1::DeathNotice& d) {
  std::string underlying;
  for (const auto& line : d.cause_of_death().chain()) {
    if (line.role() == v1::CAUSE_ROLE_UNDERLYING) underlying = line.icd10_code();
  }
  return underlying;
}

}  // namespace

size_t DetailTable::IndexOf(std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == column) return i;
  }
  // A programming error (a misspelt column in our own code), caught by the first test.
  std::fprintf(stderr, "%s has no column %.*s\n", name.c_str(), static_cast<int>(column.size()),
               column.data());
  std::abort();
}

std::string DetailTable::UpsertHead() const {
  return absl::StrCat("INSERT INTO ", name, " (", absl::StrJoin(columns, ", "), ") VALUES ");
}

std::string DetailTable::UpsertTail() const {
  std::vector<std::string> sets;
  for (size_t i = 1; i < columns.size(); ++i) {
    sets.push_back(absl::StrCat(columns[i], " = excluded.", columns[i]));
  }
  return absl::StrCat(" ON CONFLICT (business_key) DO UPDATE SET ", absl::StrJoin(sets, ", "));
}

const DetailTable& BirthCertificatesTable() {
  static const DetailTable* table = new DetailTable{
      "birth_certificates",
      {"business_key", "facility_code", "certificate_no", "born_on", "born_at_us",
       "birth_commune_code", "in_facility", "mother_personal_id", "issued_at_us"}};
  return *table;
}

const DetailTable& DeathNoticesTable() {
  static const DetailTable* table = new DetailTable{
      "death_notices",
      {"business_key", "facility_code", "notice_no", "deceased_personal_id", "died_on",
       "died_at_us", "death_commune_code", "in_facility", "underlying_icd10", "issued_at_us"}};
  return *table;
}

const DetailTable& DivorceDecisionsTable() {
  static const DetailTable* table = new DetailTable{
      "divorce_decisions",
      {"business_key", "court_code", "decision_no", "decision_kind", "decision_date",
       "legal_effect_date", "spouse_a_personal_id", "spouse_b_personal_id", "set_aside_on",
       "set_aside_by", "issued_at_us"}};
  return *table;
}

const DetailTable& RegistrationsTable() {
  static const DetailTable* table = new DetailTable{
      "registrations",
      {"business_key", "registry_office_code", "book", "registration_no", "registration_kind",
       "registration_date", "event_date", "subject_personal_id", "linked_key",
       "recorded_at_us"}};
  return *table;
}

DetailRow DetailRowOf(const std::string& business_key, const v1::RecordEnvelope& e) {
  switch (e.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate: {
      const auto& b = e.birth_certificate();
      return {&BirthCertificatesTable(),
              {Value::Text(business_key), Value::Text(b.key().facility_code()),
               Value::Text(b.key().certificate_no()), LocalDate(b.child().born_at()),
               Instant(b.child().born_at()), Value::TextOrNull(b.place_of_birth().commune_code()),
               Value::Int(b.place_of_birth().in_facility() ? 1 : 0), PersonalId(b.mother()),
               Value::Int(Micros(b.issued_at()))}};
    }
    case v1::RecordEnvelope::kDeathNotice: {
      const auto& d = e.death_notice();
      return {&DeathNoticesTable(),
              {Value::Text(business_key), Value::Text(d.key().facility_code()),
               Value::Text(d.key().notice_no()), PersonalId(d.deceased()), LocalDate(d.died_at()),
               Instant(d.died_at()), Value::TextOrNull(d.place_of_death().commune_code()),
               Value::Int(d.place_of_death().in_facility() ? 1 : 0),
               Value::TextOrNull(UnderlyingCause(d)), Value::Int(Micros(d.issued_at()))}};
    }
    case v1::RecordEnvelope::kDivorceDecision: {
      const auto& d = e.divorce_decision();
      return {&DivorceDecisionsTable(),
              {Value::Text(business_key), Value::Text(d.key().court_code()),
               Value::Text(d.key().decision_no()),
               Value::Text(rules::StripEnumPrefix(v1::DecisionKind_Name(d.kind()),
                                                  "DECISION_KIND_")),
               Date(d.decision_date()), Date(d.legal_effect_date()), PersonalId(d.spouse_a()),
               PersonalId(d.spouse_b()),
               d.has_set_aside() ? Date(d.set_aside().set_aside_on()) : Value::Null(),
               d.has_set_aside() ? Value::TextOrNull(d.set_aside().by_decision_no())
                                 : Value::Null(),
               Value::Int(Micros(d.issued_at()))}};
    }
    case v1::RecordEnvelope::kRegistration: {
      const auto& r = e.registration();
      return {&RegistrationsTable(),
              {Value::Text(business_key), Value::Text(r.key().registry_office_code()),
               Value::Text(r.key().book()), Value::Text(r.key().registration_no()),
               Value::Text(rules::StripEnumPrefix(v1::RegistrationKind_Name(r.kind()),
                                                  "REGISTRATION_KIND_")),
               Date(r.registration_date()), Date(r.event_date()), PersonalId(r.subject()),
               Value::TextOrNull(rules::LinkedKey(r)), Value::Int(Micros(r.recorded_at()))}};
    }
    case v1::RecordEnvelope::RECORD_NOT_SET:
      break;
  }
  return {};
}

}  // namespace crvs::store
