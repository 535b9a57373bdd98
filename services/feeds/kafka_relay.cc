#include "services/feeds/kafka_relay.h"

#include <absl/strings/str_cat.h>

#include <condition_variable>
#include <mutex>

#include "connectors/kafka/topic_admin.h"
#include "services/feeds/feed_service.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"

namespace crvs::feeds {

absl::StatusOr<std::unique_ptr<KafkaRelay>> KafkaRelay::Start(
    const Subscriber& subscriber, std::shared_ptr<const crypto::PayloadCipher> cipher,
    store::Store* store, const kafka::KafkaConfig& kafka, const kafka::ProducerConfig& producer,
    const std::string& bootstrap, const RelayOptions& options) {
  if (cipher == nullptr || store == nullptr) {
    return absl::InvalidArgumentError("feeds: a Kafka relay needs a cipher and a store");
  }
  std::unique_ptr<KafkaRelay> r(new KafkaRelay());
  r->subscriber_ = &subscriber;
  r->cipher_ = std::move(cipher);
  r->store_ = store;
  r->kafka_ = kafka;
  r->bootstrap_ = bootstrap;
  r->options_ = options;
  r->topic_ = options.topic_prefix + subscriber.name;
  kafka::TopicSpec spec;
  spec.name = r->topic_;
  spec.partitions = 1;  // the feed's order is the topic's order
  spec.replication_factor = options.replication_factor;
  if (options.replication_factor >= 3) spec.configs = {{"min.insync.replicas", "2"}};
  CRVS_ASSIGN_OR_RETURN(bool exists, kafka::TopicExists(kafka, bootstrap, r->topic_));
  if (!exists) {
    if (!options.create_topic) {
      return absl::FailedPreconditionError(absl::StrCat(
          "feeds: topic ", r->topic_, " of subscriber ", subscriber.name,
          " does not exist and this cluster's topics are not created on request"));
    }
    CRVS_RETURN_IF_ERROR(kafka::CreateTopics(kafka, bootstrap, {spec}).status());
  }
  CRVS_ASSIGN_OR_RETURN(r->producer_, kafka::Producer::Create(kafka, producer, bootstrap));
  CRVS_RETURN_IF_ERROR(r->FindTail());
  logging::Get("feeds")->info("kafka relay started subscriber={} topic={} after={}",
                              subscriber.name, r->topic_, FormatPosition(r->published()));
  r->thread_ = std::thread([raw = r.get()] { raw->Loop(); });
  return r;
}

KafkaRelay::~KafkaRelay() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

Position KafkaRelay::published() const {
  platform::MutexLock lock(&mu_);
  return published_;
}

absl::Status KafkaRelay::FindTail() {
  CRVS_ASSIGN_OR_RETURN(std::optional<kafka::TailMessage> tail,
                        kafka::ReadLastMessage(kafka_, bootstrap_, topic_, 0));
  Position at;
  if (tail.has_value()) {
    const std::string header = tail->Header(kFeedPositionHeader);
    auto parsed = ParsePosition(header);
    if (header.empty() || !parsed.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "feeds: the last message of ", topic_, " (offset ", tail->offset,
          ") has no feed position header ", kFeedPositionHeader,
          ": the topic is written by someone else; give the subscriber a topic of its own"));
    }
    at = *parsed;
  }
  platform::MutexLock lock(&mu_);
  published_ = scanned_ = at;
  need_tail_ = false;
  return absl::OkStatus();
}

absl::StatusOr<int> KafkaRelay::RunOnce() {
  platform::MutexLock round(&run_mu_);
  bool need_tail;
  {
    platform::MutexLock lock(&mu_);
    need_tail = need_tail_;
  }
  if (need_tail) CRVS_RETURN_IF_ERROR(FindTail());
  Position after;
  {
    platform::MutexLock lock(&mu_);
    after = scanned_;
  }
  CursorState state;
  FeedPage page;
  CRVS_RETURN_IF_ERROR(store_->Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(state, LoadCursor(c, subscriber_->name));
    if (state.paused) return absl::OkStatus();
    ReadOptions o;
    o.max_events = options_.page_events;
    o.wanted = [this](const Event& e) { return subscriber_->Wants(e); };
    CRVS_ASSIGN_OR_RETURN(page, ReadFeed(c, after, o));
    return absl::OkStatus();
  }));
  if (state.paused) return 0;
  if (page.events.empty()) {
    platform::MutexLock lock(&mu_);
    scanned_ = page.scanned_to;  // nothing for this subscriber there
    more_ = page.more;
    return 0;
  }

  std::vector<DeliveredEvent> delivered;
  std::vector<kafka::OutgoingMessage> messages;
  for (const FeedEvent& fe : page.events) {
    DeliveredEvent d{FormatPosition(fe.position), fe.event.type,
                     Project(fe.event.payload, subscriber_->fields).dump()};
    kafka::OutgoingMessage m;
    m.topic = topic_;
    m.partition = 0;
    m.key = fe.event.payload["record"]["business_key"].get<std::string>();
    CRVS_ASSIGN_OR_RETURN(m.value, cipher_->Seal(d.payload_json, m.key));
    m.headers = {{kFeedPositionHeader, d.id},
                 {kEventTypeHeader, d.type},
                 {crypto::kKeyIdHeader, cipher_->keyring().active_id()}};
    messages.push_back(std::move(m));
    delivered.push_back(std::move(d));
  }
  // Durable first: the events handed out must not be undone by a database crash.
  CRVS_RETURN_IF_ERROR(RecordDelivery(*store_, *subscriber_, delivered,
                                      page.events.back().position, "kafka", absl::Now()));

  // Produce in order and wait for every outcome (idempotent producer: in order, no duplicates
  // on retries; a failure leaves a gap only at the end, which the tail read finds).
  std::mutex done_mu;
  std::condition_variable done_cv;
  size_t queued = 0, completed = 0;
  absl::Status failure;
  for (auto& m : messages) {
    absl::Status status;
    do {
      status = producer_->Produce(m, [&](const kafka::Delivery& d) {  // a copy: retried
        std::lock_guard<std::mutex> lock(done_mu);
        if (!d.status.ok() && failure.ok()) failure = d.status;
        ++completed;
        done_cv.notify_all();
      });
      if (absl::IsResourceExhausted(status)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    } while (absl::IsResourceExhausted(status));
    std::lock_guard<std::mutex> lock(done_mu);
    if (!status.ok()) {
      if (failure.ok()) failure = status;
      break;  // the rest are not queued: the tail read finds where the topic ends
    }
    ++queued;
  }
  {
    // Every callback has run before the locals they use go away.
    std::unique_lock<std::mutex> lock(done_mu);
    done_cv.wait(lock, [&] { return completed == queued; });
  }
  if (!failure.ok()) {
    platform::MutexLock lock(&mu_);
    need_tail_ = true;  // what reached the topic is what its last message says
    return failure;
  }
  {
    platform::MutexLock lock(&mu_);
    published_ = page.events.back().position;
    scanned_ = page.scanned_to;
    more_ = page.more;
  }
  events_published_ += static_cast<int64_t>(messages.size());
  // A subscriber that also pulls keeps its cursor for the pull (what it acknowledged there);
  // its Kafka position is its topic's last message.
  if (!subscriber_->delivery.count("pull")) {
    CRVS_RETURN_IF_ERROR(
        RecordPublished(*store_, subscriber_->name, page.events.back().position));
  }
  return static_cast<int>(messages.size());
}

absl::Status KafkaRelay::RecordError(const absl::Status& error) {
  logging::Get("feeds")->warn("kafka relay subscriber={} topic={} error=\"{}\"", subscriber_->name,
                              topic_, error.ToString());
  return RecordFeedError(*store_, subscriber_->name, error.ToString());
}

void KafkaRelay::Loop() {
  absl::Duration backoff = options_.poll_interval;
  while (!stop_.load()) {
    auto sent = RunOnce();
    if (!sent.ok()) {
      (void)RecordError(sent.status());
      backoff = std::min(backoff * 2, absl::Seconds(30));
    } else {
      backoff = options_.poll_interval;
      bool more;
      {
        platform::MutexLock lock(&mu_);
        more = more_;
      }
      if (more) continue;  // more waiting: no pause
    }
    const auto until = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(backoff);
    while (!stop_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace crvs::feeds
