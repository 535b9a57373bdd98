#include "services/documents/hospital_document.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace crvs::documents {
namespace {

namespace v1 = ::crvs::records::v1;
namespace common = ::crvs::common::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// 2026-12-01 00:00 UTC: the documents below were all issued before.
int64_t FixedNow() {
  return absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(2026, 12, 1, 0, 0, 0), absl::UTCTimeZone()));
}

ReadOptions Options() {
  ReadOptions o;
  o.now_unix_seconds = FixedNow();
  return o;
}

// One record element's leaf children, in order; Set replaces or appends, Remove drops.
class Element {
 public:
  Element(std::string name, std::vector<std::pair<std::string, std::string>> fields)
      : name_(std::move(name)), fields_(std::move(fields)) {}
  Element& Set(const std::string& field, const std::string& value) {
    for (auto& [k, v] : fields_) {
      if (k == field) {
        v = value;
        return *this;
      }
    }
    fields_.emplace_back(field, value);
    return *this;
  }
  Element& Remove(const std::string& field) {
    fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                                 [&](const auto& f) { return f.first == field; }),
                  fields_.end());
    return *this;
  }
  std::string Xml() const {
    std::string out = absl::StrCat("<", name_, ">");
    for (const auto& [k, v] : fields_) absl::StrAppend(&out, "<", k, ">", v, "</", k, ">");
    return absl::StrCat(out, "</", name_, ">");
  }

 private:
  std::string name_;
  std::vector<std::pair<std::string, std::string>> fields_;
};

Element DeathNotice() {
  return Element("GIAYBAOTU", {{"MA_GBT", "79001.GBT.96025.26"},
                               {"MA_BN", "BN0001"},
                               {"HO_TEN", "Trần Văn Bình"},
                               {"NGAY_SINH", "19520315"},
                               {"GIOI_TINH", "1"},
                               {"MA_DANTOC", "01"},
                               {"MA_QUOCTICH", "000"},
                               {"MATINH_THUONGTRU", "79"},
                               {"MAHUYEN_THUONGTRU", ""},
                               {"MAXA_THUONGTRU", "26734"},
                               {"MATINH_HIENTAI", "79"},
                               {"MAXA_HIENTAI", "26737"},
                               {"LOAI_GIAYTO", "1"},
                               {"SO_GIAYTO", "001052003456"},
                               {"NGAY_TV", "202611201430"},
                               {"NGUYENNHAN_TV", "Nhồi máu cơ tim cấp"},
                               {"NGUOI_GHIGIAY", "BS. Lê Thị Hoa"},
                               {"TTRUONG_DVI", "BS. Phạm Văn Nam"},
                               {"SO_BAOTU", "125"},
                               {"QUYEN_SO", "01/2026"},
                               {"NGAY_CAPGIAYBT", "20261120"},
                               {"SO_BAOTU_BD", ""},
                               {"QUYEN_SO_BD", ""},
                               {"MACSKCB", "79001"},
                               {"BENH_ICD10_ID", "I21.9;I10"},
                               {"BENH_ICD10_TEN", "Nhồi máu cơ tim cấp; tăng huyết áp"}});
}

Element BirthCertificate() {
  return Element("GIAYCHUNGSINH", {{"MA_GCS", "79001.GCS.00123.26"},
                                   {"MACSKCB", "79001"},
                                   {"HOTEN_NND", "Nguyễn Thị Lan"},
                                   {"NGAYSINH_NND", "19940210"},
                                   {"MA_DANTOC_NND", "01"},
                                   {"SO_CCCD_NND", "079194001234"},
                                   {"MATINH_CU_TRU", "79"},
                                   {"MAHUYEN_CU_TRU", ""},
                                   {"MAXA_CU_TRU", "26734"},
                                   {"HO_TEN_CHA", "Trần Văn Minh"},
                                   {"TEN_CON", ""},
                                   {"GIOI_TINH_CON", "2"},
                                   {"SO_CON", "1"},
                                   {"LAN_SINH", "1"},
                                   {"CAN_NANG_CON", "3200"},
                                   {"NGAY_SINH_CON", "20261115083000"},
                                   {"NGUOI_DO_DE", "NHS. Võ Thị Mai"},
                                   {"NGUOI_GHI_PHIEU", "BS. Đỗ Văn Tâm"},
                                   {"THU_TRUONG_DVI", "BS. Phạm Văn Nam"},
                                   {"NGAY_CT", "20261115"},
                                   {"SO", "123"},
                                   {"QUYEN_SO", "05/2026"},
                                   {"CAP_LAN_DAU", "1"}});
}

Element Child(const std::string& so, const std::string& sex, const std::string& born) {
  return Element("DU_LIEU_GIAY_CHUNG_SINH", {{"MA_LK", "LK0001"},
                                             {"HO_TEN_NND", "Nguyễn Thị Lan"},
                                             {"NGAYSINH_NND", "19940210"},
                                             {"MA_DANTOC_NND", "01"},
                                             {"SO_CCCD_NND", "079194001234"},
                                             {"MATINH_CU_TRU", "79"},
                                             {"MAXA_CU_TRU", "26734"},
                                             {"HO_TEN_CHA", ""},
                                             {"HO_TEN_CON", ""},
                                             {"GIOI_TINH_CON", sex},
                                             {"SO_CON", "2"},
                                             {"CAN_NANG_CON", "2500"},
                                             {"NGAY_SINH_CON", born},
                                             {"NGUOI_DO_DE", "BS. Lê Thị Hoa"},
                                             {"NGUOI_GHI_PHIEU", "BS. Đỗ Văn Tâm"},
                                             {"NGAY_CT", "20261116"},
                                             {"SO", so},
                                             {"QUYEN_SO", "05/2026"}});
}

std::string Death(const Element& e) { return absl::StrCat("<HSDLGBT>", e.Xml(), "</HSDLGBT>"); }
std::string Birth(const Element& e) { return absl::StrCat("<HSDLGCS>", e.Xml(), "</HSDLGCS>"); }

std::string Envelope(const std::vector<Element>& children, const std::string& kind = "XML9") {
  std::string table = "<CHI_TIEU_DU_LIEU_GIAY_CHUNG_SINH><DSACH_GIAYCHUNGSINH>";
  for (const Element& c : children) table += c.Xml();
  table += "</DSACH_GIAYCHUNGSINH></CHI_TIEU_DU_LIEU_GIAY_CHUNG_SINH>";
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><GIAMDINHHS><THONGTINDONVI><MACSKCB>79001"
      "</MACSKCB></THONGTINDONVI><THONGTINHOSO><NGAYLAP>20261116</NGAYLAP><SOLUONGHOSO>1"
      "</SOLUONGHOSO><DANHSACHHOSO><HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>",
      absl::Base64Escape("<TONG_HOP/>"), "</NOIDUNGFILE></FILEHOSO><FILEHOSO><LOAIHOSO>", kind,
      "</LOAIHOSO><NOIDUNGFILE>", absl::Base64Escape(table),
      "</NOIDUNGFILE></FILEHOSO></HOSO></DANHSACHHOSO></THONGTINHOSO><CHUKYDONVI/></GIAMDINHHS>");
}

std::vector<std::string> Paths(const DocumentResult& r) {
  std::vector<std::string> out;
  for (const DocumentError& e : r.errors) out.push_back(e.path);
  return out;
}

std::string Describe(const DocumentResult& r) {
  std::string out;
  for (const DocumentError& e : r.errors) {
    absl::StrAppend(&out, e.path, " [", e.code, "] ", e.message_en, "\n");
  }
  return out;
}

int64_t Local(int y, int mo, int d, int h, int mi, int s) {
  return absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                                             absl::FixedTimeZone(7 * 3600)));
}

// --- mapping --------------------------------------------------------------------------------

TEST(HospitalDocument, DeathNoticeMapsEveryField) {
  const DocumentResult r = ReadHospitalDocument(Death(DeathNotice()), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.type, DocumentType::kDeathNotice);
  EXPECT_EQ(r.facility_code, "79001");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].path, "GIAYBAOTU");
  const auto& req = r.records[0].request;
  EXPECT_EQ(req.action(), v1::ACTION_SUBMIT);
  EXPECT_THAT(req.message_id(), ::testing::MatchesRegex("doc:submit:[0-9a-f]{32}"));
  const v1::DeathNotice& d = req.death_notice();
  EXPECT_EQ(d.key().facility_code(), "79001");
  EXPECT_EQ(d.key().notice_no(), "79001.GBT.96025.26");
  EXPECT_EQ(d.deceased().full_name(), "Trần Văn Bình");
  EXPECT_EQ(d.deceased().sex(), common::SEX_MALE);
  EXPECT_EQ(d.deceased().date_of_birth().year(), 1952);
  EXPECT_EQ(d.deceased().date_of_birth().month(), 3);
  EXPECT_EQ(d.deceased().date_of_birth().day(), 15);
  EXPECT_EQ(d.deceased().personal_id().number(), "001052003456");
  EXPECT_EQ(d.deceased().ethnicity(), "01");
  EXPECT_EQ(d.deceased().residence().commune_code(), "26734");  // permanent residence
  EXPECT_EQ(d.deceased().residence().province_code(), "79");
  EXPECT_EQ(d.died_at().instant().seconds(), Local(2026, 11, 20, 14, 30, 0));
  EXPECT_EQ(d.died_at().utc_offset_minutes(), 420);
  EXPECT_TRUE(d.place_of_death().in_facility());
  EXPECT_EQ(d.place_of_death().facility().facility_code(), "79001");
  EXPECT_EQ(d.place_of_death().commune_code(), "26737");  // current residence
  ASSERT_EQ(d.cause_of_death().chain_size(), 1);
  EXPECT_EQ(d.cause_of_death().chain(0).role(), v1::CAUSE_ROLE_UNDERLYING);
  EXPECT_EQ(d.cause_of_death().chain(0).description(), "Nhồi máu cơ tim cấp");
  EXPECT_EQ(d.cause_of_death().chain(0).icd10_code(), "I21.9");  // the first of "I21.9;I10"
  EXPECT_EQ(d.certifier().full_name(), "BS. Lê Thị Hoa");
  EXPECT_EQ(d.issued_at().seconds(), Local(2026, 11, 20, 23, 59, 59));  // end of the local day
}

TEST(HospitalDocument, DeathNoticeCertifierFallsBackToHeadOfUnit) {
  const DocumentResult r =
      ReadHospitalDocument(Death(DeathNotice().Remove("NGUOI_GHIGIAY")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.death_notice().certifier().full_name(), "BS. Phạm Văn Nam");
}

TEST(HospitalDocument, DeathResidenceCommunes) {
  // No permanent residence: the current one is both residence and place of death.
  DocumentResult r =
      ReadHospitalDocument(Death(DeathNotice().Set("MAXA_THUONGTRU", "")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.death_notice().deceased().residence().commune_code(), "26737");
  // No current residence: the permanent one is the place of death.
  r = ReadHospitalDocument(Death(DeathNotice().Set("MAXA_HIENTAI", "")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.death_notice().place_of_death().commune_code(), "26734");
  // A bad code is one error, on the element that holds it.
  r = ReadHospitalDocument(Death(DeathNotice().Set("MAXA_HIENTAI", "267")), Options());
  EXPECT_THAT(Paths(r), ElementsAre("GIAYBAOTU/MAXA_HIENTAI")) << Describe(r);
  r = ReadHospitalDocument(Death(DeathNotice().Set("MAXA_THUONGTRU", "267")), Options());
  EXPECT_THAT(Paths(r), ElementsAre("GIAYBAOTU/MAXA_THUONGTRU")) << Describe(r);
  r = ReadHospitalDocument(
      Death(DeathNotice().Set("MAXA_THUONGTRU", "").Set("MAXA_HIENTAI", "")), Options());
  EXPECT_THAT(Paths(r), ElementsAre("GIAYBAOTU/MAXA_THUONGTRU")) << Describe(r);
}

TEST(HospitalDocument, YearOnlyDateOfBirthIsFirstOfJanuary) {
  const DocumentResult r =
      ReadHospitalDocument(Death(DeathNotice().Set("NGAY_SINH", "1952")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  const auto& dob = r.records[0].request.death_notice().deceased().date_of_birth();
  EXPECT_EQ(dob.year(), 1952);
  EXPECT_EQ(dob.month(), 1);
  EXPECT_EQ(dob.day(), 1);
}

TEST(HospitalDocument, BirthCertificateMapsEveryField) {
  const DocumentResult r = ReadHospitalDocument(Birth(BirthCertificate()), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.type, DocumentType::kBirthCertificate);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].path, "GIAYCHUNGSINH");
  const auto& req = r.records[0].request;
  EXPECT_EQ(req.action(), v1::ACTION_SUBMIT);
  const v1::BirthCertificate& b = req.birth_certificate();
  EXPECT_EQ(b.key().facility_code(), "79001");
  EXPECT_EQ(b.key().certificate_no(), "79001.GCS.00123.26");
  EXPECT_EQ(b.child().full_name(), "");
  EXPECT_EQ(b.child().sex(), common::SEX_FEMALE);
  EXPECT_EQ(b.child().born_at().instant().seconds(), Local(2026, 11, 15, 8, 30, 0));
  EXPECT_EQ(b.child().born_at().utc_offset_minutes(), 420);
  EXPECT_EQ(b.child().weight_grams(), 3200);
  EXPECT_EQ(b.child().plurality(), 1);
  EXPECT_EQ(b.child().birth_order(), 1);
  EXPECT_EQ(b.mother().full_name(), "Nguyễn Thị Lan");
  EXPECT_EQ(b.mother().sex(), common::SEX_FEMALE);
  EXPECT_EQ(b.mother().personal_id().number(), "079194001234");
  EXPECT_EQ(b.mother().date_of_birth().year(), 1994);
  EXPECT_EQ(b.mother().ethnicity(), "01");
  EXPECT_EQ(b.mother().residence().commune_code(), "26734");
  EXPECT_EQ(b.mother().residence().province_code(), "79");
  EXPECT_EQ(b.father().full_name(), "Trần Văn Minh");
  EXPECT_EQ(b.attendant().full_name(), "NHS. Võ Thị Mai");
  EXPECT_EQ(b.issuing_officer().full_name(), "BS. Đỗ Văn Tâm");
  EXPECT_TRUE(b.place_of_birth().in_facility());
  EXPECT_EQ(b.place_of_birth().facility().facility_code(), "79001");
  EXPECT_EQ(b.place_of_birth().commune_code(), "26734");
  EXPECT_EQ(b.issued_at().seconds(), Local(2026, 11, 15, 23, 59, 59));
}

TEST(HospitalDocument, NoFatherWhenHisNameIsEmpty) {
  const DocumentResult r =
      ReadHospitalDocument(Birth(BirthCertificate().Set("HO_TEN_CHA", "")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_FALSE(r.records[0].request.birth_certificate().has_father());
}

TEST(HospitalDocument, IssuedTodayIsNotInTheFuture) {
  // Born and issued "today": the end of the day would be in the future, so issued_at is now.
  ReadOptions o = Options();
  o.now_unix_seconds = Local(2026, 11, 15, 10, 0, 0);
  const DocumentResult r = ReadHospitalDocument(Birth(BirthCertificate()), o);
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.birth_certificate().issued_at().seconds(), o.now_unix_seconds);
}

TEST(HospitalDocument, FacilityFromTheSenderWhenMacskcbAbsent) {
  ReadOptions o = Options();
  o.facility_code = "79001";
  DocumentResult r = ReadHospitalDocument(Birth(BirthCertificate().Remove("MACSKCB")), o);
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.birth_certificate().key().facility_code(), "79001");
  EXPECT_EQ(r.facility_code, "");

  r = ReadHospitalDocument(Birth(BirthCertificate().Remove("MACSKCB")), Options());
  EXPECT_THAT(Paths(r), ElementsAre("GIAYCHUNGSINH/MACSKCB"));
  EXPECT_EQ(r.errors[0].code, "required");

  o.facility_code = "01002";
  r = ReadHospitalDocument(Birth(BirthCertificate()), o);
  EXPECT_THAT(Paths(r), ElementsAre("GIAYCHUNGSINH/MACSKCB"));
  EXPECT_EQ(r.errors[0].code, "facility_mismatch");
}

TEST(HospitalDocument, Table9WithTwins) {
  const DocumentResult r = ReadHospitalDocument(
      Envelope({Child("123", "1", "20261116071500"), Child("124", "2", "20261116072000")}),
      Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.type, DocumentType::kClaimsTable9);
  EXPECT_EQ(r.facility_code, "79001");
  ASSERT_EQ(r.records.size(), 2u);
  const std::string table =
      "GIAMDINHHS/THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO[XML9]/NOIDUNGFILE/"
      "CHI_TIEU_DU_LIEU_GIAY_CHUNG_SINH/DSACH_GIAYCHUNGSINH/";
  EXPECT_EQ(r.records[0].path, table + "DU_LIEU_GIAY_CHUNG_SINH[1]");
  EXPECT_EQ(r.records[1].path, table + "DU_LIEU_GIAY_CHUNG_SINH[2]");
  const auto& first = r.records[0].request.birth_certificate();
  const auto& second = r.records[1].request.birth_certificate();
  EXPECT_EQ(first.key().facility_code(), "79001");
  EXPECT_EQ(first.key().certificate_no(), "05/2026/123");
  EXPECT_EQ(second.key().certificate_no(), "05/2026/124");
  EXPECT_EQ(first.child().plurality(), 2);
  EXPECT_EQ(first.child().birth_order(), 1);
  EXPECT_EQ(second.child().birth_order(), 2);
  EXPECT_EQ(first.child().sex(), common::SEX_MALE);
  EXPECT_EQ(second.child().sex(), common::SEX_FEMALE);
  EXPECT_EQ(first.mother().full_name(), "Nguyễn Thị Lan");
  EXPECT_NE(r.records[0].request.message_id(), r.records[1].request.message_id());
}

TEST(HospitalDocument, Table9ErrorNamesTheChild) {
  const DocumentResult r = ReadHospitalDocument(
      Envelope({Child("123", "1", "20261116071500"),
                Child("124", "2", "20261116072000").Set("SO_CCCD_NND", "07919400123X")}),
      Options());
  EXPECT_THAT(Paths(r),
              ElementsAre("GIAMDINHHS/THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO[XML9]/NOIDUNGFILE/"
                          "CHI_TIEU_DU_LIEU_GIAY_CHUNG_SINH/DSACH_GIAYCHUNGSINH/"
                          "DU_LIEU_GIAY_CHUNG_SINH[2]/SO_CCCD_NND"));
  EXPECT_EQ(r.errors[0].code, "personal_id_digits");
  EXPECT_TRUE(r.records.empty());  // one bad child: the whole document is refused
}

TEST(HospitalDocument, EnvelopeWithoutTable9IsAnError) {
  const DocumentResult r =
      ReadHospitalDocument(Envelope({Child("123", "1", "20261116071500")}, "XML2"), Options());
  EXPECT_THAT(Paths(r), ElementsAre("GIAMDINHHS/THONGTINHOSO/DANHSACHHOSO"));
  EXPECT_EQ(r.errors[0].code, "no_table9");
  EXPECT_THAT(r.errors[0].message_en, HasSubstr("XML9"));
}

TEST(HospitalDocument, Table9WithMoreChildrenThanTheLimit) {
  ReadOptions o = Options();
  o.limits.max_records = 1;
  const DocumentResult r = ReadHospitalDocument(
      Envelope({Child("123", "1", "20261116071500"), Child("124", "2", "20261116072000")}), o);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code, "too_many_records");
}

// --- problems -------------------------------------------------------------------------------

TEST(HospitalDocument, TenBrokenFieldsGiveTenErrors) {
  const Element broken = BirthCertificate()
                             .Set("NGAY_SINH_CON", "202611150830")  // 12 digits, 14 expected
                             .Set("SO_CCCD_NND", "0791940012")      // 10 digits
                             .Set("MAXA_CU_TRU", "2673")
                             .Set("MATINH_CU_TRU", "7")
                             .Set("GIOI_TINH_CON", "9")
                             .Set("CAN_NANG_CON", "3,2")
                             .Set("SO_CON", "x")
                             .Set("NGAYSINH_NND", "19940230")  // 30 February
                             .Set("NGAY_CT", "2026-11-15")
                             .Set("CAP_LAN_DAU", "5");
  const DocumentResult r = ReadHospitalDocument(Birth(broken), Options());
  std::vector<std::string> expected;
  for (const char* e : {"NGAY_SINH_CON", "SO_CCCD_NND", "MAXA_CU_TRU", "MATINH_CU_TRU",
                        "GIOI_TINH_CON", "CAN_NANG_CON", "SO_CON", "NGAYSINH_NND", "NGAY_CT",
                        "CAP_LAN_DAU"}) {
    expected.push_back(absl::StrCat("GIAYCHUNGSINH/", e));
  }
  EXPECT_THAT(Paths(r), UnorderedElementsAreArray(expected)) << Describe(r);
  EXPECT_TRUE(r.records.empty());
  for (const DocumentError& e : r.errors) {
    EXPECT_FALSE(e.message_vi.empty());
    EXPECT_NE(e.message_vi, e.message_en) << e.path;
  }
}

TEST(HospitalDocument, DateFormatsAreStrict) {
  for (const char* bad : {"20261120143", "2026112014300", "2026112O1430", "202602301430",
                          "202611202430", "202611201460", "202613201430", "000011201430"}) {
    const DocumentResult r =
        ReadHospitalDocument(Death(DeathNotice().Set("NGAY_TV", bad)), Options());
    ASSERT_THAT(Paths(r), ElementsAre("GIAYBAOTU/NGAY_TV")) << bad;
    EXPECT_EQ(r.errors[0].code, "date_format");
    EXPECT_THAT(r.errors[0].message_vi, HasSubstr("yyyyMMddHHmm (12 chữ số"));
    EXPECT_THAT(r.errors[0].message_en, HasSubstr("yyyyMMddHHmm (12 digits"));
  }
  const DocumentResult r =
      ReadHospitalDocument(Birth(BirthCertificate().Set("NGAY_SINH_CON", "202611150830")),
                           Options());
  ASSERT_THAT(Paths(r), ElementsAre("GIAYCHUNGSINH/NGAY_SINH_CON"));
  EXPECT_THAT(r.errors[0].message_en, HasSubstr("yyyyMMddHHmmss (14 digits"));
}

TEST(HospitalDocument, ValidatorViolationsNameTheElement) {
  // The mother's ID says "male born 1994" (digit 4 = 0): a rule of the validators.
  DocumentResult r = ReadHospitalDocument(
      Birth(BirthCertificate().Set("SO_CCCD_NND", "079094001234")), Options());
  ASSERT_THAT(Paths(r), ElementsAre("GIAYCHUNGSINH/SO_CCCD_NND")) << Describe(r);
  EXPECT_EQ(r.errors[0].code, "rule");
  EXPECT_THAT(r.errors[0].message_en, HasSubstr("birth_certificate.mother.personal_id.number"));
  EXPECT_THAT(r.errors[0].message_vi, HasSubstr("không đạt quy tắc kiểm tra"));

  // Died after the notice was issued: reported on died_at, i.e. NGAY_TV.
  r = ReadHospitalDocument(Death(DeathNotice().Set("NGAY_TV", "202611211000")), Options());
  ASSERT_THAT(Paths(r), ElementsAre("GIAYBAOTU/NGAY_TV")) << Describe(r);

  // An R-chapter code is accepted; a malformed one is not.
  r = ReadHospitalDocument(Death(DeathNotice().Set("BENH_ICD10_ID", "R99")), Options());
  EXPECT_TRUE(r.ok()) << Describe(r);
  r = ReadHospitalDocument(Death(DeathNotice().Set("BENH_ICD10_ID", "I21.9;i10")), Options());
  ASSERT_THAT(Paths(r), ElementsAre("GIAYBAOTU/BENH_ICD10_ID"));
  EXPECT_EQ(r.errors[0].code, "icd10_syntax");

  // A province code that is not in the reference data.
  r = ReadHospitalDocument(Birth(BirthCertificate().Set("MATINH_CU_TRU", "99")), Options());
  ASSERT_THAT(Paths(r), ElementsAre("GIAYCHUNGSINH/MATINH_CU_TRU")) << Describe(r);
  EXPECT_EQ(r.errors[0].code, "rule");
}

TEST(HospitalDocument, MissingRequiredElement) {
  const DocumentResult r =
      ReadHospitalDocument(Death(DeathNotice().Remove("NGAY_TV").Remove("MA_GBT")), Options());
  EXPECT_THAT(Paths(r), UnorderedElementsAreArray({"GIAYBAOTU/NGAY_TV", "GIAYBAOTU/MA_GBT"}))
      << Describe(r);
  for (const DocumentError& e : r.errors) EXPECT_EQ(e.code, "required");
}

// --- actions and message ids ----------------------------------------------------------------

TEST(HospitalDocument, ReissuedDocumentsAreAmends) {
  DocumentResult r =
      ReadHospitalDocument(Birth(BirthCertificate().Set("CAP_LAN_DAU", "0")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.action(), v1::ACTION_AMEND);
  EXPECT_THAT(r.records[0].request.reason(), HasSubstr("re-issued"));
  EXPECT_THAT(r.records[0].request.message_id(), HasSubstr("doc:amend:"));

  r = ReadHospitalDocument(Birth(BirthCertificate().Remove("CAP_LAN_DAU")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.action(), v1::ACTION_SUBMIT);

  r = ReadHospitalDocument(Death(DeathNotice().Set("SO_BAOTU_BD", "98")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.action(), v1::ACTION_AMEND);
  EXPECT_THAT(r.records[0].request.reason(), HasSubstr("SO_BAOTU_BD=98"));

  r = ReadHospitalDocument(Death(DeathNotice().Set("QUYEN_SO_BD", "01/2026")), Options());
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.records[0].request.action(), v1::ACTION_AMEND);
}

TEST(HospitalDocument, MessageIdFollowsTheContent) {
  const DocumentResult a = ReadHospitalDocument(Death(DeathNotice()), Options());
  // The same document again, laid out differently and read at another time.
  ReadOptions later = Options();
  later.now_unix_seconds += 86400;
  const DocumentResult b = ReadHospitalDocument(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HSDLGBT>\n  " + DeathNotice().Xml() +
          "\n</HSDLGBT>\n",
      later);
  const DocumentResult c = ReadHospitalDocument(
      Death(DeathNotice().Set("NGUYENNHAN_TV", "Sốc nhiễm khuẩn")), Options());
  const DocumentResult amend =
      ReadHospitalDocument(Death(DeathNotice().Set("SO_BAOTU_BD", "98")), Options());
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && amend.ok());
  EXPECT_EQ(a.records[0].request.message_id(), b.records[0].request.message_id());
  EXPECT_NE(a.records[0].request.message_id(), c.records[0].request.message_id());
  EXPECT_NE(a.records[0].request.message_id(), amend.records[0].request.message_id());
}

// --- type and root --------------------------------------------------------------------------

TEST(HospitalDocument, DeclaredTypeMustMatchTheRoot) {
  ReadOptions o = Options();
  o.declared = ParseDocumentType("61");
  const DocumentResult r = ReadHospitalDocument(Death(DeathNotice()), o);
  ASSERT_THAT(Paths(r), ElementsAre("HSDLGBT"));
  EXPECT_EQ(r.errors[0].code, "type_mismatch");
  o.declared = ParseDocumentType("60");
  EXPECT_TRUE(ReadHospitalDocument(Death(DeathNotice()), o).ok());
}

TEST(HospitalDocument, UnknownRoot) {
  const DocumentResult r = ReadHospitalDocument("<HSCHUNGTU><X/></HSCHUNGTU>", Options());
  ASSERT_THAT(Paths(r), ElementsAre("HSCHUNGTU"));
  EXPECT_EQ(r.errors[0].code, "unknown_root");
}

TEST(HospitalDocument, DocumentTypes) {
  EXPECT_EQ(ParseDocumentType("60"), DocumentType::kDeathNotice);
  EXPECT_EQ(ParseDocumentType("61"), DocumentType::kBirthCertificate);
  EXPECT_EQ(ParseDocumentType("9"), DocumentType::kClaimsTable9);
  EXPECT_EQ(ParseDocumentType("XML9"), DocumentType::kClaimsTable9);
  EXPECT_EQ(ParseDocumentType("62"), DocumentType::kUnknown);
  EXPECT_EQ(DocumentTypeName(DocumentType::kClaimsTable9), "GIAMDINHHS");
}

// --- hostile input --------------------------------------------------------------------------

TEST(HospitalDocument, MalformedXmlNamesTheLine) {
  const DocumentResult r =
      ReadHospitalDocument("<HSDLGBT>\n<GIAYBAOTU>\n<MA_GBT>1</MA_GB>\n</HSDLGBT>", Options());
  ASSERT_THAT(Paths(r), ElementsAre(""));
  EXPECT_EQ(r.errors[0].code, "xml_malformed");
  EXPECT_THAT(r.errors[0].message_en, HasSubstr("line 3"));
}

TEST(HospitalDocument, BillionLaughsIsRefusedWithoutExpansion) {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE HSDLGBT [\n<!ENTITY l0 \"ha\">\n";
  for (int i = 1; i <= 10; ++i) {
    xml += absl::StrCat("<!ENTITY l", i, " \"");
    for (int j = 0; j < 10; ++j) xml += absl::StrCat("&l", i - 1, ";");
    xml += "\">\n";
  }
  xml += "]>\n<HSDLGBT><GIAYBAOTU><HO_TEN>&l10;</HO_TEN></GIAYBAOTU></HSDLGBT>";
  const auto start = std::chrono::steady_clock::now();
  const DocumentResult r = ReadHospitalDocument(xml, Options());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  ASSERT_THAT(Paths(r), ElementsAre(""));
  EXPECT_EQ(r.errors[0].code, "xml_dtd");
}

TEST(HospitalDocument, ExternalEntityIsNeverRead) {
  const std::filesystem::path secret =
      std::filesystem::temp_directory_path() / "crvs_documents_test_secret.txt";
  { std::ofstream(secret) << "TOP-SECRET-MARKER"; }
  const std::string xml = absl::StrCat(
      "<?xml version=\"1.0\"?><!DOCTYPE HSDLGBT [<!ENTITY xxe SYSTEM \"file://", secret.string(),
      "\">]><HSDLGBT><GIAYBAOTU><HO_TEN>&xxe;</HO_TEN></GIAYBAOTU></HSDLGBT>");
  const DocumentResult r = ReadHospitalDocument(xml, Options());
  ASSERT_THAT(Paths(r), ElementsAre(""));
  EXPECT_EQ(r.errors[0].code, "xml_dtd");
  for (const DocumentError& e : r.errors) {
    EXPECT_THAT(e.message_en + e.message_vi, Not(HasSubstr("TOP-SECRET")));
  }
  // Without a DOCTYPE an entity reference is simply undefined: malformed, nothing loaded.
  const DocumentResult undefined = ReadHospitalDocument(
      "<HSDLGBT><GIAYBAOTU><HO_TEN>&xxe;</HO_TEN></GIAYBAOTU></HSDLGBT>", Options());
  ASSERT_EQ(undefined.errors.size(), 1u);
  EXPECT_EQ(undefined.errors[0].code, "xml_malformed");
  std::filesystem::remove(secret);
}

TEST(HospitalDocument, OversizedDocumentIsRefusedUnread) {
  ReadOptions o = Options();
  o.limits.max_bytes = 100;
  // Not even XML: had it been parsed, the error would be xml_malformed.
  const DocumentResult r = ReadHospitalDocument(std::string(101, '<'), o);
  ASSERT_THAT(Paths(r), ElementsAre(""));
  EXPECT_EQ(r.errors[0].code, "too_large");
  EXPECT_THAT(r.errors[0].message_en, HasSubstr("101 bytes"));
}

TEST(HospitalDocument, OversizedTable9IsRefused) {
  ReadOptions o = Options();
  o.limits.max_bytes = 1200;  // the envelope fits, the decoded table does not
  const std::string xml = Envelope({Child("123", "1", "20261116071500")});
  ASSERT_LT(xml.size(), 2 * o.limits.max_bytes);
  o.limits.max_bytes = xml.size();
  DocumentResult r = ReadHospitalDocument(xml, o);
  EXPECT_TRUE(r.ok()) << Describe(r);
  o.limits.max_bytes = 600;
  r = ReadHospitalDocument(Envelope({Child("123", "1", "20261116071500")}), o);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code, "too_large");
}

TEST(HospitalDocument, DeepNestingIsRefused) {
  std::string xml = "<HSDLGBT>";
  for (int i = 0; i < 40; ++i) xml += "<A>";
  for (int i = 0; i < 40; ++i) xml += "</A>";
  xml += "</HSDLGBT>";
  const DocumentResult r = ReadHospitalDocument(xml, Options());
  ASSERT_THAT(Paths(r), ElementsAre(""));
  EXPECT_EQ(r.errors[0].code, "too_deep");
}

TEST(HospitalDocument, BadBase64InTable9) {
  std::string xml = Envelope({Child("123", "1", "20261116071500")});
  const size_t at = xml.rfind("<NOIDUNGFILE>") + 13;
  xml.insert(at, "!!");
  const DocumentResult r = ReadHospitalDocument(xml, Options());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code, "base64");
  EXPECT_EQ(r.errors[0].path,
            "GIAMDINHHS/THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO[XML9]/NOIDUNGFILE");
}

// --- the samples for vendors ----------------------------------------------------------------

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(HospitalDocumentSamples, EverySampleGivesItsExpectedResult) {
  const std::filesystem::path dir =
      std::filesystem::path(CRVS_SOURCE_DIR) / "docs" / "documents" / "samples";
  const nlohmann::json expected = nlohmann::json::parse(ReadFile(dir / "expected.json"));
  ReadOptions o = Options();
  o.now_unix_seconds = expected.at("now_unix_seconds").get<int64_t>();
  std::set<std::string> listed;
  for (const auto& [file, want] : expected.at("files").items()) {
    SCOPED_TRACE(file);
    listed.insert(file);
    const DocumentResult r = ReadHospitalDocument(ReadFile(dir / file), o);
    if (want.at("ok").get<bool>()) {
      EXPECT_TRUE(r.ok()) << Describe(r);
      EXPECT_EQ(r.records.size(), want.at("records").get<size_t>());
      EXPECT_EQ(DocumentTypeName(r.type), want.at("type").get<std::string>());
      continue;
    }
    std::vector<std::string> got, wanted;
    for (const DocumentError& e : r.errors) got.push_back(e.path + " " + e.code);
    for (const auto& e : want.at("errors")) {
      wanted.push_back(e.at("path").get<std::string>() + " " + e.at("code").get<std::string>());
    }
    EXPECT_THAT(got, UnorderedElementsAreArray(wanted)) << Describe(r);
  }
  // Every XML sample is listed.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".xml") {
      EXPECT_TRUE(listed.count(entry.path().filename().string())) << entry.path();
    }
  }
}

}  // namespace
}  // namespace crvs::documents
