// Table tests of the validators: every row starts from a valid record (tests/support/fixtures.h
// or a variant built here), breaks one thing, and asserts the exact list of fields named.
#include "services/validation/validators.h"

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/fixtures.h"

namespace crvs::validation {
namespace {

namespace t = ::crvs::testing;
namespace common = ::crvs::common::v1;
namespace ingest = ::crvs::ingest::v1;
namespace registry = ::crvs::registry::v1;
namespace v1 = ::crvs::records::v1;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The fixtures are valid "as of 2026-11-01".
Context TestContext() {
  Context ctx;
  ctx.now = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 0, 0, 0), absl::UTCTimeZone());
  return ctx;
}

std::vector<std::string> Fields(const std::vector<FieldViolation>& violations) {
  std::vector<std::string> fields;
  for (const auto& v : violations) fields.push_back(v.field);
  return fields;
}

// Whether `s` holds a run of 12 digits (a personal ID must never appear in a description).
bool HasTwelveDigitRun(const std::string& s) {
  int run = 0;
  for (char c : s) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    if (run >= 12) return true;
  }
  return false;
}

template <class Record>
struct Row {
  std::string name;
  std::function<void(Record&)> change;
  std::vector<std::string> fields;  // exactly these, in this order
  std::string description = "";     // when set: the description of the first violation
};

// gtest prints a failing row by its name instead of its bytes.
template <class Record>
void PrintTo(const Row<Record>& row, std::ostream* os) {
  *os << row.name;
}

template <class Record>
void ExpectRow(const Row<Record>& row, const std::vector<FieldViolation>& got) {
  EXPECT_EQ(Fields(got), row.fields);
  if (!row.description.empty() && !got.empty()) {
    EXPECT_EQ(got.front().description, row.description);
  }
  for (const auto& v : got) {
    EXPECT_FALSE(v.description.empty()) << v.field;
    EXPECT_FALSE(HasTwelveDigitRun(v.description)) << v.description;
  }
}

template <class Record>
std::string RowName(const ::testing::TestParamInfo<Row<Record>>& info) {
  return info.param.name;
}

const std::string k201(201, 'a');
const std::string k1001(1001, 'a');

// ---------------------------------------------------------------------------------------------
// Birth certificate
// ---------------------------------------------------------------------------------------------

using BirthRow = Row<v1::BirthCertificate>;
class BirthCertificateTest : public ::testing::TestWithParam<BirthRow> {};

TEST_P(BirthCertificateTest, NamesExactlyTheBrokenFields) {
  v1::BirthCertificate b = t::BirthCertificate();
  GetParam().change(b);
  ExpectRow(GetParam(), ValidateBirthCertificate(b, TestContext(), "birth_certificate"));
}

const std::string kBc = "birth_certificate.";

INSTANTIATE_TEST_SUITE_P(Validation, BirthCertificateTest, ::testing::ValuesIn(std::vector<BirthRow>{
    {"fixture_is_valid", [](auto&) {}, {}},
    // Oddities a registrar would refuse (found by probing: all were accepted).
    {"place_commune_all_zero", [](auto& b) { b.mutable_place_of_birth()->set_commune_code("00000"); },
     {kBc + "place_of_birth.commune_code"}, "00000 is not a commune (the national register has no such unit)"},
    {"place_facility_not_the_certifier",
     [](auto& b) { b.mutable_place_of_birth()->mutable_facility()->set_facility_code("BV01002"); },
     {kBc + "place_of_birth.facility.facility_code"}, "must be the certifying facility, key.facility_code"},
    {"outside_a_facility_naming_one", [](auto& b) { b.mutable_place_of_birth()->set_in_facility(false); },
     {kBc + "place_of_birth.facility"}, "must be absent when in_facility is false (a birth outside a health facility)"},
    {"outside_a_facility", [](auto& b) {
       b.mutable_place_of_birth()->set_in_facility(false);
       b.mutable_place_of_birth()->clear_facility();
     }, {}},
    {"name_with_a_bidi_override",
     [](auto& b) { b.mutable_mother()->set_full_name("Nguy\xe2\x80\xae" "en"); },
     {kBc + "mother.full_name"}, "must be text: bidirectional control U+202E at byte 4"},
    // key
    {"key_missing", [](auto& b) { b.clear_key(); }, {kBc + "key"}, "is required"},
    {"facility_code_empty", [](auto& b) { b.mutable_key()->clear_facility_code(); },
     {kBc + "key.facility_code"}, "is required"},
    {"facility_code_lowercase", [](auto& b) { b.mutable_key()->set_facility_code("bv79001"); },
     {kBc + "key.facility_code"}, "must be 2-16 uppercase ASCII letters or digits"},
    {"facility_code_17_chars", [](auto& b) { b.mutable_key()->set_facility_code(std::string(17, 'A')); },
     {kBc + "key.facility_code"}},
    {"facility_code_1_char", [](auto& b) { b.mutable_key()->set_facility_code("A"); },
     {kBc + "key.facility_code"}},
    {"certificate_no_empty", [](auto& b) { b.mutable_key()->clear_certificate_no(); },
     {kBc + "key.certificate_no"}, "is required"},
    {"certificate_no_65_bytes", [](auto& b) { b.mutable_key()->set_certificate_no(std::string(65, '1')); },
     {kBc + "key.certificate_no"}, "must be at most 64 bytes (got 65)"},
    {"certificate_no_control_char", [](auto& b) { b.mutable_key()->set_certificate_no("GCS\t1"); },
     {kBc + "key.certificate_no"}, "must not contain control characters"},
    {"certificate_no_trailing_space", [](auto& b) { b.mutable_key()->set_certificate_no("GCS-1 "); },
     {kBc + "key.certificate_no"}, "must not start or end with whitespace"},
    {"certificate_no_with_slash_is_valid", [](auto& b) { b.mutable_key()->set_certificate_no("12/2026/GCS"); },
     {}},
    // child
    {"child_missing", [](auto& b) { b.clear_child(); }, {kBc + "child"}, "is required"},
    {"child_name_empty_is_valid", [](auto& b) { b.mutable_child()->clear_full_name(); }, {}},
    {"child_name_201_bytes", [](auto& b) { b.mutable_child()->set_full_name(k201); },
     {kBc + "child.full_name"}, "must be at most 200 bytes (got 201)"},
    {"child_sex_unspecified", [](auto& b) { b.mutable_child()->set_sex(common::SEX_UNSPECIFIED); },
     {kBc + "child.sex"}, "is required"},
    {"child_sex_undetermined_is_valid", [](auto& b) { b.mutable_child()->set_sex(common::SEX_UNDETERMINED); },
     {}},
    {"child_sex_unknown_number", [](auto& b) { b.mutable_child()->set_sex(static_cast<common::Sex>(9)); },
     {kBc + "child.sex"}, "unknown value 9"},
    {"born_at_missing", [](auto& b) { b.mutable_child()->clear_born_at(); },
     {kBc + "child.born_at"}, "is required"},
    {"born_at_instant_missing", [](auto& b) { b.mutable_child()->mutable_born_at()->clear_instant(); },
     {kBc + "child.born_at"}, "instant is required"},
    {"born_at_instant_bad_nanos", [](auto& b) { b.mutable_child()->mutable_born_at()->mutable_instant()->set_nanos(-1); },
     {kBc + "child.born_at"}, "instant is not a valid timestamp"},
    {"born_at_in_the_future",
     [](auto& b) {
       *b.mutable_child()->mutable_born_at()->mutable_instant() = t::At("2026-11-01T00:06:00Z");
       *b.mutable_issued_at() = t::At("2026-11-01T00:06:00Z");
     },
     {kBc + "child.born_at", kBc + "issued_at"}, "instant 2026-11-01T00:06:00Z is in the future"},
    {"born_at_within_clock_skew_is_valid",
     [](auto& b) {
       *b.mutable_child()->mutable_born_at()->mutable_instant() = t::At("2026-11-01T00:04:00Z");
       *b.mutable_issued_at() = t::At("2026-11-01T00:04:59Z");
     },
     {}},
    {"utc_offset_too_large", [](auto& b) { b.mutable_child()->mutable_born_at()->set_utc_offset_minutes(841); },
     {kBc + "child.born_at"}, "utc_offset_minutes must be -720..840 minutes (Vietnam is 420), got 841"},
    {"utc_offset_too_small", [](auto& b) { b.mutable_child()->mutable_born_at()->set_utc_offset_minutes(-721); },
     {kBc + "child.born_at"}},
    {"utc_offset_zero_is_valid", [](auto& b) { b.mutable_child()->mutable_born_at()->set_utc_offset_minutes(0); },
     {}},
    {"weight_missing", [](auto& b) { b.mutable_child()->clear_weight_grams(); },
     {kBc + "child.weight_grams"}, "is required"},
    {"weight_199", [](auto& b) { b.mutable_child()->set_weight_grams(199); },
     {kBc + "child.weight_grams"}, "must be 200..9000 grams, got 199"},
    {"weight_9001", [](auto& b) { b.mutable_child()->set_weight_grams(9001); }, {kBc + "child.weight_grams"}},
    {"weight_200_and_9000_are_valid", [](auto& b) { b.mutable_child()->set_weight_grams(200); }, {}},
    {"gestational_weeks_19", [](auto& b) { b.mutable_child()->set_gestational_weeks(19); },
     {kBc + "child.gestational_weeks"}, "must be 20..46 weeks (or 0 = not recorded), got 19"},
    {"gestational_weeks_47", [](auto& b) { b.mutable_child()->set_gestational_weeks(47); },
     {kBc + "child.gestational_weeks"}},
    {"gestational_weeks_unrecorded_is_valid", [](auto& b) { b.mutable_child()->clear_gestational_weeks(); }, {}},
    {"plurality_missing", [](auto& b) { b.mutable_child()->clear_plurality(); },
     {kBc + "child.plurality"}, "is required"},
    {"plurality_10", [](auto& b) { b.mutable_child()->set_plurality(10); },
     {kBc + "child.plurality"}, "must be 1..9, got 10"},
    {"birth_order_missing", [](auto& b) { b.mutable_child()->clear_birth_order(); },
     {kBc + "child.birth_order"}, "is required"},
    {"birth_order_above_plurality", [](auto& b) { b.mutable_child()->set_birth_order(2); },
     {kBc + "child.birth_order"}, "must be 1..plurality (1), got 2"},
    {"second_twin_is_valid",
     [](auto& b) {
       b.mutable_child()->set_plurality(2);
       b.mutable_child()->set_birth_order(2);
     },
     {}},
    // place of birth
    {"place_of_birth_missing", [](auto& b) { b.clear_place_of_birth(); }, {kBc + "place_of_birth"}},
    {"place_commune_missing", [](auto& b) { b.mutable_place_of_birth()->clear_commune_code(); },
     {kBc + "place_of_birth.commune_code"}, "is required"},
    {"place_commune_4_digits", [](auto& b) { b.mutable_place_of_birth()->set_commune_code("2673"); },
     {kBc + "place_of_birth.commune_code"}, "must be 5 digits"},
    {"place_commune_letter", [](auto& b) { b.mutable_place_of_birth()->set_commune_code("2673A"); },
     {kBc + "place_of_birth.commune_code"}},
    {"in_facility_without_facility", [](auto& b) { b.mutable_place_of_birth()->clear_facility(); },
     {kBc + "place_of_birth.facility"}, "is required"},
    {"home_birth_without_facility_is_valid",
     [](auto& b) {
       b.mutable_place_of_birth()->clear_facility();
       b.mutable_place_of_birth()->set_in_facility(false);
     },
     {}},
    {"place_facility_code_bad", [](auto& b) { b.mutable_place_of_birth()->mutable_facility()->set_facility_code("BV 79"); },
     {kBc + "place_of_birth.facility.facility_code"}},
    {"place_facility_name_201_bytes", [](auto& b) { b.mutable_place_of_birth()->mutable_facility()->set_name(k201); },
     {kBc + "place_of_birth.facility.name"}},
    // mother
    {"mother_missing", [](auto& b) { b.clear_mother(); }, {kBc + "mother"}, "is required"},
    {"mother_name_empty", [](auto& b) { b.mutable_mother()->clear_full_name(); },
     {kBc + "mother.full_name"}, "is required"},
    {"mother_name_201_bytes", [](auto& b) { b.mutable_mother()->set_full_name(k201); },
     {kBc + "mother.full_name"}},
    {"mother_name_200_bytes_is_valid", [](auto& b) { b.mutable_mother()->set_full_name(std::string(200, 'a')); },
     {}},
    {"mother_sex_male", [](auto& b) { b.mutable_mother()->set_sex(common::SEX_MALE); },
     {kBc + "mother.sex"}, "must be SEX_FEMALE or SEX_UNSPECIFIED for the mother"},
    {"mother_sex_unspecified_is_valid", [](auto& b) { b.mutable_mother()->set_sex(common::SEX_UNSPECIFIED); },
     {}},
    {"mother_personal_id_missing", [](auto& b) { b.mutable_mother()->clear_personal_id(); },
     {kBc + "mother.personal_id.number"}, "is required"},
    {"mother_personal_id_number_empty", [](auto& b) { b.mutable_mother()->mutable_personal_id()->clear_number(); },
     {kBc + "mother.personal_id.number"}, "is required"},
    {"personal_id_11_digits", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("07919400123"); },
     {kBc + "mother.personal_id.number"}, "must be 12 digits"},
    {"personal_id_13_digits", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("0791940012345"); },
     {kBc + "mother.personal_id.number"}, "must be 12 digits"},
    {"personal_id_with_letter", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("07919400123A"); },
     {kBc + "mother.personal_id.number"}, "must be 12 digits"},
    {"personal_id_with_space", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("079194 01234"); },
     {kBc + "mother.personal_id.number"}},
    {"personal_id_unknown_prefix", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("003194001234"); },
     {kBc + "mother.personal_id.number"}, "digits 1-3 (003) are not a province id prefix"},
    {"personal_id_digit4_above_5", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("079694001234"); },
     {kBc + "mother.personal_id.number"}, "digit 4 must be 0-5 (century and sex of birth)"},
    {"personal_id_male_digit_for_female", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("079094001234"); },
     {kBc + "mother.personal_id.number"}, "digit 4 says male but sex is SEX_FEMALE"},
    {"personal_id_male_digit_for_unspecified_mother",
     [](auto& b) {
       b.mutable_mother()->set_sex(common::SEX_UNSPECIFIED);
       b.mutable_mother()->mutable_personal_id()->set_number("079094001234");
     },
     {kBc + "mother.personal_id.number"},
     "digit 4 says male but the mother is taken as female (sex unspecified)"},
    {"personal_id_year_digits_disagree", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("079195001234"); },
     {kBc + "mother.personal_id.number"}, "digits 4-6 say born in 1995 but date_of_birth is in 1994"},
    {"personal_id_century_disagrees", [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("079394001234"); },
     {kBc + "mother.personal_id.number"}, "digits 4-6 say born in 2094 but date_of_birth is in 1994"},
    {"personal_id_sex_and_year_both_wrong",
     [](auto& b) { b.mutable_mother()->mutable_personal_id()->set_number("079095001234"); },
     {kBc + "mother.personal_id.number", kBc + "mother.personal_id.number"}},
    {"mother_born_in_2000s_is_valid",
     [](auto& b) {
       *b.mutable_mother()->mutable_date_of_birth() = t::Date(2004, 1, 5);
       b.mutable_mother()->mutable_personal_id()->set_number("079304001234");
     },
     {}},
    {"mother_leap_day_is_valid",
     [](auto& b) {
       *b.mutable_mother()->mutable_date_of_birth() = t::Date(1996, 2, 29);
       b.mutable_mother()->mutable_personal_id()->set_number("079196001234");
     },
     {}},
    {"mother_dob_missing", [](auto& b) { b.mutable_mother()->clear_date_of_birth(); },
     {kBc + "mother.date_of_birth"}, "is required"},
    {"mother_dob_feb_29_non_leap", [](auto& b) { *b.mutable_mother()->mutable_date_of_birth() = t::Date(1994, 2, 29); },
     {kBc + "mother.date_of_birth"}, "1994-02-29 is not a valid date"},
    {"mother_dob_month_13", [](auto& b) { *b.mutable_mother()->mutable_date_of_birth() = t::Date(1994, 13, 1); },
     {kBc + "mother.date_of_birth"}, "1994-13-01 is not a valid date"},
    {"mother_dob_day_0", [](auto& b) { *b.mutable_mother()->mutable_date_of_birth() = t::Date(1994, 3, 0); },
     {kBc + "mother.date_of_birth"}},
    {"mother_dob_empty_message", [](auto& b) { b.mutable_mother()->mutable_date_of_birth()->Clear(); },
     {kBc + "mother.date_of_birth"}, "0000-00-00 is not a valid date"},
    {"mother_dob_in_the_future",
     [](auto& b) {
       *b.mutable_mother()->mutable_date_of_birth() = t::Date(2026, 11, 2);
       b.mutable_mother()->mutable_personal_id()->set_number("079326001234");
     },
     {kBc + "mother.date_of_birth"}, "2026-11-02 is in the future"},
    {"mother_dob_on_birth_day",
     [](auto& b) {
       *b.mutable_mother()->mutable_date_of_birth() = t::Date(2026, 10, 20);
       b.mutable_mother()->mutable_personal_id()->set_number("079326001234");
     },
     {kBc + "mother.date_of_birth"},
     "date of birth 2026-10-20 must be before the child's birth on 2026-10-20"},
    {"mother_ethnicity_65_bytes", [](auto& b) { b.mutable_mother()->set_ethnicity(std::string(65, 'a')); },
     {kBc + "mother.ethnicity"}},
    {"mother_residence_missing", [](auto& b) { b.mutable_mother()->clear_residence(); },
     {kBc + "mother.residence.commune_code"}, "is required"},
    {"mother_residence_commune_empty", [](auto& b) { b.mutable_mother()->mutable_residence()->clear_commune_code(); },
     {kBc + "mother.residence.commune_code"}, "is required"},
    {"mother_residence_commune_6_digits", [](auto& b) { b.mutable_mother()->mutable_residence()->set_commune_code("267340"); },
     {kBc + "mother.residence.commune_code"}, "must be 5 digits"},
    {"residence_province_not_in_reference", [](auto& b) { b.mutable_mother()->mutable_residence()->set_province_code("02"); },
     {kBc + "mother.residence.province_code"},
     "02 is not a province code (34-province list since 2025-07-01)"},
    {"residence_province_1_digit", [](auto& b) { b.mutable_mother()->mutable_residence()->set_province_code("7"); },
     {kBc + "mother.residence.province_code"}, "must be 2 digits"},
    {"residence_province_empty_is_valid", [](auto& b) { b.mutable_mother()->mutable_residence()->clear_province_code(); },
     {}},
    // father
    {"father_absent_is_valid", [](auto& b) { b.clear_father(); }, {}},
    {"father_name_empty", [](auto& b) { b.mutable_father()->clear_full_name(); },
     {kBc + "father.full_name"}, "is required"},
    {"father_without_personal_id_is_valid", [](auto& b) { b.mutable_father()->clear_personal_id(); }, {}},
    {"father_without_residence_or_dob_is_valid",
     [](auto& b) {
       b.mutable_father()->clear_residence();
       b.mutable_father()->clear_date_of_birth();
     },
     {}},
    {"father_id_says_female", [](auto& b) { b.mutable_father()->mutable_personal_id()->set_number("001190005678"); },
     {kBc + "father.personal_id.number"}, "digit 4 says female but sex is SEX_MALE"},
    {"father_sex_unspecified_skips_sex_digit",
     [](auto& b) {
       b.mutable_father()->set_sex(common::SEX_UNSPECIFIED);
       b.mutable_father()->mutable_personal_id()->set_number("001190005678");
     },
     {}},
    {"father_dob_after_birth",
     [](auto& b) {
       *b.mutable_father()->mutable_date_of_birth() = t::Date(2026, 10, 21);
       b.mutable_father()->mutable_personal_id()->set_number("001226005678");
     },
     {kBc + "father.date_of_birth"}},
    // officers
    {"attendant_absent_is_valid", [](auto& b) { b.clear_attendant(); }, {}},
    {"attendant_without_name", [](auto& b) { b.mutable_attendant()->clear_full_name(); },
     {kBc + "attendant.full_name"}, "is required"},
    {"attendant_title_201_bytes", [](auto& b) { b.mutable_attendant()->set_title(k201); },
     {kBc + "attendant.title"}},
    {"issuing_officer_missing", [](auto& b) { b.clear_issuing_officer(); },
     {kBc + "issuing_officer.full_name"}, "is required"},
    {"issuing_officer_name_empty", [](auto& b) { b.mutable_issuing_officer()->clear_full_name(); },
     {kBc + "issuing_officer.full_name"}},
    // issued_at
    {"issued_at_missing", [](auto& b) { b.clear_issued_at(); }, {kBc + "issued_at"}, "is required"},
    // Two dates disagree: the event entered by hand is named, not the issuer's own stamp.
    {"issued_at_before_birth_names_born_at", [](auto& b) { *b.mutable_issued_at() = t::At("2026-10-19T01:29:59Z"); },
     {kBc + "child.born_at"}, "birth at 2026-10-20T01:30:00Z is after issued_at 2026-10-19T01:29:59Z"},
    {"born_at_sent_as_local_time_is_named_with_a_hint",
     [](auto& b) {
       // Born 08:30 in Hanoi (01:30Z), certified 10:00 (03:00Z); the client sent 08:30 as UTC.
       *b.mutable_child()->mutable_born_at()->mutable_instant() = t::At("2026-10-20T08:30:00Z");
       *b.mutable_issued_at() = t::At("2026-10-20T03:00:00Z");
     },
     {kBc + "child.born_at"},
     "birth at 2026-10-20T08:30:00Z is after issued_at 2026-10-20T03:00:00Z; the instant must be "
     "UTC: if 08:30 was the local time (UTC+07:00), send 2026-10-20T01:30:00Z"},
    {"born_at_sent_as_local_time_with_offset_zero",
     [](auto& b) {
       *b.mutable_child()->mutable_born_at() = t::LocalTime("2026-10-20T08:30:00Z");
       b.mutable_child()->mutable_born_at()->set_utc_offset_minutes(0);
       *b.mutable_issued_at() = t::At("2026-10-20T03:00:00Z");
     },
     {kBc + "child.born_at"},
     "birth at 2026-10-20T08:30:00Z is after issued_at 2026-10-20T03:00:00Z; the instant must be "
     "UTC: if 08:30 was the local time (UTC+07:00), send 2026-10-20T01:30:00Z"},
    {"issued_at_equal_to_birth_is_valid", [](auto& b) { *b.mutable_issued_at() = t::At("2026-10-20T01:30:00Z"); },
     {}},
    {"issued_at_in_the_future", [](auto& b) { *b.mutable_issued_at() = t::At("2026-11-02T00:00:00Z"); },
     {kBc + "issued_at"}, "2026-11-02T00:00:00Z is in the future"},
}), RowName<v1::BirthCertificate>);

// ---------------------------------------------------------------------------------------------
// Death notice
// ---------------------------------------------------------------------------------------------

using DeathRow = Row<v1::DeathNotice>;
class DeathNoticeTest : public ::testing::TestWithParam<DeathRow> {};

TEST_P(DeathNoticeTest, NamesExactlyTheBrokenFields) {
  v1::DeathNotice d = t::DeathNotice();
  GetParam().change(d);
  ExpectRow(GetParam(), ValidateDeathNotice(d, TestContext(), "death_notice"));
}

const std::string kDn = "death_notice.";

v1::CauseLine* Line(v1::DeathNotice& d, int i) {
  return d.mutable_cause_of_death()->mutable_chain(i);
}

// The fixture's deceased, but a newborn: born 2026-10-25, ID male born in 2026.
void MakeNewborn(v1::DeathNotice& d, const common::LocalDate& dob) {
  *d.mutable_deceased()->mutable_date_of_birth() = dob;
  d.mutable_deceased()->mutable_personal_id()->set_number("001226003456");
}

INSTANTIATE_TEST_SUITE_P(Validation, DeathNoticeTest, ::testing::ValuesIn(std::vector<DeathRow>{
    {"fixture_is_valid", [](auto&) {}, {}},
    {"at_home_naming_a_facility", [](auto& d) { d.mutable_place_of_death()->set_in_facility(false); },
     {kDn + "place_of_death.facility"}, "must be absent when in_facility is false (a death outside a health facility)"},
    {"cause_with_a_nul", [](auto& d) {
       d.mutable_cause_of_death()->mutable_chain(0)->set_description(std::string("sh\0ck", 6));
     }, {kDn + "cause_of_death.chain[0].description"}, "must be text: control character U+0000 at byte 2"},
    {"key_missing", [](auto& d) { d.clear_key(); }, {kDn + "key"}},
    {"facility_code_bad", [](auto& d) { d.mutable_key()->set_facility_code("BV-01"); },
     {kDn + "key.facility_code"}},
    {"notice_no_empty", [](auto& d) { d.mutable_key()->clear_notice_no(); }, {kDn + "key.notice_no"}},
    {"notice_no_leading_space", [](auto& d) { d.mutable_key()->set_notice_no(" GBT-1"); },
     {kDn + "key.notice_no"}},
    // deceased
    {"deceased_missing", [](auto& d) { d.clear_deceased(); }, {kDn + "deceased"}, "is required"},
    {"deceased_sex_unspecified", [](auto& d) { d.mutable_deceased()->set_sex(common::SEX_UNSPECIFIED); },
     {kDn + "deceased.sex"}, "is required"},
    {"deceased_sex_undetermined_skips_sex_digit",
     [](auto& d) {
       d.mutable_deceased()->set_sex(common::SEX_UNDETERMINED);
       d.mutable_deceased()->mutable_personal_id()->set_number("001152003456");
     },
     {}},
    {"deceased_dob_missing", [](auto& d) { d.mutable_deceased()->clear_date_of_birth(); },
     {kDn + "deceased.date_of_birth"}, "is required"},
    {"deceased_without_personal_id_is_valid", [](auto& d) { d.mutable_deceased()->clear_personal_id(); }, {}},
    {"unidentified_deceased_is_valid",
     [](auto& d) {
       d.mutable_deceased()->clear_personal_id();
       d.mutable_deceased()->clear_full_name();
     },
     {}},
    {"deceased_with_id_but_no_name", [](auto& d) { d.mutable_deceased()->clear_full_name(); },
     {kDn + "deceased.full_name"}, "is required"},
    {"deceased_id_says_female", [](auto& d) { d.mutable_deceased()->mutable_personal_id()->set_number("001152003456"); },
     {kDn + "deceased.personal_id.number"}, "digit 4 says female but sex is SEX_MALE"},
    {"deceased_id_year_disagrees", [](auto& d) { d.mutable_deceased()->mutable_personal_id()->set_number("001053003456"); },
     {kDn + "deceased.personal_id.number"}, "digits 4-6 say born in 1953 but date_of_birth is in 1952"},
    {"deceased_residence_commune_bad", [](auto& d) { d.mutable_deceased()->mutable_residence()->set_commune_code("4"); },
     {kDn + "deceased.residence.commune_code"}},
    // died_at
    {"died_at_missing", [](auto& d) { d.clear_died_at(); }, {kDn + "died_at"}, "is required"},
    {"died_at_in_the_future",
     [](auto& d) {
       *d.mutable_died_at()->mutable_instant() = t::At("2026-11-01T01:00:00Z");
       *d.mutable_issued_at() = t::At("2026-11-01T00:00:00Z");
     },
     {kDn + "died_at"}, "instant 2026-11-01T01:00:00Z is in the future"},
    {"died_at_offset_bad", [](auto& d) { d.mutable_died_at()->set_utc_offset_minutes(-721); },
     {kDn + "died_at"}, "utc_offset_minutes must be -720..840 minutes (Vietnam is 420), got -721"},
    {"death_before_birth", [](auto& d) { MakeNewborn(d, t::Date(2026, 11, 1)); },
     {kDn + "deceased.date_of_birth"}, "date of birth 2026-11-01 is after the death on 2026-10-25"},
    {"death_on_birth_day_is_valid", [](auto& d) { MakeNewborn(d, t::Date(2026, 10, 25)); }, {}},
    {"death_compared_by_local_date",
     [](auto& d) {
       // 2026-10-24T20:00Z is 2026-10-25 03:00 in Vietnam: same local day as the birth.
       MakeNewborn(d, t::Date(2026, 10, 25));
       *d.mutable_died_at()->mutable_instant() = t::At("2026-10-24T20:00:00Z");
     },
     {}},
    // place of death
    {"place_of_death_missing", [](auto& d) { d.clear_place_of_death(); }, {kDn + "place_of_death"}},
    {"place_commune_missing", [](auto& d) { d.mutable_place_of_death()->clear_commune_code(); },
     {kDn + "place_of_death.commune_code"}, "is required"},
    {"in_facility_without_facility", [](auto& d) { d.mutable_place_of_death()->clear_facility(); },
     {kDn + "place_of_death.facility"}},
    {"home_death_without_facility_is_valid",
     [](auto& d) {
       d.mutable_place_of_death()->clear_facility();
       d.mutable_place_of_death()->set_in_facility(false);
     },
     {}},
    {"place_facility_code_empty", [](auto& d) { d.mutable_place_of_death()->mutable_facility()->clear_facility_code(); },
     {kDn + "place_of_death.facility.facility_code"}},
    // cause of death
    {"cause_of_death_missing", [](auto& d) { d.clear_cause_of_death(); }, {kDn + "cause_of_death"}},
    {"cause_chain_empty", [](auto& d) { d.mutable_cause_of_death()->clear_chain(); },
     {kDn + "cause_of_death.chain"}, "must have at least one line"},
    {"cause_chain_9_lines",
     [](auto& d) {
       while (d.cause_of_death().chain_size() < 9) *d.mutable_cause_of_death()->add_chain() = *Line(d, 0);
     },
     {kDn + "cause_of_death.chain"}, "must have at most 8 lines, got 9"},
    {"cause_role_unspecified", [](auto& d) { Line(d, 0)->set_role(v1::CAUSE_ROLE_UNSPECIFIED); },
     {kDn + "cause_of_death.chain[0].role"}, "is required"},
    {"cause_role_unknown_number", [](auto& d) { Line(d, 0)->set_role(static_cast<v1::CauseRole>(7)); },
     {kDn + "cause_of_death.chain[0].role"}, "unknown value 7"},
    {"two_underlying_lines", [](auto& d) {
       auto* extra = d.mutable_cause_of_death()->add_chain();
       *extra = *Line(d, 1);
     },
     {kDn + "cause_of_death.chain[2].role"},
     "only one line may be CAUSE_ROLE_UNDERLYING (chain[1] already is)"},
    {"no_underlying_line_is_valid", [](auto& d) { Line(d, 1)->set_role(v1::CAUSE_ROLE_ANTECEDENT); }, {}},
    {"cause_description_empty", [](auto& d) { Line(d, 1)->clear_description(); },
     {kDn + "cause_of_death.chain[1].description"}, "is required"},
    {"cause_description_1001_bytes", [](auto& d) { Line(d, 1)->set_description(k1001); },
     {kDn + "cause_of_death.chain[1].description"}, "must be at most 1000 bytes (got 1001)"},
    {"icd10_too_short", [](auto& d) { Line(d, 1)->set_icd10_code("I2"); },
     {kDn + "cause_of_death.chain[1].icd10_code"},
     "must be an ICD-10 code: a capital letter, two digits, optionally '.' and 1-2 capital "
     "letters or digits (e.g. I21.9)"},
    {"icd10_lowercase", [](auto& d) { Line(d, 1)->set_icd10_code("i21.9"); },
     {kDn + "cause_of_death.chain[1].icd10_code"}},
    {"icd10_dot_without_digits", [](auto& d) { Line(d, 1)->set_icd10_code("I21."); },
     {kDn + "cause_of_death.chain[1].icd10_code"}},
    {"icd10_three_after_dot", [](auto& d) { Line(d, 1)->set_icd10_code("I21.123"); },
     {kDn + "cause_of_death.chain[1].icd10_code"}},
    {"icd10_on_immediate_line", [](auto& d) { Line(d, 0)->set_icd10_code("R57-0"); },
     {kDn + "cause_of_death.chain[0].icd10_code"}},
    {"icd10_absent_is_valid", [](auto& d) { Line(d, 1)->clear_icd10_code(); }, {}},
    {"icd10_r_chapter_underlying_is_valid", [](auto& d) { Line(d, 1)->set_icd10_code("R99"); }, {}},
    {"cause_interval_101_bytes", [](auto& d) { Line(d, 0)->set_interval(std::string(101, 'x')); },
     {kDn + "cause_of_death.chain[0].interval"}},
    // manner, certifier, issued_at
    {"manner_unspecified_is_valid", [](auto& d) { d.clear_manner_of_death(); }, {}},
    {"manner_unknown_number", [](auto& d) { d.set_manner_of_death(static_cast<v1::MannerOfDeath>(42)); },
     {kDn + "manner_of_death"}, "unknown value 42"},
    {"certifier_missing", [](auto& d) { d.clear_certifier(); }, {kDn + "certifier.full_name"}},
    {"certifier_name_201_bytes", [](auto& d) { d.mutable_certifier()->set_full_name(k201); },
     {kDn + "certifier.full_name"}},
    {"issued_at_missing", [](auto& d) { d.clear_issued_at(); }, {kDn + "issued_at"}},
    {"issued_at_before_death_names_died_at", [](auto& d) { *d.mutable_issued_at() = t::At("2026-10-25T14:00:00Z"); },
     {kDn + "died_at"},
     "death at 2026-10-25T14:10:00Z is after issued_at 2026-10-25T14:00:00Z; the instant must be UTC: "
     "if 14:10 was the local time (UTC+07:00), send 2026-10-25T07:10:00Z"},
    {"issued_at_a_day_before_death_names_died_at_without_a_hint",
     [](auto& d) { *d.mutable_issued_at() = t::At("2026-10-24T14:00:00Z"); },
     {kDn + "died_at"}, "death at 2026-10-25T14:10:00Z is after issued_at 2026-10-24T14:00:00Z"},
    {"issued_at_in_the_future", [](auto& d) { *d.mutable_issued_at() = t::At("2027-01-01T00:00:00Z"); },
     {kDn + "issued_at"}},
}), RowName<v1::DeathNotice>);

// ---------------------------------------------------------------------------------------------
// Divorce decision
// ---------------------------------------------------------------------------------------------

using DivorceRow = Row<v1::DivorceDecision>;
class DivorceDecisionTest : public ::testing::TestWithParam<DivorceRow> {};

TEST_P(DivorceDecisionTest, NamesExactlyTheBrokenFields) {
  v1::DivorceDecision v = t::DivorceDecision();
  GetParam().change(v);
  ExpectRow(GetParam(), ValidateDivorceDecision(v, TestContext(), "divorce_decision"));
}

const std::string kDd = "divorce_decision.";

// The fixture moved into the historical backlog: decided and effective in December 2025.
void MakeBacklog(v1::DivorceDecision& v, const common::LocalDate& effective) {
  *v.mutable_decision_date() = t::Date(2025, 12, 1);
  *v.mutable_legal_effect_date() = effective;
}

INSTANTIATE_TEST_SUITE_P(Validation, DivorceDecisionTest, ::testing::ValuesIn(std::vector<DivorceRow>{
    {"fixture_is_valid", [](auto&) {}, {}},
    {"key_missing", [](auto& v) { v.clear_key(); }, {kDd + "key"}},
    {"court_code_empty", [](auto& v) { v.mutable_key()->clear_court_code(); }, {kDd + "key.court_code"}},
    {"court_code_lowercase", [](auto& v) { v.mutable_key()->set_court_code("ta79001"); },
     {kDd + "key.court_code"}},
    {"decision_no_control_char", [](auto& v) { v.mutable_key()->set_decision_no("125/2026\n"); },
     {kDd + "key.decision_no"}},
    {"kind_unspecified", [](auto& v) { v.clear_kind(); }, {kDd + "kind"}, "is required"},
    {"kind_unknown_number", [](auto& v) { v.set_kind(static_cast<v1::DecisionKind>(8)); }, {kDd + "kind"}},
    {"decision_date_missing", [](auto& v) { v.clear_decision_date(); }, {kDd + "decision_date"}},
    {"decision_date_invalid", [](auto& v) { *v.mutable_decision_date() = t::Date(2026, 9, 31); },
     {kDd + "decision_date"}, "2026-09-31 is not a valid date"},
    {"decision_date_in_the_future",
     [](auto& v) {
       *v.mutable_decision_date() = t::Date(2026, 11, 2);
       v.clear_legal_effect_date();
     },
     {kDd + "decision_date"}},
    {"not_yet_effective_is_valid", [](auto& v) { v.clear_legal_effect_date(); }, {}},
    {"legal_effect_before_decision", [](auto& v) { *v.mutable_legal_effect_date() = t::Date(2026, 9, 14); },
     {kDd + "legal_effect_date"}, "legal effect date 2026-09-14 is before decision date 2026-09-15"},
    {"legal_effect_after_decision_is_valid", [](auto& v) { *v.mutable_legal_effect_date() = t::Date(2026, 10, 16); },
     {}},
    {"legal_effect_in_the_future", [](auto& v) { *v.mutable_legal_effect_date() = t::Date(2026, 12, 1); },
     {kDd + "legal_effect_date"}, "2026-12-01 is in the future"},
    {"legal_effect_invalid", [](auto& v) { *v.mutable_legal_effect_date() = t::Date(2026, 0, 1); },
     {kDd + "legal_effect_date"}},
    // spouses
    {"spouse_a_missing", [](auto& v) { v.clear_spouse_a(); }, {kDd + "spouse_a"}},
    {"spouse_b_missing", [](auto& v) { v.clear_spouse_b(); }, {kDd + "spouse_b"}},
    {"spouse_a_name_empty", [](auto& v) { v.mutable_spouse_a()->clear_full_name(); },
     {kDd + "spouse_a.full_name"}},
    {"spouse_a_without_personal_id", [](auto& v) { v.mutable_spouse_a()->clear_personal_id(); },
     {kDd + "spouse_a.personal_id.number"}, "is required"},
    {"pending_decision_needs_personal_ids",
     [](auto& v) {
       v.clear_legal_effect_date();
       v.mutable_spouse_b()->clear_personal_id();
     },
     {kDd + "spouse_b.personal_id.number"}},
    {"backlog_without_personal_ids_is_valid",
     [](auto& v) {
       MakeBacklog(v, t::Date(2025, 12, 31));
       v.mutable_spouse_a()->clear_personal_id();
       v.mutable_spouse_b()->clear_personal_id();
     },
     {}},
    {"effective_2026_01_01_is_not_backlog",
     [](auto& v) {
       MakeBacklog(v, t::Date(2026, 1, 1));
       v.mutable_spouse_a()->clear_personal_id();
     },
     {kDd + "spouse_a.personal_id.number"}},
    {"spouse_id_says_female", [](auto& v) { v.mutable_spouse_a()->mutable_personal_id()->set_number("001190005678"); },
     {kDd + "spouse_a.personal_id.number"}, "digit 4 says female but sex is SEX_MALE"},
    {"spouses_with_same_personal_id",
     [](auto& v) {
       *v.mutable_spouse_b() = t::Father();
       v.mutable_spouse_b()->set_full_name("Trần Văn Minh B");
     },
     {kDd + "spouse_b.personal_id.number"}, "must differ from spouse_a's"},
    {"spouse_dob_after_decision",
     [](auto& v) {
       *v.mutable_spouse_a()->mutable_date_of_birth() = t::Date(2026, 10, 1);
       v.mutable_spouse_a()->mutable_personal_id()->set_number("001226005678");
     },
     {kDd + "spouse_a.date_of_birth"}, "date of birth 2026-10-01 is after the decision date 2026-09-15"},
    // marriage
    {"marriage_absent_is_valid", [](auto& v) { v.clear_marriage(); }, {}},
    {"marriage_commune_bad", [](auto& v) { v.mutable_marriage()->set_registry_office_commune_code("267"); },
     {kDd + "marriage.registry_office_commune_code"}},
    {"marriage_commune_empty_is_valid", [](auto& v) { v.mutable_marriage()->clear_registry_office_commune_code(); },
     {}},
    {"marriage_book_65_bytes", [](auto& v) { v.mutable_marriage()->set_book(std::string(65, '1')); },
     {kDd + "marriage.book"}},
    {"marriage_registration_no_65_bytes", [](auto& v) { v.mutable_marriage()->set_registration_no(std::string(65, '1')); },
     {kDd + "marriage.registration_no"}},
    {"marriage_registered_on_decision_day", [](auto& v) { *v.mutable_marriage()->mutable_registered_on() = t::Date(2026, 9, 15); },
     {kDd + "marriage.registered_on"},
     "marriage registered on 2026-09-15 must be before decision date 2026-09-15"},
    {"marriage_registered_on_invalid", [](auto& v) { *v.mutable_marriage()->mutable_registered_on() = t::Date(2018, 2, 30); },
     {kDd + "marriage.registered_on"}},
    // set aside
    {"set_aside_is_valid",
     [](auto& v) {
       *v.mutable_set_aside()->mutable_set_aside_on() = t::Date(2026, 10, 10);
       v.mutable_set_aside()->set_by_decision_no("12/2026/GĐT-HNGĐ");
     },
     {}},
    {"set_aside_date_missing", [](auto& v) { v.mutable_set_aside()->set_by_decision_no("12/2026/GĐT-HNGĐ"); },
     {kDd + "set_aside.set_aside_on"}},
    {"set_aside_before_legal_effect",
     [](auto& v) {
       *v.mutable_legal_effect_date() = t::Date(2026, 10, 1);
       *v.mutable_set_aside()->mutable_set_aside_on() = t::Date(2026, 9, 20);
       v.mutable_set_aside()->set_by_decision_no("12/2026/GĐT-HNGĐ");
     },
     {kDd + "set_aside.set_aside_on"}, "set aside on 2026-09-20, before the legal effect date 2026-10-01"},
    {"set_aside_without_number", [](auto& v) { *v.mutable_set_aside()->mutable_set_aside_on() = t::Date(2026, 10, 10); },
     {kDd + "set_aside.by_decision_no"}},
    {"set_aside_reason_1001_bytes",
     [](auto& v) {
       *v.mutable_set_aside()->mutable_set_aside_on() = t::Date(2026, 10, 10);
       v.mutable_set_aside()->set_by_decision_no("12/2026/GĐT-HNGĐ");
       v.mutable_set_aside()->set_reason(k1001);
     },
     {kDd + "set_aside.reason"}},
    // issued_at
    {"issued_at_missing", [](auto& v) { v.clear_issued_at(); }, {kDd + "issued_at"}},
    {"issued_at_before_decision_day_names_decision_date", [](auto& v) { *v.mutable_issued_at() = t::At("2026-09-14T16:59:59Z"); },
     {kDd + "decision_date"}, "decision date 2026-09-15 is after the day of issued_at 2026-09-14 (Vietnam)"},
    {"issued_at_on_decision_day_in_vietnam_is_valid",
     [](auto& v) { *v.mutable_issued_at() = t::At("2026-09-14T17:00:00Z"); }, {}},
    {"issued_at_in_the_future", [](auto& v) { *v.mutable_issued_at() = t::At("2026-11-01T00:05:01Z"); },
     {kDd + "issued_at"}},
}), RowName<v1::DivorceDecision>);

// ---------------------------------------------------------------------------------------------
// Registration (the shared fixture is a birth registration of the fixture's child)
// ---------------------------------------------------------------------------------------------

using ::crvs::testing::BirthRegistration;

v1::Registration DeathRegistration() {
  v1::Registration r = BirthRegistration();
  r.set_kind(v1::REGISTRATION_KIND_DEATH);
  *r.mutable_event_date() = t::Date(2026, 10, 25);
  *r.mutable_subject() = t::DeathNotice().deceased();
  r.clear_other_persons();
  r.mutable_death_notice()->set_facility_code("BV01002");
  r.mutable_death_notice()->set_notice_no("GBT-2026-000045");
  return r;
}

v1::Registration DivorceRegistration() {
  v1::Registration r = BirthRegistration();
  r.set_kind(v1::REGISTRATION_KIND_DIVORCE_NOTED);
  *r.mutable_event_date() = t::Date(2026, 9, 15);
  *r.mutable_subject() = t::Father();
  r.clear_other_persons();
  *r.add_other_persons() = t::Mother();
  r.mutable_divorce_decision()->set_court_code("TA79001");
  r.mutable_divorce_decision()->set_decision_no("125/2026/QĐST-HNGĐ");
  return r;
}

using RegistrationRow = Row<v1::Registration>;
class RegistrationTest : public ::testing::TestWithParam<RegistrationRow> {};

TEST_P(RegistrationTest, NamesExactlyTheBrokenFields) {
  // Rows start from the birth registration unless they switch kind with one of the variants.
  v1::Registration r = BirthRegistration();
  GetParam().change(r);
  ExpectRow(GetParam(), ValidateRegistration(r, TestContext(), "registration"));
}

const std::string kRg = "registration.";

INSTANTIATE_TEST_SUITE_P(Validation, RegistrationTest, ::testing::ValuesIn(std::vector<RegistrationRow>{
    {"birth_registration_is_valid", [](auto&) {}, {}},
    {"death_registration_is_valid", [](auto& r) { r = DeathRegistration(); }, {}},
    {"divorce_registration_is_valid", [](auto& r) { r = DivorceRegistration(); }, {}},
    {"key_missing", [](auto& r) { r.clear_key(); }, {kRg + "key"}},
    {"registry_office_code_4_digits", [](auto& r) { r.mutable_key()->set_registry_office_code("2673"); },
     {kRg + "key.registry_office_code"}, "must be 5 digits"},
    {"book_empty", [](auto& r) { r.mutable_key()->clear_book(); }, {kRg + "key.book"}},
    {"registration_no_leading_space", [](auto& r) { r.mutable_key()->set_registration_no(" 123"); },
     {kRg + "key.registration_no"}},
    {"kind_unspecified", [](auto& r) { r.clear_kind(); }, {kRg + "kind"}},
    {"kind_unknown_number", [](auto& r) { r.set_kind(static_cast<v1::RegistrationKind>(5)); }, {kRg + "kind"}},
    {"registration_date_missing", [](auto& r) { r.clear_registration_date(); }, {kRg + "registration_date"}},
    {"registration_before_event_names_event_date", [](auto& r) { *r.mutable_registration_date() = t::Date(2026, 10, 19); },
     {kRg + "event_date"}, "event date 2026-10-20 is after registration date 2026-10-19"},
    {"registration_date_in_the_future", [](auto& r) { *r.mutable_registration_date() = t::Date(2026, 11, 2); },
     {kRg + "registration_date"}},
    {"event_date_missing", [](auto& r) { r.clear_event_date(); }, {kRg + "event_date"}},
    {"event_date_invalid", [](auto& r) { *r.mutable_event_date() = t::Date(2026, 10, 32); }, {kRg + "event_date"}},
    {"subject_missing", [](auto& r) { r.clear_subject(); }, {kRg + "subject"}},
    {"subject_name_empty", [](auto& r) { r.mutable_subject()->clear_full_name(); }, {kRg + "subject.full_name"}},
    {"subject_without_personal_id", [](auto& r) { r.mutable_subject()->clear_personal_id(); },
     {kRg + "subject.personal_id.number"}},
    {"subject_id_year_disagrees", [](auto& r) { r.mutable_subject()->mutable_personal_id()->set_number("079225001111"); },
     {kRg + "subject.personal_id.number"}, "digits 4-6 say born in 2025 but date_of_birth is in 2026"},
    {"subject_born_after_event", [](auto& r) { *r.mutable_subject()->mutable_date_of_birth() = t::Date(2026, 10, 21); },
     {kRg + "subject.date_of_birth"}, "date of birth 2026-10-21 is after event date 2026-10-20"},
    {"five_other_persons",
     [](auto& r) {
       for (int i = 0; i < 3; ++i) r.add_other_persons();
     },
     {kRg + "other_persons"}, "must have at most 4 entries, got 5"},
    {"unknown_mother_as_empty_person_is_valid", [](auto& r) { r.mutable_other_persons(0)->Clear(); }, {}},
    {"mother_entry_male", [](auto& r) { r.mutable_other_persons(0)->set_sex(common::SEX_MALE); },
     {kRg + "other_persons[0].sex"}},
    {"father_entry_bad_id", [](auto& r) { r.mutable_other_persons(1)->mutable_personal_id()->set_number("12345"); },
     {kRg + "other_persons[1].personal_id.number"}, "must be 12 digits"},
    {"home_birth_without_certificate_is_valid", [](auto& r) { r.clear_linked(); }, {}},
    {"birth_linked_to_death_notice",
     [](auto& r) {
       r.mutable_death_notice()->set_facility_code("BV01002");
       r.mutable_death_notice()->set_notice_no("GBT-1");
     },
     {kRg + "death_notice"}, "does not match kind REGISTRATION_KIND_BIRTH (expected birth_certificate)"},
    {"linked_key_bad", [](auto& r) { r.mutable_birth_certificate()->set_facility_code("bv"); },
     {kRg + "birth_certificate.facility_code"}},
    {"registrar_missing", [](auto& r) { r.clear_registrar(); }, {kRg + "registrar.full_name"}},
    {"recorded_at_missing", [](auto& r) { r.clear_recorded_at(); }, {kRg + "recorded_at"}},
    {"recorded_at_in_the_future", [](auto& r) { *r.mutable_recorded_at() = t::At("2026-11-01T00:10:00Z"); },
     {kRg + "recorded_at"}},
    // death
    {"death_subject_without_personal_id_is_valid",
     [](auto& r) {
       r = DeathRegistration();
       r.mutable_subject()->clear_personal_id();
     },
     {}},
    {"death_other_persons_are_ignored",
     [](auto& r) {
       r = DeathRegistration();
       r.add_other_persons()->mutable_personal_id()->set_number("bad");
     },
     {}},
    // divorce noted
    {"divorce_without_decision_link",
     [](auto& r) {
       r = DivorceRegistration();
       r.clear_linked();
     },
     {kRg + "divorce_decision"}, "is required for REGISTRATION_KIND_DIVORCE_NOTED"},
    {"divorce_without_spouse_b",
     [](auto& r) {
       r = DivorceRegistration();
       r.clear_other_persons();
     },
     {kRg + "other_persons[0]"}, "is required (spouse B)"},
    {"divorce_spouse_b_without_name",
     [](auto& r) {
       r = DivorceRegistration();
       r.mutable_other_persons(0)->clear_full_name();
     },
     {kRg + "other_persons[0].full_name"}},
    {"divorce_spouses_with_same_id",
     [](auto& r) {
       r = DivorceRegistration();
       *r.mutable_other_persons(0) = t::Father();
     },
     {kRg + "other_persons[0].personal_id.number"}, "must differ from the subject's (spouse A)"},
}), RowName<v1::Registration>);

// ---------------------------------------------------------------------------------------------
// Whole records and requests
// ---------------------------------------------------------------------------------------------

TEST(ValidatorsTest, ValidFixturesHaveNoViolations) {
  const Context ctx = TestContext();
  EXPECT_THAT(ValidateBirthCertificate(t::BirthCertificate(), ctx, "birth_certificate"), IsEmpty());
  EXPECT_THAT(ValidateDeathNotice(t::DeathNotice(), ctx, "death_notice"), IsEmpty());
  EXPECT_THAT(ValidateDivorceDecision(t::DivorceDecision(), ctx, "decision"), IsEmpty());
  EXPECT_THAT(ValidateRegistration(BirthRegistration(), ctx, "registration"), IsEmpty());
}

TEST(ValidatorsTest, ReportsEveryFaultOfARecordNotJustTheFirst) {
  v1::BirthCertificate b = t::BirthCertificate();
  b.mutable_key()->set_facility_code("bv");
  b.mutable_child()->set_weight_grams(50);
  b.mutable_mother()->mutable_personal_id()->set_number("079094001234");  // says male
  b.mutable_father()->clear_full_name();
  *b.mutable_issued_at() = t::At("2026-10-19T00:00:00Z");
  EXPECT_THAT(Fields(ValidateBirthCertificate(b, TestContext(), "birth_certificate")),
              ElementsAre("birth_certificate.key.facility_code",
                          "birth_certificate.child.weight_grams",
                          "birth_certificate.mother.personal_id.number",
                          "birth_certificate.father.full_name", "birth_certificate.child.born_at"));
}

TEST(ValidatorsTest, EmptyPathGivesFieldsRelativeToTheRecord) {
  v1::DeathNotice d = t::DeathNotice();
  d.mutable_cause_of_death()->mutable_chain(1)->set_icd10_code("I21.");
  EXPECT_THAT(Fields(ValidateDeathNotice(d, TestContext(), "")),
              ElementsAre("cause_of_death.chain[1].icd10_code"));
}

TEST(ValidatorsTest, ReferenceDataComesFromTheContext) {
  auto reference = ReferenceData::FromCsv(
      "old_code,old_name,id_prefix,code_since_2025_07_01,name_since_2025_07_01\n"
      "01,Hà Nội,001,01,Hà Nội\n",
      "test");
  ASSERT_TRUE(reference.ok());
  Context ctx = TestContext();
  ctx.reference = &*reference;
  // Mother's ID is from 079 and her residence in province 79: neither is in this reference.
  EXPECT_THAT(Fields(ValidateBirthCertificate(t::BirthCertificate(), ctx, "bc")),
              ElementsAre("bc.mother.residence.province_code", "bc.mother.personal_id.number",
                          "bc.father.residence.province_code"));
}

TEST(ValidatorsTest, DefaultContextJudgesAgainstTheRealClock) {
  Context ctx;
  EXPECT_EQ(ctx.reference, &ReferenceData::Default());
  EXPECT_LE(absl::Now() - ctx.now, absl::Minutes(1));
}

TEST(ValidatePersonalIdTest, OptionalAbsentIdIsFineRequiredIsNot) {
  common::Person p = t::Father();
  p.clear_personal_id();
  std::vector<FieldViolation> out;
  ValidatePersonalId(p, TestContext(), "x.father", /*required=*/false, &out);
  EXPECT_THAT(out, IsEmpty());
  ValidatePersonalId(p, TestContext(), "x.father", /*required=*/true, &out);
  EXPECT_THAT(out, ElementsAre(FieldViolation{"x.father.personal_id.number", "is required"}));
}

TEST(ValidatePersonalIdTest, AppendsToWhatIsAlreadyThere) {
  common::Person p = t::Mother();
  p.mutable_personal_id()->set_number("079");
  std::vector<FieldViolation> out = {{"earlier", "kept"}};
  ValidatePersonalId(p, TestContext(), "m", true, &out);
  EXPECT_THAT(Fields(out), ElementsAre("earlier", "m.personal_id.number"));
}

TEST(ValidatePersonalIdTest, CenturyDigitsCoverThreeCenturies) {
  struct Case {
    const char* number;
    common::Sex sex;
    int year;
  };
  for (const Case& c : {Case{"001099000001", common::SEX_MALE, 1999},
                        Case{"001100000001", common::SEX_FEMALE, 1900},
                        Case{"001200000001", common::SEX_MALE, 2000},
                        Case{"001399000001", common::SEX_FEMALE, 2099},
                        Case{"001400000001", common::SEX_MALE, 2100},
                        Case{"001599000001", common::SEX_FEMALE, 2199}}) {
    common::Person p;
    p.mutable_personal_id()->set_number(c.number);
    p.set_sex(c.sex);
    *p.mutable_date_of_birth() = t::Date(c.year, 1, 1);
    std::vector<FieldViolation> out;
    // Far-future births are not judged here: no date check in ValidatePersonalId.
    ValidatePersonalId(p, TestContext(), "p", true, &out);
    EXPECT_THAT(out, IsEmpty()) << c.number;
  }
}

TEST(CodeSyntaxTest, Icd10) {
  for (const char* ok : {"I21.9", "C34", "U07.1", "A00.0", "Z99.89", "R57.0", "S72.0A"}) {
    EXPECT_TRUE(IsIcd10Code(ok)) << ok;
  }
  for (const char* bad : {"", "I2", "I219", "I21.", "I21.123", "i21.9", "121.9", "I2A.1", "I21.a",
                          " I21.9", "I21.9 ", "I21-9", "II21"}) {
    EXPECT_FALSE(IsIcd10Code(bad)) << bad;
  }
}

TEST(CodeSyntaxTest, CertifiedCauseIsValidIcd10OutsideChapterR) {
  EXPECT_TRUE(IsCertifiedCauseCode("I21.9"));
  EXPECT_TRUE(IsCertifiedCauseCode("U07.1"));
  EXPECT_FALSE(IsCertifiedCauseCode("R99"));
  EXPECT_FALSE(IsCertifiedCauseCode("R57.0"));
  EXPECT_FALSE(IsCertifiedCauseCode("I21."));
  EXPECT_FALSE(IsCertifiedCauseCode(""));
}

TEST(CodeSyntaxTest, CommuneCode) {
  EXPECT_TRUE(IsCommuneCode("26734"));
  EXPECT_TRUE(IsCommuneCode("00004"));
  for (const char* bad : {"", "2673", "267340", "2673A", " 2673", "２６７３４"}) {
    EXPECT_FALSE(IsCommuneCode(bad)) << bad;
  }
}

TEST(CodeSyntaxTest, FacilityOrCourtCode) {
  for (const char* ok : {"BV79001", "TA79001", "AB", "ABCDEFGHIJKLMNOP"}) {
    EXPECT_TRUE(IsFacilityOrCourtCode(ok)) << ok;
  }
  for (const char* bad : {"", "A", "ABCDEFGHIJKLMNOPQ", "bv79001", "BV-79", "BV 79", "BV79001 "}) {
    EXPECT_FALSE(IsFacilityOrCourtCode(bad)) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Ingest requests
// ---------------------------------------------------------------------------------------------

ingest::IngestRequest BirthSubmit() {
  ingest::IngestRequest r;
  r.set_message_id("3f2b8c1e-6d0a-4b7e-9a51-2c9e0f7d4a10");
  r.set_action(v1::ACTION_SUBMIT);
  *r.mutable_birth_certificate() = t::BirthCertificate();
  return r;
}

using IngestRow = Row<ingest::IngestRequest>;
class IngestRequestTest : public ::testing::TestWithParam<IngestRow> {};

TEST_P(IngestRequestTest, NamesExactlyTheBrokenFields) {
  ingest::IngestRequest r = BirthSubmit();
  GetParam().change(r);
  ExpectRow(GetParam(), ValidateIngestRequest(r, TestContext()));
}

INSTANTIATE_TEST_SUITE_P(Validation, IngestRequestTest, ::testing::ValuesIn(std::vector<IngestRow>{
    {"birth_submit_is_valid", [](auto&) {}, {}},
    {"death_submit_is_valid", [](auto& r) { *r.mutable_death_notice() = t::DeathNotice(); }, {}},
    {"message_id_missing", [](auto& r) { r.clear_message_id(); }, {"message_id"}, "is required"},
    {"message_id_with_space", [](auto& r) { r.set_message_id("msg 1"); },
     {"message_id"}, "must be 1-64 characters from A-Z a-z 0-9 . _ : -"},
    {"message_id_with_slash", [](auto& r) { r.set_message_id("msg/1"); }, {"message_id"}},
    {"message_id_65_chars", [](auto& r) { r.set_message_id(std::string(65, 'a')); }, {"message_id"}},
    {"message_id_64_chars_with_punctuation_is_valid",
     [](auto& r) { r.set_message_id("urn:uuid:a.b_c-" + std::string(49, '9')); }, {}},
    {"action_unspecified", [](auto& r) { r.clear_action(); }, {"action"}, "is required"},
    {"action_unknown_number", [](auto& r) { r.set_action(static_cast<v1::Action>(9)); },
     {"action"}, "unknown value 9"},
    {"amend_without_reason", [](auto& r) { r.set_action(v1::ACTION_AMEND); },
     {"reason"}, "is required for ACTION_AMEND"},
    {"amend_with_reason_is_valid",
     [](auto& r) {
       r.set_action(v1::ACTION_AMEND);
       r.set_reason("sai cân nặng");
     },
     {}},
    {"void_without_reason", [](auto& r) { r.set_action(v1::ACTION_VOID); },
     {"reason"}, "is required for ACTION_VOID"},
    {"submit_reason_1001_bytes", [](auto& r) { r.set_reason(k1001); }, {"reason"}},
    {"trace_id_valid", [](auto& r) { r.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736"); }, {}},
    {"trace_id_uppercase", [](auto& r) { r.set_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736"); },
     {"trace_id"}, "must be 32 lower-case hex characters, not all zero"},
    {"trace_id_all_zero", [](auto& r) { r.set_trace_id(std::string(32, '0')); }, {"trace_id"}},
    {"trace_id_31_chars", [](auto& r) { r.set_trace_id(std::string(31, 'a')); }, {"trace_id"}},
    {"no_record", [](auto& r) { r.clear_record(); },
     {"record"}, "one of birth_certificate or death_notice is required"},
    {"record_fields_are_prefixed",
     [](auto& r) { r.mutable_birth_certificate()->mutable_mother()->mutable_personal_id()->set_number("1"); },
     {"birth_certificate.mother.personal_id.number"}},
    {"death_record_fields_are_prefixed",
     [](auto& r) {
       *r.mutable_death_notice() = t::DeathNotice();
       r.mutable_death_notice()->mutable_cause_of_death()->mutable_chain(1)->set_icd10_code("I2");
     },
     {"death_notice.cause_of_death.chain[1].icd10_code"}},
    {"void_with_only_key_is_valid",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.set_reason("issued in error");
       v1::BirthCertificate key_only;
       *key_only.mutable_key() = r.birth_certificate().key();
       *r.mutable_birth_certificate() = key_only;
     },
     {}},
    {"void_ignores_fields_other_than_key",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.set_reason("issued in error");
       r.mutable_birth_certificate()->mutable_child()->set_weight_grams(1);
     },
     {}},
    {"void_without_key",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.set_reason("issued in error");
       r.mutable_birth_certificate()->clear_key();
     },
     {"birth_certificate.key"}},
    {"void_with_bad_key",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.set_reason("issued in error");
       *r.mutable_death_notice() = t::DeathNotice();
       r.mutable_death_notice()->mutable_key()->clear_notice_no();
     },
     {"death_notice.key.notice_no"}},
    {"several_request_faults",
     [](auto& r) {
       r.clear_message_id();
       r.set_action(v1::ACTION_AMEND);
       r.mutable_birth_certificate()->mutable_child()->set_plurality(0);
     },
     {"message_id", "reason", "birth_certificate.child.plurality"}},
}), RowName<ingest::IngestRequest>);

ingest::CourtIngestRequest DecisionSubmit() {
  ingest::CourtIngestRequest r;
  r.set_sequence(17);
  r.set_message_id("TA79001-000017");
  r.set_action(v1::ACTION_SUBMIT);
  *r.mutable_decision() = t::DivorceDecision();
  return r;
}

using CourtRow = Row<ingest::CourtIngestRequest>;
class CourtIngestRequestTest : public ::testing::TestWithParam<CourtRow> {};

TEST_P(CourtIngestRequestTest, NamesExactlyTheBrokenFields) {
  ingest::CourtIngestRequest r = DecisionSubmit();
  GetParam().change(r);
  ExpectRow(GetParam(), ValidateCourtIngestRequest(r, TestContext()));
}

INSTANTIATE_TEST_SUITE_P(Validation, CourtIngestRequestTest, ::testing::ValuesIn(std::vector<CourtRow>{
    {"submit_is_valid", [](auto&) {}, {}},
    {"sequence_zero_is_valid_for_submit", [](auto& r) { r.clear_sequence(); }, {}},
    {"message_id_missing", [](auto& r) { r.clear_message_id(); }, {"message_id"}},
    {"message_id_bad_chars", [](auto& r) { r.set_message_id("TA79001#17"); }, {"message_id"}},
    {"action_unspecified", [](auto& r) { r.clear_action(); }, {"action"}},
    {"amend_without_reason", [](auto& r) { r.set_action(v1::ACTION_AMEND); }, {"reason"}},
    {"amend_taking_effect_is_valid",
     [](auto& r) {
       r.set_action(v1::ACTION_AMEND);
       r.set_reason("took legal effect");
     },
     {}},
    {"trace_id_bad", [](auto& r) { r.set_trace_id("xyz"); }, {"trace_id"}},
    {"no_decision", [](auto& r) { r.clear_decision(); }, {"decision"}, "is required"},
    {"decision_fields_are_prefixed", [](auto& r) { *r.mutable_decision()->mutable_legal_effect_date() = t::Date(2026, 9, 1); },
     {"decision.legal_effect_date"}},
    {"void_with_only_key_is_valid",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.set_reason("entered in error");
       v1::DivorceDecision key_only;
       *key_only.mutable_key() = r.decision().key();
       *r.mutable_decision() = key_only;
     },
     {}},
    {"void_without_reason_or_key",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.mutable_decision()->clear_key();
     },
     {"reason", "decision.key"}},
}), RowName<ingest::CourtIngestRequest>);

// ---------------------------------------------------------------------------------------------
// Registry requests
// ---------------------------------------------------------------------------------------------

registry::RecordRegistrationRequest RegistrationSubmit() {
  registry::RecordRegistrationRequest r;
  r.set_message_id("26734-2026-000123");
  r.set_action(v1::ACTION_SUBMIT);
  *r.mutable_registration() = BirthRegistration();
  return r;
}

using RecordRegistrationRow = Row<registry::RecordRegistrationRequest>;
class RecordRegistrationRequestTest : public ::testing::TestWithParam<RecordRegistrationRow> {};

TEST_P(RecordRegistrationRequestTest, NamesExactlyTheBrokenFields) {
  registry::RecordRegistrationRequest r = RegistrationSubmit();
  GetParam().change(r);
  ExpectRow(GetParam(), ValidateRecordRegistrationRequest(r, TestContext()));
}

INSTANTIATE_TEST_SUITE_P(Validation, RecordRegistrationRequestTest, ::testing::ValuesIn(std::vector<RecordRegistrationRow>{
    {"submit_is_valid", [](auto&) {}, {}},
    {"death_registration_submit_is_valid", [](auto& r) { *r.mutable_registration() = DeathRegistration(); }, {}},
    {"message_id_missing", [](auto& r) { r.clear_message_id(); }, {"message_id"}, "is required"},
    {"message_id_with_slash", [](auto& r) { r.set_message_id("26734/123"); },
     {"message_id"}, "must be 1-64 characters from A-Z a-z 0-9 . _ : -"},
    {"message_id_65_chars", [](auto& r) { r.set_message_id(std::string(65, '7')); }, {"message_id"}},
    {"action_unspecified", [](auto& r) { r.clear_action(); }, {"action"}, "is required"},
    {"action_unknown_number", [](auto& r) { r.set_action(static_cast<v1::Action>(4)); },
     {"action"}, "unknown value 4"},
    {"amend_without_reason", [](auto& r) { r.set_action(v1::ACTION_AMEND); },
     {"reason"}, "is required for ACTION_AMEND"},
    {"amend_with_reason_is_valid",
     [](auto& r) {
       r.set_action(v1::ACTION_AMEND);
       r.set_reason("sửa tên cha");
     },
     {}},
    {"submit_reason_1001_bytes", [](auto& r) { r.set_reason(k1001); }, {"reason"}},
    {"registration_missing", [](auto& r) { r.clear_registration(); }, {"registration"}, "is required"},
    {"registration_fields_are_prefixed",
     [](auto& r) { r.mutable_registration()->mutable_subject()->mutable_personal_id()->set_number("079226"); },
     {"registration.subject.personal_id.number"}, "must be 12 digits"},
    {"void_with_only_key_is_valid",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.set_reason("ghi nhầm");
       v1::Registration key_only;
       *key_only.mutable_key() = r.registration().key();
       *r.mutable_registration() = key_only;
     },
     {}},
    {"void_ignores_fields_other_than_key",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.set_reason("ghi nhầm");
       r.mutable_registration()->clear_registrar();
       *r.mutable_registration()->mutable_recorded_at() = t::At("2027-01-01T00:00:00Z");
     },
     {}},
    {"void_without_reason_or_key",
     [](auto& r) {
       r.set_action(v1::ACTION_VOID);
       r.mutable_registration()->clear_key();
     },
     {"reason", "registration.key"}},
    {"every_fault_in_one_list",
     [](auto& r) {
       r.set_message_id("a b");
       r.set_action(v1::ACTION_AMEND);
       r.mutable_registration()->mutable_key()->set_registry_office_code("2673");
       r.mutable_registration()->mutable_subject()->mutable_personal_id()->set_number("079226001111x");
       r.mutable_registration()->clear_registrar();
     },
     {"message_id", "reason", "registration.key.registry_office_code",
      "registration.subject.personal_id.number", "registration.registrar.full_name"}},
}), RowName<registry::RecordRegistrationRequest>);

using GetRecordRow = Row<registry::GetRecordRequest>;
class GetRecordRequestTest : public ::testing::TestWithParam<GetRecordRow> {};

TEST_P(GetRecordRequestTest, NamesExactlyTheBrokenFields) {
  registry::GetRecordRequest r;
  r.set_business_key("death/BV01002/GBT-2026-000045");
  GetParam().change(r);
  ExpectRow(GetParam(), ValidateGetRecordRequest(r));
}

INSTANTIATE_TEST_SUITE_P(Validation, GetRecordRequestTest, ::testing::ValuesIn(std::vector<GetRecordRow>{
    {"death_key_is_valid", [](auto&) {}, {}},
    {"birth_key_is_valid", [](auto& r) { r.set_business_key("birth/BV79001/GCS-2026-000123"); }, {}},
    {"registration_key_with_escaped_slash_is_valid",
     [](auto& r) { r.set_business_key("registration/26734/01%2F2026/123"); }, {}},
    {"divorce_key_with_escaped_percent_and_slash_is_valid",
     [](auto& r) { r.set_business_key("divorce/TA79001/125%2F2026%2FQĐST-HNGĐ%25"); }, {}},
    {"empty", [](auto& r) { r.clear_business_key(); }, {"business_key"}, "is required"},
    {"unknown_kind", [](auto& r) { r.set_business_key("marriage/26734/1"); }, {"business_key"},
     "must be birth/<facility_code>/<certificate_no>, death/<facility_code>/<notice_no>, "
     "divorce/<court_code>/<decision_no> or registration/<registry_office_code>/<book>/"
     "<registration_no>"},
    {"death_key_with_three_components", [](auto& r) { r.set_business_key("death/BV01002/GBT/1"); },
     {"business_key"}},
    {"registration_key_with_two_components", [](auto& r) { r.set_business_key("registration/26734/123"); },
     {"business_key"}},
    {"unescaped_percent", [](auto& r) { r.set_business_key("death/BV01002/GBT%1"); },
     {"business_key"}, "component 3: '%' may only start the escapes %25 ('%') and %2F ('/')"},
    {"lower_case_escape", [](auto& r) { r.set_business_key("registration/26734/01%2f2026/123"); },
     {"business_key"}},
    {"empty_component", [](auto& r) { r.set_business_key("death//GBT-1"); },
     {"business_key"}, "facility_code is required"},
    {"bad_office_code", [](auto& r) { r.set_business_key("registration/2673/01/123"); },
     {"business_key"}, "registry_office_code must be 5 digits"},
    {"component_with_leading_space", [](auto& r) { r.set_business_key("birth/BV79001/ GCS-1"); },
     {"business_key"}, "certificate_no must not start or end with whitespace"},
}), RowName<registry::GetRecordRequest>);

using PersonStatusRow = Row<registry::GetPersonStatusRequest>;
class GetPersonStatusRequestTest : public ::testing::TestWithParam<PersonStatusRow> {};

TEST_P(GetPersonStatusRequestTest, NamesExactlyTheBrokenFields) {
  registry::GetPersonStatusRequest r;
  r.mutable_personal_id()->set_number("001052003456");
  GetParam().change(r);
  ExpectRow(GetParam(), ValidateGetPersonStatusRequest(r, TestContext()));
}

INSTANTIATE_TEST_SUITE_P(Validation, GetPersonStatusRequestTest, ::testing::ValuesIn(std::vector<PersonStatusRow>{
    {"valid", [](auto&) {}, {}},
    {"personal_id_missing", [](auto& r) { r.clear_personal_id(); }, {"personal_id.number"}, "is required"},
    {"number_empty", [](auto& r) { r.mutable_personal_id()->clear_number(); }, {"personal_id.number"}},
    {"eleven_digits", [](auto& r) { r.mutable_personal_id()->set_number("00105200345"); },
     {"personal_id.number"}, "must be 12 digits"},
    {"with_a_letter", [](auto& r) { r.mutable_personal_id()->set_number("00105200345A"); },
     {"personal_id.number"}},
    {"unknown_prefix", [](auto& r) { r.mutable_personal_id()->set_number("999052003456"); },
     {"personal_id.number"}, "digits 1-3 (999) are not a province id prefix"},
    {"century_digit_6", [](auto& r) { r.mutable_personal_id()->set_number("001652003456"); },
     {"personal_id.number"}, "digit 4 must be 0-5 (century and sex of birth)"},
}), RowName<registry::GetPersonStatusRequest>);

using ListRecordsRow = Row<registry::ListRecordsRequest>;
class ListRecordsRequestTest : public ::testing::TestWithParam<ListRecordsRow> {};

TEST_P(ListRecordsRequestTest, NamesExactlyTheBrokenFields) {
  registry::ListRecordsRequest r;
  r.mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  r.mutable_source()->set_code("BV79001");
  r.set_kind(v1::RECORD_KIND_BIRTH_CERTIFICATE);
  *r.mutable_issued_from() = t::At("2026-10-01T00:00:00Z");
  *r.mutable_issued_to() = t::At("2026-11-01T00:00:00Z");
  r.set_page_size(50);
  GetParam().change(r);
  ExpectRow(GetParam(), ValidateListRecordsRequest(r));
}

INSTANTIATE_TEST_SUITE_P(Validation, ListRecordsRequestTest, ::testing::ValuesIn(std::vector<ListRecordsRow>{
    {"valid", [](auto&) {}, {}},
    {"no_filters_is_valid", [](auto& r) { r.Clear(); }, {}},
    {"issued_to_in_the_future_is_valid", [](auto& r) { *r.mutable_issued_to() = t::At("2099-01-01T00:00:00Z"); }, {}},
    {"page_size_1000_is_valid", [](auto& r) { r.set_page_size(1000); }, {}},
    {"system_source_is_valid",
     [](auto& r) {
       r.mutable_source()->set_kind(common::PRINCIPAL_KIND_SYSTEM);
       r.mutable_source()->set_code("court-source");
     },
     {}},
    {"source_kind_missing", [](auto& r) { r.mutable_source()->clear_kind(); }, {"source.kind"}, "is required"},
    {"source_kind_unknown", [](auto& r) { r.mutable_source()->set_kind(static_cast<common::PrincipalKind>(9)); },
     {"source.kind"}, "unknown value 9"},
    {"source_code_missing", [](auto& r) { r.mutable_source()->clear_code(); }, {"source.code"}, "is required"},
    {"source_code_with_colon", [](auto& r) { r.mutable_source()->set_code("BV:1"); },
     {"source.code"}, "must be 1-64 characters from A-Z a-z 0-9 . _ -"},
    {"kind_unknown", [](auto& r) { r.set_kind(static_cast<v1::RecordKind>(7)); }, {"kind"}, "unknown value 7"},
    {"issued_from_nanos_out_of_range", [](auto& r) { r.mutable_issued_from()->set_nanos(-1); },
     {"issued_from"}, "is not a valid timestamp"},
    {"issued_to_equal_to_issued_from", [](auto& r) { *r.mutable_issued_to() = r.issued_from(); },
     {"issued_to"}, "must be after issued_from"},
    {"issued_to_before_issued_from", [](auto& r) { *r.mutable_issued_to() = t::At("2026-09-01T00:00:00Z"); },
     {"issued_to"}},
    {"page_size_negative", [](auto& r) { r.set_page_size(-1); },
     {"page_size"}, "must be 1..1000 (or 0 for 100), got -1"},
    {"page_size_1001", [](auto& r) { r.set_page_size(1001); }, {"page_size"}},
    {"every_fault_in_one_list",
     [](auto& r) {
       r.mutable_source()->clear_code();
       r.set_kind(static_cast<v1::RecordKind>(7));
       *r.mutable_issued_to() = t::At("2026-09-01T00:00:00Z");
       r.set_page_size(5000);
     },
     {"source.code", "kind", "issued_to", "page_size"}},
}), RowName<registry::ListRecordsRequest>);

}  // namespace
}  // namespace crvs::validation
