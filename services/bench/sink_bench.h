// `crvs bench sink`: how fast the registry sink moves records from Kafka into the configured
// database, next to that database's raw batched-upsert rate measured in the same run.
//
// Method: N valid death notices (distinct people and keys) are produced to the deaths topic
// first (so the sink never waits for input), then the raw upsert probe runs on the same
// database, then a sink with a fresh consumer group drains the topic. The sink rate is timed
// from its first commit to its last, so the consumer-group join is not counted.
#pragma once

#include <functional>
#include <string>

#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "connectors/registry_sink/sink_config.h"
#include "services/store/database_config.h"

namespace crvs::bench {

struct SinkBenchReport {
  std::string backend;         // "sqlite" or "postgresql"
  int records = 0;
  int envelope_bytes = 0;      // mean serialized envelope size
  double produce_per_s = 0;    // producer, acks=all, until every delivery report
  double raw_upsert_per_s = 0; // the database's ceiling (store::MeasureRawUpsertRate)
  int sinks = 1;               // sinks in the group, each with its own database connection
  double sink_per_s = 0;       // Kafka → database, exactly once (all sinks together)
  // The database's ceiling for the rows the sink wrote (store::MeasureSameRowsRate): the same
  // tables, indexes, statements and batch size, without decoding, rules or reads.
  double same_rows_per_s = 0;
  double rows_per_record = 0;  // rows written per record, per-batch rows included
};

struct SinkBenchInputs {
  kafka::KafkaConfig kafka;
  kafka::ProducerConfig producer;
  sink::SinkConfig sink;
  store::DatabaseConfig database;
  std::string bootstrap_servers;
  int records = 100000;
  int sinks = 1;  // sinks in one consumer group sharing the topic's partitions
};

// `progress` receives a human line about once a second.
absl::StatusOr<SinkBenchReport> RunSinkBench(const SinkBenchInputs& inputs,
                                             const std::function<void(const std::string&)>& progress);

}  // namespace crvs::bench
