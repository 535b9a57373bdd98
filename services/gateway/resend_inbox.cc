#include "services/gateway/resend_inbox.h"

#include <librdkafka/rdkafka.h>

#include <future>

#include "services/platform/logging.h"

namespace crvs::gateway {

absl::StatusOr<std::unique_ptr<ResendInbox>> ResendInbox::Start(
    const kafka::KafkaConfig& kafka, const std::string& bootstrap_servers,
    kafka::Producer* producer) {
  auto conf = kafka::MakeClientConfig(kafka, bootstrap_servers,
                                      {{"group.id", "crvs-gateway-resend-inbox"},
                                       {"enable.auto.commit", "false"},
                                       {"auto.offset.reset", "earliest"}});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<ResendInbox> inbox(new ResendInbox());
  inbox->topic_ = kafka.topic_resync;
  inbox->producer_ = producer;
  char err[512];
  inbox->consumer_ =
      rd_kafka_new(RD_KAFKA_CONSUMER, static_cast<rd_kafka_conf_t*>(conf->get()), err, sizeof err);
  if (inbox->consumer_ == nullptr) return absl::InvalidArgumentError(std::string("kafka: ") + err);
  conf.value().release();
  rd_kafka_poll_set_consumer(inbox->consumer_);

  // Every gateway reads every partition from the start: no group assignment, no commits.
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(inbox->consumer_, inbox->topic_.c_str(), nullptr);
  rd_kafka_resp_err_t e = rd_kafka_metadata(inbox->consumer_, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 || md->topics[0].err) {
    if (md) rd_kafka_metadata_destroy(md);
    return absl::UnavailableError("resend inbox: no metadata for topic " + inbox->topic_);
  }
  auto* list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
    rd_kafka_topic_partition_list_add(list, inbox->topic_.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_assign(inbox->consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  inbox->thread_ = std::thread([i = inbox.get()] { i->Run(); });
  return inbox;
}

ResendInbox::~ResendInbox() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (consumer_ != nullptr) {
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
  }
}

void ResendInbox::Run() {
  auto log = logging::Get("gateway");
  while (!stop_.load()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string key(static_cast<const char*>(m->key), m->key_len);
      std::string value(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* headers = nullptr;
      bool is_ack = false;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const void* v;
        size_t n;
        is_ack = rd_kafka_header_get_last(headers, kResendAckHeader, &v, &n) ==
                 RD_KAFKA_RESP_ERR_NO_ERROR;
      }
      Apply(key, value, is_ack);
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      log->warn("resend inbox: topic={} error={}", topic_, rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
}

void ResendInbox::Apply(const std::string& key, const std::string& value, bool is_ack) {
  std::lock_guard<std::mutex> lock(mu_);
  if (is_ack) {
    auto it = by_id_.find(value);
    if (it == by_id_.end()) {
      acked_.insert(value);
      return;
    }
    open_[it->second.first].erase(it->second.second);
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
  open_[key][seq] = std::move(request);
}

std::vector<ingest::v1::ResendRequest> ResendInbox::Pull(
    const std::string& principal, int max, const std::vector<std::string>& acknowledged) {
  // Acknowledgements are published before the answer, so that once a facility has been told
  // "acknowledged" every gateway will drop the request. If publishing fails the request is
  // served again, which is harmless: the facility re-sends with the same message id.
  std::vector<std::future<absl::Status>> published;
  for (const auto& id : acknowledged) {
    {
      std::lock_guard<std::mutex> lock(mu_);
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
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(principal);
  if (it == open_.end()) return out;
  for (const auto& [seq, request] : it->second) {
    if (static_cast<int>(out.size()) >= max) break;
    out.push_back(request);
  }
  return out;
}

}  // namespace crvs::gateway
