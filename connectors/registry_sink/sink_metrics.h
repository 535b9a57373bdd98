// The registry sink's Prometheus metrics. Thread-safety: prometheus-cpp metrics are thread-safe.
#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace crvs::sink {

class SinkMetrics {
 public:
  explicit SinkMetrics(prometheus::Registry& metrics);

  void Applied(const std::string& kind, const std::string& outcome, double count);
  void Batch(double records, double seconds);
  void EventToCommit(double seconds) { event_to_commit_.Observe(seconds); }
  // Lag of a partition after a commit: messages still to read, and the age of the last
  // committed record's event (0 once caught up, so an idle partition does not keep an old age).
  void Lag(const std::string& topic, int partition, double messages, double seconds);
  // Drops the lag series of a partition this sink no longer owns (its new owner reports it).
  void ForgetPartition(const std::string& topic, int partition);
  void DeadLetter(const std::string& error_class);
  void BehindLogStart(const std::string& topic, int partition, double lost_offsets);
  void LogReset(const std::string& topic, int partition);
  void UnacknowledgedAlarms(double n) { unacknowledged_alarms_.Set(n); }
  void ApplyFailure(const std::string& code);

 private:
  prometheus::Family<prometheus::Counter>& applied_;
  prometheus::Histogram& batch_size_;
  prometheus::Histogram& batch_seconds_;
  prometheus::Histogram& event_to_commit_;
  prometheus::Family<prometheus::Gauge>& lag_messages_;
  prometheus::Family<prometheus::Gauge>& lag_seconds_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Counter>& behind_log_start_;
  prometheus::Family<prometheus::Counter>& lost_offsets_;
  prometheus::Family<prometheus::Counter>& log_resets_;
  prometheus::Gauge& unacknowledged_alarms_;
  prometheus::Family<prometheus::Counter>& apply_failures_;
};

}  // namespace crvs::sink
