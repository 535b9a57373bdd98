// The court-source connector's Prometheus metrics. Thread-safety: prometheus-cpp metrics are
// thread-safe (delivery callbacks and the consumer thread both record).
#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace crvs::court_source {

class CourtSourceMetrics {
 public:
  explicit CourtSourceMetrics(prometheus::Registry& metrics);

  // One input of the change stream: op c/u/d/r ("tombstone", "unknown" otherwise) and outcome
  // produced / dead_lettered / skipped.
  void Event(const std::string& op, const std::string& outcome);
  // A record confirmed on the divorce topic, by the state it carries (pending, effective,
  // set_aside, deleted).
  void Decision(const std::string& state);
  // Legal effect date (local midnight) to the moment the record was confirmed on the topic.
  void EffectiveToRecorded(double seconds) { effective_to_recorded_.Observe(seconds); }
  void DeadLetter(const std::string& error_class);
  // A re-send request for a court: outcome served / unserved, with the reason when unserved.
  void Resend(const std::string& outcome, const std::string& reason);
  void DeliveryRetry() { delivery_retries_.Increment(); }
  void BehindLogStart(const std::string& topic, int partition, double lost_offsets);
  // Commit time (in the court database) of the newest change handled: source freshness.
  void LastChange(double unix_seconds) { last_change_.Set(unix_seconds); }

 private:
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Histogram& effective_to_recorded_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Counter>& resends_;
  prometheus::Counter& delivery_retries_;
  prometheus::Family<prometheus::Counter>& behind_log_start_;
  prometheus::Family<prometheus::Counter>& lost_offsets_;
  prometheus::Gauge& last_change_;
};

}  // namespace crvs::court_source
