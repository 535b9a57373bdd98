#include "services/registry/registry_metrics.h"

namespace crvs::registry {

RegistryMetrics::RegistryMetrics(prometheus::Registry& metrics)
    : calls_(prometheus::BuildCounter()
                 .Name("crvs_registry_calls_total")
                 .Help("Registry calls by method and gRPC code")
                 .Register(metrics)),
      latency_(prometheus::BuildHistogram()
                   .Name("crvs_registry_call_duration_seconds")
                   .Help("Registry call duration by method, database included (seconds)")
                   .Register(metrics)),
      registrations_(prometheus::BuildCounter()
                         .Name("crvs_registry_registrations_total")
                         .Help("Registrations applied to the database by action and outcome")
                         .Register(metrics)) {}

void RegistryMetrics::Call(const std::string& method, const std::string& code, double seconds) {
  calls_.Add({{"method", method}, {"code", code}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  latency_.Add({{"method", method}}, kBuckets).Observe(seconds);
}

void RegistryMetrics::Registration(const std::string& action, const std::string& outcome) {
  registrations_.Add({{"action", action}, {"outcome", outcome}}).Increment();
}

}  // namespace crvs::registry
