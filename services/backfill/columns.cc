#include "services/backfill/columns.h"

namespace crvs::backfill {
namespace {

namespace v1 = ::crvs::records::v1;

const std::vector<ColumnSpec>& DivorceColumns() {
  static const std::vector<ColumnSpec> columns = {
      {"ma_toa_an", true},
      {"so_quyet_dinh", true},
      {"loai_quyet_dinh", true},
      {"ngay_quyet_dinh", false},
      {"ngay_hieu_luc", false},
      {"ho_ten_ben_a", false},
      {"so_dinh_danh_ben_a", false},
      {"gioi_tinh_ben_a", false},
      {"ngay_sinh_ben_a", false},
      {"ho_ten_ben_b", false},
      {"so_dinh_danh_ben_b", false},
      {"gioi_tinh_ben_b", false},
      {"ngay_sinh_ben_b", false},
      {"ma_xa_dang_ky_ket_hon", false},
      {"quyen_so_ket_hon", false},
      {"so_dang_ky_ket_hon", false},
      {"ngay_dang_ky_ket_hon", false},
      {"ngay_huy", false},
      {"so_quyet_dinh_huy", false},
      {"ly_do_huy", false},
      {"thoi_diem_cap_nhat", false},
  };
  return columns;
}

const std::vector<ColumnSpec>& RegistrationColumns() {
  static const std::vector<ColumnSpec> columns = {
      {"ma_co_quan_dang_ky", true},
      {"quyen_so", true},
      {"so_dang_ky", true},
      {"loai_dang_ky", true},
      {"ngay_dang_ky", false},
      {"ngay_su_kien", false},
      {"ho_ten", false},
      {"so_dinh_danh", false},
      {"gioi_tinh", false},
      {"ngay_sinh", false},
      {"dan_toc", false},
      {"ma_xa_cu_tru", false},
      {"ho_ten_me", false},
      {"so_dinh_danh_me", false},
      {"ngay_sinh_me", false},
      {"ho_ten_cha", false},
      {"so_dinh_danh_cha", false},
      {"ngay_sinh_cha", false},
      {"ho_ten_ben_b", false},
      {"so_dinh_danh_ben_b", false},
      {"gioi_tinh_ben_b", false},
      {"ngay_sinh_ben_b", false},
      {"ma_co_so_y_te", false},
      {"so_giay_chung_sinh", false},
      {"so_giay_bao_tu", false},
      {"ma_toa_an", false},
      {"so_quyet_dinh", false},
      {"nguoi_ky", false},
      {"chuc_vu_nguoi_ky", false},
      {"thoi_diem_ghi_so", false},
  };
  return columns;
}

struct PathColumn {
  v1::RegistrationKind only_for;  // UNSPECIFIED: any
  const char* path;               // relative to the record
  int column;
};

const std::vector<PathColumn>& DivorcePaths() {
  using namespace divorce;
  static const std::vector<PathColumn> paths = {
      {v1::REGISTRATION_KIND_UNSPECIFIED, "key", kCourtCode},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "key.court_code", kCourtCode},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "key.decision_no", kDecisionNo},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "kind", kKind},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "decision_date", kDecisionDate},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "legal_effect_date", kEffectDate},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "spouse_a", kNameA},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "spouse_a.personal_id", kIdA},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "spouse_a.sex", kSexA},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "spouse_a.date_of_birth", kBirthA},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "spouse_b", kNameB},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "spouse_b.personal_id", kIdB},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "spouse_b.sex", kSexB},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "spouse_b.date_of_birth", kBirthB},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "marriage.registry_office_commune_code", kMarriageOffice},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "marriage.book", kMarriageBook},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "marriage.registration_no", kMarriageNo},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "marriage.registered_on", kMarriageDate},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "set_aside", kSetAsideOn},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "set_aside.by_decision_no", kSetAsideBy},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "set_aside.reason", kSetAsideReason},
      {v1::REGISTRATION_KIND_UNSPECIFIED, "issued_at", kUpdatedAt},
  };
  return paths;
}

const std::vector<PathColumn>& RegistrationPaths() {
  using namespace registration;
  constexpr auto kAny = v1::REGISTRATION_KIND_UNSPECIFIED;
  constexpr auto kBirth = v1::REGISTRATION_KIND_BIRTH;
  constexpr auto kDivorce = v1::REGISTRATION_KIND_DIVORCE_NOTED;
  static const std::vector<PathColumn> paths = {
      {kAny, "key", kOffice},
      {kAny, "key.registry_office_code", kOffice},
      {kAny, "key.book", kBook},
      {kAny, "key.registration_no", kNumber},
      {kAny, "kind", kKind},
      {kAny, "registration_date", kRegistrationDate},
      {kAny, "event_date", kEventDate},
      {kAny, "subject", kName},
      {kAny, "subject.personal_id", kId},
      {kAny, "subject.sex", kSex},
      {kAny, "subject.date_of_birth", kBirth},
      {kAny, "subject.ethnicity", kEthnicity},
      {kAny, "subject.residence", kResidence},
      {kBirth, "other_persons[0]", kMotherName},
      {kBirth, "other_persons[0].personal_id", kMotherId},
      {kBirth, "other_persons[0].date_of_birth", kMotherBirth},
      {kBirth, "other_persons[1]", kFatherName},
      {kBirth, "other_persons[1].personal_id", kFatherId},
      {kBirth, "other_persons[1].date_of_birth", kFatherBirth},
      {kDivorce, "other_persons[0]", kSpouseName},
      {kDivorce, "other_persons[0].personal_id", kSpouseId},
      {kDivorce, "other_persons[0].sex", kSpouseSex},
      {kDivorce, "other_persons[0].date_of_birth", kSpouseBirth},
      {kAny, "birth_certificate", kCertificateNo},
      {kAny, "birth_certificate.facility_code", kFacility},
      {kAny, "death_notice", kNoticeNo},
      {kAny, "death_notice.facility_code", kFacility},
      {kAny, "divorce_decision", kDecisionNo},
      {kAny, "divorce_decision.court_code", kCourt},
      {kAny, "registrar", kRegistrar},
      {kAny, "registrar.title", kRegistrarTitle},
      {kAny, "recorded_at", kRecordedAt},
  };
  return paths;
}

// Whether `prefix` is `path` or a leading run of its components.
bool IsPathPrefix(std::string_view prefix, std::string_view path) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

}  // namespace

absl::StatusOr<ExportKind> ParseExportKind(std::string_view name) {
  if (name == "divorce") return ExportKind::kDivorce;
  if (name == "registration") return ExportKind::kRegistration;
  return absl::InvalidArgumentError("--kind: must be divorce or registration, got '" +
                                    std::string(name) + "'");
}

std::string_view ExportKindName(ExportKind kind) {
  return kind == ExportKind::kDivorce ? "divorce" : "registration";
}

std::string_view RecordPath(ExportKind kind) {
  return kind == ExportKind::kDivorce ? "divorce_decision" : "registration";
}

const std::vector<ColumnSpec>& Columns(ExportKind kind) {
  return kind == ExportKind::kDivorce ? DivorceColumns() : RegistrationColumns();
}

std::string ColumnForPath(ExportKind kind, v1::RegistrationKind registration_kind,
                          std::string_view path) {
  const std::string_view root = RecordPath(kind);
  if (!IsPathPrefix(root, path) || path.size() == root.size()) return "";
  path.remove_prefix(root.size() + 1);
  const auto& table = kind == ExportKind::kDivorce ? DivorcePaths() : RegistrationPaths();
  const PathColumn* best = nullptr;
  size_t best_length = 0;
  for (const auto& entry : table) {
    if (entry.only_for != v1::REGISTRATION_KIND_UNSPECIFIED && entry.only_for != registration_kind)
      continue;
    const std::string_view prefix = entry.path;
    if (IsPathPrefix(prefix, path) && prefix.size() >= best_length) {
      best = &entry;
      best_length = prefix.size();
    }
  }
  // "subject.full_name" and the like fall on the person's entry, which names the name column.
  return best ? Columns(kind)[best->column].name : "";
}

}  // namespace crvs::backfill
