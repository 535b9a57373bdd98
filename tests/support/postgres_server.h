// A private PostgreSQL server for tests: Debian's postgresql binaries, a fresh cluster
// (initdb) in a temp dir, a free TCP port on 127.0.0.1 and the unix socket in the temp dir,
// trust authentication for the superuser "postgres". The destructor stops the server and
// deletes the directory.
//
// PostgreSQL refuses to run as root: when the test runs as root (CI), initdb and pg_ctl run
// as the `postgres` system user (created by Debian's postgresql package) through
// `runuser -u postgres --`, and the temp dir belongs to that user; otherwise they run as the
// current user.
//
// Usage:
//   auto server = PostgresServer::Start();           // ~1-2 s: initdb + start
//   ASSERT_TRUE(server.ok()) << server.status();
//   auto uri = (*server)->CreateDatabase("store_test");  // "postgresql://postgres@/store_test?..."
//
// Thread-safety: one test thread drives a PostgresServer; the server itself takes any
// number of connections.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <memory>
#include <string>
#include <vector>

namespace crvs::testing {

struct PostgresServerOptions {
  // Directory with initdb, pg_ctl and postgres; empty: the newest /usr/lib/postgresql/*/bin.
  std::string bin_dir;
  // fsync off makes tests faster; the server still survives its own restart (pg_ctl stop
  // checkpoints), not an OS crash.
  bool fsync = false;
  // Extra server settings, "name=value" each (passed as -c name=value).
  std::vector<std::string> settings;
};

class PostgresServer {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(
      const PostgresServerOptions& options = {});
  ~PostgresServer();  // stops the server (immediate) and deletes its directory
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates a database ([a-z0-9_]{1,63}) and returns its URI (unix socket).
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  // libpq URI of `database` over the unix socket / over TCP 127.0.0.1:port.
  std::string Uri(const std::string& database) const;
  std::string TcpUri(const std::string& database) const;

  // Runs SQL (several statements allowed) as the superuser in `database`; returns the rows
  // of the last statement as text (NULL as "").
  absl::StatusOr<std::vector<std::vector<std::string>>> Query(const std::string& database,
                                                              const std::string& sql);

  // Stops the server (pg_ctl stop -m fast) / starts it again on the same port and data.
  absl::Status Stop();
  absl::Status Restart();
  // Crashes it (pg_ctl stop -m immediate: no checkpoint, WAL not yet written is lost, as in a
  // server crash); Restart() recovers it.
  absl::Status Crash();
  bool running() const { return running_; }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }  // temp dir (socket dir too)
  std::string server_log() const;                  // the server's log so far

 private:
  PostgresServer() = default;
  absl::Status RunAsOwner(const std::vector<std::string>& argv, const std::string& what);
  absl::Status StartServer();

  PostgresServerOptions options_;
  std::string bin_dir_;
  std::string dir_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  bool running_ = false;
};

}  // namespace crvs::testing
