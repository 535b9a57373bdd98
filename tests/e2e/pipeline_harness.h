// Runs the real pipeline as separate processes for end-to-end tests: `crvs devbroker`,
// `crvs gateway` and any number of `crvs sink` processes, against SQLite or a private
// PostgreSQL server; feeds the gateway over gRPC and inspects the database with plain SQL.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "tests/support/postgres_server.h"
#include "tests/support/subprocess.h"

namespace crvs::e2e {

enum class Backend { kSqlite, kPostgres };
std::string BackendName(Backend b);

// A TCP port that was free a moment ago on 127.0.0.1.
int FreePort();

class Pipeline {
 public:
  // Starts the broker (with `partitions` per topic) and the database; no services yet.
  explicit Pipeline(Backend backend, int partitions = 6);
  ~Pipeline();

  void StartGateway();
  // Starts one more sink process; returns its index.
  int StartSink();
  // kill -9 of sink `index` (no chance to commit or leave the group).
  void KillSink(int index);
  void StopSink(int index);

  // Records committed by sink `index` so far, from its /metrics (0 if unreachable).
  double SinkCommitted(int index) { return SinkMetric(index, "crvs_sink_records_total"); }
  // Sum of every series of metric `name` on sink `index`'s /metrics (0 if unreachable).
  double SinkMetric(int index, const std::string& name);

  // Rows of a query on the civil-status database; each cell as text.
  std::vector<std::vector<std::string>> Query(const std::string& sqlite_sql,
                                              const std::string& postgres_sql) const;
  int64_t Count(const std::string& sql) const;  // same SQL on both backends
  // Waits until `sql` counts at least `n`; returns the last count.
  int64_t WaitForCount(const std::string& sql, int64_t n, int timeout_s);

  std::unique_ptr<ingest::v1::HealthIngest::Stub> Stub() const;
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& database_url() const { return database_url_; }
  testing::PostgresServer* postgres() { return postgres_.get(); }

 private:
  std::vector<std::string> CrvsArgs(const std::vector<std::string>& extra) const;

  Backend backend_;
  std::string dir_;
  std::unique_ptr<testing::PostgresServer> postgres_;
  std::unique_ptr<testing::Subprocess> broker_;
  std::unique_ptr<testing::Subprocess> gateway_;
  std::vector<std::unique_ptr<testing::Subprocess>> sinks_;
  std::vector<int> sink_metrics_ports_;
  std::string bootstrap_;
  std::string database_url_;
  int gateway_port_ = 0;
};

}  // namespace crvs::e2e
