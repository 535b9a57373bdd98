// Each court's StreamDecisions resume point: the highest sequence durably accepted. Kept on a
// Kafka topic (key = court code, value = decimal sequence) that every gateway follows, so any
// gateway — including one just restarted — answers GetResumePoint the same way.
//
// Thread-safety: all methods are thread-safe; Advance's callback runs on the producer's
// delivery thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <absl/status/statusor.h>

#include "connectors/kafka/producer.h"
#include "connectors/kafka/topic_follower.h"
#include "services/platform/mutex.h"

namespace crvs::gateway {

class ResumePoints {
 public:
  // Reads the topic up to its end before returning, so Get() is right from the first call.
  static absl::StatusOr<std::unique_ptr<ResumePoints>> Start(const kafka::KafkaConfig& kafka,
                                                             const std::string& bootstrap_servers,
                                                             kafka::Producer* producer);
  ~ResumePoints();

  uint64_t Get(const std::string& court_code);
  // Publishes `sequence` for the court (if higher than known); `done` gets the outcome once the
  // broker confirmed it.
  void Advance(const std::string& court_code, uint64_t sequence,
               std::function<void(const absl::Status&)> done);

 private:
  ResumePoints() = default;
  void Raise(const std::string& court_code, uint64_t sequence);

  std::string topic_;
  kafka::Producer* producer_ = nullptr;
  platform::Mutex mu_;
  std::map<std::string, uint64_t> points_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<kafka::TopicFollower> follower_;
};

}  // namespace crvs::gateway
