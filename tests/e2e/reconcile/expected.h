// The coverage figures and indicators a reconciliation service must report for a generated
// Population, computed from the population itself: what its sources sent (the database's
// final content is the last version sent of each key) and what they declared, read through
// docs/indicators.md. Written apart from services/reconcile on purpose, so the end-to-end
// test compares two independent readings of the specification.
//
// Commit times are not known in advance: every record is taken to reach the database between
// the population's `now` and `now + kMaxPushTime`. Population guarantees that no issued_at
// makes the on-time outcome depend on where in that window the commit falls.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "tests/e2e/reconcile/population.h"

namespace crvs::e2e::population {

// Longest time the test may take to bring the population into the database.
inline constexpr absl::Duration kMaxPushTime = absl::Hours(1);

struct CoverageCounts {
  int64_t declared = 0;
  int64_t present = 0;
  int64_t present_on_time = 0;
  int64_t content_mismatch = 0;
  int64_t missing = 0;
  int64_t extra = 0;

  CoverageCounts& operator+=(const CoverageCounts& o);
  friend bool operator==(const CoverageCounts& a, const CoverageCounts& b);
};
void PrintTo(const CoverageCounts& c, std::ostream* os);  // for test failure messages

// Which manifests a coverage query measures against and which records it may call extra.
struct CoverageScope {
  absl::CivilDay first;  // manifests whose whole period lies in [first, last]; extras dated so
  absl::CivilDay last;
  bool backlog = false;
  // Only manifests whose period starts on or after this day (V1: 2026-01-01).
  absl::CivilDay min_period_start = absl::CivilDay(1, 1, 1);
};

// Rows by (source principal, kind), one for each source and kind with a manifest in scope.
using CoverageRows = std::map<std::pair<std::string, v1::RecordKind>, CoverageCounts>;

CoverageRows ExpectedCoverage(const Population& population, const CoverageScope& scope,
                              absl::Duration sla = absl::Hours(24));
CoverageCounts Total(const CoverageRows& rows);

struct IndicatorCounts {
  int64_t numerator = 0;
  int64_t denominator = 0;
  int64_t open_not_mature = 0;

  IndicatorCounts& operator+=(const IndicatorCounts& o);
  // 100 * numerator / denominator; absent when the denominator is 0.
  std::optional<double> Percent() const;
  friend bool operator==(const IndicatorCounts& a, const IndicatorCounts& b);
};
void PrintTo(const IndicatorCounts& c, std::ostream* os);

// Indicator id ("B1" .. "V2") → group → counts. The group is "" for the national total, else
// a province code ("??" for communes missing from the reference file). Groups with nothing
// in them are absent.
using IndicatorTable = std::map<std::string, std::map<std::string, IndicatorCounts>>;

// Every indicator for P = the population's year, as of its `today`, nationally and by
// province.
IndicatorTable ExpectedIndicators(const Population& population,
                                  absl::Duration sla = absl::Hours(24));

// What DeclareManifest answers about `manifest`: distinct entries, and entries repeating an
// earlier key of the manifest.
struct AckCounts {
  int64_t entries = 0;
  int64_t duplicate_entries = 0;
};
AckCounts ExpectedAck(const reconcile::v1::Manifest& manifest);

}  // namespace crvs::e2e::population
