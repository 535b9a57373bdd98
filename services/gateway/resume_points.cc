#include "services/gateway/resume_points.h"

#include <cstdlib>

namespace crvs::gateway {

absl::StatusOr<std::unique_ptr<ResumePoints>> ResumePoints::Start(
    const kafka::KafkaConfig& kafka, const std::string& bootstrap_servers,
    kafka::Producer* producer) {
  std::unique_ptr<ResumePoints> points(new ResumePoints());
  points->topic_ = kafka.topic_court_positions;
  points->producer_ = producer;
  auto follower = kafka::TopicFollower::Start(
      kafka, bootstrap_servers, kafka.topic_court_positions,
      [raw = points.get()](const kafka::FollowedMessage& m) {
        raw->Raise(m.key, std::strtoull(m.value.c_str(), nullptr, 10));
      });
  if (!follower.ok()) return follower.status();
  points->follower_ = std::move(*follower);
  if (!points->follower_->WaitCaughtUp(std::chrono::seconds(30))) {
    return absl::UnavailableError("court resume points: topic " + points->topic_ +
                                  " not read to its end within 30 s");
  }
  return points;
}

// The follower calls Raise: stop it before the map goes.
ResumePoints::~ResumePoints() { follower_.reset(); }

uint64_t ResumePoints::Get(const std::string& court_code) {
  platform::MutexLock lock(&mu_);
  auto it = points_.find(court_code);
  return it == points_.end() ? 0 : it->second;
}

void ResumePoints::Raise(const std::string& court_code, uint64_t sequence) {
  platform::MutexLock lock(&mu_);
  uint64_t& p = points_[court_code];
  if (sequence > p) p = sequence;
}

void ResumePoints::Advance(const std::string& court_code, uint64_t sequence,
                           std::function<void(const absl::Status&)> done) {
  if (sequence <= Get(court_code)) {
    done(absl::OkStatus());
    return;
  }
  absl::Status st = producer_->Produce(
      {topic_, court_code, std::to_string(sequence), {}},
      [this, court_code, sequence, done](const kafka::Delivery& d) {
        if (d.status.ok()) Raise(court_code, sequence);
        done(d.status);
      });
  if (!st.ok()) done(st);
}

}  // namespace crvs::gateway
