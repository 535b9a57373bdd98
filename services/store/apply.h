// The record-apply logic behind Store::Apply and Store::WriteRecord: reads the state of the batch's keys and
// message ids, decides every record in memory (in order), then writes versions, records,
// per-kind rows, message ids, dead letters, person facts, persons and offsets with multi-row
// statements — a fixed number of round trips per batch, whatever its size.
//
// Internal to crvs_store.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "services/store/sql.h"
#include "services/store/store.h"

namespace crvs::store {

// Applies `batch` through `connection`, inside a transaction the caller opened and commits
// (or rolls back on error). `now` is stored as committed_at / failed_at.
absl::StatusOr<BatchResult> ApplyInTransaction(sql::Connection& connection, const ApplyBatch& batch,
                                               absl::Time now, int bulk_rows);

// Writes one record that did not come from Kafka by the same code, inside a transaction the
// caller opened and commits: no Kafka coordinates, no offsets, and a refusal audited
// (record.refused) instead of dead-lettered. A DUPLICATE carries the committed_at of the
// version it matches.
absl::StatusOr<WriteResult> WriteInTransaction(sql::Connection& connection,
                                               const records::v1::RecordEnvelope& envelope,
                                               absl::Time now, int bulk_rows);

}  // namespace crvs::store
