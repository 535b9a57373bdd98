// Delivery on Kafka: each subscriber with "kafka" in its delivery gets a topic of its own
// (<topic_prefix><name>; the relay writes its partition 0 only, so its events keep the feed's
// order), every value sealed
// with the subscriber's own key (AES-256-GCM, crypto/payload_cipher.h, bound to the message key;
// rotation as for our own topics: a keyring file with an active id, `crvs keys`).
//
// Exactly once into the topic. The relay is the topic's only writer. Every message carries its
// feed position (header crvs-feed-position); on start, and after any failed delivery, the relay
// reads the topic's last message and goes on after its position, so a crash between producing
// and recording costs nothing and repeats nothing. Before producing a page it commits the
// delivery (delivered position, audit row feed.delivered) synchronously, so nothing it produces
// can be undone by a database crash (feed_log.h, Durability). One relay per subscriber: run the
// feeds component in one process (a second would write the same events twice).
//
// Message: key = the record's business key; value = sealed JSON payload with only the
// subscriber's fields (events.h, Project); headers crvs-feed-position, crvs-event-type,
// crvs-key-id.
//
// Thread-safety: one thread per relay, started by Start, stopped by the destructor.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/crypto/payload_cipher.h"
#include "services/feeds/feed_log.h"
#include "services/feeds/subscribers.h"
#include "services/platform/mutex.h"
#include "services/store/store.h"

namespace crvs::feeds {

inline constexpr const char* kFeedPositionHeader = "crvs-feed-position";
inline constexpr const char* kEventTypeHeader = "crvs-event-type";

struct RelayOptions {
  std::string topic_prefix = "crvs.feed.";
  int replication_factor = 3;          // when the relay creates the topic
  // Create the topic (one partition) when missing. False where the cluster cannot (the
  // embedded broker creates the feed topics at its start): a missing topic is then an error.
  // The relay writes partition 0 of whatever topic exists.
  bool create_topic = true;
  absl::Duration poll_interval = absl::Milliseconds(500);
  int page_events = 500;
};

class KafkaRelay {
 public:
  // Creates the topic if missing, finds where it stopped, and starts relaying. `cipher` seals
  // with the subscriber's keyring. The store and subscriber outlive the relay.
  static absl::StatusOr<std::unique_ptr<KafkaRelay>> Start(
      const Subscriber& subscriber, std::shared_ptr<const crypto::PayloadCipher> cipher,
      store::Store* store, const kafka::KafkaConfig& kafka, const kafka::ProducerConfig& producer,
      const std::string& bootstrap, const RelayOptions& options);
  ~KafkaRelay();
  KafkaRelay(const KafkaRelay&) = delete;
  KafkaRelay& operator=(const KafkaRelay&) = delete;

  const std::string& topic() const { return topic_; }
  const std::string& subscriber() const { return subscriber_->name; }
  // The position of the last event the topic holds (as far as this relay knows).
  Position published() const;
  int64_t events_published() const { return events_published_.load(); }
  // Runs one round now (tests): reads a page, delivers it, returns how many events went out.
  absl::StatusOr<int> RunOnce();

 private:
  KafkaRelay() = default;
  absl::Status FindTail();
  void Loop();
  absl::Status RecordError(const absl::Status& error);

  const Subscriber* subscriber_ = nullptr;
  std::shared_ptr<const crypto::PayloadCipher> cipher_;
  store::Store* store_ = nullptr;
  kafka::KafkaConfig kafka_;
  std::string bootstrap_;
  RelayOptions options_;
  std::string topic_;
  std::unique_ptr<kafka::Producer> producer_;
  mutable platform::Mutex mu_;
  Position published_ ABSL_GUARDED_BY(mu_);
  // Where the next read starts: past published_ and past events the subscriber does not get.
  Position scanned_ ABSL_GUARDED_BY(mu_);
  bool more_ ABSL_GUARDED_BY(mu_) = false;  // the last read stopped before the feed's end
  bool need_tail_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> events_published_{0};
  std::atomic<bool> stop_{false};
  platform::Mutex run_mu_;  // one round at a time (the loop, RunOnce)
  std::thread thread_;
};

}  // namespace crvs::feeds
