// The store's seam between the record logic and a database: one Connection interface with a
// SQLite and a PostgreSQL implementation. Statements are written once, in SQL both dialects
// accept ($1.. placeholders, INSERT ... ON CONFLICT, RETURNING, VALUES lists); the only
// dialect-specific text is in the DDL (schema.cc) and in each Connection.
//
// Used by crvs_store and, through Store::Transact/Read, by services keeping their own tables
// in the database (services/reconcile); the store itself exposes no SQL in its API.
//
// Errors are classified where they arise: lock contention and a lost or refused connection
// are UNAVAILABLE, a statement timeout DEADLINE_EXCEEDED, a serialization failure, deadlock
// or unique-key race between concurrent PostgreSQL writers ABORTED (all retryable, see
// crvs::IsRetryable); a value the database refuses (a PostgreSQL data exception or a
// constraint other than a unique key, e.g. a NUL byte in text; a SQLite type, size or CHECK
// failure) INVALID_ARGUMENT — the data, which no retry will change; anything else is permanent
// (INTERNAL, or DATA_LOSS for corruption).
//
// Thread-safety: a Connection is used by one thread at a time.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/types/span.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "services/store/database_config.h"

namespace crvs::store::sql {

enum class Dialect { kSqlite, kPostgres };

// A parameter or result value. Integers are 64-bit (every integer column is BIGINT/INTEGER),
// text is UTF-8, blobs are raw bytes.
//
// TextRef/BlobRef are parameters that point at bytes the caller keeps alive until the
// statement has run, so a batch binds its envelopes, keys and ids without copying them. Read a
// parameter with Bytes(); results are always owned (AsString()).
class Value {
 public:
  enum class Type { kNull, kInt, kText, kBlob };

  static Value Null() { return Value(Type::kNull, 0, {}); }
  static Value Int(int64_t v) { return Value(Type::kInt, v, {}); }
  static Value Text(std::string v) { return Value(Type::kText, 0, std::move(v)); }
  static Value Blob(std::string v) { return Value(Type::kBlob, 0, std::move(v)); }
  static Value TextRef(std::string_view v) { return Ref(Type::kText, v); }
  static Value BlobRef(std::string_view v) { return Ref(Type::kBlob, v); }
  // Text, or NULL when empty (for optional text columns).
  static Value TextOrNull(std::string v) { return v.empty() ? Null() : Text(std::move(v)); }
  static Value TextRefOrNull(std::string_view v) { return v.empty() ? Null() : TextRef(v); }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  int64_t AsInt() const { return ref_ == nullptr ? int_ : 0; }  // 0 for non-integers
  // Text or blob bytes of an owned value (every result); "" otherwise.
  const std::string& AsString() const { return str_; }
  // Text or blob bytes, owned or referenced (what a connection binds).
  std::string_view Bytes() const {
    return ref_ != nullptr ? std::string_view(ref_, static_cast<size_t>(int_))
                           : std::string_view(str_);
  }

 private:
  Value(Type type, int64_t i, std::string s) : type_(type), int_(i), str_(std::move(s)) {}
  static Value Ref(Type type, std::string_view v) {
    Value value(type, static_cast<int64_t>(v.size()), {});
    value.ref_ = v.data() != nullptr ? v.data() : "";
    return value;
  }
  Type type_;
  int64_t int_;  // the integer, or a reference's size
  std::string str_;
  const char* ref_ = nullptr;
};

// Appends one row's values to a row-major list (moves, never copies the values).
template <typename... V>
void AppendRow(std::vector<Value>& out, V&&... values) {
  (out.push_back(std::forward<V>(values)), ...);
}

using Row = std::vector<Value>;
using Rows = std::vector<Row>;

class Connection {
 public:
  virtual ~Connection() = default;

  virtual Dialect dialect() const = 0;

  // Runs statements without parameters (DDL; several separated by ';').
  virtual absl::Status ExecScript(const std::string& sql) = 0;

  // Runs one statement with $1..$n bound to `params` and returns its rows (none for a
  // statement without SELECT/RETURNING). Each distinct text is prepared once and reused.
  virtual absl::StatusOr<Rows> Execute(const std::string& sql,
                                       absl::Span<const Value> params) = 0;

  // Transactions. Begin takes the write lock up front on SQLite (BEGIN IMMEDIATE) so a busy
  // database fails here, before any work; on PostgreSQL it is READ COMMITTED.
  virtual absl::Status Begin() = 0;
  virtual absl::Status Commit() = 0;
  // Best effort; a transaction that the server already ended is not an error.
  virtual void Rollback() = 0;

  // Makes sure the connection is usable before a call, re-connecting one that was lost
  // (PostgreSQL restart, network). UNAVAILABLE when the server cannot be reached.
  virtual absl::Status EnsureConnected() = 0;
};

// The start of a statement, for error messages: a bulk statement can be kilobytes long, and
// an error carrying all of it no longer fits in gRPC metadata.
inline std::string ShortStatement(const std::string& sql) {
  return sql.size() > 120 ? sql.substr(0, 120) + "..." : sql;
}

// Opens a connection for `config.url` and sets the session up (WAL and synchronous mode on
// SQLite; timeouts on PostgreSQL). INVALID_ARGUMENT for a malformed url or option,
// UNAVAILABLE when the database cannot be opened or reached.
absl::StatusOr<std::unique_ptr<Connection>> Connect(const DatabaseConfig& config);

// A statement run over many rows at once:
//   head + "($1,...,$c),($c+1,...,$2c),..." + tail
// e.g. head "INSERT INTO t (a, b) VALUES ", tail " ON CONFLICT (a) DO NOTHING"; or, with
// columns == 1 and `bare` rows, "... WHERE k IN (" + "$1,$2,..." + ")".
struct BulkStatement {
  std::string head;
  int columns = 1;
  std::string tail;
  bool bare = false;  // rows without parentheses (single-column IN lists)
};

// Runs `statement` for rows.size()/columns rows taken from the flat `values` (row-major), in
// chunks of at most `max_rows` rows. Chunk sizes are powers of two, so each statement is
// prepared in at most log2(max_rows)+1 shapes and reused; each shape's text is built once per
// thread, and the chunks bind slices of `values` without copying them. Returns the rows of all
// chunks.
absl::StatusOr<Rows> ExecuteBulk(Connection& connection, const BulkStatement& statement,
                                 absl::Span<const Value> values, int max_rows);

// Backend constructors, used by Connect.
absl::StatusOr<std::unique_ptr<Connection>> ConnectSqlite(const std::string& path,
                                                          const DatabaseConfig& config);
absl::StatusOr<std::unique_ptr<Connection>> ConnectPostgres(const std::string& uri,
                                                            const DatabaseConfig& config);

}  // namespace crvs::store::sql
