#include "services/reconcile/indicators/period.h"

#include <absl/strings/str_format.h>

namespace crvs::reconcile::indicators {
namespace {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A fixed-width decimal number within [min, max].
std::optional<int> ParseNumber(std::string_view s, size_t width, int min, int max) {
  if (s.size() != width || !IsDigits(s)) return std::nullopt;
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  if (value < min || value > max) return std::nullopt;
  return value;
}

Period Months(int year, int first_month, int months) {
  absl::CivilMonth start(year, first_month);
  return {absl::CivilDay(start), absl::CivilDay(start + months) - 1};
}

}  // namespace

std::optional<Period> ParsePeriod(std::string_view text) {
  std::optional<int> year = ParseNumber(text.substr(0, 4), 4, 1900, 9999);
  if (!year) return std::nullopt;
  std::string_view rest = text.substr(4);
  if (rest.empty()) return Months(*year, 1, 12);
  if (rest.size() == 3 && rest[0] == '-' && rest[1] == 'Q') {
    std::optional<int> quarter = ParseNumber(rest.substr(2), 1, 1, 4);
    if (!quarter) return std::nullopt;
    return Months(*year, 3 * (*quarter - 1) + 1, 3);
  }
  if (rest.size() == 3 && rest[0] == '-') {
    std::optional<int> month = ParseNumber(rest.substr(1), 2, 1, 12);
    if (!month) return std::nullopt;
    return Months(*year, *month, 1);
  }
  return std::nullopt;
}

}  // namespace crvs::reconcile::indicators
