// The admin component: the Admin gRPC service for operators over the civil-status database
// the caller opened, Kafka (watermarks, replays) and the connector control topic, plus the
// gauge crvs_admin_dead_letters_open refreshed every 10 s. `crvs admin` and `crvs dev` start
// one; tests start one in-process on a free port.
//
// Lifetime: Start() returns a serving component; Stop() (or destruction) stops accepting calls
// and waits briefly for calls in flight. The store and the metrics (prometheus::Registry) must outlive it.
// Thread-safety: the accessors are thread-safe; Stop from one thread.
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "connectors/kafka/connector_control.h"
#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/admin/admin_config.h"
#include "services/auth/tls_config.h"
#include "services/admin/admin_service.h"
#include "services/admin/pipeline_inspector.h"
#include "services/platform/mutex.h"
#include "services/store/store.h"

namespace crvs::admin {

class Admin {
 public:
  struct Deps {
    store::Store* store;
    prometheus::Registry* metrics;
    std::string sink_group;          // the registry sink's consumer group (offsets in the DB)
    std::string court_source_group;  // court-source's group (offsets in Kafka)
    std::string court_source_input;  // the court change-stream topic
  };
  static absl::StatusOr<std::unique_ptr<Admin>> Start(const AdminConfig& config,
                                                      const kafka::KafkaConfig& kafka,
                                                      const kafka::ProducerConfig& producer,
                                                      const std::string& bootstrap, Deps deps,
                                                      const auth::TlsConfig& tls = {});
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;
  void Stop();

  int port() const { return port_; }
  std::string NotReady() const;

 private:
  Admin() = default;
  void RefreshGauges();

  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::ControlView> control_;
  std::unique_ptr<PipelineInspector> inspector_;
  std::unique_ptr<AdminService> service_;
  std::unique_ptr<grpc::Server> server_;
  prometheus::Gauge* open_dead_letters_ = nullptr;
  platform::Mutex mu_;
  platform::CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread gauges_;
  int port_ = 0;
  std::atomic<bool> serving_{false};
};

}  // namespace crvs::admin
