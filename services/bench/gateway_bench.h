// `crvs bench gateway`: the whole ingest path measured from the source's side. Clients call
// the gateway over gRPC (unary Submit, or SubmitStream) at a set rate and concurrency with a
// mix of birth certificates and death notices; the gateway produces to Kafka; the registry
// sink applies them to the configured database. Reported: throughput, p50 / p99 / p99.9 of
// submit → receipt and submit → committed, the process's CPU and RSS, and the database's raw
// batched-upsert rate measured in the same run (the ratio of BRIEF §6).
//
// Method: each record's submit time (wall clock, µs) is kept by message id; its receipt time
// is taken when the receipt arrives; its commit time is the sink's
// `applied_messages.committed_at_us`
// read back from the database after the run (same clock: one process, or NTP on a deployment).
// Latency is from the moment the call was made, not from the schedule: at rates the system
// cannot sustain, the backlog shows in throughput and committed latency, not in receipt latency.
//
// Embedded mode (the default) runs gateway, sink and clients in this process, so CPU and RSS
// are of the whole system plus its load generator. `--gateway host:port` drives a deployment
// instead (plaintext or the [tls] client certificate); committed latency then needs
// database.url to point at its database.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "connectors/registry_sink/sink_config.h"
#include "services/auth/tls_config.h"
#include "services/gateway/gateway_config.h"
#include "services/store/database_config.h"

namespace crvs::bench {

struct Percentiles {
  size_t count = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

// One line of the timeline (every `sample_every`): for soaks.
struct GatewayBenchSample {
  double at_s = 0;
  int64_t submitted = 0;
  int64_t committed = 0;  // -1 when the database is not reachable from the bench
  int64_t rss_kb = 0;
  double cpu_cores = 0;   // since the previous sample
  double committed_p99_ms = 0;  // of the records committed since the previous sample
};

struct GatewayBenchReport {
  std::string mode;     // "unary" or "stream"
  std::string backend;  // database: "sqlite" or "postgresql"
  int64_t submitted = 0, accepted = 0, rejected = 0, failed = 0, committed = 0;
  double seconds = 0;             // first submit → last receipt
  double accepted_per_s = 0;      // receipts ACCEPTED per second
  double committed_per_s = 0;     // first submit → last commit
  Percentiles submit_to_receipt;
  Percentiles submit_to_committed;
  double cpu_cores = 0;           // process CPU seconds / wall seconds over the run
  int64_t rss_start_kb = 0, rss_peak_kb = 0, rss_end_kb = 0;
  double raw_upsert_per_s = 0;    // 0 when not measured
  std::vector<GatewayBenchSample> timeline;
};

struct GatewayBenchInputs {
  kafka::KafkaConfig kafka;
  kafka::ProducerConfig producer;
  sink::SinkConfig sink;
  store::DatabaseConfig database;
  gateway::GatewayConfig gateway;
  std::string bootstrap_servers;     // embedded mode: where the broker is
  std::string gateway_address;       // empty: start gateway + sink in this process
  // With gateway_address: plaintext (crvs-principal metadata) when gateway.plaintext, else
  // mutual TLS with this [tls] identity, which must be a certificate of facility:BV79001.
  auth::TlsConfig tls;
  bool stream = true;                // SubmitStream; false: unary Submit
  int64_t records = 100000;          // stop after this many (0: run for `duration`)
  absl::Duration duration = absl::ZeroDuration();
  double rate = 0;                   // records/s over all clients; 0 = as fast as accepted
  int concurrency = 4;               // client threads (each one stream, or blocking calls)
  int births_percent = 50;           // the rest are death notices
  bool measure_raw_upsert = true;
  absl::Duration sample_every = absl::Seconds(10);
};

// `progress` receives a human line about once per sample.
absl::StatusOr<GatewayBenchReport> RunGatewayBench(
    const GatewayBenchInputs& inputs, const std::function<void(const std::string&)>& progress);

// Nearest-rank percentiles of `values` (milliseconds); sorts them.
Percentiles PercentilesOf(std::vector<double>& values);

// This process's resident set size and peak (kB), and CPU seconds (user + system).
int64_t ResidentKb();
int64_t PeakResidentKb();
double CpuSeconds();

}  // namespace crvs::bench
