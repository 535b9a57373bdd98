#include "connectors/kafka/consumer.h"

#include <librdkafka/rdkafka.h>

#include "connectors/kafka/producer.h"
#include "services/platform/status.h"

namespace crvs::kafka {
namespace {

using List = std::unique_ptr<rd_kafka_topic_partition_list_t,
                             decltype(&rd_kafka_topic_partition_list_destroy)>;

List MakeList(const std::vector<PartitionOffset>& partitions) {
  List list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())),
            &rd_kafka_topic_partition_list_destroy);
  for (const auto& p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), p.partition.topic.c_str(),
                                      p.partition.partition)
        ->offset = p.offset;
  }
  return list;
}

List MakeList(const std::vector<TopicPartition>& partitions) {
  std::vector<PartitionOffset> with_offsets;
  with_offsets.reserve(partitions.size());
  for (const auto& p : partitions) with_offsets.push_back({p, kOffsetInvalid});
  return MakeList(with_offsets);
}

std::vector<TopicPartition> PartitionsOf(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (list == nullptr) return out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

absl::Status KafkaError(const std::string& what, rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return absl::UnavailableError(what + ": " + rd_kafka_err2str(err));
}

ConsumedMessage Convert(const rd_kafka_message_t* m) {
  ConsumedMessage out;
  out.topic = m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "";
  out.partition = m->partition;
  out.offset = m->offset;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    switch (m->err) {
      case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
        out.error = ConsumedMessage::Error::kOffsetOutOfRange;
        break;
      case RD_KAFKA_RESP_ERR__PARTITION_EOF:
        out.error = ConsumedMessage::Error::kPartitionEof;
        break;
      default:
        out.error = ConsumedMessage::Error::kOther;
    }
    out.error_message = rd_kafka_message_errstr(m);
    return out;
  }
  if (m->key != nullptr) out.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload != nullptr) out.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i) {
      out.headers.emplace_back(
          name, value != nullptr ? std::string(static_cast<const char*>(value), size) : "");
    }
  }
  out.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(
    const KafkaConfig& kafka, const std::string& bootstrap_servers,
    const std::vector<std::pair<std::string, std::string>>& settings) {
  auto conf = MakeClientConfig(kafka, bootstrap_servers, settings);
  if (!conf.ok()) return conf.status();
  std::unique_ptr<KafkaConsumer> consumer(new KafkaConsumer());
  auto* c = static_cast<rd_kafka_conf_t*>(conf->get());
  rd_kafka_conf_set_opaque(c, consumer.get());
  rd_kafka_conf_set_rebalance_cb(
      c, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
            void* opaque) { static_cast<KafkaConsumer*>(opaque)->OnRebalance(err, parts); });
  char err[512];
  consumer->rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  if (consumer->rk_ == nullptr) return absl::InvalidArgumentError(std::string("kafka: ") + err);
  conf.value().release();  // owned by rk_ now
  rd_kafka_poll_set_consumer(consumer->rk_);
  return consumer;
}

KafkaConsumer::~KafkaConsumer() {
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

void KafkaConsumer::OnRebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
  if (listener_ == nullptr) {  // not subscribed through us: take what the group decides
    rd_kafka_assign(rk_, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? partitions : nullptr);
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    listener_->OnAssigned(PartitionsOf(partitions));
  } else {
    listener_->OnRevoked(PartitionsOf(partitions));
  }
}

absl::Status KafkaConsumer::Subscribe(const std::vector<std::string>& topics,
                                      RebalanceListener* listener) {
  listener_ = listener;
  List list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())),
            &rd_kafka_topic_partition_list_destroy);
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  return KafkaError("kafka subscribe", rd_kafka_subscribe(rk_, list.get()));
}

std::optional<ConsumedMessage> KafkaConsumer::Poll(std::chrono::milliseconds timeout) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, static_cast<int>(timeout.count()));
  if (m == nullptr) return std::nullopt;
  ConsumedMessage out = Convert(m);
  rd_kafka_message_destroy(m);
  return out;
}

absl::Status KafkaConsumer::Assign(const std::vector<PartitionOffset>& partitions) {
  List list = MakeList(partitions);
  CRVS_RETURN_IF_ERROR(KafkaError("kafka assign", rd_kafka_assign(rk_, list.get())));
  starts_.clear();
  for (const auto& p : partitions) starts_[p.partition] = p.offset;
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Unassign() {
  starts_.clear();
  paused_.clear();
  return KafkaError("kafka unassign", rd_kafka_assign(rk_, nullptr));
}

absl::StatusOr<std::vector<TopicPartition>> KafkaConsumer::Assignment() {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  absl::Status st = KafkaError("kafka assignment", rd_kafka_assignment(rk_, &assigned));
  if (!st.ok()) return st;
  std::vector<TopicPartition> out = PartitionsOf(assigned);
  rd_kafka_topic_partition_list_destroy(assigned);
  return out;
}

absl::Status KafkaConsumer::Seek(const PartitionOffset& partition,
                                 std::chrono::milliseconds timeout) {
  List list = MakeList(std::vector<PartitionOffset>{partition});
  rd_kafka_error_t* error =
      rd_kafka_seek_partitions(rk_, list.get(), static_cast<int>(timeout.count()));
  if (error != nullptr) {
    absl::Status st = absl::UnavailableError(std::string("kafka seek: ") + rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return st;
  }
  if (list->elems[0].err == RD_KAFKA_RESP_ERR__STATE) {
    // After an out-of-range error with auto.offset.reset=error librdkafka stops fetching the
    // partition and refuses to seek it ("Local: Erroneous state"; rd_kafka_toppar_seek): assign
    // the whole assignment again, this partition at `offset`, the others where the application
    // stands (rd_kafka_position), or where they were last started when nothing was returned.
    return Reassign(partition);
  }
  CRVS_RETURN_IF_ERROR(KafkaError("kafka seek", list->elems[0].err));
  starts_[partition.partition] = partition.offset;
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Reassign(const PartitionOffset& moved) {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  CRVS_RETURN_IF_ERROR(KafkaError("kafka assignment", rd_kafka_assignment(rk_, &assigned)));
  List owned(assigned, &rd_kafka_topic_partition_list_destroy);
  CRVS_RETURN_IF_ERROR(KafkaError("kafka position", rd_kafka_position(rk_, assigned)));
  std::vector<PartitionOffset> starts;
  bool found = false;
  for (int i = 0; i < assigned->cnt; ++i) {
    const TopicPartition tp{assigned->elems[i].topic, assigned->elems[i].partition};
    int64_t offset = assigned->elems[i].offset;
    if (tp == moved.partition) {
      offset = moved.offset;
      found = true;
    } else if (offset < 0) {
      auto it = starts_.find(tp);
      offset = it != starts_.end() ? it->second : kOffsetInvalid;
    }
    starts.push_back({tp, offset});
  }
  if (!found) {
    return absl::FailedPreconditionError("kafka seek: " + moved.partition.topic + " [" +
                                         std::to_string(moved.partition.partition) +
                                         "] is not assigned");
  }
  const std::set<TopicPartition> paused = paused_;
  CRVS_RETURN_IF_ERROR(Assign(starts));
  if (!paused.empty()) return Pause({paused.begin(), paused.end()});
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Pause(const std::vector<TopicPartition>& partitions) {
  List list = MakeList(partitions);
  CRVS_RETURN_IF_ERROR(KafkaError("kafka pause", rd_kafka_pause_partitions(rk_, list.get())));
  paused_.insert(partitions.begin(), partitions.end());
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Resume(const std::vector<TopicPartition>& partitions) {
  List list = MakeList(partitions);
  CRVS_RETURN_IF_ERROR(KafkaError("kafka resume", rd_kafka_resume_partitions(rk_, list.get())));
  for (const auto& tp : partitions) paused_.erase(tp);
  return absl::OkStatus();
}

absl::StatusOr<Watermarks> KafkaConsumer::QueryWatermarks(const TopicPartition& partition,
                                                          std::chrono::milliseconds timeout) {
  Watermarks w;
  absl::Status st = KafkaError(
      "kafka watermarks",
      rd_kafka_query_watermark_offsets(rk_, partition.topic.c_str(), partition.partition, &w.low,
                                       &w.high, static_cast<int>(timeout.count())));
  if (!st.ok()) return st;
  return w;
}

absl::StatusOr<Watermarks> KafkaConsumer::CachedWatermarks(const TopicPartition& partition) {
  Watermarks w;
  absl::Status st = KafkaError("kafka watermarks",
                               rd_kafka_get_watermark_offsets(rk_, partition.topic.c_str(),
                                                              partition.partition, &w.low, &w.high));
  if (!st.ok()) return st;
  return w;
}

absl::StatusOr<std::vector<PartitionOffset>> KafkaConsumer::Committed(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  List list = MakeList(partitions);
  absl::Status st = KafkaError(
      "kafka committed offsets",
      rd_kafka_committed(rk_, list.get(), static_cast<int>(timeout.count())));
  if (!st.ok()) return st;
  std::vector<PartitionOffset> out;
  out.reserve(partitions.size());
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({{list->elems[i].topic, list->elems[i].partition}, list->elems[i].offset});
  }
  return out;
}

absl::Status KafkaConsumer::Commit(const std::vector<PartitionOffset>& offsets, bool async) {
  if (offsets.empty()) return absl::OkStatus();
  List list = MakeList(offsets);
  return KafkaError("kafka commit", rd_kafka_commit(rk_, list.get(), async ? 1 : 0));
}

void KafkaConsumer::Close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_);
}

bool SetFetchPaused(Consumer& consumer, bool paused) {
  auto assigned = consumer.Assignment();
  if (!assigned.ok()) return false;
  if (paused) {
    consumer.Pause(*assigned).IgnoreError();
  } else {
    consumer.Resume(*assigned).IgnoreError();
  }
  return true;
}

}  // namespace crvs::kafka
