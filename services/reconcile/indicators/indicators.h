// The national CRVS programme's indicators (B1-B3, D1-D5, V1-V2) for a period, an area and an
// as-of date, with targets and met / not met, exactly as docs/indicators.md defines them.
// Event indicators (B1, B2, D1, D2, D3) and D5 are computed from the civil-status database's
// certificates, notices and registrations; B3, D4, V1 and V2 from sync coverage against the
// sources' manifests (services/reconcile/coverage.h).
//
// Errors: INVALID_ARGUMENT with field violations (crvs::FieldViolations) naming "period",
// "as_of", "province_code", "commune_code", "breakdown" or "indicator_ids[i]";
// FAILED_PRECONDITION naming reconcile.reference_communes_file for a province filter or
// breakdown with an Areas that holds no register (a default-constructed one; Areas::Load always
// has one); the store's errors otherwise (retryable ones per
// crvs::IsRetryable).
//
// Thread-safety: a free function; the Store serializes its own calls, Areas is immutable.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>

#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "services/reconcile/indicators/areas.h"
#include "services/store/store.h"

namespace crvs::reconcile::indicators {

struct IndicatorOptions {
  // The clock: the default as-of date is today in Vietnam, and as_of may not be later.
  absl::Time now = absl::Now();
  // Issued-at to first committed: the on-time limit of B3 and D4 (reconcile.sync_sla).
  absl::Duration sync_sla = absl::Hours(24);
};

// The checks ComputeIndicators makes before reading anything (same errors), for callers that
// want to refuse a bad request before opening the database.
absl::Status ValidateIndicatorsRequest(const crvs::reconcile::v1::IndicatorsRequest& request,
                                       const Areas& areas, const IndicatorOptions& options);

// One IndicatorValue per requested indicator (all when none is named) for the whole area, then
// one per breakdown group (an indicator the breakdown does not apply to gets its total row
// only), ordered by id then breakdown_key. A province_code and a commune_code together select
// that commune if it lies in that province. Events without a commune, and communes missing
// from the communes file, are grouped under kUnknownArea ("??").
absl::StatusOr<crvs::reconcile::v1::IndicatorReport> ComputeIndicators(
    store::Store& store, const Areas& areas, const crvs::reconcile::v1::IndicatorsRequest& request,
    const IndicatorOptions& options);

}  // namespace crvs::reconcile::indicators
