// Sync coverage: what the sources declared in manifests against what the civil-status
// database holds (docs/indicators.md, "Sync coverage"). The comparison is an in-memory merge
// of the declared entries with the database's records of the same sources and kinds, so its
// cost is one pass over each side.
//
// Thread-safety: free functions; the Store serializes its own calls.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "services/reconcile/manifest_compare.h"
#include "services/store/sql.h"
#include "services/store/store.h"

namespace crvs::reconcile {

struct CoverageQuery {
  // Only this source ("facility:BV79001"); empty: every source with a manifest.
  std::string source;
  // Only this kind; RECORD_KIND_UNSPECIFIED: every kind.
  records::v1::RecordKind kind = records::v1::RECORD_KIND_UNSPECIFIED;
  // Manifests whose whole period lies in [period_start, period_end] (local dates).
  absl::CivilDay period_start;
  absl::CivilDay period_end;
  // Backlog inventories instead of period manifests (then the period is ignored when
  // `any_period` is set: indicator V2 takes every inventory).
  bool backlog = false;
  bool any_period = false;
  // Records first committed after this instant count as absent (the as-of cut-off: the end of
  // the as-of day). Unset: no cut-off.
  std::optional<absl::Time> committed_by;
  absl::Duration sla = absl::Hours(24);
};

// One row per (source, kind) having a manifest in the query, ordered by source then kind
// (source and kind set; percentages filled). With `gaps`, every gap is also passed to it
// (ordered by source, kind, then business key).
absl::StatusOr<std::vector<v1::CoverageRow>> ComputeCoverage(
    store::Store& store, const CoverageQuery& query,
    const std::function<void(const v1::Gap&)>& gaps = {});

// Appends every record of (source, kind) in the database (kind as stored: "DEATH_NOTICE") with
// its first commit time and period date (issued_at's local date; a divorce decision's legal
// effect date). Used by coverage and by the digest protocol's server side. With `as_of_us`, a
// record changed after that instant is described by its last version committed by then
// (voided or not, its content hash, issued_at and legal effect date then), so that a report
// as known on a past day is computed again the same.
absl::Status LoadStoredRecords(store::sql::Connection& connection, const std::string& source,
                               const std::string& kind, std::vector<StoredRecord>& out,
                               std::optional<int64_t> as_of_us = std::nullopt);

// The sum of `rows` (source unset, kind UNSPECIFIED unless all rows share one) with the
// percentages recomputed from the sums.
v1::CoverageRow SumCoverage(const std::vector<v1::CoverageRow>& rows);

}  // namespace crvs::reconcile
