// The registry component: the Registry gRPC service over a civil-status database the caller
// opened. `crvs registry` and `crvs dev` start one; tests start one in-process on a free port.
//
// Lifetime: Start() returns a serving registry; Stop() (or destruction) stops accepting calls
// and waits for calls in flight (up to 10 s, then cancels them). The store, the reference
// data and the metrics (prometheus::Registry) must outlive the Registry.
// Thread-safety: the accessors are thread-safe; Stop from one thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include "services/auth/tls_config.h"
#include "services/registry/registry_config.h"
#include "services/registry/registry_metrics.h"
#include "services/registry/registry_service.h"
#include "services/store/store.h"
#include "services/validation/reference_data.h"

namespace crvs::registry {

class Registry {
 public:
  struct Deps {
    store::Store* store;
    const validation::ReferenceData* reference;
    prometheus::Registry* metrics;
    std::function<absl::Time()> now = {};  // the clock; empty: absl::Now
  };

  // INVALID_ARGUMENT for a bad config value, FAILED_PRECONDITION naming the tls.* keys when
  // plaintext = false and `tls` lacks them, UNAVAILABLE when the listen address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Registry>> Start(const RegistryConfig& config,
                                                         Deps deps,
                                                         const auth::TlsConfig& tls = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  void Stop();

  // The port the gRPC server listens on (useful with port 0).
  int port() const { return port_; }
  // Empty while serving; otherwise why not.
  std::string NotReady() const;

 private:
  Registry() = default;

  std::unique_ptr<RegistryMetrics> metrics_;
  std::unique_ptr<RegistryService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> serving_{false};
};

}  // namespace crvs::registry
