// PostgreSQL backend of sql::Connection over libpq.
//
// Statements are prepared once per session with parameter types taken from the first call
// (BIGINT, TEXT, BYTEA; NULL parameters are typed by the server from context, which gives
// the same types because every integer column is BIGINT). Parameters and results travel in
// binary format, so blobs need no escaping.
//
// A lost connection (server restart, network, pg_terminate_backend) makes the failing call
// return UNAVAILABLE; the next call re-connects (EnsureConnected).

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <libpq-fe.h>

#include <cstring>
#include <unordered_map>

#include "services/platform/logging.h"
#include "services/store/sql.h"

namespace crvs::store::sql {
namespace {

// Type OIDs from PostgreSQL's pg_type.h (stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kVarcharOid = 1043;
constexpr Oid kBpcharOid = 1042;

int64_t ReadBigEndian(const char* data, int size) {
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) v = (v << 8) | static_cast<unsigned char>(data[i]);
  // Sign-extend the 2- and 4-byte integers.
  if (size < 8 && (v >> (size * 8 - 1)) & 1) v |= ~uint64_t{0} << (size * 8);
  return static_cast<int64_t>(v);
}

absl::Status ClassifyError(PGconn* conn, const PGresult* result, const std::string& what) {
  std::string detail = result ? PQresultErrorMessage(result) : "";
  if (detail.empty()) detail = PQerrorMessage(conn);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string message = absl::StrCat("postgresql: ", what, ": ", detail);
  if (!sqlstate.empty()) absl::StrAppend(&message, " [SQLSTATE ", sqlstate, "]");
  if (PQstatus(conn) != CONNECTION_OK) return absl::UnavailableError(message);
  if (absl::StartsWith(sqlstate, "08") ||  // connection exception
      absl::StartsWith(sqlstate, "53") ||  // insufficient resources
      sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||  // shutdown, starting
      sqlstate == "55P03") {  // lock_not_available (lock_timeout)
    return absl::UnavailableError(message);
  }
  if (sqlstate == "57014") return absl::DeadlineExceededError(message);  // statement_timeout
  // Serialization failure, deadlock, and a unique-key race with another transaction writing
  // the same key (e.g. a consumer fenced out by a rebalance still finishing its batch): the
  // retry reads the winner's rows and comes out a duplicate.
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "23505") {
    return absl::AbortedError(message);
  }
  if (sqlstate == "XX001" || sqlstate == "XX002") return absl::DataLossError(message);
  // Data exception (e.g. 22021: a NUL byte in text) or an integrity constraint other than a
  // unique key: this data can never be written (sql::IsDataError).
  if (absl::StartsWith(sqlstate, "22") || absl::StartsWith(sqlstate, "23")) {
    return absl::InvalidArgumentError(message);
  }
  return absl::InternalError(message);
}

void IgnoreNotice(void*, const char*) {}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PGconn* conn, const DatabaseConfig& config) : conn_(conn), config_(config) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }

  // Session settings. enable_seqscan=off: every statement of the store is a key or index
  // lookup, and a plan chosen while a table was small or not yet analyzed (autoanalyze lags
  // a fresh database under load; prepared statements keep their plan) must not turn the
  // batch lookups into full scans.
  absl::Status Setup() {
    PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
    statements_.clear();
    return ExecScript(absl::StrCat("SET statement_timeout = ", config_.statement_timeout.count(),
                                   "; SET lock_timeout = ", config_.busy_timeout.count(),
                                   "; SET client_min_messages = warning; SET TIME ZONE 'UTC'"
                                   "; SET enable_seqscan = off"));
  }

  absl::Status ExecScript(const std::string& sql) override {
    PGresult* result = PQexec(conn_, sql.c_str());
    absl::Status status = absl::OkStatus();
    ExecStatusType st = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      status = ClassifyError(conn_, result, ShortStatement(sql));
    }
    PQclear(result);
    return status;
  }

  absl::StatusOr<Rows> Execute(const std::string& sql, absl::Span<const Value> params) override {
    const int n = static_cast<int>(params.size());
    std::string name;
    auto it = statements_.find(sql);
    if (it != statements_.end()) {
      name = it->second;
    } else {
      name = absl::StrCat("crvs_", statements_.size() + 1);
      std::vector<Oid> types(params.size(), 0);
      for (size_t i = 0; i < params.size(); ++i) {
        switch (params[i].type()) {
          case Value::Type::kInt:
            types[i] = kInt8Oid;
            break;
          case Value::Type::kText:
            types[i] = kTextOid;
            break;
          case Value::Type::kBlob:
            types[i] = kByteaOid;
            break;
          case Value::Type::kNull:
            types[i] = 0;
            break;
        }
      }
      PGresult* prepared = PQprepare(conn_, name.c_str(), sql.c_str(), n, types.data());
      if (!prepared || PQresultStatus(prepared) != PGRES_COMMAND_OK) {
        absl::Status status =
            ClassifyError(conn_, prepared, absl::StrCat("prepare ", ShortStatement(sql)));
        PQclear(prepared);
        return status;
      }
      PQclear(prepared);
      statements_.emplace(sql, name);
    }

    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 1);
    std::vector<char> ints(params.size() * 8);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      switch (v.type()) {
        case Value::Type::kNull:
          break;
        case Value::Type::kInt: {
          uint64_t u = static_cast<uint64_t>(v.AsInt());
          char* out = &ints[i * 8];
          for (int b = 7; b >= 0; --b) {
            out[b] = static_cast<char>(u & 0xff);
            u >>= 8;
          }
          values[i] = out;
          lengths[i] = 8;
          break;
        }
        case Value::Type::kText:
        case Value::Type::kBlob:
          values[i] = v.Bytes().data();
          lengths[i] = static_cast<int>(v.Bytes().size());
          break;
      }
    }
    PGresult* result = PQexecPrepared(conn_, name.c_str(), n, values.data(), lengths.data(),
                                      formats.data(), /*resultFormat=*/1);
    ExecStatusType st = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      absl::Status status = ClassifyError(conn_, result, ShortStatement(sql));
      PQclear(result);
      return status;
    }
    auto rows = DecodeRows(result, sql);
    PQclear(result);
    return rows;
  }

  absl::Status Begin() override { return ExecScript("BEGIN"); }
  absl::Status Commit() override { return ExecScript("COMMIT"); }
  void Rollback() override {
    if (PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PQclear(PQexec(conn_, "ROLLBACK"));
    }
  }

  absl::Status EnsureConnected() override {
    if (PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat("postgresql: reconnect failed: ", TrimmedError()));
    }
    logging::Get("store")->info("event=reconnected backend=postgresql");
    return Setup();
  }

 private:
  std::string TrimmedError() const {
    std::string e = PQerrorMessage(conn_);
    while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
    return e;
  }

  static absl::StatusOr<Rows> DecodeRows(const PGresult* result, const std::string& sql) {
    Rows rows;
    const int nrows = PQntuples(result);
    const int ncols = PQnfields(result);
    rows.reserve(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      Row row;
      row.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(result, r, c)) {
          row.push_back(Value::Null());
          continue;
        }
        const char* data = PQgetvalue(result, r, c);
        const int size = PQgetlength(result, r, c);
        switch (PQftype(result, c)) {
          case kInt8Oid:
          case kInt4Oid:
          case kInt2Oid:
          case kBoolOid:
            row.push_back(Value::Int(ReadBigEndian(data, size)));
            break;
          case kTextOid:
          case kVarcharOid:
          case kBpcharOid:
          case kNameOid:
            row.push_back(Value::Text(std::string(data, static_cast<size_t>(size))));
            break;
          case kByteaOid:
            row.push_back(Value::Blob(std::string(data, static_cast<size_t>(size))));
            break;
          default:
            return absl::InternalError(absl::StrCat("postgresql: unsupported result type oid ",
                                                    PQftype(result, c), " in ", ShortStatement(sql)));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  PGconn* conn_;
  DatabaseConfig config_;
  std::unordered_map<std::string, std::string> statements_;  // text → prepared name
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> ConnectPostgres(const std::string& uri,
                                                            const DatabaseConfig& config) {
  auto seconds = (config.connect_timeout.count() + 999) / 1000;
  std::string timeout = std::to_string(seconds < 1 ? 1 : seconds);
  const char* keywords[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
  const char* values[] = {uri.c_str(), timeout.c_str(), "crvs-store", nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("postgresql: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn);
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    PQfinish(conn);
    // A malformed URI is the caller's error; anything else (refused, unknown host,
    // authentication, starting up) may clear up, so it is UNAVAILABLE.
    if (absl::StrContains(error, "invalid URI") ||
        absl::StrContains(error, "invalid connection option")) {
      return absl::InvalidArgumentError(absl::StrCat("database.url: ", error));
    }
    return absl::UnavailableError(absl::StrCat("postgresql: connect: ", error));
  }
  auto connection = std::make_unique<PostgresConnection>(conn, config);
  absl::Status status = connection->Setup();
  if (!status.ok()) return status;
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace crvs::store::sql
