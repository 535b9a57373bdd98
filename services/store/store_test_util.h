// Test helpers of the store's tests: envelopes around the fixture records (key and content
// hash as producers compute them), consumed Kafka messages around envelopes, registrations.
#pragma once

#include <string>

#include "services/records/records.h"
#include "services/store/store.h"
#include "tests/support/fixtures.h"

namespace crvs::store::testing {

namespace v1 = ::crvs::records::v1;
namespace common = ::crvs::common::v1;

inline void SetRecord(v1::RecordEnvelope* e, const v1::BirthCertificate& r) {
  *e->mutable_birth_certificate() = r;
  e->set_kind(v1::RECORD_KIND_BIRTH_CERTIFICATE);
  e->mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  e->mutable_source()->set_code(r.key().facility_code());
  *e->mutable_issued_at() = r.issued_at();
}
inline void SetRecord(v1::RecordEnvelope* e, const v1::DeathNotice& r) {
  *e->mutable_death_notice() = r;
  e->set_kind(v1::RECORD_KIND_DEATH_NOTICE);
  e->mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  e->mutable_source()->set_code(r.key().facility_code());
  *e->mutable_issued_at() = r.issued_at();
}
inline void SetRecord(v1::RecordEnvelope* e, const v1::DivorceDecision& r) {
  *e->mutable_divorce_decision() = r;
  e->set_kind(v1::RECORD_KIND_DIVORCE_DECISION);
  e->mutable_source()->set_kind(common::PRINCIPAL_KIND_COURT);
  e->mutable_source()->set_code(r.key().court_code());
  *e->mutable_issued_at() = r.issued_at();
}
inline void SetRecord(v1::RecordEnvelope* e, const v1::Registration& r) {
  *e->mutable_registration() = r;
  e->set_kind(v1::RECORD_KIND_REGISTRATION);
  e->mutable_source()->set_kind(common::PRINCIPAL_KIND_REGISTRY_OFFICE);
  e->mutable_source()->set_code(r.key().registry_office_code());
  *e->mutable_issued_at() = r.recorded_at();
}

// A complete, valid envelope for `record`.
template <class Record>
v1::RecordEnvelope Envelope(const Record& record, v1::Action action, const std::string& message_id,
                            const std::string& reason = "") {
  v1::RecordEnvelope e;
  SetRecord(&e, record);
  e.set_message_id(message_id);
  e.set_business_key(records::KeyOf(e).value);
  e.set_action(action);
  e.set_reason(reason.empty() && action != v1::ACTION_SUBMIT ? "correction" : reason);
  *e.mutable_received_at() = crvs::testing::At("2026-10-31T00:00:00Z");
  e.set_content_hash(records::ContentHash(record));
  e.set_schema_version(1);
  e.set_trace_id("0af7651916cd43dd8448eb211c80319c");
  return e;
}

inline KafkaMessage Message(const v1::RecordEnvelope& e, const std::string& topic,
                            int32_t partition, int64_t offset) {
  KafkaMessage m;
  m.topic_partition = {Topic(topic), Partition(partition)};
  m.offset = Offset(offset);
  m.key = e.business_key();
  m.value = e.SerializeAsString();
  m.headers = {{"crvs-schema", "crvs.records.v1.RecordEnvelope;v=1"},
               {"crvs-message-id", e.message_id()}};
  return m;
}

inline InboundRecord Inbound(const v1::RecordEnvelope& e, const std::string& topic,
                             int32_t partition, int64_t offset) {
  return InboundRecord{Message(e, topic, partition, offset), e};
}

// A death registration of the fixture's deceased, linked to the fixture death notice.
inline v1::Registration DeathRegistration(const std::string& no, const common::LocalDate& died) {
  v1::Registration r;
  r.mutable_key()->set_registry_office_code("00004");
  r.mutable_key()->set_book("01/2026");
  r.mutable_key()->set_registration_no(no);
  r.set_kind(v1::REGISTRATION_KIND_DEATH);
  *r.mutable_registration_date() = crvs::testing::Date(2026, 10, 28);
  *r.mutable_event_date() = died;
  *r.mutable_subject() = crvs::testing::DeathNotice().deceased();
  *r.mutable_death_notice() = crvs::testing::DeathNotice().key();
  r.mutable_registrar()->set_full_name("Đỗ Thị Mai");
  *r.mutable_recorded_at() = crvs::testing::At("2026-10-28T03:00:00Z");
  return r;
}

}  // namespace crvs::store::testing
