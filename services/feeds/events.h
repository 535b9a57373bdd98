// What the civil-status database tells the agencies entitled to its data: events made from
// record versions, and the fields each event carries.
//
// Every record version is an event (the versions are the transactional outbox: written in the
// transaction of the change, never updated). Its type comes from the record's kind and action:
//
//   birth.notified      a facility's birth certificate (SUBMIT)
//   birth.registered    a registry office's birth registration (SUBMIT)
//   death.notified      a facility's death notice (SUBMIT)
//   death.registered    a registry office's death registration (SUBMIT)
//   divorce.recorded    a court's divorce decision, or a registry office noting one (SUBMIT)
//   record.amended      any of those records amended (AMEND): the new content
//   record.voided       any of those records voided (VOID): the key and the reason only
//
// and each version that changes what the records say of a person's civil status also makes
// one `status.changed` per person (death, divorce, annulment, divorce set aside; asserted by
// the new version or withdrawn by it, compared with the version before).
//
// An amend or void follows the record it changes: a subscriber gets it only if it receives the
// record's own type (`BaseType`) and record.amended / record.voided.
//
// Payloads are JSON objects; a field is named by its path, e.g. "subject.full_name",
// "related[].personal_id" (any element of an array). `event.*` and `record.*` (position, type,
// business key, kind, version, action) carry no personal data and go to every subscriber;
// every other field must be in the subscriber's list (Project).
#pragma once

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crvs/records/v1/envelope.pb.h"

namespace crvs::feeds {

inline constexpr std::string_view kBirthNotified = "birth.notified";
inline constexpr std::string_view kBirthRegistered = "birth.registered";
inline constexpr std::string_view kDeathNotified = "death.notified";
inline constexpr std::string_view kDeathRegistered = "death.registered";
inline constexpr std::string_view kDivorceRecorded = "divorce.recorded";
inline constexpr std::string_view kStatusChanged = "status.changed";
inline constexpr std::string_view kRecordAmended = "record.amended";
inline constexpr std::string_view kRecordVoided = "record.voided";

// Every event type, in the order above.
const std::vector<std::string>& EventTypes();

// Every field a payload may hold, for validating subscribers' lists and documentation.
const std::set<std::string>& KnownFields();

// One stored version, as the feed reads it.
struct VersionRow {
  std::string business_key;
  int64_t version = 0;
  std::string action;      // SUBMIT, AMEND, VOID
  std::string envelope;    // serialized RecordEnvelope
  std::string previous;    // the version before's envelope; "" for version 1
  int64_t committed_at_us = 0;
};

struct Event {
  std::string type;       // one of EventTypes()
  std::string base_type;  // for record.amended / record.voided / status.changed: the record's
                          // own type (birth.registered, ...); else == type
  std::string person;     // personal ID the event is about ("" if none): ordering, status
  nlohmann::json payload; // event.* filled by the reader; record.* and the fields
};

// The events of one version, in a fixed order (the version's own event, then status changes by
// personal ID). DATA_LOSS if a stored envelope does not parse.
absl::StatusOr<std::vector<Event>> EventsOf(const VersionRow& row);

// The type a record of this envelope's kind is announced as when submitted.
std::string BaseType(const records::v1::RecordEnvelope& envelope);

// `payload` with only event.*, record.* and the fields in `allowed` (paths as above); objects
// left empty are dropped.
nlohmann::json Project(const nlohmann::json& payload, const std::set<std::string>& allowed);

// Every leaf field path of `payload` ("a.b", "c[].d"), for tests and checks.
std::set<std::string> FieldPaths(const nlohmann::json& payload);

}  // namespace crvs::feeds
