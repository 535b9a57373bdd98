// The court-source connector (`crvs court-source`): consumes the court database's change stream
// (Debezium JSON on `court_source.input_topic`) and the re-send requests addressed to courts
// (`kafka.topic_resync`, keys "court:<code>") in one consumer group, and produces canonical
// divorce-decision envelopes to `kafka.topic_divorces` with the idempotent producer.
//
// Delivery: at least once into the divorce topic. Each input's outputs (its envelope, or its
// dead letter, or a re-sent record and the request's acknowledgement) are produced first; the
// input's offset is committed to Kafka only once every output of the inputs before it is
// confirmed (acks=all). Undelivered outputs are produced again with backoff, never skipped. A
// crash between delivery and commit re-reads those inputs; their envelopes have the same
// deterministic message ids, so the registry sink counts them DUPLICATE (and an older position
// STALE): the civil-status database holds each change exactly once.
//
// A committed position below the log start (changes expired unread) is counted by an alarm
// metric and logged as an ALARM error; consumption resumes at the log start and the court must
// re-snapshot (or reconciliation requests re-sends). Never skipped silently.
//
// Kafka input is read through kafka::Consumer only (librdkafka in production, a scripted fake in
// court_source_test.cc); outputs go through kafka::Producer.
//
// Lifetime: Start() runs the consumer on its own thread; Stop() confirms what was handled,
// commits, leaves the group and joins. The producer, reference data and Prometheus metrics
// (Deps) must outlive the connector. Thread-safety: Stop and the accessors are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>
#include <prometheus/registry.h>

#include "connectors/court_source/court_source_config.h"
#include "connectors/court_source/court_source_metrics.h"
#include "connectors/court_source/export_file.h"
#include "connectors/court_source/translate.h"
#include "connectors/kafka/consumer.h"
#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/validation/reference_data.h"

namespace crvs::court_source {

class CourtSource : private kafka::Consumer::RebalanceListener {
 public:
  struct Deps {
    kafka::Producer* producer;                   // divorce topic, dead letters, acknowledgements
    const validation::ReferenceData* reference;  // BRIEF §3 validation of mapped decisions
    prometheus::Registry* metrics;               // Prometheus: the connector registers its metrics
  };

  // INVALID_ARGUMENT for a bad mapping, an unreadable resend_source_file or a bad Kafka
  // setting (each naming its key); UNAVAILABLE when the subscription fails.
  static absl::StatusOr<std::unique_ptr<CourtSource>> Start(const CourtSourceConfig& config,
                                                            const kafka::KafkaConfig& kafka,
                                                            const std::string& bootstrap_servers,
                                                            Deps deps);
  // The same over `consumer` (not yet subscribed; tests give a kafka::FakeConsumer): the
  // connector subscribes it to the change stream and the resync topic and owns it.
  static absl::StatusOr<std::unique_ptr<CourtSource>> Start(
      const CourtSourceConfig& config, const kafka::KafkaConfig& kafka,
      std::unique_ptr<kafka::Consumer> consumer, Deps deps);
  ~CourtSource() override;
  CourtSource(const CourtSource&) = delete;
  CourtSource& operator=(const CourtSource&) = delete;
  void Stop();

  // Stops / restarts fetching (operators' pause); what was consumed is still produced.
  void Pause() { paused_.store(true); }
  void Resume() { paused_.store(false); }
  bool paused() const { return paused_.load(); }

  // Inputs whose offsets were committed since start.
  int64_t committed_inputs() const { return committed_inputs_.load(); }
  // Empty when healthy; otherwise why not (outputs keep failing to deliver).
  std::string NotReady() const;

 private:
  // Pauses or resumes the assigned partitions when an operator asked (consumer thread).
  void ApplyPause();
  // One message to produce for the inputs of the current batch, kept until confirmed so it can
  // be produced again.
  struct Output {
    kafka::OutgoingMessage message;
    std::string decision_state;                 // set for a record: counted once confirmed
    std::optional<absl::Time> effective_since;  // set when it made a decision effective
  };
  struct Tracker;  // delivery states of a batch's outputs, shared with the callbacks

  CourtSource() = default;
  // Everything but the consumer: configuration checks, mapping, export file, metrics.
  static absl::StatusOr<std::unique_ptr<CourtSource>> Prepare(const CourtSourceConfig& config,
                                                              const kafka::KafkaConfig& kafka,
                                                              Deps deps);
  // Subscribes `consumer` and starts the consumer thread.
  absl::Status Launch(std::unique_ptr<kafka::Consumer> consumer);
  void Run();
  void Handle(const kafka::ConsumedMessage& message);
  void HandleChange(const kafka::ConsumedMessage& message);
  void HandleResendRequest(const kafka::ConsumedMessage& message);
  void Emit(Output output);
  void Produce(size_t index);
  void EmitDeadLetter(const kafka::ConsumedMessage& message, const Rejected& rejected);
  // Waits for every output of the batch, producing failed ones again; then commits the inputs'
  // offsets. False (nothing committed) only when stopping.
  bool Flush();
  // Rebalances (from inside Poll, on the consumer thread): start each assigned partition at
  // its committed offset (a new group: the log start); confirm and commit before giving back.
  void OnAssigned(const std::vector<model::TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<model::TopicPartition>& partitions) override;
  void HandleOffsetOutOfRange(const std::string& topic, int32_t partition);

  CourtSourceConfig config_;
  kafka::KafkaConfig kafka_;
  Deps deps_{};
  std::shared_ptr<CourtSourceMetrics> metrics_;  // shared with delivery callbacks
  std::unique_ptr<DecisionMapping> mapping_;
  std::unique_ptr<ChangeTranslator> translator_;
  std::unique_ptr<ExportFile> export_;  // null when resend_source_file is empty
  std::unique_ptr<kafka::Consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  bool fetch_paused_ = false;  // consumer thread: what the consumer was last told
  std::atomic<int64_t> committed_inputs_{0};
  std::atomic<int> consecutive_failures_{0};

  // The batch (consumer thread only): outputs in production order, next offset per input
  // partition, inputs handled.
  std::vector<Output> outputs_;
  std::shared_ptr<Tracker> tracker_;
  kafka::NextOffsets next_offsets_;
  int64_t batch_inputs_ = 0;
  std::chrono::steady_clock::time_point batch_started_;
};

}  // namespace crvs::court_source
