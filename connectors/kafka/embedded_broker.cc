#include "connectors/kafka/embedded_broker.h"

#include <algorithm>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "services/platform/logging.h"

namespace crvs::kafka {

absl::StatusOr<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(const Options& options) {
  if (options.brokers < 1) return absl::InvalidArgumentError("embedded broker: brokers must be >= 1");
  if (options.partitions < 1) {
    return absl::InvalidArgumentError("embedded broker: partitions must be >= 1");
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The hosting handle never connects anywhere; it only owns the mock cluster's thread.
  if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(std::string("embedded broker: ") + err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) return absl::InternalError(std::string("embedded broker: ") + err);

  std::unique_ptr<EmbeddedBroker> broker(new EmbeddedBroker());
  broker->handle_ = rk;
  broker->cluster_ = rd_kafka_mock_cluster_new(rk, options.brokers);
  if (broker->cluster_ == nullptr) {
    return absl::InternalError("embedded broker: rd_kafka_mock_cluster_new failed");
  }
  broker->bootstrap_ = rd_kafka_mock_cluster_bootstraps(broker->cluster_);
  int replication = std::min(3, options.brokers);
  for (const auto& topic : options.topics) {
    rd_kafka_resp_err_t e =
        rd_kafka_mock_topic_create(broker->cluster_, topic.c_str(), options.partitions, replication);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::InternalError("embedded broker: creating topic " + topic + ": " +
                                 rd_kafka_err2str(e));
    }
  }
  return broker;
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_ != nullptr) rd_kafka_destroy(handle_);
}

void EmbeddedBroker::SetBrokerDown(int broker_id) {
  rd_kafka_mock_broker_set_down(cluster_, broker_id);
}

void EmbeddedBroker::SetBrokerUp(int broker_id) { rd_kafka_mock_broker_set_up(cluster_, broker_id); }

absl::StatusOr<std::string> ConfiguredOrEmbedded(const KafkaConfig& kafka,
                                                 const std::vector<std::string>& more_topics,
                                                 Lifecycle& lifecycle) {
  if (!kafka.bootstrap_servers.empty()) return kafka.bootstrap_servers;
  std::vector<std::string> topics = kafka.AllTopics();
  topics.insert(topics.end(), more_topics.begin(), more_topics.end());
  auto broker = EmbeddedBroker::Start({kafka.embedded_brokers, kafka.embedded_partitions, topics});
  if (!broker.ok()) return broker.status();
  EmbeddedBroker* raw = broker->release();
  lifecycle.OnStop("embedded-broker", [raw] { delete raw; });
  logging::Get("devbroker")
      ->info("embedded Kafka-protocol broker up bootstrap={} brokers={} partitions={} topics={}",
             raw->bootstrap_servers(), kafka.embedded_brokers, kafka.embedded_partitions,
             topics.size());
  return raw->bootstrap_servers();
}

}  // namespace crvs::kafka
