// The reconciler component: the Reconciliation gRPC service over a civil-status database the
// caller opened, its re-send publisher (the resync topic) and the live indicator feed.
// `crvs reconcile` and `crvs dev` start one; tests start one in-process on a free port.
//
// Lifetime: Start() returns a serving reconciler; Stop() (or destruction) stops the feed, then
// accepting calls, and waits briefly for calls in flight. The store and the prometheus
// registry must outlive it. Thread-safety: the accessors are thread-safe; Stop from one thread.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/auth/tls_config.h"
#include "services/gateway/resend_inbox.h"
#include "services/reconcile/indicator_feed.h"
#include "services/reconcile/indicators/areas.h"
#include "services/reconcile/reconcile_config.h"
#include "services/reconcile/reconcile_service.h"
#include "services/store/store.h"

namespace crvs::reconcile {

class Reconciler {
 public:
  struct Deps {
    store::Store* store;
    prometheus::Registry* metrics;
    std::function<absl::Time()> now = {};  // empty: absl::Now
  };

  // INVALID_ARGUMENT for a bad config value or reference file, FAILED_PRECONDITION naming the
  // tls.* keys when plaintext = false and `tls` lacks them, UNAVAILABLE when the listen address
  // cannot be bound or Kafka is unreachable.
  static absl::StatusOr<std::unique_ptr<Reconciler>> Start(const ReconcileConfig& config,
                                                           const kafka::KafkaConfig& kafka,
                                                           const kafka::ProducerConfig& producer,
                                                           const std::string& bootstrap,
                                                           Deps deps,
                                                           const auth::TlsConfig& tls = {});
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;
  void Stop();

  int port() const { return port_; }
  // Empty while serving; otherwise why not.
  std::string NotReady() const;

 private:
  Reconciler() = default;
  absl::StatusOr<v1::IndicatorReport> Indicators(const v1::IndicatorsRequest& request);
  absl::StatusOr<bool> SourceInArea(const std::string& source, const std::string& province,
                                    const std::string& commune);

  ReconcileConfig config_;
  Deps deps_;
  indicators::Areas areas_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<gateway::ResendInbox> resend_;
  std::unique_ptr<ReconcileService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<IndicatorFeed> feed_;
  int port_ = 0;
  std::atomic<bool> serving_{false};
};

}  // namespace crvs::reconcile
