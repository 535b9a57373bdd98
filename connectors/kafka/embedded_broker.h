// The embedded Kafka-protocol broker: librdkafka's mock cluster (rdkafka_mock.h), which speaks
// the real Kafka protocol on localhost ports, so kcat and any Kafka client can talk to it.
// In-memory only, about 5 MB kept per partition. Used by `crvs dev`, `crvs devbroker` and tests.
//
// Lifetime: the cluster lives as long as the object. Thread-safe after construction (the mock
// cluster runs its own thread); the fault-injection calls may come from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "services/platform/lifecycle.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace crvs::kafka {

class EmbeddedBroker {
 public:
  struct Options {
    int brokers = 1;
    int partitions = 12;
    std::vector<std::string> topics;  // created up front, replication factor = min(3, brokers)
  };

  static absl::StatusOr<std::unique_ptr<EmbeddedBroker>> Start(const Options& options);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:port,..." — give it to clients as bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_; }

  // Fault injection for tests and drills. broker_id counts from 1.
  void SetBrokerDown(int broker_id);
  void SetBrokerUp(int broker_id);

  // The underlying mock cluster, for fault injection beyond the calls above.
  rd_kafka_mock_cluster_s* mock_cluster() const { return cluster_; }

 private:
  EmbeddedBroker() = default;
  rd_kafka_s* handle_ = nullptr;  // hosts the mock cluster's thread
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_;
};

// The cluster a command runs on: kafka.bootstrap_servers, or, when that is empty, an embedded
// broker with every product topic and `more_topics` (kafka.embedded_brokers and
// kafka.embedded_partitions), started now and stopped by `lifecycle`.
absl::StatusOr<std::string> ConfiguredOrEmbedded(const KafkaConfig& kafka,
                                                 const std::vector<std::string>& more_topics,
                                                 Lifecycle& lifecycle);

}  // namespace crvs::kafka
