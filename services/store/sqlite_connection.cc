// SQLite backend of sql::Connection: one database file in WAL mode.
//
// Durability: journal_mode=WAL with synchronous=NORMAL (default) makes a commit durable
// against a crash of the process; on power loss or an OS crash the last commits may roll
// back, and with them the consumed offsets stored in the same transactions, so the sink
// consumes those records from Kafka again. "full" fsyncs every commit. Store::WriteRecord
// (no Kafka copy) raises its own transaction to FULL on the connection and puts it back.

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <sqlite3.h>

#include <filesystem>
#include <unordered_map>

#include "services/store/sql.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/platform/logging.h"

namespace crvs::store::sql {
namespace {

absl::Status SqliteError(sqlite3* db, int rc, const std::string& what) {
  std::string message = absl::StrCat("sqlite: ", what, ": ", db ? sqlite3_errmsg(db) : "", " (",
                                     sqlite3_errstr(rc), ")");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return absl::InvalidArgumentError(message);  // the data (sql::IsDataError)
    case SQLITE_CONSTRAINT:
      // A CHECK, NOT NULL or type (STRICT) constraint refuses a value: the data. A unique key
      // is the store's own logic going wrong, and a trigger's abort an operator's doing: neither
      // is a value to dead-letter.
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
          rc == SQLITE_CONSTRAINT_TRIGGER) {
        return absl::InternalError(message);
      }
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

// Statements are written with PostgreSQL's $N placeholders; SQLite reads ?N the same way.
// No statement of the store contains '$' inside a literal.
std::string ToSqlitePlaceholders(const std::string& sql) {
  std::string out = sql;
  for (char& c : out) {
    if (c == '$') c = '?';
  }
  return out;
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  ~SqliteConnection() override {
    for (auto& [text, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  absl::Status ExecScript(const std::string& sql) override {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    if (error != nullptr) sqlite3_free(error);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "exec");
    return absl::OkStatus();
  }

  absl::StatusOr<Rows> Execute(const std::string& sql, absl::Span<const Value> params) override {
    sqlite3_stmt* stmt = nullptr;
    auto it = statements_.find(sql);
    if (it != statements_.end()) {
      stmt = it->second;
    } else {
      std::string text = ToSqlitePlaceholders(sql);
      int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) {
        return SqliteError(db_, rc, absl::StrCat("prepare ", ShortStatement(sql)));
      }
      statements_.emplace(sql, stmt);
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      int index = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      switch (v.type()) {
        case Value::Type::kNull:
          rc = sqlite3_bind_null(stmt, index);
          break;
        case Value::Type::kInt:
          rc = sqlite3_bind_int64(stmt, index, v.AsInt());
          break;
        case Value::Type::kText:
          rc = sqlite3_bind_text(stmt, index, v.Bytes().data(),
                                 static_cast<int>(v.Bytes().size()), SQLITE_STATIC);
          break;
        case Value::Type::kBlob:
          rc = sqlite3_bind_blob(stmt, index, v.Bytes().data(),
                                 static_cast<int>(v.Bytes().size()), SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK) {
        sqlite3_reset(stmt);
        return SqliteError(db_, rc, "bind");
      }
    }
    Rows rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      int n = sqlite3_column_count(stmt);
      Row row;
      row.reserve(static_cast<size_t>(n));
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            row.push_back(Value::Int(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_TEXT:
            row.push_back(
                Value::Text(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                        static_cast<size_t>(sqlite3_column_bytes(stmt, c)))));
            break;
          case SQLITE_BLOB: {
            const void* data = sqlite3_column_blob(stmt, c);
            size_t size = static_cast<size_t>(sqlite3_column_bytes(stmt, c));
            row.push_back(Value::Blob(data ? std::string(static_cast<const char*>(data), size)
                                           : std::string()));
            break;
          }
          case SQLITE_NULL:
            row.push_back(Value::Null());
            break;
          default:
            sqlite3_reset(stmt);
            return absl::InternalError(
                absl::StrCat("sqlite: unexpected REAL column in ", ShortStatement(sql)));
        }
      }
      rows.push_back(std::move(row));
    }
    absl::Status status =
        rc == SQLITE_DONE ? absl::OkStatus() : SqliteError(db_, rc, ShortStatement(sql));
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (!status.ok()) return status;
    return rows;
  }

  absl::Status Begin() override { return ExecScript("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return ExecScript("COMMIT"); }
  void Rollback() override {
    // SQLite rolls some failed transactions back by itself; ROLLBACK is then a no-op error.
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  absl::Status EnsureConnected() override { return absl::OkStatus(); }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;  // text → prepared statement
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> ConnectSqlite(const std::string& path,
                                                          const DatabaseConfig& config) {
  std::string sync = absl::AsciiStrToLower(config.sqlite_synchronous);
  if (sync != "normal" && sync != "full") {
    return absl::InvalidArgumentError(absl::StrCat(
        "database.sqlite_synchronous: \"", config.sqlite_synchronous, "\" is not normal|full"));
  }
  // The embedded default lives under var/; create the directory on first use.
  std::error_code ignored;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
  // The database holds personal data: a new file is the owner's alone (SQLite gives its -wal
  // and -shm files the same mode). An existing file others can read is reported, not changed.
  if (path != ":memory:") {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    } else if (struct stat st; ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0) {
      logging::Get("store")->warn(
          "event=database_file_world_readable path={} mode={:o}: it holds personal data; "
          "chmod 600 (or 640 for a service group)",
          path, st.st_mode & 0777);
    }
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, absl::StrCat("open ", path));
    sqlite3_close_v2(db);
    return absl::UnavailableError(status.message());
  }
  auto connection = std::make_unique<SqliteConnection>(db);
  sqlite3_busy_timeout(db, static_cast<int>(config.busy_timeout.count()));
  sqlite3_extended_result_codes(db, 1);
  absl::Status status =
      connection->ExecScript(absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=", sync,
                                          "; PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"));
  if (!status.ok()) return status;
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace crvs::store::sql
