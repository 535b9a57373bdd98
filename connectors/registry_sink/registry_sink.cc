#include "connectors/registry_sink/registry_sink.h"

#include "connectors/kafka/pause.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <thread>

#include <google/protobuf/util/time_util.h>

#include "connectors/registry_sink/decode.h"
#include "services/platform/backoff.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/records/records.h"

namespace crvs::sink {
namespace {

using Clock = std::chrono::steady_clock;

auto Log() {
  static auto log = logging::Get("sink");
  return log;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

store::KafkaMessage ToKafkaMessage(const rd_kafka_message_t* m) {
  store::KafkaMessage out;
  out.topic_partition = {store::Topic(rd_kafka_topic_name(m->rkt)), store::Partition(m->partition)};
  out.offset = store::Offset(m->offset);
  if (m->key) out.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) out.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i) {
      out.headers.push_back({name, std::string(static_cast<const char*>(value), size)});
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegistrySink>> RegistrySink::Start(
    const SinkConfig& config, const kafka::KafkaConfig& kafka, const std::string& bootstrap,
    Deps deps) {
  std::unique_ptr<RegistrySink> sink(new RegistrySink());
  sink->config_ = config;
  sink->kafka_ = kafka;
  sink->deps_ = deps;
  auto cipher = crypto::LoadPayloadCipher(kafka.crypto);
  if (!cipher.ok()) return cipher.status();
  sink->cipher_ = std::move(*cipher);
  sink->metrics_ = std::make_unique<SinkMetrics>(*deps.registry);

  auto conf = kafka::MakeClientConfig(
      kafka, bootstrap,
      {{"group.id", config.group_id},
       // Positions live in the database; Kafka-committed offsets are informational only.
       {"enable.auto.commit", "false"},
       {"enable.auto.offset.store", "false"},
       // Never jump silently: an out-of-range position is reported to us (see Run).
       {"auto.offset.reset", "error"},
       {"session.timeout.ms", std::to_string(config.session_timeout.count())},
       {"heartbeat.interval.ms", std::to_string(std::max<int64_t>(config.session_timeout.count() / 5, 100))},
       {"fetch.wait.max.ms", std::to_string(config.fetch_max_wait.count())}});
  if (!conf.ok()) return conf.status();
  auto* c = static_cast<rd_kafka_conf_t*>(conf->get());
  rd_kafka_conf_set_opaque(c, sink.get());
  rd_kafka_conf_set_rebalance_cb(
      c, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
            void* opaque) { static_cast<RegistrySink*>(opaque)->OnRebalance(err, parts); });
  char err[512];
  sink->consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  if (sink->consumer_ == nullptr) return absl::InvalidArgumentError(std::string("kafka: ") + err);
  conf.value().release();
  rd_kafka_poll_set_consumer(sink->consumer_);

  std::vector<std::string> topics = {kafka.topic_births, kafka.topic_deaths, kafka.topic_divorces,
                                     kafka.topic_registrations};
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(sink->consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(std::string("kafka subscribe: ") + rd_kafka_err2str(e));
  }
  sink->batch_.group = store::ConsumerGroup(config.group_id);
  sink->thread_ = std::thread([s = sink.get()] { s->Run(); });
  Log()->info("sink started group={} database={} topics={}", config.group_id,
              deps.store->backend(), topics.size());
  return sink;
}

RegistrySink::~RegistrySink() {
  Stop();
  if (consumer_ != nullptr) rd_kafka_destroy(consumer_);
}

void RegistrySink::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::string RegistrySink::NotReady() const {
  int failures = consecutive_failures_.load();
  return failures >= 3 ? "database writes failing (" + std::to_string(failures) + " attempts)" : "";
}

void RegistrySink::Run() {
  batch_started_ = Clock::now();
  while (!stop_.load()) {
    const bool want_paused = paused_.load();
    if (want_paused != fetch_paused_ && kafka::SetFetchPaused(consumer_, want_paused)) {
      fetch_paused_ = want_paused;
      Log()->info("sink {}", fetch_paused_ ? "paused" : "resumed");
    }
    int timeout_ms = 100;
    if (!batch_.records.empty() || !batch_.failures.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          batch_started_ + config_.batch_max_wait - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, timeout_ms);
    if (m != nullptr) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        Add(m);
      } else if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                 m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        HandleOffsetOutOfRange(m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->partition);
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        Log()->warn("consumer error={}", rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    size_t pending = batch_.records.size() + batch_.failures.size();
    if (pending >= static_cast<size_t>(config_.batch_max_records) ||
        (pending > 0 && Clock::now() >= batch_started_ + config_.batch_max_wait)) {
      if (!Flush()) break;
    }
  }
  Flush();
  rd_kafka_consumer_close(consumer_);  // revokes (flushing nothing more) and leaves the group
  Log()->info("sink stopped committed={}", committed_.load());
}

void RegistrySink::Add(rd_kafka_message_t* m) {
  if (batch_.records.empty() && batch_.failures.empty()) batch_started_ = Clock::now();
  store::KafkaMessage message = ToKafkaMessage(m);
  store::TopicPartition tp = message.topic_partition;
  int64_t next = message.offset.value() + 1;
  absl::Time event_time = absl::InfinitePast();
  Decoded decoded =
      Decode(std::move(message), *deps_.reference, *cipher_, kafka_.crypto.accept_unsealed);
  if (auto* record = std::get_if<store::InboundRecord>(&decoded)) {
    event_time = absl::FromUnixSeconds(record->envelope.issued_at().seconds()) +
                 absl::Nanoseconds(record->envelope.issued_at().nanos());
    batch_.records.push_back(std::move(*record));
  } else {
    auto& failure = std::get<store::FailedMessage>(decoded);
    Log()->warn("dead letter topic={} partition={} offset={} class={} error={}",
                failure.message.topic_partition.topic.value(),
                failure.message.topic_partition.partition.value(), failure.message.offset.value(),
                failure.error_class, failure.error_message);
    batch_.failures.push_back(std::move(failure));
  }
  auto& pos = batch_positions_[tp];
  pos.first = next;
  if (event_time != absl::InfinitePast()) pos.second = event_time;
}

bool RegistrySink::Flush() {
  if (batch_.records.empty() && batch_.failures.empty()) return true;
  batch_.offsets.clear();
  for (const auto& [tp, pos] : batch_positions_) {
    batch_.offsets.push_back({tp, store::Offset(pos.first)});
  }
  auto started = Clock::now();
  Backoff backoff(config_.retry_initial_backoff, config_.retry_max_backoff);
  absl::StatusOr<store::BatchResult> result;
  while (true) {
    result = deps_.store->Apply(batch_);
    if (result.ok()) break;
    consecutive_failures_.fetch_add(1);
    metrics_->ApplyFailure(absl::StatusCodeToString(result.status().code()));
    // A permanent error is retried too (with the longest backoff): skipping the batch would
    // lose records, and an operator can fix the database while we wait.
    Log()->error("batch not applied records={} attempt={} error={} retryable={}",
                 batch_.records.size() + batch_.failures.size(), consecutive_failures_.load(),
                 std::string(result.status().message()), IsRetryable(result.status()));
    if (!IsRetryable(result.status())) backoff.UseMax();
    if (stop_.load()) {
      // Nothing committed: the offsets in the database still point at this batch, so the
      // next owner of these partitions consumes it again.
      batch_ = store::ApplyBatch{batch_.group, {}, {}, {}};
      batch_positions_.clear();
      return false;
    }
    backoff.Sleep(stop_);
  }
  consecutive_failures_.store(0);
  size_t count = batch_.records.size() + batch_.failures.size();
  committed_.fetch_add(static_cast<int64_t>(count));
  for (const auto& [kind_outcome, n] : result->counts) {
    metrics_->Applied(records::KindLabel(kind_outcome.first),
                      Lower(store::ApplyOutcomeName(kind_outcome.second)), static_cast<double>(n));
  }
  for (const auto& r : batch_.records) {
    const auto& issued = r.envelope.issued_at();
    absl::Time event = absl::FromUnixSeconds(issued.seconds()) + absl::Nanoseconds(issued.nanos());
    metrics_->EventToCommit(absl::ToDoubleSeconds(result->committed_at - event));
  }
  PublishDeadLetters(batch_, *result);
  UpdateLag(batch_, result->committed_at);
  metrics_->Batch(static_cast<double>(count),
                  std::chrono::duration<double>(Clock::now() - started).count());

  // Informational copy of the positions for Kafka tools (kafka-consumer-groups); the
  // database's offsets are the ones the sink resumes from.
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(batch_.offsets.size()));
  for (const auto& o : batch_.offsets) {
    rd_kafka_topic_partition_list_add(list, o.topic_partition.topic.value().c_str(),
                                      o.topic_partition.partition.value())
        ->offset = o.next_offset.value();
  }
  rd_kafka_commit(consumer_, list, /*async=*/1);
  rd_kafka_topic_partition_list_destroy(list);

  batch_ = store::ApplyBatch{batch_.group, {}, {}, {}};
  batch_positions_.clear();
  return true;
}

void RegistrySink::PublishDeadLetters(const store::ApplyBatch& batch,
                                      const store::BatchResult& result) {
  std::string failed_at = records::FormatTimestamp(google::protobuf::util::TimeUtil::TimeTToTimestamp(
      absl::ToTimeT(result.committed_at)));
  auto publish = [&](const store::KafkaMessage& m, const std::string& error_class,
                     const std::string& error_message) {
    metrics_->DeadLetter(error_class);
    kafka::OutgoingMessage out{kafka_.topic_dead_letters, m.key, m.value, {}};
    for (const auto& h : m.headers) out.headers.emplace_back(h.key, h.value);
    out.headers.emplace_back("crvs-dlq-error-class", error_class);
    // Headers are never sealed: no personal ID in them, whatever a message says.
    out.headers.emplace_back("crvs-dlq-error-message", logging::MaskPersonalIds(error_message));
    out.headers.emplace_back("crvs-dlq-original-topic", m.topic_partition.topic.value());
    out.headers.emplace_back("crvs-dlq-original-partition",
                             std::to_string(m.topic_partition.partition.value()));
    out.headers.emplace_back("crvs-dlq-original-offset", std::to_string(m.offset.value()));
    out.headers.emplace_back("crvs-dlq-failed-at", failed_at);
    // The table row (same transaction as the offsets) is the record of truth; the topic copy
    // is for Kafka-side tooling, so a failed publish is logged, not retried forever.
    absl::Status st = deps_.dead_letter_producer->Produce(
        std::move(out), [](const kafka::Delivery& d) {
          if (!d.status.ok()) {
            Log()->error("dead-letter topic publish failed error={}", std::string(d.status.message()));
          }
        });
    if (!st.ok()) Log()->error("dead-letter topic publish failed error={}", std::string(st.message()));
  };
  for (const auto& f : batch.failures) publish(f.message, f.error_class, f.error_message);
  for (size_t i = 0; i < batch.records.size() && i < result.records.size(); ++i) {
    const auto& r = result.records[i];
    if (r.outcome == store::ApplyOutcome::kConflict || r.outcome == store::ApplyOutcome::kInvalid) {
      Log()->warn("dead letter key={} class={} error={}", batch.records[i].envelope.business_key(),
                  r.error_class, r.error_message);
      publish(batch.records[i].message, r.error_class, r.error_message);
    }
  }
}

void RegistrySink::UpdateLag(const store::ApplyBatch& batch, absl::Time committed_at) {
  for (const auto& o : batch.offsets) {
    int64_t low = 0, high = 0;
    const std::string& topic = o.topic_partition.topic.value();
    int32_t partition = o.topic_partition.partition.value();
    double messages = 0;
    if (rd_kafka_get_watermark_offsets(consumer_, topic.c_str(), partition, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= o.next_offset.value()) {
      messages = static_cast<double>(high - o.next_offset.value());
    }
    double seconds = -1;
    auto it = batch_positions_.find(o.topic_partition);
    if (messages == 0) {
      seconds = 0;  // caught up: nothing is waiting
    } else if (it != batch_positions_.end() && it->second.second != absl::Time()) {
      seconds = absl::ToDoubleSeconds(committed_at - it->second.second);
    }
    metrics_->Lag(topic, partition, messages, seconds);
  }
}

void RegistrySink::OnRebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Assign(partitions);
  } else {
    // Apply what we consumed while we still own it; the next owner starts after it.
    Flush();
    rd_kafka_assign(consumer_, nullptr);
    for (int i = 0; i < partitions->cnt; ++i) {
      metrics_->ForgetPartition(partitions->elems[i].topic, partitions->elems[i].partition);
    }
    Log()->info("partitions revoked count={}", partitions->cnt);
  }
}

void RegistrySink::Assign(rd_kafka_topic_partition_list_t* partitions) {
  std::map<std::string, std::map<store::Partition, store::Offset>> stored;
  for (int i = 0; i < partitions->cnt; ++i) {
    auto& tp = partitions->elems[i];
    std::string topic = tp.topic;
    if (!stored.count(topic)) {
      Backoff backoff(config_.retry_initial_backoff, config_.retry_max_backoff);
      while (true) {
        auto offsets = deps_.store->LoadOffsets(batch_.group, store::Topic(topic));
        if (offsets.ok()) {
          stored[topic] = *offsets;
          break;
        }
        Log()->error("cannot load stored offsets topic={} error={}", topic,
                     std::string(offsets.status().message()));
        if (stop_.load()) return;
        backoff.Sleep(stop_);
      }
    }
    auto it = stored[topic].find(store::Partition(tp.partition));
    int64_t position = it == stored[topic].end() ? 0 : it->second.value();
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(consumer_, tp.topic, tp.partition, &low, &high, 5000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        position < low) {
      HandleOffsetOutOfRange(topic, tp.partition);  // records the range, moves the position
      auto again = deps_.store->LoadOffsets(batch_.group, store::Topic(topic));
      if (again.ok()) stored[topic] = *again;
      auto moved = stored[topic].find(store::Partition(tp.partition));
      position = moved == stored[topic].end() ? low : moved->second.value();
    }
    tp.offset = position;
  }
  rd_kafka_assign(consumer_, partitions);
  if (fetch_paused_) rd_kafka_pause_partitions(consumer_, partitions);
  Log()->info("partitions assigned count={}", partitions->cnt);
}

void RegistrySink::HandleOffsetOutOfRange(const std::string& topic, int32_t partition) {
  if (topic.empty()) return;
  Flush();  // everything consumed before the gap is committed first
  // With auto.offset.reset=error librdkafka stops fetching the partition until we seek: every
  // path below ends in a seek, or the partition would stall silently.
  auto seek = [&](int64_t offset) {
    auto* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
    rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_, list, 5000);
    if (error != nullptr) {
      Log()->warn("seek topic={} partition={} offset={} failed: {}", topic, partition, offset,
                  rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(list);
  };
  auto offsets = deps_.store->LoadOffsets(batch_.group, store::Topic(topic));
  int64_t position = 0;  // none stored: from the very first offset, as at assignment
  if (offsets.ok()) {
    auto it = offsets->find(store::Partition(partition));
    if (it != offsets->end()) position = it->second.value();
  }
  int64_t low = 0, high = 0;
  if (rd_kafka_query_watermark_offsets(consumer_, topic.c_str(), partition, &low, &high, 5000) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      !offsets.ok()) {
    // Leader unknown for now (or the database): fetch again from the stored position; if it is
    // still out of range the error comes back and this runs again.
    Log()->warn("offset out of range topic={} partition={}: log bounds or stored position "
                "unavailable, fetching again from the stored position",
                topic, partition);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // no tight retry loop
    seek(position);
    return;
  }
  if (position >= low && position <= high) {
    // Transient: a fetch reached a broker whose log did not (yet) match, e.g. during a leader
    // change. Nothing was lost: continue where the database says.
    Log()->warn("offset out of range topic={} partition={} position={} log=[{},{}): transient, "
                "fetching again from the stored position",
                topic, partition, position, low, high);
    seek(position);
    return;
  }
  if (position > high) {
    // The log ends before what we already applied: the topic was recreated or a leader lost
    // records (unclean election). Those records are in the database; new ones start at `high`.
    Log()->error("ALARM stored position beyond the log end topic={} partition={} position={} "
                 "log_end={}: the topic lost records the database already holds; consuming "
                 "from the log end",
                 topic, partition, position, high);
    seek(high);
    return;
  }
  store::LostRange range{{store::Topic(topic), store::Partition(partition)},
                         store::Offset(position), store::Offset(low), absl::Now()};
  absl::Status st = deps_.store->RecordLostRange(batch_.group, range);
  metrics_->BehindLogStart(topic, partition, static_cast<double>(low - position));
  Log()->error(
      "ALARM records expired unread topic={} partition={} lost_offsets=[{},{}) recorded={}: "
      "reconciliation must request re-sends",
      topic, partition, position, low, st.ok());
  // Not recorded (database down): fetch again from the stored position, so the error and this
  // handling come back until the range is recorded.
  if (!st.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  seek(st.ok() ? low : position);
}

}  // namespace crvs::sink
