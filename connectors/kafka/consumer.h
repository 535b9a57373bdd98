// A narrow Kafka consumer: only what the registry sink and the court-source connector call —
// subscribe with a rebalance listener, poll one message (or a per-message error), assign /
// unassign, seek, pause / resume, the log's watermarks, Kafka-committed offsets, commit, close.
// `KafkaConsumer` is librdkafka behind it; `FakeConsumer` (fake_consumer.h, linked by tests
// only) is a scripted one, so that every rebalance and offset branch of a connector has a unit
// test without a broker.
//
// Rebalances follow librdkafka's eager protocol: the listener is called from inside Poll (or
// Close), on the polling thread, and must call Assign (assigned) or Unassign (revoked) before
// it returns; no message of a revoked partition is returned after that.
//
// Thread-safety: a Consumer is used by one thread (the connector's consumer thread), including
// the listener's calls back into it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "services/model/fundamental.h"

struct rd_kafka_s;
struct rd_kafka_topic_partition_list_s;

namespace crvs::kafka {

// Where Assign starts fetching a partition: an offset, or kLogStart (the first offset the log
// holds).
using StartOffset = std::optional<model::Offset>;
inline constexpr std::nullopt_t kLogStart = std::nullopt;
// A start per partition (Assign).
using StartOffsets = std::map<model::TopicPartition, StartOffset>;
// The next offset to consume per partition: what Commit commits and Committed answers.
using NextOffsets = std::map<model::TopicPartition, model::Offset>;

// The log's bounds: the first offset it holds and the offset the next message will get.
struct Watermarks {
  model::Offset low;
  model::Offset high;
};

// The heartbeat interval (heartbeat.interval.ms) of a consumer group member with
// `session_timeout` (session.timeout.ms): a fifth of it, so the group coordinator declares the
// member dead only after several heartbeats in a row are missed (Kafka requires the interval
// below the session timeout and recommends a third of it at most); and at least 100 ms, so a
// very short timeout does not turn heartbeats into a busy loop against the coordinator.
std::chrono::milliseconds HeartbeatIntervalFor(std::chrono::milliseconds session_timeout);

// One message as consumed, owned (no librdkafka memory), or a per-partition error.
struct ConsumedMessage {
  enum class Error {
    kNone,
    // The fetch position is outside the log (auto.offset.reset=error): the partition is not
    // fetched again until the owner seeks it.
    kOffsetOutOfRange,
    kPartitionEof,  // reached the log end (only with enable.partition.eof)
    kOther,         // anything else: logged, consumption goes on
  };
  std::string topic;  // empty for an error that names no partition
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;    // a null key is empty
  std::string value;  // a null value (tombstone) is empty
  std::vector<std::pair<std::string, std::string>> headers;  // in order; a null value is empty
  int64_t timestamp_ms = -1;  // the message's timestamp, -1 when it has none
  Error error = Error::kNone;
  std::string error_message;  // set when error != kNone

  bool ok() const { return error == Error::kNone; }
};

class Consumer {
 public:
  class RebalanceListener {
   public:
    virtual ~RebalanceListener() = default;
    // The group gave this consumer `partitions`: call Assign with a start offset for each.
    virtual void OnAssigned(const std::vector<model::TopicPartition>& partitions) = 0;
    // The group takes `partitions` back: finish with them, then call Unassign.
    virtual void OnRevoked(const std::vector<model::TopicPartition>& partitions) = 0;
  };

  virtual ~Consumer() = default;

  // Joins the group for `topics`; `listener` must outlive the consumer. UNAVAILABLE on failure.
  virtual absl::Status Subscribe(const std::vector<std::string>& topics,
                                 RebalanceListener* listener) = 0;
  // The next message or error, or nothing within `timeout`. Rebalances run the listener here.
  virtual std::optional<ConsumedMessage> Poll(std::chrono::milliseconds timeout) = 0;

  // Replaces the assignment by `starts`' partitions, each fetched from its start.
  virtual absl::Status Assign(const StartOffsets& starts) = 0;
  virtual absl::Status Unassign() = 0;
  virtual absl::StatusOr<std::vector<model::TopicPartition>> Assignment() = 0;
  // Fetches `partition` from `offset` next (also after an out-of-range error).
  virtual absl::Status Seek(const model::TopicPartition& partition, model::Offset offset,
                            std::chrono::milliseconds timeout) = 0;
  virtual absl::Status Pause(const std::vector<model::TopicPartition>& partitions) = 0;
  virtual absl::Status Resume(const std::vector<model::TopicPartition>& partitions) = 0;

  // Asks the partition's leader for its log bounds (a network round trip).
  virtual absl::StatusOr<Watermarks> QueryWatermarks(const model::TopicPartition& partition,
                                                     std::chrono::milliseconds timeout) = 0;
  // The bounds last seen by fetching, without a round trip; UNAVAILABLE when none is known.
  virtual absl::StatusOr<Watermarks> CachedWatermarks(const model::TopicPartition& partition) = 0;

  // The group's Kafka-committed offsets of `partitions`; a partition the group never
  // committed is absent.
  virtual absl::StatusOr<NextOffsets> Committed(
      const std::vector<model::TopicPartition>& partitions, std::chrono::milliseconds timeout) = 0;
  // Commits next offsets to Kafka; `async` returns at once (errors then only logged).
  virtual absl::Status Commit(const NextOffsets& offsets, bool async) = 0;

  // Leaves the group (revoking through the listener). Poll no more afterwards.
  virtual void Close() = 0;
};

// The librdkafka consumer. Lifetime: owns its rd_kafka_t, destroyed with it.
class KafkaConsumer final : public Consumer {
 public:
  // `settings`: consumer properties (group.id, ...) after `kafka.properties`. Errors name the
  // bad setting (INVALID_ARGUMENT).
  static absl::StatusOr<std::unique_ptr<KafkaConsumer>> Create(
      const KafkaConfig& kafka, const std::string& bootstrap_servers,
      const std::vector<std::pair<std::string, std::string>>& settings);
  ~KafkaConsumer() override;
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  absl::Status Subscribe(const std::vector<std::string>& topics,
                         RebalanceListener* listener) override;
  std::optional<ConsumedMessage> Poll(std::chrono::milliseconds timeout) override;
  absl::Status Assign(const StartOffsets& starts) override;
  absl::Status Unassign() override;
  absl::StatusOr<std::vector<model::TopicPartition>> Assignment() override;
  absl::Status Seek(const model::TopicPartition& partition, model::Offset offset,
                    std::chrono::milliseconds timeout) override;
  absl::Status Pause(const std::vector<model::TopicPartition>& partitions) override;
  absl::Status Resume(const std::vector<model::TopicPartition>& partitions) override;
  absl::StatusOr<Watermarks> QueryWatermarks(const model::TopicPartition& partition,
                                             std::chrono::milliseconds timeout) override;
  absl::StatusOr<Watermarks> CachedWatermarks(const model::TopicPartition& partition) override;
  absl::StatusOr<NextOffsets> Committed(const std::vector<model::TopicPartition>& partitions,
                                        std::chrono::milliseconds timeout) override;
  absl::Status Commit(const NextOffsets& offsets, bool async) override;
  void Close() override;

 private:
  KafkaConsumer() = default;
  void OnRebalance(int err, rd_kafka_topic_partition_list_s* partitions);
  // rd_kafka_assign of `starts` (librdkafka's offsets, its special values included).
  absl::Status AssignRaw(const std::map<model::TopicPartition, int64_t>& starts);
  // Seek of a partition librdkafka stopped (out of range): the assignment again, `moved` at
  // `to`.
  absl::Status Reassign(const model::TopicPartition& moved, model::Offset to);

  rd_kafka_s* rk_ = nullptr;
  RebalanceListener* listener_ = nullptr;
  bool closed_ = false;
  // librdkafka's start offsets of the last Assign and Seeks.
  std::map<model::TopicPartition, int64_t> starts_;
  std::set<model::TopicPartition> paused_;
};

// Pauses (or resumes) every partition currently assigned to `consumer`; partitions assigned
// later must be paused by the listener. False when the assignment could not be read (try again
// on the next loop).
bool SetFetchPaused(Consumer& consumer, bool paused);

}  // namespace crvs::kafka
