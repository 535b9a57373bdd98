// A Kafka producer whose every message gets exactly one final outcome: the broker confirmed it
// (acks=all, idempotent: no duplicates from internal retries) or it failed. crvs-sync gives a
// source a receipt only from that outcome.
//
// It is also the one place where personal data is sealed: the value of every message to one of
// KafkaConfig::SealedTopics() (records, dead letters) is encrypted with the keyring of
// `kafka.crypto` (services/crypto) before it leaves the process, bound to the message key, and
// the header crvs-key-id names the key. A value that is already sealed (a dead letter the sink
// could not open, an operator's replay) passes through unchanged. Other topics carry no
// personal data and are produced as given.
//
// Lifetime: Create() starts a thread serving delivery reports; the destructor flushes for up to
// `close_timeout`, then purges what is left, so every pending callback still runs (with an
// UNAVAILABLE status) before the destructor returns.
// Thread-safety: Produce and the accessors may be called from any thread. Callbacks run on the
// delivery thread: keep them short and never call back into the producer's destructor.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "services/crypto/payload_cipher.h"
#include "services/model/fundamental.h"
#include "services/platform/config.h"

struct rd_kafka_s;

namespace crvs::kafka {

struct ProducerConfig {
  // How long librdkafka keeps retrying a message before failing it (message.timeout.ms).
  config::Duration delivery_timeout{30000};
  // Wait this long to batch messages (linger.ms): throughput against latency.
  config::Duration linger{5};
  // Local queue bound (queue.buffering.max.messages); beyond it Produce answers
  // RESOURCE_EXHAUSTED instead of growing memory.
  int queue_max_messages = 100000;
  config::Duration close_timeout{10000};

  template <class V>
  void Visit(V& v) {
    v("delivery_timeout", delivery_timeout,
      "how long a record may wait for the broker's confirmation before it fails");
    v("linger", linger, "time to gather records into one batch (latency against throughput)");
    v("queue_max_messages", queue_max_messages,
      "records waiting for confirmation at most; beyond, submissions get RESOURCE_EXHAUSTED");
    v("close_timeout", close_timeout, "on shutdown, how long to wait for pending confirmations");
  }
};

// One message to produce. Headers are UTF-8 name/value pairs.
struct OutgoingMessage {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  // The partition to write to; -1: the partitioner chooses by key.
  int32_t partition = -1;
};

// The final outcome of one message.
struct Delivery {
  // OK: durably written at `partition` / `offset`, both set; UNAVAILABLE: not delivered, or
  // delivered without a known offset (safe to retry either way: consumers drop a second copy
  // by message id).
  absl::Status status;
  std::string topic;
  // The partition the message was produced to; unset when it was never assigned one.
  std::optional<model::Partition> partition;
  // The offset Kafka gave it (>= 0): set exactly when `status` is OK.
  std::optional<model::Offset> offset;
};

class Producer {
 public:
  using DeliveryCallback = std::function<void(const Delivery&)>;

  // Errors name the bad Kafka setting or the unreadable keyring (crypto.keyring_file).
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const KafkaConfig& kafka,
                                                          const ProducerConfig& config,
                                                          const std::string& bootstrap_servers);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Enqueues `message`; `done` runs exactly once with its outcome. If the local queue is full
  // returns RESOURCE_EXHAUSTED (and `done` never runs); other immediate failures are
  // UNAVAILABLE (fatal producer error) or INVALID_ARGUMENT (unknown topic, oversize message);
  // INTERNAL if sealing failed in OpenSSL.
  absl::Status Produce(OutgoingMessage message, DeliveryCallback done);

  // Messages enqueued whose outcome has not yet been reported to their callback. Counted here,
  // not with rd_kafka_outq_len(), which also counts a delivered message until librdkafka frees
  // it after the callback, and any event waiting in the reply queue.
  int QueueDepth() const { return static_cast<int>(awaiting_.load()); }
  // Delivery failures since start.
  int64_t DeliveryErrors() const { return delivery_errors_.load(); }
  // Empty when healthy; otherwise why the producer cannot deliver (fatal idempotence error).
  std::string FatalError() const;

 private:
  Producer() = default;
  static void OnDelivery(rd_kafka_s* rk, const void* rkmessage, void* opaque);
  // Seals the value of a message to a sealed topic and sets its crvs-key-id header.
  absl::Status Seal(OutgoingMessage& message) const;

  rd_kafka_s* rk_ = nullptr;
  std::shared_ptr<const crypto::PayloadCipher> cipher_;
  std::vector<std::string> sealed_topics_;
  config::Duration close_timeout_{10000};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> delivery_errors_{0};
  std::atomic<int64_t> awaiting_{0};
  std::thread poller_;
};

// Builds a librdkafka configuration: bootstrap servers, `kafka.properties` passed through, then
// `extra` (name, value) pairs. Errors name the offending property.
struct rd_kafka_conf_deleter {
  void operator()(void* conf) const;
};
absl::StatusOr<std::unique_ptr<void, rd_kafka_conf_deleter>> MakeClientConfig(
    const KafkaConfig& kafka, const std::string& bootstrap_servers,
    const std::vector<std::pair<std::string, std::string>>& extra);

}  // namespace crvs::kafka
