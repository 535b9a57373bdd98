// The database's own ceiling for the sink's kind of work, measured without any crvs logic:
// batched multi-row INSERT ... ON CONFLICT DO UPDATE of rows shaped like stored records (a
// text key, a 32-byte hash, the envelope bytes, two timestamps), one transaction per batch,
// through the same driver code the store uses. `crvs bench sink` prints the sink's rate next
// to it (BRIEF §6: end-to-end ≥ 0.6 × this).
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>

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

// The database's ceiling for the rows the sink itself wrote: every row a sink run left in the
// tables it writes per record (record_versions, records, the per-kind tables, persons) is read
// back, then written again into a fresh copy of the schema (SQLite: a sibling
// file `<path>.same-rows`; PostgreSQL: the schema crvs_same_rows of the same database, dropped
// afterwards): the same tables and indexes, the same statements (apply_statements.h), `batch`
// records per transaction with one consumed-offsets row and one audit row each, committed as
// the sink commits (PostgreSQL: synchronous_commit = off); no decoding, no rules, no reads.
// Only the writing is timed.
struct SameRowsProbe {
  int batch = 500;                // records per transaction: the sink's batch_max_records
  std::string business_key_like;  // the run's records (a LIKE pattern on business_key)
};

struct SameRowsResult {
  int64_t records = 0;
  int64_t rows = 0;  // every row written, the per-batch offsets and audit rows included
  double rows_per_record = 0;
  double records_per_s = 0;
};

absl::StatusOr<SameRowsResult> MeasureSameRowsRate(const DatabaseConfig& config,
                                                   const SameRowsProbe& probe);

}  // namespace crvs::store
