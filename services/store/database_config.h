// Configuration of the civil-status database connection (config section `[database]`).
//
// One url selects the backend:
//   "sqlite:<path>"                      embedded default; the file is created if missing
//   "postgresql://user@host:port/db?..." production; any libpq connection URI
//                                        ("postgres://" is accepted too)
#pragma once

#include <chrono>
#include <string>

#include "services/platform/config.h"

namespace crvs::store {

struct DatabaseConfig {
  std::string url = "sqlite:var/crvs.db";
  // SQLite: how long a writer waits for another connection's write lock (busy handler).
  // PostgreSQL: lock_timeout, how long a statement waits for a row lock held by another
  // transaction. Past it the call fails with UNAVAILABLE and the caller retries.
  config::Duration busy_timeout = std::chrono::seconds(5);
  // PostgreSQL: connect timeout (rounded up to whole seconds, libpq's unit).
  config::Duration connect_timeout = std::chrono::seconds(5);
  // PostgreSQL: statement_timeout; a statement running longer fails with DEADLINE_EXCEEDED.
  config::Duration statement_timeout = std::chrono::seconds(30);
  // SQLite durability of the sink's batches (Store::Apply): "normal" (WAL +
  // synchronous=NORMAL: a commit survives a process crash; the last commits may roll back on
  // power loss, together with their consumed offsets, so the sink re-reads them from Kafka) or
  // "full" (fsync at every commit). Writes that have no Kafka copy — registrations through the
  // registry API (Store::WriteRecord) — are fsynced at commit whatever this says.
  std::string sqlite_synchronous = "normal";
  // Rows per multi-row statement (INSERT ... VALUES (...),(...) and IN lists), 1..1000.
  int bulk_rows = 256;

  template <class V>
  void Visit(V& v) {
    v("url", url,
      "database: sqlite:<path> (embedded, WAL) or a libpq URI postgresql://user@host:port/db");
    v("busy_timeout", busy_timeout,
      "wait for another writer's lock before failing with UNAVAILABLE (SQLite busy timeout, "
      "PostgreSQL lock_timeout)");
    v("connect_timeout", connect_timeout, "PostgreSQL connect timeout");
    v("statement_timeout", statement_timeout, "PostgreSQL statement_timeout");
    v("sqlite_synchronous", sqlite_synchronous,
      "SQLite durability of consumed batches: normal (survives process crashes; power loss may "
      "roll back the last commits, which Kafka still holds) or full (fsync every commit); "
      "registry API writes, which Kafka does not hold, are fsynced either way");
    v("bulk_rows", bulk_rows, "rows per multi-row SQL statement, 1..1000");
  }
};

}  // namespace crvs::store
