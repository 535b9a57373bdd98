#include "services/bench/bench_records.h"

#include <cstdio>

#include <google/protobuf/util/time_util.h>

namespace crvs::bench {
namespace {

using google::protobuf::util::TimeUtil;

std::string Digits(const char* prefix, int64_t i) {
  char id[16];
  std::snprintf(id, sizeof id, "%s%06lld", prefix, static_cast<long long>(i % 1000000));
  return id;
}

void SetPerson(common::v1::Person* p, std::string id, const char* name, common::v1::Sex sex,
               int year, int month, int day, const char* province, const char* commune) {
  p->mutable_personal_id()->set_number(std::move(id));
  p->set_full_name(name);
  p->set_sex(sex);
  p->mutable_date_of_birth()->set_year(year);
  p->mutable_date_of_birth()->set_month(month);
  p->mutable_date_of_birth()->set_day(day);
  p->set_ethnicity("Kinh");
  p->mutable_residence()->set_province_code(province);
  p->mutable_residence()->set_commune_code(commune);
}

}  // namespace

records::v1::DeathNotice BenchDeathNotice(const std::string& run, int64_t i) {
  records::v1::DeathNotice d;
  d.mutable_key()->set_facility_code(kBenchFacility);
  d.mutable_key()->set_notice_no("BENCH-" + run + "-" + std::to_string(i));
  SetPerson(d.mutable_deceased(), Digits("001052", i), "Hoàng Văn Tư", common::v1::SEX_MALE, 1952,
            5, 17, "01", "00004");
  TimeUtil::FromString("2026-10-25T14:10:00Z", d.mutable_died_at()->mutable_instant());
  d.mutable_died_at()->set_utc_offset_minutes(420);
  d.mutable_place_of_death()->set_in_facility(true);
  d.mutable_place_of_death()->mutable_facility()->set_facility_code(kBenchFacility);
  d.mutable_place_of_death()->set_commune_code("26734");
  auto* underlying = d.mutable_cause_of_death()->add_chain();
  underlying->set_role(records::v1::CAUSE_ROLE_UNDERLYING);
  underlying->set_description("Acute myocardial infarction");
  underlying->set_icd10_code("I21.9");
  d.set_manner_of_death(records::v1::MANNER_OF_DEATH_NATURAL);
  d.mutable_certifier()->set_full_name("BS. Vũ Quang Huy");
  TimeUtil::FromString("2026-10-25T16:00:00Z", d.mutable_issued_at());
  return d;
}

records::v1::BirthCertificate BenchBirthCertificate(const std::string& run, int64_t i) {
  records::v1::BirthCertificate b;
  b.mutable_key()->set_facility_code(kBenchFacility);
  b.mutable_key()->set_certificate_no("BENCH-" + run + "-" + std::to_string(i));
  auto* child = b.mutable_child();
  child->set_full_name("Trần Minh An");
  child->set_sex(common::v1::SEX_MALE);
  TimeUtil::FromString("2026-10-20T01:30:00Z", child->mutable_born_at()->mutable_instant());
  child->mutable_born_at()->set_utc_offset_minutes(420);
  child->set_weight_grams(3200);
  child->set_gestational_weeks(39);
  child->set_birth_order(1);
  child->set_plurality(1);
  b.mutable_place_of_birth()->mutable_facility()->set_facility_code(kBenchFacility);
  b.mutable_place_of_birth()->mutable_facility()->set_name("Bệnh viện Từ Dũ");
  b.mutable_place_of_birth()->set_commune_code("26734");
  b.mutable_place_of_birth()->set_in_facility(true);
  SetPerson(b.mutable_mother(), Digits("079194", i), "Nguyễn Thị Lan", common::v1::SEX_FEMALE,
            1994, 3, 12, "79", "26734");
  SetPerson(b.mutable_father(), Digits("001090", i), "Trần Văn Minh", common::v1::SEX_MALE, 1990,
            7, 1, "79", "26734");
  b.mutable_attendant()->set_full_name("BS. Lê Thị Hoa");
  b.mutable_issuing_officer()->set_full_name("Phạm Văn Đức");
  TimeUtil::FromString("2026-10-20T09:00:00Z", b.mutable_issued_at());
  return b;
}

}  // namespace crvs::bench
