#include "connectors/kafka/consumer.h"

#include <algorithm>

#include <librdkafka/rdkafka.h>

#include "connectors/kafka/producer.h"
#include "services/platform/status.h"

namespace crvs::kafka {
namespace {

using List = std::unique_ptr<rd_kafka_topic_partition_list_t,
                             decltype(&rd_kafka_topic_partition_list_destroy)>;

List MakeList(const std::map<model::TopicPartition, int64_t>& offsets) {
  List list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())),
            &rd_kafka_topic_partition_list_destroy);
  for (const auto& [tp, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.value().c_str(), tp.partition.value())
        ->offset = offset;
  }
  return list;
}

List MakeList(const std::vector<model::TopicPartition>& partitions) {
  List list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())),
            &rd_kafka_topic_partition_list_destroy);
  for (const auto& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.value().c_str(), tp.partition.value())
        ->offset = RD_KAFKA_OFFSET_INVALID;
  }
  return list;
}

model::TopicPartition PartitionOf(const rd_kafka_topic_partition_t& p) {
  return {model::Topic(p.topic), model::Partition(p.partition)};
}

std::vector<model::TopicPartition> PartitionsOf(const rd_kafka_topic_partition_list_t* list) {
  std::vector<model::TopicPartition> out;
  if (list == nullptr) return out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) out.push_back(PartitionOf(list->elems[i]));
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

absl::Status KafkaConsumer::Assign(const StartOffsets& starts) {
  std::map<model::TopicPartition, int64_t> raw;
  for (const auto& [tp, start] : starts) {
    raw[tp] = start.has_value() ? start->value() : RD_KAFKA_OFFSET_BEGINNING;
  }
  return AssignRaw(raw);
}

absl::Status KafkaConsumer::AssignRaw(const std::map<model::TopicPartition, int64_t>& starts) {
  List list = MakeList(starts);
  CRVS_RETURN_IF_ERROR(KafkaError("kafka assign", rd_kafka_assign(rk_, list.get())));
  starts_ = starts;
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Unassign() {
  starts_.clear();
  paused_.clear();
  return KafkaError("kafka unassign", rd_kafka_assign(rk_, nullptr));
}

absl::StatusOr<std::vector<model::TopicPartition>> KafkaConsumer::Assignment() {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  absl::Status st = KafkaError("kafka assignment", rd_kafka_assignment(rk_, &assigned));
  if (!st.ok()) return st;
  std::vector<model::TopicPartition> out = PartitionsOf(assigned);
  rd_kafka_topic_partition_list_destroy(assigned);
  return out;
}

absl::Status KafkaConsumer::Seek(const model::TopicPartition& partition, model::Offset offset,
                                 std::chrono::milliseconds timeout) {
  List list = MakeList({{partition, offset.value()}});
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
    return Reassign(partition, offset);
  }
  CRVS_RETURN_IF_ERROR(KafkaError("kafka seek", list->elems[0].err));
  starts_[partition] = offset.value();
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Reassign(const model::TopicPartition& moved, model::Offset to) {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  CRVS_RETURN_IF_ERROR(KafkaError("kafka assignment", rd_kafka_assignment(rk_, &assigned)));
  List owned(assigned, &rd_kafka_topic_partition_list_destroy);
  CRVS_RETURN_IF_ERROR(KafkaError("kafka position", rd_kafka_position(rk_, assigned)));
  std::map<model::TopicPartition, int64_t> starts;
  bool found = false;
  for (int i = 0; i < assigned->cnt; ++i) {
    const model::TopicPartition tp = PartitionOf(assigned->elems[i]);
    int64_t offset = assigned->elems[i].offset;
    if (tp == moved) {
      offset = to.value();
      found = true;
    } else if (offset < 0) {
      auto it = starts_.find(tp);
      offset = it != starts_.end() ? it->second : RD_KAFKA_OFFSET_INVALID;
    }
    starts[tp] = offset;
  }
  if (!found) {
    return absl::FailedPreconditionError("kafka seek: " + moved.topic.value() + " [" +
                                         std::to_string(moved.partition.value()) +
                                         "] is not assigned");
  }
  const std::set<model::TopicPartition> paused = paused_;
  CRVS_RETURN_IF_ERROR(AssignRaw(starts));
  if (!paused.empty()) return Pause({paused.begin(), paused.end()});
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Pause(const std::vector<model::TopicPartition>& partitions) {
  List list = MakeList(partitions);
  CRVS_RETURN_IF_ERROR(KafkaError("kafka pause", rd_kafka_pause_partitions(rk_, list.get())));
  paused_.insert(partitions.begin(), partitions.end());
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Resume(const std::vector<model::TopicPartition>& partitions) {
  List list = MakeList(partitions);
  CRVS_RETURN_IF_ERROR(KafkaError("kafka resume", rd_kafka_resume_partitions(rk_, list.get())));
  for (const auto& tp : partitions) paused_.erase(tp);
  return absl::OkStatus();
}

absl::StatusOr<Watermarks> KafkaConsumer::QueryWatermarks(const model::TopicPartition& partition,
                                                          std::chrono::milliseconds timeout) {
  int64_t low = 0, high = 0;
  absl::Status st = KafkaError(
      "kafka watermarks",
      rd_kafka_query_watermark_offsets(rk_, partition.topic.value().c_str(),
                                       partition.partition.value(), &low, &high,
                                       static_cast<int>(timeout.count())));
  if (!st.ok()) return st;
  return Watermarks{model::Offset(low), model::Offset(high)};
}

absl::StatusOr<Watermarks> KafkaConsumer::CachedWatermarks(const model::TopicPartition& partition) {
  int64_t low = 0, high = 0;
  absl::Status st = KafkaError(
      "kafka watermarks", rd_kafka_get_watermark_offsets(rk_, partition.topic.value().c_str(),
                                                         partition.partition.value(), &low, &high));
  if (!st.ok()) return st;
  return Watermarks{model::Offset(low), model::Offset(high)};
}

absl::StatusOr<NextOffsets> KafkaConsumer::Committed(
    const std::vector<model::TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  List list = MakeList(partitions);
  absl::Status st = KafkaError(
      "kafka committed offsets",
      rd_kafka_committed(rk_, list.get(), static_cast<int>(timeout.count())));
  if (!st.ok()) return st;
  NextOffsets out;
  for (int i = 0; i < list->cnt; ++i) {
    // Never committed: RD_KAFKA_OFFSET_INVALID.
    if (list->elems[i].offset < 0) continue;
    out[PartitionOf(list->elems[i])] = model::Offset(list->elems[i].offset);
  }
  return out;
}

absl::Status KafkaConsumer::Commit(const NextOffsets& offsets, bool async) {
  if (offsets.empty()) return absl::OkStatus();
  std::map<model::TopicPartition, int64_t> raw;
  for (const auto& [tp, offset] : offsets) raw[tp] = offset.value();
  List list = MakeList(raw);
  return KafkaError("kafka commit", rd_kafka_commit(rk_, list.get(), async ? 1 : 0));
}

void KafkaConsumer::Close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_);
}

std::chrono::milliseconds HeartbeatIntervalFor(std::chrono::milliseconds session_timeout) {
  constexpr int64_t kHeartbeatsPerSession = 5;
  constexpr std::chrono::milliseconds kMinHeartbeatInterval{100};
  return std::max(session_timeout / kHeartbeatsPerSession, kMinHeartbeatInterval);
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
