// The database's own ceiling for the sink's kind of work, measured without any crvs logic:
// batched multi-row INSERT ... ON CONFLICT DO UPDATE of rows shaped like stored records (a
// text key, a 32-byte hash, the envelope bytes, two timestamps), one transaction per batch,
// through the same driver code the store uses. `crvs bench sink` prints the sink's rate next
// to it (BRIEF §6: end-to-end ≥ 0.6 × this).
#pragma once

#include <absl/status/statusor.h>

#include "services/store/database_config.h"

namespace crvs::store {

struct RawUpsertProbe {
  int rows = 100000;
  int batch = 2000;        // rows per transaction
  int payload_bytes = 600;  // envelope-sized blob per row
};

// Creates (and afterwards drops) the table crvs_bench_raw_upsert; returns rows per second.
absl::StatusOr<double> MeasureRawUpsertRate(const DatabaseConfig& config,
                                            const RawUpsertProbe& probe);

}  // namespace crvs::store
