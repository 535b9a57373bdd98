// What every producer and consumer of crvs-sync agrees on about a record, beyond the proto:
// its business key (the Kafka key and the database identity), its content hash, and the Kafka
// headers that accompany an envelope. One implementation, so gateway, connectors and sink can
// never disagree.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include "crvs/records/v1/envelope.pb.h"

namespace crvs::records {

// The canonical identity of a record across re-sends: "birth/<facility>/<certificate_no>",
// "death/<facility>/<notice_no>", "divorce/<court>/<decision_no>",
// "registration/<office>/<book>/<registration_no>"; inside each component '%' → "%25" and
// '/' → "%2F", so a decision number like "125/2026/QĐST" stays one component.
struct BusinessKey {
  std::string value;
  friend bool operator==(const BusinessKey& a, const BusinessKey& b) { return a.value == b.value; }
  friend bool operator<(const BusinessKey& a, const BusinessKey& b) { return a.value < b.value; }
};

std::string EscapeKeyComponent(std::string_view component);

BusinessKey KeyOf(const v1::BirthCertificateKey& key);
BusinessKey KeyOf(const v1::DeathNoticeKey& key);
BusinessKey KeyOf(const v1::DivorceDecisionKey& key);
BusinessKey KeyOf(const v1::RegistrationKey& key);
// The key of the record an envelope carries; empty when it carries none.
BusinessKey KeyOf(const v1::RecordEnvelope& envelope);

// The kind matching the envelope's record (RECORD_KIND_UNSPECIFIED when none).
v1::RecordKind KindOf(const v1::RecordEnvelope& envelope);

// "death_notice" for RECORD_KIND_DEATH_NOTICE: the label used in metrics and logs.
std::string KindLabel(v1::RecordKind kind);

// The record inside an envelope, or nullptr.
const google::protobuf::Message* RecordOf(const v1::RecordEnvelope& envelope);

// SHA-256 (32 raw bytes) of the deterministic serialization of `record` with unknown fields
// dropped — the RecordEnvelope.content_hash.
std::string ContentHash(const google::protobuf::Message& record);

// "facility:BV79001" — the crvs-source header form of a principal.
std::string FormatPrincipal(const common::v1::Principal& principal);
// The inverse: "court:TAND79" → {COURT, "TAND79"}; nullopt unless "<kind>:<code>" with a known
// lower-case kind (facility, court, registry_office, operator) and a non-empty code.
std::optional<common::v1::Principal> ParsePrincipal(std::string_view text);

// RFC 3339 UTC with milliseconds, e.g. "2026-03-01T08:15:30.123Z".
std::string FormatTimestamp(const google::protobuf::Timestamp& t);

inline constexpr const char* kSchemaHeaderValue = "crvs.records.v1.RecordEnvelope;v=1";
inline constexpr uint32_t kSchemaVersion = 1;

// The Kafka headers of an envelope (crvs-schema, crvs-source, crvs-message-id, crvs-trace-id,
// crvs-issued-at, crvs-received-at), in that order. They carry no personal data.
std::vector<std::pair<std::string, std::string>> HeadersOf(const v1::RecordEnvelope& envelope);

// Fills what a producer derives from the record: kind, business key, content hash, schema
// version, received_at = `now`, issued_at (the record's issued_at / recorded_at; `now` for a
// VOID that carries only the key) and a new trace id when none was given.
void CompleteEnvelope(v1::RecordEnvelope* envelope, const google::protobuf::Timestamp& now);

// W3C trace-context trace id: 32 random lower-case hex characters.
std::string NewTraceId();

}  // namespace crvs::records
