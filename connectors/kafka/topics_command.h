// `crvs topics create`: makes the product's topics on a Kafka cluster (kafka.bootstrap_servers,
// with kafka.properties for TLS/SASL) through the Admin API, replicated, so a deployment or
// `scripts/kafka.sh up` needs no tool of Kafka's own. Topics that exist are left as they are.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "connectors/kafka/kafka_config.h"

namespace crvs::kafka {

class TopicsCommand {
 public:
  explicit TopicsCommand(CLI::App& app);
  bool parsed() const;
  // Creates the topics of `kafka` and `more` (e.g. the court change stream's input topic, which
  // Debezium writes and `crvs court-source` reads). Prints each topic created or found (stdout)
  // or the error (stderr). Exit 0 done, 2 no cluster configured or bad flags, 1 the cluster
  // refused.
  int Run(const KafkaConfig& kafka, const std::vector<std::string>& more) const;

 private:
  CLI::App* topics_;
  CLI::App* create_;
  int partitions_ = 24;
  int replication_factor_ = 3;
};

}  // namespace crvs::kafka
