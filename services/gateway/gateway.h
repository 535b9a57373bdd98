// The gateway component: the ingest gRPC server, its Kafka producer and receipt book, wired.
// `crvs gateway` and `crvs dev` start one; tests start one in-process on a free port.
//
// Lifetime: Start() returns a running gateway; Stop() (or destruction) stops accepting calls,
// lets in-flight calls finish (up to the producer's close timeout), then closes the producer.
// Thread-safety: the accessors are thread-safe; Stop from one thread.
#pragma once

#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/auth/tls_config.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/court_ingest_service.h"
#include "services/gateway/document_door.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/health_ingest_service.h"
#include "services/gateway/ingest_pipeline.h"
#include "services/gateway/outcome_watcher.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/receipt_book.h"
#include "services/platform/status.h"
#include "services/validation/reference_data.h"

namespace crvs::gateway {

class Gateway {
 public:
  // Validates with `reference` ([reference], shared with the process's other components; null:
  // the built-in copy). Mutual TLS with `tls` unless config.plaintext: FAILED_PRECONDITION naming the tls.* keys
  // when they are missing, INVALID_ARGUMENT for a bad gateway.* value, UNAVAILABLE when the
  // listen address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(const GatewayConfig& config,
                                                        const kafka::KafkaConfig& kafka,
                                                        const kafka::ProducerConfig& producer,
                                                        const std::string& bootstrap_servers,
                                                        prometheus::Registry& metrics,
                                                        const auth::TlsConfig& tls = {},
                                                        store::Store* database = nullptr,
                                                        const validation::ReferenceData* reference =
                                                            nullptr);
  // gateway.receipt_after resolved: "database" when receipts wait for the database (which
  // `database` must then reach), else "kafka". `auto` is database with the embedded broker
  // (kafka.bootstrap_servers empty) when a database is given.
  // The gateway.* values Start refuses (also run by `crvs config check`).
  static std::vector<FieldViolation> ConfigViolations(const GatewayConfig& config);
  static std::string ReceiptAfter(const GatewayConfig& config, const kafka::KafkaConfig& kafka,
                                  bool have_database);
  ~Gateway();
  void Stop();

  // The port the gRPC server listens on (useful with port 0).
  int port() const { return port_; }
  // The document door's port; 0 when gateway.documents_listen is empty.
  int documents_port() const { return document_door_ ? document_door_->port() : 0; }
  // Empty when ready to accept records; otherwise why not.
  std::string NotReady() const;
  // Updates gauges sampled on demand (producer queue depth); call before a scrape.
  void RefreshMetrics();

 private:
  Gateway() = default;

  GatewayConfig config_;
  kafka::KafkaConfig kafka_;
  std::unique_ptr<validation::ReferenceData> own_reference_;  // when Start was given none
  const validation::ReferenceData* reference_ = nullptr;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<ReceiptBook> book_;
  std::unique_ptr<ResendInbox> inbox_;
  std::unique_ptr<ResumePoints> resume_points_;
  std::unique_ptr<GatewayMetrics> metrics_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<OutcomeWatcher> outcomes_;  // when the gateway reads the database
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<HealthIngestService> health_;
  std::unique_ptr<CourtIngestService> court_;
  std::unique_ptr<DocumentDoor> document_door_;  // when gateway.documents_listen is set
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace crvs::gateway
