// `crvs backfill`: loads a historical export (court divorce decisions effective up to the
// backlog's last day, or civil-status registrations being digitised) through the same pipeline
// as live records: each eligible row becomes a RecordEnvelope produced to the record topic
// (idempotent producer, acks=all) and the registry sink applies it. Rows that cannot be synced
// go to the eligibility report instead (report.h); progress is shown on stderr (progress.h);
// a checkpoint (checkpoint.h) makes the run resumable after a crash or Ctrl-C.
//
// Exactly once: the checkpoint only counts rows whose record the broker confirmed, and a
// record's message_id and content are functions of the row (row_classifier.h), so rows
// produced again after a restart are no-op duplicates in the database.
//
// Thread-safety: RunBackfill runs on the calling thread; delivery callbacks arrive on the
// publisher's thread and only mark rows done.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include "connectors/kafka/producer.h"
#include "services/backfill/backfill_config.h"
#include "services/backfill/columns.h"
#include "services/backfill/eligibility.h"
#include "services/backfill/export_reader.h"
#include "services/platform/config.h"
#include "services/validation/reference_data.h"

namespace crvs::backfill {

// What the run needs of a Kafka producer (a narrow interface, so tests can use a fake).
class Publisher {
 public:
  virtual ~Publisher() = default;
  // kafka::Producer::Produce's contract: RESOURCE_EXHAUSTED when the local queue is full
  // (`done` never runs; try again later); otherwise `done` runs exactly once with the outcome.
  virtual absl::Status Publish(kafka::OutgoingMessage message,
                               kafka::Producer::DeliveryCallback done) = 0;
};

// Publishes through a kafka::Producer, which must outlive it.
class ProducerPublisher final : public Publisher {
 public:
  explicit ProducerPublisher(kafka::Producer* producer) : producer_(producer) {}
  absl::Status Publish(kafka::OutgoingMessage message,
                       kafka::Producer::DeliveryCallback done) override {
    return producer_->Produce(std::move(message), std::move(done));
  }

 private:
  kafka::Producer* producer_;
};

struct BackfillOptions {
  ExportKind kind = ExportKind::kDivorce;
  std::string file;
  ExportFormat format = ExportFormat::kCsv;
  std::string checkpoint_path;  // ResolvePaths fills the defaults
  std::string report_path;
  std::string topic;  // the record topic of `kind`
  absl::CivilDay last_backlog_day{2025, 12, 31};
  const validation::ReferenceData* reference = &validation::ReferenceData::Default();
  config::Duration checkpoint_interval{1000};
  config::Duration progress_interval{5000};
  bool progress_on_terminal = false;  // a bar instead of log lines
  // Polled between rows; true stops the run cleanly (outstanding records confirmed, the
  // checkpoint written) with CANCELLED.
  std::function<bool()> stop_requested;
};

// What the command line says (`crvs backfill --kind ... --file ...`); empty = not given.
struct BackfillFlags {
  std::string kind;
  std::string file;
  std::string format;  // empty: from the file name
  std::string checkpoint;
  std::string report;
};

// The run's options from the flags, the [backfill] section and the topic names, default
// paths resolved. INVALID_ARGUMENT naming the flag or key that is wrong.
absl::StatusOr<BackfillOptions> MakeOptions(const BackfillFlags& flags,
                                            const BackfillConfig& config,
                                            const kafka::KafkaConfig& kafka);

// Default paths: the checkpoint "<file name>.checkpoint" in `checkpoint_dir` (empty: the
// input's directory), the report "<file name>.ineligible.csv" next to the checkpoint.
void ResolvePaths(const std::string& checkpoint_dir, BackfillOptions* options);

struct BackfillSummary {
  std::string file;
  std::string kind;
  std::string format;
  std::string checkpoint_path;
  std::string report_path;
  int64_t rows = 0;
  int64_t eligible = 0;
  int64_t produced = 0;      // produced and confirmed in this run
  int64_t already_done = 0;  // eligible rows a previous run had done (before the checkpoint)
  int64_t ineligible = 0;
  std::array<int64_t, kReasonCount> ineligible_by_reason{};
  int64_t resumed_from = 0;  // rows_done of the checkpoint the run started from
  double seconds = 0;
};

// Runs the backfill to the end of the file. Errors: NOT_FOUND / INVALID_ARGUMENT for the
// input (unreadable, bad header), FAILED_PRECONDITION / DATA_LOSS for a checkpoint of
// another input or an unreadable one, UNAVAILABLE when the broker did not confirm records
// (rows before them are checkpointed: run again to resume), CANCELLED when stop_requested.
absl::StatusOr<BackfillSummary> RunBackfill(const BackfillOptions& options, Publisher& publisher);

// The summary as "key: value" lines (rows, eligible, produced, already_done, ineligible,
// ineligible.<reason> for every reason that occurred, checkpoint, report, seconds, rows_per_s).
std::string FormatSummary(const BackfillSummary& summary);

}  // namespace crvs::backfill
