// The path every validated submission takes through the gateway, whatever the RPC: complete the
// envelope (business key, kind, hashes, times, trace id), deduplicate by message id, produce to
// the record kind's topic, and turn the delivery report into a receipt. A receipt says ACCEPTED
// only when Kafka confirmed the record (acks=all); with an OutcomeWatcher and receipt_after =
// database it waits further, for the sink's commit, and says COMMITTED (or CONFLICT /
// DEAD_LETTERED when the database refused it: a message id reused for other content, in any
// gateway and after any restart, comes back CONFLICT from the sink's own check).
//
// Thread-safety: Accept may be called from any thread; `done` runs on the producer's delivery
// thread or on the calling thread (immediate outcomes), exactly once.
#pragma once

#include <functional>
#include <string>

#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "crvs/ingest/v1/receipt.pb.h"
#include "crvs/records/v1/envelope.pb.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/outcome_watcher.h"
#include "services/gateway/receipt_book.h"

namespace crvs::gateway {

class IngestPipeline {
 public:
  using Done = std::function<void(const absl::StatusOr<ingest::v1::Receipt>&)>;

  // All pointers must outlive the pipeline; `outcomes` may be null (no database access: receipts
  // say ACCEPTED). `commit_wait` > 0: receipts wait that long for the database (receipt_after =
  // database), then answer DEADLINE_EXCEEDED (safe to re-send with the same message id).
  IngestPipeline(const kafka::KafkaConfig* kafka, kafka::Producer* producer, ReceiptBook* book,
                 GatewayMetrics* metrics, OutcomeWatcher* outcomes = nullptr,
                 absl::Duration commit_wait = absl::ZeroDuration())
      : kafka_(kafka),
        producer_(producer),
        book_(book),
        metrics_(metrics),
        outcomes_(outcomes),
        commit_wait_(commit_wait) {}

  // `envelope` carries message_id, action, reason, trace_id (may be empty), source and the
  // record, already validated. Outcomes: a Receipt (ACCEPTED; `duplicate` for a re-send), or
  // INVALID_ARGUMENT (message id reused for different content), RESOURCE_EXHAUSTED (producer
  // queue full), UNAVAILABLE (not delivered).
  void Accept(records::v1::RecordEnvelope envelope, Done done);

 private:
  const kafka::KafkaConfig* kafka_;
  kafka::Producer* producer_;
  ReceiptBook* book_;
  GatewayMetrics* metrics_;
  OutcomeWatcher* outcomes_;
  absl::Duration commit_wait_;
};

// Sets a receipt's state, committed_at, version and error from what the database says became
// of its submission. A committed message id whose action or content differs from `action` /
// `content_hash` (the id reused for other content) is a CONFLICT.
void SetOutcome(const store::MessageOutcome& outcome, const std::string& action,
                const std::string& content_hash, ingest::v1::Receipt* receipt);

}  // namespace crvs::gateway
