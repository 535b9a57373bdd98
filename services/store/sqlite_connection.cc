// SQLite backend of sql::Connection: one database file in WAL mode.
//
// Durability: journal_mode=WAL with synchronous=NORMAL (default) makes a commit durable
// against a crash of the process; on power loss or an OS crash the last commits may roll
// back, and with them the consumed offsets stored in the same transactions, so the sink
// consumes those records from Kafka again. "full" fsyncs every commit. Store::WriteRecord
// (no Kafka copy) raises its own transaction to FULL on the connection and puts it back.
//
// Checkpoints: SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL
// pages, on the writer's thread (a twentieth of the sink's time). Here the writer only
// signals, and a checkpointer thread with its own connection copies the WAL back into the
// database (PASSIVE: it never blocks the writer or readers). Should it fall behind, the writer
// checkpoints inline past kWalBackstopPages, so the WAL stays bounded.

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
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

constexpr int kWalCheckpointPages = 1000;   // SQLite's own default threshold
constexpr int kWalBackstopPages = 20000;    // ~80 MB of WAL: the writer checkpoints itself

// Copies the WAL back into the database on its own thread and connection when asked.
class Checkpointer {
 public:
  explicit Checkpointer(std::string path) : path_(std::move(path)) {}
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  void Request() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requested_ = true;
      if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      logging::Get("store")->warn("event=checkpointer_unavailable path={} error={}", path_,
                                  db ? sqlite3_errmsg(db) : "out of memory");
      sqlite3_close_v2(db);
      return;  // the writer's backstop still bounds the WAL
    }
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || requested_; });
      if (stop_) break;
      requested_ = false;
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
    sqlite3_close_v2(db);
  }

  const std::string path_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stop_ = false;
  std::thread thread_;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  ~SqliteConnection() override {
    checkpointer_.reset();
    for (auto& [text, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  // Hands checkpoints to a thread of their own (file databases in WAL mode).
  void CheckpointInBackground(const std::string& path) {
    checkpointer_ = std::make_unique<Checkpointer>(path);
    sqlite3_wal_hook(db_, &SqliteConnection::OnWalCommit, this);  // replaces the automatic one
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
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages) {
    auto* c = static_cast<SqliteConnection*>(self);
    if (pages >= kWalBackstopPages) {
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= kWalCheckpointPages) {
      c->checkpointer_->Request();
    }
    return SQLITE_OK;
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;  // text → prepared statement
  std::unique_ptr<Checkpointer> checkpointer_;
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
  if (path != ":memory:") connection->CheckpointInBackground(path);
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace crvs::store::sql
