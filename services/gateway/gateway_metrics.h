// The gateway's Prometheus metrics. Owned by the Gateway; families live in the process's metrics
// (prometheus::Registry).
// Thread-safety: prometheus-cpp metrics are thread-safe.
#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace crvs::gateway {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(prometheus::Registry& metrics);

  // One finished RPC (unary call, or one record of a stream) with its gRPC status code name.
  void Call(const std::string& method, const std::string& code, double seconds);
  // One record's outcome: accepted, duplicate, rejected or failed.
  void Record(const std::string& kind, const std::string& outcome);
  void DeliveryError() { delivery_errors_.Increment(); }
  // One record refused by the per-principal rate limit; `service` is health or court.
  void RateLimited(const std::string& service);
  void SetQueueDepth(double depth) { queue_depth_.Set(depth); }
  // One hospital document (SubmitDocument or the HTTPS door): its type (HSDLGBT, HSDLGCS,
  // GIAMDINHHS, or unknown when unreadable), what its signature check found, and whether its
  // records went on (accepted) or it was refused.
  void Document(const std::string& type, const std::string& signature,
                const std::string& outcome);

 private:
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& records_;
  prometheus::Counter& delivery_errors_;
  prometheus::Family<prometheus::Counter>& rate_limited_;
  prometheus::Gauge& queue_depth_;
  prometheus::Family<prometheus::Counter>& documents_;
};

}  // namespace crvs::gateway
