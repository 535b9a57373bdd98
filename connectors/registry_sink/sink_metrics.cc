#include "connectors/registry_sink/sink_metrics.h"

namespace crvs::sink {
namespace {
const prometheus::Histogram::BucketBoundaries kSeconds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600};
const prometheus::Histogram::BucketBoundaries kSizes = {1, 10, 50, 100, 250, 500, 1000, 2000, 5000};
}  // namespace

SinkMetrics::SinkMetrics(prometheus::Registry& r)
    : applied_(prometheus::BuildCounter()
                   .Name("crvs_sink_records_total")
                   .Help("Records applied to the database by kind and outcome")
                   .Register(r)),
      batch_size_(prometheus::BuildHistogram()
                      .Name("crvs_sink_batch_records")
                      .Help("Records per database transaction")
                      .Register(r)
                      .Add({}, kSizes)),
      batch_seconds_(prometheus::BuildHistogram()
                         .Name("crvs_sink_batch_seconds")
                         .Help("Time to apply one batch, retries included (seconds)")
                         .Register(r)
                         .Add({}, kSeconds)),
      event_to_commit_(prometheus::BuildHistogram()
                           .Name("crvs_sink_event_to_commit_seconds")
                           .Help("Issued-at (event time) to committed in the database (seconds)")
                           .Register(r)
                           .Add({}, kSeconds)),
      lag_messages_(prometheus::BuildGauge()
                        .Name("crvs_sink_lag_messages")
                        .Help("Messages in the partition not yet committed to the database")
                        .Register(r)),
      lag_seconds_(prometheus::BuildGauge()
                       .Name("crvs_sink_lag_seconds")
                       .Help("Event time to commit of the newest committed record (seconds)")
                       .Register(r)),
      dead_letters_(prometheus::BuildCounter()
                        .Name("crvs_sink_dead_letters_total")
                        .Help("Messages dead-lettered by error class")
                        .Register(r)),
      behind_log_start_(prometheus::BuildCounter()
                            .Name("crvs_sink_behind_log_start_total")
                            .Help("ALARM: times the committed position fell below the log start")
                            .Register(r)),
      lost_offsets_(prometheus::BuildCounter()
                        .Name("crvs_sink_lost_offsets_total")
                        .Help("Offsets expired unread (recorded for reconciliation)")
                        .Register(r)),
      log_resets_(prometheus::BuildCounter()
                      .Name("crvs_sink_log_resets_total")
                      .Help("ALARM: times a partition's log no longer held what was consumed (topic "
                            "re-created, in-memory broker restarted) and was re-read from its start")
                      .Register(r)),
      unacknowledged_alarms_(prometheus::BuildGauge()
                                 .Name("crvs_sink_unacknowledged_alarms")
                                 .Help("Log resets and lost ranges of this sink's group that no "
                                       "operator has acknowledged yet (the sink is not ready)")
                                 .Register(r)
                                 .Add({})),
      apply_failures_(prometheus::BuildCounter()
                          .Name("crvs_sink_apply_failures_total")
                          .Help("Failed batch attempts by status code (each is retried)")
                          .Register(r)) {}

void SinkMetrics::Applied(const std::string& kind, const std::string& outcome, double count) {
  applied_.Add({{"kind", kind}, {"outcome", outcome}}).Increment(count);
}

void SinkMetrics::Batch(double records, double seconds) {
  batch_size_.Observe(records);
  batch_seconds_.Observe(seconds);
}

void SinkMetrics::Lag(const std::string& topic, int partition, double messages, double seconds) {
  prometheus::Labels labels{{"topic", topic}, {"partition", std::to_string(partition)}};
  lag_messages_.Add(labels).Set(messages);
  if (seconds >= 0) lag_seconds_.Add(labels).Set(seconds);
}

void SinkMetrics::ForgetPartition(const std::string& topic, int partition) {
  prometheus::Labels labels{{"topic", topic}, {"partition", std::to_string(partition)}};
  if (lag_messages_.Has(labels)) lag_messages_.Remove(&lag_messages_.Add(labels));
  if (lag_seconds_.Has(labels)) lag_seconds_.Remove(&lag_seconds_.Add(labels));
}

void SinkMetrics::DeadLetter(const std::string& error_class) {
  dead_letters_.Add({{"error_class", error_class}}).Increment();
}

void SinkMetrics::BehindLogStart(const std::string& topic, int partition, double lost) {
  prometheus::Labels labels{{"topic", topic}, {"partition", std::to_string(partition)}};
  behind_log_start_.Add(labels).Increment();
  lost_offsets_.Add(labels).Increment(lost);
}

void SinkMetrics::LogReset(const std::string& topic, int partition) {
  log_resets_.Add({{"topic", topic}, {"partition", std::to_string(partition)}}).Increment();
}

void SinkMetrics::ApplyFailure(const std::string& code) {
  apply_failures_.Add({{"code", code}}).Increment();
}

}  // namespace crvs::sink
