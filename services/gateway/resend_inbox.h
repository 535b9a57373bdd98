// Re-send requests addressed to facilities and courts, served by the gateway's
// PullResendRequests. The reconciler publishes them on the resync topic; every gateway reads the
// whole topic (it is small) and keeps the open requests in memory, so any gateway can answer
// any caller. An acknowledgement is published on the same topic, so every gateway drops it.
//
// Wire format on the resync topic (key = addressee principal, e.g. "facility:BV79001"):
//   request:          value = crvs.ingest.v1.ResendRequest (protobuf),
//                     header crvs-schema = "crvs.ingest.v1.ResendRequest;v=1"
//   acknowledgement:  value = the request_id, header crvs-resend-ack = "1"
//
// Lifetime: Start() begins reading in a background thread; the destructor stops it.
// Thread-safety: all public methods are thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "connectors/kafka/topic_follower.h"
#include "services/platform/mutex.h"
#include "crvs/ingest/v1/receipt.pb.h"

namespace crvs::gateway {

inline constexpr const char* kResendSchemaHeader = "crvs.ingest.v1.ResendRequest;v=1";
inline constexpr const char* kResendAckHeader = "crvs-resend-ack";

class ResendInbox {
 public:
  static absl::StatusOr<std::unique_ptr<ResendInbox>> Start(const kafka::KafkaConfig& kafka,
                                                            const std::string& bootstrap_servers,
                                                            kafka::Producer* producer);
  ~ResendInbox();

  // Publishes acknowledgements for `acknowledged` (ids not addressed to `principal` are
  // ignored), then returns up to `max` open requests for `principal`, oldest first.
  std::vector<ingest::v1::ResendRequest> Pull(const std::string& principal, int max,
                                              const std::vector<std::string>& acknowledged);

  // The id of the open request to `principal` for `business_key`; "" when none is open.
  std::string OpenRequestId(const std::string& principal, const std::string& business_key);

  // Publishes `request` to `principal` on the resync topic and waits for the broker's
  // acknowledgement; the inbox applies it at once, so a following OpenRequestId sees it.
  absl::Status Publish(const std::string& principal, const ingest::v1::ResendRequest& request);

  // Applies one message of the resync topic (exposed for tests of the format).
  void Apply(const std::string& key, const std::string& value, bool is_ack);

 private:
  ResendInbox() = default;

  std::string topic_;
  kafka::Producer* producer_ = nullptr;
  std::unique_ptr<kafka::TopicFollower> follower_;  // last member: stops before the maps go

  platform::Mutex mu_;
  // principal → (sequence of arrival → request); acked ids are removed.
  std::map<std::string, std::map<uint64_t, ingest::v1::ResendRequest>> open_
      ABSL_GUARDED_BY(mu_);
  // request_id → (principal, seq)
  std::map<std::string, std::pair<std::string, uint64_t>> by_id_ ABSL_GUARDED_BY(mu_);
  // (principal, key) → id
  std::map<std::pair<std::string, std::string>, std::string> by_key_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> acked_ ABSL_GUARDED_BY(mu_);  // acks seen before their request (ordering across partitions)
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace crvs::gateway
