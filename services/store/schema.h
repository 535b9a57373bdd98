// The civil-status schema as numbered migrations, applied in order when a Store opens.
//
// Every migration is written once; the few dialect differences are tokens substituted per
// backend ({INT} BIGINT/INTEGER, {BYTES} BYTEA/BLOB, {ID} identity/autoincrement key,
// {STRICT} SQLite strict tables, {ZERO_HASH} 32 zero bytes, {FACT_LINES} the aggregate that
// writes a person's facts as text), so both databases get the same tables, columns, keys and
// indexes. Applied versions are rows of `schema_migrations`; migrating is idempotent and
// safe when several processes open the same PostgreSQL database at once (advisory lock).
// Each migration applied is also an audit row (schema.migrated, services/store/audit.h).
#pragma once

#include <absl/status/statusor.h>

#include "services/store/sql.h"

namespace crvs::store {

// Version of the newest migration this binary knows.
int LatestSchemaVersion();

// Applies the migrations the database lacks, in one transaction, and returns the schema
// version. FAILED_PRECONDITION if the database is newer than this binary. `up_to` stops after
// that version (tests of an upgrade build the older schema with it).
absl::StatusOr<int> Migrate(sql::Connection& connection, int up_to = LatestSchemaVersion());

}  // namespace crvs::store
