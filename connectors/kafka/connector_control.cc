#include "connectors/kafka/connector_control.h"

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <future>
#include <random>

#include "services/platform/logging.h"
#include "services/platform/status.h"

namespace crvs::kafka {
namespace {

using admin::v1::ConnectorState;
using admin::v1::ConnectorStatus;
using google::protobuf::util::TimeUtil;

constexpr int kStaleHeartbeats = 3;
constexpr absl::Duration kHeartbeat = absl::Seconds(10);

std::string InstanceId() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::random_device random;
  return absl::StrCat(host, ":", getpid(), ":", random() % 100000);
}

absl::Status ProduceAndWait(Producer* producer, OutgoingMessage message) {
  auto done = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> delivered = done->get_future();
  CRVS_RETURN_IF_ERROR(producer->Produce(
      std::move(message), [done](const Delivery& d) { done->set_value(d.status); }));
  return delivered.get();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectorControl>> ConnectorControl::Start(
    const KafkaConfig& kafka, const std::string& bootstrap, const std::string& name,
    Producer* producer, Hooks hooks, absl::Duration heartbeat) {
  std::unique_ptr<ConnectorControl> c(new ConnectorControl());
  c->topic_ = kafka.topic_control;
  c->name_ = name;
  c->instance_ = InstanceId();
  c->producer_ = producer;
  c->hooks_ = std::move(hooks);
  c->heartbeat_ = heartbeat;
  {
    platform::MutexLock lock(&c->mu_);
    c->status_.set_name(name);
  }
  auto follower = TopicFollower::Start(
      kafka, bootstrap, kafka.topic_control, [raw = c.get()](const FollowedMessage& m) {
        auto header = m.headers.find(kControlHeader);
        if (header == m.headers.end() || header->second != "command" || m.key != raw->name_) {
          return;
        }
        if (m.value != "pause" && m.value != "resume") return;
        raw->hooks_.set_paused(m.value == "pause");
        logging::Get("control")->info("event=connector_{} connector={} instance={}",
                                      m.value == "pause" ? "paused" : "resumed", raw->name_,
                                      raw->instance_);
        raw->Refresh(false);
      });
  if (!follower.ok()) return follower.status();
  c->follower_ = std::move(*follower);
  c->heartbeats_ = std::thread([raw = c.get()] { raw->Heartbeats(); });
  return c;
}

ConnectorControl::~ConnectorControl() {
  follower_.reset();
  {
    platform::MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  if (heartbeats_.joinable()) heartbeats_.join();
  Report(admin::v1::CONNECTOR_STATE_STOPPED, "", true);
}

void ConnectorControl::Refresh(bool always) {
  const std::string error = hooks_.not_ready();
  if (!error.empty()) return Report(admin::v1::CONNECTOR_STATE_FAILED, error, always);
  Report(hooks_.paused() ? admin::v1::CONNECTOR_STATE_PAUSED : admin::v1::CONNECTOR_STATE_RUNNING,
         "", always);
}

void ConnectorControl::Report(ConnectorState state, const std::string& last_error, bool always) {
  std::string value;
  {
    platform::MutexLock lock(&mu_);
    const bool changed = status_.state() != state || status_.last_error() != last_error;
    if (!changed && !always) return;
    if (changed) {
      status_.set_state(state);
      status_.set_last_error(last_error.substr(0, 1000));
      *status_.mutable_since() = TimeUtil::GetCurrentTime();
    }
    value = status_.SerializeAsString();
  }
  absl::Status st = producer_->Produce(
      {topic_, absl::StrCat(name_, "/", instance_), value, {{kControlHeader, "status"}}},
      [](const Delivery&) {});
  if (!st.ok()) {
    logging::Get("control")->warn("event=status_not_published connector={} error=\"{}\"", name_,
                                  std::string(st.message()));
  }
}

void ConnectorControl::Heartbeats() {
  platform::MutexLock lock(&mu_);
  while (!stop_) {
    mu_.Unlock();
    Refresh(true);
    mu_.Lock();
    // A state change shows within a second; the heartbeat says "alive" every `heartbeat_`.
    for (absl::Duration waited; !stop_ && waited < heartbeat_; waited += absl::Seconds(1)) {
      const auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (!stop_ && wake_.WaitUntil(&mu_, next)) {
      }
      if (stop_) break;
      mu_.Unlock();
      Refresh(false);
      mu_.Lock();
    }
  }
}

absl::StatusOr<std::unique_ptr<ControlView>> ControlView::Start(const KafkaConfig& kafka,
                                                                const std::string& bootstrap,
                                                                Producer* producer) {
  std::unique_ptr<ControlView> v(new ControlView());
  v->topic_ = kafka.topic_control;
  v->producer_ = producer;
  auto follower = TopicFollower::Start(kafka, bootstrap, kafka.topic_control,
                                       [raw = v.get()](const FollowedMessage& m) { raw->Apply(m); });
  if (!follower.ok()) return follower.status();
  v->follower_ = std::move(*follower);
  return v;
}

ControlView::~ControlView() { follower_.reset(); }

void ControlView::Apply(const FollowedMessage& m) {
  auto header = m.headers.find(kControlHeader);
  if (header == m.headers.end() || header->second != "status") return;
  ConnectorStatus status;
  const size_t slash = m.key.find('/');
  if (!status.ParseFromString(m.value) || slash == std::string::npos) return;
  {
    platform::MutexLock lock(&mu_);
    reports_[m.key.substr(0, slash)][m.key.substr(slash + 1)] = {status, absl::Now()};
  }
  changed_.SignalAll();
}

namespace {

// One status for a connector's instances (see ControlView::Connectors).
ConnectorStatus Combine(
    const std::string& name,
    const std::map<std::string, std::pair<ConnectorStatus, absl::Time>>& instances,
    absl::Time now) {
  ConnectorStatus out;
  out.set_name(name);
  int live = 0, paused = 0;
  const ConnectorStatus* failed = nullptr;
  const ConnectorStatus* latest = nullptr;
  for (const auto& [instance, report] : instances) {
    const ConnectorStatus& s = report.first;
    if (latest == nullptr || TimeUtil::TimestampToMicroseconds(s.since()) >
                                 TimeUtil::TimestampToMicroseconds(latest->since())) {
      latest = &s;
    }
    if (s.state() == admin::v1::CONNECTOR_STATE_STOPPED ||
        now - report.second > kHeartbeat * kStaleHeartbeats) {
      continue;
    }
    ++live;
    if (s.state() == admin::v1::CONNECTOR_STATE_PAUSED) ++paused;
    if (s.state() == admin::v1::CONNECTOR_STATE_FAILED) failed = &s;
  }
  if (failed != nullptr) {
    out.set_state(admin::v1::CONNECTOR_STATE_FAILED);
    out.set_last_error(failed->last_error());
  } else if (live == 0) {
    out.set_state(admin::v1::CONNECTOR_STATE_STOPPED);
  } else {
    out.set_state(paused == live ? admin::v1::CONNECTOR_STATE_PAUSED
                                 : admin::v1::CONNECTOR_STATE_RUNNING);
  }
  if (latest != nullptr) *out.mutable_since() = latest->since();
  return out;
}

}  // namespace

std::vector<ConnectorStatus> ControlView::Connectors(absl::Time now) const {
  platform::MutexLock lock(&mu_);
  std::vector<ConnectorStatus> out;
  for (const auto& [name, instances] : reports_) out.push_back(Combine(name, instances, now));
  return out;
}

absl::StatusOr<ConnectorStatus> ControlView::Command(const std::string& name, bool pause,
                                                     absl::Duration wait) {
  {
    platform::MutexLock lock(&mu_);
    if (reports_.count(name) == 0) {
      return absl::NotFoundError(absl::StrCat("connector '", name, "' has never reported"));
    }
  }
  absl::Status st = ProduceAndWait(
      producer_, {topic_, name, pause ? "pause" : "resume", {{kControlHeader, "command"}}});
  if (!st.ok()) return absl::UnavailableError(absl::StrCat("command not written: ", st.message()));
  const ConnectorState want =
      pause ? admin::v1::CONNECTOR_STATE_PAUSED : admin::v1::CONNECTOR_STATE_RUNNING;
  const absl::Time deadline = absl::Now() + wait;
  platform::MutexLock lock(&mu_);
  for (;;) {
    ConnectorStatus now = Combine(name, reports_[name], absl::Now());
    if (now.state() == want || absl::Now() >= deadline) return now;
    changed_.WaitUntil(&mu_, std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
  }
}

}  // namespace crvs::kafka
