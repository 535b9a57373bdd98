// Creating and deleting topics on a real Kafka cluster through librdkafka's Admin API: what
// `crvs topics create` runs for an operator (the product's topics, replicated), and what the
// tests use to make and break topics on the real cluster (tests/faults/README.md). The embedded
// broker creates its topics itself (embedded_broker.h).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/kafka/kafka_config.h"

struct rd_kafka_s;

namespace crvs::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 6;
  int replication_factor = 3;
  std::vector<std::pair<std::string, std::string>> configs;  // e.g. {"retention.bytes", "..."}
};

// The product's topics as a deployment needs them: every topic of `kafka` with `partitions`
// partitions and `replication_factor` replicas (min.insync.replicas 2 when there are 3 or more
// replicas, so an ACCEPTED receipt means two brokers hold the record), the court-position topic
// compacted.
std::vector<TopicSpec> ProductTopics(const KafkaConfig& kafka, int partitions,
                                     int replication_factor);

struct CreatedTopics {
  std::vector<std::string> created;
  std::vector<std::string> existing;  // already there: left as they are
};

// Creates each topic; one that exists already is reported and left alone. Any other refusal
// fails the call naming the topic and the broker's reason.
absl::StatusOr<CreatedTopics> CreateTopics(const KafkaConfig& kafka, const std::string& bootstrap,
                                           const std::vector<TopicSpec>& topics,
                                           absl::Duration timeout = absl::Seconds(30));

// Whether the cluster has `topic` (from the metadata of all topics: asking for the topic by
// name could auto-create it). UNAVAILABLE when no broker answers within `wait`.
absl::StatusOr<bool> TopicExists(const KafkaConfig& kafka, const std::string& bootstrap,
                                 const std::string& topic,
                                 absl::Duration wait = absl::Seconds(30));

// Deletes the topics (one that does not exist is an error naming it).
absl::Status DeleteTopics(const KafkaConfig& kafka, const std::string& bootstrap,
                          const std::vector<std::string>& names,
                          absl::Duration timeout = absl::Seconds(30));

// The last message of one partition of `topic` (key, value, headers), or std::nullopt when the
// partition holds none: how a producer that is the only writer of a topic finds where it
// stopped (services/feeds, the Kafka relay). Waits up to `wait` for metadata and the fetch;
// UNAVAILABLE naming the topic past it.
struct TailMessage {
  int64_t offset = -1;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(const std::string& name) const;  // the last value, "" when absent
};
absl::StatusOr<std::optional<TailMessage>> ReadLastMessage(const KafkaConfig& kafka,
                                                           const std::string& bootstrap,
                                                           const std::string& topic,
                                                           int partition,
                                                           absl::Duration wait = absl::Seconds(30));

// Partitions of `topic` from the cluster's metadata, asked through client `rk`. A topic just
// created can be unknown to a broker for a moment (KRaft propagates metadata to each broker
// after the controller commits), so this asks again until `wait` has passed; then the error
// names the topic and librdkafka's reason.
absl::StatusOr<int> PartitionCount(rd_kafka_s* rk, const std::string& topic, absl::Duration wait);

}  // namespace crvs::kafka
