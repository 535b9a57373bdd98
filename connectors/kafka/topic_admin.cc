#include "connectors/kafka/topic_admin.h"

#include <librdkafka/rdkafka.h>

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "connectors/kafka/producer.h"

namespace crvs::kafka {
namespace {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

absl::StatusOr<Handle> AdminHandle(const KafkaConfig& kafka, const std::string& bootstrap) {
  auto conf = MakeClientConfig(kafka, bootstrap, {});
  if (!conf.ok()) return conf.status();
  char err[512];
  Handle rk(rd_kafka_new(RD_KAFKA_PRODUCER, static_cast<rd_kafka_conf_t*>(conf->get()), err,
                         sizeof err));
  if (!rk) return absl::InvalidArgumentError(std::string("kafka: ") + err);
  conf->release();  // rd_kafka_new took ownership
  return rk;
}

// Waits for the Admin API's answer on `queue`: an event of `type`, or an error naming `what`.
absl::StatusOr<Event> AwaitResult(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                                  absl::Duration timeout, const std::string& what) {
  Event event(rd_kafka_queue_poll(queue, static_cast<int>(absl::ToInt64Milliseconds(timeout))));
  if (!event) {
    return absl::DeadlineExceededError(what + ": no answer from Kafka within " +
                                       absl::FormatDuration(timeout));
  }
  if (rd_kafka_event_type(event.get()) != type || rd_kafka_event_error(event.get())) {
    return absl::UnavailableError(what + ": " + rd_kafka_event_error_string(event.get()));
  }
  return event;
}

std::unique_ptr<rd_kafka_AdminOptions_t, void (*)(rd_kafka_AdminOptions_t*)> Options(
    rd_kafka_t* rk, rd_kafka_admin_op_t op, absl::Duration timeout) {
  std::unique_ptr<rd_kafka_AdminOptions_t, void (*)(rd_kafka_AdminOptions_t*)> options(
      rd_kafka_AdminOptions_new(rk, op), rd_kafka_AdminOptions_destroy);
  char err[256];
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  rd_kafka_AdminOptions_set_request_timeout(options.get(), ms, err, sizeof err);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), ms, err, sizeof err);
  return options;
}

}  // namespace

std::vector<TopicSpec> ProductTopics(const KafkaConfig& kafka, int partitions,
                                     int replication_factor) {
  std::vector<TopicSpec> topics;
  for (const auto& name : kafka.AllTopics()) {
    TopicSpec spec{name, partitions, replication_factor, {}};
    if (replication_factor >= 3) spec.configs.emplace_back("min.insync.replicas", "2");
    if (name == kafka.topic_court_positions) spec.configs.emplace_back("cleanup.policy", "compact");
    topics.push_back(std::move(spec));
  }
  return topics;
}

absl::StatusOr<CreatedTopics> CreateTopics(const KafkaConfig& kafka, const std::string& bootstrap,
                                           const std::vector<TopicSpec>& topics,
                                           absl::Duration timeout) {
  auto rk = AdminHandle(kafka, bootstrap);
  if (!rk.ok()) return rk.status();
  std::vector<rd_kafka_NewTopic_t*> requests;
  auto free_requests = [&] { rd_kafka_NewTopic_destroy_array(requests.data(), requests.size()); };
  char err[512];
  for (const auto& t : topics) {
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, err, sizeof err);
    if (nt == nullptr) {
      free_requests();
      return absl::InvalidArgumentError("topic " + t.name + ": " + err);
    }
    requests.push_back(nt);
    for (const auto& [name, value] : t.configs) {
      rd_kafka_NewTopic_set_config(nt, name.c_str(), value.c_str());
    }
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk->get()));
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  rd_kafka_CreateTopics(rk->get(), requests.data(), requests.size(), options.get(), queue.get());
  free_requests();
  auto event = AwaitResult(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT,
                           timeout + absl::Seconds(5), "creating topics");
  if (!event.ok()) return event.status();
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(event->get()), &n);
  CreatedTopics out;
  for (size_t i = 0; i < n; ++i) {
    const std::string name = rd_kafka_topic_result_name(results[i]);
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.created.push_back(name);
    } else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      out.existing.push_back(name);
    } else {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      return absl::FailedPreconditionError("topic " + name + ": " +
                                           (why != nullptr ? why : rd_kafka_err2str(e)));
    }
  }
  return out;
}

absl::Status DeleteTopics(const KafkaConfig& kafka, const std::string& bootstrap,
                          const std::vector<std::string>& names, absl::Duration timeout) {
  auto rk = AdminHandle(kafka, bootstrap);
  if (!rk.ok()) return rk.status();
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const auto& name : names) requests.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk->get()));
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout);
  rd_kafka_DeleteTopics(rk->get(), requests.data(), requests.size(), options.get(), queue.get());
  rd_kafka_DeleteTopic_destroy_array(requests.data(), requests.size());
  auto event = AwaitResult(queue.get(), RD_KAFKA_EVENT_DELETETOPICS_RESULT,
                           timeout + absl::Seconds(5), "deleting topics");
  if (!event.ok()) return event.status();
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(event->get()), &n);
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::FailedPreconditionError(std::string("topic ") +
                                           rd_kafka_topic_result_name(results[i]) + ": " +
                                           rd_kafka_topic_result_error_string(results[i]));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  std::string reason;
  while (true) {
    const int timeout_ms = static_cast<int>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(deadline - absl::Now()), 100, 5000));
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) e = md->topics[0].err;
    const int partitions = e == RD_KAFKA_RESP_ERR_NO_ERROR ? md->topics[0].partition_cnt : 0;
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    if (partitions > 0) return partitions;
    reason = e != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(e) : "no partitions";
    if (absl::Now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return absl::UnavailableError("kafka: no metadata for topic " + topic + " within " +
                                absl::FormatDuration(wait) + " (" + reason +
                                "); does it exist? `crvs topics create` makes the product's topics");
}

absl::StatusOr<bool> TopicExists(const KafkaConfig& kafka, const std::string& bootstrap,
                                 const std::string& topic, absl::Duration wait) {
  auto rk = AdminHandle(kafka, bootstrap);
  if (!rk.ok()) return rk.status();
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(wait);
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  do {
    const rd_kafka_metadata_t* md = nullptr;
    err = rd_kafka_metadata(rk->get(), /*all_topics=*/1, nullptr, &md, 5000);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bool found = false;
      for (int i = 0; i < md->topic_cnt; ++i) {
        found = found || (topic == md->topics[i].topic &&
                          md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR);
      }
      rd_kafka_metadata_destroy(md);
      return found;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  return absl::UnavailableError(absl::StrCat("kafka: no metadata to find topic ", topic, ": ",
                                             rd_kafka_err2str(err)));
}

std::string TailMessage::Header(const std::string& name) const {
  std::string out;
  for (const auto& [n, v] : headers) {
    if (n == name) out = v;
  }
  return out;
}

absl::StatusOr<std::optional<TailMessage>> ReadLastMessage(const KafkaConfig& kafka,
                                                           const std::string& bootstrap,
                                                           const std::string& topic,
                                                           int partition, absl::Duration wait) {
  auto conf = MakeClientConfig(kafka, bootstrap,
                               {{"group.id", "crvs-tail-reader"},
                                {"enable.auto.commit", "false"},
                                {"enable.partition.eof", "true"}});
  if (!conf.ok()) return conf.status();
  char err[512];
  Handle rk(rd_kafka_new(RD_KAFKA_CONSUMER, static_cast<rd_kafka_conf_t*>(conf->get()), err,
                         sizeof err));
  if (rk == nullptr) return absl::InvalidArgumentError(std::string("kafka: ") + err);
  conf.value().release();
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(wait);
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
  do {
    e = rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), partition, &low, &high, 5000);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka: the end of ", topic, "[", partition,
                                               "] is unknown: ", rd_kafka_err2str(e)));
  }
  if (high <= low) return std::optional<TailMessage>();
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = high - 1;
  rd_kafka_assign(rk.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  std::optional<TailMessage> out;
  while (!out && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset == high - 1) {
      TailMessage t;
      t.offset = m->offset;
      if (m->key) t.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) t.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          t.headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size)
                                             : std::string());
        }
      }
      out = std::move(t);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk.get());
  if (!out) {
    return absl::UnavailableError(absl::StrCat("kafka: could not read the last message of ",
                                               topic, "[", partition, "] at offset ", high - 1));
  }
  return out;
}

}  // namespace crvs::kafka
