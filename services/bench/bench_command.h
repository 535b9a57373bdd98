// The command-line face of the benchmarks of this library: `crvs bench sink`, `crvs bench
// gateway` and `crvs bench documents` (docs/benchmarks.md): flags, their validation and the
// printed report. Each runs on kafka.bootstrap_servers, or on an embedded broker when that is
// empty (`documents` always on its own embedded brokers).
//
// Thread-safety: construct and run from main.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "connectors/registry_sink/sink_config.h"
#include "services/auth/tls_config.h"
#include "services/gateway/gateway_config.h"
#include "services/store/database_config.h"

namespace crvs::bench {

// The configuration sections the benchmarks read.
struct BenchSections {
  const kafka::KafkaConfig& kafka;
  const kafka::ProducerConfig& producer;
  const sink::SinkConfig& sink;
  const store::DatabaseConfig& database;
  const gateway::GatewayConfig& gateway;
  const auth::TlsConfig& tls;
};

class BenchCommand {
 public:
  // Adds `sink`, `gateway` and `documents` to `bench` (the `crvs bench` group).
  explicit BenchCommand(CLI::App& bench);

  bool parsed() const;
  // Runs the parsed benchmark; progress on stderr, the report on stdout. Exit 0 done, 2 bad
  // flags, 1 a failure (or, for the gateway, records failed or rejected; for documents, any
  // answer other than MaKetQua 200 or any document's record missing from the topics).
  int Run(const BenchSections& sections) const;

 private:
  int RunSink(const BenchSections& sections) const;
  int RunGateway(const BenchSections& sections) const;
  int RunDocuments(const BenchSections& sections) const;

  CLI::App* sink_;
  CLI::App* gateway_;
  CLI::App* documents_;
  int sink_records_ = 100000;
  int sink_count_ = 1;
  struct GatewayFlags {
    std::string mode = "stream";
    int64_t records = 100000;
    std::string duration;  // e.g. 10m; empty: --records
    double rate = 0;
    int concurrency = 4;
    int births_percent = 50;
    std::string gateway_address;
    bool skip_raw_upsert = false;
    std::string sample_every = "10s";
  } gateway_flags_;
  struct DocumentFlags {
    int64_t documents = 2000;
    int connections = 8;
    std::string signature = "require";
    bool skip_off = false;
    std::string type = "60";
    int signing_threads = 2;
    int breakdown = 200;
  } document_flags_;
};

}  // namespace crvs::bench
