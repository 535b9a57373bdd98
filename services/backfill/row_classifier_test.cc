#include "services/backfill/row_classifier.h"

#include <map>

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "services/backfill/report.h"
#include "services/backfill/test_util.h"
#include "services/records/records.h"

namespace crvs::backfill {
namespace {

namespace v1 = ::crvs::records::v1;
using Row = std::map<std::string, std::string>;
using ::google::protobuf::util::TimeUtil;

Row ValidDivorce() {
  return {{"ma_toa_an", "TAND79"},
          {"so_quyet_dinh", "12/2019/QĐST-HNGĐ"},
          {"loai_quyet_dinh", "THUAN_TINH"},
          {"ngay_quyet_dinh", "2019-03-04"},
          {"ngay_hieu_luc", "2019-03-04"},
          {"ho_ten_ben_a", "Nguyễn Văn An"},
          {"so_dinh_danh_ben_a", "079085001234"},
          {"gioi_tinh_ben_a", "M"},
          {"ngay_sinh_ben_a", "1985-06-07"},
          {"ho_ten_ben_b", "Lê Thị Hoa"},
          {"so_dinh_danh_ben_b", "001187004321"},
          {"gioi_tinh_ben_b", "F"},
          {"ngay_sinh_ben_b", "1987-02-03"}};
}

Row ValidBirth() {
  return {{"ma_co_quan_dang_ky", "26734"},
          {"quyen_so", "01/2020"},
          {"so_dang_ky", "15"},
          {"loai_dang_ky", "KHAI_SINH"},
          {"ngay_dang_ky", "2020-02-10"},
          {"ngay_su_kien", "2020-01-05"},
          {"ho_ten", "Nguyễn Minh Khang"},
          {"so_dinh_danh", "079220000015"},
          {"gioi_tinh", "M"},
          {"ngay_sinh", "2020-01-05"},
          {"dan_toc", "Kinh"},
          {"ma_xa_cu_tru", "26734"},
          {"ho_ten_me", "Trần Thị Mai"},
          {"so_dinh_danh_me", "079192000123"},
          {"ngay_sinh_me", "1992-04-01"},
          {"ho_ten_cha", "Nguyễn Văn Hùng"},
          {"so_dinh_danh_cha", "079090000456"},
          {"ngay_sinh_cha", "1990-08-09"},
          {"ma_co_so_y_te", "BV79001"},
          {"so_giay_chung_sinh", "GCS-15"},
          {"nguoi_ky", "Lê Thị Hồng"},
          {"chuc_vu_nguoi_ky", "Công chức tư pháp - hộ tịch"}};
}

Row ValidDivorceNoted() {
  return {{"ma_co_quan_dang_ky", "00004"},
          {"quyen_so", "02/2021"},
          {"so_dang_ky", "7"},
          {"loai_dang_ky", "GHI_CHU_LY_HON"},
          {"ngay_dang_ky", "2021-05-20"},
          {"ngay_su_kien", "2021-05-02"},
          {"ho_ten", "Nguyễn Văn An"},
          {"so_dinh_danh", "079085001234"},
          {"gioi_tinh", "M"},
          {"ngay_sinh", "1985-06-07"},
          {"ho_ten_ben_b", "Lê Thị Hoa"},
          {"so_dinh_danh_ben_b", "001187004321"},
          {"gioi_tinh_ben_b", "F"},
          {"ma_toa_an", "TAND01"},
          {"so_quyet_dinh", "40/2021/QĐST-HNGĐ"},
          {"nguoi_ky", "Đỗ Thị Lan"}};
}

struct Result {
  Verdict verdict;
  v1::RecordEnvelope envelope;
};

// Classifies `rows` in order, as one CSV file with every column of `kind`.
std::vector<Result> Classify(ExportKind kind, const std::vector<Row>& rows,
                             ClassifierOptions options = {}) {
  std::string text = testing::Header(kind) + "\n";
  for (const Row& r : rows) {
    const auto& columns = Columns(kind);
    for (size_t i = 0; i < columns.size(); ++i) {
      auto it = r.find(columns[i].name);
      text += (i ? "," : "") + CsvField(it == r.end() ? "" : it->second);
    }
    text += "\n";
  }
  auto data = ExportData::FromString(text);
  auto reader = ExportReader::Open(*data, ExportFormat::kCsv, kind, "test.csv");
  EXPECT_TRUE(reader.ok()) << reader.status();
  RowClassifier classifier(kind, options);
  std::vector<Result> out;
  RawRow row;
  while ((*reader)->Next(&row)) {
    Result r;
    r.verdict = classifier.Classify(row, &r.envelope);
    out.push_back(std::move(r));
  }
  return out;
}

Verdict One(ExportKind kind, const Row& row, ClassifierOptions options = {}) {
  auto results = Classify(kind, {row}, options);
  return results.empty() ? Verdict{} : results[0].verdict;
}

Row With(Row row, const std::string& column, const std::string& value) {
  row[column] = value;
  return row;
}

// "reason field detail" of an ineligible verdict; "eligible" otherwise.
std::string Why(const Verdict& v) {
  if (v.eligible) return "eligible";
  return std::string(ReasonName(v.why.reason)) + " " + v.why.field + " " + v.why.detail;
}

// --- divorce decisions -----------------------------------------------------------------------

TEST(DivorceRows, EligibleRowBecomesACompleteDeterministicEnvelope) {
  auto results = Classify(ExportKind::kDivorce, {ValidDivorce()});
  ASSERT_EQ(results.size(), 1u);
  const Verdict& v = results[0].verdict;
  const v1::RecordEnvelope& e = results[0].envelope;
  ASSERT_TRUE(v.eligible) << Why(v);
  EXPECT_EQ(v.business_key, "divorce/TAND79/12%2F2019%2FQĐST-HNGĐ");
  EXPECT_EQ(e.business_key(), v.business_key);
  EXPECT_EQ(e.kind(), v1::RECORD_KIND_DIVORCE_DECISION);
  EXPECT_EQ(e.action(), v1::ACTION_SUBMIT);
  EXPECT_EQ(records::FormatPrincipal(e.source()), "court:TAND79");
  EXPECT_EQ(e.schema_version(), records::kSchemaVersion);
  EXPECT_EQ(e.content_hash(), records::ContentHash(e.divorce_decision()));
  EXPECT_THAT(e.message_id(), ::testing::MatchesRegex("backfill:divorce:[0-9a-f]{32}"));
  EXPECT_THAT(e.trace_id(), ::testing::MatchesRegex("[0-9a-f]{32}"));
  const v1::DivorceDecision& d = e.divorce_decision();
  EXPECT_EQ(d.kind(), v1::DECISION_KIND_CONSENSUAL_RECOGNITION);
  EXPECT_EQ(d.spouse_a().personal_id().number(), "079085001234");
  EXPECT_EQ(d.spouse_b().sex(), common::v1::SEX_FEMALE);
  EXPECT_EQ(d.legal_effect_date().year(), 2019);
  EXPECT_FALSE(d.has_marriage());
  EXPECT_FALSE(d.has_set_aside());
  // Issued at the start of the effective day, Vietnam time.
  EXPECT_EQ(TimeUtil::ToString(d.issued_at()), "2019-03-03T17:00:00Z");
  EXPECT_EQ(TimeUtil::ToString(e.issued_at()), "2019-03-03T17:00:00Z");

  // The same row in another run (another classifier) is the same submission.
  auto again = Classify(ExportKind::kDivorce, {ValidDivorce()});
  EXPECT_EQ(again[0].envelope.message_id(), e.message_id());
  EXPECT_EQ(again[0].envelope.trace_id(), e.trace_id());
  EXPECT_EQ(again[0].envelope.content_hash(), e.content_hash());
  // Other content is another submission.
  auto changed =
      Classify(ExportKind::kDivorce, {With(ValidDivorce(), "ho_ten_ben_b", "Lê Thị Hoà")});
  EXPECT_NE(changed[0].envelope.message_id(), e.message_id());
}

TEST(DivorceRows, OptionalColumnsFillMarriageSetAsideAndIssuedAt) {
  Row row = ValidDivorce();
  row["loai_quyet_dinh"] = "ban_an";
  row["ngay_hieu_luc"] = "2019-04-04";
  row["ma_xa_dang_ky_ket_hon"] = "26734";
  row["quyen_so_ket_hon"] = "01/2010";
  row["so_dang_ky_ket_hon"] = "88";
  row["ngay_dang_ky_ket_hon"] = "2010-10-10";
  row["ngay_huy"] = "2020-01-15";
  row["so_quyet_dinh_huy"] = "3/2020/GĐT-DS";
  row["thoi_diem_cap_nhat"] = "2020-01-16T09:30:00+07:00";
  auto r = Classify(ExportKind::kDivorce, {row});
  ASSERT_TRUE(r[0].verdict.eligible) << Why(r[0].verdict);
  const v1::DivorceDecision& d = r[0].envelope.divorce_decision();
  EXPECT_EQ(d.kind(), v1::DECISION_KIND_JUDGMENT);
  EXPECT_EQ(d.marriage().book(), "01/2010");
  EXPECT_EQ(d.marriage().registered_on().year(), 2010);
  EXPECT_EQ(d.set_aside().by_decision_no(), "3/2020/GĐT-DS");
  EXPECT_EQ(TimeUtil::ToString(d.issued_at()), "2020-01-16T02:30:00Z");
}

TEST(DivorceRows, EachIneligibilityReasonNamesTheColumn) {
  const Row ok = ValidDivorce();
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "so_dinh_danh_ben_a", ""))),
            "missing_personal_id so_dinh_danh_ben_a is required: spouse A's personal ID");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "so_dinh_danh_ben_b", ""))),
            "missing_personal_id so_dinh_danh_ben_b is required: spouse B's personal ID");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "so_dinh_danh_ben_b", "001087004321"))),
            "invalid_personal_id so_dinh_danh_ben_b digit 4 says male but sex is SEX_FEMALE");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "so_dinh_danh_ben_a", "999085001234"))),
            "invalid_personal_id so_dinh_danh_ben_a digits 1-3 (999) are not a province id prefix");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "so_dinh_danh_ben_a", "07908500123"))),
            "invalid_personal_id so_dinh_danh_ben_a must be 12 digits");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "ngay_hieu_luc", ""))),
            "no_effective_date ngay_hieu_luc is empty: the decision has not taken legal effect (a "
            "pending decision is not backlog)");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "ngay_hieu_luc", "2026-01-15"))),
            "effective_after_cutoff ngay_hieu_luc 2026-01-15 is after the backlog's last day "
            "2025-12-31 (decisions effective later come through the court connector)");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "ngay_quyet_dinh", "04/03/2019"))),
            "bad_date ngay_quyet_dinh must be a real date yyyy-mm-dd, got '04/03/2019'");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "ngay_hieu_luc", "2019-02-29"))),
            "bad_date ngay_hieu_luc must be a real date yyyy-mm-dd, got '2019-02-29'");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "ngay_sinh_ben_a", "1985-6-7"))),
            "bad_date ngay_sinh_ben_a must be a real date yyyy-mm-dd");  // a birth date: not quoted
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "thoi_diem_cap_nhat", "hôm qua"))),
            "bad_date thoi_diem_cap_nhat must be an RFC 3339 timestamp like "
            "2020-03-01T08:15:30+07:00, got 'hôm qua'");
  EXPECT_EQ(
      Why(One(ExportKind::kDivorce, With(ok, "loai_quyet_dinh", "LY_THAN"))),
      "unknown_kind loai_quyet_dinh must be BAN_AN, THUAN_TINH or HUY_KET_HON, got 'LY_THAN'");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "loai_quyet_dinh", ""))),
            "missing_field loai_quyet_dinh is required (BAN_AN, THUAN_TINH or HUY_KET_HON)");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "ho_ten_ben_b", ""))),
            "missing_field ho_ten_ben_b is required");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "gioi_tinh_ben_a", "Nam"))),
            "invalid_value gioi_tinh_ben_a must be M or F (or empty), got 'Nam'");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "ngay_hieu_luc", "2019-02-22"))),
            "failed_validation ngay_hieu_luc legal effect date 2019-02-22 is before decision date "
            "2019-03-04");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "ma_toa_an", "tand79"))),
            "failed_validation ma_toa_an must be 2-16 uppercase ASCII letters or digits");
  EXPECT_EQ(Why(One(ExportKind::kDivorce, With(ok, "so_dinh_danh_ben_b", "079085001234"))),
            "invalid_personal_id so_dinh_danh_ben_b digit 4 says male but sex is SEX_FEMALE; also "
            "so_dinh_danh_ben_b: digits 4-6 say born in 1985 but date_of_birth is in 1987; "
            "so_dinh_danh_ben_b: must differ from spouse_a's");
}

TEST(DivorceRows, MissingKeyColumnLeavesTheKeyUnknown) {
  Verdict v = One(ExportKind::kDivorce, With(ValidDivorce(), "ma_toa_an", ""));
  EXPECT_EQ(Why(v), "missing_field ma_toa_an is required");
  EXPECT_EQ(v.business_key, "");
}

TEST(DivorceRows, BacklogCutOffComesFromTheOptions) {
  ClassifierOptions options;
  options.last_backlog_day = absl::CivilDay(2018, 12, 31);
  EXPECT_EQ(Why(One(ExportKind::kDivorce, ValidDivorce(), options)),
            "effective_after_cutoff ngay_hieu_luc 2019-03-04 is after the backlog's last day "
            "2018-12-31 (decisions effective later come through the court connector)");
}

TEST(DivorceRows, SecondRowWithTheSameKeyIsADuplicateWhateverTheFirstWas) {
  Row bad_first = With(ValidDivorce(), "ngay_hieu_luc", "");
  auto results = Classify(ExportKind::kDivorce,
                          {bad_first, ValidDivorce(),
                           With(ValidDivorce(), "so_quyet_dinh", "13/2019"), ValidDivorce()});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].verdict.why.reason, Reason::kNoEffectiveDate);
  EXPECT_EQ(Why(results[1].verdict),
            "duplicate_key so_quyet_dinh business key already at row 1 (one row per record: merge "
            "them in the export)");
  EXPECT_EQ(results[1].verdict.business_key, "divorce/TAND79/12%2F2019%2FQĐST-HNGĐ");
  EXPECT_TRUE(results[2].verdict.eligible);
  EXPECT_EQ(results[3].verdict.why.reason, Reason::kDuplicateKey);
}

// --- registrations ---------------------------------------------------------------------------

TEST(RegistrationRows, BirthWithParentsAndCertificate) {
  auto r = Classify(ExportKind::kRegistration, {ValidBirth()});
  ASSERT_TRUE(r[0].verdict.eligible) << Why(r[0].verdict);
  const v1::RecordEnvelope& e = r[0].envelope;
  EXPECT_EQ(e.business_key(), "registration/26734/01%2F2020/15");
  EXPECT_EQ(records::FormatPrincipal(e.source()), "registry_office:26734");
  EXPECT_THAT(e.message_id(), ::testing::MatchesRegex("backfill:registration:[0-9a-f]{32}"));
  const v1::Registration& reg = e.registration();
  EXPECT_EQ(reg.kind(), v1::REGISTRATION_KIND_BIRTH);
  ASSERT_EQ(reg.other_persons_size(), 2);
  EXPECT_EQ(reg.other_persons(0).full_name(), "Trần Thị Mai");
  EXPECT_EQ(reg.other_persons(1).personal_id().number(), "079090000456");
  EXPECT_EQ(reg.birth_certificate().facility_code(), "BV79001");
  EXPECT_EQ(reg.subject().residence().commune_code(), "26734");
  EXPECT_EQ(reg.registrar().title(), "Công chức tư pháp - hộ tịch");
  EXPECT_EQ(TimeUtil::ToString(reg.recorded_at()), "2020-02-09T17:00:00Z");
}

TEST(RegistrationRows, UnknownMotherKeepsTheFathersPosition) {
  Row row = ValidBirth();
  row["ho_ten_me"] = row["so_dinh_danh_me"] = row["ngay_sinh_me"] = "";
  auto r = Classify(ExportKind::kRegistration, {row});
  ASSERT_TRUE(r[0].verdict.eligible) << Why(r[0].verdict);
  ASSERT_EQ(r[0].envelope.registration().other_persons_size(), 2);
  EXPECT_EQ(r[0].envelope.registration().other_persons(0).ByteSizeLong(), 0u);
  EXPECT_EQ(r[0].envelope.registration().other_persons(1).full_name(), "Nguyễn Văn Hùng");
}

TEST(RegistrationRows, DeathWithoutPersonalIdAndDivorceNotedAreEligible) {
  Row death = {{"ma_co_quan_dang_ky", "00004"},
               {"quyen_so", "01/2017"},
               {"so_dang_ky", "3"},
               {"loai_dang_ky", "khai_tu"},
               {"ngay_dang_ky", "2017-05-09"},
               {"ngay_su_kien", "2017-05-01"},
               {"ho_ten", "Hoàng Văn Tư"},
               {"gioi_tinh", "M"},
               {"ngay_sinh", "1931-01-01"},
               {"ma_co_so_y_te", "BV01002"},
               {"so_giay_bao_tu", "GBT-3"},
               {"nguoi_ky", "Đỗ Thị Lan"}};
  auto r = Classify(ExportKind::kRegistration, {death, ValidDivorceNoted()});
  ASSERT_TRUE(r[0].verdict.eligible) << Why(r[0].verdict);
  EXPECT_EQ(r[0].envelope.registration().death_notice().notice_no(), "GBT-3");
  ASSERT_TRUE(r[1].verdict.eligible) << Why(r[1].verdict);
  EXPECT_EQ(r[1].envelope.registration().divorce_decision().decision_no(), "40/2021/QĐST-HNGĐ");
  EXPECT_EQ(r[1].envelope.registration().other_persons(0).personal_id().number(), "001187004321");
}

TEST(RegistrationRows, EachIneligibilityReasonNamesTheColumn) {
  const Row birth = ValidBirth();
  const Row divorce = ValidDivorceNoted();
  const auto kind = ExportKind::kRegistration;
  EXPECT_EQ(Why(One(kind, With(birth, "so_dinh_danh", ""))),
            "missing_personal_id so_dinh_danh is required: the child's personal ID");
  EXPECT_EQ(Why(One(kind, With(divorce, "so_dinh_danh", ""))),
            "missing_personal_id so_dinh_danh is required: spouse A's personal ID");
  EXPECT_EQ(Why(One(kind, With(divorce, "so_dinh_danh_ben_b", ""))),
            "missing_personal_id so_dinh_danh_ben_b is required: spouse B's personal ID");
  EXPECT_EQ(Why(One(kind, With(birth, "so_dinh_danh", "079221000015"))),
            "invalid_personal_id so_dinh_danh digits 4-6 say born in 2021 but date_of_birth is in "
            "2020");
  EXPECT_EQ(Why(One(kind, With(birth, "so_dinh_danh_me", "079092000123"))),
            "invalid_personal_id so_dinh_danh_me digit 4 says male but the mother is taken as "
            "female (sex unspecified)");
  EXPECT_EQ(
      Why(One(kind, With(birth, "loai_dang_ky", "KET_HON"))),
      "unknown_kind loai_dang_ky must be KHAI_SINH, KHAI_TU or GHI_CHU_LY_HON, got 'KET_HON'");
  EXPECT_EQ(Why(One(kind, With(birth, "ngay_dang_ky", "2020-13-01"))),
            "bad_date ngay_dang_ky must be a real date yyyy-mm-dd, got '2020-13-01'");
  EXPECT_EQ(Why(One(kind, With(birth, "ngay_dang_ky", "2020-01-02"))),
            "failed_validation ngay_su_kien event date 2020-01-05 is after registration date "
            "2020-01-02");
  EXPECT_EQ(Why(One(kind, With(birth, "so_giay_bao_tu", "GBT-1"))),
            "invalid_value so_giay_bao_tu must be empty for a KHAI_SINH registration");
  EXPECT_EQ(Why(One(kind, With(divorce, "ho_ten_me", "Trần Thị Mai"))),
            "invalid_value ho_ten_me must be empty for a GHI_CHU_LY_HON registration");
  EXPECT_EQ(Why(One(kind, With(birth, "so_giay_chung_sinh", ""))),
            "missing_field so_giay_chung_sinh is required when ma_co_so_y_te is given");
  Row no_link = divorce;
  no_link["ma_toa_an"] = no_link["so_quyet_dinh"] = "";
  EXPECT_EQ(Why(One(kind, no_link)),
            "missing_field so_quyet_dinh is required for REGISTRATION_KIND_DIVORCE_NOTED");
  Row no_registrar = birth;
  no_registrar["nguoi_ky"] = no_registrar["chuc_vu_nguoi_ky"] = "";
  EXPECT_EQ(Why(One(kind, no_registrar)), "missing_field nguoi_ky is required");
  EXPECT_EQ(Why(One(kind, With(birth, "gioi_tinh", "X"))),
            "invalid_value gioi_tinh must be M or F (or empty), got 'X'");
  EXPECT_EQ(Why(One(kind, With(birth, "ma_xa_cu_tru", "2673"))),
            "failed_validation ma_xa_cu_tru must be 5 digits");
  EXPECT_EQ(Why(One(kind, With(birth, "thoi_diem_ghi_so", "2020-02-10 10:00"))),
            "bad_date thoi_diem_ghi_so must be an RFC 3339 timestamp like "
            "2020-03-01T08:15:30+07:00, got '2020-02-10 10:00'");
}

TEST(Columns, TablesFollowTheColumnEnums) {
  ASSERT_EQ(Columns(ExportKind::kDivorce).size(), static_cast<size_t>(divorce::kColumnCount));
  ASSERT_EQ(Columns(ExportKind::kRegistration).size(),
            static_cast<size_t>(registration::kColumnCount));
  EXPECT_STREQ(Columns(ExportKind::kDivorce)[divorce::kUpdatedAt].name, "thoi_diem_cap_nhat");
  EXPECT_STREQ(Columns(ExportKind::kRegistration)[registration::kSpouseBirth].name,
               "ngay_sinh_ben_b");
  EXPECT_STREQ(Columns(ExportKind::kRegistration)[registration::kRecordedAt].name,
               "thoi_diem_ghi_so");
}

TEST(ColumnForPath, MapsValidationPathsToExportColumns) {
  EXPECT_EQ(ColumnForPath(ExportKind::kDivorce, v1::REGISTRATION_KIND_UNSPECIFIED,
                          "divorce_decision.spouse_a.personal_id.number"),
            "so_dinh_danh_ben_a");
  EXPECT_EQ(ColumnForPath(ExportKind::kDivorce, v1::REGISTRATION_KIND_UNSPECIFIED,
                          "divorce_decision.set_aside.set_aside_on"),
            "ngay_huy");
  EXPECT_EQ(ColumnForPath(ExportKind::kRegistration, v1::REGISTRATION_KIND_BIRTH,
                          "registration.other_persons[0].personal_id.number"),
            "so_dinh_danh_me");
  EXPECT_EQ(ColumnForPath(ExportKind::kRegistration, v1::REGISTRATION_KIND_DIVORCE_NOTED,
                          "registration.other_persons[0].personal_id.number"),
            "so_dinh_danh_ben_b");
  EXPECT_EQ(ColumnForPath(ExportKind::kRegistration, v1::REGISTRATION_KIND_DEATH,
                          "registration.other_persons"),
            "");
}

}  // namespace
}  // namespace crvs::backfill

namespace crvs::backfill {
namespace {

TEST(ColumnsDoc, EveryColumnIsDocumentedInTheReadme) {
  const std::string readme =
      testing::ReadFile(std::string(CRVS_SOURCE_DIR) + "/services/backfill/README.md");
  ASSERT_FALSE(readme.empty());
  for (ExportKind kind : {ExportKind::kDivorce, ExportKind::kRegistration}) {
    for (const auto& c : Columns(kind)) {
      EXPECT_NE(readme.find("`" + std::string(c.name) + "`"), std::string::npos)
          << c.name << " is not in services/backfill/README.md";
    }
  }
  for (int i = 0; i < kReasonCount; ++i) {
    const std::string reason(ReasonName(static_cast<Reason>(i)));
    EXPECT_NE(readme.find("| `" + reason + "` |"), std::string::npos)
        << reason << " is not in the README's reason table";
  }
}

}  // namespace
}  // namespace crvs::backfill
