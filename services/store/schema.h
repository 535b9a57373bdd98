// The civil-status schema as numbered migrations, applied in order when a Store opens.
//
// Every migration is written once; the few dialect differences are tokens substituted per
// backend ({INT} BIGINT/INTEGER, {BYTES} BYTEA/BLOB, {ID} identity/autoincrement key,
// {STRICT} SQLite strict tables, {ZERO_HASH} 32 zero bytes), so both databases get the same tables, columns, keys and
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
// version. FAILED_PRECONDITION if the database is newer than this binary.
absl::StatusOr<int> Migrate(sql::Connection& connection);

}  // namespace crvs::store
