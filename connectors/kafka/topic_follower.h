// Reads every partition of a (small) topic from its beginning and keeps following it, handing
// each message to a callback: how a stateless process rebuilds a table that lives on Kafka
// (re-send requests, court resume points) and stays in step with its peers.
//
// Lifetime: Start() begins on a background thread; the destructor stops it.
// Thread-safety: the handler runs on that thread only; WaitCaughtUp from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "services/platform/mutex.h"

struct rd_kafka_s;

namespace crvs::kafka {

struct FollowedMessage {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;  // last value of each header name
};

class TopicFollower {
 public:
  using Handler = std::function<void(const FollowedMessage&)>;

  static absl::StatusOr<std::unique_ptr<TopicFollower>> Start(const KafkaConfig& kafka,
                                                              const std::string& bootstrap_servers,
                                                              const std::string& topic,
                                                              Handler handler);
  ~TopicFollower();

  // Waits until every partition was read up to where it ended at Start(); false on timeout.
  bool WaitCaughtUp(std::chrono::milliseconds timeout);

 private:
  TopicFollower() = default;
  void Run();

  std::string topic_;
  Handler handler_;
  rd_kafka_s* consumer_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  platform::Mutex mu_;
  platform::CondVar caught_up_cv_;
  int partitions_behind_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace crvs::kafka
