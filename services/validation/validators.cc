#include "services/validation/validators.h"

#include <utility>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/time.h>

#include "services/platform/text.h"
#include "services/validation/field_checks.h"

namespace crvs::validation {

namespace common = ::crvs::common::v1;
namespace ingest = ::crvs::ingest::v1;
namespace registry = ::crvs::registry::v1;
namespace v1 = ::crvs::records::v1;

using internal::Add;
using internal::CheckDate;
using internal::CheckEventTime;
using internal::CheckFacilityOrCourtCode;
using internal::CheckFacilityRef;
using internal::CheckOfficer;
using internal::CheckPerson;
using internal::CheckRecordNumber;
using internal::CheckText;
using internal::CheckTimestamp;
using internal::FormatDay;
using internal::FormatInstant;
using internal::FormatUtcOffset;
using internal::Join;
using internal::kMaxFreeTextBytes;
using internal::kMaxNameBytes;
using internal::PersonRole;
using internal::Violations;

namespace {

constexpr int kMaxCauseLines = 8;
constexpr int kMaxOtherPersons = 4;
constexpr size_t kMaxIntervalBytes = 100;
constexpr size_t kMaxMarriageRefBytes = 64;
// Divorces effective up to this day are the historical backlog, whose court files may lack
// the spouses' personal IDs.
constexpr absl::CivilDay kLastBacklogDay(2025, 12, 31);

void Append(Violations* out, Violations more) {
  for (auto& v : more) out->push_back(std::move(v));
}

// Enum fields: 0 is "not set"; numbers the contract does not define (proto3 keeps them) are
// named as such rather than passed on.
template <class IsValid>
void CheckEnum(int value, IsValid is_valid, const std::string& field, bool required,
               Violations* out) {
  if (!is_valid(value)) {
    Add(out, field, absl::StrCat("unknown value ", value));
  } else if (required && value == 0) {
    Add(out, field, "is required");
  }
}

// --- keys --------------------------------------------------------------------------------

void CheckKey(bool present, const v1::BirthCertificateKey& key, const std::string& path,
              Violations* out) {
  if (!present) return Add(out, path, "is required");
  CheckFacilityOrCourtCode(key.facility_code(), Join(path, "facility_code"), out);
  CheckRecordNumber(key.certificate_no(), Join(path, "certificate_no"), out);
}

void CheckKey(bool present, const v1::DeathNoticeKey& key, const std::string& path,
              Violations* out) {
  if (!present) return Add(out, path, "is required");
  CheckFacilityOrCourtCode(key.facility_code(), Join(path, "facility_code"), out);
  CheckRecordNumber(key.notice_no(), Join(path, "notice_no"), out);
}

void CheckKey(bool present, const v1::DivorceDecisionKey& key, const std::string& path,
              Violations* out) {
  if (!present) return Add(out, path, "is required");
  CheckFacilityOrCourtCode(key.court_code(), Join(path, "court_code"), out);
  CheckRecordNumber(key.decision_no(), Join(path, "decision_no"), out);
}

void CheckKey(bool present, const v1::RegistrationKey& key, const std::string& path,
              Violations* out) {
  if (!present) return Add(out, path, "is required");
  internal::CheckCommuneCode(key.registry_office_code(), Join(path, "registry_office_code"),
                             true, out);
  CheckRecordNumber(key.book(), Join(path, "book"), out);
  CheckRecordNumber(key.registration_no(), Join(path, "registration_no"), out);
}

// --- birth certificate ---------------------------------------------------------------------

std::optional<internal::EventTime> CheckChild(const v1::Child& child, const Context& ctx,
                                              const std::string& path, Violations* out) {
  CheckText(child.full_name(), Join(path, "full_name"), kMaxNameBytes, false, out);
  CheckEnum(child.sex(), common::Sex_IsValid, Join(path, "sex"), true, out);
  auto born = CheckEventTime(child.has_born_at(), child.born_at(), Join(path, "born_at"), ctx, out);
  if (child.weight_grams() < 200 || child.weight_grams() > 9000) {
    Add(out, Join(path, "weight_grams"),
        child.weight_grams() == 0
            ? "is required"
            : absl::StrCat("must be 200..9000 grams, got ", child.weight_grams()));
  }
  const int weeks = child.gestational_weeks();
  if (weeks != 0 && (weeks < 20 || weeks > 46)) {
    Add(out, Join(path, "gestational_weeks"),
        absl::StrCat("must be 20..46 weeks (or 0 = not recorded), got ", weeks));
  }
  const int plurality = child.plurality();
  const bool plurality_ok = plurality >= 1 && plurality <= 9;
  if (!plurality_ok) {
    Add(out, Join(path, "plurality"),
        plurality == 0 ? "is required" : absl::StrCat("must be 1..9, got ", plurality));
  }
  const int order = child.birth_order();
  const int max_order = plurality_ok ? plurality : 9;
  if (order < 1 || order > max_order) {
    Add(out, Join(path, "birth_order"),
        order == 0 ? "is required"
        : plurality_ok
            ? absl::StrCat("must be 1..plurality (", plurality, "), got ", order)
            : absl::StrCat("must be 1..9, got ", order));
  }
  return born;
}

// When two dates disagree, the violation names the one more likely wrong (docs/api-guide.md,
// "When two dates disagree"): a document's own stamp (issued_at, a registration date), set by
// the issuing system or the book, is trusted over the event it certifies, which is entered by
// hand; and the event over a date its writer was told (a person's date of birth).

// The event certified must not come after the document certifying it. The commonest cause is a
// local wall-clock time sent as if it were UTC, which puts the event hours later than it was:
// when reading the instant as local time removes the conflict, the description says so.
void CheckEventBeforeIssue(const std::optional<internal::EventTime>& event,
                           std::optional<absl::Time> issued, const char* event_name,
                           const std::string& event_field, Violations* out) {
  if (!event || !issued || *issued >= event->instant) return;
  std::string description = absl::StrCat(event_name, " at ", FormatInstant(event->instant),
                                          " is after issued_at ", FormatInstant(*issued));
  const int offset =
      event->utc_offset_minutes != 0 ? event->utc_offset_minutes : internal::kVietnamUtcOffset;
  const absl::Time if_local = event->instant - absl::Minutes(offset);
  if (if_local <= *issued) {
    absl::StrAppend(&description, "; the instant must be UTC: if ",
                    absl::FormatTime("%H:%M", event->instant, absl::UTCTimeZone()),
                    " was the local time (UTC", FormatUtcOffset(offset), "), send ",
                    FormatInstant(if_local));
  }
  Add(out, event_field, std::move(description));
}

// A parent's date of birth must come before the child's.
void CheckParentBornBefore(std::optional<absl::CivilDay> dob,
                           const std::optional<internal::EventTime>& born,
                           const std::string& person_path, Violations* out) {
  if (dob && born && *dob >= born->local_day) {
    Add(out, Join(person_path, "date_of_birth"),
        absl::StrCat("date of birth ", FormatDay(*dob), " must be before the child's birth on ",
                     FormatDay(born->local_day)));
  }
}

// --- death notice --------------------------------------------------------------------------

void CheckCauseOfDeath(const v1::CauseOfDeath& cause, const std::string& path, Violations* out) {
  const std::string chain = Join(path, "chain");
  if (cause.chain_size() == 0) return Add(out, chain, "must have at least one line");
  if (cause.chain_size() > kMaxCauseLines) {
    Add(out, chain,
        absl::StrCat("must have at most ", kMaxCauseLines, " lines, got ", cause.chain_size()));
  }
  int underlying = -1;
  for (int i = 0; i < cause.chain_size(); ++i) {
    const v1::CauseLine& line = cause.chain(i);
    const std::string line_path = Join(path, "chain", i);
    CheckEnum(line.role(), v1::CauseRole_IsValid, Join(line_path, "role"), true, out);
    if (line.role() == v1::CAUSE_ROLE_UNDERLYING) {
      if (underlying >= 0) {
        Add(out, Join(line_path, "role"),
            absl::StrCat("only one line may be CAUSE_ROLE_UNDERLYING (chain[", underlying,
                         "] already is)"));
      } else {
        underlying = i;
      }
    }
    CheckText(line.description(), Join(line_path, "description"), kMaxFreeTextBytes, true, out);
    if (!line.icd10_code().empty() && !IsIcd10Code(line.icd10_code())) {
      Add(out, Join(line_path, "icd10_code"),
          "must be an ICD-10 code: a capital letter, two digits, optionally '.' and 1-2 capital "
          "letters or digits (e.g. I21.9)");
    }
    CheckText(line.interval(), Join(line_path, "interval"), kMaxIntervalBytes, false, out);
  }
}

// --- registration --------------------------------------------------------------------------

// The record kind a registration of `kind` may be linked to.
v1::Registration::LinkedCase LinkFor(v1::RegistrationKind kind) {
  switch (kind) {
    case v1::REGISTRATION_KIND_BIRTH:
      return v1::Registration::kBirthCertificate;
    case v1::REGISTRATION_KIND_DEATH:
      return v1::Registration::kDeathNotice;
    case v1::REGISTRATION_KIND_DIVORCE_NOTED:
      return v1::Registration::kDivorceDecision;
    default:
      return v1::Registration::LINKED_NOT_SET;
  }
}

std::string_view LinkName(v1::Registration::LinkedCase link) {
  switch (link) {
    case v1::Registration::kBirthCertificate:
      return "birth_certificate";
    case v1::Registration::kDeathNotice:
      return "death_notice";
    case v1::Registration::kDivorceDecision:
      return "divorce_decision";
    default:
      return "";
  }
}

void CheckLinked(const v1::Registration& r, const std::string& path, Violations* out) {
  const auto link = r.linked_case();
  const auto expected = LinkFor(r.kind());
  if (link == v1::Registration::LINKED_NOT_SET) {
    if (r.kind() == v1::REGISTRATION_KIND_DIVORCE_NOTED) {
      Add(out, Join(path, "divorce_decision"), "is required for REGISTRATION_KIND_DIVORCE_NOTED");
    }
    return;
  }
  const std::string field = Join(path, LinkName(link));
  if (expected != v1::Registration::LINKED_NOT_SET && link != expected) {
    Add(out, field,
        absl::StrCat("does not match kind ", v1::RegistrationKind_Name(r.kind()), " (expected ",
                     std::string(LinkName(expected)), ")"));
  }
  switch (link) {
    case v1::Registration::kBirthCertificate:
      return CheckKey(true, r.birth_certificate(), field, out);
    case v1::Registration::kDeathNotice:
      return CheckKey(true, r.death_notice(), field, out);
    case v1::Registration::kDivorceDecision:
      return CheckKey(true, r.divorce_decision(), field, out);
    default:
      return;
  }
}

// --- requests ------------------------------------------------------------------------------

void CheckActionAndReason(int action, const std::string& reason, Violations* out) {
  CheckEnum(action, v1::Action_IsValid, "action", true, out);
  if (std::string why = text::Unacceptable(reason, /*allow_newlines=*/true); !why.empty()) {
    return Add(out, "reason", "must be text: " + why);
  }
  const bool reason_required = action == v1::ACTION_AMEND || action == v1::ACTION_VOID;
  if (reason_required && reason.empty()) {
    Add(out, "reason", absl::StrCat("is required for ", v1::Action_Name(action)));
  } else {
    CheckText(reason, "reason", kMaxFreeTextBytes, false, out);
  }
}

}  // namespace

std::vector<FieldViolation> ValidateKeyOnly(const v1::BirthCertificate& r,
                                            const std::string& path) {
  Violations out;
  CheckKey(r.has_key(), r.key(), Join(path, "key"), &out);
  return out;
}

std::vector<FieldViolation> ValidateKeyOnly(const v1::DeathNotice& r, const std::string& path) {
  Violations out;
  CheckKey(r.has_key(), r.key(), Join(path, "key"), &out);
  return out;
}

std::vector<FieldViolation> ValidateKeyOnly(const v1::DivorceDecision& r,
                                            const std::string& path) {
  Violations out;
  CheckKey(r.has_key(), r.key(), Join(path, "key"), &out);
  return out;
}

std::vector<FieldViolation> ValidateKeyOnly(const v1::Registration& r, const std::string& path) {
  Violations out;
  CheckKey(r.has_key(), r.key(), Join(path, "key"), &out);
  return out;
}

std::vector<FieldViolation> ValidateBirthCertificate(const v1::BirthCertificate& b,
                                                     const Context& ctx,
                                                     const std::string& path) {
  Violations out;
  CheckKey(b.has_key(), b.key(), Join(path, "key"), &out);

  std::optional<internal::EventTime> born;
  const std::string child = Join(path, "child");
  if (b.has_child()) {
    born = CheckChild(b.child(), ctx, child, &out);
  } else {
    Add(&out, child, "is required");
  }

  const std::string place = Join(path, "place_of_birth");
  if (b.has_place_of_birth()) {
    const v1::PlaceOfBirth& p = b.place_of_birth();
    CheckFacilityRef(p.has_facility(), p.facility(), Join(place, "facility"), p.in_facility(),
                     &out);
    if (!p.in_facility() && p.has_facility()) {
      Add(&out, Join(place, "facility"),
          "must be absent when in_facility is false (a birth outside a health facility)");
    } else if (p.in_facility() && p.has_facility() && b.has_key() &&
               IsFacilityOrCourtCode(p.facility().facility_code()) &&
               IsFacilityOrCourtCode(b.key().facility_code()) &&
               p.facility().facility_code() != b.key().facility_code()) {
      // A facility certifies the births that happen in it (decree 123/2015, the medical
      // birth certificate): a certificate naming another facility is a data-entry error.
      // (Neither code is quoted: a 12-digit code would read as a personal ID in the logs.)
      Add(&out, Join(place, "facility.facility_code"),
          "must be the certifying facility, key.facility_code");
    }
    internal::CheckCommuneCode(p.commune_code(), Join(place, "commune_code"), true, &out);
  } else {
    Add(&out, place, "is required");
  }

  const std::string mother = Join(path, "mother");
  if (b.has_mother()) {
    PersonRole role;
    role.name_required = role.id_required = role.dob_required = role.commune_required = true;
    role.is_mother = true;
    CheckParentBornBefore(CheckPerson(b.mother(), ctx, mother, role, &out), born, mother, &out);
  } else {
    Add(&out, mother, "is required");
  }

  if (b.has_father()) {
    const std::string father = Join(path, "father");
    PersonRole role;
    role.name_required = true;
    CheckParentBornBefore(CheckPerson(b.father(), ctx, father, role, &out), born, father, &out);
  }

  CheckOfficer(b.has_attendant(), b.attendant(), Join(path, "attendant"), false, &out);
  CheckOfficer(b.has_issuing_officer(), b.issuing_officer(), Join(path, "issuing_officer"), true,
               &out);

  const std::string issued_field = Join(path, "issued_at");
  auto issued = CheckTimestamp(b.has_issued_at(), b.issued_at(), issued_field, true, ctx, &out);
  CheckEventBeforeIssue(born, issued, "birth", Join(child, "born_at"), &out);
  // Last: a field a specific check already named is not named twice.
  internal::CheckTextAndKnownFields(b, path, &out);
  return out;
}

std::vector<FieldViolation> ValidateDeathNotice(const v1::DeathNotice& d, const Context& ctx,
                                                const std::string& path) {
  Violations out;
  CheckKey(d.has_key(), d.key(), Join(path, "key"), &out);

  std::optional<absl::CivilDay> dob;
  const std::string deceased = Join(path, "deceased");
  if (d.has_deceased()) {
    PersonRole role;
    role.sex_required = role.dob_required = true;
    // Only an unidentified person may be nameless; personal_id itself may be absent.
    role.name_required = d.deceased().has_personal_id();
    dob = CheckPerson(d.deceased(), ctx, deceased, role, &out);
  } else {
    Add(&out, deceased, "is required");
  }

  const std::string died_field = Join(path, "died_at");
  auto died = CheckEventTime(d.has_died_at(), d.died_at(), died_field, ctx, &out);
  if (died && dob && died->local_day < *dob) {
    Add(&out, Join(deceased, "date_of_birth"),
        absl::StrCat("date of birth ", FormatDay(*dob), " is after the death on ",
                     FormatDay(died->local_day)));
  }

  const std::string place = Join(path, "place_of_death");
  if (d.has_place_of_death()) {
    const v1::PlaceOfDeath& p = d.place_of_death();
    CheckFacilityRef(p.has_facility(), p.facility(), Join(place, "facility"), p.in_facility(),
                     &out);
    if (!p.in_facility() && p.has_facility()) {
      Add(&out, Join(place, "facility"),
          "must be absent when in_facility is false (a death outside a health facility)");
    }
    internal::CheckCommuneCode(p.commune_code(), Join(place, "commune_code"), true, &out);
  } else {
    Add(&out, place, "is required");
  }

  const std::string cause = Join(path, "cause_of_death");
  if (d.has_cause_of_death()) {
    CheckCauseOfDeath(d.cause_of_death(), cause, &out);
  } else {
    Add(&out, cause, "is required");
  }
  CheckEnum(d.manner_of_death(), v1::MannerOfDeath_IsValid, Join(path, "manner_of_death"), false,
            &out);
  CheckOfficer(d.has_certifier(), d.certifier(), Join(path, "certifier"), true, &out);

  const std::string issued_field = Join(path, "issued_at");
  auto issued = CheckTimestamp(d.has_issued_at(), d.issued_at(), issued_field, true, ctx, &out);
  CheckEventBeforeIssue(died, issued, "death", died_field, &out);
  // Last: a field a specific check already named is not named twice.
  internal::CheckTextAndKnownFields(d, path, &out);
  return out;
}

std::vector<FieldViolation> ValidateDivorceDecision(const v1::DivorceDecision& v,
                                                    const Context& ctx,
                                                    const std::string& path) {
  Violations out;
  CheckKey(v.has_key(), v.key(), Join(path, "key"), &out);
  CheckEnum(v.kind(), v1::DecisionKind_IsValid, Join(path, "kind"), true, &out);

  auto decided = CheckDate(v.has_decision_date(), v.decision_date(), Join(path, "decision_date"),
                           true, ctx, &out);
  const std::string effect_field = Join(path, "legal_effect_date");
  auto effect = CheckDate(v.has_legal_effect_date(), v.legal_effect_date(), effect_field, false,
                          ctx, &out);
  if (effect && decided && *effect < *decided) {
    Add(&out, effect_field,
        absl::StrCat("legal effect date ", FormatDay(*effect), " is before decision date ",
                     FormatDay(*decided)));
  }

  // Backlog court files (effective <= 2025-12-31) may lack the spouses' personal IDs.
  const bool backlog = effect && *effect <= kLastBacklogDay;
  auto check_spouse = [&](bool present, const common::Person& spouse, std::string_view name) {
    const std::string spouse_path = Join(path, name);
    if (!present) return Add(&out, spouse_path, "is required");
    PersonRole role;
    role.name_required = true;
    role.id_required = !backlog;
    auto dob = CheckPerson(spouse, ctx, spouse_path, role, &out);
    if (dob && decided && *dob > *decided) {
      Add(&out, Join(spouse_path, "date_of_birth"),
          absl::StrCat("date of birth ", FormatDay(*dob), " is after the decision date ",
                       FormatDay(*decided)));
    }
  };
  check_spouse(v.has_spouse_a(), v.spouse_a(), "spouse_a");
  check_spouse(v.has_spouse_b(), v.spouse_b(), "spouse_b");
  if (internal::SamePersonalId(v.spouse_a(), v.spouse_b())) {
    Add(&out, Join(path, "spouse_b.personal_id.number"), "must differ from spouse_a's");
  }

  if (v.has_marriage()) {
    const v1::MarriageRef& m = v.marriage();
    const std::string marriage = Join(path, "marriage");
    internal::CheckCommuneCode(m.registry_office_commune_code(),
                               Join(marriage, "registry_office_commune_code"), false, &out);
    CheckText(m.book(), Join(marriage, "book"), kMaxMarriageRefBytes, false, &out);
    CheckText(m.registration_no(), Join(marriage, "registration_no"), kMaxMarriageRefBytes, false,
              &out);
    const std::string registered_field = Join(marriage, "registered_on");
    auto registered = CheckDate(m.has_registered_on(), m.registered_on(), registered_field, false,
                                ctx, &out);
    if (registered && decided && *registered >= *decided) {
      Add(&out, registered_field,
          absl::StrCat("marriage registered on ", FormatDay(*registered),
                       " must be before decision date ", FormatDay(*decided)));
    }
  }

  if (v.has_set_aside()) {
    const v1::SetAside& s = v.set_aside();
    const std::string set_aside = Join(path, "set_aside");
    const std::string on_field = Join(set_aside, "set_aside_on");
    auto on = CheckDate(s.has_set_aside_on(), s.set_aside_on(), on_field, true, ctx, &out);
    const auto& after = effect ? effect : decided;
    if (on && after && *on < *after) {
      Add(&out, on_field,
          absl::StrCat("set aside on ", FormatDay(*on), ", before the ",
                       effect ? "legal effect date " : "decision date ", FormatDay(*after)));
    }
    CheckText(s.by_decision_no(), Join(set_aside, "by_decision_no"), kMaxMarriageRefBytes, true,
              &out);
    CheckText(s.reason(), Join(set_aside, "reason"), kMaxFreeTextBytes, false, &out);
  }

  const std::string issued_field = Join(path, "issued_at");
  auto issued = CheckTimestamp(v.has_issued_at(), v.issued_at(), issued_field, true, ctx, &out);
  if (issued && decided && internal::VietnamDay(*issued) < *decided) {
    Add(&out, Join(path, "decision_date"),
        absl::StrCat("decision date ", FormatDay(*decided), " is after the day of issued_at ",
                     FormatDay(internal::VietnamDay(*issued)), " (Vietnam)"));
  }
  // Last: a field a specific check already named is not named twice.
  internal::CheckTextAndKnownFields(v, path, &out);
  return out;
}

std::vector<FieldViolation> ValidateRegistration(const v1::Registration& r, const Context& ctx,
                                                 const std::string& path) {
  Violations out;
  CheckKey(r.has_key(), r.key(), Join(path, "key"), &out);
  CheckEnum(r.kind(), v1::RegistrationKind_IsValid, Join(path, "kind"), true, &out);

  const std::string event_field = Join(path, "event_date");
  auto event = CheckDate(r.has_event_date(), r.event_date(), event_field, true, ctx, &out);
  auto registered = CheckDate(r.has_registration_date(), r.registration_date(),
                              Join(path, "registration_date"), true, ctx, &out);
  if (registered && event && *registered < *event) {
    Add(&out, event_field,
        absl::StrCat("event date ", FormatDay(*event), " is after registration date ",
                     FormatDay(*registered)));
  }

  // A person's date of birth cannot be after the registered event.
  auto check_person = [&](const common::Person& person, const std::string& person_path,
                          const PersonRole& role) {
    auto dob = CheckPerson(person, ctx, person_path, role, &out);
    if (dob && event && *dob > *event) {
      Add(&out, Join(person_path, "date_of_birth"),
          absl::StrCat("date of birth ", FormatDay(*dob), " is after event date ",
                       FormatDay(*event)));
    }
  };

  const std::string subject = Join(path, "subject");
  if (r.has_subject()) {
    PersonRole role;
    role.name_required = true;
    role.id_required = r.kind() != v1::REGISTRATION_KIND_DEATH;
    check_person(r.subject(), subject, role);
  } else {
    Add(&out, subject, "is required");
  }

  const std::string others = Join(path, "other_persons");
  if (r.other_persons_size() > kMaxOtherPersons) {
    Add(&out, others,
        absl::StrCat("must have at most ", kMaxOtherPersons, " entries, got ",
                     r.other_persons_size()));
  }
  switch (r.kind()) {
    case v1::REGISTRATION_KIND_DEATH:
      break;  // other_persons are ignored for a death
    case v1::REGISTRATION_KIND_DIVORCE_NOTED:
      if (r.other_persons_size() == 0 || r.other_persons(0).ByteSizeLong() == 0) {
        Add(&out, Join(path, "other_persons", 0), "is required (spouse B)");
        break;
      }
      {
        PersonRole spouse_b;
        spouse_b.name_required = true;
        check_person(r.other_persons(0), Join(path, "other_persons", 0), spouse_b);
        if (internal::SamePersonalId(r.subject(), r.other_persons(0))) {
          Add(&out, Join(Join(path, "other_persons", 0), "personal_id.number"),
              "must differ from the subject's (spouse A)");
        }
      }
      break;
    default:
      for (int i = 0; i < r.other_persons_size(); ++i) {
        // An unknown parent is an empty Person that keeps the positions.
        if (r.other_persons(i).ByteSizeLong() == 0) continue;
        PersonRole role;
        role.is_mother = r.kind() == v1::REGISTRATION_KIND_BIRTH && i == 0;
        check_person(r.other_persons(i), Join(path, "other_persons", i), role);
      }
      break;
  }

  CheckLinked(r, path, &out);
  CheckOfficer(r.has_registrar(), r.registrar(), Join(path, "registrar"), true, &out);
  CheckTimestamp(r.has_recorded_at(), r.recorded_at(), Join(path, "recorded_at"), true, ctx,
                 &out);
  // Last: a field a specific check already named is not named twice.
  internal::CheckTextAndKnownFields(r, path, &out);
  return out;
}

std::vector<FieldViolation> ValidateIngestRequest(const ingest::IngestRequest& request,
                                                  const Context& ctx) {
  Violations out;
  internal::CheckMessageId(request.message_id(), "message_id", &out);
  CheckActionAndReason(request.action(), request.reason(), &out);
  internal::CheckTraceId(request.trace_id(), "trace_id", &out);
  const bool key_only = request.action() == v1::ACTION_VOID;
  switch (request.record_case()) {
    case ingest::IngestRequest::kBirthCertificate:
      Append(&out, key_only
                       ? ValidateKeyOnly(request.birth_certificate(), "birth_certificate")
                       : ValidateBirthCertificate(request.birth_certificate(), ctx,
                                                  "birth_certificate"));
      break;
    case ingest::IngestRequest::kDeathNotice:
      Append(&out, key_only ? ValidateKeyOnly(request.death_notice(), "death_notice")
                            : ValidateDeathNotice(request.death_notice(), ctx, "death_notice"));
      break;
    case ingest::IngestRequest::RECORD_NOT_SET:
      Add(&out, "record", "one of birth_certificate or death_notice is required");
      break;
  }
  return out;
}

std::vector<FieldViolation> ValidateCourtIngestRequest(
    const ingest::CourtIngestRequest& request, const Context& ctx) {
  Violations out;
  internal::CheckMessageId(request.message_id(), "message_id", &out);
  CheckActionAndReason(request.action(), request.reason(), &out);
  internal::CheckTraceId(request.trace_id(), "trace_id", &out);
  if (!request.has_decision()) {
    Add(&out, "decision", "is required");
  } else if (request.action() == v1::ACTION_VOID) {
    Append(&out, ValidateKeyOnly(request.decision(), "decision"));
  } else {
    Append(&out, ValidateDivorceDecision(request.decision(), ctx, "decision"));
  }
  return out;
}

// --- registry requests ---------------------------------------------------------------------

namespace {

constexpr int kMaxPageSize = 1000;

// One component of a business key with its escapes undone; false when a '%' is not the start
// of "%25" or "%2F" (the only escapes a canonical key contains).
bool UnescapeKeyComponent(std::string_view component, std::string* out) {
  out->clear();
  for (size_t i = 0; i < component.size(); ++i) {
    if (component[i] != '%') {
      out->push_back(component[i]);
      continue;
    }
    const std::string_view escape = component.substr(i, 3);
    if (escape == "%25") {
      out->push_back('%');
    } else if (escape == "%2F") {
      out->push_back('/');
    } else {
      return false;
    }
    i += 2;
  }
  return true;
}

// The canonical key forms, for error descriptions.
constexpr const char* kKeyForms =
    "must be birth/<facility_code>/<certificate_no>, death/<facility_code>/<notice_no>, "
    "divorce/<court_code>/<decision_no> or registration/<registry_office_code>/<book>/"
    "<registration_no>";

void CheckBusinessKey(const std::string& key, const std::string& field, Violations* out) {
  if (key.empty()) return Add(out, field, "is required");
  const std::vector<std::string> parts = absl::StrSplit(key, '/');
  const std::string& kind = parts.front();
  const size_t expected = kind == "registration" ? 4
                          : (kind == "birth" || kind == "death" || kind == "divorce") ? 3
                                                                                       : 0;
  if (expected == 0 || parts.size() != expected) return Add(out, field, kKeyForms);
  std::vector<std::string> c(parts.size());
  for (size_t i = 1; i < parts.size(); ++i) {
    if (!UnescapeKeyComponent(parts[i], &c[i])) {
      return Add(out, field,
                 absl::StrCat("component ", i + 1,
                              ": '%' may only start the escapes %25 ('%') and %2F ('/')"));
    }
  }
  // The key's fields obey the rules of the record key they come from; violations are
  // reported on `field`, naming the component.
  Violations components;
  if (kind == "birth") {
    v1::BirthCertificateKey k;
    k.set_facility_code(c[1]);
    k.set_certificate_no(c[2]);
    CheckKey(true, k, "", &components);
  } else if (kind == "death") {
    v1::DeathNoticeKey k;
    k.set_facility_code(c[1]);
    k.set_notice_no(c[2]);
    CheckKey(true, k, "", &components);
  } else if (kind == "divorce") {
    v1::DivorceDecisionKey k;
    k.set_court_code(c[1]);
    k.set_decision_no(c[2]);
    CheckKey(true, k, "", &components);
  } else {
    v1::RegistrationKey k;
    k.set_registry_office_code(c[1]);
    k.set_book(c[2]);
    k.set_registration_no(c[3]);
    CheckKey(true, k, "", &components);
  }
  for (auto& v : components) Add(out, field, absl::StrCat(v.field, " ", v.description));
}

// A Principal's code: [A-Za-z0-9._-]{1,64} (types.proto).
bool IsPrincipalCode(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  for (char c : code) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

// A Timestamp used as a query bound: in protobuf's range; the future is allowed.
std::optional<absl::Time> CheckBound(bool present, const google::protobuf::Timestamp& ts,
                                     const std::string& field, Violations* out) {
  if (!present) return std::nullopt;
  if (ts.seconds() < -62135596800LL || ts.seconds() > 253402300799LL || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    Add(out, field, "is not a valid timestamp");
    return std::nullopt;
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

std::vector<FieldViolation> ValidateRecordRegistrationRequest(
    const registry::RecordRegistrationRequest& request, const Context& ctx) {
  Violations out;
  internal::CheckMessageId(request.message_id(), "message_id", &out);
  CheckActionAndReason(request.action(), request.reason(), &out);
  if (!request.has_registration()) {
    Add(&out, "registration", "is required");
  } else if (request.action() == v1::ACTION_VOID) {
    Append(&out, ValidateKeyOnly(request.registration(), "registration"));
  } else {
    Append(&out, ValidateRegistration(request.registration(), ctx, "registration"));
  }
  return out;
}

std::vector<FieldViolation> ValidateGetRecordRequest(const registry::GetRecordRequest& request) {
  Violations out;
  CheckBusinessKey(request.business_key(), "business_key", &out);
  return out;
}

std::vector<FieldViolation> ValidateGetPersonStatusRequest(
    const registry::GetPersonStatusRequest& request, const Context& ctx) {
  Violations out;
  common::Person person;
  *person.mutable_personal_id() = request.personal_id();
  ValidatePersonalId(person, ctx, "", /*required=*/true, &out);
  return out;
}

std::vector<FieldViolation> ValidateListRecordsRequest(const registry::ListRecordsRequest& request) {
  Violations out;
  if (request.has_source()) {
    const common::Principal& source = request.source();
    CheckEnum(source.kind(), common::PrincipalKind_IsValid, "source.kind", true, &out);
    if (source.code().empty()) {
      Add(&out, "source.code", "is required");
    } else if (!IsPrincipalCode(source.code())) {
      Add(&out, "source.code", "must be 1-64 characters from A-Z a-z 0-9 . _ -");
    }
  }
  CheckEnum(request.kind(), v1::RecordKind_IsValid, "kind", false, &out);
  auto from = CheckBound(request.has_issued_from(), request.issued_from(), "issued_from", &out);
  auto to = CheckBound(request.has_issued_to(), request.issued_to(), "issued_to", &out);
  if (from && to && *to <= *from) Add(&out, "issued_to", "must be after issued_from");
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    Add(&out, "page_size",
        absl::StrCat("must be 1..", kMaxPageSize, " (or 0 for 100), got ", request.page_size()));
  }
  return out;
}

}  // namespace crvs::validation
