#include "services/documents/document_writer.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "services/documents/hospital_document.h"
#include "services/documents/signature.h"
#include "services/documents/signing_identity.h"
#include "tests/support/fixtures.h"

namespace crvs::documents {
namespace {

namespace v1 = records::v1;
namespace common = common::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::google::protobuf::util::TimeUtil;

// The reader's "now" for the date rules: 2026-11-01T00:00:00Z, after every fixture's issue.
constexpr int64_t kNow = 1793491200;

DocumentResult Read(const std::string& xml) {
  ReadOptions options;
  options.now_unix_seconds = kNow;
  return ReadHospitalDocument(xml, options);
}

std::string Errors(const DocumentResult& r) {
  std::string out;
  for (const DocumentError& e : r.errors) out += e.path + " " + e.code + ": " + e.message_en + "\n";
  return out;
}

// The end of `t`'s Vietnam-local day (the reader's reading of a date-only issue stamp; never
// later than kNow in these tests, since every fixture is issued before it).
google::protobuf::Timestamp EndOfLocalDay(const google::protobuf::Timestamp& t) {
  const int64_t local = t.seconds() + 7 * 3600;
  const int64_t day_end = (local / 86400 + 1) * 86400 - 1 - 7 * 3600;
  return TimeUtil::SecondsToTimestamp(std::min<int64_t>(day_end, kNow));
}

// What an HSDLGBT carries of a death notice; everything else is lost in the document:
// - cause_of_death: only the underlying line (description and ICD-10 code; no interval);
//   the other lines' codes ride along in BENH_ICD10_ID after it but are not read back;
// - manner_of_death (not in the document: UNSPECIFIED);
// - place_of_death: in_facility is always true, the facility is MACSKCB (no name), the commune
//   travels as the current-residence commune (MAXA_HIENTAI);
// - died_at: minutes, Vietnam local time (utc_offset_minutes 420);
// - issued_at: the local date only (read back as the end of that day);
// - certifier.title; deceased.personal_id beyond its number.
v1::DeathNotice Carried(v1::DeathNotice d) {
  v1::CauseLine underlying;
  for (const auto& line : d.cause_of_death().chain()) {
    if (line.role() == v1::CAUSE_ROLE_UNDERLYING) underlying = line;
  }
  underlying.clear_interval();
  d.mutable_cause_of_death()->clear_chain();
  *d.mutable_cause_of_death()->add_chain() = underlying;
  d.set_manner_of_death(v1::MANNER_OF_DEATH_UNSPECIFIED);
  d.mutable_place_of_death()->set_in_facility(true);
  d.mutable_place_of_death()->mutable_facility()->set_facility_code(d.key().facility_code());
  d.mutable_place_of_death()->mutable_facility()->clear_name();
  d.mutable_died_at()->mutable_instant()->set_seconds(d.died_at().instant().seconds() / 60 * 60);
  d.mutable_died_at()->mutable_instant()->set_nanos(0);
  d.mutable_died_at()->set_utc_offset_minutes(420);
  *d.mutable_issued_at() = EndOfLocalDay(d.issued_at());
  d.mutable_certifier()->clear_title();
  return d;
}

// What an HSDLGCS carries of a birth certificate; lost:
// - child.gestational_weeks (SINHCON_DUOI32TUAN is only a yes/no): 0;
// - child.birth_order: 1 (one child per standalone certificate; a twin's order is lost);
// - place_of_birth: in_facility always true, the facility is MACSKCB without its name, the
//   commune is the mother's residence commune;
// - the father: his name only (sex male); no personal ID, date of birth, ethnicity, residence;
// - mother.sex: always female;
// - attendant.title, issuing_officer.title;
// - child.born_at: seconds, Vietnam local time; issued_at: the local date only.
v1::BirthCertificate Carried(v1::BirthCertificate b) {
  b.mutable_child()->set_gestational_weeks(0);
  b.mutable_child()->set_birth_order(1);
  b.mutable_child()->mutable_born_at()->mutable_instant()->set_nanos(0);
  b.mutable_child()->mutable_born_at()->set_utc_offset_minutes(420);
  b.mutable_place_of_birth()->set_in_facility(true);
  b.mutable_place_of_birth()->mutable_facility()->set_facility_code(b.key().facility_code());
  b.mutable_place_of_birth()->mutable_facility()->clear_name();
  b.mutable_place_of_birth()->set_commune_code(b.mother().residence().commune_code());
  b.mutable_mother()->set_sex(common::SEX_FEMALE);
  if (b.has_father()) {
    common::Person father;
    father.set_full_name(b.father().full_name());
    father.set_sex(common::SEX_MALE);
    *b.mutable_father() = father;
  }
  if (b.has_attendant()) b.mutable_attendant()->clear_title();
  b.mutable_issuing_officer()->clear_title();
  *b.mutable_issued_at() = EndOfLocalDay(b.issued_at());
  return b;
}

void ExpectEqual(const google::protobuf::Message& want, const google::protobuf::Message& got) {
  MessageDifferencer differ;
  std::string diff;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(want, got)) << diff;
}

void ExpectDeathRoundTrip(const v1::DeathNotice& notice, const WriteOptions& options = {}) {
  const std::string xml = WriteDeathNoticeDocument(notice, options);
  const DocumentResult read = Read(xml);
  ASSERT_TRUE(read.ok()) << Errors(read) << xml;
  EXPECT_EQ(read.type, DocumentType::kDeathNotice);
  ASSERT_EQ(read.records.size(), 1u);
  const ingest::v1::IngestRequest& request = read.records[0].request;
  EXPECT_EQ(request.action(), options.reissue ? v1::ACTION_AMEND : v1::ACTION_SUBMIT);
  ASSERT_TRUE(request.has_death_notice());
  ExpectEqual(Carried(notice), request.death_notice());
}

void ExpectBirthRoundTrip(const v1::BirthCertificate& certificate,
                          const WriteOptions& options = {}) {
  const std::string xml = WriteBirthCertificateDocument(certificate, options);
  const DocumentResult read = Read(xml);
  ASSERT_TRUE(read.ok()) << Errors(read) << xml;
  EXPECT_EQ(read.type, DocumentType::kBirthCertificate);
  ASSERT_EQ(read.records.size(), 1u);
  const ingest::v1::IngestRequest& request = read.records[0].request;
  EXPECT_EQ(request.action(), options.reissue ? v1::ACTION_AMEND : v1::ACTION_SUBMIT);
  ASSERT_TRUE(request.has_birth_certificate());
  ExpectEqual(Carried(certificate), request.birth_certificate());
}

TEST(DocumentWriter, DeathNoticeFixtureRoundTrips) { ExpectDeathRoundTrip(testing::DeathNotice()); }

TEST(DocumentWriter, BirthCertificateFixtureRoundTrips) {
  ExpectBirthRoundTrip(testing::BirthCertificate());
}

TEST(DocumentWriter, ReissuedDocumentsReadAsAmends) {
  WriteOptions reissue;
  reissue.reissue = true;
  ExpectBirthRoundTrip(testing::BirthCertificate(), reissue);
  ExpectDeathRoundTrip(testing::DeathNotice(), reissue);

  reissue.replaced_notice_no = "44";
  reissue.replaced_book = "01/2026";
  const DocumentResult read = Read(WriteDeathNoticeDocument(testing::DeathNotice(), reissue));
  ASSERT_TRUE(read.ok()) << Errors(read);
  EXPECT_EQ(read.records[0].request.reason(),
            "re-issued death notice (replaces SO_BAOTU_BD=44, QUYEN_SO_BD=01/2026)");
}

TEST(DocumentWriter, VariantsRoundTrip) {
  // No personal ID, no name, an undetermined sex, an ethnicity code; the underlying cause
  // alone, without a code, with markup characters; a place-of-death commune other than the
  // residence's.
  v1::DeathNotice d = testing::DeathNotice();
  d.mutable_deceased()->clear_personal_id();
  d.mutable_deceased()->clear_full_name();
  d.mutable_deceased()->set_ethnicity("01");
  d.mutable_cause_of_death()->clear_chain();
  auto* line = d.mutable_cause_of_death()->add_chain();
  line->set_role(v1::CAUSE_ROLE_UNDERLYING);
  line->set_description("Nhồi máu cơ tim cấp <không rõ> & \"khác\"");
  d.mutable_place_of_death()->set_commune_code("00006");
  d.mutable_deceased()->set_sex(common::SEX_UNDETERMINED);
  ExpectDeathRoundTrip(d);

  // A female with a different facility code.
  v1::DeathNotice f = testing::DeathNotice("79001.GBT.96025.26");
  f.mutable_key()->set_facility_code("79001");
  f.mutable_deceased()->clear_personal_id();
  f.mutable_deceased()->set_sex(common::SEX_FEMALE);
  f.mutable_deceased()->set_full_name("Trần Thị Thu");
  ExpectDeathRoundTrip(f);

  // No father, no attendant, a named girl, twins' plurality (order is lost), odd names.
  v1::BirthCertificate b = testing::BirthCertificate("79001.GCS.00123.26");
  b.clear_father();
  b.clear_attendant();
  b.mutable_child()->set_full_name("Lê <Thị> Hồng & \"Ngọc\"");
  b.mutable_child()->set_sex(common::SEX_FEMALE);
  b.mutable_child()->set_plurality(2);
  b.mutable_child()->set_birth_order(2);
  b.mutable_child()->set_weight_grams(2450);
  ExpectBirthRoundTrip(b);

  // An unnamed child, born just after local midnight (the UTC day before).
  v1::BirthCertificate n = testing::BirthCertificate();
  n.mutable_child()->clear_full_name();
  *n.mutable_child()->mutable_born_at() = testing::LocalTime("2026-10-19T17:05:09Z");
  *n.mutable_issued_at() = testing::At("2026-10-19T18:00:00Z");
  ExpectBirthRoundTrip(n);
}

TEST(DocumentWriter, WritesTheDocumentsFormsInVietnamTime) {
  const std::string death = WriteDeathNoticeDocument(testing::DeathNotice());
  // died 2026-10-25T14:10Z = 21:10 local; issued 16:00Z = 23:00 local, the same day.
  EXPECT_THAT(death, ::testing::HasSubstr("<NGAY_TV>202610252110</NGAY_TV>"));
  EXPECT_THAT(death, ::testing::HasSubstr("<NGAY_CAPGIAYBT>20261025</NGAY_CAPGIAYBT>"));
  EXPECT_THAT(death, ::testing::HasSubstr("<BENH_ICD10_ID>I21.9;R57.0</BENH_ICD10_ID>"));
  EXPECT_THAT(death, ::testing::HasSubstr("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
  const std::string birth = WriteBirthCertificateDocument(testing::BirthCertificate());
  EXPECT_THAT(birth, ::testing::HasSubstr("<NGAY_SINH_CON>20261020083000</NGAY_SINH_CON>"));
  EXPECT_THAT(birth, ::testing::HasSubstr("<HOTEN_NND>Nguyễn Thị Lan</HOTEN_NND>"));
  EXPECT_THAT(birth, ::testing::HasSubstr("<CAP_LAN_DAU>1</CAP_LAN_DAU>"));
}

TEST(DocumentWriter, MarkupInNamesStaysText) {
  v1::BirthCertificate b = testing::BirthCertificate();
  b.mutable_mother()->set_full_name("</HOTEN_NND><MA_GCS>evil</MA_GCS>");
  const std::string xml = WriteBirthCertificateDocument(b);
  EXPECT_THAT(xml, ::testing::Not(::testing::HasSubstr("<MA_GCS>evil")));
  const DocumentResult read = Read(xml);
  ASSERT_TRUE(read.ok()) << Errors(read);
  EXPECT_EQ(read.records[0].request.birth_certificate().mother().full_name(),
            "</HOTEN_NND><MA_GCS>evil</MA_GCS>");
  EXPECT_EQ(read.records[0].request.birth_certificate().key().certificate_no(),
            "GCS-2026-000123");
}

TEST(DocumentWriter, SignedDocumentVerifiesAndStillReads) {
  const SigningIdentity id = MakeSigningIdentity("Bệnh viện mẫu BV01002");
  ASSERT_FALSE(id.key_pem.empty());
  auto signed_xml =
      SignDocument(WriteDeathNoticeDocument(testing::DeathNotice()), id.key_pem,
                   id.certificate_pem);
  ASSERT_TRUE(signed_xml.ok()) << signed_xml.status();
  EXPECT_EQ(VerifyDocumentSignature(*signed_xml, id.certificate_pem).state,
            SignatureState::kValid);
  const DocumentResult read = Read(*signed_xml);
  ASSERT_TRUE(read.ok()) << Errors(read);
  ExpectEqual(Carried(testing::DeathNotice()), read.records[0].request.death_notice());
}

}  // namespace
}  // namespace crvs::documents
