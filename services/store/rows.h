// What the store's reads return, in the store's own terms: a record with its versions, a
// person's derived status, a dead letter. Plain structs, no wire contract: each service maps
// them to its own API (services/registry/proto_mapping.h → crvs.registry.v1,
// services/admin/proto_mapping.h → crvs.admin.v1). The record model (crvs.records.v1: the
// envelope, kinds, actions) and the common types (crvs.common.v1: dates) are the product's
// own and appear here as they are.
//
// The enums' values are stored as text, their names without the `k` in upper snake case
// ("PENDING_EFFECT", "DECEASED", "OPEN"; services/store/record_rules.h).
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crvs/common/v1/types.pb.h"
#include "crvs/records/v1/envelope.pb.h"
#include "services/model/fundamental.h"

namespace crvs::store {

// Life-cycle state of a record in the database (records.state).
enum class RecordState {
  kUnspecified,    // not set, or a stored name this binary does not know
  kActive,         // in force (birth certificates, death notices, registrations)
  kVoided,         // voided by its source: counts nowhere
  kPendingEffect,  // divorce decision without a legal effect date: changes no one's status
  kEffective,      // divorce decision that has taken legal effect
  kSetAside,       // divorce decision set aside on cassation or review
  kConflict,       // applied, but contradicts another record (state_detail says what)
};

// A person's vital status as the records in force show it (persons.vital_status).
enum class VitalStatus {
  kUnspecified,  // not set
  kUnknown,      // no record in force names the person
  kAlive,        // named by records, none of them a death
  kDeceased,     // named by an active death notice or death registration
};

// A person's marital status as far as the records in force show it (persons.marital_status):
// the database holds divorce decisions and deaths, not marriages.
enum class MaritalStatus {
  kUnspecified,  // not set
  kUnknown,      // no effective evidence
  kMarried,      // a divorce decision concerning the person was set aside
  kDivorced,     // by an effective decision
  kWidowed,      // the spouse of a standing marriage died (not derived today)
  kAnnulled,     // the marriage was annulled by an effective decision
};

// Life-cycle state of a dead letter (dead_letters.state).
enum class DeadLetterState {
  kUnspecified,  // not set, or a stored name this binary does not know
  kOpen,         // waiting for an operator
  kReplayed,     // produced again to its original topic
  kDiscarded,    // discarded by an operator, with a reason
};

// One stored version of a record (record_versions).
struct RecordVersionRow {
  int32_t version = 0;  // 1 for the first applied submission, +1 per applied version
  records::v1::Action action = records::v1::ACTION_UNSPECIFIED;  // what created this version
  std::string reason;        // the submission's reason (AMEND / VOID); may be empty for SUBMIT
  std::string content_hash;  // SHA-256 (32 bytes) of the record's deterministic serialization
  std::string message_id;    // the submission's message id
  absl::Time committed_at;   // when this version was committed to the database
  records::v1::RecordEnvelope envelope;  // as received: the content, source, times, trace id
};

// A record as the database holds it (records + record_versions).
struct RecordRow {
  std::string business_key;  // canonical, "death/BV01002/GBT-2026-000045"
  records::v1::RecordKind kind = records::v1::RECORD_KIND_UNSPECIFIED;
  RecordState state = RecordState::kUnspecified;  // current life-cycle state
  std::string state_detail;  // why, where useful ("set aside on ... by ..."); may be empty
  int32_t current_version = 0;  // the last version's number, >= 1
  // Oldest first. Store::GetRecord returns every version, Store::ListRecords only the current.
  std::vector<RecordVersionRow> versions;
};

// What the database's records say about one person (persons).
struct PersonRow {
  std::string personal_id;  // the 12-digit personal identification number asked for
  VitalStatus vital_status = VitalStatus::kUnknown;
  // Set when a date of death is stored (DECEASED): from the death registration if there is
  // one, else from the death notice.
  std::optional<common::v1::LocalDate> date_of_death;
  MaritalStatus marital_status = MaritalStatus::kUnknown;
  // Set when stored (unless UNKNOWN): since when the marital status holds.
  std::optional<common::v1::LocalDate> marital_since;
  std::vector<std::string> evidence_keys;  // business keys the statuses rest on, most relevant
                                           // first
};

// A Kafka message header as consumed (name and bytes).
struct KafkaHeader {
  std::string key;
  std::string value;
};

// A message that could not be applied, kept in the dead-letter table (dead_letters).
struct DeadLetterRow {
  int64_t id = 0;                   // > 0, assigned by the database
  model::TopicPartition original;   // where it was consumed from (kLegacyRegistryApiTopic for
                                    // registrations refused through the registry API before
                                    // Store::WriteRecord existed)
  model::Offset offset;             // its offset there
  // "DECODE", "SCHEMA_VERSION", "VALIDATION", "CONFLICT", "DATABASE", ... (an open set).
  std::string error_class;
  std::string error_message;        // English, <= 1000 bytes, no personal data
  std::string business_key;         // from the key or envelope when it could be read; else ""
  int32_t attempts = 1;             // attempts made before dead-lettering, >= 1
  absl::Time failed_at;             // when it was dead-lettered
  DeadLetterState state = DeadLetterState::kUnspecified;
  std::optional<absl::Time> resolved_at;  // when replayed or discarded; unset while OPEN
  std::string resolved_by;          // the operator who resolved it; "" while OPEN
  std::string resolution_note;      // the replay note or discard reason; "" while OPEN
  // The original message: read only when asked for (GetDeadLetter, or ListDeadLetters with
  // include_payload), empty otherwise. Personal data (the payload may be sealed).
  std::string key;
  std::string payload;
  std::vector<KafkaHeader> headers;  // in their original order
};

}  // namespace crvs::store
