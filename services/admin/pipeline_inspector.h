// How far the consumers are behind, per topic and partition: the log's watermarks from Kafka,
// the sink's committed offsets from the civil-status database (where exactly-once keeps them),
// court-source's from Kafka's group offsets, and the age of the oldest uncommitted message (its
// envelope's received_at, read by fetching that one message).
//
// Thread-safety: Inspect is serialized internally (one librdkafka handle per group).
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <memory>
#include <string>
#include <vector>

#include "connectors/kafka/kafka_config.h"
#include "crvs/admin/v1/admin.pb.h"
#include "services/platform/mutex.h"
#include "services/store/store.h"

struct rd_kafka_s;

namespace crvs::admin {

struct InspectedTopic {
  std::string topic;
  records::v1::RecordKind kind = records::v1::RECORD_KIND_UNSPECIFIED;
  std::string group;
  bool offsets_in_database = false;  // the sink's; else the group's Kafka-committed offsets
};

class PipelineInspector {
 public:
  static absl::StatusOr<std::unique_ptr<PipelineInspector>> Create(
      const kafka::KafkaConfig& kafka, const std::string& bootstrap,
      std::vector<InspectedTopic> topics, store::Store* store);
  ~PipelineInspector();

  // One row per (topic, partition), ordered by topic then partition; `kind` filters
  // (UNSPECIFIED: all). `paused` is left false (the caller knows the connectors).
  absl::StatusOr<std::vector<v1::PartitionStatus>> Inspect(records::v1::RecordKind kind,
                                                           absl::Time now);

 private:
  PipelineInspector() = default;
  rd_kafka_s* HandleFor(const std::string& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // received_at of the message at `offset`, if it can be fetched within a second.
  std::optional<absl::Time> ReceivedAt(const std::string& topic, int32_t partition,
                                       int64_t offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  kafka::KafkaConfig kafka_;
  std::string bootstrap_;
  std::vector<InspectedTopic> topics_;
  store::Store* store_ = nullptr;
  platform::Mutex mu_;
  // group → consumer handle (never subscribed)
  std::map<std::string, rd_kafka_s*> handles_ ABSL_GUARDED_BY(mu_);
  rd_kafka_s* peeker_ = nullptr;  // fetches single messages; set by Create, used under mu_
};

}  // namespace crvs::admin
