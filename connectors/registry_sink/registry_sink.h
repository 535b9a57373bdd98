// The registry sink: a Kafka consumer group over the record topics that applies each batch to
// the civil-status database in ONE transaction together with the consumed offsets, and resumes
// from the offsets stored in the database on every partition assignment. That — not Kafka
// transactions or Kafka-committed offsets — is what makes delivery exactly once across crashes,
// restarts and rebalances.
//
// Record values arrive sealed (services/crypto) and are opened with the keyring of
// `kafka.crypto`; one that cannot be opened (key id not in the ring, failed authentication) is
// a DECRYPT dead letter that keeps its sealed bytes and names the key id.
//
// Poison messages (undecodable, unknown schema version, failing the domain rules, conflicts)
// become dead letters (table, in the same transaction, then the dead-letter topic) and the
// partition keeps moving. Transient database errors retry the same batch with backoff. A
// position below the log start (records expired unread) is recorded as a lost range, counted
// by an alarm metric and logged as an error: never skipped silently. A partition whose log no
// longer holds what was consumed — the stored position beyond the log end, or the message at
// stored - 1 is another one (each commit stores that message's fingerprint) — is a log reset:
// recorded, the stored position moved down, and the new log read from its start (message ids
// make that safe). Both are alarms: the sink is not ready until an operator acknowledges them.
//
// Kafka is reached through kafka::Consumer only: librdkafka in production, a scripted fake in
// the unit tests (registry_sink_test.cc), which drive every rebalance and offset branch against
// a real database.
//
// Two threads: the loop polls, opens, decodes and checks the next batch while the committer
// applies the previous one (one batch in flight at most, applied in order), so decoding and the
// database's work overlap. Everything that needs what was consumed to be committed first — a
// revocation, a seek after a replaced log or an offset error, stopping — waits for the batch in
// flight (Drain). The follow-up of a commit (counts, dead-letter topic, lag, Kafka's
// informational offsets) runs on the loop thread.
//
// Lifetime: Start() runs both threads; Stop() applies what was consumed, leaves the group and
// joins. Thread-safety: Stop, Pause, Resume and the accessors are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <absl/status/statusor.h>
#include <prometheus/registry.h>

#include "connectors/kafka/consumer.h"
#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "connectors/registry_sink/sink_config.h"
#include "connectors/registry_sink/sink_metrics.h"
#include "services/store/store.h"
#include "services/validation/reference_data.h"

namespace crvs::sink {

class RegistrySink : private kafka::Consumer::RebalanceListener {
 public:
  struct Deps {
    store::Store* store;                          // the civil-status database
    kafka::Producer* dead_letter_producer;        // for the dead-letter topic
    const validation::ReferenceData* reference;   // for the domain rules
    prometheus::Registry* metrics;                // Prometheus: the sink registers its metrics
  };

  // Errors name the bad Kafka setting or the unreadable keyring (crypto.keyring_file).
  static absl::StatusOr<std::unique_ptr<RegistrySink>> Start(const SinkConfig& config,
                                                             const kafka::KafkaConfig& kafka,
                                                             const std::string& bootstrap_servers,
                                                             Deps deps);
  // The same over `consumer` (not yet subscribed; tests give a kafka::FakeConsumer): the sink
  // subscribes it to the record topics and owns it.
  static absl::StatusOr<std::unique_ptr<RegistrySink>> Start(
      const SinkConfig& config, const kafka::KafkaConfig& kafka,
      std::unique_ptr<kafka::Consumer> consumer, Deps deps);
  ~RegistrySink() override;
  RegistrySink(const RegistrySink&) = delete;
  RegistrySink& operator=(const RegistrySink&) = delete;
  void Stop();

  // Stops / restarts fetching; what was consumed is still applied.
  void Pause() { paused_.store(true); }
  void Resume() { paused_.store(false); }
  bool paused() const { return paused_.load(); }

  // Records committed to the database by this sink since start (any outcome).
  int64_t committed() const { return committed_.load(); }
  // Empty when healthy; otherwise why not (e.g. the database keeps failing).
  std::string NotReady() const;

 private:
  RegistrySink() = default;
  // Everything but Kafka: the cipher (errors name crypto.keyring_file) and the metrics.
  static absl::StatusOr<std::unique_ptr<RegistrySink>> Prepare(const SinkConfig& config,
                                                               const kafka::KafkaConfig& kafka,
                                                               Deps deps);
  // Subscribes `consumer` and starts the loop thread.
  absl::Status Launch(std::unique_ptr<kafka::Consumer> consumer);
  void Run();
  // How long the loop's next Poll may wait: kIdlePoll with no batch open, else what is left of
  // sink.batch_max_wait for the open batch (0 when it is due).
  std::chrono::milliseconds PollTimeout() const;
  // Rebalances (from inside Poll, on the loop thread): seek each assigned partition to its
  // stored position; apply what was consumed before giving partitions back.
  void OnAssigned(const std::vector<store::TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<store::TopicPartition>& partitions) override;
  void Add(const kafka::ConsumedMessage& message);
  void HandleOffsetOutOfRange(const std::string& topic, int32_t partition);
  // Where to fetch `tp` from: the stored position checked against the log. Below the log
  // start: a lost range is recorded. Beyond the log end: a log reset is recorded and the log is
  // re-read from its start. Inside: the position, or the one before it to verify (below).
  store::Offset StartPosition(const store::TopicPartition& tp);
  // `position`, or position - 1 with the stored fingerprint armed in verify_ when there is one.
  store::Offset Verified(const store::TopicPartition& tp, int64_t position,
                         const std::optional<store::StoredPosition>& stored);
  // Records a log reset (database, metric, log, readiness); false when it could not be stored.
  bool RecordReset(const store::TopicPartition& tp, int64_t stored, int64_t low, int64_t high,
                   const std::string& reason);
  // The message fetched at stored - 1 is not the one applied there: reset and re-read.
  void LogReplaced(const store::TopicPartition& tp, int64_t stored, int64_t found);
  void Seek(const store::TopicPartition& tp, store::Offset offset);
  void RefreshAlarms();
  // Hands the pending batch to the committer thread, after the one before it is committed (and
  // followed up: Collect); the loop goes on decoding the next batch meanwhile. False only when
  // stopping while the database fails (nothing more is applied).
  bool Flush();
  // Flush, then wait for it: everything consumed so far is committed (revocation, a seek, stop).
  bool Drain();
  // The committer thread: applies each batch handed over, retrying transient failures.
  void CommitLoop();
  absl::StatusOr<store::BatchResult> ApplyWithRetries(const store::ApplyBatch& batch);
  // On the loop thread: once the batch in flight is committed (waiting for it when `wait`),
  // counts it, publishes its dead letters, updates lag and Kafka's informational offsets.
  // False when it was abandoned because the sink is stopping.
  bool Collect(bool wait);
  // After the database was out of reach: drops what was gathered and seeks every assigned
  // partition to the position the database holds (the last commits may not have survived).
  void Reposition();
  // Apply() failed with a value the database refuses: applies the batch in halves down to the
  // records that cause it, which become DATABASE dead letters; then the batch's offsets.
  absl::StatusOr<store::BatchResult> ApplyIsolating(const store::ApplyBatch& batch);
  void PublishDeadLetters(const store::ApplyBatch& batch, const store::BatchResult& result);
  struct Position;
  void UpdateLag(const store::ApplyBatch& batch,
                 const std::map<store::TopicPartition, Position>& positions,
                 absl::Time committed_at);

  SinkConfig config_;
  kafka::KafkaConfig kafka_;
  Deps deps_{};
  std::shared_ptr<const crypto::PayloadCipher> cipher_;  // opens the record values
  std::unique_ptr<SinkMetrics> metrics_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  bool fetch_paused_ = false;  // loop thread only
  std::atomic<int64_t> committed_{0};
  std::atomic<int> consecutive_failures_{0};

  std::atomic<int64_t> unacknowledged_alarms_{0};
  std::chrono::steady_clock::time_point alarms_read_;  // loop thread only

  // Partitions whose first fetched message must be the last one applied (loop thread only):
  // the stored position and the fingerprint of the message before it.
  std::map<store::TopicPartition, std::pair<int64_t, int64_t>> verify_;

  // The batch being gathered (loop thread only).
  struct Position {
    int64_t next = 0;             // offset after the last message of the batch
    int64_t fingerprint = 0;      // of that message
    absl::Time event_time;        // of the last record with one
  };
  store::ApplyBatch batch_;
  std::map<store::TopicPartition, Position> batch_positions_;
  std::chrono::steady_clock::time_point batch_started_;

  // The batch the committer thread applies while the loop gathers the next one. The loop
  // hands it over (Flush) and takes it back once done (Collect); the committer only reads it
  // and sets result and done.
  struct InFlight {
    store::ApplyBatch batch;
    std::map<store::TopicPartition, Position> positions;
    std::chrono::steady_clock::time_point started;
    absl::StatusOr<store::BatchResult> result;
    bool done = false;
  };
  std::thread committer_;
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::unique_ptr<InFlight> inflight_;  // under commit_mu_
  bool committer_stop_ = false;         // under commit_mu_
};

}  // namespace crvs::sink
