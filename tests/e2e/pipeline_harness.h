// Runs the real pipeline as separate processes for end-to-end tests: `crvs devbroker`,
// `crvs gateway` and any number of `crvs sink` processes, against SQLite or a private
// PostgreSQL server; feeds the gateway over gRPC and inspects the database with plain SQL.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "crvs/ingest/v1/court_ingest.grpc.pb.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "crvs/registry/v1/registry.pb.h"
#include "tests/support/postgres_server.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/subprocess.h"

namespace crvs::kafka {
class EmbeddedBroker;
}  // namespace crvs::kafka

namespace crvs::e2e {

enum class Backend { kSqlite, kPostgres };
std::string BackendName(Backend b);

// A TCP port that was free a moment ago on 127.0.0.1.
int FreePort();

// Sum of the series of the /metrics page on 127.0.0.1:`port` that match `series`: a metric name
// (every label set) or a name with its complete label set, e.g.
// crvs_court_source_events_total{op="c",outcome="produced"} (0 if unreachable).
double ScrapeMetric(int port, const std::string& series);

// A person's status through the registry service on 127.0.0.1:`registry_port`, asked as an
// operator (plaintext, crvs-principal metadata); a failed call is a test failure.
registry::v1::PersonStatus PersonStatusOf(int registry_port, const std::string& personal_id);

// A Kafka cluster the test started itself (a real one: tests/support/kafka_cluster.h), with the
// product's topics already there; the test keeps it running while the Pipeline lives.
struct ExternalKafka {
  std::string bootstrap;
};

class Pipeline {
 public:
  // Starts the broker (with `partitions` per topic) and the database; no services yet.
  // in_process_brokers = 0: the broker is a `crvs devbroker` process; N > 0: an embedded
  // mock cluster of N brokers inside the test process, reachable through broker() for fault
  // injection (brokers down, request errors, leader moves).
  // `broker_settings` ("section.key=value") go to the `crvs devbroker` process (e.g.
  // feeds.subscribers_file, whose Kafka subscribers' topics it makes).
  explicit Pipeline(Backend backend, int partitions = 6, int in_process_brokers = 0,
                    std::vector<std::string> broker_settings = {});
  // The database as above; the broker is `kafka`.
  Pipeline(Backend backend, ExternalKafka kafka);
  ~Pipeline();

  // Replaces the `crvs devbroker` process by a new, empty one (a new address): what a sink
  // sees when a topic is deleted and re-created, or the in-memory broker restarts. Services
  // started afterwards use the new broker; restart the running ones.
  void ReplaceBroker();
  // Starts `crvs gateway` with extra `--set section.key=value` settings (kept for
  // RestartGateway).
  void StartGateway(const std::vector<std::string>& settings = {});
  // kill -9 of the gateway: receipts in flight are never sent.
  void KillGateway();
  // Starts the gateway again on the same port with the same settings (after KillGateway).
  void RestartGateway();
  // Starts one more sink process with extra `--set section.key=value` settings; returns its
  // index.
  int StartSink(const std::vector<std::string>& settings = {});
  // kill -9 of sink `index` (no chance to commit or leave the group).
  void KillSink(int index);
  void StopSink(int index);

  // Starts one `crvs court-source` process with extra `--set section.key=value` settings;
  // returns its index.
  int StartCourtSource(const std::vector<std::string>& settings = {});
  void StopCourtSource(int index);
  void KillCourtSource(int index);  // kill -9: no chance to commit or leave the group
  // Sum of the series of court-source `index`'s /metrics that match `series`: a metric name
  // (every label set) or a name with its complete label set, e.g.
  // crvs_court_source_events_total{op="c",outcome="produced"} (0 if unreachable).
  double CourtSourceMetric(int index, const std::string& series);

  // Starts `crvs registry` (gRPC over the database) on a free port; returns that port.
  int StartRegistry();

  // Starts `crvs reconcile` (the reconciliation gRPC service over the database) on a free port
  // with extra `--set section.key=value` settings; returns that port.
  int StartReconcile(const std::vector<std::string>& settings = {});

  // Starts `crvs feeds` (the agencies' feeds over the database) on a free port with extra
  // `--set section.key=value` settings (feeds.subscribers_file, [tls]); mutual TLS, as agencies
  // call it, unless `plaintext`. Waits up to 60 s until its /readyz answers 200 (throws if it
  // does not: a process that exited names why on its stderr); returns the gRPC port.
  int StartFeeds(const std::vector<std::string>& settings, bool plaintext = false);
  void StopFeeds();  // SIGTERM: the relays stop, what they sent stays

  // Records committed by sink `index` so far, from its /metrics (0 if unreachable).
  double SinkCommitted(int index) { return SinkMetric(index, "crvs_sink_records_total"); }
  // Sum of the series of sink `index`'s /metrics that match `series` (as ScrapeMetric).
  double SinkMetric(int index, const std::string& series);

  // Rows of a query on the civil-status database; each cell as text.
  std::vector<std::vector<std::string>> Query(const std::string& sqlite_sql,
                                              const std::string& postgres_sql) const;
  int64_t Count(const std::string& sql) const;  // same SQL on both backends
  // Waits until `sql` counts at least `n`; returns the last count.
  int64_t WaitForCount(const std::string& sql, int64_t n, int timeout_s);

  // The crvs command line with this pipeline's broker and database settings, then `extra`
  // (e.g. {"backfill", "--kind", "divorce", ...}): to run other subcommands as processes.
  std::vector<std::string> CrvsCommand(const std::vector<std::string>& extra) const {
    return CrvsArgs(extra);
  }

  std::unique_ptr<ingest::v1::HealthIngest::Stub> Stub() const;
  std::unique_ptr<ingest::v1::CourtIngest::Stub> CourtStub() const;
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& database_url() const { return database_url_; }
  testing::PostgresServer* postgres() { return postgres_.get(); }
  // The in-process broker (nullptr when the broker is a `crvs devbroker` process).
  kafka::EmbeddedBroker* broker() { return embedded_broker_.get(); }

 private:
  // One `crvs <command>` service process and its settings (section "gateway",
  // "court_source", ...).
  struct Service {
    std::string command;
    std::string section;
    int grpc_port = 0;  // > 0: serves gRPC there (plaintext); started means it answers
    int metrics_port = 0;
    std::vector<std::string> settings;  // `section.key=value`, after the ones above
    // false: the gRPC port speaks mutual TLS ([tls] in `settings`); started means /readyz says
    // ready.
    bool plaintext = true;
  };
  // Starts `service` with this pipeline's broker and database, its ports and settings; when it
  // serves gRPC, waits up to 20 s until its port answers (throws if it does not).
  std::unique_ptr<testing::Subprocess> StartService(const Service& service) const;
  std::vector<std::string> CrvsArgs(const std::vector<std::string>& extra) const;
  void OpenDatabase();

  Backend backend_;
  testing::ScratchDir dir_{"crvs-e2e"};
  std::unique_ptr<testing::PostgresServer> postgres_;
  int partitions_ = 0;
  std::vector<std::string> broker_settings_;  // for the devbroker process
  std::unique_ptr<testing::Subprocess> broker_;
  std::unique_ptr<kafka::EmbeddedBroker> embedded_broker_;
  std::vector<std::string> gateway_settings_;
  std::unique_ptr<testing::Subprocess> gateway_;
  std::vector<std::unique_ptr<testing::Subprocess>> sinks_;
  std::vector<int> sink_metrics_ports_;
  std::vector<std::unique_ptr<testing::Subprocess>> court_sources_;
  std::vector<int> court_source_metrics_ports_;
  std::unique_ptr<testing::Subprocess> registry_;
  std::unique_ptr<testing::Subprocess> reconcile_;
  std::unique_ptr<testing::Subprocess> feeds_;
  std::string bootstrap_;
  std::string database_url_;
  int gateway_port_ = 0;
};

}  // namespace crvs::e2e
