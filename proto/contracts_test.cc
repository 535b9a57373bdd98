// The v1 contracts: every record survives the binary and JSON round trips inside its envelope,
// and the gRPC services keep the shape clients were promised (names, streaming).
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "crvs/admin/v1/admin.grpc.pb.h"
#include "crvs/ingest/v1/court_ingest.grpc.pb.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "crvs/records/v1/envelope.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "tests/support/fixtures.h"

namespace crvs {
namespace {

using google::protobuf::util::MessageDifferencer;
using records::v1::RecordEnvelope;

RecordEnvelope Envelope() {
  RecordEnvelope e;
  e.set_message_id("his-bv79001-2026-10-20-000001");
  e.set_business_key("birth/BV79001/GCS-2026-000123");
  e.set_kind(records::v1::RECORD_KIND_BIRTH_CERTIFICATE);
  e.set_action(records::v1::ACTION_SUBMIT);
  e.mutable_source()->set_kind(common::v1::PRINCIPAL_KIND_FACILITY);
  e.mutable_source()->set_code("BV79001");
  *e.mutable_issued_at() = testing::At("2026-10-20T09:00:00Z");
  *e.mutable_received_at() = testing::At("2026-10-20T09:00:01.250Z");
  e.set_content_hash(std::string(32, '\x5a'));
  e.set_schema_version(1);
  e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  return e;
}

std::vector<RecordEnvelope> OneOfEachKind() {
  std::vector<RecordEnvelope> out(4, Envelope());
  *out[0].mutable_birth_certificate() = testing::BirthCertificate();
  *out[1].mutable_death_notice() = testing::DeathNotice();
  out[1].set_action(records::v1::ACTION_AMEND);
  out[1].set_reason("ICD-10 code of the underlying cause corrected");
  *out[2].mutable_divorce_decision() = testing::DivorceDecision();
  out[2].set_source_sequence(918273);
  auto* reg = out[3].mutable_registration();
  reg->mutable_key()->set_registry_office_code("26734");
  reg->mutable_key()->set_book("01/2026");
  reg->mutable_key()->set_registration_no("1024");
  reg->set_kind(records::v1::REGISTRATION_KIND_BIRTH);
  *reg->mutable_birth_certificate() = testing::BirthCertificate().key();
  return out;
}

TEST(Contracts, EveryRecordKindRoundTripsInBinary) {
  for (const auto& envelope : OneOfEachKind()) {
    std::string bytes;
    ASSERT_TRUE(envelope.SerializeToString(&bytes));
    RecordEnvelope back;
    ASSERT_TRUE(back.ParseFromString(bytes));
    EXPECT_TRUE(MessageDifferencer::Equals(envelope, back)) << envelope.record_case();
    EXPECT_EQ(back.record_case(), envelope.record_case());
  }
}

TEST(Contracts, EveryRecordKindRoundTripsInJson) {
  for (const auto& envelope : OneOfEachKind()) {
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(envelope, &json).ok());
    RecordEnvelope back;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok()) << json;
    EXPECT_TRUE(MessageDifferencer::Equals(envelope, back)) << json;
  }
}

TEST(Contracts, JsonUsesDocumentedNames) {
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(OneOfEachKind()[0], &json).ok());
  EXPECT_NE(json.find(R"("businessKey":"birth/BV79001/GCS-2026-000123")"), std::string::npos);
  EXPECT_NE(json.find(R"("action":"ACTION_SUBMIT")"), std::string::npos);
  EXPECT_NE(json.find(R"("issuedAt":"2026-10-20T09:00:00Z")"), std::string::npos);
}

TEST(Contracts, DeterministicSerializationIsStable) {
  // The content hash is SHA-256 over the deterministic serialization; it must not depend on
  // how the message was built.
  auto a = testing::DeathNotice();
  records::v1::DeathNotice b;
  b.ParseFromString(a.SerializeAsString());
  auto serialize = [](const google::protobuf::Message& m) {
    std::string out;
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
    coded.Trim();
    return out;
  };
  EXPECT_EQ(serialize(a), serialize(b));
}

struct Rpc {
  const char* service;
  const char* method;
  bool client_streaming;
  bool server_streaming;
};

TEST(Contracts, ServicesKeepTheirShape) {
  const Rpc rpcs[] = {
      {"crvs.ingest.v1.HealthIngest", "Submit", false, false},
      {"crvs.ingest.v1.HealthIngest", "SubmitStream", true, true},
      {"crvs.ingest.v1.HealthIngest", "GetReceipt", false, false},
      {"crvs.ingest.v1.HealthIngest", "PullResendRequests", false, false},
      {"crvs.ingest.v1.HealthIngest", "SubmitDocument", false, false},
      {"crvs.ingest.v1.CourtIngest", "Submit", false, false},
      {"crvs.ingest.v1.CourtIngest", "StreamDecisions", true, false},
      {"crvs.ingest.v1.CourtIngest", "GetResumePoint", false, false},
      {"crvs.registry.v1.Registry", "GetRecord", false, false},
      {"crvs.registry.v1.Registry", "GetPersonStatus", false, false},
      {"crvs.registry.v1.Registry", "ListRecords", false, false},
      {"crvs.registry.v1.Registry", "RecordRegistration", false, false},
      {"crvs.reconcile.v1.Reconciliation", "DeclareManifest", false, false},
      {"crvs.reconcile.v1.Reconciliation", "DeclareManifestStream", true, false},
      {"crvs.reconcile.v1.Reconciliation", "GetCoverage", false, false},
      {"crvs.reconcile.v1.Reconciliation", "ListGaps", false, true},
      {"crvs.reconcile.v1.Reconciliation", "RequestResend", false, false},
      {"crvs.reconcile.v1.Reconciliation", "CompareDigest", false, false},
      {"crvs.reconcile.v1.Reconciliation", "GetIndicators", false, false},
      {"crvs.admin.v1.Admin", "ReplayDeadLetter", false, false},
      {"crvs.admin.v1.Admin", "PauseConnector", false, false},
  };
  // Touch one message of each file so the linker keeps its descriptor registration.
  ASSERT_NE(ingest::v1::IngestRequest::descriptor(), nullptr);
  ASSERT_NE(ingest::v1::CourtIngestRequest::descriptor(), nullptr);
  ASSERT_NE(registry::v1::GetRecordRequest::descriptor(), nullptr);
  ASSERT_NE(reconcile::v1::Manifest::descriptor(), nullptr);
  ASSERT_NE(admin::v1::DeadLetter::descriptor(), nullptr);
  auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& rpc : rpcs) {
    const auto* service = pool->FindServiceByName(rpc.service);
    ASSERT_NE(service, nullptr) << rpc.service;
    const auto* method = service->FindMethodByName(rpc.method);
    ASSERT_NE(method, nullptr) << rpc.service << "." << rpc.method;
    EXPECT_EQ(method->client_streaming(), rpc.client_streaming) << rpc.method;
    EXPECT_EQ(method->server_streaming(), rpc.server_streaming) << rpc.method;
  }
}

TEST(Contracts, EnvelopeSchemaVersionIsOne) {
  // Consumers route on schema_version; v1 contracts must be version 1.
  EXPECT_EQ(Envelope().schema_version(), 1u);
  EXPECT_EQ(RecordEnvelope::descriptor()->full_name(), "crvs.records.v1.RecordEnvelope");
}

}  // namespace
}  // namespace crvs
