#include "services/gateway/gateway_metrics.h"

namespace crvs::gateway {

GatewayMetrics::GatewayMetrics(prometheus::Registry& metrics)
    : calls_(prometheus::BuildCounter()
                 .Name("crvs_gateway_calls_total")
                 .Help("Ingest calls (stream records counted one by one) by method and gRPC code")
                 .Register(metrics)),
      latency_(prometheus::BuildHistogram()
                   .Name("crvs_gateway_call_duration_seconds")
                   .Help("Submission to receipt, by method (seconds)")
                   .Register(metrics)),
      records_(prometheus::BuildCounter()
                   .Name("crvs_gateway_records_total")
                   .Help("Records by kind and outcome (accepted, duplicate, rejected, failed)")
                   .Register(metrics)),
      delivery_errors_(prometheus::BuildCounter()
                           .Name("crvs_gateway_delivery_errors_total")
                           .Help("Records Kafka did not confirm (no receipt given)")
                           .Register(metrics)
                           .Add({})),
      rate_limited_(prometheus::BuildCounter()
                        .Name("crvs_gateway_rate_limited_total")
                        .Help("Records refused by the per-principal rate limit (nothing "
                              "produced), by service (health, court)")
                        .Register(metrics)),
      queue_depth_(prometheus::BuildGauge()
                       .Name("crvs_gateway_producer_queue_depth")
                       .Help("Records produced and awaiting Kafka's confirmation")
                       .Register(metrics)
                       .Add({})),
      documents_(prometheus::BuildCounter()
                     .Name("crvs_gateway_documents_total")
                     .Help("Hospital documents by type (HSDLGBT, HSDLGCS, GIAMDINHHS, unknown), "
                           "signature check (VALID, INVALID, MISSING, UNTRUSTED, NOT_CHECKED) "
                           "and outcome (accepted, refused)")
                     .Register(metrics)) {}

void GatewayMetrics::Call(const std::string& method, const std::string& code, double seconds) {
  calls_.Add({{"method", method}, {"code", code}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  latency_.Add({{"method", method}}, kBuckets).Observe(seconds);
}

void GatewayMetrics::RateLimited(const std::string& service) {
  rate_limited_.Add({{"service", service}}).Increment();
}

void GatewayMetrics::Document(const std::string& type, const std::string& signature,
                              const std::string& outcome) {
  documents_.Add({{"type", type}, {"signature", signature}, {"outcome", outcome}}).Increment();
}

void GatewayMetrics::Record(const std::string& kind, const std::string& outcome) {
  records_.Add({{"kind", kind}, {"outcome", outcome}}).Increment();
}

}  // namespace crvs::gateway
