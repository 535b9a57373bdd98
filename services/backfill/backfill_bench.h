// `crvs bench backfill`: how fast `crvs backfill` loads a historical export — parse, map,
// validate, produce (idempotent, acks=all) until the broker confirmed every record — on a
// generated export of the given size. The generation is not timed; everything RunBackfill
// does is (the input fingerprint and row count included). See docs/benchmarks.md.
#pragma once

#include <functional>
#include <string>

#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/backfill/backfill_config.h"
#include "services/backfill/columns.h"
#include "services/backfill/export_reader.h"

namespace crvs::backfill {

struct BackfillBenchInputs {
  kafka::KafkaConfig kafka;
  kafka::ProducerConfig producer;  // the backfill's tuning applied on top (BackfillProducerConfig)
  BackfillConfig backfill;
  std::string bootstrap_servers;
  ExportKind kind = ExportKind::kDivorce;
  ExportFormat format = ExportFormat::kCsv;
  int64_t rows = 200000;
  double ineligible_percent = 5;
};

struct BackfillBenchReport {
  int64_t rows = 0;
  int64_t eligible = 0;  // records produced and confirmed
  int64_t file_bytes = 0;
  int envelope_bytes = 0;  // mean serialized envelope (estimated from the file's first rows)
  double seconds = 0;      // the whole RunBackfill
  double rows_per_s = 0;
  double records_per_s = 0;  // eligible records confirmed per second
};

// The producer settings a backfill runs with: `base` with the [backfill] linger, queue bound
// and delivery timeout.
kafka::ProducerConfig BackfillProducerConfig(const kafka::ProducerConfig& base,
                                             const BackfillConfig& backfill);

// `progress` receives a human line now and then.
absl::StatusOr<BackfillBenchReport> RunBackfillBench(
    const BackfillBenchInputs& inputs, const std::function<void(const std::string&)>& progress);

}  // namespace crvs::backfill
