#include "connectors/kafka/topics_command.h"

#include <cstdio>

#include "connectors/kafka/topic_admin.h"

namespace crvs::kafka {

TopicsCommand::TopicsCommand(CLI::App& app) {
  topics_ = app.add_subcommand("topics", "manage the product's topics on a Kafka cluster");
  topics_->require_subcommand(1);
  create_ = topics_->add_subcommand(
      "create",
      "create every topic of the [kafka] section, and the court change stream's "
      "court_source.input_topic, on the cluster of kafka.bootstrap_servers (Admin API; existing "
      "topics are left as they are). With 3 or more replicas the topics get "
      "min.insync.replicas=2, so an ACCEPTED receipt means two brokers hold the record; the "
      "court-position topic is compacted");
  create_->add_option("--partitions", partitions_, "partitions per topic")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  create_->add_option("--replication-factor", replication_factor_, "replicas per partition")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  topics_->fallthrough();
  create_->fallthrough();
}

bool TopicsCommand::parsed() const { return create_->parsed(); }

int TopicsCommand::Run(const KafkaConfig& kafka, const std::vector<std::string>& more) const {
  if (kafka.bootstrap_servers.empty()) {
    std::fprintf(stderr,
                 "crvs topics: kafka.bootstrap_servers is empty: name the cluster "
                 "(--set kafka.bootstrap_servers=host:port or CRVS_KAFKA_BOOTSTRAP_SERVERS)\n");
    return 2;
  }
  std::vector<TopicSpec> topics = ProductTopics(kafka, partitions_, replication_factor_);
  for (const auto& name : more) {
    TopicSpec spec{name, partitions_, replication_factor_, {}};
    if (replication_factor_ >= 3) spec.configs.emplace_back("min.insync.replicas", "2");
    topics.push_back(std::move(spec));
  }
  auto done = CreateTopics(kafka, kafka.bootstrap_servers, topics);
  if (!done.ok()) {
    std::fprintf(stderr, "crvs topics: %s\n", std::string(done.status().message()).c_str());
    return 1;
  }
  for (const auto& t : done->created) std::printf("created %s\n", t.c_str());
  for (const auto& t : done->existing) std::printf("exists  %s\n", t.c_str());
  return 0;
}

}  // namespace crvs::kafka
