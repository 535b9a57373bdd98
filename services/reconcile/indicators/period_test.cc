#include "services/reconcile/indicators/period.h"

#include <gtest/gtest.h>

namespace crvs::reconcile::indicators {
namespace {

std::string Show(const std::optional<Period>& p) {
  return p ? FormatDay(p->first) + ".." + FormatDay(p->last) : "invalid";
}

TEST(PeriodTest, ParsesYearsQuartersAndMonthsAsInclusiveLocalDates) {
  EXPECT_EQ(Show(ParsePeriod("2026")), "2026-01-01..2026-12-31");
  EXPECT_EQ(Show(ParsePeriod("2026-Q1")), "2026-01-01..2026-03-31");
  EXPECT_EQ(Show(ParsePeriod("2026-Q4")), "2026-10-01..2026-12-31");
  EXPECT_EQ(Show(ParsePeriod("2026-02")), "2026-02-01..2026-02-28");
  EXPECT_EQ(Show(ParsePeriod("2028-02")), "2028-02-01..2028-02-29");
  EXPECT_EQ(Show(ParsePeriod("2026-12")), "2026-12-01..2026-12-31");
}

TEST(PeriodTest, RejectsAnythingElse) {
  for (const char* bad : {"", "26", "20266", " 2026", "2026 ", "2026-Q0", "2026-Q5", "2026-q1",
                          "2026Q1", "2026-00", "2026-13", "2026-1", "2026-001", "1899",
                          "2026-03-01", "abcd"}) {
    EXPECT_EQ(Show(ParsePeriod(bad)), "invalid") << bad;
  }
}

TEST(PeriodTest, VietnamDatesAreUtcPlusSeven) {
  EXPECT_EQ(FormatDay(VietnamDate(absl::FromCivil(absl::CivilSecond(2026, 3, 31, 16, 59, 59),
                                                  absl::UTCTimeZone()))),
            "2026-03-31");
  EXPECT_EQ(FormatDay(VietnamDate(absl::FromCivil(absl::CivilSecond(2026, 3, 31, 17, 0, 0),
                                                  absl::UTCTimeZone()))),
            "2026-04-01");
  EXPECT_EQ(StartOfVietnamDay(absl::CivilDay(2026, 4, 1)),
            absl::FromCivil(absl::CivilSecond(2026, 3, 31, 17, 0, 0), absl::UTCTimeZone()));
}

TEST(PeriodTest, StoredDatesMustBeRealCalendarDates) {
  EXPECT_EQ(ParseStoredDate("2026-02-28"), absl::CivilDay(2026, 2, 28));
  EXPECT_EQ(ParseStoredDate("2028-02-29"), absl::CivilDay(2028, 2, 29));
  for (const char* bad : {"", "2026-02-29", "2026-04-31", "2026-13-01", "2026-1-01",
                          "2026/01/01", "26-01-01x"}) {
    EXPECT_FALSE(ParseStoredDate(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace crvs::reconcile::indicators
