// Calendar helpers of reconciliation and the indicators: Vietnam local dates (UTC+07:00),
// their stored form, and day numbers, so periods and deadlines are integer comparisons.
#pragma once

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crvs/common/v1/types.pb.h"
#include "services/validation/field_checks.h"

namespace crvs::reconcile {

using validation::internal::FormatDay;  // "2026-03-01"

// Days since 1970-01-01.
inline int32_t DayNumber(absl::CivilDay day) {
  return static_cast<int32_t>(day - absl::CivilDay(1970, 1, 1));
}
inline absl::CivilDay DayFromNumber(int32_t n) { return absl::CivilDay(1970, 1, 1) + n; }

// A stored or printed 'YYYY-MM-DD' date; nullopt for anything else (including 2026-02-30).
inline std::optional<absl::CivilDay> ParseStoredDate(std::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(std::string(text), &day) ||
      FormatDay(day) != text) {
    return std::nullopt;
  }
  return day;
}
// For dates the database wrote itself (always well formed).
inline absl::CivilDay ParseDay(std::string_view text) {
  return ParseStoredDate(text).value_or(absl::CivilDay(1970, 1, 1));
}

// A present LocalDate that is a real calendar date; nullopt otherwise (31 April, month 13).
inline std::optional<absl::CivilDay> ToCivilDay(const common::v1::LocalDate& date) {
  if (!validation::internal::IsValidDate(date)) return std::nullopt;
  return validation::internal::DayOf(date);
}
inline common::v1::LocalDate ToLocalDate(absl::CivilDay day) {
  common::v1::LocalDate date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

// The Vietnam local date on which `t` falls, and the instant that date begins.
inline absl::CivilDay VietnamDate(absl::Time t) { return validation::internal::VietnamDay(t); }
inline absl::Time StartOfVietnamDay(absl::CivilDay day) {
  return absl::FromCivil(day, absl::FixedTimeZone(7 * 3600));
}

// The Vietnam local date of an instant given in microseconds since the epoch, UTC.
inline absl::CivilDay VietnamDayOfMicros(int64_t us) {
  return VietnamDate(absl::FromUnixMicros(us));
}

}  // namespace crvs::reconcile
