#include "services/gateway/resend_inbox.h"

#include <future>

#include "services/platform/logging.h"

namespace crvs::gateway {

absl::StatusOr<std::unique_ptr<ResendInbox>> ResendInbox::Start(
    const kafka::KafkaConfig& kafka, const std::string& bootstrap_servers,
    kafka::Producer* producer) {
  std::unique_ptr<ResendInbox> inbox(new ResendInbox());
  inbox->topic_ = kafka.topic_resync;
  inbox->producer_ = producer;
  auto follower = kafka::TopicFollower::Start(
      kafka, bootstrap_servers, kafka.topic_resync, [raw = inbox.get()](const auto& m) {
        raw->Apply(m.key, m.value, m.headers.count(kResendAckHeader) > 0);
      });
  if (!follower.ok()) return follower.status();
  inbox->follower_ = std::move(*follower);
  return inbox;
}

// The follower calls Apply: stop it before the tables it writes are destroyed.
ResendInbox::~ResendInbox() { follower_.reset(); }

void ResendInbox::Apply(const std::string& key, const std::string& value, bool is_ack) {
  platform::MutexLock lock(&mu_);
  if (is_ack) {
    auto it = by_id_.find(value);
    if (it == by_id_.end()) {
      acked_.insert(value);
      return;
    }
    auto& requests = open_[it->second.first];
    auto request = requests.find(it->second.second);
    if (request != requests.end()) {
      by_key_.erase({it->second.first, request->second.business_key()});
      requests.erase(request);
    }
    by_id_.erase(it);
    return;
  }
  ingest::v1::ResendRequest request;
  if (!request.ParseFromString(value) || request.request_id().empty()) {
    logging::Get("gateway")->warn("resend inbox: undecodable request for key={}", key);
    return;
  }
  if (acked_.erase(request.request_id()) > 0 || by_id_.count(request.request_id()) > 0) return;
  uint64_t seq = next_seq_++;
  by_id_[request.request_id()] = {key, seq};
  by_key_[{key, request.business_key()}] = request.request_id();
  open_[key][seq] = std::move(request);
}

std::string ResendInbox::OpenRequestId(const std::string& principal,
                                       const std::string& business_key) {
  platform::MutexLock lock(&mu_);
  auto it = by_key_.find({principal, business_key});
  return it == by_key_.end() ? "" : it->second;
}

absl::Status ResendInbox::Publish(const std::string& principal,
                                  const ingest::v1::ResendRequest& request) {
  auto done = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> delivered = done->get_future();
  absl::Status st = producer_->Produce(
      {topic_, principal, request.SerializeAsString(), {{"crvs-schema", kResendSchemaHeader}}},
      [done](const kafka::Delivery& d) { done->set_value(d.status); });
  if (!st.ok()) return st;
  st = delivered.get();
  if (!st.ok()) return st;
  Apply(principal, request.SerializeAsString(), /*is_ack=*/false);
  return absl::OkStatus();
}

std::vector<ingest::v1::ResendRequest> ResendInbox::Pull(
    const std::string& principal, int max, const std::vector<std::string>& acknowledged) {
  // Acknowledgements are published before the answer, so that once a facility has been told
  // "acknowledged" every gateway will drop the request. If publishing fails the request is
  // served again, which is harmless: the facility re-sends with the same message id.
  std::vector<std::future<absl::Status>> published;
  for (const auto& id : acknowledged) {
    {
      platform::MutexLock lock(&mu_);
      auto it = by_id_.find(id);
      if (it == by_id_.end() || it->second.first != principal) continue;
    }
    Apply(principal, id, /*is_ack=*/true);
    auto done = std::make_shared<std::promise<absl::Status>>();
    published.push_back(done->get_future());
    absl::Status st = producer_->Produce({topic_, principal, id, {{kResendAckHeader, "1"}}},
                                         [done](const kafka::Delivery& d) { done->set_value(d.status); });
    if (!st.ok()) done->set_value(st);
  }
  for (auto& f : published) {
    absl::Status st = f.get();
    if (!st.ok()) {
      logging::Get("gateway")->warn("resend ack not published principal={} error={}", principal,
                                    std::string(st.message()));
    }
  }
  std::vector<ingest::v1::ResendRequest> out;
  platform::MutexLock lock(&mu_);
  auto it = open_.find(principal);
  if (it == open_.end()) return out;
  for (const auto& [seq, request] : it->second) {
    if (static_cast<int>(out.size()) >= max) break;
    out.push_back(request);
  }
  return out;
}

}  // namespace crvs::gateway
