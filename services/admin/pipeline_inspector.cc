#include "services/admin/pipeline_inspector.h"

#include <librdkafka/rdkafka.h>

#include <absl/strings/str_cat.h>
#include <google/protobuf/util/time_util.h>

#include <map>

#include "connectors/kafka/producer.h"
#include "connectors/kafka/topic_admin.h"
#include "services/platform/status.h"
#include "services/store/sql.h"

namespace crvs::admin {
namespace {

using google::protobuf::util::TimeUtil;

absl::StatusOr<rd_kafka_t*> NewConsumer(const kafka::KafkaConfig& kafka,
                                        const std::string& bootstrap, const std::string& group) {
  auto conf = kafka::MakeClientConfig(
      kafka, bootstrap,
      {{"group.id", group}, {"enable.auto.commit", "false"}, {"auto.offset.reset", "earliest"}});
  if (!conf.ok()) return conf.status();
  char err[512];
  rd_kafka_t* rk =
      rd_kafka_new(RD_KAFKA_CONSUMER, static_cast<rd_kafka_conf_t*>(conf->get()), err, sizeof err);
  if (rk == nullptr) return absl::InvalidArgumentError(std::string("kafka: ") + err);
  conf.value().release();
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PipelineInspector>> PipelineInspector::Create(
    const kafka::KafkaConfig& kafka, const std::string& bootstrap,
    std::vector<InspectedTopic> topics, store::Store* store) {
  std::unique_ptr<PipelineInspector> p(new PipelineInspector());
  p->kafka_ = kafka;
  p->bootstrap_ = bootstrap;
  p->topics_ = std::move(topics);
  p->store_ = store;
  CRVS_ASSIGN_OR_RETURN(p->peeker_, NewConsumer(kafka, bootstrap, "crvs-admin-peek"));
  return p;
}

PipelineInspector::~PipelineInspector() {
  for (auto& [group, rk] : handles_) rd_kafka_destroy(rk);
  if (peeker_ != nullptr) rd_kafka_destroy(peeker_);
}

rd_kafka_t* PipelineInspector::HandleFor(const std::string& group) {
  auto it = handles_.find(group);
  if (it != handles_.end()) return it->second;
  auto rk = NewConsumer(kafka_, bootstrap_, group);
  if (!rk.ok()) return nullptr;
  handles_[group] = *rk;
  return *rk;
}

std::optional<absl::Time> PipelineInspector::ReceivedAt(const std::string& topic,
                                                        int32_t partition, int64_t offset) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
  rd_kafka_assign(peeker_, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::optional<absl::Time> out;
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  while (!out && absl::Now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(peeker_, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->partition == partition) {
      // The value is sealed (personal data): the envelope's received_at travels in a header.
      const void* value = nullptr;
      size_t size = 0;
      rd_kafka_headers_t* headers = nullptr;
      google::protobuf::Timestamp received;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, "crvs-received-at", &value, &size) ==
              RD_KAFKA_RESP_ERR_NO_ERROR &&
          value != nullptr &&
          TimeUtil::FromString(std::string(static_cast<const char*>(value), size), &received)) {
        out = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(received));
      } else {
        out = absl::FromUnixMillis(rd_kafka_message_timestamp(m, nullptr));  // no such header
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_assign(peeker_, nullptr);
  return out;
}

absl::StatusOr<std::vector<v1::PartitionStatus>> PipelineInspector::Inspect(
    records::v1::RecordKind kind, absl::Time now) {
  platform::MutexLock lock(&mu_);
  std::vector<v1::PartitionStatus> out;
  for (const InspectedTopic& t : topics_) {
    if (kind != records::v1::RECORD_KIND_UNSPECIFIED && t.kind != kind) continue;
    rd_kafka_t* rk = HandleFor(t.group);
    if (rk == nullptr) return absl::UnavailableError("kafka: cannot create a client");
    CRVS_ASSIGN_OR_RETURN(int partitions, kafka::PartitionCount(rk, t.topic, absl::Seconds(5)));
    std::map<int32_t, int64_t> committed;
    if (t.offsets_in_database) {
      CRVS_ASSIGN_OR_RETURN(auto stored, store_->LoadOffsets(store::ConsumerGroup(t.group),
                                                             store::Topic(t.topic)));
      for (const auto& [p, o] : stored) committed[p.value()] = o.value();
    } else {
      rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
      for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, t.topic.c_str(), p);
      if (rd_kafka_committed(rk, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < list->cnt; ++i) {
          if (list->elems[i].offset >= 0) committed[list->elems[i].partition] = list->elems[i].offset;
        }
      }
      rd_kafka_topic_partition_list_destroy(list);
    }
    for (int p = 0; p < partitions; ++p) {
      int64_t low = 0, high = 0;
      if (rd_kafka_query_watermark_offsets(rk, t.topic.c_str(), p, &low, &high, 5000) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        return absl::UnavailableError(
            absl::StrCat("kafka: no watermarks for ", t.topic, "[", p, "]"));
      }
      v1::PartitionStatus& s = out.emplace_back();
      s.set_kind(t.kind);
      s.set_topic(t.topic);
      s.set_partition(p);
      s.set_consumer_group(t.group);
      auto c = committed.find(p);
      s.set_committed_offset(c == committed.end() ? -1 : c->second);
      s.set_high_watermark(high);
      s.set_log_start_offset(low);
      // Nothing committed yet: everything retained is still to read.
      const int64_t from = c == committed.end() ? low : c->second;
      s.set_lag_messages(std::max<int64_t>(0, high - from));
      s.set_behind_log_start(c != committed.end() && c->second < low);
      if (s.lag_messages() > 0) {
        std::optional<absl::Time> oldest = ReceivedAt(t.topic, p, std::max(from, low));
        if (oldest) s.set_lag_seconds(std::max(0.0, absl::ToDoubleSeconds(now - *oldest)));
      }
    }
  }
  return out;
}

}  // namespace crvs::admin
