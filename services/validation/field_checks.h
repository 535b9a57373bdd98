// Building blocks of the record validators: one check per kind of field (text limits, codes,
// dates, timestamps, people, officers), each appending its violations to `out` under the
// field path it is given. Internal to crvs_validation; the public API is validators.h.
#pragma once

#include <optional>
#include <string>

#include <google/protobuf/message.h>
#include <string_view>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <google/protobuf/timestamp.pb.h>

#include "crvs/common/v1/types.pb.h"
#include "services/platform/status.h"
#include "services/validation/validators.h"

namespace crvs::validation::internal {

using Violations = std::vector<FieldViolation>;

// Limits from the proto comments (bytes of UTF-8).
inline constexpr size_t kMaxNameBytes = 200;
inline constexpr size_t kMaxFreeTextBytes = 1000;
inline constexpr size_t kMaxRecordNumberBytes = 64;
inline constexpr size_t kMaxEthnicityBytes = 64;

// "a.b" from "a" and "b"; just "b" when the prefix is empty.
std::string Join(const std::string& path, std::string_view name);
// "a.b[2]".
std::string Join(const std::string& path, std::string_view name, int index);

void Add(Violations* out, std::string field, std::string description);

// Every string field of `message`, at any depth, holds acceptable text (platform/text.h:
// UTF-8 without control characters or bidirectional overrides; line breaks only in free text:
// fields named `reason`, `description` or `note`), and no field is unknown to this build
// (protobuf keeps fields it cannot name as unknown fields: they would be stored unseen).
// Violations name the field by its path under `path`, e.g.
// "death_notice.cause_of_death.chain[1].description".
void CheckTextAndKnownFields(const google::protobuf::Message& message, const std::string& path,
                             Violations* out);

// Text of at most `max_bytes`; when `required`, also not empty.
void CheckText(const std::string& value, const std::string& field, size_t max_bytes,
               bool required, Violations* out);
// A number printed on a document (certificate_no, decision_no, book, ...): 1..64 bytes, no
// control characters, no leading/trailing whitespace.
void CheckRecordNumber(const std::string& value, const std::string& field, Violations* out);
void CheckFacilityOrCourtCode(const std::string& value, const std::string& field,
                              Violations* out);
// An empty code is reported as required only when `required`.
void CheckCommuneCode(const std::string& value, const std::string& field, bool required,
                      Violations* out);
void CheckProvinceCode(const std::string& value, const std::string& field, const Context& ctx,
                       Violations* out);
// 1..64 characters from [A-Za-z0-9._:-].
void CheckMessageId(const std::string& value, const std::string& field, Violations* out);
// Empty, or 32 lower-case hex characters, not all zero (W3C Trace Context).
void CheckTraceId(const std::string& value, const std::string& field, Violations* out);

// Whether the three parts form a real date in 1..9999.
bool IsValidDate(const crvs::common::v1::LocalDate& date);
absl::CivilDay DayOf(const crvs::common::v1::LocalDate& date);  // requires IsValidDate
std::string FormatDate(const crvs::common::v1::LocalDate& date);
std::string FormatDay(absl::CivilDay day);
std::string FormatInstant(absl::Time t);  // RFC 3339 UTC, seconds
// Today's date in Vietnam (UTC+07:00), clock-skew allowance included.
absl::CivilDay TodayInVietnam(const Context& ctx);
// The calendar date in Vietnam of an instant (dates of events are Vietnamese dates).
absl::CivilDay VietnamDay(absl::Time t);

// A LocalDate field: required when `required`; a real date; not in the future. Returns the day
// only when the field is present and passed, so relational checks never pile onto a bad date.
std::optional<absl::CivilDay> CheckDate(bool present, const crvs::common::v1::LocalDate& date,
                                        const std::string& field, bool required,
                                        const Context& ctx, Violations* out);
// A Timestamp field: required when `required`; in the range protobuf allows; not in the future.
std::optional<absl::Time> CheckTimestamp(bool present, const google::protobuf::Timestamp& ts,
                                         const std::string& field, bool required,
                                         const Context& ctx, Violations* out);

// The instant of an event and its local calendar date.
// Vietnam's offset from UTC, in minutes (UTC+07:00, no daylight saving).
inline constexpr int kVietnamUtcOffset = 420;
// "+07:00", "-03:30".
std::string FormatUtcOffset(int minutes);

struct EventTime {
  absl::Time instant;
  absl::CivilDay local_day;
  int utc_offset_minutes = 0;
};
// A REQUIRED DateTime: instant (valid, not in the future) and utc_offset_minutes -720..840.
std::optional<EventTime> CheckEventTime(bool present, const crvs::common::v1::DateTime& dt,
                                        const std::string& field, const Context& ctx,
                                        Violations* out);

// Which parts of a Person its role makes REQUIRED (proto comment where the Person is used).
struct PersonRole {
  bool name_required = false;
  bool id_required = false;
  bool sex_required = false;
  bool dob_required = false;
  bool commune_required = false;  // residence.commune_code
  // Mother: sex must be SEX_FEMALE or SEX_UNSPECIFIED, and unspecified is taken as female
  // when checking the ID's sex digit.
  bool is_mother = false;
};
// Checks a present Person at `path`; returns its date of birth when present and valid.
std::optional<absl::CivilDay> CheckPerson(const crvs::common::v1::Person& person,
                                          const Context& ctx, const std::string& path,
                                          const PersonRole& role, Violations* out);

// An Officer: when `required` and absent, "<path>.full_name" is required; when present,
// full_name 1..200 bytes and title <= 200 bytes.
void CheckOfficer(bool present, const crvs::common::v1::Officer& officer,
                  const std::string& path, bool required, Violations* out);
// A FacilityRef: when `required` and absent, "<path>" is required; when present, facility_code
// REQUIRED with its syntax and name <= 200 bytes.
void CheckFacilityRef(bool present, const crvs::common::v1::FacilityRef& facility,
                      const std::string& path, bool required, Violations* out);

// Whether two people carry the same (12-digit) personal ID.
bool SamePersonalId(const crvs::common::v1::Person& a, const crvs::common::v1::Person& b);

}  // namespace crvs::validation::internal
