#include "tests/support/postgres_server.h"
#include "tests/support/ports.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/subprocess.h"

namespace crvs::testing {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> FindBinDir() {
  const fs::path root = "/usr/lib/postgresql";
  std::error_code ec;
  int best = -1;
  std::string best_dir;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    long version = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    if (!fs::exists(entry.path() / "bin" / "initdb")) continue;
    if (version > best) {
      best = static_cast<int>(version);
      best_dir = (entry.path() / "bin").string();
    }
  }
  if (best < 0) {
    return absl::FailedPreconditionError(
        "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)");
  }
  return best_dir;
}

// A TCP port free a moment ago, outside the ephemeral range (tests/support/ports.h).
absl::StatusOr<int> FreePort() {
  const int port = FreeLoopbackPort();
  if (port < 0) return absl::InternalError("could not find a free port on 127.0.0.1");
  return port;
}

bool ValidDatabaseName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(
    const PostgresServerOptions& options) {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->options_ = options;
  if (options.bin_dir.empty()) {
    auto bin = FindBinDir();
    if (!bin.ok()) return bin.status();
    server->bin_dir_ = *bin;
  } else {
    server->bin_dir_ = options.bin_dir;
  }

  char tmpl[] = "/tmp/crvs-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  server->dir_ = tmpl;
  server->as_postgres_user_ = geteuid() == 0;
  if (server->as_postgres_user_) {
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          "running as root but there is no `postgres` user to run the server as");
    }
    if (chown(server->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("chown ", server->dir_, " failed"));
    }
  }
  chmod(server->dir_.c_str(), 0700);

  absl::Status initdb = server->RunAsOwner(
      {server->bin_dir_ + "/initdb", "-D", server->dir_ + "/data", "-U", "postgres", "-A", "trust",
       "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"},
      "initdb");
  if (!initdb.ok()) return initdb;

  // The port was free when picked; another process may take it before the server binds it.
  absl::Status started = absl::OkStatus();
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto port = FreePort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    started = server->StartServer();
    if (started.ok()) return server;
  }
  return started;
}

PostgresServer::~PostgresServer() {
  if (running_) {
    absl::Status stopped =
        RunAsOwner({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"},
                   "pg_ctl stop");
    if (!stopped.ok()) fprintf(stderr, "PostgresServer: %s\n", stopped.ToString().c_str());
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

absl::Status PostgresServer::RunAsOwner(const std::vector<std::string>& argv,
                                        const std::string& what) {
  // Run from the temp dir: the postgres user may not be allowed into the test's cwd.
  std::vector<std::string> full;
  if (as_postgres_user_) full = {"runuser", "-u", "postgres", "--"};
  full.insert(full.end(), {"env", "-C", dir_});
  full.insert(full.end(), argv.begin(), argv.end());
  RunResult result = RunProgram(full);
  if (result.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat(what, " exited with ", result.exit_code, ": ", result.err, result.out));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::StartServer() {
  std::vector<std::string> server_args = {
      "-p", std::to_string(port_),        "-k", dir_,
      "-c", "listen_addresses=127.0.0.1", "-c", options_.fsync ? "fsync=on" : "fsync=off"};
  for (const auto& s : options_.settings) {
    server_args.push_back("-c");
    server_args.push_back(s);
  }
  absl::Status status =
      RunAsOwner({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w",
                  "-t", "60", "-o", absl::StrJoin(server_args, " "), "start"},
                 "pg_ctl start");
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), "\nserver log:\n", server_log()));
  }
  running_ = true;
  return absl::OkStatus();
}

absl::Status PostgresServer::Stop() {
  if (!running_) return absl::OkStatus();
  absl::Status status = RunAsOwner(
      {bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}, "pg_ctl stop");
  if (status.ok()) running_ = false;
  return status;
}

absl::Status PostgresServer::Crash() {
  if (!running_) return absl::OkStatus();
  absl::Status status = RunAsOwner(
      {bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"},
      "pg_ctl stop -m immediate");
  if (status.ok()) running_ = false;
  return status;
}

absl::Status PostgresServer::Restart() {
  absl::Status stopped = Stop();
  if (!stopped.ok()) return stopped;
  return StartServer();
}

std::string PostgresServer::Uri(const std::string& database) const {
  return absl::StrCat("postgresql://postgres@/", database, "?host=", dir_, "&port=", port_);
}

std::string PostgresServer::TcpUri(const std::string& database) const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", database);
}

std::string PostgresServer::server_log() const {
  std::ifstream in(dir_ + "/server.log");
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(const std::string& name) {
  if (!ValidDatabaseName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("database name \"", name, "\" is not [a-z0-9_]{1,63}"));
  }
  auto created = Query("postgres", "CREATE DATABASE " + name);
  if (!created.ok()) return created.status();
  return Uri(name);
}

absl::StatusOr<std::vector<std::vector<std::string>>> PostgresServer::Query(
    const std::string& database, const std::string& sql) {
  PGconn* conn = PQconnectdb(Uri(database).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("connect to ", database, ": ", error));
  }
  PGresult* result = PQexec(conn, sql.c_str());
  ExecStatusType st = PQresultStatus(result);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::string error = PQresultErrorMessage(result);
    PQclear(result);
    PQfinish(conn);
    return absl::InternalError(absl::StrCat(sql, ": ", error));
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < PQntuples(result); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < PQnfields(result); ++c) row.push_back(PQgetvalue(result, r, c));
    rows.push_back(std::move(row));
  }
  PQclear(result);
  PQfinish(conn);
  return rows;
}

}  // namespace crvs::testing
