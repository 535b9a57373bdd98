// The columns of the historical exports `crvs backfill` loads: one table per export kind
// (court divorce decisions, civil-status registrations), the same names in CSV headers and
// NDJSON keys, documented in README.md. The tables also map a
// validation library field path (e.g. "divorce_decision.spouse_a.personal_id.number") back to
// the column a clerk has to fix ("so_dinh_danh_ben_a").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "crvs/records/v1/registration.pb.h"

namespace crvs::backfill {

enum class ExportKind { kDivorce, kRegistration };

// "divorce" / "registration".
absl::StatusOr<ExportKind> ParseExportKind(std::string_view name);
std::string_view ExportKindName(ExportKind kind);
// "divorce_decision" / "registration": the record's field name in RecordEnvelope, which
// prefixes the validation paths.
std::string_view RecordPath(ExportKind kind);

// Column ids of a divorce-decision export, in documentation order.
namespace divorce {
enum Column : int {
  kCourtCode,       // ma_toa_an
  kDecisionNo,      // so_quyet_dinh
  kKind,            // loai_quyet_dinh
  kDecisionDate,    // ngay_quyet_dinh
  kEffectDate,      // ngay_hieu_luc
  kNameA,           // ho_ten_ben_a
  kIdA,             // so_dinh_danh_ben_a
  kSexA,            // gioi_tinh_ben_a
  kBirthA,          // ngay_sinh_ben_a
  kNameB,           // ho_ten_ben_b
  kIdB,             // so_dinh_danh_ben_b
  kSexB,            // gioi_tinh_ben_b
  kBirthB,          // ngay_sinh_ben_b
  kMarriageOffice,  // ma_xa_dang_ky_ket_hon
  kMarriageBook,    // quyen_so_ket_hon
  kMarriageNo,      // so_dang_ky_ket_hon
  kMarriageDate,    // ngay_dang_ky_ket_hon
  kSetAsideOn,      // ngay_huy
  kSetAsideBy,      // so_quyet_dinh_huy
  kSetAsideReason,  // ly_do_huy
  kUpdatedAt,       // thoi_diem_cap_nhat
  kColumnCount
};
}  // namespace divorce

// Column ids of a registration export.
namespace registration {
enum Column : int {
  kOffice,            // ma_co_quan_dang_ky
  kBook,              // quyen_so
  kNumber,            // so_dang_ky
  kKind,              // loai_dang_ky
  kRegistrationDate,  // ngay_dang_ky
  kEventDate,         // ngay_su_kien
  kName,              // ho_ten
  kId,                // so_dinh_danh
  kSex,               // gioi_tinh
  kBirth,             // ngay_sinh
  kEthnicity,         // dan_toc
  kResidence,         // ma_xa_cu_tru
  kMotherName,        // ho_ten_me
  kMotherId,          // so_dinh_danh_me
  kMotherBirth,       // ngay_sinh_me
  kFatherName,        // ho_ten_cha
  kFatherId,          // so_dinh_danh_cha
  kFatherBirth,       // ngay_sinh_cha
  kSpouseName,        // ho_ten_ben_b
  kSpouseId,          // so_dinh_danh_ben_b
  kSpouseSex,         // gioi_tinh_ben_b
  kSpouseBirth,       // ngay_sinh_ben_b
  kFacility,          // ma_co_so_y_te
  kCertificateNo,     // so_giay_chung_sinh
  kNoticeNo,          // so_giay_bao_tu
  kCourt,             // ma_toa_an
  kDecisionNo,        // so_quyet_dinh
  kRegistrar,         // nguoi_ky
  kRegistrarTitle,    // chuc_vu_nguoi_ky
  kRecordedAt,        // thoi_diem_ghi_so
  kColumnCount
};
}  // namespace registration

// What each column means is documented in README.md (a unit test keeps the two in step).
struct ColumnSpec {
  const char* name;         // header / NDJSON key
  bool required_in_header;  // a CSV header without it is rejected (key and kind columns)
};

// The columns of `kind`, indexed by its Column enum.
const std::vector<ColumnSpec>& Columns(ExportKind kind);

// The export column a validation violation at `path` (full path, starting with RecordPath)
// is about; `registration_kind` tells what other_persons[i] are. Empty when no column holds
// that field (then the report names the path itself).
std::string ColumnForPath(ExportKind kind, records::v1::RegistrationKind registration_kind,
                          std::string_view path);

}  // namespace crvs::backfill
