// Valid example records, one builder per kind, for tests to start from and break one field
// at a time. Every record is valid under BRIEF §3 as of 2026-11-01 (issued 2026-10-xx).
#pragma once

#include <google/protobuf/util/time_util.h>

#include "crvs/records/v1/birth_certificate.pb.h"
#include "crvs/records/v1/death_notice.pb.h"
#include "crvs/records/v1/divorce_decision.pb.h"
#include "crvs/records/v1/registration.pb.h"

namespace crvs::testing {

namespace v1 = ::crvs::records::v1;
namespace common = ::crvs::common::v1;

inline google::protobuf::Timestamp At(const std::string& rfc3339) {
  google::protobuf::Timestamp t;
  google::protobuf::util::TimeUtil::FromString(rfc3339, &t);
  return t;
}

inline common::LocalDate Date(int y, int m, int d) {
  common::LocalDate date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

inline common::DateTime LocalTime(const std::string& rfc3339_utc) {
  common::DateTime dt;
  *dt.mutable_instant() = At(rfc3339_utc);
  dt.set_utc_offset_minutes(420);  // Asia/Ho_Chi_Minh
  return dt;
}

// A woman born 1994-03-12, registered in Hồ Chí Minh City (prefix 079): ID digit 4 = 1
// (female, 1900s), digits 5-6 = 94.
inline common::Person Mother() {
  common::Person p;
  p.mutable_personal_id()->set_number("079194001234");
  p.set_full_name("Nguyễn Thị Lan");
  p.set_sex(common::SEX_FEMALE);
  *p.mutable_date_of_birth() = Date(1994, 3, 12);
  p.set_ethnicity("Kinh");
  p.mutable_residence()->set_province_code("79");
  p.mutable_residence()->set_commune_code("26734");
  return p;
}

// A man born 1990-07-01, registered in Hà Nội (prefix 001): digit 4 = 0, digits 5-6 = 90.
inline common::Person Father() {
  common::Person p;
  p.mutable_personal_id()->set_number("001090005678");
  p.set_full_name("Trần Văn Minh");
  p.set_sex(common::SEX_MALE);
  *p.mutable_date_of_birth() = Date(1990, 7, 1);
  p.set_ethnicity("Kinh");
  p.mutable_residence()->set_province_code("79");
  p.mutable_residence()->set_commune_code("26734");
  return p;
}

inline v1::BirthCertificate BirthCertificate(const std::string& no = "GCS-2026-000123") {
  v1::BirthCertificate b;
  b.mutable_key()->set_facility_code("BV79001");
  b.mutable_key()->set_certificate_no(no);
  auto* child = b.mutable_child();
  child->set_full_name("Trần Minh An");
  child->set_sex(common::SEX_MALE);
  *child->mutable_born_at() = LocalTime("2026-10-20T01:30:00Z");
  child->set_weight_grams(3200);
  child->set_gestational_weeks(39);
  child->set_birth_order(1);
  child->set_plurality(1);
  b.mutable_place_of_birth()->mutable_facility()->set_facility_code("BV79001");
  b.mutable_place_of_birth()->mutable_facility()->set_name("Bệnh viện Từ Dũ");
  b.mutable_place_of_birth()->set_commune_code("26734");
  b.mutable_place_of_birth()->set_in_facility(true);
  *b.mutable_mother() = Mother();
  *b.mutable_father() = Father();
  b.mutable_attendant()->set_full_name("BS. Lê Thị Hoa");
  b.mutable_issuing_officer()->set_full_name("Phạm Văn Đức");
  *b.mutable_issued_at() = At("2026-10-20T09:00:00Z");
  return b;
}

inline v1::DeathNotice DeathNotice(const std::string& no = "GBT-2026-000045") {
  v1::DeathNotice d;
  d.mutable_key()->set_facility_code("BV01002");
  d.mutable_key()->set_notice_no(no);
  auto* p = d.mutable_deceased();
  p->mutable_personal_id()->set_number("001052003456");  // male, born 1952
  p->set_full_name("Hoàng Văn Tư");
  p->set_sex(common::SEX_MALE);
  *p->mutable_date_of_birth() = Date(1952, 5, 17);
  p->mutable_residence()->set_province_code("01");
  p->mutable_residence()->set_commune_code("00004");
  *d.mutable_died_at() = LocalTime("2026-10-25T14:10:00Z");
  d.mutable_place_of_death()->set_in_facility(true);
  d.mutable_place_of_death()->mutable_facility()->set_facility_code("BV01002");
  d.mutable_place_of_death()->set_commune_code("00004");
  auto* immediate = d.mutable_cause_of_death()->add_chain();
  immediate->set_role(v1::CAUSE_ROLE_IMMEDIATE);
  immediate->set_description("Cardiogenic shock");
  immediate->set_icd10_code("R57.0");
  immediate->set_interval("2 hours");
  auto* underlying = d.mutable_cause_of_death()->add_chain();
  underlying->set_role(v1::CAUSE_ROLE_UNDERLYING);
  underlying->set_description("Acute myocardial infarction");
  underlying->set_icd10_code("I21.9");
  underlying->set_interval("1 day");
  d.set_manner_of_death(v1::MANNER_OF_DEATH_NATURAL);
  d.mutable_certifier()->set_full_name("BS. Vũ Quang Huy");
  *d.mutable_issued_at() = At("2026-10-25T16:00:00Z");
  return d;
}

inline v1::DivorceDecision DivorceDecision(const std::string& no = "125/2026/QĐST-HNGĐ") {
  v1::DivorceDecision v;
  v.mutable_key()->set_court_code("TA79001");
  v.mutable_key()->set_decision_no(no);
  v.set_kind(v1::DECISION_KIND_CONSENSUAL_RECOGNITION);
  *v.mutable_decision_date() = Date(2026, 9, 15);
  *v.mutable_legal_effect_date() = Date(2026, 9, 15);
  *v.mutable_spouse_a() = Father();
  *v.mutable_spouse_b() = Mother();
  v.mutable_marriage()->set_registry_office_commune_code("26734");
  v.mutable_marriage()->set_book("01/2018");
  v.mutable_marriage()->set_registration_no("57");
  *v.mutable_marriage()->mutable_registered_on() = Date(2018, 4, 2);
  *v.mutable_issued_at() = At("2026-09-15T08:00:00Z");
  return v;
}

// The birth registration of the BirthCertificate() child at registry office 26734 (Hồ Chí Minh
// City), linked to that certificate: the child's new ID 079226001111 (male, born 2026), the
// mother and father in other_persons[0] and [1].
inline v1::Registration BirthRegistration(const std::string& no = "123") {
  v1::Registration r;
  r.mutable_key()->set_registry_office_code("26734");
  r.mutable_key()->set_book("01/2026");
  r.mutable_key()->set_registration_no(no);
  r.set_kind(v1::REGISTRATION_KIND_BIRTH);
  *r.mutable_registration_date() = Date(2026, 10, 28);
  *r.mutable_event_date() = Date(2026, 10, 20);
  auto* child = r.mutable_subject();
  child->mutable_personal_id()->set_number("079226001111");
  child->set_full_name("Trần Minh An");
  child->set_sex(common::SEX_MALE);
  *child->mutable_date_of_birth() = Date(2026, 10, 20);
  *r.add_other_persons() = Mother();
  *r.add_other_persons() = Father();
  *r.mutable_birth_certificate() = BirthCertificate().key();
  r.mutable_registrar()->set_full_name("Ngô Thị Hạnh");
  *r.mutable_recorded_at() = At("2026-10-28T03:00:00Z");
  return r;
}

}  // namespace crvs::testing
