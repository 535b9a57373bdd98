// Operators' control of connectors across processes, over one small compacted-style topic
// (kafka.topic_control), so pause / resume works whether the sink runs in `crvs dev`, as its
// own process or as ten replicas:
//   command:  key = connector name ("registry-sink"), value = "pause" | "resume",
//             header crvs-control = "command";
//   report:   key = "<name>/<instance>", value = crvs.admin.v1.ConnectorStatus (protobuf),
//             header crvs-control = "status".
// Every instance follows the whole topic from the start, so one started after a pause stays
// paused; it reports its state on every change and every `heartbeat`.
//
// Lifetime: Start() follows the topic on a background thread; the destructor stops it. The
// producer must outlive the object. Thread-safety: every method is thread-safe.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "connectors/kafka/topic_follower.h"
#include "crvs/admin/v1/admin.pb.h"
#include "services/platform/mutex.h"

namespace crvs::kafka {

inline constexpr const char* kControlHeader = "crvs-control";

// The connector's side: obeys commands addressed to its name and reports its state.
class ConnectorControl {
 public:
  // How to act on and read the connector (called on the control threads).
  struct Hooks {
    std::function<void(bool pause)> set_paused;
    std::function<bool()> paused;
    std::function<std::string()> not_ready;  // non-empty: FAILED with this error
  };
  static absl::StatusOr<std::unique_ptr<ConnectorControl>> Start(
      const KafkaConfig& kafka, const std::string& bootstrap, const std::string& name,
      Producer* producer, Hooks hooks, absl::Duration heartbeat = absl::Seconds(10));
  // Reports STOPPED.
  ~ConnectorControl();

 private:
  ConnectorControl() = default;
  // Reads the connector's state and publishes it if it changed (or `always`).
  void Refresh(bool always);
  void Report(admin::v1::ConnectorState state, const std::string& last_error, bool always);
  void Heartbeats();

  std::string topic_;
  std::string name_;
  std::string instance_;
  Producer* producer_ = nullptr;
  Hooks hooks_;
  absl::Duration heartbeat_;
  platform::Mutex mu_;
  platform::CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  admin::v1::ConnectorStatus status_ ABSL_GUARDED_BY(mu_);
  std::thread heartbeats_;
  std::unique_ptr<TopicFollower> follower_;  // last: stops first
};

// The operators' side: the latest report of every connector instance, and commands.
class ControlView {
 public:
  static absl::StatusOr<std::unique_ptr<ControlView>> Start(const KafkaConfig& kafka,
                                                            const std::string& bootstrap,
                                                            Producer* producer);
  ~ControlView();

  // One status per connector name: PAUSED when every live instance is paused, FAILED when
  // one failed, RUNNING otherwise; STOPPED for instances silent longer than 3 heartbeats
  // (30 s). Sorted by name.
  std::vector<admin::v1::ConnectorStatus> Connectors(absl::Time now) const;
  // Publishes the command and waits (up to `wait`) until every live instance of `name`
  // reports the wanted state. NOT_FOUND for a name no instance ever reported; UNAVAILABLE
  // when the command could not be written.
  absl::StatusOr<admin::v1::ConnectorStatus> Command(const std::string& name, bool pause,
                                                     absl::Duration wait);

 private:
  ControlView() = default;
  void Apply(const FollowedMessage& m);

  std::string topic_;
  Producer* producer_ = nullptr;
  mutable platform::Mutex mu_;
  platform::CondVar changed_;
  // name → instance → (report, received)
  std::map<std::string, std::map<std::string, std::pair<admin::v1::ConnectorStatus, absl::Time>>>
      reports_
      ABSL_GUARDED_BY(mu_);
  std::unique_ptr<TopicFollower> follower_;  // last: stops first
};

}  // namespace crvs::kafka
