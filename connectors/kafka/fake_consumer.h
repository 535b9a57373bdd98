// A scripted Consumer for unit tests (library crvs_kafka_fake, linked by tests only): partition
// logs held in memory, watermarks, Kafka-committed offsets, and a script of actions run at
// chosen polls — a rebalance (assign / revoke, delivered to the listener from inside Poll as
// librdkafka does), an injected error, a log truncated (records expired) or replaced (a
// re-created topic, a restarted in-memory broker: its watermarks move below what was consumed).
//
// It behaves like librdkafka with auto.offset.reset=error: each Poll returns the next message of
// an assigned, unpaused partition (partitions in turn); a fetch position outside the log gives
// one kOffsetOutOfRange error for that partition and the partition stops until it is sought or
// assigned again; a position at the log end gives nothing. Poll never blocks: with nothing to
// return it sleeps about a millisecond, so a connector's thread does not spin.
//
// Poll numbers count every call of Poll from 1, so a script is deterministic whatever the
// timing, as long as the connector polls once per loop (flushes by time disabled by a long
// batch wait in the test's configuration).
//
// Thread-safety: script and fill it before the connector starts; from then on only the
// connector's thread touches it, except polls() and idle_polls() (any thread). Inspect the
// rest after the connector stopped (its thread joined).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "connectors/kafka/consumer.h"

namespace crvs::kafka {

class FakeConsumer final : public Consumer {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // --- the broker's side (before the start, or from an action) ---

  // Appends a message to the partition's log (created empty at offset 0 if new); returns its
  // offset.
  int64_t Produce(const model::TopicPartition& partition, std::string key, std::string value,
                  Headers headers = {});
  // Drops the records below `low` (retention): the log now starts there.
  void Truncate(const model::TopicPartition& partition, int64_t low);
  // Replaces the log by an empty one starting at `low` (a re-created topic: low = 0); Produce
  // fills it again. Positions past its end become out of range.
  void ReplaceLog(const model::TopicPartition& partition, int64_t low = 0);
  Watermarks LogBounds(const model::TopicPartition& partition) const;
  // The group's Kafka-committed offset of a partition (what Committed answers).
  void SetCommitted(const model::TopicPartition& partition, model::Offset offset);

  // --- the script ---

  // Runs `action` at the start of poll `poll` (1 = the first), before a message is chosen.
  // Actions due at one poll run in the order given.
  void At(int poll, std::function<void(FakeConsumer&)> action);
  // The group assigns `partitions` at poll `poll` (after revoking what is assigned, eagerly).
  void AssignAt(int poll, std::vector<model::TopicPartition> partitions);
  // The group revokes the whole assignment at poll `poll`.
  void RevokeAt(int poll);
  // Poll `poll` returns this error for `partition` instead of a message.
  void ErrorAt(int poll, const model::TopicPartition& partition, ConsumedMessage::Error error,
               std::string message);
  // Fails QueryWatermarks of `partition` the next `times` times (a leader not known yet).
  void FailWatermarks(const model::TopicPartition& partition, int times);

  // --- what the consumer did (after the connector stopped) ---

  int polls() const { return polls_.load(); }
  // Polls that returned nothing since the last one that returned something.
  int idle_polls() const { return idle_polls_.load(); }
  // Every message and error Poll returned, in order.
  const std::vector<ConsumedMessage>& delivered() const { return delivered_; }
  // Offsets of the messages delivered from `partition`, in order.
  std::vector<int64_t> DeliveredOffsets(const model::TopicPartition& partition) const;
  // One Seek call.
  struct SeekCall {
    model::TopicPartition partition;
    model::Offset offset;
  };
  // Each Assign call's partitions and start offsets, in order; Seek calls in order.
  const std::vector<StartOffsets>& assigns() const { return assigns_; }
  const std::vector<SeekCall>& seeks() const { return seeks_; }
  // Each Commit call's offsets, in order (a Commit of nothing is not one); and the committed
  // offset of a partition (unset when none was).
  const std::vector<NextOffsets>& commits() const { return commits_; }
  std::optional<model::Offset> CommittedOffset(const model::TopicPartition& partition) const;
  bool subscribed() const { return listener_ != nullptr; }
  bool closed() const { return closed_; }
  bool assigned(const model::TopicPartition& partition) const {
    return fetch_.count(partition) > 0;
  }
  bool paused(const model::TopicPartition& partition) const {
    return paused_.count(partition) > 0;
  }

  // --- Consumer ---

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
  struct Log {
    int64_t low = 0;
    int64_t high = 0;
    std::map<int64_t, ConsumedMessage> messages;  // offsets [low, high)
  };
  // Where a partition is fetched from; stalled after an out-of-range error until sought.
  struct Fetch {
    int64_t position = 0;
    bool stalled = false;
  };
  void Revoke();
  int64_t Resolve(const model::TopicPartition& partition, const StartOffset& start) const;
  std::optional<ConsumedMessage> Next();

  std::map<model::TopicPartition, Log> logs_;
  NextOffsets committed_;
  std::map<model::TopicPartition, int> failing_watermarks_;
  std::multimap<int, std::function<void(FakeConsumer&)>> script_;
  std::optional<ConsumedMessage> pending_error_;  // set by ErrorAt's action
  RebalanceListener* listener_ = nullptr;
  std::vector<std::string> topics_;
  std::map<model::TopicPartition, Fetch> fetch_;
  std::set<model::TopicPartition> paused_;
  size_t next_partition_ = 0;  // round robin over fetch_
  bool closed_ = false;

  std::atomic<int> polls_{0};
  std::atomic<int> idle_polls_{0};
  std::vector<ConsumedMessage> delivered_;
  std::vector<StartOffsets> assigns_;
  std::vector<SeekCall> seeks_;
  std::vector<NextOffsets> commits_;
};

}  // namespace crvs::kafka
