#include "services/records/records.h"

#include <gtest/gtest.h>

#include "tests/support/fixtures.h"

namespace crvs::records {
namespace {

std::string Hex(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

TEST(BusinessKey, EachKindHasItsForm) {
  EXPECT_EQ(KeyOf(testing::BirthCertificate().key()).value, "birth/BV79001/GCS-2026-000123");
  EXPECT_EQ(KeyOf(testing::DeathNotice().key()).value, "death/BV01002/GBT-2026-000045");
  v1::RegistrationKey r;
  r.set_registry_office_code("26734");
  r.set_book("01/2026");
  r.set_registration_no("1024");
  EXPECT_EQ(KeyOf(r).value, "registration/26734/01%2F2026/1024");
}

TEST(BusinessKey, SlashAndPercentInsideComponentsAreEscaped) {
  v1::DivorceDecisionKey k;
  k.set_court_code("TAND79");
  k.set_decision_no("125/2026/QĐST-HNGĐ 100%");
  EXPECT_EQ(KeyOf(k).value, "divorce/TAND79/125%2F2026%2FQĐST-HNGĐ 100%25");
  // Regression guard: two different numbers must never produce the same key.
  v1::DivorceDecisionKey a, b;
  a.set_court_code("A");
  a.set_decision_no("1/2");
  b.set_court_code("A/1");
  b.set_decision_no("2");
  EXPECT_NE(KeyOf(a).value, KeyOf(b).value);
}

TEST(BusinessKey, OfEnvelopeFollowsTheRecord) {
  v1::RecordEnvelope e;
  EXPECT_EQ(KeyOf(e).value, "");
  EXPECT_EQ(KindOf(e), v1::RECORD_KIND_UNSPECIFIED);
  EXPECT_EQ(RecordOf(e), nullptr);
  *e.mutable_death_notice() = testing::DeathNotice();
  EXPECT_EQ(KeyOf(e).value, "death/BV01002/GBT-2026-000045");
  EXPECT_EQ(KindOf(e), v1::RECORD_KIND_DEATH_NOTICE);
  EXPECT_EQ(KindLabel(KindOf(e)), "death_notice");
  EXPECT_EQ(RecordOf(e), &e.death_notice());
}

TEST(ContentHash, IsSha256OfDeterministicBytes) {
  v1::BirthCertificateKey k;  // tiny message: bytes are easy to state
  k.set_facility_code("A");
  // field 1, length 1, 'A' → bytes 0a 01 41; `printf '\x0a\x01\x41' | sha256sum`:
  EXPECT_EQ(Hex(ContentHash(k)),
            "7d54634aa0a751d16fe93af1f47da48bd3fda8665049dad1c5b0a128f4f80e8e");
  EXPECT_EQ(ContentHash(k).size(), 32u);
}

TEST(ContentHash, SameContentSameHashChangedContentDifferentHash) {
  auto a = testing::DeathNotice();
  auto b = testing::DeathNotice();
  EXPECT_EQ(ContentHash(a), ContentHash(b));
  b.mutable_cause_of_death()->mutable_chain(1)->set_icd10_code("I21.0");
  EXPECT_NE(ContentHash(a), ContentHash(b));
}

TEST(ContentHash, UnknownFieldsDoNotCount) {
  auto a = testing::BirthCertificate();
  std::string bytes = a.SerializeAsString();
  bytes += std::string("\xa0\x06\x01", 3);  // field 100, varint 1: unknown to v1
  v1::BirthCertificate with_unknown;
  ASSERT_TRUE(with_unknown.ParseFromString(bytes));
  ASSERT_GT(with_unknown.GetReflection()->GetUnknownFields(with_unknown).field_count(), 0);
  EXPECT_EQ(ContentHash(with_unknown), ContentHash(a));
}

TEST(Headers, NameSourceAndTimesWithoutPersonalData) {
  v1::RecordEnvelope e;
  e.set_message_id("m-1");
  e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  e.mutable_source()->set_kind(common::v1::PRINCIPAL_KIND_FACILITY);
  e.mutable_source()->set_code("BV79001");
  *e.mutable_issued_at() = testing::At("2026-03-01T08:15:30.123Z");
  *e.mutable_received_at() = testing::At("2026-03-01T08:15:31Z");
  *e.mutable_birth_certificate() = testing::BirthCertificate();
  auto headers = HeadersOf(e);
  std::vector<std::pair<std::string, std::string>> expected = {
      {"crvs-schema", "crvs.records.v1.RecordEnvelope;v=1"},
      {"crvs-source", "facility:BV79001"},
      {"crvs-message-id", "m-1"},
      {"crvs-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736"},
      {"crvs-issued-at", "2026-03-01T08:15:30.123Z"},
      {"crvs-received-at", "2026-03-01T08:15:31.000Z"}};
  EXPECT_EQ(headers, expected);
  common::v1::Principal p;
  p.set_kind(common::v1::PRINCIPAL_KIND_REGISTRY_OFFICE);
  p.set_code("26734");
  EXPECT_EQ(FormatPrincipal(p), "registry_office:26734");
}

TEST(CompleteEnvelope, DerivesEverythingFromTheRecord) {
  v1::RecordEnvelope e;
  *e.mutable_birth_certificate() = testing::BirthCertificate();
  auto now = testing::At("2026-10-21T00:00:00Z");
  CompleteEnvelope(&e, now);
  EXPECT_EQ(e.kind(), v1::RECORD_KIND_BIRTH_CERTIFICATE);
  EXPECT_EQ(e.business_key(), "birth/BV79001/GCS-2026-000123");
  EXPECT_EQ(e.content_hash(), ContentHash(e.birth_certificate()));
  EXPECT_EQ(e.schema_version(), 1u);
  EXPECT_EQ(FormatTimestamp(e.received_at()), "2026-10-21T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(e.issued_at()), "2026-10-20T09:00:00.000Z");  // the certificate's
  EXPECT_EQ(e.trace_id().size(), 32u);
  // A void carries only the key: its issued_at is when it was received; a given trace id stays.
  v1::RecordEnvelope v;
  *v.mutable_birth_certificate()->mutable_key() = testing::BirthCertificate().key();
  v.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  CompleteEnvelope(&v, now);
  EXPECT_EQ(FormatTimestamp(v.issued_at()), "2026-10-21T00:00:00.000Z");
  EXPECT_EQ(v.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

}  // namespace
}  // namespace crvs::records
