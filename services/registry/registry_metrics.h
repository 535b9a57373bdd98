// The registry service's Prometheus metrics. Owned by the Registry; families live in the
// process's metrics (prometheus::Registry). Thread-safety: prometheus-cpp metrics are thread-safe.
#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace crvs::registry {

class RegistryMetrics {
 public:
  explicit RegistryMetrics(prometheus::Registry& metrics);

  // One finished RPC with its gRPC status code name ("OK", "INVALID_ARGUMENT", ...).
  void Call(const std::string& method, const std::string& code, double seconds);
  // One registration Store::Apply decided: action ("SUBMIT", ...) and outcome ("APPLIED_NEW",
  // "DUPLICATE", "CONFLICT", ...).
  void Registration(const std::string& action, const std::string& outcome);

 private:
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& registrations_;
};

}  // namespace crvs::registry
