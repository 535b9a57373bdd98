// The statistics office's feed: births or deaths of one month in one province, counted by
// commune, sex, age group (deaths) and registration timeliness, with small cells suppressed
// (suppression.h). No personal data leaves: only category labels and counts.
//
// The events are the indicators' (reconcile/indicators/events.h, LoadEvents: a certificate or
// notice and its registrations are one event; voided records do not count; communes are
// today's), as known now. Timeliness against the law's deadlines, as for B1 and D1: a birth
// registered within 60 days, a death within 15 ("on_time"), later ("late"), not registered yet
// ("not_registered"). Events whose commune is unknown or outside the province are not in the
// province's table.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include <string>

#include "services/feeds/statistics/suppression.h"
#include "services/reconcile/indicators/areas.h"
#include "services/reconcile/indicators/events.h"
#include "services/store/store.h"

namespace crvs::feeds::statistics {

struct MonthRequest {
  reconcile::indicators::EventKind kind = reconcile::indicators::EventKind::kBirth;
  std::string province;    // code of today's register, e.g. "79"
  absl::CivilMonth month;  // local (Vietnam) month of the events
  int64_t threshold = 5;
  absl::CivilDay today;    // the day deadlines are judged at
};

// The dimensions, in order: area (province → its communes), sex (MALE, FEMALE, UNKNOWN),
// age_group (deaths only: <1, 1-4, 5-14, 15-49, 50-64, 65+, unknown), timeliness (on_time,
// late, not_registered). INVALID_ARGUMENT for a province the register does not know.
absl::StatusOr<SuppressedTable> AggregateMonth(store::Store& store,
                                               const reconcile::indicators::Areas& areas,
                                               const MonthRequest& request);

// The label of an age at death in whole years, as age_group uses ("unknown" when negative).
std::string AgeGroup(int years);

}  // namespace crvs::feeds::statistics
