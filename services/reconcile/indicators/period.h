// Calendar rules of the indicators (docs/indicators.md, "Common rules"): Vietnam local dates
// (UTC+07:00), report periods ("2026", "2026-Q1", "2026-03") and the as-of cut-off.
//
// Internal to crvs_indicators. Thread-safety: pure functions.
#pragma once

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <optional>
#include <string>
#include <string_view>

#include "services/reconcile/calendar.h"

namespace crvs::reconcile::indicators {

// Inclusive first and last local dates.
struct Period {
  absl::CivilDay first;
  absl::CivilDay last;
  bool Contains(absl::CivilDay day) const { return first <= day && day <= last; }
};

// "2026" (a year), "2026-Q1".."2026-Q4" (a quarter) or "2026-01".."2026-12" (a month), years
// 1900..9999; nullopt for anything else.
std::optional<Period> ParsePeriod(std::string_view text);

// Local dates, their stored form and the Vietnam day: services/reconcile/calendar.h.

}  // namespace crvs::reconcile::indicators
