// A real Apache Kafka cluster for tests: 1 or 3 KRaft nodes on loopback, started, broken and
// stopped through `scripts/kafka.sh` (the same script a person runs), so the tests exercise
// the cluster people and CI get. The jars come from scripts/install-deps.sh; without them
// Start fails naming the step to run. The cluster is stopped and its directory removed on
// destruction, and by the script's safety net if this process dies first.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace crvs::testing {

class KafkaCluster {
 public:
  struct Options {
    int brokers = 3;     // 1 or 3
    int partitions = 6;  // of each product topic
    // Broker settings added to every node, "key=value" (e.g. log.retention.check.interval.ms).
    std::vector<std::string> broker_settings;
    bool product_topics = true;  // create the product's topics (`crvs topics create`)
  };

  static absl::StatusOr<std::unique_ptr<KafkaCluster>> Start(const Options& options);
  ~KafkaCluster();
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }

  // The faults, on node 1..brokers(): kill -9; SIGSTOP (frozen: connections stay open, nothing
  // answers); SIGCONT; start again after Kill; and every node at once.
  absl::Status Kill(int node);
  absl::Status Freeze(int node);
  absl::Status Thaw(int node);
  absl::Status Restart(int node);
  absl::Status KillAll();
  absl::Status RestartAll();

 private:
  KafkaCluster() = default;
  absl::Status Script(const std::vector<std::string>& args) const;

  std::string dir_;
  std::string bootstrap_;
  int brokers_ = 0;
};

}  // namespace crvs::testing
