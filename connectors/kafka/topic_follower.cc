#include "connectors/kafka/topic_follower.h"

#include <librdkafka/rdkafka.h>

#include "connectors/kafka/producer.h"
#include "connectors/kafka/topic_admin.h"
#include "services/platform/logging.h"

namespace crvs::kafka {
namespace {

// How long a start-up waits for the followed topic's metadata: a topic created a moment ago may
// not have reached every broker yet.
constexpr absl::Duration kMetadataWait = absl::Seconds(30);

}  // namespace

absl::StatusOr<std::unique_ptr<TopicFollower>> TopicFollower::Start(
    const KafkaConfig& kafka, const std::string& bootstrap_servers, const std::string& topic,
    Handler handler) {
  auto conf = MakeClientConfig(kafka, bootstrap_servers,
                               {{"group.id", "crvs-follower-" + topic},
                                {"enable.auto.commit", "false"},
                                {"enable.partition.eof", "true"},
                                {"auto.offset.reset", "earliest"}});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<TopicFollower> f(new TopicFollower());
  f->topic_ = topic;
  f->handler_ = std::move(handler);
  char err[512];
  f->consumer_ =
      rd_kafka_new(RD_KAFKA_CONSUMER, static_cast<rd_kafka_conf_t*>(conf->get()), err, sizeof err);
  if (f->consumer_ == nullptr) return absl::InvalidArgumentError(std::string("kafka: ") + err);
  conf.value().release();
  rd_kafka_poll_set_consumer(f->consumer_);

  // Every follower reads every partition from the start: no group assignment, no commits.
  auto counted = PartitionCount(f->consumer_, topic, kMetadataWait);
  if (!counted.ok()) return counted.status();
  const int partitions = *counted;
  auto* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(f->consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  {
    platform::MutexLock lock(&f->mu_);
    f->partitions_behind_ = partitions;
  }
  f->thread_ = std::thread([raw = f.get()] { raw->Run(); });
  return f;
}

TopicFollower::~TopicFollower() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (consumer_ != nullptr) {
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
  }
}

bool TopicFollower::WaitCaughtUp(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  platform::MutexLock lock(&mu_);
  while (partitions_behind_ > 0) {
    if (!caught_up_cv_.WaitUntil(&mu_, deadline)) return partitions_behind_ <= 0;
  }
  return true;
}

void TopicFollower::Run() {
  auto log = logging::Get("kafka");
  while (!stop_.load()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      FollowedMessage msg;
      if (m->key) msg.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) msg.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i) {
          msg.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      handler_(msg);
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      platform::MutexLock lock(&mu_);
      if (--partitions_behind_ == 0) caught_up_cv_.SignalAll();
    } else {
      log->warn("following topic={} error={}", topic_, rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
}

}  // namespace crvs::kafka
