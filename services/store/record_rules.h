// What a record means for the database, as pure functions (no SQL): the structural checks
// the store relies on, a record's life-cycle state, the facts it states
// about persons, and a person's status derived from those facts.
//
// Internal to crvs_store (and its tests).
#pragma once

#include <absl/status/status.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/timestamp.pb.h>

#include "crvs/records/v1/envelope.pb.h"
#include "services/store/rows.h"

namespace crvs::store::rules {

namespace v1 = ::crvs::records::v1;

// Business keys, kinds and source names come from crvs_records (services/records), the one
// implementation every producer and consumer shares.

// Business key of the record a registration is linked to, "" if none.
std::string LinkedKey(const v1::Registration& registration);

// The envelope fields the store needs to apply it at all: message_id, business_key equal to
// the record's canonical key, kind matching the record, action, a 32-byte content_hash,
// source, issued_at, and a reason for AMEND/VOID. Domain rules (personal IDs, codes, dates)
// are the validation library's. INVALID_ARGUMENT naming every bad field.
absl::Status CheckEnvelope(const v1::RecordEnvelope& envelope);

// Enum values as stored: a record proto's enum name without its prefix ("BIRTH_CERTIFICATE",
// "AMEND"), a store enum's name in upper snake case without the `k` ("PENDING_EFFECT",
// "DECEASED", "OPEN"); and back (UNSPECIFIED for an unknown name; UNKNOWN for the person
// statuses).
std::string StripEnumPrefix(const std::string& name, std::string_view prefix);
std::string KindName(v1::RecordKind kind);
std::string ActionName(v1::Action action);
std::string StateName(RecordState state);
v1::RecordKind ParseKind(std::string_view name);
v1::Action ParseAction(std::string_view name);
RecordState ParseState(std::string_view name);
std::string VitalName(VitalStatus status);
std::string MaritalName(MaritalStatus status);
VitalStatus ParseVital(std::string_view name);
MaritalStatus ParseMarital(std::string_view name);
std::string DeadLetterStateName(DeadLetterState state);
DeadLetterState ParseDeadLetterState(std::string_view name);

// A Timestamp as stored: microseconds since the epoch (the *_us columns).
inline int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

// Calendar dates as stored: "2026-10-25"; "" for an absent date.
std::string FormatDate(const common::v1::LocalDate& date);
bool ParseDate(std::string_view text, common::v1::LocalDate* date);
// Local calendar date of an event (instant + its UTC offset).
std::string LocalDateOf(const common::v1::DateTime& at);

// State of a record whose latest applied content is `content` (not voided): ACTIVE, or for a
// divorce decision PENDING_EFFECT / EFFECTIVE / SET_ASIDE. `detail` explains SET_ASIDE.
RecordState StateOf(const v1::RecordEnvelope& content, std::string* detail);

// Fact kinds, as stored in a person's facts (persons.facts).
inline constexpr std::string_view kMentioned = "MENTIONED";
inline constexpr std::string_view kDeathNotice = "DEATH_NOTICE";
inline constexpr std::string_view kDeathRegistered = "DEATH_REGISTERED";
inline constexpr std::string_view kDivorced = "DIVORCED";
inline constexpr std::string_view kAnnulled = "ANNULLED";
inline constexpr std::string_view kDivorceSetAside = "DIVORCE_SET_ASIDE";

// One thing a record in force says about a person.
struct PersonFact {
  std::string personal_id;
  std::string business_key;
  std::string fact;  // one of the kinds above
  std::string date;  // "YYYY-MM-DD"; "" for MENTIONED
  friend bool operator==(const PersonFact& a, const PersonFact& b) {
    return a.personal_id == b.personal_id && a.business_key == b.business_key && a.fact == b.fact &&
           a.date == b.date;
  }
};

// The facts a non-voided record states, deduplicated. Persons without a personal ID give
// none (they cannot be looked up).
std::vector<PersonFact> FactsOf(const v1::RecordEnvelope& content);

// A person's facts as stored on their row (persons.facts, migration 12): one line per fact,
// "business_key TAB fact TAB date", sorted by business key then fact, '\n'-separated; '%', TAB
// and newline inside a field are written %25, %09, %0A. Parse gives back the facts of
// `personal_id` (lines that cannot be read are skipped: the text is ours).
std::string FormatFacts(std::vector<PersonFact> facts);
std::vector<PersonFact> ParseFacts(const std::string& personal_id, std::string_view text);

struct DerivedPerson {
  VitalStatus vital_status = VitalStatus::kUnknown;
  std::string date_of_death;
  MaritalStatus marital_status = MaritalStatus::kUnknown;
  std::string marital_since;
  std::vector<std::string> evidence_keys;  // most relevant first
};

// A person's status from every fact about them (from records in force):
// * DECEASED if any death fact, dated by the earliest death registration, else the earliest
//   death notice; ALIVE if any other fact; else UNKNOWN.
// * Marital status from the latest-dated divorce fact: DIVORCED, ANNULLED, or MARRIED when
//   that decision was set aside (since the set-aside date); UNKNOWN without one. Pending
//   decisions only mention the spouses.
// * Evidence: death registrations, death notices, then divorce decisions (latest first).
DerivedPerson DerivePerson(const std::vector<PersonFact>& facts);

}  // namespace crvs::store::rules
