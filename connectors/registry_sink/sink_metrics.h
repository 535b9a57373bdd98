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
  explicit SinkMetrics(prometheus::Registry& registry);

  void Applied(const std::string& kind, const std::string& outcome, double count);
  void Batch(double records, double seconds);
  void EventToCommit(double seconds) { event_to_commit_.Observe(seconds); }
  void Lag(const std::string& topic, int partition, double messages, double seconds);
  void DeadLetter(const std::string& error_class);
  void BehindLogStart(const std::string& topic, int partition, double lost_offsets);
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
  prometheus::Family<prometheus::Counter>& apply_failures_;
};

}  // namespace crvs::sink
