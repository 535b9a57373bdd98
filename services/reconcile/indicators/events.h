// The vital events behind B1, B2, D1, D2, D3 and the death notices behind D5, as known on an
// as-of date (docs/indicators.md, "Events" and "Notices"): SQL pulls the candidate rows, and
// MergeEvidence deduplicates certificates / notices and registrations into events in C++.
//
// Internal to crvs_indicators. Thread-safety: free functions; the Store serializes its calls.
// Errors: the store's (UNAVAILABLE etc. are retryable, see crvs::IsRetryable).
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include <optional>
#include <string>
#include <vector>

#include "services/reconcile/indicators/areas.h"
#include "services/reconcile/indicators/period.h"
#include "services/store/store.h"

namespace crvs::reconcile::indicators {

enum class EventKind { kBirth, kDeath };

// A non-voided birth certificate or death notice known on the as-of date.
struct FacilityRecord {
  std::string key;
  std::string facility;
  std::optional<absl::CivilDay> event_date;  // born_on / died_on; nullopt when unknown
  std::string commune;                       // birth/death commune; "" when unknown
  bool in_facility = false;
};

// A non-voided BIRTH or DEATH registration known on the as-of date (dated and committed by
// then).
struct RegistrationRecord {
  std::string key;
  std::string office;  // registry office (commune) code
  std::optional<absl::CivilDay> event_date;
  absl::CivilDay registration_date;
  std::string linked_key;  // "" when the registration links no certificate / notice
};

// One birth or death.
struct Event {
  // The certificate / notice; the registration of a home event; or the key that registrations
  // link when that certificate / notice is absent or voided.
  std::string key;
  absl::CivilDay date;
  std::string commune;       // "" when unknown
  std::string facility;      // the certificate's / notice's facility; "" without one
  bool in_facility = false;  // evidence includes a certificate / notice with in_facility
  std::optional<absl::CivilDay> registered_on;  // earliest registration date
};

// The events the evidence proves, ordered by key: every record with an event date; every
// registration without a link (home event: its event date, its office); registrations linking
// one absent record form one event (earliest event date, that registration's office; ties: the
// smaller registration key). A registration linking a present record registers its event.
// Every event's registered_on is its earliest registration date.
std::vector<Event> MergeEvidence(const std::vector<FacilityRecord>& records,
                                 std::vector<RegistrationRecord> registrations);

// When a report is as of: the day deadlines are judged at, and the last day whose commits
// count (`day` for "as known on A", today for "everything known now").
struct AsOf {
  absl::CivilDay day;
  absl::CivilDay known_by;
  // known_by is before today, so records may have changed after its end: each such record is
  // read as it was then (record_versions). False skips that search (nothing can have changed
  // after the end of today).
  bool known_by_is_past = true;
};

// The events dated in [period.first, min(period.last, as_of.day)], from the records and
// registrations known: first committed before the end of `as_of.known_by` (Vietnam), as they
// were then (a record amended or voided since counts by its version then), not voided,
// registrations dated <= as_of.day. Communes are today's: codes written before
// 2025-07-01 map through `areas`.
absl::StatusOr<std::vector<Event>> LoadEvents(store::Store& store, EventKind kind,
                                              const Period& period, AsOf as_of,
                                              const Areas& areas);

// A death notice for D5.
struct Notice {
  std::string facility;
  std::string commune;       // death commune; "" when unknown
  bool certified = false;    // underlying cause a valid ICD-10 code outside chapter R
};

// Notices of deaths in a health facility (in_facility) whose local date of death is in
// [period.first, min(period.last, as_of.day)], first committed before the end of
// `as_of.known_by`, as they were then, not voided.
absl::StatusOr<std::vector<Notice>> LoadNotices(store::Store& store, const Period& period,
                                                AsOf as_of, const Areas& areas);

}  // namespace crvs::reconcile::indicators
