#include "services/validation/field_checks.h"

#include "services/platform/text.h"

#include <cstdlib>
#include <utility>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/time/clock.h>

namespace crvs::validation {

namespace common = ::crvs::common::v1;

namespace {

bool IsAsciiDigits(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsUpperAlnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Vietnam keeps UTC+07:00 all year.
const absl::TimeZone& VietnamZone() {
  static const absl::TimeZone zone = absl::FixedTimeZone(7 * 60 * 60);
  return zone;
}

}  // namespace

bool IsIcd10Code(std::string_view code) {
  if (code.size() != 3 && code.size() != 5 && code.size() != 6) return false;
  if (code[0] < 'A' || code[0] > 'Z' || !IsAsciiDigits(code.substr(1, 2), 2)) return false;
  if (code.size() == 3) return true;
  if (code[3] != '.') return false;
  for (char c : code.substr(4)) {
    if (!IsUpperAlnum(c)) return false;
  }
  return true;
}

bool IsCertifiedCauseCode(std::string_view code) { return IsIcd10Code(code) && code[0] != 'R'; }

bool IsCommuneCode(std::string_view code) { return IsAsciiDigits(code, 5); }

bool IsFacilityOrCourtCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 16) return false;
  for (char c : code) {
    if (!IsUpperAlnum(c)) return false;
  }
  return true;
}

namespace internal {
namespace {

// ValidatePersonalId with the sex the ID is checked against: the person's own, except for a
// mother whose sex is unspecified (taken as female, per the contract).
void CheckPersonalId(const common::Person& person, common::Sex sex, const Context& ctx,
                     const std::string& path, bool required, Violations* out) {
  const std::string field = Join(path, "personal_id.number");
  if (!person.has_personal_id() || person.personal_id().number().empty()) {
    // An empty PersonalId message is as good as none, but the contract makes the number
    // REQUIRED once the message is present.
    if (required || person.has_personal_id()) Add(out, field, "is required");
    return;
  }
  const std::string& number = person.personal_id().number();
  if (!IsAsciiDigits(number, 12)) {
    Add(out, field, "must be 12 digits");
    return;
  }
  if (!ctx.reference->IsIdPrefix(number.substr(0, 3))) {
    Add(out, field,
        absl::StrCat("digits 1-3 (", number.substr(0, 3), ") are not a province id prefix"));
  }
  const int century_sex = number[3] - '0';
  if (century_sex > 5) {
    Add(out, field, "digit 4 must be 0-5 (century and sex of birth)");
    return;
  }
  const bool id_female = century_sex % 2 == 1;
  if (sex == common::SEX_MALE || sex == common::SEX_FEMALE) {
    const bool female = sex == common::SEX_FEMALE;
    if (id_female != female) {
      const std::string sex_said = person.sex() == sex
                                       ? absl::StrCat("sex is ", common::Sex_Name(sex))
                                       : "the mother is taken as female (sex unspecified)";
      Add(out, field,
          absl::StrCat("digit 4 says ", id_female ? "female" : "male", " but ", sex_said));
    }
  }
  if (person.has_date_of_birth() && IsValidDate(person.date_of_birth())) {
    const int id_year = 1900 + (century_sex / 2) * 100 + std::stoi(number.substr(4, 2));
    const int year = person.date_of_birth().year();
    if (id_year != year) {
      Add(out, field,
          absl::StrCat("digits 4-6 say born in ", id_year, " but date_of_birth is in ", year));
    }
  }
}

}  // namespace

std::string Join(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", std::string(name));
}

std::string Join(const std::string& path, std::string_view name, int index) {
  return absl::StrCat(Join(path, name), "[", index, "]");
}

void Add(Violations* out, std::string field, std::string description) {
  out->push_back(FieldViolation{std::move(field), std::move(description)});
}

void CheckTextAndKnownFields(const google::protobuf::Message& message, const std::string& path,
                             Violations* out) {
  using google::protobuf::FieldDescriptor;
  const auto* reflection = message.GetReflection();
  const auto& unknown = reflection->GetUnknownFields(message);
  for (int i = 0; i < unknown.field_count(); ++i) {
    Add(out, path.empty() ? "(request)" : path,
        absl::StrCat("has field number ", unknown.field(i).number(), ", unknown to ",
                     message.GetDescriptor()->full_name(), ": remove it"));
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* f : fields) {
    const bool free_text = f->name() == "reason" || f->name() == "description" ||
                           f->name() == "note";
    auto check = [&](const std::string& value, const std::string& field) {
      std::string why = text::Unacceptable(value, free_text);
      if (why.empty()) return;
      for (const auto& v : *out) {
        if (v.field == field) return;  // a field-specific check already named it
      }
      Add(out, field, "must be text: " + why);
    };
    if (f->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, f); ++i) {
        const std::string field = Join(path, f->name(), i);
        if (f->type() == FieldDescriptor::TYPE_STRING) {
          check(reflection->GetRepeatedString(message, f, i), field);
        } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          CheckTextAndKnownFields(reflection->GetRepeatedMessage(message, f, i), field, out);
        }
      }
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      check(reflection->GetString(message, f), Join(path, f->name()));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      CheckTextAndKnownFields(reflection->GetMessage(message, f), Join(path, f->name()), out);
    }
  }
}

void CheckText(const std::string& value, const std::string& field, size_t max_bytes,
               bool required, Violations* out) {
  if (value.empty()) {
    if (required) Add(out, field, "is required");
  } else if (value.size() > max_bytes) {
    Add(out, field, absl::StrCat("must be at most ", max_bytes, " bytes (got ", value.size(), ")"));
  }
}

void CheckRecordNumber(const std::string& value, const std::string& field, Violations* out) {
  CheckText(value, field, kMaxRecordNumberBytes, /*required=*/true, out);
  if (value.empty() || value.size() > kMaxRecordNumberBytes) return;
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      Add(out, field, "must not contain control characters");
      return;
    }
  }
  if (value.front() == ' ' || value.back() == ' ') {
    Add(out, field, "must not start or end with whitespace");
  }
}

void CheckFacilityOrCourtCode(const std::string& value, const std::string& field,
                              Violations* out) {
  if (value.empty()) {
    Add(out, field, "is required");
  } else if (!IsFacilityOrCourtCode(value)) {
    Add(out, field, "must be 2-16 uppercase ASCII letters or digits");
  }
}

void CheckCommuneCode(const std::string& value, const std::string& field, bool required,
                      Violations* out) {
  if (value.empty()) {
    if (required) Add(out, field, "is required");
  } else if (!IsCommuneCode(value)) {
    Add(out, field, "must be 5 digits");
  } else if (value == "00000") {
    Add(out, field, "00000 is not a commune (the national register has no such unit)");
  }
}

void CheckProvinceCode(const std::string& value, const std::string& field, const Context& ctx,
                       Violations* out) {
  if (value.empty()) return;  // optional: derived from the commune code
  if (!IsAsciiDigits(value, 2)) {
    Add(out, field, "must be 2 digits");
  } else if (!ctx.reference->IsProvinceCode(value)) {
    Add(out, field, absl::StrCat(value, " is not a province code (34-province list since 2025-07-01)"));
  }
}

void CheckMessageId(const std::string& value, const std::string& field, Violations* out) {
  if (value.empty()) {
    Add(out, field, "is required");
    return;
  }
  bool ok = value.size() <= 64;
  for (char c : value) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                c == ':' || c == '-');
  }
  if (!ok) Add(out, field, "must be 1-64 characters from A-Z a-z 0-9 . _ : -");
}

void CheckTraceId(const std::string& value, const std::string& field, Violations* out) {
  if (value.empty()) return;  // optional: the gateway generates one
  bool ok = value.size() == 32 && value != std::string(32, '0');
  for (char c : value) {
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  if (!ok) Add(out, field, "must be 32 lower-case hex characters, not all zero");
}

bool IsValidDate(const common::LocalDate& date) {
  if (date.year() < 1 || date.year() > 9999 || date.month() < 1 || date.month() > 12 ||
      date.day() < 1 || date.day() > 31) {
    return false;
  }
  // CivilDay normalises out-of-range days (Feb 30 → Mar 2); a real date survives unchanged.
  const absl::CivilDay day(date.year(), date.month(), date.day());
  return day.month() == date.month() && day.day() == date.day();
}

absl::CivilDay DayOf(const common::LocalDate& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

std::string FormatDate(const common::LocalDate& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string FormatUtcOffset(int minutes) {
  return absl::StrFormat("%c%02d:%02d", minutes < 0 ? '-' : '+', std::abs(minutes) / 60,
                         std::abs(minutes) % 60);
}

std::string FormatInstant(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::CivilDay TodayInVietnam(const Context& ctx) {
  return VietnamDay(ctx.now + kClockSkewAllowance);
}

absl::CivilDay VietnamDay(absl::Time t) { return absl::ToCivilDay(t, VietnamZone()); }

std::optional<absl::CivilDay> CheckDate(bool present, const common::LocalDate& date,
                                        const std::string& field, bool required,
                                        const Context& ctx, Violations* out) {
  if (!present) {
    if (required) Add(out, field, "is required");
    return std::nullopt;
  }
  if (!IsValidDate(date)) {
    Add(out, field, absl::StrCat(FormatDate(date), " is not a valid date"));
    return std::nullopt;
  }
  const absl::CivilDay day = DayOf(date);
  if (day > TodayInVietnam(ctx)) {
    Add(out, field, absl::StrCat(FormatDay(day), " is in the future"));
    return std::nullopt;
  }
  return day;
}

std::optional<absl::Time> CheckTimestamp(bool present, const google::protobuf::Timestamp& ts,
                                         const std::string& field, bool required,
                                         const Context& ctx, Violations* out) {
  if (!present) {
    if (required) Add(out, field, "is required");
    return std::nullopt;
  }
  // The range google.protobuf.Timestamp allows: 0001-01-01 to 9999-12-31.
  if (ts.seconds() < -62135596800LL || ts.seconds() > 253402300799LL || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    Add(out, field, "is not a valid timestamp");
    return std::nullopt;
  }
  const absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  if (t > ctx.now + kClockSkewAllowance) {
    Add(out, field, absl::StrCat(FormatInstant(t), " is in the future"));
    return std::nullopt;
  }
  return t;
}

std::optional<EventTime> CheckEventTime(bool present, const common::DateTime& dt,
                                        const std::string& field, const Context& ctx,
                                        Violations* out) {
  if (!present) {
    Add(out, field, "is required");
    return std::nullopt;
  }
  // A client sets born_at / died_at as one value: its violations name that field, and the
  // description says which part is wrong ("instant is required"), as a form would show it.
  Violations parts;
  auto instant = CheckTimestamp(dt.has_instant(), dt.instant(), "instant", true, ctx, &parts);
  const int offset = dt.utc_offset_minutes();
  if (offset < -720 || offset > 840) {
    Add(&parts, "utc_offset_minutes",
        absl::StrCat("must be -720..840 minutes (Vietnam is ", kVietnamUtcOffset, "), got ", offset));
  }
  for (const FieldViolation& v : parts) Add(out, field, absl::StrCat(v.field, " ", v.description));
  if (!parts.empty()) return std::nullopt;
  if (!instant) return std::nullopt;
  return EventTime{*instant, absl::ToCivilDay(*instant, absl::FixedTimeZone(offset * 60)), offset};
}

std::optional<absl::CivilDay> CheckPerson(const common::Person& person, const Context& ctx,
                                          const std::string& path, const PersonRole& role,
                                          Violations* out) {
  CheckText(person.full_name(), Join(path, "full_name"), kMaxNameBytes, role.name_required, out);

  common::Sex id_sex = person.sex();
  const std::string sex_field = Join(path, "sex");
  if (!common::Sex_IsValid(person.sex())) {
    Add(out, sex_field, absl::StrCat("unknown value ", person.sex()));
    id_sex = common::SEX_UNSPECIFIED;
  } else if (role.is_mother) {
    if (person.sex() == common::SEX_UNSPECIFIED) {
      id_sex = common::SEX_FEMALE;
    } else if (person.sex() != common::SEX_FEMALE) {
      Add(out, sex_field, "must be SEX_FEMALE or SEX_UNSPECIFIED for the mother");
      id_sex = common::SEX_UNSPECIFIED;  // the sex is the error; do not blame the ID as well
    }
  } else if (role.sex_required && person.sex() == common::SEX_UNSPECIFIED) {
    Add(out, sex_field, "is required");
  }

  auto dob = CheckDate(person.has_date_of_birth(), person.date_of_birth(),
                       Join(path, "date_of_birth"), role.dob_required, ctx, out);
  CheckText(person.ethnicity(), Join(path, "ethnicity"), kMaxEthnicityBytes, false, out);

  const std::string residence = Join(path, "residence");
  if (person.has_residence()) {
    CheckCommuneCode(person.residence().commune_code(), Join(residence, "commune_code"), true,
                     out);
    CheckProvinceCode(person.residence().province_code(), Join(residence, "province_code"), ctx,
                      out);
    // Whether the commune lies in that province is not checked: the reference data has no
    // commune -> province table yet (README.md, "Not checked, and why").
  } else if (role.commune_required) {
    Add(out, Join(residence, "commune_code"), "is required");
  }

  CheckPersonalId(person, id_sex, ctx, path, role.id_required, out);
  return dob;
}

void CheckOfficer(bool present, const common::Officer& officer, const std::string& path,
                  bool required, Violations* out) {
  if (!present) {
    if (required) Add(out, Join(path, "full_name"), "is required");
    return;
  }
  CheckText(officer.full_name(), Join(path, "full_name"), kMaxNameBytes, true, out);
  CheckText(officer.title(), Join(path, "title"), kMaxNameBytes, false, out);
}

void CheckFacilityRef(bool present, const common::FacilityRef& facility,
                      const std::string& path, bool required, Violations* out) {
  if (!present) {
    if (required) Add(out, path, "is required");
    return;
  }
  CheckFacilityOrCourtCode(facility.facility_code(), Join(path, "facility_code"), out);
  CheckText(facility.name(), Join(path, "name"), kMaxNameBytes, false, out);
}

bool SamePersonalId(const common::Person& a, const common::Person& b) {
  const std::string& x = a.personal_id().number();
  return IsAsciiDigits(x, 12) && x == b.personal_id().number();
}

}  // namespace internal

void ValidatePersonalId(const common::Person& person, const Context& ctx,
                        const std::string& path, bool required, std::vector<FieldViolation>* out) {
  internal::CheckPersonalId(person, person.sex(), ctx, path, required, out);
}

}  // namespace crvs::validation
