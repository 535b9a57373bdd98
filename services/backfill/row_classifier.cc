#include "services/backfill/row_classifier.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <google/protobuf/util/time_util.h>

#include "services/records/records.h"

namespace crvs::backfill {
namespace {

namespace v1 = ::crvs::records::v1;
namespace common = ::crvs::common::v1;

constexpr absl::Duration kVietnamUtcOffset = absl::Hours(7);
constexpr size_t kMaxEchoBytes = 40;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// The value quoted in a message, shortened (never used for personal IDs).
std::string Echo(std::string_view value) {
  if (value.size() > kMaxEchoBytes)
    return absl::StrCat("'", std::string(value.substr(0, kMaxEchoBytes)), "...'");
  return absl::StrCat("'", std::string(value), "'");
}

// Strict yyyy-mm-dd naming a real day.
bool ParseDay(std::string_view text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  int parts[3] = {0, 0, 0};
  const int starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < lengths[p]; ++i) {
      char c = text[starts[p] + i];
      if (c < '0' || c > '9') return false;
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  if (parts[0] < 1 || parts[1] < 1 || parts[1] > 12 || parts[2] < 1) return false;
  absl::CivilDay d(parts[0], parts[1], parts[2]);
  if (d.month() != parts[1] || d.day() != parts[2]) return false;  // 2019-02-30 normalises
  *day = d;
  return true;
}

void SetDate(absl::CivilDay day, common::LocalDate* out) {
  out->set_year(static_cast<int32_t>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

// 00:00 of `day` in Vietnam (UTC+07:00).
void SetStartOfDayInVietnam(absl::CivilDay day, google::protobuf::Timestamp* out) {
  SetTime(absl::FromCivil(absl::CivilSecond(day), absl::UTCTimeZone()) - kVietnamUtcOffset, out);
}

std::string Hex(const unsigned char* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 15]);
  }
  return out;
}

bool IsIdPath(const std::string& path) {
  constexpr std::string_view suffix = "personal_id.number";
  return path.size() >= suffix.size() &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Reads the columns of one row into a record, keeping the first problem found.
class Mapping {
 public:
  Mapping(const RawRow& row, ExportKind kind, Ineligibility* why)
      : row_(row), columns_(Columns(kind)), why_(why) {}

  bool failed() const { return failed_; }
  std::string_view Get(int column) const { return row_.values[column]; }
  bool Has(int column) const { return !row_.values[column].empty(); }

  void Fail(Reason reason, int column, std::string detail) {
    if (failed_) return;
    *why_ = Ineligibility{reason, columns_[column].name, std::move(detail)};
    failed_ = true;
  }

  // An optional date column; `echo` quotes a bad value in the report (not for dates of birth).
  std::optional<absl::CivilDay> Date(int column, bool echo) {
    std::string_view text = Get(column);
    if (text.empty()) return std::nullopt;
    absl::CivilDay day;
    if (ParseDay(text, &day)) return day;
    Fail(Reason::kBadDate, column,
         absl::StrCat("must be a real date yyyy-mm-dd", echo ? ", got " + Echo(text) : ""));
    return std::nullopt;
  }

  // An optional RFC 3339 timestamp column.
  bool Timestamp(int column, google::protobuf::Timestamp* out) {
    std::string_view text = Get(column);
    if (text.empty()) return false;
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
      SetTime(t, out);
      return true;
    }
    Fail(Reason::kBadDate, column,
         "must be an RFC 3339 timestamp like 2020-03-01T08:15:30+07:00, got " + Echo(text));
    return false;
  }

  void Sex(int column, common::Person* person) {
    std::string_view text = Get(column);
    if (text.empty()) return;
    if (text == "M" || text == "m") {
      person->set_sex(common::SEX_MALE);
    } else if (text == "F" || text == "f") {
      person->set_sex(common::SEX_FEMALE);
    } else {
      Fail(Reason::kInvalidValue, column, "must be M or F (or empty), got " + Echo(text));
    }
  }

  // Fills the person's given columns (sex_column / birth_column may be -1).
  void Person(int name_column, int id_column, int sex_column, int birth_column,
              common::Person* person) {
    if (Has(name_column)) person->set_full_name(std::string(Get(name_column)));
    if (Has(id_column)) person->mutable_personal_id()->set_number(std::string(Get(id_column)));
    if (sex_column >= 0) Sex(sex_column, person);
    if (birth_column >= 0) {
      if (auto day = Date(birth_column, false)) SetDate(*day, person->mutable_date_of_birth());
    }
  }

  bool AnyOf(std::initializer_list<int> columns) const {
    for (int c : columns) {
      if (Has(c)) return true;
    }
    return false;
  }

  // Columns that belong to another kind of registration must be empty.
  void MustBeEmpty(std::initializer_list<int> columns, std::string_view kind_name) {
    for (int c : columns) {
      if (Has(c)) {
        Fail(Reason::kInvalidValue, c,
             absl::StrCat("must be empty for a ", std::string(kind_name), " registration"));
        return;
      }
    }
  }

 private:
  const RawRow& row_;
  const std::vector<ColumnSpec>& columns_;
  Ineligibility* why_;
  bool failed_ = false;
};

}  // namespace

RowClassifier::RowClassifier(ExportKind kind, ClassifierOptions options)
    : kind_(kind), options_(std::move(options)) {}

std::string RowClassifier::KeyOf(const RawRow& row) const {
  if (row.values.empty()) return "";
  if (kind_ == ExportKind::kDivorce) {
    if (row.values[divorce::kCourtCode].empty() || row.values[divorce::kDecisionNo].empty())
      return "";
    v1::DivorceDecisionKey key;
    key.set_court_code(std::string(row.values[divorce::kCourtCode]));
    key.set_decision_no(std::string(row.values[divorce::kDecisionNo]));
    return records::KeyOf(key).value;
  }
  using namespace registration;
  if (row.values[kOffice].empty() || row.values[kBook].empty() || row.values[kNumber].empty())
    return "";
  v1::RegistrationKey key;
  key.set_registry_office_code(std::string(row.values[kOffice]));
  key.set_book(std::string(row.values[kBook]));
  key.set_registration_no(std::string(row.values[kNumber]));
  return records::KeyOf(key).value;
}

Verdict RowClassifier::Classify(const RawRow& row, v1::RecordEnvelope* envelope) {
  Verdict verdict;
  verdict.business_key = KeyOf(row);
  int64_t first_row = 0;
  if (!verdict.business_key.empty()) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(verdict.business_key.data()),
           verdict.business_key.size(), digest);
    std::pair<uint64_t, uint64_t> fingerprint;
    std::memcpy(&fingerprint.first, digest, 8);
    std::memcpy(&fingerprint.second, digest + 8, 8);
    auto [it, inserted] = keys_.try_emplace(fingerprint, row.number);
    if (!inserted) first_row = it->second;
  }
  if (row.problem) {
    verdict.why = *row.problem;
    return verdict;
  }
  if (first_row != 0) {
    const auto& columns = Columns(kind_);
    verdict.why = Ineligibility{
        Reason::kDuplicateKey,
        columns[kind_ == ExportKind::kDivorce ? static_cast<int>(divorce::kDecisionNo)
                                              : static_cast<int>(registration::kNumber)]
            .name,
        absl::StrCat("business key already at row ", first_row,
                     " (one row per record: merge them in the export)")};
    return verdict;
  }
  envelope->Clear();
  const bool mapped = kind_ == ExportKind::kDivorce ? MapDivorce(row, envelope, &verdict.why)
                                                    : MapRegistration(row, envelope, &verdict.why);
  if (!mapped || !Validate(*envelope, &verdict.why)) return verdict;
  Finish(envelope);
  verdict.eligible = true;
  return verdict;
}

bool RowClassifier::MapDivorce(const RawRow& row, v1::RecordEnvelope* envelope,
                               Ineligibility* why) {
  using namespace divorce;
  Mapping m(row, kind_, why);
  v1::DivorceDecision* d = envelope->mutable_divorce_decision();
  d->mutable_key()->set_court_code(std::string(m.Get(kCourtCode)));
  d->mutable_key()->set_decision_no(std::string(m.Get(kDecisionNo)));

  std::string_view kind = m.Get(kKind);
  if (kind.empty()) {
    m.Fail(Reason::kMissingField, kKind, "is required (BAN_AN, THUAN_TINH or HUY_KET_HON)");
  } else if (EqualsIgnoreCase(kind, "BAN_AN") || EqualsIgnoreCase(kind, "JUDGMENT")) {
    d->set_kind(v1::DECISION_KIND_JUDGMENT);
  } else if (EqualsIgnoreCase(kind, "THUAN_TINH") ||
             EqualsIgnoreCase(kind, "CONSENSUAL_RECOGNITION")) {
    d->set_kind(v1::DECISION_KIND_CONSENSUAL_RECOGNITION);
  } else if (EqualsIgnoreCase(kind, "HUY_KET_HON") || EqualsIgnoreCase(kind, "ANNULMENT")) {
    d->set_kind(v1::DECISION_KIND_ANNULMENT);
  } else {
    m.Fail(Reason::kUnknownKind, kKind,
           "must be BAN_AN, THUAN_TINH or HUY_KET_HON, got " + Echo(kind));
  }

  const auto decided = m.Date(kDecisionDate, true);
  if (decided) SetDate(*decided, d->mutable_decision_date());
  const auto effect = m.Date(kEffectDate, true);
  if (effect) SetDate(*effect, d->mutable_legal_effect_date());
  m.Person(kNameA, kIdA, kSexA, kBirthA, d->mutable_spouse_a());
  m.Person(kNameB, kIdB, kSexB, kBirthB, d->mutable_spouse_b());

  if (m.AnyOf({kMarriageOffice, kMarriageBook, kMarriageNo, kMarriageDate})) {
    v1::MarriageRef* marriage = d->mutable_marriage();
    marriage->set_registry_office_commune_code(std::string(m.Get(kMarriageOffice)));
    marriage->set_book(std::string(m.Get(kMarriageBook)));
    marriage->set_registration_no(std::string(m.Get(kMarriageNo)));
    if (auto day = m.Date(kMarriageDate, true)) SetDate(*day, marriage->mutable_registered_on());
  }
  if (m.AnyOf({kSetAsideOn, kSetAsideBy, kSetAsideReason})) {
    v1::SetAside* set_aside = d->mutable_set_aside();
    if (auto day = m.Date(kSetAsideOn, true)) SetDate(*day, set_aside->mutable_set_aside_on());
    set_aside->set_by_decision_no(std::string(m.Get(kSetAsideBy)));
    set_aside->set_reason(std::string(m.Get(kSetAsideReason)));
  }
  // Without an update time the file was issued no earlier than its dates: the later of the
  // two (an effect date before the decision is then reported once, on ngay_hieu_luc).
  if (!m.Timestamp(kUpdatedAt, d->mutable_issued_at()) && effect) {
    SetStartOfDayInVietnam(decided ? std::max(*effect, *decided) : *effect,
                           d->mutable_issued_at());
  }
  if (m.failed()) return false;

  // Backfill policy: only the backlog, and only decisions that can change someone's status.
  if (!effect) {
    m.Fail(Reason::kNoEffectiveDate, kEffectDate,
           "is empty: the decision has not taken legal effect (a pending decision is not backlog)");
  } else if (*effect > options_.last_backlog_day) {
    m.Fail(Reason::kEffectiveAfterCutoff, kEffectDate,
           absl::StrCat(absl::FormatCivilTime(*effect), " is after the backlog's last day ",
                        absl::FormatCivilTime(options_.last_backlog_day),
                        " (decisions effective later come through the court connector)"));
  } else if (!m.Has(kIdA)) {
    m.Fail(Reason::kMissingPersonalId, kIdA, "is required: spouse A's personal ID");
  } else if (!m.Has(kIdB)) {
    m.Fail(Reason::kMissingPersonalId, kIdB, "is required: spouse B's personal ID");
  }
  if (m.failed()) return false;

  envelope->mutable_source()->set_kind(common::PRINCIPAL_KIND_COURT);
  envelope->mutable_source()->set_code(d->key().court_code());
  return true;
}

bool RowClassifier::MapRegistration(const RawRow& row, v1::RecordEnvelope* envelope,
                                    Ineligibility* why) {
  using namespace registration;
  Mapping m(row, kind_, why);
  v1::Registration* r = envelope->mutable_registration();
  r->mutable_key()->set_registry_office_code(std::string(m.Get(kOffice)));
  r->mutable_key()->set_book(std::string(m.Get(kBook)));
  r->mutable_key()->set_registration_no(std::string(m.Get(kNumber)));

  std::string_view kind = m.Get(kKind);
  std::string_view kind_name;
  if (kind.empty()) {
    m.Fail(Reason::kMissingField, kKind, "is required (KHAI_SINH, KHAI_TU or GHI_CHU_LY_HON)");
  } else if (EqualsIgnoreCase(kind, "KHAI_SINH") || EqualsIgnoreCase(kind, "BIRTH")) {
    r->set_kind(v1::REGISTRATION_KIND_BIRTH);
    kind_name = "KHAI_SINH";
  } else if (EqualsIgnoreCase(kind, "KHAI_TU") || EqualsIgnoreCase(kind, "DEATH")) {
    r->set_kind(v1::REGISTRATION_KIND_DEATH);
    kind_name = "KHAI_TU";
  } else if (EqualsIgnoreCase(kind, "GHI_CHU_LY_HON") || EqualsIgnoreCase(kind, "DIVORCE_NOTED")) {
    r->set_kind(v1::REGISTRATION_KIND_DIVORCE_NOTED);
    kind_name = "GHI_CHU_LY_HON";
  } else {
    m.Fail(Reason::kUnknownKind, kKind,
           "must be KHAI_SINH, KHAI_TU or GHI_CHU_LY_HON, got " + Echo(kind));
  }

  const auto registered = m.Date(kRegistrationDate, true);
  if (registered) SetDate(*registered, r->mutable_registration_date());
  if (auto day = m.Date(kEventDate, true)) SetDate(*day, r->mutable_event_date());
  common::Person* subject = r->mutable_subject();
  m.Person(kName, kId, kSex, kBirth, subject);
  if (m.Has(kEthnicity)) subject->set_ethnicity(std::string(m.Get(kEthnicity)));
  if (m.Has(kResidence)) {
    subject->mutable_residence()->set_commune_code(std::string(m.Get(kResidence)));
  }

  switch (r->kind()) {
    case v1::REGISTRATION_KIND_BIRTH: {
      m.MustBeEmpty(
          {kSpouseName, kSpouseId, kSpouseSex, kSpouseBirth, kNoticeNo, kCourt, kDecisionNo},
          kind_name);
      const bool mother = m.AnyOf({kMotherName, kMotherId, kMotherBirth});
      const bool father = m.AnyOf({kFatherName, kFatherId, kFatherBirth});
      // Positions are fixed ([0] mother, [1] father): an unknown mother is an empty Person.
      if (mother || father)
        m.Person(kMotherName, kMotherId, -1, kMotherBirth, r->add_other_persons());
      if (father) m.Person(kFatherName, kFatherId, -1, kFatherBirth, r->add_other_persons());
      if (m.Has(kCertificateNo)) {
        r->mutable_birth_certificate()->set_facility_code(std::string(m.Get(kFacility)));
        r->mutable_birth_certificate()->set_certificate_no(std::string(m.Get(kCertificateNo)));
      } else if (m.Has(kFacility)) {
        m.Fail(Reason::kMissingField, kCertificateNo, "is required when ma_co_so_y_te is given");
      }
      break;
    }
    case v1::REGISTRATION_KIND_DEATH:
      m.MustBeEmpty(
          {kMotherName, kMotherId, kMotherBirth, kFatherName, kFatherId, kFatherBirth, kSpouseName,
           kSpouseId, kSpouseSex, kSpouseBirth, kCertificateNo, kCourt, kDecisionNo},
          kind_name);
      if (m.Has(kNoticeNo)) {
        r->mutable_death_notice()->set_facility_code(std::string(m.Get(kFacility)));
        r->mutable_death_notice()->set_notice_no(std::string(m.Get(kNoticeNo)));
      } else if (m.Has(kFacility)) {
        m.Fail(Reason::kMissingField, kNoticeNo, "is required when ma_co_so_y_te is given");
      }
      break;
    case v1::REGISTRATION_KIND_DIVORCE_NOTED:
      m.MustBeEmpty({kMotherName, kMotherId, kMotherBirth, kFatherName, kFatherId, kFatherBirth,
                     kFacility, kCertificateNo, kNoticeNo},
                    kind_name);
      m.Person(kSpouseName, kSpouseId, kSpouseSex, kSpouseBirth, r->add_other_persons());
      if (m.AnyOf({kCourt, kDecisionNo})) {
        r->mutable_divorce_decision()->set_court_code(std::string(m.Get(kCourt)));
        r->mutable_divorce_decision()->set_decision_no(std::string(m.Get(kDecisionNo)));
      }
      break;
    default:
      break;
  }

  if (m.AnyOf({kRegistrar, kRegistrarTitle})) {
    r->mutable_registrar()->set_full_name(std::string(m.Get(kRegistrar)));
    r->mutable_registrar()->set_title(std::string(m.Get(kRegistrarTitle)));
  }
  if (!m.Timestamp(kRecordedAt, r->mutable_recorded_at()) && registered) {
    SetStartOfDayInVietnam(*registered, r->mutable_recorded_at());
  }
  if (m.failed()) return false;

  // Backfill policy: the people whose status the registration changes must be identified.
  if (r->kind() == v1::REGISTRATION_KIND_BIRTH && !m.Has(kId)) {
    m.Fail(Reason::kMissingPersonalId, kId, "is required: the child's personal ID");
  } else if (r->kind() == v1::REGISTRATION_KIND_DIVORCE_NOTED && !m.Has(kId)) {
    m.Fail(Reason::kMissingPersonalId, kId, "is required: spouse A's personal ID");
  } else if (r->kind() == v1::REGISTRATION_KIND_DIVORCE_NOTED && !m.Has(kSpouseId)) {
    m.Fail(Reason::kMissingPersonalId, kSpouseId, "is required: spouse B's personal ID");
  }
  if (m.failed()) return false;

  envelope->mutable_source()->set_kind(common::PRINCIPAL_KIND_REGISTRY_OFFICE);
  envelope->mutable_source()->set_code(r->key().registry_office_code());
  return true;
}

bool RowClassifier::Validate(const v1::RecordEnvelope& envelope, Ineligibility* why) const {
  const std::string path(RecordPath(kind_));
  std::vector<FieldViolation> violations =
      kind_ == ExportKind::kDivorce
          ? validation::ValidateDivorceDecision(envelope.divorce_decision(), options_.validation,
                                                path)
          : validation::ValidateRegistration(envelope.registration(), options_.validation, path);
  if (violations.empty()) return true;
  const auto registration_kind = envelope.registration().kind();
  auto column = [&](const FieldViolation& v) {
    std::string name = ColumnForPath(kind_, registration_kind, v.field);
    return name.empty() ? v.field : name;
  };
  const FieldViolation& first = violations.front();
  const bool required = first.description.rfind("is required", 0) == 0;
  Reason reason = Reason::kFailedValidation;
  if (IsIdPath(first.field)) {
    reason = required ? Reason::kMissingPersonalId : Reason::kInvalidPersonalId;
  } else if (required) {
    reason = Reason::kMissingField;
  }
  std::string detail = first.description;
  for (size_t i = 1; i < violations.size(); ++i) {
    absl::StrAppend(&detail, i == 1 ? "; also " : "; ", column(violations[i]), ": ",
                    violations[i].description);
  }
  *why = Ineligibility{reason, column(first), std::move(detail)};
  return false;
}

void RowClassifier::Finish(v1::RecordEnvelope* envelope) const {
  envelope->set_action(v1::ACTION_SUBMIT);
  // CompleteEnvelope draws a random trace id only when none is set; ours is derived from the
  // content below, so that a re-produced row is the same submission in every respect.
  envelope->set_trace_id("-");
  records::CompleteEnvelope(envelope, google::protobuf::util::TimeUtil::GetCurrentTime());
  std::string input = envelope->business_key();
  input.push_back('\n');
  input += envelope->content_hash();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  envelope->set_message_id(
      absl::StrCat("backfill:", std::string(ExportKindName(kind_)), ":", Hex(digest, 16)));
  envelope->set_trace_id(Hex(digest + 16, 16));
}

}  // namespace crvs::backfill
