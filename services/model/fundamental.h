// The fundamental types of crvs-sync's Kafka positions, in one place (after redpanda's
// model/fundamental.h): a topic, a partition, an offset, a (topic, partition) pair and a
// consumer group. Header-only, no dependency beyond the standard library (CMake target
// `crvs_model`), so that the database layer (services/store), the Kafka client
// (connectors/kafka) and the services between them speak of positions with the same types.
//
// Each is a StrongType: an Offset is not a Partition is not a plain integer, and none converts
// implicitly from or to its value (construct with Offset(42), read with .value()). Values are
// Kafka's: a partition is >= 0 and an offset >= 0 wherever one is known; where a position may
// be unknown, the holder says so with std::optional (e.g. kafka::Delivery), not with a magic
// value inside these types.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace crvs::model {

// A value of type T that does not mix with other values of type T (an Offset is not a
// Partition is not a plain integer). Tag is any distinct (incomplete) type.
template <class T, class Tag>
class StrongType {
 public:
  using value_type = T;

  StrongType() = default;
  explicit StrongType(T value) : value_(std::move(value)) {}
  const T& value() const { return value_; }
  friend bool operator==(const StrongType& a, const StrongType& b) { return a.value_ == b.value_; }
  friend bool operator!=(const StrongType& a, const StrongType& b) { return a.value_ != b.value_; }
  friend bool operator<(const StrongType& a, const StrongType& b) { return a.value_ < b.value_; }

 private:
  T value_{};
};

using Topic = StrongType<std::string, struct TopicTag>;              // "crvs.death-notices.v1"
using Partition = StrongType<int32_t, struct PartitionTag>;          // a partition of a topic, >= 0
using Offset = StrongType<int64_t, struct OffsetTag>;                // a Kafka offset, >= 0
using ConsumerGroup = StrongType<std::string, struct ConsumerGroupTag>;  // "registry-sink"

// One partition of one topic; ordered by topic, then partition.
struct TopicPartition {
  Topic topic;
  Partition partition;
  friend bool operator==(const TopicPartition& a, const TopicPartition& b) {
    return a.topic == b.topic && a.partition == b.partition;
  }
  friend bool operator!=(const TopicPartition& a, const TopicPartition& b) { return !(a == b); }
  friend bool operator<(const TopicPartition& a, const TopicPartition& b) {
    return a.topic < b.topic || (a.topic == b.topic && a.partition < b.partition);
  }
};

}  // namespace crvs::model
